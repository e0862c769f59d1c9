/*
 * A strategy plugin: exports ct_plugin_init, which registers the class "plugin_sma_touch"
 * (long when close < SMA(period) * (1 - band), exit when close > SMA(period)), written only
 * against the public API as a third party would. docs/strategies.md shows it as the example.
 */
#include <math.h>
#include <stdlib.h>

#include <cryptota/cryptota.h>

typedef struct {
    double period;
    double band;
    int32_t h;
} touch;

static const ct_param_def k_params[] = {
    {sizeof(ct_param_def), CT_PARAM_INT, "period", 20, 2, 1000, 1, "SMA period"},
    {sizeof(ct_param_def), CT_PARAM_REAL, "band", 0.01, 0, 0.5, 0.005, "entry distance below the SMA"},
};

static ct_status create(void *cu, const double *p, int32_t n, void **inst, char *err, int32_t cap)
{
    (void)cu;
    (void)n;
    (void)err;
    (void)cap;
    touch *s = malloc(sizeof(*s));
    if (!s)
        return CT_E_NOMEM;
    s->period = p[0];
    s->band = p[1];
    s->h = -1;
    *inst = s;
    return CT_OK;
}

static ct_status on_start(void *user, ct_ctx *ctx)
{
    touch *s = user;
    return ct_ctx_declare_indicator(ctx, "sma", &s->period, 1, &s->h);
}

static ct_status on_bar(void *user, ct_ctx *ctx)
{
    touch *s = user;
    double c, m;
    ct_status st = ct_ctx_bar(ctx, CT_FIELD_CLOSE, 0, &c);
    if (st == CT_OK)
        st = ct_ctx_indicator(ctx, s->h, 0, 0, &m);
    if (st != CT_OK) {
        ct_ctx_set_error(ctx, "plugin_sma_touch: cannot read the bar");
        return st;
    }
    if (isnan(m) || ct_ctx_open_orders(ctx) > 0)
        return CT_OK;
    if (ct_ctx_position(ctx) == 0 && c < m * (1 - s->band))
        return ct_ctx_order_target(ctx, 1.0, NULL);
    if (ct_ctx_position(ctx) > 0 && c > m)
        return ct_ctx_close_position(ctx, NULL);
    return CT_OK;
}

static void destroy(void *user) { free(user); }

CT_PLUGIN_API ct_status ct_plugin_init(void);
CT_PLUGIN_API ct_status ct_plugin_init(void)
{
    ct_strategy_vtable vt = {sizeof(ct_strategy_vtable), 0, "plugin_sma_touch",
                             "long below SMA*(1-band), exit above the SMA (test plugin)", k_params, 2, 0, NULL,
                             create, on_start, on_bar, NULL, NULL, destroy};
    return ct_strategy_register(&vt);
}
