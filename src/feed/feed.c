/*
 * ct_feed: construction, validation, zero-copy accessors, intervals and gaps.
 * A feed owns its columns unless built with CT_FEED_BORROW.
 */
#include <float.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>

#include "feed/feed_internal.h"

#define MIN_1 60000LL
#define HOUR_1 3600000LL
#define DAY_1 86400000LL
#define CT__FILL_MIN_LIMIT 1000000LL

static const struct {
    const char *name;
    int64_t ms;
} k_intervals[] = {
    {"1s", 1000}, {"1m", MIN_1}, {"3m", 3 * MIN_1}, {"5m", 5 * MIN_1}, {"15m", 15 * MIN_1},
    {"30m", 30 * MIN_1}, {"1h", HOUR_1}, {"2h", 2 * HOUR_1}, {"4h", 4 * HOUR_1}, {"6h", 6 * HOUR_1},
    {"8h", 8 * HOUR_1}, {"12h", 12 * HOUR_1}, {"1d", DAY_1}, {"3d", 3 * DAY_1}, {"1w", 7 * DAY_1},
    {"1M", 30 * DAY_1},
};

ct_status ct_interval_parse(const char *name, int64_t *interval_ms)
{
    if (!name || !interval_ms)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_interval_parse: name and interval_ms must not be NULL");
    for (size_t i = 0; i < sizeof(k_intervals) / sizeof(k_intervals[0]); i++)
        if (strcmp(name, k_intervals[i].name) == 0) {
            *interval_ms = k_intervals[i].ms;
            return CT_OK;
        }
    return ct__fail(NULL, CT_E_INVALID_ARG,
                    "unknown interval '%s' (expected one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M)", name);
}

int64_t ct__interval_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(k_intervals) / sizeof(k_intervals[0]); i++)
        if (strlen(k_intervals[i].name) == len && memcmp(name, k_intervals[i].name, len) == 0)
            return k_intervals[i].ms;
    return 0;
}

const char *ct_interval_name(int64_t interval_ms)
{
    for (size_t i = 0; i < sizeof(k_intervals) / sizeof(k_intervals[0]); i++)
        if (k_intervals[i].ms == interval_ms)
            return k_intervals[i].name;
    return NULL;
}

ct_status ct__feed_check_row(ct__err *err, const char *what, int64_t rowno, int64_t prev_time, int64_t t,
                             double o, double h, double l, double c, double v)
{
    if (t == INT64_MIN) /* the least value stands for "no previous row": it is no time itself */
        return ct__fail(err, CT_E_DATA, "%s %lld: time %lld is out of range (it must be above the least 64-bit value)",
                        what, (long long)rowno, (long long)t);
    if (t <= prev_time)
        return ct__fail(err, CT_E_DATA, "%s %lld: time %lld is not after the previous row's %lld (rule: strictly increasing time)",
                        what, (long long)rowno, (long long)t, (long long)prev_time);
    if (!(isfinite(o) && o > 0))
        return ct__fail(err, CT_E_DATA, "%s %lld: open %.17g is not a finite price > 0", what, (long long)rowno, o);
    if (!(isfinite(h) && h > 0))
        return ct__fail(err, CT_E_DATA, "%s %lld: high %.17g is not a finite price > 0", what, (long long)rowno, h);
    if (!(isfinite(l) && l > 0))
        return ct__fail(err, CT_E_DATA, "%s %lld: low %.17g is not a finite price > 0", what, (long long)rowno, l);
    if (!(isfinite(c) && c > 0))
        return ct__fail(err, CT_E_DATA, "%s %lld: close %.17g is not a finite price > 0", what, (long long)rowno, c);
    if (!(isfinite(v) && v >= 0))
        return ct__fail(err, CT_E_DATA, "%s %lld: volume %.17g is not finite and >= 0", what, (long long)rowno, v);
    if (l > o || l > c)
        return ct__fail(err, CT_E_DATA, "%s %lld: low %.17g is above min(open %.17g, close %.17g) (rule: low <= min(open, close))",
                        what, (long long)rowno, l, o, c);
    if (h < o || h < c)
        return ct__fail(err, CT_E_DATA, "%s %lld: high %.17g is below max(open %.17g, close %.17g) (rule: max(open, close) <= high)",
                        what, (long long)rowno, h, o, c);
    return CT_OK;
}

ct_status ct__feed_check_rows(ct__err *err, const char *what, int64_t first_rowno, int64_t prev_time,
                              const int64_t *t, const double *o, const double *h, const double *l, const double *c,
                              const double *v, int64_t n)
{
    /* Branch-free scan first (vectorizes); only a failing batch is walked row by row for the
     * message. NaN fails every comparison, so `!(x > 0)` style tests catch it; the finite
     * test is x <= DBL_MAX. */
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t pt = i ? t[i - 1] : prev_time;
        /* l > 0, l <= o, l <= c, o <= h, c <= h, h <= DBL_MAX imply every price rule */
        bad |= (t[i] <= pt) | !(l[i] > 0) | !(l[i] <= o[i]) | !(l[i] <= c[i]) | !(o[i] <= h[i]) | !(c[i] <= h[i]) |
               !(h[i] <= DBL_MAX) | !(v[i] >= 0) | !(v[i] <= DBL_MAX);
    }
    if (CT__LIKELY(!bad))
        return CT_OK;
    for (int64_t i = 0; i < n; i++) {
        ct_status s = ct__feed_check_row(err, what, first_rowno + i, i ? t[i - 1] : prev_time, t[i], o[i], h[i], l[i],
                                         c[i], v[i]);
        if (s != CT_OK)
            return s;
    }
    return CT_OK;
}

/* time[i] - time[i-1] for strictly increasing times, without signed overflow. */
static inline uint64_t step_at(const int64_t *time, int64_t i)
{
    return (uint64_t)time[i] - (uint64_t)time[i - 1];
}

/* Bars missing in a step of d ms (0 when d <= interval), saturated at INT64_MAX. */
static inline int64_t missing_in(uint64_t d, int64_t interval)
{
    if (d <= (uint64_t)interval)
        return 0;
    uint64_t m = (d - 1) / (uint64_t)interval;
    return m > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)m;
}

int ct__feed_any_flag(const uint8_t *filled, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (filled[i])
            return 1;
    return 0;
}

void ct__feed_drop_zero_flags(ct_feed *f)
{
    if (f->filled && !ct__feed_any_flag(f->filled, f->n)) {
        ct__free(f->filled);
        f->filled = NULL;
    }
}

int64_t ct__feed_infer_interval(const int64_t *time, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++) {
        uint64_t d = step_at(time, i);
        if (d > 0 && d <= (uint64_t)INT64_MAX && (best == 0 || (int64_t)d < best))
            best = (int64_t)d;
    }
    return best;
}

ct_status ct_feed_create(const char *symbol, int64_t interval_ms, ct_feed **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_create: out must not be NULL");
    *out = NULL;
    if (interval_ms < 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_create: interval_ms %lld is negative", (long long)interval_ms);
    ct_feed *f = ct__calloc(1, sizeof(*f));
    if (!f)
        return ct__fail(NULL, CT_E_NOMEM, "ct_feed_create: out of memory");
    f->symbol = ct__strdup(symbol ? symbol : "");
    if (!f->symbol) {
        ct__free(f);
        return ct__fail(NULL, CT_E_NOMEM, "ct_feed_create: out of memory");
    }
    f->interval_ms = interval_ms;
    *out = f;
    return CT_OK;
}

void ct_feed_destroy(ct_feed *f)
{
    if (!f)
        return;
    if (!f->borrowed)
        ct__free(f->cols_mem);
    ct__free(f->filled);
    ct__free(f->symbol);
    ct__free(f);
}

/*
 * Column storage. The six columns live in one block (`cols_mem`), each starting at a multiple
 * of 64 bytes. A fresh feed's columns are written once, front to back, so on a big load most
 * of the time outside the parser is the kernel faulting in and zeroing 4 KiB pages (about a
 * third of a .ctz load of 130k rows). Blocks of 2 MiB or more therefore start at a 2 MiB
 * boundary and ask for transparent huge pages on their whole 2 MiB multiples (MADV_HUGEPAGE,
 * advisory: THP is often in `madvise` mode), so one fault maps 512 pages; the tail stays in
 * small pages so no more than the used bytes are zeroed.
 */
#define CT__HUGE_PAGE ((size_t)2 << 20)
#define CT__COL_ALIGN ((size_t)64)

ct_status ct__feed_reserve(ct_feed *f, int64_t need)
{
    if (need <= f->cap)
        return CT_OK;
    if (f->borrowed)
        return ct__fail(&f->err, CT_E_STATE, "feed borrows its columns and cannot grow");
    int64_t cap;
    if (f->cap == 0) { /* first reservation: exact (loaders know their row count) */
        cap = need < 1024 ? 1024 : need;
    } else {
        cap = f->cap;
        while (cap < need)
            cap = cap > INT64_MAX / 2 ? need : cap * 2;
    }
    if ((uint64_t)cap > (SIZE_MAX - CT__HUGE_PAGE - 6 * CT__COL_ALIGN) / (6 * sizeof(double)))
        return ct__fail(&f->err, CT_E_NOMEM, "feed of %lld rows is too large", (long long)cap);
    size_t stride = ((size_t)cap * sizeof(double) + CT__COL_ALIGN - 1) & ~(CT__COL_ALIGN - 1);
    size_t total = 6 * stride;
    size_t align = total >= CT__HUGE_PAGE ? CT__HUGE_PAGE : CT__COL_ALIGN;
    uint8_t *mem = ct__malloc(total + align);
    if (!mem)
        return ct__fail(&f->err, CT_E_NOMEM, "out of memory growing the feed to %lld rows", (long long)cap);
    uint8_t *base = (uint8_t *)(((uintptr_t)mem + align - 1) & ~(uintptr_t)(align - 1));
#ifdef MADV_HUGEPAGE
    if (align == CT__HUGE_PAGE)
        (void)madvise(base, total & ~(CT__HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
    if (f->filled) {
        uint8_t *p = ct__realloc(f->filled, (size_t)cap);
        if (!p) {
            ct__free(mem);
            return ct__fail(&f->err, CT_E_NOMEM, "out of memory growing the feed to %lld rows", (long long)cap);
        }
        memset(p + f->cap, 0, (size_t)(cap - f->cap));
        f->filled = p;
    }
    void *cols[6];
    for (int i = 0; i < 6; i++)
        cols[i] = base + (size_t)i * stride;
    if (f->n > 0) {
        size_t used = (size_t)f->n * sizeof(double);
        memcpy(cols[0], f->time, used);
        memcpy(cols[1], f->open, used);
        memcpy(cols[2], f->high, used);
        memcpy(cols[3], f->low, used);
        memcpy(cols[4], f->close, used);
        memcpy(cols[5], f->volume, used);
    }
    ct__free(f->cols_mem);
    f->cols_mem = mem;
    f->time = cols[0];
    f->open = cols[1];
    f->high = cols[2];
    f->low = cols[3];
    f->close = cols[4];
    f->volume = cols[5];
    f->cap = cap;
    return CT_OK;
}

static ct_status check_columns(ct__err *err, const char *fn, const int64_t *time, const double *open,
                               const double *high, const double *low, const double *close, const double *volume,
                               int64_t n, int64_t prev_time)
{
    if (n < 0)
        return ct__fail(err, CT_E_INVALID_ARG, "%s: n %lld is negative", fn, (long long)n);
    if (n > 0 && (!time || !open || !high || !low || !close || !volume))
        return ct__fail(err, CT_E_INVALID_ARG, "%s: a column pointer is NULL", fn);
    return ct__feed_check_rows(err, "row", 0, prev_time, time, open, high, low, close, volume, n);
}

ct_status ct_feed_append(ct_feed *f, const int64_t *time, const double *open, const double *high,
                         const double *low, const double *close, const double *volume, int64_t n)
{
    if (!f)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_append: feed is NULL");
    if (f->borrowed)
        return ct__fail(&f->err, CT_E_STATE, "ct_feed_append: the feed borrows its columns (CT_FEED_BORROW) and cannot be appended to");
    ct_status s = check_columns(&f->err, "ct_feed_append", time, open, high, low, close, volume, n,
                                f->n ? f->time[f->n - 1] : INT64_MIN);
    if (s != CT_OK)
        return s;
    if ((s = ct__feed_reserve(f, f->n + n)) != CT_OK)
        return s;
    for (int64_t i = 0; i < n; i++)
        ct__feed_push(f, time[i], open[i], high[i], low[i], close[i], volume[i]);
    if (f->interval_ms == 0)
        f->interval_ms = ct__feed_infer_interval(f->time, f->n);
    atomic_store(&f->content_hash, 0);
    return CT_OK;
}

ct_status ct_feed_from_arrays(const char *symbol, int64_t interval_ms, const int64_t *time, const double *open,
                              const double *high, const double *low, const double *close, const double *volume,
                              int64_t n, uint32_t flags, ct_feed **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_from_arrays: out must not be NULL");
    *out = NULL;
    if (flags & ~(uint32_t)CT_FEED_BORROW)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_from_arrays: unknown flags 0x%x", flags);
    ct_status s = check_columns(NULL, "ct_feed_from_arrays", time, open, high, low, close, volume, n, INT64_MIN);
    if (s != CT_OK)
        return s;
    ct_feed *f;
    if ((s = ct_feed_create(symbol, interval_ms, &f)) != CT_OK)
        return s;
    if (flags & CT_FEED_BORROW) {
        f->borrowed = 1;
        f->time = (int64_t *)(uintptr_t)time;
        f->open = (double *)(uintptr_t)open;
        f->high = (double *)(uintptr_t)high;
        f->low = (double *)(uintptr_t)low;
        f->close = (double *)(uintptr_t)close;
        f->volume = (double *)(uintptr_t)volume;
        f->n = f->cap = n;
    } else {
        if ((s = ct__feed_reserve(f, n)) != CT_OK) {
            ct__propagate(NULL, s);
            ct_feed_destroy(f);
            return s;
        }
        if (n > 0) {
            memcpy(f->time, time, (size_t)n * sizeof(int64_t));
            memcpy(f->open, open, (size_t)n * sizeof(double));
            memcpy(f->high, high, (size_t)n * sizeof(double));
            memcpy(f->low, low, (size_t)n * sizeof(double));
            memcpy(f->close, close, (size_t)n * sizeof(double));
            memcpy(f->volume, volume, (size_t)n * sizeof(double));
        }
        f->n = n;
    }
    if (f->interval_ms == 0)
        f->interval_ms = ct__feed_infer_interval(f->time, f->n);
    *out = f;
    return CT_OK;
}

ct_status ct_feed_clone(const ct_feed *f, ct_feed **out)
{
    if (!f || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_clone: feed and out must not be NULL");
    *out = NULL;
    ct_feed *c;
    ct_status s = ct_feed_create(f->symbol, f->interval_ms, &c);
    if (s != CT_OK)
        return s;
    if ((s = ct__feed_reserve(c, f->n)) != CT_OK)
        goto out_fail;
    if (f->filled && ct__feed_any_flag(f->filled, f->n)) {
        c->filled = ct__calloc((size_t)(c->cap ? c->cap : 1), 1);
        if (!c->filled) {
            s = ct__fail(NULL, CT_E_NOMEM, "ct_feed_clone: out of memory");
            goto out_fail;
        }
        memcpy(c->filled, f->filled, (size_t)f->n);
    }
    if (f->n) {
        memcpy(c->time, f->time, (size_t)f->n * sizeof(int64_t));
        memcpy(c->open, f->open, (size_t)f->n * sizeof(double));
        memcpy(c->high, f->high, (size_t)f->n * sizeof(double));
        memcpy(c->low, f->low, (size_t)f->n * sizeof(double));
        memcpy(c->close, f->close, (size_t)f->n * sizeof(double));
        memcpy(c->volume, f->volume, (size_t)f->n * sizeof(double));
    }
    c->n = f->n;
    *out = c;
    return CT_OK;
out_fail:
    ct__propagate(NULL, s);
    ct_feed_destroy(c);
    return s;
}

int64_t ct_feed_len(const ct_feed *f) { return f ? f->n : 0; }
const char *ct_feed_symbol(const ct_feed *f) { return f ? f->symbol : ""; }
int64_t ct_feed_interval_ms(const ct_feed *f) { return f ? f->interval_ms : 0; }
const int64_t *ct_feed_time(const ct_feed *f) { return f && f->n ? f->time : NULL; }
const double *ct_feed_open(const ct_feed *f) { return f && f->n ? f->open : NULL; }
const double *ct_feed_high(const ct_feed *f) { return f && f->n ? f->high : NULL; }
const double *ct_feed_low(const ct_feed *f) { return f && f->n ? f->low : NULL; }
const double *ct_feed_close(const ct_feed *f) { return f && f->n ? f->close : NULL; }
const double *ct_feed_volume(const ct_feed *f) { return f && f->n ? f->volume : NULL; }
const uint8_t *ct_feed_filled(const ct_feed *f) { return f ? f->filled : NULL; }
const char *ct_feed_errmsg(const ct_feed *f) { return f ? f->err.msg : ""; }

const double *ct_feed_column(const ct_feed *f, int32_t field)
{
    switch (field) {
    case CT_FIELD_OPEN: return ct_feed_open(f);
    case CT_FIELD_HIGH: return ct_feed_high(f);
    case CT_FIELD_LOW: return ct_feed_low(f);
    case CT_FIELD_CLOSE: return ct_feed_close(f);
    case CT_FIELD_VOLUME: return ct_feed_volume(f);
    default: return NULL;
    }
}

ct_status ct_feed_set_symbol(ct_feed *f, const char *symbol)
{
    if (!f)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_set_symbol: feed is NULL");
    char *s = ct__strdup(symbol ? symbol : "");
    if (!s)
        return ct__fail(&f->err, CT_E_NOMEM, "ct_feed_set_symbol: out of memory");
    ct__free(f->symbol);
    f->symbol = s;
    atomic_store(&f->content_hash, 0);
    return CT_OK;
}

int64_t ct_feed_lower_bound(const ct_feed *f, int64_t time_ms)
{
    if (!f)
        return 0;
    int64_t lo = 0, hi = f->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (f->time[mid] < time_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int64_t ct_feed_missing_bars(const ct_feed *f)
{
    if (!f || f->interval_ms <= 0)
        return 0;
    int64_t missing = 0;
    for (int64_t i = 1; i < f->n; i++) {
        int64_t m = missing_in(step_at(f->time, i), f->interval_ms);
        missing = m > INT64_MAX - missing ? INT64_MAX : missing + m;
    }
    return missing;
}

ct_status ct_feed_gaps(const ct_feed *f, int64_t *after_ms, int64_t *before_ms, int64_t *missing, int64_t cap,
                       int64_t *n_total)
{
    if (!f || !n_total)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_gaps: feed and n_total must not be NULL");
    if (cap < 0 || (cap > 0 && (!after_ms || !before_ms || !missing)))
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_gaps: cap %lld needs non-NULL after_ms, before_ms and missing",
                        (long long)cap);
    int64_t k = 0;
    if (f->interval_ms > 0)
        for (int64_t i = 1; i < f->n; i++) {
            int64_t m = missing_in(step_at(f->time, i), f->interval_ms);
            if (m == 0)
                continue;
            if (k < cap) {
                after_ms[k] = f->time[i - 1];
                before_ms[k] = f->time[i];
                missing[k] = m;
            }
            k++;
        }
    *n_total = k;
    return CT_OK;
}

ct_status ct__feed_apply_gap_policy(ct_feed *f, int32_t policy)
{
    if (policy == CT_GAPS_KEEP)
        return CT_OK;
    if (policy != CT_GAPS_FILL && policy != CT_GAPS_ERROR)
        return ct__fail(&f->err, CT_E_INVALID_ARG, "gap policy %d is not CT_GAPS_KEEP, CT_GAPS_FILL or CT_GAPS_ERROR", (int)policy);
    int64_t missing = ct_feed_missing_bars(f);
    if (missing == 0)
        return CT_OK;
    if (policy == CT_GAPS_ERROR) {
        for (int64_t i = 1; i < f->n; i++)
            if (missing_in(step_at(f->time, i), f->interval_ms) > 0)
                return ct__fail(&f->err, CT_E_DATA, "gap of %lld bars between rows %lld (time %lld) and %lld (time %lld) (gap policy: error)",
                                (long long)missing_in(step_at(f->time, i), f->interval_ms), (long long)(i - 1),
                                (long long)f->time[i - 1], (long long)i, (long long)f->time[i]);
    }
    if (f->borrowed)
        return ct__fail(&f->err, CT_E_STATE, "cannot fill gaps in a feed that borrows its columns");
    /* A time far off (a typo'd year) would otherwise ask for billions of filler bars. */
    int64_t limit = f->n > (INT64_MAX - CT__FILL_MIN_LIMIT) / 4 ? INT64_MAX : CT__FILL_MIN_LIMIT + 4 * f->n;
    if (missing > limit)
        return ct__fail(&f->err, CT_E_DATA,
                        "gap policy fill: %lld missing bars exceed the limit of %lld (1,000,000 + 4 x %lld rows); "
                        "check the times or use CT_GAPS_KEEP", (long long)missing, (long long)limit, (long long)f->n);
    /* Build the filled columns in a new feed, then swap them in. */
    ct_feed *g;
    ct_status s = ct_feed_create(f->symbol, f->interval_ms, &g);
    if (s != CT_OK)
        return ct__propagate(&f->err, s);
    if ((s = ct__feed_reserve(g, f->n + missing)) != CT_OK)
        goto out;
    g->filled = ct__calloc((size_t)g->cap, 1);
    if (!g->filled) {
        s = ct__fail(&f->err, CT_E_NOMEM, "out of memory filling %lld missing bars", (long long)missing);
        goto out;
    }
    for (int64_t i = 0; i < f->n; i++) {
        if (i > 0) {
            double pc = f->close[i - 1];
            int64_t nfill = missing_in(step_at(f->time, i), f->interval_ms);
            for (int64_t k = 1; k <= nfill; k++) {
                int64_t t = (int64_t)((uint64_t)f->time[i - 1] + (uint64_t)k * (uint64_t)f->interval_ms);
                g->filled[g->n] = 1;
                ct__feed_push(g, t, pc, pc, pc, pc, 0.0);
            }
        }
        if (f->filled)
            g->filled[g->n] = f->filled[i];
        ct__feed_push(g, f->time[i], f->open[i], f->high[i], f->low[i], f->close[i], f->volume[i]);
    }
    /* swap columns */
    {
        int64_t *t = f->time;
        double *o = f->open, *h = f->high, *l = f->low, *c = f->close, *v = f->volume;
        uint8_t *fl = f->filled;
        void *mem = f->cols_mem;
        f->cols_mem = g->cols_mem;
        g->cols_mem = mem;
        f->time = g->time; f->open = g->open; f->high = g->high; f->low = g->low;
        f->close = g->close; f->volume = g->volume; f->filled = g->filled; f->n = g->n; f->cap = g->cap;
        g->time = t; g->open = o; g->high = h; g->low = l; g->close = c; g->volume = v; g->filled = fl;
        atomic_store(&f->content_hash, 0);
    }
out:
    if (s != CT_OK)
        ct__propagate(&f->err, s);
    ct_feed_destroy(g);
    return s;
}

ct_status ct_feed_apply_gaps(const ct_feed *f, int32_t policy, ct_feed **out)
{
    if (!f || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_apply_gaps: feed and out must not be NULL");
    *out = NULL;
    ct_feed *c;
    ct_status s = ct_feed_clone(f, &c);
    if (s != CT_OK)
        return s;
    if ((s = ct__feed_apply_gap_policy(c, policy)) != CT_OK) {
        ct__propagate(NULL, s);
        ct_feed_destroy(c);
        return s;
    }
    *out = c;
    return CT_OK;
}
