/* SPDX-License-Identifier: MIT */
/* Fuzz target for the environment options (shim/config.c).
 *
 * The input (cut at its first NUL, at most 12000 bytes) is given as the value of every
 * option in ljmm_options[]: ljmm_optparse_parse must return 0, -EINVAL or -ERANGE, never
 * crash, and agree with a reference parser written here (sizes: optional 0x, digits,
 * optional K/M/G, no overflow; accepted values within [min, max]); switches and words
 * are matched without case. Then the whole table is loaded with that value for every
 * variable (ljmm_config_load_with): it must write exactly one line per rejected value,
 * each naming its variable in table order, plus one line when LJMM_REGION_LO >=
 * LJMM_REGION_HI, and leave every option within its bounds. ljmm_optparse_describe must
 * respect any capacity. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

#define MAX_TEXT 12000

static char text[MAX_TEXT + 1];
static int errpipe[2] = {-1, -1};

/* The C library's, in the "C" locale (this program never calls setlocale): an oracle
 * apart from optparse.c's own. */
static int same_word(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

/* Reference size parser: 0, -EINVAL or -ERANGE (before the bounds), value in *out. */
static int ref_size(const char *s, uint64_t *out)
{
	unsigned __int128 v = 0, mult = 1;
	unsigned base = 10;
	int digits = 0, over = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, digits++) {
		int c = tolower((unsigned char)*s), d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			break;
		v = v * base + (unsigned)d;
		if (v > UINT64_MAX) {
			over = 1;
			v = (unsigned __int128)UINT64_MAX + 1; /* stays "too big" */
		}
	}
	if (!digits)
		return -EINVAL;
	if (over)
		return -ERANGE; /* the overflow is seen before the suffix */
	switch (tolower((unsigned char)*s)) {
	case 'k': mult = 1 << 10; s++; break;
	case 'm': mult = 1 << 20; s++; break;
	case 'g': mult = 1 << 30; s++; break;
	default: break;
	}
	if (*s)
		return -EINVAL;
	if (v * mult > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)(v * mult);
	return 0;
}

/* "off" (or another false word), or items "N" / "N%" separated by single commas, each
 * in [min, max]; an item whose digits pass 1000 is out of range whatever follows it. At
 * most 8 distinct values, packed ascending one per byte. */
static int ref_percents(const ljmm_option_t *opt, const char *t, uint64_t *out)
{
	static const char *const no[] = {"off", "0", "no", "false"};
	unsigned vals[64], n = 0;
	uint64_t v = 0;
	for (unsigned i = 0; i < 4; i++)
		if (same_word(t, no[i])) {
			*out = 0;
			return 0;
		}
	for (const char *item = t;;) {
		const char *end = strchr(item, ',');
		size_t len = end ? (size_t)(end - item) : strlen(item), d = 0;
		unsigned long long x = 0;
		int dup = 0;
		while (d < len && item[d] >= '0' && item[d] <= '9') {
			x = x * 10 + (unsigned)(item[d] - '0');
			if (x > 1000)
				return -ERANGE;
			d++;
		}
		if (!d || !(d == len || (d + 1 == len && item[d] == '%')))
			return -EINVAL;
		if (x < opt->min || x > opt->max)
			return -ERANGE;
		for (unsigned i = 0; i < n; i++)
			dup |= vals[i] == x;
		if (!dup) {
			if (n == 8)
				return -ERANGE;
			vals[n++] = (unsigned)x;
		}
		if (!end)
			break;
		item = end + 1;
	}
	for (unsigned i = 0; i < n; i++) /* selection of the largest first, packed downwards */
		for (unsigned j = i + 1; j < n; j++)
			if (vals[j] > vals[i]) {
				unsigned tmp = vals[i];
				vals[i] = vals[j];
				vals[j] = tmp;
			}
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | vals[i];
	*out = v;
	return 0;
}

static int ref_parse(const ljmm_option_t *opt, const char *t, uint64_t *out)
{
	static const char *const yes[] = {"on", "1", "yes", "true"}, *const no[] = {"off", "0", "no", "false"};
	uint64_t v = 0;
	int r;
	if (!*t)
		return -EINVAL;
	switch (opt->kind) {
	case LJMM_KIND_BOOL:
		for (unsigned i = 0; i < 4; i++) {
			if (same_word(t, yes[i])) {
				*out = 1;
				return 0;
			}
			if (same_word(t, no[i])) {
				*out = 0;
				return 0;
			}
		}
		return -EINVAL;
	case LJMM_KIND_WORD:
		for (v = 0; opt->words[v]; v++)
			if (same_word(t, opt->words[v])) {
				*out = v;
				return 0;
			}
		return -EINVAL;
	case LJMM_KIND_SIZE:
		r = ref_size(t, &v);
		if (r)
			return r;
		if (v < opt->min || v > opt->max)
			return -ERANGE;
		*out = v;
		return 0;
	case LJMM_KIND_PATH:
		if (strlen(t) >= 4096)
			return -ERANGE;
		*out = 0;
		return 0;
	case LJMM_KIND_PERCENTS:
		return ref_percents(opt, t, out);
	}
	return -EINVAL;
}

static const char *lookup_all(const char *name)
{
	(void)name;
	return text;
}

/* The n-th (1-based) option that rejects text, in table order. */
static const ljmm_option_t *nth_rejecting(size_t n)
{
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++) {
		uint64_t v;
		if (ljmm_optparse_parse(&ljmm_options[i], text, &v) && --n == 0)
			return &ljmm_options[i];
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[16384], desc[600];
	size_t n = size < MAX_TEXT ? size : MAX_TEXT, rejected = 0, lines = 0;
	ssize_t got;
	memcpy(text, data, n);
	text[n] = 0;
	/* At most 10 lines of < 512 bytes: they fit in a pipe's buffer, the writer never blocks. */
	if (errpipe[0] < 0)
		FUZZ_CHECK(pipe2(errpipe, O_NONBLOCK | O_CLOEXEC) == 0, "pipe");
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++) {
		const ljmm_option_t *opt = &ljmm_options[i];
		uint64_t v = 0xdeadbeef, w = 0xdeadbeef;
		int r = ljmm_optparse_parse(opt, text, &v), wr = ref_parse(opt, text, &w);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE, "%s: parse returned %d", opt->name, r);
		FUZZ_CHECK(r == wr, "%s='%s': parse returned %d, reference %d", opt->name, text, r, wr);
		if (r) {
			FUZZ_CHECK(v == 0xdeadbeef, "%s: rejected value still written", opt->name);
			rejected++;
			continue;
		}
		FUZZ_CHECK(v == w, "%s='%s': parsed %llu, reference %llu", opt->name, text, (unsigned long long)v,
			   (unsigned long long)w);
		switch (opt->kind) {
		case LJMM_KIND_SIZE:
			FUZZ_CHECK(v >= opt->min && v <= opt->max, "%s: %llu outside [%llu, %llu]", opt->name,
				   (unsigned long long)v, (unsigned long long)opt->min, (unsigned long long)opt->max);
			break;
		case LJMM_KIND_BOOL:
			FUZZ_CHECK(v <= 1, "%s: %llu", opt->name, (unsigned long long)v);
			break;
		case LJMM_KIND_WORD:
			FUZZ_CHECK(v <= opt->max && same_word(text, opt->words[v]), "%s: word %llu", opt->name,
				   (unsigned long long)v);
			break;
		case LJMM_KIND_PATH:
			break;
		case LJMM_KIND_PERCENTS:
			for (uint64_t x = v, prev = 0; x; x >>= 8) {
				FUZZ_CHECK((x & 0xff) > prev && (x & 0xff) >= opt->min && (x & 0xff) <= opt->max,
					   "%s: packed %#llx not ascending within bounds", opt->name, (unsigned long long)v);
				prev = x & 0xff;
			}
			break;
		}
	}
	/* Whatever the capacity, describe() writes a terminated string inside it. */
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++) {
		unsigned cap = size ? data[0] % sizeof desc : sizeof desc;
		memset(desc, 'X', sizeof desc);
		ljmm_optparse_describe(&ljmm_options[i], desc, cap);
		if (cap)
			FUZZ_CHECK(memchr(desc, 0, cap) != NULL, "describe(cap %u) left no NUL", cap);
		FUZZ_CHECK(cap == sizeof desc || desc[cap] == 'X', "describe wrote past cap %u", cap);
	}
	ljmm_config_load_with(lookup_all, errpipe[1]);
	got = read(errpipe[0], err, sizeof err - 1);
	if (got < 0)
		got = 0;
	err[got] = 0;
	FUZZ_CHECK((size_t)got == strlen(err) && (got == 0 || err[got - 1] == '\n'), "partial line or NUL written");
	for (char *p = err, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		const ljmm_option_t *opt;
		lines++;
		/* "2026-12-06T20:30:05.123Z [error] ljmm[PID]: LJMM_..." */
		const char *body = strstr(p, "] ljmm[");
		FUZZ_CHECK(p[23] == 'Z' && strncmp(p + 23, "Z [error] ljmm[", 15) == 0 && body && body < nl,
			   "error line '%.*s'", (int)(nl - p), p);
		body = strstr(body, "]: ") + 3;
		FUZZ_CHECK(strncmp(body, "LJMM_", 5) == 0, "error line '%.*s'", (int)(nl - p), p);
		if (lines > rejected)
			continue;
		/* The i-th line names the i-th rejected variable. */
		opt = nth_rejecting(lines);
		FUZZ_CHECK(opt && strncmp(body, opt->name, strlen(opt->name)) == 0 && body[strlen(opt->name)] == '=',
			   "line %zu '%.*s' does not name %s", lines, (int)(nl - p), p, opt ? opt->name : "?");
	}
	FUZZ_CHECK(lines == rejected || lines == rejected + 1, "%zu lines for %zu rejected values", lines, rejected);
	if (lines == rejected + 1)
		FUZZ_CHECK(strstr(err, "must be below LJMM_REGION_HI") != NULL, "extra line is not the LO/HI one");
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++) {
		const ljmm_option_t *opt = &ljmm_options[i];
		uint64_t v;
		if (opt->kind == LJMM_KIND_PATH || opt->kind == LJMM_KIND_PERCENTS)
			continue;
		v = ljmm_config_get((ljmm_opt_id_t)i);
		FUZZ_CHECK(v >= opt->min && v <= opt->max, "%s loaded as %llu", opt->name, (unsigned long long)v);
	}
	FUZZ_CHECK(ljmm_config_get(LJMM_OPT_REGION_LO) < ljmm_config_get(LJMM_OPT_REGION_HI), "LO >= HI loaded");
	/* The same text went to LJMM_LOG_FILE: accepted exactly when not empty and shorter
	 * than 4096 bytes. */
	FUZZ_CHECK(ljmm_config_is_set(LJMM_OPT_LOG_FILE) == (text[0] && strlen(text) < 4096), "log file %s",
		   ljmm_config_is_set(LJMM_OPT_LOG_FILE) ? "taken" : "refused");
	return 0;
}
