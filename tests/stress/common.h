/* SPDX-License-Identifier: MIT */
/* Helpers shared by the stress programs (stress.c, forkexec.c, exhaust.c): seeded
 * randomness, per-page patterns, /proc/self/maps coverage and the shim's API looked
 * up at run time, so that every program also runs without the shim. */
#ifndef LJMM_STRESS_COMMON_H
#define LJMM_STRESS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "ljmm.h"
#include "../lib/errname.h"
#include "../lib/testutil.h"

/* How the shim reached this program: preloaded, or linked in (LJMM_STRESS_LINKED: the
 * sanitizer build's sources, or the link form ljmm.o of tests/link/). */
#ifdef LJMM_STRESS_LINKED
#define ST_SHIM_PRESENT "linked in"
#else
#define ST_SHIM_PRESENT "preloaded"
#endif

#define LOW_END ((uintptr_t)1 << 31)

/* stderr is unbuffered; _exit so that a failing worker never runs atexit handlers
 * while other threads still map memory. */
#define FAIL(...)                                                  \
	do {                                                       \
		fprintf(stderr, "FAIL: " __VA_ARGS__);             \
		fprintf(stderr, " (%s:%d)\n", __FILE__, __LINE__); \
		_exit(1);                                          \
	} while (0)

/* splitmix64: small, seedable, one word of state per thread. */
uint64_t st_rand(uint64_t *state);
/* A uniform value in [0, n), n > 0. */
uint64_t st_below(uint64_t *state, uint64_t n);
/* Seed from LJMM_STRESS_SEED, else the default; the caller prints it. */
uint64_t st_seed(uint64_t dflt);
/* Seconds from LJMM_STRESS_SECONDS, else the argument, else the default. */
double st_seconds(const char *arg, double dflt);
double st_now(void);

void *st_map32(size_t len);

/* Pattern: the first word of each page holds a tag of the page's home address (where it
 * was first written) and the block's key, so stale, foreign or zeroed pages all show. */
void st_stamp(uintptr_t addr, uintptr_t home, size_t len, uint64_t key);
/* 0 when all pages read back; else -1 and *bad is the first wrong page. */
int st_check(uintptr_t addr, uintptr_t home, size_t len, uint64_t key, uintptr_t *bad);

/* The shim's ljmm_verify and ljmm_stats_snapshot, or NULL/-1 without the shim. */
int (*st_verify_fn(void))(void);
int st_stats(ljmm_stats_t *out);

/* /proc/self/maps as sorted, merged [start, end) ranges. */
typedef struct {
	uintptr_t *start, *end;
	size_t n, cap;
} st_maps_t;
int st_maps_load(st_maps_t *m);
void st_maps_free(st_maps_t *m);
/* Whether [addr, addr + len) is wholly mapped. */
int st_maps_covers(const st_maps_t *m, uintptr_t addr, size_t len);
/* Whether a mapping whose path contains needle is present. */
int st_maps_has(const char *needle);

#endif
