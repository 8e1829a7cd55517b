#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# LuaJIT (non-GC64) under the shim under valgrind memcheck, with the region path
# exercised. Exit 0 pass, 1 fail, 77 skipped (valgrind or the LuaJIT builds absent).
#   valgrind_luajit.sh SHIM REPO PROBE
# valgrind runs the program itself (LD_PRELOAD set around valgrind reaches the client;
# "valgrind env LD_PRELOAD=... luajit" would check only env, whose child valgrind does
# not follow). Each run must end with 0 errors and no definite or indirect leak:
#   1. jit.lua (no fill), default policy: the shim as a pass-through, traces compiled;
#   2. fill.lua tables 200 with LJMM_POLICY=region-first: every block from the region
#      (placement with MAP_FIXED_NOREPLACE, the index, the /proc/self/maps rebuild);
#   3. badinput_probe (C: 1 MiB MAP_32BIT blocks until ENOMEM), default kernel-first
#      policy: the fallback after ENOMEM, then ljmm_verify() == 0.
# What differs under valgrind: the client's mmap goes through valgrind's address-space
# manager, which serves MAP_32BIT itself from the whole low 2 GiB, not only the kernel's
# [1G, 2G) window: run 3 gets ~1.9 GiB "from the kernel" and the region serves only the
# rest (~70 MiB), and a LuaJIT kernel-first fill reaches the region only after ~1.9 GiB
# of live Lua objects (minutes under memcheck), hence region-first in run 2. Valgrind
# also places the client's brk segment itself, with a mapping right after it, so the
# brk guard of a non-PIE program ends "occupied" (state 4) instead of "placed" (2):
# guard placement (preload_guard_*) cannot be tested under valgrind.
set -uo pipefail
shim=$1 repo=$2 probe=$3
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$repo/tests/lib/common.sh"
need_cmd valgrind valgrind
bin=
for k in luajit2/map32only luajit/map32only luajit2/nogc64 luajit/nogc64; do
  bin=$("$repo/scripts/build-luajit.sh" --print 2>/dev/null | awk -v k="$k" '$1 == k { print $2 }')
  [ -n "$bin" ] && [ -x "$bin" ] && { echo "LuaJIT: $k ($bin)"; break; }
  bin=
done
[ -n "$bin" ] || skip "no non-GC64 LuaJIT built (run scripts/build-luajit.sh)"
lua=$repo/tests/lua
tmp=""
make_tmpdir tmp valgrind
log=$tmp/valgrind.log

# vg NAME EXPECT_REGEX [VAR=VALUE...] -- PROGRAM ARGS...
vg() {
  local name=$1 expect=$2 envs=() rc=0 errs stats result
  shift 2
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env LD_PRELOAD="$shim" LJMM_STATS=on "${envs[@]}" valgrind --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect "$@" >"$log" 2>&1 || rc=$?
  errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
  stats=$(grep -o 'region-served=[0-9]*' "$log" | tail -n 1)
  result=$(grep -E '^(RESULT|guard_start)' "$log" | tail -n 1)
  echo "$name: exit $rc, valgrind errors ${errs:-?}, ${stats:-no statistics}; $result"
  if [ "$rc" != 0 ] || [ "${errs:-x}" != 0 ] || ! grep -Eq "$expect" "$log"; then
    fail_later "$name (expected /$expect/); log:"
    sed 's/^/  | /' "$log" | tail -n 60
  fi
}

vg jit_passthrough 'RESULT ok=1 .*traces=[1-9]' -- "$bin" "$lua/jit.lua"
vg fill_region_first 'region-served=[1-9][0-9]{2}' LJMM_POLICY=region-first -- "$bin" "$lua/fill.lua" tables 200
grep -q 'RESULT kind=tables .*capped=1' "$log" || fail_later "fill_region_first did not reach its 200 MiB cap"
vg probe_kernel_first 'region_used=1 .*verify=0' -- "$probe"
exit_if_failed "valgrind: $LJMM_FAILS problem(s)"
