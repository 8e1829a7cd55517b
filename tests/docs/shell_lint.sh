#!/bin/bash
# SPDX-License-Identifier: MIT
# Lints the project's shell scripts for one bug that has already broken CI once:
# under `set -o pipefail`, `producer | grep -q` (or `| head`) lets grep exit at the
# first match; a producer still writing (ldconfig -p, man, /proc reads) then dies of
# SIGPIPE and the whole pipeline fails although the match was found. Whether it
# happens depends on pipe timing, so it passes on one machine and fails on another.
# Use `| grep PATTERN >/dev/null` and `| sed -n 1p`, which read all their input.
#
# Also runs `bash -n` on every script, so a syntax error fails here and not halfway
# through CI.
#
# usage: shell_lint.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: shell_lint.sh SOURCE_DIR}
cd "$src"

bad=0
n=0
while IFS= read -r -d '' f; do
	case $(sed -n 1p "$f") in
	'#!'*sh*) ;;
	*) case $f in *.sh | .ci/run) ;; *) continue ;; esac ;;
	esac
	n=$((n + 1))
	[ "$f" = ./tests/docs/shell_lint.sh ] && continue # its own pattern would match
	if ! bash -n "$f" 2>"${TMPDIR:-/tmp}/ljmm-lint.$$"; then
		echo "FAIL: $f: syntax error: $(cat "${TMPDIR:-/tmp}/ljmm-lint.$$")"
		bad=1
	fi
	# A script that sources another (tests/nginx/lib.sh) inherits its caller's
	# pipefail, so every script is checked, not only those that set it.
	if grep -nE '\|[[:space:]]*(grep[[:space:]]+-[A-Za-z]*q|head\b)' "$f" |
		grep -vE '^[0-9]+:[[:space:]]*#' >"${TMPDIR:-/tmp}/ljmm-lint.$$"; then
		while IFS= read -r line; do
			echo "FAIL: $f:$line"
			echo "      (a pipe into grep -q or head can kill its writer with SIGPIPE under pipefail)"
		done <"${TMPDIR:-/tmp}/ljmm-lint.$$"
		bad=1
	fi
done < <(find . -path ./build\* -prune -o -path ./.git -prune -o -type f \
	\( -name '*.sh' -o -name '*.in' -o -path ./.ci/run \) -print0)
rm -f "${TMPDIR:-/tmp}/ljmm-lint.$$"

[ "$n" -gt 10 ] || { echo "FAIL: found only $n shell scripts under $src"; exit 1; }
[ "$bad" = 0 ] || exit 1
echo "ok   $n shell scripts: syntax clean, no pipe into grep -q or head"
