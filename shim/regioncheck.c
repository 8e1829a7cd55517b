/* SPDX-License-Identifier: MIT */
/* The low-region index's walk over every extent (each) and its invariant checker: every
 * order, bin, bit, count and the kept search answer verified. */
#include "region.h"

#include "internal.h"

#define ADDR LJMM_REGION_ADDR
#define SIZE LJMM_REGION_SIZE
#define N LJMM_REGION_N
#define before ljmm_region_before

int ljmm_region_each(const ljmm_region_t *r, int (*fn)(void *ctx, uintptr_t start, uintptr_t end), void *ctx)
{
	/* Repeated successor searches: O(n log n), but stackless, which matters on small
	 * thread stacks. */
	uintptr_t from = 0, s, e;
	while (ljmm_region_next(r, from, &s, &e) == 0) {
		int ret = fn(ctx, s, e);
		if (ret)
			return ret;
		from = e;
	}
	return 0;
}

/* Recursive invariant check for tests; depth is the treap height. A node of size bin b
 * (bin != 0) must have a size of that bin. */
static int check_tree(const ljmm_region_t *r, int t, uint32_t n, uint32_t lo_node, uint32_t hi_node, uint32_t bin,
		      uint32_t *count)
{
	if (!n)
		return 0;
	if (n > r->fresh)
		return LJMM_REGION_BAD_NODE;
	if (bin && !N(r, n).npages)
		return LJMM_REGION_EMPTY_EXTENT;
	if ((bin && ljmm_region_bin(N(r, n).npages) != bin) || (lo_node && !before(r, t, lo_node, n)) ||
	    (hi_node && !before(r, t, n, hi_node)))
		return LJMM_REGION_MISORDERED;
	for (int side = 0; side < 2; side++) {
		uint32_t c = side ? N(r, n).right[t] : N(r, n).left[t];
		if (c && N(r, c).prio > N(r, n).prio)
			return LJMM_REGION_BAD_HEAP;
	}
	if (++*count > r->count)
		return LJMM_REGION_TOO_MANY;
	int ret = check_tree(r, t, N(r, n).left[t], lo_node, n, bin, count);
	return ret ? ret : check_tree(r, t, N(r, n).right[t], n, hi_node, bin, count);
}

struct check_ctx {
	const ljmm_region_t *r;
	uintptr_t first_start, prev_end;
	uint64_t pages;
	int first;
};

/* Each extent in address order: sizes, coalescing, and its node found in its size bin
 * (the bins' counts alone would miss a node in the bins twice and another not at all). */
static int check_extent(void *p, uintptr_t start, uintptr_t end)
{
	struct check_ctx *c = p;
	const ljmm_region_t *r = c->r;
	uint32_t page = (uint32_t)(start >> LJMM_PAGE_SHIFT), cur;
	if (start >= end)
		return LJMM_REGION_EMPTY_EXTENT;
	/* Neighbours must have been coalesced: a gap of at least one page between them. */
	if (!c->first && start <= c->prev_end)
		return LJMM_REGION_UNCOALESCED;
	cur = r->root[1 + ljmm_region_bin((uint32_t)((end - start) >> LJMM_PAGE_SHIFT))];
	while (cur && (N(r, cur).start != page || (uintptr_t)N(r, cur).npages << LJMM_PAGE_SHIFT != end - start)) {
		int left = N(r, cur).npages != (end - start) >> LJMM_PAGE_SHIFT
				   ? (end - start) >> LJMM_PAGE_SHIFT < N(r, cur).npages
				   : page > N(r, cur).start;
		cur = left ? N(r, cur).left[SIZE] : N(r, cur).right[SIZE];
	}
	if (!cur)
		return LJMM_REGION_UNSIZED;
	if (c->first)
		c->first_start = start;
	c->first = 0;
	c->prev_end = end;
	c->pages += (end - start) >> LJMM_PAGE_SHIFT;
	return 0;
}

/* The kept answer of the last address search: a node of the address treap, and the
 * start of the next one (UINT32_MAX: none) — a search from the root by its start. */
static int check_hint(const ljmm_region_t *r)
{
	uint32_t h = r->hint, cur = r->root[0], next = UINT32_MAX;
	if (h > r->fresh)
		return 1;
	while (cur && cur != h) {
		int left = N(r, h).start < N(r, cur).start;
		if (left)
			next = N(r, cur).start;
		cur = left ? N(r, cur).left[ADDR] : N(r, cur).right[ADDR];
	}
	if (!cur)
		return 1;
	for (cur = N(r, h).right[ADDR]; cur; cur = N(r, cur).left[ADDR])
		next = N(r, cur).start;
	return next != r->hint_next;
}

ljmm_region_fault_t ljmm_region_check(const ljmm_region_t *r)
{
	uint32_t n_addr = 0, n_size = 0;
	struct check_ctx c = {r, 0, 0, 0, 1};
	int ret = check_tree(r, ADDR, r->root[0], 0, 0, 0, &n_addr);
	for (uint32_t b = 1; !ret && b < LJMM_REGION_BINS; b++) {
		ret = check_tree(r, SIZE, r->root[1 + b], 0, 0, b, &n_size);
		if (!ret && !r->root[1 + b] != !(r->binmap[b / 64] >> (b % 64) & 1))
			ret = LJMM_REGION_BAD_BINMAP;
	}
	if (ret)
		return (ljmm_region_fault_t)ret;
	/* Bin 0 (empty extents) is never used, nor are the bits past the last bin. */
	if (r->root[1] || r->binmap[0] & 1 || r->binmap[LJMM_REGION_BINMAP_WORDS - 1] >> (LJMM_REGION_BINS % 64))
		return LJMM_REGION_BAD_BINMAP;
	if (n_addr != r->count || n_size != r->count)
		return LJMM_REGION_BAD_COUNT;
	if (r->hint && check_hint(r))
		return LJMM_REGION_BAD_HINT;
	ret = ljmm_region_each(r, check_extent, &c);
	if (ret)
		return (ljmm_region_fault_t)ret;
	if (c.pages != r->free_pages)
		return LJMM_REGION_BAD_TOTAL;
	if (r->count && (c.first_start < (uintptr_t)r->lo_page << LJMM_PAGE_SHIFT ||
			 c.prev_end > (uintptr_t)r->hi_page << LJMM_PAGE_SHIFT))
		return LJMM_REGION_OUT_OF_BOUNDS;
	return LJMM_REGION_SOUND;
}
