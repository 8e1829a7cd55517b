#!/bin/sh
# SPDX-License-Identifier: MIT
# In a secure-execution (setuid) process the shim ignores every LJMM_* variable: no
# option takes effect, no error line, no statistics, no log file created. The same
# program run without the setuid transition shows the variables are otherwise read.
# Usage: secure.sh CC LIBRARY PROBE_SOURCE INCLUDE_DIR   (exit 77: skipped)
set -eu
cc=$1 lib=$2 src=$3 inc=$4
if [ "$(id -u)" != 0 ]; then echo "SKIP: making a setuid program needs root"; exit 77; fi
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) not found"; exit 77; }
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
cp "$lib" "$dir/libljmm_preload.so.0"
ln -s libljmm_preload.so.0 "$dir/libljmm_preload.so"
"$cc" -I"$inc" -o "$dir/probe" "$src" -L"$dir" -lljmm_preload -Wl,-rpath,"$dir"
chmod 4755 "$dir/probe"
env="LJMM_GUARD_RESERVE=12Q LJMM_STATS=on LJMM_LOG_FILE=$dir/log"

# Control: not secure, so the options are read (the bad value is reported, stats go to the log).
out=$(env $env "$dir/probe" 2>&1)
case "$out" in *"secure=0 mapped=1"*) ;; *) echo "FAIL: control run: $out"; exit 1;; esac
case "$out" in *"LJMM_GUARD_RESERVE='12Q' is not valid"*) ;; *) echo "FAIL: control run did not read the options: $out"; exit 1;; esac
grep -q "calls: mmap=" "$dir/log" || { echo "FAIL: control run wrote no statistics"; exit 1; }
rm -f "$dir/log"

# Secure: real uid nobody, effective uid root through the setuid bit: AT_SECURE is 1.
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups env $env "$dir/probe" 2>&1)
case "$out" in *"secure=1 mapped=1"*) ;; *) echo "FAIL: secure run: $out"; exit 1;; esac
case "$out" in *ljmm*) echo "FAIL: the shim read its options in a setuid process: $out"; exit 1;; esac
if [ -e "$dir/log" ]; then echo "FAIL: LJMM_LOG_FILE was created by a setuid process"; exit 1; fi
echo "secure: options read normally ($out without setuid), ignored with AT_SECURE=1"
