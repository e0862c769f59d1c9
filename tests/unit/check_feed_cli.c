/* `cryptota info --json` (keys of DESIGN.md section 13) and `cryptota convert` (with --interval),
 * run as the built binary ($CT_CLI). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test_util.h"

static char *run(const char *args, int *rc)
{
    const char *cli = getenv("CT_CLI");
    ck_assert_msg(cli != NULL, "CT_CLI is not set");
    char cmd[20000];
    snprintf(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", cli, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    out[n] = '\0';
    int st = pclose(p);
    *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

START_TEST(info_json_keys)
{
    char args[4096];
    snprintf(args, sizeof(args), "info '%s' --json", ct_test_data("binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"));
    int rc;
    char *out = run(args, &rc);
    ck_assert_int_eq(rc, 0);
    cJSON *j = cJSON_Parse(out);
    ck_assert_ptr_nonnull(j);
    static const char *keys[] = {"symbol", "interval_ms", "rows", "first_time_ms", "last_time_ms", "missing_bars", "gaps"};
    int nkeys = 0;
    for (cJSON *it = j->child; it; it = it->next) {
        int known = 0;
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            known |= strcmp(it->string, keys[k]) == 0;
        ck_assert_msg(known, "unexpected key %s", it->string);
        nkeys++;
    }
    ck_assert_int_eq(nkeys, 7);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "symbol")->valuestring, "BTCUSDT");
    ck_assert_int_eq((int64_t)cJSON_GetObjectItem(j, "interval_ms")->valuedouble, 3600000);
    ck_assert_int_eq((int64_t)cJSON_GetObjectItem(j, "rows")->valuedouble, 58419);
    ck_assert_int_eq((int64_t)cJSON_GetObjectItem(j, "first_time_ms")->valuedouble, 1502942400000LL); /* 2017-08-17T04Z */
    ck_assert_int_eq((int64_t)cJSON_GetObjectItem(j, "missing_bars")->valuedouble, 128);
    cJSON *gaps = cJSON_GetObjectItem(j, "gaps");
    ck_assert_int_eq(cJSON_GetArraySize(gaps), 28);
    cJSON *g0 = cJSON_GetArrayItem(gaps, 0);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(g0, "after_ms"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(g0, "before_ms"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(g0, "missing"));
    int64_t sum = 0;
    for (int i = 0; i < 28; i++)
        sum += (int64_t)cJSON_GetObjectItem(cJSON_GetArrayItem(gaps, i), "missing")->valuedouble;
    ck_assert_int_eq(sum, 128);
    cJSON_Delete(j);
    free(out);
    out = run("info /nonexistent/file.csv --json", &rc);
    ck_assert_int_ne(rc, 0);
    free(out);
}
END_TEST

START_TEST(convert_formats_and_interval)
{
    char args[16384], ctz[4096], csv[4096];
    snprintf(ctz, sizeof(ctz), "%s/cli_BTCUSDT_5m.ctz", ct_test_tmpdir());
    snprintf(csv, sizeof(csv), "%s/cli_BTCUSDT_1h.csv", ct_test_tmpdir());
    int rc;
    snprintf(args, sizeof(args), "convert '%s' '%s'", ct_test_data("binance_BTCUSDT_5m_2024-03-01_2025-07-02.csv.zst"), ctz);
    free(run(args, &rc));
    ck_assert_int_eq(rc, 0);
    ct_feed *a, *b;
    ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_5m_2024-03-01_2025-07-02.csv.zst"), CT_GAPS_KEEP, &a));
    ck_assert_ok(ct_feed_load(ctz, CT_GAPS_KEEP, &b));
    ck_assert_int_eq(ct_feed_len(b), 140614);
    ck_assert(memcmp(ct_feed_close(a), ct_feed_close(b), 140614 * 8) == 0);
    ct_feed_destroy(b);
    /* --interval 1h from the .ctz: equal to the library's resample of the 5m feed */
    snprintf(args, sizeof(args), "convert '%s' '%s' --interval 1h", ctz, csv);
    free(run(args, &rc));
    ck_assert_int_eq(rc, 0);
    ck_assert_ok(ct_feed_load(csv, CT_GAPS_KEEP, &b));
    ct_feed *r;
    ck_assert_ok(ct_feed_resample(a, 3600000, 0, &r));
    ck_assert_int_eq(ct_feed_len(b), ct_feed_len(r));
    ck_assert_int_eq(ct_feed_interval_ms(b), 3600000);
    ck_assert(memcmp(ct_feed_time(r), ct_feed_time(b), (size_t)ct_feed_len(r) * 8) == 0);
    for (int c = 0; c < 5; c++)
        ck_assert(memcmp(ct_feed_column(r, c), ct_feed_column(b, c), (size_t)ct_feed_len(r) * 8) == 0);
    ct_feed_destroy(r);
    ct_feed_destroy(b);
    ct_feed_destroy(a);
    snprintf(args, sizeof(args), "convert '%s' '%s' --interval 7m", ctz, csv);
    free(run(args, &rc));
    ck_assert_int_ne(rc, 0);
    /* --gaps fill: the ETH 1h file has 127 missing bars (data/README.md) */
    snprintf(args, sizeof(args), "convert '%s' '%s' --gaps fill",
             ct_test_data("binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst"), ctz);
    free(run(args, &rc));
    ck_assert_int_eq(rc, 0);
    ck_assert_ok(ct_feed_load(ctz, CT_GAPS_KEEP, &b));
    ck_assert_int_eq(ct_feed_len(b), 45024 + 127);
    ck_assert_ptr_nonnull(ct_feed_filled(b));
    ct_feed_destroy(b);
    snprintf(args, sizeof(args), "convert '%s' '%s' --gaps error",
             ct_test_data("binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst"), ctz);
    free(run(args, &rc));
    ck_assert_int_ne(rc, 0);
    snprintf(args, sizeof(args), "convert '%s' '%s' --gaps sometimes", ctz, csv);
    free(run(args, &rc));
    ck_assert_int_ne(rc, 0);
    snprintf(args, sizeof(args), "convert '%s' out.unknown", ctz);
    free(run(args, &rc));
    ck_assert_int_ne(rc, 0);
    remove(ctz);
    remove(csv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("feed_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, info_json_keys);
    tcase_add_test(tc, convert_formats_and_interval);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
