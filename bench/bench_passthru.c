/* SPDX-License-Identifier: MIT */
/* Pass-through cost: time mmap+munmap pairs that the shim only forwards to the kernel.
 * scripts/bench.sh runs this same binary with and without LD_PRELOAD, alternating.
 *
 * usage: bench_passthru MODE PAIRS_PER_BATCH BATCHES
 *   anon4k     4 KiB private anonymous mapping (no MAP_32BIT), never touched
 *   anon1m     1 MiB, likewise
 *   map32      64 KiB MAP_32BIT with the kernel's window empty (the kernel serves it)
 *   map32live  64 KiB MAP_32BIT after the window was filled once and emptied again:
 *              under the shim (default policy) the window has run out, so the region
 *              serves every call from then on (docs/design.md "Placement"); without
 *              it the process went through the same fill and release and the kernel
 *              serves them
 *   map32hint  the same after the same fill and release, with an address hint in the
 *              window (1.25 GiB): the kernel serves it, shim or not (a hint asks the
 *              kernel first), and under the shim each call is recorded in the live index
 * For anon4k/anon1m the layout is settled first, the same way with and without the shim:
 * PROT_NONE blocks of the measured size are mapped until one lands right below the
 * previous one, so every small gap the top-down allocator would try first is filled
 * and each measured block lands below an inaccessible neighbour, never merged with a
 * mapping that happens to be there (an extra library moves the libraries, and a merge
 * or not changes the kernel's work by more than the shim's cost).
 * Prints one line: "mode=<m> ns_per_pair=<median over batches> min=<fastest batch>
 * wall_ns=<median wall-clock time per pair>". Per-pair figures are the thread's CPU time
 * (user + system, clock_gettime(CLOCK_THREAD_CPUTIME_ID)): time spent waiting for a CPU
 * behind other work on the machine is not counted. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench_common.h"

#define FILL_BLOCK ((size_t)1 << 20)
#define FILL_MAX 2100

static void fill_and_release(void)
{
	static void *blocks[FILL_MAX];
	size_t n = 0;
	ljmm_stats_t st;
	while (n < FILL_MAX) {
		void *p = mmap(NULL, FILL_BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (p == MAP_FAILED)
			break;
		blocks[n++] = p;
		/* Under the shim the fill would go on into the region: stop at its first block. */
		if (bench_shim_stats(&st) == 0 && st.region_served)
			break;
	}
	while (n)
		munmap(blocks[--n], FILL_BLOCK);
}

static void settle(size_t len)
{
	char *prev = NULL;
	for (int i = 0; i < 4096; i++) {
		char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || (prev && p + len == prev))
			return;
		prev = p;
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long pairs = argc > 2 ? strtol(argv[2], NULL, 10) : 0, batches = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t len;
	void *hint = NULL;
	double *ns, *wall;
	if (!strcmp(mode, "anon4k")) {
		len = 4096;
	} else if (!strcmp(mode, "anon1m")) {
		len = (size_t)1 << 20;
	} else if (!strcmp(mode, "map32") || !strcmp(mode, "map32live") || !strcmp(mode, "map32hint")) {
		len = (size_t)64 << 10;
		flags |= MAP_32BIT;
	} else {
		fprintf(stderr, "usage: %s anon4k|anon1m|map32|map32live|map32hint PAIRS_PER_BATCH BATCHES\n", argv[0]);
		return 2;
	}
	if (pairs < 1 || batches < 1) {
		fprintf(stderr, "%s: PAIRS_PER_BATCH and BATCHES must be positive\n", argv[0]);
		return 2;
	}
	if (!strcmp(mode, "map32live") || !strcmp(mode, "map32hint"))
		fill_and_release();
	if (!strcmp(mode, "map32hint"))
		hint = (void *)((uintptr_t)5 << 28);
	if (!(flags & MAP_32BIT))
		settle(len);
	ns = calloc((size_t)batches, sizeof *ns);
	wall = calloc((size_t)batches, sizeof *wall);
	if (!ns || !wall)
		return 1;
	/* One unmeasured batch to fault in code and page tables. */
	for (long b = -1; b < batches; b++) {
		uint64_t w0 = bench_now_ns(), t0 = bench_cpu_ns();
		for (long i = 0; i < pairs; i++) {
			void *p = mmap(hint, len, PROT_READ | PROT_WRITE, flags, -1, 0);
			if (p == MAP_FAILED) {
				fprintf(stderr, "mmap: %s\n", strerror(errno));
				return 1;
			}
			if ((flags & MAP_32BIT) && (uintptr_t)p + len > BENCH_2G) {
				fprintf(stderr, "MAP_32BIT block at %p above 2 GiB\n", p);
				return 1;
			}
			if (munmap(p, len)) {
				fprintf(stderr, "munmap: %s\n", strerror(errno));
				return 1;
			}
		}
		if (b >= 0) {
			ns[b] = (double)(bench_cpu_ns() - t0) / (double)pairs;
			wall[b] = (double)(bench_now_ns() - w0) / (double)pairs;
		}
	}
	{
		double med = bench_median(ns, (size_t)batches);
		printf("mode=%s ns_per_pair=%.1f min=%.1f wall_ns=%.1f\n", mode, med, ns[0],
		       bench_median(wall, (size_t)batches));
	}
	free(ns);
	free(wall);
	return 0;
}
