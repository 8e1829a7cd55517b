/* SPDX-License-Identifier: MIT */
/* fork, exec, posix_spawn and vfork while other threads are inside the shim, run under
 * LD_PRELOAD (built as PIE and -no-pie).
 *
 *   forkexec all [FORKS [EXECS]]   the test: FORKS forks, EXECS each of fork+exec,
 *                                  posix_spawn and vfork+exec, while 3 threads churn
 *   forkexec big                   the exec'd program: 1.5 GiB of MAP_32BIT (more than
 *                                  the kernel's window: it needs the shim), checks the
 *                                  shim is mapped and its index matches the kernel's
 *
 * A forked child maps MAP_32BIT blocks until one took the region path (the index is
 * rebuilt after fork), then ljmm_verify() must pass, before and after it unmaps them.
 * Every child has a watchdog alarm: a deadlock (a lock held by a thread that does not
 * exist in the child) kills it and fails the test. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "common.h"

#define NCHURN 3
#define SLOTS 32
#define BIG_BLOCKS 1536 /* 1.5 GiB in 1 MiB blocks */

extern char **environ;

static int stop_churn; /* atomic */
static uint64_t churn_ops[NCHURN];
static char exe[4096];
static int (*verify_fn)(void);

/* Region churn in the parent: MAP_32BIT blocks of 4 KiB to 256 KiB, whole and partial
 * munmaps, patterns re-checked. No malloc, no stdio: forks land at any point. */
static void *churn(void *arg)
{
	int id = (int)(uintptr_t)arg;
	uint64_t rng = 0xc0ffee + (uint64_t)id;
	uintptr_t addr[SLOTS] = {0}, home[SLOTS] = {0};
	size_t len[SLOTS] = {0};
	uint64_t key[SLOTS] = {0};
	while (!__atomic_load_n(&stop_churn, __ATOMIC_ACQUIRE)) {
		size_t i = st_below(&rng, SLOTS);
		uintptr_t bad;
		if (addr[i]) {
			if (st_check(addr[i], home[i], len[i], key[i], &bad) != 0)
				FAIL("churn %d: page %#lx clobbered", id, (unsigned long)bad);
			size_t cut = len[i] > PAGE && st_below(&rng, 2) ? PAGE * (1 + st_below(&rng, len[i] / PAGE - 1)) : len[i];
			if (munmap((void *)addr[i], cut) != 0)
				FAIL("churn %d: munmap: %s", id, errname(errno));
			addr[i] = cut == len[i] ? 0 : addr[i] + cut; /* a head cut keeps the tail */
			home[i] += cut;
			len[i] -= cut;
		} else {
			len[i] = PAGE * (1 + st_below(&rng, 64));
			void *p = st_map32(len[i]);
			if (p == MAP_FAILED) {
				if (errno != ENOMEM)
					FAIL("churn %d: MAP_32BIT: %s", id, errname(errno));
				continue;
			}
			if ((uintptr_t)p + len[i] > LOW_END)
				FAIL("churn %d: block %p above 2 GiB", id, p);
			addr[i] = home[i] = (uintptr_t)p;
			key[i] = st_rand(&rng);
			st_stamp(addr[i], home[i], len[i], key[i]);
		}
		churn_ops[id]++;
	}
	for (size_t i = 0; i < SLOTS; i++)
		if (addr[i])
			munmap((void *)addr[i], len[i]);
	return NULL;
}

/* The forked child: exit codes say what went wrong (the parent names them). */
static void fork_child(void)
{
	uintptr_t got[256];
	size_t n = 0;
	ljmm_stats_t s0, s;
	int code = 0;
	alarm(20);
	st_stats(&s0);
	/* Until one request went through the region (the index is rebuilt then). */
	for (;;) {
		void *p = st_map32(M);
		if (p == MAP_FAILED && errno != ENOMEM) {
			code = 2;
			break;
		}
		if (p != MAP_FAILED) {
			if ((uintptr_t)p + M > LOW_END) {
				code = 3;
				break;
			}
			*(volatile char *)p = 1;
			got[n++] = (uintptr_t)p;
		}
		st_stats(&s);
		if (!verify_fn || s.resyncs > s0.resyncs || p == MAP_FAILED)
			break;
		if (n == 256) {
			code = 4;
			break;
		}
	}
	if (!code && verify_fn && verify_fn() != 0)
		code = 5;
	for (size_t i = 0; i < n && !code; i++)
		if (munmap((void *)got[i], M) != 0)
			code = 6;
	if (!code && verify_fn && verify_fn() != 0)
		code = 7;
	_exit(code);
}

static const char *fork_why(int code)
{
	static const char *const why[] = {"ok", "?", "MAP_32BIT failed", "block above 2 GiB", "no region call after 256 MiB",
					   "ljmm_verify failed after the first region call", "munmap failed",
					   "ljmm_verify failed after munmap"};
	return code >= 0 && code < (int)(sizeof why / sizeof *why) ? why[code] : "?";
}

static void wait_ok(pid_t pid, const char *what, int i)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		FAIL("%s %d: waitpid: %s", what, i, errname(errno));
	if (WIFSIGNALED(st))
		FAIL("%s %d: child killed by signal %d%s", what, i, WTERMSIG(st),
		     WTERMSIG(st) == SIGALRM ? " (watchdog: deadlock in the child)" : "");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAIL("%s %d: child exit status %d (%s)", what, i, WEXITSTATUS(st),
		     !strcmp(what, "fork") ? fork_why(WEXITSTATUS(st)) : "see its output above");
}

/* big: needs the shim for 1.5 GiB below 2 GiB. */
static int cmd_big(void)
{
	static uintptr_t got[BIG_BLOCKS];
	alarm(60);
	for (size_t i = 0; i < BIG_BLOCKS; i++) {
		void *p = st_map32(M);
		if (p == MAP_FAILED)
			FAIL("big: block %zu of %d: %s (is the shim preloaded?)", i, BIG_BLOCKS, errname(errno));
		if ((uintptr_t)p + M > LOW_END)
			FAIL("big: block %p above 2 GiB", p);
		got[i] = (uintptr_t)p;
		*(volatile uint64_t *)p = (uint64_t)i + 1;
	}
	for (size_t i = 0; i < BIG_BLOCKS; i++)
		if (*(volatile uint64_t *)got[i] != (uint64_t)i + 1)
			FAIL("big: block %#lx overlapped by another", (unsigned long)got[i]);
#ifndef LJMM_STRESS_LINKED
	/* The preloaded file itself (its name need not be libljmm_preload.so). The
	 * sanitizer build links the shim into this program instead: nothing to look for. */
	const char *pre = getenv("LD_PRELOAD");
	char path[4096];
	snprintf(path, sizeof path, "%s", pre && *pre ? pre : "libljmm_preload");
	path[strcspn(path, ": ")] = 0;
	if (!st_maps_has(path))
		FAIL("big: the shim (%s) is not in /proc/self/maps", path);
#endif
	if (!verify_fn || verify_fn() != 0)
		FAIL("big: ljmm_verify unavailable or failed");
	return 0;
}

static void fill_then_free(uint64_t *rng)
{
	static uintptr_t got[4096];
	size_t n = 0, freed = 0;
	void *p;
	while (n < 4096 && (p = st_map32(M)) != MAP_FAILED)
		got[n++] = (uintptr_t)p;
	/* Free ~30 % at random below 1 GiB (region blocks): room for the churn and the
	 * children while the kernel's window stays nearly full. */
	for (size_t i = 0; i < n; i++)
		if (got[i] < ((uintptr_t)1 << 30) && st_below(rng, 100) < 30) {
			if (munmap((void *)got[i], M) != 0)
				FAIL("munmap: %s", errname(errno));
			freed++;
		}
	printf("fill: %zu MiB MAP_32BIT until ENOMEM, %zu MiB below 1 GiB freed\n", n, freed);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "FAIL: watchdog: forkexec did not finish in time (deadlock?)\n";
	(void)!write(2, msg, sizeof msg - 1);
	_exit(1);
}

static int cmd_all(int nforks, int nexecs)
{
	pthread_t th[NCHURN];
	uint64_t seed = st_seed(20240611), rng = seed, ops = 0;
	char *args[] = {exe, "big", NULL};
	double t0 = st_now(), t;
	signal(SIGALRM, on_alarm);
	alarm(240);
	printf("forkexec: seed=%#lx forks=%d execs=%d (each of fork+exec, posix_spawn, vfork+exec); shim %s\n", (unsigned long)seed,
	       nforks, nexecs, verify_fn ? ST_SHIM_PRESENT : "absent");
	fill_then_free(&rng);
	for (int i = 0; i < NCHURN; i++)
		if (pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)i) != 0)
			FAIL("pthread_create");

	for (int i = 0; i < nforks; i++) {
		pid_t pid = fork();
		if (pid < 0)
			FAIL("fork: %s", errname(errno));
		if (pid == 0)
			fork_child();
		wait_ok(pid, "fork", i);
	}
	t = st_now();
	printf("fork: %d children mapped, verified and exited cleanly (%.1f s)\n", nforks, t - t0);
	fflush(stdout); /* children exec with an empty buffer */

	for (int i = 0; i < nexecs; i++) {
		pid_t pid = fork();
		if (pid < 0)
			FAIL("fork: %s", errname(errno));
		if (pid == 0) {
			execve(exe, args, environ);
			_exit(126);
		}
		wait_ok(pid, "fork+exec", i);
	}
	for (int i = 0; i < nexecs; i++) {
		pid_t pid;
		int e = posix_spawn(&pid, exe, NULL, NULL, args, environ);
		if (e)
			FAIL("posix_spawn: %s", errname(e));
		wait_ok(pid, "posix_spawn", i);
	}
	for (int i = 0; i < nexecs; i++) {
		pid_t pid = vfork();
		if (pid < 0)
			FAIL("vfork: %s", errname(errno));
		if (pid == 0) {
			execve(exe, args, environ);
			_exit(126);
		}
		wait_ok(pid, "vfork+exec", i);
	}
	printf("exec: %d fork+exec, %d posix_spawn, %d vfork+exec children each mapped 1.5 GiB MAP_32BIT with the shim (%.1f s)\n",
	       nexecs, nexecs, nexecs, st_now() - t);

	__atomic_store_n(&stop_churn, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NCHURN; i++) {
		pthread_join(th[i], NULL);
		ops += churn_ops[i];
	}
	if (verify_fn && verify_fn() != 0)
		FAIL("parent: ljmm_verify after the churn: %s", errname(errno));
	printf("PASS: %lu churn operations in the parent meanwhile, parent index verified (%.1f s)\n", (unsigned long)ops,
	       st_now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (n <= 0)
		FAIL("readlink /proc/self/exe");
	exe[n] = 0;
	verify_fn = st_verify_fn();
	(void)st_stats(&(ljmm_stats_t){0}); /* resolve it now: children call it after fork */
	if (argc > 1 && !strcmp(argv[1], "big"))
		return cmd_big();
	if (argc > 1 && !strcmp(argv[1], "all"))
		return cmd_all(argc > 2 ? atoi(argv[2]) : 200, argc > 3 ? atoi(argv[3]) : 20);
	fprintf(stderr, "usage: %s all [FORKS [EXECS]] | big\n", argv[0]);
	return 2;
}
