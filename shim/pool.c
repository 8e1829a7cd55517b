/* SPDX-License-Identifier: MIT */
/* The index's node storage, in a file and a section of its own.
 *
 * A 7 MiB .bss array costs nothing until the index uses it, but wherever it lands in
 * .bss it pushes every small variable placed after it onto pages of their own, and each
 * of those is resident memory in every process that loads the shim. In .lbss (the
 * x86-64 large-data bss, which GNU ld's x86-64 scripts place after .bss, and which GCC
 * emits as NOBITS for that name) it follows them all, whatever order the compiler or
 * link-time optimisation gives the small ones, and the shim's whole mutable state
 * shares the page of .data. tests/preload/check_symbols.sh checks that it is the
 * highest object in the library.
 *
 * Not mapped lazily with mmap instead: under RLIMIT_AS that 7 MiB would then be taken
 * out of the process's remaining address space at the first fallback, exactly when
 * room is short, and the shim's answers would no longer equal the kernel's. */
#include "pool.h"

__attribute__((section(".lbss"))) ljmm_region_node_t ljmm_pool_nodes[LJMM_POOL_CAP];
