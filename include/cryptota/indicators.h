/**
 * @file indicators.h
 * Technical indicators: TA-Lib-compatible batch functions, one generic entry point driven by a
 * single table, and streaming states (DESIGN.md section 5, STYLE.md R13).
 *
 * Conventions shared by every function here:
 * - Batch outputs are aligned and full-length: `out[i]` belongs to input row `i`, and is NaN
 *   for `i < lookback` (the `*_lookback()` value). With `n <= lookback` the whole output is NaN
 *   and the call returns CT_OK. `n == 0` is allowed (nothing is written).
 * - Outputs must not overlap inputs (no aliasing), and must hold `n` doubles each.
 * - A bad option (NaN, out of range, or not an integer where one is required) gives
 *   CT_E_RANGE with a message naming the indicator and the option (ct_last_error()).
 * - NaN inputs are not checked (as in TA-Lib): they propagate through the arithmetic, so a
 *   recursive or running-sum indicator (SMA, EMA, RSI, ...) outputs NaN from the first NaN on.
 *   Calls never crash or read out of bounds on NaN input, and streaming still equals batch.
 * - Definitions are TA-Lib's classic ones (unstable period 0); see docs/indicators.md.
 *
 * @threadsafety Batch functions and the table are pure and re-entrant. A ct_ind_stream may be
 * used by one thread at a time.
 */
#ifndef CRYPTOTA_INDICATORS_H
#define CRYPTOTA_INDICATORS_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

CT_EXTERN_C_BEGIN

/** Most inputs, options and outputs any indicator has (array sizes in ct_indicator_info). */
#define CT_IND_MAX_INPUTS 5
#define CT_IND_MAX_OPTIONS 4
#define CT_IND_MAX_OUTPUTS 5

/** One option of an indicator (a row of ct_indicator_info.options). */
typedef struct ct_indicator_option {
    const char *name;   /**< e.g. "period" */
    double def;         /**< default value */
    double min;         /**< smallest accepted value */
    double max;         /**< largest accepted value */
    double step;        /**< suggested grid step for optimizers */
    int32_t is_integer; /**< 1 if the value must be an integer */
} ct_indicator_option;

/**
 * Description of one indicator: a row of the library's indicator table. Library-owned and
 * static; read it through the ct_indicator_* accessors from FFI code. Fields may be appended
 * in later versions (struct_size tells which are present).
 */
typedef struct ct_indicator_info {
    uint32_t struct_size;      /**< sizeof(ct_indicator_info) of the library */
    const char *name;          /**< short lower-case name, e.g. "rsi" */
    const char *full_name;     /**< e.g. "Relative Strength Index" */
    const char *group;         /**< "overlap", "momentum", "volatility" or "volume" */
    int32_t n_inputs;          /**< number of input series */
    int32_t n_options;         /**< number of options */
    int32_t n_outputs;         /**< number of output series */
    const char *input_names[CT_IND_MAX_INPUTS];   /**< from open, high, low, close, volume */
    ct_indicator_option options[CT_IND_MAX_OPTIONS];
    const char *output_names[CT_IND_MAX_OUTPUTS]; /**< e.g. "macd", "signal", "hist" */
    const void *impl;          /**< private: implementation hooks */
} ct_indicator_info;

/** A streaming indicator state (opaque). */
typedef struct ct_ind_stream ct_ind_stream;

/* ---- typed batch functions --------------------------------------------------------------- */

/**
 * Simple moving average of the last `period` values (running sum; TA-Lib's values to rounding).
 * @param[in] in  n input values. @param[in] n number of rows (>= 0). @param[in] period 1..100000.
 * @param[out] out n values; NaN for rows < period-1.
 * @return CT_OK, CT_E_INVALID_ARG (NULL pointer with n > 0 or n < 0), CT_E_RANGE (period).
 * @threadsafety re-entrant. @since 0.1
 */
CT_API ct_status ct_ind_sma(const double *in, int64_t n, int32_t period, double *out);
/** Lookback of ct_ind_sma: period-1, or -1 for a bad period. @since 0.1 */
CT_API int32_t ct_ind_sma_lookback(int32_t period);

/**
 * Exponential moving average, k = 2/(period+1), seeded with the SMA of the first `period` values.
 * @param[in] in n values. @param[in] n rows. @param[in] period 1..100000. @param[out] out n values.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE (period). @threadsafety re-entrant. @since 0.1
 */
CT_API ct_status ct_ind_ema(const double *in, int64_t n, int32_t period, double *out);
/** Lookback of ct_ind_ema: period-1, or -1. @since 0.1 */
CT_API int32_t ct_ind_ema_lookback(int32_t period);

/**
 * Relative Strength Index with Wilder smoothing; 0 when average gain + loss is below 1e-14.
 * @param[in] in n values. @param[in] n rows. @param[in] period 2..100000. @param[out] out n values.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE (period). @threadsafety re-entrant. @since 0.1
 */
CT_API ct_status ct_ind_rsi(const double *in, int64_t n, int32_t period, double *out);
/** Lookback of ct_ind_rsi: period, or -1. @since 0.1 */
CT_API int32_t ct_ind_rsi_lookback(int32_t period);

/**
 * MACD (TA-Lib: both EMAs start at row slow-1, the fast one seeded with the SMA of the last
 * `fast` values there). If slow < fast the two are swapped, as in TA-Lib.
 * @param[in] in n values. @param[in] n rows. @param[in] fast 2..100000. @param[in] slow 2..100000.
 * @param[in] signal 1..100000. @param[out] macd,signal_line,hist n values each.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE (fast, slow or signal).
 * @threadsafety re-entrant. @since 0.1
 */
CT_API ct_status ct_ind_macd(const double *in, int64_t n, int32_t fast, int32_t slow, int32_t signal,
                             double *macd, double *signal_line, double *hist);
/** Lookback of ct_ind_macd: max(fast,slow)-1 + signal-1, or -1. @since 0.1 */
CT_API int32_t ct_ind_macd_lookback(int32_t fast, int32_t slow, int32_t signal);

/**
 * Bollinger Bands: middle = SMA(period), bands = middle ± nbdev × population standard
 * deviation, computed with a numerically stable rolling update (see docs/indicators.md).
 * @param[in] in n values. @param[in] n rows. @param[in] period 2..100000.
 * @param[in] nbdev_up,nbdev_dn -1e6..1e6. @param[out] upper,middle,lower n values each.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE (period, nbdev_up or nbdev_dn).
 * @threadsafety re-entrant. @since 0.1
 */
CT_API ct_status ct_ind_bbands(const double *in, int64_t n, int32_t period, double nbdev_up, double nbdev_dn,
                               double *upper, double *middle, double *lower);
/** Lookback of ct_ind_bbands: period-1, or -1. @since 0.1 */
CT_API int32_t ct_ind_bbands_lookback(int32_t period);

/**
 * Average True Range with Wilder smoothing, seeded with the mean of the first `period` true ranges.
 * @param[in] high,low,close n values each. @param[in] n rows. @param[in] period 1..100000.
 * @param[out] out n values. @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE (period).
 * @threadsafety re-entrant. @since 0.1
 */
CT_API ct_status ct_ind_atr(const double *high, const double *low, const double *close, int64_t n,
                            int32_t period, double *out);
/** Lookback of ct_ind_atr: period, or -1. @since 0.1 */
CT_API int32_t ct_ind_atr_lookback(int32_t period);

/* ---- the table and the generic path ------------------------------------------------------ */

/** Number of indicators in the table. @threadsafety safe. @since 0.1 */
CT_API int32_t ct_indicator_count(void);

/** The i-th indicator (0 <= i < count), or NULL. Static, never freed. @since 0.1 */
CT_API const ct_indicator_info *ct_indicator_at(int32_t i);

/** The indicator called `name` (case-insensitive, e.g. "rsi"), or NULL. @since 0.1 */
CT_API const ct_indicator_info *ct_indicator_find(const char *name);

/**
 * Lookback of `ind` for the given options (n_options values; NULL = all defaults).
 * @return the lookback (>= 0), or -1 if ind is NULL or an option is invalid. @since 0.1
 */
CT_API int32_t ct_indicator_lookback(const ct_indicator_info *ind, const double *options);

/**
 * Check options against the table's ranges.
 * @param[in] ind indicator. @param[in] options n_options values (NULL = defaults).
 * @return CT_OK, CT_E_INVALID_ARG (ind NULL), CT_E_RANGE (message names the option). @since 0.1
 */
CT_API ct_status ct_indicator_check_options(const ct_indicator_info *ind, const double *options);

/**
 * Run any indicator over n rows.
 * @param[in] ind indicator from the table.
 * @param[in] n rows (>= 0).
 * @param[in] inputs n_inputs pointers to n values each, in the order of input_names.
 * @param[in] options n_options values (NULL = all defaults).
 * @param[out] outputs n_outputs pointers to n doubles each (aligned, NaN before the lookback).
 * @return CT_OK, CT_E_INVALID_ARG (NULL ind/pointer, n < 0), CT_E_RANGE (an option),
 *         CT_E_NOMEM (indicators that need a work buffer, e.g. windowed min/max).
 * @threadsafety re-entrant. @since 0.1
 */
CT_API ct_status ct_indicator_run(const ct_indicator_info *ind, int64_t n, const double *const *inputs,
                                  const double *options, double *const *outputs);

/* ---- field accessors (so FFI callers need not mirror the struct) -------------------------- */

/** Short name ("" for NULL). @since 0.1 */
CT_API const char *ct_indicator_name(const ct_indicator_info *ind);
/** Full name ("" for NULL). @since 0.1 */
CT_API const char *ct_indicator_full_name(const ct_indicator_info *ind);
/** Group name ("" for NULL). @since 0.1 */
CT_API const char *ct_indicator_group(const ct_indicator_info *ind);
/** Number of inputs (0 for NULL). @since 0.1 */
CT_API int32_t ct_indicator_n_inputs(const ct_indicator_info *ind);
/** Name of input i ("open", "high", "low", "close" or "volume"), NULL if out of range. @since 0.1 */
CT_API const char *ct_indicator_input_name(const ct_indicator_info *ind, int32_t i);
/** Number of options (0 for NULL). @since 0.1 */
CT_API int32_t ct_indicator_n_options(const ct_indicator_info *ind);
/** Name of option i, NULL if out of range. @since 0.1 */
CT_API const char *ct_indicator_option_name(const ct_indicator_info *ind, int32_t i);
/** Default of option i (NaN if out of range). @since 0.1 */
CT_API double ct_indicator_option_default(const ct_indicator_info *ind, int32_t i);
/** Minimum of option i (NaN if out of range). @since 0.1 */
CT_API double ct_indicator_option_min(const ct_indicator_info *ind, int32_t i);
/** Maximum of option i (NaN if out of range). @since 0.1 */
CT_API double ct_indicator_option_max(const ct_indicator_info *ind, int32_t i);
/** Suggested grid step of option i (NaN if out of range). @since 0.1 */
CT_API double ct_indicator_option_step(const ct_indicator_info *ind, int32_t i);
/** 1 if option i must be an integer, 0 otherwise or out of range. @since 0.1 */
CT_API int32_t ct_indicator_option_is_integer(const ct_indicator_info *ind, int32_t i);
/** Number of outputs (0 for NULL). @since 0.1 */
CT_API int32_t ct_indicator_n_outputs(const ct_indicator_info *ind);
/** Name of output i, NULL if out of range. @since 0.1 */
CT_API const char *ct_indicator_output_name(const ct_indicator_info *ind, int32_t i);

/* ---- streaming --------------------------------------------------------------------------- */

/**
 * Create a streaming state: feed one bar at a time with ct_ind_stream_step(). The outputs of
 * step number i (0-based) are bit-identical to row i of the batch output, whatever the chunking.
 * @param[in] ind indicator. @param[in] options n_options values (NULL = defaults); copied.
 * @param[out] out new state owned by the caller (ct_ind_stream_free); NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE (an option), CT_E_NOMEM.
 * @threadsafety re-entrant; the state is not thread-safe. @since 0.1
 */
CT_API ct_status ct_ind_stream_new(const ct_indicator_info *ind, const double *options, ct_ind_stream **out);

/**
 * Feed one bar.
 * @param[in] s state. @param[in] inputs one value per input (order of input_names).
 * @param[out] outputs one value per output; NaN during the warm-up (the first lookback steps).
 * @return CT_OK, CT_E_INVALID_ARG (NULL pointer). @since 0.1
 */
CT_API ct_status ct_ind_stream_step(ct_ind_stream *s, const double *inputs, double *outputs);

/**
 * Feed n bars at once: inputs[k][i] is input k of bar i, outputs[k][i] receives output k.
 * Same results as n calls of ct_ind_stream_step().
 * @return CT_OK, CT_E_INVALID_ARG (NULL pointer, n < 0). @since 0.1
 */
CT_API ct_status ct_ind_stream_run(ct_ind_stream *s, int64_t n, const double *const *inputs,
                                   double *const *outputs);

/** Number of bars fed so far (0 for NULL). @since 0.1 */
CT_API int64_t ct_ind_stream_count(const ct_ind_stream *s);

/** The indicator of a state (NULL for NULL). @since 0.1 */
CT_API const ct_indicator_info *ct_ind_stream_indicator(const ct_ind_stream *s);

/** Detail of the last failure on this state ("" if none). Valid until the next call on it. @since 0.1 */
CT_API const char *ct_ind_stream_errmsg(const ct_ind_stream *s);

/** Free a state; NULL is a harmless no-op. @since 0.1 */
CT_API void ct_ind_stream_free(ct_ind_stream *s);

CT_EXTERN_C_END

#endif /* CRYPTOTA_INDICATORS_H */
