#!/bin/sh
# ABI baseline check with libabigail (STYLE.md R10, docs/abi.md).
#   abi.sh check LIB    compare the built LIB with the committed tests/abi/libcryptota.abi (the
#                       api_abidiff test). An incompatible change fails unless CT_ABI_VERSION was
#                       bumped (the SONAMEs differ); added functions pass.
#   abi.sh update LIB   rewrite tests/abi/libcryptota.abi from LIB (the abi-baseline target).
# Both sides are written by abidw with the same options, restricted to the types and functions of
# include/cryptota/*.h and free of paths of the build machine. LIB needs DWARF (CT_ABI_DEBUGINFO).
# Fields appended to a struct that starts with struct_size are compatible (docs/abi.md):
# drop_appended.py hides them from abidiff. libcryptota.abignore suppresses the experimental ct_x_*.
# ABIDW, ABIDIFF and PYTHON3 name the tools (CMake passes what it found).
set -eu
mode=${1:-}
so=${2:-}
case "$mode" in check|update) ;; *) echo "usage: $0 check|update LIB" >&2; exit 2 ;; esac
[ -n "$so" ] || { echo "usage: $0 check|update LIB" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
baseline=$here/libcryptota.abi
suppr=$here/libcryptota.abignore
abidw=${ABIDW:-abidw}
abidiff=${ABIDIFF:-abidiff}
python3=${PYTHON3:-python3}

for t in "$abidw" "$abidiff"; do
  if ! command -v "$t" >/dev/null 2>&1; then
    echo "$t not found: install Debian's abigail-tools (sh cmake/install-deps.sh test)"; exit 1
  fi
done
if [ "$mode" = check ] && ! command -v "$python3" >/dev/null 2>&1; then
  echo "$python3 not found: install Debian's python3 (sh cmake/install-deps.sh test)"; exit 1
fi
[ -f "$so" ] || { echo "$so: no such library (build the cryptota target first)"; exit 1; }
# Without DWARF abidw sees only symbol names: no types, so a changed signature would pass.
if ! LC_ALL=C readelf -S "$so" | grep -q '\.debug_info'; then
  echo "$so has no DWARF debug info: configure with -DCT_ABI_DEBUGINFO=ON (the default when tests are built)"
  exit 1
fi

# Writes the ABI of library $1 to $2. Source locations, the architecture and DT_NEEDED are left
# out, so an edit of a .c file or a new dependency does not churn the committed file, and
# translation units are named without their directory (--short-locs).
dump() {
  "$abidw" --headers-dir "$top/include/cryptota" --drop-private-types --drop-undefined-syms \
    --no-corpus-path --no-comp-dir-path --short-locs --no-show-locs --no-elf-needed \
    --no-architecture --type-id-style hash --out-file "$2" "$1"
}
soname() {
  sed -n "s/^<abi-corpus .*soname='\([^']*\)'.*/\1/p" "$1" | head -n 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
dump "$so" "$tmp/built.abi"
if grep -qF "$top" "$tmp/built.abi" || grep -q "='/" "$tmp/built.abi"; then
  echo "abidw output contains an absolute path: check the abidw options in $0"; exit 1
fi

if [ "$mode" = update ]; then
  cp "$tmp/built.abi" "$baseline"
  n=$(grep -c '<elf-symbol ' "$baseline" || true)
  echo "wrote tests/abi/libcryptota.abi: $(soname "$baseline"), $n symbols"
  exit 0
fi

[ -f "$baseline" ] || { echo "$baseline is missing: run the abi-baseline target"; exit 1; }
old=$(soname "$baseline")
new=$(soname "$tmp/built.abi")
if [ "$old" != "$new" ]; then
  # A bumped CT_ABI_VERSION allows any change; the baseline then describes the old ABI.
  echo "CT_ABI_VERSION was bumped: the baseline is $old, the library is $new."
  echo "The baseline must be regenerated: cmake --build <build-dir> --target abi-baseline"
  echo "(or sh tests/abi/abi.sh update <build-dir>/lib/libcryptota.so) and committed."
  "$abidiff" --stat --ignore-soname --suppressions "$suppr" "$baseline" "$tmp/built.abi" || true
  exit 0
fi

"$python3" "$here/drop_appended.py" "$baseline" "$tmp/built.abi" "$tmp/cmp.abi" >"$tmp/appended.txt"

# abidiff's exit status is a bit mask: 1 error, 2 usage error, 4 ABI change, 8 incompatible
# change. A change counts as compatible only when nothing but added symbols (and appended
# fields, already hidden) is reported.
rc=0
"$abidiff" --suppressions "$suppr" "$baseline" "$tmp/cmp.abi" >"$tmp/all.txt" 2>&1 || rc=$?
if [ $((rc & 3)) -ne 0 ]; then
  echo "abidiff failed (exit status $rc):"; cat "$tmp/all.txt"; exit 1
fi
rc2=0
if [ "$rc" -ne 0 ]; then
  "$abidiff" --no-added-syms --suppressions "$suppr" "$baseline" "$tmp/cmp.abi" >"$tmp/breaks.txt" 2>&1 || rc2=$?
fi
if [ "$rc2" -eq 0 ]; then
  if [ "$rc" -eq 0 ] && [ ! -s "$tmp/appended.txt" ]; then
    echo "ok: the ABI of $new matches tests/abi/libcryptota.abi"
    exit 0
  fi
  echo "ok: compatible changes since tests/abi/libcryptota.abi (regenerate it at the next release):"
  [ "$rc" -eq 0 ] || cat "$tmp/all.txt"
  if [ -s "$tmp/appended.txt" ]; then
    echo "fields appended to struct_size-versioned structs:"; sed 's/^/  /' "$tmp/appended.txt"
  fi
  exit 0
fi
echo "INCOMPATIBLE ABI CHANGE against tests/abi/libcryptota.abi ($old):"
cat "$tmp/breaks.txt"
echo "Restore the old interface, or if the break is intended bump CT_ABI_VERSION in"
echo "include/cryptota/version.h and regenerate the baseline (cmake --build <build-dir> --target abi-baseline)."
exit 1
