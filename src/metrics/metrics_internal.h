/*
 * Internals of the metrics module (DESIGN.md section 8): the metric table, the input bundle the
 * single-pass kernel reads, drawdown and monthly tables, and a small string builder used by the
 * result JSON and the HTML report.
 */
#ifndef CT_METRICS_INTERNAL_H
#define CT_METRICS_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "cryptota/metrics.h"
#include "cryptota/result.h"
#include "internal/ct_internal.h"

/* NaN as a double (NAN is a float: mixing it into a double conditional trips -Wdouble-promotion). */
#define CT__NaN ((double)NAN)
#define CT__INF ((double)INFINITY)

/*
 * The metric table, in registry order (the index is CT_M_<name>). Columns: identifier, unit,
 * higher_is_better (1 higher, 0 lower), description. Names are stable identifiers: append only.
 */
#define CT__METRICS(X)                                                                                      \
    X(total_return, "fraction", 1, "Compounded return over the whole curve: prod(1+r) - 1")                 \
    X(cagr, "fraction", 1, "Annual growth rate: (1+total_return)^(A/len(r)) - 1 (empyrical annual_return)") \
    X(annual_volatility, "fraction", 0, "std(r, ddof 1) * sqrt(A)")                                         \
    X(sharpe_ratio, "ratio", 1, "mean(r-rf)/std(r-rf, ddof 1) * sqrt(A)")                                   \
    X(sortino_ratio, "ratio", 1, "mean(r)*A / downside_risk")                                               \
    X(downside_risk, "fraction", 0, "sqrt(mean(min(r,0)^2)) * sqrt(A)")                                     \
    X(max_drawdown, "fraction", 1, "Deepest fall from a running peak, E/peak - 1 (<= 0)")                   \
    X(calmar_ratio, "ratio", 1, "cagr / |max_drawdown|")                                                    \
    X(omega_ratio, "ratio", 1, "sum(max(r,0)) / sum(max(-r,0))")                                            \
    X(tail_ratio, "ratio", 1, "|p95(r)| / |p5(r)| (linear interpolation)")                                  \
    X(stability, "ratio", 1, "R^2 of cumsum(log1p(r)) against its index")                                   \
    X(var_95, "fraction", 1, "Historical value at risk: p5(r) (negative for a loss)")                      \
    X(cvar_95, "fraction", 1, "Conditional VaR: mean of the floor((len(r)-1)*0.05)+1 smallest returns")    \
    X(skew, "ratio", 1, "Population skewness of r: m3/m2^1.5")                                              \
    X(kurtosis, "ratio", 0, "Population excess kurtosis of r: m4/m2^2 - 3")                                 \
    X(beta, "ratio", 0, "cov(r,b)/var(b) against the benchmark returns b (least squares)")                 \
    X(alpha, "fraction", 1, "(1 + mean(r - beta*b))^A - 1 (annualized by compounding)")                    \
    X(information_ratio, "ratio", 1, "mean(r-b)/std(r-b, ddof 1) * sqrt(A)")                                \
    X(tracking_error, "fraction", 0, "std(r-b, ddof 1) * sqrt(A)")                                         \
    X(probabilistic_sharpe_ratio, "probability", 1,                                                         \
      "P(true Sharpe > 0) from the per-bar Sharpe, skew and kurtosis (Bailey and Lopez de Prado)")          \
    X(max_drawdown_duration, "bars", 0, "Longest time from a peak to its recovery (or the end), in bars")  \
    X(max_drawdown_duration_ms, "ms", 0, "The same duration in milliseconds")                               \
    X(avg_drawdown, "fraction", 1, "Mean depth of the drawdown periods (<= 0)")                             \
    X(ulcer_index, "fraction", 0, "sqrt(mean((E/peak - 1)^2)) over all bars")                              \
    X(recovery_factor, "ratio", 1, "total_return / |max_drawdown|")                                         \
    X(exposure, "fraction", 0, "Fraction of bars ending with an open position")                             \
    X(buy_hold_return, "fraction", 1, "Total return of the benchmark (buy-and-hold of the close)")          \
    X(total_trades, "count", 1, "Closed round trips")                                                       \
    X(win_rate, "fraction", 1, "Fraction of trades with pnl_net > 0")                                       \
    X(profit_factor, "ratio", 1, "Sum of winning pnl_net / |sum of losing pnl_net|")                        \
    X(avg_win, "fraction", 1, "Mean return of the winning trades")                                          \
    X(avg_loss, "fraction", 1, "Mean return of the losing trades (< 0)")                                    \
    X(payoff_ratio, "ratio", 1, "avg_win / |avg_loss|")                                                     \
    X(expectancy, "quote", 1, "Mean pnl_net per trade, in quote currency")                                  \
    X(best_trade, "fraction", 1, "Highest trade return")                                                    \
    X(worst_trade, "fraction", 1, "Lowest trade return")                                                    \
    X(avg_trade_return, "fraction", 1, "Mean trade return")                                                 \
    X(max_consecutive_wins, "count", 1, "Longest run of winning trades")                                    \
    X(max_consecutive_losses, "count", 0, "Longest run of losing trades")                                   \
    X(avg_bars_held, "bars", 0, "Mean bars held per trade")                                                 \
    X(sqn, "ratio", 1, "System quality number: sqrt(n)*mean(pnl_net)/std(pnl_net, ddof 0)")                 \
    X(kelly_criterion, "fraction", 1, "win_rate - (1 - win_rate)/payoff_ratio")                             \
    X(total_commission, "quote", 0, "Commission paid on every fill")                                        \
    X(turnover, "x", 0, "Traded notional over all fills / initial capital")                                 \
    X(avg_mae, "fraction", 1, "Mean maximum adverse excursion of the trades (<= 0)")                        \
    X(avg_mfe, "fraction", 1, "Mean maximum favourable excursion of the trades (>= 0)")                     \
    X(final_equity, "quote", 1, "Equity at the last bar")

enum {
#define CT__M_ENUM(name, unit, hib, desc) CT_M_##name,
    CT__METRICS(CT__M_ENUM)
#undef CT__M_ENUM
    CT_M__COUNT
};

/*
 * Everything the metric kernel reads. Arrays are borrowed. `bench_ret`, when not NULL, holds
 * one benchmark return per equity return (index i-1 for return i) with NaN where the benchmark
 * has no aligned point; otherwise `bench_level` (same length and times as the equity, e.g. the
 * feed's close) gives the benchmark returns, or there is no benchmark.
 */
typedef struct ct__mseries {
    const int64_t *time;
    const double *equity;
    int64_t n;
    const double *position;  /* NULL: exposure undefined */
    const double *bench_level;
    const double *bench_ret;
    const ct_trade *trades;  /* NULL with has_trades 0: trade statistics undefined */
    int64_t n_trades;
    int32_t has_trades;
    double ppy;              /* periods per year (> 0) */
    double rf;               /* per-period risk-free rate */
    uint32_t skip;           /* CT__MG_* groups not to compute (their metrics are NaN); 0 = all */
    double total_commission; /* NaN if unknown */
    double turnover;         /* NaN if unknown */
} ct__mseries;

/* Metric groups with a cost of their own in the one pass (everything else is always computed). */
enum {
    CT__MG_STABILITY = 1u << 0,   /* stability: a log per bar */
    CT__MG_PERCENTILES = 1u << 1, /* var_95, cvar_95, tail_ratio: brackets and quickselect */
    CT__MG_BENCH = 1u << 2        /* beta, alpha, information_ratio, tracking_error, buy_hold_return */
};

/* Compute every metric of the table into out[CT_M__COUNT] (NaN where undefined). Scratch
 * memory is taken with ct__malloc and freed before return. */
ct_status ct__metrics_kernel(const ct__mseries *s, double *out);

/* The kernel's vectorizable natural log of a positive finite double (exposed for its test). */
double ct__fast_log(double x);

/* The widest build of the kernel's pass this CPU runs: 0 portable, 1 AVX2 with FMA, 2 AVX-512. */
int ct__metrics_kernel_level(void);

/* Tests and benchmarks only (not thread-safe): caps the build the kernel picks (0 portable, 1 AVX2,
 * 2 AVX-512), to check that all give bit-identical metrics; -1 restores the run-time choice. */
void ct__metrics_kernel_force_level(int level);

/* Tests and benchmarks only (not thread-safe): the threads the pass over a long curve uses
 * (0 restores the choice by the machine); the metrics are the same bits whatever it is. */
void ct__metrics_kernel_force_threads(int threads);

/* Calls from this thread compute metrics without helper threads while `on` (the optimizer's
 * workers, which keep every core busy already, and its single-thread runs). Returns the previous
 * setting. */
int ct__metrics_serial(int on);

/* Periods per year of a result: its setting, or 365 days / interval (daily: 365). */
double ct__result_ppy(const ct_result *r);

/* Fast path for the optimizer: every metric of a result into out[ct_metric_count()]. Does not
 * touch r->metrics. */
ct_status ct__metrics_compute(const ct_result *r, double *out);

/*
 * The optimizer's cheaper path: computes at least the metrics listed in which[0..n_which-1]
 * (registry indices) into out[ct_metric_count()], skipping the costly groups none of them needs
 * (those metrics are NaN). Same values as ct__metrics_compute for every metric it computes.
 */
ct_status ct__metrics_compute_select(const ct_result *r, const int32_t *which, int32_t n_which, double *out);

/* The metrics of a result, computed once and cached in r->metrics. NULL on failure. */
const double *ct__result_metrics(const ct_result *r);

/* ---- drawdown periods and monthly returns ---- */

typedef struct ct__dd_period {
    int64_t start;     /* index of the peak */
    int64_t trough;    /* index of the lowest point */
    int64_t recovery;  /* index where the peak was regained, -1 if never */
    double depth;      /* E[trough]/E[start] - 1 (< 0) */
} ct__dd_period;

/* The k deepest drawdown periods of a curve, deepest first. Returns the number written. */
int64_t ct__drawdown_top(const double *equity, int64_t n, ct__dd_period *out, int64_t k);

/* Calendar-month (UTC) returns of a curve: month keys as year*12 + (month-1), returns from the
 * last equity of the previous month (the first equity for the first month). Allocates *keys and
 * *rets with ct__malloc. */
ct_status ct__monthly_returns(const int64_t *time, const double *equity, int64_t n, int64_t **keys,
                              double **rets, int64_t *count);

/* UTC civil date from epoch days. */
void ct__civil_from_days(int64_t z, int32_t *y, int32_t *m, int32_t *d);

/* Equity at UTC day ends: one point per day holding data, timed at the day's 00:00 UTC. */
ct_status ct__resample_daily(const int64_t *time, const double *v, int64_t n, int64_t **out_time,
                             double **out_v, int64_t *out_n);

/* Self-check of the cache key's SHA-256 on FIPS 180-2's "abc" vector (1 = pass), for the tests. */
int ct__sha256_selftest(void);

/*
 * Indices of at most max_points points of v[0..n-1] for charts and transport: the first and last
 * points plus the minimum and maximum of each of (max_points-2)/2 equal buckets, in index order.
 * All points when max_points <= 0 or >= n. `idx` holds max(max_points, 2) (or n) entries.
 * Returns the count.
 */
int64_t ct__downsample(const double *v, int64_t n, int64_t max_points, int64_t *idx);

/* ---- string builder (ct__malloc'ed, NUL-terminated) ---- */

typedef struct ct__sb {
    char *buf;
    size_t len;
    size_t cap;
    int oom;
} ct__sb;

void ct__sb_init(ct__sb *b);
void ct__sb_free(ct__sb *b);
int ct__sb_reserve(ct__sb *b, size_t extra);
void ct__sb_put(ct__sb *b, const char *s, size_t n);
void ct__sb_puts(ct__sb *b, const char *s);
void ct__sb_printf(ct__sb *b, const char *fmt, ...) CT__PRINTF(2, 3);
/* A JSON number with 17 significant digits, or null for NaN and infinities. */
void ct__sb_num(ct__sb *b, double v);
void ct__sb_int(ct__sb *b, int64_t v);
/* A quoted, escaped JSON string (NULL gives null). */
void ct__sb_jstr(ct__sb *b, const char *s);
/* Text escaped for HTML. */
void ct__sb_html(ct__sb *b, const char *s);

#endif
