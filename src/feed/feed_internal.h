/* The ct_feed layout, shared by the feed modules (csv.c, ctz.c, transform.c). */
#ifndef CT_FEED_INTERNAL_H
#define CT_FEED_INTERNAL_H

#include <stdio.h>

#include <stdatomic.h>

#include "cryptota/feed.h"
#include "internal/ct_internal.h"

struct ct_feed {
    ct__err err;
    char *symbol;
    int64_t interval_ms;  /* 0 while unknown (fewer than two rows and none given) */
    int64_t n;
    int64_t cap;
    int64_t *time;
    double *open, *high, *low, *close, *volume;
    void *cols_mem;       /* the one allocation holding all six columns (NULL when borrowed) */
    uint8_t *filled;      /* NULL unless CT_GAPS_FILL inserted a row */
    int borrowed;
    _Atomic uint64_t content_hash; /* 0 = not computed yet; see ct__feed_hash (engine.c) */
};

/*
 * Check one candle against the rules of DESIGN.md section 3. `prev_time` is the previous row's
 * time (INT64_MIN for none). `what` and `rowno` name the row in the message ("row", 5 or
 * "line", 7). Returns CT_OK or CT_E_DATA.
 */
ct_status ct__feed_check_row(ct__err *err, const char *what, int64_t rowno, int64_t prev_time, int64_t t,
                             double o, double h, double l, double c, double v);

/* ct__feed_check_row over n rows (numbered first_rowno...), with a fast branch-free scan. */
ct_status ct__feed_check_rows(ct__err *err, const char *what, int64_t first_rowno, int64_t prev_time,
                              const int64_t *t, const double *o, const double *h, const double *l, const double *c,
                              const double *v, int64_t n);

/* Grow the columns to hold at least `need` rows (the first reservation is exact, later ones
 * double). Rows [0, n) are kept; the six columns share one block (see feed.c). */
ct_status ct__feed_reserve(ct_feed *f, int64_t need);

/* Append one row without validation (the caller has checked it). Capacity must be reserved. */
static inline void ct__feed_push(ct_feed *f, int64_t t, double o, double h, double l, double c, double v)
{
    int64_t i = f->n++;
    f->time[i] = t;
    f->open[i] = o;
    f->high[i] = h;
    f->low[i] = l;
    f->close[i] = c;
    f->volume[i] = v;
}

/* 1 if any of the n flags is non-zero. ct_feed_filled is NULL when no row carries a flag, so
 * a feed never keeps an all-zero flag array: copies (slice, clone, .ctz) test with this. */
int ct__feed_any_flag(const uint8_t *filled, int64_t n);

/* Free f's flag array when no row carries a flag (see ct__feed_any_flag). */
void ct__feed_drop_zero_flags(ct_feed *f);

/* The smallest positive step between consecutive times (0 if fewer than two rows). */
int64_t ct__feed_infer_interval(const int64_t *time, int64_t n);

/* Apply a gap policy in place (FILL inserts flagged rows; ERROR fails naming the gap). */
ct_status ct__feed_apply_gap_policy(ct_feed *f, int32_t policy);

/* Interval in ms of a Binance interval name, 0 if unknown (no error is recorded). */
int64_t ct__interval_lookup(const char *name, size_t len);

/* XXH64 (seed 0) of a byte range: the .ctz checksum. */
uint64_t ct__xxh64(const void *data, size_t len);

/* Encode a feed as a .ctz image (ct__malloc'd, freed with ct__free). */
ct_status ct__ctz_encode(const ct_feed *f, uint8_t **out, size_t *out_len);

/* ct__ctz_encode with a chosen format version (1 or 2), block size (1 .. 2^20 rows) and zstd
 * level: tests use it to write images as earlier writers did (version 1, 65536-row blocks,
 * level 19) and many-block images. */
ct_status ct__ctz_encode_with(const ct_feed *f, int32_t version, int32_t block_rows, int32_t level, uint8_t **out,
                              size_t *out_len);

/* Write a feed as CSV text (header `open_time,open,high,low,close,volume`); `zst` compresses
 * with streaming zstd. Numbers are the shortest decimals that read back bit-identical. */
ct_status ct__csv_write(const ct_feed *f, FILE *fp, int zst);

/* Open a candle file for reading. *size gets its size when it is a regular file, else 0 (a
 * pipe: read to the end). A directory is CT_E_IO naming it: fopen accepts one, and its
 * "size" from fseek/ftell is LONG_MAX on ext4, which was taken as the size of the data. */
ct_status ct__feed_open_file(const char *path, FILE **fp, uint64_t *size);

/* Load a .csv (zst = 0) or .csv.zst (zst = 1) file by streaming through a bounded buffer. */
ct_status ct__csv_load_file(const char *path, int zst, const char *symbol, int64_t interval_ms, int32_t gap_policy,
                            ct_feed **out);

/* Parse exactly [s, s+len) as a decimal number the way the CSV reader does; 1 on success. */
int ct__csv_parse_double(const char *s, size_t len, double *out);

#endif
