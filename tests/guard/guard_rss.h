/* SPDX-License-Identifier: MIT */
/* What the guard workloads (ssl_ctx.c with glibc, musl_churn.c with musl) share: the
 * figures guard_rss.sh reads, and the leak their negative controls add. */
#ifndef LJMM_GUARD_RSS_H
#define LJMM_GUARD_RSS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BELOW_2G ((uintptr_t)1 << 31)

/* A "Key:  N kB" line of /proc/self/status, in KiB; -1 if absent. */
static inline long status_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* The leaked blocks stay reachable from here, so nothing elides them. */
static void *guard_leak_head;

/* Allocate, touch and never free kb KiB (the growth lua-nginx-module issue 1005
 * reported), for the negative controls; nothing when kb <= 0. */
static inline void guard_leak(long kb)
{
	if (kb <= 0)
		return;
	void **p = malloc((size_t)kb * 1024);
	if (!p) {
		perror("malloc");
		exit(2);
	}
	memset(p, 0x5a, (size_t)kb * 1024);
	*p = guard_leak_head;
	guard_leak_head = p;
}

/* The first fields of the figures line, at the moment of the call: peak and current
 * RSS, brk movement since main, whether the program is PIE. The caller adds its own
 * fields, then guard_report_end. */
static inline void guard_report_begin(const char *mode, long n, uintptr_t brk_start)
{
	uintptr_t brk_end = (uintptr_t)sbrk(0);
	printf("mode=%s n=%ld hwm_kb=%ld rss_kb=%ld brk_start=%#lx brk_end=%#lx brk_moved_kb=%ld brk_low=%s pie=%s",
	       mode, n, status_kb("VmHWM"), status_kb("VmRSS"), (unsigned long)brk_start, (unsigned long)brk_end,
	       (long)(brk_end - brk_start) / 1024, brk_end < BELOW_2G ? "yes" : "no",
	       (uintptr_t)&guard_report_begin >= BELOW_2G ? "yes" : "no");
}

/* The run time since t0, the end of the line. */
static inline void guard_report_end(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf(" secs=%.2f\n", (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9);
	fflush(stdout);
}

#endif
