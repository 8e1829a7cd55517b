/* SPDX-License-Identifier: MIT */
/* Fuzz target for the low-region index (shim/region.c).
 *
 * The input is a header (node pool size, region bounds) followed by operations:
 * mark_free, mark_used, alloc (find + mark_used), find alone, next, clear. The index
 * runs over a region of about 2048 pages with a small node pool, so that the paths
 * where storage is full are hit, next to two reference models kept as page bitmaps:
 *
 *   model  what the operations say is free (clipped to the bounds, partial pages not);
 *   lost   the pages of model the index forgot because storage was full.
 *
 * After every operation: ljmm_region_check() == 0; the index's free pages are exactly
 * model \ lost (so a subset of model, and equal to it while nothing was dropped);
 * |lost| <= dropped_pages, and dropped_pages equals the sum of what each -ENOSPC
 * dropped, computed from the model; -ENOSPC is returned exactly when a new extent is
 * needed (a free range touching no extent, or a used range strictly inside one) and
 * all cap nodes are in use, so no node ever leaks. find() is checked against the best
 * fit of the model while nothing was dropped (of the index's own pages otherwise):
 * the smallest free run >= n pages, the highest among equal sizes, the block at its
 * top; -ENOMEM exactly when there is no such run. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "region.h"

#define PG ((uintptr_t)4096)
#define NPAGES 4096u /* the model's address space, in pages; the region lies inside */
#define MAX_CAP 1100u /* > 2048 / 2 + 1: with this many nodes storage never fills */

static ljmm_region_node_t pool[MAX_CAP];
static uint8_t model[NPAGES], lost[NPAGES], idx[NPAGES];
static uint32_t scan = NPAGES; /* pages at or above hi_page + 1 are never free: checks stop there */

static int mark_page(void *ctx, uintptr_t start, uintptr_t end)
{
	uint8_t *map = ctx;
	FUZZ_CHECK(start < end && start % PG == 0 && end % PG == 0 && end / PG <= NPAGES, "extent [%#lx, %#lx)",
		   (unsigned long)start, (unsigned long)end);
	for (uintptr_t p = start / PG; p < end / PG; p++) {
		FUZZ_CHECK(!map[p], "page %lu in two extents", (unsigned long)p);
		map[p] = 1;
	}
	return 0;
}

/* The index's free pages, as a bitmap. */
static void snapshot(const ljmm_region_t *r, uint8_t *map)
{
	memset(map, 0, NPAGES);
	FUZZ_CHECK(ljmm_region_each(r, mark_page, map) == 0, "each stopped");
}

/* The pages a range covers, as the index documents it: a free range only its whole
 * pages (inward), a used one every page it touches (outward); then clamped to the
 * region's pages. Computed in page numbers, not the way region.c does it. */
static int clip(const ljmm_region_t *r, uintptr_t start, uintptr_t end, int used, uint32_t *ps, uint32_t *pe)
{
	uint64_t s, e;
	if (start >= end)
		return 0;
	if (used) {
		s = start / PG;
		e = end / PG + (end % PG != 0);
	} else {
		s = start / PG + (start % PG != 0);
		e = end / PG;
	}
	if (s < r->lo_page)
		s = r->lo_page;
	if (e > r->hi_page)
		e = r->hi_page;
	if (s >= e)
		return 0;
	*ps = (uint32_t)s;
	*pe = (uint32_t)e;
	return 1;
}

/* Best fit for need pages in map: 0 and *addr, or -ENOMEM. */
static int best_fit(const uint8_t *map, uint64_t need, uintptr_t *addr)
{
	uint64_t best_len = UINT64_MAX;
	uint32_t best_end = 0;
	if (!need)
		return -ENOMEM;
	for (uint32_t p = 0; p < scan;) {
		uint32_t q = p;
		if (!map[p]) {
			p++;
			continue;
		}
		while (q < scan && map[q])
			q++;
		/* Runs are visited in address order: ">=" keeps the highest among equals. */
		if (q - p >= need && q - p <= best_len) {
			best_len = q - p;
			best_end = q;
		}
		p = q;
	}
	if (best_len == UINT64_MAX)
		return -ENOMEM;
	*addr = ((uintptr_t)best_end - need) * PG;
	return 0;
}

typedef struct {
	ljmm_region_t r;
	uint64_t dropped; /* what dropped_pages must be */
	unsigned long ops;
} state_t;

static void verify(state_t *st, const char *op)
{
	ljmm_region_t *r = &st->r;
	uint64_t nlost = 0, nidx = 0;
	int c = ljmm_region_check(r);
	FUZZ_CHECK(c == 0, "after op %lu (%s): ljmm_region_check() = %d", st->ops, op, c);
	snapshot(r, idx);
	for (uint32_t p = 0; p < scan; p++) {
		FUZZ_CHECK(idx[p] == (model[p] && !lost[p]), "after op %lu (%s): page %u index %d model %d lost %d",
			   st->ops, op, p, idx[p], model[p], lost[p]);
		nlost += lost[p];
		nidx += idx[p];
	}
	FUZZ_CHECK(r->free_pages == nidx, "free_pages %llu, extents hold %llu", (unsigned long long)r->free_pages,
		   (unsigned long long)nidx);
	FUZZ_CHECK(r->dropped_pages == st->dropped, "after op %lu (%s): dropped_pages %llu, expected %llu", st->ops,
		   op, (unsigned long long)r->dropped_pages, (unsigned long long)st->dropped);
	FUZZ_CHECK(nlost <= r->dropped_pages, "lost %llu > dropped %llu", (unsigned long long)nlost,
		   (unsigned long long)r->dropped_pages);
	FUZZ_CHECK(r->count <= r->cap && r->count <= r->peak_count, "count %u cap %u peak %u", r->count, r->cap,
		   r->peak_count);
}

/* Does any free page of the index lie in [s - 1, e] (overlap or touch)? */
static int touches(const uint8_t *map, uint32_t s, uint32_t e)
{
	for (uint32_t p = s ? s - 1 : 0; p <= e && p < NPAGES; p++)
		if (map[p])
			return 1;
	return 0;
}

static void do_free(state_t *st, uintptr_t start, uintptr_t end)
{
	ljmm_region_t *r = &st->r;
	uint32_t s, e, count = r->count;
	int in = clip(r, start, end, 0, &s, &e), touch = in && touches(idx, s, e);
	int ret = ljmm_region_mark_free(r, start, end);
	if (!in) {
		FUZZ_CHECK(ret == 0, "empty mark_free returned %d", ret);
		return;
	}
	/* A new extent is needed only when nothing is absorbed; it fails only on a full pool. */
	FUZZ_CHECK(ret == ((!touch && count == r->cap) ? -ENOSPC : 0),
		   "mark_free [%u, %u) returned %d (touch %d, count %u, cap %u)", s, e, ret, touch, count, r->cap);
	for (uint32_t p = s; p < e; p++) {
		model[p] = 1;
		lost[p] = ret != 0;
	}
	if (ret)
		st->dropped += e - s;
}

static void do_used(state_t *st, uintptr_t start, uintptr_t end)
{
	ljmm_region_t *r = &st->r;
	uint32_t s, e, count = r->count, ie = 0;
	int in = clip(r, start, end, 1, &s, &e), inside = 0;
	int ret = ljmm_region_mark_used(r, start, end);
	if (!in) {
		FUZZ_CHECK(ret == 0, "empty mark_used returned %d", ret);
		return;
	}
	/* Strictly inside one extent: free pages on both sides, none missing between. */
	if (s > 0 && idx[s - 1] && e < NPAGES && idx[e]) {
		inside = 1;
		for (uint32_t p = s; p < e; p++)
			inside &= idx[p];
	}
	FUZZ_CHECK(ret == ((inside && count == r->cap) ? -ENOSPC : 0),
		   "mark_used [%u, %u) returned %d (inside %d, count %u, cap %u)", s, e, ret, inside, count, r->cap);
	for (uint32_t p = s; p < e; p++)
		model[p] = lost[p] = 0;
	if (ret) {
		/* The right remainder [e, end of the extent) is forgotten. */
		for (ie = e; ie < NPAGES && idx[ie]; ie++)
			lost[ie] = 1;
		st->dropped += ie - e;
	}
}

static void do_find(state_t *st, size_t len, int alloc)
{
	ljmm_region_t *r = &st->r;
	uint64_t need = ((uint64_t)len + PG - 1) / PG;
	uintptr_t got = 0, want = 0;
	/* While nothing was dropped the model is the truth; after, the index's own pages. */
	int ret = ljmm_region_find(r, len, &got), wret = best_fit(r->dropped_pages ? idx : model, need, &want);
	FUZZ_CHECK(ret == wret, "find(%zu bytes) returned %d, model says %d", len, ret, wret);
	if (ret)
		return;
	FUZZ_CHECK(got == want, "find(%zu bytes) gave %#lx, best fit is %#lx", len, (unsigned long)got,
		   (unsigned long)want);
	if (alloc)
		do_used(st, got, got + need * PG);
}

static void do_next(state_t *st, uintptr_t from)
{
	uintptr_t s = 0, e = 0;
	int ret = ljmm_region_next(&st->r, from, &s, &e);
	uint32_t p = (uint32_t)((from + PG - 1) / PG);
	/* The first extent starting at or after from: skip the tail of one that began before. */
	while (p < NPAGES && p > 0 && idx[p] && idx[p - 1])
		p++;
	while (p < NPAGES && !idx[p])
		p++;
	if (p >= NPAGES) {
		FUZZ_CHECK(ret == -ENOENT, "next(%#lx) returned %d, expected -ENOENT", (unsigned long)from, ret);
		return;
	}
	FUZZ_CHECK(ret == 0 && s == p * PG, "next(%#lx) returned %d [%#lx, %#lx), expected start page %u",
		   (unsigned long)from, ret, (unsigned long)s, (unsigned long)e, p);
	while (p < NPAGES && idx[p])
		p++;
	FUZZ_CHECK(e == p * PG, "next(%#lx) ended at %#lx, expected page %u", (unsigned long)from, (unsigned long)e, p);
}

/* A range length in pages: mostly small, sometimes large. */
static uint32_t pick_len(fuzz_in_t *in)
{
	unsigned b = fuzz_u8(in);
	if (b < 192)
		return b % 48 + 1;
	return (b - 192) * 64 + fuzz_u8(in) % 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static state_t st;
	fuzz_in_t in = {data, size};
	unsigned b0 = fuzz_u8(&in), b1 = fuzz_u8(&in), b2 = fuzz_u8(&in);
	uint32_t cap = (b0 & 0x80) ? MAX_CAP : (b0 & 0x3f) + 1;
	uintptr_t lo = (uintptr_t)(b1 % 64) * PG, hi = lo + (uintptr_t)(1984 + b2 % 128) * PG;
	/* Unaligned bounds: lo rounds up, hi down. */
	if (b1 & 0x40)
		lo -= lo ? 100 : 0;
	if (b1 & 0x80)
		hi += 100;
	memset(&st, 0, sizeof st);
	scan = NPAGES;
	memset(model, 0, sizeof model);
	memset(lost, 0, sizeof lost);
	memset(idx, 0, sizeof idx);
	ljmm_region_init(&st.r, pool, cap, lo, hi);
	verify(&st, "init"); /* over the whole model once: nothing free anywhere */
	scan = st.r.hi_page + 1;
	/* A region that starts fully free, as after a resync over an empty address space. */
	if (b0 & 0x40) {
		do_free(&st, 0, UINTPTR_MAX);
		verify(&st, "initial free");
	}
	while (in.n) {
		unsigned op = fuzz_u8(&in);
		uintptr_t start = (uintptr_t)(fuzz_u16(&in) % NPAGES) * PG, len;
		const char *name = "?";
		st.ops++;
		switch (op % 16) {
		case 0: case 1: case 2: case 3:
			name = "mark_free";
			do_free(&st, start, start + pick_len(&in) * PG);
			break;
		case 4:
			/* Unaligned edges: partial pages are never recorded free. */
			name = "mark_free unaligned";
			len = pick_len(&in) * PG;
			do_free(&st, start + (op >> 4) * 97, start + len - (op >> 4) * 13);
			break;
		case 5: case 6:
			name = "mark_used";
			do_used(&st, start, start + pick_len(&in) * PG);
			break;
		case 7:
			/* Unaligned edges: partial pages count as used whole. */
			name = "mark_used unaligned";
			len = pick_len(&in) * PG;
			do_used(&st, start + (op >> 4) * 97, start + len - (op >> 4) * 13);
			break;
		case 8: case 9: case 10: case 11:
			name = "alloc";
			do_find(&st, (size_t)pick_len(&in) * PG, 1);
			break;
		case 12:
			/* Any byte length, 0 and lengths beyond the region included. */
			name = "find";
			len = fuzz_u16(&in);
			if (op & 0x80)
				len = (len << 12) + (op >> 4);
			if (op & 0x40)
				len = SIZE_MAX - len;
			do_find(&st, len, 0);
			break;
		case 13:
			name = "next";
			do_next(&st, start + (op >> 4));
			break;
		case 14:
			/* The whole address space at once, or the whole region used. */
			name = (op & 0x10) ? "mark_used all" : "mark_free all";
			if (op & 0x10)
				do_used(&st, 0, UINTPTR_MAX & ~(PG - 1));
			else
				do_free(&st, 0, UINTPTR_MAX);
			break;
		default:
			if ((op & 0xf0) != 0xf0) { /* rare: a resync starts with a clear */
				name = "mark_used";
				do_used(&st, start, start + PG);
				break;
			}
			name = "clear";
			ljmm_region_clear(&st.r);
			memset(model, 0, sizeof model);
			memset(lost, 0, sizeof lost);
			break;
		}
		verify(&st, name);
	}
	return 0;
}
