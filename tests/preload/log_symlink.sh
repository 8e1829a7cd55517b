#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 17: LJMM_LOG_FILE in a directory another user can write. While a root process
# runs, that user renames the log away (as a rotation would) and puts a symlink to a file
# of root's in its place; the process's next lines (its exit statistics) must not be
# appended to root's file: log.c reopens the path with O_NOFOLLOW (docs/design.md, "The
# log"), says once in the rotated file that it cannot, and writes on there. Root only
# (skipped otherwise).
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
lib=$1 prog=$2
[ "$(id -u)" = 0 ] || skip "needs root (a root process, a directory another user writes)"
need_cmd setpriv
dir=""
make_tmpdir dir log-symlink
chmod 755 "$dir"
mkdir "$dir/logs"
chown nobody "$dir/logs"
printf 'root data\n' >"$dir/victim"
chmod 644 "$dir/victim"
LD_PRELOAD=$lib LJMM_STATS=on LJMM_LOG_FILE=$dir/logs/ljmm.log "$prog" waitfile "$dir/logs/go" 2>"$dir/err" &
pid=$!
# The process has started and made its call; the user swaps the log for a symlink.
i=0
while [ ! -e "$dir/logs/ljmm.log" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
# shellcheck disable=SC2016 # expanded by the inner shell, as nobody
setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c \
	'mv "$1/ljmm.log" "$1/ljmm.log.1" 2>/dev/null; ln -s "$2" "$1/ljmm.log" && touch "$1/go"' sh "$dir/logs" "$dir/victim"
wait "$pid" || fail "the program failed (status $?)"
if [ "$(cat "$dir/victim")" != "root data" ]; then
	cat "$dir/victim"
	fail "the log's lines were appended to root's file through another user's symlink (above)"
fi
grep -q "calls: mmap=" "$dir/logs/ljmm.log.1" || fail "the statistics are not in the rotated file"
grep -q "cannot reopen LJMM_LOG_FILE='$dir/logs/ljmm.log': ELOOP after a rotation" "$dir/logs/ljmm.log.1" ||
	fail "no line saying the swapped path was not followed"
echo "log symlink: root's file untouched"
