/* JSON-line logging with a host sink; stderr at warning level by default (DESIGN.md 10). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "internal/ct_internal.h"

static const char *const k_level_names[] = {"trace", "debug", "info", "warn", "error", "off"};

/* the host sink; a line takes a consistent (fn, user) pair even while a host swaps the sink */
static pthread_mutex_t g_sink_lock = PTHREAD_MUTEX_INITIALIZER;
static ct_log_fn g_fn;
static void *g_user;
static atomic_int g_level = -1; /* -1: not read from CRYPTOTA_LOG yet */

/* Held lines (ct_log_hold), in the order they took the lock; depth, list and counts under
 * g_sink_lock (the depth is also read without it, to allocate a line's node outside the lock:
 * the host allocator is not called under it). */
typedef struct held_line {
    struct held_line *next;
    int32_t level;
    char text[];
} held_line;
#define CT__HOLD_CAP ((size_t)8 << 20) /* bytes of text kept; later lines are counted, not kept */
static atomic_int g_hold;
static held_line *g_held, **g_held_tail = &g_held;
static size_t g_held_bytes;
static int64_t g_held_dropped;

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
    int len = snprintf(line, sizeof(line), "{\"ts_ms\":%lld,\"level\":\"%s\",\"module\":\"%s\",\"msg\":\"%s\"}",
                       (long long)ct__now_ms(), ct_log_level_name(level), module ? module : "core", esc);
    size_t n = len < 0 ? 0 : (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1;
    held_line *h = NULL;
    int tried = 0; /* the node is allocated outside the lock (the host allocator is not called under it) */
    for (;;) {
        if (!tried && atomic_load(&g_hold) > 0) {
            h = ct__malloc(sizeof(held_line) + n + 1);
            tried = 1;
        }
        pthread_mutex_lock(&g_sink_lock); /* not held during the call: a sink may swap the sink */
        if (tried || atomic_load(&g_hold) == 0)
            break;
        pthread_mutex_unlock(&g_sink_lock); /* a hold began meanwhile: allocate, then look again */
    }
    if (atomic_load(&g_hold) > 0) {
        if (h && g_held_bytes + n <= CT__HOLD_CAP) {
            h->next = NULL;
            h->level = level;
            memcpy(h->text, line, n + 1);
            *g_held_tail = h;
            g_held_tail = &h->next;
            g_held_bytes += n;
            h = NULL;
        } else {
            g_held_dropped++; /* out of room or of memory: counted, reported at the release */
        }
        pthread_mutex_unlock(&g_sink_lock);
        ct__free(h);
        return;
    }
    ct_log_fn fn = g_fn;
    void *user = g_user;
    pthread_mutex_unlock(&g_sink_lock);
    ct__free(h); /* the hold ended meanwhile */
    if (fn)
        fn(user, level, line);
    else
        fprintf(stderr, "%s\n", line);
}

ct_status ct_log_hold(void)
{
    pthread_mutex_lock(&g_sink_lock);
    int depth = atomic_load(&g_hold);
    if (depth < INT32_MAX)
        atomic_store(&g_hold, depth + 1);
    pthread_mutex_unlock(&g_sink_lock);
    if (depth == INT32_MAX)
        return ct__fail(NULL, CT_E_STATE, "ct_log_hold: %d holds are open", (int)depth);
    return CT_OK;
}

ct_status ct_log_release(void)
{
    pthread_mutex_lock(&g_sink_lock);
    int depth = atomic_load(&g_hold);
    if (depth == 0) {
        pthread_mutex_unlock(&g_sink_lock);
        return ct__fail(NULL, CT_E_STATE, "ct_log_release: no ct_log_hold is open");
    }
    atomic_store(&g_hold, depth - 1);
    held_line *list = NULL;
    int64_t dropped = 0;
    if (depth == 1) { /* the outermost hold: take the lines */
        list = g_held;
        dropped = g_held_dropped;
        g_held = NULL;
        g_held_tail = &g_held;
        g_held_bytes = 0;
        g_held_dropped = 0;
    }
    ct_log_fn fn = g_fn;
    void *user = g_user;
    pthread_mutex_unlock(&g_sink_lock);
    while (list) {
        held_line *next = list->next;
        if (fn)
            fn(user, list->level, list->text);
        else
            fprintf(stderr, "%s\n", list->text);
        ct__free(list);
        list = next;
    }
    if (dropped > 0)
        ct__log(CT_LOG_WARN, "log", "%lld log lines were dropped while held (more than %zu bytes, or out of memory)",
                (long long)dropped, CT__HOLD_CAP);
    return CT_OK;
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

int ct__online_cpus(void)
{
    static atomic_int cached;
    int c = atomic_load_explicit(&cached, memory_order_relaxed);
    if (c == 0) {
        long v = sysconf(_SC_NPROCESSORS_ONLN);
        c = v < 1 ? 1 : v > 1024 ? 1024 : (int)v;
        atomic_store_explicit(&cached, c, memory_order_relaxed);
    }
    return c;
}
