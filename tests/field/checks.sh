#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The field stage's checks: the operator's path of docs/deploy.md, run as root inside a
# booted Debian root (scripts/field.sh runs each through nsenter, in this order), with
# the distribution's nginx under its own systemd, workers as www-data, its logrotate
# and node_exporter. What the package installed is what is used: the drop-in and the
# roll-back are taken from /usr/share/doc/ljmm/deploy.md, the units from the package.
#
#   install DEB      apt-get install ./DEB (real dependency resolution, offline); the
#                    drop-in as deploy.md writes it; a test site (127.0.0.1:8081, /info
#                    and /churn: tests/nginx/churn_handler.lua); daemon-reload, restart:
#                    master and workers map the library, workers run as www-data
#   heap MIB         /churn to MIB of Lua heap answers (non-GC64 workers only); then a
#                    request past the low 2 GiB fails for memory
#   reload [MIB]     systemctl reload, then a worker killed with SIGKILL: every new
#                    worker maps the library; with MIB, /churn to MIB answers after it
#   log              the drop-in's LJMM_LOG_FILE holds the workers' lines, each with a
#                    time: after `heap`, a worker's 90 % warning and failure line; the
#                    statistics of the workers the reload replaced; nothing of the
#                    library in nginx's error.log
#   rotate [MIB]     logrotate -f with Debian's /etc/logrotate.d/nginx: no library line
#                    lost, and the lines of after it (the statistics of the workers a
#                    reload replaces; with MIB, a new worker's 90 % warning) in the new file
#   copytruncate     the same with that config's `create` turned into `copytruncate`
#   textfile         the package's ljmm-textfile.timer enabled and its service run:
#                    ljmm.prom has a row per nginx worker, node_exporter serves them
#   purge            deploy.md's roll-back, then apt-get purge ljmm: nothing of the
#                    package left (files, unit links, configuration naming the library),
#                    nginx restarts clean
#   purge-dropin DEB installed again with the drop-in, purged with it in place: postrm
#                    names the drop-in, nginx still starts (ld.so's "cannot be preloaded"
#                    line in the journal); the drop-in removed, nginx clean again
#
# Figures go to stdout as "FIGURE name=value" lines (scripts/field.sh's summary); state
# between checks in /root/ljmm-field/state.
# Usage: checks.sh CHECK [ARG]   exit 0 pass, 1 fail, 77 skip
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$HERE/../lib/common.sh"

DOC=/usr/share/doc/ljmm/deploy.md
DROPIN=/etc/systemd/system/nginx.service.d/ljmm.conf
SITE=/etc/nginx/sites-enabled/field-churn
PORT=8081
STATE=/root/ljmm-field/state
PROM=/var/lib/prometheus/node-exporter/ljmm.prom
# A library line as the library writes it: "<UTC time> [level] ljmm[PID]: message".
TIMED='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z \[[a-z]+\] ljmm\[[0-9]+\]: '
mkdir -p "$STATE"

figure() { printf 'FIGURE %s=%s\n' "$1" "$2"; }

# The drop-in as deploy.md (the installed copy) writes it, and what it names.
dropin_text() {
	doc_block "$DOC" dropin || fail "$DOC: no block after the '<!-- ljmm-test: dropin' marker"
}
dropin_var() { dropin_text | grep -o "$1=[^ ]*" | sed -n 1p | cut -d= -f2-; }
install_dropin() {
	grep -F "$DROPIN" "$DOC" >/dev/null || fail "$DOC does not name $DROPIN"
	mkdir -p "${DROPIN%/*}"
	dropin_text >"$DROPIN"
}
LIB="" LIB_REAL="" LOGF=""
doc_paths() {
	LIB=$(dropin_var LD_PRELOAD)
	LOGF=$(dropin_var LJMM_LOG_FILE)
	[ -n "$LIB" ] || fail "the drop-in sets no LD_PRELOAD"
	# Maps show the file the links lead to (libljmm_preload.so.VERSION).
	LIB_REAL=$(readlink -f "$LIB" || printf '%s' "$LIB")
}

master() { systemctl show -p MainPID --value nginx; }
workers() {
	local m
	m=$(master)
	[ -n "$m" ] && [ "$m" != 0 ] || return 0
	pgrep -P "$m" || true
}
maps_lib() { awk -v f="$LIB_REAL" '$6 == f { found = 1 } END { exit !found }' "/proc/$1/maps" 2>/dev/null; }
user_of() { ps -o user= -p "$1" | tr -d ' '; }
# How many workers nginx.conf asks for ("auto": one per CPU, as nginx counts them).
nworkers() {
	local n
	n=$(sed -n 's/^[[:space:]]*worker_processes[[:space:]]\{1,\}\([0-9a-z]*\);.*/\1/p' /etc/nginx/nginx.conf | sed -n 1p)
	if [ -z "$n" ] || [ "$n" = auto ]; then n=$(getconf _NPROCESSORS_ONLN); fi
	printf '%s\n' "$n"
}

# wait_workers N OLD...: until the master has N workers, none of them in OLD.
wait_workers() {
	local n=$1 i w cur ok
	shift
	for i in $(seq 1 300); do
		cur=$(workers)
		ok=1
		[ "$(printf '%s' "$cur" | grep -c .)" = "$n" ] || ok=0
		for w in "$@"; do
			if grep -qx "$w" <<<"$cur"; then ok=0; fi
		done
		[ "$ok" = 0 ] || return 0
		[ "$i" -lt 300 ] || break
		sleep 0.2
	done
	fail "nginx has not $n new workers after 60 s: $(tr '\n' ' ' <<<"$cur")"
}
# gone PID...: until none of them runs.
wait_gone() {
	local i p alive
	for i in $(seq 1 300); do
		alive=""
		for p in "$@"; do
			if kill -0 "$p" 2>/dev/null; then alive="$alive $p"; fi
		done
		[ -n "$alive" ] || return 0
		sleep 0.2
	done
	fail "processes still running after 60 s:$alive"
}

# Each worker: under the library, as www-data.
check_workers() {
	local w n=0
	for w in $(workers); do
		maps_lib "$w" || fail "worker $w does not map $LIB"
		[ "$(user_of "$w")" = www-data ] || fail "worker $w runs as $(user_of "$w"), not www-data"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || fail "nginx has no workers"
	echo "ok   $n workers ($(workers | tr '\n' ' ')) map $LIB and run as www-data"
}

# get PATH [MAX_TIME]: "<status> <body>".
get() {
	local out
	out=$(curl -sS --max-time "${2:-10}" -o - -w '\n%{http_code}' "http://127.0.0.1:$PORT$1" 2>&1) || true
	printf '%s %s\n' "${out##*$'\n'}" "${out%$'\n'*}"
}
heap_of() { sed -n 's/^200 OK heap_mib=\([0-9.]*\) .*/\1/p' <<<"$1"; }
# churn MIB: /churn to MIB must answer, with that heap and every object intact.
churn() {
	local t0=$SECONDS r
	r=$(get "/churn?mib=$1" 300)
	case $r in
	"200 OK heap_mib="*" bad=0") ;;
	*) fail "GET /churn?mib=$1: expected '200 OK heap_mib=... bad=0', got '$r'" ;;
	esac
	awk -v h="$(heap_of "$r")" -v w="$1" 'BEGIN { exit !(h >= w) }' || fail "the heap reached only $(heap_of "$r") MiB"
	echo "ok   GET /churn?mib=$1 -> $r ($((SECONDS - t0)) s)"
	CHURN_HEAP=$(heap_of "$r")
}

restart_nginx() {
	systemctl daemon-reload
	systemctl restart nginx || {
		journalctl -u nginx --no-pager -n 30 || true
		fail "systemctl restart nginx failed"
	}
	wait_workers "$(nworkers)"
}

# reload_nginx: systemctl reload, until the old workers are gone and new ones run;
# RELOADED holds the old ones.
reload_nginx() {
	local old
	old=$(workers)
	systemctl reload nginx || fail "systemctl reload nginx failed"
	# shellcheck disable=SC2086 # a list of pids
	wait_gone $old
	# shellcheck disable=SC2086
	wait_workers "$(nworkers)" $old
	RELOADED=$old
}

# Library lines of every file of the log (rotated and compressed ones too), sorted.
log_lines() { for f in "$LOGF" "$LOGF".*; do [ ! -f "$f" ] || zcat -f "$f"; done | grep -E 'ljmm\[[0-9]+\]: ' | sort || true; }
count() { grep -c . "$@" || true; }

site() {
	cat <<EOF
# ljmm field stage (tests/field/checks.sh)
server {
    listen 127.0.0.1:$PORT;
    server_name localhost;
    access_log off;
    location = /info {
        content_by_lua_block {
            ngx.print(jit.version, " gc64=", tostring(require("ffi").abi("gc64")))
        }
    }
    location = /churn {
        content_by_lua_block {
$(sed 's/^/            /' "$HERE/../nginx/churn_handler.lua")
        }
    }
}
EOF
}

# journal_mark: the journal's cursor now; journal_since CURSOR: what nginx's unit wrote
# after it that concerns the library (a cursor, not a time: --since has whole seconds).
journal_mark() { journalctl -n 1 -q --show-cursor -o cat 2>/dev/null | sed -n 's/^-- cursor: //p'; }
journal_since() {
	journalctl -u nginx --no-pager -q ${1:+--after-cursor="$1"} 2>/dev/null | grep -iE 'ld\.so|ljmm' || true
}

check=${1:-}
shift || true
case $check in
install)
	deb=${1:?install DEB}
	[ -f "$deb" ] || fail "no package $deb"
	(cd "${deb%/*}" && apt-get install -y "./${deb##*/}") >"$STATE/apt-install.log" 2>&1 || {
		tail -n 20 "$STATE/apt-install.log"
		fail "apt-get install ./${deb##*/} failed"
	}
	# shellcheck disable=SC2016 # a dpkg-query format
	st=$(dpkg-query -W -f='${Status} ${Version}' ljmm)
	case $st in "install ok installed "*) ;; *) fail "ljmm: dpkg status '$st'" ;; esac
	echo "ok   apt-get install ./${deb##*/}: ljmm ${st##* } ($(dpkg -L ljmm | grep -c .) paths)"
	figure ljmm_version "${st##* }"
	[ -r "$DOC" ] || fail "the package installed no $DOC"
	doc_paths
	[ -f "$LIB" ] || fail "the drop-in names $LIB, which the package did not install"
	install_dropin
	echo "ok   $DROPIN from $DOC:"
	sed 's/^/       /' "$DROPIN"
	site >"$SITE"
	restart_nginx
	systemctl is-active nginx >/dev/null || fail "nginx is not active after the restart"
	maps_lib "$(master)" || fail "the master $(master) does not map $LIB"
	systemctl show -p Environment nginx | grep -F "LD_PRELOAD=$LIB" >/dev/null ||
		fail "systemctl show -p Environment nginx lacks LD_PRELOAD=$LIB"
	echo "ok   nginx restarted: master $(master) maps $LIB, Environment as the drop-in says"
	check_workers
	info=$(get /info)
	echo "ok   GET /info -> $info"
	figure nginx "$(nginx -v 2>&1 | sed 's/^nginx version: //')"
	figure workers "$(workers | grep -c .)"
	figure luajit "${info#200 }"
	;;
heap)
	mib=${1:?heap MIB}
	doc_paths
	info=$(get /info)
	case $info in
	"200 "*"gc64=false") ;;
	*) fail "the workers' LuaJIT is not non-GC64 (GET /info -> $info): nothing to grow into" ;;
	esac
	workers >"$STATE/heap-workers"
	t0=$SECONDS
	churn "$mib"
	figure heap_mib "$CHURN_HEAP"
	figure heap_seconds "$((SECONDS - t0))"
	# Past what the low 2 GiB holds: the request must fail for memory, and the worker's
	# failure line must come (checked by `log`).
	r=$(get "/churn?mib=2200" 300)
	case $r in
	"200 "*) fail "GET /churn?mib=2200 was answered ($r): the low 2 GiB cannot hold that" ;;
	esac
	echo "ok   GET /churn?mib=2200 -> ${r:0:60}: refused, as it must be"
	# (Caught: "lua entry thread aborted: ... not enough memory", HTTP 500; or the VM
	# dies: "lua atpanic: ... not enough memory", or the worker exits on a signal.)
	sleep 0.5
	{ grep -hE 'not enough memory|atpanic|exited on signal' /var/log/nginx/error.log || true; } | tail -n 2 | sed 's/^/       error.log: /'
	workers >>"$STATE/heap-workers"
	;;
reload)
	grow=${1:-}
	doc_paths
	reload_nginx
	echo "ok   systemctl reload nginx: workers $(tr '\n' ' ' <<<"$RELOADED")replaced"
	printf '%s\n' "$RELOADED" >>"$STATE/replaced-workers"
	check_workers
	victim=$(workers | sed -n 1p)
	kill -KILL "$victim"
	wait_gone "$victim"
	wait_workers "$(nworkers)" "$victim"
	echo "ok   worker $victim killed with SIGKILL, the master started another"
	check_workers
	if [ -n "$grow" ]; then
		churn "$grow"
		figure regrow_heap_mib "$CHURN_HEAP"
	fi
	;;
log)
	doc_paths
	[ -n "$LOGF" ] || fail "the drop-in sets no LJMM_LOG_FILE"
	elsewhere=$(grep -E 'ljmm(\[[0-9]+\])?: ' /var/log/nginx/error.log || true)
	if [ ! -s "$LOGF" ]; then
		printf '%s\n' "$elsewhere" | sed -n 1,10p
		fail "$LOGF is empty or missing"
	fi
	lines=$(grep -E 'ljmm\[[0-9]+\]: ' "$LOGF" || true)
	figure log_lines "$(count <<<"$lines")"
	untimed=$(grep -vE "$TIMED" <<<"$lines" || true)
	[ -z "$untimed" ] || fail_later "$(count <<<"$untimed") of $(count <<<"$lines") library lines in $LOGF carry no time and level, e.g. '$(sed -n 1p <<<"$untimed")'"
	if [ -s "$STATE/heap-workers" ]; then
		warn="" failure=""
		for w in $(sort -u "$STATE/heap-workers"); do
			warn+=$(grep -E "\[warn\] ljmm\[$w\]: 90% of the low 2 GiB in use" <<<"$lines" || true)
			failure+=$(grep -E "ljmm\[$w\]: MAP_32BIT request of [0-9]+ bytes failed: the low 2 GiB is full" <<<"$lines" || true)
		done
		if [ -n "$warn" ]; then
			echo "ok   a worker's 90 % warning: $(sed -n 1p <<<"$warn")"
			figure log_warning "$(sed -n 1p <<<"$warn")"
		else
			fail_later "no worker's 90 % warning in $LOGF (workers $(sort -u "$STATE/heap-workers" | tr '\n' ' '))"
		fi
		if [ -n "$failure" ]; then
			echo "ok   a worker's failure line: $(sed -n 1p <<<"$failure")"
			figure log_failure "$(sed -n 1p <<<"$failure")"
		else
			fail_later "no worker's failure line in $LOGF"
		fi
	fi
	stats=0
	for w in $(sort -u "$STATE/replaced-workers" 2>/dev/null); do
		if grep -E "ljmm\[$w\]: calls: mmap=" <<<"$lines" >/dev/null; then
			stats=$((stats + 1))
		else
			fail_later "no statistics of worker $w (replaced by the reload, LJMM_STATS=on) in $LOGF"
		fi
	done
	figure log_worker_statistics "$stats"
	[ "$stats" -gt 0 ] && echo "ok   the statistics of $stats workers replaced by reloads"
	if [ -n "$elsewhere" ]; then
		fail_later "nginx's error.log holds library lines: $(sed -n 1p <<<"$elsewhere")"
	fi
	if [ "$LJMM_FAILS" -gt 0 ]; then
		echo "--- $LOGF:"
		sed -n 1,12p "$LOGF"
		echo "--- the library's lines in /var/log/nginx/error.log:"
		printf '%s\n' "$elsewhere" | sed -n 1,12p
	fi
	exit_if_failed "the log file misses the workers' lines"
	echo "ok   $(count <<<"$lines") library lines in $LOGF, every one with a time and a level"
	;;
rotate | copytruncate)
	grow=${1:-}
	doc_paths
	[ -n "$LOGF" ] || fail "the drop-in sets no LJMM_LOG_FILE"
	conf=/etc/logrotate.d/nginx
	[ -r "$conf" ] || fail "no $conf (Debian's nginx-common ships it)"
	grep -F "${LOGF%/*}/*.log" "$conf" >/dev/null || fail "$conf does not rotate ${LOGF%/*}/*.log"
	args=(-f "$conf")
	if [ "$check" = copytruncate ]; then
		# Debian's config with copytruncate for create, for this one file.
		sed -e "s|${LOGF%/*}/\*\.log|$LOGF|" -e 's/^\([[:space:]]*\)create\b.*/\1copytruncate/' "$conf" >"$STATE/copytruncate.conf"
		grep copytruncate "$STATE/copytruncate.conf" >/dev/null || fail "no create line to turn into copytruncate in $conf"
		args=(-s "$STATE/copytruncate.status" -f "$STATE/copytruncate.conf")
	fi
	log_lines >"$STATE/before"
	before=$(count "$STATE/before")
	logrotate "${args[@]}" || fail "logrotate ${args[*]} failed"
	[ -f "$LOGF.1" ] || fail "no $LOGF.1 after the rotation"
	echo "ok   logrotate ${args[*]}: $LOGF.1 holds $(count "$LOGF.1") lines, $LOGF $(count "$LOGF")"
	figure "${check}_lines_before" "$before"
	figure "${check}_lines_rotated" "$(count "$LOGF.1")"
	# Lines of after the rotation: the replaced workers' statistics, a new worker's warning.
	reload_nginx
	printf '%s\n' "$RELOADED" >>"$STATE/replaced-workers"
	new=$(workers)
	if [ -n "$grow" ]; then churn "$grow"; fi
	sleep 1
	log_lines >"$STATE/after"
	lost=$(comm -23 "$STATE/before" "$STATE/after")
	[ -z "$lost" ] || fail_later "$(count <<<"$lost") library lines lost by the rotation, e.g. '$(sed -n 1p <<<"$lost")'"
	if tr -d '\000' <"$LOGF" | cmp -s - "$LOGF"; then :; else
		fail_later "$LOGF holds NUL bytes after the rotation (written at the old offset, not appended)"
	fi
	for w in $RELOADED; do
		if ! grep -E "ljmm\[$w\]: calls: mmap=" "$LOGF" >/dev/null; then
			fail_later "the statistics of worker $w (it exited after the rotation) are not in the new $LOGF$(grep -lE "ljmm\[$w\]: calls:" "$LOGF".* 2>/dev/null | sed 's/^/, but in /' | tr '\n' ' ')"
		fi
	done
	if [ -n "$grow" ]; then
		warned=0
		for w in $new; do
			if grep -E "\[warn\] ljmm\[$w\]: 90% " "$LOGF" >/dev/null; then warned=1; fi
		done
		[ "$warned" = 1 ] || fail_later "no new worker's 90 % warning in the new $LOGF"
	fi
	figure "${check}_lines_after" "$(count "$LOGF")"
	if [ "$LJMM_FAILS" -gt 0 ]; then
		for f in "$LOGF" "$LOGF.1"; do
			echo "--- $f:"
			sed -n 1,12p "$f"
		done
	fi
	exit_if_failed "the rotation lost lines or put later ones in the old file"
	echo "ok   no line lost ($before before, $(count "$STATE/after") after); the statistics of the replaced workers${grow:+ and the 90 % warning of a new one} in the new $LOGF"
	;;
textfile)
	for u in ljmm-textfile.service ljmm-textfile.timer; do
		systemctl cat "$u" >/dev/null 2>&1 || skip "the package ships no $u (/usr/lib/systemd/system/$u)"
	done
	doc_paths
	state=$(systemctl is-enabled ljmm-textfile.timer 2>/dev/null || true)
	[ "$state" = disabled ] || fail_later "ljmm-textfile.timer is '$state' after installation, not disabled"
	systemctl enable --now ljmm-textfile.timer 2>&1 || fail "systemctl enable --now ljmm-textfile.timer failed"
	systemctl is-active ljmm-textfile.timer >/dev/null || fail "ljmm-textfile.timer is not active"
	systemctl start ljmm-textfile.service || {
		journalctl -u ljmm-textfile.service --no-pager -n 20 || true
		fail "systemctl start ljmm-textfile.service failed"
	}
	[ -s "$PROM" ] || fail "ljmm-textfile.service wrote no $PROM"
	[ ! -e "$PROM.tmp" ] || fail_later "$PROM.tmp left behind"
	echo "ok   ljmm-textfile.timer enabled and active, the service wrote $PROM ($(count "$PROM") lines)"
	rows=0
	for w in $(workers); do
		if grep -E "^ljmm_shim_loaded\{[^}]*pid=\"$w\"[^}]*\} 1\$" "$PROM" >/dev/null; then
			rows=$((rows + 1))
		else
			fail_later "no ljmm_shim_loaded row of 1 for worker $w in $PROM"
		fi
	done
	figure prom_worker_rows "$rows"
	figure prom_rows "$(grep -c '^ljmm_shim_loaded{' "$PROM" || true)"
	echo "ok   a row per worker ($rows)"
	if systemctl is-active prometheus-node-exporter >/dev/null 2>&1; then
		m=$(curl -sS --max-time 10 http://127.0.0.1:9100/metrics) || fail "node_exporter does not answer on :9100"
		grep -x 'node_textfile_scrape_error 0' <<<"$m" >/dev/null ||
			fail_later "node_exporter could not read the textfile directory: $(grep '^node_textfile_scrape_error' <<<"$m")"
		scraped=$(grep -c '^ljmm_shim_loaded{' <<<"$m" || true)
		[ "$scraped" = "$(grep -c '^ljmm_shim_loaded{' "$PROM" || true)" ] ||
			fail_later "node_exporter serves $scraped ljmm_shim_loaded rows, the file has $(grep -c '^ljmm_shim_loaded{' "$PROM")"
		figure node_exporter_ljmm_series "$(grep -c '^ljmm_' <<<"$m" || true)"
		echo "ok   node_exporter serves the file: node_textfile_scrape_error 0, $scraped ljmm_shim_loaded rows"
	fi
	exit_if_failed "the textfile collector"
	;;
purge)
	doc_paths
	rollback=$(doc_block "$DOC" rollback) || fail "$DOC: no block after the '<!-- ljmm-test: rollback' marker"
	out=$(sh -c "$rollback" 2>&1) || true
	echo "ok   the roll-back of deploy.md run; it printed: $(tr '\n' ' ' <<<"$out")"
	[ "$(printf '%s\n' "$out" | sed -n '$p')" = 0 ] || fail "after the roll-back the master still maps the library (the block printed '$out')"
	[ ! -e "$DROPIN" ] || fail "the roll-back left $DROPIN"
	for w in $(workers); do
		if maps_lib "$w"; then fail "worker $w still maps $LIB after the roll-back"; fi
	done
	apt-get purge -y ljmm >"$STATE/purge.log" 2>&1 || {
		tail -n 20 "$STATE/purge.log"
		fail "apt-get purge ljmm failed"
	}
	# "ljmm: purge: ..." says what the purge removed (the textfile timer's link, enabled by
	# the textfile check); any other "ljmm: " line is a warning, and none is due here.
	if grep '^ljmm: ' "$STATE/purge.log" | grep -v '^ljmm: purge: '; then
		fail_later "the package's scripts warned with no drop-in left"
	fi
	grep -q '^ljmm: purge: removed /etc/systemd/system/timers.target.wants/ljmm-textfile.timer' "$STATE/purge.log" ||
		fail_later "the purge did not say it removed the enabled textfile timer's link"
	if dpkg -L ljmm >/dev/null 2>&1; then fail_later "dpkg -L ljmm still lists files"; fi
	# shellcheck disable=SC2016 # a dpkg-query format
	st=$(dpkg-query -W -f='${Status}' ljmm 2>/dev/null || true)
	case $st in "" | *not-installed) ;; *) fail_later "dpkg status of ljmm after the purge: '$st'" ;; esac
	# Anything named after the package, but the operator's own log files and this
	# stage's files (the source and the .deb under /root).
	left=$(find / /run /tmp -xdev \( -path /proc -o -path /sys -o -path /root/ljmm-src -o -path /root/ljmm-field \) -prune \
		-o -iname '*ljmm*' -print 2>/dev/null | grep -vE "^${LOGF:-/nonexistent}(\.[0-9]+(\.gz)?)?\$" || true)
	[ -z "$left" ] || fail_later "left behind by the purge: $(tr '\n' ' ' <<<"$left")"
	named=$(grep -rlE 'libljmm_preload|ljmm-run|ljmm-textfile' /etc /run/systemd 2>/dev/null || true)
	[ -z "$named" ] || fail_later "configuration still naming the package: $(tr '\n' ' ' <<<"$named")"
	since=$(journal_mark)
	restart_nginx
	systemctl is-active nginx >/dev/null || fail "nginx does not restart after the purge"
	j=$(journal_since "$since")
	[ -z "$j" ] || fail_later "the journal of the restart after the purge: $j"
	if maps_lib "$(master)"; then fail_later "the master maps $LIB after the purge"; fi
	exit_if_failed "the purge left something behind"
	echo "ok   apt-get purge ljmm: dpkg knows nothing of it, no file, link or configuration left (the log ${LOGF:-none} is the operator's); nginx restarts clean"
	;;
purge-dropin)
	deb=${1:?purge-dropin DEB}
	(cd "${deb%/*}" && apt-get install -y "./${deb##*/}") >"$STATE/apt-install2.log" 2>&1 ||
		fail "apt-get install ./${deb##*/} (again) failed"
	doc_paths
	install_dropin
	restart_nginx
	maps_lib "$(master)" || fail "the master does not map $LIB with the drop-in"
	apt-get purge -y ljmm >"$STATE/purge2.log" 2>&1 || fail "apt-get purge ljmm (drop-in in place) failed"
	warning=$(grep '^ljmm: ' "$STATE/purge2.log" || true)
	grep -F "$DROPIN" <<<"$warning" >/dev/null || fail_later "postrm did not name $DROPIN: '$warning'"
	echo "ok   apt-get purge with the drop-in in place; postrm says:"
	printf '%s\n' "$warning" | sed 's/^/       /'
	figure purge_dropin_warning "$(tr '\n' ' ' <<<"$warning")"
	since=$(journal_mark)
	systemctl restart nginx || fail "nginx does not start while its drop-in names the purged library"
	wait_workers "$(nworkers)"
	j=$(journal_since "$since")
	echo "ok   nginx restarts without the library; the journal says: $(sed -n 1p <<<"$j")"
	figure purge_dropin_journal "$(sed -n 1p <<<"$j")"
	grep 'cannot be preloaded' <<<"$j" >/dev/null ||
		fail_later "no 'cannot be preloaded' line in the journal (docs/deploy.md says ld.so prints one)"
	rm -f "$DROPIN"
	rmdir --ignore-fail-on-non-empty "${DROPIN%/*}"
	since=$(journal_mark)
	restart_nginx
	j=$(journal_since "$since")
	[ -z "$j" ] || fail_later "the journal after removing the drop-in: $j"
	exit_if_failed "purge with the drop-in in place"
	echo "ok   drop-in removed: nginx restarts clean"
	;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
