#!/usr/bin/env bash
# The demo: build the shim and map MAP_32BIT memory until ENOMEM, without and with it.
# Usage: scripts/demo.sh            (from anywhere; installs missing Debian packages)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/deps.sh"
cmake -S "$root" -B "$root/build" -DLJMM_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build" -j"$(nproc)" >/dev/null
lib="$root/build/libljmm_preload.so"
fill="$root/build/bench/map32_fill"

echo "MAP_32BIT memory a process can map, in 1 MiB blocks (as LuaJIT non-GC64 asks for it):"
printf '  %-28s %s\n' "without the shim:" "$("$fill" 1024)"
printf '  %-28s %s\n' "with LD_PRELOAD=ljmm:" "$(LD_PRELOAD=$lib "$fill" 1024)"
echo
echo "What the shim did (LJMM_STATS=on):"
LD_PRELOAD=$lib LJMM_STATS=on "$fill" 1024 2>&1 >/dev/null | sed 's/^/  /'
