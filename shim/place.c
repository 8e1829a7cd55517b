/* SPDX-License-Identifier: MIT */
/* Placing a block in the region (see place.h): the best fit, mapped with
 * MAP_FIXED_NOREPLACE and the caller's own protection, flags, descriptor and offset, and
 * what to do when the spot turns out to be taken. */
#include "place.h"

#include <errno.h>
#include <sys/mman.h>

#include "guard.h"
#include "index.h"
#include "internal.h"
#include "log.h"
#include "stats.h"
#include "sys.h"

/* A placement that collides right after a fresh rebuild means a mapping appeared while
 * the picture was read (another thread, or glibc's internal mmap, which does not pass
 * through us); each such spot is then marked used and the next best fit tried. That
 * many collisions in a row means something maps into the low region as fast as we
 * look: answer ENOMEM, as a full window would, rather than spin. */
#define PLACE_TRIES 16

/* Serve len bytes from the region, inside the section: 0 with *out set, -ENOMEM with
 * *why set, or the kernel's own error for the placement. */
int ljmm_place(size_t len, int prot, int flags, int fd, long off, void **out, int *why)
{
	uintptr_t need = ljmm_page_up(len), addr;
	int rebuilt = 0, place_flags = (flags & ~MAP_32BIT) | MAP_FIXED_NOREPLACE;

	*why = LJMM_PLACE_NO_ROOM;
	ljmm_guard_before_region();
	if (!ljmm_index_built() || ljmm_index_stale()) {
		if (ljmm_index_rebuild() < 0)
			return -ENOMEM;
		rebuilt = 1;
	}
	for (int attempt = 0; attempt < PLACE_TRIES; attempt++) {
		long r;
		if (ljmm_index_find(need, &addr) < 0) {
			/* Free ranges a full index dropped, or freed behind its back: one
			 * rebuild recovers them. */
			if (!rebuilt && ljmm_index_rebuild_if_due() == 0) {
				rebuilt = 1;
				continue;
			}
			LJMM_DEBUG("region: nothing fits, ENOMEM", 0, "len", need, 0);
			return -ENOMEM;
		}
		r = ljmm_sys_mmap((void *)addr, len, prot, place_flags, fd, off);
		if (!ljmm_sys_is_err(r) && (uintptr_t)r == addr) {
			ljmm_index_record_used(addr, addr + need);
			LJMM_DEBUG("region: served", addr, "len", need, 0);
			*out = (void *)addr;
			return 0;
		}
		if (!ljmm_sys_is_err(r)) {
			/* Before Linux 4.17 MAP_FIXED_NOREPLACE is only a hint: an answer elsewhere
			 * means the spot was taken. Give it back and treat it as EEXIST. */
			ljmm_sys_munmap((void *)r, len);
		} else if (r != -EEXIST) {
			/* The kernel's own refusal (RLIMIT_AS, overcommit, EBADF, EACCES, ...):
			 * its judgement of the arguments with room available. */
			LJMM_DEBUG("region: placement refused by the kernel", addr, "len", need, (int)r);
			*why = LJMM_PLACE_REFUSED;
			return (int)r;
		}
		ljmm_stats_add(&ljmm_stats_live.conflicts, 1);
		LJMM_DEBUG("region: range taken behind the index's back, resyncing", addr, "len", need, -EEXIST);
		/* Stale (a signal handler inside this very call changed the region): records
		 * are ignored until a rebuild, so skipping the spot would not work. */
		if (!rebuilt || ljmm_index_stale()) {
			if (ljmm_index_rebuild() < 0)
				return -ENOMEM;
			rebuilt = 1;
		} else {
			/* Maps read while others change them can miss a mapping: skip this spot. */
			ljmm_index_record_used(addr, addr + need);
		}
	}
	*why = LJMM_PLACE_CONTENDED;
	return -ENOMEM;
}
