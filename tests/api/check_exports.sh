#!/bin/sh
# The shared object exports only ct_ symbols, and every function a public header declares with
# CT_API is exported (curl tests 1119/1167).
set -eu
so=$1
incdir=$2
bad=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBRVW]/ {print $3}' | sed 's/@.*//' | grep -v '^ct_' | grep -v '^CRYPTOTA_' || true)
if [ -n "$bad" ]; then
  echo "exported symbols without the ct_ prefix:"; echo "$bad"; exit 1
fi
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | sed 's/@.*//' | sort -u)
declared=$(ls "$incdir"/*.h | grep -v /export.h | xargs cat | tr '\n' ' ' | grep -o 'CT_API[^;(]*(' | sed 's/($//' | awk '{print $NF}' | tr -d '*' | sort -u)
missing=""
for d in $declared; do
  case "$d" in ct_*) ;; *) echo "declaration without ct_ prefix: $d"; exit 1 ;; esac
  echo "$exported" | grep -qx "$d" || missing="$missing $d"
done
if [ -n "$missing" ]; then
  echo "declared in public headers but not exported:$missing"; exit 1
fi
n=$(echo "$exported" | grep -c '^ct_' || true)
echo "ok: $n exported symbols, all ct_; every CT_API declaration is exported"
