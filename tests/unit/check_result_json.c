/*
 * Result documents (DESIGN.md section 10): ct_result_json (shape, exact numbers, null for NaN,
 * downsampling that keeps the extremes) and ct_result_cache_key (stable, input-dependent).
 * The schema check and the two-process key check are in tests/report/check_result_schema.py.
 */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"
#include "test_util.h"

static void set_str(char **dst, const char *s)
{
    ct__free(*dst);
    *dst = ct__strdup(s);
}

/* n hourly bars of a wave with one trade and an open position. */
static ct_result *make(int64_t n)
{
    ct_result *r = ct__result_new();
    ck_assert_ptr_nonnull(r);
    set_str(&r->strategy, "rsi");
    set_str(&r->symbol, "ETHUSDT");
    set_str(&r->params_json, "{\"overbought\":70,\"oversold\":30,\"period\":14}");
    set_str(&r->config_json, "{\"capital\":10000,\"commission\":0.001}");
    r->interval_ms = 3600000;
    r->n = n;
    r->capital = 10000;
    r->time = ct__malloc((size_t)n * sizeof(int64_t));
    r->equity = ct__malloc((size_t)n * sizeof(double));
    r->close = ct__malloc((size_t)n * sizeof(double));
    r->position = ct__calloc((size_t)n, sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        r->time[i] = 1700000000000LL + i * 3600000;
        r->equity[i] = 10000 * (1 + 0.1 * sin((double)i * 0.01) + 1e-5 * (double)i) + 1.0 / 3.0;
        r->close[i] = 2000 + 100 * cos((double)i * 0.003);
    }
    r->trades = ct__calloc(1, sizeof(ct_trade));
    r->n_trades = 1;
    ct_trade *t = &r->trades[0];
    t->struct_size = sizeof(ct_trade);
    t->side = 1;
    t->entry_bar = 1;
    t->exit_bar = 3;
    t->bars_held = 2;
    t->entry_time_ms = r->time[1];
    t->exit_time_ms = r->time[3];
    t->qty = 0.1;
    t->entry_price = 2000.1;
    t->exit_price = 2010.7;
    t->entry_commission = 0.20001;
    t->exit_commission = 0.20107;
    t->pnl_gross = 1.06;
    t->pnl_net = 1.06 - 0.20001 - 0.20107;
    t->ret = t->pnl_net / (200.01 + 0.20001);
    t->mae = -0.001;
    t->mfe = 0.006;
    r->has_open = 1;
    r->open_qty = 0.5;
    r->open_entry_price = 2001;
    r->open_entry_time = r->time[n - 2];
    r->open_entry_bar = n - 2;
    r->feed_hash = 99;
    return r;
}

static cJSON *doc_of(const ct_result *r, int64_t max_points)
{
    char *js = NULL;
    ck_assert_ok(ct_result_json(r, max_points, &js));
    cJSON *j = cJSON_Parse(js);
    ck_assert_msg(j != NULL, "invalid JSON: %.200s", js);
    ct_free(js);
    return j;
}

START_TEST(test_shape_and_exact_numbers)
{
    ct_result *r = make(500);
    cJSON *j = doc_of(r, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "strategy")->valuestring, "rsi");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "symbol")->valuestring, "ETHUSDT");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "timeframe")->valuestring, "1h");
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "parameters"), "period")->valueint, 14);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "config"), "capital")->valueint, 10000);
    ck_assert_int_eq(strlen(cJSON_GetObjectItem(j, "cache_key")->valuestring), 64);
    /* every registry metric, with the value of the C API (17 digits round-trip exactly) */
    const cJSON *m = cJSON_GetObjectItem(j, "metrics");
    ck_assert_int_eq(cJSON_GetArraySize(m), ct_metric_count());
    for (int32_t i = 0; i < ct_metric_count(); i++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(m, ct_metric_name(i));
        ck_assert_msg(it != NULL, "metric %s missing", ct_metric_name(i));
        double v;
        ck_assert_ok(ct_result_metric(r, ct_metric_name(i), &v));
        if (isnan(v))
            ck_assert_msg(cJSON_IsNull(it), "%s: NaN must be null", ct_metric_name(i));
        else
            ck_assert_msg(it->valuedouble == v, "%s: %.17g != %.17g", ct_metric_name(i), it->valuedouble, v);
    }
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(m, "profit_factor"))); /* one winning trade: no losses */
    /* the full curve, exactly */
    const cJSON *ec = cJSON_GetObjectItem(j, "equity_curve");
    ck_assert_int_eq(cJSON_GetArraySize(ec), 500);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "equity_downsampled")));
    int64_t i = 0;
    for (const cJSON *p = ec->child; p; p = p->next, i++) {
        ck_assert(cJSON_GetArrayItem(p, 0)->valuedouble == (double)r->time[i]);
        ck_assert_msg(cJSON_GetArrayItem(p, 1)->valuedouble == r->equity[i], "equity[%lld] does not round-trip",
                      (long long)i);
    }
    const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "trades"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(t, "side")->valuestring, "long");
    ck_assert(cJSON_GetObjectItem(t, "pnl_net")->valuedouble == r->trades[0].pnl_net);
    ck_assert(cJSON_GetObjectItem(t, "return")->valuedouble == r->trades[0].ret);
    ck_assert_int_eq(cJSON_GetObjectItem(t, "bars_held")->valueint, 2);
    const cJSON *op = cJSON_GetObjectItem(j, "open_position");
    ck_assert(cJSON_IsObject(op));
    ck_assert(cJSON_GetObjectItem(op, "qty")->valuedouble == 0.5);
    ck_assert(cJSON_GetObjectItem(op, "unrealized_pnl")->valuedouble == 0.5 * (r->close[499] - 2001));
    ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(j, "drawdowns")), 1);
    ck_assert_int_le(cJSON_GetArraySize(cJSON_GetObjectItem(j, "drawdowns")), 5);
    /* 500 hours from 2023-11-14 22:13 UTC: November and December 2023 */
    const cJSON *mr = cJSON_GetObjectItem(j, "monthly_returns");
    ck_assert_int_eq(cJSON_GetArraySize(mr), 2);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(mr, 0), "month")->valueint, 11);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(mr, 1), "year")->valueint, 2023);
    cJSON_Delete(j);
    ct_result_destroy(r);
}
END_TEST

START_TEST(test_downsampling_keeps_extremes)
{
    ct_result *r = make(10000);
    r->equity[1234] = 1; /* a spike down and one up that a stride would miss */
    r->equity[7777] = 1e6;
    cJSON *j = doc_of(r, 100);
    const cJSON *ec = cJSON_GetObjectItem(j, "equity_curve");
    int n = cJSON_GetArraySize(ec);
    ck_assert_int_le(n, 100);
    ck_assert_int_ge(n, 50);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "equity_downsampled")));
    ck_assert_int_eq(cJSON_GetObjectItem(j, "equity_points")->valueint, 10000);
    int lo = 0, hi = 0;
    double prev_t = -1;
    for (const cJSON *p = ec->child; p; p = p->next) {
        double tt = cJSON_GetArrayItem(p, 0)->valuedouble, v = cJSON_GetArrayItem(p, 1)->valuedouble;
        ck_assert(tt > prev_t); /* in time order, no duplicates */
        prev_t = tt;
        lo |= v == 1;
        hi |= v == 1e6;
    }
    ck_assert(lo && hi);
    ck_assert(cJSON_GetArrayItem(cJSON_GetArrayItem(ec, 0), 0)->valuedouble == (double)r->time[0]);
    ck_assert(cJSON_GetArrayItem(cJSON_GetArrayItem(ec, n - 1), 1)->valuedouble == r->equity[9999]);
    cJSON_Delete(j);
    /* one point asked: the first and the last are kept */
    j = doc_of(r, 1);
    ec = cJSON_GetObjectItem(j, "equity_curve");
    ck_assert_int_eq(cJSON_GetArraySize(ec), 2);
    ck_assert(cJSON_GetArrayItem(cJSON_GetArrayItem(ec, 1), 0)->valuedouble == (double)r->time[9999]);
    cJSON_Delete(j);
    ct_result_destroy(r);
}
END_TEST

START_TEST(test_empty_result)
{
    ct_result *r = ct__result_new();
    cJSON *j = doc_of(r, 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "equity_curve")), 0);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "timeframe")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "open_position")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "total_return")));
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "total_trades")->valueint, 0);
    cJSON_Delete(j);
    char *js = (char *)1;
    ck_assert_status(ct_result_json(NULL, 0, &js), CT_E_INVALID_ARG);
    ck_assert_ptr_null(js);
    ck_assert_status(ct_result_json(r, -1, &js), CT_E_INVALID_ARG);
    ck_assert_status(ct_result_json(r, 0, NULL), CT_E_INVALID_ARG);
    ct_result_destroy(r);
}
END_TEST

START_TEST(test_cache_key)
{
    ck_assert(ct__sha256_selftest()); /* FIPS 180-2 "abc" */
    ct_result *a = make(100), *b = make(100);
    char ka[65], kb[65];
    ck_assert_ok(ct_result_cache_key(a, ka, sizeof(ka)));
    ck_assert_ok(ct_result_cache_key(b, kb, sizeof(kb)));
    ck_assert_str_eq(ka, kb); /* equal inputs, separately built */
    for (int i = 0; i < 64; i++)
        ck_assert(strchr("0123456789abcdef", ka[i]) != NULL);
    /* each input changes the key */
    set_str(&b->params_json, "{\"overbought\":70,\"oversold\":25,\"period\":14}");
    ck_assert_ok(ct_result_cache_key(b, kb, sizeof(kb)));
    ck_assert_str_ne(ka, kb);
    ct_result_destroy(b);
    b = make(100);
    b->feed_hash = 100;
    ck_assert_ok(ct_result_cache_key(b, kb, sizeof(kb)));
    ck_assert_str_ne(ka, kb);
    ct_result_destroy(b);
    b = make(100);
    set_str(&b->config_json, "{\"capital\":10000,\"commission\":0.002}");
    ck_assert_ok(ct_result_cache_key(b, kb, sizeof(kb)));
    ck_assert_str_ne(ka, kb);
    ct_result_destroy(b);
    b = make(100);
    set_str(&b->strategy, "sma_cross");
    ck_assert_ok(ct_result_cache_key(b, kb, sizeof(kb)));
    ck_assert_str_ne(ka, kb);
    /* the key does not depend on the run's outputs */
    ct_result_destroy(b);
    b = make(100);
    b->equity[5] = 1;
    ck_assert_ok(ct_result_cache_key(b, kb, sizeof(kb)));
    ck_assert_str_eq(ka, kb);
    char small[64];
    ck_assert_status(ct_result_cache_key(a, small, sizeof(small)), CT_E_INVALID_ARG);
    ck_assert_status(ct_result_cache_key(NULL, ka, sizeof(ka)), CT_E_INVALID_ARG);
    ct_result_destroy(a);
    ct_result_destroy(b);
}
END_TEST

/* The key of a run of `rsi` over a small wave with one engine setting and one parameter given. */
static void run_key(double commission, double oversold, char key[65], char **config, char **params)
{
    enum { N = 60 };
    int64_t t[N];
    double o[N], h[N], l[N], c[N], v[N];
    for (int i = 0; i < N; i++) {
        t[i] = 1700000000000LL + (int64_t)i * 3600000;
        c[i] = 100 + 5 * sin(i * 0.3);
        o[i] = c[i];
        h[i] = c[i] + 1;
        l[i] = c[i] - 1;
        v[i] = 1;
    }
    ct_feed *f = NULL;
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ck_assert_ok(ct_feed_from_arrays("BTCUSDT", 3600000, t, o, h, l, c, v, N, 0, &f));
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_engine_set_f64(e, CT_ENGINE_COMMISSION, commission));
    ck_assert_ok(ct_strategy_create_by_name("rsi", &s));
    ck_assert_ok(ct_strategy_set_f64(s, "oversold", oversold));
    ck_assert_ok(ct_engine_run(e, f, s, &r));
    ck_assert_ok(ct_result_cache_key(r, key, 65));
    *config = ct__strdup(ct_result_config_json(r));
    *params = ct__strdup(ct_result_params_json(r));
    ct_result_destroy(r);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    ct_feed_destroy(f);
}

/* -0.0 and 0.0 are the same setting: the canonical JSON writes both as 0 and the key is equal
 * (the config and parameters once read "commission":-0 and "oversold":-0, so the key differed). */
START_TEST(test_cache_key_signed_zero)
{
    char ka[65], kb[65];
    char *ca, *cb, *pa, *pb;
    run_key(0.0, 0.0, ka, &ca, &pa);
    run_key(-0.0, -0.0, kb, &cb, &pb);
    ck_assert_msg(strstr(cb, "\"commission\":0,") != NULL, "%s", cb);
    ck_assert_msg(strstr(pb, "\"oversold\":0,") != NULL, "%s", pb);
    ck_assert_str_eq(ca, cb);
    ck_assert_str_eq(pa, pb);
    ck_assert_str_eq(ka, kb);
    ct__free(ca);
    ct__free(cb);
    ct__free(pa);
    ct__free(pb);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("result_json");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_shape_and_exact_numbers);
    tcase_add_test(tc, test_downsampling_keeps_extremes);
    tcase_add_test(tc, test_empty_result);
    tcase_add_test(tc, test_cache_key);
    tcase_add_test(tc, test_cache_key_signed_zero);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
