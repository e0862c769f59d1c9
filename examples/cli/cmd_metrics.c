/*
 * cryptota metrics EQUITY.csv [--benchmark FILE] [--periods-per-year N] [--risk-free R] [--daily] [--json]
 *
 * Scores an equity curve (`time_ms,equity`, one row per bar) with every metric of the library
 * (DESIGN.md sections 8 and 13). The benchmark is a candle file (.csv, .csv.zst, .ctz: its close)
 * or a `time_ms,value` CSV; both return series are aligned on time.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char k_usage[] =
    "EQUITY.csv [--benchmark FILE] [--periods-per-year N] [--risk-free R] [--daily] [--json]";

typedef struct series {
    int64_t *t;
    double *v;
    int64_t n, cap;
} series;

static void series_free(series *s)
{
    free(s->t);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        if (n + 4096 > cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/*
 * Read a two-column CSV (`time_ms,value`, optional header). The rows are checked here, so an
 * error names this file and its line (the library would number the rows of the series from 0,
 * under the equity file's name): times strictly increasing, values finite and > 0 (levels), at
 * least one row. Returns 0 or prints the error.
 */
static int read_two_columns(const char *cmd, const char *path, series *s)
{
    size_t len = 0;
    char *text = slurp(path, &len);
    if (!text)
        return cli_error(cmd, "cannot read '%s': %s", path, strerror(errno));
    char *p = text;
    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* a UTF-8 byte order mark: else a header-less first row would pass for a header */
    int64_t line = 0;
    int rc = 0;
    while (*p) {
        line++;
        char *eol = strchr(p, '\n');
        if (eol)
            *eol = '\0';
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r')
            p[l - 1] = '\0';
        if (*p && !(line == 1 && !((*p >= '0' && *p <= '9') || *p == '-'))) { /* skip a header line */
            char *end;
            errno = 0;
            long long t = strtoll(p, &end, 10);
            double v = 0;
            int ok = end != p && *end == ',' && errno == 0;
            if (ok) {
                char *vend;
                v = strtod(end + 1, &vend);
                ok = vend != end + 1 && (*vend == '\0' || *vend == ',');
            }
            if (!ok) {
                rc = cli_error(cmd, "%s line %lld: expected time_ms,value", path, (long long)line);
                break;
            }
            if (!(isfinite(v) && v > 0)) {
                rc = cli_error(cmd, "%s line %lld: value %g is not finite and > 0", path, (long long)line, v);
                break;
            }
            if (s->n > 0 && t <= s->t[s->n - 1]) {
                rc = cli_error(cmd, "%s line %lld: time %lld is not after the previous row's %lld", path,
                               (long long)line, t, (long long)s->t[s->n - 1]);
                break;
            }
            if (s->n == s->cap) {
                int64_t nc = s->cap ? s->cap * 2 : 4096;
                int64_t *nt = realloc(s->t, (size_t)nc * sizeof(int64_t));
                if (nt)
                    s->t = nt;
                double *nv = realloc(s->v, (size_t)nc * sizeof(double));
                if (nv)
                    s->v = nv;
                if (!nt || !nv) {
                    rc = cli_error(cmd, "out of memory reading %s", path);
                    break;
                }
                s->cap = nc;
            }
            s->t[s->n] = t;
            s->v[s->n] = v;
            s->n++;
        }
        if (!eol)
            break;
        p = eol + 1;
    }
    free(text);
    if (rc == 0 && s->n == 0) /* an empty or header-only file: no curve to score, not a curve of nulls */
        rc = cli_error(cmd, "%s has no data rows (expected time_ms,value lines)", path);
    return rc;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* A benchmark file: candles (their close) when the library can load it, else time_ms,value. */
static int read_benchmark(const char *cmd, const char *path, series *s)
{
    int candles = ends_with(path, ".ctz") || ends_with(path, ".zst");
    if (!candles) {
        /* a plain CSV is candles when its first line has at least 5 fields */
        FILE *f = fopen(path, "rb");
        if (!f)
            return cli_error(cmd, "cannot read '%s': %s", path, strerror(errno));
        char line[1024];
        int fields = 0;
        if (fgets(line, sizeof(line), f)) {
            fields = 1;
            for (const char *q = line; *q; q++)
                fields += *q == ',';
        }
        fclose(f);
        candles = fields >= 5;
    }
    if (!candles)
        return read_two_columns(cmd, path, s);
    ct_feed *feed = NULL;
    ct_status st = ct_feed_load(path, CT_GAPS_KEEP, &feed);
    if (st != CT_OK)
        return cli_fail(cmd, st, path);
    int64_t n = ct_feed_len(feed);
    s->t = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    s->v = malloc((size_t)(n ? n : 1) * sizeof(double));
    if (!s->t || !s->v) {
        ct_feed_destroy(feed);
        return cli_error(cmd, "out of memory reading %s", path);
    }
    if (n > 0) {
        memcpy(s->t, ct_feed_time(feed), (size_t)n * sizeof(int64_t));
        memcpy(s->v, ct_feed_close(feed), (size_t)n * sizeof(double));
    }
    s->n = s->cap = n;
    ct_feed_destroy(feed);
    return 0;
}

static void print_table(const ct_metrics *m)
{
    int32_t n = ct_metric_count();
    for (int32_t i = 0; i < n; i++) {
        double v = NAN;
        ct_metrics_get(m, ct_metric_name(i), &v);
        if (isnan(v))
            continue; /* undefined for a bare curve (trade statistics) or for this data */
        printf("%-28s %20.10g  %s\n", ct_metric_name(i), v, ct_metric_unit(i));
    }
}

int cmd_metrics(int argc, char **argv)
{
    const char *cmd = "metrics";
    if (cli_flag(argc, argv, "help"))
        return printf("usage: cryptota metrics %s\n", k_usage), 0;
    static const char *const valued[] = {"benchmark", "periods-per-year", "risk-free", NULL};
    char *pos[2];
    if (cli_positionals(argc, argv, valued, pos, 2) != 1)
        return cli_usage(cmd, k_usage);
    const char *bench = cli_opt(argc, argv, "benchmark");
    const char *ppy_s = cli_opt(argc, argv, "periods-per-year");
    const char *rf_s = cli_opt(argc, argv, "risk-free");
    double ppy = 0, rf = 0;
    char *end;
    if (ppy_s) {
        ppy = strtod(ppy_s, &end);
        if (end == ppy_s || *end || !(ppy > 0) || !isfinite(ppy))
            return cli_error(cmd, "--periods-per-year: '%s' is not a finite number > 0", ppy_s);
    }
    if (rf_s) {
        rf = strtod(rf_s, &end);
        if (end == rf_s || *end || !isfinite(rf))
            return cli_error(cmd, "--risk-free: '%s' is not a number", rf_s);
    }
    series eq = {0}, bm = {0};
    int rc = read_two_columns(cmd, pos[0], &eq);
    if (rc == 0 && bench)
        rc = read_benchmark(cmd, bench, &bm);
    if (rc == 0) {
        ct_metrics *m = NULL;
        ct_status st = ct_metrics_from_equity(eq.t, eq.v, eq.n, bm.t, bm.v, bm.n, ppy, rf,
                                              cli_flag(argc, argv, "daily") ? CT_METRICS_DAILY : 0, &m);
        if (st != CT_OK) {
            rc = cli_fail(cmd, st, pos[0]);
        } else if (cli_flag(argc, argv, "json")) {
            char *js = NULL;
            st = ct_metrics_json(m, &js);
            if (st != CT_OK)
                rc = cli_fail(cmd, st, "json");
            else
                printf("%s\n", js);
            ct_free(js);
        } else {
            print_table(m);
        }
        ct_metrics_destroy(m);
    }
    series_free(&eq);
    series_free(&bm);
    return rc;
}
