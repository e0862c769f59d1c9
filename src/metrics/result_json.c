/*
 * ct_result_json: the result document hosts serve (DESIGN.md section 10; schema in
 * docs/result-schema.md and docs/result-schema.json). Numbers have 17 significant digits (they
 * round-trip to the same doubles); NaN and infinities are null.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cryptota/feed.h"
#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"

/* The result's error slot (NULL for a NULL result); the result is logically const. */
static ct__err *rerr(const ct_result *r) { return r ? &((ct_result *)(uintptr_t)r)->err : NULL; }

/* A JSON object recorded by the engine, or {} when there is none. */
static void put_raw_object(ct__sb *b, const char *json)
{
    const char *p = json;
    while (p && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
        p++;
    if (!p || *p != '{')
        ct__sb_puts(b, "{}");
    else
        ct__sb_puts(b, json);
}

static void put_key(ct__sb *b, const char *k)
{
    ct__sb_jstr(b, k);
    ct__sb_put(b, ": ", 2);
}

static void put_trade(ct__sb *b, const ct_trade *t)
{
    ct__sb_puts(b, "{\"entry_time_ms\": ");
    ct__sb_int(b, t->entry_time_ms);
    ct__sb_puts(b, ", \"exit_time_ms\": ");
    ct__sb_int(b, t->exit_time_ms);
    ct__sb_puts(b, ", \"entry_bar\": ");
    ct__sb_int(b, t->entry_bar);
    ct__sb_puts(b, ", \"exit_bar\": ");
    ct__sb_int(b, t->exit_bar);
    ct__sb_puts(b, t->side < 0 ? ", \"side\": \"short\"" : ", \"side\": \"long\"");
    ct__sb_puts(b, ", \"qty\": ");
    ct__sb_num(b, t->qty);
    ct__sb_puts(b, ", \"entry_price\": ");
    ct__sb_num(b, t->entry_price);
    ct__sb_puts(b, ", \"exit_price\": ");
    ct__sb_num(b, t->exit_price);
    ct__sb_puts(b, ", \"entry_commission\": ");
    ct__sb_num(b, t->entry_commission);
    ct__sb_puts(b, ", \"exit_commission\": ");
    ct__sb_num(b, t->exit_commission);
    ct__sb_puts(b, ", \"pnl_gross\": ");
    ct__sb_num(b, t->pnl_gross);
    ct__sb_puts(b, ", \"pnl_net\": ");
    ct__sb_num(b, t->pnl_net);
    ct__sb_puts(b, ", \"return\": ");
    ct__sb_num(b, t->ret);
    ct__sb_puts(b, ", \"bars_held\": ");
    ct__sb_int(b, t->bars_held);
    ct__sb_puts(b, ", \"mae\": ");
    ct__sb_num(b, t->mae);
    ct__sb_puts(b, ", \"mfe\": ");
    ct__sb_num(b, t->mfe);
    ct__sb_puts(b, "}");
}

ct_status ct_result_json(const ct_result *r, int64_t max_equity_points, char **out)
{
    if (out)
        *out = NULL;
    if (!r || !out || max_equity_points < 0)
        return ct__fail(rerr(r), CT_E_INVALID_ARG, "ct_result_json: %s",
                        !r ? "NULL result" : !out ? "NULL out" : "negative max_equity_points");
    const double *mv = ct__result_metrics(r);
    if (!mv)
        return CT_E_NOMEM;
    ct_status st = CT_OK;
    int64_t *idx = NULL, *mkeys = NULL;
    double *mrets = NULL;
    int64_t nm = 0;
    ct__sb b;
    ct__sb_init(&b);

    /* downsampling keeps at least the first and the last point */
    int64_t cap_idx = (max_equity_points > 0 && max_equity_points < r->n) ? max_equity_points : r->n;
    if (cap_idx < 2 && r->n >= 2)
        cap_idx = 2;
    if (cap_idx > 0 && !(idx = ct__malloc_array((size_t)cap_idx, sizeof(int64_t)))) {
        st = ct__fail(rerr(r), CT_E_NOMEM, "ct_result_json: out of memory");
        goto out;
    }
    if ((st = ct__monthly_returns(r->time, r->equity, r->n, &mkeys, &mrets, &nm)) != CT_OK)
        goto out;
    /* ~40 bytes per equity point, ~400 per trade */
    ct__sb_reserve(&b, 4096 + (size_t)cap_idx * 40 + (size_t)r->n_trades * 400);

    char key[65];
    ct_result_cache_key(r, key, sizeof(key));
    const char *tf = ct_interval_name(r->interval_ms);
    ct__sb_puts(&b, "{");
    put_key(&b, "strategy");
    ct__sb_jstr(&b, r->strategy ? r->strategy : "");
    ct__sb_puts(&b, ", ");
    put_key(&b, "symbol");
    ct__sb_jstr(&b, r->symbol ? r->symbol : "");
    ct__sb_puts(&b, ", ");
    put_key(&b, "timeframe");
    ct__sb_jstr(&b, tf);
    ct__sb_puts(&b, ", \"interval_ms\": ");
    ct__sb_int(&b, r->interval_ms);
    ct__sb_puts(&b, ", \"cache_key\": ");
    ct__sb_jstr(&b, key);
    ct__sb_puts(&b, ", \"parameters\": ");
    put_raw_object(&b, r->params_json);
    ct__sb_puts(&b, ", \"config\": ");
    put_raw_object(&b, r->config_json);
    ct__sb_puts(&b, ", \"bars\": ");
    ct__sb_int(&b, r->n);
    ct__sb_puts(&b, ", \"start_time_ms\": ");
    if (r->n > 0)
        ct__sb_int(&b, r->time[0]);
    else
        ct__sb_puts(&b, "null");
    ct__sb_puts(&b, ", \"end_time_ms\": ");
    if (r->n > 0)
        ct__sb_int(&b, r->time[r->n - 1]);
    else
        ct__sb_puts(&b, "null");
    ct__sb_puts(&b, ", \"capital\": ");
    ct__sb_num(&b, r->capital);
    ct__sb_puts(&b, ", \"final_equity\": ");
    ct__sb_num(&b, r->n > 0 ? r->equity[r->n - 1] : r->capital);
    ct__sb_puts(&b, ", \"final_cash\": ");
    ct__sb_num(&b, r->final_cash);
    ct__sb_puts(&b, ", \"pending_at_end\": ");
    ct__sb_int(&b, r->pending_at_end);
    ct__sb_puts(&b, ", \"rejected_orders\": ");
    ct__sb_int(&b, r->rejected_orders);

    ct__sb_puts(&b, ",\n\"metrics\": {");
    for (int32_t i = 0; i < ct_metric_count(); i++) {
        if (i)
            ct__sb_puts(&b, ", ");
        put_key(&b, ct_metric_name(i));
        ct__sb_num(&b, mv[i]);
    }
    ct__sb_puts(&b, "},\n\"trades\": [");
    for (int64_t i = 0; i < r->n_trades; i++) {
        if (i)
            ct__sb_puts(&b, ",\n");
        put_trade(&b, &r->trades[i]);
    }
    ct__sb_puts(&b, "],\n\"open_position\": ");
    if (r->has_open) {
        double last = r->n > 0 && r->close ? r->close[r->n - 1] : CT__NaN;
        ct__sb_puts(&b, "{\"side\": ");
        ct__sb_puts(&b, r->open_qty < 0 ? "\"short\"" : "\"long\"");
        ct__sb_puts(&b, ", \"qty\": ");
        ct__sb_num(&b, fabs(r->open_qty));
        ct__sb_puts(&b, ", \"entry_price\": ");
        ct__sb_num(&b, r->open_entry_price);
        ct__sb_puts(&b, ", \"entry_time_ms\": ");
        ct__sb_int(&b, r->open_entry_time);
        ct__sb_puts(&b, ", \"entry_bar\": ");
        ct__sb_int(&b, r->open_entry_bar);
        ct__sb_puts(&b, ", \"last_price\": ");
        ct__sb_num(&b, last);
        ct__sb_puts(&b, ", \"unrealized_pnl\": ");
        ct__sb_num(&b, r->open_qty * (last - r->open_entry_price));
        ct__sb_puts(&b, "}");
    } else {
        ct__sb_puts(&b, "null");
    }

    int64_t k = ct__downsample(r->equity, r->n, max_equity_points, idx);
    ct__sb_puts(&b, ",\n\"equity_points\": ");
    ct__sb_int(&b, r->n);
    ct__sb_puts(&b, ", \"equity_downsampled\": ");
    ct__sb_puts(&b, k < r->n ? "true" : "false");
    ct__sb_puts(&b, ",\n\"equity_curve\": [");
    for (int64_t i = 0; i < k; i++) {
        int64_t j = idx[i];
        if (!ct__sb_reserve(&b, 64))
            break;
        ct__sb_put(&b, i ? ",[" : "[", i ? 2 : 1);
        ct__sb_int(&b, r->time[j]);
        ct__sb_put(&b, ",", 1);
        ct__sb_num(&b, r->equity[j]);
        ct__sb_put(&b, "]", 1);
    }
    ct__sb_puts(&b, "],\n\"drawdowns\": [");
    {
        ct__dd_period p[5];
        int64_t nd = ct__drawdown_top(r->equity, r->n, p, 5);
        for (int64_t i = 0; i < nd; i++) {
            int64_t endi = p[i].recovery >= 0 ? p[i].recovery : r->n - 1;
            ct__sb_puts(&b, i ? ", {\"start_ms\": " : "{\"start_ms\": ");
            ct__sb_int(&b, r->time[p[i].start]);
            ct__sb_puts(&b, ", \"trough_ms\": ");
            ct__sb_int(&b, r->time[p[i].trough]);
            ct__sb_puts(&b, ", \"recovery_ms\": ");
            if (p[i].recovery >= 0)
                ct__sb_int(&b, r->time[p[i].recovery]);
            else
                ct__sb_puts(&b, "null");
            ct__sb_puts(&b, ", \"depth\": ");
            ct__sb_num(&b, p[i].depth);
            ct__sb_puts(&b, ", \"duration_bars\": ");
            ct__sb_int(&b, endi - p[i].start);
            ct__sb_puts(&b, ", \"duration_ms\": ");
            ct__sb_int(&b, r->time[endi] - r->time[p[i].start]);
            ct__sb_puts(&b, "}");
        }
    }
    ct__sb_puts(&b, "],\n\"monthly_returns\": [");
    for (int64_t i = 0; i < nm; i++) {
        ct__sb_puts(&b, i ? ", {\"year\": " : "{\"year\": ");
        ct__sb_int(&b, mkeys[i] / 12);
        ct__sb_puts(&b, ", \"month\": ");
        ct__sb_int(&b, mkeys[i] % 12 + 1);
        ct__sb_puts(&b, ", \"return\": ");
        ct__sb_num(&b, mrets[i]);
        ct__sb_puts(&b, "}");
    }
    ct__sb_puts(&b, "]}\n");
    if (b.oom)
        st = ct__fail(rerr(r), CT_E_NOMEM, "ct_result_json: out of memory building the document");
out:
    ct__free(idx);
    ct__free(mkeys);
    ct__free(mrets);
    if (st != CT_OK) {
        ct__sb_free(&b);
        return st;
    }
    *out = b.buf;
    return CT_OK;
}
