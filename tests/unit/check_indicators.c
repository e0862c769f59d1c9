/*
 * Indicators: the table, TA-Lib agreement (shared reference figures and committed TA-Lib
 * vectors), slow-reference cross-checks, hand-computed values, streaming == batch for every
 * chunking, edge cases (empty, length 1, constant, NaN), option errors and OOM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicators/ref/ref.h"
#include "test_util.h"

/* ---- small CSV table loader (header + numeric columns; "NaN" parses as NaN) ----------------- */

typedef struct csv_tab {
    int ncol;
    int64_t nrow;
    char **names;
    double **col;
} csv_tab;

static void csv_free(csv_tab *t)
{
    for (int j = 0; j < t->ncol; j++) {
        free(t->names[j]);
        free(t->col[j]);
    }
    free(t->names);
    free(t->col);
    memset(t, 0, sizeof(*t));
}

/* Loads at most max_rows rows (max_rows < 0: all). */
static void csv_load(const char *path, int64_t max_rows, csv_tab *t)
{
    size_t len = 0;
    char *txt = ct_test_read_file(path, &len);
    char *p, *eol;
    int64_t cap = 1024;
    ck_assert_msg(txt != NULL, "cannot read %s", path);
    memset(t, 0, sizeof(*t));
    eol = strchr(txt, '\n');
    ck_assert_ptr_nonnull(eol);
    *eol = 0;
    for (char *q = txt; q; q = strchr(q, ',')) {
        t->ncol++;
        q++;
    }
    t->names = calloc((size_t)t->ncol, sizeof(char *));
    t->col = calloc((size_t)t->ncol, sizeof(double *));
    p = txt;
    for (int j = 0; j < t->ncol; j++) {
        char *c = strchr(p, ',');
        if (c)
            *c = 0;
        t->names[j] = strdup(p);
        t->col[j] = malloc(sizeof(double) * (size_t)cap);
        p = c ? c + 1 : p;
    }
    p = eol + 1;
    while (*p && (max_rows < 0 || t->nrow < max_rows)) {
        if (t->nrow == cap) {
            cap *= 2;
            for (int j = 0; j < t->ncol; j++)
                t->col[j] = realloc(t->col[j], sizeof(double) * (size_t)cap);
        }
        for (int j = 0; j < t->ncol; j++) {
            t->col[j][t->nrow] = strtod(p, &p);
            if (*p == ',')
                p++;
        }
        while (*p == '\r' || *p == '\n')
            p++;
        t->nrow++;
    }
    free(txt);
}

static const double *csv_col(const csv_tab *t, const char *name)
{
    for (int j = 0; j < t->ncol; j++)
        if (strcmp(t->names[j], name) == 0)
            return t->col[j];
    ck_abort_msg("column %s missing", name);
    return NULL;
}

/* OHLCV columns of a candle table, in the order of an indicator's inputs. */
static void map_inputs(const ct_indicator_info *ind, const csv_tab *candles, const double **in)
{
    for (int32_t k = 0; k < ind->n_inputs; k++)
        in[k] = csv_col(candles, ind->input_names[k]);
}

static double **alloc_outputs(int32_t n_out, int64_t n)
{
    double **o = calloc(CT_IND_MAX_OUTPUTS, sizeof(double *));
    for (int32_t k = 0; k < n_out; k++)
        o[k] = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    return o;
}
static void free_outputs(double **o)
{
    for (int k = 0; k < CT_IND_MAX_OUTPUTS; k++)
        free(o[k]);
    free(o);
}

/* ---- the table -------------------------------------------------------------------------------- */

START_TEST(test_table)
{
    static const char *const allowed[] = {"open", "high", "low", "close", "volume"};
    static const char *const required[] = {"sma", "ema", "wma", "dema", "tema", "kama", "hma", "rsi", "stochrsi",
                                           "macd", "ppo", "bbands", "keltner", "donchian", "atr", "natr", "trange",
                                           "stoch", "adx", "plus_di", "minus_di", "cci", "willr", "mfi", "obv", "roc",
                                           "mom", "cmo", "trix", "aroon", "sar", "stddev", "vwap", "supertrend",
                                           "ichimoku"};
    int32_t n = ct_indicator_count();
    ck_assert_int_ge(n, 35);
    for (size_t r = 0; r < sizeof(required) / sizeof(required[0]); r++)
        ck_assert_msg(ct_indicator_find(required[r]) != NULL, "%s missing", required[r]);
    ck_assert_ptr_eq(ct_indicator_find("RSI"), ct_indicator_find("rsi"));
    ck_assert_ptr_eq(ct_indicator_find("MaCd"), ct_indicator_find("macd"));
    ck_assert_ptr_null(ct_indicator_find("nope"));
    ck_assert_ptr_null(ct_indicator_find(NULL));
    ck_assert_ptr_null(ct_indicator_at(-1));
    ck_assert_ptr_null(ct_indicator_at(n));
    for (int32_t i = 0; i < n; i++) {
        const ct_indicator_info *ind = ct_indicator_at(i);
        ck_assert_uint_eq(ind->struct_size, sizeof(ct_indicator_info));
        ck_assert_ptr_eq(ct_indicator_find(ct_indicator_name(ind)), ind);
        ck_assert_int_ge(ind->n_inputs, 1);
        ck_assert_int_le(ind->n_inputs, CT_IND_MAX_INPUTS);
        ck_assert_int_le(ind->n_options, CT_IND_MAX_OPTIONS);
        ck_assert_int_ge(ind->n_outputs, 1);
        ck_assert_int_le(ind->n_outputs, CT_IND_MAX_OUTPUTS);
        ck_assert(strlen(ct_indicator_full_name(ind)) > 0);
        ck_assert(strlen(ct_indicator_group(ind)) > 0);
        for (int32_t k = 0; k < ct_indicator_n_inputs(ind); k++) {
            int ok = 0;
            for (size_t a = 0; a < 5; a++)
                ok |= strcmp(ct_indicator_input_name(ind, k), allowed[a]) == 0;
            ck_assert_msg(ok, "%s input %s", ind->name, ct_indicator_input_name(ind, k));
        }
        for (int32_t k = 0; k < ct_indicator_n_options(ind); k++) {
            double d = ct_indicator_option_default(ind, k);
            ck_assert(ct_indicator_option_name(ind, k) != NULL);
            ck_assert(d >= ct_indicator_option_min(ind, k) && d <= ct_indicator_option_max(ind, k));
            ck_assert(ct_indicator_option_step(ind, k) > 0);
        }
        for (int32_t k = 0; k < ct_indicator_n_outputs(ind); k++)
            ck_assert(ct_indicator_output_name(ind, k) != NULL);
        ck_assert_ptr_null(ct_indicator_input_name(ind, ind->n_inputs));
        ck_assert_ptr_null(ct_indicator_output_name(ind, -1));
        ck_assert_ptr_null(ct_indicator_option_name(ind, ind->n_options));
        ck_assert(isnan(ct_indicator_option_default(ind, ind->n_options)));
        ck_assert_int_ge(ct_indicator_lookback(ind, NULL), 0);
        ck_assert_int_eq(ct_indicator_check_options(ind, NULL), CT_OK);
    }
    ck_assert_str_eq(ct_indicator_name(NULL), "");
    ck_assert_int_eq(ct_indicator_n_outputs(NULL), 0);
    ck_assert_int_eq(ct_indicator_lookback(NULL, NULL), -1);
    /* lookbacks of the shared reference README (first non-NaN row with default parameters) */
    ck_assert_int_eq(ct_ind_sma_lookback(20), 19);
    ck_assert_int_eq(ct_ind_ema_lookback(20), 19);
    ck_assert_int_eq(ct_ind_rsi_lookback(14), 14);
    ck_assert_int_eq(ct_ind_macd_lookback(12, 26, 9), 33);
    ck_assert_int_eq(ct_ind_bbands_lookback(20), 19);
    ck_assert_int_eq(ct_ind_atr_lookback(14), 14);
    ck_assert_int_eq(ct_indicator_lookback(ct_indicator_find("stoch"), (const double[]){14, 3, 3}), 17);
    ck_assert_int_eq(ct_indicator_lookback(ct_indicator_find("adx"), (const double[]){14}), 27);
    ck_assert_int_eq(ct_indicator_lookback(ct_indicator_find("cci"), (const double[]){20}), 19);
    ck_assert_int_eq(ct_indicator_lookback(ct_indicator_find("willr"), (const double[]){14}), 13);
    ck_assert_int_eq(ct_indicator_lookback(ct_indicator_find("mfi"), (const double[]){14}), 14);
    ck_assert_int_eq(ct_indicator_lookback(ct_indicator_find("obv"), NULL), 0);
    ck_assert_int_eq(ct_indicator_lookback(ct_indicator_find("roc"), (const double[]){10}), 10);
    ck_assert_int_eq(ct_ind_sma_lookback(0), -1);
    ck_assert_int_eq(ct_ind_rsi_lookback(1), -1);
}
END_TEST

/* ---- TA-Lib figures of ../shared/reference/indicators ------------------------------------------ */

static const char *const k_ref_files[] = {
    "binance_BTCUSDT_15m_2023-04-01_2024-04-09",
    "binance_BTCUSDT_1d_2017-08-17_2022-10-10",
    "binance_DOGEUSDT_15m_2023-04-01_2024-04-09",
    "binance_ETHUSDT_1h_2017-08-17_2022-10-11",
};

/* |a - b| <= abs_tol, NaN only against NaN. */
static void expect_abs(const char *what, const double *got, const double *want, int64_t n, const double *scale,
                       double tol)
{
    for (int64_t i = 0; i < n; i++) {
        double lim = tol * (scale ? fabs(scale[i]) : 1.0);
        if (isnan(want[i]) || isnan(got[i]))
            ck_assert_msg(isnan(want[i]) && isnan(got[i]), "%s row %lld: got %.17g want %.17g", what, (long long)i,
                          got[i], want[i]);
        else
            ck_assert_msg(fabs(got[i] - want[i]) <= lim, "%s row %lld: got %.17g want %.17g", what, (long long)i,
                          got[i], want[i]);
    }
}
/* 1e-9 relative (plus 1e-9 absolute, ct_test_close), NaN only against NaN. */
static void expect_rel(const char *what, const double *got, const double *want, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(ct_test_close(got[i], want[i], 1e-9), "%s row %lld: got %.17g want %.17g", what, (long long)i,
                      got[i], want[i]);
}

START_TEST(test_shared_reference)
{
    /* Source: ../shared/reference/indicators (TA-Lib 0.6.0-dev outputs, README "Indicators"). */
    char cpath[512], rpath[512];
    csv_tab cd, rf;
    snprintf(cpath, sizeof cpath, "%s.csv.zst", k_ref_files[_i]);
    snprintf(rpath, sizeof rpath, "indicators/ta_%s.csv.zst", k_ref_files[_i]);
    csv_load(ct_test_data(cpath), -1, &cd);
    csv_load(ct_test_ref(rpath), -1, &rf);
    ck_assert_int_eq(cd.nrow, rf.nrow);
    int64_t n = cd.nrow;
    const double *h = csv_col(&cd, "high"), *l = csv_col(&cd, "low"), *c = csv_col(&cd, "close");
    double **o = alloc_outputs(3, n);
    /* typed functions */
    ck_assert_ok(ct_ind_sma(c, n, 20, o[0]));
    expect_rel("sma", o[0], csv_col(&rf, "sma"), n);
    ck_assert_ok(ct_ind_ema(c, n, 20, o[0]));
    expect_rel("ema", o[0], csv_col(&rf, "ema"), n);
    ck_assert_ok(ct_ind_rsi(c, n, 14, o[0]));
    expect_rel("rsi", o[0], csv_col(&rf, "rsi"), n);
    ck_assert_ok(ct_ind_macd(c, n, 12, 26, 9, o[0], o[1], o[2]));
    expect_rel("macd", o[0], csv_col(&rf, "macd"), n);
    expect_rel("macd_signal", o[1], csv_col(&rf, "macd_signal"), n);
    expect_rel("macd_hist", o[2], csv_col(&rf, "macd_hist"), n);
    ck_assert_ok(ct_ind_bbands(c, n, 20, 2, 2, o[0], o[1], o[2]));
    /* STDDEV/BBANDS: TA-Lib's running-sum variance is imprecise; README: 1e-7 × price, ×2 for bands */
    expect_abs("bb_upper", o[0], csv_col(&rf, "bb_upper"), n, c, 2e-7);
    expect_rel("bb_middle", o[1], csv_col(&rf, "bb_middle"), n);
    expect_abs("bb_lower", o[2], csv_col(&rf, "bb_lower"), n, c, 2e-7);
    ck_assert_ok(ct_ind_atr(h, l, c, n, 14, o[0]));
    expect_rel("atr", o[0], csv_col(&rf, "atr"), n);
    /* generic path */
    static const struct {
        const char *ind;
        double opt[3];
        const char *cols[2];
    } gen[] = {
        {"stoch", {14, 3, 3}, {"stoch_slowk", "stoch_slowd"}},
        {"adx", {14}, {"adx", NULL}},
        {"cci", {20}, {"cci", NULL}},
        {"willr", {14}, {"willr", NULL}},
        {"mfi", {14}, {"mfi", NULL}},
        {"obv", {0}, {"obv", NULL}},
        {"roc", {10}, {"roc", NULL}},
        {"stddev", {20, 1}, {"stddev", NULL}},
        {"natr", {14}, {"natr", NULL}},
    };
    for (size_t g = 0; g < sizeof(gen) / sizeof(gen[0]); g++) {
        const ct_indicator_info *ind = ct_indicator_find(gen[g].ind);
        const double *in[CT_IND_MAX_INPUTS];
        map_inputs(ind, &cd, in);
        ck_assert_ok(ct_indicator_run(ind, n, in, gen[g].opt, o));
        for (int k = 0; k < 2 && gen[g].cols[k]; k++) {
            if (strcmp(gen[g].ind, "stddev") == 0)
                expect_abs("stddev", o[k], csv_col(&rf, gen[g].cols[k]), n, c, 1e-7);
            else
                expect_rel(gen[g].cols[k], o[k], csv_col(&rf, gen[g].cols[k]), n);
        }
    }
    free_outputs(o);
    csv_free(&cd);
    csv_free(&rf);
}
END_TEST

/* ---- committed TA-Lib vectors (tests/vectors/indicators, see its README) ----------------------- */

static void check_vector_file(const csv_tab *cd, const char *vec_path)
{
    char full[1024];
    csv_tab vf;
    int checked = 0;
    snprintf(full, sizeof full, "%s/tests/vectors/indicators/%s", getenv("CT_SOURCE_DIR"), vec_path);
    csv_load(full, cd->nrow, &vf);
    ck_assert_int_eq(vf.nrow, cd->nrow);
    for (int j = 1; j < vf.ncol; j++) {
        const ct_indicator_info *ind = NULL;
        int32_t oi = -1;
        for (int32_t k = 0; k < ct_indicator_count() && !ind; k++) {
            const ct_indicator_info *x = ct_indicator_at(k);
            size_t L = strlen(x->name);
            if (strncmp(vf.names[j], x->name, L) == 0 && vf.names[j][L] == '_')
                for (int32_t q = 0; q < x->n_outputs; q++)
                    if (strcmp(vf.names[j] + L + 1, x->output_names[q]) == 0) {
                        ind = x;
                        oi = q;
                    }
        }
        ck_assert_msg(ind != NULL, "no indicator for column %s", vf.names[j]);
        const double *in[CT_IND_MAX_INPUTS];
        double **o = alloc_outputs(ind->n_outputs, vf.nrow);
        map_inputs(ind, cd, in);
        ck_assert_ok(ct_indicator_run(ind, vf.nrow, in, NULL, o));
        if (strcmp(ind->name, "bbands") == 0 && oi != 1)
            expect_abs(vf.names[j], o[oi], vf.col[j], vf.nrow, csv_col(cd, "close"), 2e-7);
        else if (strcmp(ind->name, "stddev") == 0)
            expect_abs(vf.names[j], o[oi], vf.col[j], vf.nrow, csv_col(cd, "close"), 1e-7);
        else if (strcmp(ind->name, "var") == 0) {
            double *sq = malloc(sizeof(double) * (size_t)vf.nrow);
            for (int64_t i = 0; i < vf.nrow; i++)
                sq[i] = csv_col(cd, "close")[i] * csv_col(cd, "close")[i];
            expect_abs(vf.names[j], o[oi], vf.col[j], vf.nrow, sq, 1e-7);
            free(sq);
        } else {
            expect_rel(vf.names[j], o[oi], vf.col[j], vf.nrow);
        }
        free_outputs(o);
        checked++;
    }
    ck_assert_int_ge(checked, 40);
    csv_free(&vf);
}

static void load_synthetic(csv_tab *cd)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/vectors/indicators/synthetic_input.csv", getenv("CT_SOURCE_DIR"));
    csv_load(path, -1, cd);
}

START_TEST(test_talib_vectors)
{
    csv_tab cd;
    /* TA-Lib 0.6 C sources from npm talib@2.0.5, compiled offline (tests/vectors/indicators/README.md) */
    csv_load(ct_test_data("binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"), 300, &cd);
    check_vector_file(&cd, "talib_BTCUSDT_1d_first300.csv.zst");
    csv_free(&cd);
    load_synthetic(&cd);
    check_vector_file(&cd, "talib_synthetic.csv.zst");
    csv_free(&cd);
}
END_TEST

/* ---- slow references (src/indicators/ref) ------------------------------------------------------ */

static void crosscheck_ref(const csv_tab *cd, const char *name, const double *opt)
{
    const ct_indicator_info *ind = ct_indicator_find(name);
    ct__ind_ref_fn ref = ct__ind_ref_find(name);
    const double *in[CT_IND_MAX_INPUTS];
    double full[CT_IND_MAX_OPTIONS];
    int64_t n = cd->nrow;
    double **a = alloc_outputs(ind->n_outputs, n), **b = alloc_outputs(ind->n_outputs, n);
    const double *c = csv_col(cd, "close");
    ck_assert_ptr_nonnull(ref);
    for (int k = 0; k < CT_IND_MAX_OPTIONS; k++)
        full[k] = k < ind->n_options ? (opt ? opt[k] : ind->options[k].def) : 0;
    map_inputs(ind, cd, in);
    ck_assert_ok(ct_indicator_run(ind, n, in, full, a));
    ck_assert_int_eq(ref(n, in, full, b), CT_OK);
    for (int32_t k = 0; k < ind->n_outputs; k++)
        for (int64_t i = 0; i < n; i++) {
            /* fresh per-window sums differ from running sums by rounding only: 1e-9 relative,
             * plus 1e-10 × price absolute for values near zero (deviations, spans) */
            int ok = isnan(a[k][i]) ? isnan(b[k][i])
                                    : (!isnan(b[k][i]) && fabs(a[k][i] - b[k][i]) <= 1e-9 * fabs(b[k][i]) + 1e-10 * fabs(c[i]));
            ck_assert_msg(ok, "%s.%s row %lld: fast %.17g ref %.17g", name, ind->output_names[k], (long long)i, a[k][i],
                          b[k][i]);
        }
    free_outputs(a);
    free_outputs(b);
}

START_TEST(test_ref_crosscheck)
{
    csv_tab cd, syn;
    static const char *const names[] = {"sma", "wma", "stddev", "hma", "keltner", "donchian",
                                        "vwap", "supertrend", "ichimoku", "aroon"};
    /* Real candles (BTC 1m, ~130k rows, prices ~1e5: where TA-Lib's STDDEV is off by up to 3e-4)
     * and the synthetic set with flat and zero-volume stretches. */
    csv_load(ct_test_data("binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst"), 8000, &cd);
    load_synthetic(&syn);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        crosscheck_ref(&cd, names[i], NULL);
        crosscheck_ref(&syn, names[i], NULL);
    }
    crosscheck_ref(&cd, "stddev", (const double[]){5, 2});
    crosscheck_ref(&cd, "hma", (const double[]){9});
    crosscheck_ref(&cd, "supertrend", (const double[]){7, 2.5});
    crosscheck_ref(&syn, "ichimoku", (const double[]){3, 5, 8, 0});
    crosscheck_ref(&syn, "keltner", (const double[]){5, 20, 1});
    csv_free(&cd);
    csv_free(&syn);
}
END_TEST

/* ---- hand-computed and textbook values -------------------------------------------------------- */

START_TEST(test_hand_values)
{
    double o[5][8];
    double *out[5] = {o[0], o[1], o[2], o[3], o[4]};
    /* SMA(5), Achelis, Technical Analysis from A to Z, p. 207 (as in Tulip's tests/atoz.txt);
     * the book rounds to 3 decimals. */
    {
        const double x[] = {25, 24.875, 24.781, 24.594, 24.5, 24.625, 25.219, 27.25};
        const double want[] = {24.75, 24.675, 24.744, 25.238};
        ck_assert_ok(ct_ind_sma(x, 8, 5, o[0]));
        for (int i = 0; i < 4; i++)
            ck_assert_double_eq_tol(o[0][4 + i], want[i], 0.0005);
        ck_assert(isnan(o[0][3]));
    }
    /* EMA(3) by hand: seed = (1+2+3)/3 = 2, k = 0.5: 2 + 0.5*(4-2) = 3, 3 + 0.5*(10-3) = 6.5 */
    {
        const double x[] = {1, 2, 3, 4, 10};
        ck_assert_ok(ct_ind_ema(x, 5, 3, o[0]));
        ck_assert_double_eq(o[0][2], 2);
        ck_assert_double_eq(o[0][3], 3);
        ck_assert_double_eq(o[0][4], 6.5);
    }
    /* RSI(2) by hand: d = +1, -1 -> avg gain 0.5, loss 0.5 -> 50; next d = +2:
     * gain (0.5*1+2)/2 = 1.25, loss 0.25 -> 100*1.25/1.5 = 83.33... */
    {
        const double x[] = {10, 11, 10, 12};
        ck_assert_ok(ct_ind_rsi(x, 4, 2, o[0]));
        ck_assert_double_eq_tol(o[0][2], 50.0, 1e-12);
        ck_assert_double_eq_tol(o[0][3], 100.0 * 1.25 / 1.5, 1e-12);
    }
    const ct_indicator_info *ind;
    /* DONCHIAN(3): upper = max(high), lower = min(low) of 3 bars, middle = their mean */
    {
        const double h[] = {3, 5, 4, 2, 6}, l[] = {1, 2, 3, 1, 4};
        const double *in[2] = {h, l};
        ind = ct_indicator_find("donchian");
        ck_assert_ok(ct_indicator_run(ind, 5, in, (const double[]){3}, out));
        ck_assert(isnan(o[0][1]));
        ck_assert_double_eq(o[0][2], 5);
        ck_assert_double_eq(o[2][2], 1);
        ck_assert_double_eq(o[1][2], 3);
        ck_assert_double_eq(o[0][3], 5);
        ck_assert_double_eq(o[0][4], 6);
        ck_assert_double_eq(o[2][4], 1);
        ck_assert_double_eq(o[1][4], 3.5);
    }
    /* VWAP(2): TP = 2, 4, 7, 3 with volumes 10, 30, 0, 0:
     * row 1 = (2*10 + 4*30)/40 = 3.5; row 2 = (4*30 + 7*0)/30 = 4; row 3: no volume -> NaN */
    {
        const double h[] = {3, 6, 9, 3}, l[] = {1, 3, 6, 3}, c[] = {2, 3, 6, 3}, v[] = {10, 30, 0, 0};
        const double *in[4] = {h, l, c, v};
        ind = ct_indicator_find("vwap");
        ck_assert_ok(ct_indicator_run(ind, 4, in, (const double[]){2}, out));
        ck_assert(isnan(o[0][0]));
        ck_assert_double_eq(o[0][1], 3.5);
        ck_assert_double_eq(o[0][2], 4);
        ck_assert(isnan(o[0][3]));
    }
    /* HMA(4) of the line x = i+1: WMA2 = i + 2/3, WMA4 = i, 2*WMA2 - WMA4 = i + 4/3, and its
     * WMA2 = i + 1 = x: Hull's average has no lag on a straight line. Lookback 3 + 1 = 4. */
    {
        const double x[] = {1, 2, 3, 4, 5, 6};
        const double *in[1] = {x};
        ind = ct_indicator_find("hma");
        ck_assert_int_eq(ct_indicator_lookback(ind, (const double[]){4}), 4);
        ck_assert_ok(ct_indicator_run(ind, 6, in, (const double[]){4}, out));
        ck_assert(isnan(o[0][3]));
        ck_assert_double_eq_tol(o[0][4], 5, 1e-12);
        ck_assert_double_eq_tol(o[0][5], 6, 1e-12);
    }
    /* KELTNER(2, atr 1, mult 2): EMA2 of close 9, 11, 10 = 10, 10; TR = 3, 2;
     * bands 10 ± 6 and 10 ± 4 */
    {
        const double h[] = {10, 12, 11}, l[] = {8, 9, 9}, c[] = {9, 11, 10};
        const double *in[3] = {h, l, c};
        ind = ct_indicator_find("keltner");
        ck_assert_ok(ct_indicator_run(ind, 3, in, (const double[]){2, 1, 2}, out));
        ck_assert(isnan(o[1][0]));
        ck_assert_double_eq(o[0][1], 16);
        ck_assert_double_eq(o[1][1], 10);
        ck_assert_double_eq(o[2][1], 4);
        ck_assert_double_eq(o[0][2], 14);
        ck_assert_double_eq(o[2][2], 6);
    }
    /* SUPERTREND(1, 1) (ATR(1) = TR):
     * row 1: TR 3, hl2 10.5 -> bands 13.5/7.5, starts down -> 13.5
     * row 2: TR 2, hl2 10 -> 12/8; lower 8 > 7.5 -> 8; upper 12 < 13.5 -> 12; close 10 <= 12: down -> 12
     * row 3: TR 5, hl2 14 -> 19/9; lower 9; upper stays 12; close 14 > 12: up -> lower 9
     * row 4: TR 7, hl2 8 -> 15/1; lower stays 9; prev close 14 > 12 -> upper 15; close 8 < 9: down -> 15 */
    {
        const double h[] = {10, 12, 11, 15, 9}, l[] = {8, 9, 9, 13, 7}, c[] = {9, 11, 10, 14, 8};
        const double *in[3] = {h, l, c};
        const double st[] = {13.5, 12, 9, 15}, dir[] = {-1, -1, 1, -1};
        ind = ct_indicator_find("supertrend");
        ck_assert_ok(ct_indicator_run(ind, 5, in, (const double[]){1, 1}, out));
        ck_assert(isnan(o[0][0]) && isnan(o[1][0]));
        for (int i = 0; i < 4; i++) {
            ck_assert_double_eq(o[0][i + 1], st[i]);
            ck_assert_double_eq(o[1][i + 1], dir[i]);
        }
    }
    /* ICHIMOKU(1, 2, 3, displacement 1) on h = 5 6 7 4 8, l = 1 2 3 2 5 (lookback 3):
     * row 3: tenkan (4+2)/2 = 3; kijun (7+2)/2 = 4.5; senkou A from row 2 = ((7+3)/2 + (7+2)/2)/2 = 4.75;
     *        senkou B from row 2 = (7+1)/2 = 4
     * row 4: tenkan 6.5; kijun (8+2)/2 = 5; senkou A = (3 + 4.5)/2 = 3.75; senkou B = (7+2)/2 = 4.5 */
    {
        const double h[] = {5, 6, 7, 4, 8}, l[] = {1, 2, 3, 2, 5};
        const double *in[2] = {h, l};
        ind = ct_indicator_find("ichimoku");
        ck_assert_ok(ct_indicator_run(ind, 5, in, (const double[]){1, 2, 3, 1}, out));
        ck_assert(isnan(o[0][2]));
        ck_assert_double_eq(o[0][3], 3);
        ck_assert_double_eq(o[1][3], 4.5);
        ck_assert_double_eq(o[2][3], 4.75);
        ck_assert_double_eq(o[3][3], 4);
        ck_assert_double_eq(o[0][4], 6.5);
        ck_assert_double_eq(o[1][4], 5);
        ck_assert_double_eq(o[2][4], 3.75);
        ck_assert_double_eq(o[3][4], 4.5);
    }
    /* OBV starts at the first volume (TA-Lib): 5, +7 (up), -2 (down), unchanged (flat) */
    {
        const double c[] = {1, 2, 1, 1}, v[] = {5, 7, 2, 9};
        const double *in[2] = {c, v};
        ck_assert_ok(ct_indicator_run(ct_indicator_find("obv"), 4, in, NULL, out));
        ck_assert_double_eq(o[0][0], 5);
        ck_assert_double_eq(o[0][1], 12);
        ck_assert_double_eq(o[0][2], 10);
        ck_assert_double_eq(o[0][3], 10);
    }
}
END_TEST

/* ---- streaming == batch ----------------------------------------------------------------------- */

/* Batch vs streaming in chunks of `chunk` rows (1 = ct_ind_stream_step): bit-identical, NaN included. */
static void stream_vs_batch(const ct_indicator_info *ind, const double *opt, const double *const *in, int64_t n,
                            double *const *batch, int64_t chunk)
{
    ct_ind_stream *s = NULL;
    double **got = alloc_outputs(ind->n_outputs, n);
    ck_assert_ok(ct_ind_stream_new(ind, opt, &s));
    for (int64_t i = 0; i < n;) {
        int64_t m = chunk < n - i ? chunk : n - i;
        if (chunk == 1) {
            double x[CT_IND_MAX_INPUTS], y[CT_IND_MAX_OUTPUTS];
            for (int32_t k = 0; k < ind->n_inputs; k++)
                x[k] = in[k][i];
            ck_assert_ok(ct_ind_stream_step(s, x, y));
            for (int32_t k = 0; k < ind->n_outputs; k++)
                got[k][i] = y[k];
        } else {
            const double *ci[CT_IND_MAX_INPUTS];
            double *co[CT_IND_MAX_OUTPUTS];
            for (int32_t k = 0; k < ind->n_inputs; k++)
                ci[k] = in[k] + i;
            for (int32_t k = 0; k < ind->n_outputs; k++)
                co[k] = got[k] + i;
            ck_assert_ok(ct_ind_stream_run(s, m, ci, co));
        }
        i += m;
    }
    ck_assert_int_eq(ct_ind_stream_count(s), n);
    ck_assert_ptr_eq(ct_ind_stream_indicator(s), ind);
    for (int32_t k = 0; k < ind->n_outputs; k++)
        for (int64_t i = 0; i < n; i++)
            ck_assert_msg(memcmp(&got[k][i], &batch[k][i], sizeof(double)) == 0 || (isnan(got[k][i]) && isnan(batch[k][i])),
                          "%s.%s chunk %lld row %lld: stream %.17g batch %.17g", ind->name, ind->output_names[k],
                          (long long)chunk, (long long)i, got[k][i], batch[k][i]);
    ct_ind_stream_free(s);
    free_outputs(got);
}

static void stream_all_chunks(const ct_indicator_info *ind, const double *opt, const csv_tab *cd)
{
    static const int64_t chunks[] = {1, 2, 3, 5, 7, 13, 100, 0};
    const double *in[CT_IND_MAX_INPUTS];
    int64_t n = cd->nrow;
    double **b = alloc_outputs(ind->n_outputs, n);
    int32_t lb = ct_indicator_lookback(ind, opt);
    map_inputs(ind, cd, in);
    ck_assert_ok(ct_indicator_run(ind, n, in, opt, b));
    /* aligned output: NaN exactly before the lookback */
    for (int32_t k = 0; k < ind->n_outputs; k++) {
        for (int64_t i = 0; i < lb && i < n; i++)
            ck_assert_msg(isnan(b[k][i]), "%s.%s row %lld before lookback %d", ind->name, ind->output_names[k],
                          (long long)i, lb);
        if (lb < n)
            ck_assert_msg(!isnan(b[k][lb]), "%s.%s NaN at the lookback row %d", ind->name, ind->output_names[k], lb);
    }
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
        stream_vs_batch(ind, opt, in, n, b, chunks[c] ? chunks[c] : n);
    free_outputs(b);
}

START_TEST(test_stream_equals_batch)
{
    const ct_indicator_info *ind = ct_indicator_at(_i);
    csv_tab real, syn;
    double small[CT_IND_MAX_OPTIONS];
    /* 2000 rows of real candles: crosses the 1024-row exact refresh of VWAP (and many of STDDEV/BBANDS) */
    csv_load(ct_test_data("binance_ETHUSDT_15m_2023-04-01_2024-04-09.csv.zst"), 2000, &real);
    load_synthetic(&syn);
    stream_all_chunks(ind, NULL, &real);
    stream_all_chunks(ind, NULL, &syn);
    /* small options: minimum of each integer option (2 if allowed), keep the others */
    for (int32_t k = 0; k < ind->n_options; k++) {
        const ct_indicator_option *op = &ind->options[k];
        small[k] = op->is_integer ? (op->min > 2 ? op->min : (op->max >= 2 ? 2 : op->min)) : op->def;
    }
    stream_all_chunks(ind, small, &syn);
    csv_free(&real);
    csv_free(&syn);
}
END_TEST

/* ---- edge cases ------------------------------------------------------------------------------- */

START_TEST(test_empty_and_short)
{
    const ct_indicator_info *ind = ct_indicator_at(_i);
    const double x[1] = {100.0};
    const double *in[CT_IND_MAX_INPUTS] = {x, x, x, x, x};
    double y[CT_IND_MAX_OUTPUTS][1];
    double *out[CT_IND_MAX_OUTPUTS] = {y[0], y[1], y[2], y[3], y[4]};
    int32_t lb = ct_indicator_lookback(ind, NULL);
    /* n = 0: nothing to do, even with NULL arrays */
    ck_assert_ok(ct_indicator_run(ind, 0, NULL, NULL, NULL));
    ck_assert_ok(ct_indicator_run(ind, 0, in, NULL, out));
    /* n = 1: all NaN unless the lookback is 0 */
    ck_assert_ok(ct_indicator_run(ind, 1, in, NULL, out));
    for (int32_t k = 0; k < ind->n_outputs; k++)
        ck_assert_msg(lb == 0 ? !isnan(y[k][0]) : isnan(y[k][0]), "%s.%s", ind->name, ind->output_names[k]);
    /* every option at its maximum (periods of 100000: no overflow, big states): still CT_OK */
    {
        double mx[CT_IND_MAX_OPTIONS], yy[CT_IND_MAX_OUTPUTS];
        const double bar[CT_IND_MAX_INPUTS] = {100.0, 100.0, 100.0, 100.0, 100.0};
        ct_ind_stream *s = NULL;
        for (int32_t k = 0; k < ind->n_options; k++)
            mx[k] = ct_indicator_option_max(ind, k);
        ck_assert_int_ge(ct_indicator_lookback(ind, mx), 0);
        ck_assert_ok(ct_indicator_run(ind, 1, in, mx, out));
        ck_assert_ok(ct_ind_stream_new(ind, mx, &s));
        ck_assert_ok(ct_ind_stream_step(s, bar, yy));
        ct_ind_stream_free(s);
    }
    ck_assert_status(ct_indicator_run(ind, -1, in, NULL, out), CT_E_INVALID_ARG);
    ck_assert_status(ct_indicator_run(ind, 1, NULL, NULL, out), CT_E_INVALID_ARG);
    ck_assert_status(ct_indicator_run(ind, 1, in, NULL, NULL), CT_E_INVALID_ARG);
}
END_TEST

START_TEST(test_constant_prices)
{
    enum { N = 200 };
    static double c[N], v[N];
    for (int i = 0; i < N; i++) {
        c[i] = 123.25;
        v[i] = 10;
    }
    const double *in[CT_IND_MAX_INPUTS];
    double **o = alloc_outputs(CT_IND_MAX_OUTPUTS, N);
    for (int32_t i = 0; i < ct_indicator_count(); i++) {
        const ct_indicator_info *ind = ct_indicator_at(i);
        for (int32_t k = 0; k < ind->n_inputs; k++)
            in[k] = strcmp(ind->input_names[k], "volume") == 0 ? v : c;
        ck_assert_ok(ct_indicator_run(ind, N, in, NULL, o));
        for (int32_t k = 0; k < ind->n_outputs; k++)
            ck_assert_msg(!isnan(o[k][N - 1]) && isfinite(o[k][N - 1]), "%s.%s", ind->name, ind->output_names[k]);
    }
    /* Expected values on a flat series (TA-Lib rules): RSI 0 on a flat window, deviations 0,
     * bands collapse on the mean, oscillators 0, averages equal the price. */
    static const struct {
        const char *ind;
        int out;
        double want;
    } flat[] = {
        {"rsi", 0, 0},       {"cmo", 0, 0},         {"stddev", 0, 0},    {"var", 0, 0},     {"atr", 0, 0},
        {"natr", 0, 0},      {"trange", 0, 0},      {"willr", 0, 0},     {"stoch", 0, 0},   {"cci", 0, 0},
        {"roc", 0, 0},       {"mom", 0, 0},         {"macd", 0, 0},      {"macd", 2, 0},    {"ppo", 0, 0},
        {"adx", 0, 0},       {"dx", 0, 0},          {"plus_di", 0, 0},   {"mfi", 0, 0},     {"trix", 0, 0},
        {"bop", 0, 0},       {"sma", 0, 123.25},    {"ema", 0, 123.25},  {"wma", 0, 123.25}, {"kama", 0, 123.25},
        {"hma", 0, 123.25},  {"bbands", 0, 123.25}, {"bbands", 2, 123.25}, {"donchian", 1, 123.25},
        {"vwap", 0, 123.25}, {"keltner", 0, 123.25}, {"ichimoku", 2, 123.25}, {"obv", 0, 10},
    };
    for (size_t f = 0; f < sizeof(flat) / sizeof(flat[0]); f++) {
        const ct_indicator_info *ind = ct_indicator_find(flat[f].ind);
        for (int32_t k = 0; k < ind->n_inputs; k++)
            in[k] = strcmp(ind->input_names[k], "volume") == 0 ? v : c;
        ck_assert_ok(ct_indicator_run(ind, N, in, NULL, o));
        ck_assert_msg(fabs(o[flat[f].out][N - 1] - flat[f].want) <= 1e-12 * 123.25, "%s: %.17g want %g", flat[f].ind,
                      o[flat[f].out][N - 1], flat[f].want);
    }
    free_outputs(o);
}
END_TEST

START_TEST(test_nan_input)
{
    /* No NaN checks (TA-Lib's behaviour): a NaN poisons running sums and recursive states from
     * its row on; windowed extremes recover once the NaN leaves the window; OBV skips the bar
     * (a NaN close is neither above nor below). Never a crash, and
     * streaming still equals batch (the stream test covers NaN through this data too). */
    csv_tab cd;
    load_synthetic(&cd);
    for (int j = 1; j < cd.ncol; j++)
        cd.col[j][250] = NAN;
    int64_t n = cd.nrow;
    double **o = alloc_outputs(CT_IND_MAX_OUTPUTS, n);
    for (int32_t i = 0; i < ct_indicator_count(); i++) {
        const ct_indicator_info *ind = ct_indicator_at(i);
        const double *in[CT_IND_MAX_INPUTS];
        map_inputs(ind, &cd, in);
        ck_assert_ok(ct_indicator_run(ind, n, in, NULL, o));
        stream_vs_batch(ind, NULL, in, n, o, 7);
    }
    static const char *const poisoned[] = {"sma", "ema", "rsi", "macd", "atr", "dema", "kama"};
    for (size_t p = 0; p < sizeof(poisoned) / sizeof(poisoned[0]); p++) {
        const ct_indicator_info *ind = ct_indicator_find(poisoned[p]);
        const double *in[CT_IND_MAX_INPUTS];
        map_inputs(ind, &cd, in);
        ck_assert_ok(ct_indicator_run(ind, n, in, NULL, o));
        ck_assert(!isnan(o[0][249]));
        for (int64_t r = 250; r < n; r++)
            ck_assert_msg(isnan(o[0][r]), "%s row %lld", poisoned[p], (long long)r);
    }
    {
        const ct_indicator_info *ind = ct_indicator_find("donchian");
        const double *in[CT_IND_MAX_INPUTS];
        map_inputs(ind, &cd, in);
        ck_assert_ok(ct_indicator_run(ind, n, in, (const double[]){20}, o));
        ck_assert(!isnan(o[0][270]) && !isnan(o[2][270]));
    }
    free_outputs(o);
    csv_free(&cd);
}
END_TEST

/* ---- option errors ---------------------------------------------------------------------------- */

static void expect_range(ct_status s, const char *option)
{
    ck_assert_int_eq(s, CT_E_RANGE);
    ck_assert_msg(strstr(ct_last_error(), option) != NULL, "message '%s' lacks '%s'", ct_last_error(), option);
}

START_TEST(test_bad_options)
{
    double x[50], y[50], z[50], w[50];
    for (int i = 0; i < 50; i++)
        x[i] = 100 + i;
    expect_range(ct_ind_sma(x, 50, 0, y), "period");
    expect_range(ct_ind_sma(x, 50, -3, y), "period");
    expect_range(ct_ind_ema(x, 50, 0, y), "period");
    expect_range(ct_ind_rsi(x, 50, 1, y), "period");
    expect_range(ct_ind_macd(x, 50, 12, 26, 0, y, z, w), "signal");
    expect_range(ct_ind_macd(x, 50, 1, 26, 9, y, z, w), "fast");
    expect_range(ct_ind_macd(x, 50, 12, 100001, 9, y, z, w), "slow");
    expect_range(ct_ind_bbands(x, 50, 20, NAN, 2, y, z, w), "nbdev_up");
    expect_range(ct_ind_bbands(x, 50, 20, 2, INFINITY, y, z, w), "nbdev_dn");
    expect_range(ct_ind_atr(x, x, x, 50, 0, y), "period");
    const ct_indicator_info *rsi = ct_indicator_find("rsi");
    const double *in[1] = {x};
    double *out[1] = {y};
    expect_range(ct_indicator_run(rsi, 50, in, (const double[]){14.5}, out), "period");
    expect_range(ct_indicator_run(rsi, 50, in, (const double[]){NAN}, out), "period");
    ck_assert(strstr(ct_last_error(), "rsi") != NULL);
    expect_range(ct_indicator_run(ct_indicator_find("sar"), 50, (const double *const[]){x, x}, (const double[]){0.02, -1},
                                  out),
                 "maximum");
    expect_range(ct_indicator_check_options(ct_indicator_find("ichimoku"), (const double[]){9, 26, 52, -1}),
                 "displacement");
    ck_assert_int_eq(ct_indicator_lookback(rsi, (const double[]){0}), -1);
    ct_ind_stream *s = (ct_ind_stream *)1;
    expect_range(ct_ind_stream_new(rsi, (const double[]){0}, &s), "period");
    ck_assert_ptr_null(s);
    ck_assert_status(ct_ind_stream_new(NULL, NULL, &s), CT_E_INVALID_ARG);
    ck_assert_status(ct_ind_stream_new(rsi, NULL, NULL), CT_E_INVALID_ARG);
    ck_assert_status(ct_indicator_run(NULL, 1, in, NULL, out), CT_E_INVALID_ARG);
    ck_assert_status(ct_ind_sma(NULL, 5, 3, y), CT_E_INVALID_ARG);
    ck_assert_status(ct_ind_sma(x, 5, 3, NULL), CT_E_INVALID_ARG);
    ck_assert_ok(ct_ind_sma(NULL, 0, 3, NULL));
    /* stream misuse */
    ck_assert_ok(ct_ind_stream_new(rsi, NULL, &s));
    ck_assert_status(ct_ind_stream_step(s, NULL, y), CT_E_INVALID_ARG);
    ck_assert(strlen(ct_ind_stream_errmsg(s)) > 0);
    ck_assert_status(ct_ind_stream_step(NULL, x, y), CT_E_INVALID_ARG);
    ck_assert_status(ct_ind_stream_run(s, -1, in, out), CT_E_INVALID_ARG);
    ct_ind_stream_free(s);
    ct_ind_stream_free(NULL);
    ck_assert_str_eq(ct_ind_stream_errmsg(NULL), "");
}
END_TEST

/* ---- out of memory ---------------------------------------------------------------------------- */

START_TEST(test_oom)
{
    double x[64];
    for (int i = 0; i < 64; i++)
        x[i] = 50 + (i % 7);
    for (int32_t i = 0; i < ct_indicator_count(); i++) {
        const ct_indicator_info *ind = ct_indicator_at(i);
        const double *in[CT_IND_MAX_INPUTS] = {x, x, x, x, x};
        double y[CT_IND_MAX_OUTPUTS][64];
        double *out[CT_IND_MAX_OUTPUTS] = {y[0], y[1], y[2], y[3], y[4]};
        ct_status st;
        int64_t live0 = ct_alloc_live_count();
        for (int64_t fail_at = 0;; fail_at++) {
            ct_ind_stream *s = (ct_ind_stream *)1;
            ct_test_failalloc_install(fail_at);
            st = ct_ind_stream_new(ind, NULL, &s);
            if (st == CT_OK) {
                ck_assert_ok(ct_ind_stream_run(s, 64, in, out));
                ct_ind_stream_free(s);
                ct_test_failalloc_remove();
                break;
            }
            ct_test_failalloc_remove();
            ck_assert_int_eq(st, CT_E_NOMEM);
            ck_assert_ptr_null(s);
            ck_assert_int_eq(ct_alloc_live_count(), live0);
        }
        /* batch: either allocation-free or CT_E_NOMEM without a leak */
        ct_test_failalloc_install(0);
        st = ct_indicator_run(ind, 64, in, NULL, out);
        ct_test_failalloc_remove();
        ck_assert_msg(st == CT_OK || st == CT_E_NOMEM, "%s: %s", ind->name, ct_status_name(st));
        ck_assert_int_eq(ct_alloc_live_count(), live0);
    }
}
END_TEST

static Suite *indicators_suite(void)
{
    Suite *s = suite_create("indicators");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_table);
    tcase_add_loop_test(tc, test_shared_reference, 0, 4);
    tcase_add_test(tc, test_talib_vectors);
    tcase_add_test(tc, test_ref_crosscheck);
    tcase_add_test(tc, test_hand_values);
    tcase_add_loop_test(tc, test_stream_equals_batch, 0, ct_indicator_count());
    tcase_add_loop_test(tc, test_empty_and_short, 0, ct_indicator_count());
    tcase_add_test(tc, test_constant_prices);
    tcase_add_test(tc, test_nan_input);
    tcase_add_test(tc, test_bad_options);
    tcase_add_test(tc, test_oom);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(indicators_suite()); }
