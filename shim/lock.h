/* SPDX-License-Identifier: MIT */
/* The region lock: a futex-based mutex that knows its owner.
 *
 * The owner is a thread id of the shim's own (section.c makes them: the kernel's thread
 * id and a serial number), so re-entry from a signal handler on the thread that holds the
 * lock is detectable (a pthread mutex would deadlock there), a lock whose holder no
 * longer exists can be taken over, and a forked child's copy can be reset. No
 * allocation, no libc locks. */
#ifndef LJMM_LOCK_H
#define LJMM_LOCK_H

#include <stdint.h>

typedef struct {
	uint64_t owner; /* the holder's thread id, 0 when free */
	int seq;        /* futex word, bumped on each release that has waiters */
	int waiters;
} ljmm_lock_t;

/** Take the lock for thread self; 0, or -EDEADLK when self already holds it (re-entry),
 *  or -ETIMEDOUT when another holder kept it for timeout_ns (0: wait for ever). */
int ljmm_lock_acquire(ljmm_lock_t *l, uint64_t self, uint64_t timeout_ns);
/** Take over a lock from a holder known to be gone: 0 if it was still held by from. */
int ljmm_lock_take_over(ljmm_lock_t *l, uint64_t from, uint64_t self);
/** Release the lock. */
void ljmm_lock_release(ljmm_lock_t *l);
/** Release the lock if self holds it. */
void ljmm_lock_release_if(ljmm_lock_t *l, uint64_t self);
/** Make the lock free again whatever its state (a forked child: its holder does not exist). */
void ljmm_lock_reset(ljmm_lock_t *l);

#endif
