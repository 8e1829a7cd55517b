/* SPDX-License-Identifier: MIT */
/* Warnings for operators (see warn.c): the low 2 GiB filling up, and the first MAP_32BIT
 * request that fails. */
#ifndef LJMM_WARN_H
#define LJMM_WARN_H

#include <stddef.h>
#include <stdint.h>

/** The region's use, as messages give it. */
typedef struct {
	uint64_t in_use, total;                /* bytes of the region (less the brk reserve) */
	uintptr_t largest_start, largest_len;  /* the largest free range */
} ljmm_usage_t;

/** The next threshold (percent) not yet crossed, 0 when none is left (or LJMM_WARN=off). */
extern unsigned ljmm_warn_next;

/** Read LJMM_WARN; until then the defaults apply. */
void ljmm_warn_init(void);
/** Print a line for each threshold in_use/total first crossed (warn.c). */
void ljmm_warn_crossed(uint64_t in_use, uint64_t total);
/** After every change of the region's use: one comparison unless a threshold is crossed. */
static inline void ljmm_warn_usage(uint64_t in_use, uint64_t total)
{
	if (__builtin_expect(ljmm_warn_next != 0 && total && in_use * 100 >= (uint64_t)ljmm_warn_next * total, 0))
		ljmm_warn_crossed(in_use, total);
}
/** A failure of a len-byte request still has something to say (a first failure, or a
 *  size that reads as text), so its caller should gather the figures. */
int ljmm_warn_failure_due(size_t len);
/** A MAP_32BIT request of len bytes failed for lack of low memory: say so the first time
 *  (with u's figures; u NULL when they could not be had), and once more if len looks
 *  like text read off the wire rather than a size. */
void ljmm_warn_failure(size_t len, const ljmm_usage_t *u);
/** The text len spells when read as 4 or 8 bytes in network byte order, if it is a
 *  request over 1 GiB and every byte is printable ASCII: 1 with out (9 bytes) filled. */
int ljmm_warn_len_text(uint64_t len, char out[9]);

#endif
