/*
 * Slow reference implementations (see ref.h): O(n * period), allocation-free where possible,
 * written from the published definitions rather than from the fast code.
 */
#include <math.h>
#include <string.h>

#include "indicators/ref/ref.h"
#include "internal/ct_internal.h"

#define NANV ((double)NAN)

static void fill_nan(double *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = NANV;
}

static double win_max(const double *x, int64_t i, int32_t p)
{
    double m = x[i];
    for (int64_t j = i - p + 1; j < i; j++)
        if (x[j] > m)
            m = x[j];
    return m;
}
static double win_min(const double *x, int64_t i, int32_t p)
{
    double m = x[i];
    for (int64_t j = i - p + 1; j < i; j++)
        if (x[j] < m)
            m = x[j];
    return m;
}

/* SMA: a fresh sum per window. */
static ct_status ref_sma(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = (int32_t)opt[0];
    fill_nan(out[0], n);
    for (int64_t i = p - 1; i < n; i++) {
        double s = 0.0;
        for (int64_t j = i - p + 1; j <= i; j++)
            s += in[0][j];
        out[0][i] = s / p;
    }
    return CT_OK;
}

/* WMA of x into y (weights 1..p, newest heaviest) for rows i >= first + p - 1. */
static void wma_naive(const double *x, int64_t n, int64_t first, int32_t p, double *y)
{
    double div = p * (p + 1) / 2.0;
    for (int64_t i = first + p - 1; i < n; i++) {
        double s = 0.0;
        for (int32_t k = 0; k < p; k++)
            s += (double)(p - k) * x[i - k];
        y[i] = s / div;
    }
}
static ct_status ref_wma(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    fill_nan(out[0], n);
    wma_naive(in[0], n, 0, (int32_t)opt[0], out[0]);
    return CT_OK;
}

/* Population standard deviation per window, two passes (exact reference for the stable update). */
static ct_status ref_stddev(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = (int32_t)opt[0];
    fill_nan(out[0], n);
    for (int64_t i = p - 1; i < n; i++) {
        double s = 0.0, q = 0.0, m;
        for (int64_t j = i - p + 1; j <= i; j++)
            s += in[0][j];
        m = s / p;
        for (int64_t j = i - p + 1; j <= i; j++)
            q += (in[0][j] - m) * (in[0][j] - m);
        out[0][i] = sqrt(q / p) * opt[1];
    }
    return CT_OK;
}

/* HMA(n) = WMA(2*WMA(x, n/2) - WMA(x, n), floor(sqrt(n))) (Alan Hull, 2005). */
static ct_status ref_hma(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = (int32_t)opt[0], s = (int32_t)floor(sqrt((double)p));
    double *a = ct__malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    double *b = ct__malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    double *d = ct__malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!a || !b || !d) {
        ct__free(a);
        ct__free(b);
        ct__free(d);
        return CT_E_NOMEM;
    }
    fill_nan(a, n);
    fill_nan(b, n);
    fill_nan(d, n);
    fill_nan(out[0], n);
    wma_naive(in[0], n, 0, p / 2, a);
    wma_naive(in[0], n, 0, p, b);
    for (int64_t i = p - 1; i < n; i++)
        d[i] = 2.0 * a[i] - b[i];
    wma_naive(d, n, p - 1, s, out[0]);
    ct__free(a);
    ct__free(b);
    ct__free(d);
    return CT_OK;
}

/* Wilder ATR straight from the definition: mean of the first p true ranges, then (prev*(p-1)+TR)/p. */
static void atr_naive(const double *h, const double *l, const double *c, int64_t n, int32_t p, double *y)
{
    double atr = 0.0;
    fill_nan(y, n);
    for (int64_t i = 1; i < n; i++) {
        double tr = fmax(h[i], c[i - 1]) - fmin(l[i], c[i - 1]);
        if (i < p) {
            atr += tr;
        } else if (i == p) {
            atr = (atr + tr) / p;
            y[i] = atr;
        } else {
            atr = (atr * (p - 1) + tr) / p;
            y[i] = atr;
        }
    }
}

/* Keltner (Raschke): EMA(close, period) ± mult × ATR(atr_period). */
static ct_status ref_keltner(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = (int32_t)opt[0], pa = (int32_t)opt[1];
    int64_t lb = (p - 1) > pa ? (p - 1) : pa;
    double k = 2.0 / (p + 1), ema = 0.0;
    double *atr = ct__malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!atr)
        return CT_E_NOMEM;
    atr_naive(in[0], in[1], in[2], n, pa, atr);
    for (int j = 0; j < 3; j++)
        fill_nan(out[j], n);
    for (int64_t i = 0; i < n; i++) {
        if (i < p - 1) {
            ema += in[2][i];
            continue;
        }
        ema = i == p - 1 ? (ema + in[2][i]) / p : ema + k * (in[2][i] - ema);
        if (i >= lb) {
            out[0][i] = ema + opt[2] * atr[i];
            out[1][i] = ema;
            out[2][i] = ema - opt[2] * atr[i];
        }
    }
    ct__free(atr);
    return CT_OK;
}

/* Donchian: highest high and lowest low of the last p bars, and their mid-point. */
static ct_status ref_donchian(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = (int32_t)opt[0];
    for (int j = 0; j < 3; j++)
        fill_nan(out[j], n);
    for (int64_t i = p - 1; i < n; i++) {
        out[0][i] = win_max(in[0], i, p);
        out[2][i] = win_min(in[1], i, p);
        out[1][i] = (out[0][i] + out[2][i]) / 2.0;
    }
    return CT_OK;
}

/* Rolling VWAP: fresh sums of TP*v and v per window; NaN when the volume sum is 0. */
static ct_status ref_vwap(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = (int32_t)opt[0];
    fill_nan(out[0], n);
    for (int64_t i = p - 1; i < n; i++) {
        double a = 0.0, b = 0.0;
        for (int64_t j = i - p + 1; j <= i; j++) {
            double tp = (in[0][j] + in[1][j] + in[2][j]) / 3.0;
            a += tp * in[3][j];
            b += in[3][j];
        }
        out[0][i] = b != 0.0 ? a / b : NANV;
    }
    return CT_OK;
}

/* SuperTrend as TradingView's ta.supertrend, with arrays of basic and final bands. */
static ct_status ref_supertrend(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = (int32_t)opt[0];
    double m = opt[1];
    double *atr = ct__malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    double *fu = ct__malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    double *fl = ct__malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    int dir = -1;
    if (!atr || !fu || !fl) {
        ct__free(atr);
        ct__free(fu);
        ct__free(fl);
        return CT_E_NOMEM;
    }
    atr_naive(in[0], in[1], in[2], n, p, atr);
    fill_nan(out[0], n);
    fill_nan(out[1], n);
    for (int64_t i = p; i < n; i++) {
        double hl2 = (in[0][i] + in[1][i]) / 2.0;
        double bu = hl2 + m * atr[i], bl = hl2 - m * atr[i];
        if (i == p) {
            fu[i] = bu;
            fl[i] = bl;
            dir = -1;
        } else {
            fl[i] = (bl > fl[i - 1] || in[2][i - 1] < fl[i - 1]) ? bl : fl[i - 1];
            fu[i] = (bu < fu[i - 1] || in[2][i - 1] > fu[i - 1]) ? bu : fu[i - 1];
            if (dir < 0)
                dir = in[2][i] > fu[i] ? 1 : -1;
            else
                dir = in[2][i] < fl[i] ? -1 : 1;
        }
        out[0][i] = dir > 0 ? fl[i] : fu[i];
        out[1][i] = dir;
    }
    ct__free(atr);
    ct__free(fu);
    ct__free(fl);
    return CT_OK;
}

/* Ichimoku: mid-ranges by scanning each window; spans taken from `displacement` rows back. */
static double midrange(const double *h, const double *l, int64_t i, int32_t p)
{
    return (win_max(h, i, p) + win_min(l, i, p)) / 2.0;
}
static ct_status ref_ichimoku(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t pt = (int32_t)opt[0], pk = (int32_t)opt[1], ps = (int32_t)opt[2], d = (int32_t)opt[3];
    int32_t m = pt > pk ? pt : pk;
    if (ps > m)
        m = ps;
    for (int j = 0; j < 4; j++)
        fill_nan(out[j], n);
    for (int64_t i = (int64_t)m - 1 + d; i < n; i++) {
        out[0][i] = midrange(in[0], in[1], i, pt);
        out[1][i] = midrange(in[0], in[1], i, pk);
        out[2][i] = (midrange(in[0], in[1], i - d, pt) + midrange(in[0], in[1], i - d, pk)) / 2.0;
        out[3][i] = midrange(in[0], in[1], i - d, ps);
    }
    return CT_OK;
}

/* Aroon: bars since the highest high / lowest low of the last p+1 bars (ties: most recent). */
static ct_status ref_aroon(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = (int32_t)opt[0];
    fill_nan(out[0], n);
    fill_nan(out[1], n);
    for (int64_t i = p; i < n; i++) {
        int64_t hi = i - p, lo = i - p;
        for (int64_t j = i - p; j <= i; j++) {
            if (in[0][j] >= in[0][hi])
                hi = j;
            if (in[1][j] <= in[1][lo])
                lo = j;
        }
        out[0][i] = 100.0 / p * (double)(p - (i - lo));
        out[1][i] = 100.0 / p * (double)(p - (i - hi));
    }
    return CT_OK;
}

static const struct {
    const char *name;
    ct__ind_ref_fn fn;
} k_refs[] = {
    {"sma", ref_sma},           {"wma", ref_wma},           {"stddev", ref_stddev},     {"hma", ref_hma},
    {"keltner", ref_keltner},   {"donchian", ref_donchian}, {"vwap", ref_vwap},         {"supertrend", ref_supertrend},
    {"ichimoku", ref_ichimoku}, {"aroon", ref_aroon},
};

ct__ind_ref_fn ct__ind_ref_find(const char *name)
{
    for (size_t i = 0; i < sizeof(k_refs) / sizeof(k_refs[0]); i++)
        if (strcmp(k_refs[i].name, name) == 0)
            return k_refs[i].fn;
    return NULL;
}
