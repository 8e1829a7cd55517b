#!/bin/sh
# SPDX-License-Identifier: MIT
# Exported symbols are exactly the intended ones; imports are an allow-list of calls
# that neither allocate nor take libc locks (no dlsym, malloc family, stdio). Given the
# link form (ljmm.o, issue 19) instead of the library: its global symbols, which become
# the program's, and its undefined ones, by the same lists (link_object_symbols).
set -eu
lib=$1
case $lib in
*.o) nm_scope="" ;;
*) nm_scope=-D ;;
esac
exports=$(nm $nm_scope -g --defined-only "$lib" | awk '$2 ~ /^[TWiVDBRGSCuv]$/ {print $3}' | LC_ALL=C sort | tr '\n' ' ')
want="ljmm_stats_snapshot ljmm_verify ljmm_version mmap mmap64 mremap munmap "
# The object also answers to the names -Wl,--wrap=mmap,... sends references to.
case $lib in *.o) want="__wrap_mmap __wrap_mmap64 __wrap_mremap __wrap_munmap $want" ;; esac
if [ "$exports" != "$want" ]; then
  echo "FAIL: exports are '$exports', expected '$want'"; exit 1
fi
allowed=" _GLOBAL_OFFSET_TABLE_ __errno_location __register_atfork memcpy pthread_self secure_getenv strlen pthread_atfork gnu_get_libc_version __cxa_finalize _ITM_deregisterTMCloneTable _ITM_registerTMCloneTable __gmon_start__ "
bad=""
for s in $(nm $nm_scope --undefined-only "$lib" | awk '{print $NF}' | sed 's/@.*//'); do
  case "$allowed" in *" $s "*) ;; *) bad="$bad $s";; esac
done
if [ -n "$bad" ]; then
  echo "FAIL: unexpected imports:$bad"; exit 1
fi
echo "symbols: exports [$exports] ok; imports within the allow-list"
# The layout below is the linker's work in the program the object joins.
case $lib in *.o) exit 0 ;; esac

# Memory layout: the writable state outside RELRO (.data, then .bss) must fit on one
# page, followed by .lbss: the index's 7 MiB node pool, which stays untouched (and costs
# nothing) until the region is used, and the log path's copy (touched only when
# LJMM_LOG_FILE is set). Every extra page before .lbss is resident in every process
# (shim/pool.c says why the pool has a file and a section, .lbss, of its own).
if [ "$(nm "$lib" 2>/dev/null | wc -l)" -eq 0 ]; then
  echo "layout: $lib has no symbol table (stripped); layout not checked"
  exit 0
fi
data=$(readelf -SW "$lib" | awk '$2 == ".data" {print $4}')
lbss=$(readelf -SW "$lib" | awk '$2 == ".lbss" {print $4}')
[ -n "$data" ] || { echo "FAIL: no .data section in $lib"; exit 1; }
[ -n "$lbss" ] || { echo "FAIL: no .lbss section in $lib"; exit 1; }
nm -n -S "$lib" | awk -v data="$data" -v lbss="$lbss" '
  function hex(s,  i, c, v) { v = 0; s = tolower(s)
    for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
    return v }
  BEGIN { start = hex(data); page = start - start % 4096; limit = page + 4096; cold = hex(lbss) }
  NF == 4 && $3 ~ /^[bBdD]$/ {
    a = hex($1); e = a + hex($2)
    if (a < start) next
    if (a >= cold) { if ($4 == "ljmm_pool_nodes") pool = a; big++; next }
    if ($4 == "ljmm_pool_nodes") { print "FAIL: ljmm_pool_nodes is not in .lbss"; bad = 1 }
    if (e > limit) { printf "FAIL: %s ends at 0x%x, past the first page of .data (0x%x)\n", $4, e, limit; bad = 1 }
    n++
  }
  END {
    if (!pool) { print "FAIL: ljmm_pool_nodes not found in .lbss"; exit 1 }
    if (bad) exit 1
    printf "layout: %d small objects of .data and .bss on one page, then %d in .lbss (the node pool, the log path)\n", n, big
  }'
