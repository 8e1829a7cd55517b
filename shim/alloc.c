/* SPDX-License-Identifier: MIT */
/* The MAP_32BIT allocator (see alloc.h).
 *
 * Fast path: anything that is not MAP_32BIT-without-MAP_FIXED goes straight to the
 * kernel, takes no lock, and only looks at the result when the region index exists and
 * the result lands in the region. The index is built lazily, the first time the region
 * has to serve a request, from /proc/self/maps.
 *
 * Safety does not rest on the index being right: region blocks are placed with
 * MAP_FIXED_NOREPLACE, so a range the index wrongly believes free (brk grew, a raw
 * syscall, glibc's own internal mmap calls, which do not go through the PLT) fails with
 * EEXIST and makes the index resync. Exactness at quiescent points comes from ordering:
 * every call that can free region pages (munmap, mremap) holds the lock across its
 * system call and its bookkeeping, and every call that can take pages records them
 * under the lock before it returns the address to anyone. */
#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "config.h"
#include "fork.h"
#include "guard.h"
#include "internal.h"
#include "lock.h"
#include "log.h"
#include "maps.h"
#include "pool.h"
#include "region.h"
#include "stats.h"
#include "sys.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4 /* Linux 5.7; glibc 2.32 and musl 1.2.2 headers name it */
#endif

static ljmm_region_t region;
/* What the per-call paths read, together on one cache line: after a system call the
 * process's own lines are often gone from the nearer caches, and every line read is a
 * miss (with these reads spread over four lines, kernel-served MAP_32BIT pairs cost
 * 2.5 % more than without the shim; bench/results). */
enum { MODE_UNKNOWN = 0, MODE_OFF, MODE_KERNEL_FIRST, MODE_REGION_FIRST };
static struct {
	uintptr_t bound_hi;   /* end of the region, set once when built (atomic) */
	/* The smallest length (bytes) the kernel's window refused since anything in it
	 * was last freed; 0 when unknown. Larger requests skip the kernel's certain
	 * ENOMEM. Written under the lock, read without it. */
	uintptr_t window_full_len;
	int built;            /* atomic: the index exists and mappings must be recorded */
	int need_resync;      /* atomic: the index may be wrong (fork, signal re-entry) */
	int mode;             /* atomic: LJMM_ENABLE and LJMM_POLICY once loaded, or MODE_UNKNOWN */
} hot __attribute__((aligned(64))) = {.bound_hi = LJMM_2G};
/* The lock lives in fork.c's state, on a page that a forked child gets wiped. */
static int guard_tried; /* under lock (or the single-threaded constructor) */
static ljmm_guard_t guard;

/* Read on the lock-free paths while the first build may store it: atomic, relaxed. */
static uintptr_t hi_bound(void) { return __atomic_load_n(&hot.bound_hi, __ATOMIC_RELAXED); }

static int debug_on(void) { return ljmm_config_get(LJMM_OPT_DEBUG) != 0; }

static void debug_msg(const char *msg, uintptr_t addr, const char *label, uint64_t n, int err)
{
	char storage[256];
	ljmm_buf_t b;
	ljmm_log_begin(&b, storage, sizeof storage);
	ljmm_buf_str(&b, msg);
	if (addr) {
		ljmm_buf_str(&b, " addr=");
		ljmm_buf_hex(&b, addr);
	}
	if (label) {
		ljmm_buf_str(&b, " ");
		ljmm_buf_str(&b, label);
		ljmm_buf_str(&b, "=");
		ljmm_buf_u64(&b, n);
	}
	if (err) {
		ljmm_buf_str(&b, " error=");
		ljmm_buf_errno(&b, -err);
	}
	ljmm_log_end(&b);
}

#define DEBUG(msg, addr, label, n, err)                        \
	do {                                                   \
		if (LJMM_UNLIKELY(debug_on()))                 \
			debug_msg(msg, addr, label, n, err);   \
	} while (0)

static uintptr_t read_mmap_min_addr(void)
{
	char buf[32];
	uintptr_t v = 0;
	long fd = ljmm_sys_open("/proc/sys/vm/mmap_min_addr", O_RDONLY | O_CLOEXEC, 0), n;
	if (fd < 0)
		return 65536; /* the usual distribution default */
	n = ljmm_sys_read((int)fd, buf, sizeof buf - 1);
	ljmm_sys_close((int)fd);
	if (n <= 0)
		return 65536;
	for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (uintptr_t)(buf[i] - '0');
	return v;
}

/* --- bookkeeping, all under the lock --------------------------------------------- */

static void note_usage(void)
{
	uintptr_t lo = (uintptr_t)region.lo_page << LJMM_PAGE_SHIFT, hi = (uintptr_t)region.hi_page << LJMM_PAGE_SHIFT;
	uint64_t keep = 0, in_use;
	if (guard.keep_hi > guard.keep_lo) {
		uintptr_t a = guard.keep_lo < lo ? lo : guard.keep_lo, b = guard.keep_hi > hi ? hi : guard.keep_hi;
		keep = b > a ? b - a : 0;
	}
	in_use = (hi - lo) - ljmm_region_free_bytes(&region) - keep;
	ljmm_stats_set(&ljmm_stats_live.region_in_use, in_use);
	if (in_use > ljmm_stats_live.region_peak)
		ljmm_stats_set(&ljmm_stats_live.region_peak, in_use);
	ljmm_stats_set(&ljmm_stats_live.free_extents, region.count);
	ljmm_stats_set(&ljmm_stats_live.free_extents_peak, region.peak_count);
	ljmm_stats_set(&ljmm_stats_live.dropped_bytes, region.dropped_pages << LJMM_PAGE_SHIFT);
}

static void keep_reserve(void)
{
	if (guard.keep_hi > guard.keep_lo)
		(void)ljmm_region_mark_used(&region, guard.keep_lo, guard.keep_hi);
}

static void record_used(uintptr_t start, uintptr_t end)
{
	if (__atomic_load_n(&hot.need_resync, __ATOMIC_ACQUIRE))
		return; /* the tree may be half-updated (fork child); the resync redoes it all */
	(void)ljmm_region_mark_used(&region, start, end);
	note_usage();
}

/* Room in the kernel's window again: ask it first from now on. Any thread, no lock. */
static void window_freed(uintptr_t start, uintptr_t end)
{
	if (start < LJMM_2G && end > LJMM_WINDOW_LO && __atomic_load_n(&hot.window_full_len, __ATOMIC_RELAXED))
		__atomic_store_n(&hot.window_full_len, 0, __ATOMIC_RELAXED);
}

static void record_free(uintptr_t start, uintptr_t end)
{
	window_freed(start, end);
	if (__atomic_load_n(&hot.need_resync, __ATOMIC_ACQUIRE))
		return;
	(void)ljmm_region_mark_free(&region, start, end);
	if (start < guard.keep_hi && end > guard.keep_lo)
		keep_reserve();
	note_usage();
}

struct build_ctx {
	uintptr_t cursor, hi;
};

static int build_gap(void *p, uintptr_t start, uintptr_t end)
{
	struct build_ctx *c = p;
	if (start > c->cursor)
		(void)ljmm_region_mark_free(&region, c->cursor, start < c->hi ? start : c->hi);
	if (end > c->cursor)
		c->cursor = end;
	return c->cursor >= c->hi; /* maps are in address order: the rest is above us */
}

/* Rebuild the index from /proc/self/maps. */
static int resync(void)
{
	struct build_ctx c;
	int ret;
	if (!__atomic_load_n(&hot.built, __ATOMIC_ACQUIRE)) {
		uintptr_t lo = ljmm_config_get(LJMM_OPT_REGION_LO), min = ljmm_page_up(read_mmap_min_addr());
		uintptr_t hi = ljmm_config_get(LJMM_OPT_REGION_HI);
		if (lo < min)
			lo = min;
		if (lo >= hi)
			lo = hi;
		__atomic_store_n(&hot.bound_hi, hi, __ATOMIC_RELAXED);
		ljmm_region_init(&region, ljmm_pool_nodes, LJMM_POOL_CAP, lo, hi);
		ljmm_stats_set(&ljmm_stats_live.region_lo, lo);
		ljmm_stats_set(&ljmm_stats_live.region_hi, hi);
		/* Published before the read, so that a fast-path call finishing after this
		 * point records its result instead of being missed by both. */
		__atomic_store_n(&hot.built, 1, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&hot.need_resync, 0, __ATOMIC_SEQ_CST);
	ljmm_region_clear(&region);
	c.cursor = (uintptr_t)region.lo_page << LJMM_PAGE_SHIFT;
	c.hi = (uintptr_t)region.hi_page << LJMM_PAGE_SHIFT;
	ret = ljmm_maps_read_self(build_gap, &c);
	ljmm_stats_add(&ljmm_stats_live.resyncs, 1);
	if (ret < 0) {
		/* Unreadable or corrupt maps: trust nothing, so the region serves nothing
		 * until a later resync succeeds. */
		ljmm_region_clear(&region);
		__atomic_store_n(&hot.need_resync, 1, __ATOMIC_SEQ_CST);
		DEBUG("resync: cannot read /proc/self/maps; region disabled until the next try", 0, NULL, 0, ret);
		note_usage();
		return ret;
	}
	if (c.cursor < c.hi)
		(void)ljmm_region_mark_free(&region, c.cursor, c.hi);
	keep_reserve();
	note_usage();
	DEBUG("resync: index rebuilt from /proc/self/maps", 0, "free", ljmm_region_free_bytes(&region), 0);
	return 0;
}

static void place_guard(void)
{
	uint64_t mode = ljmm_config_get(LJMM_OPT_GUARD);
	int ret;
	if (guard_tried)
		return;
	guard_tried = 1;
	if (mode == LJMM_GUARD_OFF) {
		ljmm_stats_set(&ljmm_stats_live.guard_state, LJMM_GUARD_STATE_OFF);
		return;
	}
	ret = ljmm_guard_place(ljmm_config_get(LJMM_OPT_GUARD_RESERVE), ljmm_config_get(LJMM_OPT_REGION_HI), &guard);
	ljmm_stats_set(&ljmm_stats_live.guard_state, (uint64_t)guard.state);
	ljmm_stats_set(&ljmm_stats_live.guard_addr, guard.addr);
	ljmm_stats_set(&ljmm_stats_live.guard_reserve, guard.keep_hi - guard.keep_lo);
	if (guard.state == LJMM_GUARD_STATE_PLACED && __atomic_load_n(&hot.built, __ATOMIC_ACQUIRE)) {
		record_used(guard.addr, guard.addr + LJMM_PAGE);
		keep_reserve();
	}
	DEBUG(guard.state == LJMM_GUARD_STATE_PLACED ? "guard: placed" : "guard: not placed", guard.addr, "state", (uint64_t)guard.state, ret);
}

/* Free space the index cannot see stays counted as used until a rebuild: brk trimmed
 * by glibc (with the guard off or lazy), shmdt, a raw munmap, a MAP_FIXED that failed
 * after the kernel had unmapped the old range (Linux 6.6's mmap_region does so before
 * its accounting checks). So a request that fits nowhere rebuilds the index first, but
 * at most once per 100 ms: a program retrying against a full region must not read
 * /proc/self/maps each time. Under the lock. */
#define STALE_RESYNC_NS 100000000ull
static uint64_t last_stale_resync;

static int stale_resync_due(void)
{
	struct timespec ts;
	uint64_t now;
	if (ljmm_sys_clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0)
		return 0;
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (last_stale_resync && now - last_stale_resync < STALE_RESYNC_NS)
		return 0;
	last_stale_resync = now;
	return 1;
}

/* Serve len bytes from the region. Called with the lock held. */
static int region_map(size_t len, int prot, int flags, int fd, long off, void **out)
{
	uintptr_t need = ljmm_page_up(len), addr;
	int resynced = 0, place_flags = (flags & ~MAP_32BIT) | MAP_FIXED_NOREPLACE;

	if (!guard_tried)
		place_guard();
	if (!__atomic_load_n(&hot.built, __ATOMIC_ACQUIRE) || __atomic_load_n(&hot.need_resync, __ATOMIC_ACQUIRE)) {
		if (resync() < 0)
			return -ENOMEM;
		resynced = 1;
	}
	if (!need)
		return -ENOMEM;
	for (int attempt = 0; attempt < 16; attempt++) {
		long r;
		if (ljmm_region_find(&region, need, &addr) < 0) {
			/* Free ranges a full index dropped, or that were freed behind its back:
			 * one rebuild recovers them. */
			if (!resynced && (region.dropped_pages || stale_resync_due()) && resync() == 0) {
				resynced = 1;
				continue;
			}
			DEBUG("region: nothing fits, ENOMEM", 0, "free", ljmm_region_free_bytes(&region), 0);
			return -ENOMEM;
		}
		r = ljmm_sys_mmap((void *)addr, len, prot, place_flags, fd, off);
		if (!ljmm_sys_is_err(r) && (uintptr_t)r == addr) {
			(void)ljmm_region_mark_used(&region, addr, addr + need);
			note_usage();
			ljmm_stats_add(&ljmm_stats_live.region_served, 1);
			ljmm_stats_add(&ljmm_stats_live.region_bytes_served, need);
			DEBUG("region: served", addr, "len", need, 0);
			*out = (void *)addr;
			return 0;
		}
		if (!ljmm_sys_is_err(r)) {
			/* Before Linux 4.17 MAP_FIXED_NOREPLACE is only a hint: an answer elsewhere
			 * means the spot was taken. Give it back and treat it as EEXIST. */
			ljmm_sys_munmap((void *)r, len);
		} else if (r != -EEXIST) {
			/* The kernel's own refusal (RLIMIT_AS, overcommit, EBADF, EACCES, …):
			 * pass it on unchanged. */
			DEBUG("region: placement refused by the kernel", addr, "len", need, (int)r);
			return (int)r;
		}
		ljmm_stats_add(&ljmm_stats_live.conflicts, 1);
		DEBUG("region: range taken behind the index's back, resyncing", addr, "len", need, -EEXIST);
		if (!resynced) {
			if (resync() < 0)
				return -ENOMEM;
			resynced = 1;
		} else {
			/* Maps read while others change it can miss a mapping: skip this spot. */
			(void)ljmm_region_mark_used(&region, addr, addr + need);
		}
	}
	return -ENOMEM;
}

/* Lock for bookkeeping; -EDEADLK means a signal handler interrupted this very thread
 * inside the shim: the index is left alone and rebuilt at the next region call. */
static int enter(void)
{
	ljmm_fork_state_t *st = ljmm_fork_state();
	int r = ljmm_lock_acquire(&st->lock);
	if (r) {
		__atomic_store_n(&hot.need_resync, 1, __ATOMIC_SEQ_CST);
		ljmm_stats_add(&ljmm_stats_live.signal_reentries, 1);
		return r;
	}
	if (LJMM_UNLIKELY(!__atomic_load_n(&st->alive, __ATOMIC_ACQUIRE))) {
		/* First time in a forked child: whoever held the lock at the fork is gone
		 * and may have left the tree half-updated. */
		__atomic_store_n(&st->alive, 1, __ATOMIC_RELEASE);
		if (__atomic_load_n(&hot.built, __ATOMIC_SEQ_CST))
			__atomic_store_n(&hot.need_resync, 1, __ATOMIC_SEQ_CST);
		ljmm_stats_add(&ljmm_stats_live.fork_resets, 1);
	}
	return 0;
}

static void leave(void) { ljmm_lock_release(&ljmm_fork_state()->lock); }

static void record_result(uintptr_t start, size_t len)
{
	uintptr_t end = start + ljmm_page_up(len);
	if (start >= hi_bound() || !__atomic_load_n(&hot.built, __ATOMIC_SEQ_CST))
		return;
	if (enter() == 0) {
		record_used(start, end);
		leave();
	}
}

static int eligible(size_t len, int flags)
{
	/* Huge pages need huge alignment and grow-down stacks need room below: neither
	 * is what a MAP_32BIT heap block asks for, so the kernel's answer stands. */
	return len && !(flags & (MAP_HUGETLB | MAP_GROWSDOWN)) && ljmm_page_up(len) != 0;
}

/* The options the per-call path needs, from the hot line; the first MAP_32BIT call
 * loads the options if the constructor has not run yet. */
static __attribute__((noinline)) int load_mode(void)
{
	int m;
	ljmm_config_load();
	m = !ljmm_config_get(LJMM_OPT_ENABLE)                                       ? MODE_OFF
	    : ljmm_config_get(LJMM_OPT_POLICY) == LJMM_POLICY_REGION_FIRST ? MODE_REGION_FIRST
									  : MODE_KERNEL_FIRST;
	/* Kept only once final: a thread that lost the race to parse sees the defaults. */
	if (__atomic_load_n(&ljmm_config_state, __ATOMIC_ACQUIRE) == 2)
		__atomic_store_n(&hot.mode, m, __ATOMIC_RELAXED);
	return m;
}

static inline int current_mode(void)
{
	int m = __atomic_load_n(&hot.mode, __ATOMIC_RELAXED);
	return LJMM_LIKELY(m != MODE_UNKNOWN) ? m : load_mode();
}

/* Kernel-first without a hint skips the kernel while its window is known to have no
 * room for this size: the answer would be ENOMEM, at the cost of a search. */
static inline int window_known_full(const void *addr, size_t len)
{
	uintptr_t w = __atomic_load_n(&hot.window_full_len, __ATOMIC_RELAXED);
	return !addr && w && ljmm_page_up(len) >= w;
}

/* A MAP_32BIT call the kernel did not simply serve: r is the kernel's error, or 0 when
 * it has not been asked (region-first, or its window known to be full). Kept out of
 * line so that the calls the kernel serves pay for none of this. */
static __attribute__((noinline)) int map32_slow(void *addr, size_t len, int prot, int flags, int fd, long off, int mode,
						 long r, void **out)
{
	uintptr_t need = ljmm_page_up(len);
	int ret, region_tried = 0, known_full = 0;
	if (!r) {
		known_full = mode != MODE_REGION_FIRST;
		/* No argument checks of our own: the placement call makes the kernel judge
		 * the arguments exactly as it would with room in its window. */
		if (eligible(len, flags) && enter() == 0) {
			region_tried = 1;
			ret = region_map(len, prot, flags, fd, off, out);
			leave();
			if (ret != -ENOMEM) {
				if (!ret && known_full)
					ljmm_stats_add(&ljmm_stats_live.kernel_skipped, 1);
				return ret;
			}
		}
		r = ljmm_sys_mmap(addr, len, prot, flags, fd, off);
		if (!ljmm_sys_is_err(r)) {
			ljmm_stats_bump(&ljmm_stats_live.kernel_served);
			if (known_full)
				__atomic_store_n(&hot.window_full_len, 0, __ATOMIC_RELAXED);
			record_result((uintptr_t)r, len);
			*out = (void *)r;
			return 0;
		}
	}
	if (r != -ENOMEM || !eligible(len, flags) || region_tried) {
		if (r == -ENOMEM)
			ljmm_stats_add(&ljmm_stats_live.failures, 1);
		return (int)r;
	}
	DEBUG("mmap MAP_32BIT: kernel window full, trying the region", 0, "len", len, (int)r);
	if (enter() != 0)
		return (int)r; /* in a signal handler that interrupted the shim: kernel only */
	ret = region_map(len, prot, flags, fd, off, out);
	/* Only a placement the kernel accepted proves that its ENOMEM meant "no room in the
	 * window" and not RLIMIT_AS, RLIMIT_DATA or an overcommit refusal. */
	if (ret == 0 && (!__atomic_load_n(&hot.window_full_len, __ATOMIC_RELAXED) ||
			 need < __atomic_load_n(&hot.window_full_len, __ATOMIC_RELAXED)))
		__atomic_store_n(&hot.window_full_len, need, __ATOMIC_RELAXED);
	leave();
	if (ret == -ENOMEM)
		ljmm_stats_add(&ljmm_stats_live.failures, 1);
	return ret;
}

int ljmm_alloc_mmap(void *addr, size_t len, int prot, int flags, int fd, long off, void **out)
{
	int mode;
	long r;
	ljmm_stats_bump(&ljmm_stats_live.mmap_calls);
	if (!(flags & MAP_32BIT) || (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) || (mode = current_mode()) == MODE_OFF) {
		r = ljmm_sys_mmap(addr, len, prot, flags, fd, off);
		if (ljmm_sys_is_err(r))
			return (int)r;
		if (LJMM_UNLIKELY((uintptr_t)r < hi_bound()))
			record_result((uintptr_t)r, len);
		*out = (void *)r;
		return 0;
	}
	ljmm_stats_bump(&ljmm_stats_live.map32_calls);
	if (mode == MODE_REGION_FIRST || LJMM_UNLIKELY(window_known_full(addr, len)))
		return map32_slow(addr, len, prot, flags, fd, off, mode, 0, out);
	r = ljmm_sys_mmap(addr, len, prot, flags, fd, off);
	if (LJMM_UNLIKELY(ljmm_sys_is_err(r)))
		return map32_slow(addr, len, prot, flags, fd, off, mode, r, out);
	ljmm_stats_bump(&ljmm_stats_live.kernel_served);
	/* After the call: a build that starts meanwhile has already published 'built'. */
	if (LJMM_UNLIKELY(__atomic_load_n(&hot.built, __ATOMIC_SEQ_CST)))
		record_result((uintptr_t)r, len);
	*out = (void *)r;
	return 0;
}

int ljmm_alloc_munmap(void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr, end = start + ljmm_page_up(len);
	int locked;
	long r;
	ljmm_stats_bump(&ljmm_stats_live.munmap_calls);
	if (start >= hi_bound() || !__atomic_load_n(&hot.built, __ATOMIC_SEQ_CST)) {
		r = ljmm_sys_munmap(addr, len);
		if (ljmm_sys_is_err(r))
			return (int)r;
		/* Above LJMM_REGION_HI when it is set below 2 GiB: still the kernel's window. */
		window_freed(start, end);
		/* The index appeared meanwhile: keep it exact (this race only loses space). */
		if (LJMM_UNLIKELY(start < hi_bound() && __atomic_load_n(&hot.built, __ATOMIC_SEQ_CST)) && enter() == 0) {
			record_free(start, end);
			leave();
		}
		return 0;
	}
	/* Not locked: a signal handler inside the shim. The index is rebuilt later, but the
	 * window's room counts now. */
	locked = enter() == 0;
	r = ljmm_sys_munmap(addr, len);
	if (!ljmm_sys_is_err(r)) {
		if (locked)
			record_free(start, end);
		else
			window_freed(start, end);
	}
	if (locked)
		leave();
	return ljmm_sys_is_err(r) ? (int)r : 0;
}

/* Did a successful mremap without MREMAP_MAYMOVE (so in place) take a range that
 * ended at or below 2 GiB past it? */
static inline int grew_past_2g(uintptr_t o, size_t old_len, size_t new_len, int flags)
{
	return !(flags & MREMAP_MAYMOVE) && o < LJMM_2G && LJMM_2G - o >= ljmm_page_up(old_len) &&
	       LJMM_2G - o < ljmm_page_up(new_len);
}

int ljmm_alloc_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr, void **out)
{
	uintptr_t o = (uintptr_t)old, n = (uintptr_t)new_addr;
	int locked;
	long r;
	ljmm_stats_bump(&ljmm_stats_live.mremap_calls);
	locked = __atomic_load_n(&hot.built, __ATOMIC_SEQ_CST) && (o < hi_bound() || ((flags & MREMAP_FIXED) && n < hi_bound()));
	if (locked && enter() != 0)
		locked = 0;
	r = ljmm_sys_mremap(old, old_len, new_len, flags, new_addr);
	if (LJMM_UNLIKELY(!ljmm_sys_is_err(r) && grew_past_2g(o, old_len, new_len, flags))) {
		/* The kernel grows a mapping in place whenever the next pages are free; it
		 * does not remember MAP_32BIT. LuaJIT non-GC64 resizes its blocks with
		 * mremap(flags 0), so a block ending at 2 GiB (the region's top extent, or the
		 * top of the kernel's window) would become GC memory above 2^31. Shrinking
		 * back to old_len in place cannot fail and restores the mapping as it was;
		 * ENOMEM is the kernel's own answer for "cannot grow here". */
		(void)ljmm_sys_mremap(old, new_len, old_len, 0, NULL);
		DEBUG("mremap: in-place growth across 2 GiB undone, ENOMEM", o, "len", new_len, -ENOMEM);
		ljmm_stats_add(&ljmm_stats_live.failures, 1);
		r = -ENOMEM;
	}
	if (ljmm_sys_is_err(r)) {
		if (locked)
			leave();
		return (int)r;
	}
	if (!locked) {
		if ((uintptr_t)r != o || new_len < old_len)
			window_freed(o, o + ljmm_page_up(old_len));
		if ((uintptr_t)r < hi_bound())
			record_result((uintptr_t)r, new_len);
		*out = (void *)r;
		return 0;
	}
	if ((uintptr_t)r == o) {
		uintptr_t old_end = o + ljmm_page_up(old_len), new_end = o + ljmm_page_up(new_len);
		if (new_end < old_end)
			record_free(new_end, old_end);
		else
			record_used(o, new_end);
	} else {
		/* Moved. With MREMAP_DONTUNMAP, or old_len 0 (a duplicate of a shared
		 * mapping), the old range stays mapped. */
		if (!(flags & MREMAP_DONTUNMAP) && old_len)
			record_free(o, o + ljmm_page_up(old_len));
		record_used((uintptr_t)r, (uintptr_t)r + ljmm_page_up(new_len));
	}
	leave();
	*out = (void *)r;
	return 0;
}

void ljmm_alloc_init(void)
{
	if (!ljmm_config_get(LJMM_OPT_ENABLE)) {
		ljmm_stats_set(&ljmm_stats_live.guard_state, LJMM_GUARD_STATE_OFF);
		return;
	}
	ljmm_fork_init();
	if (ljmm_config_get(LJMM_OPT_GUARD) == LJMM_GUARD_LAZY) {
		ljmm_stats_set(&ljmm_stats_live.guard_state, LJMM_GUARD_STATE_PENDING);
		return;
	}
	if (enter() == 0) {
		place_guard();
		leave();
	}
}

struct verify_ctx {
	uintptr_t cursor, hi, page;
	int differ;
};

/* A gap the kernel shows, minus the brk reserve, must be the next index extent(s). */
static void verify_gap(struct verify_ctx *c, uintptr_t gs, uintptr_t ge)
{
	uintptr_t s, e;
	if (gs < guard.keep_hi && ge > guard.keep_lo) {
		if (gs < guard.keep_lo)
			verify_gap(c, gs, guard.keep_lo);
		if (ge > guard.keep_hi)
			verify_gap(c, guard.keep_hi, ge);
		return;
	}
	if (gs >= ge)
		return;
	if (ljmm_region_next(&region, c->page, &s, &e) != 0 || s != gs || e != ge)
		c->differ = 1;
	else
		c->page = e;
}

static int verify_map(void *p, uintptr_t start, uintptr_t end)
{
	struct verify_ctx *c = p;
	if (start > c->cursor)
		verify_gap(c, c->cursor, start < c->hi ? start : c->hi);
	if (end > c->cursor)
		c->cursor = end;
	return c->cursor >= c->hi;
}

int ljmm_alloc_verify(void)
{
	struct verify_ctx c;
	uintptr_t s, e;
	int ret;
	if (!__atomic_load_n(&hot.built, __ATOMIC_SEQ_CST))
		return -EAGAIN;
	if ((ret = enter()) != 0)
		return -EAGAIN;
	if (__atomic_load_n(&hot.need_resync, __ATOMIC_SEQ_CST)) {
		leave();
		return -EAGAIN;
	}
	c.cursor = c.page = (uintptr_t)region.lo_page << LJMM_PAGE_SHIFT;
	c.hi = (uintptr_t)region.hi_page << LJMM_PAGE_SHIFT;
	c.differ = 0;
	ret = ljmm_maps_read_self(verify_map, &c);
	if (ret >= 0 && c.cursor < c.hi)
		verify_gap(&c, c.cursor, c.hi);
	/* Nothing may be left in the index beyond the last gap the kernel showed. */
	if (ret >= 0 && ljmm_region_next(&region, c.page, &s, &e) == 0)
		c.differ = 1;
	if (ret >= 0 && ljmm_region_check(&region) != 0)
		c.differ = 1;
	leave();
	if (ret < 0)
		return ret;
	return c.differ ? -EIO : 0;
}
