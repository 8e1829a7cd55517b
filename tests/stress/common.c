/* SPDX-License-Identifier: MIT */
/* Helpers shared by the stress programs (see common.h). */
#include "common.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

uint64_t st_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t st_below(uint64_t *state, uint64_t n) { return st_rand(state) % n; }

uint64_t st_seed(uint64_t dflt)
{
	const char *s = getenv("LJMM_STRESS_SEED");
	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

double st_seconds(const char *arg, double dflt)
{
	const char *s = getenv("LJMM_STRESS_SECONDS");
	if (s && *s)
		return atof(s);
	return arg ? atof(arg) : dflt;
}

double st_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void *st_map32(size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
}

static uint64_t tag(uintptr_t home, uint64_t key)
{
	uint64_t z = (uint64_t)home * 0x9e3779b97f4a7c15ull ^ key;
	z = (z ^ (z >> 29)) * 0xbf58476d1ce4e5b9ull;
	return (z ^ (z >> 32)) | 1; /* never 0: a fresh zero page never passes */
}

void st_stamp(uintptr_t addr, uintptr_t home, size_t len, uint64_t key)
{
	for (size_t off = 0; off < len; off += PAGE)
		*(volatile uint64_t *)(addr + off) = tag(home + off, key);
}

int st_check(uintptr_t addr, uintptr_t home, size_t len, uint64_t key, uintptr_t *bad)
{
	for (size_t off = 0; off < len; off += PAGE)
		if (*(volatile uint64_t *)(addr + off) != tag(home + off, key)) {
			*bad = addr + off;
			return -1;
		}
	return 0;
}

/* Looked up at run time, so that the same program runs without the shim; where the shim
 * is linked in, taken directly: a -static program's dlsym finds nothing (tests/link/). */
#ifdef LJMM_STRESS_LINKED
#define ST_SHIM_FN(name) ((void *)name)
#else
#define ST_SHIM_FN(name) dlsym(RTLD_DEFAULT, #name)
#endif

int (*st_verify_fn(void))(void)
{
	/* Through a union: ISO C has no cast from void * to a function pointer. */
	union {
		void *p;
		int (*fn)(void);
	} u;
	u.p = ST_SHIM_FN(ljmm_verify);
	/* Under ctest the shim must be there: a preload that failed to load (the dynamic
	 * linker only warns) would otherwise pass every test with the checks skipped. */
	if (!u.p && getenv("LJMM_STRESS_EXPECT_SHIM")) {
		fprintf(stderr, "FAIL: LJMM_STRESS_EXPECT_SHIM is set but the shim is absent (no ljmm_verify)\n");
		exit(1);
	}
	return u.fn;
}

int st_stats(ljmm_stats_t *out)
{
	/* Looked up once, so that a forked child need not enter the dynamic linker. */
	static union {
		void *p;
		int (*fn)(ljmm_stats_t *, size_t);
	} u;
	static int looked;
	memset(out, 0, sizeof *out);
	if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
		u.p = ST_SHIM_FN(ljmm_stats_snapshot);
		__atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
	}
	return u.p ? u.fn(out, sizeof *out) : -1;
}

int st_maps_load(st_maps_t *m)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	m->n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx", &s, &e) != 2)
			continue;
		if (!strchr(line, '\n')) { /* a path longer than the buffer: skip its rest */
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		}
		if (m->n && m->end[m->n - 1] == s) { /* merge neighbours: blocks may span VMAs */
			m->end[m->n - 1] = e;
			continue;
		}
		if (m->n == m->cap) {
			m->cap = m->cap ? 2 * m->cap : 4096;
			m->start = realloc(m->start, m->cap * sizeof *m->start);
			m->end = realloc(m->end, m->cap * sizeof *m->end);
			if (!m->start || !m->end)
				FAIL("out of memory reading maps");
		}
		m->start[m->n] = s;
		m->end[m->n] = e;
		m->n++;
	}
	fclose(f);
	return 0;
}

void st_maps_free(st_maps_t *m)
{
	free(m->start);
	free(m->end);
	memset(m, 0, sizeof *m);
}

int st_maps_covers(const st_maps_t *m, uintptr_t addr, size_t len)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) { /* the last range starting at or below addr */
		size_t mid = (lo + hi) / 2;
		if (m->start[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && addr + len <= m->end[lo - 1];
}

int st_maps_has(const char *needle)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}
