/* SPDX-License-Identifier: MIT */
/* Fork detection without pthread_atfork.
 *
 * A child forked while another thread held the region lock must not wait for a holder
 * that does not exist in it, and must not trust an index that thread may have left
 * half-updated. The lock and an "alive" mark therefore live on a page of their own
 * with MADV_WIPEONFORK (Linux 4.14): the kernel hands every child, however it was
 * forked (fork(), a raw clone() without CLONE_VM), a zeroed copy, so the lock is free and
 * the mark says "forked". The first thread that takes the lock in the child sees the
 * mark and has the index rebuilt (alloc.c).
 *
 * Why not pthread_atfork: registering a handler touches glibc 2.36 code no other part
 * of a small program uses, and the kernel's fault-around then maps 64 KiB or more of
 * libc's text into the process: measured, that was most of what the shim added to a
 * small process's RSS (bench/rss_probe.c). It remains the fallback when the kernel
 * refuses MADV_WIPEONFORK (before 4.14: EINVAL), or when no page can be mapped at all
 * (then a static state is used). The fallback is chosen once and never switched, so
 * every thread always uses the same lock. */
#include "fork.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "sys.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

static ljmm_fork_state_t *state;   /* atomic: set once, by whoever sets up first */
static int mode;                   /* atomic: an ljmm_fork_mode_t */
static ljmm_fork_state_t fallback; /* used when no page could be mapped */
static int atfork_registered;      /* constructor only */

int ljmm_fork_map_page(ljmm_fork_state_t **out)
{
	long r = ljmm_sys_mmap(NULL, LJMM_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), m;
	if (ljmm_sys_is_err(r))
		return (int)r;
	m = ljmm_sys_madvise((void *)r, LJMM_PAGE, MADV_WIPEONFORK);
	if (ljmm_sys_is_err(m)) {
		ljmm_sys_munmap((void *)r, LJMM_PAGE);
		return (int)m;
	}
	*out = (ljmm_fork_state_t *)r;
	(*out)->alive = 1;
	return 0;
}

void ljmm_fork_unmap_page(ljmm_fork_state_t *st) { ljmm_sys_munmap(st, LJMM_PAGE); }

static ljmm_fork_state_t *setup(int try_wipe)
{
	ljmm_fork_state_t *mine = NULL, *expected = NULL;
	int how = LJMM_FORK_WIPE;
	if (!try_wipe || ljmm_fork_map_page(&mine) != 0) {
		mine = &fallback;
		mine->alive = 1;
		how = LJMM_FORK_ATFORK;
	}
	if (__atomic_compare_exchange_n(&state, &expected, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&mode, how, __ATOMIC_RELEASE);
		return mine;
	}
	/* Another thread set up first: use its state, give ours back. */
	if (mine != &fallback)
		ljmm_fork_unmap_page(mine);
	return expected;
}

ljmm_fork_state_t *ljmm_fork_state(void)
{
	ljmm_fork_state_t *st = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	return LJMM_LIKELY(st != NULL) ? st : setup(1);
}

int ljmm_fork_mode(void) { return __atomic_load_n(&mode, __ATOMIC_ACQUIRE); }

static void child_reset(void)
{
	/* What the kernel does to a wiped page: the child starts with a free lock and a
	 * "forked" mark. The only thread in the child is the one that called fork(). */
	ljmm_fork_state_t *st = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	ljmm_lock_reset(&st->lock);
	__atomic_store_n(&st->alive, 0, __ATOMIC_SEQ_CST);
}

void ljmm_fork_init(void) { ljmm_fork_init_with(1); }

void ljmm_fork_init_with(int try_wipe)
{
	if (!__atomic_load_n(&state, __ATOMIC_ACQUIRE))
		(void)setup(try_wipe);
	/* pthread_atfork may allocate; that is fine here, in the constructor, outside any
	 * interposed call. */
	if (ljmm_fork_mode() == LJMM_FORK_ATFORK && !atfork_registered) {
		atfork_registered = 1;
		(void)pthread_atfork(NULL, NULL, child_reset);
	}
}
