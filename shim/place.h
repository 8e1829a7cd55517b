/* SPDX-License-Identifier: MIT */
/* Placing a block in the region, inside the region's section (see place.c). */
#ifndef LJMM_PLACE_H
#define LJMM_PLACE_H

#include <stddef.h>
#include <sys/mman.h>

#include "internal.h"

/** Why ljmm_place_block answered ENOMEM. */
enum {
	LJMM_PLACE_NO_ROOM = 1,   /* no free range of the region holds the request */
	LJMM_PLACE_REFUSED = 2,   /* the kernel refused the placement (RLIMIT_AS, overcommit): its verdict */
	LJMM_PLACE_CONTENDED = 3, /* every try collided with mappings made behind the index's back */
	LJMM_PLACE_UNLIKE = 4,    /* the region cannot give the mapping the kernel would: its answer stands */
};

/** Could the region serve a request of len bytes with these mmap flags at all? Huge pages
 *  need huge alignment and grow-down stacks need room below: neither is what a MAP_32BIT
 *  heap block asks for, so the kernel's answer stands. */
static inline int ljmm_place_eligible(size_t len, int flags)
{
	return len && !(flags & (MAP_HUGETLB | MAP_GROWSDOWN)) && ljmm_page_up(len) != 0;
}

/** The flags that place the caller's request (flags, fd) in the region with the mapping the
 *  kernel would give it, MAP_FIXED_NOREPLACE included; 0 when the region cannot. */
int ljmm_place_flags(int flags, int fd);

/** Serve len bytes from the region, inside the section, with place_flags from
 *  ljmm_place_flags: 0 with *out set, -ENOMEM with *why set, or the kernel's own error for
 *  the placement (EACCES, EBADF, ...), which is not its answer to the caller's call. */
int ljmm_place_block(size_t len, int prot, int place_flags, int fd, long off, void **out, int *why);

#endif
