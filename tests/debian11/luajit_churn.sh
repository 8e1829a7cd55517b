#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# debian11_luajit_churn: the distribution's own `luajit` (Debian 11: 2.1.0~beta3,
# non-GC64, which takes MAP_32BIT and then probes hints below 2 GiB itself) runs
# tests/lua/churn.lua around a 1.9 GiB live set, without the shim and with it.
# Without the shim its allocator gives up near 1580 MiB of Lua heap; with the shim it
# must reach MIN_MIB (default 1950) with every object read back intact. The arm without
# the shim must fall short of MIN_MIB, or the test proves nothing and fails.
#
# Usage: luajit_churn.sh SHIM REPO [LUAJIT=/usr/bin/luajit] [MIN_MIB=1950]
# Prints "debian11_luajit_churn without_mib=X with_mib=Y" (the largest Lua heap each
# way, scripts/debian11.sh reach). Exit 0 pass, 1 fail, 77 skip (no luajit).
set -euo pipefail
shim=$1 repo=$2 luajit=${3:-/usr/bin/luajit} min_mib=${4:-1950}
live_mib=1946 # churn.lua's live set: 1.9 GiB
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$repo/tests/lib/common.sh"

[ -x "$luajit" ] || skip "no $luajit (Debian: apt-get install luajit)"
[ -f "$shim" ] || fail "no shim at $shim"

gc64=$("$luajit" -e 'io.write(tostring(require("ffi").abi("gc64")))')
[ "$gc64" = false ] || fail "$luajit is GC64 (ffi.abi(\"gc64\") = $gc64): it needs no shim, nothing to test"

# run WITH(0|1) ROUNDS: sets rc, result (the RESULT line) and heap (max_heap_mib).
run() {
  local out
  out=$(mktemp)
  rc=0
  if [ "$1" = 1 ]; then
    LD_PRELOAD=$shim "$luajit" "$repo/tests/lua/churn.lua" "$live_mib" "$2" >"$out" 2>&1 || rc=$?
  else
    env -u LD_PRELOAD "$luajit" "$repo/tests/lua/churn.lua" "$live_mib" "$2" >"$out" 2>&1 || rc=$?
  fi
  result=$(grep '^RESULT' "$out" | tail -n 1 || true)
  [ -n "$result" ] || result="(no RESULT line; last output: $(tail -n 2 "$out" | tr '\n' ' '))"
  rm -f "$out"
  heap=$(sed -n 's/.* max_heap_mib=\([0-9.]*\).*/\1/p' <<<"$result")
  printf '  %-7s rc=%-3s %s\n' "$([ "$1" = 1 ] && echo shim || echo kernel)" "$rc" "$result"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

echo "$("$luajit" -v) (gc64=$gc64), churn.lua $live_mib MiB live:"
# Two rounds suffice without the shim: it runs out of memory during the first fill.
run 0 2
without_rc=$rc without=${heap:-0}
run 1 4
with=${heap:-0}
echo "debian11_luajit_churn without_mib=$without with_mib=$with"

[ "$rc" = 0 ] || fail "with the shim churn.lua ended with exit $rc (1 = out of memory, 2 = corrupted data)"
grep ' bad=0 ' <<<"$result" >/dev/null || fail "with the shim objects read back wrong: $result"
ge "$with" "$min_mib" || fail "with the shim the Lua heap reached only $with MiB (target $min_mib)"
if ge "$without" "$min_mib"; then
  fail "without the shim the Lua heap reached $without MiB too (exit $without_rc): the target shows nothing here"
fi
echo "PASS: stock luajit: $without MiB without the shim (exit $without_rc), $with MiB with it (target $min_mib)"
