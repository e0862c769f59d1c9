/*
 * Metrics, result JSON and report cost (DESIGN.md sections 8, 10 and 11). The BTC 1m candles
 * (about 130k bars) and the same candles repeated to 1M bars are backtested with the built-in
 * `rsi` class; on each result this times, best of several runs:
 *   - the backtest itself (ct_engine_run, warm), the reference the metrics must stay under 10% of;
 *   - every metric at once (ct__metrics_compute), as a run computes them: on a curve of 128k
 *     returns or more the pass takes helper threads (one per core); then on one thread, as the
 *     optimizer's workers compute them;
 *   - the select path (ct__metrics_compute_select) for the optimizer's headline columns (the
 *     core metrics), then the core plus each costly group (stability, percentiles, benchmark);
 *   - a plain loop over the equity computing only mean and standard deviation of the returns,
 *     the floor any single pass over the curve pays;
 *   - every metric again in each narrower build of the pass this CPU runs (portable, AVX2);
 *   - ct_result_json (2000 equity points, and the full curve) and ct_result_report_html, with
 *     the file sizes.
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID): on a shared, loaded machine wall
 * time of the longer runs is inflated by preemption; CPU time compares like with like. The one
 * exception is the metrics with helper threads: their wall time (best of the runs, so a run that
 * was preempted does not count), with the CPU time of the whole process beside it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cryptota/cryptota.h"
#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double proc_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* mean and std of the returns: the cheapest useful pass over an equity curve */
static double plain_pass(const double *e, int64_t n)
{
    double s1 = 0, s2 = 0;
    for (int64_t i = 1; i < n; i++) {
        double r = (e[i] - e[i - 1]) / e[i - 1];
        s1 += r;
        s2 += r * r;
    }
    double m = s1 / (double)(n - 1);
    return m / sqrt(s2 / (double)(n - 1) - m * m);
}

typedef struct big {
    int64_t *t;
    double *col[5];
    ct_feed *feed;
} big;

/* the source candles repeated to n bars, times continuing at the same step */
static void make_big(const ct_feed *src, int64_t n, big *b)
{
    int64_t m = ct_feed_len(src), step = ct_feed_interval_ms(src);
    const int64_t *st = ct_feed_time(src);
    b->t = malloc((size_t)n * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++)
        b->t[i] = st[0] + i * step;
    for (int k = 0; k < 5; k++) {
        b->col[k] = malloc((size_t)n * sizeof(double));
        const double *sc = ct_feed_column(src, k);
        for (int64_t i = 0; i < n; i += m)
            memcpy(b->col[k] + i, sc, (size_t)(n - i < m ? n - i : m) * sizeof(double));
    }
    if (ct_feed_from_arrays(ct_feed_symbol(src), step, b->t, b->col[0], b->col[1], b->col[2], b->col[3], b->col[4], n,
                            CT_FEED_BORROW, &b->feed) != CT_OK) {
        fprintf(stderr, "bench_metrics: feed: %s\n", ct_last_error());
        exit(1);
    }
}

static void free_big(big *b)
{
    ct_feed_destroy(b->feed);
    free(b->t);
    for (int k = 0; k < 5; k++)
        free(b->col[k]);
}

static long file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

static void bench_one(const ct_feed *feed, const char *label)
{
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    if (ct_engine_create(&e) != CT_OK || ct_strategy_create_by_name("rsi", &s) != CT_OK) {
        fprintf(stderr, "bench_metrics: engine: %s\n", ct_last_error());
        exit(1);
    }
    double bt = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        ct_result_destroy(r);
        r = NULL;
        double t0 = now_s();
        if (ct_engine_run(e, feed, s, &r) != CT_OK) {
            fprintf(stderr, "bench_metrics: run: %s\n", ct_last_error());
            exit(1);
        }
        double dt = now_s() - t0;
        if (rep > 0 && dt < bt) /* warm runs (the first fills the indicator cache) */
            bt = dt;
    }
    int64_t n = ct_result_len(r);
    double vals[128], met = 1e9, base = 1e9, sink = 0;
    /* the select path (ct__metrics_compute_select) for the optimizer's headline columns (the
     * core group: no log, percentile or benchmark work), then the core plus each costly group */
    static const char *const headline[] = {"total_return", "cagr",          "annual_volatility", "sharpe_ratio",
                                           "sortino_ratio", "max_drawdown", "calmar_ratio",      "win_rate",
                                           "profit_factor", "total_trades", "exposure",          "final_equity"};
    enum { NH = 12, NG = 4 };
    static const char *const group_name[NG] = {"core (optimizer headline)", "core + stability",
                                               "core + percentiles", "core + benchmark"};
    static const char *const group_extra[NG] = {NULL, "stability", "cvar_95", "beta"};
    double gt[NG] = {1e9, 1e9, 1e9, 1e9}, par = 1e9, par_cpu = 1e9;
    for (int rep = 0; rep < 9; rep++) {
        double w0 = wall_s(), p0 = proc_s();
        if (ct__metrics_compute(r, vals) != CT_OK) {
            fprintf(stderr, "bench_metrics: metrics: %s\n", ct_last_error());
            exit(1);
        }
        double w1 = wall_s(), p1 = proc_s();
        if (w1 - w0 < par)
            par = w1 - w0, par_cpu = p1 - p0;
        ct__metrics_kernel_force_threads(1);
        double t0 = now_s();
        if (ct__metrics_compute(r, vals) != CT_OK)
            exit(1);
        double t1 = now_s();
        sink += plain_pass(r->equity, n);
        double t2 = now_s();
        met = fmin(met, t1 - t0);
        base = fmin(base, t2 - t1);
        for (int g = 0; g < NG; g++) {
            int32_t which[NH + 1];
            for (int i = 0; i < NH; i++)
                which[i] = ct_metric_find(headline[i]);
            which[NH] = group_extra[g] ? ct_metric_find(group_extra[g]) : which[0];
            double t3 = now_s();
            if (ct__metrics_compute_select(r, which, NH + 1, vals) != CT_OK) {
                fprintf(stderr, "bench_metrics: metrics: %s\n", ct_last_error());
                exit(1);
            }
            gt[g] = fmin(gt[g], now_s() - t3);
        }
        ct__metrics_kernel_force_threads(0);
    }
    /* the full set in each narrower build of the pass this CPU runs (same bits, other speed), on
     * one thread */
    static const char *const level_name[3] = {"portable", "AVX2", "AVX-512"};
    const int top = ct__metrics_kernel_level();
    double lt[3] = {1e9, 1e9, 1e9};
    ct__metrics_kernel_force_threads(1);
    for (int level = 0; level < top; level++) {
        ct__metrics_kernel_force_level(level);
        for (int rep = 0; rep < 5; rep++) {
            double t0 = now_s();
            if (ct__metrics_compute(r, vals) != CT_OK)
                exit(1);
            lt[level] = fmin(lt[level], now_s() - t0);
        }
        ct__metrics_kernel_force_level(-1);
    }
    ct__metrics_kernel_force_threads(0);
    char html[256], json[256];
    snprintf(html, sizeof(html), "bench_metrics_%d.html", (int)getpid());
    snprintf(json, sizeof(json), "bench_metrics_%d.json", (int)getpid());
    double rep_t = 1e9, js_t = 1e9, jsf_t = 1e9;
    size_t js_len = 0, jsf_len = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_s();
        if (ct_result_report_html(r, html) != CT_OK) {
            fprintf(stderr, "bench_metrics: report: %s\n", ct_last_error());
            exit(1);
        }
        double t1 = now_s();
        char *js = NULL;
        ct_result_json(r, 2000, &js);
        double t2 = now_s();
        js_len = strlen(js);
        ct_free(js);
        double t3 = now_s();
        ct_result_json(r, 0, &js);
        double t4 = now_s();
        jsf_len = strlen(js);
        ct_free(js);
        rep_t = fmin(rep_t, t1 - t0);
        js_t = fmin(js_t, t2 - t1);
        jsf_t = fmin(jsf_t, t4 - t3);
    }
    long hsize = file_size(html);
    remove(html);
    (void)json;
    printf("%-6s bars %8lld trades %5lld | backtest %7.2f ms | metrics (%d) %6.2f ms = %5.1f%% of the backtest "
           "(wall; CPU of all threads %.2f ms)\n",
           label, (long long)n, (long long)ct_result_trade_count(r), bt * 1e3, ct_metric_count(), par * 1e3,
           100.0 * par / bt, par_cpu * 1e3);
    printf("%-6s metrics (%d) on one thread %6.2f ms = %5.1f%% of the backtest | plain pass %5.2f ms (one thread/plain "
           "%.1fx) [sink %.3g]\n",
           label, ct_metric_count(), met * 1e3, 100.0 * met / bt, base * 1e3, met / base, sink);
    for (int g = 0; g < NG; g++)
        printf("%-6s select (one thread): %-26s %6.2f ms = %5.1f%% of the backtest\n", label, group_name[g], gt[g] * 1e3,
               100.0 * gt[g] / bt);
    printf("%-6s the pass built for %s (this CPU's choice)\n", label, level_name[top]);
    for (int level = 0; level < top; level++)
        printf("%-6s metrics (%d), %-8s build, one thread %6.2f ms = %5.1f%% of the backtest\n", label, ct_metric_count(),
               level_name[level], lt[level] * 1e3, 100.0 * lt[level] / bt);
    printf("%-6s report %7.1f ms, %7.1f KB | json (2000 points) %6.1f ms, %7.1f KB | json (full curve) %7.1f ms, "
           "%8.1f KB\n",
           label, rep_t * 1e3, (double)hsize / 1024.0, js_t * 1e3, (double)js_len / 1024.0, jsf_t * 1e3,
           (double)jsf_len / 1024.0);
    ct_result_destroy(r);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
}

int main(void)
{
    const char *dir = getenv("CT_DATA_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst", dir ? dir : "../shared/data/candles");
    ct_feed *src = NULL;
    if (ct_feed_load(path, CT_GAPS_KEEP, &src) != CT_OK) {
        fprintf(stderr, "bench_metrics: %s: %s\n", path, ct_last_error());
        return 1;
    }
    printf("bench_metrics: metrics, result JSON and HTML report on rsi backtests of BTCUSDT 1m\n");
    bench_one(src, "130k");
    big b;
    make_big(src, 1000000, &b);
    bench_one(b.feed, "1M");
    free_big(&b);
    ct_feed_destroy(src);
    return 0;
}
