/*
 * libFuzzer target: ct_engine_configure_json on arbitrary text.
 *
 * Checks beyond "no crash, no leak":
 *  - a failing call returns a documented status with a message and changes nothing (all or
 *    nothing: the canonical config JSON is the same before and after);
 *  - after a successful call the canonical JSON (ct_engine_config_json) applied to a fresh engine
 *    succeeds and gives the same canonical JSON (round trip), and every setting read back with
 *    ct_engine_get_f64 lies inside ct_engine_param_bounds.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptota/alloc.h"
#include "cryptota/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                                                              \
    do {                                                                                                              \
        if (!(cond)) {                                                                                                \
            fprintf(stderr, "fuzz_json_engine: invariant failed: %s: ", #cond);                                      \
            fprintf(stderr, __VA_ARGS__);                                                                             \
            fputc('\n', stderr);                                                                                      \
            abort();                                                                                                  \
        }                                                                                                             \
    } while (0)

static const int32_t k_ids[] = {CT_ENGINE_CAPITAL,          CT_ENGINE_FILL,           CT_ENGINE_CLOSE_AT_END,
                                CT_ENGINE_PERIODS_PER_YEAR, CT_ENGINE_RISK_FREE,      CT_ENGINE_METRICS_FREQ,
                                CT_ENGINE_STOP_FIRST,       CT_ENGINE_COMMISSION,     CT_ENGINE_COMMISSION_MAKER,
                                CT_ENGINE_COMMISSION_TAKER, CT_ENGINE_SLIPPAGE_BPS,   CT_ENGINE_ALLOW_SHORT,
                                CT_ENGINE_LEVERAGE,         CT_ENGINE_TICK_SIZE,      CT_ENGINE_LOT_STEP,
                                CT_ENGINE_MIN_NOTIONAL};

static char *config_of(const ct_engine *e)
{
    char *j = NULL;
    ct_status s = ct_engine_config_json(e, &j);
    CHECK(s == CT_OK && j, "ct_engine_config_json: status %d", (int)s);
    return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = malloc(size + 1);
    memcpy(json, data, size);
    json[size] = '\0';
    ct_engine *e = NULL;
    CHECK(ct_engine_create(&e) == CT_OK, "ct_engine_create");
    /* a non-default starting point, so "unchanged" is a real check */
    CHECK(ct_engine_configure_json(e, "{\"capital\":12345.5,\"fill\":\"close\",\"leverage\":2}") == CT_OK, "setup");
    char *before = config_of(e);
    ct_status s = ct_engine_configure_json(e, json);
    char *after = config_of(e);
    if (s != CT_OK) {
        CHECK(s == CT_E_FORMAT || s == CT_E_INVALID_ARG || s == CT_E_RANGE || s == CT_E_NOMEM, "status %d", (int)s);
        CHECK(ct_engine_errmsg(e)[0] != '\0', "status %d without a message", (int)s);
        CHECK(strcmp(before, after) == 0, "failed call changed the config:\n%s\n%s", before, after);
    } else {
        for (size_t i = 0; i < sizeof(k_ids) / sizeof(k_ids[0]); i++) {
            double v = NAN, lo = NAN, hi = NAN;
            CHECK(ct_engine_get_f64(e, k_ids[i], &v) == CT_OK && ct_engine_param_bounds(k_ids[i], &lo, &hi) == CT_OK,
                  "setting %d unreadable", (int)k_ids[i]);
            CHECK(v >= lo && v <= hi, "setting %s = %.17g outside [%.17g, %.17g]", ct_engine_param_name(k_ids[i]), v,
                  lo, hi);
        }
        ct_engine *e2 = NULL;
        CHECK(ct_engine_create(&e2) == CT_OK, "ct_engine_create");
        s = ct_engine_configure_json(e2, after);
        CHECK(s == CT_OK, "canonical config %s refused: %s", after, ct_engine_errmsg(e2));
        char *again = config_of(e2);
        CHECK(strcmp(after, again) == 0, "round trip differs:\n%s\n%s", after, again);
        ct_free(again);
        ct_engine_destroy(e2);
    }
    ct_free(before);
    ct_free(after);
    ct_engine_destroy(e);
    free(json);
    return 0;
}
