/*
 * cryptota demo [--data FILE] [--symbol S --interval I --start T --end T] [--out DIR] [--cache DIR]
 *
 * The main job (DESIGN.md section 14). Without --data it fetches SYMBOL (BTCUSDT) INTERVAL (1h)
 * candles for the 365 days before END (now, or $CRYPTOTA_DEMO_END) from Binance into the cache
 * ($XDG_CACHE_HOME/cryptota or ~/.cache/cryptota; the base URL from $CRYPTOTA_BINANCE_URL, else the
 * public market-data host), so later runs read the cache and download only what is new. With
 * --data it reads the file instead (the whole file, or --start/--end of it). Then it backtests the
 * built-in `rsi` strategy with its default parameters and engine settings, prints the metrics
 * table and a trades summary, and writes DIR/report.html and DIR/result.json (DIR = demo,
 * relative to the current directory).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

#define DEMO_USAGE                                                                                    \
    "[--data FILE] [--symbol S] [--interval I] [--start T] [--end T] [--out DIR] [--cache DIR]\n"     \
    "  Without --data: fetch SYMBOL (BTCUSDT) INTERVAL (1h) for the 365 days before --end (default\n" \
    "  now or $CRYPTOTA_DEMO_END) through the cache, base URL $CRYPTOTA_BINANCE_URL or Binance's.\n"   \
    "  Writes DIR/report.html and DIR/result.json (DIR defaults to ./demo)."

#define DEMO_HINT "run it offline on a candle file: make demo DATA=path/to/candles.csv.zst"
#define DAY_MS 86400000LL

/* mkdir -p: 0 on success (existing directories are fine). */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            buf[i] = c;
        }
    }
    return 0;
}

/* Wall-clock time in ms since the Unix epoch. */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int default_cache_dir(char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, cap, "%s/cryptota", xdg);
    else if (home && *home)
        snprintf(buf, cap, "%s/.cache/cryptota", home);
    else
        return -1;
    return 0;
}

static int32_t demo_progress(void *user, int64_t done, int64_t total)
{
    cli_progress((const char *)user, done, total, 0);
    return 0;
}

/* Fetch the candles through the cache. Returns an exit code (0: *out is set). Every failure is one
 * line on stderr; a network failure says so and shows the offline form. */
static int fetch_candles(const char *symbol, const char *interval, int64_t start, int64_t end, const char *cache,
                         ct_feed **out)
{
    const char *base = getenv("CRYPTOTA_BINANCE_URL");
    char cdir[4096];
    ct_fetcher *f = NULL;
    ct_status s = ct_fetcher_create(&f);
    if (s != CT_OK)
        return cli_fail("demo", s, "cannot create the fetcher");
    if (!cache && default_cache_dir(cdir, sizeof(cdir)) == 0)
        cache = cdir;
    if (base && *base && (s = ct_fetcher_set_str(f, CT_FETCH_BASE_URL, base)) != CT_OK) {
        ct_fetcher_destroy(f);
        return cli_fail("demo", s, "$CRYPTOTA_BINANCE_URL");
    }
    if (cache && (s = ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, cache)) != CT_OK) {
        ct_fetcher_destroy(f);
        return cli_fail("demo", s, "cache directory");
    }
    /* A machine without network should hear so in about a second, not after minutes of backoff. */
    ct_fetcher_set_i64(f, CT_FETCH_MAX_RETRIES, 3);
    ct_fetcher_set_i64(f, CT_FETCH_RETRY_BASE_MS, 200);
    ct_fetcher_set_i64(f, CT_FETCH_CONNECT_TIMEOUT_MS, 5000);
    if (cli_stderr_tty())
        ct_fetcher_set_progress(f, demo_progress, (void *)"fetch");
    /* The fetcher's own retry warnings would drown the one-line answer: errors only. */
    int32_t level = ct_log_level();
    if (level < CT_LOG_ERROR)
        ct_set_log_level(CT_LOG_ERROR);
    s = ct_fetcher_klines(f, CT_MARKET_SPOT, symbol, interval, start, end, out);
    ct_set_log_level(level);
    if (cli_stderr_tty())
        fputc('\n', stderr);
    int rc = 0;
    if (s == CT_E_NET)
        rc = cli_error("demo", "cannot reach Binance (%s: no network?); " DEMO_HINT,
                       base && *base ? base : "the public market-data host");
    else if (s != CT_OK)
        rc = cli_error("demo", "fetching %s %s failed: %s (%s); " DEMO_HINT, symbol, interval, ct_fetcher_errmsg(f),
                       ct_status_name(s));
    ct_fetcher_destroy(f);
    return rc;
}

/* A metric's value for people, by its unit. */
static const char *fmt_metric(int32_t i, double x, char *buf, size_t cap)
{
    const char *unit = ct_metric_unit(i) ? ct_metric_unit(i) : "";
    if (isnan(x))
        snprintf(buf, cap, "n/a");
    else if (isinf(x))
        snprintf(buf, cap, "%sinf", x < 0 ? "-" : "");
    else if (strcmp(unit, "fraction") == 0)
        snprintf(buf, cap, "%.2f%%", x * 100);
    else if (strcmp(unit, "bars") == 0 || strcmp(unit, "count") == 0)
        snprintf(buf, cap, "%.0f", x);
    else if (strcmp(unit, "ms") == 0)
        snprintf(buf, cap, "%.1f days", x / (double)DAY_MS);
    else if (strcmp(unit, "quote") == 0)
        snprintf(buf, cap, "%.2f", x);
    else if (strcmp(unit, "x") == 0)
        snprintf(buf, cap, "%.3fx", x);
    else
        snprintf(buf, cap, "%.3f", x);
    return buf;
}

static int print_metrics(const ct_result *r)
{
    int32_t n = ct_metric_count();
    double *v = calloc((size_t)n, sizeof(double));
    int64_t got = 0;
    if (!v || ct_result_metrics_all(r, v, n, &got) != CT_OK) {
        free(v);
        return cli_error("demo", "cannot read the metrics: %s", ct_last_error());
    }
    printf("\nmetrics\n");
    int32_t half = (n + 1) / 2;
    for (int32_t k = 0; k < half; k++) {
        char a[48], b[48];
        printf("  %-26s %14s", ct_metric_name(k), fmt_metric(k, v[k], a, sizeof(a)));
        if (k + half < n)
            printf("    %-26s %14s", ct_metric_name(k + half), fmt_metric(k + half, v[k + half], b, sizeof(b)));
        printf("\n");
    }
    free(v);
    return 0;
}

static int print_trades(const ct_result *r)
{
    int64_t n = ct_result_trade_count(r), wins = 0;
    ct_trade *t = calloc((size_t)n + 1, sizeof(ct_trade));
    if (!t)
        return cli_error("demo", "out of memory");
    for (int64_t i = 0; i < n; i++)
        t[i].struct_size = sizeof(ct_trade);
    if (n > 0 && ct_result_trades(r, t, n, &n) != CT_OK) {
        free(t);
        return cli_error("demo", "cannot read the trades: %s", ct_last_error());
    }
    double best = -(double)INFINITY, worst = (double)INFINITY, sum_ret = 0, bars = 0, fees = 0, pnl = 0;
    for (int64_t i = 0; i < n; i++) {
        wins += t[i].pnl_net > 0;
        best = fmax(best, t[i].ret);
        worst = fmin(worst, t[i].ret);
        sum_ret += t[i].ret;
        bars += (double)t[i].bars_held;
        fees += t[i].entry_commission + t[i].exit_commission;
        pnl += t[i].pnl_net;
    }
    printf("\ntrades    %lld round trips, %lld won, %lld lost", (long long)n, (long long)wins, (long long)(n - wins));
    if (n > 0)
        printf("; average %+.2f%%, best %+.2f%%, worst %+.2f%%, %.1f bars held on average\n"
               "          net PnL %.2f after %.2f commission\n",
               sum_ret / (double)n * 100, best * 100, worst * 100, bars / (double)n, pnl, fees);
    else
        printf("\n");
    int32_t has = 0;
    double q = 0, px = 0;
    int64_t et = 0, eb = 0;
    char b1[32], b2[32];
    if (ct_result_open_position(r, &has, &q, &px, &et, &eb) == CT_OK && has)
        printf("          open at the end: %.8g since %s at %.2f\n", q, cli_fmt_time(et, b1, sizeof(b1)), px);
    if (n > 0) {
        int64_t from = n > 5 ? n - 5 : 0;
        printf("  last %lld: %-20s  %-20s  %12s  %12s  %8s\n", (long long)(n - from), "entry", "exit", "entry price",
               "exit price", "return");
        for (int64_t i = from; i < n; i++)
            printf("          %-20s  %-20s  %12.2f  %12.2f  %+7.2f%%\n", cli_fmt_time(t[i].entry_time_ms, b1, sizeof(b1)),
                   cli_fmt_time(t[i].exit_time_ms, b2, sizeof(b2)), t[i].entry_price, t[i].exit_price, t[i].ret * 100);
    }
    free(t);
    return 0;
}

static int write_outputs(const ct_result *r, const char *dir)
{
    char path[4096];
    if (make_dirs(dir) != 0)
        return cli_error("demo", "cannot create the directory %s: %s", dir, strerror(errno));
    snprintf(path, sizeof(path), "%s/report.html", dir);
    ct_status s = ct_result_report_html(r, path);
    if (s != CT_OK)
        return cli_fail("demo", s, path);
    char *js = NULL;
    if ((s = ct_result_json(r, 0, &js)) != CT_OK)
        return cli_fail("demo", s, "result JSON");
    snprintf(path, sizeof(path), "%s/result.json", dir);
    FILE *fp = fopen(path, "w");
    int ok = fp && fputs(js, fp) >= 0 && fputc('\n', fp) != EOF;
    if (fp && fclose(fp) != 0)
        ok = 0;
    ct_free(js);
    if (!ok)
        return cli_error("demo", "cannot write %s", path);
    printf("\nwrote     %s/report.html and %s/result.json\n", dir, dir);
    return 0;
}

int cmd_demo(int argc, char **argv)
{
    static const char *const valued[] = {"data", "symbol", "interval", "start", "end", "out", "cache", NULL};
    char *pos[1];
    if (cli_flag(argc, argv, "help"))
        return printf("usage: cryptota demo %s\n", DEMO_USAGE), 0;
    if (cli_positionals(argc, argv, valued, pos, 1) != 0)
        return cli_usage("demo", DEMO_USAGE);
    const char *data = cli_opt(argc, argv, "data"), *symbol = cli_opt(argc, argv, "symbol"),
               *interval = cli_opt(argc, argv, "interval"), *start_s = cli_opt(argc, argv, "start"),
               *end_s = cli_opt(argc, argv, "end"), *out = cli_opt(argc, argv, "out"),
               *cache = cli_opt(argc, argv, "cache");
    if (!symbol)
        symbol = "BTCUSDT";
    if (!interval)
        interval = "1h";
    if (!out)
        out = "demo";
    if (!end_s && !data)
        end_s = getenv("CRYPTOTA_DEMO_END");
    int64_t start = 0, end = 0, iv = 0;
    if (end_s && cli_parse_time(end_s, &end) != 0)
        return cli_error("demo", "bad end time '%s' (ISO-8601 date/time in UTC or epoch ms)", end_s);
    if (start_s && cli_parse_time(start_s, &start) != 0)
        return cli_error("demo", "bad --start '%s' (ISO-8601 date/time in UTC or epoch ms)", start_s);
    if (ct_interval_parse(interval, &iv) != CT_OK)
        return cli_error("demo", "unknown --interval '%s' (1m, 5m, 15m, 1h, 4h, 1d, ...)", interval);

    ct_feed *feed = NULL;
    ct_status s;
    char source[4200];
    if (data) {
        if ((s = ct_feed_load(data, CT_GAPS_KEEP, &feed)) != CT_OK)
            return cli_fail("demo", s, data);
        if (start_s || end_s) {
            ct_feed *part = NULL;
            s = ct_feed_slice(feed, start_s ? start : INT64_MIN, end_s ? end : INT64_MAX, &part);
            ct_feed_destroy(feed);
            if (s != CT_OK)
                return cli_fail("demo", s, "--start/--end");
            feed = part;
        }
        snprintf(source, sizeof(source), "%s", data);
    } else {
        if (!end_s)
            end = now_ms();
        if (!start_s)
            start = end - 365 * DAY_MS;
        if (start >= end)
            return cli_error("demo", "--start must be before the end time");
        int rc = fetch_candles(symbol, interval, start, end, cache, &feed);
        if (rc != 0)
            return rc;
        snprintf(source, sizeof(source), "Binance spot klines, through the cache");
    }
    int64_t n = ct_feed_len(feed);
    if (n < 2) {
        ct_feed_destroy(feed);
        return cli_error("demo", "only %lld candles in the window: nothing to backtest", (long long)n);
    }

    ct_strategy *st = NULL;
    ct_engine *e = NULL;
    ct_result *r = NULL;
    int rc = 0;
    if ((s = ct_strategy_create_by_name("rsi", &st)) != CT_OK)
        rc = cli_fail("demo", s, "rsi");
    else if ((s = ct_engine_create(&e)) != CT_OK)
        rc = cli_fail("demo", s, "engine");
    else if ((s = ct_engine_run(e, feed, st, &r)) != CT_OK)
        rc = cli_fail("demo", s, ct_engine_errmsg(e));
    if (rc == 0) {
        const int64_t *t = ct_feed_time(feed);
        const double *c = ct_feed_close(feed);
        char b1[32], b2[32];
        const char *sym = *ct_feed_symbol(feed) ? ct_feed_symbol(feed) : symbol;
        const char *ivn = ct_interval_name(ct_feed_interval_ms(feed));
        printf("libcryptota %s demo\n", ct_version_string());
        printf("candles   %s %s, %lld bars, %s .. %s, %lld missing\n", sym, ivn ? ivn : "custom", (long long)n,
               cli_fmt_time(t[0], b1, sizeof(b1)), cli_fmt_time(t[n - 1], b2, sizeof(b2)),
               (long long)ct_feed_missing_bars(feed));
        printf("source    %s\n", source);
        printf("strategy  rsi %s\n", ct_result_params_json(r));
        printf("config    %s\n", ct_result_config_json(r));
        printf("equity    %.2f final, buy and hold %+.2f%%\n", ct_result_final_equity(r), (c[n - 1] / c[0] - 1) * 100);
        rc = print_metrics(r);
        if (rc == 0)
            rc = print_trades(r);
        if (rc == 0)
            rc = write_outputs(r, out);
    }
    ct_result_destroy(r);
    ct_engine_destroy(e);
    ct_strategy_destroy(st);
    ct_feed_destroy(feed);
    return rc;
}
