/* The ct_feed layout, shared by the feed modules (csv.c, ctz.c, transform.c). */
#ifndef CT_FEED_INTERNAL_H
#define CT_FEED_INTERNAL_H

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
    uint8_t *filled;      /* NULL unless CT_GAPS_FILL inserted a row */
    int borrowed;
};

/*
 * Check one candle against the rules of DESIGN.md section 3. `prev_time` is the previous row's
 * time (INT64_MIN for none). `what` and `rowno` name the row in the message ("row", 5 or
 * "line", 7). Returns CT_OK or CT_E_DATA.
 */
ct_status ct__feed_check_row(ct__err *err, const char *what, int64_t rowno, int64_t prev_time, int64_t t,
                             double o, double h, double l, double c, double v);

/* Grow the columns to hold at least `need` rows. */
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

/* The smallest positive step between consecutive times (0 if fewer than two rows). */
int64_t ct__feed_infer_interval(const int64_t *time, int64_t n);

/* Apply a gap policy in place (FILL inserts flagged rows; ERROR fails naming the gap). */
ct_status ct__feed_apply_gap_policy(ct_feed *f, int32_t policy);

#endif
