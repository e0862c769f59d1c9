/*
 * The built-in classes follow the rules written in docs/strategies.md: each is re-simulated
 * here from the indicator functions (ct_ind_*) and the documented entry/exit conditions, with
 * the engine's next_open timing (a signal at the close of t fills at the open of t+1; a signal
 * on the last bar stays pending), and the engine's trades must have exactly those entry and
 * exit bars. The grid bot is checked on a hand-computed 5-bar scenario.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal/result_internal.h"
#include "test_util.h"

typedef struct {
    int64_t n;
    const double *o, *h, *l, *c;
    double *a, *b, *d; /* indicator outputs used by the rule */
    int kind;
    int64_t window;
} rules;

enum { K_RSI_MA, K_DIV, K_CROSS, K_BB };

static int entry_cond(const rules *R, int64_t t)
{
    switch (R->kind) {
    case K_RSI_MA: /* a = RSI(14), b = SMA(200) */
        return R->a[t] < 30 && R->c[t] > R->b[t];
    case K_DIV: { /* a = RSI(14); window before t */
        if (t < R->window || isnan(R->a[t - R->window]))
            return 0;
        double cmin = INFINITY, rmin = INFINITY;
        for (int64_t i = t - R->window; i < t; i++) {
            cmin = fmin(cmin, R->c[i]);
            rmin = fmin(rmin, R->a[i]);
        }
        return R->c[t] < cmin && R->a[t] > rmin && R->a[t] < 40;
    }
    case K_CROSS: /* a crosses above b */
        return t >= 1 && R->a[t - 1] <= R->b[t - 1] && R->a[t] > R->b[t];
    default: /* K_BB: a = upper, b = middle, d = lower */
        return R->c[t] < R->d[t];
    }
}

static int exit_cond(const rules *R, int64_t t)
{
    switch (R->kind) {
    case K_RSI_MA:
        return R->a[t] > 70;
    case K_DIV: {
        if (t < R->window || isnan(R->a[t - R->window]))
            return 0;
        double cmax = -INFINITY, rmax = -INFINITY;
        for (int64_t i = t - R->window; i < t; i++) {
            cmax = fmax(cmax, R->c[i]);
            rmax = fmax(rmax, R->a[i]);
        }
        return R->c[t] > cmax && R->a[t] < rmax && R->a[t] > 60;
    }
    case K_CROSS:
        return t >= 1 && R->a[t - 1] >= R->b[t - 1] && R->a[t] < R->b[t];
    default:
        return R->c[t] > R->b[t];
    }
}

/* Simulate and compare with the engine's result of the class `name` (default parameters). */
static void compare(const rules *R, const char *name, const ct_feed *f)
{
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_strategy_create_by_name(name, &s));
    ck_assert_ok(ct_engine_run(e, f, s, &r));
    int pos = 0, pending = 0;
    int64_t entry = -1, k = 0;
    for (int64_t t = 0; t < R->n; t++) {
        if (pending > 0) {
            pos = 1;
            entry = t;
        } else if (pending < 0) {
            ck_assert_msg(k < r->n_trades, "%s: engine has fewer trades than the rules (%lld)", name, (long long)k);
            ck_assert_msg(r->trades[k].entry_bar == entry && r->trades[k].exit_bar == t,
                          "%s trade %lld: engine %lld..%lld, rules %lld..%lld", name, (long long)k,
                          (long long)r->trades[k].entry_bar, (long long)r->trades[k].exit_bar, (long long)entry,
                          (long long)t);
            k++;
            pos = 0;
        }
        pending = 0;
        if (pos == 0 && entry_cond(R, t))
            pending = 1;
        else if (pos == 1 && exit_cond(R, t))
            pending = -1;
    }
    ck_assert_msg(k == r->n_trades, "%s: %lld trades by the rules, %lld by the engine", name, (long long)k,
                  (long long)r->n_trades);
    ck_assert_msg(k > 3, "%s: too few trades (%lld) to test the rules", name, (long long)k);
    ck_assert_int_eq(r->has_open, pos);
    if (pos)
        ck_assert_int_eq(r->open_entry_bar, entry);
    ck_assert_int_eq(r->pending_at_end, pending != 0);
    ct_result_destroy(r);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
}

static ct_feed *g_f;
static rules g_R;

static void setup(void)
{
    ck_assert_ok(ct_feed_load(ct_test_data("binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst"), CT_GAPS_KEEP, &g_f));
    memset(&g_R, 0, sizeof(g_R));
    g_R.n = ct_feed_len(g_f);
    g_R.o = ct_feed_open(g_f);
    g_R.h = ct_feed_high(g_f);
    g_R.l = ct_feed_low(g_f);
    g_R.c = ct_feed_close(g_f);
    g_R.a = malloc((size_t)g_R.n * sizeof(double));
    g_R.b = malloc((size_t)g_R.n * sizeof(double));
    g_R.d = malloc((size_t)g_R.n * sizeof(double));
}

static void teardown(void)
{
    free(g_R.a);
    free(g_R.b);
    free(g_R.d);
    ct_feed_destroy(g_f);
}

START_TEST(rsi_ma_rules)
{
    ck_assert_ok(ct_ind_rsi(g_R.c, g_R.n, 14, g_R.a));
    ck_assert_ok(ct_ind_sma(g_R.c, g_R.n, 200, g_R.b));
    g_R.kind = K_RSI_MA;
    compare(&g_R, "rsi_ma", g_f);
}
END_TEST

START_TEST(rsi_divergence_rules)
{
    ck_assert_ok(ct_ind_rsi(g_R.c, g_R.n, 14, g_R.a));
    g_R.kind = K_DIV;
    g_R.window = 20;
    compare(&g_R, "rsi_divergence", g_f);
}
END_TEST

START_TEST(sma_cross_rules)
{
    ck_assert_ok(ct_ind_sma(g_R.c, g_R.n, 10, g_R.a));
    ck_assert_ok(ct_ind_sma(g_R.c, g_R.n, 30, g_R.b));
    g_R.kind = K_CROSS;
    compare(&g_R, "sma_cross", g_f);
}
END_TEST

START_TEST(macd_cross_rules)
{
    ck_assert_ok(ct_ind_macd(g_R.c, g_R.n, 12, 26, 9, g_R.a, g_R.b, g_R.d));
    g_R.kind = K_CROSS;
    compare(&g_R, "macd_cross", g_f);
}
END_TEST

START_TEST(bbands_rules)
{
    ck_assert_ok(ct_ind_bbands(g_R.c, g_R.n, 20, 2.0, 2.0, g_R.a, g_R.b, g_R.d));
    g_R.kind = K_BB;
    compare(&g_R, "bbands_reversion", g_f);
}
END_TEST

/*
 * grid with lower 96, upper 104, levels 3 on the 5-bar feed of check_engine.c
 *   bar  open high low close:  0: 100 101 99 100 | 1: 102 105 101 104 | 2: 103 106 98 99
 *                              3: 95 97 90 96    | 4: 97 110 96 108
 * Levels 96, 100, 104; slots [96,100] and [100,104] get 10000/2 = 5000 each:
 * q0 = 5000 / (96 * 1.001), q1 = 5000 / (100 * 1.001) (maker rate 0.001).
 * bar 0: close 100 > 96: buy q0 @ 96 placed (100 is not below 100: slot 1 waits).
 * bar 1: close 104 > 100: buy q1 @ 100 placed.
 * bar 2: low 98 <= 100: q1 bought at 100 -> sell q1 @ 104 placed; low 98 > 96: slot 0 waits.
 * bar 3: opens at 95 <= 96: q0 bought at the open 95 -> sell q0 @ 100 placed.
 * bar 4: high 110: sell q1 @ 104 (placed first), then sell q0 @ 100: flat again; on_bar(4)
 *        places both buys again, on the last bar: 2 orders pending at the end.
 * One round trip (flat to flat): entry bar 2, exit bar 4, qty q0 + q1,
 * entry price (100 q1 + 95 q0) / (q0 + q1), exit price (104 q1 + 100 q0) / (q0 + q1);
 * cash = 10000 - 1.001 (100 q1 + 95 q0) + 0.999 (104 q1 + 100 q0) = E[4].
 */
START_TEST(grid_hand)
{
    static const int64_t t[5] = {0, 60000, 120000, 180000, 240000};
    static const double o[5] = {100, 102, 103, 95, 97}, h[5] = {101, 105, 106, 97, 110},
                        l[5] = {99, 101, 98, 90, 96}, c[5] = {100, 104, 99, 96, 108}, v[5] = {1, 1, 1, 1, 1};
    ct_feed *f = NULL;
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ck_assert_ok(ct_feed_from_arrays("T", 60000, t, o, h, l, c, v, 5, CT_FEED_COPY, &f));
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_strategy_create_by_name("grid", &s));
    ck_assert_ok(ct_strategy_set_json(s, "{\"lower\":96,\"upper\":104,\"levels\":3}"));
    ck_assert_ok(ct_engine_run(e, f, s, &r));
    double q0 = 5000 / (96 * 1.001), q1 = 5000 / (100 * 1.001);
    ck_assert_int_eq(r->n_trades, 1);
    const ct_trade *tr = &r->trades[0];
    ck_assert_int_eq(tr->entry_bar, 2);
    ck_assert_int_eq(tr->exit_bar, 4);
    ck_assert(ct_test_close(tr->qty, q0 + q1, 1e-12));
    ck_assert(ct_test_close(tr->entry_price, (100 * q1 + 95 * q0) / (q0 + q1), 1e-12));
    ck_assert(ct_test_close(tr->exit_price, (104 * q1 + 100 * q0) / (q0 + q1), 1e-12));
    ck_assert(ct_test_close(r->position[2], q1, 1e-12));
    ck_assert(ct_test_close(r->position[3], q0 + q1, 1e-12));
    ck_assert(r->position[4] == 0);
    ck_assert(ct_test_close(ct_result_final_equity(r), 10000 - 1.001 * (100 * q1 + 95 * q0) + 0.999 * (104 * q1 + 100 * q0),
                            1e-12));
    ck_assert_int_eq(r->pending_at_end, 2);
    ct_result_destroy(r);
    /* refused combinations */
    ck_assert_ok(ct_strategy_set_json(s, "{\"lower\":104,\"upper\":96}"));
    ck_assert_status(ct_strategy_validate(s), CT_E_RANGE);
    ck_assert_ok(ct_strategy_set_json(s, "{\"lower\":0,\"upper\":96}"));
    ck_assert_status(ct_strategy_validate(s), CT_E_RANGE);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    ct_feed_destroy(f);
}
END_TEST

/* Run grid with `params` over n bars with a JSON engine config: the result (the run must pass). */
static ct_result *run_grid(const int64_t *t, const double *o, const double *h, const double *l, const double *c,
                           int64_t n, const char *params, const char *config)
{
    double v[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    ct_feed *f = NULL;
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ck_assert_int_le(n, 8);
    ck_assert_ok(ct_feed_from_arrays("T", 60000, t, o, h, l, c, v, n, CT_FEED_COPY, &f));
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_engine_configure_json(e, config));
    ck_assert_ok(ct_strategy_create_by_name("grid", &s));
    ck_assert_ok(ct_strategy_set_json(s, params));
    ct_status st = ct_engine_run(e, f, s, &r);
    ck_assert_msg(st == CT_OK, "grid run: %s", ct_engine_errmsg(e));
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    ct_feed_destroy(f);
    return r;
}

/*
 * close_at_end closes the grid's holding after the last bar: its fill (order id 0) is no order
 * of a slot. grid_fill took it for slot 0's buy (no buy pending: id 0), placed a sell after the
 * data had ended and the run failed with CT_E_PLUGIN ("on_fill returned CT_E_STATE at bar 3").
 * The 5-bar scenario of grid_hand cut after bar 3: q1 bought at 100 (bar 2), q0 at the open 95
 * (bar 3); both sold at close[3] = 96 at the taker rate:
 * E[3] = 10000 - 1.001 (100 q1 + 95 q0) + 0.999 * 96 (q0 + q1). The two limit sells stay pending.
 */
START_TEST(grid_close_at_end)
{
    static const int64_t t[4] = {0, 60000, 120000, 180000};
    static const double o[4] = {100, 102, 103, 95}, h[4] = {101, 105, 106, 97}, l[4] = {99, 101, 98, 90},
                        c[4] = {100, 104, 99, 96};
    ct_result *r = run_grid(t, o, h, l, c, 4, "{\"lower\":96,\"upper\":104,\"levels\":3}", "{\"close_at_end\":true}");
    double q0 = 5000 / (96 * 1.001), q1 = 5000 / (100 * 1.001);
    ck_assert_int_eq(r->n_trades, 1);
    const ct_trade *tr = &r->trades[0];
    ck_assert_int_eq(tr->entry_bar, 2);
    ck_assert_int_eq(tr->exit_bar, 3);
    ck_assert(ct_test_close(tr->qty, q0 + q1, 1e-12));
    ck_assert(ct_test_close(tr->exit_price, 96, 1e-12));
    ck_assert(r->position[3] == 0);
    ck_assert(ct_test_close(ct_result_final_equity(r), 10000 - 1.001 * (100 * q1 + 95 * q0) + 0.999 * 96 * (q0 + q1),
                            1e-12));
    ck_assert_int_eq(r->pending_at_end, 2);
    ct_result_destroy(r);
}
END_TEST

/*
 * A buy the engine rejects is no open order: its slot is free again and buys when its level is
 * below the close (docs/strategies.md). The slot stayed blocked for the rest of the run.
 * Levels 90, 100, 110 (lower 90, upper 110, levels 3), commission 0.1 (both rates): each slot
 * gets 5000: q0 = 5000 / (90 * 1.1) = 50.505..., q1 = 5000 / (100 * 1.1) = 45.4545...
 *   bar  open high low close
 *    0   105  106  104  105   buys placed: slot 0 at 90, slot 1 at 100
 *    1   104  104   99  101   q1 bought at 100 (cost 5000): cash 5000; sell q1 at 110 placed
 *    2   102  111  101  105   q1 sold at 110 (5000 - 500 fee): cash 9500; slot 1 buys at 100 again
 *    3   104  104   89   95   q0 bought at 90 (5000): cash 4500; slot 1's buy needs 5000: rejected;
 *                             sell q0 at 100 placed
 *    4    96  103   95  102   q0 sold at 100 (5050.5 - 505.05): cash 9045.4545...; on_bar: both
 *                             slots are free and below 102: buys at 90 and 100
 *    5   101  101   99  100   q1 bought at 100 (5000): cash 4045.4545..., E[5] = cash + q1 * 100
 */
START_TEST(grid_rejected_buy_frees_slot)
{
    static const int64_t t[6] = {0, 60000, 120000, 180000, 240000, 300000};
    static const double o[6] = {105, 104, 102, 104, 96, 101}, h[6] = {106, 104, 111, 104, 103, 101},
                        l[6] = {104, 99, 101, 89, 95, 99}, c[6] = {105, 101, 105, 95, 102, 100};
    ct_result *r = run_grid(t, o, h, l, c, 6, "{\"lower\":90,\"upper\":110,\"levels\":3}", "{\"commission\":0.1}");
    double q0 = 5000 / (90 * 1.1), q1 = 5000 / (100 * 1.1);
    double cash4 = 10000 - 5000 + q1 * 110 * 0.9 - 5000 + q0 * 100 * 0.9;
    ck_assert_int_eq(ct_result_rejected_orders(r), 1);
    ck_assert(ct_test_close(cash4, 9045.4545454545454, 1e-12));
    ck_assert(ct_test_close(r->equity[4], cash4, 1e-12));
    ck_assert(r->position[4] == 0);
    ck_assert(ct_test_close(r->position[5], q1, 1e-12));
    ck_assert(ct_test_close(r->equity[5], cash4 - 5000 + q1 * 100, 1e-12));
    /* pending: slot 0's buy at 90 and slot 1's sell at 110 */
    ck_assert_int_eq(r->pending_at_end, 2);
    ct_result_destroy(r);
}
END_TEST

START_TEST(buy_hold_rule)
{
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_strategy_create_by_name("buy_hold", &s));
    ck_assert_ok(ct_engine_run(e, g_f, s, &r));
    /* bought at open[1] with the whole cash, held to the end: E[N-1] = q * close[N-1] + cash */
    ck_assert_int_eq(r->n_trades, 0);
    ck_assert_int_eq(r->has_open, 1);
    ck_assert_int_eq(r->open_entry_bar, 1);
    ck_assert(r->open_entry_price == g_R.o[1]);
    ck_assert(ct_test_close(ct_result_final_equity(r), r->open_qty * g_R.c[g_R.n - 1] + r->final_cash, 1e-12));
    ck_assert(ct_test_close(r->open_qty * g_R.o[1] * 1.001, 10000, 1e-12));
    ct_result_destroy(r);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
}
END_TEST

static Suite *builtins_suite(void)
{
    Suite *s = suite_create("strategy_builtins");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, rsi_ma_rules);
    tcase_add_test(tc, rsi_divergence_rules);
    tcase_add_test(tc, sma_cross_rules);
    tcase_add_test(tc, macd_cross_rules);
    tcase_add_test(tc, bbands_rules);
    tcase_add_test(tc, grid_hand);
    tcase_add_test(tc, grid_close_at_end);
    tcase_add_test(tc, grid_rejected_buy_frees_slot);
    tcase_add_test(tc, buy_hold_rule);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(builtins_suite()); }
