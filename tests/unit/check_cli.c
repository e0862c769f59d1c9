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

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("args");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, unknown_option_is_named);
    tcase_add_test(tc, missing_value_and_flag_value);
    tcase_add_test(tc, integers_are_checked);
    tcase_add_test(tc, good_arguments_still_work);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
