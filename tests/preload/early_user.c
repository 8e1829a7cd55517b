/* SPDX-License-Identifier: MIT */
/* libljmm_early_user.so: a library whose constructor maps MAP_32BIT memory before the
 * shim's constructor may have run (preloaded in either order with the shim), enough to
 * fill the kernel's window so that the region serves. hardening's "early" command then
 * checks what the shim reports. ljmm_early_user_ran_first says whether this constructor
 * found the shim's constructor not yet run. */
#include <dlfcn.h>
#include <stdint.h>
#include <sys/mman.h>

#include "ljmm.h"

__attribute__((visibility("default"))) int ljmm_early_user_ran_first = -1;

__attribute__((constructor)) static void early_user(void)
{
	/* The shim's data holds its probe; the address is not exported, so ask the
	 * public snapshot instead whether its constructor ran: guard_state is set there. */
	int (*snap)(ljmm_stats_t *, size_t) = (int (*)(ljmm_stats_t *, size_t))dlsym(RTLD_DEFAULT, "ljmm_stats_snapshot");
	ljmm_stats_t s = {0};
	if (snap)
		(void)snap(&s, sizeof s);
	/* guard_state is UNDECIDED until the shim's constructor sets PENDING for
	 * LJMM_GUARD=lazy. */
	ljmm_early_user_ran_first = s.guard_state == LJMM_GUARD_STATE_UNDECIDED;
	for (int i = 0; i < 1100; i++)
		if (mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0) == MAP_FAILED)
			break;
}
