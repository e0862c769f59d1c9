/* cryptota info FILE [--json]: rows, first/last time, interval, gaps. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cmd_info(int argc, char **argv)
{
    static const char *const valued[] = {NULL};
    char *pos[2];
    if (cli_flag(argc, argv, "help") || cli_positionals(argc, argv, valued, pos, 2) != 1)
        return cli_usage("info", "FILE [--json]");
    ct_feed *f;
    ct_status s = ct_feed_load(pos[0], CT_GAPS_KEEP, &f);
    if (s != CT_OK)
        return cli_fail("info", s, pos[0]);
    int64_t n = ct_feed_len(f), ngaps = 0;
    ct_feed_gaps(f, NULL, NULL, NULL, 0, &ngaps);
    int64_t *after = calloc((size_t)ngaps + 1, sizeof(int64_t));
    int64_t *before = calloc((size_t)ngaps + 1, sizeof(int64_t));
    int64_t *missing = calloc((size_t)ngaps + 1, sizeof(int64_t));
    if (!after || !before || !missing) {
        free(after), free(before), free(missing);
        ct_feed_destroy(f);
        return cli_error("info", "out of memory");
    }
    ct_feed_gaps(f, after, before, missing, ngaps, &ngaps);
    const int64_t *t = ct_feed_time(f);
    int64_t first = n ? t[0] : 0, last = n ? t[n - 1] : 0;
    if (cli_flag(argc, argv, "json")) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "symbol", ct_feed_symbol(f));
        cJSON_AddNumberToObject(o, "interval_ms", (double)ct_feed_interval_ms(f));
        cJSON_AddNumberToObject(o, "rows", (double)n);
        if (n) {
            cJSON_AddNumberToObject(o, "first_time_ms", (double)first);
            cJSON_AddNumberToObject(o, "last_time_ms", (double)last);
        } else {
            cJSON_AddNullToObject(o, "first_time_ms");
            cJSON_AddNullToObject(o, "last_time_ms");
        }
        cJSON_AddNumberToObject(o, "missing_bars", (double)ct_feed_missing_bars(f));
        cJSON *g = cJSON_AddArrayToObject(o, "gaps");
        for (int64_t i = 0; i < ngaps; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "after_ms", (double)after[i]);
            cJSON_AddNumberToObject(e, "before_ms", (double)before[i]);
            cJSON_AddNumberToObject(e, "missing", (double)missing[i]);
            cJSON_AddItemToArray(g, e);
        }
        char *txt = cJSON_PrintUnformatted(o);
        printf("%s\n", txt);
        cJSON_free(txt);
        cJSON_Delete(o);
    } else {
        char b1[32], b2[32];
        const char *iname = ct_interval_name(ct_feed_interval_ms(f)) ? ct_interval_name(ct_feed_interval_ms(f)) : "custom";
        printf("file          %s\n", pos[0]);
        printf("symbol        %s\n", *ct_feed_symbol(f) ? ct_feed_symbol(f) : "(unknown)");
        printf("interval      %s (%lld ms)\n", iname, (long long)ct_feed_interval_ms(f));
        printf("rows          %lld\n", (long long)n);
        if (n) {
            printf("first         %s (%lld)\n", cli_fmt_time(first, b1, sizeof(b1)), (long long)first);
            printf("last          %s (%lld)\n", cli_fmt_time(last, b2, sizeof(b2)), (long long)last);
        }
        printf("gaps          %lld (%lld missing bars)\n", (long long)ngaps, (long long)ct_feed_missing_bars(f));
        for (int64_t i = 0; i < ngaps && i < 20; i++)
            printf("  after %s  missing %lld\n", cli_fmt_time(after[i], b1, sizeof(b1)), (long long)missing[i]);
        if (ngaps > 20)
            printf("  ... %lld more (use --json for all)\n", (long long)(ngaps - 20));
    }
    free(after), free(before), free(missing);
    ct_feed_destroy(f);
    return 0;
}
