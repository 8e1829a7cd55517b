#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The RPM, end to end, without an RPM distribution:
#
#  1. configure a build tree for /usr and /usr/lib64 (tests off), build it and run
#     `cpack -G RPM`, which makes ljmm and ljmm-devel (the link form); cpack refuses a
#     DEB from that tree and an RPM from a tree without lib64;
#  2. the header (rpm -qpi and query formats): name, version, release, x86_64,
#     License MIT, summary and description, not relocatable, an xz payload (RHEL 7's
#     rpm 4.11 cannot read zstd), the %changelog from packaging/changelog;
#  3. rpm -qpl: exactly the expected files (those of the .deb, with the library in
#     /usr/lib64 and LICENSE as the %license file instead of Debian's copyright,
#     changelog.gz and lintian overrides);
#  4. Requires: only rpmbuild's automatic ones (libc.so.6 with GLIBC_ versions no newer
#     than 2.17, /bin/sh, rtld(GNU_HASH), the rpmlib features RHEL 7 has); Provides the
#     soname and pkgconfig(ljmm);
#  5. the scriptlets rpm will run are the generated post, postun and preun (every per-cent
#     sign back to one);
#  6. installed with `rpm --root SCRATCH --nodeps` into a small root (sh, grep, rm and
#     ldconfig copied in): %post runs ldconfig there (the library resolves by its
#     soname inside the root) and warns about an /etc/ld.so.preload naming it; the
#     installed ljmm-run finds ../lib64 and ljmm.pc says /usr/lib64; `rpm -V` is clean;
#     reinstalling (%postun 1) is silent; ljmm-devel: its header (Requires this very
#     ljmm, no scriptlets), its files (the object stripped of debug sections, its
#     symbols kept), installed into the root beside ljmm, a MAP_32BIT host linked with
#     it reaching past 1.9 GiB without LD_PRELOAD, ljmm not erasable under it, then
#     erased; erasing ljmm runs %postun 0, which removes the
#     timer's enablement link, lists the drop-in, full unit and run-time unit that still
#     preload the library, removes every file and leaves the root's ld.so cache without it.
#
# Exit 77 (skipped) when not root or without rpm/rpmbuild (Debian: apt-get install rpm).
# Nothing is installed on this system: everything happens in a scratch root, removed
# at the end (kept on failure).
#
# Usage: package_rpm.sh SOURCE_DIR WORK_DIR CMAKE CPACK VERSION
set -euo pipefail
src=$1 work=$2 cmake=$3 cpack=$4 version=$5
unset LD_PRELOAD LJMM_LIBRARY LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE DESTDIR
# shellcheck source-path=SCRIPTDIR source=package_lib.sh
. "$(dirname "$0")/package_lib.sh"
[ "$(id -u)" = 0 ] || skip "rpm --root needs root to chroot (this is uid $(id -u))"
for t in rpm rpmbuild chroot ldd; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (Debian: apt-get install rpm)"
done

make_tmp ljmm-rpm

# ---- 1. build -------------------------------------------------------------------------
step "build the RPM in $work"
"$cmake" -S "$src" -B "$work" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR=lib64 -DLJMM_BUILD_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configure"; }
"$cmake" --build "$work" -j2 >"$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log"; fail "build"; }
rm -f "$work"/ljmm-*.rpm
(cd "$work" && "$cpack" -G RPM) >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack -G RPM"; }
rpmfile=$work/ljmm-$version-1.x86_64.rpm
devrpm=$work/ljmm-devel-$version-1.x86_64.rpm
for f in "$rpmfile" "$devrpm"; do
	[ -f "$f" ] || { cat "$tmp/cpack.log"; ls "$work"; fail "cpack made no $(basename "$f")"; }
done
rpms=("$work"/*.rpm)
[ "${#rpms[@]}" = 2 ] || fail "cpack made ${#rpms[@]} packages, not ljmm and ljmm-devel: ${rpms[*]}"
ok "built $(basename "$rpmfile") ($(stat -c %s "$rpmfile") bytes) and $(basename "$devrpm") ($(stat -c %s "$devrpm") bytes)"
if (cd "$work" && "$cpack" -G DEB) >"$tmp/cpack-deb.log" 2>&1; then fail "cpack -G DEB accepted a tree with /usr/lib64"; fi
grep -F 'an RPM layout' "$tmp/cpack-deb.log" >/dev/null || { cat "$tmp/cpack-deb.log"; fail "cpack -G DEB: no clear refusal"; }
"$cmake" -S "$src" -B "$tmp/nolib64" -DCMAKE_INSTALL_PREFIX=/usr -DLJMM_BUILD_TESTS=OFF >"$tmp/configure2.log" 2>&1 ||
	{ cat "$tmp/configure2.log"; fail "configure without lib64"; }
if (cd "$tmp/nolib64" && "$cpack" -G RPM) >"$tmp/cpack-nolib64.log" 2>&1; then
	fail "cpack -G RPM accepted a tree without -DCMAKE_INSTALL_LIBDIR=lib64"
fi
grep -F 'an RPM needs one configured with' "$tmp/cpack-nolib64.log" >/dev/null ||
	{ cat "$tmp/cpack-nolib64.log"; fail "cpack -G RPM without lib64: no clear refusal"; }
ok "cpack refuses a DEB from this tree and an RPM from a tree without lib64"

# Debian's rpm warns on every command that it is not the system's package manager.
rpmq() { rpm --force-debian "$@"; }

# ---- 2. header ------------------------------------------------------------------------
step "header"
rpmq -qpi "$rpmfile" | tee "$tmp/info" | sed 's/^/    /'
q() { rpmq -qp --qf "$1" "$rpmfile"; }
[ "$(q '%{NAME} %{VERSION} %{RELEASE} %{ARCH}')" = "ljmm $version 1 x86_64" ] ||
	fail "name version release arch: $(q '%{NAME} %{VERSION} %{RELEASE} %{ARCH}')"
[ "$(q '%{LICENSE}')" = MIT ] || fail "License: $(q '%{LICENSE}')"
[ "$(q '%{SUMMARY}')" = "LD_PRELOAD shim giving LuaJIT MAP_32BIT allocations the low 2 GiB" ] || fail "Summary: $(q '%{SUMMARY}')"
[ "$(q '%{DESCRIPTION}' | wc -l)" -gt 5 ] || fail "no description"
[ "$(q '%{PREFIXES}')" = "(none)" ] || fail "relocatable (Prefixes: $(q '%{PREFIXES}')): ljmm.pc and ljmm-run name /usr/lib64"
[ "$(q '%{PAYLOADCOMPRESSOR}')" = xz ] || fail "payload compressor $(q '%{PAYLOADCOMPRESSOR}'), RHEL 7 reads xz"
rpmq -qp --changelog "$rpmfile" >"$tmp/changelog"
grep -E "^\* [A-Z][a-z]{2} [A-Z][a-z]{2} [0-9]{2} [0-9]{4} .+ - $version-1\$" "$tmp/changelog" >/dev/null ||
	{ cat "$tmp/changelog"; fail "%changelog has no entry for $version-1"; }
grep -x -- '- First release.' "$tmp/changelog" >/dev/null || { cat "$tmp/changelog"; fail "%changelog text"; }
ok "ljmm $version-1 x86_64, License MIT, not relocatable, xz payload, %changelog: $(sed -n 1p "$tmp/changelog")"

# ---- 3. files -------------------------------------------------------------------------
step "files"
expect="/usr/bin/ljmm-maps
/usr/bin/ljmm-run
/usr/include/ljmm.h
/usr/lib/systemd/system/ljmm-textfile.service
/usr/lib/systemd/system/ljmm-textfile.timer
/usr/lib64/libljmm_preload.so
/usr/lib64/libljmm_preload.so.0
/usr/lib64/libljmm_preload.so.$version
/usr/lib64/pkgconfig/ljmm.pc
/usr/share/doc/ljmm
/usr/share/doc/ljmm/README.md
/usr/share/doc/ljmm/deploy.md
/usr/share/doc/ljmm/design.md
/usr/share/doc/ljmm/layout.svg
/usr/share/doc/ljmm/portability.md
/usr/share/doc/ljmm/troubleshooting.md
/usr/share/licenses/ljmm
/usr/share/licenses/ljmm/LICENSE
/usr/share/ljmm
/usr/share/ljmm/prometheus
/usr/share/ljmm/prometheus/ljmm-rules.yml
/usr/share/man/man1/ljmm-maps.1.gz
/usr/share/man/man1/ljmm-run.1.gz
/usr/share/man/man7/ljmm.7.gz"
rpmq -qpl "$rpmfile" >"$tmp/files"
sed 's/^/    /' "$tmp/files"
diff <(printf '%s\n' "$expect") "$tmp/files" >"$tmp/files.diff" ||
	{ echo "--- expected / +++ rpm -qpl:"; cat "$tmp/files.diff"; fail "the RPM's files differ"; }
[ "$(rpmq -qpL "$rpmfile")" = /usr/share/licenses/ljmm/LICENSE ] || fail "the %license file: $(rpmq -qpL "$rpmfile")"
ok "rpm -qpl: exactly the $(wc -l <"$tmp/files") expected entries; LICENSE is the %license file"

# ---- 4. dependencies ------------------------------------------------------------------
step "Requires and Provides"
rpmq -qp --requires "$rpmfile" | sort -u >"$tmp/requires"
sed 's/^/    /' "$tmp/requires"
# Anything else (a Debian package name, pkg-config, an rpmlib feature RHEL 7's rpm 4.11
# lacks, such as PayloadIsZstd) fails.
allowed='^(/bin/sh|rtld\(GNU_HASH\)|libc\.so\.6\(\)\(64bit\)|libc\.so\.6\(GLIBC_[0-9.]+\)\(64bit\)|rpmlib\((CompressedFileNames|FileDigests|PayloadFilesHavePrefix|PayloadIsXz)\) <= [0-9.-]+)$'
if grep -vE "$allowed" "$tmp/requires"; then fail "unexpected Requires (above)"; fi
libc_max=$(sed -n 's/^libc\.so\.6(GLIBC_\([0-9.]*\))(64bit)$/\1/p' "$tmp/requires" | sort -V | sed -n '$p')
glibc_floor_check "the RPM's Requires" "$libc_max"
grep -x 'libc.so.6()(64bit)' "$tmp/requires" >/dev/null || fail "no libc.so.6()(64bit) requirement: rpmbuild's ELF dependencies are missing"
rpmq -qp --provides "$rpmfile" >"$tmp/provides"
for p in 'libljmm_preload.so.0()(64bit)' "ljmm = $version-1" "ljmm(x86-64) = $version-1" "pkgconfig(ljmm) = $version"; do
	grep -xF "$p" "$tmp/provides" >/dev/null || { cat "$tmp/provides"; fail "does not provide $p"; }
done
ok "Requires: rpmbuild's own only, libc.so.6 up to GLIBC_$libc_max (floor $LJMM_GLIBC_FLOOR); Provides: $(paste -sd, "$tmp/provides")"

# ---- 5. scriptlets --------------------------------------------------------------------
step "scriptlets"
for s in POSTIN:post POSTUN:postun PREUN:preun; do
	q "%{${s%%:*}}" >"$tmp/${s#*:}.got"
	# (CPack puts an empty line first, rpm drops the final newline.)
	if ! diff "$work/packaging/rpm/${s#*:}" <(sed '/./,$!d' "$tmp/${s#*:}.got"; echo) >"$tmp/${s#*:}.diff"; then
		sed -n 1,20p "$tmp/${s#*:}.diff"
		fail "the %${s#*:} scriptlet is not $work/packaging/rpm/${s#*:}"
	fi
	[ "$(q "%{${s%%:*}PROG}")" = /bin/sh ] || fail "%${s#*:} runs with $(q "%{${s%%:*}PROG}")"
done
[ "$(q "%{PREIN}")" = "(none)" ] || fail "unexpected %pre scriptlet"
ok "%post, %postun and %preun are packaging/rpm/post, postun and preun as generated (/bin/sh); no %pre"

# ---- 6. install into a scratch root ---------------------------------------------------
step "rpm --root: install, reinstall, erase"
root=$tmp/root
mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/tmp" "$root/var/tmp" "$root/var/lib/rpm"
# What the scriptlets use: sh, grep, rm (with their libraries and the dynamic linker) and
# ldconfig (static on glibc systems); ld.so.conf names /usr/lib64, a trusted directory
# on RPM distributions.
for b in "$(readlink -f /bin/sh)" "$(command -v grep)" "$(command -v rm)"; do
	for l in $(ldd "$b" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$l")"
		cp -L "$l" "$root$l"
	done
done
cp "$(readlink -f /bin/sh)" "$root/bin/sh"
cp "$(command -v grep)" "$root/bin/grep"
cp "$(command -v rm)" "$root/bin/rm"
ldconfig_bin=$(command -v ldconfig || echo /sbin/ldconfig)
ldd "$ldconfig_bin" 2>&1 | grep -E 'statically linked|not a dynamic' >/dev/null || skip "ldconfig is not a static binary here"
cp "$ldconfig_bin" "$root/sbin/ldconfig"
echo /usr/lib64 >"$root/etc/ld.so.conf"
r() { rpm --force-debian --root "$root" --dbpath /var/lib/rpm "$@"; }
rpm --root "$root" --dbpath /var/lib/rpm --initdb # (rpmdb, which knows no --force-debian)
lib=/usr/lib64/libljmm_preload.so
echo "$lib" >"$root/etc/ld.so.preload"

r -i --nodeps "$rpmfile" >"$tmp/install.out" 2>&1 || { cat "$tmp/install.out"; fail "rpm -i"; }
grep -qx 'ljmm: /etc/ld.so.preload names libljmm_preload.so: it is loaded into every process.' "$tmp/install.out" ||
	{ cat "$tmp/install.out"; fail "%post did not warn about /etc/ld.so.preload"; }
rm "$root/etc/ld.so.preload"
[ "$(r -q ljmm)" = "ljmm-$version-1.x86_64" ] || fail "rpm -q ljmm in the root: $(r -q ljmm)"
r -V --nodeps ljmm >"$tmp/verify.out" 2>&1 || { cat "$tmp/verify.out"; fail "rpm -V --nodeps ljmm"; }
ok "rpm -i: installed; %post warned about /etc/ld.so.preload; rpm -V clean"
ldconfig -p -C "$root/etc/ld.so.cache" | grep -F "libljmm_preload.so.0 (libc6,x86-64) => /usr/lib64/libljmm_preload.so.0" >/dev/null ||
	{ ldconfig -p -C "$root/etc/ld.so.cache"; fail "%post did not put the library into the root's ld.so cache"; }
# Inside the root, by soname only: found through that cache.
chroot "$root" /bin/sh -c 'LD_PRELOAD=libljmm_preload.so.0 LJMM_STATS=on exec /usr/bin/ljmm-maps --version' >"$tmp/chroot.out" 2>&1 ||
	{ cat "$tmp/chroot.out"; fail "ljmm-maps in the root"; }
grep -x "ljmm-maps (ljmm) $version" "$tmp/chroot.out" >/dev/null || { cat "$tmp/chroot.out"; fail "ljmm-maps --version in the root"; }
grep -E 'Z \[[a-z]*\] ljmm\[[0-9]+\]: calls: mmap=' "$tmp/chroot.out" >/dev/null || { cat "$tmp/chroot.out"; fail "the library, preloaded by soname in the root, did not load"; }
ok "%post ran ldconfig: in the root, LD_PRELOAD=libljmm_preload.so.0 loads /usr/lib64/libljmm_preload.so.0"
grep -x "install_libdir='/usr/lib64'" "$root/usr/bin/ljmm-run" >/dev/null || fail "the installed ljmm-run does not name /usr/lib64"
# shellcheck disable=SC2016 # expanded by the child shell
got=$("$root/usr/bin/ljmm-run" sh -c 'printf %s "$LD_PRELOAD"')
[ "$got" = "$(cd "$root/usr/lib64" && pwd -P)/libljmm_preload.so" ] || fail "the installed ljmm-run preloads '$got'"
"$root/usr/bin/ljmm-run" --stats /bin/true 2>"$tmp/run.err" || fail "the installed ljmm-run"
grep -E 'Z \[[a-z]*\] ljmm\[[0-9]+\]: calls: mmap=' "$tmp/run.err" >/dev/null || { cat "$tmp/run.err"; fail "no statistics through the installed ljmm-run"; }
if command -v pkg-config >/dev/null 2>&1; then
	pc() { PKG_CONFIG_PATH=$root/usr/lib64/pkgconfig PKG_CONFIG_LIBDIR=$root/usr/lib64/pkgconfig pkg-config "$@" ljmm; }
	[ "$(pc --variable=preload)" = "$lib" ] || fail "ljmm.pc: preload=$(pc --variable=preload)"
	[ "$(pc --variable=libdir)" = /usr/lib64 ] || fail "ljmm.pc: libdir=$(pc --variable=libdir)"
fi
cmp "$src/LICENSE" "$root/usr/share/licenses/ljmm/LICENSE" || fail "the installed LICENSE differs from the project's"
ok "ljmm-run finds ../lib64 and preloads it; ljmm.pc names $lib; LICENSE installed"

# Configuration that still preloads the library, and a look-alike in a comment.
mkdir -p "$root/etc/systemd/system/nginx.service.d" "$root/run/systemd/system"
printf '[Service]\nEnvironment=LD_PRELOAD=%s\n' "$lib" >"$root/etc/systemd/system/nginx.service.d/ljmm.conf"
printf '[Service]\nEnvironment=LD_PRELOAD=%s\nExecStart=/usr/bin/openresty\n' "$lib" >"$root/etc/systemd/system/openresty.service"
printf '[Service]\nExecStart=/usr/bin/ljmm-run /usr/bin/luajit w.lua\n' >"$root/run/systemd/system/worker.service"
printf '[Service]\n# Environment=LD_PRELOAD=%s\n' "$lib" >"$root/etc/systemd/system/nginx.service.d/old.conf"

# -vv: rpm's debug lines show that the old copy's %postun did run, and its trace (sh -x)
# that it ran with 1.
r -U -vv --replacepkgs --nodeps "$rpmfile" >"$tmp/reinstall.out" 2>&1 || { cat "$tmp/reinstall.out"; fail "rpm -U --replacepkgs"; }
grep -F "D: %postun(ljmm-$version-1.x86_64): scriptlet start" "$tmp/reinstall.out" >/dev/null ||
	fail "rpm -U --replacepkgs ran no %postun: the upgrade case is not tested"
grep -x '+ \[ 1 = 0 \]' "$tmp/reinstall.out" >/dev/null || fail "%postun did not run with 1 on reinstall"
if grep '^ljmm: ' "$tmp/reinstall.out"; then fail "reinstalling printed the above (%postun 1 must be silent)"; fi
r -V --nodeps ljmm >"$tmp/verify2.out" 2>&1 || { cat "$tmp/verify2.out"; fail "rpm -V --nodeps ljmm after reinstalling"; }
ok "rpm -U --replacepkgs: %post and %postun 1 ran, silently; rpm -V clean"

# ljmm-devel: the link form, the RPM distributions' -devel package (packaging/README.md).
dq() { rpmq -qp --qf "$1" "$devrpm"; }
[ "$(dq '%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}')" = "ljmm-devel $version 1 x86_64 MIT" ] ||
	fail "ljmm-devel: name version release arch license: $(dq '%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}')"
[ "$(dq '%{SUMMARY}')" != "$(q '%{SUMMARY}')" ] || fail "ljmm-devel has ljmm's summary"
[ "$(dq '%{DESCRIPTION}' | wc -l)" -gt 5 ] || fail "ljmm-devel: no description"
for s in PREIN POSTIN PREUN POSTUN; do
	[ "$(dq "%{$s}")" = "(none)" ] || fail "ljmm-devel has a %{$s} scriptlet"
done
rpmq -qp --requires "$devrpm" | sort -u >"$tmp/devrequires"
if grep -vE "^(ljmm = $version-1|rpmlib\((CompressedFileNames|FileDigests|PayloadFilesHavePrefix|PayloadIsXz)\) <= [0-9.-]+)\$" "$tmp/devrequires"; then
	fail "ljmm-devel: unexpected Requires (above)"
fi
grep -x "ljmm = $version-1" "$tmp/devrequires" >/dev/null || { cat "$tmp/devrequires"; fail "ljmm-devel does not require ljmm = $version-1"; }
rpmq -qp --provides "$devrpm" | grep -xF "pkgconfig(ljmm-link) = $version" >/dev/null ||
	{ rpmq -qp --provides "$devrpm"; fail "ljmm-devel does not provide pkgconfig(ljmm-link)"; }
rpmq -qpl "$devrpm" >"$tmp/devfiles"
printf '%s\n' /usr/lib64/ljmm /usr/lib64/ljmm/ljmm.dynlist /usr/lib64/ljmm/ljmm.o /usr/lib64/pkgconfig/ljmm-link.pc >"$tmp/devfiles.want"
diff "$tmp/devfiles.want" "$tmp/devfiles" >"$tmp/devfiles.diff" ||
	{ echo "--- expected / +++ rpm -qpl:"; cat "$tmp/devfiles.diff"; fail "ljmm-devel's files differ"; }
ok "ljmm-devel: $(dq '%{SUMMARY}'); Requires: $(paste -sd, "$tmp/devrequires"); no scriptlets; files: $(paste -sd' ' "$tmp/devfiles")"
r -i "$devrpm" >"$tmp/devinstall.out" 2>&1 || { cat "$tmp/devinstall.out"; fail "rpm -i ljmm-devel beside ljmm"; }
r -V ljmm-devel >"$tmp/devverify.out" 2>&1 || { cat "$tmp/devverify.out"; fail "rpm -V ljmm-devel"; }
obj=$root/usr/lib64/ljmm/ljmm.o
if readelf -S -W "$obj" | grep -F .debug_ >/dev/null; then fail "ljmm-devel: ljmm.o keeps debug sections (not stripped)"; fi
if command -v pkg-config >/dev/null 2>&1; then
	# ljmm-link.pc as installed in the root, its prefix moved there.
	pcl() { PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR=$root/usr/lib64/pkgconfig pkg-config --define-variable=prefix="$root/usr" "$@" ljmm-link; }
	# (pkgconf ends the line with a space.)
	[ "$(pcl --libs | sed 's/ *$//')" = "$obj -Wl,--dynamic-list=$root/usr/lib64/ljmm/ljmm.dynlist -pthread" ] ||
		fail "ljmm-link.pc in the root: $(pcl --libs)"
	mkdir "$tmp/link"
	# shellcheck disable=SC2046 # pkg-config output is a list of flags
	link_form_check "ljmm-devel" "$src" "$tmp/link" "$version" $(pcl --cflags --libs)
fi
if r -e ljmm >"$tmp/erase-early.out" 2>&1; then fail "rpm -e ljmm succeeded with ljmm-devel installed"; fi
grep -F 'needed by' "$tmp/erase-early.out" >/dev/null || { cat "$tmp/erase-early.out"; fail "rpm -e ljmm under ljmm-devel: no dependency error"; }
r -e ljmm-devel >"$tmp/deverase.out" 2>&1 || { cat "$tmp/deverase.out"; fail "rpm -e ljmm-devel"; }
[ ! -e "$root/usr/lib64/ljmm" ] || fail "rpm -e ljmm-devel left /usr/lib64/ljmm"
ok "ljmm-devel: installed beside ljmm (rpm -V clean), ljmm.o stripped, ljmm not erasable under it, erased"

# The timer enabled as docs/deploy.md says (the link systemctl enable makes): erasing
# the package, which is also its purge, removes it.
mkdir -p "$root/etc/systemd/system/timers.target.wants"
ln -s /usr/lib/systemd/system/ljmm-textfile.timer "$root/etc/systemd/system/timers.target.wants/ljmm-textfile.timer"
r -e ljmm >"$tmp/erase.out" 2>&1 || { cat "$tmp/erase.out"; fail "rpm -e"; }
sed 's/^/    /' "$tmp/erase.out"
[ ! -L "$root/etc/systemd/system/timers.target.wants/ljmm-textfile.timer" ] || fail "rpm -e left the timer enabled"
printf '%s\n' 'ljmm: purge: removed /etc/systemd/system/timers.target.wants/ljmm-textfile.timer (systemctl disable ljmm-textfile.timer)' \
	'ljmm: removed, but these files still preload libljmm_preload.so or run ljmm-run:' \
	'ljmm:   /etc/systemd/system/openresty.service' \
	'ljmm:   /etc/systemd/system/nginx.service.d/ljmm.conf' \
	'ljmm:   /run/systemd/system/worker.service' \
	"ljmm: remove those lines, then 'systemctl daemon-reload' and restart the services." >"$tmp/erase.want"
diff "$tmp/erase.want" "$tmp/erase.out" || fail "rpm -e: the warning is not the expected one (diff above)"
if r -q ljmm >/dev/null 2>&1; then fail "ljmm still installed in the root after rpm -e"; fi
left=0
while read -r f; do
	if [ -e "$root$f" ] || [ -L "$root$f" ]; then
		echo "left behind: $f"
		left=$((left + 1))
	fi
done <<<"$expect"
[ "$left" = 0 ] || fail "$left entries of the package left after rpm -e"
if ldconfig -p -C "$root/etc/ld.so.cache" | grep -F libljmm_preload >/dev/null; then
	fail "%postun did not remove the library from the root's ld.so cache"
fi
ok "rpm -e: %postun disabled the timer and listed exactly the three files that still use it; every file gone; ld.so cache clean"
echo
echo "rpm: ok"
