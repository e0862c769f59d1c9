/**
 * @file status.h
 * Status codes and error messages (STYLE.md R3).
 *
 * Every fallible function returns a ct_status. On failure it also records a message that
 * names the offending argument, row or key: per thread (ct_last_error) and, for calls on a
 * handle, per handle (ct_feed_errmsg, ct_engine_errmsg, ...). Messages are library-owned and
 * valid until the next failing call on the same thread or handle.
 */
#ifndef CRYPTOTA_STATUS_H
#define CRYPTOTA_STATUS_H

#include <stdint.h>
#include "export.h"

CT_EXTERN_C_BEGIN

/** A status code. An int32_t, not an enum type, so its width is fixed across compilers. */
typedef int32_t ct_status;

/** Status codes. Numbers are explicit and never reused. */
enum {
    CT_OK = 0,              /**< success */
    CT_E_INVALID_ARG = 1,   /**< an argument is NULL, malformed or inconsistent */
    CT_E_NOMEM = 2,         /**< out of memory; the call had no effect */
    CT_E_RANGE = 3,         /**< a parameter or option is out of its range */
    CT_E_STATE = 4,         /**< the object is not in a state that allows the call */
    CT_E_NOT_FOUND = 5,     /**< a named thing (indicator, strategy, metric, key) does not exist */
    CT_E_IO = 10,           /**< a file could not be opened, read or written */
    CT_E_NET = 11,          /**< a network transfer failed (connect, timeout, dropped) */
    CT_E_FORMAT = 12,       /**< input is malformed or not of the expected format */
    CT_E_CORRUPT = 13,      /**< a checksum failed or a file is truncated */
    CT_E_DATA = 14,         /**< candles break a validation rule (order, prices, volume, gaps) */
    CT_E_HTTP = 15,         /**< the server answered with an error (4xx/5xx) */
    CT_E_RATE_LIMIT = 16,   /**< the server rate-limited or banned the client (429/418) */
    CT_E_UNSUPPORTED = 20,  /**< not supported by this build or this version */
    CT_E_PLUGIN = 30,       /**< a strategy callback or plugin failed */
    CT_E_CANCELLED = 31,    /**< cancelled by the host */
    CT_E_INTERNAL = 99      /**< a bug in libcryptota */
};

/** The code's name, e.g. "CT_E_NOMEM". Static string, never NULL. @threadsafety safe. @since 0.1 */
CT_API const char *ct_status_name(ct_status s);

/** A short generic description, e.g. "out of memory". Static string, never NULL. @since 0.1 */
CT_API const char *ct_status_str(ct_status s);

/**
 * Detail of the last failure on the calling thread ("" if none). Library-owned, valid until
 * the next failing call on this thread. @threadsafety thread-local. @since 0.1
 */
CT_API const char *ct_last_error(void);

/** Forget the calling thread's last error. @since 0.1 */
CT_API void ct_clear_error(void);

CT_EXTERN_C_END

#endif /* CRYPTOTA_STATUS_H */
