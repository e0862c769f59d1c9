#!/bin/sh
# docs/symbols-in-versions.txt names every ct_/CT_ symbol of the stable public headers, with the
# release that introduced it (curl's symbols-in-versions, checked as curl test 1119 does).
# A symbol is any ct_/CT_ identifier in a header outside comments, strings and #if conditions:
# functions, types, macros and enum values. The experimental API (experimental.h, ct_x_*) may
# change in any minor release and is not listed (STYLE.md R11).
# Fails when a header declares a symbol the file lacks, when the file lists a symbol no header
# declares (unless it has a Removed version), or when a line is malformed, duplicated or out of
# order.
set -eu
incdir=$1
list=$2

# Identifiers of the headers, one per line.
declared=$(ls "$incdir"/*.h | grep -v '/experimental\.h$' | LC_ALL=C xargs awk '
  FNR == 1 { incomment = 0 }
  {
    # Drop /* */ comments, which may span lines.
    line = $0; out = ""
    while (line != "") {
      if (incomment) {
        i = index(line, "*/")
        if (i == 0) { line = ""; break }
        line = substr(line, i + 2); incomment = 0
      } else {
        i = index(line, "/*")
        if (i == 0) { out = out line; line = "" }
        else { out = out substr(line, 1, i - 1) " "; line = substr(line, i + 2); incomment = 1 }
      }
    }
    gsub(/"[^"]*"/, "\"\"", out)
    # Of a directive only a #define declares: keep its name. Conditions test macros the user or
    # the build defines (CT_STATIC, CT_BUILDING_LIBRARY), which the headers do not declare.
    if (out ~ /^[ \t]*#/) {
      if (match(out, /^[ \t]*#[ \t]*define[ \t]+[A-Za-z_][A-Za-z0-9_]*/)) {
        out = substr(out, RSTART, RLENGTH); sub(/^.*define[ \t]+/, "", out)
      } else {
        out = ""
      }
    }
    while (match(out, /[A-Za-z_][A-Za-z0-9_]*/)) {
      id = substr(out, RSTART, RLENGTH); out = substr(out, RSTART + RLENGTH)
      if (id ~ /^(ct|CT)_/ && id !~ /^ct_x_/) print id
    }
  }' | LC_ALL=C sort -u)

# Symbol lines start in column 1 (the header text is indented, as in curl's file):
# Name Introduced [Deprecated|-] [Removed].
bad=$(LC_ALL=C awk '
  /^[A-Za-z_]/ {
    v = "^[0-9]+[.][0-9]+([.][0-9]+)?$"
    if (NF < 2 || NF > 4 || $2 !~ v || (NF >= 3 && $3 != "-" && $3 !~ v) || (NF == 4 && $4 !~ v))
      print "malformed line " NR ": " $0
    else if ($1 in seen)
      print "duplicate symbol line " NR ": " $1
    else if (prev != "" && $1 < prev)
      print "line " NR ": " $1 " is out of order (after " prev ")"
    seen[$1] = 1; prev = $1
  }' "$list")
if [ -n "$bad" ]; then
  echo "$list:"; echo "$bad"; exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "$declared" >"$tmp/declared"
awk '/^[A-Za-z_]/ && NF < 4 { print $1 }' "$list" | LC_ALL=C sort -u >"$tmp/listed"
awk '/^[A-Za-z_]/ && NF == 4 { print $1 }' "$list" | LC_ALL=C sort -u >"$tmp/removed"

missing=$(LC_ALL=C sort -u "$tmp/listed" "$tmp/removed" | LC_ALL=C comm -23 "$tmp/declared" -)
stale=$(LC_ALL=C comm -13 "$tmp/declared" "$tmp/listed")
back=$(LC_ALL=C comm -12 "$tmp/declared" "$tmp/removed")
fail=0
if [ -n "$missing" ]; then
  echo "declared in $incdir but missing from $list (add them with the version that introduces them):"
  echo "$missing"; fail=1
fi
if [ -n "$stale" ]; then
  echo "listed in $list but declared by no public header (fix the name, or give it a Removed version):"
  echo "$stale"; fail=1
fi
if [ -n "$back" ]; then
  echo "marked removed in $list but still declared:"; echo "$back"; fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "ok: $(wc -l <"$tmp/listed") symbols listed, $(wc -l <"$tmp/removed") removed; the headers declare no other"
