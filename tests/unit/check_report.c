/*
 * The HTML report (DESIGN.md section 10): self-contained, every chart and table present, text
 * escaped, the trades table capped, small for 1M bars, errors and allocation failures handled.
 * Rendering in a browser is checked by tests/report/check_report_chromium.py.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/result_internal.h"
#include "test_util.h"

static void set_str(char **dst, const char *s)
{
    ct__free(*dst);
    *dst = ct__strdup(s);
}

static ct_result *make(int64_t n, int64_t n_trades)
{
    ct_result *r = ct__result_new();
    ck_assert_ptr_nonnull(r);
    set_str(&r->strategy, "<script>alert(1)</script>&");
    set_str(&r->symbol, "BTCUSDT");
    r->interval_ms = 60000;
    r->n = n;
    r->capital = 10000;
    r->time = ct__malloc((size_t)n * sizeof(int64_t));
    r->equity = ct__malloc((size_t)n * sizeof(double));
    r->close = ct__malloc((size_t)n * sizeof(double));
    r->position = ct__calloc((size_t)n, sizeof(double));
    double px = 30000, eq = 10000;
    for (int64_t i = 0; i < n; i++) {
        double d = sin((double)i * 0.001) * 0.002 + cos((double)i * 0.37) * 0.001;
        px *= 1 + d;
        eq *= 1 + 0.5 * d;
        r->time[i] = 1690000000000LL + i * 60000;
        r->close[i] = px;
        r->equity[i] = eq;
    }
    r->trades = ct__calloc((size_t)(n_trades ? n_trades : 1), sizeof(ct_trade));
    r->n_trades = n_trades;
    for (int64_t k = 0; k < n_trades; k++) {
        ct_trade *t = &r->trades[k];
        t->side = 1;
        t->entry_bar = k * (n / (n_trades + 1));
        t->exit_bar = t->entry_bar + 3;
        t->entry_time_ms = r->time[t->entry_bar];
        t->exit_time_ms = r->time[t->exit_bar];
        t->qty = 0.01;
        t->entry_price = r->close[t->entry_bar];
        t->exit_price = r->close[t->exit_bar];
        t->pnl_net = t->qty * (t->exit_price - t->entry_price);
        t->ret = t->exit_price / t->entry_price - 1;
    }
    return r;
}

static char *report_text(const ct_result *r, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/report_%d.html", ct_test_tmpdir(), (int)getpid());
    ck_assert_ok(ct_result_report_html(r, path));
    char *text = ct_test_read_file(path, len);
    ck_assert_ptr_nonnull(text);
    remove(path);
    return text;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

START_TEST(test_report_contents)
{
    ct_result *r = make(20000, 40);
    size_t len;
    char *html = report_text(r, &len);
    static const char *const parts[] = {"<svg id=\"chart-price\"", "<svg id=\"chart-equity\"", "<svg id=\"chart-drawdown\"",
                                        "<svg id=\"chart-monthly\"", "<table id=\"metrics\"", "<table id=\"trades\"",
                                        "<table id=\"drawdowns\"", "class=\"entry\"", "class=\"exit\"",
                                        "sharpe_ratio", "</html>"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        ck_assert_msg(strstr(html, parts[i]) != NULL, "report lacks %s", parts[i]);
    /* self-contained: nothing fetched */
    ck_assert_ptr_null(strstr(html, "http://"));
    ck_assert_ptr_null(strstr(html, "https://"));
    ck_assert_ptr_null(strstr(html, "<link"));
    ck_assert_ptr_null(strstr(html, "src="));
    /* the strategy name is escaped, never markup */
    ck_assert_ptr_null(strstr(html, "<script>alert"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;"));
    ck_assert_int_eq(count(html, "class=\"entry\""), 40);
    ck_assert_int_eq(count(html, "<td>long</td>"), 40); /* one row per trade */
    free(html);
    ct_result_destroy(r);
}
END_TEST

START_TEST(test_report_caps_for_big_runs)
{
    /* 1M one-minute bars and 3000 trades: charts downsampled, 1000 trade rows, a light file */
    ct_result *r = make(1000000, 3000);
    size_t len;
    char *html = report_text(r, &len);
    ck_assert_msg(len < 1500000, "report of 1M bars is %zu bytes", len);
    ck_assert_int_eq(count(html, "<td>long</td>"), 1000);
    ck_assert_ptr_nonnull(strstr(html, "Showing the first and last 500 of 3000 trades"));
    ck_assert_int_le(count(html, "class=\"entry\""), 1000);
    /* each line holds at most ~2000 points */
    const char *p = strstr(html, "<polyline class=\"price\" points=\"");
    ck_assert_ptr_nonnull(p);
    const char *end = strchr(p + 33, '"');
    int pts = 0;
    for (const char *q = p + 33; q < end; q++)
        pts += *q == ',';
    ck_assert_int_le(pts, 2000);
    ck_assert_int_ge(pts, 1000);
    free(html);
    ct_result_destroy(r);
}
END_TEST

START_TEST(test_report_errors)
{
    ct_result *r = make(100, 1);
    ck_assert_status(ct_result_report_html(NULL, "x.html"), CT_E_INVALID_ARG);
    ck_assert_status(ct_result_report_html(r, NULL), CT_E_INVALID_ARG);
    ck_assert_status(ct_result_report_html(r, ""), CT_E_INVALID_ARG);
    ck_assert_status(ct_result_report_html(r, "/nonexistent-dir-ct/report.html"), CT_E_IO);
    ck_assert(strstr(ct_last_error(), "nonexistent-dir-ct") != NULL);
    ck_assert(strstr(ct_result_errmsg(r), "nonexistent-dir-ct") != NULL); /* also on the handle */
    ct_result_destroy(r);

    /* an empty result still gives a page (tables, no charts) */
    r = ct__result_new();
    size_t len;
    char *html = report_text(r, &len);
    ck_assert_ptr_nonnull(strstr(html, "<table id=\"metrics\""));
    ck_assert_ptr_null(strstr(html, "chart-price"));
    free(html);
    ct_result_destroy(r);
}
END_TEST

START_TEST(test_report_oom)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/report_oom_%d.html", ct_test_tmpdir(), (int)getpid());
    ct_test_failalloc_install(1000000);
    ct_result *r0 = make(3000, 5);
    int64_t base = ct_test_failalloc_count();
    ct_result_destroy(r0);
    ct_test_failalloc_remove();
    int ok = 0;
    for (int64_t k = 0; k < 200 && !ok; k++) {
        ct_test_failalloc_install(base + k);
        ct_result *r = make(3000, 5);
        ct_status st = ct_result_report_html(r, path);
        if (st == CT_OK)
            ok = 1;
        else
            ck_assert_int_eq(st, CT_E_NOMEM);
        ct_result_destroy(r);
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        ct_test_failalloc_remove();
    }
    ck_assert(ok);
    remove(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_report_contents);
    tcase_add_test(tc, test_report_caps_for_big_runs);
    tcase_add_test(tc, test_report_errors);
    tcase_add_test(tc, test_report_oom);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
