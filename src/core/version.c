/* Runtime version queries (STYLE.md R10). */
#include "cryptota/version.h"

const char *ct_version_string(void) { return CT_VERSION_STRING; }
int32_t ct_version_number(void) { return CT_VERSION_NUMBER; }
int32_t ct_abi_version(void) { return CT_ABI_VERSION; }
