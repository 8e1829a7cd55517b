/* SPDX-License-Identifier: MIT */
/* The MAP_32BIT allocator: the logic behind each entry point and the kernel-or-region
 * decision (see alloc.h).
 *
 * Fast path: anything that is not MAP_32BIT-without-MAP_FIXED goes straight to the
 * kernel, takes no lock, and only looks at the result when the region index exists and
 * the result lands in the region. The index (index.c) is built the first time the region
 * has to serve a request; place.c places the block. The hint service (hint.c) serves
 * LuaJIT 2.1's probes once a MAP_32BIT request has failed.
 *
 * Safety does not rest on the index being right: region blocks are placed with
 * MAP_FIXED_NOREPLACE, so a range the index wrongly believes free (brk grew, a raw
 * syscall, glibc's own internal mmap calls, which do not go through the PLT) fails with
 * EEXIST and makes the index resync. Exactness at quiescent points comes from ordering:
 * every call that can free region pages (munmap, mremap) holds the region's section
 * (section.c) across its system call and its bookkeeping, and every call that can take
 * pages records them inside it before it returns the address to anyone. */
#include "alloc.h"

#include <errno.h>
#include <sys/mman.h>

#include "config.h"
#include "hint.h"
#include "hot.h"
#include "index.h"
#include "internal.h"
#include "log.h"
#include "place.h"
#include "section.h"
#include "stats.h"
#include "sys.h"
#include "warn.h"

/* Record a mapping the kernel placed (hinted, MAP_FIXED, or from its window) that lands
 * in the region. Without the section (a signal handler inside the shim, a stuck holder)
 * the index is marked for a rebuild instead. */
static void record_result(uintptr_t start, size_t len)
{
	ljmm_section_t sec;
	if (start >= ljmm_index_hi() || !ljmm_index_built())
		return;
	if (ljmm_section_enter(&sec) == 0) {
		ljmm_index_record_used(start, start + ljmm_page_up(len));
		ljmm_section_leave(&sec);
	} else {
		ljmm_index_invalidate();
	}
}

/* The options the per-call path needs, from the hot line; the first MAP_32BIT call
 * loads the options if the constructor has not run yet. */
static __attribute__((noinline)) int load_mode(void)
{
	int m;
	ljmm_config_load();
	m = !ljmm_config_get(LJMM_OPT_ENABLE)                                       ? LJMM_MODE_OFF
	    : ljmm_config_get(LJMM_OPT_POLICY) == LJMM_POLICY_REGION_FIRST ? LJMM_MODE_REGION_FIRST
									  : LJMM_MODE_KERNEL_FIRST;
	/* Kept only once final: a thread that lost the race to parse sees the defaults. */
	if (ljmm_config_loaded())
		__atomic_store_n(&ljmm_hot.mode, m, __ATOMIC_RELAXED);
	return m;
}

static inline int current_mode(void)
{
	int m = __atomic_load_n(&ljmm_hot.mode, __ATOMIC_RELAXED);
	return LJMM_LIKELY(m != LJMM_MODE_UNKNOWN) ? m : load_mode();
}

/* Change the mode from 'from' to 'to' unless another thread changed it first: a thread
 * that lost the race to parse the options runs with kernel-first and must not overwrite
 * the parsed LJMM_ENABLE=off or region-first. */
static void switch_mode(int from, int to)
{
	int m = from;
	(void)__atomic_compare_exchange_n(&ljmm_hot.mode, &m, to, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Once the kernel's window has run out (LJMM_MODE_WINDOW_FULL), a request without a
 * hint goes to the region first, as under region-first, even after frees in the window:
 * the kernel's first fit in [1 GiB, 2 GiB) and the region's best fit, taking turns,
 * leave ~2 % more of the low 2 GiB in holes than best fit alone (frag.lua's churn,
 * docs/design.md "Placement"). A hint still asks the kernel first: it honours hints,
 * the region does not. */
static inline int region_goes_first(int mode, const void *addr)
{
	return mode == LJMM_MODE_REGION_FIRST || (mode == LJMM_MODE_WINDOW_FULL && !addr);
}

/* A MAP_32BIT request that ended in ENOMEM: count it, turn the hint service on (hint.c)
 * and tell the operator once. */
static int failed(size_t len, int why)
{
	ljmm_stats_add(&ljmm_stats_live.failures, 1);
	ljmm_hint_after_failure(len, why);
	if (why == LJMM_PLACE_NO_ROOM && LJMM_UNLIKELY(ljmm_warn_failure_due(len))) {
		ljmm_section_t sec;
		ljmm_usage_t u;
		int have = ljmm_index_built() && ljmm_section_enter(&sec) == 0;
		if (have) {
			ljmm_index_usage(&u);
			ljmm_section_leave(&sec);
		}
		ljmm_warn_failure(len, have && u.total ? &u : NULL);
	}
	return -ENOMEM;
}

/* A MAP_32BIT call the kernel did not simply serve: r is the kernel's error, or 0 when
 * it has not been asked (region-first, or its window ran out before). Kept out of
 * line so that the calls the kernel serves pay for none of this.
 *
 * The caller gets the kernel's own answer to its call, or a block of the region that is
 * the mapping the kernel would have given with room in its window: never an answer the
 * kernel would not give. So the placement's refusals (EINVAL, EACCES, EOPNOTSUPP: its
 * judgement of the arguments at an address of ours) are not passed on: the kernel, which
 * searches its window before it looks at the arguments, said ENOMEM (asked), or is asked. */
static __attribute__((noinline)) int map32_slow(void *addr, size_t len, int prot, int flags, int fd, long off,
						 int mode, long r, void **out)
{
	ljmm_section_t sec;
	int asked = r != 0, known_full = !asked && mode == LJMM_MODE_WINDOW_FULL;
	int why = LJMM_PLACE_UNLIKE, ret, pf = 0;
	int refused = 0; /* the section turned us away: the kernel alone answers */
	uintptr_t need = ljmm_page_up(len);

	if (asked && r != -ENOMEM)
		return (int)r;
	/* Huge pages, a stack, a hugetlbfs file, flags only the file can judge: not ours. */
	if (ljmm_place_eligible(len, flags) && (pf = ljmm_place_flags(flags, fd)) != 0) {
		if (asked)
			LJMM_DEBUG("mmap MAP_32BIT: kernel window full, trying the region", 0, "len", len, (int)r);
		if (ljmm_section_enter(&sec) == 0) {
			ret = ljmm_place_block(len, prot, pf, fd, off, out, &why);
			/* Only a placement the kernel accepted proves that its ENOMEM meant "no
			 * room in the window" and not RLIMIT_AS, RLIMIT_DATA or overcommit: from
			 * then on the region places first (region_goes_first). */
			if (ret == 0 && asked)
				switch_mode(LJMM_MODE_KERNEL_FIRST, LJMM_MODE_WINDOW_FULL);
			ljmm_section_leave(&sec);
			if (ret == 0) {
				ljmm_stats_add(&ljmm_stats_live.region_served, 1);
				ljmm_stats_add(&ljmm_stats_live.region_bytes_served, need);
				if (known_full)
					ljmm_stats_add(&ljmm_stats_live.kernel_skipped, 1);
				return 0;
			}
			if (ret != -ENOMEM)
				why = LJMM_PLACE_UNLIKE;
		} else {
			refused = 1; /* a signal handler inside the shim, or a stuck holder: kernel only */
			why = LJMM_PLACE_CONTENDED; /* the region was never asked: no sign of it running out */
		}
	}
	if (!asked) {
		r = ljmm_sys_mmap(addr, len, prot, flags, fd, off);
		if (!ljmm_sys_is_err(r)) {
			ljmm_stats_bump(&ljmm_stats_live.kernel_served);
			/* The kernel had room where the region had none (LJMM_REGION_HI below 2 GiB,
			 * or frees the index missed): ask it first again, rather than pay for a
			 * failed search and a rebuild check on every call; its next ENOMEM hands
			 * placement back to the region. */
			if (known_full && why == LJMM_PLACE_NO_ROOM)
				switch_mode(LJMM_MODE_WINDOW_FULL, LJMM_MODE_KERNEL_FIRST);
			if (!refused)
				record_result((uintptr_t)r, len);
			else if ((uintptr_t)r < ljmm_index_hi() && ljmm_index_built())
				ljmm_index_invalidate(); /* mapped where the index could not see */
			*out = (void *)r;
			return 0;
		}
		if (r != -ENOMEM)
			return (int)r;
	}
	return failed(len, why);
}

int ljmm_alloc_mmap(void *addr, size_t len, int prot, int flags, int fd, long off, void **out)
{
	int mode;
	long r;
	ljmm_stats_bump(&ljmm_stats_live.mmap_calls);
	if (!(flags & MAP_32BIT) || (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) ||
	    (mode = current_mode()) == LJMM_MODE_OFF) {
		r = ljmm_sys_mmap(addr, len, prot, flags, fd, off);
		if (ljmm_sys_is_err(r))
			return (int)r;
		if (LJMM_UNLIKELY(ljmm_hint_on()) && ljmm_hint_missed(addr, len, flags, r)) {
			int h = ljmm_hint_serve(len, prot, flags, fd, off, r, out);
			if (h == LJMM_HINT_SERVED)
				return 0;
			if (h == LJMM_HINT_GIVEN_BACK) {
				/* The region had no room: the kernel's second answer stands. */
				r = ljmm_sys_mmap(addr, len, prot, flags, fd, off);
				if (ljmm_sys_is_err(r))
					return (int)r;
			}
		}
		if (LJMM_UNLIKELY((uintptr_t)r < ljmm_index_hi()))
			record_result((uintptr_t)r, len);
		*out = (void *)r;
		return 0;
	}
	ljmm_stats_bump(&ljmm_stats_live.map32_calls);
	if (LJMM_UNLIKELY(region_goes_first(mode, addr)))
		return map32_slow(addr, len, prot, flags, fd, off, mode, 0, out);
	r = ljmm_sys_mmap(addr, len, prot, flags, fd, off);
	if (LJMM_UNLIKELY(ljmm_sys_is_err(r)))
		return map32_slow(addr, len, prot, flags, fd, off, mode, r, out);
	ljmm_stats_bump(&ljmm_stats_live.kernel_served);
	/* After the call: a build that starts meanwhile has already published 'built'. */
	if (LJMM_UNLIKELY(ljmm_index_built()))
		record_result((uintptr_t)r, len);
	*out = (void *)r;
	return 0;
}

int ljmm_alloc_munmap(void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr, end = start + ljmm_page_up(len);
	ljmm_section_t sec;
	int want, inside;
	long r;
	ljmm_stats_bump(&ljmm_stats_live.munmap_calls);
	/* Outside the region, or before the index exists: nothing to keep in step. Turned
	 * away by the section: the index is marked stale, and rebuilt before its next use. */
	want = start < ljmm_index_hi() && ljmm_index_built();
	inside = want && ljmm_section_enter(&sec) == 0;
	r = ljmm_sys_munmap(addr, len);
	if (ljmm_sys_is_err(r)) {
		if (inside)
			ljmm_section_leave(&sec);
		return (int)r;
	}
	if (inside) {
		ljmm_index_record_free(start, end);
		ljmm_section_leave(&sec);
	} else if (want) {
		ljmm_index_invalidate(); /* turned away: the rebuild will see the free space */
	} else if (LJMM_UNLIKELY(start < ljmm_index_hi() && ljmm_index_built()) && ljmm_section_enter(&sec) == 0) {
		/* The index appeared during the call: keep it exact (this race only loses
		 * space, which a later rebuild finds again). */
		ljmm_index_record_free(start, end);
		ljmm_section_leave(&sec);
	}
	return 0;
}

/* Did a successful mremap without MREMAP_MAYMOVE (so in place) take a range that
 * ended at or below 2 GiB past it? */
static inline int grew_past_2g(uintptr_t o, size_t old_len, size_t new_len, int flags)
{
	return !(flags & MREMAP_MAYMOVE) && o < LJMM_2G && LJMM_2G - o >= ljmm_page_up(old_len) &&
	       LJMM_2G - o < ljmm_page_up(new_len);
}

/* The bookkeeping of a successful mremap that went from o to n, inside the section. */
static void record_mremap(uintptr_t o, size_t old_len, uintptr_t n, size_t new_len, int flags)
{
	uintptr_t old_end = o + ljmm_page_up(old_len), new_end = n + ljmm_page_up(new_len);
	if (n == o) {
		/* In place: only the pages past the old end are new (the old range may span
		 * holes, which an equal-length call leaves as they are). */
		if (new_end < old_end)
			ljmm_index_record_free(new_end, old_end);
		else if (new_end > old_end)
			ljmm_index_record_used(old_end, new_end);
		return;
	}
	/* Moved. With MREMAP_DONTUNMAP, or old_len 0 (a duplicate of a shared mapping),
	 * the old range stays mapped. */
	if (!(flags & MREMAP_DONTUNMAP) && old_len)
		ljmm_index_record_free(o, old_end);
	/* Linux 6.17 moves a range that spans several mappings and the holes between them
	 * in one MREMAP_FIXED call of equal lengths (with or without MREMAP_DONTUNMAP); the
	 * holes stay holes. Ask the kernel what stands there now rather than assume the
	 * whole range. */
	if ((flags & MREMAP_FIXED) && old_len == new_len)
		ljmm_index_record_scanned(n, new_end);
	else
		ljmm_index_record_used(n, new_end);
}

int ljmm_alloc_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr, void **out)
{
	uintptr_t o = (uintptr_t)old, n = (uintptr_t)new_addr;
	ljmm_section_t sec;
	int want, inside;
	long r;
	ljmm_stats_bump(&ljmm_stats_live.mremap_calls);
	want = ljmm_index_built() && (o < ljmm_index_hi() || ((flags & MREMAP_FIXED) && n < ljmm_index_hi()));
	inside = want && ljmm_section_enter(&sec) == 0;
	r = ljmm_sys_mremap(old, old_len, new_len, flags, new_addr);
	if (LJMM_UNLIKELY(!ljmm_sys_is_err(r) && grew_past_2g(o, old_len, new_len, flags))) {
		/* The kernel grows a mapping in place whenever the next pages are free; it
		 * does not remember MAP_32BIT. LuaJIT non-GC64 resizes its blocks with
		 * mremap(flags 0), so a block ending at 2 GiB (the region's top extent, or the
		 * top of the kernel's window) would become GC memory above 2^31. Shrinking
		 * back to old_len in place cannot fail and restores the mapping as it was;
		 * ENOMEM is the kernel's own answer for "cannot grow here". */
		(void)ljmm_sys_mremap(old, new_len, old_len, 0, NULL);
		LJMM_DEBUG("mremap: in-place growth across 2 GiB undone, ENOMEM", o, "len", new_len, -ENOMEM);
		ljmm_stats_add(&ljmm_stats_live.failures, 1);
		r = -ENOMEM;
	}
	if (!ljmm_sys_is_err(r)) {
		if (inside)
			record_mremap(o, old_len, (uintptr_t)r, new_len, flags);
		else if (want)
			ljmm_index_invalidate(); /* turned away: the rebuild will see the change */
	}
	if (inside)
		ljmm_section_leave(&sec);
	if (ljmm_sys_is_err(r))
		return (int)r;
	/* A move from above into the region that the index did not expect. */
	if (!want && (uintptr_t)r < ljmm_index_hi())
		record_result((uintptr_t)r, new_len);
	*out = (void *)r;
	return 0;
}

int ljmm_alloc_verify(void)
{
	ljmm_section_t sec;
	int r;
	if (!ljmm_index_built())
		return -EAGAIN;
	if (ljmm_section_enter(&sec) != 0)
		return -EAGAIN;
	r = ljmm_index_verify();
	ljmm_section_leave(&sec);
	return r;
}
