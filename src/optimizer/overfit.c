/*
 * Overfitting statistics for parameter searches (docs/optimizer.md):
 *  - the deflated Sharpe ratio, D. H. Bailey and M. Lopez de Prado, "The Deflated Sharpe Ratio:
 *    Correcting for Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio
 *    Management 40(5), 2014, pp. 94-107;
 *  - the probability of backtest overfitting by combinatorially symmetric cross-validation,
 *    D. H. Bailey, J. M. Borwein, M. Lopez de Prado and Q. J. Zhu, "The Probability of Backtest
 *    Overfitting", Journal of Computational Finance 20(4), 2017 (SSRN 2326253, 2013/2016).
 * The normal quantile is Wichura's AS 241 (Applied Statistics 37, 1988, pp. 477-484).
 * Block sums and the split sums of CSCV are BLAS products (OpenBLAS): a split's statistics are
 * a 0/1 selection matrix times the per-block statistics of every trial.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "cryptota/optimizer.h"
#include "optimizer/opt_internal.h"

/* Euler-Mascheroni constant (the paper's gamma in E[max]). */
#define CT__EULER_GAMMA 0.57721566490153286061

double ct__norm_cdf(double x) { return 0.5 * erfc(-x / 1.41421356237309504880); }

/* Wichura, AS 241 PPND16: rational approximations on three ranges of p. */
double ct__norm_ppf(double p)
{
    if (isnan(p) || p < 0.0 || p > 1.0)
        return NAN;
    if (p == 0.0)
        return -INFINITY;
    if (p == 1.0)
        return INFINITY;
    double q = p - 0.5;
    if (fabs(q) <= 0.425) {
        double r = 0.180625 - q * q;
        return q *
               (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r + 6.7265770927008700853e+4) * r +
                    4.5921953931549871457e+4) * r + 1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r +
                 1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) /
               (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r + 3.9307895800092710610e+4) * r +
                    2.1213794301586595867e+4) * r + 5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r +
                 4.2313330701600911252e+1) * r + 1.0);
    }
    double r = q < 0.0 ? p : 1.0 - p;
    double v;
    r = sqrt(-log(r));
    if (r <= 5.0) {
        r -= 1.6;
        v = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r + 2.41780725177450611770e-1) * r +
                 1.27045825245236838258e+0) * r + 3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r +
              4.63033784615654529590e+0) * r + 1.42343711074968357734e+0) /
            (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r + 1.51986665636164571966e-2) * r +
                 1.48103976427480074590e-1) * r + 6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r +
              2.05319162663775882187e+0) * r + 1.0);
    } else {
        r -= 5.0;
        v = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.24266094738807843860e-3) * r +
                 2.65321895265761230930e-2) * r + 2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r +
              5.46378491116411436990e+0) * r + 6.65790464350110377720e+0) /
            (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r + 1.84631831751005468180e-5) * r +
                 7.86869131145613259100e-4) * r + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r +
              5.99832206555887937690e-1) * r + 1.0);
    }
    return q < 0.0 ? -v : v;
}

/*
 * DSR = PSR(SR0) = Phi((SR - SR0) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1)/4 SR^2)) with
 * SR0 = sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e))), paper eqs. (2) and (9);
 * g4 is the raw kurtosis; the argument is the excess kurtosis, so g4 - 1 = excess_kurt + 2.
 * One trial (or zero variance) gives SR0 = 0: no selection happened, and the DSR is the PSR
 * against 0.
 */
double ct__dsr(double sr, double sr_var, int64_t n_trials, double skew, double excess_kurt, int64_t t, double *sr0)
{
    double bench = 0.0;
    if (sr0)
        *sr0 = NAN;
    if (!isfinite(sr) || !isfinite(sr_var) || sr_var < 0.0 || n_trials < 1 || !isfinite(skew) ||
        !isfinite(excess_kurt) || t < 2)
        return NAN;
    if (n_trials > 1 && sr_var > 0.0) {
        double n = (double)n_trials;
        bench = sqrt(sr_var) * ((1.0 - CT__EULER_GAMMA) * ct__norm_ppf(1.0 - 1.0 / n) +
                                CT__EULER_GAMMA * ct__norm_ppf(1.0 - 1.0 / (n * 2.71828182845904523536)));
    }
    if (sr0)
        *sr0 = bench;
    double den = 1.0 - skew * sr + (excess_kurt + 2.0) / 4.0 * sr * sr;
    if (!(den > 0.0))
        return NAN;
    return ct__norm_cdf((sr - bench) * sqrt((double)(t - 1)) / sqrt(den));
}

/*
 * Ranking key of a trial's Sharpe ratio over a set of blocks from its sum s1, sum of squares s2
 * and count c. With den = c s2 - s1^2, the Sharpe ratio (std ddof 1) is
 * sqrt((c-1)/c) s1 / sqrt(den), and c is the same for every trial of a split, so s1 |s1| / den
 * orders trials exactly as their Sharpe ratios do, at the cost of one division (no square root).
 * NaN when the Sharpe ratio is undefined (c < 2 or no variance).
 */
static inline double sharpe_key(double s1, double s2, double c)
{
    double den = c * s2 - s1 * s1;
    return (c >= 2.0 && den > 0.0) ? s1 * fabs(s1) / den : (double)NAN;
}

/* Next integer with the same number of set bits (Gosper's hack). */
static uint32_t next_combination(uint32_t v)
{
    uint32_t t = v | (v - 1u);
    return (t + 1u) | (((~t & -~t) - 1u) >> (__builtin_ctz(v) + 1));
}

ct_status ct__pbo_blocks(const double *sum, const double *sumsq, const double *count, int64_t n, int32_t s,
                         double *pbo, int64_t *n_used, ct__err *err)
{
    if (pbo)
        *pbo = NAN;
    if (n_used)
        *n_used = 0;
    if (!sum || !sumsq || !count || !pbo)
        return ct__fail(err, CT_E_INVALID_ARG, "pbo: NULL argument");
    if (s < 2 || s > 30 || (s & 1))
        return ct__fail(err, CT_E_INVALID_ARG, "pbo: number of blocks %d must be even and in 2..30", (int)s);
    if (n < 0)
        return ct__fail(err, CT_E_INVALID_ARG, "pbo: number of trials %lld is negative", (long long)n);
    if (n < 2)
        return CT_OK; /* one trial cannot be overfit by selection: undefined, NaN */

    /* Splits: every s-bit mask with s/2 bits set, in increasing order. */
    uint32_t first = (1u << (s / 2)) - 1u, last = first << (s / 2);
    /* splits per BLAS product: the 2m x 2n product stays near 1 MB (cache-resident) */
    int64_t chunk = (int64_t)((1u << 17) / (4u * (uint64_t)n));
    if (chunk < 1)
        chunk = 1;
    if (chunk > 1024)
        chunk = 1024;
    size_t sn = (size_t)s * (size_t)n;
    double *bmat = ct__malloc_array(2 * sn, sizeof(double));          /* s x 2n: [sum | sumsq] */
    double *sel = ct__malloc_array((size_t)(2 * chunk) * (size_t)s, sizeof(double)); /* 2chunk x s */
    double *prod = ct__malloc_array((size_t)(2 * chunk) * 2 * (size_t)n, sizeof(double)); /* 2chunk x 2n */
    double *cnt = ct__malloc_array((size_t)(2 * chunk), sizeof(double));
    double *key = ct__malloc_array((size_t)n, sizeof(double));
    double *key2 = ct__malloc_array((size_t)n, sizeof(double));
    if (!bmat || !sel || !prod || !cnt || !key || !key2) {
        ct__free(key2);
        ct__free(bmat);
        ct__free(sel);
        ct__free(prod);
        ct__free(cnt);
        ct__free(key);
        return ct__fail(err, CT_E_NOMEM, "pbo: out of memory for %lld trials", (long long)n);
    }
    for (int32_t b = 0; b < s; b++) {
        memcpy(bmat + (size_t)b * 2 * (size_t)n, sum + (size_t)b * (size_t)n, (size_t)n * sizeof(double));
        memcpy(bmat + (size_t)b * 2 * (size_t)n + (size_t)n, sumsq + (size_t)b * (size_t)n, (size_t)n * sizeof(double));
    }

    int64_t used = 0, overfit = 0;
    uint32_t mask = first;
    int done = 0;
    while (!done) {
        /* Fill a chunk of splits: rows 0..m-1 in-sample masks, rows m..2m-1 their complements. */
        uint32_t masks[1024];
        int64_t m = 0;
        while (m < chunk && !done) {
            /* a mask with the top block set is the complement of one without: each pair of
             * product rows serves both splits, so only the masks without it are listed */
            if (!((mask >> (s - 1)) & 1u))
                masks[m++] = mask;
            if (mask == last)
                done = 1;
            else
                mask = next_combination(mask);
        }
        if (m == 0)
            break;
        for (int64_t i = 0; i < m; i++) {
            double ci = 0.0, co = 0.0;
            for (int32_t b = 0; b < s; b++) {
                int in = (masks[i] >> b) & 1u;
                sel[i * s + b] = in ? 1.0 : 0.0;
                sel[(m + i) * s + b] = in ? 0.0 : 1.0;
                if (in)
                    ci += count[b];
                else
                    co += count[b];
            }
            cnt[i] = ci;
            cnt[m + i] = co;
        }
        /* prod (2m x 2n) = sel (2m x s) . bmat (s x 2n) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(2 * m), (int)(2 * n), (int)s, 1.0, sel, (int)s,
                    bmat, (int)(2 * n), 0.0, prod, (int)(2 * n));
        for (int64_t i = 0; i < m; i++) {
            const double *ra = prod + (size_t)i * 2 * (size_t)n;       /* blocks of the mask */
            const double *rb = prod + (size_t)(m + i) * 2 * (size_t)n; /* the other blocks */
            for (int64_t j = 0; j < n; j++) {
                key[j] = sharpe_key(ra[j], ra[n + j], cnt[i]);
                key2[j] = sharpe_key(rb[j], rb[n + j], cnt[m + i]);
            }
            /* the split with the mask in sample, then the one with it out of sample */
            for (int dir = 0; dir < 2; dir++) {
                const double *kin = dir ? key2 : key, *kout = dir ? key : key2;
                int64_t best = -1;
                double best_key = 0.0;
                for (int64_t j = 0; j < n; j++)
                    if (!isnan(kin[j]) && (best < 0 || kin[j] > best_key)) {
                        best = j;
                        best_key = kin[j];
                    }
                if (best < 0)
                    continue; /* no trial has an in-sample Sharpe: the split says nothing */
                /* out-of-sample rank of the in-sample winner (NaN ranks below everything; NaNs tie) */
                double star = kout[best];
                int64_t below = 0, equal = 0;
                if (isnan(star)) {
                    for (int64_t j = 0; j < n; j++)
                        equal += isnan(kout[j]);
                } else {
                    for (int64_t j = 0; j < n; j++) {
                        below += isnan(kout[j]) || kout[j] < star;
                        equal += kout[j] == star;
                    }
                }
                equal -= 1; /* the winner itself */
                /* rank = 1 + below + equal/2 (mid-rank); w = rank/(n+1); logit <= 0 <=> 2 rank <= n + 1 */
                used++;
                if (2 * (1 + below) + equal <= n + 1)
                    overfit++;
            }
        }
    }
    ct__free(bmat);
    ct__free(sel);
    ct__free(prod);
    ct__free(cnt);
    ct__free(key);
    ct__free(key2);
    if (n_used)
        *n_used = used;
    *pbo = used > 0 ? (double)overfit / (double)used : (double)NAN;
    return CT_OK;
}

ct_status ct_overfit_dsr(double sharpe, double sharpe_var, int64_t n_trials, double skew, double excess_kurtosis,
                         int64_t n_returns, double *dsr, double *sr0)
{
    if (dsr)
        *dsr = NAN;
    if (sr0)
        *sr0 = NAN;
    if (!dsr)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_overfit_dsr: dsr is NULL");
    if (n_trials < 1)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_overfit_dsr: n_trials %lld must be >= 1", (long long)n_trials);
    if (n_returns < 2)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_overfit_dsr: n_returns %lld must be >= 2", (long long)n_returns);
    if (isnan(sharpe_var) || sharpe_var < 0.0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_overfit_dsr: sharpe_var must be >= 0");
    *dsr = ct__dsr(sharpe, sharpe_var, n_trials, skew, excess_kurtosis, n_returns, sr0);
    return CT_OK;
}

ct_status ct_overfit_pbo(const double *returns, int64_t n_rows, int64_t n_cols, int32_t n_blocks, double *pbo)
{
    if (pbo)
        *pbo = NAN;
    if (!returns || !pbo)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_overfit_pbo: %s is NULL", returns ? "pbo" : "returns");
    if (n_blocks < 2 || n_blocks > 30 || (n_blocks & 1))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_overfit_pbo: n_blocks %d must be even and in 2..30",
                        (int)n_blocks);
    if (n_cols < 1 || n_cols > INT32_MAX / 2)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_overfit_pbo: n_cols %lld out of range", (long long)n_cols);
    if (n_rows < 2 * (int64_t)n_blocks)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_overfit_pbo: n_rows %lld must be >= 2 * n_blocks (%d)",
                        (long long)n_rows, 2 * (int)n_blocks);
    size_t sn = (size_t)n_blocks * (size_t)n_cols;
    int64_t rows_per = (int64_t)(65536 / n_cols);
    if (rows_per < 1)
        rows_per = 1;
    double *sum = ct__calloc(sn, sizeof(double));
    double *sumsq = ct__calloc(sn, sizeof(double));
    double *count = ct__calloc((size_t)n_blocks, sizeof(double));
    double *ones = ct__malloc_array((size_t)rows_per, sizeof(double));
    double *sq = ct__malloc_array((size_t)rows_per * (size_t)n_cols, sizeof(double));
    ct_status st = CT_OK;
    if (!sum || !sumsq || !count || !ones || !sq) {
        st = ct__fail(NULL, CT_E_NOMEM, "ct_overfit_pbo: out of memory");
        goto out;
    }
    for (int64_t i = 0; i < rows_per; i++)
        ones[i] = 1.0;
    for (int32_t b = 0; b < n_blocks; b++) {
        int64_t lo = ct__block_lo(n_rows, n_blocks, b), hi = ct__block_lo(n_rows, n_blocks, b + 1);
        count[b] = (double)(hi - lo);
        for (int64_t r = lo; r < hi; r += rows_per) {
            int64_t m = hi - r < rows_per ? hi - r : rows_per;
            const double *blk = returns + (size_t)r * (size_t)n_cols;
            for (size_t k = 0; k < (size_t)m * (size_t)n_cols; k++) {
                if (!isfinite(blk[k])) {
                    st = ct__fail(NULL, CT_E_INVALID_ARG, "ct_overfit_pbo: returns[%lld][%lld] is not finite",
                                  (long long)(r + (int64_t)(k / (size_t)n_cols)), (long long)(k % (size_t)n_cols));
                    goto out;
                }
                sq[k] = blk[k] * blk[k];
            }
            /* column sums of the rows: blk^T . ones, accumulated into the block's row */
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)n_cols, 1.0, blk, (int)n_cols, ones, 1, 1.0,
                        sum + (size_t)b * (size_t)n_cols, 1);
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)n_cols, 1.0, sq, (int)n_cols, ones, 1, 1.0,
                        sumsq + (size_t)b * (size_t)n_cols, 1);
        }
    }
    st = ct__pbo_blocks(sum, sumsq, count, n_cols, n_blocks, pbo, NULL, NULL);
out:
    ct__free(sum);
    ct__free(sumsq);
    ct__free(count);
    ct__free(ones);
    ct__free(sq);
    return st;
}
