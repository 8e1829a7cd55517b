/* SPDX-License-Identifier: MIT */
/* Raw Linux x86-64 system calls that return -errno, in the manner of musl's __syscall.
 *
 * Why not libc: the interposed mmap family must not recurse into anything that can
 * allocate or take libc locks (dlsym, malloc, stdio), and must not touch errno on its
 * internal paths. sys.c implements these with the syscall instruction: plain
 * instructions, async-signal-safe, usable before libc is initialised, and they leave
 * errno alone. Link-time optimisation inlines them into the preload library.
 *
 * This header is the whole boundary between the shim and the kernel: the policy unit
 * tests link tests/unit/fake_kernel.c instead of sys.c, a modelled address space with
 * the same functions, so every decision can be scripted without the real kernel. */
#ifndef LJMM_SYS_H
#define LJMM_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#if !defined(__x86_64__) || !defined(__linux__)
#error "ljmm supports Linux x86-64 only"
#endif

/* Flags newer than the oldest headers we build with (glibc 2.17, musl 1.1): the kernel
 * ABI values, from <linux/mman.h>. */
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000 /* Linux 4.17; older kernels take it as a hint */
#endif
#ifndef MAP_ABOVE4G
#define MAP_ABOVE4G 0x80 /* Linux 6.6: never below 4 GiB unless the hint itself is free */
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4 /* Linux 5.7 */
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03 /* Linux 4.15, glibc 2.28 */
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6L /* <linux/magic.h> */
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18 /* Linux 4.14 */
#endif

/* The kernel reports errors as values in [-4095, -1]; anything else is a result. */
static inline int ljmm_sys_is_err(long r) { return (unsigned long)r > -4096UL; }

/** mmap(2): the address, or -errno. */
long ljmm_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
/** munmap(2): 0 or -errno. */
long ljmm_sys_munmap(void *addr, size_t len);
/** mremap(2) (new_addr used with MREMAP_FIXED): the address, or -errno. */
long ljmm_sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr);
/** mincore(2): 0 or -errno (ENOMEM when the range holds unmapped pages). */
long ljmm_sys_mincore(void *addr, size_t len, unsigned char *vec);
/** madvise(2): 0 or -errno. */
long ljmm_sys_madvise(void *addr, size_t len, int advice);
/** fstatfs(2): the file system's f_type (HUGETLBFS_MAGIC, ...) for fd, or -errno. */
long ljmm_sys_fs_type(int fd);
/** open(2): a descriptor, or -errno. */
long ljmm_sys_open(const char *path, int flags, int mode);
/** read(2): bytes read, or -errno. */
long ljmm_sys_read(int fd, void *buf, size_t n);
/** write(2): bytes written, or -errno. */
long ljmm_sys_write(int fd, const void *buf, size_t n);
/** What identifies an open file, and its type: st_dev, st_ino, st_mode of stat(2). */
typedef struct {
	uint64_t dev, ino;
	uint32_t mode;
} ljmm_fileid_t;
/** fstat(2), reduced to the file's identity: 0 or -errno. */
long ljmm_sys_fstat(int fd, ljmm_fileid_t *id);
/** stat(2) of a path (symbolic links followed), reduced to the identity: 0 or -errno. */
long ljmm_sys_stat(const char *path, ljmm_fileid_t *id);
/** fcntl(2) with an integer argument (F_GETFL, F_DUPFD_CLOEXEC): its result, or -errno. */
long ljmm_sys_fcntl(int fd, int cmd, long arg);
/** dup3(2): newfd, or -errno. */
long ljmm_sys_dup3(int oldfd, int newfd, int flags);
/** close(2): 0 or -errno. */
long ljmm_sys_close(int fd);
/** brk(2): the new (or, on failure, the current) break. */
long ljmm_sys_brk(void *addr);
/** getpid(2). */
long ljmm_sys_getpid(void);
/** gettid(2). */
long ljmm_sys_gettid(void);
/** tgkill(2) with signal 0: 0 while thread tid of process tgid exists, else -ESRCH. */
long ljmm_sys_tgkill(long tgid, long tid, int sig);
/** sigaltstack(2) read-only: 0 with *ss filled, or -errno. */
long ljmm_sys_sigaltstack_get(void *ss);
/** rt_sigprocmask(2) on the 64 standard and real-time signals: 0 or -errno. */
long ljmm_sys_sigmask(int how, const uint64_t *set, uint64_t *old);
/** rt_sigpending(2): 0 with *set filled, or -errno. */
long ljmm_sys_sigpending(uint64_t *set);
/** rt_sigtimedwait(2) with a zero timeout: the signal taken, or -EAGAIN when none of set is pending. */
long ljmm_sys_sigtake(const uint64_t *set);
/** getcwd(2): the length with the NUL, or -errno. */
long ljmm_sys_getcwd(char *buf, size_t n);
/** clock_gettime(2). */
long ljmm_sys_clock_gettime(int clock, struct timespec *ts);
/** futex(2) FUTEX_WAIT_PRIVATE (timeout NULL: none) and FUTEX_WAKE_PRIVATE. */
long ljmm_sys_futex_wait(int *uaddr, int val, const struct timespec *timeout);
long ljmm_sys_futex_wake(int *uaddr, int n);

#endif
