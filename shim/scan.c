/* SPDX-License-Identifier: MIT */
/* Finding what is mapped in a range without /proc (see scan.h).
 *
 * Mapped runs: mincore(addr, len, vec) walks the range one VMA at a time, copying each
 * VMA's bytes of vec out before it looks up the next, and fails with ENOMEM at the first
 * address no VMA covers (mm/mincore.c, since Linux 2.6). It only ever writes 0 or 1
 * (the other bits are reserved), so with vec pre-filled with 0xff the first untouched
 * byte is where the run of mapped pages starting at addr ends; one call covers up to
 * sizeof(vec) pages.
 *
 * Holes: the opposite question, how far the unmapped range starting at p goes, is
 * answered by trial mappings. A PROT_NONE, MAP_NORESERVE mapping of [p, p+n) with
 * MAP_FIXED_NOREPLACE succeeds exactly when nothing is mapped there (before Linux 4.17
 * the flag is only a hint, and the kernel answers p exactly when the range is free) and
 * is unmapped at once; a doubling then halving search finds the hole's end in O(log n)
 * trials. A trial refused with EPERM or EACCES (below vm.mmap_min_addr) counts that
 * page as mapped: the region must not hand it out either. A trial refused with ENOMEM
 * (RLIMIT_AS) shortens the hole; if not even one page can be mapped the rest of the
 * range counts as mapped: nothing could be placed there now anyway.
 *
 * Runs under the region lock: the trial mappings are raw system calls, never recorded,
 * and gone before the lock is released. While one stands, a concurrent MAP_32BIT request
 * may find the kernel's window fuller than it is; it then waits for the lock and is
 * served from the rebuilt index. */
#include "scan.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "sys.h"

/* 4096 pages (16 MiB) per mincore call, 4 KiB of stack: as much as the maps reader's
 * buffer, which is not in use at the same time. */
#define VEC_PAGES 4096

/* The end of the mapped run starting at p (p itself when p is unmapped), at most hi. */
static int mapped_end(uintptr_t p, uintptr_t hi, uintptr_t *end)
{
	unsigned char vec[VEC_PAGES];
	while (p < hi) {
		uintptr_t n = (hi - p) >> LJMM_PAGE_SHIFT, i;
		long r;
		if (n > VEC_PAGES)
			n = VEC_PAGES;
		memset(vec, 0xff, n);
		r = ljmm_sys_mincore((void *)p, n << LJMM_PAGE_SHIFT, vec);
		if (r != 0 && r != -ENOMEM)
			return (int)r;
		for (i = 0; i < n && vec[i] != 0xff; i++)
			;
		p += i << LJMM_PAGE_SHIFT;
		if (i < n)
			break;
	}
	*end = p < hi ? p : hi;
	return 0;
}

int ljmm_scan_trial(uintptr_t p, uintptr_t n)
{
	size_t len = n << LJMM_PAGE_SHIFT;
	long r = ljmm_sys_mmap((void *)p, len, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (!ljmm_sys_is_err(r)) {
		ljmm_sys_munmap((void *)r, len);
		return (uintptr_t)r == p; /* elsewhere: a pre-4.17 kernel refused the hint */
	}
	if (r == -EEXIST)
		return 0;
	if (r == -EPERM || r == -EACCES)
		return -EPERM;
	return -ENOMEM;
}

/* How many pages from p (unmapped) are free, at most max: 0 when p cannot be mapped
 * (with *why set to -EPERM or -ENOMEM). */
static uintptr_t hole_pages(uintptr_t p, uintptr_t max, int *why)
{
	uintptr_t good = 0, bad = max + 1, n = 1;
	int t;
	*why = 0;
	/* Doubling: good is free, bad is not (or past the range). */
	while (n <= max && (t = ljmm_scan_trial(p, n)) == 1) {
		good = n;
		n *= 2;
	}
	if (n <= max && bad > n)
		bad = n;
	if (!good) {
		*why = t == 0 ? -EEXIST : t;
		return 0;
	}
	while (bad - good > 1) {
		uintptr_t mid = good + (bad - good) / 2;
		if (ljmm_scan_trial(p, mid) == 1)
			good = mid;
		else
			bad = mid;
	}
	return good;
}

int ljmm_scan_mapped(uintptr_t lo, uintptr_t hi, ljmm_maps_fn fn, void *ctx)
{
	uintptr_t p = lo;
	while (p < hi) {
		uintptr_t end, n;
		int r = mapped_end(p, hi, &end), why;
		if (r)
			return r;
		if (end > p) {
			if ((r = fn(ctx, p, end)) != 0)
				return r;
			p = end;
			continue;
		}
		n = hole_pages(p, (hi - p) >> LJMM_PAGE_SHIFT, &why);
		if (n) {
			p += n << LJMM_PAGE_SHIFT;
			continue;
		}
		/* Unmapped but not ours to map. */
		if (why == -ENOMEM)
			return fn(ctx, p, hi); /* RLIMIT_AS reached: nothing more can be placed */
		if ((r = fn(ctx, p, p + LJMM_PAGE)) != 0)
			return r;
		p += LJMM_PAGE;
	}
	return 0;
}
