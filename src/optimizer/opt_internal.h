/*
 * Internals of the optimizer module (src/optimizer): overfitting statistics, search spaces,
 * a growable text buffer for JSON/CSV output. Never installed.
 */
#ifndef CT_OPT_INTERNAL_H
#define CT_OPT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "internal/ct_internal.h"

/* Number of CSCV blocks the optimizer uses (DESIGN.md section 9). */
#define CT__PBO_BLOCKS 16

/* ---- normal distribution (overfit.c) ---- */

/* Standard normal CDF, 0.5 * erfc(-x / sqrt 2). */
double ct__norm_cdf(double x);
/* Inverse standard normal CDF (Wichura's AS 241, PPND16: ~1e-16 relative). p outside (0,1)
 * gives -inf at 0, +inf at 1, NaN otherwise. */
double ct__norm_ppf(double p);

/*
 * Deflated Sharpe ratio (Bailey & Lopez de Prado 2014). All Sharpe ratios per period (not
 * annualized). sr: Sharpe of the selected trial; sr_var: variance of the trials' Sharpe ratios;
 * n_trials: number of trials; skew, excess_kurt: skewness and excess kurtosis (normal = 0, as
 * ct__trial_stats stores it) of the selected trial's returns; t: number of returns. Writes the benchmark SR0 (expected maximum Sharpe under
 * the null) to *sr0 (may be NULL). Returns the DSR, or NaN when undefined.
 */
double ct__dsr(double sr, double sr_var, int64_t n_trials, double skew, double excess_kurt, int64_t t,
               double *sr0);

/*
 * Probability of backtest overfitting by CSCV (Bailey, Borwein, Lopez de Prado & Zhu 2016) from
 * per-block statistics of each trial: sum[b*n + j] and sumsq[b*n + j] are the sum of returns and
 * of squared returns of trial j over block b (b < s, row-major s x n); count[b] is the number of
 * returns in block b (the same for every trial). The performance of a trial on a set of blocks is
 * its Sharpe ratio mean/std (ddof 1) over the union. s must be even, 2..30. *pbo is the fraction
 * of the C(s, s/2) splits whose logit is <= 0, NaN when undefined (fewer than 2 trials, or no
 * split with a finite in-sample Sharpe). *n_used (may be NULL) is the number of splits counted.
 * Returns CT_OK, CT_E_INVALID_ARG or CT_E_NOMEM.
 */
ct_status ct__pbo_blocks(const double *sum, const double *sumsq, const double *count, int64_t n, int32_t s,
                         double *pbo, int64_t *n_used, ct__err *err);

/* Boundaries of block b of s over t items: [ct__block_lo(b), ct__block_lo(b+1)). */
static inline int64_t ct__block_lo(int64_t t, int32_t s, int32_t b) { return (int64_t)((t * (int64_t)b) / s); }

/* ---- text buffer (buf.c) ---- */

typedef struct ct__sbuf {
    char *p;
    size_t len;
    size_t cap;
    int oom; /* sticky: an append failed */
} ct__sbuf;

void ct__sbuf_puts(ct__sbuf *b, const char *s);
void ct__sbuf_putn(ct__sbuf *b, const char *s, size_t n);
void ct__sbuf_printf(ct__sbuf *b, const char *fmt, ...) CT__PRINTF(2, 3);
/* A double in the shortest form (15 to 17 significant digits) that reads back exactly; NaN/inf as `null`. */
void ct__sbuf_num(ct__sbuf *b, double v);
/* A JSON string literal (quoted, escaped). */
void ct__sbuf_str(ct__sbuf *b, const char *s);
/* Hand the text to the caller (NUL-terminated, ct__malloc'ed) or NULL on out of memory. */
char *ct__sbuf_take(ct__sbuf *b);
void ct__sbuf_free(ct__sbuf *b);


/* ---- search spaces (space.c) ---- */

typedef struct ct_strategy_class ct_strategy_class;

typedef struct ct__space_param {
    int32_t schema_index;  /* position in the class schema */
    int32_t kind;          /* CT_PARAM_* */
    int64_t n_values;      /* grid values (a list, or a range materialized); random: list size, 0 for a range */
    double *values;
    int32_t is_range;      /* random search: sample the range */
    double from, to, step; /* random range (step 0: continuous for reals, 1 for ints) */
} ct__space_param;

typedef struct ct__space {
    int32_t n_schema;      /* parameters of the class */
    char **names;          /* schema names (owned copies) */
    int32_t *kinds;        /* schema kinds */
    double *defaults;      /* schema defaults (values of parameters left out of the space) */
    int32_t n_params;      /* parameters in the space, schema order */
    ct__space_param *p;
    int32_t random;
    uint64_t seed;
    int64_t total;         /* combinations (grid) or samples (random) */
    char *canonical;       /* canonical JSON of the space (for shard/merge consistency checks) */
} ct__space;

/* Parse a grid (random = 0) or random space (random = 1, n samples, seed) from JSON, checked
 * against the class schema. Errors name the parameter. */
ct_status ct__space_parse(ct__space *sp, const ct_strategy_class *cls, const char *json, int32_t random, int64_t n,
                          uint64_t seed, ct__err *err);
void ct__space_free(ct__space *sp);
/* The full parameter vector (n_schema values) of combination `index` (0 <= index < total). */
void ct__space_values(const ct__space *sp, int64_t index, double *vals);
/* Format a parameter value as JSON (ints without fraction, bools as true/false). */
void ct__sbuf_param(ct__sbuf *b, int32_t kind, double v);

/* ---- the optimizer (optimizer.c, merge.c, walkforward.c) ---- */

#include <stdatomic.h>

#include "cryptota/engine.h"
#include "cryptota/optimizer.h"

/* Per-row trial statistics: per-bar Sharpe (ddof 1), skewness, excess kurtosis, then the sums
 * and sums of squares of the returns over the CT__PBO_BLOCKS blocks. */
#define CT__TRIAL_W (3 + 2 * CT__PBO_BLOCKS)

typedef struct ct__table {
    int64_t n;          /* rows (evaluated combinations) */
    int64_t *index;     /* combination index of each row */
    double *key;        /* objective with "higher is better" sign; NaN = unranked */
    double *params;     /* n x n_params */
    double *metrics;    /* n x n_metrics */
    double *trial;      /* n x CT__TRIAL_W */
    int64_t *order;     /* rank -> row */
    double dsr;
    double pbo;
} ct__table;

struct ct_optimizer {
    ct__err err;
    const ct_feed *feed;
    const ct_strategy_class *cls;
    ct_engine *engine;             /* settings prototype (cloned per worker) */
    ct_indicator_cache *cache;     /* shared by all workers */
    char *strategy;
    char *symbol;
    int64_t interval_ms;
    char *config_json;             /* normalized engine config */
    int32_t n_params;
    char **param_names;
    int32_t *param_kinds;
    int32_t n_metrics;
    char **metric_names;
    int32_t *metric_reg;           /* registry index per column (-1 in a merged table) */
    int32_t obj_col;               /* objective's column */
    int32_t trades_col;            /* total_trades column */
    char *objective;
    int32_t maximize;
    int64_t min_trades;
    int32_t threads;
    ct__space space;
    int32_t has_space;
    int64_t shard_k;
    int64_t shard_n;
    ct_progress_fn progress;
    void *progress_user;
    /* a walk-forward's reports count over all its windows: the combinations of the windows
     * before, the whole run's total (0: a single search) and its start */
    int64_t prog_base, prog_total;
    double prog_t0;
    atomic_int cancel;
    int32_t merged;
    /* the table of the last run */
    int32_t has_run;
    int64_t total;
    int64_t evaluated;
    int64_t skipped;
    int64_t n_returns;
    double block_counts[CT__PBO_BLOCKS];
    ct__table tab;
};

void ct__table_free(ct__table *t);
ct_status ct__table_alloc(ct__table *t, int64_t n, int32_t n_params, int32_t n_metrics, ct__err *err);
/* Sort (rank order) and compute DSR and PBO. */
ct_status ct__table_finish(ct_optimizer *o, ct__table *t, ct__err *err);
/* Sort only (rank order), no statistics. */
ct_status ct__table_rank(ct__table *t, ct__err *err);
/* Allocate an optimizer shell with metadata only (merge). */
ct_optimizer *ct__optimizer_alloc(void);
/* Objective key of a row from its metrics (NaN when unranked). */
double ct__row_key(const ct_optimizer *o, const double *metrics);

/*
 * Search the space on `feed` (the optimizer's feed or a slice of it), all combinations of the
 * shard, into `tab` (rank order, DSR and PBO). trade_from > 0 is unused here (0).
 */
ct_status ct__optimizer_search(ct_optimizer *o, const ct_feed *feed, ct__table *tab, int64_t *evaluated,
                               int64_t *skipped, int64_t *n_returns, double *block_counts, int32_t all_shards);
/* Per-bar returns statistics of an equity curve into trial[CT__TRIAL_W]. scratch (n - 1 doubles,
 * may be NULL) keeps the returns between the two passes. */
void ct__trial_stats(const double *equity, int64_t n, double *trial, double *scratch);

#endif /* CT_OPT_INTERNAL_H */
