/* SPDX-License-Identifier: MIT */
/* Unit tests for the environment options (shim/config.c): parsing, loading, error lines, the table. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/testutil.h"
#include "config.h"
#include "log.h"
#include "check_main.h"

/* Options of our own, to test parsing apart from the real table's bounds. */
static const ljmm_option_t size_any = {"LJMM_TEST_ANY", LJMM_KIND_SIZE, 0, 0, UINT64_MAX, NULL, "test"};
static const ljmm_option_t size_4k_1m = {"LJMM_TEST_SMALL", LJMM_KIND_SIZE, 4096, 4096, M, NULL, "test"};

#define OPT(id) (&ljmm_options[LJMM_OPT_##id])

/* ---- the fake environment and the error stream ------------------------------------------ */

typedef struct {
	const char *name, *value;
} kv_t;

static const kv_t *env_kv;
static size_t env_n;
static unsigned lookups[LJMM_OPT_COUNT];
static unsigned stray_lookups;

static const char *fake_lookup(const char *name)
{
	unsigned i;
	for (i = 0; i < LJMM_OPT_COUNT; i++)
		if (strcmp(name, ljmm_options[i].name) == 0)
			break;
	if (i < LJMM_OPT_COUNT)
		lookups[i]++;
	else
		stray_lookups++;
	for (size_t k = 0; k < env_n; k++)
		if (strcmp(env_kv[k].name, name) == 0)
			return env_kv[k].value;
	return NULL;
}

static char errbuf[65536];

/* Load with the given variables; returns what was written to errfd (NUL-terminated). */
static const char *load(const kv_t *kv, size_t n)
{
	int fds[2];
	ssize_t got, total = 0;
	env_kv = kv;
	env_n = n;
	memset(lookups, 0, sizeof lookups);
	stray_lookups = 0;
	ck_assert_int_eq(pipe(fds), 0);
	/* Never block: a surprise flood of output fails the test instead of hanging it. */
	ck_assert_int_eq(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	ljmm_config_load_with(fake_lookup, fds[1]);
	close(fds[1]);
	while ((got = read(fds[0], errbuf + total, sizeof errbuf - 1 - (size_t)total)) > 0)
		total += got;
	close(fds[0]);
	errbuf[total] = 0;
	return errbuf;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static const char *describe(const ljmm_option_t *opt)
{
	static char d[512];
	ljmm_optparse_describe(opt, d, sizeof d);
	return d;
}

/* Every option except those in skip (a bit mask of ids) has its default. */
static void expect_defaults_except(unsigned skip, const char *what)
{
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++)
		if (!(skip & (1u << i)) && ljmm_options[i].kind != LJMM_KIND_PATH)
			ck_assert_msg(ljmm_config_get((ljmm_opt_id_t)i) == ljmm_options[i].def,
				      "%s: %s is %llu, default %llu", what, ljmm_options[i].name,
				      (unsigned long long)ljmm_config_get((ljmm_opt_id_t)i),
				      (unsigned long long)ljmm_options[i].def);
	if (!(skip & (1u << LJMM_OPT_LOG_FILE)))
		ck_assert_msg(!ljmm_config_is_set(LJMM_OPT_LOG_FILE), "%s: a log file is set", what);
}

static int id_of(const char *name)
{
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++)
		if (strcmp(ljmm_options[i].name, name) == 0)
			return (int)i;
	ck_abort_msg("no option %s", name);
	return -1;
}

/* ---- before loading -------------------------------------------------------------------- */

START_TEST(test_config_get_before_load_is_default)
{
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++)
		if (ljmm_options[i].kind != LJMM_KIND_PATH)
			ck_assert_uint_eq(ljmm_config_get((ljmm_opt_id_t)i), ljmm_options[i].def);
	ck_assert(!ljmm_config_is_set(LJMM_OPT_LOG_FILE));
}
END_TEST

/* ---- ljmm_optparse_parse ------------------------------------------------------------------- */

static const struct {
	const ljmm_option_t *opt;
	const char *text;
	int ret;
	uint64_t value;
} size_cases[] = {
	{&size_any, "0", 0, 0},
	{&size_any, "00", 0, 0},
	{&size_any, "4096", 0, 4096},
	{&size_any, "64K", 0, 64 * K},
	{&size_any, "64k", 0, 64 * K},
	{&size_any, "1M", 0, M},
	{&size_any, "1m", 0, M},
	{&size_any, "2G", 0, 2 * G},
	{&size_any, "2g", 0, 2 * G},
	{&size_any, "0K", 0, 0},
	{&size_any, "0x1000", 0, 4096},
	{&size_any, "0X10", 0, 16},
	{&size_any, "0xfF", 0, 255},
	{&size_any, "0x10K", 0, 16 * K},
	{&size_any, "18446744073709551615", 0, UINT64_MAX},
	{&size_any, "0xffffffffffffffff", 0, UINT64_MAX},
	{&size_any, "17179869183G", 0, (((uint64_t)1 << 34) - 1) << 30},
	{&size_any, "99999999999999999999", -ERANGE, 0},
	{&size_any, "18446744073709551616", -ERANGE, 0},
	{&size_any, "0xffffffffffffffffff", -ERANGE, 0},
	{&size_any, "0x10000000000000000", -ERANGE, 0},
	{&size_any, "17179869184G", -ERANGE, 0},
	{&size_any, "18014398509481984K", -ERANGE, 0},
	{&size_any, "12Q", -EINVAL, 0},
	{&size_any, "-1", -EINVAL, 0},
	{&size_any, "+5", -EINVAL, 0},
	{&size_any, " 5", -EINVAL, 0},
	{&size_any, "5 ", -EINVAL, 0},
	{&size_any, "", -EINVAL, 0},
	{&size_any, "K", -EINVAL, 0},
	{&size_any, "0x", -EINVAL, 0},
	{&size_any, "0xK", -EINVAL, 0},
	{&size_any, "1KK", -EINVAL, 0},
	{&size_any, "1.5M", -EINVAL, 0},
	{&size_any, "1e3", -EINVAL, 0},
	{&size_any, "0x0x1", -EINVAL, 0},
	{&size_any, "1T", -EINVAL, 0},
	{&size_any, "ff", -EINVAL, 0},
	{&size_4k_1m, "4096", 0, 4096},
	{&size_4k_1m, "4K", 0, 4096},
	{&size_4k_1m, "1M", 0, M},
	{&size_4k_1m, "1048576", 0, M},
	{&size_4k_1m, "4095", -ERANGE, 0},
	{&size_4k_1m, "0", -ERANGE, 0},
	{&size_4k_1m, "1048577", -ERANGE, 0},
	{&size_4k_1m, "2G", -ERANGE, 0},
	{&size_4k_1m, "99999999999999999999", -ERANGE, 0},
	{&size_4k_1m, "abc", -EINVAL, 0},
	{OPT(GUARD_RESERVE), "0", 0, 0},
	{OPT(GUARD_RESERVE), "1G", 0, G},
	{OPT(GUARD_RESERVE), "1073741825", -ERANGE, 0},
	{OPT(GUARD_RESERVE), "2G", -ERANGE, 0},
	{OPT(REGION_LO), "4K", 0, 4 * K},
	{OPT(REGION_LO), "0x7ffff000", 0, 2 * G - 4 * K},
	{OPT(REGION_LO), "0", -ERANGE, 0},
	{OPT(REGION_LO), "4095", -ERANGE, 0},
	{OPT(REGION_LO), "2G", -ERANGE, 0},
	{OPT(REGION_HI), "2G", 0, 2 * G},
	{OPT(REGION_HI), "0x80000000", 0, 2 * G},
	{OPT(REGION_HI), "8K", 0, 8 * K},
	{OPT(REGION_HI), "0x80001000", -ERANGE, 0},
	{OPT(REGION_HI), "4K", -ERANGE, 0},
	{OPT(REGION_HI), "4G", -ERANGE, 0},
};

START_TEST(test_config_parse_sizes)
{
	for (size_t i = 0; i < NELEM(size_cases); i++) {
		uint64_t v = 0xdeadbeef;
		int ret = ljmm_optparse_parse(size_cases[i].opt, size_cases[i].text, &v);
		ck_assert_msg(ret == size_cases[i].ret, "%s='%s': ret %d, want %d", size_cases[i].opt->name,
			      size_cases[i].text, ret, size_cases[i].ret);
		if (ret == 0)
			ck_assert_msg(v == size_cases[i].value, "%s='%s': %llu, want %llu", size_cases[i].opt->name,
				      size_cases[i].text, (unsigned long long)v, (unsigned long long)size_cases[i].value);
	}
}
END_TEST

/* The text in three spellings: as given, upper case, and alternating case. */
static void spellings(const char *text, char out[3][64])
{
	size_t n = strlen(text);
	ck_assert_uint_lt(n, 64);
	for (size_t i = 0; i <= n; i++) {
		char c = text[i];
		char up = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
		out[0][i] = c;
		out[1][i] = up;
		out[2][i] = (i % 2) ? up : c;
	}
}

static const struct {
	const char *text;
	uint64_t value;
} bool_good[] = {
	{"on", 1}, {"off", 0}, {"1", 1}, {"0", 0}, {"yes", 1}, {"no", 0}, {"true", 1}, {"false", 0},
};

static const char *const bool_bad[] = {
	"maybe", "", "2", "01", "o", "of", "onn", "offf", "y", "n", "t", "f", "yes ", " no", "enable", "on\n", "10",
};

START_TEST(test_config_parse_booleans)
{
	static const ljmm_opt_id_t ids[] = {LJMM_OPT_ENABLE, LJMM_OPT_STATS, LJMM_OPT_DEBUG};
	for (size_t o = 0; o < NELEM(ids); o++) {
		const ljmm_option_t *opt = &ljmm_options[ids[o]];
		ck_assert_int_eq(opt->kind, LJMM_KIND_BOOL);
		for (size_t i = 0; i < NELEM(bool_good); i++) {
			char sp[3][64];
			spellings(bool_good[i].text, sp);
			for (int k = 0; k < 3; k++) {
				uint64_t v = 99;
				ck_assert_msg(ljmm_optparse_parse(opt, sp[k], &v) == 0, "%s='%s' rejected", opt->name, sp[k]);
				ck_assert_msg(v == bool_good[i].value, "%s='%s' gave %llu", opt->name, sp[k],
					      (unsigned long long)v);
			}
		}
		for (size_t i = 0; i < NELEM(bool_bad); i++) {
			uint64_t v;
			ck_assert_msg(ljmm_optparse_parse(opt, bool_bad[i], &v) == -EINVAL, "%s='%s' accepted", opt->name,
				      bool_bad[i]);
		}
		uint64_t v;
		ck_assert_int_eq(ljmm_optparse_parse(opt, NULL, &v), -EINVAL);
	}
}
END_TEST

static const struct {
	ljmm_opt_id_t id;
	const char *text;
	int ret;
	uint64_t value;
} word_cases[] = {
	{LJMM_OPT_POLICY, "kernel-first", 0, LJMM_POLICY_KERNEL_FIRST},
	{LJMM_OPT_POLICY, "region-first", 0, LJMM_POLICY_REGION_FIRST},
	{LJMM_OPT_POLICY, "kernel", -EINVAL, 0},
	{LJMM_OPT_POLICY, "region", -EINVAL, 0},
	{LJMM_OPT_POLICY, "kernelfirst", -EINVAL, 0},
	{LJMM_OPT_POLICY, "kernel_first", -EINVAL, 0},
	{LJMM_OPT_POLICY, "kernel-first ", -EINVAL, 0},
	{LJMM_OPT_POLICY, " kernel-first", -EINVAL, 0},
	{LJMM_OPT_POLICY, "region-firstx", -EINVAL, 0},
	{LJMM_OPT_POLICY, "first", -EINVAL, 0},
	{LJMM_OPT_POLICY, "", -EINVAL, 0},
	{LJMM_OPT_POLICY, "0", -EINVAL, 0},
	{LJMM_OPT_POLICY, "on", -EINVAL, 0},
	{LJMM_OPT_GUARD, "off", 0, LJMM_GUARD_OFF},
	{LJMM_OPT_GUARD, "on", 0, LJMM_GUARD_ON},
	{LJMM_OPT_GUARD, "lazy", 0, LJMM_GUARD_LAZY},
	{LJMM_OPT_GUARD, "1", -EINVAL, 0},
	{LJMM_OPT_GUARD, "yes", -EINVAL, 0},
	{LJMM_OPT_GUARD, "true", -EINVAL, 0},
	{LJMM_OPT_GUARD, "laz", -EINVAL, 0},
	{LJMM_OPT_GUARD, "lazyy", -EINVAL, 0},
	{LJMM_OPT_GUARD, "", -EINVAL, 0},
};

START_TEST(test_config_parse_words)
{
	for (size_t i = 0; i < NELEM(word_cases); i++) {
		const ljmm_option_t *opt = &ljmm_options[word_cases[i].id];
		char sp[3][64];
		ck_assert_int_eq(opt->kind, LJMM_KIND_WORD);
		spellings(word_cases[i].text, sp);
		for (int k = 0; k < 3; k++) {
			uint64_t v = 99;
			int ret = ljmm_optparse_parse(opt, sp[k], &v);
			ck_assert_msg(ret == word_cases[i].ret, "%s='%s': ret %d", opt->name, sp[k], ret);
			if (ret == 0)
				ck_assert_msg(v == word_cases[i].value, "%s='%s': %llu", opt->name, sp[k],
					      (unsigned long long)v);
		}
	}
}
END_TEST

START_TEST(test_config_parse_path)
{
	static char long_path[4097];
	uint64_t v;
	ck_assert_int_eq(ljmm_optparse_parse(OPT(LOG_FILE), "/tmp/ljmm.log", &v), 0);
	memset(long_path, 'p', 4095);
	long_path[0] = '/';
	long_path[4095] = 0;
	ck_assert_int_eq(ljmm_optparse_parse(OPT(LOG_FILE), long_path, &v), 0);
	long_path[4095] = 'p';
	long_path[4096] = 0;
	ck_assert_int_eq(ljmm_optparse_parse(OPT(LOG_FILE), long_path, &v), -ERANGE);
	ck_assert_int_eq(ljmm_optparse_parse(OPT(LOG_FILE), "", &v), -EINVAL);
}
END_TEST

/* ---- ljmm_config_load_with --------------------------------------------------------------- */

START_TEST(test_config_load_without_variables)
{
	const char *out = load(NULL, 0);
	ck_assert_str_eq(out, "");
	expect_defaults_except(0, "no variables");
	/* Every option was looked up exactly once, under its own name only. */
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++)
		ck_assert_msg(lookups[i] == 1, "%s looked up %u times", ljmm_options[i].name, lookups[i]);
	ck_assert_uint_eq(stray_lookups, 0);
}
END_TEST

static const kv_t all_valid[] = {
	{"LJMM_ENABLE", "off"},        {"LJMM_POLICY", "Region-First"}, {"LJMM_GUARD", "lazy"},
	{"LJMM_GUARD_RESERVE", "16M"}, {"LJMM_REGION_LO", "1M"},       {"LJMM_REGION_HI", "0x40000000"},
	{"LJMM_STATS", "YES"},         {"LJMM_DEBUG", "true"},         {"LJMM_LOG_FILE", "/tmp/ljmm test.log"},
	{"LJMM_UNKNOWN", "whatever"},
};

static const struct {
	kv_t kv;
	ljmm_opt_id_t id;
	uint64_t value;
} one_valid[] = {
	{{"LJMM_ENABLE", "0"}, LJMM_OPT_ENABLE, 0},
	{{"LJMM_ENABLE", "on"}, LJMM_OPT_ENABLE, 1},
	{{"LJMM_POLICY", "region-first"}, LJMM_OPT_POLICY, LJMM_POLICY_REGION_FIRST},
	{{"LJMM_GUARD", "OFF"}, LJMM_OPT_GUARD, LJMM_GUARD_OFF},
	{{"LJMM_GUARD_RESERVE", "1G"}, LJMM_OPT_GUARD_RESERVE, G},
	{{"LJMM_REGION_LO", "0x100000"}, LJMM_OPT_REGION_LO, M},
	{{"LJMM_REGION_HI", "1G"}, LJMM_OPT_REGION_HI, G},
	{{"LJMM_STATS", "1"}, LJMM_OPT_STATS, 1},
	{{"LJMM_DEBUG", "On"}, LJMM_OPT_DEBUG, 1},
};

START_TEST(test_config_valid_values_take_effect)
{
	const char *out = load(all_valid, NELEM(all_valid));
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_ENABLE), 0);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_POLICY), LJMM_POLICY_REGION_FIRST);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_GUARD), LJMM_GUARD_LAZY);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_GUARD_RESERVE), 16 * M);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_REGION_LO), M);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_REGION_HI), G);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_STATS), 1);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_DEBUG), 1);
	ck_assert(ljmm_config_is_set(LJMM_OPT_LOG_FILE));

	for (size_t i = 0; i < NELEM(one_valid); i++) {
		out = load(&one_valid[i].kv, 1);
		ck_assert_msg(out[0] == 0, "%s=%s: output '%s'", one_valid[i].kv.name, one_valid[i].kv.value, out);
		ck_assert_msg(ljmm_config_get(one_valid[i].id) == one_valid[i].value, "%s=%s: got %llu",
			      one_valid[i].kv.name, one_valid[i].kv.value,
			      (unsigned long long)ljmm_config_get(one_valid[i].id));
		expect_defaults_except(1u << one_valid[i].id, one_valid[i].kv.name);
	}

	/* A second load starts again from the defaults. */
	out = load(NULL, 0);
	ck_assert_str_eq(out, "");
	expect_defaults_except(0, "reload");
}
END_TEST

static const struct {
	kv_t kv;
	const char *why; /* "not valid" or "out of range" */
} one_invalid[] = {
	{{"LJMM_ENABLE", "maybe"}, "not valid"},
	{{"LJMM_ENABLE", "2"}, "not valid"},
	{{"LJMM_ENABLE", ""}, "not valid"},
	{{"LJMM_POLICY", "kernel"}, "not valid"},
	{{"LJMM_POLICY", "on"}, "not valid"},
	{{"LJMM_GUARD", "yes"}, "not valid"},
	{{"LJMM_GUARD_RESERVE", "2G"}, "out of range"},
	{{"LJMM_GUARD_RESERVE", "12Q"}, "not valid"},
	{{"LJMM_REGION_LO", "0"}, "out of range"},
	{{"LJMM_REGION_LO", "-1"}, "not valid"},
	{{"LJMM_REGION_LO", "99999999999999999999"}, "out of range"},
	{{"LJMM_REGION_HI", "4G"}, "out of range"},
	{{"LJMM_REGION_HI", "0x"}, "not valid"},
	{{"LJMM_STATS", "enabled"}, "not valid"},
	{{"LJMM_DEBUG", "on off"}, "not valid"},
};

/* out is exactly one line that names the option and the value, and says what is accepted. */
static void expect_one_error_line(const char *out, const char *name, const char *value, const char *what)
{
	const ljmm_option_t *opt = &ljmm_options[id_of(name)];
	char quoted[128];
	ck_assert_msg(count_lines(out) == 1, "%s: %u lines: '%s'", what, count_lines(out), out);
	ck_assert_msg(out[strlen(out) - 1] == '\n', "%s: the line does not end the output", what);
	ck_assert_msg(strstr(out, name) != NULL, "%s: no variable name in '%s'", what, out);
	ck_assert_msg(strstr(out, describe(opt)) != NULL, "%s: '%s' does not say '%s'", what, out, describe(opt));
	if (value) {
		snprintf(quoted, sizeof quoted, "'%s'", value);
		ck_assert_msg(strstr(out, quoted) != NULL, "%s: no value %s in '%s'", what, quoted, out);
	}
}

START_TEST(test_config_invalid_value_one_line)
{
	for (size_t i = 0; i < NELEM(one_invalid); i++) {
		const kv_t *kv = &one_invalid[i].kv;
		const char *out = load(kv, 1);
		expect_one_error_line(out, kv->name, kv->value, kv->name);
		ck_assert_msg(strstr(out, one_invalid[i].why) != NULL, "%s='%s': '%s' lacks '%s'", kv->name, kv->value,
			      out, one_invalid[i].why);
		expect_defaults_except(0, kv->name);
	}
}
END_TEST

START_TEST(test_config_several_invalid_one_line_each)
{
	static const kv_t env[] = {
		{"LJMM_ENABLE", "nope"},   {"LJMM_POLICY", "region-first"}, {"LJMM_GUARD", "sometimes"},
		{"LJMM_STATS", "on"},      {"LJMM_REGION_HI", "3G"},        {"LJMM_LOG_FILE", "/tmp/x.log"},
	};
	const char *out = load(env, NELEM(env));
	const char *line = out;
	static const char *const bad[] = {"LJMM_ENABLE", "LJMM_GUARD", "LJMM_REGION_HI"};
	ck_assert_uint_eq(count_lines(out), 3);
	/* In table order, one option per line. */
	for (size_t i = 0; i < NELEM(bad); i++) {
		const char *nl = strchr(line, '\n');
		char buf[1024];
		ck_assert_ptr_nonnull(nl);
		ck_assert_uint_lt((size_t)(nl - line), sizeof buf);
		memcpy(buf, line, (size_t)(nl - line));
		buf[nl - line] = 0;
		ck_assert_msg(strstr(buf, bad[i]) != NULL, "line %zu '%s' lacks %s", i, buf, bad[i]);
		line = nl + 1;
	}
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_ENABLE), OPT(ENABLE)->def);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_GUARD), OPT(GUARD)->def);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_REGION_HI), OPT(REGION_HI)->def);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_POLICY), LJMM_POLICY_REGION_FIRST);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_STATS), 1);
	ck_assert(ljmm_config_is_set(LJMM_OPT_LOG_FILE));
}
END_TEST

START_TEST(test_config_unsafe_value_quoted_on_one_line)
{
	static char long_value[10001], long_ctl[5001];
	memset(long_value, 'A', 10000);
	for (size_t i = 0; i < 5000; i++)
		long_ctl[i] = (char)(i % 3 == 0 ? '\n' : i % 3 == 1 ? '\x1b' : 'x');
	const char *values[] = {
		"on\nLJMM_FAKE=1",
		"\x1b[31mred\x1b[0m",
		"tab\there",
		"\r",
		"caf\xc3\xa9",
		"\x7f\x01\x02",
		long_value,
		long_ctl,
	};
	for (unsigned o = 0; o < LJMM_OPT_COUNT; o++) {
		for (size_t i = 0; i < NELEM(values); i++) {
			kv_t kv = {ljmm_options[o].name, values[i]};
			if (ljmm_options[o].kind == LJMM_KIND_PATH && strlen(values[i]) < 4096)
				continue; /* a legal path */
			const char *out = load(&kv, 1);
			size_t len = strlen(out);
			expect_one_error_line(out, kv.name, NULL, kv.name);
			ck_assert_msg(len <= 512, "%s value %zu: a line of %zu bytes", kv.name, i, len);
			for (size_t k = 0; k + 1 < len; k++)
				ck_assert_msg((unsigned char)out[k] >= 0x20 && (unsigned char)out[k] < 0x7f,
					      "%s value %zu: byte %#x at %zu", kv.name, i, (unsigned char)out[k], k);
			ck_assert_msg(strstr(out, "keeping the default") != NULL, "%s: cut short: '%s'", kv.name, out);
			expect_defaults_except(0, kv.name);
		}
	}
}
END_TEST

static const struct {
	const char *lo, *hi; /* NULL: not set */
	unsigned lines;
	uint64_t want_lo, want_hi;
} bounds_cases[] = {
	{"1G", "1G", 1, 64 * K, 2 * G},
	{"1M", "64K", 1, 64 * K, 2 * G},
	{"0x40000001", "0x40000fff", 1, 64 * K, 2 * G}, /* equal only after rounding */
	{NULL, "64K", 1, 64 * K, 2 * G},
	{NULL, "32K", 1, 64 * K, 2 * G},
	{"2G", "16K", 2, 64 * K, 2 * G}, /* LO out of range, then the default LO is above HI */
	{"zz", "32K", 2, 64 * K, 2 * G},
	{"0x7ffff000", NULL, 0, 2 * G - 4 * K, 2 * G},
	{"4K", "8K", 0, 4 * K, 8 * K},
	{"64K", "0x11000", 0, 64 * K, 68 * K},
};

START_TEST(test_config_region_lo_below_hi)
{
	for (size_t i = 0; i < NELEM(bounds_cases); i++) {
		kv_t env[2];
		size_t n = 0;
		if (bounds_cases[i].lo)
			env[n++] = (kv_t){"LJMM_REGION_LO", bounds_cases[i].lo};
		if (bounds_cases[i].hi)
			env[n++] = (kv_t){"LJMM_REGION_HI", bounds_cases[i].hi};
		const char *out = load(env, n);
		ck_assert_msg(count_lines(out) == bounds_cases[i].lines, "case %zu: %u lines: '%s'", i,
			      count_lines(out), out);
		if (bounds_cases[i].lines)
			ck_assert_msg(strstr(out, "LJMM_REGION_LO") && strstr(out, "LJMM_REGION_HI"),
				      "case %zu: '%s'", i, out);
		ck_assert_msg(ljmm_config_get(LJMM_OPT_REGION_LO) == bounds_cases[i].want_lo, "case %zu: lo %#llx", i,
			      (unsigned long long)ljmm_config_get(LJMM_OPT_REGION_LO));
		ck_assert_msg(ljmm_config_get(LJMM_OPT_REGION_HI) == bounds_cases[i].want_hi, "case %zu: hi %#llx", i,
			      (unsigned long long)ljmm_config_get(LJMM_OPT_REGION_HI));
		ck_assert_msg(ljmm_config_get(LJMM_OPT_REGION_LO) < ljmm_config_get(LJMM_OPT_REGION_HI), "case %zu", i);
	}
}
END_TEST

static const struct {
	kv_t kv;
	ljmm_opt_id_t id;
	uint64_t value;
} rounding_cases[] = {
	{{"LJMM_REGION_LO", "4097"}, LJMM_OPT_REGION_LO, 8192},
	{{"LJMM_REGION_LO", "65536"}, LJMM_OPT_REGION_LO, 65536},
	{{"LJMM_REGION_LO", "0x10001"}, LJMM_OPT_REGION_LO, 0x11000},
	{{"LJMM_REGION_LO", "0x7fffefff"}, LJMM_OPT_REGION_LO, 0x7ffff000},
	{{"LJMM_REGION_HI", "1048577"}, LJMM_OPT_REGION_HI, 1048576},
	{{"LJMM_REGION_HI", "2147483647"}, LJMM_OPT_REGION_HI, 2147479552},
	{{"LJMM_REGION_HI", "0x20fff"}, LJMM_OPT_REGION_HI, 0x20000},
	{{"LJMM_GUARD_RESERVE", "1"}, LJMM_OPT_GUARD_RESERVE, 4096},
	{{"LJMM_GUARD_RESERVE", "4097"}, LJMM_OPT_GUARD_RESERVE, 8192},
	{{"LJMM_GUARD_RESERVE", "0"}, LJMM_OPT_GUARD_RESERVE, 0},
};

START_TEST(test_config_rounds_to_pages)
{
	for (size_t i = 0; i < NELEM(rounding_cases); i++) {
		const char *out = load(&rounding_cases[i].kv, 1);
		ck_assert_msg(out[0] == 0, "%s=%s: '%s'", rounding_cases[i].kv.name, rounding_cases[i].kv.value, out);
		ck_assert_msg(ljmm_config_get(rounding_cases[i].id) == rounding_cases[i].value, "%s=%s: %#llx, want %#llx",
			      rounding_cases[i].kv.name, rounding_cases[i].kv.value,
			      (unsigned long long)ljmm_config_get(rounding_cases[i].id),
			      (unsigned long long)rounding_cases[i].value);
	}
}
END_TEST

START_TEST(test_config_long_path_rejected)
{
	static char long_path[5001];
	memset(long_path, 'q', 5000);
	long_path[0] = '/';
	kv_t kv = {"LJMM_LOG_FILE", long_path};
	const char *out = load(&kv, 1);
	expect_one_error_line(out, "LJMM_LOG_FILE", NULL, "long path");
	ck_assert_ptr_nonnull(strstr(out, "out of range"));
	ck_assert(!ljmm_config_is_set(LJMM_OPT_LOG_FILE));
	long_path[4095] = 0; /* 4095 bytes: accepted whole */
	out = load(&kv, 1);
	ck_assert_str_eq(out, "");
	ck_assert(ljmm_config_is_set(LJMM_OPT_LOG_FILE));
}
END_TEST

/* ---- describe and the table ------------------------------------------------------------- */

static const struct {
	ljmm_opt_id_t id;
	const char *has[3];
} describe_cases[] = {
	{LJMM_OPT_ENABLE, {"on", "off", NULL}},
	{LJMM_OPT_POLICY, {"kernel-first", "region-first", NULL}},
	{LJMM_OPT_GUARD, {"off", "on", "lazy"}},
	{LJMM_OPT_GUARD_RESERVE, {"0", "1G", NULL}},
	{LJMM_OPT_REGION_LO, {"4K", "2097148K", NULL}},
	{LJMM_OPT_REGION_HI, {"8K", "2G", NULL}},
	{LJMM_OPT_LOG_FILE, {"path", NULL, NULL}},
};

START_TEST(test_config_describe_each_kind)
{
	for (size_t i = 0; i < NELEM(describe_cases); i++) {
		const ljmm_option_t *opt = &ljmm_options[describe_cases[i].id];
		char d[257];
		memset(d, '#', sizeof d);
		ljmm_optparse_describe(opt, d, 256);
		ck_assert_int_eq(d[256], '#');
		ck_assert_msg(memchr(d, 0, 256) != NULL, "%s: not terminated", opt->name);
		ck_assert_msg(strlen(d) > 0 && strlen(d) < 255, "%s: '%s'", opt->name, d);
		for (int k = 0; k < 3 && describe_cases[i].has[k]; k++)
			ck_assert_msg(strstr(d, describe_cases[i].has[k]) != NULL, "%s: '%s' lacks '%s'", opt->name, d,
				      describe_cases[i].has[k]);
		/* Small buffers: cut, terminated, never overrun. */
		for (unsigned cap = 0; cap < 12; cap++) {
			char s[16];
			memset(s, '#', sizeof s);
			ljmm_optparse_describe(opt, s, cap);
			for (unsigned k = cap; k < sizeof s; k++)
				ck_assert_msg(s[k] == '#', "%s: cap %u wrote byte %u", opt->name, cap, k);
			if (cap) {
				ck_assert_uint_eq(strlen(s), cap - 1);
				ck_assert(strncmp(s, d, cap - 1) == 0);
			}
		}
	}
	/* A kind the table does not use, through our own option. */
	char d[256];
	ljmm_optparse_describe(&size_4k_1m, d, sizeof d);
	ck_assert_msg(strstr(d, "4K") && strstr(d, "1M"), "'%s'", d);
}
END_TEST

static const struct {
	ljmm_opt_id_t id;
	const char *name;
	ljmm_opt_kind_t kind;
} table_names[] = {
	{LJMM_OPT_ENABLE, "LJMM_ENABLE", LJMM_KIND_BOOL},
	{LJMM_OPT_POLICY, "LJMM_POLICY", LJMM_KIND_WORD},
	{LJMM_OPT_GUARD, "LJMM_GUARD", LJMM_KIND_WORD},
	{LJMM_OPT_GUARD_RESERVE, "LJMM_GUARD_RESERVE", LJMM_KIND_SIZE},
	{LJMM_OPT_REGION_LO, "LJMM_REGION_LO", LJMM_KIND_SIZE},
	{LJMM_OPT_REGION_HI, "LJMM_REGION_HI", LJMM_KIND_SIZE},
	{LJMM_OPT_STATS, "LJMM_STATS", LJMM_KIND_BOOL},
	{LJMM_OPT_DEBUG, "LJMM_DEBUG", LJMM_KIND_BOOL},
	{LJMM_OPT_LOG_FILE, "LJMM_LOG_FILE", LJMM_KIND_PATH},
	{LJMM_OPT_WARN, "LJMM_WARN", LJMM_KIND_PERCENTS},
};

START_TEST(test_config_option_table_sane)
{
	ck_assert_uint_eq(NELEM(table_names), LJMM_OPT_COUNT);
	for (size_t i = 0; i < NELEM(table_names); i++) {
		const ljmm_option_t *opt = &ljmm_options[table_names[i].id];
		ck_assert_str_eq(opt->name, table_names[i].name);
		ck_assert_int_eq(opt->kind, table_names[i].kind);
	}
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++) {
		const ljmm_option_t *opt = &ljmm_options[i];
		ck_assert_ptr_nonnull(opt->name);
		ck_assert_msg(strncmp(opt->name, "LJMM_", 5) == 0 && opt->name[5], "option %u: '%s'", i, opt->name);
		ck_assert_msg(opt->help && opt->help[0], "%s: no help", opt->name);
		ck_assert_msg(!strchr(opt->help, '\n'), "%s: help is not one line", opt->name);
		for (unsigned j = 0; j < i; j++)
			ck_assert_msg(strcmp(opt->name, ljmm_options[j].name) != 0, "%s twice", opt->name);
		switch (opt->kind) {
		case LJMM_KIND_SIZE:
			ck_assert_msg(opt->min <= opt->def && opt->def <= opt->max, "%s: default %llu not in [%llu, %llu]",
				      opt->name, (unsigned long long)opt->def, (unsigned long long)opt->min,
				      (unsigned long long)opt->max);
			break;
		case LJMM_KIND_BOOL:
		case LJMM_KIND_WORD: {
			uint64_t n = 0;
			ck_assert_ptr_nonnull(opt->words);
			while (opt->words[n])
				n++;
			ck_assert_msg(opt->min == 0 && opt->max + 1 == n && opt->def <= opt->max, "%s: %llu words",
				      opt->name, (unsigned long long)n);
			/* The default's word parses back to the default. */
			uint64_t v = 99;
			ck_assert_int_eq(ljmm_optparse_parse(opt, opt->words[opt->def], &v), 0);
			ck_assert_uint_eq(v, opt->def);
			break;
		}
		case LJMM_KIND_PATH:
			break;
		case LJMM_KIND_PERCENTS: {
			/* The default, as the docs write it, parses back to itself. */
			char text[64];
			uint64_t v = 99;
			ljmm_optparse_format(opt, opt->def, text, sizeof text);
			ck_assert_int_eq(ljmm_optparse_parse(opt, text, &v), 0);
			ck_assert_uint_eq(v, opt->def);
			break;
		}
		default:
			ck_abort_msg("%s: unknown kind %d", opt->name, (int)opt->kind);
		}
	}
	/* The enums name the right words. */
	ck_assert_str_eq(OPT(POLICY)->words[LJMM_POLICY_KERNEL_FIRST], "kernel-first");
	ck_assert_str_eq(OPT(POLICY)->words[LJMM_POLICY_REGION_FIRST], "region-first");
	ck_assert_str_eq(OPT(GUARD)->words[LJMM_GUARD_OFF], "off");
	ck_assert_str_eq(OPT(GUARD)->words[LJMM_GUARD_ON], "on");
	ck_assert_str_eq(OPT(GUARD)->words[LJMM_GUARD_LAZY], "lazy");
	/* The defaults form a valid region. */
	ck_assert_uint_lt(OPT(REGION_LO)->def, OPT(REGION_HI)->def);
	ck_assert_uint_eq(OPT(REGION_LO)->def % 4096, 0);
	ck_assert_uint_eq(OPT(REGION_HI)->def % 4096, 0);
	ck_assert_uint_le(OPT(REGION_HI)->max, 2 * G);
}
END_TEST

/* ---- LJMM_WARN's percentages ------------------------------------------------------------- */

#define P2(a, b) ((uint64_t)(a) | ((uint64_t)(b) << 8))
#define P3(a, b, c) (P2(a, b) | ((uint64_t)(c) << 16))

static const struct {
	const char *text;
	int ret;
	uint64_t value;
	const char *formatted; /* how it is written back, NULL when rejected */
} percent_cases[] = {
	{"90%", 0, 90, "90%"},
	{"90", 0, 90, "90%"},
	{"1%", 0, 1, "1%"},
	{"100%", 0, 100, "100%"},
	{"80%,95%", 0, P2(80, 95), "80%,95%"},
	{"95%,80%", 0, P2(80, 95), "80%,95%"},       /* sorted */
	{"80,95%,80%", 0, P2(80, 95), "80%,95%"},    /* repeated values count once */
	{"50%,75%,90%", 0, P3(50, 75, 90), "50%,75%,90%"},
	{"10,20,30,40,50,60,70,80", 0, 0x50463c32281e140aull, "10%,20%,30%,40%,50%,60%,70%,80%"},
	{"off", 0, 0, "off"},
	{"OFF", 0, 0, "off"},
	{"0", 0, 0, "off"},
	{"no", 0, 0, "off"},
	{"0%", -ERANGE, 0, NULL},
	{"101%", -ERANGE, 0, NULL},
	{"99999999999999999999", -ERANGE, 0, NULL},
	{"10,20,30,40,50,60,70,80,90", -ERANGE, 0, NULL}, /* nine */
	{"", -EINVAL, 0, NULL},
	{"%", -EINVAL, 0, NULL},
	{"90%%", -EINVAL, 0, NULL},
	{"90,", -EINVAL, 0, NULL},
	{",90", -EINVAL, 0, NULL},
	{"80%,,95%", -EINVAL, 0, NULL},
	{"80% 95%", -EINVAL, 0, NULL},
	{"80%;95%", -EINVAL, 0, NULL},
	{"-5%", -EINVAL, 0, NULL},
	{"95.5%", -EINVAL, 0, NULL},
	{"on", -EINVAL, 0, NULL},
	{"90%,x", -EINVAL, 0, NULL},
};

START_TEST(test_config_parse_percents)
{
	for (size_t i = 0; i < NELEM(percent_cases); i++) {
		uint64_t v = 0xdeadbeef;
		char text[64];
		int r = ljmm_optparse_parse(OPT(WARN), percent_cases[i].text, &v);
		ck_assert_msg(r == percent_cases[i].ret, "'%s': %d, want %d", percent_cases[i].text, r,
			      percent_cases[i].ret);
		if (r) {
			ck_assert_msg(v == 0xdeadbeef, "'%s': rejected but written", percent_cases[i].text);
			continue;
		}
		ck_assert_msg(v == percent_cases[i].value, "'%s': %#llx, want %#llx", percent_cases[i].text,
			      (unsigned long long)v, (unsigned long long)percent_cases[i].value);
		ljmm_optparse_format(OPT(WARN), v, text, sizeof text);
		ck_assert_str_eq(text, percent_cases[i].formatted);
	}
}
END_TEST

/* ljmm_config_is_set: only for values given and accepted. */
START_TEST(test_config_is_set_only_when_accepted)
{
	const kv_t kv[] = {{"LJMM_WARN", "80%"}, {"LJMM_GUARD", "sideways"}, {"LJMM_STATS", "on"}};
	(void)load(kv, NELEM(kv));
	ck_assert(ljmm_config_is_set(LJMM_OPT_WARN));
	ck_assert(ljmm_config_is_set(LJMM_OPT_STATS));
	ck_assert(!ljmm_config_is_set(LJMM_OPT_GUARD));
	ck_assert(!ljmm_config_is_set(LJMM_OPT_POLICY));
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_WARN), 80);
	(void)load(NULL, 0);
	ck_assert(!ljmm_config_is_set(LJMM_OPT_WARN));
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_WARN), 90);
}
END_TEST

/* What the library does with an accepted LJMM_LOG_FILE: the log writes its lines there
 * (spaces and all), and to stderr again once the variable is gone. */
START_TEST(test_config_log_file_reaches_the_log)
{
	char dir[] = "/tmp/ljmm-config-XXXXXX", path[64], text[256] = "";
	ljmm_buf_t b;
	char storage[128];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ljmm test.log", dir);
	kv_t kv = {"LJMM_LOG_FILE", path};
	ck_assert_str_eq(load(&kv, 1), "");
	ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_NOTICE);
	ljmm_buf_str(&b, "to the configured file");
	ck_assert_int_eq(ljmm_log_end(&b), 0);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(read(fd, text, sizeof text - 1), 0);
	close(fd);
	ck_assert_msg(strstr(text, "to the configured file\n") != NULL, "'%s'", text);
	(void)load(NULL, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- the real environment (needs a fresh process: the table loads once) ------------------ */

START_TEST(test_config_load_from_environment_once)
{
	ck_assert_int_eq(setenv("LJMM_POLICY", "region-first", 1), 0);
	ck_assert_int_eq(setenv("LJMM_REGION_HI", "1G", 1), 0);
	ljmm_config_load();
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_POLICY), LJMM_POLICY_REGION_FIRST);
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_REGION_HI), G);
	ck_assert_int_eq(setenv("LJMM_POLICY", "kernel-first", 1), 0);
	ljmm_config_load();
	ck_assert_uint_eq(ljmm_config_get(LJMM_OPT_POLICY), LJMM_POLICY_REGION_FIRST);
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_config_get_before_load_is_default, 1},
	{&test_config_parse_sizes, 1},
	{&test_config_parse_booleans, 1},
	{&test_config_parse_words, 1},
	{&test_config_parse_path, 1},
	{&test_config_load_without_variables, 1},
	{&test_config_valid_values_take_effect, 1},
	{&test_config_invalid_value_one_line, 1},
	{&test_config_several_invalid_one_line_each, 1},
	{&test_config_unsafe_value_quoted_on_one_line, 1},
	{&test_config_region_lo_below_hi, 1},
	{&test_config_rounds_to_pages, 1},
	{&test_config_long_path_rejected, 1},
	{&test_config_describe_each_kind, 1},
	{&test_config_option_table_sane, 1},
	{&test_config_parse_percents, 1},
	{&test_config_is_set_only_when_accepted, 1},
	{&test_config_log_file_reaches_the_log, 1},
};

/* The table loads from the environment once a process: that test needs a fresh one. */
static const ljmm_unit_test_t forked[] = {
	{&test_config_load_from_environment_once, 1},
};

const ljmm_unit_t ljmm_unit = {
	.name = "config", .timeout = 0, .needs_fork = 0, .tests = tests, .count = NELEM(tests),
	.forked = forked, .forked_count = NELEM(forked)};
