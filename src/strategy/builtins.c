/*
 * The built-in strategy classes (docs/strategies.md describes each rule exactly). Their
 * on_bar reads the run state directly (indicator arrays, position, pending orders): the
 * per-bar path of the built-ins is a few loads and compares, which keeps the rsi backtest
 * near the speed of a plain C loop.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine_internal.h"

#define P(kind_, name_, def_, min_, max_, step_, desc_) \
    { sizeof(ct_param_def), (kind_), (name_), (def_), (min_), (max_), (step_), (desc_) }

#define CLASS(var_, name_, desc_, params_, create_, on_start_, on_bar_, on_fill_)                          \
    static const ct_strategy_class var_ = {                                                                \
        {sizeof(ct_strategy_vtable), 0, (name_), (desc_), (params_), (int32_t)(sizeof(params_) / sizeof(params_[0])), \
         0, NULL, (create_), (on_start_), (on_bar_), (on_fill_), NULL, free_instance},                     \
        (char *)(name_), (char *)(desc_), (ct_param_def *)(params_), 1, 0}

static void free_instance(void *user) { ct__free(user); }

static ct_status refuse(char *err, int32_t cap, const char *msg)
{
    snprintf(err, (size_t)cap, "%s", msg);
    return CT_E_RANGE;
}

static inline double ind_at(const ct_ctx *x, int32_t h, int32_t k, int64_t t) { return x->ind[h].out[k][t]; }

static ct_status declare(ct_ctx *x, const char *name, const double *opt, int32_t n_opt, int32_t *h)
{
    ct_status st = ct_ctx_declare_indicator(x, name, opt, n_opt, h);
    if (st != CT_OK)
        ct_ctx_set_error(x, ct_last_error());
    return st;
}

/* ---- rsi and rsi_ma ---- */

typedef struct {
    double period;
    double oversold;
    double overbought;
    double fraction;
    double ma_period;
    int32_t h_rsi;
    int32_t h_ma;
} rsi_state;

static ct_param_def k_rsi_params[] = {
    P(CT_PARAM_INT, "rsi_period", 14, 2, 1000, 1, "RSI period (Wilder smoothing, TA-Lib definition)"),
    P(CT_PARAM_REAL, "oversold", 30, 0, 100, 5, "enter long when flat and RSI[t] < oversold"),
    P(CT_PARAM_REAL, "overbought", 70, 0, 100, 5, "exit when long and RSI[t] > overbought"),
    P(CT_PARAM_REAL, "fraction", 1.0, 0.001, 100, 0.1, "target fraction of equity invested at entry"),
};

static ct_param_def k_rsi_ma_params[] = {
    P(CT_PARAM_INT, "rsi_period", 14, 2, 1000, 1, "RSI period"),
    P(CT_PARAM_REAL, "oversold", 30, 0, 100, 5, "enter long when flat, RSI[t] < oversold and close[t] > SMA[t]"),
    P(CT_PARAM_REAL, "overbought", 70, 0, 100, 5, "exit when long and RSI[t] > overbought"),
    P(CT_PARAM_REAL, "fraction", 1.0, 0.001, 100, 0.1, "target fraction of equity invested at entry"),
    P(CT_PARAM_INT, "ma_period", 200, 2, 100000, 10, "SMA period of the trend filter"),
};

static ct_status rsi_create(void *cu, const double *p, int32_t n, void **inst, char *err, int32_t cap)
{
    if (p[1] >= p[2])
        return refuse(err, cap, "oversold must be below overbought");
    rsi_state *s = ct__calloc(1, sizeof(*s));
    if (!s)
        return CT_E_NOMEM;
    s->period = p[0];
    s->oversold = p[1];
    s->overbought = p[2];
    s->fraction = p[3];
    s->ma_period = n > 4 ? p[4] : 0;
    s->h_ma = -1;
    *inst = s;
    return CT_OK;
}

static ct_status rsi_start(void *u, ct_ctx *x)
{
    rsi_state *s = u;
    ct_status st = declare(x, "rsi", &s->period, 1, &s->h_rsi);
    if (st == CT_OK && s->ma_period > 0)
        st = declare(x, "sma", &s->ma_period, 1, &s->h_ma);
    return st;
}

static ct_status rsi_bar(void *u, ct_ctx *x)
{
    const rsi_state *s = u;
    double r = x->ind[s->h_rsi].out[0][x->t];
    if (x->n_orders != 0)
        return CT_OK;
    if (x->pos == 0.0) {
        if (r < s->oversold)
            return ct__ctx_place(x, CT_ORDER_TARGET, s->fraction, 0, 0, 0, NULL);
    } else if (x->pos > 0.0 && r > s->overbought) {
        return ct__ctx_place(x, CT_ORDER_CLOSE, 0, 0, 0, 0, NULL);
    }
    return CT_OK;
}

static ct_status rsi_ma_bar(void *u, ct_ctx *x)
{
    const rsi_state *s = u;
    double r = ind_at(x, s->h_rsi, 0, x->t);
    if (x->n_orders != 0)
        return CT_OK;
    if (x->pos == 0.0) {
        if (r < s->oversold && x->col[CT_FIELD_CLOSE][x->t] > ind_at(x, s->h_ma, 0, x->t))
            return ct__ctx_place(x, CT_ORDER_TARGET, s->fraction, 0, 0, 0, NULL);
    } else if (x->pos > 0.0 && r > s->overbought) {
        return ct__ctx_place(x, CT_ORDER_CLOSE, 0, 0, 0, 0, NULL);
    }
    return CT_OK;
}

CLASS(k_rsi, "rsi", "RSI mean reversion: long when RSI < oversold, exit when RSI > overbought", k_rsi_params,
      rsi_create, rsi_start, rsi_bar, NULL);
CLASS(k_rsi_ma, "rsi_ma", "rsi with a trend filter: entries only while close > SMA(ma_period)", k_rsi_ma_params,
      rsi_create, rsi_start, rsi_ma_bar, NULL);

/* ---- rsi_divergence ---- */

typedef struct {
    double period;
    int64_t window;
    double oversold;
    double overbought;
    double fraction;
    int32_t h;
} div_state;

static ct_param_def k_div_params[] = {
    P(CT_PARAM_INT, "rsi_period", 14, 2, 1000, 1, "RSI period"),
    P(CT_PARAM_INT, "window", 20, 2, 10000, 5, "bars before t compared with bar t"),
    P(CT_PARAM_REAL, "oversold", 40, 0, 100, 5, "bullish divergence counts only while RSI[t] < oversold"),
    P(CT_PARAM_REAL, "overbought", 60, 0, 100, 5, "bearish divergence counts only while RSI[t] > overbought"),
    P(CT_PARAM_REAL, "fraction", 1.0, 0.001, 100, 0.1, "target fraction of equity invested at entry"),
};

static ct_status div_create(void *cu, const double *p, int32_t n, void **inst, char *err, int32_t cap)
{
    if (p[2] >= p[3])
        return refuse(err, cap, "oversold must be below overbought");
    div_state *s = ct__calloc(1, sizeof(*s));
    if (!s)
        return CT_E_NOMEM;
    s->period = p[0];
    s->window = (int64_t)p[1];
    s->oversold = p[2];
    s->overbought = p[3];
    s->fraction = p[4];
    *inst = s;
    return CT_OK;
}

static ct_status div_start(void *u, ct_ctx *x)
{
    div_state *s = u;
    return declare(x, "rsi", &s->period, 1, &s->h);
}

static ct_status div_bar(void *u, ct_ctx *x)
{
    const div_state *s = u;
    int64_t t = x->t;
    if (t < s->window || x->n_orders != 0)
        return CT_OK;
    const double *c = x->col[CT_FIELD_CLOSE];
    const double *r = x->ind[s->h].out[0];
    if (isnan(r[t - s->window]))
        return CT_OK;
    double cmin = INFINITY, cmax = -INFINITY, rmin = INFINITY, rmax = -INFINITY;
    for (int64_t i = t - s->window; i < t; i++) {
        cmin = c[i] < cmin ? c[i] : cmin;
        cmax = c[i] > cmax ? c[i] : cmax;
        rmin = r[i] < rmin ? r[i] : rmin;
        rmax = r[i] > rmax ? r[i] : rmax;
    }
    if (x->pos == 0.0) {
        /* bullish: a lower low in price with a higher low in RSI */
        if (c[t] < cmin && r[t] > rmin && r[t] < s->oversold)
            return ct__ctx_place(x, CT_ORDER_TARGET, s->fraction, 0, 0, 0, NULL);
    } else if (x->pos > 0.0) {
        /* bearish: a higher high in price with a lower high in RSI */
        if (c[t] > cmax && r[t] < rmax && r[t] > s->overbought)
            return ct__ctx_place(x, CT_ORDER_CLOSE, 0, 0, 0, 0, NULL);
    }
    return CT_OK;
}

CLASS(k_div, "rsi_divergence", "long on a bullish RSI divergence, exit on a bearish one", k_div_params, div_create,
      div_start, div_bar, NULL);

/* ---- crosses: sma_cross and macd_cross ---- */

typedef struct {
    double a, b, c;
    double fraction;
    int32_t h1, h2;
    int32_t k1, k2;
} cross_state;

static ct_param_def k_sma_params[] = {
    P(CT_PARAM_INT, "fast", 10, 1, 100000, 5, "fast SMA period"),
    P(CT_PARAM_INT, "slow", 30, 2, 100000, 10, "slow SMA period (> fast)"),
    P(CT_PARAM_REAL, "fraction", 1.0, 0.001, 100, 0.1, "target fraction of equity invested at entry"),
};

static ct_param_def k_macd_params[] = {
    P(CT_PARAM_INT, "fast", 12, 2, 100000, 1, "fast EMA period"),
    P(CT_PARAM_INT, "slow", 26, 2, 100000, 1, "slow EMA period (> fast)"),
    P(CT_PARAM_INT, "signal", 9, 1, 100000, 1, "signal EMA period"),
    P(CT_PARAM_REAL, "fraction", 1.0, 0.001, 100, 0.1, "target fraction of equity invested at entry"),
};

static ct_status sma_create(void *cu, const double *p, int32_t n, void **inst, char *err, int32_t cap)
{
    if (p[0] >= p[1])
        return refuse(err, cap, "fast must be below slow");
    cross_state *s = ct__calloc(1, sizeof(*s));
    if (!s)
        return CT_E_NOMEM;
    s->a = p[0];
    s->b = p[1];
    s->fraction = p[2];
    *inst = s;
    return CT_OK;
}

static ct_status sma_start(void *u, ct_ctx *x)
{
    cross_state *s = u;
    ct_status st = declare(x, "sma", &s->a, 1, &s->h1);
    if (st == CT_OK)
        st = declare(x, "sma", &s->b, 1, &s->h2);
    s->k1 = s->k2 = 0;
    return st;
}

static ct_status macd_create(void *cu, const double *p, int32_t n, void **inst, char *err, int32_t cap)
{
    if (p[0] >= p[1])
        return refuse(err, cap, "fast must be below slow");
    cross_state *s = ct__calloc(1, sizeof(*s));
    if (!s)
        return CT_E_NOMEM;
    s->a = p[0];
    s->b = p[1];
    s->c = p[2];
    s->fraction = p[3];
    *inst = s;
    return CT_OK;
}

static ct_status macd_start(void *u, ct_ctx *x)
{
    cross_state *s = u;
    double opt[3] = {s->a, s->b, s->c};
    ct_status st = declare(x, "macd", opt, 3, &s->h1);
    s->h2 = s->h1;
    s->k1 = 0; /* macd line */
    s->k2 = 1; /* signal line */
    return st;
}

/* Long when line 1 crosses above line 2 (l1[t-1] <= l2[t-1] and l1[t] > l2[t]); exit on the
 * opposite cross (l1[t-1] >= l2[t-1] and l1[t] < l2[t]). NaN comparisons are false. */
static ct_status cross_bar(void *u, ct_ctx *x)
{
    const cross_state *s = u;
    int64_t t = x->t;
    if (t < 1 || x->n_orders != 0)
        return CT_OK;
    const double *l1 = x->ind[s->h1].out[s->k1];
    const double *l2 = x->ind[s->h2].out[s->k2];
    if (x->pos == 0.0) {
        if (l1[t - 1] <= l2[t - 1] && l1[t] > l2[t])
            return ct__ctx_place(x, CT_ORDER_TARGET, s->fraction, 0, 0, 0, NULL);
    } else if (x->pos > 0.0) {
        if (l1[t - 1] >= l2[t - 1] && l1[t] < l2[t])
            return ct__ctx_place(x, CT_ORDER_CLOSE, 0, 0, 0, 0, NULL);
    }
    return CT_OK;
}

CLASS(k_sma, "sma_cross", "long when SMA(fast) crosses above SMA(slow), exit on the cross below", k_sma_params,
      sma_create, sma_start, cross_bar, NULL);
CLASS(k_macd, "macd_cross", "long when MACD crosses above its signal line, exit on the cross below", k_macd_params,
      macd_create, macd_start, cross_bar, NULL);

/* ---- bbands_reversion ---- */

static ct_param_def k_bb_params[] = {
    P(CT_PARAM_INT, "period", 20, 2, 100000, 5, "Bollinger period (SMA middle band)"),
    P(CT_PARAM_REAL, "nbdev", 2.0, 0.1, 10, 0.5, "band width in population standard deviations"),
    P(CT_PARAM_REAL, "fraction", 1.0, 0.001, 100, 0.1, "target fraction of equity invested at entry"),
};

static ct_status bb_create(void *cu, const double *p, int32_t n, void **inst, char *err, int32_t cap)
{
    cross_state *s = ct__calloc(1, sizeof(*s));
    if (!s)
        return CT_E_NOMEM;
    s->a = p[0];
    s->b = p[1];
    s->fraction = p[2];
    *inst = s;
    return CT_OK;
}

static ct_status bb_start(void *u, ct_ctx *x)
{
    cross_state *s = u;
    double opt[3] = {s->a, s->b, s->b};
    return declare(x, "bbands", opt, 3, &s->h1);
}

static ct_status bb_bar(void *u, ct_ctx *x)
{
    const cross_state *s = u;
    int64_t t = x->t;
    if (x->n_orders != 0)
        return CT_OK;
    double c = x->col[CT_FIELD_CLOSE][t];
    if (x->pos == 0.0) {
        if (c < ind_at(x, s->h1, 2, t)) /* below the lower band */
            return ct__ctx_place(x, CT_ORDER_TARGET, s->fraction, 0, 0, 0, NULL);
    } else if (x->pos > 0.0 && c > ind_at(x, s->h1, 1, t)) { /* back above the middle band */
        return ct__ctx_place(x, CT_ORDER_CLOSE, 0, 0, 0, 0, NULL);
    }
    return CT_OK;
}

CLASS(k_bb, "bbands_reversion", "long when close < lower Bollinger band, exit when close > middle band", k_bb_params,
      bb_create, bb_start, bb_bar, NULL);

/* ---- grid ---- */

#define GRID_MAX_LEVELS 1000

typedef struct {
    double lower, upper;
    int32_t levels;
    double fraction;
    int32_t started;
    int64_t rejected_seen;             /* the run's rejected-order count when last checked */
    double level[GRID_MAX_LEVELS];
    double qty[GRID_MAX_LEVELS];       /* per slot i (between level i and i+1) */
    int64_t buy_id[GRID_MAX_LEVELS];   /* pending buy of slot i (0: none) */
    int64_t sell_id[GRID_MAX_LEVELS];  /* pending sell of slot i (0: none) */
} grid_state;

static ct_param_def k_grid_params[] = {
    P(CT_PARAM_REAL, "lower", 0, 0, 1e12, 0, "lowest level (0: 0.9 x the first close)"),
    P(CT_PARAM_REAL, "upper", 0, 0, 1e12, 0, "highest level (0: 1.1 x the first close)"),
    P(CT_PARAM_INT, "levels", 10, 2, GRID_MAX_LEVELS, 1, "number of levels, equally spaced from lower to upper"),
    P(CT_PARAM_REAL, "fraction", 1.0, 0.001, 1, 0.1, "fraction of the initial equity spread over the slots"),
};

static ct_status grid_create(void *cu, const double *p, int32_t n, void **inst, char *err, int32_t cap)
{
    if ((p[0] > 0 || p[1] > 0) && !(p[0] > 0 && p[1] > p[0]))
        return refuse(err, cap, "grid needs 0 < lower < upper (or both 0 for automatic levels)");
    grid_state *s = ct__calloc(1, sizeof(*s));
    if (!s)
        return CT_E_NOMEM;
    s->lower = p[0];
    s->upper = p[1];
    s->levels = (int32_t)p[2];
    s->fraction = p[3];
    *inst = s;
    return CT_OK;
}

static int order_pending(const ct_ctx *x, int64_t id)
{
    for (int64_t k = 0; k < x->n_orders; k++)
        if (x->orders[k].id == id && x->orders[k].type >= 0)
            return 1;
    return 0;
}

static ct_status grid_bar(void *u, ct_ctx *x)
{
    grid_state *s = u;
    double c = x->col[CT_FIELD_CLOSE][x->t];
    if (!s->started) {
        double lo = s->lower > 0 ? s->lower : 0.9 * c;
        double hi = s->upper > 0 ? s->upper : 1.1 * c;
        int32_t m = s->levels;
        double slot_cash = s->fraction * x->equity / (double)(m - 1);
        for (int32_t i = 0; i < m; i++)
            s->level[i] = lo + (hi - lo) * (double)i / (double)(m - 1);
        for (int32_t i = 0; i + 1 < m; i++)
            s->qty[i] = slot_cash / (s->level[i] * (1.0 + x->cfg.maker));
        s->started = 1;
    }
    if (x->rejected != s->rejected_seen) {
        /* a buy the engine rejected (cash, filters) is no open order: its slot is free again
         * (a filled one was cleared by grid_fill) */
        s->rejected_seen = x->rejected;
        for (int32_t i = 0; i + 1 < s->levels; i++)
            if (s->buy_id[i] != 0 && !order_pending(x, s->buy_id[i]))
                s->buy_id[i] = 0;
    }
    for (int32_t i = 0; i + 1 < s->levels; i++) {
        if (s->buy_id[i] == 0 && s->sell_id[i] == 0 && s->level[i] < c) {
            ct_status st = ct__ctx_place(x, CT_ORDER_LIMIT, s->qty[i], s->level[i], 0, 0, &s->buy_id[i]);
            if (st != CT_OK)
                return st;
        }
    }
    return CT_OK;
}

/* A filled buy of slot i places its sell one level up; a filled sell frees the slot. A rejected
 * buy is noticed by grid_bar when it is no longer pending. The close_at_end fill (order id 0,
 * after the data has ended) is no order of a slot. */
static ct_status grid_fill(void *u, ct_ctx *x)
{
    grid_state *s = u;
    if (x->fill_id == 0)
        return CT_OK;
    for (int32_t i = 0; i + 1 < s->levels; i++) {
        if (s->buy_id[i] == x->fill_id) {
            s->buy_id[i] = 0;
            return ct__ctx_place(x, CT_ORDER_LIMIT, -x->fill_qty, s->level[i + 1], 0, 0, &s->sell_id[i]);
        }
        if (s->sell_id[i] == x->fill_id) {
            s->sell_id[i] = 0;
            return CT_OK;
        }
    }
    return CT_OK;
}

CLASS(k_grid, "grid", "grid bot: a limit buy at each level below the price, sold one level up", k_grid_params,
      grid_create, NULL, grid_bar, grid_fill);

/* ---- buy_hold ---- */

static ct_param_def k_bh_params[] = {
    P(CT_PARAM_REAL, "fraction", 1.0, 0.001, 100, 0.1, "target fraction of equity bought on the first bar"),
};

static ct_status bh_create(void *cu, const double *p, int32_t n, void **inst, char *err, int32_t cap)
{
    double *f = ct__malloc(sizeof(double));
    if (!f)
        return CT_E_NOMEM;
    *f = p[0];
    *inst = f;
    return CT_OK;
}

static ct_status bh_bar(void *u, ct_ctx *x)
{
    if (x->t == 0)
        return ct__ctx_place(x, CT_ORDER_TARGET, *(const double *)u, 0, 0, 0, NULL);
    return CT_OK;
}

CLASS(k_bh, "buy_hold", "buy a target fraction of equity on the first bar and hold", k_bh_params, bh_create, NULL,
      bh_bar, NULL);

const ct_strategy_class *const ct__builtin_classes[] = {&k_rsi, &k_rsi_ma, &k_div, &k_sma, &k_macd, &k_bb, &k_grid, &k_bh};
const int32_t ct__n_builtin_classes = (int32_t)(sizeof(ct__builtin_classes) / sizeof(ct__builtin_classes[0]));
