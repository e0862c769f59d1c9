/* Internal pieces of the Binance client: the fetcher layout, row buffers, the transfer engine. */
#ifndef CT_FETCH_INTERNAL_H
#define CT_FETCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cryptota/fetch.h"
#include "internal/ct_internal.h"

/* Candle rows as growable columns (ct = close time). */
typedef struct ct__rows {
    int64_t n;
    int64_t cap;
    int64_t *t;
    int64_t *ct;
    double *o, *h, *l, *c, *v;
} ct__rows;

ct_status ct__rows_reserve(ct__rows *r, int64_t need);
void ct__rows_free(ct__rows *r);

/*
 * Parse a kline array body, appending its rows to `out` (no ordering checks here). On a
 * malformed body returns CT_E_FORMAT with the byte offset in the message and leaves out->n as it
 * was. *n_rows gets the number of rows in the body.
 */
ct_status ct__klines_parse_rows(ct__err *err, const char *body, size_t len, ct__rows *out, int64_t *n_rows);

/* Exact decimal text -> double (same result as strtod); returns 0 on success, -1 if malformed. */
int ct__dec_to_double(const char *s, size_t len, double *out);

/* Weight-budget state of one market (per fetcher, kept across calls). */
typedef struct ct__weight {
    int64_t limit;      /* effective limit per window (0: not known yet) */
    int64_t used;       /* last header value */
    int64_t used_win;   /* window index the header was seen in */
} ct__weight;

struct ct_fetcher {
    ct__err err;
    char *spot_url;
    char *futures_url;
    char *cache_dir;
    char *user_agent;
    int64_t timeout_ms;
    int64_t connect_timeout_ms;
    int64_t max_retries;
    int64_t retry_base_ms;
    int64_t retry_max_ms;
    int64_t max_parallel;
    int64_t weight_limit;
    int64_t weight_window_ms;
    int64_t page_limit;
    int64_t drop_open_bar;
    int64_t checkpoint_rows;
    ct_fetch_progress_fn progress;
    void *progress_user;
    void *multi;              /* CURLM*, created on first use */
    ct__weight weight[2];     /* per market */
    uint64_t rng;             /* jitter */
    int64_t stats[8];         /* CT_FETCH_STAT_* - 900 */
    /* last funding download (count-then-copy) */
    char *fund_symbol;
    int64_t fund_start, fund_end; /* the caller's arguments (fund_end 0: "up to now") */
    int32_t fund_open;            /* the range reached past the time of the download */
    int32_t fund_counted;         /* made by a counting call (cap 0) not yet followed by a copy */
    int64_t fund_n;
    int64_t *fund_time;
    double *fund_rate;
};

#define CT__STAT(f, k) ((f)->stats[(k) - CT_FETCH_STAT_REQUESTS])

/* ---- transfer engine (http.c) ---- */

enum { CT__JOB_KLINES = 0, CT__JOB_FUNDING = 1, CT__JOB_GET = 2 };

typedef struct ct__job {
    int32_t kind;
    int32_t sym;            /* caller's index (symbol) */
    const char *symbol;     /* borrowed */
    int64_t seg_start;      /* [seg_start, seg_end): open times (klines) or funding times */
    int64_t seg_end;
    int64_t next_start;     /* paging cursor */
    int64_t covered_to;     /* known up to here (exclusive), for the cache */
    int32_t finished;
    int32_t attempts;
    double not_before;      /* monotonic seconds */
    void *easy;             /* CURL* while active */
    int64_t req_weight;
    char *path;             /* for CT__JOB_GET: path+query; owned */
    /* response */
    char *body;
    size_t len, cap;
    int32_t oom;
    long status;
    int64_t retry_after_s;
    int64_t weight_hdr;
    char ctype[96];
    /* results */
    ct__rows rows;          /* klines */
    int64_t open_t;         /* still-open bar kept when drop_open_bar = 0 (INT64_MIN: none) */
    double open_ohlcv[5];
    int64_t *ftime;         /* funding */
    double *frate;
    int64_t fn, fcap;
} ct__job;

typedef struct ct__run {
    ct_fetcher *f;
    int32_t market;
    const char *interval;   /* Binance name */
    int64_t interval_ms;
    int64_t limit;          /* rows per kline request */
    int64_t server_time;    /* bars closing after it are open (INT64_MAX: none known) */
    ct__job *jobs;
    int32_t n_jobs;
    int64_t total;          /* expected bars, for progress */
    int64_t done;
    int64_t reported;       /* `done` of the last progress report (-1: none yet); each state once */
    /* called after completions; non-OK stops the run with that status */
    ct_status (*on_tick)(struct ct__run *run, int32_t final);
    void *user;
} ct__run;

/* Run every job to completion (or the first fatal error). */
ct_status ct__run_jobs(ct__run *run);

/* One GET (time, exchangeInfo) through the same retry logic; the body is returned (ct__free). */
ct_status ct__http_get(ct_fetcher *f, int32_t market, const char *path, const char *symbol, char **body, size_t *len);

/* Free the buffers and easy handle of a job. */
void ct__job_free(ct__job *j);

const char *ct__market_base(const ct_fetcher *f, int32_t market);

#endif
