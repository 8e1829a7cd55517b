/* SPDX-License-Identifier: MIT */
/* ljmm-maps: the shim's counters in every output (the picture's line, the JSON
 * objects, the table's columns, the Prometheus families), all in this file. */
#include <inttypes.h>
#include <string.h>

#include "maps.h"

#define STAT_FIELD(name) {#name, offsetof(ljmm_stats_t, name)}
static const struct {
	const char *name;
	size_t off;
} stat_fields[] = {
	STAT_FIELD(mmap_calls), STAT_FIELD(munmap_calls), STAT_FIELD(mremap_calls), STAT_FIELD(map32_calls),
	STAT_FIELD(kernel_served), STAT_FIELD(region_served), STAT_FIELD(region_bytes_served),
	STAT_FIELD(failures), STAT_FIELD(resyncs), STAT_FIELD(conflicts), STAT_FIELD(signal_reentries),
	STAT_FIELD(region_lo), STAT_FIELD(region_hi), STAT_FIELD(region_in_use), STAT_FIELD(region_peak),
	STAT_FIELD(free_extents), STAT_FIELD(free_extents_peak), STAT_FIELD(dropped_bytes),
	STAT_FIELD(guard_state), STAT_FIELD(guard_addr), STAT_FIELD(guard_reserve), STAT_FIELD(kernel_skipped),
	STAT_FIELD(fork_resets), STAT_FIELD(scans), STAT_FIELD(section_recoveries), STAT_FIELD(lock_timeouts),
	STAT_FIELD(guard_defaulted_lazy), STAT_FIELD(hints_served),
};
#define NFIELDS (sizeof stat_fields / sizeof stat_fields[0])
/* The JSON holds every field (ljmm-maps(1) says so): a field appended to ljmm_stats_t must be added above. */
_Static_assert(NFIELDS * sizeof(uint64_t) == sizeof(ljmm_stats_t), "stat_fields lists every field of ljmm_stats_t");

/* The picture's "shim counters:" line. */
void ljmm_out_counters_text(const counters_t *c)
{
	static const struct {
		const char *label;
		size_t off;
	} shown[] = {
		{"mmap", offsetof(ljmm_stats_t, mmap_calls)},
		{"map32", offsetof(ljmm_stats_t, map32_calls)},
		{"kernel-served", offsetof(ljmm_stats_t, kernel_served)},
		{"region-served", offsetof(ljmm_stats_t, region_served)},
		{"kernel-skipped", offsetof(ljmm_stats_t, kernel_skipped)},
		{"failed", offsetof(ljmm_stats_t, failures)},
		{"hint-served", offsetof(ljmm_stats_t, hints_served)},
	};
	const char *detail = ljmm_counters_detail(c);
	uint64_t v;
	size_t i;
	printf("shim counters: %s", ljmm_counters_key(c));
	if (detail)
		printf(" (%s)", detail);
	if (c->status == CNT_READ) {
		printf(", version ");
		ljmm_out_text(c->version, TEXT_TERM);
		putchar(':');
		for (i = 0; i < sizeof shown / sizeof shown[0]; i++) {
			if (ljmm_counters_get(c, shown[i].off, &v))
				printf(" %s=%" PRIu64, shown[i].label, v);
			else
				printf(" %s=?", shown[i].label);
			if (shown[i].off == offsetof(ljmm_stats_t, region_served) &&
			    ljmm_counters_get(c, offsetof(ljmm_stats_t, region_bytes_served), &v))
				printf(" (%.1f MiB)", ljmm_out_mib(v));
		}
	}
	putchar('\n');
}

/* {"status":..., "detail":..., "version":..., every field of ljmm_stats_t (null when
 * unknown)}, or only status and detail when nothing was read. */
void ljmm_out_counters_json(const counters_t *c)
{
	const char *detail = ljmm_counters_detail(c);
	uint64_t v;
	size_t i;
	printf("{\"status\":\"%s\",\"detail\":", ljmm_counters_key(c));
	if (detail)
		ljmm_out_json_string(detail);
	else
		printf("null");
	if (c->status == CNT_READ) {
		printf(",\"version\":");
		ljmm_out_json_string(c->version);
		printf(",\"stats_size\":%" PRIu32, c->stats_size);
		for (i = 0; i < NFIELDS; i++) {
			printf(",\"%s\":", stat_fields[i].name);
			if (ljmm_counters_get(c, stat_fields[i].off, &v))
				printf("%" PRIu64, v);
			else
				printf("null");
		}
	}
	putchar('}');
}

/* The table's counter columns: the header is the column's width. */
static const struct {
	const char *head;
	size_t off;
} table_counters[] = {
	{"REGION_SERVED", offsetof(ljmm_stats_t, region_served)},
	{"FAILED", offsetof(ljmm_stats_t, failures)},
	{"KERNEL_SKIPPED", offsetof(ljmm_stats_t, kernel_skipped)},
};
#define NTABLE (sizeof table_counters / sizeof table_counters[0])

void ljmm_out_counters_table_head(void)
{
	for (size_t j = 0; j < NTABLE; j++)
		printf(" %s", table_counters[j].head);
}

void ljmm_out_counters_table_row(const counters_t *c)
{
	for (size_t j = 0; j < NTABLE; j++) {
		int width = (int)strlen(table_counters[j].head);
		uint64_t v;
		if (ljmm_counters_get(c, table_counters[j].off, &v))
			printf(" %*" PRIu64, width, v);
		else
			printf(" %*s", width, "-");
	}
}

/* The Prometheus families of the counters, after the others (maps_out_prom.c); the HELP
 * texts are what docs/deploy.md's metric table shows (ctest docs_prometheus_metrics
 * compares them). */
const ljmm_prom_counter_t ljmm_out_prom_counters[] = {
	{"ljmm_map32_requests_total", "MAP_32BIT requests without MAP_FIXED the shim saw (map32=).",
	 offsetof(ljmm_stats_t, map32_calls)},
	{"ljmm_kernel_served_total", "MAP_32BIT requests the kernel's window answered (kernel-served=).",
	 offsetof(ljmm_stats_t, kernel_served)},
	{"ljmm_region_served_total", "MAP_32BIT requests the shim's region answered (region-served=).",
	 offsetof(ljmm_stats_t, region_served)},
	{"ljmm_region_served_bytes_total", "Bytes the shim's region handed out.",
	 offsetof(ljmm_stats_t, region_bytes_served)},
	{"ljmm_kernel_skipped_total", "Region-served requests that did not ask the kernel first (kernel-skipped=).",
	 offsetof(ljmm_stats_t, kernel_skipped)},
	{"ljmm_failed_total", "MAP_32BIT requests answered ENOMEM, each a \"not enough memory\" for LuaJIT (failed=).",
	 offsetof(ljmm_stats_t, failures)},
};
const size_t ljmm_out_prom_ncounters = sizeof ljmm_out_prom_counters / sizeof ljmm_out_prom_counters[0];
