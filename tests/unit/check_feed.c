/* ct_feed construction: arrays (copy and borrow), append, validation rules, gaps and gap policy,
 * slice, allocator failure for every constructor. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* Four valid hourly bars (hand-made; each satisfies low <= min(o,c) <= max(o,c) <= high). */
#define H 3600000LL
static const int64_t T4[4] = {0, H, 2 * H, 3 * H};
static const double O4[4] = {10, 11, 12, 13};
static const double H4[4] = {11.5, 12.5, 13.5, 14.5};
static const double L4[4] = {9.5, 10.5, 11.5, 12.5};
static const double C4[4] = {11, 12, 13, 14};
static const double V4[4] = {1, 2, 0, 4};

START_TEST(arrays_copy_and_accessors)
{
    ct_feed *f;
    ck_assert_ok(ct_feed_from_arrays("BTCUSDT", 0, T4, O4, H4, L4, C4, V4, 4, 0, &f));
    ck_assert_int_eq(ct_feed_len(f), 4);
    ck_assert_str_eq(ct_feed_symbol(f), "BTCUSDT");
    ck_assert_int_eq(ct_feed_interval_ms(f), H); /* inferred: smallest step */
    ck_assert_ptr_ne(ct_feed_time(f), T4);        /* copied */
    ck_assert_double_eq(ct_feed_close(f)[3], 14);
    ck_assert_double_eq(ct_feed_column(f, CT_FIELD_HIGH)[1], 12.5);
    ck_assert_ptr_null(ct_feed_column(f, 99));
    ck_assert_ptr_null(ct_feed_filled(f));
    ck_assert_int_eq(ct_feed_lower_bound(f, H), 1);
    ck_assert_int_eq(ct_feed_lower_bound(f, H + 1), 2);
    ck_assert_int_eq(ct_feed_lower_bound(f, 99 * H), 4);
    ck_assert_ok(ct_feed_set_symbol(f, "ETHUSDT"));
    ck_assert_str_eq(ct_feed_symbol(f), "ETHUSDT");
    ct_feed_destroy(f);
    ct_feed_destroy(NULL);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

START_TEST(arrays_borrow)
{
    ct_feed *f;
    ck_assert_ok(ct_feed_from_arrays("X", H, T4, O4, H4, L4, C4, V4, 4, CT_FEED_BORROW, &f));
    ck_assert_ptr_eq(ct_feed_time(f), T4); /* zero-copy */
    ck_assert_ptr_eq(ct_feed_volume(f), V4);
    int64_t t = 4 * H;
    double one = 20;
    ck_assert_status(ct_feed_append(f, &t, &one, &one, &one, &one, &one, 1), CT_E_STATE);
    ck_assert_ptr_nonnull(strstr(ct_feed_errmsg(f), "borrow"));
    ct_feed *fill;
    ck_assert_ok(ct_feed_apply_gaps(f, CT_GAPS_FILL, &fill)); /* clone owns its columns */
    ck_assert_int_eq(ct_feed_len(fill), 4);
    ct_feed_destroy(fill);
    ct_feed_destroy(f);
    ck_assert_status(ct_feed_from_arrays("X", H, T4, O4, H4, L4, C4, V4, 4, 0x80, &f), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_from_arrays("X", H, T4, NULL, H4, L4, C4, V4, 4, 0, &f), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_from_arrays("X", H, T4, O4, H4, L4, C4, V4, -1, 0, &f), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_from_arrays("X", H, T4, O4, H4, L4, C4, V4, 4, 0, NULL), CT_E_INVALID_ARG);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

START_TEST(append_rows)
{
    ct_feed *f;
    ck_assert_ok(ct_feed_create("S", 0, &f));
    ck_assert_int_eq(ct_feed_interval_ms(f), 0);
    ck_assert_ok(ct_feed_append(f, T4, O4, H4, L4, C4, V4, 2));
    ck_assert_int_eq(ct_feed_interval_ms(f), H);
    ck_assert_ok(ct_feed_append(f, T4 + 2, O4 + 2, H4 + 2, L4 + 2, C4 + 2, V4 + 2, 2));
    ck_assert_int_eq(ct_feed_len(f), 4);
    /* a row not after the last one fails and nothing is appended */
    ck_assert_status(ct_feed_append(f, T4, O4, H4, L4, C4, V4, 1), CT_E_DATA);
    ck_assert_ptr_nonnull(strstr(ct_feed_errmsg(f), "strictly increasing"));
    ck_assert_int_eq(ct_feed_len(f), 4);
    /* many rows: growth past the first capacity */
    for (int i = 0; i < 5000; i++) {
        int64_t t = (4 + i) * H;
        double p = 100 + i;
        ck_assert_ok(ct_feed_append(f, &t, &p, &p, &p, &p, &p, 1));
    }
    ck_assert_int_eq(ct_feed_len(f), 5004);
    ck_assert_double_eq(ct_feed_close(f)[5003], 5099);
    ct_feed_destroy(f);
    ck_assert_status(ct_feed_create("S", -1, &f), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_append(NULL, T4, O4, H4, L4, C4, V4, 1), CT_E_INVALID_ARG);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* Each rule of DESIGN.md section 3, broken in row 2; the message names the row and the rule. */
START_TEST(validation_rules)
{
    static const struct {
        int64_t t;
        double o, h, l, c, v;
        const char *needle;
    } bad[] = {
        {H, 12, 13, 11, 12, 1, "strictly increasing"},     /* same time as row 1 */
        {0, 12, 13, 11, 12, 1, "strictly increasing"},     /* earlier */
        {9 * H, 0, 13, 11, 12, 1, "open 0 is not a finite price > 0"},
        {9 * H, -1, 13, -2, 12, 1, "open -1 is not a finite price > 0"},
        {9 * H, NAN, 13, 11, 12, 1, "open nan"},
        {9 * H, 12, INFINITY, 11, 12, 1, "high inf"},
        {9 * H, 12, 13, 0, 12, 1, "low 0"},
        {9 * H, 12, 13, 11, NAN, 1, "close nan"},
        {9 * H, 12, 13, 11, 12, -1, "volume -1 is not finite and >= 0"},
        {9 * H, 12, 13, 11, 12, INFINITY, "volume inf"},
        {9 * H, 12, 13, 12.5, 13, 1, "rule: low <= min(open, close)"},
        {9 * H, 12, 13, 11, 13.5, 1, "rule: max(open, close) <= high"},
        {9 * H, 14, 13, 11, 12, 1, "rule: max(open, close) <= high"},
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        int64_t t[3] = {0, H, bad[k].t};
        double o[3] = {10, 11, bad[k].o}, h[3] = {11, 12, bad[k].h}, l[3] = {9, 10, bad[k].l};
        double c[3] = {10, 11, bad[k].c}, v[3] = {1, 1, bad[k].v};
        ct_feed *f = (ct_feed *)1;
        ck_assert_status(ct_feed_from_arrays("X", H, t, o, h, l, c, v, 3, 0, &f), CT_E_DATA);
        ck_assert_ptr_null(f);
        ck_assert_msg(strstr(ct_last_error(), "row 2:") != NULL, "case %zu: %s", k, ct_last_error());
        ck_assert_msg(strstr(ct_last_error(), bad[k].needle) != NULL, "case %zu: %s", k, ct_last_error());
    }
    /* a first time of INT64_MIN was refused as "not after the previous row's" (there is none):
     * that value marks "no previous row", so it is named as out of range; one above it is a time */
    int64_t t2[2] = {INT64_MIN, INT64_MIN + H};
    double p2[2] = {10, 10}, v2[2] = {1, 1};
    ct_feed *f = NULL;
    ck_assert_status(ct_feed_from_arrays("X", H, t2, p2, p2, p2, p2, v2, 2, 0, &f), CT_E_DATA);
    ck_assert_str_eq(ct_last_error(), "row 0: time -9223372036854775808 is out of range (it must be above the least 64-bit value)");
    t2[0] = INT64_MIN + 1;
    t2[1] = INT64_MIN + 1 + H;
    ck_assert_ok(ct_feed_from_arrays("X", H, t2, p2, p2, p2, p2, v2, 2, 0, &f));
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

START_TEST(intervals)
{
    int64_t ms;
    ck_assert_ok(ct_interval_parse("1m", &ms));
    ck_assert_int_eq(ms, 60000);
    ck_assert_ok(ct_interval_parse("1M", &ms));
    ck_assert_int_eq(ms, 30LL * 86400000);
    ck_assert_ok(ct_interval_parse("1w", &ms));
    ck_assert_int_eq(ms, 7LL * 86400000);
    ck_assert_status(ct_interval_parse("7m", &ms), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "'7m'"));
    ck_assert_str_eq(ct_interval_name(3600000), "1h");
    ck_assert_ptr_null(ct_interval_name(7));
}
END_TEST

/* Hourly bars at hours 0,1,4,5,9: gaps after 1 (2 missing) and after 5 (3 missing). */
static ct_feed *gappy(void)
{
    int64_t t[5] = {0, H, 4 * H, 5 * H, 9 * H};
    double o[5] = {1, 2, 3, 4, 5}, h[5] = {2, 3, 4, 5, 6}, l[5] = {1, 2, 3, 4, 5}, c[5] = {2, 3, 4, 5, 6};
    double v[5] = {1, 1, 1, 1, 1};
    ct_feed *f;
    ck_assert_ok(ct_feed_from_arrays("G", H, t, o, h, l, c, v, 5, 0, &f));
    return f;
}

START_TEST(gaps_keep_fill_error)
{
    ct_feed *f = gappy();
    int64_t n, a[4], b[4], m[4];
    ck_assert_ok(ct_feed_gaps(f, NULL, NULL, NULL, 0, &n));
    ck_assert_int_eq(n, 2);
    ck_assert_ok(ct_feed_gaps(f, a, b, m, 4, &n));
    ck_assert_int_eq(a[0], H);
    ck_assert_int_eq(b[0], 4 * H);
    ck_assert_int_eq(m[0], 2);
    ck_assert_int_eq(a[1], 5 * H);
    ck_assert_int_eq(m[1], 3);
    ck_assert_int_eq(ct_feed_missing_bars(f), 5);
    ck_assert_status(ct_feed_gaps(f, NULL, b, m, 4, &n), CT_E_INVALID_ARG);

    ct_feed *g;
    ck_assert_ok(ct_feed_apply_gaps(f, CT_GAPS_FILL, &g));
    ck_assert_int_eq(ct_feed_len(g), 10); /* 5 rows + 5 filled */
    ck_assert_int_eq(ct_feed_missing_bars(g), 0);
    const uint8_t *fl = ct_feed_filled(g);
    ck_assert_ptr_nonnull(fl);
    /* hour 2 and 3 are flat at the close of hour 1 (3), volume 0 */
    ck_assert_int_eq(fl[1], 0);
    ck_assert_int_eq(fl[2], CT_ROW_FILLED);
    ck_assert_int_eq(fl[3], CT_ROW_FILLED);
    ck_assert_int_eq(fl[4], 0);
    ck_assert_int_eq(ct_feed_time(g)[2], 2 * H);
    ck_assert_double_eq(ct_feed_open(g)[2], 3);
    ck_assert_double_eq(ct_feed_high(g)[3], 3);
    ck_assert_double_eq(ct_feed_volume(g)[3], 0);
    ct_feed_destroy(g);

    ck_assert_status(ct_feed_apply_gaps(f, CT_GAPS_ERROR, &g), CT_E_DATA);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "gap of 2 bars between rows 1 (time 3600000) and 2 (time 14400000)"));
    ck_assert_status(ct_feed_apply_gaps(f, 7, &g), CT_E_INVALID_ARG);
    ct_feed_destroy(f);

    /* a time far off (year ~24000; (700000000240000 - 60000 - 1) / 60000 = 11666666669 missing
     * bars) must not make FILL allocate billions of bars; extreme int64
     * times do not overflow the gap arithmetic */
    int64_t tf[3] = {0, 60000, 700000000240000LL};
    int64_t tx[3] = {INT64_MIN + 1, 0, INT64_MAX};
    double p3[3] = {1, 1, 1};
    ck_assert_ok(ct_feed_from_arrays("F", 60000, tf, p3, p3, p3, p3, p3, 3, 0, &f));
    ck_assert_status(ct_feed_apply_gaps(f, CT_GAPS_FILL, &g), CT_E_DATA);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "11666666669 missing bars exceed the limit of 1000012"));
    ct_feed_destroy(f);
    ck_assert_ok(ct_feed_from_arrays("X", 1, tx, p3, p3, p3, p3, p3, 3, 0, &f));
    ck_assert_int_eq(ct_feed_missing_bars(f), INT64_MAX); /* saturated */
    ck_assert_ok(ct_feed_gaps(f, a, b, m, 4, &n));
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(m[0], INT64_MAX - 1); /* (2^63 - 1 - 1) / 1 bars between INT64_MIN + 1 and 0 */
    ck_assert_status(ct_feed_apply_gaps(f, CT_GAPS_FILL, &g), CT_E_DATA);
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* The shared BTC 1h file has 28 gaps / 128 missing bars, ETH 1h 27 / 127 (data/README.md). */
START_TEST(gaps_real_files)
{
    ct_feed *f;
    int64_t n;
    ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"), CT_GAPS_KEEP, &f));
    ck_assert_int_eq(ct_feed_len(f), 58419);
    ck_assert_ok(ct_feed_gaps(f, NULL, NULL, NULL, 0, &n));
    ck_assert_int_eq(n, 28);
    ck_assert_int_eq(ct_feed_missing_bars(f), 128);
    ct_feed_destroy(f);
    ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"), CT_GAPS_FILL, &f));
    ck_assert_int_eq(ct_feed_len(f), 58419 + 128);
    int64_t nfilled = 0;
    for (int64_t i = 0; i < ct_feed_len(f); i++)
        nfilled += ct_feed_filled(f)[i] == CT_ROW_FILLED;
    ck_assert_int_eq(nfilled, 128);
    ck_assert_int_eq(ct_feed_missing_bars(f), 0);
    ct_feed_destroy(f);
    ck_assert_status(ct_feed_load(ct_test_data("binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst"), CT_GAPS_ERROR, &f),
                     CT_E_DATA);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "gap of"));
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "binance_ETHUSDT_1h"));
    ck_assert_ok(ct_feed_load(ct_test_data("binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst"), CT_GAPS_KEEP, &f));
    ck_assert_ok(ct_feed_gaps(f, NULL, NULL, NULL, 0, &n));
    ck_assert_int_eq(n, 27);
    ck_assert_int_eq(ct_feed_missing_bars(f), 127);
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

START_TEST(slice_rows)
{
    ct_feed *f, *s;
    ck_assert_ok(ct_feed_from_arrays("S", H, T4, O4, H4, L4, C4, V4, 4, 0, &f));
    ck_assert_ok(ct_feed_slice(f, H, 3 * H, &s)); /* [1h, 3h): rows 1 and 2 */
    ck_assert_int_eq(ct_feed_len(s), 2);
    ck_assert_int_eq(ct_feed_time(s)[0], H);
    ck_assert_double_eq(ct_feed_close(s)[1], 13);
    ck_assert_str_eq(ct_feed_symbol(s), "S");
    ck_assert_int_eq(ct_feed_interval_ms(s), H);
    ct_feed_destroy(s);
    ck_assert_ok(ct_feed_slice(f, 10 * H, 20 * H, &s));
    ck_assert_int_eq(ct_feed_len(s), 0);
    ck_assert_ptr_null(ct_feed_time(s));
    ct_feed_destroy(s);
    ck_assert_status(ct_feed_slice(f, 2 * H, H, &s), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_slice(NULL, 0, H, &s), CT_E_INVALID_ARG);
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* The calls that only read a feed (gaps, resample, slice, save) may run on several threads at
 * once (feed.h), so a failure goes to the calling thread's ct_last_error only and leaves the
 * feed's message as the last failing call that changes the feed left it. */
START_TEST(readonly_failures_keep_feed_message)
{
    ct_feed *f, *r = NULL;
    ck_assert_ok(ct_feed_from_arrays("S", H, T4, O4, H4, L4, C4, V4, 4, 0, &f));
    ck_assert_status(ct_feed_append(f, T4, O4, H4, L4, C4, V4, 1), CT_E_DATA); /* recorded on f */
    char kept[512];
    snprintf(kept, sizeof(kept), "%s", ct_feed_errmsg(f));
    ck_assert_ptr_nonnull(strstr(kept, "strictly increasing"));
    int64_t n, a[1];
    ck_assert_status(ct_feed_gaps(f, a, NULL, NULL, 1, &n), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_feed_gaps: cap 1 needs non-NULL after_ms, before_ms and missing");
    ck_assert_str_eq(ct_feed_errmsg(f), kept);
    ck_assert_status(ct_feed_resample(f, H + 1, 0, &r), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "interval_ms 3600001 is not a positive multiple"));
    ck_assert_status(ct_feed_resample(f, 2 * H, 0x10, &r), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_feed_resample: unknown flags 0x10");
    ck_assert_ptr_null(r);
    ck_assert_str_eq(ct_feed_errmsg(f), kept);
    ck_assert_status(ct_feed_slice(f, 2 * H, H, &r), CT_E_INVALID_ARG);
    ck_assert_str_eq(ct_last_error(), "ct_feed_slice: end_ms 3600000 is before start_ms 7200000");
    ck_assert_ptr_null(r);
    ck_assert_str_eq(ct_feed_errmsg(f), kept);
    ck_assert_status(ct_feed_save(f, "feed.txt"), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "'feed.txt': unknown file type"));
    char path[4200];
    snprintf(path, sizeof(path), "%s/no/such/dir/f.ctz", ct_test_tmpdir());
    ck_assert_status(ct_feed_save(f, path), CT_E_IO);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "cannot create a temporary file next to"));
    ck_assert_str_eq(ct_feed_errmsg(f), kept);
    ct_feed_destroy(f);
    /* a bucket whose volume sum overflows: CT_E_RANGE, in ct_last_error only */
    double big[2] = {DBL_MAX, DBL_MAX}, p2[2] = {1, 1};
    ck_assert_ok(ct_feed_from_arrays("S", H, T4, p2, p2, p2, p2, big, 2, 0, &f));
    ck_assert_status(ct_feed_resample(f, 2 * H, 0, &r), CT_E_RANGE);
    ck_assert_str_eq(ct_last_error(), "ct_feed_resample: volume of the bucket at 0 overflows");
    ck_assert_str_eq(ct_feed_errmsg(f), "");
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* ct_feed_filled is NULL when no row carries a flag, also for copies of a filled feed: a slice
 * (and a clone of it) without filled rows has no flag array. */
START_TEST(copies_without_flags_have_no_flag_array)
{
    ct_feed *f = gappy(), *g, *s, *c;
    ck_assert_ok(ct_feed_apply_gaps(f, CT_GAPS_FILL, &g)); /* hours 0..9, 2, 3, 6, 7, 8 filled */
    ck_assert_ok(ct_feed_slice(g, 4 * H, 6 * H, &s));      /* hours 4 and 5: no filled row */
    ck_assert_int_eq(ct_feed_len(s), 2);
    ck_assert_ptr_null(ct_feed_filled(s));
    ck_assert_ok(ct_feed_clone(s, &c));
    ck_assert_ptr_null(ct_feed_filled(c));
    ct_feed_destroy(c);
    ct_feed_destroy(s);
    ck_assert_ok(ct_feed_slice(g, H, 3 * H, &s)); /* hours 1 and 2: hour 2 is filled */
    ck_assert_ptr_nonnull(ct_feed_filled(s));
    ck_assert_int_eq(ct_feed_filled(s)[0], 0);
    ck_assert_int_eq(ct_feed_filled(s)[1], CT_ROW_FILLED);
    ck_assert_ok(ct_feed_clone(s, &c));
    ck_assert_ptr_nonnull(ct_feed_filled(c));
    ck_assert_int_eq(ct_feed_filled(c)[1], CT_ROW_FILLED);
    ct_feed_destroy(c);
    ct_feed_destroy(s);
    ct_feed_destroy(g);
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* Every constructor under a failing allocator: CT_E_NOMEM at each allocation, nothing leaked. */
typedef ct_status (*ctor_fn)(ct_feed *src, ct_feed **out);

static ct_status c_create(ct_feed *src, ct_feed **out) { (void)src; return ct_feed_create("BTCUSDT", H, out); }
static ct_status c_arrays(ct_feed *src, ct_feed **out)
{
    (void)src;
    return ct_feed_from_arrays("BTCUSDT", H, T4, O4, H4, L4, C4, V4, 4, 0, out);
}
static ct_status c_borrow(ct_feed *src, ct_feed **out)
{
    (void)src;
    return ct_feed_from_arrays("BTCUSDT", H, T4, O4, H4, L4, C4, V4, 4, CT_FEED_BORROW, out);
}
static ct_status c_clone(ct_feed *src, ct_feed **out) { return ct_feed_clone(src, out); }
static ct_status c_fill(ct_feed *src, ct_feed **out) { return ct_feed_apply_gaps(src, CT_GAPS_FILL, out); }
static ct_status c_slice(ct_feed *src, ct_feed **out) { return ct_feed_slice(src, H, 5 * H, out); }
static ct_status c_resample(ct_feed *src, ct_feed **out) { return ct_feed_resample(src, 2 * H, CT_RESAMPLE_PARTIAL, out); }
static ct_status c_csv(ct_feed *src, ct_feed **out)
{
    (void)src;
    static const char txt[] = "open_time,open,high,low,close,volume\n0,1,2,1,2,1\n3600000,2,3,2,3,1\n";
    return ct_feed_parse_csv(txt, sizeof(txt) - 1, "X", 0, CT_GAPS_FILL, out);
}
static char g_ctz_path[4096];
static ct_status c_load_zst(ct_feed *src, ct_feed **out)
{
    (void)src;
    return ct_feed_load(ct_test_data("binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"), CT_GAPS_FILL, out);
}
static ct_status c_load_ctz(ct_feed *src, ct_feed **out)
{
    (void)src;
    return ct_feed_load(g_ctz_path, CT_GAPS_KEEP, out);
}
static ct_status c_save(ct_feed *src, ct_feed **out)
{
    /* saving allocates too; it is not a constructor, so hand back a clone on success */
    ct_status s = ct_feed_save(src, g_ctz_path);
    return s != CT_OK ? s : ct_feed_clone(src, out);
}
static ct_status c_append(ct_feed *src, ct_feed **out)
{
    (void)src;
    ct_status s = ct_feed_create("A", H, out);
    if (s != CT_OK)
        return s;
    if ((s = ct_feed_append(*out, T4, O4, H4, L4, C4, V4, 4)) != CT_OK) {
        ct_feed_destroy(*out);
        *out = NULL;
    }
    return s;
}

START_TEST(oom_every_constructor)
{
    const ctor_fn fns[] = {c_create, c_arrays, c_borrow,   c_clone,    c_fill, c_slice, c_resample,
                           c_csv,    c_append, c_load_zst, c_load_ctz, c_save};
    const char *names[] = {"create", "arrays", "borrow", "clone", "fill", "slice", "resample",
                           "csv", "append", "load .csv.zst", "load .ctz", "save .ctz"};
    snprintf(g_ctz_path, sizeof(g_ctz_path), "%s/oom.ctz", ct_test_tmpdir());
    {
        ct_feed *d;
        ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"), CT_GAPS_KEEP, &d));
        ck_assert_ok(ct_feed_save(d, g_ctz_path));
        ct_feed_destroy(d);
    }
    /* The allocator can only be swapped while nothing is live, so each trial builds its source
     * feed under the failing allocator too, after counting the allocations that takes. */
    ct_test_failalloc_install(INT64_MAX);
    ct_feed_destroy(gappy());
    int64_t k_src = ct_test_failalloc_count();
    ct_test_failalloc_remove();
    for (size_t k = 0; k < sizeof(fns) / sizeof(fns[0]); k++) {
        for (int64_t fail_at = 0;; fail_at++) {
            ct_feed *out = NULL;
            ct_test_failalloc_install(k_src + fail_at);
            ct_feed *src = gappy();
            ct_status s = fns[k](src, &out);
            ct_feed_destroy(out);
            ct_feed_destroy(src);
            ck_assert_msg(ct_alloc_live_count() == 0, "%s leaked at fail_at %lld", names[k], (long long)fail_at);
            ct_test_failalloc_remove();
            if (s == CT_OK) {
                ck_assert_ptr_nonnull(out);
                ck_assert_msg(fail_at > 0, "%s made no allocation", names[k]);
                break;
            }
            ck_assert_msg(s == CT_E_NOMEM, "%s fail_at %lld -> %s", names[k], (long long)fail_at, ct_status_name(s));
            ck_assert_ptr_null(out);
            ck_assert_int_lt(fail_at, 100);
        }
    }
    remove(g_ctz_path);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("feed");
    TCase *tc = tcase_create("feed");
    tcase_add_test(tc, arrays_copy_and_accessors);
    tcase_add_test(tc, arrays_borrow);
    tcase_add_test(tc, append_rows);
    tcase_add_test(tc, validation_rules);
    tcase_add_test(tc, intervals);
    tcase_add_test(tc, gaps_keep_fill_error);
    tcase_add_test(tc, gaps_real_files);
    tcase_add_test(tc, slice_rows);
    tcase_add_test(tc, readonly_failures_keep_feed_message);
    tcase_add_test(tc, copies_without_flags_have_no_flag_array);
    tcase_add_test(tc, oom_every_constructor);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
