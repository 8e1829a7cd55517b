/* SPDX-License-Identifier: MIT */
/* Print the option table (shim/config.c's ljmm_options[]) for the documentation check:
 * one line per option, tab-separated:
 *   NAME KIND DEFAULT MIN MAX WORDS DESCRIPTION
 * KIND is bool, word, size or path; DEFAULT is written as the shim writes it in its
 * messages (a word, a size such as 64K or 2G, or "stderr" for the log file); MIN and
 * MAX are bytes (sizes only, else "-"); WORDS are the accepted words, comma-separated
 * ("-" when none); DESCRIPTION is ljmm_config_describe()'s text. */
#include <inttypes.h>
#include <stdio.h>

#include "config.h"

#define K ((uint64_t)1 << 10)
#define M ((uint64_t)1 << 20)
#define G ((uint64_t)1 << 30)

static void size(uint64_t v)
{
	if (v && v % G == 0)
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

int main(void)
{
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
			ljmm_config_format(o, o->def, def, sizeof def);
			printf("%s\t%" PRIu64 "\t%" PRIu64 "\t-", def, o->min, o->max);
			break;
		}
		}
		ljmm_config_describe(o, what, sizeof what);
		printf("\t%s\n", what);
	}
	return fflush(stdout) != 0;
}
