/* SPDX-License-Identifier: MIT */
/* Raw Linux x86-64 system calls that return -errno, in the manner of musl's __syscall.
 *
 * Why not libc: the interposed mmap family must not recurse into anything that can
 * allocate or take libc locks (dlsym, malloc, stdio), and must not touch errno on its
 * internal paths. These inline wrappers are plain instructions: async-signal-safe,
 * usable before libc is initialised, and they leave errno alone. */
#ifndef LJMM_SYS_H
#define LJMM_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#if !defined(__x86_64__) || !defined(__linux__)
#error "ljmm supports Linux x86-64 only"
#endif

static inline long ljmm_sys6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			     : "rcx", "r11", "memory");
	return ret;
}

/* The kernel reports errors as values in [-4095, -1]; anything else is a result. */
static inline int ljmm_sys_is_err(long r) { return (unsigned long)r > -4096UL; }

static inline long ljmm_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
#ifdef LJMM_TEST_NOREPLACE_AS_HINT
	/* Test builds only (tests/preload): act as a kernel before 4.17, which does not
	 * know MAP_FIXED_NOREPLACE and takes the address as a plain hint. */
	flags &= ~MAP_FIXED_NOREPLACE;
#endif
	return ljmm_sys6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}

static inline long ljmm_sys_munmap(void *addr, size_t len)
{
	return ljmm_sys6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
}

static inline long ljmm_sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	return ljmm_sys6(SYS_mremap, (long)old, (long)old_len, (long)new_len, flags, (long)new_addr, 0);
}

static inline long ljmm_sys_open(const char *path, int flags, int mode)
{
	return ljmm_sys6(SYS_open, (long)path, flags, mode, 0, 0, 0);
}

static inline long ljmm_sys_read(int fd, void *buf, size_t n)
{
	return ljmm_sys6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0);
}

static inline long ljmm_sys_write(int fd, const void *buf, size_t n)
{
	return ljmm_sys6(SYS_write, fd, (long)buf, (long)n, 0, 0, 0);
}

static inline long ljmm_sys_close(int fd) { return ljmm_sys6(SYS_close, fd, 0, 0, 0, 0, 0); }

static inline long ljmm_sys_brk(void *addr) { return ljmm_sys6(SYS_brk, (long)addr, 0, 0, 0, 0, 0); }

static inline long ljmm_sys_madvise(void *addr, size_t len, int advice)
{
	return ljmm_sys6(SYS_madvise, (long)addr, (long)len, advice, 0, 0, 0);
}

static inline long ljmm_sys_getpid(void) { return ljmm_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0); }

static inline long ljmm_sys_clock_gettime(int clock, struct timespec *ts)
{
	return ljmm_sys6(SYS_clock_gettime, clock, (long)ts, 0, 0, 0, 0);
}

static inline long ljmm_sys_futex(int *uaddr, int op, int val)
{
	return ljmm_sys6(SYS_futex, (long)uaddr, op, val, 0, 0, 0);
}

#endif
