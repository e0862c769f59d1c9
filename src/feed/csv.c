/*
 * CSV candles: a hand-written reader (in memory, from a file, or from .csv.zst by streaming
 * decompression) and a writer with round-trip-exact numbers.
 *
 * Layouts: `open_time,open,high,low,close,volume` with or without a header, and Binance's
 * 12-column dump (open_time,o,h,l,c,v,close_time,quote_vol,trades,taker_base,taker_quote,
 * ignore) whose extra columns are skipped. Times are integer ms, integer µs (values above
 * 1e14, Binance spot dumps from 2025 on) or ISO-8601. Blank lines and CRLF are tolerated.
 *
 * Numbers: decimal text with at most 19 significant digits and no exponent is parsed into an
 * integer mantissa m and a power of ten; when m < 2^53 and the power is <= 22, m / 10^k (or
 * m * 10^k) is a single correctly rounded IEEE operation on exact operands, so the result is
 * the double strtod would return (Clinger's fast path). Anything else goes to strtod.
 */
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "feed/feed_internal.h"

#define CSV_MAX_LINE (1u << 20)
#define CSV_CHUNK (1u << 20)
#define CSV_MAX_MS 100000000000000LL /* integer times above 1e14 are microseconds */
#define CSV_MAX_HINT ((uint64_t)1 << 30) /* bytes of text the first reservation plans for */

static const double k_exact_p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const char *const k_colnames[6] = {"open_time", "open", "high", "low", "close", "volume"};

/*
 * strtod in the "C" locale whatever the host set with setlocale (a comma decimal point would
 * otherwise misread "1.5e3"); snprintf's output gets the same treatment in fmt_double.
 */
static pthread_once_t g_cloc_once = PTHREAD_ONCE_INIT;
static locale_t g_cloc;
static void cloc_init(void) { g_cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static double c_strtod(const char *s, char **end)
{
    pthread_once(&g_cloc_once, cloc_init);
    if (!g_cloc)
        return strtod(s, end);
    locale_t old = uselocale(g_cloc);
    double v = strtod(s, end);
    uselocale(old);
    return v;
}

/* strtod on a copy of [s, s+len); 1 if the whole field is a number. */
static int slow_double(const char *s, size_t len, double *out)
{
    char tmp[128];
    if (len == 0 || len >= sizeof(tmp))
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    double v = c_strtod(tmp, &end);
    if (end != tmp + len)
        return 0;
    *out = v;
    return 1;
}

/*
 * Parse a decimal number from [*pp, end). Stops at the first character that cannot belong to
 * it. Returns 1 and advances *pp on success, 0 if no number starts there.
 */
static inline int parse_double(const char **pp, const char *end, double *out)
{
    const char *p = *pp, *start = p;
    int neg = 0;
    if (p < end && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        p++;
    }
    uint64_t m = 0;
    int digits = 0, frac = 0, any = 0;
    while (p < end && *p == '0') {
        p++;
        any = 1;
    }
    while (p < end && (unsigned)(*p - '0') < 10) {
        m = m * 10 + (uint64_t)(*p - '0');
        digits++;
        p++;
        any = 1;
    }
    if (p < end && *p == '.') {
        p++;
        if (digits == 0)
            while (p < end && *p == '0') {
                p++;
                frac++;
                any = 1;
            }
        while (p < end && (unsigned)(*p - '0') < 10) {
            m = m * 10 + (uint64_t)(*p - '0');
            digits++;
            frac++;
            p++;
            any = 1;
        }
    }
    if (CT__LIKELY(any && digits <= 19 && m <= (1ULL << 53) && frac <= 22 &&
                   (p >= end || (*p != 'e' && *p != 'E' && *p != 'x' && *p != 'X' && *p != 'n' && *p != 'N' &&
                                 *p != 'i' && *p != 'I')))) {
        double v = (double)m / k_exact_p10[frac];
        *out = neg ? -v : v;
        *pp = p;
        return 1;
    }
    /* slow path: the whole field, whatever it holds, goes to strtod */
    const char *fe = start;
    while (fe < end && *fe != ',' && *fe != ' ' && *fe != '\t')
        fe++;
    if (!slow_double(start, (size_t)(fe - start), out))
        return 0;
    *pp = fe;
    return 1;
}

int ct__csv_parse_double(const char *s, size_t len, double *out)
{
    const char *p = s;
    return parse_double(&p, s + len, out) && p == s + len;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits_n(const char *p, const char *end, int n, int64_t *v)
{
    if (end - p < n)
        return 0;
    int64_t x = 0;
    for (int i = 0; i < n; i++) {
        if ((unsigned)(p[i] - '0') >= 10)
            return 0;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return 1;
}

/* ISO-8601: YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|(+|-)HH[:]MM]. 1 on success. */
static int parse_iso(const char *p, const char *end, int64_t *ms)
{
    int64_t y, mo, d, hh = 0, mi = 0, ss = 0, frac = 0;
    if (!digits_n(p, end, 4, &y) || end - p < 10 || p[4] != '-' || !digits_n(p + 5, end, 2, &mo) || p[7] != '-' ||
        !digits_n(p + 8, end, 2, &d))
        return 0;
    p += 10;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return 0;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    if (p < end && (*p == 'T' || *p == ' ')) {
        p++;
        if (!digits_n(p, end, 2, &hh) || end - p < 5 || p[2] != ':' || !digits_n(p + 3, end, 2, &mi))
            return 0;
        p += 5;
        if (p < end && *p == ':') {
            if (!digits_n(p + 1, end, 2, &ss))
                return 0;
            p += 3;
            if (p < end && *p == '.') {
                p++;
                int nd = 0;
                while (p < end && (unsigned)(*p - '0') < 10) {
                    if (nd < 3)
                        frac = frac * 10 + (*p - '0');
                    else if (*p != '0')
                        return 0; /* sub-millisecond precision would be lost */
                    nd++;
                    p++;
                }
                if (nd == 0)
                    return 0;
                for (; nd < 3; nd++)
                    frac *= 10;
            }
        }
        if (hh > 23 || mi > 59 || ss > 59)
            return 0;
    }
    int64_t off = 0;
    if (p < end && *p == 'Z') {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p == '-' ? -1 : 1;
        int64_t oh, om;
        p++;
        if (!digits_n(p, end, 2, &oh))
            return 0;
        p += 2;
        if (p < end && *p == ':')
            p++;
        if (!digits_n(p, end, 2, &om))
            return 0;
        p += 2;
        if (oh > 23 || om > 59)
            return 0;
        off = sign * (oh * 60 + om) * 60000;
    }
    if (p != end)
        return 0;
    *ms = ((days_from_civil(y, mo, d) * 24 + hh) * 60 + mi) * 60000 + ss * 1000 + frac - off;
    return 1;
}

/* ---- the line parser ---- */

typedef struct {
    ct_feed *f;
    int64_t line;      /* number of the line being parsed (1-based) */
    int ncols;         /* 0 until the first data line fixes it */
    int seen_first;    /* a non-blank line was seen (header decided) */
    int64_t prev_time;
} csv_ctx;

static ct_status bad_field(csv_ctx *c, const char *s, const char *e, int col)
{
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    return ct__fail(NULL, CT_E_FORMAT, "line %lld: '%.*s' is not a number in column %s", (long long)c->line,
                    (int)(e - s > 60 ? 60 : e - s), s, k_colnames[col]);
}

static const char *field_end(const char *p, const char *end)
{
    const char *q = memchr(p, ',', (size_t)(end - p));
    return q ? q : end;
}

static int count_cols(const char *p, const char *end)
{
    int n = 1;
    for (; p < end; p++)
        n += *p == ',';
    return n;
}

static ct_status parse_time_field(csv_ctx *c, const char *p, const char *fe, int64_t *t)
{
    while (p < fe && (*p == ' ' || *p == '\t'))
        p++;
    const char *q = p;
    while (fe > q && (fe[-1] == ' ' || fe[-1] == '\t'))
        fe--;
    uint64_t v = 0;
    int nd = 0;
    while (q < fe && (unsigned)(*q - '0') < 10 && nd < 19) {
        v = v * 10 + (uint64_t)(*q - '0');
        q++;
        nd++;
    }
    if (q == fe && nd > 0) {
        if (v > (uint64_t)INT64_MAX)
            return ct__fail(NULL, CT_E_FORMAT, "line %lld: time %llu is out of range", (long long)c->line,
                            (unsigned long long)v);
        if (v > (uint64_t)CSV_MAX_MS) { /* > 1e14: microseconds */
            if (v % 1000 != 0)
                return ct__fail(NULL, CT_E_FORMAT, "line %lld: microsecond time %llu is not a whole millisecond",
                                (long long)c->line, (unsigned long long)v);
            v /= 1000;
        }
        *t = (int64_t)v;
        return CT_OK;
    }
    if (parse_iso(p, fe, t))
        return CT_OK;
    return ct__fail(NULL, CT_E_FORMAT, "line %lld: '%.*s' is not a time in column open_time (ms, us or ISO-8601)",
                    (long long)c->line, (int)(fe - p > 60 ? 60 : fe - p), p);
}

/* Parse one line [p, end) without its newline (CR already removed). */
static ct_status parse_line(csv_ctx *c, const char *p, const char *end)
{
    const char *s = p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s == end)
        return CT_OK; /* blank line */
    if (!c->seen_first) {
        if (end - s >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF) {
            s += 3; /* UTF-8 byte order mark */
            while (s < end && (*s == ' ' || *s == '\t'))
                s++;
            if (s == end)
                return CT_OK; /* nothing after it: still looking for the first line */
        }
        c->seen_first = 1;
        unsigned char ch = (unsigned char)*s;
        if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') {
            int n = count_cols(s, end);
            if (n != 6 && n != 12)
                return ct__fail(NULL, CT_E_FORMAT, "line %lld: header has %d columns, expected 6 or 12", (long long)c->line, n);
            c->ncols = n;
            return CT_OK;
        }
        p = s;
    }
    ct_feed *f = c->f;
    const char *fe = field_end(p, end);
    int64_t t = 0;
    ct_status st = parse_time_field(c, p, fe, &t);
    if (st != CT_OK)
        return st;
    double v[5];
    p = fe;
    for (int k = 0; k < 5; k++) {
        if (CT__UNLIKELY(p == end)) {
            int n = count_cols(s, end);
            if (c->ncols)
                return ct__fail(NULL, CT_E_FORMAT, "line %lld: expected %d columns, found %d", (long long)c->line,
                                c->ncols, n);
            return ct__fail(NULL, CT_E_FORMAT, "line %lld: expected 6 or 12 columns, found %d", (long long)c->line, n);
        }
        p++; /* the comma */
        const char *q = p;
        while (q < end && *q == ' ')
            q++;
        if (CT__UNLIKELY(!parse_double(&q, end, &v[k])))
            return bad_field(c, p, field_end(p, end), k + 1);
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (CT__UNLIKELY(q < end && *q != ','))
            return bad_field(c, p, field_end(p, end), k + 1);
        p = q;
    }
    int ncols = 6;
    if (p < end) { /* more columns: must be the 12-column dump */
        ncols = 6 + count_cols(p + 1, end);
    }
    if (CT__UNLIKELY(ncols != c->ncols)) {
        if (c->ncols || (ncols != 6 && ncols != 12)) {
            int n = ncols;
            if (c->ncols)
                return ct__fail(NULL, CT_E_FORMAT, "line %lld: expected %d columns, found %d", (long long)c->line,
                                c->ncols, n);
            return ct__fail(NULL, CT_E_FORMAT, "line %lld: expected 6 or 12 columns, found %d", (long long)c->line, n);
        }
        c->ncols = ncols;
    }
    st = ct__feed_check_row(NULL, "line", c->line, c->prev_time, t, v[0], v[1], v[2], v[3], v[4]);
    if (CT__UNLIKELY(st != CT_OK))
        return st;
    if (CT__UNLIKELY(f->n == f->cap) && (st = ct__feed_reserve(f, f->n + 1)) != CT_OK)
        return ct__propagate(NULL, st);
    ct__feed_push(f, t, v[0], v[1], v[2], v[3], v[4]);
    c->prev_time = t;
    return CT_OK;
}

/*
 * Parse every complete line in [buf, buf+len) (and the unterminated last one when `final`).
 * *used gets the bytes consumed.
 */
static ct_status parse_chunk(csv_ctx *c, const char *buf, size_t len, int final, size_t *used)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl && !final)
            break;
        const char *le = nl ? nl : end;
        const char *ce = le;
        if (ce > p && ce[-1] == '\r')
            ce--;
        c->line++;
        ct_status s = parse_line(c, p, ce);
        if (s != CT_OK)
            return s;
        p = nl ? nl + 1 : end;
    }
    *used = (size_t)(p - buf);
    return CT_OK;
}

static ct_status csv_begin(csv_ctx *c, const char *symbol, int64_t interval_ms, size_t size_hint)
{
    memset(c, 0, sizeof(*c));
    c->prev_time = INT64_MIN;
    ct_status s = ct_feed_create(symbol, interval_ms, &c->f);
    if (s != CT_OK)
        return s;
    /* about 60 bytes per candle line: reserve once to avoid most regrowth */
    int64_t guess = (int64_t)(size_hint / 48) + 16;
    if (size_hint && (s = ct__feed_reserve(c->f, guess)) != CT_OK) {
        ct_feed_destroy(c->f);
        c->f = NULL;
        return ct__propagate(NULL, s);
    }
    return CT_OK;
}

static ct_status csv_finish(csv_ctx *c, int32_t gap_policy, const char *what, ct_feed **out)
{
    ct_feed *f = c->f;
    c->f = NULL;
    if (f->interval_ms == 0)
        f->interval_ms = ct__feed_infer_interval(f->time, f->n);
    ct_status s = ct__feed_apply_gap_policy(f, gap_policy);
    if (s != CT_OK) {
        char why[CT__ERRMSG_SIZE];
        snprintf(why, sizeof(why), "%s", f->err.msg);
        ct_feed_destroy(f);
        return what ? ct__fail(NULL, s, "%s: %s", what, why) : ct__fail(NULL, s, "%s", why);
    }
    *out = f;
    return CT_OK;
}

ct_status ct_feed_parse_csv(const char *text, size_t len, const char *symbol, int64_t interval_ms, int32_t gap_policy,
                            ct_feed **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_parse_csv: out must not be NULL");
    *out = NULL;
    if (!text && len)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_parse_csv: text is NULL");
    if (interval_ms < 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_parse_csv: interval_ms %lld is negative", (long long)interval_ms);
    if (gap_policy < CT_GAPS_KEEP || gap_policy > CT_GAPS_ERROR)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_parse_csv: gap_policy %d is not a CT_GAPS_* value", (int)gap_policy);
    csv_ctx c;
    ct_status s = csv_begin(&c, symbol, interval_ms, len);
    if (s != CT_OK)
        return s;
    size_t used;
    if ((s = parse_chunk(&c, text ? text : "", len, 1, &used)) != CT_OK) {
        ct_feed_destroy(c.f);
        return s;
    }
    return csv_finish(&c, gap_policy, NULL, out);
}

/* Read a .csv or .csv.zst file through a bounded buffer. */
ct_status ct__csv_load_file(const char *path, int zst, const char *symbol, int64_t interval_ms, int32_t gap_policy,
                            ct_feed **out)
{
    *out = NULL;
    FILE *fp;
    uint64_t sz;
    ct_status s = ct__feed_open_file(path, &fp, &sz);
    if (s != CT_OK)
        return s;
    /* zstd -19 shrinks candle CSV about 4x; the hint only sizes the first reservation, so it is
     * capped (the columns double as they fill) */
    uint64_t hint = sz * (zst ? 4 : 1);
    if (hint > CSV_MAX_HINT)
        hint = CSV_MAX_HINT;
    csv_ctx c;
    s = csv_begin(&c, symbol, interval_ms, (size_t)hint);
    if (s != CT_OK) {
        fclose(fp);
        return s;
    }
    ZSTD_DCtx *dz = NULL;
    size_t in_cap = zst ? ZSTD_DStreamInSize() : 0;
    char *buf = ct__malloc(CSV_CHUNK);
    uint8_t *in = zst ? ct__malloc(in_cap) : NULL;
    if (zst)
        dz = ZSTD_createDCtx();
    if (!buf || (zst && (!in || !dz))) {
        s = ct__fail(NULL, CT_E_NOMEM, "out of memory reading '%s'", path);
        goto out;
    }
    size_t have = 0;   /* bytes of text in buf */
    ZSTD_inBuffer zin = {in, 0, 0};
    int eof = 0, in_eof = 0;
    size_t last_ret = 0;
    uint64_t in_total = 0; /* compressed bytes read: none is no zstd frame at all */
    for (;;) {
        /* fill buf after the carried-over partial line */
        if (!zst) {
            size_t got = fread(buf + have, 1, CSV_CHUNK - have, fp);
            have += got;
            if (got == 0) {
                if (ferror(fp)) {
                    s = ct__fail(NULL, CT_E_IO, "read error on '%s'", path);
                    goto out;
                }
                eof = 1;
            }
        } else {
            while (have < CSV_CHUNK) {
                if (zin.pos == zin.size && !in_eof) {
                    size_t got = fread(in, 1, in_cap, fp);
                    if (got == 0) {
                        if (ferror(fp)) {
                            s = ct__fail(NULL, CT_E_IO, "read error on '%s'", path);
                            goto out;
                        }
                        in_eof = 1;
                    } else {
                        zin.src = in;
                        zin.size = got;
                        zin.pos = 0;
                        in_total += got;
                    }
                }
                /* with the input used up this still flushes output the decoder holds back */
                ZSTD_outBuffer zout = {buf, CSV_CHUNK, have};
                size_t in_before = zin.pos;
                size_t r = ZSTD_decompressStream(dz, &zout, &zin);
                if (ZSTD_isError(r)) {
                    s = ct__fail(NULL, CT_E_CORRUPT, "'%s': zstd stream is corrupt: %s", path, ZSTD_getErrorName(r));
                    goto out;
                }
                int progressed = zout.pos > have;
                if (progressed || zin.pos > in_before)
                    last_ret = r; /* 0 once a frame is complete and flushed */
                have = zout.pos;
                if (in_eof && zin.pos == zin.size && !progressed) {
                    eof = 1;
                    break;
                }
            }
            if (eof && (last_ret != 0 || in_total == 0)) {
                /* an empty file too: `zstd -d` calls it an unexpected end of file, and it is
                 * what a download or copy cut at byte 0 leaves, not an empty candle table */
                s = ct__fail(NULL, CT_E_CORRUPT, "'%s': zstd stream is truncated%s", path,
                             in_total == 0 ? " (the file is empty)" : "");
                goto out;
            }
        }
        size_t used = 0;
        if ((s = parse_chunk(&c, buf, have, eof, &used)) != CT_OK) {
            char why[CT__ERRMSG_SIZE];
            snprintf(why, sizeof(why), "%s", ct_last_error());
            s = ct__fail(NULL, s, "%s: %s", path, why);
            goto out;
        }
        if (eof)
            break;
        if (used == 0 && have == CSV_CHUNK) {
            s = ct__fail(NULL, CT_E_FORMAT, "%s: line %lld is longer than %u bytes", path, (long long)c.line + 1,
                         CSV_MAX_LINE);
            goto out;
        }
        memmove(buf, buf + used, have - used);
        have -= used;
    }
out:
    fclose(fp);
    ZSTD_freeDCtx(dz);
    ct__free(buf);
    ct__free(in);
    if (s != CT_OK) {
        ct_feed_destroy(c.f);
        return s;
    }
    return csv_finish(&c, gap_policy, path, out);
}

/* ---- writer ---- */

/*
 * Shortest decimal that reads back as exactly v. Values that are m / 10^k for a small k are
 * printed from the integer (fast and shortest); others try %.15g, %.16g, %.17g in turn.
 */
static int fmt_double(char *dst, double v)
{
    if (v >= 0 && v < 9e15) {
        for (int k = 0; k <= 12; k++) {
            double x = v * k_exact_p10[k];
            if (x >= 9007199254740992.0)
                break;
            int64_t m = llround(x);
            double back = (double)m / k_exact_p10[k];
            if (memcmp(&back, &v, sizeof(v)) == 0) {
                char digs[24];
                int nd = snprintf(digs, sizeof(digs), "%lld", (long long)m);
                if (k == 0) { /* integral: "298.0", as Python's repr and the shared data files */
                    memcpy(dst, digs, (size_t)nd);
                    memcpy(dst + nd, ".0", 3);
                    return nd + 2;
                }
                char *o = dst;
                if (nd <= k) {
                    *o++ = '0';
                    *o++ = '.';
                    for (int i = nd; i < k; i++)
                        *o++ = '0';
                    memcpy(o, digs, (size_t)nd);
                    o += nd;
                } else {
                    memcpy(o, digs, (size_t)(nd - k));
                    o += nd - k;
                    *o++ = '.';
                    memcpy(o, digs + nd - k, (size_t)k);
                    o += k;
                }
                *o = '\0';
                return (int)(o - dst);
            }
        }
    }
    for (int prec = 15; prec <= 17; prec++) {
        int n = snprintf(dst, 32, "%.*g", prec, v);
        for (int i = 0; i < n; i++)
            if (dst[i] == ',') /* a host locale's decimal comma */
                dst[i] = '.';
        if (prec == 17 || c_strtod(dst, NULL) == v)
            return n;
    }
    return 0;
}

typedef struct {
    FILE *fp;
    ZSTD_CCtx *cz;
    char *buf;
    size_t n, cap;
    uint8_t *zbuf;
    size_t zcap;
} wr_t;

static ct_status wr_flush(wr_t *w, int end)
{
    if (!w->cz) {
        if (w->n && fwrite(w->buf, 1, w->n, w->fp) != w->n)
            return ct__fail(NULL, CT_E_IO, "write error: %s", strerror(errno));
        w->n = 0;
        return CT_OK;
    }
    ZSTD_inBuffer in = {w->buf, w->n, 0};
    for (;;) {
        ZSTD_outBuffer out = {w->zbuf, w->zcap, 0};
        size_t r = ZSTD_compressStream2(w->cz, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(r))
            return ct__fail(NULL, CT_E_INTERNAL, "zstd compression failed: %s", ZSTD_getErrorName(r));
        if (out.pos && fwrite(w->zbuf, 1, out.pos, w->fp) != out.pos)
            return ct__fail(NULL, CT_E_IO, "write error: %s", strerror(errno));
        if (end ? r == 0 : in.pos == in.size)
            break;
    }
    w->n = 0;
    return CT_OK;
}

ct_status ct__csv_write(const ct_feed *f, FILE *fp, int zst)
{
    /* The reader takes an integer time above 1e14 as microseconds and has no negative times, so
     * such a time would load back wrong (divided by 1000) or not at all: refuse it up front. */
    for (int64_t i = 0; i < f->n; i++)
        if (f->time[i] < 0 || f->time[i] > CSV_MAX_MS)
            return ct__fail(NULL, CT_E_RANGE,
                            "row %lld: time %lld cannot be written as CSV, which reads integer times from 0 to "
                            "%lld as milliseconds (larger ones as microseconds, negative ones not at all); "
                            "save as .ctz instead", (long long)i, (long long)f->time[i], (long long)CSV_MAX_MS);
    wr_t w = {fp, NULL, NULL, 0, 1u << 16, NULL, 0};
    ct_status s = CT_OK;
    w.buf = ct__malloc(w.cap);
    if (zst) {
        w.cz = ZSTD_createCCtx();
        w.zcap = ZSTD_CStreamOutSize();
        w.zbuf = ct__malloc(w.zcap);
    }
    if (!w.buf || (zst && (!w.cz || !w.zbuf))) {
        s = ct__fail(NULL, CT_E_NOMEM, "out of memory writing CSV");
        goto out;
    }
    if (zst)
        ZSTD_CCtx_setParameter(w.cz, ZSTD_c_compressionLevel, 19);
    static const char hdr[] = "open_time,open,high,low,close,volume\n";
    memcpy(w.buf, hdr, sizeof(hdr) - 1);
    w.n = sizeof(hdr) - 1;
    for (int64_t i = 0; i < f->n; i++) {
        if (w.cap - w.n < 256 && (s = wr_flush(&w, 0)) != CT_OK)
            goto out;
        char *o = w.buf + w.n;
        o += snprintf(o, 24, "%lld", (long long)f->time[i]);
        const double vals[5] = {f->open[i], f->high[i], f->low[i], f->close[i], f->volume[i]};
        for (int k = 0; k < 5; k++) {
            *o++ = ',';
            o += fmt_double(o, vals[k]);
        }
        *o++ = '\n';
        w.n = (size_t)(o - w.buf);
    }
    s = wr_flush(&w, 1);
out:
    ZSTD_freeCCtx(w.cz);
    ct__free(w.buf);
    ct__free(w.zbuf);
    return s;
}
