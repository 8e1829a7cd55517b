/* SPDX-License-Identifier: MIT */
/* The brk guard (see guard.h).
 *
 * Non-PIE programs have their brk heap low (after .bss, randomised by up to 32 MiB on
 * x86-64, and in the first GiB or beyond with some kernels' layouts); PIE programs and
 * programs started through ld.so have it far above 4 GiB and get no guard. The guard is
 * placed with MAP_FIXED_NOREPLACE (Linux >= 4.17) so it can never replace a mapping;
 * older kernels take the flag as a hint and may answer elsewhere, which we undo. */
#include "guard.h"

#include <errno.h>
#include <sys/mman.h>

#include "../include/ljmm.h"
#include "internal.h"
#include "sys.h"

int ljmm_guard_place(uintptr_t reserve, uintptr_t limit, ljmm_guard_t *g)
{
	/* brk(0) fails by returning the current break, which is what we want to read. */
	uintptr_t brk = (uintptr_t)ljmm_sys_brk(0);
	long r;
	g->addr = g->keep_lo = g->keep_hi = 0;
	g->state = LJMM_GUARD_STATE_NOT_NEEDED;
	if (!brk || brk >= limit)
		return 0;
	brk = ljmm_page_up(brk);
	g->addr = brk + reserve;
	if (g->addr < brk || g->addr + LJMM_PAGE > limit)
		return 0;
	r = ljmm_sys_mmap((void *)g->addr, LJMM_PAGE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (r == -EEXIST) {
		g->state = LJMM_GUARD_STATE_OCCUPIED;
		return 0;
	}
	if (ljmm_sys_is_err(r)) {
		g->state = LJMM_GUARD_STATE_FAILED;
		return (int)r;
	}
	if ((uintptr_t)r != g->addr) {
		/* A pre-4.17 kernel took MAP_FIXED_NOREPLACE as a hint: the spot is taken. */
		ljmm_sys_munmap((void *)r, LJMM_PAGE);
		g->state = LJMM_GUARD_STATE_OCCUPIED;
		return 0;
	}
	g->state = LJMM_GUARD_STATE_PLACED;
	g->keep_lo = brk;
	g->keep_hi = g->addr;
	return 0;
}
