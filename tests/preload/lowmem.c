/* SPDX-License-Identifier: MIT */
/* Integration test program, run under LD_PRELOAD=libljmm_preload.so (and built both as
 * PIE and -no-pie): each subcommand drives the shim through the libc names a program
 * uses and checks the result against the kernel's own view in /proc/self/maps. Exits 0
 * on success; prints "FAIL: ..." and exits 1 otherwise. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* Unmap every other live block, in address order; returns how many. */
static size_t free_every_other(void)
{
	size_t freed = 0, j = 0;
	qsort(blocks, nblocks, sizeof *blocks, by_addr);
	for (size_t i = 0; i < nblocks; i += 2) {
		if (munmap((void *)blocks[i].addr, blocks[i].len) != 0)
			FAIL("munmap: %s", errname(errno));
		blocks[i].len = 0;
		freed++;
	}
	for (size_t i = 0; i < nblocks; i++)
		if (blocks[i].len)
			blocks[j++] = blocks[i];
	nblocks = j;
	return freed;
}

/* fill MIN [REFILL_MIN]: reach, no overlap, reuse after freeing every other block. */
static int cmd_fill(int argc, char **argv)
{
	size_t min = argc > 0 ? strtoul(argv[0], NULL, 10) : 0, refill_min = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	size_t n = fill(M), freed = 0, n2, n1;
	printf("fill: %zu MiB of 1 MiB MAP_32BIT blocks\n", n);
	if (n < min)
		FAIL("reached %zu MiB, expected at least %zu", n, min);
	check_blocks("after fill");
	verify("after fill");
	if (!refill_min)
		return 0;
	freed = free_every_other();
	verify("after freeing every other block");
	n2 = fill(2 * M);
	n1 = fill(M);
	printf("refill: freed %zu MiB, then %zu x 2 MiB + %zu x 1 MiB, live %zu MiB\n", freed, n2, n1, live_bytes() / M);
	if (live_bytes() / M < refill_min)
		FAIL("live total after refill %zu MiB, expected at least %zu", live_bytes() / M, refill_min);
	check_blocks("after refill");
	verify("after refill");
	return 0;
}

/* probe: LuaJIT 2.1 non-GC64 once a MAP_32BIT request has failed. It never asks MAP_32BIT
 * again and probes with hints below 2 GiB instead, keeping an answer only if it ends below
 * 2^31 (up to 30 tries per block; lj_alloc.c mmap_probe). Fill to the failure, free every
 * other block, then probe as LuaJIT does from random hints: every freed MiB must come back
 * below 2 GiB at the first try (the kernel where the hint is free, the region otherwise),
 * and the next probe find nothing. Without the shim's hint service a probe only lands
 * where a whole free MiB starts exactly at its hint: 0 of ~1000 came back. */
static int cmd_probe(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	size_t n = fill(M), freed = free_every_other(), got = 0, first_try = 0;
	unsigned seed = 12345;
	ljmm_stats_t s0 = stats(), s1;
	if (s0.failures == 0)
		FAIL("the fill of %zu MiB never failed: no probing to test", n);
	for (;;) {
		int tries;
		uintptr_t a = 0;
		for (tries = 1; tries <= 30; tries++) {
			/* A range below 2 GiB: one that reaches past it the kernel may well
			 * honour there, and LuaJIT then simply tries again. */
			uintptr_t hint = ((uintptr_t)rand_r(&seed) << 16) & ((1ul << 31) - M);
			void *p = mmap((void *)hint, M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				FAIL("probe at %#lx: %s", (unsigned long)hint, errname(errno));
			if ((uintptr_t)p + M <= (1ul << 31) && (uintptr_t)p >= 0x10000) {
				a = (uintptr_t)p;
				break;
			}
			munmap(p, M);
		}
		if (!a)
			break;
		add_block(a, M);
		got++;
		first_try += tries == 1;
	}
	s1 = stats();
	printf("probe: filled %zu MiB, freed %zu x 1 MiB; probing got %zu back below 2 GiB (%zu at the first try), "
	       "hint-served +%lu\n",
	       n, freed, got, first_try, (unsigned long)(s1.hints_served - s0.hints_served));
	if (got < freed || first_try < freed)
		FAIL("probing got %zu of the %zu MiB freed, %zu of them at the first try", got, freed, first_try);
	if (s1.hints_served - s0.hints_served == 0)
		FAIL("no probe was served from the region");
	check_blocks("after probing");
	verify("after probing");
	return 0;
}

/* kernel MAX: without the shim, the kernel's window alone stays at or below MAX MiB. */
static int cmd_kernel(int argc, char **argv)
{
	size_t max = argc > 0 ? strtoul(argv[0], NULL, 10) : 1100, n = fill(M);
	printf("kernel alone: %zu MiB of 1 MiB MAP_32BIT blocks\n", n);
	if (n > max)
		FAIL("kernel alone gave %zu MiB, more than %zu: is a shim preloaded?", n, max);
	check_blocks("kernel fill");
	return 0;
}

/* rawpage: pages mapped by raw syscalls inside the region, before and after the index
 * exists, are never overlapped or clobbered. */
static int cmd_rawpage(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uintptr_t a = 0x30000000, c;
	long r = raw_mmap((void *)a, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r != (long)a)
		FAIL("raw mmap at %#lx: %ld", (unsigned long)a, r);
	stamp(a, PAGE);
	fill(M);
	check_stamp(a, PAGE);
	/* Free a region block, then take one page of it behind the index's back. */
	qsort(blocks, nblocks, sizeof *blocks, by_addr);
	size_t k = nblocks / 4; /* low: a region-served block */
	c = blocks[k].addr + 5 * PAGE;
	drop_block(k);
	r = raw_mmap((void *)c, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r != (long)c)
		FAIL("raw mmap at %#lx: %ld", (unsigned long)c, r);
	stamp(c, PAGE);
	uint64_t conflicts = stats().conflicts;
	size_t more = fill(256 * 1024); /* small blocks: some fit around the raw page */
	check_stamp(a, PAGE);
	check_stamp(c, PAGE);
	add_block(a, 0);
	for (size_t i = 0; i < nblocks; i++) {
		uintptr_t s = blocks[i].addr, e = s + blocks[i].len;
		if ((s < a + PAGE && e > a) || (s < c + PAGE && e > c))
			FAIL("block %#lx overlaps a raw page", (unsigned long)s);
	}
	check_blocks("rawpage");
	printf("rawpage: %zu more 256 KiB blocks around the raw page, conflicts %lu -> %lu\n", more,
	       (unsigned long)conflicts, (unsigned long)stats().conflicts);
	if (more < 3)
		FAIL("expected the rest of the freed block to be reused, got %zu blocks", more);
	if (stats().conflicts <= conflicts)
		FAIL("the raw page was never noticed as a conflict");
	verify("rawpage");
	return 0;
}

/* reuse: a freed block comes back; freed neighbours coalesce into one larger block. */
static int cmd_reuse(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fill(M);
	qsort(blocks, nblocks, sizeof *blocks, by_addr);
	/* Three adjacent region blocks well below 1 GiB. */
	size_t k = 0;
	while (k + 3 < nblocks && !(blocks[k].addr + M == blocks[k + 1].addr && blocks[k + 1].addr + M == blocks[k + 2].addr &&
				   blocks[k].addr > 0x1000000 && blocks[k].addr < 0x30000000))
		k++;
	if (k + 3 >= nblocks)
		FAIL("no three adjacent low blocks");
	uintptr_t base = blocks[k].addr;
	if (munmap((void *)(base + M), M) != 0)
		FAIL("munmap");
	void *p = map32(M);
	if ((uintptr_t)p != base + M)
		FAIL("freed block not reused: got %p, expected %#lx", p, (unsigned long)(base + M));
	if (map32(M) != MAP_FAILED)
		FAIL("region not full after reuse");
	if (munmap((void *)base, 3 * M) != 0) /* spans three blocks */
		FAIL("munmap span");
	verify("after spanning munmap");
	p = map32(3 * M);
	if ((uintptr_t)p != base)
		FAIL("coalesced 3 MiB not reused: got %p, expected %#lx", p, (unsigned long)base);
	/* Partial unmaps inside a block: a hole in the middle, then the edges. The hole
	 * is larger than any fragment the kernel's window has left, so the region serves
	 * the refill, and it is the only place that fits. */
	if (munmap((void *)(base + M / 2), M + 3 * PAGE) != 0 || munmap((void *)base, PAGE) != 0 ||
	    munmap((void *)(base + 3 * M - PAGE), PAGE) != 0)
		FAIL("partial munmap");
	verify("after partial munmaps");
	p = map32(M + 3 * PAGE);
	if ((uintptr_t)p != base + M / 2)
		FAIL("hole not reused (best fit): got %p, expected %#lx", p, (unsigned long)(base + M / 2));
	verify("after refilling the hole");
	printf("reuse: ok at %#lx\n", (unsigned long)base);
	return 0;
}

/* mremap: in-place grow and shrink (flags 0, as LuaJIT), MAYMOVE and FIXED. */
static int cmd_mremap(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fill(M);
	qsort(blocks, nblocks, sizeof *blocks, by_addr);
	size_t k = 0;
	while (k + 2 < nblocks && !(blocks[k].addr + M == blocks[k + 1].addr && blocks[k].addr > 0x1000000 && blocks[k].addr < 0x30000000))
		k++;
	/* The scenario needs two adjacent region blocks below 768 MiB; without them it
	 * would test nothing. */
	if (!(k + 2 < nblocks && blocks[k].addr + M == blocks[k + 1].addr && blocks[k].addr > 0x1000000 &&
	      blocks[k].addr < 0x30000000))
		FAIL("set-up: no two adjacent region blocks between 16 MiB and 768 MiB among %zu blocks", nblocks);
	uintptr_t x = blocks[k].addr;
	if (munmap((void *)(x + M), M) != 0)
		FAIL("munmap");
	void *p = mremap((void *)x, M, 2 * M, 0);
	if ((uintptr_t)p != x)
		FAIL("in-place grow: %p (%s)", p, errname(errno));
	stamp(x, 2 * M);
	verify("after in-place grow");
	if (map32(M) != MAP_FAILED)
		FAIL("grown range handed out again");
	p = mremap((void *)x, 2 * M, M / 2, 0);
	if ((uintptr_t)p != x)
		FAIL("in-place shrink");
	verify("after in-place shrink");
	check_stamp(x, M / 2);
	p = map32(M);
	if ((uintptr_t)p != x + M)
		FAIL("space freed by shrink not reused at the top: %p", p);
	verify("after reuse of shrunk space");
	/* Grow in place where the next block is in the way: the kernel says ENOMEM. */
	if (mremap((void *)x, M / 2, 2 * M, 0) != MAP_FAILED || errno != ENOMEM)
		FAIL("grow into a live block did not fail with ENOMEM");
	void *q = mremap((void *)x, M / 2, 4 * M, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		FAIL("MAYMOVE: %s", errname(errno));
	check_moved((uintptr_t)q, x, M / 2);
	verify("after MAYMOVE");
	/* MREMAP_FIXED back into the hole the move left. */
	p = mremap(q, 4 * M, M / 2, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)x);
	if ((uintptr_t)p != x)
		FAIL("MREMAP_FIXED: %p (%s)", p, errname(errno));
	check_moved(x, x, M / 2);
	verify("after MREMAP_FIXED");
	printf("mremap: ok at %#lx\n", (unsigned long)x);
	return 0;
}


/* stale: space freed behind the shim's back (a raw munmap) is found again by the
 * rebuild a request that fits nowhere makes, at most once per 100 ms. */
static int cmd_stale(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fill(M);
	qsort(blocks, nblocks, sizeof *blocks, by_addr);
	/* A block below the kernel's window, so that only the region can serve it again. */
	if (nblocks == 0 || blocks[0].addr >= ((uintptr_t)1 << 30))
		FAIL("no region block below 1 GiB");
	uintptr_t x = blocks[0].addr;
	if (syscall(SYS_munmap, x, M) != 0)
		FAIL("raw munmap: %s", errname(errno));
	memmove(blocks, blocks + 1, (nblocks - 1) * sizeof *blocks);
	nblocks--;
	/* The fill's last failure rebuilt the index just now: the next rebuild waits. */
	uint64_t r0 = stats().resyncs;
	for (int i = 0; i < 100; i++)
		if (map32(M) != MAP_FAILED)
			FAIL("request %d served within 100 ms of the last rebuild", i);
	uint64_t r1 = stats().resyncs;
	if (r1 - r0 > 1)
		FAIL("100 failing requests rebuilt the index %lu times", (unsigned long)(r1 - r0));
	usleep(150 * 1000);
	void *p = map32(M);
	if ((uintptr_t)p != x)
		FAIL("the raw-freed MiB at %#lx was not served again: %p (%s)", (unsigned long)x, p,
		     p == MAP_FAILED ? errname(errno) : "elsewhere");
	add_block(x, M);
	check_blocks("stale");
	verify("after the stale rebuild");
	printf("stale: raw-freed block at %#lx served again; rebuilds %lu during 100 quick failures\n", (unsigned long)x,
	       (unsigned long)(r1 - r0));
	return 0;
}

/* top2g: a block ending at 2 GiB does not grow in place past it. The kernel would
 * (mremap without MREMAP_MAYMOVE only needs the next pages free), and LuaJIT non-GC64
 * resizes with flags 0: its GC memory would then reach above 2^31. */
static int cmd_top2g(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uintptr_t top = LOW_END - 64 * 1024, below = top - 64 * 1024;
	void *p = mmap((void *)below, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	if (p != (void *)below)
		FAIL("cannot map [%#lx, +64K): %s", (unsigned long)below, errname(errno));
	/* Up to 2 GiB exactly is fine: [below, 2G) after growing by 64 KiB. */
	if (mremap(p, 64 * 1024, 128 * 1024, 0) != p)
		FAIL("growth to end exactly at 2 GiB refused: %s", errname(errno));
	stamp(below, 128 * 1024);
	/* The pages above 2 GiB must be free, or the kernel's refusal proves nothing. */
	void *q = mmap((void *)LOW_END, 64 * 1024, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (q != (void *)LOW_END)
		FAIL("[2 GiB, +64K) is not free here: %s", q == MAP_FAILED ? errname(errno) : "moved");
	munmap(q, 64 * 1024);
	/* Once before the shim has an index (kernel-served blocks), once with one. */
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			prepare_region(4);
		errno = 0;
		if (mremap(p, 128 * 1024, 192 * 1024, 0) != MAP_FAILED || errno != ENOMEM)
			FAIL("round %d: in-place growth across 2 GiB was not refused with ENOMEM (errno %s)", round,
			     errname(errno));
		check_stamp(below, 128 * 1024);
		q = mmap((void *)LOW_END, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (q != (void *)LOW_END)
			FAIL("round %d: the refused growth left pages mapped at 2 GiB", round);
		munmap(q, 4096);
	}
	verify("after the refused growth");
	/* MREMAP_MAYMOVE lets the kernel put the block anywhere: its answer stands. */
	q = mremap(p, 128 * 1024, 192 * 1024, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		FAIL("MREMAP_MAYMOVE: %s", errname(errno));
	check_moved((uintptr_t)q, below, 128 * 1024);
	munmap(q, 192 * 1024);
	verify("after MAYMOVE");
	printf("top2g: growth across 2 GiB refused, block intact at %#lx\n", (unsigned long)below);
	return 0;
}

/* hint: hinted and MAP_FIXED mappings in the region are recorded as used. */
static int cmd_hint(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	void *w = map32(M);
	fill(M); /* builds the index */
	if (munmap(w, M) != 0)
		FAIL("munmap");
	/* blocks[] still lists w: drop it */
	for (size_t i = 0; i < nblocks; i++)
		if (blocks[i].addr == (uintptr_t)w)
			blocks[i] = blocks[--nblocks];
	void *h = mmap(w, PAGE * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h != w)
		FAIL("hint not honoured: %p vs %p", h, w);
	verify("after hinted mmap");
	void *f = mmap((char *)w + M / 2, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (f != (char *)w + M / 2)
		FAIL("MAP_FIXED");
	verify("after MAP_FIXED");
	size_t n = fill(64 * 1024);
	for (size_t i = 0; i < nblocks; i++) {
		uintptr_t s = blocks[i].addr, e = s + blocks[i].len;
		if ((s < (uintptr_t)w + 2 * PAGE && e > (uintptr_t)w) || (s < (uintptr_t)f + PAGE && e > (uintptr_t)f))
			FAIL("block %#lx overlaps a hinted/fixed mapping", (unsigned long)s);
	}
	check_blocks("hint");
	verify("hint end");
	printf("hint: %zu 64 KiB blocks filled around hinted and fixed mappings\n", n);
	return 0;
}


struct errcase {
	const char *what;
	size_t len;
	int prot, flags, fd;
	long off;
	uintptr_t addr;
};

/* Compare the shim's answer with the raw kernel call. *expect is the kernel's errno
 * (0 for success) from the first round, while its MAP_32BIT window still had room. In the
 * second round the window is full: the shim must give the kernel's own answer now (ENOMEM
 * for arguments it refuses, since it searches its window first), or, for a request the
 * kernel with room would have served, a block of the region (issue 17: never the
 * placement's EACCES or EINVAL where the kernel said ENOMEM). */
static void compare_mmap(const struct errcase *c, int extra, int *expect, int first)
{
	int flags = c->flags | extra;
	errno = 0;
	void *p = mmap((void *)c->addr, c->len, c->prot, flags, c->fd, c->off);
	int e1 = p == MAP_FAILED ? errno : 0;
	errno = 0;
	long r = raw_mmap((void *)c->addr, c->len, c->prot, flags, c->fd, c->off);
	int e2 = r == -1 ? errno : 0;
	if (r != -1)
		syscall(SYS_munmap, r, c->len);
	if (p != MAP_FAILED)
		munmap(p, c->len);
	if (first)
		*expect = e2;
	if (e1 != e2 && !(!first && (flags & MAP_32BIT) && e2 == ENOMEM && e1 == 0 && *expect == 0))
		FAIL("mmap %s (flags %#x): shim %s, kernel %s (with room: %s)", c->what, flags, errname(e1) ? errname(e1) : "ok",
		     errname(e2) ? errname(e2) : "ok", errname(*expect) ? errname(*expect) : "ok");
}

/* Map every free page of the kernel's MAP_32BIT window [1 GiB, 2 GiB) with
 * MAP_FIXED_NOREPLACE (which the shim passes to the kernel and records): a fill in 1 MiB
 * blocks leaves holes a one-page request still fits in. */
static void fill_window_fixed(void)
{
	char line[512];
	uintptr_t p = (uintptr_t)1 << 30;
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		FAIL("/proc/self/maps: %s", errname(errno));
	for (;;) {
		unsigned long s = LOW_END, e = LOW_END;
		int more = fgets(line, sizeof line, f) != NULL;
		if (more && sscanf(line, "%lx-%lx", &s, &e) != 2)
			continue;
		if (s > p && p < LOW_END) {
			uintptr_t stop = s < LOW_END ? s : LOW_END;
			if (mmap((void *)p, stop - p, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
				 -1, 0) == MAP_FAILED)
				FAIL("filling [%#lx, %#lx): %s", (unsigned long)p, (unsigned long)stop, errname(errno));
		}
		if (e > p)
			p = e;
		if (!more || p >= LOW_END)
			break;
	}
	fclose(f);
}

/* errno: impossible arguments give the kernel's exact answer, before and after the
 * kernel's window is full (when the region path is live). */
static int cmd_errno(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	int devzero = open("/dev/zero", O_RDONLY), rdonly = open("/proc/self/exe", O_RDONLY);
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
	const struct errcase cases[] = {
		{"len 0", 0, PROT_READ, anon, -1, 0, 0},
		{"misaligned offset", PAGE, PROT_READ, anon, -1, 1, 0},
		{"len SIZE_MAX", SIZE_MAX, PROT_READ, anon, -1, 0, 0},
		{"len 2^47", (size_t)1 << 47, PROT_READ, anon, -1, 0, 0},
		{"len 3 GiB", (size_t)3 << 30, PROT_READ, anon, -1, 0, 0},
		{"no map type", PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0, 0},
		{"bad fd", PAGE, PROT_READ, MAP_PRIVATE, 12345, 0, 0},
		{"fd -1 file", PAGE, PROT_READ, MAP_PRIVATE, -1, 0, 0},
		{"shared write on read-only fd", PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, rdonly, 0, 0},
		{"misaligned fixed", PAGE, PROT_READ, anon | MAP_FIXED, -1, 0, 0x10000001},
		{"fixed noreplace on our code", PAGE, PROT_READ, anon | MAP_FIXED_NOREPLACE, -1, 0, (uintptr_t)&cmd_errno & ~(PAGE - 1)},
		{"/dev/zero private", PAGE, PROT_READ, MAP_PRIVATE, devzero, 0, 0},
		{"/dev/zero negative offset", PAGE, PROT_READ, MAP_PRIVATE, devzero, -4096, 0},
		{"hugetlb", 2 * M, PROT_READ, anon | MAP_HUGETLB, -1, 0, 0},
	};
	int expect[sizeof cases / sizeof *cases][2];
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
			compare_mmap(&cases[i], 0, &expect[i][0], round == 0);
			compare_mmap(&cases[i], MAP_32BIT, &expect[i][1], round == 0);
		}
		/* munmap and mremap: results and errno as the raw calls. */
		struct {
			const char *what;
			uintptr_t addr;
			size_t len;
		} um[] = {{"misaligned", 0x10000001, PAGE}, {"len 0", 0x10000000, 0}, {"beyond user space", (uintptr_t)1 << 48, PAGE},
			  {"wraps", (uintptr_t)-8192, 16384}, {"unmapped hole", 0x7000, PAGE}};
		for (size_t i = 0; i < sizeof um / sizeof *um; i++) {
			errno = 0;
			int a = munmap((void *)um[i].addr, um[i].len), e1 = errno;
			errno = 0;
			long b = syscall(SYS_munmap, um[i].addr, um[i].len);
			int e2 = b == -1 ? errno : 0;
			if ((a != 0) != (b != 0) || (a && e1 != e2))
				FAIL("munmap %s: shim %d/%s, kernel %ld/%s", um[i].what, a, errname(e1), b, errname(e2));
		}
		void *m = map32(2 * PAGE);
		struct {
			const char *what;
			void *old;
			size_t olen, nlen;
			int flags;
		} mr[] = {{"misaligned", (char *)m + 1, PAGE, PAGE, 0},      {"new_len 0", m, PAGE, 0, 0},
			  {"bad flags", m, PAGE, PAGE, 0x80},                {"FIXED without MAYMOVE", m, PAGE, PAGE, MREMAP_FIXED},
			  {"unmapped", (void *)0x7000, PAGE, 2 * PAGE, 0}, {"DONTUNMAP without MAYMOVE", m, PAGE, PAGE, 4}};
		for (size_t i = 0; i < sizeof mr / sizeof *mr; i++) {
			errno = 0;
			void *a = mremap(mr[i].old, mr[i].olen, mr[i].nlen, mr[i].flags, (void *)0x20000000);
			int e1 = errno;
			errno = 0;
			long b = syscall(SYS_mremap, mr[i].old, mr[i].olen, mr[i].nlen, mr[i].flags, 0x20000000);
			int e2 = b == -1 ? errno : 0;
			if ((a == MAP_FAILED) != (e2 != 0) || (a == MAP_FAILED && e1 != e2))
				FAIL("mremap %s: shim %s/%s, kernel %ld/%s", mr[i].what, a == MAP_FAILED ? "fail" : "ok", errname(e1), b,
				     errname(e2));
		}
		munmap(m, 2 * PAGE);
		if (round == 0) {
			/* From now on the kernel's window is full and the region has room, so
			 * MAP_32BIT calls reach the region path. */
			prepare_region(8);
			fill_window_fixed();
			verify("errno after fill");
		}
	}
	verify("errno end");
	printf("errno: all cases identical to the raw kernel calls\n");
	return 0;
}

static volatile int stop_threads;

static void *churn_thread(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *mine[16] = {0};
	size_t lens[16] = {0};
	while (!stop_threads) {
		unsigned i = (unsigned)rand_r(&seed) % 16;
		if (mine[i]) {
			check_stamp((uintptr_t)mine[i], lens[i]);
			if (munmap(mine[i], lens[i]) != 0)
				FAIL("thread munmap: %s", errname(errno));
			mine[i] = NULL;
		} else {
			lens[i] = PAGE * (1 + (size_t)rand_r(&seed) % 64);
			mine[i] = map32(lens[i]);
			if (mine[i] == MAP_FAILED) {
				mine[i] = NULL;
				continue;
			}
			if ((uintptr_t)mine[i] + lens[i] > LOW_END)
				FAIL("thread block above 2 GiB");
			stamp((uintptr_t)mine[i], lens[i]);
		}
	}
	for (unsigned i = 0; i < 16; i++)
		if (mine[i]) {
			check_stamp((uintptr_t)mine[i], lens[i]);
			munmap(mine[i], lens[i]);
		}
	return NULL;
}

/* Fill the kernel's window (so MAP_32BIT goes through the region), then free a few
 * MiB of region blocks so the threads have room to churn. */

/* fork N: children forked while threads are inside the shim can map and exit. */
static int cmd_fork(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 100;
	pthread_t t[3];
	uint64_t resets;
	prepare_region(32);
	resets = stats().fork_resets;
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, churn_thread, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			FAIL("fork: %s", errname(errno));
		if (pid == 0) {
			alarm(20); /* a deadlock kills the child and fails the test */
			for (int j = 0; j < 8; j++) {
				void *p = map32(M);
				if (p == MAP_FAILED)
					_exit(3);
				if ((uintptr_t)p + M > LOW_END)
					_exit(4);
				memset(p, 0xab, M);
				if (munmap(p, M) != 0)
					_exit(5);
			}
			if (shim_verify() != 0) {
				fprintf(stderr, "child verify: %s\n", errname(errno));
				_exit(6);
			}
			/* The child noticed the fork exactly once, at its first bookkeeping. */
			if (stats().fork_resets != resets + 1) {
				fprintf(stderr, "child fork_resets %llu, parent had %llu\n",
					(unsigned long long)stats().fork_resets, (unsigned long long)resets);
				_exit(7);
			}
			_exit(0);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			FAIL("child %d of %d: status %#x", i, n, st);
	}
	stop_threads = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	check_blocks("fork");
	verify("fork");
	if (stats().fork_resets != resets)
		FAIL("fork: the parent's fork_resets moved from %llu to %llu", (unsigned long long)resets,
		     (unsigned long long)stats().fork_resets);
	printf("fork: %d children mapped and exited cleanly while 3 threads churned\n", n);
	return 0;
}

static volatile sig_atomic_t handler_maps, handler_fails;

static void on_signal(int sig)
{
	(void)sig;
	int saved = errno;
	void *p = map32(64 * 1024);
	if (p != MAP_FAILED) {
		if ((uintptr_t)p + 64 * 1024 > LOW_END)
			handler_fails++;
		*(volatile char *)p = 1;
		if (munmap(p, 64 * 1024) != 0)
			handler_fails++;
		handler_maps++;
	}
	errno = saved;
}

static void *signaller(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	struct timespec ts = {0, 20000};
	while (!stop_threads) {
		pthread_kill(target, SIGUSR1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* signal N: mmap/munmap from a signal handler that keeps interrupting the shim on the
 * same thread never deadlocks, never returns a bad block, and the index recovers. */
static int cmd_signal(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 20000;
	pthread_t self = pthread_self(), t;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	alarm(120); /* a deadlock ends the test as a failure */
	prepare_region(16);
	pthread_create(&t, NULL, signaller, &self);
	for (int i = 0; i < n; i++) {
		void *p = map32(PAGE * (1 + (size_t)i % 32));
		if (p == MAP_FAILED)
			continue;
		stamp((uintptr_t)p, PAGE);
		check_stamp((uintptr_t)p, PAGE);
		if (munmap(p, PAGE * (1 + (size_t)i % 32)) != 0)
			FAIL("munmap: %s", errname(errno));
	}
	stop_threads = 1;
	pthread_join(t, NULL);
	if (handler_fails)
		FAIL("%d bad results inside the handler", (int)handler_fails);
	/* One more region call (1 MiB: no fragment of the kernel's window fits it) rebuilds
	 * the index if a handler interrupted the shim. */
	void *p = map32(M);
	if (p == MAP_FAILED)
		FAIL("region call after the signal loop: %s", errname(errno));
	munmap(p, M);
	check_blocks("signal");
	verify("signal");
	printf("signal: %d loop iterations, %d maps in the handler, %lu re-entries handled\n", n, (int)handler_maps,
	       (unsigned long)stats().signal_reentries);
	/* Thousands are usual here; none would mean the handler never interrupted the shim
	 * and the test proved nothing about re-entry. */
	if (stats().signal_reentries == 0)
		FAIL("no signal ever interrupted the shim in %d iterations", n);
	return 0;
}

/* threads N SECONDS: threads churning region blocks never overlap or clobber. */
static int cmd_threads(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 4, secs = argc > 1 ? atoi(argv[1]) : 2;
	pthread_t t[32];
	if (n > 32)
		n = 32;
	prepare_region(64);
	uint64_t served_before = stats().region_served;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, churn_thread, (void *)(uintptr_t)(i + 100));
	sleep((unsigned)secs);
	stop_threads = 1;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	check_blocks("threads");
	verify("threads");
	ljmm_stats_t s = stats();
	printf("threads: %d threads, %lu region-served during the churn, %lu conflicts\n", n,
	       (unsigned long)(s.region_served - served_before), (unsigned long)s.conflicts);
	/* The kernel's window is full: the threads' blocks must have come from the region,
	 * or the test raced nothing of ours. */
	if (s.region_served - served_before < (uint64_t)n)
		FAIL("only %lu region-served blocks during the churn of %d threads",
		     (unsigned long)(s.region_served - served_before), n);
	return 0;
}

/* reserve BYTES: with LJMM_GUARD_RESERVE, the region never hands out the reserve, so
 * brk can still grow that far after a full fill. The kernel's own MAP_32BIT window
 * [1 GiB, 2 GiB) is not ours to keep: when the randomised brk (anywhere in the first
 * GiB on Linux 6.x) has its reserve reach past 1 GiB, only the part below is checked,
 * up to a page short of the kernel's first block there (preload_guard_reserve_brkedge
 * has that case every time); a break inside the window is skipped (exit 77). */
static int cmd_reserve(int argc, char **argv)
{
	size_t want = argc > 0 ? strtoul(argv[0], NULL, 10) : 0;
	uintptr_t start = ((uintptr_t)sbrk(0) + PAGE - 1) & ~(PAGE - 1), window = (uintptr_t)1 << 30;
	fill(M);
	ljmm_stats_t s = stats();
	if (s.guard_state != LJMM_GUARD_STATE_PLACED)
		FAIL("guard state %lu, expected placed", (unsigned long)s.guard_state);
	for (size_t i = 0; i < nblocks; i++)
		if (blocks[i].addr < start + want && blocks[i].addr + blocks[i].len > start && blocks[i].addr < window)
			FAIL("region block %#lx inside the brk reserve from %#lx", (unsigned long)blocks[i].addr, (unsigned long)start);
	/* The guard stands exactly where the reserve ends, and the reserve holds what brk
	 * grows below. (Less than the whole reserve: Linux keeps a page between the break
	 * and the next mapping, so brk can never reach the guard itself; ctest asks 60 of
	 * 64 MiB.) */
	if (s.guard_addr != start + s.guard_reserve || s.guard_reserve < want)
		FAIL("guard at %#lx with a reserve of %lu, expected at %#lx with at least %zu", (unsigned long)s.guard_addr,
		     (unsigned long)s.guard_reserve, (unsigned long)(start + s.guard_reserve), want);
	/* brk grows through the reserve, or, where the reserve reaches into the kernel's
	 * window, at least up to the window. */
	size_t grow = start + want <= window ? want : start + PAGE < window ? window - PAGE - start : 0;
	if (!grow) {
		/* About one run in 250 (a break randomised into the kernel's window): the
		 * kernel's own blocks fill the reserve there, with or without the shim. */
		printf("SKIP: brk at %#lx, inside the kernel's MAP_32BIT window: no reserve of ours to check\n",
		       (unsigned long)start);
		return 77;
	}
	/* The brk system call itself: musl's sbrk takes only 0 (1.2.3 fails any other
	 * increment with ENOMEM, as its malloc never uses it). */
	/* Written from the break as it is now, not from start: malloc may have moved it
	 * since (glibc before 2.34 mallocs in dlsym, which stats() calls: 132 KiB of brk on
	 * Debian 11's 2.31), and its heap is not ours to overwrite. */
	uintptr_t cur = (uintptr_t)sbrk(0);
	if (cur < start || cur >= start + grow)
		FAIL("brk at %#lx, outside [%#lx, %#lx) after the fill", (unsigned long)cur, (unsigned long)start,
		     (unsigned long)(start + grow));
	if ((uintptr_t)syscall(SYS_brk, start + grow) < start + grow)
		FAIL("brk could not grow %zu bytes from %#lx after the fill", grow, (unsigned long)start);
	memset((void *)cur, 0x5c, start + grow - cur);
	printf("reserve: brk grew %zu of %zu reserved bytes after the fill; guard at %#lx\n", grow, want,
	       (unsigned long)s.guard_addr);
	check_blocks("reserve");
	return 0;
}

/* guard STATE: the guard ended in the expected ljmm_guard_state_t. */
static int cmd_guard(int argc, char **argv)
{
	unsigned long want = argc > 0 ? strtoul(argv[0], NULL, 10) : 0;
	ljmm_stats_t s = stats();
	if (s.guard_state != want)
		FAIL("guard state %lu, expected %lu (brk at %p)", (unsigned long)s.guard_state, want, sbrk(0));
	if (want == LJMM_GUARD_STATE_PLACED) {
		/* The guard page really is there, PROT_NONE, right where brk would grow. */
		if (!page_taken(s.guard_addr))
			FAIL("no mapping at the guard address %#lx", (unsigned long)s.guard_addr);
	}
	printf("guard: state %lu as expected\n", want);
	return 0;
}

/* The permissions /proc/self/maps shows for the mapping that contains addr ("rw-p"). */
static void maps_perms(uintptr_t addr, char perms[5])
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	perms[0] = 0;
	if (!f)
		FAIL("open /proc/self/maps: %s", errname(errno));
	while (fgets(line, sizeof line, f)) {
		unsigned long a, b;
		char p[5];
		if (sscanf(line, "%lx-%lx %4s", &a, &b, p) == 3 && addr >= a && addr < b) {
			memcpy(perms, p, 5);
			break;
		}
	}
	fclose(f);
	if (!perms[0])
		FAIL("%#lx is not mapped", (unsigned long)addr);
}

/* prot: with the kernel's window full (so MAP_32BIT goes to the region), every
 * protection and sharing asked for is exactly what the region block gets: the same
 * permissions /proc/self/maps shows for the same request the kernel places itself (no
 * MAP_32BIT), never more; mprotect and mremap of region blocks behave as for the
 * kernel's own; a file mapping gets the file's bytes at the offset asked for. */
static int cmd_prot(int argc, char **argv)
{
	static const struct {
		int prot, flags;
		const char *name;
	} cases[] = {
		{PROT_NONE, MAP_PRIVATE, "none private"},
		{PROT_READ, MAP_PRIVATE, "r private"},
		{PROT_READ | PROT_WRITE, MAP_PRIVATE, "rw private"},
		{PROT_WRITE, MAP_PRIVATE, "w private"},
		{PROT_READ | PROT_EXEC, MAP_PRIVATE, "rx private"},
		{PROT_EXEC, MAP_PRIVATE, "x private"},
		{PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, "rwx private"},
		{PROT_NONE, MAP_SHARED, "none shared"},
		{PROT_READ, MAP_SHARED, "r shared"},
		{PROT_READ | PROT_WRITE, MAP_SHARED, "rw shared"},
		{PROT_READ | PROT_EXEC, MAP_SHARED, "rx shared"},
	};
	char want[5], got[5], path[] = "/tmp/ljmm-prot.XXXXXX";
	void *kept[32];
	size_t kept_len[32];
	int nkept = 0;
	unsigned long served0 = stats().region_served;
	int n = 0, fd;
	(void)argc;
	(void)argv;
	prepare_region(16);
	/* The 1 MiB fill may leave holes in the kernel's window that small requests still
	 * fit: fill them with pages until the region answers one. All stay mapped: freed
	 * space in the window would send the next request to the kernel again. */
	for (int i = 0;; i++) {
		uint64_t before = stats().region_served;
		void *q = map32(PAGE);
		if (q == MAP_FAILED || i > 300000)
			FAIL("filling the window's small holes: %s after %d pages", errname(errno), i);
		add_block((uintptr_t)q, PAGE);
		if (stats().region_served != before)
			break;
	}
	served0 = stats().region_served;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int flags = cases[i].flags | MAP_ANONYMOUS;
		uint64_t before = stats().region_served;
		long k = raw_mmap(NULL, 4 * PAGE, cases[i].prot, flags, -1, 0);
		void *p;
		if (k == -1)
			FAIL("%s: the kernel refused: %s", cases[i].name, errname(errno));
		maps_perms((uintptr_t)k, want);
		syscall(SYS_munmap, k, 4 * PAGE);
		p = mmap(NULL, 4 * PAGE, cases[i].prot, flags | MAP_32BIT, -1, 0);
		if (p == MAP_FAILED)
			FAIL("%s: MAP_32BIT: %s", cases[i].name, errname(errno));
		if (stats().region_served != before + 1)
			FAIL("%s: not served by the region (the window should be full)", cases[i].name);
		if ((uintptr_t)p + 4 * PAGE > LOW_END)
			FAIL("%s: %p ends above 2 GiB", cases[i].name, p);
		maps_perms((uintptr_t)p, got);
		if (strcmp(want, got))
			FAIL("%s: region block is %s, the kernel's own mapping %s", cases[i].name, got, want);
		/* mprotect down to nothing and back, then an in-place grow (the kernel's own
		 * rules: the new part gets the mapping's protection). */
		if (mprotect(p, 4 * PAGE, PROT_NONE) != 0 || mprotect(p, 4 * PAGE, cases[i].prot) != 0)
			FAIL("%s: mprotect: %s", cases[i].name, errname(errno));
		maps_perms((uintptr_t)p, got);
		if (strcmp(want, got))
			FAIL("%s: after mprotect round trip %s, want %s", cases[i].name, got, want);
		kept_len[nkept] = 4 * PAGE;
		kept[nkept++] = p; /* until the end, as above */
		printf("prot: %-12s region block %s = kernel's %s\n", cases[i].name, got, want);
		n++;
	}

	/* A file: read-only descriptor, private and shared mappings at an offset. */
	fd = mkstemp(path);
	if (fd < 0)
		FAIL("mkstemp: %s", errname(errno));
	unlink(path);
	for (int pg = 0; pg < 8; pg++) {
		char buf[PAGE];
		memset(buf, 'a' + pg, sizeof buf);
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
			FAIL("write: %s", errname(errno));
	}
	char fdpath[64];
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
	int rofd = open(fdpath, O_RDONLY);
	if (rofd < 0)
		FAIL("reopen read-only: %s", errname(errno));
	static const struct {
		int prot, flags;
		const char *name;
	} fcases[] = {
		{PROT_READ, MAP_PRIVATE, "file r private"},
		{PROT_READ | PROT_WRITE, MAP_PRIVATE, "file rw private"}, /* copy-on-write: allowed on O_RDONLY */
		{PROT_READ, MAP_SHARED, "file r shared"},
	};
	for (size_t i = 0; i < sizeof fcases / sizeof *fcases; i++) {
		uint64_t before = stats().region_served;
		long k = raw_mmap(NULL, 2 * PAGE, fcases[i].prot, fcases[i].flags, rofd, 3 * PAGE);
		void *p;
		if (k == -1)
			FAIL("%s: the kernel refused: %s", fcases[i].name, errname(errno));
		maps_perms((uintptr_t)k, want);
		syscall(SYS_munmap, k, 2 * PAGE);
		p = mmap(NULL, 2 * PAGE, fcases[i].prot, fcases[i].flags | MAP_32BIT, rofd, 3 * PAGE);
		if (p == MAP_FAILED)
			FAIL("%s: MAP_32BIT: %s", fcases[i].name, errname(errno));
		if (stats().region_served != before + 1)
			FAIL("%s: not served by the region", fcases[i].name);
		maps_perms((uintptr_t)p, got);
		if (strcmp(want, got))
			FAIL("%s: region block is %s, the kernel's own mapping %s", fcases[i].name, got, want);
		if (((char *)p)[0] != 'd' || ((char *)p)[PAGE] != 'e')
			FAIL("%s: wrong file bytes '%c' '%c' (want the pages at offset 3 and 4: 'd' 'e')", fcases[i].name,
			     ((char *)p)[0], ((char *)p)[PAGE]);
		kept_len[nkept] = 2 * PAGE;
		kept[nkept++] = p;
		printf("prot: %-15s region block %s = kernel's %s, offset honoured\n", fcases[i].name, got, want);
		n++;
	}
	/* Writable shared on a read-only descriptor: an answer the kernel gives, never a block:
	 * ENOMEM while its window has no room (it searches the window before it checks the
	 * descriptor), EACCES when it finds a free page there, which depends on where its
	 * search starts (random per call in [1 GiB, 1 GiB + 32 MiB)): issue 17. */
	errno = 0;
	if (mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_32BIT, rofd, 0) != MAP_FAILED ||
	    (errno != EACCES && errno != ENOMEM))
		FAIL("shared writable on O_RDONLY: %s, want EACCES or ENOMEM", errname(errno));
	close(rofd);
	close(fd);
	verify("prot");
	for (int i = 0; i < nkept; i++)
		if (munmap(kept[i], kept_len[i]) != 0)
			FAIL("munmap: %s", errname(errno));
	verify("prot, blocks freed");
	check_blocks("prot");
	printf("prot: %d cases; region served %lu blocks, none with more access than asked\n", n,
	       (unsigned long)(stats().region_served - served0));
	return 0;
}

static int cmd_noop(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	void *p = map32(PAGE);
	if (p == MAP_FAILED)
		FAIL("mmap");
	munmap(p, PAGE);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {{"fill", cmd_fill},   {"probe", cmd_probe},     {"kernel", cmd_kernel},   {"rawpage", cmd_rawpage}, {"reuse", cmd_reuse},
		    {"mremap", cmd_mremap}, {"hint", cmd_hint},       {"errno", cmd_errno},     {"fork", cmd_fork},
		    {"signal", cmd_signal}, {"top2g", cmd_top2g}, {"stale", cmd_stale}, {"threads", cmd_threads}, {"reserve", cmd_reserve}, {"guard", cmd_guard},
		    {"prot", cmd_prot},     {"noop", cmd_noop}};
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: %s COMMAND [ARGS]\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "unknown command %s\n", argv[1]);
	return 2;
}
