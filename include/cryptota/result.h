/**
 * @file result.h
 * ct_result: the outcome of one backtest (DESIGN.md sections 7, 8 and 10): trades, the equity
 * curve, the open position, a config echo, metrics, JSON and the HTML report.
 *
 * A result is independent of the engine that made it (it copies what it needs).
 * @threadsafety not thread-safe; one thread at a time, may move between threads.
 */
#ifndef CRYPTOTA_RESULT_H
#define CRYPTOTA_RESULT_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "status.h"

CT_EXTERN_C_BEGIN

typedef struct ct_result ct_result;

/**
 * One round trip. Read with ct_result_trades (count-then-copy). `struct_size` is set by the
 * caller to sizeof(ct_trade) in every element before that call and never written by the
 * library: it bounds the bytes written per element, so the struct can grow. `ret` is
 * pnl_net / (entry notional + entry commission). `mae`/`mfe` are the maximum adverse /
 * favourable excursion over the bars held, as fractions of the entry price (mae <= 0 <= mfe),
 * from the bars' lows and highs.
 */
typedef struct ct_trade {
    uint32_t struct_size;
    int32_t side;              /**< +1 long, -1 short */
    int64_t entry_time_ms;     /**< open time of the bar whose price filled the entry */
    int64_t exit_time_ms;
    int64_t entry_bar;         /**< 0-based row of the entry fill */
    int64_t exit_bar;
    int64_t bars_held;         /**< exit_bar - entry_bar */
    double qty;                /**< base quantity (> 0) */
    double entry_price;
    double exit_price;
    double entry_commission;
    double exit_commission;
    double pnl_gross;          /**< side * qty * (exit - entry) */
    double pnl_net;            /**< pnl_gross - both commissions */
    double ret;
    double mae;
    double mfe;
} ct_trade;

/** Destroy a result. NULL is a no-op. @since 0.1 */
CT_API void ct_result_destroy(ct_result *r);

/**
 * Message of the last failing call on this result that records one: the metrics, document and
 * report calls, except the read-only ct_result_drawdowns and ct_result_monthly_returns, which
 * (like the plain accessors) report through ct_last_error only. @since 0.1
 */
CT_API const char *ct_result_errmsg(const ct_result *r);

/** Strategy class name, symbol and interval of the run (owned by the result). @since 0.1 */
CT_API const char *ct_result_strategy(const ct_result *r);
CT_API const char *ct_result_symbol(const ct_result *r);
CT_API int64_t ct_result_interval_ms(const ct_result *r);
/** Parameters and config as canonical JSON objects (owned by the result). @since 0.1 */
CT_API const char *ct_result_params_json(const ct_result *r);
CT_API const char *ct_result_config_json(const ct_result *r);

/** Number of bars (length of the equity curve). @since 0.1 */
CT_API int64_t ct_result_len(const ct_result *r);

/**
 * Equity curve E[t] (DESIGN.md section 7), count-then-copy: copies up to `cap` values into
 * `time_ms`/`equity` (either may be NULL) and sets *n_total. @return CT_OK or CT_E_INVALID_ARG.
 * @since 0.1
 */
CT_API ct_status ct_result_equity(const ct_result *r, int64_t *time_ms, double *equity, int64_t cap, int64_t *n_total);

/** Zero-copy views of the full-resolution curve, valid until ct_result_destroy. @since 0.1 */
CT_API const double *ct_result_equity_ptr(const ct_result *r);
CT_API const int64_t *ct_result_time_ptr(const ct_result *r);
/** Signed position quantity held at the close of each bar (after that bar's fills). @since 0.1 */
CT_API const double *ct_result_position_ptr(const ct_result *r);

/** Number of closed round trips. @since 0.1 */
CT_API int64_t ct_result_trade_count(const ct_result *r);

/**
 * Copy up to `cap` trades into `buf` (NULL with cap 0 asks only for the count).
 * `buf[i].struct_size` must be set by the caller to sizeof(ct_trade) as it was compiled; the
 * library writes no more than that many bytes per element. @since 0.1
 */
CT_API ct_status ct_result_trades(const ct_result *r, ct_trade *buf, int64_t cap, int64_t *n_total);

/**
 * The position still open at the end (not a trade; valued at the last close).
 * *has_open is 0 or 1; the other outputs may be NULL. @since 0.1
 */
CT_API ct_status ct_result_open_position(const ct_result *r, int32_t *has_open, double *qty,
                                         double *entry_price, int64_t *entry_time_ms, int64_t *entry_bar);

/** Orders still pending when the data ended (never filled) and orders rejected by sizing or filters. @since 0.1 */
CT_API int64_t ct_result_pending_at_end(const ct_result *r);
CT_API int64_t ct_result_rejected_orders(const ct_result *r);

/**
 * Final equity E[N-1] (the capital if the feed was empty) and the cash at the end. The total
 * commission is the `total_commission` metric (ct_result_metric). @since 0.1
 */
CT_API double ct_result_final_equity(const ct_result *r);
CT_API double ct_result_final_cash(const ct_result *r);

/* ---- documents (implemented by the metrics/report module, DESIGN.md section 10) ---- */

/**
 * The result document hosts serve: {strategy, symbol, timeframe, parameters, config, metrics,
 * trades, equity_curve, drawdowns, monthly_returns} (schema in docs/result-schema.md).
 * @param[in]  max_equity_points  downsample equity_curve to about this many points, keeping each
 *                                bucket's extremes and never fewer than 2 (0 = the full curve).
 * @param[out] out  NUL-terminated JSON, freed with ct_free.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_result_json(const ct_result *r, int64_t max_equity_points, char **out);

/**
 * Write one self-contained HTML report (inline SVG, no network) to `path`.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_IO, CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_result_report_html(const ct_result *r, const char *path);

/**
 * A hex hash of the feed content, strategy, parameters and config: equal across runs,
 * processes and machines for equal inputs. Writes a NUL-terminated string of at most 64
 * characters into `buf` (cap >= 65). @return CT_OK, CT_E_INVALID_ARG. @since 0.1
 */
CT_API ct_status ct_result_cache_key(const ct_result *r, char *buf, size_t cap);

CT_EXTERN_C_END

#endif /* CRYPTOTA_RESULT_H */
