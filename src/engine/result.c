/*
 * ct_result: construction from a finished run (the engine hands over its per-bar arrays) and
 * the accessors of include/cryptota/result.h (the JSON, report and cache key live with the
 * metrics module).
 */
#include <math.h>
#include <string.h>

#include "engine/engine_internal.h"

ct_result *ct__result_new(void)
{
    ct_result *r = ct__calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->strategy = ct__strdup("");
    r->symbol = ct__strdup("");
    r->params_json = ct__strdup("{}");
    r->config_json = ct__strdup("{}");
    r->n_held = -1;
    if (!r->strategy || !r->symbol || !r->params_json || !r->config_json) {
        ct_result_destroy(r);
        return NULL;
    }
    return r;
}

void ct_result_destroy(ct_result *r)
{
    if (!r)
        return;
    ct__free(r->strategy);
    ct__free(r->symbol);
    ct__free(r->params_json);
    ct__free(r->config_json);
    ct__free(r->time);
    ct__free(r->equity);
    ct__free(r->position);
    ct__free(r->close);
    ct__free(r->trades);
    ct__free(r->bench_time);
    ct__free(r->bench_value);
    ct__free(r->metrics);
    ct__free(r);
}

static int replace_str(char **dst, const char *src)
{
    char *s = ct__strdup(src ? src : "");
    if (!s)
        return 0;
    ct__free(*dst);
    *dst = s;
    return 1;
}

static void *dup_mem(const void *p, size_t size)
{
    void *q = ct__big_array((int64_t)(size ? size : 1), 1);
    if (q && size)
        memcpy(q, p, size);
    return q;
}

ct_status ct__ctx_build_result(ct_ctx *x, const char *strategy, const char *symbol, int64_t interval_ms,
                               const char *params_json, uint64_t feed_hash, int32_t steal, ct_result **out)
{
    *out = NULL;
    ct_result *r = ct__result_new();
    if (!r)
        return CT_E_NOMEM;
    char *cfg = ct__config_json(&x->cfg);
    int64_t n = x->n;
    int ok = cfg && replace_str(&r->strategy, strategy) && replace_str(&r->symbol, symbol) &&
             replace_str(&r->params_json, params_json);
    if (ok) {
        ct__free(r->config_json);
        r->config_json = cfg;
        cfg = NULL;
    }
    ct__free(cfg);
    size_t nb = (size_t)(n > 0 ? n : 0);
    if (ok) {
        r->time = dup_mem(x->time, nb * sizeof(int64_t));
        r->close = dup_mem(x->col[CT_FIELD_CLOSE], nb * sizeof(double));
        if (steal) {
            r->equity = x->eq;
            r->position = x->posv;
            x->eq = NULL;
            x->posv = NULL;
            r->trades = x->trades ? x->trades : ct__malloc(sizeof(ct_trade));
            x->trades = NULL;
        } else {
            r->equity = dup_mem(x->eq, nb * sizeof(double));
            r->position = dup_mem(x->posv, nb * sizeof(double));
            r->trades = dup_mem(x->trades, (size_t)x->n_trades * sizeof(ct_trade));
        }
        ok = r->time && r->close && r->equity && r->position && r->trades;
        r->n_held = x->n_held;
    }
    if (!ok) {
        ct_result_destroy(r);
        return CT_E_NOMEM;
    }
    r->interval_ms = interval_ms;
    r->n = n;
    r->n_trades = x->n_trades;
    r->has_open = x->pos != 0.0;
    if (r->has_open) {
        r->open_qty = x->pos;
        r->open_entry_price = ct_ctx_entry_price(x);
        r->open_entry_time = x->time[x->tr.entry_bar];
        r->open_entry_bar = x->tr.entry_bar;
    }
    int64_t pending = 0;
    for (int64_t i = 0; i < x->n_orders; i++) {
        int32_t ty = x->orders[i].type;
        pending += ty >= 0 && ty != CT_ORDER_TAKE_PROFIT && ty != CT_ORDER_STOP_LOSS && ty != CT_ORDER_TRAILING_STOP;
    }
    r->pending_at_end = pending;
    r->rejected_orders = x->rejected;
    r->final_cash = x->cash;
    r->capital = x->cfg.capital;
    r->total_commission = x->total_comm;
    r->turnover = x->turnover;
    r->n_fills = x->n_fills;
    r->total_funding = x->total_funding;
    r->periods_per_year = x->cfg.periods_per_year;
    r->risk_free = x->cfg.risk_free;
    r->metrics_daily = x->cfg.metrics_freq == CT_FREQ_DAILY;
    r->feed_hash = feed_hash;
    *out = r;
    return CT_OK;
}

const char *ct_result_errmsg(const ct_result *r) { return r ? ct__errmsg(&r->err) : ""; }
const char *ct_result_strategy(const ct_result *r) { return r ? r->strategy : ""; }
const char *ct_result_symbol(const ct_result *r) { return r ? r->symbol : ""; }
int64_t ct_result_interval_ms(const ct_result *r) { return r ? r->interval_ms : 0; }
const char *ct_result_params_json(const ct_result *r) { return r ? r->params_json : "{}"; }
const char *ct_result_config_json(const ct_result *r) { return r ? r->config_json : "{}"; }
int64_t ct_result_len(const ct_result *r) { return r ? r->n : 0; }
const double *ct_result_equity_ptr(const ct_result *r) { return r ? r->equity : NULL; }
const int64_t *ct_result_time_ptr(const ct_result *r) { return r ? r->time : NULL; }
const double *ct_result_position_ptr(const ct_result *r) { return r ? r->position : NULL; }
int64_t ct_result_trade_count(const ct_result *r) { return r ? r->n_trades : 0; }
int64_t ct_result_pending_at_end(const ct_result *r) { return r ? r->pending_at_end : 0; }
int64_t ct_result_rejected_orders(const ct_result *r) { return r ? r->rejected_orders : 0; }
double ct_result_final_cash(const ct_result *r) { return r ? r->final_cash : CT__NAN; }

double ct_result_final_equity(const ct_result *r)
{
    if (!r)
        return CT__NAN;
    return r->n > 0 ? r->equity[r->n - 1] : r->capital;
}

ct_status ct_result_equity(const ct_result *r, int64_t *time_ms, double *equity, int64_t cap, int64_t *n_total)
{
    if (!r || cap < 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "result is NULL or cap < 0");
    if (n_total)
        *n_total = r->n;
    int64_t k = cap < r->n ? cap : r->n;
    if (time_ms && k > 0)
        memcpy(time_ms, r->time, (size_t)k * sizeof(int64_t));
    if (equity && k > 0)
        memcpy(equity, r->equity, (size_t)k * sizeof(double));
    return CT_OK;
}

ct_status ct_result_trades(const ct_result *r, ct_trade *buf, int64_t cap, int64_t *n_total)
{
    if (!r || cap < 0 || (cap > 0 && !buf))
        return ct__fail(NULL, CT_E_INVALID_ARG, "result is NULL, cap < 0 or buf is NULL with cap > 0");
    if (n_total)
        *n_total = r->n_trades;
    int64_t k = cap < r->n_trades ? cap : r->n_trades;
    for (int64_t i = 0; i < k; i++) {
        uint32_t sz = buf[i].struct_size;
        if (sz < sizeof(uint32_t) + sizeof(int32_t))
            return ct__fail(NULL, CT_E_INVALID_ARG, "buf[%lld].struct_size %u is too small (set it to sizeof(ct_trade))",
                            (long long)i, (unsigned)sz);
        size_t cp = sz < sizeof(ct_trade) ? sz : sizeof(ct_trade);
        memcpy((char *)&buf[i] + sizeof(uint32_t), (const char *)&r->trades[i] + sizeof(uint32_t),
               cp - sizeof(uint32_t));
    }
    return CT_OK;
}

ct_status ct_result_open_position(const ct_result *r, int32_t *has_open, double *qty, double *entry_price,
                                  int64_t *entry_time_ms, int64_t *entry_bar)
{
    if (!r || !has_open)
        return ct__fail(NULL, CT_E_INVALID_ARG, "result or has_open is NULL");
    *has_open = r->has_open;
    if (qty)
        *qty = r->has_open ? r->open_qty : 0.0;
    if (entry_price)
        *entry_price = r->has_open ? r->open_entry_price : CT__NAN;
    if (entry_time_ms)
        *entry_time_ms = r->has_open ? r->open_entry_time : 0;
    if (entry_bar)
        *entry_bar = r->has_open ? r->open_entry_bar : -1;
    return CT_OK;
}
