#!/usr/bin/env bash
# Build everything and run every test: the unit suites and preload tests in a normal
# build, then the unit suites again with AddressSanitizer and UBSan.
# Usage: scripts/test.sh            (from anywhere; installs missing Debian packages)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
bash "$root/scripts/deps.sh"

cmake -S "$root" -B "$root/build" -DLJMM_BUILD_TESTS=ON
cmake --build "$root/build" -j"$jobs"
(cd "$root/build" && ctest --output-on-failure -j"$jobs")

cmake -S "$root" -B "$root/build-sanitize" -DLJMM_BUILD_TESTS=ON -DLJMM_ASAN=ON -DLJMM_UBSAN=ON
cmake --build "$root/build-sanitize" -j"$jobs"
(cd "$root/build-sanitize" && ctest --output-on-failure -j"$jobs" -R '^unit_')
