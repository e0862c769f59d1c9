/*
 * A dedicated parser for Binance kline arrays: `[[open_time,"o","h","l","c","v",close_time,...],...]`.
 *
 * Building a cJSON tree for a 1000-row page costs about 12,000 allocations; this scans the text
 * once and writes columns. Prices and volumes arrive as decimal strings and must become exactly
 * the double strtod would give: when the digits fit in 2^53 and there are at most 22 decimals,
 * m / 10^k is one correctly rounded IEEE division of two exact values (Clinger's fast path),
 * which is the correctly rounded result; anything else goes through strtod.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/fetch_internal.h"

static const double k_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int is_digit(char ch) { return (unsigned)(ch - '0') < 10; }

/*
 * Length of the number at p (0 if none): JSON's grammar, -?int(.digits)?([eE][+-]?digits)?, where
 * int is 0 or a digit string without a leading zero; inside a string (leading_zeros) the integer
 * part may have leading zeros. So "+1", "1.", ".5", "1e" and "0x10" are not numbers.
 */
static size_t number_len(const char *p, const char *e, int leading_zeros)
{
    const char *q = p;
    if (q < e && *q == '-')
        q++;
    if (q >= e || !is_digit(*q))
        return 0;
    if (*q == '0' && !leading_zeros)
        q++;
    else
        while (q < e && is_digit(*q))
            q++;
    if (q < e && *q == '.') {
        q++;
        if (q >= e || !is_digit(*q))
            return 0;
        while (q < e && is_digit(*q))
            q++;
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < e && (*q == '+' || *q == '-'))
            q++;
        if (q >= e || !is_digit(*q))
            return 0;
        while (q < e && is_digit(*q))
            q++;
    }
    return (size_t)(q - p);
}

static int slow_strtod(const char *s, size_t len, double *out)
{
    char buf[128];
    char *end;
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    /* strtod also takes "inf", "nan", hex, "+1", "1." and leading spaces: decimal numbers only */
    if (number_len(s, s + len, 1) != len)
        return -1;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + len || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

int ct__dec_to_double(const char *s, size_t len, double *out)
{
    const char *p = s;
    const char *e = s + len;
    int neg = 0;
    uint64_t m = 0;
    int digits = 0;
    int frac = 0;
    int seen_dot = 0;
    int any = 0;
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    for (; p < e; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d < 10) {
            any = 1;
            if (m == 0 && d == 0) {
                if (seen_dot)
                    frac++;
                continue; /* leading zeros do not count as significant digits */
            }
            if (++digits > 19)
                return slow_strtod(s, len, out);
            m = m * 10 + d;
            if (seen_dot)
                frac++;
        } else if (*p == '.' && !seen_dot) {
            seen_dot = 1;
        } else {
            return slow_strtod(s, len, out); /* exponent or junk: let strtod decide */
        }
    }
    if (!any || number_len(s, e, 1) != len) /* e.g. "1." or ".5" */
        return -1;
    while (m > (UINT64_C(1) << 53) && frac > 0 && m % 10 == 0) {
        m /= 10;
        frac--;
    }
    if (m > (UINT64_C(1) << 53) || frac > 22)
        return slow_strtod(s, len, out);
    double v = (double)m / k_pow10[frac];
    *out = neg ? -v : v;
    return 0;
}

ct_status ct__rows_reserve(ct__rows *r, int64_t need)
{
    if (need <= r->cap)
        return CT_OK;
    int64_t cap = r->cap ? r->cap : 1024;
    while (cap < need)
        cap *= 2;
    int64_t *t = ct__realloc(r->t, (size_t)cap * sizeof(*t));
    if (t)
        r->t = t;
    int64_t *ct = ct__realloc(r->ct, (size_t)cap * sizeof(*ct));
    if (ct)
        r->ct = ct;
    double **cols[5] = {&r->o, &r->h, &r->l, &r->c, &r->v};
    int ok = t && ct;
    for (int i = 0; i < 5; i++) {
        double *p = ct__realloc(*cols[i], (size_t)cap * sizeof(double));
        if (p)
            *cols[i] = p;
        else
            ok = 0;
    }
    if (!ok)
        return ct__fail(NULL, CT_E_NOMEM, "out of memory growing kline rows to %lld", (long long)cap);
    r->cap = cap;
    return CT_OK;
}

void ct__rows_free(ct__rows *r)
{
    ct__free(r->t);
    ct__free(r->ct);
    ct__free(r->o);
    ct__free(r->h);
    ct__free(r->l);
    ct__free(r->c);
    ct__free(r->v);
    memset(r, 0, sizeof(*r));
}

typedef struct {
    const char *s;
    const char *p;
    const char *e;
} cursor;

static inline void skip_ws(cursor *c)
{
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

static inline int expect(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->e && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A JSON integer (open/close time, trade count). */
static int parse_int(cursor *c, int64_t *out)
{
    skip_ws(c);
    const char *p = c->p;
    int neg = 0;
    if (p < c->e && *p == '-') {
        neg = 1;
        p++;
    }
    const char *d0 = p;
    uint64_t v = 0;
    while (p < c->e && (unsigned)(*p - '0') < 10) {
        if (p - d0 >= 18)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
    }
    if (p == d0 || (*d0 == '0' && p - d0 > 1)) /* JSON has no leading zeros */
        return -1;
    if (p < c->e && (*p == '.' || *p == 'e' || *p == 'E'))
        return -1;
    c->p = p;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

/* A decimal string "123.45" (or a bare JSON number) converted exactly. */
static int parse_dec(cursor *c, double *out)
{
    skip_ws(c);
    if (c->p >= c->e)
        return -1;
    if (*c->p == '"') {
        const char *b = c->p + 1;
        const char *q = memchr(b, '"', (size_t)(c->e - b));
        if (!q)
            return -1;
        if (ct__dec_to_double(b, (size_t)(q - b), out) != 0)
            return -1;
        c->p = q + 1;
        return 0;
    }
    const char *b = c->p;
    size_t nl = number_len(b, c->e, 0);
    if (nl == 0 || (b + nl < c->e && (is_digit(b[nl]) || b[nl] == '.')) || ct__dec_to_double(b, nl, out) != 0)
        return -1;
    c->p = b + nl;
    return 0;
}

/* Any JSON scalar we do not use (string with escapes, number, true/false/null). */
static int skip_scalar(cursor *c)
{
    skip_ws(c);
    if (c->p >= c->e)
        return -1;
    if (*c->p == '"') {
        const char *q = c->p + 1;
        while (q < c->e && *q != '"') {
            if (*q == '\\')
                q++;
            q++;
        }
        if (q >= c->e)
            return -1;
        c->p = q + 1;
        return 0;
    }
    /* a JSON number or literal, followed by a delimiter */
    const char *b = c->p;
    size_t nl = number_len(b, c->e, 0);
    static const char *const lit[3] = {"true", "false", "null"};
    for (int i = 0; i < 3 && nl == 0; i++) {
        size_t ll = strlen(lit[i]);
        if ((size_t)(c->e - b) >= ll && memcmp(b, lit[i], ll) == 0)
            nl = ll;
    }
    if (nl == 0)
        return -1;
    const char *q = b + nl;
    if (q < c->e && *q != ',' && *q != ']' && *q != ' ' && *q != '\n' && *q != '\r' && *q != '\t')
        return -1;
    c->p = q;
    return 0;
}

ct_status ct__klines_parse_rows(ct__err *err, const char *body, size_t len, ct__rows *out, int64_t *n_rows)
{
    *n_rows = 0;
    if (!body)
        return ct__fail(err, CT_E_FORMAT, "kline response: empty body");
    cursor c = {body, body, body + len};
    int64_t n0 = out->n;
    const char *what = "'['";
    if (!expect(&c, '['))
        goto bad;
    if (expect(&c, ']'))
        goto end;
    for (;;) {
        int64_t t, ct;
        double v[5];
        what = "'[' opening a kline row";
        if (!expect(&c, '['))
            goto bad;
        what = "an integer open time (field 0)";
        if (parse_int(&c, &t) != 0)
            goto bad;
        for (int i = 0; i < 5; i++) {
            what = "',' between fields";
            if (!expect(&c, ','))
                goto bad;
            what = "a decimal string price or volume (fields 1-5)";
            if (parse_dec(&c, &v[i]) != 0)
                goto bad;
        }
        what = "',' between fields";
        if (!expect(&c, ','))
            goto bad;
        what = "an integer close time (field 6)";
        if (parse_int(&c, &ct) != 0)
            goto bad;
        /* fields 7..: quote volume, trades, taker volumes, ignore; tolerated but unused */
        while (expect(&c, ',')) {
            what = "a JSON scalar (fields 7-11)";
            if (skip_scalar(&c) != 0)
                goto bad;
        }
        what = "']' closing a kline row";
        if (!expect(&c, ']'))
            goto bad;
        if (out->n >= out->cap && ct__rows_reserve(out, out->n + 1) != CT_OK) {
            out->n = n0;
            return ct__propagate(err, CT_E_NOMEM);
        }
        int64_t i = out->n++;
        out->t[i] = t;
        out->ct[i] = ct;
        out->o[i] = v[0];
        out->h[i] = v[1];
        out->l[i] = v[2];
        out->c[i] = v[3];
        out->v[i] = v[4];
        if (expect(&c, ','))
            continue;
        what = "',' or ']' after a kline row";
        if (!expect(&c, ']'))
            goto bad;
        break;
    }
end:
    skip_ws(&c);
    if (c.p != c.e) {
        what = "the end of the body";
        goto bad;
    }
    *n_rows = out->n - n0;
    return CT_OK;
bad:
    out->n = n0;
    if (c.p >= c.e || !memchr(c.p, ']', (size_t)(c.e - c.p)))
        return ct__fail(err, CT_E_FORMAT, "kline response truncated: body ends at byte %zu while expecting %s", len,
                        what);
    return ct__fail(err, CT_E_FORMAT, "malformed kline response at byte %zu: expected %s", (size_t)(c.p - c.s), what);
}

ct_status ct_klines_parse(const char *body, size_t len, int64_t *open_time, double *open, double *high, double *low,
                          double *close, double *volume, int64_t *close_time, int64_t cap, int64_t *n)
{
    ct__rows r = {0};
    int64_t got = 0;
    if (n)
        *n = 0;
    if (!body || !n || cap < 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_klines_parse: %s", !body ? "body is NULL" : !n ? "n is NULL" : "cap < 0");
    if (cap > 0 && (!open_time || !open || !high || !low || !close || !volume))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_klines_parse: an output column is NULL with cap > 0");
    ct_status s = ct__klines_parse_rows(NULL, body, len, &r, &got);
    if (s != CT_OK) {
        ct__rows_free(&r);
        return s;
    }
    *n = got;
    if (got > cap && cap > 0) {
        ct__rows_free(&r);
        return ct__fail(NULL, CT_E_RANGE, "ct_klines_parse: %lld rows do not fit cap %lld", (long long)got,
                        (long long)cap);
    }
    if (cap > 0 && got > 0) {
        size_t bi = (size_t)got * sizeof(int64_t), bd = (size_t)got * sizeof(double);
        memcpy(open_time, r.t, bi);
        if (close_time)
            memcpy(close_time, r.ct, bi);
        memcpy(open, r.o, bd);
        memcpy(high, r.h, bd);
        memcpy(low, r.l, bd);
        memcpy(close, r.c, bd);
        memcpy(volume, r.v, bd);
    }
    ct__rows_free(&r);
    return CT_OK;
}
