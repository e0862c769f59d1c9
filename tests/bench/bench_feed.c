/*
 * Feed benchmarks (DESIGN.md section 11):
 *  - CSV parse throughput (MB/s of CSV text) in memory and from .csv.zst, against a naive
 *    strtoll/strtod line parser measured in the same run;
 *  - .ctz load time against parsing the same candles' CSV (ratio; target >= 10x);
 *  - .ctz size against the shared .csv.zst (zstd -19) file for every candle file (target <= 0.75).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cryptota/cryptota.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *data_path(const char *name)
{
    static char buf[4][4096];
    static int k;
    const char *dir = getenv("CT_DATA_DIR");
    char *b = buf[k++ & 3];
    dir = dir ? dir : "../shared/data/candles";
    size_t n = strlen(dir), m = strlen(name);
    if (n + m + 2 > 4096)
        exit(1);
    memcpy(b, dir, n);
    b[n] = '/';
    memcpy(b + n + 1, name, m + 1);
    return b;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The feed's CSV text (as the writer prints it, identical to the shared files). */
static char *csv_text(const char *zst_path, size_t *len)
{
    ct_feed *f;
    if (ct_feed_load(zst_path, CT_GAPS_KEEP, &f) != CT_OK) {
        fprintf(stderr, "bench_feed: %s\n", ct_last_error());
        exit(1);
    }
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s/bench_feed_%d.csv", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    if (ct_feed_save(f, tmp) != CT_OK) {
        fprintf(stderr, "bench_feed: %s\n", ct_last_error());
        exit(1);
    }
    ct_feed_destroy(f);
    FILE *fp = fopen(tmp, "rb");
    long n = file_size(tmp);
    char *t = malloc((size_t)n + 1);
    if (!fp || !t || fread(t, 1, (size_t)n, fp) != (size_t)n)
        exit(1);
    fclose(fp);
    remove(tmp);
    t[n] = '\0';
    *len = (size_t)n;
    return t;
}

/* Baseline: the plain C way (line by line, strtoll + strtod, append to growing arrays). */
static int64_t naive_parse(const char *txt, size_t len)
{
    const char *p = strchr(txt, '\n') + 1, *end = txt + len;
    size_t cap = 1024, n = 0;
    int64_t *t = malloc(cap * sizeof(*t));
    double *c[5];
    for (int k = 0; k < 5; k++)
        c[k] = malloc(cap * sizeof(double));
    while (p < end) {
        char *e;
        if (n == cap) {
            cap *= 2;
            t = realloc(t, cap * sizeof(*t));
            for (int k = 0; k < 5; k++)
                c[k] = realloc(c[k], cap * sizeof(double));
        }
        t[n] = strtoll(p, &e, 10);
        for (int k = 0; k < 5; k++)
            c[k][n] = strtod(e + 1, &e);
        n++;
        p = e + 1;
    }
    free(t);
    for (int k = 0; k < 5; k++)
        free(c[k]);
    return (int64_t)n;
}

#define REPS 25

int main(void)
{
    const char *big = "binance_BTCUSDT_1m_2025-05-20_2025-08-18";
    char zst[4096], ctz[4096];
    snprintf(zst, sizeof(zst), "%s", data_path("binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst"));
    size_t len;
    char *txt = csv_text(zst, &len);
    double mb = (double)len / 1e6;

    /* the same candles as a .csv file and a .ctz file on disk (page cache after the first read) */
    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char csv[4096];
    snprintf(csv, sizeof(csv), "%s/bench_feed_%d.csv", tmpdir, (int)getpid());
    snprintf(ctz, sizeof(ctz), "%s/bench_feed_%d.ctz", tmpdir, (int)getpid());
    {
        ct_feed *f;
        if (ct_feed_load(zst, CT_GAPS_KEEP, &f) != CT_OK || ct_feed_save(f, ctz) != CT_OK ||
            ct_feed_save(f, csv) != CT_OK) {
            fprintf(stderr, "bench_feed: %s\n", ct_last_error());
            return 1;
        }
        ct_feed_destroy(f);
    }
    /* Interleaved: every round times each contender once (the .ctz load three times, it is
     * short), so a busy spell on the shared machine hits all of them alike. Each call builds
     * a fresh feed that is destroyed after the clock stops. */
    double best_lib = 1e9, best_naive = 1e9, best_csv = 1e9, best_zst = 1e9, best_ctz = 1e9;
    int64_t rows = 0;
    for (int r = 0; r < REPS; r++) {
        ct_feed *f;
        double t0 = now_s();
        ct_status st = ct_feed_parse_csv(txt, len, NULL, 0, CT_GAPS_KEEP, &f);
        double t1 = now_s();
        if (st != CT_OK) {
            fprintf(stderr, "bench_feed: %s\n", ct_last_error());
            return 1;
        }
        rows = ct_feed_len(f);
        ct_feed_destroy(f);
        if (t1 - t0 < best_lib)
            best_lib = t1 - t0;
        t0 = now_s();
        int64_t nn = naive_parse(txt, len);
        t1 = now_s();
        if (nn != rows)
            fprintf(stderr, "bench_feed: naive parse found %lld rows\n", (long long)nn);
        if (t1 - t0 < best_naive)
            best_naive = t1 - t0;
        const char *paths[2] = {csv, zst};
        double *bests[2] = {&best_csv, &best_zst};
        for (int k = 0; k < 2; k++) {
            t0 = now_s();
            st = ct_feed_load(paths[k], CT_GAPS_KEEP, &f);
            t1 = now_s();
            if (st != CT_OK || ct_feed_len(f) != rows) {
                fprintf(stderr, "bench_feed: %s\n", ct_last_error());
                return 1;
            }
            ct_feed_destroy(f);
            if (t1 - t0 < *bests[k])
                *bests[k] = t1 - t0;
        }
        for (int k = 0; k < 3; k++) {
            t0 = now_s();
            st = ct_feed_load(ctz, CT_GAPS_KEEP, &f);
            t1 = now_s();
            if (st != CT_OK || ct_feed_len(f) != rows) {
                fprintf(stderr, "bench_feed: %s\n", ct_last_error());
                return 1;
            }
            ct_feed_destroy(f);
            if (t1 - t0 < best_ctz)
                best_ctz = t1 - t0;
        }
    }
    remove(ctz);
    remove(csv);
    printf("## bench_feed (best of %d interleaved rounds)\n\n", REPS);
    printf("file: %s (%lld rows, %.2f MB of CSV text)\n\n", big, (long long)rows, mb);
    printf("| what | time | MB/s of CSV text | vs baseline |\n|---|---|---|---|\n");
    printf("| naive strtoll/strtod parse (baseline) | %.1f ms | %.0f | 1.00x |\n", best_naive * 1e3, mb / best_naive);
    printf("| ct_feed_parse_csv (in memory) | %.1f ms | %.0f | %.2fx |\n", best_lib * 1e3, mb / best_lib,
           best_naive / best_lib);
    printf("| ct_feed_load .csv | %.1f ms | %.0f | %.2fx |\n", best_csv * 1e3, mb / best_csv, best_naive / best_csv);
    printf("| ct_feed_load .csv.zst (streaming) | %.1f ms | %.0f | %.2fx |\n", best_zst * 1e3, mb / best_zst,
           best_naive / best_zst);
    printf("| ct_feed_load .ctz | %.2f ms | %.0f (equivalent) | %.2fx |\n\n", best_ctz * 1e3, mb / best_ctz,
           best_naive / best_ctz);
    printf(".ctz load vs CSV parse in memory: %.1fx faster (target >= 10x); vs .csv load: %.1fx; vs .csv.zst load: "
           "%.1fx\n\n",
           best_lib / best_ctz, best_csv / best_ctz, best_zst / best_ctz);
    free(txt);

    static const char *files[] = {
        "binance_BTCUSDT_1m_2025-05-20_2025-08-18", "binance_BTCUSDT_5m_2024-03-01_2025-07-02",
        "binance_BTCUSDT_15m_2023-04-01_2024-04-09", "binance_ETHUSDT_15m_2023-04-01_2024-04-09",
        "binance_SOLUSDT_15m_2023-04-01_2024-04-09", "binance_XRPUSDT_15m_2023-04-01_2024-04-09",
        "binance_DOGEUSDT_15m_2023-04-01_2024-04-09", "binance_BTCUSDT_1h_2017-08-17_2024-04-21",
        "binance_ETHUSDT_1h_2017-08-17_2022-10-11", "binance_BTCUSDT_1d_2017-08-17_2022-10-10"};
    printf("| file | rows | .csv.zst (zstd -19) bytes | .ctz bytes | ratio |\n|---|---|---|---|---|\n");
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        char in[4096];
        snprintf(in, sizeof(in), "%s.csv.zst", files[k]);
        const char *p = data_path(in);
        ct_feed *f;
        if (ct_feed_load(p, CT_GAPS_KEEP, &f) != CT_OK)
            continue;
        ct_feed_save(f, ctz);
        long a = file_size(p), b = file_size(ctz);
        printf("| %s | %lld | %ld | %ld | %.3f |\n", files[k], (long long)ct_feed_len(f), a, b, (double)b / (double)a);
        ct_feed_destroy(f);
        remove(ctz);
    }
    return 0;
}
