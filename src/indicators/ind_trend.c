/*
 * Trend and volume indicators: ADX, ADXR, DX, PLUS_DI, MINUS_DI, PLUS_DM, MINUS_DM, SAR,
 * MIDPOINT, MIDPRICE, LINEARREG, OBV, MFI (TA-Lib classic definitions), ICHIMOKU (Goichi
 * Hosoda) and a rolling VWAP.
 */
#include "indicators/ind_internal.h"

/* ---- directional movement core (TA-Lib ADX family, Wilder smoothing) ------------------------ */

typedef struct dm_core {
    double ph, pl, pc;
    double pdm, mdm, tr;
    int64_t t;
    int32_t p;
} dm_core;

static void dm_init(dm_core *d, int32_t p)
{
    memset(d, 0, sizeof(*d));
    d->p = p;
}
/*
 * One bar. Rows 1..p-1 accumulate plain sums of +DM, -DM and TR; from row p on each is
 * smoothed as S - S/p + x. +DM counts when diffP > 0 and diffP > diffM, -DM when diffM > 0 and
 * diffP < diffM (ties count neither). Returns 1 from row p on (smoothed values valid).
 */
/* Which sums dm_push_x maintains (constant at each call site, so the rest is compiled out). */
#define DM_PLUS 1
#define DM_MINUS 2
#define DM_TR 4
/* Add this bar's +DM / -DM. With one side only, its own test suffices (dp > dmv already
 * excludes dp < dmv), as TA-Lib's PLUS_DM/MINUS_DM write it. */
static inline void dm_add(dm_core *d, double dp, double dmv, int what)
{
    if ((what & DM_PLUS) && (what & DM_MINUS)) {
        if ((dmv > 0) && (dp < dmv))
            d->mdm += dmv;
        else if ((dp > 0) && (dp > dmv))
            d->pdm += dp;
    } else if (what & DM_PLUS) {
        if ((dp > 0) && (dp > dmv))
            d->pdm += dp;
    } else if ((dmv > 0) && (dp < dmv)) {
        d->mdm += dmv;
    }
}
static inline int dm_push_x(dm_core *d, double h, double l, double c, int what)
{
    int64_t t = d->t++;
    double dp, dmv, tr;
    int32_t p = d->p;
    if (t == 0) {
        d->ph = h;
        d->pl = l;
        d->pc = c;
        return 0;
    }
    dp = h - d->ph;
    d->ph = h;
    dmv = d->pl - l;
    d->pl = l;
    tr = (what & DM_TR) ? ct__true_range(h, l, d->pc) : 0.0;
    d->pc = c;
    if (t < p) {
        dm_add(d, dp, dmv, what);
        if (what & DM_TR)
            d->tr += tr;
        return 0;
    }
    if (what & DM_MINUS)
        d->mdm -= d->mdm / p;
    if (what & DM_PLUS)
        d->pdm -= d->pdm / p;
    dm_add(d, dp, dmv, what);
    if (what & DM_TR)
        d->tr = d->tr - (d->tr / p) + tr;
    return 1;
}
static inline int dm_push(dm_core *d, double h, double l, double c) { return dm_push_x(d, h, l, c, DM_PLUS | DM_MINUS | DM_TR); }
/* DX of the current smoothed sums; returns 0 when TR or DI+ + DI- is ~0 (TA-Lib skips those). */
static inline int dm_dx(const dm_core *d, double *dx)
{
    double mdi, pdi, s;
    if (CT__IS_ZERO(d->tr))
        return 0;
    mdi = 100.0 * (d->mdm / d->tr);
    pdi = 100.0 * (d->pdm / d->tr);
    s = mdi + pdi;
    if (CT__IS_ZERO(s))
        return 0;
    *dx = 100.0 * (fabs(mdi - pdi) / s);
    return 1;
}

typedef struct di_st {
    dm_core d;
    double last; /* DX: previous output */
    int32_t which; /* 0 +DI, 1 -DI, 2 +DM, 3 -DM, 4 DX */
} di_st;

static int32_t di_lookback(const double *opt) { return CT__OPT_I(opt, 0); }
static int32_t dm_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t di_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(di_st));
}
static void di_init_w(di_st *st, const double *opt, int32_t which)
{
    dm_init(&st->d, CT__OPT_I(opt, 0));
    st->last = 0.0;
    st->which = which;
}
static void di_step(di_st *st, const double *in, double *out)
{
    int ok = dm_push(&st->d, in[0], in[1], in[2]);
    dm_core *d = &st->d;
    double dx;
    switch (st->which) {
    case 0: /* TA-Lib TA_PLUS_DI: 100 * +DM / TR, 0 when TR ~ 0 */
        out[0] = ok ? (!CT__IS_ZERO(d->tr) ? 100.0 * (d->pdm / d->tr) : 0.0) : CT__NAN;
        break;
    case 1:
        out[0] = ok ? (!CT__IS_ZERO(d->tr) ? 100.0 * (d->mdm / d->tr) : 0.0) : CT__NAN;
        break;
    case 2: /* TA-Lib TA_PLUS_DM: the smoothed sum itself, from row p-1 */
        out[0] = (ok || d->t == d->p) ? d->pdm : CT__NAN;
        break;
    case 3:
        out[0] = (ok || d->t == d->p) ? d->mdm : CT__NAN;
        break;
    default: /* TA-Lib TA_DX: a skipped DX repeats the previous one (0 at the first row) */
        if (ok) {
            if (dm_dx(d, &dx))
                st->last = dx;
            out[0] = st->last;
        } else {
            out[0] = CT__NAN;
        }
        break;
    }
}

#define DI_VARIANT(P, W, LB)                                                                        \
    typedef di_st P##_st;                                                                           \
    static int32_t P##_lookback(const double *opt) { return LB(opt); }                              \
    static size_t P##_size(const double *opt) { return di_size(opt); }                              \
    static void P##_init(P##_st *st, const double *opt) { di_init_w(st, opt, W); }                  \
    static void P##_step(P##_st *st, const double *in, double *out) { di_step(st, in, out); }       \
    CT__IND_BATCH_FROM_STEP(P, 3, 1)                                                                \
    CT__IND_HOOKS(P, P##_st)                                                                        \
    CT__IND_IMPL(P)

DI_VARIANT(plus_di, 0, di_lookback)
DI_VARIANT(minus_di, 1, di_lookback)
DI_VARIANT(dx, 4, di_lookback)

/* +DM/-DM take only high and low. */
typedef di_st plus_dm_st;
static size_t plus_dm_size(const double *opt) { return di_size(opt); }
static void plus_dm_init(plus_dm_st *st, const double *opt) { di_init_w(st, opt, 2); }
/* TA-Lib TA_PLUS_DM: the smoothed +DM itself, from row p-1 (no true range needed). */
static void plus_dm_step(plus_dm_st *st, const double *in, double *out)
{
    int ok = dm_push_x(&st->d, in[0], in[1], in[1], DM_PLUS);
    out[0] = (ok || st->d.t == st->d.p) ? st->d.pdm : CT__NAN;
}
#define plus_dm_lookback dm_lookback
CT__IND_BATCH_FROM_STEP(plus_dm, 2, 1)
CT__IND_HOOKS(plus_dm, plus_dm_st)
CT__IND_IMPL(plus_dm)

typedef di_st minus_dm_st;
static size_t minus_dm_size(const double *opt) { return di_size(opt); }
static void minus_dm_init(minus_dm_st *st, const double *opt) { di_init_w(st, opt, 3); }
static void minus_dm_step(minus_dm_st *st, const double *in, double *out)
{
    int ok = dm_push_x(&st->d, in[0], in[1], in[1], DM_MINUS);
    out[0] = (ok || st->d.t == st->d.p) ? st->d.mdm : CT__NAN;
}
#define minus_dm_lookback dm_lookback
CT__IND_BATCH_FROM_STEP(minus_dm, 2, 1)
CT__IND_HOOKS(minus_dm, minus_dm_st)
CT__IND_IMPL(minus_dm)

/* ---- ADX / ADXR ------------------------------------------------------------------------------ */

typedef struct adx_core {
    dm_core d;
    double sum_dx, adx;
    int32_t n_dx;
} adx_core;

/* TA-Lib TA_ADX: first ADX (row 2p-1) = sum of DX over rows p..2p-1 / p (skipped DX count 0),
 * then (ADX*(p-1) + DX)/p, unchanged when the DX is skipped. Returns 1 when adx is valid. */
static inline int adx_push(adx_core *a, double h, double l, double c)
{
    double dx;
    int32_t p = a->d.p;
    if (!dm_push(&a->d, h, l, c))
        return 0;
    if (a->n_dx < p) {
        if (dm_dx(&a->d, &dx))
            a->sum_dx += dx;
        if (++a->n_dx < p)
            return 0;
        a->adx = a->sum_dx / p;
        return 1;
    }
    if (dm_dx(&a->d, &dx))
        a->adx = ((a->adx * (p - 1)) + dx) / p;
    return 1;
}

typedef struct adx_st {
    adx_core a;
} adx_st;

static int32_t adx_lookback(const double *opt) { return 2 * CT__OPT_I(opt, 0) - 1; }
static size_t adx_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(adx_st));
}
static void adx_init(adx_st *st, const double *opt)
{
    memset(st, 0, sizeof(*st));
    dm_init(&st->a.d, CT__OPT_I(opt, 0));
}
static void adx_step(adx_st *st, const double *in, double *out)
{
    out[0] = adx_push(&st->a, in[0], in[1], in[2]) ? st->a.adx : CT__NAN;
}
CT__IND_BATCH_FROM_STEP(adx, 3, 1)
CT__IND_HOOKS(adx, adx_st)
CT__IND_IMPL(adx)

typedef struct adxr_st {
    adx_core a;
    ct__ring r; /* last p ADX values */
    int64_t n_adx;
} adxr_st;

static int32_t adxr_lookback(const double *opt) { return 3 * CT__OPT_I(opt, 0) - 2; }
static size_t adxr_size(const double *opt) { return ct__ind_piece(sizeof(adxr_st)) + ct__ring_size(CT__OPT_I(opt, 0)); }
static void adxr_init(adxr_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    memset(st, 0, sizeof(*st));
    dm_init(&st->a.d, CT__OPT_I(opt, 0));
    ct__ring_init(&st->r, &cur, CT__OPT_I(opt, 0));
}
/* TA-Lib TA_ADXR: (ADX + ADX of p-1 bars ago) / 2. */
static void adxr_step(adxr_st *st, const double *in, double *out)
{
    out[0] = CT__NAN;
    if (!adx_push(&st->a, in[0], in[1], in[2]))
        return;
    ct__ring_push(&st->r, st->a.adx);
    if (st->n_adx++ >= st->a.d.p - 1)
        out[0] = (st->a.adx + ct__ring_oldest(&st->r)) / 2.0;
}
CT__IND_BATCH_FROM_STEP(adxr, 3, 1)
CT__IND_HOOKS(adxr, adxr_st)
CT__IND_IMPL(adxr)

/* ---- SAR (Wilder's parabolic SAR, TA-Lib TA_SAR) --------------------------------------------- */

typedef struct sar_st {
    double acc, max;
    double af, ep, sar;
    double new_high, new_low;
    double h0, l0;
    int64_t t;
    int32_t is_long;
} sar_st;

static int32_t sar_lookback(const double *opt)
{
    (void)opt;
    return 1;
}
static size_t sar_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(sar_st));
}
static void sar_init(sar_st *st, const double *opt)
{
    memset(st, 0, sizeof(*st));
    st->acc = opt[0];
    st->max = opt[1];
    if (st->acc > st->max)
        st->acc = st->max;
}
/*
 * The first direction comes from the -DM of bar 1 (short if positive). SAR starts at the
 * extreme of bar 0 and moves by af*(ep - sar), af growing by `acceleration` at each new
 * extreme up to `maximum`; it never enters the last two bars' range and flips on penetration.
 */
/* Bar 1: the direction from -DM, and the starting SAR/EP. */
static inline void sar_start(sar_st *st, double h, double l)
{
    double dp = h - st->h0, dmv = st->l0 - l;
    double mdm = ((dmv > 0) && (dp < dmv)) ? dmv : 0.0;
    st->is_long = mdm > 0 ? 0 : 1;
    st->af = st->acc;
    if (st->is_long) {
        st->ep = h;
        st->sar = st->l0;
    } else {
        st->ep = l;
        st->sar = st->h0;
    }
    st->new_low = l;
    st->new_high = h;
}
static inline double sar_body(sar_st *st, double h, double l);
static void sar_step(sar_st *st, const double *in, double *out)
{
    double h = in[0], l = in[1];
    int64_t t = st->t++;
    if (t == 0) {
        st->h0 = h;
        st->l0 = l;
        out[0] = CT__NAN;
        return;
    }
    if (t == 1)
        sar_start(st, h, l);
    out[0] = sar_body(st, h, l);
}
/* Bars 1, 2, ...: returns this bar's SAR and moves it for the next bar (TA-Lib's loop). */
static inline double sar_body(sar_st *st, double h, double l)
{
    double prev_low, prev_high, out[1];
    prev_low = st->new_low;
    prev_high = st->new_high;
    st->new_low = l;
    st->new_high = h;
    if (st->is_long) {
        if (st->new_low <= st->sar) {
            st->is_long = 0;
            st->sar = st->ep;
            if (st->sar < prev_high)
                st->sar = prev_high;
            if (st->sar < st->new_high)
                st->sar = st->new_high;
            out[0] = st->sar;
            st->af = st->acc;
            st->ep = st->new_low;
            st->sar = st->sar + st->af * (st->ep - st->sar);
            if (st->sar < prev_high)
                st->sar = prev_high;
            if (st->sar < st->new_high)
                st->sar = st->new_high;
        } else {
            out[0] = st->sar;
            if (st->new_high > st->ep) {
                st->ep = st->new_high;
                st->af += st->acc;
                if (st->af > st->max)
                    st->af = st->max;
            }
            st->sar = st->sar + st->af * (st->ep - st->sar);
            if (st->sar > prev_low)
                st->sar = prev_low;
            if (st->sar > st->new_low)
                st->sar = st->new_low;
        }
    } else {
        if (st->new_high >= st->sar) {
            st->is_long = 1;
            st->sar = st->ep;
            if (st->sar > prev_low)
                st->sar = prev_low;
            if (st->sar > st->new_low)
                st->sar = st->new_low;
            out[0] = st->sar;
            st->af = st->acc;
            st->ep = st->new_high;
            st->sar = st->sar + st->af * (st->ep - st->sar);
            if (st->sar > prev_low)
                st->sar = prev_low;
            if (st->sar > st->new_low)
                st->sar = st->new_low;
        } else {
            out[0] = st->sar;
            if (st->new_low < st->ep) {
                st->ep = st->new_low;
                st->af += st->acc;
                if (st->af > st->max)
                    st->af = st->max;
            }
            st->sar = st->sar + st->af * (st->ep - st->sar);
            if (st->sar < prev_high)
                st->sar = prev_high;
            if (st->sar < st->new_high)
                st->sar = st->new_high;
        }
    }
    return out[0];
}
/* Batch: sar_step's operations, with the first two bars peeled off the loop. */
static ct_status sar_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    const double *h = in[0], *l = in[1];
    double *y = out[0];
    sar_st st;
    sar_init(&st, opt);
    if (n == 0)
        return CT_OK;
    y[0] = CT__NAN;
    st.h0 = h[0];
    st.l0 = l[0];
    st.t = n;
    if (n > 1)
        sar_start(&st, h[1], l[1]);
    for (int64_t i = 1; i < n; i++)
        y[i] = sar_body(&st, h[i], l[i]);
    return CT_OK;
}
CT__IND_HOOKS(sar, sar_st)
CT__IND_IMPL(sar)

/* ---- MIDPOINT / MIDPRICE ----------------------------------------------------------------- */

typedef struct mid_st {
    ct__mdq hi, lo;
    int64_t t;
    int32_t p;
} mid_st;

static int32_t mid_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t mid_size(const double *opt) { return ct__ind_piece(sizeof(mid_st)) + 2 * ct__mdq_size(CT__OPT_I(opt, 0)); }
static void mid_init(mid_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    ct__mdq_init_c(&st->hi, &cur, st->p);
    ct__mdq_init_c(&st->lo, &cur, st->p);
    st->t = 0;
}
static inline void mid_core(mid_st *st, double h, double l, double *out)
{
    int64_t t = st->t++;
    ct__mdq_push(&st->hi, t, h, st->p, 1);
    ct__mdq_push(&st->lo, t, l, st->p, 0);
    out[0] = t >= st->p - 1 ? (ct__mdq_value(&st->hi) + ct__mdq_value(&st->lo)) / 2.0 : CT__NAN;
}

typedef mid_st midpoint_st;
typedef mid_st midpoint_sm_st;
#define midpoint_lookback mid_lookback
#define midpoint_size mid_size
static void midpoint_init(midpoint_st *st, const double *opt) { mid_init(st, opt); }
/* TA-Lib TA_MIDPOINT: (highest + lowest) / 2 of the input over p bars. */
static void midpoint_step(midpoint_st *st, const double *in, double *out) { mid_core(st, in[0], in[0], out); }
#define midpoint_sm_size mid_size
#define midpoint_sm_init midpoint_init
#define midpoint_sm_step midpoint_step
CT__IND_BATCH_FROM_STEP(midpoint_sm, 1, 1)
static ct_status midpoint_batch(int64_t n, const double *const *in, const double *opt, double *const *out);
CT__IND_HOOKS(midpoint, midpoint_st)
CT__IND_IMPL(midpoint)

typedef mid_st midprice_st;
typedef mid_st midprice_sm_st;
#define midprice_lookback mid_lookback
#define midprice_size mid_size
static void midprice_init(midprice_st *st, const double *opt) { mid_init(st, opt); }
/* TA-Lib TA_MIDPRICE: (highest high + lowest low) / 2 over p bars. */
static void midprice_step(midprice_st *st, const double *in, double *out) { mid_core(st, in[0], in[1], out); }
/* Batch of MIDPOINT/MIDPRICE: for windows the stream scans (p <= CT__MDQ_SCAN_MAX), the same
 * chronological scans over the input arrays, as TA-Lib does (identical results); otherwise the
 * streaming state machine. */
static ct_status mid_batch_scan(int64_t n, const double *h, const double *l, int32_t p, double *y)
{
    ct__ind_nan(y, n, p - 1);
    for (int64_t i = p - 1; i < n; i++) {
        /* both ct__scan_chrono loops fused (two independent chains, same operations) */
        const double *a = h + i - p + 1, *b = l + i - p + 1;
        double hh = a[0], ll = b[0];
        for (int32_t k = 1; k < p; k++) {
            hh = a[k] > hh ? a[k] : hh;
            ll = b[k] < ll ? b[k] : ll;
        }
        y[i] = (hh + ll) / 2.0;
    }
    return CT_OK;
}
#define midprice_sm_size mid_size
#define midprice_sm_init midprice_init
#define midprice_sm_step midprice_step
CT__IND_BATCH_FROM_STEP(midprice_sm, 2, 1)
static ct_status midprice_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = CT__OPT_I(opt, 0);
    if (p <= CT__MDQ_SCAN_MAX)
        return mid_batch_scan(n, in[0], in[1], p, out[0]);
    return midprice_sm_batch(n, in, opt, out);
}
static ct_status midpoint_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    int32_t p = CT__OPT_I(opt, 0);
    if (p <= CT__MDQ_SCAN_MAX)
        return mid_batch_scan(n, in[0], in[0], p, out[0]);
    return midpoint_sm_batch(n, in, opt, out);
}
CT__IND_HOOKS(midprice, midprice_st)
CT__IND_IMPL(midprice)

/* ---- LINEARREG ------------------------------------------------------------------------------- */

typedef struct linearreg_st {
    ct__ring r;
    int64_t t;
    int32_t p;
} linearreg_st;

static int32_t linearreg_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t linearreg_size(const double *opt) { return ct__ind_piece(sizeof(linearreg_st)) + ct__ring_size(CT__OPT_I(opt, 0)); }
static void linearreg_init(linearreg_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    ct__ring_init(&st->r, &cur, st->p);
    st->t = 0;
}
/* TA-Lib TA_LINEARREG: least-squares line over the last p values, evaluated at the last bar. */
static void linearreg_step(linearreg_st *st, const double *in, double *out)
{
    int32_t p = st->p;
    double sum_x, sum_x2, div, sxy = 0.0, sy = 0.0, m, b;
    ct__ring_push(&st->r, in[0]);
    out[0] = CT__NAN;
    if (st->t++ < p - 1)
        return;
    /* TA-Lib's integer sums, computed in 64 bits (no overflow at large periods) */
    sum_x = (double)((int64_t)p * (p - 1)) * 0.5;
    sum_x2 = (double)((int64_t)p * (p - 1) * (2 * p - 1) / 6);
    div = sum_x * sum_x - p * sum_x2;
    for (int32_t i = p; i-- != 0;) {
        double v = ct__ring_ago(&st->r, i + 1);
        sy += v;
        sxy += (double)i * v;
    }
    m = (p * sxy - sum_x * sy) / div;
    b = (sy - m * sum_x) / (double)p;
    out[0] = b + m * (double)(p - 1);
}
CT__IND_BATCH_FROM_STEP(linearreg, 1, 1)
CT__IND_HOOKS(linearreg, linearreg_st)
CT__IND_IMPL(linearreg)

/* ---- OBV ------------------------------------------------------------------------------------- */

typedef struct obv_st {
    double obv, pc;
    int64_t t;
} obv_st;

static int32_t obv_lookback(const double *opt)
{
    (void)opt;
    return 0;
}
static size_t obv_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(obv_st));
}
static void obv_init(obv_st *st, const double *opt)
{
    (void)opt;
    memset(st, 0, sizeof(*st));
}
/* TA-Lib TA_OBV: starts at the first volume; ± volume when the close rises / falls. */
static void obv_step(obv_st *st, const double *in, double *out)
{
    double c = in[0], v = in[1];
    if (st->t++ == 0) {
        st->obv = v;
    } else if (c > st->pc) {
        st->obv += v;
    } else if (c < st->pc) {
        st->obv -= v;
    }
    st->pc = c;
    out[0] = st->obv;
}
CT__IND_BATCH_FROM_STEP(obv, 2, 1)
CT__IND_HOOKS(obv, obv_st)
CT__IND_IMPL(obv)

/* ---- MFI ------------------------------------------------------------------------------------- */

typedef struct mfi_st {
    ct__ring pos, neg;
    double psum, nsum, ptp;
    int64_t t;
    int32_t p;
} mfi_st;

static int32_t mfi_lookback(const double *opt) { return CT__OPT_I(opt, 0); }
static size_t mfi_size(const double *opt) { return ct__ind_piece(sizeof(mfi_st)) + 2 * ct__ring_size(CT__OPT_I(opt, 0)); }
static void mfi_init(mfi_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    memset(st, 0, sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    ct__ring_init(&st->pos, &cur, st->p);
    ct__ring_init(&st->neg, &cur, st->p);
}
/* TA-Lib TA_MFI: money flow TP*v split by the sign of the TP change; 0 when pos+neg < 1. */
static void mfi_step(mfi_st *st, const double *in, double *out)
{
    double tp = (in[0] + in[1] + in[2]) / 3.0, d, mf, pf = 0.0, nf = 0.0, s;
    int64_t t = st->t++;
    out[0] = CT__NAN;
    if (t == 0) {
        st->ptp = tp;
        return;
    }
    if (t > st->p) {
        st->psum -= ct__ring_oldest(&st->pos);
        st->nsum -= ct__ring_oldest(&st->neg);
    }
    d = tp - st->ptp;
    st->ptp = tp;
    mf = tp * in[3];
    if (d < 0) {
        nf = mf;
        st->nsum += mf;
    } else if (d > 0) {
        pf = mf;
        st->psum += mf;
    }
    ct__ring_push(&st->pos, pf);
    ct__ring_push(&st->neg, nf);
    if (t < st->p)
        return;
    s = st->psum + st->nsum;
    out[0] = s < 1.0 ? 0.0 : 100.0 * (st->psum / s);
}
CT__IND_BATCH_FROM_STEP(mfi, 4, 1)
CT__IND_HOOKS(mfi, mfi_st)
CT__IND_IMPL(mfi)

/* ---- VWAP (rolling) -------------------------------------------------------------------------- */

#define CT__VWAP_REFRESH 1024

typedef struct vwap_st {
    ct__ring pv, v;
    double spv, sv;   /* running sums ... */
    double cpv, cv;   /* ... and their Neumaier compensations */
    int64_t t;
    int32_t p;
    int32_t nonzero; /* bars with volume != 0 in the window */
    int32_t left;    /* bars until the next exact refresh */
} vwap_st;

static int32_t vwap_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t vwap_size(const double *opt) { return ct__ind_piece(sizeof(vwap_st)) + 2 * ct__ring_size(CT__OPT_I(opt, 0)); }
static void vwap_init(vwap_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    memset(st, 0, sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    st->left = CT__VWAP_REFRESH;
    ct__ring_init(&st->pv, &cur, st->p);
    ct__ring_init(&st->v, &cur, st->p);
}
/* Neumaier compensated update of a running sum: *s + *c tracks the exact sum closely even
 * when large values leave the window and only tiny ones remain. */
static inline void neumaier_add(double *s, double *c, double x)
{
    double t = *s + x;
    if (fabs(*s) >= fabs(x))
        *c += (*s - t) + x;
    else
        *c += (x - t) + *s;
    *s = t;
}

/*
 * Σ(TP·v)/Σv over the last p bars, TP = (h+l+c)/3. Compensated running sums, recomputed
 * exactly every 1024 bars and reset to exact zeros whenever the window holds no volume; NaN
 * when every volume in the window is 0 (no traded price).
 */
static void vwap_step(vwap_st *st, const double *in, double *out)
{
    double tp = (in[0] + in[1] + in[2]) / 3.0, vol = in[3];
    int64_t t = st->t++;
    int32_t p = st->p;
    double old_pv = ct__ring_push(&st->pv, tp * vol);
    double old_v = ct__ring_push(&st->v, vol);
    if (t >= p) {
        neumaier_add(&st->spv, &st->cpv, -old_pv);
        neumaier_add(&st->sv, &st->cv, -old_v);
        if (old_v != 0.0)
            st->nonzero--;
    }
    if (vol != 0.0)
        st->nonzero++;
    if (st->nonzero == 0)
        st->spv = st->sv = st->cpv = st->cv = 0.0;
    neumaier_add(&st->spv, &st->cpv, tp * vol);
    neumaier_add(&st->sv, &st->cv, vol);
    out[0] = CT__NAN;
    if (--st->left == 0)
        st->left = CT__VWAP_REFRESH;
    if (t < p - 1)
        return;
    if (st->left == CT__VWAP_REFRESH) {
        double a = 0.0, b = 0.0, ca = 0.0, cb = 0.0;
        for (int32_t k = p; k >= 1; k--) {
            neumaier_add(&a, &ca, ct__ring_ago(&st->pv, k));
            neumaier_add(&b, &cb, ct__ring_ago(&st->v, k));
        }
        st->spv = a;
        st->sv = b;
        st->cpv = ca;
        st->cv = cb;
    }
    if (st->nonzero > 0)
        out[0] = (st->spv + st->cpv) / (st->sv + st->cv);
}
CT__IND_BATCH_FROM_STEP(vwap, 4, 1)
CT__IND_HOOKS(vwap, vwap_st)
CT__IND_IMPL(vwap)

/* ---- ICHIMOKU (Goichi Hosoda) ---------------------------------------------------------------- */

typedef struct ichimoku_st {
    ct__mdq th, tl, kh, kl, sh, sl;
    ct__ring a, b; /* delay lines of the spans, displacement + 1 long */
    int64_t t;
    int32_t pt, pk, ps, disp;
    int32_t lb;
} ichimoku_st;

static int32_t ichimoku_lookback(const double *opt)
{
    int32_t m = CT__OPT_I(opt, 0);
    if (CT__OPT_I(opt, 1) > m)
        m = CT__OPT_I(opt, 1);
    if (CT__OPT_I(opt, 2) > m)
        m = CT__OPT_I(opt, 2);
    return m - 1 + CT__OPT_I(opt, 3);
}
static size_t ichimoku_size(const double *opt)
{
    return ct__ind_piece(sizeof(ichimoku_st)) + 2 * ct__mdq_size(CT__OPT_I(opt, 0)) + 2 * ct__mdq_size(CT__OPT_I(opt, 1)) +
           2 * ct__mdq_size(CT__OPT_I(opt, 2)) + 2 * ct__ring_size(CT__OPT_I(opt, 3) + 1);
}
static void ichimoku_init(ichimoku_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->pt = CT__OPT_I(opt, 0);
    st->pk = CT__OPT_I(opt, 1);
    st->ps = CT__OPT_I(opt, 2);
    st->disp = CT__OPT_I(opt, 3);
    st->lb = ichimoku_lookback(opt);
    st->t = 0;
    ct__mdq_init_v(&st->th, &cur, st->pt);
    ct__mdq_init_v(&st->tl, &cur, st->pt);
    ct__mdq_init_v(&st->kh, &cur, st->pk);
    ct__mdq_init_v(&st->kl, &cur, st->pk);
    ct__mdq_init_v(&st->sh, &cur, st->ps);
    ct__mdq_init_v(&st->sl, &cur, st->ps);
    ct__ring_init(&st->a, &cur, st->disp + 1);
    ct__ring_init(&st->b, &cur, st->disp + 1);
}
/*
 * tenkan = mid-range of the last `tenkan` bars, kijun = of the last `kijun` bars; senkou A =
 * (tenkan + kijun)/2 and senkou B = mid-range of the last `senkou` bars, both as computed
 * `displacement` bars ago (the cloud drawn at this bar, so no look-ahead). The chikou span
 * (close shifted back) is left out: aligned to its own bar it would need future data.
 */
static void ichimoku_step(ichimoku_st *st, const double *in, double *out)
{
    double h = in[0], l = in[1];
    int64_t t = st->t++;
    double tk, kj, sa, sb;
    ct__mdq_push(&st->th, t, h, st->pt, 1);
    ct__mdq_push(&st->tl, t, l, st->pt, 0);
    ct__mdq_push(&st->kh, t, h, st->pk, 1);
    ct__mdq_push(&st->kl, t, l, st->pk, 0);
    ct__mdq_push(&st->sh, t, h, st->ps, 1);
    ct__mdq_push(&st->sl, t, l, st->ps, 0);
    tk = (ct__mdq_value(&st->th) + ct__mdq_value(&st->tl)) / 2.0;
    kj = (ct__mdq_value(&st->kh) + ct__mdq_value(&st->kl)) / 2.0;
    ct__ring_push(&st->a, (tk + kj) / 2.0);
    ct__ring_push(&st->b, (ct__mdq_value(&st->sh) + ct__mdq_value(&st->sl)) / 2.0);
    sa = ct__ring_oldest(&st->a);
    sb = ct__ring_oldest(&st->b);
    if (t < st->lb) {
        out[0] = out[1] = out[2] = out[3] = CT__NAN;
        return;
    }
    out[0] = tk;
    out[1] = kj;
    out[2] = sa;
    out[3] = sb;
}
CT__IND_BATCH_FROM_STEP(ichimoku, 2, 4)
CT__IND_HOOKS(ichimoku, ichimoku_st)
CT__IND_IMPL(ichimoku)
