/* SPDX-License-Identifier: MIT */
/* Start-up and exit: load the options, check the log destination, stand aside if another
 * copy of the shim serves the process (a preloaded library beside the program's linked-in
 * ljmm.o, or two in LD_PRELOAD), have start.c set up the lock page and the
 * guard, publish the probe, and print the statistics when the process exits. */
#include "config.h"
#include "hot.h"
#include "interpose.h"
#include "log.h"
#include "start.h"
#include "stats.h"
#include "warn.h"

static int aside; /* another copy serves the process */

__attribute__((constructor)) static void ljmm_init(void)
{
	ljmm_buf_t b;
	char storage[224];
	ljmm_config_load();
	(void)ljmm_log_check();
	if (!ljmm_interpose_first_copy()) {
		/* Two copies in LD_PRELOAD (say a system-wide one and ljmm-run's), or this
		 * library preloaded into a program that has ljmm.o linked in and exports its
		 * names (the executable comes first in the lookup): the process calls the
		 * other copy for everything, so this one must not place a guard, take a lock
		 * of its own, or print statistics it never gathered. */
		aside = 1;
		__atomic_store_n(&ljmm_hot.mode, LJMM_MODE_OFF, __ATOMIC_RELAXED);
		ljmm_stats_publish(LJMM_PROBE_ACTIVE | LJMM_PROBE_ASIDE);
		ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_NOTICE);
		ljmm_buf_str(&b, "another copy of the shim serves this process (linked into the program, or earlier in LD_PRELOAD); this copy stands aside");
		(void)ljmm_log_end(&b);
		return;
	}
	ljmm_warn_init();
	ljmm_start_run();
	ljmm_stats_publish(ljmm_config_get(LJMM_OPT_ENABLE) ? LJMM_PROBE_ACTIVE : LJMM_PROBE_ACTIVE | LJMM_PROBE_OFF);
}

__attribute__((destructor)) static void ljmm_fini(void)
{
	if (!aside && ljmm_config_get(LJMM_OPT_STATS))
		ljmm_stats_report();
}
