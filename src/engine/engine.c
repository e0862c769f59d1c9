/*
 * ct_engine: settings (typed setters with gapped IDs and a JSON document, both validated the
 * same way), the backtest loop of DESIGN.md section 7, declared indicators through the shared
 * cache, the feed content hash, and the result it hands back.
 */
#include <math.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include <cJSON.h>

#include "engine/engine_internal.h"
#include "feed/feed_internal.h"

/* ---- settings table ---- */

enum { K_REAL, K_BOOL, K_ENUM };

typedef struct {
    int32_t id;
    const char *key;
    int32_t kind;
    double lo, hi;
    const char *const *names; /* K_ENUM: value names */
} setting;

static const char *const k_fill_names[] = {"next_open", "close", NULL};
static const char *const k_freq_names[] = {"bar", "daily", NULL};

static const setting k_settings[] = {
    {CT_ENGINE_CAPITAL, "capital", K_REAL, 1e-9, 1e18, NULL},
    {CT_ENGINE_FILL, "fill", K_ENUM, 0, 1, k_fill_names},
    {CT_ENGINE_CLOSE_AT_END, "close_at_end", K_BOOL, 0, 1, NULL},
    {CT_ENGINE_PERIODS_PER_YEAR, "periods_per_year", K_REAL, 0, 1e12, NULL},
    {CT_ENGINE_RISK_FREE, "risk_free", K_REAL, -1, 1, NULL},
    {CT_ENGINE_METRICS_FREQ, "metrics_freq", K_ENUM, 0, 1, k_freq_names},
    {CT_ENGINE_STOP_FIRST, "stop_first", K_BOOL, 0, 1, NULL},
    {CT_ENGINE_COMMISSION, "commission", K_REAL, 0, 0.5, NULL},
    {CT_ENGINE_COMMISSION_MAKER, "maker_commission", K_REAL, -0.01, 0.5, NULL},
    {CT_ENGINE_COMMISSION_TAKER, "taker_commission", K_REAL, 0, 0.5, NULL},
    {CT_ENGINE_SLIPPAGE_BPS, "slippage_bps", K_REAL, 0, 10000, NULL},
    {CT_ENGINE_ALLOW_SHORT, "allow_short", K_BOOL, 0, 1, NULL},
    {CT_ENGINE_LEVERAGE, "leverage", K_REAL, 1, 1000, NULL},
    {CT_ENGINE_TICK_SIZE, "tick_size", K_REAL, 0, 1e12, NULL},
    {CT_ENGINE_LOT_STEP, "lot_step", K_REAL, 0, 1e12, NULL},
    {CT_ENGINE_MIN_NOTIONAL, "min_notional", K_REAL, 0, 1e18, NULL},
};
#define N_SETTINGS ((int32_t)(sizeof(k_settings) / sizeof(k_settings[0])))

static const setting *find_setting(int32_t id)
{
    for (int32_t i = 0; i < N_SETTINGS; i++)
        if (k_settings[i].id == id)
            return &k_settings[i];
    return NULL;
}

void ct__config_defaults(ct__config *c)
{
    memset(c, 0, sizeof(*c));
    c->capital = 10000.0;
    c->fill = CT_FILL_NEXT_OPEN;
    c->stop_first = 1;
    c->maker = 0.001;
    c->taker = 0.001;
    c->leverage = 1.0;
}

static double *field_ptr(ct__config *c, int32_t id)
{
    switch (id) {
    case CT_ENGINE_CAPITAL: return &c->capital;
    case CT_ENGINE_PERIODS_PER_YEAR: return &c->periods_per_year;
    case CT_ENGINE_RISK_FREE: return &c->risk_free;
    case CT_ENGINE_COMMISSION_MAKER: return &c->maker;
    case CT_ENGINE_COMMISSION_TAKER: return &c->taker;
    case CT_ENGINE_SLIPPAGE_BPS: return &c->slippage_bps;
    case CT_ENGINE_LEVERAGE: return &c->leverage;
    case CT_ENGINE_TICK_SIZE: return &c->tick_size;
    case CT_ENGINE_LOT_STEP: return &c->lot_step;
    case CT_ENGINE_MIN_NOTIONAL: return &c->min_notional;
    default: return NULL;
    }
}

static int32_t *int_ptr(ct__config *c, int32_t id)
{
    switch (id) {
    case CT_ENGINE_FILL: return &c->fill;
    case CT_ENGINE_CLOSE_AT_END: return &c->close_at_end;
    case CT_ENGINE_METRICS_FREQ: return &c->metrics_freq;
    case CT_ENGINE_STOP_FIRST: return &c->stop_first;
    case CT_ENGINE_ALLOW_SHORT: return &c->allow_short;
    default: return NULL;
    }
}

static ct_status config_set(ct__config *c, ct__err *err, int32_t id, double v)
{
    const setting *s = find_setting(id);
    if (!s)
        return ct__fail(err, CT_E_INVALID_ARG, "unknown engine setting id %d", (int)id);
    if (isnan(v))
        return ct__fail(err, CT_E_INVALID_ARG, "engine setting '%s' is NaN", s->key);
    if (s->kind != K_REAL && v != floor(v))
        return ct__fail(err, CT_E_INVALID_ARG, "engine setting '%s' must be an integer (got %.17g)", s->key, v);
    if (v < s->lo || v > s->hi)
        return ct__fail(err, CT_E_RANGE, "engine setting '%s' = %.17g is outside [%.17g, %.17g]", s->key, v, s->lo,
                        s->hi);
    if (id == CT_ENGINE_COMMISSION) {
        c->maker = v;
        c->taker = v;
        return CT_OK;
    }
    double *d = field_ptr(c, id);
    if (d)
        *d = v;
    else
        *int_ptr(c, id) = (int32_t)v;
    return CT_OK;
}

static double config_get(const ct__config *c, int32_t id)
{
    if (id == CT_ENGINE_COMMISSION)
        return c->taker;
    double *d = field_ptr((ct__config *)(uintptr_t)c, id);
    if (d)
        return *d;
    int32_t *i = int_ptr((ct__config *)(uintptr_t)c, id);
    return i ? (double)*i : CT__NAN;
}

char *ct__config_json(const ct__config *c)
{
    char buf[2048];
    size_t k = 0;
    buf[k++] = '{';
    for (int32_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &k_settings[i];
        double v = config_get(c, s->id);
        if (v == 0.0)
            v = 0.0; /* -0 is written as 0: the same setting, and the cache key hashes this text */
        k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s\"%s\":", i ? "," : "", s->key);
        if (s->kind == K_BOOL)
            k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s", v != 0 ? "true" : "false");
        else if (s->kind == K_ENUM)
            k += (size_t)snprintf(buf + k, sizeof(buf) - k, "\"%s\"", s->names[(int)v]);
        else if (v == floor(v) && fabs(v) < 1e15)
            k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%.0f", v);
        else
            k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%.17g", v);
    }
    buf[k++] = '}';
    buf[k] = '\0';
    return ct__strdup(buf);
}

/* ---- engine object ---- */

ct_status ct_engine_create(ct_engine **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    ct_engine *e = ct__calloc(1, sizeof(*e));
    if (!e)
        return ct__fail(NULL, CT_E_NOMEM, "out of memory creating an engine");
    ct__config_defaults(&e->cfg);
    *out = e;
    return CT_OK;
}

void ct_engine_destroy(ct_engine *e)
{
    if (!e)
        return;
    ct_indicator_cache_destroy(e->own_cache);
    ct__free(e->funding_time);
    ct__free(e->funding_rate);
    ct__free(e);
}

const char *ct_engine_errmsg(const ct_engine *e) { return e ? ct__errmsg(&e->err) : ""; }

ct_status ct_engine_clone(const ct_engine *e, ct_engine **out)
{
    if (out)
        *out = NULL;
    if (!e)
        return ct__fail(NULL, CT_E_INVALID_ARG, "engine is NULL");
    ct_status st = ct_engine_create(out);
    if (st != CT_OK)
        return st;
    (*out)->cfg = e->cfg;
    st = ct_engine_set_funding(*out, e->funding_time, e->funding_rate, e->n_funding);
    if (st != CT_OK) {
        ct_engine_destroy(*out);
        *out = NULL;
    }
    return st;
}

ct_status ct_engine_set_f64(ct_engine *e, int32_t id, double value)
{
    if (!e)
        return ct__fail(NULL, CT_E_INVALID_ARG, "engine is NULL");
    return config_set(&e->cfg, &e->err, id, value);
}

ct_status ct_engine_set_i64(ct_engine *e, int32_t id, int64_t value) { return ct_engine_set_f64(e, id, (double)value); }

ct_status ct_engine_get_f64(const ct_engine *e, int32_t id, double *value)
{
    if (!e || !value)
        return ct__fail(NULL, CT_E_INVALID_ARG, "engine or value is NULL");
    if (!find_setting(id))
        return ct__fail(NULL, CT_E_INVALID_ARG, "unknown engine setting id %d", (int)id);
    *value = config_get(&e->cfg, id);
    return CT_OK;
}

ct_status ct_engine_param_bounds(int32_t id, double *lo, double *hi)
{
    const setting *s = find_setting(id);
    if (!s)
        return ct__fail(NULL, CT_E_INVALID_ARG, "unknown engine setting id %d", (int)id);
    if (lo)
        *lo = s->lo;
    if (hi)
        *hi = s->hi;
    return CT_OK;
}

const char *ct_engine_param_name(int32_t id)
{
    const setting *s = find_setting(id);
    return s ? s->key : NULL;
}

ct_status ct_engine_configure_json(ct_engine *e, const char *json)
{
    if (!e)
        return ct__fail(NULL, CT_E_INVALID_ARG, "engine is NULL");
    if (!json)
        return ct__fail(&e->err, CT_E_INVALID_ARG, "config JSON is NULL");
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ct__fail(&e->err, CT_E_FORMAT, "config must be a JSON object");
    }
    ct__config c = e->cfg;
    ct_status st = CT_OK;
    /* the keys first: an unknown or repeated key fails whatever the values */
    int seen[N_SETTINGS];
    memset(seen, 0, sizeof(seen));
    for (cJSON *it = root->child; it && st == CT_OK; it = it->next) {
        int32_t k = -1;
        for (int32_t i = 0; i < N_SETTINGS; i++)
            if (it->string && strcmp(k_settings[i].key, it->string) == 0)
                k = i;
        if (k < 0)
            st = ct__fail(&e->err, CT_E_INVALID_ARG, "unknown config key '%s'", it->string ? it->string : "");
        else if (seen[k]++)
            st = ct__fail(&e->err, CT_E_INVALID_ARG, "config key '%s' is given twice", it->string);
    }
    /* then the values, `commission` before the others: it sets both rates, and a
     * maker_commission or taker_commission beside it wins whatever the key order (the members
     * of a JSON object have no order) */
    for (int pass = 0; pass < 2 && st == CT_OK; pass++)
        for (cJSON *it = root->child; it && st == CT_OK; it = it->next) {
            const setting *s = NULL;
            for (int32_t i = 0; i < N_SETTINGS; i++)
                if (strcmp(k_settings[i].key, it->string) == 0)
                    s = &k_settings[i];
            if ((s->id == CT_ENGINE_COMMISSION) != (pass == 0))
                continue;
            double v = CT__NAN;
            if (s->kind == K_ENUM) {
                if (!cJSON_IsString(it)) {
                    st = ct__fail(&e->err, CT_E_INVALID_ARG, "config key '%s' must be a string (%s or %s)", s->key,
                                  s->names[0], s->names[1]);
                    break;
                }
                for (int k = 0; s->names[k]; k++)
                    if (strcmp(s->names[k], it->valuestring) == 0)
                        v = k;
                if (isnan(v)) {
                    st = ct__fail(&e->err, CT_E_RANGE, "config key '%s': unknown value '%s' (%s or %s)", s->key,
                                  it->valuestring, s->names[0], s->names[1]);
                    break;
                }
            } else if (s->kind == K_BOOL) {
                if (!cJSON_IsBool(it)) {
                    st = ct__fail(&e->err, CT_E_INVALID_ARG, "config key '%s' must be true or false", s->key);
                    break;
                }
                v = cJSON_IsTrue(it) ? 1 : 0;
            } else {
                if (!cJSON_IsNumber(it)) {
                    st = ct__fail(&e->err, CT_E_INVALID_ARG, "config key '%s' must be a number", s->key);
                    break;
                }
                v = it->valuedouble;
            }
            st = config_set(&c, &e->err, s->id, v);
        }
    cJSON_Delete(root);
    if (st == CT_OK)
        e->cfg = c;
    return st;
}

ct_status ct_engine_config_json(const ct_engine *e, char **out)
{
    if (!e || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "engine or out is NULL");
    *out = ct__config_json(&e->cfg);
    return *out ? CT_OK : ct__fail(NULL, CT_E_NOMEM, "out of memory formatting the config");
}

ct_status ct_engine_set_funding(ct_engine *e, const int64_t *time_ms, const double *rate, int64_t n)
{
    if (!e)
        return ct__fail(NULL, CT_E_INVALID_ARG, "engine is NULL");
    if (n < 0 || (n > 0 && (!time_ms || !rate)))
        return ct__fail(&e->err, CT_E_INVALID_ARG, "funding series: NULL arrays or negative length");
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(rate[i]))
            return ct__fail(&e->err, CT_E_INVALID_ARG, "funding row %lld: rate is not finite", (long long)i);
        if (i > 0 && time_ms[i] <= time_ms[i - 1])
            return ct__fail(&e->err, CT_E_INVALID_ARG, "funding row %lld: time is not after the previous row",
                            (long long)i);
    }
    int64_t *nt = NULL;
    double *nr = NULL;
    if (n > 0) {
        nt = ct__malloc_array((size_t)n, sizeof(int64_t));
        nr = ct__malloc_array((size_t)n, sizeof(double));
        if (!nt || !nr) {
            ct__free(nt);
            ct__free(nr);
            return ct__fail(&e->err, CT_E_NOMEM, "out of memory copying the funding series");
        }
        memcpy(nt, time_ms, (size_t)n * sizeof(int64_t));
        memcpy(nr, rate, (size_t)n * sizeof(double));
    }
    ct__free(e->funding_time);
    ct__free(e->funding_rate);
    e->funding_time = nt;
    e->funding_rate = nr;
    e->n_funding = n;
    return CT_OK;
}

ct_status ct_engine_set_indicator_cache(ct_engine *e, ct_indicator_cache *cache)
{
    if (!e)
        return ct__fail(NULL, CT_E_INVALID_ARG, "engine is NULL");
    e->cache = cache;
    return CT_OK;
}

/* ---- large arrays ---- */

void *ct__big_array(int64_t n, size_t elem)
{
    size_t size = (size_t)(n > 0 ? n : 1) * elem;
    if (n > 0 && (size_t)n > SIZE_MAX / elem)
        return NULL;
    void *p = ct__malloc(size);
#ifdef MADV_HUGEPAGE
    /* Per-bar arrays of long feeds are written once from start to end: huge pages cut the
     * page-fault count 512-fold (a 10M-bar run writes 320 MB of fresh memory). Advisory only. */
    if (p && size >= ((size_t)4 << 20)) {
        uintptr_t a = ((uintptr_t)p + ((uintptr_t)2 << 20) - 1) & ~(((uintptr_t)2 << 20) - 1);
        uintptr_t b = ((uintptr_t)p + size) & ~(((uintptr_t)2 << 20) - 1);
        if (b > a)
            (void)madvise((void *)a, b - a, MADV_HUGEPAGE);
    }
#endif
    return p;
}

/* ---- feed hash ---- */

/* Four independent multiply-xorshift lanes over 8-byte words, then mixed: fast enough to hash
 * a 10M-bar feed in a few tens of ms, and stable across runs, processes and machines
 * (little-endian words of the IEEE doubles). */
static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_words(uint64_t seed, const void *p, int64_t n)
{
    const unsigned char *b = p;
    uint64_t h0 = seed ^ 0x9e3779b97f4a7c15ULL, h1 = seed + 1, h2 = seed + 2, h3 = seed + 3;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint64_t w[4];
        memcpy(w, b + i * 8, sizeof(w));
        h0 = (h0 ^ w[0]) * 0x100000001b3ULL;
        h1 = (h1 ^ w[1]) * 0x100000001b3ULL;
        h2 = (h2 ^ w[2]) * 0x100000001b3ULL;
        h3 = (h3 ^ w[3]) * 0x100000001b3ULL;
    }
    for (; i < n; i++) {
        uint64_t w;
        memcpy(&w, b + i * 8, sizeof(w));
        h0 = (h0 ^ w) * 0x100000001b3ULL;
    }
    return mix64(h0 ^ mix64(h1) ^ mix64(h2 + 0x1234567ULL) ^ mix64(h3 + (uint64_t)n));
}

static uint64_t feed_hash_compute(const ct_feed *f)
{
    uint64_t h = mix64((uint64_t)f->n ^ ((uint64_t)f->interval_ms << 20));
    if (f->symbol)
        for (const char *s = f->symbol; *s; s++)
            h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    h = hash_words(h, f->time, f->n);
    h = hash_words(h, f->open, f->n);
    h = hash_words(h, f->high, f->n);
    h = hash_words(h, f->low, f->n);
    h = hash_words(h, f->close, f->n);
    h = hash_words(h, f->volume, f->n);
    return mix64(h);
}

/* Feeds are immutable once built, so the content hash is computed once and kept in the feed
 * (ct_feed_append and ct_feed_set_symbol reset it). Two threads may race to compute it; both
 * store the same value, and the atomic makes that benign. */
uint64_t ct__feed_hash(const ct_feed *f)
{
    ct_feed *mf = (ct_feed *)(uintptr_t)f;
    uint64_t h = atomic_load_explicit(&mf->content_hash, memory_order_relaxed);
    if (h)
        return h;
    h = feed_hash_compute(f);
    if (!h)
        h = 1;
    atomic_store_explicit(&mf->content_hash, h, memory_order_relaxed);
    return h;
}

int32_t ct__field_of(const char *name)
{
    static const char *const k[] = {"open", "high", "low", "close", "volume"};
    for (int32_t i = 0; i < 5; i++)
        if (name && strcmp(name, k[i]) == 0)
            return i;
    return -1;
}

/* ---- indicator declaration (backtest: through the cache; session: streamed) ---- */

ct_status ct_ctx_declare_indicator(ct_ctx *x, const char *name, const double *options, int32_t n_options,
                                   int32_t *handle)
{
    if (!x || !name || !handle)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctx, name or handle is NULL");
    *handle = -1;
    if (x->phase != CT__PH_START)
        return ct__fail(NULL, CT_E_STATE, "indicators can be declared only in on_start");
    const ct_indicator_info *ind = ct_indicator_find(name);
    if (!ind)
        return ct__fail(NULL, CT_E_NOT_FOUND, "no indicator named '%s'", name);
    int32_t no = ct_indicator_n_options(ind), nin = ct_indicator_n_inputs(ind), nout = ct_indicator_n_outputs(ind);
    if (no > 16 || nin > 8 || nout > 8)
        return ct__fail(NULL, CT_E_UNSUPPORTED, "indicator '%s' has too many options, inputs or outputs", name);
    if (n_options < 0 || n_options > no || (n_options > 0 && !options))
        return ct__fail(NULL, CT_E_INVALID_ARG, "indicator '%s' takes at most %d options (got %d)", name, (int)no,
                        (int)n_options);
    double opt[16];
    for (int32_t i = 0; i < no; i++)
        opt[i] = i < n_options ? options[i] : ct_indicator_option_default(ind, i);
    ct_status st = ct_indicator_check_options(ind, opt);
    if (st != CT_OK)
        return st;
    int32_t fields[8];
    for (int32_t i = 0; i < nin; i++)
        if ((fields[i] = ct__field_of(ct_indicator_input_name(ind, i))) < 0)
            return ct__fail(NULL, CT_E_UNSUPPORTED, "indicator '%s': unknown input '%s'", name,
                            ct_indicator_input_name(ind, i));
    if (x->n_ind == x->cap_ind) {
        int32_t ncap = x->cap_ind ? x->cap_ind * 2 : 4;
        ct__ind_slot *ns = ct__realloc(x->ind, (size_t)ncap * sizeof(*ns));
        if (!ns)
            return ct__ctx_nomem(x, "declaring an indicator");
        x->ind = ns;
        x->cap_ind = ncap;
    }
    ct__ind_slot *slot = &x->ind[x->n_ind];
    memset(slot, 0, sizeof(*slot));
    slot->n_outputs = nout;
    slot->n_inputs = nin;
    memcpy(slot->input_field, fields, sizeof(fields));
    if (x->session) {
        st = ct_ind_stream_new(ind, opt, &slot->stream);
        if (st != CT_OK) {
            if (st == CT_E_NOMEM)
                x->nomem = 1;
            return st;
        }
        x->n_ind++;
        *handle = x->n_ind - 1;
        return CT_OK;
    }
    const double *cols[8];
    for (int32_t i = 0; i < nin; i++)
        cols[i] = x->col[fields[i]];
    const ct__ind_entry *ent;
    st = ct__cache_get(x->cache, NULL, x->feed_hash, x->n, cols, ind, opt, &ent);
    if (st != CT_OK) {
        if (st == CT_E_NOMEM)
            x->nomem = 1;
        return st;
    }
    for (int32_t k = 0; k < nout; k++)
        slot->out[k] = ent->out[k];
    x->n_ind++;
    *handle = x->n_ind - 1;
    return CT_OK;
}

/* ---- the backtest ---- */

static ct_status run_fail(ct_engine *e, ct_ctx *x, ct_status st, const char *strategy)
{
    if (st == CT_E_NOMEM)
        return ct__fail(&e->err, CT_E_NOMEM, "out of memory during the backtest");
    if (st == CT_E_PLUGIN)
        return ct__fail(&e->err, CT_E_PLUGIN, "strategy '%s': %s", strategy,
                        x->errmsg[0] ? x->errmsg : "a callback failed");
    return ct__propagate(&e->err, st);
}

ct_status ct_engine_run(ct_engine *e, const ct_feed *feed, ct_strategy *s, ct_result **out)
{
    if (out)
        *out = NULL;
    if (!e)
        return ct__fail(NULL, CT_E_INVALID_ARG, "engine is NULL");
    if (!feed || !s || !out)
        return ct__fail(&e->err, CT_E_INVALID_ARG, "feed, strategy or out is NULL");
    const char *cname = s->cls->name;
    ct_indicator_cache *cache = e->cache;
    if (!cache) {
        if (!e->own_cache) {
            ct_status st = ct_indicator_cache_create(&e->own_cache);
            if (st != CT_OK)
                return ct__propagate(&e->err, st);
        }
        cache = e->own_cache;
    }
    uint64_t feed_hash = ct__feed_hash(feed);
    char *params = NULL;
    ct_status st = ct_strategy_params_json(s, &params);
    if (st != CT_OK)
        return ct__propagate(&e->err, st);

    ct_ctx x;
    ct__ctx_init(&x, &e->cfg);
    int64_t n = feed->n;
    x.n = n;
    x.time = feed->time;
    x.col[CT_FIELD_OPEN] = feed->open;
    x.col[CT_FIELD_HIGH] = feed->high;
    x.col[CT_FIELD_LOW] = feed->low;
    x.col[CT_FIELD_CLOSE] = feed->close;
    x.col[CT_FIELD_VOLUME] = feed->volume;
    x.cache = cache;
    x.feed_hash = feed_hash;
    x.funding_time = e->funding_time;
    x.funding_rate = e->funding_rate;
    x.n_funding = e->n_funding;
    x.vt = &s->cls->vt;
    x.eq = ct__big_array(n, sizeof(double));
    x.posv = ct__big_array(n, sizeof(double));
    x.cap_bars = n;
    if (!x.eq || !x.posv) {
        ct__ctx_free(&x);
        ct__free(params);
        return ct__fail(&e->err, CT_E_NOMEM, "out of memory for the equity curve (%lld bars)", (long long)n);
    }
    st = ct__strategy_instantiate(s, &e->err, &x.user);
    if (st != CT_OK) {
        ct__ctx_free(&x);
        ct__free(params);
        return st;
    }
    int has_instance = s->cls->vt.create != NULL;

    st = ct__ctx_call(&x, x.vt->on_start, CT__PH_START, "on_start");
    ct_status (*on_bar)(void *, ct_ctx *) = x.vt->on_bar;
    int close_mode = x.cfg.fill == CT_FILL_CLOSE;
    int has_funding = x.n_funding > 0;
    const double *close = feed->close, *high = feed->high, *low = feed->low;
    double *eq = x.eq, *posv = x.posv;
    int64_t held = 0; /* bars before t whose final position is not 0 (the exposure metric) */
    for (int64_t t = 0; t < n && st == CT_OK; t++) {
        if (close_mode && t > 0 && x.n_orders != 0) {
            /* market orders placed in on_bar(t-1) fill at close[t-1]; E[t-1] includes them. On
             * the last bar there is no later cycle, so its orders stay pending (backtrader). */
            x.t = t - 1;
            st = ct__ctx_fill_at_close(&x);
            if (st != CT_OK)
                break;
        }
        if (t > 0) /* bar t-1 is final now (after its close fills) */
            held += posv[t - 1] != 0.0;
        x.t = t;
        if (x.n_orders != 0 || has_funding) {
            st = ct__ctx_fill_bar(&x);
            if (st != CT_OK)
                break;
        } else {
            /* nothing can fill: mark to market only (the common case, kept tight) */
            double pos = x.pos;
            double eqv = x.cash + pos * close[t];
            x.equity = eqv;
            eq[t] = eqv;
            posv[t] = pos;
            if (pos != 0.0) {
                /* entered before t (no order was pending): the whole bar counts for MAE/MFE */
                x.tr.lo = fmin(x.tr.lo, low[t]);
                x.tr.hi = fmax(x.tr.hi, high[t]);
            }
        }
        x.phase = CT__PH_BAR;
        ct_status cb = on_bar(x.user, &x);
        x.phase = CT__PH_NONE;
        if (CT__UNLIKELY(cb != CT_OK || x.failed)) {
            /* route through the common error capture */
            x.phase = CT__PH_NONE;
            if (x.nomem || cb == CT_E_NOMEM) {
                st = CT_E_NOMEM;
            } else {
                ct__ctx_fail_message(&x, CT__PH_BAR, "on_bar", cb);
                st = CT_E_PLUGIN;
            }
        }
    }
    if (n > 0)
        x.t = n - 1;
    x.ended = 1; /* the on_fill of the close below and on_finish can place no order */
    if (st == CT_OK && x.cfg.close_at_end && n > 0)
        st = ct__ctx_close_at_end(&x);
    if (st == CT_OK && n > 0)
        x.n_held = held + (posv[n - 1] != 0.0);
    if (st == CT_OK)
        st = ct__ctx_call(&x, x.vt->on_finish, CT__PH_FINISH, "on_finish");
    if (has_instance && s->cls->vt.destroy)
        s->cls->vt.destroy(x.user);
    if (st != CT_OK) {
        st = run_fail(e, &x, st, cname);
        ct__ctx_free(&x);
        ct__free(params);
        return st;
    }
    st = ct__ctx_build_result(&x, cname, feed->symbol, feed->interval_ms, params, feed_hash, 1, out);
    ct__ctx_free(&x);
    ct__free(params);
    if (st != CT_OK)
        return ct__fail(&e->err, st, "out of memory building the result");
    return CT_OK;
}
