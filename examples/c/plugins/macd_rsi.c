/*
 * macd_rsi.so: the MACD strategy with an RSI filter of the original CryptoTA docs as a plugin.
 *
 *   buy  (all in) when flat, MACD crosses above its signal line and RSI < rsi_buy_max:
 *        macd[t] > signal[t] and macd[t-1] <= signal[t-1] and rsi[t] < rsi_buy_max (70)
 *   sell (close)  when long and MACD crosses below its signal line or RSI > rsi_sell (80):
 *        (macd[t] < signal[t] and macd[t-1] >= signal[t-1]) or rsi[t] > rsi_sell
 *
 * Load it with `cryptota backtest FILE --plugin macd_rsi.so --strategy plugin_macd_rsi`.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cryptota/cryptota.h>

typedef struct {
    double macd_opt[3];   /* fast, slow, signal: the options of the "macd" indicator */
    double rsi_period;
    double rsi_buy_max;   /* entries only while RSI is below this */
    double rsi_sell;      /* exit when RSI rises above this */
    int32_t h_macd, h_rsi;
} macd_rsi;

static const ct_param_def k_params[] = {
    {sizeof(ct_param_def), CT_PARAM_INT, "fast", 12, 2, 1000, 1, "fast EMA period of MACD"},
    {sizeof(ct_param_def), CT_PARAM_INT, "slow", 26, 3, 2000, 1, "slow EMA period of MACD"},
    {sizeof(ct_param_def), CT_PARAM_INT, "signal", 9, 1, 1000, 1, "signal line EMA period"},
    {sizeof(ct_param_def), CT_PARAM_INT, "rsi_period", 14, 2, 1000, 1, "RSI period"},
    {sizeof(ct_param_def), CT_PARAM_REAL, "rsi_buy_max", 70, 0, 100, 5, "buy only while RSI is below this"},
    {sizeof(ct_param_def), CT_PARAM_REAL, "rsi_sell", 80, 0, 100, 5, "sell when RSI rises above this"},
};

static ct_status create(void *class_user, const double *p, int32_t n, void **instance, char *err,
                        int32_t err_cap)
{
    (void)class_user;
    (void)n;
    if (p[0] >= p[1]) {
        snprintf(err, (size_t)err_cap, "plugin_macd_rsi: fast (%g) must be below slow (%g)", p[0], p[1]);
        return CT_E_RANGE;
    }
    macd_rsi *s = malloc(sizeof(*s));
    if (!s)
        return CT_E_NOMEM;
    s->macd_opt[0] = p[0];
    s->macd_opt[1] = p[1];
    s->macd_opt[2] = p[2];
    s->rsi_period = p[3];
    s->rsi_buy_max = p[4];
    s->rsi_sell = p[5];
    s->h_macd = s->h_rsi = -1;
    *instance = s;
    return CT_OK;
}

static ct_status on_start(void *user, ct_ctx *ctx)
{
    macd_rsi *s = user;
    ct_status st = ct_ctx_declare_indicator(ctx, "macd", s->macd_opt, 3, &s->h_macd);
    if (st == CT_OK)
        st = ct_ctx_declare_indicator(ctx, "rsi", &s->rsi_period, 1, &s->h_rsi);
    return st;
}

static ct_status on_bar(void *user, ct_ctx *ctx)
{
    macd_rsi *s = user;
    if (ct_ctx_bar_index(ctx) < 1)
        return CT_OK;
    double m0, m1, g0, g1, rsi; /* MACD line (output 0) and signal line (output 1) at t and t-1 */
    if (ct_ctx_indicator(ctx, s->h_macd, 0, 0, &m0) != CT_OK || ct_ctx_indicator(ctx, s->h_macd, 0, 1, &m1) != CT_OK ||
        ct_ctx_indicator(ctx, s->h_macd, 1, 0, &g0) != CT_OK || ct_ctx_indicator(ctx, s->h_macd, 1, 1, &g1) != CT_OK ||
        ct_ctx_indicator(ctx, s->h_rsi, 0, 0, &rsi) != CT_OK) {
        ct_ctx_set_error(ctx, "plugin_macd_rsi: cannot read MACD or RSI");
        return CT_E_PLUGIN;
    }
    if (isnan(m1) || isnan(g1) || isnan(rsi) || ct_ctx_open_orders(ctx) > 0)
        return CT_OK;
    int cross_up = m0 > g0 && m1 <= g1;
    int cross_down = m0 < g0 && m1 >= g1;
    if (ct_ctx_position(ctx) == 0 && cross_up && rsi < s->rsi_buy_max)
        return ct_ctx_order_target(ctx, 1.0, NULL);
    if (ct_ctx_position(ctx) > 0 && (cross_down || rsi > s->rsi_sell))
        return ct_ctx_close_position(ctx, NULL);
    return CT_OK;
}

static void destroy(void *user) { free(user); }

CT_PLUGIN_API ct_status ct_plugin_init(void);
CT_PLUGIN_API ct_status ct_plugin_init(void)
{
    ct_strategy_vtable vt = {sizeof(ct_strategy_vtable), 0, "plugin_macd_rsi",
                             "MACD cross with an RSI filter: buy on a cross above signal while RSI < 70, "
                             "sell on a cross below or RSI > 80",
                             k_params, 6, 0, NULL, create, on_start, on_bar, NULL, NULL, destroy};
    return ct_strategy_register(&vt);
}
