/*
 * cryptota backtest FILE --strategy NAME [--params JSON] [--config JSON] [--plugin LIB.so]
 *                   [--json OUT] [--report OUT.html] [--trades OUT.csv] [--equity OUT.csv]
 * Runs one backtest and prints a summary; the outputs go where asked ("-" is stdout for --json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define USAGE                                                                                       \
    "FILE --strategy NAME [--params JSON] [--config JSON] [--plugin LIB.so] [--json OUT]\n"         \
    "       [--report OUT.html] [--trades OUT.csv] [--equity OUT.csv]"

static int write_trades(const ct_result *r, const char *path)
{
    int64_t n = ct_result_trade_count(r);
    ct_trade *tr = calloc((size_t)n + 1, sizeof(ct_trade));
    if (!tr)
        return cli_error("backtest", "out of memory");
    for (int64_t i = 0; i < n; i++)
        tr[i].struct_size = sizeof(ct_trade);
    ct_status s = ct_result_trades(r, tr, n, &n);
    FILE *fp = s == CT_OK ? fopen(path, "w") : NULL;
    if (!fp) {
        free(tr);
        return s != CT_OK ? cli_fail("backtest", s, "trades") : cli_error("backtest", "cannot write %s", path);
    }
    fprintf(fp, "entry_time_ms,exit_time_ms,entry_bar,exit_bar,side,qty,entry_price,exit_price,entry_commission,"
                "exit_commission,pnl_gross,pnl_net,return,bars_held,mae,mfe\n");
    for (int64_t i = 0; i < n; i++) {
        const ct_trade *t = &tr[i];
        fprintf(fp, "%lld,%lld,%lld,%lld,%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%lld,%.17g,%.17g\n",
                (long long)t->entry_time_ms, (long long)t->exit_time_ms, (long long)t->entry_bar,
                (long long)t->exit_bar, (int)t->side, t->qty, t->entry_price, t->exit_price, t->entry_commission,
                t->exit_commission, t->pnl_gross, t->pnl_net, t->ret, (long long)t->bars_held, t->mae, t->mfe);
    }
    free(tr);
    if (fclose(fp) != 0)
        return cli_error("backtest", "cannot write %s", path);
    return 0;
}

static int write_equity(const ct_result *r, const char *path)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return cli_error("backtest", "cannot write %s", path);
    const int64_t *t = ct_result_time_ptr(r);
    const double *e = ct_result_equity_ptr(r);
    fprintf(fp, "time_ms,equity\n");
    for (int64_t i = 0; i < ct_result_len(r); i++)
        fprintf(fp, "%lld,%.17g\n", (long long)t[i], e[i]);
    if (fclose(fp) != 0)
        return cli_error("backtest", "cannot write %s", path);
    return 0;
}

static int write_json(const ct_result *r, const char *path)
{
    char *js = NULL;
    ct_status s = ct_result_json(r, 0, &js);
    if (s != CT_OK)
        return cli_fail("backtest", s, "result JSON");
    FILE *fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!fp) {
        ct_free(js);
        return cli_error("backtest", "cannot write %s", path);
    }
    fprintf(fp, "%s\n", js);
    ct_free(js);
    if (fp != stdout && fclose(fp) != 0)
        return cli_error("backtest", "cannot write %s", path);
    return 0;
}

static void print_summary(const ct_result *r, const char *file)
{
    int32_t has = 0;
    double q = 0, px = 0;
    int64_t et = 0, eb = 0;
    char b1[32], b2[32];
    ct_result_open_position(r, &has, &q, &px, &et, &eb);
    int64_t n = ct_result_len(r);
    const int64_t *t = ct_result_time_ptr(r);
    printf("file              %s\n", file);
    printf("strategy          %s %s\n", ct_result_strategy(r), ct_result_params_json(r));
    printf("config            %s\n", ct_result_config_json(r));
    if (n > 0)
        printf("bars              %lld (%s .. %s)\n", (long long)n, cli_fmt_time(t[0], b1, sizeof(b1)),
               cli_fmt_time(t[n - 1], b2, sizeof(b2)));
    else
        printf("bars              0\n");
    printf("trades            %lld\n", (long long)ct_result_trade_count(r));
    printf("final equity      %.2f\n", ct_result_final_equity(r));
    printf("final cash        %.2f\n", ct_result_final_cash(r));
    if (has)
        printf("open position     %.8g @ %.8g since bar %lld\n", q, px, (long long)eb);
    printf("pending at end    %lld\n", (long long)ct_result_pending_at_end(r));
    printf("rejected orders   %lld\n", (long long)ct_result_rejected_orders(r));
}

int cmd_backtest(int argc, char **argv)
{
    static const char *const valued[] = {"strategy", "params", "config", "plugin", "json",
                                         "report",   "trades", "equity", NULL};
    char *pos[2];
    const char *name = cli_opt(argc, argv, "strategy");
    if (cli_flag(argc, argv, "help") || cli_positionals(argc, argv, valued, pos, 2) != 1 || !name)
        return cli_usage("backtest", USAGE);
    const char *plugin = cli_opt(argc, argv, "plugin"), *params = cli_opt(argc, argv, "params"),
               *config = cli_opt(argc, argv, "config"), *json = cli_opt(argc, argv, "json"),
               *report = cli_opt(argc, argv, "report"), *trades = cli_opt(argc, argv, "trades"),
               *equity = cli_opt(argc, argv, "equity");
    {
        static const char *const names[4] = {"json", "report", "trades", "equity"};
        const char *const paths[4] = {json, report, trades, equity};
        if (cli_check_outputs("backtest", pos[0], 4, names, paths))
            return 2;
    }
    ct_status s;
    if (plugin && (s = ct_plugin_load(plugin)) != CT_OK)
        return cli_fail("backtest", s, plugin);
    ct_feed *f = NULL;
    ct_engine *e = NULL;
    ct_strategy *st = NULL;
    ct_result *r = NULL;
    int rc = 0;
    if (cli_load_candles("backtest", pos[0], &f) != 0)
        return 1;
    if ((s = ct_strategy_create_by_name(name, &st)) != CT_OK)
        rc = cli_fail("backtest", s, "--strategy");
    else if (params && (s = ct_strategy_set_json(st, params)) != CT_OK)
        rc = cli_fail("backtest", s, "--params");
    else if ((s = ct_engine_create(&e)) != CT_OK)
        rc = cli_fail("backtest", s, NULL);
    else if (config && (s = ct_engine_configure_json(e, config)) != CT_OK)
        rc = cli_fail("backtest", s, "--config");
    else if ((s = ct_engine_run(e, f, st, &r)) != CT_OK)
        rc = cli_fail("backtest", s, "run");
    if (rc == 0) {
        if (!(json && strcmp(json, "-") == 0))
            print_summary(r, pos[0]);
        if (json)
            rc = write_json(r, json);
        if (rc == 0 && trades)
            rc = write_trades(r, trades);
        if (rc == 0 && equity)
            rc = write_equity(r, equity);
        if (rc == 0 && report && (s = ct_result_report_html(r, report)) != CT_OK)
            rc = cli_fail("backtest", s, report);
    }
    ct_result_destroy(r);
    ct_engine_destroy(e);
    ct_strategy_destroy(st);
    ct_feed_destroy(f);
    return rc;
}
