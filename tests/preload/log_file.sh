#!/bin/sh
# SPDX-License-Identifier: MIT
# LJMM_LOG_FILE receives the exit statistics (appended, not on stderr); an unopenable
# path gives one error line on stderr and the statistics go to stderr instead.
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
lib=$1 prog=$2
dir=""
make_tmpdir dir log-file
LD_PRELOAD=$lib LJMM_STATS=on LJMM_LOG_FILE=$dir/log "$prog" noop 2>"$dir/err"
grep -q "calls: mmap=" "$dir/log" || { cat "$dir/log"; fail "no statistics in the log file (above)"; }
if [ -s "$dir/err" ]; then cat "$dir/err"; fail "stderr not empty (above)"; fi
LD_PRELOAD=$lib LJMM_STATS=on LJMM_LOG_FILE=$dir/log "$prog" noop 2>"$dir/err"
[ "$(grep -c 'calls: mmap=' "$dir/log")" = 2 ] || fail "log not appended"
LD_PRELOAD=$lib LJMM_STATS=on LJMM_LOG_FILE=$dir/missing/log "$prog" noop 2>"$dir/err"
grep -q "Z \[error\] ljmm\[[0-9]*\]: cannot open LJMM_LOG_FILE='$dir/missing/log': ENOENT; logging to stderr" "$dir/err" || { cat "$dir/err"; fail "no error line (stderr above)"; }
grep -q "calls: mmap=" "$dir/err" || fail "statistics not on stderr after the open failed"
echo "log file: ok"
