#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The relocatable tarball (packaging/tarball.sh), as a user of it would see it:
#
#  1. build it in WORK_DIR; its name, its .sha256, and a second run gives the same bytes;
#  2. the exact list of entries, owner 0/0, modes, symbolic links; LICENSE is the
#     project's MIT license, the README is filled in, the library and ljmm-maps need
#     no glibc newer than 2.17, the man pages are valid gzip (and render, with man);
#     the link form lib/ljmm/ljmm.o is stripped of debug sections and, linked into a
#     MAP_32BIT host (dynamic and -static), serves past 1.9 GiB without LD_PRELOAD;
#  3. unpacked under a path full of characters shells care about (quote, dollar, hash,
#     semicolon, ampersand, brackets, parentheses, non-ASCII) and then moved:
#     bin/ljmm-run --stats, a symbolic link to it, and LD_PRELOAD by absolute path all
#     load the library (statistics at exit), and the same program without them prints
#     none;
#  4. what the README says about paths ld.so cannot preload from: under a directory
#     with a space, a colon or $LIB in its path LD_PRELOAD fails with ld.so's error and
#     ljmm-run does not get the library loaded either; the link the README suggests
#     works.
# No root needed; nothing is installed.
#
# Usage: package_tarball.sh SOURCE_DIR WORK_DIR CMAKE VERSION
set -euo pipefail
src=$1 work=$2 cmake=$3 version=$4
unset LD_PRELOAD LJMM_LIBRARY LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE
# shellcheck source-path=SCRIPTDIR source=package_lib.sh
. "$(dirname "$0")/package_lib.sh"
command -v objdump >/dev/null 2>&1 || skip "objdump is not installed (Debian: apt-get install binutils)"

make_tmp ljmm-tarball
name=ljmm-$version-linux-x86_64

# ---- 1. build -------------------------------------------------------------------------
step "build with packaging/tarball.sh"
CMAKE=$cmake bash "$src/packaging/tarball.sh" "$work" "$tmp/out" >"$tmp/make.log" 2>&1 ||
	{ cat "$tmp/make.log"; fail "packaging/tarball.sh"; }
tarball=$(sed -n '$p' "$tmp/make.log")
[ "$tarball" = "$tmp/out/$name.tar.gz" ] || fail "tarball.sh made '$tarball', not $tmp/out/$name.tar.gz"
[ -f "$tarball" ] || fail "$tarball is missing"
(cd "$tmp/out" && sha256sum -c "$name.tar.gz.sha256" >/dev/null) || fail "$name.tar.gz.sha256 does not match"
first=$(sha256sum <"$tarball")
CMAKE=$cmake bash "$src/packaging/tarball.sh" "$work" "$tmp/out" >"$tmp/make2.log" 2>&1 ||
	{ cat "$tmp/make2.log"; fail "packaging/tarball.sh, second run"; }
[ "$(sha256sum <"$tarball")" = "$first" ] || fail "a second run made a different tarball (not reproducible)"
ok "$name.tar.gz ($(stat -c %s "$tarball") bytes), its .sha256 checks, a second run gives the same bytes"

# ---- 2. contents ----------------------------------------------------------------------
step "contents"
expect="$name/
$name/LICENSE
$name/README
$name/bin/
$name/bin/ljmm-maps
$name/bin/ljmm-run
$name/include/
$name/include/ljmm.h
$name/lib/
$name/lib/libljmm_preload.so
$name/lib/libljmm_preload.so.0
$name/lib/libljmm_preload.so.$version
$name/lib/ljmm/
$name/lib/ljmm/ljmm.dynlist
$name/lib/ljmm/ljmm.o
$name/lib/pkgconfig/
$name/lib/pkgconfig/ljmm-link.pc
$name/lib/systemd/
$name/lib/systemd/system/
$name/lib/systemd/system/ljmm-textfile.service
$name/lib/systemd/system/ljmm-textfile.timer
$name/share/
$name/share/ljmm/
$name/share/ljmm/prometheus/
$name/share/ljmm/prometheus/ljmm-rules.yml
$name/share/man/
$name/share/man/man1/
$name/share/man/man1/ljmm-maps.1.gz
$name/share/man/man1/ljmm-run.1.gz
$name/share/man/man7/
$name/share/man/man7/ljmm.7.gz"
tar -tzf "$tarball" >"$tmp/list"
diff <(printf '%s\n' "$expect") "$tmp/list" >"$tmp/list.diff" ||
	{ echo "--- expected / +++ in the tarball:"; cat "$tmp/list.diff"; fail "the tarball's entries differ"; }
ok "exactly the $(wc -l <"$tmp/list") expected entries"
tar -tvzf "$tarball" >"$tmp/listv"
sed 's/^/    /' "$tmp/listv"
# mode owner size date time name [-> target]
awk '$2 != "0/0" { print "owner " $2 ": " $6; bad = 1 } END { exit bad }' "$tmp/listv" || fail "entries not owned by 0/0"
mode() { awk -v n="$name/$1" '$6 == n { print $1 }' "$tmp/listv"; }
for f in bin/ljmm-run bin/ljmm-maps; do [ "$(mode "$f")" = -rwxr-xr-x ] || fail "$f has mode $(mode "$f")"; done
for f in LICENSE README include/ljmm.h "lib/libljmm_preload.so.$version" lib/ljmm/ljmm.o lib/ljmm/ljmm.dynlist \
	lib/pkgconfig/ljmm-link.pc share/man/man7/ljmm.7.gz lib/systemd/system/ljmm-textfile.timer \
	share/ljmm/prometheus/ljmm-rules.yml; do
	[ "$(mode "$f")" = -rw-r--r-- ] || fail "$f has mode $(mode "$f")"
done
grep -F -- "$name/lib/libljmm_preload.so -> libljmm_preload.so.0" "$tmp/listv" >/dev/null || fail "libljmm_preload.so is not a link to .so.0"
grep -F -- "$name/lib/libljmm_preload.so.0 -> libljmm_preload.so.$version" "$tmp/listv" >/dev/null ||
	fail "libljmm_preload.so.0 is not a link to .so.$version"
ok "owner 0/0; programs 755, other files 644; the library's two links"

mkdir "$tmp/x"
tar -xzf "$tarball" -C "$tmp/x"
t=$tmp/x/$name
cmp "$src/LICENSE" "$t/LICENSE" || fail "LICENSE differs from the project's"
[ "$(sed -n 1p "$t/LICENSE")" = "MIT License" ] || fail "LICENSE is not the MIT license"
if grep -n '@[A-Z_]*@' "$t/README"; then fail "README still has template variables (above)"; fi
grep -F "ljmm $version for Linux x86-64" "$t/README" >/dev/null || fail "README does not name version $version"
grep -F "bin/ljmm-run" "$t/README" >/dev/null || fail "README does not mention bin/ljmm-run"
ok "LICENSE is the project's MIT license; README filled in for $version"
grep -qx "ExecStart=/bin/sh -c '/opt/ljmm/bin/ljmm-maps --prometheus --all nginx >.*" "$t/lib/systemd/system/ljmm-textfile.service" ||
	fail "the tarball's ljmm-textfile.service does not run /opt/ljmm/bin/ljmm-maps"
grep -F "systemctl link /opt/ljmm/lib/systemd/system/ljmm-textfile.service" "$t/README" >/dev/null ||
	fail "README does not say how to use the textfile units"
ok "the textfile service runs /opt/ljmm/bin/ljmm-maps, as the README's link makes true"
sh "$src/tests/preload/check_glibc_floor.sh" "$t/lib/libljmm_preload.so.$version" "$t/bin/ljmm-maps" >"$tmp/floor.out" ||
	{ cat "$tmp/floor.out"; fail "the tarball's files need a glibc newer than $LJMM_GLIBC_FLOOR"; }
need=$(sed -n 's/.*newest glibc version needed: GLIBC_\([0-9.]*\) .*/\1/p' "$tmp/floor.out" | sort -V | sed -n '$p')
glibc_floor_check "the tarball's library and ljmm-maps" "$need"
objdump -p "$t/lib/libljmm_preload.so.$version" | grep -E 'SONAME +libljmm_preload\.so\.0$' >/dev/null || fail "SONAME"
[ -z "$(objdump -h "$t/lib/libljmm_preload.so.$version" | grep -F .debug_info || true)" ] || fail "the library is not stripped"
ok "the library and ljmm-maps need glibc $need at most (floor $LJMM_GLIBC_FLOOR); SONAME libljmm_preload.so.0; stripped"
# The link form: stripped of debug sections, and linked into a MAP_32BIT host by the
# line the unpacked ljmm-link.pc gives (its prefix found from where it lies), dynamic
# and -static, it serves past 1 GiB without LD_PRELOAD.
if readelf -S -W "$t/lib/ljmm/ljmm.o" | grep -F .debug_ >/dev/null; then fail "lib/ljmm/ljmm.o keeps debug sections"; fi
if command -v pkg-config >/dev/null 2>&1 && command -v cc >/dev/null 2>&1; then
	pcl() { PKG_CONFIG_PATH=$t/lib/pkgconfig pkg-config "$@" ljmm-link; }
	read -r -a link_line <<<"$(pcl --libs)"
	[ "${#link_line[@]}" = 3 ] && [ "${link_line[2]}" = -pthread ] && [ "$(readlink -f "${link_line[0]}")" = "$(readlink -f "$t/lib/ljmm/ljmm.o")" ] &&
		[ "${link_line[1]#-Wl,--dynamic-list=}" != "${link_line[1]}" ] &&
		[ "$(readlink -f "${link_line[1]#-Wl,--dynamic-list=}")" = "$(readlink -f "$t/lib/ljmm/ljmm.dynlist")" ] ||
		fail "the unpacked ljmm-link.pc gives '${link_line[*]}', not the unpacked object, dynamic list and -pthread"
	[ -f "$(pcl --variable=includedir)/ljmm.h" ] || fail "ljmm-link.pc's includedir $(pcl --variable=includedir) has no ljmm.h"
	mkdir "$tmp/link"
	# shellcheck disable=SC2046 # pkg-config output is a list of flags
	LJMM_LINK_STATIC=1 link_form_check "tarball" "$src" "$tmp/link" "$version" $(pcl --cflags --libs)
fi
for p in man1/ljmm-run.1.gz man1/ljmm-maps.1.gz man7/ljmm.7.gz; do
	gzip -t "$t/share/man/$p" || fail "share/man/$p is not valid gzip"
done
if command -v man >/dev/null 2>&1; then
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$t/share/man/man7/ljmm.7.gz" 2>&1 | grep LJMM_GUARD_RESERVE >/dev/null ||
		fail "man -l share/man/man7/ljmm.7.gz does not render"
	ok "the man pages are valid gzip; man -l renders ljmm(7)"
else
	ok "the man pages are valid gzip (man is not installed: not rendered)"
fi

# ---- 3. unpacked at an unusual path ---------------------------------------------------
# stats_lines FILE: how many exit statistics lines ("ljmm[PID]: calls: ...") FILE has.
stats_lines() { grep -cE 'Z \[[a-z]*\] ljmm\[[0-9]+\]: calls: mmap=' "$1" || true; }

step "unpacked under an unusual path, then moved"
# shellcheck disable=SC2016 # a literal dollar sign in the name
odd=$tmp/'it'\''s$HOME#1;a&b(c)[d]*?é=x,y'
mkdir -p "$odd"
tar -xzf "$tarball" -C "$odd"
u=$odd/$name
LJMM_STATS=on /bin/true 2>"$tmp/none.err"
[ "$(stats_lines "$tmp/none.err")" = 0 ] || fail "statistics without the library: the check below could not fail"
"$u/bin/ljmm-run" --stats /bin/true 2>"$tmp/run.err" || { cat "$tmp/run.err"; fail "bin/ljmm-run --stats /bin/true"; }
[ "$(stats_lines "$tmp/run.err")" = 1 ] || { cat "$tmp/run.err"; fail "no statistics: ljmm-run did not load the library"; }
ok "bin/ljmm-run --stats /bin/true under '$odd': the library's statistics (none without it):"
sed 's/^/    /' "$tmp/run.err"
# shellcheck disable=SC2016 # expanded by the child shell
got=$("$u/bin/ljmm-run" sh -c 'printf %s "$LD_PRELOAD"')
[ "$got" = "$(cd "$u/lib" && pwd -P)/libljmm_preload.so" ] || fail "ljmm-run set LD_PRELOAD to '$got'"
"$u/bin/ljmm-run" "$u/bin/ljmm-maps" self >"$tmp/maps.out" || fail "ljmm-maps self under ljmm-run"
grep -F 'libljmm_preload: yes' "$tmp/maps.out" >/dev/null || { cat "$tmp/maps.out"; fail "ljmm-maps does not see the library"; }
ok "ljmm-run puts $got first in LD_PRELOAD; ljmm-maps self sees it"
LD_PRELOAD="$u/lib/libljmm_preload.so" LJMM_STATS=on /bin/true 2>"$tmp/abs.err"
[ "$(stats_lines "$tmp/abs.err")" = 1 ] || { cat "$tmp/abs.err"; fail "LD_PRELOAD by absolute path did not load the library"; }
ok "LD_PRELOAD=<absolute path>/lib/libljmm_preload.so loads it"
mkdir "$tmp/links"
ln -s "$u/bin/ljmm-run" "$tmp/links/ljmm-run"
"$tmp/links/ljmm-run" --stats /bin/true 2>"$tmp/link.err" || fail "ljmm-run through a symbolic link"
[ "$(stats_lines "$tmp/link.err")" = 1 ] || { cat "$tmp/link.err"; fail "ljmm-run through a symbolic link did not load the library"; }
ok "ljmm-run started through a symbolic link finds the library"
mkdir "$tmp/moved"
mv "$u" "$tmp/moved/"
"$tmp/moved/$name/bin/ljmm-run" --stats /bin/true 2>"$tmp/moved.err" || fail "ljmm-run after a move"
[ "$(stats_lines "$tmp/moved.err")" = 1 ] || { cat "$tmp/moved.err"; fail "ljmm-run did not load the library after the move"; }
"$tmp/moved/$name/bin/ljmm-maps" --version | grep -x "ljmm-maps (ljmm) $version" >/dev/null || fail "ljmm-maps --version"
ok "moved to another directory: still works; ljmm-maps --version is $version"

# ---- 4. paths ld.so cannot preload from -----------------------------------------------
step "paths with a space, a colon, \$LIB (the README's rule)"
# shellcheck disable=SC2016 # a literal $LIB
for bad in "with space" "with:colon" 'with$LIB'; do
	b=$tmp/$bad
	mkdir -p "$b"
	tar -xzf "$tarball" -C "$b"
	LD_PRELOAD="$b/$name/lib/libljmm_preload.so" LJMM_STATS=on /bin/true 2>"$tmp/bad.err" || true
	[ "$(stats_lines "$tmp/bad.err")" = 0 ] || fail "'$bad': LD_PRELOAD loaded the library; the README says it cannot"
	grep -F 'cannot be preloaded' "$tmp/bad.err" >/dev/null || { cat "$tmp/bad.err"; fail "'$bad': no ld.so error"; }
	rc=0
	"$b/$name/bin/ljmm-run" --stats /bin/true 2>"$tmp/badrun.err" || rc=$?
	[ "$(stats_lines "$tmp/badrun.err")" = 0 ] ||
		fail "'$bad': ljmm-run loaded the library; the README says it cannot (update it)"
	if [ "$rc" = 0 ] && ! grep -F 'cannot be preloaded' "$tmp/badrun.err" >/dev/null; then
		cat "$tmp/badrun.err"
		fail "'$bad': ljmm-run ran the command without the library and without any error"
	fi
	ok "'$bad': ld.so cannot preload from it; ljmm-run: $(sed -n 1p "$tmp/badrun.err")"
	rm -rf "$b"
done
b="$tmp/with space"
mkdir -p "$b"
tar -xzf "$tarball" -C "$b"
ln -s "$b/$name" "$tmp/ljmm"
LD_PRELOAD="$tmp/ljmm/lib/libljmm_preload.so" LJMM_STATS=on /bin/true 2>"$tmp/viasym.err"
[ "$(stats_lines "$tmp/viasym.err")" = 1 ] || { cat "$tmp/viasym.err"; fail "LD_PRELOAD through a link without spaces"; }
ok "LD_PRELOAD through a link without spaces to a directory with one: loads it (the README's advice)"
echo
echo "tarball: ok"
