/*
 * Walk-forward analysis (DESIGN.md section 9, docs/optimizer.md): rolling or anchored train/test
 * windows; the space is searched on each train window and its best combination is run on the
 * following test window. The test run covers [train start, test end) so that indicators are
 * warmed on the data before the test window, but the strategy only sees bars from the first
 * test bar on: a wrapper class forwards on_start (indicator declarations) and skips on_bar
 * before that bar, so the account is flat at the capital until then. The out-of-sample equity
 * of each window is the run's equity from the bar before its first test bar; the stitched curve
 * chains those windows' returns.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cryptota/metrics.h"
#include "engine/engine_internal.h"
#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"
#include "optimizer/opt_internal.h"

/* No message slot of its own: the accessors are const and may run on several threads at once,
 * so their failures go to the calling thread's ct_last_error only. */
struct ct_walkforward {
    char *strategy;
    char *objective;
    int32_t maximize;
    int64_t train, test, purge;
    int32_t anchored, unit;
    int32_t n_params;
    char **param_names;
    int32_t *param_kinds;
    int32_t n_metrics;
    char **metric_names;
    int32_t obj_col;
    int64_t nw;
    int64_t *lo;        /* nw x 4: train_lo, train_hi, test_lo, test_hi (rows) */
    int64_t *tms;       /* nw x 4: the same as times (ms; hi = time of the row before hi) */
    int64_t *best;      /* best combination index per window */
    double *params;     /* nw x n_params */
    double *is_m;       /* nw x n_metrics */
    double *oos_m;      /* nw x n_metrics */
    ct_result *stitched;
    double *st_metrics; /* ct_metric_count() values */
    double wfe;
};

/* ---- the warm-up wrapper class ---- */

typedef struct wrap_class_user {
    const ct_strategy_vtable *inner;
    int64_t start; /* first bar on which on_bar runs */
} wrap_class_user;

typedef struct wrap_inst {
    const wrap_class_user *cu;
    void *inner;
    int own; /* inner was made by inner->create */
} wrap_inst;

static ct_status wrap_create(void *class_user, const double *params, int32_t n, void **instance, char *err,
                             int32_t err_cap)
{
    const wrap_class_user *cu = class_user;
    wrap_inst *w = ct__calloc(1, sizeof(*w));
    if (!w)
        return CT_E_NOMEM;
    w->cu = cu;
    if (cu->inner->create) {
        ct_status st = cu->inner->create(cu->inner->class_user, params, n, &w->inner, err, err_cap);
        if (st != CT_OK) {
            ct__free(w);
            return st;
        }
        w->own = 1;
    } else {
        w->inner = cu->inner->class_user;
    }
    *instance = w;
    return CT_OK;
}

static ct_status wrap_on_start(void *user, ct_ctx *ctx)
{
    wrap_inst *w = user;
    return w->cu->inner->on_start ? w->cu->inner->on_start(w->inner, ctx) : CT_OK;
}

static ct_status wrap_on_bar(void *user, ct_ctx *ctx)
{
    wrap_inst *w = user;
    if (ctx->t < w->cu->start)
        return CT_OK;
    return w->cu->inner->on_bar(w->inner, ctx);
}

static ct_status wrap_on_fill(void *user, ct_ctx *ctx)
{
    wrap_inst *w = user;
    return w->cu->inner->on_fill ? w->cu->inner->on_fill(w->inner, ctx) : CT_OK;
}

static ct_status wrap_on_finish(void *user, ct_ctx *ctx)
{
    wrap_inst *w = user;
    return w->cu->inner->on_finish ? w->cu->inner->on_finish(w->inner, ctx) : CT_OK;
}

static void wrap_destroy(void *user)
{
    wrap_inst *w = user;
    if (w->own && w->cu->inner->destroy)
        w->cu->inner->destroy(w->inner);
    ct__free(w);
}

/* ---- helpers ---- */

static void free_names(char **v, int32_t n)
{
    if (v)
        for (int32_t i = 0; i < n; i++)
            ct__free(v[i]);
    ct__free(v);
}

static char **dup_names(char *const *src, int32_t n)
{
    char **v = ct__calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    if (!v)
        return NULL;
    for (int32_t i = 0; i < n; i++)
        if (!(v[i] = ct__strdup(src[i]))) {
            free_names(v, i);
            return NULL;
        }
    return v;
}

void ct_walkforward_destroy(ct_walkforward *wf)
{
    if (!wf)
        return;
    ct__free(wf->strategy);
    ct__free(wf->objective);
    free_names(wf->param_names, wf->n_params);
    ct__free(wf->param_kinds);
    free_names(wf->metric_names, wf->n_metrics);
    ct__free(wf->lo);
    ct__free(wf->tms);
    ct__free(wf->best);
    ct__free(wf->params);
    ct__free(wf->is_m);
    ct__free(wf->oos_m);
    ct_result_destroy(wf->stitched);
    ct__free(wf->st_metrics);
    ct__free(wf);
}

/* Window boundaries (rows). Returns the number of windows written (up to cap; cap 0 counts). */
static int64_t make_windows(const ct_feed *f, int64_t train, int64_t test, int64_t purge, int32_t anchored,
                            int32_t unit, int64_t *lo, int64_t cap)
{
    int64_t n = ct_feed_len(f), nw = 0;
    const int64_t *t = ct_feed_time(f);
    if (n < 2)
        return 0;
    for (int64_t k = 0;; k++) {
        int64_t a, b, c, d;
        if (unit == CT_WF_BARS) {
            int64_t s = k * test;
            a = anchored ? 0 : s;
            b = s + train;
            c = b + purge;
            d = c + test;
            if (d > n)
                break;
        } else {
            int64_t t0 = t[0] + k * test;
            int64_t tb = t0 + train, tc = tb + purge, td = tc + test;
            if (td > t[n - 1] + ct_feed_interval_ms(f))
                break;
            a = anchored ? 0 : ct_feed_lower_bound(f, t0);
            b = ct_feed_lower_bound(f, tb);
            c = ct_feed_lower_bound(f, tc);
            d = ct_feed_lower_bound(f, td);
            if (b - a < 2 || d - c < 1)
                continue; /* a window falling in a gap */
        }
        if (nw < cap) {
            lo[4 * nw] = a;
            lo[4 * nw + 1] = b;
            lo[4 * nw + 2] = c;
            lo[4 * nw + 3] = d;
        }
        nw++;
    }
    return nw;
}

/* A zero-copy feed over rows [a, b). */
static ct_status slice(const ct_feed *f, int64_t a, int64_t b, ct_feed **out)
{
    return ct_feed_from_arrays(ct_feed_symbol(f), ct_feed_interval_ms(f), ct_feed_time(f) + a, ct_feed_open(f) + a,
                               ct_feed_high(f) + a, ct_feed_low(f) + a, ct_feed_close(f) + a, ct_feed_volume(f) + a,
                               b - a, CT_FEED_BORROW, out);
}

/* Append bars [from, r->n) of a test run to the stitched result (bar `from` - 1 is the flat
 * reference point at the capital); trades are re-indexed to the stitched bars. */
static ct_status stitch(ct_result *st, const ct_result *r, int64_t from, double scale)
{
    int64_t add = r->n - from, base = st->n;
    int64_t *tm = ct__realloc(st->time, (size_t)(base + add) * sizeof(int64_t));
    if (tm)
        st->time = tm;
    double *eq = ct__realloc(st->equity, (size_t)(base + add) * sizeof(double));
    if (eq)
        st->equity = eq;
    double *ps = ct__realloc(st->position, (size_t)(base + add) * sizeof(double));
    if (ps)
        st->position = ps;
    double *cl = ct__realloc(st->close, (size_t)(base + add) * sizeof(double));
    if (cl)
        st->close = cl;
    ct_trade *tr = ct__realloc(st->trades, (size_t)(st->n_trades + r->n_trades + 1) * sizeof(ct_trade));
    if (tr)
        st->trades = tr;
    if (!tm || !eq || !ps || !cl || !tr)
        return CT_E_NOMEM;
    double ref = r->equity[from - 1];
    for (int64_t i = 0; i < add; i++) {
        st->time[base + i] = r->time[from + i];
        st->equity[base + i] = scale * (r->equity[from + i] / ref);
        st->position[base + i] = r->position[from + i];
        st->close[base + i] = r->close[from + i];
    }
    for (int64_t k = 0; k < r->n_trades; k++) {
        ct_trade t = r->trades[k];
        t.entry_bar += base - from;
        t.exit_bar += base - from;
        st->trades[st->n_trades++] = t;
    }
    st->n = base + add;
    st->total_commission += r->total_commission;
    st->turnover += r->turnover;
    st->n_fills += r->n_fills;
    st->has_open = r->has_open;
    st->open_qty = r->open_qty;
    st->open_entry_price = r->open_entry_price;
    st->open_entry_time = r->open_entry_time;
    st->open_entry_bar = r->open_entry_bar + base - from;
    st->final_cash = r->final_cash;
    return CT_OK;
}

/* The headline metrics (the optimizer's columns) of a test run's bars [from - 1, n). */
static ct_status window_oos_metrics(const ct_optimizer *o, const ct_result *r, int64_t from, double *out,
                                    double *all)
{
    ct_result *w = ct__result_new();
    if (!w)
        return CT_E_NOMEM;
    w->interval_ms = r->interval_ms;
    w->capital = r->equity[from - 1];
    w->periods_per_year = r->periods_per_year;
    w->risk_free = r->risk_free;
    w->metrics_daily = r->metrics_daily;
    /* reference point */
    w->n = 1;
    w->time = ct__malloc(sizeof(int64_t));
    w->equity = ct__malloc(sizeof(double));
    w->position = ct__malloc(sizeof(double));
    w->close = ct__malloc(sizeof(double));
    ct_status st = CT_E_NOMEM;
    if (w->time && w->equity && w->position && w->close) {
        w->time[0] = r->time[from - 1];
        w->equity[0] = r->equity[from - 1];
        w->position[0] = r->position[from - 1];
        w->close[0] = r->close[from - 1];
        st = stitch(w, r, from, r->equity[from - 1]);
    }
    if (st == CT_OK)
        st = ct__metrics_compute(w, all);
    if (st == CT_OK)
        for (int32_t c = 0; c < o->n_metrics; c++)
            out[c] = all[o->metric_reg[c]];
    ct_result_destroy(w);
    return st;
}

static ct_status walkforward_run(ct_optimizer *o, int64_t train, int64_t test, int64_t purge, int32_t anchored,
                                 int32_t unit, ct_walkforward **out);

/* A one-thread optimizer computes its metrics on one thread too. */
ct_status ct_optimizer_walkforward(ct_optimizer *o, int64_t train, int64_t test, int64_t purge, int32_t anchored,
                                   int32_t unit, ct_walkforward **out)
{
    const int one = o && o->threads == 1, was = one ? ct__metrics_serial(1) : 0;
    ct_status st = walkforward_run(o, train, test, purge, anchored, unit, out);
    if (one)
        (void)ct__metrics_serial(was);
    return st;
}

static ct_status walkforward_run(ct_optimizer *o, int64_t train, int64_t test, int64_t purge, int32_t anchored,
                                 int32_t unit, ct_walkforward **out)
{
    if (out)
        *out = NULL;
    if (!o || !out)
        return ct__fail(o ? &o->err : NULL, CT_E_INVALID_ARG, "walkforward: %s is NULL", o ? "out" : "optimizer");
    if (o->merged || !o->feed)
        return ct__fail(&o->err, CT_E_STATE, "walkforward: a merged table cannot run");
    if (!o->has_space)
        return ct__fail(&o->err, CT_E_STATE, "walkforward: no search space (ct_optimizer_set_grid_json)");
    if (unit != CT_WF_BARS && unit != CT_WF_MS)
        return ct__fail(&o->err, CT_E_INVALID_ARG, "walkforward: unknown unit %d", (int)unit);
    if (train < 2 || test < 1 || purge < 0)
        return ct__fail(&o->err, CT_E_INVALID_ARG,
                        "walkforward: need train >= 2, test >= 1, purge >= 0 (got %lld, %lld, %lld)", (long long)train,
                        (long long)test, (long long)purge);
    if (train > INT64_MAX / 4 || test > INT64_MAX / 4 || purge > INT64_MAX / 4)
        return ct__fail(&o->err, CT_E_RANGE,
                        "walkforward: train %lld, test %lld, purge %lld: a length above 2^61 is out of range", (long long)train,
                        (long long)test, (long long)purge);
    atomic_store(&o->cancel, 0);
    int64_t nw = make_windows(o->feed, train, test, purge, anchored, unit, NULL, 0);
    if (nw < 1)
        return ct__fail(&o->err, CT_E_RANGE,
                        "walkforward: %lld bars are too few for one window (train %lld + purge %lld + test %lld %s)",
                        (long long)ct_feed_len(o->feed), (long long)train, (long long)purge, (long long)test,
                        unit == CT_WF_BARS ? "bars" : "ms");
    ct_status st = CT_OK;
    int32_t np = o->n_params, nm = o->n_metrics, ncount = ct_metric_count();
    size_t npp = (size_t)(np > 0 ? np : 1);
    ct_walkforward *wf = ct__calloc(1, sizeof(*wf));
    ct_engine *eng = NULL;
    ct_strategy *strat = NULL;
    double *all = ct__malloc_array((size_t)ncount, sizeof(double));
    if (!wf || !all) {
        ct__free(wf);
        ct__free(all);
        return ct__fail(&o->err, CT_E_NOMEM, "walkforward: out of memory");
    }
    wf->nw = nw;
    wf->train = train;
    wf->test = test;
    wf->purge = purge;
    wf->anchored = anchored ? 1 : 0;
    wf->unit = unit;
    wf->maximize = o->maximize;
    wf->n_params = np;
    wf->n_metrics = nm;
    wf->obj_col = o->obj_col;
    wf->wfe = NAN;
    wf->strategy = ct__strdup(o->strategy);
    wf->objective = ct__strdup(o->objective);
    wf->param_names = dup_names(o->param_names, np);
    wf->param_kinds = ct__malloc_array(npp, sizeof(int32_t));
    wf->metric_names = dup_names(o->metric_names, nm);
    wf->lo = ct__malloc_array((size_t)nw * 4, sizeof(int64_t));
    wf->tms = ct__malloc_array((size_t)nw * 4, sizeof(int64_t));
    wf->best = ct__malloc_array((size_t)nw, sizeof(int64_t));
    wf->params = ct__malloc_array((size_t)nw * npp, sizeof(double));
    wf->is_m = ct__malloc_array((size_t)nw * (size_t)nm, sizeof(double));
    wf->oos_m = ct__malloc_array((size_t)nw * (size_t)nm, sizeof(double));
    wf->st_metrics = ct__malloc_array((size_t)ncount, sizeof(double));
    wf->stitched = ct__result_new();
    if (!wf->strategy || !wf->objective || !wf->param_names || !wf->param_kinds || !wf->metric_names || !wf->lo ||
        !wf->tms || !wf->best || !wf->params || !wf->is_m || !wf->oos_m || !wf->st_metrics || !wf->stitched) {
        st = ct__fail(&o->err, CT_E_NOMEM, "walkforward: out of memory");
        goto out;
    }
    memcpy(wf->param_kinds, o->param_kinds, (size_t)np * sizeof(int32_t));
    make_windows(o->feed, train, test, purge, anchored, unit, wf->lo, nw);
    const int64_t *ft = ct_feed_time(o->feed);
    for (int64_t w = 0; w < nw; w++)
        for (int k = 0; k < 4; k++) {
            int64_t row = wf->lo[4 * w + k];
            wf->tms[4 * w + k] = (k & 1) ? ft[row - 1] : ft[row];
        }

    /* the wrapper class: the inner class with on_bar held back until `start` */
    wrap_class_user cu = {&o->cls->vt, 0};
    ct_strategy_class wcls = *o->cls;
    wcls.vt.create = wrap_create;
    wcls.vt.on_start = wrap_on_start;
    wcls.vt.on_bar = wrap_on_bar;
    wcls.vt.on_fill = wrap_on_fill;
    wcls.vt.on_finish = wrap_on_finish;
    wcls.vt.destroy = wrap_destroy;
    wcls.vt.class_user = &cu;
    wcls.builtin = 1; /* a private copy: no registry reference counting */
    if ((st = ct_engine_clone(o->engine, &eng)) != CT_OK || (st = ct_engine_set_indicator_cache(eng, o->cache)) != CT_OK ||
        (st = ct_strategy_create(&wcls, &strat)) != CT_OK) {
        ct__propagate(&o->err, st);
        goto out;
    }
    double capital = 0.0, sum_is_cagr = 0.0;
    int64_t n_is_cagr = 0;
    int32_t cagr_col = -1;
    for (int32_t c = 0; c < nm; c++)
        if (strcmp(o->metric_names[c], "cagr") == 0)
            cagr_col = c;
    /* every window searches the whole space: progress counts over all of them */
    o->prog_base = 0;
    o->prog_total = nw * o->space.total;
    o->prog_t0 = ct__mono_s();
    for (int64_t w = 0; w < nw; w++) {
        int64_t a = wf->lo[4 * w], b = wf->lo[4 * w + 1], c = wf->lo[4 * w + 2], d = wf->lo[4 * w + 3];
        ct_feed *tf = NULL;
        ct__table tab;
        memset(&tab, 0, sizeof(tab));
        int64_t nev, nsk, nret;
        double bc[CT__PBO_BLOCKS];
        if ((st = slice(o->feed, a, b, &tf)) != CT_OK) {
            ct__propagate(&o->err, st);
            goto out;
        }
        st = ct__optimizer_search(o, tf, &tab, &nev, &nsk, &nret, bc, 1);
        o->prog_base += o->space.total;
        ct_feed_destroy(tf);
        if (st == CT_OK)
            st = ct__table_rank(&tab, &o->err);
        if (st == CT_OK && (tab.n < 1 || isnan(tab.key[tab.order[0]])))
            st = ct__fail(&o->err, CT_E_NOT_FOUND, "walkforward: window %lld (train rows %lld..%lld): no combination "
                          "has a defined objective", (long long)w, (long long)a, (long long)b);
        if (st != CT_OK) {
            ct__table_free(&tab);
            goto out;
        }
        int64_t r0 = tab.order[0];
        wf->best[w] = tab.index[r0];
        memcpy(wf->params + (size_t)w * npp, tab.params + (size_t)r0 * npp, npp * sizeof(double));
        memcpy(wf->is_m + (size_t)w * (size_t)nm, tab.metrics + (size_t)r0 * (size_t)nm, (size_t)nm * sizeof(double));
        ct__table_free(&tab);
        if (cagr_col >= 0 && isfinite(wf->is_m[(size_t)w * (size_t)nm + (size_t)cagr_col])) {
            sum_is_cagr += wf->is_m[(size_t)w * (size_t)nm + (size_t)cagr_col];
            n_is_cagr++;
        }
        /* test run over [a, d), trading from row c */
        cu.start = c - a;
        for (int32_t p = 0; p < np; p++)
            if ((st = ct_strategy_set_f64(strat, o->param_names[p], wf->params[(size_t)w * npp + (size_t)p])) != CT_OK) {
                ct__fail(&o->err, st, "walkforward: window %lld: %s", (long long)w, ct_strategy_errmsg(strat));
                goto out;
            }
        ct_result *res = NULL;
        if ((st = slice(o->feed, a, d, &tf)) == CT_OK) {
            st = ct_engine_run(eng, tf, strat, &res);
            if (st != CT_OK)
                ct__fail(&o->err, st, "walkforward: window %lld test run: %s", (long long)w, ct_engine_errmsg(eng));
            ct_feed_destroy(tf);
        } else {
            ct__propagate(&o->err, st);
        }
        if (st != CT_OK)
            goto out;
        int64_t from = c - a;
        if (w == 0) {
            /* the stitched curve starts at the capital at the bar before the first test bar */
            ct_result *s0 = wf->stitched;
            capital = res->equity[from - 1];
            s0->time = ct__malloc(sizeof(int64_t));
            s0->equity = ct__malloc(sizeof(double));
            s0->position = ct__malloc(sizeof(double));
            s0->close = ct__malloc(sizeof(double));
            char *sname = ct__strdup(res->strategy), *ssym = ct__strdup(res->symbol);
            char *scfg = ct__strdup(res->config_json);
            if (!s0->time || !s0->equity || !s0->position || !s0->close || !sname || !ssym || !scfg) {
                ct__free(sname);
                ct__free(ssym);
                ct__free(scfg);
                ct_result_destroy(res);
                st = ct__fail(&o->err, CT_E_NOMEM, "walkforward: out of memory");
                goto out;
            }
            ct__free(s0->strategy);
            ct__free(s0->symbol);
            ct__free(s0->config_json);
            s0->strategy = sname;
            s0->symbol = ssym;
            s0->config_json = scfg;
            s0->n = 1;
            s0->time[0] = res->time[from - 1];
            s0->equity[0] = capital;
            s0->position[0] = 0.0;
            s0->close[0] = res->close[from - 1];
            s0->interval_ms = res->interval_ms;
            s0->capital = capital;
            s0->periods_per_year = res->periods_per_year;
            s0->risk_free = res->risk_free;
            s0->metrics_daily = res->metrics_daily;
            s0->feed_hash = res->feed_hash;
        }
        st = window_oos_metrics(o, res, from, wf->oos_m + (size_t)w * (size_t)nm, all);
        if (st == CT_OK)
            st = stitch(wf->stitched, res, from, wf->stitched->equity[wf->stitched->n - 1]);
        ct_result_destroy(res);
        if (st != CT_OK) {
            ct__fail(&o->err, st, "walkforward: window %lld: out-of-sample metrics failed", (long long)w);
            goto out;
        }
        if (atomic_load(&o->cancel)) {
            st = ct__fail(&o->err, CT_E_CANCELLED, "walkforward: cancelled after window %lld", (long long)w);
            goto out;
        }
    }
    if ((st = ct__metrics_compute(wf->stitched, wf->st_metrics)) != CT_OK) {
        ct__propagate(&o->err, st);
        goto out;
    }
    int32_t ci = ct_metric_find("cagr");
    if (n_is_cagr > 0 && ci >= 0) {
        double is = sum_is_cagr / (double)n_is_cagr;
        if (is != 0.0 && isfinite(is))
            wf->wfe = wf->st_metrics[ci] / is;
    }
out:
    o->prog_base = o->prog_total = 0; /* later searches report on their own */
    ct_strategy_destroy(strat);
    ct_engine_destroy(eng);
    ct__free(all);
    if (st != CT_OK) {
        ct_walkforward_destroy(wf);
        return st;
    }
    *out = wf;
    return CT_OK;
}

/* ---- accessors ---- */

#define CHECK_WF(wf, i)                                                                                \
    do {                                                                                               \
        if (!(wf))                                                                                     \
            return ct__fail(NULL, CT_E_INVALID_ARG, "%s: walk-forward is NULL", __func__);            \
        if ((i) < 0 || (i) >= (wf)->nw)                                                                \
            return ct__fail(NULL, CT_E_RANGE, "%s: window %lld out of range (%lld windows)", __func__, \
                            (long long)(i), (long long)(wf)->nw);                                      \
    } while (0)

int64_t ct_walkforward_window_count(const ct_walkforward *wf) { return wf ? wf->nw : 0; }

ct_status ct_walkforward_window(const ct_walkforward *wf, int64_t i, int64_t *train_lo, int64_t *train_hi,
                                int64_t *test_lo, int64_t *test_hi, int64_t *best_index, double *is_objective,
                                double *oos_objective)
{
    CHECK_WF(wf, i);
    const int64_t *l = wf->lo + 4 * i;
    if (train_lo)
        *train_lo = l[0];
    if (train_hi)
        *train_hi = l[1];
    if (test_lo)
        *test_lo = l[2];
    if (test_hi)
        *test_hi = l[3];
    if (best_index)
        *best_index = wf->best[i];
    if (is_objective)
        *is_objective = wf->is_m[(size_t)i * (size_t)wf->n_metrics + (size_t)wf->obj_col];
    if (oos_objective)
        *oos_objective = wf->oos_m[(size_t)i * (size_t)wf->n_metrics + (size_t)wf->obj_col];
    return CT_OK;
}

ct_status ct_walkforward_window_params(const ct_walkforward *wf, int64_t i, double *values, int32_t cap,
                                       int32_t *n_total)
{
    CHECK_WF(wf, i);
    if (cap < 0 || (cap > 0 && !values))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_walkforward_window_params: values NULL with cap %d", (int)cap);
    if (n_total)
        *n_total = wf->n_params;
    int32_t n = cap < wf->n_params ? cap : wf->n_params;
    if (n > 0)
        memcpy(values, wf->params + (size_t)i * (size_t)(wf->n_params > 0 ? wf->n_params : 1),
               (size_t)n * sizeof(double));
    return CT_OK;
}

ct_status ct_walkforward_window_metric(const ct_walkforward *wf, int64_t i, int32_t is_oos, const char *name,
                                       double *value)
{
    CHECK_WF(wf, i);
    if (!name || !value)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_walkforward_window_metric: %s is NULL", name ? "value" : "name");
    for (int32_t c = 0; c < wf->n_metrics; c++)
        if (strcmp(wf->metric_names[c], name) == 0) {
            *value = (is_oos ? wf->oos_m : wf->is_m)[(size_t)i * (size_t)wf->n_metrics + (size_t)c];
            return CT_OK;
        }
    return ct__fail(NULL, CT_E_NOT_FOUND, "ct_walkforward_window_metric: metric '%s' is not kept per window", name);
}

ct_status ct_walkforward_equity(const ct_walkforward *wf, int64_t *time_ms, double *equity, int64_t cap,
                                int64_t *n_total)
{
    if (!wf || cap < 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_walkforward_equity: %s", wf ? "cap < 0" : "walk-forward is NULL");
    const ct_result *s = wf->stitched;
    if (n_total)
        *n_total = s->n;
    int64_t n = cap < s->n ? cap : s->n;
    if (time_ms && n > 0)
        memcpy(time_ms, s->time, (size_t)n * sizeof(int64_t));
    if (equity && n > 0)
        memcpy(equity, s->equity, (size_t)n * sizeof(double));
    return CT_OK;
}

ct_status ct_walkforward_metric(const ct_walkforward *wf, const char *name, double *value)
{
    if (!wf || !name || !value)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_walkforward_metric: NULL argument");
    int32_t i = ct_metric_find(name);
    if (i < 0)
        return ct__fail(NULL, CT_E_NOT_FOUND, "ct_walkforward_metric: unknown metric '%s'", name);
    *value = wf->st_metrics[i];
    return CT_OK;
}

double ct_walkforward_efficiency(const ct_walkforward *wf) { return wf ? wf->wfe : (double)NAN; }

/* ---- documents ---- */

static void put_row(ct__sbuf *b, char *const *names, const double *v, int32_t n, const int32_t *kinds)
{
    ct__sbuf_puts(b, "{");
    for (int32_t i = 0; i < n; i++) {
        if (i)
            ct__sbuf_puts(b, ",");
        ct__sbuf_str(b, names[i]);
        ct__sbuf_puts(b, ":");
        if (kinds)
            ct__sbuf_param(b, kinds[i], v[i]);
        else
            ct__sbuf_num(b, v[i]);
    }
    ct__sbuf_puts(b, "}");
}

ct_status ct_walkforward_json(const ct_walkforward *wf, char **out)
{
    if (out)
        *out = NULL;
    if (!wf || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_walkforward_json: %s is NULL", wf ? "out" : "walk-forward");
    size_t npp = (size_t)(wf->n_params > 0 ? wf->n_params : 1);
    ct__sbuf b = {0};
    ct__sbuf_puts(&b, "{\"strategy\":");
    ct__sbuf_str(&b, wf->strategy);
    ct__sbuf_puts(&b, ",\"objective\":");
    ct__sbuf_str(&b, wf->objective);
    ct__sbuf_printf(&b, ",\"maximize\":%s,\"train\":%lld,\"test\":%lld,\"purge\":%lld,\"unit\":\"%s\",\"anchored\":%s",
                    wf->maximize ? "true" : "false", (long long)wf->train, (long long)wf->test, (long long)wf->purge,
                    wf->unit == CT_WF_BARS ? "bars" : "ms", wf->anchored ? "true" : "false");
    ct__sbuf_puts(&b, ",\"windows\":[");
    for (int64_t w = 0; w < wf->nw; w++) {
        const int64_t *l = wf->lo + 4 * w, *t = wf->tms + 4 * w;
        ct__sbuf_printf(&b,
                        "%s{\"train\":[%lld,%lld],\"test\":[%lld,%lld],\"train_time_ms\":[%lld,%lld],"
                        "\"test_time_ms\":[%lld,%lld],\"index\":%lld,\"parameters\":",
                        w ? "," : "", (long long)l[0], (long long)l[1], (long long)l[2], (long long)l[3],
                        (long long)t[0], (long long)t[1], (long long)t[2], (long long)t[3], (long long)wf->best[w]);
        put_row(&b, wf->param_names, wf->params + (size_t)w * npp, wf->n_params, wf->param_kinds);
        ct__sbuf_puts(&b, ",\"is\":");
        put_row(&b, wf->metric_names, wf->is_m + (size_t)w * (size_t)wf->n_metrics, wf->n_metrics, NULL);
        ct__sbuf_puts(&b, ",\"oos\":");
        put_row(&b, wf->metric_names, wf->oos_m + (size_t)w * (size_t)wf->n_metrics, wf->n_metrics, NULL);
        ct__sbuf_puts(&b, "}");
    }
    ct__sbuf_puts(&b, "],\"oos_metrics\":{");
    for (int32_t i = 0; i < ct_metric_count(); i++) {
        if (i)
            ct__sbuf_puts(&b, ",");
        ct__sbuf_str(&b, ct_metric_name(i));
        ct__sbuf_puts(&b, ":");
        ct__sbuf_num(&b, wf->st_metrics[i]);
    }
    ct__sbuf_puts(&b, "},\"efficiency\":");
    ct__sbuf_num(&b, wf->wfe);
    ct__sbuf_puts(&b, ",\"equity\":[");
    for (int64_t i = 0; i < wf->stitched->n; i++) {
        ct__sbuf_printf(&b, "%s[%lld,", i ? "," : "", (long long)wf->stitched->time[i]);
        ct__sbuf_num(&b, wf->stitched->equity[i]);
        ct__sbuf_puts(&b, "]");
    }
    ct__sbuf_puts(&b, "]}");
    if (!(*out = ct__sbuf_take(&b)))
        return ct__fail(NULL, CT_E_NOMEM, "walkforward: out of memory");
    return CT_OK;
}

static void fmt_date(int64_t ms, char *buf, size_t cap)
{
    int32_t y, m, d;
    int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
    ct__civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

ct_status ct_walkforward_report_html(const ct_walkforward *wf, const char *path)
{
    if (!wf || !path)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_walkforward_report_html: %s is NULL", wf ? "path" : "walk-forward");
    const double W = 900, H = 260, L = 70, R = 20, T = 20, B = 30;
    const ct_result *s = wf->stitched;
    int64_t t0 = wf->tms[0], t1 = wf->tms[4 * (wf->nw - 1) + 3];
    if (t1 <= t0)
        t1 = t0 + 1;
#define XS(t) (L + (W - L - R) * ((double)((t) - t0) / (double)(t1 - t0)))
    ct__sbuf b = {0};
    char d0[16], d1[16];
    ct__sbuf_puts(&b, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Walk-forward: ");
    ct__sbuf_puts(&b, wf->strategy);
    ct__sbuf_puts(&b, "</title><style>body{font-family:sans-serif;margin:20px;color:#222}table{border-collapse:"
                      "collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
                      "h2{font-size:16px}</style></head><body>");
    ct__sbuf_printf(&b, "<h1>Walk-forward: %s</h1><p>Objective %s (%s), %lld windows, ", wf->strategy, wf->objective,
                    wf->maximize ? "maximized" : "minimized", (long long)wf->nw);
    if (wf->unit == CT_WF_BARS)
        ct__sbuf_printf(&b, "train %lld, test %lld, purge %lld bars", (long long)wf->train, (long long)wf->test,
                        (long long)wf->purge);
    else
        ct__sbuf_printf(&b, "train %.6g, test %.6g, purge %.6g days", (double)wf->train / 86400000.0,
                        (double)wf->test / 86400000.0, (double)wf->purge / 86400000.0);
    ct__sbuf_printf(&b, ", %s. Walk-forward efficiency (OOS CAGR / mean IS CAGR): ",
                    wf->anchored ? "anchored" : "rolling");
    ct__sbuf_num(&b, wf->wfe);
    ct__sbuf_puts(&b, "</p>");
    /* chart 1: windows */
    double rowh = wf->nw <= 40 ? 14.0 : 560.0 / (double)wf->nw; /* chart grows to 40 rows, then packs */
    double h1 = T + B + rowh * (double)wf->nw;
    ct__sbuf_printf(&b, "<h2>Windows (grey: train, green/red: test with its out-of-sample %s)</h2>", wf->objective);
    ct__sbuf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\">", W, h1);
    for (int64_t w = 0; w < wf->nw; w++) {
        const int64_t *t = wf->tms + 4 * w;
        double y = T + rowh * (double)w;
        double oos = wf->oos_m[(size_t)w * (size_t)wf->n_metrics + (size_t)wf->obj_col];
        int good = wf->maximize ? oos > 0 : oos < 0;
        ct__sbuf_printf(&b, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#bbb\"/>", XS(t[0]), y,
                        XS(t[1]) - XS(t[0]) + 0.5, rowh * 0.8);
        ct__sbuf_printf(&b, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>window %lld: "
                            "OOS %s = %.4g</title></rect>",
                        XS(t[2]), y, XS(t[3]) - XS(t[2]) + 0.5, rowh * 0.8, isnan(oos) ? "#999" : good ? "#2a2" : "#c33",
                        (long long)w, wf->objective, oos);
        if (rowh >= 11.0)
            ct__sbuf_printf(&b, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"10\" text-anchor=\"end\">#%lld</text>",
                            L - 4, y + rowh * 0.75, (long long)w);
    }
    fmt_date(t0, d0, sizeof(d0));
    fmt_date(t1, d1, sizeof(d1));
    ct__sbuf_printf(&b, "<text x=\"%g\" y=\"%g\" font-size=\"11\">%s</text><text x=\"%g\" y=\"%g\" font-size=\"11\" "
                        "text-anchor=\"end\">%s</text></svg>",
                    L, h1 - 8, d0, W - R, h1 - 8, d1);
    /* chart 2: stitched equity */
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < s->n; i++) {
        lo = s->equity[i] < lo ? s->equity[i] : lo;
        hi = s->equity[i] > hi ? s->equity[i] : hi;
    }
    if (!(hi > lo)) {
        hi = lo + 1;
    }
    ct__sbuf_puts(&b, "<h2>Stitched out-of-sample equity</h2>");
    ct__sbuf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\"><polyline fill=\"none\" "
                        "stroke=\"#1565c0\" stroke-width=\"1.2\" points=\"",
                    W, H);
    int64_t step = s->n > 2000 ? s->n / 2000 : 1;
    for (int64_t i = 0; i < s->n; i += step)
        ct__sbuf_printf(&b, "%.1f,%.1f ", XS(s->time[i]), T + (H - T - B) * (1.0 - (s->equity[i] - lo) / (hi - lo)));
    if (s->n > 0)
        ct__sbuf_printf(&b, "%.1f,%.1f", XS(s->time[s->n - 1]),
                        T + (H - T - B) * (1.0 - (s->equity[s->n - 1] - lo) / (hi - lo)));
    ct__sbuf_printf(&b, "\"/><text x=\"4\" y=\"%g\" font-size=\"11\">%.0f</text><text x=\"4\" y=\"%g\" "
                        "font-size=\"11\">%.0f</text></svg>",
                    T + 10, hi, H - B, lo);
#undef XS
    /* table */
    ct__sbuf_puts(&b, "<h2>Windows</h2><table><tr><th>#</th><th>train</th><th>test</th>");
    for (int32_t p = 0; p < wf->n_params; p++)
        ct__sbuf_printf(&b, "<th>%s</th>", wf->param_names[p]);
    ct__sbuf_printf(&b, "<th>IS %s</th><th>OOS %s</th></tr>", wf->objective, wf->objective);
    for (int64_t w = 0; w < wf->nw; w++) {
        const int64_t *t = wf->tms + 4 * w;
        char a0[16], a1[16];
        fmt_date(t[0], a0, sizeof(a0));
        fmt_date(t[2], a1, sizeof(a1));
        fmt_date(t[3], d1, sizeof(d1));
        ct__sbuf_printf(&b, "<tr><td>%lld</td><td>%s</td><td>%s .. %s</td>", (long long)w, a0, a1, d1);
        for (int32_t p = 0; p < wf->n_params; p++) {
            ct__sbuf_puts(&b, "<td>");
            ct__sbuf_param(&b, wf->param_kinds[p], wf->params[(size_t)w * (size_t)wf->n_params + (size_t)p]);
            ct__sbuf_puts(&b, "</td>");
        }
        ct__sbuf_printf(&b, "<td>%.4g</td><td>%.4g</td></tr>",
                        wf->is_m[(size_t)w * (size_t)wf->n_metrics + (size_t)wf->obj_col],
                        wf->oos_m[(size_t)w * (size_t)wf->n_metrics + (size_t)wf->obj_col]);
    }
    ct__sbuf_puts(&b, "</table><h2>Out-of-sample metrics</h2><table>");
    for (int32_t i = 0; i < ct_metric_count(); i++)
        ct__sbuf_printf(&b, "<tr><th>%s</th><td>%.6g</td></tr>", ct_metric_name(i), wf->st_metrics[i]);
    ct__sbuf_puts(&b, "</table></body></html>\n");
    char *txt = ct__sbuf_take(&b);
    if (!txt)
        return ct__fail(NULL, CT_E_NOMEM, "walkforward: out of memory");
    FILE *f = fopen(path, "wb");
    if (!f) {
        ct__free(txt);
        return ct__fail(NULL, CT_E_IO, "walkforward: cannot write %s", path);
    }
    size_t len = strlen(txt);
    int ok = fwrite(txt, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    ct__free(txt);
    return ok ? CT_OK : ct__fail(NULL, CT_E_IO, "walkforward: error writing %s", path);
}
