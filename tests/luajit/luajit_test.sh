#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real LuaJIT builds (scripts/build-luajit.sh) under the shim. One scenario per call:
#   luajit_test.sh SHIM REPO SCENARIO PKG [VARIANT]
# PKG is luajit (Debian's LuaJIT 2.1) or luajit2 (OpenResty's fork). Exit 0 pass,
# 1 fail, 77 skipped (only when the LuaJIT builds are absent).
set -euo pipefail
shim=$1 repo=$2 scenario=$3 pkg=$4
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$repo/tests/lib/common.sh"
lua="$repo/tests/lua"
mib_2g_90=1946 # 1.9 GiB in MiB: the reach figures
mib_1g_05=1075 # 1.05 GiB in MiB
live_1g_60=1639 # 1.6 GiB in MiB: the churn live sets
live_1g_90=1946 # 1.9 GiB in MiB

luajit_bin() {
  local out
  # LJMM_LUAJIT_VARIANTS: the variant asked for, also one outside the default list (musl).
  out=$(LJMM_LUAJIT_VARIANTS=$1 "$repo/scripts/build-luajit.sh" --print 2>/dev/null) || true
  awk -v k="$pkg/$1" '$1 == k { print $2 }' <<<"$out"
}

need() {
  bin=$(luajit_bin "$1")
  if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    skip "$pkg/$1 is not built (run scripts/build-luajit.sh)"
  fi
}

# run WITH_SHIM(0|1) SCRIPT ARGS...: sets rc and result (the RESULT line).
run() {
  local with=$1 script=$2 log
  shift 2
  log=$(mktemp)
  rc=0
  if [ "$with" = 1 ]; then
    LD_PRELOAD=$shim "$bin" "$lua/$script" "$@" >"$log" 2>&1 || rc=$?
  else
    env -u LD_PRELOAD "$bin" "$lua/$script" "$@" >"$log" 2>&1 || rc=$?
  fi
  result=$(grep '^RESULT' "$log" | tail -n 1 || true)
  # With LJMM_STATS=on in the environment: how many blocks the region served.
  served=$(sed -n 's/.* region-served=\([0-9]*\) .*/\1/p' "$log" | tail -n 1)
  if [ -z "$result" ]; then
    result="(no RESULT line; last output: $(tail -n 2 "$log" | tr '\n' ' '))"
  fi
  rm -f "$log"
  printf '  %-6s %-28s rc=%-3s %s\n' "$([ "$with" = 1 ] && echo shim || echo kernel)" "$script $*" "$rc" "$result"
}

# field KEY: the value of KEY= in the last RESULT line (common.sh kv)
field() { kv "$1" "$result"; }

# ge A B: A >= B for decimal numbers.
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

case $scenario in
map32only_reach)
  # LuaJIT 2.0-style allocation (MAP_32BIT only): the kernel's window alone, then
  # with the shim the whole low 2 GiB.
  need map32only
  run 0 fill.lua strings
  without=$(field max_heap_mib)
  [ "$rc" = 0 ] || fail "fill without the shim ended with exit $rc"
  run 1 fill.lua strings
  with=$(field max_heap_mib)
  [ "$rc" = 0 ] || fail "fill with the shim ended with exit $rc"
  run 1 fill.lua tables
  tables=$(field max_heap_mib)
  echo "reach: $without MiB without the shim, $with MiB with it (small tables: $tables MiB)"
  ge "$mib_1g_05" "$without" || fail "without the shim $without MiB > $mib_1g_05: is the map32only patch applied?"
  ge "$with" "$mib_2g_90" || fail "with the shim only $with MiB < $mib_2g_90"
  ;;
frag)
  # tests/lua/frag.lua (bench section 9): without the shim a MAP_32BIT-only LuaJIT
  # stops inside the kernel's window ([1 GiB, 2 GiB)); with it the live set passes
  # 1.9 GiB. Either way the live set lies in what the script reads as mapped below
  # 2 GiB at the failure, and what it reads adds up (mapped + free = the low 2 GiB).
  # The default policy hands placement to the region once the kernel's window has run
  # out (docs/design.md "Placement"): it maps at least 97 % of the low 2 GiB at the
  # failure (1987 MiB; before issue 20 it stopped at 1957-1961 with this seed's mix),
  # and its live set is region-first's within 1 % (the bench holds it to 0.5 % over
  # three seeds; one seed here, so a little room for the GC's timing).
  need map32only
  unset LJMM_POLICY
  for variant in none default region-first; do
    case $variant in
      none) run 0 frag.lua strings ;;
      default) run 1 frag.lua strings ;;
      region-first) LJMM_POLICY=region-first run 1 frag.lua strings ;;
    esac
    [ "$rc" = 0 ] || fail "frag.lua ($variant) ended with exit $rc: $result"
    live=$(field live_mib) mapped=$(field low_mapped_mib) free=$(field low_free_mib)
    echo "frag.lua strings, $variant: live set $live MiB, mapped below 2 GiB $mapped MiB, free $free MiB"
    ge "$mapped" "$live" || fail "mapped below 2 GiB $mapped MiB < live set $live MiB: $result"
    ge "$free" "$(field largest_free_mib)" || fail "largest free range > all that is free: $result"
    awk -v m="$mapped" -v f="$free" 'BEGIN { exit !(m + f > 2047 && m + f <= 2048) }' ||
      fail "mapped $mapped + free $free MiB is not the low 2 GiB: $result"
    case $variant in
      none)
        ge "$mib_1g_05" "$mapped" || fail "without the shim $mapped MiB mapped > $mib_1g_05: is the map32only patch applied?"
        ge "$live" 900 || fail "without the shim only $live MiB live" ;;
      default)
        default_live=$live
        ge "$live" 1900 || fail "with the shim only $live MiB live"
        ge "$mapped" 1987 || fail "default policy: only $mapped MiB mapped below 2 GiB at the failure (< 1987)" ;;
      region-first)
        ge "$mapped" 1987 || fail "region-first: only $mapped MiB mapped below 2 GiB at the failure (< 1987)"
        awk -v d="$default_live" -v r="$live" 'BEGIN { exit !(d >= 0.99 * r) }' ||
          fail "default policy's live set $default_live MiB < 99 % of region-first's $live MiB" ;;
    esac
  done
  ;;
musl_reach)
  # The same reach with LuaJIT built by musl-gcc (build-luajit.sh map32only-musl) and
  # started by musl's loader, the shim (built with musl-gcc too) preloaded through
  # musl's LD_PRELOAD. LJMM_STATS shows the blocks it served, so the figure is the
  # shim's and not the kernel's.
  need map32only-musl
  interp=$(LC_ALL=C readelf -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
  [[ $interp == */ld-musl-* ]] || fail "$bin is started by '$interp', not by musl's loader"
  [[ $(LC_ALL=C readelf -d "$shim") == *"Shared library: [libc.so]"* ]] ||
    fail "$shim is not a musl build (no NEEDED libc.so; configure with CC=musl-gcc)"
  run 0 fill.lua strings
  without=$(field max_heap_mib)
  [ "$rc" = 0 ] || fail "fill without the shim ended with exit $rc"
  LJMM_STATS=on run 1 fill.lua strings
  with=$(field max_heap_mib)
  [ "$rc" = 0 ] || fail "fill with the shim ended with exit $rc"
  echo "reach (musl, $interp): $without MiB without the shim, $with MiB with it (${served:-no} blocks region-served)"
  ge "$mib_1g_05" "$without" || fail "without the shim $without MiB > $mib_1g_05: is the map32only patch applied?"
  ge "$with" 2000 || fail "with the shim only $with MiB < 2000"
  [ "${served:-0}" -gt 0 ] || fail "LJMM_STATS shows no region-served block: the shim did not serve this LuaJIT"
  ;;
map32only_churn)
  # A 1.6 GiB live set churned with mixed sizes: impossible in the kernel's window.
  need map32only
  run 1 churn.lua "$live_1g_60" 6
  [ "$rc" = 0 ] || fail "churn at $live_1g_60 MiB with the shim: exit $rc"
  ;;
jit)
  # Compiled traces give the right results, also with the heap full across the whole
  # low 2 GiB (every block LuaJIT got must end below 2^31, or JIT code crashes).
  variant=${5:-map32only}
  need "$variant"
  run 1 jit.lua
  [ "$rc" = 0 ] || fail "jit.lua under the shim: exit $rc"
  run 1 jit.lua fill - 256
  [ "$rc" = 0 ] || fail "jit.lua with a full heap under the shim: exit $rc"
  filled=$(field filled_mib)
  [ "$variant" = gc64 ] || ge "$filled" "$mib_2g_90" || fail "heap filled only to $filled MiB before the JIT checks"
  ;;
nogc64_reach)
  # LuaJIT 2.1's own hint probing: the shim must reach at least as far. Both sides
  # vary from run to run: the probe hints come from LuaJIT's PRNG, seeded from
  # /dev/urandom (lj_alloc.c mmap_probe), and under the shim the kernel's first-fit
  # placement in its window leaves a few MiB of holes that differ with the GC's
  # timing. Measured here over 30 paired runs of luajit2: without the shim
  # 1903-2018 MiB (CI once saw 2021), with it 2016-2022 MiB. So the typical reach is
  # compared: the medians of five interleaved runs each way.
  need nogc64
  without_runs=() with_runs=()
  for _ in 1 2 3 4 5; do
    run 0 fill.lua strings
    [ "$rc" = 0 ] || fail "fill without the shim ended with exit $rc"
    without_runs+=("$(field max_heap_mib)")
    run 1 fill.lua strings
    [ "$rc" = 0 ] || fail "fill with the shim ended with exit $rc"
    with_runs+=("$(field max_heap_mib)")
  done
  without=$(median "${without_runs[@]}") || fail "reach without the shim: no figure in a run (${without_runs[*]})"
  with=$(median "${with_runs[@]}") || fail "reach with the shim: no figure in a run (${with_runs[*]})"
  echo "reach: median of 5 without the shim $without MiB (runs: ${without_runs[*]}), with it $with MiB (runs: ${with_runs[*]})"
  ge "$with" "$without" || fail "with the shim $with MiB < $without MiB without"
  ;;
nogc64_churn)
  # Where 2.1's probing gives up early under churn (~1.55 GiB live), the shim keeps
  # serving MAP_32BIT: a 1.9 GiB live set holds.
  need nogc64
  run 0 churn.lua "$live_1g_90" 2
  without_rc=$rc without_live=$(field max_live_mib)
  run 1 churn.lua "$live_1g_90" 4
  with_live=$(field max_live_mib)
  echo "churn: without the shim exit $without_rc at $without_live MiB live; with it exit $rc, $with_live MiB live"
  [ "$rc" = 0 ] || fail "churn at $live_1g_90 MiB with the shim: exit $rc"
  ge "$with_live" "$live_1g_90" || fail "live set only $with_live MiB"
  ;;
jit_oom)
  # Debian's LuaJIT dies with SIGSEGV when "not enough memory" is raised inside a
  # compiled trace (lj_err_mem reads a stale L->base). A 1.5 GiB fill with the JIT
  # on hits that at the kernel's 1 GiB limit; with the shim it fits, and completes.
  need map32only
  run 0 fill.lua strings 1500 jit
  without_rc=$rc
  run 1 fill.lua strings 1500 jit
  echo "JIT-on fill to 1500 MiB: exit $without_rc without the shim (139 = SIGSEGV, 2 = out of memory), $rc with it"
  [ "$without_rc" != 0 ] || fail "without the shim the 1500 MiB fill should not fit"
  [ "$rc" = 0 ] || fail "with the shim the 1500 MiB fill with the JIT on failed: exit $rc"
  ;;
oom_top)
  # Debian's non-GC64 build filling small objects to the top of memory: with the JIT
  # off it ends in a clean "not enough memory", with the JIT on it dies with SIGSEGV
  # (139) in lj_err_mem, which reads the current frame through L->base, stale while
  # a compiled trace allocates (lj_tab_dup from the trace; gdb on 2.1.0-beta3+git20220320).
  # The same must hold with the shim, ~1 GiB later: it neither causes nor hides the crash.
  need nogc64
  for with in 0 1; do
    run "$with" fill.lua tables
    if [ "$rc" != 0 ] || [ "$(field oom)" != 1 ]; then fail "JIT-off small-object fill (shim=$with): exit $rc, $result"; fi
    run "$with" fill.lua tables - jit
    if [ "$with" = 0 ]; then
      without_rc=$rc
    fi
  done
  echo "JIT-on small-object fill to the top: exit $without_rc without the shim, $rc with it (139 = SIGSEGV)"
  [ "$without_rc" = 139 ] || fail "without the shim the JIT-on fill ended with exit $without_rc, not SIGSEGV: has LuaJIT changed? (update README.md, Limits)"
  [ "$rc" = "$without_rc" ] || fail "with the shim the JIT-on fill ended with exit $rc, without it $without_rc"
  ;;
gc64_identical)
  # GC64 needs no low memory: results and exit status are the same with the shim.
  # jit.lua's traces= and heap_mib= are left out of the comparison: LuaJIT 2.1
  # seeds its PRNG from /dev/urandom and randomises trace-abort penalties
  # (lj_trace.c penalty_pc) and retry hotcounts (lj_record.c), so how many traces
  # are alive at the end, and the garbage they leave, differ between two runs
  # without the shim too (CI saw traces=13 heap_mib=49.4 once, against 4 and 25.0).
  # jit.lua itself fails (ok=0) when the JIT is on and no trace was compiled.
  need gc64
  outcome() { sed 's/ traces=[0-9]*//; s/ heap_mib=[0-9.]*//' <<<"$result"; }
  for w in "jit.lua" "fill.lua strings 1200" "fill.lua tables 600" "churn.lua 800 2"; do
    # shellcheck disable=SC2086
    run 0 $w
    a="$rc $(outcome)"
    # shellcheck disable=SC2086
    run 1 $w
    b="$rc $(outcome)"
    [ "$a" = "$b" ] || fail "$w differs: without [$a] with [$b]"
  done
  ;;
*)
  echo "usage: $0 SHIM REPO SCENARIO PKG" >&2
  exit 2
  ;;
esac
echo "$scenario ($pkg): ok"
