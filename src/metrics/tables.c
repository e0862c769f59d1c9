/*
 * Helpers of the metrics module: a growable string builder (result JSON, HTML report), UTC
 * calendar arithmetic, the drawdown table, monthly returns and day-end resampling.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "metrics/metrics_internal.h"

/* ---- string builder ---- */

void ct__sb_init(ct__sb *b)
{
    memset(b, 0, sizeof(*b));
}

void ct__sb_free(ct__sb *b)
{
    ct__free(b->buf);
    memset(b, 0, sizeof(*b));
}

int ct__sb_reserve(ct__sb *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = ct__realloc(b->buf, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->buf = p;
    b->cap = cap;
    return 1;
}

void ct__sb_put(ct__sb *b, const char *s, size_t n)
{
    if (!ct__sb_reserve(b, n))
        return;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

void ct__sb_puts(ct__sb *b, const char *s)
{
    ct__sb_put(b, s, strlen(s));
}

void ct__sb_printf(ct__sb *b, const char *fmt, ...)
{
    va_list ap;
    char tmp[256];
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    if ((size_t)k < sizeof(tmp)) {
        ct__sb_put(b, tmp, (size_t)k);
        return;
    }
    if (!ct__sb_reserve(b, (size_t)k))
        return;
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)k;
}

void ct__sb_num(ct__sb *b, double v)
{
    if (!isfinite(v)) {
        ct__sb_put(b, "null", 4);
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        ct__sb_int(b, (int64_t)v);
        return;
    }
    char tmp[40];
    int k = snprintf(tmp, sizeof(tmp), "%.17g", v);
    ct__sb_put(b, tmp, (size_t)k);
}

void ct__sb_int(ct__sb *b, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    ct__sb_put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void ct__sb_jstr(ct__sb *b, const char *s)
{
    if (!s) {
        ct__sb_put(b, "null", 4);
        return;
    }
    ct__sb_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            ct__sb_put(b, e, 2);
        } else if (ch < 0x20) {
            char e[8];
            int k = snprintf(e, sizeof(e), "\\u%04x", ch);
            ct__sb_put(b, e, (size_t)k);
        } else {
            ct__sb_put(b, (const char *)p, 1);
        }
    }
    ct__sb_put(b, "\"", 1);
}

void ct__sb_html(ct__sb *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': ct__sb_puts(b, "&lt;"); break;
        case '>': ct__sb_puts(b, "&gt;"); break;
        case '&': ct__sb_puts(b, "&amp;"); break;
        case '"': ct__sb_puts(b, "&quot;"); break;
        default: ct__sb_put(b, s, 1); break;
        }
    }
}

/* ---- calendar ---- */

/* Howard Hinnant's civil_from_days (proleptic Gregorian, UTC). */
void ct__civil_from_days(int64_t z, int32_t *y, int32_t *m, int32_t *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int32_t)(yy + (mm <= 2));
    *m = (int32_t)mm;
    *d = (int32_t)dd;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* ---- drawdown table ---- */

int64_t ct__drawdown_top(const double *equity, int64_t n, ct__dd_period *out, int64_t k)
{
    int64_t have = 0;
    if (n <= 0 || k <= 0)
        return 0;
    double peak = equity[0];
    int64_t peak_i = 0, trough_i = 0;
    double depth = 0;
    int in_dd = 0;
    for (int64_t i = 1; i <= n; i++) {
        int closing = i == n ? in_dd : (in_dd && equity[i] >= peak);
        if (closing) {
            ct__dd_period p = {peak_i, trough_i, i == n ? -1 : i, depth};
            /* insert into the k deepest, deepest first (stable: earlier wins ties) */
            int64_t pos = have;
            while (pos > 0 && out[pos - 1].depth > p.depth)
                pos--;
            if (pos < k) {
                int64_t last = have < k ? have : k - 1;
                for (int64_t j = last; j > pos; j--)
                    out[j] = out[j - 1];
                out[pos] = p;
                if (have < k)
                    have++;
            }
            in_dd = 0;
        }
        if (i == n)
            break;
        if (equity[i] >= peak) {
            peak = equity[i];
            peak_i = i;
        } else {
            double dd = (equity[i] - peak) / peak;
            if (!in_dd || dd < depth) {
                depth = dd;
                trough_i = i;
            }
            in_dd = 1;
        }
    }
    return have;
}

/* ---- monthly returns ---- */

ct_status ct__monthly_returns(const int64_t *time, const double *equity, int64_t n, int64_t **keys,
                              double **rets, int64_t *count)
{
    *keys = NULL;
    *rets = NULL;
    *count = 0;
    if (n <= 0)
        return CT_OK;
    int32_t y, mo, d;
    /* count months first (the calendar is only consulted when the UTC day changes) */
    int64_t months = 0, prev_key = INT64_MIN, day_of_key = INT64_MIN, key = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t day = floor_div(time[i], 86400000);
        if (day != day_of_key) {
            ct__civil_from_days(day, &y, &mo, &d);
            key = (int64_t)y * 12 + (mo - 1);
            day_of_key = day;
        }
        if (key != prev_key) {
            months++;
            prev_key = key;
        }
    }
    int64_t *kk = ct__malloc_array((size_t)months, sizeof(int64_t));
    double *rr = ct__malloc_array((size_t)months, sizeof(double));
    if (!kk || !rr) {
        ct__free(kk);
        ct__free(rr);
        return ct__fail(NULL, CT_E_NOMEM, "metrics: out of memory for %lld monthly returns", (long long)months);
    }
    int64_t j = -1;
    double base = equity[0];
    prev_key = INT64_MIN;
    day_of_key = INT64_MIN;
    for (int64_t i = 0; i < n; i++) {
        int64_t day = floor_div(time[i], 86400000);
        if (day != day_of_key) {
            ct__civil_from_days(day, &y, &mo, &d);
            key = (int64_t)y * 12 + (mo - 1);
            day_of_key = day;
        }
        if (key != prev_key) {
            if (j >= 0)
                base = equity[i - 1];
            j++;
            kk[j] = key;
            prev_key = key;
        }
        rr[j] = equity[i] / base - 1.0;
    }
    *keys = kk;
    *rets = rr;
    *count = months;
    return CT_OK;
}

/* ---- day-end resampling ---- */

ct_status ct__resample_daily(const int64_t *time, const double *v, int64_t n, int64_t **out_time,
                             double **out_v, int64_t *out_n)
{
    *out_time = NULL;
    *out_v = NULL;
    *out_n = 0;
    int64_t days = 0, prev = INT64_MIN;
    for (int64_t i = 0; i < n; i++) {
        int64_t day = floor_div(time[i], 86400000);
        if (day != prev) {
            days++;
            prev = day;
        }
    }
    if (days == 0)
        return CT_OK;
    int64_t *tt = ct__malloc_array((size_t)days, sizeof(int64_t));
    double *vv = ct__malloc_array((size_t)days, sizeof(double));
    if (!tt || !vv) {
        ct__free(tt);
        ct__free(vv);
        return ct__fail(NULL, CT_E_NOMEM, "metrics: out of memory resampling %lld days", (long long)days);
    }
    int64_t j = -1;
    prev = INT64_MIN;
    for (int64_t i = 0; i < n; i++) {
        int64_t day = floor_div(time[i], 86400000);
        if (day != prev) {
            j++;
            tt[j] = day * 86400000;
            prev = day;
        }
        vv[j] = v[i]; /* the last value of the day wins */
    }
    *out_time = tt;
    *out_v = vv;
    *out_n = days;
    return CT_OK;
}

/* ---- downsampling that keeps the extremes ---- */

int64_t ct__downsample(const double *v, int64_t n, int64_t max_points, int64_t *idx)
{
    if (n <= 0)
        return 0;
    if (max_points <= 0 || max_points >= n) {
        for (int64_t i = 0; i < n; i++)
            idx[i] = i;
        return n;
    }
    if (max_points < 2)
        max_points = 2; /* the first and the last point (idx must hold 2) */
    int64_t k = 0;
    idx[k++] = 0;
    int64_t buckets = (max_points - 2) / 2;
    int64_t inner = n - 2; /* points 1..n-2 */
    for (int64_t b = 0; b < buckets && inner > 0; b++) {
        int64_t lo = 1 + (inner * b) / buckets, hi = 1 + (inner * (b + 1)) / buckets; /* [lo, hi) */
        if (hi <= lo)
            continue;
        int64_t imin = lo, imax = lo;
        for (int64_t i = lo + 1; i < hi; i++) {
            if (v[i] < v[imin])
                imin = i;
            if (v[i] > v[imax])
                imax = i;
        }
        int64_t a = imin < imax ? imin : imax, c = imin < imax ? imax : imin;
        idx[k++] = a;
        if (c != a)
            idx[k++] = c;
    }
    idx[k++] = n - 1;
    return k;
}
