#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The long run of the differential test (tests/diff/mmdiff.c): random sequences of
# mmap/munmap/mremap/mprotect/madvise calls, each run without the library and with it
# (both policies, the kernel's MAP_32BIT window empty and full), for SECONDS (default 600),
# from seed FIRST (default: the time, printed). Every difference prints with its seed;
# replay one with `build/tests/diff/mmdiff --lib build/libljmm_preload.so --seed N`.
# ctest's diff_kernel_seeds runs the committed seeds only (tests/diff/corpus/seeds).
# Usage: scripts/diff.sh [SECONDS] [FIRST]   (as root: the hugetlb rows need vm.nr_hugepages)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600} first=${2:-$(date +%s)}
if [[ ! $secs =~ ^[1-9][0-9]*$ || ! $first =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS] [FIRST]  (whole numbers, SECONDS positive)" >&2
  exit 2
fi
cmake -S "$root" -B "$root/build" -DLJMM_BUILD_TESTS=ON >/dev/null
cmake --build "$root/build" --target mmdiff ljmm_preload -j"$(nproc)" >/dev/null
echo "diff.sh: seeds from $first for $secs s"
exec "$root/build/tests/diff/mmdiff" --lib "$root/build/libljmm_preload.so" \
  --rows "$root/tests/diff/corpus/rows" --random 100000000 --from "$first" --seconds "$secs"
