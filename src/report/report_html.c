/*
 * ct_result_report_html: one self-contained HTML file (DESIGN.md section 10): inline CSS, inline
 * SVG charts and a small inline script (table paging, chart boxes for tests); nothing is fetched
 * from the network. Charts are downsampled to about 2000 points per series, keeping each
 * bucket's minimum and maximum, and the trades table is capped, so a 1M-bar run stays light.
 */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "cryptota/feed.h"
#include "internal/result_internal.h"
#include "metrics/metrics_internal.h"

/* The result's error slot (NULL for a NULL result); the result is logically const. */
static ct__err *rerr(const ct_result *r) { return r ? &((ct_result *)(uintptr_t)r)->err : NULL; }

#define CHART_POINTS 2000   /* points per series after downsampling */
#define MAX_MARKERS 1000    /* entry/exit markers drawn on the price chart */
#define MAX_TRADE_ROWS 1000 /* rows of the trades table (first and last halves when capped) */

/* Plot area of a chart in SVG user units. */
typedef struct chart {
    double w, h, left, right, top, bottom;
    int64_t t0, t1;
    double vmin, vmax;
    int logy; /* log scale (positive series spanning more than 10x) */
} chart;

static double cx(const chart *c, int64_t t)
{
    double span = (double)(c->t1 - c->t0);
    return c->left + (span > 0 ? (double)(t - c->t0) / span : 0.5) * (c->w - c->left - c->right);
}

static double cy(const chart *c, double v)
{
    double lo = c->logy ? log(c->vmin) : c->vmin, hi = c->logy ? log(c->vmax) : c->vmax;
    double x = c->logy ? log(v) : v, span = hi - lo;
    double f = span > 0 ? (x - lo) / span : 0.5;
    return c->top + (1.0 - f) * (c->h - c->top - c->bottom);
}

static void fmt_date(int64_t ms, char *buf, size_t cap)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int32_t y, m, d;
    ct__civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

static void fmt_datetime(int64_t ms, char *buf, size_t cap)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000;
    int32_t y, m, d;
    ct__civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d", (int)y, (int)m, (int)d, (int)(rem / 3600000),
             (int)(rem / 60000 % 60));
}

/* Extend [lo, hi] over the finite values of v at the given indices. */
static void range_of(const double *v, const int64_t *idx, int64_t k, double *lo, double *hi)
{
    for (int64_t i = 0; i < k; i++) {
        double x = v[idx[i]];
        if (!isfinite(x))
            continue;
        if (x < *lo)
            *lo = x;
        if (x > *hi)
            *hi = x;
    }
}

static void chart_open(ct__sb *b, const char *id, const char *title, chart *c)
{
    ct__sb_printf(b, "<section class=\"card\"><h2>%s</h2>\n<svg id=\"%s\" class=\"chart\" viewBox=\"0 0 %.0f %.0f\" "
                     "preserveAspectRatio=\"none\" role=\"img\" aria-label=\"%s\">\n",
                  title, id, c->w, c->h, title);
    ct__sb_printf(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" class=\"plot\"/>\n", c->left, c->top,
                  c->w - c->left - c->right, c->h - c->top - c->bottom);
}

/* Horizontal grid lines with value labels, and date labels along the bottom. */
static void chart_axes(ct__sb *b, const chart *c, int percent)
{
    for (int i = 0; i <= 4; i++) {
        double v = c->logy ? c->vmin * pow(c->vmax / c->vmin, i / 4.0) : c->vmin + (c->vmax - c->vmin) * i / 4.0;
        double y = cy(c, v);
        ct__sb_printf(b, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", c->left,
                      c->w - c->right, y, y);
        if (percent)
            ct__sb_printf(b, "<text x=\"%.0f\" y=\"%.1f\" class=\"yl\">%.1f%%</text>\n", c->left - 6, y + 4, v * 100);
        else
            ct__sb_printf(b, fabs(v) >= 1000 ? "<text x=\"%.0f\" y=\"%.1f\" class=\"yl\">%.0f</text>\n"
                                             : "<text x=\"%.0f\" y=\"%.1f\" class=\"yl\">%.4g</text>\n",
                          c->left - 6, y + 4, v);
    }
    for (int i = 0; i <= 4; i++) {
        int64_t t = c->t0 + (int64_t)((double)(c->t1 - c->t0) * i / 4.0);
        char d[32];
        fmt_date(t, d, sizeof(d));
        ct__sb_printf(b, "<text x=\"%.1f\" y=\"%.0f\" class=\"xl\"%s>%s</text>", cx(c, t), c->h - 6,
                      i == 0 ? " style=\"text-anchor:start\"" : i == 4 ? " style=\"text-anchor:end\"" : "", d);
    }
    ct__sb_puts(b, "\n");
}

/* A polyline of v over time at the chosen indices; `area` closes it to the zero line. */
static void chart_line(ct__sb *b, const chart *c, const int64_t *time, const double *v, const int64_t *idx, int64_t k,
                       const char *cls, int area)
{
    ct__sb_printf(b, "<%s class=\"%s\" points=\"", area ? "polygon" : "polyline", cls);
    if (area && k > 0)
        ct__sb_printf(b, "%.1f,%.1f ", cx(c, time[idx[0]]), cy(c, 0));
    for (int64_t i = 0; i < k; i++) {
        double x = v[idx[i]];
        if (!isfinite(x))
            continue;
        ct__sb_printf(b, "%.1f,%.1f ", cx(c, time[idx[i]]), cy(c, x));
    }
    if (area && k > 0)
        ct__sb_printf(b, "%.1f,%.1f", cx(c, time[idx[k - 1]]), cy(c, 0));
    ct__sb_puts(b, "\"/>\n");
}

static void fmt_metric(char *buf, size_t cap, const char *unit, double v)
{
    if (!isfinite(v))
        snprintf(buf, cap, "%s", isnan(v) ? "n/a" : (v > 0 ? "inf" : "-inf"));
    else if (strcmp(unit, "fraction") == 0)
        snprintf(buf, cap, "%.2f%%", v * 100);
    else if (strcmp(unit, "bars") == 0 || strcmp(unit, "count") == 0)
        snprintf(buf, cap, "%.10g", v);
    else if (strcmp(unit, "ms") == 0)
        snprintf(buf, cap, "%.1f days", v / 86400000.0);
    else if (strcmp(unit, "quote") == 0)
        snprintf(buf, cap, "%.2f", v);
    else if (strcmp(unit, "x") == 0)
        snprintf(buf, cap, "%.2fx", v);
    else
        snprintf(buf, cap, "%.3f", v);
}

static const char k_css[] =
    "body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f4f6f9;color:#1d2330}"
    "header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}"
    "header p{margin:0;color:#b8c0d0;font-size:13px;overflow-wrap:anywhere}main{max-width:1240px;margin:0 auto;padding:18px}"
    ".card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px 18px;margin:0 0 18px}"
    ".card h2{font-size:16px;margin:0 0 8px}.kpis{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:18px}"
    ".kpi{flex:1 1 150px;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:10px 14px}"
    ".kpi b{display:block;font-size:20px}.kpi span{color:#5a6475;font-size:12px}"
    "svg.chart{width:100%;height:auto;display:block}.plot{fill:#fbfcfe;stroke:#d5dae3}"
    ".grid{stroke:#e3e7ee;stroke-width:1}.yl{font-size:11px;fill:#5a6475;text-anchor:end}"
    ".xl{font-size:11px;fill:#5a6475;text-anchor:middle}"
    ".price{fill:none;stroke:#2b6cb0;stroke-width:1.2}.equity{fill:none;stroke:#2f855a;stroke-width:1.5}"
    ".bench{fill:none;stroke:#dd6b20;stroke-width:1.2;stroke-dasharray:4 3}.dd{fill:rgba(197,48,48,.35);stroke:#c53030;stroke-width:1}"
    ".entry{fill:#2f855a}.exit{fill:#c53030}.legend{font-size:12px;fill:#1d2330}"
    "table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:4px 8px;border-bottom:1px solid #e3e7ee;text-align:right}"
    "th:first-child,td:first-child{text-align:left}thead th{background:#f0f3f8;position:sticky;top:0}"
    ".pos{color:#276749}.neg{color:#c53030}.cols{display:grid;grid-template-columns:1fr 1fr;gap:18px}"
    ".hm{font-size:11px;fill:#1d2330;text-anchor:middle}.note{color:#5a6475;font-size:12px}"
    ".pager button{margin:6px 4px 0 0}@media(max-width:900px){.cols{grid-template-columns:1fr}}";

/* Pages the trades table (50 rows) and records each chart's box in data attributes for tests. */
static const char k_script[] =
    "<script>\n(function(){\n"
    "var errs=0;window.addEventListener('error',function(){errs++;document.body.setAttribute('data-errors',errs);});\n"
    "function boxes(){var out=[];document.querySelectorAll('svg.chart').forEach(function(s){"
    "var r=s.getBoundingClientRect();out.push(s.id+':'+Math.round(r.left+window.scrollX)+','+Math.round(r.top+window.scrollY)+','"
    "+Math.round(r.width)+','+Math.round(r.height));});document.body.setAttribute('data-charts',out.join(';'));}\n"
    "function pager(){var t=document.getElementById('trades');if(!t)return;var rows=t.tBodies[0].rows,per=50,page=0,"
    "pages=Math.max(1,Math.ceil(rows.length/per)),info=document.getElementById('pageinfo');"
    "function show(){for(var i=0;i<rows.length;i++)rows[i].style.display=(i>=page*per&&i<(page+1)*per)?'':'none';"
    "info.textContent='page '+(page+1)+' of '+pages;}"
    "document.getElementById('prev').onclick=function(){if(page>0){page--;show();}};"
    "document.getElementById('next').onclick=function(){if(page<pages-1){page++;show();}};show();}\n"
    "pager();boxes();document.body.setAttribute('data-ready','1');\n})();\n</script>\n";

static void put_trade_row(ct__sb *b, const ct_trade *t, int64_t no)
{
    char e[32], x[32];
    fmt_datetime(t->entry_time_ms, e, sizeof(e));
    fmt_datetime(t->exit_time_ms, x, sizeof(x));
    ct__sb_printf(b, "<tr><td>%lld</td><td>%s</td><td>%s</td><td>%s</td><td>%.8g</td><td>%.8g</td><td>%.8g</td>",
                  (long long)no, t->side < 0 ? "short" : "long", e, x, t->qty, t->entry_price, t->exit_price);
    ct__sb_printf(b, "<td class=\"%s\">%.2f</td><td class=\"%s\">%.2f%%</td><td>%lld</td><td>%.2f%%</td><td>%.2f%%</td></tr>\n",
                  t->pnl_net >= 0 ? "pos" : "neg", t->pnl_net, t->ret >= 0 ? "pos" : "neg", t->ret * 100,
                  (long long)t->bars_held, t->mae * 100, t->mfe * 100);
}

/* Heat-map colour of a monthly return: green up, red down, saturating at +-20%. */
static void heat_colour(double r, char *buf, size_t cap)
{
    double f = fabs(r) / 0.2;
    if (f > 1)
        f = 1;
    int a = (int)(240 - 120 * f), k = (int)(245 - 35 * f);
    if (r >= 0)
        snprintf(buf, cap, "rgb(%d,%d,%d)", a, k, a);
    else
        snprintf(buf, cap, "rgb(%d,%d,%d)", k, a, a);
}

static ct_status build(const ct_result *r, const double *mv, ct__sb *b)
{
    const int64_t n = r->n;
    ct_status st = CT_OK;
    int64_t *idx = NULL, *idx2 = NULL, *mkeys = NULL, nm = 0;
    double *dd = NULL, *bench = NULL, *mrets = NULL;
    if (n > 0) {
        idx = ct__malloc_array(CHART_POINTS, sizeof(int64_t));
        idx2 = ct__malloc_array(CHART_POINTS, sizeof(int64_t));
        dd = ct__malloc_array((size_t)n, sizeof(double));
        bench = ct__malloc_array((size_t)n, sizeof(double));
        if (!idx || !idx2 || !dd || !bench) {
            st = ct__fail(rerr(r), CT_E_NOMEM, "ct_result_report_html: out of memory for %lld bars", (long long)n);
            goto out;
        }
    }
    if ((st = ct__monthly_returns(r->time, r->equity, n, &mkeys, &mrets, &nm)) != CT_OK)
        goto out;

    const char *tf = ct_interval_name(r->interval_ms);
    char d0[32] = "", d1[32] = "";
    if (n > 0) {
        fmt_datetime(r->time[0], d0, sizeof(d0));
        fmt_datetime(r->time[n - 1], d1, sizeof(d1));
    }
    ct__sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    ct__sb_html(b, r->strategy);
    ct__sb_puts(b, " ");
    ct__sb_html(b, r->symbol);
    ct__sb_puts(b, " backtest report</title><style>");
    ct__sb_puts(b, k_css);
    ct__sb_puts(b, "</style></head><body>\n<header><h1>");
    ct__sb_html(b, r->strategy && *r->strategy ? r->strategy : "backtest");
    ct__sb_puts(b, " on ");
    ct__sb_html(b, r->symbol && *r->symbol ? r->symbol : "(no symbol)");
    ct__sb_printf(b, " %s</h1><p>%s to %s UTC &middot; %lld bars &middot; parameters ", tf ? tf : "", d0, d1,
                  (long long)n);
    ct__sb_html(b, r->params_json && *r->params_json ? r->params_json : "{}");
    ct__sb_puts(b, " &middot; config ");
    ct__sb_html(b, r->config_json && *r->config_json ? r->config_json : "{}");
    char key[65];
    ct_result_cache_key(r, key, sizeof(key));
    ct__sb_printf(b, "</p><p>cache key %s &middot; made by libcryptota</p></header>\n<main>\n<div class=\"kpis\">", key);
    static const char *const kpis[] = {"total_return", "cagr", "sharpe_ratio", "max_drawdown", "total_trades",
                                       "win_rate", "profit_factor", "buy_hold_return"};
    for (size_t i = 0; i < sizeof(kpis) / sizeof(kpis[0]); i++) {
        int32_t j = ct_metric_find(kpis[i]);
        char v[48];
        fmt_metric(v, sizeof(v), ct_metric_unit(j), mv[j]);
        ct__sb_printf(b, "<div class=\"kpi\"><b>%s</b><span>%s</span></div>", v, kpis[i]);
    }
    ct__sb_puts(b, "</div>\n");

    if (n > 0) {
        chart c = {1200, 320, 70, 16, 12, 26, r->time[0], r->time[n - 1] > r->time[0] ? r->time[n - 1] : r->time[0] + 1,
                   CT__INF, -CT__INF, 0};
        /* 1. price with entries and exits */
        const double *px = r->close ? r->close : r->equity;
        int64_t k = ct__downsample(px, n, CHART_POINTS, idx);
        range_of(px, idx, k, &c.vmin, &c.vmax);
        c.logy = c.vmin > 0 && c.vmax > 10 * c.vmin;
        chart_open(b, "chart-price", c.logy ? "Price with entries and exits (log scale)" : "Price with entries and exits", &c);
        chart_axes(b, &c, 0);
        chart_line(b, &c, r->time, px, idx, k, "price", 0);
        int64_t stride = r->n_trades > MAX_MARKERS ? (r->n_trades + MAX_MARKERS - 1) / MAX_MARKERS : 1;
        for (int64_t i = 0; i < r->n_trades; i += stride) {
            const ct_trade *t = &r->trades[i];
            double xe = cx(&c, t->entry_time_ms), ye = cy(&c, t->entry_price);
            double xx = cx(&c, t->exit_time_ms), yx = cy(&c, t->exit_price);
            ct__sb_printf(b, "<path class=\"entry\" d=\"M%.1f %.1fl-5 9h10z\"/><path class=\"exit\" d=\"M%.1f %.1fl-5 -9h10z\"/>",
                          xe, ye + 1, xx, yx - 1);
        }
        ct__sb_puts(b, "</svg>");
        if (stride > 1)
            ct__sb_printf(b, "<p class=\"note\">Markers for every %lld-th of %lld trades.</p>", (long long)stride,
                          (long long)r->n_trades);
        ct__sb_puts(b, "</section>\n");

        /* 2. equity against the benchmark (buy-and-hold of the close, scaled to the starting equity) */
        for (int64_t i = 0; i < n; i++)
            bench[i] = r->close ? r->equity[0] * r->close[i] / r->close[0] : r->equity[0];
        c.vmin = CT__INF;
        c.vmax = -CT__INF;
        k = ct__downsample(r->equity, n, CHART_POINTS, idx);
        int64_t k2 = ct__downsample(bench, n, CHART_POINTS, idx2);
        range_of(r->equity, idx, k, &c.vmin, &c.vmax);
        range_of(bench, idx2, k2, &c.vmin, &c.vmax);
        c.logy = c.vmin > 0 && c.vmax > 10 * c.vmin;
        chart_open(b, "chart-equity", c.logy ? "Equity against buy-and-hold (log scale)" : "Equity against buy-and-hold", &c);
        chart_axes(b, &c, 0);
        chart_line(b, &c, r->time, bench, idx2, k2, "bench", 0);
        chart_line(b, &c, r->time, r->equity, idx, k, "equity", 0);
        ct__sb_printf(b, "<text x=\"%.0f\" y=\"26\" class=\"legend\"><tspan fill=\"#2f855a\">&#9632; strategy</tspan> "
                         "<tspan fill=\"#dd6b20\">&#9632; buy-and-hold</tspan></text></svg></section>\n",
                      c.left + 10);

        /* 3. underwater curve */
        double peak = r->equity[0];
        for (int64_t i = 0; i < n; i++) {
            if (r->equity[i] > peak)
                peak = r->equity[i];
            dd[i] = r->equity[i] / peak - 1.0;
        }
        k = ct__downsample(dd, n, CHART_POINTS, idx);
        c.logy = 0;
        c.vmin = 0;
        c.vmax = 0;
        range_of(dd, idx, k, &c.vmin, &c.vmax);
        if (c.vmin == 0)
            c.vmin = -0.01;
        chart_open(b, "chart-drawdown", "Underwater (drawdown from the running peak)", &c);
        chart_axes(b, &c, 1);
        chart_line(b, &c, r->time, dd, idx, k, "dd", 1);
        ct__sb_puts(b, "</svg></section>\n");

        /* 4. monthly returns heat map (SVG, one row per year) */
        int64_t y0 = mkeys[0] / 12, y1 = mkeys[nm - 1] / 12, years = y1 - y0 + 1;
        double cw = 80, ch = 26, hx = 60, hy = 22;
        chart hm = {hx + 13 * cw + 10, hy + (double)years * ch + 8, 0, 0, 0, 0, 0, 1, 0, 1, 0};
        ct__sb_printf(b, "<section class=\"card\"><h2>Monthly returns</h2>\n<svg id=\"chart-monthly\" class=\"chart\" "
                         "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"Monthly returns\">\n",
                      hm.w, hm.h);
        static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                          "Aug", "Sep", "Oct", "Nov", "Dec", "Year"};
        for (int i = 0; i < 13; i++)
            ct__sb_printf(b, "<text x=\"%.0f\" y=\"15\" class=\"xl\">%s</text>", hx + cw * i + cw / 2, mon[i]);
        for (int64_t yy = 0; yy < years; yy++)
            ct__sb_printf(b, "<text x=\"%.0f\" y=\"%.0f\" class=\"yl\">%lld</text>", hx - 8, hy + ch * (double)yy + 17,
                          (long long)(y0 + yy));
        double ycomp = 1.0;
        int64_t cur_year = y0;
        for (int64_t i = 0; i <= nm; i++) {
            if (i == nm || mkeys[i] / 12 != cur_year) {
                char col[32];
                heat_colour(ycomp - 1, col, sizeof(col));
                double x = hx + cw * 12, y = hy + ch * (double)(cur_year - y0);
                ct__sb_printf(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\" stroke=\"#fff\"/>"
                                 "<text x=\"%.0f\" y=\"%.0f\" class=\"hm\" font-weight=\"bold\">%.1f%%</text>\n",
                              x, y, cw, ch, col, x + cw / 2, y + 17, (ycomp - 1) * 100);
                if (i == nm)
                    break;
                cur_year = mkeys[i] / 12;
                ycomp = 1.0;
            }
            ycomp *= 1.0 + mrets[i];
            char col[32];
            heat_colour(mrets[i], col, sizeof(col));
            double x = hx + cw * (double)(mkeys[i] % 12), y = hy + ch * (double)(mkeys[i] / 12 - y0);
            ct__sb_printf(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\" stroke=\"#fff\"/>"
                             "<text x=\"%.0f\" y=\"%.0f\" class=\"hm\">%.1f%%</text>\n",
                          x, y, cw, ch, col, x + cw / 2, y + 17, mrets[i] * 100);
        }
        ct__sb_puts(b, "</svg></section>\n");
    }

    /* metrics and drawdowns */
    ct__sb_puts(b, "<div class=\"cols\"><section class=\"card\"><h2>Metrics</h2><table id=\"metrics\"><thead><tr>"
                   "<th>metric</th><th>value</th><th>unit</th></tr></thead><tbody>\n");
    for (int32_t i = 0; i < ct_metric_count(); i++) {
        char v[48];
        fmt_metric(v, sizeof(v), ct_metric_unit(i), mv[i]);
        ct__sb_puts(b, "<tr title=\"");
        ct__sb_html(b, ct_metric_description(i));
        ct__sb_printf(b, "\"><td>%s</td><td>%s</td><td>%s</td></tr>\n", ct_metric_name(i), v, ct_metric_unit(i));
    }
    ct__sb_puts(b, "</tbody></table></section>\n<section class=\"card\"><h2>Deepest drawdowns</h2><table id=\"drawdowns\">"
                   "<thead><tr><th>peak</th><th>trough</th><th>recovery</th><th>depth</th><th>bars</th></tr></thead><tbody>\n");
    ct__dd_period p[5];
    int64_t nd = ct__drawdown_top(r->equity, n, p, 5);
    for (int64_t i = 0; i < nd; i++) {
        char a[32], t2[32], c2[32] = "not recovered";
        fmt_datetime(r->time[p[i].start], a, sizeof(a));
        fmt_datetime(r->time[p[i].trough], t2, sizeof(t2));
        if (p[i].recovery >= 0)
            fmt_datetime(r->time[p[i].recovery], c2, sizeof(c2));
        ct__sb_printf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td class=\"neg\">%.2f%%</td><td>%lld</td></tr>\n", a, t2,
                      c2, p[i].depth * 100, (long long)((p[i].recovery >= 0 ? p[i].recovery : n - 1) - p[i].start));
    }
    ct__sb_puts(b, "</tbody></table></section></div>\n");

    /* trades (capped: the first and last halves) */
    ct__sb_printf(b, "<section class=\"card\"><h2>Trades (%lld)</h2>", (long long)r->n_trades);
    if (r->has_open)
        ct__sb_printf(b, "<p class=\"note\">Open at the end: %s %.8g at %.8g (not a trade).</p>",
                      r->open_qty < 0 ? "short" : "long", fabs(r->open_qty), r->open_entry_price);
    int64_t shown = r->n_trades <= MAX_TRADE_ROWS ? r->n_trades : MAX_TRADE_ROWS;
    if (shown < r->n_trades)
        ct__sb_printf(b, "<p class=\"note\">Showing the first and last %d of %lld trades; every trade is in the result "
                         "JSON.</p>",
                      MAX_TRADE_ROWS / 2, (long long)r->n_trades);
    ct__sb_puts(b, "<table id=\"trades\"><thead><tr><th>#</th><th>side</th><th>entry</th><th>exit</th><th>qty</th>"
                   "<th>entry price</th><th>exit price</th><th>pnl net</th><th>return</th><th>bars</th><th>MAE</th>"
                   "<th>MFE</th></tr></thead><tbody>\n");
    for (int64_t i = 0; i < r->n_trades; i++) {
        if (shown < r->n_trades && i == MAX_TRADE_ROWS / 2)
            i = r->n_trades - MAX_TRADE_ROWS / 2;
        put_trade_row(b, &r->trades[i], i + 1);
    }
    ct__sb_puts(b, "</tbody></table><div class=\"pager\"><button id=\"prev\">previous</button><button id=\"next\">next"
                   "</button><span id=\"pageinfo\" class=\"note\"></span></div></section>\n</main>\n");
    ct__sb_puts(b, k_script);
    ct__sb_puts(b, "</body></html>\n");
    if (b->oom)
        st = ct__fail(rerr(r), CT_E_NOMEM, "ct_result_report_html: out of memory building the page");
out:
    ct__free(idx);
    ct__free(idx2);
    ct__free(dd);
    ct__free(bench);
    ct__free(mkeys);
    ct__free(mrets);
    return st;
}

ct_status ct_result_report_html(const ct_result *r, const char *path)
{
    if (!r || !path || !*path)
        return ct__fail(rerr(r), CT_E_INVALID_ARG, "ct_result_report_html: %s", !r ? "NULL result" : "empty path");
    const double *mv = ct__result_metrics(r);
    if (!mv)
        return CT_E_NOMEM;
    ct__sb b;
    ct__sb_init(&b);
    ct__sb_reserve(&b, 256 * 1024 + (size_t)(r->n_trades < MAX_TRADE_ROWS ? r->n_trades : MAX_TRADE_ROWS) * 400);
    ct_status st = build(r, mv, &b);
    if (st != CT_OK) {
        ct__sb_free(&b);
        return st;
    }
    /* write to a temporary name and rename, so a reader never sees half a report */
    size_t plen = strlen(path);
    char *tmp = ct__malloc(plen + 8);
    if (!tmp) {
        ct__sb_free(&b);
        return ct__fail(rerr(r), CT_E_NOMEM, "ct_result_report_html: out of memory");
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        ct__free(tmp);
        ct__sb_free(&b);
        return ct__fail(rerr(r), CT_E_IO, "ct_result_report_html: cannot open '%s' for writing", path);
    }
    size_t w = fwrite(b.buf, 1, b.len, f);
    int bad = fclose(f) != 0 || w != b.len;
    ct__sb_free(&b);
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        ct__free(tmp);
        return ct__fail(rerr(r), CT_E_IO, "ct_result_report_html: writing '%s' failed", path);
    }
    ct__free(tmp);
    return CT_OK;
}
