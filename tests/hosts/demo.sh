#!/usr/bin/env bash
# `cryptota demo` (DESIGN.md section 14) as `make demo` runs it, in a temporary working directory
# with a temporary cache:
#   1. against the local Binance mock ($CRYPTOTA_BINANCE_URL) with the window ending 2024-04-01
#      ($CRYPTOTA_DEMO_END; the mock's data ends 2024-04-21): the candles are the file's rows of
#      the 365 days before, the printed numbers are those `cryptota backtest` gives on the cached
#      candles, and a second run reads the cache without asking the mock for klines again;
#   2. with --data FILE (`make demo DATA=FILE`): the whole 1h file, whose rsi backtest is the
#      backtrader reference (bt_next_open_*_1h_*.json: 207 trades, final equity 2306.953851...);
#   3. without network (the base URL is a closed local port): one line on stderr naming the
#      `make demo DATA=...` form, non-zero exit.
# Both successful runs must write demo/report.html and demo/result.json that parse.
# usage: demo.sh   (env: CT_CLI, CT_DATA_DIR, CT_SOURCE_DIR)
set -euo pipefail
py=/usr/bin/python3
data="$CT_DATA_DIR/binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"
tmp="$(mktemp -d)"
mock_pid=""
cleanup() { [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

check_outputs() { # DIR: report.html is one complete HTML page with SVG charts; result.json parses
  local d="$1"
  [ -s "$d/demo/report.html" ] || fail "no $d/demo/report.html"
  [ -s "$d/demo/result.json" ] || fail "no $d/demo/result.json"
  "$py" - "$d/demo/result.json" "$d/demo/report.html" "$2" <<'PY' || fail "demo outputs of $d"
import json, sys
from html.parser import HTMLParser
r = json.load(open(sys.argv[1]))
assert r["strategy"] == "rsi", r["strategy"]
assert r["parameters"] == {"rsi_period": 14, "oversold": 30, "overbought": 70, "fraction": 1}, r["parameters"]
assert len(r["trades"]) == int(sys.argv[3]), (len(r["trades"]), sys.argv[3])
class P(HTMLParser):
    tags = set()
    def handle_starttag(self, tag, attrs): self.tags.add(tag)
p = P(); p.feed(open(sys.argv[2]).read()); p.close()
assert {"html", "svg", "table"} <= p.tags, p.tags
PY
}

# ---- 1. against the mock ----
"$py" "$CT_SOURCE_DIR/tests/mock/binance_mock.py" --data "$CT_DATA_DIR" --port 0 > "$tmp/mock.out" &
mock_pid=$!
for _ in $(seq 100); do grep -q '^PORT ' "$tmp/mock.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^PORT //p' "$tmp/mock.out")
[ -n "$port" ] || fail "the mock did not start"
url="http://127.0.0.1:$port"
mkdir -p "$tmp/run1" "$tmp/cache"
end_ms=1711929600000    # 2024-04-01T00:00:00Z
start_ms=$((end_ms - 365 * 86400000))
(cd "$tmp/run1" && CRYPTOTA_BINANCE_URL="$url" XDG_CACHE_HOME="$tmp/cache" CRYPTOTA_DEMO_END=2024-04-01 \
  "$CT_CLI" demo > out.txt 2> err.txt) || { cat "$tmp/run1/err.txt" >&2; fail "demo against the mock"; }
out="$tmp/run1/out.txt"
cat "$out"
# the candles: the file's rows with open time in [end - 365 days, end) (ct_fetcher_klines: end exclusive)
rows=$(zstd -dc "$data" | awk -F, -v a="$start_ms" -v b="$end_ms" 'NR > 1 && $1 >= a && $1 < b' | wc -l)
[ "$rows" -gt 8000 ] || fail "window has only $rows rows in the file"
grep -q "^candles   BTCUSDT 1h, $rows bars, 2023-04-02T00:00:00Z \.\. 2024-03-31T23:00:00Z" "$out" \
  || fail "demo candles line (want $rows bars from 2023-04-02 to 2024-03-31T23:00)"
cached="$tmp/cache/cryptota/spot/BTCUSDT_1h.ctz"
[ -s "$cached" ] || fail "no cache file $cached"
# the numbers: what `cryptota backtest` prints for rsi on the same (cached) candles
"$CT_CLI" backtest "$cached" --strategy rsi > "$tmp/bt.txt"
trades=$(sed -n 's/^trades  *//p' "$tmp/bt.txt")
final=$(sed -n 's/^final equity  *//p' "$tmp/bt.txt")
[ -n "$trades" ] && [ "$trades" -gt 0 ] || fail "backtest of the cached candles has no trades"
grep -q "^equity    $final final" "$out" || fail "demo final equity (want $final)"
grep -Eq "total_trades +$trades( |$)" "$out" || fail "metrics table total_trades (want $trades)"
grep -q "^trades    $trades round trips" "$out" || fail "trades summary (want $trades)"
grep -Eq "sharpe_ratio +-?[0-9]" "$out" || fail "metrics table lacks sharpe_ratio"
check_outputs "$tmp/run1" "$trades"
# a second run reads the cache: no kline request reaches the mock
curl -s -X POST -d '{}' "$url/__reset" > /dev/null
mkdir -p "$tmp/run2"
(cd "$tmp/run2" && CRYPTOTA_BINANCE_URL="$url" XDG_CACHE_HOME="$tmp/cache" CRYPTOTA_DEMO_END=2024-04-01 \
  "$CT_CLI" demo > out.txt 2> err.txt) || fail "second demo run"
cmp -s <(grep -v '^source' "$tmp/run1/out.txt") <(grep -v '^source' "$tmp/run2/out.txt") || fail "second run differs"
klines=$(curl -s "$url/__log" | "$py" -c 'import json,sys; print(sum("klines" in r["path"] for r in json.load(sys.stdin)["requests"]))')
[ "$klines" = 0 ] || fail "second run asked the mock for klines $klines times (the cache should serve them)"
kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true; mock_pid=""

# ---- 2. DATA=FILE ----
mkdir -p "$tmp/run3"
(cd "$tmp/run3" && "$CT_CLI" demo --data "$data" > out.txt) || fail "demo --data"
grep -q '^candles   BTCUSDT 1h, 58419 bars' "$tmp/run3/out.txt" || fail "demo --data candles"
grep -q '^equity    2306.95 final' "$tmp/run3/out.txt" || fail "demo --data final equity (backtrader: 2306.95)"
grep -Eq 'total_trades +207( |$)' "$tmp/run3/out.txt" || fail "demo --data total_trades (backtrader: 207)"
grep -q '^trades    207 round trips' "$tmp/run3/out.txt" || fail "demo --data trades summary"
check_outputs "$tmp/run3" 207

# ---- 3. no network, no DATA ----
closed=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
mkdir -p "$tmp/run4"
if (cd "$tmp/run4" && CRYPTOTA_BINANCE_URL="http://127.0.0.1:$closed" XDG_CACHE_HOME="$tmp/cache4" \
    "$CT_CLI" demo > out.txt 2> err.txt); then fail "demo without network succeeded"; fi
cat "$tmp/run4/err.txt"
[ "$(wc -l < "$tmp/run4/err.txt")" -eq 1 ] || fail "no-network message is not one line"
grep -q 'make demo DATA=' "$tmp/run4/err.txt" || fail "no-network message lacks the DATA= form"
[ ! -e "$tmp/run4/demo" ] || fail "demo wrote outputs without data"
echo "demo: ok"
