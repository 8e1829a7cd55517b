/* SPDX-License-Identifier: MIT */
/* The syntax of option values (see optparse.c): what an option is (its kind, default,
 * bounds, words) and how a value of each kind is read, described and written back. The
 * table of the library's own options is config.c's (config.h). */
#ifndef LJMM_OPTPARSE_H
#define LJMM_OPTPARSE_H

#include <stdint.h>

#include "buf.h"

/* The K, M and G suffixes of a size. */
#define LJMM_KIB ((uint64_t)1 << 10)
#define LJMM_MIB ((uint64_t)1 << 20)
#define LJMM_GIB ((uint64_t)1 << 30)

typedef enum { LJMM_KIND_BOOL, LJMM_KIND_SIZE, LJMM_KIND_WORD, LJMM_KIND_PATH, LJMM_KIND_PERCENTS } ljmm_opt_kind_t;

/* A PERCENTS value: up to LJMM_PERCENTS_MAX percentages (1 to 100), one per byte from
 * the lowest, ascending, the rest 0; 0 for "off". */
#define LJMM_PERCENTS_MAX 8

typedef struct {
	const char *name;         /* environment variable */
	ljmm_opt_kind_t kind;
	uint64_t def, min, max;   /* for WORD: index into words; for PATH: max is the longest
				     path accepted, in bytes with its NUL */
	const char *const *words; /* WORD only: accepted words, NULL-terminated */
	const char *help;         /* one line: the README's and ljmm(7)'s option tables are made from it */
} ljmm_option_t;

/** Parse text for opt into *out; 0, or -EINVAL (not of the form) / -ERANGE (out of bounds). */
int ljmm_optparse_parse(const ljmm_option_t *opt, const char *text, uint64_t *out);
/** Describe what opt accepts, for error lines and docs (writes a NUL-terminated string). */
void ljmm_optparse_describe(const ljmm_option_t *opt, char *dst, unsigned cap);
/** Write value v of opt as the environment would spell it ("on", "64K", "90%"). */
void ljmm_optparse_format(const ljmm_option_t *opt, uint64_t v, char *dst, unsigned cap);
/** ljmm_optparse_describe and ljmm_optparse_format, appending to a log buffer. */
void ljmm_optparse_describe_to(ljmm_buf_t *b, const ljmm_option_t *opt);
void ljmm_optparse_format_to(ljmm_buf_t *b, const ljmm_option_t *opt, uint64_t v);

#endif
