/* SPDX-License-Identifier: MIT */
/* The facts of the x86-64 address space that the shim and ljmm-maps (tools/) both rely
 * on, written once: the 2 GiB limit of MAP_32BIT memory, the window the kernel serves it
 * from, the page size, and the hex digits /proc's maps are written in. Header-only and
 * with no include of the shim's own, so that it stands at the bottom of shim/README.md's
 * table and a program outside the library can include it. */
#ifndef LJMM_LAYOUT_H
#define LJMM_LAYOUT_H

#include <stdint.h>

/* x86-64 only: 4 KiB pages (the shim makes no huge-page mappings of its own). */
#define LJMM_PAGE ((uintptr_t)4096)
#define LJMM_PAGE_SHIFT 12
/* What MAP_32BIT memory must stay below: LuaJIT's non-GC64 pointers are 31 bits. */
#define LJMM_2G ((uintptr_t)1 << 31)
/* x86-64 Linux serves MAP_32BIT from [1 GiB, 2 GiB) only (arch/x86/kernel/sys_x86_64.c),
 * starting each search at a random page in its first 32 MiB. */
#define LJMM_WINDOW_LO ((uintptr_t)1 << 30)

/* The value of a hex digit of a maps line (either case), or -1. Takes an int so that
 * callers may pass a plain char (a byte above 0x7f is then negative: not a digit). */
static inline int ljmm_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
