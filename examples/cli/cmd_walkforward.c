/*
 * cryptota walkforward FILE --strategy NAME --grid JSON --train LEN --test LEN [--purge LEN]
 *                      [--anchored] [--metric M] [--minimize] [--min-trades N] [--threads N]
 *                      [--config JSON] [--plugin LIB.so] [--json OUT] [--report OUT.html]
 *
 * LEN is a number of bars, or a duration with a unit (30m, 12h, 90d, 4w): when any length has
 * a unit, all are durations and plain numbers count bars of the file's interval.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char k_usage[] =
    "FILE --strategy NAME --grid JSON --train LEN --test LEN [--purge LEN] [--anchored] [--metric M]\n"
    "       [--minimize] [--min-trades N] [--threads N] [--config JSON] [--plugin LIB.so] [--json OUT]\n"
    "       [--report OUT.html]        LEN: bars, or a duration like 30d, 12h, 90m, 4w";

/* Parse "123" (bars; *ms = -1) or "12h" (*ms = duration). Returns 0 on success. */
static int parse_len(const char *s, int64_t *bars, int64_t *ms)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0 || errno == ERANGE)
        return -1;
    *bars = v;
    *ms = -1;
    if (*end == '\0')
        return 0;
    int64_t unit = 0;
    if (strcmp(end, "s") == 0)
        unit = 1000;
    else if (strcmp(end, "m") == 0)
        unit = 60000;
    else if (strcmp(end, "h") == 0)
        unit = 3600000;
    else if (strcmp(end, "d") == 0)
        unit = 86400000;
    else if (strcmp(end, "w") == 0)
        unit = 7 * 86400000LL;
    else
        return -1;
    if (v > INT64_MAX / unit)
        return -1;
    *ms = v * unit;
    return 0;
}

int cmd_walkforward(int argc, char **argv)
{
    static const char *const valued[] = {"strategy", "grid", "metric", "threads", "train", "test", "purge", "json",
                                         "report", "config", "plugin", "min-trades", "random", "seed", NULL};
    char *pos[2];
    if (cli_flag(argc, argv, "help") || cli_positionals(argc, argv, valued, pos, 2) != 1)
        return cli_usage("walkforward", k_usage);
    {
        static const char *const names[2] = {"json", "report"};
        const char *const paths[2] = {cli_opt(argc, argv, "json"), cli_opt(argc, argv, "report")};
        if (cli_check_outputs("walkforward", pos[0], 2, names, paths))
            return 2;
    }
    const char *ltxt[3] = {cli_opt(argc, argv, "train"), cli_opt(argc, argv, "test"), cli_opt(argc, argv, "purge")};
    if (!ltxt[0] || !ltxt[1])
        return cli_error("walkforward", "--train and --test are required");
    int64_t bars[3] = {0, 0, 0}, ms[3] = {-1, -1, -1};
    int durations = 0;
    for (int i = 0; i < 3; i++) {
        if (ltxt[i] && parse_len(ltxt[i], &bars[i], &ms[i]) != 0)
            return cli_error("walkforward", "--%s: '%s' is not a number of bars or a duration like 30d",
                             i == 0 ? "train" : i == 1 ? "test" : "purge", ltxt[i]);
        durations |= ms[i] >= 0;
    }
    ct_feed *feed;
    ct_optimizer *o;
    int rc = cli_opt_setup("walkforward", argc, argv, pos[0], &feed, &o);
    if (rc != 0)
        return rc;
    int64_t len[3], iv = ct_feed_interval_ms(feed);
    ct_walkforward *wf = NULL;
    ct_status s;
    for (int i = 0; i < 3; i++) {
        if (durations && ms[i] < 0 && iv > 0 && bars[i] > INT64_MAX / iv) {
            rc = cli_error("walkforward", "--%s: %lld bars of %lld ms is out of range",
                           i == 0 ? "train" : i == 1 ? "test" : "purge", (long long)bars[i], (long long)iv);
            goto out;
        }
        len[i] = durations ? (ms[i] >= 0 ? ms[i] : bars[i] * iv) : bars[i];
    }
    s = ct_optimizer_walkforward(o, len[0], len[1], len[2], cli_flag(argc, argv, "anchored"),
                                 durations ? CT_WF_MS : CT_WF_BARS, &wf);
    if (cli_stderr_tty())
        fputc('\n', stderr);
    if (s != CT_OK) {
        rc = cli_fail("walkforward", s, NULL);
        goto out;
    }
    const char *json = cli_opt(argc, argv, "json"), *report = cli_opt(argc, argv, "report");
    if (json) {
        char *txt;
        if ((s = ct_walkforward_json(wf, &txt)) != CT_OK) {
            rc = cli_fail("walkforward", s, "json");
            goto out;
        }
        rc = cli_write_text("walkforward", json, txt);
        ct_free(txt);
        if (rc)
            goto out;
    }
    if (report && (s = ct_walkforward_report_html(wf, report)) != CT_OK) {
        rc = cli_fail("walkforward", s, report);
        goto out;
    }
    if (!(json && strcmp(json, "-") == 0)) {
        int64_t nw = ct_walkforward_window_count(wf);
        int32_t np = ct_optimizer_param_count(o);
        const int64_t *t = ct_feed_time(feed);
        printf("%3s %-20s %-20s", "#", "train from", "test from .. to");
        for (int32_t p = 0; p < np; p++)
            printf(" %12.12s", ct_optimizer_param_name(o, p));
        printf(" %12s %12s\n", "IS obj", "OOS obj");
        double *pv = malloc(sizeof(double) * (size_t)(np > 0 ? np : 1));
        for (int64_t w = 0; w < nw && pv; w++) {
            int64_t a, c, d;
            double is, oos;
            char b1[32], b2[32], b3[32];
            ct_walkforward_window(wf, w, &a, NULL, &c, &d, NULL, &is, &oos);
            ct_walkforward_window_params(wf, w, pv, np, NULL);
            printf("%3lld %-20s %-10.10s..%-10.10s", (long long)w, cli_fmt_time(t[a], b1, sizeof(b1)),
                   cli_fmt_time(t[c], b2, sizeof(b2)), cli_fmt_time(t[d - 1], b3, sizeof(b3)));
            for (int32_t p = 0; p < np; p++)
                printf(" %12.6g", pv[p]);
            printf(" %12.6g %12.6g\n", is, oos);
        }
        free(pv);
        double tr, sh, dd, cagr;
        ct_walkforward_metric(wf, "total_return", &tr);
        ct_walkforward_metric(wf, "sharpe_ratio", &sh);
        ct_walkforward_metric(wf, "max_drawdown", &dd);
        ct_walkforward_metric(wf, "cagr", &cagr);
        printf("\nout of sample: total_return %.6g, cagr %.6g, sharpe_ratio %.6g, max_drawdown %.6g\n", tr, cagr, sh, dd);
        printf("walk-forward efficiency (OOS cagr / mean IS cagr): %.6g\n", ct_walkforward_efficiency(wf));
    }
out:
    ct_walkforward_destroy(wf);
    ct_optimizer_destroy(o);
    ct_feed_destroy(feed);
    return rc;
}
