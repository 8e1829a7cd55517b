#!/bin/sh
# SPDX-License-Identifier: MIT
# ljmm-maps with several processes, the shim's live counters and the output formats
# (ctest tools_fleet_CASE):
#   rows        several PIDs (and --table for one) give a table that parses, one row
#               per process, with the shim's counters for a process under the shim
#               and "no" / "n/a" for one without; --json gives the same as an array
#   all         --all NAME finds processes by comm and by argv[0] (also a rewritten
#               title "NAME: worker process"), exactly, and not ljmm-maps itself
#   prometheus  the exposition format, line by line (prom_check.sh, which must also
#               reject broken samples), label values with \ " and a newline escaped
#   prominfo    Prometheus for fleets: ljmm_build_info, ljmm_shim_enabled (1 under the
#               shim, 0 with LJMM_ENABLE=off and without it), ljmm_shim_info's version,
#               ljmm_process_start_time_seconds (from /proc/PID/stat and btime),
#               ljmm_region_peak_bytes; promtool check metrics when promtool is there
#   counters    counters read from a live process equal what it reports itself at exit
#               (LJMM_STATS=on)
#   unreadable  the reader as nobody against a root process: a row that says so,
#               exit 0 (skipped, 77, unless root with setpriv)
#   utf8        command names in UTF-8 (café), in Latin-1 and cut inside a character:
#               valid UTF-8 JSON that a parser decodes to the right text
#   probe       fake probes (fake_probe.c): every kind of wrong probe is refused or
#               read only as far as it is believable
#   flood       a hostile process under the shim: a file named libljmm_preload.so with a
#               forged probe mapped 3000 times, then 12 such files: the reads of
#               /proc/PID/mem stay bounded (LJMM_MAPS_DEBUG's count, and strace's where
#               it is installed), the forged probe is refused and the real counters read
#   fuse        a process with a file named libljmm_preload.so mapped from a FUSE file
#               system whose daemon never answers a read (fuse_stall.c): ljmm-maps
#               reports it unreadable at once and no read reaches the daemon (skipped,
#               77, where a FUSE mount cannot be made: not root, no /dev/fuse)
# Usage: fleet_test.sh CASE LJMM_MAPS LJMM_RUN LIBDIR MAP32_HOLD_PIE MAP32_HOLD_NOPIE FAKE_PROBE FUSE_STALL
#                      STATS_DUMP (tests/lib/stats_dump: the registry's report labels)
set -u
case=$1 maps=$2 run=$3 libdir=$4 hold_pie=$5 hold_nopie=$6 fake=$7 fuse=$8 stats_dump=${9:-}
unset LD_PRELOAD LJMM_LIBRARY LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE
here=$(dirname "$0")
lib=$(cd "$libdir" && pwd -P)/libljmm_preload.so
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

# json_ok FILE: valid UTF-8 (jq would replace bad bytes silently) and valid JSON.
json_ok() {
	iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1 || fail "$1 is not valid UTF-8"
	jq -e . "$1" >/dev/null 2>&1 || fail "$1 is not valid JSON"
}

# jqv FILE FILTER: one value from a JSON file.
jqv() {
	jq -r "$2" "$1" 2>/dev/null || fail "jq '$2' failed on $1"
}

# row PID: the table row of PID in $dir/out, fields separated by single spaces.
row() {
	awk -v p="$1" 'NR > 1 && $1 == p { $1 = $1; print }' "$dir/out"
}

# field N ROW: the Nth blank-separated field.
field() {
	printf '%s\n' "$2" | awk -v n="$1" '{ print $n }'
}

command -v jq >/dev/null || {
	echo "SKIP: jq is not installed (Debian: apt-get install jq)"
	exit 77
}

case $case in
rows | prometheus | prominfo | counters | probe | flood | fuse | unreadable) need_mem_access ;;
esac

case $case in
rows)
	start "$run" --lib "$lib" "$hold_pie"
	shim=$pid
	start "$hold_pie" 100
	plain=$pid
	"$maps" "$shim" "$plain" >"$dir/out" 2>"$dir/err" || fail "ljmm-maps $shim $plain"
	cat "$dir/out"
	[ ! -s "$dir/err" ] || fail "stderr not empty"
	[ "$(wc -l <"$dir/out")" = 3 ] || fail "expected a header and two rows"
	head -n 1 "$dir/out" | awk '{ $1 = $1; print }' >"$dir/header"
	[ "$(cat "$dir/header")" = "PID COMMAND SHIM KERNEL_MIB REGION_MIB FREE_MIB HOLE_MIB USED_PCT REGION_SERVED FAILED KERNEL_SKIPPED COUNTERS" ] ||
		fail "header: $(cat "$dir/header")"
	r=$(row "$shim")
	[ -n "$r" ] || fail "no row for $shim"
	[ "$(field 2 "$r")" = map32_hold_pie ] || fail "command of $shim"
	[ "$(field 3 "$r")" = yes ] || fail "shim of $shim"
	[ "$(field 12 "$r")" = active ] || fail "counters of $shim: $(field 12 "$r")"
	# The figures add up: the kernel window is full, the region took about as much,
	# nearly nothing is free; the counters saw the region serve and one failure.
	awk -v r="$r" 'BEGIN { split(r, f, " ")
		if (f[4] < 900 || f[5] < 900 || f[6] > 100 || f[7] > f[6] || f[8] < 95 || f[8] > 100) exit 1
		if (f[9] < 900 || f[10] != 1 || f[11] > f[9]) exit 1
		if (f[4] + f[5] + f[6] > 2048.5) exit 1 }' || fail "implausible figures: $r"
	r=$(row "$plain")
	[ "$(field 3 "$r")" = no ] || fail "shim of $plain"
	[ "$(field 4 "$r")" = 100.0 ] || fail "kernel MiB of $plain (100 blocks of 1 MiB): $(field 4 "$r")"
	[ "$(field 5 "$r")" = 0.0 ] || fail "region MiB of $plain"
	[ "$(field 9 "$r") $(field 10 "$r") $(field 11 "$r") $(field 12 "$r")" = "- - - n/a" ] ||
		fail "counters of a process without the shim: $r"
	# One PID with --table: the row form; without: the picture.
	"$maps" --table "$plain" >"$dir/out" || fail "--table $plain"
	[ "$(wc -l <"$dir/out")" = 2 ] || fail "--table with one PID: expected a header and one row"
	"$maps" "$plain" >"$dir/out" || fail "ljmm-maps $plain"
	grep '^low 2 GiB, one character = 16 MiB:$' "$dir/out" >/dev/null || fail "one PID: not the picture"
	# A PID given twice is one row; a PID that does not exist: a message, the other
	# rows, exit 1.
	"$maps" "$plain" "$plain" 4194304 "$shim" >"$dir/out" 2>"$dir/err"
	rc=$?
	[ "$rc" = 1 ] || fail "a missing PID among others: exit $rc"
	[ "$(cat "$dir/err")" = "ljmm-maps: no such process 4194304" ] || fail "message for the missing PID"
	[ "$(wc -l <"$dir/out")" = 3 ] || fail "rows with a missing PID"
	# JSON rows.
	"$maps" --json "$shim" "$plain" >"$dir/json" || fail "--json with two PIDs"
	json_ok "$dir/json"
	[ "$(jqv "$dir/json" 'length')" = 2 ] || fail "JSON: not two rows"
	[ "$(jqv "$dir/json" ".[] | select(.pid == $shim) | .counters.status")" = active ] || fail "JSON: counters"
	[ "$(jqv "$dir/json" ".[] | select(.pid == $plain) | [.ljmm_mapped, .counters.status] | @tsv")" = "false	n/a" ] ||
		fail "JSON: the process without the shim"
	;;
all)
	# Names nothing else on the machine has.
	tag=ljmmt$$
	ln -s "$hold_pie" "$dir/$tag"
	start "$dir/$tag"
	by_comm=$pid
	start "$dir/$tag"
	by_comm2=$pid
	# argv[0] only: comm stays map32_hold_pie; a title rewritten nginx-style.
	# shellcheck disable=SC2016 # for the child bash
	start bash -c 'exec -a "/usr/sbin/$1: worker process" "$2"' x "$tag" "$hold_pie"
	by_title=$pid
	# A comm cut to 15 bytes, found by the whole name through argv[0].
	long=${tag}-long-name
	ln -s "$hold_pie" "$dir/$long"
	start "$dir/$long"
	by_argv0=$pid
	# Not these: a prefix of the name, a name that only contains it.
	ln -s "$hold_pie" "$dir/${tag}x"
	start "$dir/${tag}x"
	other=$pid
	"$maps" --all "$tag" >"$dir/out" 2>"$dir/err" || fail "--all $tag"
	cat "$dir/out"
	found=$(awk 'NR > 1 { print $1 }' "$dir/out" | tr '\n' ' ')
	want=$(printf '%s\n' "$by_comm" "$by_comm2" "$by_title" | sort -n | tr '\n' ' ')
	[ "$found" = "$want" ] || fail "--all $tag found '$found', expected '$want'"
	"$maps" --all="$long" --all "$tag" >"$dir/out" || fail "--all twice"
	found=$(awk 'NR > 1 { print $1 }' "$dir/out" | tr '\n' ' ')
	want=$(printf '%s\n' "$by_comm" "$by_comm2" "$by_title" "$by_argv0" | sort -n | tr '\n' ' ')
	[ "$found" = "$want" ] || fail "--all $long --all $tag found '$found', expected '$want'"
	case " $found " in *" $other "*) fail "--all matched ${tag}x" ;; esac
	# Nothing matches: the header alone, exit 0; JSON [], Prometheus 0 processes.
	"$maps" --all "$tag-none" >"$dir/out" 2>"$dir/err" || fail "--all with no match: exit status"
	[ "$(wc -l <"$dir/out")" = 1 ] || fail "--all with no match: output"
	[ ! -s "$dir/err" ] || fail "--all with no match: stderr"
	[ "$("$maps" --json --all "$tag-none")" = "[]" ] || fail "--json --all with no match"
	"$maps" --prometheus --all "$tag-none" | grep '^ljmm_processes 0$' >/dev/null || fail "--prometheus, no match"
	# ljmm-maps never lists itself (a copy under a name nothing else has).
	ln -s "$maps" "$dir/${tag}self"
	"$dir/${tag}self" --all "${tag}self" >"$dir/out" || fail "--all of its own name"
	[ "$(wc -l <"$dir/out")" = 1 ] || fail "ljmm-maps listed itself"
	;;
prometheus)
	start "$run" --lib "$lib" "$hold_nopie"
	shim=$pid
	start "$hold_pie" 50
	plain=$pid
	# A name with every character the format escapes: a backslash, a double quote and
	# a newline (a file name may hold them; comm is the name the program ran as).
	nasty=$(printf 'q"b\\n\nx')
	ln -s "$hold_pie" "$dir/$nasty"
	start "$dir/$nasty" 10
	odd=$pid
	"$maps" --prometheus "$shim" "$plain" "$odd" >"$dir/out" 2>"$dir/err" || fail "--prometheus"
	cat "$dir/out"
	sh "$here/prom_check.sh" "$dir/out" || fail "the output is not valid exposition format"
	# Each of these must be caught by the checker, or it proves nothing.
	printf '# TYPE a gauge\na{x="1"} 1\n' >"$dir/good.prom"
	sh "$here/prom_check.sh" "$dir/good.prom" >/dev/null || fail "prom_check rejects a good file"
	n=0
	while IFS= read -r bad; do
		n=$((n + 1))
		# shellcheck disable=SC2059 # the sample is a printf format on purpose
		printf "$bad" >"$dir/bad.prom"
		if sh "$here/prom_check.sh" "$dir/bad.prom" >/dev/null; then fail "prom_check accepts bad sample $n: $bad"; fi
	done <<'EOF'
# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n
# TYPE a gauge\na{x="a"b"} 1\n
# TYPE a gauge\na{x="a\\tb"} 1\n
# TYPE a gauge\na{x="a} 1\n
# TYPE a gauge\na{1x="a"} 1\n
# TYPE a gauge\na{__x="a"} 1\n
# TYPE a gauge\na{x="1",x="2"} 1\n
# TYPE a gauge\na 1.2.3\n
# TYPE a gauge\na one\n
# TYPE a gauge\na 1\n\n
# TYPE a gauge\na 1
a 1\n
# TYPE a gauge\na 1\n# TYPE a gauge\n
# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x="2"} 1\n
a 1\n# TYPE a gauge\n
# TYPE a counter\na -1\n
# TYPE a weird\na 1\n
# TYPE 1a gauge\n1a 1\n
# HELP a bad \\x escape\n# TYPE a gauge\na 1\n
# TYPE a gauge\na{x="\377"} 1\n
# TYPE a gauge\na{x="1",y="2"} 1\na{y="2",x="1"} 1\n
EOF
	[ "$n" = 21 ] || fail "ran $n of the checker's bad samples"
	# The values: label escapes, one series per process and figure.
	grep -F "ljmm_shim_loaded{pid=\"$odd\",command=\"q\\\"b\\\\n\\nx\"} 0" "$dir/out" >/dev/null ||
		fail "the escaped command name"
	grep "^ljmm_processes 3\$" "$dir/out" >/dev/null || fail "ljmm_processes"
	grep "^ljmm_counters_readable{pid=\"$shim\",command=\"map32_hold_nopi\"} 1\$" "$dir/out" >/dev/null ||
		fail "counters_readable of the shim process"
	grep "^ljmm_counters_readable{pid=\"$plain\",command=\"map32_hold_pie\"} 0\$" "$dir/out" >/dev/null ||
		fail "counters_readable of the plain process"
	grep "^ljmm_region_served_total{pid=\"$shim\",command=\"map32_hold_nopi\"} [1-9][0-9]*\$" "$dir/out" >/dev/null ||
		fail "region_served_total of the shim process"
	if grep "_total{pid=\"$plain\"" "$dir/out" >/dev/null; then fail "counters for a process without the shim"; fi
	grep "^ljmm_kernel_window_bytes{pid=\"$plain\",command=\"map32_hold_pie\"} 52428800\$" "$dir/out" >/dev/null ||
		fail "kernel_window_bytes of the plain process (50 MiB)"
	grep "^ljmm_low_used_ratio{pid=\"$shim\",command=\"map32_hold_nopi\"} 0\\.9[0-9]*\$" "$dir/out" >/dev/null ||
		fail "low_used_ratio of the shim process"
	# --all gives the same families.
	"$maps" --prometheus --all map32_hold_nopie >"$dir/out2" || fail "--prometheus --all"
	sh "$here/prom_check.sh" "$dir/out2" || fail "--prometheus --all: not valid"
	;;
prominfo)
	start "$run" --lib "$lib" "$hold_nopie"
	shim=$pid
	start env LJMM_ENABLE=off "$run" --lib "$lib" "$hold_pie" 30
	off=$pid
	start "$hold_pie" 10
	plain=$pid
	"$maps" --prometheus "$shim" "$off" "$plain" >"$dir/out" 2>"$dir/err" || fail "--prometheus"
	cat "$dir/out"
	sh "$here/prom_check.sh" "$dir/out" || fail "the output is not valid exposition format"
	promtool_check "$dir/out"
	version=$("$maps" --version | sed 's/.* //')
	# sample_is FAMILY PID VALUE [LABELS]: the sample of FAMILY for PID is VALUE.
	sample_is() {
		cmd=$(tr -d '\n' </proc/"$2"/comm)
		grep -qxF "$1{pid=\"$2\",command=\"$cmd\"${4:-}} $3" "$dir/out" || fail "expected $1 of $2 to be $3"
	}
	grep -qxF "ljmm_build_info{version=\"$version\"} 1" "$dir/out" || fail "ljmm_build_info"
	sample_is ljmm_shim_enabled "$shim" 1
	sample_is ljmm_shim_enabled "$off" 0
	sample_is ljmm_shim_enabled "$plain" 0
	sample_is ljmm_shim_loaded "$off" 1
	sample_is ljmm_shim_info "$shim" 1 ",version=\"$version\""
	sample_is ljmm_shim_info "$off" 1 ",version=\"$version\""
	if grep -q "^ljmm_shim_info{pid=\"$plain\"" "$dir/out"; then fail "ljmm_shim_info without the shim"; fi
	# The start time: btime plus field 22 of /proc/PID/stat in clock ticks.
	btime=$(sed -n 's/^btime //p' /proc/stat)
	hz=$(getconf CLK_TCK)
	for p in "$shim" "$off" "$plain"; do
		ticks=$(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $20 }')
		want=$(awk -v b="$btime" -v t="$ticks" -v h="$hz" 'BEGIN { printf "%.2f", b + t / h }')
		got=$(sed -n "s/^ljmm_process_start_time_seconds{pid=\"$p\",[^}]*} //p" "$dir/out")
		[ "$got" = "$want" ] || fail "start time of $p: $got, expected $want"
	done
	# Peak: the region was needed in the shim's process (about 2 GiB at once), not in
	# the others.
	peak=$(sed -n "s/^ljmm_region_peak_bytes{pid=\"$shim\",[^}]*} //p" "$dir/out")
	if [ -z "$peak" ] || [ "$peak" -le $((1900 * MIB)) ]; then fail "ljmm_region_peak_bytes of $shim: '$peak'"; fi
	if grep -q "^ljmm_region_peak_bytes{pid=\"\($off\|$plain\)\"" "$dir/out"; then
		fail "ljmm_region_peak_bytes where the region was never needed"
	fi
	# The same process a second time has the same start time; a new process a later one.
	"$maps" --prometheus "$shim" >"$dir/out2" || fail "--prometheus again"
	[ "$(grep '^ljmm_process_start_time_seconds' "$dir/out2")" = "$(grep "^ljmm_process_start_time_seconds{pid=\"$shim\"" "$dir/out")" ] ||
		fail "the start time of $shim changed"
	;;
counters)
	LJMM_STATS=on
	export LJMM_STATS
	start "$run" --lib "$lib" "$hold_nopie"
	unset LJMM_STATS
	"$maps" --json "$pid" >"$dir/json" || fail "ljmm-maps --json $pid"
	json_ok "$dir/json"
	"$maps" --table "$pid" >"$dir/out" || fail "ljmm-maps --table $pid"
	cat "$dir/out"
	jq -c .counters "$dir/json"
	[ "$(jqv "$dir/json" .counters.status)" = active ] || fail "counters not read"
	[ "$(jqv "$dir/json" .counters.version)" = "$("$maps" --version | sed 's/.* //')" ] || fail "version"
	stop "$pid"
	grep ' ljmm\[' "$hold_out"
	calls=$(sed -n "s/^.* ljmm\[$pid\]: calls: //p" "$hold_out")
	region=$(sed -n "s/^.* ljmm\[$pid\]: region \[[^]]*): //p" "$hold_out")
	if [ -z "$calls" ] || [ -z "$region" ]; then fail "no statistics at exit"; fi
	# report NAME: the figure NAME= of the exit report.
	report() {
		printf '%s %s\n' "$calls" "$region" | tr ' ' '\n' | sed -n "s/^$1=//p"
	}
	# Every LABEL=N field of the report, with its JSON name, from the counters registry.
	"$stats_dump" --labels >"$dir/labels" || fail "$stats_dump --labels failed"
	[ "$(wc -l <"$dir/labels")" -ge 19 ] || fail "the registry lists $(wc -l <"$dir/labels") report fields"
	while read -r label name when; do
		exit_value=$(report "$label")
		live=$(jqv "$dir/json" ".counters.$name")
		[ "$when" = nonzero ] && [ -z "$exit_value" ] && exit_value=0
		[ -n "$exit_value" ] || fail "no $label= in the exit report"
		[ "$exit_value" = "$live" ] || fail "$label: read $live from outside, the process reported $exit_value"
		echo "  $label: read $live, reported $exit_value"
	done <"$dir/labels"
	if [ "$(report region-served)" -le 900 ] || [ "$(report failed)" != 1 ]; then
		fail "the helper did not fill the region (this test needs region-served > 900 and failed=1)"
	fi
	# The region's bytes in use, and the table's three counters.
	in_use=$(printf '%s\n' "$region" | sed -n 's/^in use \([0-9.]*\) MiB.*/\1/p')
	live=$(jqv "$dir/json" '.counters.region_in_use / 1048576 * 10 | round / 10')
	awk -v a="$in_use" -v b="$live" 'BEGIN { exit !(a - b < 0.05 && b - a < 0.05) }' ||
		fail "region in use: read $live MiB, reported $in_use MiB"
	r=$(row "$pid")
	[ "$(field 9 "$r") $(field 10 "$r") $(field 11 "$r")" = "$(report region-served) $(report failed) $(report kernel-skipped)" ] ||
		fail "table counters '$r' against the report"
	;;
unreadable)
	[ "$(id -u)" = 0 ] || {
		echo "SKIP: needs root (the reader runs as nobody against a root process)"
		exit 77
	}
	command -v setpriv >/dev/null || {
		echo "SKIP: setpriv is not installed (Debian: util-linux)"
		exit 77
	}
	start "$run" --lib "$lib" "$hold_pie" 20
	# A copy nobody may run, outside directories only root may enter.
	mkdir "$dir/bin"
	chmod 755 "$dir" "$dir/bin"
	cp "$maps" "$dir/bin/ljmm-maps"
	chmod 755 "$dir/bin/ljmm-maps"
	as_nobody() {
		setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all "$dir/bin/ljmm-maps" "$@"
	}
	as_nobody --table "$pid" >"$dir/out" 2>"$dir/err"
	rc=$?
	cat "$dir/out" "$dir/err"
	[ "$rc" = 0 ] || fail "--table as nobody: exit status $rc"
	[ ! -s "$dir/err" ] || fail "--table as nobody: stderr"
	r=$(row "$pid")
	[ "$(field 2 "$r") $(field 3 "$r")" = "map32_hold_pie ?" ] || fail "row: $r"
	case $r in *" - - - - - - - - unreadable (EACCES)") ;; *) fail "row: $r" ;; esac
	as_nobody --prometheus "$pid" >"$dir/out" 2>"$dir/err" || fail "--prometheus as nobody"
	sh "$here/prom_check.sh" "$dir/out" >/dev/null || fail "--prometheus as nobody: not valid"
	# What /proc/PID/stat tells anyone (the start time), and that nothing else could be read.
	[ "$(grep -c "pid=\"$pid\"" "$dir/out")" = 3 ] || fail "--prometheus as nobody: expected three samples"
	grep "^ljmm_process_start_time_seconds{pid=\"$pid\",command=\"map32_hold_pie\"} [0-9]*\.[0-9]*\$" "$dir/out" >/dev/null ||
		fail "start time as nobody"
	grep "^ljmm_maps_readable{pid=\"$pid\",command=\"map32_hold_pie\"} 0\$" "$dir/out" >/dev/null || fail "maps_readable"
	grep "^ljmm_counters_readable{pid=\"$pid\",command=\"map32_hold_pie\"} 0\$" "$dir/out" >/dev/null ||
		fail "counters_readable"
	as_nobody --json "$pid" "$pid" >"$dir/json" || fail "--json rows as nobody"
	[ "$(jqv "$dir/json" '.[0] | [.maps, .maps_error, .counters.status, .counters.detail] | @tsv')" = \
		"unreadable	EACCES	unreadable	EACCES" ] || fail "JSON row as nobody"
	# The picture of one process cannot be drawn: exit 1, and why.
	as_nobody "$pid" >"$dir/out" 2>"$dir/err"
	[ $? = 1 ] || fail "picture as nobody: exit status"
	[ "$(cat "$dir/err")" = "ljmm-maps: cannot open /proc/$pid/maps: Permission denied" ] || fail "picture as nobody: message"
	# And the same process as root: readable (so the row above is about permission).
	"$maps" --table "$pid" >"$dir/out" || fail "--table as root"
	[ "$(field 12 "$(row "$pid")")" = active ] || fail "as root the counters are read"
	;;
utf8)
	# café in UTF-8; caf\351 (Latin-1); eight é, which comm cuts after 15 bytes, in
	# the middle of the eighth.
	cafe=$(printf 'caf\303\251')
	latin=$(printf 'caf\351')
	eight=$(printf '\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251')
	for name in "$cafe" "$latin" "$eight"; do
		ln -s "$hold_pie" "$dir/$name"
	done
	start "$dir/$cafe" 1
	p1=$pid
	start "$dir/$latin" 1
	p2=$pid
	start "$dir/$eight" 1
	p3=$pid
	want1=$cafe
	want2=$(printf 'caf\357\277\275')
	want3=$(printf '\303\251\303\251\303\251\303\251\303\251\303\251\303\251\357\277\275')
	for p in "$p1:$want1" "$p2:$want2" "$p3:$want3"; do
		"$maps" --json "${p%%:*}" >"$dir/json" || fail "--json ${p%%:*}"
		json_ok "$dir/json"
		[ "$(jqv "$dir/json" .comm)" = "${p#*:}" ] || fail "comm of ${p%%:*} decodes as '$(jqv "$dir/json" .comm)', expected '${p#*:}'"
	done
	# The escapes themselves: ASCII stays ASCII, é is not \u00c3\u00a9.
	"$maps" --json "$p1" >"$dir/json"
	grep -F '"comm":"café"' "$dir/json" >/dev/null || fail "café is not passed through: $(head -c 80 "$dir/json")"
	"$maps" --json "$p1" "$p2" "$p3" >"$dir/json" || fail "--json rows"
	json_ok "$dir/json"
	[ "$(jqv "$dir/json" '[.[].comm] | join("|")')" = "$want1|$want2|$want3" ] || fail "JSON rows: names"
	# Control characters are escaped; the table and the picture show '?' for what is
	# not printable UTF-8; Prometheus labels are valid UTF-8.
	ctl=$(printf 'a\tb\033c')
	ln -s "$hold_pie" "$dir/$ctl"
	start "$dir/$ctl" 1
	p4=$pid
	"$maps" --json "$p4" >"$dir/json"
	json_ok "$dir/json"
	grep -F '"comm":"a\tb\u001bc"' "$dir/json" >/dev/null || fail "control characters in JSON"
	"$maps" --table "$p1" "$p2" "$p4" >"$dir/out"
	[ "$(field 2 "$(row "$p1")")" = café ] || fail "table: café"
	[ "$(field 2 "$(row "$p2")")" = "caf?" ] || fail "table: Latin-1"
	[ "$(field 2 "$(row "$p4")")" = "a?b?c" ] || fail "table: control characters"
	"$maps" "$p1" | grep "^pid $p1 (café)  " >/dev/null || fail "picture header: café"
	"$maps" --prometheus "$p1" "$p2" "$p3" >"$dir/out"
	sh "$here/prom_check.sh" "$dir/out" || fail "Prometheus with UTF-8 names"
	grep -F "command=\"$want2\"" "$dir/out" >/dev/null || fail "Prometheus: Latin-1 name not replaced"
	;;
probe)
	mkdir "$dir/fake"
	start "$fake" "$dir/fake" active
	"$maps" --json "$pid" >"$dir/json" || fail "a fake probe"
	json_ok "$dir/json"
	[ "$(jqv "$dir/json" '[.ljmm_mapped, .counters.status, .counters.version, .counters.mmap_calls, .counters.fork_resets] | @tsv')" = \
		"true	active	fake0	0	22" ] || fail "active: $(jq -c .counters "$dir/json")"
	stop "$pid"
	# expect MODES FILTER VALUE: fake_probe with MODES, ljmm-maps --json, FILTER on the
	# counters gives VALUE.
	expect() {
		rm -rf "$dir/fake"
		mkdir "$dir/fake"
		# shellcheck disable=SC2086 # the modes are separate words
		start "$fake" "$dir/fake" $1
		"$maps" --json "$pid" >"$dir/json" 2>"$dir/err" || fail "$1: ljmm-maps failed"
		json_ok "$dir/json"
		got=$(jqv "$dir/json" ".counters | $2")
		[ "$got" = "$3" ] || fail "$1: got '$got', expected '$3'"
		echo "$1: $got"
		stop "$pid"
	}
	expect nomagic '[.status, .detail] | @tsv' "no-probe	a library older than the probe"
	expect notelf '[.status, .detail] | @tsv' "no-probe	not an ELF object"
	# 0.1.0, without the note: found by the bounded scan.
	expect nonote '[.status, .version, .fork_resets] | @tsv' "active	fake0	22"
	expect badnote '[.status, .detail] | @tsv' "bad-probe	no probe where the note says"
	expect noteout '[.status, .detail] | @tsv' "bad-probe	probe outside the object's writable memory"
	expect noteaway '[.status, .detail] | @tsv' "bad-probe	note outside the object's file"
	expect misaligned '[.status, .detail] | @tsv' "bad-probe	misaligned probe"
	expect layout '[.status, .detail] | @tsv' "bad-probe	unknown layout"
	expect notstarted '[.status, .detail] | @tsv' "not-started	the library is not initialised yet"
	expect huge '[.status, .detail] | @tsv' "bad-probe	implausible size"
	expect outside '[.status, .detail] | @tsv' "bad-probe	address outside writable memory"
	# Writable, but another object's memory (the helper's own .bss).
	expect other '[.status, .detail] | @tsv' "bad-probe	address outside writable memory"
	expect misaddr '[.status, .detail] | @tsv' "bad-probe	misaligned address"
	expect off '[.status, .detail, .region_served] | @tsv' "off	LJMM_ENABLE=off	5"
	# An older library's shorter struct: the fields it has, the others unknown.
	expect short '[.status, .stats_size, .mmap_calls, .region_served, .failures, .kernel_skipped] | @tsv' \
		"active	48	0	5		"
	# A newer library's longer struct: ours is read, the rest ignored.
	expect long '[.status, .fork_resets] | @tsv' "active	22"
	# Two copies: the one that serves the process wins, whichever comes first.
	expect "aside active" '[.status, .version] | @tsv' "active	fake1"
	expect "active aside" '[.status, .version] | @tsv' "active	fake0"
	expect "layout aside" '[.status, .version] | @tsv' "aside	fake1"
	# Two copies that both claim to serve: the one the calls reached (more mmap calls).
	expect "active active" '[.status, .version, .mmap_calls] | @tsv' "active	fake1	1000"
	# The table and Prometheus with a short struct: unknown counters are '-' and
	# absent.
	rm -rf "$dir/fake"
	mkdir "$dir/fake"
	start "$fake" "$dir/fake" short
	"$maps" --table "$pid" >"$dir/out" || fail "--table, short"
	r=$(row "$pid")
	[ "$(field 9 "$r") $(field 10 "$r") $(field 11 "$r") $(field 12 "$r")" = "5 - - active" ] || fail "table, short: $r"
	"$maps" --prometheus "$pid" >"$dir/out" || fail "--prometheus, short"
	sh "$here/prom_check.sh" "$dir/out" >/dev/null || fail "--prometheus, short: not valid"
	grep "^ljmm_region_served_total{pid=\"$pid\",command=\"fake_probe\"} 5\$" "$dir/out" >/dev/null ||
		fail "--prometheus, short: region_served"
	if grep '^ljmm_failed_total{' "$dir/out" >/dev/null; then fail "--prometheus, short: failed_total is unknown"; fi
	;;
flood)
	version=$("$maps" --version | awk '{ print $NF }')
	mkdir "$dir/fake"
	# debug_ok OBJECTS OVER MAXREADS MAXBYTES: LJMM_MAPS_DEBUG's summary in $dir/err.
	debug_ok() {
		want="$1 $2"
		max_reads=$3 max_bytes=$4
		line=$(grep 'objects examined' "$dir/err") || fail "no debug summary"
		echo "$line"
		got=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) objects examined, \([0-9]*\) more not .*: \([0-9]*\) reads, \([0-9]*\) bytes$/\1 \2 \3 \4/p')
		# shellcheck disable=SC2086 # four numbers
		set -- $got
		[ "$1 $2" = "$want" ] || fail "expected $want objects examined and not, got '$got'"
		[ "$3" -le "$max_reads" ] || fail "$3 reads of /proc/PID/mem, at most $max_reads expected"
		[ "$4" -le "$max_bytes" ] || fail "$4 bytes read of /proc/PID/mem, at most $max_bytes expected"
	}
	# One forged file mapped 3000 times (6000 maps lines): one object, read as such.
	start "$fake" -n 3000 "$dir/fake" outside
	LJMM_MAPS_DEBUG=1 "$maps" --json "$pid" >"$dir/json" 2>"$dir/err" || fail "flood without the shim"
	json_ok "$dir/json"
	[ "$(jqv "$dir/json" '[.counters.status, .counters.detail] | @tsv')" = "bad-probe	address outside writable memory" ] ||
		fail "flood without the shim: $(jq -c .counters "$dir/json")"
	# Per object at most: the ELF header, the program headers, 4 note segments, the probe,
	# the counters (8 reads); bytes: 64 + 4096 + 4096 + 56 + the counters.
	debug_ok 1 0 8 9000
	stop "$pid"
	rm -rf "$dir/fake" && mkdir "$dir/fake"
	start "$run" --lib "$lib" "$fake" -n 3000 "$dir/fake" outside
	LJMM_MAPS_DEBUG=1 "$maps" --json "$pid" >"$dir/json" 2>"$dir/err" || fail "flood under the shim"
	json_ok "$dir/json"
	[ "$(jqv "$dir/json" '[.counters.status, .counters.version] | @tsv')" = "active	$version" ] ||
		fail "flood under the shim: $(jq -c .counters "$dir/json")"
	grep 'found by the note, bad-probe: address outside writable memory$' "$dir/err" >/dev/null ||
		fail "the forged probe is not reported as bad"
	grep 'found by the note, active$' "$dir/err" >/dev/null || fail "the real probe is not found by its note"
	debug_ok 2 0 16 18000
	# The fleet forms go the same way.
	LJMM_MAPS_DEBUG=1 "$maps" --prometheus "$pid" >"$dir/out" 2>"$dir/err" || fail "--prometheus"
	grep "^ljmm_shim_enabled{pid=\"$pid\",command=\"fake_probe\"} 1\$" "$dir/out" >/dev/null ||
		fail "--prometheus: the shim's counters"
	debug_ok 2 0 16 18000
	if command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null; then
		# Every pread of ljmm-maps: the counted ones and one of /proc/PID/exe.
		strace -qq -f -c -U calls,name -e trace=pread64 -o "$dir/strace" "$maps" --json "$pid" >/dev/null ||
			fail "ljmm-maps under strace"
		n=$(awk '$2 == "pread64" { print $1 }' "$dir/strace")
		echo "strace: ${n:-0} pread64 calls"
		[ "${n:-0}" -le 17 ] || fail "strace counted $n pread64 calls, at most 17 expected"
		# The same target before the bound read every mapping: 3000+ calls.
	else
		echo "strace cannot trace here: its check left out"
	fi
	stop "$pid"
	# Twelve such files (aside, so that none outranks the real one): the cap; the
	# library's file, which the process executes, is looked into first.
	rm -rf "$dir/fake" && mkdir "$dir/fake"
	start "$run" --lib "$lib" "$fake" "$dir/fake" aside aside aside aside aside aside aside aside aside aside aside aside
	LJMM_MAPS_DEBUG=1 "$maps" --json "$pid" >"$dir/json" 2>"$dir/err" || fail "12 files under the shim"
	[ "$(jqv "$dir/json" '[.counters.status, .counters.version] | @tsv')" = "active	$version" ] ||
		fail "12 files under the shim: $(jq -c .counters "$dir/json")"
	debug_ok 8 5 64 72000
	# The cap the docs give is the one ljmm-maps applies.
	cap=$(sed -n 's/.*(the cap is \([0-9]*\)).*/\1/p' "$dir/err")
	grep -F "at most $cap files" "$here/../../docs/troubleshooting.md" >/dev/null ||
		fail "docs/troubleshooting.md does not give the cap, $cap"
	grep -F "at most $cap of them" "$here/../../man/ljmm-maps.1" >/dev/null || fail "ljmm-maps(1) does not give the cap, $cap"
	;;
fuse)
	mkdir "$dir/mnt"
	out=$dir/hold1
	"$fuse" "$dir/mnt" >"$out" 2>&1 &
	pid=$!
	bg_pids="$bg_pids $pid"
	i=0
	until grep "^ready" "$out" >/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			rc=$?
			[ "$rc" = 77 ] && skip "$(sed "s/^SKIP: //" "$out")"
			fail "fuse_stall exited ($rc)"
		fi
		i=$((i + 1))
		[ "$i" -lt 300 ] || fail "fuse_stall did not get ready in 30 s"
		sleep 0.1
	done
	target=$(sed -n 's/^ready //p' "$out")
	grep " $dir/mnt/libljmm_preload.so\$" "/proc/$target/maps" || fail "the file is not mapped"
	# A read of the file's pages would wait for the daemon (SIGKILL ends it; SIGTERM
	# does not), as ljmm-maps did before it checked the file system.
	LJMM_MAPS_DEBUG=1 timeout -s KILL 60 "$maps" --json "$target" >"$dir/json" 2>"$dir/err" ||
		fail "ljmm-maps on the FUSE-backed process did not finish (or failed)"
	cat "$dir/err"
	json_ok "$dir/json"
	[ "$(jqv "$dir/json" '[.counters.status, .counters.detail] | @tsv')" = \
		"unreadable	on a FUSE or network file system, whose reads may block" ] ||
		fail "counters: $(jq -c .counters "$dir/json")"
	if grep '^READ request' "$out" >/dev/null; then fail "a read reached the FUSE daemon"; fi
	grep 'skipped, on a FUSE or network file system' "$dir/err" >/dev/null || fail "the debug line does not say why"
	grep '/proc/PID/mem: 0 reads, 0 bytes$' "$dir/err" >/dev/null || fail "/proc/PID/mem was read"
	timeout -s KILL 60 "$maps" --prometheus "$target" >"$dir/out" || fail "--prometheus did not finish"
	grep "^ljmm_counters_readable{pid=\"$target\",command=\"fuse_stall\"} 0\$" "$dir/out" >/dev/null ||
		fail "--prometheus: ljmm_counters_readable"
	;;
*)
	fail "unknown case"
	;;
esac
echo "ljmm-maps $case: ok"
