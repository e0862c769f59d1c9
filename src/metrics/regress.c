/*
 * Multi-factor regression of an equity curve's returns on several benchmark return series
 * (ct_metrics_factor_regression): ordinary least squares with an intercept by LAPACKE_dgels (QR),
 * the residual sum of squares from dgels' output for R^2.
 */
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "metrics/metrics_internal.h"

/* Levels of the equity (factor -1) or of factor j, with their times when t is given. */
static ct_status check_levels(int32_t factor, const int64_t *t, const double *v, int64_t n)
{
    char what[40];
    if (factor < 0)
        snprintf(what, sizeof(what), "equity");
    else
        snprintf(what, sizeof(what), "factor %d", (int)factor);
    for (int64_t i = 0; i < n; i++) {
        if (!(isfinite(v[i]) && v[i] > 0))
            return ct__fail(NULL, CT_E_DATA, "ct_metrics_factor_regression: %s row %lld: value %g is not finite and > 0",
                            what, (long long)i, v[i]);
        if (t && i > 0 && t[i] <= t[i - 1])
            return ct__fail(NULL, CT_E_DATA,
                            "ct_metrics_factor_regression: %s row %lld: time %lld is not after the previous row's %lld",
                            factor < 0 ? "equity" : "factor_time", (long long)i, (long long)t[i], (long long)t[i - 1]);
    }
    return CT_OK;
}

ct_status ct_metrics_factor_regression(const int64_t *time_ms, const double *equity, int64_t n,
                                       const int64_t *factor_time, const double *const *factor_values, int32_t k,
                                       int64_t nf, double periods_per_year, double *alpha, double *betas,
                                       double *r_squared, int64_t *n_used)
{
    if (!time_ms || !equity || !factor_time || !factor_values || k < 1 || n < 0 || nf < 0 ||
        !(periods_per_year > 0) || !isfinite(periods_per_year))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_metrics_factor_regression: %s",
                        (!time_ms || !equity) ? "NULL equity arrays" : (!factor_time || !factor_values) ? "NULL factor arrays" :
                        k < 1 ? "k < 1" : (n < 0 || nf < 0) ? "negative length" : "periods_per_year must be > 0");
    for (int32_t j = 0; j < k; j++)
        if (!factor_values[j])
            return ct__fail(NULL, CT_E_INVALID_ARG, "ct_metrics_factor_regression: factor_values[%d] is NULL", (int)j);
    ct_status st = check_levels(-1, time_ms, equity, n);
    for (int32_t j = 0; st == CT_OK && j < k; j++)
        st = check_levels(j, j == 0 ? factor_time : NULL, factor_values[j], nf);
    if (st != CT_OK)
        return st;

    /* count the aligned returns (inner join on the time of the later point) */
    int64_t m = 0;
    for (int64_t i = 1, f = 0; i < n; i++) {
        while (f < nf && factor_time[f] < time_ms[i])
            f++;
        if (f < nf && f > 0 && factor_time[f] == time_ms[i])
            m++;
    }
    const int64_t p = (int64_t)k + 1;
    if (m < p + 1)
        return ct__fail(NULL, CT_E_DATA, "ct_metrics_factor_regression: %lld aligned returns, need at least %lld",
                        (long long)m, (long long)(p + 1));
    if (m > (int64_t)INT32_MAX / p)
        return ct__fail(NULL, CT_E_RANGE, "ct_metrics_factor_regression: %lld aligned returns is too many for LAPACK",
                        (long long)m);
    double *X = ct__malloc_array((size_t)(m * p), sizeof(double));
    double *y = ct__malloc_array((size_t)m, sizeof(double));
    if (!X || !y) {
        ct__free(X);
        ct__free(y);
        return ct__fail(NULL, CT_E_NOMEM, "ct_metrics_factor_regression: out of memory for %lld x %lld", (long long)m,
                        (long long)p);
    }
    /* column-major design matrix: column 0 the intercept, column j+1 factor j */
    int64_t row = 0;
    for (int64_t i = 1, f = 0; i < n; i++) {
        while (f < nf && factor_time[f] < time_ms[i])
            f++;
        if (!(f < nf && f > 0 && factor_time[f] == time_ms[i]))
            continue;
        y[row] = (equity[i] - equity[i - 1]) / equity[i - 1];
        X[row] = 1.0;
        for (int32_t j = 0; j < k; j++) {
            const double *v = factor_values[j];
            X[(int64_t)(j + 1) * m + row] = (v[f] - v[f - 1]) / v[f - 1];
        }
        row++;
    }
    double ymean = 0;
    for (int64_t i = 0; i < m; i++)
        ymean += y[i];
    ymean /= (double)m;
    double sst = 0;
    for (int64_t i = 0; i < m; i++)
        sst += (y[i] - ymean) * (y[i] - ymean);

    lapack_int info = LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', (lapack_int)m, (lapack_int)p, 1, X, (lapack_int)m, y,
                                    (lapack_int)m);
    if (info != 0) {
        ct__free(X);
        ct__free(y);
        if (info > 0)
            return ct__fail(NULL, CT_E_DATA, "ct_metrics_factor_regression: the factors are collinear (rank-deficient design)");
        return ct__fail(NULL, CT_E_INTERNAL, "ct_metrics_factor_regression: LAPACKE_dgels failed (%d)", (int)info);
    }
    /* exact or near collinearity leaves a negligible diagonal in R (dgels only flags exact zeros) */
    double rmax = 0, rmin = CT__INF;
    for (int64_t j = 0; j < p; j++) {
        double d = fabs(X[j * m + j]);
        rmax = d > rmax ? d : rmax;
        rmin = d < rmin ? d : rmin;
    }
    if (!(rmin > rmax * 1e-10)) {
        ct__free(X);
        ct__free(y);
        return ct__fail(NULL, CT_E_DATA, "ct_metrics_factor_regression: the factors are collinear (rank-deficient design)");
    }
    double ssr = 0;
    for (int64_t i = p; i < m; i++)
        ssr += y[i] * y[i];
    if (alpha)
        *alpha = pow(1.0 + y[0], periods_per_year) - 1.0;
    if (betas)
        for (int32_t j = 0; j < k; j++)
            betas[j] = y[j + 1];
    if (r_squared)
        *r_squared = sst > 0 ? 1.0 - ssr / sst : CT__NaN;
    if (n_used)
        *n_used = m;
    ct__free(X);
    ct__free(y);
    return CT_OK;
}
