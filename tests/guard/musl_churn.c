/* SPDX-License-Identifier: MIT */
/* A malloc-heavy workload for measuring the brk guard's cost under musl's malloc (1.2.x
 * mallocng), where the OpenSSL workload (ssl_ctx.c) cannot be built: Debian's OpenSSL is
 * a glibc library. Built with musl-gcc -no-pie, so that the brk heap is below 2 GiB and
 * the shim places its guard right at the break.
 *
 * Usage: musl_churn churn N   keep 2048 blocks of mixed sizes alive and replace a random
 *                             one N * 1000 times (frees interleaved with allocations)
 *        musl_churn keep N    allocate N * 1000 blocks of mixed sizes, keep them all
 * Every page of every block is written, so RSS counts it.
 *
 * Sizes, drawn from a fixed-seed generator: 75 % 16 B-1 KiB, 20 % 1-32 KiB, 4 % 32-256 KiB
 * (mallocng serves these from groups up to ~128 KiB and maps larger ones itself), 1 %
 * 256 KiB-2 MiB (always a mapping of their own); mean ~21 KiB.
 *
 * Prints one line of key=value pairs (sizes in KiB) on stdout, the fields guard_rss.sh
 * reads: mode n hwm_kb rss_kb brk_start brk_end brk_moved_kb brk_low pie secs.
 *
 * Negative control: MUSL_CHURN_TEST_LEAK_KB=K makes every 1000 operations also allocate,
 * touch and never free K KiB; the RSS comparison must then fail. */
#include "../lib/testutil.h"
#include "guard_rss.h"

#define LIVE 2048

/* splitmix64 */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}
static size_t between(size_t lo, size_t hi)
{
	return lo + (size_t)(rnd() % (hi - lo + 1));
}

static size_t mixed_size(void)
{
	unsigned pick = (unsigned)(rnd() % 100);
	if (pick < 75)
		return between(16, 1024);
	if (pick < 95)
		return between(1024, 32 << 10);
	if (pick < 99)
		return between(32 << 10, 256 << 10);
	return between(256 << 10, 2 << 20);
}

/* A block of a random size with every page written. */
static void *alloc_touched(void)
{
	size_t n = mixed_size();
	unsigned char *p = malloc(n);
	if (!p) {
		fprintf(stderr, "musl_churn: malloc(%zu) failed\n", n);
		exit(2);
	}
	for (size_t off = 0; off < n; off += PAGE)
		p[off] = (unsigned char)off;
	p[n - 1] = 1;
	return p;
}

int main(int argc, char **argv)
{
	/* sbrk(0) only: musl's sbrk refuses every other increment. */
	uintptr_t brk_start = (uintptr_t)sbrk(0);
	const char *mode, *leak = getenv("MUSL_CHURN_TEST_LEAK_KB");
	struct timespec t0;
	long n, leak_kb = 0;

	if (argc < 3 || (strcmp(argv[1], "churn") && strcmp(argv[1], "keep"))) {
		fprintf(stderr, "usage: %s churn|keep N\n", argv[0]);
		return 2;
	}
	mode = argv[1];
	n = strtol(argv[2], NULL, 10);
	if (n <= 0 || n > 1000000) {
		fprintf(stderr, "musl_churn: N must be a number from 1 to 1000000\n");
		return 2;
	}
	if (leak)
		leak_kb = strtol(leak, NULL, 10);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(mode, "churn") == 0) {
		static void *live[LIVE];
		for (size_t i = 0; i < LIVE; i++)
			live[i] = alloc_touched();
		for (long i = 0; i < n * 1000; i++) {
			size_t k = (size_t)(rnd() % LIVE);
			free(live[k]);
			live[k] = alloc_touched();
			if (i % 1000 == 999)
				guard_leak(leak_kb);
		}
		guard_report_begin(mode, n, brk_start);
		guard_report_end(&t0);
		for (size_t i = 0; i < LIVE; i++)
			free(live[i]);
	} else {
		size_t count = (size_t)n * 1000;
		void **all = calloc(count, sizeof *all);
		if (!all) {
			perror("calloc");
			return 2;
		}
		for (size_t i = 0; i < count; i++) {
			all[i] = alloc_touched();
			if (i % 1000 == 999)
				guard_leak(leak_kb);
		}
		guard_report_begin(mode, n, brk_start); /* while every block is alive */
		guard_report_end(&t0);
		for (size_t i = 0; i < count; i++)
			free(all[i]);
		free(all);
	}
	return 0;
}
