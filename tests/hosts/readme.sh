#!/usr/bin/env bash
# README.md's quick starts are run as written: the Python and Node blocks on the BTCUSDT 1h file
# (their rsi backtest is the backtrader reference: 207 trades, final equity 2306.95), and the REST
# block against a live service (python3 -m cryptota_service, what `make serve` runs) whose Binance
# URL is the local mock. The C block is built and run by tests/package/check_package.sh.
# usage: readme.sh   (env: CT_SOURCE_DIR, CT_DATA_DIR, CRYPTOTA_LIB)
set -euo pipefail
src="$CT_SOURCE_DIR"
py=/usr/bin/python3
data="$CT_DATA_DIR/binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
block() { # the first fenced block after the marker line
  awk -v m="$1" 'index($0, m) == 1 {f=1; next} f && /^```/ && !p {p=1; next} p && /^```$/ {exit} p {print}' "$src/README.md"
}
block '<!-- readme:python -->' > "$tmp/quickstart.py"
block '<!-- readme:node -->' > "$tmp/quickstart.js"
block '<!-- readme:rest -->' > "$tmp/rest.sh"
for f in quickstart.py quickstart.js rest.sh; do [ -s "$tmp/$f" ] || fail "README.md has no $f block"; done
[ "$(wc -l < "$tmp/quickstart.py")" -le 12 ] && [ "$(wc -l < "$tmp/quickstart.js")" -le 12 ] || fail "quick starts should stay about 10 lines"

# ---- Python, from the repository root as the README says ----
mkdir -p "$tmp/py"
(cd "$tmp/py" && PYTHONPATH="$src/bindings/python" "$py" "$tmp/quickstart.py" "$data") > "$tmp/py.txt" || fail "Python quick start"
cat "$tmp/py.txt"
grep -q '^BTCUSDT 1h 58419 bars, last RSI [0-9.]*$' "$tmp/py.txt" || fail "Python: feed line"
grep -q '^207 trades, final equity 2306.95$' "$tmp/py.txt" || fail "Python: backtest line"
grep -q "^best {'rsi_period': [0-9]*, 'oversold': [0-9.]*, 'overbought': 70.*} of 6$" "$tmp/py.txt" || fail "Python: optimize line"
grep -q '<svg' "$tmp/py/report.html" || fail "Python: report.html"

# ---- Node: require('./bindings/node') resolves from the repository root ----
[ -d "$src/bindings/node/node_modules/koffi" ] || (cd "$src/bindings/node" && npm ci --no-audit --no-fund --loglevel=error)
(cd "$src" && node - "$data" < "$tmp/quickstart.js") > "$tmp/node.txt" || fail "Node quick start"
cat "$tmp/node.txt"
grep -q '^BTCUSDT 1h: 58419 bars, last RSI [0-9.]*$' "$tmp/node.txt" || fail "Node: feed line"
grep -q '^207 trades, final equity 2306.95$' "$tmp/node.txt" || fail "Node: backtest line"
grep -q '^best {"rsi_period":[0-9]*,"oversold":[0-9.]*,"overbought":70.*} of 6$' "$tmp/node.txt" || fail "Node: optimize line"
# both bindings agree on the line they share
[ "$(sed -n 3p "$tmp/py.txt" | awk '{print $2, $5}')" = "$(sed -n 3p "$tmp/node.txt" | sed 's/,//' | awk '{print $2, $5}')" ] \
  || fail "Python and Node print different sharpe / max drawdown"

# ---- REST: the service as `make serve` runs it, on a free port, Binance = the mock ----
"$py" "$src/tests/mock/binance_mock.py" --data "$CT_DATA_DIR" --port 0 > "$tmp/mock.out" &
pids+=($!)
for _ in $(seq 100); do grep -q '^PORT ' "$tmp/mock.out" 2>/dev/null && break; sleep 0.1; done
mport=$(sed -n 's/^PORT //p' "$tmp/mock.out")
[ -n "$mport" ] || fail "the Binance mock did not start"
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
mkdir -p "$tmp/svc" "$tmp/rest"
(cd "$tmp/svc" && CRYPTOTA_LIB="$CRYPTOTA_LIB" CRYPTOTA_DATA_DIR="$tmp/svc" CRYPTOTA_BINANCE_URL="http://127.0.0.1:$mport" \
  PYTHONPATH="$src/bindings/python:$src/examples/python/service" PORT="$port" HOST=127.0.0.1 \
  exec "$py" -m cryptota_service) > "$tmp/svc.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$port/health" > /dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/health" > /dev/null || { cat "$tmp/svc.log" >&2; fail "the REST service did not start"; }
(cd "$tmp/rest" && API="http://127.0.0.1:$port" timeout 120 bash -euo pipefail "$tmp/rest.sh") > "$tmp/rest.txt" \
  || { cat "$tmp/svc.log" >&2; fail "REST quick start"; }
"$py" - "$tmp/rest/result.json" <<'PY' || fail "REST: result.json"
import json, sys
doc = json.load(open(sys.argv[1]))
r = doc.get("result", doc)
assert r["strategy"] == "rsi" and r["parameters"]["rsi_period"] == 14, r.get("parameters")
assert len(r["trades"]) > 0 and "sharpe_ratio" in r["metrics"]
PY
grep -qi '<svg' "$tmp/rest/report.html" || fail "REST: report.html"
echo "readme: ok"
