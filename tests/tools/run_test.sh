#!/bin/sh
# SPDX-License-Identifier: MIT
# The sh -c scripts below are meant for the child's shell, in single quotes.
# shellcheck disable=SC2016
# ljmm-run tests (ctest tools_run_CASE).
# Usage: run_test.sh CASE LJMM_RUN LIBDIR MAP32_FILL [SCRIPTS_TO_SHELLCHECK...]
# LIBDIR is where libljmm_preload.so was built; MAP32_FILL the bench/map32_fill program.
set -u
case=$1 run=$2 libdir=$3 fill=$4
shift 4
# A clean start: what the tests set is all there is.
unset LD_PRELOAD LJMM_LIBRARY LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE
lib=$(cd "$libdir" && pwd -P)/libljmm_preload.so
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

fail() {
	echo "FAIL ($case): $*"
	for f in "$dir"/out "$dir"/err; do
		[ -s "$f" ] && { echo "--- $f:"; head -20 "$f"; }
	done
	exit 1
}

# expect VALUE EXPECTED WHAT
expect() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# The LD_PRELOAD a command started by ljmm-run sees (ld.so's complaints about the
# made-up entries we keep go to $dir/err).
preload_of() {
	"$@" sh -c 'printf "%s\n" "$LD_PRELOAD"' 2>"$dir/err"
}

# usage_error PATTERN COMMAND...: exit 2, one line on stderr matching PATTERN, no stdout.
usage_error() {
	pat=$1
	shift
	"$@" >"$dir/out" 2>"$dir/err"
	rc=$?
	[ "$rc" = 2 ] || fail "'$*' exited $rc, expected 2"
	[ "$(wc -l <"$dir/err")" = 1 ] || fail "'$*' printed $(wc -l <"$dir/err") lines on stderr, expected 1"
	grep -q "^ljmm-run: $pat" "$dir/err" || fail "'$*': stderr does not match 'ljmm-run: $pat'"
	[ ! -s "$dir/out" ] || fail "'$*' printed on stdout"
}

# fill_mib FILE: the MiB map32_fill reported.
fill_mib() {
	sed -n 's/^\([0-9][0-9]*\) MiB in .*/\1/p' "$1"
}

case $case in
preload)
	expect "$(preload_of "$run")" "$lib" "LD_PRELOAD from an empty one"
	expect "$(preload_of env LD_PRELOAD=/nonexistent/libkeep.so "$run")" "$lib:/nonexistent/libkeep.so" \
		"an existing entry is kept after the shim"
	expect "$(preload_of env LD_PRELOAD='/x/liba.so /x/libb.so' "$run")" "$lib:/x/liba.so:/x/libb.so" \
		"space-separated entries"
	expect "$(preload_of env LD_PRELOAD="/x/liba.so::$lib: /old/libljmm_preload.so.0" "$run")" "$lib:/x/liba.so" \
		"copies of the shim already there are dropped"
	expect "$(preload_of "$run" --)" "$lib" "-- before the command"
	expect "$(preload_of "$run" --lib "$libdir/libljmm_preload.so.0")" "$(dirname "$lib")/libljmm_preload.so.0" "--lib"
	expect "$(preload_of "$run" --lib="$libdir/libljmm_preload.so.0")" "$(dirname "$lib")/libljmm_preload.so.0" "--lib="
	expect "$(preload_of env LJMM_LIBRARY="$libdir/libljmm_preload.so.0" "$run")" "$(dirname "$lib")/libljmm_preload.so.0" \
		"LJMM_LIBRARY"
	expect "$(preload_of env LJMM_LIBRARY=/nonexistent "$run" --lib "$lib")" "$lib" "--lib wins over LJMM_LIBRARY"
	# A relative --lib becomes absolute (the command may change directory).
	expect "$(cd "$libdir" && preload_of "$run" --lib ./libljmm_preload.so)" "$lib" "relative --lib"
	# Nothing is switched on that was not asked for, and the shim really is mapped.
	expect "$("$run" sh -c 'echo "${LJMM_STATS-unset} ${LJMM_DEBUG-unset} ${LJMM_LOG_FILE-unset}"')" \
		"unset unset unset" "LJMM_* without options"
	expect "$("$run" --stats --debug --log rel.log sh -c 'echo "$LJMM_STATS $LJMM_DEBUG $LJMM_LOG_FILE"' 2>/dev/null)" \
		"on on $(pwd)/rel.log" "LJMM_* with options"
	"$run" cat /proc/self/maps >"$dir/out" 2>"$dir/err" || fail "ljmm-run cat failed"
	grep -qF "$(dirname "$lib")/libljmm_preload.so" "$dir/out" || fail "the library is not mapped in the command"
	# The command's exit status comes through, and so do its arguments.
	"$run" sh -c 'exit 7'
	expect "$?" 7 "exit status"
	expect "$("$run" printf '%s|' 'a b' '' -x --stats)" "a b||-x|--stats|" "arguments"
	;;
stats)
	"$run" --stats "$fill" >"$dir/out" 2>"$dir/err" || fail "ljmm-run --stats map32_fill failed"
	grep -q '^ljmm\[[0-9][0-9]*\]: calls: mmap=[0-9]' "$dir/err" || fail "no 'ljmm[pid]: calls:' line on stderr"
	grep -q '^ljmm\[[0-9][0-9]*\]: region \[' "$dir/err" || fail "no region statistics line"
	;;
fill)
	"$run" "$fill" >"$dir/out" 2>"$dir/err" || fail "ljmm-run map32_fill failed"
	mib=$(fill_mib "$dir/out")
	[ -n "$mib" ] || fail "no total in the output of map32_fill"
	[ "$mib" -gt 1900 ] || fail "map32_fill under ljmm-run reached '$mib' MiB, expected > 1900"
	echo "map32_fill under ljmm-run: $(cat "$dir/out")"
	;;
debug)
	"$run" --debug "$fill" >"$dir/out" 2>"$dir/err" || fail "ljmm-run --debug map32_fill failed"
	grep -q 'region: served addr=0x' "$dir/err" || fail "no debug lines on stderr"
	;;
log)
	# A relative --log path, appended to, with nothing on stderr.
	(cd "$dir" && "$run" --stats --log stats.log "$fill" >"$dir/out" 2>"$dir/err") || fail "ljmm-run --log failed"
	grep -q 'calls: mmap=' "$dir/stats.log" || fail "no statistics in the --log file"
	[ ! -s "$dir/err" ] || fail "stderr not empty with --log"
	(cd "$dir" && "$run" --stats --log=stats.log cat /dev/null 2>"$dir/err") || fail "ljmm-run --log= failed"
	expect "$(grep -c 'calls: mmap=' "$dir/stats.log")" 2 "statistics lines after two runs (map32_fill, cat)"
	;;
errors)
	usage_error "no command given" "$run"
	usage_error "no command given" "$run" --stats --
	usage_error "unknown option '--bogus'" "$run" --bogus true
	usage_error "unknown option '-x'" "$run" -x true
	usage_error "library not found: /nonexistent/libljmm_preload.so (from --lib)" \
		"$run" --lib /nonexistent/libljmm_preload.so true
	usage_error "library not found: /nonexistent/lib.so (from LJMM_LIBRARY)" \
		env LJMM_LIBRARY=/nonexistent/lib.so "$run" true
	usage_error "option --log needs a FILE argument" "$run" --log
	usage_error "option --log needs a FILE argument" "$run" --log ''
	usage_error "option --lib needs a PATH argument" "$run" --lib
	# A command that cannot be found: the shell's 127, as env(1) does.
	"$run" /nonexistent/command >"$dir/out" 2>"$dir/err"
	expect "$?" 127 "exit status for a missing command"
	;;
help)
	"$run" --help >"$dir/out" 2>"$dir/err" || fail "--help failed"
	grep -q '^Usage: ljmm-run \[OPTIONS\] \[--\] COMMAND' "$dir/out" || fail "no usage line"
	[ ! -s "$dir/err" ] || fail "--help wrote to stderr"
	"$run" --version >"$dir/out" || fail "--version failed"
	grep -q '^ljmm-run (ljmm) [0-9][0-9.]*$' "$dir/out" || fail "bad --version output"
	;;
shellcheck)
	command -v shellcheck >/dev/null || {
		echo "SKIP: shellcheck is not installed"
		exit 77
	}
	shellcheck -s sh "$run" "$@" || fail "shellcheck"
	;;
*)
	fail "unknown case"
	;;
esac
echo "ljmm-run $case: ok"
