#!/bin/sh
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2016 # the sh -c script is for the child's shell
# `cmake --install --prefix` into a temporary prefix: ljmm.pc names that prefix and a
# program builds and runs with its flags; the installed ljmm-run finds the installed
# library (also after the prefix is moved, and through a symlink), and ljmm-maps runs;
# the uninstall target README.md documents removes every file and every directory the
# install made, and nothing else. The same for a prefix whose parent does not exist.
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

readme=$(dirname "$0")/../../README.md

# The prefix exists, with files and directories of others in it, which must survive.
prefix=$tmp/prefix
mkdir -p "$prefix/$libdir" "$prefix/share/doc/other"
echo keep >"$prefix/share/doc/other/keep.txt"
(cd "$prefix" && find . | LC_ALL=C sort) >"$tmp/before"
"$cmake" --install "$build" --config "$config" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "cmake --install"; }

# ljmm.pc says where the files went (the configured prefix was another), and a program
# built with its flags runs against the installed library.
pc=$prefix/$libdir/pkgconfig/ljmm.pc
[ -f "$pc" ] || fail "ljmm.pc not installed in $prefix/$libdir/pkgconfig"
if command -v pkg-config >/dev/null 2>&1; then
	pcq() { PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig PKG_CONFIG_LIBDIR=$prefix/$libdir/pkgconfig pkg-config "$@" ljmm; }
	[ "$(pcq --variable=prefix)" = "$prefix" ] || fail "ljmm.pc: prefix=$(pcq --variable=prefix), installed to $prefix"
	[ "$(pcq --variable=preload)" = "$prefix/$libdir/libljmm_preload.so" ] || fail "ljmm.pc: preload=$(pcq --variable=preload)"
	flags=$(pcq --cflags --libs)
	case " $flags " in
	*" -I$prefix/include "*"-L$prefix/$libdir "*) ;;
	*) fail "pkg-config --cflags --libs ljmm: '$flags' does not point into $prefix" ;;
	esac
	cc=${CC:-cc}
	if command -v "$cc" >/dev/null 2>&1; then
		cat >"$tmp/v.c" <<-'EOF'
			#include <ljmm.h>
			#include <stdio.h>
			int main(void)
			{
				ljmm_stats_t s;
				return !(ljmm_stats_snapshot(&s, sizeof s) == 0 && printf("%s\n", ljmm_version()) > 0);
			}
		EOF
		# shellcheck disable=SC2086 # pkg-config output is a list of flags
		"$cc" "$tmp/v.c" -o "$tmp/v" $flags || fail "building against $pc"
		LD_LIBRARY_PATH=$prefix/$libdir "$tmp/v" >"$tmp/v.out" || fail "a program linked with -lljmm_preload"
		grep -x '[0-9][0-9.]*' "$tmp/v.out" >/dev/null || fail "a program linked with -lljmm_preload printed '$(cat "$tmp/v.out")'"
		echo "pkg-config: $flags; a program built with them runs"
	fi
else
	grep -x "prefix=$prefix" "$pc" >/dev/null || fail "ljmm.pc does not say prefix=$prefix"
	echo "pkg-config is not installed: ljmm.pc read with grep"
fi
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

mv "$tmp/moved" "$prefix"
mkdir "$tmp/lonely"
cp "$prefix/$bindir/ljmm-run" "$tmp/lonely/"

# uninstall BUILD_DIR: the uninstall command README.md gives, for this build tree.
uninstall() {
	grep -F 'sudo cmake --build build --target uninstall' "$readme" >/dev/null ||
		fail "README.md no longer says 'sudo cmake --build build --target uninstall'"
	"$cmake" --build "$1" --config "$config" --target uninstall >"$tmp/uninstall.log" 2>&1 ||
		{ cat "$tmp/uninstall.log"; fail "cmake --build --target uninstall"; }
}
# A file that is already gone is named as such; everything else is removed.
rm "$prefix/$bindir/ljmm-maps"
uninstall "$build"
grep -F -- "-- Already gone: $prefix/$bindir/ljmm-maps" "$tmp/uninstall.log" >/dev/null ||
	{ cat "$tmp/uninstall.log"; fail "the uninstall did not name the file already gone"; }
(cd "$prefix" && find . | LC_ALL=C sort) >"$tmp/after"
diff "$tmp/before" "$tmp/after" || fail "the uninstall left the prefix otherwise than it was before the install (<: before, >: after)"
grep '^-- ljmm: uninstalled: ' "$tmp/uninstall.log"
# Again: nothing left to remove, and no error.
uninstall "$build"
grep -F -- "-- ljmm: uninstalled: 0 files removed" "$tmp/uninstall.log" >/dev/null || fail "a second uninstall: $(tail -n 1 "$tmp/uninstall.log")"

# A prefix in a directory that does not exist yet: all of it goes.
"$cmake" --install "$build" --config "$config" --prefix "$tmp/new/prefix" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "cmake --install --prefix $tmp/new/prefix"; }
grep -x "prefix=$tmp/new/prefix" "$tmp/new/prefix/$libdir/pkgconfig/ljmm.pc" >/dev/null || fail "ljmm.pc in $tmp/new/prefix"
uninstall "$build"
[ ! -e "$tmp/new" ] || fail "the uninstall left $(cd "$tmp" && find new | tr "\n" " ")"
echo "uninstall: the prefix is as it was before, twice"

# With no library next to it (and none in the configured libdir), one error line, exit 2.
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
