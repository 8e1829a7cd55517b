#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The long variants of the reliability tests: the multi-threaded stress program (PIE
# and -no-pie, preloaded, then linked into an ASan+UBSan build) for SECONDS each, the
# fork/exec/posix_spawn/vfork program with ROUNDS forks, the differential test
# (scripts/diff.sh) and a coverage-guided libFuzzer run of each fuzz target for SECONDS. ctest runs the same programs for ~30 s / 200 forks
# / 20 s; this is for soaking a change (default 600 s: about 45 minutes in all).
# Usage: scripts/stress.sh [SECONDS] [ROUNDS]   (as root on Debian 12; installs what it needs)
# LJMM_STRESS_SEED fixes the stress program's seed (it prints the one it used).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600} rounds=${2:-5000}
if [[ ! $secs =~ ^[1-9][0-9]*$ || ! $rounds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS] [ROUNDS]  (positive whole numbers)" >&2
  exit 2
fi
jobs=$(nproc)
bash "$root/scripts/deps.sh" build
cmake -S "$root" -B "$root/build" -DLJMM_BUILD_TESTS=ON >/dev/null
cmake --build "$root/build" -j"$jobs" >/dev/null
cmake -S "$root" -B "$root/build-sanitize" -DLJMM_BUILD_TESTS=ON -DLJMM_ASAN=ON -DLJMM_UBSAN=ON >/dev/null
cmake --build "$root/build-sanitize" -j"$jobs" >/dev/null

lib=$root/build/libljmm_preload.so
st=$root/build/tests/stress
san=$root/build-sanitize/tests/stress
export LJMM_STRESS_EXPECT_SHIM=1
run() {
  echo "== $*"
  "$@" | tail -n 30
}
for kind in pie nopie; do
  run env LD_PRELOAD="$lib" "$st/stress_stress_$kind" "$secs"
  run env LD_PRELOAD="$lib" "$st/stress_forkexec_$kind" all "$rounds" $((rounds / 10))
done
run "$san/sanitized_stress" "$secs"
run "$san/sanitized_forkexec" all "$rounds" $((rounds / 10))
bash "$root/scripts/diff.sh" "$secs" | tail -n 30
bash "$root/scripts/deps.sh" fuzz
bash "$root/scripts/fuzz.sh" "$secs"
echo "stress.sh: all passed"
