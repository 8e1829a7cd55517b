/* SPDX-License-Identifier: MIT */
/* The low-region index: its operations (see region.h for the structure and its costs). */
#include "region.h"

#include <errno.h>

#include "internal.h"

#define ADDR LJMM_REGION_ADDR
#define SIZE LJMM_REGION_SIZE
#define N LJMM_REGION_N
#define before ljmm_region_before

/* The size bins (region.h): TLSF's second level, 2^SL_BITS bins per power of two. */
#define SL_BITS 4
#define SL (1u << SL_BITS)
#define FL_MAX 20
#define BINMAP_WORDS LJMM_REGION_BINMAP_WORDS
_Static_assert(SL + (FL_MAX - SL_BITS) * SL == LJMM_REGION_BINS, "LJMM_REGION_BINS matches SL_BITS and FL_MAX");

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

static void insert(ljmm_region_t *r, int t, uint32_t *link, uint32_t n)
{
	uint32_t cur, *lp, *rp;
	N(r, n).left[t] = N(r, n).right[t] = 0;
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

static void erase(ljmm_region_t *r, int t, uint32_t *link, uint32_t n)
{
	while (*link != n)
		link = before(r, t, n, *link) ? &N(r, *link).left[t] : &N(r, *link).right[t];
	*link = merge(r, t, N(r, n).left[t], N(r, n).right[t]);
}

uint32_t ljmm_region_bin(uint32_t npages)
{
	uint32_t fl;
	if (npages < SL)
		return npages;
	fl = 31 - (uint32_t)__builtin_clz(npages);
	if (fl >= FL_MAX)
		return LJMM_REGION_BINS - 1;
	return SL + (fl - SL_BITS) * SL + ((npages >> (fl - SL_BITS)) & (SL - 1));
}

/* The first bin at or after b that holds a node, or LJMM_REGION_BINS. */
static uint32_t next_bin(const ljmm_region_t *r, uint32_t b)
{
	uint32_t w = b / 64;
	uint64_t m;
	if (b >= LJMM_REGION_BINS)
		return LJMM_REGION_BINS;
	m = r->binmap[w] & (~0ull << (b % 64));
	while (!m) {
		if (++w == BINMAP_WORDS)
			return LJMM_REGION_BINS;
		m = r->binmap[w];
	}
	return w * 64 + (uint32_t)__builtin_ctzll(m);
}

/* Node i (npages set) into its size bin, or out of it. */
static void size_link(ljmm_region_t *r, uint32_t i)
{
	uint32_t b = ljmm_region_bin(N(r, i).npages);
	insert(r, SIZE, &r->root[1 + b], i);
	r->binmap[b / 64] |= 1ull << (b % 64);
	r->free_pages += N(r, i).npages;
}

static void size_unlink(ljmm_region_t *r, uint32_t i)
{
	uint32_t b = ljmm_region_bin(N(r, i).npages);
	erase(r, SIZE, &r->root[1 + b], i);
	if (!r->root[1 + b])
		r->binmap[b / 64] &= ~(1ull << (b % 64));
	r->free_pages -= N(r, i).npages;
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

/* Put a new node i (start/npages set) into both orders. */
static void link_node(ljmm_region_t *r, uint32_t i)
{
	r->hint = 0;
	insert(r, ADDR, &r->root[0], i);
	size_link(r, i);
	if (++r->count > r->peak_count)
		r->peak_count = r->count;
}

/* Take node i out of both orders and give it back to the pool. */
static void drop_node(ljmm_region_t *r, uint32_t i)
{
	r->hint = 0;
	erase(r, ADDR, &r->root[0], i);
	size_unlink(r, i);
	r->count--;
	node_put(r, i);
}

/* Node i now holds [s, e), a range that overlaps no other extent and touches none: its
 * start still sorts between the same neighbours, so only its size order changes. */
static void resize(ljmm_region_t *r, uint32_t i, uint32_t s, uint32_t e)
{
	if (N(r, i).start == s && N(r, i).npages == e - s)
		return;
	if (i != r->hint)
		r->hint = 0;
	size_unlink(r, i);
	N(r, i).start = s;
	N(r, i).npages = e - s;
	size_link(r, i);
}

/* The extent with the greatest start that is < page (strict) or <= page. The last one
 * found is kept (hint) with the start of the next extent (hint_next, UINT32_MAX for none):
 * while neither changes, any page in [start of hint, hint_next) has the same answer, and
 * a region-served pair asks twice about the extent it takes its block from. link_node,
 * drop_node and resize of another node forget it; resize of the hint itself cannot
 * move it past a neighbour. */
static uint32_t floor_node(ljmm_region_t *r, uint32_t page, int inclusive)
{
	uint32_t cur = r->root[0], best = 0, next = UINT32_MAX;
	if (r->hint && (N(r, r->hint).start < page || (inclusive && N(r, r->hint).start == page)) &&
	    (r->hint_next > page || (!inclusive && r->hint_next == page)))
		return r->hint;
	while (cur) {
		uint32_t s = N(r, cur).start;
		if (s < page || (inclusive && s == page)) {
			best = cur;
			cur = N(r, cur).right[ADDR];
		} else {
			next = s;
			cur = N(r, cur).left[ADDR];
		}
	}
	r->hint = best;
	r->hint_next = next;
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
	for (uint32_t b = 0; b <= LJMM_REGION_BINS; b++)
		r->root[b] = 0;
	for (uint32_t w = 0; w < BINMAP_WORDS; w++)
		r->binmap[w] = 0;
	r->count = 0;
	r->free_pages = 0;
	r->hint = 0;
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
	uint32_t s, e, ns, ne, i, keep = 0, probe, inclusive = 1;
	if (!clip(r, start, end, 0, &s, &e))
		return 0;
	/* Absorb every extent that overlaps or touches [s, e): they start at or before e
	 * and end at or after s. Walking down from the last one that starts <= e finds
	 * them all, since extents never overlap each other; one that starts at or before s
	 * is the last, as every extent below it ends before its start. The first (highest)
	 * keeps its node and grows over the others. */
	ns = s;
	ne = e;
	probe = e;
	while ((i = floor_node(r, probe, inclusive)) && N(r, i).start + N(r, i).npages >= s) {
		uint32_t is = N(r, i).start, ie = is + N(r, i).npages;
		if (is < ns)
			ns = is;
		if (ie > ne)
			ne = ie;
		if (keep)
			drop_node(r, i);
		else
			keep = i;
		if (is <= s)
			break;
		probe = is;
		inclusive = 0;
	}
	if (keep) {
		resize(r, keep, ns, ne);
		return 0;
	}
	i = node_get(r);
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
	/* Every extent that starts below e and ends after s, from the highest down; one that
	 * starts below s is the last (those below it end before its start). */
	while ((i = floor_node(r, e, 0)) && N(r, i).start + N(r, i).npages > s) {
		uint32_t is = N(r, i).start, ie = is + N(r, i).npages, j;
		if (is < s && ie > e) {
			/* The used range splits one extent in two: keep the left part in i and
			 * find a node for the right one. */
			resize(r, i, is, s);
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
			resize(r, i, is, s);
			return 0;
		}
		if (ie > e)
			resize(r, i, e, ie);
		else
			drop_node(r, i);
	}
	return 0;
}

int ljmm_region_find(const ljmm_region_t *r, size_t len, uintptr_t *addr)
{
	uint64_t need = ((uint64_t)len + LJMM_PAGE - 1) >> LJMM_PAGE_SHIFT;
	uint32_t b, cur, best = 0;
	if (!need || need > r->free_pages)
		return -ENOMEM;
	/* The first node of at least need pages in need's own bin (its bin also holds
	 * smaller extents), else the first node of the next bin that holds any. */
	b = ljmm_region_bin((uint32_t)need);
	for (cur = r->root[1 + b]; cur;) {
		if (N(r, cur).npages >= need) {
			best = cur;
			cur = N(r, cur).left[SIZE];
		} else {
			cur = N(r, cur).right[SIZE];
		}
	}
	if (!best) {
		b = next_bin(r, b + 1);
		if (b == LJMM_REGION_BINS)
			return -ENOMEM;
		for (best = r->root[1 + b]; N(r, best).left[SIZE];)
			best = N(r, best).left[SIZE];
	}
	*addr = ((uintptr_t)N(r, best).start + N(r, best).npages - need) << LJMM_PAGE_SHIFT;
	return 0;
}

uint64_t ljmm_region_free_bytes(const ljmm_region_t *r) { return r->free_pages << LJMM_PAGE_SHIFT; }

int ljmm_region_next(const ljmm_region_t *r, uintptr_t from, uintptr_t *start, uintptr_t *end)
{
	uint64_t page = ((uint64_t)from >> LJMM_PAGE_SHIFT) + ((from & (LJMM_PAGE - 1)) != 0);
	uint32_t cur = r->root[0], best = 0;
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

int ljmm_region_largest(const ljmm_region_t *r, uintptr_t *start, uintptr_t *len)
{
	/* The last node of the last bin that holds any: the largest, the lowest of equals. */
	uint32_t w = BINMAP_WORDS, cur;
	while (w && !r->binmap[w - 1])
		w--;
	if (!w)
		return -ENOENT;
	cur = r->root[1 + (w - 1) * 64 + 63 - (uint32_t)__builtin_clzll(r->binmap[w - 1])];
	while (N(r, cur).right[SIZE])
		cur = N(r, cur).right[SIZE];
	*start = (uintptr_t)N(r, cur).start << LJMM_PAGE_SHIFT;
	*len = (uintptr_t)N(r, cur).npages << LJMM_PAGE_SHIFT;
	return 0;
}
