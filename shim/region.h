/* SPDX-License-Identifier: MIT */
/* The low-region index: the free page ranges of [lo, hi), kept in fixed storage.
 *
 * Each free extent is one node of a fixed pool, in two orders:
 * - a treap by start address (neighbours, overlaps, next, each);
 * - by size, in bins of a two-level segregated fit (TLSF's classes: exact sizes below
 *   16 pages, then 16 bins per power of two), each bin a treap ordered by (size
 *   ascending, address descending), and a bitmap of the bins that hold anything.
 * The best fit is the first node of at least the wanted size in the wanted size's bin,
 * else the first node of the next bin the bitmap names: the smallest extent that fits,
 * ties going to the highest address, as one size treap over everything gave.
 * An extent that shrinks or grows keeps its node and its place in the address treap
 * (extents never overlap, so its new start still sorts between the same neighbours);
 * only its size order changes, in a bin that holds few nodes unless many free extents
 * have nearly the same size. The last address search's answer is kept (hint), so the
 * second search about the same extent (a pair's munmap after its mmap) is two
 * comparisons. Searches cost O(log n) expected in the number n of free extents, plus
 * O(log n) per extent an operation removes. Nothing here allocates, locks or makes a
 * system call. */
#ifndef LJMM_REGION_H
#define LJMM_REGION_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint32_t start, npages; /* in pages */
	uint32_t prio;
	uint32_t left[2], right[2]; /* [0] address treap, [1] its size bin's treap; node index + 1, 0 = none */
} ljmm_region_node_t;

/* Size bins: sizes 1-15 pages one bin each (bin 0 is never used), then 16 per power of
 * two up to 2^20 pages; the last bin also takes everything larger. */
#define LJMM_REGION_BINS 272
#define LJMM_REGION_BINMAP_WORDS ((LJMM_REGION_BINS + 63) / 64)

typedef struct {
	ljmm_region_node_t *nodes;
	uint32_t cap;
	uint32_t unused;     /* free-node list through left[0], index + 1 */
	uint32_t fresh;      /* nodes never used yet: [fresh, cap) */
	uint32_t root[1 + LJMM_REGION_BINS]; /* [0] the address treap, [1 + b] size bin b */
	uint64_t binmap[LJMM_REGION_BINMAP_WORDS]; /* bit b: bin b holds a node */
	uint32_t count, peak_count;
	uint32_t rng;
	uint32_t lo_page, hi_page;
	uint32_t hint, hint_next; /* the last address search's answer (0: none) and the next extent's start */
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

/* For region.c and regioncheck.c: node i (1-based), the two orders, and their keys. */
#define LJMM_REGION_N(r, i) ((r)->nodes[(i) - 1])
#define LJMM_REGION_ADDR 0
#define LJMM_REGION_SIZE 1

/* Does node a sort strictly before node b in order t? By start; or by size ascending,
 * then start descending. */
static inline int ljmm_region_before(const ljmm_region_t *r, int t, uint32_t a, uint32_t b)
{
	const ljmm_region_node_t *x = &LJMM_REGION_N(r, a), *y = &LJMM_REGION_N(r, b);
	if (t == LJMM_REGION_ADDR)
		return x->start < y->start;
	if (x->npages != y->npages)
		return x->npages < y->npages;
	return x->start > y->start;
}

/** The size bin of an extent of npages pages (>= 1). */
uint32_t ljmm_region_bin(uint32_t npages);

/** What ljmm_region_check finds. */
typedef enum {
	LJMM_REGION_SOUND = 0,
	LJMM_REGION_BAD_NODE = -1,      /* a link names a node never handed out */
	LJMM_REGION_MISORDERED = -2,    /* a node out of its treap's key order, or in another size bin */
	LJMM_REGION_BAD_HEAP = -3,      /* a child with a higher priority than its parent */
	LJMM_REGION_TOO_MANY = -4,      /* more nodes reachable than counted (a cycle, or a shared node) */
	LJMM_REGION_EMPTY_EXTENT = -5,  /* an extent of no pages */
	LJMM_REGION_UNCOALESCED = -6,   /* two extents touch or overlap */
	LJMM_REGION_BAD_COUNT = -7,     /* the address treap or the bins hold another number of nodes than counted */
	LJMM_REGION_BAD_TOTAL = -8,     /* the extents' pages differ from free_pages */
	LJMM_REGION_OUT_OF_BOUNDS = -9, /* an extent outside [lo, hi) */
	LJMM_REGION_BAD_BINMAP = -10,   /* a bin's bit says otherwise than its treap */
	LJMM_REGION_UNSIZED = -11,      /* an extent of the address treap not in its size bin */
	LJMM_REGION_BAD_HINT = -12,     /* the kept search answer is not an extent, or not the next one's neighbour */
} ljmm_region_fault_t;

/** Verify every invariant of the address treap, the size bins and the bitmap:
 *  LJMM_REGION_SOUND, or the first fault found. */
ljmm_region_fault_t ljmm_region_check(const ljmm_region_t *r);

#endif
