/* SPDX-License-Identifier: MIT */
/* Raw x86-64 system calls (see sys.h): the syscall instruction and nothing else. */
#include "sys.h"

#include <sys/statfs.h>
#include <sys/syscall.h>

/* From <linux/futex.h>, which musl-gcc's include path lacks (musl ships no kernel
 * headers); the values are the kernel ABI since 2.6.22. */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static inline long sys6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
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

long ljmm_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
#ifdef LJMM_TEST_NOREPLACE_AS_HINT
	/* Test builds only (tests/preload): act as a kernel before 4.17, which does not
	 * know MAP_FIXED_NOREPLACE and takes the address as a plain hint. */
	flags &= ~MAP_FIXED_NOREPLACE;
#endif
	return sys6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}

long ljmm_sys_munmap(void *addr, size_t len) { return sys6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0); }

long ljmm_sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	return sys6(SYS_mremap, (long)old, (long)old_len, (long)new_len, flags, (long)new_addr, 0);
}

long ljmm_sys_mincore(void *addr, size_t len, unsigned char *vec)
{
	return sys6(SYS_mincore, (long)addr, (long)len, (long)vec, 0, 0, 0);
}

long ljmm_sys_fs_type(int fd)
{
	struct statfs st;
	long r = sys6(SYS_fstatfs, fd, (long)&st, 0, 0, 0, 0);
	return r < 0 ? r : (long)(unsigned)st.f_type;
}

long ljmm_sys_madvise(void *addr, size_t len, int advice)
{
	return sys6(SYS_madvise, (long)addr, (long)len, advice, 0, 0, 0);
}

long ljmm_sys_open(const char *path, int flags, int mode) { return sys6(SYS_open, (long)path, flags, mode, 0, 0, 0); }

long ljmm_sys_read(int fd, void *buf, size_t n) { return sys6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0); }

long ljmm_sys_write(int fd, const void *buf, size_t n) { return sys6(SYS_write, fd, (long)buf, (long)n, 0, 0, 0); }

long ljmm_sys_sigmask(int how, const uint64_t *set, uint64_t *old)
{
	return sys6(SYS_rt_sigprocmask, how, (long)set, (long)old, 8, 0, 0);
}

long ljmm_sys_sigpending(uint64_t *set) { return sys6(SYS_rt_sigpending, (long)set, 8, 0, 0, 0, 0); }

long ljmm_sys_sigtake(const uint64_t *set)
{
	struct timespec zero = {0, 0};
	return sys6(SYS_rt_sigtimedwait, (long)set, 0, (long)&zero, 8, 0, 0);
}

long ljmm_sys_getcwd(char *buf, size_t n) { return sys6(SYS_getcwd, (long)buf, (long)n, 0, 0, 0, 0); }

/* The kernel's struct stat on x86-64 (arch/x86/include/uapi/asm/stat.h), which glibc's
 * and musl's match; spelt out so that the layout is the kernel's whatever the headers. */
struct kstat {
	unsigned long dev, ino, nlink;
	unsigned int mode, uid, gid, pad0;
	unsigned long rdev;
	long size, blksize, blocks;
	unsigned long times[6];
	long unused[3];
};

static long stat_result(long r, const struct kstat *st, ljmm_fileid_t *id)
{
	if (r == 0) {
		id->dev = st->dev;
		id->ino = st->ino;
		id->mode = st->mode;
	}
	return r;
}

_Static_assert(sizeof(struct kstat) == 144, "the x86-64 kernel's struct stat is 144 bytes");

long ljmm_sys_fstat(int fd, ljmm_fileid_t *id)
{
	struct kstat st;
	return stat_result(sys6(SYS_fstat, fd, (long)&st, 0, 0, 0, 0), &st, id);
}

long ljmm_sys_stat(const char *path, ljmm_fileid_t *id)
{
	struct kstat st;
	return stat_result(sys6(SYS_stat, (long)path, (long)&st, 0, 0, 0, 0), &st, id);
}

long ljmm_sys_fcntl(int fd, int cmd, long arg) { return sys6(SYS_fcntl, fd, cmd, arg, 0, 0, 0); }

long ljmm_sys_dup3(int oldfd, int newfd, int flags) { return sys6(SYS_dup3, oldfd, newfd, flags, 0, 0, 0); }

long ljmm_sys_close(int fd) { return sys6(SYS_close, fd, 0, 0, 0, 0, 0); }

long ljmm_sys_brk(void *addr) { return sys6(SYS_brk, (long)addr, 0, 0, 0, 0, 0); }

long ljmm_sys_getpid(void) { return sys6(SYS_getpid, 0, 0, 0, 0, 0, 0); }

long ljmm_sys_gettid(void) { return sys6(SYS_gettid, 0, 0, 0, 0, 0, 0); }

long ljmm_sys_tgkill(long tgid, long tid, int sig) { return sys6(SYS_tgkill, tgid, tid, sig, 0, 0, 0); }

long ljmm_sys_sigaltstack_get(void *ss) { return sys6(SYS_sigaltstack, 0, (long)ss, 0, 0, 0, 0); }

long ljmm_sys_clock_gettime(int clock, struct timespec *ts) { return sys6(SYS_clock_gettime, clock, (long)ts, 0, 0, 0, 0); }

long ljmm_sys_futex_wait(int *uaddr, int val, const struct timespec *timeout)
{
	return sys6(SYS_futex, (long)uaddr, FUTEX_WAIT_PRIVATE, val, (long)timeout, 0, 0);
}

long ljmm_sys_futex_wake(int *uaddr, int n) { return sys6(SYS_futex, (long)uaddr, FUTEX_WAKE_PRIVATE, n, 0, 0, 0); }
