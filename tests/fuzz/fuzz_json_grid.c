/*
 * libFuzzer target: the optimizer's search-space readers ct_optimizer_set_grid_json and
 * ct_optimizer_set_random_json, and ct_optimizer_configure_engine_json, for every registered
 * class over a small synthetic feed.
 * Input: byte 0 picks the class (modulo the class count); byte 1 is the mode: bit 7 set =
 * engine settings JSON; else bit 0 set = random search with 1 + ((mode >> 1) & 63) samples and
 * seed = mode; else grid. The rest is the JSON text.
 *
 * Checks beyond "no crash, no leak":
 *  - statuses are the documented ones and failures carry a message;
 *  - a successful space has total >= 1 (grid: <= 9e15; random: exactly n);
 *  - spaces with at most 4 combinations are run (1 thread, 64 bars): every row's parameters
 *    satisfy the schema, and the table's JSON merged back (ct_optimizer_merge_json) and written
 *    again is stable (merge(json(merge(json(o)))) == json(merge(json(o))).
 * Budget: the library allows 10^7 values per range by design, which makes single inputs take
 * seconds; the harness skips ranges of more than 10^5 values (ct__space_parse is still reached
 * with large lists, and the limit check itself with larger ranges in the unit tests).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cryptota/alloc.h"
#include "cryptota/feed.h"
#include "cryptota/optimizer.h"
#include "cryptota/strategy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                                                              \
    do {                                                                                                              \
        if (!(cond)) {                                                                                                \
            fprintf(stderr, "fuzz_json_grid: invariant failed: %s: ", #cond);                                        \
            fprintf(stderr, __VA_ARGS__);                                                                             \
            fputc('\n', stderr);                                                                                      \
            abort();                                                                                                  \
        }                                                                                                             \
    } while (0)

static ct_feed *g_feed;

/* 64 hourly bars of a zig-zag, built once */
static ct_feed *feed(void)
{
    if (g_feed)
        return g_feed;
    enum { N = 64 };
    int64_t t[N];
    double o[N], h[N], l[N], c[N], v[N];
    for (int i = 0; i < N; i++) {
        t[i] = 1700000000000LL + (int64_t)i * 3600000;
        o[i] = 100 + 10 * sin(i / 3.0);
        c[i] = 100 + 10 * sin((i + 1) / 3.0);
        h[i] = fmax(o[i], c[i]) + 1;
        l[i] = fmin(o[i], c[i]) - 1;
        v[i] = 1 + i % 5;
    }
    CHECK(ct_feed_from_arrays("FUZZUSDT", 3600000, t, o, h, l, c, v, N, 0, &g_feed) == CT_OK, "feed");
    return g_feed;
}

/* 1 if some range {"from","to","step"} in the document spans more than 1e5 values */
static int too_big(const cJSON *root)
{
    for (const cJSON *p = root ? root->child : NULL; p; p = p->next) {
        if (!cJSON_IsObject(p))
            continue;
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(p, "from"), *t = cJSON_GetObjectItemCaseSensitive(p, "to");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "step");
        double step = cJSON_IsNumber(s) ? s->valuedouble : 1.0;
        if (cJSON_IsNumber(f) && cJSON_IsNumber(t) && step > 0 && !((t->valuedouble - f->valuedouble) / step <= 1e5))
            return 1;
    }
    return 0;
}

static void check_rows(const ct_optimizer *o, const ct_strategy_class *cls)
{
    int32_t np = ct_strategy_class_n_params(cls);
    double vals[64];
    for (int64_t r = 0; r < ct_optimizer_row_count(o); r++) {
        int32_t n = 0;
        CHECK(ct_optimizer_row_params(o, r, vals, 64, &n) == CT_OK && n == np, "row %lld params", (long long)r);
        for (int32_t i = 0; i < np; i++) {
            int32_t kind;
            double lo, hi;
            const char *name;
            ct_strategy_class_param(cls, i, &name, &kind, NULL, &lo, &hi, NULL, NULL);
            CHECK(isfinite(vals[i]) && vals[i] >= lo && vals[i] <= hi, "row %lld %s = %.17g outside [%.17g, %.17g]",
                  (long long)r, name, vals[i], lo, hi);
            CHECK(kind != CT_PARAM_INT || vals[i] == floor(vals[i]), "row %lld %s = %.17g not integral", (long long)r,
                  name, vals[i]);
        }
    }
}

static char *merged_json(const char *doc)
{
    ct_optimizer *m = NULL;
    const char *docs[1] = {doc};
    ct_status st = ct_optimizer_merge_json(docs, 1, &m);
    CHECK(st == CT_OK, "merging the table's own JSON failed: %s\n%s", ct_last_error(), doc);
    char *j = NULL;
    CHECK(ct_optimizer_json(m, 0, &j) == CT_OK, "json of a merged table");
    ct_optimizer_destroy(m);
    return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int32_t nc = ct_strategy_class_count();
    if (size < 2 || nc < 1)
        return 0;
    const ct_strategy_class *cls = ct_strategy_class_at((int32_t)(data[0] % (unsigned)nc));
    uint8_t mode = data[1];
    char *json = malloc(size - 1);
    memcpy(json, data + 2, size - 2);
    json[size - 2] = '\0';
    cJSON *pre = cJSON_Parse(json);
    int skip = too_big(pre);
    cJSON_Delete(pre);
    if (skip) {
        free(json);
        return -1; /* not added to the corpus */
    }
    ct_optimizer *o = NULL;
    CHECK(ct_optimizer_create(feed(), cls, &o) == CT_OK, "ct_optimizer_create(%s)", ct_strategy_class_name(cls));
    ct_status st;
    int64_t n = 1 + ((mode >> 1) & 63);
    if (mode & 0x80)
        st = ct_optimizer_configure_engine_json(o, json);
    else if (mode & 1)
        st = ct_optimizer_set_random_json(o, json, n, mode);
    else
        st = ct_optimizer_set_grid_json(o, json);
    if (st != CT_OK) {
        CHECK(st == CT_E_FORMAT || st == CT_E_INVALID_ARG || st == CT_E_RANGE || st == CT_E_NOMEM, "status %d",
              (int)st);
        CHECK(ct_optimizer_errmsg(o)[0] != '\0', "status %d without a message", (int)st);
    } else if (!(mode & 0x80)) {
        int64_t total = -1;
        CHECK(ct_optimizer_counts(o, &total, NULL, NULL) == CT_OK, "counts");
        CHECK(total >= 1 && (mode & 1 ? total == n : total <= 9000000000000000LL), "total %lld", (long long)total);
        if (total <= 4) {
            CHECK(ct_optimizer_set_threads(o, 1) == CT_OK, "threads");
            st = ct_optimizer_run(o);
            CHECK(st != CT_E_INTERNAL && st != CT_E_STATE, "run: %s", ct_optimizer_errmsg(o));
            if (st == CT_OK) {
                check_rows(o, cls);
                char *j0 = NULL;
                CHECK(ct_optimizer_json(o, 0, &j0) == CT_OK, "json");
                char *j1 = merged_json(j0);
                char *j2 = merged_json(j1);
                CHECK(strcmp(j1, j2) == 0, "merge is not stable:\n%s\n%s", j1, j2);
                ct_free(j0);
                ct_free(j1);
                ct_free(j2);
            }
        }
    }
    ct_optimizer_destroy(o);
    free(json);
    return 0;
}
