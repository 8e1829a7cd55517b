#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nginx_link: nginx built from Debian's sources with lua-nginx-module compiled in, against
# the MAP_32BIT-only luajit2 linked statically, and the shim linked in through
# --with-ld-opt as docs/deploy.md says (scripts/build-nginx-link.sh: the objects are
# cached, the two binaries linked here with BUILD's current ljmm.o). No LD_PRELOAD but
# where said:
#   - linked, LJMM_STATS=on: one request keeps 1 MiB strings until the worker's Lua heap
#     holds MIB MiB (default 1946, 1.9 GiB) and answers 200 with the figure; ljmm-maps
#     (LJMM_MAPS, default BUILD/tools/ljmm-maps) on the worker then says "shim": "linked"
#     with its live counters (region_served > 0); every process writes its exit report;
#   - the same link line without the link form: the Lua VM fails ("not enough memory",
#     500) near 1 GiB;
#   - linked and LD_PRELOAD=SHIM as well: the preloaded copy says it stands aside, each
#     process writes one exit report, and the worker's heap still grows past 1 GiB.
#
# Usage: link.sh SHIM BUILD REPO_ROOT [MIB=1946]
# Exit 0 pass, 1 fail, 77 skip (curl absent, or nginx not built by
# scripts/build-nginx-link.sh build BUILD, which scripts/test.sh runs).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

[ $# -ge 3 ] || fail "usage: link.sh SHIM BUILD REPO_ROOT [MIB]"
SHIM=$1 BUILD=$2 ROOT=$3 WANT_MIB=${4:-1946} MAPS=${LJMM_MAPS:-$2/tools/ljmm-maps}
[ -x "$MAPS" ] || fail "ljmm-maps not found: $MAPS"
[ -f "$SHIM" ] || fail "shim not found: $SHIM"
need_cmd curl curl
need_cmd readelf binutils
bash "$ROOT/scripts/build-nginx-link.sh" --print >/dev/null ||
  skip "nginx with the link form is not built (scripts/build-nginx-link.sh build $BUILD; scripts/test.sh runs it)"
make_tmpdir OUT nginx-link-bin keep
bash "$ROOT/scripts/build-nginx-link.sh" link "$BUILD" "$OUT" || fail "linking nginx with $BUILD's ljmm.o failed"

# What docs/deploy.md tells operators to check: the note is in the linked binary only.
# (Into a variable first: grep -q ending the pipe early would fail it under pipefail.)
notes=$(readelf -n "$OUT/nginx-link")
[[ $notes == *.note.ljmm* ]] || fail "readelf -n nginx-link shows no .note.ljmm"
notes=$(readelf -n "$OUT/nginx-nolink")
[[ $notes != *.note.ljmm* ]] || fail "nginx-nolink has a .note.ljmm: the link form is in"

# The binary is ours: nothing to load_module, and nginx 1.22 has -e.
NGX_LOAD_MODULES="" NGX_HAS_E=1 NGX_WORKERS=1
ngx_setup link
NGX_TEST_START=$SECONDS

write_conf() {
  ngx_write_conf "$NGX_PREFIX/nginx.conf" "$1" "$NGX_INFO_LOCATION"'
    location = /fill {
      content_by_lua_block {
        -- The interpreter: LuaJIT 2.1 crashes when "not enough memory" is raised
        -- inside a compiled trace.
        jit.off()
        local want, MIB = tonumber(ngx.var.arg_mib), 1024 * 1024
        local rep, fmt = string.rep, string.format
        -- 4 MiB set aside, freed once memory has run out, for the answer.
        local spare = rep("s", 4 * MIB)
        local keep = {}
        local ok, err = pcall(function()
          while collectgarbage("count") < want * 1024 do
            keep[#keep + 1] = rep(fmt("%07x;", #keep), MIB / 8)
          end
        end)
        local heap = collectgarbage("count") / 1024
        spare = nil
        local n = #keep
        keep = nil
        collectgarbage()
        if not ok then ngx.status = 500 end
        ngx.print(ok and "OK" or "ERR", fmt(" heap_mib=%.0f strings=%d", heap, n),
                  ok and "" or " err=" .. tostring(err))
      }
    }'
}

heap_of() { sed -n 's/^[0-9]* [A-Z]* heap_mib=\([0-9]*\) .*/\1/p' <<<"$1"; }

# run LABEL BINARY [VAR=value...]: start BINARY (one worker) with that environment and
# LJMM_LOG_FILE in the prefix, GET /fill?mib=FILL, quit; RESULT is "<status> <body>".
run() {
  local label=$1
  NGX_BIN=$2
  shift 2
  : >"$NGX_PREFIX/ljmm.log"
  ngx_start write_conf "LJMM_LOG_FILE=$NGX_PREFIX/ljmm.log" "$@"
  PIDS="$(ngx_master) $(ngx_workers | tr '\n' ' ')"
  log "[$label] $NGX_BIN, master and worker $PIDS, env: $*"
  ngx_expect_nongc64 "$label"
  ngx_timed_get "$label" "/fill?mib=$FILL" 120
  RESULT=$NGX_GOT
  # What docs/deploy.md tells operators to look at in a running nginx: ljmm-maps on the
  # worker says the shim is linked in and shows its live counters.
  if [ "$label" = linked ]; then
    local w json
    w=$(ngx_workers | sed -n 1p)
    json=$("$MAPS" --json "$w") || ngx_fail "[$label] ljmm-maps --json $w failed"
    printf '%s\n' "$json" >"$OUT/$label.maps.json"
    [[ $json == *'"shim":"linked"'* ]] || LJMM_FAIL_SHOW="$OUT/$label.maps.json" ngx_fail "[$label] ljmm-maps does not say the shim is linked in"
    [[ $json == *'"counters":{"status":"active"'* ]] ||
      LJMM_FAIL_SHOW="$OUT/$label.maps.json" ngx_fail "[$label] ljmm-maps did not read the linked copy's counters"
    MAPS_SERVED=$(sed -n 's/.*"region_served":\([0-9]*\).*/\1/p' <<<"$json")
    [ "${MAPS_SERVED:-0}" -gt 0 ] || LJMM_FAIL_SHOW="$OUT/$label.maps.json" ngx_fail "[$label] ljmm-maps: region_served=${MAPS_SERVED:-none}"
    log "[$label] ljmm-maps $w: shim linked, counters active, region_served=$MAPS_SERVED"
  fi
  if grep -E 'exited on signal|\[(alert|emerg)\]' "$NGX_PREFIX/error.log"; then
    ngx_fail "[$label] a worker crashed or nginx raised an alert"
  fi
  ngx_stop quit || ngx_fail "[$label] nginx did not quit within 10 s"
  cp "$NGX_PREFIX/ljmm.log" "$OUT/$label.ljmm.log"
  cp "$NGX_PREFIX/error.log" "$OUT/$label.error.log"
  : >"$NGX_PREFIX/error.log"
}

# reports LABEL: the master and the worker of run LABEL wrote one exit report each (the
# constructor read LJMM_STATS, the destructor ran; two would mean two copies served).
reports() {
  local f=$OUT/$1.ljmm.log pid n
  for pid in $PIDS; do
    n=$(grep -c "ljmm\[$pid\]: calls: " "$f" || true)
    [ "$n" = 1 ] || LJMM_FAIL_SHOW=$f ngx_fail "[$1] process $pid wrote $n exit reports, expected 1"
  done
}

FILL=$WANT_MIB
run linked "$OUT/nginx-link" LJMM_STATS=on
linked=$RESULT linked_heap=$(heap_of "$RESULT")
case $linked in
  "200 OK heap_mib="*) ;;
  *) LJMM_FAIL_SHOW="$OUT/linked.error.log" ngx_fail "linked: expected 200 OK at $WANT_MIB MiB, got '$linked'" ;;
esac
[ "${linked_heap:-0}" -ge "$WANT_MIB" ] || ngx_fail "linked: heap $linked_heap MiB < $WANT_MIB MiB"
reports linked

run alone "$OUT/nginx-nolink"
alone=$RESULT alone_heap=$(heap_of "$RESULT")
case $alone in
  "500 ERR heap_mib="*"not enough memory"*) ;;
  *) ngx_fail "without the link form: expected 500 with 'not enough memory', got '$alone'" ;;
esac
[ "$alone_heap" -ge 800 ] && [ "$alone_heap" -le 1100 ] ||
  ngx_fail "without the link form the heap stopped at $alone_heap MiB, not near 1 GiB: is luajit2/map32only MAP_32BIT-only?"

# Preloaded as well: the linked copy serves, the preloaded one stands aside.
FILL=1300
run both "$OUT/nginx-link" LJMM_STATS=on "LD_PRELOAD=$SHIM"
both=$RESULT
grep -q 'ljmm\[[0-9]*\]: .*stands aside' "$OUT/both.ljmm.log" ||
  LJMM_FAIL_SHOW="$OUT/both.ljmm.log" ngx_fail "linked and preloaded: no copy stood aside"
reports both
case $both in
  "200 OK heap_mib="*) ;;
  *) ngx_fail "linked and preloaded: expected 200 OK at $FILL MiB, got '$both'" ;;
esac

log "RESULT nginx_link: linked ${linked_heap} MiB (200), without the link form ${alone_heap} MiB (not enough memory), linked and preloaded $(heap_of "$both") MiB, one copy served"
ngx_pass "nginx_link: ${linked_heap} MiB linked, ${alone_heap} MiB without the link form"
