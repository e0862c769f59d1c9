/**
 * @file fetch.h
 * ct_fetcher: a Binance kline client with a local cache (DESIGN.md section 4, BINANCE.md).
 *
 * Spot candles come from `/api/v3/klines` (1000 rows a request), USD-M futures candles from
 * `/fapi/v1/klines` (1500 rows a request) and funding rates from `/fapi/v1/fundingRate`. A range
 * is paged with `startTime = last close time + 1`; a page that is empty or shorter than the limit
 * ends it. Duplicate open times are dropped, and so is the still-open last bar (close time after
 * the server time from `/api/v3/time` or `/fapi/v1/time`). Long ranges are split into
 * independent segments and several segments and symbols download at once through libcurl's
 * multi interface, within the request-weight budget (`X-MBX-USED-WEIGHT-1M`).
 *
 * Faults: 429 waits `Retry-After` and retries; 418 stops every transfer and fails with
 * CT_E_RATE_LIMIT naming when the ban ends; 5xx, 408, timeouts and dropped connections retry
 * with capped exponential backoff and jitter; other 4xx map Binance's `{"code","msg"}` to
 * CT_E_HTTP or CT_E_NOT_FOUND (unknown symbol). A malformed or truncated body, or one that is
 * not JSON, is CT_E_FORMAT: a partial download is never returned as a whole feed.
 *
 * Cache: with a cache directory set, every (market, symbol, interval) has one `.ctz` file
 * `<dir>/<spot|futures>/<SYMBOL>_<interval>.ctz` plus a small JSON sidecar
 * `<SYMBOL>_<interval>.json` listing the time ranges already asked for, so that holes the
 * exchange really has are not asked for again. A fetch downloads only what is missing, merges,
 * and replaces the file atomically (temporary file, fsync, rename) under an flock() lock file,
 * so a crash or a concurrent process never corrupts it. Long downloads are checkpointed.
 *
 * @threadsafety a fetcher is used by one thread at a time; different fetchers are independent.
 */
#ifndef CRYPTOTA_FETCH_H
#define CRYPTOTA_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "feed.h"
#include "status.h"

CT_EXTERN_C_BEGIN

typedef struct ct_fetcher ct_fetcher;

/** Markets. */
enum {
    CT_MARKET_SPOT = 0,    /**< Binance spot, /api/v3/klines */
    CT_MARKET_FUTURES = 1  /**< Binance USD-M futures, /fapi/v1/klines */
};

/**
 * Setting IDs (explicit and gapped; new ones never change the ABI).
 * Strings go through ct_fetcher_set_str, integers through ct_fetcher_set_i64.
 * The JSON keys of ct_fetcher_configure_json are given in brackets.
 */
enum {
    /** str ["base_url"]: one base URL that serves both /api and /fapi paths (sets both below). */
    CT_FETCH_BASE_URL = 100,
    /** str ["spot_url"]: spot base URL. Default https://data-api.binance.vision */
    CT_FETCH_SPOT_URL = 101,
    /** str ["futures_url"]: USD-M futures base URL. Default https://fapi.binance.com */
    CT_FETCH_FUTURES_URL = 102,
    /** str ["cache_dir"]: cache directory (created when missing); "" disables the cache (default). */
    CT_FETCH_CACHE_DIR = 110,
    /** str ["user_agent"]: User-Agent header. Default "libcryptota/<version>". */
    CT_FETCH_USER_AGENT = 120,
    /** i64 ["timeout_ms"]: limit for one HTTP request, 1..3600000. Default 30000. */
    CT_FETCH_TIMEOUT_MS = 200,
    /** i64 ["connect_timeout_ms"]: connect limit, 1..600000. Default 10000. */
    CT_FETCH_CONNECT_TIMEOUT_MS = 201,
    /** i64 ["max_retries"]: retries of one request after a transient fault, 0..100. Default 5. */
    CT_FETCH_MAX_RETRIES = 210,
    /** i64 ["retry_base_ms"]: first backoff delay, 0..600000; doubled each retry. Default 500. */
    CT_FETCH_RETRY_BASE_MS = 211,
    /** i64 ["retry_max_ms"]: backoff cap, 0..3600000. Default 30000. */
    CT_FETCH_RETRY_MAX_MS = 212,
    /** i64 ["max_parallel"]: transfers in flight at once, 1..64. Default 4. */
    CT_FETCH_MAX_PARALLEL = 220,
    /**
     * i64 ["weight_limit"]: request weight allowed per window; the client keeps 10 % in reserve
     * and pauses new requests before reaching it. 0 (default) reads REQUEST_WEIGHT from
     * exchangeInfo once per market (6000 spot / 2400 futures if that fails). 1..1000000.
     */
    CT_FETCH_WEIGHT_LIMIT = 230,
    /** i64 ["weight_window_ms"]: length of the weight window, 1..3600000. Default 60000. */
    CT_FETCH_WEIGHT_WINDOW_MS = 231,
    /** i64 ["page_limit"]: rows asked per request, 1..1000 (spot) / 1500 (futures); 0 = max (default). */
    CT_FETCH_PAGE_LIMIT = 240,
    /** i64 ["drop_open_bar"]: 1 (default) drops the still-open last bar; 0 keeps it (not cached). */
    CT_FETCH_DROP_OPEN_BAR = 250,
    /**
     * i64 ["checkpoint_rows"]: with a cache, save progress to it after this many new rows so an
     * interrupted download resumes where it stopped, 1000..100000000. Default 100000.
     */
    CT_FETCH_CHECKPOINT_ROWS = 260
};

/** Counters read with ct_fetcher_get_i64 (reset by ct_fetcher_reset_stats). */
enum {
    CT_FETCH_STAT_REQUESTS = 900,       /**< HTTP requests sent (all endpoints, retries included) */
    CT_FETCH_STAT_KLINE_REQUESTS = 901, /**< kline requests sent */
    CT_FETCH_STAT_RETRIES = 902,        /**< requests retried after a fault */
    CT_FETCH_STAT_ROWS = 903,           /**< kline rows received from the network */
    CT_FETCH_STAT_BYTES = 904,          /**< response body bytes received */
    CT_FETCH_STAT_USED_WEIGHT = 905,    /**< last X-MBX-USED-WEIGHT-1M seen (-1 if none) */
    CT_FETCH_STAT_WEIGHT_WAITS = 906,   /**< times new requests were held back by the weight budget */
    CT_FETCH_STAT_CACHE_ROWS = 907      /**< rows of the last fetch served from the cache */
};

/**
 * Progress callback: `done` of an expected `total` bars so far (total is an estimate from the
 * missing ranges and the interval; done never exceeds it). Return 0 to go on, non-zero to cancel:
 * the fetch then stops every transfer and returns CT_E_CANCELLED. Called on the fetching thread.
 */
typedef int32_t (*ct_fetch_progress_fn)(void *user, int64_t done, int64_t total);

/**
 * Create a fetcher with the default settings (public Binance market-data hosts, no cache).
 * @param[out] out  new fetcher owned by the caller (ct_fetcher_destroy); NULL on failure.
 * @return CT_OK, CT_E_INVALID_ARG (out NULL), CT_E_NOMEM, CT_E_INTERNAL (libcurl failed to initialise).
 * @threadsafety any thread. @since 0.1
 */
CT_API ct_status ct_fetcher_create(ct_fetcher **out);

/** Destroy a fetcher. NULL is a no-op. @threadsafety not with other calls on f. @since 0.1 */
CT_API void ct_fetcher_destroy(ct_fetcher *f);

/**
 * Message of the last failing call on this fetcher ("" if none). Library-owned, valid until
 * the next call on f. @since 0.1
 */
CT_API const char *ct_fetcher_errmsg(const ct_fetcher *f);

/**
 * Set an integer setting (CT_FETCH_*). @return CT_OK, CT_E_INVALID_ARG (f NULL or not an integer
 * setting), CT_E_NOT_FOUND (unknown ID), CT_E_RANGE (value outside the documented range).
 * @threadsafety one thread at a time per fetcher. @since 0.1
 */
CT_API ct_status ct_fetcher_set_i64(ct_fetcher *f, int32_t key, int64_t value);

/**
 * Set a string setting (CT_FETCH_*), copied. URLs must start with http:// or https://; a
 * trailing '/' is removed. @return CT_OK, CT_E_INVALID_ARG, CT_E_NOT_FOUND, CT_E_NOMEM.
 * @since 0.1
 */
CT_API ct_status ct_fetcher_set_str(ct_fetcher *f, int32_t key, const char *value);

/**
 * Read an integer setting or a counter (CT_FETCH_STAT_*).
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOT_FOUND. @since 0.1
 */
CT_API ct_status ct_fetcher_get_i64(const ct_fetcher *f, int32_t key, int64_t *value);

/** Zero the CT_FETCH_STAT_* counters. NULL is a no-op. @since 0.1 */
CT_API void ct_fetcher_reset_stats(ct_fetcher *f);

/**
 * Apply settings from a JSON object whose keys are the bracketed names of the CT_FETCH_*
 * settings, e.g. `{"base_url": "http://127.0.0.1:8080", "max_parallel": 8}`. All or nothing:
 * on error no setting changes. @return CT_OK, CT_E_INVALID_ARG, CT_E_FORMAT (not a JSON object),
 * CT_E_NOT_FOUND (unknown key, named), CT_E_RANGE (named), CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_fetcher_configure_json(ct_fetcher *f, const char *json);

/**
 * Install a progress callback (NULL removes it). `user` is passed back unchanged.
 * @return CT_OK or CT_E_INVALID_ARG. @since 0.1
 */
CT_API ct_status ct_fetcher_set_progress(ct_fetcher *f, ct_fetch_progress_fn fn, void *user);

/**
 * Download (or read from the cache) the candles of one symbol with open time in
 * [start_ms, end_ms). end_ms <= 0 means "up to now". The result is a validated feed named after
 * the symbol with the interval set; gaps the exchange has are kept (ct_feed_gaps reports them).
 * @param[in] market    CT_MARKET_SPOT or CT_MARKET_FUTURES.
 * @param[in] symbol    e.g. "BTCUSDT" (upper case as Binance spells it).
 * @param[in] interval  a Binance interval name ("1m", "1h", "1d", ...).
 * @param[out] out      new feed owned by the caller (ct_feed_destroy); NULL on failure.
 * @return CT_OK; CT_E_INVALID_ARG (argument named); CT_E_NOT_FOUND (unknown symbol);
 *         CT_E_HTTP (other 4xx/5xx after retries, with Binance's code and msg); CT_E_RATE_LIMIT
 *         (418 ban, or 429 after max_retries); CT_E_NET (connection or timeout after retries);
 *         CT_E_FORMAT (malformed, truncated or non-JSON body); CT_E_DATA (candles break a rule);
 *         CT_E_IO (cache directory or file); CT_E_CANCELLED; CT_E_NOMEM.
 * @threadsafety one thread at a time per fetcher. @since 0.1
 */
CT_API ct_status ct_fetcher_klines(ct_fetcher *f, int32_t market, const char *symbol, const char *interval,
                                   int64_t start_ms, int64_t end_ms, ct_feed **out);

/**
 * As ct_fetcher_klines for several symbols at once, downloading in parallel (max_parallel
 * transfers shared by all symbols). All or nothing: on failure every out[i] is NULL and the
 * message names the symbol that failed.
 * @param[in]  symbols  n symbol names.
 * @param[out] out      array of n feed pointers, each owned by the caller.
 * @return as ct_fetcher_klines. @since 0.1
 */
CT_API ct_status ct_fetcher_klines_many(ct_fetcher *f, int32_t market, const char *const *symbols, int32_t n,
                                        const char *interval, int64_t start_ms, int64_t end_ms, ct_feed **out);

/**
 * USD-M funding rate history of one symbol with funding time in [start_ms, end_ms)
 * (end_ms <= 0: up to now), count-then-copy: copies up to `cap` entries into time_ms/rate and sets
 * *n_total to the number available. The download is kept in the fetcher, so calling first with
 * cap 0 (arrays may be NULL) and then again with the same symbol and range reads the network once.
 * Rates are fractions per funding period (0.0001 = 0.01 %). Not cached on disk.
 * @return CT_OK, CT_E_INVALID_ARG, and the network statuses of ct_fetcher_klines. @since 0.1
 */
CT_API ct_status ct_fetcher_funding(ct_fetcher *f, const char *symbol, int64_t start_ms, int64_t end_ms,
                                    int64_t *time_ms, double *rate, int64_t cap, int64_t *n_total);

/**
 * The cache file path the fetcher uses for (market, symbol, interval), count-then-copy into buf
 * (NUL-terminated; *len gets the length without the NUL). Works without touching the disk.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_STATE (no cache directory set). @since 0.1
 */
CT_API ct_status ct_fetcher_cache_path(const ct_fetcher *f, int32_t market, const char *symbol,
                                       const char *interval, char *buf, size_t cap, size_t *len);

/**
 * Parse one `/api/v3/klines` (or `/fapi/v1/klines`) response body into caller columns, the fast
 * path the fetcher uses: prices and volume are decimal strings converted exactly (the same
 * double as strtod). Writes up to `cap` rows; *n gets the number of rows in the body (count
 * first with cap 0). close_time may be NULL.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_FORMAT (names the byte offset), CT_E_RANGE (cap too small).
 * @threadsafety safe. @since 0.1
 */
CT_API ct_status ct_klines_parse(const char *body, size_t len, int64_t *open_time, double *open, double *high,
                                 double *low, double *close, double *volume, int64_t *close_time,
                                 int64_t cap, int64_t *n);

CT_EXTERN_C_END

#endif /* CRYPTOTA_FETCH_H */
