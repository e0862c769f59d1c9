/* Helpers shared by the Check suites: data paths, a failing allocator, float comparison. */
#ifndef CT_TEST_UTIL_H
#define CT_TEST_UTIL_H

#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "cryptota/cryptota.h"

/* Path of a file under ../shared/data/candles (or $CT_DATA_DIR); static buffer per call slot. */
const char *ct_test_data(const char *name);
/* Path of a file under ../shared/reference (or $CT_REF_DIR). */
const char *ct_test_ref(const char *name);
/* A fresh temporary directory for this test (removed by the OS tmp cleaner; tests remove their files). */
const char *ct_test_tmpdir(void);
/* Read a whole file (zstd-decompressed when it ends in .zst); caller frees with free(). */
char *ct_test_read_file(const char *path, size_t *len);

/* The failing allocator: fails allocation number `fail_at` (0-based) and every one after it
 * when sticky. Counts live blocks so a test can check that nothing leaked. */
void ct_test_failalloc_install(int64_t fail_at);
void ct_test_failalloc_remove(void);
int64_t ct_test_failalloc_count(void);  /* allocations attempted since install */

/* A candle file of ct_test_data(name), gaps kept (the test fails if it does not load). */
ct_feed *ct_test_load_feed(const char *name);
/* The rows of `got` equal rows [lo, lo + n) of `src` exactly (interval, and memcmp of every column). */
void ct_test_assert_same_rows(const ct_feed *got, const ct_feed *src, int64_t lo, int64_t n);

/* a == b within 1e-9 absolute + rel relative; NaN equals NaN. */
int ct_test_close(double a, double b, double rel);

#define ck_assert_ok(expr)                                                                      \
    do {                                                                                        \
        ct_status st_ = (expr);                                                                 \
        ck_assert_msg(st_ == CT_OK, "%s -> %s: %s", #expr, ct_status_name(st_), ct_last_error()); \
    } while (0)

#define ck_assert_status(expr, want)                                                            \
    do {                                                                                        \
        ct_status st_ = (expr);                                                                 \
        ck_assert_msg(st_ == (want), "%s -> %s (want %s): %s", #expr, ct_status_name(st_),      \
                      ct_status_name(want), ct_last_error());                                   \
    } while (0)

/* Runs one suite with CK_NORMAL output and returns the process exit code. */
int ct_test_run(Suite *s);

#endif
