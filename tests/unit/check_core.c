/* Status codes, error messages, versions, allocator hooks and logging. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "internal/ct_internal.h"

START_TEST(status_names)
{
    ck_assert_str_eq(ct_status_name(CT_OK), "CT_OK");
    ck_assert_str_eq(ct_status_name(CT_E_NOMEM), "CT_E_NOMEM");
    ck_assert_str_eq(ct_status_str(CT_E_NOMEM), "out of memory");
    ck_assert_str_eq(ct_status_name(CT_E_PLUGIN), "CT_E_PLUGIN");
    ck_assert_str_eq(ct_status_name(12345), "CT_E_UNKNOWN");
    ck_assert_str_eq(ct_status_str(-1), "unknown status code");
    /* every defined code has a distinct name */
    const ct_status codes[] = {CT_OK, CT_E_INVALID_ARG, CT_E_NOMEM, CT_E_RANGE, CT_E_STATE, CT_E_NOT_FOUND,
                               CT_E_IO, CT_E_NET, CT_E_FORMAT, CT_E_CORRUPT, CT_E_DATA, CT_E_HTTP,
                               CT_E_RATE_LIMIT, CT_E_UNSUPPORTED, CT_E_PLUGIN, CT_E_CANCELLED, CT_E_INTERNAL};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        for (size_t j = i + 1; j < sizeof(codes) / sizeof(codes[0]); j++)
            ck_assert_str_ne(ct_status_name(codes[i]), ct_status_name(codes[j]));
}
END_TEST

START_TEST(error_thread_and_handle)
{
    ct__err h = {{0}};
    ct_clear_error();
    ck_assert_str_eq(ct_last_error(), "");
    ck_assert_int_eq(ct__fail(&h, CT_E_RANGE, "option '%s' is %d", "period", 0), CT_E_RANGE);
    ck_assert_str_eq(ct_last_error(), "option 'period' is 0");
    ck_assert_str_eq(h.msg, "option 'period' is 0");
    ct_clear_error();
    ck_assert_str_eq(ct_last_error(), "");
    ck_assert_str_eq(h.msg, "option 'period' is 0");
}
END_TEST

static void *thread_fail(void *arg)
{
    (void)arg;
    ct__fail(NULL, CT_E_IO, "other thread");
    return NULL;
}

START_TEST(error_is_thread_local)
{
    pthread_t t;
    ct__fail(NULL, CT_E_FORMAT, "main thread");
    pthread_create(&t, NULL, thread_fail, NULL);
    pthread_join(t, NULL);
    ck_assert_str_eq(ct_last_error(), "main thread");
}
END_TEST

START_TEST(versions)
{
    ck_assert_str_eq(ct_version_string(), CT_VERSION_STRING);
    ck_assert_int_eq(ct_version_number(), CT_VERSION_NUMBER);
    ck_assert_int_eq(ct_abi_version(), CT_ABI_VERSION);
    ck_assert_int_eq(CT_VERSION_NUMBER, CT_VERSION_MAJOR * 10000 + CT_VERSION_MINOR * 100 + CT_VERSION_PATCH);
}
END_TEST

START_TEST(allocator_hooks)
{
    ck_assert_int_eq(ct_alloc_live_count(), 0);
    ct_test_failalloc_install(2);
    void *a = ct__malloc(10);
    void *b = ct__malloc(20);
    void *c = ct__malloc(30);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(ct_alloc_live_count(), 2);
    /* cannot swap allocators under live memory */
    ck_assert_int_eq(ct_set_allocator(NULL), CT_E_STATE);
    ck_assert(strstr(ct_last_error(), "still live") != NULL);
    ct__free(a);
    ct_free(b);
    ct_free(NULL);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
    ct_test_failalloc_remove();

    ct_allocator bad = {4, NULL, NULL, NULL, NULL};
    ck_assert_int_eq(ct_set_allocator(&bad), CT_E_INVALID_ARG);
    char *s = ct__strdup("abc");
    ck_assert_str_eq(s, "abc");
    s = ct__realloc(s, 100);
    ck_assert_str_eq(s, "abc");
    ct__free(s);
    ck_assert_ptr_null(ct__malloc_array(SIZE_MAX / 2, 4));
    ck_assert_ptr_null(ct__calloc(SIZE_MAX / 2, 4));
}
END_TEST

/* Hooks that record what they are asked for; no realloc hook. */
static size_t g_last_size, g_last_align, g_freed_size;
static int g_allocs;
static void *rec_alloc(void *opaque, size_t size, size_t align)
{
    (void)opaque;
    g_last_size = size;
    g_last_align = align;
    g_allocs++;
    return malloc(size);
}
static void rec_free(void *opaque, void *p, size_t size)
{
    (void)opaque;
    g_freed_size = size;
    free(p);
}

/* ct_set_allocator checks its argument before the live-memory rule, applies the R6 size rule
 * (a larger table only with an all-zero tail), and works without a realloc hook; the hooks get
 * 16-byte alignment and sizes that include the library's 16-byte header. */
START_TEST(allocator_table_rules)
{
    struct {
        ct_allocator a;
        uint64_t newer_field;
    } big;
    memset(&big, 0, sizeof(big));
    big.a = (ct_allocator){sizeof(big), rec_alloc, NULL, rec_free, NULL};
    ck_assert_int_eq(ct_alloc_live_count(), 0);
    /* a non-zero field this version does not know: refused, even with nothing live */
    big.newer_field = 1;
    ck_assert_int_eq(ct_set_allocator(&big.a), CT_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "non-zero bytes beyond the"));
    /* arguments are checked before the live-memory rule */
    void *live = ct__malloc(8);
    ct_allocator small = {4, rec_alloc, NULL, rec_free, NULL};
    ck_assert_int_eq(ct_set_allocator(&small), CT_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "struct_size 4 is smaller"));
    ct_allocator nofree = {sizeof(ct_allocator), rec_alloc, NULL, NULL, NULL};
    ck_assert_int_eq(ct_set_allocator(&nofree), CT_E_INVALID_ARG);
    ck_assert_int_eq(ct_set_allocator(&big.a), CT_E_UNSUPPORTED);
    big.newer_field = 0;
    ck_assert_int_eq(ct_set_allocator(&big.a), CT_E_STATE); /* valid, but memory is live */
    ct__free(live);
    /* a larger table with a zero tail is accepted; realloc NULL allocates, copies and frees */
    ck_assert_int_eq(ct_set_allocator(&big.a), CT_OK);
    g_allocs = 0;
    char *p = ct__malloc(5);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(g_last_size, 5 + 16);
    ck_assert_uint_eq(g_last_align, 16);
    ck_assert_uint_eq((uintptr_t)p % 16, 0);
    memcpy(p, "abcd", 5);
    p = ct__realloc(p, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(g_allocs, 2);
    ck_assert_uint_eq(g_freed_size, 5 + 16); /* the old block, freed after the copy */
    ck_assert_str_eq(p, "abcd");
    ct__free(p);
    ck_assert_uint_eq(g_freed_size, 100 + 16);
    ck_assert_int_eq(ct_alloc_live_count(), 0);
    ck_assert_int_eq(ct_set_allocator(NULL), CT_OK);
}
END_TEST

/* ct_global_cleanup releases libcurl, and the set-up can be made again afterwards, explicitly
 * or implicitly by ct_fetcher_create (a one-shot pthread_once used to make both fail with
 * CT_E_INTERNAL for the rest of the process). */
START_TEST(global_init_after_cleanup)
{
    ct_global_cleanup(); /* without an explicit ct_global_init: nothing to undo */
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(ct_global_init(), CT_OK);
        ck_assert_int_eq(ct_global_init(), CT_OK); /* repeated calls do not nest */
        ct_fetcher *f = NULL;
        ck_assert_int_eq(ct_fetcher_create(&f), CT_OK);
        ct_fetcher_destroy(f);
        ct_global_cleanup();
        ct_global_cleanup(); /* a second cleanup is a no-op */
        f = NULL;
        ck_assert_int_eq(ct_fetcher_create(&f), CT_OK); /* implicit set-up again */
        ct_fetcher_destroy(f);
    }
    ck_assert_int_eq(ct_alloc_live_count(), 0);
}
END_TEST

static char g_line[4096];
static int32_t g_level;
static void sink(void *user, int32_t level, const char *line)
{
    (*(int *)user)++;
    g_level = level;
    snprintf(g_line, sizeof(g_line), "%s", line);
}

START_TEST(logging)
{
    int calls = 0;
    ct_set_log_callback(sink, &calls);
    ck_assert_int_eq(ct_set_log_level(CT_LOG_INFO), CT_OK);
    ct__log(CT_LOG_DEBUG, "feed", "hidden");
    ck_assert_int_eq(calls, 0);
    ct__log(CT_LOG_WARN, "feed", "quote \" and newline\n");
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(g_level, CT_LOG_WARN);
    ck_assert(strstr(g_line, "\"level\":\"warn\"") != NULL);
    ck_assert(strstr(g_line, "\"module\":\"feed\"") != NULL);
    ck_assert(strstr(g_line, "quote \\\" and newline\\n") != NULL);
    ck_assert_int_eq(ct_set_log_level(9), CT_E_RANGE);
    ck_assert_str_eq(ct_log_level_name(CT_LOG_ERROR), "error");
    ct_set_log_callback(NULL, NULL);
    ct_set_log_level(CT_LOG_WARN);
}
END_TEST

/* ---- held lines (ct_log_hold / ct_log_release) ---- */

typedef struct held_rec {
    int n, other_thread, dropped_reports;
    pthread_t main;
    char first[64], last[64];
    int next[3]; /* the next index expected from each logging thread */
    int out_of_order;
} held_rec;

static void held_sink(void *user, int32_t level, const char *line)
{
    held_rec *r = user;
    (void)level;
    if (!pthread_equal(pthread_self(), r->main))
        r->other_thread++;
    const char *m = strstr(line, "\"msg\":\"");
    if (!m)
        return;
    m += 7;
    int t, i;
    if (sscanf(m, "t%d #%d", &t, &i) == 2 && t >= 0 && t < 3) {
        if (i != r->next[t])
            r->out_of_order++;
        r->next[t] = i + 1;
    }
    if (strstr(m, "were dropped while held"))
        r->dropped_reports++;
    if (r->n == 0)
        snprintf(r->first, sizeof(r->first), "%.20s", m);
    snprintf(r->last, sizeof(r->last), "%.20s", m);
    r->n++;
}

static void *log_100(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < 100; i++)
        ct__log(CT_LOG_INFO, "test", "t%d #%d", t, i);
    return NULL;
}

START_TEST(log_hold_and_release)
{
    int64_t live0 = ct_alloc_live_count();
    held_rec r;
    memset(&r, 0, sizeof(r));
    r.main = pthread_self();
    ct_set_log_callback(held_sink, &r);
    ck_assert_int_eq(ct_set_log_level(CT_LOG_INFO), CT_OK);
    /* lines of this thread and of two others wait for the release, then come on this thread,
     * each thread's in its own order */
    ck_assert_int_eq(ct_log_hold(), CT_OK);
    ct__log(CT_LOG_INFO, "test", "t0 #0");
    pthread_t th[2];
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(pthread_create(&th[k], NULL, log_100, (void *)(intptr_t)(k + 1)), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    ct__log(CT_LOG_INFO, "test", "t0 #1");
    ck_assert_int_eq(r.n, 0);
    ck_assert_int_eq(ct_log_release(), CT_OK);
    ck_assert_int_eq(r.n, 202);
    ck_assert_int_eq(r.other_thread, 0);
    ck_assert_int_eq(r.out_of_order, 0);
    ck_assert_int_eq(r.next[1], 100);
    ck_assert_int_eq(r.next[2], 100);
    ck_assert_str_eq(r.first, "t0 #0\"}");
    ck_assert_str_eq(r.last, "t0 #1\"}");
    ck_assert_int_eq(ct_alloc_live_count(), live0);
    /* holds nest: the outermost release delivers */
    memset(r.next, 0, sizeof(r.next));
    ck_assert_int_eq(ct_log_hold(), CT_OK);
    ck_assert_int_eq(ct_log_hold(), CT_OK);
    ct__log(CT_LOG_INFO, "test", "t0 #0");
    ck_assert_int_eq(ct_log_release(), CT_OK);
    ck_assert_int_eq(r.n, 202);
    ck_assert_int_eq(ct_log_release(), CT_OK);
    ck_assert_int_eq(r.n, 203);
    /* a release without a hold */
    ck_assert_int_eq(ct_log_release(), CT_E_STATE);
    ck_assert(strstr(ct_last_error(), "no ct_log_hold is open") != NULL);
    ck_assert_int_eq(r.n, 203); /* its own debug line is below the level */
    /* more than 8 MiB held: the rest is counted, and the release says so after the kept lines */
    char big[1001];
    memset(big, 'x', 1000);
    big[1000] = '\0';
    ck_assert_int_eq(ct_log_hold(), CT_OK);
    for (int i = 0; i < 9000; i++)
        ct__log(CT_LOG_INFO, "test", "%s", big);
    int before = r.n;
    ck_assert_int_eq(ct_log_release(), CT_OK);
    ck_assert_int_gt(r.n - before, 7000);
    ck_assert_int_lt(r.n - before, 9000);
    ck_assert_int_eq(r.dropped_reports, 1);
    ck_assert_msg(strstr(r.last, " log lines were") != NULL, "last line: %s", r.last); /* the report comes last */
    ck_assert_int_eq(ct_alloc_live_count(), live0);
    ct_set_log_callback(NULL, NULL);
    ct_set_log_level(CT_LOG_WARN);
}
END_TEST

START_TEST(log_level_from_env)
{
    /* runs in a forked child (Check's default), so the first read of CRYPTOTA_LOG happens here */
    setenv("CRYPTOTA_LOG", "error", 1);
    ck_assert_int_eq(ct_log_level(), CT_LOG_ERROR);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, status_names);
    tcase_add_test(tc, error_thread_and_handle);
    tcase_add_test(tc, error_is_thread_local);
    tcase_add_test(tc, versions);
    tcase_add_test(tc, allocator_hooks);
    tcase_add_test(tc, allocator_table_rules);
    tcase_add_test(tc, global_init_after_cleanup);
    tcase_add_test(tc, logging);
    tcase_add_test(tc, log_hold_and_release);
    suite_add_tcase(s, tc);
    /* the env test needs a fresh process image for the lazily-read level */
    if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0) {
        TCase *env = tcase_create("env");
        tcase_add_test(env, log_level_from_env);
        suite_add_tcase(s, env);
    }
    return ct_test_run(s);
}
