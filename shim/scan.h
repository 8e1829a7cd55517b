/* SPDX-License-Identifier: MIT */
/* Finding what is mapped in a range by asking the kernel directly, without /proc: for a
 * full descriptor table, a chroot without /proc, or a seccomp jail (see scan.c). */
#ifndef LJMM_SCAN_H
#define LJMM_SCAN_H

#include <stdint.h>

#include "maps.h"

/** Call fn(ctx, start, end) for each mapped run of [lo, hi) (page-aligned), in address
 *  order; pages the kernel would not let us map (below vm.mmap_min_addr) count as
 *  mapped. 0, a non-zero value returned by fn, or -errno. */
int ljmm_scan_mapped(uintptr_t lo, uintptr_t hi, ljmm_maps_fn fn, void *ctx);
/** Try to map [p, p + n pages) (PROT_NONE, at once unmapped): 1 when it is free, 0 when
 *  something is there, -EPERM when the kernel will not let us map it (below
 *  vm.mmap_min_addr, or an LSM floor), -ENOMEM when it cannot map that much (RLIMIT_AS). */
int ljmm_scan_trial(uintptr_t p, uintptr_t n);

#endif
