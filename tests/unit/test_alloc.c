/* SPDX-License-Identifier: MIT */
/* The allocator's decisions (shim/alloc.c), scripted against the fake kernel: kernel first,
 * then the region; the window-full hint and the skip; resync on EEXIST and the bound on
 * placement tries; which requests and which kernel errors the region leaves alone; the
 * bookkeeping of kernel mappings, munmap and mremap; growth past 2 GiB. After every
 * scripted sequence the index must equal the fake's address space (ljmm_alloc_verify). */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/testutil.h"
#include "alloc.h"
#include "check_main.h"
#include "index.h"
#include "scenario.h"

#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

typedef struct {
	uintptr_t s, e;
} rng_t;

/* Map all of [64 KiB, 2 GiB) behind the shim's back but the free ranges given (in address
 * order, ending with an empty one): the kernel's window is full unless one of them lies in it. */
static void only_free(const rng_t *free)
{
	uintptr_t p = 64 * K;
	for (; free->e; free++) {
		if (free->s > p)
			ck_assert_int_eq(fk_map(p, free->s, RW), 0);
		p = free->e;
	}
	if (p < 2 * G)
		ck_assert_int_eq(fk_map(p, 2 * G, RW), 0);
}

static void window_full(void) { ck_assert_int_eq(fk_map(G, 2 * G, RW), 0); }

/* A process whose kernel window is full and whose region has [16M, 48M) free, with its
 * first block served at the top of that (47M): the index exists, the hint is 1 MiB. */
static void start_with_first_block(void)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {0, 0}};
	sc_start(NULL);
	only_free(free);
	ck_assert_int_eq(sc_map32(M), (long)(47 * M));
}

/* ---- kernel first, then the region: where a block goes ------------------------------- */

static const struct {
	const char *what;
	rng_t free[4];
	uintptr_t map32_start; /* where the kernel's search starts (0: 1 GiB) */
	size_t len;
	long want;
	int kernel; /* served by the kernel */
} fit_cases[] = {
	{"the window has room: the kernel serves, no index", {{16 * M, 48 * M}, {G + 8 * M, G + 9 * M}}, 0, M, (long)(G + 8 * M), 1},
	{"window full: the best fit is the smaller range, at its top", {{16 * M, 48 * M}, {256 * M, 260 * M}}, 0, M,
	 (long)(260 * M - M), 0},
	{"an exact fit", {{16 * M, 17 * M}, {500 * M, 600 * M}}, 0, M, (long)(16 * M), 0},
	{"only the larger range holds it", {{16 * M, 17 * M}, {500 * M, 600 * M}}, 0, 2 * M, (long)(600 * M - 2 * M), 0},
	{"equal ranges: the highest", {{16 * M, 20 * M}, {300 * M, 304 * M}}, 0, M, (long)(304 * M - M), 0},
	{"a hole below the kernel's random start: the kernel says ENOMEM, the region serves it",
	 {{G, G + 8 * M}}, G + 16 * M, M, (long)(G + 7 * M), 0},
	{"a length that is not a page multiple rounds up", {{16 * M, 16 * M + 8 * K}}, 0, 4097, (long)(16 * M), 0},
	{"nothing fits: ENOMEM", {{16 * M, 17 * M}}, 0, 2 * M, -ENOMEM, 0},
	{"nothing free at all: ENOMEM", {{0, 0}}, 0, 4 * K, -ENOMEM, 0},
};

START_TEST(test_alloc_kernel_first_then_region)
{
	ljmm_stats_t st;
	long r;
	sc_start(NULL);
	only_free(fit_cases[_i].free);
	if (fit_cases[_i].map32_start)
		fk_set_map32_start(fit_cases[_i].map32_start);
	r = sc_map32(fit_cases[_i].len);
	ck_assert_msg(r == fit_cases[_i].want, "%s: got %#lx, want %#lx", fit_cases[_i].what, r, fit_cases[_i].want);
	st = sc_stats();
	ck_assert_uint_eq(fk_count.map32, 1); /* the kernel was asked first, once */
	ck_assert_uint_eq(st.kernel_served, fit_cases[_i].kernel);
	if (fit_cases[_i].kernel) {
		ck_assert_uint_eq(fk_count.open_maps, 0); /* the region was never needed */
		ck_assert_uint_eq(fk_count.noreplace, 0);
		ck_assert_int_eq(ljmm_alloc_verify(), -EAGAIN);
		return;
	}
	ck_assert_uint_eq(st.region_served, r > 0);
	ck_assert_uint_eq(st.failures, r < 0);
	ck_assert_uint_eq(fk_count.noreplace, r > 0);
	if (r > 0)
		ck_assert_int_eq(fk_state((uintptr_t)r, (uintptr_t)r + fit_cases[_i].len), FK_MAPPED);
	sc_verified(fit_cases[_i].what);
}
END_TEST

/* ---- after the window runs out ---------------------------------------------------------- */

START_TEST(test_alloc_full_window_hands_placement_to_the_region)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {G + 100 * M, G + 101 * M}, {0, 0}};
	long kernel_block, a;
	sc_start(NULL);
	only_free(free);
	kernel_block = sc_map32(M); /* the window's last hole: pass-through, no index */
	ck_assert_int_eq(kernel_block, (long)(G + 100 * M));
	ck_assert_int_eq(ljmm_index_built(), 0);
	ck_assert_uint_eq(sc_stats().region_served, 0);
	a = sc_map32(M); /* the kernel says ENOMEM: served at the top of [16M, 48M) */
	ck_assert_int_eq(a, (long)(47 * M));
	ck_assert_uint_eq(fk_count.map32, 2);
	/* From now on the region places first, whatever the size: the kernel is not asked. */
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_int_eq(sc_map32(2 * M), (long)(44 * M));
	ck_assert_int_eq(sc_map32(512 * K), (long)(44 * M - 512 * K));
	ck_assert_uint_eq(fk_count.map32, 2);
	ck_assert_uint_eq(sc_stats().kernel_skipped, 3);
	/* Room freed in the kernel's window does not hand placement back to the kernel: the
	 * region's best fit takes it, the exact fit before the larger free range... */
	ck_assert_int_eq(sc_mremap((uintptr_t)kernel_block, M, 512 * K, 0, 0), kernel_block);
	ck_assert_int_eq(sc_map32(512 * K), kernel_block + (long)(512 * K));
	ck_assert_int_eq(sc_munmap((uintptr_t)kernel_block, M), 0);
	ck_assert_int_eq(sc_map32(M), kernel_block);
	ck_assert_uint_eq(fk_count.map32, 2);
	ck_assert_uint_eq(sc_stats().kernel_served, 1);
	ck_assert_uint_eq(sc_stats().kernel_skipped, 5);
	/* ...and a request the region cannot hold still ends with the kernel's answer. */
	ck_assert_int_eq(sc_map32(64 * M), -ENOMEM);
	ck_assert_uint_eq(fk_count.map32, 3);
	sc_verified("after the window ran out");
}
END_TEST

START_TEST(test_alloc_skipped_request_falls_back_to_the_kernel)
{
	/* The region ends at 1 GiB: room the kernel finds in its window is none of the
	 * region's, so only the kernel can serve it. */
	static const rng_t free[] = {{16 * M, 17 * M}, {0, 0}};
	SC_START("LJMM_REGION_HI=1G");
	only_free(free);
	ck_assert_int_eq(sc_map32(M), (long)(16 * M)); /* the window ran out */
	ck_assert_int_eq(ljmm_hot.mode, LJMM_MODE_WINDOW_FULL);
	fk_unmap(G + 512 * M, G + 513 * M); /* freed behind the shim's back */
	ck_assert_int_eq(sc_map32(M), (long)(G + 512 * M)); /* the region is full: the kernel after all */
	ck_assert_uint_eq(fk_count.map32, 2);
	ck_assert_uint_eq(sc_stats().kernel_served, 1);
	ck_assert_uint_eq(sc_stats().kernel_skipped, 0);
	/* The kernel had room where the region had none: it is asked first again (and says
	 * ENOMEM; the region has no room either). */
	ck_assert_int_eq(ljmm_hot.mode, LJMM_MODE_KERNEL_FIRST);
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(fk_count.map32, 3);
	sc_verified("after the fallback");
}
END_TEST

START_TEST(test_alloc_hinted_requests_never_skip)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {0, 0}};
	sc_start(NULL);
	only_free(free);
	ck_assert_int_eq(sc_map32(M), (long)(47 * M)); /* the window ran out */
	/* A hint (taken, so the kernel searches its window and says ENOMEM) asks the kernel. */
	ck_assert_int_eq(sc_mmap(100 * M, M, RW, ANON | MAP_32BIT, -1, 0), (long)(46 * M));
	ck_assert_uint_eq(fk_count.map32, 2);
	ck_assert_uint_eq(sc_stats().kernel_skipped, 0);
	/* A free hint below the window: the kernel takes it, and it is recorded. */
	ck_assert_int_eq(sc_mmap(20 * M, M, RW, ANON | MAP_32BIT, -1, 0), (long)(20 * M));
	ck_assert_uint_eq(sc_stats().kernel_served, 1);
	sc_verified("after hinted requests");
}
END_TEST

/* ---- hints below 2 GiB after a failure: LuaJIT 2.1's probing ----------------------------- */

#define HIGH (-1L) /* the kernel's own block, above 2 GiB */

static const struct {
	const char *what;
	int fail_first; /* a MAP_32BIT request failed before */
	uintptr_t hint;
	size_t len;
	int flags; /* besides MAP_PRIVATE | MAP_ANONYMOUS */
	long want;
	unsigned hints; /* hint-served */
} hint_cases[] = {
	{"no MAP_32BIT failure yet: the kernel's block above 2 GiB stands", 0, 100 * M, M, 0, HIGH, 0},
	{"after a failure, a taken hint below 2 GiB: the region serves it", 1, 100 * M, M, 0, (long)(47 * M), 1},
	{"a free hint: the kernel honours it", 1, 20 * M, M, 0, (long)(20 * M), 0},
	{"a hint whose range would end above 2 GiB: the kernel's answer", 1, 2 * G - 512 * K, M, 0, HIGH, 0},
	{"a hint above 2 GiB: the kernel's answer", 1, 3 * G, M, 0, (long)(3 * G), 0},
	{"no hint: the kernel's answer", 1, 0, M, 0, HIGH, 0},
	{"MAP_FIXED_NOREPLACE on a taken range: the kernel's EEXIST", 1, 100 * M, M, MAP_FIXED_NOREPLACE, -EEXIST, 0},
	{"MAP_FIXED: the kernel's", 1, 100 * M, M, MAP_FIXED, (long)(100 * M), 0},
	{"MAP_GROWSDOWN: the kernel's", 1, 100 * M, M, MAP_GROWSDOWN, HIGH, 0},
	{"MAP_ABOVE4G (Linux 6.6): the kernel's", 1, 100 * M, M, 0x80, HIGH, 0},
	{"more than the region holds: the kernel, asked again, answers", 1, 100 * M, 40 * M, 0, HIGH, 0},
};

START_TEST(test_alloc_missed_low_hint_after_a_failure)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {0, 0}};
	uint64_t before;
	long r;
	sc_start(NULL);
	only_free(free);
	if (hint_cases[_i].fail_first) {
		ck_assert_int_eq(sc_map32(64 * M), -ENOMEM);
		ck_assert_uint_eq(sc_stats().failures, 1);
	}
	before = fk_mapped_bytes();
	r = sc_mmap(hint_cases[_i].hint, hint_cases[_i].len, RW, ANON | hint_cases[_i].flags, -1, 0);
	if (hint_cases[_i].want == HIGH)
		ck_assert_msg(r > 0 && (uintptr_t)r >= 2 * G, "%s: got %#lx, want above 2 GiB", hint_cases[_i].what, r);
	else
		ck_assert_msg(r == hint_cases[_i].want, "%s: got %#lx, want %#lx", hint_cases[_i].what, r,
			      hint_cases[_i].want);
	ck_assert_uint_eq(sc_stats().hints_served, hint_cases[_i].hints);
	ck_assert_uint_eq(sc_stats().region_served, 0); /* MAP_32BIT requests only */
	/* Served from the region, or by the kernel asked again: its first block was given back. */
	if (r > 0 && !(hint_cases[_i].flags & MAP_FIXED))
		ck_assert_uint_eq(fk_mapped_bytes(), before + hint_cases[_i].len);
	if (fk_count.open_maps)
		sc_verified(hint_cases[_i].what);
}
END_TEST

/* The probing as LuaJIT 2.1 does it once MAP_32BIT failed: hints that walk upwards, each
 * answer kept only when it ends below 2^31. Every probe finds room while the region has any. */
START_TEST(test_alloc_probing_after_a_failure_fills_the_region)
{
	static const rng_t free[] = {{16 * M, 20 * M}, {100 * M, 104 * M}, {0, 0}};
	uintptr_t hint = 200 * M;
	int got = 0;
	sc_start(NULL);
	only_free(free);
	ck_assert_int_eq(sc_map32(8 * M), -ENOMEM);
	for (int i = 0; i < 10; i++) {
		long r = sc_mmap(hint, M, RW, ANON, -1, 0);
		ck_assert_int_gt(r, 0);
		if ((uintptr_t)r + M <= 2 * G)
			got++;
		else
			ck_assert_int_eq(sc_munmap((uintptr_t)r, M), 0);
		hint += 16 * M;
	}
	ck_assert_int_eq(got, 8);
	ck_assert_uint_eq(sc_stats().hints_served, 8);
	ck_assert_uint_eq(fk_state(16 * M, 20 * M), FK_MAPPED);
	ck_assert_uint_eq(fk_state(100 * M, 104 * M), FK_MAPPED);
	sc_verified("after the probing");
}
END_TEST

/* ---- region-first ------------------------------------------------------------------------ */

START_TEST(test_alloc_region_first)
{
	static const rng_t free[] = {{16 * M, 18 * M}, {G + 8 * M, G + 16 * M}, {0, 0}};
	SC_START("LJMM_POLICY=region-first");
	only_free(free);
	/* The region's best fit, though the kernel's window has room: the kernel is not asked. */
	ck_assert_int_eq(sc_map32(2 * M), (long)(18 * M - 2 * M));
	ck_assert_int_eq(sc_map32(4 * M), (long)(G + 12 * M));
	ck_assert_int_eq(sc_map32(4 * M), (long)(G + 8 * M));
	ck_assert_uint_eq(fk_count.map32, 0);
	/* The region is full: then the kernel, which is full too. */
	ck_assert_int_eq(sc_map32(4 * K), -ENOMEM);
	ck_assert_uint_eq(fk_count.map32, 1);
	ck_assert_uint_eq(sc_stats().region_served, 3);
	ck_assert_uint_eq(sc_stats().kernel_skipped, 0);
	ck_assert_uint_eq(sc_stats().failures, 1);
	sc_verified("region-first");
}
END_TEST

START_TEST(test_alloc_region_first_full_region_asks_the_kernel)
{
	static const rng_t free[] = {{G + 8 * M, G + 9 * M}, {0, 0}};
	SC_START("LJMM_POLICY=region-first", "LJMM_REGION_HI=1G");
	only_free(free);
	ck_assert_int_eq(sc_map32(M), (long)(G + 8 * M));
	ck_assert_uint_eq(fk_count.map32, 1);
	ck_assert_uint_eq(sc_stats().kernel_served, 1);
	ck_assert_uint_eq(sc_stats().region_served, 0);
	sc_verified("kernel-served after the region");
}
END_TEST

/* ---- what the region leaves alone --------------------------------------------------------- */

static const struct {
	const char *what;
	const char *policy;
	int flags;
	size_t len;
	int window_room;
	long want;
} ineligible_cases[] = {
	{"MAP_HUGETLB: the kernel's ENOMEM stands", "LJMM_POLICY=kernel-first", MAP_HUGETLB, 2 * M, 0, -ENOMEM},
	{"MAP_GROWSDOWN: the kernel's ENOMEM stands", "LJMM_POLICY=kernel-first", MAP_GROWSDOWN, M, 0, -ENOMEM},
	{"MAP_GROWSDOWN, region-first: the kernel serves it", "LJMM_POLICY=region-first", MAP_GROWSDOWN, M, 1, (long)G},
	{"MAP_HUGETLB, region-first: the kernel's answer", "LJMM_POLICY=region-first", MAP_HUGETLB, 2 * M, 1, -ENOMEM},
	{"length 0, region-first: the kernel's EINVAL", "LJMM_POLICY=region-first", 0, 0, 1, -EINVAL},
	{"length 0: the kernel's EINVAL", "LJMM_POLICY=kernel-first", 0, 0, 0, -EINVAL},
	{"a length that overflows: the kernel's ENOMEM", "LJMM_POLICY=kernel-first", 0, (size_t)-1, 0, -ENOMEM},
};

START_TEST(test_alloc_ineligible_requests_stay_with_the_kernel)
{
	long r;
	SC_START(ineligible_cases[_i].policy);
	if (ineligible_cases[_i].window_room)
		ck_assert_int_eq(fk_map(G + 8 * M, 2 * G, RW), 0);
	else
		window_full();
	r = sc_mmap(0, ineligible_cases[_i].len, RW, ANON | MAP_32BIT | ineligible_cases[_i].flags, -1, 0);
	ck_assert_msg(r == ineligible_cases[_i].want, "%s: got %ld, want %ld", ineligible_cases[_i].what, r,
		      ineligible_cases[_i].want);
	ck_assert_uint_eq(fk_count.map32, 1);
	ck_assert_uint_eq(fk_count.noreplace, 0);
	ck_assert_uint_eq(fk_count.open_maps, 0);
	ck_assert_uint_eq(sc_stats().failures, r == -ENOMEM);
	/* A refusal that is not about room says nothing to the operator. */
	ck_assert_str_eq(fk_stderr_text(), "");
}
END_TEST

/* ---- the kernel's own errors pass through ----------------------------------------------- */

enum { FD_ANON, FD_BAD, FD_RO, FD_RW, FD_HUGE };

/* Issue 17: the caller gets the kernel's own answer to its call, or a region block that is
 * the mapping the kernel would give; the placement's refusals are never passed on. */
static const struct {
	const char *what;
	const char *policy;
	int window_full;
	int fd, flags, prot;
	uint64_t as_room; /* RLIMIT_AS: this many bytes above what is mapped (0: none) */
	long want;
	unsigned map32; /* MAP_32BIT calls the kernel saw */
	unsigned placements;
} error_cases[] = {
	{"a bad descriptor, kernel-first: the kernel's EBADF", "LJMM_POLICY=kernel-first", 1, FD_BAD, MAP_PRIVATE,
	 PROT_READ, 0, -EBADF, 1, 0},
	{"a bad descriptor, region-first: the placement's EBADF, then the kernel's own", "LJMM_POLICY=region-first", 1,
	 FD_BAD, MAP_PRIVATE, PROT_READ, 0, -EBADF, 1, 1},
	{"shared writable read-only file, window full: the kernel's ENOMEM, not the placement's EACCES",
	 "LJMM_POLICY=kernel-first", 1, FD_RO, MAP_SHARED, RW, 0, -ENOMEM, 1, 1},
	{"shared writable read-only file, region-first, window full: the kernel's ENOMEM", "LJMM_POLICY=region-first", 1,
	 FD_RO, MAP_SHARED, RW, 0, -ENOMEM, 1, 1},
	{"shared writable read-only file, region-first, room in the window: the kernel's EACCES",
	 "LJMM_POLICY=region-first", 0, FD_RO, MAP_SHARED, RW, 0, -EACCES, 1, 1},
	{"no MAP_PRIVATE or MAP_SHARED, window full: the kernel's ENOMEM, not the placement's EINVAL",
	 "LJMM_POLICY=kernel-first", 1, FD_ANON, MAP_ANONYMOUS, RW, 0, -ENOMEM, 1, 1},
	{"anonymous MAP_SHARED_VALIDATE, window full: the kernel's ENOMEM", "LJMM_POLICY=kernel-first", 1, FD_ANON,
	 MAP_SHARED_VALIDATE | MAP_ANONYMOUS, RW, 0, -ENOMEM, 1, 1},
	{"MAP_SHARED_VALIDATE with MAP_SYNC, window full: the kernel's ENOMEM, no placement", "LJMM_POLICY=kernel-first",
	 1, FD_RW, MAP_SHARED_VALIDATE | 0x80000, RW, 0, -ENOMEM, 1, 0},
	{"MAP_SHARED_VALIDATE with MAP_SYNC, region-first, room: the kernel's EOPNOTSUPP", "LJMM_POLICY=region-first", 0,
	 FD_RW, MAP_SHARED_VALIDATE | 0x80000, RW, 0, -EOPNOTSUPP, 1, 0},
	{"a hugetlbfs file, window full: the kernel's ENOMEM, no placement", "LJMM_POLICY=kernel-first", 1, FD_HUGE,
	 MAP_SHARED, RW, 0, -ENOMEM, 1, 0},
	{"RLIMIT_AS: the placement's ENOMEM, and no warning", "LJMM_POLICY=kernel-first", 1, FD_ANON, ANON, RW, 512 * K,
	 -ENOMEM, 1, 1},
};

START_TEST(test_alloc_kernel_errors_pass_through)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {0, 0}}, room[] = {{16 * M, 48 * M}, {G, G + 4 * M}, {0, 0}};
	int fd = -1, kind = error_cases[_i].fd;
	long r;
	SC_START(error_cases[_i].policy);
	only_free(error_cases[_i].window_full ? free : room);
	fd = kind == FD_BAD ? 999 : kind == FD_RO ? fk_file(0) : kind == FD_RW ? fk_file(1) : kind == FD_HUGE ? fk_file_hugetlb() : -1;
	if (error_cases[_i].as_room)
		fk_set_as_limit(fk_mapped_bytes() + error_cases[_i].as_room);
	r = sc_mmap(0, M, error_cases[_i].prot, error_cases[_i].flags | MAP_32BIT, fd, 0);
	ck_assert_msg(r == error_cases[_i].want, "%s: got %ld, want %ld", error_cases[_i].what, r, error_cases[_i].want);
	ck_assert_uint_eq(fk_count.map32, error_cases[_i].map32);
	ck_assert_uint_eq(fk_count.noreplace, error_cases[_i].placements);
	ck_assert_uint_eq(sc_stats().region_served, 0);
	ck_assert_uint_eq(sc_stats().failures, r == -ENOMEM);
	ck_assert_msg(!strstr(fk_stderr_text(), "failed"), "%s: printed '%s'", error_cases[_i].what, fk_stderr_text());
	/* A request the region cannot serve, or whose arguments the kernel refuses, is no
	 * sign of a process out of low memory: the hint service stays off (a taken low hint
	 * gets the kernel's block above 2 GiB). RLIMIT_AS is. */
	fk_set_as_limit(0);
	r = sc_mmap(100 * M, M, RW, ANON, -1, 0);
	ck_assert_msg((r > 0 && (uintptr_t)r >= 2 * G) == !error_cases[_i].as_room, "%s: hint answered %#lx",
		      error_cases[_i].what, r);
	ck_assert_int_eq(sc_munmap((uintptr_t)r, M), 0);
	/* A refused placement proves nothing about the window: no hint, the next request of
	 * the same size asks the kernel. */
	if (!strcmp(error_cases[_i].policy, "LJMM_POLICY=kernel-first")) {
		unsigned before = fk_count.map32;
		ck_assert_int_eq(sc_map32(M), (long)(47 * M));
		ck_assert_uint_eq(fk_count.map32, before + 1);
		/* That placement did prove it: from now on the region places first. */
		ck_assert_int_eq(sc_map32(M), (long)(46 * M));
		ck_assert_uint_eq(fk_count.map32, before + 1);
		ck_assert_uint_eq(sc_stats().kernel_skipped, 1);
	}
	if (fk_count.open_maps)
		sc_verified(error_cases[_i].what);
}
END_TEST

/* Issue 17: a file mapping under MAP_SHARED_VALIDATE is placed as MAP_SHARED (the kernel
 * refuses MAP_FIXED_NOREPLACE under it with EOPNOTSUPP), with the same file and offset. */
START_TEST(test_alloc_shared_validate_file_is_placed_as_shared)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {0, 0}};
	int fd;
	long r;
	SC_START(_i ? "LJMM_POLICY=region-first" : NULL);
	only_free(free);
	fd = fk_file(1);
	r = sc_mmap(0, M, RW, MAP_SHARED_VALIDATE | MAP_32BIT, fd, 0);
	ck_assert_int_eq(r, (long)(47 * M));
	ck_assert_uint_eq(sc_stats().region_served, 1);
	ck_assert_uint_eq(sc_stats().failures, 0);
	sc_verified("a MAP_SHARED_VALIDATE file block");
}
END_TEST

/* Issue 17: after a failed MAP_32BIT request, a taken low hint for a hugetlbfs file: the
 * kernel's block stands (the region cannot give it, and a give-back munmap of a length
 * not huge-page aligned would fail and leave it mapped). */
START_TEST(test_alloc_hugetlb_file_hint_keeps_the_kernels_block)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {0, 0}};
	uint64_t before;
	long r;
	int fd;
	sc_start(NULL);
	only_free(free);
	ck_assert_int_eq(sc_map32(64 * M), -ENOMEM);
	fd = fk_file_hugetlb();
	before = fk_mapped_bytes();
	r = sc_mmap(100 * M, 4 * K, RW, MAP_PRIVATE, fd, 0);
	ck_assert_msg(r > 0 && (uintptr_t)r >= 2 * G, "got %#lx", r);
	ck_assert_uint_eq(fk_mapped_bytes(), before + 2 * M); /* one block, not two */
	ck_assert_uint_eq(sc_stats().hints_served, 0);
}
END_TEST

/* Issue 17 "Small": a request of 2 GiB or more fails without turning the hint service on. */
START_TEST(test_alloc_oversized_failure_leaves_hints_off)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {0, 0}};
	long r;
	sc_start(NULL);
	only_free(free);
	ck_assert_int_eq(sc_map32(3 * G), -ENOMEM);
	r = sc_mmap(100 * M, M, RW, ANON, -1, 0);
	ck_assert_msg(r > 0 && (uintptr_t)r >= 2 * G, "got %#lx", r);
	ck_assert_uint_eq(sc_stats().hints_served, 0);
	ck_assert_int_eq(sc_munmap((uintptr_t)r, M), 0);
	ck_assert_int_eq(sc_map32(64 * M), -ENOMEM); /* a size that could fit: on */
	ck_assert_int_eq(sc_mmap(100 * M, M, RW, ANON, -1, 0), (long)(47 * M));
}
END_TEST

/* ---- collisions: resync, skip, the bound -------------------------------------------------- */

START_TEST(test_alloc_resync_on_eexist)
{
	start_with_first_block();
	ck_assert_int_eq(fk_map(46 * M, 47 * M, RW), 0); /* taken behind the index's back */
	ck_assert_int_eq(sc_map32(M), (long)(45 * M));
	ck_assert_uint_eq(fk_count.noreplace, 3); /* 47M, 46M (EEXIST), 45M */
	ck_assert_uint_eq(sc_stats().conflicts, 1);
	ck_assert_uint_eq(sc_stats().resyncs, 2);
	ck_assert_uint_eq(fk_count.open_maps, 2);
	sc_verified("after the resync");
}
END_TEST

START_TEST(test_alloc_second_collision_marks_the_spot_used)
{
	start_with_first_block();
	/* Mapped, but the rebuild's read of the maps misses it. */
	ck_assert_int_eq(fk_map_hidden(46 * M, 47 * M), 0);
	ck_assert_int_eq(sc_map32(M), (long)(45 * M));
	ck_assert_uint_eq(sc_stats().conflicts, 2);
	ck_assert_uint_eq(sc_stats().resyncs, 2); /* one rebuild per request, then the spot is skipped */
	/* The index holds the spot as used, which the maps do not show yet... */
	ck_assert_int_eq(ljmm_alloc_verify(), -EIO);
	fk_reveal();
	/* ...and once they do, the index is exact. */
	sc_verified("after the hidden mapping shows");
}
END_TEST

/* Map every placement's target behind the shim's back, `left` times. */
static void take_every_spot(void *ctx, uintptr_t addr, size_t len, int prot, int flags)
{
	int *left = ctx;
	(void)prot;
	if ((flags & MAP_FIXED_NOREPLACE) && *left > 0) {
		(*left)--;
		ck_assert_int_eq(fk_map(addr, addr + ((len + PAGE - 1) & ~(PAGE - 1)), RW), 0);
	}
}

static const struct {
	int collisions;
	long want;
} tries_cases[] = {
	{15, (long)(48 * M - 16 * M)}, /* the 16th try succeeds */
	{16, -ENOMEM},                 /* 16 collisions in a row: ENOMEM, not a spin */
	{1000, -ENOMEM},
};

START_TEST(test_alloc_place_tries_bound)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {0, 0}};
	int left = tries_cases[_i].collisions;
	sc_start(NULL);
	only_free(free);
	fk_hook_mmap(take_every_spot, &left);
	ck_assert_int_eq(sc_map32(M), tries_cases[_i].want);
	fk_hook_mmap(NULL, NULL);
	ck_assert_uint_eq(fk_count.noreplace, 16);
	ck_assert_uint_eq(sc_stats().conflicts, tries_cases[_i].collisions < 16 ? tries_cases[_i].collisions : 16);
	ck_assert_uint_eq(sc_stats().resyncs, 1); /* the first build is the fresh picture: no resync after it */
	/* Sixteen collisions in a row are contention, not a full low 2 GiB: no such line. */
	if (tries_cases[_i].want == -ENOMEM)
		ck_assert_msg(strstr(fk_stderr_text(), "the low 2 GiB is full") == NULL, "got:\n%s", fk_stderr_text());
	sc_verified("after the collisions");
}
END_TEST

START_TEST(test_alloc_noreplace_as_hint_before_4_17)
{
	uint64_t mapped;
	start_with_first_block();
	fk_set_noreplace_is_hint(1);
	ck_assert_int_eq(fk_map(46 * M, 47 * M, RW), 0);
	mapped = fk_mapped_bytes();
	/* The spot is taken: the kernel answers elsewhere, which is given back. */
	ck_assert_int_eq(sc_map32(M), (long)(45 * M));
	ck_assert_uint_eq(fk_mapped_bytes(), mapped + M);
	ck_assert_uint_eq(sc_stats().conflicts, 1);
	sc_verified("pre-4.17 placement");
}
END_TEST

/* ---- kernel mappings that land in the region --------------------------------------------- */

START_TEST(test_alloc_kernel_mappings_in_the_region_are_recorded)
{
	static const rng_t free[] = {{16 * M, 512 * M}, {0, 0}};
	sc_start(NULL);
	only_free(free);
	/* Before the index exists nothing is recorded (its build will see them). */
	ck_assert_int_eq(sc_mmap(300 * M, M, RW, ANON | MAP_FIXED, -1, 0), (long)(300 * M));
	ck_assert_uint_eq(fk_count.open_maps, 0);
	ck_assert_int_eq(sc_map32(M), (long)(511 * M));
	sc_verified("built");
	ck_assert_int_eq(sc_mmap(100 * M, M, RW, ANON | MAP_FIXED, -1, 0), (long)(100 * M));
	sc_verified("MAP_FIXED");
	ck_assert_int_eq(sc_mmap(200 * M, M, RW, ANON, -1, 0), (long)(200 * M));
	sc_verified("a hint the kernel took");
	ck_assert_int_eq(sc_mmap(400 * M, M, RW, ANON | MAP_32BIT | MAP_FIXED, -1, 0), (long)(400 * M));
	sc_verified("MAP_32BIT | MAP_FIXED");
	ck_assert_int_eq(sc_mmap(401 * M, 2 * M, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0), (long)(401 * M));
	sc_verified("MAP_FIXED_NOREPLACE");
	ck_assert_int_eq(sc_mmap(510 * M + 1, 100, RW, ANON | MAP_FIXED, -1, 0), -EINVAL);
	ck_assert_int_eq(sc_mmap(0, M, RW, ANON, -1, 0) >= (long)FK_TOP, 1); /* above: nothing to record */
	sc_verified("after the kernel's own placements");
}
END_TEST

/* ---- munmap --------------------------------------------------------------------------------- */

START_TEST(test_alloc_munmap_bookkeeping)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {0, 0}};
	long a, b;
	sc_start(NULL);
	only_free(free);
	/* Before the index exists: nothing to keep in step. */
	ck_assert_int_eq(sc_munmap(100 * M, M), 0);
	ck_assert_uint_eq(fk_count.open_maps, 0);
	a = sc_map32(4 * M);
	b = sc_map32(4 * M);
	ck_assert_int_eq(a, (long)(44 * M));
	ck_assert_int_eq(b, (long)(40 * M));
	ck_assert_int_eq(sc_munmap((uintptr_t)a + 4 * K, 8 * K), 0);
	sc_verified("a hole in a block");
	ck_assert_int_eq(sc_munmap((uintptr_t)b + M, 1), 0); /* a length that is not a page multiple */
	sc_verified("one byte, one page");
	ck_assert_int_eq(sc_munmap((uintptr_t)a + 1, 4 * K), -EINVAL);
	sc_verified("a refused munmap changes nothing");
	ck_assert_int_eq(sc_munmap((uintptr_t)b, 12 * M), 0); /* both blocks and the hole */
	sc_verified("across blocks and holes");
	ck_assert_int_eq(sc_munmap(3 * G, M), 0); /* above the region */
	ck_assert_int_eq(sc_munmap(100 * M, M), 0);
	sc_verified("a piece of a mapping made behind the shim's back");
	/* What was freed is handed out again, at the top of the best fit. */
	ck_assert_int_eq(sc_map32(M), (long)(100 * M));
}
END_TEST

/* ---- mremap -------------------------------------------------------------------------------- */

static const struct {
	const char *what;
	long old_off; /* from the block B at 100 MiB, 4 MiB long */
	size_t old_len, new_len;
	int flags;
	long new_addr; /* absolute, or 0 */
	long want;     /* absolute, -errno, or 1 for "above the region" */
} mremap_cases[] = {
	{"shrink in place", 0, 4 * M, M, 0, 0, (long)(100 * M)},
	{"grow in place into free pages", 0, 4 * M, 8 * M, 0, 0, (long)(100 * M)},
	{"grow where a mapping stands, no MAYMOVE: ENOMEM", 0, 4 * M, 16 * M, 0, 0, -ENOMEM},
	{"grow where a mapping stands, MAYMOVE: moved above", 0, 4 * M, 16 * M, MREMAP_MAYMOVE, 0, 1},
	{"move into the region (MREMAP_FIXED)", 0, 4 * M, 4 * M, MREMAP_FIXED | MREMAP_MAYMOVE, (long)(300 * M),
	 (long)(300 * M)},
	{"move and grow into the region", 0, 2 * M, 3 * M, MREMAP_FIXED | MREMAP_MAYMOVE, (long)(300 * M), (long)(300 * M)},
	{"move and shrink into the region", 0, 4 * M, M, MREMAP_FIXED | MREMAP_MAYMOVE, (long)(300 * M), (long)(300 * M)},
	{"move out of the region", 0, 4 * M, 4 * M, MREMAP_FIXED | MREMAP_MAYMOVE, (long)(3 * G), (long)(3 * G)},
	{"move over a kernel mapping in the region", 0, 4 * M, 4 * M, MREMAP_FIXED | MREMAP_MAYMOVE, (long)(110 * M),
	 (long)(110 * M)},
	{"copy into the region (DONTUNMAP)", 0, 4 * M, 4 * M, MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
	 (long)(300 * M), (long)(300 * M)},
	{"copy out (DONTUNMAP, no address)", 0, 4 * M, 4 * M, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0, 1},
	{"several mappings and holes moved into the region (Linux 6.17)", -3 * (long)M, 12 * M, 12 * M,
	 MREMAP_FIXED | MREMAP_MAYMOVE, (long)(300 * M), (long)(300 * M)},
	{"from a hole: EFAULT", (long)(-1 * (long)M), 2 * M, 2 * M, MREMAP_FIXED | MREMAP_MAYMOVE, (long)(300 * M), -EFAULT},
	{"unaligned: EINVAL", 1, 4 * M, 4 * M, 0, 0, -EINVAL},
};

START_TEST(test_alloc_mremap_bookkeeping)
{
	static const rng_t free[] = {{16 * M, 512 * M}, {0, 0}};
	uintptr_t b = 100 * M;
	long r, want = mremap_cases[_i].want;
	sc_start(NULL);
	only_free(free);
	ck_assert_int_eq(sc_map32(M), (long)(511 * M)); /* the index exists */
	/* The block B [100M, 104M), mappings at [110M, 111M) and [112M, 113M) after it, and
	 * one at [97M, 98M) before it, with holes between. */
	ck_assert_int_eq(sc_mmap(b, 4 * M, RW, ANON | MAP_FIXED, -1, 0), (long)b);
	ck_assert_int_eq(sc_mmap(b + 12 * M, M, PROT_READ, ANON | MAP_FIXED, -1, 0), (long)(b + 12 * M));
	ck_assert_int_eq(sc_mmap(b - 3 * M, M, PROT_READ, ANON | MAP_FIXED, -1, 0), (long)(b - 3 * M));
	ck_assert_int_eq(sc_mmap(b + 10 * M, M, PROT_READ, ANON | MAP_FIXED, -1, 0), (long)(b + 10 * M));
	sc_verified("set-up");
	r = sc_mremap(b + mremap_cases[_i].old_off, mremap_cases[_i].old_len, mremap_cases[_i].new_len,
		      mremap_cases[_i].flags, (uintptr_t)mremap_cases[_i].new_addr);
	if (want == 1)
		ck_assert_msg(r >= (long)(2 * G), "%s: got %#lx, want above the region", mremap_cases[_i].what, r);
	else
		ck_assert_msg(r == want, "%s: got %#lx, want %#lx", mremap_cases[_i].what, r, want);
	sc_verified(mremap_cases[_i].what);
}
END_TEST

/* Bookkeeping the kernel's answers make hard: an mremap that changes nothing while the
 * range it names holds holes (the kernel does not even look past the first page: only
 * growth is recorded), and a multi-mapping DONTUNMAP copy (Linux 6.17+ moves several
 * mappings and holes with MREMAP_DONTUNMAP too: the new range is asked of the kernel).
 * Both were bugs of record_mremap found by these rows, reproduced on Linux 6.18 with the
 * preload library itself; the index is exact now. */
static const struct {
	const char *what;
	size_t old_len, new_len;
	int flags;
	long new_addr;
} mremap_hole_cases[] = {
	{"equal lengths over a hole change nothing", 8 * M, 8 * M, 0, 0},
	{"equal lengths over a hole with MAYMOVE change nothing", 8 * M, 8 * M, MREMAP_MAYMOVE, 0},
	{"shrink over a hole", 8 * M, 2 * M, 0, 0},
	{"a DONTUNMAP copy of two mappings and a hole (Linux 6.18)", 12 * M, 12 * M,
	 MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP, (long)(300 * M)},
};

START_TEST(test_alloc_mremap_over_holes)
{
	static const rng_t free[] = {{16 * M, 512 * M}, {0, 0}};
	uintptr_t b = 100 * M;
	long r;
	sc_start(NULL);
	only_free(free);
	ck_assert_int_eq(sc_map32(M), (long)(511 * M));
	ck_assert_int_eq(sc_mmap(b, 4 * M, RW, ANON | MAP_FIXED, -1, 0), (long)b);
	ck_assert_int_eq(sc_mmap(b + 10 * M, 2 * M, PROT_READ, ANON | MAP_FIXED, -1, 0), (long)(b + 10 * M));
	r = sc_mremap(b, mremap_hole_cases[_i].old_len, mremap_hole_cases[_i].new_len, mremap_hole_cases[_i].flags,
		      (uintptr_t)mremap_hole_cases[_i].new_addr);
	ck_assert_int_ge(r, 0);
	sc_verified(mremap_hole_cases[_i].what);
}
END_TEST

START_TEST(test_alloc_mremap_multi_move_before_6_17)
{
	static const rng_t free[] = {{16 * M, 512 * M}, {0, 0}};
	uintptr_t b = 100 * M;
	sc_start(NULL);
	only_free(free);
	fk_set_multi_move(0);
	ck_assert_int_eq(sc_map32(M), (long)(511 * M));
	ck_assert_int_eq(sc_mmap(b, 4 * M, RW, ANON | MAP_FIXED, -1, 0), (long)b);
	ck_assert_int_eq(sc_mmap(b + 6 * M, 2 * M, PROT_READ, ANON | MAP_FIXED, -1, 0), (long)(b + 6 * M));
	ck_assert_int_eq(sc_mremap(b, 8 * M, 8 * M, MREMAP_FIXED | MREMAP_MAYMOVE, 300 * M), -EFAULT);
	sc_verified("a refused multi-mapping move");
	ck_assert_int_eq(sc_mremap(b, 4 * M, 4 * M, MREMAP_FIXED | MREMAP_MAYMOVE, 300 * M), (long)(300 * M));
	sc_verified("a single mapping's move");
}
END_TEST

START_TEST(test_alloc_mremap_shared_duplicate)
{
	static const rng_t free[] = {{16 * M, 512 * M}, {0, 0}};
	sc_start(NULL);
	only_free(free);
	ck_assert_int_eq(sc_map32(M), (long)(511 * M));
	ck_assert_int_eq(sc_mmap(100 * M, 2 * M, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0), (long)(100 * M));
	/* old_len 0: a second view; the first stays. */
	ck_assert_int_eq(sc_mremap(100 * M, 0, 2 * M, MREMAP_MAYMOVE | MREMAP_FIXED, 200 * M), (long)(200 * M));
	ck_assert_int_eq(fk_state(100 * M, 102 * M), FK_MAPPED);
	sc_verified("a duplicate into the region");
	ck_assert_int_ge(sc_mremap(100 * M, 0, 2 * M, MREMAP_MAYMOVE, 0), (long)(2 * G));
	sc_verified("a duplicate above it");
}
END_TEST

/* ---- growth past 2 GiB ---------------------------------------------------------------------- */

static const struct {
	const char *what;
	uintptr_t start;
	size_t old_len, new_len;
	int flags;
	long want;
	uintptr_t end_after; /* where the mapping ends afterwards */
} grow_cases[] = {
	{"a block ending at 2 GiB does not grow past it", 2 * G - M, M, 2 * M, 0, -ENOMEM, 2 * G},
	{"a block ending below 2 GiB does not grow across it", 2 * G - 2 * M, M, 4 * M, 0, -ENOMEM, 2 * G - M},
	{"growth up to 2 GiB exactly is fine", 2 * G - 2 * M, M, 2 * M, 0, (long)(2 * G - 2 * M), 2 * G},
	{"with MREMAP_MAYMOVE the kernel's answer stands (in place, across)", 2 * G - M, M, 2 * M, MREMAP_MAYMOVE,
	 (long)(2 * G - M), 2 * G + M},
	{"a block that already crosses 2 GiB: the kernel's answer", 2 * G - M, 2 * M, 3 * M, 0, (long)(2 * G - M),
	 2 * G + 2 * M},
	{"a block above 2 GiB is not the shim's business", 2 * G + M, M, 2 * M, 0, (long)(2 * G + M), 2 * G + 3 * M},
};

START_TEST(test_alloc_mremap_growth_past_2g)
{
	uintptr_t s = grow_cases[_i].start;
	long r;
	static const rng_t none[] = {{0, 0}};
	sc_start(NULL);
	only_free(none);
	ck_assert_int_eq(sc_map32(4 * K), -ENOMEM); /* the index exists */
	ck_assert_int_eq(sc_munmap(2 * G - 2 * M, 2 * M), 0);
	ck_assert_int_eq(sc_mmap(s, grow_cases[_i].old_len, RW, ANON | MAP_FIXED, -1, 0), (long)s);
	r = sc_mremap(s, grow_cases[_i].old_len, grow_cases[_i].new_len, grow_cases[_i].flags, 0);
	ck_assert_msg(r == grow_cases[_i].want, "%s: got %#lx", grow_cases[_i].what, r);
	ck_assert_int_eq(fk_state(s, grow_cases[_i].end_after), FK_MAPPED);
	ck_assert_int_eq(fk_state(grow_cases[_i].end_after, grow_cases[_i].end_after + 4 * K), FK_FREE);
	ck_assert_uint_eq(sc_stats().failures, 1 + (r == -ENOMEM));
	sc_verified(grow_cases[_i].what);
}
END_TEST

START_TEST(test_alloc_mremap_move_lands_in_the_region)
{
	long x;
	start_with_first_block();
	/* Nothing free between 2 and 4 GiB but a mapping to grow: the kernel's top-down search
	 * for its new place goes on below 2 GiB. */
	ck_assert_int_eq(fk_map(2 * G, 3 * G, RW), 0);
	ck_assert_int_eq(fk_map(3 * G + M, FK_TOP, RW), 0);
	x = sc_mmap(3 * G, M, RW, ANON | MAP_FIXED, -1, 0);
	ck_assert_int_eq(x, (long)(3 * G));
	ck_assert_int_eq(sc_mremap((uintptr_t)x, M, 2 * M, MREMAP_MAYMOVE, 0), (long)(47 * M - 2 * M));
	sc_verified("a move from above into the region");
}
END_TEST

START_TEST(test_alloc_mremap_from_and_to_above_the_region)
{
	long x;
	sc_start(NULL);
	ck_assert_int_eq(fk_map(64 * K, 16 * M, RW), 0);
	ck_assert_int_eq(fk_map(48 * M, 2 * G, RW), 0);
	x = sc_mmap(3 * G, M, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ck_assert_int_eq(x, (long)(3 * G));
	/* Before the index exists: nothing to record. */
	ck_assert_int_eq(sc_mremap(3 * G, M, M, MREMAP_FIXED | MREMAP_MAYMOVE, 20 * M), (long)(20 * M));
	ck_assert_int_eq(sc_map32(M), (long)(19 * M)); /* [16M, 20M) is now the best fit */
	ck_assert_int_eq(sc_mremap(20 * M, M, M, MREMAP_FIXED | MREMAP_MAYMOVE, 3 * G), (long)(3 * G));
	sc_verified("out of the region");
	ck_assert_int_eq(sc_mremap(3 * G, M, M, MREMAP_FIXED | MREMAP_MAYMOVE, 3 * G + 100 * M), (long)(3 * G + 100 * M));
	sc_verified("above to above");
	ck_assert_int_eq(sc_mremap(3 * G + 100 * M, M, M, MREMAP_FIXED | MREMAP_MAYMOVE, 30 * M), (long)(30 * M));
	sc_verified("from above into the region");
	ck_assert_int_eq(sc_mremap(3 * G + 200 * M, M, 2 * M, 0, 0), -EFAULT);
	sc_verified("a refused mremap above");
}
END_TEST

/* Another thread builds the index while this one unmaps: its munmap must still be recorded. */
static void build_meanwhile(void *ctx)
{
	(void)ctx;
	fk_hook_call(FK_SYS_MUNMAP, NULL, NULL);
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
}

START_TEST(test_alloc_munmap_while_the_index_is_built)
{
	sc_start(NULL);
	ck_assert_int_eq(fk_map(64 * K, 2 * G, RW), 0);
	ck_assert_int_eq(sc_munmap(100 * M + 1, 4 * K), -EINVAL);
	fk_hook_call(FK_SYS_MUNMAP, build_meanwhile, NULL);
	ck_assert_int_eq(sc_munmap(100 * M, M), 0);
	sc_verified("the range freed during the build");
	ck_assert_int_eq(sc_map32(M), (long)(100 * M));
}
END_TEST

/* The placement collides, and the resync can read nothing: ENOMEM, not a guess. */
static void collide_and_blind(void *ctx, uintptr_t addr, size_t len, int prot, int flags)
{
	(void)ctx, (void)prot;
	if (!(flags & MAP_FIXED_NOREPLACE))
		return;
	fk_hook_mmap(NULL, NULL);
	ck_assert_int_eq(fk_map(addr, addr + len, RW), 0);
	fk_fail_open("/proc/", ENOENT);
	fk_fail_next(FK_SYS_MINCORE, EPERM);
}

START_TEST(test_alloc_resync_that_cannot_read)
{
	start_with_first_block();
	fk_hook_mmap(collide_and_blind, NULL);
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(sc_stats().conflicts, 1);
	fk_fail_open(NULL, 0);
	ck_assert_int_eq(sc_map32(M), (long)(45 * M)); /* rebuilt at the next call */
	sc_verified("after the blind resync");
}
END_TEST

/* What LJMM_DEBUG=on says at each decision. */
static void refuse_placement(void *ctx, uintptr_t addr, size_t len, int prot, int flags)
{
	(void)ctx, (void)addr, (void)len, (void)prot;
	if (flags & MAP_FIXED_NOREPLACE) {
		fk_hook_mmap(NULL, NULL);
		fk_fail_next(FK_SYS_MMAP, EACCES);
	}
}

START_TEST(test_alloc_debug_lines)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {2 * G - M, 2 * G}, {0, 0}};
	static const char *const lines[] = {
		"ljmm[1000]: mmap MAP_32BIT: kernel window full, trying the region len=1048576 error=ENOMEM\n",
		"ljmm[1000]: guard: not placed state=3\n",
		"ljmm[1000]: index: rebuilt free=",
		"ljmm[1000]: region: served addr=0x2f00000 len=1048576\n",
		"ljmm[1000]: region: range taken behind the index's back, resyncing addr=0x2e00000 len=1048576 error=EEXIST\n",
		"ljmm[1000]: region: placement refused by the kernel addr=0x2c00000 len=1048576 error=EACCES\n",
		"ljmm[1000]: region: nothing fits, ENOMEM len=1073741824\n",
		"ljmm[1000]: mremap: in-place growth across 2 GiB undone, ENOMEM addr=0x7ff00000 len=2097152 error=ENOMEM\n",
		"ljmm[1000]: index: /proc/self/maps unreadable, asking the kernel page by page error=ENOENT\n",
		"ljmm[1000]: index: cannot read the address space; region disabled until the next try error=EPERM\n",
	};
	SC_START("LJMM_DEBUG=on");
	only_free(free);
	ck_assert_int_eq(sc_map32(M), (long)(2 * G - M)); /* the window's top: the kernel */
	ck_assert_int_eq(sc_map32(M), (long)(47 * M));
	ck_assert_int_eq(fk_map(46 * M, 47 * M, RW), 0);
	ck_assert_int_eq(sc_map32(M), (long)(45 * M));
	fk_hook_mmap(refuse_placement, NULL);
	ck_assert_int_eq(sc_map32(M), -ENOMEM); /* the kernel's answer, not the placement's */
	ck_assert_int_eq(sc_map32(G), -ENOMEM);
	ck_assert_int_eq(sc_mremap(2 * G - M, M, 2 * M, 0, 0), -ENOMEM);
	fk_fail_open("/proc/", ENOENT);
	fk_fail_next(FK_SYS_MINCORE, EPERM);
	ck_assert_int_eq(ljmm_index_rebuild(), -EPERM);
	for (size_t i = 0; i < NELEM(lines); i++)
		ck_assert_msg(sc_count(fk_stderr_text(), lines[i]) >= 1, "no line '%s' in:\n%s", lines[i], fk_stderr_text());
}
END_TEST

/* ---- off, and verify before the index exists ----------------------------------------------- */

START_TEST(test_alloc_disabled_is_a_pass_through)
{
	static const rng_t free[] = {{16 * M, 48 * M}, {0, 0}};
	SC_START("LJMM_ENABLE=off");
	only_free(free);
	sc_constructor();
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(fk_count.map32, 2);
	ck_assert_uint_eq(fk_count.open_maps, 0);
	ck_assert_uint_eq(fk_count.mmap, 2); /* not even a lock page */
	ck_assert_uint_eq(sc_stats().guard_state, LJMM_GUARD_STATE_OFF);
	ck_assert_uint_eq(sc_stats().map32_calls, 0);
	ck_assert_int_eq(ljmm_alloc_verify(), -EAGAIN);
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_alloc_kernel_first_then_region, NELEM(fit_cases)},
	{&test_alloc_full_window_hands_placement_to_the_region, 1},
	{&test_alloc_skipped_request_falls_back_to_the_kernel, 1},
	{&test_alloc_hinted_requests_never_skip, 1},
	{&test_alloc_missed_low_hint_after_a_failure, NELEM(hint_cases)},
	{&test_alloc_probing_after_a_failure_fills_the_region, 1},
	{&test_alloc_region_first, 1},
	{&test_alloc_region_first_full_region_asks_the_kernel, 1},
	{&test_alloc_ineligible_requests_stay_with_the_kernel, NELEM(ineligible_cases)},
	{&test_alloc_kernel_errors_pass_through, NELEM(error_cases)},
	{&test_alloc_shared_validate_file_is_placed_as_shared, 2},
	{&test_alloc_hugetlb_file_hint_keeps_the_kernels_block, 1},
	{&test_alloc_oversized_failure_leaves_hints_off, 1},
	{&test_alloc_resync_on_eexist, 1},
	{&test_alloc_second_collision_marks_the_spot_used, 1},
	{&test_alloc_place_tries_bound, NELEM(tries_cases)},
	{&test_alloc_noreplace_as_hint_before_4_17, 1},
	{&test_alloc_kernel_mappings_in_the_region_are_recorded, 1},
	{&test_alloc_munmap_bookkeeping, 1},
	{&test_alloc_mremap_bookkeeping, NELEM(mremap_cases)},
	{&test_alloc_mremap_over_holes, NELEM(mremap_hole_cases)},
	{&test_alloc_mremap_multi_move_before_6_17, 1},
	{&test_alloc_mremap_shared_duplicate, 1},
	{&test_alloc_mremap_growth_past_2g, NELEM(grow_cases)},
	{&test_alloc_mremap_move_lands_in_the_region, 1},
	{&test_alloc_mremap_from_and_to_above_the_region, 1},
	{&test_alloc_munmap_while_the_index_is_built, 1},
	{&test_alloc_resync_that_cannot_read, 1},
	{&test_alloc_debug_lines, 1},
	{&test_alloc_disabled_is_a_pass_through, 1},
};

const ljmm_unit_t ljmm_unit = {.name = "alloc", .timeout = 60, .needs_fork = 1, .tests = tests, .count = NELEM(tests)};
