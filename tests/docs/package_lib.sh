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

# link_form_check WHERE SRC DIR VERSION FLAGS...: the link form as a package installed it,
# linked as its users would: tests/link/link_host.c (1 MiB MAP_32BIT blocks until ENOMEM;
# SRC is the source tree) built in DIR with `cc FLAGS...` (pkg-config's line for
# ljmm-link), run without LD_PRELOAD, must reach far past the kernel's 1 GiB window and
# name the linked shim, VERSION, and a dynamic one must export mmap (the .pc's dynamic
# list); built without FLAGS, the same host must stop near 1 GiB (so the check can fail).
# With LJMM_LINK_STATIC=1 both are linked -static as well, where the C library has a
# static archive. Prints one line per build.
link_form_check() {
	local where=$1 src=$2 dir=$3 version=$4 mode reach shim out
	shift 4
	local modes=(dynamic)
	printf 'int main(void) { return 0; }\n' >"$dir/probe.c"
	if [ "${LJMM_LINK_STATIC:-0}" = 1 ] && cc -static -o "$dir/probe" "$dir/probe.c" >/dev/null 2>&1; then
		modes+=(-static)
	fi
	for mode in "${modes[@]}"; do
		local flags=()
		[ "$mode" = dynamic ] || flags=("$mode")
		for out in "$dir/plain$mode" "$dir/linked$mode"; do
			local with=()
			[ "$out" = "$dir/plain$mode" ] || with=("$@")
			cc -O2 "${flags[@]}" -o "$out" "$src/tests/link/link_host.c" "${with[@]}" >"$out.log" 2>&1 ||
				LJMM_FAIL_SHOW="$out.log" fail "$where: cc ${flags[*]} link_host.c ${with[*]}: does not link"
			env -u LD_PRELOAD "$out" >"$out.out" 2>"$out.err" || LJMM_FAIL_SHOW="$out.out $out.err" fail "$where: $out: exit $?"
			reach=$(sed -n 's/^reach: \([0-9]*\) MiB.*/\1/p' "$out.out")
			shim=$(sed -n 's/.* shim: //p' "$out.out")
			[ -n "$reach" ] || LJMM_FAIL_SHOW="$out.out" fail "$where: $out printed no reach"
			if [ "$out" = "$dir/plain$mode" ]; then
				if [ "$reach" -gt 1100 ] || [ "$shim" != none ]; then
					fail "$where: the host without the link form reached $reach MiB (shim: $shim): this check could not fail"
				fi
			else
				[ "$shim" = "$version" ] || fail "$where: the host linked with ${with[*]} names shim '$shim', not $version"
				[ "$reach" -ge 1900 ] || fail "$where: the host linked with ${with[*]} reached $reach MiB, not past 1.9 GiB"
				if [ "$mode" = dynamic ] && ! nm -D --defined-only "$out" | grep -E ' T mmap$' >/dev/null; then
					fail "$where: the host linked with ${with[*]} does not export mmap (no dynamic list?)"
				fi
			fi
			ok "$where: link_host ($mode) ${with[*]:-without the link form}: $reach MiB (shim: $shim)"
		done
	done
}
