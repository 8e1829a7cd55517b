/* SPDX-License-Identifier: MIT */
/* The lock page: the region lock and a "not forked" mark, on a page the kernel wipes in
 * every forked child (see lockpage.c). */
#ifndef LJMM_LOCKPAGE_H
#define LJMM_LOCKPAGE_H

#include "lock.h"

typedef struct {
	ljmm_lock_t lock; /* the region lock: free again in a child, whoever held it here */
	int alive;        /* 1 where the page was set up; 0 in a child until it takes note */
} ljmm_lockpage_t;

/** How a lock page learns of a fork. */
typedef enum {
	LJMM_LOCKPAGE_WIPE = 1,   /* MADV_WIPEONFORK (Linux 4.14): the kernel zeroes it in the child */
	LJMM_LOCKPAGE_ATFORK = 2, /* a pthread_atfork child handler zeroes it (older kernels) */
} ljmm_lockpage_mode_t;

/** The process's lock page, set up on first use (never NULL: a static fallback exists). */
ljmm_lockpage_t *ljmm_lockpage_get(void);
/** Constructor step: register the pthread_atfork fallback if the page is not wiped by the kernel. */
void ljmm_lockpage_init(void);
/** ljmm_lockpage_init, or with try_wipe 0 the pthread_atfork fallback whatever the kernel (tests). */
void ljmm_lockpage_init_with(int try_wipe);
/** How the page is reset in a child: an ljmm_lockpage_mode_t, 0 before set-up. */
int ljmm_lockpage_mode(void);

/** Map a fresh wipe-on-fork page: 0 with *out set, or a negative errno (tests use it directly). */
int ljmm_lockpage_map(ljmm_lockpage_t **out);
/** Give back a page from ljmm_lockpage_map. */
void ljmm_lockpage_unmap(ljmm_lockpage_t *page);

#endif
