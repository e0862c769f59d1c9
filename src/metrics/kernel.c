/*
 * The metric kernel: every metric of DESIGN.md section 8 from one equity curve, its benchmark and
 * its trades. One pass over the curve, in chunks of CHUNK bars, four bars at a time in vector
 * registers (AVX2 where the CPU has it, picked at run time; SSE2 or NEON pairs otherwise, with
 * bit-identical results): the returns with their shifted power sums (mean, variance, skew,
 * kurtosis), downside sums, drawdowns and exposure first, then, over the chunk's returns still in
 * L1, one phase per costly group: the log curve cumsum(log1p(r)) and its regression (stability),
 * the benchmark cross-moments, the percentile brackets. The 5th/95th percentiles and the CVaR come
 * from brackets set by the order statistics of a strided sample: the pass counts the returns
 * below each bracket and keeps those inside, and quickselect finishes inside the brackets (exact,
 * with a quickselect over all returns as the fallback; no sort). Definitions follow empyrical (see
 * docs/metrics.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"

#if defined(__clang__)
/* no a*b+c fusing (GCC does none in ISO C mode): the same operations on every build */
#pragma STDC FP_CONTRACT OFF
#endif

/* Helpers of the pass are forced inline: then no accumulator's address escapes, and the compiler
 * keeps them in registers instead of memory. */
#if defined(__GNUC__)
#define CT__HOT static inline __attribute__((always_inline))
#else
#define CT__HOT static inline
#endif

/* numpy's linear interpolation between a and b at t in [0,1] (np.lib.function_base._lerp). */
static double lerp_np(double a, double b, double t)
{
    double d = b - a;
    return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

static void swapd(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* the median of three values */
static double median3(double a, double b, double c)
{
    double lo = a < b ? a : b, hi = a < b ? b : a;
    return c < lo ? lo : c > hi ? hi : c;
}

/*
 * Place the k-th smallest of v[lo..hi] at v[k], smaller-or-equal ones before it and
 * greater-or-equal after it. Quickselect with branch-free three-way partitions (the comparisons
 * of random returns would mispredict half the time): one pass moves the values below the pivot
 * (a median of three) to the front, a second the values equal to it next, so ties, such as the
 * zero returns of a flat stretch, cannot stall it. NaNs compare as neither and end up last.
 */
static void select_kth(double *v, int64_t lo, int64_t hi, int64_t k)
{
    while (hi - lo >= 16) {
        double pivot = median3(v[lo], v[lo + (hi - lo) / 2], v[hi]);
        if (pivot != pivot) { /* NaN (a curve through zero): any number will do, NaNs sort last */
            int64_t i = lo;
            while (i <= hi && v[i] != v[i])
                i++;
            if (i > hi)
                return;
            pivot = v[i];
        }
        int64_t st = lo;
        for (int64_t i = lo; i <= hi; i++) {
            double t = v[i];
            v[i] = v[st];
            v[st] = t;
            st += t < pivot;
        }
        if (k < st) {
            hi = st - 1;
            continue;
        }
        int64_t eq = st;
        for (int64_t i = st; i <= hi; i++) {
            double t = v[i];
            v[i] = v[eq];
            v[eq] = t;
            eq += t == pivot;
        }
        if (k < eq)
            return; /* v[k] equals the pivot */
        lo = eq;    /* progress: at least the pivot's own value was moved */
    }
    for (int64_t i = lo + 1; i <= hi; i++) {
        double x = v[i];
        int64_t j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static double min_of(const double *v, int64_t lo, int64_t hi)
{
    double m = v[lo];
    for (int64_t i = lo + 1; i <= hi; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

static void trade_stats(const ct__mseries *s, double *out)
{
    if (!s->has_trades)
        return;
    int64_t nt = s->n_trades;
    out[CT_M_total_trades] = (double)nt;
    if (nt == 0)
        return;
    const ct_trade *t = s->trades;
    int64_t wins = 0, losses = 0, run_w = 0, run_l = 0, best_w = 0, best_l = 0;
    double gp = 0, gl = 0, sum_pnl = 0, sum_ret = 0, win_ret = 0, loss_ret = 0, bars = 0;
    double best = -CT__INF, worst = CT__INF, mae = 0, mfe = 0;
    for (int64_t i = 0; i < nt; i++) {
        double p = t[i].pnl_net, r = t[i].ret;
        sum_pnl += p;
        sum_ret += r;
        bars += (double)t[i].bars_held;
        mae += t[i].mae;
        mfe += t[i].mfe;
        if (r > best)
            best = r;
        if (r < worst)
            worst = r;
        if (p > 0) {
            wins++;
            gp += p;
            win_ret += r;
            run_w++;
            run_l = 0;
        } else if (p < 0) {
            losses++;
            gl -= p;
            loss_ret += r;
            run_l++;
            run_w = 0;
        } else {
            run_w = run_l = 0;
        }
        if (run_w > best_w)
            best_w = run_w;
        if (run_l > best_l)
            best_l = run_l;
    }
    double n = (double)nt;
    double win_rate = (double)wins / n;
    out[CT_M_win_rate] = win_rate;
    out[CT_M_profit_factor] = losses > 0 ? gp / gl : CT__NaN;
    out[CT_M_avg_win] = wins > 0 ? win_ret / (double)wins : CT__NaN;
    out[CT_M_avg_loss] = losses > 0 ? loss_ret / (double)losses : CT__NaN;
    double payoff = (wins > 0 && losses > 0 && loss_ret != 0) ? out[CT_M_avg_win] / fabs(out[CT_M_avg_loss]) : CT__NaN;
    out[CT_M_payoff_ratio] = payoff;
    out[CT_M_expectancy] = sum_pnl / n;
    out[CT_M_best_trade] = best;
    out[CT_M_worst_trade] = worst;
    out[CT_M_avg_trade_return] = sum_ret / n;
    out[CT_M_max_consecutive_wins] = (double)best_w;
    out[CT_M_max_consecutive_losses] = (double)best_l;
    out[CT_M_avg_bars_held] = bars / n;
    out[CT_M_avg_mae] = mae / n;
    out[CT_M_avg_mfe] = mfe / n;
    out[CT_M_kelly_criterion] = (isfinite(payoff) && payoff > 0) ? win_rate - (1.0 - win_rate) / payoff : CT__NaN;
    if (nt >= 2) {
        /* backtrader's SQN analyzer: population standard deviation of pnl_net */
        double mean = sum_pnl / n, ss = 0;
        for (int64_t i = 0; i < nt; i++) {
            double d = t[i].pnl_net - mean;
            ss += d * d;
        }
        double sd = sqrt(ss / n);
        out[CT_M_sqn] = sd > 0 ? sqrt(n) * mean / sd : CT__NaN;
    }
}

/*
 * Natural log for positive finite x, without branches: x = 2^e * m with m in [sqrt(1/2),
 * sqrt(2)), log m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716, by its series to s^15: the
 * absolute error is below 1e-12. The kernel uses it only for the shift of the log curve (any
 * value near its middle keeps the sums of squares from cancelling).
 */
static inline double fast_log(double x)
{
    union {
        double d;
        uint64_t u;
    } v = {x}, mm, ex;
    mm.u = (v.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL; /* mantissa in [1, 2) */
    ex.u = (v.u >> 52) | 0x4330000000000000ULL;                     /* 2^52 + biased exponent */
    double e = ex.d - 4503599627370496.0 - 1023.0;
    double m = mm.d;
    int big = m > 1.4142135623730951;
    m = big ? m * 0.5 : m;
    e = big ? e + 1.0 : e;
    double s = (m - 1.0) / (m + 1.0), z = s * s;
    double p = 1.0 / 15;
    p = p * z + 1.0 / 13;
    p = p * z + 1.0 / 11;
    p = p * z + 1.0 / 9;
    p = p * z + 1.0 / 7;
    p = p * z + 1.0 / 5;
    p = p * z + 1.0 / 3;
    p = p * z + 1.0;
    return e * 0.6931471805599453 + 2.0 * s * p;
}

double ct__fast_log(double x) { return fast_log(x); }

/*
 * Percentile brackets: a strided sample of the returns gives bounds [lo, hi] that very likely
 * hold the ranks a quantile needs; the one pass then counts the returns below lo (with their
 * sum, for the CVaR), keeps the non-zero ones inside the bracket and only counts the zeros (flat
 * stretches make many). If a needed rank falls outside, the kernel falls back to quickselect
 * over all returns.
 */
typedef struct bracket {
    double lo, hi;
    int64_t below;    /* returns < lo */
    double below_sum; /* their sum */
    int64_t zeros;    /* zero returns in [lo, hi] */
    double *buf;      /* non-zero returns in [lo, hi] */
    int64_t nbuf, cap;
    int overflow;
} bracket;

/* Classify one return, without branches (the outcome is data-dependent, so branches would
 * mispredict): the buffer has one spare slot that takes the writes of returns not kept. */
CT__HOT void bracket_add(bracket *b, double r)
{
    int64_t below = r < b->lo, inside = (r >= b->lo) & (r <= b->hi), zero = r == 0;
    int64_t keep = inside & !zero, room = b->nbuf < b->cap;
    b->below += below;
    b->below_sum += below ? r : 0.0;
    b->zeros += inside & zero;
    b->buf[b->nbuf] = r;
    b->nbuf += keep & room;
    b->overflow |= (int)(keep & !room);
}

/* Reorder buf as [negatives | positives]; returns the number of negatives. */
static int64_t split_signs(double *v, int64_t n)
{
    int64_t i = 0, j = n - 1;
    while (i <= j) {
        if (v[i] < 0)
            i++;
        else
            swapd(&v[i], &v[j--]);
    }
    return i;
}

/*
 * The j-th smallest (0-based) of buf (split as [nneg negatives | positives]) plus `zeros` zeros.
 * When sum is not NULL, also the sum of the j+1 smallest.
 */
static double bracket_rank(double *buf, int64_t nbuf, int64_t nneg, int64_t zeros, int64_t j, double *sum)
{
    double v, acc = 0;
    if (j < nneg) {
        select_kth(buf, 0, nneg - 1, j);
        v = buf[j];
        if (sum)
            for (int64_t i = 0; i <= j; i++)
                acc += buf[i];
    } else if (j < nneg + zeros) {
        v = 0;
        if (sum)
            for (int64_t i = 0; i < nneg; i++)
                acc += buf[i];
    } else {
        int64_t k = j - zeros; /* index into buf */
        select_kth(buf, nneg, nbuf - 1, k);
        v = buf[k];
        if (sum)
            for (int64_t i = 0; i <= k; i++)
                acc += buf[i];
    }
    if (sum)
        *sum = acc;
    return v;
}

/* The (j+1)-th smallest, once bracket_rank placed the j-th: the least of what lies above it. */
static double bracket_next(const double *buf, int64_t nbuf, int64_t nneg, int64_t zeros, int64_t j)
{
    if (j + 1 < nneg)
        return min_of(buf, j + 1, nneg - 1);
    if (j + 1 < nneg + zeros)
        return 0.0;
    int64_t k = j + 1 - zeros; /* index into buf, at or after nneg */
    return j < nneg + zeros ? min_of(buf, nneg, nbuf - 1) : min_of(buf, k, nbuf - 1);
}

#define CHUNK 512 /* bars per chunk of the one pass (a multiple of 4; the returns stay in L1) */


/* Four doubles in one vector (GCC/Clang vector extension): one AVX2 register where the CPU has
 * it (the pass is compiled twice and picked at run time, see run_pass), two SSE2 or NEON registers
 * otherwise. Both builds run the same operations in the same order (no FMA contraction: ISO C
 * mode), so the metrics are bit-identical whichever runs. */
#if defined(__clang__)
#if __has_warning("-Wpsabi")
#pragma clang diagnostic ignored "-Wpsabi"
#endif
#elif defined(__GNUC__)
/* The vector helpers are forced inline (even at -O0: a call between the AVX2 build and a helper
 * compiled without AVX would pass the vectors differently), so GCC's note that 32-byte vectors
 * pass differently without AVX does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4i __attribute__((vector_size(32)));
typedef uint64_t v4u __attribute__((vector_size(32)));

CT__HOT v4d v4_load(const double *p)
{
    v4d v;
    memcpy(&v, p, sizeof(v));
    return v;
}

CT__HOT v4d v4_set1(double x) { return (v4d){x, x, x, x}; }

/* mask ? a : b, lane by lane (mask lanes are all ones or all zeros) */
CT__HOT v4d v4_sel(v4i mask, v4d a, v4d b) { return (v4d)(((v4i)a & mask) | ((v4i)b & ~mask)); }

/* the lanes summed pairwise: (0+1) + (2+3) */
CT__HOT double v4_sum(v4d v) { return (v[0] + v[1]) + (v[2] + v[3]); }

typedef double v2d __attribute__((vector_size(16)));
typedef int64_t v2i __attribute__((vector_size(16)));

CT__HOT v2d v4_lo(v4d v) { return __builtin_shufflevector(v, v, 0, 1); }
CT__HOT v2d v4_hi(v4d v) { return __builtin_shufflevector(v, v, 2, 3); }
CT__HOT v4i v4_join(v2i lo, v2i hi) { return __builtin_shufflevector(lo, hi, 0, 1, 2, 3); }

/*
 * a OP b lane by lane, as a mask. `wide` (a constant once inlined) says whether the build has
 * four-lane registers; without them GCC would compare lane by lane in scalar code, so the
 * comparison is made on two-lane halves (same results).
 */
#define V4CMP(a, op, b) (wide ? (v4i)((a)op(b)) : v4_join(v4_lo(a) op v4_lo(b), v4_hi(a) op v4_hi(b)))

/* the lanes OR-ed together (vector steps, then one lane out) */
CT__HOT int64_t v4_any(v4i m)
{
    m |= __builtin_shufflevector(m, m, 2, 3, 0, 1);
    m |= __builtin_shufflevector(m, m, 1, 0, 3, 2);
    return m[0];
}

CT__HOT double v4_min(v4d v)
{
    double a = v[0] < v[1] ? v[0] : v[1], b = v[2] < v[3] ? v[2] : v[3];
    return a < b ? a : b;
}

/* Accumulators of the one pass (vector lanes; the scalar tail uses lane 0). */
typedef struct kstate {
    v4d S1, S2, S3, S4, D2, NG, Y1, Y2, XY;
    v4d NB, B1, B2, RB, X1, T1, T2, U2v, EMIN;
    v4i B5N, B95N, ZC; /* returns below each bracket; zero returns */
    v4d B5S;           /* sum of the returns below the 5% bracket */
    double c, cb, lg0, xbar, bprod;
    double y_prev; /* log level of the last bar done: log(E/E[0]) - cy, cy the shift */
    double peak, inv_peak, mdd, U2, trough, dd_sum;
    int64_t peak_i, dd_count, max_dur, max_dur_ms;
    int in_dd, skip_log;
    const int64_t *tm;
    bracket *b5, *b95;
    const double *pos; /* positions (exposure), or NULL */
    v4i HELD;          /* bars with a non-zero position, from bar 1 */
} kstate;

/* One bar of the drawdown state machine: a new peak closes the running drawdown period. */
CT__HOT void dd_step(kstate *k, double e, int64_t i)
{
    if (e >= k->peak) {
        if (k->in_dd) {
            int64_t dur = i - k->peak_i, dur_ms = k->tm ? k->tm[i] - k->tm[k->peak_i] : 0;
            k->max_dur = dur > k->max_dur ? dur : k->max_dur;
            k->max_dur_ms = dur_ms > k->max_dur_ms ? dur_ms : k->max_dur_ms;
            k->dd_sum += k->trough;
            k->dd_count++;
            k->in_dd = 0;
        }
        if (e != k->peak) { /* a higher peak (an equal one, as in a flat stretch, changes nothing) */
            k->peak = e;
            k->inv_peak = 1.0 / e;
        }
        k->peak_i = i;
    } else {
        double dd = (e - k->peak) * k->inv_peak;
        k->U2 += dd * dd;
        if (!k->in_dd) {
            k->in_dd = 1;
            k->trough = dd;
        } else if (dd < k->trough) {
            k->trough = dd;
        }
        k->mdd = dd < k->mdd ? dd : k->mdd;
    }
}

/* Return i (bar i over bar i-1) on its own: the tail after the last pair. */
CT__HOT void scalar_step(kstate *k, const double *E, const double *bl, const double *br, int64_t i)
{
    double r = (E[i] - E[i - 1]) / E[i - 1], x = r - k->c, x2 = x * x;
    k->EMIN[0] = E[i] < k->EMIN[0] ? E[i] : k->EMIN[0];
    k->S1[0] += x;
    k->S2[0] += x2;
    k->S3[0] += x2 * x;
    k->S4[0] += x2 * x2;
    if (r < 0) {
        k->D2[0] += r * r;
        k->NG[0] -= r;
    }
    double y = k->skip_log ? 0.0 : k->y_prev + log1p(r);
    k->y_prev = y;
    k->Y1[0] += y;
    k->Y2[0] += y * y;
    k->XY[0] += ((double)(i - 1) - k->xbar) * y;
    if (bl || br) {
        double b = bl ? (bl[i] - bl[i - 1]) / bl[i - 1] : br[i - 1];
        if (b == b) {
            double xb = b - k->cb, xd = x - xb;
            k->NB[0] += 1;
            k->B1[0] += xb;
            k->B2[0] += xb * xb;
            k->RB[0] += x * xb;
            k->X1[0] += x;
            k->T1[0] += xd;
            k->T2[0] += xd * xd;
            if (br && !bl)
                k->bprod *= 1.0 + b;
        }
    }
    dd_step(k, E[i], i);
    if (k->b5) {
        bracket_add(k->b5, r);
        bracket_add(k->b95, r);
    }
}

/*
 * The vector part of the one pass: bars 1.. in chunks, four at a time; returns the first bar
 * left for scalar_step. The state is copied into locals (stores into the bracket buffers could
 * alias it through a pointer and keep every accumulator in memory). Forced inline with constant
 * group flags (do_log, do_bench, do_pct) into the specialized builds below, so a build for the
 * core metrics carries no dead accumulators.
 */
CT__HOT int64_t pass_body(kstate *kp, const double *E, const double *bl, const double *br, int64_t n, const int do_log,
                          const int do_bench, const int do_pct, const int wide)
{
    const v4d lane = {0, 1, 2, 3};
    const v4d zero = v4_set1(0), one = v4_set1(1), inf = v4_set1(CT__INF);
    const double c = kp->c, cb = kp->cb, xbar = kp->xbar;
    const int64_t *tm = kp->tm;
    const double *pos = kp->pos;
    bracket *b5 = kp->b5, *b95 = kp->b95;
    double *buf5 = do_pct ? b5->buf : NULL, *buf95 = do_pct ? b95->buf : NULL;
    const double lo5 = do_pct ? b5->lo : 0, hi5 = do_pct ? b5->hi : 0;
    const double lo95 = do_pct ? b95->lo : 0, hi95 = do_pct ? b95->hi : 0;
    const v4d vlo5 = v4_set1(lo5), vhi5 = v4_set1(hi5), vlo95 = v4_set1(lo95), vhi95 = v4_set1(hi95);
    int64_t n5 = do_pct ? b5->nbuf : 0, n95 = do_pct ? b95->nbuf : 0, cap = do_pct ? b5->cap : 0;
    int keep_pct = do_pct;
    /* accumulators */
    v4d S1 = kp->S1, S2 = kp->S2, S3 = kp->S3, S4 = kp->S4, D2 = kp->D2, NG = kp->NG;
    v4d Y1 = kp->Y1, Y2 = kp->Y2, XY = kp->XY, EMIN = kp->EMIN, U2v = kp->U2v;
    v4d NB = kp->NB, B1 = kp->B1, B2 = kp->B2, RB = kp->RB, X1 = kp->X1, T1 = kp->T1, T2 = kp->T2;
    v4i B5N = kp->B5N, B95N = kp->B95N, ZC = kp->ZC, HELD = kp->HELD;
    v4d B5S = kp->B5S;
    double bprod = kp->bprod;
    v4d YC = v4_set1(kp->y_prev); /* the log level of the last bar done, in every lane */
    /* drawdown state: the running period's trough is min(trs, lanes of TRv) (both +inf at a
     * period's start); the deepest drawdown is folded in at each period's end */
    double peak = kp->peak, inv_peak = kp->inv_peak, mdd = kp->mdd, U2s = kp->U2, dd_sum = kp->dd_sum;
    double trs = kp->in_dd ? kp->trough : CT__INF;
    v4d TRv = inf;
    int64_t peak_i = kp->peak_i, dd_count = kp->dd_count, max_dur = kp->max_dur, max_dur_ms = kp->max_dur_ms;
    int in_dd = kp->in_dd;
    const int need_r = do_log || do_bench || do_pct;
    double rbuf[CHUNK]; /* the chunk's returns, for the groups' phases */
    int64_t bi = 1;
    for (int64_t a = 1; a + 4 <= n; a += CHUNK) {
        const int64_t len = (n - a < CHUNK ? n - a : CHUNK) & ~(int64_t)3;
        for (bi = a; bi < a + len; bi += 4) {
            /* returns and their sums, four at a time */
            v4d e1 = v4_load(E + bi), e0 = v4_load(E + bi - 1);
            v4d r = (e1 - e0) / e0;
            v4d x = r - c, x2 = x * x;
            S1 += x;
            S2 += x2;
            S3 += x2 * x;
            S4 += x2 * x2;
            v4d ng = v4_sel(V4CMP(r, <, zero), r, zero);
            D2 += ng * ng;
            NG -= ng;
            if (pos)
                HELD -= V4CMP(v4_load(pos + bi), !=, zero);
            /* drawdowns: four bars under the running peak are done at once, and so are four bars
             * level with it outside a drawdown (a flat stretch at the peak) */
            v4d pk = v4_set1(peak);
            v4i under = V4CMP(e1, <, pk), level = V4CMP(e1, ==, pk);
            if (under[0] & under[1] & under[2] & under[3]) {
                v4d dd = (e1 - pk) * inv_peak;
                U2v += dd * dd;
                TRv = v4_sel(V4CMP(dd, <, TRv), dd, TRv);
                in_dd = 1;
            } else if (!in_dd && (level[0] & level[1] & level[2] & level[3])) {
                peak_i = bi + 3;
            } else {
                for (int l = 0; l < 4; l++) {
                    double e = e1[l];
                    int64_t i = bi + l;
                    if (e >= peak) {
                        if (in_dd) { /* a new peak closes the running drawdown period */
                            double tv = v4_min(TRv), tr = trs < tv ? trs : tv;
                            int64_t dur = i - peak_i, dur_ms = tm ? tm[i] - tm[peak_i] : 0;
                            max_dur = dur > max_dur ? dur : max_dur;
                            max_dur_ms = dur_ms > max_dur_ms ? dur_ms : max_dur_ms;
                            dd_sum += tr;
                            dd_count++;
                            mdd = tr < mdd ? tr : mdd;
                            in_dd = 0;
                            trs = CT__INF;
                            TRv = inf;
                        }
                        if (e != peak) { /* a higher peak (an equal one changes nothing) */
                            peak = e;
                            inv_peak = 1.0 / e;
                        }
                        peak_i = i;
                    } else {
                        double dd = (e - peak) * inv_peak;
                        U2s += dd * dd;
                        trs = dd < trs ? dd : trs;
                        in_dd = 1;
                    }
                }
            }
            if (need_r)
                memcpy(rbuf + (bi - a), &r, sizeof(r));
        }
        /* the groups' phases over the chunk's returns (each with only its own accumulators
         * live, so none spills to memory) */
        v4d TI = (double)(a - 1) - xbar + lane; /* regression index - its mean (exact: halves) */
        if (do_log)
            for (int64_t q = 0; q < len; q += 4) {
                const int64_t bq = a + q;
                v4d r = v4_load(rbuf + q), e1 = v4_load(E + bq);
                EMIN = v4_sel(V4CMP(e1, <, EMIN), e1, EMIN); /* the log curve needs positive equity */
                /* the log curve as empyrical builds it, cumsum(log1p(r)): log1p by its series
                 * to r^9 where |r| <= 1/64 (error below 1e-17 of the value), libm's otherwise */
                v4d ar = (v4d)((v4i)r & ~(v4i)v4_set1(-0.0));
                /* one test of all four lanes: bit 0 some move, bit 1 some large (or NaN) one */
                int64_t kind = v4_any(V4CMP(r, !=, zero) & 1) | (v4_any(V4CMP(ar, <=, v4_set1(1.0 / 64)) ^ -1) & 2);
                v4d l = zero; /* four bars without a move (no position): the level stays */
                if (kind) {
                    if (kind == 1) {
                        /* Estrin's scheme: a short dependency chain, so vectors overlap */
                        v4d r2 = r * r, r4 = r2 * r2;
                        v4d p01 = 1.0 - r * 0.5, p23 = 1.0 / 3 - r * 0.25, p45 = 0.2 - r * (1.0 / 6);
                        v4d p67 = 1.0 / 7 - r * 0.125;
                        v4d q0 = p01 + r2 * p23, q1 = p45 + r2 * p67;
                        l = r * (q0 + r4 * (q1 + r4 * (1.0 / 9)));
                    } else {
                        for (int j = 0; j < 4; j++)
                            l[j] = log1p(r[j]);
                    }
                }
                /* running sum: prefix sums inside the vector, plus the last bar's level */
                l += __builtin_shufflevector(l, zero, 4, 0, 1, 2);
                l += __builtin_shufflevector(l, zero, 4, 5, 0, 1);
                v4d y = l + YC;
                YC += __builtin_shufflevector(l, l, 3, 3, 3, 3); /* the same sums as y[3] */
                Y1 += y;
                Y2 += y * y;
                XY += TI * y;
                TI += 4.0;
            }
        if (do_bench && bl) {
            /* benchmark levels (the feed's close, same bars): every return defined, so the
             * count and the sum of x are the pass's own (set after the loop) */
            for (int64_t q = 0; q < len; q += 4) {
                const int64_t bq = a + q;
                v4d x = v4_load(rbuf + q) - c;
                v4d b0 = v4_load(bl + bq - 1), b = (v4_load(bl + bq) - b0) / b0;
                v4d xb = b - cb, xd = x - xb;
                B1 += xb;
                B2 += xb * xb;
                RB += x * xb;
                T1 += xd;
                T2 += xd * xd;
            }
        } else if (do_bench) {
            /* aligned host returns: NaN where the benchmark has no point */
            for (int64_t q = 0; q < len; q += 4) {
                const int64_t bq = a + q;
                v4d x = v4_load(rbuf + q) - c, b = v4_load(br + bq - 1);
                v4i ok = V4CMP(b, ==, b);
                v4d xb = v4_sel(ok, b - cb, zero), xr = v4_sel(ok, x, zero), xd = xr - xb;
                NB += v4_sel(ok, one, zero);
                B1 += xb;
                B2 += xb * xb;
                RB += xr * xb;
                X1 += xr;
                T1 += xd;
                T2 += xd * xd;
                for (int l = 0; l < 4; l++)
                    bprod *= ok[l] ? 1.0 + b[l] : 1.0;
            }
        }
        if (keep_pct)
            for (int64_t q = 0; q < len; q += 4) {
                v4d r = v4_load(rbuf + q);
                /* percentile brackets: compare four returns with both brackets, count those
                 * below and the zeros, append the non-zero ones inside (a slot past the count
                 * takes the writes of returns not kept) */
                v4i bl5 = V4CMP(r, <, vlo5), in5 = V4CMP(r, >=, vlo5) & V4CMP(r, <=, vhi5), z = V4CMP(r, ==, zero);
                v4i in95 = V4CMP(r, >=, vlo95) & V4CMP(r, <=, vhi95);
                B5N -= bl5;
                B5S += v4_sel(bl5, r, zero);
                B95N -= V4CMP(r, <, vlo95);
                ZC -= z;
                v4i keep5 = in5 & ~z, keep95 = in95 & ~z, kk = keep5 | keep95;
                if (kk[0] | kk[1] | kk[2] | kk[3]) /* rare: the brackets are narrow */
                    for (int l = 0; l < 4; l++) {
                        buf5[n5] = r[l];
                        n5 -= keep5[l];
                        buf95[n95] = r[l];
                        n95 -= keep95[l];
                    }
            }
        if (keep_pct && (n5 > cap || n95 > cap)) {
            /* too many inside a bracket: stop keeping (the exact fallback runs instead) */
            b5->overflow = b95->overflow = 1;
            keep_pct = 0;
        }
    }
    if (do_pct) {
        if (keep_pct) {
            b5->nbuf = n5;
            b95->nbuf = n95;
        } else {
            kp->b5 = kp->b95 = NULL;
        }
    }
    if (do_bench && bl) { /* every bar of the pass had its benchmark return */
        NB = v4_set1((double)((bi - 1) / 4));
        X1 = S1;
    }
    kp->S1 = S1, kp->S2 = S2, kp->S3 = S3, kp->S4 = S4, kp->D2 = D2, kp->NG = NG;
    kp->Y1 = Y1, kp->Y2 = Y2, kp->XY = XY, kp->EMIN = EMIN, kp->U2v = U2v;
    kp->NB = NB, kp->B1 = B1, kp->B2 = B2, kp->RB = RB, kp->X1 = X1, kp->T1 = T1, kp->T2 = T2;
    kp->B5N = B5N, kp->B95N = B95N, kp->ZC = ZC, kp->HELD = HELD;
    kp->B5S = B5S;
    kp->bprod = bprod;
    kp->y_prev = YC[0];
    if (in_dd) {
        double tv = v4_min(TRv);
        kp->trough = trs < tv ? trs : tv;
        mdd = kp->trough < mdd ? kp->trough : mdd;
    }
    kp->peak = peak, kp->inv_peak = inv_peak, kp->mdd = mdd, kp->U2 = U2s, kp->dd_sum = dd_sum;
    kp->peak_i = peak_i, kp->dd_count = dd_count, kp->max_dur = max_dur, kp->max_dur_ms = max_dur_ms;
    kp->in_dd = in_dd;
    return bi;
}

/* The pass with the group flags made constant for the two common cases: the core metrics only
 * (the optimizer's headline columns) and every group; other combinations test them at run time.
 * w: the build has four-lane registers (see V4CMP). */
#define CT__PASS_DISPATCH(k, E, bl, br, n, w)                                                           \
    do {                                                                                                \
        const int do_log_ = !(k)->skip_log, do_bench_ = (bl) != NULL || (br) != NULL;                   \
        const int do_pct_ = (k)->b5 != NULL;                                                            \
        if (!do_log_ && !do_bench_ && !do_pct_)                                                         \
            return pass_body(k, E, bl, br, n, 0, 0, 0, w);                                              \
        if (do_log_ && do_bench_ && do_pct_)                                                            \
            return pass_body(k, E, bl, br, n, 1, 1, 1, w);                                              \
        return pass_body(k, E, bl, br, n, do_log_, do_bench_, do_pct_, w);                              \
    } while (0)

static int64_t pass_generic(kstate *k, const double *E, const double *bl, const double *br, int64_t n)
{
    CT__PASS_DISPATCH(k, E, bl, br, n, 0);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static int64_t pass_avx2(kstate *k, const double *E, const double *bl,
                                                         const double *br, int64_t n)
{
    CT__PASS_DISPATCH(k, E, bl, br, n, 1);
}
#endif

static int g_force_generic; /* tests: run the portable build on any CPU */

void ct__metrics_kernel_force_generic(int on) { g_force_generic = on; }

/* The pass in the widest build this CPU runs (same results either way). */
static int64_t run_pass(kstate *k, const double *E, const double *bl, const double *br, int64_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (!g_force_generic && __builtin_cpu_supports("avx2"))
        return pass_avx2(k, E, bl, br, n);
#endif
    return pass_generic(k, E, bl, br, n);
}

ct_status ct__metrics_kernel(const ct__mseries *s, double *out)
{
    for (int i = 0; i < CT_M__COUNT; i++)
        out[i] = CT__NaN;
    trade_stats(s, out);
    out[CT_M_total_commission] = s->total_commission;
    out[CT_M_turnover] = s->turnover;

    const int64_t n = s->n;
    const double *E = s->equity;
    if (n <= 0)
        return CT_OK;
    out[CT_M_final_equity] = E[n - 1];
    out[CT_M_total_return] = E[n - 1] / E[0] - 1.0;
    const int skip_log = (s->skip & CT__MG_STABILITY) != 0, skip_pct = (s->skip & CT__MG_PERCENTILES) != 0;
    const int skip_bench = (s->skip & CT__MG_BENCH) != 0;
    if (s->bench_level && !skip_bench)
        out[CT_M_buy_hold_return] = s->bench_level[n - 1] / s->bench_level[0] - 1.0;

    const int64_t m = n - 1; /* number of returns */
    const double dm = (double)m;
    const double A = s->ppy;
    const double *bl = skip_bench ? NULL : s->bench_level, *br = skip_bench ? NULL : s->bench_ret;
    const int64_t *tm = s->time;

    /* shifts (geometric mean returns) keep the shifted power sums from cancelling */
    double c = m > 0 ? pow(E[n - 1] / E[0], 1.0 / dm) - 1.0 : 0.0;
    if (!isfinite(c))
        c = 0;
    double cb = 0;
    if (bl && m > 0) {
        cb = pow(bl[n - 1] / bl[0], 1.0 / dm) - 1.0;
        if (!isfinite(cb))
            cb = 0;
    }
    const double lg0 = m > 0 ? fast_log(E[0]) : 0;
    const double cy = m > 0 ? fast_log(E[n / 2]) - lg0 : 0; /* shift of the log curve: its middle */
    const double xbar = (dm - 1.0) * 0.5;                   /* mean regression index */

    /* percentile brackets from a strided sample */
    const double h5 = (dm - 1.0) * 0.05, h95 = (dm - 1.0) * 0.95;
    const int64_t k5 = m > 0 ? (int64_t)floor(h5) : 0, k95 = m > 0 ? (int64_t)floor(h95) : 0;
    bracket b5, b95;
    memset(&b5, 0, sizeof(b5));
    memset(&b95, 0, sizeof(b95));
    double *brbuf = NULL;
    int use_brackets = m >= 4096 && !skip_pct;
    if (use_brackets) {
        /* a strided sample of the returns; its order statistics around the 5th and 95th
         * percentiles, g = about 5 standard deviations of a sample rank apart, bound brackets
         * that hold the needed ranks but for a negligible chance (then the fallback runs) */
        const int64_t S = m >= 65536 ? 16384 : 2048, stride = m / S;
        const int64_t g = S == 16384 ? 140 : 48;
        const int64_t p5 = (int64_t)(0.05 * (double)(S - 1)), p95 = (int64_t)(0.95 * (double)(S - 1));
        int64_t cap = (int64_t)((double)m * (2.0 * (double)g + 2) / (double)S * 2.0) + 1024;
        /* the sample, then each bracket's buffer with the slack the vector pass writes past the
         * count before its check at the chunk end */
        brbuf = ct__malloc_array((size_t)(S + 2 * (cap + CHUNK + 1)), sizeof(double));
        if (!brbuf)
            return ct__fail(NULL, CT_E_NOMEM, "metrics: out of memory for the percentile brackets");
        double *smp = brbuf + 2 * (cap + CHUNK + 1);
        for (int64_t j = 0; j < S; j++) {
            int64_t i = 1 + j * stride;
            smp[j] = (E[i] - E[i - 1]) / E[i - 1];
        }
        const int64_t rk[4] = {p5 - g, p5 + g + 1, p95 - g, p95 + g + 1};
        double q[4];
        for (int j = 0, from = 0; j < 4; j++) {
            select_kth(smp, from, S - 1, rk[j]);
            q[j] = smp[rk[j]];
            from = (int)rk[j] + 1;
        }
        b5.lo = q[0];
        b5.hi = q[1];
        b95.lo = q[2];
        b95.hi = q[3];
        b5.buf = brbuf;
        b95.buf = brbuf + cap + CHUNK + 1;
        b5.cap = b95.cap = cap;
    }

    kstate k;
    memset(&k, 0, sizeof(k));
    k.c = c;
    k.bprod = 1.0;
    k.cb = cb;
    k.lg0 = lg0 + cy;
    k.y_prev = -cy; /* log(E[0]/E[0]) - cy */
    k.xbar = xbar;
    k.peak = E[0];
    k.inv_peak = 1.0 / E[0];
    k.tm = tm;
    k.skip_log = skip_log;
    k.EMIN = v4_set1(E[0]);
    k.b5 = use_brackets ? &b5 : NULL;
    k.b95 = use_brackets ? &b95 : NULL;
    k.pos = s->position;
    int64_t bi = run_pass(&k, E, bl, br, n);
    if (s->position) {
        /* exposure: bar 0, the pass's bars, the tail */
        int64_t held = s->position[0] != 0.0;
        for (int l = 0; l < 4; l++)
            held += k.HELD[l];
        for (int64_t i = bi; i < n; i++)
            held += s->position[i] != 0.0;
        out[CT_M_exposure] = (double)held / (double)n;
    }
    if (k.b5) {
        int64_t zc = 0;
        for (int l = 0; l < 4; l++) {
            b5.below += k.B5N[l];
            b95.below += k.B95N[l];
            zc += k.ZC[l];
        }
        /* the pass's zeros are inside a bracket when it holds 0 (the tail's are counted there) */
        b5.zeros += (b5.lo <= 0.0 && 0.0 <= b5.hi) ? zc : 0;
        b95.zeros += (b95.lo <= 0.0 && 0.0 <= b95.hi) ? zc : 0;
        b5.below_sum += v4_sum(k.B5S);
    }
    for (; bi < n; bi++)
        scalar_step(&k, E, bl, br, bi);
    double mdd = k.mdd, trough = k.trough, dd_sum = k.dd_sum, bprod = k.bprod;
    double U2 = k.U2 + v4_sum(k.U2v);
    int64_t peak_i = k.peak_i, dd_count = k.dd_count, max_dur = k.max_dur, max_dur_ms = k.max_dur_ms, nb;
    int in_dd = k.in_dd;
    if (in_dd) {
        int64_t dur = (n - 1) - peak_i, dur_ms = tm ? tm[n - 1] - tm[peak_i] : 0;
        max_dur = dur > max_dur ? dur : max_dur;
        max_dur_ms = dur_ms > max_dur_ms ? dur_ms : max_dur_ms;
        dd_sum += trough;
        dd_count++;
    }
#define LANES(v) v4_sum(k.v)
    nb = (int64_t)LANES(NB);

    /* drawdown family (defined from one point on) */
    out[CT_M_max_drawdown] = mdd;
    out[CT_M_ulcer_index] = sqrt(U2 / (double)n);
    out[CT_M_max_drawdown_duration] = (double)max_dur;
    out[CT_M_max_drawdown_duration_ms] = tm ? (double)max_dur_ms : CT__NaN;
    out[CT_M_avg_drawdown] = dd_count > 0 ? dd_sum / (double)dd_count : CT__NaN;
    out[CT_M_recovery_factor] = mdd < 0 ? out[CT_M_total_return] / -mdd : CT__NaN;
    if (br && !bl)
        out[CT_M_buy_hold_return] = nb > 0 ? bprod - 1.0 : CT__NaN;

    if (m <= 0) {
        ct__free(brbuf);
        return CT_OK;
    }

    const double tr = out[CT_M_total_return];
    double cagr = pow(1.0 + tr, A / dm) - 1.0;
    out[CT_M_cagr] = cagr;
    out[CT_M_calmar_ratio] = (mdd < 0 && isfinite(cagr)) ? cagr / -mdd : CT__NaN;

    double s1 = LANES(S1), s2 = LANES(S2), s3 = LANES(S3), s4 = LANES(S4);
    double d1 = s1 / dm;
    double mean = c + d1;
    double m2 = s2 / dm - d1 * d1;
    if (m2 < 0)
        m2 = 0;
    double m3 = s3 / dm - 3.0 * d1 * (s2 / dm) + 2.0 * d1 * d1 * d1;
    double m4 = s4 / dm - 4.0 * d1 * (s3 / dm) + 6.0 * d1 * d1 * (s2 / dm) - 3.0 * d1 * d1 * d1 * d1;
    double dr = sqrt(LANES(D2) / dm) * sqrt(A);
    out[CT_M_downside_risk] = dr;
    out[CT_M_sortino_ratio] = dr > 0 ? mean * A / dr : CT__NaN;
    if (m >= 2) {
        double var1 = m2 * dm / (dm - 1.0);
        double sd = sqrt(var1);
        out[CT_M_annual_volatility] = sd * sqrt(A);
        if (sd > 0) {
            double sr = (mean - s->rf) / sd;
            out[CT_M_sharpe_ratio] = sr * sqrt(A);
            double sk = m3 / pow(m2, 1.5), ku = m4 / (m2 * m2) - 3.0;
            out[CT_M_skew] = sk;
            out[CT_M_kurtosis] = ku;
            /* Bailey and Lopez de Prado (2012): PSR(0) = Phi(SR sqrt(n-1) / sqrt(1 - g3 SR + (g4-1)/4 SR^2)) */
            double den = 1.0 - sk * sr + (ku + 2.0) / 4.0 * sr * sr;
            if (den > 0)
                out[CT_M_probabilistic_sharpe_ratio] = 0.5 * erfc(-(sr * sqrt(dm - 1.0) / sqrt(den)) / sqrt(2.0));
        }
        double ng = LANES(NG);
        /* the gains: sum(max(r,0)) = sum(r) + sum(max(-r,0)), sum(r) from the shifted sum */
        out[CT_M_omega_ratio] = ng > 0 ? ((s1 + dm * c) + ng) / ng : CT__NaN;
        double sxx = dm * (dm * dm - 1.0) / 12.0; /* sum of (i - xbar)^2 over 0..m-1 */
        double y1 = LANES(Y1), xy = LANES(XY);
        double syy = LANES(Y2) - y1 * y1 / dm;
        /* the log curve needs positive equity (a leveraged or short run can go to 0 or below) */
        int positive = v4_min(k.EMIN) > 0;
        out[CT_M_stability] = (syy > 1e-300 && !skip_log && positive) ? (xy * xy) / (sxx * syy) : CT__NaN;
    }

    /* percentiles: p5 from ranks k5, k5+1; p95 from k95, k95+1; CVaR = mean of the k5+1 smallest */
    double lo5, hi5, lo95, hi95, csum;
    if (skip_pct)
        goto bench;
    int ok = use_brackets && !b5.overflow && !b95.overflow && b5.below <= k5 &&
             (k5 + 1 >= m ? k5 : k5 + 1) < b5.below + b5.nbuf + b5.zeros && b95.below <= k95 &&
             (k95 + 1 >= m ? k95 : k95 + 1) < b95.below + b95.nbuf + b95.zeros;
    if (ok) {
        int64_t nn5 = split_signs(b5.buf, b5.nbuf), nn95 = split_signs(b95.buf, b95.nbuf);
        double part;
        lo5 = bracket_rank(b5.buf, b5.nbuf, nn5, b5.zeros, k5 - b5.below, &part);
        csum = b5.below_sum + part;
        hi5 = k5 + 1 < m ? bracket_next(b5.buf, b5.nbuf, nn5, b5.zeros, k5 - b5.below) : lo5;
        lo95 = bracket_rank(b95.buf, b95.nbuf, nn95, b95.zeros, k95 - b95.below, NULL);
        hi95 = k95 + 1 < m ? bracket_next(b95.buf, b95.nbuf, nn95, b95.zeros, k95 - b95.below) : lo95;
        ct__free(brbuf);
    } else {
        /* exact fallback: every return, quickselect */
        ct__free(brbuf);
        double *R = ct__malloc_array((size_t)m, sizeof(double));
        if (!R)
            return ct__fail(NULL, CT_E_NOMEM, "metrics: out of memory for %lld returns", (long long)m);
        for (int64_t i = 1; i < n; i++)
            R[i - 1] = (E[i] - E[i - 1]) / E[i - 1];
        select_kth(R, 0, m - 1, k5);
        lo5 = R[k5];
        csum = 0;
        for (int64_t i = 0; i <= k5; i++)
            csum += R[i];
        hi5 = k5 + 1 < m ? min_of(R, k5 + 1, m - 1) : lo5;
        if (k95 > k5) {
            select_kth(R, k5 + 1, m - 1, k95);
            lo95 = R[k95];
        } else {
            lo95 = lo5;
        }
        hi95 = k95 + 1 < m ? min_of(R, k95 + 1, m - 1) : lo95;
        ct__free(R);
    }
    double p5 = lerp_np(lo5, hi5, h5 - (double)k5), p95 = lerp_np(lo95, hi95, h95 - (double)k95);
    out[CT_M_cvar_95] = csum / (double)(k5 + 1);
    out[CT_M_var_95] = p5;
    out[CT_M_tail_ratio] = p5 != 0 ? fabs(p95) / fabs(p5) : CT__NaN;

bench:
    /* benchmark-relative metrics over the aligned returns */
    if (nb >= 2) {
        double dn = (double)nb;
        double bm = LANES(B1) / dn, xm = LANES(X1) / dn;
        double vb = LANES(B2) / dn - bm * bm; /* population variance of b */
        double cov = LANES(RB) / dn - xm * bm;
        if (vb >= 1e-30) {
            double beta = cov / vb;
            out[CT_M_beta] = beta;
            double al = (c + xm) - beta * (cb + bm); /* mean(r - beta b) */
            out[CT_M_alpha] = pow(1.0 + al, A) - 1.0;
        }
        double tm1 = LANES(T1) / dn;
        double vt = (LANES(T2) / dn - tm1 * tm1) * dn / (dn - 1.0);
        if (vt < 0)
            vt = 0;
        double te = sqrt(vt);
        out[CT_M_tracking_error] = te * sqrt(A);
        out[CT_M_information_ratio] = te > 0 ? ((c - cb) + tm1) / te * sqrt(A) : CT__NaN;
    }
#undef LANES
    return CT_OK;
}
