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
 * with capped exponential backoff and jitter (a host name that does not resolve: once at most);
 * other 4xx map Binance's `{"code","msg"}`: -1121 (unknown symbol) to CT_E_NOT_FOUND, -1100,
 * -1102, -1120 and -1130 (a request it calls malformed) to CT_E_INVALID_ARG, the rest to
 * CT_E_HTTP. A malformed or truncated body, or one that is not JSON, is CT_E_FORMAT: a partial
 * download is never returned as a whole feed. So is a page that breaks the paging contract
 * (klines out of order, also across pages; a full page with no kline closing at or after
 * startTime, i.e. a page served again): it adds no row, to the result or to the cache.
 *
 * Cache: with a cache directory set, every (market, symbol, interval) has one `.ctz` file
 * `<dir>/<spot|futures>/<SYMBOL>_<interval>.ctz` plus a small JSON sidecar
 * `<SYMBOL>_<interval>.json` listing the time ranges already asked for, so that holes the
 * exchange really has are not asked for again. A cache file of another symbol or interval
 * (copied or renamed there) is downloaded again; such a sidecar is ignored. A fetch downloads
 * only what is missing, merges, and replaces the file atomically (temporary file, fsync,
 * rename) under an flock() lock file `<SYMBOL>_<interval>.lock`, so a crash or a concurrent
 * process never corrupts it. Long downloads are checkpointed. A fetch that caches nothing for a
 * symbol (it failed before any row was saved) removes that lock file again, and the
 * directories it created if they are empty.
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
    /**
     * str ["base_url"]: one base URL that serves both /api and /fapi paths (sets both below).
     * URLs start with http:// or https://, are at most 512 characters, and lose trailing '/'.
     */
    CT_FETCH_BASE_URL = 100,
    /** str ["spot_url"]: spot base URL. Default https://data-api.binance.vision */
    CT_FETCH_SPOT_URL = 101,
    /** str ["futures_url"]: USD-M futures base URL. Default https://fapi.binance.com */
    CT_FETCH_FUTURES_URL = 102,
    /**
     * str ["cache_dir"]: cache directory (created when missing), at most 3000 characters; trailing
     * '/' are removed, but "/" stays the root directory. "" disables the cache (default).
     */
    CT_FETCH_CACHE_DIR = 110,
    /**
     * str ["user_agent"]: User-Agent header, one line of at most 200 characters. Default
     * "libcryptota/<version>".
     */
    CT_FETCH_USER_AGENT = 120,
    /** i64 ["timeout_ms"]: limit for one HTTP request, 1..3600000. Default 30000. */
    CT_FETCH_TIMEOUT_MS = 200,
    /** i64 ["connect_timeout_ms"]: connect limit, 1..600000. Default 10000. */
    CT_FETCH_CONNECT_TIMEOUT_MS = 201,
    /**
     * i64 ["max_retries"]: retries of one request after a transient fault, 0..100. Default 5. A
     * host name that does not resolve is retried once at most (none with 0): no network fails fast.
     */
    CT_FETCH_MAX_RETRIES = 210,
    /** i64 ["retry_base_ms"]: first backoff delay, 0..600000; doubled each retry. Default 500. */
    CT_FETCH_RETRY_BASE_MS = 211,
    /** i64 ["retry_max_ms"]: backoff cap, 0..3600000. Default 30000. */
    CT_FETCH_RETRY_MAX_MS = 212,
    /** i64 ["max_parallel"]: transfers in flight at once, 1..64. Default 4. */
    CT_FETCH_MAX_PARALLEL = 220,
    /**
     * i64 ["weight_limit"]: request weight allowed per window, for both markets, 0..1000000; the
     * client keeps 10 % in reserve and pauses new requests before reaching it. 0 (default): spot
     * reads REQUEST_WEIGHT per minute from /api/v3/exchangeInfo once per fetcher (6000 if that
     * request fails transiently; an unknown symbol or a ban there fails the fetch); futures use
     * 2400 without asking. Setting the key again, 0 included, forgets a learned limit.
     */
    CT_FETCH_WEIGHT_LIMIT = 230,
    /** i64 ["weight_window_ms"]: length of the weight window, 1..3600000. Default 60000. */
    CT_FETCH_WEIGHT_WINDOW_MS = 231,
    /**
     * i64 ["page_limit"]: rows asked per kline request, 0..1500 for both markets. 0 (default), or
     * a value above a market's maximum, asks for that maximum: 1000 on spot (BINANCE.md: never
     * more), 1500 on futures. So 1200 means 1000 on spot and 1200 on futures.
     */
    CT_FETCH_PAGE_LIMIT = 240,
    /** i64 ["drop_open_bar"]: 1 (default) drops the still-open last bar; 0 keeps it (not cached). */
    CT_FETCH_DROP_OPEN_BAR = 250,
    /**
     * i64 ["checkpoint_rows"]: with a cache, save progress to it after this many new rows so an
     * interrupted download resumes where it stopped, 1000..100000000. Default 100000.
     */
    CT_FETCH_CHECKPOINT_ROWS = 260
};

/** Counters read with ct_fetcher_get_i64 (read-only; zeroed by ct_fetcher_reset_stats). */
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
 * missing ranges and the interval; done never exceeds it). A kline fetch reports each state once:
 * (0, total) before its kline requests, then each time done grows, and (total, total) last when
 * it succeeds (a fetch the cache answers whole: (0, 0) once). ct_fetcher_funding reports (0, 0)
 * once when it downloads. Return 0 to go on, non-zero to cancel: the call then stops every
 * transfer and returns CT_E_CANCELLED (the return of the final report is ignored). Called on the
 * fetching thread, inside the call.
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
 * Message of the last failure recorded on this fetcher ("" if none; "" for f NULL). The fetch
 * calls (ct_fetcher_klines, ct_fetcher_klines_many, ct_fetcher_funding) clear it when they
 * start; the setters (set_i64, set_str, configure_json) record their failures and leave it alone
 * when they succeed. ct_fetcher_get_i64 and ct_fetcher_cache_path take a const fetcher and
 * report only through ct_last_error(), as does every call with f NULL. Library-owned, valid
 * until the next call on f. @since 0.1
 */
CT_API const char *ct_fetcher_errmsg(const ct_fetcher *f);

/**
 * Set an integer setting (CT_FETCH_*). For an ID, CT_E_NOT_FOUND means unknown to the fetcher
 * and CT_E_INVALID_ARG known but not for this call (here: a string setting, or a read-only
 * CT_FETCH_STAT_* counter); the same holds for ct_fetcher_set_str and ct_fetcher_get_i64.
 * @return CT_OK, CT_E_INVALID_ARG (f NULL, a string setting or a counter), CT_E_NOT_FOUND
 * (unknown ID), CT_E_RANGE (value outside the documented range).
 * @threadsafety one thread at a time per fetcher. @since 0.1
 */
CT_API ct_status ct_fetcher_set_i64(ct_fetcher *f, int32_t key, int64_t value);

/**
 * Set a string setting (CT_FETCH_*), copied; the limits are those of the IDs above (URLs:
 * http:// or https://, at most 512 characters; cache directory: at most 3000; user agent: one
 * line of at most 200). Trailing '/' are removed, except that the cache directory "/" stays "/".
 * A refused value leaves the setting unchanged. @return CT_OK, CT_E_INVALID_ARG (f or value
 * NULL, an integer setting or a counter, a value outside those limits), CT_E_NOT_FOUND (unknown
 * ID), CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_fetcher_set_str(ct_fetcher *f, int32_t key, const char *value);

/**
 * Read an integer setting or a counter (CT_FETCH_STAT_*); a failure is reported through
 * ct_last_error() only (f is const). @return CT_OK, CT_E_INVALID_ARG (f or value NULL, or a
 * string setting, which cannot be read back), CT_E_NOT_FOUND (unknown ID). @since 0.1
 */
CT_API ct_status ct_fetcher_get_i64(const ct_fetcher *f, int32_t key, int64_t *value);

/** Zero the CT_FETCH_STAT_* counters. NULL is a no-op. @since 0.1 */
CT_API void ct_fetcher_reset_stats(ct_fetcher *f);

/**
 * Apply settings from a JSON object whose keys are the bracketed names of the CT_FETCH_*
 * settings, e.g. `{"base_url": "http://127.0.0.1:8080", "max_parallel": 8}`. An integer setting
 * takes an integral JSON number, or true/false as 1/0. Keys apply in document order, so a
 * repeated key takes its last value (and spot_url after base_url wins). All or nothing: on any
 * error, running out of memory included, no setting changes. @return CT_OK, CT_E_INVALID_ARG
 * (NULL, wrong type, a fraction, a string refused as by ct_fetcher_set_str), CT_E_FORMAT (not a
 * JSON object), CT_E_NOT_FOUND (unknown key, named), CT_E_RANGE (named), CT_E_NOMEM. @since 0.1
 */
CT_API ct_status ct_fetcher_configure_json(ct_fetcher *f, const char *json);

/**
 * Install a progress callback (NULL removes it). `user` is passed back unchanged.
 * @return CT_OK or CT_E_INVALID_ARG. @since 0.1
 */
CT_API ct_status ct_fetcher_set_progress(ct_fetcher *f, ct_fetch_progress_fn fn, void *user);

/**
 * Download (or read from the cache) the candles of one symbol with open time in
 * [start_ms, end_ms). end_ms <= 0 means "up to now"; an end further than a day past the local
 * clock (INT64_MAX included) is asked for only up to there. The result is a validated feed
 * named after the symbol with the interval set; gaps the exchange has are kept (ct_feed_gaps
 * reports them).
 * @param[in] market    CT_MARKET_SPOT or CT_MARKET_FUTURES.
 * @param[in] symbol    e.g. "BTCUSDT" (upper case as Binance spells it).
 * @param[in] interval  a Binance interval name ("1m", "1h", "1d", ...).
 * @param[out] out      new feed owned by the caller (ct_feed_destroy); NULL on failure.
 * @return CT_OK; CT_E_INVALID_ARG (argument named; a base URL libcurl cannot use; Binance codes
 *         -1100, -1102, -1120, -1130); CT_E_NOT_FOUND (unknown symbol, -1121); CT_E_HTTP (other
 *         4xx/5xx after retries, with Binance's code and msg); CT_E_RATE_LIMIT (418 ban, or 429
 *         after max_retries); CT_E_NET (connection or timeout after retries); CT_E_FORMAT
 *         (malformed, truncated or non-JSON body, klines out of order); CT_E_DATA (candles break
 *         a rule); CT_E_IO (cache directory or file); CT_E_CANCELLED; CT_E_NOMEM; CT_E_INTERNAL
 *         (libcurl's multi interface failed).
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
 * *n_total to the number available. The last download is kept in the fetcher, so counting with
 * cap 0 (arrays may be NULL) and then copying with the same arguments reads the network once,
 * with end_ms <= 0 too. A range already closed when downloaded (end_ms in the past) is reused by
 * every call with the same arguments; one still open ("now", or an end in the future) only by the
 * copy right after its count, so other calls see new events. Rates are fractions per funding
 * period (0.0001 = 0.01 %). Not cached on disk. The progress callback gets (0, 0) once when the
 * call downloads; a non-zero return cancels it.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_NOT_FOUND, CT_E_HTTP, CT_E_RATE_LIMIT, CT_E_NET,
 *         CT_E_FORMAT, CT_E_CANCELLED, CT_E_NOMEM, CT_E_INTERNAL (as ct_fetcher_klines). @since 0.1
 */
CT_API ct_status ct_fetcher_funding(ct_fetcher *f, const char *symbol, int64_t start_ms, int64_t end_ms,
                                    int64_t *time_ms, double *rate, int64_t cap, int64_t *n_total);

/**
 * The cache file path the fetcher uses for (market, symbol, interval), count-then-copy into buf
 * (NUL-terminated; *len gets the length without the NUL, also when cap is too small; cap 0
 * counts, buf may then be NULL). Market, symbol and interval are checked as ct_fetcher_klines
 * checks them (so no symbol leaves the cache directory, and futures have no "1s"). Works without
 * touching the disk; a failure is reported through ct_last_error() only (f is const).
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_RANGE (0 < cap <= *len: buf gets "", never a cut path),
 *         CT_E_STATE (no cache directory set). @since 0.1
 */
CT_API ct_status ct_fetcher_cache_path(const ct_fetcher *f, int32_t market, const char *symbol,
                                       const char *interval, char *buf, size_t cap, size_t *len);

/**
 * Parse one `/api/v3/klines` (or `/fapi/v1/klines`) response body into caller columns, the fast
 * path the fetcher uses: prices and volume are decimal strings (plain JSON numbers are accepted
 * too) converted exactly (the same double as strtod). Count-then-copy, all or nothing: *n gets
 * the number of rows in the body; cap 0 only counts (columns may be NULL); cap >= *n writes every
 * row; a smaller cap writes nothing and returns CT_E_RANGE. close_time may be NULL.
 * @return CT_OK, CT_E_INVALID_ARG, CT_E_FORMAT (names the byte offset), CT_E_RANGE (cap too
 *         small), CT_E_NOMEM (the parser's temporary columns).
 * @threadsafety safe. @since 0.1
 */
CT_API ct_status ct_klines_parse(const char *body, size_t len, int64_t *open_time, double *open, double *high,
                                 double *low, double *close, double *volume, int64_t *close_time,
                                 int64_t cap, int64_t *n);

CT_EXTERN_C_END

#endif /* CRYPTOTA_FETCH_H */
