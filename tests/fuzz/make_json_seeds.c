/*
 * Writes the seed corpora of the JSON fuzzers into OUT/corpus_<target>: valid documents made by
 * the library itself (default engine config, default strategy parameters of every registered
 * class, grids spanning each parameter's schema, real shard documents of a small search) plus a
 * few hand-written edge cases. Usage: make_json_seeds OUT_DIR
 *
 * Input layouts (see each fuzz_json_*.c): strategy = 1 class byte + JSON; grid = 1 class byte +
 * 1 mode byte + JSON; merge = up to 4 JSON documents separated by NUL bytes; the others = JSON.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cryptota/cryptota.h"

static const char *g_out;
static int g_count;

static void put_bytes(const char *target, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/corpus_%s/%s", g_out, target, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "make_json_seeds: cannot write %s\n", path);
        return;
    }
    fwrite(p, 1, n, f);
    fclose(f);
    g_count++;
}

static void put(const char *target, const char *name, const char *txt) { put_bytes(target, name, txt, strlen(txt)); }

/* A seed with a header of `nh` bytes before the JSON text. */
static void put_hdr(const char *target, const char *name, const unsigned char *hdr, size_t nh, const char *json)
{
    char buf[16384];
    size_t n = strlen(json);
    if (nh + n > sizeof(buf))
        return;
    memcpy(buf, hdr, nh);
    memcpy(buf + nh, json, n);
    put_bytes(target, name, buf, nh + n);
}

static void klines_seeds(void)
{
    /* the layout of BINANCE.md: 12 fields, prices and volumes as decimal strings */
    put("klines", "page2.json",
        "[[1499040000000,\"0.01634790\",\"0.80000000\",\"0.01575800\",\"0.01577100\",\"148976.11427815\","
        "1499644799999,\"2434.19055334\",308,\"1756.87402397\",\"28.46694368\",\"0\"],"
        "[1499644800000,\"0.01577100\",\"0.01600000\",\"0.01500000\",\"0.01590000\",\"1000.5\","
        "1500249599999,\"15.9\",12,\"500\",\"7.9\",\"0\"]]");
    put("klines", "empty.json", "[]");
    put("klines", "ws.json", " [ [ 60000 , \"1\" , \"2\" , \"0.5\" , \"1.5\" , \"0\" , 119999 ] ]\r\n");
    put("klines", "seven.json", "[[0,\"1\",\"1\",\"1\",\"1\",\"1\",59999],[60000,\"1\",\"1\",\"1\",\"1\",\"1\",119999]]");
    put("klines", "bare.json", "[[1,2.5,3,1e0,2,0.0,2,null,true,false,\"x\\\"y\",-1]]");
    put("klines", "digits.json",
        "[[1700000000000,\"93576.00000000\",\"93610.93000000\",\"0.00000001\",\"123456789.123456789012345\","
        "\"9007199254740993\",1700000059999,\"0\",0,\"0\",\"0\",\"0\"]]");
    put("klines", "exp.json", "[[1,\"1e5\",\"1E-5\",\"-0\",\"2.5e+3\",\"0.1000000000000000055511151231257827\",2]]");
    put("klines", "trunc.json", "[[1499040000000,\"0.01634790\",\"0.80000000\",\"0.0157");
}

static void fetcher_seeds(void)
{
    put("fetcher", "all.json",
        "{\"base_url\":\"http://127.0.0.1:8080/\",\"cache_dir\":\"\",\"user_agent\":\"fuzz/1\",\"timeout_ms\":1000,"
        "\"connect_timeout_ms\":500,\"max_retries\":0,\"retry_base_ms\":0,\"retry_max_ms\":10,\"max_parallel\":64,"
        "\"weight_limit\":1,\"weight_window_ms\":1,\"page_limit\":1500,\"drop_open_bar\":false,"
        "\"checkpoint_rows\":1000}");
    put("fetcher", "urls.json", "{\"spot_url\":\"https://a.example\",\"futures_url\":\"http://b.example//\"}");
    put("fetcher", "range.json", "{\"max_parallel\":65}");
    put("fetcher", "type.json", "{\"timeout_ms\":\"1000\",\"drop_open_bar\":true}");
    put("fetcher", "unknown.json", "{\"nope\":1}");
    put("fetcher", "empty.json", "{}");
}

static void engine_seeds(void)
{
    ct_engine *e = NULL;
    char *j = NULL;
    if (ct_engine_create(&e) == CT_OK && ct_engine_config_json(e, &j) == CT_OK)
        put("engine", "default.json", j);
    ct_free(j);
    j = NULL;
    if (e && ct_engine_configure_json(e, "{\"fill\":\"close\",\"metrics_freq\":\"daily\",\"allow_short\":true,"
                                         "\"leverage\":3,\"commission\":0.0004,\"maker_commission\":-0.0001,"
                                         "\"tick_size\":0.01,\"lot_step\":0.001,\"min_notional\":5,"
                                         "\"periods_per_year\":8760,\"risk_free\":0.0001,\"close_at_end\":true,"
                                         "\"stop_first\":false,\"slippage_bps\":2.5,\"capital\":1e6}") == CT_OK &&
        ct_engine_config_json(e, &j) == CT_OK)
        put("engine", "custom.json", j);
    ct_free(j);
    ct_engine_destroy(e);
    put("engine", "range.json", "{\"leverage\":0.5}");
    put("engine", "enum.json", "{\"fill\":\"open\"}");
    put("engine", "dup.json", "{\"commission\":0.1,\"commission\":0.2,\"taker_commission\":0}");
}

/* A grid over one parameter spanning a few steps of its schema, e.g. {"p":{"from":a,"to":b,"step":s}}. */
static void param_grid(char *buf, size_t cap, const char *name, int32_t kind, double def, double lo, double hi,
                       double step)
{
    if (kind == CT_PARAM_BOOL) {
        snprintf(buf, cap, "{\"%s\":[true,false]}", name);
        return;
    }
    if (!(step > 0))
        step = kind == CT_PARAM_INT ? 1 : (hi - lo) / 4;
    double to = lo + 2 * step;
    if (to > hi)
        to = hi;
    snprintf(buf, cap, "{\"%s\":{\"from\":%.17g,\"to\":%.17g,\"step\":%.17g}}", name, lo, to, step);
    (void)def;
}

static void strategy_and_grid_seeds(void)
{
    int32_t nc = ct_strategy_class_count();
    for (int32_t c = 0; c < nc && c < 256; c++) {
        const ct_strategy_class *cls = ct_strategy_class_at(c);
        ct_strategy *s = NULL;
        char *j = NULL;
        char name[64], buf[4096];
        unsigned char hdr[2] = {(unsigned char)c, 0};
        if (ct_strategy_create(cls, &s) == CT_OK && ct_strategy_params_json(s, &j) == CT_OK) {
            snprintf(name, sizeof(name), "default_%d.json", (int)c);
            put_hdr("strategy", name, hdr, 1, j);
        }
        ct_free(j);
        ct_strategy_destroy(s);
        /* every parameter at its min and at its max, one document each */
        char lo_doc[4096] = "{", hi_doc[4096] = "{", list_doc[4096] = "{";
        int32_t np = ct_strategy_class_n_params(cls);
        for (int32_t i = 0; i < np; i++) {
            const char *pn;
            int32_t kind;
            double def, lo, hi, step;
            if (ct_strategy_class_param(cls, i, &pn, &kind, &def, &lo, &hi, &step, NULL) != CT_OK)
                continue;
            size_t k = strlen(lo_doc);
            snprintf(lo_doc + k, sizeof(lo_doc) - k, "%s\"%s\":%.17g", i ? "," : "", pn, lo);
            k = strlen(hi_doc);
            snprintf(hi_doc + k, sizeof(hi_doc) - k, "%s\"%s\":%.17g", i ? "," : "", pn, hi);
            k = strlen(list_doc);
            snprintf(list_doc + k, sizeof(list_doc) - k, "%s\"%s\":[%.17g,%.17g]", i ? "," : "", pn, def, lo);
            param_grid(buf, sizeof(buf), pn, kind, def, lo, hi, step);
            hdr[1] = 0; /* grid */
            snprintf(name, sizeof(name), "grid_%d_%d.json", (int)c, (int)i);
            put_hdr("grid", name, hdr, 2, buf);
            hdr[1] = 1 | (3 << 1); /* random, 4 samples */
            snprintf(name, sizeof(name), "random_%d_%d.json", (int)c, (int)i);
            put_hdr("grid", name, hdr, 2, buf);
        }
        strcat(lo_doc, "}");
        strcat(hi_doc, "}");
        strcat(list_doc, "}");
        snprintf(name, sizeof(name), "min_%d.json", (int)c);
        put_hdr("strategy", name, hdr, 1, lo_doc);
        snprintf(name, sizeof(name), "max_%d.json", (int)c);
        put_hdr("strategy", name, hdr, 1, hi_doc);
        hdr[1] = 0;
        snprintf(name, sizeof(name), "lists_%d.json", (int)c);
        put_hdr("grid", name, hdr, 2, list_doc);
    }
    const unsigned char h0[2] = {0, 0}, he[2] = {0, 0x80}, hr[2] = {0, 1};
    put_hdr("strategy", "unknown.json", h0, 1, "{\"no_such_parameter\":1}");
    put_hdr("strategy", "type.json", h0, 1, "{\"rsi_period\":\"14\"}");
    put_hdr("grid", "engine.json", he, 2, "{\"commission\":0.0004,\"fill\":\"close\"}");
    put_hdr("grid", "continuous.json", hr, 2, "{\"fraction\":{\"from\":0.5,\"to\":1}}");
    put_hdr("grid", "bad_range.json", h0, 2, "{\"rsi_period\":{\"from\":10,\"to\":5}}");
}

/* A synthetic 200-bar hourly feed (a noisy sine) and a 2 x 2 grid of sma_cross, run whole and in
 * shards of 2 and 3: the shard documents are what `cryptota optimize --shard` writes. */
static void merge_seeds(void)
{
    enum { N = 200 };
    int64_t t[N];
    double o[N], h[N], l[N], c[N], v[N];
    uint64_t x = 12345;
    double p = 100;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double r = ((double)(x >> 11) / 9007199254740992.0 - 0.5) * 0.02 + 0.01 * sin(i / 9.0);
        t[i] = 1700000000000LL + (int64_t)i * 3600000;
        o[i] = p;
        p *= 1 + r;
        c[i] = p;
        h[i] = fmax(o[i], c[i]) * 1.002;
        l[i] = fmin(o[i], c[i]) * 0.998;
        v[i] = 10 + i % 7;
    }
    ct_feed *feed = NULL;
    if (ct_feed_from_arrays("SEEDUSDT", 3600000, t, o, h, l, c, v, N, 0, &feed) != CT_OK)
        return;
    const char *grid = "{\"fast\":[3,5],\"slow\":{\"from\":10,\"to\":20,\"step\":10},\"fraction\":0.5}";
    for (int64_t shards = 1; shards <= 3; shards++) {
        char docs[3][65536];
        size_t lens[3];
        int ok = 1;
        for (int64_t k = 0; k < shards && ok; k++) {
            ct_optimizer *op = NULL;
            char *j = NULL;
            ok = ct_optimizer_create(feed, ct_strategy_class_find("sma_cross"), &op) == CT_OK &&
                 ct_optimizer_set_threads(op, 1) == CT_OK && ct_optimizer_set_grid_json(op, grid) == CT_OK &&
                 ct_optimizer_set_shard(op, k, shards) == CT_OK && ct_optimizer_run(op) == CT_OK &&
                 ct_optimizer_json(op, 0, &j) == CT_OK && strlen(j) < sizeof(docs[k]);
            if (ok) {
                lens[k] = strlen(j);
                memcpy(docs[k], j, lens[k]);
            } else {
                fprintf(stderr, "make_json_seeds: shard run failed: %s\n", ct_optimizer_errmsg(op));
            }
            ct_free(j);
            ct_optimizer_destroy(op);
        }
        if (!ok)
            continue;
        static char all[3 * 65536 + 3];
        size_t n = 0;
        for (int64_t k = 0; k < shards; k++) {
            if (k)
                all[n++] = '\0';
            memcpy(all + n, docs[k], lens[k]);
            n += lens[k];
        }
        char name[64];
        snprintf(name, sizeof(name), "shards_%lld.json", (long long)shards);
        put_bytes("merge", name, all, n);
        if (shards == 2) { /* one shard alone: "shard 1 of 2 is missing" */
            put_bytes("merge", "missing.json", docs[0], lens[0]);
        }
    }
    ct_feed_destroy(feed);
    put("merge", "empty.json", "{}");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_json_seeds OUT_DIR\n");
        return 2;
    }
    g_out = argv[1];
    klines_seeds();
    fetcher_seeds();
    engine_seeds();
    strategy_and_grid_seeds();
    merge_seeds();
    printf("make_json_seeds: %d seeds\n", g_count);
    return 0;
}
