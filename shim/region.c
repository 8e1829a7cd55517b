/* SPDX-License-Identifier: MIT */
/* The low-region index (see region.h for the structure and its costs). */
#include "region.h"

#include <errno.h>

#include "internal.h"

#define ADDR 0
#define SIZE 1

#define N(r, i) ((r)->nodes[(i) - 1])

static uint32_t next_prio(ljmm_region_t *r)
{
	/* xorshift32: treap priorities only need to be unrelated to the keys. */
	uint32_t x = r->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	r->rng = x;
	return x;
}

/* Does node a sort strictly before node b in treap t? */
static int before(const ljmm_region_t *r, int t, uint32_t a, uint32_t b)
{
	const ljmm_region_node_t *x = &N(r, a), *y = &N(r, b);
	if (t == ADDR)
		return x->start < y->start;
	if (x->npages != y->npages)
		return x->npages < y->npages;
	return x->start > y->start;
}

static uint32_t merge(ljmm_region_t *r, int t, uint32_t a, uint32_t b)
{
	uint32_t res = 0, *link = &res;
	while (a && b) {
		if (N(r, a).prio > N(r, b).prio) {
			*link = a;
			link = &N(r, a).right[t];
			a = *link;
		} else {
			*link = b;
			link = &N(r, b).left[t];
			b = *link;
		}
	}
	*link = a ? a : b;
	return res;
}

static void insert(ljmm_region_t *r, int t, uint32_t n)
{
	uint32_t *link = &r->root[t], cur, *lp, *rp;
	while (*link && N(r, *link).prio > N(r, n).prio)
		link = before(r, t, n, *link) ? &N(r, *link).left[t] : &N(r, *link).right[t];
	/* Split the subtree at *link around n: smaller keys left, the rest right. */
	cur = *link;
	lp = &N(r, n).left[t];
	rp = &N(r, n).right[t];
	while (cur) {
		if (before(r, t, cur, n)) {
			*lp = cur;
			lp = &N(r, cur).right[t];
			cur = *lp;
		} else {
			*rp = cur;
			rp = &N(r, cur).left[t];
			cur = *rp;
		}
	}
	*lp = *rp = 0;
	*link = n;
}

static void erase(ljmm_region_t *r, int t, uint32_t n)
{
	uint32_t *link = &r->root[t];
	while (*link != n)
		link = before(r, t, n, *link) ? &N(r, *link).left[t] : &N(r, *link).right[t];
	*link = merge(r, t, N(r, n).left[t], N(r, n).right[t]);
}

static uint32_t node_get(ljmm_region_t *r)
{
	uint32_t i = r->unused;
	if (i)
		r->unused = N(r, i).left[ADDR];
	else if (r->fresh < r->cap)
		i = ++r->fresh;
	else
		return 0;
	N(r, i).prio = next_prio(r);
	return i;
}

static void node_put(ljmm_region_t *r, uint32_t i)
{
	N(r, i).left[ADDR] = r->unused;
	r->unused = i;
}

/* Put node i (start/npages set) into both treaps. */
static void link_node(ljmm_region_t *r, uint32_t i)
{
	N(r, i).left[ADDR] = N(r, i).right[ADDR] = N(r, i).left[SIZE] = N(r, i).right[SIZE] = 0;
	insert(r, ADDR, i);
	insert(r, SIZE, i);
	r->free_pages += N(r, i).npages;
	if (++r->count > r->peak_count)
		r->peak_count = r->count;
}

static void unlink_node(ljmm_region_t *r, uint32_t i)
{
	erase(r, ADDR, i);
	erase(r, SIZE, i);
	r->free_pages -= N(r, i).npages;
	r->count--;
}

/* The extent with the greatest start that is < page (strict) or <= page. */
static uint32_t floor_node(const ljmm_region_t *r, uint32_t page, int inclusive)
{
	uint32_t cur = r->root[ADDR], best = 0;
	while (cur) {
		uint32_t s = N(r, cur).start;
		if (s < page || (inclusive && s == page)) {
			best = cur;
			cur = N(r, cur).right[ADDR];
		} else {
			cur = N(r, cur).left[ADDR];
		}
	}
	return best;
}

void ljmm_region_init(ljmm_region_t *r, ljmm_region_node_t *storage, uint32_t cap, uintptr_t lo, uintptr_t hi)
{
	r->nodes = storage;
	r->cap = cap;
	r->lo_page = (uint32_t)(ljmm_page_up(lo) >> LJMM_PAGE_SHIFT);
	r->hi_page = (uint32_t)(hi >> LJMM_PAGE_SHIFT);
	if (r->hi_page < r->lo_page)
		r->hi_page = r->lo_page;
	r->rng = 0x9e3779b9u;
	r->peak_count = 0;
	r->dropped_pages = 0;
	ljmm_region_clear(r);
}

void ljmm_region_clear(ljmm_region_t *r)
{
	r->unused = 0;
	r->fresh = 0;
	r->root[ADDR] = r->root[SIZE] = 0;
	r->count = 0;
	r->free_pages = 0;
}

/* Clip [start, end) to the bounds, in pages; 0 when nothing is left. The shim passes
 * page-aligned ranges; should an edge not be, the rounding errs towards "used": a free
 * range loses its partial pages (inward), a used one takes them whole (outward). */
static int clip(const ljmm_region_t *r, uintptr_t start, uintptr_t end, int outward, uint32_t *ps, uint32_t *pe)
{
	uintptr_t lo = (uintptr_t)r->lo_page << LJMM_PAGE_SHIFT, hi = (uintptr_t)r->hi_page << LJMM_PAGE_SHIFT;
	if (outward) {
		start = ljmm_page_down(start);
		end = end > hi ? hi : ljmm_page_up(end);
	}
	if (start < lo)
		start = lo;
	if (end > hi)
		end = hi;
	if (start >= end)
		return 0;
	*ps = (uint32_t)(ljmm_page_up(start) >> LJMM_PAGE_SHIFT);
	*pe = (uint32_t)(end >> LJMM_PAGE_SHIFT);
	return *ps < *pe;
}

int ljmm_region_mark_free(ljmm_region_t *r, uintptr_t start, uintptr_t end)
{
	uint32_t s, e, i, spare = 0;
	if (!clip(r, start, end, 0, &s, &e))
		return 0;
	/* Absorb every extent that overlaps or touches [s, e): they start at or before e
	 * and end at or after s. Walking down from the last one that starts <= e finds
	 * them all, since extents never overlap each other. */
	while ((i = floor_node(r, e, 1)) && N(r, i).start + N(r, i).npages >= s) {
		uint32_t is = N(r, i).start, ie = is + N(r, i).npages;
		unlink_node(r, i);
		if (is < s)
			s = is;
		if (ie > e)
			e = ie;
		if (spare)
			node_put(r, spare);
		spare = i;
	}
	i = spare ? spare : node_get(r);
	if (!i) {
		r->dropped_pages += e - s;
		return -ENOSPC;
	}
	N(r, i).start = s;
	N(r, i).npages = e - s;
	link_node(r, i);
	return 0;
}

int ljmm_region_mark_used(ljmm_region_t *r, uintptr_t start, uintptr_t end)
{
	uint32_t s, e, i;
	if (!clip(r, start, end, 1, &s, &e))
		return 0;
	while ((i = floor_node(r, e, 0)) && N(r, i).start + N(r, i).npages > s) {
		uint32_t is = N(r, i).start, ie = is + N(r, i).npages, j;
		unlink_node(r, i);
		if (is < s && ie > e) {
			/* The used range splits one extent in two: keep the left part in i and
			 * find a node for the right one. */
			N(r, i).npages = s - is;
			link_node(r, i);
			j = node_get(r);
			if (!j) {
				r->dropped_pages += ie - e;
				return -ENOSPC;
			}
			N(r, j).start = e;
			N(r, j).npages = ie - e;
			link_node(r, j);
			return 0;
		}
		if (is < s) {
			N(r, i).npages = s - is;
			link_node(r, i);
		} else if (ie > e) {
			N(r, i).start = e;
			N(r, i).npages = ie - e;
			link_node(r, i);
		} else {
			node_put(r, i);
		}
	}
	return 0;
}

int ljmm_region_find(const ljmm_region_t *r, size_t len, uintptr_t *addr)
{
	uint64_t need = ((uint64_t)len + LJMM_PAGE - 1) >> LJMM_PAGE_SHIFT;
	uint32_t cur = r->root[SIZE], best = 0;
	if (!need || need > r->free_pages)
		return -ENOMEM;
	while (cur) {
		if (N(r, cur).npages >= need) {
			best = cur;
			cur = N(r, cur).left[SIZE];
		} else {
			cur = N(r, cur).right[SIZE];
		}
	}
	if (!best)
		return -ENOMEM;
	*addr = ((uintptr_t)N(r, best).start + N(r, best).npages - need) << LJMM_PAGE_SHIFT;
	return 0;
}

uint64_t ljmm_region_free_bytes(const ljmm_region_t *r) { return r->free_pages << LJMM_PAGE_SHIFT; }

int ljmm_region_next(const ljmm_region_t *r, uintptr_t from, uintptr_t *start, uintptr_t *end)
{
	uint64_t page = ((uint64_t)from >> LJMM_PAGE_SHIFT) + ((from & (LJMM_PAGE - 1)) != 0);
	uint32_t cur = r->root[ADDR], best = 0;
	while (cur) {
		if (N(r, cur).start >= page) {
			best = cur;
			cur = N(r, cur).left[ADDR];
		} else {
			cur = N(r, cur).right[ADDR];
		}
	}
	if (!best)
		return -ENOENT;
	*start = (uintptr_t)N(r, best).start << LJMM_PAGE_SHIFT;
	*end = ((uintptr_t)N(r, best).start + N(r, best).npages) << LJMM_PAGE_SHIFT;
	return 0;
}

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

/* Recursive invariant check for tests; depth is the treap height. */
static int check_tree(const ljmm_region_t *r, int t, uint32_t n, uint32_t lo_node, uint32_t hi_node, uint32_t *count)
{
	if (!n)
		return 0;
	if (n > r->fresh)
		return LJMM_REGION_BAD_NODE;
	if (lo_node && !before(r, t, lo_node, n))
		return LJMM_REGION_MISORDERED;
	if (hi_node && !before(r, t, n, hi_node))
		return LJMM_REGION_MISORDERED;
	for (int side = 0; side < 2; side++) {
		uint32_t c = side ? N(r, n).right[t] : N(r, n).left[t];
		if (c && N(r, c).prio > N(r, n).prio)
			return LJMM_REGION_BAD_HEAP;
	}
	if (++*count > r->count)
		return LJMM_REGION_TOO_MANY;
	int ret = check_tree(r, t, N(r, n).left[t], lo_node, n, count);
	return ret ? ret : check_tree(r, t, N(r, n).right[t], n, hi_node, count);
}

struct check_ctx {
	uintptr_t first_start, prev_end;
	uint64_t pages;
	int first;
};

static int check_extent(void *p, uintptr_t start, uintptr_t end)
{
	struct check_ctx *c = p;
	if (start >= end)
		return LJMM_REGION_EMPTY_EXTENT;
	/* Neighbours must have been coalesced: a gap of at least one page between them. */
	if (!c->first && start <= c->prev_end)
		return LJMM_REGION_UNCOALESCED;
	if (c->first)
		c->first_start = start;
	c->first = 0;
	c->prev_end = end;
	c->pages += (end - start) >> LJMM_PAGE_SHIFT;
	return 0;
}

ljmm_region_fault_t ljmm_region_check(const ljmm_region_t *r)
{
	uint32_t n_addr = 0, n_size = 0;
	struct check_ctx c = {0, 0, 0, 1};
	int ret = check_tree(r, ADDR, r->root[ADDR], 0, 0, &n_addr);
	if (!ret)
		ret = check_tree(r, SIZE, r->root[SIZE], 0, 0, &n_size);
	if (ret)
		return (ljmm_region_fault_t)ret;
	if (n_addr != r->count || n_size != r->count)
		return LJMM_REGION_BAD_COUNT;
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

int ljmm_region_largest(const ljmm_region_t *r, uintptr_t *start, uintptr_t *len)
{
	/* The last node of the size treap: the largest, the lowest of equals. */
	uint32_t cur = r->root[SIZE];
	if (!cur)
		return -ENOENT;
	while (N(r, cur).right[SIZE])
		cur = N(r, cur).right[SIZE];
	*start = (uintptr_t)N(r, cur).start << LJMM_PAGE_SHIFT;
	*len = (uintptr_t)N(r, cur).npages << LJMM_PAGE_SHIFT;
	return 0;
}
