#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/lib/common.sh under every shell that sources it (bash, and /bin/sh: dash on
# Debian): each helper's output, exit status and clean-up, including the cases that
# used to differ between the copies it replaced (the median of an even count, a key
# that is the prefix of another, a value with a glob character, a handler that must
# run when the script fails or is killed).
# Usage: common_test.sh     (exit 0 pass, 1 fail)
# The scripts under test are single-quoted on purpose: common.sh is sourced inside them.
# shellcheck disable=SC2016
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib=$here/common.sh
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$lib"
work=""
make_tmpdir work common-test

shells=(bash)
for s in dash sh busybox; do
	if command -v "$s" >/dev/null 2>&1 && [ "$(readlink -f "$(command -v "$s")")" != "$(readlink -f "$(command -v bash)")" ]; then
		[ "$s" = busybox ] && { busybox sh -c : 2>/dev/null || continue; }
		shells+=("$s")
		break
	fi
done
checks=0

# run SHELL SCRIPT: SCRIPT (with common.sh sourced first) in SHELL; sets out, rc.
run() {
	local sh=$1
	rc=0
	if [ "$sh" = busybox ]; then
		out=$(cd "$work" && busybox sh -c ". '$lib'; $2" 2>&1) || rc=$?
	else
		out=$(cd "$work" && "$sh" -c ". '$lib'; $2" 2>&1) || rc=$?
	fi
}

# expect SHELL SCRIPT RC OUTPUT: the script exits with RC and prints exactly OUTPUT.
expect() {
	run "$1" "$2"
	checks=$((checks + 1))
	if [ "$rc" != "$3" ] || [ "$out" != "$4" ]; then
		fail "[$1] $2
      expected exit $3 and output [$4]
      got      exit $rc and output [$out]"
	fi
}

for sh in "${shells[@]}"; do
	# median: odd, even (the mean of the two middle values), unsorted, decimals,
	# negatives, exponents, stdin with blank lines, none at all.
	expect "$sh" 'median 3 1 2' 0 2
	expect "$sh" 'median 4 1 3 2' 0 2.5
	expect "$sh" 'median 10 20' 0 15
	expect "$sh" 'median 2860.5 2796.25 3000' 0 2860.5
	expect "$sh" 'median -3 -1 -2 -4' 0 -2.5
	expect "$sh" 'median 1e3 2e3' 0 1500
	expect "$sh" 'median 3363510 3363511' 0 3363510.5
	expect "$sh" 'printf "5\n\n1\n3\n9\n" | median' 0 4
	expect "$sh" 'median </dev/null; echo "[$?]"' 0 '[0]'
	expect "$sh" 'median 1 abc 3' 2 'median: not a number: "abc"'
	expect "$sh" 'median "1 2"' 2 'median: not a number: "1 2"'
	expect "$sh" 'median 1 ""' 0 1

	# kv: the first exact key; a key that prefixes another; absent keys; defaults;
	# tokens with glob characters; several lines; IFS and noglob left as they were.
	line='mode=region n=10 ns_per_pair=2911.5 n_extra=7 maps=44'
	expect "$sh" "kv n '$line'" 0 10
	expect "$sh" "kv ns_per_pair '$line'" 0 2911.5
	expect "$sh" "kv pair '$line'; echo \"[\$?]\"" 0 '[0]'
	expect "$sh" "kv missing '$line' n/a" 0 n/a
	expect "$sh" "kv a 'a=1 a=2'" 0 1
	expect "$sh" "kv k 'x=1 k=* y=2'" 0 '*'
	expect "$sh" "kv k 'first=1
k=second-line'" 0 second-line
	expect "$sh" "kv e 'e= f=1'; echo \"[\$?]\"" 0 '[0]'
	expect "$sh" "IFS=,; kv b 'a=1 b=2'; [ \"\$IFS\" = , ] && echo ifs-kept" 0 '2
ifs-kept'
	expect "$sh" "set -f; kv b 'b=2'; case \$- in *f*) echo noglob-kept ;; esac" 0 '2
noglob-kept'

	# fail, skip, fail_later, need_cmd.
	expect "$sh" 'fail "it broke"; echo not reached' 1 'FAIL: it broke'
	expect "$sh" 'skip "no nginx"; echo not reached' 77 'SKIP: no nginx'
	expect "$sh" 'fail_later one; fail_later two; echo "n=$LJMM_FAILS"; exit_if_failed "2 problems"; echo not reached' 1 'FAIL: one
FAIL: two
n=2
2 problems'
	expect "$sh" 'exit_if_failed "none"; echo passed' 0 passed
	expect "$sh" 'need_cmd ljmm-no-such-command ljmm-pkg; echo not reached' 77 \
		'SKIP: ljmm-no-such-command is not installed (Debian: apt-get install ljmm-pkg)'
	expect "$sh" 'need_cmd sh; echo found' 0 found

	# log: stderr only, tagged when asked.
	expect "$sh" 'log hello 2>/dev/null; echo "[$(log captured 2>/dev/null)]"' 0 '[]'
	expect "$sh" 'LJMM_LOG_TAG=bench; log hello 2>&1 | sed "s/[0-9?]*s\]/Ns]/"' 0 '[bench   Ns] hello'

	# on_exit: newest first, on success, failure, fail and TERM; the status can be
	# changed by a handler; a second source of the library keeps the handlers.
	expect "$sh" 'on_exit "echo first"; on_exit "echo second"; echo body' 0 'body
second
first'
	expect "$sh" 'on_exit "echo status=\$LJMM_EXIT_STATUS"; exit 3' 3 'status=3'
	expect "$sh" 'on_exit "echo cleaned"; fail boom' 1 'FAIL: boom
cleaned'
	expect "$sh" 'on_exit "LJMM_EXIT_STATUS=1"; echo ok' 1 ok
	expect "$sh" "on_exit 'echo kept'; . '$lib'; on_exit 'echo again'" 0 'again
kept'
	expect "$sh" 'on_exit "echo after-term"; kill -TERM $$; sleep 5; echo not reached' 143 'after-term'

	# make_tmpdir: removed on success; with keep, kept and named on failure.
	expect "$sh" 'make_tmpdir d x; echo "$d" >dir.txt; [ -d "$d" ] && echo made' 0 made
	dir=$(cat "$work/dir.txt")
	checks=$((checks + 1))
	if [ -z "$dir" ] || [ -e "$dir" ]; then fail "[$sh] make_tmpdir left $dir behind"; fi
	run "$sh" "make_tmpdir d x keep; echo \"\$d\" >dir.txt; fail boom"
	dir=$(cat "$work/dir.txt")
	checks=$((checks + 1))
	if [ "$rc" != 1 ] || [ ! -d "$dir" ] || [ "$out" != "FAIL: boom
kept for inspection: $dir" ]; then
		fail "[$sh] make_tmpdir keep on failure: exit $rc, output [$out]"
	fi
	rm -rf "$dir"
	run "$sh" "make_tmpdir d x keep; echo \"\$d\" >dir.txt"
	dir=$(cat "$work/dir.txt")
	checks=$((checks + 1))
	if [ "$rc" != 0 ] || [ -e "$dir" ]; then fail "[$sh] make_tmpdir keep on success: exit $rc, $dir left"; fi
	run "$sh" 'TMPDIR="$PWD/a b"; mkdir -p "$TMPDIR"; make_tmpdir d; echo "$d" >dir.txt'
	dir=$(cat "$work/dir.txt")
	checks=$((checks + 1))
	if [ "$rc" != 0 ] || [ -z "$dir" ] || [ -e "$dir" ]; then
		fail "[$sh] make_tmpdir under a TMPDIR with a space: exit $rc, output [$out]"
	fi
	# doc_block: the block after the exact marker name (not one it prefixes), fences
	# left out; a missing marker or an unclosed block is status 1.
	printf '%s\n' 'text' '<!-- ljmm-test: unit-x -->' '```ini' 'wrong' '```' \
		'<!-- ljmm-test: unit (runs below) -->' '' '```ini' '[Service]' 'A=1 B=2' '```' '```sh' 'no' '```' \
		'<!-- ljmm-test: open -->' '```' 'never closed' >"$work/doc.md"
	expect "$sh" 'doc_block doc.md unit' 0 '[Service]
A=1 B=2'
	expect "$sh" 'doc_block doc.md unit-x' 0 wrong
	expect "$sh" 'doc_block doc.md missing; echo "[$?]"' 0 '[1]'
	expect "$sh" 'doc_block doc.md open >/dev/null; echo "[$?]"' 0 '[1]'
	echo "ok   $sh: every helper"
done
echo "common.sh: $checks checks passed under ${shells[*]}"
