/*
 * Search spaces (DESIGN.md section 9): a JSON object mapping parameter names to a list of values
 * or a range {"from", "to", "step"}, checked against the strategy class schema. A grid is the
 * cartesian product enumerated lazily by index (schema order, the last parameter varying
 * fastest), so memory is the sum of the per-parameter value lists and a shard is a set of
 * indices. Random search draws sample i from a generator seeded by (seed, i) alone, so samples
 * too can be computed in any order and split across shards.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cryptota/strategy.h"
#include "optimizer/opt_internal.h"

/* Ranges are expanded into value lists (canonical form, shard documents), so one parameter is
 * capped well below what would take seconds and gigabytes to expand. */
#define MAX_VALUES_PER_PARAM 100000

void ct__space_free(ct__space *sp)
{
    if (!sp)
        return;
    if (sp->names)
        for (int32_t i = 0; i < sp->n_schema; i++)
            ct__free(sp->names[i]);
    ct__free(sp->names);
    ct__free(sp->kinds);
    ct__free(sp->defaults);
    if (sp->p)
        for (int32_t i = 0; i < sp->n_params; i++)
            ct__free(sp->p[i].values);
    ct__free(sp->p);
    ct__free(sp->canonical);
    memset(sp, 0, sizeof(*sp));
}

void ct__sbuf_param(ct__sbuf *b, int32_t kind, double v)
{
    if (kind == CT_PARAM_BOOL)
        ct__sbuf_puts(b, v != 0.0 ? "true" : "false");
    else if (kind == CT_PARAM_INT && fabs(v) < 9e15)
        ct__sbuf_printf(b, "%lld", (long long)v);
    else
        ct__sbuf_num(b, v);
}

/* Decimal places (<= 12) needed to write x exactly enough, to snap range values like 0.1*3. */
static int decimals_of(double x)
{
    for (int d = 0; d <= 12; d++) {
        double s = x * pow(10.0, d);
        if (fabs(s - nearbyint(s)) < 1e-9 * (fabs(s) > 1.0 ? fabs(s) : 1.0))
            return d;
    }
    return -1;
}

/* A JSON value as a parameter value of `kind`; CT_OK or an error naming the parameter. */
static ct_status json_value(const cJSON *v, const char *name, int32_t kind, double *out, ct__err *err)
{
    if (cJSON_IsBool(v)) {
        if (kind != CT_PARAM_BOOL)
            return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s' takes numbers, not true/false", name);
        *out = cJSON_IsTrue(v) ? 1.0 : 0.0;
        return CT_OK;
    }
    if (!cJSON_IsNumber(v))
        return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s': values must be numbers%s", name,
                        kind == CT_PARAM_BOOL ? " or booleans" : "");
    double d = v->valuedouble;
    if (!isfinite(d))
        return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s': value is not finite", name);
    if (kind == CT_PARAM_INT && d != nearbyint(d))
        return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s' is an integer; %.17g is not", name, d);
    if (kind == CT_PARAM_BOOL && d != 0.0 && d != 1.0)
        return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s' is a boolean; %.17g is not 0 or 1", name, d);
    *out = d;
    return CT_OK;
}

static ct_status check_bounds(double v, const char *name, double lo, double hi, ct__err *err)
{
    if (v < lo || v > hi)
        return ct__fail(err, CT_E_RANGE, "grid: parameter '%s': %.17g is outside its range [%.17g, %.17g]", name, v,
                        lo, hi);
    return CT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A grid list naming a value twice would run its combinations twice, and count them twice in the
 * trial count of the deflated Sharpe ratio and in PBO. (A random search's list may repeat a value
 * to weight it.) */
static ct_status no_repeats(const ct__space_param *p, const char *name, ct__err *err)
{
    if (p->n_values < 2)
        return CT_OK;
    double *v = ct__malloc_array((size_t)p->n_values, sizeof(double));
    if (!v)
        return ct__fail(err, CT_E_NOMEM, "grid: out of memory");
    memcpy(v, p->values, (size_t)p->n_values * sizeof(double));
    qsort(v, (size_t)p->n_values, sizeof(double), cmp_double);
    ct_status st = CT_OK;
    for (int64_t i = 1; i < p->n_values && st == CT_OK; i++)
        if (v[i] == v[i - 1]) {
            char num[32]; /* the shortest of %.15g and %.17g that reads back as the value */
            snprintf(num, sizeof(num), "%.15g", v[i]);
            if (strtod(num, NULL) != v[i])
                snprintf(num, sizeof(num), "%.17g", v[i]);
            st = ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s': value %s is listed twice", name, num);
        }
    ct__free(v);
    return st;
}

static ct_status parse_param(ct__space *sp, ct__space_param *p, const cJSON *v, const char *name, double lo,
                             double hi, ct__err *err)
{
    ct_status st;
    if (cJSON_IsArray(v)) {
        int n = cJSON_GetArraySize(v);
        if (n < 1)
            return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s': empty list", name);
        p->values = ct__malloc_array((size_t)n, sizeof(double));
        if (!p->values)
            return ct__fail(err, CT_E_NOMEM, "grid: out of memory");
        p->n_values = n;
        int i = 0;
        for (const cJSON *e = v->child; e; e = e->next, i++) {
            if ((st = json_value(e, name, p->kind, &p->values[i], err)) != CT_OK ||
                (st = check_bounds(p->values[i], name, lo, hi, err)) != CT_OK)
                return st;
        }
        return sp->random ? CT_OK : no_repeats(p, name, err);
    }
    if (cJSON_IsNumber(v) || cJSON_IsBool(v)) { /* a single value: a one-element list */
        p->values = ct__malloc(sizeof(double));
        if (!p->values)
            return ct__fail(err, CT_E_NOMEM, "grid: out of memory");
        p->n_values = 1;
        if ((st = json_value(v, name, p->kind, &p->values[0], err)) != CT_OK)
            return st;
        return check_bounds(p->values[0], name, lo, hi, err);
    }
    if (!cJSON_IsObject(v))
        return ct__fail(err, CT_E_INVALID_ARG,
                        "grid: parameter '%s' must be a list of values or {\"from\", \"to\", \"step\"}", name);
    for (const cJSON *e = v->child; e; e = e->next)
        if (strcmp(e->string, "from") && strcmp(e->string, "to") && strcmp(e->string, "step"))
            return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s': unknown key '%s' (expected from, to, step)",
                            name, e->string);
    const cJSON *jf = cJSON_GetObjectItemCaseSensitive(v, "from");
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(v, "to");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(v, "step");
    if (!jf || !jt)
        return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s': range needs \"from\" and \"to\"", name);
    double from, to, step = 0.0;
    if ((st = json_value(jf, name, p->kind, &from, err)) != CT_OK || (st = json_value(jt, name, p->kind, &to, err)) != CT_OK)
        return st;
    if (js) {
        if (!cJSON_IsNumber(js) || !isfinite(js->valuedouble) || !(js->valuedouble > 0.0))
            return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s': step must be a number > 0", name);
        step = js->valuedouble;
        if (p->kind != CT_PARAM_REAL && step != nearbyint(step))
            return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s' is an integer; step %.17g is not", name, step);
    } else if (p->kind != CT_PARAM_REAL || !sp->random) {
        if (p->kind == CT_PARAM_REAL)
            return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s': a real range needs a step", name);
        step = 1.0;
    }
    if (to < from)
        return ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s': to (%.17g) is below from (%.17g)", name, to, from);
    if ((st = check_bounds(from, name, lo, hi, err)) != CT_OK || (st = check_bounds(to, name, lo, hi, err)) != CT_OK)
        return st;
    p->is_range = 1;
    p->from = from;
    p->to = to;
    p->step = step;
    if (sp->random && step == 0.0)
        return CT_OK; /* continuous: sampled directly */
    /* inclusive end with a tolerance for float steps: 0.1..0.3 step 0.1 has 3 values */
    double span = (to - from) / step;
    if (span > MAX_VALUES_PER_PARAM)
        return ct__fail(err, CT_E_RANGE, "grid: parameter '%s': range has more than %d values", name,
                        MAX_VALUES_PER_PARAM);
    int64_t n = (int64_t)floor(span + 1e-9) + 1;
    int dec = decimals_of(from), ds = decimals_of(step);
    if (dec >= 0 && ds > dec)
        dec = ds;
    if (ds < 0)
        dec = -1;
    p->values = ct__malloc_array((size_t)n, sizeof(double));
    if (!p->values)
        return ct__fail(err, CT_E_NOMEM, "grid: out of memory");
    p->n_values = n;
    for (int64_t i = 0; i < n; i++) {
        double x = from + (double)i * step;
        if (dec >= 0) {
            double sc = pow(10.0, dec);
            x = nearbyint(x * sc) / sc;
        }
        if (x > to)
            x = to;
        p->values[i] = x;
    }
    return CT_OK;
}

static void canonical(ct__space *sp)
{
    ct__sbuf b = {0};
    ct__sbuf_printf(&b, "{\"mode\":\"%s\"", sp->random ? "random" : "grid");
    if (sp->random)
        ct__sbuf_printf(&b, ",\"n\":%lld,\"seed\":%llu", (long long)sp->total, (unsigned long long)sp->seed);
    ct__sbuf_puts(&b, ",\"params\":{");
    for (int32_t i = 0; i < sp->n_params; i++) {
        const ct__space_param *p = &sp->p[i];
        if (i)
            ct__sbuf_puts(&b, ",");
        ct__sbuf_str(&b, sp->names[p->schema_index]);
        ct__sbuf_puts(&b, ":");
        if (sp->random && p->is_range) {
            ct__sbuf_puts(&b, "{\"from\":");
            ct__sbuf_num(&b, p->from);
            ct__sbuf_puts(&b, ",\"to\":");
            ct__sbuf_num(&b, p->to);
            ct__sbuf_puts(&b, ",\"step\":");
            ct__sbuf_num(&b, p->step);
            ct__sbuf_puts(&b, "}");
            continue;
        }
        ct__sbuf_puts(&b, "[");
        for (int64_t k = 0; k < p->n_values; k++) {
            if (k)
                ct__sbuf_puts(&b, ",");
            ct__sbuf_param(&b, p->kind, p->values[k]);
        }
        ct__sbuf_puts(&b, "]");
    }
    ct__sbuf_puts(&b, "}}");
    sp->canonical = ct__sbuf_take(&b);
}

ct_status ct__space_parse(ct__space *sp, const ct_strategy_class *cls, const char *json, int32_t random, int64_t n,
                          uint64_t seed, ct__err *err)
{
    memset(sp, 0, sizeof(*sp));
    if (!cls || !json)
        return ct__fail(err, CT_E_INVALID_ARG, "grid: %s is NULL", cls ? "json" : "class");
    if (random && n < 1)
        return ct__fail(err, CT_E_INVALID_ARG, "random search: number of samples %lld must be >= 1", (long long)n);
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ct__fail(err, CT_E_FORMAT, "grid: not a JSON object");
    }
    ct_status st = CT_OK;
    int32_t ns = ct_strategy_class_n_params(cls);
    sp->random = random;
    sp->seed = seed;
    sp->n_schema = ns;
    sp->names = ct__calloc((size_t)(ns > 0 ? ns : 1), sizeof(char *));
    sp->kinds = ct__calloc((size_t)(ns > 0 ? ns : 1), sizeof(int32_t));
    sp->defaults = ct__calloc((size_t)(ns > 0 ? ns : 1), sizeof(double));
    int nkeys = cJSON_GetArraySize(root);
    sp->p = ct__calloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof(ct__space_param));
    if (!sp->names || !sp->kinds || !sp->defaults || !sp->p) {
        st = ct__fail(err, CT_E_NOMEM, "grid: out of memory");
        goto fail;
    }
    for (int32_t i = 0; i < ns; i++) {
        const char *name;
        ct_strategy_class_param(cls, i, &name, &sp->kinds[i], &sp->defaults[i], NULL, NULL, NULL, NULL);
        if (!(sp->names[i] = ct__strdup(name))) {
            st = ct__fail(err, CT_E_NOMEM, "grid: out of memory");
            goto fail;
        }
    }
    /* keys must be schema parameters, each at most once */
    for (const cJSON *e = root->child; e; e = e->next) {
        int32_t idx = ct_strategy_class_param_index(cls, e->string);
        if (idx < 0) {
            ct__sbuf known = {0};
            for (int32_t i = 0; i < ns; i++) {
                ct__sbuf_puts(&known, i ? ", " : "");
                ct__sbuf_puts(&known, sp->names[i]);
            }
            st = ct__fail(err, CT_E_INVALID_ARG, "grid: unknown parameter '%s' (class %s has: %s)", e->string,
                          ct_strategy_class_name(cls), known.p ? known.p : "no parameters");
            ct__sbuf_free(&known);
            goto fail;
        }
        for (const cJSON *f = root->child; f != e; f = f->next)
            if (strcmp(f->string, e->string) == 0) {
                st = ct__fail(err, CT_E_INVALID_ARG, "grid: parameter '%s' appears twice", e->string);
                goto fail;
            }
    }
    /* parameters in schema order */
    sp->total = 1;
    for (int32_t i = 0; i < ns; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, sp->names[i]);
        if (!v)
            continue;
        ct__space_param *p = &sp->p[sp->n_params++];
        double lo, hi;
        ct_strategy_class_param(cls, i, NULL, NULL, NULL, &lo, &hi, NULL, NULL);
        p->schema_index = i;
        p->kind = sp->kinds[i];
        if ((st = parse_param(sp, p, v, sp->names[i], lo, hi, err)) != CT_OK)
            goto fail;
        if (!random) {
            if ((double)sp->total * (double)p->n_values > 9.0e15) {
                st = ct__fail(err, CT_E_RANGE, "grid: more than 9e15 combinations");
                goto fail;
            }
            sp->total *= p->n_values;
        }
    }
    if (random)
        sp->total = n;
    canonical(sp);
    if (!sp->canonical) {
        st = ct__fail(err, CT_E_NOMEM, "grid: out of memory");
        goto fail;
    }
    cJSON_Delete(root);
    return CT_OK;
fail:
    cJSON_Delete(root);
    ct__space_free(sp);
    return st;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform integer in [0, k) (Lemire's multiply-shift; bias < k / 2^64). */
static uint64_t uniform_below(uint64_t *x, uint64_t k)
{
    return (uint64_t)(((unsigned __int128)splitmix64(x) * k) >> 64);
}

void ct__space_values(const ct__space *sp, int64_t index, double *vals)
{
    memcpy(vals, sp->defaults, (size_t)sp->n_schema * sizeof(double));
    if (!sp->random) {
        int64_t rest = index;
        for (int32_t i = sp->n_params - 1; i >= 0; i--) {
            const ct__space_param *p = &sp->p[i];
            vals[p->schema_index] = p->values[rest % p->n_values];
            rest /= p->n_values;
        }
        return;
    }
    /* sample `index`: a generator seeded by (seed, index) only */
    uint64_t x = sp->seed ^ ((uint64_t)index * UINT64_C(0xD1B54A32D192ED03));
    splitmix64(&x);
    for (int32_t i = 0; i < sp->n_params; i++) {
        const ct__space_param *p = &sp->p[i];
        double v;
        if (p->n_values > 0) {
            v = p->values[uniform_below(&x, (uint64_t)p->n_values)];
        } else { /* continuous real range */
            double u = (double)(splitmix64(&x) >> 11) * 0x1.0p-53;
            v = p->from + u * (p->to - p->from);
        }
        vals[p->schema_index] = v;
    }
}
