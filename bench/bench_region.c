/* SPDX-License-Identifier: MIT */
/* Cost of a MAP_32BIT mmap+munmap pair as a function of the number of free extents
 * (holes) in the low 2 GiB, served three ways:
 *
 *   kernel  no shim, the kernel's [1 GiB, 2 GiB) window has room: the kernel serves it.
 *   region  under LD_PRELOAD=libljmm_preload.so, with the kernel's window filled first:
 *           the shim serves it from its region (kernel-first, which hands placement
 *           to the region once its window has run out).
 *   naive   no shim, window full: a baseline fallback of our own written like the
 *           published workarounds: after the kernel's ENOMEM it re-reads
 *           /proc/self/maps with stdio on every call, takes the first gap that fits in
 *           [low, 1 GiB) and maps it with MAP_FIXED_NOREPLACE.
 *
 * The holes are made the same way in every mode: starting at `low` (64 KiB, or the
 * page after the brk heap if that is below 1 GiB), one page mapped, one page left
 * free, N times ("checkerboard"): N one-page free extents, and N more mappings in the
 * process. They are too small for the measured request, so every search has to get
 * past them: the shim's size-ordered treap, the naive scan of the maps file (the
 * checkerboard comes first in address order), the kernel's VMA tree.
 *
 * Everything the set-up maps (window fill, checkerboard) is PROT_NONE, so the measured
 * read-write block is never merged with a neighbour: in every mode the kernel inserts
 * and removes one VMA per pair. (Were the fill read-write, the region's block, always
 * placed right under it, would be merged and split every time, while the kernel's,
 * placed from a random start in its window, almost never is: an unfair comparison.)
 *
 * usage: bench_region MODE SIZE_KIB LEVELS LEVEL_MS
 *   LEVELS    comma-separated increasing hole counts, e.g. 10,100,1000
 *   LEVEL_MS  time spent measuring each level (at least 5 batches)
 * Prints one line per level:
 *   mode=<m> n=<holes> ns_per_pair=<median batch> min=<fastest batch> pairs=<measured>
 *   maps=<lines in /proc/self/maps> extents=<shim's free extents|-1>
 *   region_served=<during the level|-1> kernel_skipped=<..|-1> rss_kib=<VmRSS>
 *   wall_ns=<median wall-clock time per pair>
 * Per-pair figures are the thread's CPU time (user + system), which does not count time
 * spent waiting for a CPU behind other work on the machine.
 * Exit 0; 1 on an unexpected failure (the level line says which). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_common.h"

enum { MODE_KERNEL, MODE_REGION, MODE_NAIVE };

static int mode;
static size_t req_len;
static uintptr_t low;

/* --- the naive baseline ----------------------------------------------------------- */

static uintptr_t parse_hex(const char **s)
{
	uintptr_t v = 0;
	for (;; (*s)++) {
		char c = **s;
		if (c >= '0' && c <= '9')
			v = v * 16 + (uintptr_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uintptr_t)(c - 'a' + 10);
		else
			return v;
	}
}

/* First gap of len bytes in [low, 1 GiB) per /proc/self/maps, or 0. */
/* The next mapping's [start, end) from a /proc/self/maps stream: 1, or 0 at the end.
 * Lines longer than the buffer (long paths) are skipped to their end. */
static int next_range(FILE *f, int *at_line_start, uintptr_t *start, uintptr_t *end)
{
	char line[512];
	while (fgets(line, sizeof line, f)) {
		int starts = *at_line_start;
		const char *s = line;
		*at_line_start = strchr(line, '\n') != NULL;
		if (!starts)
			continue;
		*start = parse_hex(&s);
		if (*s++ != '-')
			continue;
		*end = parse_hex(&s);
		return 1;
	}
	return 0;
}

static uintptr_t naive_find(size_t len)
{
	uintptr_t cursor = low, found = 0, start, end;
	int at_line_start = 1;
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return 0;
	while (next_range(f, &at_line_start, &start, &end)) {
		if (start >= BENCH_1G)
			break;
		if (start > cursor && start - cursor >= len) {
			found = cursor;
			break;
		}
		if (end > cursor)
			cursor = end;
	}
	fclose(f);
	if (!found && cursor < BENCH_1G && BENCH_1G - cursor >= len)
		found = cursor;
	return found;
}

static void *naive_mmap(size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags | MAP_32BIT, -1, 0);
	uintptr_t at;
	if (p != MAP_FAILED || errno != ENOMEM)
		return p;
	at = naive_find(len);
	if (!at) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return mmap((void *)at, len, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
}

/* --- set-up ------------------------------------------------------------------------ */

/* MAP_32BIT blocks until ENOMEM, or (under the shim) until a block lands below 1 GiB:
 * the kernel's window and the part of [1 GiB, 2 GiB) it does not use are then full.
 * The blocks stay mapped (never touched: no memory is used). */
static int fill_window(size_t block)
{
	for (uintptr_t n = 0; n <= BENCH_2G / block + 16; n++) {
		void *p = mmap(NULL, block, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (p == MAP_FAILED)
			return errno == ENOMEM ? 0 : -1;
		if ((uintptr_t)p < BENCH_1G)
			return 0;
	}
	return -1;
}

/* The kernel draws the start of its MAP_32BIT search at random in [1 GiB, 1 GiB + 32 MiB)
 * on every call, so after an ENOMEM a later call may still find room low in the window.
 * Map every gap left in [1 GiB, 2 GiB) so that the window is full for good. */
static int seal_window(void)
{
	uintptr_t cursor = BENCH_1G, gaps[256][2], start, end;
	size_t ngaps = 0;
	int at_line_start = 1;
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (ngaps < 256 && next_range(f, &at_line_start, &start, &end)) {
		if (start >= BENCH_2G)
			break;
		if (start > cursor) {
			gaps[ngaps][0] = cursor;
			gaps[ngaps++][1] = start;
		}
		if (end > cursor)
			cursor = end;
	}
	fclose(f);
	if (cursor < BENCH_2G && ngaps < 256) {
		gaps[ngaps][0] = cursor;
		gaps[ngaps++][1] = BENCH_2G;
	}
	for (size_t i = 0; i < ngaps; i++) {
		void *want = (void *)gaps[i][0];
		size_t len = gaps[i][1] - gaps[i][0];
		if (mmap(want, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != want)
			return -1;
	}
	return 0;
}

static long holes_made, next_sep;

/* Extend the checkerboard to n holes: pages low + 2i pages for i in [0, n]. */
static int make_holes(long n)
{
	for (long i = next_sep; i <= n; i++) {
		void *want = (void *)(low + (uintptr_t)(2 * i) * BENCH_PAGE);
		void *p = mmap(want, BENCH_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0);
		if (p != want) {
			fprintf(stderr, "bench_region: cannot map hole separator %ld at %p: %s%s\n", i, want,
				p == MAP_FAILED ? strerror(errno) : "placed elsewhere",
				p == MAP_FAILED && errno == ENOMEM ? " (vm.max_map_count too low?)" : "");
			return -1;
		}
	}
	holes_made = n;
	next_sep = n + 1;
	return 0;
}

static long maps_lines(void)
{
	char buf[65536];
	long n = 0;
	size_t got;
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0)
		for (size_t i = 0; i < got; i++)
			n += buf[i] == '\n';
	fclose(f);
	return n;
}

/* --- measurement ------------------------------------------------------------------- */

static int one_pair(uintptr_t *where)
{
	const int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p = mode == MODE_NAIVE ? naive_mmap(req_len, prot, flags) : mmap(NULL, req_len, prot, flags | MAP_32BIT, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	if (where)
		*where = (uintptr_t)p;
	return munmap(p, req_len);
}

static int run_batch(long pairs, double *ns, double *wall)
{
	uint64_t w0 = bench_now_ns(), t0 = bench_cpu_ns();
	for (long i = 0; i < pairs; i++)
		if (one_pair(NULL))
			return -1;
	*ns = (double)(bench_cpu_ns() - t0);
	*wall = (double)(bench_now_ns() - w0);
	return 0;
}

static int measure_level(long n, long level_ms)
{
	static double per[4096], per_wall[4096];
	ljmm_stats_t before, after;
	int have_stats = bench_shim_stats(&before) == 0;
	uintptr_t where = 0;
	long batch = 1, count = 0, total = 0;
	uint64_t start;
	double t = 0, w = 0, med;
	if (one_pair(&where)) {
		fprintf(stderr, "bench_region: mode %d, %ld holes: mmap/munmap failed: %s\n", mode, n, strerror(errno));
		return -1;
	}
	if (where + req_len > BENCH_2G || (mode != MODE_KERNEL && where >= BENCH_1G)) {
		fprintf(stderr, "bench_region: %ld holes: block at %#lx is not where this mode puts it\n", n,
			(unsigned long)where);
		return -1;
	}
	/* Calibrate: batches of at least 1 ms (these also warm up). */
	for (;;) {
		if (run_batch(batch, &t, &w))
			return -1;
		if (t >= 1e6 || batch >= (1L << 20))
			break;
		batch *= 2;
	}
	start = bench_now_ns();
	while (count < (long)(sizeof per / sizeof per[0]) &&
	       (count < 5 || bench_now_ns() - start < (uint64_t)level_ms * 1000000u)) {
		if (run_batch(batch, &t, &w)) {
			fprintf(stderr, "bench_region: %ld holes: mmap/munmap failed: %s\n", n, strerror(errno));
			return -1;
		}
		per_wall[count] = w / (double)batch;
		per[count++] = t / (double)batch;
		total += batch;
	}
	if (have_stats)
		bench_shim_stats(&after);
	med = bench_median(per, (size_t)count);
	printf("mode=%s n=%ld ns_per_pair=%.1f min=%.1f pairs=%ld maps=%ld extents=%lld region_served=%lld "
	       "kernel_skipped=%lld rss_kib=%ld wall_ns=%.1f\n",
	       mode == MODE_KERNEL ? "kernel" : mode == MODE_REGION ? "region" : "naive", n, med, per[0], total,
	       maps_lines(), have_stats ? (long long)after.free_extents : -1LL,
	       have_stats ? (long long)(after.region_served - before.region_served) : -1LL,
	       have_stats ? (long long)(after.kernel_skipped - before.kernel_skipped) : -1LL, bench_vmrss_kib(),
	       bench_median(per_wall, (size_t)count));
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	ljmm_stats_t st;
	const char *levels;
	long level_ms;
	uintptr_t brk_now = (uintptr_t)sbrk(0);
	if (argc != 5) {
		fprintf(stderr, "usage: %s kernel|region|naive SIZE_KIB LEVELS LEVEL_MS\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "kernel"))
		mode = MODE_KERNEL;
	else if (!strcmp(argv[1], "region"))
		mode = MODE_REGION;
	else if (!strcmp(argv[1], "naive"))
		mode = MODE_NAIVE;
	else {
		fprintf(stderr, "%s: unknown mode %s\n", argv[0], argv[1]);
		return 2;
	}
	req_len = (size_t)strtoul(argv[2], NULL, 10) << 10;
	levels = argv[3];
	level_ms = strtol(argv[4], NULL, 10);
	if (!req_len || req_len % BENCH_PAGE || level_ms < 1) {
		fprintf(stderr, "%s: bad SIZE_KIB or LEVEL_MS\n", argv[0]);
		return 2;
	}
	if ((bench_shim_stats(&st) == 0) != (mode == MODE_REGION)) {
		fprintf(stderr, "%s: mode %s %s LD_PRELOAD=libljmm_preload.so\n", argv[0], argv[1],
			mode == MODE_REGION ? "needs" : "must run without");
		return 2;
	}
	low = 65536;
	if (brk_now < BENCH_1G / 2)
		low = (brk_now + (1u << 20) + BENCH_PAGE - 1) & ~(BENCH_PAGE - 1);

	if (mode != MODE_KERNEL && (fill_window(1u << 20) || fill_window(BENCH_PAGE) || seal_window())) {
		fprintf(stderr, "%s: filling the MAP_32BIT window failed: %s\n", argv[0], strerror(errno));
		return 1;
	}
	while (*levels) {
		char *end;
		long n = strtol(levels, &end, 10);
		if (end == levels || n < holes_made) {
			fprintf(stderr, "%s: bad LEVELS at '%s'\n", argv[0], levels);
			return 2;
		}
		levels = *end == ',' ? end + 1 : end;
		if (make_holes(n) || measure_level(n, level_ms))
			return 1;
	}
	return 0;
}
