/* SPDX-License-Identifier: MIT */
/* ljmm-maps: the shim's counters in every output (the picture's line, the JSON
 * objects, the table's columns, the Prometheus families), all made from the registry
 * of counters, include/ljmm.h's LJMM_STATS: a row added there reaches every output with
 * no edit here (the JSON always, the others by its flags and Prometheus name). */
#include <inttypes.h>
#include <string.h>

#include "maps.h"

typedef struct {
	const char *field, *label;
	unsigned flags;
	const char *prom_name, *prom_help;
	size_t off;
} stat_t;

static const stat_t stats[] = {
#define ROW(field, label, flags, prom_name, prom_help, meaning) \
	{#field, label, flags, prom_name, prom_help, offsetof(ljmm_stats_t, field)},
	LJMM_STATS(ROW)
#undef ROW
};
#define NSTATS (sizeof stats / sizeof stats[0])
/* The JSON holds every field (ljmm-maps(1) says so), each a uint64_t. */
_Static_assert(NSTATS * sizeof(uint64_t) == sizeof(ljmm_stats_t), "every field of ljmm_stats_t is a registry row");

static bool in_text(const stat_t *s) { return s->flags & LJMM_STAT_TEXT; }
static bool in_table(const stat_t *s) { return s->flags & LJMM_STAT_TABLE; }
static bool in_prom(const stat_t *s) { return s->prom_name != NULL; }

/* The rows pick chooses, in the registry's order, into out (NSTATS room): their number. */
static size_t choose(bool (*pick)(const stat_t *), size_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < NSTATS; i++)
		if (pick(&stats[i]))
			out[n++] = i;
	return n;
}

/* The picture's "shim counters:" line. */
void ljmm_out_counters_text(const counters_t *c)
{
	const char *detail = ljmm_counters_detail(c);
	size_t shown[NSTATS], n, i;
	uint64_t v;
	printf("shim counters: %s", ljmm_counters_key(c));
	if (detail)
		printf(" (%s)", detail);
	if (c->status == CNT_READ) {
		printf(", version ");
		ljmm_out_text(c->version, TEXT_TERM);
		putchar(':');
		n = choose(in_text, shown);
		for (i = 0; i < n; i++) {
			const stat_t *s = &stats[shown[i]];
			bool known = ljmm_counters_get(c, s->off, &v);
			if (s->flags & LJMM_STAT_MIB) {
				/* Bytes, after the count before them: " (N MiB)" when known. */
				if (known)
					printf(" (%.1f MiB)", ljmm_out_mib(v));
			} else if (known)
				printf(" %s=%" PRIu64, s->label, v);
			else
				printf(" %s=?", s->label);
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
		for (i = 0; i < NSTATS; i++) {
			printf(",\"%s\":", stats[i].field);
			if (ljmm_counters_get(c, stats[i].off, &v))
				printf("%" PRIu64, v);
			else
				printf("null");
		}
	}
	putchar('}');
}

/* The table's counter columns: headed by the label in capitals, '-' as '_'
 * (REGION_SERVED), as wide as that. */
void ljmm_out_counters_table_head(void)
{
	size_t cols[NSTATS], n = choose(in_table, cols), i;
	for (i = 0; i < n; i++) {
		putchar(' ');
		for (const char *p = stats[cols[i]].label; *p; p++)
			putchar(*p == '-' ? '_' : *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	}
}

void ljmm_out_counters_table_row(const counters_t *c)
{
	size_t cols[NSTATS], n = choose(in_table, cols), i;
	for (i = 0; i < n; i++) {
		int width = (int)strlen(stats[cols[i]].label);
		uint64_t v;
		if (ljmm_counters_get(c, stats[cols[i]].off, &v))
			printf(" %*" PRIu64, width, v);
		else
			printf(" %*s", width, "-");
	}
}

bool ljmm_out_prom_family(size_t k, ljmm_prom_counter_t *fam)
{
	size_t fams[NSTATS], n = choose(in_prom, fams), i, j = 0;
	/* The gauges first, then the counters. */
	for (int gauge = 1; gauge >= 0; gauge--)
		for (i = 0; i < n; i++) {
			const stat_t *s = &stats[fams[i]];
			if (!(s->flags & LJMM_STAT_GAUGE) != !gauge || j++ != k)
				continue;
			fam->name = s->prom_name;
			fam->help = s->prom_help;
			fam->off = s->off;
			fam->gauge = gauge;
			return true;
		}
	return false;
}
