/*
 * Reference runner for the binding tests and benchmarks: the same backtest the bindings run,
 * called straight through the C API.
 *
 *   ct_bind_ref json  FILE STRATEGY PARAMS_JSON CONFIG_JSON   print ct_result_json (all points)
 *   ct_bind_ref bench FILE STRATEGY REPEAT                   print seconds per backtest (best of
 *                                                            REPEAT) and minor page faults per call
 *                                                            (after the first, which warms the heap up)
 *
 * The bench mode times exactly what Python's backtest() and Node's backtest() do per call:
 * strategy and engine creation, configuration, ct_engine_run and destruction, so the
 * binding benchmarks can report their overhead as a ratio against it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cryptota/cryptota.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_minflt;
}

static int fail(const char *what, ct_status st, const char *msg)
{
    fprintf(stderr, "ct_bind_ref: %s: %s: %s\n", what, ct_status_name(st), msg && *msg ? msg : ct_last_error());
    return 1;
}

/* One backtest as the bindings do it; *out receives the result. */
static int run_once(const ct_feed *feed, const char *strategy, const char *params, const char *config,
                    ct_result **out)
{
    ct_strategy *s = NULL;
    ct_engine *e = NULL;
    ct_status st = ct_strategy_create_by_name(strategy, &s);
    if (st != CT_OK)
        return fail("strategy", st, NULL);
    if (params && strcmp(params, "{}") != 0 && (st = ct_strategy_set_json(s, params)) != CT_OK) {
        fail("params", st, ct_strategy_errmsg(s));
        goto out_free_strategy;
    }
    if ((st = ct_engine_create(&e)) != CT_OK) {
        fail("engine", st, NULL);
        goto out_free_strategy;
    }
    if (config && strcmp(config, "{}") != 0 && (st = ct_engine_configure_json(e, config)) != CT_OK) {
        fail("config", st, ct_engine_errmsg(e));
        goto out_free_engine;
    }
    if ((st = ct_engine_run(e, feed, s, out)) != CT_OK)
        fail("run", st, ct_engine_errmsg(e));
out_free_engine:
    ct_engine_destroy(e);
out_free_strategy:
    ct_strategy_destroy(s);
    return st == CT_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    ct_feed *feed = NULL;
    ct_result *res = NULL;
    ct_status st;
    int rc = 1;

    if (argc < 4 || (strcmp(argv[1], "json") != 0 && strcmp(argv[1], "bench") != 0)) {
        fprintf(stderr, "usage: ct_bind_ref json FILE STRATEGY PARAMS CONFIG | bench FILE STRATEGY REPEAT\n");
        return 2;
    }
    if ((st = ct_feed_load(argv[2], CT_GAPS_KEEP, &feed)) != CT_OK)
        return fail(argv[2], st, NULL);
    if (strcmp(argv[1], "json") == 0) {
        char *doc = NULL;
        if (run_once(feed, argv[3], argc > 4 ? argv[4] : "{}", argc > 5 ? argv[5] : "{}", &res) != 0)
            goto out;
        if ((st = ct_result_json(res, 0, &doc)) != CT_OK) {
            fail("json", st, ct_result_errmsg(res));
            goto out;
        }
        fputs(doc, stdout);
        fputc('\n', stdout);
        ct_free(doc);
        rc = 0;
    } else {
        int repeat = argc > 4 ? atoi(argv[4]) : 5;
        double best = 1e300;
        double faults0 = 0;
        if (repeat < 1)
            repeat = 1;
        for (int i = 0; i < repeat; i++) {
            if (i == (repeat > 1 ? 1 : 0))  /* the first call warms the heap up */
                faults0 = minor_faults();
            double t0 = now_s();
            if (run_once(feed, argv[3], "{}", "{}", &res) != 0)
                goto out;
            double dt = now_s() - t0;
            ct_result_destroy(res);
            res = NULL;
            if (dt < best)
                best = dt;
        }
        printf("%.9f %.1f\n", best, (minor_faults() - faults0) / (repeat > 1 ? repeat - 1 : 1));
        rc = 0;
    }
out:
    ct_result_destroy(res);
    ct_feed_destroy(feed);
    return rc;
}
