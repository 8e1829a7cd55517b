/* SPDX-License-Identifier: MIT */
/* The per-call state: what every interposed call reads, together on one cache line.
 *
 * After a system call the process's own lines are often gone from the nearer caches,
 * and every line read is a miss: with these fields spread over four lines, a
 * kernel-served MAP_32BIT pair cost 2.5 % more than without the shim (bench/results).
 * The fields belong to three files: index.c writes the index's (bound_hi, built,
 * need_resync), alloc.c the decision's (mode, window_full_len), hint.c serve_hints. */
#ifndef LJMM_HOT_H
#define LJMM_HOT_H

#include <stdint.h>

/** LJMM_ENABLE and LJMM_POLICY as the per-call path needs them. */
typedef enum {
	LJMM_MODE_UNKNOWN = 0, /* the options are not loaded yet */
	LJMM_MODE_OFF,
	LJMM_MODE_KERNEL_FIRST,
	LJMM_MODE_REGION_FIRST,
} ljmm_mode_t;

typedef struct {
	uintptr_t bound_hi; /* end of the region, set once when the index is first built (atomic) */
	/* The smallest length (bytes) the kernel's window refused since anything in it was
	 * last freed; 0 when unknown. Larger requests skip the kernel's certain ENOMEM.
	 * Written under the lock, read and cleared without it. */
	uintptr_t window_full_len;
	int built;       /* atomic: the index exists and mappings must be recorded */
	int need_resync; /* atomic: the index may be wrong (fork, signal re-entry, a gap in the records) */
	int mode;        /* atomic: an ljmm_mode_t */
	/* atomic: a MAP_32BIT request has failed, so LuaJIT 2.1 may have turned to probing
	 * with hints (hint.c); set once, never cleared. */
	int serve_hints;
} ljmm_hot_t;

/** The one instance (hot.c). */
extern ljmm_hot_t ljmm_hot;

#endif
