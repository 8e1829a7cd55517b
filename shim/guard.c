/* SPDX-License-Identifier: MIT */
/* The brk guard (see guard.h): its placement, its mode, and its bookkeeping.
 *
 * Non-PIE programs have their brk heap low (after .bss, randomised by up to 32 MiB on
 * x86-64, and in the first GiB or beyond with some kernels' layouts); PIE programs and
 * programs started through ld.so have it far above 4 GiB and get no guard. The guard is
 * placed with MAP_FIXED_NOREPLACE (Linux >= 4.17) so it can never replace a mapping;
 * older kernels take the flag as a hint and may answer elsewhere, which we undo.
 *
 * When: at start-up (LJMM_GUARD=on), at the first region allocation (lazy), or never
 * (off). Unset, the mode depends on the C library: blocking brk pushes malloc onto
 * mmap, which made one program's memory grow without bound on an old glibc
 * (lua-nginx-module issue 1005, Ubuntu 14.04's eglibc 2.19). tests/guard measures the
 * cost with glibc 2.36 (Debian 12) and 2.31 (Debian 11); on a glibc older than the
 * oldest one measured the default is lazy, so the guard only comes when the region is
 * actually needed. */
#include "guard.h"

#include <errno.h>
#include <sys/mman.h>

#include "../include/ljmm.h"
#include "config.h"
#include "index.h"
#include "internal.h"
#include "log.h"
#include "section.h"
#include "stats.h"
#include "sys.h"

/* The oldest glibc the guard measurement (tests/guard, in the Debian 11 root of
 * scripts/debian11.sh) has passed on. */
#define GLIBC_MEASURED_MAJOR 2
#define GLIBC_MEASURED_MINOR 31

/* glibc's own; absent (NULL) with musl, whose default is decided separately. A strong
 * reference when built for glibc: a static link (the link form ljmm.o with -static) takes
 * a symbol from libc.a only for a strong one, and a weak one left NULL would give a
 * static glibc older than 2.31 musl's default. */
#ifdef __GLIBC__
extern const char *gnu_get_libc_version(void);
#else
extern const char *gnu_get_libc_version(void) __attribute__((weak));
#endif

static const char *libc_version(void)
{
#ifdef __GLIBC__
	return gnu_get_libc_version();
#else
	return gnu_get_libc_version ? gnu_get_libc_version() : NULL;
#endif
}

static int tried;   /* under the lock (or the single-threaded constructor) */
static int mode;    /* LJMM_GUARD_ON/LAZY/OFF, chosen by ljmm_guard_init */
static int chosen;  /* mode was chosen (by the constructor, or by the first region use before it) */

int ljmm_guard_place(uintptr_t reserve, uintptr_t lo, uintptr_t limit, ljmm_guard_t *g)
{
	/* brk(0) fails by returning the current break, which is what we want to read. */
	uintptr_t brk = (uintptr_t)ljmm_sys_brk(0);
	long r;
	g->addr = g->keep_lo = g->keep_hi = 0;
	g->state = LJMM_GUARD_STATE_NOT_NEEDED;
	if (!brk || brk >= limit)
		return 0;
	brk = ljmm_page_up(brk);
	g->addr = brk + reserve;
	if (g->addr < brk || g->addr + LJMM_PAGE > limit)
		return 0;
	/* A region that starts far above the heap leaves brk room up to its start. */
	if (lo >= LJMM_PAGE && g->addr < lo - LJMM_PAGE)
		g->addr = ljmm_page_down(lo) - LJMM_PAGE;
	r = ljmm_sys_mmap((void *)g->addr, LJMM_PAGE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (r == -EEXIST) {
		g->state = LJMM_GUARD_STATE_OCCUPIED;
		return 0;
	}
	if (ljmm_sys_is_err(r)) {
		g->state = LJMM_GUARD_STATE_FAILED;
		return (int)r;
	}
	if ((uintptr_t)r != g->addr) {
		/* A pre-4.17 kernel took MAP_FIXED_NOREPLACE as a hint: the spot is taken. */
		ljmm_sys_munmap((void *)r, LJMM_PAGE);
		g->state = LJMM_GUARD_STATE_OCCUPIED;
		return 0;
	}
	g->state = LJMM_GUARD_STATE_PLACED;
	g->keep_lo = brk;
	g->keep_hi = g->addr;
	return 0;
}

int ljmm_guard_default_mode(const char *v)
{
	unsigned major = 0, minor = 0;
	if (!v)
		return LJMM_GUARD_ON; /* musl: measured by tests/guard (musl_malloc_churn) */
	for (; *v >= '0' && *v <= '9'; v++)
		major = major * 10 + (unsigned)(*v - '0');
	if (*v == '.')
		for (v++; *v >= '0' && *v <= '9'; v++)
			minor = minor * 10 + (unsigned)(*v - '0');
	if (major > GLIBC_MEASURED_MAJOR || (major == GLIBC_MEASURED_MAJOR && minor >= GLIBC_MEASURED_MINOR))
		return LJMM_GUARD_ON;
	return LJMM_GUARD_LAZY;
}

static void choose(void)
{
	if (chosen)
		return;
	chosen = 1;
	if (ljmm_config_is_set(LJMM_OPT_GUARD)) {
		mode = (int)ljmm_config_get(LJMM_OPT_GUARD);
		return;
	}
	mode = ljmm_guard_default_mode(libc_version());
	ljmm_stats_set(&ljmm_stats_live.guard_defaulted_lazy, mode == LJMM_GUARD_LAZY);
}

/* Place the guard now (unless its mode is off) and record where it went: the counters, the
 * index, the reserve it keeps for brk. */
static void place_guard_and_record(void)
{
	ljmm_guard_t g;
	int r;
	tried = 1;
	if (mode == LJMM_GUARD_OFF) {
		ljmm_stats_set(&ljmm_stats_live.guard_state, LJMM_GUARD_STATE_OFF);
		return;
	}
	r = ljmm_guard_place(ljmm_config_get(LJMM_OPT_GUARD_RESERVE), ljmm_config_get(LJMM_OPT_REGION_LO),
			     ljmm_config_get(LJMM_OPT_REGION_HI), &g);
	ljmm_stats_set(&ljmm_stats_live.guard_state, (uint64_t)g.state);
	ljmm_stats_set(&ljmm_stats_live.guard_addr, g.addr);
	ljmm_stats_set(&ljmm_stats_live.guard_reserve, g.keep_hi - g.keep_lo);
	if (g.state == LJMM_GUARD_STATE_PLACED) {
		ljmm_index_record_used(g.addr, g.addr + LJMM_PAGE);
		ljmm_index_set_reserve(g.keep_lo, g.keep_hi);
	}
	LJMM_DEBUG(g.state == LJMM_GUARD_STATE_PLACED ? "guard: placed" : "guard: not placed", g.addr, "state",
		   (uint64_t)g.state, r);
}

void ljmm_guard_before_region(void)
{
	if (tried)
		return;
	choose();
	place_guard_and_record();
}

void ljmm_guard_init(void)
{
	ljmm_section_t sec;
	if (ljmm_section_enter(&sec) != 0)
		return;
	choose();
	/* Unless another library's constructor already had the region serve (and so placed
	 * a lazy guard): its state stands. */
	if (!tried) {
		if (mode == LJMM_GUARD_LAZY)
			ljmm_stats_set(&ljmm_stats_live.guard_state, LJMM_GUARD_STATE_PENDING);
		else
			place_guard_and_record();
	}
	ljmm_section_leave(&sec);
}
