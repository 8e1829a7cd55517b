/* SPDX-License-Identifier: MIT */
/* Environment options: one table, parsed once (see config.c for the table). */
#ifndef LJMM_CONFIG_H
#define LJMM_CONFIG_H

#include <stdint.h>

#include "log.h"

typedef enum {
	LJMM_OPT_ENABLE,        /* master switch */
	LJMM_OPT_POLICY,        /* kernel-first or region-first */
	LJMM_OPT_GUARD,         /* off, on (constructor) or lazy (first region use) */
	LJMM_OPT_GUARD_RESERVE, /* bytes left for brk between sbrk(0) and the guard */
	LJMM_OPT_REGION_LO,     /* lowest address the region may hand out */
	LJMM_OPT_REGION_HI,     /* end of the region (at most 2 GiB) */
	LJMM_OPT_STATS,         /* print statistics at exit */
	LJMM_OPT_DEBUG,         /* log every slow-path decision */
	LJMM_OPT_LOG_FILE,      /* where statistics, warnings and debug lines go */
	LJMM_OPT_WARN,          /* usage thresholds that print a warning */
	LJMM_OPT_COUNT
} ljmm_opt_id_t;

typedef enum { LJMM_KIND_BOOL, LJMM_KIND_SIZE, LJMM_KIND_WORD, LJMM_KIND_PATH, LJMM_KIND_PERCENTS } ljmm_opt_kind_t;

enum { LJMM_POLICY_KERNEL_FIRST = 0, LJMM_POLICY_REGION_FIRST = 1 };
enum { LJMM_GUARD_OFF = 0, LJMM_GUARD_ON = 1, LJMM_GUARD_LAZY = 2 };

/* A PERCENTS value: up to LJMM_PERCENTS_MAX percentages (1 to 100), one per byte from
 * the lowest, ascending, the rest 0; 0 for "off". */
#define LJMM_PERCENTS_MAX 8

typedef struct {
	const char *name;         /* environment variable */
	ljmm_opt_kind_t kind;
	uint64_t def, min, max;   /* for WORD: index into words; for PATH: unused */
	const char *const *words; /* WORD only: accepted words, NULL-terminated */
	const char *help;         /* one line: the README's and ljmm(7)'s option tables are made from it */
} ljmm_option_t;

/** The option table, LJMM_OPT_COUNT entries in ljmm_opt_id_t order. */
extern const ljmm_option_t ljmm_options[LJMM_OPT_COUNT];

/** Parse text for opt into *out; 0, or -EINVAL (not of the form) / -ERANGE (out of bounds). */
int ljmm_config_parse(const ljmm_option_t *opt, const char *text, uint64_t *out);
/** Describe what opt accepts, for error lines and docs (writes a NUL-terminated string). */
void ljmm_config_describe(const ljmm_option_t *opt, char *dst, unsigned cap);
/** Write value v of opt as the environment would spell it ("on", "64K", "90%"). */
void ljmm_config_format(const ljmm_option_t *opt, uint64_t v, char *dst, unsigned cap);
/** ljmm_config_describe and ljmm_config_format, appending to a log buffer. */
void ljmm_config_describe_to(ljmm_buf_t *b, const ljmm_option_t *opt);
void ljmm_config_format_to(ljmm_buf_t *b, const ljmm_option_t *opt, uint64_t v);
/** Longest LJMM_LOG_FILE accepted, in bytes, NUL included (the kernel's PATH_MAX). */
#define LJMM_PATH_MAX 4096

/** Load every option from the environment once (ignored in secure-execution processes);
 *  a caller that races the first load does not wait and sees the defaults. */
void ljmm_config_load(void);
/** Load from a caller's lookup function, reporting rejected values on errfd (for tests). */
void ljmm_config_load_with(const char *(*lookup)(const char *name), int errfd);
/** The options are loaded (before that, ljmm_config_get answers the defaults). */
int ljmm_config_loaded(void);
/** The value of a numeric, boolean, word or percents option (its default before loading). */
uint64_t ljmm_config_get(ljmm_opt_id_t id);
/** The option was set in the environment to a value that was accepted. */
int ljmm_config_is_set(ljmm_opt_id_t id);
/** The value of a path option ("" when unset). */
const char *ljmm_config_path(ljmm_opt_id_t id);

#endif
