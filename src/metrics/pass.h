/*
 * The metric kernel's one pass over an equity curve (DESIGN.md section 8), shared by the kernel
 * (src/metrics/kernel.c) and the builds of the pass for each instruction set (pass_*.c).
 *
 * The pass walks bars 1..n-1 in blocks of eight, lane l of every accumulator summing the bars
 * a+l, a+8+l, ... of its chunk. Every build (AVX-512, AVX2 pairs, portable arrays) runs the same
 * IEEE operations in the same order on the same lanes, so the metrics are bit-identical whichever
 * runs: results and shard merges do not depend on the machine.
 */
#ifndef CT_METRICS_PASS_H
#define CT_METRICS_PASS_H

#include <stdint.h>

#define CT__LANES 8
#define CT__CHUNK 512 /* bars per chunk (a multiple of 8): the chunk's returns stay in L1 */

/*
 * Percentile brackets: a strided sample of the returns gives bounds [lo, hi] that very likely
 * hold the ranks a quantile needs; the pass counts the returns below lo (with their sum, for the
 * CVaR), keeps the non-zero ones inside the bracket and only counts the zeros (flat stretches
 * make many). If a needed rank falls outside, the kernel falls back to quickselect over all
 * returns.
 */
typedef struct ct__bracket {
    double lo, hi;
    int64_t below;    /* returns < lo */
    double below_sum; /* their sum */
    int64_t zeros;    /* zero returns in [lo, hi] */
    double *buf;      /* non-zero returns in [lo, hi] */
    int64_t nbuf, cap;
    int overflow;
} ct__bracket;

/*
 * State of the pass. The lane arrays hold sums over the bars the vector pass did (the scalar
 * tail adds into lane 0); the kernel folds them in a fixed order. Sums of the returns are
 * shifted by c (and the benchmark's by cb) so the power sums do not cancel.
 */
typedef struct ct__kstate {
    /* inputs */
    const int64_t *tm;        /* bar times (drawdown durations in ms), or NULL */
    const double *pos;        /* positions (exposure), or NULL */
    ct__bracket *b5, *b95;    /* percentile brackets, or NULL (the pass clears them on overflow) */
    double c, cb, xbar;       /* return shift, benchmark shift, mean regression index */
    int skip_log;             /* no log curve (stability) */
    int no_dd;                /* the drawdowns are done apart (ct__dd_fn): leave those fields */
    int64_t from;             /* first bar of the range the pass does (>= 1) */
    /* lane sums */
    double S1[CT__LANES], S2[CT__LANES], S3[CT__LANES], S4[CT__LANES]; /* shifted power sums */
    double D2[CT__LANES], NG[CT__LANES]; /* sum of min(r,0)^2 and of max(-r,0) */
    double Y1[CT__LANES], Y2[CT__LANES], XY[CT__LANES]; /* log curve regression sums */
    double EMIN[CT__LANES];                             /* least equity (the log curve needs > 0) */
    double U2v[CT__LANES], U2w[CT__LANES]; /* squared drawdowns: blocks 0, 2, 4, ... and 1, 3, 5, ... */
    double NB[CT__LANES], B1[CT__LANES], B2[CT__LANES], RB[CT__LANES], X1[CT__LANES]; /* benchmark */
    double T1[CT__LANES], T2[CT__LANES];   /* sums of r - b and its square (shifted) */
    double B5S[CT__LANES];                 /* sum of the returns below the 5% bracket */
    int64_t B5N[CT__LANES], B95N[CT__LANES], ZC[CT__LANES], HELD[CT__LANES];
    /* scalar state */
    double bprod;  /* product of (1 + b) of a host benchmark */
    double y_prev; /* log level of the last bar done: log(E/E[0]) - shift */
    double peak, inv_peak, mdd, U2, trough, dd_sum;
    int64_t peak_i, dd_count, max_dur, max_dur_ms;
    int in_dd;
} ct__kstate;

/*
 * The vector pass over the blocks of bars k->from.. of E[0..n-1] (bl: benchmark levels on the same
 * bars, br: aligned host benchmark returns, at most one of them), resuming from the state in *k.
 * Returns the first bar left: the scalar tail's, or n where the range is whole blocks.
 */
typedef int64_t (*ct__pass_fn)(ct__kstate *k, const double *E, const double *bl, const double *br, int64_t n);

/* The drawdown fields of *k alone, over the same blocks, with the same bits as the pass. */
typedef int64_t (*ct__dd_fn)(ct__kstate *k, const double *E, int64_t n);

/*
 * Partition for the quickselects (kernel.c): v[0..n-1] reordered as [< x | == x | > x], the size
 * of the first part returned and the second's in *neq; tmp holds n + 8 values.
 */
typedef int64_t (*ct__split_fn)(double *v, int64_t n, double x, double *tmp, int64_t *neq);

int64_t ct__metrics_pass_generic(ct__kstate *k, const double *E, const double *bl, const double *br, int64_t n);
int64_t ct__metrics_split_generic(double *v, int64_t n, double x, double *tmp, int64_t *neq);
int64_t ct__metrics_dd_generic(ct__kstate *k, const double *E, int64_t n);
#if defined(__x86_64__) && defined(__GNUC__)
#define CT__PASS_X86 1
int64_t ct__metrics_pass_avx2(ct__kstate *k, const double *E, const double *bl, const double *br, int64_t n);
int64_t ct__metrics_pass_avx512(ct__kstate *k, const double *E, const double *bl, const double *br, int64_t n);
int64_t ct__metrics_split_avx2(double *v, int64_t n, double x, double *tmp, int64_t *neq);
int64_t ct__metrics_split_avx512(double *v, int64_t n, double x, double *tmp, int64_t *neq);
int64_t ct__metrics_dd_avx2(ct__kstate *k, const double *E, int64_t n);
int64_t ct__metrics_dd_avx512(ct__kstate *k, const double *E, int64_t n);
#endif

#endif
