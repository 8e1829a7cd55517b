#!/bin/sh
# SPDX-License-Identifier: MIT
# LJMM_LOG_FILE under nginx's process model: a master that starts as root (the library
# opens the file then, creating it root 0600) and a worker that drops privileges to
# www-data, rotated by logrotate in its three ways:
#   create 0640 www-data adm  (Debian's /etc/logrotate.d/nginx): the worker's lines
#                 before the rotation are in the rotated file, the next one in the new
#                 file, none lost, none twice;
#   copytruncate  the next line is at the start of the emptied file (no hole before it);
#   create 0600 root root  a file the worker may not open: one line saying so, in the
#                 file it holds, and its lines go on there; the master (root) writes its
#                 statistics into the new file.
# Every line carries the time and a level. Skipped (77) when not root or without
# logrotate or the user www-data.
# Usage: log_rotation.sh LIBRARY LOGWORKER
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
lib=$1 prog=$2
[ "$(id -u)" = 0 ] || skip "needs root (a master that drops privileges)"
need_cmd logrotate logrotate
id www-data >/dev/null 2>&1 || skip "no user www-data"
dir=""
make_tmpdir dir log-rotation
chmod 755 "$dir"
log=$dir/ljmm.log

# rotate HOW: logrotate with a configuration of that kind, forced.
rotate() {
	printf '%s {\n\trotate 5\n\tmissingok\n\tnocompress\n\t%s\n}\n' "$log" "$1" >"$dir/logrotate.conf"
	logrotate -f -s "$dir/logrotate.state" "$dir/logrotate.conf" || fail "logrotate ($1) failed"
}

mkfifo "$dir/in" "$dir/out"
LD_PRELOAD=$lib LJMM_LOG_FILE=$log LJMM_DEBUG=on LJMM_STATS=on LJMM_POLICY=region-first \
	"$prog" www-data <"$dir/in" >"$dir/out" 2>"$dir/err" &
worker_pid=$!
exec 3>"$dir/in" 4<"$dir/out"
mapped=""
# map: one block, and its address (the worker's "region: served addr=" line names it).
map() {
	echo map >&3
	read -r word addr <&4 || fail "the worker did not answer (stderr: $(cat "$dir/err"))"
	[ "$word" = mapped ] || fail "worker: $word $addr"
	mapped="$mapped ${addr#0x}"
	served=$(printf '%s' "${addr#0x}" | sed 's/^0*//')
}
# in FILE: the served line of the last block is in FILE, and in no other file.
in_file() {
	n=$(cat "$dir"/ljmm.log* | grep -c "region: served addr=0x$served " || true)
	[ "$n" = 1 ] || fail "the line of block 0x$served is in the logs $n times"
	grep -q "region: served addr=0x$served " "$1" || {
		tail -n 3 "$dir"/ljmm.log*
		fail "the line of block 0x$served is not in ${1##*/}"
	}
}

map
[ "$(stat -c '%U %a' "$log")" = "root 600" ] || fail "the master did not create $log root 0600: $(stat -c '%U %a' "$log")"
in_file "$log"
echo "ok   the worker (www-data) writes into the master's root-owned 0600 file"

rotate "create 0640 www-data adm"
map
in_file "$log"
before=$(wc -l <"$log.1")
echo "ok   create: lines before in ljmm.log.1 ($before), the next in the new ljmm.log"

rotate copytruncate
map
in_file "$log"
[ "$(wc -l <"$log")" = 1 ] || fail "after copytruncate the file holds $(wc -l <"$log") lines, expected 1"
[ "$(head -c 1 "$log" | od -An -c | tr -d ' ')" != '\0' ] || fail "a hole of NULs before the line after copytruncate"
echo "ok   copytruncate: the next line at the start of the emptied file"

rotate "create 0600 root root"
map
in_file "$log.1"
grep -q "\[error\] ljmm\[[0-9]*\]: cannot reopen LJMM_LOG_FILE='$log': EACCES after a rotation; writing on to the rotated file" "$log.1" ||
	fail "no 'cannot reopen' line in ljmm.log.1"
map
in_file "$log.1"
[ "$(grep -c 'cannot reopen' "$log.1")" = 1 ] || fail "the 'cannot reopen' line is not there once"
echo "ok   a new file the worker may not open: one line says so, the lines go on in the rotated file"

echo exit >&3
wait "$worker_pid" || fail "the worker failed (stderr: $(cat "$dir/err"))"
exec 3>&- 4<&-
[ ! -s "$dir/err" ] || fail "stderr: $(cat "$dir/err")"
# The master, root, follows the path to the new file for its statistics.
grep -q '\] ljmm\[[0-9]*\]: calls: mmap=' "$log" || fail "no master statistics in the new ljmm.log"
[ "$(cat "$dir"/ljmm.log* | grep -c 'calls: mmap=')" = 2 ] || fail "expected the statistics of master and worker"
# Every line, in every file: time, level, PID.
bad=$(cat "$dir"/ljmm.log* | grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z \[(error|warn|notice|debug)\] ljmm\[[0-9]+\]: ' || true)
[ "$bad" = 0 ] || fail "$bad lines without the time, level and PID"
for a in $mapped; do
	a=$(printf '%s' "$a" | sed 's/^0*//')
	[ "$(cat "$dir"/ljmm.log* | grep -c "region: served addr=0x$a ")" = 1 ] || fail "block 0x$a: its line is lost or doubled"
done
lines=$(cat "$dir"/ljmm.log* | wc -l)
set -- "$dir"/ljmm.log*
echo "log rotation: ok ($lines lines in $# files, none lost)"
