/* TEMPORARY: placeholders until the CSV/.ctz/transform modules land. Delete this file then. */
#include "feed/feed_internal.h"

ct_status ct_feed_load(const char *path, int32_t gap_policy, ct_feed **out)
{ (void)path; (void)gap_policy; if (out) *out = NULL; return ct__fail(NULL, CT_E_UNSUPPORTED, "not yet"); }
ct_status ct_feed_parse_csv(const char *text, size_t len, const char *symbol, int64_t interval_ms, int32_t gap_policy, ct_feed **out)
{ (void)text; (void)len; (void)symbol; (void)interval_ms; (void)gap_policy; if (out) *out = NULL; return ct__fail(NULL, CT_E_UNSUPPORTED, "not yet"); }
ct_status ct_feed_parse_ctz(const void *data, size_t len, ct_feed **out)
{ (void)data; (void)len; if (out) *out = NULL; return ct__fail(NULL, CT_E_UNSUPPORTED, "not yet"); }
ct_status ct_feed_save(const ct_feed *f, const char *path)
{ (void)f; (void)path; return ct__fail(NULL, CT_E_UNSUPPORTED, "not yet"); }
ct_status ct_feed_resample(const ct_feed *f, int64_t interval_ms, uint32_t flags, ct_feed **out)
{ (void)f; (void)interval_ms; (void)flags; if (out) *out = NULL; return ct__fail(NULL, CT_E_UNSUPPORTED, "not yet"); }
ct_status ct_feed_slice(const ct_feed *f, int64_t start_ms, int64_t end_ms, ct_feed **out)
{ (void)f; (void)start_ms; (void)end_ms; if (out) *out = NULL; return ct__fail(NULL, CT_E_UNSUPPORTED, "not yet"); }
