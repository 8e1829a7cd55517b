/* SPDX-License-Identifier: MIT */
/* The MAP_32BIT allocator: the logic behind each entry point. It decides between kernel
 * and region (place.c places region blocks, hint.c serves LuaJIT 2.1's probes) and keeps
 * the index exact as mappings come and go. Every entry returns 0 or -errno. */
#ifndef LJMM_ALLOC_H
#define LJMM_ALLOC_H

#include <stddef.h>

/** mmap: on success *out is the mapping. */
int ljmm_alloc_mmap(void *addr, size_t len, int prot, int flags, int fd, long off, void **out);
/** munmap. */
int ljmm_alloc_munmap(void *addr, size_t len);
/** mremap (new_addr is only read with MREMAP_FIXED): on success *out is the mapping. */
int ljmm_alloc_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr, void **out);
/** Compare the index with /proc/self/maps: 0 equal, -EAGAIN not built or resync pending, -EIO different. */
int ljmm_alloc_verify(void);

#endif
