#!/bin/sh
# Run the binding benchmarks (Python, then Node when its npm dependencies are installed).
# Expects CRYPTOTA_LIB, CT_BIND_REF, CT_DATA_DIR and CT_REF_DIR in the environment.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
[ -x "$python" ] || python=python3
"$python" "$here/bench_bindings.py"
if [ -d "$here/../../bindings/node/node_modules/koffi" ]; then
  node "$here/bench_bindings.js"
else
  echo "bench_bindings.js: skipped (run 'npm ci' in bindings/node first)"
fi
