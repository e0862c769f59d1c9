/*
 * embed: libcryptota inside a host program that owns its candles.
 *
 * The host builds its own OHLCV arrays (here a deterministic random walk of 5,000 hourly bars,
 * standing in for data from a database or a socket), hands them to the library without a copy
 * (ct_feed_from_arrays with CT_FEED_BORROW), backtests the built-in `rsi` strategy, prints the
 * headline metrics and writes a self-contained HTML report and the result JSON.
 *
 *   usage: embed [OUT_DIR]     writes OUT_DIR/embed_report.html, OUT_DIR/embed_result.json and
 *                              OUT_DIR/embed_candles.csv (the candles, so other tools can rerun
 *                              them); OUT_DIR defaults to the current directory.
 *
 * Build against an installed copy: cc embed.c $(pkg-config --cflags --libs cryptota) -lm
 * or with CMake: find_package(Cryptota) + target_link_libraries(embed PRIVATE Cryptota::cryptota).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cryptota/cryptota.h>

enum { N_BARS = 5000 };

/* A reproducible uniform number in [0, 1) (splitmix64), so every run sees the same candles. */
static double next_uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

/* Hourly candles: a random walk of about 1% per bar, prices rounded to cents like an exchange. */
static void make_candles(int64_t *t, double *o, double *h, double *l, double *c, double *v)
{
    uint64_t rng = 42;
    double price = 30000;
    for (int i = 0; i < N_BARS; i++) {
        t[i] = 1700000000000 - 1700000000000 % 3600000 + (int64_t)i * 3600000;
        o[i] = i ? c[i - 1] : price;
        price *= 1 + 0.02 * (next_uniform(&rng) - 0.5);
        c[i] = round(price * 100) / 100;
        h[i] = round(fmax(o[i], c[i]) * (1 + 0.004 * next_uniform(&rng)) * 100) / 100;
        l[i] = round(fmin(o[i], c[i]) * (1 - 0.004 * next_uniform(&rng)) * 100) / 100;
        v[i] = round(100 * next_uniform(&rng) * 1e6) / 1e6;
    }
}

static int write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (!fp || fputs(text, fp) < 0 || fputc('\n', fp) < 0) {
        if (fp)
            fclose(fp);
        return -1;
    }
    return fclose(fp);
}

/* The candles as CSV (open_time,open,high,low,close,volume), exactly as held in memory. */
static int write_candles(const char *path, const int64_t *t, const double *o, const double *h, const double *l,
                         const double *c, const double *v)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    fprintf(fp, "open_time,open,high,low,close,volume\n");
    for (int i = 0; i < N_BARS; i++)
        fprintf(fp, "%lld,%.17g,%.17g,%.17g,%.17g,%.17g\n", (long long)t[i], o[i], h[i], l[i], c[i], v[i]);
    return fclose(fp);
}

static int fail(const char *what, ct_status s)
{
    fprintf(stderr, "embed: %s failed: %s: %s\n", what, ct_status_name(s), ct_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    static int64_t t[N_BARS];
    static double o[N_BARS], h[N_BARS], l[N_BARS], c[N_BARS], v[N_BARS];
    make_candles(t, o, h, l, c, v);

    ct_feed *feed = NULL;
    ct_strategy *strategy = NULL;
    ct_engine *engine = NULL;
    ct_result *result = NULL;
    char *json = NULL, path[4096];
    int rc = 1;
    ct_status s;
    /* Borrowed columns: the arrays must outlive the feed (they are static here). */
    if ((s = ct_feed_from_arrays("SYNTHUSDT", 3600000, t, o, h, l, c, v, N_BARS, CT_FEED_BORROW, &feed)) != CT_OK) {
        rc = fail("ct_feed_from_arrays", s);
        goto out;
    }
    if ((s = ct_strategy_create_by_name("rsi", &strategy)) != CT_OK ||
        (s = ct_strategy_set_json(strategy, "{\"rsi_period\": 14, \"oversold\": 30, \"overbought\": 70}")) != CT_OK) {
        rc = fail("strategy", s);
        goto out;
    }
    if ((s = ct_engine_create(&engine)) != CT_OK ||
        (s = ct_engine_configure_json(engine, "{\"capital\": 10000, \"commission\": 0.001}")) != CT_OK) {
        rc = fail("engine", s);
        goto out;
    }
    if ((s = ct_engine_run(engine, feed, strategy, &result)) != CT_OK) {
        rc = fail("ct_engine_run", s);
        goto out;
    }

    printf("%s %s: %lld bars, %lld trades, final equity %.2f\n", ct_result_strategy(result),
           ct_result_params_json(result), (long long)ct_result_len(result),
           (long long)ct_result_trade_count(result), ct_result_final_equity(result));
    static const char *const headline[] = {"total_return", "cagr",     "sharpe_ratio",  "sortino_ratio",
                                           "max_drawdown", "win_rate", "profit_factor", "exposure"};
    for (size_t i = 0; i < sizeof(headline) / sizeof(headline[0]); i++) {
        double x = (double)NAN;
        if ((s = ct_result_metric(result, headline[i], &x)) != CT_OK) {
            rc = fail(headline[i], s);
            goto out;
        }
        printf("%-16s %.6f\n", headline[i], x);
    }

    snprintf(path, sizeof(path), "%s/embed_report.html", dir);
    if ((s = ct_result_report_html(result, path)) != CT_OK) {
        rc = fail("ct_result_report_html", s);
        goto out;
    }
    if ((s = ct_result_json(result, 0, &json)) != CT_OK) {
        rc = fail("ct_result_json", s);
        goto out;
    }
    snprintf(path, sizeof(path), "%s/embed_result.json", dir);
    if (write_text(path, json) != 0) {
        fprintf(stderr, "embed: cannot write %s\n", path);
        goto out;
    }
    snprintf(path, sizeof(path), "%s/embed_candles.csv", dir);
    if (write_candles(path, t, o, h, l, c, v) != 0) {
        fprintf(stderr, "embed: cannot write %s\n", path);
        goto out;
    }
    printf("wrote %s/embed_report.html, embed_result.json, embed_candles.csv\n", dir);
    rc = 0;
out:
    ct_free(json);
    ct_result_destroy(result);
    ct_engine_destroy(engine);
    ct_strategy_destroy(strategy);
    ct_feed_destroy(feed);
    return rc;
}
