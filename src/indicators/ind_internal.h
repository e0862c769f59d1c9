/*
 * Internal pieces shared by the indicator implementations (never installed).
 *
 * Every indicator is a small state machine: `init` sets up a state from validated options,
 * `step` consumes one bar (one value per input) and writes one value per output (NaN during
 * the warm-up). Streaming runs `step` directly; batch either runs the same `step` inlined in a
 * loop (CT__IND_BATCH_FROM_STEP), or a hand-written loop doing exactly the same floating-point
 * operations in the same order, so streaming output is bit-identical to batch output.
 */
#ifndef CT_IND_INTERNAL_H
#define CT_IND_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cryptota/indicators.h"
#include "internal/ct_internal.h"

#define CT__NAN ((double)NAN)
/* TA-Lib's TA_IS_ZERO / TA_IS_ZERO_OR_NEG thresholds. */
#define CT__IS_ZERO(x) (((-0.00000000000001) < (x)) && ((x) < 0.00000000000001))
#define CT__IS_ZERO_OR_NEG(x) ((x) < 0.00000000000001)

typedef struct ct__ind_impl {
    /* Lookback for validated options. */
    int32_t (*lookback)(const double *opt);
    /* Bytes of state for validated options (struct plus its arrays, 16-byte aligned pieces). */
    size_t (*state_size)(const double *opt);
    /* Initialise a state of state_size(opt) bytes. */
    void (*init)(void *st, const double *opt);
    /* One bar: in has n_inputs values, out receives n_outputs values. */
    void (*step)(void *st, const double *in, double *out);
    /* Whole series into aligned outputs (options validated, n >= 0, pointers non-NULL). */
    ct_status (*batch)(int64_t n, const double *const *in, const double *opt, double *const *out);
} ct__ind_impl;

/* Round a piece of a state block up to 16 bytes. */
static inline size_t ct__ind_piece(size_t bytes) { return (bytes + 15u) & ~(size_t)15u; }
/* Take `bytes` from a state block cursor. */
static inline void *ct__ind_take(char **cur, size_t bytes)
{
    void *p = *cur;
    *cur += ct__ind_piece(bytes);
    return p;
}

/* Fill out[0..k) with NaN (k clamped to [0, n]). */
static inline void ct__ind_nan(double *out, int64_t n, int64_t k)
{
    if (k > n)
        k = n;
    for (int64_t i = 0; i < k; i++)
        out[i] = CT__NAN;
}

/* A delay line of cap values. */
typedef struct ct__ring {
    double *v;
    int32_t cap;
    int32_t pos;
} ct__ring;

static inline size_t ct__ring_size(int32_t cap) { return ct__ind_piece(sizeof(double) * (size_t)cap); }
static inline void ct__ring_init(ct__ring *r, char **cur, int32_t cap)
{
    r->v = ct__ind_take(cur, sizeof(double) * (size_t)cap);
    r->cap = cap;
    r->pos = 0;
    for (int32_t i = 0; i < cap; i++)
        r->v[i] = 0.0;
}
/* Store x; returns the value stored cap pushes ago (0 before that). */
static inline double ct__ring_push(ct__ring *r, double x)
{
    double old = r->v[r->pos];
    r->v[r->pos] = x;
    if (++r->pos == r->cap)
        r->pos = 0;
    return old;
}
/* The value pushed k pushes ago (k = 1: the last one), 1 <= k <= cap. */
static inline double ct__ring_ago(const ct__ring *r, int32_t k)
{
    int32_t i = r->pos - k;
    if (i < 0)
        i += r->cap;
    return r->v[i];
}
/* The oldest value kept (pushed cap pushes ago, counting the last push as 1). */
static inline double ct__ring_oldest(const ct__ring *r) { return r->v[r->pos]; }

/*
 * Windowed max or min over the last `period` values including the current one, with the index
 * of the extreme (ties: the most recent wins, as TA-Lib's scans). TA-Lib's method: keep the
 * extreme and its index, take a new value that beats or ties it, and rescan the window only
 * when the extreme leaves it (cheap on market data; O(period) per bar in the worst case).
 */
typedef struct ct__mdq {
    double *v; /* ring of the last `period` values */
    double best;
    int64_t best_i;
    int32_t cap;
    int32_t pos;
    int32_t scan; /* value-only small window: rescan every bar (see ct__mdq_init_v) */
} ct__mdq;

/* Windows up to this length are rescanned at every bar when no index is needed. */
#define CT__MDQ_SCAN_MAX 40

static inline size_t ct__mdq_size(int32_t period) { return ct__ind_piece(sizeof(double) * (size_t)period); }
static inline void ct__mdq_init(ct__mdq *d, char **cur, int32_t period)
{
    d->cap = period;
    d->v = ct__ind_take(cur, sizeof(double) * (size_t)period);
    d->pos = 0;
    d->best = 0.0;
    d->best_i = INT64_MIN / 2;
    d->scan = 0;
}
/*
 * Value-only variant (ct__mdq_index is then meaningless): windows up to CT__MDQ_SCAN_MAX are
 * rescanned at every bar with two independent accumulators, which is branch-free and faster
 * than tracking on short windows (TA-Lib's MIDPRICE scans too). Maxima and minima are exact,
 * so the method does not change any value; with NaN inputs the result depends only on the
 * ring's contents, identically in streaming and batch.
 */
static inline void ct__mdq_init_v(ct__mdq *d, char **cur, int32_t period)
{
    ct__mdq_init(d, cur, period);
    d->scan = period <= CT__MDQ_SCAN_MAX;
}
/*
 * Extreme of a window given oldest-first as a[0..na) then b[0..nb), one accumulator in that
 * order (TA-Lib MIDPRICE's loop). Batch code scanning the input arrays with it gets exactly the
 * streaming result, NaN and signed zeros included.
 */
static inline double ct__scan_chrono(const double *a, int32_t na, const double *b, int32_t nb, int is_max)
{
    double best = na > 0 ? a[0] : b[0];
    for (int32_t k = 1; k < na; k++)
        best = is_max ? (a[k] > best ? a[k] : best) : (a[k] < best ? a[k] : best);
    for (int32_t k = na > 0 ? 0 : 1; k < nb; k++)
        best = is_max ? (b[k] > best ? b[k] : best) : (b[k] < best ? b[k] : best);
    return best;
}
/* Chronological-scan variant of ct__mdq_init_v (scan mode 2; see ct__scan_chrono). */
static inline void ct__mdq_init_c(ct__mdq *d, char **cur, int32_t period)
{
    ct__mdq_init(d, cur, period);
    d->scan = period <= CT__MDQ_SCAN_MAX ? 2 : 0;
}
static inline double ct__mdq_scan(const double *v, int32_t count, int is_max)
{
    /* two independent accumulators (scalar: vector loads right after the scalar store of the
     * newest value would stall on store forwarding) */
    double b0 = v[0], b1 = v[0];
    int32_t k = 1;
    for (; k + 1 < count; k += 2) {
        double y0 = v[k], y1 = v[k + 1];
        if (is_max) {
            b0 = y0 > b0 ? y0 : b0;
            b1 = y1 > b1 ? y1 : b1;
        } else {
            b0 = y0 < b0 ? y0 : b0;
            b1 = y1 < b1 ? y1 : b1;
        }
    }
    if (k < count) {
        double y = v[k];
        b0 = is_max ? (y > b0 ? y : b0) : (y < b0 ? y : b0);
    }
    return is_max ? (b1 > b0 ? b1 : b0) : (b1 < b0 ? b1 : b0);
}

/* Push value x at index i (i = 0, 1, 2, ...); is_max selects max (1) or min (0). */
static inline void ct__mdq_push(ct__mdq *d, int64_t i, double x, int32_t period, int is_max)
{
    d->v[d->pos] = x;
    if (++d->pos == d->cap)
        d->pos = 0;
    if (d->scan == 2) {
        if (i + 1 < period) /* not full yet: slots 0..i in order */
            d->best = ct__scan_chrono(d->v, (int32_t)(i + 1), NULL, 0, is_max);
        else /* full: oldest at pos */
            d->best = ct__scan_chrono(d->v + d->pos, d->cap - d->pos, d->v, d->pos, is_max);
        return;
    }
    if (d->scan) {
        d->best = ct__mdq_scan(d->v, i + 1 < period ? (int32_t)(i + 1) : period, is_max);
        return;
    }
    if (d->best_i <= i - period) {
        /* rescan oldest-first (ties: the later one wins): [j, cap) then [0, pos) */
        int32_t count = i + 1 < period ? (int32_t)(i + 1) : period;
        int32_t j = d->pos - count;
        int64_t base = i - count + 1; /* index of the oldest value */
        double best;
        int32_t at = 0, k = 0;
        if (j < 0)
            j += d->cap;
        best = d->v[j];
        for (int32_t q = j; q < d->cap && k < count; q++, k++) {
            double y = d->v[q];
            if (is_max ? (y >= best) : (y <= best)) {
                best = y;
                at = k;
            }
        }
        for (int32_t q = 0; k < count; q++, k++) {
            double y = d->v[q];
            if (is_max ? (y >= best) : (y <= best)) {
                best = y;
                at = k;
            }
        }
        d->best = best;
        d->best_i = base + at;
    } else if (is_max ? (x >= d->best) : (x <= d->best)) {
        d->best = x;
        d->best_i = i;
    }
}
/*
 * The tracking of ct__mdq_push (non-scan mode) over an input array instead of a ring: the same
 * comparisons on the same values in the same order, so batch loops using it give exactly the
 * streaming results without storing every value.
 */
static inline void ct__track(const double *x, int64_t i, int32_t period, double *best, int64_t *best_i, int is_max)
{
    if (*best_i <= i - period) {
        int64_t first = i - period + 1 > 0 ? i - period + 1 : 0;
        double b = x[first];
        int64_t at = first;
        for (int64_t k = first + 1; k <= i; k++) {
            double y = x[k];
            if (is_max ? (y >= b) : (y <= b)) {
                b = y;
                at = k;
            }
        }
        *best = b;
        *best_i = at;
    } else if (is_max ? (x[i] >= *best) : (x[i] <= *best)) {
        *best = x[i];
        *best_i = i;
    }
}
static inline double ct__mdq_value(const ct__mdq *d) { return d->best; }
static inline int64_t ct__mdq_index(const ct__mdq *d) { return d->best_i; }

/*
 * EMA sub-state: seeded with the SMA of the first p values (TA-Lib INT_EMA), then
 * x*k + prev*(1-k). TA-Lib writes prev + k*(x - prev); the form used here has one dependent
 * operation less per bar (faster) and differs only by rounding (~1e-16 relative).
 */
typedef struct ct__ema {
    double k;
    double omk; /* 1 - k */
    double sum;
    double val;
    int32_t p;
    int32_t n;
} ct__ema;

static inline void ct__ema_init(ct__ema *e, int32_t p)
{
    e->k = 2.0 / ((double)(p + 1));
    e->omk = 1.0 - e->k;
    e->sum = 0.0;
    e->val = 0.0;
    e->p = p;
    e->n = 0;
}
/* Returns 1 once the EMA has a value (in e->val). */
static inline int ct__ema_push(ct__ema *e, double x)
{
    if (e->n < e->p) {
        e->sum += x;
        if (++e->n < e->p)
            return 0;
        e->val = e->sum / e->p;
        return 1;
    }
    e->val = (x * e->k) + (e->val * e->omk);
    return 1;
}

/* SMA sub-state with TA-Lib's running sum (add new, output, subtract oldest). */
typedef struct ct__sma {
    ct__ring r;
    double sum;
    int32_t p;
    int32_t n;
} ct__sma;

static inline size_t ct__sma_size(int32_t p) { return ct__ring_size(p); }
static inline void ct__sma_init(ct__sma *s, char **cur, int32_t p)
{
    ct__ring_init(&s->r, cur, p);
    s->sum = 0.0;
    s->p = p;
    s->n = 0;
}
/* Adds x; returns 1 once p values were seen (s->sum is then the window's sum, and
 * ct__sma_drop must follow). */
static inline int ct__sma_add(ct__sma *s, double x)
{
    ct__ring_push(&s->r, x);
    s->sum += x;
    if (s->n < s->p - 1) {
        s->n++;
        return 0;
    }
    return 1;
}
/* Removes the oldest value of a full window. */
static inline void ct__sma_drop(ct__sma *s) { s->sum -= ct__ring_oldest(&s->r); }
/* Returns 1 and sets *out once p values were seen. */
static inline int ct__sma_push(ct__sma *s, double x, double *out)
{
    if (!ct__sma_add(s, x))
        return 0;
    *out = s->sum / s->p;
    ct__sma_drop(s);
    return 1;
}

/* Weighted moving average sub-state (TA-Lib WMA: periodSum/periodSub trick). */
typedef struct ct__wma {
    ct__ring r;
    double sum;
    double sub;
    double trailing;
    double divider;
    int32_t p;
    int32_t n;
} ct__wma;

static inline size_t ct__wma_size(int32_t p) { return ct__ring_size(p); }
static inline void ct__wma_init(ct__wma *w, char **cur, int32_t p)
{
    ct__ring_init(&w->r, cur, p);
    w->sum = 0.0;
    w->sub = 0.0;
    w->trailing = 0.0;
    w->divider = (double)(((int64_t)p * (p + 1)) / 2);
    w->p = p;
    w->n = 0;
}
static inline int ct__wma_push(ct__wma *w, double x, double *out)
{
    ct__ring_push(&w->r, x);
    if (w->p == 1) {
        *out = x;
        return 1;
    }
    if (w->n < w->p - 1) {
        w->n++;
        w->sub += x;
        w->sum += x * w->n;
        return 0;
    }
    w->sub += x;
    w->sub -= w->trailing;
    w->sum += x * w->p;
    w->trailing = ct__ring_oldest(&w->r);
    *out = w->sum / w->divider;
    w->sum -= w->sub;
    return 1;
}

/* True range as TA-Lib computes it (max of h-l, |h-yc|, |l-yc|). */
static inline double ct__true_range(double h, double l, double yc)
{
    double out = h - l;
    double t = fabs(h - yc);
    if (t > out)
        out = t;
    t = fabs(l - yc);
    if (t > out)
        out = t;
    return out;
}

/*
 * Generic batch built from an inlined step: allocates one state, runs step over all rows.
 * P is the indicator prefix (P##_size, P##_init, P##_step), NI/NO the input/output counts.
 */
#define CT__IND_BATCH_FROM_STEP(P, NI, NO)                                                          \
    static ct_status P##_batch(int64_t n, const double *const *in, const double *opt,              \
                               double *const *out)                                                 \
    {                                                                                               \
        void *st = ct__malloc(P##_size(opt));                                                       \
        const double *ip[NI];                                                                       \
        double *op[NO];                                                                             \
        P##_st loc;                                                                                 \
        if (!st)                                                                                    \
            return ct__fail(NULL, CT_E_NOMEM, "%s: out of memory for the work state", #P);         \
        P##_init(st, opt);                                                                          \
        /* a local copy of the state header (its arrays stay in st) lets the compiler keep the   \
         * scalars in registers: output stores cannot alias it */                                  \
        memcpy(&loc, st, sizeof(loc));                                                              \
        for (int k = 0; k < (NI); k++)                                                              \
            ip[k] = in[k];                                                                          \
        for (int k = 0; k < (NO); k++)                                                              \
            op[k] = out[k];                                                                         \
        for (int64_t i = 0; i < n; i++) {                                                           \
            double x[NI];                                                                           \
            double y[NO];                                                                           \
            for (int k = 0; k < (NI); k++)                                                          \
                x[k] = ip[k][i];                                                                    \
            P##_step(&loc, x, y);                                                                   \
            for (int k = 0; k < (NO); k++)                                                          \
                op[k][i] = y[k];                                                                    \
        }                                                                                           \
        ct__free(st);                                                                               \
        return CT_OK;                                                                               \
    }

/* Wrappers with the signatures of ct__ind_impl around P##_init / P##_step. */
#define CT__IND_HOOKS(P, ST)                                                                        \
    static void P##_init_v(void *st, const double *opt) { P##_init((ST *)st, opt); }                \
    static void P##_step_v(void *st, const double *in, double *out) { P##_step((ST *)st, in, out); }

#define CT__IND_IMPL(P)                                                                             \
    const ct__ind_impl ct__impl_##P = {P##_lookback, P##_size, P##_init_v, P##_step_v, P##_batch};

#define CT__OPT_I(opt, k) ((int32_t)(opt)[k])

#endif /* CT_IND_INTERNAL_H */
