/* Optimizer: search spaces, grid runs against single backtests, determinism, shards, cancel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "cryptota/engine.h"
#include "cryptota/metrics.h"
#include "optimizer/opt_internal.h"

static ct_feed *g_full;
static ct_feed *g_feed; /* the first 3000 bars of BTCUSDT 1h */

static void load_feed(void)
{
    if (g_feed)
        return;
    ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"), CT_GAPS_KEEP, &g_full));
    const int64_t *t = ct_feed_time(g_full);
    ck_assert_ok(ct_feed_slice(g_full, t[0], t[3000], &g_feed));
    ck_assert_int_eq(ct_feed_len(g_feed), 3000);
}

static const ct_strategy_class *rsi(void)
{
    const ct_strategy_class *c = ct_strategy_class_find("rsi");
    ck_assert_ptr_nonnull(c);
    return c;
}

/* 3 periods x 3 oversold x 2 overbought = 18; oversold 75 >= overbought 70 is refused by the
 * class (3 combinations skipped). */
static const char *k_grid = "{\"rsi_period\":{\"from\":7,\"to\":21,\"step\":7},\"oversold\":[20,30,75],"
                            "\"overbought\":[70,80]}";

START_TEST(space_parse)
{
    ct__space sp;
    ct__err err = {{0}};
    ck_assert_ok(ct__space_parse(&sp, rsi(), k_grid, 0, 0, 0, &err));
    ck_assert_int_eq(sp.total, 18);
    double v[8];
    /* schema order rsi_period, oversold, overbought, fraction; the last varies fastest */
    ct__space_values(&sp, 0, v);
    ck_assert(v[0] == 7 && v[1] == 20 && v[2] == 70 && v[3] == 1.0);
    ct__space_values(&sp, 1, v);
    ck_assert(v[0] == 7 && v[1] == 20 && v[2] == 80);
    ct__space_values(&sp, 17, v);
    ck_assert(v[0] == 21 && v[1] == 75 && v[2] == 80);
    ct__space_free(&sp);

    /* real range with a float step: inclusive end within tolerance, values snapped to the
     * step's decimals (0.1*3 would be 0.30000000000000004) */
    ck_assert_ok(ct__space_parse(&sp, rsi(), "{\"fraction\":{\"from\":0.1,\"to\":0.3,\"step\":0.1}}", 0, 0, 0, &err));
    ck_assert_int_eq(sp.total, 3);
    ct__space_values(&sp, 2, v);
    ck_assert(v[3] == 0.3);
    ct__space_free(&sp);

    /* errors name the parameter */
    ck_assert_status(ct__space_parse(&sp, rsi(), "{\"period\":[1]}", 0, 0, 0, &err), CT_E_INVALID_ARG);
    ck_assert(strstr(err.msg, "'period'") && strstr(err.msg, "rsi_period"));
    ck_assert_status(ct__space_parse(&sp, rsi(), "{\"rsi_period\":[14.5]}", 0, 0, 0, &err), CT_E_INVALID_ARG);
    ck_assert(strstr(err.msg, "'rsi_period'"));
    ck_assert_status(ct__space_parse(&sp, rsi(), "{\"rsi_period\":[1]}", 0, 0, 0, &err), CT_E_RANGE);
    ck_assert(strstr(err.msg, "'rsi_period'") && strstr(err.msg, "outside"));
    ck_assert_status(ct__space_parse(&sp, rsi(), "{\"oversold\":[\"a\"]}", 0, 0, 0, &err), CT_E_INVALID_ARG);
    ck_assert(strstr(err.msg, "'oversold'"));
    ck_assert_status(ct__space_parse(&sp, rsi(), "{\"oversold\":{\"from\":30,\"to\":20}}", 0, 0, 0, &err),
                     CT_E_INVALID_ARG);
    ck_assert_status(ct__space_parse(&sp, rsi(), "{\"fraction\":{\"from\":0.1,\"to\":0.3}}", 0, 0, 0, &err),
                     CT_E_INVALID_ARG); /* a real grid range needs a step */
    ck_assert_status(ct__space_parse(&sp, rsi(), "[1,2]", 0, 0, 0, &err), CT_E_FORMAT);
    ck_assert_status(ct__space_parse(&sp, rsi(), "{\"oversold\":[]}", 0, 0, 0, &err), CT_E_INVALID_ARG);
    /* a grid value listed twice ran its combinations twice and counted them twice in the trial
     * count of the deflated Sharpe ratio; a random search's list may repeat one to weight it */
    ck_assert_status(ct__space_parse(&sp, rsi(), "{\"oversold\":[20,30,20.0]}", 0, 0, 0, &err), CT_E_INVALID_ARG);
    ck_assert_msg(strstr(err.msg, "'oversold': value 20 is listed twice"), "%s", err.msg);
    ck_assert_status(ct__space_parse(&sp, rsi(), "{\"fraction\":[0.1,0.5,0.1]}", 0, 0, 0, &err), CT_E_INVALID_ARG);
    ck_assert_msg(strstr(err.msg, "value 0.1 is listed twice"), "%s", err.msg);
    ck_assert_ok(ct__space_parse(&sp, rsi(), "{\"oversold\":[20,30,20]}", 1, 10, 1, &err));
    ct__space_free(&sp);
    /* every truncation of a grid is an error, never a crash */
    size_t gl = strlen(k_grid);
    char *g = malloc(gl + 1);
    for (size_t k = 0; k < gl; k++) {
        memcpy(g, k_grid, k);
        g[k] = '\0';
        ck_assert(ct__space_parse(&sp, rsi(), g, 0, 0, 0, &err) != CT_OK);
    }
    free(g);

    /* random: deterministic per (seed, index), inside the ranges */
    ct__space a, b;
    const char *rj = "{\"rsi_period\":{\"from\":5,\"to\":50},\"fraction\":{\"from\":0.2,\"to\":1.0}}";
    ck_assert_ok(ct__space_parse(&a, rsi(), rj, 1, 100, 7, &err));
    ck_assert_ok(ct__space_parse(&b, rsi(), rj, 1, 100, 8, &err));
    int differ = 0;
    for (int64_t i = 0; i < 100; i++) {
        double x[4], y[4], z[4];
        ct__space_values(&a, i, x);
        ct__space_values(&a, i, y);
        ct__space_values(&b, i, z);
        ck_assert(memcmp(x, y, sizeof(x)) == 0);
        ck_assert(x[0] >= 5 && x[0] <= 50 && x[0] == nearbyint(x[0]));
        ck_assert(x[3] >= 0.2 && x[3] <= 1.0);
        differ += memcmp(x, z, sizeof(x)) != 0;
    }
    ck_assert_int_gt(differ, 90);
    ct__space_free(&a);
    ct__space_free(&b);
}
END_TEST

static ct_optimizer *make_opt(int32_t threads)
{
    ct_optimizer *o;
    load_feed();
    ck_assert_ok(ct_optimizer_create(g_feed, rsi(), &o));
    ck_assert_ok(ct_optimizer_set_grid_json(o, k_grid));
    ck_assert_ok(ct_optimizer_set_threads(o, threads));
    return o;
}

static char *table_json(ct_optimizer *o)
{
    char *j;
    ck_assert_ok(ct_optimizer_json(o, 0, &j));
    return j;
}

/* Changing the objective after a run drops the table (its columns and order belong to the old
 * objective; reading them with the new layout read past the rows), and the next run ranks by the
 * new one with its column added. */
START_TEST(objective_change_drops_table)
{
    ct_optimizer *o = make_opt(1);
    ck_assert_ok(ct_optimizer_set_objective(o, "sharpe_ratio", 1));
    ck_assert_ok(ct_optimizer_run(o));
    int64_t rows = ct_optimizer_row_count(o);
    ck_assert_int_gt(rows, 2);
    int32_t headline = ct_optimizer_metric_count(o);
    ck_assert_ok(ct_optimizer_set_objective(o, "omega_ratio", 0));
    ck_assert_int_eq(ct_optimizer_row_count(o), 0);
    double m[64];
    ck_assert_int_eq(ct_optimizer_row_metrics(o, 0, m, 64, NULL), CT_E_RANGE);
    char *j = NULL;
    ck_assert_int_eq(ct_optimizer_json(o, 0, &j), CT_E_STATE);
    ck_assert_ptr_null(j);
    ck_assert_ok(ct_optimizer_run(o));
    ck_assert_int_eq(ct_optimizer_row_count(o), rows);
    ck_assert_int_eq(ct_optimizer_metric_count(o), headline + 1);
    ck_assert_str_eq(ct_optimizer_metric_name(o, headline), "omega_ratio");
    /* minimized: rows in ascending omega_ratio (NaN rows last) */
    double prev = -INFINITY;
    for (int64_t r = 0; r < rows; r++) {
        double v = NAN;
        ck_assert_ok(ct_optimizer_row_metric(o, r, "omega_ratio", &v));
        if (isnan(v))
            continue;
        ck_assert_msg(v >= prev, "rank %lld: omega %.17g after %.17g", (long long)r, v, prev);
        prev = v;
    }
    ct_optimizer_destroy(o);
}
END_TEST

START_TEST(grid_equals_single_runs)
{
    ct_optimizer *o = make_opt(2);
    ck_assert_ok(ct_optimizer_run(o));
    int64_t total, ev, sk;
    ck_assert_ok(ct_optimizer_counts(o, &total, &ev, &sk));
    ck_assert_int_eq(total, 18);
    ck_assert_int_eq(sk, 3); /* oversold 75 with overbought 70, for 3 periods */
    ck_assert_int_eq(ev, 15);
    ck_assert_int_eq(ct_optimizer_row_count(o), 15);
    int32_t nm = ct_optimizer_metric_count(o);
    ck_assert_int_ge(nm, 12);

    /* Every row equals the single backtest of its parameters (bit for bit), and the best row is
     * the best of those single runs (ties broken by the lower index). */
    ct_engine *e;
    ck_assert_ok(ct_engine_create(&e));
    double prev = INFINITY;
    int64_t prev_idx = -1;
    double best_single = -INFINITY;
    for (int64_t rank = 0; rank < 15; rank++) {
        int64_t idx;
        double obj;
        ck_assert_ok(ct_optimizer_row(o, rank, &idx, &obj));
        char *pj;
        ck_assert_ok(ct_optimizer_row_params_json(o, rank, &pj));
        ct_strategy *s;
        ck_assert_ok(ct_strategy_create(rsi(), &s));
        ck_assert_ok(ct_strategy_set_json(s, pj));
        ct_free(pj);
        ct_result *r;
        ck_assert_ok(ct_engine_run(e, g_feed, s, &r));
        for (int32_t c = 0; c < nm; c++) {
            double want, got;
            ck_assert_ok(ct_result_metric(r, ct_optimizer_metric_name(o, c), &want));
            ck_assert_ok(ct_optimizer_row_metric(o, rank, ct_optimizer_metric_name(o, c), &got));
            ck_assert_msg((isnan(want) && isnan(got)) || want == got, "rank %lld %s: %.17g vs %.17g", (long long)rank,
                          ct_optimizer_metric_name(o, c), got, want);
        }
        double sh;
        ck_assert_ok(ct_result_metric(r, "sharpe_ratio", &sh));
        ck_assert(sh == obj || (isnan(sh) && isnan(obj)));
        if (!isnan(sh) && sh > best_single)
            best_single = sh;
        /* rank order: objective descending, then index */
        if (!isnan(obj)) {
            ck_assert(obj < prev || (obj == prev && idx > prev_idx));
            prev = obj;
            prev_idx = idx;
        }
        ct_result_destroy(r);
        ct_strategy_destroy(s);
    }
    double top;
    ck_assert_ok(ct_optimizer_row(o, 0, NULL, &top));
    ck_assert(top == best_single);
    double dsr, pbo;
    ck_assert_ok(ct_optimizer_overfit(o, &dsr, &pbo));
    ck_assert(dsr >= 0 && dsr <= 1 && pbo >= 0 && pbo <= 1);
    ct_engine_destroy(e);

    /* CSV: header + one line per row */
    char *csv;
    ck_assert_ok(ct_optimizer_csv(o, &csv));
    ck_assert(strncmp(csv, "index,rsi_period,oversold,overbought,fraction,total_return", 58) == 0);
    int lines = 0;
    for (char *p = csv; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 16);
    ct_free(csv);
    ck_assert_status(ct_optimizer_row(o, 15, NULL, NULL), CT_E_RANGE);
    ct_optimizer_destroy(o);
}
END_TEST

START_TEST(threads_deterministic)
{
    /* bit-identical tables (the whole JSON document) for 1, 2 and 8 threads */
    char *ref = NULL;
    const int32_t threads[] = {1, 2, 8};
    for (int i = 0; i < 3; i++) {
        ct_optimizer *o = make_opt(threads[i]);
        ck_assert_ok(ct_optimizer_set_objective(o, "total_return", 1));
        ck_assert_ok(ct_optimizer_run(o));
        char *j = table_json(o);
        if (!ref)
            ref = j;
        else {
            ck_assert_str_eq(j, ref);
            ct_free(j);
        }
        ct_optimizer_destroy(o);
    }
    ct_free(ref);
}
END_TEST

START_TEST(shards_merge_exactly)
{
    ct_optimizer *o = make_opt(2);
    ck_assert_ok(ct_optimizer_set_min_trades(o, 5));
    ck_assert_ok(ct_optimizer_run(o));
    char *single = table_json(o);
    ct_optimizer_destroy(o);

    char *docs[3];
    for (int k = 0; k < 3; k++) {
        o = make_opt(1 + k);
        ck_assert_ok(ct_optimizer_set_min_trades(o, 5));
        ck_assert_ok(ct_optimizer_set_shard(o, k, 3));
        ck_assert_ok(ct_optimizer_run(o));
        docs[k] = table_json(o);
        ct_optimizer_destroy(o);
    }
    /* any order of the shard documents */
    const char *order[3] = {docs[2], docs[0], docs[1]};
    ct_optimizer *m;
    ck_assert_ok(ct_optimizer_merge_json(order, 3, &m));
    char *merged = table_json(m);
    ck_assert_str_eq(merged, single);
    ck_assert_status(ct_optimizer_run(m), CT_E_STATE);
    ct_optimizer_destroy(m);
    ct_free(merged);

    /* missing and duplicated shards are refused with a message naming the shard */
    ck_assert_status(ct_optimizer_merge_json(order, 2, &m), CT_E_INVALID_ARG);
    ck_assert(strstr(ct_last_error(), "shard 1 of 3 is missing"));
    const char *dup[3] = {docs[0], docs[0], docs[1]};
    ck_assert_status(ct_optimizer_merge_json(dup, 3, &m), CT_E_INVALID_ARG);
    const char *bad[1] = {"{\"rows\":1}"};
    ck_assert_status(ct_optimizer_merge_json(bad, 1, &m), CT_E_INVALID_ARG);

    /* malformed documents never crash: every truncation of a shard and a few type changes are
     * refused with CT_E_FORMAT or CT_E_INVALID_ARG */
    size_t len = strlen(docs[1]);
    char *cut = malloc(len + 1);
    for (size_t k = 0; k < len; k += 1 + k / 16) {
        memcpy(cut, docs[1], k);
        cut[k] = '\0';
        const char *one[1] = {cut};
        ct_status st = ct_optimizer_merge_json(one, 1, &m);
        ck_assert_msg(st == CT_E_FORMAT || st == CT_E_INVALID_ARG, "cut at %zu: %s", k, ct_status_name(st));
        ck_assert_ptr_null(m);
    }
    free(cut);
    const char *swaps[][2] = {{"\"index\":", "\"index\":\"x\","}, {"\"sum\":[", "\"sum\":[\"a\","},
                              {"\"metrics\":{", "\"metrics\":{\"extra\":1,"}, {"\"total\":", "\"total\":-"}};
    for (size_t k = 0; k < sizeof(swaps) / sizeof(swaps[0]); k++) {
        const char *at = strstr(docs[0], "\"rows\":");
        at = strstr(k == 3 ? docs[0] : at, swaps[k][0]);
        ck_assert_ptr_nonnull(at);
        size_t pre = (size_t)(at - docs[0]);
        char *bad2 = malloc(strlen(docs[0]) + 64);
        memcpy(bad2, docs[0], pre);
        strcpy(bad2 + pre, swaps[k][1]);
        strcat(bad2, at + strlen(swaps[k][0]));
        const char *three[3] = {bad2, docs[1], docs[2]};
        ct_status st = ct_optimizer_merge_json(three, 3, &m);
        ck_assert_msg(st == CT_E_FORMAT || st == CT_E_INVALID_ARG, "swap %zu: %s", k, ct_status_name(st));
        free(bad2);
    }

    /* allocation failures in merge: CT_E_NOMEM and no leak at every failure point (the test
     * allocator needs no live library memory, so keep plain copies and free everything first) */
    char *plain[3];
    for (int k = 0; k < 3; k++) {
        plain[k] = strdup(docs[k]);
        ct_free(docs[k]);
    }
    ct_free(single);
    ct_feed_destroy(g_feed);
    ct_feed_destroy(g_full);
    g_feed = g_full = NULL;
    ck_assert_int_eq(ct_alloc_live_count(), 0);
    for (int64_t fail_at = 0;; fail_at++) {
        ct_test_failalloc_install(fail_at);
        m = NULL;
        ct_status st = ct_optimizer_merge_json((const char *const *)plain, 3, &m);
        ct_optimizer_destroy(m);
        ct_test_failalloc_remove();
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        if (st == CT_OK)
            break;
        ck_assert_msg(st == CT_E_NOMEM, "fail_at %lld: %s %s", (long long)fail_at, ct_status_name(st), ct_last_error());
    }
    for (int k = 0; k < 3; k++)
        free(plain[k]);
}
END_TEST

typedef struct progress_log {
    int calls;
    int64_t last_done, last_total;
    double last_best;
    int monotonic;
} progress_log;

static int32_t record_progress(void *user, int64_t done, int64_t total, double best, double eta)
{
    progress_log *p = user;
    if (done < p->last_done)
        p->monotonic = 0;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    p->last_best = best;
    return 0;
}

START_TEST(progress_reports)
{
    /* the last report has done == total and the best objective of the table */
    for (int32_t th = 1; th <= 2; th++) {
        ct_optimizer *o = make_opt(th);
        progress_log p = {0, 0, 0, NAN, 1};
        ck_assert_ok(ct_optimizer_set_progress(o, record_progress, &p));
        ck_assert_ok(ct_optimizer_run(o));
        double best;
        ck_assert_ok(ct_optimizer_row(o, 0, NULL, &best));
        ck_assert_int_ge(p.calls, 1);
        ck_assert(p.monotonic);
        ck_assert_int_eq(p.last_done, 18);
        ck_assert_int_eq(p.last_total, 18);
        ck_assert(p.last_best == best);
        ct_optimizer_destroy(o);
    }
}
END_TEST

static int32_t cancel_at_first(void *user, int64_t done, int64_t total, double best, double eta)
{
    int *calls = user;
    (*calls)++;
    ck_assert_msg(done < total, "first report at %lld of %lld: not mid-run", (long long)done, (long long)total);
    return 1;
}

START_TEST(cancel_mid_run)
{
    load_feed();
    int64_t live0 = ct_alloc_live_count();
    /* the whole 1h file (58k bars) and 896 combinations: the first report (after 100 ms) comes
     * long before the end */
    ct_optimizer *o;
    ck_assert_ok(ct_optimizer_create(g_full, rsi(), &o));
    ck_assert_ok(ct_optimizer_set_threads(o, 2));
    ck_assert_ok(ct_optimizer_set_grid_json(o, "{\"rsi_period\":{\"from\":5,\"to\":60},\"oversold\":[20,25,30,35],"
                                               "\"overbought\":[65,70,75,80]}"));
    int calls = 0;
    ck_assert_ok(ct_optimizer_set_progress(o, cancel_at_first, &calls));
    ck_assert_status(ct_optimizer_run(o), CT_E_CANCELLED);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(ct_optimizer_row_count(o), 0);
    ct_optimizer_destroy(o);
    ck_assert_int_eq(ct_alloc_live_count(), live0);
}
END_TEST

START_TEST(errors_and_oom)
{
    load_feed();
    ct_optimizer *o;
    ck_assert_status(ct_optimizer_create(NULL, rsi(), &o), CT_E_INVALID_ARG);
    ck_assert_ptr_null(o);
    ck_assert_ok(ct_optimizer_create(g_feed, rsi(), &o));
    ck_assert_status(ct_optimizer_run(o), CT_E_STATE);
    ck_assert_status(ct_optimizer_set_objective(o, "sharpe", 1), CT_E_NOT_FOUND);
    ck_assert(strstr(ct_optimizer_errmsg(o), "'sharpe'"));
    ck_assert_status(ct_optimizer_set_shard(o, 3, 3), CT_E_INVALID_ARG);
    ck_assert_status(ct_optimizer_configure_engine_json(o, "{\"comission\":0.1}"), CT_E_INVALID_ARG);
    ck_assert_status(ct_optimizer_set_grid_json(o, "{\"nope\":[1]}"), CT_E_INVALID_ARG);
    ck_assert_status(ct_optimizer_json(o, 0, NULL), CT_E_INVALID_ARG);
    ct_optimizer_destroy(o);
    ct_optimizer_destroy(NULL);

    /* every allocation failure in feed construction, create, grid parsing, a serial run and the
     * JSON returns CT_E_NOMEM and leaks nothing (threads = 1: the test allocator is not
     * thread-safe). The allocator can only be swapped with no live library memory, so the feed
     * is rebuilt from plain copies of its first 400 rows inside the walk. */
    enum { NB = 400 };
    int64_t *tm = malloc(NB * sizeof(int64_t));
    double *col[5];
    for (int k = 0; k < 5; k++) {
        col[k] = malloc(NB * sizeof(double));
        memcpy(col[k], ct_feed_column(g_feed, k), NB * sizeof(double));
    }
    memcpy(tm, ct_feed_time(g_feed), NB * sizeof(int64_t));
    ct_feed_destroy(g_feed);
    ct_feed_destroy(g_full);
    g_feed = g_full = NULL;
    ck_assert_int_eq(ct_alloc_live_count(), 0);
    for (int64_t fail_at = 0;; fail_at++) {
        ct_test_failalloc_install(fail_at);
        ct_feed *f = NULL;
        o = NULL;
        ct_status st = ct_feed_from_arrays("BTCUSDT", 3600000, tm, col[CT_FIELD_OPEN], col[CT_FIELD_HIGH],
                                           col[CT_FIELD_LOW], col[CT_FIELD_CLOSE], col[CT_FIELD_VOLUME], NB, 0, &f);
        if (st == CT_OK)
            st = ct_optimizer_create(f, rsi(), &o);
        if (st == CT_OK)
            st = ct_optimizer_set_grid_json(o, "{\"rsi_period\":[7,14],\"oversold\":[30,75]}");
        if (st == CT_OK)
            st = ct_optimizer_set_threads(o, 1);
        if (st == CT_OK)
            st = ct_optimizer_run(o);
        char *j = NULL;
        if (st == CT_OK)
            st = ct_optimizer_json(o, 0, &j);
        ct_free(j);
        j = NULL;
        ct_walkforward *wf = NULL;
        if (st == CT_OK)
            st = ct_optimizer_walkforward(o, 200, 100, 0, 0, CT_WF_BARS, &wf);
        if (st == CT_OK)
            st = ct_walkforward_json(wf, &j);
        ct_free(j);
        ct_walkforward_destroy(wf);
        ct_optimizer_destroy(o);
        ct_feed_destroy(f);
        ct_test_failalloc_remove();
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        if (st == CT_OK)
            break;
        ck_assert_msg(st == CT_E_NOMEM, "fail_at %lld: %s %s", (long long)fail_at, ct_status_name(st), ct_last_error());
    }
    free(tm);
    for (int k = 0; k < 5; k++)
        free(col[k]);
}
END_TEST

/* The const calls may run on several threads at once (optimizer.h), so their failures go to the
 * calling thread's ct_last_error only and leave the optimizer's message alone (writing it would
 * race between the readers). The message of the last failing non-const call stays. */
START_TEST(readonly_failures_keep_handle)
{
    ct_optimizer *o = make_opt(1);
    char *txt = (char *)1;
    ck_assert_status(ct_optimizer_json(o, 0, &txt), CT_E_STATE); /* no table before a run */
    ck_assert_ptr_null(txt);
    ck_assert_str_eq(ct_last_error(), "ct_optimizer_json: no table yet (run first)");
    ck_assert_str_eq(ct_optimizer_errmsg(o), "");
    ck_assert_status(ct_optimizer_csv(o, &txt), CT_E_STATE);
    ck_assert_str_eq(ct_last_error(), "ct_optimizer_csv: no table yet (run first)");
    ck_assert_status(ct_optimizer_set_objective(o, "sharpe", 1), CT_E_NOT_FOUND); /* recorded on o */
    const char *kept = "optimizer: unknown metric 'sharpe' (see cryptota metrics)";
    ck_assert_str_eq(ct_optimizer_errmsg(o), kept);
    ck_assert_ok(ct_optimizer_run(o));
    int64_t idx;
    double v, vals[4];
    int32_t n;
    char *js = NULL;
    ck_assert_status(ct_optimizer_row(o, 99, &idx, &v), CT_E_RANGE);
    ck_assert_str_eq(ct_last_error(), "ct_optimizer_row: rank 99 is outside the table (15 rows)");
    ck_assert_status(ct_optimizer_row_params(o, 0, NULL, 4, &n), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_optimizer_row_params: values NULL with cap 4");
    ck_assert_status(ct_optimizer_row_metrics(o, -1, vals, 4, &n), CT_E_RANGE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "ct_optimizer_row_metrics: rank -1"));
    ck_assert_status(ct_optimizer_row_metric(o, 0, "nope", &v), CT_E_NOT_FOUND);
    ck_assert_str_eq(ct_last_error(), "ct_optimizer_row_metric: metric 'nope' is not kept per row");
    ck_assert_status(ct_optimizer_row_params_json(o, 0, NULL), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_optimizer_row_params_json: out is NULL");
    ck_assert_status(ct_optimizer_json(o, -1, &js), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_optimizer_json: top_k -1 is negative");
    ck_assert_status(ct_optimizer_csv(o, NULL), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_optimizer_csv: out is NULL");
    ck_assert_str_eq(ct_optimizer_errmsg(o), kept);
    ct_optimizer_destroy(o);
}
END_TEST

/* A registered (plugin) class stays registered while an optimizer uses it: the optimizer keeps
 * a pointer to the class and its workers create strategies from it when they run, so an
 * unregister between create and run freed the class under the optimizer (a use-after-free
 * under ASan). Unregistering is refused (CT_E_STATE) until the optimizer is destroyed. */
static ct_status hold_bar(void *user, ct_ctx *ctx)
{
    (void)user;
    (void)ctx;
    return CT_OK;
}

START_TEST(class_held_while_in_use)
{
    load_feed();
    static const ct_param_def params[1] = {
        {sizeof(ct_param_def), CT_PARAM_INT, "period", 10, 1, 100, 1, "a period"}};
    static const ct_strategy_vtable vt = {sizeof(ct_strategy_vtable), 0, "opt_held", "held by an optimizer",
                                          params, 1, 0, NULL, NULL, NULL, hold_bar, NULL, NULL, NULL};
    ck_assert_ok(ct_strategy_register(&vt));
    const ct_strategy_class *c = ct_strategy_class_find("opt_held");
    ck_assert_ptr_nonnull(c);
    ct_optimizer *o;
    ck_assert_ok(ct_optimizer_create(g_feed, c, &o));
    ck_assert_status(ct_strategy_unregister("opt_held"), CT_E_STATE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "opt_held"));
    ck_assert_ok(ct_optimizer_set_grid_json(o, "{\"period\":[5,10]}"));
    ck_assert_ok(ct_optimizer_set_objective(o, "total_return", 1)); /* defined without trades */
    ck_assert_ok(ct_optimizer_set_threads(o, 2));
    ck_assert_ok(ct_optimizer_run(o));
    ck_assert_int_eq(ct_optimizer_row_count(o), 2);
    ct_walkforward *wf = NULL;
    ck_assert_ok(ct_optimizer_walkforward(o, 1000, 500, 0, 0, CT_WF_BARS, &wf));
    ck_assert_status(ct_strategy_unregister("opt_held"), CT_E_STATE);
    ct_walkforward_destroy(wf);
    ct_optimizer_destroy(o);
    ck_assert_ok(ct_strategy_unregister("opt_held"));
    /* a failed create holds nothing */
    ck_assert_ok(ct_strategy_register(&vt));
    ck_assert_status(ct_optimizer_create(g_feed, ct_strategy_class_find("opt_held"), NULL), CT_E_INVALID_ARG);
    ck_assert_ok(ct_strategy_unregister("opt_held"));
}
END_TEST

static void teardown(void)
{
    ct_feed_destroy(g_feed);
    ct_feed_destroy(g_full);
    g_feed = g_full = NULL;
}

static Suite *optimizer_suite(void)
{
    Suite *s = suite_create("optimizer");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, space_parse);
    tcase_add_test(tc, grid_equals_single_runs);
    tcase_add_test(tc, objective_change_drops_table);
    tcase_add_test(tc, threads_deterministic);
    tcase_add_test(tc, shards_merge_exactly);
    tcase_add_test(tc, progress_reports);
    tcase_add_test(tc, cancel_mid_run);
    tcase_add_test(tc, errors_and_oom);
    tcase_add_test(tc, class_held_while_in_use);
    tcase_add_test(tc, readonly_failures_keep_handle);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(optimizer_suite()); }
