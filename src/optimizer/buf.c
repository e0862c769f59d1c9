/* A growable text buffer for the optimizer's JSON and CSV documents (library allocator). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/opt_internal.h"

static int sbuf_reserve(ct__sbuf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return 0;
        }
        cap *= 2;
    }
    char *p = ct__realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void ct__sbuf_putn(ct__sbuf *b, const char *s, size_t n)
{
    if (!sbuf_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void ct__sbuf_puts(ct__sbuf *b, const char *s) { ct__sbuf_putn(b, s, strlen(s)); }

void ct__sbuf_printf(ct__sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof(tmp)) {
        ct__sbuf_putn(b, tmp, (size_t)n);
        return;
    }
    if (!sbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ct__sbuf_num(ct__sbuf *b, double v)
{
    if (!isfinite(v)) {
        ct__sbuf_puts(b, "null");
        return;
    }
    /* the shortest of 15, 16, 17 significant digits that reads back as the same double */
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (prec == 17 || strtod(tmp, NULL) == v)
            break;
    }
    ct__sbuf_puts(b, tmp);
}

void ct__sbuf_str(ct__sbuf *b, const char *s)
{
    ct__sbuf_putn(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': ct__sbuf_putn(b, "\\\"", 2); break;
        case '\\': ct__sbuf_putn(b, "\\\\", 2); break;
        case '\n': ct__sbuf_putn(b, "\\n", 2); break;
        case '\r': ct__sbuf_putn(b, "\\r", 2); break;
        case '\t': ct__sbuf_putn(b, "\\t", 2); break;
        default:
            if (*p < 0x20)
                ct__sbuf_printf(b, "\\u%04x", (unsigned)*p);
            else
                ct__sbuf_putn(b, (const char *)p, 1);
        }
    }
    ct__sbuf_putn(b, "\"", 1);
}

char *ct__sbuf_take(ct__sbuf *b)
{
    if (!b->oom && !b->p)
        sbuf_reserve(b, 0);
    if (b->oom) {
        ct__sbuf_free(b);
        return NULL;
    }
    if (b->len == 0)
        b->p[0] = '\0';
    char *p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void ct__sbuf_free(ct__sbuf *b)
{
    ct__free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}
