/*
 * The metric kernel's vector pass (src/metrics/kernel.c) against a plain scalar transcription of
 * the definitions in docs/metrics.md, and every build of the pass this CPU runs (portable, AVX2,
 * AVX-512) against the others (bit-identical). Curves mix flat stretches (no position, at the peak
 * and under it), new highs, drawdowns that recover and one that does not, so every branch of the
 * eight-bar drawdown step and the flat-block path runs; lengths cover the scalar tail, the
 * short-curve percentile path, both sample sizes of the bracket path and the segments of long
 * curves, whose metrics are the same bits on any number of threads.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"
#include "test_util.h"

static const int64_t k_sizes[] = {2, 3, 6, 9, 101, 4099, 70001, 200003};
#define N_SIZES ((int)(sizeof(k_sizes) / sizeof(k_sizes[0])))

/* A deterministic curve: flat stretches (position 0), then trending or falling stretches. */
static void make_curve(int64_t n, uint64_t seed, double *e, double *pos, double *close)
{
    uint64_t s = seed;
    e[0] = 1000;
    pos[0] = 0;
    close[0] = 50;
    for (int64_t i = 1; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
        int64_t phase = (i / 97) % 5;
        double d = phase == 0 ? 0.0 : phase == 1 ? 0.002 + u * 0.004 : u * 0.01;
        if (phase == 4 && i > n - n / 5)
            d = -0.001 + u * 0.002; /* a drawdown that lasts to the end */
        e[i] = e[i - 1] * (1 + d);
        pos[i] = d == 0.0 ? 0.0 : 1.5;
        close[i] = close[i - 1] * (1 + u * 0.008);
    }
}

/* a curve's arrays: equity, positions, close, and room for its returns */
typedef struct curve {
    double *e, *pos, *close, *r;
} curve;

static curve curve_alloc(int64_t n)
{
    curve c = {malloc((size_t)n * sizeof(double)), malloc((size_t)n * sizeof(double)),
               malloc((size_t)n * sizeof(double)), malloc((size_t)n * sizeof(double))};
    ck_assert(c.e && c.pos && c.close && c.r);
    return c;
}

static void curve_free(curve *c)
{
    free(c->e);
    free(c->pos);
    free(c->close);
    free(c->r);
}

static ct_result *result_of(int64_t n, const double *e, const double *pos, const double *close)
{
    ct_result *r = ct__result_new();
    ck_assert_ptr_nonnull(r);
    r->interval_ms = 60000;
    r->n = n;
    r->capital = e[0];
    r->time = ct__malloc_array((size_t)n, sizeof(int64_t));
    r->equity = ct__malloc_array((size_t)n, sizeof(double));
    r->close = ct__malloc_array((size_t)n, sizeof(double));
    r->position = ct__malloc_array((size_t)n, sizeof(double));
    ck_assert(r->time && r->equity && r->close && r->position);
    for (int64_t i = 0; i < n; i++) {
        r->time[i] = 1704067200000LL + i * 60000;
        r->equity[i] = e[i];
        r->close[i] = close[i];
        r->position[i] = pos[i];
    }
    return r;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double lerp_np(double a, double b, double t) { return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t; }

/* |a - b| <= tol * max(1, |b|), or both NaN */
static void near(const char *name, int64_t n, double a, double b, double tol)
{
    if (isnan(a) && isnan(b))
        return;
    ck_assert_msg(fabs(a - b) <= tol * fmax(1.0, fabs(b)), "n=%lld %s: kernel %.17g, scalar %.17g", (long long)n,
                  name, a, b);
}

static int same_bits(double a, double b) { return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0; }

/* var_95, cvar_95 and tail_ratio as numpy defines them, from the m returns r (sorted here) */
static void ref_percentiles(double *r, int64_t m, double *var, double *cvar, double *tail)
{
    qsort(r, (size_t)m, sizeof(double), cmp_d);
    double h5 = (double)(m - 1) * 0.05, h95 = (double)(m - 1) * 0.95;
    int64_t k5 = (int64_t)floor(h5), k95 = (int64_t)floor(h95);
    double p5 = lerp_np(r[k5], r[k5 + 1 < m ? k5 + 1 : k5], h5 - (double)k5);
    double p95 = lerp_np(r[k95], r[k95 + 1 < m ? k95 + 1 : k95], h95 - (double)k95), cs = 0;
    for (int64_t i = 0; i <= k5; i++)
        cs += r[i];
    *var = p5;
    *cvar = cs / (double)(k5 + 1);
    *tail = p5 != 0 ? fabs(p95) / fabs(p5) : NAN;
}

/* The kernel's metrics of a curve (its returns go to r) against the definitions of
 * docs/metrics.md, one bar at a time. */
static void check_vs_scalar(int64_t n, const double *e, const double *pos, const double *close, double *r)
{
    ct_result *res = result_of(n, e, pos, close);
    double out[128];
    ck_assert_ok(ct__metrics_compute(res, out));

    int64_t m = n - 1, held = 0;
    double s1 = 0, peak = e[0], mdd = 0, u2 = 0, trough = 0, dd_sum = 0, neg = 0, posr = 0, d2 = 0;
    int64_t peak_i = 0, dd_count = 0, max_dur = 0, in_dd = 0;
    for (int64_t i = 0; i < n; i++) {
        held += pos[i] != 0.0;
        if (e[i] >= peak) {
            if (in_dd) {
                max_dur = i - peak_i > max_dur ? i - peak_i : max_dur;
                dd_sum += trough;
                dd_count++;
                in_dd = 0;
            }
            peak = e[i];
            peak_i = i;
        } else {
            double dd = e[i] / peak - 1;
            u2 += dd * dd;
            trough = in_dd ? fmin(trough, dd) : dd;
            in_dd = 1;
            mdd = fmin(mdd, dd);
        }
        if (i > 0) {
            r[i - 1] = (e[i] - e[i - 1]) / e[i - 1];
            s1 += r[i - 1];
            if (r[i - 1] < 0) {
                neg -= r[i - 1];
                d2 += r[i - 1] * r[i - 1];
            } else {
                posr += r[i - 1];
            }
        }
    }
    if (in_dd) {
        max_dur = n - 1 - peak_i > max_dur ? n - 1 - peak_i : max_dur;
        dd_sum += trough;
        dd_count++;
    }
    near("exposure", n, out[CT_M_exposure], (double)held / (double)n, 0);
    near("max_drawdown", n, out[CT_M_max_drawdown], mdd, 1e-13);
    near("ulcer_index", n, out[CT_M_ulcer_index], sqrt(u2 / (double)n), 1e-12);
    near("max_drawdown_duration", n, out[CT_M_max_drawdown_duration], (double)max_dur, 0);
    near("avg_drawdown", n, out[CT_M_avg_drawdown], dd_count ? dd_sum / (double)dd_count : NAN, 1e-12);
    near("total_return", n, out[CT_M_total_return], e[n - 1] / e[0] - 1, 1e-13);
    if (m >= 2) {
        double mean = s1 / (double)m, ss = 0;
        for (int64_t i = 0; i < m; i++)
            ss += (r[i] - mean) * (r[i] - mean);
        double sd = sqrt(ss / (double)(m - 1)), A = 525600;
        near("annual_volatility", n, out[CT_M_annual_volatility], sd * sqrt(A), 1e-10);
        near("sharpe_ratio", n, out[CT_M_sharpe_ratio], sd > 0 ? mean / sd * sqrt(A) : NAN, 1e-9);
        near("omega_ratio", n, out[CT_M_omega_ratio], neg > 0 ? posr / neg : NAN, 1e-12);
        near("downside_risk", n, out[CT_M_downside_risk], sqrt(d2 / (double)m) * sqrt(A), 1e-12);
        /* stability: R^2 of log(E[i]/E[0]) on its index, with libm's log */
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (int64_t i = 0; i < m; i++) {
            double x = (double)i, y = log(e[i + 1] / e[0]);
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
        }
        double cxy = sxy - sx * sy / (double)m, cxx = sxx - sx * sx / (double)m, cyy = syy - sy * sy / (double)m;
        near("stability", n, out[CT_M_stability], cxy * cxy / (cxx * cyy), 1e-9);
    }
    if (m >= 1) {
        double var, cvar, tail;
        ref_percentiles(r, m, &var, &cvar, &tail);
        near("var_95", n, out[CT_M_var_95], var, 1e-13);
        near("cvar_95", n, out[CT_M_cvar_95], cvar, 1e-12);
        near("tail_ratio", n, out[CT_M_tail_ratio], tail, 1e-12);
    }
    ct_result_destroy(res);
}

START_TEST(test_kernel_vs_scalar)
{
    int64_t n = k_sizes[_i];
    curve cv = curve_alloc(n);
    make_curve(n, 777 + (uint64_t)_i, cv.e, cv.pos, cv.close);
    check_vs_scalar(n, cv.e, cv.pos, cv.close, cv.r);
    curve_free(&cv);
}
END_TEST

/* every metric of res, with the pass on `threads` threads, into out */
static void metrics_on(ct_result *res, int threads, double *out)
{
    ct__metrics_kernel_force_threads(threads);
    ck_assert_ok(ct__metrics_compute(res, out));
    ct__metrics_kernel_force_threads(0);
}

static void assert_same(const char *what, int64_t n, int threads, const double *a, const double *b)
{
    for (int32_t i = 0; i < ct_metric_count(); i++)
        ck_assert_msg(same_bits(a[i], b[i]), "%s, n=%lld, %d threads vs 1, %s: %.17g vs %.17g", what, (long long)n,
                      threads, ct_metric_name(i), b[i], a[i]);
}

/* res's metrics on 2 and on 3 threads are the bits `one` holds (from one thread) */
static void same_on_2_and_3_threads(const char *what, ct_result *res, const double *one)
{
    double b[128];
    for (int threads = 2; threads <= 3; threads++) {
        metrics_on(res, threads, b);
        assert_same(what, res->n, threads, one, b);
    }
}

/*
 * A long curve is done in segments of 65,536 bars, on helper threads where there are cores: the
 * drawdown state machine is carried across the cuts (a pass on the calling thread, or a walk of
 * the drawdowns alone over a segment a helper did). This curve puts every drawdown event on a
 * cut: a peak on the last bar of segment 0, a drawdown over segments 1 to 3 that recovers to the
 * very same level on the first bar of segment 4, a flat stretch at that peak across the next cut,
 * then new highs and a drawdown to the end. Checked against the definitions on 1, 2 and 3
 * threads, with the same bits on each.
 */
START_TEST(segment_cuts_vs_scalar)
{
    const int64_t S = 65536, n = 6 * S + 4001;
    curve cv = curve_alloc(n);
    double *e = cv.e, *pos = cv.pos, *close = cv.close;
    uint64_t s = 31;
    e[0] = 1000;
    for (int64_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0 - 0.5, d;
        if (i == 0)
            d = 0;
        else if (i <= S) /* up to the peak at bar S, the last of segment 0 */
            d = 0.00002 + u * 0.0001;
        else if (i < 4 * S + 1) /* below it until the first bar of segment 4 */
            d = u * 0.004;
        else if (i < 5 * S + 40) /* at the peak, over the cut at 5 S + 1 */
            d = 0;
        else if (i < 5 * S + 30000)
            d = 0.00001 + u * 0.0002;
        else
            d = -0.00001 + u * 0.0002;
        e[i] = i == 0 ? 1000 : e[i - 1] * (1 + d);
        if (i > S && i < 4 * S + 1 && e[i] >= e[S])
            e[i] = e[S] * (1 - 1e-6); /* stays under the peak */
        if (i == 4 * S + 1 || (i > 4 * S + 1 && i < 5 * S + 40))
            e[i] = e[S]; /* recovers to the same level: closes the drawdown, not a new peak */
        pos[i] = d == 0.0 ? 0.0 : 1.0;
        close[i] = 50 + 10 * sin((double)i * 1e-4) + u;
    }
    const double peak = e[S];
    for (int64_t i = S + 1; i <= 4 * S; i++)
        ck_assert(e[i] < peak);
    for (int threads = 1; threads <= 3; threads++) {
        ct__metrics_kernel_force_threads(threads);
        check_vs_scalar(n, e, pos, close, cv.r);
        ct__metrics_kernel_force_threads(0);
    }
    ct_result *res = result_of(n, e, pos, close);
    double a[128];
    metrics_on(res, 1, a);
    /* the drawdown from bar S to bar 4 S + 1 is the longest */
    ck_assert_double_eq(a[CT_M_max_drawdown_duration], (double)(3 * S + 1));
    same_on_2_and_3_threads("segment cuts", res, a);
    ct_result_destroy(res);
    curve_free(&cv);
}
END_TEST

/* The same bits whatever the thread count: every metric, the select path, a host benchmark. */
START_TEST(threads_identical)
{
    static const int64_t sizes[3] = {131073, 200003, 1000003};
    const int64_t n = sizes[_i];
    curve cv = curve_alloc(n);
    make_curve(n, 1234 + (uint64_t)_i, cv.e, cv.pos, cv.close);
    ct_result *res = result_of(n, cv.e, cv.pos, cv.close);
    double a[128], b[128];
    metrics_on(res, 1, a);
    static const int tc[4] = {2, 3, 8, 0};
    for (int k = 0; k < 4; k++) {
        metrics_on(res, tc[k], b);
        assert_same("every metric", n, tc[k], a, b);
    }
    const int32_t head[3] = {ct_metric_find("sharpe_ratio"), ct_metric_find("max_drawdown"), ct_metric_find("exposure")};
    ct__metrics_kernel_force_threads(1);
    ck_assert_ok(ct__metrics_compute_select(res, head, 3, a));
    for (int k = 0; k < 3; k++) {
        ct__metrics_kernel_force_threads(tc[k]);
        ck_assert_ok(ct__metrics_compute_select(res, head, 3, b));
        for (int j = 0; j < 3; j++)
            ck_assert_msg(same_bits(a[head[j]], b[head[j]]), "select, %d threads, %s", tc[k], ct_metric_name(head[j]));
    }
    /* a host benchmark: every 5th point missing */
    int64_t nb = 0;
    int64_t *t = malloc((size_t)n * sizeof(int64_t));
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 0; i < n; i++)
        if (i % 5 != 2) {
            t[nb] = res->time[i];
            cv.r[nb++] = cv.close[i];
        }
    ct_metrics *m1 = NULL;
    int64_t total = 0;
    ct__metrics_kernel_force_threads(1);
    ck_assert_ok(ct_metrics_from_equity(res->time, cv.e, n, t, cv.r, nb, 0, 0, 0, &m1));
    ck_assert_ok(ct_metrics_all(m1, a, 128, &total));
    ck_assert(isfinite(a[CT_M_beta]) && isfinite(a[CT_M_buy_hold_return]));
    for (int k = 0; k < 3; k++) {
        ct_metrics *m2 = NULL;
        ct__metrics_kernel_force_threads(tc[k]);
        ck_assert_ok(ct_metrics_from_equity(res->time, cv.e, n, t, cv.r, nb, 0, 0, 0, &m2));
        ck_assert_ok(ct_metrics_all(m2, b, 128, &total));
        assert_same("host benchmark", n, tc[k], a, b);
        ct_metrics_destroy(m2);
    }
    ct__metrics_kernel_force_threads(0);
    ct_metrics_destroy(m1);
    free(t);
    ct_result_destroy(res);
    curve_free(&cv);
}
END_TEST

/*
 * Brackets that cannot hold the returns they should keep: the strided sample sees returns spread
 * over [-0.001, 0.001] while nearly all the others sit on the sample's 5th percentile, so the 5%
 * bracket overflows in every segment. The exact fallback then gives the sorted reference's
 * values, on one thread and on several alike.
 */
START_TEST(bracket_overflow_segments)
{
    const int64_t n = 300001, m = n - 1, S = 16384, stride = m / S;
    curve cv = curve_alloc(n);
    double *e = cv.e;
    uint64_t s = 8;
    e[0] = 1000;
    for (int64_t i = 1; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
        double d = (i - 1) % stride == 0 ? 0.002 * u : -0.0009 + 1e-7 * u;
        e[i] = e[i - 1] * (1 + d);
        cv.pos[i] = 1;
        cv.close[i] = 100;
    }
    cv.pos[0] = 0;
    cv.close[0] = 100;
    for (int64_t i = 1; i < n; i++)
        cv.r[i - 1] = (e[i] - e[i - 1]) / e[i - 1];
    double var, cvar, tail;
    ref_percentiles(cv.r, m, &var, &cvar, &tail);
    ct_result *res = result_of(n, e, cv.pos, cv.close);
    double a[128];
    metrics_on(res, 1, a);
    near("var_95", n, a[CT_M_var_95], var, 1e-13);
    near("cvar_95", n, a[CT_M_cvar_95], cvar, 1e-12);
    near("tail_ratio", n, a[CT_M_tail_ratio], tail, 1e-12);
    same_on_2_and_3_threads("bracket overflow", res, a);
    ct_result_destroy(res);
    curve_free(&cv);
}
END_TEST

/* every build of the pass this CPU runs gives the same bits */
START_TEST(test_generic_build_identical)
{
    int64_t n = k_sizes[_i];
    double *e = malloc((size_t)n * sizeof(double)), *pos = malloc((size_t)n * sizeof(double));
    double *close = malloc((size_t)n * sizeof(double));
    int64_t *t = malloc((size_t)n * sizeof(int64_t));
    make_curve(n, 4242 + (uint64_t)_i, e, pos, close);
    for (int64_t i = 0; i < n; i++)
        t[i] = 1704067200000LL + i * 60000;
    ct_result *res = result_of(n, e, pos, close);
    double a[128], b[128];
    const int top = ct__metrics_kernel_level();
    ck_assert_ok(ct__metrics_compute(res, a));
    for (int level = 0; level < top; level++) {
        ct__metrics_kernel_force_level(level);
        ck_assert_ok(ct__metrics_compute(res, b));
        ct__metrics_kernel_force_level(-1);
        for (int32_t i = 0; i < ct_metric_count(); i++)
            ck_assert_msg(same_bits(a[i], b[i]), "n=%lld build %d vs %d, %s: %.17g vs %.17g", (long long)n, level, top,
                          ct_metric_name(i), a[i], b[i]);
    }
    /* the same curve wiped out from two thirds on: equity 0 is a flat stretch whose returns are
     * 0/0 (NaN), not zeros, so the return metrics are undefined in every build */
    if (n > 100) {
        for (int64_t i = 2 * n / 3; i < n; i++)
            res->equity[i] = 0.0;
        ck_assert_ok(ct__metrics_compute(res, a));
        ck_assert(isnan(a[CT_M_sharpe_ratio]) && isnan(a[CT_M_annual_volatility]));
        ck_assert_double_eq(a[CT_M_max_drawdown], -1.0);
        for (int level = 0; level < top; level++) {
            ct__metrics_kernel_force_level(level);
            ck_assert_ok(ct__metrics_compute(res, b));
            ct__metrics_kernel_force_level(-1);
            for (int32_t i = 0; i < ct_metric_count(); i++)
                ck_assert_msg(same_bits(a[i], b[i]), "wiped out, n=%lld build %d, %s: %.17g vs %.17g", (long long)n,
                              level, ct_metric_name(i), a[i], b[i]);
        }
        for (int64_t i = 0; i < n; i++)
            res->equity[i] = e[i];
    }
    /* a host benchmark series (the aligned-returns path), skipping every 7th point */
    int64_t nb = 0;
    for (int64_t i = 0; i < n; i++)
        if (i % 7 != 3) {
            t[nb] = 1704067200000LL + i * 60000;
            close[nb++] = close[i];
        }
    ct_metrics *m1 = NULL;
    ck_assert_ok(ct_metrics_from_equity(res->time, e, n, t, close, nb, 0, 0, 0, &m1));
    int64_t total = 0;
    ck_assert_ok(ct_metrics_all(m1, a, 128, &total));
    if (n > 100) /* the benchmark metrics ran */
        ck_assert(isfinite(a[CT_M_beta]) && isfinite(a[CT_M_tracking_error]));
    for (int level = 0; level < top; level++) {
        ct_metrics *m2 = NULL;
        ct__metrics_kernel_force_level(level);
        ck_assert_ok(ct_metrics_from_equity(res->time, e, n, t, close, nb, 0, 0, 0, &m2));
        ct__metrics_kernel_force_level(-1);
        ck_assert_ok(ct_metrics_all(m2, b, 128, &total));
        for (int32_t i = 0; i < ct_metric_count(); i++)
            ck_assert_msg(same_bits(a[i], b[i]), "host benchmark, n=%lld build %d, %s: %.17g vs %.17g", (long long)n,
                          level, ct_metric_name(i), a[i], b[i]);
        ct_metrics_destroy(m2);
    }
    ct_metrics_destroy(m1);
    ct_result_destroy(res);
    free(e);
    free(pos);
    free(close);
    free(t);
}
END_TEST

/*
 * The percentile brackets run inside the log-curve phase when stability is computed (flat blocks
 * only counted) and on their own when it is not: both give the sorted reference's values, and
 * the same bits. Curves: the mixed one (zeros inside the middle of the distribution), and a
 * rising one with short flat stretches, whose zeros lie below the 5% bracket.
 */
START_TEST(test_percentiles_every_path)
{
    static const int64_t sizes[3] = {4099, 70001, 200003};
    const int64_t n = sizes[_i % 3];
    curve cv = curve_alloc(n);
    double *e = cv.e, *pos = cv.pos, *close = cv.close, *r = cv.r;
    make_curve(n, 99 + (uint64_t)_i, e, pos, close);
    if (_i >= 3) {
        uint64_t s = 5 + (uint64_t)_i;
        for (int64_t i = 1; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
            double d = i % 1000 < 16 ? 0.0 : 0.001 + u * 0.0015;
            e[i] = e[i - 1] * (1 + d);
            pos[i] = d == 0.0 ? 0.0 : 1.0;
        }
    }
    for (int64_t i = 1; i < n; i++)
        r[i - 1] = (e[i] - e[i - 1]) / e[i - 1];
    double var, cvar, tail;
    ref_percentiles(r, n - 1, &var, &cvar, &tail);
    if (_i >= 3)
        ck_assert(r[(n - 1) / 20] > 0); /* the zeros are below the 5th percentile */
    ct_result *res = result_of(n, e, pos, close);
    double full[128], sel[128], sel2[128];
    const int32_t pct[1] = {ct_metric_find("var_95")};
    const int32_t pct_log[2] = {ct_metric_find("var_95"), ct_metric_find("stability")};
    ck_assert_ok(ct__metrics_compute(res, full));
    ck_assert_ok(ct__metrics_compute_select(res, pct, 1, sel));
    ck_assert_ok(ct__metrics_compute_select(res, pct_log, 2, sel2));
    static const int ids[3] = {CT_M_var_95, CT_M_cvar_95, CT_M_tail_ratio};
    const double want[3] = {var, cvar, tail};
    for (int j = 0; j < 3; j++) {
        const char *nm = ct_metric_name(ids[j]);
        near(nm, n, full[ids[j]], want[j], 1e-12);
        ck_assert_msg(same_bits(full[ids[j]], sel[ids[j]]), "n=%lld %s: without stability %.17g, full %.17g",
                      (long long)n, nm, sel[ids[j]], full[ids[j]]);
        ck_assert_msg(same_bits(full[ids[j]], sel2[ids[j]]), "n=%lld %s: with stability %.17g, full %.17g",
                      (long long)n, nm, sel2[ids[j]], full[ids[j]]);
    }
    ct_result_destroy(res);
    curve_free(&cv);
}
END_TEST

START_TEST(nan_return_undefines_percentiles)
{
    /* a leveraged curve that reaches 0, stays there a bar (0/0: a NaN return) and goes below:
     * numpy's percentile (empyrical's var, cvar, tail ratio) is NaN with a NaN among the
     * returns, on the exact path (short curves) and through the brackets (long ones) alike,
     * where the selections used to rank the NaN last and give numbers for some of the three */
    static const int64_t lens[2] = {20, 5000};
    for (int k = 0; k < 2; k++) {
        int64_t n = lens[k];
        double *e = malloc((size_t)n * sizeof(double)), *pos = malloc((size_t)n * sizeof(double));
        double *close = malloc((size_t)n * sizeof(double));
        ck_assert(e && pos && close);
        for (int64_t i = 0; i < n; i++) {
            e[i] = 1000.0 + 100.0 * sin((double)i * 0.37);
            pos[i] = 1.0;
            close[i] = 100.0 + (double)(i % 7);
        }
        e[n / 2] = e[n / 2 + 1] = 0.0;
        e[n / 2 + 2] = -5.0;
        ct_result *res = result_of(n, e, pos, close);
        double out[128];
        ck_assert_ok(ct__metrics_compute(res, out));
        ck_assert_msg(isnan(out[CT_M_var_95]), "n=%lld var_95 %.17g", (long long)n, out[CT_M_var_95]);
        ck_assert_msg(isnan(out[CT_M_cvar_95]), "n=%lld cvar_95 %.17g", (long long)n, out[CT_M_cvar_95]);
        ck_assert_msg(isnan(out[CT_M_tail_ratio]), "n=%lld tail_ratio %.17g", (long long)n, out[CT_M_tail_ratio]);
        /* the drawdown, from the levels alone, stays defined: -100% at the bars of 0, then below */
        ck_assert_msg(out[CT_M_max_drawdown] < -1.0, "max_drawdown %.17g", out[CT_M_max_drawdown]);
        /* without the 0, the same curve has all three */
        e[n / 2] = e[n / 2 + 1] = e[n / 2 + 2] = 1000.0;
        ct_result *ok = result_of(n, e, pos, close);
        ck_assert_ok(ct__metrics_compute(ok, out));
        ck_assert(isfinite(out[CT_M_var_95]) && isfinite(out[CT_M_cvar_95]) && isfinite(out[CT_M_tail_ratio]));
        ct_result_destroy(ok);
        ct_result_destroy(res);
        free(e);
        free(pos);
        free(close);
    }
}
END_TEST

/*
 * Allocation failures in the segmented pass, on 2 threads: each allocation of the call fails in
 * turn. The segments' table or the brackets failing is CT_E_NOMEM with nothing leaked; the
 * helper's bracket buffers failing leaves the work to the calling thread, with the same bits.
 */
START_TEST(segments_out_of_memory)
{
    const int64_t n = 200003;
    curve cv = curve_alloc(n);
    make_curve(n, 55, cv.e, cv.pos, cv.close);
    double want[128], got[128];
    ct_result *r0 = result_of(n, cv.e, cv.pos, cv.close);
    metrics_on(r0, 2, want);
    ct_result_destroy(r0);
    ct_test_failalloc_install(1000000);
    r0 = result_of(n, cv.e, cv.pos, cv.close);
    const int64_t base = ct_test_failalloc_count();
    ct_result_destroy(r0);
    ct_test_failalloc_remove();
    int ok = 0, nomem = 0;
    for (int64_t k = 0; k < 20 && !ok; k++) {
        ct_test_failalloc_install(base + k);
        ct_result *r = result_of(n, cv.e, cv.pos, cv.close);
        ct__metrics_kernel_force_threads(2);
        ct_status st = ct__metrics_compute(r, got);
        ct__metrics_kernel_force_threads(0);
        const int64_t tried = ct_test_failalloc_count() - base;
        if (st == CT_OK) {
            assert_same("out of memory", n, 2, want, got);
            ok = tried <= k; /* no allocation of the call failed: the walk is done */
        } else {
            ck_assert_int_eq(st, CT_E_NOMEM);
            nomem++;
        }
        ct_result_destroy(r);
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        ct_test_failalloc_remove();
    }
    ck_assert(ok);
    ck_assert_int_ge(nomem, 2); /* the segments' table and the brackets */
    curve_free(&cv);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("metrics_kernel");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_kernel_vs_scalar, 0, N_SIZES);
    tcase_add_loop_test(tc, test_generic_build_identical, 0, N_SIZES);
    tcase_add_loop_test(tc, test_percentiles_every_path, 0, 6);
    tcase_add_test(tc, nan_return_undefines_percentiles);
    tcase_add_test(tc, segment_cuts_vs_scalar);
    tcase_add_loop_test(tc, threads_identical, 0, 3);
    tcase_add_test(tc, bracket_overflow_segments);
    tcase_add_test(tc, segments_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(suite()); }
