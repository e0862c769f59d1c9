#!/bin/sh
# usage: doc_block.sh PAGE.md MARKER FILE
# The first fenced code block after MARKER in PAGE.md must equal FILE byte for byte, so the page
# shows exactly the code the build compiles.
set -eu
page=$1
marker=$2
file=$3
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
awk -v m="$marker" 'index($0, m) == 1 {f=1; next} f && /^```/ && !p {p=1; next} p && /^```$/ {exit} p {print}' "$page" > "$tmp"
[ -s "$tmp" ] || { echo "FAIL: no code block after '$marker' in $page"; exit 1; }
if ! cmp -s "$tmp" "$file"; then
  echo "FAIL: the block after '$marker' in $page differs from $file:"
  diff "$tmp" "$file" || true
  exit 1
fi
echo "ok: $page shows $file"
