/* SPDX-License-Identifier: MIT */
/* Placing a block in the region (see place.h): which requests the region can serve with
 * the mapping the kernel would give, the best fit, mapped with MAP_FIXED_NOREPLACE and the
 * caller's own protection, flags, descriptor and offset, and what to do when the spot
 * turns out to be taken. */
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

/* The flags the kernel accepts under MAP_SHARED_VALIDATE whatever the file
 * (include/linux/mman.h, LEGACY_MAP_MASK, Linux 4.15 to 6.18: MAP_32BIT, MAP_ABOVE4G and
 * the MAP_HUGE_2MB/1GB size bits included). MAP_FIXED_NOREPLACE is not among them: the
 * kernel refuses it under MAP_SHARED_VALIDATE with EOPNOTSUPP, after its window search. */
#define LEGACY_MAP_MASK                                                                                    \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_GROWSDOWN | \
	 MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT |          \
	 MAP_ABOVE4G | (21 << MAP_HUGE_SHIFT) | (30 << MAP_HUGE_SHIFT))

int ljmm_place_flags(int flags, int fd)
{
	if (!(flags & MAP_ANONYMOUS)) {
		/* A file mapping under MAP_SHARED_VALIDATE is a MAP_SHARED one once its flags
		 * pass the kernel's check (do_mmap: MAP_SHARED drops the others, which is all
		 * the difference). Flags beyond the legacy set are for the file to judge
		 * (MAP_SYNC on DAX, EOPNOTSUPP elsewhere): the kernel's answer. An anonymous
		 * one is EINVAL either way and keeps its type, so the placement says so too. */
		if ((flags & 0x0f) == MAP_SHARED_VALIDATE) {
			if (flags & ~LEGACY_MAP_MASK)
				return 0;
			flags = (flags & ~0x0f) | MAP_SHARED;
		}
		/* A hugetlbfs file (an MFD_HUGETLB memfd, a file under /dev/hugepages) takes huge
		 * pages at huge-page-aligned addresses only, and its length rounded up to them:
		 * EINVAL at a region address, where the kernel's own search aligns. */
		if (ljmm_sys_fs_type(fd) == HUGETLBFS_MAGIC)
			return 0;
	}
	return (flags & ~MAP_32BIT) | MAP_FIXED_NOREPLACE;
}

/* Serve len bytes from the region, inside the section: 0 with *out set, -ENOMEM with
 * *why set, or the kernel's own error for the placement. */
int ljmm_place_block(size_t len, int prot, int place_flags, int fd, long off, void **out, int *why)
{
	uintptr_t need = ljmm_page_up(len), addr;
	int rebuilt = 0;

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
