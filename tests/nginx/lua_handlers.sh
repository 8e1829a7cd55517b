#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nginx_lua_handlers: nginx under LD_PRELOAD=<shim> serves Lua handlers correctly.
#
# Usage: lua_handlers.sh SHIM [REQUESTS=2000]
# Checks the exact status and body of five content_by_lua_block handlers (string
# ops, table.sort, ngx.var arguments, a JSON-like concatenation, a JIT-heavy
# loop), that the shim is mapped in both workers, then sends REQUESTS requests
# (4 curl clients in parallel, a new connection per request) to a summing
# handler and checks every response. Exit 0 pass, 1 fail, 77 skip (nginx, curl or the Lua module absent).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

ngx_test_begin handlers 'lua_handlers.sh SHIM [REQUESTS]' "$@"
REQUESTS=${2:-2000}
CLIENTS=4

write_conf() {
  ngx_write_conf "$NGX_PREFIX/nginx.conf" "$1" '
    location = /str {
      content_by_lua_block {
        local s = "Hello, ljmm"
        local g, n = s:gsub("l", "L")
        ngx.print(s:upper(), "|", s:reverse(), "|", g, " ", n, "|", #s, "|",
                  (s:find("ljmm", 1, true)), "|", string.format("%05.1f", 3.14159), "|",
                  s:sub(-4), "|", (s:match("(%a+),")), "|", string.byte(s, 1))
      }
    }
    location = /sort {
      content_by_lua_block {
        local w = { "pear", "apple", "fig", "banana", "cherry" }
        table.sort(w)
        local n = { 5, 3, 9, 1, 7, 2 }
        table.sort(n, function(a, b) return a > b end)
        ngx.print(table.concat(w, ","), ";", table.concat(n, ","))
      }
    }
    location = /args {
      content_by_lua_block {
        local args = ngx.req.get_uri_args()
        local keys = {}
        for k in pairs(args) do keys[#keys + 1] = k end
        table.sort(keys)
        ngx.print("a=", ngx.var.arg_a, " b2=", tonumber(ngx.var.arg_b) * 2,
                  " method=", ngx.var.request_method, " uri=", ngx.var.uri,
                  " keys=", table.concat(keys, ","))
      }
    }
    location = /json {
      content_by_lua_block {
        local function enc(v)
          local t = type(v)
          if t == "string" then return "\"" .. v:gsub("[\"\\]", "\\%0") .. "\""
          elseif t == "number" or t == "boolean" then return tostring(v)
          elseif t == "table" then
            if #v > 0 then
              local p = {}
              for i = 1, #v do p[i] = enc(v[i]) end
              return "[" .. table.concat(p, ",") .. "]"
            end
            local keys = {}
            for k in pairs(v) do keys[#keys + 1] = k end
            table.sort(keys)
            local p = {}
            for i, k in ipairs(keys) do p[i] = enc(k) .. ":" .. enc(v[k]) end
            return "{" .. table.concat(p, ",") .. "}"
          end
          return "null"
        end
        ngx.print(enc({ name = ngx.var.arg_name, list = { 1, 2, 3 }, ok = true,
                        nested = { q = "say \"hi\"", n = 2.5 } }))
      }
    }
    location = /jit {
      content_by_lua_block {
        local n = tonumber(ngx.var.arg_n)
        local s = 0
        for i = 1, n do
          if i % 3 == 0 then s = s + i end
        end
        ngx.print("sum3=", string.format("%.0f", s), " jit=", tostring((jit.status())))
      }
    }
    location = /sum {
      content_by_lua_block {
        local n = tonumber(ngx.var.arg_n)
        local s = 0
        for i = 1, n do s = s + i end
        ngx.say("n=", n, " sum=", string.format("%.0f", s), " pid=", ngx.worker.pid())
      }
    }'
}

ngx_start write_conf "LD_PRELOAD=$SHIM"
log "nginx master $(ngx_master) on 127.0.0.1:$NGX_PORT, prefix $NGX_PREFIX, LD_PRELOAD=$SHIM"

# The shim must be mapped in every worker.
mapfile -t workers < <(ngx_workers)
[ "${#workers[@]}" -eq 2 ] || ngx_fail "expected 2 workers, found ${#workers[@]}"
for w in "${workers[@]}"; do
  ngx_maps_have "$w" "$SHIM_REAL" || ngx_fail "worker $w has not mapped $SHIM_REAL"
  log "ok   worker $w maps $SHIM_REAL"
done

ngx_expect /str 200 'HELLO, LJMM|mmjl ,olleH|HeLLo, Ljmm 3|11|8|003.1|ljmm|Hello|72'
ngx_expect /sort 200 'apple,banana,cherry,fig,pear;9,7,5,3,2,1'
ngx_expect '/args?b=21&a=foo&c' 200 'a=foo b2=42 method=GET uri=/args keys=a,b,c'
ngx_expect '/json?name=ljmm' 200 '{"list":[1,2,3],"name":"ljmm","nested":{"n":2.5,"q":"say \"hi\""},"ok":true}'
n=10000000
k=$((n / 3))
ngx_expect "/jit?n=$n" 200 "sum3=$((3 * k * (k + 1) / 2)) jit=true"
got=$(ngx_get /nowhere)
[ "${got%% *}" = 404 ] || ngx_fail "GET /nowhere: expected status 404, got '${got%% *}'"
log "ok   GET /nowhere -> 404"

# Load: CLIENTS curl processes, each with REQUESTS/CLIENTS URLs, one
# connection per request (so both workers accept); n varies per request.
per=$((REQUESTS / CLIENTS))
for c in $(seq 1 "$CLIENTS"); do
  for i in $(seq 1 "$per"); do
    printf 'url = "http://127.0.0.1:%s/sum?n=%d"\n' "$NGX_PORT" $(((c - 1) * per + i + 1000))
  done >"$NGX_PREFIX/urls.$c"
done
load_start=$EPOCHREALTIME
pids=()
for c in $(seq 1 "$CLIENTS"); do
  timeout 50 curl -sS --max-time 45 -H "Connection: close" -w '%{http_code}\n' -K "$NGX_PREFIX/urls.$c" \
    >"$NGX_PREFIX/out.$c" 2>"$NGX_PREFIX/err.$c" &
  pids+=("$!")
done
for c in $(seq 1 "$CLIENTS"); do
  wait "${pids[$((c - 1))]}" || ngx_fail "curl client $c failed: $(head -c 300 "$NGX_PREFIX/err.$c")"
done
load_s=$(ngx_since "$load_start")

# Each response is "n=N sum=S pid=P" then the status line "200".
summary=$(cat "$NGX_PREFIX"/out.* | awk '
  NR % 2 == 1 { body = $0; next }
  {
    total++
    if ($0 != "200") { bad++; if (bad <= 3) print "bad status: " $0 > "/dev/stderr"; next }
    split(body, f, /[ =]/)
    n = f[2]; s = f[4]; pid = f[6]
    if (f[1] != "n" || f[3] != "sum" || f[5] != "pid" || s != sprintf("%.0f", n * (n + 1) / 2)) {
      bad++; if (bad <= 3) print "bad body: " body > "/dev/stderr"; next
    }
    good++; per[pid]++
  }
  END {
    out = ""
    for (p in per) out = out " worker " p ": " per[p]
    printf "%d %d %d%s\n", total, good, bad + 0, out
  }')
read -r total good bad rest <<<"$summary"
log "load: $total requests in ${load_s} s from $CLIENTS clients, $good correct, $bad wrong;$rest"
[ "$total" -eq "$REQUESTS" ] || ngx_fail "expected $REQUESTS responses, got $total"
[ "$good" -eq "$REQUESTS" ] || ngx_fail "$bad of $REQUESTS responses were wrong"

# Workers are still the same two, still serving, still with the shim.
mapfile -t after < <(ngx_workers)
[ "${after[*]}" = "${workers[*]}" ] || ngx_fail "workers changed during the load: ${workers[*]} -> ${after[*]}"
got=$(ngx_get '/sum?n=100')
case " ${workers[*]} " in
  *" ${got##*pid=} "*) ;;
  *) ngx_fail "GET /sum?n=100 after the load: got '$got'" ;;
esac
[ "${got% pid=*}" = "200 n=100 sum=5050" ] || ngx_fail "GET /sum?n=100 after the load: got '$got'"
log "ok   GET /sum?n=100 -> $got (after the load)"
grep -E '\[(alert|emerg|crit)\]' "$NGX_PREFIX/error.log" && ngx_fail "alerts in the error log"

ngx_stop quit || ngx_fail "nginx did not quit within 10 s"
ngx_pass "nginx_lua_handlers: 6 handler checks, $good/$REQUESTS load requests correct, shim in both workers"
