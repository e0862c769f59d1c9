#!/bin/sh
# Usage: check_package.sh BUILD_DIR SOURCE_DIR CC
# Installs the built library into a temporary prefix and builds the README quick start against it.
set -eu
build=$1
src=$2
cc=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/cryptota-pkg-XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null

# The quick start is the first ```c block after the <!-- quickstart --> marker in README.md.
awk '/<!-- quickstart -->/ {m=1} m && /^```c$/ {p=1; next} p && /^```$/ {exit} p {print}' "$src/README.md" > "$work/quickstart.c"
[ -s "$work/quickstart.c" ] || { echo "README.md has no quick start block"; exit 1; }
data=$CT_DATA_DIR/binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst

# 1. find_package(Cryptota), shared and static
mkdir -p "$work/consumer"
cp "$src/tests/package/consumer/CMakeLists.txt" "$work/consumer/"
cp "$work/quickstart.c" "$work/consumer/"
cmake -S "$work/consumer" -B "$work/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/consumer/build" >/dev/null
out1=$(LD_LIBRARY_PATH="$prefix/lib:$prefix/lib64:${LD_LIBRARY_PATH:-}" "$work/consumer/build/quickstart" "$data")
echo "$out1"
# the same program linked with the static library gives the same output and needs no .so
out_static=$("$work/consumer/build/quickstart_static" "$data")
[ "$out1" = "$out_static" ] || { echo "static and shared builds differ"; exit 1; }
if ldd "$work/consumer/build/quickstart_static" | grep -q libcryptota; then
  echo "quickstart_static links libcryptota.so"; exit 1
fi

# 2. pkg-config --cflags --libs cryptota
pcdir=$(dirname "$(find "$prefix" -name cryptota.pc | head -1)")
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs cryptota)
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/quickstart_pc" "$work/quickstart.c" $flags
out2=$(LD_LIBRARY_PATH="$prefix/lib:$prefix/lib64:${LD_LIBRARY_PATH:-}" "$work/quickstart_pc" "$data")

# Both builds print the same, and the numbers are the file's (58,419 rows, 128 missing bars:
# ../shared/data/README.md).
[ "$out1" = "$out2" ] || { echo "find_package and pkg-config builds differ"; exit 1; }
echo "$out1" | grep -q "58419 rows" || { echo "unexpected row count"; exit 1; }
echo "$out1" | grep -q "128 missing bars" || { echo "unexpected gap count"; exit 1; }
# The quick start backtests rsi: the backtrader reference (207 trades, final equity 2306.95).
echo "$out1" | grep -q "rsi: 207 trades, final equity 2306.95" || { echo "unexpected backtest"; exit 1; }
# The installed headers and library carry the same version.
grep -q "CT_ABI_VERSION" "$prefix/include/cryptota/version.h"
ls "$prefix"/lib*/libcryptota.so.* >/dev/null
ls "$prefix"/lib*/libcryptota.a >/dev/null
echo "ok: installed package builds with find_package and with pkg-config"
