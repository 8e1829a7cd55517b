/* SPDX-License-Identifier: MIT */
/* Unit tests for the low-region index (shim/region.c, regioncheck.c): best fit, size bins, splitting,
 * coalescing, full storage, the kept search. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/testutil.h"
#include "region.h"
#include "check_main.h"

#define A(page) ((uintptr_t)(page) * PAGE)

/* Bounds, in pages, of the region used by the scripted tests. */
#define S_LO 8u
#define S_HI 1000u

typedef struct {
	uint32_t s, e; /* page range [s, e); e == 0 ends a list */
} pr_t;

/* ---- helpers ----------------------------------------------------------------------- */

typedef struct {
	pr_t v[64];
	size_t n;
	int order_ok;
} extents_t;

static int collect(void *ctx, uintptr_t start, uintptr_t end)
{
	extents_t *x = ctx;
	if (x->n && A(x->v[x->n - 1].e) >= start)
		x->order_ok = 0;
	if (start % PAGE || end % PAGE || end <= start)
		x->order_ok = 0;
	if (x->n < sizeof x->v / sizeof x->v[0]) {
		x->v[x->n].s = (uint32_t)(start / PAGE);
		x->v[x->n].e = (uint32_t)(end / PAGE);
	}
	x->n++;
	return 0;
}

static size_t list_len(const pr_t *l, size_t max)
{
	size_t n = 0;
	while (n < max && l[n].e)
		n++;
	return n;
}

/* The index holds exactly the extents of want (in address order) and is sound. */
static void expect_extents(const ljmm_region_t *r, const pr_t *want, size_t nwant, const char *what)
{
	extents_t x;
	uint64_t pages = 0;
	memset(&x, 0, sizeof x);
	x.order_ok = 1;
	ck_assert_msg(ljmm_region_check(r) == 0, "%s: check failed with %d", what, ljmm_region_check(r));
	ck_assert_int_eq(ljmm_region_each(r, collect, &x), 0);
	ck_assert_msg(x.order_ok, "%s: extents not in increasing, separated order", what);
	ck_assert_msg(x.n == nwant, "%s: %zu extents, want %zu", what, x.n, nwant);
	for (size_t i = 0; i < nwant; i++) {
		ck_assert_msg(x.v[i].s == want[i].s && x.v[i].e == want[i].e,
			      "%s: extent %zu is [%u, %u), want [%u, %u)", what, i, x.v[i].s, x.v[i].e, want[i].s,
			      want[i].e);
		pages += want[i].e - want[i].s;
	}
	ck_assert_msg(ljmm_region_free_bytes(r) == pages * PAGE, "%s: free bytes %llu, want %llu", what,
		      (unsigned long long)ljmm_region_free_bytes(r), (unsigned long long)(pages * PAGE));
	ck_assert_uint_eq(r->count, nwant);
}

static int find_pages(const ljmm_region_t *r, uint64_t npages, uint32_t *page)
{
	uintptr_t addr = 0;
	int ret = ljmm_region_find(r, (size_t)(npages * PAGE), &addr);
	if (ret == 0) {
		ck_assert_msg(addr % PAGE == 0, "find returned unaligned %#lx", (unsigned long)addr);
		*page = (uint32_t)(addr / PAGE);
	}
	return ret;
}

/* ---- scripted tests: a list of steps, then the extents expected ---------------------- */

typedef struct {
	char op; /* 'F' mark_free, 'U' mark_used, 0 ends the list */
	uint32_t s, e;
	int ret;
} step_t;

typedef struct {
	const char *name;
	uint32_t cap;
	step_t steps[8];
	pr_t want[6];
	uint64_t dropped;
} script_t;

static void run_script(const script_t *sc)
{
	ljmm_region_node_t storage[64];
	ljmm_region_t r;
	ck_assert(sc->cap <= 64);
	memset(storage, 0x5a, sizeof storage);
	ljmm_region_init(&r, storage, sc->cap ? sc->cap : 64, A(S_LO), A(S_HI));
	for (size_t i = 0; i < 8 && sc->steps[i].op; i++) {
		const step_t *st = &sc->steps[i];
		int ret = st->op == 'F' ? ljmm_region_mark_free(&r, A(st->s), A(st->e))
					: ljmm_region_mark_used(&r, A(st->s), A(st->e));
		ck_assert_msg(ret == st->ret, "%s: step %zu (%c [%u, %u)) returned %d, want %d", sc->name, i, st->op,
			      st->s, st->e, ret, st->ret);
		ck_assert_msg(ljmm_region_check(&r) == 0, "%s: check failed after step %zu", sc->name, i);
	}
	expect_extents(&r, sc->want, list_len(sc->want, 6), sc->name);
	ck_assert_msg(r.dropped_pages == sc->dropped, "%s: dropped %llu pages, want %llu", sc->name,
		      (unsigned long long)r.dropped_pages, (unsigned long long)sc->dropped);
}

static void run_scripts(const script_t *sc, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_script(&sc[i]);
}

/* ---- init / empty ---------------------------------------------------------------------- */

static int count_calls(void *ctx, uintptr_t start, uintptr_t end)
{
	(void)start;
	(void)end;
	++*(int *)ctx;
	return 0;
}

START_TEST(test_region_init_is_empty)
{
	ljmm_region_node_t storage[4];
	ljmm_region_t r;
	uintptr_t addr = 12345;
	int calls = 0;
	memset(storage, 0xa5, sizeof storage); /* init must not rely on zeroed storage */
	memset(&r, 0xa5, sizeof r);
	ljmm_region_init(&r, storage, 4, A(16), A(1024));
	ck_assert_uint_eq(ljmm_region_free_bytes(&r), 0);
	ck_assert_uint_eq(r.count, 0);
	ck_assert_uint_eq(r.dropped_pages, 0);
	ck_assert_int_eq(ljmm_region_find(&r, PAGE, &addr), -ENOMEM);
	ck_assert_int_eq(ljmm_region_each(&r, count_calls, &calls), 0);
	ck_assert_int_eq(calls, 0);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
	/* All four nodes are usable after init. */
	for (uint32_t i = 0; i < 4; i++)
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(20 + 2 * i), A(21 + 2 * i)), 0);
	ck_assert_uint_eq(r.count, 4);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
}
END_TEST

static const struct {
	uintptr_t lo, hi;
	uintptr_t want_lo, want_hi; /* want_lo == want_hi: nothing can be free */
} bounds_cases[] = {
	{0x10000, 0x20000, 0x10000, 0x20000},
	{0x10001, 0x20fff, 0x11000, 0x20000}, /* lo rounds up, hi down */
	{0x20000, 0x10000, 0, 0},              /* hi below lo: empty */
	{0x10000, 0x10000, 0, 0},
	{0x10800, 0x11800, 0, 0}, /* rounds to an empty range */
	{0, (uintptr_t)1 << 31, 0, (uintptr_t)1 << 31},
	{0x1000, (uintptr_t)1 << 43, 0x1000, (uintptr_t)1 << 43},
};

START_TEST(test_region_init_bounds)
{
	for (size_t i = 0; i < NELEM(bounds_cases); i++) {
		ljmm_region_node_t storage[4];
		ljmm_region_t r;
		extents_t x;
		memset(&x, 0, sizeof x);
		ljmm_region_init(&r, storage, 4, bounds_cases[i].lo, bounds_cases[i].hi);
		ck_assert_int_eq(ljmm_region_mark_free(&r, 0, (uintptr_t)1 << 44), 0);
		ck_assert_int_eq(ljmm_region_each(&r, collect, &x), 0);
		ck_assert_int_eq(ljmm_region_check(&r), 0);
		if (bounds_cases[i].want_lo == bounds_cases[i].want_hi) {
			ck_assert_msg(x.n == 0, "case %zu: %zu extents in an empty region", i, x.n);
			ck_assert_uint_eq(ljmm_region_free_bytes(&r), 0);
		} else {
			ck_assert_msg(x.n == 1, "case %zu: %zu extents", i, x.n);
			ck_assert_msg(A(x.v[0].s) == bounds_cases[i].want_lo && A(x.v[0].e) == bounds_cases[i].want_hi,
				      "case %zu: [%#lx, %#lx)", i, (unsigned long)A(x.v[0].s), (unsigned long)A(x.v[0].e));
			ck_assert_uint_eq(ljmm_region_free_bytes(&r), bounds_cases[i].want_hi - bounds_cases[i].want_lo);
		}
	}
}
END_TEST

/* ---- best fit ------------------------------------------------------------------------- */

static const struct {
	pr_t free[7];
	uint32_t npages;
	int ret;
	uint32_t want_page; /* where the block starts: the top of the chosen extent */
} fit_cases[] = {
	/* sizes 2, 5, 3, 3, 1, 1 */
	{{{10, 12}, {20, 25}, {30, 33}, {40, 43}, {50, 51}, {60, 61}}, 1, 0, 60},
	{{{10, 12}, {20, 25}, {30, 33}, {40, 43}, {50, 51}, {60, 61}}, 2, 0, 10},
	{{{10, 12}, {20, 25}, {30, 33}, {40, 43}, {50, 51}, {60, 61}}, 3, 0, 40},
	{{{10, 12}, {20, 25}, {30, 33}, {40, 43}, {50, 51}, {60, 61}}, 4, 0, 21},
	{{{10, 12}, {20, 25}, {30, 33}, {40, 43}, {50, 51}, {60, 61}}, 5, 0, 20},
	{{{10, 12}, {20, 25}, {30, 33}, {40, 43}, {50, 51}, {60, 61}}, 6, -ENOMEM, 0},
	/* best fit, not first fit: a big extent low, a snug one high */
	{{{10, 110}, {200, 203}}, 3, 0, 200},
	{{{10, 110}, {200, 203}}, 4, 0, 106},
	{{{10, 110}, {200, 203}}, 100, 0, 10},
	{{{10, 110}, {200, 203}}, 101, -ENOMEM, 0},
	/* equal sizes: the highest address wins */
	{{{300, 302}, {200, 202}, {100, 102}, {400, 402}}, 2, 0, 400},
	{{{300, 302}, {200, 202}, {100, 102}, {400, 402}}, 1, 0, 401},
	{{{300, 302}, {200, 202}, {100, 102}, {400, 402}}, 3, -ENOMEM, 0},
	/* fragmented: eight free pages, but no two adjacent */
	{{{10, 11}, {12, 13}, {14, 15}, {16, 17}, {18, 19}, {20, 21}, {22, 23}}, 2, -ENOMEM, 0},
	{{{10, 11}, {12, 13}, {14, 15}, {16, 17}, {18, 19}, {20, 21}, {22, 23}}, 1, 0, 22},
	/* the whole region */
	{{{S_LO, S_HI}}, S_HI - S_LO, 0, S_LO},
	{{{S_LO, S_HI}}, 1, 0, S_HI - 1},
	/* Size bins (exact below 16 pages, then 16 per power of two): 32 and 33 pages share a
	 * bin; a fit inside the wanted size's bin beats a larger bin, and the smaller
	 * (non-fitting) node of that bin is passed over. */
	{{{100, 132}, {200, 233}, {300, 334}}, 33, 0, 200},
	{{{100, 132}, {200, 233}, {300, 334}}, 32, 0, 100},
	{{{100, 132}, {200, 233}, {300, 334}}, 34, 0, 300},
	/* Nothing fits in the wanted bin: the smallest of the next bin that holds any, highest on ties. */
	{{{500, 532}, {100, 135}, {300, 335}, {200, 240}}, 33, 0, 302},
	/* One-page holes and one large extent: the large one, at its top. */
	{{{10, 11}, {12, 13}, {14, 15}, {20, 700}}, 16, 0, 684},
	/* The exact bins at 15 and 16 pages and the first shared one. */
	{{{100, 115}, {200, 216}, {300, 317}}, 15, 0, 100},
	{{{100, 115}, {200, 216}, {300, 317}}, 16, 0, 200},
	{{{100, 115}, {200, 216}, {300, 317}}, 17, 0, 300},
	{{{100, 115}, {200, 216}, {300, 317}}, 18, -ENOMEM, 0},
	/* Equal sizes within a bin of several sizes: the highest. */
	{{{100, 140}, {200, 241}, {300, 340}}, 39, 0, 301},
};

START_TEST(test_region_find_best_fit)
{
	for (size_t i = 0; i < NELEM(fit_cases); i++) {
		/* Insert in both orders: the answer must not depend on history. */
		for (int rev = 0; rev < 2; rev++) {
			ljmm_region_node_t storage[16];
			ljmm_region_t r;
			size_t n = list_len(fit_cases[i].free, 7);
			uint32_t page = 0;
			uint64_t before;
			ljmm_region_init(&r, storage, 16, A(S_LO), A(S_HI));
			for (size_t k = 0; k < n; k++) {
				const pr_t *f = &fit_cases[i].free[rev ? n - 1 - k : k];
				ck_assert_int_eq(ljmm_region_mark_free(&r, A(f->s), A(f->e)), 0);
			}
			before = ljmm_region_free_bytes(&r);
			int ret = find_pages(&r, fit_cases[i].npages, &page);
			ck_assert_msg(ret == fit_cases[i].ret, "case %zu rev %d: ret %d, want %d", i, rev, ret,
				      fit_cases[i].ret);
			if (ret == 0)
				ck_assert_msg(page == fit_cases[i].want_page, "case %zu rev %d: page %u, want %u", i, rev,
					      page, fit_cases[i].want_page);
			/* find does not take anything. */
			ck_assert_uint_eq(ljmm_region_free_bytes(&r), before);
			ck_assert_uint_eq(r.count, n);
		}
	}
}
END_TEST

START_TEST(test_region_find_exhaustion)
{
	ljmm_region_node_t storage[8];
	ljmm_region_t r;
	uintptr_t addr = 0;
	ljmm_region_init(&r, storage, 8, A(S_LO), A(S_HI));
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(100), A(110)), 0);
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(200), A(204)), 0);
	ck_assert_int_eq(ljmm_region_find(&r, 0, &addr), -ENOMEM);
	ck_assert_int_eq(ljmm_region_find(&r, 11 * PAGE, &addr), -ENOMEM);
	ck_assert_int_eq(ljmm_region_find(&r, 14 * PAGE, &addr), -ENOMEM); /* == total free, but split */
	ck_assert_int_eq(ljmm_region_find(&r, (size_t)1 << 40, &addr), -ENOMEM);
	ck_assert_int_eq(ljmm_region_find(&r, SIZE_MAX, &addr), -ENOMEM);
	ck_assert_int_eq(ljmm_region_find(&r, SIZE_MAX - PAGE + 1, &addr), -ENOMEM);
	ck_assert_int_eq(ljmm_region_find(&r, 10 * PAGE, &addr), 0);
	ck_assert_uint_eq(addr, A(100));
	/* Take blocks until nothing is left, as an allocator would. */
	for (int i = 0; i < 14; i++) {
		ck_assert_int_eq(ljmm_region_find(&r, PAGE, &addr), 0);
		ck_assert_int_eq(ljmm_region_mark_used(&r, addr, addr + PAGE), 0);
		ck_assert_int_eq(ljmm_region_check(&r), 0);
	}
	ck_assert_uint_eq(ljmm_region_free_bytes(&r), 0);
	ck_assert_int_eq(ljmm_region_find(&r, PAGE, &addr), -ENOMEM);
}
END_TEST

/* ---- splitting by mark_used --------------------------------------------------------- */

static const script_t split_scripts[] = {
	{"middle", 0, {{'F', 100, 200, 0}, {'U', 150, 160, 0}}, {{100, 150}, {160, 200}}, 0},
	{"one page in the middle", 0, {{'F', 100, 200, 0}, {'U', 101, 102, 0}}, {{100, 101}, {102, 200}}, 0},
	{"left edge", 0, {{'F', 100, 200, 0}, {'U', 100, 110, 0}}, {{110, 200}}, 0},
	{"right edge", 0, {{'F', 100, 200, 0}, {'U', 190, 200, 0}}, {{100, 190}}, 0},
	{"whole", 0, {{'F', 100, 200, 0}, {'U', 100, 200, 0}}, {{0, 0}}, 0},
	{"over the left edge", 0, {{'F', 100, 200, 0}, {'U', 90, 110, 0}}, {{110, 200}}, 0},
	{"over the right edge", 0, {{'F', 100, 200, 0}, {'U', 190, 210, 0}}, {{100, 190}}, 0},
	{"covering", 0, {{'F', 100, 200, 0}, {'U', 50, 250, 0}}, {{0, 0}}, 0},
	{"touching left", 0, {{'F', 100, 200, 0}, {'U', 90, 100, 0}}, {{100, 200}}, 0},
	{"touching right", 0, {{'F', 100, 200, 0}, {'U', 200, 210, 0}}, {{100, 200}}, 0},
	{"used on nothing", 0, {{'U', 100, 200, 0}}, {{0, 0}}, 0},
	{"empty range", 0, {{'F', 100, 200, 0}, {'U', 150, 150, 0}, {'U', 160, 150, 0}}, {{100, 200}}, 0},
	{"repeated splits", 0,
	 {{'F', 100, 200, 0}, {'U', 110, 120, 0}, {'U', 130, 140, 0}, {'U', 150, 160, 0}, {'U', 115, 135, 0}},
	 {{100, 110}, {140, 150}, {160, 200}}, 0},
};

START_TEST(test_region_split_by_mark_used)
{
	run_scripts(split_scripts, NELEM(split_scripts));
}
END_TEST

static const script_t span_scripts[] = {
	{"across four", 0,
	 {{'F', 10, 20, 0}, {'F', 30, 40, 0}, {'F', 50, 60, 0}, {'F', 70, 80, 0}, {'U', 15, 75, 0}},
	 {{10, 15}, {75, 80}}, 0},
	{"exactly the gap", 0, {{'F', 10, 20, 0}, {'F', 30, 40, 0}, {'U', 20, 30, 0}}, {{10, 20}, {30, 40}}, 0},
	{"from gap to gap", 0,
	 {{'F', 10, 20, 0}, {'F', 30, 40, 0}, {'F', 50, 60, 0}, {'U', 25, 45, 0}}, {{10, 20}, {50, 60}}, 0},
	{"everything", 0,
	 {{'F', 10, 20, 0}, {'F', 30, 40, 0}, {'F', 50, 60, 0}, {'U', 0, 2000, 0}}, {{0, 0}}, 0},
	{"edges of three", 0,
	 {{'F', 10, 20, 0}, {'F', 30, 40, 0}, {'F', 50, 60, 0}, {'U', 19, 51, 0}}, {{10, 19}, {51, 60}}, 0},
};

START_TEST(test_region_mark_used_spans_extents)
{
	run_scripts(span_scripts, NELEM(span_scripts));
}
END_TEST

/* ---- coalescing by mark_free -------------------------------------------------------- */

static const script_t coalesce_scripts[] = {
	{"left neighbour", 0, {{'F', 10, 20, 0}, {'F', 20, 30, 0}}, {{10, 30}}, 0},
	{"right neighbour", 0, {{'F', 20, 30, 0}, {'F', 10, 20, 0}}, {{10, 30}}, 0},
	{"both neighbours", 0, {{'F', 10, 20, 0}, {'F', 30, 40, 0}, {'F', 20, 30, 0}}, {{10, 40}}, 0},
	{"overlapping left", 0, {{'F', 10, 20, 0}, {'F', 15, 25, 0}}, {{10, 25}}, 0},
	{"overlapping right", 0, {{'F', 15, 25, 0}, {'F', 10, 20, 0}}, {{10, 25}}, 0},
	{"overlapping both", 0, {{'F', 10, 20, 0}, {'F', 30, 40, 0}, {'F', 15, 35, 0}}, {{10, 40}}, 0},
	{"containing", 0, {{'F', 10, 20, 0}, {'F', 9, 30, 0}}, {{9, 30}}, 0},
	{"contained", 0, {{'F', 10, 30, 0}, {'F', 15, 20, 0}}, {{10, 30}}, 0},
	{"again, idempotent", 0, {{'F', 10, 30, 0}, {'F', 10, 30, 0}, {'F', 10, 30, 0}}, {{10, 30}}, 0},
	{"one page apart", 0, {{'F', 10, 20, 0}, {'F', 21, 30, 0}}, {{10, 20}, {21, 30}}, 0},
	{"closing one-page gaps", 0,
	 {{'F', 10, 11, 0}, {'F', 12, 13, 0}, {'F', 14, 15, 0}, {'F', 16, 17, 0}, {'F', 11, 12, 0}, {'F', 13, 16, 0}},
	 {{10, 17}}, 0},
	{"swallowing several", 0,
	 {{'F', 10, 12, 0}, {'F', 14, 16, 0}, {'F', 18, 20, 0}, {'F', 22, 24, 0}, {'F', 11, 23, 0}},
	 {{10, 24}}, 0},
	{"touching several", 0,
	 {{'F', 10, 12, 0}, {'F', 14, 16, 0}, {'F', 18, 20, 0}, {'F', 12, 18, 0}}, {{10, 20}}, 0},
	{"free after use", 0, {{'F', 10, 40, 0}, {'U', 20, 30, 0}, {'F', 20, 30, 0}}, {{10, 40}}, 0},
	{"free part of a used hole", 0,
	 {{'F', 10, 40, 0}, {'U', 20, 30, 0}, {'F', 22, 24, 0}}, {{10, 20}, {22, 24}, {30, 40}}, 0},
};

START_TEST(test_region_coalesces_neighbours)
{
	run_scripts(coalesce_scripts, NELEM(coalesce_scripts));
}
END_TEST

START_TEST(test_region_refree_is_idempotent)
{
	ljmm_region_node_t storage[8];
	ljmm_region_t r;
	static const pr_t want[] = {{10, 20}, {30, 40}, {50, 60}};
	ljmm_region_init(&r, storage, 8, A(S_LO), A(S_HI));
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < NELEM(want); i++)
			ck_assert_int_eq(ljmm_region_mark_free(&r, A(want[i].s), A(want[i].e)), 0);
		/* Sub-ranges of free extents change nothing either. */
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(12), A(18)), 0);
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(59), A(60)), 0);
		expect_extents(&r, want, NELEM(want), "re-free");
	}
}
END_TEST

/* ---- clipping ---------------------------------------------------------------------------- */

static const script_t clip_scripts[] = {
	{"free past both ends", 0, {{'F', 0, 5000, 0}}, {{S_LO, S_HI}}, 0},
	{"free below lo", 0, {{'F', 0, S_LO, 0}}, {{0, 0}}, 0},
	{"free above hi", 0, {{'F', S_HI, S_HI + 100, 0}}, {{0, 0}}, 0},
	{"free across lo", 0, {{'F', 2, S_LO + 3, 0}}, {{S_LO, S_LO + 3}}, 0},
	{"free across hi", 0, {{'F', S_HI - 3, S_HI + 3, 0}}, {{S_HI - 3, S_HI}}, 0},
	{"used past both ends", 0, {{'F', 0, 5000, 0}, {'U', 0, 5000, 0}}, {{0, 0}}, 0},
	{"used outside", 0, {{'F', 0, 5000, 0}, {'U', 0, S_LO, 0}, {'U', S_HI, 5000, 0}}, {{S_LO, S_HI}}, 0},
	{"used across lo", 0, {{'F', 0, 5000, 0}, {'U', 0, S_LO + 1, 0}}, {{S_LO + 1, S_HI}}, 0},
};

START_TEST(test_region_clips_to_bounds)
{
	ljmm_region_node_t storage[4];
	ljmm_region_t r;
	extents_t x;
	run_scripts(clip_scripts, NELEM(clip_scripts));
	/* Partial pages at the edges of a range are never free. */
	memset(&x, 0, sizeof x);
	ljmm_region_init(&r, storage, 4, A(S_LO), A(S_HI));
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(20) + 1, A(30) - 1), 0);
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(40) + 100, A(41) + 100), 0);
	ck_assert_int_eq(ljmm_region_each(&r, collect, &x), 0);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(x.v[0].s, 21);
	ck_assert_uint_eq(x.v[0].e, 29);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
}
END_TEST

START_TEST(test_region_used_edges_round_outward)
{
	/* A used range covers its partial pages whole: page 24 (touched by its last byte)
	 * and page 25 (by one byte in the middle) must not stay free. */
	static const struct {
		uintptr_t s, e;
		pr_t want[3];
	} cases[] = {
		{A(22) + 1, A(24) + 1, {{21, 22}, {25, 29}}},
		{A(25) + 7, A(25) + 8, {{21, 25}, {26, 29}}},
		{A(21) - 1, A(21) + 1, {{22, 29}}},
		{A(28) + 4095, A(29) + 4095, {{21, 28}}},
		{A(20), A(30), {{0, 0}}},
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		ljmm_region_node_t storage[4];
		ljmm_region_t r;
		char name[64];
		ljmm_region_init(&r, storage, 4, A(S_LO), A(S_HI));
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(21), A(29)), 0);
		ck_assert_int_eq(ljmm_region_mark_used(&r, cases[i].s, cases[i].e), 0);
		ck_assert_int_eq(ljmm_region_check(&r), 0);
		snprintf(name, sizeof name, "used [%#lx, %#lx)", (unsigned long)cases[i].s, (unsigned long)cases[i].e);
		expect_extents(&r, cases[i].want, list_len(cases[i].want, 3), name);
	}
}
END_TEST

/* ---- full storage ---------------------------------------------------------------------- */

static const script_t full_scripts[] = {
	{"free into full storage", 2,
	 {{'F', 10, 11, 0}, {'F', 20, 21, 0}, {'F', 30, 32, -ENOSPC}}, {{10, 11}, {20, 21}}, 2},
	{"a merge needs no node", 2,
	 {{'F', 10, 11, 0}, {'F', 20, 21, 0}, {'F', 11, 12, 0}, {'F', 19, 20, 0}, {'F', 15, 25, 0}},
	 {{10, 12}, {15, 25}}, 0},
	{"a merge frees a node", 2,
	 {{'F', 10, 11, 0}, {'F', 20, 21, 0}, {'F', 11, 20, 0}, {'F', 30, 31, 0}, {'F', 40, 41, -ENOSPC}},
	 {{10, 21}, {30, 31}}, 1},
	{"split into full storage", 1, {{'F', 10, 20, 0}, {'U', 14, 15, -ENOSPC}}, {{10, 14}}, 5},
	{"edge cuts need no node", 1,
	 {{'F', 10, 20, 0}, {'U', 10, 12, 0}, {'U', 18, 20, 0}, {'U', 5, 13, 0}}, {{13, 18}}, 0},
	{"dropped pages stay used", 1,
	 {{'F', 10, 20, 0}, {'U', 12, 13, -ENOSPC}, {'F', 30, 40, -ENOSPC}, {'U', 10, 11, 0}},
	 {{11, 12}}, 17},
	{"freeing the dropped range again", 1,
	 {{'F', 10, 20, 0}, {'U', 12, 13, -ENOSPC}, {'F', 12, 20, 0}}, {{10, 20}}, 7},
	{"nothing left to drop", 2,
	 {{'F', 10, 11, 0}, {'F', 20, 21, 0}, {'U', 0, 100, 0}, {'F', 30, 31, 0}, {'F', 40, 41, 0}},
	 {{30, 31}, {40, 41}}, 0},
};

START_TEST(test_region_storage_full_script)
{
	run_scripts(full_scripts, NELEM(full_scripts));
}
END_TEST

/* A tiny region and a tiny pool under random traffic: the index may forget free pages,
 * but must stay sound and never claim a page that is not free. */
START_TEST(test_region_storage_full_never_invents_free)
{
	enum { NP = 256, CAP = 6, LO = 16 };
	ljmm_region_node_t storage[CAP];
	ljmm_region_t r;
	unsigned char truth[NP];
	uint64_t x = 0x1234567887654321ull;
	unsigned nospc = 0;
	memset(truth, 0, sizeof truth);
	ljmm_region_init(&r, storage, CAP, A(LO), A(LO + NP));
	for (int op = 0; op < 20000; op++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t s = (uint32_t)(x % NP), len = (uint32_t)((x >> 16) % 24) + 1, e = s + len > NP ? NP : s + len;
		uint64_t dropped = r.dropped_pages;
		int used = (x >> 40) & 1, ret;
		ret = used ? ljmm_region_mark_used(&r, A(LO + s), A(LO + e)) : ljmm_region_mark_free(&r, A(LO + s), A(LO + e));
		ck_assert_msg(ret == 0 || ret == -ENOSPC, "op %d: ret %d", op, ret);
		ck_assert_msg((ret == -ENOSPC) == (r.dropped_pages > dropped), "op %d: ret %d but dropped %llu -> %llu",
			      op, ret, (unsigned long long)dropped, (unsigned long long)r.dropped_pages);
		nospc += ret == -ENOSPC;
		memset(truth + s, !used, e - s);
		ck_assert_msg(ljmm_region_check(&r) == 0, "op %d: check %d", op, ljmm_region_check(&r));
		ck_assert_uint_le(r.count, CAP);
		/* Every page the index calls free is free; a successful free is fully recorded;
		 * a used range is never free. */
		{
			extents_t xs;
			memset(&xs, 0, sizeof xs);
			ck_assert_int_eq(ljmm_region_each(&r, collect, &xs), 0);
			ck_assert_uint_le(xs.n, CAP);
			for (size_t k = 0; k < xs.n; k++)
				for (uint32_t p = xs.v[k].s; p < xs.v[k].e; p++)
					ck_assert_msg(truth[p - LO], "op %d: page %u reported free but is used", op, p);
			for (uint32_t p = s; p < e && (used || ret == 0); p++) {
				int in = 0;
				for (size_t k = 0; k < xs.n; k++)
					in |= p + LO >= xs.v[k].s && p + LO < xs.v[k].e;
				ck_assert_msg(in == !used, "op %d: page %u after %s is %s", op, p + LO,
					      used ? "mark_used" : "mark_free", in ? "free" : "used");
			}
		}
	}
	ck_assert_msg(nospc > 100, "storage was full only %u times: the test exercises nothing", nospc);
}
END_TEST

/* ---- each --------------------------------------------------------------------------------- */

typedef struct {
	int calls, stop_at;
	uintptr_t last_start;
} stop_ctx_t;

static int stop_early(void *ctx, uintptr_t start, uintptr_t end)
{
	stop_ctx_t *c = ctx;
	(void)end;
	c->last_start = start;
	return ++c->calls == c->stop_at ? 7 : 0;
}

START_TEST(test_region_each_order_and_stop)
{
	static const pr_t shuffled[] = {{50, 60}, {10, 20}, {90, 95}, {30, 31}, {70, 80}};
	static const pr_t sorted[] = {{10, 20}, {30, 31}, {50, 60}, {70, 80}, {90, 95}};
	ljmm_region_node_t storage[8];
	ljmm_region_t r;
	ljmm_region_init(&r, storage, 8, A(S_LO), A(S_HI));
	for (size_t i = 0; i < NELEM(shuffled); i++)
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(shuffled[i].s), A(shuffled[i].e)), 0);
	expect_extents(&r, sorted, NELEM(sorted), "each order");
	for (int stop = 1; stop <= 5; stop++) {
		stop_ctx_t c = {0, stop, 0};
		ck_assert_int_eq(ljmm_region_each(&r, stop_early, &c), 7);
		ck_assert_int_eq(c.calls, stop);
		ck_assert_uint_eq(c.last_start, A(sorted[stop - 1].s));
	}
	{
		stop_ctx_t c = {0, 6, 0};
		ck_assert_int_eq(ljmm_region_each(&r, stop_early, &c), 0);
		ck_assert_int_eq(c.calls, 5);
	}
}
END_TEST

/* ---- next: the first extent starting at or after an address ---------------------------- */

static const struct {
	uintptr_t from;
	int ret;
	pr_t want;
} next_cases[] = {
	{0, 0, {10, 20}},
	{A(10), 0, {10, 20}},
	{A(10) + 1, 0, {30, 31}}, /* starts before from: skipped, even though from is inside it */
	{A(15), 0, {30, 31}},
	{A(20), 0, {30, 31}},
	{A(30), 0, {30, 31}},
	{A(30) + 4095, 0, {50, 60}},
	{A(31), 0, {50, 60}},
	{A(50), 0, {50, 60}},
	{A(50) + 1, -ENOENT, {0, 0}},
	{A(S_HI), -ENOENT, {0, 0}},
	{(uintptr_t)1 << 40, -ENOENT, {0, 0}},
	{UINTPTR_MAX, -ENOENT, {0, 0}}, /* rounding up must not wrap to page 0 */
	{UINTPTR_MAX - 4095, -ENOENT, {0, 0}},
};

START_TEST(test_region_next_extent)
{
	ljmm_region_node_t storage[8];
	ljmm_region_t r;
	uintptr_t s = 1, e = 2;
	ljmm_region_init(&r, storage, 8, A(S_LO), A(S_HI));
	ck_assert_int_eq(ljmm_region_next(&r, 0, &s, &e), -ENOENT);
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(50), A(60)), 0);
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(10), A(20)), 0);
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(30), A(31)), 0);
	for (size_t i = 0; i < NELEM(next_cases); i++) {
		int ret = ljmm_region_next(&r, next_cases[i].from, &s, &e);
		ck_assert_msg(ret == next_cases[i].ret, "case %zu: ret %d, want %d", i, ret, next_cases[i].ret);
		if (ret == 0)
			ck_assert_msg(s == A(next_cases[i].want.s) && e == A(next_cases[i].want.e),
				      "case %zu: [%#lx, %#lx)", i, (unsigned long)s, (unsigned long)e);
	}
}
END_TEST

/* ---- randomized comparison with a page bitmap ---------------------------------------- */

enum { RND_PAGES = 4096, RND_LO = 32, RND_CAP = RND_PAGES };

static ljmm_region_node_t rnd_storage[RND_CAP];

typedef struct {
	uint32_t s, e;
} run_t;

/* Maximal runs of free pages in the bitmap, as absolute pages. */
static size_t bitmap_runs(const unsigned char *bm, run_t *runs)
{
	size_t n = 0;
	for (uint32_t p = 0; p < RND_PAGES;) {
		if (!bm[p]) {
			p++;
			continue;
		}
		uint32_t q = p;
		while (q < RND_PAGES && bm[q])
			q++;
		runs[n].s = RND_LO + p;
		runs[n].e = RND_LO + q;
		n++;
		p = q;
	}
	return n;
}

typedef struct {
	const run_t *runs;
	size_t n, i;
	int bad;
} cmp_ctx_t;

static int compare_run(void *ctx, uintptr_t start, uintptr_t end)
{
	cmp_ctx_t *c = ctx;
	if (c->i >= c->n || A(c->runs[c->i].s) != start || A(c->runs[c->i].e) != end)
		c->bad = 1;
	c->i++;
	return c->bad;
}

static uint64_t rnd_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

START_TEST(test_region_random_against_bitmap)
{
	static unsigned char bm[RND_PAGES];
	static run_t runs[RND_PAGES];
	ljmm_region_t r;
	uint64_t x = 20240611;
	unsigned finds_ok = 0, finds_fail = 0;
	uint32_t max_count = 0;
	memset(bm, 0, sizeof bm);
	ljmm_region_init(&r, rnd_storage, RND_CAP, A(RND_LO), A(RND_LO + RND_PAGES));
	for (int op = 0; op < 20000; op++) {
		uint64_t v = rnd_next(&x);
		unsigned kind = (unsigned)(v % 100);
		/* Ranges reach a little past both bounds to exercise clipping. */
		int64_t s = (int64_t)((v >> 8) % (RND_PAGES + 32)) - 16;
		uint32_t len = (uint32_t)((v >> 24) % ((v >> 40) % 8 == 0 ? 512 : 16)) + 1;
		int64_t e = s + len;
		int ret;
		if (kind < 90) {
			int is_free = kind < 45;
			uintptr_t as = A(RND_LO + s), ae = A(RND_LO + e);
			ret = is_free ? ljmm_region_mark_free(&r, as, ae) : ljmm_region_mark_used(&r, as, ae);
			ck_assert_msg(ret == 0, "op %d: ret %d", op, ret);
			for (int64_t p = s < 0 ? 0 : s; p < e && p < RND_PAGES; p++)
				bm[p] = (unsigned char)is_free;
		} else {
			/* Allocate as the shim does: find, then mark the block used. */
			uint32_t page;
			ret = find_pages(&r, len, &page);
			if (ret == 0) {
				ck_assert(page >= RND_LO && page + len <= RND_LO + RND_PAGES);
				for (uint32_t p = page; p < page + len; p++)
					ck_assert_msg(bm[p - RND_LO], "op %d: find gave used page %u", op, p);
				ck_assert_int_eq(ljmm_region_mark_used(&r, A(page), A(page + len)), 0);
				memset(bm + page - RND_LO, 0, len);
			}
		}
		/* Compare everything with the bitmap. */
		size_t n = bitmap_runs(bm, runs);
		uint64_t free_pages = 0;
		for (size_t i = 0; i < n; i++)
			free_pages += runs[i].e - runs[i].s;
		ck_assert_msg(ljmm_region_free_bytes(&r) == free_pages * PAGE, "op %d: free bytes %llu, bitmap %llu", op,
			      (unsigned long long)ljmm_region_free_bytes(&r), (unsigned long long)(free_pages * PAGE));
		cmp_ctx_t c = {runs, n, 0, 0};
		ljmm_region_each(&r, compare_run, &c);
		ck_assert_msg(!c.bad && c.i == n, "op %d: extents differ from the bitmap's runs (at %zu of %zu)", op,
			      c.i, n);
		ck_assert_msg(ljmm_region_check(&r) == 0, "op %d: check %d", op, ljmm_region_check(&r));
		if (r.count > max_count)
			max_count = r.count;
		/* next() agrees with the runs for an arbitrary address. */
		{
			uintptr_t from = A(RND_LO) + (uintptr_t)((v >> 20) % ((uint64_t)RND_PAGES * PAGE)), ns, ne;
			size_t k = 0;
			while (k < n && A(runs[k].s) < from)
				k++;
			ret = ljmm_region_next(&r, from, &ns, &ne);
			if (k == n)
				ck_assert_msg(ret == -ENOENT, "op %d: next(%#lx) = %d", op, (unsigned long)from, ret);
			else
				ck_assert_msg(ret == 0 && ns == A(runs[k].s) && ne == A(runs[k].e),
					      "op %d: next(%#lx) = %d [%#lx, %#lx)", op, (unsigned long)from, ret,
					      (unsigned long)ns, (unsigned long)ne);
		}
		/* find() is a best fit per the bitmap. */
		uint32_t want = (uint32_t)((v >> 49) % ((v >> 48) & 1 ? 16 : 1024)) + 1, page = 0;
		size_t best = n;
		for (size_t i = 0; i < n; i++) {
			uint32_t sz = runs[i].e - runs[i].s;
			if (sz >= want && (best == n || sz < runs[best].e - runs[best].s ||
					   (sz == runs[best].e - runs[best].s && runs[i].s > runs[best].s)))
				best = i;
		}
		ret = find_pages(&r, want, &page);
		if (best == n) {
			ck_assert_msg(ret == -ENOMEM, "op %d: find(%u) = %d, bitmap has no room", op, want, ret);
			finds_fail++;
		} else {
			ck_assert_msg(ret == 0 && page == runs[best].e - want, "op %d: find(%u) = %d at %u, want %u", op,
				      want, ret, page, runs[best].e - want);
			finds_ok++;
		}
	}
	/* The traffic must have produced both outcomes and a fragmented index. */
	ck_assert_uint_gt(finds_ok, 5000);
	ck_assert_uint_gt(finds_fail, 1000);
	ck_assert_uint_gt(max_count, 50);
}
END_TEST

/* ---- clear: what a rebuild starts from ------------------------------------------------- */

/* The rebuild itself (index.c walking the kernel's maps into gaps) is tested through the
 * fake kernel: test_index_rebuild_gives_the_gaps, with the same layout. Here only the
 * index's part: a full, stale index forgets everything, and mappings marked used over a
 * wholly free region (overlapping, touching, in any order) leave exactly the gaps. */
static const pr_t clear_maps[] = {
	{0, 10}, {20, 30}, {30, 35}, {40, 60}, {50, 55}, {100, 101}, {990, 1200},
};
static const pr_t clear_gaps[] = {{10, 20}, {35, 40}, {60, 100}, {101, 990}};

START_TEST(test_region_clear_forgets_everything)
{
	ljmm_region_node_t storage[16];
	ljmm_region_t r;
	int calls = 0;
	ljmm_region_init(&r, storage, 16, A(S_LO), A(S_HI));
	/* A stale index that used every node. */
	for (uint32_t i = 0; i < 16; i++)
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(S_LO + 3 * i), A(S_LO + 3 * i + 2)), 0);
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(900), A(901)), -ENOSPC);
	ljmm_region_clear(&r);
	ck_assert_uint_eq(ljmm_region_free_bytes(&r), 0);
	ck_assert_int_eq(ljmm_region_each(&r, count_calls, &calls), 0);
	ck_assert_int_eq(calls, 0);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
	/* All free, then every mapping used, in reverse order: the nodes are all reusable. */
	ck_assert_int_eq(ljmm_region_mark_free(&r, 0, (uintptr_t)1 << 31), 0);
	for (size_t i = NELEM(clear_maps); i-- > 0;)
		ck_assert_int_eq(ljmm_region_mark_used(&r, A(clear_maps[i].s), A(clear_maps[i].e)), 0);
	expect_extents(&r, clear_gaps, NELEM(clear_gaps), "mappings marked used");
}
END_TEST

/* ---- the checker finds every kind of damage ------------------------------------------------ */

/* A sound index of three 10-page extents [10, 20) [30, 40) [50, 60), then one kind of damage:
 * the checker the other tests rely on must be able to fail, with the right fault. */
enum {
	D_LINK, D_ORDER, D_SMALLER, D_LARGER, D_SIZE_LOST, D_HEAP, D_FEWER, D_MORE, D_EMPTY, D_TOUCH, D_TOTAL,
	D_BOUNDS_LO, D_BOUNDS_HI
};

static const struct {
	int damage;
	ljmm_region_fault_t fault;
} damage_cases[] = {
	{D_LINK, LJMM_REGION_BAD_NODE},     {D_ORDER, LJMM_REGION_MISORDERED}, {D_SMALLER, LJMM_REGION_MISORDERED},
	{D_LARGER, LJMM_REGION_MISORDERED}, {D_SIZE_LOST, LJMM_REGION_BAD_COUNT}, {D_HEAP, LJMM_REGION_BAD_HEAP},
	{D_FEWER, LJMM_REGION_TOO_MANY},    {D_MORE, LJMM_REGION_BAD_COUNT},   {D_EMPTY, LJMM_REGION_EMPTY_EXTENT},
	{D_TOUCH, LJMM_REGION_UNCOALESCED}, {D_TOTAL, LJMM_REGION_BAD_TOTAL},  {D_BOUNDS_LO, LJMM_REGION_OUT_OF_BOUNDS},
	{D_BOUNDS_HI, LJMM_REGION_OUT_OF_BOUNDS},
};

/* The node (1-based) of the extent starting at page. */
static uint32_t node_at(const ljmm_region_t *r, uint32_t page)
{
	for (uint32_t i = 1; i <= r->fresh; i++)
		if (r->nodes[i - 1].start == page && r->nodes[i - 1].npages)
			return i;
	ck_abort_msg("no node at page %u", page);
	return 0;
}

START_TEST(test_region_check_finds_each_fault)
{
	ljmm_region_node_t storage[8];
	ljmm_region_t r;
	uint32_t root, child;
	ljmm_region_init(&r, storage, 8, A(S_LO), A(S_HI));
	for (uint32_t p = 10; p < 60; p += 20)
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(p), A(p + 10)), 0);
	ck_assert_int_eq(ljmm_region_check(&r), LJMM_REGION_SOUND);
	root = r.root[0];
	child = storage[root - 1].left[0] ? storage[root - 1].left[0] : storage[root - 1].right[0];
	switch (damage_cases[_i].damage) {
	case D_LINK: storage[root - 1].left[0] = r.fresh + 3; break;
	/* The root of the address treap moved past every other extent. */
	case D_ORDER: storage[root - 1].start = storage[root - 1].left[0] ? 5 : 70; break;
	/* Sizes changed behind the size treap's back (the address order still holds): the
	 * last in size order made the smallest, the first made the largest. */
	case D_SMALLER: storage[node_at(&r, 10) - 1].npages = 5; break;
	case D_LARGER: storage[node_at(&r, 50) - 1].npages = 15; break;
	/* A node left out of the size treap only. */
	case D_SIZE_LOST:
		root = r.root[1 + ljmm_region_bin(10)];
		if (storage[root - 1].left[1])
			storage[root - 1].left[1] = 0;
		else
			storage[root - 1].right[1] = 0;
		break;
	case D_HEAP: storage[child - 1].prio = storage[root - 1].prio + 1; break;
	case D_FEWER: r.count = 2; break;
	case D_MORE: r.count = 4; break;
	/* The smallest in size order (ties: the highest) emptied: still first in both orders. */
	case D_EMPTY: storage[node_at(&r, 50) - 1].npages = 0; break;
	/* [30, 40) moved to [20, 30): it touches [10, 20), and keeps its place in both orders. */
	case D_TOUCH: storage[node_at(&r, 30) - 1].start = 20; break;
	case D_TOTAL: r.free_pages++; break;
	case D_BOUNDS_LO: r.lo_page = 12; break;
	default: r.hi_page = 55; break;
	}
	ck_assert_int_eq(ljmm_region_check(&r), damage_cases[_i].fault);
}
END_TEST

/* ---- size bins: the best fit across and inside bins --------------------------------------- */

START_TEST(test_region_bins_monotone)
{
	/* Exact below 16 pages, 16 per power of two, one bin past 2^20 pages; never decreasing. */
	uint32_t prev = ljmm_region_bin(1);
	ck_assert_uint_eq(prev, 1);
	for (uint32_t n = 2; n < (1u << 22); n++) {
		uint32_t b = ljmm_region_bin(n);
		if (b < prev || b > prev + 1 || b >= LJMM_REGION_BINS)
			ck_abort_msg("bin(%u) = %u after %u", n, b, prev);
		prev = b;
	}
	ck_assert_uint_eq(ljmm_region_bin(15), 15);
	ck_assert_uint_eq(ljmm_region_bin(16), 16);
	ck_assert_uint_eq(ljmm_region_bin(31), 31);
	ck_assert_uint_eq(ljmm_region_bin(32), ljmm_region_bin(33)); /* from here, bins hold several sizes */
	ck_assert_uint_ne(ljmm_region_bin(33), ljmm_region_bin(34));
	ck_assert_uint_eq(ljmm_region_bin((1u << 20) - 1), LJMM_REGION_BINS - 1);
	ck_assert_uint_eq(ljmm_region_bin(1u << 20), LJMM_REGION_BINS - 1);
	ck_assert_uint_eq(ljmm_region_bin(UINT32_MAX), LJMM_REGION_BINS - 1);
}
END_TEST

/* An extent that shrinks and grows changes bins (and the largest with it) while it keeps
 * its place among its neighbours; extents past 2^20 pages share the last bin, in size order. */
START_TEST(test_region_resize_moves_bins)
{
	ljmm_region_node_t storage[8];
	ljmm_region_t r;
	uintptr_t s = 0, len = 0;
	uint32_t page = 0;
	const uint32_t big = (1u << 20) + 5, bigger = 1u << 21, base = 1u << 22;
	ljmm_region_init(&r, storage, 8, A(S_LO), A((uint64_t)base * 4));
	ck_assert_int_eq(ljmm_region_largest(&r, &s, &len), -ENOENT);
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(base), A(base + bigger)), 0);
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(2 * base), A(2 * base + big)), 0);
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(100), A(110)), 0);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
	ck_assert_int_eq(find_pages(&r, (1u << 20) + 1, &page), 0);
	ck_assert_uint_eq(page, 2 * base + 4); /* the smaller of the two in the last bin */
	ck_assert_int_eq(ljmm_region_largest(&r, &s, &len), 0);
	ck_assert_uint_eq(s, A(base));
	ck_assert_uint_eq(len, A(bigger));
	/* Cut the largest down through every bin, one page at a time from its top near the
	 * end, then in large steps: it stays where it is in address order. */
	for (uint32_t keep = bigger; keep > 1; keep = keep > 64 ? keep / 2 + 3 : keep - 1) {
		ck_assert_int_eq(ljmm_region_mark_used(&r, A(base + keep - 1), A(base + bigger)), 0);
		ck_assert_int_eq(ljmm_region_check(&r), 0);
		ck_assert_int_eq(ljmm_region_next(&r, A(110), &s, &len), 0);
		ck_assert_uint_eq(s, A(base));
		ck_assert_uint_eq(len, A(base + keep - 1));
	}
	/* And grow it back in one free, from below: its start moves, its node stays. */
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(base - 7), A(base + bigger)), 0);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
	ck_assert_uint_eq(r.count, 3);
	ck_assert_int_eq(ljmm_region_largest(&r, &s, &len), 0);
	ck_assert_uint_eq(s, A(base - 7));
	ck_assert_uint_eq(len, A(bigger + 7));
	ck_assert_int_eq(find_pages(&r, 11, &page), 0);
	ck_assert_uint_eq(page, 2 * base + big - 11);
}
END_TEST

/* The faults of the bins: a bit that lies, a node in the wrong bin, a node left out of
 * every bin while another is in one twice. */
START_TEST(test_region_check_finds_bin_faults)
{
	ljmm_region_node_t storage[8];
	ljmm_region_t r;
	uint32_t b10 = ljmm_region_bin(10), b20 = ljmm_region_bin(20);
	for (int damage = 0; damage < 5; damage++) {
		ljmm_region_init(&r, storage, 8, A(S_LO), A(S_HI));
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(10), A(20)), 0);
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(30), A(50)), 0);
		ck_assert_int_eq(ljmm_region_check(&r), LJMM_REGION_SOUND);
		ck_assert_uint_ne(r.root[1 + b10], 0);
		ck_assert_uint_ne(r.root[1 + b20], 0);
		switch (damage) {
		case 0: /* a full bin whose bit is clear */
			r.binmap[b10 / 64] &= ~(1ull << (b10 % 64));
			ck_assert_int_eq(ljmm_region_check(&r), LJMM_REGION_BAD_BINMAP);
			break;
		case 1: /* an empty bin whose bit is set */
			r.binmap[(b10 + 1) / 64] |= 1ull << ((b10 + 1) % 64);
			ck_assert_int_eq(ljmm_region_check(&r), LJMM_REGION_BAD_BINMAP);
			break;
		case 2: /* the 20-page extent's node moved into the 10-page bin */
			r.root[1 + b10] = r.root[1 + b20];
			r.root[1 + b20] = 0;
			r.binmap[b20 / 64] &= ~(1ull << (b20 % 64));
			ck_assert_int_eq(ljmm_region_check(&r), LJMM_REGION_MISORDERED);
			break;
		case 3: { /* the 10-page extent grown to 20 behind the bins' back: in no bin of its size */
			uint32_t n = r.root[1 + b10];
			storage[n - 1].npages = 20;
			storage[n - 1].start = 60;
			ck_assert_int_ne(ljmm_region_check(&r), LJMM_REGION_SOUND);
			break;
		}
		default: /* bin 0, of empty extents, used */
			r.root[1] = r.root[1 + b10];
			ck_assert_int_ne(ljmm_region_check(&r), LJMM_REGION_SOUND);
			break;
		}
	}
}
END_TEST

/* The kept answer of the last address search (hint): taken from the block a pair cuts,
 * forgotten when another extent changes, and every way of getting it wrong found. */
START_TEST(test_region_hint_kept_and_checked)
{
	static const pr_t first[] = {{10, 20}, {40, 50}, {60, 90}};
	ljmm_region_node_t storage[8];
	ljmm_region_t r;
	uintptr_t a = 0;
	ljmm_region_init(&r, storage, 8, A(S_LO), A(S_HI));
	for (size_t i = 0; i < NELEM(first); i++)
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(first[i].s), A(first[i].e)), 0);
	/* A pair: the block at the top of [60, 90), then back. */
	ck_assert_int_eq(ljmm_region_find(&r, 12 * PAGE, &a), 0);
	ck_assert_int_eq(ljmm_region_mark_used(&r, a, a + 12 * PAGE), 0);
	ck_assert_uint_ne(r.hint, 0);
	ck_assert_uint_eq(storage[r.hint - 1].start, 60);
	ck_assert_uint_eq(r.hint_next, UINT32_MAX);
	ck_assert_int_eq(ljmm_region_mark_free(&r, a, a + 12 * PAGE), 0);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
	/* The next extent grows down towards the kept one: the answer for page 30 changes. */
	ck_assert_int_eq(ljmm_region_mark_used(&r, A(15), A(20)), 0);
	ck_assert_uint_eq(storage[r.hint - 1].start, 10);
	ck_assert_uint_eq(r.hint_next, 40);
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(30), A(40)), 0);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
	ck_assert_int_eq(ljmm_region_mark_used(&r, A(31), A(33)), 0);
	ck_assert_uint_eq(r.hint, 0); /* a split links a node: forgotten */
	ck_assert_int_eq(ljmm_region_mark_used(&r, A(89), A(90)), 0);
	ck_assert_uint_eq(storage[r.hint - 1].start, 60);
	{
		static const pr_t want[] = {{10, 15}, {30, 31}, {33, 50}, {60, 89}};
		expect_extents(&r, want, NELEM(want), "after the neighbour moved");
	}
	/* Damage: the next start off by one, a node no longer in the treap, none handed out. */
	for (int damage = 0; damage < 3; damage++) {
		uint32_t keep = r.hint, keep_next = r.hint_next;
		ck_assert_uint_ne(keep, 0);
		if (damage == 0)
			r.hint_next++;
		else if (damage == 1)
			r.hint = r.unused ? r.unused : r.fresh + 1;
		else
			r.hint = r.fresh + 1;
		ck_assert_int_eq(ljmm_region_check(&r), LJMM_REGION_BAD_HINT);
		r.hint = keep;
		r.hint_next = keep_next;
		ck_assert_int_eq(ljmm_region_check(&r), 0);
	}
}
END_TEST

/* ---- 100000 extents --------------------------------------------------------------------- */

enum { BIG_PAGES = 200000, BIG_EXTENTS = BIG_PAGES / 2 };

static ljmm_region_node_t big_storage[BIG_EXTENTS + 8];

typedef struct {
	uint32_t n;
	int bad;
} alt_ctx_t;

static int check_alternate(void *ctx, uintptr_t start, uintptr_t end)
{
	alt_ctx_t *c = ctx;
	if (start != A(2 * c->n) || end != A(2 * c->n + 1))
		c->bad = 1;
	c->n++;
	return c->bad;
}

START_TEST(test_region_hundred_thousand_extents)
{
	ljmm_region_t r;
	uint32_t page = 0;
	alt_ctx_t c = {0, 0};
	ljmm_region_init(&r, big_storage, BIG_EXTENTS + 8, 0, A(BIG_PAGES));
	for (uint32_t p = 0; p < BIG_PAGES; p += 2)
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(p), A(p + 1)), 0);
	ck_assert_uint_eq(r.count, BIG_EXTENTS);
	ck_assert_uint_eq(ljmm_region_free_bytes(&r), (uint64_t)BIG_EXTENTS * PAGE);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
	ck_assert_int_eq(ljmm_region_each(&r, check_alternate, &c), 0);
	ck_assert_uint_eq(c.n, BIG_EXTENTS);

	/* All extents are one page: the highest wins, and nothing has two pages. */
	ck_assert_int_eq(find_pages(&r, 1, &page), 0);
	ck_assert_uint_eq(page, BIG_PAGES - 2);
	ck_assert_int_eq(find_pages(&r, 2, &page), -ENOMEM);

	/* Join three pages low down: that is now the only fit for two. */
	ck_assert_int_eq(ljmm_region_mark_free(&r, A(1), A(2)), 0);
	ck_assert_uint_eq(r.count, BIG_EXTENTS - 1);
	ck_assert_int_eq(find_pages(&r, 2, &page), 0);
	ck_assert_uint_eq(page, 1);

	/* Punch holes and fill gaps all over. */
	for (uint32_t p = 1001; p < BIG_PAGES - 1000; p += 1000)
		ck_assert_int_eq(ljmm_region_mark_free(&r, A(p), A(p + 1)), 0);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
	ck_assert_int_eq(find_pages(&r, 3, &page), 0);
	ck_assert_uint_eq(page, BIG_PAGES - 2000); /* the highest of the 3-page extents [p-1, p+2) */
	ck_assert_int_eq(ljmm_region_mark_used(&r, A(BIG_PAGES / 2), A(BIG_PAGES)), 0);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
	ck_assert_int_eq(find_pages(&r, 1, &page), 0);
	ck_assert_uint_eq(page, BIG_PAGES / 2 - 2);
	ck_assert_uint_eq(r.peak_count, BIG_EXTENTS);

	/* Freeing everything leaves one extent. */
	ck_assert_int_eq(ljmm_region_mark_free(&r, 0, A(BIG_PAGES)), 0);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(ljmm_region_check(&r), 0);
	ck_assert_int_eq(find_pages(&r, BIG_PAGES, &page), 0);
	ck_assert_uint_eq(page, 0);
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_region_init_is_empty, 1},
	{&test_region_init_bounds, 1},
	{&test_region_find_best_fit, 1},
	{&test_region_find_exhaustion, 1},
	{&test_region_split_by_mark_used, 1},
	{&test_region_mark_used_spans_extents, 1},
	{&test_region_coalesces_neighbours, 1},
	{&test_region_refree_is_idempotent, 1},
	{&test_region_clips_to_bounds, 1},
	{&test_region_used_edges_round_outward, 1},
	{&test_region_storage_full_script, 1},
	{&test_region_storage_full_never_invents_free, 1},
	{&test_region_each_order_and_stop, 1},
	{&test_region_next_extent, 1},
	{&test_region_random_against_bitmap, 1},
	{&test_region_clear_forgets_everything, 1},
	{&test_region_check_finds_each_fault, NELEM(damage_cases)},
	{&test_region_hundred_thousand_extents, 1},
	{&test_region_bins_monotone, 1},
	{&test_region_resize_moves_bins, 1},
	{&test_region_check_finds_bin_faults, 1},
	{&test_region_hint_kept_and_checked, 1},
};

const ljmm_unit_t ljmm_unit = {.name = "region", .timeout = 300, .needs_fork = 0,
				 .tests = tests, .count = NELEM(tests)};
