#!/bin/sh
# SPDX-License-Identifier: MIT
# ljmm-maps on a program with the shim linked in (the link form ljmm.o), ctest
# tools_maps_linked_CASE.
# Usage: linked_test.sh CASE LJMM_MAPS LJMM_RUN LIBDIR HOLD [HOLD_PIE]
# HOLD is map32_hold.c linked with ljmm.o (tests/tools/CMakeLists.txt):
#   pie, nopie   a dynamic executable that exports the shim's symbols, PIE or not
#   static       -static -no-pie, with this build's C library (glibc, or musl in a musl build)
#   staticpie    -static-pie (glibc)
#   both         the exporting PIE one under ljmm-run as well: the preloaded copy stands
#                aside, and the counters must be the linked copy's
#   noexport     a PIE one that does not export them, under ljmm-run: both copies claim to
#                serve, and the counters must be those of the one the calls reach (the
#                linked copy; the preloaded one counts mmap=0)
#   nophdr       a -static one that unmaps its program headers (linked_nophdr.c): linked in
#                by its file, but no mapping of the program to read, which ljmm-maps says
#   check        ljmm-run (ctest tools_run_linked) on the -static one (HOLD) and the
#                exporting PIE one (HOLD_PIE): --check finds the shim's note in the
#                program and says so (exit 0), and ljmm-run runs a static program with
#                the shim linked in, whose copy gets the options (--stats)
# Each: the header, the JSON, the table and Prometheus say the shim is linked in, and the
# counters are read from the program. In a non-PIE program the program's .bss and the
# shim's 7 MiB node pool (.lbss) lie below 1 GiB: file/program, not region.
set -u
case=$1 maps=$2 run=$3 libdir=$4 hold=$5 hold_pie=${6:-}
unset LD_PRELOAD LJMM_LIBRARY LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE LJMM_MAPS_DEBUG
lib=$(cd "$libdir" && pwd -P)/libljmm_preload.so
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
[ "$case" = check ] || need_mem_access

# json_num KEY: the number of the JSON object ($dir/json, one line) with that key (the
# keys used here occur once with a number).
json_num() {
	sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" "$dir/json"
}

# look FORM: the picture, the JSON, the table and Prometheus, each saying how the shim is in
# the process (FORM: linked or linked+preload), with the counters read.
look() {
	LJMM_MAPS_DEBUG=1 "$maps" "$pid" >"$dir/out" 2>"$dir/debug" || fail "ljmm-maps $pid failed"
	cat "$dir/out" "$dir/debug"
	"$maps" --json "$pid" >"$dir/json" 2>"$dir/err" || fail "ljmm-maps --json $pid failed"
	if [ "$1" = linked ]; then mapped=no; else mapped=yes; fi
	grep -q "^pid $pid ([^)]*)  libljmm_preload: $mapped  shim: $1  " "$dir/out" || fail "header: not 'shim: $1'"
	grep -q "\"shim\":\"$1\"" "$dir/json" || fail "JSON: no \"shim\":\"$1\""
	grep -q '^shim counters: active, ' "$dir/out" || fail "the counters of the linked copy were not read"
	grep -q '"counters":{"status":"active"' "$dir/json" || fail "JSON: counters not active"
	calls=$(json_num mmap_calls)
	[ "${calls:-0}" -gt 900 ] || fail "mmap_calls is '$calls': not the counters of the copy that serves"
	"$maps" --table "$pid" >"$dir/table" 2>"$dir/err" || fail "ljmm-maps --table $pid failed"
	if [ "$1" = linked ]; then word="link"; else word="both"; fi
	awk -v p="$pid" -v w="$word" 'NR > 1 && $1 == p && $3 == w { ok = 1 } END { exit !ok }' "$dir/table" ||
		fail "table: SHIM is not '$word'"
	"$maps" --prometheus "$pid" >"$dir/prom" 2>"$dir/err" || fail "ljmm-maps --prometheus $pid failed"
	for m in ljmm_shim_loaded ljmm_shim_linked ljmm_shim_enabled ljmm_counters_readable; do
		grep -q "^$m{pid=\"$pid\",[^}]*} 1\$" "$dir/prom" || fail "Prometheus: $m is not 1"
	done
}

case $case in
pie | nopie | static | staticpie)
	start "$hold"
	grep -q '^ready 20[0-9][0-9] MiB' "$hold_out" || fail "the linked helper did not reach 2000 MiB: $(cat "$hold_out")"
	look linked
	grep -q 'debug: pid [0-9]*: the program at 0x[0-9a-f]* .*: found by the note, active' "$dir/debug" ||
		fail "the probe was not found in the program"
	file=$(json_num file)
	region=$(json_num region)
	case $case in
	nopie | static)
		# Old ljmm-maps: about 0.7 MiB of file/program, the node pool in the region.
		[ "${file:-0}" -ge $((7 * MIB)) ] || fail "file/program is $file bytes: the node pool was not counted as the program's"
		;;
	esac
	# Region and heap together: in a -static glibc program the brk heap exists before the
	# shim starts (glibc's static start-up takes its TLS block with sbrk), and the
	# kernel merges the region's blocks right above it into the [heap] mapping.
	heap=$(json_num heap)
	[ $((${region:-0} + ${heap:-0})) -gt $((900 * MIB)) ] || fail "region $region and heap $heap bytes"
	echo "ok: $case: file/program $((file / 1024)) KiB, region $((region / MIB)) MiB, heap $((heap / MIB)) MiB, mmap_calls $calls"
	;;
both | noexport)
	LJMM_STATS=on start "$run" --lib "$lib" "$hold"
	look linked+preload
	if [ "$case" = both ]; then
		grep -q 'debug: pid [0-9]*: object at .*: found by the note, aside' "$dir/debug" ||
			fail "the preloaded copy does not stand aside"
		grep -q "ljmm\[$pid\]: another copy of the shim serves this process (linked into the program, or earlier in LD_PRELOAD); this copy stands aside\$" "$hold_out" ||
			fail "the preloaded copy's line does not say what stands aside for what"
	fi
	echo "ok: $case: mmap_calls $calls, read from the program"
	;;
nophdr)
	start "$hold"
	"$maps" --json "$pid" >"$dir/json" 2>"$dir/err" || fail "ljmm-maps --json $pid failed"
	cat "$dir/json"
	grep -q '"shim":"linked","counters":{"status":"unreadable","detail":"the program'"'"'s mapping was not found (AT_PHDR)"}' "$dir/json" ||
		fail "not linked, with the counters unreadable for want of the program's mapping"
	echo "ok: AT_PHDR unmapped: linked, counters unreadable, and why"
	;;
check)
	"$run" --lib "$lib" --check "$hold" >"$dir/out" 2>"$dir/err" || fail "--check $hold: exit $?, expected 0"
	expect="$hold: the shim is linked in and would serve (statically linked (no PT_INTERP): nothing reads LD_PRELOAD, and none is needed; its .note.ljmm shows the link form ljmm.o in it)"
	[ "$(cat "$dir/out")" = "$expect" ] && [ ! -s "$dir/err" ] || fail "--check of the -static program: expected '$expect'"
	cat "$dir/out"
	"$run" --lib "$lib" --check "$hold_pie" >"$dir/out" 2>"$dir/err" || fail "--check $hold_pie: exit $?, expected 0"
	grep -q "^$hold_pie: the shim would be loaded (dynamically linked, loader /.*; the shim is linked into it as well (its .note.ljmm: the link form ljmm.o); the preloaded copy stands aside when the program exports the shim's names" "$dir/out" ||
		fail "--check of the PIE program with the shim linked in"
	cat "$dir/out"
	# Run, not refused: the linked copy serves and reads --stats's LJMM_STATS=on.
	start "$run" --lib "$lib" --stats "$hold" 4
	stop "$pid"
	grep -q "ljmm\[$pid\]: .*calls: mmap=4 " "$hold_out" || fail "no exit report of the linked copy under ljmm-run --stats"
	echo "ok: ljmm-run ran the -static program with the shim linked in, and its copy reported"
	;;
*)
	fail "unknown case $case"
	;;
esac
