/* SPDX-License-Identifier: MIT */
/* Environment options: one table, parsed once.
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

#define K ((uint64_t)1 << 10)
#define M ((uint64_t)1 << 20)
#define G ((uint64_t)1 << 30)

static const char *const bool_words[] = {"off", "on", NULL};
static const char *const policy_words[] = {"kernel-first", "region-first", NULL};
static const char *const guard_words[] = {"off", "on", "lazy", NULL};

const ljmm_option_t ljmm_options[LJMM_OPT_COUNT] = {
	[LJMM_OPT_ENABLE] = {"LJMM_ENABLE", LJMM_KIND_BOOL, 1, 0, 1, bool_words,
			     "off turns the shim into a pure pass-through to the kernel"},
	[LJMM_OPT_POLICY] = {"LJMM_POLICY", LJMM_KIND_WORD, LJMM_POLICY_KERNEL_FIRST, 0, 1, policy_words,
			     "kernel-first: the region serves MAP_32BIT only after the kernel's ENOMEM; "
			     "region-first: the region is tried before the kernel"},
	[LJMM_OPT_GUARD] = {"LJMM_GUARD", LJMM_KIND_WORD, LJMM_GUARD_ON, 0, 2, guard_words,
			    "on: a PROT_NONE page after the brk heap (non-PIE programs) placed at start-up; "
			    "lazy: placed at the first region allocation; off: none"},
	[LJMM_OPT_GUARD_RESERVE] = {"LJMM_GUARD_RESERVE", LJMM_KIND_SIZE, 0, 0, 1 * G, NULL,
				    "room left for the brk heap to grow between sbrk(0) and the guard"},
	[LJMM_OPT_REGION_LO] = {"LJMM_REGION_LO", LJMM_KIND_SIZE, 64 * K, 4 * K, 2 * G - 4 * K, NULL,
				"lowest address the region hands out (raised to vm.mmap_min_addr)"},
	[LJMM_OPT_REGION_HI] = {"LJMM_REGION_HI", LJMM_KIND_SIZE, 2 * G, 8 * K, 2 * G, NULL,
				"end of the region; MAP_32BIT blocks always end at or below 2 GiB"},
	[LJMM_OPT_STATS] = {"LJMM_STATS", LJMM_KIND_BOOL, 0, 0, 1, bool_words,
			    "print statistics when the process exits"},
	[LJMM_OPT_DEBUG] = {"LJMM_DEBUG", LJMM_KIND_BOOL, 0, 0, 1, bool_words,
			    "log every slow-path decision (fallback, placement, resync)"},
	[LJMM_OPT_LOG_FILE] = {"LJMM_LOG_FILE", LJMM_KIND_PATH, 0, 0, 0, NULL,
			       "append statistics and debug lines to this file instead of stderr"},
};

uint64_t ljmm_config_values[LJMM_OPT_COUNT];
int ljmm_config_state; /* 0 not loaded, 1 loading, 2 loaded */
/* The accepted LJMM_LOG_FILE text itself (the environment string, which lives as long
 * as the process), not a copy: a path buffer would be one more page of memory in every
 * process, for a setting that is used once, by the constructor. */
static const char *log_path;


static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int word_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

static int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, base = 10, mult = 1;
	int digits = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		int c = lower((unsigned char)*s), d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -ERANGE;
		v = v * base + (uint64_t)d;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	switch (lower((unsigned char)*s)) {
	case 'k': mult = K; s++; break;
	case 'm': mult = M; s++; break;
	case 'g': mult = G; s++; break;
	default: break;
	}
	if (*s)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int ljmm_config_parse(const ljmm_option_t *opt, const char *text, uint64_t *out)
{
	uint64_t v;
	if (!text || !*text)
		return -EINVAL;
	switch (opt->kind) {
	case LJMM_KIND_BOOL:
		if (word_eq(text, "on") || word_eq(text, "1") || word_eq(text, "yes") || word_eq(text, "true"))
			v = 1;
		else if (word_eq(text, "off") || word_eq(text, "0") || word_eq(text, "no") || word_eq(text, "false"))
			v = 0;
		else
			return -EINVAL;
		break;
	case LJMM_KIND_WORD:
		for (v = 0; opt->words[v]; v++)
			if (word_eq(text, opt->words[v]))
				break;
		if (!opt->words[v])
			return -EINVAL;
		break;
	case LJMM_KIND_SIZE: {
		int r = parse_size(text, &v);
		if (r)
			return r;
		if (v < opt->min || v > opt->max)
			return -ERANGE;
		break;
	}
	case LJMM_KIND_PATH:
		if (strlen(text) >= LJMM_PATH_MAX)
			return -ERANGE;
		v = 0;
		break;
	default:
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* A size in the shortest exact form: 1G, 64K, 4095. */
static void buf_size(ljmm_buf_t *b, uint64_t v)
{
	if (v && v % G == 0) {
		ljmm_buf_u64(b, v / G);
		ljmm_buf_str(b, "G");
	} else if (v && v % M == 0) {
		ljmm_buf_u64(b, v / M);
		ljmm_buf_str(b, "M");
	} else if (v && v % K == 0) {
		ljmm_buf_u64(b, v / K);
		ljmm_buf_str(b, "K");
	} else {
		ljmm_buf_u64(b, v);
	}
}

static void describe(ljmm_buf_t *b, const ljmm_option_t *opt)
{
	switch (opt->kind) {
	case LJMM_KIND_BOOL:
		ljmm_buf_str(b, "on or off (also 1/0, yes/no, true/false)");
		break;
	case LJMM_KIND_WORD:
		ljmm_buf_str(b, "one of ");
		for (unsigned i = 0; opt->words[i]; i++) {
			if (i)
				ljmm_buf_str(b, ", ");
			ljmm_buf_str(b, opt->words[i]);
		}
		break;
	case LJMM_KIND_SIZE:
		ljmm_buf_str(b, "a size from ");
		buf_size(b, opt->min);
		ljmm_buf_str(b, " to ");
		buf_size(b, opt->max);
		ljmm_buf_str(b, " (decimal or 0x-hex, optional K, M or G suffix)");
		break;
	case LJMM_KIND_PATH:
		ljmm_buf_str(b, "a file path shorter than 4096 bytes");
		break;
	}
}

static void describe_value(ljmm_buf_t *b, const ljmm_option_t *opt, uint64_t v)
{
	switch (opt->kind) {
	case LJMM_KIND_BOOL:
	case LJMM_KIND_WORD:
		ljmm_buf_str(b, opt->words[v]);
		break;
	case LJMM_KIND_SIZE:
		buf_size(b, v);
		break;
	case LJMM_KIND_PATH:
		ljmm_buf_str(b, "stderr");
		break;
	}
}

void ljmm_config_describe(const ljmm_option_t *opt, char *dst, unsigned cap)
{
	ljmm_buf_t b;
	if (!cap)
		return;
	ljmm_buf_init(&b, dst, cap - 1);
	describe(&b, opt);
	dst[b.len] = 0;
}

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
	ljmm_buf_str(&b, "ljmm: ");
	ljmm_buf_str(&b, opt->name);
	ljmm_buf_str(&b, "=");
	buf_quoted(&b, text);
	ljmm_buf_str(&b, why == -ERANGE ? " is out of range: expected " : " is not valid: expected ");
	describe(&b, opt);
	ljmm_buf_str(&b, "; keeping the default ");
	describe_value(&b, opt, opt->def);
	ljmm_buf_mem(&b, "\n", 1);
	(void)ljmm_buf_flush(&b, errfd);
}

static void set_defaults(void)
{
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++)
		ljmm_config_values[i] = ljmm_options[i].def;
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
		r = ljmm_config_parse(opt, text, &v);
		if (r) {
			reject(errfd, opt, text, r);
			continue;
		}
		if (opt->kind == LJMM_KIND_PATH)
			log_path = text;
		else
			ljmm_config_values[i] = v;
	}
	/* Addresses are used page-aligned: the low bound rounds up, the high bound down. */
	ljmm_config_values[LJMM_OPT_REGION_LO] = ljmm_page_up(ljmm_config_values[LJMM_OPT_REGION_LO]);
	ljmm_config_values[LJMM_OPT_REGION_HI] = ljmm_page_down(ljmm_config_values[LJMM_OPT_REGION_HI]);
	ljmm_config_values[LJMM_OPT_GUARD_RESERVE] = ljmm_page_up(ljmm_config_values[LJMM_OPT_GUARD_RESERVE]);
	if (ljmm_config_values[LJMM_OPT_REGION_LO] >= ljmm_config_values[LJMM_OPT_REGION_HI]) {
		char storage[256];
		ljmm_buf_t b;
		ljmm_buf_init(&b, storage, sizeof storage - 1);
		ljmm_buf_str(&b, "ljmm: LJMM_REGION_LO must be below LJMM_REGION_HI (got ");
		ljmm_buf_hex(&b, ljmm_config_values[LJMM_OPT_REGION_LO]);
		ljmm_buf_str(&b, " and ");
		ljmm_buf_hex(&b, ljmm_config_values[LJMM_OPT_REGION_HI]);
		ljmm_buf_str(&b, "); keeping the defaults for both\n");
		(void)ljmm_buf_flush(&b, errfd);
		ljmm_config_values[LJMM_OPT_REGION_LO] = ljmm_options[LJMM_OPT_REGION_LO].def;
		ljmm_config_values[LJMM_OPT_REGION_HI] = ljmm_options[LJMM_OPT_REGION_HI].def;
	}
	__atomic_store_n(&ljmm_config_state, 2, __ATOMIC_RELEASE);
}

static const char *env_lookup(const char *name)
{
	/* secure_getenv: NULL for every name in setuid/setgid or otherwise
	 * secure-execution (AT_SECURE) processes, so nobody can steer a privileged
	 * program's memory layout or make it write a log where they choose. */
	return secure_getenv(name);
}

void ljmm_config_load_now(void)
{
	int expected = 0;
	/* Whoever loses the race (another thread, or a signal handler interrupting the
	 * parse) does not wait: until the table is loaded, ljmm_config_get answers the
	 * defaults, which are always a valid configuration. */
	if (__atomic_compare_exchange_n(&ljmm_config_state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		ljmm_config_load_with(env_lookup, 2);
}

const char *ljmm_config_path(ljmm_opt_id_t id)
{
	(void)id;
	return __atomic_load_n(&ljmm_config_state, __ATOMIC_ACQUIRE) == 2 && log_path ? log_path : "";
}
