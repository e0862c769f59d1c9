/**
 * @file version.h
 * Release and ABI version of libcryptota (CMakeLists.txt reads the numbers from here).
 */
#ifndef CRYPTOTA_VERSION_H
#define CRYPTOTA_VERSION_H

#include <stdint.h>
#include "export.h"

#define CT_VERSION_MAJOR 0
#define CT_VERSION_MINOR 1
#define CT_VERSION_PATCH 0
/** MAJOR*10000 + MINOR*100 + PATCH (zstd's encoding). */
#define CT_VERSION_NUMBER (CT_VERSION_MAJOR * 10000 + CT_VERSION_MINOR * 100 + CT_VERSION_PATCH)
#define CT_VERSION_STRING "0.1.0"
/** The ABI number, equal to the shared object's SONAME suffix. */
#define CT_ABI_VERSION 1

CT_EXTERN_C_BEGIN

/** Release version of the loaded library, "MAJOR.MINOR.PATCH". Static string. @since 0.1 */
CT_API const char *ct_version_string(void);
/** CT_VERSION_NUMBER of the loaded library. @since 0.1 */
CT_API int32_t ct_version_number(void);
/** ABI number of the loaded library; bindings refuse to load when it differs from theirs. @since 0.1 */
CT_API int32_t ct_abi_version(void);

CT_EXTERN_C_END

#endif /* CRYPTOTA_VERSION_H */
