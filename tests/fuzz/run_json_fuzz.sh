#!/bin/sh
# Short CI run of the JSON fuzzers: the kline page parser and the fetcher configuration
# (fuzz_json_klines, fuzz_json_fetcher), the engine configuration (fuzz_json_engine), strategy
# parameters of every built-in class (fuzz_json_strategy), optimizer search spaces
# (fuzz_json_grid) and shard merging (fuzz_json_merge).
#
# Builds every library source once with clang -fsanitize=fuzzer-no-link,address,undefined into
# OUT/obj (reused while the sources are unchanged), links each target, writes the seed corpora
# with make_json_seeds (a normal ASan build on the same objects) and runs each target for
# FUZZ_SECONDS (default 12). A crash, leak, timeout or failed invariant leaves an artifact in OUT
# and fails the test. Skips (exit 0) when clang is missing.
# Usage: run_json_fuzz.sh SOURCE_DIR OUT_DIR
# Env: FUZZ_SECONDS, FUZZ_TARGETS ("klines fetcher engine strategy grid merge"), FUZZ_CC, FUZZ_JOBS,
# FUZZ_CFLAGS (extra flags for the library, e.g. -fsanitize-recover=float-cast-overflow to look past
# a known finding in a longer local run).
set -eu
SRC=$1
OUT=$2
SECS=${FUZZ_SECONDS:-12}
CC=${FUZZ_CC:-clang}
JOBS=${FUZZ_JOBS:-2}
TARGETS=${FUZZ_TARGETS:-klines fetcher engine strategy grid merge}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run_json_fuzz: $CC not found; skipping the fuzz run (install clang to enable it)"
    exit 0
fi
if ! command -v pkg-config >/dev/null 2>&1; then
    echo "run_json_fuzz: pkg-config not found; skipping the fuzz run"
    exit 0
fi
mkdir -p "$OUT/obj"
rm -f "$OUT"/crash-* "$OUT"/leak-* "$OUT"/timeout-* "$OUT"/oom-*

DEPS="libzstd libcurl libcjson openblas"
DEPCFLAGS=$(pkg-config --cflags $DEPS)
DEPLIBS="$(pkg-config --libs $DEPS) -llapacke -lm -lpthread -ldl"
FLAGS="-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DCT_STATIC -DCT_BUILDING_LIBRARY -I$SRC/include -I$SRC/src $DEPCFLAGS"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# -w: the library is warning-checked by the main build; clang only adds noise here
LIBFLAGS="$FLAGS $SAN -fsanitize=fuzzer-no-link -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -w ${FUZZ_CFLAGS:-}"

# ---- the library, instrumented; rebuilt only when a source, header or the flags change ----
LIBSRC=$(find "$SRC/src" -name '*.c' | LC_ALL=C sort)
STAMP=$( (echo "$CC $LIBFLAGS"; find "$SRC/src" "$SRC/include" -name '*.[ch]' | LC_ALL=C sort | xargs cat) | cksum)
if [ ! -f "$OUT/obj/stamp" ] || [ "$(cat "$OUT/obj/stamp")" != "$STAMP" ]; then
    echo "run_json_fuzz: compiling the library with $CC (fuzzer instrumentation)"
    rm -f "$OUT"/obj/*.o "$OUT/obj/stamp"
    # object names: the path below src/ with '/' turned into '_'
    for f in $LIBSRC; do
        rel=${f#"$SRC"/src/}
        echo "$f $OUT/obj/$(echo "$rel" | tr / _).o"
    done | xargs -P "$JOBS" -n 2 sh -c "$CC $LIBFLAGS -c \"\$0\" -o \"\$1\""
    echo "$STAMP" >"$OUT/obj/stamp"
fi
OBJS=$(ls "$OUT"/obj/*.o)

# ---- seeds: a plain ASan program over the same objects writes OUT/corpus_<target> ----
$CC $FLAGS $SAN -o "$OUT/make_json_seeds" "$SRC/tests/fuzz/make_json_seeds.c" $OBJS $DEPLIBS
for t in $TARGETS; do
    rm -rf "$OUT/corpus_$t"
    mkdir -p "$OUT/corpus_$t"
done
ASAN_OPTIONS=detect_leaks=1 "$OUT/make_json_seeds" "$OUT"

# ---- the targets ----
for t in $TARGETS; do
    $CC $FLAGS $SAN -fsanitize=fuzzer -o "$OUT/fuzz_json_$t" "$SRC/tests/fuzz/fuzz_json_$t.c" $OBJS $DEPLIBS
done
for t in $TARGETS; do
    # shard documents are a few kB each: the merge target needs room for two or three of them
    MAXLEN=8192
    [ "$t" = merge ] && MAXLEN=16384
    echo "run_json_fuzz: fuzz_json_$t for ${SECS}s"
    rc=0
    "$OUT/fuzz_json_$t" -max_total_time="$SECS" -max_len=$MAXLEN -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -dict="$SRC/tests/fuzz/json.dict" -artifact_prefix="$OUT/" "$OUT/corpus_$t" >"$OUT/fuzz_json_$t.log" 2>&1 || rc=$?
    tail -n 6 "$OUT/fuzz_json_$t.log"
    if [ "$rc" -ne 0 ]; then
        echo "run_json_fuzz: fuzz_json_$t exited with status $rc (log: $OUT/fuzz_json_$t.log)"
        grep -m 20 -E "ERROR|invariant|SUMMARY|runtime error" "$OUT/fuzz_json_$t.log" || true
        ls "$OUT"/crash-* "$OUT"/leak-* "$OUT"/timeout-* "$OUT"/oom-* 2>/dev/null || true
        exit 1
    fi
    # a failing input also leaves an artifact file
    for a in "$OUT"/crash-* "$OUT"/leak-* "$OUT"/timeout-* "$OUT"/oom-*; do
        if [ -e "$a" ]; then
            echo "run_json_fuzz: fuzz_json_$t found a failing input: $a"
            grep -m 20 -E "ERROR|invariant|SUMMARY|runtime error" "$OUT/fuzz_json_$t.log" || true
            exit 1
        fi
    done
done
echo "run_json_fuzz: no crash"
