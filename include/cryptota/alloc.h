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
 * Allocation hooks. `struct_size` must be set to sizeof(ct_allocator) as the caller saw it; a
 * larger value (a caller built against a newer header) is accepted when the fields this version
 * does not know are all zero.
 * - `alloc(opaque, size, align)` returns a block of `size` bytes aligned to `align`, or NULL on
 *   failure. The library always passes align 16 (malloc's alignment on 64-bit platforms).
 * - `realloc(opaque, p, old_size, new_size, align)` resizes a block or returns NULL and leaves it
 *   untouched. May be NULL: the library then allocates a new block, copies and frees the old one.
 * - `free(opaque, p, size)` receives the size the block was allocated (or last resized) with.
 * Sizes include a 16-byte header the library keeps in front of each object, so every size a hook
 * sees is the object's size plus 16. `opaque` is passed unchanged to every hook.
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
 * Install allocation hooks (NULL restores malloc). The table is copied. The arguments are
 * checked first, then whether the swap is allowed.
 * @return CT_OK; CT_E_INVALID_ARG (struct_size smaller than sizeof(ct_allocator), or alloc or
 *         free NULL); CT_E_UNSUPPORTED (struct_size larger, with non-zero bytes beyond the fields
 *         this version knows: STYLE.md R6); CT_E_STATE (memory from the current allocator is
 *         still live).
 * @threadsafety call before other threads use the library. @since 0.1
 */
CT_API ct_status ct_set_allocator(const ct_allocator *a);

/** Free memory that libcryptota handed out to the caller (strings from *_json, ...). NULL is a no-op. @since 0.1 */
CT_API void ct_free(void *p);

/** Number of live allocations made through the hooks (for leak checks in tests and hosts). @since 0.1 */
CT_API int64_t ct_alloc_live_count(void);

/**
 * Process-wide set-up of the libraries libcryptota uses (libcurl). Optional: called
 * implicitly on first use (ct_fetcher_create). Call it before starting threads if the host also
 * uses libcurl. Repeated calls are harmless (they do not nest: one ct_global_cleanup undoes
 * them all), and it may be called again after ct_global_cleanup to set libcurl up anew.
 * @return CT_OK or CT_E_INTERNAL (curl_global_init failed). @threadsafety not thread-safe.
 * @since 0.1
 */
CT_API ct_status ct_global_init(void);

/**
 * Undo ct_global_init: release libcurl (curl_global_cleanup). Does nothing unless
 * ct_global_init succeeded since the last cleanup; the implicit set-up made by
 * ct_fetcher_create alone lasts until the process exits. Destroy every fetcher first. A later
 * ct_global_init or ct_fetcher_create sets libcurl up again.
 * @threadsafety not thread-safe: call it while no other thread uses libcryptota or libcurl.
 * @since 0.1
 */
CT_API void ct_global_cleanup(void);

CT_EXTERN_C_END

#endif /* CRYPTOTA_ALLOC_H */
