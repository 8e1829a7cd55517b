/* SPDX-License-Identifier: MIT */
/* The exported entry points: the libc names a program can bind to for mapping memory,
 * and the public API of include/ljmm.h. Here, and only here, results become errno and
 * MAP_FAILED.
 *
 * glibc 2.36 also exports __mmap and __munmap, but only at version GLIBC_PRIVATE,
 * which programs cannot link against; glibc's own internal calls (malloc's mmap) bind
 * inside libc and never reach any interposer. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>


#include "alloc.h"
#include "interpose.h"
#include "internal.h"
#include "stats.h"
#include "sys.h"
#include "../include/ljmm.h"

LJMM_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *out;
	int r;
#ifndef __GLIBC__
	/* musl's own mmap (1.2.x, src/mman/mmap.c) answers these before the kernel is
	 * asked, and the shim replaces that function, so it keeps its answers: EINVAL for
	 * an offset that is not page-aligned, ENOMEM for a length of PTRDIFF_MAX or more
	 * (the kernel may say EINVAL first, as for a hugetlbfs file: tests/diff seed 6). */
	if (off & (off_t)(LJMM_PAGE - 1))
		r = -EINVAL;
	else if (len >= PTRDIFF_MAX)
		r = -ENOMEM;
	else
#endif
		r = ljmm_alloc_mmap(addr, len, prot, flags, fd, (long)off, &out);
	if (r) {
#ifndef __GLIBC__
		/* And musl's answer instead of the kernel's EPERM for an anonymous mapping
		 * without an address. */
		if (r == -EPERM && !addr && (flags & MAP_ANONYMOUS) && !(flags & MAP_FIXED))
			r = -ENOMEM;
#endif
		errno = -r;
		return MAP_FAILED;
	}
	return out;
}

/* On x86-64 off_t is 64 bits, so mmap64 is the same call under another name. musl's
 * headers make mmap64 a macro for mmap; musl before 1.2.4 still exported the symbol,
 * and programs built then may bind to it, so it is exported here too. */
#ifdef mmap64
#undef mmap64
#endif
LJMM_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

LJMM_EXPORT int munmap(void *addr, size_t len)
{
	int r = ljmm_alloc_munmap(addr, len);
	if (r) {
		errno = -r;
		return -1;
	}
	return 0;
}

LJMM_EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL, *out;
	int r;
	/* The fifth argument exists with MREMAP_FIXED, and, as glibc 2.32+ passes it, with
	 * MREMAP_DONTUNMAP, where the kernel takes it as a hint. */
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		va_list ap;
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	r = ljmm_alloc_mremap(old, old_len, new_len, flags, new_addr, &out);
	if (r) {
		errno = -r;
		return MAP_FAILED;
	}
	return out;
}

#ifdef LJMM_LINK_FORM
/* The link form (ljmm.o) also answers to the names `-Wl,--wrap=mmap` sends a program's
 * references to: build lines written for a --wrap object (the workaround this project
 * grew from wrapped mmap64) link unchanged. The same functions under second names: with
 * --wrap, LuaJIT's calls reach the shim through __wrap_mmap, the shared libraries'
 * through the exported mmap (ljmm-link.pc's dynamic list), one copy either way. */
/* glibc declares the originals nothrow and leaf (__THROW), and GCC wants an alias to
 * promise no less. */
#ifdef __THROW
#define AS_LIBC __THROW
#else
#define AS_LIBC
#endif
LJMM_EXPORT void *__wrap_mmap(void *, size_t, int, int, int, off_t) AS_LIBC __attribute__((alias("mmap")));
LJMM_EXPORT void *__wrap_mmap64(void *, size_t, int, int, int, off_t) AS_LIBC __attribute__((alias("mmap")));
LJMM_EXPORT int __wrap_munmap(void *, size_t) AS_LIBC __attribute__((alias("munmap")));
LJMM_EXPORT void *__wrap_mremap(void *, size_t, size_t, int, ...) AS_LIBC __attribute__((alias("mremap")));
#endif

LJMM_EXPORT int ljmm_verify(void)
{
	int r = ljmm_alloc_verify();
	if (r) {
		errno = -r;
		return -1;
	}
	return 0;
}

LJMM_EXPORT int ljmm_stats_snapshot(ljmm_stats_t *out, size_t size)
{
	ljmm_stats_t copy;
	if (!out) {
		errno = EINVAL;
		return -1;
	}
	ljmm_stats_copy(&copy);
	memcpy(out, &copy, size < sizeof copy ? size : sizeof copy);
	return 0;
}

LJMM_EXPORT const char *ljmm_version(void) { return LJMM_VERSION; }

/* This copy's own ljmm_version, by a name no other object can interpose. */
extern __typeof(ljmm_version) ljmm_version_self __attribute__((alias("ljmm_version"), visibility("hidden")));

int ljmm_interpose_first_copy(void)
{
	const void *global;
	/* The GOT entry holds what the dynamic linker bound the name to for the whole
	 * process: the first definition in the search order (LD_PRELOAD order). Read it
	 * directly: the compiler may not fold it into our own address. */
	__asm__("movq ljmm_version@GOTPCREL(%%rip), %0" : "=r"(global));
	return global == (const void *)ljmm_version_self;
}
