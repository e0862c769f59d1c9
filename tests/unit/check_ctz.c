/* The .ctz store: bit-exact round trips, raw-double fallback, and corrupted, truncated or
 * foreign files (an error every time, never a crash). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "feed/feed_internal.h"

static void assert_same(const ct_feed *a, const ct_feed *b)
{
    ck_assert_int_eq(ct_feed_len(a), ct_feed_len(b));
    ck_assert_str_eq(ct_feed_symbol(a), ct_feed_symbol(b));
    ck_assert_int_eq(ct_feed_interval_ms(a), ct_feed_interval_ms(b));
    size_t n = (size_t)ct_feed_len(a);
    if (n == 0)
        return;
    ck_assert(memcmp(ct_feed_time(a), ct_feed_time(b), n * sizeof(int64_t)) == 0);
    for (int c = 0; c < 5; c++)
        ck_assert_msg(memcmp(ct_feed_column(a, c), ct_feed_column(b, c), n * sizeof(double)) == 0, "column %d", c);
    ck_assert_int_eq(ct_feed_filled(a) != NULL, ct_feed_filled(b) != NULL);
    if (ct_feed_filled(a))
        ck_assert(memcmp(ct_feed_filled(a), ct_feed_filled(b), n) == 0);
}

static ct_feed *round_trip(const ct_feed *f, size_t *size)
{
    uint8_t *img;
    size_t len;
    ck_assert_ok(ct__ctz_encode(f, &img, &len));
    ct_feed *g;
    ck_assert_ok(ct_feed_parse_ctz(img, len, &g));
    ct__free(img);
    if (size)
        *size = len;
    assert_same(f, g);
    return g;
}

START_TEST(round_trip_every_candle_file)
{
    static const char *files[] = {
        "binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst", "binance_BTCUSDT_5m_2024-03-01_2025-07-02.csv.zst",
        "binance_BTCUSDT_15m_2023-04-01_2024-04-09.csv.zst", "binance_ETHUSDT_15m_2023-04-01_2024-04-09.csv.zst",
        "binance_SOLUSDT_15m_2023-04-01_2024-04-09.csv.zst", "binance_XRPUSDT_15m_2023-04-01_2024-04-09.csv.zst",
        "binance_DOGEUSDT_15m_2023-04-01_2024-04-09.csv.zst", "binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst",
        "binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst", "binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"};
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        ct_feed *f;
        ck_assert_ok(ct_feed_load(ct_test_data(files[k]), CT_GAPS_KEEP, &f));
        char path[4096];
        snprintf(path, sizeof(path), "%s/rt_%zu.ctz", ct_test_tmpdir(), k);
        ck_assert_ok(ct_feed_save(f, path));
        ct_feed *g;
        ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &g));
        assert_same(f, g);
        ct_feed_destroy(g);
        remove(path);
        ct_feed_destroy(f);
    }
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* Filled flags (CT_GAPS_FILL) survive; gap policy applies on .ctz load too. */
START_TEST(round_trip_filled_and_gaps)
{
    ct_feed *f, *g;
    ck_assert_ok(ct_feed_load(ct_test_data("binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst"), CT_GAPS_FILL, &f));
    g = round_trip(f, NULL);
    ct_feed_destroy(g);
    ct_feed_destroy(f);
    ck_assert_ok(ct_feed_load(ct_test_data("binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst"), CT_GAPS_KEEP, &f));
    char path[4096];
    snprintf(path, sizeof(path), "%s/eth.ctz", ct_test_tmpdir());
    ck_assert_ok(ct_feed_save(f, path));
    ck_assert_status(ct_feed_load(path, CT_GAPS_ERROR, &g), CT_E_DATA);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "eth.ctz: gap of"));
    ck_assert_ok(ct_feed_load(path, CT_GAPS_FILL, &g));
    ck_assert_int_eq(ct_feed_len(g), 45024 + 127); /* 127 missing bars (data/README.md) */
    ct_feed_destroy(g);
    remove(path);
    ct_feed_destroy(f);
}
END_TEST

/* Values without a short decimal form force raw-double blocks; they still round-trip exactly. */
START_TEST(raw_double_fallback)
{
    enum { N = 70000 }; /* two blocks: the first scaled, the second raw */
    int64_t *t = malloc(N * sizeof(int64_t));
    double *o = malloc(N * sizeof(double)), *h = malloc(N * sizeof(double)), *l = malloc(N * sizeof(double));
    double *c = malloc(N * sizeof(double)), *v = malloc(N * sizeof(double));
    for (int i = 0; i < N; i++) {
        t[i] = 1700000000000LL + 60000LL * i + (i == 5 ? 7 : 0); /* one irregular step */
        double p = 100 + (i % 97) * 0.01;
        if (i >= 65536)
            p = (0.1 + 0.2) * (1 + i % 13) + 1.0 / 3; /* many significant digits */
        o[i] = p;
        c[i] = p + 0.5;
        h[i] = p + 1;
        l[i] = p - 0.25;
        v[i] = i % 2 ? 1e-7 * i : M_PI * i;
    }
    ct_feed *f, *g;
    ck_assert_ok(ct_feed_from_arrays("RAW", 60000, t, o, h, l, c, v, N, 0, &f));
    size_t size;
    g = round_trip(f, &size);
    ct_feed_destroy(g);
    ct_feed_destroy(f);
    /* one row, an empty feed, a long symbol */
    ck_assert_ok(ct_feed_from_arrays("ONE", 0, t, o, h, l, c, v, 1, 0, &f));
    g = round_trip(f, NULL);
    ct_feed_destroy(g);
    ct_feed_destroy(f);
    ck_assert_ok(ct_feed_create("EMPTY", 3600000, &f));
    g = round_trip(f, NULL);
    ct_feed_destroy(g);
    ct_feed_destroy(f);
    free(t), free(o), free(h), free(l), free(c), free(v);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

static uint8_t *small_image_v(int32_t version, size_t *len)
{
    ct_feed *f, *s;
    ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"), CT_GAPS_KEEP, &f));
    ck_assert_ok(ct_feed_slice(f, 0, INT64_MAX, &s));
    ct_feed_destroy(f);
    ck_assert_ok(ct_feed_slice(s, ct_feed_time(s)[0], ct_feed_time(s)[60], &f)); /* 60 daily bars */
    ct_feed_destroy(s);
    uint8_t *img;
    ck_assert_ok(ct__ctz_encode_with(f, version, 32768, 16, &img, len));
    ct_feed_destroy(f);
    uint8_t *copy = malloc(*len);
    memcpy(copy, img, *len);
    ct__free(img);
    return copy;
}

static uint8_t *small_image(size_t *len) { return small_image_v(2, len); }

/* Every byte flipped (each of 3 bit patterns): an error every time, never a crash. */
START_TEST(every_byte_flipped)
{
    size_t len;
    uint8_t *img = small_image_v(1 + _i, &len); /* loop test: format versions 1 and 2 */
    ct_feed *f;
    ck_assert_ok(ct_feed_parse_ctz(img, len, &f));
    ck_assert_int_eq(ct_feed_len(f), 60);
    ct_feed_destroy(f);
    static const uint8_t masks[3] = {0x01, 0x80, 0xFF};
    for (size_t i = 0; i < len; i++)
        for (int m = 0; m < 3; m++) {
            img[i] ^= masks[m];
            f = (ct_feed *)1;
            ct_status s = ct_feed_parse_ctz(img, len, &f);
            ck_assert_msg(s == CT_E_CORRUPT || s == CT_E_FORMAT || s == CT_E_UNSUPPORTED,
                          "byte %zu mask %02x -> %s", i, masks[m], ct_status_name(s));
            ck_assert_ptr_null(f);
            if (i < 8)
                ck_assert_int_eq(s, CT_E_FORMAT); /* magic */
            img[i] ^= masks[m];
        }
    free(img);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

START_TEST(every_truncation)
{
    size_t len;
    uint8_t *img = small_image_v(1 + _i, &len); /* loop test: format versions 1 and 2 */
    for (size_t n = 0; n < len; n++) {
        ct_feed *f = (ct_feed *)1;
        uint8_t *cut = malloc(n ? n : 1); /* exact size so ASan sees any overread */
        memcpy(cut, img, n);
        ct_status s = ct_feed_parse_ctz(cut, n, &f);
        ck_assert_msg(s == (n < 8 ? CT_E_FORMAT : CT_E_CORRUPT), "length %zu -> %s", n, ct_status_name(s));
        ck_assert_ptr_null(f);
        free(cut);
    }
    /* trailing garbage */
    uint8_t *more = malloc(len + 1);
    memcpy(more, img, len);
    more[len] = 0;
    ct_feed *f;
    ck_assert_status(ct_feed_parse_ctz(more, len + 1, &f), CT_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "after the last block"));
    free(more);
    free(img);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

START_TEST(foreign_and_newer_files)
{
    ct_feed *f;
    ck_assert_status(ct_feed_parse_ctz("open_time,open\n", 15, &f), CT_E_FORMAT);
    ck_assert_str_eq(ct_last_error(), "not a .ctz file (bad magic)");
    ck_assert_status(ct_feed_parse_ctz("", 0, &f), CT_E_FORMAT);
    ck_assert_status(ct_feed_parse_ctz(NULL, 0, NULL), CT_E_INVALID_ARG);
    size_t len;
    uint8_t *img = small_image(&len);
    img[8] = 3; /* format version 3: checked before the header hash, so no re-hash needed */
    ck_assert_status(ct_feed_parse_ctz(img, len, &f), CT_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "version 3 is newer"));
    free(img);
    /* a .ctz path holding CSV text */
    char path[4096];
    snprintf(path, sizeof(path), "%s/fake.ctz", ct_test_tmpdir());
    FILE *fp = fopen(path, "wb");
    fputs("0,1,1,1,1,1\n", fp);
    fclose(fp);
    ck_assert_status(ct_feed_load(path, CT_GAPS_KEEP, &f), CT_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "fake.ctz: not a .ctz file"));
    remove(path);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* The reader refuses a symbol with a control character (docs/ctz-format.md), so the writer must
 * refuse it too: it used to write such a file, which then loaded as CT_E_CORRUPT. A symbol with
 * other UTF-8 still round-trips. A directory named *.ctz is an I/O error, not a read of LONG_MAX
 * bytes. */
START_TEST(symbol_the_reader_refuses_is_not_written)
{
    int64_t t[2] = {0, 60000};
    double p[2] = {1, 2};
    char path[4096];
    snprintf(path, sizeof(path), "%s/ctrl.ctz", ct_test_tmpdir());
    remove(path);
    const char *bad[] = {"BTC\tUSDT", "BTC\nUSDT", "\x7f", "ETH\x01"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        ct_feed *f, *g = NULL;
        ck_assert_ok(ct_feed_from_arrays(bad[k], 60000, t, p, p, p, p, p, 2, 0, &f));
        ck_assert_status(ct_feed_save(f, path), CT_E_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(ct_last_error(), "control character"));
        ck_assert_int_ne(access(path, F_OK), 0); /* nothing written, no temporary left */
        uint8_t *img = NULL;
        size_t len = 0;
        ck_assert_status(ct__ctz_encode(f, &img, &len), CT_E_INVALID_ARG);
        ck_assert_ptr_null(img);
        ck_assert_status(ct_feed_load(path, CT_GAPS_KEEP, &g), CT_E_IO);
        ct_feed_destroy(f);
    }
    ct_feed *f, *g;
    ck_assert_ok(ct_feed_from_arrays("\xc3\xa9T\xe2\x82\xac", 60000, t, p, p, p, p, p, 2, 0, &f));
    ck_assert_ok(ct_feed_save(f, path));
    ck_assert_ok(ct_feed_load(path, CT_GAPS_KEEP, &g));
    assert_same(f, g);
    ct_feed_destroy(g);
    ct_feed_destroy(f);
    remove(path);
    snprintf(path, sizeof(path), "%s/dir.ctz", ct_test_tmpdir());
    ck_assert_int_eq(mkdir(path, 0755), 0);
    ck_assert_status(ct_feed_load(path, CT_GAPS_KEEP, &g), CT_E_IO);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "dir.ctz': it is a directory"));
    ck_assert_ptr_null(g);
    rmdir(path);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* XXH64 reference values (xxHash's own test vectors, seed 0). */
START_TEST(xxh64_vectors)
{
    ck_assert_uint_eq(ct__xxh64("", 0), 0xEF46DB3751D8E999ULL);
    ck_assert_uint_eq(ct__xxh64("a", 1), 0xD24EC4F1A98C6E5BULL);
    ck_assert_uint_eq(ct__xxh64("abc", 3), 0x44BC2CF5AD770999ULL);
    const char *l = "Nobody inspects the spammish repetition";
    ck_assert_uint_eq(ct__xxh64(l, strlen(l)), 0xFBCEA83C8A378BF1ULL);
}
END_TEST

/* Images written by earlier writers load too: format version 1 in 65536-row blocks at zstd
 * level 19 is what the writer produced before version 2 (32768 rows, level 16); 1000-row
 * blocks give the parallel decoder 131 blocks to share, 2^20-row blocks one. */
START_TEST(other_block_sizes_and_levels)
{
    ct_feed *f, *g;
    ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst"), CT_GAPS_KEEP, &f));
    /* version, block rows, level */
    static const int32_t cfg[5][3] = {{1, 65536, 19}, {1, 1000, 1}, {2, 1000, 1}, {2, 1 << 20, 3}, {1, 1 << 20, 3}};
    for (int k = 0; k < 5; k++) {
        uint8_t *img;
        size_t len;
        ck_assert_ok(ct__ctz_encode_with(f, cfg[k][0], cfg[k][1], cfg[k][2], &img, &len));
        ck_assert_int_eq(img[8], cfg[k][0]);
        ck_assert_uint_eq(((uint32_t)img[12] | (uint32_t)img[13] << 8 | (uint32_t)img[14] << 16), (uint32_t)cfg[k][1]);
        ck_assert_ok(ct_feed_parse_ctz(img, len, &g));
        ct__free(img);
        assert_same(f, g);
        ct_feed_destroy(g);
    }
    ck_assert_status(ct__ctz_encode_with(f, 2, 0, 3, &(uint8_t *){NULL}, &(size_t){0}), CT_E_INVALID_ARG);
    ck_assert_status(ct__ctz_encode_with(f, 3, 100, 3, &(uint8_t *){NULL}, &(size_t){0}), CT_E_INVALID_ARG);
    ct_feed_destroy(f);
    /* a small feed in 7-row blocks (the one-thread path) */
    size_t len;
    ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"), CT_GAPS_FILL, &f));
    for (int32_t v = 1; v <= 2; v++) {
        uint8_t *img;
        ck_assert_ok(ct__ctz_encode_with(f, v, 7, 3, &img, &len));
        ck_assert_ok(ct_feed_parse_ctz(img, len, &g));
        ct__free(img);
        assert_same(f, g);
        ct_feed_destroy(g);
    }
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* Byte offset of block bi in a .ctz image (walks the block headers). */
static size_t block_at(const uint8_t *img, uint32_t bi)
{
    size_t pos = 40 + (size_t)(img[36] | img[37] << 8) + 8;
    for (uint32_t i = 0; i < bi; i++)
        pos += 28 + ((size_t)img[pos + 8] | (size_t)img[pos + 9] << 8 | (size_t)img[pos + 10] << 16 |
                     (size_t)img[pos + 11] << 24);
    return pos;
}

/* Blocks are decoded by several threads, yet the error is always the first bad block's. */
START_TEST(parallel_errors_name_the_first_bad_block)
{
    ct_feed *f, *g;
    ck_assert_ok(ct_feed_load(ct_test_data("binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst"), CT_GAPS_KEEP, &f));
    uint8_t *img;
    size_t len;
    ck_assert_ok(ct__ctz_encode_with(f, 2, 8192, 1, &img, &len)); /* 16 blocks of 8192 rows */
    /* flipped payload bytes in blocks 9 and 3: block 3 is named, every time */
    size_t p3 = block_at(img, 3) + 28 + 5, p9 = block_at(img, 9) + 28 + 5;
    img[p3] ^= 0x10;
    img[p9] ^= 0x10;
    for (int rep = 0; rep < 20; rep++) {
        g = (ct_feed *)1;
        ck_assert_status(ct_feed_parse_ctz(img, len, &g), CT_E_CORRUPT);
        ck_assert_str_eq(ct_last_error(), "ctz: checksum mismatch in block 3");
        ck_assert_ptr_null(g);
    }
    img[p3] ^= 0x10;
    img[p9] ^= 0x10;
    /* blocks 3 and 4 swapped: each is intact (its hash covers only itself), but the times go
     * back at the seam, which the reader checks after the threads are done */
    size_t a = block_at(img, 3), b = block_at(img, 4), c = block_at(img, 5);
    uint8_t *sw = malloc(len);
    memcpy(sw, img, a);
    memcpy(sw + a, img + b, c - b);
    memcpy(sw + a + (c - b), img + a, b - a);
    memcpy(sw + c, img + c, len - c);
    ck_assert_status(ct_feed_parse_ctz(sw, len, &g), CT_E_CORRUPT);
    ck_assert_msg(strstr(ct_last_error(), "ctz: block 4: row 32768: time ") != NULL, "%s", ct_last_error());
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "(rule: strictly increasing time)"));
    free(sw);
    /* the parallel path under the failing allocator: CT_E_NOMEM or success, never a leak (the
     * allocator can only be swapped with nothing live, so the image moves to plain malloc) */
    uint8_t *copy = malloc(len);
    memcpy(copy, img, len);
    ct__free(img);
    ct_feed_destroy(f);
    for (int64_t fail_at = 0;; fail_at++) {
        ct_test_failalloc_install(fail_at);
        g = NULL;
        ct_status s = ct_feed_parse_ctz(copy, len, &g);
        ct_feed_destroy(g);
        ct_test_failalloc_remove();
        ck_assert_msg(s == CT_OK || s == CT_E_NOMEM, "fail_at %lld: %s", (long long)fail_at, ct_status_name(s));
        if (s == CT_OK)
            break;
        ck_assert_int_lt(fail_at, 100);
    }
    free(copy);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* Re-sign block bi of an image after an edit, so the payload itself gets parsed (as in a
 * fuzzing build, where the hashes are not checked). */
static void rehash_block(uint8_t *img, uint32_t bi)
{
    size_t pos = block_at(img, bi);
    size_t cn = (size_t)img[pos + 8] | (size_t)img[pos + 9] << 8 | (size_t)img[pos + 10] << 16 |
                (size_t)img[pos + 11] << 24;
    uint64_t h = ct__xxh64(img + pos, 20) ^ ct__xxh64(img + pos + 28, cn);
    for (int i = 0; i < 8; i++)
        img[pos + 20 + i] = (uint8_t)(h >> (8 * i));
}

/* Version 2 pieces with valid hashes but broken contents: a clean error (or, for bytes inside a
 * zstd frame or a stored plane, possibly other valid candles), never a crash or an overread. */
START_TEST(resigned_piece_damage)
{
    size_t len;
    uint8_t *img = small_image_v(2, &len);
    size_t pay = block_at(img, 0) + 28; /* first piece header */
    ct_feed *f;
    /* kind 2 does not exist */
    img[pay] = 2;
    rehash_block(img, 0);
    ck_assert_status(ct_feed_parse_ctz(img, len, &f), CT_E_CORRUPT);
    ck_assert_str_eq(ct_last_error(), "ctz: block 0: malformed piece at byte 0");
    img[pay] = 0;
    rehash_block(img, 0);
    ck_assert_ok(ct_feed_parse_ctz(img, len, &f)); /* the first piece is short: stored */
    ct_feed_destroy(f);
    /* an output length one short: the pieces no longer fill the payload */
    img[pay + 5]--;
    img[pay + 1]--;
    rehash_block(img, 0);
    ck_assert_status(ct_feed_parse_ctz(img, len, &f), CT_E_CORRUPT);
    img[pay + 5]++;
    img[pay + 1]++;
    /* every byte of the block, three bit patterns, re-signed */
    static const uint8_t masks[3] = {0x01, 0x80, 0xFF};
    for (size_t i = block_at(img, 0); i < len; i++)
        for (int m = 0; m < 3; m++) {
            size_t rel = i - block_at(img, 0);
            if ((rel >= 8 && rel < 12) || (rel >= 20 && rel < 28))
                continue; /* comp_len (the re-signing would read past the image) and the hash */
            img[i] ^= masks[m];
            rehash_block(img, 0);
            f = NULL;
            ct_status s = ct_feed_parse_ctz(img, len, &f);
            ck_assert_msg(s == CT_OK || s == CT_E_CORRUPT, "byte %zu mask %02x -> %s", i, masks[m], ct_status_name(s));
            ck_assert_int_eq(s == CT_OK, f != NULL);
            if (f)
                ck_assert_int_eq(ct_feed_len(f), 60);
            ct_feed_destroy(f);
            img[i] ^= masks[m];
        }
    rehash_block(img, 0);
    ck_assert_ok(ct_feed_parse_ctz(img, len, &f));
    ct_feed_destroy(f);
    free(img);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

/* ct_feed_filled is NULL when no row carries a flag: an all-zero flag array is neither written
 * nor kept on load (images from earlier writers may carry one), nor copied by a clone. */
START_TEST(all_zero_flags_are_dropped)
{
    static const int64_t t[3] = {0, 60000, 120000};
    static const double p[3] = {1, 1, 1};
    ct_feed *f, *g;
    ck_assert_ok(ct_feed_from_arrays("Z", 60000, t, p, p, p, p, p, 3, 0, &f));
    f->filled = ct__calloc((size_t)f->cap, 1); /* what slices of filled feeds used to keep */
    ck_assert_ptr_nonnull(f->filled);
    ck_assert_ok(ct_feed_clone(f, &g));
    ck_assert_ptr_null(ct_feed_filled(g));
    ct_feed_destroy(g);
    uint8_t *img;
    size_t len;
    ck_assert_ok(ct__ctz_encode_with(f, 2, 7, 3, &img, &len));
    ck_assert_int_eq(img[10], 0); /* header flags: no filled stream */
    ck_assert_ok(ct_feed_parse_ctz(img, len, &g));
    ck_assert_ptr_null(ct_feed_filled(g));
    ct_feed_destroy(g);
    ct__free(img);
    /* an image carrying a filled stream of zeros, as earlier writers made: the 3-byte stream is
     * the last piece, stored as it is (shorter than a zstd piece); zero it and re-sign */
    f->filled[1] = CT_ROW_FILLED;
    ck_assert_ok(ct__ctz_encode_with(f, 2, 7, 3, &img, &len));
    ck_assert_int_eq(img[10], 1);
    ck_assert_int_eq(img[len - 2], CT_ROW_FILLED);
    img[len - 2] = 0;
    rehash_block(img, 0);
    ck_assert_ok(ct_feed_parse_ctz(img, len, &g));
    ck_assert_int_eq(ct_feed_len(g), 3);
    ck_assert_ptr_null(ct_feed_filled(g));
    ct_feed_destroy(g);
    ct__free(img);
    ct_feed_destroy(f);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

START_TEST(ctz_oom)
{
    /* encode and parse under the failing allocator: CT_E_NOMEM or success, never a leak */
    size_t len;
    uint8_t *img = small_image(&len);
    for (int64_t fail_at = 0;; fail_at++) {
        ct_test_failalloc_install(fail_at);
        ct_feed *f = NULL;
        ct_status s = ct_feed_parse_ctz(img, len, &f);
        ct_status s2 = CT_OK;
        if (s == CT_OK) {
            uint8_t *out;
            size_t ol;
            s2 = ct__ctz_encode(f, &out, &ol);
            if (s2 == CT_OK)
                ct__free(out);
        }
        ct_feed_destroy(f);
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        ct_test_failalloc_remove();
        ck_assert_msg(s == CT_OK || s == CT_E_NOMEM, "fail_at %lld: %s", (long long)fail_at, ct_status_name(s));
        ck_assert_msg(s2 == CT_OK || s2 == CT_E_NOMEM, "fail_at %lld: %s", (long long)fail_at, ct_status_name(s2));
        if (s == CT_OK && s2 == CT_OK)
            break;
        ck_assert_int_lt(fail_at, 100);
    }
    free(img);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ctz");
    TCase *tc = tcase_create("ctz");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, round_trip_every_candle_file);
    tcase_add_test(tc, round_trip_filled_and_gaps);
    tcase_add_test(tc, raw_double_fallback);
    tcase_add_loop_test(tc, every_byte_flipped, 0, 2);
    tcase_add_loop_test(tc, every_truncation, 0, 2);
    tcase_add_test(tc, foreign_and_newer_files);
    tcase_add_test(tc, symbol_the_reader_refuses_is_not_written);
    tcase_add_test(tc, xxh64_vectors);
    tcase_add_test(tc, other_block_sizes_and_levels);
    tcase_add_test(tc, parallel_errors_name_the_first_bad_block);
    tcase_add_test(tc, resigned_piece_damage);
    tcase_add_test(tc, ctz_oom);
    tcase_add_test(tc, all_zero_flags_are_dropped);
    suite_add_tcase(s, tc);
    return ct_test_run(s);
}
