/*
 * Slow reference implementations of some indicators, written straight from their definitions
 * (fresh sums and scans per window, no running state), used by the tests to cross-check the
 * fast batch and streaming code (Tulip's indicator_ref). Same calling convention as
 * ct_indicator_run with validated, filled-in options.
 */
#ifndef CT_IND_REF_H
#define CT_IND_REF_H

#include <stdint.h>

#include "cryptota/status.h"

typedef ct_status (*ct__ind_ref_fn)(int64_t n, const double *const *in, const double *opt, double *const *out);

/* The reference of the indicator called `name`, or NULL if it has none. */
ct__ind_ref_fn ct__ind_ref_find(const char *name);

#endif /* CT_IND_REF_H */
