/*
 * Resample (to a multiple of the interval, buckets aligned to the UTC epoch) and slice.
 *
 * A bucket is complete when it holds all interval_out / interval_in sub-bars. Incomplete
 * buckets (the partial first and last ones, or one with a gap inside) are skipped unless
 * CT_RESAMPLE_PARTIAL, in which case they are emitted with CT_ROW_PARTIAL in ct_feed_filled.
 * A bucket holding a bar inserted by CT_GAPS_FILL carries CT_ROW_FILLED.
 *
 * Both read the source feed only, and any number of threads may read one feed (feed.h), so a
 * failure is recorded in the calling thread's slot only (ct__fail(NULL, ...), ct_last_error),
 * never in the source's message buffer, which those threads would race on.
 */
#include <float.h>
#include <string.h>

#include "feed/feed_internal.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

ct_status ct_feed_resample(const ct_feed *f, int64_t interval_ms, uint32_t flags, ct_feed **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_resample: out must not be NULL");
    *out = NULL;
    if (!f)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_resample: feed must not be NULL");
    if (flags & ~(uint32_t)CT_RESAMPLE_PARTIAL)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_resample: unknown flags 0x%x", flags);
    if (f->interval_ms <= 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_resample: the feed has no interval");
    if (interval_ms <= 0 || interval_ms % f->interval_ms != 0)
        return ct__fail(NULL, CT_E_INVALID_ARG,
                        "ct_feed_resample: interval_ms %lld is not a positive multiple of the feed's interval %lld",
                        (long long)interval_ms, (long long)f->interval_ms);
    /* bucket starts and ends must not overflow int64 */
    if (f->n && (f->time[0] < INT64_MIN + interval_ms || f->time[f->n - 1] > INT64_MAX - interval_ms))
        return ct__fail(NULL, CT_E_RANGE, "ct_feed_resample: times within %lld ms of the int64 limits cannot be bucketed",
                        (long long)interval_ms);
    int64_t per = interval_ms / f->interval_ms;
    int partial = (flags & CT_RESAMPLE_PARTIAL) != 0;
    ct_feed *r;
    ct_status s = ct_feed_create(f->symbol, interval_ms, &r);
    if (s != CT_OK)
        return s;
    /* an upper bound of the output rows: the buckets between the first and the last row, at most
     * one per row. The bucket indices of times more than INT64_MAX apart (interval 1 ms, say)
     * differ by more than INT64_MAX: subtract them as unsigned numbers. */
    int64_t nb = 0;
    if (f->n) {
        uint64_t span = (uint64_t)floor_div(f->time[f->n - 1], interval_ms) - (uint64_t)floor_div(f->time[0], interval_ms);
        nb = span < (uint64_t)f->n ? (int64_t)span + 1 : f->n;
    }
    if ((s = ct__feed_reserve(r, nb)) != CT_OK)
        goto fail;
    for (int64_t i = 0; i < f->n;) {
        int64_t b = floor_div(f->time[i], interval_ms) * interval_ms;
        int64_t j = i;
        double hi = f->high[i], lo = f->low[i], vol = 0;
        uint8_t fl = 0;
        for (; j < f->n && f->time[j] < b + interval_ms; j++) {
            if (f->high[j] > hi)
                hi = f->high[j];
            if (f->low[j] < lo)
                lo = f->low[j];
            vol += f->volume[j];
            if (f->filled && f->filled[j])
                fl |= CT_ROW_FILLED;
        }
        if (CT__UNLIKELY(!(vol <= DBL_MAX))) {
            s = ct__fail(NULL, CT_E_RANGE, "ct_feed_resample: volume of the bucket at %lld overflows", (long long)b);
            goto fail;
        }
        int complete = (j - i) == per;
        if (!complete)
            fl |= CT_ROW_PARTIAL;
        if (complete || partial) {
            if (fl && !r->filled) {
                r->filled = ct__calloc((size_t)(r->cap ? r->cap : 1), 1);
                if (!r->filled) {
                    s = ct__fail(NULL, CT_E_NOMEM, "ct_feed_resample: out of memory");
                    goto fail;
                }
            }
            if (r->filled)
                r->filled[r->n] = fl;
            ct__feed_push(r, b, f->open[i], hi, lo, f->close[j - 1], vol);
        }
        i = j;
    }
    *out = r;
    return CT_OK;
fail:
    ct_feed_destroy(r);
    return s;
}

ct_status ct_feed_slice(const ct_feed *f, int64_t start_ms, int64_t end_ms, ct_feed **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_slice: out must not be NULL");
    *out = NULL;
    if (!f)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_slice: feed must not be NULL");
    if (end_ms < start_ms)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_slice: end_ms %lld is before start_ms %lld", (long long)end_ms,
                        (long long)start_ms);
    int64_t a = ct_feed_lower_bound(f, start_ms), b = ct_feed_lower_bound(f, end_ms);
    ct_feed *r;
    ct_status s = ct_feed_create(f->symbol, f->interval_ms, &r);
    if (s != CT_OK)
        return s;
    int64_t n = b - a;
    if ((s = ct__feed_reserve(r, n)) != CT_OK)
        goto fail;
    if (f->filled && n > 0 && ct__feed_any_flag(f->filled + a, n)) { /* no all-zero array */
        r->filled = ct__calloc((size_t)r->cap, 1);
        if (!r->filled) {
            s = ct__fail(NULL, CT_E_NOMEM, "ct_feed_slice: out of memory");
            goto fail;
        }
        memcpy(r->filled, f->filled + a, (size_t)n);
    }
    if (n > 0) {
        memcpy(r->time, f->time + a, (size_t)n * sizeof(int64_t));
        memcpy(r->open, f->open + a, (size_t)n * sizeof(double));
        memcpy(r->high, f->high + a, (size_t)n * sizeof(double));
        memcpy(r->low, f->low + a, (size_t)n * sizeof(double));
        memcpy(r->close, f->close + a, (size_t)n * sizeof(double));
        memcpy(r->volume, f->volume + a, (size_t)n * sizeof(double));
    }
    r->n = n;
    *out = r;
    return CT_OK;
fail:
    ct_feed_destroy(r);
    return s;
}
