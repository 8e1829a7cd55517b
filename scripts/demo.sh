#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The demo: build the shim and a MAP_32BIT-only LuaJIT (OpenResty's luajit2 from
# Debian's sources, non-GC64, allocating like LuaJIT 2.0), then fill a Lua heap until
# "not enough memory" without and with the shim, and print both maxima side by side.
# Usage: scripts/demo.sh            (as root on Debian 12; installs what it needs)
#        scripts/demo.sh --report LIB LUAJIT MAP32_FILL
#                                   only the runs and the report, with these files
#                                   (what tests/docs/demo_check.sh runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# report LIB LUAJIT MAP32_FILL: run the workloads and print the tables. Each run's
# standard error, where the library writes (its LJMM_WARN lines are on by default: the
# 90 % warning and the failed request), is kept in a file of its own and shown after
# the tables, under a heading, so that it never lands between their rows.
report() {
  local lib=$1 luajit=$2 map32_fill=$3 tmp n=0 label f out mib
  tmp=$(mktemp -d)
  # (The trap runs after report returns, when $tmp is out of scope: expand it now.)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  local -a runs=()
  # run LABEL COMMAND...: run COMMAND with its standard output in $out and its standard
  # error in a file of its own, shown later under LABEL. (Never in a pipeline or a
  # $(...): those are subshells, and the list of runs would lose it.)
  run() {
    n=$((n + 1))
    printf '%s\n' "$1" >"$tmp/$n.label"
    runs+=("$tmp/$n")
    out=$tmp/$n.out
    shift
    "$@" >"$out" 2>"$tmp/$n.err" || true
  }
  # fill KIND [shim]: the Lua heap reached before "not enough memory", in MiB, in $mib.
  fill() {
    local with=without
    [ -z "${2-}" ] || with=with
    run "fill.lua $1, $with ljmm" env LD_PRELOAD="${2:+$lib}" "$luajit" "$root/tests/lua/fill.lua" "$1"
    mib=$(sed -n 's/^RESULT .*max_heap_mib=\([0-9.]*\).*/\1/p' "$out")
  }

  echo
  echo "Largest Lua heap before \"not enough memory\" (LuaJIT 2.1 non-GC64, MAP_32BIT only):"
  printf '  %-34s %14s %14s\n' "workload" "without ljmm" "with ljmm"
  local kind without
  for kind in strings tables; do
    label="1 MiB strings"
    [ "$kind" = tables ] && label="small tables"
    fill "$kind"
    without=$mib
    fill "$kind" shim
    printf '  %-34s %10s MiB %10s MiB\n' "fill.lua $kind ($label)" "$without" "$mib"
  done
  echo
  echo "Raw MAP_32BIT reach (bench/map32_fill, 1 MiB blocks):"
  run "map32_fill, without ljmm" env LD_PRELOAD= "$map32_fill"
  printf '  %-14s %s\n' "without ljmm:" "$(cat "$out")"
  run "map32_fill, with ljmm" env LD_PRELOAD="$lib" "$map32_fill"
  printf '  %-14s %s\n' "with ljmm:" "$(cat "$out")"
  echo
  echo "What these runs wrote on standard error (the library's warnings: LJMM_WARN is on by default):"
  for f in "${runs[@]}"; do
    [ -s "$f.err" ] || continue
    printf '  %s:\n' "$(cat "$f.label")"
    sed 's/^/    /' "$f.err"
  done
  echo
  echo "What the shim reported for the strings fill (LJMM_STATS=on):"
  LD_PRELOAD=$lib LJMM_STATS=on "$luajit" "$root/tests/lua/fill.lua" strings 2>&1 >/dev/null | sed 's/^/  /'
}

if [ "${1-}" = --report ]; then
  [ $# = 4 ] || { echo "usage: $0 --report LIB LUAJIT MAP32_FILL" >&2; exit 2; }
  report "$2" "$3" "$4"
  exit 0
fi

bash "$root/scripts/deps.sh"
echo "building the shim..."
# Its own build folder, so that it leaves the test build (build/) as it was.
build=$root/build-demo
cmake -S "$root" -B "$build" -DLJMM_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
echo "building LuaJIT (luajit2, non-GC64, MAP_32BIT only; cached after the first run)..."
LJMM_LUAJIT_VARIANTS=map32only bash "$root/scripts/build-luajit.sh" luajit2 >/dev/null
luajit=$(bash "$root/scripts/build-luajit.sh" --print luajit2 2>/dev/null | awk '$1 == "luajit2/map32only" { print $2 }')
report "$build/libljmm_preload.so" "$luajit" "$build/bench/map32_fill"
