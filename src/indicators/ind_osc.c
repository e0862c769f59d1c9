/*
 * Momentum oscillators (TA-Lib classic definitions): RSI, CMO, MACD, PPO, STOCH, STOCHF,
 * STOCHRSI, WILLR, CCI, ROC, MOM, ULTOSC, BOP, AROON, AROONOSC. RSI and MACD have batch
 * loops doing exactly the float operations of their step functions.
 */
#include "indicators/ind_internal.h"

/* ---- RSI / CMO (Wilder smoothing) ------------------------------------------------------------ */

typedef struct rsi_st {
    double prev, gain, loss;
    double a, b; /* (p-1)/p and 1/p */
    int64_t t;
    int32_t p;
    int32_t exact; /* 1: TA-Lib's exact operations (STOCHRSI, see stochrsi_step) */
} rsi_st;

static int32_t rsi_lookback(const double *opt) { return CT__OPT_I(opt, 0); }
static size_t rsi_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(rsi_st));
}
static void rsi_init(rsi_st *st, const double *opt)
{
    memset(st, 0, sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    st->a = (double)(st->p - 1) / st->p;
    st->b = 1.0 / st->p;
}
/*
 * Shared by RSI and CMO: plain means of the first p gains/losses, then Wilder's smoothing
 * avg*(p-1)/p + x/p. TA-Lib computes ((avg*(p-1)) + x)/p; the multiply form has a shorter
 * dependency chain (no division) and differs only by rounding. The gain and loss of a change d
 * are (d + |d|)/2 and (|d| - d)/2: exact, branch-free, and NaN-propagating like TA-Lib.
 */
/* Shared by RSI and CMO; returns 1 when gain/loss hold the averages of this bar. */
static inline int rsi_core(rsi_st *st, double x)
{
    double d;
    int32_t p = st->p;
    if (st->t == 0) {
        st->prev = x;
        st->t++;
        return 0;
    }
    d = x - st->prev;
    st->prev = x;
    if (st->t <= p) {
        if (d < 0)
            st->loss -= d;
        else
            st->gain += d;
        if (st->t++ < p)
            return 0;
        st->loss /= p;
        st->gain /= p;
        return 1;
    }
    st->t++;
    if (st->exact) {
        st->loss *= (p - 1);
        st->gain *= (p - 1);
        if (d < 0)
            st->loss -= d;
        else
            st->gain += d;
        st->loss /= p;
        st->gain /= p;
        return 1;
    }
    st->loss = (st->loss * st->a) + (((fabs(d) - d) * 0.5) * st->b);
    st->gain = (st->gain * st->a) + (((d + fabs(d)) * 0.5) * st->b);
    return 1;
}
static void rsi_step(rsi_st *st, const double *in, double *out)
{
    if (rsi_core(st, in[0])) {
        double s = st->gain + st->loss;
        out[0] = !CT__IS_ZERO(s) ? 100.0 * (st->gain / s) : 0.0;
    } else {
        out[0] = CT__NAN;
    }
}
/* TA-Lib TA_RSI (classic): plain means of the first p gains/losses, then Wilder smoothing (rsi_core). */
static ct_status rsi_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    const double *x = in[0];
    double *y = out[0];
    int32_t p = CT__OPT_I(opt, 0);
    double gain = 0.0, loss = 0.0, prev, s, a, b;
    ct__ind_nan(y, n, p);
    if (n <= p)
        return CT_OK;
    prev = x[0];
    for (int32_t i = 1; i <= p; i++) {
        double d = x[i] - prev;
        prev = x[i];
        if (d < 0)
            loss -= d;
        else
            gain += d;
    }
    loss /= p;
    gain /= p;
    s = gain + loss;
    y[p] = !CT__IS_ZERO(s) ? 100.0 * (gain / s) : 0.0;
    a = (double)(p - 1) / p;
    b = 1.0 / p;
    for (int64_t i = p + 1; i < n; i++) {
        double d = x[i] - prev;
        prev = x[i];
        loss = (loss * a) + (((fabs(d) - d) * 0.5) * b);
        gain = (gain * a) + (((d + fabs(d)) * 0.5) * b);
        s = gain + loss;
        y[i] = !CT__IS_ZERO(s) ? 100.0 * (gain / s) : 0.0;
    }
    return CT_OK;
}
CT__IND_HOOKS(rsi, rsi_st)
CT__IND_IMPL(rsi)

#define cmo_lookback rsi_lookback
#define cmo_size rsi_size
typedef rsi_st cmo_st;
static void cmo_init(cmo_st *st, const double *opt) { rsi_init(st, opt); }
/* TA-Lib TA_CMO: 100*(gain-loss)/(gain+loss) on Wilder-smoothed averages; 0 when ~0. */
static void cmo_step(cmo_st *st, const double *in, double *out)
{
    if (rsi_core(st, in[0])) {
        double s = st->gain + st->loss;
        out[0] = !CT__IS_ZERO(s) ? 100.0 * ((st->gain - st->loss) / s) : 0.0;
    } else {
        out[0] = CT__NAN;
    }
}
CT__IND_BATCH_FROM_STEP(cmo, 1, 1)
CT__IND_HOOKS(cmo, cmo_st)
CT__IND_IMPL(cmo)

/* ---- MACD ------------------------------------------------------------------------------------ */

typedef struct macd_st {
    double kf, ks, kg;
    double fsum, ssum, gsum;
    double fast, slow, sig;
    int64_t t;
    int32_t pf, ps, pg;
} macd_st;

/* TA-Lib swaps the periods when slow < fast. */
static void macd_periods(const double *opt, int32_t *pf, int32_t *ps, int32_t *pg)
{
    int32_t f = CT__OPT_I(opt, 0), s = CT__OPT_I(opt, 1);
    if (s < f) {
        int32_t tmp = s;
        s = f;
        f = tmp;
    }
    *pf = f;
    *ps = s;
    *pg = CT__OPT_I(opt, 2);
}
static int32_t macd_lookback(const double *opt)
{
    int32_t f, s, g;
    macd_periods(opt, &f, &s, &g);
    return (s - 1) + (g - 1);
}
static size_t macd_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(macd_st));
}
static void macd_init(macd_st *st, const double *opt)
{
    memset(st, 0, sizeof(*st));
    macd_periods(opt, &st->pf, &st->ps, &st->pg);
    st->kf = 2.0 / ((double)(st->pf + 1));
    st->ks = 2.0 / ((double)(st->ps + 1));
    st->kg = 2.0 / ((double)(st->pg + 1));
}
/*
 * TA-Lib TA_INT_MACD: both EMAs start at row slow-1; the slow one is seeded with the SMA of
 * rows 0..slow-1, the fast one with the SMA of rows slow-fast..slow-1. The signal EMA runs on
 * the MACD line from row slow-1, seeded with the SMA of its first `signal` values.
 */
static void macd_step(macd_st *st, const double *in, double *out)
{
    double x = in[0];
    int64_t t = st->t++;
    int32_t ps = st->ps, pf = st->pf, pg = st->pg;
    double m;
    out[0] = out[1] = out[2] = CT__NAN;
    if (t < ps) {
        st->ssum += x;
        if (t >= ps - pf)
            st->fsum += x;
        if (t < ps - 1)
            return;
        st->slow = st->ssum / ps;
        st->fast = st->fsum / pf;
    } else {
        st->fast = ((x - st->fast) * st->kf) + st->fast;
        st->slow = ((x - st->slow) * st->ks) + st->slow;
    }
    m = st->fast - st->slow;
    if (t < ps - 1 + pg) {
        st->gsum += m;
        if (t < ps - 2 + pg)
            return;
        st->sig = st->gsum / pg;
    } else {
        st->sig = ((m - st->sig) * st->kg) + st->sig;
    }
    out[0] = m;
    out[1] = st->sig;
    out[2] = m - st->sig;
}
static ct_status macd_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    const double *x = in[0];
    double *om = out[0], *os = out[1], *oh = out[2];
    int32_t pf, ps, pg;
    double kf, ks, kg, fsum = 0.0, ssum = 0.0, gsum = 0.0, fast, slow, sig, m;
    int64_t lb, i;
    macd_periods(opt, &pf, &ps, &pg);
    lb = (int64_t)(ps - 1) + (pg - 1);
    ct__ind_nan(om, n, lb);
    ct__ind_nan(os, n, lb);
    ct__ind_nan(oh, n, lb);
    if (n <= lb)
        return CT_OK;
    kf = 2.0 / ((double)(pf + 1));
    ks = 2.0 / ((double)(ps + 1));
    kg = 2.0 / ((double)(pg + 1));
    for (i = 0; i < ps; i++) {
        ssum += x[i];
        if (i >= ps - pf)
            fsum += x[i];
    }
    slow = ssum / ps;
    fast = fsum / pf;
    m = fast - slow;
    gsum += m;
    for (i = ps; i <= lb; i++) {
        fast = ((x[i] - fast) * kf) + fast;
        slow = ((x[i] - slow) * ks) + slow;
        gsum += fast - slow;
    }
    sig = gsum / pg;
    m = fast - slow;
    om[lb] = m;
    os[lb] = sig;
    oh[lb] = m - sig;
    for (i = lb + 1; i < n; i++) {
        fast = ((x[i] - fast) * kf) + fast;
        slow = ((x[i] - slow) * ks) + slow;
        m = fast - slow;
        sig = ((m - sig) * kg) + sig;
        om[i] = m;
        os[i] = sig;
        oh[i] = m - sig;
    }
    return CT_OK;
}
CT__IND_HOOKS(macd, macd_st)
CT__IND_IMPL(macd)

/* ---- PPO (TA-Lib default MA type: SMA) ----------------------------------------------------- */

typedef struct ppo_st {
    ct__sma f, s;
} ppo_st;

static void ppo_periods(const double *opt, int32_t *pf, int32_t *ps)
{
    int32_t f = CT__OPT_I(opt, 0), s = CT__OPT_I(opt, 1);
    *pf = f < s ? f : s;
    *ps = f < s ? s : f;
}
static int32_t ppo_lookback(const double *opt)
{
    int32_t f, s;
    ppo_periods(opt, &f, &s);
    return s - 1;
}
static size_t ppo_size(const double *opt)
{
    int32_t f, s;
    ppo_periods(opt, &f, &s);
    return ct__ind_piece(sizeof(ppo_st)) + ct__sma_size(f) + ct__sma_size(s);
}
static void ppo_init(ppo_st *st, const double *opt)
{
    int32_t f, s;
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    ppo_periods(opt, &f, &s);
    ct__sma_init(&st->f, &cur, f);
    ct__sma_init(&st->s, &cur, s);
}
/* TA-Lib TA_INT_PO with percent: ((fast - slow) / slow) * 100, 0 when slow ~ 0. */
static void ppo_step(ppo_st *st, const double *in, double *out)
{
    double f = 0.0, s = 0.0;
    int okf = ct__sma_push(&st->f, in[0], &f);
    int oks = ct__sma_push(&st->s, in[0], &s);
    if (okf && oks)
        out[0] = !CT__IS_ZERO(s) ? ((f - s) / s) * 100.0 : 0.0;
    else
        out[0] = CT__NAN;
}
CT__IND_BATCH_FROM_STEP(ppo, 1, 1)
CT__IND_HOOKS(ppo, ppo_st)
CT__IND_IMPL(ppo)

/* ---- STOCH / STOCHF / STOCHRSI ------------------------------------------------------------- */

/* fastK of TA-Lib's STOCH: (c - LL) / ((HH - LL) / 100), 0 when HH == LL. */
static inline double fast_k(double c, double hh, double ll)
{
    double diff = (hh - ll) / 100.0;
    return diff != 0.0 ? (c - ll) / diff : 0.0;
}

typedef struct stoch_st {
    ct__mdq hi, lo;
    ct__sma k, d;
    int64_t t;
    int32_t pk;
} stoch_st;

static int32_t stoch_lookback(const double *opt) { return (CT__OPT_I(opt, 0) - 1) + (CT__OPT_I(opt, 1) - 1) + (CT__OPT_I(opt, 2) - 1); }
static size_t stoch_size(const double *opt)
{
    int32_t pk = CT__OPT_I(opt, 0);
    return ct__ind_piece(sizeof(stoch_st)) + 2 * ct__mdq_size(pk) + ct__sma_size(CT__OPT_I(opt, 1)) +
           ct__sma_size(CT__OPT_I(opt, 2));
}
static void stoch_init(stoch_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->pk = CT__OPT_I(opt, 0);
    ct__mdq_init_v(&st->hi, &cur, st->pk);
    ct__mdq_init_v(&st->lo, &cur, st->pk);
    ct__sma_init(&st->k, &cur, CT__OPT_I(opt, 1));
    ct__sma_init(&st->d, &cur, CT__OPT_I(opt, 2));
    st->t = 0;
}
/* Returns 1 and sets *fk once the fastK window is full. */
static inline int stoch_fastk(stoch_st *st, double h, double l, double c, double *fk)
{
    int64_t t = st->t++;
    ct__mdq_push(&st->hi, t, h, st->pk, 1);
    ct__mdq_push(&st->lo, t, l, st->pk, 0);
    if (t < st->pk - 1)
        return 0;
    *fk = fast_k(c, ct__mdq_value(&st->hi), ct__mdq_value(&st->lo));
    return 1;
}
/* TA-Lib TA_STOCH with SMA: slowK = SMA(fastK), slowD = SMA(slowK). */
static void stoch_step(stoch_st *st, const double *in, double *out)
{
    double fk, sk, sd;
    out[0] = out[1] = CT__NAN;
    if (stoch_fastk(st, in[0], in[1], in[2], &fk) && ct__sma_push(&st->k, fk, &sk) && ct__sma_push(&st->d, sk, &sd)) {
        out[0] = sk;
        out[1] = sd;
    }
}
CT__IND_BATCH_FROM_STEP(stoch, 3, 2)
CT__IND_HOOKS(stoch, stoch_st)
CT__IND_IMPL(stoch)

typedef stoch_st stochf_st;
static int32_t stochf_lookback(const double *opt) { return (CT__OPT_I(opt, 0) - 1) + (CT__OPT_I(opt, 1) - 1); }
static size_t stochf_size(const double *opt)
{
    return ct__ind_piece(sizeof(stoch_st)) + 2 * ct__mdq_size(CT__OPT_I(opt, 0)) + ct__sma_size(CT__OPT_I(opt, 1));
}
static void stochf_init(stochf_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->pk = CT__OPT_I(opt, 0);
    ct__mdq_init_v(&st->hi, &cur, st->pk);
    ct__mdq_init_v(&st->lo, &cur, st->pk);
    ct__sma_init(&st->d, &cur, CT__OPT_I(opt, 1));
    st->t = 0;
}
/* TA-Lib TA_STOCHF with SMA: fastK and fastD = SMA(fastK); both start at the same row. */
static void stochf_step(stochf_st *st, const double *in, double *out)
{
    double fk, fd;
    out[0] = out[1] = CT__NAN;
    if (stoch_fastk(st, in[0], in[1], in[2], &fk) && ct__sma_push(&st->d, fk, &fd)) {
        out[0] = fk;
        out[1] = fd;
    }
}
CT__IND_BATCH_FROM_STEP(stochf, 3, 2)
CT__IND_HOOKS(stochf, stochf_st)
CT__IND_IMPL(stochf)

typedef struct stochrsi_st {
    rsi_st rsi;
    stoch_st st;
    int32_t pd;
} stochrsi_st;

static int32_t stochrsi_lookback(const double *opt)
{
    return CT__OPT_I(opt, 0) + (CT__OPT_I(opt, 1) - 1) + (CT__OPT_I(opt, 2) - 1);
}
static size_t stochrsi_size(const double *opt)
{
    return ct__ind_piece(sizeof(stochrsi_st)) + 2 * ct__mdq_size(CT__OPT_I(opt, 1)) + ct__sma_size(CT__OPT_I(opt, 2));
}
static void stochrsi_init(stochrsi_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    double ro[1] = {opt[0]};
    rsi_init(&st->rsi, ro);
    st->rsi.exact = 1;
    st->st.pk = CT__OPT_I(opt, 1);
    ct__mdq_init_v(&st->st.hi, &cur, st->st.pk);
    ct__mdq_init_v(&st->st.lo, &cur, st->st.pk);
    ct__sma_init(&st->st.d, &cur, CT__OPT_I(opt, 2));
    st->st.t = 0;
}
/*
 * TA-Lib TA_STOCHRSI: STOCHF(fastk, fastd, SMA) applied to RSI(period) as high, low and close.
 * The RSI here uses TA-Lib's exact operations: on a flat stretch the RSI window's range is a
 * few ulps and fastK (a ratio of those ulps) would otherwise differ from TA-Lib's.
 */
static void stochrsi_step(stochrsi_st *st, const double *in, double *out)
{
    double r, fk, fd;
    rsi_step(&st->rsi, in, &r);
    out[0] = out[1] = CT__NAN;
    if (st->rsi.t <= st->rsi.p)
        return;
    if (stoch_fastk(&st->st, r, r, r, &fk) && ct__sma_push(&st->st.d, fk, &fd)) {
        out[0] = fk;
        out[1] = fd;
    }
}
CT__IND_BATCH_FROM_STEP(stochrsi, 1, 2)
CT__IND_HOOKS(stochrsi, stochrsi_st)
CT__IND_IMPL(stochrsi)

/* ---- WILLR ----------------------------------------------------------------------------------- */

typedef struct willr_st {
    ct__mdq hi, lo;
    int64_t t;
    int32_t p;
} willr_st;

static int32_t willr_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t willr_size(const double *opt) { return ct__ind_piece(sizeof(willr_st)) + 2 * ct__mdq_size(CT__OPT_I(opt, 0)); }
static void willr_init(willr_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    ct__mdq_init_v(&st->hi, &cur, st->p);
    ct__mdq_init_v(&st->lo, &cur, st->p);
    st->t = 0;
}
/* TA-Lib TA_WILLR: (HH - c) / ((HH - LL) / -100), 0 when HH == LL. */
static void willr_step(willr_st *st, const double *in, double *out)
{
    int64_t t = st->t++;
    ct__mdq_push(&st->hi, t, in[0], st->p, 1);
    ct__mdq_push(&st->lo, t, in[1], st->p, 0);
    out[0] = CT__NAN;
    if (t >= st->p - 1) {
        double hh = ct__mdq_value(&st->hi), ll = ct__mdq_value(&st->lo);
        double diff = (hh - ll) / (-100.0);
        out[0] = diff != 0.0 ? (hh - in[2]) / diff : 0.0;
    }
}
CT__IND_BATCH_FROM_STEP(willr, 3, 1)
CT__IND_HOOKS(willr, willr_st)
CT__IND_IMPL(willr)

/* ---- CCI ------------------------------------------------------------------------------------- */

typedef struct cci_st {
    ct__ring r;
    int64_t t;
    int32_t p;
} cci_st;

static int32_t cci_lookback(const double *opt) { return CT__OPT_I(opt, 0) - 1; }
static size_t cci_size(const double *opt) { return ct__ind_piece(sizeof(cci_st)) + ct__ring_size(CT__OPT_I(opt, 0)); }
static void cci_init(cci_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    ct__ring_init(&st->r, &cur, st->p);
    st->t = 0;
}
/* TA-Lib TA_CCI: the window is summed in circular-buffer slot order, as TA-Lib does. */
static void cci_step(cci_st *st, const double *in, double *out)
{
    double tp = (in[0] + in[1] + in[2]) / 3;
    int32_t p = st->p;
    double avg = 0.0, md = 0.0, d;
    ct__ring_push(&st->r, tp);
    out[0] = CT__NAN;
    if (st->t++ < p - 1)
        return;
    for (int32_t j = 0; j < p; j++)
        avg += st->r.v[j];
    avg /= p;
    for (int32_t j = 0; j < p; j++)
        md += fabs(st->r.v[j] - avg);
    d = tp - avg;
    out[0] = (d != 0.0 && md != 0.0) ? d / (0.015 * (md / p)) : 0.0;
}
CT__IND_BATCH_FROM_STEP(cci, 3, 1)
CT__IND_HOOKS(cci, cci_st)
CT__IND_IMPL(cci)

/* ---- ROC / MOM ------------------------------------------------------------------------------- */

typedef struct roc_st {
    ct__ring r;
    int64_t t;
    int32_t p;
} roc_st;

static int32_t roc_lookback(const double *opt) { return CT__OPT_I(opt, 0); }
static size_t roc_size(const double *opt) { return ct__ind_piece(sizeof(roc_st)) + ct__ring_size(CT__OPT_I(opt, 0)); }
static void roc_init(roc_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    ct__ring_init(&st->r, &cur, st->p);
    st->t = 0;
}
/* TA-Lib TA_ROC: ((x / x[t-p]) - 1) * 100, 0 when x[t-p] == 0. */
static void roc_step(roc_st *st, const double *in, double *out)
{
    double old = ct__ring_push(&st->r, in[0]);
    out[0] = st->t++ < st->p ? CT__NAN : (old != 0.0 ? ((in[0] / old) - 1.0) * 100.0 : 0.0);
}
static ct_status roc_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    const double *x = in[0];
    double *y = out[0];
    int32_t p = CT__OPT_I(opt, 0);
    ct__ind_nan(y, n, p);
    for (int64_t i = p; i < n; i++) {
        double old = x[i - p];
        y[i] = old != 0.0 ? ((x[i] / old) - 1.0) * 100.0 : 0.0;
    }
    return CT_OK;
}
CT__IND_HOOKS(roc, roc_st)
CT__IND_IMPL(roc)

typedef roc_st mom_st;
#define mom_lookback roc_lookback
#define mom_size roc_size
static void mom_init(mom_st *st, const double *opt) { roc_init(st, opt); }
/* TA-Lib TA_MOM: x - x[t-p]. */
static void mom_step(mom_st *st, const double *in, double *out)
{
    double old = ct__ring_push(&st->r, in[0]);
    out[0] = st->t++ < st->p ? CT__NAN : in[0] - old;
}
static ct_status mom_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    const double *x = in[0];
    double *y = out[0];
    int32_t p = CT__OPT_I(opt, 0);
    ct__ind_nan(y, n, p);
    for (int64_t i = p; i < n; i++)
        y[i] = x[i] - x[i - p];
    return CT_OK;
}
CT__IND_HOOKS(mom, mom_st)
CT__IND_IMPL(mom)

/* ---- ULTOSC ---------------------------------------------------------------------------------- */

typedef struct ultosc_st {
    ct__ring bp, tr; /* last p3 terms */
    double a[3], b[3];
    double prev_close;
    int64_t t;
    int32_t p[3]; /* ascending: weights 4, 2, 1 */
} ultosc_st;

static void ultosc_sorted(const double *opt, int32_t p[3])
{
    int32_t a = CT__OPT_I(opt, 0), b = CT__OPT_I(opt, 1), c = CT__OPT_I(opt, 2), t;
    if (a > b) { t = a; a = b; b = t; }
    if (b > c) { t = b; b = c; c = t; }
    if (a > b) { t = a; a = b; b = t; }
    p[0] = a;
    p[1] = b;
    p[2] = c;
}
static int32_t ultosc_lookback(const double *opt)
{
    int32_t p[3];
    ultosc_sorted(opt, p);
    return p[2];
}
static size_t ultosc_size(const double *opt)
{
    int32_t p[3];
    ultosc_sorted(opt, p);
    return ct__ind_piece(sizeof(ultosc_st)) + 2 * ct__ring_size(p[2]);
}
static void ultosc_init(ultosc_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    memset(st, 0, sizeof(*st));
    ultosc_sorted(opt, st->p);
    ct__ring_init(&st->bp, &cur, st->p[2]);
    ct__ring_init(&st->tr, &cur, st->p[2]);
}
/*
 * TA-Lib TA_ULTOSC (periods sorted, the shortest weighted 4): buying pressure c - min(l, yc)
 * over true range, summed over each period; each total is primed with its first p-1 terms,
 * the current term added before the output and the oldest term removed after it.
 */
static void ultosc_step(ultosc_st *st, const double *in, double *out)
{
    double h = in[0], l = in[1], c = in[2];
    int64_t t = st->t++;
    double yc = st->prev_close, bp, tr, o;
    st->prev_close = c;
    out[0] = CT__NAN;
    if (t == 0)
        return;
    bp = c - (l < yc ? l : yc);
    tr = ct__true_range(h, l, yc);
    ct__ring_push(&st->bp, bp);
    ct__ring_push(&st->tr, tr);
    for (int k = 0; k < 3; k++) {
        if (t >= st->p[2] - st->p[k] + 1) {
            st->a[k] += bp;
            st->b[k] += tr;
        }
    }
    if (t < st->p[2])
        return;
    o = 0.0;
    if (!CT__IS_ZERO(st->b[0]))
        o += 4.0 * (st->a[0] / st->b[0]);
    if (!CT__IS_ZERO(st->b[1]))
        o += 2.0 * (st->a[1] / st->b[1]);
    if (!CT__IS_ZERO(st->b[2]))
        o += st->a[2] / st->b[2];
    for (int k = 0; k < 3; k++) {
        st->a[k] -= ct__ring_ago(&st->bp, st->p[k]);
        st->b[k] -= ct__ring_ago(&st->tr, st->p[k]);
    }
    out[0] = 100.0 * (o / 7.0);
}
CT__IND_BATCH_FROM_STEP(ultosc, 3, 1)
CT__IND_HOOKS(ultosc, ultosc_st)
CT__IND_IMPL(ultosc)

/* ---- BOP ------------------------------------------------------------------------------------- */

typedef struct bop_st {
    int32_t unused;
} bop_st;

static int32_t bop_lookback(const double *opt)
{
    (void)opt;
    return 0;
}
static size_t bop_size(const double *opt)
{
    (void)opt;
    return ct__ind_piece(sizeof(bop_st));
}
static void bop_init(bop_st *st, const double *opt)
{
    (void)opt;
    st->unused = 0;
}
/* TA-Lib TA_BOP: (c - o) / (h - l), 0 when h - l < 1e-14. */
static void bop_step(bop_st *st, const double *in, double *out)
{
    double r = in[1] - in[2];
    (void)st;
    out[0] = CT__IS_ZERO_OR_NEG(r) ? 0.0 : (in[3] - in[0]) / r;
}
CT__IND_BATCH_FROM_STEP(bop, 4, 1)
CT__IND_HOOKS(bop, bop_st)
CT__IND_IMPL(bop)

/* ---- AROON / AROONOSC ------------------------------------------------------------------------ */

typedef struct aroon_st {
    ct__mdq hi, lo;
    int64_t t;
    int32_t p;
} aroon_st;

static int32_t aroon_lookback(const double *opt) { return CT__OPT_I(opt, 0); }
static size_t aroon_size(const double *opt) { return ct__ind_piece(sizeof(aroon_st)) + 2 * ct__mdq_size(CT__OPT_I(opt, 0) + 1); }
static void aroon_init(aroon_st *st, const double *opt)
{
    char *cur = (char *)st + ct__ind_piece(sizeof(*st));
    st->p = CT__OPT_I(opt, 0);
    ct__mdq_init(&st->hi, &cur, st->p + 1);
    ct__mdq_init(&st->lo, &cur, st->p + 1);
    st->t = 0;
}
/* Window of p+1 bars; returns 1 once full. Ties: the most recent extreme (TA-Lib). */
static inline int aroon_core(aroon_st *st, double h, double l, int64_t *t_out)
{
    int64_t t = st->t++;
    ct__mdq_push(&st->hi, t, h, st->p + 1, 1);
    ct__mdq_push(&st->lo, t, l, st->p + 1, 0);
    *t_out = t;
    return t >= st->p;
}
/* TA-Lib TA_AROON: down = 100/p * (p - bars since lowest low), up likewise; output order down, up. */
static void aroon_step(aroon_st *st, const double *in, double *out)
{
    int64_t t;
    double factor = 100.0 / st->p;
    if (!aroon_core(st, in[0], in[1], &t)) {
        out[0] = out[1] = CT__NAN;
        return;
    }
    out[0] = factor * (st->p - (t - ct__mdq_index(&st->lo)));
    out[1] = factor * (st->p - (t - ct__mdq_index(&st->hi)));
}
/* Batch: aroon_step's tracking read from the input arrays (see ct__track); identical output. */
static ct_status aroon_batch_x(int64_t n, const double *const *in, const double *opt, double *const *out, int osc)
{
    const double *h = in[0], *l = in[1];
    int32_t p = CT__OPT_I(opt, 0);
    double factor = 100.0 / p, hb = 0.0, lb = 0.0;
    int64_t hi = INT64_MIN / 2, li = INT64_MIN / 2;
    for (int k = 0; k < (osc ? 1 : 2); k++)
        ct__ind_nan(out[k], n, p);
    for (int64_t t = 0; t < n; t++) {
        ct__track(h, t, p + 1, &hb, &hi, 1);
        ct__track(l, t, p + 1, &lb, &li, 0);
        if (t < p)
            continue;
        if (osc) {
            out[0][t] = factor * (double)(hi - li);
        } else {
            out[0][t] = factor * (p - (t - li));
            out[1][t] = factor * (p - (t - hi));
        }
    }
    return CT_OK;
}
static ct_status aroon_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    return aroon_batch_x(n, in, opt, out, 0);
}
CT__IND_HOOKS(aroon, aroon_st)
CT__IND_IMPL(aroon)

typedef aroon_st aroonosc_st;
#define aroonosc_lookback aroon_lookback
#define aroonosc_size aroon_size
static void aroonosc_init(aroonosc_st *st, const double *opt) { aroon_init(st, opt); }
/* TA-Lib TA_AROONOSC: 100/p * (index of highest - index of lowest). */
static void aroonosc_step(aroonosc_st *st, const double *in, double *out)
{
    int64_t t;
    double factor = 100.0 / st->p;
    out[0] = aroon_core(st, in[0], in[1], &t) ? factor * (double)(ct__mdq_index(&st->hi) - ct__mdq_index(&st->lo)) : CT__NAN;
}
static ct_status aroonosc_batch(int64_t n, const double *const *in, const double *opt, double *const *out)
{
    return aroon_batch_x(n, in, opt, out, 1);
}
CT__IND_HOOKS(aroonosc, aroonosc_st)
CT__IND_IMPL(aroonosc)
