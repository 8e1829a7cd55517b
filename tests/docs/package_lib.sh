# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Helpers the package tests (package_*.sh) share; sourced, never run.

# The newest glibc symbol version the library and the tools may need
# (tests/preload/check_glibc_floor.sh, ctest library_glibc_floor): what RHEL/CentOS 7 has.
LJMM_GLIBC_FLOOR=2.17

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
step() { printf '\n== %s\n' "$*"; }
ok() { printf 'ok   %s\n' "$*"; }

# version_le A B: A is B or older (dotted numbers, as glibc versions are).
version_le() {
	[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | sed -n 1p)" = "$1" ]
}

# glibc_floor_check WHAT VERSION: fails the test when VERSION is newer than the floor.
# Checked against a version that must fail first, so that a broken comparison cannot
# pass everything.
glibc_floor_check() {
	if version_le 2.34 "$LJMM_GLIBC_FLOOR" || ! version_le 2.3.4 "$LJMM_GLIBC_FLOOR"; then
		fail "version_le is broken (2.34 <= $LJMM_GLIBC_FLOOR, or not 2.3.4 <= $LJMM_GLIBC_FLOOR)"
	fi
	[ -n "$2" ] || fail "$1: no glibc version found"
	version_le "$2" "$LJMM_GLIBC_FLOOR" ||
		fail "$1 needs glibc $2, newer than $LJMM_GLIBC_FLOOR: a symbol newer than GLIBC_$LJMM_GLIBC_FLOOR crept in (objdump -T on the library and ljmm-maps shows which)"
}

# make_tmp NAME: $tmp, a work directory removed at exit when the test passed and kept
# (its path printed) when it failed.
make_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	trap tmp_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
tmp_cleanup() {
	local rc=$?
	if [ "$rc" = 0 ]; then rm -rf "$tmp"; else echo "work files kept for inspection: $tmp"; fi
	exit "$rc"
}
