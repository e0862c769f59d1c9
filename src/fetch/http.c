/*
 * The transfer engine of the Binance client: runs paging jobs through one curl multi handle.
 *
 * Each job pages one segment of one symbol (klines) or the funding history; a job is sequential
 * (the next start is the last close time + 1), jobs run in parallel up to max_parallel. Before a
 * request starts the engine checks the weight budget (last X-MBX-USED-WEIGHT-1M plus the weight
 * in flight) and holds new requests until the next window when it would pass 90 % of the limit.
 * Faults: 429 pauses everything for Retry-After and retries; 418 stops every transfer; 5xx, 408,
 * timeouts and broken connections retry with capped exponential backoff and jitter; other 4xx
 * are mapped from Binance's {"code","msg"}. A body that is not complete, valid JSON is an error.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch/fetch_internal.h"

#define CT__WEIGHT_RESERVE 0.9

const char *ct__market_base(const ct_fetcher *f, int32_t market)
{
    return market == CT_MARKET_FUTURES ? f->futures_url : f->spot_url;
}

void ct__job_free(ct__job *j)
{
    if (j->easy)
        curl_easy_cleanup(j->easy);
    j->easy = NULL;
    ct__free(j->body);
    j->body = NULL;
    j->len = j->cap = 0;
    ct__free(j->path);
    j->path = NULL;
    ct__rows_free(&j->rows);
    ct__free(j->ftime);
    ct__free(j->frate);
    j->ftime = NULL;
    j->frate = NULL;
    j->fn = j->fcap = 0;
}

/* ---- curl callbacks ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    ct__job *j = userp;
    size_t n = size * nmemb;
    if (j->len + n + 1 > j->cap) {
        size_t cap = j->cap ? j->cap : 65536;
        while (cap < j->len + n + 1)
            cap *= 2;
        char *b = ct__realloc(j->body, cap);
        if (!b) {
            j->oom = 1;
            return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
        }
        j->body = b;
        j->cap = cap;
    }
    memcpy(j->body + j->len, data, n);
    j->len += n;
    j->body[j->len] = '\0';
    return n;
}

static int header_is(const char *line, size_t n, const char *name, const char **value)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return 0;
    const char *v = line + k + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    *value = v;
    return 1;
}

/*
 * Retry-After is delay-seconds or an HTTP-date (RFC 9110 10.2.3). A date used to be read by
 * strtoll as 0 seconds: a 429 then retried at once (hot) and a 418 reported a ban ending "in
 * 0 s". Returns the seconds to wait (0 for a date already past; at most 999999999999, as
 * strtoll's LLONG_MAX for a long digit string overflowed the ban's end in milliseconds), or -1
 * when the value is neither (the caller then backs off as without the header).
 */
static int64_t parse_retry_after(const char *v, const char *end)
{
    char buf[128];
    size_t m = 0;
    while (v + m < end && m + 1 < sizeof(buf) && v[m] != '\r' && v[m] != '\n') {
        buf[m] = v[m];
        m++;
    }
    while (m > 0 && (buf[m - 1] == ' ' || buf[m - 1] == '\t'))
        m--;
    buf[m] = '\0';
    if (m == 0)
        return -1;
    size_t d = 0;
    while (d < m && buf[d] >= '0' && buf[d] <= '9')
        d++;
    if (d == m)
        return m > 12 ? INT64_C(999999999999) : strtoll(buf, NULL, 10);
    time_t at = curl_getdate(buf, NULL);
    if (at == (time_t)-1)
        return -1;
    int64_t secs = (int64_t)at - (int64_t)time(NULL);
    return secs > 0 ? secs : 0;
}

/*
 * A used-weight header (-1 when negative: ignored). Capped at 10^12: strtoll's LLONG_MAX for a
 * long digit string made "used + in flight + this request" overflow in the budget check.
 */
static int64_t weight_value(const char *v)
{
    long long w = strtoll(v, NULL, 10);
    return w < 0 ? -1 : w > 1000000000000LL ? INT64_C(1000000000000) : (int64_t)w;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    ct__job *j = userp;
    size_t n = size * nmemb;
    const char *v;
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a new response (after 100-continue or a redirect): forget the previous headers */
        j->ctype[0] = '\0';
        j->retry_after_s = -1;
        j->weight_hdr = -1;
        return n;
    }
    if (header_is(data, n, "content-type", &v)) {
        size_t m = 0;
        while (m + 1 < sizeof(j->ctype) && v + m < data + n && v[m] != '\r' && v[m] != '\n') {
            j->ctype[m] = v[m];
            m++;
        }
        j->ctype[m] = '\0';
    } else if (header_is(data, n, "retry-after", &v)) {
        j->retry_after_s = parse_retry_after(v, data + n);
    } else if (header_is(data, n, "x-mbx-used-weight-1m", &v)) {
        j->weight_hdr = weight_value(v);
    } else if (j->weight_hdr < 0 && header_is(data, n, "x-mbx-used-weight", &v)) {
        j->weight_hdr = weight_value(v); /* legacy 1-minute header */
    }
    return n;
}

/* ---- helpers ---- */

static double jitter(ct_fetcher *f)
{
    /* xorshift64*: a uniform number in [0, 1) for backoff jitter */
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return (double)((f->rng * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0;
}

/* Delay before retry number `attempt` (1-based): min(cap, base * 2^(attempt-1)) * [0.5, 1). */
static double backoff_s(ct_fetcher *f, int32_t attempt)
{
    double d = (double)f->retry_base_ms;
    for (int32_t i = 1; i < attempt && d < (double)f->retry_max_ms; i++)
        d *= 2;
    if (d > (double)f->retry_max_ms)
        d = (double)f->retry_max_ms;
    return d * (0.5 + 0.5 * jitter(f)) / 1000.0;
}

static int64_t kline_weight(int32_t market, int64_t limit)
{
    if (market != CT_MARKET_FUTURES)
        return 2;
    return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
}

static int64_t job_weight(const ct__run *run, const ct__job *j)
{
    if (j->kind == CT__JOB_KLINES)
        return kline_weight(run->market, run->limit);
    if (j->path && strstr(j->path, "exchangeInfo"))
        return run->market == CT_MARKET_FUTURES ? 1 : 20;
    return 1;
}

static void build_url(const ct__run *run, const ct__job *j, char *url, size_t cap)
{
    const char *base = ct__market_base(run->f, run->market);
    if (j->kind == CT__JOB_KLINES)
        snprintf(url, cap, "%s%s?symbol=%s&interval=%s&startTime=%" PRId64 "&endTime=%" PRId64 "&limit=%" PRId64, base,
                 run->market == CT_MARKET_FUTURES ? "/fapi/v1/klines" : "/api/v3/klines", j->symbol, run->interval,
                 j->next_start, j->seg_end - 1, run->limit);
    else if (j->kind == CT__JOB_FUNDING)
        snprintf(url, cap, "%s/fapi/v1/fundingRate?symbol=%s&startTime=%" PRId64 "&endTime=%" PRId64 "&limit=1000",
                 base, j->symbol, j->next_start, j->seg_end - 1);
    else
        snprintf(url, cap, "%s%s", base, j->path);
}

static ct_status start_job(ct__run *run, ct__job *j)
{
    ct_fetcher *f = run->f;
    char url[1024];
    CURL *e = curl_easy_init();
    if (!e)
        return ct__fail(&f->err, CT_E_NOMEM, "curl_easy_init failed");
    build_url(run, j, url, sizeof(url));
    j->len = 0;
    j->oom = 0;
    j->status = 0;
    j->ctype[0] = '\0';
    j->retry_after_s = -1;
    j->weight_hdr = -1;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)j);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)f->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_USERAGENT, f->user_agent);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (curl_multi_add_handle((CURLM *)f->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        return ct__fail(&f->err, CT_E_INTERNAL, "curl_multi_add_handle failed");
    }
    j->easy = e;
    j->req_weight = job_weight(run, j);
    CT__STAT(f, CT_FETCH_STAT_REQUESTS)++;
    if (j->kind == CT__JOB_KLINES)
        CT__STAT(f, CT_FETCH_STAT_KLINE_REQUESTS)++;
    return CT_OK;
}

static void stop_job(ct_fetcher *f, ct__job *j)
{
    if (!j->easy)
        return;
    curl_multi_remove_handle((CURLM *)f->multi, j->easy);
    curl_easy_cleanup(j->easy);
    j->easy = NULL;
}

/* Human form of a ban end: "2026-11-23T10:00:00Z". */
static void fmt_utc(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Map a non-2xx answer that is not retried to a status and message. */
static ct_status http_error(ct__run *run, ct__job *j)
{
    ct_fetcher *f = run->f;
    long code = 0;
    char msg[256] = "";
    cJSON *doc = (j->body && j->len) ? cJSON_ParseWithLength(j->body, j->len) : NULL;
    if (doc) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "code");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "msg");
        if (cJSON_IsNumber(c))
            code = (long)ct__sat_i64(c->valuedouble);
        if (cJSON_IsString(m))
            snprintf(msg, sizeof(msg), "%s", m->valuestring);
        cJSON_Delete(doc);
    } else if (j->body && j->len) {
        snprintf(msg, sizeof(msg), "%.120s", j->body);
    }
    const char *sym = j->symbol ? j->symbol : "";
    switch (code) {
    case -1121:
        return ct__fail(&f->err, CT_E_NOT_FOUND, "unknown symbol %s on Binance %s (HTTP %ld, code -1121: %s)", sym,
                        run->market == CT_MARKET_FUTURES ? "USD-M futures" : "spot", j->status, msg);
    case -1120:
        return ct__fail(&f->err, CT_E_INVALID_ARG, "interval '%s' rejected by Binance for %s (HTTP %ld, code -1120: %s)",
                        run->interval ? run->interval : "", sym, j->status, msg);
    case -1100:
    case -1102:
    case -1130:
        return ct__fail(&f->err, CT_E_INVALID_ARG, "request for %s rejected by Binance (HTTP %ld, code %ld: %s)", sym,
                        j->status, code, msg);
    default:
        break;
    }
    if (code != 0)
        return ct__fail(&f->err, CT_E_HTTP, "Binance answered HTTP %ld for %s (code %ld: %s)", j->status, sym, code, msg);
    return ct__fail(&f->err, CT_E_HTTP, "HTTP %ld for %s%s%s", j->status, sym, msg[0] ? ": " : "", msg);
}

static int is_json(const ct__job *j)
{
    return strncasecmp(j->ctype, "application/json", 16) == 0;
}

/* Is t one of the n increasing times? */
static int has_time(const int64_t *times, int64_t n, int64_t t)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (times[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && times[lo] == t;
}

/* Rows of a kline page into the job: ordering checks, duplicates, the still-open bar, paging. */
static ct_status take_klines(ct__run *run, ct__job *j)
{
    ct_fetcher *f = run->f;
    int64_t n0 = j->rows.n, got = 0;
    ct_status s = ct__klines_parse_rows(&f->err, j->body, j->len, &j->rows, &got);
    if (s != CT_OK) {
        char tmp[CT__ERRMSG_SIZE];
        snprintf(tmp, sizeof(tmp), "%s", f->err.msg);
        return ct__fail(&f->err, s, "%s %s: %s", j->symbol, run->interval, tmp);
    }
    CT__STAT(f, CT_FETCH_STAT_ROWS) += got;
    /* keep rows inside the segment with increasing open times; drop duplicates and the open bar */
    int64_t w = n0;
    int64_t last_t = n0 > 0 ? j->rows.t[n0 - 1] : INT64_MIN;
    int64_t last_close = INT64_MIN;
    int open_seen = 0;
    /* A page refused below adds no row: the job keeps the rows of its earlier pages only (the
     * checkpoint a failed fetch saves must not cache the refused page's bars as known). */
    for (int64_t i = n0; i < j->rows.n; i++) {
        int64_t t = j->rows.t[i], ct = j->rows.ct[i];
        if (ct < t) {
            j->rows.n = n0;
            return ct__fail(&f->err, CT_E_FORMAT, "%s %s: kline at %" PRId64 " closes before it opens (%" PRId64 ")",
                            j->symbol, run->interval, t, ct);
        }
        if (i > n0 && t < j->rows.t[i - 1]) {
            j->rows.n = n0;
            return ct__fail(&f->err, CT_E_FORMAT, "%s %s: klines out of order at open time %" PRId64, j->symbol,
                            run->interval, t);
        }
        last_close = ct;
        if (t <= last_t && t >= j->seg_start && !has_time(j->rows.t, w, t)) {
            /* not a copy of a row already kept: a bar the server sends after later ones (an
             * earlier page lacked it). Dropping it as a duplicate would lose it. */
            j->rows.n = n0;
            return ct__fail(&f->err, CT_E_FORMAT,
                            "%s %s: klines out of order: the kline at open time %" PRId64 " arrives after the one at %" PRId64,
                            j->symbol, run->interval, t, last_t);
        }
        if (t <= last_t || t < j->seg_start || t >= j->seg_end)
            continue; /* duplicate or outside the asked range */
        if (ct > run->server_time) {
            open_seen = 1; /* the bar still in progress: never cached */
            if (!f->drop_open_bar) {
                j->open_t = t;
                j->open_ohlcv[0] = j->rows.o[i];
                j->open_ohlcv[1] = j->rows.h[i];
                j->open_ohlcv[2] = j->rows.l[i];
                j->open_ohlcv[3] = j->rows.c[i];
                j->open_ohlcv[4] = j->rows.v[i];
            }
            break;
        }
        j->rows.t[w] = t;
        j->rows.ct[w] = ct;
        j->rows.o[w] = j->rows.o[i];
        j->rows.h[w] = j->rows.h[i];
        j->rows.l[w] = j->rows.l[i];
        j->rows.c[w] = j->rows.c[i];
        j->rows.v[w] = j->rows.v[i];
        last_t = t;
        w++;
    }
    j->rows.n = w;
    if (!open_seen && got >= run->limit && last_close + 1 <= j->next_start && last_close + 1 < j->seg_end) {
        /* A full page says more may follow, but it ends before startTime (a page served again,
         * startTime ignored): paging cannot go on, and ending the segment here would record
         * the rest of it as known, so bars the server has would never be asked for again. */
        j->rows.n = n0;
        return ct__fail(&f->err, CT_E_FORMAT,
                        "%s %s: a full page of %" PRId64 " klines asked from startTime=%" PRId64
                        " holds none that closes at or after it (a repeated page?); the rest up to %" PRId64
                        " is unknown", j->symbol, run->interval, got, j->next_start, j->seg_end);
    }
    run->done += w - n0;
    if (run->done > run->total)
        run->done = run->total;
    if (open_seen || got == 0 || got < run->limit || last_close == INT64_MIN || last_close + 1 >= j->seg_end ||
        last_close + 1 <= j->next_start) {
        j->finished = 1;
        int64_t closed_limit = run->server_time == INT64_MAX ? INT64_MAX : run->server_time - run->interval_ms + 2;
        j->covered_to = j->seg_end < closed_limit ? j->seg_end : closed_limit;
        if (j->covered_to < j->seg_start)
            j->covered_to = j->seg_start;
    } else {
        j->next_start = last_close + 1;
        j->covered_to = j->next_start;
    }
    return CT_OK;
}

/* A funding page: [{"symbol","fundingRate","fundingTime","markPrice"}, ...] (cJSON: pages are small). */
static ct_status take_funding(ct__run *run, ct__job *j)
{
    ct_fetcher *f = run->f;
    cJSON *doc = cJSON_ParseWithLength(j->body, j->len);
    if (!doc || !cJSON_IsArray(doc)) {
        cJSON_Delete(doc);
        return ct__fail(&f->err, CT_E_FORMAT, "%s funding: malformed or truncated JSON array (%zu bytes)", j->symbol,
                        j->len);
    }
    int got = cJSON_GetArraySize(doc);
    int64_t last = INT64_MIN;
    ct_status s = CT_OK;
    const cJSON *it;
    cJSON_ArrayForEach(it, doc)
    {
        const cJSON *ft = cJSON_GetObjectItemCaseSensitive(it, "fundingTime");
        const cJSON *fr = cJSON_GetObjectItemCaseSensitive(it, "fundingRate");
        double rate;
        if (!cJSON_IsNumber(ft) || !cJSON_IsString(fr) ||
            ct__dec_to_double(fr->valuestring, strlen(fr->valuestring), &rate) != 0) {
            s = ct__fail(&f->err, CT_E_FORMAT, "%s funding: an entry lacks a numeric fundingTime or a decimal fundingRate",
                         j->symbol);
            break;
        }
        int64_t t = ct__sat_i64(ft->valuedouble);
        if (t <= last || t < j->seg_start || t >= j->seg_end || (j->fn > 0 && t <= j->ftime[j->fn - 1]))
            continue;
        if (j->fn == j->fcap) {
            int64_t cap = j->fcap ? j->fcap * 2 : 1024;
            int64_t *nt = ct__realloc(j->ftime, (size_t)cap * sizeof(*nt));
            if (nt)
                j->ftime = nt;
            double *nr = ct__realloc(j->frate, (size_t)cap * sizeof(*nr));
            if (nr)
                j->frate = nr;
            if (!nt || !nr) {
                s = ct__fail(&f->err, CT_E_NOMEM, "out of memory storing funding rates");
                break;
            }
            j->fcap = cap;
        }
        j->ftime[j->fn] = t;
        j->frate[j->fn] = rate;
        j->fn++;
        last = t;
    }
    cJSON_Delete(doc);
    if (s != CT_OK)
        return s;
    if (got < 1000 || last == INT64_MIN || last + 1 >= j->seg_end)
        j->finished = 1;
    else
        j->next_start = last + 1;
    return CT_OK;
}

/* Handle one finished transfer. Returns CT_OK (done, or re-queued for a retry) or a fatal status. */
static ct_status complete(ct__run *run, ct__job *j, CURLcode rc, double *pause_until)
{
    ct_fetcher *f = run->f;
    ct__weight *wt = &f->weight[run->market];
    double now = ct__mono_s();
    long status = 0;
    curl_easy_getinfo((CURL *)j->easy, CURLINFO_RESPONSE_CODE, &status);
    j->status = status;
    stop_job(f, j);
    CT__STAT(f, CT_FETCH_STAT_BYTES) += (int64_t)j->len;
    if (j->weight_hdr >= 0) {
        /* responses finish out of order: within one window the count only grows */
        int64_t win = ct__now_ms() / f->weight_window_ms;
        if (wt->used_win != win || j->weight_hdr > wt->used)
            wt->used = j->weight_hdr;
        wt->used_win = win;
        CT__STAT(f, CT_FETCH_STAT_USED_WEIGHT) = j->weight_hdr;
    }
    if (j->oom)
        return ct__fail(&f->err, CT_E_NOMEM, "out of memory receiving a response for %s", j->symbol ? j->symbol : "");
    const char *what = j->symbol ? j->symbol : j->path ? j->path : "request";
    int retry = 0;
    double delay = 0;
    char why[160];
    if (rc != CURLE_OK) {
        if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT)
            return ct__fail(&f->err, CT_E_INVALID_ARG, "bad base URL for %s: %s", what, curl_easy_strerror(rc));
        snprintf(why, sizeof(why), "%s", curl_easy_strerror(rc));
        /* a host that does not resolve usually means no network: one retry, not max_retries */
        if ((rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY) && j->attempts >= 1)
            return ct__fail(&f->err, CT_E_NET, "%s: %s (%s); is the network up?", what, why,
                            ct__market_base(f, run->market));
        retry = 1;
        delay = backoff_s(f, j->attempts + 1);
    } else if (status == 418) {
        int64_t secs = j->retry_after_s >= 0 ? j->retry_after_s : 120;
        char until[40];
        fmt_utc(ct__now_ms() + secs * 1000, until, sizeof(until));
        return ct__fail(&f->err, CT_E_RATE_LIMIT,
                        "IP banned by Binance (HTTP 418) while fetching %s: every transfer stopped; the ban ends in "
                        "%" PRId64 " s, at %s",
                        what, secs, until);
    } else if (status == 429) {
        int64_t secs = j->retry_after_s >= 0 ? j->retry_after_s : -1;
        delay = secs >= 0 ? (double)secs : backoff_s(f, j->attempts + 1);
        snprintf(why, sizeof(why), "HTTP 429 (rate limit), Retry-After %" PRId64 " s", secs);
        retry = 1;
        /* the limit is per IP: hold every new request, not only this one */
        if (now + delay > *pause_until)
            *pause_until = now + delay;
    } else if (status >= 500 || status == 408) {
        snprintf(why, sizeof(why), "HTTP %ld", status);
        retry = 1;
        delay = backoff_s(f, j->attempts + 1);
    } else if (status < 200 || status >= 300) {
        return http_error(run, j);
    }
    if (retry) {
        if (j->attempts >= f->max_retries) {
            if (status == 429)
                return ct__fail(&f->err, CT_E_RATE_LIMIT, "%s: still rate-limited (HTTP 429) after %" PRId64 " retries",
                                what, f->max_retries);
            return ct__fail(&f->err, rc != CURLE_OK ? CT_E_NET : CT_E_HTTP, "%s: %s, gave up after %" PRId64 " retries",
                            what, why, f->max_retries);
        }
        j->attempts++;
        j->not_before = now + delay;
        CT__STAT(f, CT_FETCH_STAT_RETRIES)++;
        ct__log(CT_LOG_WARN, "fetch", "%s: %s; retry %d in %.3f s", what, why, (int)j->attempts, delay);
        return CT_OK;
    }
    /* 2xx */
    if (!is_json(j))
        return ct__fail(&f->err, CT_E_FORMAT, "%s: expected a JSON response, got Content-Type '%s' (HTTP %ld)", what,
                        j->ctype[0] ? j->ctype : "(none)", status);
    j->attempts = 0;
    if (j->kind == CT__JOB_KLINES)
        return take_klines(run, j);
    if (j->kind == CT__JOB_FUNDING)
        return take_funding(run, j);
    j->finished = 1;
    return CT_OK;
}

/* May a request of weight w start now? */
static int weight_ok(ct__run *run, int64_t inflight, int64_t w)
{
    ct_fetcher *f = run->f;
    ct__weight *wt = &f->weight[run->market];
    if (wt->limit <= 0)
        return 1;
    int64_t win = ct__now_ms() / f->weight_window_ms;
    int64_t used = wt->used_win == win ? wt->used : 0;
    if (wt->used_win != win && inflight == 0) {
        wt->used = 0;
        wt->used_win = win;
    }
    return (double)(used + inflight + w) <= CT__WEIGHT_RESERVE * (double)wt->limit || (used == 0 && inflight == 0);
}

static void stop_all(ct__run *run)
{
    for (int32_t i = 0; i < run->n_jobs; i++)
        stop_job(run->f, &run->jobs[i]);
}

ct_status ct__run_jobs(ct__run *run)
{
    ct_fetcher *f = run->f;
    CURLM *m = f->multi;
    double pause_until = 0;
    int weight_blocked = 0;
    ct_status s = CT_OK;
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)f->max_parallel);
    for (;;) {
        double now = ct__mono_s();
        int32_t active = 0, pending = 0;
        int64_t inflight = 0;
        double next_wake = now + 0.25;
        for (int32_t i = 0; i < run->n_jobs; i++) {
            ct__job *j = &run->jobs[i];
            if (j->easy) {
                active++;
                inflight += j->req_weight;
            } else if (!j->finished) {
                pending++;
            }
        }
        if (active == 0 && pending == 0)
            break;
        /* start what may start */
        int blocked_now = 0;
        for (int32_t i = 0; i < run->n_jobs && active < f->max_parallel && now >= pause_until; i++) {
            ct__job *j = &run->jobs[i];
            if (j->easy || j->finished)
                continue;
            if (j->not_before > now) {
                if (j->not_before < next_wake)
                    next_wake = j->not_before;
                continue;
            }
            int64_t w = job_weight(run, j);
            if (!weight_ok(run, inflight, w)) {
                blocked_now = 1;
                break;
            }
            s = start_job(run, j);
            if (s != CT_OK)
                goto out;
            active++;
            inflight += w;
        }
        if (blocked_now && !weight_blocked) {
            CT__STAT(f, CT_FETCH_STAT_WEIGHT_WAITS)++;
            ct__log(CT_LOG_INFO, "fetch", "request weight near the limit (%" PRId64 " of %" PRId64 "); waiting for the next window",
                    f->weight[run->market].used, f->weight[run->market].limit);
        }
        weight_blocked = blocked_now;
        if (pause_until > now && pause_until < next_wake)
            next_wake = pause_until;
        if (blocked_now) {
            int64_t ms = ct__now_ms();
            double to_win = (double)(f->weight_window_ms - ms % f->weight_window_ms) / 1000.0 + 0.001;
            if (now + to_win < next_wake)
                next_wake = now + to_win;
        }
        int running = 0;
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            s = ct__fail(&f->err, CT_E_INTERNAL, "curl_multi_perform failed");
            goto out;
        }
        CURLMsg *msg;
        int left;
        int completed = 0;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            ct__job *j = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            CURLcode rc = msg->data.result;
            s = complete(run, j, rc, &pause_until);
            completed = 1;
            if (s != CT_OK)
                goto out;
        }
        if (completed && run->on_tick) {
            s = run->on_tick(run, 0);
            if (s != CT_OK)
                goto out;
        }
        if (f->progress && run->done != run->reported) {
            run->reported = run->done;
            if (f->progress(f->progress_user, run->done, run->total) != 0) {
                s = ct__fail(&f->err, CT_E_CANCELLED, "fetch cancelled by the progress callback at %" PRId64 " of %" PRId64
                             " bars", run->done, run->total);
                goto out;
            }
        }
        if (completed)
            continue;
        double wait = next_wake - ct__mono_s();
        int wait_ms = wait <= 0 ? 0 : wait > 0.25 ? 250 : (int)(wait * 1000.0) + 1;
        if (curl_multi_poll(m, NULL, 0, wait_ms, NULL) != CURLM_OK) {
            s = ct__fail(&f->err, CT_E_INTERNAL, "curl_multi_poll failed");
            goto out;
        }
    }
out:
    stop_all(run);
    return s;
}

ct_status ct__http_get(ct_fetcher *f, int32_t market, const char *path, const char *symbol, char **body, size_t *len)
{
    ct__job job;
    memset(&job, 0, sizeof(job));
    ct__run run;
    memset(&run, 0, sizeof(run));
    *body = NULL;
    *len = 0;
    job.kind = CT__JOB_GET;
    job.path = ct__strdup(path);
    if (!job.path)
        return ct__fail(&f->err, CT_E_NOMEM, "out of memory");
    job.symbol = symbol;
    run.f = f;
    run.market = market;
    run.jobs = &job;
    run.n_jobs = 1;
    run.server_time = INT64_MAX;
    ct_fetch_progress_fn saved = f->progress;
    f->progress = NULL; /* progress is about bars, not these small requests */
    ct_status s = ct__run_jobs(&run);
    f->progress = saved;
    if (s == CT_OK) {
        *body = job.body;
        *len = job.len;
        job.body = NULL;
    }
    ct__job_free(&job);
    return s;
}
