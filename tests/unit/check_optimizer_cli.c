/* The optimizer commands of the cryptota CLI ($CT_CLI): optimize, shards + merge, walkforward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "test_util.h"

static const char *k_grid = "{\\\"rsi_period\\\":{\\\"from\\\":6,\\\"to\\\":30,\\\"step\\\":8},"
                            "\\\"oversold\\\":[25,30,75],\\\"overbought\\\":[70,80]}";

static int run(const char *fmt, const char *a, const char *b)
{
    char cmd[20000];
    char full[21000];
    snprintf(cmd, sizeof(cmd), fmt, a, b);
    snprintf(full, sizeof(full), "%s %s", getenv("CT_CLI"), cmd);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char g_tmp[4096];
static const char *tmp(const char *name)
{
    static char buf[8][4200];
    static int slot;
    slot = (slot + 1) % 8;
    snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", g_tmp, name);
    return buf[slot];
}

START_TEST(optimize_shards_merge_equal_single)
{
    snprintf(g_tmp, sizeof(g_tmp), "%s", ct_test_tmpdir());
    const char *data = ct_test_data("binance_BTCUSDT_15m_2023-04-01_2024-04-09.csv.zst");
    char args[6000];
    snprintf(args, sizeof(args), "optimize %s --strategy rsi --grid \"%s\" --threads 2", data, k_grid);
    /* single run, then 2 shards merged: the merged document is byte-identical */
    char outs[9000];
    snprintf(outs, sizeof(outs), "--json %s --csv %s.csv > /dev/null", tmp("single.json"), tmp("single.json"));
    ck_assert_int_eq(run("%s %s", args, outs), 0);
    char a0[6100], a1[6100];
    snprintf(a0, sizeof(a0), "%s --shard 0/2", args);
    snprintf(a1, sizeof(a1), "%s --shard 1/2", args);
    ck_assert_int_eq(run("%s --json %s > /dev/null", a0, tmp("s0.json")), 0);
    ck_assert_int_eq(run("%s --json %s > /dev/null", a1, tmp("s1.json")), 0);
    char shards[9000];
    snprintf(shards, sizeof(shards), "%s %s", tmp("s1.json"), tmp("s0.json"));
    ck_assert_int_eq(run("merge %s --json %s > /dev/null", shards, tmp("merged.json")), 0);
    size_t n1, n2;
    char *single = ct_test_read_file(tmp("single.json"), &n1);
    char *merged = ct_test_read_file(tmp("merged.json"), &n2);
    ck_assert_ptr_nonnull(single);
    ck_assert_ptr_nonnull(merged);
    ck_assert_str_eq(single, merged);
    /* DESIGN.md section 13 keys */
    const char *keys[] = {"\"objective\":\"sharpe_ratio\"", "\"maximize\":true", "\"total\":24", "\"evaluated\":20",
                          "\"skipped\":4", "\"best\":{\"index\":", "\"rows\":[{\"index\":", "\"dsr\":", "\"pbo\":"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        ck_assert_msg(strstr(single, keys[i]), "missing %s", keys[i]);
    free(single);
    free(merged);
    /* CSV: header + 20 rows */
    char *csv = ct_test_read_file(tmp("single.json.csv"), &n1);
    ck_assert(strncmp(csv, "index,rsi_period,oversold,overbought,fraction,", 46) == 0);
    int lines = 0;
    for (char *p = csv; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 21);
    free(csv);
    /* the summary table names DSR and PBO */
    ck_assert_int_eq(run("%s > %s", args, tmp("table.txt")), 0);
    char *table = ct_test_read_file(tmp("table.txt"), &n1);
    ck_assert(strstr(table, "DSR") && strstr(table, "PBO") && strstr(table, "best"));
    free(table);
    /* a missing shard is an error naming it */
    ck_assert_int_ne(run("merge %s %s 2> /dev/null", tmp("s0.json"), ""), 0);
    /* errors: unknown parameter, bad shard */
    ck_assert_int_ne(run("optimize %s --strategy rsi --grid '{\"nope\":[1]}' %s 2> /dev/null", data, ""), 0);
    ck_assert_int_ne(run("%s --shard 3/2 %s 2> /dev/null", args, ""), 0);
    const char *files[] = {"single.json", "single.json.csv", "s0.json", "s1.json", "merged.json", "table.txt"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        remove(tmp(files[i]));
}
END_TEST

START_TEST(walkforward_outputs)
{
    snprintf(g_tmp, sizeof(g_tmp), "%s", ct_test_tmpdir());
    const char *data = ct_test_data("binance_BTCUSDT_15m_2023-04-01_2024-04-09.csv.zst");
    char args[6000];
    snprintf(args, sizeof(args), "walkforward %s --strategy rsi --grid \"%s\" --train 60d --test 30d", data, k_grid);
    char out[9000];
    snprintf(out, sizeof(out), "--json %s --report %s", tmp("wf.json"), tmp("wf.html"));
    ck_assert_int_eq(run("%s %s > /dev/null", args, out), 0);
    size_t n;
    char *j = ct_test_read_file(tmp("wf.json"), &n);
    ck_assert(strstr(j, "\"windows\":[{") && strstr(j, "\"oos_metrics\":{") && strstr(j, "\"efficiency\":") &&
              strstr(j, "\"equity\":[["));
    free(j);
    char *h = ct_test_read_file(tmp("wf.html"), &n);
    ck_assert(strstr(h, "<svg") && strstr(h, "</html>"));
    free(h);
    remove(tmp("wf.json"));
    remove(tmp("wf.html"));
}
END_TEST

/* Every row of `cryptota optimize` equals `cryptota backtest` of its parameters, and the best row
 * is the best of those single runs. */
START_TEST(rows_equal_cli_backtests)
{
    snprintf(g_tmp, sizeof(g_tmp), "%s", ct_test_tmpdir());
    const char *data = ct_test_data("binance_BTCUSDT_15m_2023-04-01_2024-04-09.csv.zst");
    char args[6000];
    snprintf(args, sizeof(args), "optimize %s --strategy rsi --grid \"%s\"", data, k_grid);
    ck_assert_int_eq(run("%s --json %s > /dev/null", args, tmp("opt.json")), 0);
    size_t n;
    char *txt = ct_test_read_file(tmp("opt.json"), &n);
    cJSON *doc = cJSON_Parse(txt);
    free(txt);
    ck_assert_ptr_nonnull(doc);
    const cJSON *rows = cJSON_GetObjectItem(doc, "rows");
    ck_assert_int_eq(cJSON_GetArraySize(rows), 20);
    double best_single = -INFINITY, best_row = NAN;
    int checked = 0;
    for (const cJSON *row = rows->child; row; row = row->next) {
        char *params = cJSON_PrintUnformatted(cJSON_GetObjectItem(row, "parameters"));
        char bt[9000];
        snprintf(bt, sizeof(bt), "backtest %s --strategy rsi --params '%s'", data, params);
        cJSON_free(params);
        ck_assert_int_eq(run("%s --json %s > /dev/null", bt, tmp("bt.json")), 0);
        txt = ct_test_read_file(tmp("bt.json"), &n);
        cJSON *res = cJSON_Parse(txt);
        free(txt);
        ck_assert_ptr_nonnull(res);
        const cJSON *want = cJSON_GetObjectItem(res, "metrics");
        for (const cJSON *m = cJSON_GetObjectItem(row, "metrics")->child; m; m = m->next) {
            const cJSON *w = cJSON_GetObjectItem(want, m->string);
            ck_assert_msg(w != NULL, "backtest JSON has no metric %s", m->string);
            if (cJSON_IsNull(m) || cJSON_IsNull(w)) {
                ck_assert_msg(cJSON_IsNull(m) && cJSON_IsNull(w), "%s: null in one output only", m->string);
                continue;
            }
            /* both documents print round-trip-exact numbers: the same double */
            ck_assert_msg(m->valuedouble == w->valuedouble, "%s: optimize %.17g, backtest %.17g", m->string,
                          m->valuedouble, w->valuedouble);
            checked++;
        }
        const cJSON *sh = cJSON_GetObjectItem(want, "sharpe_ratio");
        if (cJSON_IsNumber(sh) && sh->valuedouble > best_single)
            best_single = sh->valuedouble;
        if (row == rows->child)
            best_row = cJSON_GetObjectItem(cJSON_GetObjectItem(row, "metrics"), "sharpe_ratio")->valuedouble;
        cJSON_Delete(res);
    }
    ck_assert_int_gt(checked, 200);
    ck_assert(best_row == best_single);
    cJSON_Delete(doc);
    remove(tmp("opt.json"));
    remove(tmp("bt.json"));
}
END_TEST

/* The C example of docs/optimizer.md compiles against the built library and runs. */
START_TEST(doc_example_compiles_and_runs)
{
    snprintf(g_tmp, sizeof(g_tmp), "%s", ct_test_tmpdir());
    const char *src = getenv("CT_SOURCE_DIR"), *bld = getenv("CT_BUILD_DIR"), *lib = getenv("CT_LIB");
    ck_assert_ptr_nonnull(src);
    char path[4200];
    snprintf(path, sizeof(path), "%s/docs/optimizer.md", src);
    size_t n;
    char *md = ct_test_read_file(path, &n);
    ck_assert_ptr_nonnull(md);
    char *a = strstr(md, "```c\n"), *b = a ? strstr(a + 5, "\n```\n") : NULL;
    ck_assert(a && b);
    *b = '\0';
    FILE *f = fopen(tmp("doc_example.c"), "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n\nint main(int argc, char **argv)\n{\n    ct_feed *feed;\n"
               "    if (argc < 2 || ct_feed_load(argv[1], CT_GAPS_KEEP, &feed) != CT_OK)\n        return 2;\n"
               "    int rc = search_rsi(feed);\n    ct_feed_destroy(feed);\n    return rc;\n}\n", a + 5);
    fclose(f);
    free(md);
    /* a sanitizer build of the library needs the same runtime in the program */
#if defined(__SANITIZE_ADDRESS__)
    const char *san = "-fsanitize=address,undefined";
#elif defined(__SANITIZE_THREAD__)
    const char *san = "-fsanitize=thread";
#else
    const char *san = "";
#endif
    char cmd[20000];
    snprintf(cmd, sizeof(cmd), "cc -std=c11 -Wall -Wextra -Werror %s -I%s/include -I%s/include %s -o %s %s -Wl,-rpath,%s/lib",
             san, src, bld, tmp("doc_example.c"), tmp("doc_example"), lib, bld);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s %s > %s", tmp("doc_example"),
             ct_test_data("binance_BTCUSDT_15m_2023-04-01_2024-04-09.csv.zst"), tmp("doc_example.txt"));
    ck_assert_int_eq(system(cmd), 0);
    char *txt = ct_test_read_file(tmp("doc_example.txt"), &n);
    ck_assert(strstr(txt, "63 combinations, best #") && strstr(txt, "DSR") && strstr(txt, "PBO"));
    free(txt);
    remove(tmp("doc_example.c"));
    remove(tmp("doc_example"));
    remove(tmp("doc_example.txt"));
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("optimizer_cli");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, optimize_shards_merge_equal_single);
    tcase_add_test(tc, walkforward_outputs);
    tcase_add_test(tc, rows_equal_cli_backtests);
    tcase_add_test(tc, doc_example_compiles_and_runs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(cli_suite()); }
