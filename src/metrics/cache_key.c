/*
 * ct_result_cache_key: SHA-256 (FIPS 180-4) over a length-prefixed, little-endian encoding of
 * everything a result depends on: a key-format tag, the library version, the feed's content hash,
 * strategy, symbol, interval, the canonical parameter and config JSON the engine recorded, and a
 * host benchmark series when one is attached. Byte order is fixed, so the key is the same on every
 * machine, run and process for the same inputs.
 */
#include <stdint.h>
#include <string.h>

#include "cryptota/version.h"
#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"

/* The result's error slot (NULL for a NULL result); the result is logically const. */
static ct__err *rerr(const ct_result *r) { return r ? &((ct_result *)(uintptr_t)r)->err : NULL; }

typedef struct sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char blk[64];
    size_t used;
} sha256;

static const uint32_t k_sha[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha_block(sha256 *s, const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + k_sha[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
    s->h[5] += f;
    s->h[6] += g;
    s->h[7] += h;
}

static void sha_init(sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    memcpy(s->h, h0, sizeof(h0));
    s->len = 0;
    s->used = 0;
}

static void sha_update(sha256 *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->len += n;
    while (n > 0) {
        size_t take = 64 - s->used < n ? 64 - s->used : n;
        memcpy(s->blk + s->used, p, take);
        s->used += take;
        p += take;
        n -= take;
        if (s->used == 64) {
            sha_block(s, s->blk);
            s->used = 0;
        }
    }
}

static void sha_final(sha256 *s, unsigned char out[32])
{
    uint64_t bits = s->len * 8;
    unsigned char pad = 0x80, zero = 0, lenb[8];
    sha_update(s, &pad, 1);
    while (s->used != 56)
        sha_update(s, &zero, 1);
    for (int i = 0; i < 8; i++)
        lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_update(s, lenb, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(s->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)s->h[i];
    }
}

static void put_u64(sha256 *s, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    sha_update(s, b, 8);
}

static void put_f64(sha256 *s, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    put_u64(s, u);
}

static void put_str(sha256 *s, const char *str)
{
    size_t n = str ? strlen(str) : 0;
    put_u64(s, (uint64_t)n);
    if (n)
        sha_update(s, str, n);
}

ct_status ct_result_cache_key(const ct_result *r, char *buf, size_t cap)
{
    if (!r || !buf || cap < 65)
        return ct__fail(rerr(r), CT_E_INVALID_ARG, "ct_result_cache_key: %s",
                        !r ? "NULL result" : !buf ? "NULL buf" : "cap < 65");
    sha256 s;
    sha_init(&s);
    put_str(&s, "cryptota-result-key-v1");
    put_str(&s, ct_version_string());
    put_u64(&s, r->feed_hash);
    put_str(&s, r->strategy);
    put_str(&s, r->symbol);
    put_u64(&s, (uint64_t)r->interval_ms);
    put_u64(&s, (uint64_t)r->n);
    put_str(&s, r->params_json);
    put_str(&s, r->config_json);
    put_u64(&s, (uint64_t)r->bench_n);
    for (int64_t i = 0; i < r->bench_n; i++) {
        put_u64(&s, (uint64_t)r->bench_time[i]);
        put_f64(&s, r->bench_value[i]);
    }
    unsigned char d[32];
    sha_final(&s, d);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        buf[2 * i] = hex[d[i] >> 4];
        buf[2 * i + 1] = hex[d[i] & 15];
    }
    buf[64] = '\0';
    return CT_OK;
}

int ct__sha256_selftest(void)
{
    static const unsigned char want[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                           0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                           0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    sha256 s;
    unsigned char d[32];
    sha_init(&s);
    sha_update(&s, "abc", 3);
    sha_final(&s, d);
    return memcmp(d, want, 32) == 0;
}
