/* SPDX-License-Identifier: MIT */
/* The syntax of option values (see optparse.h): sizes with K/M/G suffixes, on/off
 * switches, words, lists of percentages; and how each kind is described and written
 * back, for error lines and the documentation. No allocation, no stdio: parsing may run
 * from the first interposed call, before our constructor. */
#include "optparse.h"

#include <errno.h>
#include <string.h>

#include "buf.h"

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
	case 'k': mult = LJMM_KIB; s++; break;
	case 'm': mult = LJMM_MIB; s++; break;
	case 'g': mult = LJMM_GIB; s++; break;
	default: break;
	}
	if (*s)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/* "off", or a comma-separated list of percentages ("90%", "80%,95%"; the sign may be
 * left out), each from min to max, packed ascending one per byte. */
static int parse_percents(const ljmm_option_t *opt, const char *s, uint64_t *out)
{
	uint8_t list[LJMM_PERCENTS_MAX];
	unsigned n = 0;
	uint64_t v = 0;
	if (word_eq(s, "off") || word_eq(s, "0") || word_eq(s, "no") || word_eq(s, "false")) {
		*out = 0;
		return 0;
	}
	for (;;) {
		unsigned p = 0, digits = 0, i;
		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			p = p * 10 + (unsigned)(*s - '0');
			if (p > 1000)
				return -ERANGE;
		}
		if (!digits)
			return -EINVAL;
		if (*s == '%')
			s++;
		if (*s != ',' && *s)
			return -EINVAL;
		if (p < opt->min || p > opt->max)
			return -ERANGE;
		for (i = 0; i < n && list[i] != p; i++)
			;
		if (i == n) {
			if (n == LJMM_PERCENTS_MAX)
				return -ERANGE;
			for (i = n++; i > 0 && list[i - 1] > p; i--)
				list[i] = list[i - 1];
			list[i] = (uint8_t)p;
		}
		if (!*s)
			break;
		s++;
	}
	for (unsigned i = n; i > 0; i--)
		v = (v << 8) | list[i - 1];
	*out = v;
	return 0;
}

int ljmm_optparse_parse(const ljmm_option_t *opt, const char *text, uint64_t *out)
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
		if (strlen(text) >= opt->max)
			return -ERANGE;
		v = 0;
		break;
	case LJMM_KIND_PERCENTS: {
		int r = parse_percents(opt, text, &v);
		if (r)
			return r;
		break;
	}
	default:
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* A size in the shortest exact form: 1G, 64K, 4095. */
static void buf_size(ljmm_buf_t *b, uint64_t v)
{
	if (v && v % LJMM_GIB == 0) {
		ljmm_buf_u64(b, v / LJMM_GIB);
		ljmm_buf_str(b, "G");
	} else if (v && v % LJMM_MIB == 0) {
		ljmm_buf_u64(b, v / LJMM_MIB);
		ljmm_buf_str(b, "M");
	} else if (v && v % LJMM_KIB == 0) {
		ljmm_buf_u64(b, v / LJMM_KIB);
		ljmm_buf_str(b, "K");
	} else {
		ljmm_buf_u64(b, v);
	}
}

void ljmm_optparse_describe_to(ljmm_buf_t *b, const ljmm_option_t *opt)
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
		ljmm_buf_str(b, "a file path shorter than ");
		ljmm_buf_u64(b, opt->max);
		ljmm_buf_str(b, " bytes");
		break;
	case LJMM_KIND_PERCENTS:
		ljmm_buf_str(b, "off, or up to 8 comma-separated percentages from ");
		ljmm_buf_u64(b, opt->min);
		ljmm_buf_str(b, "% to ");
		ljmm_buf_u64(b, opt->max);
		ljmm_buf_str(b, "% (such as 90% or 80%,95%)");
		break;
	}
}

void ljmm_optparse_format_to(ljmm_buf_t *b, const ljmm_option_t *opt, uint64_t v)
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
	case LJMM_KIND_PERCENTS:
		if (!v)
			ljmm_buf_str(b, "off");
		for (unsigned first = 1; v; v >>= 8, first = 0) {
			if (!first)
				ljmm_buf_str(b, ",");
			ljmm_buf_u64(b, v & 0xff);
			ljmm_buf_str(b, "%");
		}
		break;
	}
}

void ljmm_optparse_format(const ljmm_option_t *opt, uint64_t v, char *dst, unsigned cap)
{
	ljmm_buf_t b;
	if (!cap)
		return;
	ljmm_buf_init(&b, dst, cap - 1);
	ljmm_optparse_format_to(&b, opt, v);
	dst[b.len] = 0;
}

void ljmm_optparse_describe(const ljmm_option_t *opt, char *dst, unsigned cap)
{
	ljmm_buf_t b;
	if (!cap)
		return;
	ljmm_buf_init(&b, dst, cap - 1);
	ljmm_optparse_describe_to(&b, opt);
	dst[b.len] = 0;
}
