/*
 * Internal layout of the engine, the run state behind ct_ctx, the strategy class and the
 * indicator cache, shared by src/engine/ and src/strategy/ (the built-in strategies read the
 * run state directly, so their per-bar path has no accessor calls).
 */
#ifndef CT_ENGINE_INTERNAL_H
#define CT_ENGINE_INTERNAL_H

#include <math.h>
#include <pthread.h>

#include "cryptota/engine.h"
#include "cryptota/indicators.h"
#include "cryptota/strategy.h"
#include "internal/ct_internal.h"
#include "internal/result_internal.h"

#define CT__NAN ((double)NAN)

/* ---- configuration ---- */

typedef struct ct__config {
    double capital;
    int32_t fill;            /* CT_FILL_* */
    int32_t close_at_end;
    double periods_per_year;
    double risk_free;
    int32_t metrics_freq;
    int32_t stop_first;
    double maker;
    double taker;
    double slippage_bps;
    int32_t allow_short;
    double leverage;
    double tick_size;
    double lot_step;
    double min_notional;
} ct__config;

void ct__config_defaults(ct__config *c);
/* Canonical JSON of a config (ct__malloc'ed), NULL on out of memory. */
char *ct__config_json(const ct__config *c);

struct ct_engine {
    ct__err err;
    ct__config cfg;
    int64_t n_funding;
    int64_t *funding_time;
    double *funding_rate;
    ct_indicator_cache *cache;       /* borrowed, or NULL for own_cache */
    ct_indicator_cache *own_cache;   /* created on first use */
    /* memo of the last feed's content hash (feeds are immutable) */
};

/* ---- strategy classes ---- */

struct ct_strategy_class {
    ct_strategy_vtable vt;     /* zero-extended copy; name/description/params point below */
    char *name;
    char *description;
    ct_param_def *params;      /* copies; names and descriptions owned */
    int32_t builtin;
    int32_t refs;              /* live strategies and optimizers (registered classes only) */
};

struct ct_strategy {
    ct__err err;
    const ct_strategy_class *cls;
    double *values;
};

/* Count a reference to a class held by a strategy or an optimizer (registered classes only;
 * ct_strategy_unregister refuses while any is held). */
void ct__class_ref(const ct_strategy_class *c, int32_t delta);
/* Built-in classes (src/strategy/builtins.c). */
extern const ct_strategy_class *const ct__builtin_classes[];
extern const int32_t ct__n_builtin_classes;

/* Create the instance: calls vt.create (or uses class_user). On refusal sets err. */
ct_status ct__strategy_instantiate(ct_strategy *s, ct__err *err, void **instance);

/* ---- indicator cache ---- */

typedef struct ct__ind_entry {
    uint64_t feed_hash;
    int64_t n;
    const ct_indicator_info *ind;
    int32_t n_options;
    int32_t n_outputs;
    double options[16];
    double *out[8];            /* n values each */
    struct ct__ind_entry *next;
} ct__ind_entry;

struct ct_indicator_cache {
    pthread_mutex_t mu;
    ct__ind_entry *head;
    int64_t count;
};

/* ---- orders and the run state ---- */

typedef struct ct__order {
    int64_t id;
    int32_t type;              /* CT_ORDER_* */
    int32_t triggered;         /* stop-limit whose stop was reached */
    int32_t is_percent;        /* trailing stop */
    int32_t pad;
    double qty;                /* signed qty; target: fraction; notional: quote amount */
    double price;              /* limit / take-profit price */
    double stop;               /* stop / stop-loss price; trailing: amount */
    double extreme;            /* trailing: best price since placement (NaN: not yet) */
    double filled;             /* session with a host broker: quantity filled so far */
} ct__order;

typedef struct ct__ind_slot {
    int32_t n_outputs;
    const double *out[8];      /* full-length arrays (backtest) or growing buffers (session) */
    /* session only */
    ct_ind_stream *stream;
    double *buf[8];
    int32_t n_inputs;
    int32_t input_field[8];
} ct__ind_slot;

enum { CT__PH_NONE = 0, CT__PH_START, CT__PH_BAR, CT__PH_FILL, CT__PH_FINISH };

/* An open round trip being tracked. */
typedef struct ct__trade_state {
    int32_t side;
    int64_t entry_time;
    int64_t entry_bar;
    double qty_in;             /* total quantity entered (abs) */
    double entry_notional;
    double entry_price1;       /* price of the first entry fill */
    int32_t n_entries;
    double qty_out;
    double exit_notional;
    double exit_price1;
    int32_t n_exits;
    double entry_comm;
    double exit_comm;
    double lo;                 /* lowest price seen while held */
    double hi;                 /* highest price seen while held */
    int32_t held_from_open;    /* entered at the open of entry_bar (its range counts) */
} ct__trade_state;

struct ct_ctx {
    /* bars 0..n-1 available; t is the current bar */
    int64_t t;
    int64_t n;
    const int64_t *time;
    const double *col[5];      /* open high low close volume */
    /* portfolio */
    double cash;
    double pos;
    double equity;
    /* config */
    ct__config cfg;
    /* orders */
    ct__order *orders;
    int64_t n_orders;
    int64_t cap_orders;
    int64_t next_id;
    int64_t rejected;
    /* indicators */
    ct__ind_slot *ind;
    int32_t n_ind;
    int32_t cap_ind;
    ct_indicator_cache *cache;
    uint64_t feed_hash;
    int32_t session;           /* 1: indicators are streamed */
    int32_t phase;
    int32_t in_pass;           /* inside a fill pass: order removal is deferred */
    int32_t ended;             /* past the last bar (close_at_end fill, on_finish): no orders */
    /* last fill, for on_fill */
    int64_t fill_id;
    double fill_qty;
    double fill_price;
    double fill_comm;
    /* accounting */
    double total_comm;
    double turnover;
    double total_funding;
    int64_t n_fills;
    const int64_t *funding_time;
    const double *funding_rate;
    int64_t n_funding;
    int64_t funding_next;
    /* trades */
    ct__trade_state tr;
    ct_trade *trades;
    int64_t n_trades;
    int64_t cap_trades;
    /* per-bar outputs (capacity cap_bars) */
    double *eq;
    double *posv;
    int64_t cap_bars;
    int64_t n_held; /* bars whose final position is not 0, counted by ct_engine_run; -1: not counted */
    /* strategy */
    const ct_strategy_vtable *vt;
    void *user;
    /* host broker (session) */
    ct_broker_fn broker;
    void *broker_user;
    /* errors */
    int32_t failed;
    ct_status fail_status;
    char errmsg[CT__ERRMSG_SIZE];
    int32_t nomem;
    /* the callback that set errmsg with ct_ctx_set_error: its phase, bar and fill count */
    int32_t msg_phase;
    int64_t msg_t;
    int64_t msg_fills;
};

/* Run-state helpers shared by engine.c, session.c and the built-ins. */
ct_status ct__ctx_init(ct_ctx *x, const ct__config *cfg);
void ct__ctx_free(ct_ctx *x);
/* Place an order (the engine's single entry point for every order type). */
ct_status ct__ctx_place(ct_ctx *x, int32_t type, double qty, double price, double stop, int32_t is_percent,
                        int64_t *id);
/* Steps (1) and (2) of the loop for bar x->t: funding, fills, mark to market. */
ct_status ct__ctx_fill_bar(ct_ctx *x);
/* After on_bar(t) with fill = close: fill the market orders at close[t] and re-mark. */
ct_status ct__ctx_fill_at_close(ct_ctx *x);
/* Apply one fill (accounting, trades, attached-order cancel, on_fill). */
ct_status ct__ctx_apply_fill(ct_ctx *x, int64_t order_id, double qty, double price, double comm, int32_t at_open);
/* Call a strategy callback with error capture. */
ct_status ct__ctx_call(ct_ctx *x, ct_status (*fn)(void *, ct_ctx *), int32_t phase, const char *what);
/* Record why callback `what` (run in `phase`) failed with st: the message it set with
 * ct_ctx_set_error during this call, else "<what> returned <st> at bar <t>". */
void ct__ctx_fail_message(ct_ctx *x, int32_t phase, const char *what, ct_status st);
/* Build the result for bars 0..n-1 (closing the position at the end if close_at_end). */
ct_status ct__ctx_build_result(ct_ctx *x, const char *strategy, const char *symbol, int64_t interval_ms,
                               const char *params_json, uint64_t feed_hash, int32_t steal, ct_result **out);
/* Record an out-of-memory failure in the run state; returns CT_E_NOMEM. */
ct_status ct__ctx_nomem(ct_ctx *x, const char *what);
/* Close the open position at the last close (close_at_end). */
ct_status ct__ctx_close_at_end(ct_ctx *x);
/* Get or compute an indicator over a feed's columns through the cache. */
ct_status ct__cache_get(ct_indicator_cache *c, ct__err *err, uint64_t feed_hash, int64_t n,
                        const double *const *cols, const ct_indicator_info *ind, const double *options,
                        const ct__ind_entry **out);
/* n elements of elem bytes (ct__malloc; huge-page advice for large arrays); NULL on overflow or OOM. */
void *ct__big_array(int64_t n, size_t elem);
/* 64-bit content hash of a feed's columns, symbol and interval. */
uint64_t ct__feed_hash(const ct_feed *f);
/* Resolve an input name ("close") to a CT_FIELD_*, -1 if unknown. */
int32_t ct__field_of(const char *name);

#endif /* CT_ENGINE_INTERNAL_H */
