#!/bin/sh
# usage: check_api_pages.sh CC INCLUDE_DIR LIBRARY PAGES_DIR WORK_DIR [CFLAG...]
# The function pages docs/api/<fn>.md (STYLE.md R15, curl's docs/libcurl/*.md) cannot drift:
# every page has the seven sections in order, NAME names the page's function, each declaration
# of its SYNOPSIS block equals one in the public headers (whitespace-insensitive, CT_API
# dropped), and its EXAMPLE block compiles with -std=c11 -Wall -Wextra -Werror (plus the build's
# sanitizer flags, passed as CFLAGs) against LIBRARY and runs with exit status 0, leaving no
# allocation of the library live (its main runs under a driver that then reads
# ct_alloc_live_count: LeakSanitizer misses blocks whose pointers linger in main's dead frame).
# The examples read candles from $CT_DATA_DIR and run in their own directory under WORK_DIR.
# README.md is the index: it must link every page, and every public function must have a page.
set -eu
cc=$1
inc=$2
lib=$3
pages=$4
work=$5
shift 5
libdir=$(dirname "$lib")
rm -rf "$work"
mkdir -p "$work"

# One normalized declaration per line: CT_API and comments dropped, whitespace collapsed and
# removed around punctuation.
norm() {
  tr '\n\t' '  ' | sed -e 's:/\*[^*]*\*/: :g' -e 's/CT_API / /g' -e 's/  */ /g' \
    -e 's/ *\([(),*;]\) */\1/g' -e 's/^ //' -e 's/ $//' | tr ';' '\n' | sed -e 's/^ //' -e '/^$/d'
}
for h in "$inc"/cryptota/*.h; do
  awk '/^CT_API / {d = 1} d {print} d && /;/ {d = 0}' "$h"
done | norm | sort -u > "$work/decls.txt"
[ -s "$work/decls.txt" ] || { echo "FAIL: no CT_API declaration found under $inc"; exit 1; }

# block FILE HEADING: the first ```c block after the line "# HEADING".
block() {
  awk -v h="# $2" '$0 == h {f = 1; next} f && /^```c$/ && !p {p = 1; next} p && /^```$/ {exit} p {print}' "$1"
}

cat > "$work/driver.c" <<'EOF'
#include <stdio.h>

#include "cryptota/cryptota.h"

int ct_doc_example_main(void);

int main(void)
{
    int rc = ct_doc_example_main();
    long long live = (long long)ct_alloc_live_count();
    if (rc == 0 && live != 0) {
        fprintf(stderr, "the example left %lld allocations of the library live (a missing destroy or ct_free)\n", live);
        return 1;
    }
    return rc;
}
EOF

fail=0
n=0
for page in "$pages"/*.md; do
  fn=$(basename "$page" .md)
  [ "$fn" = README ] && continue
  n=$((n + 1))
  bad() { echo "FAIL: $page: $*"; fail=1; }

  got=$(awk '/^```/ {fence = !fence; next} !fence && /^# / {print substr($0, 3)}' "$page" | tr '\n' '/')
  want="NAME/SYNOPSIS/DESCRIPTION/DEFAULT/EXAMPLE/AVAILABILITY/RETURN VALUE/"
  [ "$got" = "$want" ] || bad "sections are '$got', want '$want'"
  awk '$0 == "# NAME" {getline; getline; print; exit}' "$page" | grep -q "^$fn - " ||
    bad "the line after '# NAME' must start with '$fn - '"
  grep -q "^Added-in: " "$page" || bad "no 'Added-in:' line in the header block"
  grep -q "($fn\.md)" "$pages/README.md" || bad "not listed in $pages/README.md"

  block "$page" SYNOPSIS | grep -v '^#' | norm > "$work/$fn.syn"
  [ -s "$work/$fn.syn" ] || bad "no declaration in the SYNOPSIS block"
  grep -Eq "(^|[^A-Za-z0-9_])$fn\(" "$work/$fn.syn" || bad "SYNOPSIS does not declare $fn"
  while IFS= read -r d; do
    grep -Fxq -- "$d" "$work/decls.txt" || bad "SYNOPSIS '$d;' matches no declaration in the headers"
  done < "$work/$fn.syn"

  mkdir -p "$work/$fn"
  block "$page" EXAMPLE > "$work/$fn/example.c"
  if [ ! -s "$work/$fn/example.c" ]; then
    bad "no \`\`\`c block under '# EXAMPLE'"
  elif ! "$cc" -std=c11 -Wall -Wextra -Werror "$@" -I"$inc" -Dmain=ct_doc_example_main -c "$work/$fn/example.c" \
         -o "$work/$fn/example.o" > "$work/$fn/cc.log" 2>&1 ||
       ! "$cc" -std=c11 -Wall -Wextra -Werror "$@" -I"$inc" "$work/$fn/example.o" "$work/driver.c" \
         -o "$work/$fn/example_checked" "$lib" -Wl,-rpath,"$libdir" -lm >> "$work/$fn/cc.log" 2>&1; then
    bad "EXAMPLE does not compile:"
    cat "$work/$fn/cc.log"
  elif ! (cd "$work/$fn" && ./example_checked) > "$work/$fn/run.log" 2>&1; then
    bad "EXAMPLE exits non-zero; its output:"
    cat "$work/$fn/run.log"
  fi
done
[ "$n" -gt 0 ] || { echo "FAIL: no page in $pages"; exit 1; }
# every public function has its page (a new function comes with one)
sed -n 's/^[^(]*[ *]\(ct_[a-z0-9_]*\)(.*/\1/p' "$work/decls.txt" | sort -u > "$work/functions.txt"
while IFS= read -r fn; do
  [ -f "$pages/$fn.md" ] || { echo "FAIL: $fn (include/cryptota) has no page $pages/$fn.md"; fail=1; }
done < "$work/functions.txt"
[ "$fail" -eq 0 ] || exit 1
echo "ok: $n pages in $pages: sections, synopses and examples; every one of the $(wc -l < "$work/functions.txt") public functions has its page"
