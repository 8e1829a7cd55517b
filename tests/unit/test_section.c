/* SPDX-License-Identifier: MIT */
/* The region's critical section (shim/section.c, with lock.c and lockpage.c beneath it),
 * scripted against the fake kernel: a signal handler that re-enters stands aside; a
 * section left by a jump is taken over; a holder that died is taken over after 1 s of the
 * fake clock, a live stuck one makes the caller give up once and never wait for it again
 * (a handler that interrupts a thread waiting for it waits too);
 * a forked child starts afresh, also when the fork came from inside one of its sections.
 * Handlers are simulated by calls from deeper frames while a section is open, and also
 * run for real (raise) on the thread's stack and on an alternate signal stack. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/testutil.h"
#include "alloc.h"
#include "check_main.h"
#include "index.h"
#include "internal.h"
#include "lock.h"
#include "lockpage.h"
#include "scenario.h"
#include "section.h"

#define SECOND 1000000000ull

/* The window full, [16M, 48M) free, a first block at 47M: the index is built and the hint
 * set, so every later MAP_32BIT request goes straight to the section. */
static void start(void)
{
	sc_start(NULL);
	ck_assert_int_eq(fk_map(64 * K, 16 * M, RW), 0);
	ck_assert_int_eq(fk_map(48 * M, 2 * G, RW), 0);
	ck_assert_int_eq(sc_map32(M), (long)(47 * M));
}

/* A MAP_32BIT request from a frame below the caller's: what a signal handler that
 * interrupted the caller would make. */
static __attribute__((noinline)) long from_a_handler(size_t len)
{
	long r = sc_map32(len);
	__asm__ volatile("" ::: "memory");
	return r;
}

/* ---- re-entry from a signal handler ---------------------------------------------------- */

static const struct {
	const char *what;
	int altstack;
} reentry_cases[] = {
	{"no alternate stack", FK_ALTSTACK_DISABLED},
	{"sigaltstack cannot be read", FK_ALTSTACK_FAIL},
	{"the thread's real sigaltstack (none set)", FK_ALTSTACK_REAL},
};

START_TEST(test_section_reentry_stands_aside)
{
	ljmm_section_t outer;
	unsigned opens;
	start();
	fk_set_altstack(reentry_cases[_i].altstack);
	ck_assert_int_eq(ljmm_section_enter(&outer), 0);
	/* The handler's request leaves the index alone: the kernel answers, alone. */
	ck_assert_int_eq(from_a_handler(M), -ENOMEM);
	ck_assert_uint_eq(sc_stats().signal_reentries, 1);
	ck_assert_uint_eq(sc_stats().region_served, 1);
	ck_assert_uint_eq(sc_stats().section_recoveries, 0);
	/* Its ENOMEM counts in failed=, but prints no "low 2 GiB is full" line: the region,
	 * never asked, may have room. */
	ck_assert_uint_eq(sc_stats().failures, 1);
	ck_assert_int_eq(sc_count(fk_stderr_text(), "the low 2 GiB is full"), 0);
	ljmm_section_leave(&outer);
	/* Its kernel-only call changed nothing: the index stays good, no rebuild needed. */
	opens = fk_count.open_maps;
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_uint_eq(fk_count.open_maps, opens);
	sc_verified(reentry_cases[_i].what);
}

/* Issue 17: a seccomp filter that refuses mincore. The handler's section could not read
 * the interrupted one's token and took it for abandoned: the lock was taken over while
 * the section it interrupted was half-way through an update. Now it stands aside. */
START_TEST(test_section_reentry_with_mincore_refused_stands_aside)
{
	ljmm_section_t outer;
	start();
	fk_set_altstack(FK_ALTSTACK_DISABLED);
	ck_assert_int_eq(ljmm_section_enter(&outer), 0);
	fk_fail_always(FK_SYS_MINCORE, _i ? ENOSYS : EPERM);
	ck_assert_int_eq(from_a_handler(M), -ENOMEM);
	fk_fail_always(FK_SYS_MINCORE, 0);
	ck_assert_uint_eq(sc_stats().signal_reentries, 1);
	ck_assert_uint_eq(sc_stats().section_recoveries, 0);
	ck_assert_uint_eq(sc_stats().region_served, 1);
	ljmm_section_leave(&outer);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	sc_verified("after a re-entry with mincore refused");
}
END_TEST

/* A handler inside the shim whose kernel-only call does change the region (the window
 * had room for it, or it unmapped a region block): the index is marked stale and the
 * next section rebuilds it. */
START_TEST(test_section_reentry_that_changes_the_region_marks_it_stale)
{
	ljmm_section_t outer;
	unsigned opens;
	long r;
	start();
	ck_assert_int_eq(ljmm_section_enter(&outer), 0);
	r = from_a_handler(M);
	ck_assert_int_eq(r, -ENOMEM);
	ck_assert(!ljmm_index_stale()); /* a failed request changed nothing */
	/* The "handler" unmaps the block the region served at start (47M). */
	ck_assert_int_eq(sc_munmap(47 * M, M), 0);
	ck_assert(ljmm_index_stale());
	ljmm_section_leave(&outer);
	opens = fk_count.open_maps;
	ck_assert_int_eq(sc_map32(M), (long)(47 * M)); /* the freed block, found by the rebuild */
	ck_assert_uint_eq(fk_count.open_maps, opens + 1);
	sc_verified("a re-entry that freed a region block");
}
END_TEST

static volatile long handler_result;

/* The thread's real alternate signal stack (128 KiB), read by the fake's sigaltstack, and
 * fn as the handler of sig, run on it (on_altstack) or on the thread's stack. */
static void real_handler(int sig, void (*fn)(int), int on_altstack)
{
	static char altstack[128 * 1024];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
	struct sigaction sa;
	fk_set_altstack(FK_ALTSTACK_REAL);
	ck_assert_int_eq(sigaltstack(&ss, NULL), 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = on_altstack ? SA_ONSTACK : 0;
	ck_assert_int_eq(sigaction(sig, &sa, NULL), 0);
}

static void map_in_handler(int sig)
{
	(void)sig;
	handler_result = sc_map32(M);
}

static const struct {
	const char *what;
	int on_altstack;
} real_signal_cases[] = {
	{"a real handler on the thread's stack", 0},
	{"a real handler on an alternate signal stack", 1},
};

START_TEST(test_section_reentry_from_a_real_handler)
{
	ljmm_section_t outer;
	start();
	real_handler(SIGUSR1, map_in_handler, real_signal_cases[_i].on_altstack);
	ck_assert_int_eq(ljmm_section_enter(&outer), 0);
	raise(SIGUSR1);
	ck_assert_int_eq(handler_result, -ENOMEM);
	ck_assert_uint_eq(sc_stats().signal_reentries, 1);
	ljmm_section_leave(&outer);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_uint_eq(sc_stats().section_recoveries, 0);
	sc_verified(real_signal_cases[_i].what);
}
END_TEST

/* ---- a section left by a jump ----------------------------------------------------------- */

/* Enter a section deep down the stack and never leave it: what a siglongjmp out of a
 * handler that was inside the shim leaves behind. */
static __attribute__((noinline)) void enter_and_forget(int depth)
{
	volatile char pad[4096];
	ljmm_section_t sec;
	pad[0] = (char)depth;
	if (depth > 0) {
		enter_and_forget(depth - 1);
	} else {
		ck_assert_int_eq(ljmm_section_enter(&sec), 0);
	}
	__asm__ volatile("" ::"r"(pad) : "memory");
}

START_TEST(test_section_abandoned_by_a_jump_is_taken_over)
{
	unsigned opens;
	start();
	enter_and_forget(8);
	opens = fk_count.open_maps;
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_uint_eq(sc_stats().section_recoveries, 1);
	ck_assert_uint_eq(sc_stats().signal_reentries, 0);
	ck_assert_uint_eq(fk_count.open_maps, opens + 1); /* the jump may have cut an update short */
	ck_assert_uint_eq(fk_count.futex_wait, 0);        /* nothing waited */
	sc_verified("taken over");
}
END_TEST

/* Called twice from the same place: its mark stands at the same address both times. */
static __attribute__((noinline)) int enter_here(int leave)
{
	ljmm_section_t sec;
	int r = ljmm_section_enter(&sec);
	if (r == 0 && leave)
		ljmm_section_leave(&sec);
	return r;
}

START_TEST(test_section_abandoned_at_the_same_place)
{
	start();
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(enter_here(0), 0);
	ck_assert_int_eq(enter_here(1), 0);
	ck_assert_uint_eq(sc_stats().section_recoveries, 2);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	sc_verified("after three sections at one place");
}
END_TEST

START_TEST(test_section_forgotten_sections_are_pruned)
{
	/* More abandoned sections than the thread's record holds (8): the ones no longer
	 * running are forgotten to make room. */
	start();
	for (int i = 0; i < 12; i++)
		enter_and_forget(8);
	ck_assert_uint_eq(sc_stats().section_recoveries, 11);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_uint_eq(sc_stats().section_recoveries, 12);
	ck_assert_uint_eq(sc_stats().signal_reentries, 0);
	sc_verified("after pruning");
}
END_TEST

static sigjmp_buf jump_back;

static void enter_and_jump(int sig)
{
	ljmm_section_t sec;
	(void)sig;
	ck_assert_int_eq(ljmm_section_enter(&sec), 0);
	siglongjmp(jump_back, 1);
}

START_TEST(test_section_abandoned_by_a_real_siglongjmp)
{
	start();
	real_handler(SIGUSR1, enter_and_jump, _i);
	if (!sigsetjmp(jump_back, 1))
		raise(SIGUSR1);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_uint_eq(sc_stats().section_recoveries, 1);
	sc_verified(_i ? "a jump out of a handler on the alternate stack" : "a jump out of a handler");
}
END_TEST

/* ---- marks below the alternate stack, and marks on one that is gone ------------------------- */

/* A thread whose stack lies just below its alternate signal stack (one mapping, the top
 * 64 KiB of it the alternate stack): its marks are below the alternate stack's start. */
#define LOW_STACK (1024 * 1024)
#define ALT_SIZE (64 * 1024)

typedef struct {
	char *alt;
	int what;
	long result;
} low_t;

static void *on_a_low_stack(void *arg)
{
	low_t *t = arg;
	stack_t ss = {.ss_sp = t->alt, .ss_size = ALT_SIZE, .ss_flags = 0};
	ljmm_section_t outer;
	ck_assert_int_eq(sigaltstack(&ss, NULL), 0);
	ck_assert((char *)&outer < t->alt);
	if (t->what == 0) {
		/* A re-entry: the interrupted section's mark is below the alternate stack. */
		ck_assert_int_eq(ljmm_section_enter(&outer), 0);
		t->result = from_a_handler(M);
		ljmm_section_leave(&outer);
		return NULL;
	}
	/* A handler on the alternate stack enters and jumps out; then that stack goes away:
	 * the mark left on it cannot be read, so its section is not running. */
	if (!sigsetjmp(jump_back, 1))
		raise(SIGUSR1);
	ss.ss_flags = SS_DISABLE;
	ck_assert_int_eq(sigaltstack(&ss, NULL), 0);
	ck_assert_int_eq(munmap(t->alt, ALT_SIZE), 0);
	t->result = sc_map32(M);
	return NULL;
}

START_TEST(test_section_marks_and_the_alternate_stack)
{
	struct sigaction sa;
	pthread_attr_t attr;
	pthread_t th;
	low_t t = {NULL, _i, 0};
	char *mem = mmap(NULL, LOW_STACK + ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(mem != MAP_FAILED);
	t.alt = mem + LOW_STACK;
	start();
	fk_set_altstack(FK_ALTSTACK_REAL);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = enter_and_jump;
	sa.sa_flags = SA_ONSTACK;
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	pthread_attr_init(&attr);
	ck_assert_int_eq(pthread_attr_setstack(&attr, mem, LOW_STACK), 0);
	ck_assert_int_eq(pthread_create(&th, &attr, on_a_low_stack, &t), 0);
	pthread_join(th, NULL);
	if (_i == 0) {
		ck_assert_int_eq(t.result, -ENOMEM);
		ck_assert_uint_eq(sc_stats().signal_reentries, 1);
	} else {
		ck_assert_int_eq(t.result, (long)(46 * M));
		ck_assert_uint_eq(sc_stats().section_recoveries, 1);
	}
}
END_TEST

/* ---- another thread holds the lock --------------------------------------------------------- */

typedef struct {
	long tid;
	sem_t holding, release;
	int leave; /* leave the section when released (else: exit holding it) */
} holder_t;

static void *hold(void *arg)
{
	holder_t *h = arg;
	ljmm_section_t sec;
	fk_thread_self(h->tid);
	ck_assert_int_eq(ljmm_section_enter(&sec), 0);
	sem_post(&h->holding);
	if (h->leave) {
		sem_wait(&h->release);
		ljmm_section_leave(&sec);
	}
	return NULL;
}

static pthread_t start_holder(holder_t *h, long tid, int leave)
{
	pthread_t t;
	h->tid = tid;
	h->leave = leave;
	sem_init(&h->holding, 0, 0);
	sem_init(&h->release, 0, 0);
	fk_thread_alive(tid, 1);
	ck_assert_int_eq(pthread_create(&t, NULL, hold, h), 0);
	sem_wait(&h->holding);
	return t;
}

START_TEST(test_section_dead_holder_is_taken_over_after_the_limit)
{
	holder_t h;
	pthread_t t;
	uint64_t t0;
	start();
	t = start_holder(&h, 2001, 0);
	pthread_join(t, NULL); /* it exits holding the lock: cancelled inside the shim */
	fk_thread_alive(2001, 0);
	t0 = fk_clock_ns();
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_uint_eq(fk_clock_ns() - t0, SECOND); /* waited exactly the limit */
	ck_assert_uint_eq(fk_count.tgkill, 1); /* our thread group only */
	ck_assert_uint_eq(sc_stats().section_recoveries, 1);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 0);
	sc_verified("taken over from a dead thread");
}
END_TEST

/* Issue 17: a holder that is not in our thread group but whose process lives (a forked
 * child's copy of the lock names the parent's thread) is gone for us: taken over. Asking
 * whether a process with that id exists made forked children give up. */
START_TEST(test_section_holder_in_another_live_process_is_taken_over)
{
	holder_t h;
	pthread_t t;
	start();
	t = start_holder(&h, 3001, 1);
	fk_thread_alive(3001, 0);
	fk_process_alive(3001, 1);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_uint_eq(sc_stats().section_recoveries, 1);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 0);
	fk_process_alive(3001, 0);
	sem_post(&h.release);
	pthread_join(t, NULL);
}
END_TEST

/* A handler that interrupts its thread while that thread waits for a lock another thread
 * holds is no re-entry: it waits too, like any call, up to the limit (README.md, "Guarantees
 * and limits"). The fake futex wait runs the hook where the handler would run. */
static int waiting_handler_calls;
static long waiting_handler_result;
static uint64_t waiting_handler_waited;

static void handler_in_the_wait(void *ctx)
{
	uint64_t t0;
	(void)ctx;
	if (waiting_handler_calls++)
		return; /* the handler's own wait */
	t0 = fk_clock_ns();
	waiting_handler_result = from_a_handler(M);
	waiting_handler_waited = fk_clock_ns() - t0;
}

START_TEST(test_section_handler_interrupting_a_wait_waits_too)
{
	holder_t h;
	pthread_t t;
	start();
	t = start_holder(&h, 2011, 1);
	fk_hook_futex(handler_in_the_wait, NULL);
	ck_assert_int_eq(sc_map32(M), -ENOMEM); /* the interrupted wait goes on, and gives up in its turn */
	fk_hook_futex(NULL, NULL);
	ck_assert_int_eq(waiting_handler_calls, 2);
	ck_assert_int_eq(waiting_handler_result, -ENOMEM); /* the kernel alone, after the wait */
	ck_assert_uint_eq(waiting_handler_waited, SECOND);  /* the whole limit, not at once */
	ck_assert_uint_eq(sc_stats().signal_reentries, 0);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 2);
	sem_post(&h.release);
	pthread_join(t, NULL);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	sc_verified("after the holder left");
}
END_TEST

START_TEST(test_section_stuck_live_holder_gives_up_once)
{
	holder_t h;
	pthread_t t;
	uint64_t t0;
	start();
	t = start_holder(&h, 2002, 1);
	/* A live holder past the limit: the call gives up, answered by the kernel alone... */
	t0 = fk_clock_ns();
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(fk_clock_ns() - t0, SECOND);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 1);
	ck_assert_uint_eq(sc_stats().section_recoveries, 0);
	/* ...and the next does not wait for that holder again (1 ns, not 1 s). */
	t0 = fk_clock_ns();
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_le(fk_clock_ns() - t0, 1);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 2);
	ck_assert_uint_eq(sc_stats().region_served, 1);
	/* Once it leaves, the region serves again, from a rebuilt index. */
	sem_post(&h.release);
	pthread_join(t, NULL);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	sc_verified("after the holder left");
}
END_TEST

/* A holder that leaves and then enters again: stuck once is not stuck for ever. */
static void *hold_twice(void *arg)
{
	holder_t *h = arg;
	ljmm_section_t sec;
	fk_thread_self(h->tid);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(ljmm_section_enter(&sec), 0);
		sem_post(&h->holding);
		sem_wait(&h->release);
		ljmm_section_leave(&sec);
	}
	return NULL;
}

START_TEST(test_section_stuck_holder_that_left_is_waited_for_again)
{
	holder_t h = {.tid = 2004};
	pthread_t t;
	uint64_t t0;
	start();
	sem_init(&h.holding, 0, 0);
	sem_init(&h.release, 0, 0);
	fk_thread_alive(h.tid, 1);
	ck_assert_int_eq(pthread_create(&t, NULL, hold_twice, &h), 0);
	sem_wait(&h.holding);
	ck_assert_int_eq(sc_map32(M), -ENOMEM); /* gave up after the limit */
	ck_assert_uint_eq(sc_stats().lock_timeouts, 1);
	/* It left its section (it was slow, not stuck) and holds the lock again, as any
	 * thread does for a moment: a waiter waits for it again, the full limit, instead of
	 * giving up at once for as long as the process lives. */
	sem_post(&h.release);
	sem_wait(&h.holding);
	t0 = fk_clock_ns();
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(fk_clock_ns() - t0, SECOND);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 2);
	sem_post(&h.release);
	pthread_join(t, NULL);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	sc_verified("after the holder left twice");
}
END_TEST

/* While a waiter gives up at once on a stuck holder, that holder leaves and another
 * thread takes the lock: the newcomer was not waited for, so it is not marked stuck (it
 * once was: the mark moved from holder to holder, and nobody waited again). */
static holder_t handover_old, handover_new;
static pthread_t handover_old_t, handover_new_t;

static void hand_over(void *ctx)
{
	(void)ctx;
	fk_hook_futex(NULL, NULL);
	sem_post(&handover_old.release);
	pthread_join(handover_old_t, NULL);
	handover_new_t = start_holder(&handover_new, 2007, 1);
}

START_TEST(test_section_stuck_mark_does_not_move_to_the_next_holder)
{
	uint64_t t0;
	start();
	handover_old_t = start_holder(&handover_old, 2006, 1);
	ck_assert_int_eq(sc_map32(M), -ENOMEM); /* waited 1 s: 2006 is stuck */
	fk_hook_futex(hand_over, NULL);
	t0 = fk_clock_ns();
	ck_assert_int_eq(sc_map32(M), -ENOMEM); /* gave up at once; meanwhile 2007 holds it */
	ck_assert_uint_le(fk_clock_ns() - t0, 1);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 2);
	t0 = fk_clock_ns();
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(fk_clock_ns() - t0, SECOND); /* 2007 is waited for, the full limit */
	sem_post(&handover_new.release);
	pthread_join(handover_new_t, NULL);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	sc_verified("after the hand-over");
}
END_TEST

/* A handler that runs in the instant between a section's storing its entry and counting
 * it uses the same slot for its own section, start to end. The outer section must still
 * be on record afterwards: a second handler, inside the outer section, is a re-entry and
 * must not take the lock over (once it did: the outer's entry was the first handler's,
 * so no section of the thread seemed to run). */
static int slot_points;
static long slot_handler_result;

static void handler_at_the_slot(const char *where)
{
	if (strcmp(where, "section: entry stored, not yet counted") != 0 || slot_points++)
		return;
	slot_handler_result = from_a_handler(M);
}

/* The same with the record full: seven entries left by jumps out of sections that were
 * waiting for the lock (deep on the stack, so they no longer run), then the outer
 * section's entry in the last slot. A first handler, between the outer's store and
 * count, leaves its own entry in that slot; a second, between the count and the second
 * store, finds the record full and prunes it, which drops every entry and moves the top
 * to 0. The outer section must push again at the new top (it once stored into a slot
 * no longer counted, so that a handler inside it found no running section and took the
 * lock over). */
static jmp_buf jumped_out;
static int point_calls[2], point_nesting;
static long point_results[2];

static void jump_out_of_the_wait(void *ctx)
{
	(void)ctx;
	longjmp(jumped_out, 1);
}

static __attribute__((noinline)) void enter_deep_and_jump(void)
{
	volatile char pad[64 * 1024];
	ljmm_section_t sec;
	pad[0] = 0;
	(void)pad[0];
	(void)ljmm_section_enter(&sec); /* waits for the holder: the futex hook jumps out */
	ck_abort_msg("the wait returned");
}

static void handlers_at_both_points(const char *where)
{
	int which = strcmp(where, "section: entry stored, not yet counted") == 0 ? 0 : 1;
	if (point_nesting || point_calls[which]++)
		return;
	point_nesting = 1;
	point_results[which] = from_a_handler(M);
	point_nesting = 0;
}

START_TEST(test_section_full_record_pruned_by_a_handler_mid_entry)
{
	holder_t h;
	pthread_t t;
	ljmm_section_t outer;
	start();
	t = start_holder(&h, 2008, 1);
	fk_hook_futex(jump_out_of_the_wait, NULL);
	for (int i = 0; i < 7; i++)
		if (setjmp(jumped_out) == 0)
			enter_deep_and_jump();
	fk_hook_futex(NULL, NULL);
	sem_post(&h.release);
	pthread_join(t, NULL);
	ljmm_test_point = handlers_at_both_points;
	ck_assert_int_eq(ljmm_section_enter(&outer), 0);
	ljmm_test_point = NULL;
	ck_assert_int_eq(point_calls[0], 2); /* the outer's store, and its store again at the new top */
	ck_assert_int_eq(point_calls[1], 2);
	ck_assert_int_eq(point_results[0], (long)(46 * M)); /* both handlers served, the lock free */
	ck_assert_int_eq(point_results[1], (long)(45 * M));
	ck_assert_int_eq(from_a_handler(M), -ENOMEM); /* a re-entry: the outer is on record */
	ck_assert_uint_eq(sc_stats().signal_reentries, 1);
	ck_assert_uint_eq(sc_stats().section_recoveries, 0);
	ljmm_section_leave(&outer);
	sc_verified("after a prune in the middle of an entry");
}
END_TEST

START_TEST(test_section_handler_between_entry_and_count_keeps_the_record)
{
	ljmm_section_t outer;
	start();
	slot_points = 0;
	ljmm_test_point = handler_at_the_slot;
	ck_assert_int_eq(ljmm_section_enter(&outer), 0);
	ljmm_test_point = NULL;
	ck_assert_int_eq(slot_points, 2); /* the outer's point, then the handler's own */
	/* The lock was free then: the handler's request was served by the region. */
	ck_assert_int_eq(slot_handler_result, (long)(46 * M));
	ck_assert_int_eq(from_a_handler(M), -ENOMEM);
	ck_assert_uint_eq(sc_stats().signal_reentries, 1);
	ck_assert_uint_eq(sc_stats().section_recoveries, 0);
	ljmm_section_leave(&outer);
	ck_assert_int_eq(sc_map32(M), (long)(45 * M));
	sc_verified("after a handler at the slot");
}
END_TEST

static holder_t *to_release;

static void release_holder(void *ctx)
{
	pthread_t *t = ctx;
	fk_hook_futex(NULL, NULL);
	sem_post(&to_release->release);
	pthread_join(*t, NULL);
}

START_TEST(test_section_waiter_is_woken_by_the_release)
{
	holder_t h;
	pthread_t t;
	uint64_t t0;
	start();
	t = start_holder(&h, 2003, 1);
	to_release = &h;
	/* While this thread waits, the holder leaves and wakes it. */
	fk_hook_futex(release_holder, &t);
	t0 = fk_clock_ns();
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_uint_eq(fk_clock_ns(), t0);
	ck_assert_uint_eq(fk_count.futex_wait, 1);
	ck_assert_uint_eq(fk_count.futex_wake, 1);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 0);
	sc_verified("after the wait");
}
END_TEST

/* With 8 sections of one thread already entered (handlers nested that deep, each waiting
 * for the lock), the next one is a re-entry that must not touch the thread's record of
 * the 8 running ones (it once did, through a pop of a frame never pushed: then the
 * section that got the lock had no record of itself, and a handler interrupting it took
 * the lock over and changed the index under it). So the handler's call below, inside the
 * 8th section, is a re-entry too. */
static int nest_level, nested_result[16];
static holder_t *nest_holder;
static pthread_t nest_thread;

static void nest(void *ctx)
{
	ljmm_section_t sec;
	int level = ++nest_level;
	(void)ctx;
	if (level == 9) {
		/* The 9th: the thread's record is full of running sections. */
		nested_result[level] = ljmm_section_enter(&sec);
		fk_hook_futex(NULL, NULL);
		sem_post(&nest_holder->release);
		pthread_join(nest_thread, NULL);
	} else {
		nested_result[level] = ljmm_section_enter(&sec);
		if (nested_result[level] == 0) {
			if (level == 8) {
				/* A handler interrupts the section that got the lock. */
				ljmm_section_t inner;
				nested_result[10] = ljmm_section_enter(&inner);
				if (nested_result[10] == 0)
					ljmm_section_leave(&inner);
			}
			ljmm_section_leave(&sec);
		}
	}
	nest_level--;
}

START_TEST(test_section_nested_handlers_fill_the_record)
{
	holder_t h;
	start();
	nest_thread = start_holder(&h, 2004, 1);
	nest_holder = &h;
	fk_hook_futex(nest, NULL);
	nest(NULL);
	ck_assert_int_eq(nested_result[9], -EDEADLK);
	ck_assert_int_eq(nested_result[8], 0);
	ck_assert_int_eq(nested_result[10], -EDEADLK);
	ck_assert_uint_eq(sc_stats().section_recoveries, 0);
}
END_TEST

/* ---- fork ------------------------------------------------------------------------------------- */

START_TEST(test_section_fork_reset)
{
	holder_t h;
	pthread_t t = 0;
	uint64_t t0;
	unsigned opens;
	start();
	/* _i == 1: another thread holds the lock at the fork; it does not exist in the child. */
	if (_i)
		t = start_holder(&h, 2005, 1);
	fake_fork();
	opens = fk_count.open_maps;
	t0 = fk_clock_ns();
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_uint_eq(fk_clock_ns(), t0); /* the child's lock is free: no wait */
	ck_assert_uint_eq(sc_stats().fork_resets, 1);
	ck_assert_uint_eq(fk_count.open_maps, opens + 1); /* the child's own picture */
	ck_assert_int_eq(sc_map32(M), (long)(45 * M));
	ck_assert_uint_eq(sc_stats().fork_resets, 1);
	sc_verified("in the child");
	if (_i) {
		sem_post(&h.release);
		pthread_join(t, NULL);
	}
}
END_TEST

START_TEST(test_section_fork_inside_our_own_section)
{
	ljmm_section_t outer;
	start();
	ck_assert_int_eq(ljmm_section_enter(&outer), 0);
	/* A handler interrupts the section and forks; in the child the handler maps. */
	fake_fork();
	ck_assert_int_eq(from_a_handler(M), -ENOMEM);
	ck_assert_uint_eq(sc_stats().signal_reentries, 1);
	ck_assert_uint_eq(sc_stats().fork_resets, 0);
	/* The interrupted section resumes and finishes; the section after it resets. */
	ljmm_section_leave(&outer);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	ck_assert_uint_eq(sc_stats().fork_resets, 1);
	sc_verified("in the child, after the section");
}
END_TEST

/* ---- every entry point from a handler ---------------------------------------------------- */

/* What a handler calls while the thread is inside a section: everything reaches the kernel,
 * nothing touches the index, which is rebuilt afterwards. */
static __attribute__((noinline)) void handler_calls(long block)
{
	ck_assert_int_eq(sc_munmap((uintptr_t)block, M), 0);
	ck_assert_int_eq(sc_mmap(30 * M, M, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), (long)(30 * M));
	ck_assert_int_eq(sc_mremap(30 * M, M, M, MREMAP_FIXED | MREMAP_MAYMOVE, 20 * M), (long)(20 * M));
	ck_assert_int_eq(sc_mremap(20 * M, M, 2 * M, 0, 0), (long)(20 * M));
	ck_assert_int_eq(ljmm_alloc_verify(), -EAGAIN);
	/* The window had room freed behind the shim's back: the kernel serves the handler,
	 * which the index does not record (it is rebuilt). */
	ck_assert_int_eq(sc_map32(M), (long)(G + 64 * M));
}

START_TEST(test_section_handler_calls_leave_the_index_alone)
{
	ljmm_section_t outer;
	long block;
	start();
	block = sc_map32(M);
	ck_assert_int_eq(block, (long)(46 * M));
	fk_unmap(G + 64 * M, G + 65 * M);
	ck_assert_int_eq(ljmm_section_enter(&outer), 0);
	handler_calls(block);
	ck_assert_uint_eq(sc_stats().signal_reentries, 6);
	ljmm_section_leave(&outer);
	/* Calls after it, with the index stale, record nothing until the rebuild. */
	ck_assert_int_eq(ljmm_alloc_verify(), -EAGAIN);
	ck_assert_int_eq(sc_mmap(40 * M, M, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), (long)(40 * M));
	ck_assert_int_eq(sc_munmap(40 * M, M), 0);
	ck_assert_int_eq(sc_mremap(20 * M, 2 * M, 2 * M, MREMAP_FIXED | MREMAP_MAYMOVE, 24 * M), (long)(24 * M));
	/* The handler's kernel-served block dropped the hint: the kernel is asked, then the
	 * rebuilt index serves [16M, 24M), the best fit, at its top. */
	ck_assert_int_eq(sc_map32(M), (long)(23 * M));
	sc_verified("rebuilt after the handler");
}
END_TEST

/* ---- the lock when the clock fails, and a take-over that loses ------------------------------- */

START_TEST(test_section_failing_clock_does_not_wait_forever)
{
	holder_t h;
	pthread_t t;
	start();
	t = start_holder(&h, 2006, 1);
	fk_fail_next(FK_SYS_CLOCK, EINVAL); /* the deadline is computed from 0 */
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(fk_count.futex_wait, 0);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 1);
	sem_post(&h.release);
	pthread_join(t, NULL);
}
END_TEST

/* Issue 17: a seccomp filter that refuses clock_gettime every time. The deadline was
 * computed from 0 and never reached: each 1 s wait timed out and the next began. A wait
 * that times out now ends it. */
START_TEST(test_section_clock_refused_every_time_gives_up)
{
	holder_t h;
	pthread_t t;
	start();
	t = start_holder(&h, 2006, 1);
	fk_fail_always(FK_SYS_CLOCK, EPERM);
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_le(fk_count.futex_wait, 2);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 1);
	fk_fail_always(FK_SYS_CLOCK, 0);
	sem_post(&h.release);
	pthread_join(t, NULL);
}
END_TEST

static holder_t *switching;

/* Between the holder's death being seen and the take-over, another thread takes the lock. */
static void another_takes_it(void *ctx)
{
	pthread_t *t = ctx;
	fk_hook_call(FK_SYS_TGKILL, NULL, NULL);
	*t = start_holder(switching, 2008, 1);
}

START_TEST(test_section_take_over_lost_to_another_thread)
{
	holder_t dead, next;
	pthread_t t, t2;
	start();
	t = start_holder(&dead, 2007, 0);
	pthread_join(t, NULL);
	fk_thread_alive(2007, 0);
	switching = &next;
	/* The dead holder's lock is released and taken by a live thread just as this one
	 * asks whether the holder exists. */
	fk_hook_call(FK_SYS_TGKILL, another_takes_it, &t2);
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	/* The other thread took the dead holder's lock over (after its own wait); this one
	 * found the lock no longer the dead holder's, and gave up rather than take it. */
	ck_assert_uint_eq(sc_stats().section_recoveries, 1);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 1);
	sem_post(&next.release);
	pthread_join(t2, NULL);
}
END_TEST

/* A dead holder's lock, released by "someone" while the taker looks: take_over's CAS fails. */
static ljmm_lock_t *lock_of_page(void);
static void free_the_lock(void *ctx)
{
	(void)ctx;
	fk_hook_call(FK_SYS_TGKILL, NULL, NULL);
	__atomic_store_n(&lock_of_page()->owner, 12345, __ATOMIC_SEQ_CST);
}

static ljmm_lock_t *lock_of_page(void) { return &ljmm_lockpage_get()->lock; }

START_TEST(test_section_take_over_cas_fails)
{
	holder_t dead;
	pthread_t t;
	start();
	t = start_holder(&dead, 2009, 0);
	pthread_join(t, NULL);
	fk_thread_alive(2009, 0);
	fk_hook_call(FK_SYS_TGKILL, free_the_lock, NULL);
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_uint_eq(sc_stats().lock_timeouts, 1);
	ck_assert_uint_eq(sc_stats().section_recoveries, 0);
}
END_TEST

/* ---- nested handlers on the alternate stack ------------------------------------------------- */

static volatile long inner_result;

static void inner_handler(int sig)
{
	(void)sig;
	inner_result = sc_map32(M);
}

static void outer_handler(int sig)
{
	ljmm_section_t sec;
	(void)sig;
	ck_assert_int_eq(ljmm_section_enter(&sec), 0);
	raise(SIGUSR2); /* a second handler, nested on the same alternate stack */
	ljmm_section_leave(&sec);
}

START_TEST(test_section_nested_handlers_on_the_alternate_stack)
{
	start();
	real_handler(SIGUSR2, inner_handler, 1);
	real_handler(SIGUSR1, outer_handler, 1);
	raise(SIGUSR1);
	ck_assert_int_eq(inner_result, -ENOMEM);
	ck_assert_uint_eq(sc_stats().signal_reentries, 1);
	ck_assert_int_eq(sc_map32(M), (long)(46 * M));
	sc_verified("after nested handlers");
}
END_TEST

/* ---- the lock itself: a wait without a limit ------------------------------------------------ */

static ljmm_lock_t plain_lock;

static void *release_soon(void *arg)
{
	(void)arg;
	usleep(20000);
	ljmm_lock_release(&plain_lock);
	return NULL;
}

START_TEST(test_section_lock_waits_without_a_limit)
{
	pthread_t t;
	fk_reset();
	ck_assert_int_eq(ljmm_lock_acquire(&plain_lock, 1, 0), 0);
	ck_assert_int_eq(ljmm_lock_acquire(&plain_lock, 1, 0), -EDEADLK);
	ck_assert_int_eq(pthread_create(&t, NULL, release_soon, NULL), 0);
	/* timeout 0: a real futex wait, until the holder releases */
	ck_assert_int_eq(ljmm_lock_acquire(&plain_lock, 2, 0), 0);
	pthread_join(t, NULL);
	ck_assert_uint_ge(fk_count.futex_wait, 1);
	ck_assert_int_eq(ljmm_lock_take_over(&plain_lock, 1, 3), -EBUSY);
	ck_assert_int_eq(ljmm_lock_take_over(&plain_lock, 2, 3), 0);
	ljmm_lock_release_if(&plain_lock, 2); /* not its holder: nothing */
	ck_assert_uint_eq(plain_lock.owner, 3);
	ljmm_lock_reset(&plain_lock);
	ck_assert_uint_eq(plain_lock.owner, 0);
}
END_TEST

/* ---- the lock page's fallbacks ------------------------------------------------------------------ */

static const struct {
	const char *what;
	fk_sys_t sys;
	int err;
	int mode;
} lockpage_cases[] = {
	{"wipe-on-fork", FK_SYS_COUNT, 0, LJMM_LOCKPAGE_WIPE},
	{"no page can be mapped: the static fallback", FK_SYS_MMAP, ENOMEM, LJMM_LOCKPAGE_ATFORK},
	{"MADV_WIPEONFORK refused (before Linux 4.14)", FK_SYS_MADVISE, EINVAL, LJMM_LOCKPAGE_ATFORK},
};

START_TEST(test_lockpage_fallbacks)
{
	uint64_t mapped;
	sc_start(NULL);
	ck_assert_int_eq(fk_map(64 * K, 16 * M, RW), 0);
	ck_assert_int_eq(fk_map(48 * M, 2 * G, RW), 0);
	mapped = fk_mapped_bytes();
	if (lockpage_cases[_i].sys != FK_SYS_COUNT)
		fk_fail_next(lockpage_cases[_i].sys, lockpage_cases[_i].err);
	ljmm_lockpage_init();
	ljmm_lockpage_init(); /* once only */
	ck_assert_int_eq(ljmm_lockpage_mode(), lockpage_cases[_i].mode);
	ck_assert_uint_eq(fk_mapped_bytes(), mapped + (lockpage_cases[_i].mode == LJMM_LOCKPAGE_WIPE ? PAGE : 0));
	ck_assert_int_eq(sc_map32(M), (long)(47 * M));
	sc_verified(lockpage_cases[_i].what);
}
END_TEST

START_TEST(test_lockpage_without_trying_the_wipe)
{
	fk_reset();
	ljmm_lockpage_init_with(0);
	ljmm_lockpage_init_with(0);
	ck_assert_int_eq(ljmm_lockpage_mode(), LJMM_LOCKPAGE_ATFORK);
	ck_assert_uint_eq(fk_count.mmap, 0);
}
END_TEST

/* Another thread sets the page up while this one maps its own (simulated from the mmap);
 * then, when fail_mine, this thread's own mmap, the one under way, fails. */
typedef struct {
	ljmm_lockpage_t *theirs;
	int fail_mine;
} meanwhile_t;

static void set_up_meanwhile(void *ctx, uintptr_t addr, size_t len, int prot, int flags)
{
	meanwhile_t *m = ctx;
	(void)addr, (void)len, (void)prot, (void)flags;
	fk_hook_mmap(NULL, NULL);
	m->theirs = ljmm_lockpage_get();
	if (m->fail_mine)
		fk_fail_next(FK_SYS_MMAP, ENOMEM);
}

START_TEST(test_lockpage_set_up_by_another_thread_first)
{
	/* _i == 1: this thread's own page could not be mapped (its fallback is not used). */
	meanwhile_t m = {NULL, _i};
	ljmm_lockpage_t *mine;
	uint64_t mapped;
	fk_reset();
	mapped = fk_mapped_bytes();
	fk_hook_mmap(set_up_meanwhile, &m);
	mine = ljmm_lockpage_get();
	ck_assert_int_eq(fk_fail_pending(), 0);
	ck_assert_ptr_eq(mine, m.theirs);
	ck_assert_int_eq(ljmm_lockpage_mode(), LJMM_LOCKPAGE_WIPE);
	ck_assert_uint_eq(fk_mapped_bytes(), mapped + PAGE); /* this thread's page was given back */
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_section_reentry_that_changes_the_region_marks_it_stale, 1},
	{&test_section_reentry_stands_aside, NELEM(reentry_cases)},
	{&test_section_reentry_with_mincore_refused_stands_aside, 2},
	{&test_section_reentry_from_a_real_handler, NELEM(real_signal_cases)},
	{&test_section_abandoned_by_a_jump_is_taken_over, 1},
	{&test_section_abandoned_at_the_same_place, 1},
	{&test_section_forgotten_sections_are_pruned, 1},
	{&test_section_abandoned_by_a_real_siglongjmp, 2},
	{&test_section_marks_and_the_alternate_stack, 2},
	{&test_section_dead_holder_is_taken_over_after_the_limit, 1},
	{&test_section_stuck_live_holder_gives_up_once, 1},
	{&test_section_handler_interrupting_a_wait_waits_too, 1},
	{&test_section_holder_in_another_live_process_is_taken_over, 1},
	{&test_section_stuck_holder_that_left_is_waited_for_again, 1},
	{&test_section_handler_between_entry_and_count_keeps_the_record, 1},
	{&test_section_stuck_mark_does_not_move_to_the_next_holder, 1},
	{&test_section_full_record_pruned_by_a_handler_mid_entry, 1},
	{&test_section_waiter_is_woken_by_the_release, 1},
	{&test_section_nested_handlers_fill_the_record, 1},
	{&test_section_fork_reset, 2},
	{&test_section_fork_inside_our_own_section, 1},
	{&test_section_handler_calls_leave_the_index_alone, 1},
	{&test_section_failing_clock_does_not_wait_forever, 1},
	{&test_section_clock_refused_every_time_gives_up, 1},
	{&test_section_take_over_lost_to_another_thread, 1},
	{&test_section_take_over_cas_fails, 1},
	{&test_section_nested_handlers_on_the_alternate_stack, 1},
	{&test_section_lock_waits_without_a_limit, 1},
	{&test_lockpage_fallbacks, NELEM(lockpage_cases)},
	{&test_lockpage_without_trying_the_wipe, 1},
	{&test_lockpage_set_up_by_another_thread_first, 2},
};

const ljmm_unit_t ljmm_unit = {.name = "section", .timeout = 30, .needs_fork = 1,
				 .tests = tests, .count = NELEM(tests)};
