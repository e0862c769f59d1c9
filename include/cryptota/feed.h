/**
 * @file feed.h
 * ct_feed: one symbol's OHLCV candles as columns (DESIGN.md section 3).
 *
 * Time is int64 milliseconds since the Unix epoch (UTC), the open time of the bar. Every
 * load and append validates: strictly increasing time; finite prices > 0; finite volume >= 0;
 * low <= min(open, close) and max(open, close) <= high. A violation is CT_E_DATA with a
 * message naming the row (the file line for CSV) and the rule. Nothing is dropped or repaired.
 *
 * @threadsafety one thread at a time while loading or appending. A feed that is no longer
 * appended to is immutable: any number of engines on any threads may read it. The calls that
 * only read a feed (const ct_feed *) therefore record a failure in the calling thread's
 * ct_last_error only, never in ct_feed_errmsg, which those threads would race on.
 */
#ifndef CRYPTOTA_FEED_H
#define CRYPTOTA_FEED_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "status.h"

CT_EXTERN_C_BEGIN

typedef struct ct_feed ct_feed;

/** Column identifiers (also used by strategies: ct_ctx_bar, ct_ctx_series). */
enum {
    CT_FIELD_OPEN = 0,
    CT_FIELD_HIGH = 1,
    CT_FIELD_LOW = 2,
    CT_FIELD_CLOSE = 3,
    CT_FIELD_VOLUME = 4
};

/** Gap policy at load time. */
enum {
    CT_GAPS_KEEP = 0,   /**< keep gaps; report them with ct_feed_gaps (default) */
    CT_GAPS_FILL = 1,   /**< insert flat bars at the previous close, volume 0, flagged */
    CT_GAPS_ERROR = 2   /**< a gap is CT_E_DATA naming where it is */
};

/** Flags of ct_feed_from_arrays. */
enum {
    CT_FEED_COPY = 0,        /**< copy the arrays (default) */
    CT_FEED_BORROW = 1u << 0 /**< borrow them: they must stay valid and unchanged until ct_feed_destroy */
};

/** Flags of ct_feed_resample. */
enum {
    CT_RESAMPLE_PARTIAL = 1u << 0  /**< also emit incomplete buckets (first/last or holding a gap) */
};

/** Per-row flag bits of ct_feed_filled. */
enum {
    CT_ROW_FILLED = 1u << 0,  /**< the bar was inserted by CT_GAPS_FILL (or, after resampling, holds such a bar) */
    CT_ROW_PARTIAL = 1u << 1  /**< a resampled bar from an incomplete bucket (CT_RESAMPLE_PARTIAL) */
};

/* ---- intervals ---- */

/**
 * Parse a Binance interval name (1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M) into
 * milliseconds. "1M" is taken as 30 days. @return CT_OK or CT_E_INVALID_ARG naming the text.
 * @since 0.1
 */
CT_API ct_status ct_interval_parse(const char *name, int64_t *interval_ms);

/** The Binance name of an interval in ms ("1h"), static; NULL if it has none. @since 0.1 */
CT_API const char *ct_interval_name(int64_t interval_ms);

/* ---- construction ---- */

/**
 * Create an empty feed to append to.
 * @param[in] symbol       e.g. "BTCUSDT" (copied); may be NULL or "" for none.
 * @param[in] interval_ms  bar interval in ms (> 0), or 0 to infer it from the first appended rows.
 * @param[out] out         new feed, destroyed with ct_feed_destroy; NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_feed_create(const char *symbol, int64_t interval_ms, ct_feed **out);

/**
 * Build a feed from host columns (validated). With CT_FEED_BORROW the arrays are borrowed
 * until ct_feed_destroy (zero-copy over numpy or Float64Array memory) and the feed cannot be
 * appended to; otherwise they are copied. `interval_ms` 0 infers the interval (the smallest
 * time step). @return CT_OK, CT_E_INVALID_ARG, CT_E_DATA (names the row and rule), CT_E_NOMEM.
 * @since 0.1
 */
CT_API ct_status ct_feed_from_arrays(const char *symbol, int64_t interval_ms,
                                     const int64_t *time, const double *open, const double *high,
                                     const double *low, const double *close, const double *volume,
                                     int64_t n, uint32_t flags, ct_feed **out);

/**
 * Append rows (validated against each other and the feed's last row). On error nothing is
 * appended. A CT_E_DATA message numbers the rows within this batch ("row 0" is time[0], whose
 * "previous row" is the feed's last one), not by their index in the feed.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_DATA, CT_E_STATE (borrowed feed), CT_E_NOMEM.
 * @since 0.1
 */
CT_API ct_status ct_feed_append(ct_feed *f, const int64_t *time, const double *open,
                                const double *high, const double *low, const double *close,
                                const double *volume, int64_t n);

/** Destroy a feed. NULL is a no-op. @since 0.1 */
CT_API void ct_feed_destroy(ct_feed *f);

/** A deep copy (owning its columns). @return CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM. @since 0.1 */
CT_API ct_status ct_feed_clone(const ct_feed *f, ct_feed **out);

/* ---- metadata and zero-copy columns ---- */

CT_API int64_t ct_feed_len(const ct_feed *f);
/** Symbol ("" if none), owned by the feed: valid until ct_feed_set_symbol or ct_feed_destroy. */
CT_API const char *ct_feed_symbol(const ct_feed *f);
CT_API int64_t ct_feed_interval_ms(const ct_feed *f);
/**
 * Replace the symbol (copied; NULL for none). The old string is freed, so a pointer returned
 * earlier by ct_feed_symbol dangles afterwards. Changes the feed: not while others read it.
 * @return CT_OK, CT_E_INVALID_ARG (f NULL), CT_E_NOMEM (the old symbol is kept). @since 0.1
 */
CT_API ct_status ct_feed_set_symbol(ct_feed *f, const char *symbol);
/** Columns, owned by the feed, valid until it is destroyed or appended to; NULL when empty. */
CT_API const int64_t *ct_feed_time(const ct_feed *f);
CT_API const double *ct_feed_open(const ct_feed *f);
CT_API const double *ct_feed_high(const ct_feed *f);
CT_API const double *ct_feed_low(const ct_feed *f);
CT_API const double *ct_feed_close(const ct_feed *f);
CT_API const double *ct_feed_volume(const ct_feed *f);
/** Column by CT_FIELD_*; NULL for an unknown field. */
CT_API const double *ct_feed_column(const ct_feed *f, int32_t field);
/** Per-row flags (CT_ROW_FILLED, CT_ROW_PARTIAL bits; 0 for an ordinary bar), owned by the
 *  feed. NULL when no row carries a flag (also for a slice, copy or .ctz file of a flagged feed
 *  whose rows carry none). */
CT_API const uint8_t *ct_feed_filled(const ct_feed *f);
/** Index of the first row with time >= t (ct_feed_len if none). */
CT_API int64_t ct_feed_lower_bound(const ct_feed *f, int64_t time_ms);
/** Message of the last failing call that changes this feed (append, set_symbol; "" if none).
 *  Calls that only read it (gaps, resample, slice, save, ...) report in ct_last_error only. */
CT_API const char *ct_feed_errmsg(const ct_feed *f);

/* ---- gaps ---- */

/** Number of missing bars over all gaps. @since 0.1 */
CT_API int64_t ct_feed_missing_bars(const ct_feed *f);

/**
 * Gaps (places where consecutive rows are more than one interval apart), count-then-copy:
 * writes up to `cap` entries and sets *n_total to the number of gaps. Any of the arrays may be
 * NULL when cap is 0. `after_ms` is the time of the row before the gap, `before_ms` the time of
 * the row after it, `missing` the number of bars missing in between.
 * @return CT_OK or CT_E_INVALID_ARG (the message goes to ct_last_error only).
 * @threadsafety reads f only. @since 0.1
 */
CT_API ct_status ct_feed_gaps(const ct_feed *f, int64_t *after_ms, int64_t *before_ms,
                              int64_t *missing, int64_t cap, int64_t *n_total);

/** Apply a gap policy to an existing feed: KEEP clones, FILL inserts flagged flat bars, ERROR fails on a gap. @since 0.1 */
CT_API ct_status ct_feed_apply_gaps(const ct_feed *f, int32_t policy, ct_feed **out);

/* ---- transforms ---- */

/**
 * Resample to `interval_ms`, a multiple of the feed's interval, with buckets aligned to the UTC
 * epoch (open=first, high=max, low=min, close=last, volume=sum). A bucket is complete when it
 * holds all interval_ms / ct_feed_interval_ms(f) bars; incomplete ones (partial first/last
 * bucket, or a gap inside) are skipped, or with CT_RESAMPLE_PARTIAL emitted and flagged
 * CT_ROW_PARTIAL in ct_feed_filled. A bucket holding a CT_GAPS_FILL bar is flagged CT_ROW_FILLED.
 * @return CT_OK, CT_E_INVALID_ARG (NULL, unknown flags, feed without interval, not a positive
 * multiple), CT_E_RANGE (times within interval_ms of the int64 limits, or a bucket's volume sum
 * overflows a double), CT_E_NOMEM. Messages go to ct_last_error only.
 * @threadsafety reads f only. @since 0.1
 */
CT_API ct_status ct_feed_resample(const ct_feed *f, int64_t interval_ms, uint32_t flags, ct_feed **out);

/**
 * Rows with start_ms <= time < end_ms, copied (with their flags) into a new feed.
 * @return CT_OK, CT_E_INVALID_ARG (NULL, end_ms < start_ms), CT_E_NOMEM. Messages go to
 * ct_last_error only. @threadsafety reads f only. @since 0.1
 */
CT_API ct_status ct_feed_slice(const ct_feed *f, int64_t start_ms, int64_t end_ms, ct_feed **out);

/* ---- files ---- */

/**
 * Load a candle file, picking the reader by extension (case-insensitive): .csv, .csv.zst
 * (streaming decompression), .ctz. For CSV the symbol and interval come from the file name
 * when it follows `<exchange>_<SYMBOL>_<interval>_...` or `<SYMBOL>_<interval>...`, else the
 * symbol is "" and the interval is the smallest time step; rows closer together than the
 * name's interval override it. CSV layouts and rules: docs/feeds.md; .ctz: docs/ctz-format.md.
 * @param[in]  path        file to read.
 * @param[in]  gap_policy  CT_GAPS_KEEP, CT_GAPS_FILL or CT_GAPS_ERROR, applied after loading.
 * @param[out] out         new feed (ct_feed_destroy); NULL on failure.
 * @return CT_OK; CT_E_INVALID_ARG (NULL, unknown extension or policy); CT_E_IO (cannot open or
 * read, or a directory); CT_E_FORMAT (CSV layout, naming the line and rule; not a .ctz file);
 * CT_E_DATA (a validation rule, naming the line; a gap under CT_GAPS_ERROR); CT_E_CORRUPT (truncated or
 * damaged .ctz or zstd stream, an empty .csv.zst); CT_E_UNSUPPORTED (.ctz from a newer format
 * version); CT_E_NOMEM.
 * Messages start with the path.
 * @threadsafety any thread; the new feed belongs to the caller. @since 0.1
 */
CT_API ct_status ct_feed_load(const char *path, int32_t gap_policy, ct_feed **out);

/**
 * Parse CSV text from memory. Layouts: `open_time,open,high,low,close,volume` with or without
 * a header, and Binance's 12-column dump (no header). Times in ms, µs (values > 1e14) or
 * ISO-8601. CRLF and blank lines are accepted. Numbers are bit-identical to strtod's.
 * @param[in]  text, len     the text (need not be NUL-terminated); borrowed for the call.
 * @param[in]  symbol        symbol to record (copied; NULL for none).
 * @param[in]  interval_ms   bar interval, or 0 to infer it (smallest time step).
 * @param[in]  gap_policy    CT_GAPS_*.
 * @param[out] out           new feed; NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_FORMAT, CT_E_DATA, CT_E_NOMEM (as ct_feed_load).
 * @threadsafety any thread. @since 0.1
 */
CT_API ct_status ct_feed_parse_csv(const char *text, size_t len, const char *symbol,
                                   int64_t interval_ms, int32_t gap_policy, ct_feed **out);

/**
 * Parse a .ctz image from memory (docs/ctz-format.md). Checksums are verified and every row is
 * validated; the gap policy is not applied (use ct_feed_apply_gaps). Images of 65536 rows or
 * more are decoded on up to min(online CPUs, 4) threads (joined before the call returns); the
 * result and any error are the same as with one thread.
 * @param[in]  data, len  the image; borrowed for the call.
 * @param[out] out        new feed; NULL on failure.
 * @return CT_OK; CT_E_INVALID_ARG; CT_E_FORMAT ("not a .ctz file"); CT_E_UNSUPPORTED (newer
 * format version or unknown flags); CT_E_CORRUPT (truncated, checksum mismatch, malformed block,
 * a row that breaks a validation rule); CT_E_NOMEM.
 * @threadsafety any thread. @since 0.1
 */
CT_API ct_status ct_feed_parse_ctz(const void *data, size_t len, ct_feed **out);

/**
 * Write a feed, format by extension (.csv, .csv.zst, .ctz). CSV has the header
 * `open_time,open,high,low,close,volume` and the shortest decimals that read back bit-identical;
 * .csv.zst is compressed at zstd level 19; .ctz round-trips bit for bit (flags included).
 * The file is written to a temporary name in the same directory and renamed into place, so an
 * existing file is replaced atomically and a failure leaves it untouched.
 * @return CT_OK, CT_E_INVALID_ARG (NULL, unknown extension; for .ctz a symbol over 255 bytes or
 * holding a control character), CT_E_RANGE (CSV: a time below 0 or above 1e14, which the CSV
 * reader would not give back; the message names the row), CT_E_IO, CT_E_NOMEM, CT_E_INTERNAL
 * (zstd compression failed). Messages go to ct_last_error only. @threadsafety reads f only.
 * @since 0.1
 */
CT_API ct_status ct_feed_save(const ct_feed *f, const char *path);

CT_EXTERN_C_END

#endif /* CRYPTOTA_FEED_H */
