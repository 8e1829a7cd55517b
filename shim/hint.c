/* SPDX-License-Identifier: MIT */
/* The hint service (see hint.h): LuaJIT 2.1's probing with address hints, served from
 * the region once a MAP_32BIT request has failed, and counted in hints_served.
 *
 * LuaJIT 2.1 non-GC64 asks MAP_32BIT until one such request fails, and from then on, for
 * good, probes with address hints below 2 GiB instead, keeping only answers that end
 * below 2^31 (lj_alloc.c: mmap_map32 sets 'fallback', then mmap_probe; LuaJIT 2.0 and
 * MAP_32BIT-only builds never probe). The kernel honours such a hint only when the
 * range at it is free, so once the low 2 GiB is fragmented, even with much of it freed,
 * the probes mostly come back high and LuaJIT reports "not enough memory". After a
 * failed MAP_32BIT request, a hint below 2 GiB (without MAP_FIXED) that the kernel
 * placed above 2 GiB is therefore served from the region: a hint is only advice, and
 * the process has shown it wants low memory. */
#include "hint.h"

#include <sys/mman.h>

#include "internal.h"
#include "log.h"
#include "place.h"
#include "section.h"
#include "stats.h"
#include "sys.h"

/* The service is for a process that ran out of low memory, so a request no region could
 * serve (2 GiB or more, huge pages, arguments the kernel refuses) leaves it as it is. */
void ljmm_hint_after_failure(size_t len, int why)
{
	if (why != LJMM_PLACE_UNLIKE && ljmm_page_up(len) < LJMM_2G && ljmm_page_up(len) && !ljmm_hint_on())
		__atomic_store_n(&ljmm_hot.serve_hints, 1, __ATOMIC_RELAXED);
}

int ljmm_hint_missed(const void *addr, size_t len, int flags, long r)
{
	uintptr_t a = (uintptr_t)addr, need = ljmm_page_up(len);
	/* MAP_ABOVE4G (Linux 6.6) asks for nothing low unless the hint itself is free. An
	 * answer that straddles 2 GiB is left as it is: LuaJIT refuses it and probes again. */
	return a && a < LJMM_2G && !(flags & (MAP_32BIT | MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_ABOVE4G)) &&
	       ljmm_place_eligible(len, flags) && LJMM_2G - a >= need && (uintptr_t)r >= LJMM_2G;
}

/* The kernel's block r (above 2 GiB: nothing of the region's) is given back first, so
 * that the placement is not charged twice (overcommit, RLIMIT_AS, MAP_LOCKED) and no fork
 * copies both. When the region has no room, the caller asks the kernel again and its
 * answer stands, as the first one would have. Only a section that turns us away (a
 * handler inside the shim) keeps r. */
int ljmm_hint_serve(size_t len, int prot, int flags, int fd, long off, long r, void **out)
{
	ljmm_section_t sec;
	int why, ret, pf = ljmm_place_flags(flags, fd);
	/* The region cannot give this mapping (a hugetlbfs file, whose blocks are given back
	 * in huge pages only): the kernel's block stands. */
	if (!pf || ljmm_section_enter(&sec) != 0)
		return LJMM_HINT_KEPT;
	if (ljmm_sys_munmap((void *)r, len) != 0) {
		ljmm_section_leave(&sec); /* not given back: it stays the answer */
		return LJMM_HINT_KEPT;
	}
	ret = ljmm_place_block(len, prot, pf, fd, off, out, &why);
	ljmm_section_leave(&sec);
	if (ret == 0) {
		ljmm_stats_add(&ljmm_stats_live.hints_served, 1);
		return LJMM_HINT_SERVED;
	}
	LJMM_DEBUG("mmap hint below 2 GiB: the region has no room, the kernel again", 0, "len", len, ret);
	return LJMM_HINT_GIVEN_BACK;
}
