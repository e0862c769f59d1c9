/*
 * The Binance client against the local mock (tests/mock/binance_mock.py): downloads equal the
 * source files, paging boundaries, parallel symbols, every fault, errors, the open bar, the
 * weight budget, cancellation, futures and funding, settings and the kline parser.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../mock/mock_server.h"
#include "test_util.h"

static ct_mock g_mock;

static void mock_up(void)
{
    const char *data = getenv("CT_DATA_DIR");
    ck_assert_msg(data != NULL, "CT_DATA_DIR is not set");
    ck_assert_msg(ct_mock_start(&g_mock, data) == 0, "cannot start the Binance mock");
}

static void mock_down(void) { ct_mock_stop(&g_mock); }

/* Every test starts from a clean mock. */
static void mock_reset(void) { ck_assert_int_eq(ct_mock_post(&g_mock, "/__reset", "{}"), 0); }

/* The User-Agent of the last fetch_with_fault (empty before): its kline requests are those counted */
static char g_agent[64];

static int klines_requests(void) { return ct_mock_count_agent(&g_mock, "/klines", g_agent[0] ? g_agent : NULL, NULL, 0); }

/* A fetcher on the mock with small retry delays so fault tests stay fast. */
static ct_fetcher *new_fetcher(void)
{
    ct_fetcher *f = NULL;
    ck_assert_ok(ct_fetcher_create(&f));
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_BASE_URL, g_mock.url));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_RETRY_BASE_MS, 20));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_RETRY_MAX_MS, 200));
    return f;
}

/* ------------------------------------------------------------------ parser */

START_TEST(test_parse_exact)
{
    /* Each decimal string must give the double strtod gives (the correctly rounded value). */
    const char *vals[] = {"0.01634790", "0.80000000", "105573.73000000", "28500.00000000", "0.07695000",
                          "12470477.00000000", "0.00000001", "99999999.99999999", "123456789012.12345678",
                          "1e-05", "0.1", "3", "47.18100900", "9007199254740993", "0.30000000000000004441",
                          "1797.69313486231570814527423731704356798070e305"};
    char body[8192];
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        double want = strtod(vals[i], NULL), got = 0;
        snprintf(body, sizeof(body), "[[1000,\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",1999,\"0\",5,\"0\",\"0\",\"0\"]]", vals[i],
                 vals[i], vals[i], vals[i], vals[i]);
        int64_t t[1], ct[1], n = 0;
        double o[1], h[1], l[1], c[1], v[1];
        ck_assert_ok(ct_klines_parse(body, strlen(body), t, o, h, l, c, v, ct, 1, &n));
        ck_assert_int_eq(n, 1);
        got = c[0];
        ck_assert_msg(memcmp(&got, &want, sizeof(got)) == 0, "%s: got %.17g want %.17g", vals[i], got, want);
        ck_assert_int_eq(t[0], 1000);
        ck_assert_int_eq(ct[0], 1999);
    }
    /* generated decimals with 1..8 decimals and 1..10 integer digits against strtod */
    uint64_t x = 88172645463325252ULL;
    for (int k = 0; k < 20000; k++) {
        char s[64];
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int ip = (int)(x % 10) + 1, fp = (int)((x >> 8) % 9);
        unsigned long long a = (x >> 16) % 10000000000ULL, b = (x >> 3) % 100000000ULL;
        int len = snprintf(s, sizeof(s), "%.*llu", ip, a % (ip >= 10 ? 10000000000ULL : (unsigned long long)1 << (ip * 3)));
        if (fp)
            len += snprintf(s + len, sizeof(s) - (size_t)len, ".%0*llu", fp, b % 100000000ULL % (fp >= 8 ? 100000000ULL : 1ULL << (fp * 3)));
        double want = strtod(s, NULL), got;
        int64_t t[1], n;
        double o[1], c[1];
        snprintf(body, sizeof(body), "[[1,\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",2]]", s, s, s, s, s);
        ck_assert_ok(ct_klines_parse(body, strlen(body), t, o, o, o, c, o, NULL, 1, &n));
        got = c[0];
        ck_assert_msg(memcmp(&got, &want, sizeof(got)) == 0, "%s: got %.17g want %.17g", s, got, want);
    }
}
END_TEST

START_TEST(test_parse_errors)
{
    int64_t n = -1, t[4];
    double d[4];
    const char *empty = " [ ] ";
    ck_assert_ok(ct_klines_parse(empty, strlen(empty), NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, &n));
    ck_assert_int_eq(n, 0);
    const char *two = "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2,\"0\",1,\"0\",\"0\",\"0\"],"
                      "[3,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",4,\"0\",1,\"0\",\"0\",\"17928899.62484339\"]]";
    ck_assert_ok(ct_klines_parse(two, strlen(two), NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, &n));
    ck_assert_int_eq(n, 2); /* count first, cap 0 */
    ck_assert_status(ct_klines_parse(two, strlen(two), t, d, d, d, d, d, NULL, 1, &n), CT_E_RANGE);
    ck_assert_status(ct_klines_parse(two, strlen(two) - 7, t, d, d, d, d, d, NULL, 4, &n), CT_E_FORMAT);
    ck_assert_msg(strstr(ct_last_error(), "truncated") != NULL, "%s", ct_last_error());
    const char *bad[] = {"", "{}", "[[1,2]]", "[[1,\"x\",\"2\",\"0.5\",\"1.5\",\"10\",2]]", "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2]",
                         "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2]] x", "[[1.5,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2]]",
                         "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"nan\",2]]", "<html>", "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2],]",
                         /* spellings strtod takes but JSON (or a decimal string) does not */
                         "[[01,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2]]", "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",+2]]",
                         "[[1,\"+1\",\"2\",\"0.5\",\"1.5\",\"10\",2]]", "[[1,\"1.\",\"2\",\"0.5\",\"1.5\",\"10\",2]]",
                         "[[1,\".5\",\"2\",\"0.5\",\"1.5\",\"10\",2]]", "[[1,\"1e\",\"2\",\"0.5\",\"1.5\",\"10\",2]]",
                         "[[1,\"0x10\",\"2\",\"0.5\",\"1.5\",\"10\",2]]", "[[1,1.,\"2\",\"0.5\",\"1.5\",\"10\",2]]",
                         "[[1,01,\"2\",\"0.5\",\"1.5\",\"10\",2]]", "[[1,+1,\"2\",\"0.5\",\"1.5\",\"10\",2]]",
                         "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2,+5]]", "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2,1.]]",
                         "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2,01]]", "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2,nul]]",
                         "[[1,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",2,truex]]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(ct_klines_parse(bad[i], strlen(bad[i]), t, d, d, d, d, d, NULL, 4, &n) == CT_E_FORMAT, "accepted '%s'",
                      bad[i]);
    /* what JSON does allow: a bare number price, exponents, literals in the unused fields */
    const char *ok = "[[1,1.5,\"2E+1\",\"0.5e-3\",-0,\"0010\",2,null,true,false,3.25e2,\"x\\\"y\"]]";
    ck_assert_ok(ct_klines_parse(ok, strlen(ok), t, d, d, d, d, d, NULL, 4, &n));
    ck_assert_int_eq(n, 1);
    ck_assert(d[0] == 10.0); /* the volume column: "0010" (the columns share d here) */
    ck_assert_status(ct_klines_parse(NULL, 0, t, d, d, d, d, d, NULL, 4, &n), CT_E_INVALID_ARG);
    ck_assert_status(ct_klines_parse(two, strlen(two), NULL, d, d, d, d, d, NULL, 4, &n), CT_E_INVALID_ARG);
}
END_TEST

/* ------------------------------------------------------------------ settings */

START_TEST(test_settings)
{
    ct_fetcher *f = NULL;
    int64_t v = 0;
    ck_assert_status(ct_fetcher_create(NULL), CT_E_INVALID_ARG);
    ct_fetcher_destroy(NULL);
    ck_assert_ok(ct_fetcher_create(&f));
    ck_assert_str_eq(ct_fetcher_errmsg(f), "");
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_MAX_PARALLEL, &v));
    ck_assert_int_eq(v, 4);
    ck_assert_status(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 0), CT_E_RANGE);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "max_parallel") != NULL, "%s", ct_fetcher_errmsg(f));
    /* an unknown ID is CT_E_NOT_FOUND; a known one through the wrong call CT_E_INVALID_ARG */
    ck_assert_status(ct_fetcher_set_i64(f, 4242, 1), CT_E_NOT_FOUND);
    ck_assert_status(ct_fetcher_set_str(f, 4242, "x"), CT_E_NOT_FOUND);
    ck_assert_status(ct_fetcher_get_i64(f, 4242, &v), CT_E_NOT_FOUND);
    ck_assert_status(ct_fetcher_set_i64(f, CT_FETCH_BASE_URL, 1), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_set_str(f, CT_FETCH_TIMEOUT_MS, "1"), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_get_i64(f, CT_FETCH_CACHE_DIR, &v), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_set_i64(f, CT_FETCH_STAT_ROWS, 0), CT_E_INVALID_ARG); /* read-only */
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "read-only") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_status(ct_fetcher_set_str(f, CT_FETCH_STAT_ROWS, "1"), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_set_str(f, CT_FETCH_BASE_URL, "ftp://x"), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_set_str(f, CT_FETCH_BASE_URL, NULL), CT_E_INVALID_ARG);
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_BASE_URL, "http://127.0.0.1:1/"));
    /* JSON: all or nothing, errors name the key */
    ck_assert_ok(ct_fetcher_configure_json(f, "{\"max_parallel\": 8, \"timeout_ms\": 1234, \"cache_dir\": \"\"}"));
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_TIMEOUT_MS, &v));
    ck_assert_int_eq(v, 1234);
    ck_assert_status(ct_fetcher_configure_json(f, "{\"max_parallel\": 2, \"max_paralel\": 3}"), CT_E_NOT_FOUND);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "max_paralel") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_MAX_PARALLEL, &v));
    ck_assert_int_eq(v, 8); /* unchanged: the bad document applied nothing */
    ck_assert_status(ct_fetcher_configure_json(f, "{\"timeout_ms\": \"5\"}"), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_configure_json(f, "{\"timeout_ms\": 0}"), CT_E_RANGE);
    ck_assert_status(ct_fetcher_configure_json(f, "{\"timeout_ms\": 1.5}"), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_configure_json(f, "[1]"), CT_E_FORMAT);
    /* true/false are 1/0; a repeated key takes its last value */
    ck_assert_ok(ct_fetcher_configure_json(f, "{\"drop_open_bar\": false, \"max_parallel\": 2, \"max_parallel\": 3}"));
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_DROP_OPEN_BAR, &v));
    ck_assert_int_eq(v, 0);
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_MAX_PARALLEL, &v));
    ck_assert_int_eq(v, 3);
    ck_assert_status(ct_fetcher_get_i64(f, CT_FETCH_BASE_URL, &v), CT_E_INVALID_ARG);
    /* cache path */
    char buf[256];
    size_t len = 0;
    ck_assert_status(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", buf, sizeof(buf), &len), CT_E_STATE);
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, "/cache/"));
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_FUTURES, "BTCUSDT", "1h", buf, sizeof(buf), &len));
    ck_assert_str_eq(buf, "/cache/futures/BTCUSDT_1h.ctz");
    ck_assert_int_eq(len, strlen(buf));
    /* argument checks before any network use */
    ct_feed *out = (ct_feed *)(uintptr_t)1;
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "btcusdt", "1h", 0, 1000, &out), CT_E_INVALID_ARG);
    ck_assert_ptr_null(out);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "upper case") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "2x", 0, 1000, &out), CT_E_INVALID_ARG);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "bad interval '2x'") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_status(ct_fetcher_klines(f, 7, "BTCUSDT", "1h", 0, 1000, &out), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", 5000, 1000, &out), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_FUTURES, "BTCUSDT", "1s", 0, 1000, &out), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_klines(NULL, CT_MARKET_SPOT, "BTCUSDT", "1h", 0, 1000, &out), CT_E_INVALID_ARG);
    int64_t nt;
    ck_assert_status(ct_fetcher_funding(f, "BTCUSDT", 0, 1000, NULL, NULL, 5, &nt), CT_E_INVALID_ARG);
    ct_fetcher_destroy(f);
}
END_TEST

/* The cache path: the checks of ct_fetcher_klines, a too small buffer, the root directory. */
START_TEST(test_cache_path)
{
    ct_fetcher *f = NULL;
    char buf[256];
    size_t len = 0;
    ck_assert_ok(ct_fetcher_create(&f));
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, "cache"));
    /* count, then copy; a buffer one byte short is refused and holds no cut path */
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", NULL, 0, &len));
    ck_assert_int_eq(len, strlen("cache/spot/BTCUSDT_1h.ctz"));
    memset(buf, 'x', sizeof(buf));
    len = 0;
    ck_assert_status(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", buf, 16, &len), CT_E_RANGE);
    ck_assert_int_eq(len, strlen("cache/spot/BTCUSDT_1h.ctz")); /* the size needed, less the NUL */
    ck_assert_str_eq(buf, "");
    ck_assert_status(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", buf, len, &len), CT_E_RANGE);
    ck_assert_msg(strstr(ct_last_error(), "needs 26 bytes") != NULL, "%s", ct_last_error());
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", buf, len + 1, &len));
    ck_assert_str_eq(buf, "cache/spot/BTCUSDT_1h.ctz");
    /* symbols as ct_fetcher_klines takes them: nothing else reaches a file name */
    const char *bad[] = {"btcusdt", "BTC USDT", "../BTCUSDT", "A/B", "", "ABCDEFGHIJKLMNOPQRSTU", "BTC\nUSDT"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        strcpy(buf, "unchanged");
        ck_assert_msg(ct_fetcher_cache_path(f, CT_MARKET_SPOT, bad[i], "1h", buf, sizeof(buf), &len) == CT_E_INVALID_ARG,
                      "accepted symbol '%s'", bad[i]);
        ck_assert_str_eq(buf, "unchanged");
    }
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "1000SHIB-USD_T.X", "1h", buf, sizeof(buf), &len));
    /* intervals as ct_fetcher_klines takes them: futures have no 1s */
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1s", buf, sizeof(buf), &len));
    ck_assert_status(ct_fetcher_cache_path(f, CT_MARKET_FUTURES, "BTCUSDT", "1s", buf, sizeof(buf), &len),
                     CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "2x", buf, sizeof(buf), &len), CT_E_INVALID_ARG);
    ck_assert_status(ct_fetcher_cache_path(f, 7, "BTCUSDT", "1h", buf, sizeof(buf), &len), CT_E_INVALID_ARG);
    /* "/" is the root directory, not "no cache"; only "" turns the cache off */
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, "/"));
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", buf, sizeof(buf), &len));
    ck_assert_str_eq(buf, "/spot/BTCUSDT_1h.ctz");
    ck_assert_ok(ct_fetcher_configure_json(f, "{\"cache_dir\": \"///\"}"));
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_FUTURES, "BTCUSDT", "1h", buf, sizeof(buf), &len));
    ck_assert_str_eq(buf, "/futures/BTCUSDT_1h.ctz");
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, "a/b//"));
    ck_assert_ok(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", buf, sizeof(buf), &len));
    ck_assert_str_eq(buf, "a/b/spot/BTCUSDT_1h.ctz");
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, ""));
    ck_assert_status(ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", buf, sizeof(buf), &len), CT_E_STATE);
    ct_fetcher_destroy(f);
}
END_TEST

/* ct_fetcher_configure_json is all or nothing even when copying a string runs out of memory. */
START_TEST(test_configure_json_oom)
{
    const char *doc = "{\"max_parallel\": 8, \"user_agent\": \"oom/1\", \"cache_dir\": \"/oom\", \"timeout_ms\": 1234}";
    int64_t refused = 0;
    for (int64_t fail_at = 0;; fail_at++) {
        ct_fetcher *f = NULL;
        ct_test_failalloc_install(fail_at);
        ct_status s = ct_fetcher_create(&f);
        if (s != CT_OK) {
            ct_test_failalloc_remove();
            continue; /* the allocations of create itself: test_create_oom */
        }
        s = ct_fetcher_configure_json(f, doc);
        int64_t par = 0, tmo = 0;
        char buf[64];
        size_t len = 0;
        ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_MAX_PARALLEL, &par));
        ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_TIMEOUT_MS, &tmo));
        ct_status ps = ct_fetcher_cache_path(f, CT_MARKET_SPOT, "BTCUSDT", "1h", buf, sizeof(buf), &len);
        ct_fetcher_destroy(f);
        ct_test_failalloc_remove();
        if (s == CT_OK) {
            ck_assert_int_eq(par, 8);
            ck_assert_int_eq(tmo, 1234);
            ck_assert_ok(ps);
            ck_assert_str_eq(buf, "/oom/spot/BTCUSDT_1h.ctz");
            break;
        }
        ck_assert_int_eq(s, CT_E_NOMEM);
        /* nothing applied: the defaults, and still no cache directory */
        ck_assert_msg(par == 4 && tmo == 30000 && ps == CT_E_STATE, "fail_at %lld: partly applied (%lld, %lld, %s)",
                      (long long)fail_at, (long long)par, (long long)tmo, ct_status_name(ps));
        refused++;
        ck_assert_int_lt(fail_at, 1000);
    }
    ck_assert_int_eq(refused, 2); /* one round per string copied */
}
END_TEST

START_TEST(test_create_oom)
{
    /* every allocation of ct_fetcher_create may fail: CT_E_NOMEM and nothing leaked */
    for (int64_t fail_at = 0;; fail_at++) {
        ct_fetcher *f = NULL;
        int64_t live = ct_alloc_live_count();
        ct_test_failalloc_install(fail_at);
        ct_status s = ct_fetcher_create(&f);
        if (s == CT_OK)
            ct_fetcher_destroy(f);
        ct_test_failalloc_remove();
        if (s == CT_OK) {
            ck_assert_int_eq(ct_alloc_live_count(), live);
            ck_assert_int_gt(fail_at, 0);
            break;
        }
        ck_assert_int_eq(s, CT_E_NOMEM);
        ck_assert_ptr_null(f);
        ck_assert_int_eq(ct_alloc_live_count(), live);
    }
}
END_TEST

/* ------------------------------------------------------------------ downloads */

/* Every candle file served by the mock, fetched over its whole span, equals the file. */
START_TEST(test_download_equals_source)
{
    mock_reset();
    DIR *d = opendir(getenv("CT_DATA_DIR"));
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    int files = 0;
    ct_fetcher *f = new_fetcher();
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 4));
    while ((e = readdir(d)) != NULL) {
        char sym[32], iv[8];
        if (strncmp(e->d_name, "binance_", 8) != 0 || sscanf(e->d_name, "binance_%31[A-Z0-9]_%7[0-9a-zA-Z]_", sym, iv) != 2)
            continue;
        ct_feed *src = ct_test_load_feed(e->d_name), *got = NULL;
        int64_t n = ct_feed_len(src), ivms = ct_feed_interval_ms(src);
        const int64_t *t = ct_feed_time(src);
        ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, sym, iv, t[0], t[n - 1] + ivms, &got));
        ck_assert_str_eq(ct_feed_symbol(got), sym);
        ct_test_assert_same_rows(got, src, 0, n);
        /* the exchange's gaps are kept and reported, not filled */
        ck_assert_int_eq(ct_feed_missing_bars(got), ct_feed_missing_bars(src));
        ct_feed_destroy(got);
        ct_feed_destroy(src);
        files++;
    }
    closedir(d);
    ck_assert_int_ge(files, 10);
    ct_fetcher_destroy(f);
}
END_TEST

/* First index i0 of the 1h source with no gap in [i0, i0 + 1100). */
static int64_t gapless_start(const ct_feed *src, int64_t need)
{
    const int64_t *t = ct_feed_time(src);
    int64_t iv = ct_feed_interval_ms(src), run = 0;
    for (int64_t i = 1; i < ct_feed_len(src); i++) {
        run = t[i] - t[i - 1] == iv ? run + 1 : 0;
        if (run >= need)
            return i - need;
    }
    return -1;
}

START_TEST(test_paging_boundaries)
{
    ct_feed *src = ct_test_load_feed("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst");
    int64_t i0 = gapless_start(src, 1100);
    ck_assert_int_ge(i0, 0);
    const int64_t *t = ct_feed_time(src);
    const int64_t iv = 3600000;
    /* rows -> kline requests with limit 1000: a full page ends exactly at the end of the range,
     * so 1000 rows take 1 request, 1001 take 2 (a full page, then a 1-row short page). */
    const int64_t rows[] = {999, 1000, 1001, 1, 2000};
    const int want_req[] = {1, 1, 2, 1, 2};
    ct_fetcher *f = new_fetcher();
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 1));
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        mock_reset();
        ct_feed *got = NULL;
        ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", t[i0], t[i0] + rows[k] * iv, &got));
        ct_test_assert_same_rows(got, src, i0, rows[k] <= 1100 ? rows[k] : ct_feed_lower_bound(src, t[i0] + rows[k] * iv) - i0);
        char q[8192] = "";
        ck_assert_int_eq(ct_mock_count(&g_mock, "/klines", q, sizeof(q)), want_req[k]);
        ck_assert_msg(strstr(q, "limit=1000") != NULL, "%s", q);
        ct_feed_destroy(got);
    }
    /* paging inside one segment: next startTime = last close time + 1 */
    mock_reset();
    ct_feed *got = NULL;
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_PAGE_LIMIT, 100));
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", t[i0], t[i0] + 1050 * iv, &got));
    ct_test_assert_same_rows(got, src, i0, 1050);
    char q[16384] = "", want[128];
    ck_assert_int_eq(ct_mock_count(&g_mock, "/klines", q, sizeof(q)), 11);
    snprintf(want, sizeof(want), "startTime=%lld&", (long long)(t[i0] + 100 * iv - 1 + 1));
    ck_assert_msg(strstr(q, want) != NULL, "no %s in\n%s", want, q);
    ct_feed_destroy(got);
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

START_TEST(test_parallel_symbols)
{
    const char *syms[] = {"BTCUSDT", "ETHUSDT", "DOGEUSDT", "SOLUSDT", "XRPUSDT"};
    const char *files[] = {"binance_BTCUSDT_15m_2023-04-01_2024-04-09.csv.zst", "binance_ETHUSDT_15m_2023-04-01_2024-04-09.csv.zst",
                           "binance_DOGEUSDT_15m_2023-04-01_2024-04-09.csv.zst", "binance_SOLUSDT_15m_2023-04-01_2024-04-09.csv.zst",
                           "binance_XRPUSDT_15m_2023-04-01_2024-04-09.csv.zst"};
    ct_feed *out[5] = {0};
    mock_reset();
    ct_fetcher *f = new_fetcher();
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 8));
    /* 2023-06-01 .. 2023-09-01: 8832 bars of 15 min per symbol */
    const int64_t a = 1685577600000LL, b = 1693526400000LL;
    ck_assert_ok(ct_fetcher_klines_many(f, CT_MARKET_SPOT, syms, 5, "15m", a, b, out));
    for (int i = 0; i < 5; i++) {
        ct_feed *src = ct_test_load_feed(files[i]);
        int64_t lo = ct_feed_lower_bound(src, a), hi = ct_feed_lower_bound(src, b);
        ck_assert_str_eq(ct_feed_symbol(out[i]), syms[i]);
        ct_test_assert_same_rows(out[i], src, lo, hi - lo);
        ct_feed_destroy(src);
        ct_feed_destroy(out[i]);
    }
    /* 8832 bars = 9 pages of 1000 per symbol */
    ck_assert_int_eq(klines_requests(), 5 * 9);
    /* one unknown symbol fails the whole call, naming it, and returns nothing */
    const char *bad[] = {"BTCUSDT", "BTCUSDX"};
    ck_assert_status(ct_fetcher_klines_many(f, CT_MARKET_SPOT, bad, 2, "15m", a, b, out), CT_E_NOT_FOUND);
    ck_assert_ptr_null(out[0]);
    ck_assert_ptr_null(out[1]);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "BTCUSDX") != NULL, "%s", ct_fetcher_errmsg(f));
    ct_fetcher_destroy(f);
}
END_TEST

/* ------------------------------------------------------------------ faults */

/* 1h BTCUSDT from 2020-01-01, 3000 bars, in pages of 500: 6 kline requests without faults. */
#define FAULT_A 1577836800000LL
#define FAULT_B (FAULT_A + 3000LL * 3600000)

/* One fetch of FAULT_A..FAULT_B with the faults of fault_json ({"faults": [...]}). Each call has
 * its own User-Agent, and the faults and klines_requests() apply to it only: a transfer an
 * earlier call aborted can reach the mock after the reset (on a loaded machine), and must neither
 * take a fault nor be counted. */
static ct_status fetch_with_fault(ct_fetcher *f, const char *fault_json, ct_feed **out)
{
    static int calls;
    mock_reset();
    snprintf(g_agent, sizeof(g_agent), "check_fetch/%d", ++calls);
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_USER_AGENT, g_agent));
    if (fault_json) {
        char tagged[1024];
        ck_assert(fault_json[0] == '{' && strlen(fault_json) + strlen(g_agent) + 16 < sizeof(tagged));
        snprintf(tagged, sizeof(tagged), "{\"agent\":\"%s\",%s", g_agent, fault_json + 1);
        ck_assert_int_eq(ct_mock_post(&g_mock, "/__fault", tagged), 0);
    }
    ct_fetcher_reset_stats(f);
    return ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_B, out);
}

static void assert_fault_free_result(ct_feed *got)
{
    ct_feed *src = ct_test_load_feed("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst");
    int64_t lo = ct_feed_lower_bound(src, FAULT_A), hi = ct_feed_lower_bound(src, FAULT_B);
    ct_test_assert_same_rows(got, src, lo, hi - lo);
    ct_feed_destroy(src);
}

static ct_fetcher *fault_fetcher(void)
{
    ct_fetcher *f = new_fetcher();
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_PAGE_LIMIT, 500));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 2));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_TIMEOUT_MS, 1500));
    return f;
}

START_TEST(test_fault_retried)
{
    /* each transient fault is retried and the result is whole */
    const char *faults[] = {
        "{\"faults\":[{\"kind\":\"500\",\"skip\":1,\"count\":2}]}",
        "{\"faults\":[{\"kind\":\"503\",\"count\":1},{\"kind\":\"408\",\"count\":1}]}",
        "{\"faults\":[{\"kind\":\"drop\",\"skip\":2,\"count\":2}]}",
        "{\"faults\":[{\"kind\":\"slow\",\"delay_ms\":4000,\"skip\":1}]}",
        "{\"faults\":[{\"kind\":\"429\",\"retry_after\":1,\"skip\":3}]}",
    };
    const int64_t retries[] = {2, 2, 2, 1, 1};
    ct_fetcher *f = fault_fetcher();
    for (size_t k = 0; k < sizeof(faults) / sizeof(faults[0]); k++) {
        ct_feed *got = NULL;
        int64_t r = -1;
        ck_assert_ok(fetch_with_fault(f, faults[k], &got));
        assert_fault_free_result(got);
        ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_STAT_RETRIES, &r));
        ck_assert_msg(r == retries[k], "fault %s: %lld retries", faults[k], (long long)r);
        /* the mock saw the 6 pages plus the retried ones */
        ck_assert_int_eq(klines_requests(), 6 + (int)retries[k]);
        ct_feed_destroy(got);
    }
    ct_fetcher_destroy(f);
}
END_TEST

START_TEST(test_fault_fatal)
{
    ct_fetcher *f = fault_fetcher();
    ct_feed *got = (ct_feed *)(uintptr_t)1;
    /* a body cut short with a matching Content-Length: never a partial feed */
    ck_assert_status(fetch_with_fault(f, "{\"faults\":[{\"kind\":\"truncate\",\"skip\":2}]}", &got), CT_E_FORMAT);
    ck_assert_ptr_null(got);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "truncated") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_status(fetch_with_fault(f, "{\"faults\":[{\"kind\":\"garbage\"}]}", &got), CT_E_FORMAT);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "malformed kline response") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_status(fetch_with_fault(f, "{\"faults\":[{\"kind\":\"content_type\",\"skip\":1}]}", &got), CT_E_FORMAT);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "text/html") != NULL, "%s", ct_fetcher_errmsg(f));
    /* 418 stops every transfer and says when the ban ends (a long timeout: on a loaded machine a
     * request timing out and being retried would change the request count this checks; requests
     * of the earlier calls are not counted, see fetch_with_fault) */
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 1));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_TIMEOUT_MS, 30000));
    ck_assert_status(fetch_with_fault(f, "{\"faults\":[{\"kind\":\"418\",\"retry_after\":7200,\"skip\":1}]}", &got),
                     CT_E_RATE_LIMIT);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "ban ends in 7200 s") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_int_eq(klines_requests(), 2); /* nothing after the 418 */
    /* with 4 transfers in flight, the 418 aborts the 3 others (held 5 s by the mock, past the
     * 1.5 s timeout): had they been left running they would time out and be retried */
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 4));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_TIMEOUT_MS, 1500));
    ck_assert_status(fetch_with_fault(f, "{\"faults\":[{\"kind\":\"418\",\"retry_after\":60},"
                                         "{\"kind\":\"slow\",\"delay_ms\":5000,\"count\":10}]}", &got),
                     CT_E_RATE_LIMIT);
    ck_assert_int_le(klines_requests(), 4); /* (a transfer still connecting is never sent) */
    int64_t retried = -1;
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_STAT_RETRIES, &retried));
    ck_assert_int_eq(retried, 0);
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 1));
    /* retries run out */
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_RETRIES, 2));
    /* one page (400 bars): the first attempt and 2 retries, then the error (its own User-Agent,
     * so that a transfer aborted by the 418 above that reaches the mock late is not counted) */
    mock_reset();
    snprintf(g_agent, sizeof(g_agent), "check_fetch/retries-run-out");
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_USER_AGENT, g_agent));
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__fault", "{\"faults\":[{\"kind\":\"503\",\"count\":10}]}"), 0);
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_A + 400LL * 3600000, &got),
                     CT_E_HTTP);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "HTTP 503, gave up after 2 retries") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_int_eq(klines_requests(), 3);
    ck_assert_status(fetch_with_fault(f, "{\"faults\":[{\"kind\":\"drop\",\"count\":10}]}", &got), CT_E_NET);
    ck_assert_status(fetch_with_fault(f, "{\"faults\":[{\"kind\":\"429\",\"retry_after\":0,\"count\":10}]}", &got),
                     CT_E_RATE_LIMIT);
    /* nobody listening */
    ct_fetcher *g = new_fetcher();
    ck_assert_ok(ct_fetcher_set_str(g, CT_FETCH_BASE_URL, "http://127.0.0.1:9"));
    ck_assert_ok(ct_fetcher_set_i64(g, CT_FETCH_MAX_RETRIES, 1));
    ck_assert_status(ct_fetcher_klines(g, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_B, &got), CT_E_NET);
    ck_assert_ptr_null(got);
    ct_fetcher_destroy(g);
    ct_fetcher_destroy(f);
}
END_TEST

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Header values a server may send. Retry-After as an HTTP-date (RFC 9110) is honoured: strtoll
 * used to read it as 0 s, so a 429 was retried at once. A number of seconds too large for the
 * ban's end time in milliseconds (strtoll's LLONG_MAX, times 1000: a signed overflow) is capped,
 * and so is a used weight of 20 digits (LLONG_MAX plus the weight in flight overflowed): the
 * fetch waits for the next weight window and completes. */
START_TEST(test_odd_header_values)
{
    ct_fetcher *f = fault_fetcher();
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 1));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_TIMEOUT_MS, 30000));
    char date[64], json[256];
    time_t at = time(NULL) + 3;
    struct tm tm;
    gmtime_r(&at, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(json, sizeof(json), "{\"faults\":[{\"kind\":\"429\",\"retry_after\":\"%s\",\"skip\":1}]}", date);
    ct_feed *got = NULL;
    double t0 = wall_s();
    ck_assert_ok(fetch_with_fault(f, json, &got));
    double took = wall_s() - t0;
    assert_fault_free_result(got);
    ct_feed_destroy(got);
    ck_assert_msg(took >= 1.5, "Retry-After: %s; the fetch took %.3f s", date, took);
    int64_t r = -1;
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_STAT_RETRIES, &r));
    ck_assert_int_eq(r, 1);
    ck_assert_status(fetch_with_fault(f, "{\"faults\":[{\"kind\":\"418\",\"retry_after\":\"99999999999999999999\"}]}",
                                      &got),
                     CT_E_RATE_LIMIT);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "the ban ends in 999999999999 s, at ") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_WEIGHT_WINDOW_MS, 1000));
    ck_assert_ok(fetch_with_fault(f, "{\"faults\":[{\"kind\":\"slow\",\"delay_ms\":0,\"weight\":\"99999999999999999999\"}]}",
                                  &got));
    assert_fault_free_result(got);
    ct_feed_destroy(got);
    int64_t waits = 0;
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_STAT_WEIGHT_WAITS, &waits));
    ck_assert_int_ge(waits, 1);
    ct_fetcher_destroy(f);
}
END_TEST

START_TEST(test_bad_symbol_interval)
{
    mock_reset();
    ct_fetcher *f = new_fetcher();
    ct_feed *got = NULL;
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDX", "1h", FAULT_A, FAULT_B, &got), CT_E_NOT_FOUND);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "unknown symbol BTCUSDX") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_FUTURES, "BTCUSDX", "1h", FAULT_A, FAULT_B, &got), CT_E_NOT_FOUND);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "unknown symbol BTCUSDX") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "7m", FAULT_A, FAULT_B, &got), CT_E_INVALID_ARG);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "bad interval '7m'") != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_ptr_null(got);
    /* an interval the server rejects (-1120, HTTP 400) is a clear error too */
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__config", "{\"bad_intervals\": [\"1h\"]}"), 0);
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_B, &got), CT_E_INVALID_ARG);
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), "interval '1h' rejected by Binance for BTCUSDT (HTTP 400, code -1120") != NULL,
                  "%s", ct_fetcher_errmsg(f));
    ck_assert_ptr_null(got);
    ct_fetcher_destroy(f);
}
END_TEST

START_TEST(test_open_bar)
{
    ct_feed *src = ct_test_load_feed("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst");
    const int64_t iv = 3600000;
    /* "now" is 30 min into the bar at FAULT_A + 100 h: that bar is still open */
    char cfg[128];
    mock_reset();
    snprintf(cfg, sizeof(cfg), "{\"now\": %lld}", (long long)(FAULT_A + 100 * iv + 1800000));
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__config", cfg), 0);
    ct_fetcher *f = new_fetcher();
    ct_feed *got = NULL;
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_A + 200 * iv, &got));
    int64_t lo = ct_feed_lower_bound(src, FAULT_A);
    int64_t closed = ct_feed_lower_bound(src, FAULT_A + 100 * iv) - lo;
    ct_test_assert_same_rows(got, src, lo, closed);
    ck_assert_int_eq(ct_feed_time(got)[ct_feed_len(got) - 1], FAULT_A + 99 * iv);
    ct_feed_destroy(got);
    /* kept on request */
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_DROP_OPEN_BAR, 0));
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_A + 200 * iv, &got));
    ct_test_assert_same_rows(got, src, lo, closed + 1);
    ct_feed_destroy(got);
    /* "now" exactly at the last millisecond of the bar: it is closed (close time = open + 1h - 1) */
    snprintf(cfg, sizeof(cfg), "{\"now\": %lld}", (long long)(FAULT_A + 101 * iv - 1));
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__config", cfg), 0);
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_DROP_OPEN_BAR, 1));
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_A + 200 * iv, &got));
    ct_test_assert_same_rows(got, src, lo, closed + 1);
    ct_feed_destroy(got);
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

START_TEST(test_weight_budget)
{
    /* the mock allows 30 weight per 1 s window (answering 429 past it) and sends lower-case
     * headers; 40 requests of weight 2 must be spread over windows without a single 429 */
    mock_reset();
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__config",
                                  "{\"weight_limit\": 30, \"weight_window_ms\": 1000, \"lowercase_headers\": true}"), 0);
    ct_fetcher *f = new_fetcher();
    ck_assert_ok(ct_fetcher_configure_json(f, "{\"weight_window_ms\": 1000, \"page_limit\": 75, \"max_parallel\": 4}"));
    ct_feed *got = NULL;
    int64_t retries = -1, waits = -1, used = -1, req = -1;
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_A + 3000LL * 3600000, &got));
    assert_fault_free_result(got);
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_STAT_RETRIES, &retries));
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_STAT_WEIGHT_WAITS, &waits));
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_STAT_USED_WEIGHT, &used));
    ck_assert_ok(ct_fetcher_get_i64(f, CT_FETCH_STAT_KLINE_REQUESTS, &req));
    ck_assert_int_eq(req, 40);     /* 3000 / 75 */
    ck_assert_int_eq(retries, 0);  /* never hit the limit */
    ck_assert_int_gt(waits, 0);    /* but had to slow down */
    ck_assert_int_gt(used, 0);     /* the lower-case header was read */
    ck_assert_int_le(used, 30);
    ct_feed_destroy(got);
    ct_fetcher_destroy(f);
}
END_TEST

static int32_t cancel_after(void *user, int64_t done, int64_t total)
{
    int *calls = user;
    (*calls)++;
    ck_assert_int_le(done, total);
    return done > 0 ? 1 : 0;
}

/* Every progress report of a call, in order. */
typedef struct {
    int n;
    int64_t done[256], total[256];
    int cancel;
} reports;

static int32_t record_progress(void *user, int64_t done, int64_t total)
{
    reports *r = user;
    ck_assert_int_lt(r->n, 256);
    r->done[r->n] = done;
    r->total[r->n] = total;
    r->n++;
    return r->cancel;
}

/* Each state (done, total) reported once, done never going back, ending at (total, total). */
static void assert_reports(const reports *r, int64_t total)
{
    ck_assert_int_ge(r->n, 1);
    ck_assert_int_eq(r->done[0], 0);
    for (int i = 0; i < r->n; i++) {
        ck_assert_int_eq(r->total[i], total);
        if (i > 0)
            ck_assert_msg(r->done[i] > r->done[i - 1], "report %d repeats or goes back: %lld after %lld", i,
                          (long long)r->done[i], (long long)r->done[i - 1]);
    }
    ck_assert_int_eq(r->done[r->n - 1], total);
}

START_TEST(test_progress_each_state_once)
{
    mock_reset();
    char cache[1024], cmd[1200];
    snprintf(cache, sizeof(cache), "%s/fetch-progress-%ld", ct_test_tmpdir(), (long)getpid());
    ct_fetcher *f = fault_fetcher();
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, cache));
    reports r;
    memset(&r, 0, sizeof(r));
    ck_assert_ok(ct_fetcher_set_progress(f, record_progress, &r));
    ct_feed *got = NULL;
    /* a download: (0, 3000) once, growing counts, (3000, 3000) once */
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_B, &got));
    ct_feed_destroy(got);
    assert_reports(&r, 3000);
    ck_assert_int_ge(r.n, 2);
    /* all from the cache: one report, (0, 0) */
    memset(&r, 0, sizeof(r));
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_B, &got));
    ct_feed_destroy(got);
    ck_assert_int_eq(r.n, 1);
    assert_reports(&r, 0);
    /* funding: one report, (0, 0), and a non-zero return cancels */
    const int64_t a = 1577836800000LL, b = a + 30LL * 86400000;
    int64_t n = -1;
    memset(&r, 0, sizeof(r));
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, b, NULL, NULL, 0, &n));
    ck_assert_int_eq(n, 90);
    ck_assert_int_eq(r.n, 1);
    assert_reports(&r, 0);
    memset(&r, 0, sizeof(r));
    r.cancel = 1;
    ck_assert_status(ct_fetcher_funding(f, "BTCUSDT", a, b + 86400000, NULL, NULL, 0, &n), CT_E_CANCELLED);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(r.n, 1);
    ct_fetcher_destroy(f);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static int32_t count_progress(void *user, int64_t done, int64_t total)
{
    int64_t *last = user;
    ck_assert_int_ge(done, last[0]); /* monotonic */
    last[0] = done;
    last[1] = total;
    return 0;
}

START_TEST(test_progress_cancel)
{
    mock_reset();
    ct_fetcher *f = fault_fetcher();
    int calls = 0;
    ct_feed *got = (ct_feed *)(uintptr_t)1;
    int64_t live = ct_alloc_live_count();
    ck_assert_ok(ct_fetcher_set_progress(f, cancel_after, &calls));
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_B, &got), CT_E_CANCELLED);
    ck_assert_ptr_null(got);
    ck_assert_int_ge(calls, 2);
    ck_assert_int_eq(ct_alloc_live_count(), live); /* nothing left behind */
    int64_t last[2] = {0, 0};
    ck_assert_ok(ct_fetcher_set_progress(f, count_progress, last));
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", FAULT_A, FAULT_B, &got));
    ck_assert_int_eq(last[0], 3000); /* done == total at the end */
    ck_assert_int_eq(last[1], 3000);
    ct_feed_destroy(got);
    ct_fetcher_destroy(f);
}
END_TEST

START_TEST(test_futures_and_funding)
{
    mock_reset();
    ct_fetcher *f = new_fetcher();
    ct_feed *got = NULL;
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_FUTURES, "BTCUSDT", "1h", FAULT_A, FAULT_B, &got));
    assert_fault_free_result(got);
    ct_feed_destroy(got);
    char q[8192] = "";
    ck_assert_int_eq(ct_mock_count(&g_mock, "/fapi/v1/klines", q, sizeof(q)), 2); /* 3000 = 1500 + 1500 */
    ck_assert_msg(strstr(q, "limit=1500") != NULL, "%s", q);
    ck_assert_int_eq(ct_mock_count(&g_mock, "/api/v3/klines", NULL, 0), 0);
    /* funding over 2020-01-01 .. 2020-01-31: 30 days x 3 = 90 events (count, then copy) */
    const int64_t a = 1577836800000LL, b = a + 30LL * 86400000;
    int64_t n = 0, t[100];
    double r[100];
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, b, NULL, NULL, 0, &n));
    ck_assert_int_eq(n, 90);
    int before = ct_mock_count(&g_mock, "/fundingRate", NULL, 0);
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, b, t, r, 100, &n));
    ck_assert_int_eq(ct_mock_count(&g_mock, "/fundingRate", NULL, 0), before); /* kept from the first call */
    for (int64_t i = 0; i < n; i++) {
        /* the mock's documented formula: k = time / 8 h, rate = (k % 13 - 4) * 0.000025 */
        int64_t k = t[i] / 28800000;
        char s[32];
        long e8 = (long)(k % 13 - 4) * 2500;
        snprintf(s, sizeof(s), "%s0.%08ld", e8 < 0 ? "-" : "", e8 < 0 ? -e8 : e8);
        ck_assert_int_eq(t[i], a + i * 28800000);
        ck_assert_msg(r[i] == strtod(s, NULL), "funding %lld: %.17g vs %s", (long long)i, r[i], s);
    }
    /* over 1000 events pages: 2018-01-01 .. 2019-06-01 is 516 days = 1548 events */
    const int64_t c = 1514764800000LL, d = c + 516LL * 86400000;
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", c, d, NULL, NULL, 0, &n));
    ck_assert_int_eq(n, 1548);
    ck_assert_status(ct_fetcher_funding(f, "BTCUSDX", c, d, NULL, NULL, 0, &n), CT_E_NOT_FOUND);
    ct_fetcher_destroy(f);
}
END_TEST

/* A range that reaches far into the future, up to INT64_MAX for "everything", asks for nothing
 * after now. It used to be split over the whole int64 range: for klines from 0 a signed
 * overflow and then a hundred million segments of empty pages; for funding 3e8 segments
 * allocated at once (out of memory). */
START_TEST(test_far_future_end)
{
    mock_reset();
    ct_fetcher *f = new_fetcher();
    ct_feed *src = ct_test_load_feed("binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"), *got = NULL;
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1d", 0, INT64_MAX, &got));
    ct_test_assert_same_rows(got, src, 0, ct_feed_len(src)); /* all 1881 days */
    ck_assert_int_eq(ct_feed_len(got), 1881);
    ct_feed_destroy(got);
    /* 1000 days a page, about 4 x max_parallel segments over 1970 .. now: a few requests */
    int requests = ct_mock_count(&g_mock, "/klines", NULL, 0);
    ck_assert_int_le(requests, 20);
    /* a range starting past now + 1 day is empty without a request */
    mock_reset();
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1d", INT64_MAX - 2, INT64_MAX, &got));
    ck_assert_int_eq(ct_feed_len(got), 0);
    ck_assert_int_eq(ct_mock_count(&g_mock, "/klines", NULL, 0), 0);
    ct_feed_destroy(got);
    /* funding: the same events as "up to now" */
    const int64_t a = 1577836800000LL; /* 2020-01-01 */
    int64_t n_max = -1, n_now = -2;
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, INT64_MAX, NULL, NULL, 0, &n_max));
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, 0, NULL, NULL, 0, &n_now));
    ck_assert_int_eq(n_max, n_now);
    ck_assert_int_gt(n_now, 5000); /* 2020-01-01 .. 2025-08-18 every 8 h */
    int64_t t[2];
    double r[2];
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", INT64_MAX - 2, INT64_MAX, t, r, 2, &n_max));
    ck_assert_int_eq(n_max, 0);
    ct_fetcher_destroy(f);
    ct_feed_destroy(src);
}
END_TEST

/* ------------------------------------------------------------------ pages a server gets wrong */

/* A kline page of the mock as Binance serves it (malloc'd). */
static char *mock_page(int64_t start, int limit)
{
    char q[256];
    snprintf(q, sizeof(q), "/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=%lld&limit=%d", (long long)start, limit);
    char *body = ct_mock_call(&g_mock, q, NULL);
    ck_assert_ptr_nonnull(body);
    return body;
}

/* A new User-Agent for the next fetch (see fetch_with_fault); the kline requests of that agent
 * get the given bodies in turn, in place of the real pages (NULL: the real page). */
static void queue_bodies(ct_fetcher *f, const char *const *bodies, int n)
{
    static int calls;
    mock_reset();
    snprintf(g_agent, sizeof(g_agent), "check_fetch/pages-%d", ++calls);
    ck_assert_ok(ct_fetcher_set_str(f, CT_FETCH_USER_AGENT, g_agent));
    cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "faults");
    cJSON_AddStringToObject(doc, "agent", g_agent);
    for (int i = 0, skip = 0; i < n; i++) {
        if (!bodies[i]) { /* a fault's skip passes requests before it: the real page */
            skip++;
            continue;
        }
        cJSON *ft = cJSON_CreateObject();
        cJSON_AddStringToObject(ft, "kind", "body");
        cJSON_AddStringToObject(ft, "body", bodies[i]);
        cJSON_AddNumberToObject(ft, "skip", skip);
        cJSON_AddItemToArray(arr, ft);
        skip = 0;
    }
    char *json = cJSON_PrintUnformatted(doc);
    ck_assert_int_eq(ct_mock_post(&g_mock, "/__fault", json), 0);
    cJSON_free(json);
    cJSON_Delete(doc);
}

/* Page 1 without the row at index `drop`, and that row (a JSON text each, malloc'd). */
static void split_page(const char *page, int drop, char **rest, char **row)
{
    cJSON *a = cJSON_Parse(page);
    ck_assert_ptr_nonnull(a);
    cJSON *r = cJSON_DetachItemFromArray(a, drop);
    ck_assert_ptr_nonnull(r);
    *rest = cJSON_PrintUnformatted(a);
    *row = cJSON_PrintUnformatted(r);
    cJSON_Delete(a);
    cJSON_Delete(r);
}

/* One segment pages 100 rows at a time (max_parallel 1, page_limit 100: segments of 300 bars). */
#define PAGE_A FAULT_A
#define PAGE_B (FAULT_A + 1050LL * 3600000)

static void assert_pages_result(const ct_feed *got, int64_t a, int64_t b)
{
    ct_feed *src = ct_test_load_feed("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst");
    int64_t lo = ct_feed_lower_bound(src, a), hi = ct_feed_lower_bound(src, b);
    ck_assert_int_gt(hi - lo, 1000);
    ct_test_assert_same_rows(got, src, lo, hi - lo);
    ct_feed_destroy(src);
}

START_TEST(test_pages_server_gets_wrong)
{
    const int64_t iv = 3600000;
    ct_fetcher *f = new_fetcher();
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, 1));
    ck_assert_ok(ct_fetcher_set_i64(f, CT_FETCH_PAGE_LIMIT, 100));
    char *p1 = mock_page(PAGE_A, 100), *p2 = mock_page(PAGE_A + 100 * iv, 100);
    ct_feed *got = (ct_feed *)(uintptr_t)1;

    /* A full page served again for the second startTime. It used to end the segment as if the
     * data stopped there: 200 of its 300 bars silently missing (and, with a cache, recorded as
     * known, never asked for again). */
    const char *repeat[] = {NULL, p1};
    queue_bodies(f, repeat, 2);
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", PAGE_A, PAGE_B, &got), CT_E_FORMAT);
    ck_assert_ptr_null(got);
    char want[160];
    snprintf(want, sizeof(want), "a full page of 100 klines asked from startTime=%lld holds none that closes at or after it",
             (long long)(PAGE_A + 100 * iv));
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), want) != NULL, "%s", ct_fetcher_errmsg(f));
    ck_assert_int_eq(klines_requests(), 2);

    /* A bar the first page lacked (a full page of the next 100 bars instead) arrives at the
     * front of the second: out of order. It used to be dropped as a duplicate, a bar lost and
     * its hour taken for an exchange gap. */
    char *p101 = mock_page(PAGE_A, 101), *p1_less, *row50;
    split_page(p101, 50, &p1_less, &row50);
    free(p2);
    p2 = mock_page(PAGE_A + 101 * iv, 100);
    size_t cap = strlen(p2) + strlen(row50) + 8;
    char *p2_more = malloc(cap);
    snprintf(p2_more, cap, "[%s,%s", row50, p2 + 1);
    const char *late[] = {p1_less, p2_more};
    queue_bodies(f, late, 2);
    ck_assert_status(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", PAGE_A, PAGE_B, &got), CT_E_FORMAT);
    snprintf(want, sizeof(want), "klines out of order: the kline at open time %lld arrives after", (long long)(PAGE_A + 50 * iv));
    ck_assert_msg(strstr(ct_fetcher_errmsg(f), want) != NULL, "%s", ct_fetcher_errmsg(f));

    /* What stays fine: a page that overlaps the previous one (its copies are dropped), and at
     * the end of the data a request past it answered with the last bar again (a short page:
     * the data ends). Each gives exactly the source rows. */
    char *p_overlap = mock_page(PAGE_A + 50 * iv, 100);
    const char *overlap[] = {NULL, p_overlap};
    queue_bodies(f, overlap, 2);
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", PAGE_A, PAGE_B, &got));
    assert_pages_result(got, PAGE_A, PAGE_B);
    ct_feed_destroy(got);
    ck_assert_int_eq(klines_requests(), 12); /* one page more than without the overlap */
    ct_feed *src = ct_test_load_feed("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst");
    const int64_t end = ct_feed_time(src)[ct_feed_len(src) - 1] + iv; /* past the last bar */
    char *tail = mock_page(end - 100 * iv, 100), *rest, *last;
    split_page(tail, 99, &rest, &last);
    char last_page[512];
    snprintf(last_page, sizeof(last_page), "[%s]", last);
    const char *again[] = {NULL, NULL, last_page}; /* pages end-200h, end-100h, then past the end */
    queue_bodies(f, again, 3);
    ck_assert_ok(ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", end - 200 * iv, end + 900 * iv, &got));
    int64_t lo = ct_feed_lower_bound(src, end - 200 * iv);
    ct_test_assert_same_rows(got, src, lo, ct_feed_len(src) - lo);
    ct_feed_destroy(got);
    ct_feed_destroy(src);
    cJSON_free(rest);
    cJSON_free(last);
    free(tail);
    free(p_overlap);
    free(p2_more);
    cJSON_free(p1_less);
    cJSON_free(row50);
    free(p101);
    free(p1);
    free(p2);
    ct_fetcher_destroy(f);
}
END_TEST

/* Funding count-then-copy with end_ms <= 0 ("up to now") or a future end downloads once. */
START_TEST(test_funding_count_then_copy_now)
{
    mock_reset();
    ct_fetcher *f = new_fetcher();
    /* the mock's funding runs to the end of its BTCUSDT files (2025-08-18) */
    const int64_t a = 1754006400000LL; /* 2025-08-01 */
    int64_t n = 0, n2 = 0, t[200];
    double r[200];
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, 0, NULL, NULL, 0, &n));
    ck_assert_int_gt(n, 40);
    ck_assert_int_le(n, 200);
    int once = ct_mock_count(&g_mock, "/fundingRate", NULL, 0);
    ck_assert_int_ge(once, 1);
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, 0, t, r, n, &n2));
    ck_assert_int_eq(ct_mock_count(&g_mock, "/fundingRate", NULL, 0), once); /* the counting call's download */
    ck_assert_int_eq(n2, n);
    for (int64_t i = 0; i < n; i++)
        ck_assert_int_eq(t[i], a + i * 28800000);
    /* after the copy, "now" is asked again: by a copy call and by each counting call */
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, 0, t, r, 200, &n2));
    ck_assert_int_eq(ct_mock_count(&g_mock, "/fundingRate", NULL, 0), 2 * once);
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, -1, NULL, NULL, 0, &n2));
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, 0, NULL, NULL, 0, &n2));
    ck_assert_int_eq(ct_mock_count(&g_mock, "/fundingRate", NULL, 0), 4 * once);
    /* an end in the future is open too: reused by the copy after the count only */
    const int64_t future = (int64_t)time(NULL) * 1000 + 10LL * 86400000;
    mock_reset();
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, future, NULL, NULL, 0, &n));
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, future, t, r, 200, &n2));
    ck_assert_int_eq(n2, n);
    ck_assert_int_eq(ct_mock_count(&g_mock, "/fundingRate", NULL, 0), once);
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", a, future, t, r, 200, &n2));
    ck_assert_int_eq(ct_mock_count(&g_mock, "/fundingRate", NULL, 0), 2 * once);
    /* a closed range is kept for every call with the same arguments */
    const int64_t c = 1577836800000LL, d = c + 30LL * 86400000;
    mock_reset();
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", c, d, NULL, NULL, 0, &n));
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", c, d, t, r, 200, &n));
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", c, d, t, r, 200, &n));
    ck_assert_ok(ct_fetcher_funding(f, "BTCUSDT", c, d, NULL, NULL, 0, &n));
    ck_assert_int_eq(ct_mock_count(&g_mock, "/fundingRate", NULL, 0), 1);
    ck_assert_int_eq(n, 90);
    ct_fetcher_destroy(f);
}
END_TEST

/* Every allocation of a whole fetch (with a cache) may fail: CT_E_NOMEM, nothing leaked, and
 * the cache left usable. */
START_TEST(test_fetch_oom)
{
    mock_reset();
    char cache[1024], path[1200];
    snprintf(cache, sizeof(cache), "%s/fetch-oom-%ld", ct_test_tmpdir(), (long)getpid());
    const int64_t a = FAULT_A, b = FAULT_A + 48LL * 3600000;
    int64_t fail_at = 0;
    for (;; fail_at++) {
        /* a fresh cache each round, so every round downloads and saves */
        snprintf(path, sizeof(path), "%s/spot/BTCUSDT_1h.ctz", cache);
        unlink(path);
        snprintf(path, sizeof(path), "%s/spot/BTCUSDT_1h.json", cache);
        unlink(path);
        ct_fetcher *f = NULL;
        ct_feed *got = NULL;
        ct_test_failalloc_install(fail_at);
        ct_status s = ct_fetcher_create(&f);
        if (s == CT_OK)
            s = ct_fetcher_set_str(f, CT_FETCH_BASE_URL, g_mock.url);
        if (s == CT_OK)
            s = ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, cache);
        if (s == CT_OK)
            s = ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1h", a, b, &got);
        int64_t n = got ? ct_feed_len(got) : -1;
        ct_feed_destroy(got);
        ct_fetcher_destroy(f);
        ct_test_failalloc_remove(); /* asserts that nothing is left allocated */
        if (s == CT_OK) {
            ck_assert_int_eq(n, 48);
            break;
        }
        ck_assert_msg(s == CT_E_NOMEM, "fail_at %lld: %s (%s)", (long long)fail_at, ct_status_name(s), ct_last_error());
        ck_assert_int_lt(fail_at, 100000);
    }
    ck_assert_int_gt(fail_at, 10);
    snprintf(path, sizeof(path), "rm -rf '%s'", cache);
    ck_assert_int_eq(system(path), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fetch");
    TCase *tc = tcase_create("offline");
    tcase_add_test(tc, test_parse_exact);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_settings);
    tcase_add_test(tc, test_cache_path);
    tcase_add_test(tc, test_configure_json_oom);
    tcase_add_test(tc, test_create_oom);
    suite_add_tcase(s, tc);
    TCase *net = tcase_create("mock");
    tcase_add_unchecked_fixture(net, mock_up, mock_down);
    tcase_set_timeout(net, 300);
    tcase_add_test(net, test_download_equals_source);
    tcase_add_test(net, test_paging_boundaries);
    tcase_add_test(net, test_parallel_symbols);
    tcase_add_test(net, test_fault_retried);
    tcase_add_test(net, test_fault_fatal);
    tcase_add_test(net, test_odd_header_values);
    tcase_add_test(net, test_bad_symbol_interval);
    tcase_add_test(net, test_open_bar);
    tcase_add_test(net, test_weight_budget);
    tcase_add_test(net, test_progress_cancel);
    tcase_add_test(net, test_progress_each_state_once);
    tcase_add_test(net, test_futures_and_funding);
    tcase_add_test(net, test_funding_count_then_copy_now);
    tcase_add_test(net, test_far_future_end);
    tcase_add_test(net, test_pages_server_gets_wrong);
    tcase_add_test(net, test_fetch_oom);
    suite_add_tcase(s, net);
    return ct_test_run(s);
}
