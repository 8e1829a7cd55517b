#!/bin/sh
# SPDX-License-Identifier: MIT
# The node_exporter textfile recipe of docs/deploy.md, taken from the document itself
# (the ```ini blocks after the "<!-- ljmm-test: textfile-service" and
# "<!-- ljmm-test: textfile-timer" markers), with /usr/bin/ljmm-maps replaced by the
# ljmm-maps under test, the textfile directory by a temporary one and "--all nginx" by
# a name only the test's processes have:
#   - systemd-analyze verify accepts both units (skipped without systemd-analyze);
#   - the service's ExecStart command, run as systemd would run it, writes a .prom file
#     that passes prom_check.sh with one row per process, counters read from the one
#     under the shim, and leaves no temporary file behind;
#   - when ljmm-maps fails, the previous .prom file stays exactly as it was.
# Usage: textfile_test.sh DEPLOY_MD LJMM_MAPS LJMM_RUN LIBDIR MAP32_HOLD_PIE
set -u
doc=$1 maps=$2 run=$3 libdir=$4 hold_pie=$5

unset LD_PRELOAD LJMM_LIBRARY LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE
here=$(dirname "$0")
lib=$(cd "$libdir" && pwd -P)/libljmm_preload.so
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

need_mem_access

# block MARKER: the ```ini block after the marker.
block() {
	awk -v m="<!-- ljmm-test: $1" '
		index($0, m) == 1 { armed = 1; next }
		armed && !inblock && /^```/ { inblock = 1; next }
		inblock && /^```/ { exit }
		inblock { print }' "$doc"
}
service=$(block textfile-service)
timer=$(block textfile-timer)
[ -n "$service" ] || fail "$doc: no block after <!-- ljmm-test: textfile-service"
[ -n "$timer" ] || fail "$doc: no block after <!-- ljmm-test: textfile-timer"
textdir=/var/lib/prometheus/node-exporter
printf '%s\n' "$service" | grep -F "/usr/bin/ljmm-maps --prometheus" >/dev/null || fail "the service does not run ljmm-maps --prometheus"
printf '%s\n' "$service" | grep -F "$textdir/ljmm.prom" >/dev/null || fail "the service does not write $textdir/ljmm.prom"
printf '%s\n' "$timer" | grep '^OnUnitActiveSec=' >/dev/null || fail "the timer does not repeat"

tag=ljmmtf$$
mkdir "$dir/text" "$dir/units"
# subst TEXT: the units with the test's paths (a sed on lines: the unit text has no
# newline inside a value).
subst() {
	printf '%s\n' "$1" | sed -e "s|/usr/bin/ljmm-maps|$maps|g" -e "s|$textdir|$dir/text|g" -e "s|--all nginx|--all $tag|g"
}
subst "$service" >"$dir/units/ljmm-textfile.service"
subst "$timer" >"$dir/units/ljmm-textfile.timer"
echo "--- the units under test:"
cat "$dir/units/ljmm-textfile.service" "$dir/units/ljmm-textfile.timer"

if command -v systemd-analyze >/dev/null 2>&1; then
	# The trailing colon: this directory, then systemd's own unit path.
	SYSTEMD_UNIT_PATH=$dir/units: systemd-analyze verify "$dir/units/ljmm-textfile.service" \
		"$dir/units/ljmm-textfile.timer" >"$dir/verify" 2>&1
	rc=$?
	cat "$dir/verify"
	[ "$rc" = 0 ] || fail "systemd-analyze verify: exit status $rc"
	if grep -i 'ljmm-textfile' "$dir/verify" >/dev/null; then fail "systemd-analyze verify complains about the units"; fi
else
	echo "(systemd-analyze is not installed: the units are not verified)"
fi

# The processes: one under the shim, one without, both named $tag.
ln -s "$hold_pie" "$dir/$tag"
start "$run" --lib "$lib" "$dir/$tag"
shim=$pid
start "$dir/$tag" 10
plain=$pid

# ExecStart= as systemd runs it: the value split like a shell's words (the recipe uses
# only single quotes, which systemd reads the same way), with the unit's UMask.
cmd=$(sed -n 's/^ExecStart=//p' "$dir/units/ljmm-textfile.service")
[ -n "$cmd" ] || fail "no ExecStart= in the service"
case $cmd in *'$'* | *'%'*) fail "ExecStart= uses \$ or %, which systemd expands itself: keep the recipe free of them" ;; esac
(
	umask 022
	eval "$cmd"
) || fail "the service's command failed"
prom=$dir/text/ljmm.prom
[ -f "$prom" ] || fail "no $prom"
cat "$prom"
sh "$here/prom_check.sh" "$prom" || fail "$prom is not valid exposition format"
grep '^ljmm_processes 2$' "$prom" >/dev/null || fail "expected 2 processes"
grep "^ljmm_counters_readable{pid=\"$shim\",command=\"$tag\"} 1\$" "$prom" >/dev/null || fail "counters of $shim"
grep "^ljmm_shim_loaded{pid=\"$plain\",command=\"$tag\"} 0\$" "$prom" >/dev/null || fail "shim_loaded of $plain"
[ "$(find "$dir/text" -type f | wc -l)" = 1 ] || fail "files left in the textfile directory: $(ls -a "$dir/text")"
[ "$(stat -c %a "$prom")" = 644 ] || fail "mode $(stat -c %a "$prom") of $prom: node_exporter may not read it"

# A failed run leaves the last good file as it was.
cp "$prom" "$dir/before"
broken=$(printf '%s\n' "$cmd" | sed "s|$maps|$maps --no-such-option|")
(
	umask 022
	eval "$broken"
) 2>"$dir/err" && fail "the command with a failing ljmm-maps succeeded"
cmp -s "$prom" "$dir/before" || fail "a failed run changed $prom"
echo "a failed run: $(cat "$dir/err"); $prom unchanged"
echo "textfile recipe: ok"
