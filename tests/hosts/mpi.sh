#!/bin/sh
# examples/c/mpi_optimize.c: a 54-combination rsi grid on the BTCUSDT 1h candles spread over 2 MPI
# ranks on this machine (each rank runs its library shard, rank 0 merges). The merged table
# (CSV and JSON, overfitting statistics included) must equal, byte for byte, what one
# `cryptota optimize` process writes for the same grid and objective.
# usage: mpi.sh MPIEXEC MPI_OPTIMIZE   (env: CT_CLI, CT_DATA_DIR)
set -eu
mpiexec=$1
prog=$2
data="$CT_DATA_DIR/binance_BTCUSDT_1h_2017-08-17_2024-04-21.csv.zst"
grid='{"rsi_period":{"from":10,"to":20,"step":2},"oversold":[25,30,35],"overbought":[65,70,75]}'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# A local run in a container: root is allowed (CI), no ssh/rsh launcher is needed for one node,
# and the shared-memory transport carries the messages.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_plm_rsh_agent=false \
  OMPI_MCA_btl=self,vader OMPI_MCA_rmaps_base_oversubscribe=1
"$mpiexec" --allow-run-as-root --oversubscribe -np 2 "$prog" "$data" --strategy rsi --grid "$grid" \
  --metric sharpe_ratio --csv "$tmp/mpi.csv" --json "$tmp/mpi.json" > "$tmp/out.txt" || fail "mpirun"
cat "$tmp/out.txt"
grep -q '^2 ranks: 54 combinations, 54 evaluated, 0 skipped; objective sharpe_ratio (maximize)$' "$tmp/out.txt" \
  || fail "summary line"
"$CT_CLI" optimize "$data" --strategy rsi --grid "$grid" --metric sharpe_ratio --threads 2 \
  --csv "$tmp/one.csv" --json "$tmp/one.json" > /dev/null || fail "cryptota optimize"
[ "$(wc -l < "$tmp/one.csv")" -eq 55 ] || fail "single-process table should have 54 rows"
cmp "$tmp/one.csv" "$tmp/mpi.csv" || fail "MPI table (CSV) differs from the single-process one"
cmp "$tmp/one.json" "$tmp/mpi.json" || fail "MPI table (JSON) differs from the single-process one"
# the best row printed by rank 0 is the single run's best
best=$(/usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["best"]["parameters"], separators=(",", ":")))' "$tmp/one.json")
grep -q "^  1  #[0-9]* .* $best\$" "$tmp/out.txt" || fail "rank 0's best row is not $best"
echo "mpi: ok"
