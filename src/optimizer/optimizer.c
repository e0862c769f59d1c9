/*
 * ct_optimizer: grid and random search over one feed and one strategy class on a pthread pool
 * (DESIGN.md section 9, docs/optimizer.md).
 *
 * Determinism: combination i always writes row slot i of the shard (the work queue hands out
 * indices, not slots), so the table does not depend on which worker ran what; it is then sorted
 * by objective and index. Memory: one engine, strategy and metric buffer per worker plus the
 * table (parameters, headline metrics and CT__TRIAL_W per-row statistics for the DSR and PBO).
 * Host callbacks (progress) run only on the calling thread.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cryptota/metrics.h"
#include "engine/engine_internal.h"
#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"
#include "optimizer/opt_internal.h"

/* Metrics kept per row, besides the objective (DESIGN.md section 9: "headline metrics"). */
static const char *const k_headline[] = {"total_return", "cagr",          "annual_volatility", "sharpe_ratio",
                                         "sortino_ratio", "max_drawdown", "calmar_ratio",      "win_rate",
                                         "profit_factor", "total_trades", "exposure",          "final_equity"};
#define N_HEADLINE ((int32_t)(sizeof(k_headline) / sizeof(k_headline[0])))

/* ---- table ---- */

void ct__table_free(ct__table *t)
{
    ct__free(t->index);
    ct__free(t->key);
    ct__free(t->params);
    ct__free(t->metrics);
    ct__free(t->trial);
    ct__free(t->order);
    memset(t, 0, sizeof(*t));
    t->dsr = t->pbo = NAN;
}

ct_status ct__table_alloc(ct__table *t, int64_t n, int32_t n_params, int32_t n_metrics, ct__err *err)
{
    memset(t, 0, sizeof(*t));
    t->dsr = t->pbo = NAN;
    size_t m = (size_t)(n > 0 ? n : 1);
    t->index = ct__malloc_array(m, sizeof(int64_t));
    t->key = ct__malloc_array(m, sizeof(double));
    t->params = ct__malloc_array(m * (size_t)(n_params > 0 ? n_params : 1), sizeof(double));
    t->metrics = ct__malloc_array(m * (size_t)(n_metrics > 0 ? n_metrics : 1), sizeof(double));
    t->trial = ct__malloc_array(m * CT__TRIAL_W, sizeof(double));
    t->order = ct__malloc_array(m, sizeof(int64_t));
    if (!t->index || !t->key || !t->params || !t->metrics || !t->trial || !t->order) {
        ct__table_free(t);
        return ct__fail(err, CT_E_NOMEM, "optimizer: out of memory for a table of %lld rows", (long long)n);
    }
    t->n = n;
    return CT_OK;
}

double ct__row_key(const ct_optimizer *o, const double *metrics)
{
    double v = metrics[o->obj_col];
    if (isnan(v))
        return NAN;
    if (o->min_trades > 0 && !(metrics[o->trades_col] >= (double)o->min_trades))
        return NAN;
    return o->maximize ? v : -v;
}

/* Rank order: finite keys first (descending; +inf counts as finite), NaN last; ties by index. */
static int row_before(const ct__table *t, int64_t a, int64_t b)
{
    double ka = t->key[a], kb = t->key[b];
    int na = isnan(ka), nb = isnan(kb);
    if (na != nb)
        return nb;
    if (!na && ka != kb)
        return ka > kb;
    return t->index[a] < t->index[b];
}

/* Merge sort of the order array (stable, no global state, deterministic). */
static ct_status sort_rows(ct__table *t, ct__err *err)
{
    int64_t n = t->n;
    for (int64_t i = 0; i < n; i++)
        t->order[i] = i;
    if (n < 2)
        return CT_OK;
    int64_t *tmp = ct__malloc_array((size_t)n, sizeof(int64_t));
    if (!tmp)
        return ct__fail(err, CT_E_NOMEM, "optimizer: out of memory sorting %lld rows", (long long)n);
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = row_before(t, t->order[j], t->order[i]) ? t->order[j++] : t->order[i++];
            while (i < mid)
                tmp[k++] = t->order[i++];
            while (j < hi)
                tmp[k++] = t->order[j++];
        }
        memcpy(t->order, tmp, (size_t)n * sizeof(int64_t));
    }
    ct__free(tmp);
    return CT_OK;
}

ct_status ct__table_rank(ct__table *t, ct__err *err) { return sort_rows(t, err); }

/*
 * DSR of the best row: its per-bar Sharpe, skew and kurtosis against the variance (ddof 1) of
 * the finite per-bar Sharpe ratios of all rows, N = their number, T = number of returns.
 * PBO: CSCV over the per-block sums of every row (rows in combination-index order, so a merged
 * table gives the same matrix as a single run).
 */
ct_status ct__table_finish(ct_optimizer *o, ct__table *t, ct__err *err)
{
    ct_status st = sort_rows(t, err);
    if (st != CT_OK)
        return st;
    t->dsr = t->pbo = NAN;
    if (t->n < 1 || o->n_returns < 2)
        return CT_OK;
    /* rows are stored in index order (search and merge both fill them so) */
    for (int64_t i = 1; i < t->n; i++)
        if (t->index[i] <= t->index[i - 1])
            return ct__fail(err, CT_E_INTERNAL, "optimizer: rows are not in index order");
    int64_t nf = 0;
    double mean = 0.0, m2 = 0.0;
    for (int64_t i = 0; i < t->n; i++) {
        double sr = t->trial[(size_t)i * CT__TRIAL_W];
        if (!isfinite(sr))
            continue;
        nf++;
        double d = sr - mean;
        mean += d / (double)nf;
        m2 += d * (sr - mean);
    }
    const double *best = t->trial + (size_t)t->order[0] * CT__TRIAL_W;
    if (nf >= 1 && !isnan(t->key[t->order[0]])) {
        double var = nf > 1 ? m2 / (double)(nf - 1) : 0.0;
        t->dsr = ct__dsr(best[0], var, nf, best[1], best[2], o->n_returns, NULL);
    }
    if (t->n >= 2 && o->n_returns >= 2 * CT__PBO_BLOCKS) {
        size_t sn = (size_t)CT__PBO_BLOCKS * (size_t)t->n;
        double *sum = ct__malloc_array(sn, sizeof(double));
        double *sq = ct__malloc_array(sn, sizeof(double));
        if (!sum || !sq) {
            ct__free(sum);
            ct__free(sq);
            return ct__fail(err, CT_E_NOMEM, "optimizer: out of memory for the PBO matrix");
        }
        for (int64_t j = 0; j < t->n; j++)
            for (int32_t b = 0; b < CT__PBO_BLOCKS; b++) {
                sum[(size_t)b * (size_t)t->n + (size_t)j] = t->trial[(size_t)j * CT__TRIAL_W + 3 + (size_t)b];
                sq[(size_t)b * (size_t)t->n + (size_t)j] =
                    t->trial[(size_t)j * CT__TRIAL_W + 3 + CT__PBO_BLOCKS + (size_t)b];
            }
        st = ct__pbo_blocks(sum, sq, o->block_counts, t->n, CT__PBO_BLOCKS, &t->pbo, NULL, err);
        ct__free(sum);
        ct__free(sq);
    }
    return st;
}

void ct__trial_stats(const double *eq, int64_t n, double *trial, double *scratch)
{
    int64_t t = n - 1;
    for (int k = 0; k < CT__TRIAL_W; k++)
        trial[k] = 0.0;
    trial[0] = trial[1] = trial[2] = NAN;
    if (t < 1)
        return;
    /* pass 1: returns (kept in scratch when given) and block sums */
    double total = 0.0;
    for (int32_t b = 0; b < CT__PBO_BLOCKS; b++) {
        int64_t lo = ct__block_lo(t, CT__PBO_BLOCKS, b), hi = ct__block_lo(t, CT__PBO_BLOCKS, b + 1);
        double s1 = 0.0, s2 = 0.0;
        for (int64_t i = lo; i < hi; i++) {
            double r = eq[i + 1] / eq[i] - 1.0;
            if (scratch)
                scratch[i] = r;
            s1 += r;
            s2 += r * r;
        }
        trial[3 + b] = s1;
        trial[3 + CT__PBO_BLOCKS + b] = s2;
        total += s1;
    }
    /* pass 2: central moments (accurate for small means) */
    double mean = total / (double)t, c2 = 0.0, c3 = 0.0, c4 = 0.0;
    for (int64_t i = 0; i < t; i++) {
        double d = (scratch ? scratch[i] : eq[i + 1] / eq[i] - 1.0) - mean, d2 = d * d;
        c2 += d2;
        c3 += d2 * d;
        c4 += d2 * d2;
    }
    if (t >= 2 && c2 > 0.0) {
        trial[0] = mean / sqrt(c2 / (double)(t - 1));
        double m2 = c2 / (double)t;
        trial[1] = (c3 / (double)t) / (m2 * sqrt(m2));
        trial[2] = (c4 / (double)t) / (m2 * m2) - 3.0;
    }
}

/* ---- construction and settings ---- */

ct_optimizer *ct__optimizer_alloc(void)
{
    ct_optimizer *o = ct__calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    o->maximize = 1;
    o->shard_n = 1;
    o->tab.dsr = o->tab.pbo = NAN;
    atomic_init(&o->cancel, 0);
    return o;
}

static void free_names(char **names, int32_t n)
{
    if (names)
        for (int32_t i = 0; i < n; i++)
            ct__free(names[i]);
    ct__free(names);
}

void ct_optimizer_destroy(ct_optimizer *o)
{
    if (!o)
        return;
    if (o->cls) /* the reference taken by ct_optimizer_create (a merged table has no class) */
        ct__class_ref(o->cls, -1);
    ct_engine_destroy(o->engine);
    ct_indicator_cache_destroy(o->cache);
    ct__free(o->strategy);
    ct__free(o->symbol);
    ct__free(o->config_json);
    free_names(o->param_names, o->n_params);
    ct__free(o->param_kinds);
    free_names(o->metric_names, o->n_metrics);
    ct__free(o->metric_reg);
    ct__free(o->objective);
    ct__space_free(&o->space);
    ct__table_free(&o->tab);
    ct__free(o);
}

const char *ct_optimizer_errmsg(const ct_optimizer *o) { return o ? ct__errmsg(&o->err) : ""; }

/* JSON text reprinted by cJSON (ct__malloc'ed), so that documents written here and documents
 * rebuilt by merge from parsed shards agree byte-wise. NULL on failure. */
static char *normalize_json(const char *raw)
{
    cJSON *j = cJSON_Parse(raw);
    char *txt = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!txt)
        return NULL;
    char *c = ct__strdup(txt);
    cJSON_free(txt);
    return c;
}

static ct_status refresh_config(ct_optimizer *o)
{
    char *raw = NULL;
    ct_status st = ct_engine_config_json(o->engine, &raw);
    if (st != CT_OK)
        return ct__propagate(&o->err, st);
    char *c = normalize_json(raw);
    ct_free(raw);
    if (!c)
        return ct__fail(&o->err, CT_E_NOMEM, "optimizer: out of memory");
    ct__free(o->config_json);
    o->config_json = c;
    return CT_OK;
}

/* Metric columns: the headline list plus the objective when it is not in it. */
static ct_status set_columns(ct_optimizer *o, const char *objective)
{
    int32_t obj = ct_metric_find(objective);
    if (obj < 0)
        return ct__fail(&o->err, CT_E_NOT_FOUND, "optimizer: unknown metric '%s' (see cryptota metrics)", objective);
    int32_t extra = 1;
    for (int32_t i = 0; i < N_HEADLINE; i++)
        if (strcmp(k_headline[i], ct_metric_name(obj)) == 0)
            extra = 0;
    int32_t n = N_HEADLINE + extra;
    char **names = ct__calloc((size_t)n, sizeof(char *));
    int32_t *reg = ct__calloc((size_t)n, sizeof(int32_t));
    char *objname = ct__strdup(ct_metric_name(obj));
    int ok = names && reg && objname;
    for (int32_t i = 0; ok && i < n; i++) {
        const char *nm = i < N_HEADLINE ? k_headline[i] : ct_metric_name(obj);
        reg[i] = ct_metric_find(nm);
        names[i] = ct__strdup(nm);
        ok = names[i] != NULL && reg[i] >= 0;
    }
    if (!ok) {
        free_names(names, n);
        ct__free(reg);
        ct__free(objname);
        return ct__fail(&o->err, CT_E_NOMEM, "optimizer: out of memory");
    }
    free_names(o->metric_names, o->n_metrics);
    ct__free(o->metric_reg);
    ct__free(o->objective);
    o->metric_names = names;
    o->metric_reg = reg;
    o->n_metrics = n;
    o->objective = objname;
    for (int32_t i = 0; i < n; i++) {
        if (reg[i] == obj)
            o->obj_col = i;
        if (strcmp(names[i], "total_trades") == 0)
            o->trades_col = i;
    }
    return CT_OK;
}

ct_status ct_optimizer_create(const ct_feed *feed, const ct_strategy_class *cls, ct_optimizer **out)
{
    if (out)
        *out = NULL;
    if (!feed || !cls || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_optimizer_create: %s is NULL", !feed ? "feed" : !cls ? "cls" : "out");
    ct_optimizer *o = ct__optimizer_alloc();
    if (!o)
        return ct__fail(NULL, CT_E_NOMEM, "ct_optimizer_create: out of memory");
    ct_status st;
    o->feed = feed;
    /* Held like a strategy holds its class: ct_strategy_unregister refuses (CT_E_STATE) while
     * the optimizer exists, since its runs create strategies from the class. */
    o->cls = cls;
    ct__class_ref(cls, 1);
    o->interval_ms = ct_feed_interval_ms(feed);
    o->strategy = ct__strdup(ct_strategy_class_name(cls));
    o->symbol = ct__strdup(ct_feed_symbol(feed));
    o->n_params = ct_strategy_class_n_params(cls);
    o->param_names = ct__calloc((size_t)(o->n_params > 0 ? o->n_params : 1), sizeof(char *));
    o->param_kinds = ct__calloc((size_t)(o->n_params > 0 ? o->n_params : 1), sizeof(int32_t));
    if (!o->strategy || !o->symbol || !o->param_names || !o->param_kinds)
        goto nomem;
    for (int32_t i = 0; i < o->n_params; i++) {
        const char *name = NULL;
        ct_strategy_class_param(cls, i, &name, &o->param_kinds[i], NULL, NULL, NULL, NULL, NULL);
        if (!(o->param_names[i] = ct__strdup(name)))
            goto nomem;
    }
    if ((st = ct_engine_create(&o->engine)) != CT_OK || (st = ct_indicator_cache_create(&o->cache)) != CT_OK ||
        (st = refresh_config(o)) != CT_OK || (st = set_columns(o, "sharpe_ratio")) != CT_OK) {
        ct_optimizer_destroy(o);
        return ct__propagate(NULL, st);
    }
    *out = o;
    return CT_OK;
nomem:
    ct_optimizer_destroy(o);
    return ct__fail(NULL, CT_E_NOMEM, "ct_optimizer_create: out of memory");
}

#define CHECK_O(o)                                                                         \
    do {                                                                                   \
        if (!(o))                                                                          \
            return ct__fail(NULL, CT_E_INVALID_ARG, "%s: optimizer is NULL", __func__);   \
    } while (0)

ct_status ct_optimizer_configure_engine_json(ct_optimizer *o, const char *json)
{
    CHECK_O(o);
    if (o->merged)
        return ct__fail(&o->err, CT_E_STATE, "optimizer: a merged table has no engine");
    if (!json)
        return ct__fail(&o->err, CT_E_INVALID_ARG, "optimizer: json is NULL");
    ct_status st = ct_engine_configure_json(o->engine, json);
    if (st != CT_OK)
        return ct__propagate(&o->err, st);
    return refresh_config(o);
}

ct_status ct_optimizer_set_objective(ct_optimizer *o, const char *metric, int32_t maximize)
{
    CHECK_O(o);
    if (!metric)
        return ct__fail(&o->err, CT_E_INVALID_ARG, "optimizer: metric is NULL");
    if (o->merged)
        return ct__fail(&o->err, CT_E_STATE, "optimizer: a merged table cannot change its objective");
    ct_status st = set_columns(o, metric);
    if (st != CT_OK)
        return st;
    o->maximize = maximize ? 1 : 0;
    /* the last run's table has the old columns and order: dropped, the next run makes a new one */
    ct__table_free(&o->tab);
    o->has_run = 0;
    return CT_OK;
}

const char *ct_optimizer_objective(const ct_optimizer *o) { return o && o->objective ? o->objective : ""; }

int32_t ct_optimizer_maximize(const ct_optimizer *o) { return o ? o->maximize : 0; }

ct_status ct_optimizer_set_min_trades(ct_optimizer *o, int64_t min_trades)
{
    CHECK_O(o);
    if (min_trades < 0)
        return ct__fail(&o->err, CT_E_INVALID_ARG, "optimizer: min_trades %lld is negative", (long long)min_trades);
    o->min_trades = min_trades;
    return CT_OK;
}

ct_status ct_optimizer_set_threads(ct_optimizer *o, int32_t threads)
{
    CHECK_O(o);
    if (threads < 0 || threads > 1024)
        return ct__fail(&o->err, CT_E_INVALID_ARG, "optimizer: threads %d must be in 0..1024", (int)threads);
    o->threads = threads;
    return CT_OK;
}

static ct_status set_space(ct_optimizer *o, const char *json, int32_t random, int64_t n, uint64_t seed)
{
    CHECK_O(o);
    if (o->merged)
        return ct__fail(&o->err, CT_E_STATE, "optimizer: a merged table cannot run");
    ct__space sp;
    ct_status st = ct__space_parse(&sp, o->cls, json, random, n, seed, &o->err);
    if (st != CT_OK)
        return st;
    char *c = normalize_json(sp.canonical);
    if (!c) {
        ct__space_free(&sp);
        return ct__fail(&o->err, CT_E_NOMEM, "optimizer: out of memory");
    }
    ct__free(sp.canonical);
    sp.canonical = c;
    ct__space_free(&o->space);
    o->space = sp;
    o->has_space = 1;
    return CT_OK;
}

ct_status ct_optimizer_set_grid_json(ct_optimizer *o, const char *json) { return set_space(o, json, 0, 0, 0); }

ct_status ct_optimizer_set_random_json(ct_optimizer *o, const char *json, int64_t n, uint64_t seed)
{
    return set_space(o, json, 1, n, seed);
}

ct_status ct_optimizer_set_shard(ct_optimizer *o, int64_t k, int64_t n)
{
    CHECK_O(o);
    if (n < 1 || k < 0 || k >= n)
        return ct__fail(&o->err, CT_E_INVALID_ARG, "optimizer: shard %lld of %lld: need 0 <= k < n", (long long)k,
                        (long long)n);
    o->shard_k = k;
    o->shard_n = n;
    return CT_OK;
}

ct_status ct_optimizer_set_progress(ct_optimizer *o, ct_progress_fn fn, void *user)
{
    CHECK_O(o);
    o->progress = fn;
    o->progress_user = user;
    return CT_OK;
}

ct_status ct_optimizer_cancel(ct_optimizer *o)
{
    CHECK_O(o);
    atomic_store(&o->cancel, 1);
    return CT_OK;
}

/* ---- the search ---- */

typedef struct search_job search_job;

typedef struct worker {
    search_job *job;
    pthread_t thread;
    int started;
    ct_engine *eng;
    ct_strategy *strat;
    double *vals;
    double *mall;
    double *rbuf; /* the returns of the current run (feed length) */
} worker;

struct search_job {
    ct_optimizer *o;
    const ct_feed *feed;
    int64_t first;         /* first index of the shard */
    int64_t stride;        /* shard count */
    int64_t count;         /* combinations in this job */
    /* outputs by slot (slot s <-> index first + s * stride) */
    uint8_t *state;        /* 0 pending, 1 evaluated, 2 skipped */
    double *params;
    double *metrics;
    double *trial;
    /* shared progress, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t next;          /* next slot to hand out */
    int64_t done;
    int64_t running;       /* workers still running */
    double best_key;
    ct_status fail;        /* first failure by slot */
    int64_t fail_slot;
    char fail_msg[CT__ERRMSG_SIZE];
};

static ct_status worker_init(worker *w, ct_optimizer *o, int64_t nbars, ct__err *err)
{
    ct_status st;
    if ((st = ct_engine_clone(o->engine, &w->eng)) != CT_OK || (st = ct_strategy_create(o->cls, &w->strat)) != CT_OK)
        return ct__propagate(err, st);
    if ((st = ct_engine_set_indicator_cache(w->eng, o->cache)) != CT_OK)
        return ct__propagate(err, st);
    w->vals = ct__malloc_array((size_t)(o->n_params > 0 ? o->n_params : 1), sizeof(double));
    w->mall = ct__malloc_array((size_t)ct_metric_count(), sizeof(double));
    w->rbuf = ct__malloc_array((size_t)(nbars > 0 ? nbars : 1), sizeof(double));
    if (!w->vals || !w->mall || !w->rbuf)
        return ct__fail(err, CT_E_NOMEM, "optimizer: out of memory");
    return CT_OK;
}

static void worker_free(worker *w)
{
    ct_engine_destroy(w->eng);
    ct_strategy_destroy(w->strat);
    ct__free(w->vals);
    ct__free(w->mall);
    ct__free(w->rbuf);
    w->eng = NULL;
    w->strat = NULL;
    w->vals = w->mall = w->rbuf = NULL;
}

/* Evaluate the combination of `slot`: CT_OK (state 1 or 2) or a failure with its message in err. */
static ct_status eval_slot(worker *w, int64_t slot, ct__err *err)
{
    search_job *j = w->job;
    ct_optimizer *o = j->o;
    int64_t index = j->first + slot * j->stride;
    ct__space_values(&o->space, index, w->vals);
    ct_status st;
    for (int32_t p = 0; p < o->n_params; p++)
        if ((st = ct_strategy_set_f64(w->strat, o->param_names[p], w->vals[p])) != CT_OK)
            return ct__fail(err, st, "combination %lld: %s", (long long)index, ct_strategy_errmsg(w->strat));
    ct_result *res = NULL;
    st = ct_engine_run(w->eng, j->feed, w->strat, &res);
    if (st == CT_E_RANGE) {
        j->state[slot] = 2;
        return CT_OK;
    }
    if (st != CT_OK)
        return ct__fail(err, st, "combination %lld: %s", (long long)index, ct_engine_errmsg(w->eng));
    /* only the row's metrics: the costly groups (percentiles, stability) are skipped when unused */
    st = ct__metrics_compute_select(res, o->metric_reg, o->n_metrics, w->mall);
    if (st != CT_OK) {
        ct_result_destroy(res);
        return ct__fail(err, st, "combination %lld: metrics: %s", (long long)index, ct_last_error());
    }
    double *prow = j->params + (size_t)slot * (size_t)(o->n_params > 0 ? o->n_params : 1);
    double *mrow = j->metrics + (size_t)slot * (size_t)o->n_metrics;
    memcpy(prow, w->vals, (size_t)o->n_params * sizeof(double));
    for (int32_t c = 0; c < o->n_metrics; c++)
        mrow[c] = w->mall[o->metric_reg[c]];
    ct__trial_stats(res->equity, res->n, j->trial + (size_t)slot * CT__TRIAL_W,
                    res->n <= ct_feed_len(j->feed) ? w->rbuf : NULL);
    ct_result_destroy(res);
    j->state[slot] = 1;
    return CT_OK;
}

/* Claim slots until none is left, the job failed or was cancelled. */
static void worker_loop(worker *w)
{
    search_job *j = w->job;
    ct_optimizer *o = j->o;
    ct__err err = {{0}};
    for (;;) {
        pthread_mutex_lock(&j->mu);
        int64_t slot = j->next;
        int stop = slot >= j->count || j->fail != CT_OK || atomic_load(&o->cancel);
        if (!stop)
            j->next++;
        pthread_mutex_unlock(&j->mu);
        if (stop)
            break;
        ct_status st = eval_slot(w, slot, &err);
        pthread_mutex_lock(&j->mu);
        j->done++;
        if (st != CT_OK && (j->fail == CT_OK || slot < j->fail_slot)) {
            j->fail = st;
            j->fail_slot = slot;
            memcpy(j->fail_msg, err.msg, sizeof(j->fail_msg));
        }
        if (st == CT_OK && j->state[slot] == 1) {
            double k = ct__row_key(o, j->metrics + (size_t)slot * (size_t)o->n_metrics);
            if (!isnan(k) && (isnan(j->best_key) || k > j->best_key))
                j->best_key = k;
        }
        pthread_cond_signal(&j->cv);
        pthread_mutex_unlock(&j->mu);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    (void)ct__metrics_serial(1); /* every core has a worker already */
    worker_loop(w);
    pthread_mutex_lock(&w->job->mu);
    w->job->running--;
    pthread_cond_signal(&w->job->cv);
    pthread_mutex_unlock(&w->job->mu);
    return NULL;
}

/* Progress report on the calling thread; returns 1 when the host asks to cancel. */
static int report(search_job *j, double t0)
{
    ct_optimizer *o = j->o;
    if (!o->progress)
        return 0;
    pthread_mutex_lock(&j->mu);
    int64_t done = j->done;
    double best = j->best_key;
    pthread_mutex_unlock(&j->mu);
    int64_t total = j->count;
    if (o->prog_total > 0) { /* a walk-forward window: the whole run's counts and time */
        done += o->prog_base;
        total = o->prog_total;
        t0 = o->prog_t0;
    }
    double el = ct__mono_s() - t0;
    double eta = done > 0 ? el / (double)done * (double)(total - done) : (double)NAN;
    if (!isnan(best) && !o->maximize)
        best = -best;
    return o->progress(o->progress_user, done, total, best, eta) != 0;
}

ct_status ct__optimizer_search(ct_optimizer *o, const ct_feed *feed, ct__table *tab, int64_t *evaluated,
                               int64_t *skipped, int64_t *n_returns, double *block_counts, int32_t all_shards)
{
    search_job j;
    memset(&j, 0, sizeof(j));
    j.o = o;
    j.feed = feed;
    j.first = all_shards ? 0 : o->shard_k;
    j.stride = all_shards ? 1 : o->shard_n;
    j.count = o->space.total > j.first ? (o->space.total - j.first + j.stride - 1) / j.stride : 0;
    j.best_key = NAN;
    j.fail_slot = -1;
    size_t cnt = (size_t)(j.count > 0 ? j.count : 1);
    size_t np = (size_t)(o->n_params > 0 ? o->n_params : 1);
    ct_status st = CT_OK;
    int64_t nw = o->threads > 0 ? o->threads : ct__online_cpus();
    int affine = (ct_strategy_class_flags(o->cls) & CT_STRATEGY_THREAD_AFFINE) != 0;
    if (affine)
        nw = 1;
    if (nw > j.count)
        nw = j.count > 0 ? j.count : 1;
    worker *ws = ct__calloc((size_t)nw, sizeof(worker));
    j.state = ct__calloc(cnt, 1);
    j.params = ct__malloc_array(cnt * np, sizeof(double));
    j.metrics = ct__malloc_array(cnt * (size_t)o->n_metrics, sizeof(double));
    j.trial = ct__malloc_array(cnt * CT__TRIAL_W, sizeof(double));
    if (!ws || !j.state || !j.params || !j.metrics || !j.trial) {
        st = ct__fail(&o->err, CT_E_NOMEM, "optimizer: out of memory for %lld combinations", (long long)j.count);
        goto out_free;
    }
    for (int64_t i = 0; i < nw; i++) {
        ws[i].job = &j;
        if ((st = worker_init(&ws[i], o, ct_feed_len(feed), &o->err)) != CT_OK)
            goto out_free;
    }
    if (pthread_mutex_init(&j.mu, NULL) != 0) {
        st = ct__fail(&o->err, CT_E_INTERNAL, "optimizer: pthread_mutex_init failed");
        goto out_free;
    }
    if (pthread_cond_init(&j.cv, NULL) != 0) {
        pthread_mutex_destroy(&j.mu);
        st = ct__fail(&o->err, CT_E_INTERNAL, "optimizer: pthread_cond_init failed");
        goto out_free;
    }
    double t0 = ct__mono_s();
    if (affine || nw == 1) {
        /* serial on the calling thread (thread-affine classes must stay here), with no metric
         * helper threads either */
        const int was_serial = ct__metrics_serial(1);
        double last = t0;
        ct__err err = {{0}};
        for (int64_t s = 0; s < j.count; s++) {
            if (atomic_load(&o->cancel))
                break;
            ct_status e = eval_slot(&ws[0], s, &err);
            j.done++;
            if (e != CT_OK) {
                j.fail = e;
                memcpy(j.fail_msg, err.msg, sizeof(j.fail_msg));
                break;
            }
            if (j.state[s] == 1) {
                double k = ct__row_key(o, j.metrics + (size_t)s * (size_t)o->n_metrics);
                if (!isnan(k) && (isnan(j.best_key) || k > j.best_key))
                    j.best_key = k;
            }
            double now = ct__mono_s();
            if (o->progress && (now - last >= 0.1 || s + 1 == j.count)) {
                last = now;
                if (report(&j, t0))
                    atomic_store(&o->cancel, 1);
            }
        }
        (void)ct__metrics_serial(was_serial);
    } else {
        j.running = 0;
        for (int64_t i = 0; i < nw; i++) {
            pthread_mutex_lock(&j.mu);
            j.running++;
            pthread_mutex_unlock(&j.mu);
            if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
                pthread_mutex_lock(&j.mu);
                j.running--;
                if (j.fail == CT_OK) {
                    j.fail = CT_E_INTERNAL;
                    j.fail_slot = -1;
                    snprintf(j.fail_msg, sizeof(j.fail_msg), "optimizer: cannot start worker thread %lld",
                             (long long)i);
                }
                pthread_mutex_unlock(&j.mu);
                break;
            }
            ws[i].started = 1;
        }
        /* wait, reporting progress every 100 ms (workers signal each finished combination) */
        double last_report = t0;
        pthread_mutex_lock(&j.mu);
        while (j.running > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&j.cv, &j.mu, &ts);
            double now = ct__mono_s();
            if (o->progress && j.running > 0 && !atomic_load(&o->cancel) && now - last_report >= 0.1) {
                last_report = now;
                pthread_mutex_unlock(&j.mu);
                if (report(&j, t0))
                    atomic_store(&o->cancel, 1);
                pthread_mutex_lock(&j.mu);
            }
        }
        pthread_mutex_unlock(&j.mu);
        for (int64_t i = 0; i < nw; i++)
            if (ws[i].started)
                pthread_join(ws[i].thread, NULL);
        if (o->progress && j.fail == CT_OK && !atomic_load(&o->cancel) && report(&j, t0))
            atomic_store(&o->cancel, 1);
    }
    pthread_cond_destroy(&j.cv);
    pthread_mutex_destroy(&j.mu);
    if (j.fail != CT_OK) {
        st = ct__fail(&o->err, j.fail, "%s", j.fail_msg);
        goto out_free;
    }
    if (atomic_load(&o->cancel)) {
        st = ct__fail(&o->err, CT_E_CANCELLED, "optimizer: cancelled after %lld of %lld combinations",
                      (long long)j.done, (long long)j.count);
        goto out_free;
    }
    /* compact the evaluated slots (index order) into the table */
    int64_t nev = 0, nsk = 0;
    for (int64_t s = 0; s < j.count; s++) {
        if (j.state[s] == 1)
            nev++;
        else
            nsk++;
    }
    if ((st = ct__table_alloc(tab, nev, o->n_params, o->n_metrics, &o->err)) != CT_OK)
        goto out_free;
    int64_t r = 0;
    for (int64_t s = 0; s < j.count; s++) {
        if (j.state[s] != 1)
            continue;
        tab->index[r] = j.first + s * j.stride;
        memcpy(tab->params + (size_t)r * np, j.params + (size_t)s * np, np * sizeof(double));
        memcpy(tab->metrics + (size_t)r * (size_t)o->n_metrics, j.metrics + (size_t)s * (size_t)o->n_metrics,
               (size_t)o->n_metrics * sizeof(double));
        memcpy(tab->trial + (size_t)r * CT__TRIAL_W, j.trial + (size_t)s * CT__TRIAL_W, CT__TRIAL_W * sizeof(double));
        tab->key[r] = ct__row_key(o, tab->metrics + (size_t)r * (size_t)o->n_metrics);
        r++;
    }
    /* block layout of the returns (the same for every trial on this feed) */
    int64_t nbars = ct_feed_len(feed);
    *n_returns = nbars > 1 ? nbars - 1 : 0;
    for (int32_t b = 0; b < CT__PBO_BLOCKS; b++)
        block_counts[b] = *n_returns > 0 ? (double)(ct__block_lo(*n_returns, CT__PBO_BLOCKS, b + 1) -
                                                    ct__block_lo(*n_returns, CT__PBO_BLOCKS, b))
                                         : 0.0;
    *evaluated = nev;
    *skipped = nsk;
out_free:
    if (ws)
        for (int64_t i = 0; i < nw; i++)
            worker_free(&ws[i]);
    ct__free(ws);
    ct__free(j.state);
    ct__free(j.params);
    ct__free(j.metrics);
    ct__free(j.trial);
    return st;
}

ct_status ct_optimizer_run(ct_optimizer *o)
{
    CHECK_O(o);
    if (o->merged)
        return ct__fail(&o->err, CT_E_STATE, "optimizer: a merged table cannot run");
    if (!o->has_space)
        return ct__fail(&o->err, CT_E_STATE, "optimizer: no search space (ct_optimizer_set_grid_json)");
    atomic_store(&o->cancel, 0);
    ct__table_free(&o->tab);
    o->has_run = 0;
    o->evaluated = o->skipped = 0;
    ct__table tab;
    memset(&tab, 0, sizeof(tab));
    int64_t nev = 0, nsk = 0, nret = 0;
    double bc[CT__PBO_BLOCKS];
    ct_status st = ct__optimizer_search(o, o->feed, &tab, &nev, &nsk, &nret, bc, 0);
    if (st != CT_OK)
        return st;
    o->n_returns = nret;
    memcpy(o->block_counts, bc, sizeof(bc));
    if ((st = ct__table_finish(o, &tab, &o->err)) != CT_OK) {
        ct__table_free(&tab);
        return st;
    }
    o->tab = tab;
    o->total = o->space.total;
    o->evaluated = nev;
    o->skipped = nsk;
    o->has_run = 1;
    return CT_OK;
}

/* ---- accessors ----
 *
 * The const calls below may run on several threads at once (optimizer.h), so a failure is
 * recorded in the calling thread's slot only (ct__fail(NULL, ...), read with ct_last_error):
 * writing o->err would race between the readers. ct_optimizer_errmsg keeps the message of
 * the last failing non-const call. */

ct_status ct_optimizer_counts(const ct_optimizer *o, int64_t *total, int64_t *evaluated, int64_t *skipped)
{
    if (!o)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_optimizer_counts: optimizer is NULL");
    if (total)
        *total = o->has_run ? o->total : (o->has_space ? o->space.total : 0);
    if (evaluated)
        *evaluated = o->evaluated;
    if (skipped)
        *skipped = o->skipped;
    return CT_OK;
}

int64_t ct_optimizer_row_count(const ct_optimizer *o) { return o && o->has_run ? o->tab.n : 0; }

static ct_status row_of(const ct_optimizer *o, int64_t rank, int64_t *row, const char *fn)
{
    if (!o)
        return ct__fail(NULL, CT_E_INVALID_ARG, "%s: optimizer is NULL", fn);
    if (!o->has_run || rank < 0 || rank >= o->tab.n)
        return ct__fail(NULL, CT_E_RANGE, "%s: rank %lld is outside the table (%lld rows)", fn,
                        (long long)rank, (long long)(o->has_run ? o->tab.n : 0));
    *row = o->tab.order[rank];
    return CT_OK;
}

ct_status ct_optimizer_row(const ct_optimizer *o, int64_t rank, int64_t *index, double *objective)
{
    int64_t r = 0;
    ct_status st = row_of(o, rank, &r, __func__);
    if (st != CT_OK)
        return st;
    if (index)
        *index = o->tab.index[r];
    if (objective) {
        double k = o->tab.key[r];
        *objective = isnan(k) ? (double)NAN : (o->maximize ? k : -k);
    }
    return CT_OK;
}

int32_t ct_optimizer_param_count(const ct_optimizer *o) { return o ? o->n_params : 0; }

const char *ct_optimizer_param_name(const ct_optimizer *o, int32_t i)
{
    return o && i >= 0 && i < o->n_params ? o->param_names[i] : NULL;
}

int32_t ct_optimizer_metric_count(const ct_optimizer *o) { return o ? o->n_metrics : 0; }

const char *ct_optimizer_metric_name(const ct_optimizer *o, int32_t i)
{
    return o && i >= 0 && i < o->n_metrics ? o->metric_names[i] : NULL;
}

ct_status ct_optimizer_row_params(const ct_optimizer *o, int64_t rank, double *values, int32_t cap, int32_t *n_total)
{
    int64_t r = 0;
    ct_status st = row_of(o, rank, &r, __func__);
    if (st != CT_OK)
        return st;
    if (cap < 0 || (cap > 0 && !values))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_optimizer_row_params: values NULL with cap %d",
                        (int)cap);
    if (n_total)
        *n_total = o->n_params;
    int32_t n = cap < o->n_params ? cap : o->n_params;
    if (n > 0)
        memcpy(values, o->tab.params + (size_t)r * (size_t)(o->n_params > 0 ? o->n_params : 1), (size_t)n * sizeof(double));
    return CT_OK;
}

ct_status ct_optimizer_row_metrics(const ct_optimizer *o, int64_t rank, double *values, int32_t cap, int32_t *n_total)
{
    int64_t r = 0;
    ct_status st = row_of(o, rank, &r, __func__);
    if (st != CT_OK)
        return st;
    if (cap < 0 || (cap > 0 && !values))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_optimizer_row_metrics: values NULL with cap %d",
                        (int)cap);
    if (n_total)
        *n_total = o->n_metrics;
    int32_t n = cap < o->n_metrics ? cap : o->n_metrics;
    if (n > 0)
        memcpy(values, o->tab.metrics + (size_t)r * (size_t)o->n_metrics, (size_t)n * sizeof(double));
    return CT_OK;
}

ct_status ct_optimizer_row_metric(const ct_optimizer *o, int64_t rank, const char *name, double *value)
{
    int64_t r = 0;
    ct_status st = row_of(o, rank, &r, __func__);
    if (st != CT_OK)
        return st;
    if (!name || !value)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_optimizer_row_metric: %s is NULL",
                        name ? "value" : "name");
    for (int32_t c = 0; c < o->n_metrics; c++)
        if (strcmp(o->metric_names[c], name) == 0) {
            *value = o->tab.metrics[(size_t)r * (size_t)o->n_metrics + (size_t)c];
            return CT_OK;
        }
    return ct__fail(NULL, CT_E_NOT_FOUND, "ct_optimizer_row_metric: metric '%s' is not kept per row", name);
}

ct_status ct_optimizer_overfit(const ct_optimizer *o, double *dsr, double *pbo)
{
    if (!o)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_optimizer_overfit: optimizer is NULL");
    if (dsr)
        *dsr = o->has_run ? o->tab.dsr : (double)NAN;
    if (pbo)
        *pbo = o->has_run ? o->tab.pbo : (double)NAN;
    return CT_OK;
}

/* ---- documents ---- */

static void put_params(const ct_optimizer *o, ct__sbuf *b, int64_t r)
{
    const double *p = o->tab.params + (size_t)r * (size_t)(o->n_params > 0 ? o->n_params : 1);
    ct__sbuf_puts(b, "{");
    for (int32_t i = 0; i < o->n_params; i++) {
        if (i)
            ct__sbuf_puts(b, ",");
        ct__sbuf_str(b, o->param_names[i]);
        ct__sbuf_puts(b, ":");
        ct__sbuf_param(b, o->param_kinds[i], p[i]);
    }
    ct__sbuf_puts(b, "}");
}

static void put_metrics(const ct_optimizer *o, ct__sbuf *b, int64_t r)
{
    const double *m = o->tab.metrics + (size_t)r * (size_t)o->n_metrics;
    ct__sbuf_puts(b, "{");
    for (int32_t i = 0; i < o->n_metrics; i++) {
        if (i)
            ct__sbuf_puts(b, ",");
        ct__sbuf_str(b, o->metric_names[i]);
        ct__sbuf_puts(b, ":");
        ct__sbuf_num(b, m[i]);
    }
    ct__sbuf_puts(b, "}");
}

ct_status ct_optimizer_row_params_json(const ct_optimizer *o, int64_t rank, char **out)
{
    if (out)
        *out = NULL;
    int64_t r = 0;
    ct_status st = row_of(o, rank, &r, __func__);
    if (st != CT_OK)
        return st;
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_optimizer_row_params_json: out is NULL");
    ct__sbuf b = {0};
    put_params(o, &b, r);
    if (!(*out = ct__sbuf_take(&b)))
        return ct__fail(NULL, CT_E_NOMEM, "optimizer: out of memory");
    return CT_OK;
}

ct_status ct_optimizer_json(const ct_optimizer *o, int64_t top_k, char **out)
{
    if (out)
        *out = NULL;
    if (!o || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_optimizer_json: %s is NULL",
                        o ? "out" : "optimizer");
    if (top_k < 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_optimizer_json: top_k %lld is negative",
                        (long long)top_k);
    if (!o->has_run)
        return ct__fail(NULL, CT_E_STATE, "ct_optimizer_json: no table yet (run first)");
    const ct__table *t = &o->tab;
    int64_t nrows = top_k > 0 && top_k < t->n ? top_k : t->n;
    ct__sbuf b = {0};
    ct__sbuf_puts(&b, "{\"strategy\":");
    ct__sbuf_str(&b, o->strategy);
    ct__sbuf_puts(&b, ",\"symbol\":");
    ct__sbuf_str(&b, o->symbol);
    ct__sbuf_printf(&b, ",\"interval_ms\":%lld,\"objective\":", (long long)o->interval_ms);
    ct__sbuf_str(&b, o->objective);
    ct__sbuf_printf(&b, ",\"maximize\":%s,\"min_trades\":%lld,\"total\":%lld,\"evaluated\":%lld,\"skipped\":%lld",
                    o->maximize ? "true" : "false", (long long)o->min_trades, (long long)o->total,
                    (long long)o->evaluated, (long long)o->skipped);
    if (o->shard_n > 1)
        ct__sbuf_printf(&b, ",\"shard\":{\"k\":%lld,\"n\":%lld}", (long long)o->shard_k, (long long)o->shard_n);
    ct__sbuf_printf(&b, ",\"complete\":%s", nrows == t->n ? "true" : "false");
    ct__sbuf_puts(&b, ",\"space\":");
    ct__sbuf_puts(&b, o->space.canonical ? o->space.canonical : "null");
    ct__sbuf_puts(&b, ",\"config\":");
    ct__sbuf_puts(&b, o->config_json ? o->config_json : "null");
    ct__sbuf_puts(&b, ",\"best\":");
    if (t->n > 0 && !isnan(t->key[t->order[0]])) {
        int64_t r = t->order[0];
        ct__sbuf_printf(&b, "{\"index\":%lld,\"parameters\":", (long long)t->index[r]);
        put_params(o, &b, r);
        ct__sbuf_puts(&b, ",\"metrics\":");
        put_metrics(o, &b, r);
        ct__sbuf_puts(&b, "}");
    } else {
        ct__sbuf_puts(&b, "null");
    }
    ct__sbuf_puts(&b, ",\"dsr\":");
    ct__sbuf_num(&b, t->dsr);
    ct__sbuf_puts(&b, ",\"pbo\":");
    ct__sbuf_num(&b, t->pbo);
    ct__sbuf_printf(&b, ",\"n_returns\":%lld,\"block_counts\":[", (long long)o->n_returns);
    for (int32_t k = 0; k < CT__PBO_BLOCKS; k++) {
        if (k)
            ct__sbuf_puts(&b, ",");
        ct__sbuf_num(&b, o->block_counts[k]);
    }
    ct__sbuf_puts(&b, "],\"rows\":[");
    for (int64_t rank = 0; rank < nrows; rank++) {
        int64_t r = t->order[rank];
        const double *tr = t->trial + (size_t)r * CT__TRIAL_W;
        ct__sbuf_printf(&b, "%s{\"index\":%lld,\"parameters\":", rank ? "," : "", (long long)t->index[r]);
        put_params(o, &b, r);
        ct__sbuf_puts(&b, ",\"metrics\":");
        put_metrics(o, &b, r);
        ct__sbuf_puts(&b, ",\"trial\":{\"sharpe\":");
        ct__sbuf_num(&b, tr[0]);
        ct__sbuf_puts(&b, ",\"skew\":");
        ct__sbuf_num(&b, tr[1]);
        ct__sbuf_puts(&b, ",\"kurtosis\":");
        ct__sbuf_num(&b, tr[2]);
        ct__sbuf_puts(&b, ",\"sum\":[");
        for (int32_t k = 0; k < CT__PBO_BLOCKS; k++) {
            if (k)
                ct__sbuf_puts(&b, ",");
            ct__sbuf_num(&b, tr[3 + k]);
        }
        ct__sbuf_puts(&b, "],\"sumsq\":[");
        for (int32_t k = 0; k < CT__PBO_BLOCKS; k++) {
            if (k)
                ct__sbuf_puts(&b, ",");
            ct__sbuf_num(&b, tr[3 + CT__PBO_BLOCKS + k]);
        }
        ct__sbuf_puts(&b, "]}}");
    }
    ct__sbuf_puts(&b, "]}");
    if (!(*out = ct__sbuf_take(&b)))
        return ct__fail(NULL, CT_E_NOMEM, "optimizer: out of memory");
    return CT_OK;
}

ct_status ct_optimizer_csv(const ct_optimizer *o, char **out)
{
    if (out)
        *out = NULL;
    if (!o || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_optimizer_csv: %s is NULL",
                        o ? "out" : "optimizer");
    if (!o->has_run)
        return ct__fail(NULL, CT_E_STATE, "ct_optimizer_csv: no table yet (run first)");
    ct__sbuf b = {0};
    ct__sbuf_puts(&b, "index");
    for (int32_t i = 0; i < o->n_params; i++)
        ct__sbuf_printf(&b, ",%s", o->param_names[i]);
    for (int32_t i = 0; i < o->n_metrics; i++)
        ct__sbuf_printf(&b, ",%s", o->metric_names[i]);
    ct__sbuf_puts(&b, "\n");
    for (int64_t rank = 0; rank < o->tab.n; rank++) {
        int64_t r = o->tab.order[rank];
        ct__sbuf_printf(&b, "%lld", (long long)o->tab.index[r]);
        const double *p = o->tab.params + (size_t)r * (size_t)(o->n_params > 0 ? o->n_params : 1);
        for (int32_t i = 0; i < o->n_params; i++) {
            ct__sbuf_puts(&b, ",");
            ct__sbuf_num(&b, p[i]);
        }
        const double *m = o->tab.metrics + (size_t)r * (size_t)o->n_metrics;
        for (int32_t i = 0; i < o->n_metrics; i++) {
            if (isnan(m[i]))
                ct__sbuf_puts(&b, ",NaN");
            else {
                ct__sbuf_puts(&b, ",");
                ct__sbuf_num(&b, m[i]);
            }
        }
        ct__sbuf_puts(&b, "\n");
    }
    if (!(*out = ct__sbuf_take(&b)))
        return ct__fail(NULL, CT_E_NOMEM, "optimizer: out of memory");
    return CT_OK;
}
