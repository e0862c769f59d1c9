/*
 * ct_fetcher: settings, the kline and funding entry points, and the incremental cache.
 *
 * A kline fetch works out which parts of [start, end) are not known yet (the cache's coverage:
 * ranges asked for before, from the sidecar JSON, plus the bars in the .ctz), splits them into
 * page-sized segments, runs the segments through the transfer engine (http.c), merges the new
 * rows with the cached ones and saves the result (ctz first, then the sidecar, each atomically),
 * all under an flock() on a lock file per (market, symbol, interval).
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cryptota/version.h"
#include "fetch/fetch_internal.h"

#define CT__DEFAULT_SPOT_URL "https://data-api.binance.vision"
#define CT__DEFAULT_FUTURES_URL "https://fapi.binance.com"

/* ---------------------------------------------------------------- handle and settings */

ct_status ct_fetcher_create(ct_fetcher **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_fetcher_create: out is NULL");
    *out = NULL;
    ct_status s = ct__global_init_once();
    if (s != CT_OK)
        return s;
    ct_fetcher *f = ct__calloc(1, sizeof(*f));
    if (!f)
        return ct__fail(NULL, CT_E_NOMEM, "out of memory creating a fetcher");
    char ua[64];
    snprintf(ua, sizeof(ua), "libcryptota/%s", ct_version_string());
    f->spot_url = ct__strdup(CT__DEFAULT_SPOT_URL);
    f->futures_url = ct__strdup(CT__DEFAULT_FUTURES_URL);
    f->cache_dir = ct__strdup("");
    f->user_agent = ct__strdup(ua);
    if (!f->spot_url || !f->futures_url || !f->cache_dir || !f->user_agent) {
        ct_fetcher_destroy(f);
        return ct__fail(NULL, CT_E_NOMEM, "out of memory creating a fetcher");
    }
    f->timeout_ms = 30000;
    f->connect_timeout_ms = 10000;
    f->max_retries = 5;
    f->retry_base_ms = 500;
    f->retry_max_ms = 30000;
    f->max_parallel = 4;
    f->weight_limit = 0;
    f->weight_window_ms = 60000;
    f->page_limit = 0;
    f->drop_open_bar = 1;
    f->checkpoint_rows = 100000;
    f->rng = (uint64_t)ct__now_ms() * UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)(uintptr_t)f;
    if (!f->rng)
        f->rng = 1;
    CT__STAT(f, CT_FETCH_STAT_USED_WEIGHT) = -1;
    *out = f;
    return CT_OK;
}

void ct_fetcher_destroy(ct_fetcher *f)
{
    if (!f)
        return;
    if (f->multi)
        curl_multi_cleanup((CURLM *)f->multi);
    ct__free(f->spot_url);
    ct__free(f->futures_url);
    ct__free(f->cache_dir);
    ct__free(f->user_agent);
    ct__free(f->fund_symbol);
    ct__free(f->fund_time);
    ct__free(f->fund_rate);
    ct__free(f);
}

const char *ct_fetcher_errmsg(const ct_fetcher *f) { return f ? ct__errmsg(&f->err) : ""; }

typedef struct {
    int32_t key;
    const char *json;
    int32_t is_str;
    int64_t lo, hi;
    size_t off; /* offset of the int64_t field */
} setting;

#define I64(key, name, lo, hi, field) {key, name, 0, lo, hi, offsetof(ct_fetcher, field)}
#define STR(key, name) {key, name, 1, 0, 0, 0}
static const setting k_settings[] = {
    STR(CT_FETCH_BASE_URL, "base_url"),
    STR(CT_FETCH_SPOT_URL, "spot_url"),
    STR(CT_FETCH_FUTURES_URL, "futures_url"),
    STR(CT_FETCH_CACHE_DIR, "cache_dir"),
    STR(CT_FETCH_USER_AGENT, "user_agent"),
    I64(CT_FETCH_TIMEOUT_MS, "timeout_ms", 1, 3600000, timeout_ms),
    I64(CT_FETCH_CONNECT_TIMEOUT_MS, "connect_timeout_ms", 1, 600000, connect_timeout_ms),
    I64(CT_FETCH_MAX_RETRIES, "max_retries", 0, 100, max_retries),
    I64(CT_FETCH_RETRY_BASE_MS, "retry_base_ms", 0, 600000, retry_base_ms),
    I64(CT_FETCH_RETRY_MAX_MS, "retry_max_ms", 0, 3600000, retry_max_ms),
    I64(CT_FETCH_MAX_PARALLEL, "max_parallel", 1, 64, max_parallel),
    I64(CT_FETCH_WEIGHT_LIMIT, "weight_limit", 0, 1000000, weight_limit),
    I64(CT_FETCH_WEIGHT_WINDOW_MS, "weight_window_ms", 1, 3600000, weight_window_ms),
    I64(CT_FETCH_PAGE_LIMIT, "page_limit", 0, 1500, page_limit),
    I64(CT_FETCH_DROP_OPEN_BAR, "drop_open_bar", 0, 1, drop_open_bar),
    I64(CT_FETCH_CHECKPOINT_ROWS, "checkpoint_rows", 1000, 100000000, checkpoint_rows),
};
#undef I64
#undef STR

static const setting *find_setting(int32_t key)
{
    for (size_t i = 0; i < sizeof(k_settings) / sizeof(k_settings[0]); i++)
        if (k_settings[i].key == key)
            return &k_settings[i];
    return NULL;
}

static int is_counter(int32_t key) { return key >= CT_FETCH_STAT_REQUESTS && key <= CT_FETCH_STAT_CACHE_ROWS; }

/*
 * The setting `key` for a setter: an unknown ID is CT_E_NOT_FOUND, a known ID used through the
 * wrong call (a counter, which is read-only) CT_E_INVALID_ARG, as a string key given to the
 * integer setter is.
 */
static ct_status find_writable(ct_fetcher *f, int32_t key, const setting **out)
{
    *out = find_setting(key);
    if (*out)
        return CT_OK;
    if (is_counter(key))
        return ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher counter %d is read-only (ct_fetcher_reset_stats zeroes it)",
                        (int)key);
    return ct__fail(&f->err, CT_E_NOT_FOUND, "unknown fetcher setting %d", (int)key);
}

static ct_status check_i64(ct_fetcher *f, const setting *st, int64_t v)
{
    if (st->is_str)
        return ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher setting '%s' (%d) takes a string, not an integer", st->json,
                        (int)st->key);
    if (v < st->lo || v > st->hi)
        return ct__fail(&f->err, CT_E_RANGE, "fetcher setting '%s' = %" PRId64 " is outside [%" PRId64 ", %" PRId64 "]",
                        st->json, v, st->lo, st->hi);
    return CT_OK;
}

ct_status ct_fetcher_set_i64(ct_fetcher *f, int32_t key, int64_t value)
{
    if (!f)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_fetcher_set_i64: f is NULL");
    const setting *st;
    ct_status s = find_writable(f, key, &st);
    if (s == CT_OK)
        s = check_i64(f, st, value);
    if (s != CT_OK)
        return s;
    *(int64_t *)(void *)((char *)f + st->off) = value;
    if (key == CT_FETCH_WEIGHT_LIMIT) {
        f->weight[0].limit = value;
        f->weight[1].limit = value;
    }
    return CT_OK;
}

ct_status ct_fetcher_get_i64(const ct_fetcher *f, int32_t key, int64_t *value)
{
    if (!f || !value)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_fetcher_get_i64: %s is NULL", !f ? "f" : "value");
    if (is_counter(key)) {
        *value = f->stats[key - CT_FETCH_STAT_REQUESTS];
        return CT_OK;
    }
    const setting *st = find_setting(key);
    if (!st)
        return ct__fail(NULL, CT_E_NOT_FOUND, "no fetcher setting or counter %d", (int)key);
    if (st->is_str)
        return ct__fail(NULL, CT_E_INVALID_ARG, "fetcher setting '%s' (%d) is a string, which cannot be read back",
                        st->json, (int)key);
    *value = *(const int64_t *)(const void *)((const char *)f + st->off);
    return CT_OK;
}

void ct_fetcher_reset_stats(ct_fetcher *f)
{
    if (!f)
        return;
    memset(f->stats, 0, sizeof(f->stats));
    CT__STAT(f, CT_FETCH_STAT_USED_WEIGHT) = -1;
}

static ct_status check_str(ct_fetcher *f, const setting *st, const char *v)
{
    if (!st->is_str)
        return ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher setting '%s' (%d) takes an integer, not a string", st->json,
                        (int)st->key);
    if (!v)
        return ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher setting '%s': value is NULL", st->json);
    if (st->key == CT_FETCH_BASE_URL || st->key == CT_FETCH_SPOT_URL || st->key == CT_FETCH_FUTURES_URL) {
        if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
            return ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher setting '%s' = '%s' must start with http:// or https://",
                            st->json, v);
        if (strlen(v) > 512)
            return ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher setting '%s' is longer than 512 characters", st->json);
    }
    if (st->key == CT_FETCH_CACHE_DIR && strlen(v) > 3000)
        return ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher setting 'cache_dir' is longer than 3000 characters");
    if (st->key == CT_FETCH_USER_AGENT && (strlen(v) > 200 || strpbrk(v, "\r\n")))
        return ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher setting 'user_agent' must be one line of at most 200 characters");
    return CT_OK;
}

/* The string slots a string setting writes: spot URL, futures URL, cache directory, user agent. */
enum { SLOT_SPOT, SLOT_FUTURES, SLOT_CACHE, SLOT_AGENT, N_SLOTS };

static char **slot_of(ct_fetcher *f, int32_t slot)
{
    char **slots[N_SLOTS] = {&f->spot_url, &f->futures_url, &f->cache_dir, &f->user_agent};
    return slots[slot];
}

/* Mark the slots the (checked) string setting st writes with its value v. */
static void stage_str(const setting *st, const char *v, const char **staged)
{
    switch (st->key) {
    case CT_FETCH_BASE_URL:
        staged[SLOT_SPOT] = v;
        staged[SLOT_FUTURES] = v;
        break;
    case CT_FETCH_SPOT_URL:
        staged[SLOT_SPOT] = v;
        break;
    case CT_FETCH_FUTURES_URL:
        staged[SLOT_FUTURES] = v;
        break;
    case CT_FETCH_CACHE_DIR:
        staged[SLOT_CACHE] = v;
        break;
    default:
        staged[SLOT_AGENT] = v;
        break;
    }
}

/*
 * Copy the staged values, then replace the slots: all or nothing. Trailing '/' are removed from
 * the URLs and the cache directory, but "/" (the root directory) stays "/": "" alone turns the
 * cache off.
 */
static ct_status commit_strs(ct_fetcher *f, const char *const *staged)
{
    char *copy[N_SLOTS] = {NULL};
    for (int32_t i = 0; i < N_SLOTS; i++) {
        if (!staged[i])
            continue;
        copy[i] = ct__strdup(staged[i]);
        if (!copy[i]) {
            for (int32_t k = 0; k < i; k++)
                ct__free(copy[k]);
            return ct__fail(&f->err, CT_E_NOMEM, "out of memory copying a fetcher setting");
        }
        size_t n = strlen(copy[i]);
        while (i != SLOT_AGENT && n > 1 && copy[i][n - 1] == '/')
            copy[i][--n] = '\0';
    }
    for (int32_t i = 0; i < N_SLOTS; i++) {
        if (!copy[i])
            continue;
        char **slot = slot_of(f, i);
        ct__free(*slot);
        *slot = copy[i];
    }
    return CT_OK;
}

ct_status ct_fetcher_set_str(ct_fetcher *f, int32_t key, const char *value)
{
    if (!f)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_fetcher_set_str: f is NULL");
    const setting *st;
    ct_status s = find_writable(f, key, &st);
    if (s == CT_OK)
        s = check_str(f, st, value);
    if (s != CT_OK)
        return s;
    const char *staged[N_SLOTS] = {NULL};
    stage_str(st, value, staged);
    return commit_strs(f, staged);
}

static const setting *find_json(const char *name)
{
    for (size_t i = 0; i < sizeof(k_settings) / sizeof(k_settings[0]); i++)
        if (strcmp(k_settings[i].json, name) == 0)
            return &k_settings[i];
    return NULL;
}

/*
 * All or nothing: pass 1 checks every key and value and stages the strings; then the staged
 * strings are copied and replace the old ones (the only step that allocates; when it fails
 * nothing has changed), and pass 2 applies the integers in document order, which cannot fail. A
 * repeated key, or spot_url after base_url, takes the last value, as if set one by one.
 */
ct_status ct_fetcher_configure_json(ct_fetcher *f, const char *json)
{
    if (!f || !json)
        return ct__fail(f ? &f->err : NULL, CT_E_INVALID_ARG, "ct_fetcher_configure_json: %s is NULL", !f ? "f" : "json");
    cJSON *doc = cJSON_Parse(json);
    if (!doc || !cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return ct__fail(&f->err, CT_E_FORMAT, "fetcher configuration is not a JSON object");
    }
    ct_status s = CT_OK;
    const cJSON *it;
    const char *staged[N_SLOTS] = {NULL};
    for (int pass = 0; pass < 2 && s == CT_OK; pass++) {
        if (pass == 1 && (s = commit_strs(f, staged)) != CT_OK)
            break;
        cJSON_ArrayForEach(it, doc)
        {
            const setting *st = find_json(it->string);
            if (!st) {
                s = ct__fail(&f->err, CT_E_NOT_FOUND, "unknown fetcher configuration key '%s'", it->string);
                break;
            }
            if (st->is_str) {
                if (!cJSON_IsString(it)) {
                    s = ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher configuration key '%s' must be a string", it->string);
                    break;
                }
                if (pass == 0 && (s = check_str(f, st, it->valuestring)) == CT_OK)
                    stage_str(st, it->valuestring, staged);
            } else {
                double d = it->valuedouble;
                if (!cJSON_IsNumber(it) && !cJSON_IsBool(it)) {
                    s = ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher configuration key '%s' must be a number", it->string);
                    break;
                }
                if (cJSON_IsBool(it))
                    d = cJSON_IsTrue(it) ? 1.0 : 0.0;
                /* range check first: converting an out-of-range double to int64_t is undefined */
                if (!(d >= -9.2e18 && d <= 9.2e18)) {
                    s = ct__fail(&f->err, CT_E_RANGE, "fetcher configuration key '%s' is out of range (%g)", it->string, d);
                    break;
                }
                if (d != (double)(int64_t)d) {
                    s = ct__fail(&f->err, CT_E_INVALID_ARG, "fetcher configuration key '%s' must be an integer", it->string);
                    break;
                }
                s = pass == 0 ? check_i64(f, st, (int64_t)d) : ct_fetcher_set_i64(f, st->key, (int64_t)d);
            }
            if (s != CT_OK)
                break;
        }
    }
    cJSON_Delete(doc);
    return s;
}

ct_status ct_fetcher_set_progress(ct_fetcher *f, ct_fetch_progress_fn fn, void *user)
{
    if (!f)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_fetcher_set_progress: f is NULL");
    f->progress = fn;
    f->progress_user = user;
    return CT_OK;
}

/* ---------------------------------------------------------------- small helpers */

/*
 * Binance's own rule for a symbol (error -1100: ^[A-Z0-9-_.]{1,20}$). It is checked before any
 * request, and before a symbol becomes part of a cache file name: without '/' it cannot leave
 * the cache directory. err may be NULL (the message then goes to ct_last_error only).
 */
static ct_status check_symbol(ct__err *err, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!s || n == 0 || n > 20)
        return ct__fail(err, CT_E_INVALID_ARG, "symbol '%.40s' must be 1 to 20 characters", s ? s : "(null)");
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return ct__fail(err, CT_E_INVALID_ARG,
                            "symbol '%s' has the character '%c'; Binance symbols are upper case (A-Z 0-9 - _ .), e.g. BTCUSDT",
                            s, c);
    }
    return CT_OK;
}

/* The market and a Binance interval name valid for it (USD-M futures have no 1s klines). */
static ct_status check_market_interval(ct__err *err, int32_t market, const char *interval, int64_t *iv)
{
    if (market != CT_MARKET_SPOT && market != CT_MARKET_FUTURES)
        return ct__fail(err, CT_E_INVALID_ARG, "market %d is not CT_MARKET_SPOT (0) or CT_MARKET_FUTURES (1)", (int)market);
    if (!interval)
        return ct__fail(err, CT_E_INVALID_ARG, "interval is NULL");
    if (ct_interval_parse(interval, iv) != CT_OK)
        return ct__fail(err, CT_E_INVALID_ARG,
                        "bad interval '%.40s': Binance intervals are 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M",
                        interval);
    if (market == CT_MARKET_FUTURES && strcmp(interval, "1s") == 0)
        return ct__fail(err, CT_E_INVALID_ARG, "bad interval '1s': USD-M futures have no 1s klines");
    return CT_OK;
}

static ct_status ensure_multi(ct_fetcher *f)
{
    if (f->multi)
        return CT_OK;
    f->multi = curl_multi_init();
    if (!f->multi)
        return ct__fail(&f->err, CT_E_NOMEM, "curl_multi_init failed");
    return CT_OK;
}

static int64_t market_limit(const ct_fetcher *f, int32_t market)
{
    int64_t max = market == CT_MARKET_FUTURES ? 1500 : 1000;
    return f->page_limit > 0 && f->page_limit < max ? f->page_limit : max;
}

/* {"serverTime": N} from /api/v3/time or /fapi/v1/time */
static ct_status server_time(ct_fetcher *f, int32_t market, int64_t *out)
{
    char *body = NULL;
    size_t len = 0;
    ct_status s = ct__http_get(f, market, market == CT_MARKET_FUTURES ? "/fapi/v1/time" : "/api/v3/time", NULL, &body, &len);
    if (s != CT_OK)
        return s;
    cJSON *doc = cJSON_ParseWithLength(body, len);
    const cJSON *t = doc ? cJSON_GetObjectItemCaseSensitive(doc, "serverTime") : NULL;
    if (!cJSON_IsNumber(t))
        s = ct__fail(&f->err, CT_E_FORMAT, "server time response is not {\"serverTime\": <ms>}: '%.80s'", body ? body : "");
    else
        *out = ct__sat_i64(t->valuedouble);
    cJSON_Delete(doc);
    ct__free(body);
    return s;
}

/* The REQUEST_WEIGHT limit per window, from exchangeInfo (spot) or the documented default. */
static ct_status weight_limit(ct_fetcher *f, int32_t market, const char *symbol)
{
    ct__weight *wt = &f->weight[market];
    if (f->weight_limit > 0) {
        wt->limit = f->weight_limit;
        return CT_OK;
    }
    if (wt->limit > 0)
        return CT_OK;
    if (market == CT_MARKET_FUTURES) {
        wt->limit = 2400; /* F-EI example: REQUEST_WEIGHT 2400 / minute */
        return CT_OK;
    }
    char path[96];
    char *body = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "/api/v3/exchangeInfo?symbol=%s", symbol);
    ct_status s = ct__http_get(f, market, path, symbol, &body, &len);
    if (s != CT_OK) {
        if (s == CT_E_NOT_FOUND || s == CT_E_RATE_LIMIT || s == CT_E_CANCELLED || s == CT_E_NOMEM || s == CT_E_INVALID_ARG)
            return s;
        ct__log(CT_LOG_WARN, "fetch", "exchangeInfo failed (%s); using 6000 weight per minute", f->err.msg);
        wt->limit = 6000;
        return CT_OK;
    }
    int64_t limit = 6000;
    cJSON *doc = cJSON_ParseWithLength(body, len);
    const cJSON *rl = doc ? cJSON_GetObjectItemCaseSensitive(doc, "rateLimits") : NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, rl)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "rateLimitType");
        const cJSON *iv = cJSON_GetObjectItemCaseSensitive(it, "interval");
        const cJSON *num = cJSON_GetObjectItemCaseSensitive(it, "intervalNum");
        const cJSON *lim = cJSON_GetObjectItemCaseSensitive(it, "limit");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "REQUEST_WEIGHT") == 0 && cJSON_IsString(iv) &&
            strcmp(iv->valuestring, "MINUTE") == 0 && cJSON_IsNumber(lim) && lim->valuedouble >= 1) {
            double per = cJSON_IsNumber(num) && num->valuedouble >= 1 ? num->valuedouble : 1.0;
            limit = ct__sat_i64(lim->valuedouble / per);
            break;
        }
    }
    cJSON_Delete(doc);
    ct__free(body);
    wt->limit = limit > 0 ? limit : 1;
    return CT_OK;
}

/* ---------------------------------------------------------------- time ranges */

/*
 * The end of what a fetch asks the network for. No bar opens (and no funding event happens)
 * after the server's "now", so a range that reaches further, up to INT64_MAX for "everything",
 * is asked for only up to the local clock plus a day (room for a skewed clock). Without this,
 * such a range was split into segments spread over millions of years (hundreds of millions of
 * jobs for end = INT64_MAX, after a signed overflow) or a segment count wasted on the future.
 * The caller's end still cuts the result.
 */
#define CT__FUTURE_MARGIN_MS 86400000LL

static int64_t download_end(int64_t end_ms)
{
    int64_t now = ct__now_ms();
    return end_ms - now > CT__FUTURE_MARGIN_MS ? now + CT__FUTURE_MARGIN_MS : end_ms;
}

typedef struct {
    int64_t *a; /* pairs [lo, hi) */
    int32_t n;
    int32_t cap;
} ranges;

static ct_status ranges_add(ranges *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return CT_OK;
    if (r->n > 0 && r->a[2 * r->n - 1] == lo) { /* extend a contiguous run */
        r->a[2 * r->n - 1] = hi;
        return CT_OK;
    }
    if (r->n == r->cap) {
        int32_t cap = r->cap ? r->cap * 2 : 16;
        int64_t *a = ct__realloc(r->a, (size_t)cap * 2 * sizeof(int64_t));
        if (!a)
            return ct__fail(NULL, CT_E_NOMEM, "out of memory");
        r->a = a;
        r->cap = cap;
    }
    r->a[2 * r->n] = lo;
    r->a[2 * r->n + 1] = hi;
    r->n++;
    return CT_OK;
}

static int cmp_range(const void *x, const void *y)
{
    const int64_t *a = x, *b = y;
    return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* Sort and merge overlapping or touching ranges. */
static void ranges_normalize(ranges *r)
{
    if (r->n < 2)
        return;
    qsort(r->a, (size_t)r->n, 2 * sizeof(int64_t), cmp_range);
    int32_t w = 0;
    for (int32_t i = 1; i < r->n; i++) {
        if (r->a[2 * i] <= r->a[2 * w + 1]) {
            if (r->a[2 * i + 1] > r->a[2 * w + 1])
                r->a[2 * w + 1] = r->a[2 * i + 1];
        } else {
            w++;
            r->a[2 * w] = r->a[2 * i];
            r->a[2 * w + 1] = r->a[2 * i + 1];
        }
    }
    r->n = w + 1;
}

/* Does [lo, hi) hold an open time of the bar grid? Only decidable for epoch-aligned intervals. */
static int has_grid_point(int64_t lo, int64_t hi, int64_t iv)
{
    if (iv > 86400000 || 86400000 % iv != 0)
        return hi > lo;
    int64_t first = lo >= 0 ? ((lo + iv - 1) / iv) * iv : (lo / iv) * iv;
    return first < hi;
}

/* ---------------------------------------------------------------- per-symbol state */

typedef struct {
    const char *symbol;
    char *ctz;          /* cache paths (NULL without a cache) */
    char *side;
    char *lockp;
    int lock_fd;
    ct_feed *cached;    /* what the cache held when the fetch began */
    ranges cov;         /* known ranges: sidecar + cached bars */
    int32_t job0, njobs;
    int64_t ckpt_rows;  /* rows received at the last checkpoint */
    int32_t dirty;
} symstate;

typedef struct {
    ct_fetcher *f;
    int32_t market;
    const char *interval;
    int64_t iv;
    symstate *syms;
    int32_t nsyms;
    char dir[4096];     /* <cache_dir>/<spot|futures> ("" without a cache) */
    size_t made;        /* length of the shallowest directory of `dir` this fetch created (0: none) */
} fetchctx;

static const char *market_dir(int32_t market) { return market == CT_MARKET_FUTURES ? "futures" : "spot"; }

/* The separator after a directory: none after the root "/" (the only one ending in '/'). */
static const char *dir_sep(const char *dir)
{
    size_t n = strlen(dir);
    return n > 0 && dir[n - 1] == '/' ? "" : "/";
}

/*
 * mkdir -p. When it creates a directory, *made gets the length of the shallowest one it created
 * (unless *made already names a shallower one), so that remove_made_dirs can take them back.
 */
static ct_status make_dirs(ct_fetcher *f, const char *path, size_t *made)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof(buf))
        return ct__fail(&f->err, CT_E_INVALID_ARG, "cache path too long");
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) == 0) {
                if (*made == 0 || i < *made)
                    *made = i;
            } else if (errno != EEXIST) {
                return ct__fail(&f->err, CT_E_IO, "cannot create cache directory '%s': %s", buf, strerror(errno));
            }
            buf[i] = c;
        }
    }
    return CT_OK;
}

/*
 * Remove the directories of `path` that make_dirs created (from the deepest up to the length
 * `made`), as long as they are empty: a fetch that cached nothing leaves nothing behind, while
 * rmdir never removes a directory another fetch has put a file in.
 */
static void remove_made_dirs(const char *path, size_t made)
{
    char buf[4096];
    size_t n = strlen(path);
    if (made == 0 || n >= sizeof(buf))
        return;
    memcpy(buf, path, n + 1);
    while (n >= made && rmdir(buf) == 0) {
        while (n > 0 && buf[n - 1] != '/')
            n--;
        if (n == 0)
            break;
        buf[--n] = '\0'; /* the parent */
    }
}

static char *path_join(const char *dir, const char *sym, const char *iv, const char *ext)
{
    size_t n = strlen(dir) + strlen(sym) + strlen(iv) + strlen(ext) + 8;
    char *p = ct__malloc(n);
    if (p)
        snprintf(p, n, "%s/%s_%s%s", dir, sym, iv, ext);
    return p;
}

ct_status ct_fetcher_cache_path(const ct_fetcher *f, int32_t market, const char *symbol, const char *interval, char *buf,
                                size_t cap, size_t *len)
{
    int64_t iv;
    if (!f || !symbol || !interval || !len || (cap > 0 && !buf))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_fetcher_cache_path: NULL argument");
    /* the checks of ct_fetcher_klines: the same arguments name the same file, and a symbol
     * never steps out of the cache directory */
    ct_status s = check_market_interval(NULL, market, interval, &iv);
    if (s == CT_OK)
        s = check_symbol(NULL, symbol);
    if (s != CT_OK)
        return s;
    if (!f->cache_dir[0])
        return ct__fail(NULL, CT_E_STATE, "no cache directory is set (CT_FETCH_CACHE_DIR)");
    int n = snprintf(buf, cap, "%s%s%s/%s_%s.ctz", f->cache_dir, dir_sep(f->cache_dir), market_dir(market), symbol,
                     interval);
    if (n < 0)
        return ct__fail(NULL, CT_E_INTERNAL, "ct_fetcher_cache_path: snprintf failed");
    *len = (size_t)n;
    if (cap > 0 && (size_t)n >= cap) {
        buf[0] = '\0'; /* never a cut path, which would name another file */
        return ct__fail(NULL, CT_E_RANGE, "the cache path needs %zu bytes with its NUL; cap is %zu", (size_t)n + 1, cap);
    }
    return CT_OK;
}

/* Does the sidecar's string `key`, when present, differ from want? */
static int sidecar_differs(const cJSON *doc, const char *key, const char *want)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    return v && (!cJSON_IsString(v) || strcmp(v->valuestring, want) != 0);
}

/*
 * Coverage from the sidecar {"covered": [[lo, hi], ...]}; a missing or bad sidecar gives none,
 * and so does one written for another market, symbol or interval (its ranges say nothing about
 * this file, and trusting them would keep bars from ever being asked for).
 */
static ct_status read_sidecar(const fetchctx *fc, symstate *ss)
{
    FILE *fp = fopen(ss->side, "rb");
    if (!fp)
        return CT_OK;
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *t = ct__realloc(text, cap);
            if (!t) {
                ct__free(text);
                fclose(fp);
                return ct__fail(NULL, CT_E_NOMEM, "out of memory reading %s", ss->side);
            }
            text = t;
        }
        size_t got = fread(text + len, 1, 4096, fp);
        len += got;
        if (got < 4096)
            break;
    }
    fclose(fp);
    ct_status s = CT_OK;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    const cJSON *cov = doc ? cJSON_GetObjectItemCaseSensitive(doc, "covered") : NULL;
    const cJSON *it;
    if (!cJSON_IsArray(cov)) {
        ct__log(CT_LOG_WARN, "fetch", "ignoring unreadable cache sidecar %s", ss->side);
    } else if (sidecar_differs(doc, "market", market_dir(fc->market)) || sidecar_differs(doc, "symbol", ss->symbol) ||
               sidecar_differs(doc, "interval", fc->interval)) {
        ct__log(CT_LOG_WARN, "fetch", "ignoring cache sidecar %s: it was written for another market, symbol or interval",
                ss->side);
        cov = NULL;
    }
    cJSON_ArrayForEach(it, cov)
    {
        const cJSON *lo = cJSON_GetArrayItem(it, 0), *hi = cJSON_GetArrayItem(it, 1);
        if (cJSON_IsNumber(lo) && cJSON_IsNumber(hi) && (s = ranges_add(&ss->cov, ct__sat_i64(lo->valuedouble),
                                                                        ct__sat_i64(hi->valuedouble))) != CT_OK)
            break;
    }
    cJSON_Delete(doc);
    ct__free(text);
    return s;
}

static ct_status write_file_atomic(ct_fetcher *f, const char *path, const char *data, size_t len)
{
    size_t n = strlen(path) + 32;
    char *tmp = ct__malloc(n);
    if (!tmp)
        return ct__fail(&f->err, CT_E_NOMEM, "out of memory");
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ct_status s = CT_OK;
    if (fd < 0) {
        s = ct__fail(&f->err, CT_E_IO, "cannot write '%s': %s", tmp, strerror(errno));
    } else {
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(fd, data + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                s = ct__fail(&f->err, CT_E_IO, "cannot write '%s': %s", tmp, strerror(errno));
                break;
            }
            off += (size_t)w;
        }
        if (s == CT_OK && fsync(fd) != 0)
            s = ct__fail(&f->err, CT_E_IO, "fsync '%s': %s", tmp, strerror(errno));
        close(fd);
        if (s == CT_OK && rename(tmp, path) != 0)
            s = ct__fail(&f->err, CT_E_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        if (s != CT_OK)
            unlink(tmp);
    }
    ct__free(tmp);
    return s;
}

static ct_status write_sidecar(fetchctx *fc, symstate *ss, const ranges *cov, int64_t rows)
{
    ct_fetcher *f = fc->f;
    size_t cap = 256 + (size_t)cov->n * 48;
    char *buf = ct__malloc(cap);
    if (!buf)
        return ct__fail(&f->err, CT_E_NOMEM, "out of memory");
    size_t n = (size_t)snprintf(buf, cap,
                                "{\"format\": \"cryptota-cache-v1\", \"market\": \"%s\", \"symbol\": \"%s\", "
                                "\"interval\": \"%s\", \"rows\": %" PRId64 ",\n \"covered\": [",
                                market_dir(fc->market), ss->symbol, fc->interval, rows);
    for (int32_t i = 0; i < cov->n; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s[%" PRId64 ", %" PRId64 "]", i ? ", " : "", cov->a[2 * i],
                              cov->a[2 * i + 1]);
    n += (size_t)snprintf(buf + n, cap - n, "]}\n");
    ct_status s = write_file_atomic(f, ss->side, buf, n);
    ct__free(buf);
    return s;
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/*
 * Temporary files left by a process killed while saving ("<SYM>_<iv>.ctz.tmp.*",
 * "<SYM>_<iv>.json.tmp.*"). Called with the lock held, so nobody is writing them.
 */
static void remove_stale_temps(fetchctx *fc, const symstate *ss)
{
    const char *dir = fc->dir;
    char pre[64];
    int np = snprintf(pre, sizeof(pre), "%s_%s.", ss->symbol, fc->interval);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *rest = e->d_name + np;
        if (strncmp(e->d_name, pre, (size_t)np) != 0 ||
            (strncmp(rest, "ctz.tmp.", 8) != 0 && strncmp(rest, "json.tmp.", 9) != 0))
            continue;
        char path[4096 + 256];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) == 0)
            ct__log(CT_LOG_INFO, "fetch", "removed the stale temporary file %s", path);
    }
    closedir(d);
}

/*
 * Take the lock file of one symbol. A fetch that cached nothing removes its lock file while it
 * holds the lock (cache_close), so a lock taken on a file that is no longer at that path is not
 * the lock: take it again on the file now there (created if missing, with its directory).
 */
static ct_status lock_cache(fetchctx *fc, symstate *ss)
{
    ct_fetcher *f = fc->f;
    for (;;) {
        ss->lock_fd = open(ss->lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (ss->lock_fd < 0 && errno == ENOENT) {
            /* another fetch removed the directory it had made; make it again */
            ct_status s = make_dirs(f, fc->dir, &fc->made);
            if (s != CT_OK)
                return s;
            ss->lock_fd = open(ss->lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        }
        if (ss->lock_fd < 0)
            return ct__fail(&f->err, CT_E_IO, "cannot open cache lock '%s': %s", ss->lockp, strerror(errno));
        int rc;
        while ((rc = flock(ss->lock_fd, LOCK_EX)) != 0 && errno == EINTR)
            ;
        struct stat held, named;
        if (rc == 0 && (rc = fstat(ss->lock_fd, &held)) == 0) {
            rc = stat(ss->lockp, &named);
            if (rc == 0 && named.st_dev == held.st_dev && named.st_ino == held.st_ino)
                return CT_OK; /* lock_fd >= 0 from here on means the lock is held */
            if (rc != 0 && errno == ENOENT)
                rc = 0; /* removed by the holder before us: lock the new file */
        }
        int err = errno;
        close(ss->lock_fd);
        ss->lock_fd = -1;
        if (rc != 0)
            return ct__fail(&f->err, CT_E_IO, "cannot lock '%s': %s", ss->lockp, strerror(err));
    }
}

/* Open the cache of one symbol: lock, load the .ctz and the sidecar, build the coverage. */
static ct_status cache_open(fetchctx *fc, symstate *ss)
{
    ct_fetcher *f = fc->f;
    ss->ctz = path_join(fc->dir, ss->symbol, fc->interval, ".ctz");
    ss->side = path_join(fc->dir, ss->symbol, fc->interval, ".json");
    ss->lockp = path_join(fc->dir, ss->symbol, fc->interval, ".lock");
    if (!ss->ctz || !ss->side || !ss->lockp)
        return ct__fail(&f->err, CT_E_NOMEM, "out of memory");
    ct_status ls = lock_cache(fc, ss);
    if (ls != CT_OK)
        return ls;
    remove_stale_temps(fc, ss);
    struct stat stt;
    if (stat(ss->ctz, &stt) == 0) {
        ct_status s = ct_feed_load(ss->ctz, CT_GAPS_KEEP, &ss->cached);
        if (s == CT_E_NOMEM)
            return ct__propagate(&f->err, s);
        if (s != CT_OK) {
            /* a damaged cache is rebuilt, never trusted */
            ct__log(CT_LOG_WARN, "fetch", "cache file %s is unreadable (%s); downloading again", ss->ctz, ct_last_error());
            ss->cached = NULL;
        } else if (ct_feed_interval_ms(ss->cached) != fc->iv || strcmp(ct_feed_symbol(ss->cached), ss->symbol) != 0) {
            /* the fetcher writes the symbol and the interval into every cache file: a file of
             * another symbol or interval (copied or renamed there) is not this one's data */
            ct__log(CT_LOG_WARN, "fetch", "cache file %s holds %s with an interval of %lld ms, not %s %s; downloading again",
                    ss->ctz, ct_feed_symbol(ss->cached)[0] ? ct_feed_symbol(ss->cached) : "(no symbol)",
                    (long long)ct_feed_interval_ms(ss->cached), ss->symbol, fc->interval);
            ct_feed_destroy(ss->cached);
            ss->cached = NULL;
        }
        if (ss->cached) {
            ct_status rs = read_sidecar(fc, ss);
            if (rs != CT_OK)
                return ct__propagate(&f->err, rs);
        }
    }
    if (ss->cached) {
        /* every cached bar covers its own interval (up to INT64_MAX: a damaged file may hold
         * any valid time, and t + iv overflowed for one within an interval of the limit) */
        const int64_t *t = ct_feed_time(ss->cached);
        int64_t n = ct_feed_len(ss->cached);
        for (int64_t i = 0; i < n; i++)
            if (ranges_add(&ss->cov, t[i], t[i] > INT64_MAX - fc->iv ? INT64_MAX : t[i] + fc->iv) != CT_OK)
                return ct__propagate(&f->err, CT_E_NOMEM);
    }
    ranges_normalize(&ss->cov);
    return CT_OK;
}

/*
 * Unlock the cache of one symbol. When no cache file exists for it (the fetch failed before
 * anything was saved, or had nothing to save), the lock file is removed too, still under the
 * lock: a fetch leaves files behind only when it cached something.
 */
static void cache_close(symstate *ss)
{
    if (ss->lock_fd >= 0) {
        struct stat st;
        if (stat(ss->ctz, &st) != 0 && errno == ENOENT && stat(ss->side, &st) != 0 && errno == ENOENT)
            unlink(ss->lockp);
        flock(ss->lock_fd, LOCK_UN);
        close(ss->lock_fd);
    }
    ss->lock_fd = -1;
    ct__free(ss->ctz);
    ct__free(ss->side);
    ct__free(ss->lockp);
    ss->ctz = ss->side = ss->lockp = NULL;
    ct_feed_destroy(ss->cached);
    ss->cached = NULL;
    ct__free(ss->cov.a);
    memset(&ss->cov, 0, sizeof(ss->cov));
}

/* ---------------------------------------------------------------- merging */

typedef struct {
    int64_t t;
    int64_t pos;
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/*
 * Cached rows plus the rows of the symbol's jobs, sorted by time with duplicates dropped (the
 * newest copy wins), as plain columns. Rows are concatenated first: cached, then each job.
 */
static ct_status merge_rows(fetchctx *fc, symstate *ss, ct__run *run, ct__rows *out)
{
    ct_fetcher *f = fc->f;
    int64_t nc = ss->cached ? ct_feed_len(ss->cached) : 0;
    int64_t total = nc;
    for (int32_t k = 0; k < ss->njobs; k++)
        total += run->jobs[ss->job0 + k].rows.n;
    ct__rows all = {0};
    if (total > 0 && ct__rows_reserve(&all, total) != CT_OK) {
        ct__rows_free(&all);
        return ct__propagate(&f->err, CT_E_NOMEM);
    }
    if (nc > 0) {
        memcpy(all.t, ct_feed_time(ss->cached), (size_t)nc * sizeof(int64_t));
        memcpy(all.o, ct_feed_open(ss->cached), (size_t)nc * sizeof(double));
        memcpy(all.h, ct_feed_high(ss->cached), (size_t)nc * sizeof(double));
        memcpy(all.l, ct_feed_low(ss->cached), (size_t)nc * sizeof(double));
        memcpy(all.c, ct_feed_close(ss->cached), (size_t)nc * sizeof(double));
        memcpy(all.v, ct_feed_volume(ss->cached), (size_t)nc * sizeof(double));
    }
    all.n = nc;
    int sorted = 1;
    for (int32_t k = 0; k < ss->njobs; k++) {
        const ct__rows *r = &run->jobs[ss->job0 + k].rows;
        if (r->n == 0)
            continue;
        if (all.n > 0 && r->t[0] <= all.t[all.n - 1])
            sorted = 0;
        size_t bi = (size_t)r->n * sizeof(int64_t), bd = (size_t)r->n * sizeof(double);
        memcpy(all.t + all.n, r->t, bi);
        memcpy(all.o + all.n, r->o, bd);
        memcpy(all.h + all.n, r->h, bd);
        memcpy(all.l + all.n, r->l, bd);
        memcpy(all.c + all.n, r->c, bd);
        memcpy(all.v + all.n, r->v, bd);
        all.n += r->n;
    }
    if (sorted) {
        *out = all;
        return CT_OK;
    }
    keyed *key = ct__malloc_array((size_t)all.n, sizeof(*key));
    ct__rows res = {0};
    if (!key || ct__rows_reserve(&res, all.n) != CT_OK) {
        ct__free(key);
        ct__rows_free(&all);
        ct__rows_free(&res);
        return ct__fail(&f->err, CT_E_NOMEM, "out of memory merging %" PRId64 " rows", all.n);
    }
    for (int64_t i = 0; i < all.n; i++) {
        key[i].t = all.t[i];
        key[i].pos = i;
    }
    qsort(key, (size_t)all.n, sizeof(*key), cmp_keyed);
    for (int64_t i = 0; i < all.n; i++) {
        if (i + 1 < all.n && key[i + 1].t == key[i].t)
            continue; /* a later copy of the same bar follows */
        int64_t p = key[i].pos, w = res.n++;
        res.t[w] = all.t[p];
        res.o[w] = all.o[p];
        res.h[w] = all.h[p];
        res.l[w] = all.l[p];
        res.c[w] = all.c[p];
        res.v[w] = all.v[p];
    }
    ct__free(key);
    ct__rows_free(&all);
    *out = res;
    return CT_OK;
}

/* The coverage after this run: the cache's plus what each job has confirmed so far. */
static ct_status new_coverage(symstate *ss, ct__run *run, ranges *cov)
{
    for (int32_t i = 0; i < ss->cov.n; i++)
        if (ranges_add(cov, ss->cov.a[2 * i], ss->cov.a[2 * i + 1]) != CT_OK)
            return CT_E_NOMEM;
    for (int32_t k = 0; k < ss->njobs; k++) {
        const ct__job *j = &run->jobs[ss->job0 + k];
        if (ranges_add(cov, j->seg_start, j->covered_to) != CT_OK)
            return CT_E_NOMEM;
    }
    ranges_normalize(cov);
    return CT_OK;
}

static ct_status feed_from_rows(fetchctx *fc, const char *symbol, const ct__rows *r, int64_t lo, int64_t hi, ct_feed **out)
{
    ct_status s = ct_feed_from_arrays(symbol, fc->iv, r->t ? r->t + lo : NULL, r->o ? r->o + lo : NULL,
                                      r->h ? r->h + lo : NULL, r->l ? r->l + lo : NULL, r->c ? r->c + lo : NULL,
                                      r->v ? r->v + lo : NULL, hi - lo, CT_FEED_COPY, out);
    if (s != CT_OK) {
        char tmp[CT__ERRMSG_SIZE];
        snprintf(tmp, sizeof(tmp), "%s", ct_last_error());
        return ct__fail(&fc->f->err, s, "%s %s from Binance: %s", symbol, fc->interval, tmp);
    }
    return CT_OK;
}

/* Save the merged rows and the new coverage (ctz first, then the sidecar). */
static ct_status save_cache(fetchctx *fc, symstate *ss, ct__run *run, const ct__rows *merged)
{
    ct_fetcher *f = fc->f;
    ranges cov = {0};
    ct_feed *feed = NULL;
    ct_status s = new_coverage(ss, run, &cov);
    if (s != CT_OK) {
        ct__free(cov.a);
        return ct__fail(&f->err, CT_E_NOMEM, "out of memory");
    }
    s = feed_from_rows(fc, ss->symbol, merged, 0, merged->n, &feed);
    if (s == CT_OK) {
        s = ct_feed_save(feed, ss->ctz);
        if (s != CT_OK) {
            char tmp[CT__ERRMSG_SIZE];
            snprintf(tmp, sizeof(tmp), "%s", ct_last_error());
            s = ct__fail(&f->err, s, "cannot write cache file '%s': %s", ss->ctz, tmp);
        } else if (fsync_path(ss->ctz) != 0) {
            s = ct__fail(&f->err, CT_E_IO, "fsync '%s': %s", ss->ctz, strerror(errno));
        }
    }
    if (s == CT_OK)
        s = write_sidecar(fc, ss, &cov, merged->n);
    ct_feed_destroy(feed);
    ct__free(cov.a);
    return s;
}

static int64_t sym_rows(const symstate *ss, const ct__run *run)
{
    int64_t n = 0;
    for (int32_t k = 0; k < ss->njobs; k++)
        n += run->jobs[ss->job0 + k].rows.n;
    return n;
}

/* Engine hook: checkpoint symbols that received checkpoint_rows since their last save. */
static ct_status on_tick(ct__run *run, int32_t final)
{
    fetchctx *fc = run->user;
    for (int32_t i = 0; i < fc->nsyms; i++) {
        symstate *ss = &fc->syms[i];
        if (!ss->ctz || ss->njobs == 0)
            continue;
        int64_t rows = sym_rows(ss, run);
        int all_done = 1;
        for (int32_t k = 0; k < ss->njobs; k++)
            all_done &= run->jobs[ss->job0 + k].finished;
        if (!final && (all_done || rows - ss->ckpt_rows < fc->f->checkpoint_rows))
            continue;
        if (final && rows == ss->ckpt_rows && !ss->dirty)
            continue;
        ct__rows merged = {0};
        ct_status s = merge_rows(fc, ss, run, &merged);
        if (s == CT_OK)
            s = save_cache(fc, ss, run, &merged);
        ct__rows_free(&merged);
        if (s != CT_OK)
            return s;
        ss->ckpt_rows = rows;
        ss->dirty = 0;
    }
    return CT_OK;
}

/* ---------------------------------------------------------------- klines */

/*
 * Split [lo, hi) into segments paged independently. A segment holds several pages (so the paging
 * rule is exercised) but there are enough segments to keep max_parallel transfers busy.
 */
static ct_status add_segments(fetchctx *fc, ct__run *run, int32_t *cap, int32_t sym, int64_t lo, int64_t hi)
{
    int64_t page = run->limit * fc->iv;
    int64_t pages = (hi - lo + page - 1) / page;
    int64_t per = (pages + 4 * fc->f->max_parallel - 1) / (4 * fc->f->max_parallel);
    int64_t span = page * (per > 0 ? per : 1);
    for (int64_t a = lo; a < hi; a = (hi - a > span) ? a + span : hi) {
        int64_t b = (hi - a > span) ? a + span : hi;
        if (!has_grid_point(a, b, fc->iv))
            continue;
        if (run->n_jobs == *cap) {
            int32_t nc = *cap ? *cap * 2 : 64;
            ct__job *nj = ct__realloc(run->jobs, (size_t)nc * sizeof(*nj));
            if (!nj)
                return ct__fail(&fc->f->err, CT_E_NOMEM, "out of memory");
            run->jobs = nj;
            *cap = nc;
        }
        ct__job *j = &run->jobs[run->n_jobs++];
        memset(j, 0, sizeof(*j));
        j->kind = CT__JOB_KLINES;
        j->sym = sym;
        j->symbol = fc->syms[sym].symbol;
        j->seg_start = a;
        j->seg_end = b;
        j->next_start = a;
        j->covered_to = a;
        j->open_t = INT64_MIN;
        run->total += (b - a + fc->iv - 1) / fc->iv;
    }
    return CT_OK;
}

static int cmp_symptr(const void *x, const void *y)
{
    const symstate *const *a = x, *const *b = y;
    return strcmp((*a)->symbol, (*b)->symbol);
}

/* Arguments of a kline fetch, checked before anything touches the network or the disk. */
static ct_status check_klines_args(ct_fetcher *f, int32_t market, const char *const *symbols, int32_t n,
                                   const char *interval, int64_t start_ms, int64_t *end_ms, int64_t *iv)
{
    ct_status s = check_market_interval(&f->err, market, interval, iv);
    if (s != CT_OK)
        return s;
    if (*end_ms <= 0)
        *end_ms = ct__now_ms() + 1;
    if (start_ms < 0 || start_ms >= *end_ms)
        return ct__fail(&f->err, CT_E_INVALID_ARG, "bad time range: start %" PRId64 " must be >= 0 and before end %" PRId64,
                        start_ms, *end_ms);
    for (int32_t i = 0; i < n; i++) {
        s = check_symbol(&f->err, symbols[i]);
        if (s != CT_OK)
            return s;
        for (int32_t k = 0; k < i; k++)
            if (strcmp(symbols[k], symbols[i]) == 0)
                return ct__fail(&f->err, CT_E_INVALID_ARG, "symbol %s is listed twice", symbols[i]);
    }
    return CT_OK;
}

/* Segments for what symbol i lacks: [start, end) minus its known ranges. */
static ct_status plan_missing(fetchctx *fc, ct__run *run, int32_t *jcap, int32_t i, int64_t start_ms, int64_t end_ms)
{
    symstate *ss = &fc->syms[i];
    ct_status s = CT_OK;
    int64_t cur = start_ms;
    ss->job0 = run->n_jobs;
    for (int32_t r = 0; r < ss->cov.n && cur < end_ms && s == CT_OK; r++) {
        int64_t lo = ss->cov.a[2 * r], hi = ss->cov.a[2 * r + 1];
        if (hi <= cur)
            continue;
        if (lo > cur)
            s = add_segments(fc, run, jcap, i, cur, lo < end_ms ? lo : end_ms);
        cur = hi;
    }
    if (s == CT_OK && cur < end_ms)
        s = add_segments(fc, run, jcap, i, cur, end_ms);
    ss->njobs = run->n_jobs - ss->job0;
    return s;
}

/*
 * The result of symbol i: cached and new rows merged, saved to the cache when something new
 * arrived, cut to [start, end), plus the still-open bar when drop_open_bar is 0 (never cached).
 */
static ct_status build_result(fetchctx *fc, ct__run *run, int32_t i, int64_t start_ms, int64_t end_ms, ct_feed **out)
{
    ct_fetcher *f = fc->f;
    symstate *ss = &fc->syms[i];
    ct__rows merged = {0};
    ct_status s = merge_rows(fc, ss, run, &merged);
    if (s == CT_OK && ss->ctz && ss->dirty) {
        s = save_cache(fc, ss, run, &merged);
        ss->dirty = 0;
    }
    int64_t lo = 0, hi = merged.n;
    while (lo < hi && merged.t[lo] < start_ms)
        lo++;
    while (hi > lo && merged.t[hi - 1] >= end_ms)
        hi--;
    for (int32_t k = ss->njobs - 1; s == CT_OK && k >= 0; k--) {
        const ct__job *j = &run->jobs[ss->job0 + k];
        if (j->open_t == INT64_MIN)
            continue;
        if (j->open_t < end_ms && hi == merged.n && (hi == 0 || j->open_t > merged.t[hi - 1])) {
            if (ct__rows_reserve(&merged, merged.n + 1) != CT_OK) {
                s = ct__propagate(&f->err, CT_E_NOMEM);
                break;
            }
            int64_t w = merged.n++;
            merged.t[w] = j->open_t;
            merged.o[w] = j->open_ohlcv[0];
            merged.h[w] = j->open_ohlcv[1];
            merged.l[w] = j->open_ohlcv[2];
            merged.c[w] = j->open_ohlcv[3];
            merged.v[w] = j->open_ohlcv[4];
            hi++;
        }
        break;
    }
    if (s == CT_OK) {
        int64_t fresh = sym_rows(ss, run);
        CT__STAT(f, CT_FETCH_STAT_CACHE_ROWS) += (hi - lo) > fresh ? (hi - lo) - fresh : 0;
        s = feed_from_rows(fc, ss->symbol, &merged, lo, hi, out);
    }
    ct__rows_free(&merged);
    return s;
}

/* Download every planned segment; on failure keep what was completed in the cache. */
static ct_status download(fetchctx *fc, ct__run *run, const char *first_symbol)
{
    ct_fetcher *f = fc->f;
    ct_status s;
    /* the first report, (0, total); the engine reports only changes after it */
    run->reported = 0;
    if (run->n_jobs == 0) {
        if (f->progress && f->progress(f->progress_user, 0, 0) != 0)
            return ct__fail(&f->err, CT_E_CANCELLED, "fetch cancelled by the progress callback");
        return CT_OK;
    }
    if ((s = server_time(f, fc->market, &run->server_time)) != CT_OK)
        return s;
    if ((s = weight_limit(f, fc->market, first_symbol)) != CT_OK)
        return s;
    if (f->progress && f->progress(f->progress_user, 0, run->total) != 0)
        return ct__fail(&f->err, CT_E_CANCELLED, "fetch cancelled by the progress callback before it started");
    s = ct__run_jobs(run);
    if (s != CT_OK && s != CT_E_NOMEM && f->cache_dir[0]) {
        /* the next fetch resumes from here */
        char keep[CT__ERRMSG_SIZE];
        snprintf(keep, sizeof(keep), "%s", f->err.msg);
        on_tick(run, 1);
        ct__fail(&f->err, s, "%s", keep);
    }
    if (s == CT_OK)
        for (int32_t i = 0; i < fc->nsyms; i++)
            fc->syms[i].dirty = fc->syms[i].njobs > 0;
    return s;
}

ct_status ct_fetcher_klines_many(ct_fetcher *f, int32_t market, const char *const *symbols, int32_t n,
                                 const char *interval, int64_t start_ms, int64_t end_ms, ct_feed **out)
{
    if (!f)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_fetcher_klines_many: f is NULL");
    ct__err_clear(&f->err);
    if (!out || !symbols || n <= 0)
        return ct__fail(&f->err, CT_E_INVALID_ARG, "ct_fetcher_klines_many: %s",
                        !out ? "out is NULL" : !symbols ? "symbols is NULL" : "n must be > 0");
    for (int32_t i = 0; i < n; i++)
        out[i] = NULL;
    int64_t iv = 0;
    ct_status s = check_klines_args(f, market, symbols, n, interval, start_ms, &end_ms, &iv);
    if (s != CT_OK || (s = ensure_multi(f)) != CT_OK)
        return s;

    fetchctx fc = {.f = f, .market = market, .interval = interval, .iv = iv, .nsyms = n};
    ct__run run;
    memset(&run, 0, sizeof(run));
    run.f = f;
    run.market = market;
    run.interval = interval;
    run.interval_ms = iv;
    run.limit = market_limit(f, market);
    run.server_time = INT64_MAX;
    run.reported = -1;
    run.on_tick = on_tick;
    run.user = &fc;
    int32_t jcap = 0;
    symstate **order = ct__calloc((size_t)n, sizeof(*order));
    fc.syms = ct__calloc((size_t)n, sizeof(*fc.syms));
    if (!fc.syms || !order) {
        s = ct__fail(&f->err, CT_E_NOMEM, "out of memory");
        goto out;
    }
    for (int32_t i = 0; i < n; i++) {
        fc.syms[i].symbol = symbols[i];
        fc.syms[i].lock_fd = -1;
        order[i] = &fc.syms[i];
    }
    CT__STAT(f, CT_FETCH_STAT_CACHE_ROWS) = 0;
    if (f->cache_dir[0]) {
        snprintf(fc.dir, sizeof(fc.dir), "%s%s%s", f->cache_dir, dir_sep(f->cache_dir), market_dir(market));
        if ((s = make_dirs(f, fc.dir, &fc.made)) != CT_OK)
            goto out;
        /* lock in name order so processes with overlapping lists cannot deadlock */
        qsort(order, (size_t)n, sizeof(*order), cmp_symptr);
        for (int32_t i = 0; i < n; i++)
            if ((s = cache_open(&fc, order[i])) != CT_OK)
                goto out;
    }
    for (int32_t i = 0; i < n; i++)
        if ((s = plan_missing(&fc, &run, &jcap, i, start_ms, download_end(end_ms))) != CT_OK)
            goto out;
    if ((s = download(&fc, &run, symbols[0])) != CT_OK)
        goto out;
    for (int32_t i = 0; i < n && s == CT_OK; i++)
        s = build_result(&fc, &run, i, start_ms, end_ms, &out[i]);
    /* the final (total, total), unless the last report already said so */
    if (s == CT_OK && f->progress && run.reported != run.total)
        f->progress(f->progress_user, run.total, run.total);
out:
    if (s != CT_OK)
        for (int32_t i = 0; i < n; i++) {
            ct_feed_destroy(out[i]);
            out[i] = NULL;
        }
    for (int32_t i = 0; i < run.n_jobs; i++)
        ct__job_free(&run.jobs[i]);
    ct__free(run.jobs);
    if (fc.syms)
        for (int32_t i = 0; i < n; i++)
            cache_close(&fc.syms[i]);
    remove_made_dirs(fc.dir, fc.made);
    ct__free(fc.syms);
    ct__free(order);
    return s;
}

ct_status ct_fetcher_klines(ct_fetcher *f, int32_t market, const char *symbol, const char *interval, int64_t start_ms,
                            int64_t end_ms, ct_feed **out)
{
    if (out)
        *out = NULL;
    if (!out)
        return ct__fail(f ? &f->err : NULL, CT_E_INVALID_ARG, "ct_fetcher_klines: out is NULL");
    return ct_fetcher_klines_many(f, market, &symbol, 1, interval, start_ms, end_ms, out);
}

/* ---------------------------------------------------------------- funding */

/*
 * May a funding call reuse the kept download? Only for the same arguments. A range that was
 * closed when it was downloaded (its end already past) cannot change, so it is reused by every
 * such call. One still open then ("up to now", or an end in the future) gains events as time
 * passes, so it is reused only by the copy call right after the counting call that made it: the
 * count-then-copy pattern reads the network once and copies exactly the events it counted, and
 * any other call asks again.
 */
static int funding_reusable(const ct_fetcher *f, const char *symbol, int64_t start_ms, int64_t end_arg, int64_t cap)
{
    if (!f->fund_symbol || strcmp(f->fund_symbol, symbol) != 0 || f->fund_start != start_ms || f->fund_end != end_arg)
        return 0;
    return !f->fund_open || (f->fund_counted && cap > 0);
}

ct_status ct_fetcher_funding(ct_fetcher *f, const char *symbol, int64_t start_ms, int64_t end_ms, int64_t *time_ms,
                             double *rate, int64_t cap, int64_t *n_total)
{
    if (!f)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_fetcher_funding: f is NULL");
    ct__err_clear(&f->err);
    if (!n_total || cap < 0 || (cap > 0 && (!time_ms || !rate)))
        return ct__fail(&f->err, CT_E_INVALID_ARG, "ct_fetcher_funding: %s",
                        !n_total ? "n_total is NULL" : cap < 0 ? "cap < 0" : "time_ms or rate is NULL with cap > 0");
    *n_total = 0;
    ct_status s = check_symbol(&f->err, symbol);
    if (s != CT_OK)
        return s;
    const int64_t end_arg = end_ms > 0 ? end_ms : 0;
    const int64_t now = ct__now_ms();
    if (end_ms <= 0)
        end_ms = now + 1;
    if (start_ms < 0 || start_ms >= end_ms)
        return ct__fail(&f->err, CT_E_INVALID_ARG, "bad time range: start %" PRId64 " must be >= 0 and before end %" PRId64,
                        start_ms, end_ms);
    if (funding_reusable(f, symbol, start_ms, end_arg, cap)) {
        if (cap > 0)
            f->fund_counted = 0; /* the pattern is complete: an open range is asked again next time */
    } else {
        f->fund_counted = 0; /* whatever happens, the kept download is not this call's count */
        if ((s = ensure_multi(f)) != CT_OK)
            return s;
        ct__run run;
        memset(&run, 0, sizeof(run));
        run.f = f;
        run.market = CT_MARKET_FUTURES;
        run.server_time = INT64_MAX;
        run.reported = -1; /* one report, (0, 0): funding has no bar count */
        run.limit = 1000;
        if ((s = weight_limit(f, CT_MARKET_FUTURES, symbol)) != CT_OK)
            return s;
        /* 1000 funding events of 8 h per segment; segments run in parallel. Nothing after
         * now is asked for (see download_end): a range up to INT64_MAX is not 3e8 segments. */
        const int64_t span = 1000LL * 8 * 3600 * 1000;
        const int64_t dl_end = download_end(end_ms);
        int32_t nj = start_ms < dl_end ? (int32_t)((dl_end - start_ms + span - 1) / span) : 0;
        if (nj > 0) {
            run.jobs = ct__calloc((size_t)nj, sizeof(*run.jobs));
            if (!run.jobs)
                return ct__fail(&f->err, CT_E_NOMEM, "out of memory");
        }
        run.n_jobs = nj;
        for (int32_t i = 0; i < nj; i++) {
            ct__job *j = &run.jobs[i];
            j->kind = CT__JOB_FUNDING;
            j->symbol = symbol;
            j->seg_start = start_ms + (int64_t)i * span;
            j->seg_end = dl_end - j->seg_start > span ? j->seg_start + span : dl_end;
            j->next_start = j->seg_start;
        }
        s = nj > 0 ? ct__run_jobs(&run) : CT_OK;
        int64_t total = 0;
        for (int32_t i = 0; i < nj; i++)
            total += run.jobs[i].fn;
        int64_t *nt = NULL;
        double *nr = NULL;
        char *sym = NULL;
        if (s == CT_OK) {
            nt = ct__malloc_array((size_t)(total ? total : 1), sizeof(*nt));
            nr = ct__malloc_array((size_t)(total ? total : 1), sizeof(*nr));
            sym = ct__strdup(symbol);
            if (!nt || !nr || !sym)
                s = ct__fail(&f->err, CT_E_NOMEM, "out of memory");
        }
        if (s == CT_OK) {
            int64_t w = 0;
            for (int32_t i = 0; i < nj; i++) {
                if (run.jobs[i].fn == 0)
                    continue; /* a segment without events has no arrays (memcpy from NULL is undefined) */
                memcpy(nt + w, run.jobs[i].ftime, (size_t)run.jobs[i].fn * sizeof(*nt));
                memcpy(nr + w, run.jobs[i].frate, (size_t)run.jobs[i].fn * sizeof(*nr));
                w += run.jobs[i].fn;
            }
            ct__free(f->fund_time);
            ct__free(f->fund_rate);
            ct__free(f->fund_symbol);
            f->fund_time = nt;
            f->fund_rate = nr;
            f->fund_symbol = sym;
            f->fund_n = total;
            f->fund_start = start_ms;
            f->fund_end = end_arg;
            f->fund_open = end_ms > now;
            f->fund_counted = cap == 0;
        } else {
            ct__free(nt);
            ct__free(nr);
            ct__free(sym);
        }
        for (int32_t i = 0; i < nj; i++)
            ct__job_free(&run.jobs[i]);
        ct__free(run.jobs);
        if (s != CT_OK)
            return s;
    }
    *n_total = f->fund_n;
    int64_t k = cap < f->fund_n ? cap : f->fund_n;
    if (k > 0) {
        memcpy(time_ms, f->fund_time, (size_t)k * sizeof(*time_ms));
        memcpy(rate, f->fund_rate, (size_t)k * sizeof(*rate));
    }
    return CT_OK;
}
