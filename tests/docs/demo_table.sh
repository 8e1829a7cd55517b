#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo's tables stay readable: the library's lines (ljmm[PID]: ..., LJMM_WARN is on
# by default, so every run under the shim that fills the low 2 GiB writes its 90 %
# warning and its failure line on stderr) come after the tables, under their heading,
# never between the rows.
#   demo_table.sh check FILE
#       FILE is what scripts/demo.sh printed, standard output and error together (as a
#       terminal shows them); scripts/test.sh checks its demo run this way.
#   demo_table.sh run SOURCE_DIR LIB MAP32_FILL
#       runs `scripts/demo.sh --report` with LIB, the real MAP32_FILL (whose run under
#       the shim writes the library's real lines) and a stand-in for LuaJIT (a shell
#       script that prints fill.lua's RESULT line and, under the shim, two lines in the
#       library's format, as LuaJIT does), then checks its output, and the demo's output
#       README.md shows (ctest docs_demo_table).
set -u
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

# check FILE
check() {
	[ -s "$1" ] || fail "$1 is empty"
	# The library's lines are matched anywhere in a line (they may gain a time and a
	# level in front).
	awk '
		function bad(msg) { printf "FAIL: line %d: %s: %s\n", NR, msg, $0; failed = 1 }
		/^Largest Lua heap before/ { table = 1; rows1 = 0; next }
		/^Raw MAP_32BIT reach/ { table = 2; rows2 = 0; next }
		/^What these runs wrote on standard error/ { errors = 1; past = 1; table = 0; next }
		/^What the shim reported/ { errors = 0; table = 0; next }
		/^$/ { table = 0; next }
		table && /ljmm\[[0-9]+\]: / { bad("a library line inside the table"); next }
		table == 1 && /^  workload +without ljmm +with ljmm$/ { next }
		table == 1 { if ($0 ~ /^  fill\.lua (strings|tables) .* [0-9.]+ MiB +[0-9.]+ MiB$/) rows1++; else bad("not a row of the heap table"); next }
		table == 2 { if ($0 ~ /^  with(out)? ljmm: +[0-9]+ MiB in [0-9]+ blocks/) rows2++; else bad("not a row of the reach table"); next }
		errors && /ljmm\[[0-9]+\]: / { if ($0 ~ /^    /) lib++; else bad("a library line not indented under its run"); next }
		errors && /^  [^ ].*:$/ { next }
		errors { bad("neither a run nor a line of its standard error"); next }
		!past && /ljmm\[[0-9]+\]: / { bad("a library line before the heading that follows the tables") }
		END {
			if (rows1 != 2) { printf "FAIL: the heap table has %d rows, not 2\n", rows1; failed = 1 }
			if (rows2 != 2) { printf "FAIL: the reach table has %d rows, not 2\n", rows2; failed = 1 }
			if (lib < 2) { printf "FAIL: %d library lines after the tables, expected the warnings of the runs under the shim\n", lib; failed = 1 }
			if (!failed) printf "demo: 2 + 2 rows, %d library lines after the tables\n", lib
			exit failed
		}' "$1" || {
		sed 's/^/    | /' "$1"
		exit 1
	}
}

case ${1-} in
check)
	[ $# = 2 ] || fail "usage: $0 check FILE"
	check "$2"
	;;
run)
	[ $# = 4 ] || fail "usage: $0 run SOURCE_DIR LIB MAP32_FILL"
	src=$2 lib=$3 map32_fill=$4
	tmp=""
	make_tmpdir tmp demo-table
	cat >"$tmp/luajit" <<-'EOF'
		#!/bin/sh
		# A stand-in for LuaJIT running fill.lua KIND: the RESULT line, and under the
		# shim what the library writes when the low 2 GiB fills up.
		if [ -n "${LD_PRELOAD:-}" ]; then
			echo "2026-12-06T20:30:05.123Z [warn] ljmm[$$]: 90% of the low 2 GiB in use (1843.9 MiB of 2047.9 MiB)" >&2
			echo "2026-12-06T20:30:05.456Z [error] ljmm[$$]: MAP_32BIT request of 1052672 bytes failed: the low 2 GiB is full" >&2
			echo "RESULT kind=$2 max_heap_mib=2018.1 oom=1 capped=0 objects=2018"
		else
			echo "RESULT kind=$2 max_heap_mib=1001.1 oom=1 capped=0 objects=1001"
		fi
	EOF
	chmod 755 "$tmp/luajit"
	bash "$src/scripts/demo.sh" --report "$lib" "$tmp/luajit" "$map32_fill" >"$tmp/out" 2>&1 ||
		{ cat "$tmp/out"; fail "scripts/demo.sh --report failed"; }
	check "$tmp/out"
	# The real map32_fill's lines, under the shim, are among them.
	grep -A3 '^  map32_fill, with ljmm:$' "$tmp/out" | grep '\[warn\] ljmm\[[0-9]*\]: 90% of the low 2 GiB' >/dev/null ||
		{ cat "$tmp/out"; fail "no warning of map32_fill under the shim after the tables"; }
	# README.md shows what the demo prints: the code block after "and prints, on the machine".
	awk '/and prints, on the machine/ { armed = 1 } armed && /^```/ { if (inside) exit; inside = 1; next } inside' \
		"$src/README.md" >"$tmp/readme"
	printf 'README.md: '
	check "$tmp/readme"
	;;
*)
	fail "usage: $0 check FILE | run SOURCE_DIR LIB MAP32_FILL"
	;;
esac
