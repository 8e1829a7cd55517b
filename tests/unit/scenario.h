/* SPDX-License-Identifier: MIT */
/* Scripted processes for the policy suites (scenario.c): a fresh fake kernel, the options
 * as the environment would give them, and short names for the calls a program makes. */
#ifndef LJMM_SCENARIO_H
#define LJMM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "../../include/ljmm.h"
#include "fake_kernel.h"

/** Start a process: fk_reset, then the options ("NAME=value" strings, NULL-terminated;
 *  rejected ones print their line to the fake stderr), then the warning thresholds. */
void sc_start(const char *const *env);
#define SC_START(...) sc_start((const char *const[]){__VA_ARGS__, NULL})
/** What the library's constructor does after loading the options: the lock page, the
 *  guard (start.c's ljmm_start_run, which init.c calls). */
void sc_constructor(void);

/** The calls of a program (through alloc.c): the address, or -errno. */
long sc_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, long off);
long sc_map32(size_t len); /* MAP_32BIT | MAP_PRIVATE | MAP_ANONYMOUS, read-write */
long sc_munmap(uintptr_t addr, size_t len);
long sc_mremap(uintptr_t old, size_t old_len, size_t new_len, int flags, uintptr_t new_addr);

/** The shim's counters now. */
ljmm_stats_t sc_stats(void);
/** Check (with ck_assert) that the index equals the fake's address space
 *  (ljmm_alloc_verify returns 0) and that no descriptor was left open. */
void sc_verified_at(const char *what, const char *file, int line);
#define sc_verified(what) sc_verified_at(what, __FILE__, __LINE__)
/** How many times needle occurs in text. */
int sc_count(const char *text, const char *needle);

#endif
