#!/bin/sh
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2016 # the sh -c script is for the child's shell
# `cmake --install` into a temporary prefix: the installed ljmm-run finds the installed
# library (also after the prefix is moved, and through a symlink), and ljmm-maps runs.
# Usage: install_test.sh CMAKE BUILD_DIR CONFIG BINDIR LIBDIR
set -u
cmake=$1 build=$2 config=$3 bindir=$4 libdir=$5
unset LD_PRELOAD LJMM_LIBRARY LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE DESTDIR
case $bindir$libdir in
/*)
	echo "SKIP: CMAKE_INSTALL_BINDIR/LIBDIR are absolute, a temporary prefix cannot hold them"
	exit 77
	;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

# check PREFIX RUN: RUN puts PREFIX's library in LD_PRELOAD, and it gets mapped.
check() {
	want=$(cd "$1/$libdir" && pwd -P)/libljmm_preload.so
	got=$("$2" sh -c 'printf "%s\n" "$LD_PRELOAD"') || fail "$2 failed"
	[ "$got" = "$want" ] || fail "$2: LD_PRELOAD is '$got', expected '$want'"
	"$2" cat /proc/self/maps | grep -F "$(dirname "$want")/libljmm_preload.so" >/dev/null ||
		fail "$2: the installed library is not mapped"
	echo "$2 -> $got"
}

prefix=$tmp/prefix
"$cmake" --install "$build" --config "$config" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "cmake --install"; }
[ -x "$prefix/$bindir/ljmm-run" ] || fail "ljmm-run not installed in $prefix/$bindir"
[ -x "$prefix/$bindir/ljmm-maps" ] || fail "ljmm-maps not installed in $prefix/$bindir"
[ -f "$prefix/$libdir/libljmm_preload.so" ] || fail "the library is not installed in $prefix/$libdir"
if grep -qF "$build" "$prefix/$bindir/ljmm-run"; then fail "the installed ljmm-run refers to the build tree"; fi
check "$prefix" "$prefix/$bindir/ljmm-run"
"$prefix/$bindir/ljmm-run" --version | grep '^ljmm-run (ljmm) ' >/dev/null || fail "installed ljmm-run --version"

mv "$prefix" "$tmp/moved"
check "$tmp/moved" "$tmp/moved/$bindir/ljmm-run"
ln -s "$tmp/moved/$bindir/ljmm-run" "$tmp/ljmm-run-link"
check "$tmp/moved" "$tmp/ljmm-run-link"
"$tmp/moved/$bindir/ljmm-maps" self >/dev/null || fail "installed ljmm-maps self"

# With no library next to it (and none in the configured libdir), one error line, exit 2.
mkdir "$tmp/lonely"
cp "$tmp/moved/$bindir/ljmm-run" "$tmp/lonely/"
configured=$(sed -n "s/^install_libdir='\(.*\)'\$/\1/p" "$tmp/lonely/ljmm-run")
if [ ! -e "$configured/libljmm_preload.so" ]; then
	"$tmp/lonely/ljmm-run" true >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "a lonely ljmm-run did not exit 2"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "a lonely ljmm-run: $(cat "$tmp/err")"
	grep -q '^ljmm-run: cannot find libljmm_preload.so (looked for ' "$tmp/err" ||
		fail "a lonely ljmm-run: $(cat "$tmp/err")"
	cat "$tmp/err"
fi
echo "install: ok"
