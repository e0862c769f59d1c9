/*
 * cryptota fetch SYMBOL[,SYMBOL...] --interval I --start T --end T [--out FILE|DIR] [--cache DIR]
 *                [--futures] [--base-url URL] [--parallel N] [--json]
 *
 * Downloads Binance candles through the cache (default $XDG_CACHE_HOME/cryptota or
 * ~/.cache/cryptota) and writes them out: one symbol to --out FILE (format by extension), several
 * to --out DIR as DIR/<SYMBOL>_<interval>.ctz. Without --out it prints a summary only. The base
 * URL comes from --base-url, else $CRYPTOTA_BINANCE_URL, else the public Binance hosts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define FETCH_USAGE                                                                                      \
    "SYMBOL[,SYMBOL...] --interval I --start T --end T [--out FILE|DIR] [--cache DIR] [--futures]\n"   \
    "       [--base-url URL] [--parallel N] [--json]\n"                                                 \
    "  T: ISO-8601 date/time (UTC) or epoch ms. --cache defaults to $XDG_CACHE_HOME/cryptota or\n"     \
    "  ~/.cache/cryptota ('none' disables it). --base-url defaults to $CRYPTOTA_BINANCE_URL, else the\n" \
    "  public Binance market-data hosts."

static int32_t on_progress(void *user, int64_t done, int64_t total)
{
    cli_progress((const char *)user, done, total, 0);
    return 0;
}

static int default_cache(char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, cap, "%s/cryptota", xdg);
    else if (home && *home)
        snprintf(buf, cap, "%s/.cache/cryptota", home);
    else
        return -1;
    return 0;
}

int cmd_fetch(int argc, char **argv)
{
    static const char *const valued[] = {"interval", "start", "end", "out", "cache", "base-url", "parallel", NULL};
    const char *cmd = "fetch";
    if (cli_flag(argc, argv, "help"))
        return printf("usage: cryptota fetch %s\n", FETCH_USAGE), 0;
    char *pos[2];
    const char *interval = cli_opt(argc, argv, "interval");
    const char *start_s = cli_opt(argc, argv, "start");
    const char *end_s = cli_opt(argc, argv, "end");
    const char *out_path = cli_opt(argc, argv, "out");
    const char *cache = cli_opt(argc, argv, "cache");
    const char *base = cli_opt(argc, argv, "base-url");
    const char *par = cli_opt(argc, argv, "parallel");
    int futures = cli_flag(argc, argv, "futures");
    int json = cli_flag(argc, argv, "json");
    if (cli_positionals(argc, argv, valued, pos, 2) != 1 || !interval || !start_s || !end_s)
        return cli_usage(cmd, FETCH_USAGE);
    int64_t start = 0, end = 0;
    if (cli_parse_time(start_s, &start) != 0)
        return cli_error(cmd, "bad --start '%s' (ISO-8601 date/time in UTC or epoch ms)", start_s);
    if (cli_parse_time(end_s, &end) != 0)
        return cli_error(cmd, "bad --end '%s' (ISO-8601 date/time in UTC or epoch ms)", end_s);

    /* the symbol list */
    char *list = strdup(pos[0]);
    if (!list)
        return cli_error(cmd, "out of memory");
    const char *syms[256];
    int32_t n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == 256) {
            free(list);
            return cli_error(cmd, "at most 256 symbols");
        }
        syms[n++] = tok;
    }
    if (n == 0) {
        free(list);
        return cli_usage(cmd, FETCH_USAGE);
    }

    ct_fetcher *f = NULL;
    ct_feed *feeds[256] = {0};
    int rc = 1;
    ct_status s = ct_fetcher_create(&f);
    if (s != CT_OK) {
        free(list);
        return cli_fail(cmd, s, "cannot create the fetcher");
    }
    if (!base)
        base = getenv("CRYPTOTA_BINANCE_URL");
    if (base && *base && (s = ct_fetcher_set_str(f, CT_FETCH_BASE_URL, base)) != CT_OK) {
        rc = cli_fail(cmd, s, "--base-url");
        goto done;
    }
    char cdir[4096];
    if (!cache) {
        if (default_cache(cdir, sizeof(cdir)) == 0)
            cache = cdir;
    } else if (strcmp(cache, "none") == 0) {
        cache = NULL;
    }
    if (cache && (s = ct_fetcher_set_str(f, CT_FETCH_CACHE_DIR, cache)) != CT_OK) {
        rc = cli_fail(cmd, s, "--cache");
        goto done;
    }
    int64_t npar = 0;
    if (par && cli_int_opt(cmd, argc, argv, "parallel", 0, &npar)) {
        rc = 2;
        goto done;
    }
    if (par && (s = ct_fetcher_set_i64(f, CT_FETCH_MAX_PARALLEL, npar)) != CT_OK) {
        rc = cli_fail(cmd, s, "--parallel");
        goto done;
    }
    if (cli_stderr_tty())
        ct_fetcher_set_progress(f, on_progress, (void *)"fetch");
    s = ct_fetcher_klines_many(f, futures ? CT_MARKET_FUTURES : CT_MARKET_SPOT, syms, n, interval, start, end, feeds);
    if (cli_stderr_tty())
        fputc('\n', stderr);
    if (s != CT_OK) {
        fprintf(stderr, "cryptota fetch: %s (%s)\n", ct_fetcher_errmsg(f), ct_status_name(s));
        goto done;
    }
    /* write */
    if (out_path) {
        if (n == 1) {
            s = ct_feed_save(feeds[0], out_path);
            if (s != CT_OK) {
                rc = cli_fail(cmd, s, out_path);
                goto done;
            }
        } else {
            mkdir(out_path, 0755);
            for (int32_t i = 0; i < n; i++) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s_%s.ctz", out_path, syms[i], interval);
                if ((s = ct_feed_save(feeds[i], path)) != CT_OK) {
                    rc = cli_fail(cmd, s, path);
                    goto done;
                }
            }
        }
    }
    /* report */
    char a[32], b[32];
    if (json)
        printf("{\"interval\": \"%s\", \"market\": \"%s\", \"symbols\": [", interval, futures ? "futures" : "spot");
    else
        printf("%-12s %10s  %-20s  %-20s  %8s\n", "symbol", "rows", "first", "last", "missing");
    for (int32_t i = 0; i < n; i++) {
        int64_t rows = ct_feed_len(feeds[i]);
        const int64_t *t = ct_feed_time(feeds[i]);
        int64_t first = rows ? t[0] : 0, last = rows ? t[rows - 1] : 0;
        if (json)
            printf("%s{\"symbol\": \"%s\", \"rows\": %lld, \"first_time_ms\": %lld, \"last_time_ms\": %lld, "
                   "\"missing_bars\": %lld}",
                   i ? ", " : "", syms[i], (long long)rows, (long long)first, (long long)last,
                   (long long)ct_feed_missing_bars(feeds[i]));
        else
            printf("%-12s %10lld  %-20s  %-20s  %8lld\n", syms[i], (long long)rows, rows ? cli_fmt_time(first, a, sizeof(a)) : "-",
                   rows ? cli_fmt_time(last, b, sizeof(b)) : "-", (long long)ct_feed_missing_bars(feeds[i]));
    }
    if (json)
        printf("]}\n");
    rc = 0;
done:
    for (int32_t i = 0; i < n; i++)
        ct_feed_destroy(feeds[i]);
    ct_fetcher_destroy(f);
    free(list);
    return rc;
}
