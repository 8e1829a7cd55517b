#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every message the library and the tools can print is explained in
# docs/troubleshooting.md. The message texts are taken from the code:
#   shim/*.c       string literals given to ljmm_buf_str(), the field names given to
#                  field() (stats.c) and the DEBUG() messages (alloc.c);
#   tools/ljmm-run.in   the die "..." and cannot_run messages, the why=/note= reasons (also in
#                       tools/ljmm-run-elf.sh, pasted into it) and
#                  the answers about the shim;
#   tools/ljmm-maps.c and tools/maps_*.c   ljmm_fail("...") and fprintf(stderr,
#                  "ljmm-maps: ...") formats, the reasons ljmm_read_line() returns for a
#                  malformed line, the probe's (why = "...") and the counters' states.
# A text is split at its variable parts (%s, $var, "..." arguments); every piece with at
# least four letters must appear verbatim in the document.
# Usage: messages_docs.sh SOURCE_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
src=$1
doc=$src/docs/troubleshooting.md
[ -r "$doc" ] || fail "cannot read $doc"
checked=0

# check ORIGIN TEXT: every fixed piece of TEXT is in the document.
check() {
	local origin=$1 text=$2 piece letters
	# Split at printf conversions and shell expansions.
	text=$(sed -e 's/%[-0-9.]*[a-z]*[diouxXscp]/\n/g' -e 's/\$[A-Za-z_][A-Za-z0-9_]*/\n/g' -e 's/\$[0-9@*#?]/\n/g' -e 's/\${[^}]*}/\n/g' <<<"$text")
	while IFS= read -r piece; do
		piece=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e 's/\\n$//' -e 's/\\"/"/g' <<<"$piece")
		letters=$(tr -cd 'A-Za-z' <<<"$piece")
		[ "${#letters}" -ge 4 ] || continue
		checked=$((checked + 1))
		[ -z "${VERBOSE:-}" ] || printf "%s: %s\n" "$origin" "$piece"
		grep -qF -- "$piece" "$doc" || fail_later "$origin: '$piece' is not in docs/troubleshooting.md"
	done <<<"$text"
}

# C string literals on the lines that match PATTERN in FILE (first literal per call).
literals() {
	grep -oE "$2\"([^\"\\\\]|\\\\.)*\"" "$1" | sed -E "s/^.*$2\"//; s/\"\$//"
}

# Every literal on a line that calls ljmm_buf_str (a ternary may choose between two).
for f in "$src"/shim/*.c; do
	while IFS= read -r t; do check "${f#"$src"/}" "$t"; done < <(grep -E 'ljmm_buf_str\(' "$f" | grep -oE '"([^"\\]|\\.)*"' | sed 's/^"//; s/"$//')
done
while IFS= read -r t; do check shim/stats.c "$t="; done < <(literals "$src/shim/stats.c" 'field\(&b, ')
# DEBUG("text", ...) and DEBUG(cond ? "a" : "b", ...)
while IFS= read -r line; do
	while IFS= read -r t; do check shim/alloc.c "$t"; done < <(grep -oE '"([^"\\]|\\.)*"' <<<"$line" | sed 's/^"//; s/"$//')
done < <(grep -E '^\s*DEBUG\(' "$src/shim/alloc.c" | sed -E 's/^\s*DEBUG\(//; s/", *[^"]*$/"/')
while IFS= read -r t; do check tools/ljmm-run.in "ljmm-run: $t"; done < <(grep -oE 'die "([^"\\]|\\.)*"' "$src/tools/ljmm-run.in" | sed 's/^die "//; s/"$//')
# cannot_run STATUS "...", the reasons and notes it assembles them from, and the
# printf formats of the answers about the shim.
while IFS= read -r t; do check tools/ljmm-run.in "ljmm-run: $t"; done < <(grep -oE 'cannot_run "?[$a-z0-9]*"? "([^"\\]|\\.)*"' "$src/tools/ljmm-run.in" | sed 's/^cannot_run [^ ]* "//; s/"$//')
for f in ljmm-run.in ljmm-run-elf.sh; do
	while IFS= read -r t; do check "tools/$f" "$t"; done < <(grep -oE '(why|note|_bit)="([^"\\]|\\.)*"' "$src/tools/$f" | sed -E 's/^(why|note|_bit)="//; s/"$//')
done
while IFS= read -r t; do check tools/ljmm-run.in "$t"; done < <(grep -oE "printf '[^']*the shim w[^']*'" "$src/tools/ljmm-run.in" | sed "s/^printf '//; s/'\$//; s/\\\\n\$//")
for f in "$src"/tools/ljmm-maps.c "$src"/tools/maps_*.c; do
	o=${f#"$src"/}
	while IFS= read -r t; do check "$o" "ljmm-maps: $t"; done < <(literals "$f" 'fail\(')
	while IFS= read -r t; do check "$o" "$t"; done < <(literals "$f" 'fprintf\(stderr, ')
	while IFS= read -r t; do check "$o" "$t"; done < <(grep -oE 'return "([^"\\]|\\.)*"' "$f" | sed 's/^return "//; s/"$//')
	while IFS= read -r t; do check "$o" "$t"; done < <(grep -oE 'why = "([^"\\]|\\.)*"' "$f" | sed 's/^why = "//; s/"$//')
done

# Every example of a library line in the documents has the prefix the library writes
# (log.c): "2026-12-06T20:30:05.123Z [warn] ljmm[4242]: ", the level one of log.c's.
levels=$(sed -n 's/^static const char \*const level_words\[\] = {\(.*\)};/\1/p' "$src/shim/log.c" | tr -d '" ' | tr ',' '|')
[ -n "$levels" ] || fail "no level_words table in shim/log.c"
examples=0
for f in "$src"/README.md "$src"/docs/*.md "$src"/man/ljmm.7 "$src"/packaging/tarball/README; do
	while IFS= read -r line; do
		examples=$((examples + 1))
		grep -qE "^[[:space:]]*(# )?[0-9]{4}\\\\?-[0-9]{2}\\\\?-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z \[($levels)\] ljmm\[[0-9]+\]: " <<<"$line" ||
			fail_later "${f#"$src"/}: an example line without the library's prefix: $line"
	done < <(grep -E '^[[:space:]]*(# )?([0-9][^`]*)?ljmm\[[0-9]+\]: ' "$f" || true)
done
[ "$examples" -gt 5 ] || fail "only $examples example lines found in the documents"

[ "$checked" -gt 50 ] || fail "only $checked message pieces found in the code: has the code's layout changed?"
exit_if_failed "$LJMM_FAILS of $checked message pieces are not explained in docs/troubleshooting.md"
echo "messages: all $checked message pieces of shim/ and tools/ appear in docs/troubleshooting.md; $examples example lines carry the prefix"
