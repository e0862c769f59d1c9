/*
 * Optimizer benchmark (DESIGN.md section 11): a 1,000-combination rsi grid (rsi_period x oversold
 * x overbought) on the BTCUSDT 1m file (130,708 bars) on 1 and 2 threads. Baseline measured in the
 * same run: single backtests (ct_engine_run + every metric, what one combination costs outside
 * the optimizer) of every 7th of the same combinations, serially, with a warm indicator cache.
 * CPU times (all threads) are printed too: they stay meaningful when other jobs share the machine.
 * Prints combinations/s, bar-evaluations/s and the ratio to (single-run throughput x threads);
 * targets: < 2 s on 2 threads, ratio >= 0.8. Then a 10-window walk-forward on the same grid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cryptota/cryptota.h"
#include "cryptota/engine.h"
#include "cryptota/metrics.h"
#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process (all threads): robust to other jobs on the machine. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *k_grid = "{\"rsi_period\":{\"from\":5,\"to\":50,\"step\":5},"
                            "\"oversold\":{\"from\":10,\"to\":37,\"step\":3},"
                            "\"overbought\":{\"from\":60,\"to\":87,\"step\":3}}";

static int check(ct_status s, const char *what)
{
    if (s != CT_OK) {
        fprintf(stderr, "bench_optimizer: %s: %s (%s)\n", what, ct_last_error(), ct_status_name(s));
        exit(1);
    }
    return 0;
}

int main(void)
{
    const char *dir = getenv("CT_DATA_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst", dir ? dir : ".");
    ct_feed *f;
    check(ct_feed_load(path, CT_GAPS_KEEP, &f), path);
    int64_t nbars = ct_feed_len(f);
    const ct_strategy_class *cls = ct_strategy_class_find("rsi");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("## optimizer benchmark: rsi grid on %lld bars of BTCUSDT 1m, %ld online cores\n", (long long)nbars, cores);

    /* baseline: single runs of every 7th combination (143 runs: every period, oversold and
     * overbought value appears), warm cache */
    ct_optimizer *o;
    check(ct_optimizer_create(f, cls, &o), "create");
    check(ct_optimizer_set_grid_json(o, k_grid), "grid");
    int64_t total;
    ct_optimizer_counts(o, &total, NULL, NULL);
    ct_engine *e;
    ct_indicator_cache *cache;
    check(ct_engine_create(&e), "engine");
    check(ct_indicator_cache_create(&cache), "cache");
    check(ct_engine_set_indicator_cache(e, cache), "cache");
    ct_strategy *s;
    check(ct_strategy_create(cls, &s), "strategy");
    double *m = malloc(sizeof(double) * (size_t)ct_metric_count());
    const int periods[10] = {5, 10, 15, 20, 25, 30, 35, 40, 45, 50};
    for (int pass = 0; pass < 2; pass++) { /* pass 0 warms the cache and the page cache */
        double t0 = now_s(), c0 = cpu_s(), t_engine = 0;
        int runs = 0;
        for (int64_t i = 0; i < total; i += 7) {
            int64_t a = i / 100, b = (i / 10) % 10, c = i % 10;
            ct_strategy_set_f64(s, "rsi_period", periods[a]);
            ct_strategy_set_f64(s, "oversold", 10 + 3 * b);
            ct_strategy_set_f64(s, "overbought", 60 + 3 * c);
            ct_result *r;
            double t1 = now_s();
            check(ct_engine_run(e, f, s, &r), "run");
            t_engine += now_s() - t1;
            check(ct__metrics_compute(r, m), "metrics");
            ct_result_destroy(r);
            runs++;
        }
        double el = now_s() - t0, cel = cpu_s() - c0;
        if (pass == 1) {
            double per = el / runs, cper = cel / runs;
            printf("baseline single run (engine + metrics): %.3f ms/run, %.0f runs/s, %.1f M bars/s "
                   "(engine alone %.3f ms/run, %.1f M bars/s)\n",
                   per * 1e3, 1.0 / per, (double)nbars / per / 1e6, t_engine / runs * 1e3,
                   (double)nbars * runs / t_engine / 1e6);
            printf("baseline CPU time: %.3f ms/run\n", cper * 1e3);
            /* grid on 1 and 2 threads */
            for (int th = 1; th <= 2; th++) {
                check(ct_optimizer_set_threads(o, th), "threads");
                double g0 = now_s(), gc0 = cpu_s();
                check(ct_optimizer_run(o), "run");
                double g = now_s() - g0, gc = cpu_s() - gc0;
                int64_t ev, sk;
                double dsr, pbo;
                ct_optimizer_counts(o, NULL, &ev, &sk);
                ct_optimizer_overfit(o, &dsr, &pbo);
                double cps = (double)total / g;
                printf("grid %lld combos, %d thread%s: %.3f s, %.0f combos/s, %.1f M bar-evaluations/s, "
                       "ratio to %d x single-run throughput: %.2f (target >= 0.8; < 2 s on 2 threads)"
                       "  [evaluated %lld, skipped %lld, DSR %.3g, PBO %.3g]\n",
                       (long long)total, th, th > 1 ? "s" : "", g, cps, cps * (double)nbars / 1e6, th,
                       cps / ((1.0 / per) * th), (long long)ev, (long long)sk, dsr, pbo);
                printf("    CPU time %.3f s (%.3f ms/combo): CPU efficiency vs the baseline %.2f; wall time on %d "
                       "idle cores would be about %.2f s\n",
                       gc, gc / (double)total * 1e3, cper * (double)total / gc, th, gc / th);
            }
            /* walk-forward: 10 rolling windows, train = 4 x test */
            int64_t test = nbars / 14, train = 4 * test;
            check(ct_optimizer_set_threads(o, 2), "threads");
            double w0 = now_s();
            ct_walkforward *wf;
            check(ct_optimizer_walkforward(o, train, test, 0, 0, CT_WF_BARS, &wf), "walkforward");
            double wt = now_s() - w0;
            printf("walk-forward: %lld windows (train %lld, test %lld bars), %lld combos per window, 2 threads: "
                   "%.3f s (%.3f s per window); efficiency %.3g\n",
                   (long long)ct_walkforward_window_count(wf), (long long)train, (long long)test, (long long)total,
                   wt, wt / (double)ct_walkforward_window_count(wf), ct_walkforward_efficiency(wf));
            ct_walkforward_destroy(wf);
        }
    }
    free(m);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    ct_indicator_cache_destroy(cache);
    ct_optimizer_destroy(o);
    ct_feed_destroy(f);
    return 0;
}
