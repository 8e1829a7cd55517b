/* SPDX-License-Identifier: MIT */
/* The exported entry points and the constructor (shim/interpose.c, shim/init.c) over the
 * fake kernel: this program is linked with them, so its own mmap, munmap and mremap are
 * the shim's, and the library's constructor ran before main (with the fake's start-up
 * state: nothing mapped but the lock page, brk far above). No test here calls fk_reset:
 * the constructor's lock page must stay.
 *
 * What is checked: results become errno and MAP_FAILED only on failure; mremap's fifth
 * argument; the public API; the exit report a process with LJMM_STATS=on prints from its
 * destructor. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/testutil.h"
#include "../../include/ljmm.h"
#include "check_main.h"
#include "config.h"
#include "fake_kernel.h"
#include "stats.h"

#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

#ifdef LJMM_LINK_FORM
/* Built as unit_interpose_link: interpose.c compiled as for ljmm.o, whose --wrap names
 * (__wrap_mmap ...) are the entry points under second names. Every test below then calls
 * them by those names, as a program linked with -Wl,--wrap=mmap,... does. */
extern void *__wrap_mmap(void *, size_t, int, int, int, off_t);
extern void *__wrap_mmap64(void *, size_t, int, int, int, off_t);
extern int __wrap_munmap(void *, size_t);
extern void *__wrap_mremap(void *, size_t, size_t, int, ...);

START_TEST(test_interpose_wrap_names_are_the_entry_points)
{
	ck_assert(__wrap_mmap == mmap);
	ck_assert(__wrap_mmap64 == mmap);
	ck_assert(__wrap_munmap == munmap);
	ck_assert(__wrap_mremap == mremap);
}
END_TEST

#define mmap __wrap_mmap
#define mmap64 __wrap_mmap64
#define munmap __wrap_munmap
#define mremap __wrap_mremap
#endif

START_TEST(test_interpose_errors_become_errno)
{
	void *p;
	errno = 0;
	ck_assert(mmap(NULL, 0, PROT_READ, ANON, -1, 0) == MAP_FAILED);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert(mmap64(NULL, 4 * K, PROT_READ, MAP_PRIVATE, 999, 0) == MAP_FAILED);
	ck_assert_int_eq(errno, EBADF);
	errno = 0;
	ck_assert_int_eq(munmap((void *)1, 4 * K), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert(mremap((void *)(512 * M), 4 * K, 8 * K, 0) == MAP_FAILED);
	ck_assert_int_eq(errno, EFAULT);
	/* Success leaves errno alone, and the memory is real. */
	errno = 1234;
	p = mmap(NULL, 64 * K, RW, ANON, -1, 0);
	ck_assert(p != MAP_FAILED);
	memset(p, 0x5a, 64 * K);
	ck_assert_int_eq(munmap(p, 64 * K), 0);
	ck_assert_int_eq(errno, 1234);
}
END_TEST

START_TEST(test_interpose_map32_through_the_region)
{
	ljmm_stats_t s;
	void *p;
	ck_assert_int_eq(fk_map(64 * K, 16 * M, RW), 0);
	ck_assert_int_eq(fk_map(48 * M, 2 * G, RW), 0);
	errno = 0;
	ck_assert_int_eq(ljmm_verify(), -1); /* no index yet */
	ck_assert_int_eq(errno, EAGAIN);
	p = mmap(NULL, M, RW, ANON | MAP_32BIT, -1, 0);
	ck_assert_ptr_eq(p, (void *)(47 * M));
	ck_assert_int_eq(ljmm_verify(), 0);
	fk_unmap(46 * M, 47 * M);
	ck_assert_int_eq(fk_map(46 * M, 47 * M, PROT_READ), 0); /* behind its back: the index is wrong */
	fk_unmap(20 * M, 21 * M);
	errno = 0;
	ck_assert_int_eq(ljmm_verify(), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_int_eq(ljmm_stats_snapshot(&s, sizeof s), 0);
	ck_assert_uint_eq(s.region_served, 1);
	ck_assert_uint_eq(s.map32_calls, 1);
}
END_TEST

/* mremap's fifth argument. With MREMAP_FIXED it is where the mapping goes. With
 * MREMAP_DONTUNMAP alone the kernel takes it as a hint, and glibc 2.36 passes it on
 * (measured: mremap(p, 16K, 16K, MAYMOVE | DONTUNMAP, 0x30000000) answers 0x30000000);
 * so does the shim (it used to read it only with MREMAP_FIXED, and dropped the hint). */
START_TEST(test_interpose_mremap_fifth_argument)
{
	void *p = mmap((void *)(512 * M), 8 * K, RW, ANON | MAP_FIXED, -1, 0), *q;
	ck_assert_ptr_eq(p, (void *)(512 * M));
	q = mremap(p, 8 * K, 8 * K, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, (void *)(700 * M));
	ck_assert(q != MAP_FAILED);
	ck_assert_int_eq(fk_state(512 * M, 512 * M + 8 * K), FK_MAPPED); /* DONTUNMAP: still there */
	ck_assert_ptr_eq(q, (void *)(700 * M));
	ck_assert_int_eq(fk_state(700 * M, 700 * M + 8 * K), FK_MAPPED);
	q = mremap(p, 8 * K, 8 * K, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(600 * M));
	ck_assert_ptr_eq(q, (void *)(600 * M));
	ck_assert_int_eq(fk_state(512 * M, 512 * M + 8 * K), FK_FREE);
}
END_TEST

START_TEST(test_interpose_public_api)
{
	ljmm_stats_t s;
	errno = 0;
	ck_assert_int_eq(ljmm_stats_snapshot(NULL, sizeof s), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* A caller built against an older, shorter struct gets only what it asked for. */
	memset(&s, 0xff, sizeof s);
	ck_assert_ptr_ne(mmap(NULL, 4 * K, RW, ANON, -1, 0), MAP_FAILED);
	ck_assert_int_eq(ljmm_stats_snapshot(&s, sizeof(uint64_t)), 0);
	ck_assert_uint_ge(s.mmap_calls, 1);
	ck_assert_uint_eq(s.munmap_calls, UINT64_MAX);
	ck_assert_int_eq(ljmm_stats_snapshot(&s, sizeof s + 64), 0); /* a larger one: ours only */
	ck_assert_str_eq(ljmm_version(), LJMM_VERSION);
	/* The constructor ran: the probe says active, the guard was not needed (brk high). */
	ck_assert_uint_eq(ljmm_probe.flags, LJMM_PROBE_ACTIVE);
	ck_assert_uint_eq(ljmm_probe.stats_addr, (uint64_t)(uintptr_t)&ljmm_stats_live);
	ck_assert_uint_eq(s.guard_state, LJMM_GUARD_STATE_NOT_NEEDED);
}
END_TEST

static const char *stats_on(const char *name) { return strcmp(name, "LJMM_STATS") ? NULL : "on"; }

START_TEST(test_init_exit_report)
{
	/* A child process with LJMM_STATS=on prints its report from the destructor at exit. */
	char out[4096];
	int fds[2], status;
	ssize_t n, len = 0;
	pid_t pid;
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		ljmm_config_load_with(stats_on, 2);
		fk_copy_stderr_to(fds[1]);
		(void)mmap(NULL, M, RW, ANON | MAP_32BIT, -1, 0);
		exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + len, sizeof out - 1 - (size_t)len)) > 0)
		len += n;
	out[len] = 0;
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* mmap= counts every call of the program's mmap, the sanitizers' runtime's included
	 * (it calls it at exit in an ASan build): the rest is exact. */
	ck_assert_msg(strncmp(out, FK_LINE("notice") "ljmm[1000]: calls: mmap=", strlen(FK_LINE("notice")) + 24) == 0 &&
			  strstr(out, " munmap="),
		      "%s", out);
	ck_assert_str_eq(strstr(out, " munmap="),
			 " munmap=0 mremap=0 map32=1 kernel-served=1 region-served=0 (0.0 MiB) failed=0 "
			 "signal-reentries=0 kernel-skipped=0 hint-served=0\n"
			 FK_LINE("notice") "ljmm[1000]: region: never needed (the kernel served every MAP_32BIT request)\n"
			 FK_LINE("notice") "ljmm[1000]: guard: not needed (brk heap above 2 GiB)\n");
}
END_TEST

static const ljmm_unit_test_t tests[] = {
#ifdef LJMM_LINK_FORM
	{&test_interpose_wrap_names_are_the_entry_points, 1},
#endif
	{&test_interpose_errors_become_errno, 1},
	{&test_interpose_map32_through_the_region, 1},
	{&test_interpose_mremap_fifth_argument, 1},
	{&test_interpose_public_api, 1},
	{&test_init_exit_report, 1},
};

const ljmm_unit_t ljmm_unit = {.name = "interpose", .timeout = 0, .needs_fork = 1,
				 .tests = tests, .count = NELEM(tests)};
