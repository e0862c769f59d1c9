/*
 * Merging shard documents (ct_optimizer_json of each shard) into the table a single run gives.
 * Every number in a shard document is written with 17 significant digits, so parsing it back
 * (strtod, via cJSON) restores the exact doubles; the rows are put back in combination-index
 * order and go through the same ranking, DSR and PBO code as a single run.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "optimizer/opt_internal.h"

typedef struct shard_doc {
    cJSON *root;
    int64_t k, n;
    const cJSON *rows;
} shard_doc;

static ct_status doc_fail(ct__err *err, int32_t d, const char *key)
{
    return ct__fail(err, CT_E_FORMAT, "merge: document %d: missing or malformed \"%s\"", (int)d, key);
}

static const cJSON *get(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

static int get_i64(const cJSON *o, const char *key, int64_t *v)
{
    const cJSON *x = get(o, key);
    /* cJSON reads 1e999 as infinity, which nearbyint() leaves unchanged: refuse non-finite and
     * out-of-range values, since these documents are written with finite integers only */
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || fabs(x->valuedouble) > 9.0e15 ||
        x->valuedouble != nearbyint(x->valuedouble))
        return 0;
    *v = ct__sat_i64(x->valuedouble);
    return 1;
}

/* A number or null (NaN). */
static int get_num(const cJSON *x, double *v)
{
    if (cJSON_IsNull(x)) {
        *v = NAN;
        return 1;
    }
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) /* never written: NaN is null */
        return 0;
    *v = x->valuedouble;
    return 1;
}

/* Two JSON values print the same (the documents were written by the same code). */
static int same_json(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    return cJSON_Compare(a, b, 1) != 0;
}

static char **names_of(const cJSON *obj, int32_t *n)
{
    *n = cJSON_GetArraySize(obj);
    char **v = ct__calloc((size_t)(*n > 0 ? *n : 1), sizeof(char *));
    if (!v)
        return NULL;
    int32_t i = 0;
    for (const cJSON *e = obj->child; e; e = e->next, i++)
        if (!(v[i] = ct__strdup(e->string))) {
            for (int32_t k = 0; k < i; k++)
                ct__free(v[k]);
            ct__free(v);
            return NULL;
        }
    return v;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

ct_status ct_optimizer_merge_json(const char *const *docs, int32_t n_docs, ct_optimizer **out)
{
    if (out)
        *out = NULL;
    if (!docs || n_docs < 1 || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "merge: %s", !out ? "out is NULL" : "no documents");
    ct__err err = {{0}};
    ct_status st = CT_OK;
    ct_optimizer *o = NULL;
    int64_t *pairs = NULL; /* (index, doc << 32 | row) pairs sorted by index */
    shard_doc *d = ct__calloc((size_t)n_docs, sizeof(shard_doc));
    if (!d)
        return ct__fail(NULL, CT_E_NOMEM, "merge: out of memory");
    const char *same_keys[] = {"strategy", "symbol", "interval_ms", "objective", "maximize", "min_trades",
                               "total",    "space",  "config",      "n_returns", "block_counts"};
    int64_t nrows = 0, evaluated = 0, skipped = 0;
    for (int32_t i = 0; i < n_docs; i++) {
        if (!docs[i]) {
            st = ct__fail(&err, CT_E_INVALID_ARG, "merge: document %d is NULL", (int)i);
            goto out;
        }
        d[i].root = cJSON_Parse(docs[i]);
        if (!cJSON_IsObject(d[i].root)) {
            st = ct__fail(&err, CT_E_FORMAT, "merge: document %d is not a JSON object", (int)i);
            goto out;
        }
        const cJSON *r = d[i].root, *sh = get(r, "shard");
        d[i].k = 0;
        d[i].n = 1;
        if (sh && (!get_i64(sh, "k", &d[i].k) || !get_i64(sh, "n", &d[i].n) || d[i].n < 1 || d[i].k < 0 ||
                   d[i].k >= d[i].n)) {
            st = doc_fail(&err, i, "shard");
            goto out;
        }
        if (!cJSON_IsTrue(get(r, "complete"))) {
            st = ct__fail(&err, CT_E_INVALID_ARG, "merge: document %d is not complete (written with top_k)", (int)i);
            goto out;
        }
        for (size_t k = 0; k < sizeof(same_keys) / sizeof(same_keys[0]); k++) {
            if (!get(r, same_keys[k])) {
                st = doc_fail(&err, i, same_keys[k]);
                goto out;
            }
            if (i > 0 && !same_json(get(r, same_keys[k]), get(d[0].root, same_keys[k]))) {
                st = ct__fail(&err, CT_E_INVALID_ARG, "merge: document %d differs from document 0 in \"%s\"", (int)i,
                              same_keys[k]);
                goto out;
            }
        }
        if (d[i].n != d[0].n) {
            st = ct__fail(&err, CT_E_INVALID_ARG, "merge: document %d is a shard of %lld, document 0 of %lld", (int)i,
                          (long long)d[i].n, (long long)d[0].n);
            goto out;
        }
        for (int32_t k = 0; k < i; k++)
            if (d[k].k == d[i].k) {
                st = ct__fail(&err, CT_E_INVALID_ARG, "merge: shard %lld appears twice (documents %d and %d)",
                              (long long)d[i].k, (int)k, (int)i);
                goto out;
            }
        int64_t ev, sk;
        d[i].rows = get(r, "rows");
        if (!cJSON_IsArray(d[i].rows) || !get_i64(r, "evaluated", &ev) || !get_i64(r, "skipped", &sk) ||
            ev != cJSON_GetArraySize(d[i].rows) || sk < 0 || sk > INT64_MAX / 1024) {
            st = doc_fail(&err, i, "rows");
            goto out;
        }
        nrows += ev;
        evaluated += ev;
        skipped += sk;
    }
    if (n_docs != d[0].n) {
        for (int64_t k = 0; k < d[0].n; k++) {
            int found = 0;
            for (int32_t i = 0; i < n_docs; i++)
                found |= d[i].k == k;
            if (!found) {
                st = ct__fail(&err, CT_E_INVALID_ARG, "merge: shard %lld of %lld is missing", (long long)k,
                              (long long)d[0].n);
                goto out;
            }
        }
    }
    /* metadata from document 0 */
    const cJSON *r0 = d[0].root;
    if (!(o = ct__optimizer_alloc())) {
        st = ct__fail(&err, CT_E_NOMEM, "merge: out of memory");
        goto out;
    }
    o->merged = 1;
    o->shard_n = 1;
    const cJSON *first_row = NULL;
    for (int32_t i = 0; i < n_docs && !first_row; i++)
        if (cJSON_GetArraySize(d[i].rows) > 0)
            first_row = d[i].rows->child;
    const cJSON *space = get(r0, "space"), *sp_params = get(space, "params");
    if (!cJSON_IsString(get(r0, "strategy")) || !cJSON_IsString(get(r0, "symbol")) ||
        !cJSON_IsString(get(r0, "objective")) || !cJSON_IsObject(sp_params)) {
        st = doc_fail(&err, 0, "strategy");
        goto out;
    }
    o->strategy = ct__strdup(get(r0, "strategy")->valuestring);
    o->symbol = ct__strdup(get(r0, "symbol")->valuestring);
    o->objective = ct__strdup(get(r0, "objective")->valuestring);
    char *sp_txt = cJSON_PrintUnformatted(space), *cfg_txt = cJSON_PrintUnformatted(get(r0, "config"));
    o->space.canonical = sp_txt ? ct__strdup(sp_txt) : NULL;
    o->config_json = cfg_txt ? ct__strdup(cfg_txt) : NULL;
    cJSON_free(sp_txt);
    cJSON_free(cfg_txt);
    get_i64(r0, "interval_ms", &o->interval_ms);
    get_i64(r0, "total", &o->total);
    get_i64(r0, "min_trades", &o->min_trades);
    get_i64(r0, "n_returns", &o->n_returns);
    o->maximize = cJSON_IsTrue(get(r0, "maximize"));
    const cJSON *bc = get(r0, "block_counts");
    if (!o->strategy || !o->symbol || !o->objective || !o->space.canonical || !o->config_json) {
        st = ct__fail(&err, CT_E_NOMEM, "merge: out of memory");
        goto out;
    }
    if (cJSON_GetArraySize(bc) != CT__PBO_BLOCKS) {
        st = doc_fail(&err, 0, "block_counts");
        goto out;
    }
    int32_t b = 0;
    for (const cJSON *e = bc->child; e; e = e->next)
        if (!get_num(e, &o->block_counts[b++])) {
            st = doc_fail(&err, 0, "block_counts");
            goto out;
        }
    /* parameter and metric names from the first row (every row has the same keys) */
    if (first_row) {
        const cJSON *pp = get(first_row, "parameters"), *mm = get(first_row, "metrics");
        if (!cJSON_IsObject(pp) || !cJSON_IsObject(mm)) {
            st = doc_fail(&err, 0, "rows[0].parameters");
            goto out;
        }
        o->param_names = names_of(pp, &o->n_params);
        o->metric_names = names_of(mm, &o->n_metrics);
        o->param_kinds = ct__calloc((size_t)(o->n_params > 0 ? o->n_params : 1), sizeof(int32_t));
        o->metric_reg = ct__calloc((size_t)(o->n_metrics > 0 ? o->n_metrics : 1), sizeof(int32_t));
        if (!o->param_names || !o->metric_names || !o->param_kinds || !o->metric_reg) {
            st = ct__fail(&err, CT_E_NOMEM, "merge: out of memory");
            goto out;
        }
        int32_t i = 0;
        for (const cJSON *e = pp->child; e; e = e->next, i++)
            /* bool or number: an integral number prints the same as an int or a real */
            o->param_kinds[i] = cJSON_IsBool(e) ? CT_PARAM_BOOL : CT_PARAM_REAL;
        o->obj_col = -1;
        for (i = 0; i < o->n_metrics; i++) {
            o->metric_reg[i] = -1;
            if (strcmp(o->metric_names[i], o->objective) == 0)
                o->obj_col = i;
            if (strcmp(o->metric_names[i], "total_trades") == 0)
                o->trades_col = i;
        }
        if (o->obj_col < 0) {
            st = doc_fail(&err, 0, "rows[0].metrics.<objective>");
            goto out;
        }
    }
    /* rows, put back in index order */
    pairs = ct__malloc_array((size_t)(nrows > 0 ? nrows : 1) * 2, sizeof(int64_t));
    if (!pairs) {
        st = ct__fail(&err, CT_E_NOMEM, "merge: out of memory");
        goto out;
    }
    int64_t m = 0;
    for (int32_t i = 0; i < n_docs; i++) {
        int64_t row = 0;
        for (const cJSON *e = d[i].rows->child; e; e = e->next, row++) {
            int64_t idx;
            if (!get_i64(e, "index", &idx) || idx < 0 || idx >= o->total || idx % d[i].n != d[i].k) {
                st = ct__fail(&err, CT_E_FORMAT, "merge: document %d row %lld: bad \"index\"", (int)i, (long long)row);
                goto out;
            }
            pairs[2 * m] = idx;
            pairs[2 * m + 1] = ((int64_t)i << 32) | row;
            m++;
        }
    }
    qsort(pairs, (size_t)m, 2 * sizeof(int64_t), cmp_i64);
    if ((st = ct__table_alloc(&o->tab, m, o->n_params, o->n_metrics, &err)) != CT_OK)
        goto out;
    for (int64_t q = 0; q < m; q++) {
        if (q > 0 && pairs[2 * q] == pairs[2 * q - 2]) {
            st = ct__fail(&err, CT_E_INVALID_ARG, "merge: combination %lld appears twice", (long long)pairs[2 * q]);
            goto out;
        }
        int32_t di = (int32_t)(pairs[2 * q + 1] >> 32);
        int64_t row = pairs[2 * q + 1] & 0xffffffffLL;
        const cJSON *e = cJSON_GetArrayItem(d[di].rows, (int)row);
        const cJSON *pp = get(e, "parameters"), *mm = get(e, "metrics"), *tr = get(e, "trial");
        o->tab.index[q] = pairs[2 * q];
        int ok = cJSON_GetArraySize(pp) == o->n_params && cJSON_GetArraySize(mm) == o->n_metrics && tr;
        for (int32_t p = 0; ok && p < o->n_params; p++) {
            const cJSON *v = get(pp, o->param_names[p]);
            double x;
            ok = v && (cJSON_IsBool(v) ? (x = cJSON_IsTrue(v) ? 1.0 : 0.0, 1) : get_num(v, &x));
            if (ok)
                o->tab.params[(size_t)q * (size_t)(o->n_params > 0 ? o->n_params : 1) + (size_t)p] = x;
        }
        for (int32_t c = 0; ok && c < o->n_metrics; c++)
            ok = get_num(get(mm, o->metric_names[c]), &o->tab.metrics[(size_t)q * (size_t)o->n_metrics + (size_t)c]);
        double *t = o->tab.trial + (size_t)q * CT__TRIAL_W;
        ok = ok && get_num(get(tr, "sharpe"), &t[0]) && get_num(get(tr, "skew"), &t[1]) &&
             get_num(get(tr, "kurtosis"), &t[2]);
        const cJSON *su = get(tr, "sum"), *sq = get(tr, "sumsq");
        ok = ok && cJSON_GetArraySize(su) == CT__PBO_BLOCKS && cJSON_GetArraySize(sq) == CT__PBO_BLOCKS;
        for (int32_t k = 0; ok && k < CT__PBO_BLOCKS; k++)
            ok = get_num(cJSON_GetArrayItem(su, k), &t[3 + k]) &&
                 get_num(cJSON_GetArrayItem(sq, k), &t[3 + CT__PBO_BLOCKS + k]);
        if (!ok) {
            st = ct__fail(&err, CT_E_FORMAT, "merge: document %d row %lld: malformed parameters, metrics or trial",
                          (int)di, (long long)row);
            goto out;
        }
        o->tab.key[q] = ct__row_key(o, o->tab.metrics + (size_t)q * (size_t)o->n_metrics);
    }
    o->evaluated = evaluated;
    o->skipped = skipped;
    if ((st = ct__table_finish(o, &o->tab, &err)) != CT_OK)
        goto out;
    o->has_run = 1;
out:
    for (int32_t i = 0; i < n_docs; i++)
        cJSON_Delete(d[i].root);
    ct__free(d);
    ct__free(pairs);
    if (st != CT_OK) {
        ct_optimizer_destroy(o);
        return st;
    }
    *out = o;
    return CT_OK;
}
