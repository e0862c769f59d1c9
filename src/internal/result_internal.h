/*
 * Layout of ct_result, shared by the engine (which fills it), metrics, JSON export, the report
 * and the optimizer (which read it). Arrays are owned by the result (ct__malloc) unless noted.
 */
#ifndef CT_RESULT_INTERNAL_H
#define CT_RESULT_INTERNAL_H

#include "cryptota/result.h"
#include "internal/ct_internal.h"

struct ct_result {
    ct__err err;
    char *strategy;          /* class name */
    char *symbol;
    int64_t interval_ms;
    char *params_json;       /* canonical JSON object of the parameters actually used */
    char *config_json;       /* canonical JSON object of the engine config (every key, defaults included) */

    /* per bar, n = feed length */
    int64_t n;
    int64_t *time;           /* bar open times (copied from the feed) */
    double *equity;          /* E[t] */
    double *position;        /* signed qty at the close of bar t */
    double *close;           /* the feed's close (buy-and-hold benchmark, report price chart) */

    /* trades */
    int64_t n_trades;
    ct_trade *trades;

    /* end state */
    int32_t has_open;
    double open_qty;         /* signed */
    double open_entry_price;
    int64_t open_entry_time;
    int64_t open_entry_bar;
    int64_t pending_at_end;
    int64_t rejected_orders;
    double final_cash;

    /* accounting echoed for metrics */
    double capital;          /* initial cash */
    double total_commission;
    double turnover;         /* sum of |qty * price| over all fills */
    int64_t n_fills;
    double total_funding;    /* funding paid (positive) or received (negative), added by the engine */

    /* metric settings from the config (DESIGN.md section 8) */
    double periods_per_year; /* 0: from interval_ms */
    double risk_free;        /* per-period risk-free rate */
    int32_t metrics_daily;   /* 1: metrics_freq = daily */

    /* optional host benchmark series (aligned on time by the metrics module) */
    int64_t bench_n;
    int64_t *bench_time;
    double *bench_value;

    /* bars with a position != 0 (the exposure metric), counted by the engine as it ran, so the
     * metrics need not read the positions again; -1: not counted (the metrics count them) */
    int64_t n_held;

    /* content hash of the feed (for ct_result_cache_key) */
    uint64_t feed_hash;

    /* metrics cache: a ct__malloc'ed array of every metric's value, filled on first use by the
     * metrics module; NULL until then. ct_result_destroy frees it with ct__free. */
    double *metrics;
};

/* Allocate an empty result (all zero, strings ""), or NULL on out of memory. */
ct_result *ct__result_new(void);

#endif
