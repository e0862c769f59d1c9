/*
 * libFuzzer target: ct_fetcher_configure_json on arbitrary text (no network is touched: only
 * settings change).
 *
 * Checks beyond "no crash, no leak":
 *  - a failing call returns a documented status with a message and changes no setting (every
 *    integer setting and the cache path are the same before and after: all or nothing);
 *  - after a successful call, every integer key of the document (its last occurrence) reads back
 *    with ct_fetcher_get_i64 as the value given (true/false as 1/0), and the cache path is
 *    computable when a cache directory is set.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cryptota/fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                                                              \
    do {                                                                                                              \
        if (!(cond)) {                                                                                                \
            fprintf(stderr, "fuzz_json_fetcher: invariant failed: %s: ", #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                                                             \
            fputc('\n', stderr);                                                                                      \
            abort();                                                                                                  \
        }                                                                                                             \
    } while (0)

static const struct {
    int32_t id;
    const char *key;
} k_int[] = {
    {CT_FETCH_TIMEOUT_MS, "timeout_ms"},         {CT_FETCH_CONNECT_TIMEOUT_MS, "connect_timeout_ms"},
    {CT_FETCH_MAX_RETRIES, "max_retries"},       {CT_FETCH_RETRY_BASE_MS, "retry_base_ms"},
    {CT_FETCH_RETRY_MAX_MS, "retry_max_ms"},     {CT_FETCH_MAX_PARALLEL, "max_parallel"},
    {CT_FETCH_WEIGHT_LIMIT, "weight_limit"},     {CT_FETCH_WEIGHT_WINDOW_MS, "weight_window_ms"},
    {CT_FETCH_PAGE_LIMIT, "page_limit"},         {CT_FETCH_DROP_OPEN_BAR, "drop_open_bar"},
    {CT_FETCH_CHECKPOINT_ROWS, "checkpoint_rows"},
};
#define N_INT (sizeof(k_int) / sizeof(k_int[0]))

typedef struct {
    int64_t v[N_INT];
    char path[4200];
    ct_status path_status;
} snapshot;

static void take(const ct_fetcher *f, snapshot *s)
{
    for (size_t i = 0; i < N_INT; i++)
        CHECK(ct_fetcher_get_i64(f, k_int[i].id, &s->v[i]) == CT_OK, "get %s", k_int[i].key);
    size_t len = 0;
    s->path[0] = '\0';
    s->path_status = ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", s->path, sizeof(s->path), &len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = malloc(size + 1);
    memcpy(json, data, size);
    json[size] = '\0';
    ct_fetcher *f = NULL;
    CHECK(ct_fetcher_create(&f) == CT_OK, "ct_fetcher_create");
    /* non-default values, so "unchanged" is a real check; the directory is never created */
    CHECK(ct_fetcher_configure_json(f, "{\"cache_dir\":\"fuzz-cache\",\"max_parallel\":3,\"page_limit\":7}") == CT_OK,
          "setup: %s", ct_fetcher_errmsg(f));
    snapshot a, b;
    take(f, &a);
    ct_status s = ct_fetcher_configure_json(f, json);
    take(f, &b);
    if (s != CT_OK) {
        CHECK(s == CT_E_FORMAT || s == CT_E_INVALID_ARG || s == CT_E_NOT_FOUND || s == CT_E_RANGE || s == CT_E_NOMEM,
              "status %d", (int)s);
        CHECK(ct_fetcher_errmsg(f)[0] != '\0', "status %d without a message", (int)s);
        CHECK(memcmp(a.v, b.v, sizeof(a.v)) == 0, "a failed call changed an integer setting");
        CHECK(a.path_status == b.path_status && strcmp(a.path, b.path) == 0, "a failed call changed the cache path");
    } else {
        cJSON *doc = cJSON_Parse(json);
        CHECK(cJSON_IsObject(doc), "accepted text is not a JSON object");
        for (size_t i = 0; i < N_INT; i++) {
            const cJSON *last = NULL;
            for (const cJSON *it = doc->child; it; it = it->next)
                if (strcmp(it->string, k_int[i].key) == 0)
                    last = it;
            if (!last)
                CHECK(a.v[i] == b.v[i], "%s changed without being given", k_int[i].key);
            else
                CHECK((double)b.v[i] == (cJSON_IsBool(last) ? (cJSON_IsTrue(last) ? 1.0 : 0.0) : last->valuedouble),
                      "%s reads %lld after setting %.17g", k_int[i].key, (long long)b.v[i], last->valuedouble);
        }
        cJSON_Delete(doc);
        CHECK(b.path_status == CT_OK || b.path_status == CT_E_STATE || b.path_status == CT_E_INVALID_ARG,
              "cache path status %d", (int)b.path_status);
    }
    ct_fetcher_destroy(f);
    free(json);
    return 0;
}
