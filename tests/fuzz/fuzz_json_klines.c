/*
 * libFuzzer target: ct_klines_parse (the Binance kline page parser) on arbitrary bytes, then the
 * parsed columns through ct_feed_from_arrays as the fetcher does.
 *
 * Checks beyond "no crash, no leak":
 *  - the count-only call (cap 0) and the copying call agree on the row count, a cap one short
 *    is CT_E_RANGE, close_time may be NULL;
 *  - every parsed number is finite (the parser rejects inf/nan/hex and out-of-range text);
 *  - when the body is also strict JSON (cJSON), the parse is differential-checked: same row
 *    count, open/close times equal to the JSON numbers, and each price/volume string converted
 *    to exactly the double strtod gives (the parser's Clinger fast path must be exact);
 *  - a feed built from the rows obeys the feed rules (strictly increasing time, finite prices
 *    > 0, volume >= 0, low <= min(open, close), max(open, close) <= high).
 * With -DFUZZ_JSON_STRICT a body the parser accepts but strict JSON rejects is also reported.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cryptota/feed.h"
#include "cryptota/fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                                                              \
    do {                                                                                                              \
        if (!(cond)) {                                                                                                \
            fprintf(stderr, "fuzz_json_klines: invariant failed: %s: ", #cond);                                      \
            fprintf(stderr, __VA_ARGS__);                                                                             \
            fputc('\n', stderr);                                                                                      \
            abort();                                                                                                  \
        }                                                                                                             \
    } while (0)

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof(a)) == 0; }

/* The value a JSON field 1-5 must have parsed to; 0 if the field is not comparable. */
static int reference_value(const cJSON *it, double *out)
{
    if (cJSON_IsNumber(it)) {
        *out = it->valuedouble;
        return 1;
    }
    if (!cJSON_IsString(it))
        return 0;
    char *end;
    *out = strtod(it->valuestring, &end);
    return 1;
}

static void differential(const char *body, size_t len, const int64_t *t, const double *const cols[5],
                         const int64_t *ct, int64_t n)
{
    if (memchr(body, '\0', len))
        return;
    char *z = malloc(len + 1);
    memcpy(z, body, len);
    z[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(z, &end, 1); /* the whole text must be one JSON value */
    free(z);
    if (!root) {
#ifdef FUZZ_JSON_STRICT
        CHECK(0, "ct_klines_parse accepted %lld rows of a body that is not JSON", (long long)n);
#endif
        return;
    }
    CHECK(cJSON_IsArray(root), "accepted body is JSON but not an array");
    CHECK(cJSON_GetArraySize(root) == n, "JSON has %d rows, parser %lld", cJSON_GetArraySize(root), (long long)n);
    int64_t i = 0;
    for (const cJSON *row = root->child; row; row = row->next, i++) {
        CHECK(cJSON_IsArray(row) && cJSON_GetArraySize(row) >= 7, "row %lld is not an array of >= 7 fields", (long long)i);
        const cJSON *f0 = cJSON_GetArrayItem(row, 0), *f6 = cJSON_GetArrayItem(row, 6);
        CHECK(cJSON_IsNumber(f0) && f0->valuedouble == (double)t[i], "row %lld open time %lld vs JSON %.17g",
              (long long)i, (long long)t[i], f0->valuedouble);
        CHECK(cJSON_IsNumber(f6) && f6->valuedouble == (double)ct[i], "row %lld close time %lld vs JSON %.17g",
              (long long)i, (long long)ct[i], f6->valuedouble);
        for (int k = 0; k < 5; k++) {
            double ref;
            const cJSON *it = cJSON_GetArrayItem(row, k + 1);
            if (reference_value(it, &ref))
                CHECK(same_double(ref, cols[k][i]), "row %lld field %d: parsed %.17g, strtod of '%s' gives %.17g",
                      (long long)i, k + 1, cols[k][i], cJSON_IsString(it) ? it->valuestring : "(number)", ref);
        }
    }
    cJSON_Delete(root);
}

static void check_feed(const int64_t *t, const double *const c[5], int64_t n)
{
    ct_feed *f = NULL;
    if (ct_feed_from_arrays("FUZZ", 0, t, c[0], c[1], c[2], c[3], c[4], n, 0, &f) != CT_OK) {
        CHECK(f == NULL, "failed ct_feed_from_arrays left a feed");
        return;
    }
    int64_t m = ct_feed_len(f);
    CHECK(m == n, "feed has %lld rows of %lld", (long long)m, (long long)n);
    const int64_t *ft = ct_feed_time(f);
    const double *o = ct_feed_open(f), *h = ct_feed_high(f), *l = ct_feed_low(f), *cl = ct_feed_close(f);
    const double *v = ct_feed_volume(f);
    for (int64_t i = 0; i < m; i++) {
        CHECK(i == 0 || ft[i] > ft[i - 1], "feed row %lld time not increasing", (long long)i);
        CHECK(isfinite(o[i]) && isfinite(h[i]) && isfinite(l[i]) && isfinite(cl[i]) && o[i] > 0 && h[i] > 0 &&
                  l[i] > 0 && cl[i] > 0,
              "feed row %lld has a price that is not finite and > 0", (long long)i);
        CHECK(isfinite(v[i]) && v[i] >= 0, "feed row %lld volume %.17g", (long long)i, v[i]);
        CHECK(l[i] <= o[i] && l[i] <= cl[i] && o[i] <= h[i] && cl[i] <= h[i], "feed row %lld breaks the OHLC order",
              (long long)i);
    }
    ct_feed_destroy(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    int64_t n = -1;
    ct_status s = ct_klines_parse(body, size, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, &n);
    if (s != CT_OK) {
        CHECK(n == 0, "failed count call set n = %lld", (long long)n);
        CHECK(s == CT_E_FORMAT || s == CT_E_NOMEM, "unexpected status %d", (int)s);
        return 0;
    }
    CHECK(n >= 0, "n = %lld", (long long)n);
    if (n == 0)
        return 0;
    size_t un = (size_t)n;
    int64_t *t = malloc(un * sizeof(int64_t)), *ct = malloc(un * sizeof(int64_t));
    double *c[5];
    for (int k = 0; k < 5; k++)
        c[k] = malloc(un * sizeof(double));
    int64_t n2 = -1;
    s = ct_klines_parse(body, size, t, c[0], c[1], c[2], c[3], c[4], ct, n, &n2);
    CHECK(s == CT_OK && n2 == n, "copy call: status %d, n %lld vs %lld", (int)s, (long long)n2, (long long)n);
    /* without close_time, the same values */
    int64_t *t2 = malloc(un * sizeof(int64_t));
    double *o2 = malloc(un * sizeof(double));
    double *x = malloc(un * sizeof(double));
    s = ct_klines_parse(body, size, t2, o2, x, x, x, x, NULL, n, &n2);
    CHECK(s == CT_OK && n2 == n, "call without close_time: status %d", (int)s);
    CHECK(memcmp(t, t2, un * sizeof(int64_t)) == 0 && memcmp(c[0], o2, un * sizeof(double)) == 0,
          "the two parses differ");
    if (n >= 2) {
        s = ct_klines_parse(body, size, t2, o2, x, x, x, x, NULL, n - 1, &n2);
        CHECK(s == CT_E_RANGE && n2 == n, "cap n-1: status %d, n %lld", (int)s, (long long)n2);
    }
    free(t2);
    free(o2);
    free(x);
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 5; k++)
            CHECK(isfinite(c[k][i]), "row %lld field %d is %.17g", (long long)i, k + 1, c[k][i]);
    const double *const cc[5] = {c[0], c[1], c[2], c[3], c[4]};
    differential(body, size, t, cc, ct, n);
    check_feed(t, cc, n);
    free(t);
    free(ct);
    for (int k = 0; k < 5; k++)
        free(c[k]);
    return 0;
}
