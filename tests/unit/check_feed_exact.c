/* The CSV reader's numbers are bit-identical to strtod's on every value of every shared candle
 * file (its own suite: the heaviest CSV check, kept apart so suites run in parallel). */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* Every number field of every candle file: the reader's value is bit-identical to strtod's. */
START_TEST(number_exactness_all_files)
{
    static const char *files[] = {
        "binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst", "binance_BTCUSDT_5m_2024-03-01_2025-07-02.csv.zst",
        "binance_BTCUSDT_15m_2023-04-01_2024-04-09.csv.zst", "binance_ETHUSDT_15m_2023-04-01_2024-04-09.csv.zst",
        "binance_SOLUSDT_15m_2023-04-01_2024-04-09.csv.zst", "binance_XRPUSDT_15m_2023-04-01_2024-04-09.csv.zst",
        "binance_DOGEUSDT_15m_2023-04-01_2024-04-09.csv.zst", "binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst",
        "binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst", "binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"};
    int64_t checked = 0;
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        size_t len;
        char *txt = ct_test_read_file(ct_test_data(files[k]), &len);
        ck_assert_ptr_nonnull(txt);
        ct_feed *f;
        ck_assert_ok(ct_feed_parse_csv(txt, len, NULL, 0, CT_GAPS_KEEP, &f));
        const double *cols[5] = {ct_feed_open(f), ct_feed_high(f), ct_feed_low(f), ct_feed_close(f), ct_feed_volume(f)};
        /* walk the text again with strtod; row r is line r + 2 */
        char *p = strchr(txt, '\n') + 1;
        for (int64_t r = 0; r < ct_feed_len(f); r++) {
            char *e;
            long long t = strtoll(p, &e, 10);
            ck_assert_int_eq(t, ct_feed_time(f)[r]);
            for (int c = 0; c < 5; c++) {
                double v = strtod(e + 1, &e);
                ck_assert_msg(memcmp(&v, &cols[c][r], 8) == 0, "%s row %lld col %d", files[k], (long long)r, c);
                checked++;
            }
            p = e + 1;
        }
        ck_assert_int_eq(*p, '\0');
        ct_feed_destroy(f);
        free(txt);
    }
    ck_assert_int_eq(checked, 5 * (130708 + 140614 + 5 * 35999 + 58419 + 45024 + 1881));
}
END_TEST


int main(void)
{
    Suite *s = suite_create("feed_exact");
    TCase *tc = tcase_create("exact");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, number_exactness_all_files);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
