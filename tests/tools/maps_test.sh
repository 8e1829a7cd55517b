#!/bin/sh
# SPDX-License-Identifier: MIT
# ljmm-maps tests (ctest tools_maps_CASE).
# Usage: maps_test.sh CASE LJMM_MAPS LJMM_RUN LIBDIR MAP32_HOLD_PIE MAP32_HOLD_NOPIE
# (The fleet forms, the counters and Prometheus: fleet_test.sh.)
# Case i386: a 32-bit process (hold32.s, assembled here) gets one line instead of a
# picture, and rows that say so; skipped (77) without binutils' as and ld, or where the
# kernel cannot run i386 programs (no CONFIG_IA32_EMULATION, or ia32_emulation=0).
set -u
case=$1 maps=$2 run=$3 libdir=$4 hold_pie=$5 hold_nopie=$6
unset LD_PRELOAD LJMM_LIBRARY LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE
lib=$(cd "$libdir" && pwd -P)/libljmm_preload.so
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

# look: ljmm-maps on the helper, as text ($dir/out) and JSON ($dir/json).
look() {
	"$maps" "$pid" >"$dir/out" 2>"$dir/err" || fail "ljmm-maps $pid failed"
	"$maps" --json "$pid" >"$dir/json" 2>"$dir/err" || fail "ljmm-maps --json $pid failed"
}

# look_mapped NAME yes|no: look, print the picture, and check that its header names the
# helper (NAME, a grep pattern: the kernel cuts a command's name at 15 characters) and
# that the header and the JSON say whether the library is mapped.
look_mapped() {
	look
	cat "$dir/out"
	grep -q "^pid $pid ($1)  libljmm_preload: $2" "$dir/out" || fail "header"
	if [ "$2" = yes ]; then mapped=true; else mapped=false; fi
	grep -q "\"ljmm_mapped\":$mapped" "$dir/json" || fail "ljmm_mapped in the JSON"
}

# bytes KEY: a total from the JSON output.
bytes() {
	sed -n 's/.*"bytes":{\([^}]*\)}.*/\1/p' "$dir/json" | tr ',' '\n' | sed -n "s/^\"$1\":\([0-9][0-9]*\)$/\1/p"
}

# more_than KEY MIB
more_than() {
	v=$(bytes "$1")
	[ -n "$v" ] || fail "no total '$1' in the JSON"
	[ "$v" -gt $(($2 * MIB)) ] || fail "$1 is $v bytes, expected more than $2 MiB"
}

less_than() {
	v=$(bytes "$1")
	[ -n "$v" ] || fail "no total '$1' in the JSON"
	[ "$v" -lt $(($2 * MIB)) ] || fail "$1 is $v bytes, expected less than $2 MiB"
}

# bad_input WHAT PATTERN FILE: exit 1, one line on stderr, nothing on stdout.
bad_input() {
	"$maps" --maps-file "$3" >"$dir/out" 2>"$dir/err"
	rc=$?
	[ "$rc" = 1 ] || fail "$1: exit status $rc, expected 1"
	[ "$(wc -l <"$dir/err")" = 1 ] || fail "$1: $(wc -l <"$dir/err") lines on stderr, expected 1"
	grep -q "^ljmm-maps: .*$2" "$dir/err" || fail "$1: stderr does not match '$2'"
	[ ! -s "$dir/out" ] || fail "$1: output on stdout"
	echo "$1: $(cat "$dir/err")"
}

# usage_error ARGS...: exit 2 with one line on stderr.
usage_error() {
	"$maps" "$@" >"$dir/out" 2>"$dir/err"
	rc=$?
	[ "$rc" = 2 ] || fail "ljmm-maps $*: exit status $rc, expected 2"
	[ "$(wc -l <"$dir/err")" = 1 ] || fail "ljmm-maps $*: expected one line on stderr"
}

case $case in
shim_nopie | shim_pie)
	if [ "$case" = shim_nopie ]; then hold=$hold_nopie; else hold=$hold_pie; fi
	start "$run" --lib "$lib" "$hold"
	look_mapped 'map32_hold_[a-z]*' yes
	more_than region 900
	more_than kernel 900
	less_than free 100
	if [ "$case" = shim_nopie ]; then
		grep -q '"guard":"0x[0-9a-f]*"' "$dir/json" || fail "no guard found for the -no-pie helper"
		grep -q '^  G guard .* one page at 0x' "$dir/out" || fail "no guard in the totals"
		# The break is randomised anywhere in the first GiB or just above it (Linux 6.x):
		# the guard's G is in whichever row holds it.
		grep -q '^  0x[0-9a-f]\{8\} .*G' "$dir/out" || fail "no G in the picture"
		grep -q '"heap":{"start"' "$dir/json" || fail "no heap below 2 GiB for the -no-pie helper"
	else
		grep -q '"guard":null' "$dir/json" || fail "a guard for the PIE helper"
	fi
	;;
guard_lo)
	# LJMM_REGION_LO raised to 2 GiB - 1 MiB: the shim puts its guard just below it,
	# more than 1 GiB above a heap in the first GiB (where a -no-pie program's break
	# usually starts), beyond any guess from the heap. ljmm-maps must take the place
	# from the counters (guard_state, guard_addr). The break is randomised: a helper
	# whose heap ends above 0x3feff000 is tried again.
	need_mem_access
	guard=0x7feff000 tries=0
	while :; do
		start env LJMM_REGION_LO=0x7ff00000 "$run" --lib "$lib" "$hold_nopie" 4
		look
		heap_end=$(sed -n 's/.*"heap":{"start":"0x[0-9a-f]*","end":"\(0x[0-9a-f]*\)"}.*/\1/p' "$dir/json")
		[ -n "$heap_end" ] || fail "no heap below 2 GiB for the -no-pie helper"
		[ $((guard - heap_end)) -le $((1 << 30)) ] || break
		stop "$pid"
		tries=$((tries + 1))
		[ "$tries" -lt 10 ] || skip "the break started above 1 GiB in 10 runs: the guard is never more than 1 GiB above it"
	done
	cat "$dir/out"
	grep -q '"counters":{"status":"active"' "$dir/json" || fail "the counters were not read"
	grep -q "\"guard\":\"$guard\"" "$dir/json" || fail "the guard at $guard, $(((guard - heap_end) >> 20)) MiB above the heap, not found"
	grep -q "^  G guard .* one page at $guard, [0-9]* KiB above the heap\$" "$dir/out" || fail "no guard in the totals"
	grep -q '^  0x40000000 .*G$' "$dir/out" || fail "no G at the end of the second row"
	;;
noshim)
	start "$hold_pie"
	look_mapped map32_hold_pie no
	more_than kernel 900
	less_than region 16
	more_than free 900
	;;
nopid)
	"$maps" 4194304 >"$dir/out" 2>"$dir/err"
	[ $? = 1 ] || fail "exit status for pid 4194304 (above any pid_max)"
	[ "$(cat "$dir/err")" = "ljmm-maps: no such process 4194304" ] || fail "message for a missing pid"
	sh -c 'exit 0' &
	gone=$!
	wait "$gone"
	"$maps" "$gone" >"$dir/out" 2>"$dir/err"
	[ $? = 1 ] || fail "exit status for the exited pid $gone"
	grep -q "^ljmm-maps: no such process $gone\$" "$dir/err" || fail "message for an exited pid"
	"$maps" self >"$dir/out" 2>"$dir/err" || fail "ljmm-maps self"
	grep -q '^pid [0-9]* (ljmm-maps)  libljmm_preload: no' "$dir/out" || fail "ljmm-maps self header"
	grep -q '^shim counters: n/a$' "$dir/out" || fail "ljmm-maps self: counters line"
	# A kernel thread, where one is visible (not in a container's PID namespace).
	if [ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ]; then
		"$maps" 2 >"$dir/out" 2>"$dir/err"
		[ $? = 1 ] || fail "exit status for the kernel thread 2"
		[ "$(cat "$dir/err")" = "ljmm-maps: process 2 has no user mappings (a kernel thread)" ] ||
			fail "message for a kernel thread"
	fi
	;;
usage)
	usage_error
	usage_error --bogus
	usage_error abc
	usage_error 0
	usage_error -- -5
	usage_error --maps-file
	usage_error --maps-file /dev/null 1
	usage_error --maps-file /dev/null --all x
	usage_error --maps-file /dev/null --prometheus
	usage_error --json --prometheus 1
	usage_error --all
	usage_error --all ''
	usage_error --all=
	usage_error --table
	"$maps" --help >"$dir/out" || fail "--help"
	grep -q '^Usage: ljmm-maps' "$dir/out" || fail "--help output"
	"$maps" --version | grep '^ljmm-maps (ljmm) [0-9]' >/dev/null || fail "--version"
	# Output that cannot be written is an error (exit 1), with one line saying so.
	for args in --help --version self "--table self" "--prometheus self"; do
		# shellcheck disable=SC2086 # the words of $args are separate arguments
		"$maps" $args >/dev/full 2>"$dir/err"
		rc=$?
		[ "$rc" = 1 ] || fail "ljmm-maps $args >/dev/full: exit status $rc, expected 1"
		[ "$(cat "$dir/err")" = "ljmm-maps: cannot write the output: No space left on device" ] ||
			fail "ljmm-maps $args >/dev/full: $(cat "$dir/err")"
	done
	;;
fixture)
	# A made-up non-PIE layout; every total is known to the byte.
	cat >"$dir/maps" <<'EOF'
00010000-00400000 rw-p 00000000 00:00 0 
00400000-00401000 r--p 00000000 08:01 1234                               /usr/bin/prog
00401000-00402000 r-xp 00001000 08:01 1234                               /usr/bin/prog
00402000-00403000 rw-p 00002000 08:01 1234                               /usr/bin/prog
00403000-00404000 rw-p 00000000 00:00 0 
10000000-10021000 rw-p 00000000 00:00 0                                  [heap]
10021000-10022000 ---p 00000000 00:00 0 
20000000-3ff00000 rw-p 00000000 00:00 0 
3ff00000-40100000 rw-p 00000000 00:00 0 
40100000-7ff00000 rw-p 00000000 00:00 0                                  [anon:luajit]
7ff00000-7ff10000 r--p 00000000 08:01 99                                 /opt/lib dir/libljmm_preload.so.0.1.0
7ffff000-80001000 rw-p 00000000 00:00 0 
7f0000000000-7f0000001000 ---p 00000000 00:00 0 
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
EOF
	"$maps" --maps-file "$dir/maps" >"$dir/out" 2>"$dir/err" || fail "ljmm-maps --maps-file"
	"$maps" --json --maps-file "$dir/maps" >"$dir/json" 2>"$dir/err" || fail "ljmm-maps --json --maps-file"
	cat "$dir/out"
	cat "$dir/json"
	# R: 0x3f0000 + bss 0x1000 + 0x1ff00000 + the 1 MiB below 1 GiB of the straddler.
	[ "$(bytes region)" = $((0x3f0000 + 0x1000 + 0x1ff00000 + 0x100000)) ] || fail "region total"
	# K: the 1 MiB above 1 GiB, the named block, the 4 KiB below 2 GiB of the last one.
	[ "$(bytes kernel)" = $((0x100000 + 0x3fe00000 + 0x1000)) ] || fail "kernel total"
	[ "$(bytes heap)" = $((0x21000)) ] || fail "heap total"
	[ "$(bytes guard)" = 4096 ] || fail "guard total"
	[ "$(bytes file)" = $((0x3000 + 0x10000)) ] || fail "file total"
	[ "$(bytes free)" = $((0x80000000 - 0x203f1000 - 0x3ff01000 - 0x21000 - 0x1000 - 0x13000)) ] || fail "free total"
	grep -q '"guard":"0x10021000"' "$dir/json" || fail "guard address"
	grep -q '"largest_free":{"start":"0x10022000","bytes":268296192}' "$dir/json" || fail "largest hole"
	grep -q '"ljmm_mapped":true' "$dir/json" || fail "library with a space in its directory"
	grep -q '^  0x00000000 ................G...............RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR$' "$dir/out" ||
		fail "picture, first GiB"
	grep -q '^  0x40000000 KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK$' "$dir/out" ||
		fail "picture, second GiB"
	# A path of 100 000 characters is fine.
	long=$(head -c 100000 /dev/zero | tr '\0' a)
	printf '00400000-00401000 r--p 00000000 08:01 1 /%s\n' "$long" >"$dir/long"
	"$maps" --maps-file "$dir/long" >"$dir/out" 2>"$dir/err" || fail "a long path"
	;;
malformed)
	m=$dir/m
	printf 'garbage\n' >"$m"
	bad_input "garbage" "malformed maps line (bad address range)" "$m"
	printf '00400000-00300000 r--p 00000000 08:01 1 /x\n' >"$m"
	bad_input "reversed range" "range ends before it starts" "$m"
	printf '00400001-00401000 r--p 00000000 08:01 1 /x\n' >"$m"
	bad_input "unaligned" "not page-aligned" "$m"
	printf '00400000-00401000 rwxq 00000000 08:01 1 /x\n' >"$m"
	bad_input "bad permissions" "bad permissions" "$m"
	printf '00400000-00401000 r' >"$m"
	bad_input "cut short in the permissions" "bad permissions" "$m"
	printf '00400000-00401000 r--p 00000000 08:01\n' >"$m"
	bad_input "no inode" "bad device" "$m"
	printf '00400000-00401000 r--p 00000000 08:01 12x /x\n' >"$m"
	bad_input "junk after the inode" "junk after the inode" "$m"
	printf '00000000000400000-00401000 r--p 00000000 08:01 1 /x\n' >"$m"
	bad_input "17-digit address" "bad address range" "$m"
	printf '00400000-00402000 r--p 00000000 08:01 1 /x\n00401000-00403000 r--p 00000000 08:01 1 /x\n' >"$m"
	bad_input "overlap" "$m:2: malformed maps line (mapping out of order" "$m"
	printf '00400000-00401000 r--p 00000000 08:01 1 /x\0y\n' >"$m"
	bad_input "NUL byte" "NUL byte" "$m"
	: >"$m"
	bad_input "empty file" "no mappings" "$m"
	bad_input "a binary file" "malformed maps line" "$maps"
	bad_input "a directory" "cannot read $dir" "$dir"
	bad_input "a missing file" "cannot open $dir/missing" "$dir/missing"
	;;
i386)
	for t in as ld; do
		command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (Debian: binutils)"
	done
	as --32 -o "$dir/hold32.o" "$(dirname "$0")/hold32.s" 2>"$dir/err" || skip "as --32 cannot assemble i386 code: $(cat "$dir/err")"
	ld -m elf_i386 -o "$dir/hold32" "$dir/hold32.o" 2>"$dir/err" || skip "ld -m elf_i386 cannot link: $(cat "$dir/err")"
	"$dir/hold32" >/dev/null 2>&1 &
	p=$!
	sleep 0.2
	if ! kill -0 "$p" 2>/dev/null; then
		wait "$p" 2>/dev/null
		skip "this kernel does not run i386 programs"
	fi
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	start "$dir/hold32"
	# The picture: one line, exit 0.
	"$maps" "$pid" >"$dir/out" 2>"$dir/err" || fail "ljmm-maps of a 32-bit process: exit status $?"
	cat "$dir/out"
	[ ! -s "$dir/err" ] || fail "stderr not empty"
	[ "$(cat "$dir/out")" = "pid $pid (hold32): a 32-bit process (i386): its whole address space lies below 4 GiB, so it has no low-2-GiB limit (MAP_32BIT and the shim are for x86-64 processes)" ] ||
		fail "not the one line for a 32-bit process"
	"$maps" --json "$pid" >"$dir/json" || fail "--json"
	grep -q '^{"pid":'"$pid"',"comm":"hold32","abi":"i386","ljmm_mapped":false,"mappings":[0-9]*,"bytes":null,.*"picture":null,' "$dir/json" ||
		fail "JSON of a 32-bit process"
	# A 64-bit process says x86_64.
	"$maps" --json self >"$dir/json" || fail "--json self"
	grep -q '"abi":"x86_64"' "$dir/json" || fail "JSON abi of ljmm-maps itself"
	# Rows: figures unknown, the last column says why; Prometheus marks it and gives no
	# low-2-GiB figure for it.
	"$maps" --table "$pid" >"$dir/out" || fail "--table"
	cat "$dir/out"
	[ "$(awk -v p="$pid" '$1 == p { $1 = $1; print }' "$dir/out")" = "$pid hold32 no - - - - - - - - 32-bit (i386: no low-2-GiB limit)" ] ||
		fail "the table row of a 32-bit process"
	"$maps" --prometheus "$pid" >"$dir/out" || fail "--prometheus"
	sh "$(dirname "$0")/prom_check.sh" "$dir/out" || fail "--prometheus: not valid"
	grep -q "^ljmm_process_32bit{pid=\"$pid\",command=\"hold32\"} 1\$" "$dir/out" || fail "ljmm_process_32bit"
	if grep "^ljmm_\(kernel_window\|region\|free\|largest_hole\)_bytes{pid=\"$pid\"\|^ljmm_low_used_ratio{pid=\"$pid\"" "$dir/out" >/dev/null; then
		fail "low-2-GiB figures for a 32-bit process"
	fi
	# A program its reader may not read (mode 0111, and the reader without
	# CAP_DAC_OVERRIDE): 32-bit by its mappings, none above 4 GiB.
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
		cp "$dir/hold32" "$dir/hold32x"
		chmod 0111 "$dir/hold32x"
		start "$dir/hold32x"
		setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search \
			"$maps" "$pid" >"$dir/out" 2>"$dir/err" || fail "ljmm-maps without CAP_DAC_OVERRIDE"
		cat "$dir/out"
		grep -q "^pid $pid (hold32x): a 32-bit process (by its mappings): " "$dir/out" || fail "32-bit by the mappings"
	else
		echo "(not root, or no setpriv: the fallback to the mappings is not tested)"
	fi
	"$maps" --prometheus self >"$dir/out" || fail "--prometheus self"
	grep -q '^ljmm_process_32bit{pid="[0-9]*",command="ljmm-maps"} 0$' "$dir/out" || fail "ljmm_process_32bit of itself"
	;;
*)
	fail "unknown case"
	;;
esac
echo "ljmm-maps $case: ok"
