/* SPDX-License-Identifier: MIT */
/* The region's critical section (see section.h).
 *
 * One futex lock (lock.c) on the lock page (lockpage.c) serialises every change to the
 * index. Blocking signals across the section would be the textbook way to keep handlers
 * out, but two rt_sigprocmask calls cost 30 % of a region-served call on a machine where
 * system calls are slow (measured: 2780 -> 3630 ns per mmap+munmap pair), so nothing is
 * blocked and the section instead records enough to tell, when it is found held, what
 * happened. No system call is made on the way in or out; the cases below are rare and
 * may make a few.
 *
 * Every thread gets an id of ours (its kernel thread id and a serial number, so that it
 * is never reused the way pthread_self is) and keeps, in thread-local storage, the
 * sections it has entered: each
 * one's mark (a local variable of the caller, so its address says how deep in the stack
 * the section runs) and a nonce; the mark holds a token derived from both.
 *
 * - Held by this very thread (the lock says -EDEADLK): either a signal handler
 *   interrupted one of our sections, which resumes when the handler returns, or a
 *   section was left for good by a siglongjmp out of a handler. A section is still
 *   running exactly when its mark lies above us on the stack we run on (handlers run
 *   deeper; one on the alternate signal stack runs on another stack, which sigaltstack
 *   tells) and still holds its token. If one is running, the call is a re-entry: it
 *   leaves the index alone (its caller asks the kernel) and has it rebuilt later. If
 *   none is, the lock was abandoned: the call takes it over and has the index rebuilt,
 *   since the jump may have cut an update short.
 * - Held by another thread past the time limit: if that thread no longer exists (it
 *   was cancelled asynchronously inside the shim), the lock is taken over, and the index
 *   rebuilt. If it does exist (it jumped out and has not called the shim since, or it is
 *   very slow), the call gives up, answered by the kernel alone, and later calls do not
 *   wait for that holder again until it leaves a section (it calls the shim again and
 *   recovers its lock) or is taken over. Nothing waits for ever. Left open: a thread
 *   that jumped out and never calls the shim again keeps the region from the others,
 *   who are answered by the kernel alone (docs/design.md, "Signals and jumps").
 * - A forked child: its lock page comes zeroed (the lock free, the "alive" mark gone).
 *   The first section in it has the index rebuilt, since the parent's holder may have
 *   left it half-updated; except when the fork was made by a signal handler that
 *   interrupted one of this thread's own sections: that section resumes when the
 *   handler returns and finishes its update, so the call is a re-entry, and the rebuild
 *   comes at the next section after it. */
#include "section.h"

#include <errno.h>
#include <signal.h>

#include "index.h"
#include "internal.h"
#include "lockpage.h"
#include "stats.h"
#include "sys.h"

/* A holder that keeps the lock longer than this is gone or stuck. Sections are short:
 * the longest, an index rebuild, reads /proc/self/maps (about 50 ms for 50,000
 * mappings) or, without it, asks the kernel hole by hole. */
#define WAIT_LIMIT_NS 1000000000ull
/* Nested sections one thread can have entered: signal handlers nest this deep. When full
 * of sections left by jumps, those are forgotten first. */
#define MAX_FRAMES 8

typedef struct {
	ljmm_section_t *mark;
	uint64_t nonce;
} frame_t;

static __thread struct {
	uint64_t id;  /* the thread's id as the lock knows it, 0 until its first section */
	uint64_t nonces;
	unsigned depth;
	frame_t frames[MAX_FRAMES];
} tls __attribute__((tls_model("initial-exec")));

static uint32_t next_serial;  /* atomic */
static uint64_t stuck_owner;  /* atomic: a holder that kept the lock past the limit */

/* A thread's id as the lock records it: the kernel's thread id in the high half (so a
 * waiter can ask whether the holder still exists, from the one word it read), a serial
 * number in the low half (so a later thread that gets the same kernel id is another
 * owner). One gettid per thread, at its first section. */
static uint64_t make_id(void)
{
	uint32_t n = __atomic_add_fetch(&next_serial, 1, __ATOMIC_RELAXED);
	return ((uint64_t)(uint32_t)ljmm_sys_gettid() << 32) | (n ? n : 1);
}

static uint64_t thread_id(void)
{
	if (LJMM_UNLIKELY(!tls.id))
		tls.id = make_id();
	return tls.id;
}

static uint64_t token_of(const ljmm_section_t *mark, uint64_t nonce)
{
	/* Not the thread's id: that changes in a forked child, whose frames must still
	 * prove themselves. */
	uint64_t x = ((uint64_t)(uintptr_t)mark ^ (nonce << 32) ^ nonce) * 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29) ^ 0x6c6a6d6d5345435full;
}

/* Is frame f (an older entry of this thread's) a section still running below us?
 * here: the mark of the call asking. */
static int frame_running(const frame_t *f, const ljmm_section_t *here)
{
	uintptr_t there = (uintptr_t)f->mark, now = (uintptr_t)&here;
	stack_t ss;
	unsigned char resident;
	int on_alt = 0, f_on_alt = 0;
	long r;
	if (f->mark == here)
		return 0; /* the same place: whatever ran there before has returned */
	if (ljmm_sys_sigaltstack_get(&ss) == 0 && !(ss.ss_flags & SS_DISABLE)) {
		on_alt = (ss.ss_flags & SS_ONSTACK) != 0;
		f_on_alt = there >= (uintptr_t)ss.ss_sp && there - (uintptr_t)ss.ss_sp < ss.ss_size;
	}
	if (f_on_alt && !on_alt)
		return 0; /* a handler on the alternate stack ran it; we are not in one */
	if (on_alt == f_on_alt && there <= now)
		return 0; /* at or below us on our own stack: it returned or was jumped out of */
	/* Above us on our stack, or on the stack a handler on the alternate one
	 * interrupted: read its token if the page is still mapped. */
	r = ljmm_sys_mincore((void *)ljmm_page_down(there), LJMM_PAGE, &resident);
	if (r == -ENOMEM)
		return 0; /* its page is gone: nothing runs there */
	/* Cannot tell (a seccomp filter refusing mincore, EPERM or ENOSYS): say it runs.
	 * Standing aside is safe (the kernel answers alone); taking the lock over while a
	 * section of ours is half-way through an update is not. */
	if (r != 0)
		return 1;
	return f->mark->token == token_of(f->mark, f->nonce);
}

/* Does any section this thread entered before `me` still run? */
static int older_running(const ljmm_section_t *me)
{
	for (unsigned i = 0; i + 1 < tls.depth; i++)
		if (frame_running(&tls.frames[i], me))
			return 1;
	return 0;
}

/* Forget the entered sections that no longer run (to make room). */
static void prune(const ljmm_section_t *me)
{
	unsigned j = 0;
	for (unsigned i = 0; i < tls.depth; i++)
		if (frame_running(&tls.frames[i], me))
			tls.frames[j++] = tls.frames[i];
	tls.depth = j;
}

static void pop(ljmm_section_t *me)
{
	/* Entries above ours belong to sections a jump left: drop them too. */
	while (tls.depth && tls.frames[tls.depth - 1].mark != me)
		tls.depth--;
	if (tls.depth)
		tls.depth--;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* Record the caller's section on top of the thread's list. A handler can run between
 * any two steps and enter a section of its own; none reads the entries before we hold
 * the lock, but it writes them:
 * - one between the store and the count's increase uses that same slot and leaves its
 *   entry there: so the entry is stored again after the increase;
 * - one after the increase, with the list full, prunes it (the first handler's stale
 *   entry goes) and so moves the top: then the push starts again at the new top. */
static void push(ljmm_section_t *me, uint64_t nonce)
{
	unsigned d;
	do {
		d = tls.depth;
		tls.frames[d].mark = me;
		tls.frames[d].nonce = nonce;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		LJMM_TEST_POINT("section: entry stored, not yet counted");
		tls.depth = d + 1;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		LJMM_TEST_POINT("section: entry counted, not yet stored again");
		tls.frames[d].mark = me;
		tls.frames[d].nonce = nonce;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	} while (LJMM_UNLIKELY(tls.depth != d + 1));
}

/* The call leaves the index alone: a re-entry or a give-up. The index stays as good as
 * it was (a section this call interrupted finishes its update when it resumes); the
 * caller marks it stale if its own system call then changes the region. */
static int stand_aside(ljmm_section_t *me, int why)
{
	pop(me);
	if (why == -EDEADLK)
		ljmm_stats_add(&ljmm_stats_live.signal_reentries, 1);
	else
		ljmm_stats_add(&ljmm_stats_live.lock_timeouts, 1);
	return why;
}

/* A holder that was stuck is not any more once it leaves a section, or once its lock
 * is taken over: later waiters wait for it again. One load when nothing was stuck. */
static void forget_stuck(uint64_t holder)
{
	uint64_t stuck = __atomic_load_n(&stuck_owner, __ATOMIC_SEQ_CST);
	if (LJMM_UNLIKELY(stuck) && stuck == holder)
		(void)__atomic_compare_exchange_n(&stuck_owner, &stuck, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* holder kept the lock for the whole limit: later waiters do not wait for it again.
 * Only a holder seen before and after a full wait is marked (not one that took the
 * lock in the meantime), and the mark is dropped again if it left meanwhile: its leave
 * may have looked for the mark before it was set. */
static void mark_stuck(ljmm_lockpage_t *pg, uint64_t holder)
{
	__atomic_store_n(&stuck_owner, holder, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&pg->lock.owner, __ATOMIC_SEQ_CST) != holder)
		forget_stuck(holder);
}

/* Does the holder's thread no longer exist in our thread group? Only our group is asked:
 * a forked child's copy of the lock can name its parent's thread, which lives on in
 * another process, and must be taken over (asking the group it leads made 4-12 of 300
 * forksig children give up, issue 17). So a clone(CLONE_VM) child without CLONE_THREAD
 * holding the lock looks dead: such a task cannot run the library anyway (it shares its
 * creator's TLS; docs/design.md). A thread id the kernel reused for a new thread reads as
 * alive: the waiter gives up, the safe way. */
static int holder_gone(uint64_t owner)
{
	return ljmm_sys_tgkill(ljmm_sys_getpid(), (long)(owner >> 32), 0) == -ESRCH;
}

/* The lock is ours now, its last section's state unknown. */
static void taken_over(uint64_t previous)
{
	forget_stuck(previous);
	ljmm_index_invalidate();
	ljmm_stats_add(&ljmm_stats_live.section_recoveries, 1);
}

int ljmm_section_enter(ljmm_section_t *me)
{
	ljmm_lockpage_t *pg = ljmm_lockpage_get();
	uint64_t id = thread_id(), nonce, timeout = WAIT_LIMIT_NS;
	uint64_t owner, before;
	int r;

	if (tls.depth == MAX_FRAMES)
		prune(me);
	if (tls.depth == MAX_FRAMES) {
		/* Handlers nested this deep, every section still running: kernel only. Not
		 * stand_aside: nothing of ours was pushed, and the running sections must stay
		 * on record. */
		ljmm_stats_add(&ljmm_stats_live.signal_reentries, 1);
		return -EDEADLK;
	}
	nonce = ++tls.nonces;
	me->token = token_of(me, nonce);
	push(me, nonce);

	before = __atomic_load_n(&pg->lock.owner, __ATOMIC_RELAXED);
	if (before && before == __atomic_load_n(&stuck_owner, __ATOMIC_RELAXED))
		timeout = 1; /* that holder already made someone give up: don't wait again */
	r = ljmm_lock_acquire(&pg->lock, id, timeout);
	if (r == -EDEADLK) {
		if (older_running(me))
			return stand_aside(me, -EDEADLK);
		taken_over(id); /* left by a jump: ours again */
	} else if (r == -ETIMEDOUT) {
		owner = __atomic_load_n(&pg->lock.owner, __ATOMIC_RELAXED);
		if (!owner || !holder_gone(owner) || ljmm_lock_take_over(&pg->lock, owner, id) != 0) {
			if (timeout == WAIT_LIMIT_NS && owner && owner == before)
				mark_stuck(pg, owner);
			return stand_aside(me, -ETIMEDOUT);
		}
		taken_over(owner); /* its thread is gone (cancelled inside the shim) */
	}
	if (LJMM_UNLIKELY(!__atomic_load_n(&pg->alive, __ATOMIC_ACQUIRE))) {
		/* First section in a forked child, whose one thread has a new kernel id: the
		 * lock goes to the new id of ours. */
		uint64_t child_id = make_id();
		(void)ljmm_lock_take_over(&pg->lock, id, child_id);
		tls.id = id = child_id;
		if (older_running(me)) {
			/* The fork came from a handler that interrupted one of our own
			 * sections, which resumes when the handler returns: if it holds the
			 * lock it finishes its update (nothing else runs in the child but
			 * handlers, which all come here), if it waits it gets the lock. So
			 * give the lock back, touch nothing, and let the section after it
			 * do the rebuild. */
			ljmm_lock_release_if(&pg->lock, id);
			return stand_aside(me, -EDEADLK);
		}
		__atomic_store_n(&pg->alive, 1, __ATOMIC_RELEASE);
		ljmm_index_invalidate();
		ljmm_stats_add(&ljmm_stats_live.fork_resets, 1);
	}
	return 0;
}

void ljmm_section_leave(ljmm_section_t *me)
{
	ljmm_lockpage_t *pg = ljmm_lockpage_get();
	/* Released only if still ours: in a child forked by a handler inside this section,
	 * the lock is free, and may meanwhile be another section's. */
	ljmm_lock_release_if(&pg->lock, tls.id);
	me->token = 0;
	pop(me);
	forget_stuck(tls.id);
}
