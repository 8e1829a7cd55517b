#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shim's files depend one way: shim/README.md lists them so that each uses only
# files listed below it. Every #include "x.h" in shim/*.c and shim/*.h must name a file
# listed at or below the including file (x.h belongs to x.c; probe.h, the layout of the
# probe that stats.c fills in and defines, belongs to stats.c; internal.h and the public
# header are for everyone; layout.h, header-only, is its own row, the table's last, and
# includes nothing of the shim). Also: every .c file is in the table, no .c file is over
# 400 lines, and each starts (after its SPDX line) with a comment that states its job.
# Usage: layers_check.sh SOURCE_DIR
set -euo pipefail
src=$1
readme=$src/shim/README.md
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

mapfile -t order < <(sed -n 's/^| `\([a-z_]*\.c\)` |.*/\1/p; s/^| `\(layout\.h\)` |.*/\1/p' "$readme")
[ "${#order[@]}" -gt 10 ] || fail "no file table in $readme"
declare -A rank
for i in "${!order[@]}"; do rank[${order[$i]}]=$i; done

owner() {
	case $1 in
	internal.h | ../include/ljmm.h) echo - ;;
	probe.h) echo stats.c ;;
	layout.h) echo layout.h ;;
	*.h) echo "${1%.h}.c" ;;
	esac
}

for f in "$src"/shim/*.c "$src"/shim/*.h; do
	base=${f##*/}
	self=$base
	case $base in *.h) self=$(owner "$base") ;; esac
	[ "$self" = - ] && continue
	if [ -z "${rank[$self]+set}" ]; then
		fail_later "shim/$base: ${self} is not in the table of shim/README.md"
		continue
	fi
	while read -r inc; do
		dep=$(owner "$inc")
		[ "$dep" = - ] && continue
		if [ -z "${rank[$dep]+set}" ]; then
			fail_later "shim/$base includes $inc, whose file $dep is not in the table"
		elif [ "${rank[$dep]}" -lt "${rank[$self]}" ]; then
			fail_later "shim/$base ($self) includes $inc: $dep is listed above $self, a dependency pointing up"
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done

for f in "$src"/shim/*.c; do
	base=${f##*/}
	n=$(wc -l <"$f")
	[ "$n" -le 400 ] || fail_later "shim/$base has $n lines (at most 400: one job per file)"
	# Line 2 opens the comment that says what the file is for.
	sed -n 2p "$f" | grep -E '^/\* [A-Z]' >/dev/null || fail_later "shim/$base: no opening comment stating its job on line 2"
done
# tools/: one job per file too, at most 600 lines (issue 18), the sh template included.
for f in "$src"/tools/*.c "$src"/tools/*.h "$src"/tools/*.in "$src"/tools/*.sh; do
	[ -e "$f" ] || continue
	n=$(wc -l <"$f")
	[ "$n" -le 600 ] || fail_later "tools/${f##*/} has $n lines (at most 600: one job per file)"
done
for c in "${order[@]}"; do
	[ -e "$src/shim/$c" ] || fail_later "shim/README.md lists $c, which does not exist"
done

exit_if_failed "$LJMM_FAILS problem(s)"
echo "layers: ${#order[@]} files, every include pointing down the table of shim/README.md, none over 400 lines; none in tools/ over 600"
