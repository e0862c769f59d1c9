/* libFuzzer target: ct_feed_parse_ctz on arbitrary bytes. The script builds the library with
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION so checksum mismatches do not stop the fuzzer at
 * the hash: it reaches the zstd frames and the column decoders. */
#include <stddef.h>
#include <stdint.h>

#include "cryptota/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ct_feed *f = NULL;
    if (ct_feed_parse_ctz(data, size, &f) == CT_OK) {
        const double *v = ct_feed_volume(f);
        volatile double sum = 0;
        for (int64_t i = 0; i < ct_feed_len(f); i++)
            sum += v[i];
        (void)sum;
    }
    ct_feed_destroy(f);
    return 0;
}
