/* Writes a small seed corpus for the feed fuzzers: CSV texts of each layout and .ctz images
 * (scaled and raw-double blocks, filled flags). Usage: make_feed_seeds CSV_DIR CTZ_DIR */
#include <stdio.h>
#include <string.h>

#include "cryptota/feed.h"

static void put(const char *dir, const char *name, const char *txt)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fputs(txt, f);
        fclose(f);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    put(argv[1], "hdr.csv", "open_time,open,high,low,close,volume\n1700000000000,100.5,101,99.25,100.75,12.5\n"
                            "1700000060000,100.75,102,100,101.5,0\n1700000240000,101,103,100.5,102,3\n");
    put(argv[1], "bin12.csv", "1735689600000000,93576.00,93610.93,93537.50,93610.93,8.21827,1735689659999999,"
                              "768978.48,1,2,3,0\r\n1735689660000000,93610.93,93652.00,93606.65,93642.01,12.19046,"
                              "1735689719999999,1141317.8,1,2,3,0\r\n");
    put(argv[1], "iso.csv", "time,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,1,2,1\n"
                            "2024-01-01 01:00:00.500+01:00,1,2,1,2,1e3\n");
    int64_t t[6] = {0, 60000, 120000, 300000, 360000, 420000};
    double o[6] = {10.5, 11, 12.25, 13, 14, 15}, h[6] = {11, 12.5, 13, 14, 15, 16}, l[6] = {10, 10.5, 12, 12, 13, 14};
    double c[6] = {11, 12.25, 13, 14, 15, 15.5}, v[6] = {1.5, 0, 2.25, 3, 4, 5};
    ct_feed *f, *g;
    char p[4096];
    if (ct_feed_from_arrays("SEED", 60000, t, o, h, l, c, v, 6, 0, &f) != CT_OK)
        return 1;
    snprintf(p, sizeof(p), "%s/scaled.ctz", argv[2]);
    ct_feed_save(f, p);
    if (ct_feed_apply_gaps(f, CT_GAPS_FILL, &g) == CT_OK) {
        snprintf(p, sizeof(p), "%s/filled.ctz", argv[2]);
        ct_feed_save(g, p);
        ct_feed_destroy(g);
    }
    ct_feed_destroy(f);
    double r[6] = {0.1 + 0.2, 1.0 / 3, 2.0 / 3, 0.7 + 0.1, 1.1 * 1.1, 3.3 * 3};
    if (ct_feed_from_arrays("RAW", 60000, t, r, r, r, r, r, 6, 0, &f) != CT_OK)
        return 1;
    snprintf(p, sizeof(p), "%s/raw.ctz", argv[2]);
    ct_feed_save(f, p);
    ct_feed_destroy(f);
    return 0;
}
