/*
 * The run state behind ct_ctx: order placement, the fill rules of DESIGN.md section 7 (market
 * at the open or at the close, limit / stop / stop-limit / take-profit / stop-loss / trailing
 * stop triggering on the bar's range, gaps filling at the open, stop before limit when both
 * can fill), sizing (target fraction with backtrader's cash check), commission, slippage,
 * exchange filters, shorting and leverage, funding, round-trip trades with MAE/MFE, and the
 * public ct_ctx accessors.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine_internal.h"

#define ORDER_DONE (-1)

static int is_market(int32_t type)
{
    return type == CT_ORDER_MARKET || type == CT_ORDER_TARGET || type == CT_ORDER_CLOSE || type == CT_ORDER_NOTIONAL;
}

static int is_attached(int32_t type)
{
    return type == CT_ORDER_TAKE_PROFIT || type == CT_ORDER_STOP_LOSS || type == CT_ORDER_TRAILING_STOP;
}

ct_status ct__ctx_init(ct_ctx *x, const ct__config *cfg)
{
    memset(x, 0, sizeof(*x));
    x->cfg = *cfg;
    x->cash = cfg->capital;
    x->equity = cfg->capital;
    x->next_id = 1;
    x->n_held = -1;
    return CT_OK;
}

void ct__ctx_free(ct_ctx *x)
{
    for (int32_t i = 0; i < x->n_ind; i++) {
        ct_ind_stream_free(x->ind[i].stream);
        for (int32_t k = 0; k < 8; k++)
            ct__free(x->ind[i].buf[k]);
    }
    ct__free(x->ind);
    ct__free(x->orders);
    ct__free(x->trades);
    ct__free(x->eq);
    ct__free(x->posv);
    x->ind = NULL;
    x->orders = NULL;
    x->trades = NULL;
    x->eq = NULL;
    x->posv = NULL;
}

ct_status ct__ctx_nomem(ct_ctx *x, const char *what)
{
    x->nomem = 1;
    x->failed = 1;
    x->fail_status = CT_E_NOMEM;
    snprintf(x->errmsg, sizeof(x->errmsg), "out of memory %s", what);
    return ct__fail(NULL, CT_E_NOMEM, "out of memory %s", what);
}

static double round_tick(double p, double tick, int mode)
{
    if (!(tick > 0))
        return p;
    double k = p / tick;
    if (mode > 0)
        k = ceil(k - 1e-9);
    else if (mode < 0)
        k = floor(k + 1e-9);
    else
        k = floor(k + 0.5);
    return k * tick;
}

static void compact_orders(ct_ctx *x);

/* Tell a host broker (if any) that its order `id` is cancelled. A failing broker fails the run,
 * as it does when placing. */
static ct_status broker_cancel(ct_ctx *x, int64_t id, int32_t type)
{
    if (!x->broker)
        return CT_OK;
    ct_status st = x->broker(x->broker_user, 1, id, type, 0, 0, 0);
    if (st == CT_OK)
        return CT_OK;
    x->failed = 1;
    x->fail_status = CT_E_PLUGIN;
    snprintf(x->errmsg, sizeof(x->errmsg), "broker callback failed cancelling order %lld", (long long)id);
    return ct__fail(NULL, CT_E_PLUGIN, "%s", x->errmsg);
}

/*
 * Cancel the pending attached orders of kind `type` (-1: every kind), when a new one replaces
 * its kind or a fill makes the position flat. A host broker gets a cancel event for each, as
 * for ct_ctx_cancel: it holds these orders on the exchange, where they would stay live.
 */
static ct_status drop_attached(ct_ctx *x, int32_t type)
{
    ct_status st = CT_OK;
    for (int64_t i = 0; i < x->n_orders && st == CT_OK; i++) {
        ct__order *o = &x->orders[i];
        if (is_attached(o->type) && (type < 0 || o->type == type)) {
            int32_t was = o->type;
            o->type = ORDER_DONE;
            st = broker_cancel(x, o->id, was);
        }
    }
    if (!x->in_pass)
        compact_orders(x);
    return st;
}

ct_status ct__ctx_place(ct_ctx *x, int32_t type, double qty, double price, double stop, int32_t is_percent, int64_t *id)
{
    if (id)
        *id = 0;
    if (x->phase == CT__PH_NONE || x->phase == CT__PH_FINISH)
        return ct__fail(NULL, CT_E_STATE, "orders can be placed only in on_start, on_bar or on_fill");
    if (x->ended)
        return ct__fail(NULL, CT_E_STATE, "the data has ended: an order placed after the last bar could never fill");
    if (!isfinite(qty) || !isfinite(price) || !isfinite(stop))
        return ct__fail(NULL, CT_E_INVALID_ARG, "order quantity and prices must be finite");
    switch (type) {
    case CT_ORDER_MARKET:
    case CT_ORDER_NOTIONAL:
        if (qty == 0.0)
            return ct__fail(NULL, CT_E_INVALID_ARG, "order quantity is 0");
        break;
    case CT_ORDER_LIMIT:
    case CT_ORDER_TAKE_PROFIT:
        if (type == CT_ORDER_LIMIT && qty == 0.0)
            return ct__fail(NULL, CT_E_INVALID_ARG, "order quantity is 0");
        if (!(price > 0))
            return ct__fail(NULL, CT_E_INVALID_ARG, "limit price must be > 0");
        break;
    case CT_ORDER_STOP:
    case CT_ORDER_STOP_LOSS:
        if (type == CT_ORDER_STOP && qty == 0.0)
            return ct__fail(NULL, CT_E_INVALID_ARG, "order quantity is 0");
        if (!(stop > 0))
            return ct__fail(NULL, CT_E_INVALID_ARG, "stop price must be > 0");
        break;
    case CT_ORDER_STOP_LIMIT:
        if (qty == 0.0)
            return ct__fail(NULL, CT_E_INVALID_ARG, "order quantity is 0");
        if (!(stop > 0) || !(price > 0))
            return ct__fail(NULL, CT_E_INVALID_ARG, "stop and limit prices must be > 0");
        break;
    case CT_ORDER_TRAILING_STOP:
        if (!(stop > 0) || (is_percent && !(stop < 1)))
            return ct__fail(NULL, CT_E_INVALID_ARG, "trailing amount must be > 0 (and < 1 as a fraction)");
        break;
    case CT_ORDER_TARGET:
        if (fabs(qty) > 1000.0)
            return ct__fail(NULL, CT_E_INVALID_ARG, "target fraction %.17g is outside [-1000, 1000]", qty);
        break;
    case CT_ORDER_CLOSE:
        break;
    default:
        return ct__fail(NULL, CT_E_INVALID_ARG, "unknown order type %d", (int)type);
    }
    if (x->cfg.tick_size > 0) {
        /* a price that rounds to 0 (below half a tick) or overflows is no price: such an order
         * would trigger at once (a stop buy at 0) or never, at a level nobody asked for */
        double p0 = price, s0 = stop;
        if (p0 > 0)
            price = round_tick(p0, x->cfg.tick_size, 0);
        if (s0 > 0 && type != CT_ORDER_TRAILING_STOP)
            stop = round_tick(s0, x->cfg.tick_size, 0);
        if (p0 > 0 && !(price > 0 && isfinite(price)))
            return ct__fail(NULL, CT_E_INVALID_ARG, "limit price %.17g rounds to %.17g at tick_size %.17g", p0, price,
                            x->cfg.tick_size);
        if (s0 > 0 && type != CT_ORDER_TRAILING_STOP && !(stop > 0 && isfinite(stop)))
            return ct__fail(NULL, CT_E_INVALID_ARG, "stop price %.17g rounds to %.17g at tick_size %.17g", s0, stop,
                            x->cfg.tick_size);
    }
    /* a new take-profit / stop-loss / trailing stop replaces the previous one */
    if (is_attached(type)) {
        ct_status st = drop_attached(x, type);
        if (st != CT_OK)
            return st;
    }
    if (x->n_orders == x->cap_orders) {
        int64_t ncap = x->cap_orders ? x->cap_orders * 2 : 16;
        ct__order *no = ct__realloc(x->orders, (size_t)ncap * sizeof(*no));
        if (!no)
            return ct__ctx_nomem(x, "placing an order");
        x->orders = no;
        x->cap_orders = ncap;
    }
    ct__order *o = &x->orders[x->n_orders++];
    memset(o, 0, sizeof(*o));
    int64_t oid = x->next_id++;
    o->id = oid;
    o->type = type;
    o->qty = qty;
    o->price = price;
    o->stop = stop;
    o->is_percent = is_percent;
    o->extreme = (type == CT_ORDER_TRAILING_STOP && x->pos != 0.0 && x->t < x->n) ? x->col[CT_FIELD_CLOSE][x->t] : CT__NAN;
    if (id)
        *id = oid;
    if (x->broker) {
        /* o is not read after the call: a host may report the fill from inside it
         * (ct_session_report_fill), whose on_fill can move the order array */
        ct_status st = x->broker(x->broker_user, 0, oid, type, qty, price, stop);
        if (st != CT_OK) {
            x->failed = 1;
            x->fail_status = CT_E_PLUGIN;
            snprintf(x->errmsg, sizeof(x->errmsg), "broker callback failed placing order %lld with %s",
                     (long long)oid, ct_status_name(st));
            return ct__fail(NULL, CT_E_PLUGIN, "%s", x->errmsg);
        }
    }
    return CT_OK;
}

/* Remove the orders marked done, keeping placement order. */
static void compact_orders(ct_ctx *x)
{
    int64_t k = 0;
    for (int64_t i = 0; i < x->n_orders; i++)
        if (x->orders[i].type != ORDER_DONE)
            x->orders[k++] = x->orders[i];
    x->n_orders = k;
}

ct_status ct__ctx_call(ct_ctx *x, ct_status (*fn)(void *, ct_ctx *), int32_t phase, const char *what)
{
    if (!fn)
        return CT_OK;
    int32_t saved = x->phase;
    x->phase = phase;
    ct_status st = fn(x->user, x);
    x->phase = saved;
    if (x->nomem)
        return CT_E_NOMEM;
    if (x->failed && x->fail_status == CT_E_PLUGIN && st == CT_OK)
        return CT_E_PLUGIN; /* the broker failed inside the callback */
    if (st != CT_OK) {
        if (st == CT_E_NOMEM)
            return ct__ctx_nomem(x, what);
        ct__ctx_fail_message(x, phase, what, st);
        x->failed = 1;
        x->fail_status = CT_E_PLUGIN;
        return CT_E_PLUGIN;
    }
    return CT_OK;
}

/*
 * A message counts only if the failing call itself set it: one recorded by an earlier callback
 * that then returned CT_OK is stale. A call is identified by its phase and bar, and for on_fill
 * (several per bar) by the fill count. A failure the library recorded itself (x->failed: a host
 * broker that failed) keeps its message.
 */
void ct__ctx_fail_message(ct_ctx *x, int32_t phase, const char *what, ct_status st)
{
    if (x->failed)
        return;
    if (x->errmsg[0] && x->msg_phase == phase && x->msg_t == x->t &&
        (phase != CT__PH_FILL || x->msg_fills == x->n_fills))
        return;
    snprintf(x->errmsg, sizeof(x->errmsg), "%s returned %s at bar %lld", what, ct_status_name(st), (long long)x->t);
}

/* ---- trades ---- */

static ct_status push_trade(ct_ctx *x)
{
    const ct__trade_state *s = &x->tr;
    if (x->n_trades == x->cap_trades) {
        int64_t ncap = x->cap_trades ? x->cap_trades * 2 : 64;
        ct_trade *nt = ct__realloc(x->trades, (size_t)ncap * sizeof(*nt));
        if (!nt)
            return ct__ctx_nomem(x, "recording a trade");
        x->trades = nt;
        x->cap_trades = ncap;
    }
    ct_trade *tr = &x->trades[x->n_trades++];
    memset(tr, 0, sizeof(*tr));
    tr->struct_size = sizeof(ct_trade);
    tr->side = s->side;
    tr->entry_time_ms = x->time[s->entry_bar];
    tr->exit_time_ms = x->time[x->t];
    tr->entry_bar = s->entry_bar;
    tr->exit_bar = x->t;
    tr->bars_held = x->t - s->entry_bar;
    tr->qty = s->qty_in;
    tr->entry_price = s->n_entries == 1 ? s->entry_price1 : s->entry_notional / s->qty_in;
    tr->exit_price = s->n_exits == 1 ? s->exit_price1 : s->exit_notional / s->qty_out;
    tr->entry_commission = s->entry_comm;
    tr->exit_commission = s->exit_comm;
    tr->pnl_gross = (double)s->side * tr->qty * (tr->exit_price - tr->entry_price);
    tr->pnl_net = tr->pnl_gross - tr->entry_commission - tr->exit_commission;
    double basis = tr->qty * tr->entry_price + tr->entry_commission;
    tr->ret = basis > 0 ? tr->pnl_net / basis : 0.0;
    if (s->side > 0) {
        tr->mae = fmin(s->lo / tr->entry_price - 1.0, 0.0);
        tr->mfe = fmax(s->hi / tr->entry_price - 1.0, 0.0);
    } else {
        tr->mae = fmin(1.0 - s->hi / tr->entry_price, 0.0);
        tr->mfe = fmax(1.0 - s->lo / tr->entry_price, 0.0);
    }
    return CT_OK;
}

static void open_trade(ct_ctx *x, double q, double price, double fee, int32_t at_open)
{
    ct__trade_state *s = &x->tr;
    memset(s, 0, sizeof(*s));
    s->side = q > 0 ? 1 : -1;
    s->entry_bar = x->t;
    s->entry_time = x->time[x->t];
    s->qty_in = fabs(q);
    s->entry_notional = fabs(q) * price;
    s->entry_price1 = price;
    s->n_entries = 1;
    s->entry_comm = fee;
    s->lo = price;
    s->hi = price;
    s->held_from_open = at_open;
}

ct_status ct__ctx_apply_fill(ct_ctx *x, int64_t order_id, double q, double price, double fee, int32_t at_open)
{
    double old = x->pos;
    x->cash -= q * price;
    x->cash -= fee;
    double np = old + q;
    if (fabs(np) <= 1e-12 * fmax(fabs(old), fabs(q)))
        np = 0.0; /* dust left by rounding when closing in several fills */
    x->pos = np;
    x->total_comm += fee;
    x->turnover += fabs(q) * price;
    x->n_fills++;
    ct__trade_state *s = &x->tr;
    if (old == 0.0) {
        open_trade(x, q, price, fee, at_open);
    } else if ((q > 0) == (old > 0)) {
        s->qty_in += fabs(q);
        s->entry_notional += fabs(q) * price;
        s->n_entries++;
        s->entry_comm += fee;
        s->lo = fmin(s->lo, price);
        s->hi = fmax(s->hi, price);
    } else {
        double closing = fmin(fabs(q), fabs(old));
        double fee_close = closing == fabs(q) ? fee : fee * closing / fabs(q);
        s->qty_out += closing;
        s->exit_notional += closing * price;
        if (s->n_exits++ == 0)
            s->exit_price1 = price;
        s->exit_comm += fee_close;
        s->lo = fmin(s->lo, price);
        s->hi = fmax(s->hi, price);
        if (np == 0.0 || (np > 0) != (old > 0)) {
            /* the round trip ends here; a reversal opens the next one with the rest */
            s->qty_in = s->qty_out > s->qty_in ? s->qty_out : s->qty_in;
            ct_status st = push_trade(x);
            if (st != CT_OK)
                return st;
            if (np != 0.0)
                open_trade(x, np, price, fee - fee_close, at_open);
            else
                memset(s, 0, sizeof(*s));
        }
    }
    if (np == 0.0 && old != 0.0) {
        ct_status st = drop_attached(x, -1);
        if (st != CT_OK)
            return st;
    }
    x->fill_id = order_id;
    x->fill_qty = q;
    x->fill_price = price;
    x->fill_comm = fee;
    if (x->vt && x->vt->on_fill)
        return ct__ctx_call(x, x->vt->on_fill, CT__PH_FILL, "on_fill");
    return CT_OK;
}

/* Does a fill of q at p keep the account within its limits? */
static int margin_ok(const ct_ctx *x, double q, double p, double rate)
{
    double np = x->pos + q;
    if (fabs(np) <= fabs(x->pos) && (np == 0.0 || (np > 0) == (x->pos > 0)))
        return 1; /* reduces exposure */
    if (np >= 0 && x->cfg.leverage == 1.0)
        return (x->cash - q * p) - fabs(q) * rate * p >= 0; /* backtrader's cash check */
    double cash_after = x->cash - q * p - fabs(q) * rate * p;
    return fabs(np) * p <= x->cfg.leverage * (cash_after + np * p);
}

static double slip(const ct_ctx *x, double p, double q)
{
    if (x->cfg.slippage_bps > 0)
        p = q > 0 ? p * (1.0 + x->cfg.slippage_bps * 1e-4) : p * (1.0 - x->cfg.slippage_bps * 1e-4);
    if (x->cfg.tick_size > 0)
        p = round_tick(p, x->cfg.tick_size, q > 0 ? 1 : -1);
    return p;
}

/*
 * Fill order o at reference price p (the open, the close, or the trigger / limit price).
 * taker: market-like fill (taker rate, slippage); else maker rate at p exactly. The order is
 * marked done whether it fills, is rejected or has nothing to do.
 */
static ct_status fill_order(ct_ctx *x, ct__order *o, double p, int taker, int32_t at_open)
{
    double rate = taker ? x->cfg.taker : x->cfg.maker;
    int64_t id = o->id;
    int32_t type = o->type;
    double oqty = o->qty;
    o->type = ORDER_DONE;
    double q;
    switch (type) {
    case CT_ORDER_CLOSE:
    case CT_ORDER_TAKE_PROFIT:
    case CT_ORDER_STOP_LOSS:
    case CT_ORDER_TRAILING_STOP:
        q = -x->pos;
        break;
    case CT_ORDER_NOTIONAL:
        q = oqty / p;
        break;
    case CT_ORDER_TARGET: {
        double e = x->cash + x->pos * p;
        q = oqty * e / (p * (1.0 + rate)) - x->pos;
        break;
    }
    default:
        q = oqty;
    }
    if (q == 0.0 || !isfinite(q))
        return CT_OK;
    double fp = taker ? slip(x, p, q) : p;
    if (type == CT_ORDER_TARGET && fp != p) {
        double e = x->cash + x->pos * fp;
        q = oqty * e / (fp * (1.0 + rate)) - x->pos;
    } else if (type == CT_ORDER_NOTIONAL && fp != p) {
        q = oqty / fp;
    }
    if (!x->cfg.allow_short && x->pos + q < 0) {
        q = -x->pos;
        if (q == 0.0) {
            x->rejected++;
            return CT_OK;
        }
    }
    int ok = margin_ok(x, q, fp, rate);
    if (!ok && type == CT_ORDER_TARGET) {
        /* beyond what leverage allows: the largest position it allows on this side,
         * |q| * p * (1 + L * rate) <= L * equity (from flat) */
        double e = x->cash + x->pos * fp;
        double qmax = x->cfg.leverage * e / (fp * (1.0 + x->cfg.leverage * rate));
        double q2 = copysign(qmax, q) - x->pos;
        if (fabs(q2) < fabs(q) && (q2 > 0) == (q > 0)) {
            q = q2;
            ok = margin_ok(x, q, fp, rate);
        }
        /* the largest double below the formula's quantity that passes the check (with a lot
         * step, the largest multiple of the step: below) */
        for (int i = 0; i < 64 && !ok && x->cfg.lot_step <= 0; i++) {
            q = nextafter(q, 0.0);
            ok = margin_ok(x, q, fp, rate);
        }
    }
    if (x->cfg.lot_step > 0) {
        double k = floor(fabs(q) / x->cfg.lot_step + 1e-9);
        /* a target cut to the leverage limit: the largest multiple of the step within it (the
         * tolerance above may round up by one step) */
        for (int i = 0; type == CT_ORDER_TARGET && i < 64 && k > 0; i++) {
            if (margin_ok(x, copysign(k * x->cfg.lot_step, q), fp, rate))
                break;
            k -= 1;
        }
        q = copysign(k * x->cfg.lot_step, q);
        if (q == 0.0) {
            x->rejected++;
            return CT_OK;
        }
        ok = margin_ok(x, q, fp, rate);
    }
    if (x->cfg.min_notional > 0 && fabs(q) * fp < x->cfg.min_notional) {
        x->rejected++;
        return CT_OK;
    }
    if (!ok) {
        x->rejected++;
        return CT_OK;
    }
    double fee = fabs(q) * rate * fp;
    return ct__ctx_apply_fill(x, id, q, fp, fee, at_open);
}

/* Trailing stop level for the current position (NaN if not computable). */
static double trail_level(const ct_ctx *x, ct__order *o)
{
    if (isnan(o->extreme))
        o->extreme = x->tr.entry_price1;
    if (x->pos > 0)
        return o->is_percent ? o->extreme * (1.0 - o->stop) : o->extreme - o->stop;
    return o->is_percent ? o->extreme * (1.0 + o->stop) : o->extreme + o->stop;
}

/* Stop-type check of order o against [lo, hi] (at the open: lo = hi = open). Returns 1 and the
 * fill price when it triggers. For attached orders the side comes from the position. */
static int stop_hit(const ct_ctx *x, ct__order *o, double lo, double hi, double *fp)
{
    double s;
    int sell;
    switch (o->type) {
    case CT_ORDER_STOP:
    case CT_ORDER_STOP_LIMIT:
        if (o->triggered)
            return 0; /* a triggered stop-limit is a limit order now */
        s = o->stop;
        sell = o->qty < 0;
        break;
    case CT_ORDER_STOP_LOSS:
        if (x->pos == 0.0)
            return 0;
        s = o->stop;
        sell = x->pos > 0;
        break;
    case CT_ORDER_TRAILING_STOP:
        if (x->pos == 0.0)
            return 0;
        s = trail_level(x, o);
        sell = x->pos > 0;
        break;
    default:
        return 0;
    }
    if (sell ? lo <= s : hi >= s) {
        *fp = lo == hi ? lo : s;
        return 1;
    }
    return 0;
}

static int limit_hit(const ct_ctx *x, const ct__order *o, double lo, double hi, double *fp)
{
    double p = o->price;
    int sell;
    if (o->type == CT_ORDER_LIMIT || (o->type == CT_ORDER_STOP_LIMIT && o->triggered))
        sell = o->qty < 0;
    else if (o->type == CT_ORDER_TAKE_PROFIT) {
        if (x->pos == 0.0)
            return 0;
        sell = x->pos > 0;
    } else
        return 0;
    if (sell ? hi >= p : lo <= p) {
        *fp = lo == hi ? lo : p;
        return 1;
    }
    return 0;
}

/* One pass over the orders pending before this bar (indices < n0). kind 0: at the open;
 * 1: stop-type intrabar; 2: limit-type intrabar. */
static ct_status pass(ct_ctx *x, int64_t n0, int kind, double o_, double lo, double hi)
{
    for (int64_t i = 0; i < n0 && !x->failed; i++) {
        ct__order *o = &x->orders[i];
        double fp;
        ct_status st = CT_OK;
        if (o->type == ORDER_DONE)
            continue;
        if (kind == 0) {
            if (is_market(o->type)) {
                st = fill_order(x, o, o_, 1, 1);
            } else if (o->type == CT_ORDER_STOP_LIMIT && !o->triggered) {
                if (stop_hit(x, o, o_, o_, &fp)) {
                    o->triggered = 1;
                    if (limit_hit(x, o, o_, o_, &fp))
                        st = fill_order(x, o, o_, 0, 1);
                }
            } else if (stop_hit(x, o, o_, o_, &fp)) {
                st = fill_order(x, o, fp, 1, 1);
            } else if (limit_hit(x, o, o_, o_, &fp)) {
                st = fill_order(x, o, fp, 0, 1);
            }
        } else if (kind == 1) {
            if (o->type == CT_ORDER_STOP_LIMIT && !o->triggered) {
                if (stop_hit(x, o, lo, hi, &fp)) {
                    o->triggered = 1;
                    /* reached the stop: fills at once if the stop is within the limit */
                    if ((o->qty > 0) ? o->stop <= o->price : o->stop >= o->price)
                        st = fill_order(x, o, o->stop, 0, 0);
                }
            } else if (stop_hit(x, o, lo, hi, &fp)) {
                st = fill_order(x, o, fp, 1, 0);
            }
        } else {
            if (limit_hit(x, o, lo, hi, &fp))
                st = fill_order(x, o, fp, 0, 0);
        }
        if (st != CT_OK)
            return st;
    }
    return CT_OK;
}

ct_status ct__ctx_fill_bar(ct_ctx *x)
{
    int64_t t = x->t;
    double o_ = x->col[CT_FIELD_OPEN][t];
    double hi = x->col[CT_FIELD_HIGH][t];
    double lo = x->col[CT_FIELD_LOW][t];
    double c = x->col[CT_FIELD_CLOSE][t];
    /* (0) funding events up to this bar's open time, on the position held into it */
    while (x->funding_next < x->n_funding && x->funding_time[x->funding_next] <= x->time[t]) {
        if (x->pos != 0.0 && (t > 0 || x->funding_time[x->funding_next] == x->time[t])) {
            double pay = x->pos * o_ * x->funding_rate[x->funding_next];
            x->cash -= pay;
            x->total_funding += pay;
        }
        x->funding_next++;
    }
    /* (1) fills */
    if (x->n_orders != 0 && !x->broker) {
        int64_t n0 = x->n_orders;
        x->in_pass = 1;
        ct_status st = pass(x, n0, 0, o_, lo, hi);
        if (st == CT_OK)
            st = pass(x, n0, x->cfg.stop_first ? 1 : 2, o_, lo, hi);
        if (st == CT_OK)
            st = pass(x, n0, x->cfg.stop_first ? 2 : 1, o_, lo, hi);
        x->in_pass = 0;
        if (st != CT_OK)
            return st;
        /* trailing stops follow the bar's extreme after it was checked */
        for (int64_t i = 0; i < x->n_orders; i++) {
            ct__order *od = &x->orders[i];
            if (od->type == CT_ORDER_TRAILING_STOP && x->pos != 0.0) {
                if (isnan(od->extreme))
                    od->extreme = x->tr.entry_price1;
                od->extreme = x->pos > 0 ? fmax(od->extreme, hi) : fmin(od->extreme, lo);
            }
        }
        compact_orders(x);
    }
    /* (2) mark to market */
    x->equity = x->cash + x->pos * c;
    x->eq[t] = x->equity;
    x->posv[t] = x->pos;
    if (x->pos != 0.0 && (x->tr.entry_bar < t || x->tr.held_from_open)) {
        x->tr.lo = fmin(x->tr.lo, lo);
        x->tr.hi = fmax(x->tr.hi, hi);
    }
    return CT_OK;
}

ct_status ct__ctx_fill_at_close(ct_ctx *x)
{
    int64_t t = x->t;
    double c = x->col[CT_FIELD_CLOSE][t];
    int64_t n0 = x->n_orders;
    int any = 0;
    x->in_pass = 1;
    for (int64_t i = 0; i < n0 && !x->failed; i++) {
        ct__order *o = &x->orders[i];
        if (!is_market(o->type))
            continue;
        any = 1;
        ct_status st = fill_order(x, o, c, 1, 0);
        if (st != CT_OK) {
            x->in_pass = 0;
            return st;
        }
    }
    x->in_pass = 0;
    if (!any)
        return CT_OK;
    compact_orders(x);
    x->equity = x->cash + x->pos * c;
    x->eq[t] = x->equity;
    x->posv[t] = x->pos;
    return CT_OK;
}

ct_status ct__ctx_close_at_end(ct_ctx *x)
{
    if (x->pos == 0.0 || x->n == 0)
        return CT_OK;
    int64_t t = x->t;
    double c = x->col[CT_FIELD_CLOSE][t];
    double q = -x->pos;
    double fp = slip(x, c, q);
    double fee = fabs(q) * x->cfg.taker * fp;
    ct_status st = ct__ctx_apply_fill(x, 0, q, fp, fee, 0);
    compact_orders(x);
    x->equity = x->cash + x->pos * c;
    x->eq[t] = x->equity;
    x->posv[t] = x->pos;
    return st;
}

/* ---- public accessors ---- */

int64_t ct_ctx_bar_index(const ct_ctx *ctx) { return ctx ? ctx->t : -1; }

/* No bar can be read in on_start, which runs before bar 0 closes (orders placed there fill at
 * its open), nor in a run over no bars. */
static int no_bar_closed(const ct_ctx *ctx) { return ctx->phase == CT__PH_START || ctx->n == 0; }

static ct_status check_lag(const ct_ctx *ctx, int64_t lag)
{
    if (lag < 0)
        return ct__fail(NULL, CT_E_RANGE, "lag %lld is negative: bars after t cannot be read", (long long)lag);
    if (no_bar_closed(ctx))
        return ct__fail(NULL, CT_E_RANGE, "no bar has closed yet: %s",
                        ctx->n == 0 ? "the data has no bars" : "on_start runs before the first bar");
    if (lag > ctx->t)
        return ct__fail(NULL, CT_E_RANGE, "lag %lld reaches before the first bar (t = %lld)", (long long)lag,
                        (long long)ctx->t);
    return CT_OK;
}

ct_status ct_ctx_bar(const ct_ctx *ctx, int32_t field, int64_t lag, double *out)
{
    if (!ctx || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctx or out is NULL");
    if (field < CT_FIELD_OPEN || field > CT_FIELD_VOLUME)
        return ct__fail(NULL, CT_E_INVALID_ARG, "unknown field %d", (int)field);
    ct_status st = check_lag(ctx, lag);
    if (st != CT_OK)
        return st;
    *out = ctx->col[field][ctx->t - lag];
    return CT_OK;
}

ct_status ct_ctx_time(const ct_ctx *ctx, int64_t lag, int64_t *out)
{
    if (!ctx || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctx or out is NULL");
    ct_status st = check_lag(ctx, lag);
    if (st != CT_OK)
        return st;
    *out = ctx->time[ctx->t - lag];
    return CT_OK;
}

ct_status ct_ctx_series(const ct_ctx *ctx, int32_t field, const double **p, int64_t *n)
{
    if (!ctx || !p || !n)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctx, p or n is NULL");
    if (field < CT_FIELD_OPEN || field > CT_FIELD_VOLUME)
        return ct__fail(NULL, CT_E_INVALID_ARG, "unknown field %d", (int)field);
    if (no_bar_closed(ctx)) {
        *p = NULL;
        *n = 0;
        return CT_OK;
    }
    *p = ctx->col[field];
    *n = ctx->t + 1;
    return CT_OK;
}

double ct_ctx_position(const ct_ctx *ctx) { return ctx ? ctx->pos : CT__NAN; }
double ct_ctx_cash(const ct_ctx *ctx) { return ctx ? ctx->cash : CT__NAN; }
double ct_ctx_equity(const ct_ctx *ctx) { return ctx ? ctx->equity : CT__NAN; }

double ct_ctx_entry_price(const ct_ctx *ctx)
{
    if (!ctx || ctx->pos == 0.0)
        return CT__NAN;
    return ctx->tr.n_entries == 1 ? ctx->tr.entry_price1 : ctx->tr.entry_notional / ctx->tr.qty_in;
}

ct_status ct_ctx_indicator(const ct_ctx *ctx, int32_t handle, int32_t output, int64_t lag, double *out)
{
    if (!ctx || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctx or out is NULL");
    if (handle < 0 || handle >= ctx->n_ind)
        return ct__fail(NULL, CT_E_INVALID_ARG, "unknown indicator handle %d", (int)handle);
    if (output < 0 || output >= ctx->ind[handle].n_outputs)
        return ct__fail(NULL, CT_E_RANGE, "indicator output %d out of range 0..%d", (int)output,
                        (int)ctx->ind[handle].n_outputs - 1);
    ct_status st = check_lag(ctx, lag);
    if (st != CT_OK)
        return st;
    const double *v = ctx->ind[handle].out[output];
    if (!v) /* a session's buffers exist once on_start has returned */
        return ct__fail(NULL, CT_E_RANGE, "no bar has closed yet: indicator %d has no value", (int)handle);
    *out = v[ctx->t - lag];
    return CT_OK;
}

static ct_status place_pub(ct_ctx *ctx, int32_t type, double qty, double price, double stop, int32_t pct, int64_t *id)
{
    if (!ctx)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctx is NULL");
    return ct__ctx_place(ctx, type, qty, price, stop, pct, id);
}

ct_status ct_ctx_order_market(ct_ctx *ctx, double qty, int64_t *id)
{
    return place_pub(ctx, CT_ORDER_MARKET, qty, 0, 0, 0, id);
}
ct_status ct_ctx_order_notional(ct_ctx *ctx, double notional, int64_t *id)
{
    return place_pub(ctx, CT_ORDER_NOTIONAL, notional, 0, 0, 0, id);
}
ct_status ct_ctx_order_limit(ct_ctx *ctx, double qty, double limit, int64_t *id)
{
    return place_pub(ctx, CT_ORDER_LIMIT, qty, limit, 0, 0, id);
}
ct_status ct_ctx_order_stop(ct_ctx *ctx, double qty, double stop, int64_t *id)
{
    return place_pub(ctx, CT_ORDER_STOP, qty, 0, stop, 0, id);
}
ct_status ct_ctx_order_stop_limit(ct_ctx *ctx, double qty, double stop, double limit, int64_t *id)
{
    return place_pub(ctx, CT_ORDER_STOP_LIMIT, qty, limit, stop, 0, id);
}
ct_status ct_ctx_order_target(ct_ctx *ctx, double fraction, int64_t *id)
{
    return place_pub(ctx, CT_ORDER_TARGET, fraction, 0, 0, 0, id);
}
ct_status ct_ctx_close_position(ct_ctx *ctx, int64_t *id) { return place_pub(ctx, CT_ORDER_CLOSE, 0, 0, 0, 0, id); }
ct_status ct_ctx_take_profit(ct_ctx *ctx, double price, int64_t *id)
{
    return place_pub(ctx, CT_ORDER_TAKE_PROFIT, 0, price, 0, 0, id);
}
ct_status ct_ctx_stop_loss(ct_ctx *ctx, double price, int64_t *id)
{
    return place_pub(ctx, CT_ORDER_STOP_LOSS, 0, 0, price, 0, id);
}
ct_status ct_ctx_trailing_stop(ct_ctx *ctx, double amount, int32_t is_percent, int64_t *id)
{
    return place_pub(ctx, CT_ORDER_TRAILING_STOP, 0, 0, amount, is_percent ? 1 : 0, id);
}

ct_status ct_ctx_cancel(ct_ctx *ctx, int64_t id)
{
    if (!ctx)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctx is NULL");
    if (ctx->phase == CT__PH_NONE || ctx->phase == CT__PH_FINISH)
        return ct__fail(NULL, CT_E_STATE, "orders can be cancelled only in on_start, on_bar or on_fill");
    if (ctx->ended)
        return ct__fail(NULL, CT_E_STATE, "the data has ended: the orders still pending stay pending");
    for (int64_t i = 0; i < ctx->n_orders; i++)
        if (ctx->orders[i].id == id && ctx->orders[i].type != ORDER_DONE) {
            int32_t type = ctx->orders[i].type;
            ctx->orders[i].type = ORDER_DONE;
            if (!ctx->in_pass)
                compact_orders(ctx);
            return broker_cancel(ctx, id, type);
        }
    return ct__fail(NULL, CT_E_NOT_FOUND, "no pending order %lld", (long long)id);
}

ct_status ct_ctx_cancel_all(ct_ctx *ctx)
{
    if (!ctx)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctx is NULL");
    for (int64_t i = ctx->n_orders - 1; i >= 0; i--)
        if (ctx->orders[i].type != ORDER_DONE) {
            ct_status st = ct_ctx_cancel(ctx, ctx->orders[i].id);
            if (st != CT_OK)
                return st;
        }
    return CT_OK;
}

int64_t ct_ctx_open_orders(const ct_ctx *ctx)
{
    if (!ctx)
        return 0;
    int64_t k = 0;
    for (int64_t i = 0; i < ctx->n_orders; i++)
        k += ctx->orders[i].type != ORDER_DONE;
    return k;
}

ct_status ct_ctx_order_info(const ct_ctx *ctx, int64_t i, int64_t *id, int32_t *type, double *qty, double *price,
                            double *stop)
{
    if (!ctx)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctx is NULL");
    int64_t k = -1;
    for (int64_t j = 0; j < ctx->n_orders; j++)
        if (ctx->orders[j].type != ORDER_DONE && ++k == i) {
            const ct__order *o = &ctx->orders[j];
            if (id)
                *id = o->id;
            if (type)
                *type = o->type;
            if (qty)
                *qty = o->qty;
            if (price)
                *price = o->price;
            if (stop)
                *stop = o->stop;
            return CT_OK;
        }
    return ct__fail(NULL, CT_E_RANGE, "order index %lld out of range", (long long)i);
}

ct_status ct_ctx_last_fill(const ct_ctx *ctx, int64_t *order_id, double *qty, double *price, double *commission)
{
    if (!ctx)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctx is NULL");
    if (ctx->phase != CT__PH_FILL)
        return ct__fail(NULL, CT_E_STATE, "ct_ctx_last_fill is only valid in on_fill");
    if (order_id)
        *order_id = ctx->fill_id;
    if (qty)
        *qty = ctx->fill_qty;
    if (price)
        *price = ctx->fill_price;
    if (commission)
        *commission = ctx->fill_comm;
    return CT_OK;
}

void ct_ctx_set_error(ct_ctx *ctx, const char *msg)
{
    if (!ctx)
        return;
    snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s", msg && *msg ? msg : "strategy callback failed");
    ctx->msg_phase = ctx->phase;
    ctx->msg_t = ctx->t;
    ctx->msg_fills = ctx->n_fills;
}
