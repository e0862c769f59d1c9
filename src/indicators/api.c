/*
 * The generic indicator entry points (option checks, run, lookback), the streaming states,
 * the table accessors and the typed wrappers (ct_ind_sma, ...). Everything dispatches through
 * the table row's ct__ind_impl.
 */
#include <stdalign.h>

#include "indicators/ind_internal.h"

struct ct_ind_stream {
    const ct_indicator_info *ind;
    const ct__ind_impl *impl;
    int64_t count;
    ct__err err;
    alignas(16) double state[]; /* impl->state_size(options) bytes */
};

static const ct__ind_impl *impl_of(const ct_indicator_info *ind) { return (const ct__ind_impl *)ind->impl; }

/* Options with defaults filled in (options NULL = all defaults). */
static void fill_options(const ct_indicator_info *ind, const double *options, double *opt)
{
    for (int32_t i = 0; i < CT_IND_MAX_OPTIONS; i++)
        opt[i] = i < ind->n_options ? (options ? options[i] : ind->options[i].def) : 0.0;
}

static ct_status check_options(ct__err *err, const ct_indicator_info *ind, const double *opt)
{
    for (int32_t i = 0; i < ind->n_options; i++) {
        const ct_indicator_option *o = &ind->options[i];
        double v = opt[i];
        if (isnan(v) || v < o->min || v > o->max || (o->is_integer && v != floor(v)))
            return ct__fail(err, CT_E_RANGE, "%s: option '%s' must be %s in [%.17g, %.17g], got %.17g", ind->name,
                            o->name, o->is_integer ? "an integer" : "a number", o->min, o->max, v);
    }
    return CT_OK;
}

ct_status ct_indicator_check_options(const ct_indicator_info *ind, const double *options)
{
    double opt[CT_IND_MAX_OPTIONS];
    if (!ind)
        return ct__fail(NULL, CT_E_INVALID_ARG, "indicator: ind is NULL");
    fill_options(ind, options, opt);
    return check_options(NULL, ind, opt);
}

int32_t ct_indicator_lookback(const ct_indicator_info *ind, const double *options)
{
    double opt[CT_IND_MAX_OPTIONS];
    if (!ind)
        return -1;
    fill_options(ind, options, opt);
    if (check_options(NULL, ind, opt) != CT_OK)
        return -1;
    return impl_of(ind)->lookback(opt);
}

ct_status ct_indicator_run(const ct_indicator_info *ind, int64_t n, const double *const *inputs, const double *options,
                           double *const *outputs)
{
    double opt[CT_IND_MAX_OPTIONS];
    ct_status s;
    if (!ind)
        return ct__fail(NULL, CT_E_INVALID_ARG, "indicator: ind is NULL");
    if (n < 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "%s: n is negative (%lld)", ind->name, (long long)n);
    fill_options(ind, options, opt);
    s = check_options(NULL, ind, opt);
    if (s != CT_OK)
        return s;
    if (n == 0)
        return CT_OK;
    if (!inputs || !outputs)
        return ct__fail(NULL, CT_E_INVALID_ARG, "%s: %s is NULL", ind->name, inputs ? "outputs" : "inputs");
    for (int32_t k = 0; k < ind->n_inputs; k++)
        if (!inputs[k])
            return ct__fail(NULL, CT_E_INVALID_ARG, "%s: input %d (%s) is NULL", ind->name, (int)k, ind->input_names[k]);
    for (int32_t k = 0; k < ind->n_outputs; k++)
        if (!outputs[k])
            return ct__fail(NULL, CT_E_INVALID_ARG, "%s: output %d (%s) is NULL", ind->name, (int)k, ind->output_names[k]);
    return impl_of(ind)->batch(n, inputs, opt, outputs);
}

/* ---- streaming ------------------------------------------------------------------------------ */

ct_status ct_ind_stream_new(const ct_indicator_info *ind, const double *options, ct_ind_stream **out)
{
    double opt[CT_IND_MAX_OPTIONS];
    ct_ind_stream *s;
    ct_status st;
    size_t size;
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_ind_stream_new: out is NULL");
    *out = NULL;
    if (!ind)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_ind_stream_new: ind is NULL");
    fill_options(ind, options, opt);
    st = check_options(NULL, ind, opt);
    if (st != CT_OK)
        return st;
    size = impl_of(ind)->state_size(opt);
    s = ct__malloc(sizeof(*s) + size);
    if (!s)
        return ct__fail(NULL, CT_E_NOMEM, "%s: out of memory for a stream state (%zu bytes)", ind->name, sizeof(*s) + size);
    s->ind = ind;
    s->impl = impl_of(ind);
    s->count = 0;
    ct__err_clear(&s->err);
    s->impl->init(s->state, opt);
    *out = s;
    return CT_OK;
}

ct_status ct_ind_stream_step(ct_ind_stream *s, const double *inputs, double *outputs)
{
    if (!s)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_ind_stream_step: s is NULL");
    if (!inputs || !outputs)
        return ct__fail(&s->err, CT_E_INVALID_ARG, "%s: %s is NULL", s->ind->name, inputs ? "outputs" : "inputs");
    s->impl->step(s->state, inputs, outputs);
    s->count++;
    return CT_OK;
}

ct_status ct_ind_stream_run(ct_ind_stream *s, int64_t n, const double *const *inputs, double *const *outputs)
{
    double x[CT_IND_MAX_INPUTS];
    double y[CT_IND_MAX_OUTPUTS];
    if (!s)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_ind_stream_run: s is NULL");
    if (n < 0)
        return ct__fail(&s->err, CT_E_INVALID_ARG, "%s: n is negative", s->ind->name);
    if (n == 0)
        return CT_OK;
    if (!inputs || !outputs)
        return ct__fail(&s->err, CT_E_INVALID_ARG, "%s: %s is NULL", s->ind->name, inputs ? "outputs" : "inputs");
    for (int32_t k = 0; k < s->ind->n_inputs; k++)
        if (!inputs[k])
            return ct__fail(&s->err, CT_E_INVALID_ARG, "%s: input %d is NULL", s->ind->name, (int)k);
    for (int32_t k = 0; k < s->ind->n_outputs; k++)
        if (!outputs[k])
            return ct__fail(&s->err, CT_E_INVALID_ARG, "%s: output %d is NULL", s->ind->name, (int)k);
    for (int64_t i = 0; i < n; i++) {
        for (int32_t k = 0; k < s->ind->n_inputs; k++)
            x[k] = inputs[k][i];
        s->impl->step(s->state, x, y);
        for (int32_t k = 0; k < s->ind->n_outputs; k++)
            outputs[k][i] = y[k];
    }
    s->count += n;
    return CT_OK;
}

int64_t ct_ind_stream_count(const ct_ind_stream *s) { return s ? s->count : 0; }
const ct_indicator_info *ct_ind_stream_indicator(const ct_ind_stream *s) { return s ? s->ind : NULL; }
const char *ct_ind_stream_errmsg(const ct_ind_stream *s) { return s ? ct__errmsg(&s->err) : ""; }
void ct_ind_stream_free(ct_ind_stream *s) { ct__free(s); }

/* ---- accessors ------------------------------------------------------------------------------ */

const char *ct_indicator_name(const ct_indicator_info *ind) { return ind ? ind->name : ""; }
const char *ct_indicator_full_name(const ct_indicator_info *ind) { return ind ? ind->full_name : ""; }
const char *ct_indicator_group(const ct_indicator_info *ind) { return ind ? ind->group : ""; }
int32_t ct_indicator_n_inputs(const ct_indicator_info *ind) { return ind ? ind->n_inputs : 0; }
int32_t ct_indicator_n_options(const ct_indicator_info *ind) { return ind ? ind->n_options : 0; }
int32_t ct_indicator_n_outputs(const ct_indicator_info *ind) { return ind ? ind->n_outputs : 0; }

const char *ct_indicator_input_name(const ct_indicator_info *ind, int32_t i)
{
    return (ind && i >= 0 && i < ind->n_inputs) ? ind->input_names[i] : NULL;
}
const char *ct_indicator_output_name(const ct_indicator_info *ind, int32_t i)
{
    return (ind && i >= 0 && i < ind->n_outputs) ? ind->output_names[i] : NULL;
}
static const ct_indicator_option *option_at(const ct_indicator_info *ind, int32_t i)
{
    return (ind && i >= 0 && i < ind->n_options) ? &ind->options[i] : NULL;
}
const char *ct_indicator_option_name(const ct_indicator_info *ind, int32_t i)
{
    const ct_indicator_option *o = option_at(ind, i);
    return o ? o->name : NULL;
}
double ct_indicator_option_default(const ct_indicator_info *ind, int32_t i)
{
    const ct_indicator_option *o = option_at(ind, i);
    return o ? o->def : CT__NAN;
}
double ct_indicator_option_min(const ct_indicator_info *ind, int32_t i)
{
    const ct_indicator_option *o = option_at(ind, i);
    return o ? o->min : CT__NAN;
}
double ct_indicator_option_max(const ct_indicator_info *ind, int32_t i)
{
    const ct_indicator_option *o = option_at(ind, i);
    return o ? o->max : CT__NAN;
}
double ct_indicator_option_step(const ct_indicator_info *ind, int32_t i)
{
    const ct_indicator_option *o = option_at(ind, i);
    return o ? o->step : CT__NAN;
}
int32_t ct_indicator_option_is_integer(const ct_indicator_info *ind, int32_t i)
{
    const ct_indicator_option *o = option_at(ind, i);
    return o ? o->is_integer : 0;
}

/* ---- typed wrappers ------------------------------------------------------------------------- */

/* Run a named indicator through the table with the given inputs/options/outputs. */
static ct_status run_named(const char *name, int64_t n, const double *const *in, int32_t n_in, const double *opt,
                           double *const *out, int32_t n_out)
{
    const ct_indicator_info *ind = ct_indicator_find(name);
    if (!ind)
        return ct__fail(NULL, CT_E_INTERNAL, "indicator '%s' missing from the table", name);
    if (n > 0) {
        for (int32_t k = 0; k < n_in; k++)
            if (!in[k])
                return ct__fail(NULL, CT_E_INVALID_ARG, "%s: input '%s' is NULL", name, ind->input_names[k]);
        for (int32_t k = 0; k < n_out; k++)
            if (!out[k])
                return ct__fail(NULL, CT_E_INVALID_ARG, "%s: output '%s' is NULL", name, ind->output_names[k]);
    }
    return ct_indicator_run(ind, n, in, opt, out);
}

static int32_t lookback_named(const char *name, const double *opt)
{
    return ct_indicator_lookback(ct_indicator_find(name), opt);
}

ct_status ct_ind_sma(const double *in, int64_t n, int32_t period, double *out)
{
    const double *i[1] = {in};
    double *o[1] = {out};
    double opt[1] = {period};
    return run_named("sma", n, i, 1, opt, o, 1);
}
int32_t ct_ind_sma_lookback(int32_t period)
{
    double opt[1] = {period};
    return lookback_named("sma", opt);
}

ct_status ct_ind_ema(const double *in, int64_t n, int32_t period, double *out)
{
    const double *i[1] = {in};
    double *o[1] = {out};
    double opt[1] = {period};
    return run_named("ema", n, i, 1, opt, o, 1);
}
int32_t ct_ind_ema_lookback(int32_t period)
{
    double opt[1] = {period};
    return lookback_named("ema", opt);
}

ct_status ct_ind_rsi(const double *in, int64_t n, int32_t period, double *out)
{
    const double *i[1] = {in};
    double *o[1] = {out};
    double opt[1] = {period};
    return run_named("rsi", n, i, 1, opt, o, 1);
}
int32_t ct_ind_rsi_lookback(int32_t period)
{
    double opt[1] = {period};
    return lookback_named("rsi", opt);
}

ct_status ct_ind_macd(const double *in, int64_t n, int32_t fast, int32_t slow, int32_t signal, double *macd,
                      double *signal_line, double *hist)
{
    const double *i[1] = {in};
    double *o[3] = {macd, signal_line, hist};
    double opt[3] = {fast, slow, signal};
    return run_named("macd", n, i, 1, opt, o, 3);
}
int32_t ct_ind_macd_lookback(int32_t fast, int32_t slow, int32_t signal)
{
    double opt[3] = {fast, slow, signal};
    return lookback_named("macd", opt);
}

ct_status ct_ind_bbands(const double *in, int64_t n, int32_t period, double nbdev_up, double nbdev_dn, double *upper,
                        double *middle, double *lower)
{
    const double *i[1] = {in};
    double *o[3] = {upper, middle, lower};
    double opt[3] = {period, nbdev_up, nbdev_dn};
    return run_named("bbands", n, i, 1, opt, o, 3);
}
int32_t ct_ind_bbands_lookback(int32_t period)
{
    double opt[3] = {period, 2, 2};
    return lookback_named("bbands", opt);
}

ct_status ct_ind_atr(const double *high, const double *low, const double *close, int64_t n, int32_t period, double *out)
{
    const double *i[3] = {high, low, close};
    double *o[1] = {out};
    double opt[1] = {period};
    return run_named("atr", n, i, 3, opt, o, 1);
}
int32_t ct_ind_atr_lookback(int32_t period)
{
    double opt[1] = {period};
    return lookback_named("atr", opt);
}
