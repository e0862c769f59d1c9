#!/bin/sh
# examples/c/embed.c against the INSTALLED library: `cmake --install` into a temporary prefix,
# then built twice, by a consumer project with find_package(Cryptota) and by
# `cc embed.c $(pkg-config --cflags --libs cryptota)`. Both builds must print the same, and the
# numbers must be what `cryptota backtest` prints for rsi on the candles embed writes out
# (embed_candles.csv: the host arrays, 17 significant digits).
# usage: embed_installed.sh BUILD_DIR SOURCE_DIR CC   (env: CT_CLI)
set -eu
build=$1
src=$2
cc=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/cryptota-embed-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > /dev/null
export LD_LIBRARY_PATH="$prefix/lib:$prefix/lib64:${LD_LIBRARY_PATH:-}"

# 1. find_package(Cryptota)
mkdir -p "$work/consumer" "$work/out1" "$work/out2"
cp "$src/tests/hosts/embed_consumer/CMakeLists.txt" "$src/examples/c/embed.c" "$work/consumer/"
cmake -S "$work/consumer" -B "$work/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$work/consumer/build" > /dev/null
"$work/consumer/build/embed" "$work/out1" > "$work/out1.txt"
cat "$work/out1.txt"

# 2. pkg-config
pcdir=$(dirname "$(find "$prefix" -name cryptota.pc | head -1)")
# --define-prefix: the .pc names the configure-time prefix; derive it from where the file is
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-prefix --cflags --libs cryptota)
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/embed_pc" "$src/examples/c/embed.c" $flags -lm
"$work/embed_pc" "$work/out2" > "$work/out2.txt"
sed "s|$work/out2|DIR|" "$work/out2.txt" > "$work/b.txt"
sed "s|$work/out1|DIR|" "$work/out1.txt" > "$work/a.txt"
cmp -s "$work/a.txt" "$work/b.txt" || fail "find_package and pkg-config builds print different things"
cmp -s "$work/out1/embed_result.json" "$work/out2/embed_result.json" || fail "the two builds' result JSON differ"

# 3. the outputs exist and the numbers are the CLI's on the same candles
for f in embed_report.html embed_result.json embed_candles.csv; do [ -s "$work/out1/$f" ] || fail "no $f"; done
grep -q '<svg' "$work/out1/embed_report.html" || fail "report without charts"
[ "$(wc -l < "$work/out1/embed_candles.csv")" -eq 5001 ] || fail "embed_candles.csv should hold 5000 bars"
"$CT_CLI" backtest "$work/out1/embed_candles.csv" --strategy rsi > "$work/bt.txt"
trades=$(sed -n 's/^trades  *//p' "$work/bt.txt")
final=$(sed -n 's/^final equity  *//p' "$work/bt.txt")
head -1 "$work/out1.txt" | grep -q "^rsi {\"rsi_period\":14,\"oversold\":30,\"overbought\":70,\"fraction\":1}: 5000 bars, $trades trades, final equity $final\$" \
  || fail "embed's summary differs from cryptota backtest ($trades trades, final equity $final)"
[ "$trades" -gt 0 ] || fail "no trades on the synthetic candles"
"$CT_CLI" backtest "$work/out1/embed_candles.csv" --strategy rsi --json "$work/cli.json" > /dev/null
/usr/bin/python3 - "$work/out1/embed_result.json" "$work/cli.json" "$work/out1.txt" <<'PY' || fail "metrics differ from the CLI's"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
printed = dict(l.split() for l in open(sys.argv[3]) if len(l.split()) == 2)
for k in ("total_return", "cagr", "sharpe_ratio", "sortino_ratio", "max_drawdown", "win_rate", "profit_factor", "exposure"):
    assert abs(float(printed[k]) - b["metrics"][k]) <= 1e-6 * max(1.0, abs(b["metrics"][k])), (k, printed[k], b["metrics"][k])
    assert a["metrics"][k] == b["metrics"][k], (k, a["metrics"][k], b["metrics"][k])
assert len(a["trades"]) == len(b["trades"])
PY
echo "ok: embed builds against the installed library both ways and agrees with cryptota backtest"
