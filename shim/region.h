/* SPDX-License-Identifier: MIT */
/* The low-region index: the free page ranges of [lo, hi), kept in fixed storage.
 *
 * Two treaps share one node pool: one ordered by address (to find neighbours and
 * overlaps) and one by (size ascending, address descending) so that the first node
 * of at least the wanted size is the best fit, ties going to the highest address.
 * Every operation is O(log n) expected in the number n of free extents, plus O(1)
 * per extent it removes. Nothing here allocates, locks or makes a system call. */
#ifndef LJMM_REGION_H
#define LJMM_REGION_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint32_t start, npages; /* in pages */
	uint32_t prio;
	uint32_t left[2], right[2]; /* [0] address treap, [1] size treap; node index + 1, 0 = none */
} ljmm_region_node_t;

typedef struct {
	ljmm_region_node_t *nodes;
	uint32_t cap;
	uint32_t unused;     /* free-node list through left[0], index + 1 */
	uint32_t fresh;      /* nodes never used yet: [fresh, cap) */
	uint32_t root[2];
	uint32_t count, peak_count;
	uint32_t rng;
	uint32_t lo_page, hi_page;
	uint64_t free_pages;
	uint64_t dropped_pages; /* free pages forgotten because storage was full */
} ljmm_region_t;

/** Set up an empty index over [lo, hi) (page-aligned, hi <= 2^43) using storage[cap]. */
void ljmm_region_init(ljmm_region_t *r, ljmm_region_node_t *storage, uint32_t cap, uintptr_t lo, uintptr_t hi);
/** Forget every free extent (the whole region counts as used). */
void ljmm_region_clear(ljmm_region_t *r);
/** Record [start, end) as free, merging with neighbours; clipped to the bounds, partial pages left out.
 *  Returns 0, or -ENOSPC when storage is full and the range was dropped (kept as used). */
int ljmm_region_mark_free(ljmm_region_t *r, uintptr_t start, uintptr_t end);
/** Record [start, end) as used, splitting extents; clipped to the bounds, partial pages included.
 *  Returns 0, or -ENOSPC when a split found storage full and a remainder was dropped. */
int ljmm_region_mark_used(ljmm_region_t *r, uintptr_t start, uintptr_t end);
/** Best fit for len bytes (page multiple): the smallest extent that fits, highest on ties,
 *  and the top of it. Returns 0 with *addr set, or -ENOMEM. Does not mark it used. */
int ljmm_region_find(const ljmm_region_t *r, size_t len, uintptr_t *addr);
/** The first free extent that starts at or after from: 0 with [*start, *end) set, or -ENOENT. */
int ljmm_region_next(const ljmm_region_t *r, uintptr_t from, uintptr_t *start, uintptr_t *end);
/** Free bytes recorded. */
uint64_t ljmm_region_free_bytes(const ljmm_region_t *r);
/** Call fn(ctx, start, end) for each free extent in address order; stops at a non-zero return. */
int ljmm_region_each(const ljmm_region_t *r, int (*fn)(void *ctx, uintptr_t start, uintptr_t end), void *ctx);
/** The largest free extent: 0 with [*start, *start + *len) set, or -ENOENT when none. */
int ljmm_region_largest(const ljmm_region_t *r, uintptr_t *start, uintptr_t *len);

/** What ljmm_region_check finds. */
typedef enum {
	LJMM_REGION_SOUND = 0,
	LJMM_REGION_BAD_NODE = -1,      /* a link names a node never handed out */
	LJMM_REGION_MISORDERED = -2,    /* a node out of its treap's key order */
	LJMM_REGION_BAD_HEAP = -3,      /* a child with a higher priority than its parent */
	LJMM_REGION_TOO_MANY = -4,      /* more nodes reachable than counted (a cycle, or a shared node) */
	LJMM_REGION_EMPTY_EXTENT = -5,  /* an extent of no pages */
	LJMM_REGION_UNCOALESCED = -6,   /* two extents touch or overlap */
	LJMM_REGION_BAD_COUNT = -7,     /* a treap holds another number of nodes than counted */
	LJMM_REGION_BAD_TOTAL = -8,     /* the extents' pages differ from free_pages */
	LJMM_REGION_OUT_OF_BOUNDS = -9, /* an extent outside [lo, hi) */
} ljmm_region_fault_t;

/** Verify every invariant of both treaps: LJMM_REGION_SOUND, or the first fault found. */
ljmm_region_fault_t ljmm_region_check(const ljmm_region_t *r);

#endif
