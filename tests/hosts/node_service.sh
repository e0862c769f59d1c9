#!/bin/bash
# The Node HTTP service (examples/node/service): its `node --test` suite, then the curl block of
# its README run against a live server on a free loopback port. Installs the binding's npm
# dependencies first when they are missing.   (env: CT_SOURCE_DIR, CRYPTOTA_LIB, CT_DATA_DIR)
set -euo pipefail
svc="$CT_SOURCE_DIR/examples/node/service"
if [ ! -d "$CT_SOURCE_DIR/bindings/node/node_modules/koffi" ]; then
  (cd "$CT_SOURCE_DIR/bindings/node" && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd "$svc" && node --test test/)

tmp="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PORT=0 CRYPTOTA_DATA_DIR="$CT_DATA_DIR" node "$svc/server.js" > "$tmp/server.out" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$tmp/server.out" 2>/dev/null && break; sleep 0.1; done
api=$(sed -n 's/.*listening on //p' "$tmp/server.out")
[ -n "$api" ] || fail "the service did not start"
awk '/<!-- service:curl -->/ {f=1; next} f && /^```sh$/ {p=1; next} p && /^```$/ {exit} p {print}' "$svc/README.md" > "$tmp/curl.sh"
[ -s "$tmp/curl.sh" ] || fail "README has no curl block"
API="$api" timeout 120 bash -euo pipefail "$tmp/curl.sh" > "$tmp/out.txt" || fail "the README's curl block"
grep -q '"status":"ok"' "$tmp/out.txt" || fail "README block: /health"
grep -q '^event: done' "$tmp/out.txt" || fail "README block: the event stream did not end with done"
tail -1 "$tmp/out.txt" | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["status"] == "done" and j["result"]["total"] == 6 and len(j["result"]["rows"]) == 6, j
' || fail "README block: the job result"
echo "node service: ok"
