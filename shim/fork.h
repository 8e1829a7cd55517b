/* SPDX-License-Identifier: MIT */
/* Fork detection: the region lock and a "not forked" mark on a page the kernel wipes in
 * every child (see fork.c). */
#ifndef LJMM_FORK_H
#define LJMM_FORK_H

#include "lock.h"

typedef struct {
	ljmm_lock_t lock; /* the region lock: free again in a child, whoever held it here */
	int alive;        /* 1 where the page was set up; 0 in a child until it takes note */
} ljmm_fork_state_t;

/** How a state learns of a fork. */
typedef enum {
	LJMM_FORK_WIPE = 1,    /* MADV_WIPEONFORK (Linux 4.14): the kernel zeroes it in the child */
	LJMM_FORK_ATFORK = 2,  /* a pthread_atfork child handler zeroes it (older kernels) */
} ljmm_fork_mode_t;

/** The process's state, set up on first use (never NULL: a static fallback exists). */
ljmm_fork_state_t *ljmm_fork_state(void);
/** Constructor step: register the pthread_atfork fallback if the state is not wiped by the kernel. */
void ljmm_fork_init(void);
/** ljmm_fork_init, or with try_wipe 0 the pthread_atfork fallback whatever the kernel (tests). */
void ljmm_fork_init_with(int try_wipe);
/** How the process's state is reset in a child: an ljmm_fork_mode_t, 0 before set-up. */
int ljmm_fork_mode(void);

/** Map a fresh wipe-on-fork page for a state: 0 with *out set, or a negative errno (tests use it directly). */
int ljmm_fork_map_page(ljmm_fork_state_t **out);
/** Give back a page from ljmm_fork_map_page. */
void ljmm_fork_unmap_page(ljmm_fork_state_t *st);

#endif
