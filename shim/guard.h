/* SPDX-License-Identifier: MIT */
/* The brk guard: a PROT_NONE page after the brk heap of non-PIE programs, so that brk
 * growth and the region never meet in the middle of a block LuaJIT was given. */
#ifndef LJMM_GUARD_H
#define LJMM_GUARD_H

#include <stdint.h>

typedef struct {
	int state;                 /* an ljmm_guard_state_t */
	uintptr_t addr;            /* where the guard page stands or was tried */
	uintptr_t keep_lo, keep_hi; /* the reserve kept for brk, out of the region */
} ljmm_guard_t;

/** Place the guard at page_up(sbrk(0)) + reserve when that is below limit, filling *g;
 *  0, or the kernel's -errno when it refused the mapping (g->state FAILED). */
int ljmm_guard_place(uintptr_t reserve, uintptr_t limit, ljmm_guard_t *g);

#endif
