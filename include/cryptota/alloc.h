/**
 * @file alloc.h
 * Allocator hooks, library-owned memory and process-wide set-up (STYLE.md R8).
 */
#ifndef CRYPTOTA_ALLOC_H
#define CRYPTOTA_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "status.h"

CT_EXTERN_C_BEGIN

/**
 * Allocation hooks. `struct_size` must be set to sizeof(ct_allocator) as the caller saw it.
 * `alloc` returns NULL on failure; `free` receives the size that was asked for.
 * The hooks cover libcryptota's own allocations only (not zstd, curl, cJSON or OpenBLAS).
 */
typedef struct ct_allocator {
    uint32_t struct_size;
    void *(*alloc)(void *opaque, size_t size, size_t align);
    void *(*realloc)(void *opaque, void *p, size_t old_size, size_t new_size, size_t align);
    void (*free)(void *opaque, void *p, size_t size);
    void *opaque;
} ct_allocator;

/**
 * Install allocation hooks (NULL restores malloc). The table is copied.
 * @return CT_OK; CT_E_STATE while memory from the previous allocator is still live;
 *         CT_E_INVALID_ARG if struct_size is too small or a hook is NULL.
 * @threadsafety call before other threads use the library. @since 0.1
 */
CT_API ct_status ct_set_allocator(const ct_allocator *a);

/** Free memory that libcryptota handed out to the caller (strings from *_json, ...). NULL is a no-op. @since 0.1 */
CT_API void ct_free(void *p);

/** Number of live allocations made through the hooks (for leak checks in tests and hosts). @since 0.1 */
CT_API int64_t ct_alloc_live_count(void);

/**
 * Process-wide set-up of the libraries libcryptota uses (libcurl). Optional: called
 * implicitly on first use. Call it before starting threads if the host also uses libcurl.
 * @return CT_OK or CT_E_INTERNAL. @threadsafety not thread-safe. @since 0.1
 */
CT_API ct_status ct_global_init(void);

/** Undo ct_global_init. @since 0.1 */
CT_API void ct_global_cleanup(void);

CT_EXTERN_C_END

#endif /* CRYPTOTA_ALLOC_H */
