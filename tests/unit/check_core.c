/* Status codes, error messages, versions, allocator hooks and logging. */
#include <pthread.h>
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
    tcase_add_test(tc, logging);
    suite_add_tcase(s, tc);
    /* the env test needs a fresh process image for the lazily-read level */
    if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0) {
        TCase *env = tcase_create("env");
        tcase_add_test(env, log_level_from_env);
        suite_add_tcase(s, env);
    }
    return ct_test_run(s);
}
