/* SPDX-License-Identifier: MIT */
/* Helpers shared by the preload test programs (lowmem.c, hardening.c): MAP_32BIT blocks
 * stamped with their address and checked, the shim's API looked up at run time (so a
 * program also runs without the shim), and failure reporting. */
#ifndef LJMM_TEST_PRELOAD_COMMON_H
#define LJMM_TEST_PRELOAD_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ljmm.h"
#include "../lib/errname.h"
#include "../lib/testutil.h"

#define LOW_END ((uintptr_t)1 << 31)
#define MAX_BLOCKS 8192

typedef struct {
	uintptr_t addr;
	size_t len;
	int stamped; /* its pages hold their tags (0: never touched, to keep RSS and fork() cheap) */
} block_t;

/** The live blocks of the program, in no particular order. */
extern block_t blocks[MAX_BLOCKS];
extern size_t nblocks;

/** Print "FAIL: ..." with the line and exit 1. */
#define FAIL(...)                                      \
	do {                                           \
		fprintf(stderr, "FAIL: " __VA_ARGS__); \
		fprintf(stderr, " (line %d)\n", __LINE__); \
		exit(1);                               \
	} while (0)

/** mmap(NULL, len, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT) through libc (and so the shim). */
void *map32(size_t len);
/** The same call as a raw system call, which the shim never sees. */
long raw_mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
/** 1 when a mapping stands at the page addr: a raw MAP_FIXED_NOREPLACE page there fails
 *  with EEXIST (one that succeeds is given back at once). */
int page_taken(uintptr_t addr);
/** ljmm_verify() (FAIL if the shim is not loaded). */
int shim_verify(void);
/** FAIL unless ljmm_verify() says the index equals /proc/self/maps. */
void verify(const char *where);
/** ljmm_stats_snapshot() (FAIL if the shim is not loaded). */
ljmm_stats_t stats(void);
/** The value stamped into page: a function of its address. */
uint64_t tag(uintptr_t page);
/** Stamp every page of [addr, addr + len) with its tag. */
void stamp(uintptr_t addr, size_t len);
/** FAIL unless the pages at addr hold the stamps written when they lived at home. */
void check_moved(uintptr_t addr, uintptr_t home, size_t len);
/** check_moved(addr, addr, len). */
void check_stamp(uintptr_t addr, size_t len);
/** Record a live block (FAIL if it ends above 2 GiB) and stamp it. */
void add_block(uintptr_t a, size_t len);
/** Map len-byte MAP_32BIT blocks until ENOMEM; returns how many. */
size_t fill(size_t len);
/** fill() without touching the blocks (no RSS: fork() stays cheap). */
size_t fill_untouched(size_t len);
/** qsort comparison of blocks by address. */
int by_addr(const void *a, const void *b);
/** Bytes in live blocks. */
size_t live_bytes(void);
/** FAIL if two live blocks overlap, one ends above 2 GiB, or a page lost its stamp. */
void check_blocks(const char *where);
/** Unmap live block i and forget it. */
void drop_block(size_t i);
/** Fill the kernel's window and the region with 1 MiB blocks, then free the room lowest ones. */
void prepare_region(size_t room);
/** prepare_region() with untouched blocks. */
void prepare_region_untouched(size_t room);

#endif
