#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The package scripts as built (Debian postinst and postrm, the RPM's %post and %postun,
# generated under BUILD/packaging from packaging/*/ *.in and packaging/preload-check.sh),
# run against a fake root ($LJMM_SCAN_ROOT, and once through $DPKG_ROOT) that holds
# every kind of configuration that can preload the library or start ljmm-run, next to
# look-alikes that do not (comments, vendor units, unrelated files):
#   - on removal (postrm remove, %postun 0) exactly the files that still use it are
#     listed, the full units in /etc/systemd/system and everything under /run/systemd
#     among them, a file name with a space intact;
#   - nothing on purge, upgrade (%postun 1) or an empty root, and an unknown postrm
#     argument fails as Debian policy asks;
#   - the textfile units: prerm and %preun (which stop them where systemd runs) exit 0;
#     postrm purge and %postun 0 remove the links `systemctl enable`
#     made for ljmm-textfile.timer and .service, and the ljmm.prom the service wrote,
#     and nothing else (other units' links, other .prom files); postrm remove and
#     %postun 1 leave them;
#   - postinst configure and %post warn about /etc/ld.so.preload only when it names the
#     library outside a comment;
#   - the RPM scripts call ldconfig (a stand-in first in PATH records it), under dash
#     and under bash as RHEL's /bin/sh, and exit 0;
#   - shellcheck finds nothing (it is told that each script uses only part of the
#     shared functions, SC2317).
# Usage: package_scripts.sh GENERATED_DIR   (BUILD/packaging)
set -euo pipefail
gen=$1
# shellcheck source-path=SCRIPTDIR source=package_lib.sh
. "$(dirname "$0")/package_lib.sh"
unset LJMM_SCAN_ROOT DPKG_ROOT
for s in debian/postinst debian/postrm debian/prerm rpm/post rpm/postun rpm/preun; do
	[ -r "$gen/$s" ] || fail "$gen/$s is missing (configure the tree again)"
done
if grep -n '@LJMM_PRELOAD_CHECK@' "$gen"/debian/post* "$gen"/rpm/post "$gen"/rpm/postun; then
	fail "the shared part was not pasted in (above)"
fi

make_tmp ljmm-pkgscripts
root=$tmp/root
lib=/usr/lib/x86_64-linux-gnu/libljmm_preload.so
put() { # put PATH TEXT: a file under the fake root
	mkdir -p "$(dirname "$root/$1")"
	printf '%b\n' "$2" >"$root/$1"
}

# ---- the fake root ---------------------------------------------------------------------
step "a fake root with configuration that still uses the library, and look-alikes"
expect=(
	/etc/ld.so.preload
	/etc/environment
	/etc/systemd/system.conf.d/ljmm.conf
	/etc/systemd/system/nginx.service.d/ljmm.conf
	/etc/systemd/system/openresty.service
	/etc/systemd/system/app.service
	/etc/systemd/user/luajit.service
	/run/systemd/system/nginx.service.d/override.conf
	/run/systemd/system/worker.service
	/run/systemd/transient/run-u42.service
	/etc/default/nginx
	"/etc/default/my app"
	/etc/sysconfig/openresty
)
put etc/ld.so.preload "$lib"
put etc/environment "LANG=C.UTF-8\nLD_PRELOAD=$lib"
put etc/systemd/system.conf.d/ljmm.conf "[Manager]\nDefaultEnvironment=LD_PRELOAD=$lib"
put etc/systemd/system/nginx.service.d/ljmm.conf "[Service]\nEnvironment=LD_PRELOAD=$lib\nEnvironment=LJMM_STATS=on"
put etc/systemd/system/openresty.service "[Unit]\nDescription=OpenResty\n[Service]\nEnvironment=\"LD_PRELOAD=/usr/lib64/libljmm_preload.so\"\nExecStart=/usr/bin/openresty"
put etc/systemd/system/app.service "[Service]\nExecStart=/usr/bin/ljmm-run --stats /usr/sbin/app"
put etc/systemd/user/luajit.service "[Service]\nEnvironment=LD_PRELOAD=$lib"
put run/systemd/system/nginx.service.d/override.conf "[Service]\nEnvironment=LD_PRELOAD=$lib"
put run/systemd/system/worker.service "[Service]\nEnvironment=LD_PRELOAD=$lib\nExecStart=/usr/bin/luajit w.lua"
put run/systemd/transient/run-u42.service "[Service]\nEnvironment=\"LD_PRELOAD=$lib\"\nExecStart=/usr/bin/luajit"
put etc/default/nginx "export LD_PRELOAD=$lib"
put "etc/default/my app" "LD_PRELOAD=/opt/ljmm/lib/libljmm_preload.so"
put etc/sysconfig/openresty "LD_PRELOAD=/usr/lib64/libljmm_preload.so"
# Look-alikes: commented out (# and ;, indented), vendor units (the package that ships
# them owns them), other files, a .wants link to a unit listed above.
put etc/systemd/system/nginx.service.d/old.conf "[Service]\n# Environment=LD_PRELOAD=$lib\n  ; Environment=LD_PRELOAD=$lib"
put etc/systemd/system/other.service "[Service]\nExecStart=/usr/bin/other"
put usr/lib/systemd/system/vendor.service "[Service]\nEnvironment=LD_PRELOAD=$lib"
put lib/systemd/system/vendor2.service "[Service]\nEnvironment=LD_PRELOAD=$lib"
put etc/default/grub "GRUB_TIMEOUT=5"
put etc/ld.so.conf.d/ljmm.conf "# $lib"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -s ../openresty.service "$root/etc/systemd/system/multi-user.target.wants/openresty.service"
ok "${#expect[@]} files that use it, 7 that do not"

# A stand-in ldconfig, first in PATH, that records its calls.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho ldconfig "$@" >>"%s/ldconfig.log"\n' "$tmp" >"$tmp/bin/ldconfig"
chmod 755 "$tmp/bin/ldconfig"

# run NAME SHELL SCRIPT ARG [VAR=VALUE...]: runs it (SHELL may hold options), stdout,
# stderr and status into files.
run() {
	local name=$1 script=$3 arg=$4 shell
	read -ra shell <<<"$2"
	shift 4
	: >"$tmp/ldconfig.log"
	set +e
	env PATH="$tmp/bin:$PATH" "$@" "${shell[@]}" "$gen/$script" "$arg" >"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
	set -e
}
rc() { cat "$tmp/$1.rc"; }
# The files a removal warning lists, sorted.
listed() { sed -n 's/^ljmm:   //p' "$tmp/$1.err" | sort; }
want_list() { printf '%s\n' "${expect[@]/#/$1}" | sort; }
silent() {
	[ "$(rc "$1")" = 0 ] || fail "$1: exit status $(rc "$1")"
	if [ -s "$tmp/$1.out" ] || [ -s "$tmp/$1.err" ]; then
		cat "$tmp/$1.out" "$tmp/$1.err"
		fail "$1 printed something"
	fi
}
removal_warning() { # removal_warning NAME PREFIX
	[ "$(rc "$1")" = 0 ] || { cat "$tmp/$1.err"; fail "$1: exit status $(rc "$1")"; }
	[ ! -s "$tmp/$1.out" ] || fail "$1 wrote to stdout: $(cat "$tmp/$1.out")"
	grep -qx 'ljmm: removed, but these files still preload libljmm_preload.so or run ljmm-run:' "$tmp/$1.err" ||
		{ cat "$tmp/$1.err"; fail "$1: no removal warning"; }
	grep -qx "ljmm: remove those lines, then 'systemctl daemon-reload' and restart the services." "$tmp/$1.err" ||
		{ cat "$tmp/$1.err"; fail "$1: no advice line"; }
	if ! diff <(want_list "$2") <(listed "$1") >"$tmp/$1.diff"; then
		cat "$tmp/$1.err"
		echo "--- expected / +++ listed:"
		cat "$tmp/$1.diff"
		fail "$1 does not list exactly the files that use the library"
	fi
}

# ---- Debian ---------------------------------------------------------------------------
step "Debian postrm"
run postrm-remove sh debian/postrm remove LJMM_SCAN_ROOT="$root"
removal_warning postrm-remove "$root"
ok "postrm remove lists the ${#expect[@]} files, and none of the look-alikes:"
sed 's/^/    /' "$tmp/postrm-remove.err"
run postrm-dpkgroot sh debian/postrm remove DPKG_ROOT="$root"
removal_warning postrm-dpkgroot "$root"
ok "postrm remove looks under \$DPKG_ROOT when it is set"
for arg in purge upgrade failed-upgrade abort-install abort-upgrade disappear; do
	run "postrm-$arg" sh debian/postrm "$arg" LJMM_SCAN_ROOT="$root"
	silent "postrm-$arg"
done
ok "postrm purge, upgrade, failed-upgrade, abort-install, abort-upgrade, disappear: silent, status 0"
run postrm-bogus sh debian/postrm bogus LJMM_SCAN_ROOT="$root"
if [ "$(rc postrm-bogus)" != 1 ] || ! grep -q "postrm called with unknown argument 'bogus'" "$tmp/postrm-bogus.err"; then
	fail "postrm bogus: status $(rc postrm-bogus), $(cat "$tmp/postrm-bogus.err")"
fi
ok "postrm with an unknown argument fails"
mkdir -p "$tmp/empty"
run postrm-empty sh debian/postrm remove LJMM_SCAN_ROOT="$tmp/empty"
silent postrm-empty
ok "postrm remove on a root without such files: silent"
[ ! -s "$tmp/ldconfig.log" ] || fail "the Debian postrm ran ldconfig (dpkg's trigger does that)"

step "the textfile units on purge"
uroot=$tmp/units
# uput: a tree where both units were enabled and the service wrote its file, beside
# another timer's link and another collector's file.
uput() {
	rm -rf "$uroot"
	mkdir -p "$uroot/etc/systemd/system/timers.target.wants" "$uroot/etc/systemd/system/multi-user.target.wants" \
		"$uroot/var/lib/prometheus/node-exporter"
	ln -s /usr/lib/systemd/system/ljmm-textfile.timer "$uroot/etc/systemd/system/timers.target.wants/ljmm-textfile.timer"
	ln -s /usr/lib/systemd/system/ljmm-textfile.service "$uroot/etc/systemd/system/multi-user.target.wants/ljmm-textfile.service"
	ln -s /lib/systemd/system/apt-daily.timer "$uroot/etc/systemd/system/timers.target.wants/apt-daily.timer"
	echo 'ljmm_processes 0' >"$uroot/var/lib/prometheus/node-exporter/ljmm.prom"
	echo 'apt_upgrades_pending 0' >"$uroot/var/lib/prometheus/node-exporter/apt.prom"
}
# left: what is left of the tree, one path a line.
left() { (cd "$uroot" && find . ! -type d | sort); }
before_purge=$(uput && left)
gone="./etc/systemd/system/multi-user.target.wants/ljmm-textfile.service
./etc/systemd/system/timers.target.wants/ljmm-textfile.timer
./var/lib/prometheus/node-exporter/ljmm.prom"
kept=$(printf '%s\n' "$before_purge" | grep -vxF "$gone")
for how in "sh debian/postrm purge" "sh rpm/postun 0" "bash rpm/postun 0"; do
	uput
	read -r sh script arg <<<"$how"
	run units "$sh" "$script" "$arg" LJMM_SCAN_ROOT="$uroot"
	[ "$(rc units)" = 0 ] || { cat "$tmp/units.err"; fail "$how: status $(rc units)"; }
	[ "$(left)" = "$kept" ] || { left; fail "$how: expected only these left: $kept"; }
	grep -q '^ljmm: purge: removed .*/timers.target.wants/ljmm-textfile.timer (systemctl disable ljmm-textfile.timer)$' "$tmp/units.out" ||
		{ cat "$tmp/units.out"; fail "$how: does not say what it removed"; }
done
ok "postrm purge and %postun 0 remove the units' links and ljmm.prom, nothing else"
for how in "sh debian/postrm remove" "sh rpm/postun 1"; do
	uput
	read -r sh script arg <<<"$how"
	run units "$sh" "$script" "$arg" LJMM_SCAN_ROOT="$uroot"
	[ "$(left)" = "$before_purge" ] || fail "$how removed something"
done
ok "postrm remove and %postun 1 (upgrade) leave them"

# prerm and %preun stop the units only where systemd runs this system: with DPKG_ROOT
# set they do nothing, whatever this machine runs.
for arg in remove upgrade deconfigure failed-upgrade; do
	run "prerm-$arg" sh debian/prerm "$arg" DPKG_ROOT="$uroot"
	silent "prerm-$arg"
done
run prerm-bogus sh debian/prerm bogus DPKG_ROOT="$uroot"
[ "$(rc prerm-bogus)" = 1 ] || fail "prerm bogus: status $(rc prerm-bogus)"
for arg in 0 1; do
	run "preun-$arg" sh rpm/preun "$arg" LJMM_SCAN_ROOT="$uroot"
	[ "$(rc "preun-$arg")" = 0 ] || fail "%preun $arg: status $(rc "preun-$arg")"
done
ok "prerm (remove, upgrade, deconfigure, failed-upgrade) and %preun exit 0; prerm fails on an unknown argument"

step "Debian postinst"
run postinst-preload sh debian/postinst configure LJMM_SCAN_ROOT="$root"
[ "$(rc postinst-preload)" = 0 ] || fail "postinst configure: status $(rc postinst-preload)"
grep -qx 'ljmm: /etc/ld.so.preload names libljmm_preload.so: it is loaded into every process.' "$tmp/postinst-preload.err" ||
	{ cat "$tmp/postinst-preload.err"; fail "postinst configure: no warning about /etc/ld.so.preload"; }
[ "$(wc -l <"$tmp/postinst-preload.err")" = 2 ] || { cat "$tmp/postinst-preload.err"; fail "postinst: more than the two warning lines"; }
ok "postinst configure warns about /etc/ld.so.preload"
put etc/ld.so.preload "# $lib\n/usr/lib/x86_64-linux-gnu/libother.so"
run postinst-commented sh debian/postinst configure LJMM_SCAN_ROOT="$root"
silent postinst-commented
run postinst-abort sh debian/postinst abort-upgrade LJMM_SCAN_ROOT="$root"
silent postinst-abort
ok "postinst: silent when /etc/ld.so.preload names it only in a comment, and on abort-upgrade"
put etc/ld.so.preload "$lib"

# ---- RPM ------------------------------------------------------------------------------
for shell in sh "bash --posix"; do
	sname=${shell%% *}
	step "RPM %post and %postun under $shell"
	run "postun0-$sname" "$shell" rpm/postun 0 LJMM_SCAN_ROOT="$root"
	removal_warning "postun0-$sname" "$root"
	grep -qx 'ldconfig' "$tmp/ldconfig.log" || fail "%postun 0 did not run ldconfig"
	ok "%postun 0 (erase) runs ldconfig and lists the same ${#expect[@]} files"
	run "postun1-$sname" "$shell" rpm/postun 1 LJMM_SCAN_ROOT="$root"
	silent "postun1-$sname"
	grep -qx 'ldconfig' "$tmp/ldconfig.log" || fail "%postun 1 did not run ldconfig"
	ok "%postun 1 (upgrade) runs ldconfig, silently"
	run "post-$sname" "$shell" rpm/post 1 LJMM_SCAN_ROOT="$root"
	[ "$(rc "post-$sname")" = 0 ] || fail "%post: status $(rc "post-$sname")"
	grep -qx 'ljmm: /etc/ld.so.preload names libljmm_preload.so: it is loaded into every process.' "$tmp/post-$sname.err" ||
		{ cat "$tmp/post-$sname.err"; fail "%post: no warning about /etc/ld.so.preload"; }
	grep -qx 'ldconfig' "$tmp/ldconfig.log" || fail "%post did not run ldconfig"
	run "post-empty-$sname" "$shell" rpm/post 1 LJMM_SCAN_ROOT="$tmp/empty"
	silent "post-empty-$sname"
	ok "%post runs ldconfig and warns about /etc/ld.so.preload (silent without it)"
done
# A failing ldconfig does not fail the transaction.
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/ldconfig"
run post-ldfail sh rpm/post 1 LJMM_SCAN_ROOT="$tmp/empty"
run postun-ldfail sh rpm/postun 0 LJMM_SCAN_ROOT="$tmp/empty"
if [ "$(rc post-ldfail)" != 0 ] || [ "$(rc postun-ldfail)" != 0 ]; then
	fail "a failing ldconfig fails %post or %postun"
fi
ok "a failing ldconfig leaves %post and %postun at status 0"

step "shellcheck"
if command -v shellcheck >/dev/null 2>&1; then
	shellcheck -s sh -e SC2317 "$gen/debian/postinst" "$gen/debian/postrm" "$gen/debian/prerm" "$gen/rpm/post" \
		"$gen/rpm/postun" "$gen/rpm/preun" ||
		fail "shellcheck (above)"
	ok "shellcheck: the six scripts are clean"
else
	echo "note: shellcheck is not installed; not run"
fi
echo
echo "package scripts: ok"
