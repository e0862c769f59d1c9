/*
 * libFuzzer target: ct_optimizer_merge_json (merging optimizer shard documents).
 * Input: up to 4 JSON documents separated by NUL bytes (the seeds are real shard documents of a
 * small sma_cross search, written by make_json_seeds).
 *
 * Checks beyond "no crash, no leak":
 *  - a failure returns a documented status with a message (ct_last_error) and no optimizer;
 *  - after a success the table is readable (rows, parameters, metrics, overfitting statistics,
 *    CSV), and its JSON merges again into a table whose JSON is the same (a merged table is a
 *    fixed point of json -> merge -> json).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptota/alloc.h"
#include "cryptota/optimizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                                                              \
    do {                                                                                                              \
        if (!(cond)) {                                                                                                \
            fprintf(stderr, "fuzz_json_merge: invariant failed: %s: ", #cond);                                       \
            fprintf(stderr, __VA_ARGS__);                                                                             \
            fputc('\n', stderr);                                                                                      \
            abort();                                                                                                  \
        }                                                                                                             \
    } while (0)

#define MAX_DOCS 4

static void read_table(const ct_optimizer *o)
{
    int64_t total = 0, ev = 0, sk = 0;
    CHECK(ct_optimizer_counts(o, &total, &ev, &sk) == CT_OK, "counts");
    int64_t rows = ct_optimizer_row_count(o);
    CHECK(rows == ev && rows >= 0, "rows %lld, evaluated %lld", (long long)rows, (long long)ev);
    double buf[128];
    for (int64_t r = 0; r < rows; r++) {
        int64_t idx = -1;
        double obj;
        int32_t n = 0;
        CHECK(ct_optimizer_row(o, r, &idx, &obj) == CT_OK && idx >= 0 && idx < total, "row %lld index %lld",
              (long long)r, (long long)idx);
        CHECK(ct_optimizer_row_params(o, r, NULL, 0, &n) == CT_OK && n >= 0, "row %lld params count", (long long)r);
        if (n <= 128)
            CHECK(ct_optimizer_row_params(o, r, buf, 128, &n) == CT_OK, "row %lld params", (long long)r);
        CHECK(ct_optimizer_row_metrics(o, r, NULL, 0, &n) == CT_OK && n >= 0, "row %lld metrics count", (long long)r);
        char *pj = NULL;
        CHECK(ct_optimizer_row_params_json(o, r, &pj) == CT_OK, "row %lld params json", (long long)r);
        ct_free(pj);
    }
    double dsr, pbo;
    CHECK(ct_optimizer_overfit(o, &dsr, &pbo) == CT_OK, "overfit");
    CHECK(isnan(dsr) || (dsr >= 0 && dsr <= 1), "dsr %.17g", dsr);
    CHECK(isnan(pbo) || (pbo >= 0 && pbo <= 1), "pbo %.17g", pbo);
    char *csv = NULL;
    CHECK(ct_optimizer_csv(o, &csv) == CT_OK, "csv");
    ct_free(csv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *docs[MAX_DOCS];
    int32_t nd = 0;
    for (char *p = text; nd < MAX_DOCS;) {
        docs[nd++] = p;
        p += strlen(p);
        if (p >= text + size)
            break;
        p++; /* past the NUL separator */
    }
    ct_optimizer *o = NULL;
    ct_status st = ct_optimizer_merge_json(docs, nd, &o);
    if (st != CT_OK) {
        CHECK(o == NULL, "failed merge returned an optimizer");
        CHECK(st == CT_E_FORMAT || st == CT_E_INVALID_ARG || st == CT_E_NOMEM, "status %d: %s", (int)st,
              ct_last_error());
        CHECK(ct_last_error()[0] != '\0', "status %d without a message", (int)st);
    } else {
        read_table(o);
        char *j1 = NULL, *j2 = NULL;
        CHECK(ct_optimizer_json(o, 0, &j1) == CT_OK, "json");
        ct_optimizer *o2 = NULL;
        const char *one[1] = {j1};
        st = ct_optimizer_merge_json(one, 1, &o2);
        CHECK(st == CT_OK, "a merged table's JSON does not merge: %s\n%s", ct_last_error(), j1);
        CHECK(ct_optimizer_json(o2, 0, &j2) == CT_OK, "json 2");
        CHECK(strcmp(j1, j2) == 0, "json -> merge -> json is not stable:\n%s\n%s", j1, j2);
        ct_free(j1);
        ct_free(j2);
        ct_optimizer_destroy(o2);
        ct_optimizer_destroy(o);
    }
    free(text);
    return 0;
}
