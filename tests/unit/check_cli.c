/* The cryptota command's argument checks: unknown options, options missing their value, values
 * given to flags and non-integer numbers are errors that name the option (exit code 2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("args");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, unknown_option_is_named);
    tcase_add_test(tc, missing_value_and_flag_value);
    tcase_add_test(tc, integers_are_checked);
    tcase_add_test(tc, good_arguments_still_work);
    tcase_add_test(tc, metrics_csv_rows_are_checked);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
