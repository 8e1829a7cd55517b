/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the benchmark programs: a monotonic clock, medians, and the
 * optional statistics of the shim (found with dlsym when it is preloaded). */
#ifndef LJMM_BENCH_COMMON_H
#define LJMM_BENCH_COMMON_H

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../include/ljmm.h"

#define BENCH_1G ((uintptr_t)1 << 30)
#define BENCH_2G ((uintptr_t)1 << 31)
#define BENCH_PAGE ((uintptr_t)4096)

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of the calling thread (user + system): unlike the wall clock it does not
 * count the time the thread waited for a CPU, so it holds up on a loaded machine. */
static inline uint64_t bench_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v in place); 0 when n is 0. */
static inline double bench_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef int (*bench_snapshot_fn)(ljmm_stats_t *, size_t);

/* The shim's counters, when it is loaded: 0 and *out filled, or -1. */
static inline int bench_shim_stats(ljmm_stats_t *out)
{
	static bench_snapshot_fn fn;
	static int looked;
	if (!looked) {
		void *sym = dlsym(RTLD_DEFAULT, "ljmm_stats_snapshot");
		looked = 1;
		memcpy(&fn, &sym, sizeof fn);
	}
	memset(out, 0, sizeof *out);
	return fn ? fn(out, sizeof *out) : -1;
}

/* VmRSS of this process in KiB, or -1. */
static inline long bench_vmrss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6)) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

#endif
