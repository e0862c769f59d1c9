#!/bin/sh
# Short CI run of the feed fuzzers (CSV and .ctz readers): builds the library's core and feed
# sources with clang -fsanitize=fuzzer,address,undefined into OUT, generates a seed corpus and
# runs each target for FUZZ_SECONDS (default 20). Skips (exit 0) when clang is missing.
# Usage: run_feed_fuzz.sh SOURCE_DIR OUT_DIR
set -eu
SRC=$1
OUT=$2
SECS=${FUZZ_SECONDS:-20}
CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run_feed_fuzz: $CC not found; skipping the fuzz run (install clang to enable it)"
    exit 0
fi
rm -rf "$OUT/corpus_csv" "$OUT/corpus_ctz"
rm -f "$OUT"/crash-* "$OUT"/leak-* "$OUT"/timeout-* "$OUT"/oom-*
mkdir -p "$OUT/corpus_csv" "$OUT/corpus_ctz"
LIBSRC="$SRC/src/core/alloc.c $SRC/src/core/error.c $SRC/src/core/log.c $SRC/src/core/status.c $SRC/src/core/version.c $SRC/src/feed/*.c"
FLAGS="-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DCT_STATIC -I$SRC/include -I$SRC/src"
# Seeds are written by a normal (non-fuzzer) build of the same sources.
$CC $FLAGS -o "$OUT/make_feed_seeds" "$SRC/tests/fuzz/make_feed_seeds.c" $LIBSRC -lzstd -lm -lpthread
"$OUT/make_feed_seeds" "$OUT/corpus_csv" "$OUT/corpus_ctz"
for t in csv ctz; do
    $CC $FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
        -o "$OUT/fuzz_feed_$t" "$SRC/tests/fuzz/fuzz_feed_$t.c" $LIBSRC -lzstd -lm -lpthread
    echo "run_feed_fuzz: fuzz_feed_$t for ${SECS}s"
    "$OUT/fuzz_feed_$t" -max_total_time="$SECS" -max_len=4096 -rss_limit_mb=1024 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$OUT/" "$OUT/corpus_$t" 2>&1 | tail -n 12
    # the pipe hides libFuzzer's exit status: a failing input leaves an artifact file instead
    for a in "$OUT"/crash-* "$OUT"/leak-* "$OUT"/timeout-* "$OUT"/oom-*; do
        if [ -e "$a" ]; then
            echo "run_feed_fuzz: fuzz_feed_$t found a failing input: $a"
            exit 1
        fi
    done
done
echo "run_feed_fuzz: no crash"
