/* SPDX-License-Identifier: MIT */
/* Environment options: one table, parsed once (see config.c for the table). */
#ifndef LJMM_CONFIG_H
#define LJMM_CONFIG_H

#include <stdint.h>

typedef enum {
	LJMM_OPT_ENABLE,        /* master switch */
	LJMM_OPT_POLICY,        /* kernel-first or region-first */
	LJMM_OPT_GUARD,         /* off, on (constructor) or lazy (first region use) */
	LJMM_OPT_GUARD_RESERVE, /* bytes left for brk between sbrk(0) and the guard */
	LJMM_OPT_REGION_LO,     /* lowest address the region may hand out */
	LJMM_OPT_REGION_HI,     /* end of the region (at most 2 GiB) */
	LJMM_OPT_STATS,         /* print statistics at exit */
	LJMM_OPT_DEBUG,         /* log every slow-path decision */
	LJMM_OPT_LOG_FILE,      /* where statistics and debug lines go */
	LJMM_OPT_COUNT
} ljmm_opt_id_t;

typedef enum { LJMM_KIND_BOOL, LJMM_KIND_SIZE, LJMM_KIND_WORD, LJMM_KIND_PATH } ljmm_opt_kind_t;

enum { LJMM_POLICY_KERNEL_FIRST = 0, LJMM_POLICY_REGION_FIRST = 1 };
enum { LJMM_GUARD_OFF = 0, LJMM_GUARD_ON = 1, LJMM_GUARD_LAZY = 2 };

typedef struct {
	const char *name;   /* environment variable */
	ljmm_opt_kind_t kind;
	uint64_t def, min, max; /* for WORD: index into words; for PATH: unused */
	const char *const *words; /* WORD only: accepted words, NULL-terminated */
	const char *help;   /* one line for docs and --help */
} ljmm_option_t;

/** The option table, LJMM_OPT_COUNT entries in ljmm_opt_id_t order. */
extern const ljmm_option_t ljmm_options[LJMM_OPT_COUNT];

/** Parse text for opt into *out; 0, or -EINVAL (not of the form) / -ERANGE (out of bounds). */
int ljmm_config_parse(const ljmm_option_t *opt, const char *text, uint64_t *out);
/** Describe what opt accepts, for error lines and docs (writes a NUL-terminated string). */
void ljmm_config_describe(const ljmm_option_t *opt, char *dst, unsigned cap);
/** Longest LJMM_LOG_FILE accepted, in bytes, NUL included (the kernel's PATH_MAX). */
#define LJMM_PATH_MAX 4096

/** Option values in ljmm_opt_id_t order; meaningful once ljmm_config_state is 2. */
extern uint64_t ljmm_config_values[LJMM_OPT_COUNT];
/** 0 not loaded, 1 loading, 2 loaded (atomic). */
extern int ljmm_config_state;

/** Load every option from the environment now, unless another caller is (ignored in secure-execution processes). */
void ljmm_config_load_now(void);
/** Load every option once: a load and a branch after the first call, for the mmap fast path. */
static inline void ljmm_config_load(void)
{
	if (__builtin_expect(__atomic_load_n(&ljmm_config_state, __ATOMIC_ACQUIRE) != 2, 0))
		ljmm_config_load_now();
}
/** Load from a caller's lookup function, reporting rejected values on errfd (for tests). */
void ljmm_config_load_with(const char *(*lookup)(const char *name), int errfd);
/** The value of a numeric, boolean or word option (its default before loading). Inline:
 *  the mmap fast path reads options on every call. */
static inline uint64_t ljmm_config_get(ljmm_opt_id_t id)
{
	if (__builtin_expect(__atomic_load_n(&ljmm_config_state, __ATOMIC_ACQUIRE) != 2, 0))
		return ljmm_options[id].def;
	return ljmm_config_values[id];
}
/** The value of a path option ("" when unset). */
const char *ljmm_config_path(ljmm_opt_id_t id);

#endif
