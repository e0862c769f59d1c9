/*
 * libFuzzer target: ct_strategy_set_json for every registered (built-in) class.
 * Input: byte 0 picks the class (modulo the class count), the rest is the JSON text.
 *
 * Checks beyond "no crash, no leak":
 *  - a failing call returns a documented status with a message naming the strategy and leaves
 *    every value unchanged (all or nothing);
 *  - after a successful call every value satisfies its schema (finite, integral for int, 0/1
 *    for bool, inside [min, max]); ct_strategy_params_json applied to a fresh strategy of the
 *    class succeeds and gives the same JSON (round trip); ct_strategy_validate (the class's
 *    create callback on the combination) returns a status without crashing or leaking.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptota/alloc.h"
#include "cryptota/strategy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                                                              \
    do {                                                                                                              \
        if (!(cond)) {                                                                                                \
            fprintf(stderr, "fuzz_json_strategy: invariant failed: %s: ", #cond);                                    \
            fprintf(stderr, __VA_ARGS__);                                                                             \
            fputc('\n', stderr);                                                                                      \
            abort();                                                                                                  \
        }                                                                                                             \
    } while (0)

static char *params_of(const ct_strategy *s)
{
    char *j = NULL;
    ct_status st = ct_strategy_params_json(s, &j);
    CHECK(st == CT_OK && j, "ct_strategy_params_json: status %d", (int)st);
    return j;
}

static void check_schema(const ct_strategy *s)
{
    const ct_strategy_class *c = ct_strategy_get_class(s);
    const double *v = ct_strategy_values(s);
    for (int32_t i = 0; i < ct_strategy_class_n_params(c); i++) {
        const char *name;
        int32_t kind;
        double lo, hi;
        CHECK(ct_strategy_class_param(c, i, &name, &kind, NULL, &lo, &hi, NULL, NULL) == CT_OK, "param %d", (int)i);
        CHECK(isfinite(v[i]) && v[i] >= lo && v[i] <= hi, "%s.%s = %.17g outside [%.17g, %.17g]",
              ct_strategy_class_name(c), name, v[i], lo, hi);
        CHECK(kind != CT_PARAM_INT || v[i] == floor(v[i]), "%s.%s = %.17g not integral", ct_strategy_class_name(c),
              name, v[i]);
        CHECK(kind != CT_PARAM_BOOL || v[i] == 0.0 || v[i] == 1.0, "%s.%s = %.17g not 0/1", ct_strategy_class_name(c),
              name, v[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int32_t nc = ct_strategy_class_count();
    if (size < 1 || nc < 1)
        return 0;
    const ct_strategy_class *cls = ct_strategy_class_at((int32_t)(data[0] % (unsigned)nc));
    char *json = malloc(size);
    memcpy(json, data + 1, size - 1);
    json[size - 1] = '\0';
    ct_strategy *s = NULL;
    CHECK(ct_strategy_create(cls, &s) == CT_OK, "ct_strategy_create(%s)", ct_strategy_class_name(cls));
    char *before = params_of(s);
    ct_status st = ct_strategy_set_json(s, json);
    char *after = params_of(s);
    if (st != CT_OK) {
        CHECK(st == CT_E_FORMAT || st == CT_E_INVALID_ARG || st == CT_E_RANGE || st == CT_E_NOMEM, "status %d",
              (int)st);
        CHECK(ct_strategy_errmsg(s)[0] != '\0', "status %d without a message", (int)st);
        CHECK(strcmp(before, after) == 0, "failed call changed the values:\n%s\n%s", before, after);
    } else {
        check_schema(s);
        ct_strategy *s2 = NULL;
        CHECK(ct_strategy_create(cls, &s2) == CT_OK, "ct_strategy_create");
        st = ct_strategy_set_json(s2, after);
        CHECK(st == CT_OK, "canonical params %s refused: %s", after, ct_strategy_errmsg(s2));
        char *again = params_of(s2);
        CHECK(strcmp(after, again) == 0, "round trip differs:\n%s\n%s", after, again);
        for (int32_t i = 0; i < ct_strategy_class_n_params(cls); i++)
            CHECK(ct_strategy_values(s)[i] == ct_strategy_values(s2)[i], "round trip changed value %d: %s", (int)i,
                  after);
        ct_free(again);
        ct_strategy_destroy(s2);
        st = ct_strategy_validate(s);
        CHECK(st != CT_E_INTERNAL, "validate: internal error %s", ct_strategy_errmsg(s));
    }
    ct_free(before);
    ct_free(after);
    ct_strategy_destroy(s);
    free(json);
    return 0;
}
