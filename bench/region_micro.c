/* SPDX-License-Identifier: MIT */
/* The shim's free-extent index alone (shim/region.c compiled in, no system call, no
 * lock): the cost of the bookkeeping a region-served mmap+munmap pair does, as a
 * function of the number of free extents. It replays what the shim's region path does
 * for one pair: ljmm_region_find (best fit), ljmm_region_mark_used (the block), then
 * ljmm_region_mark_free (the munmap). The layout is the one bench_region makes: the
 * kernel's window [1 GiB, 2 GiB) used, one-page holes from the bottom of the region.
 *
 * usage: region_micro SIZE_KIB LEVELS LEVEL_MS
 * Prints per level: "n=<holes> index_ns=<median CPU ns per pair> extents=<count>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "region.h"

#define CAP ((1u << 18) + 2)
#define LO ((uintptr_t)65536)

static ljmm_region_node_t nodes[CAP];
static ljmm_region_t region;

__attribute__((noinline)) static int pair(size_t len)
{
	uintptr_t a;
	if (ljmm_region_find(&region, len, &a))
		return -1;
	ljmm_region_mark_used(&region, a, a + len);
	ljmm_region_mark_free(&region, a, a + len);
	return 0;
}

int main(int argc, char **argv)
{
	static double per[4096];
	size_t len;
	const char *levels;
	long level_ms, next = 0;
	if (argc != 4) {
		fprintf(stderr, "usage: %s SIZE_KIB LEVELS LEVEL_MS\n", argv[0]);
		return 2;
	}
	len = (size_t)strtoul(argv[1], NULL, 10) << 10;
	levels = argv[2];
	level_ms = strtol(argv[3], NULL, 10);
	ljmm_region_init(&region, nodes, CAP, LO, BENCH_2G);
	ljmm_region_mark_free(&region, LO, BENCH_1G);
	while (*levels) {
		char *end;
		long n = strtol(levels, &end, 10), batch = 1, count = 0;
		uint64_t start;
		double t = 0;
		if (end == levels || n < next - 1) {
			fprintf(stderr, "%s: bad LEVELS\n", argv[0]);
			return 2;
		}
		levels = *end == ',' ? end + 1 : end;
		for (long i = next; i <= n; i++) {
			uintptr_t p = LO + (uintptr_t)(2 * i) * BENCH_PAGE;
			ljmm_region_mark_used(&region, p, p + BENCH_PAGE);
		}
		next = n + 1;
		for (;;) {
			uint64_t t0 = bench_cpu_ns();
			for (long i = 0; i < batch; i++)
				if (pair(len))
					return 1;
			t = (double)(bench_cpu_ns() - t0);
			if (t >= 1e6 || batch >= (1L << 24))
				break;
			batch *= 2;
		}
		start = bench_now_ns();
		while (count < 4096 && (count < 5 || bench_now_ns() - start < (uint64_t)level_ms * 1000000u)) {
			uint64_t t0 = bench_cpu_ns();
			for (long i = 0; i < batch; i++)
				pair(len);
			per[count++] = (double)(bench_cpu_ns() - t0) / (double)batch;
		}
		if (ljmm_region_check(&region) != 0) {
			fprintf(stderr, "%s: index invariant broken\n", argv[0]);
			return 1;
		}
		printf("n=%ld index_ns=%.1f extents=%u\n", n, bench_median(per, (size_t)count), region.count);
		fflush(stdout);
	}
	return 0;
}
