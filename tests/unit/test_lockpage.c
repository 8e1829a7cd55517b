/* SPDX-License-Identifier: MIT */
/* Unit tests for the lock page (shim/lockpage.c): a child always starts with a free region
 * lock and a "forked" mark, with MADV_WIPEONFORK and with the pthread_atfork fallback,
 * even when another thread of the parent held the lock at the fork. Each test runs in a
 * process of its own (CK_FORK), so each sets the process state up afresh. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/testutil.h"
#include "lockpage.h"
#include "check_main.h"

/* The lock's owner id for the calling thread (unique among live threads). */
#define SELF ((uint64_t)(uintptr_t)pthread_self())

/* What a child reports through its exit status. */
enum { CHILD_OK = 0, CHILD_LOCK_HELD = 10, CHILD_NOT_MARKED = 11, CHILD_ACQUIRE_FAILED = 12, CHILD_OTHER_STATE = 13 };

static const char *child_error(int code)
{
	switch (code) {
	case CHILD_LOCK_HELD: return "the lock is still held in the child";
	case CHILD_NOT_MARKED: return "the child's state is not marked as forked (alive != 0)";
	case CHILD_ACQUIRE_FAILED: return "the child could not take the lock";
	case CHILD_OTHER_STATE: return "the child sees a different state object";
	default: return "unexpected exit status";
	}
}

/* Fork; in the child check st as a fresh child must see it, and take the lock (a
 * deadlock there ends in SIGALRM). Returns the child's exit code, or -signal. */
static int fork_and_check(ljmm_lockpage_t *st, int via_global)
{
	pid_t pid = fork();
	int status;
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(5);
		if (via_global && ljmm_lockpage_get() != st)
			_exit(CHILD_OTHER_STATE);
		if (__atomic_load_n(&st->lock.owner, __ATOMIC_SEQ_CST) != 0)
			_exit(CHILD_LOCK_HELD);
		if (__atomic_load_n(&st->alive, __ATOMIC_SEQ_CST) != 0)
			_exit(CHILD_NOT_MARKED);
		if (ljmm_lock_acquire(&st->lock, SELF, 0) != 0)
			_exit(CHILD_ACQUIRE_FAILED);
		ljmm_lock_release(&st->lock);
		_exit(CHILD_OK);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static void assert_child_ok(int code, const char *what)
{
	ck_assert_msg(code == CHILD_OK, "%s: child %s (%d)", what, code < 0 ? "killed by a signal" : child_error(code), code);
}

START_TEST(test_lockpage_page_is_wiped_in_child)
{
	ljmm_lockpage_t *st;
	int r = ljmm_lockpage_map(&st);
	ck_assert_msg(r == 0, "ljmm_lockpage_map: %s (this kernel lacks MADV_WIPEONFORK?)", strerror(-r));
	ck_assert_int_eq(st->alive, 1);
	ck_assert_int_eq(ljmm_lock_acquire(&st->lock, SELF, 0), 0);
	assert_child_ok(fork_and_check(st, 0), "lock held by the forking thread");
	/* The parent's copy is untouched. */
	ck_assert_int_eq(st->alive, 1);
	ck_assert_int_eq(ljmm_lock_acquire(&st->lock, SELF, 0), -EDEADLK);
	ljmm_lock_release(&st->lock);
	ljmm_lockpage_unmap(st);
}
END_TEST

START_TEST(test_lockpage_unwiped_page_would_deadlock)
{
	/* The control: the same page without the advice keeps the lock held in the child,
	 * which is what the wipe (or the fallback) exists to prevent. */
	ljmm_lockpage_t *st = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(st, MAP_FAILED);
	st->alive = 1;
	ck_assert_int_eq(ljmm_lock_acquire(&st->lock, SELF, 0), 0);
	ck_assert_int_eq(fork_and_check(st, 0), CHILD_LOCK_HELD);
	ljmm_lock_release(&st->lock);
	munmap(st, 4096);
}
END_TEST

struct holder {
	ljmm_lockpage_t *st;
	int ready[2], release[2];
};

static void *hold_lock(void *p)
{
	struct holder *h = p;
	char c = 0;
	ck_assert_int_eq(ljmm_lock_acquire(&h->st->lock, SELF, 0), 0);
	ck_assert_int_eq(write(h->ready[1], &c, 1), 1);
	ck_assert_int_eq(read(h->release[0], &c, 1), 1);
	ljmm_lock_release(&h->st->lock);
	return NULL;
}

/* Another thread holds the lock while the main thread forks: the child's only thread
 * must still get the lock, in both modes. */
static void check_other_thread_holder(int try_wipe, int want_mode)
{
	struct holder h;
	pthread_t t;
	char c;
	ljmm_lockpage_init_with(try_wipe);
	ck_assert_int_eq(ljmm_lockpage_mode(), want_mode);
	h.st = ljmm_lockpage_get();
	ck_assert_ptr_nonnull(h.st);
	ck_assert_int_eq(h.st->alive, 1);
	ck_assert_int_eq(pipe(h.ready), 0);
	ck_assert_int_eq(pipe(h.release), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, hold_lock, &h), 0);
	ck_assert_int_eq(read(h.ready[0], &c, 1), 1);
	assert_child_ok(fork_and_check(h.st, 1), want_mode == LJMM_LOCKPAGE_WIPE ? "wipe-on-fork" : "pthread_atfork fallback");
	ck_assert_int_eq(h.st->alive, 1);
	ck_assert_int_eq(write(h.release[1], &c, 1), 1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	/* Released in the parent: free again. */
	ck_assert_int_eq(ljmm_lock_acquire(&h.st->lock, SELF, 0), 0);
	ljmm_lock_release(&h.st->lock);
}

START_TEST(test_lockpage_wipe_frees_lock_held_by_other_thread)
{
	check_other_thread_holder(1, LJMM_LOCKPAGE_WIPE);
}
END_TEST

START_TEST(test_lockpage_atfork_fallback_frees_lock_held_by_other_thread)
{
	check_other_thread_holder(0, LJMM_LOCKPAGE_ATFORK);
}
END_TEST

START_TEST(test_lockpage_state_set_up_once)
{
	/* Lazy set-up and the constructor's agree on one state, and it never changes:
	 * every thread must use the same lock. */
	ljmm_lockpage_t *a = ljmm_lockpage_get();
	ljmm_lockpage_init();
	ck_assert_ptr_eq(ljmm_lockpage_get(), a);
	ljmm_lockpage_init_with(0);
	ck_assert_ptr_eq(ljmm_lockpage_get(), a);
	ck_assert_int_eq(ljmm_lockpage_mode(), LJMM_LOCKPAGE_WIPE);
}
END_TEST

START_TEST(test_lockpage_grandchild_also_reset)
{
	/* A child that marks itself alive again (as alloc.c does on its first lock) and
	 * forks in turn gives its own child a reset state too. */
	ljmm_lockpage_t *st = ljmm_lockpage_get();
	pid_t pid = fork();
	int status;
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (st->alive != 0)
			_exit(CHILD_NOT_MARKED);
		st->alive = 1;
		if (ljmm_lock_acquire(&st->lock, SELF, 0) != 0)
			_exit(CHILD_ACQUIRE_FAILED);
		_exit(fork_and_check(st, 1) == CHILD_OK ? CHILD_OK : CHILD_LOCK_HELD);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == CHILD_OK, "status %#x", status);
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_lockpage_page_is_wiped_in_child, 1},
	{&test_lockpage_unwiped_page_would_deadlock, 1},
	{&test_lockpage_wipe_frees_lock_held_by_other_thread, 1},
	{&test_lockpage_atfork_fallback_frees_lock_held_by_other_thread, 1},
	{&test_lockpage_state_set_up_once, 1},
	{&test_lockpage_grandchild_also_reset, 1},
};

const ljmm_unit_t ljmm_unit = {.name = "lockpage", .timeout = 30, .needs_fork = 1,
				 .tests = tests, .count = NELEM(tests)};
