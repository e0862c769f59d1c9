/* Resampling: hand-made buckets, partial buckets and flags, and the shared BTC files resampled
 * 1m -> 5m -> 15m -> 1h against the stored coarser files wherever they overlap. */
#include <stdio.h>
#include <string.h>

#include "test_util.h"

#define M 60000LL

/* minutes 0..6 and 8..9 (7 missing): 5m buckets [0,5) complete, [5,10) has a gap */
START_TEST(hand_buckets)
{
    int64_t t[9] = {0, M, 2 * M, 3 * M, 4 * M, 5 * M, 6 * M, 8 * M, 9 * M};
    double o[9] = {10, 11, 12, 13, 14, 15, 16, 18, 19};
    double h[9] = {11, 12, 20, 14, 15, 16, 17, 19, 25};
    double l[9] = {9, 10, 11, 5, 13, 14, 15, 17, 18};
    double c[9] = {11, 12, 13, 14, 15, 16, 17, 19, 20};
    double v[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    ct_feed *f, *r;
    ck_assert_ok(ct_feed_from_arrays("X", M, t, o, h, l, c, v, 9, 0, &f));
    ck_assert_ok(ct_feed_resample(f, 5 * M, 0, &r));
    /* only [0,5) is complete: open 10 (first), high 20, low 5, close 15 (last), volume 1+2+3+4+5 */
    ck_assert_int_eq(ct_feed_len(r), 1);
    ck_assert_int_eq(ct_feed_interval_ms(r), 5 * M);
    ck_assert_int_eq(ct_feed_time(r)[0], 0);
    ck_assert_double_eq(ct_feed_open(r)[0], 10);
    ck_assert_double_eq(ct_feed_high(r)[0], 20);
    ck_assert_double_eq(ct_feed_low(r)[0], 5);
    ck_assert_double_eq(ct_feed_close(r)[0], 15);
    ck_assert_double_eq(ct_feed_volume(r)[0], 15);
    ck_assert_ptr_null(ct_feed_filled(r));
    ct_feed_destroy(r);
    ck_assert_ok(ct_feed_resample(f, 5 * M, CT_RESAMPLE_PARTIAL, &r));
    /* [5,10) from minutes 5,6,8,9: open 15, high 25, low 14, close 20, volume 30, flagged partial */
    ck_assert_int_eq(ct_feed_len(r), 2);
    ck_assert_int_eq(ct_feed_time(r)[1], 5 * M);
    ck_assert_double_eq(ct_feed_open(r)[1], 15);
    ck_assert_double_eq(ct_feed_high(r)[1], 25);
    ck_assert_double_eq(ct_feed_low(r)[1], 14);
    ck_assert_double_eq(ct_feed_close(r)[1], 20);
    ck_assert_double_eq(ct_feed_volume(r)[1], 30);
    ck_assert_int_eq(ct_feed_filled(r)[0], 0);
    ck_assert_int_eq(ct_feed_filled(r)[1], CT_ROW_PARTIAL);
    ct_feed_destroy(r);
    /* filled gap: the bucket is complete but holds a CT_GAPS_FILL bar */
    ct_feed *g;
    ck_assert_ok(ct_feed_apply_gaps(f, CT_GAPS_FILL, &g));
    ck_assert_ok(ct_feed_resample(g, 5 * M, 0, &r));
    ck_assert_int_eq(ct_feed_len(r), 2);
    ck_assert_int_eq(ct_feed_filled(r)[1], CT_ROW_FILLED);
    ct_feed_destroy(r);
    ct_feed_destroy(g);
    /* identity, errors */
    ck_assert_ok(ct_feed_resample(f, M, 0, &r));
    ck_assert_int_eq(ct_feed_len(r), 9);
    ct_feed_destroy(r);
    ck_assert_status(ct_feed_resample(f, 90000, 0, &r), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "interval_ms 90000 is not a positive multiple"));
    ck_assert_status(ct_feed_resample(f, 0, 0, &r), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_resample(f, 5 * M, 0x10, &r), CT_E_INVALID_ARG);
    ck_assert_status(ct_feed_resample(NULL, 5 * M, 0, &r), CT_E_INVALID_ARG);
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* Negative times (before 1970) still bucket on the epoch grid (floor division). */
START_TEST(negative_times)
{
    int64_t t[4] = {-2 * M, -M, 0, M};
    double p[4] = {1, 1, 1, 1};
    ct_feed *f, *r;
    ck_assert_ok(ct_feed_from_arrays("X", M, t, p, p, p, p, p, 4, 0, &f));
    ck_assert_ok(ct_feed_resample(f, 2 * M, 0, &r));
    ck_assert_int_eq(ct_feed_len(r), 2);
    ck_assert_int_eq(ct_feed_time(r)[0], -2 * M);
    ck_assert_int_eq(ct_feed_time(r)[1], 0);
    ct_feed_destroy(r);
    ct_feed_destroy(f);
    int64_t tx[2] = {0, INT64_MAX - 5};
    ck_assert_ok(ct_feed_from_arrays("X", M, tx, p, p, p, p, p, 2, 0, &f));
    ck_assert_status(ct_feed_resample(f, 2 * M, 0, &r), CT_E_RANGE);
    ct_feed_destroy(f);
}
END_TEST

/* Rows more than INT64_MAX ms apart with a 1 ms interval: the bucket indices of the first and
 * last row differ by more than INT64_MAX. The row bound used to overflow (signed overflow; a
 * negative reservation, then rows written through NULL columns). */
START_TEST(span_beyond_int64)
{
    int64_t t[3] = {-5000000000000000000LL, 0, 5000000000000000000LL};
    double o[3] = {10, 20, 30}, h[3] = {11, 21, 31}, l[3] = {9, 19, 29}, c[3] = {10.5, 20.5, 30.5}, v[3] = {1, 2, 3};
    ct_feed *f, *r;
    ck_assert_ok(ct_feed_from_arrays("X", 1, t, o, h, l, c, v, 3, 0, &f));
    for (int64_t ms = 1; ms <= 2; ms++) {
        ck_assert_ok(ct_feed_resample(f, ms, CT_RESAMPLE_PARTIAL, &r));
        ck_assert_int_eq(ct_feed_len(r), 3); /* one bucket per row, each its own */
        for (int i = 0; i < 3; i++) {
            ck_assert_int_eq(ct_feed_time(r)[i], t[i]);
            ck_assert_double_eq(ct_feed_open(r)[i], o[i]);
            ck_assert_double_eq(ct_feed_high(r)[i], h[i]);
            ck_assert_double_eq(ct_feed_low(r)[i], l[i]);
            ck_assert_double_eq(ct_feed_close(r)[i], c[i]);
            ck_assert_double_eq(ct_feed_volume(r)[i], v[i]);
            if (ms == 2)
                ck_assert_int_eq(ct_feed_filled(r)[i], CT_ROW_PARTIAL); /* 1 of 2 bars */
        }
        if (ms == 1)
            ck_assert_ptr_null(ct_feed_filled(r)); /* every bucket complete */
        ct_feed_destroy(r);
    }
    ck_assert_ok(ct_feed_resample(f, 2, 0, &r)); /* no bucket of 2 ms is complete */
    ck_assert_int_eq(ct_feed_len(r), 0);
    ct_feed_destroy(r);
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

static ct_feed *load(const char *name)
{
    ct_feed *f;
    ck_assert_ok(ct_feed_load(ct_test_data(name), CT_GAPS_KEEP, &f));
    return f;
}

static ct_feed *resample(const ct_feed *f, int64_t ms)
{
    ct_feed *r;
    ck_assert_ok(ct_feed_resample(f, ms, 0, &r));
    return r;
}

/* Bars of a that also exist in b: OHLC bit-identical, volume within 1e-12 relative (sums round).
 * Returns the number compared. */
static int64_t compare_overlap(const ct_feed *a, const ct_feed *b, const char *what)
{
    int64_t n = 0;
    const int64_t *ta = ct_feed_time(a), *tb = ct_feed_time(b);
    int64_t j = ct_feed_lower_bound(b, ta ? ta[0] : 0);
    for (int64_t i = 0; i < ct_feed_len(a) && j < ct_feed_len(b); i++) {
        while (j < ct_feed_len(b) && tb[j] < ta[i])
            j++;
        if (j == ct_feed_len(b) || tb[j] != ta[i])
            continue;
        for (int c = 0; c < 4; c++)
            ck_assert_msg(ct_feed_column(a, c)[i] == ct_feed_column(b, c)[j], "%s: time %lld field %d: %.17g vs %.17g",
                          what, (long long)ta[i], c, ct_feed_column(a, c)[i], ct_feed_column(b, c)[j]);
        ck_assert_msg(ct_test_close(ct_feed_volume(a)[i], ct_feed_volume(b)[j], 1e-12), "%s: volume at %lld", what,
                      (long long)ta[i]);
        n++;
    }
    return n;
}

START_TEST(btc_files_agree)
{
    ct_feed *m1 = load("binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst");
    ct_feed *m5 = load("binance_BTCUSDT_5m_2024-03-01_2025-07-02.csv.zst");
    ct_feed *m15 = load("binance_BTCUSDT_15m_2023-04-01_2024-04-09.csv.zst");
    ct_feed *h1 = load("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst");

    /* 1m -> 5m vs the 5m file: 2025-05-20 00:00 .. 2025-07-02 05:45 = 43 days * 288 + 69 + 1
     * = 12454 bars, the figure in data/README.md ("12,454 candles"). */
    ct_feed *m1_5 = resample(m1, 5 * M);
    ck_assert_int_eq(compare_overlap(m1_5, m5, "1m->5m"), 12454);
    /* the chain 1m -> 5m -> 15m -> 1h equals the direct resample */
    ct_feed *m1_15 = resample(m1, 15 * M), *m1_5_15 = resample(m1_5, 15 * M);
    ck_assert_int_eq(compare_overlap(m1_5_15, m1_15, "1m->5m->15m vs 1m->15m"), ct_feed_len(m1_15));
    ct_feed *m1_h = resample(m1, 60 * M), *m1_15_h = resample(m1_15, 60 * M);
    ck_assert_int_eq(compare_overlap(m1_15_h, m1_h, "1m->15m->1h vs 1m->1h"), ct_feed_len(m1_h));
    /* 1m -> 15m / 1h vs the 5m file resampled: same 2025-05-20 .. 07-02 window
     * (15m: 43 * 96 + 22 + 1 = 4151 buckets ending 05:30; 1h: 43 * 24 + 5 = 1037 ending 04:00) */
    ct_feed *m5_15 = resample(m5, 15 * M), *m5_h = resample(m5, 60 * M);
    ck_assert_int_eq(compare_overlap(m1_15, m5_15, "1m->15m vs 5m->15m"), 4151);
    ck_assert_int_eq(compare_overlap(m1_h, m5_h, "1m->1h vs 5m->1h"), 1037);
    /* 5m -> 15m vs the 15m file: 2024-03-01 00:00 .. 2024-04-09 23:30 = 39 * 96 + 94 + 1 = 3839 */
    ck_assert_int_eq(compare_overlap(m5_15, m15, "5m->15m"), 3839);
    /* 5m -> 1h vs the 1h file: 2024-03-01 00:00 .. 2024-04-21 14:00 = 51 * 24 + 14 + 1 = 1239,
     * the figure in data/README.md ("1,239 hours") */
    ck_assert_int_eq(compare_overlap(m5_h, h1, "5m->1h"), 1239);
    /* 15m -> 1h vs the 1h file: 2023-04-01 00:00 .. 2024-04-09 22:00 = 374 * 24 + 23 = 8999 */
    ct_feed *m15_h = resample(m15, 60 * M);
    ck_assert_int_eq(compare_overlap(m15_h, h1, "15m->1h"), 8999);

    ct_feed *all[] = {m1, m5, m15, h1, m1_5, m1_15, m1_5_15, m1_h, m1_15_h, m5_15, m5_h, m15_h};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        ct_feed_destroy(all[i]);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* 1h -> 1d of the BTC 1h file vs the 1d file (data/README.md: djienne 1h -> 1d identical; the
 * NIC 1h file here agrees with djienne's on every hour). Days with a gap are skipped. */
START_TEST(btc_1h_to_1d)
{
    ct_feed *h1 = load("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst");
    ct_feed *d1 = load("binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst");
    ct_feed *r = resample(h1, 24 * 60 * M);
    int64_t n = compare_overlap(r, d1, "1h->1d");
    ck_assert_int_gt(n, 1800);
    ck_assert_int_lt(n, 1881);
    ct_feed_destroy(r);
    ct_feed_destroy(h1);
    ct_feed_destroy(d1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("feed_resample");
    TCase *tc = tcase_create("resample");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, hand_buckets);
    tcase_add_test(tc, negative_times);
    tcase_add_test(tc, span_beyond_int64);
    tcase_add_test(tc, btc_files_agree);
    tcase_add_test(tc, btc_1h_to_1d);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
