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
	LJMM_GUARD_STATE_OFF = 0,      /* disabled by LJMM_GUARD=off */
	LJMM_GUARD_STATE_PENDING = 1,  /* LJMM_GUARD=lazy and the region was not needed yet */
	LJMM_GUARD_STATE_PLACED = 2,   /* a PROT_NONE page stands at guard_addr */
	LJMM_GUARD_STATE_NOT_NEEDED = 3, /* brk starts at or above 2 GiB (PIE programs) */
	LJMM_GUARD_STATE_OCCUPIED = 4, /* a mapping already stood there: brk cannot grow past it */
	LJMM_GUARD_STATE_FAILED = 5    /* the kernel refused the guard mapping */
} ljmm_guard_state_t;

/** A snapshot of the shim's counters; fields are only ever appended. The first five are
 *  counted without locked instructions to keep the pass-through path cheap: exact in a
 *  single-threaded process, they may undercount calls made at the same moment by several
 *  threads. The others are exact. */
typedef struct {
	uint64_t mmap_calls;         /* mmap/mmap64 calls seen */
	uint64_t munmap_calls;       /* munmap calls seen */
	uint64_t mremap_calls;       /* mremap calls seen */
	uint64_t map32_calls;        /* MAP_32BIT requests without MAP_FIXED */
	uint64_t kernel_served;      /* MAP_32BIT requests the kernel answered */
	uint64_t region_served;      /* MAP_32BIT requests served from the region */
	uint64_t region_bytes_served; /* bytes handed out from the region, in total */
	uint64_t failures;           /* MAP_32BIT requests answered ENOMEM */
	uint64_t resyncs;            /* index rebuilds from /proc/self/maps */
	uint64_t conflicts;          /* placements found taken behind the index's back */
	uint64_t signal_reentries;   /* calls from a signal handler that interrupted the shim */
	uint64_t region_lo, region_hi; /* bounds of the region, [lo, hi) */
	uint64_t region_in_use;      /* bytes of the region mapped now (by anyone) */
	uint64_t region_peak;        /* highest region_in_use seen */
	uint64_t free_extents;       /* free ranges in the index now */
	uint64_t free_extents_peak;  /* most free ranges at once */
	uint64_t dropped_bytes;      /* free bytes forgotten because the index was full */
	uint64_t guard_state;        /* an ljmm_guard_state_t */
	uint64_t guard_addr;         /* the guard page, when placed */
	uint64_t guard_reserve;      /* bytes left for brk below the guard */
	uint64_t kernel_skipped;     /* MAP_32BIT requests sent straight to the region: the kernel's
					window had refused that size and nothing in it was freed since */
	uint64_t fork_resets;        /* times the index was found stale in a forked child and rebuilt
					(a child starts with its parent's counts) */
	uint64_t scans;              /* rebuilds made without /proc/self/maps, by asking the kernel
					(mincore and trial mappings): no descriptor free, no /proc */
	uint64_t section_recoveries; /* times the region lock was found left behind (a siglongjmp out
					of the shim, a thread cancelled inside it) and taken over */
	uint64_t lock_timeouts;      /* calls that found the lock held past its limit by a live thread
					and answered from the kernel alone */
	uint64_t guard_defaulted_lazy; /* 1 when LJMM_GUARD was unset and the C library is older than
					any the guard was measured on, so the default became lazy */
	uint64_t hints_served;       /* requests without MAP_32BIT, with a hint below 2 GiB that the
					kernel placed above 2 GiB, served from the region after a
					MAP_32BIT request had failed (LuaJIT 2.1's probing) */
} ljmm_stats_t;

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
