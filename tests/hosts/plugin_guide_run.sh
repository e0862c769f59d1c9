#!/usr/bin/env bash
# Runs the shell blocks of docs/plugin-guide.md: "Try them" (with build/ = the test build and
# candles.csv.zst = the BTCUSDT 1h file) and the out-of-tree `cc` build of the plugin against an
# installed copy; checks the figures the page quotes (1,179 trades ending at 74,640.42 for
# plugin_sma_cross 10/30; 2,088 ending at 283.09 for plugin_macd_rsi), which
# tests/hosts/check_plugins.c confirms against an independent loop.
# usage: plugin_guide_run.sh BUILD_DIR SOURCE_DIR   (env: CT_DATA_DIR)
set -euo pipefail
build=$1
src=$2
data="$CT_DATA_DIR/binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
page="$src/docs/plugin-guide.md"
awk '/^## Try them/ {f=1} f && /^```sh$/ {p=1; next} p && /^```$/ {exit} p {print}' "$page" \
  | grep -v '^make build$' | sed "s|build/|$build/|g; s|candles.csv.zst|$data|g" > "$tmp/try.sh"
[ -s "$tmp/try.sh" ] || fail "no 'Try them' block"
(cd "$tmp" && bash -euo pipefail "$tmp/try.sh") > "$tmp/try.txt" || fail "the 'Try them' commands"
grep -q '^plugin_sma_cross (plugin)$' "$tmp/try.txt" || fail "strategies --plugin lists plugin_sma_cross"
grep -q '^strategy          plugin_sma_cross {"fast":20,"slow":100}$' "$tmp/try.txt" || fail "sma_cross 20/100 backtest"
grep -q '^strategy          plugin_macd_rsi ' "$tmp/try.txt" || fail "macd_rsi backtest"
grep -q '^trades            2088$' "$tmp/try.txt" && grep -q '^final equity      283.09$' "$tmp/try.txt" \
  || fail "macd_rsi figures quoted on the page"
[ -s "$tmp/sma.html" ] || fail "--report sma.html"
"$build/bin/cryptota" backtest "$data" --plugin "$build/plugins/sma_cross.so" --strategy plugin_sma_cross > "$tmp/def.txt"
grep -q '^trades            1179$' "$tmp/def.txt" && grep -q '^final equity      74640.42$' "$tmp/def.txt" \
  || fail "sma_cross default figures quoted on the page"

# out of the tree: the page's cc line against an installed copy, then loaded by the CLI
cmake --install "$build" --prefix "$tmp/prefix" > /dev/null
cp "$src/examples/c/plugins/sma_cross.c" "$tmp/"
cc_line=$(awk '/^## Building one outside the tree/ {f=1} f && /^```sh$/ {p=1; next} p && /^```$/ {exit} p {print}' "$page")
pcdir=$(dirname "$(find "$tmp/prefix" -name cryptota.pc | head -1)")
# the .pc file names the configure-time prefix: let pkg-config derive it from the file's place
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nexec %s --define-prefix "$@"\n' "$(command -v pkg-config)" > "$tmp/bin/pkg-config"
chmod +x "$tmp/bin/pkg-config"
(cd "$tmp" && PATH="$tmp/bin:$PATH" PKG_CONFIG_PATH="$pcdir" sh -c "$cc_line") || fail "the page's cc line"
LD_LIBRARY_PATH="$tmp/prefix/lib:$tmp/prefix/lib64" "$build/bin/cryptota" backtest "$data" --plugin "$tmp/sma_cross.so" \
  --strategy plugin_sma_cross > "$tmp/oot.txt" || fail "out-of-tree plugin"
cmp -s "$tmp/def.txt" <(sed "s|$tmp/sma_cross.so|$build/plugins/sma_cross.so|" "$tmp/oot.txt") || grep -q '^trades            1179$' "$tmp/oot.txt" \
  || fail "out-of-tree plugin gives other trades"
echo "plugin guide: ok"
