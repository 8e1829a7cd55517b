#!/bin/sh
# SPDX-License-Identifier: MIT
# In a secure-execution (setuid) process the shim ignores every LJMM_* variable: no
# option takes effect, no error line, no statistics, no log file created. The same
# program run without the setuid transition shows the variables are otherwise read.
# Usage: secure.sh CC LIBRARY|LJMM_O PROBE_SOURCE INCLUDE_DIR   (exit 77: skipped)
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
cc=$1 lib=$2 src=$3 inc=$4
[ "$(id -u)" = 0 ] || skip "making a setuid program needs root"
need_cmd setpriv util-linux
dir=""
make_tmpdir dir secure
chmod 755 "$dir"
case $lib in
*.o) # the link form (issue 19), linked into the probe
	"$cc" -I"$inc" -o "$dir/probe" "$src" "$lib" -pthread ;;
*)
	cp "$lib" "$dir/libljmm_preload.so.0"
	ln -s libljmm_preload.so.0 "$dir/libljmm_preload.so"
	"$cc" -I"$inc" -o "$dir/probe" "$src" -L"$dir" -lljmm_preload -Wl,-rpath,"$dir" ;;
esac
chmod 4755 "$dir/probe"
env="LJMM_GUARD_RESERVE=12Q LJMM_STATS=on LJMM_LOG_FILE=$dir/log"

# Control: not secure, so the options are read (the bad value is reported, stats go to the log).
# shellcheck disable=SC2086 # $env: three assignments, split on purpose
out=$(env $env "$dir/probe" 2>&1)
case "$out" in *"secure=0 mapped=1"*) ;; *) fail "control run: $out";; esac
case "$out" in *"LJMM_GUARD_RESERVE='12Q' is not valid"*) ;; *) fail "control run did not read the options: $out";; esac
grep -q "calls: mmap=" "$dir/log" || fail "control run wrote no statistics"
rm -f "$dir/log"

# Secure: real uid nobody, effective uid root through the setuid bit: AT_SECURE is 1.
# shellcheck disable=SC2086
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups env $env "$dir/probe" 2>&1)
case "$out" in *"secure=1 mapped=1"*) ;; *) fail "secure run: $out";; esac
case "$out" in *ljmm*) fail "the shim read its options in a setuid process: $out";; esac
if [ -e "$dir/log" ]; then fail "LJMM_LOG_FILE was created by a setuid process"; fi
echo "secure: options read normally ($out without setuid), ignored with AT_SECURE=1"
