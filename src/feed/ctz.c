/*
 * The .ctz candle store (DESIGN.md section 3; byte layout in docs/ctz-format.md).
 *
 * A fixed header (magic, version, flags, rows, interval, symbol) protected by a 64-bit
 * XXH64 hash, then blocks of up to CTZ_BLOCK_ROWS rows. Each block is one zstd frame holding
 * the columns one after the other:
 *   time     zigzag varints of (t[i] - t[i-1] - interval), t[-1] = 0 and the first delta
 *            taken as t[0] - 0 - interval;
 *   prices   with one decimal scale k for open/high/low/close when every price of the block is
 *            exactly m / 10^k (checked at write time with the reader's arithmetic):
 *            close as deltas of the integer close, open as its difference to the previous
 *            close (0 nearly always on Binance), high as high - max(open, close) and low as
 *            min(open, close) - low (both >= 0); otherwise the four columns as raw doubles;
 *   volume   the integer m (scale of its own) or raw doubles;
 *   filled   one byte per row when the feed has CT_GAPS_FILL flags.
 * Every integer stream is then split into byte planes per column (fixed width per block,
 * transposed) which zstd compresses much better than interleaved varints. The round trip is
 * bit-exact because a value is only scaled when m / 10^k gives back the very same double.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "feed/feed_internal.h"

#define CTZ_MAGIC "\x89" "CTZ\r\n\x1a\n"
#define CTZ_VERSION 1
#define CTZ_BLOCK_ROWS 65536
#define CTZ_MAX_BLOCK_ROWS (1 << 20)
#define CTZ_HDR_FIXED 40      /* bytes before the symbol */
#define CTZ_BLK_HDR 28        /* bytes of a block header, hash included */
#define CTZ_MAX_SCALE 12
#define CTZ_RAW 0xFF
#define CTZ_LEVEL 19

#define CTZ_FLAG_FILLED 1u

/* ---- XXH64 (Yann Collet's xxHash, 64-bit variant, seed 0) ---- */

#define XP1 11400714785074694791ULL
#define XP2 14029467366897019727ULL
#define XP3 1609587929392839161ULL
#define XP4 9650029242287828579ULL
#define XP5 2870177450012600261ULL

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline void wr64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline uint64_t xround(uint64_t acc, uint64_t in)
{
    acc += in * XP2;
    acc = rotl64(acc, 31);
    return acc * XP1;
}
static inline uint64_t xmerge(uint64_t acc, uint64_t v)
{
    acc ^= xround(0, v);
    return acc * XP1 + XP4;
}

uint64_t ct__xxh64(const void *data, size_t len)
{
    const uint8_t *p = data;
    const uint8_t *end = p + len;
    uint64_t h;
    if (len >= 32) {
        uint64_t v1 = XP1 + XP2, v2 = XP2, v3 = 0, v4 = (uint64_t)0 - XP1;
        const uint8_t *limit = end - 32;
        do {
            v1 = xround(v1, rd64(p));
            v2 = xround(v2, rd64(p + 8));
            v3 = xround(v3, rd64(p + 16));
            v4 = xround(v4, rd64(p + 24));
            p += 32;
        } while (p <= limit);
        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = xmerge(h, v1);
        h = xmerge(h, v2);
        h = xmerge(h, v3);
        h = xmerge(h, v4);
    } else {
        h = XP5;
    }
    h += (uint64_t)len;
    while (p + 8 <= end) {
        h ^= xround(0, rd64(p));
        h = rotl64(h, 27) * XP1 + XP4;
        p += 8;
    }
    if (p + 4 <= end) {
        h ^= (uint64_t)rd32(p) * XP1;
        h = rotl64(h, 23) * XP2 + XP3;
        p += 4;
    }
    while (p < end) {
        h ^= (*p) * XP5;
        h = rotl64(h, 11) * XP1;
        p++;
    }
    h ^= h >> 33;
    h *= XP2;
    h ^= h >> 29;
    h *= XP3;
    h ^= h >> 32;
    return h;
}

/* ---- growable byte buffer ---- */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf_t;

static int buf_reserve(buf_t *b, size_t extra)
{
    if (b->cap - b->n >= extra)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->n < extra) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    uint8_t *p = ct__realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static const double k_p10[CTZ_MAX_SCALE + 1] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
                                                1e7, 1e8, 1e9, 1e10, 1e11, 1e12};

static inline uint64_t zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t unzz(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

/* m such that m / 10^k == v bit for bit, or 0 with *ok = 0. Prices are > 0 and volumes >= 0,
 * so only 0 <= m < 2^52 is used (and -0.0 fails the bit comparison: raw block). */
static inline int64_t scaled(double v, int k, int *ok)
{
    double x = v * k_p10[k];
    if (!(x >= 0 && x < 4503599627370496.0)) { /* 0 <= m < 2^52: see i2d() */
        *ok = 0;
        return 0;
    }
    int64_t m = llround(x);
    double back = (double)m / k_p10[k];
    if (memcmp(&back, &v, sizeof(v)) != 0)
        *ok = 0;
    return m;
}

/* The smallest scale that represents every value exactly, or CTZ_RAW. */
static int pick_scale(const double *const *cols, int ncols, int64_t n)
{
    int k = 0;
    for (int c = 0; c < ncols; c++)
        for (int64_t i = 0; i < n; i++) {
            for (;;) {
                int ok = 1;
                (void)scaled(cols[c][i], k, &ok);
                if (ok)
                    break;
                if (++k > CTZ_MAX_SCALE)
                    return CTZ_RAW;
            }
        }
    /* exactness at a smaller k implies it at a larger one, but verify rather than assume */
    for (int c = 0; c < ncols; c++)
        for (int64_t i = 0; i < n; i++) {
            int ok = 1;
            (void)scaled(cols[c][i], k, &ok);
            if (!ok)
                return CTZ_RAW;
        }
    return k;
}

/*
 * Write n unsigned values as byte planes: one width byte w (0..8), then w planes of n bytes
 * (plane j holds byte j of every value). Constant streams (all zero) cost one byte.
 */
static int put_planes(buf_t *b, const uint64_t *v, int64_t n)
{
    uint64_t all = 0;
    for (int64_t i = 0; i < n; i++)
        all |= v[i];
    int w = 0;
    while (w < 8 && (all >> (8 * w)) != 0)
        w++;
    if (buf_reserve(b, 1 + (size_t)w * (size_t)n))
        return -1;
    b->p[b->n++] = (uint8_t)w;
    for (int j = 0; j < w; j++) {
        uint8_t *d = b->p + b->n;
        for (int64_t i = 0; i < n; i++)
            d[i] = (uint8_t)(v[i] >> (8 * j));
        b->n += (size_t)n;
    }
    return 0;
}

static int put_raw(buf_t *b, const double *v, int64_t n)
{
    if (buf_reserve(b, 8 * (size_t)n))
        return -1;
    for (int64_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &v[i], 8);
        wr64(b->p + b->n, u);
        b->n += 8;
    }
    return 0;
}

/* Encode rows [off, off+n) of f into raw (uncompressed) block bytes. */
static int encode_block(const ct_feed *f, int64_t off, int64_t n, uint64_t *tmp, buf_t *raw, uint8_t enc[3])
{
    const int64_t *t = f->time + off;
    const double *o = f->open + off, *h = f->high + off, *l = f->low + off, *c = f->close + off;
    const double *vol = f->volume + off;
    int64_t prev = 0;
    for (int64_t i = 0; i < n; i++) {
        tmp[i] = zz((int64_t)((uint64_t)t[i] - (uint64_t)prev - (uint64_t)f->interval_ms));
        prev = t[i];
    }
    if (put_planes(raw, tmp, n))
        return -1;
    const double *pc[4] = {o, h, l, c};
    int k = pick_scale(pc, 4, n);
    enc[0] = 1;
    enc[1] = (uint8_t)k;
    if (k == CTZ_RAW) {
        if (put_raw(raw, c, n) || put_raw(raw, o, n) || put_raw(raw, h, n) || put_raw(raw, l, n))
            return -1;
    } else {
        int ok = 1;
        int64_t pcl = 0;
        for (int64_t i = 0; i < n; i++) { /* close deltas */
            int64_t m = scaled(c[i], k, &ok);
            tmp[i] = zz(m - pcl);
            pcl = m;
        }
        if (put_planes(raw, tmp, n))
            return -1;
        pcl = 0;
        for (int64_t i = 0; i < n; i++) { /* open vs previous close */
            int64_t m = scaled(o[i], k, &ok);
            tmp[i] = zz(m - pcl);
            pcl = scaled(c[i], k, &ok);
        }
        if (put_planes(raw, tmp, n))
            return -1;
        for (int64_t i = 0; i < n; i++) { /* high above max(open, close) */
            int64_t mo = scaled(o[i], k, &ok), mc = scaled(c[i], k, &ok);
            tmp[i] = (uint64_t)(scaled(h[i], k, &ok) - (mo > mc ? mo : mc));
        }
        if (put_planes(raw, tmp, n))
            return -1;
        for (int64_t i = 0; i < n; i++) { /* low below min(open, close) */
            int64_t mo = scaled(o[i], k, &ok), mc = scaled(c[i], k, &ok);
            tmp[i] = (uint64_t)((mo < mc ? mo : mc) - scaled(l[i], k, &ok));
        }
        if (put_planes(raw, tmp, n))
            return -1;
        if (!ok) /* cannot happen after pick_scale; guard the round trip anyway */
            return -2;
    }
    const double *vc[1] = {vol};
    int kv = pick_scale(vc, 1, n);
    enc[2] = (uint8_t)kv;
    if (kv == CTZ_RAW) {
        if (put_raw(raw, vol, n))
            return -1;
    } else {
        int ok = 1;
        for (int64_t i = 0; i < n; i++)
            tmp[i] = (uint64_t)scaled(vol[i], kv, &ok);
        if (put_planes(raw, tmp, n))
            return -1;
        if (!ok)
            return -2;
    }
    if (f->filled) {
        if (buf_reserve(raw, (size_t)n))
            return -1;
        memcpy(raw->p + raw->n, f->filled + off, (size_t)n);
        raw->n += (size_t)n;
    }
    return 0;
}

ct_status ct__ctz_encode(const ct_feed *f, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    size_t symlen = strlen(f->symbol);
    if (symlen > 255)
        return ct__fail(NULL, CT_E_INVALID_ARG, "symbol '%.40s...' is longer than 255 bytes", f->symbol);
    buf_t file = {0}, raw = {0};
    uint64_t *tmp = NULL;
    ZSTD_CCtx *cz = NULL;
    ct_status s = CT_OK;
    int64_t nblocks = (f->n + CTZ_BLOCK_ROWS - 1) / CTZ_BLOCK_ROWS;
    size_t hdr = CTZ_HDR_FIXED + symlen + 8;
    if (buf_reserve(&file, hdr)) {
        s = CT_E_NOMEM;
        goto out;
    }
    memcpy(file.p, CTZ_MAGIC, 8);
    wr16(file.p + 8, CTZ_VERSION);
    wr16(file.p + 10, (uint16_t)(f->filled ? CTZ_FLAG_FILLED : 0));
    wr32(file.p + 12, CTZ_BLOCK_ROWS);
    wr64(file.p + 16, (uint64_t)f->n);
    wr64(file.p + 24, (uint64_t)f->interval_ms);
    wr32(file.p + 32, (uint32_t)nblocks);
    wr16(file.p + 36, (uint16_t)symlen);
    wr16(file.p + 38, 0);
    memcpy(file.p + CTZ_HDR_FIXED, f->symbol, symlen);
    wr64(file.p + CTZ_HDR_FIXED + symlen, ct__xxh64(file.p, CTZ_HDR_FIXED + symlen));
    file.n = hdr;
    if (f->n == 0)
        goto done;
    tmp = ct__malloc_array((size_t)(f->n < CTZ_BLOCK_ROWS ? f->n : CTZ_BLOCK_ROWS), sizeof(uint64_t));
    cz = ZSTD_createCCtx();
    if (!tmp || !cz) {
        s = CT_E_NOMEM;
        goto out;
    }
    ZSTD_CCtx_setParameter(cz, ZSTD_c_compressionLevel, CTZ_LEVEL);
    for (int64_t off = 0; off < f->n; off += CTZ_BLOCK_ROWS) {
        int64_t n = f->n - off < CTZ_BLOCK_ROWS ? f->n - off : CTZ_BLOCK_ROWS;
        uint8_t enc[3];
        raw.n = 0;
        int rc = encode_block(f, off, n, tmp, &raw, enc);
        if (rc == -1) {
            s = CT_E_NOMEM;
            goto out;
        }
        if (rc == -2) {
            s = ct__fail(NULL, CT_E_INTERNAL, "ctz: block at row %lld failed its exactness check", (long long)off);
            goto out;
        }
        size_t bound = ZSTD_compressBound(raw.n);
        if (buf_reserve(&file, CTZ_BLK_HDR + bound)) {
            s = CT_E_NOMEM;
            goto out;
        }
        uint8_t *bh = file.p + file.n;
        size_t cn = ZSTD_compress2(cz, bh + CTZ_BLK_HDR, bound, raw.p, raw.n);
        if (ZSTD_isError(cn)) {
            s = ct__fail(NULL, CT_E_INTERNAL, "ctz: zstd compression failed: %s", ZSTD_getErrorName(cn));
            goto out;
        }
        if (raw.n > UINT32_MAX || cn > UINT32_MAX) {
            s = ct__fail(NULL, CT_E_INTERNAL, "ctz: block too large");
            goto out;
        }
        wr32(bh, (uint32_t)n);
        wr32(bh + 4, (uint32_t)raw.n);
        wr32(bh + 8, (uint32_t)cn);
        bh[12] = enc[0];
        bh[13] = enc[1];
        bh[14] = enc[2];
        bh[15] = 0;
        wr32(bh + 16, 0);
        /* the hash covers the block header fields and the compressed payload */
        uint64_t hh = ct__xxh64(bh, 20) ^ ct__xxh64(bh + CTZ_BLK_HDR, cn);
        wr64(bh + 20, hh);
        file.n += CTZ_BLK_HDR + cn;
    }
done:
    *out = file.p;
    *out_len = file.n;
    file.p = NULL;
out:
    if (s == CT_E_NOMEM)
        ct__fail(NULL, CT_E_NOMEM, "ctz: out of memory encoding %lld rows", (long long)f->n);
    ZSTD_freeCCtx(cz);
    ct__free(tmp);
    ct__free(raw.p);
    ct__free(file.p);
    return s;
}

/* ---- reader ---- */

typedef struct {
    const uint8_t *p, *end;
} rd_t;

/* A column stream inside a decompressed block: byte planes (w = 0..8) or raw doubles (w = 255). */
typedef struct {
    const uint8_t *base;
    int w;
} stream_t;

/* Locate the next plane stream of n values; -1 if the data runs out. */
static int next_planes(rd_t *r, int64_t n, stream_t *st)
{
    if (r->p >= r->end)
        return -1;
    int w = *r->p++;
    if (w > 8 || (size_t)(r->end - r->p) < (size_t)w * (size_t)n)
        return -1;
    st->base = r->p;
    st->w = w;
    r->p += (size_t)w * (size_t)n;
    return 0;
}

static int next_raw(rd_t *r, int64_t n, stream_t *st)
{
    if ((size_t)(r->end - r->p) < 8 * (size_t)n)
        return -1;
    st->base = r->p;
    st->w = CTZ_RAW;
    r->p += 8 * (size_t)n;
    return 0;
}

/* Values [a, a+m) of a plane stream of n values. */
static void unpack(const stream_t *st, int64_t n, int64_t a, int64_t m, uint64_t *v)
{
    if (st->w == 0) {
        memset(v, 0, (size_t)m * sizeof(*v));
        return;
    }
    const uint8_t *q = st->base + a;
    for (int64_t i = 0; i < m; i++)
        v[i] = q[i];
    for (int j = 1; j < st->w; j++) {
        q += n;
        for (int64_t i = 0; i < m; i++)
            v[i] |= (uint64_t)q[i] << (8 * j);
    }
}

static void unpack_raw(const stream_t *st, int64_t a, int64_t m, double *v)
{
    const uint8_t *q = st->base + 8 * a;
    for (int64_t i = 0; i < m; i++) {
        uint64_t u = rd64(q + 8 * i);
        memcpy(&v[i], &u, 8);
    }
}

/*
 * out[i] = m[i] / p for 0 <= m[i] < 2^52, converting with the exponent trick (OR the integer
 * into the mantissa of 2^52, subtract 2^52: exact) so the loop vectorizes without AVX-512.
 * Returns -1 if some m is out of range (only reachable with corrupted data).
 */
static int i2d_div(double *restrict out, const int64_t *restrict m, int64_t n, double p)
{
    uint64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t u = (uint64_t)m[i];
        bad |= u >> 52;
        uint64_t bits = u | 0x4330000000000000ULL;
        double d;
        memcpy(&d, &bits, sizeof(d));
        out[i] = (d - 4503599627370496.0) / p;
    }
    return bad ? -1 : 0;
}

#define CTZ_CHUNK 4096 /* rows decoded at a time: the scratch stays in cache */

/* Decode one block's n rows into f's columns at row off. tmp holds 5 * CTZ_CHUNK values. */
static int decode_block(ct_feed *f, int64_t off, int64_t n, const uint8_t enc[3], rd_t *r, uint64_t *tmp)
{
    stream_t st_t, st_p[4], st_v;
    int k = enc[1], kv = enc[2];
    if (enc[0] != 1 || (k != CTZ_RAW && k > CTZ_MAX_SCALE) || (kv != CTZ_RAW && kv > CTZ_MAX_SCALE))
        return -1;
    if (next_planes(r, n, &st_t))
        return -1;
    for (int c = 0; c < 4; c++) /* close, open, high, low */
        if (k == CTZ_RAW ? next_raw(r, n, &st_p[c]) : next_planes(r, n, &st_p[c]))
            return -1;
    if (kv == CTZ_RAW ? next_raw(r, n, &st_v) : next_planes(r, n, &st_v))
        return -1;
    const uint8_t *filled = NULL;
    if (f->filled) {
        if ((size_t)(r->end - r->p) < (size_t)n)
            return -1;
        filled = r->p;
        r->p += n;
    }
    if (r->p != r->end)
        return -1;

    int64_t *mc = (int64_t *)(tmp + CTZ_CHUNK), *mo = mc + CTZ_CHUNK, *mh = mo + CTZ_CHUNK, *ml = mh + CTZ_CHUNK;
    uint64_t tprev = 0, cacc = 0;
    for (int64_t a = 0; a < n; a += CTZ_CHUNK) {
        int64_t m = n - a < CTZ_CHUNK ? n - a : CTZ_CHUNK;
        int64_t *t = f->time + off + a;
        double *o = f->open + off + a, *h = f->high + off + a, *l = f->low + off + a;
        double *c = f->close + off + a, *vol = f->volume + off + a;
        unpack(&st_t, n, a, m, tmp);
        for (int64_t i = 0; i < m; i++) {
            tprev = tprev + (uint64_t)f->interval_ms + (uint64_t)unzz(tmp[i]);
            t[i] = (int64_t)tprev;
        }
        if (k == CTZ_RAW) {
            unpack_raw(&st_p[0], a, m, c);
            unpack_raw(&st_p[1], a, m, o);
            unpack_raw(&st_p[2], a, m, h);
            unpack_raw(&st_p[3], a, m, l);
        } else {
            uint64_t prev_close = cacc;
            unpack(&st_p[0], n, a, m, tmp);
            for (int64_t i = 0; i < m; i++) {
                cacc += (uint64_t)unzz(tmp[i]);
                mc[i] = (int64_t)cacc;
            }
            unpack(&st_p[1], n, a, m, tmp);
            for (int64_t i = 0; i < m; i++)
                mo[i] = (int64_t)((uint64_t)(i ? mc[i - 1] : (int64_t)prev_close) + (uint64_t)unzz(tmp[i]));
            unpack(&st_p[2], n, a, m, tmp);
            for (int64_t i = 0; i < m; i++)
                mh[i] = (int64_t)((uint64_t)(mo[i] > mc[i] ? mo[i] : mc[i]) + tmp[i]);
            unpack(&st_p[3], n, a, m, tmp);
            for (int64_t i = 0; i < m; i++)
                ml[i] = (int64_t)((uint64_t)(mo[i] < mc[i] ? mo[i] : mc[i]) - tmp[i]);
            const double p = k_p10[k];
            if (i2d_div(o, mo, m, p) || i2d_div(h, mh, m, p) || i2d_div(l, ml, m, p) || i2d_div(c, mc, m, p))
                return -1;
        }
        if (kv == CTZ_RAW) {
            unpack_raw(&st_v, a, m, vol);
        } else {
            unpack(&st_v, n, a, m, tmp);
            if (i2d_div(vol, (const int64_t *)tmp, m, k_p10[kv]))
                return -1;
        }
    }
    if (filled) {
        for (int64_t i = 0; i < n; i++)
            if (filled[i] > (CT_ROW_FILLED | CT_ROW_PARTIAL))
                return -1;
        memcpy(f->filled + off, filled, (size_t)n);
    }
    return 0;
}

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CTZ_HASH_BAD(a, b) ((void)(a), (void)(b), 0)
#else
#define CTZ_HASH_BAD(a, b) ((a) != (b))
#endif

ct_status ct_feed_parse_ctz(const void *data, size_t len, ct_feed **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_parse_ctz: out must not be NULL");
    *out = NULL;
    if (!data && len)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_parse_ctz: data is NULL");
    const uint8_t *b = data;
    if (len < 8 || memcmp(b, CTZ_MAGIC, 8) != 0)
        return ct__fail(NULL, CT_E_FORMAT, "not a .ctz file (bad magic)");
    if (len < CTZ_HDR_FIXED)
        return ct__fail(NULL, CT_E_CORRUPT, "ctz: truncated header (%zu bytes)", len);
    unsigned ver = rd16(b + 8);
    if (ver > CTZ_VERSION)
        return ct__fail(NULL, CT_E_UNSUPPORTED, "ctz: format version %u is newer than this library's %d", ver, CTZ_VERSION);
    if (ver == 0)
        return ct__fail(NULL, CT_E_CORRUPT, "ctz: format version 0 is invalid");
    unsigned flags = rd16(b + 10);
    uint32_t block_rows = rd32(b + 12);
    int64_t rows = (int64_t)rd64(b + 16);
    int64_t interval = (int64_t)rd64(b + 24);
    uint32_t nblocks = rd32(b + 32);
    size_t symlen = rd16(b + 36);
    size_t hdr = CTZ_HDR_FIXED + symlen + 8;
    if (symlen > 255 || len < hdr)
        return ct__fail(NULL, CT_E_CORRUPT, "ctz: truncated header (%zu bytes)", len);
    if (CTZ_HASH_BAD(rd64(b + CTZ_HDR_FIXED + symlen), ct__xxh64(b, CTZ_HDR_FIXED + symlen)))
        return ct__fail(NULL, CT_E_CORRUPT, "ctz: header checksum mismatch");
    if (flags & ~CTZ_FLAG_FILLED)
        return ct__fail(NULL, CT_E_UNSUPPORTED, "ctz: unknown header flags 0x%x", flags);
    if (block_rows == 0 || block_rows > CTZ_MAX_BLOCK_ROWS || rows < 0 || interval < 0 || rd16(b + 38) != 0 ||
        (uint64_t)nblocks != ((uint64_t)rows + block_rows - 1) / block_rows)
        return ct__fail(NULL, CT_E_CORRUPT, "ctz: inconsistent header (rows %lld, blocks %u of %u rows, interval %lld)",
                        (long long)rows, nblocks, block_rows, (long long)interval);
    /* a block needs at least its header: bounds the row count before anything is allocated */
    if ((uint64_t)nblocks > (len - hdr) / CTZ_BLK_HDR)
        return ct__fail(NULL, CT_E_CORRUPT, "ctz: truncated: header announces %u blocks in %zu bytes", nblocks, len);
    for (size_t i = 0; i < symlen; i++)
        if (b[CTZ_HDR_FIXED + i] < 0x20 || b[CTZ_HDR_FIXED + i] == 0x7f)
            return ct__fail(NULL, CT_E_CORRUPT, "ctz: symbol holds a control character");
    char sym[256];
    memcpy(sym, b + CTZ_HDR_FIXED, symlen);
    sym[symlen] = '\0';

    ct_feed *f = NULL;
    ct_status s = ct_feed_create(sym, interval, &f);
    if (s != CT_OK)
        return s;
    ZSTD_DCtx *dz = NULL;
    uint8_t *raw = NULL;
    uint64_t *tmp = NULL;
    size_t raw_cap = 0;
    size_t pos = hdr;
    int64_t prev_time = INT64_MIN;
    if (rows > 0) {
        /* reserve all rows at once when the count is plausible for the file size (real candles
         * take a few bytes a row); otherwise grow block by block as blocks prove themselves */
        if ((uint64_t)rows <= (uint64_t)len * 64 && (s = ct__feed_reserve(f, rows)) != CT_OK)
            goto out;
        dz = ZSTD_createDCtx();
        tmp = ct__malloc_array(5 * CTZ_CHUNK, sizeof(uint64_t));
        if (!dz || !tmp) {
            s = ct__fail(NULL, CT_E_NOMEM, "ctz: out of memory");
            goto out;
        }
    }
    for (uint32_t bi = 0; bi < nblocks; bi++) {
        if (len - pos < CTZ_BLK_HDR) {
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: truncated in the header of block %u", bi);
            goto out;
        }
        const uint8_t *bh = b + pos;
        uint32_t n = rd32(bh), rawlen = rd32(bh + 4), cn = rd32(bh + 8);
        int64_t want = rows - f->n < (int64_t)block_rows ? rows - f->n : (int64_t)block_rows;
        if (len - pos - CTZ_BLK_HDR < cn) {
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: truncated in block %u (needs %u bytes, %zu left)", bi, cn,
                         len - pos - CTZ_BLK_HDR);
            goto out;
        }
        if (CTZ_HASH_BAD(rd64(bh + 20), ct__xxh64(bh, 20) ^ ct__xxh64(bh + CTZ_BLK_HDR, cn))) {
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: checksum mismatch in block %u", bi);
            goto out;
        }
        if ((int64_t)n != want || bh[15] != 0 || rd32(bh + 16) != 0 || rawlen == 0 ||
            (uint64_t)rawlen > (uint64_t)n * 64 + 64) {
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: block %u header is inconsistent (%u rows, %lld expected)", bi, n,
                         (long long)want);
            goto out;
        }
        if (rawlen > raw_cap) {
            uint8_t *p = ct__realloc(raw, rawlen);
            if (!p) {
                s = ct__fail(NULL, CT_E_NOMEM, "ctz: out of memory");
                goto out;
            }
            raw = p;
            raw_cap = rawlen;
        }
        size_t got = ZSTD_decompressDCtx(dz, raw, rawlen, bh + CTZ_BLK_HDR, cn);
        if (ZSTD_isError(got) || got != rawlen) {
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: block %u does not decompress (%s)", bi,
                         ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size");
            goto out;
        }
        if ((s = ct__feed_reserve(f, f->n + n)) != CT_OK)
            goto out;
        if ((flags & CTZ_FLAG_FILLED) && !f->filled) {
            f->filled = ct__calloc((size_t)f->cap, 1);
            if (!f->filled) {
                s = ct__fail(NULL, CT_E_NOMEM, "ctz: out of memory");
                goto out;
            }
        }
        rd_t r = {raw, raw + rawlen};
        if (decode_block(f, f->n, n, bh + 12, &r, tmp)) {
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: block %u holds malformed column data", bi);
            goto out;
        }
        /* validate the rows as they are committed */
        s = ct__feed_check_rows(NULL, "row", f->n, prev_time, f->time + f->n, f->open + f->n, f->high + f->n,
                                f->low + f->n, f->close + f->n, f->volume + f->n, n);
        if (s != CT_OK) {
            char why[CT__ERRMSG_SIZE];
            snprintf(why, sizeof(why), "%s", ct_last_error());
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: block %u: %s", bi, why);
            goto out;
        }
        prev_time = f->time[f->n + n - 1];
        f->n += n;
        pos += CTZ_BLK_HDR + cn;
    }
    if (pos != len) {
        s = ct__fail(NULL, CT_E_CORRUPT, "ctz: %zu unexpected bytes after the last block", len - pos);
        goto out;
    }
out:
    ZSTD_freeDCtx(dz);
    ct__free(raw);
    ct__free(tmp);
    if (s != CT_OK) {
        ct_feed_destroy(f);
        return s;
    }
    *out = f;
    return CT_OK;
}
