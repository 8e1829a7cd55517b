/* SPDX-License-Identifier: MIT */
/* ljmm: serve LuaJIT's MAP_32BIT requests from the whole low 2 GiB.
 *
 * Programs normally load libljmm_preload.so with LD_PRELOAD and need nothing from this
 * header. Programs that link the library directly can read its statistics here. */
#ifndef LJMM_H
#define LJMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LJMM_VERSION "0.1.0"

/** Where the brk guard stands. */
typedef enum {
	LJMM_GUARD_STATE_OFF = 0,      /* disabled by LJMM_GUARD=off or LJMM_ENABLE=off */
	LJMM_GUARD_STATE_PENDING = 1,  /* LJMM_GUARD=lazy and the region was not needed yet */
	LJMM_GUARD_STATE_PLACED = 2,   /* a PROT_NONE page stands at guard_addr */
	LJMM_GUARD_STATE_NOT_NEEDED = 3, /* brk starts at or above 2 GiB (PIE programs) */
	LJMM_GUARD_STATE_OCCUPIED = 4, /* a mapping already stood there: brk cannot grow past it */
	LJMM_GUARD_STATE_FAILED = 5,   /* the kernel refused the guard mapping */
	LJMM_GUARD_STATE_UNDECIDED = 6 /* not decided yet: before the library's constructor, or
					  when it could not take the region's lock and the region
					  has not been used since */
} ljmm_guard_state_t;

/* Where a counter is shown (the flags column of LJMM_STATS). */
#define LJMM_STAT_CALLS 0x01u   /* a LABEL=N field of the exit report's "calls:" line */
#define LJMM_STAT_REGION 0x02u  /* a field of the exit report's "region" line */
#define LJMM_STAT_NONZERO 0x04u /* in the exit report only when not 0 */
#define LJMM_STAT_HAND 0x08u    /* written by the report's own words, not as LABEL=N */
#define LJMM_STAT_MIB 0x10u     /* bytes, shown as " (N MiB)" after the field before it */
#define LJMM_STAT_TEXT 0x20u    /* in ljmm-maps' "shim counters:" line */
#define LJMM_STAT_TABLE 0x40u   /* a column of ljmm-maps' table (--all, PIDs) */
#define LJMM_STAT_GAUGE 0x80u   /* its Prometheus family is a gauge (else a counter) */

/* Every field of ljmm_stats_t, in order: the one list the struct, the exit report
 * (LJMM_STATS=on), ljmm-maps' outputs and the counter tables of docs/troubleshooting.md
 * are made from. Each row: X(field, label, flags, prom_name, prom_help, meaning):
 *   label      the name in the exit report and ljmm-maps' text ("region-served"); NULL
 *              for a field documented with the row before it;
 *   flags      LJMM_STAT_*, where it is shown;
 *   prom_name  its Prometheus family in `ljmm-maps --prometheus`, or NULL;
 *   prom_help  that family's HELP text;
 *   meaning    what it counts (the documentation's text).
 * Rows are only ever appended: the struct's layout is an ABI (ljmm_stats_snapshot, and
 * ljmm-maps reads a running process's counters by offset). The first five are counted
 * without locked instructions to keep the pass-through path cheap: exact in a
 * single-threaded process, they may undercount calls made at the same moment by several
 * threads. The others are exact. A forked child starts with its parent's counts. */
#define LJMM_STATS(X) \
	X(mmap_calls, "mmap", LJMM_STAT_CALLS | LJMM_STAT_TEXT, NULL, NULL, \
	  "`mmap`/`mmap64` calls through the library's entry points (glibc's own internal ones, e.g. `malloc`'s, " \
	  "never pass through any interposer)") \
	X(munmap_calls, "munmap", LJMM_STAT_CALLS, NULL, NULL, "the same for `munmap`") \
	X(mremap_calls, "mremap", LJMM_STAT_CALLS, NULL, NULL, "the same for `mremap`") \
	X(map32_calls, "map32", LJMM_STAT_CALLS | LJMM_STAT_TEXT, "ljmm_map32_requests_total", \
	  "MAP_32BIT requests without MAP_FIXED the shim saw (map32=).", \
	  "`MAP_32BIT` requests without `MAP_FIXED`/`MAP_FIXED_NOREPLACE` (not counted with `LJMM_ENABLE=off`)") \
	X(kernel_served, "kernel-served", LJMM_STAT_CALLS | LJMM_STAT_TEXT, "ljmm_kernel_served_total", \
	  "MAP_32BIT requests the kernel's window answered (kernel-served=).", \
	  "those the kernel's window `[1 GiB, 2 GiB)` answered") \
	X(region_served, "region-served", LJMM_STAT_CALLS | LJMM_STAT_TEXT | LJMM_STAT_TABLE, \
	  "ljmm_region_served_total", "MAP_32BIT requests the shim's region answered (region-served=).", \
	  "those the shim's region answered") \
	X(region_bytes_served, "(N MiB)", LJMM_STAT_CALLS | LJMM_STAT_MIB | LJMM_STAT_TEXT, \
	  "ljmm_region_served_bytes_total", "Bytes the shim's region handed out.", \
	  "after `region-served=`: the total size the region has handed out") \
	X(failures, "failed", LJMM_STAT_CALLS | LJMM_STAT_TEXT | LJMM_STAT_TABLE, "ljmm_failed_total", \
	  "MAP_32BIT requests answered ENOMEM, each a \"not enough memory\" for LuaJIT (failed=).", \
	  "`MAP_32BIT` requests answered `ENOMEM`: not even the region had room. For LuaJIT 2.0 and " \
	  "`MAP_32BIT`-only builds each is a \"not enough memory\"; LuaJIT 2.1 non-GC64 instead stops asking " \
	  "`MAP_32BIT` after the first and probes with address hints from then on (see `hint-served=`)") \
	X(resyncs, "resyncs", LJMM_STAT_REGION, NULL, NULL, \
	  "rebuilds of the index, from `/proc/self/maps` or, when it cannot be read, by asking the kernel " \
	  "(`scans=`); the first build counts: 1 is normal") \
	X(conflicts, "conflicts", LJMM_STAT_REGION, NULL, NULL, \
	  "placements found already taken (something mapped behind the shim's back, e.g. glibc's internal " \
	  "`mmap`); each causes a rebuild") \
	X(signal_reentries, "signal-reentries", LJMM_STAT_CALLS, NULL, NULL, \
	  "calls from a signal handler that interrupted the library on the same thread; they went straight to " \
	  "the kernel (their `ENOMEM` counts in `failed=`) and the index was rebuilt afterwards") \
	X(region_lo, "[LO, HI)", LJMM_STAT_REGION | LJMM_STAT_HAND, NULL, NULL, \
	  "the region's bounds: `max(LJMM_REGION_LO, vm.mmap_min_addr)` to `LJMM_REGION_HI` (0 and 0 until " \
	  "the region is first needed)") \
	X(region_hi, NULL, LJMM_STAT_REGION | LJMM_STAT_HAND, NULL, NULL, "the region's upper bound") \
	X(region_in_use, "in use", LJMM_STAT_REGION | LJMM_STAT_HAND, NULL, NULL, \
	  "bytes of the region mapped now (by anyone: the kernel's window, libraries, region blocks; the brk " \
	  "reserve excluded)") \
	X(region_peak, "peak", LJMM_STAT_REGION | LJMM_STAT_HAND | LJMM_STAT_GAUGE, "ljmm_region_peak_bytes", \
	  "Most bytes of the shim's region (the low 2 GiB above vm.mmap_min_addr, less the brk reserve) mapped " \
	  "at once, by anyone, since the shim first needed the region (no sample before).", \
	  "the most bytes of the region mapped at once") \
	X(free_extents, "free-extents", LJMM_STAT_REGION, NULL, NULL, "free ranges in the index now") \
	X(free_extents_peak, "peak-extents", LJMM_STAT_REGION, NULL, NULL, "the most free ranges in the index at once") \
	X(dropped_bytes, "dropped-bytes", LJMM_STAT_REGION, NULL, NULL, \
	  "free bytes the index could not record: always 0 (its capacity covers every possible range); if not, " \
	  "a rebuild recovers them") \
	X(guard_state, NULL, LJMM_STAT_HAND, NULL, NULL, "where the brk guard stands, an ljmm_guard_state_t") \
	X(guard_addr, NULL, LJMM_STAT_HAND, NULL, NULL, "the guard page, when placed") \
	X(guard_reserve, NULL, LJMM_STAT_HAND, NULL, NULL, "bytes left for brk below the guard") \
	X(kernel_skipped, "kernel-skipped", LJMM_STAT_CALLS | LJMM_STAT_TEXT | LJMM_STAT_TABLE, \
	  "ljmm_kernel_skipped_total", "Region-served requests that did not ask the kernel first (kernel-skipped=).", \
	  "region-served requests that did not ask the kernel first: its window had run out before, and from " \
	  "then on the region places first (part of `region-served`)") \
	X(fork_resets, "fork-resets", LJMM_STAT_REGION, NULL, NULL, \
	  "times a forked child found the index possibly half-updated by a thread of its parent and had it " \
	  "rebuilt (counts include the parent's, like every field)") \
	X(scans, "scans", LJMM_STAT_REGION | LJMM_STAT_NONZERO, NULL, NULL, \
	  "(only when not 0) looks at the address space made without `/proc/self/maps` (index rebuilds, and " \
	  "`ljmm_verify()` calls), by asking the kernel with `mincore` and trial mappings: no descriptor was " \
	  "free, or `/proc` is not mounted. Slower, otherwise equal") \
	X(section_recoveries, "recoveries", LJMM_STAT_REGION | LJMM_STAT_NONZERO, NULL, NULL, \
	  "(only when not 0) times the lock was found left behind, by a `siglongjmp` out of a signal handler " \
	  "that interrupted the library, or by a thread cancelled asynchronously inside it, and taken over; the " \
	  "index was rebuilt each time. Nothing to do; if it grows fast, the program jumps out of handlers a lot") \
	X(lock_timeouts, "lock-timeouts", LJMM_STAT_REGION | LJMM_STAT_NONZERO, NULL, NULL, \
	  "(only when not 0) calls that found the lock held for more than a second by a thread that still " \
	  "exists (one that jumped out of the library and has not called it since, or a thread stopped in a " \
	  "debugger); they answered from the kernel alone, and later calls do not wait for that holder again") \
	X(guard_defaulted_lazy, NULL, LJMM_STAT_HAND, NULL, NULL, \
	  "1 when LJMM_GUARD was unset and the C library is older than any the guard was measured on, so the " \
	  "default became lazy") \
	X(hints_served, "hint-served", LJMM_STAT_CALLS | LJMM_STAT_TEXT, NULL, NULL, \
	  "after a `failed=`: requests without `MAP_32BIT` whose address hint lay below 2 GiB, which the kernel " \
	  "could not honour and placed above 2 GiB, served from the region instead (not counted in " \
	  "`region-served`, which stays the `MAP_32BIT` requests). These are LuaJIT 2.1's probes; without them " \
	  "its allocations after a first failure would mostly come back above 2 GiB and be refused")

/** A snapshot of the shim's counters: one uint64_t per row of LJMM_STATS, in its order. */
#define LJMM_STATS_FIELD_(field, label, flags, prom_name, prom_help, meaning) uint64_t field;
typedef struct {
	LJMM_STATS(LJMM_STATS_FIELD_)
} ljmm_stats_t;
#undef LJMM_STATS_FIELD_

/** Copy min(size, sizeof(ljmm_stats_t)) bytes of the current counters to out; 0, or -1 with errno EINVAL. */
int ljmm_stats_snapshot(ljmm_stats_t *out, size_t size);

/** Compare the shim's index of free low memory with /proc/self/maps (call when no other
 *  thread maps memory): 0 when they agree; -1 with errno EAGAIN when the index was never
 *  needed or a rebuild is pending, EIO when they differ. */
int ljmm_verify(void);

/** The library's version string, LJMM_VERSION of the build. */
const char *ljmm_version(void);

#ifdef __cplusplus
}
#endif

#endif
