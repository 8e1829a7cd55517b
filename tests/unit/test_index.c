/* SPDX-License-Identifier: MIT */
/* The index kept in step with the kernel (shim/index.c, with scan.c, maps.c and sysctl.c
 * beneath it), scripted against the fake kernel: the rebuild from /proc/self/maps gives
 * exactly the gaps; the rebuild without /proc (mincore and trial mappings) gives exactly
 * the same index on random layouts; what happens when neither picture can be had; where
 * the region starts (vm.mmap_min_addr, read or probed); the 100 ms limit on rebuilds when
 * nothing fits; a scan that fails after a multi-mapping move. */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/testutil.h"
#include "alloc.h"
#include "check_main.h"
#include "index.h"
#include "scenario.h"
#include "stats.h"

#define MS 1000000ull

/* ---- the rebuild from the maps gives the gaps ---------------------------------------------- */

/* In pages, as test_region's scripted tests count them: the region is [8, 1000), the
 * mappings overlap its ends, touch each other and leave one-page holes. */
static const struct {
	uint32_t s, e;
	int prot;
} rebuild_maps[] = {
	{0, 10, PROT_READ}, {20, 30, RW}, {30, 35, PROT_READ}, {40, 60, RW}, {100, 101, PROT_NONE}, {990, 1200, RW},
};

START_TEST(test_index_rebuild_gives_the_gaps)
{
	/* The gaps [10, 20) [35, 40) [60, 100) [101, 990) have distinct sizes, so a request
	 * of each size lands in exactly one of them, at its top: the index holds exactly
	 * these extents, and nothing else (one page more fails). */
	static const struct {
		uint32_t pages, at;
	} want[] = {{889, 101}, {40, 60}, {10, 10}, {5, 35}};
	ljmm_stats_t st;
	SC_START("LJMM_REGION_LO=32K", "LJMM_REGION_HI=4000K", "LJMM_POLICY=region-first", "LJMM_GUARD=off");
	fk_set_mmap_min_addr(4096);
	ck_assert_int_eq(fk_map(G, 2 * G, RW), 0); /* the kernel's window is full */
	for (size_t i = 0; i < NELEM(rebuild_maps); i++)
		ck_assert_int_eq(fk_map(rebuild_maps[i].s * PAGE, rebuild_maps[i].e * PAGE, rebuild_maps[i].prot), 0);
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	st = sc_stats();
	ck_assert_uint_eq(st.region_lo, 8 * PAGE);
	ck_assert_uint_eq(st.region_hi, 1000 * PAGE);
	ck_assert_uint_eq(st.free_extents, 4);
	ck_assert_uint_eq(st.region_in_use, (992 - 944) * PAGE);
	sc_verified("rebuilt");
	for (size_t i = 0; i < NELEM(want); i++)
		ck_assert_int_eq(sc_map32(want[i].pages * PAGE), (long)(want[i].at * PAGE));
	ck_assert_int_eq(sc_map32(PAGE), -ENOMEM);
	ck_assert_uint_eq(fk_count.map32, 1); /* only the last: region-first */
	sc_verified("filled");
}
END_TEST

/* ---- the rebuild without /proc gives the same index ------------------------------------------ */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* A random layout up to limit (past 2 GiB, or short of it, leaving the top free): runs of mappings of every size (a page to
 * 256 MiB) and protection, holes of a page to 256 MiB between them, some adjacent. */
static void random_layout(uintptr_t limit)
{
	uintptr_t p = (rnd() % 64) * PAGE;
	static const int prots[] = {PROT_NONE, PROT_READ, RW, PROT_READ | PROT_EXEC};
	while (p < limit) {
		uintptr_t len = (rnd() % 4 ? rnd() % 64 + 1 : rnd() % 65536 + 1) * PAGE, gap;
		if (p >= 64 * K)
			ck_assert_int_eq(fk_map(p, p + len, prots[rnd() % 4]), 0);
		p += len;
		gap = rnd() % 3 == 0 ? 0 : (rnd() % 2 ? rnd() % 16 + 1 : rnd() % 65536 + 1) * PAGE;
		p += gap;
	}
}

/* Free bytes and gaps of [lo, hi) by the fake's own account. */
static void ground_truth(uintptr_t lo, uintptr_t hi, uint64_t *free_bytes, uint64_t *gaps)
{
	uintptr_t cursor = lo, s, e;
	*free_bytes = *gaps = 0;
	for (size_t i = 0; fk_vma(i, &s, &e) == 0 && cursor < hi; i++) {
		if (e <= cursor)
			continue;
		if (s > cursor) {
			*free_bytes += (s < hi ? s : hi) - cursor;
			(*gaps)++;
		}
		cursor = e;
	}
	if (cursor < hi) {
		*free_bytes += hi - cursor;
		(*gaps)++;
	}
}

START_TEST(test_index_scan_equals_maps_on_random_layouts)
{
	uint64_t free_bytes, gaps, mapped;
	size_t vmas;
	ljmm_stats_t by_maps, by_scan;
	rnd_state = 0x2545f4914f6cdd1dull * (uint64_t)(_i + 1);
	sc_start(NULL);
	random_layout(_i % 2 ? 2 * G - 300 * M : 2 * G + 64 * M);
	mapped = fk_mapped_bytes();
	vmas = fk_vma_count();
	ground_truth(64 * K, 2 * G, &free_bytes, &gaps);

	/* By the maps; checked by asking the kernel page by page. */
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	by_maps = sc_stats();
	ck_assert_uint_eq(by_maps.free_extents, gaps);
	ck_assert_uint_eq(by_maps.region_in_use, 2 * G - 64 * K - free_bytes);
	ck_assert_uint_eq(by_maps.scans, 0);
	fk_fail_open("/proc/", ENOENT);
	ck_assert_int_eq(ljmm_index_verify(), 0);
	ck_assert_uint_eq(sc_stats().scans, 1);

	/* By asking the kernel; checked against the maps. */
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	by_scan = sc_stats();
	ck_assert_uint_eq(by_scan.scans, 2);
	ck_assert_uint_eq(by_scan.free_extents, by_maps.free_extents);
	ck_assert_uint_eq(by_scan.region_in_use, by_maps.region_in_use);
	fk_fail_open(NULL, 0);
	ck_assert_int_eq(ljmm_index_verify(), 0);
	/* The trial mappings are all gone. */
	ck_assert_uint_eq(fk_mapped_bytes(), mapped);
	ck_assert_uint_eq(fk_vma_count(), vmas);
	ck_assert_int_eq(fk_open_fds(), 0);
}
END_TEST

/* ---- when the maps cannot be read ----------------------------------------------------------- */

static const struct {
	const char *what;
	const char *open_prefix; /* opens of this fail ... */
	int open_err;            /* ... with this */
	size_t read_at;          /* or a read of the maps from this offset ... */
	int read_err;            /* ... fails with this, once */
	size_t read_chunk;
	unsigned scans; /* rebuilds that had to ask the kernel */
} fallback_cases[] = {
	{"no /proc (a chroot)", "/proc/", ENOENT, 0, 0, 0, 2},
	{"a full descriptor table", "", EMFILE, 0, 0, 0, 2},
	{"/proc/self/maps cannot be opened", "/proc/self/maps", EACCES, 0, 0, 0, 2},
	{"a read of the maps fails half-way (once)", NULL, 0, 64, EIO, 64, 1},
	{"the maps are read in short pieces", NULL, 0, 0, 0, 7, 0},
	{"a read of the maps is interrupted", NULL, 0, 0, EINTR, 100, 0},
};

START_TEST(test_index_falls_back_to_asking_the_kernel)
{
	ljmm_stats_t st;
	SC_START("LJMM_POLICY=region-first");
	ck_assert_int_eq(fk_map(64 * K, 16 * M, RW), 0);
	ck_assert_int_eq(fk_map(16 * M + 4 * K, 100 * M, PROT_READ), 0);
	ck_assert_int_eq(fk_map(100 * M + 8 * K, 2 * G, RW), 0);
	if (fallback_cases[_i].open_prefix)
		fk_fail_open(fallback_cases[_i].open_prefix, fallback_cases[_i].open_err);
	if (fallback_cases[_i].read_err)
		fk_fail_read("/proc/self/maps", fallback_cases[_i].read_at, fallback_cases[_i].read_err);
	fk_set_read_chunk(fallback_cases[_i].read_chunk);
	ck_assert_int_eq(sc_map32(8 * K), (long)(100 * M));
	ck_assert_int_eq(sc_map32(4 * K), (long)(16 * M));
	ck_assert_int_eq(sc_map32(4 * K), -ENOMEM);
	ck_assert_int_eq(fk_fail_pending(), 0);
	st = sc_stats();
	/* The build, and the rebuild when nothing fitted. */
	ck_assert_uint_eq(st.scans, fallback_cases[_i].scans);
	ck_assert_uint_eq(st.resyncs, 2);
	fk_fail_open(NULL, 0);
	sc_verified(fallback_cases[_i].what);
}
END_TEST

START_TEST(test_index_without_any_picture_serves_nothing)
{
	SC_START("LJMM_POLICY=region-first");
	ck_assert_int_eq(fk_map(64 * K, 16 * M, RW), 0);
	ck_assert_int_eq(fk_map(32 * M, 2 * G, RW), 0);
	fk_fail_open("/proc/", ENOENT);
	fk_fail_next(FK_SYS_MINCORE, EPERM); /* a seccomp jail that also forbids mincore */
	/* The region serves nothing; the kernel, asked instead, has no room. */
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(sc_stats().region_served, 0);
	ck_assert_int_eq(fk_state(16 * M, 32 * M), FK_FREE);
	ck_assert_uint_eq(fk_count.map32, 1);
	ck_assert_int_eq(ljmm_alloc_verify(), -EAGAIN); /* stale: nothing to compare */
	/* Once the kernel can be asked again, the next call rebuilds and serves. */
	ck_assert_int_eq(sc_map32(M), (long)(31 * M));
	sc_verified("after the picture came back");
}
END_TEST

/* ---- where the region starts ------------------------------------------------------------------ */

static const struct {
	const char *what;
	const char *text;   /* /proc/sys/vm/mmap_min_addr; NULL: cannot be opened */
	uintptr_t enforced; /* the kernel's floor */
	const char *lo;     /* LJMM_REGION_LO */
	int read_err;       /* the read fails with this */
	uintptr_t taken;    /* a mapping at [taken, taken + 4K) (0: none) */
	uintptr_t want_lo;
	int floor_err;      /* what the kernel says below its floor (0: EPERM) */
} min_cases[] = {
	{"the default: 64 KiB", "65536\n", 65536, NULL, 0, 0, 64 * K, 0},
	{"a higher floor raises the region's start", "1048576\n", M, NULL, 0, 0, M, 0},
	{"LJMM_REGION_LO below the default, floor 4 KiB", "4096\n", 4096, "LJMM_REGION_LO=4K", 0, 0, 4 * K, 0},
	{"a floor that is not a page multiple rounds up", "5000", 4096, "LJMM_REGION_LO=4K", 0, 0, 8 * K, 0},
	{"LJMM_REGION_LO above the floor", "4096\n", 4096, "LJMM_REGION_LO=1M", 0, 0, M, 0},
	{"a floor at or above 2 GiB leaves no region", "3000000000\n", 4096, NULL, 0, 0, 2 * G, 0},
	{"an interrupted read is retried", "65536\n", 65536, NULL, EINTR, 0, 64 * K, 0},
	{"unreadable: probed (EPERM below 64 KiB)", NULL, 64 * K, "LJMM_REGION_LO=4K", 0, 0, 64 * K, 0},
	{"unreadable, no floor: the first page", NULL, 0, "LJMM_REGION_LO=4K", 0, 0, 4 * K, 0},
	{"unreadable, floor 1 MiB", NULL, M, "LJMM_REGION_LO=4K", 0, 0, M, 0},
	{"unreadable, the probe finds a page taken: not the floor", NULL, 0, "LJMM_REGION_LO=4K", 0, 4 * K, 4 * K, 0},
	{"unreadable, refused everywhere below the window", NULL, 2 * G, "LJMM_REGION_LO=4K", 0, 0, G, 0},
	{"not a number: probed", "none\n", 32 * K, "LJMM_REGION_LO=4K", 0, 0, 32 * K, 0},
	{"empty: probed", "", 32 * K, "LJMM_REGION_LO=4K", 0, 0, 32 * K, 0},
	{"a read error: probed", "65536\n", 16 * K, "LJMM_REGION_LO=4K", EIO, 0, 16 * K, 0},
	{"unreadable, an SELinux floor (EACCES)", NULL, 64 * K, "LJMM_REGION_LO=4K", 0, 0, 64 * K, EACCES},
	{"twenty digits: read as nineteen, far above 2 GiB", "99999999999999999999\n", 4096, NULL, 0, 0, 2 * G, 0},
};

START_TEST(test_index_mmap_min_addr)
{
	size_t vmas;
	sc_start((const char *const[]){min_cases[_i].lo ? min_cases[_i].lo : "LJMM_DEBUG=off", NULL});
	fk_set_mmap_min_addr(min_cases[_i].enforced);
	fk_set_mmap_min_addr_text(min_cases[_i].text);
	if (min_cases[_i].floor_err)
		fk_set_mmap_min_err(min_cases[_i].floor_err);
	if (min_cases[_i].taken)
		ck_assert_int_eq(fk_map(min_cases[_i].taken, min_cases[_i].taken + 4 * K, RW), 0);
	if (min_cases[_i].read_err)
		fk_fail_read("/proc/sys/vm/mmap_min_addr", 0, min_cases[_i].read_err);
	vmas = fk_vma_count();
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	ck_assert_int_eq(fk_fail_pending(), 0);
	ck_assert_msg(sc_stats().region_lo == min_cases[_i].want_lo, "%s: the region starts at %#lx, want %#lx",
		      min_cases[_i].what, (unsigned long)sc_stats().region_lo, (unsigned long)min_cases[_i].want_lo);
	ck_assert_uint_eq(fk_vma_count(), vmas); /* the probe's mappings are gone */
	sc_verified(min_cases[_i].what);
}
END_TEST

/* ---- the 100 ms limit on rebuilds when nothing fits ---------------------------------------- */

START_TEST(test_index_rebuild_limiter)
{
	sc_start(NULL);
	ck_assert_int_eq(fk_map(64 * K, 2 * G, RW), 0);
	ck_assert_int_eq(sc_map32(M), -ENOMEM); /* builds: the fresh picture, no second read */
	ck_assert_uint_eq(fk_count.open_maps, 1);
	ck_assert_int_eq(sc_map32(M), -ENOMEM); /* nothing fits: one rebuild is due */
	ck_assert_uint_eq(fk_count.open_maps, 2);
	ck_assert_int_eq(sc_map32(M), -ENOMEM); /* less than 100 ms later: none */
	ck_assert_uint_eq(fk_count.open_maps, 2);
	/* Space freed behind the shim's back is not seen before the limit... */
	fk_unmap(500 * M, 501 * M);
	fk_clock_advance(99 * MS);
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(fk_count.open_maps, 2);
	/* ...and found at it. */
	fk_clock_advance(1 * MS);
	ck_assert_int_eq(sc_map32(M), (long)(500 * M));
	ck_assert_uint_eq(fk_count.open_maps, 3);
	ck_assert_uint_eq(sc_stats().resyncs, 3);
	/* Without a clock nothing is due. */
	fk_clock_advance(1000 * MS);
	fk_fail_next(FK_SYS_CLOCK, EINVAL);
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(fk_count.open_maps, 3);
	sc_verified("after the limiter");
	/* A due rebuild that cannot read anything: ENOMEM, and the next call tries again. */
	fk_clock_advance(1000 * MS);
	fk_fail_open("/proc/", ENOENT);
	fk_fail_next(FK_SYS_MINCORE, EPERM);
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_int_eq(ljmm_alloc_verify(), -EAGAIN);
	fk_fail_open(NULL, 0);
	fk_unmap(600 * M, 601 * M);
	ck_assert_int_eq(sc_map32(M), (long)(600 * M));
	sc_verified("after a failed rebuild");
}
END_TEST

/* ---- a multi-mapping move whose destination cannot be scanned -------------------------------- */

START_TEST(test_index_scan_failure_after_a_move_keeps_the_range_used)
{
	SC_START("LJMM_POLICY=region-first");
	ck_assert_int_eq(fk_map(64 * K, 100 * M, RW), 0);
	ck_assert_int_eq(sc_map32(M), (long)(2 * G - M));
	ck_assert_int_eq(sc_mmap(100 * M, M, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), (long)(100 * M));
	ck_assert_int_eq(sc_mmap(103 * M, M, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), (long)(103 * M));
	fk_fail_next(FK_SYS_MINCORE, EFAULT);
	ck_assert_int_eq(sc_mremap(100 * M, 4 * M, 4 * M, MREMAP_FIXED | MREMAP_MAYMOVE, 200 * M), (long)(200 * M));
	/* The index keeps the whole destination as used (never hands out what it cannot
	 * see), which the maps show to be wrong for the hole... */
	ck_assert_int_eq(ljmm_alloc_verify(), -EIO);
	ck_assert_int_eq(fk_state(201 * M, 203 * M), FK_FREE);
	/* ...until the next rebuild. */
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	sc_verified("rebuilt");
}
END_TEST

/* ---- asking the kernel: what the scan counts as mapped ------------------------------------- */

static const struct {
	const char *what;
	uint64_t room; /* RLIMIT_AS: bytes above what is mapped */
	unsigned extents;
	uint64_t free_bytes;
} rlimit_cases[] = {
	/* Each trial is refused past 256 KiB: the holes are walked 256 KiB at a time. */
	{"room for 256 KiB: the holes are found in pieces", 256 * K, 2, 101 * M},
	/* Not one page can be mapped: the rest of the range counts as mapped. */
	{"no room at all: nothing free", 0, 0, 0},
};

START_TEST(test_index_scan_under_rlimit_as)
{
	SC_START("LJMM_POLICY=region-first");
	ck_assert_int_eq(fk_map(64 * K, 100 * M, RW), 0);
	ck_assert_int_eq(fk_map(200 * M, 2 * G, RW), 0);
	fk_unmap(300 * M, 301 * M);
	fk_set_as_limit(fk_mapped_bytes() + rlimit_cases[_i].room);
	fk_fail_open("/proc/", ENOENT);
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	ck_assert_uint_eq(sc_stats().scans, 1);
	ck_assert_uint_eq(sc_stats().free_extents, rlimit_cases[_i].extents);
	ck_assert_uint_eq(sc_stats().region_in_use, 2 * G - 64 * K - rlimit_cases[_i].free_bytes);
}
END_TEST

START_TEST(test_index_scan_below_the_kernels_floor)
{
	/* vm.mmap_min_addr reads 4096, the kernel refuses below 64 KiB (an LSM floor, as
	 * SELinux's CONFIG_LSM_MMAP_MIN_ADDR): the first build's trials raise the region's
	 * start to the floor, and the scan never offers a page below it. */
	if (_i == 1) {
		/* A region that lies wholly below the floor: nothing in it. */
		SC_START("LJMM_REGION_LO=4K", "LJMM_REGION_HI=64K");
		fk_set_mmap_min_addr(64 * K);
		fk_set_mmap_min_addr_text("4096\n");
		fk_fail_open("/proc/self/maps", ENOENT);
		ck_assert_int_eq(ljmm_index_rebuild(), 0);
		ck_assert_uint_eq(sc_stats().free_extents, 0);
		ck_assert_uint_eq(sc_stats().region_in_use, 0);
		ck_assert_uint_eq(sc_stats().region_lo, 64 * K);
		return;
	}
	SC_START("LJMM_REGION_LO=4K", "LJMM_POLICY=region-first");
	fk_set_mmap_min_addr(64 * K);
	fk_set_mmap_min_addr_text("4096\n");
	if (_i == 2)
		fk_set_mmap_min_err(EACCES); /* SELinux says EACCES */
	ck_assert_int_eq(fk_map(16 * M, 2 * G, RW), 0);
	fk_fail_open("/proc/self/maps", ENOENT);
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	ck_assert_uint_eq(sc_stats().region_lo, 64 * K);
	ck_assert_uint_eq(sc_stats().free_extents, 1);
	ck_assert_uint_eq(sc_stats().region_in_use, 2 * G - 16 * M);
	ck_assert_int_eq(sc_map32(16 * M - 64 * K), (long)(64 * K));
}
END_TEST

/* A page mapped between the scan's look (mincore) and its trial mapping counts as mapped. */
static void map_before_the_trial(void *ctx, uintptr_t addr, size_t len, int prot, int flags)
{
	(void)ctx, (void)prot;
	if ((flags & MAP_FIXED_NOREPLACE) && addr == 100 * M && len == PAGE) {
		fk_hook_mmap(NULL, NULL);
		ck_assert_int_eq(fk_map(100 * M, 100 * M + PAGE, RW), 0);
	}
}

START_TEST(test_index_scan_race_with_a_trial)
{
	sc_start(NULL);
	ck_assert_int_eq(fk_map(64 * K, 100 * M, RW), 0);
	ck_assert_int_eq(fk_map(200 * M, 2 * G, RW), 0);
	fk_fail_open("/proc/self/maps", ENOENT);
	fk_hook_mmap(map_before_the_trial, NULL);
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	ck_assert_uint_eq(sc_stats().free_extents, 1);
	ck_assert_uint_eq(sc_stats().region_in_use, 2 * G - 64 * K - (100 * M - PAGE));
	fk_fail_open(NULL, 0);
	sc_verified("the raced page is used");
}
END_TEST

/* A kernel floor above vm.mmap_min_addr (SELinux's CONFIG_LSM_MMAP_MIN_ADDR: 64 KiB while
 * the sysctl says 4096), with LJMM_REGION_LO below it: the first build raises the
 * region's start to where a trial mapping is let through, so that the maps' free pages
 * under the floor are never handed out (before, the placement's EPERM went back to the
 * caller although [16M, 17M) could serve it, and the next request picked the same spot). */
START_TEST(test_index_maps_below_the_kernels_floor)
{
	SC_START("LJMM_REGION_LO=4K", "LJMM_POLICY=region-first");
	fk_set_mmap_min_addr(64 * K);
	fk_set_mmap_min_addr_text("4096\n");
	ck_assert_int_eq(fk_map(64 * K, 16 * M, RW), 0);
	ck_assert_int_eq(fk_map(17 * M, 2 * G, RW), 0);
	ck_assert_int_eq(sc_map32(4 * K), (long)(17 * M - 4 * K));
	ck_assert_uint_eq(sc_stats().region_lo, 64 * K);
	ck_assert_uint_eq(sc_stats().region_served, 1);
	sc_verified("the region starts at the kernel's floor");
}
END_TEST

START_TEST(test_index_rebuild_and_verify)
{
	ljmm_usage_t u = {1, 1, 1, 1};
	sc_start(NULL);
	ljmm_index_usage(&u); /* before the index exists: zeroes */
	ck_assert(u.in_use == 0 && u.total == 0 && u.largest_start == 0 && u.largest_len == 0);
	ck_assert_int_eq(ljmm_index_verify(), -EAGAIN);
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	ck_assert_uint_eq(fk_count.open_maps, 1);
	ljmm_index_invalidate();
	ck_assert_int_eq(ljmm_index_verify(), -EAGAIN);
	ck_assert_int_eq(ljmm_index_rebuild(), 0);
	ck_assert_uint_eq(fk_count.open_maps, 2);
	ck_assert_int_eq(ljmm_index_verify(), 0);
	fk_fail_open("", EMFILE);
	fk_fail_next(FK_SYS_MINCORE, EPERM);
	ck_assert_int_eq(ljmm_index_verify(), -EPERM); /* no picture to compare with */
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_index_rebuild_gives_the_gaps, 1},
	{&test_index_scan_equals_maps_on_random_layouts, 24},
	{&test_index_falls_back_to_asking_the_kernel, NELEM(fallback_cases)},
	{&test_index_without_any_picture_serves_nothing, 1},
	{&test_index_mmap_min_addr, NELEM(min_cases)},
	{&test_index_rebuild_limiter, 1},
	{&test_index_scan_failure_after_a_move_keeps_the_range_used, 1},
	{&test_index_scan_under_rlimit_as, NELEM(rlimit_cases)},
	{&test_index_scan_below_the_kernels_floor, 3},
	{&test_index_scan_race_with_a_trial, 1},
	{&test_index_maps_below_the_kernels_floor, 1},
	{&test_index_rebuild_and_verify, 1},
};

const ljmm_unit_t ljmm_unit = {.name = "index", .timeout = 120, .needs_fork = 1, .tests = tests, .count = NELEM(tests)};
