#!/bin/sh
# SPDX-License-Identifier: MIT
# The sh -c scripts below are meant for the child's shell, in single quotes.
# shellcheck disable=SC2016
# ljmm-run tests (ctest tools_run_CASE).
# Usage: run_test.sh CASE LJMM_RUN LIBDIR MAP32_FILL HOLD_PIE HOLD_NOPIE [SCRIPTS_TO_SHELLCHECK...]
# LIBDIR is where libljmm_preload.so was built; MAP32_FILL the bench/map32_fill program;
# HOLD_PIE and HOLD_NOPIE the map32_hold programs (a PIE and a non-PIE executable).
set -u
case=$1 run=$2 libdir=$3 fill=$4 hold_pie=$5 hold_nopie=$6
shift 6
# A clean start: what the tests set is all there is.
unset LD_PRELOAD LJMM_LIBRARY LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE
lib=$(cd "$libdir" && pwd -P)/libljmm_preload.so
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
LJMM_FAIL_SHOW="$dir/out $dir/err"

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
	expect "$(preload_of env LD_PRELOAD=/nonexistent/libkeep.so "$run")" "/nonexistent/libkeep.so:$lib" \
		"an existing entry is kept, before the shim"
	expect "$(preload_of env LD_PRELOAD='/x/liba.so /x/libb.so' "$run")" "/x/liba.so:/x/libb.so:$lib" \
		"space-separated entries"
	expect "$(preload_of env LD_PRELOAD="/x/liba.so::$lib: /old/libljmm_preload.so.0" "$run")" "/x/liba.so:$lib" \
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
	grep -q 'Z \[[a-z]*\] ljmm\[[0-9][0-9]*\]: calls: mmap=[0-9]' "$dir/err" || fail "no 'ljmm[pid]: calls:' line on stderr"
	grep -q 'Z \[[a-z]*\] ljmm\[[0-9][0-9]*\]: region \[' "$dir/err" || fail "no region statistics line"
	;;
fill)
	"$run" "$fill" >"$dir/out" 2>"$dir/err" || fail "ljmm-run map32_fill failed"
	mib=$(fill_mib "$dir/out")
	[ -n "$mib" ] || fail "no total in the output of map32_fill"
	[ "$mib" -gt 1900 ] || fail "map32_fill under ljmm-run reached '$mib' MiB, expected > 1900"
	echo "map32_fill under ljmm-run: $(cat "$dir/out")"
	;;
interposer)
	# glibc's libmemusage.so, already in LD_PRELOAD, stays before the shim: it sees the
	# mmap calls and passes them on, and the shim still serves the region.
	mu=
	for f in /usr/lib/x86_64-linux-gnu/libmemusage.so /lib/x86_64-linux-gnu/libmemusage.so; do
		[ -e "$f" ] && mu=$f && break
	done
	[ -n "$mu" ] || { echo "SKIP: glibc's libmemusage.so not found"; exit 77; }
	env LD_PRELOAD="$mu" MEMUSAGE_TRACE_MMAP=1 "$run" --stats "$fill" >"$dir/out" 2>"$dir/err" ||
		fail "ljmm-run map32_fill behind libmemusage failed"
	calls=$(sed 's/\x1b\[[0-9;]*m//g' "$dir/err" | awk '/mmap\(a\)\|/ { print $2 }')
	[ "${calls:-0}" -gt 1900 ] || fail "libmemusage counted '${calls:-}' anonymous mmap calls"
	grep 'region-served=[1-9]' "$dir/err" >/dev/null || fail "the shim served nothing behind libmemusage"
	echo "interposer: libmemusage counted $calls mmaps; $(cat "$dir/out")"
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
	usage_error "option --log needs a FILE argument" "$run" --log= true
	usage_error "option --lib needs a PATH argument" "$run" --lib= true
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
	# Help that cannot be written is an error, not a success.
	for opt in --help --version; do
		"$run" "$opt" >/dev/full 2>"$dir/err"
		rc=$?
		[ "$rc" = 2 ] || fail "$opt >/dev/full: exit status $rc, expected 2"
		expect "$(cat "$dir/err")" "ljmm-run: cannot write to standard output" "$opt >/dev/full"
	done
	;;
cdpath)
	# A relative library directory that CDPATH also knows: cd must neither search
	# CDPATH (and pick b/sub) nor print the directory into the path.
	mkdir -p "$dir/a/sub" "$dir/b/sub"
	cp "$lib" "$dir/a/sub/"
	cp "$lib" "$dir/b/sub/"
	want=$(cd "$dir/a/sub" && pwd -P)/libljmm_preload.so
	for cdpath in "$dir/b" "$dir/b:." ".:$dir/b" ":"; do
		got=$(
			cd "$dir/a" || exit 1
			CDPATH=$cdpath
			export CDPATH
			preload_of "$run" --lib sub/libljmm_preload.so
		)
		expect "$got" "$want" "--lib sub/libljmm_preload.so with CDPATH=$cdpath"
		got=$(
			cd "$dir/a" || exit 1
			CDPATH=$cdpath LJMM_LIBRARY=sub/libljmm_preload.so
			export CDPATH LJMM_LIBRARY
			preload_of "$run"
		)
		expect "$got" "$want" "LJMM_LIBRARY=sub/libljmm_preload.so with CDPATH=$cdpath"
	done
	# The command gets CDPATH as it was.
	expect "$(CDPATH=/x:/y "$run" sh -c 'printf "%s\n" "$CDPATH"')" "/x:/y" "CDPATH passed to the command"
	;;
separators)
	# ld.so would split these paths and preload nothing: refused, the command not run.
	for name in "a b" "a:b" "$(printf 'a\tb')" "x/lib ljmm.so" "x/lib:ljmm.so"; do
		case $name in
		x/*)
			mkdir -p "$dir/x"
			path=$dir/$name
			cp "$lib" "$path"
			;;
		*)
			mkdir "$dir/$name"
			path=$dir/$name/libljmm_preload.so
			cp "$lib" "$path"
			;;
		esac
		usage_error "the library path '$path' contains a space, tab, newline or colon, where LD_PRELOAD would split it; copy or link the library to a path without them" \
			"$run" --lib "$path" touch "$dir/ran"
		usage_error "the library path '$path' contains a space" env LJMM_LIBRARY="$path" "$run" touch "$dir/ran"
		[ ! -e "$dir/ran" ] || fail "the command ran with the library at '$path'"
	done
	# A newline (the message then has two lines).
	nl_dir="$dir/$(printf 'a\nb')"
	mkdir "$nl_dir"
	cp "$lib" "$nl_dir/"
	"$run" --lib "$nl_dir/libljmm_preload.so" touch "$dir/ran" >"$dir/out" 2>"$dir/err"
	expect "$?" 2 "exit status for a path with a newline"
	grep 'contains a space, tab, newline or colon' "$dir/err" >/dev/null || fail "message for a path with a newline"
	[ ! -e "$dir/ran" ] || fail "the command ran with a newline in the library path"
	# A link without them to the library in such a directory is the way out.
	ln -s "$dir/a b/libljmm_preload.so" "$dir/libljmm_preload.so"
	expect "$(preload_of "$run" --lib "$dir/libljmm_preload.so")" "$(cd "$dir" && pwd -P)/libljmm_preload.so" \
		"a link to the library"
	;;
elf)
	# craft NAME BYTE...: a file of those bytes (decimal), padded with zeros to 64,
	# the size of an ELF64 header.
	craft() {
		f=$dir/$1
		shift
		: >"$f"
		for b in "$@" $(seq $(($# + 1)) 64 | sed 's/.*/0/'); do
			# shellcheck disable=SC2059 # the format is the escape of one byte
			printf "\\$(printf '%03o' "$b")" >>"$f"
		done
	}
	# \177ELF, class, data (1 little-endian), version, padding; then e_type, e_machine
	craft elf32 127 69 76 70 1 1 1 0 0 0 0 0 0 0 0 0 3 0 3 0
	craft bigendian 127 69 76 70 2 2 1 0 0 0 0 0 0 0 0 0 0 3 0 62
	craft aarch64 127 69 76 70 2 1 1 0 0 0 0 0 0 0 0 0 3 0 183 0
	craft relocatable 127 69 76 70 2 1 1 0 0 0 0 0 0 0 0 0 1 0 62 0
	craft nophdr 127 69 76 70 2 1 1 0 0 0 0 0 0 0 0 0 3 0 62 0
	# e_version 1, e_entry 0, e_phoff 64, e_shoff 0, e_flags 0, e_ehsize 64,
	# e_phentsize 56, e_phnum 0: a shared object with no dynamic section.
	craft nodynamic 127 69 76 70 2 1 1 0 0 0 0 0 0 0 0 0 3 0 62 0 1 0 0 0 0 0 0 0 0 0 0 0 \
		64 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 64 0 56 0 0 0
	printf '\177ELF\002\001' >"$dir/short"
	printf 'not a library\n' >"$dir/text"
	: >"$dir/empty"
	for pair in "elf32:a 32-bit ELF file" "bigendian:a big-endian ELF file" \
		"aarch64:built for another machine (e_machine 183, x86-64 is 62)" \
		"relocatable:not a shared library (e_type 1)" "nophdr:malformed program headers" \
		"nodynamic:no dynamic section (a static object, not a shared library)" \
		"short:an ELF file cut short" "text:not an ELF file" "empty:not an ELF file"; do
		f=$dir/${pair%%:*}
		[ "$(wc -c <"$f")" -le 64 ] || fail "crafted header $f is longer than 64 bytes"
		usage_error "not a preloadable x86-64 shared library: $f (${pair#*:}; from --lib)" "$run" --lib "$f" touch "$dir/ran"
		echo "${pair%%:*}: $(cat "$dir/err")"
	done
	# Executables: an ET_EXEC (-no-pie) and a PIE, which is ET_DYN too; glibc refuses
	# to preload it and would run the command without the shim.
	usage_error "not a preloadable x86-64 shared library: .*/map32_hold_nopie (an executable, not a shared library; from --lib)" \
		"$run" --lib "$hold_nopie" touch "$dir/ran"
	usage_error "not a preloadable x86-64 shared library: .*/map32_hold_pie (a position-independent executable, not a shared library; from --lib)" \
		"$run" --lib "$hold_pie" touch "$dir/ran"
	usage_error "not a preloadable x86-64 shared library: .*/text (not an ELF file; from LJMM_LIBRARY)" \
		env LJMM_LIBRARY="$dir/text" "$run" touch "$dir/ran"
	[ ! -e "$dir/ran" ] || fail "the command ran with a library that is not one"
	# What the check lets through is what ld.so preloads: the shim, under any of its names.
	for f in "$lib" "$libdir/libljmm_preload.so.0"; do
		"$run" --lib "$f" cat /proc/self/maps >"$dir/out" 2>"$dir/err" || fail "--lib $f refused: $(cat "$dir/err")"
		grep libljmm_preload "$dir/out" >/dev/null || fail "--lib $f: not mapped"
	done
	;;
helpers)
	# With the shim already preloaded and LJMM_STATS=on, only the command reports: not
	# the helpers ljmm-run runs first (readlink, od) nor, where /bin/sh is bash, its
	# subshells. The log file keeps what coreutils' closed stderr would lose.
	for shell in sh bash; do
		command -v "$shell" >/dev/null || continue
		for opt in "" "--lib=$lib"; do
			rm -f "$dir/stats.log"
			# shellcheck disable=SC2086 # $opt is one word or none
			env LD_PRELOAD="$lib" LJMM_STATS=on LJMM_LOG_FILE="$dir/stats.log" "$shell" "$run" $opt /bin/true ||
				fail "$shell ljmm-run $opt /bin/true failed"
			expect "$(grep -c 'calls: mmap=' "$dir/stats.log")" 1 "statistics blocks for one /bin/true ($shell, ${opt:-no option})"
		done
		# The command sees LD_PRELOAD rewritten as always, and nothing of the re-run.
		expect "$(env LD_PRELOAD="/x/keep.so $lib" "$shell" "$run" sh -c 'printf "%s|%s\n" "$LD_PRELOAD" "${LJMM_RUN_PRELOAD-unset}"' 2>/dev/null)" \
			"/x/keep.so:$lib|unset" "LD_PRELOAD with the shim already in it ($shell)"
	done
	;;
shellcheck)
	command -v shellcheck >/dev/null || {
		echo "SKIP: shellcheck is not installed"
		exit 77
	}
	# -x: follow the scripts' "shellcheck source=" to tests/tools/lib.sh.
	shellcheck -x -s sh "$run" "$@" || fail "shellcheck"
	;;
*)
	fail "unknown case"
	;;
esac
echo "ljmm-run $case: ok"
