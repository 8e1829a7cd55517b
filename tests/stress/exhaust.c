/* SPDX-License-Identifier: MIT */
/* Exhaustion and kernel refusals, run under LD_PRELOAD (built as PIE and -no-pie).
 *
 *   exhaust full     the whole low 2 GiB filled (1 MiB, then 64 KiB, then 4 KiB blocks
 *                    until ENOMEM): every further MAP_32BIT request, of any size and kind,
 *                    fails with ENOMEM (never a high address); freeing memory makes
 *                    requests succeed again, inside what was freed; ljmm_verify passes
 *   exhaust limits   RLIMIT_AS, RLIMIT_DATA (an accounting refusal, as overcommit's) and
 *                    RLIMIT_MEMLOCK with MAP_LOCKED (EAGAIN): the shim's MAP_32BIT answer
 *                    equals the raw kernel's answer for the same request, both while the
 *                    kernel's window has room and once it is full (the region path); after
 *                    the limit is raised the same requests succeed
 *
 * vm.overcommit_memory is a machine-wide setting that other processes' tests depend on,
 * so it is never changed here; RLIMIT_DATA stands in for an accounting refusal. */
#include <errno.h>
#include <fcntl.h>
#if __has_include(<linux/capability.h>)
#include <linux/capability.h>
#else
/* musl-gcc (Debian 12's musl-tools) comes without the kernel's headers: the capget(2)
 * ABI as the kernel defines it (version 3, two 32-bit data words). */
#include <stdint.h>
#define _LINUX_CAPABILITY_VERSION_3 0x20080522
#define CAP_IPC_LOCK 14
struct __user_cap_header_struct {
	uint32_t version;
	int pid;
};
struct __user_cap_data_struct {
	uint32_t effective, permitted, inheritable;
};
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "common.h"

#define MAX_BLOCKS 40000

typedef struct {
	uintptr_t addr;
	size_t len;
} blk_t;

static blk_t blocks[MAX_BLOCKS];
static size_t nblocks;
static int (*verify_fn)(void);

static void verify(const char *where)
{
	if (verify_fn && verify_fn() != 0)
		FAIL("%s: ljmm_verify: the shim's index and /proc/self/maps differ (%s)", where, errname(errno));
}

static const char *ename(int e) { return e ? errname(e) : "success"; }

/* MAP_32BIT len-byte blocks until ENOMEM; returns how many. */
static size_t fill(size_t len)
{
	size_t n = 0;
	for (;;) {
		void *p = st_map32(len);
		if (p == MAP_FAILED) {
			if (errno != ENOMEM)
				FAIL("fill %zu: %s, not ENOMEM", len, errname(errno));
			return n;
		}
		if ((uintptr_t)p + len > LOW_END)
			FAIL("fill %zu: block %p ends above 2 GiB", len, p);
		if (nblocks == MAX_BLOCKS)
			FAIL("fill: more than %d blocks", MAX_BLOCKS);
		*(volatile uint64_t *)p = (uintptr_t)p; /* one page each: cheap, shows overlap */
		blocks[nblocks].addr = (uintptr_t)p;
		blocks[nblocks++].len = len;
		n++;
	}
}

static int by_addr(const void *a, const void *b)
{
	const blk_t *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void check_blocks(const char *where)
{
	qsort(blocks, nblocks, sizeof *blocks, by_addr);
	for (size_t i = 0; i < nblocks; i++) {
		if (i && blocks[i - 1].addr + blocks[i - 1].len > blocks[i].addr)
			FAIL("%s: blocks %#lx and %#lx overlap", where, (unsigned long)blocks[i - 1].addr, (unsigned long)blocks[i].addr);
		if (*(volatile uint64_t *)blocks[i].addr != blocks[i].addr)
			FAIL("%s: block %#lx clobbered", where, (unsigned long)blocks[i].addr);
	}
}

static long raw_mmap(size_t len, int prot, int flags, int fd)
{
	return syscall(SYS_mmap, 0, len, prot, flags, fd, 0);
}

/* --- full ---------------------------------------------------------------------------- */

static int cmd_full(void)
{
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT;
	const size_t sizes[] = {PAGE, 2 * PAGE, 64 * 1024, M, 2 * M + PAGE, 256 * M, (size_t)1 << 30, (size_t)2 << 30,
				(size_t)3 << 30, (size_t)1 << 40};
	const struct {
		const char *what;
		int prot, flags, fd;
	} kinds[] = {
		{"private rw", PROT_READ | PROT_WRITE, anon, -1},
		{"prot none", PROT_NONE, anon, -1},
		{"noreserve", PROT_READ | PROT_WRITE, anon | MAP_NORESERVE, -1},
		{"shared", PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_32BIT, -1},
		{"populate", PROT_READ | PROT_WRITE, anon | MAP_POPULATE, -1},
		{"/dev/zero", PROT_READ, MAP_PRIVATE | MAP_32BIT, -2},
	};
	int devzero = open("/dev/zero", O_RDONLY);
	size_t n1, n64, n4, refused = 0, first_total;
	uintptr_t freed_lo[16];
	void *p;

	alarm(120);
	n1 = fill(M);
	n64 = fill(64 * 1024);
	n4 = fill(PAGE);
	first_total = n1 * M + n64 * 64 * 1024 + n4 * PAGE;
	printf("full: %zu x 1 MiB + %zu x 64 KiB + %zu x 4 KiB MAP_32BIT blocks (%.1f MiB) until ENOMEM\n", n1, n64, n4,
	       (double)first_total / (double)M);
	check_blocks("after fill");
	verify("after fill");

	/* Full: every request refused with ENOMEM, whatever its size and kind. */
	for (int round = 0; round < 20; round++)
		for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
			for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
				if (kinds[k].flags & MAP_POPULATE && sizes[i] > 256 * M)
					continue; /* should it ever succeed, do not touch a GiB */
				errno = 0;
				p = mmap(NULL, sizes[i], kinds[k].prot, kinds[k].flags, kinds[k].fd == -2 ? devzero : kinds[k].fd, 0);
				if (p != MAP_FAILED)
					FAIL("full: %s MAP_32BIT of %zu bytes succeeded at %p%s", kinds[k].what, sizes[i], p,
					     (uintptr_t)p + sizes[i] > LOW_END ? " (above 2 GiB!)" : "");
				if (errno != ENOMEM)
					FAIL("full: %s MAP_32BIT of %zu bytes: %s, not ENOMEM", kinds[k].what, sizes[i], errname(errno));
				refused++;
			}
	/* Not eligible for the region (the kernel's answer stands): compare with the raw call. */
	{
		long r = raw_mmap(2 * M, PROT_READ | PROT_WRITE, anon | MAP_HUGETLB, -1);
		int eraw = r == -1 ? errno : 0;
		if (r != -1)
			syscall(SYS_munmap, r, 2 * M);
		errno = 0;
		p = mmap(NULL, 2 * M, PROT_READ | PROT_WRITE, anon | MAP_HUGETLB, -1, 0);
		if ((p == MAP_FAILED ? errno : 0) != eraw)
			FAIL("full: MAP_HUGETLB: shim %s, kernel %s", ename(p == MAP_FAILED ? errno : 0), ename(eraw));
		if (p != MAP_FAILED)
			munmap(p, 2 * M);
	}
	printf("full: %zu further MAP_32BIT requests (%zu sizes from 4 KiB to 1 TiB, %zu kinds) all ENOMEM\n", refused,
	       sizeof sizes / sizeof *sizes, sizeof kinds / sizeof *kinds);
	check_blocks("after the refusals");
	verify("after the refusals");

	/* Recovery: free 16 scattered 1 MiB blocks below 1 GiB (region-served), map 16 again. */
	{
		size_t got = 0;
		uint64_t rng = st_seed(20240611);
		for (size_t tries = 0; got < 16 && tries < 100000; tries++) {
			size_t i = st_below(&rng, nblocks);
			if (blocks[i].len != M || blocks[i].addr >= ((uintptr_t)1 << 30))
				continue;
			if (munmap((void *)blocks[i].addr, M) != 0)
				FAIL("munmap: %s", errname(errno));
			freed_lo[got++] = blocks[i].addr;
			blocks[i] = blocks[--nblocks];
		}
		if (got < 16)
			FAIL("recovery: found only %zu region blocks below 1 GiB to free", got);
		verify("after freeing 16 blocks");
		for (size_t k = 0; k < 16; k++) {
			p = st_map32(M);
			if (p == MAP_FAILED)
				FAIL("recovery: map %zu of 16 after freeing: %s", k, errname(errno));
			int inside = 0;
			for (size_t j = 0; j < 16; j++)
				inside |= (uintptr_t)p == freed_lo[j];
			if (!inside)
				FAIL("recovery: got %p, not one of the freed blocks", p);
			*(volatile uint64_t *)p = (uintptr_t)p;
			blocks[nblocks].addr = (uintptr_t)p;
			blocks[nblocks++].len = M;
		}
		p = st_map32(PAGE);
		if (p != MAP_FAILED || errno != ENOMEM)
			FAIL("recovery: full again, but a 4 KiB request got %p (%s)", p, ename(errno));
		check_blocks("after recovery");
		verify("after recovery");
	}
	/* Free everything, fill again: the same amount comes back. */
	for (size_t i = 0; i < nblocks; i++)
		if (munmap((void *)blocks[i].addr, blocks[i].len) != 0)
			FAIL("munmap: %s", errname(errno));
	nblocks = 0;
	verify("after freeing everything");
	n1 = fill(M);
	n64 = fill(64 * 1024);
	n4 = fill(PAGE);
	{
		size_t total = n1 * M + n64 * 64 * 1024 + n4 * PAGE;
		printf("full: after freeing everything, refilled %.1f MiB (first fill %.1f MiB)\n", (double)total / (double)M,
		       (double)first_total / (double)M);
		if (total + 4 * M < first_total)
			FAIL("refill reached %zu bytes, first fill %zu: space was lost", total, first_total);
	}
	check_blocks("after refill");
	verify("after refill");
	printf("PASS: exhaustion refused cleanly and recovered\n");
	return 0;
}

/* --- limits -------------------------------------------------------------------------- */

/* VmSize / VmData from /proc/self/status, in bytes. */
static size_t status_kib(const char *field)
{
	char line[256];
	size_t v = 0, n = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		FAIL("cannot read /proc/self/status");
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtoul(line + n + 1, NULL, 10) * 1024;
	fclose(f);
	return v;
}

static void set_limit(int res, rlim_t soft)
{
	struct rlimit rl;
	getrlimit(res, &rl);
	rl.rlim_cur = soft;
	if (setrlimit(res, &rl) != 0)
		FAIL("setrlimit(%d, %lu): %s", res, (unsigned long)soft, errname(errno));
}

struct tally {
	int ok, refused;
};

/* The shim's MAP_32BIT answer must be one the kernel gives. With room in its window, the
 * kernel's own answer. With the window full (the same request without MAP_32BIT stands
 * for the kernel with room): a block where that succeeds; where it is refused by a
 * limit, that refusal when the kernel's search found a page left in its window, or its
 * ENOMEM when not (it searches the window before it checks RLIMIT_MEMLOCK, RLIMIT_DATA
 * and RLIMIT_AS: issue 17), never a block. */
static void compare(const char *what, size_t len, int prot, int extra, int window_full, struct tally *t)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | extra;
	long r = raw_mmap(len, prot, flags | (window_full ? 0 : MAP_32BIT), -1);
	int ekernel = r == -1 ? errno : 0;
	if (r != -1)
		syscall(SYS_munmap, r, len);
	ljmm_stats_t s0, s1;
	st_stats(&s0);
	errno = 0;
	void *p = mmap(NULL, len, prot, flags | MAP_32BIT, -1, 0);
	int eshim = p == MAP_FAILED ? errno : 0;
	st_stats(&s1);
	if (p != MAP_FAILED) {
		if ((uintptr_t)p + len > LOW_END)
			FAIL("%s %zu KiB: MAP_32BIT answer %p ends above 2 GiB", what, len / 1024, p);
		munmap(p, len);
	}
	if (eshim != ekernel && !(window_full && ekernel && eshim == ENOMEM))
		FAIL("%s %zu KiB (window %s): shim %s, kernel %s", what, len / 1024, window_full ? "full" : "with room", ename(eshim),
		     ename(ekernel));
	if (eshim)
		t->refused++;
	else
		t->ok++;
	printf("  %-9s %6zu KiB  window %-9s shim %-7s kernel %-7s%s\n", what, len / 1024, window_full ? "full" : "with room",
	       ename(eshim), ename(ekernel), s1.region_served > s0.region_served ? " (region)" : "");
}

static void limit_round(int window_full)
{
	static const size_t sizes[] = {M, 4 * M, 7 * M, 9 * M, 16 * M, 24 * M};
	const int rw = PROT_READ | PROT_WRITE;
	struct tally as = {0, 0}, data = {0, 0}, lock = {0, 0};
	ljmm_stats_t s0, s1;
	size_t vm = status_kib("VmSize"), vdata = status_kib("VmData");
	st_stats(&s0);

	/* RLIMIT_AS: 8 MiB of room. */
	set_limit(RLIMIT_AS, vm + 8 * M);
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
		compare("AS", sizes[i], rw, 0, window_full, &as);
	/* mremap growth past the limit: refused alike, the block stays where it was. */
	{
		void *p = st_map32(M), *q;
		if (p == MAP_FAILED)
			FAIL("AS: 1 MiB MAP_32BIT under the limit: %s", errname(errno));
		q = mremap(p, M, 32 * M, MREMAP_MAYMOVE);
		if (q != MAP_FAILED || errno != ENOMEM)
			FAIL("AS: mremap past RLIMIT_AS: %p (%s), expected ENOMEM", q, ename(errno));
		munmap(p, M);
	}
	verify("under RLIMIT_AS");
	set_limit(RLIMIT_AS, RLIM_INFINITY);
	compare("AS off", 16 * M, rw, 0, window_full, &as);

	/* RLIMIT_DATA counts private writable memory, as overcommit accounting does:
	 * read-only mappings pass, writable ones past the limit are refused. */
	set_limit(RLIMIT_DATA, vdata + 8 * M);
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		compare("DATA rw", sizes[i], rw, 0, window_full, &data);
		compare("DATA ro", sizes[i], PROT_READ, 0, window_full, &data);
	}
	verify("under RLIMIT_DATA");
	set_limit(RLIMIT_DATA, RLIM_INFINITY);
	compare("DATA off", 16 * M, rw, 0, window_full, &data);

	/* MAP_LOCKED past RLIMIT_MEMLOCK: EAGAIN, not ENOMEM (CAP_IPC_LOCK was dropped), with
	 * room in the window. */
	set_limit(RLIMIT_MEMLOCK, M);
	compare("LOCK", 64 * 1024, rw, MAP_LOCKED, window_full, &lock);
	compare("LOCK", 4 * M, rw, MAP_LOCKED, window_full, &lock);
	verify("under RLIMIT_MEMLOCK");

	st_stats(&s1);
	printf("limits (window %s): AS %d ok / %d refused, DATA %d / %d, MEMLOCK %d / %d; region-served %lu -> %lu\n",
	       window_full ? "full" : "with room", as.ok, as.refused, data.ok, data.refused, lock.ok, lock.refused,
	       (unsigned long)s0.region_served, (unsigned long)s1.region_served);
	if (!as.ok || !as.refused || !data.ok || !data.refused)
		FAIL("a limit round saw no success or no refusal: the limits did not bite");
	if (!window_full && s1.region_served > s0.region_served)
		printf("note: %lu requests were served from the region while the kernel's window had room (the kernel's "
		       "ENOMEM came from a limit, not the window)\n", (unsigned long)(s1.region_served - s0.region_served));
	if (window_full && verify_fn && s1.region_served <= s0.region_served)
		FAIL("window full, but no request went through the region");
}

static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	d[0].effective &= ~(1u << CAP_IPC_LOCK);
	return (int)syscall(SYS_capset, &h, d);
}

static int cmd_limits(void)
{
	alarm(120);
	if (drop_ipc_lock() != 0)
		FAIL("cannot drop CAP_IPC_LOCK: %s", errname(errno));
	printf("limits: round 1, the kernel's window has room\n");
	limit_round(0);

	/* Fill everything, then free a contiguous 32 MiB run below 1 GiB: the window stays
	 * full, so every MAP_32BIT request goes through the region. */
	size_t n = fill(M), run = 0, at = 0;
	check_blocks("limits fill");
	for (size_t i = 1; i < nblocks && run < 32; i++) {
		if (blocks[i].addr >= ((uintptr_t)1 << 30) || blocks[i].addr != blocks[i - 1].addr + M)
			run = 0, at = i;
		else if (++run == 31)
			break;
	}
	if (run < 31)
		FAIL("no run of 32 adjacent region blocks below 1 GiB");
	uintptr_t hole = blocks[at].addr;
	if (munmap((void *)hole, 32 * M) != 0)
		FAIL("munmap 32 MiB: %s", errname(errno));
	memmove(&blocks[at], &blocks[at + 32], (nblocks - at - 32) * sizeof *blocks);
	nblocks -= 32;
	printf("limits: filled %zu MiB, freed 32 MiB at %#lx; round 2, the window is full\n", n, (unsigned long)hole);
	{
		long r = raw_mmap(M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1);
		if (r != -1)
			FAIL("the kernel's window still has room after the fill");
	}
	limit_round(1);
	check_blocks("limits end");
	verify("limits end");
	printf("PASS: every refusal as the kernel's, both with and without room in its window\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	verify_fn = st_verify_fn();
	printf("exhaust %s: shim %s\n", argc > 1 ? argv[1] : "?", verify_fn ? ST_SHIM_PRESENT : "absent (ljmm_verify checks skipped)");
	if (argc > 1 && !strcmp(argv[1], "full"))
		return cmd_full();
	if (argc > 1 && !strcmp(argv[1], "limits"))
		return cmd_limits();
	fprintf(stderr, "usage: %s full|limits\n", argv[0]);
	return 2;
}
