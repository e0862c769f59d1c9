#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

static const char *env_or(const char *var, const char *fallback)
{
    const char *v = getenv(var);
    return (v && *v) ? v : fallback;
}

const char *ct_test_data(const char *name)
{
    static _Thread_local char buf[8][4096];
    static _Thread_local int slot;
    char *b = buf[slot++ & 7];
    snprintf(b, 4096, "%s/%s", env_or("CT_DATA_DIR", "../shared/data/candles"), name);
    return b;
}

const char *ct_test_ref(const char *name)
{
    static _Thread_local char buf[8][4096];
    static _Thread_local int slot;
    char *b = buf[slot++ & 7];
    snprintf(b, 4096, "%s/%s", env_or("CT_REF_DIR", "../shared/reference"), name);
    return b;
}

const char *ct_test_tmpdir(void)
{
    static char dir[4096];
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "%s/cryptota-test-XXXXXX", env_or("TMPDIR", "/tmp"));
        if (!mkdtemp(dir))
            return env_or("TMPDIR", "/tmp");
    }
    return dir;
}

char *ct_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *raw = malloc((size_t)sz + 1);
    if (!raw || fread(raw, 1, (size_t)sz, f) != (size_t)sz) {
        fclose(f);
        free(raw);
        return NULL;
    }
    fclose(f);
    raw[sz] = 0;
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".zst") == 0) {
        unsigned long long dsz = ZSTD_getFrameContentSize(raw, (size_t)sz);
        size_t cap = (dsz == ZSTD_CONTENTSIZE_UNKNOWN || dsz == ZSTD_CONTENTSIZE_ERROR) ? (size_t)sz * 20 : (size_t)dsz;
        char *out = malloc(cap + 1);
        size_t got = ZSTD_decompress(out, cap, raw, (size_t)sz);
        free(raw);
        if (ZSTD_isError(got)) {
            free(out);
            return NULL;
        }
        out[got] = 0;
        if (len)
            *len = got;
        return out;
    }
    if (len)
        *len = (size_t)sz;
    return raw;
}

static int64_t g_fail_at = -1;
static int64_t g_count;

static void *fa_alloc(void *o, size_t size, size_t align)
{
    (void)o;
    (void)align;
    if (g_fail_at >= 0 && g_count++ >= g_fail_at)
        return NULL;
    return malloc(size);
}

static void *fa_realloc(void *o, void *p, size_t old_size, size_t new_size, size_t align)
{
    (void)o;
    (void)old_size;
    (void)align;
    if (g_fail_at >= 0 && g_count++ >= g_fail_at)
        return NULL;
    return realloc(p, new_size);
}

static void fa_free(void *o, void *p, size_t size)
{
    (void)o;
    (void)size;
    free(p);
}

void ct_test_failalloc_install(int64_t fail_at)
{
    ct_allocator a = {sizeof(ct_allocator), fa_alloc, fa_realloc, fa_free, NULL};
    g_fail_at = fail_at;
    g_count = 0;
    ck_assert_int_eq(ct_set_allocator(&a), CT_OK);
}

void ct_test_failalloc_remove(void)
{
    g_fail_at = -1;
    ck_assert_int_eq(ct_set_allocator(NULL), CT_OK);
}

int64_t ct_test_failalloc_count(void) { return g_count; }

int ct_test_close(double a, double b, double rel)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (a == b)
        return 1;
    return fabs(a - b) <= 1e-9 + rel * fabs(b);
}

int ct_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

ct_feed *ct_test_load_feed(const char *name)
{
    ct_feed *src = NULL;
    ck_assert_ok(ct_feed_load(ct_test_data(name), CT_GAPS_KEEP, &src));
    return src;
}

void ct_test_assert_same_rows(const ct_feed *got, const ct_feed *src, int64_t lo, int64_t n)
{
    ck_assert_int_eq(ct_feed_len(got), n);
    if (n == 0)
        return;
    ck_assert_int_eq(ct_feed_interval_ms(got), ct_feed_interval_ms(src));
    ck_assert(memcmp(ct_feed_time(got), ct_feed_time(src) + lo, (size_t)n * sizeof(int64_t)) == 0);
    for (int32_t fld = CT_FIELD_OPEN; fld <= CT_FIELD_VOLUME; fld++)
        ck_assert_msg(memcmp(ct_feed_column(got, fld), ct_feed_column(src, fld) + lo, (size_t)n * sizeof(double)) == 0,
                      "column %d differs", (int)fld);
}
