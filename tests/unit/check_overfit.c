/* Overfitting statistics: the normal distribution, the deflated Sharpe ratio and PBO by CSCV. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "optimizer/opt_internal.h"

START_TEST(normal_distribution)
{
    /* Reference quantiles (Abramowitz & Stegun table 26.5; Python statistics.NormalDist agrees
     * to the last digit): Phi^-1(0.975) = 1.959963984540054, Phi^-1(0.99) = 2.3263478740408408,
     * Phi^-1(1e-10) = -6.361340902404056; Phi(1.96) = 0.9750021048517795. */
    ck_assert(ct_test_close(ct__norm_ppf(0.975), 1.959963984540054, 1e-15));
    ck_assert(ct_test_close(ct__norm_ppf(0.99), 2.3263478740408408, 1e-15));
    ck_assert(ct_test_close(ct__norm_ppf(1e-10), -6.361340902404056, 1e-14));
    ck_assert(ct_test_close(ct__norm_ppf(0.025), -1.959963984540054, 1e-15));
    ck_assert(ct__norm_ppf(0.5) == 0.0);
    ck_assert(ct_test_close(ct__norm_cdf(1.96), 0.9750021048517795, 1e-15));
    ck_assert(ct_test_close(ct__norm_cdf(0.0), 0.5, 0));
    ck_assert(isinf(ct__norm_ppf(0.0)) && ct__norm_ppf(0.0) < 0);
    ck_assert(isinf(ct__norm_ppf(1.0)) && ct__norm_ppf(1.0) > 0);
    ck_assert(isnan(ct__norm_ppf(1.5)) && isnan(ct__norm_ppf(NAN)));
    /* round trip over the three ranges of AS 241 */
    for (double p = 1e-300; p < 1.0; p = p < 1e-3 ? p * 10 : p + 0.0137)
        ck_assert_msg(ct_test_close(ct__norm_cdf(ct__norm_ppf(p)), p, 1e-12), "p=%g", p);
}
END_TEST

START_TEST(dsr_paper_example)
{
    /*
     * Bailey & Lopez de Prado (2014), section "A numerical example": after N = 100 trials the
     * best strategy has an annualized SR of 2.5 over T = 1250 daily returns (250 a year),
     * skewness -3, kurtosis 10 (raw), and the trials' annualized SRs have variance 0.5.
     * Per day: SR = 2.5/sqrt(250) = 0.158114, V = 0.5/250 = 0.002.
     * SR0 = sqrt(0.002) ((1-0.5772) Phi^-1(0.99) + 0.5772 Phi^-1(1 - 1/(100e)))
     *     = 0.0447214 (0.4227843 * 2.3263479 + 0.5772157 * 2.6810) = 0.1132   (paper: 0.1132)
     * DSR = Phi((0.158114 - 0.113172) sqrt(1249) / sqrt(1 + 3 * 0.158114 + (10-1)/4 * 0.158114^2))
     *     = Phi(1.28382) = 0.9004                                         (paper: 0.9004)
     * Full-precision values (same formulas in Python with statistics.NormalDist):
     * SR0 = 0.11317200186513214, DSR = 0.9003968344493904.
     */
    double dsr, sr0;
    ck_assert_ok(ct_overfit_dsr(2.5 / sqrt(250.0), 0.5 / 250.0, 100, -3.0, 10.0 - 3.0, 1250, &dsr, &sr0));
    ck_assert(ct_test_close(sr0, 0.11317200186513214, 1e-12));
    ck_assert(ct_test_close(dsr, 0.9003968344493904, 1e-12));
    ck_assert(fabs(dsr - 0.9004) < 5e-5);

    /* One trial: no selection, SR0 = 0 and the DSR is the PSR against 0:
     * Phi(0.158114 sqrt(1249) / sqrt(1.530593)) = Phi(4.5168) = 0.99999686 (Python). */
    ck_assert_ok(ct_overfit_dsr(2.5 / sqrt(250.0), 0.5 / 250.0, 1, -3.0, 7.0, 1250, &dsr, &sr0));
    ck_assert(sr0 == 0.0);
    double z = 2.5 / sqrt(250.0) * sqrt(1249.0) / sqrt(1.0 + 3.0 * 0.15811388300841897 + 2.25 * 0.025);
    ck_assert(ct_test_close(dsr, 0.5 * erfc(-z / sqrt(2.0)), 1e-14));

    /* More trials raise the bar: DSR falls with N */
    double d10, d1000;
    ck_assert_ok(ct_overfit_dsr(0.1, 0.002, 10, 0, 0, 1250, &d10, NULL));
    ck_assert_ok(ct_overfit_dsr(0.1, 0.002, 1000, 0, 0, 1250, &d1000, NULL));
    ck_assert(d10 > d1000);

    /* errors */
    ck_assert_status(ct_overfit_dsr(0.1, 0.002, 0, 0, 0, 1250, &dsr, NULL), CT_E_INVALID_ARG);
    ck_assert_status(ct_overfit_dsr(0.1, -1, 10, 0, 0, 1250, &dsr, NULL), CT_E_INVALID_ARG);
    ck_assert_status(ct_overfit_dsr(0.1, 0.002, 10, 0, 0, 1, &dsr, NULL), CT_E_INVALID_ARG);
    ck_assert_status(ct_overfit_dsr(0.1, 0.002, 10, 0, 0, 100, NULL, NULL), CT_E_INVALID_ARG);
    ck_assert_ok(ct_overfit_dsr(NAN, 0.002, 10, 0, 0, 1250, &dsr, NULL));
    ck_assert(isnan(dsr));
}
END_TEST

/*
 * Hand case: T = 8 returns, S = 4 blocks of 2 rows, 3 trials.
 *   A: blocks 0,1 = [.02, .04], blocks 2,3 = [-.02, 0]   (good early, bad late)
 *   B: blocks 0,1 = [-.02, 0], blocks 2,3 = [.02, .04]   (bad early, good late)
 *   C: every block [0, .02]                               (steady)
 * Sharpe (mean/std, ddof 1) over two blocks: A on {0,1} = .03/.011547 = 2.598, B on {0,1} =
 * -.01/.011547 = -0.866, C anywhere = .01/.011547 = 0.866; A or B over one good and one bad
 * block: mean .01, std .025820 -> 0.387.
 * The C(4,2) = 6 splits (in-sample blocks -> best in sample -> its out-of-sample rank of 3):
 *   {0,1} -> A (2.598) -> OOS A -0.866 < C < B: rank 1, w = 1/4, logit < 0  (overfit)
 *   {2,3} -> B         -> OOS rank 1                                      (overfit)
 *   {0,2},{0,3},{1,2},{1,3} -> C (0.866 > 0.387) -> OOS C 0.866 > A = B: rank 3, w = 3/4
 * PBO = 2/6 = 1/3.
 */
static const double k_hand[8][3] = {
    {0.02, -0.02, 0.00}, {0.04, 0.00, 0.02},  /* block 0 */
    {0.02, -0.02, 0.00}, {0.04, 0.00, 0.02},  /* block 1 */
    {-0.02, 0.02, 0.00}, {0.00, 0.04, 0.02},  /* block 2 */
    {-0.02, 0.02, 0.00}, {0.00, 0.04, 0.02}}; /* block 3 */

START_TEST(pbo_hand_case)
{
    double pbo;
    ck_assert_ok(ct_overfit_pbo(&k_hand[0][0], 8, 3, 4, &pbo));
    ck_assert(ct_test_close(pbo, 1.0 / 3.0, 1e-15));
    /* Only A and B: every split picks the wrong one ({0,2}-type splits tie: A and B have the
     * same in- and out-of-sample Sharpe, A wins the in-sample tie by index and shares the mid
     * rank 1.5 of 2 out of sample: w = 1.5/3 = 0.5, logit 0, counted as overfit). PBO = 1. */
    double ab[8][2];
    for (int t = 0; t < 8; t++) {
        ab[t][0] = k_hand[t][0];
        ab[t][1] = k_hand[t][1];
    }
    ck_assert_ok(ct_overfit_pbo(&ab[0][0], 8, 2, 4, &pbo));
    ck_assert(pbo == 1.0);
    /* The same data through the block-statistics entry point the optimizer uses */
    double sum[4 * 3] = {0}, sq[4 * 3] = {0}, cnt[4] = {2, 2, 2, 2};
    for (int t = 0; t < 8; t++)
        for (int j = 0; j < 3; j++) {
            sum[(t / 2) * 3 + j] += k_hand[t][j];
            sq[(t / 2) * 3 + j] += k_hand[t][j] * k_hand[t][j];
        }
    int64_t used;
    ck_assert_ok(ct__pbo_blocks(sum, sq, cnt, 3, 4, &pbo, &used, NULL));
    ck_assert_int_eq(used, 6);
    ck_assert(ct_test_close(pbo, 1.0 / 3.0, 1e-15));
}
END_TEST

/* Deterministic normal draws (splitmix64 + Box-Muller). */
static uint64_t g_rng;
static double rnd_u(void)
{
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * 0x1.0p-53;
}
static double rnd_n(void) { return sqrt(-2.0 * log(rnd_u())) * cos(6.283185307179586 * rnd_u()); }

static double *noise_matrix(int64_t t, int64_t n, uint64_t seed)
{
    g_rng = seed;
    double *m = malloc((size_t)(t * n) * sizeof(double));
    for (int64_t i = 0; i < t * n; i++)
        m[i] = 0.01 * rnd_n();
    return m;
}

START_TEST(pbo_skill_and_noise)
{
    const int64_t T = 1600, N = 40;
    double pbo;
    /* One truly better strategy (mean 0.2 sd per period: SR 0.2, t-stat ~ 2 per 100-row block)
     * among noise: it is the in-sample best and stays on top out of sample: PBO near 0. */
    double *m = noise_matrix(T, N, 42);
    for (int64_t t = 0; t < T; t++)
        m[t * N + 7] += 0.002;
    ck_assert_ok(ct_overfit_pbo(m, T, N, 16, &pbo));
    ck_assert_msg(pbo < 0.05, "pbo with a skilled strategy = %g", pbo);
    free(m);
    /* Pure noise: the in-sample winner's out-of-sample rank is uniform, so PBO is near 1/2.
     * One matrix is noisy (its 12870 splits are dependent), so average 8 seeds. */
    double mean = 0.0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        m = noise_matrix(T, N, seed * 7919);
        ck_assert_ok(ct_overfit_pbo(m, T, N, 16, &pbo));
        ck_assert(pbo >= 0.0 && pbo <= 1.0);
        mean += pbo / 8.0;
        free(m);
    }
    ck_assert_msg(fabs(mean - 0.5) < 0.12, "mean pbo on noise = %g", mean);
}
END_TEST

START_TEST(pbo_errors_and_oom)
{
    double pbo, m[40] = {0};
    ck_assert_status(ct_overfit_pbo(NULL, 8, 3, 4, &pbo), CT_E_INVALID_ARG);
    ck_assert_status(ct_overfit_pbo(&k_hand[0][0], 8, 3, 3, &pbo), CT_E_INVALID_ARG); /* odd */
    ck_assert_status(ct_overfit_pbo(&k_hand[0][0], 8, 3, 16, &pbo), CT_E_INVALID_ARG); /* too few rows */
    ck_assert_status(ct_overfit_pbo(&k_hand[0][0], 8, 0, 4, &pbo), CT_E_INVALID_ARG);
    m[13] = NAN;
    ck_assert_status(ct_overfit_pbo(m, 10, 4, 4, &pbo), CT_E_INVALID_ARG);
    ck_assert(strstr(ct_last_error(), "returns[3][1]") != NULL);
    /* a single trial cannot be selected among others: undefined */
    ck_assert_ok(ct_overfit_pbo(m, 10, 1, 4, &pbo));
    ck_assert(isnan(pbo));
    /* zero variance everywhere: no in-sample Sharpe, undefined */
    double z[40] = {0};
    ck_assert_ok(ct_overfit_pbo(z, 10, 4, 4, &pbo));
    ck_assert(isnan(pbo));
    /* allocation failures: every failure point returns CT_E_NOMEM and leaks nothing */
    for (int64_t fail_at = 0;; fail_at++) {
        ct_test_failalloc_install(fail_at);
        ct_status st = ct_overfit_pbo(&k_hand[0][0], 8, 3, 4, &pbo);
        ct_test_failalloc_remove();
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        if (st == CT_OK) {
            ck_assert(ct_test_close(pbo, 1.0 / 3.0, 1e-15));
            break;
        }
        ck_assert_int_eq(st, CT_E_NOMEM);
    }
}
END_TEST

static Suite *overfit_suite(void)
{
    Suite *s = suite_create("overfit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, normal_distribution);
    tcase_add_test(tc, dsr_paper_example);
    tcase_add_test(tc, pbo_hand_case);
    tcase_add_test(tc, pbo_skill_and_noise);
    tcase_add_test(tc, pbo_errors_and_oom);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(overfit_suite()); }
