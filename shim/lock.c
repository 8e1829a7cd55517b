/* SPDX-License-Identifier: MIT */
/* The region lock (see lock.h). */
#include "lock.h"

#include <errno.h>
#include <pthread.h>

#include "sys.h"

/* From <linux/futex.h>, which musl-gcc's include path lacks (musl ships no kernel
 * headers); the values are the kernel ABI since 2.6.22. */
#ifndef FUTEX_WAIT_PRIVATE
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#endif

int ljmm_lock_acquire(ljmm_lock_t *l)
{
	uintptr_t self = (uintptr_t)pthread_self(), expected = 0;
	if (__atomic_compare_exchange_n(&l->owner, &expected, self, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	/* Only this thread ever stores its own id, so seeing it means we interrupted
	 * ourselves inside the critical section. */
	if (expected == self)
		return -EDEADLK;
	__atomic_add_fetch(&l->waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		int seen = __atomic_load_n(&l->seq, __ATOMIC_SEQ_CST);
		expected = 0;
		if (__atomic_compare_exchange_n(&l->owner, &expected, self, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			break;
		/* Sleeps only while seq is unchanged: a release between our load and the
		 * wait bumps it and the wait returns at once. */
		(void)ljmm_sys_futex(&l->seq, FUTEX_WAIT_PRIVATE, seen);
	}
	__atomic_sub_fetch(&l->waiters, 1, __ATOMIC_SEQ_CST);
	return 0;
}

void ljmm_lock_release(ljmm_lock_t *l)
{
	__atomic_store_n(&l->owner, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&l->waiters, __ATOMIC_SEQ_CST)) {
		__atomic_add_fetch(&l->seq, 1, __ATOMIC_SEQ_CST);
		(void)ljmm_sys_futex(&l->seq, FUTEX_WAKE_PRIVATE, 1);
	}
}

void ljmm_lock_reset(ljmm_lock_t *l)
{
	__atomic_store_n(&l->owner, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&l->waiters, 0, __ATOMIC_SEQ_CST);
}
