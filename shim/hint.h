/* SPDX-License-Identifier: MIT */
/* The hint service: once a MAP_32BIT request has failed, a request with an address hint
 * below 2 GiB that the kernel placed above it is served from the region (LuaJIT 2.1's
 * probing; see hint.c). */
#ifndef LJMM_HINT_H
#define LJMM_HINT_H

#include <stddef.h>

#include "hot.h"

/** What ljmm_hint_serve did with the kernel's block. */
enum {
	LJMM_HINT_KEPT = 0,       /* the kernel's block stands: the region cannot give this mapping now */
	LJMM_HINT_SERVED = 1,     /* given back; *out is the region's block (recorded) */
	LJMM_HINT_GIVEN_BACK = 2, /* given back, and the region had no room: ask the kernel again */
};

/** The service is on (any thread, no lock; one load on the pass-through path). */
static inline int ljmm_hint_on(void) { return __atomic_load_n(&ljmm_hot.serve_hints, __ATOMIC_RELAXED); }
/** A MAP_32BIT request of len bytes ended in ENOMEM, why an LJMM_PLACE_* reason: turn
 *  the service on, unless no region could have served it. */
void ljmm_hint_after_failure(size_t len, int why);
/** Is the kernel's answer r (not an error) to a call without MAP_32BIT one the service
 *  serves? */
int ljmm_hint_missed(const void *addr, size_t len, int flags, long r);
/** Serve a missed hint from the region: an LJMM_HINT_* answer. */
int ljmm_hint_serve(size_t len, int prot, int flags, int fd, long off, long r, void **out);

#endif
