/* The cryptota command's argument checks: unknown options, options missing their value, values
 * given to flags and non-integer numbers are errors that name the option (exit code 2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

/* Runs the CLI with `args`, captures stdout+stderr into out, returns the exit code. */
static int run_cli(const char *args, char *out, size_t cap)
{
    const char *cli = getenv("CT_CLI");
    ck_assert_msg(cli && *cli, "CT_CLI is not set");
    char cmd[16384];
    snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", cli, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char g_out[65536];
static char g_args[8192];

static const char *data_file(void) { return ct_test_data("binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"); }

START_TEST(unknown_option_is_named)
{
    snprintf(g_args, sizeof(g_args), "backtest '%s' --strategy rsi --reprot=x.html", data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "unknown option '--reprot'") != NULL, "%s", g_out);
    snprintf(g_args, sizeof(g_args), "info '%s' --bogus", data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "unknown option '--bogus'") != NULL, "%s", g_out);
}
END_TEST

START_TEST(missing_value_and_flag_value)
{
    snprintf(g_args, sizeof(g_args), "backtest '%s' --strategy rsi --params", data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "option '--params' needs a value") != NULL, "%s", g_out);
    snprintf(g_args, sizeof(g_args), "info '%s' --json=yes", data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "option '--json' takes no value") != NULL, "%s", g_out);
}
END_TEST

START_TEST(repeated_option_is_an_error)
{
    /* the commands read the first occurrence: --config given twice ran with the first and
     * ignored the second without a word */
    snprintf(g_args, sizeof(g_args),
             "backtest '%s' --strategy rsi --config '{\"capital\":100}' --config='{\"capital\":200}'", data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "option '--config' is given more than once") != NULL, "%s", g_out);
    snprintf(g_args, sizeof(g_args), "info '%s' --json --json", data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "option '--json' is given more than once") != NULL, "%s", g_out);
    /* a value that looks like an option is a value, not a repeat */
    snprintf(g_args, sizeof(g_args), "ta '%s' --out --indicators --indicators sma:5", data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_msg(strstr(g_out, "more than once") == NULL, "%s", g_out);
}
END_TEST

START_TEST(ta_duplicate_item_is_an_error)
{
    /* it wrote two columns named sma_5, which CSV readers rename or overwrite */
    snprintf(g_args, sizeof(g_args), "ta '%s' --out /dev/null --indicators sma:5,rsi,sma:5", data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_msg(strstr(g_out, "--indicators lists 'sma:5' twice") != NULL, "%s", g_out);
}
END_TEST

START_TEST(outputs_never_overwrite_the_input)
{
    /* ta --out IN.csv replaced the candles with the indicator table */
    char dir[] = "/tmp/ct_cli_outXXXXXX", in[256], link[256], cmd[1024];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(in, sizeof(in), "%s/in.csv", dir);
    snprintf(link, sizeof(link), "%s/link.csv", dir);
    snprintf(g_args, sizeof(g_args), "convert '%s' '%s'", data_file(), in);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 0);
    ck_assert_int_eq(symlink(in, link), 0);
    FILE *fp = fopen(in, "rb");
    ck_assert_ptr_nonnull(fp);
    static char before[1 << 20], after[1 << 20];
    size_t nb = fread(before, 1, sizeof(before), fp);
    fclose(fp);
    snprintf(g_args, sizeof(g_args), "ta '%s' --out '%s' --indicators sma", link, in);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "is the input file") != NULL, "%s", g_out);
    snprintf(g_args, sizeof(g_args), "backtest '%s' --strategy rsi --equity '%s'", in, link);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "--equity") && strstr(g_out, "is the input file"), "%s", g_out);
    snprintf(g_args, sizeof(g_args), "optimize '%s' --strategy rsi --grid '{\"rsi_period\":[10]}' --csv '%s'", in, in);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "is the input file") != NULL, "%s", g_out);
    snprintf(g_args, sizeof(g_args), "walkforward '%s' --strategy rsi --grid '{\"rsi_period\":[10]}' --train 300 --test 100 --json '%s'", in, in);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "is the input file") != NULL, "%s", g_out);
    fp = fopen(in, "rb");
    ck_assert_ptr_nonnull(fp);
    size_t na = fread(after, 1, sizeof(after), fp);
    fclose(fp);
    ck_assert(na == nb && memcmp(before, after, nb) == 0);
    /* two outputs into one file */
    snprintf(g_args, sizeof(g_args), "backtest '%s' --strategy rsi --trades '%s/x.csv' --equity '%s/x.csv'", in, dir, dir);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "--trades and --equity name the same file") != NULL, "%s", g_out);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(integers_are_checked)
{
    snprintf(g_args, sizeof(g_args), "optimize '%s' --strategy rsi --grid '{\"rsi_period\":[10,14]}' --threads abc",
             data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "--threads 'abc' is not an integer") != NULL, "%s", g_out);
    snprintf(g_args, sizeof(g_args), "optimize '%s' --strategy rsi --grid '{\"rsi_period\":[10,14]}' --top 3x",
             data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "--top '3x' is not an integer") != NULL, "%s", g_out);
}
END_TEST

START_TEST(good_arguments_still_work)
{
    /* --name=value and --name value forms, flags, and the help of a command */
    snprintf(g_args, sizeof(g_args), "info '%s' --json", data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 0);
    ck_assert_msg(strstr(g_out, "\"rows\":1881") != NULL, "%s", g_out); /* ../shared/data/README.md */
    snprintf(g_args, sizeof(g_args), "optimize '%s' --strategy=rsi --grid '{\"rsi_period\":[10,14]}' --threads 1 --top 1",
             data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 0);
    ck_assert_msg(strstr(g_out, "1 more rows") != NULL, "%s", g_out);
    ck_assert_int_eq(run_cli("backtest --help", g_out, sizeof(g_out)), 2);
    ck_assert_msg(strstr(g_out, "usage: cryptota backtest") != NULL, "%s", g_out);
}
END_TEST

/* Writes `text` to <tmpdir>/<name> and returns the path (static storage, one per slot). */
static const char *tmp_file(int slot, const char *name, const char *text)
{
    static char paths[2][1024];
    snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", ct_test_tmpdir(), name);
    FILE *f = fopen(paths[slot], "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
    return paths[slot];
}

/* `cryptota metrics` checks its CSV rows itself: an error names the file it is in (the benchmark's
 * errors once came out under the equity file's name, numbered from 0), an empty or header-only
 * file is an error instead of a table of nulls, and a benchmark file without rows is not quietly
 * dropped. */
START_TEST(metrics_csv_rows_are_checked)
{
    const char *eq = tmp_file(0, "cli_eq.csv", "time_ms,equity\n0,100\n1000,110\n2000,105\n");
    const char *f = tmp_file(1, "cli_bench_ooo.csv", "time_ms,value\n0,5\n2000,6\n1000,7\n");
    snprintf(g_args, sizeof(g_args), "metrics '%s' --benchmark '%s' --json", eq, f);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_msg(strstr(g_out, "cli_bench_ooo.csv line 4: time 1000 is not after the previous row's 2000") != NULL,
                  "%s", g_out);
    remove(f);
    f = tmp_file(1, "cli_bench_nan.csv", "time_ms,value\n0,5\n1000,nan\n");
    snprintf(g_args, sizeof(g_args), "metrics '%s' --benchmark '%s'", eq, f);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_msg(strstr(g_out, "cli_bench_nan.csv line 3: value nan is not finite and > 0") != NULL, "%s", g_out);
    remove(f);
    f = tmp_file(1, "cli_bench_hdr.csv", "time_ms,value\n");
    snprintf(g_args, sizeof(g_args), "metrics '%s' --benchmark '%s' --json", eq, f);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_msg(strstr(g_out, "cli_bench_hdr.csv has no data rows") != NULL, "%s", g_out);
    remove(f);
    f = tmp_file(1, "cli_eq_hdr.csv", "time_ms,equity\n");
    snprintf(g_args, sizeof(g_args), "metrics '%s' --json", f);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_msg(strstr(g_out, "cli_eq_hdr.csv has no data rows") != NULL, "%s", g_out);
    remove(f);
    f = tmp_file(1, "cli_eq_dup.csv", "time_ms,equity\n0,100\n1000,110\n1000,120\n");
    snprintf(g_args, sizeof(g_args), "metrics '%s'", f);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_msg(strstr(g_out, "cli_eq_dup.csv line 4: time 1000 is not after the previous row's 1000") != NULL, "%s",
                  g_out);
    remove(f);
    /* a byte order mark does not turn a header-less first row into a header */
    f = tmp_file(1, "cli_eq_bom.csv", "\xEF\xBB\xBF" "0,100\n1000,110\n2000,99\n");
    snprintf(g_args, sizeof(g_args), "metrics '%s' --json", f);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 0);
    ck_assert_msg(strstr(g_out, "\"total_return\": -0.01") != NULL, "%s", g_out); /* 99/100 - 1 */
    remove(f);
    snprintf(g_args, sizeof(g_args), "metrics '%s' --periods-per-year inf", eq);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_msg(strstr(g_out, "--periods-per-year: 'inf' is not a finite number > 0") != NULL, "%s", g_out);
    /* the good file still works: 105/100 - 1 */
    snprintf(g_args, sizeof(g_args), "metrics '%s' --json", eq);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 0);
    ck_assert_msg(strstr(g_out, "\"total_return\": 0.05") != NULL, "%s", g_out);
    remove(eq);
}
END_TEST

/* Times are the whole text and a real date: trailing text, a day past the month's end, a negative
 * hour and an epoch past int64 were taken (2020-02-31 as 2020-03-02, 99999999999999999999 as
 * INT64_MAX). The bad time is named before any network use (the base URL is a closed port). */
START_TEST(times_are_checked)
{
    static const char *const bad[] = {"2020-01-01garbage", "2020-02-31", "2021-02-29", "2020-01-01T-5:00",
                                      "2020-01-01T24:00", "2020-1-1", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(g_args, sizeof(g_args),
                 "fetch BTCUSDT --interval 1d --start '%s' --end 2020-06-01 --cache none --base-url http://127.0.0.1:1",
                 bad[i]);
        ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
        char want[256];
        snprintf(want, sizeof(want), "cryptota fetch: bad --start '%s' (ISO-8601 date/time in UTC or epoch ms)\n",
                 bad[i]);
        ck_assert_str_eq(g_out, want);
    }
    /* the good forms still select the same window of the file */
    static const char *const good[] = {"2020-01-01", "2020-01-01T00:00:00Z", "2020-01-01 00:00", "1577836800000",
                                       "2020-01-01T00:00:00.000"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(g_args, sizeof(g_args), "demo --data '%s' --start '%s' --end 2020-06-01 --out '%s/cli_demo'",
                 data_file(), good[i], ct_test_tmpdir());
        ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 0);
        ck_assert_msg(strstr(g_out, "152 bars, 2020-01-01T00:00:00Z .. 2020-05-31T00:00:00Z") != NULL, "%s", g_out);
    }
}
END_TEST

/* Walk-forward lengths past int64 once overflowed (undefined behaviour: 9999999999999d in the CLI,
 * a bar count near INT64_MAX in the window arithmetic of the library). */
START_TEST(walkforward_lengths_out_of_range)
{
    static const char *const cases[][2] = {
        {"--train 99999999999999999999 --test 10",
         "cryptota walkforward: --train: '99999999999999999999' is not a number of bars or a duration like 30d\n"},
        {"--train 9999999999999d --test 10",
         "cryptota walkforward: --train: '9999999999999d' is not a number of bars or a duration like 30d\n"},
        {"--train 999999999999999999 --test 10d",
         "cryptota walkforward: --train: 999999999999999999 bars of 86400000 ms is out of range\n"},
        {"--train 9223372036854775800 --test 10",
         "cryptota walkforward: walkforward: train 9223372036854775800, test 10, purge 0: a length above 2^61 is "
         "out of range (CT_E_RANGE)\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(g_args, sizeof(g_args), "walkforward '%s' --strategy rsi --grid '{\"rsi_period\":[10,14]}' %s",
                 data_file(), cases[i][0]);
        ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
        ck_assert_str_eq(g_out, cases[i][1]);
    }
}
END_TEST

/* --random -5 silently ran the grid (-1 stood for "no --random"); --threads -1 printed two errors
 * ("value out of range" the second) and exited 1 rather than 2 like the other number checks;
 * --minimize with --maximize minimized. */
START_TEST(optimize_numbers_are_checked)
{
    snprintf(g_args, sizeof(g_args), "optimize '%s' --strategy rsi --grid '{\"rsi_period\":[10,14]}' --random -5",
             data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_str_eq(g_out, "cryptota optimize: --random/--grid: random search: number of samples -5 must be >= 1 "
                            "(CT_E_INVALID_ARG)\n");
    snprintf(g_args, sizeof(g_args), "optimize '%s' --strategy rsi --grid '{\"rsi_period\":[10,14]}' --threads -1",
             data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_str_eq(g_out, "cryptota optimize: --threads -1 is out of range (0 = one per core)\n");
    /* both directions: the first one checked (--minimize) silently won */
    snprintf(g_args, sizeof(g_args), "optimize '%s' --strategy rsi --grid '{\"rsi_period\":[10,14]}' --maximize --minimize",
             data_file());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 2);
    ck_assert_str_eq(g_out, "cryptota optimize: --minimize and --maximize contradict each other\n");
}
END_TEST

/* A directory given as a JSON document read as an empty text, so the error was about the JSON
 * ("document 0 is not a JSON object") and did not name the path. */
START_TEST(json_path_directory_is_named)
{
    snprintf(g_args, sizeof(g_args), "optimize '%s' --strategy rsi --grid '%s'", data_file(), ct_test_tmpdir());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    char want[4200];
    snprintf(want, sizeof(want), "cryptota optimize: cannot read --grid %s\n", ct_test_tmpdir());
    ck_assert_str_eq(g_out, want);
    snprintf(g_args, sizeof(g_args), "merge '%s'", ct_test_tmpdir());
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    snprintf(want, sizeof(want), "cryptota merge: cannot read %s\n", ct_test_tmpdir());
    ck_assert_str_eq(g_out, want);
}
END_TEST

/* A candle file with a header and no rows: backtest printed the capital as its final equity and
 * optimize a "best" row of NaN objectives, both exiting 0. */
START_TEST(empty_candle_file_is_an_error)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/cli_empty_1h.csv", ct_test_tmpdir());
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("open_time,open,high,low,close,volume\n", fp);
    fclose(fp);
    char want[4400];
    snprintf(g_args, sizeof(g_args), "backtest '%s' --strategy rsi", path);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    snprintf(want, sizeof(want), "cryptota backtest: %s has no candles\n", path);
    ck_assert_str_eq(g_out, want);
    snprintf(g_args, sizeof(g_args), "optimize '%s' --strategy rsi --grid '{\"rsi_period\":[10,14]}'", path);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    snprintf(want, sizeof(want), "cryptota optimize: %s has no candles\n", path);
    ck_assert_str_eq(g_out, want);
    snprintf(g_args, sizeof(g_args), "walkforward '%s' --strategy rsi --grid '{\"rsi_period\":[10,14]}' --train 10 --test 5",
             path);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    snprintf(want, sizeof(want), "cryptota walkforward: %s has no candles\n", path);
    ck_assert_str_eq(g_out, want);
}
END_TEST

/* An empty option in a ta item ("bbands:20::3") was dropped by strtok, so 3 became nbdev_up
 * instead of nbdev_dn, in a column named bbands_20__3. */
START_TEST(ta_empty_option_is_an_error)
{
    char out[4200];
    /* ta writes CSV: under a .ctz or .zst name it could not be read back (it used to write it) */
    snprintf(out, sizeof(out), "%s/cli_ta.ctz", ct_test_tmpdir());
    snprintf(g_args, sizeof(g_args), "ta '%s' --out '%s' --indicators rsi", data_file(), out);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert(strstr(g_out, "ta writes plain CSV, not .ctz or .zst (name the file .csv)") != NULL);
    ck_assert(access(out, F_OK) != 0);
    snprintf(out, sizeof(out), "%s/cli_ta.csv", ct_test_tmpdir());
    snprintf(g_args, sizeof(g_args), "ta '%s' --out '%s' --indicators bbands:20::3", data_file(), out);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_str_eq(g_out, "cryptota ta: 'bbands:20::3': option 'nbdev_up' is not a number: ''\n");
    snprintf(g_args, sizeof(g_args), "ta '%s' --out '%s' --indicators rsi:14:", data_file(), out);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 1);
    ck_assert_str_eq(g_out, "cryptota ta: 'rsi:14:': rsi takes 1 option(s)\n");
    snprintf(g_args, sizeof(g_args), "ta '%s' --out '%s' --indicators bbands:20:2:3,rsi", data_file(), out);
    ck_assert_int_eq(run_cli(g_args, g_out, sizeof(g_out)), 0);
    size_t n;
    char *txt = ct_test_read_file(out, &n);
    ck_assert_ptr_nonnull(txt);
    ck_assert_msg(strncmp(txt, "open_time,bbands_20_2_3_upper,bbands_20_2_3_middle,bbands_20_2_3_lower,rsi\n", 75) == 0,
                  "%.200s", txt);
    free(txt);
    remove(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("args");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, unknown_option_is_named);
    tcase_add_test(tc, missing_value_and_flag_value);
    tcase_add_test(tc, integers_are_checked);
    tcase_add_test(tc, repeated_option_is_an_error);
    tcase_add_test(tc, ta_duplicate_item_is_an_error);
    tcase_add_test(tc, outputs_never_overwrite_the_input);
    tcase_add_test(tc, good_arguments_still_work);
    tcase_add_test(tc, metrics_csv_rows_are_checked);
    tcase_add_test(tc, times_are_checked);
    tcase_add_test(tc, walkforward_lengths_out_of_range);
    tcase_add_test(tc, optimize_numbers_are_checked);
    tcase_add_test(tc, json_path_directory_is_named);
    tcase_add_test(tc, ta_empty_option_is_an_error);
    tcase_add_test(tc, empty_candle_file_is_an_error);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
