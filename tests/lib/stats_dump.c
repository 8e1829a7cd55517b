/* SPDX-License-Identifier: MIT */
/* Print what the counters registry (ljmm.h's LJMM_STATS) says, for the documentation
 * check and the tests that compare outputs:
 *   stats_dump --calls | --region   the field table of docs/troubleshooting.md for the
 *                                   exit report's "calls:" or "region" line (markdown)
 *   stats_dump --labels             "LABEL FIELD WHEN" for every LABEL=N field of the
 *                                   exit report, one per line; WHEN is "always", or
 *                                   "nonzero" for a field written only when not 0 */
#include <stdio.h>
#include <string.h>

#include "ljmm.h"

static const struct {
	const char *field, *label, *meaning;
	unsigned flags;
} rows[] = {
#define ROW(field, label, flags, prom_name, prom_help, meaning) {#field, label, meaning, flags},
	LJMM_STATS(ROW)
#undef ROW
};
#define NROWS (sizeof rows / sizeof rows[0])

/* The rows of one line, in the order the line shows them: those the report writes in its
 * own words first, then the LABEL=N fields. */
static void table(unsigned line)
{
	printf("| field | meaning |\n|---|---|\n");
	for (int hand = 1; hand >= 0; hand--)
		for (size_t i = 0; i < NROWS; i++) {
			unsigned f = rows[i].flags;
			if (!(f & line) || !rows[i].label || !(f & LJMM_STAT_HAND) != !hand)
				continue;
			printf(f & (LJMM_STAT_HAND | LJMM_STAT_MIB) ? "| `%s` | %s |\n" : "| `%s=` | %s |\n",
			       rows[i].label, rows[i].meaning);
		}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--calls") == 0) {
		table(LJMM_STAT_CALLS);
	} else if (argc == 2 && strcmp(argv[1], "--region") == 0) {
		table(LJMM_STAT_REGION);
	} else if (argc == 2 && strcmp(argv[1], "--labels") == 0) {
		for (size_t i = 0; i < NROWS; i++)
			if ((rows[i].flags & (LJMM_STAT_CALLS | LJMM_STAT_REGION)) && rows[i].label &&
			    !(rows[i].flags & (LJMM_STAT_HAND | LJMM_STAT_MIB)))
				printf("%s %s %s\n", rows[i].label, rows[i].field,
				       rows[i].flags & LJMM_STAT_NONZERO ? "nonzero" : "always");
	} else {
		fprintf(stderr, "usage: %s --calls | --region | --labels\n", argv[0]);
		return 2;
	}
	return 0;
}
