/* SPDX-License-Identifier: MIT */
/* The per-call state: what every interposed call reads, together on one cache line.
 *
 * After a system call the process's own lines are often gone from the nearer caches,
 * and every line read is a miss: with these fields spread over four lines, a
 * kernel-served MAP_32BIT pair cost 2.5 % more than without the shim (bench/results).
 * The fields belong to three files: index.c writes the index's (bound_hi, built,
 * need_resync), alloc.c the decision's (mode), hint.c serve_hints. */
#ifndef LJMM_HOT_H
#define LJMM_HOT_H

#include <stdint.h>

/** LJMM_ENABLE and LJMM_POLICY as the per-call path needs them. */
typedef enum {
	LJMM_MODE_UNKNOWN = 0, /* the options are not loaded yet */
	LJMM_MODE_OFF,
	LJMM_MODE_KERNEL_FIRST,
	LJMM_MODE_REGION_FIRST,
	/* kernel-first after the kernel's window first ran out: the region places first,
	 * until the kernel serves what the region had no room for (alloc.c, region_goes_first) */
	LJMM_MODE_WINDOW_FULL,
} ljmm_mode_t;

typedef struct {
	uintptr_t bound_hi; /* end of the region, set once when the index is first built (atomic) */
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
