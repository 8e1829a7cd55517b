#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nginx_big_table_map32only: with OpenResty's LuaJIT built non-GC64 and
# MAP_32BIT-only (scripts/build-luajit.sh, luajit2/map32only) loaded into nginx
# through LD_LIBRARY_PATH, one request builds a table of MIB distinct 1 MiB
# strings. Without the shim it must fail with "not enough memory" (the kernel's
# MAP_32BIT window holds ~1 GiB); with LD_PRELOAD=SHIM it must reach MIB.
#
# Usage: big_table_map32only.sh SHIM REPO_ROOT [MIB=1500]
# Exit 0 pass, 1 fail, 77 skip (nginx, curl, the Lua module or the map32only
# luajit2 build absent).
#
# The handler runs with the JIT off (jit.off()): Debian's LuaJIT 2.1 and
# luajit2 crash (SIGSEGV in lj_err_mem, which reads the frame through a stale
# L->base) when "not enough memory" is raised inside a compiled trace; with the
# interpreter the error stays a clean Lua error that pcall catches.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

ngx_test_begin bigtable 'big_table_map32only.sh SHIM REPO_ROOT [MIB]' "$@"
ROOT=${2:?usage: big_table_map32only.sh SHIM REPO_ROOT [MIB]}
WANT_MIB=${3:-1500}

luajit=$("$ROOT/scripts/build-luajit.sh" --print luajit2 2>/dev/null |
         awk '$1 == "luajit2/map32only" { print $2 }') || true
[ -n "$luajit" ] || skip "luajit2/map32only is not built (run scripts/build-luajit.sh)"
LJ_LIBDIR=$(cd "$(dirname "$luajit")/../lib" 2>/dev/null && pwd -P) ||
  skip "luajit2/map32only has no lib/ directory next to $luajit"
[ -e "$LJ_LIBDIR/libluajit-5.1.so.2" ] || skip "no $LJ_LIBDIR/libluajit-5.1.so.2"

write_conf() {
  ngx_write_conf "$NGX_PREFIX/nginx.conf" "$1" "$NGX_INFO_LOCATION"'
    location = /big {
      content_by_lua_block {
        -- Interpreter only: LuaJIT crashes when OOM is raised inside a trace.
        jit.off()
        local want = tonumber(ngx.var.arg_mib)
        local MIB = 1024 * 1024
        local fmt, rep, sub = string.format, string.rep, string.sub
        -- Set aside 8 MiB of small tables, freed once memory has run out so the
        -- read-back and the response can still allocate.
        local reserve = {}
        for i = 1, 256 do
          local r = {}
          for j = 1, 4096 do r[j] = j end
          reserve[i] = r
        end
        local t = {}
        local ok, err = pcall(function()
          for i = 1, want do t[i] = rep(fmt("%08x", i), MIB / 8) end
        end)
        local heap = collectgarbage("count") / 1024
        reserve = nil
        collectgarbage()
        local n, bad = #t, 0
        for i = 1, n do
          local s, p = t[i], fmt("%08x", i)
          if #s ~= MIB or sub(s, 1, 8) ~= p or sub(s, -8) ~= p
             or sub(s, MIB / 2 + 1, MIB / 2 + 8) ~= p then
            bad = bad + 1
          end
        end
        -- Address space this worker has mapped below 2 GiB.
        local low = 0
        local f = io.open("/proc/self/maps", "r")
        if f then
          for l in f:lines() do
            local a, b = l:match("^(%x+)%-(%x+)")
            a, b = tonumber(a, 16), tonumber(b, 16)
            if a < 2^31 then low = low + (math.min(b, 2^31) - a) end
          end
          f:close()
        end
        t = nil
        collectgarbage()
        if not ok then ngx.status = 500 end
        ngx.print(ok and "OK" or "ERR", " mib=", n, " bad=", bad,
                  string.format(" heap_mib=%.0f low_mapped_mib=%.0f", heap, low / MIB),
                  ok and "" or " err=" .. tostring(err))
      }
    }'
}

# check_workers: both workers mapped the map32only libluajit and no other one.
check_workers() {
  local w libs others
  mapfile -t ws < <(ngx_workers)
  [ "${#ws[@]}" -eq 2 ] || ngx_fail "expected 2 workers, found ${#ws[@]}"
  for w in "${ws[@]}"; do
    libs=$(awk '$6 ~ /libluajit/ { print $6 }' "/proc/$w/maps" | sort -u)
    [ -n "$libs" ] || ngx_fail "worker $w has no libluajit mapped"
    others=$(grep -v "^$LJ_LIBDIR/" <<<"$libs" || true)
    [ -z "$others" ] || ngx_fail "worker $w mapped another libluajit: $others (wanted $LJ_LIBDIR)"
    log "ok   worker $w maps $libs"
  done
}

# run LABEL [VAR=value...]: start nginx with that environment, request /big,
# stop nginx; sets RESULT ("<status> <body>") and SHIM_MAPPED (yes/no).
run() {
  local label=$1 w
  shift
  ngx_start write_conf "LD_LIBRARY_PATH=$LJ_LIBDIR" "$@"
  log "[$label] nginx master $(ngx_master) on 127.0.0.1:$NGX_PORT, env: LD_LIBRARY_PATH=$LJ_LIBDIR $*"
  check_workers
  ngx_expect_nongc64 "$label"
  ngx_timed_get "$label" "/big?mib=$WANT_MIB" 50
  RESULT=$NGX_GOT
  if [ -n "${EXTRA_MIB:-}" ]; then
    # Informational: how far a worker gets until "not enough memory".
    ngx_timed_get "$label" "/big?mib=$EXTRA_MIB" 50
    EXTRA=$NGX_GOT
  fi
  SHIM_MAPPED=yes
  for w in $(ngx_workers); do
    ngx_maps_have "$w" "$SHIM_REAL" || SHIM_MAPPED=no
  done
  log "[$label] shim $SHIM_REAL mapped in the workers: $SHIM_MAPPED"
  # Both workers must have survived the request (no crash in the allocator).
  grep -E 'exited on signal|\[(alert|emerg)\]' "$NGX_PREFIX/error.log" &&
    ngx_fail "[$label] a worker crashed or nginx raised an alert"
  ngx_stop quit || ngx_fail "[$label] nginx did not quit within 10 s"
  : >"$NGX_PREFIX/error.log"
}

mib_of() { sed -n 's/^[0-9]* [A-Z]* mib=\([0-9]*\) .*/\1/p' <<<"$1"; }

EXTRA="" EXTRA_MIB=""
run "without shim"
without=$RESULT
EXTRA_MIB=2100
run "with shim" "LD_PRELOAD=$SHIM"
with=$RESULT
max_with=$(mib_of "$EXTRA")
mib_without=$(mib_of "$without")
mib_with=$(mib_of "$with")

log "RESULT map32only luajit2 in nginx, $WANT_MIB x 1 MiB strings: without shim ${mib_without:-?} MiB, with LD_PRELOAD=shim ${mib_with:-?} MiB (until OOM: ${max_with:-?} MiB)"
case $without in
  "500 ERR mib="*" bad=0 "*"not enough memory"*) ;;
  "200 OK"*) ngx_fail "without the shim the table reached $WANT_MIB MiB: is the build really MAP_32BIT-only?" ;;
  *) ngx_fail "without the shim: expected 500 with 'not enough memory', got '$without'" ;;
esac
case $with in
  "200 OK mib=$WANT_MIB bad=0 "*) ;;
  *) ngx_fail "with LD_PRELOAD=$SHIM: expected 200 OK mib=$WANT_MIB bad=0, got '$with'" ;;
esac
[ "$SHIM_MAPPED" = yes ] || ngx_fail "the shim was not mapped in the workers"
case $EXTRA in
  "500 ERR mib="*" bad=0 "*"not enough memory"* | "200 OK mib=2100 bad=0 "*) ;;
  *) ngx_fail "with the shim, filling until OOM: got '$EXTRA'" ;;
esac
ngx_pass "nginx_big_table_map32only: ${mib_without} MiB without the shim (not enough memory), ${mib_with} MiB with it, ${max_with} MiB until OOM"
