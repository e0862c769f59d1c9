/* JSON-line logging with a host sink; stderr at warning level by default (DESIGN.md 10). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal/ct_internal.h"

static const char *const k_level_names[] = {"trace", "debug", "info", "warn", "error", "off"};

/* the host sink; a line takes a consistent (fn, user) pair even while a host swaps the sink */
static pthread_mutex_t g_sink_lock = PTHREAD_MUTEX_INITIALIZER;
static ct_log_fn g_fn;
static void *g_user;
static atomic_int g_level = -1; /* -1: not read from CRYPTOTA_LOG yet */

const char *ct_log_level_name(int32_t level)
{
    if (level < CT_LOG_TRACE || level > CT_LOG_OFF)
        return "unknown";
    return k_level_names[level];
}

static int level_from_env(void)
{
    const char *e = getenv("CRYPTOTA_LOG");
    if (e && *e) {
        for (int i = 0; i <= CT_LOG_OFF; i++)
            if (strcasecmp(e, k_level_names[i]) == 0)
                return i;
        if (strcasecmp(e, "warning") == 0)
            return CT_LOG_WARN;
    }
    return CT_LOG_WARN;
}

int32_t ct_log_level(void)
{
    int l = atomic_load(&g_level);
    if (l < 0) {
        l = level_from_env();
        atomic_store(&g_level, l);
    }
    return l;
}

ct_status ct_set_log_level(int32_t level)
{
    if (level < CT_LOG_TRACE || level > CT_LOG_OFF)
        return ct__fail(NULL, CT_E_RANGE, "ct_set_log_level: level %d is not in 0..5", (int)level);
    atomic_store(&g_level, level);
    return CT_OK;
}

void ct_set_log_callback(ct_log_fn fn, void *user)
{
    pthread_mutex_lock(&g_sink_lock);
    g_fn = fn;
    g_user = user;
    pthread_mutex_unlock(&g_sink_lock);
}

int ct__log_enabled(int32_t level) { return level >= ct_log_level() && level < CT_LOG_OFF; }

size_t ct__json_escape(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    if (cap == 0)
        return 0;
    for (const unsigned char *s = (const unsigned char *)src; *s && o + 7 < cap; s++) {
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c == '\n') {
            dst[o++] = '\\';
            dst[o++] = 'n';
        } else if (c < 0x20) {
            o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
        } else {
            dst[o++] = (char)c;
        }
    }
    dst[o] = '\0';
    return o;
}

void ct__log(int32_t level, const char *module, const char *fmt, ...)
{
    if (!ct__log_enabled(level))
        return;
    char msg[1024];
    char esc[2048];
    char line[2300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ct__json_escape(esc, sizeof(esc), msg);
    snprintf(line, sizeof(line), "{\"ts_ms\":%lld,\"level\":\"%s\",\"module\":\"%s\",\"msg\":\"%s\"}",
             (long long)ct__now_ms(), ct_log_level_name(level), module ? module : "core", esc);
    pthread_mutex_lock(&g_sink_lock); /* not held during the call: a sink may swap the sink */
    ct_log_fn fn = g_fn;
    void *user = g_user;
    pthread_mutex_unlock(&g_sink_lock);
    if (fn)
        fn(user, level, line);
    else
        fprintf(stderr, "%s\n", line);
}

int64_t ct__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double ct__mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
