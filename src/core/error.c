/* Thread-local and per-handle error messages (STYLE.md R3). */
#include <stdio.h>
#include <string.h>

#include "internal/ct_internal.h"

static _Thread_local char tl_msg[CT__ERRMSG_SIZE];

const char *ct_last_error(void) { return tl_msg; }

void ct_clear_error(void) { tl_msg[0] = '\0'; }

ct_status ct__vfail(ct__err *h, ct_status s, const char *fmt, va_list ap)
{
    char buf[CT__ERRMSG_SIZE];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    memcpy(tl_msg, buf, sizeof(buf));
    if (h)
        memcpy(h->msg, buf, sizeof(buf));
    ct__log(CT_LOG_DEBUG, "error", "%s: %s", ct_status_name(s), buf);
    return s;
}

ct_status ct__fail(ct__err *h, ct_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ct__vfail(h, s, fmt, ap);
    va_end(ap);
    return s;
}

ct_status ct__propagate(ct__err *h, ct_status s)
{
    if (h && h->msg != tl_msg)
        memcpy(h->msg, tl_msg, sizeof(tl_msg));
    return s;
}
