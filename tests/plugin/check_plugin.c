/*
 * Plugins: a .so built by the tests is loaded with ct_plugin_load, its class is registered and
 * runs a backtest; a .so without ct_plugin_init and one whose init fails are refused with clear
 * messages; the plugin of docs/strategies.md is built and run too. argv: the four plugin
 * paths (from CMake).
 */
#include <string.h>

#include "test_util.h"

static char **g_argv;

static void load_and_run_plugin(const char *path)
{
    ck_assert_ok(ct_plugin_load(path));
    const ct_strategy_class *c = ct_strategy_class_find("plugin_sma_touch");
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(ct_strategy_class_is_builtin(c), 0);
    ck_assert_int_eq(ct_strategy_class_n_params(c), 2);
    /* loading it twice: the class name is taken */
    ck_assert_status(ct_plugin_load(path), CT_E_PLUGIN);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "already registered"));

    /* a 300-bar sine-like walk: the plugin must trade */
    enum { N = 300 };
    int64_t t[N];
    double o[N], h[N], l[N], c_[N], v[N];
    for (int i = 0; i < N; i++) {
        double x = 100 + 10 * sin(i / 7.0);
        t[i] = (int64_t)i * 3600000;
        o[i] = i ? c_[i - 1] : x;
        c_[i] = x;
        h[i] = (o[i] > x ? o[i] : x) + 0.5;
        l[i] = (o[i] < x ? o[i] : x) - 0.5;
        v[i] = 1;
    }
    ct_feed *f = NULL;
    ct_engine *e = NULL;
    ct_strategy *s = NULL;
    ct_result *r = NULL;
    ck_assert_ok(ct_feed_from_arrays("SINE", 3600000, t, o, h, l, c_, v, N, CT_FEED_COPY, &f));
    ck_assert_ok(ct_engine_create(&e));
    ck_assert_ok(ct_strategy_create(c, &s));
    ck_assert_ok(ct_strategy_set_json(s, "{\"period\":10,\"band\":0.01}"));
    ck_assert_ok(ct_engine_run(e, f, s, &r));
    ck_assert_int_gt(ct_result_trade_count(r), 3);
    ck_assert_str_eq(ct_result_strategy(r), "plugin_sma_touch");
    ck_assert_str_eq(ct_result_params_json(r), "{\"period\":10,\"band\":0.01}");
    ct_result_destroy(r);
    ct_strategy_destroy(s);
    ct_engine_destroy(e);
    ct_feed_destroy(f);
}

START_TEST(load_and_run) { load_and_run_plugin(g_argv[1]); }
END_TEST

/* the plugin printed in docs/strategies.md, extracted and built by CMake */
START_TEST(doc_plugin) { load_and_run_plugin(g_argv[4]); }
END_TEST

START_TEST(broken_plugins)
{
    ck_assert_status(ct_plugin_load(g_argv[2]), CT_E_PLUGIN);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "does not export ct_plugin_init"));
    ck_assert_status(ct_plugin_load(g_argv[3]), CT_E_PLUGIN);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "CT_E_UNSUPPORTED"));
    ck_assert_status(ct_plugin_load("/nonexistent/dir/plugin.so"), CT_E_IO);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "/nonexistent/dir/plugin.so"));
    ck_assert_status(ct_plugin_load(NULL), CT_E_INVALID_ARG);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    g_argv = argv;
    Suite *s = suite_create("plugin");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, load_and_run);
    tcase_add_test(tc, doc_plugin);
    tcase_add_test(tc, broken_plugins);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
