#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The demo: build the shim and a MAP_32BIT-only LuaJIT (OpenResty's luajit2 from
# Debian's sources, non-GC64, allocating like LuaJIT 2.0), then fill a Lua heap until
# "not enough memory" without and with the shim, and print both maxima side by side.
# Usage: scripts/demo.sh            (as root on Debian 12; installs what it needs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/deps.sh"
echo "building the shim..."
# Its own build folder, so that it leaves the test build (build/) as it was.
build=$root/build-demo
cmake -S "$root" -B "$build" -DLJMM_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
echo "building LuaJIT (luajit2, non-GC64, MAP_32BIT only; cached after the first run)..."
LJMM_LUAJIT_VARIANTS=map32only bash "$root/scripts/build-luajit.sh" luajit2 >/dev/null
lib="$build/libljmm_preload.so"
luajit=$(bash "$root/scripts/build-luajit.sh" --print luajit2 2>/dev/null | awk '$1 == "luajit2/map32only" { print $2 }')

# fill KIND [shim]: the Lua heap reached before "not enough memory", in MiB.
fill() {
  local pre=${2:+$lib}
  LD_PRELOAD=$pre "$luajit" "$root/tests/lua/fill.lua" "$1" | sed -n 's/^RESULT .*max_heap_mib=\([0-9.]*\).*/\1/p'
}

echo
echo "Largest Lua heap before \"not enough memory\" (LuaJIT 2.1 non-GC64, MAP_32BIT only):"
printf '  %-34s %14s %14s\n' "workload" "without ljmm" "with ljmm"
for kind in strings tables; do
  label="1 MiB strings"
  [ "$kind" = tables ] && label="small tables"
  printf '  %-34s %10s MiB %10s MiB\n' "fill.lua $kind ($label)" "$(fill "$kind")" "$(fill "$kind" shim)"
done
echo
echo "Raw MAP_32BIT reach (bench/map32_fill, 1 MiB blocks):"
printf '  %-14s %s\n' "without ljmm:" "$("$build/bench/map32_fill")"
printf '  %-14s %s\n' "with ljmm:" "$(LD_PRELOAD=$lib "$build/bench/map32_fill")"
echo
echo "What the shim reported for the strings fill (LJMM_STATS=on):"
LD_PRELOAD=$lib LJMM_STATS=on "$luajit" "$root/tests/lua/fill.lua" strings 2>&1 >/dev/null | sed 's/^/  /'
