#!/bin/sh
# Exported symbols are exactly the intended ones; imports are an allow-list of calls
# that neither allocate nor take libc locks (no dlsym, malloc family, stdio).
set -eu
lib=$1
exports=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWiVD]$/ {print $3}' | sort | tr '\n' ' ')
want="ljmm_stats_snapshot ljmm_verify ljmm_version mmap mmap64 mremap munmap "
if [ "$exports" != "$want" ]; then
  echo "FAIL: exports are '$exports', expected '$want'"; exit 1
fi
allowed=" __errno_location __register_atfork memcpy pthread_self secure_getenv strerrorname_np strlen __cxa_finalize _ITM_deregisterTMCloneTable _ITM_registerTMCloneTable __gmon_start__ "
bad=""
for s in $(nm -D --undefined-only "$lib" | awk '{print $NF}' | sed 's/@.*//'); do
  case "$allowed" in *" $s "*) ;; *) bad="$bad $s";; esac
done
if [ -n "$bad" ]; then
  echo "FAIL: unexpected imports:$bad"; exit 1
fi
echo "symbols: exports [$exports] ok; imports within the allow-list"
