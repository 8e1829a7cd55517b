/* SPDX-License-Identifier: MIT */
/* Attacks on the shim, run under LD_PRELOAD=libljmm_preload.so (built as PIE and
 * -no-pie): each subcommand reproduces a way a real program can catch the shim at the
 * worst moment, and checks that the program behaves as it would without the shim.
 * Exits 0 on success, 77 when the machine cannot run the scenario (said on stdout);
 * prints "FAIL: ..." and exits 1 otherwise.
 *
 *   forksig N        fork() from a SIGALRM handler that interrupts region calls; each
 *                    child maps a region block inside the handler and carries on
 *   longjmp N        siglongjmp out of region calls N times; then this thread and
 *                    another still get region blocks, and the index is exact
 *   cancel N         threads cancelled asynchronously inside region calls, N times
 *   daemon FILE      close every descriptor from 3, open FILE (it gets 3), map, exit
 *   nofd MIN_MIB     no descriptor free: the region still serves MIN_MIB and more
 *   fill MIN_MIB [scan]  reach at least MIN_MIB of MAP_32BIT blocks; with "scan", the
 *                    index must have been built without /proc (a run without /proc)
 *   mremapmulti      Linux >= 6.17 moves several mappings and holes in one mremap
 *   reentry N        handlers that interrupt the shim: each re-entry counted once, and
 *                    its ENOMEM counted in failed=
 *   brkroom          LJMM_REGION_LO far above the brk heap: brk still grows to it
 *   early [STATE]    (with libljmm_early_user.so preloaded) a lazy guard that another
 *                    library's constructor caused is reported as placed (or occupied, above
 *                    1 GiB); STATE, if given, is the one expected
 *   exhaust          fill until ENOMEM, then one more request (for the warning lines)
 *   httpsize         a MAP_32BIT request of 1213486160 bytes (0x48545450, "HTTP")
 *   stuck            a thread jumps out of a region call and stays alive, holding the
 *                    region's lock: another thread's region call gives up after the 1 s
 *                    limit (the kernel answers alone) instead of waiting for ever
 *   noop             one MAP_32BIT block
 *   waitfile PATH    one MAP_32BIT block, then wait (up to 30 s) until PATH exists
 *   seccomp SYSCALL ERRNO COMMAND ARGS...   the command under a seccomp filter that
 *                    refuses SYSCALL (mincore, clock_gettime) with ERRNO (issue 17) */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#if defined(__has_include)
#if __has_include(<linux/seccomp.h>) && __has_include(<linux/filter.h>) && __has_include(<linux/audit.h>)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#define HAVE_SECCOMP 1
#endif
#endif

#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif

static void set_timer_of(int which, long usec)
{
	struct itimerval tv;
	memset(&tv, 0, sizeof tv);
	tv.it_interval.tv_usec = usec;
	tv.it_value.tv_usec = usec;
	if (setitimer(which, &tv, NULL) != 0)
		FAIL("setitimer: %s", errname(errno));
}

/* SIGALRM every usec of real time: most land as a system call returns. */
static void set_timer(long usec) { set_timer_of(ITIMER_REAL, usec); }

static void on_signal_do(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		FAIL("sigaction: %s", errname(errno));
}

/* ---- forksig ----------------------------------------------------------------------- */

static volatile sig_atomic_t in_child, forks, fork_limit, child_reentered;

static void fork_handler(int sig)
{
	(void)sig;
	int saved = errno;
	if (in_child || forks >= fork_limit)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		/* The child: one region-served block from inside the handler, then back into
		 * whatever the parent's main loop was doing when the signal came. */
		in_child = 1;
		signal(SIGVTALRM, SIG_IGN);
		alarm(20); /* a child that spins is killed, and counted as hung */
		uint64_t reentries = stats().signal_reentries;
		void *p = map32(64 * 1024);
		if (p == MAP_FAILED) {
			/* Allowed only as a re-entry: the fork came while this thread was
			 * inside the shim, which then answers from the kernel alone (whose
			 * window is full), exactly as it does for any handler there. */
			if (errno != ENOMEM || stats().signal_reentries != reentries + 1)
				_exit(3);
			child_reentered = 1;
		} else {
			if ((uintptr_t)p + 64 * 1024 > LOW_END)
				_exit(4);
			*(volatile char *)p = 1;
		}
	} else if (pid > 0) {
		forks++;
	}
	errno = saved;
}

/* Map n two-page MAP_32BIT blocks (adjacent, from the region) and unmap the upper page
 * of each: n one-page free extents in the index. */
static void make_holes(int n)
{
	for (int i = 0; i < n; i++) {
		char *p = map32(2 * PAGE);
		if (p == MAP_FAILED)
			FAIL("hole %d: %s", i, errname(errno));
		if (munmap(p + PAGE, PAGE) != 0)
			FAIL("munmap: %s", errname(errno));
	}
}

struct tally {
	int ok, reentered, hung, crashed, other;
};

/* A child's end: 0 or 10 (ok, 10 when its handler's call was a re-entry), killed by
 * its SIGALRM watchdog (hung), another signal (crashed), or a failed check (exit 3-7). */
static void tally(int status, struct tally *t)
{
	if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 10)) {
		t->ok++;
		t->reentered += WEXITSTATUS(status) == 10;
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		t->hung++;
	} else if (WIFSIGNALED(status)) {
		t->crashed++;
	} else {
		t->other++;
		fprintf(stderr, "child status %#x\n", status);
	}
}

static int cmd_forksig(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 300, holes = argc > 1 ? atoi(argv[1]) : 20000;
	struct tally t = {0, 0, 0, 0, 0};
	int status;
	/* Untouched blocks: with 2 GiB resident, each fork() would take longer than the
	 * timer's period and the handler would never let the main loop run. */
	prepare_region_untouched(256);
	/* Many one-page holes make the index deep, so that a good part of each region call
	 * is spent updating it: the moment a half-done update is most easily caught. */
	make_holes(holes);
	fork_limit = n;
	/* SIGVTALRM, from a timer of user-mode CPU time: it interrupts the process while it
	 * runs its own code, so most forks happen in the middle of the shim's bookkeeping
	 * (a real-time timer mostly fires inside system calls, where nothing is half done). */
	on_signal_do(SIGVTALRM, fork_handler, SA_RESTART);
	set_timer_of(ITIMER_VIRTUAL, 1000);
	while (forks < n) {
		void *p = map32(64 * 1024 * (1 + (size_t)(forks % 4)));
		if (in_child) {
			/* The child carries on from the interrupted call, a few more region
			 * calls, and checks the shim's index. */
			if (p != MAP_FAILED)
				munmap(p, 64 * 1024 * (1 + (size_t)(forks % 4)));
			for (int i = 0; i < 8; i++) {
				void *q = map32(M);
				if (q == MAP_FAILED || (uintptr_t)q + M > LOW_END)
					_exit(5);
				memset(q, 0x5a, 4096);
				if (munmap(q, M) != 0)
					_exit(6);
			}
			if (shim_verify() != 0)
				_exit(7);
			_exit(child_reentered ? 10 : 0);
		}
		if (p != MAP_FAILED)
			munmap(p, 64 * 1024 * (1 + (size_t)(forks % 4)));
		while (waitpid(-1, &status, WNOHANG) > 0)
			tally(status, &t);
	}
	set_timer_of(ITIMER_VIRTUAL, 0);
	while (wait(&status) > 0)
		tally(status, &t);
	printf("forksig: %d children: %d exited 0 (%d of them forked inside the shim), %d hung, %d crashed, %d failed "
	       "a check\n",
	       (int)forks, t.ok, t.reentered, t.hung, t.crashed, t.other);
	if (t.ok != forks)
		FAIL("%d of %d children did not exit cleanly", (int)forks - t.ok, (int)forks);
	/* None forked inside the shim would mean the test never made the case it exists for. */
	if (!t.reentered)
		FAIL("no fork came while the shim was inside its section");
	check_blocks("forksig");
	verify("forksig");
	return 0;
}

/* ---- longjmp ------------------------------------------------------------------------- */

static sigjmp_buf jump;
static volatile sig_atomic_t jumps, armed;

static void jump_handler(int sig)
{
	(void)sig;
	if (armed) {
		armed = 0;
		jumps++;
		siglongjmp(jump, 1);
	}
}

static void *other_thread_call(void *arg)
{
	void *p = map32(M);
	*(void **)arg = p;
	return NULL;
}

static int cmd_longjmp(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 2000;
	pthread_t t;
	void *other = MAP_FAILED;
	struct timespec deadline;
	/* A jump can leave the block of the call it left mapped, its address lost (taken
	 * after the system call, before the caller had it back: without the shim the same
	 * happens), up to one 64 KiB block per jump. A fixed 64 MiB room held that and the
	 * 17 blocks asked after the loop with little to spare: 2000 jumps left about 44 MiB
	 * behind, and 1 run in 5 ran out (ENOMEM for the other thread; 2026-12-07). Room for
	 * every jump's block and the 17, and 8 MiB more. */
	prepare_region_untouched(((size_t)n * 64 * 1024 + M - 1) / M + 17 + 8);
	on_signal_do(SIGALRM, jump_handler, 0);
	alarm(0);
	set_timer(1000);
	while (jumps < n) {
		if (sigsetjmp(jump, 1) == 0) {
			armed = 1;
			for (;;) {
				/* Region calls (the kernel's window is full): most of their time is
				 * inside the shim's section, around the system call. */
				void *p = map32(64 * 1024);
				if (p != MAP_FAILED)
					munmap(p, 64 * 1024);
			}
		}
	}
	set_timer(0);
	/* This thread: its next region calls work. */
	for (int i = 0; i < 16; i++) {
		void *p = map32(M);
		if (p == MAP_FAILED)
			FAIL("region call %d after %d jumps: %s", i, n, errname(errno));
		add_block((uintptr_t)p, M);
	}
	/* Another thread: its region call neither blocks for ever nor fails. */
	if (pthread_create(&t, NULL, other_thread_call, &other) != 0)
		FAIL("pthread_create");
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	if (pthread_timedjoin_np(t, NULL, &deadline) != 0)
		FAIL("another thread's region call is still blocked after 10 s");
	if (other == MAP_FAILED)
		FAIL("another thread's region call failed: %s", errname(errno));
	add_block((uintptr_t)other, M);
	check_blocks("longjmp");
	verify("longjmp");
	ljmm_stats_t s = stats();
	printf("longjmp: %d jumps out of region calls, %lu sections taken over, %lu re-entries, %lu lock timeouts\n", n,
	       (unsigned long)s.section_recoveries, (unsigned long)s.signal_reentries, (unsigned long)s.lock_timeouts);
	/* With the kernel's window full, most jumps leave a section: none taken over would
	 * mean the test never left one behind, and proved nothing. */
	if (s.section_recoveries == 0)
		FAIL("no jump ever left the shim's section in %d jumps", n);
	return 0;
}

/* ---- cancel -------------------------------------------------------------------------- */

static void *cancellable_churn(void *arg)
{
	(void)arg;
	int old;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	for (;;) {
		void *p = map32(64 * 1024);
		if (p != MAP_FAILED)
			munmap(p, 64 * 1024);
	}
	return NULL;
}

static int cmd_cancel(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 20;
	prepare_region_untouched(64);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		struct timespec ts = {0, 2000000 + (i % 5) * 700000};
		if (pthread_create(&t, NULL, cancellable_churn, NULL) != 0)
			FAIL("pthread_create");
		nanosleep(&ts, NULL);
		pthread_cancel(t);
		pthread_join(t, NULL);
		/* The cancelled thread may have died inside the section: this call must get a
		 * block, after at most the shim's 1 s limit. */
		void *p = map32(M);
		if (p == MAP_FAILED)
			FAIL("region call after cancel %d: %s", i, errname(errno));
		add_block((uintptr_t)p, M);
	}
	/* Now quiet. A thread cancelled between a kernel-served MAP_32BIT call and its
	 * record leaves that block unknown to the index (it thinks the range free, and a
	 * placement there would collide and rebuild: never handed out twice). Fill what is
	 * left: the failing request at the end rebuilds the index (it waits 100 ms after the
	 * last rebuild), which must then be exact. */
	struct timespec pause = {0, 150000000};
	nanosleep(&pause, NULL);
	fill_untouched(M);
	check_blocks("cancel");
	verify("cancel");
	ljmm_stats_t s = stats();
	printf("cancel: %d threads cancelled inside region calls, %lu sections taken over\n", n,
	       (unsigned long)s.section_recoveries);
	return 0;
}

/* ---- daemon -------------------------------------------------------------------------- */

static int cmd_daemon(int argc, char **argv)
{
	int fd;
	if (argc < 1)
		FAIL("usage: daemon FILE");
	for (int i = 3; i < 1024; i++)
		close(i);
	fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd != 3)
		FAIL("the data file got descriptor %d, not 3", fd);
	if (write(fd, "data\n", 5) != 5)
		FAIL("write");
	/* Work that makes the shim log (a fill with LJMM_DEBUG, statistics at exit). */
	prepare_region(4);
	if (write(fd, "more\n", 5) != 5)
		FAIL("write");
	return 0;
}

/* ---- nofd, fill ---------------------------------------------------------------------- */

static int cmd_fill_min(int argc, char **argv, int no_fd)
{
	size_t min = argc > 0 ? strtoul(argv[0], NULL, 10) : 1900, n;
	int need_scan = no_fd || (argc > 1 && strcmp(argv[1], "scan") == 0);
	if (no_fd) {
		struct rlimit rl = {64, 64};
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			FAIL("setrlimit: %s", errname(errno));
		while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0)
			;
		if (errno != EMFILE)
			FAIL("filling the descriptor table ended with %s, not EMFILE", errname(errno));
		if (open("/proc/self/maps", O_RDONLY) >= 0)
			FAIL("a descriptor is still free");
	}
	n = fill(M);
	check_blocks("fill");
	ljmm_stats_t s = stats();
	printf("fill: %zu MiB of MAP_32BIT blocks%s; region-served %lu, rebuilds %lu, of which without /proc %lu\n", n,
	       no_fd ? " with no descriptor free" : "", (unsigned long)s.region_served, (unsigned long)s.resyncs,
	       (unsigned long)s.scans);
	if (n < min)
		FAIL("%zu MiB, expected at least %zu", n, min);
	if (need_scan && s.scans == 0)
		FAIL("the index was never rebuilt without /proc: the scenario did not happen");
	/* Exact, however it was built (without a descriptor or /proc, ljmm_verify asks the
	 * kernel the same way). */
	verify("fill");
	return 0;
}

/* ---- mremapmulti ---------------------------------------------------------------------- */

static int cmd_mremapmulti(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	/* Build the index: fill the kernel's window, free a few blocks. */
	prepare_region(64);
	qsort(blocks, nblocks, sizeof *blocks, by_addr);
	/* A source above 4 GiB: three 1 MiB mappings with holes between them. */
	uintptr_t src = 0x7e0000000000ull, dst;
	size_t len = 5 * M;
	for (int i = 0; i < 5; i += 2)
		if (raw_mmap((void *)(src + i * M), M, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != (long)(src + i * M))
			FAIL("set-up: cannot map the source at %#lx", (unsigned long)(src + i * M));
	for (int i = 0; i < 5; i += 2)
		stamp(src + i * M, M);
	/* The destination: a free 5 MiB in the region, made by freeing adjacent blocks. */
	size_t k = 0;
	while (k + 5 <= nblocks && !(blocks[k + 4].addr == blocks[k].addr + 4 * M && blocks[k].addr < (1ul << 30)))
		k++;
	if (k + 5 > nblocks)
		FAIL("set-up: no five adjacent region blocks below 1 GiB");
	dst = blocks[k].addr;
	for (int i = 0; i < 5; i++)
		drop_block(k + 4 - (size_t)i);
	void *r = mremap((void *)src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)dst);
	if (r == MAP_FAILED) {
		if (errno == EFAULT) {
			printf("SKIP: this kernel cannot move several mappings in one mremap (EFAULT; Linux >= 6.17 can)\n");
			return 77;
		}
		FAIL("mremap: %s", errname(errno));
	}
	if ((uintptr_t)r != dst)
		FAIL("mremap moved to %p, not %#lx", r, (unsigned long)dst);
	for (int i = 0; i < 5; i += 2)
		check_moved(dst + i * M, src + i * M, M);
	/* The holes stayed holes: the index must say so, and serve them. */
	verify("after a multi-mapping mremap move");
	for (int i = 0; i < 5; i += 2)
		add_block(dst + i * M, M);
	printf("mremapmulti: three mappings and two holes moved to %#lx; index exact\n", (unsigned long)dst);
	return 0;
}

/* ---- reentry ------------------------------------------------------------------------- */

static volatile sig_atomic_t h_calls, h_reentered, h_enomem, h_bad;
static void *h_blocks[65536];
static volatile sig_atomic_t h_nblocks;

static void reentry_handler(int sig)
{
	(void)sig;
	int saved = errno;
	uint64_t r0 = stats().signal_reentries, d;
	void *p = map32(64 * 1024);
	d = stats().signal_reentries - r0;
	h_calls++;
	if (d > 1)
		h_bad++; /* one call, counted more than once */
	h_reentered += (int)d;
	if (p == MAP_FAILED) {
		if (errno == ENOMEM)
			h_enomem++;
		if (errno != ENOMEM || !d)
			h_bad++; /* the region had room: only a re-entry may fail */
	} else if (h_nblocks < 65536) {
		h_blocks[h_nblocks++] = p; /* unmapped later: munmap here could re-enter too */
	}
	errno = saved;
}

static int cmd_reentry(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 20000;
	ljmm_stats_t before, after;
	/* The kernel's window full, the region with plenty of room: a handler's request
	 * fails only when it re-entered the shim (and so got the kernel alone). */
	prepare_region_untouched(512);
	before = stats();
	on_signal_do(SIGALRM, reentry_handler, SA_RESTART);
	set_timer(200);
	for (int i = 0; i < n; i++) {
		void *p = map32(64 * 1024);
		if (p == MAP_FAILED)
			FAIL("main loop request %d: %s", i, errname(errno));
		munmap(p, 64 * 1024);
	}
	set_timer(0);
	after = stats();
	for (int i = 0; i < h_nblocks; i++)
		munmap(h_blocks[i], 64 * 1024);
	printf("reentry: %d handler calls, %d re-entered the shim, %d got ENOMEM; signal-reentries +%lu, failed +%lu\n",
	       (int)h_calls, (int)h_reentered, (int)h_enomem,
	       (unsigned long)(after.signal_reentries - before.signal_reentries),
	       (unsigned long)(after.failures - before.failures));
	if (h_bad)
		FAIL("%d handler calls counted twice, or failed without re-entering", (int)h_bad);
	if (h_enomem == 0)
		FAIL("no handler call ever re-entered and failed: the scenario did not happen");
	/* Every re-entry is a handler's, counted once; every ENOMEM is counted in failed=. */
	if (after.signal_reentries - before.signal_reentries != (uint64_t)h_reentered)
		FAIL("%d re-entries seen by the handlers, signal-reentries counted %lu", (int)h_reentered,
		     (unsigned long)(after.signal_reentries - before.signal_reentries));
	/* No jump, no cancel: a section taken over was a running one (mincore refused by a
	 * seccomp filter made a re-entry look like an abandoned lock: issue 17). */
	if (after.section_recoveries != before.section_recoveries)
		FAIL("%lu sections taken over while none was abandoned",
		     (unsigned long)(after.section_recoveries - before.section_recoveries));
	if (after.failures - before.failures != (uint64_t)h_enomem)
		FAIL("%d requests failed, failed= counted %lu", (int)h_enomem,
		     (unsigned long)(after.failures - before.failures));
	return 0;
}

/* ---- brkroom ------------------------------------------------------------------------- */

static int cmd_brkroom(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uintptr_t start = ((uintptr_t)sbrk(0) + PAGE - 1) & ~(PAGE - 1), lo = 1ul << 30;
	ljmm_stats_t s = stats();
	/* The guard goes just below LJMM_REGION_LO=1G, or right at the break when the break
	 * starts at or above it: Linux 6.x randomises a non-PIE break up to 1 GiB past .bss
	 * (about one run in 250 here; preload_brkroom_brkwindow has it every time). */
	uintptr_t at = start >= lo - PAGE ? start : lo - PAGE;
	if (s.guard_state != LJMM_GUARD_STATE_PLACED || s.guard_addr != at)
		FAIL("guard state %lu at %#lx, expected placed at %#lx (brk at %#lx, LJMM_REGION_LO=1G)",
		     (unsigned long)s.guard_state, (unsigned long)s.guard_addr, (unsigned long)at, (unsigned long)start);
	/* Linux keeps a page between the break and the next mapping (the brk system call's
	 * check, 3.10 to 6.x), so the room ends one page below the guard. 16 MiB, or all of
	 * that room when the break starts closer to it (16 MiB below 1 GiB it made this test
	 * fail once in CI). The brk system call: musl's sbrk grows nothing (see lowmem.c's
	 * reserve). */
	uintptr_t room = s.guard_addr - PAGE;
	uintptr_t want = start + 16 * M < room ? start + 16 * M : room;
	if (want > start) {
		if ((uintptr_t)syscall(SYS_brk, want) < want)
			FAIL("brk could not grow %lu KiB from %#lx with the region starting at 1 GiB",
			     (unsigned long)(want - start) >> 10, (unsigned long)start);
		memset((void *)start, 0x11, want - start);
	} else {
		want = start;
	}
	/* And the guard stops it there: brk never reaches the guard (nor, with the guard
	 * right at the break, grows at all). */
	uintptr_t past = s.guard_addr > start ? s.guard_addr : start + PAGE;
	if ((uintptr_t)syscall(SYS_brk, past) >= past)
		FAIL("brk grew to %#lx, with the guard at %#lx", (unsigned long)past, (unsigned long)s.guard_addr);
	printf("brkroom: brk grew %lu KiB from %#lx; guard at %#lx\n", (unsigned long)(want - start) >> 10,
	       (unsigned long)start, (unsigned long)s.guard_addr);
	return 0;
}

/* ---- early --------------------------------------------------------------------------- */

static int cmd_early(int argc, char **argv)
{
	/* STATE, if given: the guard state this placement of the break must give. */
	long want = argc > 0 ? strtol(argv[0], NULL, 10) : -1;
	int *ran_first = (int *)dlsym(RTLD_DEFAULT, "ljmm_early_user_ran_first");
	ljmm_stats_t s = stats();
	if (!ran_first)
		FAIL("libljmm_early_user.so is not loaded");
	printf("early: the other library's constructor ran %s ours; region-served %lu; guard state %lu at %#lx; "
	       "brk %p\n",
	       *ran_first ? "before" : "after", (unsigned long)s.region_served, (unsigned long)s.guard_state,
	       (unsigned long)s.guard_addr, sbrk(0));
	if (s.region_served == 0)
		FAIL("the other library's constructor never had the region serve");
	if (want >= 0 && s.guard_state != (uint64_t)want)
		FAIL("guard state %lu at %#lx, expected %ld here", (unsigned long)s.guard_state, (unsigned long)s.guard_addr,
		     want);
	/* Linux 6.x randomises a non-PIE break anywhere up to 1 GiB past .bss, so it can end
	 * inside the kernel's own MAP_32BIT window [1 GiB, 2 GiB). There the kernel fills
	 * upwards from 1 GiB before the region is needed, and its block right after the
	 * break stops brk as the guard would: "occupied" is the true answer (about 1 run
	 * in 600). Below 1 GiB nothing but the region could stand there, and the lazy
	 * guard comes before the region's first block. */
	if (s.guard_state == LJMM_GUARD_STATE_OCCUPIED && s.guard_addr >= (1ul << 30) && s.guard_addr < (2ul << 30)) {
		if (!page_taken(s.guard_addr))
			FAIL("guard reported occupied at %#lx, but nothing is mapped there", (unsigned long)s.guard_addr);
		return 0;
	}
	if (s.guard_state != LJMM_GUARD_STATE_PLACED)
		FAIL("guard state %lu at %#lx, expected placed (the region was used)", (unsigned long)s.guard_state,
		     (unsigned long)s.guard_addr);
	return 0;
}

/* ---- exhaust, httpsize --------------------------------------------------------------- */

static int cmd_noop(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	void *p = map32(M);
	if (p == MAP_FAILED)
		FAIL("MAP_32BIT mmap: %s", errname(errno));
	return 0;
}

static int cmd_exhaust(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	size_t n = fill(M);
	for (int i = 0; i < 3; i++)
		if (map32(M) != MAP_FAILED || errno != ENOMEM)
			FAIL("request %d after the fill did not fail with ENOMEM", i);
	printf("exhaust: %zu MiB, then ENOMEM\n", n);
	return 0;
}

/* A program that closes its standard error and opens a data file, which gets descriptor
 * 2; then the low 2 GiB fills (the default-on warnings and the failure line are due).
 * Not one byte of the library's may land in the data file. */
static int cmd_stderrdata(int argc, char **argv)
{
	char got[64];
	ssize_t n;
	int fd;
	if (argc < 1)
		FAIL("usage: stderrdata FILE");
	close(2);
	fd = open(argv[0], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd != 2) {
		printf("stderrdata: the data file got descriptor %d, not 2\n", fd);
		return 1;
	}
	if (write(fd, "data\n", 5) != 5)
		return 1;
	fill(M);
	if (map32(M) != MAP_FAILED || errno != ENOMEM) {
		printf("stderrdata: the request after the fill did not fail with ENOMEM\n");
		return 1;
	}
	n = pread(fd, got, sizeof got - 1, 0);
	got[n > 0 ? n : 0] = 0;
	if (n != 5 || strcmp(got, "data\n") != 0) {
		printf("stderrdata: the data file holds %zd bytes: '%.40s'\n", n, got);
		return 1;
	}
	printf("stderrdata: the data file on descriptor 2 holds only its own 5 bytes\n");
	return 0;
}

static int cmd_httpsize(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	/* Two pages that cut the low 2 GiB so that no free range holds 1.13 GiB (the
	 * region could otherwise serve the request in a process with nothing else low). */
	for (uintptr_t a = 512 * M; a < LOW_END; a += 1024 * M)
		if (mmap((void *)a, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) !=
		    (void *)a)
			FAIL("set-up: cannot map a page at %#lx: %s", (unsigned long)a, errname(errno));
	for (int i = 0; i < 2; i++)
		if (map32(1213486160u) != MAP_FAILED || errno != ENOMEM)
			FAIL("a 1213486160-byte MAP_32BIT request did not fail with ENOMEM");
	printf("httpsize: ENOMEM twice\n");
	return 0;
}

static int cmd_waitfile(int argc, char **argv)
{
	if (argc < 1)
		FAIL("usage: waitfile PATH");
	if (map32(M) == MAP_FAILED)
		FAIL("map32: %s", errname(errno));
	for (int i = 0; i < 3000 && access(argv[0], F_OK) != 0; i++) {
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* ---- stuck ----------------------------------------------------------------------------- */

static sigjmp_buf stuck_jump;
static volatile sig_atomic_t stuck_armed, stuck_parked, stuck_resume;

static void stuck_handler(int sig)
{
	(void)sig;
	if (stuck_armed) {
		stuck_armed = 0;
		siglongjmp(stuck_jump, 1);
	}
}

/* Region calls until a jump; then parked, alive, until told to go on. */
static void *stuck_thread(void *arg)
{
	(void)arg;
	for (;;) {
		if (sigsetjmp(stuck_jump, 1) == 0) {
			stuck_armed = 1;
			for (;;) {
				void *p = map32(64 * 1024);
				if (p != MAP_FAILED)
					munmap(p, 64 * 1024);
			}
		}
		stuck_parked = 1;
		while (!stuck_resume) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
		stuck_resume = 0;
		stuck_parked = 0;
	}
	return NULL;
}

static void *timed_call(void *arg)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a); /* the vDSO: no system call a filter could refuse */
	void *p = map32(M);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (p != MAP_FAILED)
		munmap(p, M);
	*(double *)arg = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	return NULL;
}

static int cmd_stuck(int argc, char **argv)
{
	int tries = argc > 0 ? atoi(argv[0]) : 300;
	pthread_t t;
	prepare_region_untouched(64);
	on_signal_do(SIGUSR1, stuck_handler, 0);
	if (pthread_create(&t, NULL, stuck_thread, NULL) != 0)
		FAIL("pthread_create");
	for (int i = 0; i < tries; i++) {
		struct timespec pause = {0, 1000000 + (i % 7) * 300000}, deadline;
		double took = -1;
		pthread_t c;
		/* Again until it jumped: a signal that came before it re-armed did nothing. */
		while (!stuck_parked) {
			nanosleep(&pause, NULL);
			pthread_kill(t, SIGUSR1);
		}
		/* The parked thread holds the lock when its jump left a section: this call
		 * waits for it until the limit, then gives up; it must never wait for ever. */
		if (pthread_create(&c, NULL, timed_call, &took) != 0)
			FAIL("pthread_create");
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 10;
		if (pthread_timedjoin_np(c, NULL, &deadline) != 0)
			FAIL("a region call still waits after 10 s for a holder that jumped out (try %d)", i);
		if (took >= 0.9) {
			printf("stuck: try %d left the lock held; the next call gave up after %.2f s\n", i, took);
			stuck_resume = 1;
			return 0;
		}
		stuck_resume = 1;
		while (stuck_parked)
			nanosleep(&pause, NULL);
	}
	FAIL("no jump out of %d left the lock held: the scenario did not happen", tries);
}

/* ---- seccomp ----------------------------------------------------------------------------- */

/* Refuse one system call with err from now on, in this thread and the ones it creates. */
static int refuse_syscall(const char *name, int err)
{
#ifdef HAVE_SECCOMP
	long nr = !strcmp(name, "mincore") ? SYS_mincore : !strcmp(name, "clock_gettime") ? SYS_clock_gettime : -1;
	if (nr < 0)
		FAIL("seccomp: unknown system call %s", name);
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		printf("SKIP: cannot install a seccomp filter: %s\n", errname(errno));
		exit(77);
	}
	errno = 0;
	if (syscall(nr, 0, 0, 0) != -1 || errno != err)
		FAIL("seccomp: %s is not refused with %s", name, errname(err));
	return 0;
#else
	(void)name, (void)err;
	printf("SKIP: built without <linux/seccomp.h>\n");
	exit(77);
#endif
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{"forksig", cmd_forksig},   {"longjmp", cmd_longjmp}, {"cancel", cmd_cancel},
		{"daemon", cmd_daemon},     {"reentry", cmd_reentry}, {"brkroom", cmd_brkroom},
		{"early", cmd_early},       {"exhaust", cmd_exhaust}, {"httpsize", cmd_httpsize},
		{"mremapmulti", cmd_mremapmulti}, {"noop", cmd_noop}, {"stderrdata", cmd_stderrdata},
		{"stuck", cmd_stuck},       {"waitfile", cmd_waitfile},
	};
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 5 && strcmp(argv[1], "seccomp") == 0) {
		refuse_syscall(argv[2], !strcmp(argv[3], "EPERM") ? EPERM : !strcmp(argv[3], "ENOSYS") ? ENOSYS : atoi(argv[3]));
		argc -= 3;
		argv += 3;
	}
	if (argc < 2)
		FAIL("usage: hardening [seccomp SYSCALL ERRNO] COMMAND [ARGS]");
	if (strcmp(argv[1], "nofd") == 0)
		return cmd_fill_min(argc - 2, argv + 2, 1);
	if (strcmp(argv[1], "fill") == 0)
		return cmd_fill_min(argc - 2, argv + 2, 0);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 2, argv + 2);
	FAIL("unknown command %s", argv[1]);
}
