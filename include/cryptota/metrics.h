/**
 * @file metrics.h
 * Performance metrics (DESIGN.md section 8): a registry of named metrics, the metrics of a
 * backtest result, metrics of any equity curve a host brings, drawdown and monthly tables, and a
 * multi-factor regression.
 *
 * Conventions: returns are fractions (0.05 = 5%), drawdowns are negative, undefined values
 * (no trades, zero variance, no losing trade for profit_factor, ...) are NaN (null in JSON).
 * docs/metrics.md gives every definition and when each metric is undefined.
 *
 * Metric names are stable identifiers; their index in the registry may grow in later versions
 * (new metrics are appended), so hosts should look metrics up by name.
 */
#ifndef CRYPTOTA_METRICS_H
#define CRYPTOTA_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "status.h"
#include "result.h"

CT_EXTERN_C_BEGIN

/** Metrics of a host equity curve (ct_metrics_from_equity). */
typedef struct ct_metrics ct_metrics;

/** Flags of ct_metrics_from_equity. */
enum {
    CT_METRICS_DAILY = 1u << 0 /**< resample the equity (and benchmark) at UTC day ends first (metrics_freq = daily) */
};

/* ---- the registry ---- */

/** Number of metrics in the registry. @threadsafety thread-safe. @since 0.1 */
CT_API int32_t ct_metric_count(void);

/** Name of metric `i` (static string), or NULL when i is out of range. @threadsafety thread-safe. @since 0.1 */
CT_API const char *ct_metric_name(int32_t i);

/** Index of the metric called `name`, or -1 when there is none (or name is NULL). @threadsafety thread-safe. @since 0.1 */
CT_API int32_t ct_metric_find(const char *name);

/** One-line definition of metric `i` (static), or NULL when out of range. @threadsafety thread-safe. @since 0.1 */
CT_API const char *ct_metric_description(int32_t i);

/**
 * Unit of metric `i` (static): "fraction", "ratio", "probability", "bars", "ms", "count",
 * "quote" (quote currency) or "x" (multiple of the capital); NULL when out of range.
 * @threadsafety thread-safe. @since 0.1
 */
CT_API const char *ct_metric_unit(int32_t i);

/**
 * 1 if a higher value of metric `i` is better (an optimizer maximizes it), 0 if lower is better,
 * -1 when i is out of range. @threadsafety thread-safe. @since 0.1
 */
CT_API int32_t ct_metric_higher_is_better(int32_t i);

/* ---- metrics of a result ---- */

/**
 * One metric of a backtest result. Every metric is computed on the first call (one pass over
 * the curve) and cached in the result. A curve of 131,072 bars or more is computed in
 * segments on helper threads (one per core, joined before the call returns); the values are
 * bit-identical whatever the number of cores (docs/metrics.md).
 * @param[in]  r      the result.
 * @param[in]  name   a registry name, e.g. "sharpe_ratio".
 * @param[out] value  the value; NaN when undefined for this result.
 * @return CT_OK, CT_E_INVALID_ARG (NULL argument), CT_E_NOT_FOUND (unknown name, named in the
 *         message), CT_E_NOMEM.
 * @threadsafety not thread-safe per result (the first call fills the cache). @since 0.1
 */
CT_API ct_status ct_result_metric(const ct_result *r, const char *name, double *value);

/**
 * Every metric of a result in registry order, count-then-copy: copies min(cap, count) values
 * and sets *n_total to ct_metric_count(). `values` may be NULL when cap is 0.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @threadsafety as ct_result_metric. @since 0.1
 */
CT_API ct_status ct_result_metrics_all(const ct_result *r, double *values, int64_t cap, int64_t *n_total);

/**
 * Attach a host benchmark series (levels, e.g. another asset's close) to a result, replacing the
 * default buy-and-hold of the feed's close. Both series are turned into simple returns keyed by
 * the time of their later point and inner-joined on time. The arrays are copied; the metric
 * cache is cleared. n == 0 restores the default.
 * @return CT_OK, CT_E_INVALID_ARG (NULL arrays with n > 0, n < 0), CT_E_DATA (times not
 *         strictly increasing or a level not finite and > 0, naming the row), CT_E_NOMEM.
 * @threadsafety not thread-safe per result. @since 0.1
 */
CT_API ct_status ct_result_set_benchmark(ct_result *r, const int64_t *time_ms, const double *values, int64_t n);

/**
 * The deepest drawdown periods of the result's equity curve (at most 5), deepest first,
 * count-then-copy over parallel arrays (each may be NULL). `recovery_ms` is -1 and
 * `duration_bars` runs to the last bar when the peak was never regained. `duration_bars` is
 * recovery (or last) bar minus the peak bar.
 * @return CT_OK, CT_E_INVALID_ARG; a failure's message goes to ct_last_error only, never to the
 *         result (ct_result_errmsg), which concurrent readers share.
 * @threadsafety read-only, thread-safe on a result no one mutates. @since 0.1
 */
CT_API ct_status ct_result_drawdowns(const ct_result *r, int64_t *start_ms, int64_t *trough_ms,
                                     int64_t *recovery_ms, double *depth, int64_t *duration_bars,
                                     int64_t cap, int64_t *n_total);

/**
 * Calendar-month (UTC) returns of the result's equity, count-then-copy over parallel arrays
 * (each may be NULL). A month's return is its last equity over the previous month's last equity
 * (over the first equity for the first month), minus 1.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM; messages as ct_result_drawdowns (ct_last_error only).
 * @threadsafety as ct_result_drawdowns. @since 0.1
 */
CT_API ct_status ct_result_monthly_returns(const ct_result *r, int32_t *year, int32_t *month, double *ret,
                                           int64_t cap, int64_t *n_total);

/* ---- metrics of a host equity curve ---- */

/**
 * Compute every metric of a bare equity curve (trade statistics, exposure, commission and
 * turnover are NaN: there are no trades).
 * @param[in] time_ms, equity  n points, times strictly increasing, equity finite and > 0 (copied
 *            only as needed; not kept).
 * @param[in] bench_time, bench_values  an optional benchmark level series of nb points (both NULL
 *            with nb 0 for none); returns of both series are keyed by the time of their later
 *            point and inner-joined on time (DESIGN.md section 13).
 * @param[in] periods_per_year  A, finite and >= 0; 0 = from the data: 365 days / median time
 *            step (365 with CT_METRICS_DAILY or fewer than two points).
 * @param[in] risk_free  per-period risk-free rate (Sharpe ratio), finite.
 * @param[in] flags  CT_METRICS_DAILY or 0.
 * @param[out] out  new handle, destroyed with ct_metrics_destroy; NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG (NULL pointers, n < 0, periods_per_year negative or not
 *         finite, risk_free not finite, unknown flags), CT_E_DATA (a time not after the
 *         previous one, an equity or level not finite and > 0: the message names the row),
 *         CT_E_NOMEM.
 * A curve of 131,072 points or more is computed on helper threads, as ct_result_metric.
 * @threadsafety thread-safe (no shared state). @since 0.1
 */
CT_API ct_status ct_metrics_from_equity(const int64_t *time_ms, const double *equity, int64_t n,
                                        const int64_t *bench_time, const double *bench_values, int64_t nb,
                                        double periods_per_year, double risk_free, uint32_t flags,
                                        ct_metrics **out);

/** Destroy a metrics handle. NULL is a no-op. @threadsafety not with other calls on the same handle. @since 0.1 */
CT_API void ct_metrics_destroy(ct_metrics *m);

/**
 * The handle's message slot, kept like every handle type's: always "" (never NULL). The calls on
 * a handle only read it, and several threads may make them at once, so they report a failure
 * through ct_last_error only and never write the handle. @threadsafety thread-safe. @since 0.1
 */
CT_API const char *ct_metrics_errmsg(const ct_metrics *m);

/**
 * One metric by name. @return CT_OK, CT_E_INVALID_ARG, CT_E_NOT_FOUND (unknown name); a
 * failure's message goes to ct_last_error only (see ct_metrics_errmsg).
 * @threadsafety thread-safe (read-only). @since 0.1
 */
CT_API ct_status ct_metrics_get(const ct_metrics *m, const char *name, double *value);

/**
 * Every metric in registry order, count-then-copy as ct_result_metrics_all.
 * @return CT_OK, CT_E_INVALID_ARG (message in ct_last_error only).
 * @threadsafety thread-safe (read-only). @since 0.1
 */
CT_API ct_status ct_metrics_all(const ct_metrics *m, double *values, int64_t cap, int64_t *n_total);

/**
 * The metrics as one JSON document `{"metrics": {"total_return": ..., ...}}` (17 significant
 * digits, null for NaN). @param[out] out NUL-terminated, freed with ct_free; NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM (messages in ct_last_error only).
 * @threadsafety thread-safe (read-only). @since 0.1
 */
CT_API ct_status ct_metrics_json(const ct_metrics *m, char **out);

/* ---- multi-factor regression ---- */

/**
 * Least-squares regression (LAPACKE_dgels) of an equity curve's returns on k factor return
 * series plus an intercept: r = a + sum_j beta_j f_j + e. The factors are level series sharing
 * one time axis (`factor_time`, nf points each, `factor_values[j]` for factor j); returns are
 * keyed by the time of their later point and inner-joined on time with the equity returns.
 * With k = 1 and the feed's close as the factor this is the beta and alpha of the metric table.
 * @param[in]  periods_per_year  A, finite and > 0: unlike ct_metrics_from_equity, 0 does not
 *                        mean "from the data" and is refused.
 * @param[out] alpha      (1 + a)^A - 1, annualized like empyrical's alpha (may be NULL).
 * @param[out] betas      k slopes (may be NULL).
 * @param[out] r_squared  coefficient of determination (may be NULL).
 * @param[out] n_used     number of aligned returns (may be NULL).
 * @return CT_OK, CT_E_INVALID_ARG (NULL arrays or a NULL factor_values[j], k < 1, negative
 *         sizes, periods_per_year not finite and > 0), CT_E_DATA (bad rows, fewer aligned
 *         returns than k + 2, or collinear factors), CT_E_RANGE (too many aligned returns for
 *         LAPACK's 32-bit sizes), CT_E_NOMEM, CT_E_INTERNAL (LAPACK refused an argument).
 * @threadsafety thread-safe. @since 0.1
 */
CT_API ct_status ct_metrics_factor_regression(const int64_t *time_ms, const double *equity, int64_t n,
                                              const int64_t *factor_time, const double *const *factor_values,
                                              int32_t k, int64_t nf, double periods_per_year,
                                              double *alpha, double *betas, double *r_squared, int64_t *n_used);

CT_EXTERN_C_END

#endif /* CRYPTOTA_METRICS_H */
