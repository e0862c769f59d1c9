/*
 * The fetcher's incremental cache against the local Binance mock: reuse without requests,
 * extension at both ends, remembered exchange gaps, a damaged cache, resume after a killed
 * fetch, two processes on one cache, and the `cryptota fetch` command.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "../mock/mock_server.h"
#include "test_util.h"

static ct_mock g_mock;
static char g_cache[1024];

static void mock_up(void)
{
    const char *data = getenv("CT_DATA_DIR");
    ck_assert_msg(data != NULL, "CT_DATA_DIR is not set");
    ck_assert_msg(ct_mock_start(&g_mock, data) == 0, "cannot start the Binance mock");
}

static void mock_down(void) { ct_mock_stop(&g_mock); }

static void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[4096];
            snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* A clean mock and a fresh, empty cache directory per test. */
static void setup(void)
{
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    snprintf(g_cache, sizeof(g_cache), "%s/fetch-cache-%ld", ct_test_tmpdir(), (long)getpid());
    rm_rf(g_cache);
}

static void teardown(void) { rm_rf(g_cache); }

static int klines_requests(char *q, size_t cap) { return ct_mock_count(&g_mock, "/klines", q, cap); }

static ct_fetcher *new_fetcher(void)
{
    ct_fetcher *f = NULL;
    ck_assert_ok(ct_fetcher_create(&f));
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_BASE_URL, g_mock.url));
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, g_cache));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_RETRY_BASE_MS, 20));
    return f;
}

/* got equals the rows of src with open time in [a, b) */
static void assert_range(const ct_feed *got, const ct_feed *src, int64_t a, int64_t b)
{
    int64_t lo = ct_feed_lower_bound(src, a), hi = ct_feed_lower_bound(src, b);
    ct_test_assert_same_rows(got, src, lo, hi - lo);
}

/* Fetch [a, b) of sym/iv through f and check it equals the same rows of want. */
static void fetch_equals(ct_fetcher *f, int32_t market, const char *sym, const char *iv, int64_t a, int64_t b,
                         const ct_feed *want)
{
    ct_feed *got = NULL;
    ck_assert_ok(ct_fetcher_klines(f, market, sym, iv, a, b, &got));
    assert_range(got, want, a, b);
    ct_feed_destroy(got);
}

#define H1 "binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"
#define M1 "binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst"
#define IV_H 3600000LL
/* 2021-01-01 and 2021-03-01 */
#define A21 1609459200000LL
#define B21 1614556800000LL

START_TEST(test_cache_reuse)
{
    ct_feed *src = ct_test_load_feed(H1), *got = NULL;
    ct_fetcher *f = new_fetcher();
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, B21, src);
    ck_assert_int_eq(klines_requests(NULL, 0), 2); /* 1416 bars: 2 pages */
    /* the cache file is a valid .ctz with exactly those rows */
    char path[4096];
    size_t len;
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", path, sizeof(path), &len));
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &got));
    assert_range(got, src, A21, B21);
    ct_feed_destroy(got);
    /* second fetch, and a sub-range: zero kline requests */
    ct_fetcher_destroy(f);
    f = new_fetcher();
    ck_assert_ok(ct_mock_post(&g_mock, "/__reset", "{}") == 0 ? CT_OK : CT_E_NET);
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, B21, src);
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21 + 50 * IV_H, A21 + 70 * IV_H, src);
    ck_assert_int_eq(klines_requests(NULL, 0), 0);
    ck_assert_int_eq(ct_mock_count(&g_mock, "", NULL, 0), 0); /* no request at all */
    int64_t cached = 0;
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_STAT_CACHE_ROWS, &cached));
    ck_assert_int_eq(cached, 20);
    /* futures have their own cache */
    fetch_equals(f, CT_MARKET_FUTURES, "BTCUSDT", "1h", A21, B21, src);
    ck_assert_int_eq(ct_mock_count(&g_mock, "/fapi/v1/klines", NULL, 0), 1); /* 1416 <= 1500 */
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

START_TEST(test_cache_extend_both_ends)
{
    ct_feed *src = ct_test_load_feed(H1), *got = NULL;
    ct_fetcher *f = new_fetcher();
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 1));
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, B21, &got));
    ct_feed_destroy(got);
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    /* 300 h before and 200 h after: exactly one request each side, none inside */
    const int64_t a = A21 - 300 * IV_H, b = B21 + 200 * IV_H;
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", a, b, src);
    char q[4096] = "", w1[96], w2[96];
    ck_assert_int_eq(klines_requests(q, sizeof(q)), 2);
    snprintf(w1, sizeof(w1), "startTime=%lld&endTime=%lld&", (long long)a, (long long)(A21 - 1));
    snprintf(w2, sizeof(w2), "startTime=%lld&endTime=%lld&", (long long)B21, (long long)(b - 1));
    ck_assert_msg(strstr(q, w1) && strstr(q, w2), "requests:\n%s", q);
    /* the whole span is now cached */
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", a, b, src);
    ck_assert_int_eq(klines_requests(NULL, 0), 0);
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

/* The first gap of the 1h source: bars missing between after and before. */
static void first_gap(const ct_feed *src, int64_t *after, int64_t *before)
{
    int64_t n = 0;
    ck_assert_ok(ct_feed_gaps(src, after, before, NULL, 0, &n) == CT_OK ? CT_OK : CT_E_INTERNAL);
    ck_assert_int_gt(n, 0);
    int64_t miss;
    ck_assert_ok(ct_feed_gaps(src, after, before, &miss, 1, &n));
}

START_TEST(test_cache_exchange_gaps)
{
    ct_feed *src = ct_test_load_feed(H1), *got = NULL;
    int64_t after, before;
    first_gap(src, &after, &before);
    const int64_t a = after - 100 * IV_H, b = before + 100 * IV_H;
    ct_fetcher *f = new_fetcher();
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", a, b, &got));
    assert_range(got, src, a, b);
    ck_assert_int_gt(ct_feed_missing_bars(got), 0); /* the gap is reported */
    ct_feed_destroy(got);
    /* the gap was asked for once: it is an exchange gap and is not asked for again */
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", a, b, src);
    ck_assert_int_eq(klines_requests(NULL, 0), 0);
    /* without the sidecar the gap is unconfirmed: only the gap is asked for */
    char path[4096];
    size_t len;
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", path, sizeof(path), &len));
    strcpy(path + len - 4, ".json");
    ck_assert_int_eq(unlink(path), 0);
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", a, b, src);
    char q[2048] = "", w[96];
    ck_assert_int_eq(klines_requests(q, sizeof(q)), 1);
    snprintf(w, sizeof(w), "startTime=%lld&endTime=%lld&", (long long)(after + IV_H), (long long)(before - 1));
    ck_assert_msg(strstr(q, w) != NULL, "want %s in\n%s", w, q);
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

START_TEST(test_cache_damaged)
{
    ct_feed *src = ct_test_load_feed(H1), *got = NULL;
    ct_fetcher *f = new_fetcher();
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, B21, &got));
    ct_feed_destroy(got);
    char path[4096];
    size_t len;
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", path, sizeof(path), &len));
    /* cut the file in half: the fetch notices, downloads again and repairs the cache */
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(truncate(path, st.st_size / 2), 0);
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, B21, src);
    ck_assert_int_eq(klines_requests(NULL, 0), 2);
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &got));
    assert_range(got, src, A21, B21);
    ct_feed_destroy(got);
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

/* Copy a file (the test's own cache files). */
static void copy_file(const char *from, const char *to)
{
    size_t len = 0;
    char *data = ct_test_read_file(from, &len);
    ck_assert_ptr_nonnull(data);
    FILE *fp = fopen(to, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
    fclose(fp);
    free(data);
}

static void cache_file(ct_fetcher *f, const char *sym, const char *iv, const char *ext, char *path, size_t cap)
{
    size_t len;
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, sym, iv, path, cap, &len));
    strcpy(path + len - 4, ext);
}

#define E1 "binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst"
#define D1 "binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"

/* A cache file (or sidecar) of another symbol or interval, copied or renamed into a slot, is not
 * that slot's data. The fetch used to serve BTCUSDT's prices as ETHUSDT's, a one-row 1h file as
 * the 1d bar of its day, and to trust another symbol's sidecar, never asking for the bars it
 * claimed were known. */
START_TEST(test_cache_of_another_symbol)
{
    ct_feed *eth = ct_test_load_feed(E1), *day = ct_test_load_feed(D1), *got = NULL;
    ct_fetcher *f = new_fetcher();
    char from[4096], to[4096];
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, B21, &got));
    ct_feed_destroy(got);
    /* BTCUSDT's .ctz and sidecar under ETHUSDT's names */
    cache_file(f, "BTCUSDT", "1h", ".ctz", from, sizeof(from));
    cache_file(f, "ETHUSDT", "1h", ".ctz", to, sizeof(to));
    copy_file(from, to);
    cache_file(f, "BTCUSDT", "1h", ".json", from, sizeof(from));
    cache_file(f, "ETHUSDT", "1h", ".json", to, sizeof(to));
    copy_file(from, to);
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    fetch_equals(f, CT_MARKET_SPOT, "ETHUSDT", "1h", A21, B21, eth);
    ck_assert_int_eq(klines_requests(NULL, 0), 2); /* downloaded again, 1416 bars */
    /* ...and the cache holds ETHUSDT now */
    cache_file(f, "ETHUSDT", "1h", ".ctz", to, sizeof(to));
    ck_assert_ok(ct_feed_load(to, CT_GAPS_KEEP, &got));
    ck_assert_str_eq(ct_feed_symbol(got), "ETHUSDT");
    assert_range(got, eth, A21, B21);
    ct_feed_destroy(got);

    /* a right .ctz with another symbol's sidecar: ETHUSDT has one day cached, the sidecar
     * copied from BTCUSDT claims the two months */
    rm_rf(g_cache);
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "ETHUSDT", "1h", A21, A21 + 24 * IV_H, &got));
    ct_feed_destroy(got);
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, B21, &got));
    ct_feed_destroy(got);
    cache_file(f, "BTCUSDT", "1h", ".json", from, sizeof(from));
    cache_file(f, "ETHUSDT", "1h", ".json", to, sizeof(to));
    copy_file(from, to);
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    fetch_equals(f, CT_MARKET_SPOT, "ETHUSDT", "1h", A21, B21, eth);
    ck_assert_int_gt(klines_requests(NULL, 0), 0);

    /* a one-row 1h file in the 1d slot */
    rm_rf(g_cache);
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, A21 + IV_H, &got));
    ck_assert_int_eq(ct_feed_len(got), 1);
    ct_feed_destroy(got);
    cache_file(f, "BTCUSDT", "1h", ".ctz", from, sizeof(from));
    cache_file(f, "BTCUSDT", "1d", ".ctz", to, sizeof(to));
    copy_file(from, to);
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    const int64_t d10 = A21 + 10 * 86400000LL;
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1d", A21, d10, day);
    ck_assert_int_eq(klines_requests(NULL, 0), 1);

    ct_fetcher_destroy(f);
    ct_feed_destroy(eth);
    ct_feed_destroy(day);
}
END_TEST

/* A damaged cache file can hold any valid time: a bar within an interval of INT64_MAX made the
 * coverage end t + interval overflow (signed overflow). */
START_TEST(test_cache_bar_near_int64_max)
{
    ct_feed *src = ct_test_load_feed(H1), *odd = NULL;
    ct_fetcher *f = new_fetcher();
    char path[4096];
    size_t len;
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", path, sizeof(path), &len));
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/spot", g_cache);
    ck_assert_int_eq(mkdir(g_cache, 0755), 0);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    int64_t t[1] = {INT64_MAX - 1000};
    double p[1] = {1.5};
    ck_assert_ok(ct_feed_from_arrays("BTCUSDT", IV_H, t, p, p, p, p, p, 1, 0, &odd));
    ck_assert_ok(ct_feed_save(odd, path));
    ct_feed_destroy(odd);
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, A21 + 48 * IV_H, src);
    ck_assert_int_eq(klines_requests(NULL, 0), 1);
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

/* The fetcher's kline requests get `body` as the answer of request number skip + 1. */
static void fault_body(int skip, const char *body)
{
    cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "faults"), *ft = cJSON_CreateObject();
    cJSON_AddStringToObject(ft, "kind", "body");
    cJSON_AddStringToObject(ft, "body", body);
    cJSON_AddNumberToObject(ft, "skip", skip);
    cJSON_AddItemToArray(arr, ft);
    char *json = cJSON_PrintUnformatted(doc);
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__fault", json), 0);
    cJSON_free(json);
    cJSON_Delete(doc);
}

/*
 * A page the fetcher refuses adds nothing to the cache. A failed fetch saves what it received
 * so that the next one resumes; that checkpoint used to include the refused page's rows, so a
 * row refused as malformed (here one that closes before it opens, at +900 h with prices of 1.0)
 * was cached as a known bar and served from then on. And a full page served again must not
 * record the rest of its segment as known (it used to: the bars never came).
 */
START_TEST(test_refused_page_not_cached)
{
    ct_feed *src = ct_test_load_feed(H1), *got = NULL;
    ct_fetcher *f = new_fetcher();
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 1));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_PAGE_LIMIT, 100)); /* segments of 3 pages */
    const int64_t b = A21 + 1050 * IV_H, bogus = A21 + 900 * IV_H;
    char q[256];
    snprintf(q, sizeof(q), "/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=%lld&limit=100", (long long)(A21 + 100 * IV_H));
    char *p2 = ct_mock_call(&g_mock, q, NULL);
    ck_assert_ptr_nonnull(p2);
    size_t cap = strlen(p2) + 256;
    char *bad = malloc(cap);
    snprintf(bad, cap, "%.*s,[%lld,\"1.0\",\"1.0\",\"1.0\",\"1.0\",\"1.0\",%lld,\"0\",1,\"0\",\"0\",\"0\"]]",
             (int)strlen(p2) - 1, p2, (long long)bogus, (long long)(bogus - 1));
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    fault_body(1, bad);
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, b, &got), CT_E_FORMAT);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "closes before it opens") != NULL, "%s", ct_fetcher_errmsg(f));
    char path[4096];
    cache_file(f, "BTCUSDT", "1h", ".ctz", path, sizeof(path));
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &got));
    assert_range(got, src, A21, A21 + 100 * IV_H); /* the first page, checkpointed */
    ct_feed_destroy(got);
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, b, src);
    ck_assert_int_eq(klines_requests(NULL, 0), 10); /* all but the checkpointed page */

    /* a repeated full page: an error, and the next fetch asks for the rest */
    rm_rf(g_cache);
    snprintf(q, sizeof(q), "/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=%lld&limit=100", (long long)A21);
    char *p1 = ct_mock_call(&g_mock, q, NULL);
    ck_assert_ptr_nonnull(p1);
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    fault_body(1, p1);
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, b, &got), CT_E_FORMAT);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "(a repeated page?)") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, b, src);
    ck_assert_int_eq(klines_requests(NULL, 0), 10);
    free(p1);
    free(p2);
    free(bad);
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

static int exists(const char *fmt, const char *a, const char *b)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), fmt, a, b);
    return stat(path, &st) == 0;
}

START_TEST(test_failed_fetch_leaves_nothing)
{
    /* a fetch that fails before anything is cached takes back the directories and the lock
     * file it made */
    ct_fetcher *f = new_fetcher();
    ct_feed *got = NULL;
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDX", "1h", A21, B21, &got), CT_E_NOT_FOUND);
    ck_assert_msg(!exists("%s%s", g_cache, ""), "%s was left behind", g_cache);
    /* with a cache in use: only what this fetch made goes, the directory it found stays */
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, A21 + 48 * IV_H, &got));
    ct_feed_destroy(got);
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_FUTURES, "BTCUSDX", "1h", A21, B21, &got), CT_E_NOT_FOUND);
    ck_assert(!exists("%s/futures%s", g_cache, ""));
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDX", "1h", A21, B21, &got), CT_E_NOT_FOUND);
    ck_assert(!exists("%s/spot/BTCUSDX_1h.lock%s", g_cache, ""));
    ck_assert(exists("%s/spot/BTCUSDT_1h.ctz%s", g_cache, ""));
    ck_assert(exists("%s/spot/BTCUSDT_1h.json%s", g_cache, ""));
    ck_assert(exists("%s/spot/BTCUSDT_1h.lock%s", g_cache, ""));
    /* nobody listening: nothing downloaded, nothing left */
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_BASE_URL, "http://127.0.0.1:9"));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_RETRIES, 0));
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "ETHUSDT", "1h", A21, B21, &got), CT_E_NET);
    ck_assert(!exists("%s/spot/ETHUSDT_1h.lock%s", g_cache, ""));
    ck_assert_ptr_null(got);
    ct_fetcher_destroy(f);
}
END_TEST

/* Does process pid have a descriptor open on a path ending with suffix? */
static int has_open(pid_t pid, const char *suffix)
{
    char dir[64], link[512], target[4096];
    snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
    DIR *d = opendir(dir);
    int found = 0;
    struct dirent *e;
    while (d && !found && (e = readdir(d)) != NULL) {
        snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        size_t ls = strlen(suffix);
        found = (size_t)n >= ls && strcmp(target + n - ls, suffix) == 0;
    }
    if (d)
        closedir(d);
    return found;
}

START_TEST(test_lock_file_replaced)
{
    /* A fetch that cached nothing removes its lock file while it holds it. A fetch that was
     * waiting on that file must not take its lock as the lock: here the test plays the holder,
     * replaces the file (as a third fetch arriving then would create it) and keeps the new one
     * locked; the waiting fetch must go on waiting until that one is released. */
    char dir[2048], lockp[2100];
    snprintf(dir, sizeof(dir), "%s/spot", g_cache);
    snprintf(lockp, sizeof(lockp), "%s/BTCUSDT_1h.lock", dir);
    ck_assert_int_eq(mkdir(g_cache, 0755), 0);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    int go[2];
    ck_assert_int_eq(pipe(go), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1) /* start once the test holds the lock */
            _exit(2);
        ct_fetcher *f = NULL;
        ct_feed *got = NULL;
        int rc = 1;
        if (ct_fetcher_create(&f) == CT_OK && ct_fetcher_set_str(f, CT_FETCH_BASE_URL, g_mock.url) == CT_OK &&
            ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, g_cache) == CT_OK &&
            ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", A21, A21 + 48 * IV_H, &got) == CT_OK &&
            ct_feed_len(got) == 48)
            rc = 0;
        ct_feed_destroy(got);
        ct_fetcher_destroy(f);
        _exit(rc);
    }
    close(go[0]);
    int old = open(lockp, O_RDWR | O_CREAT, 0644);
    ck_assert_int_ge(old, 0);
    ck_assert_int_eq(flock(old, LOCK_EX), 0);
    ck_assert_int_eq(write(go[1], "x", 1), 1);
    close(go[1]);
    /* wait until the child has the old file open (it then waits for its lock) */
    for (int i = 0; i < 1000 && !has_open(pid, "/spot/BTCUSDT_1h.lock"); i++)
        usleep(10000);
    ck_assert_int_eq(unlink(lockp), 0);
    int fresh = open(lockp, O_RDWR | O_CREAT | O_EXCL, 0644);
    ck_assert_int_ge(fresh, 0);
    ck_assert_int_eq(flock(fresh, LOCK_EX), 0);
    close(old); /* the child gets the lock of a file no longer in the cache */
    /* a fetch that went on would ask for the server time at once */
    int status = 0;
    for (int i = 0; i < 100; i++) {
        usleep(10000);
        ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0 && ct_mock_count(&g_mock, "", NULL, 0) == 0,
                      "the fetch ran while another held the cache lock");
    }
    close(fresh);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(ct_mock_count(&g_mock, "/klines", NULL, 0), 1);
}
END_TEST

/* A child process that fetches the whole 1m file into the cache (one transfer at a time). */
static pid_t spawn_fetch_child(int checkpoint_rows)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failing test */
        ct_fetcher *f = NULL;
        ct_feed *got = NULL;
        int rc = 1;
        if (ct_fetcher_create(&f) == CT_OK && ct_fetcher_set_str(f, CT_FETCH_BASE_URL, g_mock.url) == CT_OK &&
            ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, g_cache) == CT_OK &&
            ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 1) == CT_OK &&
            ct_fetcher_set_i64(f, CT_FETCH_CHECKPOINT_ROWS, checkpoint_rows) == CT_OK &&
            ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1m", 1747699200000LL, 1755561600000LL, &got) == CT_OK)
            rc = 0;
        ct_feed_destroy(got);
        ct_fetcher_destroy(f);
        _exit(rc);
    }
    return pid;
}

START_TEST(test_resume_after_kill)
{
    ct_feed *src = ct_test_load_feed(M1), *got = NULL;
    /* 20 ms per request: 131 pages take about 3 s; kill the child after 40 pages */
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__config", "{\"delay_ms\": 20}"), 0);
    pid_t pid = spawn_fetch_child(10000);
    int pages = 0;
    for (int i = 0; i < 2000 && pages < 40; i++) {
        usleep(10000);
        pages = klines_requests(NULL, 0);
    }
    ck_assert_int_ge(pages, 40);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert(WIFSIGNALED(status));
    /* the cache is valid (a checkpoint of at least 30 pages) */
    ct_fetcher *f = new_fetcher();
    char path[4096];
    size_t len;
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1m", path, sizeof(path), &len));
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &got));
    int64_t kept = ct_feed_len(got);
    ck_assert_int_ge(kept, 30000);
    ct_test_assert_same_rows(got, src, 0, kept);
    ct_feed_destroy(got);
    /* the next fetch completes and downloads only what is missing */
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0);
    fetch_equals(f, CT_MARKET_SPOT, "BTCUSDT", "1m", 1747699200000LL, 1755561600000LL, src);
    int again = klines_requests(NULL, 0);
    /* only the cache's own files remain (no temporary file of the killed process) */
    char dir[2048];
    snprintf(dir, sizeof(dir), "%s/spot", g_cache);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        ck_assert_msg(e->d_name[0] == '.' || strcmp(e->d_name, "BTCUSDT_1m.ctz") == 0 ||
                          strcmp(e->d_name, "BTCUSDT_1m.json") == 0 || strcmp(e->d_name, "BTCUSDT_1m.lock") == 0,
                      "unexpected file %s", e->d_name);
    closedir(d);
    ck_assert_int_le(again, 131 - kept / 1000 + 4);
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

START_TEST(test_two_processes)
{
    /* two processes fetch the same symbol into one cache at once: the lock serializes them,
     * the second finds the data cached, and the file stays whole */
    ct_feed *src = ct_test_load_feed(M1), *got = NULL;
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__config", "{\"delay_ms\": 5}"), 0);
    pid_t a = spawn_fetch_child(20000), b = spawn_fetch_child(20000);
    int sa = 0, sb = 0;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    ck_assert(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
    ck_assert(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
    ck_assert_int_le(klines_requests(NULL, 0), 131 + 2);
    ct_fetcher *f = new_fetcher();
    char path[4096];
    size_t len;
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1m", path, sizeof(path), &len));
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &got));
    assert_range(got, src, 1747699200000LL, 1755561600000LL);
    ct_feed_destroy(got);
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

/* Run the cryptota command with env CRYPTOTA_BINANCE_URL unset; returns the exit code. */
static int run_cli(char *const argv[])
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 1);
        unsetenv("CRYPTOTA_BINANCE_URL");
        execv(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_cli_fetch)
{
    const char *cli = getenv("CT_CLI");
    ck_assert_ptr_nonnull(cli);
    ct_feed *src = ct_test_load_feed(H1), *got = NULL;
    char out[4096], cache[2048], dir[2048];
    snprintf(cache, sizeof(cache), "%s/cli-cache", g_cache);
    snprintf(out, sizeof(out), "%s/btc.ctz", g_cache);
    mkdir(g_cache, 0755);
    char *one[] = {(char *)cli, "fetch", "BTCUSDT", "--interval", "1h", "--start", "2021-01-01", "--end",
                   "2021-03-01T00:00:00Z", "--out", out, "--cache", cache, "--base-url", g_mock.url, NULL};
    ck_assert_int_eq(run_cli(one), 0);
    ck_assert_ok(ct_feed_load(out, CT_GAPS_KEEP, &got));
    assert_range(got, src, A21, B21);
    ct_feed_destroy(got);
    /* several symbols into a directory, futures, epoch ms times */
    snprintf(dir, sizeof(dir), "%s/many", g_cache);
    char *many[] = {(char *)cli, "fetch", "BTCUSDT,ETHUSDT", "--interval", "1h", "--start", "1609459200000", "--end",
                    "1614556800000", "--out", dir, "--cache", cache, "--base-url", g_mock.url, "--futures", NULL};
    ck_assert_int_eq(run_cli(many), 0);
    snprintf(out, sizeof(out), "%s/ETHUSDT_1h.ctz", dir);
    ct_feed *eth = ct_test_load_feed("binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst");
    ck_assert_ok(ct_feed_load(out, CT_GAPS_KEEP, &got));
    assert_range(got, eth, A21, B21);
    ct_feed_destroy(got);
    ct_feed_destroy(eth);
    /* errors: unknown symbol and bad arguments give a non-zero exit */
    char *bad[] = {(char *)cli, "fetch", "BTCUSDX", "--interval", "1h", "--start", "2021-01-01", "--end", "2021-01-02",
                   "--cache", cache, "--base-url", g_mock.url, NULL};
    ck_assert_int_eq(run_cli(bad), 1);
    char *usage[] = {(char *)cli, "fetch", "BTCUSDT", "--interval", "1h", NULL};
    ck_assert_int_eq(run_cli(usage), 2);
    ct_feed_destroy(src);
}
END_TEST

/* The C example of docs/fetch.md (built by tests/mock/CMakeLists.txt) against the mock. */
START_TEST(test_doc_example)
{
    const char *bdir = getenv("CT_BUILD_DIR");
    ck_assert_ptr_nonnull(bdir);
    char exe[2048], outf[2048], cmd[8192];
    snprintf(exe, sizeof(exe), "%s/bin/fetch_doc_example", bdir);
    snprintf(outf, sizeof(outf), "%s.out", g_cache);
    snprintf(cmd, sizeof(cmd), "CRYPTOTA_BINANCE_URL='%s' '%s' '%s' > '%s'", g_mock.url, exe, g_cache, outf);
    ck_assert_int_eq(system(cmd), 0);
    size_t len = 0;
    char *text = ct_test_read_file(outf, &len);
    unlink(outf);
    ck_assert_ptr_nonnull(text);
    /* January 2021 has 31 x 24 = 744 hourly bars and no gap in the source; 31 x 3 = 93 funding
     * events; the first is at k = 1609459200000 / 28800000 = 55884, k % 13 = 10, so the mock's
     * rate is (10 - 4) x 0.000025 = 0.00015 */
    ct_feed *src = ct_test_load_feed(H1);
    int64_t last = ct_feed_lower_bound(src, 1612137600000LL) - 1;
    char want[256];
    snprintf(want, sizeof(want), "rows 744, missing bars 0, last close %.2f\nfunding events 93, first rate 0.00015000\n",
             ct_feed_close(src)[last]);
    ck_assert_str_eq(text, want);
    free(text);
    ct_feed_destroy(src);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fetch_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_cache_reuse);
    tcase_add_test(tc, test_cache_extend_both_ends);
    tcase_add_test(tc, test_cache_exchange_gaps);
    tcase_add_test(tc, test_cache_damaged);
    tcase_add_test(tc, test_cache_of_another_symbol);
    tcase_add_test(tc, test_refused_page_not_cached);
    tcase_add_test(tc, test_cache_bar_near_int64_max);
    tcase_add_test(tc, test_failed_fetch_leaves_nothing);
    tcase_add_test(tc, test_lock_file_replaced);
    tcase_add_test(tc, test_resume_after_kill);
    tcase_add_test(tc, test_two_processes);
    tcase_add_test(tc, test_cli_fetch);
    tcase_add_test(tc, test_doc_example);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
