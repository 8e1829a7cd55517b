/* SPDX-License-Identifier: MIT */
/* strerrorname_np for the test programs where the C library has none: it is glibc
 * 2.32+, and musl (1.2.3, Debian 12's musl-tools) lacks it. Included by the preload
 * and stress programs after <string.h>; with glibc 2.32+ it adds nothing. */
#ifndef LJMM_TEST_ERRNAME_H
#define LJMM_TEST_ERRNAME_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if !defined(__GLIBC__) || __GLIBC__ < 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ < 32)
/* The errno values the tests can meet from mmap, munmap, mremap, mprotect, madvise,
 * fork, exec, posix_spawn, pthread_create, open, read and setrlimit. Anything else
 * prints as its number, in a buffer of the calling thread. */
static inline const char *ljmm_test_errname(int err)
{
	static __thread char other[24];
#define LJMM_TEST_ERR(e) \
	case e:          \
		return #e;
	switch (err) {
		LJMM_TEST_ERR(EPERM)
		LJMM_TEST_ERR(ENOENT)
		LJMM_TEST_ERR(ESRCH)
		LJMM_TEST_ERR(EINTR)
		LJMM_TEST_ERR(EIO)
		LJMM_TEST_ERR(E2BIG)
		LJMM_TEST_ERR(ENOEXEC)
		LJMM_TEST_ERR(EBADF)
		LJMM_TEST_ERR(ECHILD)
		LJMM_TEST_ERR(EAGAIN)
		LJMM_TEST_ERR(ENOMEM)
		LJMM_TEST_ERR(EACCES)
		LJMM_TEST_ERR(EFAULT)
		LJMM_TEST_ERR(EBUSY)
		LJMM_TEST_ERR(EEXIST)
		LJMM_TEST_ERR(ENODEV)
		LJMM_TEST_ERR(EINVAL)
		LJMM_TEST_ERR(ENFILE)
		LJMM_TEST_ERR(EMFILE)
		LJMM_TEST_ERR(ETXTBSY)
		LJMM_TEST_ERR(EFBIG)
		LJMM_TEST_ERR(EOVERFLOW)
		LJMM_TEST_ERR(ENOSYS)
	}
#undef LJMM_TEST_ERR
	snprintf(other, sizeof other, "errno %d", err);
	return other;
}
#define strerrorname_np(err) ljmm_test_errname(err)
#endif

#endif
