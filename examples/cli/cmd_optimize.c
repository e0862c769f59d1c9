/*
 * cryptota optimize FILE --strategy NAME --grid JSON [--metric M] [--minimize|--maximize] [--min-trades N]
 *                   [--threads N] [--top K] [--shard K/N] [--random N --seed S] [--config JSON]
 *                   [--plugin LIB.so] [--json OUT] [--csv OUT]
 *
 * Grid or random search (DESIGN.md sections 9 and 13). Without --minimize or --maximize the
 * direction is the metric's own (ct_metric_higher_is_better). --grid and --config take JSON text or
 * the path of a JSON file; OUT "-" is stdout. Also the helpers shared with `merge` and
 * `walkforward` (declared in cli.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cryptota/metrics.h"

static const char k_usage[] =
    "FILE --strategy NAME --grid JSON [--metric M] [--minimize|--maximize] [--min-trades N] [--threads N] [--top K]\n"
    "       [--shard K/N] [--random N --seed S] [--config JSON] [--plugin LIB.so] [--json OUT] [--csv OUT]";

char *cli_read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (buf && ferror(f)) { /* e.g. a directory: not an empty document */
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

char *cli_json_arg(const char *v)
{
    if (!v)
        return NULL;
    const char *p = v;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p == '{' || *p == '[')
        return strdup(v);
    return cli_read_text(v);
}

int cli_write_text(const char *cmd, const char *path, const char *text)
{
    if (strcmp(path, "-") == 0) {
        fputs(text, stdout);
        fputc('\n', stdout);
        return 0;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return cli_error(cmd, "cannot write %s", path);
    int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : cli_error(cmd, "error writing %s", path);
}

int32_t cli_opt_progress(void *user, int64_t done, int64_t total, double best, double eta)
{
    cli_progress((const char *)user, done, total, 0);
    if (!isnan(best))
        fprintf(stderr, "  best %.4g", best);
    if (!isnan(eta))
        fprintf(stderr, "  eta %.0fs   ", eta);
    fflush(stderr);
    return 0;
}

static void fmt_num(char *buf, size_t cap, double v)
{
    if (isnan(v))
        snprintf(buf, cap, "NaN");
    else
        snprintf(buf, cap, "%.6g", v);
}

void cli_opt_print_table(FILE *out, const ct_optimizer *o, int64_t top)
{
    int64_t total = 0, ev = 0, sk = 0, rows = ct_optimizer_row_count(o);
    double dsr, pbo;
    ct_optimizer_counts(o, &total, &ev, &sk);
    ct_optimizer_overfit(o, &dsr, &pbo);
    int32_t np = ct_optimizer_param_count(o), nm = ct_optimizer_metric_count(o);
    (void)nm;
    const char *obj = ct_optimizer_objective(o);
    char *best_params = NULL;
    int64_t best_idx = -1;
    double best_obj = NAN;
    if (rows > 0) {
        ct_optimizer_row(o, 0, &best_idx, &best_obj);
        ct_optimizer_row_params_json(o, 0, &best_params);
    }
    char b1[32], b2[32], b3[32];
    fmt_num(b1, sizeof(b1), best_obj);
    fmt_num(b2, sizeof(b2), dsr);
    fmt_num(b3, sizeof(b3), pbo);
    fprintf(out, "combinations  %lld (evaluated %lld, skipped %lld)\n", (long long)total, (long long)ev, (long long)sk);
    fprintf(out, "best          #%lld %s\n", (long long)best_idx, best_params ? best_params : "(none)");
    fprintf(out, "objective     %s (%s) = %s\n", obj, ct_optimizer_maximize(o) ? "max" : "min", b1);
    fprintf(out, "DSR           %s   (deflated Sharpe ratio of the best)\n", b2);
    fprintf(out, "PBO           %s   (probability of backtest overfitting, CSCV 16 blocks)\n\n", b3);
    ct_free(best_params);
    if (rows == 0)
        return;
    fprintf(out, "%5s %7s", "rank", "index");
    for (int32_t p = 0; p < np; p++)
        fprintf(out, " %12.12s", ct_optimizer_param_name(o, p));
    const char *cols[] = {obj, "total_return", "sharpe_ratio", "max_drawdown", "total_trades"};
    for (int c = 0; c < 5; c++)
        if (c == 0 || strcmp(cols[c], obj) != 0)
            fprintf(out, " %13.13s", cols[c]);
    fputc('\n', out);
    int64_t n = top > 0 && top < rows ? top : rows;
    double *pv = malloc(sizeof(double) * (size_t)(np > 0 ? np : 1));
    for (int64_t r = 0; r < n && pv; r++) {
        int64_t idx;
        ct_optimizer_row(o, r, &idx, NULL);
        ct_optimizer_row_params(o, r, pv, np, NULL);
        fprintf(out, "%5lld %7lld", (long long)(r + 1), (long long)idx);
        for (int32_t p = 0; p < np; p++)
            fprintf(out, " %12.6g", pv[p]);
        for (int c = 0; c < 5; c++) {
            if (c > 0 && strcmp(cols[c], obj) == 0)
                continue;
            double v = NAN;
            ct_optimizer_row_metric(o, r, cols[c], &v);
            fmt_num(b1, sizeof(b1), v);
            fprintf(out, " %13s", b1);
        }
        fputc('\n', out);
    }
    free(pv);
    if (n < rows)
        fprintf(out, "... %lld more rows (--top, --csv, --json)\n", (long long)(rows - n));
}

/* Shared set-up of optimize and walkforward: feed, class, optimizer, objective, space, threads. */
int cli_opt_setup(const char *cmd, int argc, char **argv, const char *file, ct_feed **feed, ct_optimizer **out)
{
    *feed = NULL;
    *out = NULL;
    const char *strategy = cli_opt(argc, argv, "strategy"), *grid = cli_opt(argc, argv, "grid");
    if (!strategy || !grid)
        return cli_error(cmd, "--strategy and --grid are required");
    if (cli_flag(argc, argv, "minimize") && cli_flag(argc, argv, "maximize")) {
        fprintf(stderr, "cryptota %s: --minimize and --maximize contradict each other\n", cmd);
        return 2;
    }
    const char *plugin = cli_opt(argc, argv, "plugin");
    ct_status s;
    if (plugin && (s = ct_plugin_load(plugin)) != CT_OK)
        return cli_fail(cmd, s, plugin);
    const ct_strategy_class *cls = ct_strategy_class_find(strategy);
    if (!cls)
        return cli_error(cmd, "unknown strategy '%s' (see cryptota strategies)", strategy);
    if (cli_load_candles(cmd, file, feed) != 0)
        return 1;
    ct_optimizer *o = NULL;
    char *gj = cli_json_arg(grid), *cj = NULL;
    int rc = 1;
    if (!gj) {
        rc = cli_error(cmd, "cannot read --grid %s", grid);
        goto out;
    }
    if ((s = ct_optimizer_create(*feed, cls, &o)) != CT_OK) {
        rc = cli_fail(cmd, s, "optimizer");
        goto out;
    }
    const char *metric = cli_opt(argc, argv, "metric"), *config = cli_opt(argc, argv, "config");
    int64_t threads, mt, nrandom, seed;
    if (cli_int_opt(cmd, argc, argv, "threads", 0, &threads) || cli_int_opt(cmd, argc, argv, "min-trades", 0, &mt) ||
        cli_int_opt(cmd, argc, argv, "random", -1, &nrandom) || cli_int_opt(cmd, argc, argv, "seed", 0, &seed)) {
        rc = 2;
        goto out;
    }
    if (threads < 0 || threads > INT32_MAX) {
        rc = 2;
        fprintf(stderr, "cryptota %s: --threads %lld is out of range (0 = one per core)\n", cmd, (long long)threads);
        goto out;
    }
    if (config && !(cj = cli_json_arg(config))) {
        rc = cli_error(cmd, "cannot read --config %s", config);
        goto out;
    }
    /* direction: --minimize / --maximize, else the metric's own (higher_is_better) */
    const char *mname = metric ? metric : "sharpe_ratio";
    int32_t mi = ct_metric_find(mname);
    int32_t maximize = cli_flag(argc, argv, "minimize") ? 0
                       : cli_flag(argc, argv, "maximize") ? 1
                       : (mi >= 0 ? ct_metric_higher_is_better(mi) : 1);
    if ((cj && (s = ct_optimizer_configure_engine_json(o, cj)) != CT_OK) ||
        (s = ct_optimizer_set_objective(o, mname, maximize)) != CT_OK ||
        (s = ct_optimizer_set_threads(o, (int32_t)threads)) != CT_OK ||
        (s = ct_optimizer_set_min_trades(o, mt)) != CT_OK) {
        rc = cli_fail(cmd, s, NULL);
        goto out;
    }
    int random = cli_opt(argc, argv, "random") != NULL;
    if (random)
        s = ct_optimizer_set_random_json(o, gj, nrandom, (uint64_t)seed);
    else
        s = ct_optimizer_set_grid_json(o, gj);
    if (s != CT_OK) {
        rc = cli_fail(cmd, s, random ? "--random/--grid" : "--grid");
        goto out;
    }
    if (cli_stderr_tty())
        ct_optimizer_set_progress(o, cli_opt_progress, (void *)cmd);
    rc = 0;
out:
    free(gj);
    free(cj);
    if (rc != 0) {
        ct_optimizer_destroy(o);
        ct_feed_destroy(*feed);
        *feed = NULL;
        return rc;
    }
    *out = o;
    return 0;
}

int cmd_optimize(int argc, char **argv)
{
    static const char *const valued[] = {"strategy", "grid", "metric", "threads", "top", "shard", "json", "csv",
                                         "config", "plugin", "min-trades", "random", "seed", NULL};
    char *pos[2];
    if (cli_flag(argc, argv, "help") || cli_positionals(argc, argv, valued, pos, 2) != 1)
        return cli_usage("optimize", k_usage);
    ct_feed *feed;
    ct_optimizer *o;
    int64_t ntop;
    if (cli_int_opt("optimize", argc, argv, "top", 10, &ntop))
        return 2;
    {
        static const char *const names[2] = {"json", "csv"};
        const char *const paths[2] = {cli_opt(argc, argv, "json"), cli_opt(argc, argv, "csv")};
        if (cli_check_outputs("optimize", pos[0], 2, names, paths))
            return 2;
    }
    int rc = cli_opt_setup("optimize", argc, argv, pos[0], &feed, &o);
    if (rc != 0)
        return rc;
    const char *shard = cli_opt(argc, argv, "shard"), *json = cli_opt(argc, argv, "json");
    const char *csv = cli_opt(argc, argv, "csv");
    ct_status s;
    if (shard) {
        long long k, n;
        char extra;
        if (sscanf(shard, "%lld/%lld%c", &k, &n, &extra) != 2) {
            rc = cli_error("optimize", "--shard must be K/N (e.g. 0/4), not '%s'", shard);
            goto out;
        }
        if ((s = ct_optimizer_set_shard(o, k, n)) != CT_OK) {
            rc = cli_fail("optimize", s, "--shard");
            goto out;
        }
    }
    s = ct_optimizer_run(o);
    if (cli_stderr_tty())
        fputc('\n', stderr);
    if (s != CT_OK) {
        rc = cli_fail("optimize", s, NULL);
        goto out;
    }
    if (json) {
        char *txt;
        if ((s = ct_optimizer_json(o, 0, &txt)) != CT_OK) {
            rc = cli_fail("optimize", s, "json");
            goto out;
        }
        rc = cli_write_text("optimize", json, txt);
        ct_free(txt);
        if (rc)
            goto out;
    }
    if (csv) {
        char *txt;
        if ((s = ct_optimizer_csv(o, &txt)) != CT_OK) {
            rc = cli_fail("optimize", s, "csv");
            goto out;
        }
        size_t len = strlen(txt);
        if (len && txt[len - 1] == '\n')
            txt[len - 1] = '\0';
        rc = cli_write_text("optimize", csv, txt);
        ct_free(txt);
        if (rc)
            goto out;
    }
    if (!(json && strcmp(json, "-") == 0) && !(csv && strcmp(csv, "-") == 0))
        cli_opt_print_table(stdout, o, ntop);
out:
    ct_optimizer_destroy(o);
    ct_feed_destroy(feed);
    return rc;
}
