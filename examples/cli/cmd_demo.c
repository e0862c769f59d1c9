/*
 * cryptota demo [--data FILE]: the main job (DESIGN.md section 14).
 * So far it loads the candles and prints the feed summary; later issues add the fetch,
 * the rsi backtest, the metrics table and the report.
 */
#include <stdio.h>

#include "cli.h"

int cmd_demo(int argc, char **argv)
{
    const char *data = cli_opt(argc, argv, "data");
    if (cli_flag(argc, argv, "help"))
        return cli_usage("demo", "[--data FILE]");
    if (!data) {
        fprintf(stderr, "cryptota demo: no candle data given and fetching is not available in this build; "
                        "run: make demo DATA=path/to/candles.csv.zst\n");
        return 1;
    }
    ct_feed *f;
    ct_status s = ct_feed_load(data, CT_GAPS_KEEP, &f);
    if (s != CT_OK)
        return cli_fail("demo", s, data);
    char b1[32], b2[32];
    int64_t n = ct_feed_len(f);
    const int64_t *t = ct_feed_time(f);
    const double *c = ct_feed_close(f);
    printf("libcryptota %s demo\n", ct_version_string());
    printf("candles   %s %s, %lld rows, %s .. %s\n", *ct_feed_symbol(f) ? ct_feed_symbol(f) : "(unknown)",
           ct_interval_name(ct_feed_interval_ms(f)) ? ct_interval_name(ct_feed_interval_ms(f)) : "custom", (long long)n,
           n ? cli_fmt_time(t[0], b1, sizeof(b1)) : "-", n ? cli_fmt_time(t[n - 1], b2, sizeof(b2)) : "-");
    if (n)
        printf("close     first %.8g, last %.8g, buy and hold %+.2f%%\n", c[0], c[n - 1], (c[n - 1] / c[0] - 1) * 100);
    printf("gaps      %lld missing bars\n", (long long)ct_feed_missing_bars(f));
    ct_feed_destroy(f);
    return 0;
}
