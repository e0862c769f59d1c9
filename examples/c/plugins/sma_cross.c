/*
 * sma_cross.so: the SMA crossover strategy of the original CryptoTA docs as a libcryptota plugin.
 *
 *   buy  (all in) when flat and the fast SMA crosses above the slow SMA:
 *        fast[t] > slow[t] and fast[t-1] <= slow[t-1]
 *   sell (close)  when long and the fast SMA crosses below the slow SMA:
 *        fast[t] < slow[t] and fast[t-1] >= slow[t-1]
 *
 * Load it with `cryptota backtest FILE --plugin sma_cross.so --strategy plugin_sma_cross`
 * or ct_plugin_load("sma_cross.so"). docs/plugin-guide.md walks through this file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cryptota/cryptota.h>

/* One instance: the parameter values and the handles of the two declared indicators. */
typedef struct {
    double fast, slow;
    int32_t h_fast, h_slow;
} sma_cross;

/* The parameter schema: name, kind, default, min, max, grid step, description. */
static const ct_param_def k_params[] = {
    {sizeof(ct_param_def), CT_PARAM_INT, "fast", 10, 2, 1000, 1, "fast SMA period"},
    {sizeof(ct_param_def), CT_PARAM_INT, "slow", 30, 3, 5000, 1, "slow SMA period"},
};

/* Make an instance; refuse fast >= slow (the optimizer then skips the combination). */
static ct_status create(void *class_user, const double *p, int32_t n, void **instance, char *err,
                        int32_t err_cap)
{
    (void)class_user;
    (void)n;
    if (p[0] >= p[1]) {
        snprintf(err, (size_t)err_cap, "plugin_sma_cross: fast (%g) must be below slow (%g)", p[0], p[1]);
        return CT_E_RANGE;
    }
    sma_cross *s = malloc(sizeof(*s));
    if (!s)
        return CT_E_NOMEM;
    s->fast = p[0];
    s->slow = p[1];
    s->h_fast = s->h_slow = -1;
    *instance = s;
    return CT_OK;
}

/* Declare the indicators once: the engine computes them over the whole feed (and shares them
 * between optimizer runs); on_bar reads only rows <= t. */
static ct_status on_start(void *user, ct_ctx *ctx)
{
    sma_cross *s = user;
    ct_status st = ct_ctx_declare_indicator(ctx, "sma", &s->fast, 1, &s->h_fast);
    if (st == CT_OK)
        st = ct_ctx_declare_indicator(ctx, "sma", &s->slow, 1, &s->h_slow);
    return st;
}

static ct_status on_bar(void *user, ct_ctx *ctx)
{
    sma_cross *s = user;
    if (ct_ctx_bar_index(ctx) < 1)
        return CT_OK;
    double f0, f1, s0, s1; /* fast and slow SMA at t (0) and t-1 (1) */
    if (ct_ctx_indicator(ctx, s->h_fast, 0, 0, &f0) != CT_OK || ct_ctx_indicator(ctx, s->h_fast, 0, 1, &f1) != CT_OK ||
        ct_ctx_indicator(ctx, s->h_slow, 0, 0, &s0) != CT_OK || ct_ctx_indicator(ctx, s->h_slow, 0, 1, &s1) != CT_OK) {
        ct_ctx_set_error(ctx, "plugin_sma_cross: cannot read the SMAs");
        return CT_E_PLUGIN;
    }
    if (isnan(f1) || isnan(s1) || ct_ctx_open_orders(ctx) > 0)
        return CT_OK; /* still in the slow SMA's lookback, or an order is on its way */
    if (ct_ctx_position(ctx) == 0 && f0 > s0 && f1 <= s1)
        return ct_ctx_order_target(ctx, 1.0, NULL); /* all in at the next open */
    if (ct_ctx_position(ctx) > 0 && f0 < s0 && f1 >= s1)
        return ct_ctx_close_position(ctx, NULL);
    return CT_OK;
}

static void destroy(void *user) { free(user); }

/* The entry point ct_plugin_load calls: register the class (the table is copied). */
CT_PLUGIN_API ct_status ct_plugin_init(void);
CT_PLUGIN_API ct_status ct_plugin_init(void)
{
    ct_strategy_vtable vt = {sizeof(ct_strategy_vtable), 0, "plugin_sma_cross",
                             "SMA crossover: long when the fast SMA crosses above the slow one, out on the cross below",
                             k_params, 2, 0, NULL, create, on_start, on_bar, NULL, NULL, destroy};
    return ct_strategy_register(&vt);
}
