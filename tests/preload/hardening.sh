#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Process-level attacks on the shim and the lines it prints, one scenario per call:
#   logdaemon  a daemon closes every descriptor and opens its data file: the shim's
#              lines reach LJMM_LOG_FILE, never the data file
#   stderrdata a program closes its stderr and opens a data file as descriptor 2, then
#              fills the low 2 GiB: no warning or failure line lands in the data
#   logbash    a shell's `exec 3>out.txt` file gets nothing of the shim's
#   logfifo    a FIFO with no reader as LJMM_LOG_FILE: no hang, one line, stats on stderr
#   logmode    a log file the shim creates is 0600
#   twocopies  two copies of the library preloaded: one serves, the other stands aside
#              with one line; one statistics block, with the real figures
#   noproc     no /proc (a mount namespace with an empty /proc): the region still
#              serves >= 1900 MiB (root only)
#   early      LJMM_GUARD=lazy and another library's constructor used the region
#              first: the guard is reported placed (both preload orders), or occupied
#              by the kernel's block when the randomised break ends above 1 GiB
#   warn       the default LJMM_WARN: the 90% line and the failure line, once each
#   warnlist   LJMM_WARN=60%,75%,90%: one line per threshold, in order
#   warnoff    LJMM_WARN=off: none of the warning lines
#   httpsize   a 1213486160-byte request: the failure line and the "HTTP" line, once
#   memusage   glibc's libmemusage.so preloaded before the shim sees the mmap calls,
#              and the shim still serves the region
#   jemalloc   Debian's libjemalloc2 preloaded before or after the shim: both work
# Usage: hardening.sh SCENARIO LIBRARY PROG_PIE PROG_NOPIE EARLY_LIB   (exit 77: skipped)
set -euo pipefail
scenario=$1 lib=$2 pie=$3 nopie=$4 early=$5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# count PATTERN FILE: lines of FILE matching the extended regex PATTERN.
count() { grep -cE -- "$1" "$2" || true; }
# expect N PATTERN FILE WHAT
expect() {
	local n
	n=$(count "$2" "$3")
	[ "$n" = "$1" ] || {
		sed 's/^/  | /' "$3"
		fail "$4: $n lines match '$2', expected $1"
	}
}
run() { env LD_PRELOAD="$lib" "$@"; }

case $scenario in
logdaemon)
	LJMM_STATS=on LJMM_DEBUG=on LJMM_LOG_FILE=$dir/log run "$pie" daemon "$dir/data" 2>"$dir/err"
	[ "$(cat "$dir/data")" = "$(printf 'data\nmore')" ] || fail "the daemon's data file holds: $(head -c 200 "$dir/data")"
	expect 1 'ljmm\[[0-9]+\]: calls: mmap=' "$dir/log" "statistics in the log"
	[ "$(count 'region: served' "$dir/log")" -gt 0 ] || fail "no debug lines in the log"
	[ ! -s "$dir/err" ] || fail "stderr not empty: $(cat "$dir/err")"
	echo "logdaemon: data file intact, $(wc -l <"$dir/log") lines in the log"
	;;
stderrdata)
	run "$pie" stderrdata "$dir/data" || fail "stderrdata failed"
	;;
logbash)
	command -v bash >/dev/null || skip "no bash"
	LJMM_STATS=on LJMM_LOG_FILE=$dir/log run bash -c 'exec 3>"$1"; echo mine >&3; /bin/true; :' _ "$dir/out.txt"
	[ "$(cat "$dir/out.txt")" = mine ] || fail "out.txt holds: $(cat "$dir/out.txt")"
	expect 2 'calls: mmap=' "$dir/log" "statistics of bash and true in the log"
	echo "logbash: out.txt holds only the script's line"
	;;
logfifo)
	mkfifo "$dir/fifo"
	start=$(date +%s)
	LJMM_STATS=on LJMM_LOG_FILE=$dir/fifo timeout 20 env LD_PRELOAD="$lib" "$pie" noop 2>"$dir/err" ||
		fail "exit status $? (124: it hung)"
	expect 1 "^[0-9-]{10}T[0-9:.]{12}Z \[error\] ljmm\[[0-9]+\]: cannot open LJMM_LOG_FILE='$dir/fifo': ENXIO \(a FIFO with no reader\); logging to stderr$" \
		"$dir/err" "the error line"
	expect 1 'calls: mmap=' "$dir/err" "statistics on stderr"
	echo "logfifo: no hang ($(($(date +%s) - start)) s), one error line, statistics on stderr"
	;;
logmode)
	(umask 022 && LJMM_STATS=on LJMM_LOG_FILE=$dir/new.log run "$pie" noop)
	mode=$(stat -c %a "$dir/new.log")
	[ "$mode" = 600 ] || fail "the log file was created $mode, not 600"
	echo "logmode: created 0600"
	;;
twocopies)
	cp "$lib" "$dir/libljmm_copy.so"
	LJMM_STATS=on env LD_PRELOAD="$lib $dir/libljmm_copy.so" "$pie" exhaust >/dev/null 2>"$dir/err"
	expect 1 'another copy of the shim serves this process \(linked into the program, or earlier in LD_PRELOAD\); this copy stands aside' "$dir/err" \
		"the stand-aside line"
	expect 1 'calls: mmap=' "$dir/err" "statistics blocks"
	grep -E 'region-served=[1-9]' "$dir/err" >/dev/null || fail "the statistics are not the serving copy's"
	echo "twocopies: one copy served, the other stood aside"
	;;
noproc)
	[ "$(id -u)" = 0 ] || skip "needs root for a mount namespace"
	command -v unshare >/dev/null || skip "no unshare (util-linux)"
	unshare -m true 2>/dev/null || skip "mount namespaces are not available here"
	# /proc/self/maps and /proc/sys are gone for the program only.
	LJMM_STATS=on unshare -m sh -c 'mount -t tmpfs none /proc && exec env LD_PRELOAD="$1" "$2" fill 1900 scan' _ \
		"$lib" "$pie" >"$dir/out" 2>"$dir/err" || fail "$(cat "$dir/out" "$dir/err")"
	cat "$dir/out"
	grep -E 'scans=[1-9]' "$dir/err" >/dev/null || fail "no rebuild without /proc was counted: $(cat "$dir/err")"
	;;
early)
	for order in "$lib $early" "$early $lib"; do
		LJMM_GUARD=lazy env LD_PRELOAD="$order" "$nopie" early >"$dir/out" 2>&1 || fail "$(cat "$dir/out")"
		cat "$dir/out"
	done
	;;
warn)
	run "$pie" exhaust >/dev/null 2>"$dir/err"
	expect 1 '^[0-9-]{10}T[0-9:.]{12}Z \[warn\] ljmm\[[0-9]+\]: 90% of the low 2 GiB in use \([0-9.]+ MiB of [0-9.]+ MiB\)$' "$dir/err" \
		"the 90% line"
	expect 1 '^[0-9-]{10}T[0-9:.]{12}Z \[error\] ljmm\[[0-9]+\]: MAP_32BIT request of 1048576 bytes failed: the low 2 GiB is full \([0-9.]+ MiB of [0-9.]+ MiB in use, largest free range [0-9.]+ MiB( at 0x[0-9a-f]+)?\)$' \
		"$dir/err" "the failure line"
	expect 2 ' ljmm\[' "$dir/err" "lines of the shim in all"
	echo "warn: $(tr '\n' ' ' <"$dir/err")"
	;;
warnlist)
	LJMM_WARN=90%,60%,75% run "$pie" exhaust >/dev/null 2>"$dir/err"
	grep -o '\[warn\] ljmm\[[0-9]*\]: [0-9]*%' "$dir/err" | sed 's/.*: //' | tr '\n' ' ' >"$dir/seq"
	[ "$(cat "$dir/seq")" = "60% 75% 90% " ] || fail "threshold lines: $(cat "$dir/seq")"
	expect 1 'failed: the low 2 GiB is full' "$dir/err" "the failure line"
	echo "warnlist: $(cat "$dir/seq")"
	;;
warnoff)
	LJMM_WARN=off run "$pie" exhaust >/dev/null 2>"$dir/err"
	[ ! -s "$dir/err" ] || fail "stderr: $(cat "$dir/err")"
	echo "warnoff: nothing printed"
	;;
httpsize)
	run "$pie" httpsize >/dev/null 2>"$dir/err"
	expect 1 '^[0-9-]{10}T[0-9:.]{12}Z \[error\] ljmm\[[0-9]+\]: MAP_32BIT request of 1213486160 bytes failed: the low 2 GiB is full' "$dir/err" \
		"the failure line"
	expect 1 '^[0-9-]{10}T[0-9:.]{12}Z \[warn\] ljmm\[[0-9]+\]: MAP_32BIT request of 1213486160 bytes \(0x48545450\) failed: as text in network byte order its size reads "HTTP": a length taken from the data\?$' \
		"$dir/err" "the HTTP line"
	echo "httpsize: $(tr '\n' ' ' <"$dir/err")"
	;;
memusage)
	mu=
	for f in /usr/lib/x86_64-linux-gnu/libmemusage.so /lib/x86_64-linux-gnu/libmemusage.so /usr/lib64/libmemusage.so; do
		[ -e "$f" ] && mu=$f && break
	done
	[ -n "$mu" ] || skip "glibc's libmemusage.so not found"
	# The documented order: other interposers first, the shim last (ljmm-run appends it).
	MEMUSAGE_TRACE_MMAP=1 LJMM_STATS=on env LD_PRELOAD="$mu $lib" "$pie" exhaust >/dev/null 2>"$dir/err"
	calls=$(sed 's/\x1b\[[0-9;]*m//g' "$dir/err" | awk '/mmap\(a\)\|/ { print $2 }')
	[ "${calls:-0}" -gt 1900 ] || fail "libmemusage counted ${calls:-no} anonymous mmap calls: $(cat "$dir/err")"
	grep -E 'region-served=[1-9]' "$dir/err" >/dev/null || fail "the shim served nothing behind libmemusage"
	echo "memusage: libmemusage counted $calls anonymous mmaps; the shim served the region"
	;;
jemalloc)
	je=
	for f in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib64/libjemalloc.so.2; do
		[ -e "$f" ] && je=$f && break
	done
	[ -n "$je" ] || skip "Debian's libjemalloc2 is not installed"
	for order in "$je $lib" "$lib $je"; do
		LJMM_STATS=on env LD_PRELOAD="$order" "$pie" fill 2000 >"$dir/out" 2>"$dir/err" ||
			fail "order '$order': $(cat "$dir/out" "$dir/err")"
		grep -E 'region-served=[1-9]' "$dir/err" >/dev/null || fail "order '$order': the shim served nothing"
		echo "jemalloc: LD_PRELOAD='$order': $(cat "$dir/out")"
	done
	;;
*)
	fail "unknown scenario $scenario"
	;;
esac
