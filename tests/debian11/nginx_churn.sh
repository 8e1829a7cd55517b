#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# debian11_nginx_churn: the distribution's own nginx and Lua module (Debian 11:
# nginx-light 1.18.0 and libnginx-mod-http-lua on the stock non-GC64 LuaJIT 2.1.0~beta3)
# serve one request that churns: it allocates small tables and strings of up to 1 MiB,
# dropping every fourth object it holds, until the Lua heap (collectgarbage("count"))
# reaches MIB, then checks every object it still holds and answers with its figures.
#
# Without the shim the worker's Lua VM runs out of memory first, near 1.5 GiB: this
# handler's error is caught ("lua entry thread aborted: memory allocation error: not
# enough memory", HTTP 500); other handlers on stock bullseye have seen the VM die
# ("lua atpanic: Lua VM crashed, reason: not enough memory", no answer at all). Either
# way the arm must fail and the error log must name the memory. With LD_PRELOAD=SHIM
# the answer must come, correct, and the error log must show no panic, no memory error
# and no crashed worker. Both arms run; the test fails if
# the one without the shim succeeds (then it would prove nothing).
#
# Usage: nginx_churn.sh SHIM [MIB=1946]   (1946 MiB = 1.9 GiB)
# Exit 0 pass, 1 fail, 77 skip (nginx, curl or the Lua module absent).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../nginx/lib.sh
. "$HERE/../nginx/lib.sh"

ngx_test_begin churn 'nginx_churn.sh SHIM [MIB]' "$@"
WANT_MIB=${2:-1946}

# The handler, pasted in (see the file for why).
CHURN_LUA=$(sed 's/^/        /' "$HERE/../nginx/churn_handler.lua")
write_conf() {
  ngx_write_conf "$NGX_PREFIX/nginx.conf" "$1" "$NGX_INFO_LOCATION"'
    location = /churn {
      content_by_lua_block {
'"$CHURN_LUA"'
      }
    }'
}

# run LABEL [VAR=value...]: nginx with that environment, one /churn request, stop;
# sets RESULT ("<status> <body>") and PANIC (the error log's panic and crash lines).
run() {
  local label=$1
  shift
  : >"$NGX_PREFIX/error.log"
  ngx_start write_conf "$@"
  log "[$label] nginx master $(ngx_master) on 127.0.0.1:$NGX_PORT, env: ${*:-(none)}"
  ngx_expect_nongc64 "$label"
  ngx_timed_get "$label" "/churn?mib=$WANT_MIB" 150
  RESULT=$NGX_GOT
  # The worker that crashed has been replaced; give the master a moment to log it.
  sleep 0.5
  PANIC=$(grep -E 'atpanic|not enough memory|exited on signal' "$NGX_PREFIX/error.log" || true)
  [ -z "$PANIC" ] || log "[$label] error log: $PANIC"
  ngx_stop quit || ngx_fail "[$label] nginx did not quit within 10 s"
}

heap_of() { sed -n 's/^200 OK heap_mib=\([0-9.]*\) .*/\1/p' <<<"$1"; }

run "without shim"
without=$RESULT without_panic=$PANIC
run "with shim" "LD_PRELOAD=$SHIM"
with=$RESULT with_panic=$PANIC

case $without in
  "200 OK "*) ngx_fail "without the shim the request was answered ($without): the heap target proves nothing here" ;;
esac
grep -E 'atpanic.*not enough memory|not enough memory' <<<"$without_panic" >/dev/null ||
  ngx_fail "without the shim the request failed ($without) but not for memory: error log '${without_panic:-nothing}'"
case $with in
  "200 OK heap_mib="*" bad=0") ;;
  *) ngx_fail "with the shim: expected '200 OK heap_mib=... bad=0', got '$with'" ;;
esac
awk -v h="$(heap_of "$with")" -v w="$WANT_MIB" 'BEGIN { exit !(h >= w) }' ||
  ngx_fail "with the shim the heap reached only $(heap_of "$with") MiB"
[ -z "$with_panic" ] || ngx_fail "with the shim the error log shows: $with_panic"
log "PASS: debian11_nginx_churn: without the shim HTTP ${without%% *}, error log: ${without_panic%%$'\n'*}"
ngx_pass "debian11_nginx_churn: with the shim $with, no panic"
