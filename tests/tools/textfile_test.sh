#!/bin/sh
# SPDX-License-Identifier: MIT
# The node_exporter textfile units the package ships (tools/prometheus/): the service
# (generated from ljmm-textfile.service.in with the installed ljmm-maps's path) and
# the timer.
#   - docs/deploy.md shows them as the .deb installs them: the ```ini blocks after the
#     "<!-- ljmm-test: textfile-service" and "<!-- ljmm-test: textfile-timer" markers
#     are the template with /usr/bin/ljmm-maps and the timer, byte for byte;
#   - systemd-analyze verify accepts the built units (skipped without systemd-analyze);
#   - the built service's ExecStartPre= and ExecStart= commands, with its ljmm-maps
#     replaced by the one under test, the textfile directory by a temporary one that
#     does not exist yet and "--all nginx" by a name only the test's processes have,
#     run as systemd would run them: the directory is made, the .prom file passes
#     prom_check.sh (and promtool check metrics, where installed) with one row per
#     process, counters read from the one under the shim, and no temporary file left;
#   - when ljmm-maps fails, the previous .prom file stays exactly as it was.
# Usage: textfile_test.sh DEPLOY_MD SERVICE_IN TIMER BUILT_SERVICE LJMM_MAPS LJMM_RUN LIBDIR MAP32_HOLD_PIE
set -u
doc=$1 service_in=$2 timer_src=$3 built=$4 maps=$5 run=$6 libdir=$7 hold_pie=$8

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
block textfile-service >"$dir/doc.service"
block textfile-timer >"$dir/doc.timer"
[ -s "$dir/doc.service" ] || fail "$doc: no block after <!-- ljmm-test: textfile-service"
[ -s "$dir/doc.timer" ] || fail "$doc: no block after <!-- ljmm-test: textfile-timer"
sed 's|@LJMM_MAPS@|/usr/bin/ljmm-maps|g' "$service_in" >"$dir/deb.service"
diff -u "$dir/deb.service" "$dir/doc.service" || fail "$doc shows another service than $service_in installs (diff above)"
diff -u "$timer_src" "$dir/doc.timer" || fail "$doc shows another timer than $timer_src (diff above)"
echo "docs/deploy.md shows the shipped units"
service=$(cat "$built")
timer=$(cat "$timer_src")
textdir=/var/lib/prometheus/node-exporter
# The ljmm-maps the built service runs (the configured bindir's).
shipped_maps=$(sed -n "s|^ExecStart=/bin/sh -c '\([^ ]*/ljmm-maps\) .*|\1|p" "$built")
[ -n "$shipped_maps" ] || fail "$built: ExecStart= does not run an ljmm-maps by its absolute path"
printf '%s\n' "$service" | grep -F "$shipped_maps --prometheus" >/dev/null || fail "the service does not run ljmm-maps --prometheus"
printf '%s\n' "$service" | grep -F "$textdir/ljmm.prom" >/dev/null || fail "the service does not write $textdir/ljmm.prom"
printf '%s\n' "$timer" | grep '^OnUnitActiveSec=' >/dev/null || fail "the timer does not repeat"
if printf '%s\n' "$service" | grep '^\[Install\]' >/dev/null; then fail "the service has an [Install] section: the timer starts it"; fi
# Measured in a booted Debian 12 container (systemd 252): with a plain ReadWritePaths= and
# the directory missing, the unit fails with 226/NAMESPACE before its mkdir can run.
printf '%s\n' "$service" | grep -x "ReadWritePaths=-$textdir" >/dev/null ||
	fail "ReadWritePaths= must tolerate a missing $textdir (a leading -)"

tag=ljmmtf$$
# (Not made here: the service makes it.)
mkdir "$dir/units"
# subst TEXT: the units with the test's paths (a sed on lines: the unit text has no
# newline inside a value).
subst() {
	printf '%s\n' "$1" | sed -e "s|$shipped_maps|$maps|g" -e "s|$textdir|$dir/text|g" -e "s|--all nginx|--all $tag|g"
}
subst "$service" >"$dir/units/ljmm-textfile.service"
subst "$timer" >"$dir/units/ljmm-textfile.timer"
echo "--- the units under test:"
cat "$dir/units/ljmm-textfile.service" "$dir/units/ljmm-textfile.timer"

if command -v systemd-analyze >/dev/null 2>&1; then
	# The trailing colon: this directory, then systemd's own unit path.
	# (--man=no: ljmm-maps(1) of Documentation= is not installed from a build tree.)
	SYSTEMD_UNIT_PATH=$dir/units: systemd-analyze verify --man=no "$dir/units/ljmm-textfile.service" \
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

# ExecStartPre= and ExecStart= as systemd runs them: the value split like a shell's
# words (the unit uses only single quotes, which systemd reads the same way; the "+"
# prefix only lifts the sandbox), with the unit's UMask.
pre=$(sed -n 's/^ExecStartPre=+//p' "$dir/units/ljmm-textfile.service")
cmd=$(sed -n 's/^ExecStart=//p' "$dir/units/ljmm-textfile.service")
[ -n "$pre" ] || fail "no ExecStartPre=+ in the service (it makes the textfile directory)"
[ -n "$cmd" ] || fail "no ExecStart= in the service"
case $pre$cmd in *'$'* | *'%'*) fail "ExecStart= uses \$ or %, which systemd expands itself: keep the unit free of them" ;; esac
[ ! -e "$dir/text" ] || fail "$dir/text exists before the service ran"
(
	umask 022
	eval "$pre" && eval "$cmd"
) || fail "the service's commands failed"
[ "$(stat -c %a "$dir/text")" = 755 ] || fail "the directory the service made is mode $(stat -c %a "$dir/text")"
prom=$dir/text/ljmm.prom
[ -f "$prom" ] || fail "no $prom"
cat "$prom"
sh "$here/prom_check.sh" "$prom" || fail "$prom is not valid exposition format"
promtool_check "$prom"
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
echo "textfile units: ok"
