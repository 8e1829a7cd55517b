#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench.sh - run every ljmm benchmark, without and with the shim side by side, and record
# one line per measurement in bench/results/latest.log; bench/report.sh then writes
# bench/results/latest.md and latest.png from those records and bench/targets.tsv, and
# (after a full run) the table in README.md.
#
# Usage: scripts/bench.sh            (as root on Debian 12: installs what it needs)
#
# What it runs (details in bench/README.md):
#   1. pass-through: mmap+munmap of 4 KiB / 1 MiB / MAP_32BIT blocks the kernel serves
#   2. region-served MAP_32BIT vs the kernel's window, 10 .. 100,000 free extents, and
#      3. the naive /proc/self/maps-scanning fallback vs the shim
#   4. LuaJIT non-GC64 (luajit2 map32only and nogc64): reach, 1.8 GiB fill, churn
#   5. nginx + Lua under wrk load (nginx started with tests/nginx/lib.sh)
#   6. start-up time (true, nginx -t) and RSS of a small process
#   7. the external commands of bench/commands.tsv (two values each: without and with)
#   8. the link form: section 1's pass-through pairs with ljmm.o linked in (no LTO), the
#      preload library (LTO) and no shim, three sides in turn
#   9. fragmentation: tests/lua/frag.lua's churn until "not enough memory" on every
#      non-GC64 LuaJIT build, with the default policy, with region-first and without
#      the shim (largest live set, memory mapped below 2 GiB at the failure)
# Every comparison alternates the two sides (A B, then B A) over several rounds, and each
# round's figures are recorded with its round number, so that the report can take the
# median of the per-round ratios. Targets are reported, never enforced: the exit status
# is 0 unless a benchmark program crashed or could not run.
#
# Environment:
#   LJMM_BENCH_QUICK=1     few rounds, short runs (to try the script; numbers are rough)
#   LJMM_BENCH_ONLY="1 2"  run only these sections (1 pass-through, 2 region + naive,
#                          4 LuaJIT, 5 nginx, 6 start-up/RSS, 7 external commands,
#                          8 link form, 9 fragmentation; 6 times nginx -t only with 5)
#   LJMM_BENCH_BUILD       build directory (default build-bench/)
#   LJMM_BENCH_SETUP=0     install nothing and build nothing: use the programs already
#                          in LJMM_BENCH_BUILD (ctest's bench_smoke)
#   LJMM_BENCH_OUT         where latest.log, latest.md and latest.png go (default bench/results/)
#   LJMM_BENCH_LEVELS      free extents of section 2 (default "10 100 1000 10000 100000")
#   LJMM_BENCH_COMMANDS    the external commands of section 7 (default bench/commands.tsv)
#   LJMM_BENCH_FRAG_ROUNDS rounds of section 9 (default 3; QUICK 1)
#   LJMM_BENCH_FRAG_BUILDS the LuaJIT builds of section 9 (default every non-GC64 build,
#                          named as luajit2_map32only)
# Root only: vm.max_map_count is raised to 262144 for the run when a level needs it
# (100,000 holes need 100,000 mappings) and restored on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/nginx/lib.sh
. "$ROOT/tests/nginx/lib.sh" # and tests/lib/common.sh
# shellcheck disable=SC2034 # read by log (tests/lib/common.sh)
LJMM_LOG_TAG=bench
BUILD=${LJMM_BENCH_BUILD:-$ROOT/build-bench}
OUT=${LJMM_BENCH_OUT:-$ROOT/bench/results}
SETUP=${LJMM_BENCH_SETUP:-1}
BIN=$BUILD/bench
SHIM=$BUILD/libljmm_preload.so
EMPTY_LIB=$BUILD/bench/libbench_empty_preload.so
QUICK=${LJMM_BENCH_QUICK:-0}
FULL_SECTIONS="1 2 4 5 6 7 8 9"
ONLY=${LJMM_BENCH_ONLY:-$FULL_SECTIONS}
COMMANDS=${LJMM_BENCH_COMMANDS:-$ROOT/bench/commands.tsv}
read -r -a LEVELS <<<"${LJMM_BENCH_LEVELS:-10 100 1000 10000 100000}"

if [ "$QUICK" = 1 ]; then
  PT_ROUNDS=3 LK_ROUNDS=3 RG_ROUNDS=2 LEVEL_MS=60 LUA_ROUNDS=1 NGX_ROUNDS=2 NGX_SECS=2
  START_ITERS=31 NGXT_ITERS=9 RSS_RUNS=9 FRAG_ROUNDS=1 FRAG_CAP=64
else
  PT_ROUNDS=401 LK_ROUNDS=101 RG_ROUNDS=41 LEVEL_MS=100 LUA_ROUNDS=3 NGX_ROUNDS=11 NGX_SECS=3
  START_ITERS=201 NGXT_ITERS=31 RSS_RUNS=101 FRAG_ROUNDS=3 FRAG_CAP=-
fi
PT_PAIRS=1000 PT_BATCHES=10     # per pass-through process: 10 batches of 1000 pairs
REGION_KIB=64                   # the measured MAP_32BIT request
NAIVE_MAX=10000                 # the naive fallback costs ~1 ms a call at 10,000
CHURN_ROUNDS=2                  # churn.lua rounds after its initial fill
FRAG_MIXES="strings tables"     # frag.lua's mixes (section 9)
# The tables mix runs 25-60 s a run (the interpreter builds every array): on luajit2's
# builds only. Debian's luajit has the same allocator (lj_alloc.c) and differs only in
# how it probes without the shim.
FRAG_TABLES_ON="luajit2_nogc64 luajit2_map32only"
FRAG_ROUNDS=${LJMM_BENCH_FRAG_ROUNDS:-$FRAG_ROUNDS}
FRAG_ONLY=${LJMM_BENCH_FRAG_BUILDS:-}  # section 9's builds (names as luajit2_map32only; default all)
WRK_CONNS=16
# With two or more CPUs, nginx (every instance: only one is loaded at a time) runs on
# CPU 0 and wrk on CPU 1, so that the scheduler does not move them onto one core at
# random; unpinned, single rounds on this 2-core machine spread from 0.67 to 1.33.
NGX_PIN=() WRK_PIN=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  NGX_PIN=(taskset -c 0) WRK_PIN=(taskset -c 1)
fi

TMP=""
make_tmpdir TMP bench
LOG=$TMP/records.log            # copied to $OUT/latest.log at the end
ERRS=$TMP/stderr.log            # the programs' stderr, appended to it as comments
ERRORS=0

# --- records ---------------------------------------------------------------------------
# The format (bench/README.md, "Records"): section measure variant round value unit,
# tab-separated, one line per measurement; "#" lines are raw program output.

# record SECTION MEASURE VARIANT ROUND VALUE UNIT (nothing when VALUE is empty: a run
# that failed has already been reported by err)
record() {
  [ -n "$5" ] || return 0
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$LOG"
}
# meta NAME TEXT: a fact about the run (machine, rounds, errors), tabs and newlines flattened
meta() {
  local v=${2//$'\t'/ }
  printf 'meta\t%s\t-\t-\t%s\t-\n' "$1" "${v//$'\n'/ }" >>"$LOG"
}
raw() { printf '# %s\n' "${*//$'\n'/$'\n'# }" >>"$LOG"; }
err() { ERRORS=$((ERRORS + 1)); log "ERROR: $*"; meta error "$*"; }
section() { [[ " $ONLY " == *" $1 "* ]]; }

# with_shim CMD...: run CMD under the shim (or PRELOAD_LIB); without_shim: no preload.
with_shim() { env LD_PRELOAD="${PRELOAD_LIB:-$SHIM}" "$@"; }
without_shim() { env -u LD_PRELOAD "$@"; }

# --- setup -----------------------------------------------------------------------------

setup() {
  if [ "$SETUP" = 1 ]; then
    if [ "$(id -u)" = 0 ]; then
      bash "$ROOT/scripts/deps.sh" build clients bench >&2 || log "scripts/deps.sh failed: going on with what is installed"
    fi
    log "building the shim and the benchmark programs in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DLJMM_BUILD_TESTS=OFF >"$TMP/cmake.log" 2>&1 ||
      { cat "$TMP/cmake.log" >&2; fail "cmake configure failed"; }
    cmake --build "$BUILD" --target bench_programs -j2 >>"$TMP/cmake.log" 2>&1 ||
      { tail -n 40 "$TMP/cmake.log" >&2; fail "cmake --build failed"; }
  fi
  local f
  for f in "$SHIM" "$EMPTY_LIB" "$BIN"/{bench_passthru,bench_passthru_link,bench_region,region_micro,spawn_bench,rss_probe}; do
    [ -e "$f" ] || fail "$f is missing: build the target bench_programs in $BUILD (or run with LJMM_BENCH_SETUP=1)"
  done
}

LJ_MAP32ONLY="" LJ_NOGC64="" LJ_LIBDIR=""
find_luajit() {
  local list
  list=$("$ROOT/scripts/build-luajit.sh" --print luajit2 2>/dev/null || true)
  LJ_MAP32ONLY=$(awk '$1 == "luajit2/map32only" { print $2 }' <<<"$list")
  LJ_NOGC64=$(awk '$1 == "luajit2/nogc64" { print $2 }' <<<"$list")
}

setup_luajit() {
  find_luajit
  if [ "$SETUP" = 1 ] && { [ -z "$LJ_MAP32ONLY" ] || [ -z "$LJ_NOGC64" ]; }; then
    log "building luajit2 nogc64 and map32only (scripts/build-luajit.sh, ~1 min)"
    LJMM_LUAJIT_VARIANTS="nogc64 map32only" "$ROOT/scripts/build-luajit.sh" luajit2 >/dev/null ||
      err "scripts/build-luajit.sh failed"
    find_luajit
  fi
  if section 9 && [ "$SETUP" = 1 ] && ! frag_builds | grep '^luajit_' >/dev/null; then
    log "building luajit (2.1) nogc64 and map32only (scripts/build-luajit.sh, ~1 min)"
    LJMM_LUAJIT_VARIANTS="nogc64 map32only" "$ROOT/scripts/build-luajit.sh" luajit >/dev/null ||
      err "scripts/build-luajit.sh luajit failed"
  fi
}

# Levels the kernel's map count allows: n holes need about n + 100 mappings.
ORIG_MAP_COUNT=""
restore_map_count() { [ -z "$ORIG_MAP_COUNT" ] || sysctl -qw vm.max_map_count="$ORIG_MAP_COUNT" || true; }
setup_map_count() {
  local cur want=262144 keep=() n max=0
  cur=$(sysctl -n vm.max_map_count)
  for n in "${LEVELS[@]}"; do [ "$n" -le "$max" ] || max=$n; done
  if [ $((max + 1000)) -gt "$cur" ] && [ "$cur" -lt "$want" ] && [ "$(id -u)" = 0 ] &&
     sysctl -qw vm.max_map_count="$want" 2>/dev/null; then
    ORIG_MAP_COUNT=$cur
    on_exit restore_map_count
    log "vm.max_map_count raised from $cur to $want for this run"
    cur=$want
  fi
  for n in "${LEVELS[@]}"; do
    if [ $((n + 1000)) -le "$cur" ]; then keep+=("$n"); else log "skipping $n extents: vm.max_map_count is $cur"; fi
  done
  LEVELS=("${keep[@]}")
}

machine_meta() {
  local glibc
  meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
  meta cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  meta cores "$(nproc)"
  meta memory "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  meta kernel "$(uname -r)"
  glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | sed 's/^glibc //')
  meta glibc "${glibc:-unknown}"
  meta glibc_full "${glibc:-unknown} ($(ldd --version 2>/dev/null | sed -n '1s/^ldd (\(.*\)) .*/\1/p'))"
  meta load "$(cut -d' ' -f1-3 /proc/loadavg)"
  meta shim "${SHIM#"$ROOT"/} (CMake default build type, RelWithDebInfo), tree at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- shim include 2>/dev/null || echo ' + local changes in shim/')"
  meta quick "$QUICK"
  meta region_kib "$REGION_KIB"
  meta sections "$ONLY"
  meta rounds "pass-through $PT_ROUNDS (each process: median of $PT_BATCHES batches of $PT_PAIRS pairs), region $RG_ROUNDS (extents ${LEVELS[*]}), LuaJIT fill $LUA_ROUNDS, nginx $NGX_ROUNDS x ${NGX_SECS} s each way (three instances in turn: without, with, and a control with an empty library preloaded${NGX_PIN[*]:+; nginx on CPU 0, wrk on CPU 1}), start-up $START_ITERS / $NGXT_ITERS paired runs, RSS $RSS_RUNS paired runs, link form $LK_ROUNDS, fragmentation $FRAG_ROUNDS (frag.lua's seed: the round; without the shim: round 1)"
}

# --- 1. pass-through -----------------------------------------------------------------

bench_passthru() {
  local mode r out_a out_b side
  log "1. pass-through: $PT_ROUNDS rounds x 6 modes, each $PT_BATCHES x $PT_PAIRS pairs per process"
  for mode in anon4k anon1m map32 map32empty map32live map32hint; do
    # map32empty: the map32 calls again, with an empty library preloaded as the other side.
    local PRELOAD_LIB="" prog_mode=$mode
    side=with
    if [ "$mode" = map32empty ]; then PRELOAD_LIB=$EMPTY_LIB prog_mode=map32 side=empty; fi
    for ((r = 1; r <= PT_ROUNDS; r++)); do
      if ((r % 2)); then
        out_a=$(without_shim "$BIN/bench_passthru" "$prog_mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$ERRS") || { err "bench_passthru $mode (without) failed"; continue; }
        out_b=$(with_shim "$BIN/bench_passthru" "$prog_mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$ERRS") || { err "bench_passthru $mode ($side) failed"; continue; }
      else
        out_b=$(with_shim "$BIN/bench_passthru" "$prog_mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$ERRS") || { err "bench_passthru $mode ($side) failed"; continue; }
        out_a=$(without_shim "$BIN/bench_passthru" "$prog_mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$ERRS") || { err "bench_passthru $mode (without) failed"; continue; }
      fi
      raw "passthru $mode round=$r without: $out_a"
      raw "passthru $mode round=$r $side: $out_b"
      record passthru "$mode" without "$r" "$(kv ns_per_pair "$out_a")" ns
      record passthru "$mode" "$side" "$r" "$(kv ns_per_pair "$out_b")" ns
    done
  done
}

# --- 8. the link form -----------------------------------------------------------------
# The per-call cost of ljmm.o linked in (bench_passthru_link: bench_passthru.c and the
# object, a PIE with its symbols exported, as the link form's docs say), which is built
# without link-time optimisation, against the preload library, built with it, and no
# shim: the three sides of each round in turn, starting one further each round.
bench_link() {
  local mode r k side out
  local -a sides=(without with linked)
  log "8. link form: $LK_ROUNDS rounds x 2 modes, without / preloaded / linked"
  for mode in anon4k map32; do
    for ((r = 1; r <= LK_ROUNDS; r++)); do
      for ((k = 0; k < 3; k++)); do
        side=${sides[$(((r + k) % 3))]}
        case $side in
        without) out=$(without_shim "$BIN/bench_passthru" "$mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$ERRS") ;;
        with) out=$(with_shim "$BIN/bench_passthru" "$mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$ERRS") ;;
        linked) out=$(without_shim "$BIN/bench_passthru_link" "$mode" "$PT_PAIRS" "$PT_BATCHES" 2>>"$ERRS") ;;
        esac || { err "bench_passthru $mode ($side) failed"; continue; }
        raw "link $mode round=$r $side: $out"
        record link "$mode" "$side" "$r" "$(kv ns_per_pair "$out")" ns
      done
    done
  done
}

# --- 2 + 3. region vs kernel vs naive --------------------------------------------------

bench_region() {
  local levels naive_levels=() n r order mode out line
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
        kernel) out=$(without_shim "$BIN/bench_region" kernel "$REGION_KIB" "$levels" "$LEVEL_MS" 2>>"$ERRS") ;;
        region) out=$(with_shim "$BIN/bench_region" region "$REGION_KIB" "$levels" "$LEVEL_MS" 2>>"$ERRS") ;;
        naive) out=$(without_shim "$BIN/bench_region" naive "$REGION_KIB" "$(IFS=,; echo "${naive_levels[*]}")" "$LEVEL_MS" 2>>"$ERRS") ;;
      esac || err "bench_region $mode failed (round $r; see the log)"
      while read -r line; do
        [ -n "$line" ] || continue
        raw "region round=$r $line"
        n=$(kv n "$line")
        record region "pair_ns@$n" "$mode" "$r" "$(kv ns_per_pair "$line")" ns
        [ "$mode" != region ] || record region "maps@$n" region "$r" "$(kv maps "$line")" lines
      done <<<"$out"
    done
    # The index alone (shim/region.c in-process), for attributing the region's cost.
    out=$("$BIN/region_micro" "$REGION_KIB" "$levels" "$LEVEL_MS" 2>>"$ERRS") || err "region_micro failed"
    while read -r line; do
      [ -n "$line" ] || continue
      raw "region round=$r index-only $line"
      record region "index_ns@$(kv n "$line")" index "$r" "$(kv index_ns "$line")" ns
    done <<<"$out"
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
    out=$(with_shim "$lj" "$@" 2>>"$ERRS") || rc=$?
  else
    out=$(without_shim "$lj" "$@" 2>>"$ERRS") || rc=$?
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

# fill_record MEASURE VARIANT ROUND RUN: a fill that reached its cap gives its wall and
# CPU seconds; one that ran out of memory first, how far it got (MEASURE.oom).
fill_record() {
  if [ "$(kv capped "$4")" = 1 ]; then
    record lua "${1}_s" "$2" "$3" "$(kv secs "$4")" s
    record lua "${1}_cpu_s" "$2" "$3" "$(kv cpu "$4")" s
  else
    record lua "${1}_s.oom" "$2" "$3" "$(kv max_heap_mib "$4")" MiB
  fi
}

# churn_record MEASURE VARIANT ROUND RUN: ops per wall and per CPU second of a churn
# that completed; how many operations one that ran out of memory did (MEASURE.oom).
churn_record() {
  if [ "$(kv rc "$4")" = 0 ]; then
    record lua "$1" "$2" "$3" "$(awk -v o="$(kv ops "$4")" -v s="$(kv secs "$4")" 'BEGIN { if (s > 0) printf "%.1f", o / s }')" ops/s
    record lua "${1}_cpu" "$2" "$3" "$(awk -v o="$(kv ops "$4")" -v s="$(kv cpu "$4")" 'BEGIN { if (s > 0) printf "%.1f", o / s }')" ops/cpu_s
  elif [ "$(kv oom "$4")" = 1 ]; then
    record lua "$1.oom" "$2" "$3" "$(kv ops "$4")" ops
  fi
}

bench_lua() {
  local lj name a b v k
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
    record lua "reach_$name" without 1 "$(kv max_heap_mib "$a")" MiB
    record lua "reach_$name" with 1 "$(kv max_heap_mib "$b")" MiB
  done

  log "4. LuaJIT: time to fill 1800 MiB ($LUA_ROUNDS rounds) and churn ($CHURN_ROUNDS churn rounds)"
  for ((k = 1; k <= LUA_ROUNDS; k++)); do
    if ((k % 2)); then
      lua_run a "$LJ_NOGC64" no "$fill" strings 1800
      lua_run b "$LJ_NOGC64" yes "$fill" strings 1800
    else
      lua_run b "$LJ_NOGC64" yes "$fill" strings 1800
      lua_run a "$LJ_NOGC64" no "$fill" strings 1800
    fi
    fill_record fill1800_nogc64 without "$k" "$a"
    fill_record fill1800_nogc64 with "$k" "$b"
    lua_run v "$LJ_MAP32ONLY" yes "$fill" strings 1800
    fill_record fill1800_map32only with "$k" "$v"
  done
  lua_run v "$LJ_MAP32ONLY" no "$fill" strings 1800
  fill_record fill1800_map32only without 1 "$v"

  # Churn near 1600 MiB: both builds, both ways (without the shim a build may run out of
  # memory: then it is not run again, and only the shim's figure is given). Then
  # map32only at 800 MiB, where both sides fit in the kernel's window, for a
  # like-for-like ratio.
  local spec target oom_a maxk
  for spec in "nogc64 1600" "map32only 1600" "map32only 800"; do
    name=${spec% *} target=${spec#* }
    lj=$LJ_MAP32ONLY; [ "$name" = nogc64 ] && lj=$LJ_NOGC64
    oom_a=""
    # Big sets take ~10 s a run: at most 2 rounds (and one without the shim when it
    # runs out of memory); the small set runs ~2 s, and single runs vary by +-10 % on a
    # shared machine: five times as many rounds as the fills (15), an odd number.
    maxk=$((LUA_ROUNDS * 5 | 1))
    [ "$target" = 1600 ] && maxk=$((LUA_ROUNDS < 2 ? LUA_ROUNDS : 2))
    for ((k = 1; k <= maxk; k++)); do
      a=""
      if ((k % 2)); then
        [ -n "$oom_a" ] || lua_run a "$lj" no "$churn" "$target" "$CHURN_ROUNDS"
        lua_run b "$lj" yes "$churn" "$target" "$CHURN_ROUNDS"
      else
        lua_run b "$lj" yes "$churn" "$target" "$CHURN_ROUNDS"
        [ -n "$oom_a" ] || lua_run a "$lj" no "$churn" "$target" "$CHURN_ROUNDS"
      fi
      [ "$(kv oom "$a")" != 1 ] || oom_a=1
      churn_record "churn_${name}_$target" without "$k" "$a"
      churn_record "churn_${name}_$target" with "$k" "$b"
    done
  done
}

# --- 5. nginx + Lua --------------------------------------------------------------------

# The configuration of every instance (tests/nginx/lib.sh writes the rest): one worker
# (NGX_WORKERS), a Lua handler that allocates a little per request, and /info.
ngx_bench_conf() {
  ngx_write_conf "$NGX_PREFIX/nginx.conf" "$1" '
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
    }'
}

# ngx_worker_ticks: utime + stime (clock ticks) of the workers of the current instance.
ngx_worker_ticks() {
  local w t=0 st
  for w in $(ngx_workers); do
    st=$(cat "/proc/$w/stat" 2>/dev/null) || continue
    st=${st##*) }
    t=$((t + $(awk '{ print $12 + $13 }' <<<"$st")))
  done
  echo "$t"
}

# wrk_run PREFIX SECS: load the instance at PREFIX; sets WRK to
# "rps p99_ms worker_cpu_us_per_request".
WRK=""
wrk_run() {
  local out p99 t0 t1 n
  ngx_use "$1"
  t0=$(ngx_worker_ticks)
  out=$("${WRK_PIN[@]}" wrk -t1 -c"$WRK_CONNS" -d"$2"s --latency "http://127.0.0.1:$NGX_PORT/lua" 2>&1) || return 1
  t1=$(ngx_worker_ticks)
  raw "wrk ${1##*/} port=$NGX_PORT: $(tr '\n' ' ' <<<"$out" | tr -s ' ')"
  if grep "Non-2xx\|Socket errors" <<<"$out" >/dev/null; then
    log "wrk reported errors: $(grep -E 'Non-2xx|Socket errors' <<<"$out")"
  fi
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  p99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
          f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.4f", v * f }' <<<"$out")
  WRK="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out") $p99 $(awk -v t="$(((t1 - t0) * 1000000 / $(getconf CLK_TCK)))" -v n="$n" 'BEGIN { if (n > 0) printf "%.3f", t / n }')"
}

NGXT_PREFIX=""
bench_nginx() {
  local pa pb pc x w info r order v
  local -A prefix=()
  if [ -z "$LJ_MAP32ONLY" ]; then err "luajit2/map32only missing: nginx benchmark skipped"; return; fi
  if ! ngx_check_prereqs; then err "nginx benchmark skipped: $NGX_WHY"; return; fi
  if ! command -v wrk >/dev/null 2>&1; then err "wrk is not installed (apt-get install wrk): nginx benchmark skipped"; return; fi
  # The workers run OpenResty's LuaJIT built non-GC64 and MAP_32BIT-only, as the
  # deployments this shim is for do (Debian's own libluajit is GC64).
  LJ_LIBDIR=$(cd "$(dirname "$LJ_MAP32ONLY")/../lib" 2>/dev/null && pwd -P) || LJ_LIBDIR=""
  if [ -z "$LJ_LIBDIR" ] || [ ! -e "$LJ_LIBDIR/libluajit-5.1.so.2" ]; then
    err "no libluajit-5.1.so.2 next to $LJ_MAP32ONLY: nginx benchmark skipped"
    return
  fi
  # One worker per instance; warn: no error-log line per connection; NGX_PIN: CPU 0.
  NGX_WORKERS=1
  NGX_ERROR_LEVEL=warn
  NGX_WRAP=("${NGX_PIN[@]}")
  # Three instances at once, on their own prefixes and ports. The third, the control,
  # preloads an empty library instead of the shim: how far apart two set-ups that do the
  # same work per request measure here. ngx_start runs in a subshell, so that a failure
  # skips this section instead of ending the run (the exit handler stops every prefix).
  for v in without with control; do
    ngx_setup "bench-$v"
    prefix[$v]=$NGX_PREFIX
    case $v in
      without) x=() ;;
      with) x=("LD_PRELOAD=$SHIM") ;;
      control) x=("LD_PRELOAD=$EMPTY_LIB") ;;
    esac
    if ! (ngx_start ngx_bench_conf "LD_LIBRARY_PATH=$LJ_LIBDIR" "${x[@]}" >>"$ERRS"); then
      err "nginx ($v) did not start: $(tail -n 5 "$NGX_PREFIX/error.log" 2>/dev/null | tr '\n' ' ')"
      return
    fi
  done
  pa=${prefix[without]} pb=${prefix[with]} pc=${prefix[control]}
  sleep 0.5
  for v in without with control; do
    ngx_use "${prefix[$v]}"
    info=$(ngx_get /info 5)
    raw "nginx $v (port $NGX_PORT): /info -> $info"
    [ "$info" = "200 LuaJIT 2.1.0-beta3 gc64=false" ] || log "warning: nginx ($v) runs '$info', not the non-GC64 luajit2"
  done
  ngx_use "$pb"
  for w in $(ngx_workers); do
    ngx_maps_have "$w" "$(ngx_realpath "$SHIM")" || err "the shim is not mapped in nginx worker $w"
  done
  log "5. nginx + Lua: wrk -t1 -c$WRK_CONNS, $NGX_ROUNDS rounds x ${NGX_SECS}s each way${NGX_PIN[*]:+, nginx on CPU 0 and wrk on CPU 1}"
  for v in without with control; do wrk_run "${prefix[$v]}" 1 || true; done
  for ((r = 1; r <= NGX_ROUNDS; r++)); do
    # The three in turn, each round starting one further along.
    case $((r % 3)) in
      1) order="without with control" ;;
      2) order="with control without" ;;
      0) order="control without with" ;;
    esac
    for v in $order; do
      if ! wrk_run "${prefix[$v]}" "$NGX_SECS"; then
        err "wrk failed ($v, round $r)"
        continue
      fi
      read -r -a x <<<"$WRK"
      raw "nginx round=$r $v: $WRK (rps p99_ms worker_cpu_us_per_req)"
      record nginx rps "$v" "$r" "${x[0]:-}" req/s
      record nginx p99_ms "$v" "$r" "${x[1]:-}" ms
      record nginx cpu_us_per_req "$v" "$r" "${x[2]:-}" us/req
    done
  done
  if grep -E 'exited on signal|\[(alert|emerg)\]' "$pa/error.log" "$pb/error.log" "$pc/error.log" >&2; then
    err "an nginx worker crashed or raised an alert"
  fi
  NGXT_PREFIX=$pa
}

# --- 6. start-up and memory -------------------------------------------------------------

# spawn_record SECTION MEASURE OUTPUT: spawn_bench's medians and its median paired
# difference. (nginx -t has a section of its own, startup_nginx: it runs only when
# section 5 ran as well, and its rows are "not run" otherwise.)
spawn_record() {
  record "$1" "$2" without 1 "$(kv without_us "$3")" us
  record "$1" "$2" with 1 "$(kv with_us "$3")" us
  record "$1" "$2" extra 1 "$(kv extra_us "$3")" us
}

bench_startup() {
  local out i x y
  log "6. start-up: true x $START_ITERS, nginx -t x $NGXT_ITERS (alternating); RSS x $RSS_RUNS"
  if out=$("$BIN/spawn_bench" "$START_ITERS" "$SHIM" true 2>>"$ERRS"); then
    raw "startup true: $out"
    spawn_record startup true_us "$out"
  else
    err "spawn_bench true failed"
  fi
  if [ -n "$NGXT_PREFIX" ] && [ -f "$NGXT_PREFIX/nginx.conf" ]; then
    if out=$(env LD_LIBRARY_PATH="$LJ_LIBDIR" "$BIN/spawn_bench" "$NGXT_ITERS" "$SHIM" "$NGX_BIN" -t -q \
               -p "$NGXT_PREFIX" -c "$NGXT_PREFIX/nginx.conf" -e "$NGXT_PREFIX/error-t.log" 2>>"$ERRS"); then
      raw "startup nginx -t: $out"
      spawn_record startup_nginx nginx_t_us "$out"
    else
      err "spawn_bench nginx -t failed"
    fi
  fi
  for ((i = 1; i <= RSS_RUNS; i++)); do
    if ((i % 2)); then
      x=$(without_shim "$BIN/rss_probe") && y=$(with_shim "$BIN/rss_probe")
    else
      y=$(with_shim "$BIN/rss_probe") && x=$(without_shim "$BIN/rss_probe")
    fi || { err "rss_probe failed"; continue; }
    raw "rss round=$i without: $x with: $y"
    record rss vmrss_kib without "$i" "$(kv vmrss_kib "$x")" KiB
    record rss vmrss_kib with "$i" "$(kv vmrss_kib "$y")" KiB
    record rss anon_kib without "$i" "$(kv anon_kib "$x")" KiB
    record rss anon_kib with "$i" "$(kv anon_kib "$y")" KiB
    record rss shim_kib with "$i" "$(kv shim_kib "$y")" KiB
  done
  # The same without address-space randomisation: one layout, so file pages mapped by
  # fault-around no longer vary from run to run.
  if command -v setarch >/dev/null 2>&1; then
    if x=$(without_shim setarch -R "$BIN/rss_probe") && y=$(with_shim setarch -R "$BIN/rss_probe"); then
      raw "rss (setarch -R) without: $x with: $y"
      record rss vmrss_noaslr_kib without 1 "$(kv vmrss_kib "$x")" KiB
      record rss vmrss_noaslr_kib with 1 "$(kv vmrss_kib "$y")" KiB
    else
      err "rss_probe under setarch -R failed"
    fi
  fi
}

# --- 7. external commands ----------------------------------------------------------------

# unit_of SUFFIX: the unit a VARIANT_SUFFIX=value key stands for.
unit_of() {
  case $1 in
    mib) echo MiB ;; kib) echo KiB ;; gib) echo GiB ;; rps) echo req/s ;;
    *) echo "$1" ;;
  esac
}

# Each line of bench/commands.tsv (SECTION<TAB>ROUNDS<TAB>COMMAND) runs COMMAND with
# bash from the top of the tree, ROUNDS times; every line it prints of the form
# "MEASURE VARIANT_UNIT=VALUE..." gives one record per key (bench/README.md, "Adding a
# row"). Exit 77 means the command cannot run here: skipped, not an error.
bench_commands() {
  local sec rounds cmd r out rc toks tok key n lineno=0
  if [ ! -r "$COMMANDS" ]; then
    log "7. no $COMMANDS: no external commands"
    return
  fi
  while IFS=$'\t' read -r sec rounds cmd; do
    lineno=$((lineno + 1))
    [[ -z $sec || $sec == \#* ]] && continue
    if [[ ! $sec =~ ^[a-z0-9_]+$ || ! $rounds =~ ^[1-9][0-9]*$ || -z $cmd ]]; then
      err "$COMMANDS:$lineno: expected SECTION<TAB>ROUNDS<TAB>COMMAND (section: a-z 0-9 _; rounds: a positive number)"
      continue
    fi
    log "7. $sec: $cmd ($rounds round(s))"
    for ((r = 1; r <= rounds; r++)); do
      rc=0
      out=$(cd "$ROOT" && bash -c "$cmd" </dev/null 2>>"$ERRS") || rc=$?
      raw "command $sec round=$r exit=$rc: $out"
      if [ "$rc" = 77 ]; then
        log "7. $sec: skipped (the command exited 77: it cannot run here)"
        meta skipped "$sec: $cmd"
        break
      elif [ "$rc" != 0 ]; then
        err "$sec: '$cmd' exited $rc (round $r)"
        continue
      fi
      n=0
      while read -r -a toks; do
        [[ ${#toks[@]} -gt 1 && ${toks[0]} =~ ^[A-Za-z0-9_.]+$ ]] || continue
        for tok in "${toks[@]:1}"; do
          key=${tok%%=*}
          [[ $tok == *=* && $key =~ ^[a-z0-9]+_[a-z0-9]+$ && ${tok#*=} =~ ^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$ ]] || continue
          record "$sec" "${toks[0]}" "${key%_*}" "$r" "${tok#*=}" "$(unit_of "${key##*_}")"
          n=$((n + 1))
        done
      done <<<"$out"
      [ "$n" -gt 0 ] || err "$sec: '$cmd' printed no 'MEASURE VARIANT_UNIT=VALUE' line (round $r)"
    done
  done <"$COMMANDS"
}

# --- 9. fragmentation under churn -----------------------------------------------------------

# frag_builds: "NAME PATH" of every non-GC64 LuaJIT that scripts/build-luajit.sh has built
# (luajit/nogc64 becomes luajit_nogc64, a part of the measure's name), the non-PIE one of
# frag_link_nopie once it is linked, and Debian's Tarantool when it is installed and
# non-GC64 (bookworm's 2.6 is: its LuaJIT 2.1 fork allocates with MAP_32BIT; scripts/deps.sh
# bench installs it).
frag_builds() {
  local name bin
  { "$ROOT/scripts/build-luajit.sh" --print 2>/dev/null || true
    [ ! -x "$BUILD/luajit2-map32only-nopie" ] || echo "luajit2/map32only_nopie $BUILD/luajit2-map32only-nopie"
    bin=$(command -v tarantool 2>/dev/null) && [ "$(frag_tarantool_gc64 "$bin")" = false ] && echo "tarantool/nogc64 $bin" || true
  } | awk '$1 ~ /\/(nogc64|map32only|map32only_nopie)$/ { n = $1; sub("/", "_", n); print n, $2 }' |
    while read -r name bin; do
      [ -z "$FRAG_ONLY" ] || [[ " $FRAG_ONLY " == *" $name "* ]] || continue
      echo "$name $bin"
    done
}

# frag_tarantool_gc64 BIN: "true" or "false", what Tarantool's ffi says of its LuaJIT.
frag_tarantool_gc64() {
  local t
  t=$(mktemp) || return 0
  printf 'print(require("ffi").abi("gc64"))\nos.exit(0)\n' >"$t"
  timeout 30 "$1" "$t" 2>/dev/null | tail -n 1
  rm -f "$t"
}

# frag_link_nopie: a non-PIE luajit2 MAP_32BIT-only (luajit2_map32only_nopie), the same
# objects linked with -no-pie from the build's work tree (as tests/link does), so that the
# program and its brk heap lie at the bottom of the low 2 GiB, as in a LuaJIT 2.0 embedder
# built without PIE.
frag_link_nopie() {
  local src
  rm -f "$BUILD/luajit2-map32only-nopie"
  src=$({ "$ROOT/scripts/build-luajit.sh" --print-src luajit2 2>/dev/null || true; } |
    awk '$1 == "luajit2/map32only" { print $2 }')
  [ -n "$src" ] || return 0
  if [ -f "$src/luajit.o" ] && [ -f "$src/libluajit.a" ] &&
    "${CC:-cc}" -no-pie -o "$BUILD/luajit2-map32only-nopie" "$src/luajit.o" "$src/libluajit.a" -lm -ldl 2>>"$ERRS"; then
    return 0
  fi
  err "no non-PIE luajit2 MAP_32BIT-only: cannot link $src/luajit.o and libluajit.a with -no-pie"
}

# tests/lua/frag.lua grows a live set of one mix until "not enough memory" even after a
# full collection; three variants per build and mix: the shim with its default policy,
# the shim with LJMM_POLICY=region-first, and no shim, in an order that turns each
# round. The round is the seed, so each round's three variants churn the same sizes.
# Without the shim (an info row) only in round 1: a run takes 10-60 s on a loaded 2-core
# machine, and the 3 rounds took 18 min beside a CI run.
# QUICK stops every run at FRAG_CAP MiB (frag.lua exits 2 there): the figures mean
# nothing, the path is tried.
bench_frag() {
  local frag=$ROOT/tests/lua/frag.lua b name lj mix r v out rc t0 secs m want=0
  local -a builds order
  frag_link_nopie
  mapfile -t builds < <(frag_builds)
  if [ "${#builds[@]}" -eq 0 ]; then
    err "no non-GC64 LuaJIT build (scripts/build-luajit.sh): fragmentation benchmark skipped"
    return
  fi
  [ "$FRAG_CAP" = - ] || want=2
  log "9. fragmentation: frag.lua ($FRAG_MIXES) on ${#builds[@]} builds x (default, region-first, no shim), $FRAG_ROUNDS round(s)"
  for ((r = 1; r <= FRAG_ROUNDS; r++)); do
    case $((r % 3)) in
      1) order=(default region_first none) ;;
      2) order=(region_first none default) ;;
      *) order=(none default region_first) ;;
    esac
    for mix in $FRAG_MIXES; do
      for b in "${builds[@]}"; do
        name=${b%% *} lj=${b#* }
        m=${mix}_$name
        [ "$mix" != tables ] || [[ " $FRAG_TABLES_ON " == *" $name "* ]] || continue
        for v in "${order[@]}"; do
          [ "$v" != none ] || [ "$r" = 1 ] || continue
          rc=0 t0=$EPOCHREALTIME
          case $v in
            default) out=$(env -u LJMM_POLICY LD_PRELOAD="$SHIM" "$lj" "$frag" "$mix" "$r" 1 "$FRAG_CAP" 2>>"$ERRS") || rc=$? ;;
            region_first) out=$(env LJMM_POLICY=region-first LD_PRELOAD="$SHIM" "$lj" "$frag" "$mix" "$r" 1 "$FRAG_CAP" 2>>"$ERRS") || rc=$? ;;
            none) out=$(without_shim "$lj" "$frag" "$mix" "$r" 1 "$FRAG_CAP" 2>>"$ERRS") || rc=$? ;;
          esac
          secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
          out=$(grep '^RESULT' <<<"$out" | tail -n 1 || true)
          raw "frag round=$r seed=$r $name $v exit=$rc wall_s=$secs: $out"
          if [ "$rc" != "$want" ] || [ -z "$out" ]; then
            err "frag.lua $mix (seed $r) on $name, $v: exit $rc${out:+ ($out)}"
            continue
          fi
          record frag "$m" "$v" "$r" "$(kv live_mib "$out")" MiB
          record frag "${m}_mapped" "$v" "$r" "$(kv low_mapped_mib "$out")" MiB
          record frag "${m}_freemax" "$v" "$r" "$(awk -v x="$(kv largest_free_mib "$out")" 'BEGIN { printf "%.0f", x * 1024 }')" KiB
        done
      done
    done
  done
}

# --- main --------------------------------------------------------------------------------

main() {
  : >"$LOG"
  : >"$ERRS"
  printf '# ljmm benchmark records (bench/README.md): section measure variant round value unit\n' >>"$LOG"
  setup
  setup_luajit
  section 2 && setup_map_count
  machine_meta
  section 1 && bench_passthru
  section 2 && bench_region
  section 4 && bench_lua
  section 5 && bench_nginx
  section 6 && bench_startup
  # nginx is stopped after the start-up section, as in the runs measured so far (the
  # exit handler of tests/nginx/lib.sh checks that nothing is left and removes the prefixes).
  local p
  for p in "${NGX_PREFIXES[@]}"; do
    ngx_use "$p"
    ngx_stop term >&2 || err "nginx at $p needed SIGKILL to stop"
  done
  section 7 && bench_commands
  section 8 && bench_link
  section 9 && bench_frag
  meta runtime "$((SECONDS / 60)) min $(printf '%02d' $((SECONDS % 60))) s"
  if [ -s "$ERRS" ]; then
    raw "stderr of the benchmark programs:"
    raw "$(cat "$ERRS")"
  fi
  mkdir -p "$OUT"
  cp "$LOG" "$OUT/latest.log"
  log "wrote $OUT/latest.log ($(grep -vc '^#' "$OUT/latest.log") records)"
  bash "$ROOT/bench/report.sh" --log "$OUT/latest.log" >&2
  # README.md quotes the committed run: only a full run into bench/results/ replaces it.
  if [ "$OUT" = "$ROOT/bench/results" ] && [ "$QUICK" != 1 ] && [ "$ONLY" = "$FULL_SECTIONS" ]; then
    bash "$ROOT/bench/report.sh" --log "$OUT/latest.log" --update-readme "$ROOT/README.md" >&2
  else
    log "README.md's table left as it is (a full run into bench/results/ replaces it)"
  fi
  cat "$OUT/latest.md"
  [ "$ERRORS" -eq 0 ] || exit 1
}

main "$@"
