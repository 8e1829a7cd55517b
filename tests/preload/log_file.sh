#!/bin/sh
# SPDX-License-Identifier: MIT
# LJMM_LOG_FILE receives the exit statistics (appended, not on stderr); an unopenable
# path gives one error line on stderr and the statistics go to stderr instead.
set -eu
lib=$1 prog=$2
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
LD_PRELOAD=$lib LJMM_STATS=on LJMM_LOG_FILE=$dir/log "$prog" noop 2>"$dir/err"
grep -q "calls: mmap=" "$dir/log" || { echo "FAIL: no statistics in the log file"; cat "$dir/log"; exit 1; }
if [ -s "$dir/err" ]; then echo "FAIL: stderr not empty:"; cat "$dir/err"; exit 1; fi
LD_PRELOAD=$lib LJMM_STATS=on LJMM_LOG_FILE=$dir/log "$prog" noop 2>"$dir/err"
[ "$(grep -c 'calls: mmap=' "$dir/log")" = 2 ] || { echo "FAIL: log not appended"; exit 1; }
LD_PRELOAD=$lib LJMM_STATS=on LJMM_LOG_FILE=$dir/missing/log "$prog" noop 2>"$dir/err"
grep -q "ljmm: cannot open LJMM_LOG_FILE='$dir/missing/log': ENOENT; logging to stderr" "$dir/err" || { echo "FAIL: no error line"; cat "$dir/err"; exit 1; }
grep -q "calls: mmap=" "$dir/err" || { echo "FAIL: statistics not on stderr after the open failed"; exit 1; }
echo "log file: ok"
