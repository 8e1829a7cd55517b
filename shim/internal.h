/* SPDX-License-Identifier: MIT */
/* Definitions shared by every file of the shim (the address-space facts it shares with
 * ljmm-maps are in layout.h). */
#ifndef LJMM_INTERNAL_H
#define LJMM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h" /* LJMM_PAGE, LJMM_2G, LJMM_WINDOW_LO */

/* Everything is hidden (-fvisibility=hidden) except what carries this mark: the libc
 * names we interpose and the public API of include/ljmm.h. */
#define LJMM_EXPORT __attribute__((visibility("default")))

#define LJMM_LIKELY(x) __builtin_expect(!!(x), 1)
#define LJMM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Test builds (the fake-kernel suites and ljmm_testcore define LJMM_TEST_POINTS) run a
 * test's code at the named points where a signal handler could run; in the library they
 * are nothing. */
#ifdef LJMM_TEST_POINTS
extern void (*ljmm_test_point)(const char *where);
#define LJMM_TEST_POINT(where)                  \
	do {                                    \
		if (ljmm_test_point)            \
			ljmm_test_point(where); \
	} while (0)
#else
#define LJMM_TEST_POINT(where) ((void)0)
#endif

static inline uintptr_t ljmm_page_down(uintptr_t a) { return a & ~(LJMM_PAGE - 1); }

/* Round up; returns 0 when the rounding overflows (the kernel then answers ENOMEM). */
static inline uintptr_t ljmm_page_up(uintptr_t a)
{
	uintptr_t r = (a + LJMM_PAGE - 1) & ~(LJMM_PAGE - 1);
	return r < a ? 0 : r;
}

#endif
