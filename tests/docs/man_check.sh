#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual pages render without a single warning: groff -man -ww (all warnings) and
# man -l (what man-db shows a reader) must be silent on stderr; lexgrog (man-db, what
# whatis/apropos and lintian read) must find the NAME line; .TH must carry the project
# version. Exit 77 (skipped) when neither groff nor man is installed.
# Usage: man_check.sh VERSION PAGE...
set -u
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
version=$1
shift
if ! command -v groff >/dev/null 2>&1 && ! command -v man >/dev/null 2>&1; then
	skip "neither groff nor man is installed (Debian: apt-get install groff-base man-db)"
fi
tmp=""
make_tmpdir tmp man-check
for page in "$@"; do
	name=$(basename "$page")
	before=$LJMM_FAILS
	[ -r "$page" ] || { fail_later "$page: cannot read"; continue; }
	if command -v groff >/dev/null 2>&1; then
		LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>"$tmp/err"
		rc=$?
		if [ "$rc" != 0 ] || [ -s "$tmp/err" ]; then
			fail_later "$name: groff -man -ww (exit $rc):"
			sed 's/^/    /' "$tmp/err"
		fi
	fi
	if command -v man >/dev/null 2>&1; then
		# --warnings makes man-db pass -ww to groff as well.
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ "$rc" != 0 ] || [ -s "$tmp/err" ]; then
			fail_later "$name: man -l (exit $rc):"
			sed 's/^/    /' "$tmp/err"
		fi
		[ -s "$tmp/out" ] || fail_later "$name: man -l printed nothing"
	fi
	if command -v lexgrog >/dev/null 2>&1; then
		lexgrog "$page" >"$tmp/lex" 2>&1 || { fail_later "$name: lexgrog finds no whatis entry:"; sed 's/^/    /' "$tmp/lex"; }
	fi
	th=$(sed -n 's/^\.TH .*"ljmm \([^"]*\)".*/\1/p' "$page")
	[ "$th" = "$version" ] || fail_later "$name: .TH says ljmm '$th', the project is $version (update the .TH line)"
	[ "$LJMM_FAILS" != "$before" ] || echo "ok   $name"
done
exit_if_failed "man pages: $LJMM_FAILS problem(s)"
echo "man pages: $# render cleanly"
