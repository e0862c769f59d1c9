/*
 * Strategy classes: the registry and the built-in schemas, parameter validation (typed and
 * JSON), refused combinations, canonical parameter JSON, the R6 vtable size rules (smaller,
 * equal, larger with a zero tail, larger with a non-zero tail), schemas whose defaults or bounds
 * do not fit their kind, creating strategies while another thread unregisters the class (run
 * under ASan and TSan) and the allocation-failure walk.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "test_util.h"

static ct_status dummy_bar(void *u, ct_ctx *c)
{
    (void)u;
    (void)c;
    return CT_OK;
}

START_TEST(builtins_listed)
{
    static const char *const names[] = {"rsi", "rsi_ma", "rsi_divergence", "sma_cross", "macd_cross",
                                        "bbands_reversion", "grid", "buy_hold"};
    ck_assert_int_ge(ct_strategy_class_count(), 8);
    for (int i = 0; i < 8; i++) {
        const ct_strategy_class *c = ct_strategy_class_find(names[i]);
        ck_assert_msg(c != NULL, "%s missing", names[i]);
        ck_assert_str_eq(ct_strategy_class_name(c), names[i]);
        ck_assert_int_eq(ct_strategy_class_is_builtin(c), 1);
        ck_assert(strlen(ct_strategy_class_description(c)) > 0);
        ck_assert_ptr_eq(ct_strategy_class_at(i), c);
    }
    ck_assert_ptr_null(ct_strategy_class_find("nope"));
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "nope"));
    ck_assert_ptr_null(ct_strategy_class_at(-1));
    ck_assert_ptr_null(ct_strategy_class_at(100000));
    /* the rsi schema of DESIGN.md section 6 */
    const ct_strategy_class *rsi = ct_strategy_class_find("rsi");
    static const char *const pn[] = {"rsi_period", "oversold", "overbought", "fraction"};
    static const double pd[] = {14, 30, 70, 1.0};
    ck_assert_int_eq(ct_strategy_class_n_params(rsi), 4);
    for (int i = 0; i < 4; i++) {
        const char *name = NULL, *desc = NULL;
        int32_t kind = -1;
        double def = 0, mn = 0, mx = 0, step = 0;
        ck_assert_ok(ct_strategy_class_param(rsi, i, &name, &kind, &def, &mn, &mx, &step, &desc));
        ck_assert_str_eq(name, pn[i]);
        ck_assert(def == pd[i]);
        ck_assert(mn <= def && def <= mx);
        ck_assert_int_eq(kind, i == 0 ? CT_PARAM_INT : CT_PARAM_REAL);
    }
    ck_assert_status(ct_strategy_class_param(rsi, 4, NULL, NULL, NULL, NULL, NULL, NULL, NULL), CT_E_RANGE);
    ck_assert_str_eq(ct_param_kind_name(CT_PARAM_BOOL), "bool");
    ck_assert_int_eq(ct_strategy_class_param_index(rsi, "overbought"), 2);
}
END_TEST

START_TEST(classes_json)
{
    char *js = NULL;
    ck_assert_ok(ct_strategy_classes_json(&js));
    cJSON *a = cJSON_Parse(js);
    ct_free(js);
    ck_assert(cJSON_IsArray(a));
    ck_assert_int_eq(cJSON_GetArraySize(a), ct_strategy_class_count());
    cJSON *first = cJSON_GetArrayItem(a, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(first, "name")->valuestring, "rsi");
    cJSON *p0 = cJSON_GetArrayItem(cJSON_GetObjectItem(first, "params"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(p0, "name")->valuestring, "rsi_period");
    ck_assert_str_eq(cJSON_GetObjectItem(p0, "kind")->valuestring, "int");
    ck_assert(cJSON_GetObjectItem(p0, "default")->valuedouble == 14);
    cJSON_Delete(a);
}
END_TEST

START_TEST(params_typed)
{
    ct_strategy *s = NULL;
    double v = 0;
    ck_assert_ok(ct_strategy_create_by_name("rsi", &s));
    ck_assert_ok(ct_strategy_set_i64(s, "rsi_period", 21));
    ck_assert_ok(ct_strategy_get_f64(s, "rsi_period", &v));
    ck_assert(v == 21);
    ck_assert_status(ct_strategy_set_f64(s, "rsi_period", 2.5), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_strategy_errmsg(s), "rsi_period"));
    ck_assert_status(ct_strategy_set_f64(s, "oversold", 101), CT_E_RANGE);
    ck_assert_ptr_nonnull(strstr(ct_strategy_errmsg(s), "oversold"));
    ck_assert_status(ct_strategy_set_f64(s, "oversold", NAN), CT_E_INVALID_ARG);
    ck_assert_status(ct_strategy_set_f64(s, "speed", 1), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "speed"));
    ck_assert_status(ct_strategy_get_f64(s, "speed", &v), CT_E_INVALID_ARG);
    /* a combination the class refuses */
    ck_assert_ok(ct_strategy_set_f64(s, "oversold", 70));
    ck_assert_status(ct_strategy_validate(s), CT_E_RANGE);
    ck_assert_ptr_nonnull(strstr(ct_strategy_errmsg(s), "oversold must be below overbought"));
    ck_assert_ok(ct_strategy_reset(s));
    ck_assert_ok(ct_strategy_validate(s));
    char *js = NULL;
    ck_assert_ok(ct_strategy_params_json(s, &js));
    ck_assert_str_eq(js, "{\"rsi_period\":14,\"oversold\":30,\"overbought\":70,\"fraction\":1}");
    ct_free(js);
    ck_assert_ok(ct_strategy_set_f64(s, "fraction", 0.1));
    ck_assert_ok(ct_strategy_params_json(s, &js));
    ck_assert_str_eq(js, "{\"rsi_period\":14,\"oversold\":30,\"overbought\":70,\"fraction\":0.10000000000000001}");
    ct_free(js);
    ct_strategy *c = NULL;
    ck_assert_ok(ct_strategy_clone(s, &c));
    ck_assert(ct_strategy_values(c)[3] == 0.1);
    ct_strategy_destroy(c);
    ct_strategy_destroy(s);
    ct_strategy_destroy(NULL);
    ck_assert_status(ct_strategy_create_by_name("nope", &s), CT_E_NOT_FOUND);
    ck_assert_ptr_null(s);
    ck_assert_status(ct_strategy_create(NULL, &s), CT_E_INVALID_ARG);
    /* every constructor sets *out to NULL on failure, a NULL source included */
    ct_strategy *cl = (ct_strategy *)&cl;
    ck_assert_status(ct_strategy_clone(NULL, &cl), CT_E_INVALID_ARG);
    ck_assert_ptr_null(cl);
    cl = (ct_strategy *)&cl;
    ck_assert_status(ct_strategy_create_by_name(NULL, &cl), CT_E_INVALID_ARG);
    ck_assert_ptr_null(cl);
}
END_TEST

START_TEST(params_json)
{
    ct_strategy *s = NULL;
    double v = 0;
    ck_assert_ok(ct_strategy_create_by_name("rsi", &s));
    ck_assert_ok(ct_strategy_set_json(s, "{\"rsi_period\":7,\"oversold\":25}"));
    ck_assert_ok(ct_strategy_get_f64(s, "rsi_period", &v));
    ck_assert(v == 7);
    /* all or nothing: the first key is valid, the second is not, nothing changes */
    ck_assert_status(ct_strategy_set_json(s, "{\"rsi_period\":9,\"overbougth\":80}"), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_strategy_errmsg(s), "overbougth"));
    ck_assert_ok(ct_strategy_get_f64(s, "rsi_period", &v));
    ck_assert(v == 7);
    ck_assert_status(ct_strategy_set_json(s, "{\"rsi_period\":\"fast\"}"), CT_E_INVALID_ARG);
    ck_assert_status(ct_strategy_set_json(s, "{\"rsi_period\":1}"), CT_E_RANGE);
    ck_assert_status(ct_strategy_set_json(s, "[]"), CT_E_FORMAT);
    ck_assert_status(ct_strategy_set_json(s, "{\"rsi_period\":"), CT_E_FORMAT);
    ck_assert_status(ct_strategy_set_json(s, NULL), CT_E_INVALID_ARG);
    ct_strategy_destroy(s);
}
END_TEST

/* A parameter given twice is an error naming it (the last value silently won). */
START_TEST(params_json_duplicate)
{
    ct_strategy *s = NULL;
    double v = 0;
    ck_assert_ok(ct_strategy_create_by_name("rsi", &s));
    ck_assert_status(ct_strategy_set_json(s, "{\"oversold\":25,\"rsi_period\":10,\"rsi_period\":20}"),
                     CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_strategy_errmsg(s), "'rsi_period' is given twice"));
    ck_assert_ok(ct_strategy_get_f64(s, "rsi_period", &v));
    ck_assert(v == 14); /* all or nothing */
    ck_assert_ok(ct_strategy_get_f64(s, "oversold", &v));
    ck_assert(v == 30);
    ct_strategy_destroy(s);
}
END_TEST

/* ---- R6: vtable sizes ---- */

typedef struct {
    ct_strategy_vtable vt;
    void (*on_future)(void *); /* a field of a later library version */
} vtable_v2;

START_TEST(vtable_abi)
{
    ct_strategy_vtable vt;
    memset(&vt, 0, sizeof(vt));
    vt.struct_size = sizeof(vt);
    vt.name = "abi_ok";
    vt.on_bar = dummy_bar;
    /* the current size */
    ck_assert_ok(ct_strategy_register(&vt));
    ck_assert_status(ct_strategy_register(&vt), CT_E_STATE); /* the name is taken */
    ck_assert_ok(ct_strategy_unregister("abi_ok"));
    /* exactly the version-1 size (what an older plugin compiled against 0.1 passes) */
    vt.struct_size = (uint32_t)CT_STRATEGY_VTABLE_SIZE_V1;
    vt.name = "abi_v1";
    ck_assert_ok(ct_strategy_register(&vt));
    ck_assert_ok(ct_strategy_unregister("abi_v1"));
    /* smaller than version 1 */
    vt.struct_size = (uint32_t)offsetof(ct_strategy_vtable, on_bar);
    vt.name = "abi_small";
    ck_assert_status(ct_strategy_register(&vt), CT_E_UNSUPPORTED);
    /* a newer, larger table whose unknown tail is zero: accepted */
    vtable_v2 big;
    memset(&big, 0, sizeof(big));
    big.vt.struct_size = sizeof(big);
    big.vt.name = "abi_newer_zero";
    big.vt.on_bar = dummy_bar;
    ck_assert_ok(ct_strategy_register(&big.vt));
    ck_assert_ok(ct_strategy_unregister("abi_newer_zero"));
    /* a newer table that uses a field this library does not know: refused */
    big.vt.name = "abi_newer_used";
    big.on_future = free;
    ck_assert_status(ct_strategy_register(&big.vt), CT_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "plugin needs libcryptota"));
    ck_assert_ptr_null(ct_strategy_class_find("abi_newer_used"));
    /* other checks */
    vt.struct_size = sizeof(vt);
    vt.name = "Bad Name";
    ck_assert_status(ct_strategy_register(&vt), CT_E_INVALID_ARG);
    vt.name = "no_bar";
    vt.on_bar = NULL;
    ck_assert_status(ct_strategy_register(&vt), CT_E_INVALID_ARG);
    ck_assert_status(ct_strategy_register(NULL), CT_E_INVALID_ARG);
    ck_assert_status(ct_strategy_unregister("rsi"), CT_E_STATE);
    ck_assert_status(ct_strategy_unregister("never_registered"), CT_E_NOT_FOUND);
}
END_TEST

/* A struct_size that is no size of the table (an unset field, another struct's size) is refused
 * without reading that far: the tail check read 1 GiB past a vtable on the stack (ASan:
 * stack-buffer-overflow). A ct_param_def size that is not a multiple of its alignment is
 * refused too: entry 1 was read at a misaligned address (UBSan). */
START_TEST(struct_size_wrong)
{
    ct_strategy_vtable vt;
    memset(&vt, 0, sizeof(vt));
    vt.struct_size = 0x40000000u;
    vt.name = "abi_huge";
    vt.on_bar = dummy_bar;
    ck_assert_status(ct_strategy_register(&vt), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "struct_size 1073741824"));
    ck_assert_ptr_null(ct_strategy_class_find("abi_huge"));
    /* two parameter definitions packed 57 bytes apart, the 57th byte 0 (a zero "tail") */
    _Alignas(16) unsigned char buf[2 * 57 + 16];
    memset(buf, 0, sizeof(buf));
    ct_param_def d0 = {57, CT_PARAM_REAL, "a", 1, 0, 2, 0, NULL};
    ct_param_def d1 = {57, CT_PARAM_REAL, "b", 1, 0, 2, 0, NULL};
    memcpy(buf, &d0, sizeof(d0));
    memcpy(buf + 57, &d1, sizeof(d1));
    vt.struct_size = sizeof(vt);
    vt.name = "abi_stride57";
    vt.params = (const ct_param_def *)(const void *)buf;
    vt.n_params = 2;
    ck_assert_status(ct_strategy_register(&vt), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "struct_size 57 is not a multiple of its alignment"));
    ck_assert_ptr_null(ct_strategy_class_find("abi_stride57"));
    /* so is a huge parameter size */
    d0.struct_size = 0x7fffffffu;
    memcpy(buf, &d0, sizeof(d0));
    vt.n_params = 1;
    ck_assert_status(ct_strategy_register(&vt), CT_E_INVALID_ARG);
    ck_assert_ptr_null(ct_strategy_class_find("abi_stride57"));
}
END_TEST

typedef struct {
    ct_param_def p;
    double future;
} param_v2;

START_TEST(schema_copy_and_abi)
{
    /* parameter definitions with a larger (zero-tailed) struct_size, and the copy rule: the
     * caller's strings may go away after registration */
    param_v2 ps[2];
    memset(ps, 0, sizeof(ps));
    char name0[16], name1[16], cname[16];
    strcpy(name0, "length");
    strcpy(name1, "on");
    strcpy(cname, "schema_copy");
    ps[0].p = (ct_param_def){sizeof(param_v2), CT_PARAM_INT, name0, 10, 1, 100, 1, "a length"};
    ps[1].p = (ct_param_def){sizeof(param_v2), CT_PARAM_BOOL, name1, 1, 0, 1, 1, NULL};
    ct_strategy_vtable vt;
    memset(&vt, 0, sizeof(vt));
    vt.struct_size = sizeof(vt);
    vt.name = cname;
    vt.params = &ps[0].p;
    vt.n_params = 2;
    vt.on_bar = dummy_bar;
    ck_assert_ok(ct_strategy_register(&vt));
    memset(name0, 'x', sizeof(name0) - 1);
    memset(cname, 'y', sizeof(cname) - 1);
    const ct_strategy_class *c = ct_strategy_class_find("schema_copy");
    ck_assert_ptr_nonnull(c);
    const char *n0 = NULL;
    ck_assert_ok(ct_strategy_class_param(c, 0, &n0, NULL, NULL, NULL, NULL, NULL, NULL));
    ck_assert_str_eq(n0, "length");
    ct_strategy *s = NULL;
    ck_assert_ok(ct_strategy_create(c, &s));
    ck_assert_status(ct_strategy_set_f64(s, "on", 0.5), CT_E_INVALID_ARG); /* bool: 0 or 1 */
    ck_assert_ok(ct_strategy_set_json(s, "{\"on\":false}"));
    char *js = NULL;
    ck_assert_ok(ct_strategy_params_json(s, &js));
    ck_assert_str_eq(js, "{\"length\":10,\"on\":false}");
    ct_free(js);
    ct_strategy_destroy(s);
    ck_assert_ok(ct_strategy_unregister("schema_copy"));
    /* a non-zero unknown tail in a parameter definition is refused; so is a bad schema */
    ps[0].future = 1;
    strcpy(cname, "schema_bad");
    strcpy(name0, "length");
    ck_assert_status(ct_strategy_register(&vt), CT_E_UNSUPPORTED);
    ps[0].future = 0;
    ps[0].p.def = 1000; /* default above max */
    ck_assert_status(ct_strategy_register(&vt), CT_E_INVALID_ARG);
    ps[0].p.def = 10;
    ps[1].p.name = "length"; /* duplicate */
    ck_assert_status(ct_strategy_register(&vt), CT_E_INVALID_ARG);
}
END_TEST

/* A default must be a value ct_strategy_set_f64 accepts and the bounds values of the kind:
 * otherwise ct_strategy_validate refuses the defaults and the JSON echo changes them (an int
 * 2.5 printed as 2.5, a bool 0.5 as true). Refused at registration, naming the parameter. */
START_TEST(schema_kinds)
{
    static const struct {
        int32_t kind;
        double def, min, max, step;
    } bad[] = {
        {CT_PARAM_INT, 2.5, 1, 10, 1},  {CT_PARAM_INT, 2, 1.5, 10, 1}, {CT_PARAM_INT, 2, 1, 10.5, 1},
        {CT_PARAM_INT, 2, 1, 10, 0.5},  {CT_PARAM_BOOL, 0.5, 0, 1, 0}, {CT_PARAM_BOOL, 0, 0, 0.5, 0},
        {CT_PARAM_BOOL, 1, 0.5, 1, 0},  {CT_PARAM_REAL, 1, 0, 2, INFINITY},
    };
    ct_param_def p[2] = {{sizeof(ct_param_def), CT_PARAM_REAL, "ok", 1, 0, 2, 0, NULL},
                         {sizeof(ct_param_def), CT_PARAM_INT, "bad_one", 0, 0, 0, 0, NULL}};
    ct_strategy_vtable vt;
    memset(&vt, 0, sizeof(vt));
    vt.struct_size = sizeof(vt);
    vt.name = "schema_kinds";
    vt.params = p;
    vt.n_params = 2;
    vt.on_bar = dummy_bar;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p[1].kind = bad[i].kind;
        p[1].def = bad[i].def;
        p[1].min = bad[i].min;
        p[1].max = bad[i].max;
        p[1].step = bad[i].step;
        ck_assert_msg(ct_strategy_register(&vt) == CT_E_INVALID_ARG, "case %d registered", (int)i);
        ck_assert_msg(strstr(ct_last_error(), "'bad_one'") != NULL, "case %d: %s", (int)i, ct_last_error());
        ck_assert_ptr_null(ct_strategy_class_find("schema_kinds"));
    }
    /* what the kinds allow: an int with integral bounds and step, a bool fixed at 1 */
    p[1] = (ct_param_def){sizeof(ct_param_def), CT_PARAM_INT, "bad_one", -3, -1e300, 1e300, 2, NULL};
    ck_assert_ok(ct_strategy_register(&vt));
    ck_assert_ok(ct_strategy_unregister("schema_kinds"));
    p[1] = (ct_param_def){sizeof(ct_param_def), CT_PARAM_BOOL, "bad_one", 1, 1, 1, 0, NULL};
    ck_assert_ok(ct_strategy_register(&vt));
    ct_strategy *s = NULL;
    char *js = NULL;
    ck_assert_ok(ct_strategy_create_by_name("schema_kinds", &s));
    ck_assert_ok(ct_strategy_validate(s));
    ck_assert_ok(ct_strategy_params_json(s, &js));
    ck_assert_str_eq(js, "{\"ok\":1,\"bad_one\":true}");
    ct_free(js);
    ct_strategy_destroy(s);
    ck_assert_ok(ct_strategy_unregister("schema_kinds"));
}
END_TEST

/* ---- the registry under concurrent use ---- */

/* One thread creates strategies of a class by name while another registers and unregisters it:
 * the reference must be taken under the registry lock, or the creator reads the class after the
 * other thread freed it (ASan: heap-use-after-free; TSan: a race with the free). The counts are
 * bounded so that the test stays short under the sanitizers. */
enum { RACE_ITERS = 200000 };

static const ct_param_def k_race_params[] = {{sizeof(ct_param_def), CT_PARAM_INT, "n", 2, 1, 10, 1, "x"}};
static const ct_strategy_vtable k_race_vt = {sizeof(ct_strategy_vtable), 0, "race", "d", k_race_params, 1, 0, NULL,
                                             NULL, NULL, dummy_bar, NULL, NULL, NULL};

typedef struct {
    int64_t made;     /* strategies created */
    int64_t bad;      /* wrong values or statuses seen */
    int64_t cycles;   /* register + unregister pairs that succeeded */
} race_counts;

static void *race_creator(void *arg)
{
    race_counts *k = arg;
    for (int i = 0; i < RACE_ITERS; i++) {
        ct_strategy *s = NULL;
        ct_status st = ct_strategy_create_by_name("race", &s);
        if (st == CT_OK) {
            k->made++;
            k->bad += ct_strategy_values(s)[0] != 2;
            ct_strategy_destroy(s);
        } else {
            k->bad += st != CT_E_NOT_FOUND;
        }
        char *js = NULL; /* the registry document reads every class too */
        if (i % 64 == 0 && ct_strategy_classes_json(&js) == CT_OK)
            ct_free(js);
    }
    return NULL;
}

static void *race_cycler(void *arg)
{
    race_counts *k = arg;
    for (int i = 0; i < RACE_ITERS; i++) {
        ct_status st = ct_strategy_register(&k_race_vt);
        /* unregister is refused (CT_E_STATE) while a strategy of the class lives */
        if (ct_strategy_unregister("race") == CT_OK && st == CT_OK)
            k->cycles++;
    }
    return NULL;
}

START_TEST(registry_race)
{
    pthread_t a, b;
    race_counts ka = {0, 0, 0}, kb = {0, 0, 0};
    ck_assert_int_eq(pthread_create(&a, NULL, race_creator, &ka), 0);
    ck_assert_int_eq(pthread_create(&b, NULL, race_cycler, &kb), 0);
    ck_assert_int_eq(pthread_join(a, NULL), 0);
    ck_assert_int_eq(pthread_join(b, NULL), 0);
    ck_assert_int_eq(ka.bad, 0);
    ck_assert_int_gt(kb.cycles, 0);
    ct_strategy_unregister("race");
    ck_assert_ptr_null(ct_strategy_class_find("race"));
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

START_TEST(oom_walk)
{
    int done = 0;
    ck_assert_int_eq(ct_alloc_live_count(), 0);
    for (int64_t k = 0; !done && k < 1000; k++) {
        ct_strategy *s = NULL;
        char *js = NULL;
        ct_test_failalloc_install(k);
        ct_status st = ct_strategy_create_by_name("grid", &s);
        if (st == CT_OK)
            st = ct_strategy_validate(s);
        if (st == CT_OK)
            st = ct_strategy_params_json(s, &js);
        ck_assert_msg(st == CT_OK || st == CT_E_NOMEM, "fail_at %lld: %s", (long long)k, ct_status_name(st));
        done = st == CT_OK;
        ct_free(js);
        ct_strategy_destroy(s);
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        ct_test_failalloc_remove();
    }
    ck_assert(done);
    /* registration: copies of the table, names and schema */
    ct_strategy_vtable vt;
    static const ct_param_def p = {sizeof(ct_param_def), CT_PARAM_REAL, "x", 1, 0, 2, 0, "x"};
    memset(&vt, 0, sizeof(vt));
    vt.struct_size = sizeof(vt);
    vt.name = "oom_class";
    vt.params = &p;
    vt.n_params = 1;
    vt.on_bar = dummy_bar;
    done = 0;
    for (int64_t k = 0; !done && k < 1000; k++) {
        ct_test_failalloc_install(k);
        ct_status st = ct_strategy_register(&vt);
        ck_assert_msg(st == CT_OK || st == CT_E_NOMEM, "fail_at %lld: %s", (long long)k, ct_status_name(st));
        done = st == CT_OK;
        if (done)
            ck_assert_ok(ct_strategy_unregister("oom_class"));
        ck_assert_int_eq(ct_alloc_live_count(), 0);
        ct_test_failalloc_remove();
    }
    ck_assert(done);
}
END_TEST

static Suite *strategy_suite(void)
{
    Suite *s = suite_create("strategy");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, builtins_listed);
    tcase_add_test(tc, classes_json);
    tcase_add_test(tc, params_typed);
    tcase_add_test(tc, params_json);
    tcase_add_test(tc, params_json_duplicate);
    tcase_add_test(tc, vtable_abi);
    tcase_add_test(tc, struct_size_wrong);
    tcase_add_test(tc, schema_copy_and_abi);
    tcase_add_test(tc, schema_kinds);
    tcase_add_test(tc, registry_race);
    tcase_add_test(tc, oom_walk);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_test_run(strategy_suite()); }
