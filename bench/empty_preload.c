/* SPDX-License-Identifier: MIT */
/* A preload library that does nothing: the control for the pass-through benchmark.
 * Loading any library moves the process's layout and adds mappings the kernel walks;
 * scripts/bench.sh times MAP_32BIT calls with this library preloaded instead of the
 * shim, so that the table shows what part of the shim's cost is just being a library. */
int ljmm_bench_empty_preload(void);
int ljmm_bench_empty_preload(void) { return 0; }
