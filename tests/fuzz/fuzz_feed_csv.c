/* libFuzzer target: ct_feed_parse_csv on arbitrary bytes, with every gap policy. */
#include <stddef.h>
#include <stdint.h>

#include "cryptota/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ct_feed *f = NULL;
    int32_t policy = size ? data[0] % 3 : 0;
    if (ct_feed_parse_csv((const char *)data, size, "FUZZ", 0, policy, &f) == CT_OK) {
        /* touch every row so ASan sees any bad column */
        const double *c = ct_feed_close(f);
        volatile double sum = 0;
        for (int64_t i = 0; i < ct_feed_len(f); i++)
            sum += c[i];
        (void)sum;
        ct_feed *r = NULL;
        if (ct_feed_interval_ms(f) > 0 && ct_feed_interval_ms(f) < INT64_MAX / 4)
            ct_feed_resample(f, 3 * ct_feed_interval_ms(f), CT_RESAMPLE_PARTIAL, &r);
        ct_feed_destroy(r);
    }
    ct_feed_destroy(f);
    return 0;
}
