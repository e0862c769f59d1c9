/*
 * Indicator benchmark: nanoseconds per input element of every indicator (generic entry point,
 * default options) on 1M and 10M synthetic bars, beside
 *   - a plain C loop of the same formula, timed in the same run (baseline; for the common
 *     indicators; it skips the warm-up bookkeeping, NaN fill and option checks), and
 *   - TA-Lib, when CT_TALIB_SO names a TA-Lib shared library (dlopen'ed; never built here).
 * Usage: bench_indicators [n1 n2 ...]   (default 1000000 10000000). Prints a Markdown table.
 * CT_BENCH_ONLY=rsi,sma limits the run to some indicators.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cryptota/cryptota.h"

/* CPU time of this thread: the machine is shared, and wall-clock time would count the time
 * other processes hold the core. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Synthetic bars: a seeded random walk around 30000 with highs/lows around it. */
static double *g_o, *g_h, *g_l, *g_c, *g_v;
static double *g_out[CT_IND_MAX_OUTPUTS];
static volatile double g_sink;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

static void make_data(int64_t n)
{
    double p = 30000.0;
    g_o = malloc(sizeof(double) * (size_t)n);
    g_h = malloc(sizeof(double) * (size_t)n);
    g_l = malloc(sizeof(double) * (size_t)n);
    g_c = malloc(sizeof(double) * (size_t)n);
    g_v = malloc(sizeof(double) * (size_t)n);
    for (int k = 0; k < CT_IND_MAX_OUTPUTS; k++)
        g_out[k] = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        double o = p;
        p += (rnd() - 0.5) * 60.0;
        if (p < 100)
            p = 100;
        g_o[i] = o;
        g_c[i] = p;
        g_h[i] = (o > p ? o : p) + rnd() * 20.0;
        g_l[i] = (o < p ? o : p) - rnd() * 20.0;
        g_v[i] = 1.0 + rnd() * 100.0;
    }
}

static const double *input_of(const char *name)
{
    if (!strcmp(name, "open"))
        return g_o;
    if (!strcmp(name, "high"))
        return g_h;
    if (!strcmp(name, "low"))
        return g_l;
    if (!strcmp(name, "volume"))
        return g_v;
    return g_c;
}

/* ---- plain C loops (baselines) --------------------------------------------------------------- */

static void base_sma(int64_t n)
{
    const double *x = g_c;
    double *y = g_out[0], s = 0;
    int p = 20;
    for (int64_t i = 0; i < p; i++)
        s += x[i];
    for (int64_t i = p; i < n; i++) {
        s += x[i] - x[i - p];
        y[i] = s * (1.0 / p);
    }
}
static void base_ema(int64_t n)
{
    const double *x = g_c;
    double *y = g_out[0], k = 2.0 / 21, e = 0;
    for (int64_t i = 0; i < 20; i++)
        e += x[i];
    e /= 20;
    for (int64_t i = 20; i < n; i++)
        y[i] = e = x[i] * k + e * (1 - k);
}
static void base_rsi(int64_t n)
{
    const double *x = g_c;
    double *y = g_out[0], g = 0, l = 0;
    for (int64_t i = 1; i < n; i++) {
        double d = x[i] - x[i - 1];
        if (i <= 14) {
            if (d > 0) g += d; else l -= d;
            if (i == 14) { g /= 14; l /= 14; }
            continue;
        }
        g = g * (13.0 / 14) + (d + fabs(d)) * 0.5 * (1.0 / 14);
        l = l * (13.0 / 14) + (fabs(d) - d) * 0.5 * (1.0 / 14);
        y[i] = 100 * g / (g + l);
    }
}
static void base_macd(int64_t n)
{
    const double *x = g_c;
    double kf = 2.0 / 13, ks = 2.0 / 27, kg = 2.0 / 10, f = x[0], s = x[0], g = 0;
    for (int64_t i = 1; i < n; i++) {
        f += kf * (x[i] - f);
        s += ks * (x[i] - s);
        double m = f - s;
        g += kg * (m - g);
        g_out[0][i] = m;
        g_out[1][i] = g;
        g_out[2][i] = m - g;
    }
}
static void base_bbands(int64_t n)
{
    const double *x = g_c;
    double s = 0, q = 0;
    int p = 20;
    for (int64_t i = 0; i < n; i++) {
        s += x[i];
        q += x[i] * x[i];
        if (i >= p - 1) {
            double m = s / p, sd = sqrt(fmax(q / p - m * m, 0));
            g_out[0][i] = m + 2 * sd;
            g_out[1][i] = m;
            g_out[2][i] = m - 2 * sd;
            s -= x[i - p + 1];
            q -= x[i - p + 1] * x[i - p + 1];
        }
    }
}
static void base_stddev(int64_t n)
{
    const double *x = g_c;
    double s = 0, q = 0;
    int p = 20;
    for (int64_t i = 0; i < n; i++) {
        s += x[i];
        q += x[i] * x[i];
        if (i >= p - 1) {
            double m = s / p;
            g_out[0][i] = sqrt(fmax(q / p - m * m, 0));
            s -= x[i - p + 1];
            q -= x[i - p + 1] * x[i - p + 1];
        }
    }
}
static void base_atr(int64_t n)
{
    double a = 0;
    for (int64_t i = 1; i < n; i++) {
        double tr = fmax(g_h[i], g_c[i - 1]) - fmin(g_l[i], g_c[i - 1]);
        if (i <= 14) {
            a += tr;
            if (i == 14)
                a /= 14;
            continue;
        }
        g_out[0][i] = a = a * (13.0 / 14) + tr * (1.0 / 14);
    }
}
static void base_trange(int64_t n)
{
    for (int64_t i = 1; i < n; i++)
        g_out[0][i] = fmax(g_h[i], g_c[i - 1]) - fmin(g_l[i], g_c[i - 1]);
}
static void base_mom(int64_t n)
{
    for (int64_t i = 10; i < n; i++)
        g_out[0][i] = g_c[i] - g_c[i - 10];
}
static void base_obv(int64_t n)
{
    double o = g_v[0];
    for (int64_t i = 1; i < n; i++) {
        o += g_c[i] > g_c[i - 1] ? g_v[i] : g_c[i] < g_c[i - 1] ? -g_v[i] : 0;
        g_out[0][i] = o;
    }
}

static const struct {
    const char *name;
    void (*fn)(int64_t);
} k_base[] = {
    {"sma", base_sma},       {"ema", base_ema}, {"rsi", base_rsi},       {"macd", base_macd}, {"bbands", base_bbands},
    {"stddev", base_stddev}, {"atr", base_atr}, {"trange", base_trange}, {"mom", base_mom},   {"obv", base_obv},
};

/* ---- TA-Lib adapters (dlopen'ed; default options of our table) ------------------------------ */

typedef int (*ta_r1)(int, int, const double *, int, int *, int *, double *);
typedef int (*ta_hl)(int, int, const double *, const double *, int, int *, int *, double *);
typedef int (*ta_hlc)(int, int, const double *, const double *, const double *, int, int *, int *, double *);
static void *g_ta;

static void *ta_sym(const char *name)
{
    char buf[64];
    snprintf(buf, sizeof buf, "TA_%s", name);
    return dlsym(g_ta, buf);
}

/* Calls TA-Lib's version of `name` over n rows; returns 0 if there is none. */
static int ta_call(const char *name, int64_t n)
{
    int b, k, e = (int)n - 1;
    char up[32];
    void *f;
    size_t i;
    for (i = 0; name[i] && i < sizeof up - 1; i++)
        up[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    up[i] = 0;
    if (!g_ta || !(f = ta_sym(up)))
        return 0;
    double **o = g_out;
    static const struct {
        const char *n;
        int p;
    } r1[] = {{"SMA", 20}, {"EMA", 20}, {"WMA", 20}, {"DEMA", 20}, {"TEMA", 20}, {"TRIMA", 20}, {"KAMA", 10},
              {"MIDPOINT", 14}, {"LINEARREG", 14}, {"RSI", 14}, {"CMO", 14}, {"TRIX", 30}, {"ROC", 10}, {"MOM", 10}},
      hl[] = {{"MIDPRICE", 14}, {"AROONOSC", 14}, {"PLUS_DM", 14}, {"MINUS_DM", 14}},
      hlc[] = {{"ATR", 14}, {"NATR", 14}, {"ADX", 14}, {"ADXR", 14}, {"DX", 14}, {"PLUS_DI", 14}, {"MINUS_DI", 14},
               {"CCI", 20}, {"WILLR", 14}};
    for (i = 0; i < sizeof r1 / sizeof r1[0]; i++)
        if (!strcmp(up, r1[i].n))
            return ((ta_r1)f)(0, e, g_c, r1[i].p, &b, &k, o[0]), 1;
    for (i = 0; i < sizeof hl / sizeof hl[0]; i++)
        if (!strcmp(up, hl[i].n))
            return ((ta_hl)f)(0, e, g_h, g_l, hl[i].p, &b, &k, o[0]), 1;
    for (i = 0; i < sizeof hlc / sizeof hlc[0]; i++)
        if (!strcmp(up, hlc[i].n))
            return ((ta_hlc)f)(0, e, g_h, g_l, g_c, hlc[i].p, &b, &k, o[0]), 1;
    if (!strcmp(up, "MACD"))
        return ((int (*)(int, int, const double *, int, int, int, int *, int *, double *, double *, double *))f)(
                   0, e, g_c, 12, 26, 9, &b, &k, o[0], o[1], o[2]), 1;
    if (!strcmp(up, "BBANDS"))
        return ((int (*)(int, int, const double *, int, double, double, int, int *, int *, double *, double *, double *))f)(
                   0, e, g_c, 20, 2.0, 2.0, 0, &b, &k, o[0], o[1], o[2]), 1;
    if (!strcmp(up, "STDDEV") || !strcmp(up, "VAR"))
        return ((int (*)(int, int, const double *, int, double, int *, int *, double *))f)(0, e, g_c, 20, 1.0, &b, &k,
                                                                                          o[0]), 1;
    if (!strcmp(up, "STOCH"))
        return ((int (*)(int, int, const double *, const double *, const double *, int, int, int, int, int, int *, int *,
                         double *, double *))f)(0, e, g_h, g_l, g_c, 14, 3, 0, 3, 0, &b, &k, o[0], o[1]), 1;
    if (!strcmp(up, "STOCHF"))
        return ((int (*)(int, int, const double *, const double *, const double *, int, int, int, int *, int *, double *,
                         double *))f)(0, e, g_h, g_l, g_c, 5, 3, 0, &b, &k, o[0], o[1]), 1;
    if (!strcmp(up, "STOCHRSI"))
        return ((int (*)(int, int, const double *, int, int, int, int, int *, int *, double *, double *))f)(
                   0, e, g_c, 14, 5, 3, 0, &b, &k, o[0], o[1]), 1;
    if (!strcmp(up, "PPO"))
        return ((int (*)(int, int, const double *, int, int, int, int *, int *, double *))f)(0, e, g_c, 12, 26, 0, &b, &k,
                                                                                            o[0]), 1;
    if (!strcmp(up, "SAR"))
        return ((int (*)(int, int, const double *, const double *, double, double, int *, int *, double *))f)(
                   0, e, g_h, g_l, 0.02, 0.2, &b, &k, o[0]), 1;
    if (!strcmp(up, "AROON"))
        return ((int (*)(int, int, const double *, const double *, int, int *, int *, double *, double *))f)(
                   0, e, g_h, g_l, 14, &b, &k, o[0], o[1]), 1;
    if (!strcmp(up, "ULTOSC"))
        return ((int (*)(int, int, const double *, const double *, const double *, int, int, int, int *, int *, double *))f)(
                   0, e, g_h, g_l, g_c, 7, 14, 28, &b, &k, o[0]), 1;
    if (!strcmp(up, "BOP"))
        return ((int (*)(int, int, const double *, const double *, const double *, const double *, int *, int *, double *))f)(
                   0, e, g_o, g_h, g_l, g_c, &b, &k, o[0]), 1;
    if (!strcmp(up, "TRANGE"))
        return ((int (*)(int, int, const double *, const double *, const double *, int *, int *, double *))f)(
                   0, e, g_h, g_l, g_c, &b, &k, o[0]), 1;
    if (!strcmp(up, "MFI"))
        return ((int (*)(int, int, const double *, const double *, const double *, const double *, int, int *, int *,
                         double *))f)(0, e, g_h, g_l, g_c, g_v, 14, &b, &k, o[0]), 1;
    if (!strcmp(up, "OBV"))
        return ((int (*)(int, int, const double *, const double *, int *, int *, double *))f)(0, e, g_c, g_v, &b, &k,
                                                                                             o[0]), 1;
    return 0;
}

/* ---- timing ---------------------------------------------------------------------------------- */

/* Best of `reps` runs, in ns per element; kind 0 = ours, 1 = baseline, 2 = TA-Lib. Returns -1 if n/a. */
static double time_one(const ct_indicator_info *ind, int kind, int64_t n, int reps)
{
    double best = 1e300;
    void (*base)(int64_t) = NULL;
    if (kind == 1) {
        for (size_t i = 0; i < sizeof k_base / sizeof k_base[0]; i++)
            if (!strcmp(k_base[i].name, ind->name))
                base = k_base[i].fn;
        if (!base)
            return -1;
    }
    if (kind == 2 && !ta_call(ind->name, 64))
        return -1;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        if (kind == 0) {
            const double *in[CT_IND_MAX_INPUTS];
            for (int32_t k = 0; k < ind->n_inputs; k++)
                in[k] = input_of(ind->input_names[k]);
            if (ct_indicator_run(ind, n, in, NULL, g_out) != CT_OK) {
                fprintf(stderr, "%s failed: %s\n", ind->name, ct_last_error());
                exit(1);
            }
        } else if (kind == 1) {
            base(n);
        } else {
            ta_call(ind->name, n);
        }
        double dt = now_s() - t0;
        g_sink += g_out[0][n - 1];
        if (dt < best)
            best = dt;
    }
    return best / (double)n * 1e9;
}

/* 1 if name is an item of the comma-separated list. */
static int listed(const char *list, const char *name)
{
    size_t L = strlen(name);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, name, L) == 0 && (p[L] == ',' || p[L] == 0))
            return 1;
    return 0;
}

static void cell(double v)
{
    if (v < 0)
        printf(" | —");
    else
        printf(" | %.2f", v);
}

int main(int argc, char **argv)
{
    int64_t sizes[8] = {1000000, 10000000};
    int n_sizes = 2;
    const char *ta_path = getenv("CT_TALIB_SO");
    if (argc > 1) {
        n_sizes = 0;
        for (int i = 1; i < argc && n_sizes < 8; i++)
            sizes[n_sizes++] = atoll(argv[i]);
    }
    if (ta_path && *ta_path) {
        g_ta = dlopen(ta_path, RTLD_NOW | RTLD_LOCAL);
        if (!g_ta) {
            fprintf(stderr, "cannot load %s: %s\n", ta_path, dlerror());
            return 1;
        }
        int (*init)(void) = (int (*)(void))dlsym(g_ta, "TA_Initialize");
        if (init)
            init();
    }
    int64_t maxn = 0;
    for (int s = 0; s < n_sizes; s++)
        if (sizes[s] > maxn)
            maxn = sizes[s];
    make_data(maxn);
    printf("# libcryptota indicators: ns of thread CPU time per element (best of runs), default options\n");
    printf("# baseline = plain C loop of the same formula; TA-Lib: %s\n\n", g_ta ? ta_path : "not loaded (set CT_TALIB_SO)");
    for (int s = 0; s < n_sizes; s++) {
        int64_t n = sizes[s];
        int reps = n <= 2000000 ? 5 : 2;
        printf("### %lld bars\n\n| indicator | ours | C loop | ours/loop | TA-Lib | ours/TA-Lib |\n|---|---|---|---|---|---|\n",
               (long long)n);
        for (int32_t i = 0; i < ct_indicator_count(); i++) {
            const ct_indicator_info *ind = ct_indicator_at(i);
            const char *only = getenv("CT_BENCH_ONLY");
            if (only && *only && !listed(only, ind->name))
                continue;
            double ours = time_one(ind, 0, n, reps);
            double base = time_one(ind, 1, n, reps);
            double ta = g_ta ? time_one(ind, 2, n, reps) : -1;
            printf("| %s", ind->name);
            cell(ours);
            cell(base);
            cell(base > 0 ? ours / base : -1);
            cell(ta);
            cell(ta > 0 ? ours / ta : -1);
            printf(" |\n");
            fflush(stdout);
        }
        printf("\n");
    }
    return g_sink == 12345.0;
}
