#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run-workloads.sh - run the tests/lua workloads with every LuaJIT built by
# build-luajit.sh (no shim unless the caller sets LD_PRELOAD), one line each:
#   <pkg>/<variant> <workload args> rc=<exit status> <RESULT line or error>
# rc=139 means the run died with SIGSEGV.
#
# Usage: scripts/run-workloads.sh [FILTER]
#   FILTER  only binaries whose "<pkg>/<variant>" matches this grep -E regex.
# Environment: LJMM_CHURN_MIB (default 1600), LJMM_CHURN_ROUNDS (default 4).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LUA_DIR=$SCRIPT_DIR/../tests/lua
FILTER=${1:-.}
CHURN_MIB=${LJMM_CHURN_MIB:-1600}
CHURN_ROUNDS=${LJMM_CHURN_ROUNDS:-4}

run() {
  local name=$1 bin=$2 rc out
  shift 2
  set +e
  out=$("$bin" "$@" 2>&1)
  rc=$?
  set -e
  printf '%-18s %-28s rc=%-3s %s\n' "$name" "$*" "$rc" \
    "$(printf '%s\n' "$out" | grep '^RESULT' | tail -n1 || printf '%s' "$out" | tail -n1)"
}

found=0
while read -r name bin; do
  grep -Eq -- "$FILTER" <<<"$name" || continue
  found=1
  run "$name" "$bin" "$LUA_DIR/fill.lua" strings
  run "$name" "$bin" "$LUA_DIR/fill.lua" tables
  run "$name" "$bin" "$LUA_DIR/fill.lua" tables - jit
  run "$name" "$bin" "$LUA_DIR/churn.lua" "$CHURN_MIB" "$CHURN_ROUNDS"
  run "$name" "$bin" "$LUA_DIR/jit.lua"
  run "$name" "$bin" "$LUA_DIR/jit.lua" fill
done < <("$SCRIPT_DIR/build-luajit.sh" --print)
[ "$found" = 1 ] || { echo "run-workloads: no built LuaJIT matches '$FILTER' (run scripts/build-luajit.sh)" >&2; exit 1; }
