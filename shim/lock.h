/* SPDX-License-Identifier: MIT */
/* The region lock: a futex-based mutex that knows its owner.
 *
 * Owner tracking makes re-entry from a signal handler on the thread that holds the lock
 * detectable (pthread mutexes would deadlock there), and the fork child handler can
 * reset it. No allocation, no libc locks. */
#ifndef LJMM_LOCK_H
#define LJMM_LOCK_H

#include <stdint.h>

typedef struct {
	uintptr_t owner; /* pthread_self() of the holder, 0 when free */
	int seq;         /* futex word, bumped on each release that has waiters */
	int waiters;
} ljmm_lock_t;

/** Take the lock; 0, or -EDEADLK when this thread already holds it (signal re-entry). */
int ljmm_lock_acquire(ljmm_lock_t *l);
/** Release the lock taken by ljmm_lock_acquire. */
void ljmm_lock_release(ljmm_lock_t *l);
/** Make the lock free again whatever its state (fork child: its holder does not exist). */
void ljmm_lock_reset(ljmm_lock_t *l);

#endif
