#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package, end to end, as an operator would use it:
#
#  1. configure a separate build tree for the prefix /usr (tests off), build it and
#     run `cpack -G DEB` there, which makes ljmm and ljmm-dev (the link form); check the
#     control fields (the libc6 version Depends asks for must be 2.17 or older: the
#     library and ljmm-maps run on glibc 2.17; ljmm-dev depends on this very ljmm and
#     has no maintainer scripts), ljmm-dev's files (its object stripped of debug
#     sections, its symbols and note kept) and run lintian on both (errors fail the
#     test, the rest is printed);
#  2. purge any ljmm package already installed, then `dpkg -i` the new ones; check
#     `dpkg -L ljmm` and `dpkg -L ljmm-dev`, the ldconfig cache, pkg-config, man, both
#     commands, a program built against ljmm.pc, and a MAP_32BIT host linked with the
#     installed link form (dynamic and -static) that reaches past 1.9 GiB without
#     LD_PRELOAD;
#  3. through the installed launcher: `ljmm-run --stats nginx -t`, then nginx with a
#     Lua handler on a free loopback port (one page fetched with curl, the shim mapped
#     in a worker, ljmm-maps on the worker, statistics in the log file after a graceful
#     stop);
#     The textfile units are installed disabled in /usr/lib/systemd/system, pass
#     systemd-analyze verify and run /usr/bin/ljmm-maps; the rules pass promtool check
#     rules (where systemd-analyze and promtool are installed); then the timer is
#     enabled (systemctl enable works on the files without a running systemd);
#  4. `dpkg --purge ljmm-dev ljmm`: no file of either package left, the timer's
#     enablement link gone, ldconfig cache clean.
#
# Whatever fails, the EXIT trap stops nginx and purges the packages it installed.
# Exit 77 (skipped) when not root or without dpkg/dpkg-dev; the nginx part is left out,
# with a note, when nginx, its Lua module or curl is absent.
#
# Usage: package_deb.sh SOURCE_DIR WORK_DIR CMAKE CPACK VERSION NGINX_LIB_SH
# With LJMM_PACKAGE_DEB=FILE, step 1 takes that package (built elsewhere, e.g. on the
# Debian 12 host for the Debian 11 stage, scripts/debian11.sh) instead of building one,
# and lintian is not run (the control fields are still checked); ljmm-dev is checked and
# installed only when LJMM_PACKAGE_DEV_DEB names it too.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
src=$1 work=$2 cmake=$3 cpack=$4 version=$5 ngx_lib=$6
unset LD_PRELOAD LJMM_LIBRARY LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE DESTDIR

# shellcheck source-path=SCRIPTDIR source=package_lib.sh
. "$(dirname "$0")/package_lib.sh"
[ "$(id -u)" = 0 ] || skip "installing a package needs root (this is uid $(id -u))"
for t in dpkg dpkg-deb dpkg-query dpkg-shlibdeps; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (Debian: apt-get install dpkg-dev)"
done
command -v ldconfig >/dev/null 2>&1 || skip "ldconfig is not available"

# One package test at a time on this machine, whichever build tree runs it: it
# installs into /usr.
if command -v flock >/dev/null 2>&1; then
	exec 9>/run/lock/ljmm-package-test.lock
	flock -w 900 9 || fail "another package test holds /run/lock/ljmm-package-test.lock"
fi

tmp=""
make_tmpdir tmp package keep # kept, and named, when the test fails
chmod 755 "$tmp"             # nginx workers run as nobody
installed_by_us=0
NGX_PREFIX=""

# Exit handler: stop nginx and purge the package this test installed, whatever happened.
cleanup() {
	local left
	if [ -n "$NGX_PREFIX" ] && declare -F ngx_stop >/dev/null; then
		ngx_stop term >/dev/null 2>&1
		left=$(ngx_prefix_pids)
		[ -z "$left" ] || { echo "FAIL: nginx processes left: $left"; LJMM_EXIT_STATUS=1; }
	fi
	# ljmm-dev first: it depends on ljmm.
	for p in ljmm-dev ljmm; do
		if [ "$installed_by_us" = 1 ] && dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'installed\|config-files\|half' >/dev/null; then
			echo "cleanup: dpkg --purge $p"
			dpkg --purge "$p" >/dev/null 2>&1 || { echo "FAIL: cleanup could not purge $p"; LJMM_EXIT_STATUS=1; }
		fi
	done
	if [ "$LJMM_EXIT_STATUS" != 0 ] && [ -n "$NGX_PREFIX" ] && [ -s "$NGX_PREFIX/error.log" ]; then
		echo "--- last lines of $NGX_PREFIX/error.log ---"
		tail -n 20 "$NGX_PREFIX/error.log"
	fi
}
on_exit cleanup

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
libdir=/usr/lib/$multiarch

# ---- 1. build the package -------------------------------------------------------
prebuilt=${LJMM_PACKAGE_DEB:-}
devdeb=${LJMM_PACKAGE_DEV_DEB:-}
unset LJMM_PACKAGE_DEB LJMM_PACKAGE_DEV_DEB
if [ -n "$prebuilt" ]; then
	step "the package $prebuilt (built elsewhere)"
	[ -f "$prebuilt" ] || fail "LJMM_PACKAGE_DEB=$prebuilt: no such file"
	deb=$prebuilt
	if [ -n "$devdeb" ]; then
		[ -f "$devdeb" ] || fail "LJMM_PACKAGE_DEV_DEB=$devdeb: no such file"
	else
		echo "note: no LJMM_PACKAGE_DEV_DEB: ljmm-dev is checked where the packages are built (docs_package_deb)"
	fi
else
	step "build the package in $work"
	"$cmake" -S "$src" -B "$work" -DCMAKE_INSTALL_PREFIX=/usr -DLJMM_BUILD_TESTS=OFF \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configure"; }
	"$cmake" --build "$work" -j"$(nproc)" >"$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log"; fail "build"; }
	rm -f "$work"/ljmm_*.deb "$work"/ljmm-dev_*.deb
	(cd "$work" && "$cpack" -G DEB) >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
	debs=("$work"/ljmm_*.deb)
	deb=${debs[0]}
	[ -f "$deb" ] || { cat "$tmp/cpack.log"; fail "cpack made no ljmm_*.deb"; }
	devdeb=$work/ljmm-dev_${version}_$(dpkg --print-architecture).deb
	[ -f "$devdeb" ] || { cat "$tmp/cpack.log"; ls "$work"; fail "cpack made no $(basename "$devdeb")"; }
	debs=("$work"/*.deb)
	[ "${#debs[@]}" = 2 ] || fail "cpack made ${#debs[@]} packages, not ljmm and ljmm-dev: ${debs[*]}"
	ok "built $(basename "$deb") ($(stat -c %s "$deb") bytes) and $(basename "$devdeb") ($(stat -c %s "$devdeb") bytes)"
fi

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = ljmm ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', the project is $version"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture is '$(field Architecture)'"
# dpkg-shlibdeps computes the floor from the glibc symbols the files import.
libc_floor=$(field Depends | sed -n 's/.*libc6 (>= \([^)]*\)).*/\1/p')
[ -n "$libc_floor" ] || fail "Depends '$(field Depends)' has no computed libc6 version"
glibc_floor_check "the package's Depends ($(field Depends))" "$libc_floor"
# And it must be met here (Debian 11's libc6 2.31 in the Debian 11 stage).
libc_here=$(dpkg-query -W -f='${Version}' libc6 2>/dev/null) || fail "libc6 is not known to dpkg here"
dpkg --compare-versions "$libc_here" ge "$libc_floor" ||
	fail "Depends asks for libc6 >= $libc_floor; this system has $libc_here"
ok "libc6 floor $libc_floor, met by this system's libc6 $libc_here"
if [ -z "$(field Maintainer)" ] || [ -z "$(field Section)" ]; then fail "no Maintainer or Section"; fi
[ "$(dpkg-deb -f "$deb" Description | wc -l)" -gt 3 ] || fail "no extended description"
dpkg-deb -I "$deb" triggers | grep -x 'activate-noawait ldconfig' >/dev/null || fail "no ldconfig trigger"
ok "control: $(field Package) $(field Version) $(field Architecture), Depends: $(field Depends) (libc6 floor $libc_floor, no newer than $LJMM_GLIBC_FLOOR), Section: $(field Section)"

# ljmm-dev: the link form. A -dev package (Debian policy 8.3-8.5; packaging/README.md):
# this very ljmm, no maintainer scripts (nothing to run: no library, no unit).
multiarch_dir=usr/lib/$multiarch
if [ -n "$devdeb" ]; then
	dfield() { dpkg-deb -f "$devdeb" "$1"; }
	[ "$(dfield Package)" = ljmm-dev ] || fail "$devdeb: Package is '$(dfield Package)'"
	[ "$(dfield Version)" = "$version" ] || fail "ljmm-dev: Version is '$(dfield Version)'"
	[ "$(dfield Architecture)" = "$(dpkg --print-architecture)" ] || fail "ljmm-dev: Architecture is '$(dfield Architecture)'"
	[ "$(dfield Depends)" = "ljmm (= $version)" ] || fail "ljmm-dev: Depends is '$(dfield Depends)', not 'ljmm (= $version)'"
	[ "$(dfield Section)" = libdevel ] || fail "ljmm-dev: Section is '$(dfield Section)'"
	[ "$(dfield Maintainer)" = "$(field Maintainer)" ] || fail "ljmm-dev: Maintainer '$(dfield Maintainer)'"
	[ "$(dpkg-deb -f "$devdeb" Description | wc -l)" -gt 3 ] || fail "ljmm-dev: no extended description"
	[ "$(dpkg-deb -f "$devdeb" Description | sed -n 1p)" != "$(field Description | sed -n 1p)" ] ||
		fail "ljmm-dev has ljmm's summary: $(dfield Description | sed -n 1p)"
	mkdir "$tmp/devctl"
	dpkg-deb -e "$devdeb" "$tmp/devctl"
	[ "$(cd "$tmp/devctl" && echo *)" = "control md5sums" ] || fail "ljmm-dev's control area: $(cd "$tmp/devctl" && echo *)"
	ok "ljmm-dev control: Depends: $(dfield Depends), Section: $(dfield Section), no maintainer scripts; $(dfield Description | sed -n 1p)"
	dpkg-deb -c "$devdeb" | awk '{ print $6 }' | sed 's,^\./,/,; s,/$,,' | sort >"$tmp/devfiles"
	printf '%s\n' /usr /usr/lib "/$multiarch_dir" "/$multiarch_dir/ljmm" "/$multiarch_dir/ljmm/ljmm.o" \
		"/$multiarch_dir/ljmm/ljmm.dynlist" "/$multiarch_dir/pkgconfig" "/$multiarch_dir/pkgconfig/ljmm-link.pc" \
		/usr/share /usr/share/doc /usr/share/doc/ljmm-dev /usr/share/doc/ljmm-dev/changelog.gz \
		/usr/share/doc/ljmm-dev/copyright | sort >"$tmp/devfiles.want"
	diff "$tmp/devfiles.want" "$tmp/devfiles" >"$tmp/devfiles.diff" ||
		{ echo "--- expected / +++ in ljmm-dev:"; cat "$tmp/devfiles.diff"; fail "ljmm-dev's files differ"; }
	# The object as shipped: stripped of its debug sections by the package's stripped
	# install, with what a link needs (its symbols, the note ljmm-maps looks for).
	dpkg-deb -x "$devdeb" "$tmp/devx"
	obj=$tmp/devx/$multiarch_dir/ljmm/ljmm.o
	readelf -h "$obj" | grep -E 'Type: +REL ' >/dev/null || fail "ljmm-dev: ljmm.o is not a relocatable object"
	if readelf -S -W "$obj" | grep -F .debug_ >/dev/null; then fail "ljmm-dev: ljmm.o keeps debug sections (not stripped)"; fi
	for s in mmap mmap64 munmap mremap ljmm_version ljmm_verify ljmm_stats_snapshot; do
		nm -g --defined-only "$obj" | grep -E " T $s\$" >/dev/null || fail "ljmm-dev: ljmm.o does not define $s"
	done
	readelf -n "$obj" | grep -F .note.ljmm >/dev/null || fail "ljmm-dev: ljmm.o has no .note.ljmm"
	ok "ljmm-dev: exactly the $(wc -l <"$tmp/devfiles") expected entries; ljmm.o ($(stat -c %s "$obj") bytes) stripped of debug sections, its entry points and .note.ljmm kept"
fi

if [ -n "$prebuilt" ]; then
	echo "note: lintian is run where the package is built (tests/docs, docs_package_deb)"
elif command -v lintian >/dev/null 2>&1; then
	for d in "$deb" "$devdeb"; do
		# As an unprivileged user when possible (lintian warns when it runs as root).
		lint=(lintian -I -E --pedantic "$d")
		if command -v runuser >/dev/null 2>&1 && runuser -u nobody -- test -r "$d"; then
			lint=(runuser -u nobody -- "${lint[@]}")
		fi
		"${lint[@]}" >"$tmp/lintian.txt" 2>&1 || true
		echo "lintian $(basename "$d") (errors fail the test):"
		sed 's/^/    /' "$tmp/lintian.txt"
		if grep -q '^E: ' "$tmp/lintian.txt"; then fail "lintian reports errors in $(basename "$d")"; fi
		ok "lintian $(basename "$d"): $(grep -c '^E: ' "$tmp/lintian.txt") errors, $(grep -c '^W: ' "$tmp/lintian.txt") warnings"
	done
else
	echo "note: lintian is not installed (apt-get install lintian); not run"
fi

# ---- 2. install ---------------------------------------------------------------------
step "install"
for p in ljmm-dev ljmm; do
	if status=$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null) && ! grep -q 'not-installed' <<<"$status"; then
		echo "note: an $p package is already on this machine ($status): purging it first"
		dpkg --purge "$p" >"$tmp/prepurge.log" 2>&1 || { cat "$tmp/prepurge.log"; fail "purging the earlier $p"; }
	fi
done
installed_by_us=1
dpkg -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "dpkg -i"; }
dpkg-query -W -f='${Status}' ljmm | grep 'install ok installed' >/dev/null || fail "not installed after dpkg -i"
ok "dpkg -i $(basename "$deb")"
if [ -n "$devdeb" ]; then
	dpkg -i "$devdeb" >"$tmp/install-dev.log" 2>&1 || { cat "$tmp/install-dev.log"; fail "dpkg -i $(basename "$devdeb")"; }
	dpkg-query -W -f='${Status}' ljmm-dev | grep 'install ok installed' >/dev/null || fail "ljmm-dev not installed after dpkg -i"
	ok "dpkg -i $(basename "$devdeb")"
fi

dpkg -L ljmm >"$tmp/files"
expect=(
	"$libdir/libljmm_preload.so" "$libdir/libljmm_preload.so.0" "$libdir/libljmm_preload.so.$version"
	/usr/include/ljmm.h "$libdir/pkgconfig/ljmm.pc" /usr/bin/ljmm-run /usr/bin/ljmm-maps
	/usr/share/man/man7/ljmm.7.gz /usr/share/man/man1/ljmm-run.1.gz /usr/share/man/man1/ljmm-maps.1.gz
	/usr/share/doc/ljmm/copyright /usr/share/doc/ljmm/changelog.gz /usr/share/doc/ljmm/README.md
	/usr/share/doc/ljmm/deploy.md /usr/share/doc/ljmm/troubleshooting.md /usr/share/doc/ljmm/design.md
	/usr/share/doc/ljmm/layout.svg
	/usr/lib/systemd/system/ljmm-textfile.service /usr/lib/systemd/system/ljmm-textfile.timer
	/usr/share/ljmm/prometheus/ljmm-rules.yml
)
for f in "${expect[@]}"; do
	grep -qxF "$f" "$tmp/files" || fail "dpkg -L ljmm does not list $f"
	[ -e "$f" ] || fail "$f is listed but missing"
done
if grep -v -e '^/usr$' -e '^/usr/' -e '^/\.$' "$tmp/files"; then fail "files outside /usr (above)"; fi
if grep -q '^/usr/local' "$tmp/files"; then fail "files under /usr/local"; fi
ok "dpkg -L ljmm lists the ${#expect[@]} expected files ($(wc -l <"$tmp/files") entries)"

# (/lib is /usr/lib on a merged-/usr system, and ldconfig may name either.)
ldconfig -p | grep -E "libljmm_preload\.so\.0 .*=> (/usr)?/lib/$multiarch/libljmm_preload\.so\.0\$" >/dev/null ||
	{ ldconfig -p | grep ljmm; fail "libljmm_preload.so.0 is not in the ldconfig cache"; }
ok "ldconfig cache: $(ldconfig -p | grep -c libljmm_preload) entry"
/usr/bin/ljmm-run --version | grep -x "ljmm-run (ljmm) $version" >/dev/null || fail "ljmm-run --version"
/usr/bin/ljmm-maps --version | grep -x "ljmm-maps (ljmm) $version" >/dev/null || fail "ljmm-maps --version"
# shellcheck disable=SC2016 # expanded by the child shell
[ "$(/usr/bin/ljmm-run sh -c 'printf %s "$LD_PRELOAD"')" = "$libdir/libljmm_preload.so" ] ||
	fail "the installed ljmm-run does not preload $libdir/libljmm_preload.so"
/usr/bin/ljmm-run /usr/bin/ljmm-maps self | grep 'libljmm_preload: yes' >/dev/null || fail "ljmm-maps self under ljmm-run"
ok "ljmm-run and ljmm-maps run from /usr/bin and preload $libdir/libljmm_preload.so"
if command -v pkg-config >/dev/null 2>&1; then
	[ "$(pkg-config --modversion ljmm)" = "$version" ] || fail "pkg-config --modversion ljmm"
	[ "$(pkg-config --variable=preload ljmm)" = "$libdir/libljmm_preload.so" ] || fail "pkg-config preload variable"
	if command -v cc >/dev/null 2>&1; then
		cat >"$tmp/v.c" <<-'EOF'
			#include <ljmm.h>
			#include <stdio.h>
			int main(void)
			{
				ljmm_stats_t s;
				return !(ljmm_stats_snapshot(&s, sizeof s) == 0 && printf("%s\n", ljmm_version()) > 0);
			}
		EOF
		# shellcheck disable=SC2046 # pkg-config output is a list of flags
		cc "$tmp/v.c" -o "$tmp/v" $(pkg-config --cflags --libs ljmm) || fail "building against ljmm.pc"
		[ "$("$tmp/v")" = "$version" ] || fail "a program linked with -lljmm_preload"
		ok "pkg-config ljmm $version; a program built with its flags runs"
	fi
fi
if [ -n "$devdeb" ]; then
	dpkg -L ljmm-dev >"$tmp/devfiles.installed"
	for f in "$libdir/ljmm/ljmm.o" "$libdir/ljmm/ljmm.dynlist" "$libdir/pkgconfig/ljmm-link.pc" \
		/usr/share/doc/ljmm-dev/copyright /usr/share/doc/ljmm-dev/changelog.gz; do
		grep -qxF "$f" "$tmp/devfiles.installed" || fail "dpkg -L ljmm-dev does not list $f"
		[ -f "$f" ] || fail "$f is listed but missing"
	done
	# A MAP_32BIT host linked with the installed link form by pkg-config's line, as
	# docs/deploy.md says, dynamic and -static: far past 1 GiB without LD_PRELOAD.
	if command -v pkg-config >/dev/null 2>&1 && command -v cc >/dev/null 2>&1; then
		[ "$(pkg-config --modversion ljmm-link)" = "$version" ] || fail "pkg-config --modversion ljmm-link"
		link_line=$(pkg-config --libs ljmm-link | sed 's/ *$//') # (pkgconf ends it with a space)
		[ "$link_line" = "$libdir/ljmm/ljmm.o -Wl,--dynamic-list=$libdir/ljmm/ljmm.dynlist -pthread" ] ||
			fail "pkg-config --libs ljmm-link: '$link_line'"
		ok "pkg-config --libs ljmm-link: $link_line"
		mkdir "$tmp/link"
		# shellcheck disable=SC2046 # pkg-config output is a list of flags
		LJMM_LINK_STATIC=1 link_form_check "ljmm-dev" "$src" "$tmp/link" "$version" $(pkg-config --cflags --libs ljmm-link)
	else
		echo "note: no pkg-config or cc: the installed link form is not linked into a program"
	fi
	# Removing ljmm while ljmm-dev needs it is refused.
	if dpkg --remove ljmm >"$tmp/remove.log" 2>&1; then fail "dpkg --remove ljmm succeeded with ljmm-dev installed"; fi
	grep -F 'ljmm-dev depends on ljmm' "$tmp/remove.log" >/dev/null || { cat "$tmp/remove.log"; fail "dpkg --remove ljmm: no dependency error"; }
	ok "dpkg -L ljmm-dev lists the object; ljmm cannot be removed under it"
fi
if command -v man >/dev/null 2>&1; then
	for p in 7:ljmm 1:ljmm-run 1:ljmm-maps; do
		where=$(man -w "${p%%:*}" "${p#*:}" 2>/dev/null) || fail "man -w ${p#*:}"
		[ "$where" = "/usr/share/man/man${p%%:*}/${p#*:}.${p%%:*}.gz" ] || fail "man finds ${p#*:} at $where"
	done
	LC_ALL=C.UTF-8 MANWIDTH=80 man 7 ljmm 2>&1 | grep LJMM_GUARD_RESERVE >/dev/null || fail "man 7 ljmm does not render"
	ok "man finds ljmm(7), ljmm-run(1), ljmm-maps(1)"
fi

# The textfile units and the rules (docs/deploy.md, "Metrics for Prometheus").
units=(/usr/lib/systemd/system/ljmm-textfile.service /usr/lib/systemd/system/ljmm-textfile.timer)
grep -qx "ExecStart=/bin/sh -c '/usr/bin/ljmm-maps --prometheus --all nginx >.*" "${units[0]}" ||
	{ cat "${units[0]}"; fail "${units[0]} does not run /usr/bin/ljmm-maps"; }
if command -v systemctl >/dev/null 2>&1; then
	state=$(systemctl is-enabled ljmm-textfile.timer 2>&1) || true
	[ "$state" = disabled ] || fail "ljmm-textfile.timer is '$state' after installation, not disabled"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify "${units[@]}" >"$tmp/verify" 2>&1 || { cat "$tmp/verify"; fail "systemd-analyze verify of the installed units"; }
	if grep ljmm-textfile "$tmp/verify"; then fail "systemd-analyze verify complains about the installed units"; fi
fi
if command -v promtool >/dev/null 2>&1; then
	promtool check rules /usr/share/ljmm/prometheus/ljmm-rules.yml >"$tmp/rules" 2>&1 ||
		{ cat "$tmp/rules"; fail "promtool check rules of the installed rules"; }
fi
ok "the textfile units (disabled) and the rules are installed and valid"

# ---- 3. nginx through the installed launcher ----------------------------------------
step "nginx through /usr/bin/ljmm-run"
nginx_ok=0
if [ -r "$ngx_lib" ]; then
	# shellcheck source-path=SCRIPTDIR source=../nginx/lib.sh
	. "$ngx_lib"
	if ngx_check_prereqs; then
		nginx_ok=1
	else
		echo "note: nginx part left out: $NGX_WHY"
	fi
else
	echo "note: nginx part left out: $ngx_lib not found"
fi
if [ "$nginx_ok" = 1 ]; then
	NGX_PREFIX=$tmp/nginx
	mkdir -p "$NGX_PREFIX/logs" "$NGX_PREFIX/tmp"
	chmod 755 "$NGX_PREFIX"
	conf() {
		ngx_write_conf "$NGX_PREFIX/nginx.conf" "$1" '
    location = /lua {
      content_by_lua_block {
        local t = {}
        for i = 1, 10000 do t[i] = string.rep("x", 64) .. i end
        ngx.say("ljmm-package ", #t)
      }
    }'
	}
	conf 8080
	ngx_e_args
	"/usr/bin/ljmm-run" --stats "$NGX_BIN" -p "$NGX_PREFIX" -c "$NGX_PREFIX/nginx.conf" "${NGX_E[@]}" -t \
		>"$tmp/t.out" 2>&1 || { cat "$tmp/t.out"; fail "ljmm-run --stats nginx -t"; }
	grep -q 'test is successful' "$tmp/t.out" || { cat "$tmp/t.out"; fail "nginx -t did not succeed"; }
	grep -q 'Z \[[a-z]*\] ljmm\[[0-9]*\]: calls: mmap=' "$tmp/t.out" || { cat "$tmp/t.out"; fail "no statistics from nginx -t"; }
	grep -q 'Z \[[a-z]*\] ljmm\[[0-9]*\]: guard: ' "$tmp/t.out" || { cat "$tmp/t.out"; fail "no guard line from nginx -t"; }
	ok "ljmm-run --stats nginx -t:"
	sed 's/^/    /' "$tmp/t.out"
	# The library by its path, as a systemd drop-in or an init script would set it.
	env LD_PRELOAD="$libdir/libljmm_preload.so" LJMM_STATS=on "$NGX_BIN" -p "$NGX_PREFIX" -c "$NGX_PREFIX/nginx.conf" \
		"${NGX_E[@]}" -t >"$tmp/t2.out" 2>&1 || { cat "$tmp/t2.out"; fail "LD_PRELOAD=$libdir/libljmm_preload.so nginx -t"; }
	grep -q 'Z \[[a-z]*\] ljmm\[[0-9]*\]: calls: mmap=' "$tmp/t2.out" || { cat "$tmp/t2.out"; fail "no statistics from nginx -t with LD_PRELOAD by path"; }
	ok "LD_PRELOAD=$libdir/libljmm_preload.so nginx -t: statistics printed"

	# Start it (daemon) on a free port, statistics into a log file.
	started=0
	for try in $(seq 1 30); do
		NGX_PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		conf "$NGX_PORT"
		if /usr/bin/ljmm-run --stats --log "$NGX_PREFIX/ljmm.log" "$NGX_BIN" -p "$NGX_PREFIX" \
			-c "$NGX_PREFIX/nginx.conf" "${NGX_E[@]}" >"$tmp/start.out" 2>&1; then
			started=1
			break
		fi
		grep -qs 'Address already in use' "$tmp/start.out" "$NGX_PREFIX/error.log" || { cat "$tmp/start.out"; fail "nginx did not start"; }
		echo "port $NGX_PORT busy (try $try)"
		: >"$NGX_PREFIX/error.log"
	done
	[ "$started" = 1 ] || fail "no free port in 30 tries"
	for _ in $(seq 1 100); do
		[ "$(ngx_workers | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	worker=$(ngx_workers | sed -n 1p)
	[ -n "$worker" ] || fail "no nginx worker appeared"
	ngx_expect /lua 200 "ljmm-package 10000"
	shim=$(readlink -f "$libdir/libljmm_preload.so")
	ngx_maps_have "$worker" "$shim" || fail "worker $worker does not map $shim"
	# (Not /proc/PID/environ: nginx writes its process title over that memory.)
	/usr/bin/ljmm-maps "$worker" >"$tmp/maps.out" || fail "ljmm-maps $worker"
	grep -q 'libljmm_preload: yes' "$tmp/maps.out" || { cat "$tmp/maps.out"; fail "ljmm-maps does not see the shim"; }
	ok "worker $worker maps $shim; /usr/bin/ljmm-maps $worker:"
	sed 's/^/    /' "$tmp/maps.out"
	ngx_stop quit || fail "nginx needed SIGKILL to stop"
	grep -q 'calls: mmap=' "$NGX_PREFIX/ljmm.log" || fail "no statistics in $NGX_PREFIX/ljmm.log after a graceful stop"
	ok "nginx stopped; $(grep -c 'calls: mmap=' "$NGX_PREFIX/ljmm.log") processes wrote statistics to LJMM_LOG_FILE"
	NGX_PREFIX=""
fi

# ---- 4. purge -----------------------------------------------------------------------
step "purge"
# As docs/deploy.md says; without a running systemd, systemctl enable only makes the link.
timer_link=""
if command -v systemctl >/dev/null 2>&1; then
	systemctl enable ljmm-textfile.timer >"$tmp/enable.log" 2>&1 || { cat "$tmp/enable.log"; fail "systemctl enable ljmm-textfile.timer"; }
	timer_link=/etc/systemd/system/timers.target.wants/ljmm-textfile.timer
	[ -L "$timer_link" ] || { cat "$tmp/enable.log"; fail "systemctl enable made no $timer_link"; }
	ok "systemctl enable ljmm-textfile.timer: $(readlink "$timer_link")"
fi
if [ -n "$devdeb" ]; then
	dpkg --purge ljmm-dev >"$tmp/purge-dev.log" 2>&1 || { cat "$tmp/purge-dev.log"; fail "dpkg --purge ljmm-dev"; }
	cat "$tmp/devfiles.installed" >>"$tmp/files"
fi
dpkg --purge ljmm >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; fail "dpkg --purge ljmm"; }
installed_by_us=0
for p in ljmm ljmm-dev; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -v 'not-installed' >/dev/null; then
		fail "$p still known to dpkg: $(dpkg-query -W -f='${Status}' "$p")"
	fi
done
left=0
while read -r f; do
	[ -d "$f" ] && [ ! -L "$f" ] && continue # shared directories (/usr, /usr/bin) stay
	if [ -e "$f" ] || [ -L "$f" ]; then
		echo "left behind: $f"
		left=$((left + 1))
	fi
done <"$tmp/files"
for d in /usr/share/doc/ljmm /usr/share/doc/ljmm-dev "$libdir/ljmm"; do
	[ ! -e "$d" ] || { echo "left behind: $d"; left=$((left + 1)); }
done
if [ -n "$timer_link" ] && { [ -e "$timer_link" ] || [ -L "$timer_link" ]; }; then
	echo "left behind: $timer_link"
	left=$((left + 1))
fi
found=$(find /etc/systemd -name 'ljmm-textfile.*')
[ -z "$found" ] || { echo "left behind: $found"; left=$((left + 1)); }
[ "$left" = 0 ] || fail "$left file(s) of the package left after the purge"
if ldconfig -p | grep libljmm_preload >/dev/null; then fail "the ldconfig cache still lists libljmm_preload"; fi
if grep -q libljmm_preload /etc/ld.so.cache; then fail "/etc/ld.so.cache still names libljmm_preload"; fi
ok "purged: none of the $(wc -l <"$tmp/files") entries left (directories shared with other packages aside), ldconfig cache clean"
echo
echo "package: ok"
