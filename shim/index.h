/* SPDX-License-Identifier: MIT */
/* The index of the region's free ranges, kept in step with the kernel (see index.c).
 * Every function but the lock-free queries runs with the region lock held. */
#ifndef LJMM_INDEX_H
#define LJMM_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "hot.h"
#include "warn.h"

/** Lock-free: the index exists, so mappings that land in the region must be recorded. */
static inline int ljmm_index_built(void) { return __atomic_load_n(&ljmm_hot.built, __ATOMIC_SEQ_CST); }
/** Lock-free: the region's end (2 GiB until the index is first built). */
static inline uintptr_t ljmm_index_hi(void) { return __atomic_load_n(&ljmm_hot.bound_hi, __ATOMIC_RELAXED); }
/** Lock-free: the index may be wrong and is rebuilt before its next use. */
static inline int ljmm_index_stale(void) { return __atomic_load_n(&ljmm_hot.need_resync, __ATOMIC_ACQUIRE); }
/** Lock-free, any thread: have the index rebuilt before its next use. */
static inline void ljmm_index_invalidate(void) { __atomic_store_n(&ljmm_hot.need_resync, 1, __ATOMIC_SEQ_CST); }

/** Rebuild the index from the kernel's picture now: 0, or -errno when it could not be
 *  read (the region then serves nothing until a later try). */
int ljmm_index_rebuild(void);
/** When nothing fits: rebuild, unless that was done less than 100 ms ago (and nothing was
 *  dropped). 0 when rebuilt, -EAGAIN when not due. */
int ljmm_index_rebuild_if_due(void);

/** Best fit for len bytes (a page multiple): 0 with *addr the top of the smallest free
 *  range that holds it, or -ENOMEM. */
int ljmm_index_find(size_t len, uintptr_t *addr);
/** Record [start, end) as mapped (rounded out to pages; ignored while stale). */
void ljmm_index_record_used(uintptr_t start, uintptr_t end);
/** Record [start, end) as unmapped (ignored while stale). */
void ljmm_index_record_free(uintptr_t start, uintptr_t end);
/** Record what the kernel now has in [start, end) by asking it (scan.c): after a
 *  change whose shape the shim cannot know, such as a multi-mapping mremap move. */
void ljmm_index_record_scanned(uintptr_t start, uintptr_t end);
/** Keep [lo, hi) out of the region (the brk reserve below the guard); 0, 0 for none. */
void ljmm_index_set_reserve(uintptr_t lo, uintptr_t hi);

/** The region's use for messages (zeroes when never built). */
void ljmm_index_usage(ljmm_usage_t *u);

/** Compare the index with the kernel's picture: 0 equal, -EAGAIN not built or stale,
 *  -EIO different, or -errno when the picture could not be read. */
int ljmm_index_verify(void);

#endif
