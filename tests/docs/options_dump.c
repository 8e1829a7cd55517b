/* SPDX-License-Identifier: MIT */
/* Print the option table (shim/config.c's ljmm_options[]) for the documentation check:
 * one line per option, tab-separated:
 *   NAME KIND DEFAULT MIN MAX WORDS DESCRIPTION
 * KIND is bool, word, size or path; DEFAULT is written as the shim writes it in its
 * messages (a word, a size such as 64K or 2G, or "stderr" for the log file); MIN and
 * MAX are bytes (sizes only, else "-"); WORDS are the accepted words, comma-separated
 * ("-" when none); DESCRIPTION is ljmm_optparse_describe()'s text.
 * With --readme: README.md's "Environment options" table, made from the same table
 * (the help texts are its "meaning" column). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../lib/testutil.h"
#include "config.h"

static void size(uint64_t v)
{
	if (v > 4 * K && v % G != 0 && (v + 4 * K) % G == 0)
		printf("%" PRIu64 "G-4K", (v + 4 * K) / G); /* 2G-4K: the last page below 2 GiB */
	else if (v && v % G == 0)
		printf("%" PRIu64 "G", v / G);
	else if (v && v % M == 0)
		printf("%" PRIu64 "M", v / M);
	else if (v && v % K == 0)
		printf("%" PRIu64 "K", v / K);
	else
		printf("%" PRIu64, v);
}

static const char *kind_name(ljmm_opt_kind_t kind)
{
	switch (kind) {
	case LJMM_KIND_BOOL: return "bool";
	case LJMM_KIND_WORD: return "word";
	case LJMM_KIND_SIZE: return "size";
	case LJMM_KIND_PATH: return "path";
	case LJMM_KIND_PERCENTS: return "percents";
	}
	return "unknown";
}

/* What README.md's table says a kind accepts: short, with the table's bounds. */
static void readme_accepted(const ljmm_option_t *o)
{
	switch (o->kind) {
	case LJMM_KIND_BOOL:
		printf("on/off");
		break;
	case LJMM_KIND_WORD:
		for (unsigned w = 0; o->words[w]; w++)
			printf("%s`%s`", w ? ", " : "", o->words[w]);
		break;
	case LJMM_KIND_SIZE:
		printf("size, ");
		size(o->min);
		printf(" to ");
		size(o->max);
		break;
	case LJMM_KIND_PATH:
		printf("a path");
		break;
	case LJMM_KIND_PERCENTS:
		printf("`off`, or up to %d percentages, %" PRIu64 "%% to %" PRIu64 "%%, comma-separated", LJMM_PERCENTS_MAX,
		       o->min, o->max);
		break;
	}
}

/* README.md's "Environment options" table, exactly: | variable | default | accepted | meaning |. */
static int readme_table(void)
{
	printf("| variable | default | accepted | meaning |\n|---|---|---|---|\n");
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++) {
		const ljmm_option_t *o = &ljmm_options[i];
		char def[64];
		ljmm_optparse_format(o, o->def, def, sizeof def);
		printf(o->kind == LJMM_KIND_PATH ? "| `%s` | %s | " : "| `%s` | `%s` | ", o->name, def);
		readme_accepted(o);
		printf(" | %s |\n", o->help);
	}
	return fflush(stdout) != 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--readme") == 0)
		return readme_table();
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++) {
		const ljmm_option_t *o = &ljmm_options[i];
		char what[512];
		printf("%s\t%s\t", o->name, kind_name(o->kind));
		switch (o->kind) {
		case LJMM_KIND_BOOL:
		case LJMM_KIND_WORD:
			printf("%s\t-\t-\t", o->words[o->def]);
			for (unsigned w = 0; o->words[w]; w++)
				printf("%s%s", w ? "," : "", o->words[w]);
			break;
		case LJMM_KIND_SIZE:
			size(o->def);
			printf("\t%" PRIu64 "\t%" PRIu64 "\t-", o->min, o->max);
			break;
		case LJMM_KIND_PATH:
			printf("stderr\t-\t-\t-");
			break;
		case LJMM_KIND_PERCENTS: {
			char def[64];
			ljmm_optparse_format(o, o->def, def, sizeof def);
			printf("%s\t%" PRIu64 "\t%" PRIu64 "\t-", def, o->min, o->max);
			break;
		}
		}
		ljmm_optparse_describe(o, what, sizeof what);
		printf("\t%s\n", what);
	}
	return fflush(stdout) != 0;
}
