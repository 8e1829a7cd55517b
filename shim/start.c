/* SPDX-License-Identifier: MIT */
/* Start-up work (see start.h): the lock page, wiped in every forked child, and the brk
 * guard, placed now or later as its mode says. Run once by the constructor (init.c),
 * after the options are loaded and only in the copy of the library that serves the
 * process. */
#include "start.h"

#include "config.h"
#include "guard.h"
#include "lockpage.h"
#include "stats.h"

void ljmm_start_run(void)
{
	if (!ljmm_config_get(LJMM_OPT_ENABLE)) {
		ljmm_stats_set(&ljmm_stats_live.guard_state, LJMM_GUARD_STATE_OFF);
		return;
	}
	ljmm_lockpage_init();
	ljmm_guard_init();
}
