/* cryptota convert IN OUT [--interval I] [--partial] [--gaps keep|fill|error]: any candle format
 * to any other (by extension: .csv .csv.zst .ctz), optionally resampled. */
#include <string.h>

#include "cli.h"

int cmd_convert(int argc, char **argv)
{
    static const char *const valued[] = {"interval", "gaps", NULL};
    char *pos[3];
    if (cli_flag(argc, argv, "help") || cli_positionals(argc, argv, valued, pos, 3) != 2)
        return cli_usage("convert", "IN OUT [--interval I] [--partial] [--gaps keep|fill|error]   "
                                    "(formats by extension: .csv .csv.zst .ctz)");
    const char *gaps = cli_opt(argc, argv, "gaps");
    int32_t policy = CT_GAPS_KEEP;
    if (gaps) {
        if (strcmp(gaps, "keep") == 0)
            policy = CT_GAPS_KEEP;
        else if (strcmp(gaps, "fill") == 0)
            policy = CT_GAPS_FILL;
        else if (strcmp(gaps, "error") == 0)
            policy = CT_GAPS_ERROR;
        else
            return cli_error("convert", "--gaps must be keep, fill or error");
    }
    ct_feed *f;
    ct_status s = ct_feed_load(pos[0], policy, &f);
    if (s != CT_OK)
        return cli_fail("convert", s, pos[0]);
    const char *iv = cli_opt(argc, argv, "interval");
    if (iv) {
        int64_t ms;
        ct_feed *r;
        if ((s = ct_interval_parse(iv, &ms)) != CT_OK ||
            (s = ct_feed_resample(f, ms, cli_flag(argc, argv, "partial") ? CT_RESAMPLE_PARTIAL : 0, &r)) != CT_OK) {
            ct_feed_destroy(f);
            return cli_fail("convert", s, "--interval");
        }
        ct_feed_destroy(f);
        f = r;
    }
    s = ct_feed_save(f, pos[1]);
    int64_t n = ct_feed_len(f);
    ct_feed_destroy(f);
    if (s != CT_OK)
        return cli_fail("convert", s, pos[1]);
    fprintf(stderr, "cryptota convert: wrote %lld rows to %s\n", (long long)n, pos[1]);
    return 0;
}
