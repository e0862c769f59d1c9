/*
 * ct_session: the engine loop driven one bar at a time (paper or live trading). Bars are
 * validated into an owned, growing feed; declared indicators are streamed
 * (ct_ind_stream_*, equal to the batch values); the run state and fill rules are the
 * backtest's, so pushing a feed's bars gives the backtest's trades and equity. With a host
 * broker the orders go out through its callback and fills come back through
 * ct_session_report_fill instead of the paper broker.
 */
#include <string.h>

#include "engine/engine_internal.h"
#include "feed/feed_internal.h"

struct ct_session {
    ct__err err;
    ct_ctx x;
    ct_feed *feed;
    ct_strategy *strategy;
    char *params;
    int64_t *funding_time;
    double *funding_rate;
    int32_t started;
    int32_t dead;
    int32_t has_instance;
};

ct_status ct_session_create(const ct_engine *e, const ct_strategy *s, const char *symbol, int64_t interval_ms,
                            ct_session **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!e || !s)
        return ct__fail(NULL, CT_E_INVALID_ARG, "engine or strategy is NULL");
    if (interval_ms <= 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "interval_ms must be > 0");
    ct_session *ss = ct__calloc(1, sizeof(*ss));
    if (!ss)
        return ct__fail(NULL, CT_E_NOMEM, "out of memory creating a session");
    ct__ctx_init(&ss->x, &e->cfg);
    ss->x.session = 1;
    ct_status st = ct_feed_create(symbol, interval_ms, &ss->feed);
    if (st == CT_OK)
        st = ct_strategy_clone(s, &ss->strategy);
    if (st == CT_OK)
        st = ct_strategy_params_json(s, &ss->params);
    if (st == CT_OK && e->n_funding > 0) {
        ss->funding_time = ct__malloc_array((size_t)e->n_funding, sizeof(int64_t));
        ss->funding_rate = ct__malloc_array((size_t)e->n_funding, sizeof(double));
        if (!ss->funding_time || !ss->funding_rate)
            st = ct__fail(NULL, CT_E_NOMEM, "out of memory copying the funding series");
        else {
            memcpy(ss->funding_time, e->funding_time, (size_t)e->n_funding * sizeof(int64_t));
            memcpy(ss->funding_rate, e->funding_rate, (size_t)e->n_funding * sizeof(double));
            ss->x.funding_time = ss->funding_time;
            ss->x.funding_rate = ss->funding_rate;
            ss->x.n_funding = e->n_funding;
        }
    }
    if (st == CT_OK) {
        ss->x.vt = &ss->strategy->cls->vt;
        st = ct__strategy_instantiate(ss->strategy, &ss->err, &ss->x.user);
        ss->has_instance = st == CT_OK && ss->x.vt->create != NULL;
    }
    if (st != CT_OK) {
        ct_session_destroy(ss);
        return st;
    }
    *out = ss;
    return CT_OK;
}

void ct_session_destroy(ct_session *ss)
{
    if (!ss)
        return;
    if (ss->has_instance && ss->x.vt->destroy)
        ss->x.vt->destroy(ss->x.user);
    ct__ctx_free(&ss->x);
    ct_strategy_destroy(ss->strategy);
    ct_feed_destroy(ss->feed);
    ct__free(ss->params);
    ct__free(ss->funding_time);
    ct__free(ss->funding_rate);
    ct__free(ss);
}

const char *ct_session_errmsg(const ct_session *ss) { return ss ? ct__errmsg(&ss->err) : ""; }

ct_status ct_session_set_broker(ct_session *ss, ct_broker_fn fn, void *user)
{
    if (!ss)
        return ct__fail(NULL, CT_E_INVALID_ARG, "session is NULL");
    if (ss->started)
        return ct__fail(&ss->err, CT_E_STATE, "the broker must be set before the first bar");
    ss->x.broker = fn;
    ss->x.broker_user = user;
    return CT_OK;
}

static ct_status fail_session(ct_session *ss, ct_status st)
{
    ss->dead = 1;
    /* The failing push had added its bar, whose equity and position the loop may not have
     * written yet (on_start, an indicator, a fill's on_fill failed first): ct_session_result
     * read them uninitialized. They are the portfolio as the failure left it, marked at the
     * bar's close (what ct_session_equity and ct_session_position say). */
    ct_ctx *x = &ss->x;
    if (x->n > 0 && x->eq && x->posv) {
        int64_t t = x->n - 1;
        x->equity = x->cash + x->pos * x->col[CT_FIELD_CLOSE][t];
        x->eq[t] = x->equity;
        x->posv[t] = x->pos;
    }
    if (st == CT_E_NOMEM)
        return ct__fail(&ss->err, CT_E_NOMEM, "out of memory in the session (it is stopped)");
    return ct__fail(&ss->err, CT_E_PLUGIN, "strategy '%s': %s", ss->strategy->cls->name,
                    ss->x.errmsg[0] ? ss->x.errmsg : "a callback failed");
}

/* Make room for one more bar in the per-bar arrays and the indicator buffers. */
static ct_status grow(ct_session *ss, int64_t need)
{
    ct_ctx *x = &ss->x;
    if (need <= x->cap_bars)
        return CT_OK;
    int64_t ncap = x->cap_bars ? x->cap_bars * 2 : 256;
    double *ne = ct__realloc(x->eq, (size_t)ncap * sizeof(double));
    if (!ne)
        return CT_E_NOMEM;
    x->eq = ne;
    double *np = ct__realloc(x->posv, (size_t)ncap * sizeof(double));
    if (!np)
        return CT_E_NOMEM;
    x->posv = np;
    for (int32_t i = 0; i < x->n_ind; i++)
        for (int32_t k = 0; k < x->ind[i].n_outputs; k++) {
            double *nb = ct__realloc(x->ind[i].buf[k], (size_t)ncap * sizeof(double));
            if (!nb)
                return CT_E_NOMEM;
            x->ind[i].buf[k] = nb;
            x->ind[i].out[k] = nb;
        }
    x->cap_bars = ncap;
    return CT_OK;
}

ct_status ct_session_push(ct_session *ss, int64_t time_ms, double open, double high, double low, double close,
                          double volume)
{
    if (!ss)
        return ct__fail(NULL, CT_E_INVALID_ARG, "session is NULL");
    if (ss->dead)
        return ct__fail(&ss->err, CT_E_STATE, "the session stopped after an earlier failure");
    ct_ctx *x = &ss->x;
    /* validated here first so that the message names the pushed bar by its index in the session
     * ("bar 12: ..."), not as row 0 of a one-row append */
    int64_t n = ss->feed->n;
    ct_status st = ct__feed_check_row(&ss->err, "bar", n, n > 0 ? ss->feed->time[n - 1] : INT64_MIN, time_ms, open,
                                      high, low, close, volume);
    if (st != CT_OK)
        return st;
    st = ct_feed_append(ss->feed, &time_ms, &open, &high, &low, &close, &volume, 1);
    if (st != CT_OK)
        return ct__propagate(&ss->err, st);
    const ct_feed *f = ss->feed;
    if (grow(ss, f->n) != CT_OK) {
        /* keep feed and arrays consistent: the bar is dropped again */
        ss->feed->n--;
        return ct__fail(&ss->err, CT_E_NOMEM, "out of memory pushing a bar");
    }
    x->n = f->n;
    x->time = f->time;
    x->col[CT_FIELD_OPEN] = f->open;
    x->col[CT_FIELD_HIGH] = f->high;
    x->col[CT_FIELD_LOW] = f->low;
    x->col[CT_FIELD_CLOSE] = f->close;
    x->col[CT_FIELD_VOLUME] = f->volume;
    int64_t t = f->n - 1;
    if (!ss->started) {
        ss->started = 1;
        x->t = 0;
        st = ct__ctx_call(x, x->vt->on_start, CT__PH_START, "on_start");
        if (st != CT_OK)
            return fail_session(ss, st);
        for (int32_t i = 0; i < x->n_ind; i++)
            for (int32_t k = 0; k < x->ind[i].n_outputs; k++) {
                if (!(x->ind[i].buf[k] = ct__malloc_array((size_t)x->cap_bars, sizeof(double))))
                    return fail_session(ss, ct__ctx_nomem(x, "for indicator buffers"));
                x->ind[i].out[k] = x->ind[i].buf[k];
            }
    }
    /* the streamed indicators' values at t */
    for (int32_t i = 0; i < x->n_ind; i++) {
        ct__ind_slot *sl = &x->ind[i];
        double in[8], o[8];
        for (int32_t k = 0; k < sl->n_inputs; k++)
            in[k] = x->col[sl->input_field[k]][t];
        st = ct_ind_stream_step(sl->stream, in, o);
        if (st != CT_OK)
            return fail_session(ss, st);
        for (int32_t k = 0; k < sl->n_outputs; k++)
            sl->buf[k][t] = o[k];
    }
    if (!x->broker && x->cfg.fill == CT_FILL_CLOSE && t > 0 && x->n_orders != 0) {
        x->t = t - 1;
        st = ct__ctx_fill_at_close(x);
        if (st != CT_OK)
            return fail_session(ss, st);
    }
    x->t = t;
    st = ct__ctx_fill_bar(x);
    if (st == CT_OK)
        st = ct__ctx_call(x, x->vt->on_bar, CT__PH_BAR, "on_bar");
    if (st != CT_OK)
        return fail_session(ss, st);
    return CT_OK;
}

ct_status ct_session_report_fill(ct_session *ss, int64_t order_id, double qty, double price, double commission)
{
    if (!ss)
        return ct__fail(NULL, CT_E_INVALID_ARG, "session is NULL");
    ct_ctx *x = &ss->x;
    if (!x->broker)
        return ct__fail(&ss->err, CT_E_STATE, "fills are reported only with a host broker (ct_session_set_broker)");
    if (ss->dead || x->n == 0)
        return ct__fail(&ss->err, CT_E_STATE, "no bar pushed yet or the session stopped");
    if (!isfinite(qty) || qty == 0.0 || !(price > 0) || !isfinite(price) || !isfinite(commission))
        return ct__fail(&ss->err, CT_E_INVALID_ARG, "fill needs a non-zero finite qty, price > 0, finite commission");
    int64_t idx = -1;
    for (int64_t i = 0; i < x->n_orders; i++)
        if (x->orders[i].id == order_id && x->orders[i].type >= 0)
            idx = i;
    if (idx < 0)
        return ct__fail(&ss->err, CT_E_NOT_FOUND, "no pending order %lld", (long long)order_id);
    ct__order *o = &x->orders[idx];
    int32_t ty = o->type;
    int by_qty = ty == CT_ORDER_MARKET || ty == CT_ORDER_LIMIT || ty == CT_ORDER_STOP || ty == CT_ORDER_STOP_LIMIT;
    /* an order of a known quantity fills on its side and up to that quantity */
    if (by_qty && (qty > 0) != (o->qty > 0))
        return ct__fail(&ss->err, CT_E_INVALID_ARG, "fill qty %.17g of order %lld is on the other side (order qty %.17g)",
                        qty, (long long)order_id, o->qty);
    if (by_qty && fabs(o->filled + qty) > fabs(o->qty) * (1 + 1e-9))
        return ct__fail(&ss->err, CT_E_INVALID_ARG,
                        "fill qty %.17g overfills order %lld (qty %.17g, %.17g filled before)", qty,
                        (long long)order_id, o->qty, o->filled);
    /* a close, take-profit, stop-loss or trailing stop only reduces the position */
    int closing = ty == CT_ORDER_CLOSE || ty == CT_ORDER_TAKE_PROFIT || ty == CT_ORDER_STOP_LOSS ||
                  ty == CT_ORDER_TRAILING_STOP;
    if (closing && (x->pos == 0.0 || (qty > 0) == (x->pos > 0) || fabs(qty) > fabs(x->pos) * (1 + 1e-9)))
        return ct__fail(&ss->err, CT_E_INVALID_ARG,
                        "fill qty %.17g of order %lld, which closes the position, does not reduce position %.17g", qty,
                        (long long)order_id, x->pos);
    o->filled += qty;
    if (!by_qty || fabs(o->filled) >= fabs(o->qty) * (1 - 1e-12))
        o->type = -1;
    x->t = x->n - 1;
    x->in_pass = 1;
    ct_status st = ct__ctx_apply_fill(x, order_id, qty, price, commission, 0);
    x->in_pass = 0;
    /* drop finished orders (apply_fill may have cancelled attached ones) */
    int64_t k = 0;
    for (int64_t i = 0; i < x->n_orders; i++)
        if (x->orders[i].type >= 0)
            x->orders[k++] = x->orders[i];
    x->n_orders = k;
    if (st != CT_OK)
        return fail_session(ss, st);
    double c = x->col[CT_FIELD_CLOSE][x->t];
    x->equity = x->cash + x->pos * c;
    x->eq[x->t] = x->equity;
    x->posv[x->t] = x->pos;
    return CT_OK;
}

int64_t ct_session_len(const ct_session *ss) { return ss ? ss->x.n : 0; }
double ct_session_position(const ct_session *ss) { return ss ? ss->x.pos : CT__NAN; }
double ct_session_cash(const ct_session *ss) { return ss ? ss->x.cash : CT__NAN; }
double ct_session_equity(const ct_session *ss) { return ss ? ss->x.equity : CT__NAN; }

ct_status ct_session_result(ct_session *ss, ct_result **out)
{
    if (out)
        *out = NULL;
    if (!ss || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "session or out is NULL");
    ct_status st = ct__ctx_build_result(&ss->x, ss->strategy->cls->name, ss->feed->symbol, ss->feed->interval_ms,
                                        ss->params, ct__feed_hash(ss->feed), 0, out);
    if (st != CT_OK)
        return ct__fail(&ss->err, st, "out of memory building the session result");
    return CT_OK;
}
