#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nginx_reload: nginx under LD_PRELOAD=<shim> survives configuration reloads.
#
# Usage: reload.sh SHIM [RELOADS=3]
# Starts nginx, serves a Lua handler whose text names a generation, then RELOADS
# times: rewrites the config with the next generation, runs nginx -s reload,
# and checks that the new text is served, that the master is the same, that
# every old worker exits and that two new workers (with the shim mapped) serve.
# Ends with nginx -s quit and checks that the master and every worker are gone.
# Exit 0 pass, 1 fail, 77 skip (nginx, curl or the Lua module absent).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

ngx_test_begin reload 'reload.sh SHIM [RELOADS]' "$@"
RELOADS=${2:-3}
GEN=0

write_conf() {
  ngx_write_conf "$NGX_PREFIX/nginx.conf" "$1" "
    location = /gen {
      content_by_lua_block {
        local t = {}
        for i = 1, 1000 do t[i] = i end
        ngx.print(\"generation $GEN sum=\", table.concat(t, \"+\"):len(), \" pid=\", ngx.worker.pid())
      }
    }"
}

# The body /gen must give for generation $1 (the pid follows).
expected() { printf '200 generation %s sum=3892 pid=' "$1"; }

now() { printf '%s' "$EPOCHREALTIME"; }

# check_workers GEN: two workers, each with the shim mapped; sets WORKERS.
check_workers() {
  local w
  mapfile -t WORKERS < <(ngx_workers)
  [ "${#WORKERS[@]}" -eq 2 ] || ngx_fail "generation $1: expected 2 workers, found ${#WORKERS[@]} (${WORKERS[*]})"
  for w in "${WORKERS[@]}"; do
    ngx_maps_have "$w" "$SHIM_REAL" || ngx_fail "generation $1: worker $w has not mapped $SHIM_REAL"
  done
}

# serve_check GEN: 20 requests, each answered with GEN's text by a current worker.
serve_check() {
  local i got pid
  for i in $(seq 1 20); do
    got=$(ngx_get /gen)
    [ "${got%pid=*}pid=" = "$(expected "$1")" ] || ngx_fail "generation $1: GET /gen -> '$got'"
    pid=${got##*pid=}
    case " ${WORKERS[*]} " in
      *" $pid "*) ;;
      *) ngx_fail "generation $1: answered by pid $pid, not a current worker (${WORKERS[*]})" ;;
    esac
    : "$i"
  done
}

ngx_start write_conf "LD_PRELOAD=$SHIM"
master=$(ngx_master)
log "nginx master $master on 127.0.0.1:$NGX_PORT, prefix $NGX_PREFIX, LD_PRELOAD=$SHIM"
check_workers 0
serve_check 0
log "ok   generation 0 served by workers ${WORKERS[*]} (shim mapped)"

for GEN in $(seq 1 "$RELOADS"); do
  old=("${WORKERS[@]}")
  write_conf "$NGX_PORT"
  t0=$(now)
  "${NGX_ENV[@]}" "$NGX_BIN" -p "$NGX_PREFIX" -c "$NGX_PREFIX/nginx.conf" -e "$NGX_PREFIX/error.log" -s reload ||
    ngx_fail "nginx -s reload failed (generation $GEN)"
  # The new text must be served within 10 s ...
  for i in $(seq 1 100); do
    got=$(ngx_get /gen)
    [ "${got%pid=*}pid=" = "$(expected "$GEN")" ] && break
    [ "$i" -lt 100 ] || ngx_fail "generation $GEN not served 10 s after the reload: '$got'"
    sleep 0.1
  done
  t_served=$(ngx_since "$t0")
  # ... and every old worker must be gone within 10 s.
  for i in $(seq 1 100); do
    alive=()
    for w in "${old[@]}"; do
      ! ngx_alive "$w" || alive+=("$w")
    done
    [ "${#alive[@]}" -gt 0 ] || break
    [ "$i" -lt 100 ] || ngx_fail "old workers ${alive[*]} still running 10 s after reload $GEN"
    sleep 0.1
  done
  t_gone=$(ngx_since "$t0")
  [ "$(ngx_master)" = "$master" ] || ngx_fail "the master changed across reload $GEN"
  check_workers "$GEN"
  for w in "${WORKERS[@]}"; do
    case " ${old[*]} " in *" $w "*) ngx_fail "worker $w survived reload $GEN" ;; esac
  done
  serve_check "$GEN"
  log "ok   reload $GEN: new text served after ${t_served} s, old workers ${old[*]} gone after ${t_gone} s, new workers ${WORKERS[*]} (shim mapped) served 20/20"
done

grep -E 'exited on signal|\[(alert|emerg)\]' "$NGX_PREFIX/error.log" && ngx_fail "a worker crashed or nginx raised an alert"
reconf=$(grep -c '\] [0-9]*#[0-9]*: reconfiguring$' "$NGX_PREFIX/error.log" || true)
[ "$reconf" -eq "$RELOADS" ] || ngx_fail "error log shows $reconf reconfigurations, expected $RELOADS"

# Graceful quit: the master and every worker must go.
last=("$master" "${WORKERS[@]}")
t0=$(now)
"${NGX_ENV[@]}" "$NGX_BIN" -p "$NGX_PREFIX" -c "$NGX_PREFIX/nginx.conf" -e "$NGX_PREFIX/error.log" -s quit ||
  ngx_fail "nginx -s quit failed"
ngx_wait_gone 10 || ngx_fail "nginx processes left 10 s after quit: $(ngx_prefix_pids | tr '\n' ' ')"
for p in "${last[@]}"; do
  ! ngx_alive "$p" || ngx_fail "process $p still alive after quit"
done
[ ! -e "$NGX_PREFIX/nginx.pid" ] || ngx_fail "pid file left after quit"
log "ok   nginx -s quit: master $master and workers ${WORKERS[*]} gone after $(ngx_since "$t0") s"
ngx_pass "nginx_reload: $RELOADS reloads, $((20 * (RELOADS + 1))) requests each answered by the current generation"
