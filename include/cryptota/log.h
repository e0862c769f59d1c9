/**
 * @file log.h
 * Logging: one JSON object per line, routed to a host callback.
 *
 * The default sink writes JSON lines on stderr at warning level and above; the environment
 * variable CRYPTOTA_LOG (trace, debug, info, warn, error, off) sets the level at first use.
 * A line looks like {"ts_ms":1716163200000,"level":"warn","module":"feed","msg":"..."}.
 */
#ifndef CRYPTOTA_LOG_H
#define CRYPTOTA_LOG_H

#include <stdint.h>
#include "export.h"
#include "status.h"

CT_EXTERN_C_BEGIN

enum {
    CT_LOG_TRACE = 0,
    CT_LOG_DEBUG = 1,
    CT_LOG_INFO = 2,
    CT_LOG_WARN = 3,
    CT_LOG_ERROR = 4,
    CT_LOG_OFF = 5
};

/**
 * Log sink. `json_line` is one JSON object without a trailing newline, valid during the call.
 * It may be called from any thread that runs library code (optimizer workers included).
 */
typedef void (*ct_log_fn)(void *user, int32_t level, const char *json_line);

/**
 * Route log lines to `fn` (NULL restores the stderr sink).
 * @threadsafety may be called while library threads run: each line goes whole to the old or the
 * new sink, so the old `fn` and `user` must stay valid until the calls that may still use them
 * have returned (simplest: set the sink before starting threads). @since 0.1
 */
CT_API void ct_set_log_callback(ct_log_fn fn, void *user);

/**
 * Hold log lines: until the matching ct_log_release, the lines of every thread are kept in
 * memory, in order, instead of going to the sink. For a host whose sink runs on one thread only
 * (Node's koffi calls JavaScript on the main thread), around a call that blocks that thread
 * while library threads log. Holds nest, process-wide; at most 8 MiB of lines are kept, and
 * later ones are counted (the release reports how many were dropped).
 * @return CT_OK, or CT_E_STATE if 2^31 - 1 holds are open. @threadsafety any thread. @since 0.1
 */
CT_API ct_status ct_log_hold(void);

/**
 * End a hold. The outermost release hands the held lines, in order, to the sink that is set
 * now, on the calling thread, before it returns.
 * @return CT_OK, or CT_E_STATE if no hold is open. @threadsafety any thread. @since 0.1
 */
CT_API ct_status ct_log_release(void);

/** Set the minimum level that is emitted. @return CT_OK or CT_E_RANGE. @since 0.1 */
CT_API ct_status ct_set_log_level(int32_t level);

/** Current minimum level. @since 0.1 */
CT_API int32_t ct_log_level(void);

/** Name of a level ("trace" ... "off"), static; "unknown" for other values. @since 0.1 */
CT_API const char *ct_log_level_name(int32_t level);

CT_EXTERN_C_END

#endif /* CRYPTOTA_LOG_H */
