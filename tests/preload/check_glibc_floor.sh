#!/bin/sh
# SPDX-License-Identifier: MIT
# The glibc floor: every file given (the preload library, the tools) imports no glibc
# symbol version newer than GLIBC_2.17 (RHEL/CentOS 7), whatever glibc built it. The
# versions are read from the dynamic section's version references (objdump -p), which
# list every version any imported symbol needs.
# Usage: check_glibc_floor.sh FILE...   (exit 77 when the files are not linked to glibc)
set -eu
ceiling=2.17
fail=0
checked=0
for f in "$@"; do
  refs=$(objdump -p "$f" | awk '/^Version References:/ { on = 1; next } on && /required from/ { lib = $3 } on && $NF ~ /^GLIBC_[0-9]/ { print lib, $NF }')
  if ! objdump -p "$f" | grep 'NEEDED' | grep 'libc\.so\.6' >/dev/null; then
    echo "$f: not linked to glibc's libc.so.6; skipped"
    continue
  fi
  checked=$((checked + 1))
  newest=$(printf '%s\n' "$refs" | awk '{ sub(/^GLIBC_/, "", $2); print $2 }' | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)
  over=$(printf '%s\n' "$refs" | awk -v c="$ceiling" '
    function cmp(a, b,  x, y, i, n) { n = split(a, x, "."); split(b, y, ".")
      for (i = 1; i <= 3; i++) { if ((x[i] + 0) != (y[i] + 0)) return (x[i] + 0) - (y[i] + 0) } return 0 }
    { v = $2; sub(/^GLIBC_/, "", v); if (cmp(v, c) > 0) print $1 " " $2 }')
  if [ -n "$over" ]; then
    echo "FAIL: $f needs a glibc newer than $ceiling:"
    printf '%s\n' "$over" | sed 's/^/  /'
    objdump -T "$f" | awk -v c="$ceiling" '$0 ~ /GLIBC_2\.(1[89]|[2-9][0-9])/ { print "  symbol: " $NF " " $(NF-1) }'
    fail=1
  else
    echo "$f: newest glibc version needed: GLIBC_${newest:-none} (ceiling GLIBC_$ceiling)"
  fi
done
[ "$checked" -gt 0 ] || { echo "SKIP: no file is linked to glibc (a musl build?)"; exit 77; }
exit "$fail"
