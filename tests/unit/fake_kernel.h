/* SPDX-License-Identifier: MIT */
/* A fake kernel for the policy's unit tests: every function of shim/sys.h, answered by a
 * modelled address space instead of the syscall instruction (see fake_kernel.c for what is
 * modelled, and where the model deliberately simplifies). Tests script the kernel's state
 * and behaviour with the fk_* functions below, then drive the shim's decisions and check
 * what it asked the kernel (fk_count) and what it printed (fk_stderr_text).
 *
 * One thread at a time calls into the fake (tests that use real threads hand over
 * explicitly); each Check test runs in a process of its own, and calls fk_reset first. */
#ifndef LJMM_FAKE_KERNEL_H
#define LJMM_FAKE_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/testutil.h"
#include "sys.h"

/* Mappings the fake places itself, without real memory behind them, lie below this. */
#define FK_TOP ((uintptr_t)4 << 30)
/* x86-64's TASK_SIZE with 4-level page tables. */
#define FK_TASK_SIZE (((uintptr_t)1 << 47) - PAGE)

/** A fresh process: an empty address space, the defaults below, nothing counted or captured.
 *  pid 1000 (its main thread's tid too), clock at 1000 s, vm.mmap_min_addr 65536 (readable),
 *  brk far above 4 GiB (a PIE program), MAP_32BIT searched from 1 GiB, Linux 6.18 semantics. */
void fk_reset(void);

/* ---- the address space ------------------------------------------------------------- */

/** Map [start, end) behind the shim's back (a raw system call, glibc's internal mmap, brk):
 *  private anonymous with prot. 0, or -EEXIST when anything is mapped there. */
int fk_map(uintptr_t start, uintptr_t end, int prot);
/** The same with a name in /proc/self/maps ("[heap]", "/usr/bin/prog"). */
int fk_map_named(uintptr_t start, uintptr_t end, int prot, const char *name);
/** Map [start, end) but leave it out of /proc/self/maps until fk_reveal (a mapping made
 *  while the maps file was being read). 0 or -EEXIST. */
int fk_map_hidden(uintptr_t start, uintptr_t end);
/** Show every hidden mapping in /proc/self/maps again. */
void fk_reveal(void);
/** Unmap [start, end) behind the shim's back. */
void fk_unmap(uintptr_t start, uintptr_t end);

enum { FK_FREE = 0, FK_MAPPED = 1, FK_PARTLY = 2 };
/** Whether [start, end) is wholly free, wholly mapped, or partly mapped. */
int fk_state(uintptr_t start, uintptr_t end);
/** The protection of the mapping at addr, or -1 when addr is unmapped. */
int fk_prot_at(uintptr_t addr);
/** Number of mappings (VMAs) and the i-th in address order: 0, or -1 past the end. */
size_t fk_vma_count(void);
int fk_vma(size_t i, uintptr_t *start, uintptr_t *end);
/** Bytes mapped in the whole model (what RLIMIT_AS counts). */
uint64_t fk_mapped_bytes(void);
/** A descriptor of a fake file that can be mapped (writable: opened O_RDWR, else O_RDONLY). */
int fk_file(int writable);
/** A writable fake file on hugetlbfs (an MFD_HUGETLB memfd): see fake_kernel.c. */
int fk_file_hugetlb(void);
/** The text /proc/self/maps shows now; returns its length (NUL-terminated, cut at cap). */
size_t fk_maps_text(char *buf, size_t cap);

/* ---- the kernel's behaviour -------------------------------------------------------- */

/** Act as a kernel before 4.17: MAP_FIXED_NOREPLACE is an unknown flag, so a hint. */
void fk_set_noreplace_is_hint(int on);
/** Linux 6.17's MREMAP_FIXED move of several mappings and the holes between them (on by
 *  default); off: such a move fails with EFAULT, as before 6.17. */
void fk_set_multi_move(int on);
/** Where the next unhinted MAP_32BIT search starts (the kernel picks a random page in
 *  [1 GiB, 1 GiB + 32 MiB) for each call; default 1 GiB). */
void fk_set_map32_start(uintptr_t begin);
/** The lowest address a process may map (EPERM below it for MAP_FIXED; hints are raised to it). */
void fk_set_mmap_min_addr(uintptr_t enforced);
/** The error below that floor: EPERM (capabilities, the default) or EACCES (SELinux). */
void fk_set_mmap_min_err(int err);
/** What /proc/sys/vm/mmap_min_addr reads (default: the enforced value and a newline);
 *  NULL: the file cannot be opened (ENOENT). */
void fk_set_mmap_min_addr_text(const char *text);
/** The brk heap: [start, cur) is mapped ("[heap]") when below FK_TOP; brk(0) answers cur. */
void fk_set_brk(uintptr_t start, uintptr_t cur);
/** RLIMIT_AS in bytes (0: unlimited): a mapping that would take the model past it fails
 *  with ENOMEM, after the checks that come before it in the kernel. */
void fk_set_as_limit(uint64_t bytes);
/** The version the fake C library reports (gnu_get_libc_version); NULL: as musl does (none). */
void fk_set_libc_version(const char *version);

/* ---- failures ----------------------------------------------------------------------- */

typedef enum {
	FK_SYS_MMAP, FK_SYS_MUNMAP, FK_SYS_MREMAP, FK_SYS_MINCORE, FK_SYS_MADVISE, FK_SYS_OPEN,
	FK_SYS_READ, FK_SYS_WRITE, FK_SYS_CLOCK, FK_SYS_TGKILL, FK_SYS_COUNT
} fk_sys_t;
/* A failure is armed for a call site, named by what the call asks for, not by how many
 * calls come before it: a test then keeps testing the same thing when the shim makes
 * another call first. Each fires once, and fk_fail_pending tells whether it did. */
/** The next call of that kind fails with -err: a call already under way when set from one
 *  of the hooks below, or the first that comes. */
void fk_fail_next(fk_sys_t sys, int err);
/** The next call of that kind at addr fails with -err (mmap: its address, hint or fixed;
 *  munmap, mincore, madvise: theirs; mremap: the old address): the guard page's mmap, and
 *  not the lock page's before it. */
void fk_fail_at(fk_sys_t sys, uintptr_t addr, int err);
/** The next read of path ("/proc/self/maps", "/proc/sys/vm/mmap_min_addr") that starts at
 *  offset at or past it fails with -err: a read that fails half-way through the file. */
void fk_fail_read(const char *path, size_t at, int err);
/** The next write to descriptor fd (2 only) once at bytes went to it since fk_reset or
 *  fk_output_clear fails with -err: a line interrupted half-way. */
void fk_fail_write(int fd, size_t at, int err);
/** How many of the failures above are armed and have not fired yet. */
int fk_fail_pending(void);
/** Every call of sys fails with -err from now on (0: no more): a seccomp filter's refusal. */
void fk_fail_always(fk_sys_t sys, int err);
/** Every open of a path starting with prefix ("" for all) fails with -err until cleared
 *  (prefix NULL clears): "/proc/" with ENOENT is a chroot without /proc, "" with EMFILE a
 *  full descriptor table. */
void fk_fail_open(const char *prefix, int err);
/** Reads return at most n bytes (0: as many as asked), to exercise short reads. */
void fk_set_read_chunk(size_t n);
/** Writes take at most n bytes (0: all). */
void fk_set_write_chunk(size_t n);

/** Called at the start of every mmap, before anything is checked: a test maps behind the
 *  shim's back at the moment the shim places a block. NULL removes it. */
typedef void (*fk_mmap_hook_t)(void *ctx, uintptr_t addr, size_t len, int prot, int flags);
void fk_hook_mmap(fk_mmap_hook_t fn, void *ctx);
/** Called at the start of every call of that kind (for mmap after fk_hook_mmap, which sees the arguments),
 *  before anything is checked: what another thread does at that moment. NULL removes it. */
typedef void (*fk_call_hook_t)(void *ctx);
void fk_hook_call(fk_sys_t sys, fk_call_hook_t fn, void *ctx);
/** Called at every futex wait with a timeout, before the fake decides it: what another
 *  thread (or a signal handler) does while this one waits. NULL removes it. */
typedef void (*fk_futex_hook_t)(void *ctx);
void fk_hook_futex(fk_futex_hook_t fn, void *ctx);

/* ---- time, threads, signals, fork ---------------------------------------------------- */

/** CLOCK_MONOTONIC (and _COARSE, the same in the model), in ns. */
uint64_t fk_clock_ns(void);
void fk_clock_set(uint64_t ns);
void fk_clock_advance(uint64_t ns);
/** The calling thread's tid as gettid(2) answers it (0: the main thread's). */
void fk_thread_self(long tid);
/** Whether thread tid of the process exists (tgkill answers 0, else ESRCH). The main
 *  thread exists from fk_reset on. */
void fk_thread_alive(long tid, int alive);
/** Another process tgid (its leader thread) exists or not: tgkill(tgid, tgid, 0) answers 0. */
void fk_process_alive(long tgid, int alive);
long fk_pid(void);

enum { FK_ALTSTACK_DISABLED = 0, FK_ALTSTACK_REAL = 1, FK_ALTSTACK_FAIL = 2 };
/** sigaltstack: none (SS_DISABLE, the default), the calling thread's real one, or EFAULT. */
void fk_set_altstack(int mode);

/** What the kernel does at fork(), seen from the child, in this process: the pages marked
 *  MADV_WIPEONFORK read as zeroes, the pid changes and the child has one thread (the
 *  caller), whose tid is the new pid. Nothing else changes. */
void fake_fork(void);

/* ---- what the shim did -------------------------------------------------------------- */

typedef struct {
	unsigned mmap, map32, noreplace, munmap, mremap, mincore, madvise;
	unsigned open, open_maps, open_sysctl, read, write, close;
	unsigned clock, futex_wait, futex_wake, tgkill, brk, sigaltstack;
} fk_counts_t;
/** Calls made since fk_reset (map32: MAP_32BIT without MAP_FIXED*; noreplace: with
 *  MAP_FIXED_NOREPLACE as the caller passed it). Tests may zero it. */
extern fk_counts_t fk_count;
/** Descriptors the fake has open (a leak check: 0 after every shim call). */
int fk_open_fds(void);
/** The start of each line the shim logs under the fake kernel, whose wall clock stands
 *  still at 2026-12-06T00:00:00Z: FK_LINE("warn") "ljmm[1000]: ...". */
#define FK_LINE(level) "2026-12-06T00:00:00.000Z [" level "] "
/** Everything written to fd 2, and to files opened for writing (the log file). */
const char *fk_stderr_text(void);
const char *fk_log_text(void);
void fk_output_clear(void);
/** Also copy what is written to fd 2 to this real descriptor (-1: no copy): what a
 *  process's destructors print reaches its parent. */
void fk_copy_stderr_to(int real_fd);

#endif
