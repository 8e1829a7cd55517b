/* SPDX-License-Identifier: MIT */
/* Start-up and exit: load the options, open the log, place the eager guard, and print
 * the statistics when the process exits. */
#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "log.h"
#include "stats.h"

__attribute__((constructor)) static void ljmm_init(void)
{
	ljmm_config_load();
	const char *path = ljmm_config_path(LJMM_OPT_LOG_FILE);
	if (*path) {
		int r = ljmm_log_open(path);
		if (r < 0) {
			char storage[512];
			ljmm_buf_t b;
			ljmm_buf_init(&b, storage, sizeof storage - 1);
			ljmm_buf_str(&b, "ljmm: cannot open LJMM_LOG_FILE='");
			ljmm_buf_str(&b, path);
			ljmm_buf_str(&b, "': ");
			ljmm_buf_errno(&b, -r);
			ljmm_buf_str(&b, "; logging to stderr\n");
			(void)ljmm_buf_flush(&b, 2);
		}
	}
	ljmm_alloc_init();
	ljmm_stats_publish(ljmm_config_get(LJMM_OPT_ENABLE) ? LJMM_PROBE_ACTIVE : LJMM_PROBE_ACTIVE | LJMM_PROBE_OFF);
}

__attribute__((destructor)) static void ljmm_fini(void)
{
	if (ljmm_config_get(LJMM_OPT_STATS))
		ljmm_stats_report(ljmm_log_fd());
}
