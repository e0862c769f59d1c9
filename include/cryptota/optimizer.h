/**
 * @file optimizer.h
 * Overfitting statistics, parameter search (grid, random), shards and walk-forward analysis
 * (DESIGN.md section 9; docs/optimizer.md).
 *
 * @threadsafety a ct_optimizer is used by one thread at a time (it runs its own workers inside
 * ct_optimizer_run and ct_optimizer_walkforward); ct_optimizer_cancel may be called from any
 * thread. Once it is not running, its const accessors may be called from several threads at
 * once: their failures are recorded in ct_last_error only, never in ct_optimizer_errmsg
 * (docs/errors.md). Progress callbacks run on the thread that called the run. The feed is read
 * by the workers concurrently and must not change while the optimizer exists.
 */
#ifndef CRYPTOTA_OPTIMIZER_H
#define CRYPTOTA_OPTIMIZER_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "status.h"
#include "feed.h"
#include "strategy.h"

CT_EXTERN_C_BEGIN

/* ---- overfitting statistics ---- */

/**
 * Deflated Sharpe ratio (Bailey & Lopez de Prado, 2014): the probability that the true Sharpe
 * ratio of the selected trial exceeds the expected maximum Sharpe ratio of `n_trials` unskilled
 * trials, SR0 = sqrt(V)((1-g)Phi^-1(1-1/N) + g Phi^-1(1-1/(N e))) (g: Euler-Mascheroni), given
 * the skewness and kurtosis of its returns and the sample length:
 * DSR = Phi((SR - SR0) sqrt(T-1) / sqrt(1 - skew SR + (kurt-1)/4 SR^2)), kurt = excess + 3.
 * Every Sharpe ratio is per period (not annualized), in the same units as `sharpe_var`.
 * @param[in]  sharpe           Sharpe ratio of the selected trial (mean/std of its returns).
 * @param[in]  sharpe_var       variance of the Sharpe ratios of all trials (>= 0).
 * @param[in]  n_trials         number of trials (>= 1; 1 gives SR0 = 0, the plain PSR).
 * @param[in]  skew             skewness of the selected trial's returns.
 * @param[in]  excess_kurtosis  excess kurtosis of its returns (0 for normal returns).
 * @param[in]  n_returns        number of returns T (>= 2).
 * @param[out] dsr              the DSR in [0, 1]; NaN when undefined (non-finite inputs, or a
 *                              non-positive variance term).
 * @param[out] sr0              the benchmark SR0 (may be NULL).
 * @return CT_OK, CT_E_INVALID_ARG (dsr NULL, n_trials < 1, n_returns < 2, sharpe_var < 0 or NaN).
 * @threadsafety safe. @since 0.1
 */
CT_API ct_status ct_overfit_dsr(double sharpe, double sharpe_var, int64_t n_trials, double skew,
                                double excess_kurtosis, int64_t n_returns, double *dsr, double *sr0);

/**
 * Probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey,
 * Borwein, Lopez de Prado & Zhu, 2016). The rows of the returns matrix are cut into `n_blocks`
 * contiguous blocks of (nearly) equal size; for each of the C(S, S/2) ways to pick half of the
 * blocks as in-sample, the trial with the best in-sample Sharpe ratio is ranked out of sample
 * among all trials (rank 1 = worst, ties share the mean rank), w = rank/(N+1) and the logit
 * log(w/(1-w)) is recorded. PBO is the fraction of logits <= 0.
 * @param[in]  returns   row-major T x N matrix (returns[t*N + j]: trial j at period t), finite.
 * @param[in]  n_rows    T (>= 2 * n_blocks).
 * @param[in]  n_cols    N trials (>= 1).
 * @param[in]  n_blocks  S, even, 2..30 (16 in the optimizer).
 * @param[out] pbo       PBO in [0, 1]; NaN when undefined (N < 2, or no trial has an in-sample
 *                       Sharpe ratio in any split).
 * @return CT_OK, CT_E_INVALID_ARG (NULL pointer, bad sizes, a non-finite return: the message
 *         names its row and column), CT_E_NOMEM.
 * @threadsafety safe. @since 0.1
 */
CT_API ct_status ct_overfit_pbo(const double *returns, int64_t n_rows, int64_t n_cols, int32_t n_blocks,
                                double *pbo);


/* ---- parameter search ---- */

/** A parameter search over one feed and one strategy class (grid or random). */
typedef struct ct_optimizer ct_optimizer;
/** The outcome of a walk-forward analysis. */
typedef struct ct_walkforward ct_walkforward;

/**
 * Progress callback, called on the thread that called ct_optimizer_run / ct_optimizer_walkforward
 * (never on a worker), about every 100 ms and once at the end.
 * @param user   the pointer given to ct_optimizer_set_progress.
 * @param done   combinations finished (evaluated or skipped) so far.
 * @param total  combinations to run in this call (the shard's share). ct_optimizer_walkforward
 *               searches the whole space on every window and counts over all of them: total is
 *               windows x combinations and done never goes back.
 * @param best   best objective value so far (in the metric's own sign; NaN if none yet).
 * @param eta_s  estimated seconds left in the call (NaN before the first combination finishes).
 * @return 0 to continue, non-zero to cancel (the run returns CT_E_CANCELLED). This holds for the
 *   final report too: the finished table is then discarded.
 */
typedef int32_t (*ct_progress_fn)(void *user, int64_t done, int64_t total, double best, double eta_s);

/**
 * Create an optimizer over `feed` (borrowed: it must outlive the optimizer and stay unchanged)
 * and class `cls` (held: ct_strategy_unregister refuses a registered class with CT_E_STATE until
 * the optimizer is destroyed, as for a strategy of the class). Defaults: objective sharpe_ratio
 * maximized, min_trades 0, threads = cores, default engine settings, no space (set one before
 * running).
 * @param[out] out  destroyed with ct_optimizer_destroy; NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @threadsafety any thread. @since 0.1
 */
CT_API ct_status ct_optimizer_create(const ct_feed *feed, const ct_strategy_class *cls, ct_optimizer **out);

/** Destroy an optimizer. NULL is a no-op. Must not be running. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1 */
CT_API void ct_optimizer_destroy(ct_optimizer *o);

/** Message of the last failing non-const call on this optimizer ("" if none); the const
 *  accessors record their failures in ct_last_error only. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1 */
CT_API const char *ct_optimizer_errmsg(const ct_optimizer *o);

/**
 * Engine settings for every run, as ct_engine_configure_json (keys of DESIGN.md section 13).
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_FORMAT, CT_E_RANGE (the message names the key),
 *   CT_E_STATE (a merged table has no engine), CT_E_NOMEM. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_configure_engine_json(ct_optimizer *o, const char *json);

/**
 * The objective: any metric of the registry by name (ct_metric_find), maximized when
 * `maximize` is 1, minimized when 0. A table from an earlier run is dropped (its columns and
 * order belong to the old objective): run again before reading rows.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOT_FOUND (unknown metric, named), CT_E_STATE (a merged
 *   table), CT_E_NOMEM. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_set_objective(ct_optimizer *o, const char *metric, int32_t maximize);

/** The objective metric's name (owned by the optimizer) and direction (1 maximize, 0 minimize). @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1 */
CT_API const char *ct_optimizer_objective(const ct_optimizer *o);
CT_API int32_t ct_optimizer_maximize(const ct_optimizer *o);

/**
 * Rows with fewer closed trades than `min_trades` keep their metrics but have no objective:
 * they rank after every qualifying row, like rows whose objective is NaN.
 * @return CT_OK, CT_E_INVALID_ARG (negative). @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_set_min_trades(ct_optimizer *o, int64_t min_trades);

/** Worker threads (0 = the number of online cores). @return CT_OK, CT_E_INVALID_ARG. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1 */
CT_API ct_status ct_optimizer_set_threads(ct_optimizer *o, int32_t threads);

/**
 * Grid search space: a JSON object mapping parameter names to a list of values or a range
 * {"from": a, "to": b, "step": s} (inclusive end; integer parameters default to step 1; a
 * single number is a one-value list). Parameters left out take their defaults. Combination i
 * of the product has the first schema parameter varying slowest.
 * @return CT_OK; CT_E_FORMAT (not a JSON object); CT_E_INVALID_ARG (unknown parameter, wrong
 *   type, bad range); CT_E_RANGE (a value outside the schema's [min, max]); messages name the
 *   parameter. CT_E_STATE (a merged optimizer, which cannot run); CT_E_NOMEM. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_set_grid_json(ct_optimizer *o, const char *json);

/**
 * Random search: `n` samples drawn from the same kind of JSON space (lists: uniform choice;
 * ranges with a step: uniform on the steps; real ranges without a step: uniform on [from, to]).
 * Sample i depends only on (seed, i). Errors as ct_optimizer_set_grid_json (CT_E_STATE on a
 * merged optimizer included). @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_set_random_json(ct_optimizer *o, const char *json, int64_t n, uint64_t seed);

/**
 * Evaluate only shard `k` of `n` (0 <= k < n): the combinations whose index i has i % n == k.
 * n = 1 (default) evaluates everything. ct_optimizer_walkforward ignores the setting (each
 * window searches the whole space). @return CT_OK, CT_E_INVALID_ARG. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_set_shard(ct_optimizer *o, int64_t k, int64_t n);

/** Set (or clear with NULL) the progress callback. @return CT_OK, CT_E_INVALID_ARG. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1 */
CT_API ct_status ct_optimizer_set_progress(ct_optimizer *o, ct_progress_fn fn, void *user);

/**
 * Ask a running ct_optimizer_run / ct_optimizer_walkforward to stop; it returns CT_E_CANCELLED.
 * Each run clears the request when it starts, so a call made while no run is going has no effect.
 * @return CT_OK, CT_E_INVALID_ARG. @threadsafety callable from any thread. @since 0.1
 */
CT_API ct_status ct_optimizer_cancel(ct_optimizer *o);

/**
 * Run the search: every combination of the space (or of the shard) is backtested on the worker
 * threads (serially on the calling thread for CT_STRATEGY_THREAD_AFFINE classes); combinations
 * the class refuses (CT_E_RANGE) are skipped and counted. The table is sorted by objective
 * (best first, NaN and unqualified rows last), then combination index, and is bit-identical
 * for any thread count. Then the deflated Sharpe ratio of the best row and the PBO of the table
 * are computed (docs/optimizer.md). A previous table is replaced.
 * @return CT_OK; CT_E_STATE (no space set, or a merged table); CT_E_CANCELLED (the table is
 *   empty); CT_E_PLUGIN and others from the engine (the message names the combination);
 *   CT_E_NOMEM. @threadsafety one thread per optimizer. @since 0.1
 */
CT_API ct_status ct_optimizer_run(ct_optimizer *o);

/**
 * Counts of the last run: combinations in the whole space, evaluated (rows) and skipped (in
 * this shard). Outputs may be NULL. @return CT_OK, CT_E_INVALID_ARG. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_counts(const ct_optimizer *o, int64_t *total, int64_t *evaluated, int64_t *skipped);

/** Number of rows of the table (0 before a run). @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1 */
CT_API int64_t ct_optimizer_row_count(const ct_optimizer *o);

/**
 * Row `rank` (0 = best): its combination index and objective value (NaN when undefined or
 * below min_trades). Outputs may be NULL. @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_row(const ct_optimizer *o, int64_t rank, int64_t *index, double *objective);

/** Number of strategy parameters (schema order) and the name of parameter i (NULL out of range). @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1 */
CT_API int32_t ct_optimizer_param_count(const ct_optimizer *o);
CT_API const char *ct_optimizer_param_name(const ct_optimizer *o, int32_t i);

/**
 * Parameter values of row `rank`, schema order, count-then-copy (values NULL with cap 0 asks
 * for the count). @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_row_params(const ct_optimizer *o, int64_t rank, double *values, int32_t cap,
                                         int32_t *n_total);

/**
 * Parameters of row `rank` as a JSON object (the --params form of `cryptota backtest`).
 * @param[out] out  freed with ct_free. @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE, CT_E_NOMEM.
 * @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_row_params_json(const ct_optimizer *o, int64_t rank, char **out);

/** Number and names of the metrics kept per row (headline metrics plus the objective). @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1 */
CT_API int32_t ct_optimizer_metric_count(const ct_optimizer *o);
CT_API const char *ct_optimizer_metric_name(const ct_optimizer *o, int32_t i);

/**
 * Metrics of row `rank` in ct_optimizer_metric_name order, count-then-copy.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_row_metrics(const ct_optimizer *o, int64_t rank, double *values, int32_t cap,
                                          int32_t *n_total);

/** One metric of row `rank` by name. @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE, CT_E_NOT_FOUND. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1 */
CT_API ct_status ct_optimizer_row_metric(const ct_optimizer *o, int64_t rank, const char *name, double *value);

/**
 * Overfitting statistics of the table: the deflated Sharpe ratio of the best row and the
 * probability of backtest overfitting (CSCV, 16 blocks); NaN when undefined. Outputs may be NULL.
 * @return CT_OK, CT_E_INVALID_ARG. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_overfit(const ct_optimizer *o, double *dsr, double *pbo);

/**
 * The table as JSON (DESIGN.md section 13): {"objective", "maximize", "total", "evaluated",
 * "skipped", "best": {"index", "parameters", "metrics"}, "rows": [{"index", "parameters",
 * "metrics", "trial"}], "dsr", "pbo", ...} with rows in rank order; "trial" carries the per-row
 * statistics merging needs. Numbers have 17 significant digits (NaN is null).
 * @param[in]  top_k  rows to include (0 = all; a shard for merging needs all).
 * @param[out] out    freed with ct_free. @return CT_OK, CT_E_INVALID_ARG, CT_E_STATE (no table:
 *   not run yet, or dropped by a failed or cancelled run or an objective change), CT_E_NOMEM. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_json(const ct_optimizer *o, int64_t top_k, char **out);

/**
 * The table as CSV, one row per combination in rank order: index, the parameters, then the metrics.
 * @param[out] out  freed with ct_free. @return CT_OK, CT_E_INVALID_ARG, CT_E_STATE (no table, as
 *   ct_optimizer_json), CT_E_NOMEM. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_csv(const ct_optimizer *o, char **out);

/**
 * Merge shard documents (ct_optimizer_json outputs of the shards of one search) into the table
 * a single run gives, overfitting statistics included. The new optimizer holds only the table
 * (it cannot run). Shards must agree on strategy, space, objective and settings, cover every
 * shard exactly once, and be complete (top_k = 0).
 * @param[in]  docs    n_docs NUL-terminated JSON documents (borrowed for the call).
 * @param[out] out     destroyed with ct_optimizer_destroy; NULL on failure.
 * @return CT_OK; CT_E_FORMAT (not a shard document: names the document and key);
 *   CT_E_INVALID_ARG (mismatched or missing shards, duplicate rows); CT_E_NOMEM. @threadsafety any thread. @since 0.1
 */
CT_API ct_status ct_optimizer_merge_json(const char *const *docs, int32_t n_docs, ct_optimizer **out);

/* ---- walk-forward ---- */

/** Units of the walk-forward window lengths. */
enum {
    CT_WF_BARS = 0, /**< lengths are numbers of bars */
    CT_WF_MS = 1    /**< lengths are durations in milliseconds (windows follow bar times, gaps included) */
};

/**
 * Walk-forward analysis with the optimizer's space, objective, settings and threads. Windows:
 * train [s, s+train), purge gap, test [s+train+purge, +test), then s advances by `test`; with
 * `anchored` the train window always starts at the first bar (it grows). For each window the
 * space is searched on the train bars; the best parameters are then run on the test bars with
 * indicators warmed on all the bars before the test window (the run covers [train start, test
 * end) and trades only from the first test bar). The stitched out-of-sample equity chains the
 * test windows' returns, starting at the capital. The shard setting is ignored: each window
 * searches the whole space.
 * @param[in] train, test  window lengths in `unit` (train >= 2, test >= 1).
 * @param[in] purge        gap between train and test (>= 0).
 * @param[out] out         destroyed with ct_walkforward_destroy; NULL on failure.
 * @return CT_OK; CT_E_INVALID_ARG (bad lengths, unit); CT_E_RANGE (the feed is too short for
 *   one window, or a length is above 2^61); CT_E_STATE (no space, or a merged optimizer); CT_E_NOT_FOUND (no combination
 *   qualified in a window: names it); CT_E_CANCELLED; engine errors; CT_E_NOMEM. @threadsafety one thread at a time per optimizer (const accessors from several threads once it is not running). @since 0.1
 */
CT_API ct_status ct_optimizer_walkforward(ct_optimizer *o, int64_t train, int64_t test, int64_t purge,
                                          int32_t anchored, int32_t unit, ct_walkforward **out);

/*
 * A walk-forward result has no message of its own (no ct_walkforward_errmsg): its accessors are
 * const and record failures in the calling thread's ct_last_error only.
 */

/** Destroy a walk-forward result. NULL is a no-op. @threadsafety one thread at a time per walk-forward result; const accessors from several threads. @since 0.1 */
CT_API void ct_walkforward_destroy(ct_walkforward *wf);

/** Number of windows. @threadsafety one thread at a time per walk-forward result; const accessors from several threads. @since 0.1 */
CT_API int64_t ct_walkforward_window_count(const ct_walkforward *wf);

/**
 * Window i: bar ranges [train_lo, train_hi) and [test_lo, test_hi) (feed rows), the best
 * combination's index and its objective in sample and out of sample. Outputs may be NULL.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE. @threadsafety one thread at a time per walk-forward result; const accessors from several threads. @since 0.1
 */
CT_API ct_status ct_walkforward_window(const ct_walkforward *wf, int64_t i, int64_t *train_lo, int64_t *train_hi,
                                       int64_t *test_lo, int64_t *test_hi, int64_t *best_index,
                                       double *is_objective, double *oos_objective);

/** Parameters of window i's best combination, schema order, count-then-copy.
 *  @return CT_OK, CT_E_INVALID_ARG (wf NULL, cap < 0, or values NULL with cap > 0), CT_E_RANGE
 *  (i outside 0 .. ct_walkforward_window_count - 1).
 *  @threadsafety one thread at a time per walk-forward result; const accessors from several threads. @since 0.1 */
CT_API ct_status ct_walkforward_window_params(const ct_walkforward *wf, int64_t i, double *values, int32_t cap,
                                              int32_t *n_total);

/**
 * A metric of window i in sample (is_oos 0: the train run of the best) or out of sample
 * (is_oos 1: the test run). @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE, CT_E_NOT_FOUND. @threadsafety one thread at a time per walk-forward result; const accessors from several threads. @since 0.1
 */
CT_API ct_status ct_walkforward_window_metric(const ct_walkforward *wf, int64_t i, int32_t is_oos, const char *name,
                                              double *value);

/**
 * The stitched out-of-sample equity (one point per test bar, preceded by the capital at the
 * bar before the first test bar), count-then-copy (either array may be NULL to skip it).
 * @return CT_OK, CT_E_INVALID_ARG (NULL, cap < 0). @threadsafety one thread at a time per walk-forward result; const accessors from several threads. @since 0.1
 */
CT_API ct_status ct_walkforward_equity(const ct_walkforward *wf, int64_t *time_ms, double *equity, int64_t cap,
                                       int64_t *n_total);

/** A metric of the stitched out-of-sample equity (full metrics registry).
 *  @return CT_OK, CT_E_INVALID_ARG (a NULL argument), CT_E_NOT_FOUND (unknown metric).
 *  @threadsafety one thread at a time per walk-forward result; const accessors from several threads. @since 0.1 */
CT_API ct_status ct_walkforward_metric(const ct_walkforward *wf, const char *name, double *value);

/**
 * Walk-forward efficiency: the CAGR of the stitched out-of-sample equity divided by the mean
 * in-sample CAGR of the windows' best combinations (NaN when undefined).
 * @threadsafety one thread at a time per walk-forward result; const accessors from several threads. @since 0.1
 */
CT_API double ct_walkforward_efficiency(const ct_walkforward *wf);

/**
 * JSON: {"strategy", "objective", "maximize", "train", "test", "purge", "unit", "anchored",
 * "windows": [{"train": [lo, hi], "test": [lo, hi], "train_time_ms", "test_time_ms", "index",
 * "parameters", "is": {metrics}, "oos": {metrics}}], "oos_metrics", "efficiency",
 * "equity": [[time_ms, equity], ...]}.
 * @param[out] out freed with ct_free. @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @threadsafety one thread at a time per walk-forward result; const accessors from several threads. @since 0.1
 */
CT_API ct_status ct_walkforward_json(const ct_walkforward *wf, char **out);

/**
 * Write a self-contained HTML report (inline SVG): the windows on a time axis with their
 * in- and out-of-sample objective, the stitched equity, and the per-window table.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_IO, CT_E_NOMEM. @threadsafety one thread at a time per walk-forward result; const accessors from several threads. @since 0.1
 */
CT_API ct_status ct_walkforward_report_html(const ct_walkforward *wf, const char *path);

CT_EXTERN_C_END

#endif /* CRYPTOTA_OPTIMIZER_H */
