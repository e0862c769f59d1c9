#!/bin/sh
# Run the Node binding's tests: install its npm dependencies when node_modules is missing
# (koffi, and typescript for the index.d.ts check; versions pinned by package-lock.json), then
# `node --test` and the TypeScript check of index.d.ts.
set -eu
dir=$1
cd "$dir"
if [ ! -d node_modules/koffi ] || [ ! -d node_modules/typescript ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node --test test/*.test.js
node_modules/.bin/tsc -p test/tsconfig.json
