/* SPDX-License-Identifier: MIT */
/* The index kept in step with the kernel: which pages of the region [lo, hi) are free.
 *
 * It is built the first time the region has to serve, from /proc/self/maps or, when
 * that cannot be opened (a full descriptor table, no /proc), by asking the kernel
 * directly (scan.c). From then on every call that maps or unmaps in the region records
 * what it did, under the region lock, before its caller sees the result. It is rebuilt
 * when it may be wrong: after a fork, after a signal handler or a jump interrupted an
 * update, when a placement found its range taken behind its back, and, when nothing
 * fits, at most every 100 ms, to find space freed where the shim could not see it.
 *
 * One walker turns the kernel's picture (mapped ranges in address order) into the
 * gaps of [lo, hi); the build records each gap as free, the check compares each gap
 * with the index. Everything here runs with the region lock held (section.c). */
#include "index.h"

#include <errno.h>
#include <time.h>

#include "config.h"
#include "internal.h"
#include "log.h"
#include "maps.h"
#include "pool.h"
#include "region.h"
#include "scan.h"
#include "stats.h"
#include "sys.h"
#include "sysctl.h"
#include "warn.h"

static ljmm_region_t region;
static uint64_t last_due_rebuild;  /* CLOCK_MONOTONIC_COARSE ns of the last rebuild_if_due */

/* --- the gap walker --------------------------------------------------------------- */

typedef void (*gap_fn)(void *ctx, uintptr_t start, uintptr_t end);

struct walk {
	uintptr_t cursor, hi;
	gap_fn gap;
	void *ctx;
};

static uintptr_t keep_lo, keep_hi; /* the brk reserve, never free in the index */

/* Hand [start, end) on, less the brk reserve, which is never free in the index (not
 * even for a moment of a rebuild: the index's extent counts would show it). */
static void deliver(struct walk *w, uintptr_t start, uintptr_t end)
{
	if (start < keep_hi && end > keep_lo) {
		if (start < keep_lo)
			w->gap(w->ctx, start, keep_lo);
		if (end > keep_hi)
			w->gap(w->ctx, keep_hi, end);
	} else if (start < end) {
		w->gap(w->ctx, start, end);
	}
}

static int on_mapping(void *p, uintptr_t start, uintptr_t end)
{
	struct walk *w = p;
	if (start > w->cursor)
		deliver(w, w->cursor, start < w->hi ? start : w->hi);
	if (end > w->cursor)
		w->cursor = end;
	return w->cursor >= w->hi; /* in address order: the rest lies above the region */
}

/* Call gap(ctx, s, e) for every range of [lo, hi) with nothing mapped (less the brk
 * reserve), in address order. The picture comes from /proc/self/maps; if that cannot be opened, or its
 * reading fails, reset(ctx) undoes what was reported and the kernel is asked directly.
 * 0 or -errno. */
static int walk_gaps(uintptr_t lo, uintptr_t hi, gap_fn gap, void (*reset)(void *ctx), void *ctx)
{
	struct walk w = {lo, hi, gap, ctx};
	int r = ljmm_maps_read_self(on_mapping, &w);
	if (r < 0) {
		LJMM_DEBUG("index: /proc/self/maps unreadable, asking the kernel page by page", 0, NULL, 0, r);
		reset(ctx);
		w.cursor = lo;
		r = ljmm_scan_mapped(lo, hi, on_mapping, &w);
		ljmm_stats_add(&ljmm_stats_live.scans, 1);
	}
	if (r < 0)
		return r;
	if (w.cursor < hi)
		deliver(&w, w.cursor, hi);
	return 0;
}

/* --- bookkeeping ------------------------------------------------------------------- */

static uintptr_t region_lo(void) { return (uintptr_t)region.lo_page << LJMM_PAGE_SHIFT; }
static uintptr_t region_hi(void) { return (uintptr_t)region.hi_page << LJMM_PAGE_SHIFT; }

static uint64_t reserve_inside(void)
{
	uintptr_t a = keep_lo < region_lo() ? region_lo() : keep_lo, b = keep_hi > region_hi() ? region_hi() : keep_hi;
	return b > a ? b - a : 0;
}

/* The region's size less the brk reserve, and how much of that is in use. */
static void measure(uint64_t *in_use, uint64_t *total)
{
	*total = region_hi() - region_lo() - reserve_inside();
	*in_use = *total - ljmm_region_free_bytes(&region);
}

static void note_usage(void)
{
	uint64_t in_use, total;
	measure(&in_use, &total);
	ljmm_stats_set(&ljmm_stats_live.region_in_use, in_use);
	if (in_use > ljmm_stats_live.region_peak)
		ljmm_stats_set(&ljmm_stats_live.region_peak, in_use);
	ljmm_stats_set(&ljmm_stats_live.free_extents, region.count);
	ljmm_stats_set(&ljmm_stats_live.free_extents_peak, region.peak_count);
	ljmm_stats_set(&ljmm_stats_live.dropped_bytes, region.dropped_pages << LJMM_PAGE_SHIFT);
	ljmm_warn_usage(in_use, total);
}

static void keep_reserve(void)
{
	if (keep_hi > keep_lo)
		(void)ljmm_region_mark_used(&region, keep_lo, keep_hi);
}

void ljmm_index_record_used(uintptr_t start, uintptr_t end)
{
	if (!ljmm_index_built() || ljmm_index_stale())
		return; /* the tree may be half-updated; the rebuild redoes it all */
	(void)ljmm_region_mark_used(&region, start, end);
	note_usage();
}

void ljmm_index_record_free(uintptr_t start, uintptr_t end)
{
	if (!ljmm_index_built() || ljmm_index_stale())
		return;
	(void)ljmm_region_mark_free(&region, start, end);
	if (start < keep_hi && end > keep_lo)
		keep_reserve();
	note_usage();
}

static int record_scanned_run(void *ctx, uintptr_t start, uintptr_t end)
{
	(void)ctx;
	(void)ljmm_region_mark_used(&region, start, end);
	return 0;
}

void ljmm_index_record_scanned(uintptr_t start, uintptr_t end)
{
	if (!ljmm_index_built() || ljmm_index_stale())
		return;
	(void)ljmm_region_mark_free(&region, start, end);
	if (ljmm_scan_mapped(ljmm_page_down(start), ljmm_page_up(end), record_scanned_run, NULL) < 0)
		(void)ljmm_region_mark_used(&region, start, end); /* unknown: never hand it out */
	keep_reserve();
	note_usage();
}

void ljmm_index_set_reserve(uintptr_t lo, uintptr_t hi)
{
	keep_lo = lo;
	keep_hi = hi;
	if (ljmm_index_built() && !ljmm_index_stale()) {
		keep_reserve();
		note_usage();
	}
}

int ljmm_index_find(size_t len, uintptr_t *addr) { return ljmm_region_find(&region, len, addr); }

/* --- building ---------------------------------------------------------------------- */

/* The lowest address the region may use, from lo up: vm.mmap_min_addr, and, below
 * 64 KiB, where a trial mapping (a PROT_NONE page, at once unmapped) is let through: an
 * LSM floor (SELinux's CONFIG_LSM_MMAP_MIN_ADDR, 64 KiB on x86 distributions) can stand
 * above the sysctl. Where /proc/sys cannot be read, trials find the floor whatever it is. */
#define LSM_FLOOR_MAX ((uintptr_t)64 << 10)

static uintptr_t mmap_min_addr(uintptr_t lo)
{
	uint64_t v;
	uintptr_t a = lo, limit = LSM_FLOOR_MAX;
	if (ljmm_sysctl_read("/proc/sys/vm/mmap_min_addr", &v) == 0) {
		if (v >= LJMM_2G)
			return LJMM_2G;
		if (ljmm_page_up((uintptr_t)v) > a)
			a = ljmm_page_up((uintptr_t)v);
	} else {
		limit = LJMM_WINDOW_LO;
	}
	for (; a < limit; a *= 2)
		if (ljmm_scan_trial(a, 1) != -EPERM)
			return a; /* mapped, or refused for another reason (taken): not the floor */
	return a;
}

static void first_build(void)
{
	uintptr_t hi = ljmm_config_get(LJMM_OPT_REGION_HI);
	uintptr_t lo = mmap_min_addr(ljmm_config_get(LJMM_OPT_REGION_LO));
	if (lo >= hi)
		lo = hi;
	__atomic_store_n(&ljmm_hot.bound_hi, hi, __ATOMIC_RELAXED);
	ljmm_region_init(&region, ljmm_pool_nodes, LJMM_POOL_CAP, lo, hi);
	ljmm_stats_set(&ljmm_stats_live.region_lo, lo);
	ljmm_stats_set(&ljmm_stats_live.region_hi, hi);
	/* Published before the picture is read, so that a lock-free call finishing after
	 * this point records its result instead of being missed by both. */
	__atomic_store_n(&ljmm_hot.built, 1, __ATOMIC_SEQ_CST);
}

static void build_gap(void *ctx, uintptr_t start, uintptr_t end)
{
	(void)ctx;
	(void)ljmm_region_mark_free(&region, start, end);
}

static void build_reset(void *ctx)
{
	(void)ctx;
	ljmm_region_clear(&region);
}

/* glibc trims the heap (brk shrinks, malloc_trim or a large free at the top) and grows
 * it back later, through the pages it gave up: they are brk's, not the region's. So the
 * reserve follows the break down, never up (its top stays the guard). Seen at a rebuild,
 * the only time the index learns of pages it did not free itself. */
static void follow_break(void)
{
	uintptr_t brk;
	if (keep_hi <= keep_lo)
		return;
	brk = ljmm_page_up((uintptr_t)ljmm_sys_brk(0));
	if (brk && brk < keep_lo) {
		keep_lo = brk;
		ljmm_stats_set(&ljmm_stats_live.guard_reserve, keep_hi - keep_lo);
	}
}

int ljmm_index_rebuild(void)
{
	int r;
	if (!ljmm_index_built())
		first_build();
	follow_break();
	__atomic_store_n(&ljmm_hot.need_resync, 0, __ATOMIC_SEQ_CST);
	ljmm_region_clear(&region);
	r = walk_gaps(region_lo(), region_hi(), build_gap, build_reset, NULL);
	ljmm_stats_add(&ljmm_stats_live.resyncs, 1);
	if (r < 0) {
		/* No picture at all: trust nothing, so the region serves nothing until a
		 * later rebuild succeeds. */
		ljmm_region_clear(&region);
		ljmm_index_invalidate();
		note_usage();
		LJMM_DEBUG("index: cannot read the address space; region disabled until the next try", 0, NULL, 0, r);
		return r;
	}
	keep_reserve();
	note_usage();
	LJMM_DEBUG("index: rebuilt", 0, "free", ljmm_region_free_bytes(&region), 0);
	return 0;
}

/* Free space the index cannot see stays counted as used until a rebuild: brk trimmed
 * by glibc (with the guard off or lazy), shmdt, a raw munmap, a MAP_FIXED that failed
 * after the kernel had unmapped the old range (Linux 6.6's mmap_region does so before
 * its accounting checks). So a request that fits nowhere rebuilds the index first, but
 * at most once per 100 ms: a program retrying against a full region must not re-read
 * the address space each time. A dropped range (a full node pool) is always worth it. */
#define DUE_REBUILD_NS 100000000ull

int ljmm_index_rebuild_if_due(void)
{
	struct timespec ts;
	uint64_t now;
	if (!region.dropped_pages) {
		if (ljmm_sys_clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0)
			return -EAGAIN;
		now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		if (last_due_rebuild && now - last_due_rebuild < DUE_REBUILD_NS)
			return -EAGAIN;
		last_due_rebuild = now;
	}
	return ljmm_index_rebuild() == 0 ? 0 : -EAGAIN;
}

void ljmm_index_usage(ljmm_usage_t *u)
{
	u->in_use = u->total = 0;
	u->largest_start = u->largest_len = 0;
	if (!ljmm_index_built())
		return;
	measure(&u->in_use, &u->total);
	(void)ljmm_region_largest(&region, &u->largest_start, &u->largest_len);
}

/* --- checking ---------------------------------------------------------------------- */

struct verify {
	uintptr_t page; /* where the next index extent is looked for */
	int differ;
};

/* A gap the kernel shows (less the brk reserve) must be the next index extent. */
static void verify_gap(void *ctx, uintptr_t gs, uintptr_t ge)
{
	struct verify *v = ctx;
	uintptr_t s, e;
	if (ljmm_region_next(&region, v->page, &s, &e) != 0 || s != gs || e != ge)
		v->differ = 1;
	else
		v->page = e;
}

static void verify_reset(void *ctx)
{
	struct verify *v = ctx;
	v->page = region_lo();
	v->differ = 0;
}

int ljmm_index_verify(void)
{
	struct verify v;
	uintptr_t s, e;
	int r;
	if (!ljmm_index_built() || ljmm_index_stale())
		return -EAGAIN;
	verify_reset(&v);
	r = walk_gaps(region_lo(), region_hi(), verify_gap, verify_reset, &v);
	if (r < 0)
		return r;
	/* Nothing may be left in the index beyond the last gap the kernel showed. */
	if (ljmm_region_next(&region, v.page, &s, &e) == 0)
		v.differ = 1;
	if (ljmm_region_check(&region) != LJMM_REGION_SOUND)
		v.differ = 1;
	return v.differ ? -EIO : 0;
}
