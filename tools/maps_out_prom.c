/* SPDX-License-Identifier: MIT */
/* ljmm-maps --prometheus: the rows in the Prometheus text exposition format (version
 * 0.0.4), one family after another; the families of the shim's counters come from
 * maps_out_counters.c. */
#include <inttypes.h>
#include <string.h>

#include "maps.h"

enum prom_value {
	PV_MAPS_READABLE, PV_START, PV_32BIT, PV_SHIM, PV_LINKED, PV_ENABLED, PV_INFO, PV_KERNEL, PV_REGION, PV_FREE, PV_HOLE,
	PV_USED, PV_COUNTERS_READABLE, PV_STAT
};

typedef struct {
	const char *name, *type, *help;
	enum prom_value what;
	size_t off; /* PV_STAT: the field of ljmm_stats_t */
} family_t;

/* The families before the counters' (ljmm_out_prom_family). The HELP texts are what
 * docs/deploy.md's metric table shows (ctest docs_prometheus_metrics compares them). */
static const family_t prom_families[] = {
	{"ljmm_maps_readable", "gauge", "Whether /proc/PID/maps could be read (1) or not (0, permission).",
	 PV_MAPS_READABLE, 0},
	{"ljmm_process_start_time_seconds", "gauge",
	 "Start time of the process since the Unix epoch in seconds (tells a replaced worker with the same PID apart).",
	 PV_START, 0},
	{"ljmm_process_32bit", "gauge",
	 "Whether the process is a 32-bit program (i386 or x32), which has no low-2-GiB limit and cannot load the shim.",
	 PV_32BIT, 0},
	{"ljmm_shim_loaded", "gauge",
	 "Whether the shim is in the process: libljmm_preload.so mapped, or linked into the program.", PV_SHIM, 0},
	{"ljmm_shim_linked", "gauge", "Whether the shim is linked into the program (ljmm.o) rather than preloaded.",
	 PV_LINKED, 0},
	{"ljmm_shim_enabled", "gauge",
	 "Whether the shim serves the process (1), or is absent or loaded with LJMM_ENABLE=off (0); no sample when its "
	 "counters could not be read.",
	 PV_ENABLED, 0},
	{"ljmm_shim_info", "gauge", "The version of the shim in the process (label version), read from its probe.",
	 PV_INFO, 0},
	{"ljmm_kernel_window_bytes", "gauge", "Anonymous memory in the kernel's MAP_32BIT window [1 GiB, 2 GiB).",
	 PV_KERNEL, 0},
	{"ljmm_region_bytes", "gauge", "Anonymous memory below 1 GiB, where the shim's region serves MAP_32BIT requests.",
	 PV_REGION, 0},
	{"ljmm_free_bytes", "gauge", "Unmapped bytes below 2 GiB.", PV_FREE, 0},
	{"ljmm_largest_hole_bytes", "gauge", "The largest unmapped range below 2 GiB, in bytes.", PV_HOLE, 0},
	{"ljmm_low_used_ratio", "gauge", "Share of the low 2 GiB that is mapped, from 0 to 1.", PV_USED, 0},
	{"ljmm_counters_readable", "gauge",
	 "Whether the shim's counters were read from the process (1) or not (0: no shim, permission, no probe).",
	 PV_COUNTERS_READABLE, 0},
};
#define NGAUGES (sizeof prom_families / sizeof prom_families[0])

/* Family f: those above, then the counters' (false past the last). */
static bool family(size_t f, family_t *fam)
{
	ljmm_prom_counter_t c;
	if (f < NGAUGES) {
		*fam = prom_families[f];
		return true;
	}
	if (!ljmm_out_prom_family(f - NGAUGES, &c))
		return false;
	*fam = (family_t){c.name, c.gauge ? "gauge" : "counter", c.help, PV_STAT, c.off};
	return true;
}

/* Whether the shim serves the process: 1 active, 0 absent or LJMM_ENABLE=off, -1 not
 * known (counters unreadable, a copy standing aside read alone, not started yet). */
static int shim_enabled(const row_t *r)
{
	if (r->maps_err)
		return -1;
	if (!r->ljmm && !r->linked)
		return 0;
	if (r->cnt.status != CNT_READ || (r->cnt.flags & LJMM_PROBE_ASIDE))
		return -1;
	return !(r->cnt.flags & LJMM_PROBE_OFF);
}

void ljmm_out_prometheus(const row_t *rows, size_t n)
{
	long long btime = ljmm_proc_boot_time();
	family_t fam;
	size_t f, i;
	printf("# HELP ljmm_build_info The version of ljmm-maps that wrote these figures (label version).\n"
	       "# TYPE ljmm_build_info gauge\nljmm_build_info{version=\"" LJMM_VERSION "\"} 1\n");
	printf("# HELP ljmm_processes Processes ljmm-maps reported on.\n# TYPE ljmm_processes gauge\n");
	printf("ljmm_processes %zu\n", n);
	for (f = 0; family(f, &fam); f++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", fam.name, fam.help, fam.name, fam.type);
		for (i = 0; i < n; i++) {
			const row_t *r = &rows[i];
			uint64_t v = 0;
			double d = 0;
			int prec = -1; /* digits after the point, or -1: an integer v */
			/* The low 2 GiB's figures: from the maps, for x86-64 processes. */
			bool have = !r->maps_err && !ABI_IS_32(r->abi);
			switch (fam.what) {
			case PV_MAPS_READABLE: v = !r->maps_err, have = true; break;
			case PV_START:
				d = (double)btime + (double)r->starttime / USER_HZ, prec = 2;
				have = btime >= 0;
				break;
			case PV_32BIT: v = ABI_IS_32(r->abi), have = r->abi != ABI_UNKNOWN; break;
			case PV_SHIM: v = r->ljmm || r->linked, have = !r->maps_err; break;
			case PV_LINKED: v = r->linked, have = !r->maps_err; break;
			case PV_ENABLED: have = shim_enabled(r) >= 0, v = shim_enabled(r) > 0; break;
			case PV_INFO:
				v = 1, have = r->cnt.status == CNT_READ || r->cnt.status == CNT_NOT_STARTED;
				break;
			case PV_KERNEL: v = r->kernel; break;
			case PV_REGION: v = r->region; break;
			case PV_FREE: v = r->free_bytes; break;
			case PV_HOLE: v = r->hole; break;
			case PV_USED: d = ljmm_classify_used_ratio(r), prec = 6; break;
			case PV_COUNTERS_READABLE: v = r->cnt.status == CNT_READ, have = true; break;
			case PV_STAT: {
				/* The counters' gauges are figures of the region (region_peak):
				 * region_hi is 0 until the shim first needed its region. */
				uint64_t hi = 0;
				have = ljmm_counters_get(&r->cnt, fam.off, &v) &&
				       (!strcmp(fam.type, "counter") ||
					(ljmm_counters_get(&r->cnt, offsetof(ljmm_stats_t, region_hi), &hi) && hi));
				break;
			}
			}
			if (!have)
				continue;
			printf("%s{pid=\"%ld\",command=\"", fam.name, r->pid);
			ljmm_out_text(r->comm, TEXT_PROM);
			if (fam.what == PV_INFO) {
				printf("\",version=\"");
				ljmm_out_text(r->cnt.version, TEXT_PROM);
			}
			if (prec >= 0)
				printf("\"} %.*f\n", prec, d);
			else
				printf("\"} %" PRIu64 "\n", v);
		}
	}
}
