/*
 * rsi backtest throughput (DESIGN.md section 11): the BTC 1m candles repeated to 1M and 10M
 * bars (times keep increasing), one thread. Beside it, in the same run, a plain C loop of the
 * same rules (RSI(14) Wilder computed inline, long below 30 at the next open with the whole
 * cash, exit above 70 at the next open, commission 0.001, equity per bar written to an array)
 * is the baseline; the ratio engine / loop is the target (>= 0.5). Also the ratio to
 * backtrader's bars_per_second from the reference JSON, and the peak RSS of the 1M-bar run.
 *
 * Usage: bench_backtest [BARS...] (default 1000000 10000000).
 *
 * The engine is timed cold (first run on a feed: feed hash + RSI computed into the cache) and
 * warm (later runs reuse the cached RSI, as the optimizer does). Loop and engine runs alternate
 * (so both see the same machine load) and the best of each is kept.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cJSON.h>

#include "cryptota/cryptota.h"
#include "internal/result_internal.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* The plain loop. Returns the number of round trips; final equity in *final. */
static int64_t plain_loop(int64_t n, const double *o, const double *c, double *eq, double *final)
{
    const int period = 14;
    const double comm = 0.001;
    double cash = 10000, pos = 0, ag = 0, al = 0, rsi = NAN;
    int pending = 0; /* +1 buy at next open, -1 sell */
    int64_t trades = 0;
    for (int64_t t = 0; t < n; t++) {
        if (pending > 0) {
            double q = cash / (o[t] * (1 + comm));
            cash -= q * o[t] + q * o[t] * comm;
            pos = q;
        } else if (pending < 0) {
            cash += pos * o[t] - pos * o[t] * comm;
            pos = 0;
            trades++;
        }
        pending = 0;
        eq[t] = cash + pos * c[t];
        if (t > 0) {
            double d = c[t] - c[t - 1];
            double g = d > 0 ? d : 0, l = d < 0 ? -d : 0;
            if (t <= period) {
                ag += g;
                al += l;
                if (t == period) {
                    ag /= period;
                    al /= period;
                }
            } else {
                ag = (ag * (period - 1) + g) / period;
                al = (al * (period - 1) + l) / period;
            }
            if (t >= period)
                rsi = ag + al < 1e-14 ? 0 : 100 * ag / (ag + al);
        }
        if (t + 1 < n) {
            if (pos == 0 && rsi < 30)
                pending = 1;
            else if (pos > 0 && rsi > 70)
                pending = -1;
        }
    }
    *final = eq[n - 1];
    return trades;
}

typedef struct {
    int64_t n;
    int64_t *t;
    double *col[5];
    ct_feed *feed;
} big_feed;

static void make_big(const ct_feed *src, int64_t n, big_feed *b)
{
    int64_t m = ct_feed_len(src);
    b->n = n;
    b->t = malloc((size_t)n * sizeof(int64_t));
    for (int k = 0; k < 5; k++)
        b->col[k] = malloc((size_t)n * sizeof(double));
    const int64_t *st = ct_feed_time(src);
    int64_t step = ct_feed_interval_ms(src);
    for (int64_t i = 0; i < n; i++)
        b->t[i] = st[0] + i * step;
    for (int k = 0; k < 5; k++) {
        const double *sc = ct_feed_column(src, k);
        for (int64_t i = 0; i < n; i += m)
            memcpy(b->col[k] + i, sc, (size_t)(n - i < m ? n - i : m) * sizeof(double));
    }
    ct_status s = ct_feed_from_arrays(ct_feed_symbol(src), step, b->t, b->col[0], b->col[1], b->col[2], b->col[3],
                                      b->col[4], n, CT_FEED_BORROW, &b->feed);
    if (s != CT_OK) {
        fprintf(stderr, "feed: %s\n", ct_last_error());
        exit(1);
    }
}

static void free_big(big_feed *b)
{
    ct_feed_destroy(b->feed);
    free(b->t);
    for (int k = 0; k < 5; k++)
        free(b->col[k]);
}

/* Peak RSS of one backtest of n bars, measured first in the process: the loaded candle file,
 * the n-bar feed, the indicator cache and the result (no baseline arrays yet). */
static void rss_probe(const ct_feed *src, int64_t n)
{
    big_feed b;
    make_big(src, n, &b);
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ct_engine_create(&e);
    ct_strategy_create_by_name("rsi", &s);
    if (ct_engine_run(e, b.feed, s, &r) != CT_OK) {
        fprintf(stderr, "run: %s\n", ct_last_error());
        exit(1);
    }
    printf("peak RSS of a %lld-bar backtest (feed %.0f MB + result + RSI): %.1f MB\n", (long long)n,
           (double)n * 48 / 1e6, rss_mb());
    ct_result_destroy(r);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    free_big(&b);
}

static double bt_bars_per_second(void)
{
    const char *dir = getenv("CT_REF_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/backtests/bt_next_open_binance_BTCUSDT_1m_2025-05-20_2025-08-18.json",
             dir ? dir : "../shared/reference");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NAN;
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[len] = 0;
    cJSON *j = cJSON_Parse(buf);
    cJSON *v = cJSON_GetObjectItem(j, "bars_per_second");
    double r = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    cJSON_Delete(j);
    return r;
}

static void bench(const ct_feed *src, int64_t n, double bt_bps)
{
    big_feed b;
    make_big(src, n, &b);
    double *eq = malloc((size_t)n * sizeof(double));
    double final_loop = 0, best_loop = 1e9;
    int64_t trades_loop = 0;
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_engine_create(&e);
    ct_strategy_create_by_name("rsi", &s);
    double cold = 0, best_warm = 1e9, final_engine = 0;
    int64_t trades_engine = 0;
    /* loop and engine runs alternate, so both see the same machine load; best of each */
    int reps = n >= 5000000 ? 5 : 12;
    for (int rep = 0; rep <= reps; rep++) {
        double t0 = now_s();
        trades_loop = plain_loop(n, b.col[0], b.col[3], eq, &final_loop);
        double dt = now_s() - t0;
        best_loop = dt < best_loop ? dt : best_loop;
        ct_result *r = NULL;
        t0 = now_s();
        ct_status st = ct_engine_run(e, b.feed, s, &r);
        dt = now_s() - t0;
        if (st != CT_OK) {
            fprintf(stderr, "run: %s\n", ct_last_error());
            exit(1);
        }
        if (rep == 0)
            cold = dt;
        else
            best_warm = dt < best_warm ? dt : best_warm;
        final_engine = ct_result_final_equity(r);
        trades_engine = ct_result_trade_count(r);
        ct_result_destroy(r);
    }
    free(eq);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    free_big(&b);

    double loop_bps = (double)n / best_loop, warm_bps = (double)n / best_warm, cold_bps = (double)n / cold;
    printf("bars %lld\n", (long long)n);
    printf("  plain C loop      %8.1f M bars/s  (%lld trades, final equity %.10g)\n", loop_bps / 1e6,
           (long long)trades_loop, final_loop);
    printf("  engine rsi warm   %8.1f M bars/s  ratio to loop %.2f  (%lld trades, final equity %.10g)\n",
           warm_bps / 1e6, warm_bps / loop_bps, (long long)trades_engine, final_engine);
    printf("  engine rsi cold   %8.1f M bars/s  ratio to loop %.2f  (feed hash + RSI computed)\n", cold_bps / 1e6,
           cold_bps / loop_bps);
    if (!isnan(bt_bps))
        printf("  vs backtrader (%.0f bars/s): warm %.0fx, cold %.0fx\n", bt_bps, warm_bps / bt_bps, cold_bps / bt_bps);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("CT_DATA_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst",
             dir ? dir : "../shared/data/candles");
    ct_feed *src = NULL;
    if (ct_feed_load(path, CT_GAPS_KEEP, &src) != CT_OK) {
        fprintf(stderr, "cannot load %s: %s\n", path, ct_last_error());
        return 1;
    }
    double bt = bt_bars_per_second();
    printf("rsi backtest (rsi_period 14, 30/70, fraction 1, commission 0.001, fill next_open), one thread\n");
    rss_probe(src, 1000000);
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            bench(src, strtoll(argv[i], NULL, 10), bt);
    } else {
        bench(src, 1000000, bt);
        bench(src, 10000000, bt);
    }
    ct_feed_destroy(src);
    return 0;
}
