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
# through CI, and shellcheck at severity warning and above (its style notes are left to
# the author), following the files scripts source (tests/lib/common.sh and the like).
#
# usage: shell_lint.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: shell_lint.sh SOURCE_DIR}
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
cd "$src"

n=0
scripts=()
while IFS= read -r -d '' f; do
	case $(sed -n 1p "$f") in
	'#!'*sh*) ;;
	*) case $f in *.sh | .ci/run) ;; *) continue ;; esac ;;
	esac
	n=$((n + 1))
	scripts+=("$f")
	[ "$f" = ./tests/docs/shell_lint.sh ] && continue # its own pattern would match
	if ! bash -n "$f" 2>"${TMPDIR:-/tmp}/ljmm-lint.$$"; then
		fail_later "$f: syntax error: $(cat "${TMPDIR:-/tmp}/ljmm-lint.$$")"
	fi
	# A script that sources another (tests/nginx/lib.sh) inherits its caller's
	# pipefail, so every script is checked, not only those that set it.
	if grep -nE '\|[[:space:]]*(grep[[:space:]]+-[A-Za-z]*q|head\b)' "$f" |
		grep -vE '^[0-9]+:[[:space:]]*#' >"${TMPDIR:-/tmp}/ljmm-lint.$$"; then
		while IFS= read -r line; do
			fail_later "$f:$line"
			echo "      (a pipe into grep -q or head can kill its writer with SIGPIPE under pipefail)"
		done <"${TMPDIR:-/tmp}/ljmm-lint.$$"
	fi
done < <(find . -path ./build\* -prune -o -path ./.git -prune -o -type f \
	\( -name '*.sh' -o -name '*.in' -o -path ./.ci/run \) -print0)
rm -f "${TMPDIR:-/tmp}/ljmm-lint.$$"

[ "$n" -gt 10 ] || fail "found only $n shell scripts under $src"
checked="syntax clean, no pipe into grep -q or head"
if command -v shellcheck >/dev/null 2>&1; then
	if ! shellcheck -x -S warning -f gcc "${scripts[@]}" >"${TMPDIR:-/tmp}/ljmm-lint.$$" 2>&1; then
		while IFS= read -r line; do fail_later "shellcheck: $line"; done <"${TMPDIR:-/tmp}/ljmm-lint.$$"
	fi
	rm -f "${TMPDIR:-/tmp}/ljmm-lint.$$"
	checked+=", shellcheck -S warning clean"
else
	echo "note shellcheck is not installed (scripts/deps.sh clients): not run"
fi
exit_if_failed "shell scripts: $LJMM_FAILS problem(s)"
echo "ok   $n shell scripts: $checked"
