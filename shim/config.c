/* SPDX-License-Identifier: MIT */
/* Environment options: one table, loaded once (the syntax of each kind of value is
 * optparse.c's).
 *
 * Parsing uses no allocation and no stdio: it may run from the first interposed call,
 * before our constructor, when another library's constructor maps memory. Rejected
 * values produce exactly one line on stderr naming the variable, the value and what is
 * accepted, and the default stays in force. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "log.h"

static const char *const bool_words[] = {"off", "on", NULL};
static const char *const policy_words[] = {"kernel-first", "region-first", NULL};
static const char *const guard_words[] = {"off", "on", "lazy", NULL};

/* The help texts are the "meaning" column of README.md's option table, which
 * tests/docs checks against this table (options_dump --readme prints it). */
const ljmm_option_t ljmm_options[LJMM_OPT_COUNT] = {
	[LJMM_OPT_ENABLE] = {"LJMM_ENABLE", LJMM_KIND_BOOL, 1, 0, 1, bool_words,
			     "`off` turns the shim into a pure pass-through to the kernel"},
	[LJMM_OPT_POLICY] = {"LJMM_POLICY", LJMM_KIND_WORD, LJMM_POLICY_KERNEL_FIRST, 0, 1, policy_words,
			     "`kernel-first`: `MAP_32BIT` requests go to the kernel's window until it first runs "
			     "out, then (without an address hint) to the region first; `region-first`: to the region "
			     "first from the start"},
	[LJMM_OPT_GUARD] = {"LJMM_GUARD", LJMM_KIND_WORD, LJMM_GUARD_ON, 0, 2, guard_words,
			    "`on`: place the brk guard at start-up; `lazy`: at the first region allocation; `off`: never. "
			    "Unset, it is `on`, but `lazy` on a glibc older than 2.31, the oldest the guard's cost was "
			    "measured on"},
	[LJMM_OPT_GUARD_RESERVE] = {"LJMM_GUARD_RESERVE", LJMM_KIND_SIZE, 0, 0, LJMM_GIB, NULL,
				    "room left for the brk heap between `sbrk(0)` and the guard; the region never hands it out"},
	[LJMM_OPT_REGION_LO] = {"LJMM_REGION_LO", LJMM_KIND_SIZE, 64 * LJMM_KIB, 4 * LJMM_KIB,
				2 * LJMM_GIB - 4 * LJMM_KIB, NULL,
				"lowest address the region hands out (raised to `vm.mmap_min_addr`; 64 KiB keeps "
				"NULL-pointer faults faulting); brk may grow up to it"},
	[LJMM_OPT_REGION_HI] = {"LJMM_REGION_HI", LJMM_KIND_SIZE, 2 * LJMM_GIB, 8 * LJMM_KIB, 2 * LJMM_GIB, NULL,
				"end of the region"},
	[LJMM_OPT_STATS] = {"LJMM_STATS", LJMM_KIND_BOOL, 0, 0, 1, bool_words, "print statistics when the process exits"},
	[LJMM_OPT_DEBUG] = {"LJMM_DEBUG", LJMM_KIND_BOOL, 0, 0, 1, bool_words,
			    "log every slow-path decision (fallback, placement, conflict, rebuild)"},
	[LJMM_OPT_LOG_FILE] = {"LJMM_LOG_FILE", LJMM_KIND_PATH, 0, 0, LJMM_LOG_PATH_MAX, NULL,
			       "append statistics, warnings and debug lines to this file instead of stderr (`%p`: the "
			       "PID; created 0600 and opened at start-up, kept for the workers a root master forks, "
			       "followed through log rotation; never blocking)"},
	[LJMM_OPT_WARN] = {"LJMM_WARN", LJMM_KIND_PERCENTS, 90, 1, 100, NULL,
			   "warn once when use of the low 2 GiB first crosses each percentage, and at the first "
			   "`MAP_32BIT` request that fails; `off`: no warnings"},
};

typedef enum { UNLOADED = 0, LOADING, LOADED } load_state_t;

static uint64_t values[LJMM_OPT_COUNT];
static uint16_t set_mask;   /* bit i: option i was set to an accepted value */
static int state;           /* atomic: a load_state_t */
/* The accepted LJMM_LOG_FILE text, the environment string, until log.c copies it. */
static const char *log_path;

_Static_assert(LJMM_OPT_COUNT <= 16, "set_mask holds one bit per option");

/* Quote at most 64 bytes of a rejected value, with anything unprintable as '?', so
 * the error stays one readable line whatever the environment holds. */
static void buf_quoted(ljmm_buf_t *b, const char *s)
{
	size_t n = 0;
	ljmm_buf_str(b, "'");
	for (; s[n] && n < 64; n++) {
		char c = (s[n] >= 0x20 && s[n] < 0x7f) ? s[n] : '?';
		ljmm_buf_mem(b, &c, 1);
	}
	ljmm_buf_str(b, s[n] ? "...'" : "'");
}

static void reject(int errfd, const ljmm_option_t *opt, const char *text, int why)
{
	char storage[512];
	ljmm_buf_t b;
	ljmm_buf_init(&b, storage, sizeof storage - 1);
	ljmm_log_prefix(&b, LJMM_LOG_ERROR);
	ljmm_buf_str(&b, opt->name);
	ljmm_buf_str(&b, "=");
	buf_quoted(&b, text);
	ljmm_buf_str(&b, why == -ERANGE ? " is out of range: expected " : " is not valid: expected ");
	ljmm_optparse_describe_to(&b, opt);
	ljmm_buf_str(&b, "; keeping the default ");
	ljmm_optparse_format_to(&b, opt, opt->def);
	ljmm_buf_mem(&b, "\n", 1);
	(void)ljmm_buf_flush(&b, errfd);
}

static void set_defaults(void)
{
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++)
		values[i] = ljmm_options[i].def;
	set_mask = 0;
	log_path = NULL;
}

void ljmm_config_load_with(const char *(*lookup)(const char *name), int errfd)
{
	set_defaults();
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++) {
		const ljmm_option_t *opt = &ljmm_options[i];
		const char *text = lookup(opt->name);
		uint64_t v;
		int r;
		if (!text)
			continue;
		r = ljmm_optparse_parse(opt, text, &v);
		if (r) {
			reject(errfd, opt, text, r);
			continue;
		}
		if (opt->kind == LJMM_KIND_PATH)
			log_path = text;
		else
			values[i] = v;
		set_mask |= (uint16_t)(1u << i);
	}
	/* Addresses are used page-aligned: the low bound rounds up, the high bound down. */
	values[LJMM_OPT_REGION_LO] = ljmm_page_up(values[LJMM_OPT_REGION_LO]);
	values[LJMM_OPT_REGION_HI] = ljmm_page_down(values[LJMM_OPT_REGION_HI]);
	values[LJMM_OPT_GUARD_RESERVE] = ljmm_page_up(values[LJMM_OPT_GUARD_RESERVE]);
	if (values[LJMM_OPT_REGION_LO] >= values[LJMM_OPT_REGION_HI]) {
		char storage[288];
		ljmm_buf_t b;
		ljmm_buf_init(&b, storage, sizeof storage - 1);
		ljmm_log_prefix(&b, LJMM_LOG_ERROR);
		ljmm_buf_str(&b, "LJMM_REGION_LO must be below LJMM_REGION_HI (got ");
		ljmm_buf_hex(&b, values[LJMM_OPT_REGION_LO]);
		ljmm_buf_str(&b, " and ");
		ljmm_buf_hex(&b, values[LJMM_OPT_REGION_HI]);
		ljmm_buf_str(&b, "); keeping the defaults for both\n");
		(void)ljmm_buf_flush(&b, errfd);
		values[LJMM_OPT_REGION_LO] = ljmm_options[LJMM_OPT_REGION_LO].def;
		values[LJMM_OPT_REGION_HI] = ljmm_options[LJMM_OPT_REGION_HI].def;
		set_mask &= (uint16_t) ~((1u << LJMM_OPT_REGION_LO) | (1u << LJMM_OPT_REGION_HI));
	}
	__atomic_store_n(&state, LOADED, __ATOMIC_RELEASE);
	ljmm_log_configure(log_path, (int)values[LJMM_OPT_DEBUG]);
}

static const char *env_lookup(const char *name)
{
	/* secure_getenv: NULL for every name in setuid/setgid or otherwise
	 * secure-execution (AT_SECURE) processes, so nobody can steer a privileged
	 * program's memory layout or make it write a log where they choose. */
	return secure_getenv(name);
}

void ljmm_config_load(void)
{
	int expected = UNLOADED;
	/* Whoever loses the race (another thread, or a signal handler interrupting the
	 * parse) does not wait: until the table is loaded, ljmm_config_get answers the
	 * defaults, which are always a valid configuration. */
	if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == UNLOADED &&
	    __atomic_compare_exchange_n(&state, &expected, LOADING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		ljmm_config_load_with(env_lookup, 2);
}

int ljmm_config_loaded(void) { return __atomic_load_n(&state, __ATOMIC_ACQUIRE) == LOADED; }

uint64_t ljmm_config_get(ljmm_opt_id_t id) { return ljmm_config_loaded() ? values[id] : ljmm_options[id].def; }

int ljmm_config_is_set(ljmm_opt_id_t id) { return ljmm_config_loaded() && (set_mask >> id) & 1; }
