/* SPDX-License-Identifier: MIT */
/* Environment options: one table, loaded once (see config.c for the table; the syntax
 * of their values is optparse.h's). */
#ifndef LJMM_CONFIG_H
#define LJMM_CONFIG_H

#include <stdint.h>

#include "optparse.h"

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

enum { LJMM_POLICY_KERNEL_FIRST = 0, LJMM_POLICY_REGION_FIRST = 1 };
enum { LJMM_GUARD_OFF = 0, LJMM_GUARD_ON = 1, LJMM_GUARD_LAZY = 2 };

/** The option table, LJMM_OPT_COUNT entries in ljmm_opt_id_t order. */
extern const ljmm_option_t ljmm_options[LJMM_OPT_COUNT];

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

#endif
