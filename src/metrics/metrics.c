/*
 * Public metrics API: the registry, metrics of a result (cached), metrics of a host equity curve,
 * benchmark alignment on time, daily resampling, drawdown and monthly tables.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"

struct ct_metrics {
    ct__err err;
    double values[CT_M__COUNT];
};

typedef struct metric_info {
    const char *name;
    const char *unit;
    int32_t higher_is_better;
    const char *description;
} metric_info;

static const metric_info k_metrics[CT_M__COUNT] = {
#define CT__M_ROW(name, unit, hib, desc) {#name, unit, hib, desc},
    CT__METRICS(CT__M_ROW)
#undef CT__M_ROW
};

/* ---- registry ---- */

int32_t ct_metric_count(void) { return CT_M__COUNT; }

const char *ct_metric_name(int32_t i) { return (i >= 0 && i < CT_M__COUNT) ? k_metrics[i].name : NULL; }

const char *ct_metric_description(int32_t i)
{
    return (i >= 0 && i < CT_M__COUNT) ? k_metrics[i].description : NULL;
}

const char *ct_metric_unit(int32_t i) { return (i >= 0 && i < CT_M__COUNT) ? k_metrics[i].unit : NULL; }

int32_t ct_metric_higher_is_better(int32_t i)
{
    return (i >= 0 && i < CT_M__COUNT) ? k_metrics[i].higher_is_better : -1;
}

int32_t ct_metric_find(const char *name)
{
    if (!name)
        return -1;
    for (int32_t i = 0; i < CT_M__COUNT; i++)
        if (strcmp(k_metrics[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- shared helpers ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* 365 days / the median time step (0 when there are fewer than two points). */
static ct_status ppy_from_times(const int64_t *t, int64_t n, double *ppy)
{
    *ppy = 0;
    if (n < 2)
        return CT_OK;
    int64_t *d = ct__malloc_array((size_t)(n - 1), sizeof(int64_t));
    if (!d)
        return ct__fail(NULL, CT_E_NOMEM, "metrics: out of memory for %lld time steps", (long long)(n - 1));
    for (int64_t i = 1; i < n; i++)
        d[i - 1] = t[i] - t[i - 1];
    qsort(d, (size_t)(n - 1), sizeof(int64_t), cmp_i64);
    int64_t m = n - 1;
    double med = (m % 2) ? (double)d[m / 2] : 0.5 * ((double)d[m / 2 - 1] + (double)d[m / 2]);
    ct__free(d);
    if (med > 0)
        *ppy = 365.0 * 86400000.0 / med;
    return CT_OK;
}

double ct__result_ppy(const ct_result *r)
{
    if (r->periods_per_year > 0)
        return r->periods_per_year;
    if (r->metrics_daily)
        return 365.0;
    if (r->interval_ms > 0)
        return 365.0 * 86400000.0 / (double)r->interval_ms;
    /* no interval recorded: the smallest time step */
    int64_t step = 0;
    for (int64_t i = 1; i < r->n; i++) {
        int64_t d = r->time[i] - r->time[i - 1];
        if (d > 0 && (step == 0 || d < step))
            step = d;
    }
    return step > 0 ? 365.0 * 86400000.0 / (double)step : 365.0;
}

/* Check a level series: strictly increasing time, finite values > 0. */
static ct_status check_series(ct__err *err, const char *what, const int64_t *t, const double *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (!(isfinite(v[i]) && v[i] > 0))
            return ct__fail(err, CT_E_DATA, "%s row %lld (0-based): value %g is not finite and > 0", what, (long long)i, v[i]);
        if (i > 0 && t[i] <= t[i - 1])
            return ct__fail(err, CT_E_DATA, "%s row %lld (0-based): time %lld is not after the previous row's %lld", what,
                            (long long)i, (long long)t[i], (long long)t[i - 1]);
    }
    return CT_OK;
}

/*
 * Benchmark returns aligned to the equity returns: out[i-1] is the benchmark's return ending at
 * time[i] (from its previous point), NaN where the benchmark has no point at time[i].
 */
static void align_bench(const int64_t *time, int64_t n, const int64_t *bt, const double *bv, int64_t nb, double *out)
{
    int64_t j = 0;
    for (int64_t i = 1; i < n; i++) {
        int64_t t = time[i];
        while (j < nb && bt[j] < t)
            j++;
        out[i - 1] = (j < nb && j > 0 && bt[j] == t) ? (bv[j] - bv[j - 1]) / bv[j - 1] : CT__NaN;
    }
}

/*
 * Metrics of one curve with its benchmark: resamples to day ends when `daily`, aligns a host
 * benchmark, runs the kernel. `s` carries the trades and accounting; its curve fields are filled
 * here.
 */
static ct_status compute_curve(ct__mseries *s, const int64_t *time, const double *equity, int64_t n,
                               const double *close, const int64_t *bt, const double *bv, int64_t nb, int daily,
                               double *out)
{
    ct_status st = CT_OK;
    int64_t *dt = NULL, *dbt = NULL;
    double *de = NULL, *dc = NULL, *dbv = NULL, *bret = NULL;
    if (daily) {
        int64_t nn = 0, nc = 0;
        if ((st = ct__resample_daily(time, equity, n, &dt, &de, &nn)) != CT_OK)
            goto out;
        if (close) {
            int64_t *tmp = NULL;
            st = ct__resample_daily(time, close, n, &tmp, &dc, &nc);
            ct__free(tmp);
            if (st != CT_OK)
                goto out;
        }
        if (nb > 0 && (st = ct__resample_daily(bt, bv, nb, &dbt, &dbv, &nb)) != CT_OK)
            goto out;
        time = dt;
        equity = de;
        n = nn;
        close = close ? dc : NULL;
        if (nb > 0) {
            bt = dbt;
            bv = dbv;
        }
    }
    s->time = time;
    s->equity = equity;
    s->n = n;
    s->bench_level = NULL;
    s->bench_ret = NULL;
    if (nb > 0 && n > 1) {
        bret = ct__malloc_array((size_t)(n - 1), sizeof(double));
        if (!bret) {
            st = ct__fail(NULL, CT_E_NOMEM, "metrics: out of memory aligning the benchmark");
            goto out;
        }
        align_bench(time, n, bt, bv, nb, bret);
        s->bench_ret = bret;
    } else if (nb == 0 && close) {
        s->bench_level = close;
    }
    st = ct__metrics_kernel(s, out);
out:
    ct__free(dt);
    ct__free(de);
    ct__free(dc);
    ct__free(dbt);
    ct__free(dbv);
    ct__free(bret);
    return st;
}

/* ---- metrics of a result ---- */

/* The group a metric needs beyond the always-computed core (0: none). */
static uint32_t metric_group(int32_t i)
{
    switch (i) {
    case CT_M_stability:
        return CT__MG_STABILITY;
    case CT_M_var_95:
    case CT_M_cvar_95:
    case CT_M_tail_ratio:
        return CT__MG_PERCENTILES;
    case CT_M_beta:
    case CT_M_alpha:
    case CT_M_information_ratio:
    case CT_M_tracking_error:
    case CT_M_buy_hold_return:
        return CT__MG_BENCH;
    default:
        return 0;
    }
}

static ct_status compute_result(const ct_result *r, uint32_t skip, double *out)
{
    if (!r || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct__metrics_compute: NULL %s", r ? "out" : "result");
    ct__mseries s;
    memset(&s, 0, sizeof(s));
    s.trades = r->trades;
    s.n_trades = r->n_trades;
    s.has_trades = 1;
    s.ppy = ct__result_ppy(r);
    s.rf = r->risk_free;
    s.skip = skip;
    s.total_commission = r->total_commission;
    s.turnover = r->capital > 0 ? r->turnover / r->capital : CT__NaN;
    /* the engine counted the bars held as it ran; otherwise the kernel counts them (daily
     * metrics: below, over every bar) */
    s.position = r->metrics_daily || r->n_held >= 0 ? NULL : r->position;
    ct_status st = compute_curve(&s, r->time, r->equity, r->n, r->close, r->bench_time, r->bench_value, r->bench_n,
                                 r->metrics_daily, out);
    if (st == CT_OK && (r->metrics_daily || r->n_held >= 0) && r->n > 0) {
        /* exposure stays a fraction of bars, whatever the sampling of the return metrics */
        int64_t held = r->n_held;
        if (held < 0) {
            held = 0;
            for (int64_t i = 0; i < r->n; i++)
                held += r->position ? r->position[i] != 0.0 : 0;
        }
        out[CT_M_exposure] = r->position || r->n_held >= 0 ? (double)held / (double)r->n : CT__NaN;
    }
    return st;
}

ct_status ct__metrics_compute(const ct_result *r, double *out) { return compute_result(r, 0, out); }

ct_status ct__metrics_compute_select(const ct_result *r, const int32_t *which, int32_t n_which, double *out)
{
    if (n_which < 0 || (n_which > 0 && !which))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct__metrics_compute_select: bad metric list");
    uint32_t need = 0;
    for (int32_t i = 0; i < n_which; i++) {
        if (which[i] < 0 || which[i] >= CT_M__COUNT)
            return ct__fail(NULL, CT_E_INVALID_ARG, "ct__metrics_compute_select: metric index %d out of range",
                            (int)which[i]);
        need |= metric_group(which[i]);
    }
    return compute_result(r, (CT__MG_STABILITY | CT__MG_PERCENTILES | CT__MG_BENCH) & ~need, out);
}

/* The result is logically const: the cache only memoizes a pure function of it. */
static ct_result *result_mut(const ct_result *r) { return (ct_result *)(uintptr_t)r; }

const double *ct__result_metrics(const ct_result *r)
{
    if (r->metrics)
        return r->metrics;
    double *v = ct__malloc_array(CT_M__COUNT, sizeof(double));
    if (!v) {
        ct__fail(&result_mut(r)->err, CT_E_NOMEM, "metrics: out of memory");
        return NULL;
    }
    ct_status st = ct__metrics_compute(r, v);
    if (st != CT_OK) {
        ct__free(v);
        ct__propagate(&result_mut(r)->err, st);
        return NULL;
    }
    result_mut(r)->metrics = v;
    return v;
}

ct_status ct_result_metric(const ct_result *r, const char *name, double *value)
{
    if (!r || !name || !value)
        return ct__fail(r ? &result_mut(r)->err : NULL, CT_E_INVALID_ARG, "ct_result_metric: NULL %s",
                        !r ? "result" : !name ? "name" : "value");
    int32_t i = ct_metric_find(name);
    if (i < 0)
        return ct__fail(&result_mut(r)->err, CT_E_NOT_FOUND, "ct_result_metric: unknown metric '%s'", name);
    const double *v = ct__result_metrics(r);
    if (!v)
        return CT_E_NOMEM;
    *value = v[i];
    return CT_OK;
}

ct_status ct_result_metrics_all(const ct_result *r, double *values, int64_t cap, int64_t *n_total)
{
    if (!r || !n_total || cap < 0 || (cap > 0 && !values))
        return ct__fail(r ? &result_mut(r)->err : NULL, CT_E_INVALID_ARG,
                        "ct_result_metrics_all: %s", !r ? "NULL result" : !n_total ? "NULL n_total" :
                        cap < 0 ? "negative cap" : "NULL values with cap > 0");
    *n_total = CT_M__COUNT;
    if (cap == 0)
        return CT_OK;
    const double *v = ct__result_metrics(r);
    if (!v)
        return CT_E_NOMEM;
    memcpy(values, v, (size_t)(cap < CT_M__COUNT ? cap : CT_M__COUNT) * sizeof(double));
    return CT_OK;
}

ct_status ct_result_set_benchmark(ct_result *r, const int64_t *time_ms, const double *values, int64_t n)
{
    if (!r || n < 0 || (n > 0 && (!time_ms || !values)))
        return ct__fail(r ? &r->err : NULL, CT_E_INVALID_ARG, "ct_result_set_benchmark: %s",
                        !r ? "NULL result" : n < 0 ? "negative n" : "NULL time_ms or values with n > 0");
    ct_status st = check_series(&r->err, "benchmark", time_ms, values, n);
    if (st != CT_OK)
        return st;
    int64_t *t = NULL;
    double *v = NULL;
    if (n > 0) {
        t = ct__malloc_array((size_t)n, sizeof(int64_t));
        v = ct__malloc_array((size_t)n, sizeof(double));
        if (!t || !v) {
            ct__free(t);
            ct__free(v);
            return ct__fail(&r->err, CT_E_NOMEM, "ct_result_set_benchmark: out of memory for %lld points",
                            (long long)n);
        }
        memcpy(t, time_ms, (size_t)n * sizeof(int64_t));
        memcpy(v, values, (size_t)n * sizeof(double));
    }
    ct__free(r->bench_time);
    ct__free(r->bench_value);
    r->bench_time = t;
    r->bench_value = v;
    r->bench_n = n;
    ct__free(r->metrics);
    r->metrics = NULL;
    return CT_OK;
}

ct_status ct_result_drawdowns(const ct_result *r, int64_t *start_ms, int64_t *trough_ms, int64_t *recovery_ms,
                              double *depth, int64_t *duration_bars, int64_t cap, int64_t *n_total)
{
    if (!r || !n_total || cap < 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_result_drawdowns: %s",
                        !r ? "NULL result" : !n_total ? "NULL n_total" : "negative cap");
    ct__dd_period p[5];
    int64_t k = ct__drawdown_top(r->equity, r->n, p, 5);
    *n_total = k;
    for (int64_t i = 0; i < k && i < cap; i++) {
        if (start_ms)
            start_ms[i] = r->time[p[i].start];
        if (trough_ms)
            trough_ms[i] = r->time[p[i].trough];
        if (recovery_ms)
            recovery_ms[i] = p[i].recovery >= 0 ? r->time[p[i].recovery] : -1;
        if (depth)
            depth[i] = p[i].depth;
        if (duration_bars)
            duration_bars[i] = (p[i].recovery >= 0 ? p[i].recovery : r->n - 1) - p[i].start;
    }
    return CT_OK;
}

ct_status ct_result_monthly_returns(const ct_result *r, int32_t *year, int32_t *month, double *ret, int64_t cap,
                                    int64_t *n_total)
{
    if (!r || !n_total || cap < 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_result_monthly_returns: %s",
                        !r ? "NULL result" : !n_total ? "NULL n_total" : "negative cap");
    int64_t *keys, cnt;
    double *rets;
    ct_status st = ct__monthly_returns(r->time, r->equity, r->n, &keys, &rets, &cnt);
    if (st != CT_OK)
        return st; /* the message is in the thread's slot only */
    *n_total = cnt;
    for (int64_t i = 0; i < cnt && i < cap; i++) {
        if (year)
            year[i] = (int32_t)(keys[i] / 12);
        if (month)
            month[i] = (int32_t)(keys[i] % 12) + 1;
        if (ret)
            ret[i] = rets[i];
    }
    ct__free(keys);
    ct__free(rets);
    return CT_OK;
}

/* ---- metrics of a host curve ---- */

ct_status ct_metrics_from_equity(const int64_t *time_ms, const double *equity, int64_t n, const int64_t *bench_time,
                                 const double *bench_values, int64_t nb, double periods_per_year, double risk_free,
                                 uint32_t flags, ct_metrics **out)
{
    if (out)
        *out = NULL;
    if (!out || n < 0 || nb < 0 || (n > 0 && (!time_ms || !equity)) || (nb > 0 && (!bench_time || !bench_values)))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_metrics_from_equity: %s",
                        !out ? "NULL out" : n < 0 ? "negative n" : nb < 0 ? "negative nb" :
                        (n > 0 && (!time_ms || !equity)) ? "NULL time_ms or equity" : "NULL benchmark arrays");
    if (!(periods_per_year >= 0) || !isfinite(periods_per_year))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_metrics_from_equity: periods_per_year %g is not finite and >= 0",
                        periods_per_year);
    if (!isfinite(risk_free))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_metrics_from_equity: risk_free is not finite");
    if (flags & ~(uint32_t)CT_METRICS_DAILY)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_metrics_from_equity: unknown flags 0x%x", (unsigned)flags);
    ct_status st;
    if ((st = check_series(NULL, "equity", time_ms, equity, n)) != CT_OK ||
        (st = check_series(NULL, "benchmark", bench_time, bench_values, nb)) != CT_OK)
        return st;
    ct_metrics *m = ct__calloc(1, sizeof(*m));
    if (!m)
        return ct__fail(NULL, CT_E_NOMEM, "ct_metrics_from_equity: out of memory");
    ct__mseries s;
    memset(&s, 0, sizeof(s));
    s.ppy = periods_per_year;
    if (s.ppy == 0) {
        if (flags & CT_METRICS_DAILY)
            s.ppy = 365.0;
        else if ((st = ppy_from_times(time_ms, n, &s.ppy)) != CT_OK)
            goto fail;
        if (s.ppy == 0)
            s.ppy = 365.0;
    }
    s.rf = risk_free;
    s.total_commission = CT__NaN;
    s.turnover = CT__NaN;
    if ((st = compute_curve(&s, time_ms, equity, n, NULL, bench_time, bench_values, nb, (flags & CT_METRICS_DAILY) != 0,
                            m->values)) != CT_OK)
        goto fail;
    *out = m;
    return CT_OK;
fail:
    ct__free(m);
    return st;
}

void ct_metrics_destroy(ct_metrics *m) { ct__free(m); }

const char *ct_metrics_errmsg(const ct_metrics *m) { return ct__errmsg(m ? &m->err : NULL); }

ct_status ct_metrics_get(const ct_metrics *m, const char *name, double *value)
{
    if (!m || !name || !value)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_metrics_get: NULL %s",
                        !m ? "handle" : !name ? "name" : "value");
    int32_t i = ct_metric_find(name);
    if (i < 0)
        return ct__fail(NULL, CT_E_NOT_FOUND, "ct_metrics_get: unknown metric '%s'", name);
    *value = m->values[i];
    return CT_OK;
}

ct_status ct_metrics_all(const ct_metrics *m, double *values, int64_t cap, int64_t *n_total)
{
    if (!m || !n_total || cap < 0 || (cap > 0 && !values))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_metrics_all: bad argument");
    *n_total = CT_M__COUNT;
    if (cap > 0)
        memcpy(values, m->values, (size_t)(cap < CT_M__COUNT ? cap : CT_M__COUNT) * sizeof(double));
    return CT_OK;
}

ct_status ct_metrics_json(const ct_metrics *m, char **out)
{
    if (out)
        *out = NULL;
    if (!m || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_metrics_json: NULL %s",
                        !m ? "handle" : "out");
    ct__sb b;
    ct__sb_init(&b);
    ct__sb_puts(&b, "{\"metrics\": {");
    for (int32_t i = 0; i < CT_M__COUNT; i++) {
        if (i)
            ct__sb_puts(&b, ", ");
        ct__sb_jstr(&b, k_metrics[i].name);
        ct__sb_puts(&b, ": ");
        ct__sb_num(&b, m->values[i]);
    }
    ct__sb_puts(&b, "}}");
    if (b.oom) {
        ct__sb_free(&b);
        return ct__fail(NULL, CT_E_NOMEM, "ct_metrics_json: out of memory");
    }
    *out = b.buf;
    return CT_OK;
}
