/*
 * Internal helpers shared across libcryptota's modules (never installed).
 * Cross-file internal symbols use the ct__ prefix and hidden visibility.
 */
#ifndef CT_INTERNAL_H
#define CT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "cryptota/alloc.h"
#include "cryptota/log.h"
#include "cryptota/status.h"

#if defined(__GNUC__)
#define CT__PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CT__LIKELY(x) __builtin_expect(!!(x), 1)
#define CT__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CT__PRINTF(a, b)
#define CT__LIKELY(x) (x)
#define CT__UNLIKELY(x) (x)
#endif

#define CT__ERRMSG_SIZE 512

/* Per-handle error message; embed one in every handle struct. */
typedef struct ct__err {
    char msg[CT__ERRMSG_SIZE];
} ct__err;

/*
 * Record a failure: formats the message into the thread-local slot and, when h is not NULL,
 * into the handle's slot. Returns s so callers can write `return ct__fail(...)`.
 */
ct_status ct__fail(ct__err *h, ct_status s, const char *fmt, ...) CT__PRINTF(3, 4);
ct_status ct__vfail(ct__err *h, ct_status s, const char *fmt, va_list ap);
/* Copy the thread's last message into a handle (after a callee failed without the handle). */
ct_status ct__propagate(ct__err *h, ct_status s);
static inline const char *ct__errmsg(const ct__err *h) { return h ? h->msg : ""; }
static inline void ct__err_clear(ct__err *h) { if (h) h->msg[0] = '\0'; }

/* Allocation through the installed hooks. Sizes are tracked, so ct__free needs no size. */
void *ct__malloc(size_t size);
void *ct__calloc(size_t count, size_t size);
void *ct__realloc(void *p, size_t size);
void ct__free(void *p);
char *ct__strdup(const char *s);
/* Overflow-checked count*size for array allocations; returns NULL on overflow too. */
void *ct__malloc_array(size_t count, size_t size);

/* Logging: fmt builds the message; module names the subsystem ("feed", "fetch", ...). */
void ct__log(int32_t level, const char *module, const char *fmt, ...) CT__PRINTF(3, 4);
int ct__log_enabled(int32_t level);

/* Append text to a JSON string literal being built (escapes quotes, control chars). */
size_t ct__json_escape(char *dst, size_t cap, const char *src);

/* A double from outside (JSON, a server) as int64_t, saturated to the type's range and 0 for NaN:
 * a plain cast of an out-of-range double is undefined behaviour. */
static inline int64_t ct__sat_i64(double d)
{
    if (!(d == d))
        return 0;
    if (d >= 9.2233720368547758e18)
        return INT64_MAX;
    if (d <= -9.2233720368547758e18)
        return INT64_MIN;
    return (int64_t)d;
}

/* Wall-clock milliseconds since the epoch and a monotonic clock in seconds. */
int64_t ct__now_ms(void);
double ct__mono_s(void);

/* The cores online (>= 1), read once: sysconf reads a file under /sys, tens of microseconds. */
int ct__online_cpus(void);

/* The implicit set-up of libcurl, called before network use (ct_fetcher_create): initialises
 * it unless it is already, also again after a ct_global_cleanup. CT_E_INTERNAL on failure. */
ct_status ct__global_init_once(void);

#endif /* CT_INTERNAL_H */
