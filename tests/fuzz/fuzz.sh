#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer targets of tests/fuzz with clang (-fsanitize=fuzzer,address,undefined)
# in build-fuzz/ and run each for SECONDS (default 60), printing its executions.
#   scripts/fuzz.sh [SECONDS] [NAME...]      NAME: region, maps, config, procmem, maps_tool (default: all)
# The working corpus grows in build-fuzz/corpus/<name>/ (seeded from tests/fuzz/corpus/<name>/).
# An input that crashes, leaks, times out or runs out of memory is copied into
# tests/fuzz/corpus/<name>/ as a regression input (fix the bug, then commit both: the
# normal build replays it in ctest's fuzz_<name>_replay); the script then exits 1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here" && git rev-parse --show-toplevel 2>/dev/null || true)
[ -n "$root" ] && [ -f "$root/tests/fuzz/fuzz.h" ] || root=$(cd "$here/.." && pwd)
[ -f "$root/tests/fuzz/fuzz.h" ] || root=$(cd "$here/../.." && pwd)
secs=${1:-60}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(region maps config procmem maps_tool)
build=${LJMM_FUZZ_BUILD:-$root/build-fuzz}
cc=${CC:-clang}
command -v "$cc" >/dev/null || { echo "fuzz.sh: $cc not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLJMM_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${names[@]/#/fuzz_}" >/dev/null

found=0
for name in "${names[@]}"; do
  bin=$build/tests/fuzz/fuzz_$name seeds=$root/tests/fuzz/corpus/$name
  work=$build/corpus/$name arts=$build/artifacts/$name log=$build/fuzz_$name.log
  mkdir -p "$work" "$arts"
  maxlen=4096
  [ "$name" != region ] || maxlen=1024 # operation lists, each checked against a bitmap
  rc=0
  "$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$arts/" "$work" "$seeds" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
  echo "fuzz_$name: ${execs:-?} executions in ${secs} s (${cov:-no coverage line}), corpus $(ls "$work" | wc -l) inputs, exit $rc"
  for f in "$arts"/*; do
    [ -e "$f" ] || continue
    dst=$seeds/$(basename "$f")
    mv "$f" "$dst"
    echo "fuzz_$name: FOUND $(basename "$f"): saved as ${dst#"$root"/} (log: $log)"
    found=1
  done
  if [ "$rc" != 0 ] && [ "$found" = 0 ]; then
    echo "fuzz_$name: libFuzzer exited $rc without an artifact; see $log"
    found=1
  fi
done
exit "$found"
