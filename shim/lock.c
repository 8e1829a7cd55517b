/* SPDX-License-Identifier: MIT */
/* The region lock (see lock.h). */
#include "lock.h"

#include <errno.h>
#include <time.h>

#include "sys.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	if (ljmm_sys_clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int ljmm_lock_acquire(ljmm_lock_t *l, uint64_t self, uint64_t timeout_ns)
{
	uint64_t expected = 0, deadline = 0;
	int ret = 0, timed_out = 0;
	if (__atomic_compare_exchange_n(&l->owner, &expected, self, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	/* Only this thread ever stores its own id, so seeing it means we interrupted
	 * ourselves inside the critical section (or left it by a jump: section.c tells). */
	if (expected == self)
		return -EDEADLK;
	if (timeout_ns)
		deadline = now_ns() + timeout_ns;
	__atomic_add_fetch(&l->waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		int seen = __atomic_load_n(&l->seq, __ATOMIC_SEQ_CST);
		struct timespec ts, *tp = NULL;
		expected = 0;
		if (__atomic_compare_exchange_n(&l->owner, &expected, self, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			break;
		if (deadline) {
			uint64_t now = now_ns();
			if (now >= deadline || timed_out) {
				ret = -ETIMEDOUT;
				break;
			}
			ts.tv_sec = (time_t)((deadline - now) / 1000000000ull);
			ts.tv_nsec = (long)((deadline - now) % 1000000000ull);
			tp = &ts;
		}
		/* Sleeps only while seq is unchanged: a release between our load and the
		 * wait bumps it and the wait returns at once. A wait that timed out waited
		 * until the deadline: without a clock (a seccomp filter refusing clock_gettime,
		 * now_ns() 0 every time) that is the only sign of the time passing. */
		timed_out = ljmm_sys_futex_wait(&l->seq, seen, tp) == -ETIMEDOUT;
	}
	__atomic_sub_fetch(&l->waiters, 1, __ATOMIC_SEQ_CST);
	return ret;
}

int ljmm_lock_take_over(ljmm_lock_t *l, uint64_t from, uint64_t self)
{
	return __atomic_compare_exchange_n(&l->owner, &from, self, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED) ? 0 : -EBUSY;
}

static void wake_one(ljmm_lock_t *l)
{
	if (__atomic_load_n(&l->waiters, __ATOMIC_SEQ_CST)) {
		__atomic_add_fetch(&l->seq, 1, __ATOMIC_SEQ_CST);
		(void)ljmm_sys_futex_wake(&l->seq, 1);
	}
}

void ljmm_lock_release(ljmm_lock_t *l)
{
	__atomic_store_n(&l->owner, 0, __ATOMIC_SEQ_CST);
	wake_one(l);
}

void ljmm_lock_release_if(ljmm_lock_t *l, uint64_t self)
{
	if (__atomic_compare_exchange_n(&l->owner, &self, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		wake_one(l);
}

void ljmm_lock_reset(ljmm_lock_t *l)
{
	__atomic_store_n(&l->owner, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&l->waiters, 0, __ATOMIC_SEQ_CST);
}
