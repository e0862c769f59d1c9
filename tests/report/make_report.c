/*
 * Test helper: builds a ct_result from the reference files (the backtrader `next_open` trades and
 * equity curve of one candle file, reference/README.md) or a synthetic N-bar run, and writes its
 * HTML report, its result JSON and/or prints its cache key.
 *
 *   make_report --ref STEM [--html OUT.html] [--json OUT.json] [--key]
 *   make_report --synthetic N [--html OUT.html] [--json OUT.json] [--key]
 */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/result_internal.h"
#include "test_util.h"

static int die(const char *what)
{
    fprintf(stderr, "make_report: %s (%s)\n", what, ct_last_error());
    return 1;
}

/* Rows of a CSV with a header: column 0 (int64) and the columns in `cols` (doubles). */
static int64_t read_cols(const char *path, int64_t **t, double **out, int ncols, const int *cols)
{
    size_t len;
    char *text = ct_test_read_file(path, &len);
    if (!text)
        return -1;
    int64_t cap = 4096, n = 0;
    *t = malloc((size_t)cap * sizeof(int64_t));
    *out = malloc((size_t)cap * (size_t)ncols * sizeof(double));
    char *p = strchr(text, '\n');
    while (p && *++p) {
        if (n == cap) {
            cap *= 2;
            *t = realloc(*t, (size_t)cap * sizeof(int64_t));
            *out = realloc(*out, (size_t)cap * (size_t)ncols * sizeof(double));
        }
        double f[8];
        char *q = p;
        (*t)[n] = strtoll(q, &q, 10);
        for (int c = 1; c < 8; c++) {
            if (*q != ',')
                break;
            f[c] = strtod(q + 1, &q);
        }
        for (int k = 0; k < ncols; k++)
            (*out)[n * ncols + k] = f[cols[k]];
        n++;
        p = strchr(q, '\n');
    }
    free(text);
    return n;
}

static ct_result *from_reference(const char *stem)
{
    char name[512];
    int64_t *te, *tc;
    double *eq, *ohlc;
    snprintf(name, sizeof(name), "metrics/eq_next_open_%s.csv.zst", stem);
    const int c_eq[1] = {1};
    int64_t n = read_cols(ct_test_ref(name), &te, &eq, 1, c_eq);
    snprintf(name, sizeof(name), "%s.csv.zst", stem);
    const int c_hlc[3] = {2, 3, 4}; /* high, low, close */
    int64_t nc = read_cols(ct_test_data(name), &tc, &ohlc, 3, c_hlc);
    snprintf(name, sizeof(name), "backtests/bt_next_open_%s.json", stem);
    size_t len;
    char *js = ct_test_read_file(ct_test_ref(name), &len);
    cJSON *bt = js ? cJSON_Parse(js) : NULL;
    free(js);
    if (n <= 0 || nc != n || !bt) {
        fprintf(stderr, "make_report: cannot read the reference files of %s\n", stem);
        exit(1);
    }
    ct_result *r = ct__result_new();
    ct__free(r->strategy);
    ct__free(r->symbol);
    ct__free(r->params_json);
    ct__free(r->config_json);
    r->strategy = ct__strdup("rsi");
    r->symbol = ct__strdup(strchr(stem, '_') + 1);
    *strchr(r->symbol, '_') = '\0';
    r->params_json = ct__strdup("{\"overbought\":70,\"oversold\":30,\"period\":14}");
    r->config_json = ct__strdup("{\"capital\":10000,\"commission\":0.001,\"fill\":\"next_open\"}");
    r->interval_ms = te[1] - te[0];
    r->n = n;
    r->time = ct__malloc((size_t)n * sizeof(int64_t));
    r->equity = ct__malloc((size_t)n * sizeof(double));
    r->close = ct__malloc((size_t)n * sizeof(double));
    r->position = ct__calloc((size_t)n, sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        r->time[i] = te[i];
        r->equity[i] = eq[i];
        r->close[i] = ohlc[3 * i + 2];
    }
    const cJSON *trades = cJSON_GetObjectItem(bt, "trades");
    int64_t nt = cJSON_GetArraySize(trades);
    r->trades = ct__calloc((size_t)(nt ? nt : 1), sizeof(ct_trade));
    r->n_trades = nt;
    r->capital = 10000;
    for (int64_t i = 0; i < nt; i++) {
        const cJSON *j = cJSON_GetArrayItem(trades, (int)i);
        ct_trade *t = &r->trades[i];
        t->struct_size = sizeof(ct_trade);
        t->side = 1;
        t->entry_time_ms = (int64_t)cJSON_GetObjectItem(j, "entry_time_ms")->valuedouble;
        t->exit_time_ms = (int64_t)cJSON_GetObjectItem(j, "exit_time_ms")->valuedouble;
        t->entry_bar = (int64_t)cJSON_GetObjectItem(j, "entry_bar")->valuedouble;
        t->exit_bar = (int64_t)cJSON_GetObjectItem(j, "exit_bar")->valuedouble;
        t->bars_held = t->exit_bar - t->entry_bar;
        t->qty = cJSON_GetObjectItem(j, "size")->valuedouble;
        t->entry_price = cJSON_GetObjectItem(j, "entry_price")->valuedouble;
        t->exit_price = cJSON_GetObjectItem(j, "exit_price")->valuedouble;
        t->entry_commission = cJSON_GetObjectItem(j, "entry_commission")->valuedouble;
        t->exit_commission = cJSON_GetObjectItem(j, "exit_commission")->valuedouble;
        t->pnl_gross = cJSON_GetObjectItem(j, "pnl_gross")->valuedouble;
        t->pnl_net = cJSON_GetObjectItem(j, "pnl_net")->valuedouble;
        t->ret = t->pnl_net / (t->qty * t->entry_price + t->entry_commission);
        double lo = t->entry_price, hi = t->entry_price;
        for (int64_t b = t->entry_bar; b <= t->exit_bar && b < n; b++) {
            lo = fmin(lo, ohlc[3 * b + 1]);
            hi = fmax(hi, ohlc[3 * b]);
        }
        t->mae = lo / t->entry_price - 1;
        t->mfe = hi / t->entry_price - 1;
        for (int64_t b = t->entry_bar; b < t->exit_bar && b < n; b++)
            r->position[b] = t->qty;
        r->total_commission += t->entry_commission + t->exit_commission;
        r->turnover += t->qty * (t->entry_price + t->exit_price);
        r->n_fills += 2;
    }
    const cJSON *op = cJSON_GetObjectItem(bt, "open_position");
    if (cJSON_IsObject(op)) {
        r->has_open = 1;
        r->open_qty = cJSON_GetObjectItem(op, "size")->valuedouble;
        r->open_entry_price = cJSON_GetObjectItem(op, "entry_price")->valuedouble;
        r->open_entry_time = (int64_t)cJSON_GetObjectItem(op, "entry_time_ms")->valuedouble;
        r->open_entry_bar = (int64_t)cJSON_GetObjectItem(op, "entry_bar")->valuedouble;
        for (int64_t b = r->open_entry_bar; b < n; b++)
            r->position[b] = r->open_qty;
        r->total_commission += cJSON_GetObjectItem(op, "entry_commission")->valuedouble;
        r->turnover += r->open_qty * r->open_entry_price;
        r->n_fills++;
    }
    r->final_cash = cJSON_GetObjectItem(bt, "final_cash")->valuedouble;
    /* a content hash of the candles, as the engine records it (FNV-1a over time and close) */
    uint64_t h = 1469598103934665603ULL;
    for (int64_t i = 0; i < n; i++) {
        uint64_t w[2];
        w[0] = (uint64_t)r->time[i];
        memcpy(&w[1], &r->close[i], 8);
        for (int k = 0; k < 2; k++)
            for (int s = 0; s < 64; s += 8)
                h = (h ^ ((w[k] >> s) & 0xff)) * 1099511628211ULL;
    }
    r->feed_hash = h;
    cJSON_Delete(bt);
    free(te);
    free(eq);
    free(tc);
    free(ohlc);
    return r;
}

/* A synthetic N-bar hourly run: a random walk, a trade every 200 bars. */
static ct_result *synthetic(int64_t n)
{
    ct_result *r = ct__result_new();
    ct__free(r->strategy);
    ct__free(r->symbol);
    r->strategy = ct__strdup("synthetic");
    r->symbol = ct__strdup("TESTUSDT");
    r->interval_ms = 3600000;
    r->n = n;
    r->capital = 10000;
    r->time = ct__malloc((size_t)n * sizeof(int64_t));
    r->equity = ct__malloc((size_t)n * sizeof(double));
    r->close = ct__malloc((size_t)n * sizeof(double));
    r->position = ct__calloc((size_t)n, sizeof(double));
    int64_t nt = n / 200;
    r->trades = ct__calloc((size_t)(nt ? nt : 1), sizeof(ct_trade));
    uint64_t s = 42;
    double px = 100, eq = 10000;
    for (int64_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
        double ret = u * 0.01;
        px *= 1 + ret;
        int in = (i % 200) >= 50 && (i % 200) < 150;
        if (in)
            eq *= 1 + ret;
        r->time[i] = 1600000000000LL + i * 3600000;
        r->close[i] = px;
        r->equity[i] = eq;
        r->position[i] = in ? 1 : 0;
    }
    for (int64_t k = 0; k < nt; k++) {
        ct_trade *t = &r->trades[k];
        t->struct_size = sizeof(ct_trade);
        t->side = 1;
        t->entry_bar = k * 200 + 50;
        t->exit_bar = k * 200 + 150;
        t->entry_time_ms = r->time[t->entry_bar];
        t->exit_time_ms = r->time[t->exit_bar];
        t->bars_held = 100;
        t->qty = 1;
        t->entry_price = r->close[t->entry_bar - 1];
        t->exit_price = r->close[t->exit_bar - 1];
        t->pnl_gross = t->exit_price - t->entry_price;
        t->pnl_net = t->pnl_gross;
        t->ret = t->pnl_net / t->entry_price;
        t->mae = -0.01;
        t->mfe = 0.01;
    }
    r->n_trades = nt;
    r->final_cash = eq;
    r->feed_hash = (uint64_t)n * 2654435761ULL;
    return r;
}

int main(int argc, char **argv)
{
    const char *ref = NULL, *html = NULL, *json = NULL;
    int64_t syn = 0;
    int key = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ref") == 0 && i + 1 < argc)
            ref = argv[++i];
        else if (strcmp(argv[i], "--synthetic") == 0 && i + 1 < argc)
            syn = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc)
            html = argv[++i];
        else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            json = argv[++i];
        else if (strcmp(argv[i], "--key") == 0)
            key = 1;
        else {
            fprintf(stderr, "usage: make_report (--ref STEM | --synthetic N) [--html F] [--json F] [--key]\n");
            return 2;
        }
    }
    ct_result *r = ref ? from_reference(ref) : syn > 1 ? synthetic(syn) : NULL;
    if (!r)
        return die("no input");
    if (html && ct_result_report_html(r, html) != CT_OK)
        return die("report");
    if (json) {
        char *s = NULL;
        if (ct_result_json(r, 2000, &s) != CT_OK)
            return die("json");
        FILE *f = fopen(json, "wb");
        if (!f || fputs(s, f) < 0 || fclose(f) != 0)
            return die("write json");
        ct_free(s);
    }
    if (key) {
        char k[65];
        if (ct_result_cache_key(r, k, sizeof(k)) != CT_OK)
            return die("key");
        printf("%s\n", k);
    }
    ct_result_destroy(r);
    return 0;
}
