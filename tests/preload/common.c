/* SPDX-License-Identifier: MIT */
/* Helpers shared by the preload test programs (see common.h). */
#include "common.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>


block_t blocks[MAX_BLOCKS];
size_t nblocks;


void *map32(size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
}

long raw_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

int page_taken(uintptr_t addr)
{
	long r = raw_mmap((void *)addr, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r == -1)
		return errno == EEXIST;
	syscall(SYS_munmap, r, PAGE);
	return 0;
}

/* The shim's API, looked up at run time so that the same binary runs without it; called
 * directly where the link form is linked in (LJMM_LINKED, tests/link/), which a static
 * executable needs: its dlsym finds nothing. */
#ifdef LJMM_LINKED
#define SHIM_FN(type, name) ((type)name)
#else
#define SHIM_FN(type, name) ((type)dlsym(RTLD_DEFAULT, #name))
#endif

int shim_verify(void)
{
	int (*fn)(void) = SHIM_FN(int (*)(void), ljmm_verify);
	if (!fn)
		FAIL("ljmm_verify not found: is the shim preloaded?");
	return fn();
}

void verify(const char *where)
{
	if (shim_verify() != 0)
		FAIL("%s: index and /proc/self/maps differ (errno %s)", where, errname(errno));
}

ljmm_stats_t stats(void)
{
	ljmm_stats_t s;
	/* Looked up once: fork children call this too, and need no dlsym of their own. */
	static int (*fn)(ljmm_stats_t *, size_t);
	if (!fn)
		fn = SHIM_FN(int (*)(ljmm_stats_t *, size_t), ljmm_stats_snapshot);
	memset(&s, 0, sizeof s);
	if (!fn || fn(&s, sizeof s) != 0)
		FAIL("ljmm_stats_snapshot unavailable");
	return s;
}

uint64_t tag(uintptr_t page) { return (uint64_t)page * 0x9e3779b97f4a7c15ull ^ 0x5a5a5a5a5a5a5a5aull; }

void stamp(uintptr_t addr, size_t len)
{
	for (uintptr_t p = addr; p < addr + len; p += PAGE)
		*(volatile uint64_t *)p = tag(p);
}

/* The pages at addr hold the stamps written when they lived at home. */
void check_moved(uintptr_t addr, uintptr_t home, size_t len)
{
	for (uintptr_t off = 0; off < len; off += PAGE)
		if (*(volatile uint64_t *)(addr + off) != tag(home + off))
			FAIL("page %#lx clobbered", (unsigned long)(addr + off));
}

void check_stamp(uintptr_t addr, size_t len) { check_moved(addr, addr, len); }

static void record_block(uintptr_t a, size_t len, int stamped)
{
	if (nblocks == MAX_BLOCKS)
		FAIL("too many blocks");
	if (a + len > LOW_END)
		FAIL("MAP_32BIT block %#lx+%zu ends above 2 GiB", (unsigned long)a, len);
	blocks[nblocks].addr = a;
	blocks[nblocks].len = len;
	blocks[nblocks].stamped = stamped;
	nblocks++;
	if (stamped)
		stamp(a, len);
}

void add_block(uintptr_t a, size_t len) { record_block(a, len, 1); }

static size_t fill_blocks(size_t len, int stamped)
{
	size_t n = 0;
	for (;;) {
		void *p = map32(len);
		if (p == MAP_FAILED) {
			if (errno != ENOMEM)
				FAIL("MAP_32BIT mmap failed with %s, not ENOMEM", errname(errno));
			return n;
		}
		record_block((uintptr_t)p, len, stamped);
		n++;
	}
}

size_t fill(size_t len) { return fill_blocks(len, 1); }

size_t fill_untouched(size_t len) { return fill_blocks(len, 0); }

int by_addr(const void *a, const void *b)
{
	const block_t *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

size_t live_bytes(void)
{
	size_t t = 0;
	for (size_t i = 0; i < nblocks; i++)
		t += blocks[i].len;
	return t;
}

/* No two live blocks overlap, none ends above 2 GiB, every page reads back. */
void check_blocks(const char *where)
{
	qsort(blocks, nblocks, sizeof *blocks, by_addr);
	for (size_t i = 0; i < nblocks; i++) {
		if (blocks[i].addr + blocks[i].len > LOW_END)
			FAIL("%s: block above 2 GiB", where);
		if (i && blocks[i - 1].addr + blocks[i - 1].len > blocks[i].addr)
			FAIL("%s: blocks %#lx and %#lx overlap", where, (unsigned long)blocks[i - 1].addr,
			     (unsigned long)blocks[i].addr);
		if (blocks[i].stamped)
			check_stamp(blocks[i].addr, blocks[i].len);
	}
}

void drop_block(size_t i)
{
	if (munmap((void *)blocks[i].addr, blocks[i].len) != 0)
		FAIL("munmap: %s", errname(errno));
	blocks[i] = blocks[--nblocks];
}

static void free_lowest(size_t room)
{
	qsort(blocks, nblocks, sizeof *blocks, by_addr);
	if (room > nblocks)
		room = nblocks;
	for (size_t i = 0; i < room; i++)
		if (munmap((void *)blocks[i].addr, blocks[i].len) != 0)
			FAIL("munmap: %s", errname(errno));
	memmove(blocks, blocks + room, (nblocks - room) * sizeof *blocks);
	nblocks -= room;
}

void prepare_region(size_t room)
{
	fill(M);
	free_lowest(room);
}

void prepare_region_untouched(size_t room)
{
	fill_untouched(M);
	free_lowest(room);
}
