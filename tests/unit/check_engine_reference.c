/*
 * Reference agreement: the built-in `rsi` class (rsi_period 14, oversold 30, overbought 70,
 * fraction 1, commission 0.001, capital 10000) against backtrader 1.9.78 runs of the same rules
 * on every public candle file (../shared/reference/backtests, README "Backtests"):
 *   bt_next_open_*.json  <->  fill = next_open (cheat-on-open sizing at open[t+1])
 *   bt_coc_*.json        <->  fill = close     (cheat-on-close: fills at close[t])
 * Same number of trades, the same entry and exit bars and times, prices, sizes and
 * commissions within 1e-9 relative, the same open position, and the final equity within 1e-9
 * relative. The JSON files are read at test time with cJSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "internal/result_internal.h"
#include "test_util.h"

static const char *const k_files[] = {
    "binance_BTCUSDT_15m_2023-04-01_2024-04-09", "binance_BTCUSDT_1d_2017-08-17_2022-10-10",
    "binance_BTCUSDT_1h_2017-08-17_2024-04-21",  "binance_BTCUSDT_1m_2025-05-20_2025-08-18",
    "binance_BTCUSDT_5m_2024-03-01_2025-07-02",  "binance_DOGEUSDT_15m_2023-04-01_2024-04-09",
    "binance_ETHUSDT_15m_2023-04-01_2024-04-09", "binance_ETHUSDT_1h_2017-08-17_2022-10-11",
    "binance_SOLUSDT_15m_2023-04-01_2024-04-09", "binance_XRPUSDT_15m_2023-04-01_2024-04-09",
};
#define N_FILES ((int)(sizeof(k_files) / sizeof(k_files[0])))

static int rel_ok(double a, double b, double tol) { return fabs(a - b) <= tol * fmax(fabs(a), fabs(b)); }

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsNumber(v), "reference field '%s' missing", k);
    return v->valuedouble;
}

static void check_file(int i, int coc)
{
    char name[256], ref[300];
    snprintf(name, sizeof(name), "%s.csv.zst", k_files[i]);
    snprintf(ref, sizeof(ref), "backtests/bt_%s_%s.json", coc ? "coc" : "next_open", k_files[i]);
    size_t len = 0;
    char *text = ct_test_read_file(ct_test_ref(ref), &len);
    ck_assert_msg(text != NULL, "cannot read %s", ref);
    cJSON *bt = cJSON_ParseWithLength(text, len);
    free(text);
    ck_assert_ptr_nonnull(bt);

    ct_feed *f = NULL;
    ck_assert_ok(ct_feed_load(ct_test_data(name), CT_GAPS_KEEP, &f));
    ck_assert_int_eq(ct_feed_len(f), (int64_t)num(bt, "n_bars"));
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_engine_configure_json(e, coc ? "{\"fill\":\"close\",\"commission\":0.001,\"capital\":10000}"
                                                 : "{\"fill\":\"next_open\",\"commission\":0.001,\"capital\":10000}"));
    ck_assert_ok(ct_strategy_create_by_name("rsi", &s));
    ck_assert_ok(ct_strategy_set_json(s, "{\"rsi_period\":14,\"oversold\":30,\"overbought\":70,\"fraction\":1}"));
    ck_assert_ok(ct_engine_run(e, f, s, &r));

    const cJSON *trades = cJSON_GetObjectItemCaseSensitive(bt, "trades");
    int nt = cJSON_GetArraySize(trades);
    ck_assert_msg(r->n_trades == nt, "%s: %lld trades, backtrader %d", ref, (long long)r->n_trades, nt);
    for (int k = 0; k < nt; k++) {
        const cJSON *t = cJSON_GetArrayItem(trades, k);
        const ct_trade *m = &r->trades[k];
        ck_assert_msg(m->entry_bar == (int64_t)num(t, "entry_bar") && m->exit_bar == (int64_t)num(t, "exit_bar"),
                      "%s trade %d: bars %lld..%lld, backtrader %.0f..%.0f", ref, k, (long long)m->entry_bar,
                      (long long)m->exit_bar, num(t, "entry_bar"), num(t, "exit_bar"));
        ck_assert(m->entry_time_ms == (int64_t)num(t, "entry_time_ms"));
        ck_assert(m->exit_time_ms == (int64_t)num(t, "exit_time_ms"));
        ck_assert_msg(rel_ok(m->entry_price, num(t, "entry_price"), 1e-9), "%s trade %d entry price", ref, k);
        ck_assert_msg(rel_ok(m->exit_price, num(t, "exit_price"), 1e-9), "%s trade %d exit price", ref, k);
        ck_assert_msg(rel_ok(m->qty, num(t, "size"), 1e-9), "%s trade %d size %.17g vs %.17g", ref, k, m->qty,
                      num(t, "size"));
        ck_assert_msg(rel_ok(m->entry_commission, num(t, "entry_commission"), 1e-9), "%s trade %d entry fee", ref, k);
        ck_assert_msg(rel_ok(m->exit_commission, num(t, "exit_commission"), 1e-9), "%s trade %d exit fee", ref, k);
        ck_assert_msg(fabs(m->pnl_net - num(t, "pnl_net")) <= 1e-9 * fmax(1.0, m->qty * m->entry_price),
                      "%s trade %d pnl_net %.17g vs %.17g", ref, k, m->pnl_net, num(t, "pnl_net"));
    }
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(bt, "open_position");
    ck_assert_int_eq(r->has_open, cJSON_IsObject(op) ? 1 : 0);
    if (cJSON_IsObject(op)) {
        ck_assert(r->open_entry_bar == (int64_t)num(op, "entry_bar"));
        ck_assert(rel_ok(r->open_qty, num(op, "size"), 1e-9));
        ck_assert(rel_ok(r->open_entry_price, num(op, "entry_price"), 1e-9));
    }
    const cJSON *pend = cJSON_GetObjectItemCaseSensitive(bt, "pending_at_end");
    ck_assert_int_eq(r->pending_at_end, cJSON_IsNull(pend) ? 0 : 1);
    double fe = ct_result_final_equity(r);
    ck_assert_msg(rel_ok(fe, num(bt, "final_equity"), 1e-9), "%s final equity %.17g, backtrader %.17g", ref, fe,
                  num(bt, "final_equity"));
    ck_assert_int_eq(r->rejected_orders, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(bt, "rejected_orders")));
    ct_result_destroy(r);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    ct_feed_destroy(f);
    cJSON_Delete(bt);
}

START_TEST(next_open_vs_backtrader) { check_file(_i, 0); }
END_TEST

START_TEST(coc_vs_backtrader) { check_file(_i, 1); }
END_TEST

static Suite *ref_suite(void)
{
    Suite *s = suite_create("engine_reference");
    TCase *tc = tcase_create("backtrader");
    tcase_add_loop_test(tc, next_open_vs_backtrader, 0, N_FILES);
    tcase_add_loop_test(tc, coc_vs_backtrader, 0, N_FILES);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(ref_suite()); }
