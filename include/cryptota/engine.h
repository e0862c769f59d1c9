/**
 * @file engine.h
 * ct_engine: backtest configuration and run (DESIGN.md section 7); ct_indicator_cache: the
 * indicators declared by strategies, computed once per feed and options and shared between
 * runs (and threads); ct_session: the same engine fed one bar at a time for paper or live
 * trading.
 *
 * Loop, for bar t: (0) funding events at or before bar t's open time and not yet paid are paid
 * on the position held into bar t (so an event inside bar t is paid at bar t+1's open, and
 * events up to the first bar's open find no position and pay nothing); (1) orders pending from
 * bar t-1 fill against bar t; (2) mark to market at close[t]; (3) on_bar runs with data up to
 * t; the orders it places are pending for bar t+1 (with fill = close, its market orders fill at
 * close[t] and E[t] includes them). docs/engine.md, "The loop", has the details.
 *
 * @threadsafety ct_engine and ct_session: one thread at a time. ct_indicator_cache: thread-safe
 * (several engines on several threads may share one).
 */
#ifndef CRYPTOTA_ENGINE_H
#define CRYPTOTA_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "status.h"
#include "feed.h"
#include "result.h"
#include "strategy.h"

CT_EXTERN_C_BEGIN

typedef struct ct_engine ct_engine;
typedef struct ct_indicator_cache ct_indicator_cache;
typedef struct ct_session ct_session;

/**
 * Engine settings (ct_engine_set_f64 / ct_engine_set_i64; ct_engine_configure_json key in
 * brackets). IDs are explicit and gapped; new ones never change the ABI.
 */
enum {
    /* engine 100-199 */
    CT_ENGINE_CAPITAL = 100,          /**< [capital] initial cash, [1e-9, 1e18] (10000) */
    CT_ENGINE_FILL = 101,             /**< [fill] CT_FILL_NEXT_OPEN (default) or CT_FILL_CLOSE */
    CT_ENGINE_CLOSE_AT_END = 102,     /**< [close_at_end] 0/1 (0): close an open position at the last close */
    CT_ENGINE_PERIODS_PER_YEAR = 103, /**< [periods_per_year] 0 .. 1e12 (0 = from the interval) */
    CT_ENGINE_RISK_FREE = 104,        /**< [risk_free] per-period risk-free rate (0) */
    CT_ENGINE_METRICS_FREQ = 105,     /**< [metrics_freq] CT_FREQ_BAR (default) or CT_FREQ_DAILY */
    CT_ENGINE_STOP_FIRST = 106,       /**< [stop_first] 0/1 (1): a stop fills before a limit in the same bar */
    /* fees 200-299 */
    CT_ENGINE_COMMISSION = 200,       /**< [commission] sets both maker and taker rates (0.001) */
    CT_ENGINE_COMMISSION_MAKER = 201, /**< [maker_commission] rate of limit / take-profit fills */
    CT_ENGINE_COMMISSION_TAKER = 202, /**< [taker_commission] rate of market / stop fills */
    CT_ENGINE_SLIPPAGE_BPS = 203,     /**< [slippage_bps] >= 0 (0), against the trader on market and stop fills */
    /* risk 300-399 */
    CT_ENGINE_ALLOW_SHORT = 300,      /**< [allow_short] 0/1 (0) */
    CT_ENGINE_LEVERAGE = 301,         /**< [leverage] >= 1 (1) */
    /* exchange filters 400-499 (0 = off) */
    CT_ENGINE_TICK_SIZE = 400,        /**< [tick_size] order prices rounded to it (to 0: refused) */
    CT_ENGINE_LOT_STEP = 401,         /**< [lot_step] quantities rounded down to it; 0 after rounding rejects */
    CT_ENGINE_MIN_NOTIONAL = 402      /**< [min_notional] fills below it are rejected */
};

/** Values of CT_ENGINE_FILL. */
enum { CT_FILL_NEXT_OPEN = 0, CT_FILL_CLOSE = 1 };
/** Values of CT_ENGINE_METRICS_FREQ. */
enum { CT_FREQ_BAR = 0, CT_FREQ_DAILY = 1 };

/**
 * Create an engine with the default settings.
 * @param[out] out  destroyed with ct_engine_destroy; NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @threadsafety any thread. @since 0.1
 */
CT_API ct_status ct_engine_create(ct_engine **out);
/** Destroy an engine (its private indicator cache too). NULL is a no-op. @since 0.1 */
CT_API void ct_engine_destroy(ct_engine *e);
/** Message of the last failing call on this engine ("" if none). @since 0.1 */
CT_API const char *ct_engine_errmsg(const ct_engine *e);
/** A copy with the same settings and funding series (no cache, no result); `*out` is NULL on
 * failure. @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @since 0.1 */
CT_API ct_status ct_engine_clone(const ct_engine *e, ct_engine **out);

/**
 * Set a numeric setting. Integer and 0/1 settings accept integral values only.
 * @return CT_OK; CT_E_INVALID_ARG (unknown id, NaN, non-integral); CT_E_RANGE (out of range);
 *   messages name the setting. @since 0.1
 */
CT_API ct_status ct_engine_set_f64(ct_engine *e, int32_t id, double value);
/** As ct_engine_set_f64 with an integer. @since 0.1 */
CT_API ct_status ct_engine_set_i64(ct_engine *e, int32_t id, int64_t value);
/** Read a setting. @return CT_OK, CT_E_INVALID_ARG. @since 0.1 */
CT_API ct_status ct_engine_get_f64(const ct_engine *e, int32_t id, double *value);
/** Allowed range of a setting (inclusive). @return CT_OK, CT_E_INVALID_ARG. @since 0.1 */
CT_API ct_status ct_engine_param_bounds(int32_t id, double *lo, double *hi);
/** JSON key of a setting ("commission"), NULL for an unknown id. @since 0.1 */
CT_API const char *ct_engine_param_name(int32_t id);

/**
 * Apply a JSON object of settings, keys as in brackets above (`fill`: "next_open" | "close";
 * `metrics_freq`: "bar" | "daily"; booleans as true/false). All or nothing. `commission` is
 * applied first, so `maker_commission` / `taker_commission` beside it win whatever the key order.
 * @return CT_OK; CT_E_FORMAT (not a JSON object); CT_E_INVALID_ARG (unknown key, a key given
 *   twice, wrong type); CT_E_RANGE (out of range); the message names the key. @since 0.1
 */
CT_API ct_status ct_engine_configure_json(ct_engine *e, const char *json);

/**
 * Canonical JSON of every setting (defaults included), keys sorted as in the list above.
 * @param[out] out  freed with ct_free. @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_engine_config_json(const ct_engine *e, char **out);

/**
 * Attach a perpetual-futures funding series (copied): each event is paid at the first bar whose
 * open time is at or after it, by the position held into that bar: position * open * rate
 * (longs pay a positive rate). An event inside a bar is thus paid at the next bar's open;
 * events up to the first bar's open, or after the last bar's open, are never paid (loop step
 * 0 above). n = 0 detaches. Times must be strictly increasing, rates finite.
 * @return CT_OK, CT_E_INVALID_ARG (names the row), CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_engine_set_funding(ct_engine *e, const int64_t *time_ms, const double *rate, int64_t n);

/**
 * Use `cache` (borrowed: it must outlive the engine's runs) for declared indicators instead of
 * the engine's private one. NULL returns to the private cache. @return CT_OK, CT_E_INVALID_ARG.
 * @since 0.1
 */
CT_API ct_status ct_engine_set_indicator_cache(ct_engine *e, ct_indicator_cache *cache);

/**
 * Run a backtest of `s` over `feed`. Callbacks run synchronously on this thread and never after
 * return: on_start once (before bar 0 closes: it reads no bar), on_bar per bar, on_fill per
 * fill, on_finish once after the last bar. A feed with no bars is a valid run: on_start and
 * on_finish still run (reading no bar) and the result has no bars. The feed is borrowed for the
 * call; the result is independent of engine and feed.
 * @param[out] out  new result (ct_result_destroy); NULL on failure.
 * @return CT_OK; CT_E_INVALID_ARG (a NULL argument, or the class's create returned it);
 *   CT_E_RANGE (create refused the parameters); CT_E_PLUGIN (create returned another status, or
 *   a callback returned non-CT_OK: its ct_ctx_set_error message, else "<callback> returned
 *   <status> at bar <t>"; so a failing ct_ctx_declare_indicator returned by on_start gives
 *   CT_E_PLUGIN with "on_start returned CT_E_NOT_FOUND at bar 0"); CT_E_NOMEM.
 *   @threadsafety one thread per engine. @since 0.1
 */
CT_API ct_status ct_engine_run(ct_engine *e, const ct_feed *feed, ct_strategy *s, ct_result **out);

/* ---- indicator cache ---- */

/**
 * Create an empty cache. Entries are keyed by the feed content hash, the indicator and its
 * options; they are immutable once computed and live until the cache is destroyed.
 * @param[out] out  destroyed with ct_indicator_cache_destroy; NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM, CT_E_INTERNAL (its mutex could not be
 *   initialized). @threadsafety thread-safe object. @since 0.1
 */
CT_API ct_status ct_indicator_cache_create(ct_indicator_cache **out);
/** Destroy a cache (no engine may be running with it). NULL is a no-op. @since 0.1 */
CT_API void ct_indicator_cache_destroy(ct_indicator_cache *c);
/** Number of entries computed so far. @since 0.1 */
CT_API int64_t ct_indicator_cache_size(const ct_indicator_cache *c);

/* ---- streaming session (paper / live) ---- */

/**
 * Broker adapter: called when the strategy places (`event` 0) or cancels (`event` 1) an
 * order, and with `event` 1 when the session cancels an attached order (take-profit,
 * stop-loss, trailing stop) itself: a fill made the position flat, or a new one replaced it
 * (its cancel comes before the new order's event 0). The order may already be gone on the
 * host's side (the other leg of a take-profit / stop-loss pair); the host then just returns
 * CT_OK. `type` is a CT_ORDER_*; `qty` signed (target: the fraction; close: 0; 0 in a cancel);
 * `price` the limit / take-profit price, `stop` the stop / stop-loss / trailing amount.
 * Return CT_OK; anything else stops the session with CT_E_PLUGIN.
 */
typedef ct_status (*ct_broker_fn)(void *user, int32_t event, int64_t order_id, int32_t type, double qty,
                                  double price, double stop);

/**
 * Create a session with the settings of `e` (copied) and a copy of strategy `s`, for bars of
 * `symbol` and `interval_ms` (> 0). on_start runs at the first push, before that bar is seen
 * (it reads no bar). A session has no last bar: on_finish is never called, and close_at_end
 * does not apply.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE (parameters refused), CT_E_PLUGIN (create
 *   returned another status), CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_session_create(const ct_engine *e, const ct_strategy *s, const char *symbol,
                                   int64_t interval_ms, ct_session **out);
/** Destroy a session. NULL is a no-op. @since 0.1 */
CT_API void ct_session_destroy(ct_session *ss);
/** Message of the last failing call. @since 0.1 */
CT_API const char *ct_session_errmsg(const ct_session *ss);

/**
 * Route orders to a host broker instead of the built-in paper broker (before the first push).
 * With a broker, pending orders are never filled by the session: the host reports fills with
 * ct_session_report_fill. @return CT_OK, CT_E_INVALID_ARG, CT_E_STATE. @since 0.1
 */
CT_API ct_status ct_session_set_broker(ct_session *ss, ct_broker_fn fn, void *user);

/**
 * Push one closed bar (validated like a feed row). Runs the engine loop for it: funding, the
 * paper broker's fills, mark to market, on_bar. A session pushed the bars of a feed gives the
 * same trades and equity as ct_engine_run on that feed.
 * @return CT_OK; CT_E_DATA (bad bar, not added: the message names it "bar <i>", i its 0-based
 *   index, ct_session_len before the push); CT_E_PLUGIN (callback or broker failed: the bar is
 *   added, with the portfolio as the failure left it marked at its close, and the session
 *   stops); CT_E_STATE (a previous failure stopped the session); CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_session_push(ct_session *ss, int64_t time_ms, double open, double high, double low,
                                 double close, double volume);

/**
 * Report a fill of a pending order by the host broker: `qty` signed (partial fills allowed:
 * the order stays pending until its quantity is filled), at `price`, paying `commission`.
 * Applied to the portfolio at once (equity of the current bar included) and reported to
 * on_fill. A fill that makes the position flat cancels the attached orders (cancel events to
 * the broker, see ct_broker_fn). It may be called from inside the broker callback.
 * @return CT_OK; CT_E_INVALID_ARG (a bad number; a fill of a market, limit, stop or stop-limit
 * order on the other side or beyond its quantity with the earlier fills; one of a close,
 * take-profit, stop-loss or trailing stop that does not reduce the position or exceeds it: the
 * session goes on); CT_E_NOT_FOUND (no such pending order); CT_E_STATE (no broker set, no bar
 * pushed yet, or the session stopped); CT_E_PLUGIN (on_fill or the broker failed: the session
 * stops); CT_E_NOMEM (the session stops). @since 0.1
 */
CT_API ct_status ct_session_report_fill(ct_session *ss, int64_t order_id, double qty, double price,
                                        double commission);

/** Number of bars pushed so far. @since 0.1 */
CT_API int64_t ct_session_len(const ct_session *ss);
/** Signed position after the last bar (and reported fills). @since 0.1 */
CT_API double ct_session_position(const ct_session *ss);
/** Cash after the last bar (and reported fills). @since 0.1 */
CT_API double ct_session_cash(const ct_session *ss);
/** Equity at the last bar's close (and reported fills). @since 0.1 */
CT_API double ct_session_equity(const ct_session *ss);

/**
 * A result of the bars so far, as ct_engine_run would give for them (on_finish is not called;
 * the session can continue). @param[out] out  ct_result_destroy; NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_session_result(ct_session *ss, ct_result **out);

CT_EXTERN_C_END

#endif /* CRYPTOTA_ENGINE_H */
