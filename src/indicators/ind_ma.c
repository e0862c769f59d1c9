/*
 * Moving averages: SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA (TA-Lib classic definitions) and
 * HMA (Alan Hull). SMA and EMA have hand-written batch loops that perform exactly the float
 * operations of their step functions, so streaming equals batch bit for bit.
 */
#include "indicators/ind_internal.h"

/* ---- SMA ---------------------------------------------------------------------------------- */

/*
 * Running sum of the window: the first p values summed in order, then sum += (x - x[t-p]);
 * output sum * (1/p). TA-Lib adds the new value and subtracts the oldest in two dependent steps
 * and divides by p; the difference form has one dependent addition per bar and the reciprocal
 * avoids a division (the bottleneck), agreeing with TA-Lib to rounding (~1e-16 relative).
 */
typedef struct sma_st {
    ct__ring r;
    double sum;
    int64_t t;
    int32_t p;
} sma_st;

static int32_t sma_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t sma_size(const double *opt) { return ct__ind_piece(sizeof(sma_st)) + ct__ring_size(CT__OPT_I(opt, 0)); }
static void sma_init(sma_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    ct__ring_init(&st->r, &cur, st->p);
    st->sum = 0.0;
    st->t = 0;
}
static void sma_step(sma_st *st, const double *in, double *out)
{
    double x = in[0];
    double old = ct__ring_push(&st->r, x);
    int64_t t = st->t++;
    if (t < st->p) {
        st->sum += x;
        out[0] = t == st->p - 1 ? st->sum * (1.0 / st->p) : CT__NAN;
        return;
    }
    st->sum += (x - old);
    out[0] = st->sum * (1.0 / st->p);
}
static ct_status sma_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    const double *x = in[0];
    double *y = out[0];
    int32_t p = CT__OPT_I(opt, 0);
    double sum = 0.0, ip = 1.0 / p;
    ct__ind_nan(y, n, p - 1);
    if (n < p)
        return CT_OK;
    for (int64_t i = 0; i < p; i++)
        sum += x[i];
    y[p - 1] = sum * ip;
    for (int64_t i = p; i < n; i++) {
        sum += (x[i] - x[i - p]);
        y[i] = sum * ip;
    }
    return CT_OK;
}
CT__IND_HOOKS(sma, sma_st)
CT__IND_IMPL(sma)

/* ---- EMA ---------------------------------------------------------------------------------- */

typedef struct ema_st {
    ct__ema e;
} ema_st;

static int32_t ema_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t ema_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(ema_st));
}
static void ema_init(ema_st *st, const double *opt) { ct__ema_init(&st->e, CT__OPT_I(opt, 0)); }
static void ema_step(ema_st *st, const double *in, double *out)
{
    out[0] = ct__ema_push(&st->e, in[0]) ? st->e.val : CT__NAN;
}
/* Seed = SMA of the first p values (TA-Lib classic), then x*k + prev*(1-k) (see ct__ema). */
static ct_status ema_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    const double *x = in[0];
    double *y = out[0];
    ct__ema e;
    int32_t p = CT__OPT_I(opt, 0);
    double sum = 0.0, prev;
    ct__ema_init(&e, p);
    ct__ind_nan(y, n, p - 1);
    if (n < p)
        return CT_OK;
    for (int32_t i = 0; i < p; i++)
        sum += x[i];
    prev = sum / p;
    y[p - 1] = prev;
    for (int64_t i = p; i < n; i++) {
        prev = (x[i] * e.k) + (prev * e.omk);
        y[i] = prev;
    }
    return CT_OK;
}
CT__IND_HOOKS(ema, ema_st)
CT__IND_IMPL(ema)

/* ---- WMA ---------------------------------------------------------------------------------- */

typedef struct wma_st {
    ct__wma w;
} wma_st;

static int32_t wma_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t wma_size(const double *opt) { return ct__ind_piece(sizeof(wma_st)) + ct__wma_size(CT__OPT_I(opt, 0)); }
static void wma_init(wma_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    ct__wma_init(&st->w, &cur, CT__OPT_I(opt, 0));
}
static void wma_step(wma_st *st, const double *in, double *out)
{
    if (!ct__wma_push(&st->w, in[0], &out[0]))
        out[0] = CT__NAN;
}
/* TA-Lib TA_WMA with the operations of ct__wma_push, reading the trailing value from the input. */
static ct_status wma_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    const double *x = in[0];
    double *y = out[0];
    int32_t p = CT__OPT_I(opt, 0);
    double sum = 0.0, sub = 0.0, trailing = 0.0, divider = (double)(((int64_t)p * (p + 1)) / 2);
    if (p == 1) {
        memcpy(y, x, sizeof(double) * (size_t)n);
        return CT_OK;
    }
    ct__ind_nan(y, n, p - 1);
    for (int64_t i = 0; i < p - 1 && i < n; i++) {
        sub += x[i];
        sum += x[i] * (int32_t)(i + 1);
    }
    for (int64_t i = p - 1; i < n; i++) {
        double v = x[i];
        sub += v;
        sub -= trailing;
        sum += v * p;
        trailing = x[i - p + 1];
        y[i] = sum / divider;
        sum -= sub;
    }
    return CT_OK;
}
CT__IND_HOOKS(wma, wma_st)
CT__IND_IMPL(wma)

/* ---- DEMA / TEMA / TRIX share an EMA chain ------------------------------------------------- */

typedef struct dema_st {
    ct__ema e1, e2;
} dema_st;

static int32_t dema_lookback(const double *opt) { return 2 * (CT__OPT_I(opt, 0) - 1); }
static size_t dema_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(dema_st));
}
static void dema_init(dema_st *st, const double *opt)
{
    ct__ema_init(&st->e1, CT__OPT_I(opt, 0));
    ct__ema_init(&st->e2, CT__OPT_I(opt, 0));
}
/* TA-Lib TA_DEMA: 2*EMA(x) - EMA(EMA(x)), the second EMA seeded on the first p EMA values. */
static void dema_step(dema_st *st, const double *in, double *out)
{
    out[0] = CT__NAN;
    if (ct__ema_push(&st->e1, in[0]) && ct__ema_push(&st->e2, st->e1.val))
        out[0] = (2.0 * st->e1.val) - st->e2.val;
}
CT__IND_BATCH_FROM_STEP(dema, 1, 1)
CT__IND_HOOKS(dema, dema_st)
CT__IND_IMPL(dema)

typedef struct tema_st {
    ct__ema e1, e2, e3;
} tema_st;

static int32_t tema_lookback(const double *opt) { return 3 * (CT__OPT_I(opt, 0) - 1); }
static size_t tema_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(tema_st));
}
static void tema_init(tema_st *st, const double *opt)
{
    ct__ema_init(&st->e1, CT__OPT_I(opt, 0));
    ct__ema_init(&st->e2, CT__OPT_I(opt, 0));
    ct__ema_init(&st->e3, CT__OPT_I(opt, 0));
}
/* TA-Lib TA_TEMA: EMA3 + (3*EMA1 - 3*EMA2). */
static void tema_step(tema_st *st, const double *in, double *out)
{
    out[0] = CT__NAN;
    if (ct__ema_push(&st->e1, in[0]) && ct__ema_push(&st->e2, st->e1.val) && ct__ema_push(&st->e3, st->e2.val))
        out[0] = st->e3.val + ((3.0 * st->e1.val) - (3.0 * st->e2.val));
}
CT__IND_BATCH_FROM_STEP(tema, 1, 1)
CT__IND_HOOKS(tema, tema_st)
CT__IND_IMPL(tema)

typedef struct trix_st {
    ct__ema e1, e2, e3;
    double prev;
    int32_t have;
} trix_st;

static int32_t trix_lookback(const double *opt) { return 3 * (CT__OPT_I(opt, 0) - 1) + 1; }
static size_t trix_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(trix_st));
}
static void trix_init(trix_st *st, const double *opt)
{
    ct__ema_init(&st->e1, CT__OPT_I(opt, 0));
    ct__ema_init(&st->e2, CT__OPT_I(opt, 0));
    ct__ema_init(&st->e3, CT__OPT_I(opt, 0));
    st->prev = 0.0;
    st->have = 0;
}
/* TA-Lib TA_TRIX: 1-bar rate of change (percent) of a triple EMA; 0 when the previous is 0. */
static void trix_step(trix_st *st, const double *in, double *out)
{
    out[0] = CT__NAN;
    if (ct__ema_push(&st->e1, in[0]) && ct__ema_push(&st->e2, st->e1.val) && ct__ema_push(&st->e3, st->e2.val)) {
        double v = st->e3.val;
        if (st->have)
            out[0] = st->prev != 0.0 ? ((v / st->prev) - 1.0) * 100.0 : 0.0;
        st->prev = v;
        st->have = 1;
    }
}
CT__IND_BATCH_FROM_STEP(trix, 1, 1)
CT__IND_HOOKS(trix, trix_st)
CT__IND_IMPL(trix)

/* ---- TRIMA: SMA of an SMA (triangular weights), TA-Lib's period split -------------------- */

typedef struct trima_st {
    ct__sma a, b;
} trima_st;

/* Odd p: two SMAs of (p+1)/2. Even p: SMA(p/2 + 1) then SMA(p/2). */
static void trima_periods(int32_t p, int32_t *pa, int32_t *pb)
{
    if (p & 1) {
        *pa = (p + 1) / 2;
        *pb = (p + 1) / 2;
    } else {
        *pa = p / 2 + 1;
        *pb = p / 2;
    }
}
static int32_t trima_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t trima_size(const double *opt)
{
    int32_t pa, pb;
    trima_periods(CT__OPT_I(opt, 0), &pa, &pb);
    return ct__ind_piece(sizeof(trima_st)) + ct__sma_size(pa) + ct__sma_size(pb);
}
static void trima_init(trima_st *st, const double *opt)
{
    int32_t pa, pb;
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    trima_periods(CT__OPT_I(opt, 0), &pa, &pb);
    ct__sma_init(&st->a, &cur, pa);
    ct__sma_init(&st->b, &cur, pb);
}
/* Like ct__sma_push, but multiplies by the reciprocal of the period: two divisions per bar
 * were TRIMA's bottleneck. Differs from TA-Lib by rounding only (~1e-16 relative). */
static inline int trima_push(ct__sma *s, double x, double inv, double *out)
{
    if (!ct__sma_add(s, x))
        return 0;
    *out = s->sum * inv;
    ct__sma_drop(s);
    return 1;
}
static void trima_step(trima_st *st, const double *in, double *out)
{
    double a;
    if (!(trima_push(&st->a, in[0], 1.0 / st->a.p, &a) && trima_push(&st->b, a, 1.0 / st->b.p, &out[0])))
        out[0] = CT__NAN;
}
/* The batch form does the stream's arithmetic in the same order (so the outputs are
 * bit-identical), but reads the first SMA's trailing value straight from the input and keeps
 * only the second SMA's window in a ring. */
static ct_status trima_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t pa, pb;
    trima_periods(CT__OPT_I(opt, 0), &pa, &pb);
    const double *x = in[0];
    double *y = out[0];
    double *ring = ct__malloc((size_t)pb * sizeof(double));
    if (!ring)
        return ct__fail(NULL, CT_E_NOMEM, "trima: out of memory for the work state");
    const double inv_a = 1.0 / pa, inv_b = 1.0 / pb;
    double sum_a = 0.0, sum_b = 0.0;
    int64_t i = 0;
    int32_t k = 0, nb = 0;
    for (; i < n && i < pa - 1; i++) {
        sum_a += x[i];
        y[i] = CT__NAN;
    }
    for (; i < n; i++) {
        sum_a += x[i];
        double a = sum_a * inv_a;
        sum_a -= x[i - pa + 1];
        ring[k] = a;
        k = k + 1 == pb ? 0 : k + 1;
        sum_b += a;
        if (nb < pb - 1) {
            nb++;
            y[i] = CT__NAN;
            continue;
        }
        y[i] = sum_b * inv_b;
        sum_b -= ring[k];
    }
    ct__free(ring);
    return CT_OK;
}
CT__IND_HOOKS(trima, trima_st)
CT__IND_IMPL(trima)

/* ---- KAMA (TA-Lib TA_KAMA; fast 2, slow 30) ------------------------------------------------ */

typedef struct kama_st {
    ct__ring r; /* last p+1 inputs */
    double sum_roc1;
    double trailing;
    double kama;
    int64_t t;
    int32_t p;
} kama_st;

static int32_t kama_lookback(const double *opt) { return CT__OPT_I(opt, 0); }
static size_t kama_size(const double *opt) { return ct__ind_piece(sizeof(kama_st)) + ct__ring_size(CT__OPT_I(opt, 0) + 1); }
static void kama_init(kama_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    ct__ring_init(&st->r, &cur, st->p + 1);
    st->sum_roc1 = 0.0;
    st->trailing = 0.0;
    st->kama = 0.0;
    st->t = 0;
}
static void kama_step(kama_st *st, const double *in, double *out)
{
    const double const_max = 2.0 / (30.0 + 1.0);
    const double const_diff = 2.0 / (2.0 + 1.0) - const_max;
    double x = in[0];
    int32_t p = st->p;
    double prev_x = st->t > 0 ? ct__ring_ago(&st->r, 1) : 0.0;
    double old = st->t >= p ? ct__ring_ago(&st->r, p) : 0.0; /* x[t-p] */
    double roc, sc;
    out[0] = CT__NAN;
    if (st->t < p) {
        if (st->t > 0)
            st->sum_roc1 += fabs(prev_x - x);
        ct__ring_push(&st->r, x);
        st->t++;
        return;
    }
    if (st->t == p) {
        st->sum_roc1 += fabs(prev_x - x);
        st->kama = prev_x;
    } else {
        /* trailing holds x[t-p-1] */
        st->sum_roc1 -= fabs(st->trailing - old);
        st->sum_roc1 += fabs(x - prev_x);
    }
    roc = x - old;
    st->trailing = old;
    if ((st->sum_roc1 <= roc) || CT__IS_ZERO(st->sum_roc1))
        sc = 1.0;
    else
        sc = fabs(roc / st->sum_roc1);
    sc = (sc * const_diff) + const_max;
    sc *= sc;
    st->kama = ((x - st->kama) * sc) + st->kama;
    out[0] = st->kama;
    ct__ring_push(&st->r, x);
    st->t++;
}
CT__IND_BATCH_FROM_STEP(kama, 1, 1)
CT__IND_HOOKS(kama, kama_st)
CT__IND_IMPL(kama)

/* ---- HMA (Alan Hull): WMA(2*WMA(x, n/2) - WMA(x, n), floor(sqrt(n))) ---------------------- */

typedef struct hma_st {
    ct__wma half, full, fin;
} hma_st;

static int32_t hma_sqrt(int32_t n)
{
    int32_t s = (int32_t)sqrt((double)n);
    while ((int64_t)(s + 1) * (s + 1) <= n)
        s++;
    while ((int64_t)s * s > n)
        s--;
    return s;
}
static int32_t hma_lookback(const double *opt)
{
    int32_t n = CT__OPT_I(opt, 0);
    return (n - 1) + (hma_sqrt(n) - 1);
}
static size_t hma_size(const double *opt)
{
    int32_t n = CT__OPT_I(opt, 0);
    return ct__ind_piece(sizeof(hma_st)) + ct__wma_size(n / 2) + ct__wma_size(n) + ct__wma_size(hma_sqrt(n));
}
static void hma_init(hma_st *st, const double *opt)
{
    int32_t n = CT__OPT_I(opt, 0);
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    ct__wma_init(&st->half, &cur, n / 2);
    ct__wma_init(&st->full, &cur, n);
    ct__wma_init(&st->fin, &cur, hma_sqrt(n));
}
static void hma_step(hma_st *st, const double *in, double *out)
{
    double h, f;
    int ok_h = ct__wma_push(&st->half, in[0], &h);
    int ok_f = ct__wma_push(&st->full, in[0], &f);
    out[0] = CT__NAN;
    if (ok_h && ok_f && !ct__wma_push(&st->fin, (2.0 * h) - f, &out[0]))
        out[0] = CT__NAN;
}
CT__IND_BATCH_FROM_STEP(hma, 1, 1)
CT__IND_HOOKS(hma, hma_st)
CT__IND_IMPL(hma)
