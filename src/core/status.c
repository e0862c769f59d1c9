/* Status code names and descriptions (static tables, STYLE.md R3). */
#include <stddef.h>

#include "cryptota/status.h"

typedef struct {
    ct_status code;
    const char *name;
    const char *text;
} status_info;

static const status_info k_status[] = {
    {CT_OK, "CT_OK", "success"},
    {CT_E_INVALID_ARG, "CT_E_INVALID_ARG", "invalid argument"},
    {CT_E_NOMEM, "CT_E_NOMEM", "out of memory"},
    {CT_E_RANGE, "CT_E_RANGE", "value out of range"},
    {CT_E_STATE, "CT_E_STATE", "operation not allowed in the current state"},
    {CT_E_NOT_FOUND, "CT_E_NOT_FOUND", "not found"},
    {CT_E_IO, "CT_E_IO", "input/output error"},
    {CT_E_NET, "CT_E_NET", "network error"},
    {CT_E_FORMAT, "CT_E_FORMAT", "malformed input"},
    {CT_E_CORRUPT, "CT_E_CORRUPT", "corrupted or truncated data"},
    {CT_E_DATA, "CT_E_DATA", "candles break a validation rule"},
    {CT_E_HTTP, "CT_E_HTTP", "server returned an error"},
    {CT_E_RATE_LIMIT, "CT_E_RATE_LIMIT", "rate limited or banned by the server"},
    {CT_E_UNSUPPORTED, "CT_E_UNSUPPORTED", "not supported"},
    {CT_E_PLUGIN, "CT_E_PLUGIN", "strategy callback or plugin failed"},
    {CT_E_CANCELLED, "CT_E_CANCELLED", "cancelled"},
    {CT_E_INTERNAL, "CT_E_INTERNAL", "internal error"},
};

static const status_info *find_status(ct_status s)
{
    for (size_t i = 0; i < sizeof(k_status) / sizeof(k_status[0]); i++)
        if (k_status[i].code == s)
            return &k_status[i];
    return NULL;
}

const char *ct_status_name(ct_status s)
{
    const status_info *i = find_status(s);
    return i ? i->name : "CT_E_UNKNOWN";
}

const char *ct_status_str(ct_status s)
{
    const status_info *i = find_status(s);
    return i ? i->text : "unknown status code";
}
