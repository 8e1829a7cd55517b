#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The systemd drop-in of docs/deploy.md, taken from the document itself (the ```ini block
# after the "<!-- ljmm-test: dropin" marker), with its library path replaced by the
# library under test and its log file by a temporary one.
#
#   verify  offline: systemd-analyze verify accepts a unit with the drop-in (no warning
#           about the drop-in file), and the library accepts every LJMM_* value in it
#           (no "ljmm:" error line when a program runs with that environment)
#   live    under a running systemd (PID 1): a test service with the drop-in gets the
#           variables (/proc/PID/environ, systemctl show), maps the library
#           (/proc/PID/maps), and its process writes statistics to LJMM_LOG_FILE when it
#           exits; everything is removed afterwards
#
# Exit 77 (skipped) when systemd-analyze is missing (verify) or systemd is not PID 1 /
# not root (live).
# Usage: systemd_dropin.sh verify|live DEPLOY_MD LIBRARY
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
mode=$1 doc=$2 lib=$3
unset LD_PRELOAD LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE
[ -r "$doc" ] || fail "cannot read $doc"
[ -f "$lib" ] || fail "no library at $lib"
lib=$(readlink -f "$lib")

# The drop-in as documented.
dropin=$(doc_block "$doc" dropin) || true
[ -n "$dropin" ] || fail "$doc: no \`\`\`ini block after the '<!-- ljmm-test: dropin' marker"
grep -qx '\[Service\]' <<<"$dropin" || fail "the drop-in has no [Service] section"
grep -q '^Environment=LD_PRELOAD=/' <<<"$dropin" || fail "the drop-in sets no absolute LD_PRELOAD"
doc_lib=$(sed -n 's/^Environment=LD_PRELOAD=\([^ ]*\).*/\1/p' <<<"$dropin" | sed -n 1p)
doc_log=$(grep -o 'LJMM_LOG_FILE=[^ ]*' <<<"$dropin" | sed -n 1p | cut -d= -f2- || true)
echo "drop-in from ${doc##*/}:"
printf '    %s\n' "${dropin//$'\n'/$'\n'    }"

tmp=""
make_tmpdir tmp dropin
chmod 755 "$tmp"
log=$tmp/ljmm.log
test_dropin=${dropin//"$doc_lib"/"$lib"}
if [ -n "$doc_log" ]; then test_dropin=${test_dropin//"$doc_log"/"$log"}; fi

# The assignments of the Environment= lines (plain words, as the document writes them).
assignments() {
	sed -n 's/^Environment=//p' <<<"$1" | tr ' ' '\n' | grep -v '^$'
}

case $mode in
verify)
	command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze is not installed (Debian package systemd)"
	unit=ljmm-dropin-test.service
	mkdir "$tmp/units" "$tmp/units/$unit.d"
	printf '[Unit]\nDescription=ljmm drop-in test\n\n[Service]\nExecStart=/bin/sleep 30\n' >"$tmp/units/$unit"
	printf '%s\n' "$test_dropin" >"$tmp/units/$unit.d/ljmm.conf"
	# Trailing colon: the given directory, then systemd's own unit path.
	SYSTEMD_UNIT_PATH=$tmp/units: systemd-analyze verify "$tmp/units/$unit" >"$tmp/verify.out" 2>&1 || {
		cat "$tmp/verify.out"
		fail "systemd-analyze verify failed"
	}
	if grep -q 'ljmm.conf\|ljmm-dropin-test' "$tmp/verify.out"; then
		cat "$tmp/verify.out"
		fail "systemd-analyze verify complains about the drop-in"
	fi
	echo "ok   systemd-analyze verify: no complaint about the drop-in"
	# Every assignment, with the library under test, in a real process: the library
	# must be loaded and must not reject any value.
	mapfile -t env_vars < <(assignments "$test_dropin")
	for a in "${env_vars[@]}"; do
		[[ $a =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || fail "not a plain NAME=value assignment: '$a'"
	done
	env -i PATH=/usr/bin:/bin "${env_vars[@]}" sh -c 'grep -c libljmm_preload /proc/$$/maps; exit 0' \
		>"$tmp/run.out" 2>"$tmp/run.err" || fail "a shell with the drop-in's environment failed"
	if grep -q 'ljmm' "$tmp/run.err"; then
		cat "$tmp/run.err"
		fail "the library rejects a value of the drop-in"
	fi
	[ "$(head -n 1 "$tmp/run.out")" -ge 1 ] || fail "the library is not mapped with the drop-in's environment"
	if [ -n "$doc_log" ]; then
		grep -q 'calls: mmap=' "$log" || fail "no statistics in LJMM_LOG_FILE ($log)"
	fi
	echo "ok   the drop-in's environment loads the library, every value accepted (${env_vars[*]})"
	;;
live)
	unit=ljmm-dropin-test-$$.service
	units=/run/systemd/system
	# Exit handler: the test unit goes, whatever happened (the temporary directory is
	# removed after it, by make_tmpdir's handler).
	remove_unit() {
		if [ -e "$units/$unit" ]; then
			systemctl stop "$unit" >/dev/null 2>&1
			rm -rf "${units:?}/$unit" "${units:?}/$unit.d"
			systemctl daemon-reload
			systemctl reset-failed "$unit" >/dev/null 2>&1
		fi
	}
	on_exit remove_unit
	pid1=$(ps -p 1 -o comm= 2>/dev/null | tr -d ' ' || true)
	[ "$pid1" = systemd ] || skip "systemd is not running (PID 1 is ${pid1:-unknown})"
	[ "$(id -u)" = 0 ] || skip "installing a test unit needs root"
	command -v systemctl >/dev/null 2>&1 || skip "systemctl is not installed"
	# The service's process exits normally on SIGTERM (bash runs its trap and calls
	# exit(), so the library writes its statistics; not /bin/sh: dash leaves with _exit(),
	# which runs no destructor). DefaultDependencies=no: starting it pulls in nothing else
	# (no sysinit.target).
	cat >"$tmp/unit" <<-EOF
		[Unit]
		Description=ljmm drop-in test (tests/docs/systemd_dropin.sh)
		DefaultDependencies=no

		[Service]
		Type=simple
		ExecStart=/bin/bash -c 'trap "exit 0" TERM; while :; do sleep 1; done'
	EOF
	mkdir -p "$units/$unit.d"
	cp "$tmp/unit" "$units/$unit"
	printf '%s\n' "$test_dropin" >"$units/$unit.d/ljmm.conf"
	systemctl daemon-reload
	systemctl start "$unit"
	pid=$(systemctl show -p MainPID --value "$unit")
	if [ -z "$pid" ] || [ "$pid" = 0 ]; then fail "$unit has no main process"; fi
	echo "ok   $unit started, main PID $pid"
	env_show=$(systemctl show -p Environment --value "$unit")
	while read -r a; do
		tr '\0' '\n' <"/proc/$pid/environ" | grep -xF "$a" >/dev/null || fail "/proc/$pid/environ lacks $a"
		grep -qF "$a" <<<"$env_show" || fail "systemctl show -p Environment lacks $a"
	done < <(assignments "$test_dropin")
	echo "ok   /proc/$pid/environ and systemctl show carry: $(assignments "$test_dropin" | tr '\n' ' ')"
	awk -v f="$lib" '$6 == f { found = 1 } END { exit !found }' "/proc/$pid/maps" || fail "$lib is not mapped in $pid"
	echo "ok   /proc/$pid/maps maps $lib"
	systemctl stop "$unit"
	if [ -n "$doc_log" ]; then
		grep -q "Z \[[a-z]*\] ljmm\[$pid\]: calls: mmap=" "$log" || { cat "$log" 2>/dev/null; fail "no statistics of $pid in LJMM_LOG_FILE"; }
		echo "ok   statistics of $pid in LJMM_LOG_FILE after systemctl stop"
	fi
	;;
*)
	echo "usage: $0 verify|live DEPLOY_MD LIBRARY" >&2
	exit 2
	;;
esac
echo "systemd drop-in ($mode): ok"
