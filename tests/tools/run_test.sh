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

nl='
'

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
command)
	# What runs for the command, and whether ld.so would load the shim into it: a table
	# of programs, each checked with --check (the answer on stdout, 0 or 3), run without
	# --force (3 and one line on stderr, or the program's own output) and with --force,
	# under sh and bash. The programs say whether the shim is mapped in them, so every
	# answer is held against what really happens.
	cc=${CC:-cc}
	need_cmd "$cc"
	cat >"$dir/mapped.c" <<-'EOF'
		#include <stdio.h>
		#include <string.h>
		int main(void)
		{
			char line[4096];
			int yes = 0;
			FILE *f = fopen("/proc/self/maps", "r");
			while (f && fgets(line, sizeof line, f))
				if (strstr(line, "libljmm_preload"))
					yes = 1;
			printf("shim: %s\n", yes ? "yes" : "no");
			return 0;
		}
	EOF
	"$cc" -O1 -fPIE -pie -o "$dir/pie" "$dir/mapped.c" || fail "cannot build a PIE"
	"$cc" -O1 -fno-pie -no-pie -o "$dir/nopie" "$dir/mapped.c" || fail "cannot build a non-PIE executable"
	"$cc" -O1 -static -o "$dir/static" "$dir/mapped.c" 2>"$dir/err" || fail "cannot build with -static (Debian: libc6-dev)"
	statics=static
	if "$cc" -O1 -static-pie -o "$dir/staticpie" "$dir/mapped.c" 2>/dev/null; then
		statics="static staticpie"
	fi
	# 32-bit programs without a 32-bit libc (gcc-multilib): exit(42) by int 0x80 for
	# i386, and the same assembled for x32 (which runs only where the kernel has x32).
	printf '.globl _start\n_start:\n\tmovl $1, %%eax\n\tmovl $42, %%ebx\n\tint $0x80\n' >"$dir/exit42.s"
	if command -v as >/dev/null && command -v ld >/dev/null; then
		if ! { as --32 -o "$dir/i386.o" "$dir/exit42.s" && ld -m elf_i386 -o "$dir/i386" "$dir/i386.o"; }; then
			fail "cannot assemble an i386 program"
		fi
		if ! { as --x32 -o "$dir/x32.o" "$dir/exit42.s" && ld -m elf32_x86_64 -o "$dir/x32" "$dir/x32.o"; }; then
			fail "cannot assemble an x32 program"
		fi
	else
		# Only the ELF header then: what --check reads.
		printf '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000\002\000\003\000' >"$dir/i386"
		printf '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000\002\000\076\000' >"$dir/x32"
		for f in "$dir/i386" "$dir/x32"; do
			head -c 64 /dev/zero >>"$f"
		done
	fi
	# An x86-64 header that says aarch64 (e_machine 183), made from the PIE.
	{ head -c 18 "$dir/pie" && printf '\267\000' && tail -c +21 "$dir/pie"; } >"$dir/aarch64"
	# Files that cannot be run: the PIE cut after its header and after 7 bytes, a
	# binary that is not ELF, a file without execute permission, a directory.
	head -c 64 "$dir/pie" >"$dir/cut64"
	head -c 7 "$dir/pie" >"$dir/cut7"
	printf 'ab\000cd\n' >"$dir/binary"
	cp "$dir/pie" "$dir/noexec"
	mkdir "$dir/adir"
	# Scripts: #! to each kind, with an argument, through env and PATH, without #!,
	# with a missing interpreter, and a chain of #! scripts as long as Linux follows
	# (five interpreters) and one longer.
	printf '#!%s\n' "$dir/pie" >"$dir/script_pie"
	printf '#!%s\n' "$dir/static" >"$dir/script_static"
	printf '#! \t%s  -x y \n' "$dir/pie" >"$dir/script_arg"
	printf '#!/usr/bin/env static\n' >"$dir/script_env_static"
	printf '#!/usr/bin/env pie\n' >"$dir/script_env_pie"
	printf 'exec %s\n' "$dir/pie" >"$dir/script_none"
	printf '#!%s/missing\n' "$dir" >"$dir/script_missing"
	printf '#!%s\n' "$dir/adir" >"$dir/script_dir"
	printf '#!%s\n' "$dir/static" >"$dir/nest0"
	for i in 1 2 3 4 5; do
		printf '#!%s\n' "$dir/nest$((i - 1))" >"$dir/nest$i"
	done
	chmod 755 "$dir"/script_* "$dir"/nest* "$dir/cut64" "$dir/cut7" "$dir/binary" "$dir/aarch64"
	chmod 644 "$dir/noexec"
	# Set-user-ID and set-group-ID copies: to ourselves (the effective IDs stay the real
	# ones, no secure mode), and, as root, to nobody/nogroup (secure mode).
	cp "$dir/pie" "$dir/suid_self" && chmod u+s "$dir/suid_self"
	cp "$dir/pie" "$dir/sgid_self" && chmod g+s "$dir/sgid_self"
	other=
	if [ "$(id -u)" = 0 ]; then
		other=yes
		cp "$dir/pie" "$dir/suid_other" && chown 65534 "$dir/suid_other" && chmod u+s "$dir/suid_other"
		cp "$dir/pie" "$dir/sgid_other" && chgrp 65534 "$dir/sgid_other" && chmod g+s "$dir/sgid_other"
		# The test directory must let 65534 in to its own copies.
		chmod 755 "$dir"
	fi
	# Where the kernel ignores the bits (a nosuid mount of $dir), so does ljmm-run.
	suid_ignored=no
	case ,$(findmnt -n -o OPTIONS -T "$dir" 2>/dev/null), in *,nosuid,*) suid_ignored=yes ;; esac

	# The table: FILE EXIT WHAT. EXIT is --check's (0 loaded, 3 not) or the error status
	# (126, 127); WHAT is the text --check (or the error line) must hold, and for 0 and 3
	# also what the program says when run: shim: yes for 0, shim: no for 3.
	load='the shim would be loaded (dynamically linked, loader /'
	static='the shim would not be loaded: statically linked (no PT_INTERP): no dynamic loader runs, so nothing reads LD_PRELOAD, and the shim is not linked into it (no .note.ljmm; the link form ljmm.o is for such programs)'
	secure='the shim would not be loaded: set-user-ID to another user: the kernel sets AT_SECURE, and ld.so then ignores LD_PRELOAD entries with a slash'
	gsecure='the shim would not be loaded: set-group-ID to another group: the kernel sets AT_SECURE, and ld.so then ignores LD_PRELOAD entries with a slash'
	{
		echo "pie|0|$dir/pie: $load"
		echo "nopie|0|$dir/nopie: $load"
		for f in $statics; do
			echo "$f|3|$dir/$f: $static"
		done
		echo "i386|3|$dir/i386: the shim would not be loaded: a 32-bit ELF executable (i386): the shim is a 64-bit x86-64 library, which its loader skips"
		echo "x32|3|$dir/x32: the shim would not be loaded: a 32-bit ELF executable (x32): the shim is a 64-bit x86-64 library, which its loader skips"
		echo "aarch64|3|$dir/aarch64: the shim would not be loaded: built for another machine (e_machine 183, x86-64 is 62)"
		echo "script_pie|0|$dir/script_pie, run by $dir/pie: $load"
		echo "script_static|3|$dir/script_static, run by $dir/static: $static"
		echo "script_arg|0|$dir/script_arg, run by $dir/pie -x y: $load"
		echo "script_env_static|3|$dir/script_env_static, run by /usr/bin/env static ($dir/static): $static"
		echo "script_env_pie|0|$dir/script_env_pie, run by /usr/bin/env pie ($dir/pie): $load"
		echo "script_none|0|$dir/script_none, run by /bin/sh: $load"
		echo "nest4|3|$dir/nest4, run by $dir/nest3, run by $dir/nest2, run by $dir/nest1, run by $dir/nest0, run by $dir/static: $static"
		echo "nest5|126|ljmm-run: cannot run $dir/nest5, run by $dir/nest4, run by $dir/nest3, run by $dir/nest2, run by $dir/nest1, run by $dir/nest0: more than 5 levels of #! interpreters (the kernel gives up: ELOOP)"
		echo "script_missing|127|ljmm-run: cannot run $dir/script_missing, run by $dir/missing: the interpreter $dir/missing: not found"
		echo "script_dir|126|ljmm-run: cannot run $dir/script_dir, run by $dir/adir: the interpreter $dir/adir: a directory"
		echo "suid_self|0|$dir/suid_self: $load"
		echo "sgid_self|0|$dir/sgid_self: $load"
		if [ -n "$other" ] && [ "$suid_ignored" = no ]; then
			echo "suid_other|3|$dir/suid_other: $secure"
			echo "sgid_other|3|$dir/sgid_other: $gsecure"
		elif [ -n "$other" ]; then
			echo "suid_other|0|$dir/suid_other: $load"
		fi
		echo "cut64|126|ljmm-run: cannot run $dir/cut64: malformed program headers (the file ends before them)"
		echo "cut7|126|ljmm-run: cannot run $dir/cut7: an ELF file cut short"
		echo "binary|126|ljmm-run: cannot run $dir/binary: neither an ELF file nor a #! script"
		echo "noexec|126|ljmm-run: cannot run $dir/noexec: not executable"
		echo "adir|126|ljmm-run: cannot run $dir/adir: a directory"
		echo "missing|127|ljmm-run: cannot run $dir/missing: not found"
	} >"$dir/table"

	# check_row SHELL FILE EXIT WHAT: the row's four runs.
	check_row() {
		sh=$1 f=$dir/$2 want=$3 what=$4
		rm -f "$dir/out" "$dir/err"
		PATH=$dir:$PATH "$sh" "$run" --check "$f" >"$dir/out" 2>"$dir/err"
		rc=$?
		[ "$rc" = "$want" ] || fail "$sh: --check $2: exit $rc, expected $want"
		case $want in
		0 | 3)
			if [ "$(wc -l <"$dir/out")" != 1 ] || [ -s "$dir/err" ]; then
				fail "$sh: --check $2: not one line on stdout and nothing on stderr"
			fi
			# The loader's path follows a loaded answer: WHAT is a prefix there.
			case $(cat "$dir/out") in
			"$what"*) ;;
			*) fail "$sh: --check $2 says '$(cat "$dir/out")', expected '$what'" ;;
			esac
			[ "$want" = 0 ] || expect "$(cat "$dir/out")" "$what" "$sh: --check $2"
			;;
		*)
			if [ "$(wc -l <"$dir/err")" != 1 ] || [ -s "$dir/out" ]; then
				fail "$sh: --check $2: not one line on stderr and nothing on stdout"
			fi
			expect "$(cat "$dir/err")" "$what" "$sh: --check $2"
			;;
		esac
		# Run it, then with --force.
		PATH=$dir:$PATH "$sh" "$run" "$f" >"$dir/out" 2>"$dir/err"
		rc=$?
		case $want in
		0)
			[ "$rc" = 0 ] || fail "$sh: ljmm-run $2: exit $rc"
			expect "$(cat "$dir/out")" "shim: yes" "$sh: ljmm-run $2, which --check said would have the shim"
			;;
		3)
			[ "$rc" = 3 ] || fail "$sh: ljmm-run $2: exit $rc, expected 3"
			[ ! -s "$dir/out" ] || fail "$sh: ljmm-run $2 ran the command"
			# One line: what runs and why the shim would not be in it.
			subject=${what%%": the shim would not be loaded: "*} why=${what#*": the shim would not be loaded: "}
			expect "$(cat "$dir/err")" "ljmm-run: the shim would not be loaded into $subject: $why; not running it (--force runs it anyway)" \
				"$sh: ljmm-run $2"
			PATH=$dir:$PATH "$sh" "$run" --force "$f" >"$dir/out" 2>"$dir/err"
			# (The kernel's complaint may follow where it cannot run the program.)
			expect "$(head -n 1 "$dir/err")" "ljmm-run: the shim will not be loaded into $subject: $why; running it anyway (--force)" \
				"$sh: ljmm-run --force $2"
			case $2 in
			i386 | x32 | aarch64) ;; # the kernel may not run them; what ran is not ours to judge
			*) expect "$(cat "$dir/out")" "shim: no" "$sh: ljmm-run --force $2, which --check said would not have the shim" ;;
			esac
			;;
		*)
			[ "$rc" = "$want" ] || fail "$sh: ljmm-run $2: exit $rc, expected $want"
			expect "$(cat "$dir/err")" "$what" "$sh: ljmm-run $2"
			;;
		esac
	}
	for sh in sh bash; do
		command -v "$sh" >/dev/null || continue
		while IFS='|' read -r f want what; do
			check_row "$sh" "$f" "$want" "$what"
		done <"$dir/table"
		echo "$sh: $(wc -l <"$dir/table") rows agree with what runs"
	done
	# A 32-bit program run with --force gets to run (where the kernel runs i386).
	if "$dir/i386" 2>/dev/null; [ $? = 42 ]; then
		"$run" --force "$dir/i386" 2>/dev/null
		expect "$?" 42 "ljmm-run --force i386: the program's exit status"
	fi
	# --check runs nothing.
	printf '#!/bin/sh\ntouch %s/ran\n' "$dir" >"$dir/toucher"
	chmod 755 "$dir/toucher"
	"$run" --check "$dir/toucher" >/dev/null || fail "--check toucher"
	[ ! -e "$dir/ran" ] || fail "--check ran the command"
	# A name in PATH: resolved as exec does (the first executable file of that name),
	# named by its path; and a name in PATH that is not executable anywhere.
	mkdir "$dir/p1" "$dir/p2"
	cp "$dir/static" "$dir/p1/prog" && chmod 644 "$dir/p1/prog"
	cp "$dir/pie" "$dir/p2/prog"
	out=$(PATH=$dir/p1:$dir/p2:$PATH "$run" --check prog)
	expect "$out" "$dir/p2/prog: $load${out#*"$load"}" "--check prog through PATH"
	PATH=$dir/p1:$PATH "$run" prog >"$dir/out" 2>"$dir/err"
	expect "$?" 126 "a name in PATH only without execute permission"
	expect "$(cat "$dir/err")" "ljmm-run: cannot run prog: not executable (in PATH only as a directory or a file without execute permission)" "a name in PATH only without execute permission"
	PATH=$dir/p1:$PATH "$run" --check nosuchprog >"$dir/out" 2>"$dir/err"
	expect "$?" 127 "a name in PATH that is not there"
	expect "$(cat "$dir/err")" "ljmm-run: cannot run nosuchprog: not found in PATH" "a name in PATH that is not there"
	# Where the kernel ignores set-user-ID: no_new_privs, and a nosuid mount (in a mount
	# namespace of our own). ljmm-run says loaded, and the program has the shim.
	if [ -n "$other" ] && [ "$suid_ignored" = no ]; then
		if command -v setpriv >/dev/null; then
			out=$(setpriv --no-new-privs "$run" --check "$dir/suid_other")
			expect "$out" "$dir/suid_other: ${load}${out#*"$load"}" "--check under no_new_privs"
			case $out in *"set-user-ID to another user, but no_new_privs is set, so the kernel ignores the bit)") ;; *) fail "--check under no_new_privs: $out" ;; esac
			expect "$(setpriv --no-new-privs "$run" "$dir/suid_other")" "shim: yes" "a set-user-ID program under no_new_privs"
			echo "set-user-ID under no_new_privs: loaded, as ljmm-run says"
		else
			echo "setpriv (util-linux) is not installed: no_new_privs not tried"
		fi
		if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
			mkdir "$dir/mnt"
			out=$(unshare -m sh -c 'mount -t tmpfs -o nosuid,mode=755 ljmm-test "$1" && cp -p "$2" "$1/s" && chown 65534 "$1/s" &&
				chmod u+s "$1/s" && "$3" --check "$1/s" && "$3" "$1/s"' sh "$dir/mnt" "$dir/pie" "$run") ||
				fail "a set-user-ID program on a nosuid mount: $out"
			expect "$out" "$dir/mnt/s: ${load}${out#*"$load"}" "a set-user-ID program on a nosuid mount"
			case $out in
			*"set-user-ID to another user, but on a nosuid mount ($dir/mnt), so the kernel ignores the bit)$nl"'shim: yes') ;;
			*) fail "a set-user-ID program on a nosuid mount: $out" ;;
			esac
			echo "set-user-ID on a nosuid mount: loaded, as ljmm-run says"
		else
			echo "unshare -m is not available here: a nosuid mount not tried"
		fi
	fi
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
