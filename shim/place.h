/* SPDX-License-Identifier: MIT */
/* Placing a block in the region, inside the region's section (see place.c). */
#ifndef LJMM_PLACE_H
#define LJMM_PLACE_H

#include <stddef.h>

/** Why ljmm_place answered ENOMEM. */
enum {
	LJMM_PLACE_NO_ROOM = 1,   /* no free range of the region holds the request */
	LJMM_PLACE_REFUSED = 2,   /* the kernel refused the placement (RLIMIT_AS, overcommit): its verdict */
	LJMM_PLACE_CONTENDED = 3, /* every try collided with mappings made behind the index's back */
};

/** Serve len bytes from the region, inside the section: 0 with *out set, -ENOMEM with
 *  *why set, or the kernel's own error for the placement (EACCES, EBADF, ...). */
int ljmm_place(size_t len, int prot, int flags, int fd, long off, void **out, int *why);

#endif
