/*
 * cryptota ta FILE --out OUT.csv --indicators LIST
 * Runs indicators over a candle file and writes open_time plus one column per output.
 * LIST items are NAME[:OPT[:OPT...]] with options in table order (omitted ones take their
 * defaults); a column is the item with ':' replaced by '_', plus _<output> for indicators with
 * several outputs (DESIGN.md section 13). Values: %.17g, NaN as "NaN".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define TA_MAX_ITEMS 64

typedef struct ta_item {
    const ct_indicator_info *ind;
    double opt[CT_IND_MAX_OPTIONS];
    char label[128];
    double *out[CT_IND_MAX_OUTPUTS];
} ta_item;

/* Parse one LIST item into it; returns 0 or prints an error and returns 1. */
static int parse_item(const char *text, ta_item *it)
{
    char buf[128], *tok, *next;
    int32_t k = 0;
    if (strlen(text) >= sizeof buf)
        return cli_error("ta", "indicator item too long: '%s'", text);
    strcpy(buf, text);
    /* split on every ':' (strtok would merge "a::b" and shift the options after an empty one) */
    next = strchr(buf, ':');
    if (next)
        *next++ = '\0';
    if (!(it->ind = ct_indicator_find(buf)))
        return cli_error("ta", "unknown indicator '%s' (see: cryptota indicators)", buf);
    for (int32_t j = 0; j < CT_IND_MAX_OPTIONS; j++)
        it->opt[j] = j < ct_indicator_n_options(it->ind) ? ct_indicator_option_default(it->ind, j) : 0.0;
    while ((tok = next) != NULL) {
        char *end;
        if ((next = strchr(tok, ':')) != NULL)
            *next++ = '\0';
        if (k >= ct_indicator_n_options(it->ind))
            return cli_error("ta", "'%s': %s takes %d option(s)", text, ct_indicator_name(it->ind),
                             (int)ct_indicator_n_options(it->ind));
        it->opt[k] = strtod(tok, &end);
        if (end == tok || *end)
            return cli_error("ta", "'%s': option '%s' is not a number: '%s'", text,
                             ct_indicator_option_name(it->ind, k), tok);
        k++;
    }
    ct_status s = ct_indicator_check_options(it->ind, it->opt);
    if (s != CT_OK)
        return cli_fail("ta", s, text);
    strcpy(it->label, text);
    for (char *p = it->label; *p; p++)
        if (*p == ':')
            *p = '_';
    return 0;
}

static const double *feed_input(const ct_feed *f, const char *name)
{
    if (strcmp(name, "open") == 0)
        return ct_feed_open(f);
    if (strcmp(name, "high") == 0)
        return ct_feed_high(f);
    if (strcmp(name, "low") == 0)
        return ct_feed_low(f);
    if (strcmp(name, "close") == 0)
        return ct_feed_close(f);
    if (strcmp(name, "volume") == 0)
        return ct_feed_volume(f);
    return NULL;
}

static void put_value(FILE *fp, double v)
{
    if (v != v)
        fputs(",NaN", fp);
    else
        fprintf(fp, ",%.17g", v);
}

int cmd_ta(int argc, char **argv)
{
    static const char *const valued[] = {"out", "indicators", NULL};
    static ta_item items[TA_MAX_ITEMS];
    char *pos[2], *list, *save = NULL, *tok;
    const char *out_path = cli_opt(argc, argv, "out"), *spec = cli_opt(argc, argv, "indicators");
    int n_items = 0, rc = 1;
    ct_feed *f = NULL;
    FILE *fp = NULL;
    if (cli_flag(argc, argv, "help") || cli_positionals(argc, argv, valued, pos, 2) != 1 || !out_path || !spec)
        return cli_usage("ta", "FILE --out OUT.csv --indicators LIST   (LIST like rsi:14,sma:20,macd:12:26:9)");
    size_t ol = strlen(out_path);
    if (ol >= 4 && (strcasecmp(out_path + ol - 4, ".ctz") == 0 || strcasecmp(out_path + ol - 4, ".zst") == 0))
        /* the readers go by the extension: plain CSV under these names could not be read back */
        return cli_error("ta", "--out %s: ta writes plain CSV, not .ctz or .zst (name the file .csv)", out_path);
    {
        static const char *const names[1] = {"out"};
        const char *const paths[1] = {out_path};
        if (cli_check_outputs("ta", pos[0], 1, names, paths))
            return 2;
    }
    list = malloc(strlen(spec) + 1);
    if (!list)
        return cli_error("ta", "out of memory");
    strcpy(list, spec);
    for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n_items == TA_MAX_ITEMS) {
            cli_error("ta", "at most %d indicators", TA_MAX_ITEMS);
            goto out;
        }
        memset(&items[n_items], 0, sizeof(items[n_items]));
        if (parse_item(tok, &items[n_items]))
            goto out;
        for (int j = 0; j < n_items; j++)
            if (strcmp(items[j].label, items[n_items].label) == 0) { /* two columns of one name */
                cli_error("ta", "--indicators lists '%s' twice", tok);
                goto out;
            }
        n_items++;
    }
    if (n_items == 0) {
        cli_error("ta", "--indicators is empty");
        goto out;
    }
    ct_status s = ct_feed_load(pos[0], CT_GAPS_KEEP, &f);
    if (s != CT_OK) {
        cli_fail("ta", s, pos[0]);
        goto out;
    }
    int64_t n = ct_feed_len(f);
    for (int i = 0; i < n_items; i++) {
        ta_item *it = &items[i];
        const double *in[CT_IND_MAX_INPUTS];
        for (int32_t k = 0; k < ct_indicator_n_inputs(it->ind); k++)
            in[k] = feed_input(f, ct_indicator_input_name(it->ind, k));
        for (int32_t k = 0; k < ct_indicator_n_outputs(it->ind); k++) {
            it->out[k] = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
            if (!it->out[k]) {
                cli_error("ta", "out of memory");
                goto out;
            }
        }
        s = ct_indicator_run(it->ind, n, in, it->opt, it->out);
        if (s != CT_OK) {
            cli_fail("ta", s, it->label);
            goto out;
        }
    }
    fp = fopen(out_path, "w");
    if (!fp) {
        cli_error("ta", "cannot write %s", out_path);
        goto out;
    }
    fputs("open_time", fp);
    for (int i = 0; i < n_items; i++) {
        int32_t no = ct_indicator_n_outputs(items[i].ind);
        for (int32_t k = 0; k < no; k++) {
            if (no == 1)
                fprintf(fp, ",%s", items[i].label);
            else
                fprintf(fp, ",%s_%s", items[i].label, ct_indicator_output_name(items[i].ind, k));
        }
    }
    fputc('\n', fp);
    const int64_t *t = ct_feed_time(f);
    for (int64_t r = 0; r < n; r++) {
        fprintf(fp, "%lld", (long long)t[r]);
        for (int i = 0; i < n_items; i++)
            for (int32_t k = 0; k < ct_indicator_n_outputs(items[i].ind); k++)
                put_value(fp, items[i].out[k][r]);
        fputc('\n', fp);
    }
    if (fclose(fp) != 0) {
        fp = NULL;
        cli_error("ta", "error writing %s", out_path);
        goto out;
    }
    fp = NULL;
    fprintf(stderr, "cryptota ta: %lld rows, %d indicator(s) -> %s\n", (long long)n, n_items, out_path);
    rc = 0;
out:
    if (fp)
        fclose(fp);
    for (int i = 0; i < n_items; i++)
        for (int k = 0; k < CT_IND_MAX_OUTPUTS; k++) {
            free(items[i].out[k]);
            items[i].out[k] = NULL;
        }
    ct_feed_destroy(f);
    free(list);
    return rc;
}
