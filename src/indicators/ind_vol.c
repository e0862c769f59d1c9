/*
 * Volatility and bands: BBANDS, STDDEV, VAR (stable rolling variance), ATR, NATR, TRANGE
 * (TA-Lib), KELTNER (Raschke's EMA/ATR form), DONCHIAN and SUPERTREND (TradingView
 * ta.supertrend). BBANDS and ATR have batch loops doing exactly the float operations of their
 * step functions.
 */
#include "indicators/ind_internal.h"

/* ---- stable rolling variance ------------------------------------------------------------- */

/*
 * TA-Lib computes the variance as E[x²] - E[x]² from running sums of x and x², which cancels
 * badly at high prices (~3e-4 absolute error on BTC 1m). Here the running sums are of the
 * shifted values d = x - K, where the shift K is a recent input (the shifted-data algorithm):
 *   var = Σd²/p - (Σd/p)²,
 * so the cancellation is relative to the window's spread, not to the price. Every
 * max(64, p) bars K moves to the current value and both sums are recomputed exactly over the
 * window, which keeps K close to the prices and bounds rounding drift. The mean reported as
 * BBANDS' middle band is TA-Lib's running sum (add new, drop oldest) times 1/p.
 */
typedef struct ct__var {
    ct__ring r;
    double sum; /* TA-Lib running sum (SMA) */
    double k;   /* shift */
    double s1, s2;
    double last; /* previous input and ... */
    int64_t run; /* ... how many inputs in a row equal it: a flat window has variance 0 exactly */
    int64_t t;
    int32_t p;
    int32_t left; /* bars until the next exact refresh */
} ct__var;

static void var_kinit(ct__var *v, char **cur, int32_t p)
{
    ct__ring_init(&v->r, cur, p);
    v->sum = v->k = v->s1 = v->s2 = v->last = 0.0;
    v->run = 0;
    v->t = 0;
    v->p = p;
    v->left = p > 64 ? p : 64;
}

/* Refresh period: rows R-1, 2R-1, ... (R >= p, so the window is full by then). */
static inline int32_t var_refresh_every(int32_t p) { return p > 64 ? p : 64; }

/* Exact shifted sums of a window given oldest-first as two spans a[0..na) then b[0..nb). */
static inline void var_exact(const double *a, int32_t na, const double *b, int32_t nb, double k, double *s1, double *s2)
{
    double u = 0.0, q = 0.0;
    for (int32_t i = 0; i < na; i++) {
        double d = a[i] - k;
        u += d;
        q += d * d;
    }
    for (int32_t i = 0; i < nb; i++) {
        double d = b[i] - k;
        u += d;
        q += d * d;
    }
    *s1 = u;
    *s2 = q;
}

/* Add x (and drop old = x[t-p] once t >= p); shared by step and batch. */
static inline void var_update(double *k, double *s1, double *s2, int64_t t, int32_t p, double x, double old)
{
    double d;
    if (t == 0)
        *k = x;
    d = x - *k;
    *s1 += d;
    *s2 += d * d;
    if (t >= p) {
        double e = old - *k;
        *s1 -= e;
        *s2 -= e * e;
    }
}

/* σ² from the shifted sums (ip = 1/p: multiplications instead of two divisions per bar). */
static inline double var_of(double s1, double s2, int32_t p, double ip, int64_t run)
{
    double m = s1 * ip;
    double v = s2 * ip - m * m;
    if (run >= p)
        return 0.0;
    return v > 0.0 ? v : 0.0;
}

/* TA-Lib's rule: a variance below 1e-14 gives a standard deviation of 0. */
static inline double sd_of(double var) { return CT__IS_ZERO_OR_NEG(var) ? 0.0 : sqrt(var); }

/* Push x; returns 1 once the window is full, with the SMA in *mean and the variance in *var. */
static int var_push(ct__var *v, double x, double *mean, double *var)
{
    int32_t p = v->p;
    int64_t t = v->t++;
    double old = ct__ring_push(&v->r, x);
    v->sum += x;
    v->run = (t > 0 && x == v->last) ? v->run + 1 : 1;
    v->last = x;
    var_update(&v->k, &v->s1, &v->s2, t, p, x, old);
    if (--v->left == 0) {
        v->left = var_refresh_every(p);
        v->k = x;
        var_exact(v->r.v + v->r.pos, v->r.cap - v->r.pos, v->r.v, v->r.pos, v->k, &v->s1, &v->s2);
    }
    if (t < p - 1)
        return 0;
    *mean = v->sum * (1.0 / p);
    *var = var_of(v->s1, v->s2, p, 1.0 / p, v->run);
    v->sum -= ct__ring_oldest(&v->r);
    return 1;
}

/* The same computation over an array (batch): emits mean/var per row from p-1 on. */
typedef void (*var_emit)(void *ctx, int64_t i, double mean, double var);

static inline void var_series(const double *x, int64_t n, int32_t p, void *ctx, var_emit emit)
{
    double sum = 0.0, k = 0.0, s1 = 0.0, s2 = 0.0;
    int64_t run = 0;
    int32_t left = var_refresh_every(p);
    double ip = 1.0 / p;
    for (int64_t t = 0; t < n; t++) {
        double xi = x[t];
        double old = t >= p ? x[t - p] : 0.0;
        sum += xi;
        run = (t > 0 && xi == x[t - 1]) ? run + 1 : 1;
        var_update(&k, &s1, &s2, t, p, xi, old);
        if (--left == 0) {
            left = var_refresh_every(p);
            k = xi;
            var_exact(x + t - p + 1, p, NULL, 0, k, &s1, &s2);
        }
        if (t < p - 1)
            continue;
        emit(ctx, t, sum * ip, var_of(s1, s2, p, ip, run));
        sum -= x[t - p + 1];
    }
}

/* ---- BBANDS ---------------------------------------------------------------------------------- */

typedef struct bbands_st {
    ct__var v;
    double up, dn;
} bbands_st;

static int32_t bbands_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t bbands_size(const double *opt) { return ct__ind_piece(sizeof(bbands_st)) + ct__ring_size(CT__OPT_I(opt, 0)); }
static void bbands_init(bbands_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    var_kinit(&st->v, &cur, CT__OPT_I(opt, 0));
    st->up = opt[1];
    st->dn = opt[2];
}
/* TA-Lib TA_BBANDS (SMA): middle ± nbdev * population standard deviation. */
static inline void bbands_out(double mean, double var, double up, double dn, double *u, double *m, double *l)
{
    double sd = sd_of(var);
    *u = mean + (up * sd);
    *m = mean;
    *l = mean - (dn * sd);
}
static void bbands_step(bbands_st *st, const double *in, double *out)
{
    double mean, var;
    if (var_push(&st->v, in[0], &mean, &var))
        bbands_out(mean, var, st->up, st->dn, &out[0], &out[1], &out[2]);
    else
        out[0] = out[1] = out[2] = CT__NAN;
}
typedef struct bb_ctx {
    double *u, *m, *l;
    double up, dn;
} bb_ctx;
static void bb_emit(void *c, int64_t i, double mean, double var)
{
    bb_ctx *b = c;
    bbands_out(mean, var, b->up, b->dn, &b->u[i], &b->m[i], &b->l[i]);
}
static ct_status bbands_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = CT__OPT_I(opt, 0);
    bb_ctx c = {out[0], out[1], out[2], opt[1], opt[2]};
    for (int k = 0; k < 3; k++)
        ct__ind_nan(out[k], n, p - 1);
    var_series(in[0], n, p, &c, bb_emit);
    return CT_OK;
}
CT__IND_HOOKS(bbands, bbands_st)
CT__IND_IMPL(bbands)

/* ---- STDDEV / VAR ---------------------------------------------------------------------------- */

typedef struct stddev_st {
    ct__var v;
    double k;
    int32_t is_var;
} stddev_st;

static int32_t stddev_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t stddev_size(const double *opt) { return ct__ind_piece(sizeof(stddev_st)) + ct__ring_size(CT__OPT_I(opt, 0)); }
static void stddev_init(stddev_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    var_kinit(&st->v, &cur, CT__OPT_I(opt, 0));
    st->k = opt[1];
    st->is_var = 0;
}
/* TA-Lib TA_STDDEV: nbdev * population standard deviation (0 when the variance < 1e-14). */
static void stddev_step(stddev_st *st, const double *in, double *out)
{
    double mean, var;
    if (var_push(&st->v, in[0], &mean, &var))
        out[0] = st->is_var ? var : sd_of(var) * st->k;
    else
        out[0] = CT__NAN;
}
typedef struct sd_ctx {
    double *y;
    double k;
    int32_t is_var;
} sd_ctx;
static void sd_emit(void *c, int64_t i, double mean, double var)
{
    sd_ctx *s = c;
    (void)mean;
    s->y[i] = s->is_var ? var : sd_of(var) * s->k;
}
static ct_status stddev_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = CT__OPT_I(opt, 0);
    sd_ctx c = {out[0], opt[1], 0};
    ct__ind_nan(out[0], n, p - 1);
    var_series(in[0], n, p, &c, sd_emit);
    return CT_OK;
}
CT__IND_HOOKS(stddev, stddev_st)
CT__IND_IMPL(stddev)

typedef stddev_st var_st;
#define var_lookback stddev_lookback
#define var_size stddev_size
static void var_init(var_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    var_kinit(&st->v, &cur, CT__OPT_I(opt, 0));
    st->k = 1.0;
    st->is_var = 1;
}
static void var_step(var_st *st, const double *in, double *out) { stddev_step(st, in, out); }
static ct_status var_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = CT__OPT_I(opt, 0);
    sd_ctx c = {out[0], 1.0, 1};
    ct__ind_nan(out[0], n, p - 1);
    var_series(in[0], n, p, &c, sd_emit);
    return CT_OK;
}
CT__IND_HOOKS(var, var_st)
CT__IND_IMPL(var)

/* ---- ATR / NATR / TRANGE ----------------------------------------------------------------- */

typedef struct atr_core {
    double a, b; /* (p-1)/p and 1/p */
    double pc;  /* previous close */
    double atr; /* sum of TR during the seed, then the ATR */
    int64_t t;
    int32_t p;
} atr_core;

static void atr_core_init(atr_core *a, int32_t p)
{
    a->a = (double)(p - 1) / p;
    a->b = 1.0 / p;
    a->pc = 0.0;
    a->atr = 0.0;
    a->t = 0;
    a->p = p;
}
/*
 * TA-Lib TA_ATR: TR from row 1; ATR at row p = mean of TR[1..p] (running sum), then
 * Wilder's smoothing prev*(p-1)/p + TR/p (TA-Lib: (prev*(p-1) + TR)/p; same up to rounding,
 * shorter dependency chain). Period 1 is TRANGE itself. Returns 1 when a->atr is the ATR of this bar.
 */
static inline int atr_core_push(atr_core *a, double h, double l, double c)
{
    int64_t t = a->t++;
    double yc = a->pc, tr;
    a->pc = c;
    if (t == 0)
        return 0;
    tr = ct__true_range(h, l, yc);
    if (a->p == 1) {
        a->atr = tr;
        return 1;
    }
    if (t <= a->p) {
        a->atr += tr;
        if (t < a->p)
            return 0;
        a->atr = a->atr / a->p;
        return 1;
    }
    a->atr = (a->atr * a->a) + (tr * a->b);
    return 1;
}

typedef struct atr_st {
    atr_core a;
} atr_st;

static int32_t atr_lookback(const double *opt) { return CT__OPT_I(opt, 0); }
static size_t atr_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(atr_st));
}
static void atr_init(atr_st *st, const double *opt) { atr_core_init(&st->a, CT__OPT_I(opt, 0)); }
static void atr_step(atr_st *st, const double *in, double *out)
{
    out[0] = atr_core_push(&st->a, in[0], in[1], in[2]) ? st->a.atr : CT__NAN;
}
static ct_status atr_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    const double *h = in[0], *l = in[1], *c = in[2];
    double *y = out[0];
    int32_t p = CT__OPT_I(opt, 0);
    double atr = 0.0, wa = (double)(p - 1) / p, wb = 1.0 / p;
    ct__ind_nan(y, n, p);
    if (p == 1) {
        for (int64_t i = 1; i < n; i++)
            y[i] = ct__true_range(h[i], l[i], c[i - 1]);
        return CT_OK;
    }
    if (n <= p)
        return CT_OK;
    for (int64_t i = 1; i <= p; i++)
        atr += ct__true_range(h[i], l[i], c[i - 1]);
    atr = atr / p;
    y[p] = atr;
    for (int64_t i = p + 1; i < n; i++) {
        atr = (atr * wa) + (ct__true_range(h[i], l[i], c[i - 1]) * wb);
        y[i] = atr;
    }
    return CT_OK;
}
CT__IND_HOOKS(atr, atr_st)
CT__IND_IMPL(atr)

typedef atr_st natr_st;
#define natr_lookback atr_lookback
#define natr_size atr_size
static void natr_init(natr_st *st, const double *opt) { atr_init(st, opt); }
/* TA-Lib TA_NATR: ATR / close * 100, 0 when |close| < 1e-14. */
static void natr_step(natr_st *st, const double *in, double *out)
{
    if (atr_core_push(&st->a, in[0], in[1], in[2]))
        out[0] = !CT__IS_ZERO(in[2]) ? (st->a.atr / in[2]) * 100.0 : 0.0;
    else
        out[0] = CT__NAN;
}
CT__IND_BATCH_FROM_STEP(natr, 3, 1)
CT__IND_HOOKS(natr, natr_st)
CT__IND_IMPL(natr)

typedef struct trange_st {
    double pc;
    int64_t t;
} trange_st;

static int32_t trange_lookback(const double *opt)
{
    (void)opt;
    return 1;
}
static size_t trange_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(trange_st));
}
static void trange_init(trange_st *st, const double *opt)
{
    (void)opt;
    st->pc = 0.0;
    st->t = 0;
}
/* TA-Lib TA_TRANGE: max(h - l, |h - yc|, |l - yc|) from row 1. */
static void trange_step(trange_st *st, const double *in, double *out)
{
    out[0] = st->t++ > 0 ? ct__true_range(in[0], in[1], st->pc) : CT__NAN;
    st->pc = in[2];
}
CT__IND_BATCH_FROM_STEP(trange, 3, 1)
CT__IND_HOOKS(trange, trange_st)
CT__IND_IMPL(trange)

/* ---- KELTNER (Linda Raschke's form: EMA(close) ± mult × ATR) ---------------------------- */

typedef struct keltner_st {
    ct__ema e;
    atr_core a;
    double mult;
} keltner_st;

static int32_t keltner_lookback(const double *opt)
{
    int32_t a = CT__OPT_I(opt, 0) - 1, b = CT__OPT_I(opt, 1);
    return a > b ? a : b;
}
static size_t keltner_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(keltner_st));
}
static void keltner_init(keltner_st *st, const double *opt)
{
    ct__ema_init(&st->e, CT__OPT_I(opt, 0));
    atr_core_init(&st->a, CT__OPT_I(opt, 1));
    st->mult = opt[2];
}
static void keltner_step(keltner_st *st, const double *in, double *out)
{
    int ok_e = ct__ema_push(&st->e, in[2]);
    int ok_a = atr_core_push(&st->a, in[0], in[1], in[2]);
    if (ok_e && ok_a) {
        double w = st->mult * st->a.atr;
        out[0] = st->e.val + w;
        out[1] = st->e.val;
        out[2] = st->e.val - w;
    } else {
        out[0] = out[1] = out[2] = CT__NAN;
    }
}
CT__IND_BATCH_FROM_STEP(keltner, 3, 3)
CT__IND_HOOKS(keltner, keltner_st)
CT__IND_IMPL(keltner)

/* ---- DONCHIAN (Richard Donchian): highest high / lowest low of the last p bars ---------- */

typedef struct donchian_st {
    ct__mdq hi, lo;
    int64_t t;
    int32_t p;
} donchian_st;

static int32_t donchian_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t donchian_size(const double *opt) { return ct__ind_piece(sizeof(donchian_st)) + 2 * ct__mdq_size(CT__OPT_I(opt, 0)); }
static void donchian_init(donchian_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    ct__mdq_init_v(&st->hi, &cur, st->p);
    ct__mdq_init_v(&st->lo, &cur, st->p);
    st->t = 0;
}
static void donchian_step(donchian_st *st, const double *in, double *out)
{
    int64_t t = st->t++;
    ct__mdq_push(&st->hi, t, in[0], st->p, 1);
    ct__mdq_push(&st->lo, t, in[1], st->p, 0);
    if (t >= st->p - 1) {
        out[0] = ct__mdq_value(&st->hi);
        out[2] = ct__mdq_value(&st->lo);
        out[1] = (out[0] + out[2]) / 2.0;
    } else {
        out[0] = out[1] = out[2] = CT__NAN;
    }
}
CT__IND_BATCH_FROM_STEP(donchian, 2, 3)
CT__IND_HOOKS(donchian, donchian_st)
CT__IND_IMPL(donchian)

/* ---- SUPERTREND (Olivier Seban; TradingView ta.supertrend) ------------------------------- */

typedef struct supertrend_st {
    atr_core a;
    double mult;
    double upper, lower, pc;
    int32_t dir; /* +1 up (line = lower band), -1 down (line = upper band) */
    int32_t started;
} supertrend_st;

static int32_t supertrend_lookback(const double *opt) { return CT__OPT_I(opt, 0); }
static size_t supertrend_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(supertrend_st));
}
static void supertrend_init(supertrend_st *st, const double *opt)
{
    memset(st, 0, sizeof(*st));
    atr_core_init(&st->a, CT__OPT_I(opt, 0));
    st->mult = opt[1];
}
/*
 * hl2 ± mult × ATR (Wilder). A band only tightens while the previous close stays inside it;
 * the trend flips up when the close crosses above the upper band and down when it crosses
 * below the lower band. The first bar with an ATR starts in a down trend, as Pine does.
 */
static void supertrend_step(supertrend_st *st, const double *in, double *out)
{
    double h = in[0], l = in[1], c = in[2];
    double pc = st->pc;
    st->pc = c;
    out[0] = out[1] = CT__NAN;
    if (!atr_core_push(&st->a, h, l, c))
        return;
    {
        double mid = (h + l) / 2.0;
        double bu = mid + st->mult * st->a.atr;
        double bl = mid - st->mult * st->a.atr;
        if (!st->started) {
            st->upper = bu;
            st->lower = bl;
            st->dir = -1;
            st->started = 1;
        } else {
            double pu = st->upper, pl = st->lower;
            st->lower = (bl > pl || pc < pl) ? bl : pl;
            st->upper = (bu < pu || pc > pu) ? bu : pu;
            if (st->dir < 0)
                st->dir = c > st->upper ? 1 : -1;
            else
                st->dir = c < st->lower ? -1 : 1;
        }
    }
    out[0] = st->dir > 0 ? st->lower : st->upper;
    out[1] = (double)st->dir;
}
CT__IND_BATCH_FROM_STEP(supertrend, 3, 2)
CT__IND_HOOKS(supertrend, supertrend_st)
CT__IND_IMPL(supertrend)
