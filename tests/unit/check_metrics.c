/*
 * Metrics (DESIGN.md section 8): the registry, agreement with empyrical on the reference equity
 * curves, hand-computed trade statistics, drawdown and monthly tables, edge cases, the
 * multi-factor regression, and allocation failures.
 */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"
#include "test_util.h"

/* ---- helpers ---- */

/* Parse a CSV with a header: column 0 as int64 time, column `col` as a double. */
static int64_t read_series(const char *path, int col, int64_t **t, double **v)
{
    size_t len;
    char *text = ct_test_read_file(path, &len);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    int64_t cap = 1024, n = 0;
    *t = malloc((size_t)cap * sizeof(int64_t));
    *v = malloc((size_t)cap * sizeof(double));
    char *p = strchr(text, '\n');
    ck_assert_ptr_nonnull(p);
    p++;
    while (*p) {
        char *end;
        long long tt = strtoll(p, &end, 10);
        if (end == p)
            break;
        p = end;
        for (int c = 0; c < col; c++)
            p = strchr(p, ',') + 1;
        double x = strtod(p, &end);
        p = strchr(end, '\n');
        if (n == cap) {
            cap *= 2;
            *t = realloc(*t, (size_t)cap * sizeof(int64_t));
            *v = realloc(*v, (size_t)cap * sizeof(double));
        }
        (*t)[n] = tt;
        (*v)[n] = x;
        n++;
        if (!p)
            break;
        p++;
    }
    free(text);
    return n;
}

static double mget(const ct_metrics *m, const char *name)
{
    double v = -12345;
    ck_assert_ok(ct_metrics_get(m, name, &v));
    return v;
}

static double rget(const ct_result *r, const char *name)
{
    double v = -12345;
    ck_assert_ok(ct_result_metric(r, name, &v));
    return v;
}

#define ASSERT_NEAR(a, b, rel) \
    ck_assert_msg(ct_test_close((a), (b), (rel)), "%s = %.17g, want %.17g", #a, (double)(a), (double)(b))
#define ASSERT_NAN(a) ck_assert_msg(isnan(a), "%s = %.17g, want NaN", #a, (double)(a))

static void set_str(char **dst, const char *s)
{
    ct__free(*dst);
    *dst = ct__strdup(s);
}

/* A result built by hand: the fields the engine fills (src/internal/result_internal.h). */
static ct_result *mk_result(int64_t n, const int64_t *t, const double *eq, const double *close, const double *pos,
                            int64_t interval_ms)
{
    ct_result *r = ct__result_new();
    ck_assert_ptr_nonnull(r);
    set_str(&r->strategy, "rsi");
    set_str(&r->symbol, "BTCUSDT");
    set_str(&r->params_json, "{\"period\":14}");
    set_str(&r->config_json, "{\"capital\":10000,\"commission\":0.001}");
    r->interval_ms = interval_ms;
    r->n = n;
    r->capital = n > 0 ? eq[0] : 10000;
    r->time = ct__malloc_array((size_t)(n ? n : 1), sizeof(int64_t));
    r->equity = ct__malloc_array((size_t)(n ? n : 1), sizeof(double));
    r->close = ct__malloc_array((size_t)(n ? n : 1), sizeof(double));
    r->position = ct__malloc_array((size_t)(n ? n : 1), sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        r->time[i] = t[i];
        r->equity[i] = eq[i];
        r->close[i] = close ? close[i] : 100.0;
        r->position[i] = pos ? pos[i] : 0.0;
    }
    r->final_cash = n > 0 ? eq[n - 1] : 10000;
    r->feed_hash = 0x0123456789abcdefULL;
    return r;
}

static void free_result(ct_result *r) { ct_result_destroy(r); }

static void set_trades(ct_result *r, const double *pnl, const double *ret, const int64_t *bars, const double *mae,
                       const double *mfe, int64_t nt)
{
    r->trades = ct__calloc((size_t)(nt ? nt : 1), sizeof(ct_trade));
    r->n_trades = nt;
    for (int64_t i = 0; i < nt; i++) {
        ct_trade *t = &r->trades[i];
        t->struct_size = sizeof(ct_trade);
        t->side = 1;
        t->entry_bar = i;
        t->exit_bar = i + bars[i];
        t->bars_held = bars[i];
        t->qty = 1;
        t->entry_price = 100;
        t->exit_price = 100 * (1 + ret[i]);
        t->pnl_gross = pnl[i];
        t->pnl_net = pnl[i];
        t->ret = ret[i];
        t->mae = mae[i];
        t->mfe = mfe[i];
        t->entry_time_ms = (int64_t)i * 3600000;
        t->exit_time_ms = (int64_t)(i + bars[i]) * 3600000;
    }
}

/* ---- registry ---- */

START_TEST(test_registry)
{
    int32_t n = ct_metric_count();
    ck_assert_int_ge(n, 40);
    static const char *const required[] = {
        "total_return", "cagr", "annual_volatility", "sharpe_ratio", "sortino_ratio", "downside_risk", "max_drawdown",
        "calmar_ratio", "omega_ratio", "tail_ratio", "stability", "var_95", "cvar_95", "skew", "kurtosis", "beta",
        "alpha", "information_ratio", "tracking_error", "probabilistic_sharpe_ratio", "max_drawdown_duration",
        "max_drawdown_duration_ms", "avg_drawdown", "ulcer_index", "recovery_factor", "exposure", "buy_hold_return",
        "total_trades", "win_rate", "profit_factor", "avg_win", "avg_loss", "payoff_ratio", "expectancy",
        "best_trade", "worst_trade", "avg_trade_return", "max_consecutive_wins", "max_consecutive_losses",
        "avg_bars_held", "sqn", "kelly_criterion", "total_commission", "turnover"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        ck_assert_msg(ct_metric_find(required[i]) >= 0, "missing metric %s", required[i]);
    for (int32_t i = 0; i < n; i++) {
        const char *name = ct_metric_name(i);
        ck_assert_ptr_nonnull(name);
        ck_assert_int_eq(ct_metric_find(name), i);
        ck_assert_ptr_nonnull(ct_metric_description(i));
        ck_assert_int_gt((int)strlen(ct_metric_description(i)), 5);
        const char *u = ct_metric_unit(i);
        ck_assert_msg(strcmp(u, "fraction") == 0 || strcmp(u, "ratio") == 0 || strcmp(u, "probability") == 0 ||
                          strcmp(u, "bars") == 0 || strcmp(u, "ms") == 0 || strcmp(u, "count") == 0 ||
                          strcmp(u, "quote") == 0 || strcmp(u, "x") == 0,
                      "unit %s", u);
        int32_t h = ct_metric_higher_is_better(i);
        ck_assert(h == 0 || h == 1);
    }
    ck_assert_int_eq(ct_metric_higher_is_better(ct_metric_find("max_drawdown_duration")), 0);
    ck_assert_int_eq(ct_metric_higher_is_better(ct_metric_find("sharpe_ratio")), 1);
    ck_assert_ptr_null(ct_metric_name(-1));
    ck_assert_ptr_null(ct_metric_name(n));
    ck_assert_ptr_null(ct_metric_unit(n));
    ck_assert_ptr_null(ct_metric_description(n));
    ck_assert_int_eq(ct_metric_higher_is_better(n), -1);
    ck_assert_int_eq(ct_metric_find("no_such_metric"), -1);
    ck_assert_int_eq(ct_metric_find(NULL), -1);
}
END_TEST

/* ---- agreement with empyrical ---- */

static const char *const k_ref_curves[] = {
    "binance_BTCUSDT_1d_2017-08-17_2022-10-10",
    "binance_ETHUSDT_1h_2017-08-17_2022-10-11",
    "binance_BTCUSDT_15m_2023-04-01_2024-04-09",
};

/* our name -> key in reference/metrics/m_<candles>.json (empyrical, README "Metrics") */
static const char *const k_map[][2] = {
    {"total_return", "total_return"},
    {"cagr", "annual_return"},
    {"annual_volatility", "annual_volatility"},
    {"sharpe_ratio", "sharpe_ratio"},
    {"sortino_ratio", "sortino_ratio"},
    {"downside_risk", "downside_risk"},
    {"max_drawdown", "max_drawdown"},
    {"calmar_ratio", "calmar_ratio"},
    {"omega_ratio", "omega_ratio"},
    {"tail_ratio", "tail_ratio"},
    {"stability", "stability_of_timeseries"},
    {"var_95", "value_at_risk"},
    {"cvar_95", "conditional_value_at_risk"},
    {"skew", "skew"},
    {"kurtosis", "kurtosis"},
    {"alpha", "alpha"},
    {"beta", "beta"},
    {"information_ratio", "information_ratio_annualized"},
    {"buy_hold_return", "benchmark_total_return"},
};

static cJSON *load_ref(const char *stem)
{
    char name[256];
    snprintf(name, sizeof(name), "metrics/m_%s.json", stem);
    size_t len;
    char *text = ct_test_read_file(ct_test_ref(name), &len);
    ck_assert_msg(text != NULL, "missing reference %s", name);
    cJSON *j = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(j);
    return j;
}

static void compare_ref(const cJSON *ref, const double *vals, const char *stem)
{
    const cJSON *rm = cJSON_GetObjectItemCaseSensitive(ref, "metrics");
    for (size_t i = 0; i < sizeof(k_map) / sizeof(k_map[0]); i++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(rm, k_map[i][1]);
        ck_assert_msg(it != NULL, "%s: no %s in reference", stem, k_map[i][1]);
        double got = vals[ct_metric_find(k_map[i][0])];
        if (cJSON_IsNull(it)) {
            ck_assert_msg(isnan(got), "%s: %s = %.17g, empyrical null", stem, k_map[i][0], got);
            continue;
        }
        double want = it->valuedouble;
        ck_assert_msg(ct_test_close(got, want, 1e-9), "%s: %s = %.17g, empyrical %.17g (rel %.3g)", stem, k_map[i][0],
                      got, want, fabs(got - want) / fabs(want));
    }
}

START_TEST(test_empyrical_from_equity)
{
    const char *stem = k_ref_curves[_i];
    char name[256];
    int64_t *t, *bt;
    double *e, *bc;
    snprintf(name, sizeof(name), "metrics/eq_next_open_%s.csv.zst", stem);
    int64_t n = read_series(ct_test_ref(name), 1, &t, &e);
    snprintf(name, sizeof(name), "%s.csv.zst", stem);
    int64_t nb = read_series(ct_test_data(name), 4, &bt, &bc); /* open_time,open,high,low,close,volume */
    cJSON *ref = load_ref(stem);
    ck_assert_int_eq(n, (int64_t)cJSON_GetObjectItem(ref, "n_points")->valuedouble);
    double ppy = cJSON_GetObjectItem(ref, "periods_per_year")->valuedouble;

    ct_metrics *m = NULL;
    ck_assert_ok(ct_metrics_from_equity(t, e, n, bt, bc, nb, ppy, 0.0, 0, &m));
    double vals[128];
    int64_t total = 0;
    ck_assert_ok(ct_metrics_all(m, vals, 128, &total));
    ck_assert_int_eq(total, ct_metric_count());
    compare_ref(ref, vals, stem);
    /* trade statistics are undefined for a bare curve */
    ASSERT_NAN(mget(m, "win_rate"));
    ASSERT_NAN(mget(m, "total_trades"));
    ASSERT_NAN(mget(m, "exposure"));
    ct_metrics_destroy(m);

    /* periods_per_year 0 = 365 days / median step: the same A for these regular curves */
    ck_assert_ok(ct_metrics_from_equity(t, e, n, bt, bc, nb, 0, 0.0, 0, &m));
    ASSERT_NEAR(mget(m, "sharpe_ratio"), vals[ct_metric_find("sharpe_ratio")], 1e-12);
    ct_metrics_destroy(m);

    /* the same curve as a result whose feed close is the benchmark: identical metrics */
    ck_assert_int_eq(n, nb);
    ct_result *r = mk_result(n, t, e, bc, NULL, 365LL * 86400000 / (int64_t)ppy);
    double rv[128];
    ck_assert_ok(ct_result_metrics_all(r, rv, 128, &total));
    compare_ref(ref, rv, stem);
    double fast[128];
    ck_assert_ok(ct__metrics_compute(r, fast));
    for (int32_t i = 0; i < ct_metric_count(); i++)
        ck_assert_msg(ct_test_close(fast[i], rv[i], 0), "fast path %s differs", ct_metric_name(i));

    /* the optimizer's select path: the same values for what it computes, NaN for skipped groups */
    const int32_t which[2] = {ct_metric_find("sharpe_ratio"), ct_metric_find("max_drawdown")};
    double sel[128];
    ck_assert_ok(ct__metrics_compute_select(r, which, 2, sel));
    for (int32_t i = 0; i < ct_metric_count(); i++) {
        const char *nm = ct_metric_name(i);
        int skipped = strcmp(nm, "stability") == 0 || strcmp(nm, "var_95") == 0 || strcmp(nm, "cvar_95") == 0 ||
                      strcmp(nm, "tail_ratio") == 0 || strcmp(nm, "beta") == 0 || strcmp(nm, "alpha") == 0 ||
                      strcmp(nm, "information_ratio") == 0 || strcmp(nm, "tracking_error") == 0 ||
                      strcmp(nm, "buy_hold_return") == 0;
        if (skipped)
            ck_assert_msg(isnan(sel[i]), "select path computed skipped %s", nm);
        else
            ck_assert_msg(ct_test_close(sel[i], rv[i], 0), "select path %s = %.17g, full %.17g", nm, sel[i], rv[i]);
    }
    const int32_t which2[3] = {ct_metric_find("stability"), ct_metric_find("cvar_95"), ct_metric_find("beta")};
    ck_assert_ok(ct__metrics_compute_select(r, which2, 3, sel));
    for (int32_t i = 0; i < ct_metric_count(); i++)
        ck_assert_msg(ct_test_close(sel[i], rv[i], 0), "select path %s differs", ct_metric_name(i));
    const int32_t bad[1] = {999};
    ck_assert_status(ct__metrics_compute_select(r, bad, 1, sel), CT_E_INVALID_ARG);

    /* the multi-factor regression with one factor gives the same beta and alpha */
    const double *fv[1] = {bc};
    double alpha, beta, r2;
    int64_t used;
    ck_assert_ok(ct_metrics_factor_regression(t, e, n, bt, fv, 1, nb, ppy, &alpha, &beta, &r2, &used));
    ck_assert_int_eq(used, (int64_t)cJSON_GetObjectItem(ref, "n_aligned_returns")->valuedouble);
    ASSERT_NEAR(beta, cJSON_GetObjectItem(cJSON_GetObjectItem(ref, "metrics"), "beta")->valuedouble, 1e-9);
    ASSERT_NEAR(alpha, cJSON_GetObjectItem(cJSON_GetObjectItem(ref, "metrics"), "alpha")->valuedouble, 1e-9);
    ck_assert(r2 > 0 && r2 < 1);

    free_result(r);
    cJSON_Delete(ref);
    free(t);
    free(e);
    free(bt);
    free(bc);
}
END_TEST

/* The same agreement through `cryptota metrics EQUITY.csv --benchmark CANDLES --json`. */
START_TEST(test_empyrical_cli)
{
    const char *cli = getenv("CT_CLI");
    ck_assert_msg(cli && access(cli, X_OK) == 0, "CT_CLI (%s) is not an executable cryptota", cli ? cli : "unset");
    const char *stem = k_ref_curves[_i];
    char name[256], eq_path[512], cmd[2048];
    snprintf(name, sizeof(name), "metrics/eq_next_open_%s.csv.zst", stem);
    size_t len;
    char *text = ct_test_read_file(ct_test_ref(name), &len);
    ck_assert_ptr_nonnull(text);
    snprintf(eq_path, sizeof(eq_path), "%s/eq_%s_%d.csv", ct_test_tmpdir(), stem, (int)getpid());
    FILE *f = fopen(eq_path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    free(text);
    snprintf(name, sizeof(name), "%s.csv.zst", stem);
    snprintf(cmd, sizeof(cmd), "'%s' metrics '%s' --benchmark '%s' --json", cli, eq_path, ct_test_data(name));
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, n = 0, k;
    char *out = malloc(cap);
    while ((k = fread(out + n, 1, cap - n - 1, p)) > 0)
        n += k;
    out[n] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    remove(eq_path);
    cJSON *j = cJSON_Parse(out);
    ck_assert_msg(j != NULL, "cryptota metrics printed no JSON: %.300s", out);
    const cJSON *m = cJSON_GetObjectItem(j, "metrics");
    ck_assert_int_eq(cJSON_GetArraySize(m), ct_metric_count());
    double vals[128];
    for (int32_t i = 0; i < ct_metric_count(); i++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(m, ct_metric_name(i));
        ck_assert_ptr_nonnull(it);
        vals[i] = cJSON_IsNull(it) ? CT__NaN : it->valuedouble;
    }
    cJSON *ref = load_ref(stem);
    compare_ref(ref, vals, stem);
    cJSON_Delete(ref);
    cJSON_Delete(j);
    free(out);
}
END_TEST

/* ---- trade statistics, by hand ---- */

START_TEST(test_trade_stats)
{
    /* seven trades: W L W W L flat L */
    const double pnl[7] = {100, -50, 30, 20, -40, 0, -10};
    const double ret[7] = {0.10, -0.05, 0.03, 0.02, -0.04, 0.0, -0.01};
    const int64_t bars[7] = {5, 3, 2, 4, 6, 1, 2};
    const double mae[7] = {-0.02, -0.08, -0.01, 0.0, -0.06, -0.01, -0.02};
    const double mfe[7] = {0.15, 0.01, 0.04, 0.05, 0.02, 0.01, 0.0};
    int64_t t[10];
    double e[10], pos[10] = {0, 1, 1, 0, 0, 2, 2, 0, 0, 1};
    for (int i = 0; i < 10; i++) {
        t[i] = (int64_t)i * 3600000;
        e[i] = 10000 + 10 * i;
    }
    ct_result *r = mk_result(10, t, e, NULL, pos, 3600000);
    set_trades(r, pnl, ret, bars, mae, mfe, 7);
    r->total_commission = 12.5;
    r->turnover = 25000;
    ASSERT_NEAR(rget(r, "total_trades"), 7, 0);
    ASSERT_NEAR(rget(r, "win_rate"), 3.0 / 7.0, 1e-12);                 /* 3 winners of 7 */
    ASSERT_NEAR(rget(r, "profit_factor"), 150.0 / 100.0, 1e-12);        /* (100+30+20)/(50+40+10) */
    ASSERT_NEAR(rget(r, "avg_win"), 0.05, 1e-12);                       /* (0.10+0.03+0.02)/3 */
    ASSERT_NEAR(rget(r, "avg_loss"), -0.1 / 3.0, 1e-12);                /* (-0.05-0.04-0.01)/3 */
    ASSERT_NEAR(rget(r, "payoff_ratio"), 1.5, 1e-12);                   /* 0.05 / (0.1/3) */
    ASSERT_NEAR(rget(r, "expectancy"), 50.0 / 7.0, 1e-12);              /* sum pnl 50 over 7 */
    ASSERT_NEAR(rget(r, "best_trade"), 0.10, 1e-12);
    ASSERT_NEAR(rget(r, "worst_trade"), -0.05, 1e-12);
    ASSERT_NEAR(rget(r, "avg_trade_return"), 0.05 / 7.0, 1e-12);
    ASSERT_NEAR(rget(r, "max_consecutive_wins"), 2, 0);                 /* trades 3 and 4 */
    ASSERT_NEAR(rget(r, "max_consecutive_losses"), 1, 0);               /* the flat trade breaks L..L */
    ASSERT_NEAR(rget(r, "avg_bars_held"), 23.0 / 7.0, 1e-12);
    /* SQN (backtrader): sqrt(7) * mean / population sd; sum p^2 = 15500 */
    ASSERT_NEAR(rget(r, "sqn"), sqrt(7.0) * (50.0 / 7.0) / sqrt(15500.0 / 7.0 - (50.0 / 7.0) * (50.0 / 7.0)), 1e-12);
    ASSERT_NEAR(rget(r, "kelly_criterion"), 3.0 / 7.0 - (4.0 / 7.0) / 1.5, 1e-12); /* = 1/21 */
    ASSERT_NEAR(rget(r, "avg_mae"), -0.20 / 7.0, 1e-12);
    ASSERT_NEAR(rget(r, "avg_mfe"), 0.28 / 7.0, 1e-12);
    ASSERT_NEAR(rget(r, "exposure"), 0.5, 0);                           /* 5 of 10 bars hold a position */
    ASSERT_NEAR(rget(r, "total_commission"), 12.5, 0);
    ASSERT_NEAR(rget(r, "turnover"), 2.5, 1e-12);                       /* 25000 / 10000 */
    ASSERT_NEAR(rget(r, "final_equity"), 10090, 0);
    double v;
    ck_assert_status(ct_result_metric(r, "nope", &v), CT_E_NOT_FOUND);
    ck_assert(strstr(ct_last_error(), "nope") != NULL);
    ck_assert_status(ct_result_metric(r, NULL, &v), CT_E_INVALID_ARG);
    ck_assert_status(ct_result_metric(NULL, "sqn", &v), CT_E_INVALID_ARG);
    free_result(r);
}
END_TEST

START_TEST(test_trade_edges)
{
    int64_t t[3] = {0, 3600000, 7200000};
    double e[3] = {100, 100, 100};
    /* no trades */
    ct_result *r = mk_result(3, t, e, NULL, NULL, 3600000);
    ASSERT_NEAR(rget(r, "total_trades"), 0, 0);
    ASSERT_NAN(rget(r, "win_rate"));
    ASSERT_NAN(rget(r, "profit_factor"));
    ASSERT_NAN(rget(r, "sqn"));
    ASSERT_NAN(rget(r, "expectancy"));
    ASSERT_NEAR(rget(r, "exposure"), 0, 0);
    free_result(r);

    /* one winning trade: all wins -> profit factor, payoff and Kelly undefined; SQN needs 2 */
    const double p1[1] = {25}, r1[1] = {0.25}, z1[1] = {0};
    const int64_t b1[1] = {2};
    r = mk_result(3, t, e, NULL, NULL, 3600000);
    set_trades(r, p1, r1, b1, z1, z1, 1);
    ASSERT_NEAR(rget(r, "win_rate"), 1, 0);
    ASSERT_NAN(rget(r, "profit_factor"));
    ASSERT_NAN(rget(r, "avg_loss"));
    ASSERT_NAN(rget(r, "payoff_ratio"));
    ASSERT_NAN(rget(r, "kelly_criterion"));
    ASSERT_NAN(rget(r, "sqn"));
    ASSERT_NEAR(rget(r, "max_consecutive_wins"), 1, 0);
    ASSERT_NEAR(rget(r, "max_consecutive_losses"), 0, 0);
    free_result(r);

    /* all losses: profit factor 0, win rate 0 */
    const double p2[2] = {-5, -15}, r2[2] = {-0.05, -0.15}, z2[2] = {0, 0};
    const int64_t b2[2] = {1, 1};
    r = mk_result(3, t, e, NULL, NULL, 3600000);
    set_trades(r, p2, r2, b2, z2, z2, 2);
    ASSERT_NEAR(rget(r, "profit_factor"), 0, 0);
    ASSERT_NEAR(rget(r, "win_rate"), 0, 0);
    ASSERT_NEAR(rget(r, "max_consecutive_losses"), 2, 0);
    ASSERT_NAN(rget(r, "avg_win"));
    ASSERT_NEAR(rget(r, "sqn"), sqrt(2.0) * -10.0 / 5.0, 1e-12); /* mean -10, population sd 5 */
    free_result(r);
}
END_TEST

/* ---- curve edge cases ---- */

START_TEST(test_flat_and_single)
{
    int64_t t[4] = {0, 86400000, 2 * 86400000, 3 * 86400000};
    double flat[4] = {100, 100, 100, 100};
    ct_result *r = mk_result(4, t, flat, NULL, NULL, 86400000);
    ASSERT_NEAR(rget(r, "total_return"), 0, 0);
    ASSERT_NEAR(rget(r, "annual_volatility"), 0, 0);
    ASSERT_NAN(rget(r, "sharpe_ratio"));     /* zero variance */
    ASSERT_NAN(rget(r, "sortino_ratio"));    /* no downside */
    ASSERT_NEAR(rget(r, "max_drawdown"), 0, 0);
    ASSERT_NAN(rget(r, "calmar_ratio"));     /* no drawdown */
    ASSERT_NAN(rget(r, "omega_ratio"));      /* no losses */
    ASSERT_NAN(rget(r, "tail_ratio"));       /* p5 = 0 */
    ASSERT_NAN(rget(r, "stability"));        /* constant log curve */
    ASSERT_NAN(rget(r, "skew"));
    ASSERT_NAN(rget(r, "beta"));             /* the close is flat too: var(b) = 0 */
    ASSERT_NAN(rget(r, "probabilistic_sharpe_ratio"));
    ASSERT_NAN(rget(r, "avg_drawdown"));     /* no drawdown period */
    ASSERT_NEAR(rget(r, "ulcer_index"), 0, 0);
    ASSERT_NEAR(rget(r, "var_95"), 0, 0);
    free_result(r);

    double one[1] = {100};
    r = mk_result(1, t, one, NULL, NULL, 86400000);
    ASSERT_NEAR(rget(r, "total_return"), 0, 0);
    ASSERT_NAN(rget(r, "cagr"));
    ASSERT_NAN(rget(r, "annual_volatility"));
    ASSERT_NAN(rget(r, "var_95"));
    ASSERT_NEAR(rget(r, "max_drawdown"), 0, 0);
    ASSERT_NEAR(rget(r, "final_equity"), 100, 0);
    free_result(r);

    /* a leveraged run through zero: returns and drawdowns still defined, the log curve is not */
    double neg[4] = {100, 50, -10, 20};
    r = mk_result(4, t, neg, NULL, NULL, 86400000);
    ASSERT_NEAR(rget(r, "total_return"), -0.8, 1e-12);
    ASSERT_NEAR(rget(r, "max_drawdown"), -1.1, 1e-12); /* (-10 - 100)/100 */
    ASSERT_NAN(rget(r, "stability"));
    free_result(r);

    r = mk_result(0, t, one, NULL, NULL, 86400000);
    ASSERT_NAN(rget(r, "total_return"));
    ASSERT_NAN(rget(r, "max_drawdown"));
    ASSERT_NEAR(rget(r, "total_trades"), 0, 0);
    free_result(r);
}
END_TEST

START_TEST(test_drawdowns_by_hand)
{
    /* E = 100 110 99 104 121 110 115, daily bars.
     * period 1: peak 110 (bar 1), trough 99 (bar 2, -10%), recovered at bar 4 (121): 3 bars.
     * period 2: peak 121 (bar 4), trough 110 (bar 5, -11/121), open at the end: 2 bars. */
    int64_t t[7];
    double e[7] = {100, 110, 99, 104, 121, 110, 115};
    for (int i = 0; i < 7; i++)
        t[i] = (int64_t)i * 86400000;
    ct_result *r = mk_result(7, t, e, NULL, NULL, 86400000);
    ASSERT_NEAR(rget(r, "max_drawdown"), -0.1, 1e-12);
    ASSERT_NEAR(rget(r, "max_drawdown_duration"), 3, 0);
    ASSERT_NEAR(rget(r, "max_drawdown_duration_ms"), 3.0 * 86400000, 0);
    ASSERT_NEAR(rget(r, "avg_drawdown"), (-0.1 - 11.0 / 121.0) / 2, 1e-12);
    double u = sqrt((0.01 + (6.0 / 110) * (6.0 / 110) + (11.0 / 121) * (11.0 / 121) + (6.0 / 121) * (6.0 / 121)) / 7);
    ASSERT_NEAR(rget(r, "ulcer_index"), u, 1e-12);
    ASSERT_NEAR(rget(r, "recovery_factor"), 0.15 / 0.1, 1e-12);
    ASSERT_NEAR(rget(r, "calmar_ratio"), (pow(1.15, 365.0 / 6) - 1) / 0.1, 1e-9);

    int64_t s[8], tr[8], rc[8], dur[8], nd;
    double depth[8];
    ck_assert_ok(ct_result_drawdowns(r, s, tr, rc, depth, dur, 8, &nd));
    ck_assert_int_eq(nd, 2);
    ck_assert_int_eq(s[0], t[1]);
    ck_assert_int_eq(tr[0], t[2]);
    ck_assert_int_eq(rc[0], t[4]);
    ASSERT_NEAR(depth[0], -0.1, 1e-12);
    ck_assert_int_eq(dur[0], 3);
    ck_assert_int_eq(s[1], t[4]);
    ck_assert_int_eq(tr[1], t[5]);
    ck_assert_int_eq(rc[1], -1);
    ASSERT_NEAR(depth[1], -11.0 / 121.0, 1e-12);
    ck_assert_int_eq(dur[1], 2);
    ck_assert_ok(ct_result_drawdowns(r, NULL, NULL, NULL, NULL, NULL, 0, &nd));
    ck_assert_int_eq(nd, 2);
    ck_assert_status(ct_result_drawdowns(r, NULL, NULL, NULL, NULL, NULL, -1, &nd), CT_E_INVALID_ARG);
    free_result(r);
}
END_TEST

START_TEST(test_monthly_returns)
{
    /* 2024-01-30, 01-31, 02-01, 02-29, 03-01 (epoch days 19752, 19753, 19754, 19782, 19783) */
    int64_t d[5] = {19752, 19753, 19754, 19782, 19783};
    int64_t t[5];
    double e[5] = {100, 110, 120, 90, 99};
    for (int i = 0; i < 5; i++)
        t[i] = d[i] * 86400000;
    ct_result *r = mk_result(5, t, e, NULL, NULL, 86400000);
    int32_t y[4], m[4];
    double ret[4];
    int64_t n;
    ck_assert_ok(ct_result_monthly_returns(r, y, m, ret, 4, &n));
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(y[0], 2024);
    ck_assert_int_eq(m[0], 1);
    ck_assert_int_eq(m[1], 2);
    ck_assert_int_eq(m[2], 3);
    ASSERT_NEAR(ret[0], 0.1, 1e-12);            /* 110/100 - 1 */
    ASSERT_NEAR(ret[1], 90.0 / 110.0 - 1, 1e-12);
    ASSERT_NEAR(ret[2], 0.1, 1e-12);            /* 99/90 - 1 */
    free_result(r);
}
END_TEST

START_TEST(test_daily_resampling)
{
    /* 3 days of 6-hour bars; the day-end equities are 102, 99, 105 */
    int64_t t[12];
    double e[12] = {100, 101, 103, 102, 100, 98, 97, 99, 101, 103, 104, 105};
    for (int i = 0; i < 12; i++)
        t[i] = (int64_t)i * 6 * 3600000;
    ct_result *r = mk_result(12, t, e, NULL, NULL, 6 * 3600000);
    r->metrics_daily = 1;
    ASSERT_NEAR(rget(r, "total_return"), 105.0 / 102.0 - 1, 1e-12);
    ASSERT_NEAR(rget(r, "max_drawdown"), 99.0 / 102.0 - 1, 1e-12);
    /* two daily returns: 99/102-1 and 105/99-1, A = 365 */
    double r1 = 99.0 / 102.0 - 1, r2 = 105.0 / 99.0 - 1, mu = (r1 + r2) / 2;
    double sd = sqrt((r1 - mu) * (r1 - mu) + (r2 - mu) * (r2 - mu));
    ASSERT_NEAR(rget(r, "sharpe_ratio"), mu / sd * sqrt(365.0), 1e-9);
    free_result(r);

    ct_metrics *m;
    ck_assert_ok(ct_metrics_from_equity(t, e, 12, NULL, NULL, 0, 0, 0, CT_METRICS_DAILY, &m));
    ASSERT_NEAR(mget(m, "sharpe_ratio"), mu / sd * sqrt(365.0), 1e-9);
    ct_metrics_destroy(m);
}
END_TEST

START_TEST(test_host_benchmark)
{
    /* a host benchmark on a sparser time axis: only returns ending at common times count */
    int64_t t[6];
    double e[6] = {100, 102, 101, 104, 103, 107};
    for (int i = 0; i < 6; i++)
        t[i] = (int64_t)i * 60000;
    int64_t bt[4] = {0, 2 * 60000, 3 * 60000, 5 * 60000};
    double bv[4] = {50, 51, 50, 52};
    ct_result *r = mk_result(6, t, e, NULL, NULL, 60000);
    ck_assert_ok(ct_result_set_benchmark(r, bt, bv, 4));
    /* aligned pairs (ending at t2, t3, t5): r = 101/102-1, 104/101-1, 107/103-1; b = 51/50-1, 50/51-1, 52/50-1 */
    double rr[3] = {101.0 / 102 - 1, 104.0 / 101 - 1, 107.0 / 103 - 1};
    double bb[3] = {51.0 / 50 - 1, 50.0 / 51 - 1, 52.0 / 50 - 1};
    double mr = (rr[0] + rr[1] + rr[2]) / 3, mb = (bb[0] + bb[1] + bb[2]) / 3, cov = 0, vb = 0;
    for (int i = 0; i < 3; i++) {
        cov += (bb[i] - mb) * (rr[i] - mr);
        vb += (bb[i] - mb) * (bb[i] - mb);
    }
    double beta = cov / vb;
    ASSERT_NEAR(rget(r, "beta"), beta, 1e-9);
    ASSERT_NEAR(rget(r, "alpha"), pow(1 + mr - beta * mb, 525600.0) - 1, 1e-6);
    ASSERT_NEAR(rget(r, "buy_hold_return"), 52.0 / 50.0 - 1, 1e-12);
    int64_t bad_t[2] = {5, 5};
    ck_assert_status(ct_result_set_benchmark(r, bad_t, bv, 2), CT_E_DATA);
    ck_assert(strstr(ct_last_error(), "row 1") != NULL);
    ck_assert_ok(ct_result_set_benchmark(r, NULL, NULL, 0)); /* back to the close (flat 100): beta undefined */
    ASSERT_NAN(rget(r, "beta"));
    free_result(r);
}
END_TEST

START_TEST(test_factor_regression)
{
    /* r = 0.001 + 0.5 f1 - 0.25 f2 exactly: dgels recovers the coefficients, R^2 = 1 */
    enum { N = 200 };
    int64_t t[N];
    double e[N], f1[N], f2[N];
    t[0] = 0;
    e[0] = 100;
    f1[0] = 10;
    f2[0] = 20;
    unsigned s = 7;
    for (int i = 1; i < N; i++) {
        s = s * 1103515245u + 12345u;
        double a = ((double)(s >> 16 & 0x7fff) / 32768.0 - 0.5) * 0.02;
        s = s * 1103515245u + 12345u;
        double b = ((double)(s >> 16 & 0x7fff) / 32768.0 - 0.5) * 0.02;
        t[i] = (int64_t)i * 86400000;
        f1[i] = f1[i - 1] * (1 + a);
        f2[i] = f2[i - 1] * (1 + b);
        e[i] = e[i - 1] * (1 + 0.001 + 0.5 * a - 0.25 * b);
    }
    const double *fv[2] = {f1, f2};
    double alpha, betas[2], r2;
    int64_t used;
    ck_assert_ok(ct_metrics_factor_regression(t, e, N, t, fv, 2, N, 365, &alpha, betas, &r2, &used));
    ck_assert_int_eq(used, N - 1);
    ASSERT_NEAR(betas[0], 0.5, 1e-9);
    ASSERT_NEAR(betas[1], -0.25, 1e-9);
    ASSERT_NEAR(alpha, pow(1.001, 365) - 1, 1e-9);
    ASSERT_NEAR(r2, 1.0, 1e-9);
    const double *coll[2] = {f1, f1};
    ck_assert_status(ct_metrics_factor_regression(t, e, N, t, coll, 2, N, 365, &alpha, betas, &r2, &used), CT_E_DATA);
    ck_assert_status(ct_metrics_factor_regression(t, e, N, t, fv, 0, N, 365, &alpha, betas, &r2, &used),
                     CT_E_INVALID_ARG);
    ck_assert_status(ct_metrics_factor_regression(t, e, 3, t, fv, 2, 3, 365, &alpha, betas, &r2, &used), CT_E_DATA);
    /* bad rows are named by series and row (the equity's message once said "equity 0 row i") */
    e[5] = -1;
    ck_assert_status(ct_metrics_factor_regression(t, e, N, t, fv, 2, N, 365, &alpha, betas, &r2, &used), CT_E_DATA);
    ck_assert_str_eq(ct_last_error(), "ct_metrics_factor_regression: equity row 5: value -1 is not finite and > 0");
    e[5] = e[4];
    f2[7] = NAN;
    ck_assert_status(ct_metrics_factor_regression(t, e, N, t, fv, 2, N, 365, &alpha, betas, &r2, &used), CT_E_DATA);
    ck_assert_str_eq(ct_last_error(), "ct_metrics_factor_regression: factor 1 row 7: value nan is not finite and > 0");
    f2[7] = f2[6];
    int64_t t2[N];
    memcpy(t2, t, sizeof(t2));
    t2[9] = t2[8];
    ck_assert_status(ct_metrics_factor_regression(t, e, N, t2, fv, 2, N, 365, &alpha, betas, &r2, &used), CT_E_DATA);
    ck_assert_str_eq(ct_last_error(),
                     "ct_metrics_factor_regression: factor_time row 9: time 691200000 is not after the previous row's 691200000");
}
END_TEST

START_TEST(test_from_equity_errors)
{
    int64_t t[3] = {0, 1000, 2000};
    double e[3] = {1, 2, 3};
    ct_metrics *m = (ct_metrics *)1;
    ck_assert_status(ct_metrics_from_equity(NULL, e, 3, NULL, NULL, 0, 0, 0, 0, &m), CT_E_INVALID_ARG);
    ck_assert_ptr_null(m);
    ck_assert_status(ct_metrics_from_equity(t, e, 3, NULL, NULL, 0, -1, 0, 0, &m), CT_E_INVALID_ARG);
    /* an infinite A is refused as not finite (the message once said "inf is not >= 0") */
    ck_assert_status(ct_metrics_from_equity(t, e, 3, NULL, NULL, 0, CT__INF, 0, 0, &m), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_metrics_from_equity: periods_per_year inf is not finite and >= 0");
    ck_assert_status(ct_metrics_from_equity(t, e, 3, NULL, NULL, 0, 0, 0, 0x10, &m), CT_E_INVALID_ARG);
    ck_assert_status(ct_metrics_from_equity(t, e, 3, NULL, NULL, 2, 0, 0, 0, &m), CT_E_INVALID_ARG);
    double bad[3] = {1, -2, 3};
    ck_assert_status(ct_metrics_from_equity(t, bad, 3, NULL, NULL, 0, 0, 0, 0, &m), CT_E_DATA);
    ck_assert(strstr(ct_last_error(), "equity row 1") != NULL);
    int64_t tb[3] = {0, 2000, 1000};
    ck_assert_status(ct_metrics_from_equity(tb, e, 3, NULL, NULL, 0, 0, 0, 0, &m), CT_E_DATA);
    ck_assert(strstr(ct_last_error(), "row 2") != NULL);
    ck_assert_ok(ct_metrics_from_equity(t, e, 3, NULL, NULL, 0, 0, 0, 0, &m));
    double v;
    ck_assert_status(ct_metrics_get(m, "bogus", &v), CT_E_NOT_FOUND);
    ck_assert(strstr(ct_last_error(), "bogus") != NULL);
    ASSERT_NAN(mget(m, "beta")); /* no benchmark */
    ASSERT_NEAR(mget(m, "total_return"), 2, 0);
    char *js = NULL;
    ck_assert_ok(ct_metrics_json(m, &js));
    cJSON *j = cJSON_Parse(js);
    ck_assert_ptr_nonnull(j);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "beta")));
    ck_assert_double_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "total_return")->valuedouble, 2);
    cJSON_Delete(j);
    ct_free(js);
    ct_metrics_destroy(m);
    ct_metrics_destroy(NULL);
}
END_TEST

/* The read-only calls on a metrics handle or a result may run on several threads at once, so a
 * failure goes to the calling thread's ct_last_error only and leaves the handle's message alone
 * (writing it would race between the threads). */
START_TEST(test_readonly_failures_keep_handle)
{
    int64_t t[3] = {0, 86400000, 2 * 86400000};
    double e[3] = {100, 90, 110};
    ct_metrics *m = NULL;
    ck_assert_ok(ct_metrics_from_equity(t, e, 3, NULL, NULL, 0, 0, 0, 0, &m));
    double v;
    int64_t n;
    ck_assert_status(ct_metrics_get(m, "bogus", &v), CT_E_NOT_FOUND);
    ck_assert_str_eq(ct_last_error(), "ct_metrics_get: unknown metric 'bogus'");
    ck_assert_str_eq(ct_metrics_errmsg(m), "");
    ck_assert_status(ct_metrics_get(m, NULL, &v), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_metrics_get: NULL name");
    ck_assert_status(ct_metrics_all(m, NULL, 5, &n), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_metrics_all: bad argument");
    ck_assert_status(ct_metrics_json(m, NULL), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_metrics_json: NULL out");
    ck_assert_str_eq(ct_metrics_errmsg(m), "");
    ct_metrics_destroy(m);

    /* a result keeps the message of its last recording call (ct_result_metric here) */
    ct_result *r = mk_result(3, t, e, NULL, NULL, 86400000);
    ck_assert_status(ct_result_metric(r, "nope", &v), CT_E_NOT_FOUND);
    ck_assert_str_eq(ct_result_errmsg(r), "ct_result_metric: unknown metric 'nope'");
    ck_assert_status(ct_result_drawdowns(r, NULL, NULL, NULL, NULL, NULL, -1, &n), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_result_drawdowns: negative cap");
    ck_assert_status(ct_result_monthly_returns(r, NULL, NULL, NULL, 0, NULL), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_result_monthly_returns: NULL n_total");
    ck_assert_str_eq(ct_result_errmsg(r), "ct_result_metric: unknown metric 'nope'");
    free_result(r);

    /* out of memory in ct_result_monthly_returns: the result is built under the failing
     * allocator (it refuses to swap under live memory), which then fails the next allocation */
    ct_test_failalloc_install(1000000);
    r = mk_result(3, t, e, NULL, NULL, 86400000);
    int64_t base = ct_test_failalloc_count();
    free_result(r);
    ct_test_failalloc_remove();
    ct_test_failalloc_install(base);
    r = mk_result(3, t, e, NULL, NULL, 86400000);
    ck_assert_status(ct_result_monthly_returns(r, NULL, NULL, NULL, 0, &n), CT_E_NOMEM);
    ck_assert_str_eq(ct_last_error(), "metrics: out of memory for 1 monthly returns");
    ck_assert_str_eq(ct_result_errmsg(r), "");
    free_result(r);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
    ct_test_failalloc_remove();
}
END_TEST

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy percentile (linear) of sorted v */
static double pct_sorted(const double *v, int64_t m, double q)
{
    double h = (double)(m - 1) * q;
    int64_t lo = (int64_t)floor(h);
    double t = h - (double)lo, a = v[lo], b = lo + 1 < m ? v[lo + 1] : a;
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/* Long curves take the sampled-bracket path for the percentiles: compare with a full sort, for
 * curves with and without long flat stretches (many zero returns) and with a spike pattern that
 * defeats a strided sample. */
START_TEST(test_percentiles_vs_sort)
{
    /* sizes: three long curves, then both sides of the bracket threshold (4096 returns) */
    static const int64_t sizes[5] = {50001, 57920, 65839, 4097, 4096};
    int64_t n = sizes[_i];
    int64_t *t = malloc((size_t)n * sizeof(int64_t));
    double *e = malloc((size_t)n * sizeof(double)), *r = malloc((size_t)n * sizeof(double));
    uint64_t s = 12345 + (uint64_t)_i;
    e[0] = 1000;
    t[0] = 0;
    for (int64_t i = 1; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
        double d = u * 0.02;
        if ((_i == 1 || _i == 3) && (i / 500) % 4 != 0)
            d = 0; /* flat 3/4 of the time */
        if (_i == 2 && i % 487 == 0)
            d = -0.2; /* spikes on the sampling stride */
        e[i] = e[i - 1] * (1 + d);
        t[i] = i * 60000;
    }
    for (int64_t i = 1; i < n; i++)
        r[i - 1] = (e[i] - e[i - 1]) / e[i - 1];
    int64_t m = n - 1;
    qsort(r, (size_t)m, sizeof(double), cmp_d);
    int64_t k = (int64_t)((double)(m - 1) * 0.05);
    double cs = 0;
    for (int64_t i = 0; i <= k; i++)
        cs += r[i];
    double p5 = pct_sorted(r, m, 0.05), p95 = pct_sorted(r, m, 0.95);
    ct_metrics *mt;
    ck_assert_ok(ct_metrics_from_equity(t, e, n, NULL, NULL, 0, 0, 0, 0, &mt));
    ASSERT_NEAR(mget(mt, "var_95"), p5, 1e-12);
    ASSERT_NEAR(mget(mt, "cvar_95"), cs / (double)(k + 1), 1e-12);
    ASSERT_NEAR(mget(mt, "tail_ratio"), fabs(p95) / fabs(p5), 1e-12);
    ct_metrics_destroy(mt);
    free(t);
    free(e);
    free(r);
}
END_TEST

START_TEST(test_fast_log)
{
    /* the kernel's vectorizable log against libm over 1e-6 .. 1e12 */
    double worst = 0;
    for (double x = 1e-6; x < 1e12; x *= 1.0001237) {
        double d = fabs(ct__fast_log(x) - log(x));
        worst = d > worst ? d : worst;
    }
    ck_assert_msg(worst < 1e-12, "fast log error %.3g", worst);
}
END_TEST

/* ---- allocation failures ---- */

START_TEST(test_oom)
{
    enum { N = 500 };
    int64_t t[N];
    double e[N], b[N];
    for (int i = 0; i < N; i++) {
        t[i] = (int64_t)i * 3600000;
        e[i] = 100 + 10 * sin(i * 0.1) + i * 0.01;
        b[i] = 50 + 5 * cos(i * 0.07);
    }
    int ok = 0;
    for (int64_t k = 0; k < 100 && !ok; k++) {
        ct_metrics *m = NULL;
        ct_test_failalloc_install(k);
        ct_status st = ct_metrics_from_equity(t, e, N, t, b, N, 0, 0, CT_METRICS_DAILY, &m);
        if (st == CT_OK) {
            ok = 1;
            ct_metrics_destroy(m);
        } else {
            ck_assert_int_eq(st, CT_E_NOMEM);
            ck_assert_ptr_null(m);
        }
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        ct_test_failalloc_remove();
    }
    ck_assert(ok);

    /* ct_set_allocator refuses to swap under live memory, so the result is built under the
     * failing allocator too: count its allocations first, then fail after them. */
    ct_test_failalloc_install(1000000);
    ct_result *r0 = mk_result(N, t, e, b, NULL, 3600000);
    int64_t base = ct_test_failalloc_count();
    free_result(r0);
    ct_test_failalloc_remove();
    ok = 0;
    for (int64_t k = 0; k < 100 && !ok; k++) {
        ct_test_failalloc_install(base + k);
        ct_result *r = mk_result(N, t, e, b, NULL, 3600000);
        char *js = NULL;
        ct_status st = ct_result_json(r, 100, &js);
        if (st == CT_OK) {
            ok = 1;
            ct_free(js);
        } else {
            ck_assert_int_eq(st, CT_E_NOMEM);
            ck_assert_ptr_null(js);
        }
        free_result(r);
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        ct_test_failalloc_remove();
    }
    ck_assert(ok);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_registry);
    tcase_add_loop_test(tc, test_empyrical_from_equity, 0, (int)(sizeof(k_ref_curves) / sizeof(k_ref_curves[0])));
    tcase_add_loop_test(tc, test_empyrical_cli, 0, (int)(sizeof(k_ref_curves) / sizeof(k_ref_curves[0])));
    tcase_add_test(tc, test_trade_stats);
    tcase_add_test(tc, test_trade_edges);
    tcase_add_test(tc, test_flat_and_single);
    tcase_add_test(tc, test_drawdowns_by_hand);
    tcase_add_test(tc, test_monthly_returns);
    tcase_add_test(tc, test_daily_resampling);
    tcase_add_test(tc, test_host_benchmark);
    tcase_add_test(tc, test_factor_regression);
    tcase_add_test(tc, test_from_equity_errors);
    tcase_add_test(tc, test_readonly_failures_keep_handle);
    tcase_add_loop_test(tc, test_percentiles_vs_sort, 0, 5);
    tcase_add_test(tc, test_fast_log);
    tcase_add_test(tc, test_oom);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(metrics_suite()); }
