/*
 * The indicator subcommands of the cryptota command ($CT_CLI): `indicators [--json]` lists the
 * table, and `ta FILE --out OUT.csv --indicators LIST` writes the columns of DESIGN.md section
 * 13, compared here with TA-Lib's figures in ../shared/reference/indicators.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* Run a shell command, capturing stdout into a malloc'd string; returns the exit status. */
static int run_capture(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(p);
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 1024)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    *out = buf;
    return pclose(p);
}

START_TEST(test_cli_indicators_json)
{
    char cmd[2048], *txt;
    snprintf(cmd, sizeof cmd, "'%s' indicators --json", getenv("CT_CLI"));
    ck_assert_int_eq(run_capture(cmd, &txt), 0);
    cJSON *root = cJSON_Parse(txt);
    ck_assert_ptr_nonnull(root);
    cJSON *arr = cJSON_GetObjectItem(root, "indicators");
    ck_assert_int_eq(cJSON_GetArraySize(arr), ct_indicator_count());
    int found = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (strcmp(cJSON_GetObjectItem(it, "name")->valuestring, "macd") == 0) {
            cJSON *opts = cJSON_GetObjectItem(it, "options");
            ck_assert_int_eq(cJSON_GetArraySize(opts), 3);
            ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(opts, 2), "name")->valuestring, "signal");
            ck_assert_int_eq((int)cJSON_GetObjectItem(cJSON_GetArrayItem(opts, 0), "default")->valuedouble, 12);
            ck_assert_int_eq((int)cJSON_GetObjectItem(it, "lookback")->valuedouble, 33);
            found = 1;
        }
    }
    ck_assert(found);
    cJSON_Delete(root);
    free(txt);
    snprintf(cmd, sizeof cmd, "'%s' indicators", getenv("CT_CLI"));
    ck_assert_int_eq(run_capture(cmd, &txt), 0);
    ck_assert(strstr(txt, "supertrend") != NULL && strstr(txt, "fastk_period=14") != NULL);
    free(txt);
}
END_TEST

/* Column `name` of a CSV text with a header (NaN parses as NaN); n rows into a new array. */
static double *csv_column(const char *txt, const char *name, int64_t *n_rows)
{
    const char *p = txt;
    int col = -1, j = 0;
    size_t L = strlen(name);
    const char *eol = strchr(txt, '\n');
    for (const char *q = txt; q < eol; j++) {
        const char *e = q;
        while (e < eol && *e != ',')
            e++;
        if ((size_t)(e - q) == L && strncmp(q, name, L) == 0)
            col = j;
        q = e + 1;
    }
    ck_assert_msg(col >= 0, "column %s missing", name);
    int64_t cap = 4096, n = 0;
    double *v = malloc(sizeof(double) * (size_t)cap);
    p = eol + 1;
    while (*p) {
        const char *q = p;
        for (int k = 0; k < col; k++)
            q = strchr(q, ',') + 1;
        if (n == cap)
            v = realloc(v, sizeof(double) * (size_t)(cap *= 2));
        v[n++] = strtod(q, NULL);
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    *n_rows = n;
    return v;
}

START_TEST(test_cli_ta)
{
    /* Reference: ../shared/reference/indicators/ta_binance_ETHUSDT_1h_...csv.zst (TA-Lib). */
    static const char *const file = "binance_ETHUSDT_1h_2017-08-17_2022-10-11";
    static const struct {
        const char *ours, *ref;
        double abs_tol_x_price; /* 0: 1e-9 relative */
    } cols[] = {
        {"rsi_14", "rsi", 0},
        {"sma_20", "sma", 0},
        {"macd_12_26_9_macd", "macd", 0},
        {"macd_12_26_9_signal", "macd_signal", 0},
        {"macd_12_26_9_hist", "macd_hist", 0},
        {"bbands_20_2_2_upper", "bb_upper", 2e-7},
        {"bbands_20_2_2_middle", "bb_middle", 0},
        {"bbands_20_2_2_lower", "bb_lower", 2e-7},
        {"stoch_14_3_3_slowk", "stoch_slowk", 0},
        {"stoch_14_3_3_slowd", "stoch_slowd", 0},
        {"atr", "atr", 0},
        {"adx_14", "adx", 0},
        {"obv", "obv", 0},
    };
    char out[1024], cmd[4096], *txt;
    char ref_name[256], data_name[256];
    size_t len;
    snprintf(out, sizeof out, "%s/ind_cli_ta.csv", ct_test_tmpdir());
    snprintf(data_name, sizeof data_name, "%s.csv.zst", file);
    snprintf(cmd, sizeof cmd,
             "'%s' ta '%s' --out '%s' --indicators rsi:14,sma:20,macd:12:26:9,bbands:20:2:2,stoch:14:3:3,atr,adx:14,obv 2>/dev/null",
             getenv("CT_CLI"), ct_test_data(data_name), out);
    ck_assert_int_eq(run_capture(cmd, &txt), 0);
    free(txt);
    char *ours = ct_test_read_file(out, &len);
    snprintf(ref_name, sizeof ref_name, "indicators/ta_%s.csv.zst", file);
    char *ref = ct_test_read_file(ct_test_ref(ref_name), &len);
    ck_assert_ptr_nonnull(ours);
    ck_assert_ptr_nonnull(ref);
    ck_assert(strncmp(ours, "open_time,rsi_14,sma_20,macd_12_26_9_macd,macd_12_26_9_signal,macd_12_26_9_hist,"
                            "bbands_20_2_2_upper,bbands_20_2_2_middle,bbands_20_2_2_lower,stoch_14_3_3_slowk,"
                            "stoch_14_3_3_slowd,atr,adx_14,obv\n",
                      strlen("open_time,rsi_14")) == 0);
    int64_t n1, n2;
    double *price = csv_column(ref, "bb_middle", &n1);
    double *t1 = csv_column(ours, "open_time", &n1), *t2 = csv_column(ref, "open_time", &n2);
    ck_assert_int_eq(n1, n2);
    ck_assert_int_gt(n1, 1000);
    for (int64_t i = 0; i < n1; i++)
        ck_assert(t1[i] == t2[i]);
    for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
        double *a = csv_column(ours, cols[c].ours, &n1), *b = csv_column(ref, cols[c].ref, &n2);
        ck_assert_int_eq(n1, n2);
        for (int64_t i = 0; i < n1; i++) {
            int ok = cols[c].abs_tol_x_price > 0 && !isnan(b[i])
                         ? fabs(a[i] - b[i]) <= cols[c].abs_tol_x_price * fabs(price[i])
                         : ct_test_close(a[i], b[i], 1e-9);
            ck_assert_msg(ok, "%s row %lld: %.17g vs TA-Lib %.17g", cols[c].ours, (long long)i, a[i], b[i]);
        }
        free(a);
        free(b);
    }
    free(price);
    free(t1);
    free(t2);
    free(ours);
    free(ref);
    remove(out);
    /* errors: unknown indicator, bad option, missing arguments */
    snprintf(cmd, sizeof cmd, "'%s' ta '%s' --out '%s' --indicators nope 2>&1", getenv("CT_CLI"), ct_test_data(data_name), out);
    ck_assert_int_ne(run_capture(cmd, &txt), 0);
    ck_assert(strstr(txt, "unknown indicator 'nope'") != NULL);
    free(txt);
    snprintf(cmd, sizeof cmd, "'%s' ta '%s' --out '%s' --indicators rsi:0 2>&1", getenv("CT_CLI"), ct_test_data(data_name), out);
    ck_assert_int_ne(run_capture(cmd, &txt), 0);
    ck_assert(strstr(txt, "period") != NULL && strstr(txt, "CT_E_RANGE") != NULL);
    free(txt);
    snprintf(cmd, sizeof cmd, "'%s' ta 2>&1", getenv("CT_CLI"));
    ck_assert_int_ne(run_capture(cmd, &txt), 0);
    free(txt);
}
END_TEST


/* ---- the example of docs/indicators.md ------------------------------------------------------
 * The code below is the doc's example verbatim (its #include lines are this file's). The macro
 * also keeps it as text, and test_doc_example checks that text against the block in the doc,
 * whitespace ignored, so the doc cannot drift from code that compiles and runs. */
int example_main(void);
#define CT_DOC_EXAMPLE(...)                                                                         \
    static const char k_doc_example[] = #__VA_ARGS__;                                               \
    __VA_ARGS__
CT_DOC_EXAMPLE(
int example_main(void)
{
    const double close[] = {10, 11, 10, 12, 13, 12, 14};
    double rsi[7], last = 0;
    const ct_indicator_info *ind = ct_indicator_find("rsi");
    const double *inputs[1] = {close};
    double *outputs[1] = {rsi};
    const double options[1] = {2};
    ct_ind_stream *s = NULL;
    if (ct_indicator_run(ind, 7, inputs, options, outputs) != CT_OK)
        return 1;
    if (ct_ind_stream_new(ind, options, &s) != CT_OK)
        return 1;
    for (int i = 0; i < 7; i++)
        ct_ind_stream_step(s, &close[i], &last);
    ct_ind_stream_free(s);
    printf("lookback %d, rsi[6] = %.4f, streamed %.4f\n", (int)ct_indicator_lookback(ind, options), rsi[6], last);
    return last == rsi[6] ? 0 : 1;
}
)

static char *strip_ws(const char *s)
{
    char *o = malloc(strlen(s) + 1), *q = o;
    for (; *s; s++)
        if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r')
            *q++ = *s;
    *q = 0;
    return o;
}

START_TEST(test_doc_example)
{
    char path[1024], *doc, *blk, *end;
    size_t len;
    snprintf(path, sizeof path, "%s/docs/indicators.md", getenv("CT_SOURCE_DIR"));
    doc = ct_test_read_file(path, &len);
    ck_assert_ptr_nonnull(doc);
    blk = strstr(doc, "<!-- example: indicators_basic -->");
    ck_assert_ptr_nonnull(blk);
    blk = strstr(blk, "```c\n") + 5;
    end = strstr(blk, "\n```");
    *end = 0;
    /* drop preprocessor lines */
    for (char *l = blk; l && *l;) {
        char *nl = strchr(l, '\n');
        if (*l == '#')
            memset(l, ' ', nl ? (size_t)(nl - l) : strlen(l));
        l = nl ? nl + 1 : NULL;
    }
    char *a = strip_ws(blk), *b = strip_ws(k_doc_example);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    free(doc);
    /* RSI(2) of 10 11 10 12 13 12 14, streamed and batch: the example checks they are equal */
    ck_assert_int_eq(example_main(), 0);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("indicators_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cli_indicators_json);
    tcase_add_test(tc, test_cli_ta);
    tcase_add_test(tc, test_doc_example);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(cli_suite()); }
