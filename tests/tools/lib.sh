# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034,SC2154 # $case is the caller's; MIB and $hold_out are for it
# Shared by the ljmm-maps test scripts (sourced; POSIX sh): a temporary directory,
# helper processes started in the background and killed however the script ends, and
# the failure report. The caller sets $case before sourcing.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
dir=$(mktemp -d)
bg_pids=
pid=
nstarted=0
# The helpers wait to be killed: kill them however this script ends.
cleanup() {
	for p in $bg_pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# fail (common.sh) shows what the test saw.
LJMM_FAIL_SHOW="$dir/out $dir/err $dir/json $dir/hold1 $dir/hold2 $dir/hold3 $dir/hold4"

MIB=1048576

# start COMMAND...: run a helper (map32_hold, fake_probe) in the background, wait for
# its "ready" line; $pid is its process ID and $hold_out its output file.
start() {
	nstarted=$((nstarted + 1))
	hold_out=$dir/hold$nstarted
	: >"$hold_out" # before the background job opens it, so that grep finds it
	"$@" >"$hold_out" 2>&1 &
	pid=$!
	bg_pids="$bg_pids $pid"
	i=0
	until grep "^ready" "$hold_out" >/dev/null; do
		kill -0 "$pid" 2>/dev/null || fail "the helper $* exited early"
		i=$((i + 1))
		[ "$i" -lt 300 ] || fail "the helper $* did not get ready in 30 s"
		sleep 0.1
	done
}

# stop PID: end a helper with SIGTERM (map32_hold then exits normally, writing the
# shim's statistics) and wait for it.
stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	new=
	for p in $bg_pids; do
		[ "$p" = "$1" ] || new="$new $p"
	done
	bg_pids=$new
}

# need_mem_access: skip (77) where ljmm-maps could not read the shim's counters of the
# test's own helpers, which are not its children: Yama's ptrace_scope 3 (no one may),
# or 1 and 2 (only CAP_SYS_PTRACE may) for a user other than root.
need_mem_access() {
	scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
	if [ "$scope" = 3 ] || { [ "$scope" != 0 ] && [ "$(id -u)" != 0 ]; }; then
		echo "SKIP: kernel.yama.ptrace_scope is $scope: ljmm-maps may not read the counters of other processes here"
		exit 77
	fi
}

# promtool_check FILE: `promtool check metrics` (Debian: prometheus) has nothing to say
# about FILE; a note when promtool is not installed (prom_check.sh has checked the format).
promtool_check() {
	if command -v promtool >/dev/null 2>&1; then
		promtool check metrics <"$1" >"$dir/promtool" 2>&1 || {
			cat "$dir/promtool"
			fail "promtool check metrics rejects $1"
		}
		[ ! -s "$dir/promtool" ] || {
			cat "$dir/promtool"
			fail "promtool check metrics complains about $1"
		}
		echo "promtool check metrics: clean"
	else
		echo "(promtool is not installed, Debian: prometheus; promtool check metrics not run)"
	fi
}
