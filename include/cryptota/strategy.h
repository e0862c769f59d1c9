/**
 * @file strategy.h
 * Strategy classes (vtables), strategies (a class plus parameter values), the callback
 * context `ct_ctx`, the class registry and plugins (DESIGN.md section 6, STYLE.md R6/R7).
 *
 * A class is described by a ct_strategy_vtable whose first field is its own size, so older
 * plugins (smaller tables) keep working and newer ones are refused only when they use fields
 * this library does not know. Callbacks receive `void *user` first and read everything through
 * the ct_ctx accessors: bar fields and indicators with a lag >= 0 only, and none in on_start,
 * which runs before the first bar closes (the future cannot be reached), the portfolio, and the
 * order functions.
 *
 * @threadsafety the registry is thread-safe. A ct_strategy is not thread-safe (one thread at a
 * time). A ct_ctx is borrowed: valid only during the callback that received it.
 */
#ifndef CRYPTOTA_STRATEGY_H
#define CRYPTOTA_STRATEGY_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "status.h"

CT_EXTERN_C_BEGIN

typedef struct ct_ctx ct_ctx;
typedef struct ct_strategy_class ct_strategy_class;
typedef struct ct_strategy ct_strategy;

/** Kinds of strategy parameters (values are always passed as double). */
enum {
    CT_PARAM_INT = 0,   /**< integral value (stored as a double holding an integer) */
    CT_PARAM_REAL = 1,  /**< any finite double */
    CT_PARAM_BOOL = 2   /**< 0 or 1 */
};

/** Class flags. */
enum {
    /** Callbacks must run on the thread that started the run (Python, Node): the optimizer runs
     *  such classes serially on its calling thread. */
    CT_STRATEGY_THREAD_AFFINE = 1u << 0
};

/**
 * One parameter of a class schema (read by the library, which copies it at registration).
 * `struct_size` follows the R6 rule: sizeof(ct_param_def) as the plugin saw it.
 */
typedef struct ct_param_def {
    uint32_t struct_size;
    int32_t kind;               /**< CT_PARAM_* */
    const char *name;           /**< [a-z0-9_]+, unique within the class */
    double def;                 /**< default value */
    double min;                 /**< smallest allowed value (inclusive) */
    double max;                 /**< largest allowed value (inclusive) */
    double step;                /**< suggested grid step for optimizers (0: none) */
    const char *description;    /**< one line, may be NULL */
} ct_param_def;

/**
 * A strategy class. Append-only: fields are never reordered, retyped or removed.
 *
 * - `create` makes an instance from parameter values (schema order, already range-checked);
 *   it may refuse a combination by returning CT_E_RANGE (or another status) after writing a
 *   message into `err` (capacity `err_cap`, NUL-terminated). NULL: the instance is class_user.
 * - `on_start` runs once before the first bar (declare indicators here). No bar has closed
 *   yet: the bar, time and indicator accessors refuse (CT_E_RANGE) and ct_ctx_series is empty.
 *   Orders placed here are pending for bar 0: market orders fill at its open in both fill
 *   modes. It runs (at the first push) in a session too, and for a feed with no bars.
 *   NULL: nothing.
 * - `on_bar` runs after the fills and the mark-to-market of each bar; required.
 * - `on_fill` runs after each fill (read it with ct_ctx_last_fill); NULL: nothing. With the
 *   engine setting close_at_end it also runs for the closing fill after the last bar (order id
 *   0), where no order can be placed or cancelled (CT_E_STATE: the data has ended).
 * - `on_finish` runs once after the last bar of a backtest, after the close_at_end fill (with a
 *   feed of no bars: right after on_start, reading no bar); never in a session, which has no
 *   last bar. It can place or cancel no order. NULL: nothing.
 * - `destroy` frees an instance; NULL: nothing.
 * A callback that fails calls ct_ctx_set_error and returns non-CT_OK: the run stops with
 * CT_E_PLUGIN and that message (CT_E_NOMEM for CT_E_NOMEM). Without a message of its own it
 * reports "<callback> returned <status> at bar <t>".
 */
typedef struct ct_strategy_vtable {
    uint32_t struct_size;       /**< sizeof(ct_strategy_vtable) as the plugin saw it */
    uint32_t flags;             /**< CT_STRATEGY_* */
    const char *name;           /**< registry name, [a-z0-9_]+ */
    const char *description;    /**< one line, may be NULL */
    const ct_param_def *params; /**< schema, n_params entries (may be NULL if 0) */
    int32_t n_params;
    int32_t reserved;           /**< must be 0 */
    void *class_user;           /**< passed to create */
    /* v1 (0.1) */
    ct_status (*create)(void *class_user, const double *params, int32_t n_params, void **instance,
                        char *err, int32_t err_cap);
    ct_status (*on_start)(void *user, ct_ctx *ctx);
    ct_status (*on_bar)(void *user, ct_ctx *ctx);
    ct_status (*on_fill)(void *user, ct_ctx *ctx);
    ct_status (*on_finish)(void *user, ct_ctx *ctx);
    void (*destroy)(void *user);
    /* v2 and later: APPEND ONLY below this line */
} ct_strategy_vtable;

/** The size of the version-1 table: the smallest struct_size accepted. */
#define CT_STRATEGY_VTABLE_SIZE_V1 (offsetof(ct_strategy_vtable, destroy) + sizeof(void (*)(void *)))
/** The size of ct_param_def version 1. */
#define CT_PARAM_DEF_SIZE_V1 (offsetof(ct_param_def, description) + sizeof(const char *))

/* ---- registry ---- */

/**
 * Register a class. The table, its name, description and schema are copied, so the caller's
 * memory need not persist (function pointers and class_user must stay valid while the class
 * is registered). Checks the R6 size rule and the schema: class and parameter names are 1-63
 * characters of [a-z0-9_], parameter names unique; n_params is 0..64; kinds are CT_PARAM_*;
 * finite min <= def <= max and a finite step >= 0; an int parameter has an integral default,
 * min, max and step, a bool one a default, min and max of 0 or 1 (so that the defaults are
 * valid values and their JSON is exact). A struct_size above 4096 bytes is no size of a table
 * (it is refused without reading that far), and the ct_param_def size must be a multiple of its
 * alignment (the definitions are an array).
 * @return CT_OK; CT_E_INVALID_ARG (NULL, bad name, bad schema: the message names the
 *   parameter, on_bar missing, reserved not 0, a struct_size above 4096 or a misaligned
 *   ct_param_def size); CT_E_UNSUPPORTED (table too small, or larger with a non-zero unknown
 *   tail: "plugin needs libcryptota > <this version>"); CT_E_STATE (a class of that name
 *   exists); CT_E_NOMEM.
 * @threadsafety thread-safe. @since 0.1
 */
CT_API ct_status ct_strategy_register(const ct_strategy_vtable *vt);

/**
 * Remove a registered (non built-in) class. Strategies and optimizers made from it must be
 * destroyed first.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOT_FOUND, CT_E_STATE (built-in, or still used by a
 *   strategy or an optimizer).
 * @threadsafety thread-safe. @since 0.1
 */
CT_API ct_status ct_strategy_unregister(const char *name);

/**
 * Find a class by name; NULL if none (ct_last_error says so). The pointer of a registered
 * (non built-in) class stays valid until the class is unregistered: a host that unregisters
 * classes on another thread should create strategies with ct_strategy_create_by_name, which
 * finds the class and references it in one step. @threadsafety thread-safe. @since 0.1
 */
CT_API const ct_strategy_class *ct_strategy_class_find(const char *name);
/** Number of classes (built-ins first, then registration order). @since 0.1 */
CT_API int32_t ct_strategy_class_count(void);
/** Class number i (0 <= i < count), NULL out of range; valid as for ct_strategy_class_find. @since 0.1 */
CT_API const ct_strategy_class *ct_strategy_class_at(int32_t i);

/** Class name (owned by the class; "" for NULL). @threadsafety thread-safe. @since 0.1 */
CT_API const char *ct_strategy_class_name(const ct_strategy_class *c);
/** One-line description of the class (owned by the class; "" if none). @since 0.1 */
CT_API const char *ct_strategy_class_description(const ct_strategy_class *c);
/** CT_STRATEGY_* flags. @since 0.1 */
CT_API uint32_t ct_strategy_class_flags(const ct_strategy_class *c);
/** 1 for a built-in class, 0 otherwise. @since 0.1 */
CT_API int32_t ct_strategy_class_is_builtin(const ct_strategy_class *c);
/** Number of parameters (-1 for NULL). @since 0.1 */
CT_API int32_t ct_strategy_class_n_params(const ct_strategy_class *c);
/** Index of a parameter by name, -1 if none. @since 0.1 */
CT_API int32_t ct_strategy_class_param_index(const ct_strategy_class *c, const char *name);
/**
 * Parameter i of the schema. Any output may be NULL. Strings are owned by the class.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE (i out of range). @since 0.1
 */
CT_API ct_status ct_strategy_class_param(const ct_strategy_class *c, int32_t i, const char **name,
                                         int32_t *kind, double *def, double *min, double *max,
                                         double *step, const char **description);
/** The kind's name: "int", "real", "bool" ("?" otherwise). @since 0.1 */
CT_API const char *ct_param_kind_name(int32_t kind);

/**
 * The whole registry as JSON: [{"name", "description", "builtin", "flags", "params":
 * [{"name", "kind", "default", "min", "max", "step", "description"}]}], one consistent snapshot
 * even while other threads register and unregister classes.
 * @param[out] out  NUL-terminated, freed with ct_free. @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM.
 * @threadsafety thread-safe. @since 0.1
 */
CT_API ct_status ct_strategy_classes_json(char **out);

/* ---- plugins ---- */

/**
 * Mark a plugin's entry point exported even when it is built with hidden visibility:
 * `CT_PLUGIN_API ct_status ct_plugin_init(void) { return ct_strategy_register(&vt); }`
 */
#if defined(_WIN32) || defined(__CYGWIN__)
#define CT_PLUGIN_API __declspec(dllexport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define CT_PLUGIN_API __attribute__((visibility("default")))
#else
#define CT_PLUGIN_API
#endif

/**
 * Load a plugin: dlopen `path` and call its exported
 * `ct_status ct_plugin_init(void)`, which registers classes with ct_strategy_register.
 * The library stays loaded for the life of the process, as do the classes an init registered
 * before failing. Loading the same plugin again runs its ct_plugin_init again, whose names are
 * taken by then: that load fails with CT_E_PLUGIN ("... failed with CT_E_STATE: a strategy class
 * named ... is already registered") and the classes of the first load stay usable.
 * @return CT_OK; CT_E_INVALID_ARG; CT_E_IO (cannot be opened: the loader's message);
 *   CT_E_PLUGIN (no ct_plugin_init symbol, or it failed: its status and ct_last_error).
 * @threadsafety thread-safe. @since 0.1
 */
CT_API ct_status ct_plugin_load(const char *path);

/* ---- strategies: a class plus parameter values ---- */

/**
 * Create a strategy of class `c` with the default parameter values. The strategy references
 * its class: ct_strategy_unregister refuses the class until the strategy is destroyed. `c` must
 * be valid (see ct_strategy_class_find).
 * @param[out] out  destroyed with ct_strategy_destroy; NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @threadsafety thread-safe. @since 0.1
 */
CT_API ct_status ct_strategy_create(const ct_strategy_class *c, ct_strategy **out);
/**
 * As ct_strategy_create with the class found by name, found and referenced in one step, so a
 * class unregistered by another thread meanwhile is either not found or not freed.
 * @return CT_OK, CT_E_INVALID_ARG (NULL name or out), CT_E_NOT_FOUND (no such class),
 *   CT_E_NOMEM. @threadsafety thread-safe. @since 0.1
 */
CT_API ct_status ct_strategy_create_by_name(const char *name, ct_strategy **out);
/** Destroy a strategy. NULL is a no-op. @since 0.1 */
CT_API void ct_strategy_destroy(ct_strategy *s);
/**
 * A copy with the same class and values. @param[out] out  NULL on failure (a NULL `s`
 * included). @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_strategy_clone(const ct_strategy *s, ct_strategy **out);
/** The class. @since 0.1 */
CT_API const ct_strategy_class *ct_strategy_get_class(const ct_strategy *s);
/**
 * Message of the last failing call that changes this strategy (ct_strategy_set_f64/_i64,
 * ct_strategy_set_json, ct_strategy_validate). The calls that take a const strategy
 * (ct_strategy_get_f64, ct_strategy_params_json) record their failures in ct_last_error only
 * (docs/errors.md). @since 0.1
 */
CT_API const char *ct_strategy_errmsg(const ct_strategy *s);

/**
 * Set one parameter (checked against its kind and [min, max]). Booleans take 0/1; integers
 * must be integral. @return CT_OK; CT_E_INVALID_ARG (NULL, unknown name, NaN, non-integral
 * int, bool not 0/1); CT_E_RANGE (outside [min, max]); both name the parameter. @since 0.1
 */
CT_API ct_status ct_strategy_set_f64(ct_strategy *s, const char *name, double value);
/** As ct_strategy_set_f64 with an integer value. @since 0.1 */
CT_API ct_status ct_strategy_set_i64(ct_strategy *s, const char *name, int64_t value);
/** Set every parameter to its default. @since 0.1 */
CT_API ct_status ct_strategy_reset(ct_strategy *s);
/**
 * Read a parameter. @return CT_OK, CT_E_INVALID_ARG (NULL, unknown name); the message is in
 * ct_last_error only (not ct_strategy_errmsg). @since 0.1
 */
CT_API ct_status ct_strategy_get_f64(const ct_strategy *s, const char *name, double *value);
/** Values in schema order (ct_strategy_class_n_params of them), owned by the strategy. @since 0.1 */
CT_API const double *ct_strategy_values(const ct_strategy *s);

/**
 * Set parameters from a JSON object {"name": value, ...} (numbers; booleans for bool
 * parameters; true/false also accepted as 1/0). All or nothing: on error no value changes.
 * @return CT_OK; CT_E_FORMAT (not a JSON object); CT_E_INVALID_ARG (unknown name, a name given
 *   twice, wrong type); CT_E_RANGE (out of range); messages name the key. @since 0.1
 */
CT_API ct_status ct_strategy_set_json(ct_strategy *s, const char *json);

/**
 * Check each value against its kind and range, then the whole combination with the class (its
 * create callback may refuse it, e.g. rsi with oversold >= overbought; an instance it makes is
 * destroyed at once). ct_engine_run calls create the same way and fails with the same status;
 * the optimizer does not call this function but counts a run refused with CT_E_RANGE as skipped.
 * @return CT_OK; CT_E_INVALID_ARG or CT_E_RANGE (a value does not fit, or create returned that
 *   status); CT_E_NOMEM; CT_E_PLUGIN (create returned any other status). The message is in
 *   ct_strategy_errmsg and ct_last_error. @since 0.1
 */
CT_API ct_status ct_strategy_validate(ct_strategy *s);

/**
 * Canonical JSON of the values: {"name": value, ...} in schema order, integers without a
 * fraction, booleans as true/false, reals with 17 significant digits.
 * @param[out] out  freed with ct_free. @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM; the message
 *   is in ct_last_error only (not ct_strategy_errmsg). @since 0.1
 */
CT_API ct_status ct_strategy_params_json(const ct_strategy *s, char **out);

/* ---- the callback context (valid only during a callback) ---- */

/**
 * Current bar index t (0-based row of the feed or session). 0 in on_start, where no bar has
 * closed yet, and in the callbacks of a run over no bars. @since 0.1
 */
CT_API int64_t ct_ctx_bar_index(const ct_ctx *ctx);

/**
 * Field CT_FIELD_{OPEN,HIGH,LOW,CLOSE,VOLUME} of bar t - lag.
 * @return CT_OK; CT_E_RANGE (lag < 0: the future is unreachable; t - lag < 0; in on_start, or
 *   in a run over no bars: no bar has closed yet); CT_E_INVALID_ARG (unknown field, NULL).
 *   On error *out is unchanged. @since 0.1
 */
CT_API ct_status ct_ctx_bar(const ct_ctx *ctx, int32_t field, int64_t lag, double *out);
/** Open time (ms) of bar t - lag; errors as ct_ctx_bar. @since 0.1 */
CT_API ct_status ct_ctx_time(const ct_ctx *ctx, int64_t lag, int64_t *out);
/**
 * Zero-copy view of a column up to and including bar t: *n = t + 1. Only *n marks the present:
 * in a backtest *p is the feed's whole column, so p[*n] and later are future bars that the
 * library cannot hide; never read them, nor write through *p. In a session the column may move
 * when a bar is pushed: use *p only during the callback. In on_start and in a run over no bars
 * the view is empty: *p NULL, *n 0.
 * @return CT_OK, CT_E_INVALID_ARG. @since 0.1
 */
CT_API ct_status ct_ctx_series(const ct_ctx *ctx, int32_t field, const double **p, int64_t *n);

/** Signed position quantity (0 when flat). @since 0.1 */
CT_API double ct_ctx_position(const ct_ctx *ctx);
/** Cash (may be negative with leverage). @since 0.1 */
CT_API double ct_ctx_cash(const ct_ctx *ctx);
/** Equity E[t] = cash + position * close[t] after this bar's fills. @since 0.1 */
CT_API double ct_ctx_equity(const ct_ctx *ctx);
/** Average entry price of the open position (NaN when flat). @since 0.1 */
CT_API double ct_ctx_entry_price(const ct_ctx *ctx);

/**
 * Declare an indicator (only in on_start): `name` as in ct_indicator_find ("rsi", "sma",
 * "macd", ...), `options` its options in table order (NULL = defaults; n_options may be
 * fewer than the indicator has: the rest take defaults). Inputs come from the feed columns
 * named by the indicator table. Computed once over the whole feed and shared between runs
 * with the same feed and options (streamed in a session). Its values are read from on_bar on.
 * A failure returned by on_start stops the run with CT_E_PLUGIN ("on_start returned ...").
 * @param[out] handle  pass to ct_ctx_indicator; -1 on failure.
 * @return CT_OK; CT_E_INVALID_ARG (NULL ctx, name or handle; n_options negative or above the
 *   indicator's count; options NULL with n_options > 0); CT_E_STATE (not in on_start);
 *   CT_E_NOT_FOUND (no such indicator); CT_E_RANGE (bad option); CT_E_UNSUPPORTED (an
 *   indicator with more than 16 options, 8 inputs or 8 outputs, or an input that is not a bar
 *   field); CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_ctx_declare_indicator(ct_ctx *ctx, const char *name, const double *options,
                                          int32_t n_options, int32_t *handle);
/**
 * Output `output` of a declared indicator at bar t - lag (NaN inside its lookback).
 * @return CT_OK; CT_E_RANGE (lag < 0, t - lag < 0, output out of range; in on_start or in a
 *   run over no bars: no bar has closed yet); CT_E_INVALID_ARG (NULL, unknown handle). @since 0.1
 */
CT_API ct_status ct_ctx_indicator(const ct_ctx *ctx, int32_t handle, int32_t output, int64_t lag,
                                  double *out);

/* Orders. Quantities are signed base quantities: > 0 buys, < 0 sells. Orders placed in on_bar(t)
 * act from bar t + 1 (market orders at close[t] with fill = close); orders placed in on_start
 * act from bar 0 (market orders at open[0] in both fill modes). Every function returns CT_OK,
 * CT_E_INVALID_ARG (NULL ctx, NaN, zero, non-positive price, a price that the engine setting
 * tick_size rounds to 0, an amount out of range), CT_E_STATE (outside on_bar / on_fill /
 * on_start, or after the data has ended: in the on_fill of the close_at_end fill), CT_E_PLUGIN
 * (a session's host broker failed: the session stops) or CT_E_NOMEM (the run stops), and writes
 * the new order id (> 0) into *id when id is not NULL (0 on failure). */

/** Order types (ct_ctx_order_info). */
enum {
    CT_ORDER_MARKET = 0,
    CT_ORDER_LIMIT = 1,
    CT_ORDER_STOP = 2,
    CT_ORDER_STOP_LIMIT = 3,
    CT_ORDER_TAKE_PROFIT = 4,   /**< attached to the position: a limit that closes it */
    CT_ORDER_STOP_LOSS = 5,     /**< attached to the position: a stop that closes it */
    CT_ORDER_TRAILING_STOP = 6, /**< attached to the position: a stop that follows the best price */
    CT_ORDER_TARGET = 7,        /**< market order to a target fraction of equity */
    CT_ORDER_CLOSE = 8,         /**< market order closing the whole position */
    CT_ORDER_NOTIONAL = 9       /**< market order for a quote amount */
};

/** Market order for `qty`. @since 0.1 */
CT_API ct_status ct_ctx_order_market(ct_ctx *ctx, double qty, int64_t *id);
/** Market order for a quote notional (> 0 buys, < 0 sells), qty = notional / fill price. @since 0.1 */
CT_API ct_status ct_ctx_order_notional(ct_ctx *ctx, double notional, int64_t *id);
/** Limit order: buys fill at `limit` or lower, sells at `limit` or higher. @since 0.1 */
CT_API ct_status ct_ctx_order_limit(ct_ctx *ctx, double qty, double limit, int64_t *id);
/** Stop order: a buy triggers when the price reaches `stop` or above, a sell at `stop` or below. @since 0.1 */
CT_API ct_status ct_ctx_order_stop(ct_ctx *ctx, double qty, double stop, int64_t *id);
/** Stop-limit order: at the stop it becomes a limit order at `limit`. @since 0.1 */
CT_API ct_status ct_ctx_order_stop_limit(ct_ctx *ctx, double qty, double stop, double limit, int64_t *id);
/**
 * Market order to a target position worth `fraction` of equity (negative: short), resolved at
 * the fill price so that notional + commission never exceeds what the account allows:
 * target = fraction * equity / (price * (1 + commission)). `fraction` must lie in
 * [-1000, 1000] (CT_E_INVALID_ARG). A target beyond what leverage allows is cut to the largest
 * position it allows (a multiple of lot_step when that filter is set). @since 0.1
 */
CT_API ct_status ct_ctx_order_target(ct_ctx *ctx, double fraction, int64_t *id);
/** Market order closing the whole position at its fill (nothing if flat then). @since 0.1 */
CT_API ct_status ct_ctx_close_position(ct_ctx *ctx, int64_t *id);
/**
 * Attach a take-profit (a limit) at `price` to the current or next position: it closes the
 * whole position and is cancelled when the position is closed otherwise. Placing one replaces
 * the previous order of the same kind. @since 0.1
 */
CT_API ct_status ct_ctx_take_profit(ct_ctx *ctx, double price, int64_t *id);
/** Attach a stop-loss at `price` (see ct_ctx_take_profit). @since 0.1 */
CT_API ct_status ct_ctx_stop_loss(ct_ctx *ctx, double price, int64_t *id);
/**
 * Attach a trailing stop: `amount` below the highest high (long) or above the lowest low
 * (short) seen since it was placed, as a fraction of that price when is_percent is 1
 * (0.05 = 5%; it must be below 1) or as a price distance when 0 (> 0 either way, else
 * CT_E_INVALID_ARG). @since 0.1
 */
CT_API ct_status ct_ctx_trailing_stop(ct_ctx *ctx, double amount, int32_t is_percent, int64_t *id);
/**
 * Cancel a pending order. @return CT_OK, CT_E_INVALID_ARG (NULL ctx), CT_E_NOT_FOUND (not
 * pending), CT_E_STATE (outside on_start / on_bar / on_fill, or after the data has ended),
 * CT_E_PLUGIN (a session's host broker failed the cancel: the session stops). @since 0.1
 */
CT_API ct_status ct_ctx_cancel(ct_ctx *ctx, int64_t id);
/**
 * Cancel every pending order, latest first, as ct_ctx_cancel one by one; it stops at the first
 * failure. With no order pending it returns CT_OK at once, whatever the callback (on_finish
 * included); otherwise it fails as ct_ctx_cancel does (CT_E_STATE in on_finish or after the data
 * has ended). @return CT_OK, CT_E_INVALID_ARG, CT_E_STATE, CT_E_PLUGIN. @since 0.1
 */
CT_API ct_status ct_ctx_cancel_all(ct_ctx *ctx);
/** Number of pending orders. @since 0.1 */
CT_API int64_t ct_ctx_open_orders(const ct_ctx *ctx);
/**
 * Pending order number i (0 <= i < ct_ctx_open_orders). Outputs may be NULL.
 * @return CT_OK, CT_E_RANGE. @since 0.1
 */
CT_API ct_status ct_ctx_order_info(const ct_ctx *ctx, int64_t i, int64_t *id, int32_t *type,
                                   double *qty, double *price, double *stop);
/**
 * The fill being reported to on_fill. Outputs may be NULL. The order id is 0 for the fill of
 * the engine setting close_at_end, which closes the position after the last bar.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_STATE (not in on_fill). @since 0.1
 */
CT_API ct_status ct_ctx_last_fill(const ct_ctx *ctx, int64_t *order_id, double *qty, double *price,
                                  double *commission);

/**
 * Report a callback failure: the message is copied; the callback then returns non-CT_OK and
 * the run stops with CT_E_PLUGIN and this message. It belongs to the callback call that set
 * it: if that call returns CT_OK instead, a later failure without a message of its own reports
 * "<callback> returned <status> at bar <t>", not this message. NULL ctx: no-op. @since 0.1
 */
CT_API void ct_ctx_set_error(ct_ctx *ctx, const char *msg);

CT_EXTERN_C_END

#endif /* CRYPTOTA_STRATEGY_H */
