/*
 * The example plugins (examples/c/plugins): each is loaded with ct_plugin_load and run on the
 * BTCUSDT 1h candles (58,419 bars); its trades must be exactly those of an independent plain
 * loop over ct_ind_sma / ct_ind_macd / ct_ind_rsi outputs that applies the documented rules with
 * next-open fills (a signal at bar t fills at open[t+1]; a signal on the last bar never fills),
 * and its final equity that of the same loop's cash book (all-in sizing
 * qty = cash / (open * (1 + c)), commission c = 0.001 on both fills, DESIGN.md section 7).
 * The same trades must come out of `cryptota backtest --plugin ... --trades` ($CT_CLI).
 * argv: sma_cross.so macd_rsi.so
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static char **g_argv;
static ct_feed *g_feed;

#define MAXT 4096
typedef struct {
    int64_t n;
    int64_t entry[MAXT], exit_[MAXT];
    double final_equity;
} loop_trades;

/* Fill at open[t+1]; book cash like the engine's documented sizing. */
static void loop_book(loop_trades *lt, const int8_t *signal, int64_t n, const double *open, const double *close)
{
    const double c = 0.001;
    double cash = 10000, qty = 0;
    int64_t entry = -1;
    lt->n = 0;
    for (int64_t t = 0; t + 1 < n; t++) {
        if (signal[t] > 0 && qty == 0) {
            double px = open[t + 1];
            qty = cash / (px * (1 + c));
            cash -= qty * px * (1 + c);
            entry = t + 1;
        } else if (signal[t] < 0 && qty > 0) {
            double px = open[t + 1];
            cash += qty * px * (1 - c);
            qty = 0;
            ck_assert_int_lt(lt->n, MAXT);
            lt->entry[lt->n] = entry;
            lt->exit_[lt->n] = t + 1;
            lt->n++;
        }
    }
    lt->final_equity = cash + qty * close[n - 1];
}

/* Run class `name` with `params` through the engine and compare with the loop. */
static ct_result *run_and_compare(const char *name, const char *params, const loop_trades *lt)
{
    ct_strategy *s = NULL;
    ct_engine *e = NULL;
    ct_result *r = NULL;
    ck_assert_ok(ct_strategy_create_by_name(name, &s));
    if (params)
        ck_assert_ok(ct_strategy_set_json(s, params));
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_engine_run(e, g_feed, s, &r));
    int64_t n = ct_result_trade_count(r);
    ck_assert_int_eq(n, lt->n);
    ck_assert_int_gt(n, 10); /* the rules do trade on seven years of hourly candles */
    ct_trade *tr = calloc((size_t)n, sizeof(*tr));
    ck_assert_ptr_nonnull(tr);
    for (int64_t i = 0; i < n; i++)
        tr[i].struct_size = sizeof(ct_trade);
    ck_assert_ok(ct_result_trades(r, tr, n, &n));
    const double *open = ct_feed_open(g_feed);
    for (int64_t i = 0; i < n; i++) {
        ck_assert_int_eq(tr[i].entry_bar, lt->entry[i]);
        ck_assert_int_eq(tr[i].exit_bar, lt->exit_[i]);
        ck_assert(tr[i].entry_price == open[lt->entry[i]]);
        ck_assert(tr[i].exit_price == open[lt->exit_[i]]);
    }
    free(tr);
    ck_assert_msg(ct_test_close(ct_result_final_equity(r), lt->final_equity, 1e-9), "%s final equity %.10g vs loop %.10g",
                  name, ct_result_final_equity(r), lt->final_equity);
    ct_engine_destroy(e);
    ct_strategy_destroy(s);
    return r;
}

/* `cryptota backtest FILE --plugin SO --strategy NAME --trades CSV` gives the same bars. */
static void cli_matches(const char *plugin, const char *name, const char *params, const ct_result *r)
{
    const char *cli = getenv("CT_CLI");
    ck_assert_ptr_nonnull(cli);
    char csv[4096], cmd[16384];
    snprintf(csv, sizeof(csv), "%s/%s_trades.csv", ct_test_tmpdir(), name);
    snprintf(cmd, sizeof(cmd), "'%s' backtest '%s' --plugin '%s' --strategy %s %s%s%s --trades '%s' > /dev/null", cli,
             ct_test_data("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"), plugin, name, params ? "--params '" : "",
             params ? params : "", params ? "'" : "", csv);
    ck_assert_int_eq(system(cmd), 0);
    FILE *fp = fopen(csv, "r");
    ck_assert_ptr_nonnull(fp);
    char line[2048];
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp)); /* header */
    int64_t n = ct_result_trade_count(r), i = 0;
    ct_trade *tr = calloc((size_t)n, sizeof(*tr));
    ck_assert_ptr_nonnull(tr);
    for (int64_t k = 0; k < n; k++)
        tr[k].struct_size = sizeof(ct_trade);
    ck_assert_ok(ct_result_trades(r, tr, n, &n));
    while (fgets(line, sizeof(line), fp)) {
        long long et, xt, eb, xb;
        ck_assert_int_eq(sscanf(line, "%lld,%lld,%lld,%lld,", &et, &xt, &eb, &xb), 4);
        ck_assert_int_lt(i, n);
        ck_assert_int_eq(eb, tr[i].entry_bar);
        ck_assert_int_eq(xb, tr[i].exit_bar);
        i++;
    }
    ck_assert_int_eq(i, n);
    fclose(fp);
    remove(csv);
    free(tr);
}

static void sma_case(int32_t fast, int32_t slow, const char *params)
{
    int64_t n = ct_feed_len(g_feed);
    double *f = malloc((size_t)n * sizeof(double)), *s = malloc((size_t)n * sizeof(double));
    int8_t *sig = calloc((size_t)n, 1);
    loop_trades *lt = malloc(sizeof(*lt));
    ck_assert(f && s && sig && lt);
    const double *close = ct_feed_close(g_feed);
    ck_assert_ok(ct_ind_sma(close, n, fast, f));
    ck_assert_ok(ct_ind_sma(close, n, slow, s));
    for (int64_t t = 1; t < n; t++) {
        if (isnan(f[t - 1]) || isnan(s[t - 1]))
            continue;
        if (f[t] > s[t] && f[t - 1] <= s[t - 1])
            sig[t] = 1;
        else if (f[t] < s[t] && f[t - 1] >= s[t - 1])
            sig[t] = -1;
    }
    loop_book(lt, sig, n, ct_feed_open(g_feed), close);
    ct_result *r = run_and_compare("plugin_sma_cross", params, lt);
    cli_matches(g_argv[1], "plugin_sma_cross", params, r);
    ct_result_destroy(r);
    free(f);
    free(s);
    free(sig);
    free(lt);
}

START_TEST(sma_cross_matches_loop)
{
    sma_case(10, 30, NULL); /* schema defaults */
    sma_case(20, 100, "{\"fast\":20,\"slow\":100}");
}
END_TEST

START_TEST(macd_rsi_matches_loop)
{
    int64_t n = ct_feed_len(g_feed);
    double *m = malloc((size_t)n * sizeof(double)), *g = malloc((size_t)n * sizeof(double)),
           *h = malloc((size_t)n * sizeof(double)), *rsi = malloc((size_t)n * sizeof(double));
    int8_t *sig = calloc((size_t)n, 1);
    loop_trades *lt = malloc(sizeof(*lt));
    ck_assert(m && g && h && rsi && sig && lt);
    const double *close = ct_feed_close(g_feed);
    ck_assert_ok(ct_ind_macd(close, n, 12, 26, 9, m, g, h));
    ck_assert_ok(ct_ind_rsi(close, n, 14, rsi));
    /* Entry and exit rules of the original docs; an exit signal only matters when long, so the
     * loop marks both and loop_book applies the one that fits the position. */
    for (int64_t t = 1; t < n; t++) {
        if (isnan(m[t - 1]) || isnan(g[t - 1]) || isnan(rsi[t]))
            continue;
        int up = m[t] > g[t] && m[t - 1] <= g[t - 1];
        int down = m[t] < g[t] && m[t - 1] >= g[t - 1];
        sig[t] = (up && rsi[t] < 70) ? 1 : (down || rsi[t] > 80) ? -1 : 0;
    }
    loop_book(lt, sig, n, ct_feed_open(g_feed), close);
    ct_result *r = run_and_compare("plugin_macd_rsi", NULL, lt);
    cli_matches(g_argv[2], "plugin_macd_rsi", NULL, r);
    ct_result_destroy(r);
    free(m);
    free(g);
    free(h);
    free(rsi);
    free(sig);
    free(lt);
}
END_TEST

START_TEST(bad_combinations_refused)
{
    ct_strategy *s = NULL;
    ck_assert_ok(ct_strategy_create_by_name("plugin_sma_cross", &s));
    ck_assert_ok(ct_strategy_set_json(s, "{\"fast\":50,\"slow\":20}"));
    ck_assert_status(ct_strategy_validate(s), CT_E_RANGE);
    ck_assert_ptr_nonnull(strstr(ct_strategy_errmsg(s), "fast"));
    ck_assert_status(ct_strategy_set_json(s, "{\"fast\":1}"), CT_E_RANGE); /* schema min 2 */
    ct_strategy_destroy(s);
    ck_assert_ok(ct_strategy_create_by_name("plugin_macd_rsi", &s));
    ck_assert_ok(ct_strategy_set_json(s, "{\"fast\":30}"));
    ck_assert_status(ct_strategy_validate(s), CT_E_RANGE);
    ck_assert_status(ct_strategy_set_json(s, "{\"rsi_sell\":101}"), CT_E_RANGE);
    ct_strategy_destroy(s);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: check_plugins sma_cross.so macd_rsi.so\n");
        return 2;
    }
    g_argv = argv;
    if (ct_plugin_load(argv[1]) != CT_OK || ct_plugin_load(argv[2]) != CT_OK) {
        fprintf(stderr, "plugin load failed: %s\n", ct_last_error());
        return 1;
    }
    if (ct_feed_load(ct_test_data("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"), CT_GAPS_KEEP, &g_feed) != CT_OK) {
        fprintf(stderr, "feed: %s\n", ct_last_error());
        return 1;
    }
    Suite *s = suite_create("example_plugins");
    TCase *tc = tcase_create("plugins");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, sma_cross_matches_loop);
    tcase_add_test(tc, macd_rsi_matches_loop);
    tcase_add_test(tc, bad_combinations_refused);
    suite_add_tcase(s, tc);
    int rc = ct_test_run(s);
    ct_feed_destroy(g_feed);
    return rc;
}
