#!/usr/bin/env bash
# `cryptota strategies` and `cryptota backtest` (DESIGN.md section 13) run as a user would:
# tables, JSON, the CSV columns, the plugin option and clear errors with a non-zero exit.
# Expected numbers come from the backtrader reference (bt_next_open_*_1h_*.json: 207 trades,
# final equity 2306.953851274986) and from the file sizes (58419 bars).
# usage: cli_engine.sh PLUGIN.so   (env: CT_CLI, CT_DATA_DIR)
set -euo pipefail
plugin="$1"
data="$CT_DATA_DIR/binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# strategies: every built-in, in the table and in the JSON
"$CT_CLI" strategies > "$tmp/s.txt"
for n in rsi rsi_ma rsi_divergence sma_cross macd_cross bbands_reversion grid buy_hold; do
  grep -q "^$n\$" "$tmp/s.txt" || fail "strategies table lacks $n"
done
"$CT_CLI" strategies --json > "$tmp/s.json"
grep -q '"name":"rsi_period","kind":"int","default":14' "$tmp/s.json" || fail "strategies --json lacks the rsi schema"
"$CT_CLI" strategies --plugin "$plugin" > "$tmp/sp.txt"
grep -q '^plugin_sma_touch (plugin)$' "$tmp/sp.txt" || fail "plugin class not listed"

# backtest with every output
"$CT_CLI" backtest "$data" --strategy rsi --params '{"rsi_period":14}' --config '{"fill":"next_open"}' \
  --trades "$tmp/t.csv" --equity "$tmp/e.csv" --json "$tmp/r.json" > "$tmp/out.txt"
grep -q '^trades            207$' "$tmp/out.txt" || fail "summary trade count"
grep -q '^final equity      2306.95$' "$tmp/out.txt" || fail "summary final equity"
head -1 "$tmp/t.csv" | grep -qx 'entry_time_ms,exit_time_ms,entry_bar,exit_bar,side,qty,entry_price,exit_price,entry_commission,exit_commission,pnl_gross,pnl_net,return,bars_held,mae,mfe' || fail "trades header"
[ "$(wc -l < "$tmp/t.csv")" -eq 208 ] || fail "trades rows"
head -2 "$tmp/t.csv" | tail -1 | grep -q '^1503090000000,1503622800000,41,189,1,2.48792399014045' || fail "first trade"
head -1 "$tmp/e.csv" | grep -qx 'time_ms,equity' || fail "equity header"
[ "$(wc -l < "$tmp/e.csv")" -eq 58420 ] || fail "equity rows"
tail -1 "$tmp/e.csv" | grep -q ',2306.9538512749' || fail "last equity"
grep -q '"strategy"' "$tmp/r.json" || fail "result JSON"
"$CT_CLI" backtest "$data" --strategy sma_cross --report "$tmp/r.html" > /dev/null
grep -qi '<svg' "$tmp/r.html" || fail "--report HTML"
"$CT_CLI" backtest "$data" --strategy rsi --json - > "$tmp/stdout.json"
[ "$(head -c 1 "$tmp/stdout.json")" = "{" ] || fail "--json - to stdout"

# a plugin strategy through --plugin
"$CT_CLI" backtest "$data" --strategy plugin_sma_touch --plugin "$plugin" --params '{"period":50}' > "$tmp/p.txt"
grep -q '^strategy          plugin_sma_touch {"period":50,"band":0.01}$' "$tmp/p.txt" || fail "plugin backtest"

# errors: non-zero exit and a message naming the problem
if "$CT_CLI" backtest "$data" --strategy nope 2> "$tmp/err"; then fail "unknown strategy accepted"; fi
grep -q "nope" "$tmp/err" || fail "unknown strategy message"
if "$CT_CLI" backtest "$data" --strategy rsi --params '{"oversold":500}' 2> "$tmp/err"; then fail "bad param accepted"; fi
grep -q "oversold" "$tmp/err" || fail "bad param message"
if "$CT_CLI" backtest "$data" --strategy rsi --config '{"comission":0.1}' 2> "$tmp/err"; then fail "bad key accepted"; fi
grep -q "comission" "$tmp/err" || fail "bad config message"
if "$CT_CLI" backtest "$data" 2> /dev/null; then fail "missing --strategy accepted"; fi
echo "cli_engine: ok"
