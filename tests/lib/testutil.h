/* SPDX-License-Identifier: MIT */
/* The sizes and shorthands the C tests share: the unit suites, the preload, stress, diff,
 * bad-input and tools programs. Plain C with no Check, so that the musl build's programs
 * include it too.
 *
 * K, M, G and PAGE are unsigned long: on x86-64 (LP64, the only ABI ljmm builds for)
 * that is the type of size_t, uintptr_t and uint64_t alike, so they mix with lengths,
 * addresses and 64-bit counters and print with %lu, %zu or PRIu64 without a cast. */
#ifndef LJMM_TEST_TESTUTIL_H
#define LJMM_TEST_TESTUTIL_H

#define K (1ul << 10)
#define M (1ul << 20)
#define G (1ul << 30)
/* The x86-64 page; the shim asks the kernel for no other size, and the fake kernel
 * models this one. */
#define PAGE 4096ul
/* PROT_READ | PROT_WRITE, the protection of every ordinary mapping (<sys/mman.h>). */
#define RW (PROT_READ | PROT_WRITE)
/* The number of elements of an array (not of a pointer). */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
