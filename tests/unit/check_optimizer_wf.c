/* Walk-forward analysis on synthetic data whose best parameter flips halfway. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "cryptota/engine.h"
#include "cryptota/metrics.h"

/*
 * Test class "wf_dir": from bar `start` on, once its SMA(20) is defined, hold a target position
 * of `dir` x equity (1 long, -1 short, 0 nothing). With shorting allowed, an up trend makes
 * dir = 1 the best and a down trend dir = -1. `start` lets a plain backtest reproduce what the
 * walk-forward's test run does (trade only from the first test bar, indicators warmed before).
 */
typedef struct {
    int dir;
    int64_t start;
    int32_t h;
} wf_dir;

static ct_status wd_create(void *cu, const double *p, int32_t n, void **inst, char *err, int32_t cap)
{
    wf_dir *s = calloc(1, sizeof(*s));
    s->dir = (int)p[0];
    s->start = (int64_t)p[1];
    *inst = s;
    return CT_OK;
}
static ct_status wd_start(void *u, ct_ctx *ctx)
{
    wf_dir *s = u;
    double period = 20;
    return ct_ctx_declare_indicator(ctx, "sma", &period, 1, &s->h);
}
static ct_status wd_bar(void *u, ct_ctx *ctx)
{
    wf_dir *s = u;
    double sma;
    if (ct_ctx_bar_index(ctx) < s->start || s->dir == 0)
        return CT_OK;
    ct_status st = ct_ctx_indicator(ctx, s->h, 0, 0, &sma);
    if (st != CT_OK || isnan(sma) || ct_ctx_position(ctx) != 0.0 || ct_ctx_open_orders(ctx) > 0)
        return st;
    return ct_ctx_order_target(ctx, (double)s->dir, NULL);
}
static void wd_destroy(void *u) { free(u); }

/* A thread-affine copy: every callback must run on the thread that called the optimizer. */
static pthread_t g_main;
static int g_wrong_thread;
static ct_status wa_start(void *u, ct_ctx *ctx)
{
    if (!pthread_equal(pthread_self(), g_main))
        g_wrong_thread++;
    return wd_start(u, ctx);
}

static const ct_param_def k_params[] = {
    {sizeof(ct_param_def), CT_PARAM_INT, "dir", 1, -1, 1, 1, "direction"},
    {sizeof(ct_param_def), CT_PARAM_INT, "start", 0, 0, 1e9, 0, "first bar that may trade"},
};

static const ct_strategy_class *wf_class(void)
{
    const ct_strategy_class *c = ct_strategy_class_find("wf_dir");
    if (c)
        return c;
    ct_strategy_vtable vt;
    memset(&vt, 0, sizeof(vt));
    vt.struct_size = sizeof(vt);
    vt.name = "wf_dir";
    vt.params = k_params;
    vt.n_params = 2;
    vt.create = wd_create;
    vt.on_start = wd_start;
    vt.on_bar = wd_bar;
    vt.destroy = wd_destroy;
    ck_assert_ok(ct_strategy_register(&vt));
    return ct_strategy_class_find("wf_dir");
}

/* 2000 hourly bars: +0.2% a bar with a wiggle for the first 1000, -0.2% a bar after. */
static ct_feed *synthetic(void)
{
    enum { N = 2000 };
    static int64_t t[N];
    static double o[N], h[N], l[N], c[N], v[N];
    double p = 100.0;
    for (int i = 0; i < N; i++) {
        double g = (i < N / 2 ? 0.002 : -0.002) + 0.004 * sin(i * 0.7);
        t[i] = 1700000000000LL + (int64_t)i * 3600000;
        o[i] = p;
        c[i] = p * (1.0 + g);
        h[i] = fmax(o[i], c[i]) * 1.001;
        l[i] = fmin(o[i], c[i]) * 0.999;
        v[i] = 1.0;
        p = c[i];
    }
    ct_feed *f;
    ck_assert_ok(ct_feed_from_arrays("SYN", 3600000, t, o, h, l, c, v, N, 0, &f));
    return f;
}

/* An optimizer of the wf class over f: shorts allowed, total return, the three directions. */
static ct_optimizer *dir_optimizer(ct_feed *f)
{
    ct_optimizer *o;
    ck_assert_ok(ct_optimizer_create(f, wf_class(), &o));
    ck_assert_ok(ct_optimizer_configure_engine_json(o, "{\"allow_short\":true}"));
    ck_assert_ok(ct_optimizer_set_objective(o, "total_return", 1));
    ck_assert_ok(ct_optimizer_set_grid_json(o, "{\"dir\":[-1,0,1]}"));
    return o;
}

START_TEST(best_parameter_recovered_and_stitched)
{
    const ct_strategy_class *cls = wf_class(); /* the registry keeps the class: count after it */
    int64_t live0 = ct_alloc_live_count();
    ct_feed *f = synthetic();
    ct_optimizer *o = dir_optimizer(f);
    ck_assert_ok(ct_optimizer_set_threads(o, 2));
    ct_walkforward *wf;
    /* rolling: train 300, purge 10, test 100: windows start every 100 bars while
     * s + 410 <= 2000, i.e. s = 0..1500: 16 windows */
    ck_assert_ok(ct_optimizer_walkforward(o, 300, 100, 10, 0, CT_WF_BARS, &wf));
    int64_t nw = ct_walkforward_window_count(wf);
    ck_assert_int_eq(nw, 16);

    int64_t n_eq;
    ck_assert_ok(ct_walkforward_equity(wf, NULL, NULL, 0, &n_eq));
    ck_assert_int_eq(n_eq, 1 + 16 * 100);
    int64_t *et = malloc((size_t)n_eq * sizeof(int64_t));
    double *ee = malloc((size_t)n_eq * sizeof(double));
    ck_assert_ok(ct_walkforward_equity(wf, et, ee, n_eq, &n_eq));
    ck_assert(ee[0] == 10000.0); /* the capital, at the bar before the first test bar */

    ct_engine *eng;
    ck_assert_ok(ct_engine_create(&eng));
    ck_assert_ok(ct_engine_configure_json(eng, "{\"allow_short\":true}"));
    double scale = ee[0];
    for (int64_t w = 0; w < nw; w++) {
        int64_t a, b, c, d, idx;
        double par[2];
        int32_t np;
        ck_assert_ok(ct_walkforward_window(wf, w, &a, &b, &c, &d, &idx, NULL, NULL));
        ck_assert_int_eq(a, 100 * w);
        ck_assert_int_eq(b, a + 300);
        ck_assert_int_eq(c, b + 10);
        ck_assert_int_eq(d, c + 100);
        ck_assert_ok(ct_walkforward_window_params(wf, w, par, 2, &np));
        ck_assert_int_eq(np, 2);
        /* the best direction follows the train window's trend */
        if (b <= 1000)
            ck_assert_msg(par[0] == 1, "window %lld (train %lld..%lld): dir %g", (long long)w, (long long)a,
                          (long long)b, par[0]);
        if (a >= 1000)
            ck_assert_msg(par[0] == -1, "window %lld: dir %g", (long long)w, par[0]);

        /* Concatenated test runs: a plain backtest over [a, d) trading from bar c - a (the test
         * class's own `start`) gives the window's out-of-sample returns exactly. */
        ct_feed *sl;
        const int64_t *ft = ct_feed_time(f);
        ck_assert_ok(ct_feed_slice(f, ft[a], ft[d - 1] + 1, &sl));
        ct_strategy *s;
        ck_assert_ok(ct_strategy_create(cls, &s));
        ck_assert_ok(ct_strategy_set_f64(s, "dir", par[0]));
        ck_assert_ok(ct_strategy_set_f64(s, "start", (double)(c - a)));
        ct_result *r;
        ck_assert_ok(ct_engine_run(eng, sl, s, &r));
        const double *re = ct_result_equity_ptr(r);
        int64_t from = c - a;
        ck_assert(re[from - 1] == 10000.0); /* flat until the first test bar */
        for (int64_t i = 0; i < 100; i++) {
            int64_t k = 1 + w * 100 + i;
            double want = scale * (re[from + i] / re[from - 1]);
            ck_assert_msg(ct_test_close(ee[k], want, 1e-12), "window %lld bar %lld: %.17g vs %.17g", (long long)w,
                          (long long)i, ee[k], want);
            ck_assert_int_eq(et[k], ft[c + i]);
        }
        /* the test run's first order was placed on the first test bar: the indicator was warm */
        ct_trade tr;
        int64_t nt;
        int32_t has_open;
        int64_t entry_bar;
        tr.struct_size = sizeof(tr);
        ck_assert_ok(ct_result_trades(r, &tr, 1, &nt));
        ck_assert_ok(ct_result_open_position(r, &has_open, NULL, NULL, NULL, &entry_bar));
        if (par[0] != 0)
            ck_assert_int_eq(nt > 0 ? tr.entry_bar : entry_bar, from + 1);
        /* out-of-sample objective = the window run's total return */
        double oos;
        ck_assert_ok(ct_walkforward_window(wf, w, NULL, NULL, NULL, NULL, NULL, NULL, &oos));
        ck_assert(ct_test_close(oos, re[d - a - 1] / re[from - 1] - 1.0, 1e-12));
        scale = ee[w * 100 + 100];
        ct_result_destroy(r);
        ct_strategy_destroy(s);
        ct_feed_destroy(sl);
    }
    /* stitched metrics and efficiency */
    double tot;
    ck_assert_ok(ct_walkforward_metric(wf, "total_return", &tot));
    ck_assert(ct_test_close(tot, ee[n_eq - 1] / ee[0] - 1.0, 1e-12));
    ck_assert(tot > 0.5); /* right side every window but the straddling ones */
    double wfe = ct_walkforward_efficiency(wf);
    ck_assert(isfinite(wfe) && wfe > 0);

    char *j;
    ck_assert_ok(ct_walkforward_json(wf, &j));
    ck_assert(strstr(j, "\"windows\":[{\"train\":[0,300],\"test\":[310,410]"));
    ck_assert(strstr(j, "\"efficiency\":"));
    ct_free(j);
    char path[4096];
    snprintf(path, sizeof(path), "%s/wf_report.html", ct_test_tmpdir());
    ck_assert_ok(ct_walkforward_report_html(wf, path));
    size_t len;
    char *html = ct_test_read_file(path, &len);
    ck_assert(strstr(html, "<svg") && strstr(html, "Stitched out-of-sample equity"));
    free(html);
    remove(path);

    /* anchored windows keep the first bar */
    ct_walkforward *wa;
    ck_assert_ok(ct_optimizer_walkforward(o, 300, 100, 0, 1, CT_WF_BARS, &wa));
    int64_t a0, b1;
    ck_assert_ok(ct_walkforward_window(wa, 3, &a0, &b1, NULL, NULL, NULL, NULL, NULL));
    ck_assert_int_eq(a0, 0);
    ck_assert_int_eq(b1, 600);
    ct_walkforward_destroy(wa);
    /* durations: 300 h train, 100 h test give the same windows as bars on a gapless feed */
    ck_assert_ok(ct_optimizer_walkforward(o, 300 * 3600000LL, 100 * 3600000LL, 10 * 3600000LL, 0, CT_WF_MS, &wa));
    ck_assert_int_eq(ct_walkforward_window_count(wa), 16);
    ct_walkforward_destroy(wa);
    /* errors */
    ck_assert_status(ct_optimizer_walkforward(o, 3000, 100, 0, 0, CT_WF_BARS, &wa), CT_E_RANGE);
    ck_assert_status(ct_optimizer_walkforward(o, 0, 100, 0, 0, CT_WF_BARS, &wa), CT_E_INVALID_ARG);
    ck_assert_status(ct_walkforward_window(wf, 16, NULL, NULL, NULL, NULL, NULL, NULL, NULL), CT_E_RANGE);

    free(et);
    free(ee);
    ct_engine_destroy(eng);
    ct_walkforward_destroy(wf);
    ct_optimizer_destroy(o);
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), live0);
}
END_TEST

typedef struct wf_progress {
    int64_t calls, last_done, last_total, first_total;
    int monotonic;
} wf_progress;

static int32_t wf_record(void *user, int64_t done, int64_t total, double best, double eta)
{
    (void)best;
    (void)eta;
    wf_progress *p = user;
    if (p->calls == 0)
        p->first_total = total;
    if (done < p->last_done || total != p->first_total || done > total)
        p->monotonic = 0;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    return 0;
}

START_TEST(walkforward_progress_counts_every_window)
{
    /* 16 windows x 3 combinations: one count from 0 to 48, never back to 0 at a window (the
     * reports of each window's search used to start over), then a plain run reports 3 */
    ct_feed *f = synthetic();
    ct_optimizer *o = dir_optimizer(f);
    for (int32_t th = 1; th <= 2; th++) {
        ck_assert_ok(ct_optimizer_set_threads(o, th));
        wf_progress p = {0, 0, 0, 0, 1};
        ck_assert_ok(ct_optimizer_set_progress(o, wf_record, &p));
        ct_walkforward *wf;
        ck_assert_ok(ct_optimizer_walkforward(o, 300, 100, 10, 0, CT_WF_BARS, &wf));
        ck_assert_int_eq(ct_walkforward_window_count(wf), 16);
        ct_walkforward_destroy(wf);
        ck_assert_int_ge(p.calls, 16); /* at least each window's last report */
        ck_assert_msg(p.monotonic, "threads %d: reports went back or changed total", (int)th);
        ck_assert_int_eq(p.first_total, 48);
        ck_assert_int_eq(p.last_done, 48);
        wf_progress q = {0, 0, 0, 0, 1};
        ck_assert_ok(ct_optimizer_set_progress(o, wf_record, &q));
        ck_assert_ok(ct_optimizer_run(o));
        ck_assert(q.monotonic);
        ck_assert_int_eq(q.last_done, 3);
        ck_assert_int_eq(q.last_total, 3);
    }
    ct_optimizer_destroy(o);
    ct_feed_destroy(f);
}
END_TEST

START_TEST(thread_affine_runs_on_calling_thread)
{
    ct_strategy_vtable vt;
    memset(&vt, 0, sizeof(vt));
    vt.struct_size = sizeof(vt);
    vt.flags = CT_STRATEGY_THREAD_AFFINE;
    vt.name = "wf_affine";
    vt.params = k_params;
    vt.n_params = 2;
    vt.create = wd_create;
    vt.on_start = wa_start;
    vt.on_bar = wd_bar;
    vt.destroy = wd_destroy;
    ck_assert_ok(ct_strategy_register(&vt));
    g_main = pthread_self();
    ct_feed *f = synthetic();
    ct_optimizer *o;
    ck_assert_ok(ct_optimizer_create(f, ct_strategy_class_find("wf_affine"), &o));
    ck_assert_ok(ct_optimizer_set_grid_json(o, "{\"dir\":[-1,0,1],\"start\":[0,10,20,30]}"));
    ck_assert_ok(ct_optimizer_set_threads(o, 4));
    ck_assert_ok(ct_optimizer_run(o));
    ck_assert_int_eq(ct_optimizer_row_count(o), 12);
    ck_assert_int_eq(g_wrong_thread, 0);
    ct_optimizer_destroy(o);
    ct_feed_destroy(f);
}
END_TEST

static Suite *wf_suite(void)
{
    Suite *s = suite_create("walkforward");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, best_parameter_recovered_and_stitched);
    tcase_add_test(tc, thread_affine_runs_on_calling_thread);
    tcase_add_test(tc, walkforward_progress_counts_every_window);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(wf_suite()); }
