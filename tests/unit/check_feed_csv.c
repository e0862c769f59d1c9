/* CSV reader and writer: layouts, timestamps, every error path, .csv.zst, exactness vs strtod. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "test_util.h"
#include "feed/feed_internal.h"

static ct_feed *parse_ok(const char *txt, int32_t gaps)
{
    ct_feed *f = NULL;
    ck_assert_ok(ct_feed_parse_csv(txt, strlen(txt), "T", 0, gaps, &f));
    return f;
}

static void parse_fails(const char *txt, ct_status want, const char *needle)
{
    ct_feed *f = (ct_feed *)1;
    ck_assert_status(ct_feed_parse_csv(txt, strlen(txt), NULL, 0, CT_GAPS_KEEP, &f), want);
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(ct_last_error(), needle) != NULL, "want '%s' in '%s'", needle, ct_last_error());
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}

START_TEST(layout_header_and_no_header)
{
    const char *with = "open_time,open,high,low,close,volume\n"
                       "1700000000000,100.5,101,99.25,100.75,12.5\n"
                       "1700000060000,100.75,102,100,101.5,0\n";
    ct_feed *f = parse_ok(with, CT_GAPS_KEEP);
    ck_assert_int_eq(ct_feed_len(f), 2);
    ck_assert_int_eq(ct_feed_time(f)[1], 1700000060000LL);
    ck_assert_double_eq(ct_feed_low(f)[0], 99.25);
    ck_assert_double_eq(ct_feed_volume(f)[1], 0);
    ck_assert_int_eq(ct_feed_interval_ms(f), 60000); /* inferred */
    ck_assert_str_eq(ct_feed_symbol(f), "T");
    ct_feed_destroy(f);
    /* no header, CRLF, spaces around fields, blank trailing lines, no final newline variant */
    f = parse_ok("1700000000000, 100.5 ,101,99.25,100.75,12.5\r\n1700000060000,100.75,102,100,101.5,0\r\n\r\n\n", 0);
    ck_assert_int_eq(ct_feed_len(f), 2);
    ck_assert_double_eq(ct_feed_open(f)[0], 100.5);
    ct_feed_destroy(f);
    f = parse_ok("1700000000000,1,2,0.5,1.5,3", 0);
    ck_assert_int_eq(ct_feed_len(f), 1);
    ck_assert_int_eq(ct_feed_interval_ms(f), 0);
    ct_feed_destroy(f);
    f = parse_ok("\xEF\xBB\xBF" "date,open,high,low,close,volume\n1700000000000,1,2,0.5,1.5,3\n", 0);
    ck_assert_int_eq(ct_feed_len(f), 1);
    ct_feed_destroy(f);
    f = parse_ok("", 0);
    ck_assert_int_eq(ct_feed_len(f), 0);
    ct_feed_destroy(f);
    /* a byte order mark and nothing else, in a buffer of exactly its 3 bytes (found by fuzz_feed:
     * the reader looked one byte past the end), then on a line of its own before the header */
    char *bom = malloc(3);
    ck_assert_ptr_nonnull(bom);
    memcpy(bom, "\xEF\xBB\xBF", 3);
    f = NULL;
    ck_assert_ok(ct_feed_parse_csv(bom, 3, "T", 0, CT_GAPS_KEEP, &f));
    ck_assert_int_eq(ct_feed_len(f), 0);
    ct_feed_destroy(f);
    free(bom);
    f = parse_ok("\xEF\xBB\xBF \r\nopen_time,open,high,low,close,volume\n1700000000000,1,2,0.5,1.5,3\n", 0);
    ck_assert_int_eq(ct_feed_len(f), 1);
    ck_assert_double_eq(ct_feed_close(f)[0], 1.5);
    ct_feed_destroy(f);
}
END_TEST

/* Binance dump rows (data.binance.vision spot klines, 2025: open time in microseconds). */
START_TEST(layout_binance_12_columns)
{
    const char *ms = "1502942400000,4261.48,4313.62,4261.32,4308.83,47.181009,1502945999999,202366.138,171,35.160503,"
                     "150952.477,7887.6\n"
                     "1502946000000,4308.83,4328.69,4291.37,4315.32,23.234916,1502949599999,100304.823,102,21.448071,"
                     "92608.279,7887.6\n";
    ct_feed *f = parse_ok(ms, 0);
    ck_assert_int_eq(ct_feed_len(f), 2);
    ck_assert_double_eq(ct_feed_close(f)[1], 4315.32);
    ck_assert_double_eq(ct_feed_volume(f)[0], 47.181009);
    ck_assert_int_eq(ct_feed_interval_ms(f), 3600000);
    ct_feed_destroy(f);
    const char *us = "1735689600000000,93576.00,93610.93,93537.50,93610.93,8.21827,1735689659999999,768978.48,1,2,3,0\n"
                     "1735689660000000,93610.93,93652.00,93606.65,93642.01,12.19046,1735689719999999,1141317.8,1,2,3,0\n";
    f = parse_ok(us, 0);
    ck_assert_int_eq(ct_feed_time(f)[0], 1735689600000LL); /* 2025-01-01T00:00:00Z */
    ck_assert_int_eq(ct_feed_interval_ms(f), 60000);
    ct_feed_destroy(f);
}
END_TEST

START_TEST(iso_timestamps)
{
    /* 2024-01-01T00:00:00Z = 1704067200000 ms (19723 days * 86400000) */
    ct_feed *f = parse_ok("time,open,high,low,close,volume\n"
                          "2024-01-01T00:00:00Z,1,2,1,2,1\n"
                          "2024-01-01 01:00:00,1,2,1,2,1\n"
                          "2024-01-01T02:00:00.500Z,1,2,1,2,1\n"
                          "2024-01-01T05:00:00+02:00,1,2,1,2,1\n"
                          "2024-01-01T04:30-0000,1,2,1,2,1\n"
                          "2024-01-02,1,2,1,2,1\n",
                          0);
    const int64_t *t = ct_feed_time(f);
    ck_assert_int_eq(t[0], 1704067200000LL);
    ck_assert_int_eq(t[1], 1704067200000LL + 3600000);
    ck_assert_int_eq(t[2], 1704067200000LL + 7200500);
    ck_assert_int_eq(t[3], 1704067200000LL + 3 * 3600000); /* 05:00+02:00 = 03:00Z */
    ck_assert_int_eq(t[4], 1704067200000LL + 16200000);
    ck_assert_int_eq(t[5], 1704067200000LL + 86400000);
    ct_feed_destroy(f);
    /* leap day 2024-02-29 = day 19782 */
    f = parse_ok("2024-02-29T00:00:00Z,1,2,1,2,1\n", 0);
    ck_assert_int_eq(ct_feed_time(f)[0], 19782LL * 86400000);
    ct_feed_destroy(f);
    parse_fails("2023-02-29T00:00:00Z,1,2,1,2,1\n", CT_E_FORMAT, "line 1: '2023-02-29T00:00:00Z' is not a time");
    parse_fails("2024-01-01T24:00:00Z,1,2,1,2,1\n", CT_E_FORMAT, "is not a time in column open_time");
    parse_fails("2024-01-01T00:00:00.0001Z,1,2,1,2,1\n", CT_E_FORMAT, "is not a time");
    parse_fails("1735689600000123,1,2,1,2,1\n", CT_E_FORMAT, "microsecond time 1735689600000123 is not a whole millisecond");
}
END_TEST

START_TEST(format_errors)
{
    parse_fails("open_time,open,high,low,close,volume\n1,1,2,1,2,1\n2,1,2,1,2\n", CT_E_FORMAT,
                "line 3: expected 6 columns, found 5");
    parse_fails("1,1,2,1,2\n", CT_E_FORMAT, "line 1: expected 6 or 12 columns, found 5");
    parse_fails("1,1,2,1,2,1,7\n", CT_E_FORMAT, "line 1: expected 6 or 12 columns, found 7");
    parse_fails("a,b,c\n", CT_E_FORMAT, "line 1: header has 3 columns, expected 6 or 12");
    parse_fails("t,o,h,l,c,v\n1,1,2,1,2,1\n2,1,abc,1,2,1\n", CT_E_FORMAT, "line 3: 'abc' is not a number in column high");
    parse_fails("1,1,2,1,2,1\n2,1,2,1,2,\n", CT_E_FORMAT, "line 2: '' is not a number in column volume");
    parse_fails("1,1,2,1,2x,1\n", CT_E_FORMAT, "line 1: '2x' is not a number in column close");
    parse_fails("1,1,2,1,2,1\n\n3,1,2,1,2,1,0,0,0,0,0,0\n", CT_E_FORMAT, "line 3: expected 6 columns, found 12");
    parse_fails("x1,1,2,1,2,1\n1,1,2,1,2,1\nzz,1,2,1,2,1\n", CT_E_FORMAT, "line 3: 'zz' is not a time");
    parse_fails("-5,1,2,1,2,1\n", CT_E_FORMAT, "line 1: '-5' is not a time");
    parse_fails("9999999999999999999,1,2,1,2,1\n", CT_E_FORMAT, "line 1: time 9999999999999999999 is out of range");
    ct_feed *f;
    ck_assert_status(ct_feed_parse_csv("1,1,1,1,1,1", 11, NULL, -1, 0, &f), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_parse_csv("1,1,1,1,1,1", 11, NULL, 0, 9, &f), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_parse_csv(NULL, 11, NULL, 0, 0, &f), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_parse_csv("x", 1, NULL, 0, 0, NULL), CT_E_INVALID_ARG);
}
END_TEST

/* Every validation rule, reported as CT_E_DATA with the file line. */
START_TEST(validation_errors)
{
    const char *hdr = "open_time,open,high,low,close,volume\n1000,10,11,9,10,1\n";
    static const struct {
        const char *row;
        const char *needle;
    } cases[] = {
        {"1000,10,11,9,10,1", "line 3: time 1000 is not after the previous row's 1000 (rule: strictly increasing time)"},
        {"500,10,11,9,10,1", "line 3: time 500 is not after"},
        {"2000,0,11,9,10,1", "line 3: open 0 is not a finite price > 0"},
        {"2000,-1,11,-2,10,1", "line 3: open -1 is not a finite price > 0"},
        {"2000,nan,11,9,10,1", "line 3: open nan is not a finite price > 0"},
        {"2000,10,inf,9,10,1", "line 3: high inf is not a finite price > 0"},
        {"2000,10,11,0,10,1", "line 3: low 0 is not"},
        {"2000,10,11,9,0,1", "line 3: close 0 is not"},
        {"2000,10,11,9,10,-0.5", "line 3: volume -0.5 is not finite and >= 0"},
        {"2000,10,11,9,10,NaN", "line 3: volume nan"},
        {"2000,10,11,10.5,10.25,1", "line 3: low 10.5 is above min(open 10, close 10.25) (rule: low <= min(open, close))"},
        {"2000,10,11,9,11.5,1", "line 3: high 11 is below max(open 10, close 11.5) (rule: max(open, close) <= high)"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char txt[256];
        snprintf(txt, sizeof(txt), "%s%s\n", hdr, cases[k].row);
        parse_fails(txt, CT_E_DATA, cases[k].needle);
    }
}
END_TEST

START_TEST(gap_policy_after_load)
{
    const char *txt = "0,1,2,1,2,1\n60000,1,2,1,2,1\n240000,1,2,1,2,1\n";
    ct_feed *f = parse_ok(txt, CT_GAPS_FILL);
    ck_assert_int_eq(ct_feed_len(f), 5);
    ck_assert_int_eq(ct_feed_filled(f)[2], CT_ROW_FILLED);
    ct_feed_destroy(f);
    ck_assert_status(ct_feed_parse_csv(txt, strlen(txt), NULL, 0, CT_GAPS_ERROR, &f), CT_E_DATA);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "gap of 2 bars between rows 1 (time 60000) and 2 (time 240000)"));
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* The fast decimal path agrees bit for bit with strtod on hand-picked hard cases. */
START_TEST(number_exactness_cases)
{
    static const char *cases[] = {"0.1", "0.2", "0.3", "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308",
                                  "9007199254740993", "9007199254740992", "123456789012345678901234567890",
                                  "0.000000000000000000000123", "1e22", "1e23", "1.5E3", "0.1234567890123456789",
                                  "12345678901234567.5", "98765.4321", "-0.0", "+7.25", "00012.50", ".5", "5.",
                                  "0x1p3", "18446744073709551616", "1844674407370955161.6"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double a = 0, b = strtod(cases[i], NULL);
        ck_assert_msg(ct__csv_parse_double(cases[i], strlen(cases[i]), &a), "%s not parsed", cases[i]);
        ck_assert_msg(memcmp(&a, &b, sizeof(a)) == 0, "%s: %.17g vs strtod %.17g", cases[i], a, b);
    }
    double x;
    ck_assert(!ct__csv_parse_double("1.2.3", 5, &x));
    ck_assert(!ct__csv_parse_double("", 0, &x));
    ck_assert(!ct__csv_parse_double("-", 1, &x));
}
END_TEST


static void write_text(const char *path, const char *txt, int zst)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    if (zst) {
        size_t cap = ZSTD_compressBound(strlen(txt));
        void *z = malloc(cap);
        size_t n = ZSTD_compress(z, cap, txt, strlen(txt), 3);
        ck_assert(!ZSTD_isError(n));
        fwrite(z, 1, n, fp);
        free(z);
    } else {
        fputs(txt, fp);
    }
    fclose(fp);
}

START_TEST(files_names_and_zst)
{
    char path[4096];
    const char *txt = "open_time,open,high,low,close,volume\n0,1,2,1,2,1\n3600000,2,3,2,3,1\n";
    snprintf(path, sizeof(path), "%s/kraken_ETHUSDT_1h_whatever.csv", ct_test_tmpdir());
    write_text(path, txt, 0);
    ct_feed *f;
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &f));
    ck_assert_str_eq(ct_feed_symbol(f), "ETHUSDT");
    ck_assert_int_eq(ct_feed_interval_ms(f), 3600000);
    ct_feed_destroy(f);
    remove(path);
    snprintf(path, sizeof(path), "%s/SOLUSDT-4h.csv.zst", ct_test_tmpdir());
    write_text(path, "open_time,open,high,low,close,volume\n0,1,2,1,2,1\n", 1); /* one row: no step to infer */
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &f));
    ck_assert_str_eq(ct_feed_symbol(f), "SOLUSDT");
    ck_assert_int_eq(ct_feed_interval_ms(f), 4 * 3600000); /* from the name */
    ck_assert_int_eq(ct_feed_len(f), 1);
    ct_feed_destroy(f);
    remove(path);
    /* a name that claims 1h over rows one minute apart: the data wins */
    snprintf(path, sizeof(path), "%s/BTCUSDT_1h.csv", ct_test_tmpdir());
    write_text(path, "0,1,2,1,2,1\n60000,1,2,1,2,1\n180000,1,2,1,2,1\n", 0);
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &f));
    ck_assert_int_eq(ct_feed_interval_ms(f), 60000);
    ck_assert_int_eq(ct_feed_missing_bars(f), 1);
    ct_feed_destroy(f);
    ck_assert_status(ct_feed_load(path, CT_GAPS_ERROR, &f), CT_E_DATA);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "BTCUSDT_1h.csv: gap of 1 bars"));
    remove(path);
    snprintf(path, sizeof(path), "%s/data.csv", ct_test_tmpdir());
    write_text(path, "t,o,h,l,c,v\n0,1,2,1,2,1\n5,1,2,1,2\n", 0);
    ck_assert_status(ct_feed_load(path, CT_GAPS_KEEP, &f), CT_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "data.csv: line 3: expected 6 columns, found 5"));
    remove(path);
    /* a truncated .csv.zst */
    snprintf(path, sizeof(path), "%s/trunc.csv.zst", ct_test_tmpdir());
    {
        size_t len;
        char *z = NULL;
        FILE *in = fopen(ct_test_data("binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"), "rb");
        ck_assert_ptr_nonnull(in);
        z = malloc(1 << 20);
        len = fread(z, 1, 1 << 20, in);
        fclose(in);
        FILE *out = fopen(path, "wb");
        fwrite(z, 1, len / 2, out);
        fclose(out);
        free(z);
    }
    ck_assert_status(ct_feed_load(path, CT_GAPS_KEEP, &f), CT_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "truncated"));
    remove(path);
    ck_assert_status(ct_feed_load("/nonexistent/x.csv", CT_GAPS_KEEP, &f), CT_E_IO);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "/nonexistent/x.csv"));
    ck_assert_status(ct_feed_load("x.parquet", CT_GAPS_KEEP, &f), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_load(NULL, CT_GAPS_KEEP, &f), CT_E_INVALID_ARG);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* The streaming .csv.zst reader gives the same feed as parsing the decompressed text. */
START_TEST(zst_streaming_equals_memory)
{
    const char *name = "binance_BTCUSDT_5m_2024-03-01_2025-07-02.csv.zst";
    size_t len;
    char *txt = ct_test_read_file(ct_test_data(name), &len);
    ct_feed *a, *b;
    ck_assert_ok(ct_feed_parse_csv(txt, len, NULL, 0, CT_GAPS_KEEP, &a));
    ck_assert_ok(ct_feed_load(ct_test_data(name), CT_GAPS_KEEP, &b));
    ck_assert_int_eq(ct_feed_len(a), 140614);
    ck_assert_int_eq(ct_feed_len(b), 140614);
    ck_assert_str_eq(ct_feed_symbol(b), "BTCUSDT");
    ck_assert_int_eq(ct_feed_interval_ms(b), 300000);
    size_t n = (size_t)ct_feed_len(a);
    ck_assert(memcmp(ct_feed_time(a), ct_feed_time(b), n * 8) == 0);
    for (int c = 0; c < 5; c++)
        ck_assert(memcmp(ct_feed_column(a, c), ct_feed_column(b, c), n * 8) == 0);
    ct_feed_destroy(a);
    ct_feed_destroy(b);
    free(txt);
}
END_TEST

/* The writer's text is byte-identical to the shared files (shortest round-trip decimals). */
START_TEST(writer_round_trip)
{
    const char *names[] = {"binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst",
                           "binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"};
    for (int k = 0; k < 2; k++) {
        ct_feed *f, *g;
        ck_assert_ok(ct_feed_load(ct_test_data(names[k]), CT_GAPS_KEEP, &f));
        char path[4096];
        snprintf(path, sizeof(path), "%s/out_%d.csv", ct_test_tmpdir(), k);
        ck_assert_ok(ct_feed_save(f, path));
        size_t la, lb;
        char *a = ct_test_read_file(ct_test_data(names[k]), &la);
        char *b = ct_test_read_file(path, &lb);
        ck_assert_uint_eq(la, lb);
        ck_assert(memcmp(a, b, la) == 0);
        free(a);
        free(b);
        snprintf(path, sizeof(path), "%s/out_%d.csv.zst", ct_test_tmpdir(), k);
        ck_assert_ok(ct_feed_save(f, path));
        ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &g));
        ck_assert_int_eq(ct_feed_len(g), ct_feed_len(f));
        for (int c = 0; c < 5; c++)
            ck_assert(memcmp(ct_feed_column(f, c), ct_feed_column(g, c), (size_t)ct_feed_len(f) * 8) == 0);
        remove(path);
        ct_feed_destroy(g);
        ct_feed_destroy(f);
    }
    /* values with no short decimal form (0.1 + 0.2) and large/small magnitudes still round-trip */
    int64_t t[3] = {0, 1, 2};
    double o[3] = {0.1 + 0.2, 1e-9, 123456789012345678.0}, v[3] = {1.0 / 3, 0, 2.5e20};
    ct_feed *f, *g;
    ck_assert_ok(ct_feed_from_arrays("R", 1, t, o, o, o, o, v, 3, 0, &f));
    char path[4096];
    snprintf(path, sizeof(path), "%s/odd.csv", ct_test_tmpdir());
    ck_assert_ok(ct_feed_save(f, path));
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &g));
    for (int c = 0; c < 5; c++)
        ck_assert(memcmp(ct_feed_column(f, c), ct_feed_column(g, c), 3 * 8) == 0);
    remove(path);
    ct_feed_destroy(g);
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* Integer CSV times above 1e14 read as microseconds and negative ones not at all, so the writer
 * refuses them rather than write a file that loads back other times (divided by 1000: the
 * feed at 2e14 ms came back at 2e11 ms) or fails to load. The largest time that reads back as
 * milliseconds, 1e14, and 0 still round-trip. */
START_TEST(writer_refuses_times_it_cannot_read_back)
{
    const char *exts[] = {"csv", "csv.zst"};
    const int64_t bad[][2] = {{200000000000000LL, 200000000060000LL}, {-120000, -60000}, {0, INT64_MAX}};
    double o[2] = {1, 2}, h[2] = {1.5, 2.5}, l[2] = {0.5, 1.5}, c[2] = {1.25, 2.25}, v[2] = {3, 4};
    char path[4096];
    for (int e = 0; e < 2; e++) {
        snprintf(path, sizeof(path), "%s/times.%s", ct_test_tmpdir(), exts[e]);
        remove(path);
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
            ct_feed *f;
            ck_assert_ok(ct_feed_from_arrays("T", 0, bad[k], o, h, l, c, v, 2, 0, &f));
            ck_assert_status(ct_feed_save(f, path), CT_E_RANGE);
            char want[96];
            int row = bad[k][0] < 0 || bad[k][0] > 100000000000000LL ? 0 : 1;
            snprintf(want, sizeof(want), "row %d: time %lld cannot be written as CSV", row, (long long)bad[k][row]);
            ck_assert_msg(strstr(ct_last_error(), want) != NULL, "%s", ct_last_error());
            ck_assert_int_ne(access(path, F_OK), 0); /* nothing written */
            ct_feed_destroy(f);
        }
        const int64_t good[2] = {0, 100000000000000LL};
        ct_feed *f, *g;
        ck_assert_ok(ct_feed_from_arrays("T", 0, good, o, h, l, c, v, 2, 0, &f));
        ck_assert_ok(ct_feed_save(f, path));
        ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &g));
        ck_assert_int_eq(ct_feed_len(g), 2);
        ck_assert_int_eq(ct_feed_time(g)[0], 0);
        ck_assert_int_eq(ct_feed_time(g)[1], 100000000000000LL);
        for (int col = 0; col < 5; col++)
            ck_assert(memcmp(ct_feed_column(f, col), ct_feed_column(g, col), 2 * sizeof(double)) == 0);
        ct_feed_destroy(g);
        ct_feed_destroy(f);
        remove(path);
    }
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* A .csv.zst of zero bytes is a cut stream (`zstd -d`: unexpected end of file), not an empty
 * table: it used to load as a feed of 0 rows. An empty .csv is still an empty feed, and a
 * valid zstd frame of no text too. A directory named like a candle file is an I/O error (its
 * ftell "size", LONG_MAX, used to size the first reservation: an 8 EiB allocation). */
START_TEST(empty_zst_and_directories)
{
    char path[4096];
    ct_feed *f = NULL;
    snprintf(path, sizeof(path), "%s/empty.csv.zst", ct_test_tmpdir());
    write_text(path, "", 0);
    ck_assert_status(ct_feed_load(path, CT_GAPS_KEEP, &f), CT_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "empty.csv.zst': zstd stream is truncated (the file is empty)"));
    ck_assert_ptr_null(f);
    write_text(path, "", 1); /* one frame holding no text */
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &f));
    ck_assert_int_eq(ct_feed_len(f), 0);
    ct_feed_destroy(f);
    write_text(path, "open_time,open,high,low,close,volume\n", 1);
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &f));
    ck_assert_int_eq(ct_feed_len(f), 0);
    ct_feed_destroy(f);
    remove(path);
    snprintf(path, sizeof(path), "%s/empty.csv", ct_test_tmpdir());
    write_text(path, "", 0);
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &f));
    ck_assert_int_eq(ct_feed_len(f), 0);
    ct_feed_destroy(f);
    remove(path);
    const char *dirs[] = {"dir.csv", "dir.csv.zst", "BTCUSDT_1h.csv"};
    for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
        snprintf(path, sizeof(path), "%s/%s", ct_test_tmpdir(), dirs[k]);
        ck_assert_int_eq(mkdir(path, 0755), 0);
        f = NULL;
        ck_assert_status(ct_feed_load(path, CT_GAPS_KEEP, &f), CT_E_IO);
        char want[128];
        snprintf(want, sizeof(want), "%s': it is a directory", dirs[k]);
        ck_assert_msg(strstr(ct_last_error(), want) != NULL, "%s", ct_last_error());
        ck_assert_ptr_null(f);
        rmdir(path);
    }
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("feed_csv");
    TCase *tc = tcase_create("csv");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, layout_header_and_no_header);
    tcase_add_test(tc, layout_binance_12_columns);
    tcase_add_test(tc, iso_timestamps);
    tcase_add_test(tc, format_errors);
    tcase_add_test(tc, validation_errors);
    tcase_add_test(tc, gap_policy_after_load);
    tcase_add_test(tc, number_exactness_cases);
    tcase_add_test(tc, files_names_and_zst);
    tcase_add_test(tc, zst_streaming_equals_memory);
    tcase_add_test(tc, writer_round_trip);
    tcase_add_test(tc, writer_refuses_times_it_cannot_read_back);
    tcase_add_test(tc, empty_zst_and_directories);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
