/*
 * Engine fill rules, sizing and accounting on hand-computed scenarios (every expected number
 * is derived in the comment next to it), settings validation, look-ahead impossibility (on_start
 * included), a run over no bars, failing callbacks and their messages, determinism and the
 * allocation-failure walk.
 *
 * The 5-bar feed used by most scenarios (time = i * 60000 ms):
 *   bar  open  high  low  close
 *    0   100   101    99   100
 *    1   102   105   101   104
 *    2   103   106    98    99
 *    3    95    97    90    96     (gaps down: open 95 < previous low 98)
 *    4    97   110    96   108
 * Defaults: capital 10000, commission 0.001 (maker = taker), fill next_open, long only.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/result_internal.h"
#include "test_util.h"

static const int64_t k_time[5] = {0, 60000, 120000, 180000, 240000};
static const double k_open[5] = {100, 102, 103, 95, 97};
static const double k_high[5] = {101, 105, 106, 97, 110};
static const double k_low[5] = {99, 101, 98, 90, 96};
static const double k_close[5] = {100, 104, 99, 96, 108};
static const double k_vol[5] = {1, 1, 1, 1, 1};

/* ---- a scripted strategy: g_script(ctx, t) places the scenario's orders ---- */

typedef void (*script_fn)(ct_ctx *ctx, int64_t t);
static script_fn g_script;
static int g_fills;

static ct_status script_bar(void *user, ct_ctx *ctx)
{
    (void)user;
    if (g_script)
        g_script(ctx, ct_ctx_bar_index(ctx));
    return CT_OK;
}

static ct_status script_fill(void *user, ct_ctx *ctx)
{
    (void)user;
    (void)ctx;
    g_fills++;
    return CT_OK;
}

static ct_feed *feed5(void)
{
    ct_feed *f = NULL;
    ck_assert_ok(ct_feed_from_arrays("TEST", 60000, k_time, k_open, k_high, k_low, k_close, k_vol, 5, CT_FEED_COPY, &f));
    return f;
}

static void register_script(void)
{
    static const ct_strategy_vtable vt = {
        sizeof(ct_strategy_vtable), 0, "test_script", "scripted orders", NULL, 0, 0, NULL,
        NULL, NULL, script_bar, script_fill, NULL, NULL};
    if (!ct_strategy_class_find("test_script"))
        ck_assert_ok(ct_strategy_register(&vt));
}

/* Run the registered class `name` over feed f with a JSON config (NULL: defaults): the run's
 * status, its result in *out and the engine's message in msg[cap]. Takes f. */
static ct_status run_class_on(ct_feed *f, const char *name, const char *config, ct_result **out, char *msg,
                              size_t cap)
{
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ck_assert_ok(ct_engine_create(&e));
    if (config)
        ck_assert_ok(ct_engine_configure_json(e, config));
    ck_assert_ok(ct_strategy_create_by_name(name, &s));
    ct_status st = ct_engine_run(e, f, s, out);
    if (msg)
        snprintf(msg, cap, "%s", ct_engine_errmsg(e));
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    ct_feed_destroy(f);
    return st;
}

/* The same over the 5-bar feed. */
static ct_status run_class(const char *name, const char *config, ct_result **out, char *msg, size_t cap)
{
    return run_class_on(feed5(), name, config, out, msg, cap);
}

/* Run the script over the 5-bar feed with a JSON config; returns the result. */
static ct_result *run_script(script_fn fn, const char *config)
{
    register_script();
    g_script = fn;
    g_fills = 0;
    ct_result *r = NULL;
    ck_assert_ok(run_class("test_script", config, &r, NULL, 0));
    return r;
}

static ct_trade trade_at(const ct_result *r, int64_t i)
{
    ct_trade buf[8];
    int64_t n = 0;
    for (int k = 0; k < 8; k++)
        buf[k].struct_size = sizeof(ct_trade);
    ck_assert_ok(ct_result_trades(r, buf, 8, &n));
    ck_assert_int_gt(n, i);
    return buf[i];
}

#define EQ(a, b) ck_assert_msg(fabs((double)(a) - (double)(b)) <= 1e-9 * (1 + fabs((double)(b))), "%s = %.17g, want %.17g", #a, (double)(a), (double)(b))

/* ---- market orders ---- */

static void s_buy10_close_at2(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_market(c, 10, NULL));
    if (t == 2)
        ck_assert_ok(ct_ctx_close_position(c, NULL));
}

START_TEST(market_next_open)
{
    ct_result *r = run_script(s_buy10_close_at2, NULL);
    const double *eq = ct_result_equity_ptr(r);
    const double *pos = ct_result_position_ptr(r);
    /* buy 10 placed at bar 0 fills at open[1] = 102: fee 10*102*0.001 = 1.02,
     * cash = 10000 - 1020 - 1.02 = 8978.98; E[0] = 10000 (no fill yet), E[1] = 8978.98 + 10*104,
     * E[2] = 8978.98 + 10*99. The close placed at bar 2 fills at open[3] = 95: fee 0.95,
     * cash = 8978.98 + 950 - 0.95 = 9928.03 = E[3] = E[4]. */
    EQ(eq[0], 10000);
    EQ(eq[1], 8978.98 + 1040);
    EQ(eq[2], 8978.98 + 990);
    EQ(eq[3], 9928.03);
    EQ(eq[4], 9928.03);
    EQ(pos[1], 10);
    EQ(pos[3], 0);
    ck_assert_int_eq(ct_result_trade_count(r), 1);
    ct_trade t = trade_at(r, 0);
    ck_assert_int_eq(t.side, 1);
    ck_assert_int_eq(t.entry_bar, 1);
    ck_assert_int_eq(t.exit_bar, 3);
    ck_assert_int_eq(t.entry_time_ms, 60000);
    ck_assert_int_eq(t.exit_time_ms, 180000);
    ck_assert_int_eq(t.bars_held, 2);
    EQ(t.qty, 10);
    EQ(t.entry_price, 102);
    EQ(t.exit_price, 95);
    EQ(t.entry_commission, 1.02);
    EQ(t.exit_commission, 0.95);
    EQ(t.pnl_gross, -70);                 /* 10 * (95 - 102) */
    EQ(t.pnl_net, -71.97);                /* -70 - 1.02 - 0.95 */
    EQ(t.ret, -71.97 / 1021.02);          /* pnl_net / (entry notional + entry fee) */
    /* held: bar 1 entered at its open (range 101..105), bar 2 whole (98..106), exit at open[3] 95 */
    EQ(t.mae, 95.0 / 102 - 1);
    EQ(t.mfe, 106.0 / 102 - 1);
    EQ(ct_result_final_cash(r), 9928.03);
    EQ(r ? ct_result_final_equity(r) : 0, 9928.03);
    ck_assert_int_eq(ct_result_pending_at_end(r), 0);
    ck_assert_int_eq(g_fills, 2);
    ct_result_destroy(r);
}
END_TEST

static void s_buy10_at0(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_market(c, 10, NULL));
}

START_TEST(market_fill_close)
{
    ct_result *r = run_script(s_buy10_at0, "{\"fill\":\"close\"}");
    const double *eq = ct_result_equity_ptr(r);
    /* fill = close: buy 10 at close[0] = 100, fee 1.0: cash 8999, E[0] = 8999 + 1000 = 9999;
     * E[4] = 8999 + 1080. The position stays open (not a trade). */
    EQ(eq[0], 9999);
    EQ(eq[4], 8999 + 1080);
    ck_assert_int_eq(ct_result_trade_count(r), 0);
    int32_t has = 0;
    double q = 0, px = 0;
    int64_t et = 0, eb = 0;
    ck_assert_ok(ct_result_open_position(r, &has, &q, &px, &et, &eb));
    ck_assert_int_eq(has, 1);
    EQ(q, 10);
    EQ(px, 100);
    ck_assert_int_eq(eb, 0);
    ct_result_destroy(r);
}
END_TEST

/* every constructor sets *out to NULL on failure, a NULL source included */
START_TEST(clone_null_out)
{
    ct_engine *c = (ct_engine *)&c;
    ck_assert_int_eq(ct_engine_clone(NULL, &c), CT_E_INVALID_ARG);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(close_at_end)
{
    ct_result *r = run_script(s_buy10_at0, "{\"close_at_end\":true}");
    /* entry at open[1] = 102 (cash 8978.98); closed at the last close 108: fee 1.08,
     * cash = 8978.98 + 1080 - 1.08 = 10057.9 */
    ck_assert_int_eq(ct_result_trade_count(r), 1);
    ct_trade t = trade_at(r, 0);
    ck_assert_int_eq(t.exit_bar, 4);
    EQ(t.exit_price, 108);
    EQ(ct_result_final_equity(r), 10057.9);
    ct_result_destroy(r);
}
END_TEST

/* With close_at_end the closing fill (order id 0) comes after the last bar: its on_fill can
 * neither place an order, which could never fill and would count as pending at the end, nor
 * cancel one. The bar-4 fill's on_fill still can: that bar has no later bar either, but it is
 * not past the end, as for an order placed in on_bar of the last bar. */
static int g_end_fills;
static ct_status end_fill(void *u, ct_ctx *c)
{
    (void)u;
    int64_t oid = -1, id = -1;
    ck_assert_ok(ct_ctx_last_fill(c, &oid, NULL, NULL, NULL));
    if (oid != 0)
        return CT_OK;
    g_end_fills++;
    ck_assert_int_eq(ct_ctx_bar_index(c), 4);
    ck_assert_status(ct_ctx_order_market(c, 1, &id), CT_E_STATE);
    ck_assert_int_eq(id, 0);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "the data has ended"));
    ck_assert_status(ct_ctx_order_limit(c, 1, 50, NULL), CT_E_STATE);
    ck_assert_status(ct_ctx_trailing_stop(c, 0.1, 1, NULL), CT_E_STATE);
    ck_assert_status(ct_ctx_cancel(c, 1), CT_E_STATE);
    double v = 0;
    ck_assert_ok(ct_ctx_bar(c, CT_FIELD_CLOSE, 0, &v)); /* the last bar is still readable */
    EQ(v, 108);
    return CT_OK;
}

static ct_status end_bar(void *u, ct_ctx *c)
{
    (void)u;
    if (ct_ctx_bar_index(c) == 0)
        ck_assert_ok(ct_ctx_order_market(c, 10, NULL));
    if (ct_ctx_bar_index(c) == 1) /* a limit never touched: the one order pending at the end */
        ck_assert_ok(ct_ctx_order_limit(c, 1, 50, NULL));
    return CT_OK;
}

START_TEST(close_at_end_no_orders_after)
{
    static const ct_strategy_vtable vt = {sizeof(ct_strategy_vtable), 0, "test_end", NULL, NULL, 0, 0, NULL,
                                          NULL, NULL, end_bar, end_fill, NULL, NULL};
    ck_assert_ok(ct_strategy_register(&vt));
    for (int mode = 0; mode < 2; mode++) {
        ct_result *r = NULL;
        g_end_fills = 0;
        const char *cfg = mode ? "{\"close_at_end\":true,\"fill\":\"close\"}" : "{\"close_at_end\":true}";
        ck_assert_ok(run_class("test_end", cfg, &r, NULL, 0));
        ck_assert_int_eq(g_end_fills, 1);
        ck_assert_int_eq(ct_result_trade_count(r), 1);
        ck_assert_int_eq(ct_result_pending_at_end(r), 1);
        ct_result_destroy(r);
    }
    ck_assert_ok(ct_strategy_unregister("test_end"));
}
END_TEST

/* The exposure the engine counts as it runs (result n_held, so the metrics skip the positions)
 * equals the count over the final positions, in each fill mode, with and without the close at
 * the end, for a position held to the end and one closed inside. By hand (5 bars), buy at 0 and
 * close at 2: next_open fills them at open[1] and open[3], held at the close of bars 1 and 2;
 * fill = close fills them at close[0] and close[2], held at bars 0 and 1: 2 bars either way. */
START_TEST(exposure_counted_by_engine)
{
    static const char *const cfg[4] = {NULL, "{\"fill\":\"close\"}", "{\"close_at_end\":true}",
                                       "{\"fill\":\"close\",\"close_at_end\":true}"};
    static const script_fn scripts[2] = {s_buy10_at0, s_buy10_close_at2};
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 2; j++) {
            ct_result *r = run_script(scripts[j], cfg[k]);
            int64_t n = ct_result_len(r), held = 0;
            const double *pos = ct_result_position_ptr(r);
            for (int64_t i = 0; i < n; i++)
                held += pos[i] != 0.0;
            ck_assert_msg(r->n_held == held, "config %s, script %d: engine counted %lld, positions say %lld",
                          cfg[k] ? cfg[k] : "{}", j, (long long)r->n_held, (long long)held);
            double x = NAN;
            ck_assert_ok(ct_result_metric(r, "exposure", &x));
            EQ(x, (double)held / (double)n);
            if (j == 1)
                ck_assert_int_eq(held, 2);
            ct_result_destroy(r);
        }
}
END_TEST

static void s_buy_last(ct_ctx *c, int64_t t)
{
    if (t == 4)
        ck_assert_ok(ct_ctx_order_market(c, 1, NULL));
}

START_TEST(order_on_last_bar)
{
    /* an order placed on the last bar never fills, in either fill mode */
    for (int mode = 0; mode < 2; mode++) {
        ct_result *r = run_script(s_buy_last, mode ? "{\"fill\":\"close\"}" : NULL);
        ck_assert_int_eq(ct_result_pending_at_end(r), 1);
        EQ(ct_result_final_equity(r), 10000);
        ck_assert_int_eq(g_fills, 0);
        ct_result_destroy(r);
    }
}
END_TEST

START_TEST(commission_and_slippage)
{
    ct_result *r = run_script(s_buy10_close_at2, "{\"slippage_bps\":10,\"commission\":0.002}");
    /* buy at 102 * (1 + 10e-4) = 102.102, fee 10*102.102*0.002 = 2.04204;
     * sell at 95 * (1 - 10e-4) = 94.905, fee 10*94.905*0.002 = 1.8981;
     * cash = 10000 - 1021.02 - 2.04204 + 949.05 - 1.8981 = 9924.08986 */
    ct_trade t = trade_at(r, 0);
    EQ(t.entry_price, 102.102);
    EQ(t.exit_price, 94.905);
    EQ(t.entry_commission, 2.04204);
    EQ(t.exit_commission, 1.8981);
    EQ(ct_result_final_equity(r), 9924.08986);
    EQ(r->total_commission, 2.04204 + 1.8981);
    EQ(r->turnover, 1021.02 + 949.05);
    ct_result_destroy(r);
}
END_TEST

START_TEST(maker_taker)
{
    /* a market fill pays the taker rate: 10 * 102 * 0.002 = 2.04; the close 10 * 95 * 0.002 = 1.9 */
    ct_result *r = run_script(s_buy10_close_at2, "{\"maker_commission\":0.0005,\"taker_commission\":0.002}");
    ct_trade t = trade_at(r, 0);
    EQ(t.entry_commission, 2.04);
    EQ(t.exit_commission, 1.9);
    ct_result_destroy(r);
}
END_TEST

/* ---- sizing ---- */

static void s_target1(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_target(c, 1.0, NULL));
}

START_TEST(target_fraction)
{
    ct_result *r = run_script(s_target1, NULL);
    /* qty = 10000 / (102 * 1.001), stepped down by ulps while (cash - q*p) - q*c*p < 0
     * (backtrader's cash check): the cash left is >= 0 and tiny. */
    double q = 1.0 * 10000.0 / (102.0 * (1.0 + 0.001));
    while ((10000.0 - q * 102.0) - q * 0.001 * 102.0 < 0)
        q = nextafter(q, 0);
    EQ(r->position[1], q);
    ck_assert(r->position[1] == q); /* bit-identical to the rule */
    ck_assert(ct_result_final_cash(r) >= 0);
    ck_assert(ct_result_final_cash(r) < 1e-9);
    EQ(ct_result_final_equity(r), q * 108 + ct_result_final_cash(r));
    ct_result_destroy(r);
}
END_TEST

static void s_notional(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_notional(c, 510, NULL));
}

START_TEST(notional_order)
{
    ct_result *r = run_script(s_notional, NULL);
    /* quote 510 at 102 buys 5 */
    EQ(r->position[1], 5);
    ct_result_destroy(r);
}
END_TEST

static void s_too_big(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_market(c, 100, NULL));
}

START_TEST(insufficient_cash_rejected)
{
    /* 100 * 102 = 10200 > 10000 cash: rejected, nothing changes */
    ct_result *r = run_script(s_too_big, NULL);
    ck_assert_int_eq(ct_result_rejected_orders(r), 1);
    EQ(ct_result_final_equity(r), 10000);
    ct_result_destroy(r);
}
END_TEST

/* ---- limit, stop, stop-limit ---- */

static double g_px, g_px2;

static void s_limit_buy(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_limit(c, 10, g_px, NULL));
}

START_TEST(limit_touched)
{
    g_px = 98.5;
    ct_result *r = run_script(s_limit_buy, NULL);
    /* bar 1 low 101 > 98.5; bar 2 low 98 <= 98.5: fills at 98.5 (maker fee 0.985) */
    EQ(r->position[1], 0);
    EQ(r->position[2], 10);
    EQ(r->equity[2], 10000 - 985 - 0.985 + 990);
    ct_result_destroy(r);
}
END_TEST

START_TEST(limit_never_touched)
{
    g_px = 89;
    ct_result *r = run_script(s_limit_buy, NULL);
    /* lows 101, 98, 90, 96 never reach 89: no fill, pending at the end */
    EQ(ct_result_final_equity(r), 10000);
    ck_assert_int_eq(ct_result_pending_at_end(r), 1);
    ct_result_destroy(r);
}
END_TEST

static void s_limit_at2(ct_ctx *c, int64_t t)
{
    if (t == 2)
        ck_assert_ok(ct_ctx_order_limit(c, 10, 96, NULL));
}

START_TEST(limit_gap_fills_at_open)
{
    ct_result *r = run_script(s_limit_at2, NULL);
    /* bar 3 opens at 95 below the 96 limit: fills at the open 95, fee 0.95 */
    EQ(r->equity[3], 10000 - 950 - 0.95 + 960);
    ct_result_destroy(r);
}
END_TEST

static void s_stop_buy(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_stop(c, 10, 105, NULL));
}

START_TEST(stop_buy)
{
    ct_result *r = run_script(s_stop_buy, NULL);
    /* bar 1 high 105 reaches the stop: fills at 105 (taker fee 1.05); E[1] = 10000-1050-1.05+1040 */
    EQ(r->equity[1], 10000 - 1050 - 1.05 + 1040);
    ct_result_destroy(r);
}
END_TEST

static void s_stop_limit(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_stop_limit(c, 10, g_px, g_px2, NULL));
}

START_TEST(stop_limit)
{
    /* stop 105 reached in bar 1 (high 105); the limit 104 is below the stop, so it waits as a
     * limit: bar 1 low 101 <= 104, fills at 104 in bar 1 (maker fee 1.04) */
    g_px = 105;
    g_px2 = 104;
    ct_result *r = run_script(s_stop_limit, NULL);
    EQ(r->equity[1], 10000 - 1040 - 1.04 + 1040);
    ct_result_destroy(r);
    /* stop 107 is never reached (highs 105, 106, 97, 110: bar 4 reaches it) -> fills in bar 4 at the
     * stop 107 since the limit 108 is above it */
    g_px = 107;
    g_px2 = 108;
    r = run_script(s_stop_limit, NULL);
    EQ(r->position[3], 0);
    EQ(r->equity[4], 10000 - 1070 - 1.07 + 1080);
    ct_result_destroy(r);
    /* stop 105 reached in bar 1, limit 100 not (low 101): it waits as a limit; bar 2 reaches 106
     * (above the stop again) but a triggered stop-limit is a limit now: it fills when the low 98
     * reaches 100, at 100 (maker fee 1.0): E[2] = 10000 - 1000 - 1 + 990 */
    g_px = 105;
    g_px2 = 100;
    r = run_script(s_stop_limit, NULL);
    EQ(r->position[1], 0);
    EQ(r->equity[2], 10000 - 1000 - 1.0 + 990);
    ct_result_destroy(r);
}
END_TEST

/* ---- attached exits ---- */

static void s_entry_sl(ct_ctx *c, int64_t t)
{
    if (t == 0) {
        ck_assert_ok(ct_ctx_order_market(c, 10, NULL));
        ck_assert_ok(ct_ctx_stop_loss(c, 97, NULL));
    }
}

START_TEST(stop_loss_gap)
{
    ct_result *r = run_script(s_entry_sl, NULL);
    /* entry at open[1] 102; lows 101, 98 stay above 97; bar 3 opens at 95 <= 97: the stop fills
     * at the open 95, not 97 */
    ct_trade t = trade_at(r, 0);
    ck_assert_int_eq(t.exit_bar, 3);
    EQ(t.exit_price, 95);
    ct_result_destroy(r);
}
END_TEST

static void s_entry_sl_tp(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_market(c, 10, NULL));
    if (t == 1) {
        ck_assert_ok(ct_ctx_stop_loss(c, 99.5, NULL));
        ck_assert_ok(ct_ctx_take_profit(c, 105.5, NULL));
    }
}

START_TEST(sl_tp_same_bar)
{
    /* bar 2 range 98..106 reaches both the stop 99.5 and the take-profit 105.5 */
    ct_result *r = run_script(s_entry_sl_tp, NULL);
    ct_trade t = trade_at(r, 0);
    ck_assert_int_eq(t.exit_bar, 2);
    EQ(t.exit_price, 99.5); /* stop first (pessimistic default) */
    ck_assert_int_eq(ct_result_trade_count(r), 1);
    ck_assert_int_eq(ct_result_pending_at_end(r), 0); /* the take-profit was cancelled with the position */
    ct_result_destroy(r);
    r = run_script(s_entry_sl_tp, "{\"stop_first\":false}");
    t = trade_at(r, 0);
    EQ(t.exit_price, 105.5);
    EQ(t.exit_commission, 10 * 105.5 * 0.001);
    ct_result_destroy(r);
}
END_TEST

static void s_trailing(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_market(c, 10, NULL));
    if (t == 1)
        ck_assert_ok(ct_ctx_trailing_stop(c, 0.05, 1, NULL));
}

START_TEST(trailing_stop)
{
    /* placed at bar 1 with the position open: best price = close[1] = 104, level 104*0.95 = 98.8;
     * bar 2 opens 103 above it, low 98 <= 98.8: fills at 98.8 */
    ct_result *r = run_script(s_trailing, NULL);
    ct_trade t = trade_at(r, 0);
    ck_assert_int_eq(t.exit_bar, 2);
    EQ(t.exit_price, 104 * 0.95);
    ct_result_destroy(r);
}
END_TEST

static void s_trailing_abs(ct_ctx *c, int64_t t)
{
    if (t == 0) {
        ck_assert_ok(ct_ctx_order_market(c, 10, NULL));
        ck_assert_ok(ct_ctx_trailing_stop(c, 7, 0, NULL));
    }
}

START_TEST(trailing_stop_price)
{
    /* placed flat: the best price starts at the entry 102 -> level 95 in bar 1 (low 101, no);
     * then best = high[1] 105 -> level 98 in bar 2: low 98 <= 98, fills at 98 */
    ct_result *r = run_script(s_trailing_abs, NULL);
    ct_trade t = trade_at(r, 0);
    ck_assert_int_eq(t.exit_bar, 2);
    EQ(t.exit_price, 98);
    ct_result_destroy(r);
}
END_TEST

static int64_t g_cancel_id;

static void s_cancel(ct_ctx *c, int64_t t)
{
    if (t == 0) {
        ck_assert_ok(ct_ctx_order_limit(c, 10, 50, &g_cancel_id));
        ck_assert_int_eq(ct_ctx_open_orders(c), 1);
        int64_t id = 0;
        int32_t type = -1;
        double q = 0, p = 0;
        ck_assert_ok(ct_ctx_order_info(c, 0, &id, &type, &q, &p, NULL));
        ck_assert_int_eq(id, g_cancel_id);
        ck_assert_int_eq(type, CT_ORDER_LIMIT);
        EQ(p, 50);
    }
    if (t == 1) {
        ck_assert_ok(ct_ctx_cancel(c, g_cancel_id));
        ck_assert_status(ct_ctx_cancel(c, g_cancel_id), CT_E_NOT_FOUND);
        ck_assert_int_eq(ct_ctx_open_orders(c), 0);
    }
}

START_TEST(cancel_order)
{
    ct_result *r = run_script(s_cancel, NULL);
    ck_assert_int_eq(ct_result_pending_at_end(r), 0);
    ct_result_destroy(r);
}
END_TEST


static void s_short_tp_sl(ct_ctx *c, int64_t t)
{
    if (t == 0) {
        ck_assert_ok(ct_ctx_order_market(c, -10, NULL));
        ck_assert_ok(ct_ctx_stop_loss(c, 106.5, NULL));
        ck_assert_ok(ct_ctx_take_profit(c, 96.5, NULL));
    }
}

START_TEST(short_attached_exits)
{
    /* short 10 at open[1] 102 with a stop-loss above (106.5) and a take-profit below (96.5):
     * highs 105, 106 stay below the stop, lows 101, 98 above the target; bar 3 opens at 95,
     * through the take-profit: it fills at the open 95 (maker fee 0.95) */
    ct_result *r = run_script(s_short_tp_sl, "{\"allow_short\":true}");
    ct_trade t = trade_at(r, 0);
    ck_assert_int_eq(t.side, -1);
    ck_assert_int_eq(t.exit_bar, 3);
    EQ(t.exit_price, 95);
    EQ(t.pnl_gross, 70); /* -1 * 10 * (95 - 102) */
    EQ(t.exit_commission, 0.95);
    ck_assert_int_eq(ct_result_pending_at_end(r), 0); /* the stop-loss went with the position */
    ct_result_destroy(r);
}
END_TEST

static void s_short_trailing(ct_ctx *c, int64_t t)
{
    if (t == 0) {
        ck_assert_ok(ct_ctx_order_market(c, -10, NULL));
        ck_assert_ok(ct_ctx_trailing_stop(c, 3, 0, NULL));
    }
}

START_TEST(short_trailing_stop)
{
    /* short from 102 (open[1]); placed while flat, the best price starts at the entry 102, so
     * the stop is at 105; bar 1's high 105 reaches it: bought back at 105 in bar 1 */
    ct_result *r = run_script(s_short_trailing, "{\"allow_short\":true}");
    ct_trade t = trade_at(r, 0);
    ck_assert_int_eq(t.exit_bar, 1);
    EQ(t.exit_price, 105);
    EQ(t.pnl_gross, -30);
    EQ(t.mae, 1 - 105.0 / 102); /* the fill prices bound the excursion inside the exit bar */
    EQ(t.mfe, 0);
    ct_result_destroy(r);
}
END_TEST

static void s_slip_tick(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_market(c, 10, NULL));
    if (t == 1)
        ck_assert_ok(ct_ctx_order_notional(c, -500, NULL));
}

START_TEST(slippage_tick_and_notional_sell)
{
    /* tick 0.25, slippage 30 bps: buy at 102 * 1.003 = 102.306, rounded up to the tick: 102.5;
     * sell of quote 500 at bar 2: 103 * 0.997 = 102.691 rounded down to 102.5, qty 500/102.5 */
    ct_result *r = run_script(s_slip_tick, "{\"tick_size\":0.25,\"slippage_bps\":30}");
    EQ(r->equity[1], 10000 - 1025 - 1.025 + 1040);
    EQ(r->position[2], 10 - 500 / 102.5);
    ct_result_destroy(r);
}
END_TEST

/* ---- short and leverage ---- */

static void s_sell10(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_market(c, -10, NULL));
    if (t == 3)
        ck_assert_ok(ct_ctx_close_position(c, NULL));
}

START_TEST(short_selling)
{
    ct_result *r = run_script(s_sell10, NULL);
    /* long-only: a sell with nothing to sell is rejected */
    ck_assert_int_eq(ct_result_rejected_orders(r), 1);
    EQ(ct_result_final_equity(r), 10000);
    ct_result_destroy(r);
    r = run_script(s_sell10, "{\"allow_short\":true}");
    /* short 10 at open[1] 102: cash 10000 + 1020 - 1.02 = 11018.98; E[1] = 11018.98 - 1040;
     * cover at open[4] 97: cash 11018.98 - 970 - 0.97 = 10048.01 */
    EQ(r->position[1], -10);
    EQ(r->equity[1], 11018.98 - 1040);
    ct_trade t = trade_at(r, 0);
    ck_assert_int_eq(t.side, -1);
    EQ(t.pnl_gross, 50); /* -1 * 10 * (97 - 102) */
    EQ(t.pnl_net, 50 - 1.02 - 0.97);
    /* short MAE/MFE from the highs and lows held: highest 106 -> 1 - 106/102; lowest 90 -> 1 - 90/102 */
    EQ(t.mae, 1 - 106.0 / 102);
    EQ(t.mfe, 1 - 90.0 / 102);
    EQ(ct_result_final_equity(r), 10048.01);
    ct_result_destroy(r);
}
END_TEST

static void s_target2(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_target(c, 2.0, NULL));
}

START_TEST(leverage)
{
    /* without leverage a 2x target is capped by the cash: |q|*p <= 1 * equity after the fee */
    ct_result *r = run_script(s_target2, NULL);
    double q1 = r->position[1];
    EQ(q1 * 102 * 1.001, 10000);
    ct_result_destroy(r);
    /* leverage 2: q*p <= 2 * (10000 - q*p*c) -> q = 20000 / (102 * (1 + 2*0.001)) */
    r = run_script(s_target2, "{\"leverage\":2}");
    EQ(r->position[1], 20000 / (102 * 1.002));
    double q = r->position[1];
    EQ(r->equity[1], 10000 - q * 102 - q * 102 * 0.001 + q * 104);
    ct_result_destroy(r);
}
END_TEST

/* ---- exchange filters ---- */

START_TEST(filters_round)
{
    ct_result *r = run_script(s_target1, "{\"lot_step\":0.01}");
    /* 10000 / (102 * 1.001) = 97.9411... rounded down to the lot step: 97.94 */
    EQ(r->position[1], 97.94);
    ct_result_destroy(r);
    g_px = 98.7;
    r = run_script(s_limit_buy, "{\"tick_size\":0.5}");
    /* the limit price 98.7 is rounded to the tick: 98.5; fills in bar 2 (low 98) at 98.5 */
    EQ(r->equity[2], 10000 - 985 - 0.985 + 990);
    ct_result_destroy(r);
}
END_TEST

START_TEST(filters_reject)
{
    /* 10 * 102 = 1020 < min_notional 2000: rejected */
    ct_result *r = run_script(s_buy10_at0, "{\"min_notional\":2000}");
    ck_assert_int_eq(ct_result_rejected_orders(r), 1);
    EQ(ct_result_final_equity(r), 10000);
    ct_result_destroy(r);
    /* lot step 100: 10 rounds down to 0: rejected */
    r = run_script(s_buy10_at0, "{\"lot_step\":100}");
    ck_assert_int_eq(ct_result_rejected_orders(r), 1);
    ct_result_destroy(r);
}
END_TEST

/* A limit or stop price that tick_size rounds to 0 (or past the largest double) is refused when
 * placed: it was kept as 0, so a stop buy "at 0.4" with tick 1 filled at once at the next open
 * (102) and a stop-loss at 0 never protected anything. */
static void s_tick_to_zero(ct_ctx *c, int64_t t)
{
    int64_t id = -1;
    if (t != 0)
        return;
    ck_assert_status(ct_ctx_order_stop(c, 1, 0.4, &id), CT_E_INVALID_ARG);
    ck_assert_int_eq(id, 0);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "rounds to 0 at tick_size 1"));
    ck_assert_status(ct_ctx_order_limit(c, 1, 0.49, NULL), CT_E_INVALID_ARG);
    ck_assert_status(ct_ctx_order_stop_limit(c, 1, 103, 0.2, NULL), CT_E_INVALID_ARG);
    ck_assert_status(ct_ctx_order_stop_limit(c, 1, 0.2, 103, NULL), CT_E_INVALID_ARG);
    ck_assert_status(ct_ctx_take_profit(c, 0.3, NULL), CT_E_INVALID_ARG);
    ck_assert_status(ct_ctx_stop_loss(c, 0.3, NULL), CT_E_INVALID_ARG);
    ck_assert_int_eq(ct_ctx_open_orders(c), 0);
    /* half a tick and more rounds to one tick: a valid price */
    ck_assert_ok(ct_ctx_order_limit(c, 1, 0.6, &id));
    double px = 0;
    ck_assert_ok(ct_ctx_order_info(c, 0, NULL, NULL, NULL, &px, NULL));
    EQ(px, 1);
}

/* 1e306 / 0.001 overflows to inf: no price either */
static void s_tick_overflow(ct_ctx *c, int64_t t)
{
    if (t == 0) {
        ck_assert_status(ct_ctx_order_stop(c, -1, 1e306, NULL), CT_E_INVALID_ARG);
        ck_assert_status(ct_ctx_order_limit(c, -1, 1e306, NULL), CT_E_INVALID_ARG);
        ck_assert_int_eq(ct_ctx_open_orders(c), 0);
    }
}

START_TEST(tick_rounds_price_to_zero)
{
    ct_result *r = run_script(s_tick_to_zero, "{\"tick_size\":1}");
    /* nothing filled: the limit buy at 1 is never touched (lows 90..101) */
    ck_assert_int_eq(ct_result_trade_count(r), 0);
    ck_assert(r->position[4] == 0);
    EQ(ct_result_final_equity(r), 10000);
    ck_assert_int_eq(ct_result_pending_at_end(r), 1);
    ct_result_destroy(r);
    r = run_script(s_tick_overflow, "{\"tick_size\":0.001,\"allow_short\":true}");
    ck_assert_int_eq(ct_result_pending_at_end(r), 0);
    EQ(ct_result_final_equity(r), 10000);
    ct_result_destroy(r);
}
END_TEST

static void s_target3(ct_ctx *c, int64_t t)
{
    if (t == 0)
        ck_assert_ok(ct_ctx_order_target(c, 3.0, NULL));
}

/* A target beyond what leverage allows is cut to L * E / (p * (1 + L * rate)) with a lot step
 * too (it was rejected outright), then rounded down to the step; and the min_notional filter
 * applies to the quantity that fills, the cut one (it was checked before the cut). */
START_TEST(target_cut_with_filters)
{
    /* leverage 1, lot 0.001: 10000 / (102 * 1.001) = 97.9412744... -> 97.941 at open[1] = 102:
     * cash = 10000 - 97.941 * 102 * 1.001 = 0.028018, E[1] = 0.028018 + 97.941 * 104 */
    ct_result *r = run_script(s_target3, "{\"lot_step\":0.001}");
    ck_assert_int_eq(ct_result_rejected_orders(r), 0);
    EQ(r->position[1], 97.941);
    EQ(r->equity[1], 10185.892018);
    EQ(ct_result_final_equity(r), 0.028018 + 97.941 * 108);
    ct_result_destroy(r);
    /* leverage 2, lot 0.001: 20000 / (102 * 1.002) = 195.68705... -> 195.687, and
     * |q| * p <= 2 * (equity after the fee) holds: 19960.074 <= 2 * 9979.99... */
    r = run_script(s_target3, "{\"lot_step\":0.001,\"leverage\":2}");
    ck_assert_int_eq(ct_result_rejected_orders(r), 0);
    EQ(r->position[1], 195.687);
    EQ(r->equity[1], 10000 - 195.687 * 102 * 1.001 + 195.687 * 104);
    ct_result_destroy(r);
    /* min_notional 12000: the uncut 3x target (about 30000) would pass it, the fill it can make
     * (97.94 * 102 = 9990) does not: rejected */
    r = run_script(s_target3, "{\"min_notional\":12000}");
    ck_assert_int_eq(ct_result_rejected_orders(r), 1);
    ck_assert(r->position[1] == 0);
    EQ(ct_result_final_equity(r), 10000);
    ct_result_destroy(r);
}
END_TEST

/* ---- funding ---- */

START_TEST(funding)
{
    register_script();
    g_script = s_buy10_at0;
    ct_feed *f = feed5();
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ck_assert_ok(ct_engine_create(&e));
    /* events at bar 0 (flat: nothing), at 150000 (inside bar 2: paid at bar 3's open 95) and at
     * bar 4's open time 240000 with a negative rate (received) */
    int64_t ft[3] = {0, 150000, 240000};
    double fr[3] = {0.01, 0.001, -0.002};
    ck_assert_ok(ct_engine_set_funding(e, ft, fr, 3));
    ck_assert_ok(ct_strategy_create_by_name("test_script", &s));
    ck_assert_ok(ct_engine_run(e, f, s, &r));
    /* long 10 from bar 1: pays 10 * 95 * 0.001 = 0.95 at bar 3, receives 10 * 97 * 0.002 = 1.94 at bar 4 */
    EQ(r->equity[2], 8978.98 + 990);
    EQ(r->equity[3], 8978.98 - 0.95 + 960);
    EQ(r->equity[4], 8978.98 - 0.95 + 1.94 + 1080);
    EQ(r->total_funding, 0.95 - 1.94);
    int64_t bad_t[2] = {5, 5};
    ck_assert_status(ct_engine_set_funding(e, bad_t, fr, 2), CT_E_INVALID_ARG);
    ct_result_destroy(r);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    ct_feed_destroy(f);
}
END_TEST

/* ---- look-ahead and accessors ---- */

static void s_lookahead(ct_ctx *c, int64_t t)
{
    double v = 0;
    int64_t tm = 0;
    ck_assert_status(ct_ctx_bar(c, CT_FIELD_CLOSE, -1, &v), CT_E_RANGE); /* the future is unreachable */
    ck_assert_status(ct_ctx_time(c, -1, &tm), CT_E_RANGE);
    ck_assert_status(ct_ctx_bar(c, CT_FIELD_CLOSE, t + 1, &v), CT_E_RANGE);
    ck_assert_status(ct_ctx_bar(c, 9, 0, &v), CT_E_INVALID_ARG);
    ck_assert_ok(ct_ctx_bar(c, CT_FIELD_CLOSE, 0, &v));
    EQ(v, k_close[t]);
    ck_assert_ok(ct_ctx_time(c, 0, &tm));
    ck_assert_int_eq(tm, k_time[t]);
    if (t > 0) {
        ck_assert_ok(ct_ctx_bar(c, CT_FIELD_HIGH, 1, &v));
        EQ(v, k_high[t - 1]);
    }
    const double *p = NULL;
    int64_t n = 0;
    ck_assert_ok(ct_ctx_series(c, CT_FIELD_OPEN, &p, &n));
    ck_assert_int_eq(n, t + 1); /* the view ends at t */
    EQ(p[t], k_open[t]);
    EQ(ct_ctx_cash(c), 10000);
    EQ(ct_ctx_equity(c), 10000);
    EQ(ct_ctx_position(c), 0);
    ck_assert(isnan(ct_ctx_entry_price(c)));
    int32_t h = -1;
    ck_assert_status(ct_ctx_declare_indicator(c, "sma", NULL, 0, &h), CT_E_STATE); /* only in on_start */
    ck_assert_status(ct_ctx_last_fill(c, NULL, NULL, NULL, NULL), CT_E_STATE);
}

START_TEST(lookahead_refused)
{
    ct_result *r = run_script(s_lookahead, NULL);
    ct_result_destroy(r);
}
END_TEST

/* indicator reads through a plugin-style strategy: declared in on_start, read with lag >= 0 */
static int32_t g_h;
static ct_status ind_start(void *u, ct_ctx *c)
{
    double opt = 2;
    return ct_ctx_declare_indicator(c, "sma", &opt, 1, &g_h);
}

static ct_status ind_bar(void *u, ct_ctx *c)
{
    int64_t t = ct_ctx_bar_index(c);
    double v = 0;
    ck_assert_status(ct_ctx_indicator(c, g_h, 0, -1, &v), CT_E_RANGE); /* no read past t */
    ck_assert_status(ct_ctx_indicator(c, g_h, 1, 0, &v), CT_E_RANGE);  /* sma has one output */
    ck_assert_status(ct_ctx_indicator(c, 7, 0, 0, &v), CT_E_INVALID_ARG);
    ck_assert_ok(ct_ctx_indicator(c, g_h, 0, 0, &v));
    if (t == 0)
        ck_assert(isnan(v)); /* SMA(2) lookback 1 */
    else
        EQ(v, (k_close[t] + k_close[t - 1]) / 2);
    return CT_OK;
}

START_TEST(indicator_access)
{
    static const ct_strategy_vtable vt = {sizeof(ct_strategy_vtable), 0, "test_ind", NULL, NULL, 0, 0, NULL,
                                          NULL, ind_start, ind_bar, NULL, NULL, NULL};
    ck_assert_ok(ct_strategy_register(&vt));
    ct_feed *f = feed5();
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ct_indicator_cache *cache = NULL;
    ck_assert_ok(ct_indicator_cache_create(&cache));
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_engine_set_indicator_cache(e, cache));
    ck_assert_ok(ct_strategy_create_by_name("test_ind", &s));
    ck_assert_ok(ct_engine_run(e, f, s, &r));
    ct_result_destroy(r);
    ck_assert_ok(ct_engine_run(e, f, s, &r)); /* second run: the cached SMA is reused */
    ck_assert_int_eq(ct_indicator_cache_size(cache), 1);
    ct_result_destroy(r);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    ct_indicator_cache_destroy(cache);
    ct_feed_destroy(f);
    ck_assert_ok(ct_strategy_unregister("test_ind"));
}
END_TEST

/* ---- on_start runs before bar 0 closes; a run over no bars ---- */

/* What on_start (or on_finish over no bars) may see: no bar, no time, an empty series, no
 * indicator value; each refusal says why. */
static void assert_no_bar(ct_ctx *c, int32_t h)
{
    double v = -1;
    int64_t tm = -1, n = -1;
    const double *p = k_close;
    ck_assert_status(ct_ctx_bar(c, CT_FIELD_CLOSE, 0, &v), CT_E_RANGE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "no bar has closed yet"));
    ck_assert_status(ct_ctx_bar(c, CT_FIELD_HIGH, 0, &v), CT_E_RANGE);
    ck_assert(v == -1);
    ck_assert_status(ct_ctx_time(c, 0, &tm), CT_E_RANGE);
    ck_assert_int_eq(tm, -1);
    ck_assert_ok(ct_ctx_series(c, CT_FIELD_CLOSE, &p, &n));
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(p);
    if (h >= 0) {
        ck_assert_status(ct_ctx_indicator(c, h, 0, 0, &v), CT_E_RANGE);
        ck_assert_ptr_nonnull(strstr(ct_last_error(), "no bar has closed yet"));
        ck_assert(v == -1);
    }
}

static int g_started, g_finished;
static ct_status nb_start(void *u, ct_ctx *c)
{
    (void)u;
    int32_t h = -1;
    double opt = 2;
    ck_assert_ok(ct_ctx_declare_indicator(c, "sma", &opt, 1, &h));
    assert_no_bar(c, h);
    g_started++;
    return ct_ctx_order_market(c, 10, NULL); /* placed before bar 0: fills at its open */
}

static ct_status nb_bar(void *u, ct_ctx *c)
{
    (void)u;
    double v = 0;
    int64_t n = 0;
    const double *p = NULL;
    ck_assert_ok(ct_ctx_bar(c, CT_FIELD_CLOSE, 0, &v));
    EQ(v, k_close[ct_ctx_bar_index(c)]);
    ck_assert_ok(ct_ctx_series(c, CT_FIELD_CLOSE, &p, &n));
    ck_assert_int_eq(n, ct_ctx_bar_index(c) + 1);
    ck_assert_ok(ct_ctx_indicator(c, 0, 0, 0, &v));
    return CT_OK;
}

static ct_status nb_finish(void *u, ct_ctx *c)
{
    (void)u;
    double v = 0;
    if (ct_ctx_bar_index(c) == 4) {
        ck_assert_ok(ct_ctx_bar(c, CT_FIELD_CLOSE, 0, &v)); /* after the last bar: bar 4 is readable */
        EQ(v, 108);
    } else {
        assert_no_bar(c, 0); /* no bars at all */
    }
    g_finished++;
    return CT_OK;
}

static const ct_strategy_vtable k_nb_vt = {sizeof(ct_strategy_vtable), 0, "test_nobar", NULL, NULL, 0, 0, NULL,
                                           NULL, nb_start, nb_bar, NULL, nb_finish, NULL};

START_TEST(on_start_sees_no_bar)
{
    /* in both fill modes the order of on_start fills at open[0] = 100, in the backtest and in a
     * session pushed the same bars; nothing of bar 0 was readable before */
    ck_assert_ok(ct_strategy_register(&k_nb_vt));
    for (int mode = 0; mode < 2; mode++) {
        ct_feed *f = feed5();
        ct_engine *e = NULL;
        ct_strategy *s = NULL;
        ct_result *r = NULL;
        ct_session *ss = NULL;
        ck_assert_ok(ct_engine_create(&e));
        if (mode)
            ck_assert_ok(ct_engine_configure_json(e, "{\"fill\":\"close\"}"));
        ck_assert_ok(ct_strategy_create_by_name("test_nobar", &s));
        g_started = g_finished = 0;
        ck_assert_ok(ct_engine_run(e, f, s, &r));
        ck_assert_int_eq(g_started, 1);
        ck_assert_int_eq(g_finished, 1);
        int32_t has = 0;
        double q = 0, px = 0;
        int64_t et = -1, eb = -1;
        ck_assert_ok(ct_result_open_position(r, &has, &q, &px, &et, &eb));
        ck_assert_int_eq(has, 1);
        EQ(px, 100);
        ck_assert_int_eq(eb, 0);
        /* E[0] = 10000 - 1000 - 1 (fee) + 10 * close[0] */
        EQ(ct_result_equity_ptr(r)[0], 9999);
        ck_assert_ok(ct_session_create(e, s, "TEST", 60000, &ss));
        for (int i = 0; i < 5; i++)
            ck_assert_ok(ct_session_push(ss, k_time[i], k_open[i], k_high[i], k_low[i], k_close[i], k_vol[i]));
        ck_assert_int_eq(g_started, 2);
        ck_assert_int_eq(g_finished, 1); /* a session has no last bar */
        ck_assert(ct_session_equity(ss) == ct_result_final_equity(r));
        ct_session_destroy(ss);
        ct_result_destroy(r);
        ct_strategy_destroy(s);
        ct_engine_destroy(e);
        ct_feed_destroy(f);
    }
    ck_assert_ok(ct_strategy_unregister("test_nobar"));
}
END_TEST

START_TEST(empty_feed)
{
    /* no bars: on_start and on_finish still run once (with t = 0), read nothing, and the order
     * placed in on_start stays pending */
    ck_assert_ok(ct_strategy_register(&k_nb_vt));
    for (int mode = 0; mode < 2; mode++) {
        ct_feed *f = NULL;
        ct_result *r = NULL;
        ck_assert_ok(ct_feed_create("TEST", 60000, &f));
        g_started = g_finished = 0;
        ck_assert_ok(run_class_on(f, "test_nobar", mode ? "{\"fill\":\"close\",\"close_at_end\":true}" : "{}", &r,
                                  NULL, 0));
        ck_assert_int_eq(g_started, 1);
        ck_assert_int_eq(g_finished, 1);
        ck_assert_int_eq(ct_result_len(r), 0);
        ck_assert_int_eq(ct_result_trade_count(r), 0);
        ck_assert_int_eq(ct_result_pending_at_end(r), 1);
        EQ(ct_result_final_equity(r), 10000);
        ct_result_destroy(r);
    }
    ck_assert_ok(ct_strategy_unregister("test_nobar"));
}
END_TEST

/* ---- failing callbacks ---- */

/* A message recorded by a callback that then succeeds is not the reason of a later failure. */
static ct_status stale_bar(void *u, ct_ctx *c)
{
    (void)u;
    int64_t t = ct_ctx_bar_index(c);
    if (t == 0)
        ck_assert_ok(ct_ctx_order_market(c, 1, NULL));
    if (t == 1) {
        ct_ctx_set_error(c, "note at bar 1");
        return CT_OK;
    }
    return t == 3 ? CT_E_RANGE : CT_OK;
}

static ct_status stale_fill(void *u, ct_ctx *c)
{
    (void)u;
    ct_ctx_set_error(c, "note in on_fill");
    return CT_OK;
}

START_TEST(stale_error_message)
{
    static const ct_strategy_vtable vt = {sizeof(ct_strategy_vtable), 0, "test_stale", NULL, NULL, 0, 0, NULL,
                                          NULL, NULL, stale_bar, stale_fill, NULL, NULL};
    ck_assert_ok(ct_strategy_register(&vt));
    ct_result *r = NULL;
    char msg[256];
    ck_assert_status(run_class("test_stale", NULL, &r, msg, sizeof(msg)), CT_E_PLUGIN);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(msg, "strategy 'test_stale': on_bar returned CT_E_RANGE at bar 3");
    ck_assert_ok(ct_strategy_unregister("test_stale"));
}
END_TEST

static ct_status fail_bar(void *u, ct_ctx *c)
{
    if (ct_ctx_bar_index(c) == 2) {
        ct_ctx_set_error(c, "boom at bar two");
        return CT_E_INVALID_ARG;
    }
    return CT_OK;
}

START_TEST(failing_callback)
{
    static const ct_strategy_vtable vt = {sizeof(ct_strategy_vtable), 0, "test_fail", NULL, NULL, 0, 0, NULL,
                                          NULL, NULL, fail_bar, NULL, NULL, NULL};
    ck_assert_ok(ct_strategy_register(&vt));
    ct_feed *f = feed5();
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = (ct_result *)1;
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_strategy_create_by_name("test_fail", &s));
    ck_assert_status(ct_engine_run(e, f, s, &r), CT_E_PLUGIN);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(ct_engine_errmsg(e), "boom at bar two"));
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "boom at bar two"));
    ck_assert_status(ct_strategy_unregister("test_fail"), CT_E_STATE); /* still used by s */
    ct_strategy_destroy(s);
    ck_assert_ok(ct_strategy_unregister("test_fail"));
    ct_engine_destroy(e);
    ct_feed_destroy(f);
}
END_TEST

/* ---- settings ---- */

START_TEST(settings)
{
    ct_engine *e = NULL;
    double v = 0;
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_engine_set_f64(e, CT_ENGINE_COMMISSION, 0.002));
    ck_assert_ok(ct_engine_get_f64(e, CT_ENGINE_COMMISSION_MAKER, &v));
    EQ(v, 0.002);
    ck_assert_status(ct_engine_set_f64(e, CT_ENGINE_CAPITAL, -1), CT_E_RANGE);
    ck_assert_ptr_nonnull(strstr(ct_engine_errmsg(e), "capital"));
    ck_assert_status(ct_engine_set_f64(e, 12345, 1), CT_E_INVALID_ARG);
    ck_assert_status(ct_engine_set_f64(e, CT_ENGINE_LEVERAGE, NAN), CT_E_INVALID_ARG);
    ck_assert_status(ct_engine_set_i64(e, CT_ENGINE_FILL, 2), CT_E_RANGE);
    ck_assert_ok(ct_engine_set_i64(e, CT_ENGINE_FILL, CT_FILL_CLOSE));
    ck_assert_status(ct_engine_configure_json(e, "{\"capitol\":5}"), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_engine_errmsg(e), "capitol"));
    ck_assert_status(ct_engine_configure_json(e, "{\"commission\":\"x\"}"), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_engine_errmsg(e), "commission"));
    ck_assert_status(ct_engine_configure_json(e, "{\"fill\":\"tomorrow\"}"), CT_E_RANGE);
    ck_assert_status(ct_engine_configure_json(e, "{\"leverage\":0.5}"), CT_E_RANGE);
    ck_assert_ptr_nonnull(strstr(ct_engine_errmsg(e), "leverage"));
    ck_assert_status(ct_engine_configure_json(e, "{\"allow_short\":1}"), CT_E_INVALID_ARG);
    ck_assert_status(ct_engine_configure_json(e, "[1]"), CT_E_FORMAT);
    ck_assert_status(ct_engine_configure_json(e, "{\"capital\":5,\"slippage_bps\":-1}"), CT_E_RANGE);
    ck_assert_ok(ct_engine_get_f64(e, CT_ENGINE_CAPITAL, &v)); /* all or nothing */
    EQ(v, 10000);
    ck_assert_ok(ct_engine_configure_json(e, "{\"capital\":5000,\"fill\":\"next_open\",\"metrics_freq\":\"daily\","
                                             "\"periods_per_year\":365,\"risk_free\":0.0001,\"allow_short\":true}"));
    char *js = NULL;
    ck_assert_ok(ct_engine_config_json(e, &js));
    ck_assert_str_eq(js, "{\"capital\":5000,\"fill\":\"next_open\",\"close_at_end\":false,\"periods_per_year\":365,"
                         "\"risk_free\":0.0001,\"metrics_freq\":\"daily\",\"stop_first\":true,\"commission\":0.002,"
                         "\"maker_commission\":0.002,\"taker_commission\":0.002,\"slippage_bps\":0,"
                         "\"allow_short\":true,\"leverage\":1,\"tick_size\":0,\"lot_step\":0,\"min_notional\":0}");
    ct_free(js);
    double lo = 0, hi = 0;
    ck_assert_ok(ct_engine_param_bounds(CT_ENGINE_LEVERAGE, &lo, &hi));
    EQ(lo, 1);
    ck_assert_str_eq(ct_engine_param_name(CT_ENGINE_SLIPPAGE_BPS), "slippage_bps");
    ct_engine_destroy(e);
    ct_engine_destroy(NULL);
    ck_assert_status(ct_engine_create(NULL), CT_E_INVALID_ARG);
}
END_TEST

/* `commission` sets both rates; a maker_commission or taker_commission beside it wins whatever
 * the key order (the members of a JSON object have no order: {"maker_commission":0,
 * "commission":0.002} gave maker 0.002 and lost the rebate); a key given twice is an error
 * (the last one silently won). */
START_TEST(configure_json_order_and_duplicates)
{
    static const char *const docs[] = {
        "{\"maker_commission\":-0.0001,\"commission\":0.002}",
        "{\"commission\":0.002,\"maker_commission\":-0.0001}",
        "{\"taker_commission\":0.002,\"commission\":0.5,\"maker_commission\":-0.0001}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        ct_engine *e = NULL;
        double maker = 0, taker = 0;
        ck_assert_ok(ct_engine_create(&e));
        ck_assert_ok(ct_engine_configure_json(e, docs[i]));
        ck_assert_ok(ct_engine_get_f64(e, CT_ENGINE_COMMISSION_MAKER, &maker));
        ck_assert_ok(ct_engine_get_f64(e, CT_ENGINE_COMMISSION_TAKER, &taker));
        ck_assert_msg(maker == -0.0001 && taker == 0.002, "%s: maker %.17g taker %.17g", docs[i], maker, taker);
        ct_engine_destroy(e);
    }
    /* the maker rate reaches the fills: a limit buy of 10 at 98.5 (bar 2) pays 10 * 98.5 * -0.0001 */
    g_px = 98.5;
    ct_result *r = run_script(s_limit_buy, "{\"maker_commission\":-0.0001,\"commission\":0.002}");
    EQ(r->equity[2], 10000 - 985 + 0.0985 + 990);
    ct_result_destroy(r);
    /* a repeated key: refused, naming it, nothing applied */
    ct_engine *e = NULL;
    double v = 0;
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_status(ct_engine_configure_json(e, "{\"capital\":5000,\"commission\":0.002,\"commission\":0.003}"),
                     CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_engine_errmsg(e), "'commission' is given twice"));
    ck_assert_ok(ct_engine_get_f64(e, CT_ENGINE_CAPITAL, &v));
    EQ(v, 10000);
    ck_assert_ok(ct_engine_get_f64(e, CT_ENGINE_COMMISSION, &v));
    EQ(v, 0.001);
    /* an unknown key fails even after a value of the wrong type */
    ck_assert_status(ct_engine_configure_json(e, "{\"capital\":\"x\",\"capitol\":1}"), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_engine_errmsg(e), "capitol"));
    ct_engine_destroy(e);
}
END_TEST

START_TEST(run_args)
{
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ct_feed *f = feed5();
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_strategy_create_by_name("rsi", &s));
    ck_assert_status(ct_engine_run(NULL, f, s, &r), CT_E_INVALID_ARG);
    ck_assert_status(ct_engine_run(e, NULL, s, &r), CT_E_INVALID_ARG);
    ck_assert_status(ct_engine_run(e, f, NULL, &r), CT_E_INVALID_ARG);
    ck_assert_status(ct_engine_run(e, f, s, NULL), CT_E_INVALID_ARG);
    /* 5 bars are fewer than RSI(14) needs: RSI is all NaN, nothing happens */
    ck_assert_ok(ct_engine_run(e, f, s, &r));
    EQ(ct_result_final_equity(r), 10000);
    ck_assert_str_eq(ct_result_strategy(r), "rsi");
    ck_assert_str_eq(ct_result_symbol(r), "TEST");
    ck_assert_int_eq(ct_result_interval_ms(r), 60000);
    ck_assert_str_eq(ct_result_params_json(r), "{\"rsi_period\":14,\"oversold\":30,\"overbought\":70,\"fraction\":1}");
    ck_assert_int_eq(ct_result_len(r), 5);
    int64_t tt[5], ntot = 0;
    double ee[5];
    ck_assert_ok(ct_result_equity(r, tt, ee, 5, &ntot));
    ck_assert_int_eq(ntot, 5);
    ck_assert_int_eq(tt[4], 240000);
    EQ(r->close[4], 108);
    ck_assert(r->feed_hash != 0);
    ct_result_destroy(r);
    /* empty feed: the equity is the capital */
    ct_feed *empty = NULL;
    ck_assert_ok(ct_feed_create("X", 60000, &empty));
    ck_assert_ok(ct_engine_run(e, empty, s, &r));
    ck_assert_int_eq(ct_result_len(r), 0);
    EQ(ct_result_final_equity(r), 10000);
    ct_result_destroy(r);
    ct_feed_destroy(empty);
    /* refused combination */
    ck_assert_ok(ct_strategy_set_f64(s, "oversold", 80));
    ck_assert_status(ct_engine_run(e, f, s, &r), CT_E_RANGE);
    ck_assert_ptr_nonnull(strstr(ct_engine_errmsg(e), "oversold"));
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    ct_feed_destroy(f);
}
END_TEST

/* ---- determinism and the built-ins over real data ---- */

START_TEST(builtins_run_deterministic)
{
    ct_feed *f = NULL;
    ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"), CT_GAPS_KEEP, &f));
    ct_engine *e = NULL;
    ck_assert_ok(ct_engine_create(&e));
    for (int32_t i = 0; i < ct_strategy_class_count(); i++) {
        const ct_strategy_class *c = ct_strategy_class_at(i);
        if (!ct_strategy_class_is_builtin(c))
            continue;
        ct_strategy *s = NULL;
        ct_result *r1 = NULL, *r2 = NULL;
        ck_assert_ok(ct_strategy_create(c, &s));
        ck_assert_ok(ct_engine_run(e, f, s, &r1));
        ck_assert_ok(ct_engine_run(e, f, s, &r2));
        ck_assert_int_eq(r1->n, ct_feed_len(f));
        ck_assert_msg(memcmp(r1->equity, r2->equity, (size_t)r1->n * sizeof(double)) == 0, "%s not deterministic",
                      ct_strategy_class_name(c));
        ck_assert_int_eq(r1->n_trades, r2->n_trades);
        /* every built-in trades at least once on five years of daily BTC */
        ck_assert_msg(r1->n_trades + r1->has_open > 0, "%s never traded", ct_strategy_class_name(c));
        for (int64_t t = 0; t < r1->n; t++)
            ck_assert(isfinite(r1->equity[t]) && r1->equity[t] > 0);
        ct_result_destroy(r1);
        ct_result_destroy(r2);
        ct_strategy_destroy(s);
    }
    ct_engine_destroy(e);
    ct_feed_destroy(f);
}
END_TEST

/* ---- a cache shared by engines on two threads; a new feed at an old address ---- */

typedef struct {
    const ct_feed *feed;
    ct_indicator_cache *cache;
    ct_result *r;
    ct_status st;
} thread_job;

static void *run_job(void *arg)
{
    thread_job *j = arg;
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    j->st = ct_engine_create(&e);
    if (j->st == CT_OK)
        j->st = ct_engine_set_indicator_cache(e, j->cache);
    if (j->st == CT_OK)
        j->st = ct_strategy_create_by_name("rsi", &s);
    for (int k = 0; k < 5 && j->st == CT_OK; k++) {
        ct_result_destroy(j->r);
        j->r = NULL;
        j->st = ct_engine_run(e, j->feed, s, &j->r);
    }
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    return NULL;
}

START_TEST(shared_cache_threads)
{
    ct_feed *f = NULL;
    ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"), CT_GAPS_KEEP, &f));
    ct_indicator_cache *cache = NULL;
    ck_assert_ok(ct_indicator_cache_create(&cache));
    thread_job jobs[2] = {{f, cache, NULL, CT_OK}, {f, cache, NULL, CT_OK}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    /* one private-cache run on this thread as the reference */
    thread_job solo = {f, NULL, NULL, CT_OK};
    ct_indicator_cache *own = NULL;
    ck_assert_ok(ct_indicator_cache_create(&own));
    solo.cache = own;
    run_job(&solo);
    for (int i = 0; i < 2; i++) {
        ck_assert_ok(jobs[i].st);
        ck_assert_int_eq(jobs[i].r->n_trades, 207); /* backtrader: 207 trades on this file */
        ck_assert(memcmp(jobs[i].r->equity, solo.r->equity, (size_t)solo.r->n * sizeof(double)) == 0);
        ct_result_destroy(jobs[i].r);
    }
    ck_assert_int_eq(ct_indicator_cache_size(cache), 1); /* RSI(14) computed once for both threads */
    ct_result_destroy(solo.r);
    ct_indicator_cache_destroy(cache);
    ct_indicator_cache_destroy(own);
    ct_feed_destroy(f);
}
END_TEST

START_TEST(new_feed_same_address)
{
    /* a feed destroyed and another of the same length created (likely at the same addresses):
     * the engine must not reuse the first feed's hash or cached indicators */
    double c2[5] = {50, 60, 40, 70, 30};
    double o2[5] = {50, 60, 40, 70, 30};
    double h2[5] = {51, 61, 41, 71, 31};
    double l2[5] = {49, 59, 39, 69, 29};
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r1 = NULL, *r2 = NULL, *r3 = NULL;
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_strategy_create_by_name("sma_cross", &s));
    ck_assert_ok(ct_strategy_set_json(s, "{\"fast\":1,\"slow\":2}"));
    ct_feed *f = feed5();
    ck_assert_ok(ct_engine_run(e, f, s, &r1));
    ct_feed_destroy(f);
    ck_assert_ok(ct_feed_from_arrays("TEST", 60000, k_time, o2, h2, l2, c2, k_vol, 5, CT_FEED_COPY, &f));
    ck_assert_ok(ct_engine_run(e, f, s, &r2));
    ct_engine *fresh = NULL;
    ck_assert_ok(ct_engine_create(&fresh));
    ck_assert_ok(ct_engine_run(fresh, f, s, &r3));
    ck_assert(r1->feed_hash != r2->feed_hash);
    ck_assert(r2->feed_hash == r3->feed_hash);
    ck_assert(memcmp(r2->equity, r3->equity, 5 * sizeof(double)) == 0);
    ck_assert_int_eq(r2->n_trades + r2->has_open, r3->n_trades + r3->has_open);
    ct_result_destroy(r1);
    ct_result_destroy(r2);
    ct_result_destroy(r3);
    ct_engine_destroy(fresh);
    ct_engine_destroy(e);
    ct_strategy_destroy(s);
    ct_feed_destroy(f);
}
END_TEST

/* ---- allocation failures ---- */

START_TEST(oom_walk)
{
    /* every allocation of feed, engine, strategy, run (indicator cache, equity, trades) and
     * result fails in turn: each step returns CT_E_NOMEM and nothing leaks */
    int done = 0;
    ct_strategy_unregister("test_script"); /* left by earlier tests when CK_FORK=no */
    ck_assert_int_eq(ct_alloc_live_count(), 0);
    for (int64_t k = 0; !done && k < 10000; k++) {
        ct_feed *f = NULL;
        ct_engine *e = NULL;
        ct_strategy *s = NULL;
        ct_result *r = NULL;
        ct_test_failalloc_install(k);
        ct_status st = ct_feed_from_arrays("TEST", 60000, k_time, k_open, k_high, k_low, k_close, k_vol, 5,
                                           CT_FEED_COPY, &f);
        if (st == CT_OK)
            st = ct_engine_create(&e);
        if (st == CT_OK)
            st = ct_strategy_create_by_name("sma_cross", &s);
        if (st == CT_OK)
            st = ct_strategy_set_json(s, "{\"fast\":2,\"slow\":3}");
        if (st == CT_OK)
            st = ct_engine_configure_json(e, "{\"fill\":\"close\"}");
        if (st == CT_OK)
            st = ct_engine_run(e, f, s, &r);
        ck_assert_msg(st == CT_OK || st == CT_E_NOMEM, "fail_at %lld: %s", (long long)k, ct_status_name(st));
        done = st == CT_OK;
        if (done)
            ck_assert_int_eq(ct_result_len(r), 5);
        ct_result_destroy(r);
        ct_strategy_destroy(s);
        ct_engine_destroy(e);
        ct_feed_destroy(f);
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        ct_test_failalloc_remove();
    }
    ck_assert(done);
}
END_TEST


START_TEST(oom_small_constructors)
{
    /* cache, engine clone (with a funding series), strategy clone, config and class JSON */
    int done = 0;
    int64_t ft[2] = {0, 60000};
    double fr[2] = {0.001, 0.002};
    ct_strategy_unregister("test_script"); /* left by earlier tests when CK_FORK=no */
    ck_assert_int_eq(ct_alloc_live_count(), 0);
    for (int64_t k = 0; !done && k < 1000; k++) {
        ct_indicator_cache *c = NULL;
        ct_engine *e = NULL, *e2 = NULL;
        ct_strategy *s = NULL, *s2 = NULL;
        char *j1 = NULL, *j2 = NULL;
        ct_test_failalloc_install(k);
        ct_status st = ct_indicator_cache_create(&c);
        if (st == CT_OK)
            st = ct_engine_create(&e);
        if (st == CT_OK)
            st = ct_engine_set_funding(e, ft, fr, 2);
        if (st == CT_OK)
            st = ct_engine_clone(e, &e2);
        if (st == CT_OK)
            st = ct_engine_config_json(e2, &j1);
        if (st == CT_OK)
            st = ct_strategy_create_by_name("rsi", &s);
        if (st == CT_OK)
            st = ct_strategy_clone(s, &s2);
        if (st == CT_OK)
            st = ct_strategy_classes_json(&j2);
        ck_assert_msg(st == CT_OK || st == CT_E_NOMEM, "fail_at %lld: %s", (long long)k, ct_status_name(st));
        done = st == CT_OK;
        ct_free(j1);
        ct_free(j2);
        ct_strategy_destroy(s2);
        ct_strategy_destroy(s);
        ct_engine_destroy(e2);
        ct_engine_destroy(e);
        ct_indicator_cache_destroy(c);
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        ct_test_failalloc_remove();
    }
    ck_assert(done);
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("fills");
    tcase_add_test(tc, market_next_open);
    tcase_add_test(tc, market_fill_close);
    tcase_add_test(tc, close_at_end);
    tcase_add_test(tc, close_at_end_no_orders_after);
    tcase_add_test(tc, clone_null_out);
    tcase_add_test(tc, exposure_counted_by_engine);
    tcase_add_test(tc, order_on_last_bar);
    tcase_add_test(tc, commission_and_slippage);
    tcase_add_test(tc, maker_taker);
    tcase_add_test(tc, target_fraction);
    tcase_add_test(tc, notional_order);
    tcase_add_test(tc, insufficient_cash_rejected);
    tcase_add_test(tc, limit_touched);
    tcase_add_test(tc, limit_never_touched);
    tcase_add_test(tc, limit_gap_fills_at_open);
    tcase_add_test(tc, stop_buy);
    tcase_add_test(tc, stop_limit);
    tcase_add_test(tc, stop_loss_gap);
    tcase_add_test(tc, sl_tp_same_bar);
    tcase_add_test(tc, trailing_stop);
    tcase_add_test(tc, trailing_stop_price);
    tcase_add_test(tc, cancel_order);
    tcase_add_test(tc, short_selling);
    tcase_add_test(tc, leverage);
    tcase_add_test(tc, short_attached_exits);
    tcase_add_test(tc, short_trailing_stop);
    tcase_add_test(tc, slippage_tick_and_notional_sell);
    tcase_add_test(tc, filters_round);
    tcase_add_test(tc, filters_reject);
    tcase_add_test(tc, tick_rounds_price_to_zero);
    tcase_add_test(tc, target_cut_with_filters);
    tcase_add_test(tc, funding);
    suite_add_tcase(s, tc);
    TCase *tc2 = tcase_create("api");
    tcase_add_test(tc2, lookahead_refused);
    tcase_add_test(tc2, indicator_access);
    tcase_add_test(tc2, on_start_sees_no_bar);
    tcase_add_test(tc2, empty_feed);
    tcase_add_test(tc2, failing_callback);
    tcase_add_test(tc2, stale_error_message);
    tcase_add_test(tc2, settings);
    tcase_add_test(tc2, configure_json_order_and_duplicates);
    tcase_add_test(tc2, run_args);
    tcase_add_test(tc2, builtins_run_deterministic);
    tcase_add_test(tc2, shared_cache_threads);
    tcase_add_test(tc2, new_feed_same_address);
    tcase_add_test(tc2, oom_walk);
    tcase_add_test(tc2, oom_small_constructors);
    suite_add_tcase(s, tc2);
    return s;
}

int main(void) { return ct_test_run(engine_suite()); }
