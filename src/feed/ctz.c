/*
 * The .ctz candle store (DESIGN.md section 3; byte layout in docs/ctz-format.md).
 *
 * A fixed header (magic, version, flags, rows, interval, symbol) protected by a 64-bit
 * XXH64 hash, then blocks of up to CTZ_BLOCK_ROWS rows. Each block's payload (version 2: a
 * zstd frame or stored bytes per byte plane; version 1: one zstd frame) holds, in version 2,
 * the bases t[-1] = t[0] - interval and C[-1] = the integer close of row 0 (version 1: both
 * 0), then the columns one after the other:
 *   time     zigzag of (t[i] - t[i-1] - interval);
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
 * The reader decodes blocks on several threads for large files (see ct_feed_parse_ctz).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "feed/feed_internal.h"

#define CTZ_MAGIC "\x89" "CTZ\r\n\x1a\n"
#define CTZ_VERSION 2 /* written; version 1 is still read */
#define CTZ_BLOCK_ROWS 32768 /* rows per block when written (65536 before; the reader takes any) */
#define CTZ_MAX_BLOCK_ROWS (1 << 20)
#define CTZ_HDR_FIXED 40      /* bytes before the symbol */
#define CTZ_BLK_HDR 28        /* bytes of a block header, hash included */
#define CTZ_MAX_SCALE 12
#define CTZ_RAW 0xFF
#define CTZ_LEVEL 16 /* per plane, 19 is no smaller and writes slower (docs/ctz-format.md) */

#define CTZ_FLAG_FILLED 1u
#define CTZ_PIECE_HDR 9       /* kind u8, stored bytes u32, output bytes u32 */
#define CTZ_MIN_ZSTD_PIECE 64 /* shorter pieces are stored as they are */

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

#define CTZ_MAX_CUTS 96

typedef struct {
    uint8_t *p;
    size_t n, cap;
    size_t cut[CTZ_MAX_CUTS]; /* plane boundaries in a block payload (version 2 pieces) */
    int ncut;
} buf_t;

/* Mark a piece boundary at the current end of b (the writer compresses pieces one by one). */
static void buf_cut(buf_t *b)
{
    if (b->ncut < CTZ_MAX_CUTS && (b->ncut == 0 || b->cut[b->ncut - 1] != b->n))
        b->cut[b->ncut++] = b->n;
}

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
        buf_cut(b);
        uint8_t *d = b->p + b->n;
        for (int64_t i = 0; i < n; i++)
            d[i] = (uint8_t)(v[i] >> (8 * j));
        b->n += (size_t)n;
    }
    buf_cut(b);
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
static int encode_block(const ct_feed *f, const uint8_t *filled, int64_t off, int64_t n, uint64_t *tmp, buf_t *raw,
                        uint8_t enc[3], int version)
{
    const int64_t *t = f->time + off;
    const double *o = f->open + off, *h = f->high + off, *l = f->low + off, *c = f->close + off;
    const double *vol = f->volume + off;
    int64_t prev = 0, cbase = 0;
    if (version >= 2) {
        /* the bases: the "previous" time and close of row 0, so its deltas are 0 as well and
         * the streams are no wider than the deltas need (version 1 starts from 0 and 0) */
        prev = (int64_t)((uint64_t)t[0] - (uint64_t)f->interval_ms);
        if (buf_reserve(raw, 16))
            return -1;
        wr64(raw->p + raw->n, (uint64_t)prev);
        wr64(raw->p + raw->n + 8, 0); /* the close base, set below once the scale is known */
        raw->n += 16;
    }
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
        if (version >= 2) {
            cbase = scaled(c[0], k, &ok);
            wr64(raw->p + 8, (uint64_t)cbase);
        }
        int64_t pcl = cbase;
        for (int64_t i = 0; i < n; i++) { /* close deltas */
            int64_t m = scaled(c[i], k, &ok);
            tmp[i] = zz(m - pcl);
            pcl = m;
        }
        if (put_planes(raw, tmp, n))
            return -1;
        pcl = cbase;
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
    if (filled) {
        if (buf_reserve(raw, (size_t)n))
            return -1;
        memcpy(raw->p + raw->n, filled + off, (size_t)n);
        raw->n += (size_t)n;
    }
    return 0;
}

ct_status ct__ctz_encode(const ct_feed *f, uint8_t **out, size_t *out_len)
{
    return ct__ctz_encode_with(f, CTZ_VERSION, CTZ_BLOCK_ROWS, CTZ_LEVEL, out, out_len);
}

ct_status ct__ctz_encode_with(const ct_feed *f, int32_t version, int32_t block_rows, int32_t level, uint8_t **out,
                              size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (block_rows < 1 || block_rows > CTZ_MAX_BLOCK_ROWS)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctz: block_rows %d is not in 1..%d", (int)block_rows,
                        CTZ_MAX_BLOCK_ROWS);
    if (version < 1 || version > CTZ_VERSION)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ctz: format version %d is not in 1..%d", (int)version, CTZ_VERSION);
    size_t symlen = strlen(f->symbol);
    if (symlen > 255)
        return ct__fail(NULL, CT_E_INVALID_ARG, "symbol '%.40s...' is longer than 255 bytes", f->symbol);
    /* the reader refuses control characters (docs/ctz-format.md): never write a file it cannot read */
    for (size_t i = 0; i < symlen; i++) {
        unsigned char ch = (unsigned char)f->symbol[i];
        if (ch < 0x20 || ch == 0x7f)
            return ct__fail(NULL, CT_E_INVALID_ARG,
                            "symbol holds the control character 0x%02x at byte %zu; a .ctz symbol is UTF-8 without "
                            "control characters", ch, i);
    }
    buf_t file = {0}, raw = {0};
    /* an all-zero flag array is not written: it would load back as flags no row carries */
    const uint8_t *filled = f->filled && ct__feed_any_flag(f->filled, f->n) ? f->filled : NULL;
    uint64_t *tmp = NULL;
    ZSTD_CCtx *cz = NULL;
    ct_status s = CT_OK;
    int64_t nblocks = (f->n + block_rows - 1) / block_rows;
    size_t hdr = CTZ_HDR_FIXED + symlen + 8;
    if (buf_reserve(&file, hdr)) {
        s = CT_E_NOMEM;
        goto out;
    }
    memcpy(file.p, CTZ_MAGIC, 8);
    wr16(file.p + 8, (uint16_t)version);
    wr16(file.p + 10, (uint16_t)(filled ? CTZ_FLAG_FILLED : 0));
    wr32(file.p + 12, (uint32_t)block_rows);
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
    tmp = ct__malloc_array((size_t)(f->n < block_rows ? f->n : block_rows), sizeof(uint64_t));
    cz = ZSTD_createCCtx();
    if (!tmp || !cz) {
        s = CT_E_NOMEM;
        goto out;
    }
    ZSTD_CCtx_setParameter(cz, ZSTD_c_compressionLevel, level);
    for (int64_t off = 0; off < f->n; off += block_rows) {
        int64_t n = f->n - off < block_rows ? f->n - off : block_rows;
        uint8_t enc[3];
        raw.n = 0;
        raw.ncut = 0;
        int rc = encode_block(f, filled, off, n, tmp, &raw, enc, version);
        if (rc == -1) {
            s = CT_E_NOMEM;
            goto out;
        }
        if (rc == -2) {
            s = ct__fail(NULL, CT_E_INTERNAL, "ctz: block at row %lld failed its exactness check", (long long)off);
            goto out;
        }
        size_t cn = 0;
        uint8_t *bh;
        if (version == 1) { /* one zstd frame */
            size_t bound = ZSTD_compressBound(raw.n);
            if (buf_reserve(&file, CTZ_BLK_HDR + bound)) {
                s = CT_E_NOMEM;
                goto out;
            }
            bh = file.p + file.n;
            cn = ZSTD_compress2(cz, bh + CTZ_BLK_HDR, bound, raw.p, raw.n);
            if (ZSTD_isError(cn)) {
                s = ct__fail(NULL, CT_E_INTERNAL, "ctz: zstd compression failed: %s", ZSTD_getErrorName(cn));
                goto out;
            }
        } else { /* pieces: each plane compressed on its own, or stored when zstd gains < 3% */
            if (buf_reserve(&file, CTZ_BLK_HDR)) {
                s = CT_E_NOMEM;
                goto out;
            }
            size_t body = file.n + CTZ_BLK_HDR, start = 0;
            buf_cut(&raw);
            for (int ci = 0; ci < raw.ncut; ci++) {
                size_t seg = raw.cut[ci] - start;
                if (seg == 0)
                    continue;
                size_t bound = ZSTD_compressBound(seg);
                if (buf_reserve(&file, (body + cn - file.n) + CTZ_PIECE_HDR + bound)) {
                    s = CT_E_NOMEM;
                    goto out;
                }
                uint8_t *ph = file.p + body + cn;
                size_t pn = seg >= CTZ_MIN_ZSTD_PIECE
                                ? ZSTD_compress2(cz, ph + CTZ_PIECE_HDR, bound, raw.p + start, seg)
                                : 0;
                int zst = seg >= CTZ_MIN_ZSTD_PIECE && !ZSTD_isError(pn) && pn * 100 < seg * 97;
                if (!zst) {
                    pn = seg;
                    memcpy(ph + CTZ_PIECE_HDR, raw.p + start, seg);
                }
                ph[0] = (uint8_t)zst;
                wr32(ph + 1, (uint32_t)pn);
                wr32(ph + 5, (uint32_t)seg);
                cn += CTZ_PIECE_HDR + pn;
                start = raw.cut[ci];
            }
            bh = file.p + file.n;
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

/*
 * Decoding is the hot path of ct_feed_load(".ctz"): it runs in chunks of CTZ_CHUNK rows so the
 * scratch stays in L1, unpacks each plane stream in one width-specialized pass, and does the
 * price arithmetic in doubles (exact below 2^53) so every loop but the two prefix sums (time,
 * close) vectorizes. On x86-64 the kernel is also built for AVX2 and picked at load time.
 */
#define CTZ_CHUNK 1024

/* not under sanitizers: the IFUNC resolver of target_clones runs before their runtime starts */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define CTZ_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CTZ_CLONES
#endif

/* One value of a plane stream: bytes j*n + i, j < W, least significant first. */
#define CTZ_UNPACK_CASE(W)                                                                                   \
    case W:                                                                                                  \
        for (int64_t i = 0; i < m; i++) {                                                                    \
            uint64_t x = 0;                                                                                  \
            for (int j = 0; j < W; j++)                                                                      \
                x |= (uint64_t)q[(size_t)j * (size_t)n + (size_t)i] << (8 * j);                               \
            v[i] = x;                                                                                        \
        }                                                                                                    \
        return;

/* Values [a, a+m) of a plane stream of n values, in one pass. */
CTZ_CLONES static void unpack(const stream_t *st, int64_t n, int64_t a, int64_t m, uint64_t *restrict v)
{
    const uint8_t *restrict q = st->base + a;
    switch (st->w) {
    case 0:
        memset(v, 0, (size_t)m * sizeof(*v));
        return;
        CTZ_UNPACK_CASE(1)
        CTZ_UNPACK_CASE(2)
        CTZ_UNPACK_CASE(3)
        CTZ_UNPACK_CASE(4)
        CTZ_UNPACK_CASE(5)
        CTZ_UNPACK_CASE(6)
        CTZ_UNPACK_CASE(7)
    default:
        CTZ_UNPACK_CASE(8)
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

/* u as a double for u < 2^52, exactly: OR it into the mantissa of 2^52 and subtract 2^52
 * (vectorizes without AVX-512's integer conversions). Larger u give garbage: callers flag them. */
static inline double i2d(uint64_t u)
{
    uint64_t bits = u | 0x4330000000000000ULL;
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d - 4503599627370496.0;
}

#define TWO52 4503599627370496.0

/* Scratch of one decoder: four chunks of values, and the integer closes with the previous
 * chunk's last one in front. */
typedef struct {
    uint64_t u[4][CTZ_CHUNK];
    uint64_t mc[CTZ_CHUNK + 1];
} chunk_t;

/*
 * Decode a chunk of m rows of scaled prices. uc..ul hold the unpacked close, open, high and low
 * streams; mc[0] is the previous row's integer close on entry, and mc[m] this chunk's last on
 * return. Every integer must be < 2^52 and every result in [0, 2^52): a value outside is
 * corrupted data (returns -1). The results equal the format's integer arithmetic exactly.
 * Returns 1 when some low is 0 (a price rule is broken: the caller validates for the message).
 */
CTZ_CLONES static int decode_prices(double *restrict o, double *restrict h, double *restrict l, double *restrict c,
                                    const uint64_t *restrict uc, const uint64_t *restrict uo,
                                    const uint64_t *restrict uh, const uint64_t *restrict ul, int64_t m,
                                    uint64_t *restrict mc, double p)
{
    uint64_t acc = mc[0]; /* close: prefix sum of zigzag deltas (the one serial step) */
    for (int64_t i = 0; i < m; i++) {
        acc += (uint64_t)unzz(uc[i]);
        mc[i + 1] = acc;
    }
    uint64_t bad = 0, zero = 0;
    for (int64_t i = 0; i < m; i++) {
        uint64_t mo = mc[i] + (uint64_t)unzz(uo[i]), mcl = mc[i + 1];
        bad |= (mo | mcl | uh[i] | ul[i]) >> 52;
        double dO = i2d(mo), dC = i2d(mcl);
        double mx = dO > dC ? dO : dC, mn = dO < dC ? dO : dC;
        double dH = mx + i2d(uh[i]); /* < 2^53: exact */
        double dL = mn - i2d(ul[i]); /* > -2^52: exact */
        bad |= (uint64_t)(dH >= TWO52) | (uint64_t)(dL < 0.0);
        zero |= (uint64_t)(dL == 0.0);
        o[i] = dO / p;
        h[i] = dH / p;
        l[i] = dL / p;
        c[i] = dC / p;
    }
    return bad ? -1 : zero ? 1 : 0;
}

CTZ_CLONES static int decode_scaled(double *restrict out, const uint64_t *restrict u, int64_t m, double p)
{
    uint64_t bad = 0;
    for (int64_t i = 0; i < m; i++) {
        bad |= u[i] >> 52;
        out[i] = i2d(u[i]) / p;
    }
    return bad ? -1 : 0;
}

/*
 * Decode one block's n rows into f's columns at row off and validate them (the step from the
 * previous block is the caller's). Returns -1 for malformed data, -2 for a row that breaks a
 * rule of DESIGN.md section 3 (message in *why).
 *
 * Scaled prices cannot break a price rule except by a zero low: with integers
 * 0 <= ml <= min(mo, mc) <= max(mo, mc) <= mh < 2^52 and the monotonic division by 10^k,
 * low <= min(open, close), max(open, close) <= high and every price is finite; ml >= 1 makes
 * every price > 0, and a scaled volume is finite and >= 0. So a chunk of scaled rows only needs
 * its times checked here; raw-double chunks, and any chunk that trips a check, go through
 * ct__feed_check_rows (which also writes the message).
 */
static int decode_block(ct_feed *f, int version, int64_t off, int64_t n, const uint8_t enc[3], rd_t *r,
                        chunk_t *tmp, ct__err *why)
{
    stream_t st_t, st_p[4], st_v;
    int k = enc[1], kv = enc[2];
    if (enc[0] != 1 || (k != CTZ_RAW && k > CTZ_MAX_SCALE) || (kv != CTZ_RAW && kv > CTZ_MAX_SCALE))
        return -1;
    uint64_t tprev = 0, cacc = 0; /* version 1: deltas start from 0; version 2 stores the bases */
    if (version >= 2) {
        if (r->end - r->p < 16)
            return -1;
        tprev = rd64(r->p);
        cacc = rd64(r->p + 8);
        r->p += 16;
        if (k == CTZ_RAW && cacc != 0)
            return -1;
    }
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

    int64_t last = INT64_MIN;
    const uint64_t step = (uint64_t)f->interval_ms;
    for (int64_t a = 0; a < n; a += CTZ_CHUNK) {
        int64_t m = n - a < CTZ_CHUNK ? n - a : CTZ_CHUNK;
        int64_t *t = f->time + off + a;
        double *o = f->open + off + a, *h = f->high + off + a, *l = f->low + off + a;
        double *c = f->close + off + a, *vol = f->volume + off + a;
        unpack(&st_t, n, a, m, tmp->u[0]);
        int check = k == CTZ_RAW || kv == CTZ_RAW;
        for (int64_t i = 0; i < m; i++) {
            tprev += step + (uint64_t)unzz(tmp->u[0][i]);
            t[i] = (int64_t)tprev;
            check |= t[i] <= last;
            last = t[i];
        }
        if (k == CTZ_RAW) {
            unpack_raw(&st_p[0], a, m, c);
            unpack_raw(&st_p[1], a, m, o);
            unpack_raw(&st_p[2], a, m, h);
            unpack_raw(&st_p[3], a, m, l);
        } else {
            for (int s = 0; s < 4; s++)
                unpack(&st_p[s], n, a, m, tmp->u[s]);
            tmp->mc[0] = cacc;
            int rc = decode_prices(o, h, l, c, tmp->u[0], tmp->u[1], tmp->u[2], tmp->u[3], m, tmp->mc, k_p10[k]);
            if (rc < 0)
                return -1;
            check |= rc;
            cacc = tmp->mc[m];
        }
        if (kv == CTZ_RAW) {
            unpack_raw(&st_v, a, m, vol);
        } else {
            unpack(&st_v, n, a, m, tmp->u[0]);
            if (decode_scaled(vol, tmp->u[0], m, k_p10[kv]))
                return -1;
        }
        if (check && ct__feed_check_rows(why, "row", off + a, a ? t[-1] : INT64_MIN, t, o, h, l, c, vol, m) != CT_OK)
            return -2;
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

/* A block located by the pre-scan of the image. */
typedef struct {
    const uint8_t *hdr;
    int64_t off; /* first row */
    uint32_t n, rawlen, cn;
} blk_t;

/* One decoder's resources (each thread has its own). */
typedef struct {
    ZSTD_DCtx *dz;
    uint8_t *raw;
    chunk_t *tmp;
    int64_t bad_block; /* the first block this decoder found bad, or -1 */
    ct_status bad_status;
    ct__err bad_err;
} dec_t;

/* Shared state of a parallel decode. */
typedef struct {
    ct_feed *f;
    int version;
    const blk_t *blks;
    uint32_t nblocks;
    _Atomic uint32_t next;      /* next block to take */
    _Atomic int64_t first_bad;  /* lowest failing block seen so far (INT64_MAX: none) */
} job_t;

/*
 * Check, decompress, decode and validate block bi (rows validated within the block; the step
 * from the previous block's last row is checked by the caller). 0 on success; otherwise the
 * decoder's bad_* fields say why.
 */
static int run_block(ct_feed *f, int version, const blk_t *bk, uint32_t bi, dec_t *d)
{
    const uint8_t *bh = bk->hdr;
    if (CTZ_HASH_BAD(rd64(bh + 20), ct__xxh64(bh, 20) ^ ct__xxh64(bh + CTZ_BLK_HDR, bk->cn))) {
        d->bad_status = ct__fail(&d->bad_err, CT_E_CORRUPT, "ctz: checksum mismatch in block %u", bi);
        return -1;
    }
    if (version == 1) {
        size_t got = ZSTD_decompressDCtx(d->dz, d->raw, bk->rawlen, bh + CTZ_BLK_HDR, bk->cn);
        if (ZSTD_isError(got) || got != bk->rawlen) {
            d->bad_status = ct__fail(&d->bad_err, CT_E_CORRUPT, "ctz: block %u does not decompress (%s)", bi,
                                     ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size");
            return -1;
        }
    } else {
        /* pieces, each stored or one zstd frame, whose outputs make up the payload exactly */
        const uint8_t *p = bh + CTZ_BLK_HDR, *end = p + bk->cn;
        size_t made = 0;
        while (p < end) {
            if ((size_t)(end - p) < CTZ_PIECE_HDR) {
                d->bad_status = ct__fail(&d->bad_err, CT_E_CORRUPT, "ctz: block %u: truncated piece header", bi);
                return -1;
            }
            unsigned kind = p[0];
            uint32_t pn = rd32(p + 1), outn = rd32(p + 5);
            p += CTZ_PIECE_HDR;
            if (kind > 1 || pn > (size_t)(end - p) || outn > bk->rawlen - made || (kind == 0 && pn != outn)) {
                d->bad_status = ct__fail(&d->bad_err, CT_E_CORRUPT, "ctz: block %u: malformed piece at byte %zu", bi,
                                         (size_t)(p - CTZ_PIECE_HDR - (bh + CTZ_BLK_HDR)));
                return -1;
            }
            if (kind == 0) {
                memcpy(d->raw + made, p, outn);
            } else {
                size_t got = ZSTD_decompressDCtx(d->dz, d->raw + made, outn, p, pn);
                if (ZSTD_isError(got) || got != outn) {
                    d->bad_status = ct__fail(&d->bad_err, CT_E_CORRUPT, "ctz: block %u does not decompress (%s)", bi,
                                             ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size");
                    return -1;
                }
            }
            made += outn;
            p += pn;
        }
        if (made != bk->rawlen) {
            d->bad_status = ct__fail(&d->bad_err, CT_E_CORRUPT, "ctz: block %u: pieces give %zu of %u bytes", bi, made,
                                     bk->rawlen);
            return -1;
        }
    }
    rd_t r = {d->raw, d->raw + bk->rawlen};
    ct__err why;
    int rc = decode_block(f, version, bk->off, bk->n, bh + 12, &r, d->tmp, &why);
    if (rc == -1) {
        d->bad_status = ct__fail(&d->bad_err, CT_E_CORRUPT, "ctz: block %u holds malformed column data", bi);
        return -1;
    }
    if (rc == -2) {
        d->bad_status = ct__fail(&d->bad_err, CT_E_CORRUPT, "ctz: block %u: %s", bi, why.msg);
        return -1;
    }
    return 0;
}

/* Take blocks from the shared counter until none is left or one before them failed. */
static void run_blocks(job_t *j, dec_t *d)
{
    for (;;) {
        uint32_t bi = atomic_fetch_add(&j->next, 1);
        if (bi >= j->nblocks || (int64_t)bi > atomic_load(&j->first_bad))
            return;
        if (run_block(j->f, j->version, &j->blks[bi], bi, d)) {
            /* blocks are taken in increasing order, so this is this decoder's first failure */
            d->bad_block = bi;
            int64_t cur = atomic_load(&j->first_bad);
            while ((int64_t)bi < cur && !atomic_compare_exchange_weak(&j->first_bad, &cur, (int64_t)bi)) {
            }
            return;
        }
    }
}

typedef struct {
    job_t *job;
    dec_t *dec;
} worker_arg_t;

static void *worker_main(void *p)
{
    worker_arg_t *w = p;
    run_blocks(w->job, w->dec);
    return NULL;
}

#define CTZ_MAX_THREADS 4
#define CTZ_PARALLEL_ROWS 65536 /* fewer rows: one thread (a thread start costs ~50 us) */

static int decoder_threads(uint32_t nblocks, int64_t rows)
{
    if (rows < CTZ_PARALLEL_ROWS || nblocks < 2)
        return 1;
    int cpus = ct__online_cpus();
    int t = cpus > CTZ_MAX_THREADS ? CTZ_MAX_THREADS : cpus;
    return (uint32_t)t > nblocks ? (int)nblocks : t;
}

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
    blk_t *blks = NULL;
    dec_t dec[CTZ_MAX_THREADS];
    int ndec = 0;
    memset(dec, 0, sizeof(dec));
    if (nblocks > 0 && !(blks = ct__malloc_array(nblocks, sizeof(*blks)))) {
        s = ct__fail(NULL, CT_E_NOMEM, "ctz: out of memory");
        goto out;
    }
    /* Pre-scan: locate every block and check its header against the file header (the payload
     * hash is checked by the decoder, just before decompressing). */
    size_t pos = hdr;
    uint32_t max_raw = 0;
    for (uint32_t bi = 0; bi < nblocks; bi++) {
        if (len - pos < CTZ_BLK_HDR) {
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: truncated in the header of block %u", bi);
            goto out;
        }
        const uint8_t *bh = b + pos;
        uint32_t n = rd32(bh), rawlen = rd32(bh + 4), cn = rd32(bh + 8);
        int64_t off = (int64_t)bi * block_rows;
        int64_t want = rows - off < (int64_t)block_rows ? rows - off : (int64_t)block_rows;
        if (len - pos - CTZ_BLK_HDR < cn) {
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: truncated in block %u (needs %u bytes, %zu left)", bi, cn,
                         len - pos - CTZ_BLK_HDR);
            goto out;
        }
        if ((int64_t)n != want || bh[15] != 0 || rd32(bh + 16) != 0 || rawlen == 0 ||
            (uint64_t)rawlen > (uint64_t)n * 64 + 64) {
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: block %u header is inconsistent (%u rows, %lld expected)", bi, n,
                         (long long)want);
            goto out;
        }
        blks[bi] = (blk_t){bh, off, n, rawlen, cn};
        max_raw = rawlen > max_raw ? rawlen : max_raw;
        pos += CTZ_BLK_HDR + cn;
    }
    if (pos != len) {
        s = ct__fail(NULL, CT_E_CORRUPT, "ctz: %zu unexpected bytes after the last block", len - pos);
        goto out;
    }
    if (rows == 0)
        goto out;

    /* Reserve every row at once when the count is plausible for the file size (real candles
     * take a few bytes a row) and decode blocks in parallel; otherwise decode one block at a
     * time, growing the columns as blocks prove themselves. */
    int all_at_once = (uint64_t)rows <= (uint64_t)len * 64;
    if (all_at_once && (s = ct__feed_reserve(f, rows)) != CT_OK)
        goto out;
    int nthreads = all_at_once ? decoder_threads(nblocks, rows) : 1;
    for (ndec = 0; ndec < nthreads; ndec++) {
        dec_t *d = &dec[ndec];
        d->dz = ZSTD_createDCtx();
        d->raw = ct__malloc(max_raw);
        d->tmp = ct__malloc(sizeof(chunk_t));
        d->bad_block = -1;
        if (!d->dz || !d->raw || !d->tmp) {
            ndec++;
            s = ct__fail(NULL, CT_E_NOMEM, "ctz: out of memory");
            goto out;
        }
    }
    if (flags & CTZ_FLAG_FILLED) {
        f->filled = ct__calloc((size_t)(all_at_once ? f->cap : 1), 1);
        if (!f->filled) {
            s = ct__fail(NULL, CT_E_NOMEM, "ctz: out of memory");
            goto out;
        }
    }
    int64_t bad = INT64_MAX;
    if (all_at_once) {
        job_t job = {.f = f, .version = (int)ver, .blks = blks, .nblocks = nblocks};
        atomic_init(&job.next, 0);
        atomic_init(&job.first_bad, INT64_MAX);
        pthread_t th[CTZ_MAX_THREADS];
        worker_arg_t wa[CTZ_MAX_THREADS];
        int started = 0;
        for (int i = 1; i < ndec; i++) {
            wa[i] = (worker_arg_t){&job, &dec[i]};
            if (pthread_create(&th[i], NULL, worker_main, &wa[i]) != 0)
                break; /* fewer helpers: the blocks still all get decoded */
            started = i;
        }
        run_blocks(&job, &dec[0]);
        for (int i = 1; i <= started; i++)
            pthread_join(th[i], NULL);
        bad = atomic_load(&job.first_bad);
    } else {
        for (uint32_t bi = 0; bi < nblocks; bi++) {
            if ((s = ct__feed_reserve(f, blks[bi].off + blks[bi].n)) != CT_OK)
                goto out;
            if (run_block(f, (int)ver, &blks[bi], bi, &dec[0])) {
                dec[0].bad_block = bad = bi;
                break;
            }
            f->n = blks[bi].off + blks[bi].n; /* for a bounded check_rows at the seams below */
        }
    }
    /* The steps between blocks, in block order, up to the first bad block. */
    uint32_t upto = bad < (int64_t)nblocks ? (uint32_t)bad : nblocks;
    for (uint32_t bi = 1; bi < upto; bi++) {
        int64_t o = blks[bi].off;
        ct__err why;
        if (f->time[o] <= f->time[o - 1]) {
            ct__feed_check_row(&why, "row", o, f->time[o - 1], f->time[o], f->open[o], f->high[o], f->low[o],
                               f->close[o], f->volume[o]);
            s = ct__fail(NULL, CT_E_CORRUPT, "ctz: block %u: %s", bi, why.msg);
            goto out;
        }
    }
    if (bad != INT64_MAX) {
        for (int i = 0; i < ndec; i++)
            if (dec[i].bad_block == bad) {
                s = ct__fail(NULL, dec[i].bad_status, "%s", dec[i].bad_err.msg);
                goto out;
            }
        s = ct__fail(NULL, CT_E_INTERNAL, "ctz: block %lld failed without a reason", (long long)bad);
        goto out;
    }
    f->n = rows;
    ct__feed_drop_zero_flags(f); /* earlier writers stored all-zero flag arrays too */
out:
    for (int i = 0; i < ndec; i++) {
        ZSTD_freeDCtx(dec[i].dz);
        ct__free(dec[i].raw);
        ct__free(dec[i].tmp);
    }
    ct__free(blks);
    if (s != CT_OK) {
        ct_feed_destroy(f);
        return s;
    }
    *out = f;
    return CT_OK;
}
