/* SPDX-License-Identifier: MIT */
/* The lock page: where the region lock lives so that a forked child finds it free, and
 * knows it is a child, without pthread_atfork. What the shim does about a fork is
 * section.c's business.
 *
 * A child forked while another thread held the region lock must not wait for a holder
 * that does not exist in it, and must not trust an index that thread may have left
 * half-updated. The lock and an "alive" mark therefore live on a page of their own
 * with MADV_WIPEONFORK (Linux 4.14): the kernel hands every child, however it was
 * forked (fork(), a raw clone() without CLONE_VM), a zeroed copy, so the lock is free and
 * the mark says "forked". The first thread that takes the lock in the child sees the
 * mark and has the index rebuilt (section.c).
 *
 * Why not pthread_atfork: registering a handler touches glibc 2.36 code no other part
 * of a small program uses, and the kernel's fault-around then maps 64 KiB or more of
 * libc's text into the process: measured, that was most of what the shim added to a
 * small process's RSS (bench/rss_probe.c). It remains the fallback when the kernel
 * refuses MADV_WIPEONFORK (before 4.14: EINVAL), or when no page can be mapped at all
 * (then a static state is used). The fallback is chosen once and never switched, so
 * every thread always uses the same lock. */
#include "lockpage.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "sys.h"

static ljmm_lockpage_t *page;     /* atomic: set once, by whoever sets up first */
static int mode;                  /* atomic: an ljmm_lockpage_mode_t */
static ljmm_lockpage_t fallback;  /* used when no page could be mapped */
static int atfork_registered;     /* constructor only */

int ljmm_lockpage_map(ljmm_lockpage_t **out)
{
	long r = ljmm_sys_mmap(NULL, LJMM_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), m;
	if (ljmm_sys_is_err(r))
		return (int)r;
	m = ljmm_sys_madvise((void *)r, LJMM_PAGE, MADV_WIPEONFORK);
	if (ljmm_sys_is_err(m)) {
		ljmm_sys_munmap((void *)r, LJMM_PAGE);
		return (int)m;
	}
	*out = (ljmm_lockpage_t *)r;
	(*out)->alive = 1;
	return 0;
}

void ljmm_lockpage_unmap(ljmm_lockpage_t *p) { ljmm_sys_munmap(p, LJMM_PAGE); }

static ljmm_lockpage_t *setup(int try_wipe)
{
	ljmm_lockpage_t *mine = NULL, *expected = NULL;
	int how = LJMM_LOCKPAGE_WIPE;
	if (!try_wipe || ljmm_lockpage_map(&mine) != 0) {
		mine = &fallback;
		mine->alive = 1;
		how = LJMM_LOCKPAGE_ATFORK;
	}
	if (__atomic_compare_exchange_n(&page, &expected, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&mode, how, __ATOMIC_RELEASE);
		return mine;
	}
	/* Another thread set up first: use its page, give ours back. */
	if (mine != &fallback)
		ljmm_lockpage_unmap(mine);
	return expected;
}

ljmm_lockpage_t *ljmm_lockpage_get(void)
{
	ljmm_lockpage_t *p = __atomic_load_n(&page, __ATOMIC_ACQUIRE);
	return LJMM_LIKELY(p != NULL) ? p : setup(1);
}

int ljmm_lockpage_mode(void) { return __atomic_load_n(&mode, __ATOMIC_ACQUIRE); }

static void child_reset(void)
{
	/* What the kernel does to a wiped page: the child starts with a free lock and a
	 * "forked" mark. The only thread in the child is the one that called fork(). */
	ljmm_lockpage_t *p = __atomic_load_n(&page, __ATOMIC_ACQUIRE);
	ljmm_lock_reset(&p->lock);
	__atomic_store_n(&p->alive, 0, __ATOMIC_SEQ_CST);
}

void ljmm_lockpage_init(void) { ljmm_lockpage_init_with(1); }

void ljmm_lockpage_init_with(int try_wipe)
{
	if (!__atomic_load_n(&page, __ATOMIC_ACQUIRE))
		(void)setup(try_wipe);
	/* pthread_atfork may allocate; that is fine here, in the constructor, outside any
	 * interposed call. */
	if (ljmm_lockpage_mode() == LJMM_LOCKPAGE_ATFORK && !atfork_registered) {
		atfork_registered = 1;
		(void)pthread_atfork(NULL, NULL, child_reset);
	}
}
