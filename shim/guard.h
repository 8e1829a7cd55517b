/* SPDX-License-Identifier: MIT */
/* The brk guard: a PROT_NONE page after the brk heap of non-PIE programs, so that brk
 * growth and the region never meet in the middle of a block LuaJIT was given (see
 * guard.c for when it is placed). */
#ifndef LJMM_GUARD_H
#define LJMM_GUARD_H

#include <stdint.h>

/** Where a guard goes and what it keeps for brk; filled by ljmm_guard_place. */
typedef struct {
	int state;                  /* an ljmm_guard_state_t */
	uintptr_t addr;             /* where the guard page stands or was tried */
	uintptr_t keep_lo, keep_hi; /* the reserve kept for brk, out of the region */
} ljmm_guard_t;

/** Constructor step: choose the guard's mode (LJMM_GUARD, or the default for the
 *  running C library) and, when it is "on", place it now. */
void ljmm_guard_init(void);
/** Under the region lock, before the region serves: place a lazy guard. */
void ljmm_guard_before_region(void);

/** Place one guard at page_up(brk) + reserve (or just below lo when brk is further
 *  down), when that is below limit, filling *g; 0, or the kernel's -errno when it
 *  refused the mapping (g->state FAILED). No bookkeeping (tests call it directly). */
int ljmm_guard_place(uintptr_t reserve, uintptr_t lo, uintptr_t limit, ljmm_guard_t *g);
/** The default mode for this C library: LJMM_GUARD_ON, or LJMM_GUARD_LAZY where the
 *  guard's cost was never measured (a glibc older than the oldest one measured). */
int ljmm_guard_default_mode(const char *glibc_version);

#endif
