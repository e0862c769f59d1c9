/*
 * Allocation through the host's hooks. Each block carries a 16-byte header holding its size,
 * so the free hook receives the size it was asked for and ct_free needs no size from callers.
 * The hooks see the whole block: sizes include the header, and every block is asked for with
 * 16-byte alignment so that the memory after the header is 16-byte aligned too.
 * A live-allocation counter lets ct_set_allocator refuse to swap allocators under live memory.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cryptota/version.h"
#include "internal/ct_internal.h"

#define HDR 16

static void *default_alloc(void *o, size_t size, size_t align)
{
    (void)o;
    (void)align;
    return malloc(size);
}

static void *default_realloc(void *o, void *p, size_t old_size, size_t new_size, size_t align)
{
    (void)o;
    (void)old_size;
    (void)align;
    return realloc(p, new_size);
}

static void default_free(void *o, void *p, size_t size)
{
    (void)o;
    (void)size;
    free(p);
}

static ct_allocator g_alloc = {sizeof(ct_allocator), default_alloc, default_realloc, default_free, NULL};
static atomic_llong g_live;

/*
 * The arguments are checked before the live-memory test, so a malformed table is reported as
 * such (CT_E_INVALID_ARG, CT_E_UNSUPPORTED) whether or not memory is live. A struct_size
 * larger than ours follows STYLE.md R6: accepted only when the fields this version does not
 * know are all zero, since non-zero ones are hooks or settings it would silently ignore.
 */
ct_status ct_set_allocator(const ct_allocator *a)
{
    if (a) {
        if (a->struct_size < sizeof(ct_allocator))
            return ct__fail(NULL, CT_E_INVALID_ARG, "ct_set_allocator: struct_size %u is smaller than %zu",
                            a->struct_size, sizeof(ct_allocator));
        const unsigned char *b = (const unsigned char *)a;
        for (size_t i = sizeof(ct_allocator); i < a->struct_size; i++)
            if (b[i] != 0)
                return ct__fail(NULL, CT_E_UNSUPPORTED,
                                "ct_set_allocator: the allocator needs libcryptota > %s: its struct_size %u has "
                                "non-zero bytes beyond the %zu this version knows",
                                CT_VERSION_STRING, a->struct_size, sizeof(ct_allocator));
        if (!a->alloc || !a->free)
            return ct__fail(NULL, CT_E_INVALID_ARG, "ct_set_allocator: alloc and free hooks are required");
    }
    if (atomic_load(&g_live) != 0)
        return ct__fail(NULL, CT_E_STATE,
                        "ct_set_allocator: %lld allocations from the current allocator are still live",
                        (long long)atomic_load(&g_live));
    if (!a) {
        g_alloc = (ct_allocator){sizeof(ct_allocator), default_alloc, default_realloc, default_free, NULL};
        return CT_OK;
    }
    memcpy(&g_alloc, a, sizeof(g_alloc)); /* the fields this version knows */
    g_alloc.struct_size = sizeof(ct_allocator);
    return CT_OK;
}

int64_t ct_alloc_live_count(void) { return (int64_t)atomic_load(&g_live); }

void *ct__malloc(size_t size)
{
    if (size > SIZE_MAX - HDR)
        return NULL;
    unsigned char *p = g_alloc.alloc(g_alloc.opaque, size + HDR, HDR);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof(size));
    atomic_fetch_add(&g_live, 1);
    return p + HDR;
}

void *ct__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = ct__malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *ct__malloc_array(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return ct__malloc(count * size);
}

void *ct__realloc(void *p, size_t size)
{
    if (!p)
        return ct__malloc(size);
    if (size > SIZE_MAX - HDR)
        return NULL;
    unsigned char *base = (unsigned char *)p - HDR;
    size_t old;
    memcpy(&old, base, sizeof(old));
    unsigned char *np;
    if (g_alloc.realloc) {
        np = g_alloc.realloc(g_alloc.opaque, base, old + HDR, size + HDR, HDR);
        if (!np)
            return NULL;
    } else {
        np = g_alloc.alloc(g_alloc.opaque, size + HDR, HDR);
        if (!np)
            return NULL;
        memcpy(np + HDR, base + HDR, old < size ? old : size);
        g_alloc.free(g_alloc.opaque, base, old + HDR);
    }
    memcpy(np, &size, sizeof(size));
    return np + HDR;
}

void ct__free(void *p)
{
    if (!p)
        return;
    unsigned char *base = (unsigned char *)p - HDR;
    size_t size;
    memcpy(&size, base, sizeof(size));
    atomic_fetch_sub(&g_live, 1);
    g_alloc.free(g_alloc.opaque, base, size + HDR);
}

void ct_free(void *p) { ct__free(p); }

char *ct__strdup(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = ct__malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
