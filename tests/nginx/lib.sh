# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# lib.sh - helpers shared by the nginx + Lua integration tests and scripts/bench.sh
# (sourced, not run; it sources tests/lib/common.sh).
#
# Each nginx runs from a private prefix (a fresh directory under ${TMPDIR:-/tmp}), with
# a generated config, its own error log and pid file, on a free port of 127.0.0.1;
# nothing of the system nginx (service, /etc/nginx, /var/log/nginx, /var/lib/nginx) is
# used or touched. A script may run several at once: each ngx_setup makes a new prefix
# the current one, ngx_use switches back to an earlier one, and every prefix is stopped
# and checked at exit.
#
#   ngx_check_prereqs           0 if nginx, curl and the Lua module are there, else 1
#                               with the reason in NGX_WHY
#   ngx_require_prereqs         the same, exit 77 ("SKIP: ...") when something is absent
#   ngx_setup NAME              create a prefix, make it current (NGX_PREFIX); the first
#                               call installs the exit handler that stops every instance
#   ngx_use PREFIX              make an instance made by ngx_setup current again
#                               (NGX_PREFIX, NGX_PORT, NGX_ENV)
#   ngx_write_conf FILE PORT BODY   write a full config whose server{} holds BODY
#   ngx_start CONF_FN [ENV...]  start nginx (daemon on) on a free port, with ENV set
#                               (CONF_FN PORT writes the config for that port)
#   ngx_get PATH                GET http://127.0.0.1:$NGX_PORT/PATH; prints "<status> <body>"
#   ngx_workers                 the worker pids (children of the master)
#   ngx_stop [quit|term]        stop nginx and wait for every process of the prefix
#   ngx_prefix_pids             nginx processes that belong to this prefix (see below)
#   ngx_alive PID               PID runs (exists and is not a zombie)
#   ngx_test_begin NAME USAGE "$@"  the start of every test script (below)
#   ngx_pass TEXT               log "PASS: TEXT (N s)", N the seconds since ngx_test_begin
#   NGX_INFO_LOCATION           a location /info whose handler prints the workers' LuaJIT
#                               ("LuaJIT 2.1.0-beta3 gc64=false"), for a server{} body
#   ngx_expect_nongc64 LABEL    /info says non-GC64 LuaJIT 2.1.0-beta3, or fail
#   ngx_since T0                seconds since $EPOCHREALTIME was T0 ("1.25")
#   ngx_timed_get LABEL PATH MAX    GET PATH (MAX s at most) into NGX_GOT, logged with
#                               its time
#
# Settings read by ngx_write_conf and ngx_start (defaults in brackets):
#   NGX_WORKERS [2]             worker_processes, and how many workers ngx_start waits for
#   NGX_ERROR_LEVEL [info]      error_log level (the benchmark uses warn: no log line per
#                               connection)
#   NGX_WRAP [()]               a command prefix for the nginx binary, e.g. (taskset -c 0)

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

NGX_MODULES_DIR=${NGX_MODULES_DIR:-/usr/lib/nginx/modules}
NGX_BIN=""
NGX_PREFIX=""
NGX_PORT=""
NGX_LOAD_MODULES=""
NGX_ENV=()
NGX_HAS_E=0
NGX_E=()
NGX_PREFIXES=()
NGX_WHY=""
NGX_TEST_START=$SECONDS
NGX_WORKERS=${NGX_WORKERS:-2}
NGX_ERROR_LEVEL=${NGX_ERROR_LEVEL:-info}
if ! declare -p NGX_WRAP >/dev/null 2>&1; then NGX_WRAP=(); fi

# ngx_fail MSG: fail, with the end of the current instance's error log.
ngx_fail() {
  if [ -n "$NGX_PREFIX" ] && [ -s "$NGX_PREFIX/error.log" ]; then
    printf -- '--- last lines of %s ---\n' "$NGX_PREFIX/error.log"
    tail -n 20 "$NGX_PREFIX/error.log"
  fi
  fail "$@"
}

# Module file for a load_module line: the .so in NGX_MODULES_DIR, or the path a
# Debian modules-available/*.conf snippet names.
ngx_find_module() {
  local name=$1 f path
  if [ -f "$NGX_MODULES_DIR/$name.so" ]; then
    printf '%s\n' "$NGX_MODULES_DIR/$name.so"
    return 0
  fi
  for f in /usr/share/nginx/modules-available/*.conf; do
    [ -r "$f" ] || continue
    path=$(sed -n "s|^[[:space:]]*load_module[[:space:]]\{1,\}\([^;]*/$name\.so\);.*|\1|p" "$f" | sed -n 1p)
    [ -n "$path" ] || continue
    case $path in
      /*) ;;
      *) path=/usr/share/nginx/$path ;;   # relative to Debian's compiled-in prefix
    esac
    if [ -f "$path" ]; then
      printf '%s\n' "$path"
      return 0
    fi
  done
  return 1
}

ngx_check_prereqs() {
  local lua ndk
  NGX_BIN=$(command -v nginx 2>/dev/null || true)
  [ -n "$NGX_BIN" ] || { [ -x /usr/sbin/nginx ] && NGX_BIN=/usr/sbin/nginx; } ||
    { NGX_WHY="nginx is not installed (Debian: apt-get install nginx libnginx-mod-http-lua)"; return 1; }
  command -v curl >/dev/null 2>&1 || { NGX_WHY="curl is not installed (apt-get install curl)"; return 1; }
  lua=$(ngx_find_module ngx_http_lua_module) ||
    { NGX_WHY="the nginx Lua module is not installed (apt-get install libnginx-mod-http-lua)"; return 1; }
  # Debian builds the Lua module against the Nginx Development Kit, which must be
  # loaded first; other builds may have it compiled in.
  NGX_LOAD_MODULES=""
  if ndk=$(ngx_find_module ndk_http_module); then
    NGX_LOAD_MODULES="load_module $ndk;"$'\n'
  fi
  NGX_LOAD_MODULES+="load_module $lua;"
  NGX_BIN=$(readlink -f "$NGX_BIN")
  local help
  help=$("$NGX_BIN" -h 2>&1 || true)
  case $help in *"-e filename"*) NGX_HAS_E=1 ;; *) NGX_HAS_E=0 ;; esac
}

ngx_require_prereqs() { ngx_check_prereqs || skip "$NGX_WHY"; }

# ngx_test_begin NAME USAGE "$@": what every test script does first: SHIM, the library
# to preload, from its first argument (none: fail with "usage: USAGE"); exit 77 without
# nginx, curl or the Lua module; fail when SHIM is not a file; set SHIM_REAL, its real
# path as the workers' maps show it; make a prefix named NAME (ngx_setup); and start the
# clock of ngx_pass. The script reads its other arguments itself.
ngx_test_begin() {
  if [ $# -lt 3 ] || [ -z "$3" ]; then fail "usage: $2"; fi
  SHIM=$3
  ngx_require_prereqs
  [ -f "$SHIM" ] || ngx_fail "shim not found: $SHIM"
  # shellcheck disable=SC2034  # used by the scripts that source this file
  SHIM_REAL=$(ngx_realpath "$SHIM")
  ngx_setup "$1"
  NGX_TEST_START=$SECONDS
}

ngx_pass() { log "PASS: $* ($((SECONDS - NGX_TEST_START)) s)"; }

ngx_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

ngx_timed_get() {
  local t0=$EPOCHREALTIME
  NGX_GOT=$(ngx_get "$2" "$3")
  log "[$1] GET $2 -> $NGX_GOT ($(ngx_since "$t0") s)"
}

ngx_expect_nongc64() {
  local info
  info=$(ngx_get /info)
  log "[$1] /info -> $info"
  [ "$info" = "200 LuaJIT 2.1.0-beta3 gc64=false" ] ||
    ngx_fail "[$1] the workers' LuaJIT is not non-GC64 2.1.0-beta3: /info -> $info"
}

# shellcheck disable=SC2034  # used by the scripts that source this file
NGX_INFO_LOCATION='
    location = /info {
      content_by_lua_block {
        ngx.print(jit.version, " gc64=", tostring(require("ffi").abi("gc64")))
      }
    }'

# Sets NGX_E to the arguments that point nginx's start-up error log at the prefix.
# nginx before 1.19.5 (Debian 11 has 1.18.0) has no -e: it writes to its compiled-in
# log (Debian: /var/log/nginx/error.log) until the config's error_log takes over.
ngx_e_args() {
  NGX_E=()
  if [ "$NGX_HAS_E" = 1 ]; then NGX_E=(-e "$NGX_PREFIX/error.log"); fi
}

# Real path of a shared library given on the command line (maps show real paths).
ngx_realpath() { readlink -f "$1" 2>/dev/null || printf '%s\n' "$1"; }

ngx_setup() {
  local name=$1
  [ "${#NGX_PREFIXES[@]}" -gt 0 ] || on_exit ngx_cleanup
  NGX_PREFIX=$(mktemp -d "${TMPDIR:-/tmp}/ljmm-nginx-$name.XXXXXX") || fail "mktemp -d failed"
  NGX_PREFIXES+=("$NGX_PREFIX")
  NGX_PORT="" NGX_ENV=()
  # Workers run as "nobody" when started by root: let them into the prefix.
  chmod 755 "$NGX_PREFIX"
  mkdir -p "$NGX_PREFIX/logs" "$NGX_PREFIX/tmp"
}

# ngx_use PREFIX: the instance ngx_setup made there becomes the current one.
ngx_use() {
  NGX_PREFIX=$1 NGX_PORT="" NGX_ENV=()
  [ ! -s "$1/port" ] || NGX_PORT=$(<"$1/port")
  [ ! -s "$1/env" ] || mapfile -d '' -t NGX_ENV <"$1/env"
}

# Every nginx process of this prefix. Workers are retitled "nginx: worker process"
# and do not carry the prefix on their command line, so a process counts when its
# executable is the nginx binary and either its command line names the prefix (the
# master) or one of its open files lies under the prefix (every process holds the
# error log open). Orphaned workers are found too, whatever their parent.
ngx_prefix_pids() {
  local d pid exe fd link
  [ -n "$NGX_PREFIX" ] || return 0
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    exe=$(readlink "$d/exe" 2>/dev/null) || continue
    [ "$exe" = "$NGX_BIN" ] || continue
    if tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -F -- "$NGX_PREFIX" >/dev/null; then
      printf '%s\n' "$pid"
      continue
    fi
    for fd in "$d"/fd/*; do
      link=$(readlink "$fd" 2>/dev/null) || continue
      case $link in
        "$NGX_PREFIX"/*) printf '%s\n' "$pid"; break ;;
      esac
    done
  done
  return 0
}

# ngx_alive PID: the process exists and is not a zombie (a daemonized master is
# reaped by init, which may take a moment after it has exited).
ngx_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

ngx_master() {
  local pid
  [ -s "$NGX_PREFIX/nginx.pid" ] || return 1
  pid=$(<"$NGX_PREFIX/nginx.pid")
  [ -n "$pid" ] && ngx_alive "$pid" || return 1
  printf '%s\n' "$pid"
}

ngx_workers() {
  local m
  m=$(ngx_master) || return 0
  pgrep -P "$m" || true
}

# Wait up to $1 seconds until no process of the prefix is left.
ngx_wait_gone() {
  local limit=$1 i=0
  while [ -n "$(ngx_prefix_pids)" ]; do
    i=$((i + 1))
    [ "$i" -le $((limit * 10)) ] || return 1
    sleep 0.1
  done
  return 0
}

# Stop nginx: "quit" (graceful, nginx -s quit) or "term" (fast, SIGTERM to every
# process); SIGKILL whatever is left after 10 s. Returns 1 if a KILL was needed.
ngx_stop() {
  local how=${1:-term} m pids rc=0
  m=$(ngx_master) || m=""
  if [ "$how" = quit ] && [ -n "$m" ]; then
    ngx_e_args
    "${NGX_ENV[@]}" "$NGX_BIN" -p "$NGX_PREFIX" -c "$NGX_PREFIX/nginx.conf" "${NGX_E[@]}" -s quit 2>/dev/null || true
  else
    pids=$(ngx_prefix_pids)
    # shellcheck disable=SC2086  # word splitting of the pid list is intended
    [ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
  fi
  if ! ngx_wait_gone 10; then
    pids=$(ngx_prefix_pids)
    log "nginx processes still running after 10 s, sending KILL: $(tr '\n' ' ' <<<"$pids")"
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    ngx_wait_gone 5 || true
    rc=1
  fi
  return "$rc"
}

# Exit handler (common.sh on_exit): stop every instance, fail if any process of a
# prefix survives, remove the prefixes (kept when the script failed, for their logs).
ngx_cleanup() {
  local p left
  for p in "${NGX_PREFIXES[@]}"; do
    ngx_use "$p"
    ngx_stop term >&2 || true
    left=$(ngx_prefix_pids)
    if [ -n "$left" ]; then
      printf 'FAIL: nginx processes of %s still running: %s\n' "$p" "$(tr '\n' ' ' <<<"$left")"
      LJMM_EXIT_STATUS=1
    fi
  done
  for p in "${NGX_PREFIXES[@]}"; do
    if [ "$LJMM_EXIT_STATUS" -eq 0 ]; then
      rm -rf "$p"
    else
      printf 'prefix kept for inspection: %s\n' "$p"
    fi
  done
}

# ngx_write_conf FILE PORT SERVER_BODY [HTTP_EXTRA]
ngx_write_conf() {
  local file=$1 port=$2 body=$3 extra=${4:-} p=$NGX_PREFIX
  cat >"$file.new" <<EOF
# generated by tests/nginx (ljmm); prefix $p
$NGX_LOAD_MODULES
worker_processes $NGX_WORKERS;
master_process on;
error_log $p/error.log $NGX_ERROR_LEVEL;
pid $p/nginx.pid;
lock_file $p/nginx.lock;
events { worker_connections 256; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 100000;
  client_body_temp_path $p/tmp/body;
  proxy_temp_path $p/tmp/proxy;
  fastcgi_temp_path $p/tmp/fastcgi;
  uwsgi_temp_path $p/tmp/uwsgi;
  scgi_temp_path $p/tmp/scgi;
$extra
  server {
    listen 127.0.0.1:$port;
    server_name localhost;
$body
  }
}
EOF
  mv "$file.new" "$file"
}

# ngx_start CONF_FN [VAR=value...]: start nginx as a daemon with the given
# environment (e.g. LD_PRELOAD=...), behind NGX_WRAP. CONF_FN PORT must write
# $NGX_PREFIX/nginx.conf. Tries random ports in 20000-59999 until one binds (nginx binds
# before it daemonizes, so its exit status tells); sets NGX_PORT. Waits for NGX_WORKERS
# workers.
ngx_start() {
  local conf_fn=$1 try port out i
  shift
  NGX_ENV=(env "$@")
  printf '%s\0' "${NGX_ENV[@]}" >"$NGX_PREFIX/env"
  ngx_e_args
  for try in $(seq 1 30); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    "$conf_fn" "$port"
    if out=$("${NGX_ENV[@]}" "${NGX_WRAP[@]}" "$NGX_BIN" -p "$NGX_PREFIX" -c "$NGX_PREFIX/nginx.conf" \
             "${NGX_E[@]}" 2>&1); then
      NGX_PORT=$port
      echo "$port" >"$NGX_PREFIX/port"
      for i in $(seq 1 100); do
        [ "$(ngx_workers | wc -l)" -ge "$NGX_WORKERS" ] && return 0
        sleep 0.1
      done
      ngx_fail "nginx started on port $port but its $NGX_WORKERS workers did not appear"
    fi
    if grep -q "Address already in use" <<<"$out" ||
       grep -qs "Address already in use" "$NGX_PREFIX/error.log"; then
      log "port $port is busy (try $try), trying another"
      : >"$NGX_PREFIX/error.log"
      continue
    fi
    log "$out"
    ngx_fail "nginx did not start (see above)"
  done
  ngx_fail "no free port found in 30 tries"
}

# ngx_get PATH [MAX_TIME]: prints "<http status> <body>" (body without its final newline).
ngx_get() {
  local path=$1 max=${2:-10} out
  out=$(curl -sS --max-time "$max" -o - -w '\n%{http_code}' "http://127.0.0.1:$NGX_PORT$path" 2>&1) || true
  # Last line is the status; everything before it the body.
  printf '%s %s\n' "${out##*$'\n'}" "${out%$'\n'*}"
}

# ngx_expect PATH STATUS BODY: one request, exact status and body, or fail.
ngx_expect() {
  local path=$1 status=$2 body=$3 got
  got=$(ngx_get "$path")
  if [ "$got" != "$status $body" ]; then
    ngx_fail "GET $path: expected '$status $body', got '$got'"
  fi
  log "ok   GET $path -> $status $body"
}

# ngx_maps_have PID PATH: PATH (a real path) is mapped in process PID.
ngx_maps_have() {
  awk -v f="$2" '$6 == f { found = 1 } END { exit !found }' "/proc/$1/maps" 2>/dev/null
}
