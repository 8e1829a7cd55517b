#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual pages render without a single warning: groff -man -ww (all warnings) and
# man -l (what man-db shows a reader) must be silent on stderr; lexgrog (man-db, what
# whatis/apropos and lintian read) must find the NAME line; .TH must carry the project
# version. Exit 77 (skipped) when neither groff nor man is installed.
# Usage: man_check.sh VERSION PAGE...
set -u
version=$1
shift
if ! command -v groff >/dev/null 2>&1 && ! command -v man >/dev/null 2>&1; then
	echo "SKIP: neither groff nor man is installed (Debian: apt-get install groff-base man-db)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
for page in "$@"; do
	name=$(basename "$page")
	before=$fails
	[ -r "$page" ] || { fail "$page: cannot read"; continue; }
	if command -v groff >/dev/null 2>&1; then
		LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>"$tmp/err"
		rc=$?
		if [ "$rc" != 0 ] || [ -s "$tmp/err" ]; then
			fail "$name: groff -man -ww (exit $rc):"
			sed 's/^/    /' "$tmp/err"
		fi
	fi
	if command -v man >/dev/null 2>&1; then
		# --warnings makes man-db pass -ww to groff as well.
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ "$rc" != 0 ] || [ -s "$tmp/err" ]; then
			fail "$name: man -l (exit $rc):"
			sed 's/^/    /' "$tmp/err"
		fi
		[ -s "$tmp/out" ] || fail "$name: man -l printed nothing"
	fi
	if command -v lexgrog >/dev/null 2>&1; then
		lexgrog "$page" >"$tmp/lex" 2>&1 || { fail "$name: lexgrog finds no whatis entry:"; sed 's/^/    /' "$tmp/lex"; }
	fi
	th=$(sed -n 's/^\.TH .*"ljmm \([^"]*\)".*/\1/p' "$page")
	[ "$th" = "$version" ] || fail "$name: .TH says ljmm '$th', the project is $version (update the .TH line)"
	[ "$fails" != "$before" ] || echo "ok   $name"
done
[ "$fails" = 0 ] || exit 1
echo "man pages: $# render cleanly"
