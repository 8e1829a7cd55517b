/* SPDX-License-Identifier: MIT */
/* Run by badinput and valgrind_luajit.sh under LD_PRELOAD=libljmm_preload.so, or with the
 * link form linked in (LJMM_LINKED, tests/link/) (built -no-pie so that the brk guard
 * matters): maps 1 MiB MAP_32BIT blocks until ENOMEM and
 * prints the shim's effective configuration as one line of key=value pairs on stdout,
 * so that a run with a malformed variable can be compared with a run without it:
 *   guard_start    guard state at start-up (LJMM_GUARD: 2 placed, 1 lazy, 0 off)
 *   guard_reserve  LJMM_GUARD_RESERVE in bytes
 *   first          who served the first MAP_32BIT block (LJMM_POLICY: kernel-first -> kernel)
 *   region_used    whether the region served anything in the fill (LJMM_ENABLE)
 *   region_lo/hi   the region's bounds (LJMM_REGION_LO / LJMM_REGION_HI)
 *   verify         ljmm_verify() after the fill; reach_1800: at least 1800 blocks mapped
 * LJMM_STATS, LJMM_DEBUG and LJMM_LOG_FILE show on stderr, which badinput checks. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/testutil.h"
#include "ljmm.h"

#define MAX_BLOCKS 4096

static void *blocks[MAX_BLOCKS];

static ljmm_stats_t snap(int (*fn)(ljmm_stats_t *, size_t))
{
	ljmm_stats_t s;
	memset(&s, 0, sizeof s);
	if (fn(&s, sizeof s) != 0)
		fprintf(stderr, "probe: ljmm_stats_snapshot failed\n");
	return s;
}

/* Linked in, the API is called directly: a -static program's dlsym finds nothing. */
#ifdef LJMM_LINKED
#define SHIM_FN(type, name) ((type)name)
#else
#define SHIM_FN(type, name) ((type)dlsym(RTLD_DEFAULT, #name))
#endif

int main(void)
{
	int (*stats)(ljmm_stats_t *, size_t) = SHIM_FN(int (*)(ljmm_stats_t *, size_t), ljmm_stats_snapshot);
	int (*verify)(void) = SHIM_FN(int (*)(void), ljmm_verify);
	ljmm_stats_t s0, s1, s2;
	const char *first;
	size_t n = 0;
	int ok;
	if (!stats || !verify) {
		printf("FAIL: the shim is not preloaded (or linked in)\n");
		return 1;
	}
	memset(&s1, 0, sizeof s1);
	s0 = snap(stats);
	while (n < MAX_BLOCKS) {
		void *p = mmap(NULL, M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (p == MAP_FAILED)
			break;
		blocks[n++] = p;
		if (n == 1)
			s1 = snap(stats);
	}
	s2 = snap(stats);
	ok = verify();
	first = n == 0 ? "none" : s1.kernel_served == 1 ? "kernel" : s1.region_served == 1 ? "region" : "?";
	printf("guard_start=%llu guard_reserve=%llu first=%s region_used=%d region_lo=%#llx region_hi=%#llx "
	       "verify=%d reach_1800=%d\n",
	       (unsigned long long)s0.guard_state, (unsigned long long)s0.guard_reserve, first, s2.region_served > 0,
	       (unsigned long long)s2.region_lo, (unsigned long long)s2.region_hi, ok, n >= 1800);
	while (n)
		munmap(blocks[--n], M);
	return 0;
}
