/*
 * The metric kernel: every metric of DESIGN.md section 8 from one equity curve, its benchmark and
 * its trades. One pass over the curve (src/metrics/pass_body.h, built for AVX-512, AVX2 and
 * portable C and picked at run time, with bit-identical results), eight bars at a time: the
 * returns with their shifted power sums (mean, variance, skew, kurtosis), downside sums,
 * drawdowns, exposure and the benchmark cross-moments, then, over each chunk's returns still in
 * L1, the log curve cumsum(log1p(r)) and its regression (stability) and the percentile brackets;
 * blocks of eight zero returns (no position) cost those phases almost nothing. The 5th/95th
 * percentiles and the CVaR come from brackets set by the order statistics of a strided sample:
 * the pass counts the returns below each bracket and keeps those inside, and quickselect finishes
 * inside the brackets (exact, with a quickselect over all returns as the fallback; no sort). The
 * bars after the last block, and the finishing arithmetic, are scalar code here. Definitions
 * follow empyrical (see docs/metrics.md).
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"
#include "metrics/pass.h"

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

/* the median of three values */
static double median3(double a, double b, double c)
{
    double lo = a < b ? a : b, hi = a < b ? b : a;
    return c < lo ? lo : c > hi ? hi : c;
}

/*
 * The partition the quickselects use (pass_body.h, in the widest build this CPU runs) and its
 * scratch: room for the largest range it splits, plus eight.
 */
typedef struct ct__sel {
    ct__split_fn split;
    double *tmp;
} ct__sel;

/*
 * Place the k-th smallest of v[lo..hi] at v[k], smaller-or-equal ones before it and
 * greater-or-equal after it. Quickselect with three-way partitions around a median of three, so
 * ties, such as the zero returns of a flat stretch, cannot stall it. NaNs compare as neither and
 * end up last. The value found is exact whatever order the partitions leave.
 */
static void select_kth(const ct__sel *sel, double *v, int64_t lo, int64_t hi, int64_t k)
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
        int64_t neq;
        int64_t st = lo + sel->split(v + lo, hi - lo + 1, pivot, sel->tmp, &neq);
        if (k < st)
            hi = st - 1;
        else if (k < st + neq)
            return; /* v[k] equals the pivot */
        else
            lo = st + neq; /* progress: at least the pivot's own value was set aside */
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

/* The sum of the k smallest of v[0..n-1] given the k-th smallest (1-based) x: the values below
 * x, then x for each of the k places they leave. Summed over v's own order in eight lanes folded
 * in a fixed order, so the bits do not depend on how a selection reordered a copy. */
static double sum_smallest(const double *v, int64_t n, int64_t k, double x)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t below = 0, i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) {
            int b = v[i + l] < x;
            acc[l] += b ? v[i + l] : 0.0;
            below += b;
        }
    for (; i < n; i++) {
        int b = v[i] < x;
        acc[0] += b ? v[i] : 0.0;
        below += b;
    }
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    return s + (double)(k - below) * x;
}

static double min_of(const double *v, int64_t lo, int64_t hi)
{
    double m[8];
    for (int l = 0; l < 8; l++)
        m[l] = v[lo];
    int64_t i = lo + 1;
    for (; i + 8 <= hi + 1; i += 8)
        for (int l = 0; l < 8; l++)
            m[l] = v[i + l] < m[l] ? v[i + l] : m[l];
    for (; i <= hi; i++)
        m[0] = v[i] < m[0] ? v[i] : m[0];
    double r = m[0];
    for (int l = 1; l < 8; l++)
        r = m[l] < r ? m[l] : r;
    return r;
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

/* Classify one return, without branches (the outcome is data-dependent, so branches would
 * mispredict): the buffer has one spare slot that takes the writes of returns not kept. */
CT__HOT void bracket_add(ct__bracket *b, double r)
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

/* Reorder buf as [negatives | positives] (no zeros are kept); returns the number of negatives.
 * A bracket below 0 or above it needs no work. */
static int64_t split_signs(const ct__sel *sel, double *v, int64_t n, const ct__bracket *b)
{
    if (b->hi < 0)
        return n;
    if (b->lo > 0)
        return 0;
    int64_t neq;
    return sel->split(v, n, 0.0, sel->tmp, &neq);
}

/* The j-th smallest (0-based) of buf (split as [nneg negatives | positives]) plus `zeros` zeros. */
static double bracket_rank(const ct__sel *sel, double *buf, int64_t nbuf, int64_t nneg, int64_t zeros, int64_t j)
{
    if (j < nneg) {
        select_kth(sel, buf, 0, nneg - 1, j);
        return buf[j];
    }
    if (j < nneg + zeros)
        return 0.0;
    int64_t k = j - zeros; /* index into buf */
    select_kth(sel, buf, nneg, nbuf - 1, k);
    return buf[k];
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

/* One bar of the drawdown state machine: a new peak closes the running drawdown period. */
CT__HOT void dd_step(ct__kstate *k, double e, int64_t i)
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

/* Return i (bar i over bar i-1) on its own, into lane 0: the tail after the last block. */
CT__HOT void scalar_step(ct__kstate *k, const double *E, const double *bl, const double *br, int64_t i)
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
    if (k->pos)
        k->HELD[0] += k->pos[i] != 0.0;
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

static int g_max_level = -1; /* tests: the widest build the kernel may pick (-1: any) */

void ct__metrics_kernel_force_level(int level) { g_max_level = level; }

int ct__metrics_kernel_level(void)
{
#if defined(CT__PASS_X86)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 1;
#endif
    return 0;
}

/* The widest build this CPU runs, within the tests' limit. */
static int pass_level(void)
{
    int level = ct__metrics_kernel_level();
    return g_max_level >= 0 && level > g_max_level ? g_max_level : level;
}

/* The pass in the widest build this CPU runs (same results whichever runs). */
static int64_t run_pass(ct__kstate *k, const double *E, const double *bl, const double *br, int64_t n)
{
#if defined(CT__PASS_X86)
    int level = pass_level();
    if (level == 2)
        return ct__metrics_pass_avx512(k, E, bl, br, n);
    if (level == 1)
        return ct__metrics_pass_avx2(k, E, bl, br, n);
#endif
    return ct__metrics_pass_generic(k, E, bl, br, n);
}

/* The drawdown walk of the same build. */
static int64_t run_dd(ct__kstate *k, const double *E, int64_t n)
{
#if defined(CT__PASS_X86)
    int level = pass_level();
    if (level == 2)
        return ct__metrics_dd_avx512(k, E, n);
    if (level == 1)
        return ct__metrics_dd_avx2(k, E, n);
#endif
    return ct__metrics_dd_generic(k, E, n);
}

/* The partition of the same build, with its scratch. */
static ct__sel selector(double *tmp)
{
    ct__sel sel = {ct__metrics_split_generic, tmp};
#if defined(CT__PASS_X86)
    int level = pass_level();
    if (level == 2)
        sel.split = ct__metrics_split_avx512;
    else if (level == 1)
        sel.split = ct__metrics_split_avx2;
#endif
    return sel;
}

/* The lanes of a pass sum folded in a fixed order. */
static double lanes_sum(const double *v) { return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])); }

static double lanes_min(const double *v)
{
    double m = v[0];
    for (int l = 1; l < CT__LANES; l++)
        m = v[l] < m ? v[l] : m;
    return m;
}

/*
 * Long curves: the pass over segments. Bars 1..n-1 are cut into segments of CT__SEG bars (the
 * last one shorter), a cut that depends on the length alone. Each segment starts from zero sums,
 * the log curve's level at its first bar (log(E[from-1]/E[0]), what cumsum(log1p(r)) sums to) and
 * its own run of the percentile brackets' values; the segments are then merged in order: lane
 * sums added, counts added, the least equity and the host benchmark's product folded, the
 * brackets' values concatenated. The drawdowns are a state machine over the whole curve: the
 * calling thread takes the segments from the front, in order, doing them in its pass; helper
 * threads take segments from the back without them, and the calling thread, on reaching one,
 * walks its drawdowns alone (the same operations on the same lanes as in the pass: the same
 * bits). So the metrics are bit-identical whatever the thread count and whoever took which
 * segment.
 */
#define CT__SEG ((int64_t)65536)      /* bars per segment: a multiple of CT__CHUNK and of 16 */
#define CT__PAR_MIN ((int64_t)131072) /* fewer returns: one thread (helpers cost more than they save) */
#define CT__MAX_HELPERS 7

static int g_threads = 0;           /* tests: threads to use (0: by the machine) */
static _Thread_local int tl_serial; /* this thread's calls use no helper threads */

void ct__metrics_kernel_force_threads(int threads) { g_threads = threads; }

int ct__metrics_serial(int on)
{
    int was = tl_serial;
    tl_serial = on;
    return was;
}

typedef struct seg_job {
    ct__kstate k;
    ct__bracket b5, b95; /* this segment's run of the brackets */
    int worker;          /* whose buffers hold that run (0: the final ones) */
    int64_t at5, at95;   /* where it starts in them */
    int64_t to;          /* end of the segment's bars */
    atomic_int taken;
} seg_job;

typedef struct seg_run {
    const double *E, *bl, *br;
    int64_t nseg;
    seg_job *jobs;
    atomic_llong back; /* the next segment a helper takes */
    atomic_int go;     /* 0: wait (the segments are being set up), 1: take segments, -1: leave */
} seg_run;

typedef struct seg_worker {
    seg_run *run;
    int id;
    double *buf5, *buf95; /* this worker's bracket buffers */
    int64_t n5, n95;
    pthread_t thread;
} seg_worker;

/* Segment j's pass, its bracket values appended to w's buffers. */
static void seg_do(seg_worker *w, int64_t j)
{
    seg_run *run = w->run;
    seg_job *jb = &run->jobs[j];
    jb->worker = w->id;
    if (jb->k.b5) {
        jb->b5.buf = w->buf5, jb->b95.buf = w->buf95;
        jb->b5.nbuf = jb->at5 = w->n5;
        jb->b95.nbuf = jb->at95 = w->n95;
    }
    (void)run_pass(&jb->k, run->E, run->bl, run->br, jb->to);
    if (jb->k.b5)
        w->n5 = jb->b5.nbuf, w->n95 = jb->b95.nbuf;
}

/* A helper: segments from the back, until it meets the calling thread. It starts while the
 * calling thread samples the returns for the brackets (a thread takes tens of microseconds to
 * start), and waits for the segments to be set up. */
static void *seg_helper(void *arg)
{
    seg_worker *w = arg;
    seg_run *run = w->run;
    int go;
    while ((go = atomic_load_explicit(&run->go, memory_order_acquire)) == 0)
        sched_yield();
    if (go < 0)
        return NULL;
    for (;;) {
        int64_t j = atomic_fetch_sub(&run->back, 1);
        if (j < 1 || atomic_exchange(&run->jobs[j].taken, 1))
            break;
        run->jobs[j].k.no_dd = 1;
        seg_do(w, j);
    }
    return NULL;
}

/* Threads for a curve of m returns in nseg segments. */
static int seg_threads(int64_t m, int64_t nseg)
{
    if (tl_serial)
        return 1;
    int64_t t = g_threads;
    if (t <= 0) {
        if (m < CT__PAR_MIN)
            return 1;
        t = ct__online_cpus();
    }
    t = t > nseg ? nseg : t;
    return (int)(t > CT__MAX_HELPERS + 1 ? CT__MAX_HELPERS + 1 : t);
}

/* The drawdown fields of a pass state. */
static void dd_copy(ct__kstate *to, const ct__kstate *from)
{
    to->peak = from->peak, to->inv_peak = from->inv_peak, to->mdd = from->mdd, to->U2 = from->U2;
    to->trough = from->trough, to->dd_sum = from->dd_sum, to->peak_i = from->peak_i;
    to->dd_count = from->dd_count, to->max_dur = from->max_dur, to->max_dur_ms = from->max_dur_ms;
    to->in_dd = from->in_dd;
    memcpy(to->U2v, from->U2v, sizeof(to->U2v));
    memcpy(to->U2w, from->U2w, sizeof(to->U2w));
}

/* A segment's sums into the running ones (in segment order: fixed bits). */
static void seg_merge(ct__kstate *k, const ct__kstate *s)
{
    for (int l = 0; l < CT__LANES; l++) {
        k->S1[l] += s->S1[l], k->S2[l] += s->S2[l], k->S3[l] += s->S3[l], k->S4[l] += s->S4[l];
        k->D2[l] += s->D2[l], k->NG[l] += s->NG[l];
        k->Y1[l] += s->Y1[l], k->Y2[l] += s->Y2[l], k->XY[l] += s->XY[l];
        k->EMIN[l] = s->EMIN[l] < k->EMIN[l] ? s->EMIN[l] : k->EMIN[l];
        k->NB[l] += s->NB[l], k->B1[l] += s->B1[l], k->B2[l] += s->B2[l], k->RB[l] += s->RB[l];
        k->X1[l] += s->X1[l], k->T1[l] += s->T1[l], k->T2[l] += s->T2[l], k->B5S[l] += s->B5S[l];
        k->B5N[l] += s->B5N[l], k->B95N[l] += s->B95N[l], k->ZC[l] += s->ZC[l], k->HELD[l] += s->HELD[l];
    }
    k->bprod *= s->bprod;
    k->y_prev = s->y_prev;
}

/* The segments of a long curve, their helper threads and the workers' state. */
typedef struct seg_ctx {
    seg_run run;
    seg_worker ws[CT__MAX_HELPERS + 1];
    int threads;
    unsigned started; /* bit t: helper t is running */
    double *wbuf;     /* the helpers' bracket buffers */
} seg_ctx;

/* The segments of a curve of n bars, with their helpers started (they wait for run_segments). */
static ct_status seg_start(seg_ctx *c, int64_t n)
{
    memset(c, 0, sizeof(*c));
    const int64_t m = n - 1, nseg = (m + CT__SEG - 1) / CT__SEG;
    c->run.nseg = nseg;
    atomic_init(&c->run.back, nseg - 1);
    atomic_init(&c->run.go, 0);
    if (!(c->run.jobs = ct__malloc_array((size_t)nseg, sizeof(seg_job))))
        return ct__fail(NULL, CT_E_NOMEM, "metrics: out of memory for the segments of %lld bars", (long long)n);
    for (int64_t j = 0; j < nseg; j++)
        atomic_init(&c->run.jobs[j].taken, 0);
    c->threads = seg_threads(m, nseg);
    for (int t = 0; t < c->threads; t++)
        c->ws[t].run = &c->run, c->ws[t].id = t;
    for (int t = 1; t < c->threads; t++) /* a helper that cannot start leaves its share to the others */
        if (pthread_create(&c->ws[t].thread, NULL, seg_helper, &c->ws[t]) == 0)
            c->started |= 1u << t;
    return CT_OK;
}

/* Helpers joined (told to leave if they still wait), memory freed. */
static void seg_stop(seg_ctx *c)
{
    int wait = 0;
    (void)atomic_compare_exchange_strong(&c->run.go, &wait, -1);
    for (int t = 1; t < c->threads; t++)
        if (c->started & (1u << t))
            (void)pthread_join(c->ws[t].thread, NULL);
    c->started = 0;
    ct__free(c->wbuf);
    ct__free(c->run.jobs);
    c->wbuf = NULL;
    c->run.jobs = NULL;
}

/*
 * The pass over bars 1.. of a long curve in segments (see above), k holding the starting state
 * as run_pass takes it, with k->b5/b95 (when set) the brackets and their buffers of `slot`
 * values. Leaves in k the state run_pass would; *bi: the first bar left to the scalar tail.
 * Stops the helpers.
 */
static void run_segments(seg_ctx *c, ct__kstate *k, const double *E, const double *bl, const double *br, int64_t n,
                         int64_t slot, double cy, int64_t *bi)
{
    const int64_t m = n - 1, nseg = c->run.nseg;
    seg_job *jobs = c->run.jobs;
    seg_worker *ws = c->ws;
    ct__bracket *b5 = k->b5, *b95 = k->b95;
    for (int64_t j = 0; j < nseg; j++) {
        seg_job *jb = &jobs[j];
        const int64_t from = 1 + j * CT__SEG;
        memset(&jb->k, 0, sizeof(jb->k));
        jb->k.c = k->c, jb->k.cb = k->cb, jb->k.xbar = k->xbar, jb->k.tm = k->tm, jb->k.pos = k->pos;
        jb->k.skip_log = k->skip_log;
        jb->k.bprod = 1.0;
        jb->k.from = from;
        jb->k.y_prev = j == 0 ? k->y_prev : log(E[from - 1] / E[0]) - cy;
        for (int l = 0; l < CT__LANES; l++)
            jb->k.EMIN[l] = E[0];
        if (b5) {
            jb->b5 = *b5, jb->b95 = *b95;
            jb->k.b5 = &jb->b5, jb->k.b95 = &jb->b95;
        }
        jb->to = j + 1 < nseg ? from + CT__SEG : n;
        jb->worker = 0;
    }
    c->run.E = E, c->run.bl = bl, c->run.br = br;
    ws[0].buf5 = b5 ? b5->buf : NULL, ws[0].buf95 = b5 ? b95->buf : NULL;
    ws[0].n5 = b5 ? b5->nbuf : 0, ws[0].n95 = b5 ? b95->nbuf : 0;
    int helpers = c->started != 0;
    if (helpers && b5) {
        /* the helpers' bracket buffers; without them, no helpers */
        c->wbuf = ct__malloc_array((size_t)(c->threads - 1) * 2 * (size_t)slot, sizeof(double));
        helpers = c->wbuf != NULL;
        for (int t = 1; t < c->threads && helpers; t++)
            ws[t].buf5 = c->wbuf + (size_t)(t - 1) * 2 * (size_t)slot, ws[t].buf95 = ws[t].buf5 + slot;
    }
    atomic_store_explicit(&c->run.go, helpers ? 1 : -1, memory_order_release);
    /* this thread: the segments from the front, with the drawdowns carried from one to the next */
    ct__kstate dd = *k;
    for (int64_t j = 0; j < nseg; j++) {
        seg_job *jb = &jobs[j];
        if (!atomic_exchange(&jb->taken, 1)) {
            dd_copy(&jb->k, &dd);
            seg_do(&ws[0], j);
            dd_copy(&dd, &jb->k);
        } else { /* a helper's: its drawdowns alone */
            dd.from = jb->k.from;
            (void)run_dd(&dd, E, jb->to);
        }
    }
    for (int t = 1; t < c->threads; t++)
        if (c->started & (1u << t))
            (void)pthread_join(ws[t].thread, NULL);
    c->started = 0;
    dd_copy(k, &dd);
    *bi = n - (m & 7); /* the blocks of eight from bar 1 are done */
    int overflow = 0;
    if (b5) {
        /* the brackets' values in segment order: this thread's (a prefix) are in place, each
         * helper's follow; a run stopped where a buffer overflowed (the exact fallback then) */
        int64_t n5 = ws[0].n5, n95 = ws[0].n95;
        for (int64_t j = 0; j < nseg; j++) {
            seg_job *jb = &jobs[j];
            if (!jb->k.b5) {
                overflow = 1;
                break;
            }
            if (jb->worker == 0)
                continue;
            const int64_t c5 = jb->b5.nbuf - jb->at5, c95 = jb->b95.nbuf - jb->at95;
            if (n5 + c5 > b5->cap || n95 + c95 > b95->cap) {
                overflow = 1;
                break;
            }
            memcpy(b5->buf + n5, ws[jb->worker].buf5 + jb->at5, (size_t)c5 * sizeof(double));
            memcpy(b95->buf + n95, ws[jb->worker].buf95 + jb->at95, (size_t)c95 * sizeof(double));
            n5 += c5, n95 += c95;
        }
        b5->nbuf = n5, b95->nbuf = n95;
    }
    for (int64_t j = 0; j < nseg; j++)
        seg_merge(k, &jobs[j].k);
    if (b5 && (overflow || b5->nbuf > b5->cap || b95->nbuf > b95->cap)) {
        b5->overflow = b95->overflow = 1;
        k->b5 = k->b95 = NULL;
    }
    seg_stop(c);
}

ct_status ct__metrics_kernel(const ct__mseries *s, double *out)
{
    for (int i = 0; i < CT_M__COUNT; i++)
        out[i] = CT__NaN;
    const int64_t n = s->n;
    const double *E = s->equity;
    /* a long curve: its segments' helper threads start first, and get going while the trade
     * statistics and the brackets' sample are done here */
    seg_ctx seg;
    const int segmented = n - 1 > CT__SEG;
    if (segmented) {
        ct_status st = seg_start(&seg, n);
        if (st != CT_OK) {
            seg_stop(&seg);
            return st;
        }
    }
    trade_stats(s, out);
    out[CT_M_total_commission] = s->total_commission;
    out[CT_M_turnover] = s->turnover;
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
    ct__bracket b5, b95;
    memset(&b5, 0, sizeof(b5));
    memset(&b95, 0, sizeof(b95));
    double *brbuf = NULL, *work5 = NULL;
    ct__sel sel = selector(NULL);
    int use_brackets = m >= 4096 && !skip_pct;
    if (use_brackets) {
        /* a strided sample of the returns; its order statistics around the 5th and 95th
         * percentiles, g = about 5 standard deviations of a sample rank apart, bound brackets
         * that hold the needed ranks but for a negligible chance (then the fallback runs) */
        const int64_t S = m >= 65536 ? 16384 : 2048, stride = m / S;
        const int64_t g = S == 16384 ? 140 : 48;
        const int64_t p5 = (int64_t)(0.05 * (double)(S - 1)), p95 = (int64_t)(0.95 * (double)(S - 1));
        int64_t cap = (int64_t)((double)m * (2.0 * (double)g + 2) / (double)S * 2.0) + 1024;
        /* each bracket's buffer with the slack the vector pass writes past the count before its
         * check at the chunk end, the sample, a copy of the 5% bracket to select in (its CVaR
         * sum is taken in the pass's order) and the partitions' scratch */
        const int64_t slot = cap + CT__CHUNK + CT__LANES, scratch = (S > cap ? S : cap) + CT__LANES;
        brbuf = ct__malloc_array((size_t)(2 * slot + S + cap + CT__LANES + scratch), sizeof(double));
        if (!brbuf) {
            if (segmented)
                seg_stop(&seg);
            return ct__fail(NULL, CT_E_NOMEM, "metrics: out of memory for the percentile brackets");
        }
        double *smp = brbuf + 2 * slot;
        work5 = smp + S;
        sel = selector(work5 + cap + CT__LANES);
        for (int64_t j = 0; j < S; j++) {
            int64_t i = 1 + j * stride;
            smp[j] = (E[i] - E[i - 1]) / E[i - 1];
        }
        const int64_t rk[4] = {p5 - g, p5 + g + 1, p95 - g, p95 + g + 1};
        double q[4];
        /* the sample as [negatives | zeros | positives] first: flat stretches make many zeros,
         * and each rank is then selected within its own part */
        int64_t nzero;
        const int64_t nneg = sel.split(smp, S, 0.0, sel.tmp, &nzero), nlz = nneg + nzero;
        for (int64_t j = 0, from = 0; j < 4; j++) {
            int64_t r = rk[j];
            if (r < nneg) {
                select_kth(&sel, smp, from, nneg - 1, r);
                q[j] = smp[r];
            } else if (r < nlz) {
                q[j] = 0.0;
            } else {
                select_kth(&sel, smp, from > nlz ? from : nlz, S - 1, r);
                q[j] = smp[r];
            }
            from = r + 1;
        }
        b5.lo = q[0];
        b5.hi = q[1];
        b95.lo = q[2];
        b95.hi = q[3];
        b5.buf = brbuf;
        b95.buf = brbuf + slot;
        b5.cap = b95.cap = cap;
    }

    ct__kstate k;
    memset(&k, 0, sizeof(k));
    k.c = c;
    k.bprod = 1.0;
    k.cb = cb;
    k.y_prev = -cy; /* log(E[0]/E[0]) - cy */
    k.xbar = xbar;
    k.peak = E[0];
    k.inv_peak = 1.0 / E[0];
    k.tm = tm;
    k.skip_log = skip_log;
    for (int l = 0; l < CT__LANES; l++)
        k.EMIN[l] = E[0];
    k.b5 = use_brackets ? &b5 : NULL;
    k.b95 = use_brackets ? &b95 : NULL;
    k.pos = s->position;
    k.from = 1;
    int64_t bi = 1;
    if (segmented) {
        run_segments(&seg, &k, E, bl, br, n, use_brackets ? b5.cap + CT__CHUNK + CT__LANES : 0, cy, &bi);
    } else {
        bi = run_pass(&k, E, bl, br, n);
    }
    if (s->position) {
        /* exposure: bar 0, the pass's bars, the tail */
        int64_t held = s->position[0] != 0.0;
        for (int l = 0; l < CT__LANES; l++)
            held += k.HELD[l];
        for (int64_t i = bi; i < n; i++)
            held += s->position[i] != 0.0;
        out[CT_M_exposure] = (double)held / (double)n;
    }
    if (k.b5) {
        int64_t zc = 0;
        for (int l = 0; l < CT__LANES; l++) {
            b5.below += k.B5N[l];
            b95.below += k.B95N[l];
            zc += k.ZC[l];
        }
        /* the pass's zeros are inside a bracket when it holds 0, below it when lo > 0 (the
         * tail's are counted there) */
        b5.zeros += (b5.lo <= 0.0 && 0.0 <= b5.hi) ? zc : 0;
        b95.zeros += (b95.lo <= 0.0 && 0.0 <= b95.hi) ? zc : 0;
        b5.below_sum += lanes_sum(k.B5S);
    }
    for (; bi < n; bi++)
        scalar_step(&k, E, bl, br, bi);
    double mdd = k.mdd, trough = k.trough, dd_sum = k.dd_sum, bprod = k.bprod;
    double u2l[CT__LANES];
    for (int l = 0; l < CT__LANES; l++)
        u2l[l] = k.U2v[l] + k.U2w[l];
    double U2 = k.U2 + lanes_sum(u2l);
    int64_t peak_i = k.peak_i, dd_count = k.dd_count, max_dur = k.max_dur, max_dur_ms = k.max_dur_ms, nb;
    int in_dd = k.in_dd;
    if (in_dd) {
        int64_t dur = (n - 1) - peak_i, dur_ms = tm ? tm[n - 1] - tm[peak_i] : 0;
        max_dur = dur > max_dur ? dur : max_dur;
        max_dur_ms = dur_ms > max_dur_ms ? dur_ms : max_dur_ms;
        dd_sum += trough;
        dd_count++;
    }
#define LANES(v) lanes_sum(k.v)
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
        int positive = lanes_min(k.EMIN) > 0;
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
        /* the 5% bracket is selected in a copy: its CVaR sum is taken over the pass's order */
        memcpy(work5, b5.buf, (size_t)b5.nbuf * sizeof(double));
        int64_t nn5 = split_signs(&sel, work5, b5.nbuf, &b5), nn95 = split_signs(&sel, b95.buf, b95.nbuf, &b95);
        int64_t j5 = k5 - b5.below, j95 = k95 - b95.below;
        lo5 = bracket_rank(&sel, work5, b5.nbuf, nn5, b5.zeros, j5);
        /* the j5+1 smallest of the bracket: its values below lo5 (the zeros add nothing), then lo5 */
        csum = b5.below_sum + sum_smallest(b5.buf, b5.nbuf, j5 + 1 - (lo5 > 0 ? b5.zeros : 0), lo5);
        hi5 = k5 + 1 < m ? bracket_next(work5, b5.nbuf, nn5, b5.zeros, j5) : lo5;
        lo95 = bracket_rank(&sel, b95.buf, b95.nbuf, nn95, b95.zeros, j95);
        hi95 = k95 + 1 < m ? bracket_next(b95.buf, b95.nbuf, nn95, b95.zeros, j95) : lo95;
        ct__free(brbuf);
    } else {
        /* exact fallback: every return, quickselect (the partitions' scratch after them) */
        ct__free(brbuf);
        double *R = ct__malloc_array((size_t)(2 * m + CT__LANES), sizeof(double));
        if (!R)
            return ct__fail(NULL, CT_E_NOMEM, "metrics: out of memory for %lld returns", (long long)m);
        sel.tmp = R + m;
        for (int64_t i = 1; i < n; i++)
            R[i - 1] = (E[i] - E[i - 1]) / E[i - 1];
        select_kth(&sel, R, 0, m - 1, k5);
        lo5 = R[k5];
        hi5 = k5 + 1 < m ? min_of(R, k5 + 1, m - 1) : lo5;
        if (k95 > k5) {
            select_kth(&sel, R, k5 + 1, m - 1, k95);
            lo95 = R[k95];
        } else {
            lo95 = lo5;
        }
        hi95 = k95 + 1 < m ? min_of(R, k95 + 1, m - 1) : lo95;
        /* the CVaR sum over the returns in bar order (recomputed: R was reordered) */
        for (int64_t i = 1; i < n; i++)
            R[i - 1] = (E[i] - E[i - 1]) / E[i - 1];
        csum = sum_smallest(R, m, k5 + 1, lo5);
        ct__free(R);
    }
    double p5 = lerp_np(lo5, hi5, h5 - (double)k5), p95 = lerp_np(lo95, hi95, h95 - (double)k95);
    out[CT_M_cvar_95] = csum / (double)(k5 + 1);
    out[CT_M_var_95] = p5;
    out[CT_M_tail_ratio] = p5 != 0 ? fabs(p95) / fabs(p5) : CT__NaN;
    if (isnan(s1)) {
        /* a NaN return (a curve through 0 gives 0/0) has no rank: numpy's percentile, and so
         * empyrical, answer NaN, where the selections would rank it last */
        out[CT_M_cvar_95] = out[CT_M_var_95] = out[CT_M_tail_ratio] = CT__NaN;
    }

bench:
    /* benchmark-relative metrics over the aligned returns */
    if (nb >= 2) {
        double dn = (double)nb;
        double b1 = LANES(B1), b2 = LANES(B2), rb = LANES(RB), t1 = LANES(T1), t2 = LANES(T2);
        double bm = b1 / dn, xm = (bl ? s1 : LANES(X1)) / dn;
        double vb = b2 / dn - bm * bm; /* population variance of b */
        double cov = rb / dn - xm * bm;
        if (vb >= 1e-30) {
            double beta = cov / vb;
            out[CT_M_beta] = beta;
            double al = (c + xm) - beta * (cb + bm); /* mean(r - beta b) */
            out[CT_M_alpha] = pow(1.0 + al, A) - 1.0;
        }
        double tm1 = t1 / dn;
        double vt = (t2 / dn - tm1 * tm1) * dn / (dn - 1.0);
        if (vt < 0)
            vt = 0;
        double te = sqrt(vt);
        out[CT_M_tracking_error] = te * sqrt(A);
        out[CT_M_information_ratio] = te > 0 ? ((c - cb) + tm1) / te * sqrt(A) : CT__NaN;
    }
#undef LANES
    return CT_OK;
}
