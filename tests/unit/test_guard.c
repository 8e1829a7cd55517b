/* SPDX-License-Identifier: MIT */
/* The brk guard (shim/guard.c), scripted against the fake kernel: its mode (on, lazy, off,
 * and the default for the C library), where it goes (after brk, after a reserve, below a
 * raised LJMM_REGION_LO), what stops it (no low brk, a mapping in the way, a pre-4.17
 * kernel, a refusal), and that the region never hands out the guard or the reserve. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/testutil.h"
#include "alloc.h"
#include "check_main.h"
#include "config.h"
#include "guard.h"
#include "index.h"
#include "scenario.h"
#include "section.h"
#include "stats.h"

/* A non-PIE program: its text at 4 MiB, its brk heap from 16 MiB to BRK_END (unaligned),
 * the kernel's window full. */
#define BRK_START (16 * M)
#define BRK_CUR (16 * M + 100 * K + 123)
#define BRK_PAGE (16 * M + 104 * K) /* page_up(BRK_CUR) */

static void nopie(void)
{
	ck_assert_int_eq(fk_map_named(4 * M, 4 * M + 64 * K, PROT_READ | PROT_EXEC, "/usr/bin/prog"), 0);
	fk_set_brk(BRK_START, BRK_CUR);
	ck_assert_int_eq(fk_map(G, 2 * G, RW), 0);
}

/* ---- the default mode ------------------------------------------------------------------------ */

static const struct {
	const char *version;
	int mode;
} default_cases[] = {
	{"2.36", LJMM_GUARD_ON},  {"2.31", LJMM_GUARD_ON},   {"2.30", LJMM_GUARD_LAZY}, {"2.17", LJMM_GUARD_LAZY},
	{"2.19", LJMM_GUARD_LAZY}, {"2.9", LJMM_GUARD_LAZY},  {"2.100", LJMM_GUARD_ON},  {"3.0", LJMM_GUARD_ON},
	{"10", LJMM_GUARD_ON},    {"2", LJMM_GUARD_LAZY},    {"1.99", LJMM_GUARD_LAZY}, {"", LJMM_GUARD_LAZY},
	{"stable", LJMM_GUARD_LAZY}, {"2.a", LJMM_GUARD_LAZY}, {"2.-1", LJMM_GUARD_LAZY},
	{NULL, LJMM_GUARD_ON}, /* musl: no gnu_get_libc_version */
};

START_TEST(test_guard_default_mode_by_libc)
{
	for (size_t i = 0; i < NELEM(default_cases); i++)
		ck_assert_msg(ljmm_guard_default_mode(default_cases[i].version) == default_cases[i].mode,
			      "glibc '%s': mode %d, want %d", default_cases[i].version ? default_cases[i].version : "(none)",
			      ljmm_guard_default_mode(default_cases[i].version), default_cases[i].mode);
}
END_TEST

/* ---- the modes, from the constructor to the first region use -------------------------------- */

static const struct {
	const char *what;
	const char *env;     /* LJMM_GUARD=..., or another option when unset */
	const char *libc;    /* what the C library says (NULL: musl) */
	int after_init;      /* guard state after the constructor */
	int after_use;       /* ... and after the first region allocation */
	int defaulted_lazy;
} mode_cases[] = {
	{"unset, glibc 2.36: on", "LJMM_DEBUG=off", "2.36", LJMM_GUARD_STATE_PLACED, LJMM_GUARD_STATE_PLACED, 0},
	{"unset, glibc 2.17: lazy by default", "LJMM_DEBUG=off", "2.17", LJMM_GUARD_STATE_PENDING,
	 LJMM_GUARD_STATE_PLACED, 1},
	{"unset, musl: on", "LJMM_DEBUG=off", NULL, LJMM_GUARD_STATE_PLACED, LJMM_GUARD_STATE_PLACED, 0},
	{"on, glibc 2.17: on as asked", "LJMM_GUARD=on", "2.17", LJMM_GUARD_STATE_PLACED, LJMM_GUARD_STATE_PLACED, 0},
	{"lazy", "LJMM_GUARD=lazy", "2.36", LJMM_GUARD_STATE_PENDING, LJMM_GUARD_STATE_PLACED, 0},
	{"off", "LJMM_GUARD=off", "2.36", LJMM_GUARD_STATE_OFF, LJMM_GUARD_STATE_OFF, 0},
};

START_TEST(test_guard_modes)
{
	ljmm_stats_t st;
	int placed;
	sc_start((const char *const[]){mode_cases[_i].env, NULL});
	nopie();
	fk_set_libc_version(mode_cases[_i].libc);
	sc_constructor();
	st = sc_stats();
	ck_assert_msg(st.guard_state == (uint64_t)mode_cases[_i].after_init, "%s: state %d after the constructor",
		      mode_cases[_i].what, (int)st.guard_state);
	ck_assert_uint_eq(st.guard_defaulted_lazy, mode_cases[_i].defaulted_lazy);
	ck_assert_int_eq(fk_prot_at(BRK_PAGE), mode_cases[_i].after_init == LJMM_GUARD_STATE_PLACED ? PROT_NONE : -1);
	ck_assert_int_ge(sc_map32(M), 0);
	st = sc_stats();
	ck_assert_uint_eq(st.guard_state, (uint64_t)mode_cases[_i].after_use);
	placed = mode_cases[_i].after_use == LJMM_GUARD_STATE_PLACED;
	ck_assert_int_eq(fk_prot_at(BRK_PAGE), placed ? PROT_NONE : -1);
	ck_assert_uint_eq(st.guard_addr, placed ? BRK_PAGE : 0);
	sc_verified(mode_cases[_i].what);
	/* brk cannot grow past a placed guard; without one it can. */
	ck_assert_int_eq(ljmm_sys_brk((void *)(BRK_PAGE + PAGE)) == (long)(BRK_PAGE + PAGE), !placed);
}
END_TEST

START_TEST(test_guard_debug_lines)
{
	SC_START("LJMM_DEBUG=on");
	nopie();
	sc_constructor();
	ck_assert_int_eq(sc_count(fk_stderr_text(), "ljmm[1000]: guard: placed addr=0x101a000 state=2\n"), 1);
}
END_TEST

START_TEST(test_guard_placed_once_when_the_region_came_first)
{
	/* Another library's constructor had the region serve before ours ran: the guard was
	 * placed then (the default mode), and the constructor leaves it. */
	unsigned placements;
	sc_start(NULL);
	nopie();
	ck_assert_int_ge(sc_map32(M), 0);
	ck_assert_uint_eq(sc_stats().guard_state, LJMM_GUARD_STATE_PLACED);
	placements = fk_count.noreplace;
	sc_constructor();
	ck_assert_uint_eq(fk_count.noreplace, placements);
	ck_assert_uint_eq(sc_stats().guard_state, LJMM_GUARD_STATE_PLACED);
	sc_verified("one guard");
}
END_TEST

START_TEST(test_guard_constructor_inside_a_section_leaves_it_for_later)
{
	/* The constructor runs while this thread is inside the shim (a handler during
	 * start-up): the guard is left to the first region use. */
	ljmm_section_t outer;
	sc_start(NULL);
	nopie();
	ck_assert_int_eq(ljmm_section_enter(&outer), 0);
	sc_constructor();
	ljmm_section_leave(&outer);
	/* Not decided yet, and the exit report says so (it said "off" once). */
	ck_assert_uint_eq(sc_stats().guard_state, LJMM_GUARD_STATE_UNDECIDED);
	ljmm_stats_report();
	ck_assert_ptr_nonnull(strstr(fk_stderr_text(), "ljmm[1000]: guard: not decided ("));
	ck_assert_int_eq(fk_prot_at(BRK_PAGE), -1);
	ck_assert_int_ge(sc_map32(M), 0);
	ck_assert_uint_eq(sc_stats().guard_state, LJMM_GUARD_STATE_PLACED);
	sc_verified("placed at the first use");
}
END_TEST

/* ---- the reserve ------------------------------------------------------------------------------ */

START_TEST(test_guard_reserve_is_kept_out_of_the_region)
{
	/* Free: [BRK_PAGE, BRK_PAGE + 4M) only. The guard stands 1 MiB above the break; the
	 * region serves what lies above the guard and never the reserve below it. */
	uintptr_t guard = BRK_PAGE + M;
	long a;
	SC_START("LJMM_GUARD_RESERVE=1M", "LJMM_POLICY=region-first");
	nopie();
	ck_assert_int_eq(fk_map(64 * K, 4 * M, RW), 0);
	ck_assert_int_eq(fk_map(4 * M + 64 * K, BRK_START, RW), 0);
	ck_assert_int_eq(fk_map(BRK_PAGE + 4 * M, G, RW), 0);
	sc_constructor();
	ck_assert_uint_eq(sc_stats().guard_addr, guard);
	ck_assert_uint_eq(sc_stats().guard_reserve, M);
	a = sc_map32(3 * M - PAGE);
	ck_assert_int_eq(a, (long)(guard + PAGE));
	ck_assert_int_eq(sc_map32(PAGE), -ENOMEM); /* only the reserve is left */
	sc_verified("the reserve stays out");
	/* A mapping the program makes in the reserve is recorded; once unmapped, the reserve
	 * is still not the region's. */
	ck_assert_int_eq(sc_mmap(BRK_PAGE, 64 * K, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), (long)BRK_PAGE);
	sc_verified("a mapping in the reserve");
	ck_assert_int_eq(sc_munmap(BRK_PAGE, 128 * K), 0);
	ck_assert_int_eq(sc_map32(PAGE), -ENOMEM);
	sc_verified("the reserve after munmap");
	/* Freed blocks next to it come back, without it. */
	ck_assert_int_eq(sc_munmap((uintptr_t)a - PAGE, 3 * M), 0); /* the guard page too */
	ck_assert_int_eq(sc_map32(3 * M), (long)(guard));
	sc_verified("after the guard page went");
}
END_TEST

START_TEST(test_guard_reserve_applied_to_a_built_index)
{
	SC_START("LJMM_GUARD_RESERVE=1M", "LJMM_POLICY=region-first");
	nopie();
	ck_assert_int_eq(ljmm_index_rebuild(), 0); /* the index exists before the guard */
	if (_i)
		ljmm_index_invalidate(); /* ... and is stale: the reserve waits for the rebuild */
	sc_constructor();
	ck_assert_uint_eq(sc_stats().guard_state, LJMM_GUARD_STATE_PLACED);
	if (_i)
		ck_assert_int_eq(ljmm_index_rebuild(), 0);
	sc_verified("reserve taken out of an index that existed");
}
END_TEST

/* Everything the region can serve, asked for in blocks from 64 MiB down to a page: no
 * block may touch [lo, hi). The blocks are given back, and the index must still match the
 * address space, so a test goes on as before. */
static void region_serves_none_of(uintptr_t lo, uintptr_t hi, const char *what)
{
	static struct {
		long addr;
		size_t len;
	} got[1024];
	size_t n = 0;
	long a;
	for (size_t len = 64 * M; len >= PAGE; len /= 2)
		while ((a = sc_map32(len)) >= 0) {
			ck_assert_msg((uintptr_t)a + len <= lo || (uintptr_t)a >= hi,
				      "%s: the region served [%#lx, %#lx), inside [%#lx, %#lx)", what, (unsigned long)a,
				      (unsigned long)a + len, (unsigned long)lo, (unsigned long)hi);
			ck_assert_uint_lt(n, NELEM(got));
			got[n].addr = a;
			got[n++].len = len;
		}
	ck_assert_int_eq(a, -ENOMEM);
	while (n--)
		ck_assert_int_eq(sc_munmap((uintptr_t)got[n].addr, got[n].len), 0);
	sc_verified(what);
}

START_TEST(test_guard_trimmed_heap_is_found_by_the_rebuild)
{
	/* glibc trims the heap below the guard (brk shrinks, behind the index's back): the
	 * pages between the new break and the old one are free, the index does not know until
	 * a rebuild (the verifier shows the difference). The reserve, from the break to the
	 * guard, stays out of the region at every step: asked for everything it has, the
	 * region serves none of it. After the rebuild the reserve starts at the new break:
	 * the trimmed pages are brk's to grow back into, not the region's. */
	const uintptr_t guard = BRK_PAGE + 64 * K;
	SC_START("LJMM_GUARD_RESERVE=64K");
	nopie();
	sc_constructor();
	ck_assert_uint_eq(sc_stats().guard_addr, guard);
	ck_assert_int_ge(sc_map32(M), 0);
	sc_verified("before the trim");
	region_serves_none_of(BRK_PAGE, guard + PAGE, "before the trim");
	ck_assert_int_eq(ljmm_sys_brk((void *)(BRK_START + 8 * K)), (long)(BRK_START + 8 * K));
	ck_assert_int_eq(ljmm_alloc_verify(), -EIO);
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	sc_verified("after the rebuild");
	region_serves_none_of(BRK_START + 8 * K, guard + PAGE, "after the rebuild");
	ck_assert_uint_eq(sc_stats().guard_reserve, guard - (BRK_START + 8 * K));
	ck_assert_int_eq(ljmm_sys_brk((void *)BRK_PAGE), (long)BRK_PAGE); /* brk grows back */
	/* Unmapping below the reserve, and across its end, keeps it out. */
	ck_assert_int_eq(sc_munmap(4 * M, 64 * K), 0);
	ck_assert_int_eq(sc_munmap(BRK_PAGE + 32 * K, 128 * K), 0);
	sc_verified("munmap next to the reserve");
	region_serves_none_of(BRK_PAGE, guard, "munmap next to the reserve");
}
END_TEST

START_TEST(test_guard_below_a_raised_region_lo)
{
	/* LJMM_REGION_LO far above the heap: the guard goes just below it, and brk may grow
	 * up to it. */
	SC_START("LJMM_REGION_LO=512M");
	nopie();
	sc_constructor();
	ck_assert_uint_eq(sc_stats().guard_addr, 512 * M - PAGE);
	ck_assert_uint_eq(sc_stats().guard_reserve, 512 * M - PAGE - BRK_PAGE);
	ck_assert_int_eq(fk_prot_at(512 * M - PAGE), PROT_NONE);
	ck_assert_int_eq(ljmm_sys_brk((void *)(512 * M - PAGE)), (long)(512 * M - PAGE));
	ck_assert_int_eq(ljmm_sys_brk((void *)(512 * M)), (long)(512 * M - PAGE));
	ck_assert_int_ge(sc_map32(M), (long)(512 * M));
	sc_verified("guard below the region");
}
END_TEST

/* ---- where it cannot go --------------------------------------------------------------------------- */

enum { NOTHING, TAKEN, TAKEN_OLD_KERNEL, REFUSED };

static const struct {
	const char *what;
	uintptr_t brk_start, brk_cur, reserve, lo, limit;
	int obstacle;
	int state, ret;
	uintptr_t addr, keep_lo, keep_hi;
} place_cases[] = {
	{"placed right after the break", BRK_START, BRK_CUR, 0, 64 * K, 2 * G, NOTHING, LJMM_GUARD_STATE_PLACED, 0, BRK_PAGE,
	 BRK_PAGE, BRK_PAGE},
	{"placed after a reserve", BRK_START, BRK_CUR, M, 64 * K, 2 * G, NOTHING, LJMM_GUARD_STATE_PLACED, 0, BRK_PAGE + M,
	 BRK_PAGE, BRK_PAGE + M},
	{"a PIE program: brk above the region", (uintptr_t)0x555556000000ull, (uintptr_t)0x555556000000ull, 0, 64 * K,
	 2 * G, NOTHING, LJMM_GUARD_STATE_NOT_NEEDED, 0, 0, 0, 0},
	{"no brk at all", 0, 0, 0, 64 * K, 2 * G, NOTHING, LJMM_GUARD_STATE_NOT_NEEDED, 0, 0, 0, 0},
	{"the reserve reaches past the region's end", 2 * G - 64 * K, 2 * G - 64 * K, M, 64 * K, 2 * G, NOTHING,
	 LJMM_GUARD_STATE_NOT_NEEDED, 0, 2 * G - 64 * K + M, 0, 0},
	{"a reserve that wraps around", BRK_START, BRK_CUR, (uintptr_t)-8 * PAGE, 64 * K, 2 * G, NOTHING,
	 LJMM_GUARD_STATE_NOT_NEEDED, 0, BRK_PAGE - 8 * PAGE, 0, 0},
	{"a mapping in the way", BRK_START, BRK_CUR, 0, 64 * K, 2 * G, TAKEN, LJMM_GUARD_STATE_OCCUPIED, 0, BRK_PAGE, 0, 0},
	{"a mapping in the way, before Linux 4.17", BRK_START, BRK_CUR, 0, 64 * K, 2 * G, TAKEN_OLD_KERNEL,
	 LJMM_GUARD_STATE_OCCUPIED, 0, BRK_PAGE, 0, 0},
	{"the kernel refuses", BRK_START, BRK_CUR, 0, 64 * K, 2 * G, REFUSED, LJMM_GUARD_STATE_FAILED, -ENOMEM, BRK_PAGE, 0,
	 0},
	{"the region starts far above: just below it", BRK_START, BRK_CUR, 0, 512 * M + 100, 2 * G, NOTHING,
	 LJMM_GUARD_STATE_PLACED, 0, 512 * M - PAGE, BRK_PAGE, 512 * M - PAGE},
	{"a region starting at 0", BRK_START, BRK_CUR, 0, 0, 2 * G, NOTHING, LJMM_GUARD_STATE_PLACED, 0, BRK_PAGE, BRK_PAGE,
	 BRK_PAGE},
};

START_TEST(test_guard_placement)
{
	ljmm_guard_t g;
	uint64_t mapped;
	int r;
	sc_start(NULL);
	fk_set_brk(place_cases[_i].brk_start, place_cases[_i].brk_cur);
	if (place_cases[_i].obstacle == TAKEN || place_cases[_i].obstacle == TAKEN_OLD_KERNEL)
		ck_assert_int_eq(fk_map(BRK_PAGE, BRK_PAGE + PAGE, RW), 0);
	if (place_cases[_i].obstacle == TAKEN_OLD_KERNEL)
		fk_set_noreplace_is_hint(1);
	if (place_cases[_i].obstacle == REFUSED)
		fk_fail_at(FK_SYS_MMAP, BRK_PAGE, ENOMEM);
	mapped = fk_mapped_bytes();
	r = ljmm_guard_place(place_cases[_i].reserve, place_cases[_i].lo, place_cases[_i].limit, &g);
	ck_assert_int_eq(fk_fail_pending(), 0);
	ck_assert_msg(r == place_cases[_i].ret && g.state == place_cases[_i].state, "%s: returned %d, state %d",
		      place_cases[_i].what, r, g.state);
	ck_assert_uint_eq(g.addr, place_cases[_i].addr);
	ck_assert_uint_eq(g.keep_lo, place_cases[_i].keep_lo);
	ck_assert_uint_eq(g.keep_hi, place_cases[_i].keep_hi);
	ck_assert_uint_eq(fk_mapped_bytes(), mapped + (g.state == LJMM_GUARD_STATE_PLACED ? PAGE : 0));
	if (g.state == LJMM_GUARD_STATE_PLACED)
		ck_assert_int_eq(fk_prot_at(g.addr), PROT_NONE);
}
END_TEST

START_TEST(test_guard_states_through_the_constructor)
{
	/* The same outcomes as the statistics show them. */
	static const struct {
		int obstacle, state;
	} cases[] = {{TAKEN, LJMM_GUARD_STATE_OCCUPIED}, {REFUSED, LJMM_GUARD_STATE_FAILED}};
	sc_start(NULL);
	nopie();
	if (cases[_i].obstacle == TAKEN)
		ck_assert_int_eq(fk_map(BRK_PAGE, BRK_PAGE + PAGE, RW), 0);
	else
		fk_fail_at(FK_SYS_MMAP, BRK_PAGE, EPERM); /* the guard's own mmap */
	sc_constructor();
	ck_assert_int_eq(fk_fail_pending(), 0);
	ck_assert_uint_eq(sc_stats().guard_state, (uint64_t)cases[_i].state);
	ck_assert_uint_eq(sc_stats().guard_addr, BRK_PAGE);
	ck_assert_uint_eq(sc_stats().guard_reserve, 0);
	ck_assert_int_ge(sc_map32(M), 0);
	sc_verified("no guard");
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_guard_default_mode_by_libc, 1},
	{&test_guard_modes, NELEM(mode_cases)},
	{&test_guard_debug_lines, 1},
	{&test_guard_placed_once_when_the_region_came_first, 1},
	{&test_guard_constructor_inside_a_section_leaves_it_for_later, 1},
	{&test_guard_reserve_is_kept_out_of_the_region, 1},
	{&test_guard_reserve_applied_to_a_built_index, 2},
	{&test_guard_trimmed_heap_is_found_by_the_rebuild, 1},
	{&test_guard_below_a_raised_region_lo, 1},
	{&test_guard_placement, NELEM(place_cases)},
	{&test_guard_states_through_the_constructor, 2},
};

const ljmm_unit_t ljmm_unit = {.name = "guard", .timeout = 30, .needs_fork = 1, .tests = tests, .count = NELEM(tests)};
