#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench.sh - run every ljmm benchmark, without and with the shim side by side, and
# write bench/results/latest.md (machine, kernel, glibc, one table) and
# bench/results/latest.png (gnuplot), plus the raw numbers in latest.log.
#
# Usage: scripts/bench.sh            (as root on Debian 12: installs what it needs)
#
# What it runs (details in bench/README.md):
#   1. pass-through: mmap+munmap of 4 KiB / 1 MiB / MAP_32BIT blocks the kernel serves
#   2. region-served MAP_32BIT vs the kernel's window, 10 .. 100,000 free extents
#   3. the naive /proc/self/maps-scanning fallback vs the shim
#   4. LuaJIT non-GC64 (luajit2 map32only and nogc64): reach, 1.8 GiB fill, churn
#   5. nginx + Lua under wrk load
#   6. start-up time (true, nginx -t) and RSS of a small process
# Every comparison alternates the two sides (A B, then B A) over several rounds and
# reports medians; a ratio is the median of the per-round ratios with/without.
# Targets are reported, never enforced: the exit status is 0 unless a benchmark
# program crashed or could not run.
#
# Environment:
#   LJMM_BENCH_QUICK=1   few rounds, short runs (to try the script; numbers are rough)
#   LJMM_BENCH_ONLY="1 2"  run only these sections (1 pass-through, 2 region + naive,
#                        4 LuaJIT, 5 nginx, 6 start-up/RSS; 6 times nginx -t only with 5)
#   LJMM_BENCH_BUILD     build directory (default build-bench/)
# Root only: vm.max_map_count is raised to 262144 for the run (100,000 holes need
# 100,000 mappings) and restored on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${LJMM_BENCH_BUILD:-$ROOT/build-bench}
OUT=$ROOT/bench/results
BIN=$BUILD/bench
SHIM=$BUILD/libljmm_preload.so
QUICK=${LJMM_BENCH_QUICK:-0}
ONLY=${LJMM_BENCH_ONLY:-1 2 4 5 6}
T0=$SECONDS

if [ "$QUICK" = 1 ]; then
  PT_ROUNDS=3 RG_ROUNDS=2 LEVEL_MS=60 LUA_ROUNDS=1 NGX_ROUNDS=2 NGX_SECS=2
  START_ITERS=31 NGXT_ITERS=9 RSS_RUNS=9
else
  PT_ROUNDS=401 RG_ROUNDS=9 LEVEL_MS=100 LUA_ROUNDS=3 NGX_ROUNDS=11 NGX_SECS=3
  START_ITERS=201 NGXT_ITERS=31 RSS_RUNS=101
fi
PT_PAIRS=1000 PT_BATCHES=10     # per pass-through process: 10 batches of 1000 pairs
REGION_KIB=64                   # the measured MAP_32BIT request
LEVELS=(10 100 1000 10000 100000)
NAIVE_MAX=10000                 # the naive fallback costs ~1 ms a call at 10,000
CHURN_ROUNDS=2                  # churn.lua rounds after its initial fill
WRK_CONNS=16
# With two or more CPUs, nginx (both instances: only one is loaded at a time) runs on
# CPU 0 and wrk on CPU 1, so that the scheduler does not move them onto one core at
# random; unpinned, single rounds on this 2-core machine spread from 0.67 to 1.33.
NGX_PIN=() WRK_PIN=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  NGX_PIN=(taskset -c 0) WRK_PIN=(taskset -c 1)
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ljmm-bench.XXXXXX")
LOG=$TMP/raw.log
ERRORS=0
ORIG_MAP_COUNT=""
NGX_STARTED=()                  # prefixes of the nginx instances this script started

log() { printf '[bench %3ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
raw() { printf '%s\n' "$*" >>"$LOG"; }
err() { ERRORS=$((ERRORS + 1)); log "ERROR: $*"; raw "ERROR: $*"; }

cleanup() {
  local p
  for p in "${NGX_STARTED[@]}"; do ngx_stop "$p"; done
  if [ -n "$ORIG_MAP_COUNT" ]; then
    sysctl -qw vm.max_map_count="$ORIG_MAP_COUNT" || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- numbers -------------------------------------------------------------------------

# median: of the numbers on stdin (one per line; blank lines ignored), "" if none.
median() {
  sort -g | awk 'NF { v[++n] = $1 } END { if (n) printf "%.6g\n", n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'
}
# div A B [FORMAT]: A / B, "" if either is missing or B is 0.
div() {
  awk -v a="$1" -v b="$2" -v f="${3:-%.3f}" 'BEGIN { if (a != "" && b != "" && b + 0 != 0) printf f "\n", a / b }'
}
# fmt N [FORMAT]: N formatted, "n/a" if empty.
fmt() { if [ -n "$1" ]; then awk -v a="$1" -v f="${2:-%.0f}" 'BEGIN { printf f "\n", a }'; else echo "n/a"; fi; }
# kv KEY LINE: the value of KEY=value in LINE.
# (No "| head" anywhere: with pipefail, a writer killed by SIGPIPE would end the script.)
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | sed -n 1p; }
# cmp_ok VALUE OP LIMIT: yes/no (no when VALUE is empty).
cmp_ok() {
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v == "") { print "no"; exit }
    ok = (op == "<=") ? v + 0 <= l + 0 : (op == ">=") ? v + 0 >= l + 0 : (op == "<") ? v + 0 < l + 0 : v + 0 > l + 0
    print ok ? "yes" : "no" }'
}

ROWS=()       # "benchmark|without|with|ratio|target|met"
CHART=()      # "label ratio target" for the bar chart
row() { ROWS+=("$1|$2|$3|$4|$5|$6"); }
chart() { CHART+=("$1 $2 $3"); }

# --- setup ---------------------------------------------------------------------------

install_deps() {
  local p missing=()
  if [ "$(id -u)" = 0 ]; then
    bash "$ROOT/scripts/deps.sh" build clients >&2 || log "scripts/deps.sh failed: going on with what is installed"
  fi
  for p in gnuplot-nox wrk; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ]; then
      log "apt-get install ${missing[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 </dev/null ||
        { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 </dev/null; } ||
        log "could not install ${missing[*]}: the chart or the nginx benchmark may be missing"
    else
      log "missing packages (run as root to install): ${missing[*]}"
    fi
  fi
}

build() {
  log "building the shim and the benchmark programs in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DLJMM_BUILD_TESTS=OFF >"$TMP/cmake.log" 2>&1 ||
    { cat "$TMP/cmake.log" >&2; exit 1; }
  cmake --build "$BUILD" --target bench_programs -j2 >>"$TMP/cmake.log" 2>&1 ||
    { tail -n 40 "$TMP/cmake.log" >&2; exit 1; }
}

LJ_MAP32ONLY="" LJ_NOGC64=""
find_luajit() {
  local list
  list=$("$ROOT/scripts/build-luajit.sh" --print luajit2 2>/dev/null || true)
  LJ_MAP32ONLY=$(awk '$1 == "luajit2/map32only" { print $2 }' <<<"$list")
  LJ_NOGC64=$(awk '$1 == "luajit2/nogc64" { print $2 }' <<<"$list")
}

build_luajit() {
  find_luajit
  if [ -z "$LJ_MAP32ONLY" ] || [ -z "$LJ_NOGC64" ]; then
    log "building luajit2 nogc64 and map32only (scripts/build-luajit.sh, ~1 min)"
    LJMM_LUAJIT_VARIANTS="nogc64 map32only" "$ROOT/scripts/build-luajit.sh" luajit2 >/dev/null ||
      err "scripts/build-luajit.sh failed"
    find_luajit
  fi
}

# Levels the kernel's map count allows: n holes need about n + 100 mappings.
setup_map_count() {
  local cur want=262144 keep=() n
  cur=$(sysctl -n vm.max_map_count)
  if [ "$cur" -lt "$want" ] && [ "$(id -u)" = 0 ] && sysctl -qw vm.max_map_count="$want" 2>/dev/null; then
    ORIG_MAP_COUNT=$cur
    log "vm.max_map_count raised from $cur to $want for this run"
    cur=$want
  fi
  for n in "${LEVELS[@]}"; do
    if [ $((n + 1000)) -le "$cur" ]; then keep+=("$n"); else log "skipping $n extents: vm.max_map_count is $cur"; fi
  done
  LEVELS=("${keep[@]}")
}

machine_info() {
  local cpu mem glibc
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | sed 's/^glibc //') ($(ldd --version 2>/dev/null | sed -n '1s/^ldd (\(.*\)) .*/\1/p'))"
  printf -- '- Machine: %s, %s cores (nproc), %s RAM\n' "${cpu:-unknown CPU}" "$(nproc)" "$mem"
  printf -- '- Kernel: %s\n' "$(uname -r)"
  printf -- '- glibc: %s\n' "${glibc:-unknown}"
  printf -- '- Load average at start: %s (other work on the machine adds noise)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf -- '- Shim: %s (CMake default build type, RelWithDebInfo), tree at %s%s\n' \
    "${SHIM#"$ROOT"/}" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "$(git -C "$ROOT" diff --quiet HEAD -- shim include 2>/dev/null || echo ' + local changes in shim/')"
}

# with_shim CMD...: run CMD under the shim; without_shim CMD...: without any preload.
section() { [[ " $ONLY " == *" $1 "* ]]; }

with_shim() { env LD_PRELOAD="${PRELOAD_LIB:-$SHIM}" "$@"; }
without_shim() { env -u LD_PRELOAD "$@"; }

# --- 1. pass-through -----------------------------------------------------------------

bench_passthru() {
  local mode label target r a b out_a out_b
  log "1. pass-through: $PT_ROUNDS rounds x 5 modes, each $PT_BATCHES x $PT_PAIRS pairs per process"
  for mode in anon4k anon1m map32 map32empty map32live; do
    : >"$TMP/pt_a" && : >"$TMP/pt_b" && : >"$TMP/pt_r"
    # map32empty: the map32 calls again, with an empty library preloaded as the "with" side.
    local PRELOAD_LIB="" prog_mode=$mode
    if [ "$mode" = map32empty ]; then PRELOAD_LIB=$BUILD/bench/libbench_empty_preload.so prog_mode=map32; fi
    for ((r = 1; r <= PT_ROUNDS; r++)); do
      if ((r % 2)); then
        out_a=$(without_shim "$BIN/bench_passthru" "$prog_mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$LOG") || { err "bench_passthru $mode (without) failed"; continue; }
        out_b=$(with_shim "$BIN/bench_passthru" "$prog_mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$LOG") || { err "bench_passthru $mode (with) failed"; continue; }
      else
        out_b=$(with_shim "$BIN/bench_passthru" "$prog_mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$LOG") || { err "bench_passthru $mode (with) failed"; continue; }
        out_a=$(without_shim "$BIN/bench_passthru" "$prog_mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$LOG") || { err "bench_passthru $mode (without) failed"; continue; }
      fi
      raw "passthru $mode round=$r without: $out_a"
      raw "passthru $mode round=$r with:    $out_b"
      a=$(kv ns_per_pair "$out_a") b=$(kv ns_per_pair "$out_b")
      echo "$a" >>"$TMP/pt_a"; echo "$b" >>"$TMP/pt_b"; div "$b" "$a" %.4f >>"$TMP/pt_r"
    done
    a=$(median <"$TMP/pt_a") b=$(median <"$TMP/pt_b") r=$(median <"$TMP/pt_r")
    case $mode in
      anon4k) label="1 Pass-through: mmap+munmap 4 KiB, ns/pair" target="<= 1.02" ;;
      anon1m) label="1 Pass-through: mmap+munmap 1 MiB, ns/pair" target="<= 1.02" ;;
      map32) label="1 Pass-through: MAP_32BIT 64 KiB, kernel-served (window not full), ns/pair" target="<= 1.02" ;;
      map32empty) label="1 (control) the same MAP_32BIT calls with an empty library preloaded instead of the shim, ns/pair" target="" ;;
      map32live) label="1 (info) MAP_32BIT 64 KiB kernel-served after one fallback (index live), ns/pair" target="" ;;
    esac
    if [ -n "$target" ]; then
      row "$label" "$(fmt "$a")" "$(fmt "$b")" "$(fmt "$r" %.3f)" "ratio $target" "$(cmp_ok "$r" "${target% *}" "${target#* }")"
      chart "pass-${mode}" "$r" "${target#* }"
    else
      row "$label" "$(fmt "$a")" "$(fmt "$b")" "$(fmt "$r" %.3f)" "— (info)" "—"
    fi
  done
}

# --- 2 + 3. region vs kernel vs naive --------------------------------------------------

bench_region() {
  local levels naive_levels=() n r order mode out line a b c
  levels=$(IFS=,; echo "${LEVELS[*]}")
  for n in "${LEVELS[@]}"; do [ "$n" -le "$NAIVE_MAX" ] && naive_levels+=("$n"); done
  log "2+3. region vs kernel vs naive: $RG_ROUNDS rounds, ${REGION_KIB} KiB pairs, extents $levels"
  for ((r = 1; r <= RG_ROUNDS; r++)); do
    case $((r % 3)) in
      1) order="kernel region naive" ;;
      2) order="region naive kernel" ;;
      *) order="naive kernel region" ;;
    esac
    for mode in $order; do
      case $mode in
        kernel) out=$(without_shim "$BIN/bench_region" kernel "$REGION_KIB" "$levels" "$LEVEL_MS" 2>>"$LOG") ;;
        region) out=$(with_shim "$BIN/bench_region" region "$REGION_KIB" "$levels" "$LEVEL_MS" 2>>"$LOG") ;;
        naive) out=$(without_shim "$BIN/bench_region" naive "$REGION_KIB" "$(IFS=,; echo "${naive_levels[*]}")" "$LEVEL_MS" 2>>"$LOG") ;;
      esac || err "bench_region $mode failed (round $r; see the log)"
      while read -r line; do
        [ -n "$line" ] || continue
        raw "region round=$r $line"
        n=$(kv n "$line")
        kv ns_per_pair "$line" >"$TMP/rg_${mode}_${n}_r$r"
        [ "$mode" = region ] && kv maps "$line" >"$TMP/rg_maps_$n"
      done <<<"$out"
    done
    # The index alone (shim/region.c in-process), for attributing the region's cost.
    out=$("$BIN/region_micro" "$REGION_KIB" "$levels" "$LEVEL_MS" 2>>"$LOG") || err "region_micro failed"
    while read -r line; do
      [ -n "$line" ] || continue
      raw "region round=$r index-only $line"
      kv index_ns "$line" >"$TMP/rg_index_$(kv n "$line")_r$r"
    done <<<"$out"
    for n in "${LEVELS[@]}"; do
      a=$(cat "$TMP/rg_kernel_${n}_r$r" 2>/dev/null || true)
      b=$(cat "$TMP/rg_region_${n}_r$r" 2>/dev/null || true)
      c=$(cat "$TMP/rg_naive_${n}_r$r" 2>/dev/null || true)
      div "$b" "$a" %.4f >>"$TMP/rg_ratio_$n"
      div "$c" "$b" %.2f >>"$TMP/rg_speedup_$n"
    done
  done
  # Medians per level; the sweep table and the chart data.
  local -A K=() R=() N=() Q=() S=() I=()
  : >"$TMP/sweep.dat"
  SWEEP=()
  for n in "${LEVELS[@]}"; do
    K[$n]=$({ cat "$TMP"/rg_kernel_"${n}"_r* 2>/dev/null || true; } | median)
    R[$n]=$({ cat "$TMP"/rg_region_"${n}"_r* 2>/dev/null || true; } | median)
    N[$n]=$({ cat "$TMP"/rg_naive_"${n}"_r* 2>/dev/null || true; } | median)
    I[$n]=$({ cat "$TMP"/rg_index_"${n}"_r* 2>/dev/null || true; } | median)
    Q[$n]=$(median <"$TMP/rg_ratio_$n")
    S[$n]=$(median <"$TMP/rg_speedup_$n")
    printf '%s %s %s %s %s\n' "$n" "${K[$n]:-NaN}" "${R[$n]:-NaN}" "${N[$n]:-NaN}" "${I[$n]:-NaN}" >>"$TMP/sweep.dat"
    SWEEP+=("| $n | $(cat "$TMP/rg_maps_$n" 2>/dev/null || echo '?') | $(fmt "${K[$n]}") | $(fmt "${R[$n]}") | $(fmt "${I[$n]}") | $(fmt "${N[$n]}") | $(fmt "${Q[$n]}" %.3f) | $(fmt "${S[$n]}" %.0f) |")
  done
  local first last growth lo hi
  for n in 10 10000; do
    lo=1.2; [ "$n" = 10000 ] && lo=1.5
    row "2 Region-served 64 KiB MAP_32BIT vs kernel window, $n free extents, ns/pair" "$(fmt "${K[$n]:-}")" "$(fmt "${R[$n]:-}")" \
      "$(fmt "${Q[$n]:-}" %.3f)" "ratio <= $lo" "$(cmp_ok "${Q[$n]:-}" "<=" "$lo")"
    chart "region-$n" "${Q[$n]:-}" "$lo"
  done
  first=${LEVELS[0]} last=${LEVELS[${#LEVELS[@]} - 1]}
  lo=${R[$first]:-} hi=${R[$last]:-}
  growth=$(div "$hi" "$lo" %.3f)
  row "2 Region cost growth, $first -> $last free extents (ns at $last / at $first; linear would be ~$((last / first))x)" \
    "—" "$(fmt "$lo") -> $(fmt "$hi")" "$(fmt "$growth" %.3f)" "<= 2 (log/flat)" "$(cmp_ok "$growth" "<=" 2)"
  for n in 100 1000 10000; do
    [ "$n" -le "$NAIVE_MAX" ] || continue
    row "3 Naive /proc/self/maps fallback vs shim, $n mappings, ns/pair (speed-up $(fmt "${S[$n]:-}" %.0f)x)" \
      "$(fmt "${N[$n]:-}") (naive)" "$(fmt "${R[$n]:-}")" "$(fmt "$(div 1 "${S[$n]:-}" %.5f)" %.5f)" "shim faster (< 1)" \
      "$(cmp_ok "$(div 1 "${S[$n]:-}" %.5f)" "<" 1)"
  done
}

# --- 4. LuaJIT -----------------------------------------------------------------------

# child_cpu: user + system seconds of every child this shell has waited for (bash's
# "times", second line), to time a single-threaded workload by CPU as well as by clock.
# The builtin must run in this shell (a pipeline or $(...) would fork a fresh process
# with no children): it writes to a file, awk reads it. Sets CHILD_CPU.
CHILD_CPU=0
child_cpu() {
  times >"$TMP/times"
  CHILD_CPU=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] }; printf "%.3f\n", t }' "$TMP/times")
}

# lua_run OUTVAR LUAJIT SHIM(yes/no) SCRIPT ARGS...: runs the workload, sets OUTVAR to
# "rc=<rc> secs=<wall> cpu=<user+sys> <RESULT line>".
lua_run() {
  local var=$1 lj=$2 shim=$3 t0 t1 c0 c1 out rc=0
  shift 3
  child_cpu
  c0=$CHILD_CPU
  t0=$EPOCHREALTIME
  if [ "$shim" = yes ]; then
    out=$(with_shim "$lj" "$@" 2>>"$LOG") || rc=$?
  else
    out=$(without_shim "$lj" "$@" 2>>"$LOG") || rc=$?
  fi
  t1=$EPOCHREALTIME
  child_cpu
  c1=$CHILD_CPU
  out=$(grep '^RESULT' <<<"$out" | tail -n 1 || true)
  printf -v "$var" 'rc=%s secs=%s cpu=%s %s' "$rc" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" \
    "$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')" "$out"
  raw "lua $(basename "$(dirname "$(dirname "$lj")")") shim=$shim $* -> ${!var}"
  if [ "$rc" -gt 3 ] || [ -z "$out" ]; then
    err "luajit $* (shim=$shim) crashed or printed no RESULT (rc=$rc)"
  fi
}

bench_lua() {
  local lj name a b r v k s
  if [ -z "$LJ_MAP32ONLY" ] || [ -z "$LJ_NOGC64" ]; then
    err "luajit2 map32only/nogc64 builds missing: LuaJIT benchmarks skipped"
    return
  fi
  local fill=$ROOT/tests/lua/fill.lua churn=$ROOT/tests/lua/churn.lua
  log "4. LuaJIT reach: fill.lua strings until 'not enough memory' (map32only, nogc64; without, with)"
  for name in map32only nogc64; do
    lj=$LJ_MAP32ONLY; [ "$name" = nogc64 ] && lj=$LJ_NOGC64
    lua_run a "$lj" no "$fill" strings
    lua_run b "$lj" yes "$fill" strings
    local ma mb
    ma=$(kv max_heap_mib "$a") mb=$(kv max_heap_mib "$b")
    if [ "$name" = map32only ]; then
      row "4 LuaJIT luajit2/map32only reach: max Lua heap (fill.lua strings), MiB" "$(fmt "$ma")" "$(fmt "$mb")" "$(fmt "$(div "$mb" "$ma")" %.2f)" "with >= 1800 MiB" "$(cmp_ok "$mb" ">=" 1800)"
    else
      row "4 LuaJIT luajit2/nogc64 reach (own probing vs shim), MiB" "$(fmt "$ma")" "$(fmt "$mb")" "$(fmt "$(div "$mb" "$ma")" %.3f)" "ratio >= 1.00" "$(cmp_ok "$(div "$mb" "$ma")" ">=" 1.0)"
    fi
  done

  log "4. LuaJIT: time to fill 1800 MiB ($LUA_ROUNDS rounds) and churn ($CHURN_ROUNDS churn rounds)"
  : >"$TMP/f_nw" && : >"$TMP/f_ws" && : >"$TMP/f_r" && : >"$TMP/f_m"
  : >"$TMP/f_cnw" && : >"$TMP/f_cws" && : >"$TMP/f_cr" && : >"$TMP/f_mc"
  local m32_no_fill=""
  for ((k = 1; k <= LUA_ROUNDS; k++)); do
    if ((k % 2)); then
      lua_run a "$LJ_NOGC64" no "$fill" strings 1800
      lua_run b "$LJ_NOGC64" yes "$fill" strings 1800
    else
      lua_run b "$LJ_NOGC64" yes "$fill" strings 1800
      lua_run a "$LJ_NOGC64" no "$fill" strings 1800
    fi
    [ "$(kv capped "$a")" = 1 ] && kv secs "$a" >>"$TMP/f_nw" && kv cpu "$a" >>"$TMP/f_cnw"
    [ "$(kv capped "$b")" = 1 ] && kv secs "$b" >>"$TMP/f_ws" && kv cpu "$b" >>"$TMP/f_cws"
    if [ "$(kv capped "$a")" = 1 ] && [ "$(kv capped "$b")" = 1 ]; then
      div "$(kv secs "$b")" "$(kv secs "$a")" %.4f >>"$TMP/f_r"
      div "$(kv cpu "$b")" "$(kv cpu "$a")" %.4f >>"$TMP/f_cr"
    fi
    lua_run v "$LJ_MAP32ONLY" yes "$fill" strings 1800
    [ "$(kv capped "$v")" = 1 ] && kv secs "$v" >>"$TMP/f_m" && kv cpu "$v" >>"$TMP/f_mc"
  done
  lua_run v "$LJ_MAP32ONLY" no "$fill" strings 1800
  m32_no_fill=$v
  a=$(median <"$TMP/f_m")
  if [ "$(kv capped "$m32_no_fill")" = 1 ]; then s="$(fmt "$(kv secs "$m32_no_fill")" %.2f) s"; else s="OOM at $(fmt "$(kv max_heap_mib "$m32_no_fill")") MiB"; fi
  row "4 LuaJIT map32only: time to fill 1800 MiB (fill.lua strings 1800), wall s (CPU s)" "$s" "$(fmt "$a" %.2f) ($(fmt "$(median <"$TMP/f_mc")" %.2f))" "n/a" "with shim completes" "$([ -n "$a" ] && echo yes || echo no)"
  a=$(median <"$TMP/f_nw") b=$(median <"$TMP/f_ws") r=$(median <"$TMP/f_r")
  row "4 LuaJIT nogc64: time to fill 1800 MiB, own probing vs shim, wall s" "$(fmt "$a" %.2f)" "$(fmt "$b" %.2f)" "$(fmt "$r" %.3f)" "ratio <= 1.05" "$(cmp_ok "$r" "<=" 1.05)"
  chart "lua-fill1800" "$r" 1.05
  a=$(median <"$TMP/f_cnw") b=$(median <"$TMP/f_cws") r=$(median <"$TMP/f_cr")
  row "4 LuaJIT nogc64: the same fill, CPU s (user+sys)" "$(fmt "$a" %.2f)" "$(fmt "$b" %.2f)" "$(fmt "$r" %.3f)" "ratio <= 1.05" "$(cmp_ok "$r" "<=" 1.05)"

  # Churn near 1600 MiB: both builds, both ways (without the shim a build may run
  # out of memory: then only the shim's figure is given). Then map32only at 800 MiB,
  # where both sides fit in the kernel's window, for a like-for-like ratio.
  local target lbl
  for spec in "nogc64 1600" "map32only 1600" "map32only 800"; do
    name=${spec% *} target=${spec#* }
    lj=$LJ_MAP32ONLY; [ "$name" = nogc64 ] && lj=$LJ_NOGC64
    : >"$TMP/c_a" && : >"$TMP/c_b" && : >"$TMP/c_r" && : >"$TMP/cc_a" && : >"$TMP/cc_b" && : >"$TMP/cc_r"
    local oom_a="" oom_b=""
    # Big sets take ~10 s a run: at most 2 rounds (and one without the shim when it
    # runs out of memory); the small set runs ~2 s, and single runs vary by +-10 % on a
    # shared machine: five times as many rounds as the fills (15), an odd number.
    local maxk=$((LUA_ROUNDS * 5 | 1))
    [ "$target" = 1600 ] && maxk=$((LUA_ROUNDS < 2 ? LUA_ROUNDS : 2))
    for ((k = 1; k <= maxk; k++)); do
      if ((k % 2)); then
        [ -n "$oom_a" ] || lua_run a "$lj" no "$churn" "$target" "$CHURN_ROUNDS"
        lua_run b "$lj" yes "$churn" "$target" "$CHURN_ROUNDS"
      else
        lua_run b "$lj" yes "$churn" "$target" "$CHURN_ROUNDS"
        [ -n "$oom_a" ] || lua_run a "$lj" no "$churn" "$target" "$CHURN_ROUNDS"
      fi
      local ops_a="" ops_b=""
      if [ "$(kv oom "$a")" = 1 ]; then oom_a="OOM after $(kv ops "$a") ops"; fi
      if [ "$(kv oom "$b")" = 1 ]; then oom_b="OOM after $(kv ops "$b") ops"; fi
      [ "$(kv rc "$a")" = 0 ] && ops_a=$(div "$(kv ops "$a")" "$(kv secs "$a")" %.1f) && echo "$ops_a" >>"$TMP/c_a"
      [ "$(kv rc "$b")" = 0 ] && ops_b=$(div "$(kv ops "$b")" "$(kv secs "$b")" %.1f) && echo "$ops_b" >>"$TMP/c_b"
      [ -n "$ops_a" ] && [ -n "$ops_b" ] && div "$ops_b" "$ops_a" %.4f >>"$TMP/c_r"
      local cpu_a="" cpu_b=""
      [ -n "$ops_a" ] && cpu_a=$(div "$(kv ops "$a")" "$(kv cpu "$a")" %.1f) && echo "$cpu_a" >>"$TMP/cc_a"
      [ -n "$ops_b" ] && cpu_b=$(div "$(kv ops "$b")" "$(kv cpu "$b")" %.1f) && echo "$cpu_b" >>"$TMP/cc_b"
      [ -n "$cpu_a" ] && [ -n "$cpu_b" ] && div "$cpu_b" "$cpu_a" %.4f >>"$TMP/cc_r"
    done
    a=$(median <"$TMP/c_a") b=$(median <"$TMP/c_b") r=$(median <"$TMP/c_r")
    lbl="4 LuaJIT $name churn.lua $target MiB live, $CHURN_ROUNDS rounds: ops/s wall (incl. initial fill)"
    if [ -n "$r" ]; then
      row "$lbl" "$(fmt "$a")" "$(fmt "$b")" "$(fmt "$r" %.3f)" "ratio >= 0.98" "$(cmp_ok "$r" ">=" 0.98)"
      chart "churn-${name}-${target}" "$r" 0.98
      a=$(median <"$TMP/cc_a") b=$(median <"$TMP/cc_b") r=$(median <"$TMP/cc_r")
      row "4 LuaJIT $name churn $target MiB: the same, ops per CPU s (user+sys)" "$(fmt "$a")" "$(fmt "$b")" "$(fmt "$r" %.3f)" "ratio >= 0.98" "$(cmp_ok "$r" ">=" 0.98)"
    else
      [ -z "$b" ] || b="$(fmt "$b") ($(fmt "$(median <"$TMP/cc_b")") per CPU s)"
      row "$lbl" "${oom_a:-$(fmt "$a")}" "${oom_b:-$b}" "n/a" "with shim completes" "$([ -n "$b" ] && echo yes || echo no)"
    fi
  done
}

# --- 5. nginx + Lua --------------------------------------------------------------------

NGX_BIN="" NGX_LOAD="" LJ_LIBDIR=""

# The module file for a load_module line (as tests/nginx/lib.sh finds it).
ngx_module() {
  local name=$1 f path
  if [ -f "/usr/lib/nginx/modules/$name.so" ]; then echo "/usr/lib/nginx/modules/$name.so"; return 0; fi
  for f in /usr/share/nginx/modules-available/*.conf; do
    [ -r "$f" ] || continue
    path=$(sed -n "s|^[[:space:]]*load_module[[:space:]]\\{1,\\}\\([^;]*/$name\\.so\\);.*|\\1|p" "$f" | sed -n 1p)
    [ -n "$path" ] || continue
    case $path in /*) ;; *) path=/usr/share/nginx/$path ;; esac
    [ -f "$path" ] && { echo "$path"; return 0; }
  done
  return 1
}

ngx_prereqs() {
  local lua ndk
  NGX_BIN=$(command -v nginx 2>/dev/null || true)
  [ -n "$NGX_BIN" ] || { [ -x /usr/sbin/nginx ] && NGX_BIN=/usr/sbin/nginx; } || return 1
  command -v wrk >/dev/null 2>&1 || return 1
  lua=$(ngx_module ngx_http_lua_module) || return 1
  NGX_LOAD=""
  if ndk=$(ngx_module ndk_http_module); then NGX_LOAD="load_module $ndk;"$'\n'; fi
  NGX_LOAD+="load_module $lua;"
  # The workers run OpenResty's LuaJIT built non-GC64 and MAP_32BIT-only, as the
  # deployments this shim is for do (Debian's own libluajit is GC64).
  LJ_LIBDIR=$(cd "$(dirname "$LJ_MAP32ONLY")/../lib" 2>/dev/null && pwd -P) || LJ_LIBDIR=""
  [ -n "$LJ_LIBDIR" ] && [ -e "$LJ_LIBDIR/libluajit-5.1.so.2" ]
}

# ngx_conf PREFIX PORT: one worker, a Lua handler that allocates a little per request.
ngx_conf() {
  local p=$1 port=$2
  cat >"$p/nginx.conf" <<EOF
# generated by scripts/bench.sh (ljmm)
$NGX_LOAD
worker_processes 1;
master_process on;
daemon on;
error_log $p/error.log warn;
pid $p/nginx.pid;
lock_file $p/nginx.lock;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 1000000;
  client_body_temp_path $p/tmp/body;
  proxy_temp_path $p/tmp/proxy;
  fastcgi_temp_path $p/tmp/fastcgi;
  uwsgi_temp_path $p/tmp/uwsgi;
  scgi_temp_path $p/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    location = /info {
      content_by_lua_block { ngx.print(jit.version, " gc64=", tostring(require("ffi").abi("gc64"))) }
    }
    location = /lua {
      content_by_lua_block {
        local t = {}
        for i = 1, 64 do t[i] = string.rep("x", 16) .. i end
        local s = table.concat(t, ",")
        ngx.print(#s, " ", ngx.var.uri, " ", s:sub(1, 32))
      }
    }
  }
}
EOF
}

# ngx_start PREFIX VAR=value...: start nginx on a free loopback port; prints the port.
ngx_start() {
  local p=$1 try port out
  shift
  mkdir -p "$p/tmp"
  chmod 755 "$p"
  for try in $(seq 1 30); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    ngx_conf "$p" "$port"
    if out=$(env "$@" "${NGX_PIN[@]}" "$NGX_BIN" -p "$p" -c "$p/nginx.conf" -e "$p/error.log" 2>&1); then
      echo "$port"
      return 0
    fi
    if grep -q "Address already in use" <<<"$out" "$p/error.log" 2>/dev/null; then
      : >"$p/error.log"
      continue
    fi
    log "nginx did not start (try $try): $out"
    return 1
  done
  return 1
}

# ngx_stop PREFIX: stop the master this script started there and wait for its workers.
ngx_stop() {
  local p=$1 m ws i
  [ -s "$p/nginx.pid" ] || return 0
  m=$(<"$p/nginx.pid")
  ws=$(pgrep -P "$m" 2>/dev/null || true)
  kill -TERM "$m" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$m" 2>/dev/null || break
    sleep 0.1
  done
  # shellcheck disable=SC2086  # the worker pid list is split on purpose
  [ -z "$ws" ] || kill -KILL $ws 2>/dev/null || true
  kill -KILL "$m" 2>/dev/null || true
  rm -f "$p/nginx.pid"
}

# ngx_worker_ticks PREFIX: utime + stime (clock ticks) of the workers of that instance.
ngx_worker_ticks() {
  local w t=0 st
  for w in $(pgrep -P "$(<"$1/nginx.pid")" 2>/dev/null); do
    st=$(cat "/proc/$w/stat" 2>/dev/null) || continue
    st=${st##*) }
    t=$((t + $(awk '{ print $12 + $13 }' <<<"$st")))
  done
  echo "$t"
}

# wrk_run PORT SECS PREFIX: "rps p99_ms worker_cpu_us_per_request"
wrk_run() {
  local out rps p99 t0 t1 n
  t0=$(ngx_worker_ticks "$3")
  out=$("${WRK_PIN[@]}" wrk -t1 -c"$WRK_CONNS" -d"$2"s --latency "http://127.0.0.1:$1/lua" 2>&1) || return 1
  t1=$(ngx_worker_ticks "$3")
  raw "wrk port=$1: $(tr '\n' ' ' <<<"$out" | tr -s ' ')"
  grep -q "Non-2xx\|Socket errors" <<<"$out" && log "wrk reported errors: $(grep -E 'Non-2xx|Socket errors' <<<"$out")"
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  p99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
          f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.4f", v * f }' <<<"$out")
  echo "$rps $p99 $(div "$(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) ))" "$n" %.3f)"
}

bench_nginx() {
  local pa pb pc porta portb portc r x y z w info xa ya za
  if [ -z "$LJ_MAP32ONLY" ] || ! ngx_prereqs; then
    err "nginx, wrk, the Lua module or luajit2/map32only missing: nginx benchmark skipped"
    return
  fi
  # A third instance, the control, preloads an empty library instead of the shim: how
  # far apart two setups that do the same work per request measure here.
  pa=$TMP/nginx-without pb=$TMP/nginx-with pc=$TMP/nginx-control
  mkdir -p "$pa" "$pb" "$pc"
  # ngx_start runs in a subshell: note the prefixes here, for the EXIT trap.
  NGX_STARTED+=("$pa" "$pb" "$pc")
  porta=$(ngx_start "$pa" "LD_LIBRARY_PATH=$LJ_LIBDIR") || { err "nginx (without shim) did not start"; return; }
  portb=$(ngx_start "$pb" "LD_LIBRARY_PATH=$LJ_LIBDIR" "LD_PRELOAD=$SHIM") || { err "nginx (with shim) did not start"; return; }
  portc=$(ngx_start "$pc" "LD_LIBRARY_PATH=$LJ_LIBDIR" "LD_PRELOAD=$BUILD/bench/libbench_empty_preload.so") ||
    { err "nginx (control) did not start"; return; }
  sleep 0.5
  for x in "$porta:$pa" "$portb:$pb" "$portc:$pc"; do
    info=$(curl -sS --max-time 5 "http://127.0.0.1:${x%%:*}/info" 2>&1 || true)
    raw "nginx ${x#*:}: /info -> $info"
    [ "$info" = "LuaJIT 2.1.0-beta3 gc64=false" ] || log "warning: nginx on ${x%%:*} runs '$info', not the non-GC64 luajit2"
  done
  for w in $(pgrep -P "$(<"$pb/nginx.pid")"); do
    grep -q libljmm_preload "/proc/$w/maps" || err "the shim is not mapped in nginx worker $w"
  done
  log "5. nginx + Lua: wrk -t1 -c$WRK_CONNS, $NGX_ROUNDS rounds x ${NGX_SECS}s each way${NGX_PIN[*]:+, nginx on CPU 0 and wrk on CPU 1}"
  wrk_run "$porta" 1 "$pa" >/dev/null || true
  wrk_run "$portb" 1 "$pb" >/dev/null || true
  wrk_run "$portc" 1 "$pc" >/dev/null || true
  local f
  for f in n_a n_b n_r n_la n_lb n_lr n_ca n_cb n_cr n_xr; do : >"$TMP/$f"; done
  for ((r = 1; r <= NGX_ROUNDS; r++)); do
    # The three in turn, each round starting one further along.
    case $((r % 3)) in
      1) x=$(wrk_run "$porta" "$NGX_SECS" "$pa") && y=$(wrk_run "$portb" "$NGX_SECS" "$pb") &&
         z=$(wrk_run "$portc" "$NGX_SECS" "$pc") || { err "wrk failed"; continue; } ;;
      2) y=$(wrk_run "$portb" "$NGX_SECS" "$pb") && z=$(wrk_run "$portc" "$NGX_SECS" "$pc") &&
         x=$(wrk_run "$porta" "$NGX_SECS" "$pa") || { err "wrk failed"; continue; } ;;
      0) z=$(wrk_run "$portc" "$NGX_SECS" "$pc") && x=$(wrk_run "$porta" "$NGX_SECS" "$pa") &&
         y=$(wrk_run "$portb" "$NGX_SECS" "$pb") || { err "wrk failed"; continue; } ;;
    esac
    raw "nginx round=$r without: $x with: $y control: $z (rps p99_ms worker_cpu_us_per_req)"
    read -r -a xa <<<"$x"
    read -r -a ya <<<"$y"
    read -r -a za <<<"$z"
    div "${za[0]}" "${xa[0]}" %.4f >>"$TMP/n_xr"
    echo "${xa[0]}" >>"$TMP/n_a"; echo "${ya[0]}" >>"$TMP/n_b"; div "${ya[0]}" "${xa[0]}" %.4f >>"$TMP/n_r"
    echo "${xa[1]}" >>"$TMP/n_la"; echo "${ya[1]}" >>"$TMP/n_lb"; div "${ya[1]}" "${xa[1]}" %.4f >>"$TMP/n_lr"
    echo "${xa[2]:-}" >>"$TMP/n_ca"; echo "${ya[2]:-}" >>"$TMP/n_cb"; div "${ya[2]:-}" "${xa[2]:-}" %.4f >>"$TMP/n_cr"
  done
  grep -E 'exited on signal|\[(alert|emerg)\]' "$pa/error.log" "$pb/error.log" "$pc/error.log" >&2 &&
    err "an nginx worker crashed or raised an alert"
  NGXT_PREFIX=$pa
  r=$(median <"$TMP/n_r")
  row "5 nginx + Lua (luajit2 map32only), wrk -c$WRK_CONNS: requests/s" "$(fmt "$(median <"$TMP/n_a")")" "$(fmt "$(median <"$TMP/n_b")")" "$(fmt "$r" %.3f)" "ratio >= 0.98" "$(cmp_ok "$r" ">=" 0.98)"
  chart "nginx-rps" "$r" 0.98
  row "5 (control) nginx + Lua with an empty library preloaded instead of the shim: requests/s ratio to without" "" "" "$(fmt "$(median <"$TMP/n_xr")" %.3f)" "— (info)" "—"
  r=$(median <"$TMP/n_lr")
  row "5 nginx + Lua: p99 latency, ms" "$(fmt "$(median <"$TMP/n_la")" %.3f)" "$(fmt "$(median <"$TMP/n_lb")" %.3f)" "$(fmt "$r" %.3f)" "— (info)" "—"
  r=$(median <"$TMP/n_cr")
  row "5 nginx + Lua: worker CPU time per request (user+sys), µs" "$(fmt "$(median <"$TMP/n_ca")" %.2f)" "$(fmt "$(median <"$TMP/n_cb")" %.2f)" "$(fmt "$r" %.3f)" "— (info)" "—"
}

# --- 6. start-up and memory -------------------------------------------------------------

NGXT_PREFIX=""
bench_startup() {
  local out a b d
  log "6. start-up: true x $START_ITERS, nginx -t x $NGXT_ITERS (alternating); RSS x $RSS_RUNS"
  if out=$("$BIN/spawn_bench" "$START_ITERS" "$SHIM" true 2>>"$LOG"); then
    raw "startup true: $out"
    a=$(kv without_us "$out") b=$(kv with_us "$out") d=$(kv extra_us "$out")
    row "6 Start-up of true, µs (extra = median paired difference: $(fmt "$d" %.0f) µs)" "$(fmt "$a")" "$(fmt "$b")" "$(fmt "$(div "$b" "$a")" %.3f)" "extra <= 1000 µs" "$(cmp_ok "$d" "<=" 1000)"
  else
    err "spawn_bench true failed"
  fi
  if [ -n "$NGXT_PREFIX" ] && [ -f "$NGXT_PREFIX/nginx.conf" ]; then
    if out=$(env LD_LIBRARY_PATH="$LJ_LIBDIR" "$BIN/spawn_bench" "$NGXT_ITERS" "$SHIM" "$NGX_BIN" -t -q \
               -p "$NGXT_PREFIX" -c "$NGXT_PREFIX/nginx.conf" -e "$NGXT_PREFIX/error-t.log" 2>>"$LOG"); then
      raw "startup nginx -t: $out"
      a=$(kv without_us "$out") b=$(kv with_us "$out") d=$(kv extra_us "$out")
      row "6 Start-up of nginx -t (Lua module, generated config), µs (extra $(fmt "$d" %.0f) µs)" "$(fmt "$a")" "$(fmt "$b")" "$(fmt "$(div "$b" "$a")" %.3f)" "extra <= 1000 µs" "$(cmp_ok "$d" "<=" 1000)"
    else
      err "spawn_bench nginx -t failed"
    fi
  fi
  : >"$TMP/m_a" && : >"$TMP/m_b" && : >"$TMP/m_d" && : >"$TMP/m_s" && : >"$TMP/m_an"
  local i x y
  for ((i = 1; i <= RSS_RUNS; i++)); do
    if ((i % 2)); then
      x=$(without_shim "$BIN/rss_probe") y=$(with_shim "$BIN/rss_probe")
    else
      y=$(with_shim "$BIN/rss_probe") x=$(without_shim "$BIN/rss_probe")
    fi || { err "rss_probe failed"; continue; }
    raw "rss without: $x with: $y"
    kv vmrss_kib "$x" >>"$TMP/m_a"; kv vmrss_kib "$y" >>"$TMP/m_b"
    echo $(($(kv vmrss_kib "$y") - $(kv vmrss_kib "$x"))) >>"$TMP/m_d"
    echo $(($(kv anon_kib "$y") - $(kv anon_kib "$x"))) >>"$TMP/m_an"
    kv shim_kib "$y" >>"$TMP/m_s"
  done
  a=$(median <"$TMP/m_a") b=$(median <"$TMP/m_b") d=$(median <"$TMP/m_d")
  row "6 RSS of a small process (VmRSS), KiB (extra $(fmt "$d") KiB: anon $(fmt "$(median <"$TMP/m_an")"), shim's own mappings $(fmt "$(median <"$TMP/m_s")"))" \
    "$(fmt "$a")" "$(fmt "$b")" "$(fmt "$(div "$b" "$a")" %.3f)" "extra <= 64 KiB" "$(cmp_ok "$d" "<=" 64)"
  # The same without address-space randomisation: one layout, so file pages mapped by
  # fault-around no longer vary from run to run.
  if command -v setarch >/dev/null 2>&1; then
    x=$(without_shim setarch -R "$BIN/rss_probe") y=$(with_shim setarch -R "$BIN/rss_probe") || true
    raw "rss (setarch -R) without: $x with: $y"
    if [ -n "$x" ] && [ -n "$y" ]; then
      d=$(($(kv vmrss_kib "$y") - $(kv vmrss_kib "$x")))
      row "6 RSS of a small process, ASLR off (one layout), KiB (extra $d KiB)" "$(kv vmrss_kib "$x")" "$(kv vmrss_kib "$y")" \
        "$(fmt "$(div "$(kv vmrss_kib "$y")" "$(kv vmrss_kib "$x")")" %.3f)" "extra <= 64 KiB" "$(cmp_ok "$d" "<=" 64)"
    fi
  fi
}

# --- report ----------------------------------------------------------------------------

write_chart() {
  local png=$1 c
  : >"$TMP/ratios.dat"
  local label ratio target
  for c in "${CHART[@]}"; do
    read -r label ratio target <<<"$c"
    [ -n "$target" ] && printf '"%s" %s %s\n' "$label" "$ratio" "$target" >>"$TMP/ratios.dat"
  done
  command -v gnuplot >/dev/null 2>&1 || { log "gnuplot missing: no chart"; return 0; }
  local left right empty='set xrange [0:1]; set yrange [0:1]; unset logscale; set label 1 "not run" at 0.45,0.5; plot 2 notitle; unset label 1'
  left=$empty right=$empty
  if [ -s "$TMP/sweep.dat" ]; then
    left='plot "'$TMP'/sweep.dat" using 1:2 with linespoints lw 2 pt 7 title "kernel, window has room (no shim)", \
     "" using 1:3 with linespoints lw 2 pt 5 title "shim, region-served", \
     "" using 1:4 with linespoints lw 2 pt 9 title "naive: rescan /proc/self/maps per call", \
     "" using 1:5 with linespoints lw 1 dt 2 pt 6 title "shim index alone (find + mark used + mark free)"'
  fi
  if [ -s "$TMP/ratios.dat" ]; then
    right='plot "'$TMP'/ratios.dat" using 0:2:xtic(1) with boxes title "ratio", \
     "" using 0:3 with points pt 2 ps 2 lw 2 title "target", \
     1 with lines dt 2 lc rgb "gray" notitle'
  fi
  gnuplot >>"$LOG" 2>&1 <<EOF || err "gnuplot failed"
set terminal pngcairo size 1400,560 font "DejaVu Sans,10"
set output "$png"
set termoption noenhanced
set multiplot layout 1,2 title "ljmm benchmarks ($(date -u +%Y-%m-%d), $(uname -r))"
set title "MAP_32BIT mmap+munmap of ${REGION_KIB} KiB vs free extents in the low 2 GiB (CPU ns)"
set logscale xy
set xlabel "free extents (1-page holes) below 1 GiB"
set ylabel "ns per mmap+munmap pair (median)"
set grid
set key top left
$left
unset logscale
set xrange [*:*]
set yrange [0:*]
set title "with shim / without (median of per-round ratios); x = target"
set ylabel "ratio"
set xlabel ""
set style fill solid 0.5
set boxwidth 0.6
set xtics rotate by -35 left
set key top right
$right
unset multiplot
EOF
}

write_report() {
  local md=$OUT/latest.md r elapsed=$((SECONDS - T0))
  mkdir -p "$OUT"
  write_chart "$OUT/latest.png"
  {
    echo "# ljmm benchmarks — latest run"
    echo
    echo "Generated by \`scripts/bench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')$([ "$QUICK" = 1 ] && echo ' (QUICK mode: rough numbers)')."
    echo
    machine_info
    printf -- '- Total run time: %d min %02d s\n' $((elapsed / 60)) $((elapsed % 60))
    echo
    echo "| benchmark | without shim | with shim | ratio | target | met |"
    echo "|---|---:|---:|---:|---|---|"
    for r in "${ROWS[@]}"; do
      IFS='|' read -r -a f <<<"$r"
      printf '| %s | %s | %s | %s | %s | %s |\n' "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}"
    done
    echo
    echo "Ratio = with / without, the median of the per-round ratios (each round runs both sides back to back,"
    echo "alternating which goes first); the figures are the medians of each side. Sections 1-3 report the"
    echo "thread's CPU time (user + system) per pair; LuaJIT and nginx figures are wall clock, with CPU-time"
    echo "rows next to them because other load on the machine makes wall-clock ratios noisy. Rounds: pass-through $PT_ROUNDS"
    echo "(each process: median of $PT_BATCHES batches of $PT_PAIRS pairs), region $RG_ROUNDS, LuaJIT fill $LUA_ROUNDS,"
    echo "nginx $NGX_ROUNDS x ${NGX_SECS} s each way (three instances in turn: without, with, and a control with an empty library preloaded${NGX_PIN[*]:+; nginx on CPU 0, wrk on CPU 1}), start-up $START_ITERS / $NGXT_ITERS paired runs, RSS $RSS_RUNS paired runs."
    echo
    echo "## Cost per MAP_32BIT mmap+munmap (${REGION_KIB} KiB) vs free extents"
    echo
    echo "| free extents | maps lines (shim run) | kernel, window has room, ns | shim region-served, ns | of which index alone, ns | naive rescan, ns | region / kernel | naive / region |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${SWEEP[@]}"
    echo
    echo "How: every mode makes the same holes (one page mapped, one free, N times, from the bottom of the"
    echo "low region), too small for the request, so every search has to get past them; everything the set-up"
    echo "maps is PROT_NONE, so the measured block is never merged with a neighbour (one VMA inserted and removed"
    echo "per pair in every mode). *kernel*: no shim, the kernel's MAP_32BIT window has room and serves the"
    echo "request. *region*: the window filled first, then every request served by the shim from below 1 GiB"
    echo "(kernel skipped after its ENOMEM). *naive*: no shim, window full; our re-implementation of the published workaround"
    echo "(fopen + fgets over /proc/self/maps on every call, first fit in [low, 1 GiB), MAP_FIXED_NOREPLACE)."
    echo "*index alone*: the same find + mark-used + mark-free sequence on shim/region.c compiled into a test"
    echo "program, without system calls (bench/region_micro.c). Times are the thread's CPU time (user + system)"
    echo "per pair, median over batches of at least 1 ms, so waiting for a CPU behind other load is not counted."
    echo
    echo "![chart](latest.png)"
    if [ "$ERRORS" -gt 0 ]; then
      echo
      echo "**$ERRORS error(s) during the run** — see latest.log."
    fi
  } >"$md"
  cp "$LOG" "$OUT/latest.log"
  log "wrote $md, $OUT/latest.png and $OUT/latest.log ($((elapsed / 60)) min $((elapsed % 60)) s)"
}

main() {
  : >"$LOG"
  install_deps
  build
  build_luajit
  setup_map_count
  raw "start $(date -u) load $(cut -d' ' -f1-3 /proc/loadavg)"
  SWEEP=()
  section 1 && bench_passthru
  section 2 && bench_region
  section 4 && bench_lua
  section 5 && bench_nginx
  section 6 && bench_startup
  for p in "${NGX_STARTED[@]}"; do ngx_stop "$p"; done
  NGX_STARTED=()
  write_report
  cat "$OUT/latest.md"
  [ "$ERRORS" -eq 0 ] || exit 1
}

main "$@"
