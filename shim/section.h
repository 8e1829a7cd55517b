/* SPDX-License-Identifier: MIT */
/* The region's critical section: one thread at a time in the index, and recovery from
 * what a fork, a signal handler, a siglongjmp or a cancelled thread leaves behind
 * (see section.c). */
#ifndef LJMM_SECTION_H
#define LJMM_SECTION_H

#include <stdint.h>

/** A caller's mark of its section, a local variable of the calling function: where it
 *  stands on the stack tells a later call whether that section is still running. */
typedef struct {
	volatile uint64_t token; /* proves the frame is this section's while it runs */
} ljmm_section_t;

/** Enter: 0 when the caller may touch the index (leave with ljmm_section_leave);
 *  -EDEADLK when this thread is already inside (a signal handler interrupted it) and
 *  -ETIMEDOUT when another thread kept the lock past its limit: then the caller must
 *  not touch the index, answers from the kernel, and marks the index stale
 *  (ljmm_index_invalidate) if that answer changed anything in the region. */
int ljmm_section_enter(ljmm_section_t *me);
/** Leave a section entered with 0. */
void ljmm_section_leave(ljmm_section_t *me);

#endif
