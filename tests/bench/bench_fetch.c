/*
 * Binance client throughput against the local mock (tests/mock/binance_mock.py).
 *
 * 1. Parse rate of kline pages: ct_klines_parse (the dedicated parser) against a baseline in the
 *    same run, cJSON_Parse of the same bodies plus strtod of the strings (a full tree per page).
 * 2. Candles per second fetched for the 130k-row BTCUSDT 1m file with 1, 4 and 8 parallel
 *    transfers, against a baseline of plain sequential curl GETs of the same pages without any
 *    parsing (what the mock can serve), so the ratio shows the client's own overhead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../mock/mock_server.h"
#include "cryptota/cryptota.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One GET on a kept-alive connection (the baseline client: no parsing, no paging logic). */
static size_t sink_body(char *d, size_t sz, size_t n, void *u)
{
    (void)d;
    *(size_t *)u += sz * n;
    return sz * n;
}

static size_t plain_get(CURL *e, const char *url)
{
    size_t got = 0;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &got);
    return curl_easy_perform(e) == CURLE_OK ? got : 0;
}

#define START_MS 1747699200000LL
#define END_MS 1755561600000LL
#define MAX_PAGES 160

int main(void)
{
    const char *data = getenv("CT_DATA_DIR");
    ct_mock m;
    if (!data || ct_mock_start(&m, data) != 0) {
        fprintf(stderr, "bench_fetch: cannot start the mock (CT_DATA_DIR=%s)\n", data ? data : "(unset)");
        return 1;
    }
    /* the pages of the 1m file, as the mock serves them (this also warms the mock's data) */
    char *pages[MAX_PAGES];
    size_t lens[MAX_PAGES];
    int np = 0;
    int64_t rows = 0;
    double t0 = now_s();
    for (int64_t start = START_MS; np < MAX_PAGES;) {
        char path[256];
        snprintf(path, sizeof(path), "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%lld&limit=1000",
                 (long long)start);
        char *body = ct_mock_call(&m, path, NULL);
        int64_t n = 0;
        if (!body || ct_klines_parse(body, strlen(body), NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, &n) != CT_OK || n == 0) {
            free(body);
            break;
        }
        pages[np] = body;
        lens[np] = strlen(body);
        np++;
        rows += n;
        int64_t *t = malloc((size_t)n * sizeof(*t)), *ct = malloc((size_t)n * sizeof(*ct));
        double *d = malloc((size_t)n * sizeof(*d));
        ct_klines_parse(body, lens[np - 1], t, d, d, d, d, d, ct, n, &n);
        start = ct[n - 1] + 1;
        free(t);
        free(ct);
        free(d);
        if (n < 1000)
            break;
    }
    double raw_s = now_s() - t0; /* includes the mock's first load; measured again below */
    (void)raw_s;
    size_t bytes = 0;
    for (int i = 0; i < np; i++)
        bytes += lens[i];
    printf("bench_fetch: %d pages, %lld candles, %.1f MB of kline JSON\n", np, (long long)rows, (double)bytes / 1e6);

    /* ---- 1. parse rate ---- */
    int64_t *t = malloc(1000 * sizeof(*t)), *ct = malloc(1000 * sizeof(*ct));
    double *o = malloc(1000 * sizeof(double)), *h = malloc(1000 * sizeof(double)), *l = malloc(1000 * sizeof(double));
    double *c = malloc(1000 * sizeof(double)), *v = malloc(1000 * sizeof(double));
    double sink = 0;
    const int reps = 5;
    t0 = now_s();
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < np; i++) {
            int64_t n = 0;
            if (ct_klines_parse(pages[i], lens[i], t, o, h, l, c, v, ct, 1000, &n) != CT_OK)
                return 1;
            sink += c[n - 1];
        }
    double fast_s = (now_s() - t0) / reps;
    t0 = now_s();
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < np; i++) {
            cJSON *doc = cJSON_ParseWithLength(pages[i], lens[i]);
            const cJSON *row;
            int k = 0;
            cJSON_ArrayForEach(row, doc)
            {
                t[k] = (int64_t)cJSON_GetArrayItem(row, 0)->valuedouble;
                o[k] = strtod(cJSON_GetArrayItem(row, 1)->valuestring, NULL);
                h[k] = strtod(cJSON_GetArrayItem(row, 2)->valuestring, NULL);
                l[k] = strtod(cJSON_GetArrayItem(row, 3)->valuestring, NULL);
                c[k] = strtod(cJSON_GetArrayItem(row, 4)->valuestring, NULL);
                v[k] = strtod(cJSON_GetArrayItem(row, 5)->valuestring, NULL);
                k++;
            }
            sink += c[k - 1];
            cJSON_Delete(doc);
        }
    double cjson_s = (now_s() - t0) / reps;
    printf("parse  ct_klines_parse      %8.2f M candles/s  %7.1f MB/s\n", (double)rows / fast_s / 1e6,
           (double)bytes / fast_s / 1e6);
    printf("parse  cJSON tree + strtod  %8.2f M candles/s  %7.1f MB/s   (baseline)\n", (double)rows / cjson_s / 1e6,
           (double)bytes / cjson_s / 1e6);
    printf("parse  speed-up vs baseline %8.2fx\n", cjson_s / fast_s);

    /* ---- 2. fetch rate (best of 3 runs each: the machine is shared) ---- */
    double base_s = 1e9;
    CURL *easy = curl_easy_init();
    for (int rep = 0; rep < 3; rep++) {
        t0 = now_s();
        for (int i = 0; i < np; i++) {
            char url[256];
            int64_t start = START_MS + (int64_t)i * 1000 * 60000;
            snprintf(url, sizeof(url), "%s/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%lld&endTime=%lld&limit=1000",
                     m.url, (long long)start, (long long)(start + 1000 * 60000 - 1));
            if (plain_get(easy, url) == 0)
                return 1;
        }
        if (now_s() - t0 < base_s)
            base_s = now_s() - t0;
    }
    printf("fetch  plain sequential GETs      %8.0f candles/s   (baseline: the mock's own rate, no parsing)\n",
           (double)rows / base_s);
    curl_easy_cleanup(easy);
    const int64_t par[] = {1, 4, 8};
    for (int k = 0; k < 3; k++) {
        double best = 1e9;
        int64_t got = 0;
        for (int rep = 0; rep < 3; rep++) {
            ct_fetcher *f = NULL;
            ct_feed *feed = NULL;
            ct_fetcher_create(&f);
            ct_fetcher_set_str(f, CT_FETCH_BASE_URL, m.url);
            ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, par[k]);
            t0 = now_s();
            ct_status s = ct_fetcher_klines(f, CT_MARKET_SPOT, "BTCUSDT", "1m", START_MS, END_MS, &feed);
            double el = now_s() - t0;
            if (s != CT_OK) {
                fprintf(stderr, "bench_fetch: %s\n", ct_fetcher_errmsg(f));
                return 1;
            }
            if (el < best)
                best = el;
            got = ct_feed_len(feed);
            ct_feed_destroy(feed);
            ct_fetcher_destroy(f);
        }
        printf("fetch  ct_fetcher parallel=%lld      %8.0f candles/s   %5.2fx baseline\n", (long long)par[k],
               (double)got / best, base_s / best);
    }
    if (sink == 42.0)
        printf("\n");
    for (int i = 0; i < np; i++)
        free(pages[i]);
    free(t);
    free(ct);
    free(o);
    free(h);
    free(l);
    free(c);
    free(v);
    ct_mock_stop(&m);
    return 0;
}
