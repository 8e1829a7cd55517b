/* SPDX-License-Identifier: MIT */
/* Malformed environment values, for every option in ljmm_options[]: each case runs the
 * probe (probe.c) under LD_PRELOAD with one variable set to a bad value and checks that
 *   - the probe exits normally (status 0);
 *   - stderr holds exactly one line from the configuration, and it is exactly
 *     "TIME [error] ljmm[PID]: NAME='VALUE' is not valid|is out of range: expected
 *     WHAT; keeping the default DEFAULT" with VALUE quoted as documented (unprintable bytes as '?', at
 *     most 64 bytes, then "..."), and nothing else (LJMM_STATS and LJMM_DEBUG stay off);
 *   - the probe's observations (guard state, reserve, policy, region bounds, whether
 *     the region served) are those of a run without the variable, which are checked
 *     against the table's defaults first.
 * LJMM_LOG_FILE accepts any path shorter than 4096 bytes, so only the empty and
 * over-long values are bad for it; its cases run with LJMM_STATS=on and require the
 * statistics on stderr (the default destination). Cases: a fixed list for every kind
 * (all must be rejected) plus values generated from each option's bounds and words
 * (those the parser accepts are skipped and counted).
 *
 *   badinput SHIM PROBE          prints how many cases it ran; exit 0 when all pass
 *   badinput - PROBE             the same with the link form (ljmm.o) linked into PROBE
 *                                (tests/link/): no LD_PRELOAD; the same lines are required */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/testutil.h"
#include "config.h"

#define MAX_OUT 65536

extern char **environ;

static const char *shim, *probe;
static char baseline[4096];
static unsigned cases, failures, skipped;

typedef struct {
	int status;
	char out[MAX_OUT], err[MAX_OUT];
} result_t;

static void slurp(int fd, char *buf)
{
	ssize_t n = pread(fd, buf, MAX_OUT - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
}

/* Run the probe with a clean LJMM_* environment plus the given NAME=VALUE strings. */
static void run(const char *const *vars, size_t nvars, result_t *res)
{
	size_t n = 0, cap = 16 + nvars;
	char **env, *pre;
	int fo = memfd_create("out", 0), fe = memfd_create("err", 0);
	pid_t pid;
	for (char **e = environ; *e; e++)
		cap++;
	env = calloc(cap, sizeof *env);
	if (!env || fo < 0 || fe < 0 || asprintf(&pre, "LD_PRELOAD=%s", shim) < 0) {
		perror("badinput");
		exit(2);
	}
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "LJMM_", 5) != 0 && strncmp(*e, "LD_PRELOAD=", 11) != 0)
			env[n++] = *e;
	if (strcmp(shim, "-") != 0)
		env[n++] = pre;
	/* The probe fills the low 2 GiB: without this, the default LJMM_WARN=90% adds its two
	 * warning lines to every run. LJMM_WARN's own cases set it and expect them. */
	{
		int warn_set = 0;
		for (size_t i = 0; i < nvars; i++)
			warn_set |= strncmp(vars[i], "LJMM_WARN=", 10) == 0;
		if (!warn_set)
			env[n++] = "LJMM_WARN=off";
	}
	for (size_t i = 0; i < nvars; i++)
		env[n++] = (char *)vars[i];
	env[n] = NULL;
	pid = fork();
	if (pid == 0) {
		char *argv[] = {(char *)probe, NULL};
		dup2(fo, 1);
		dup2(fe, 2);
		execve(probe, argv, env);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &res->status, 0) != pid) {
		perror("badinput: fork/wait");
		exit(2);
	}
	slurp(fo, res->out);
	slurp(fe, res->err);
	free(pre);
	free(env);
}

/* The shortest exact size, as the shim writes it: 1G, 64K, 4095. */
static void size_text(uint64_t v, char *dst, size_t cap)
{
	if (v && v % G == 0)
		snprintf(dst, cap, "%lluG", (unsigned long long)(v / G));
	else if (v && v % M == 0)
		snprintf(dst, cap, "%lluM", (unsigned long long)(v / M));
	else if (v && v % K == 0)
		snprintf(dst, cap, "%lluK", (unsigned long long)(v / K));
	else
		snprintf(dst, cap, "%llu", (unsigned long long)v);
}

/* The line the shim must print for a rejected value (written independently of config.c,
 * except for the description of what is accepted, which ljmm_optparse_describe gives). */
static void expected_line(const ljmm_option_t *opt, const char *value, int why, char *dst, size_t cap)
{
	char quoted[128], what[512], def[64];
	size_t q = 0, n;
	for (n = 0; value[n] && n < 64; n++)
		quoted[q++] = (value[n] >= 0x20 && value[n] < 0x7f) ? value[n] : '?';
	quoted[q] = 0;
	ljmm_optparse_describe(opt, what, sizeof what);
	if (opt->kind == LJMM_KIND_SIZE)
		size_text(opt->def, def, sizeof def);
	else if (opt->kind == LJMM_KIND_PATH)
		snprintf(def, sizeof def, "stderr");
	else if (opt->kind == LJMM_KIND_PERCENTS)
		snprintf(def, sizeof def, "%llu%%", (unsigned long long)opt->def); /* one value */
	else
		snprintf(def, sizeof def, "%s", opt->words[opt->def]);
	snprintf(dst, cap, "%s='%s%s' is %s: expected %s; keeping the default %s\n", opt->name, quoted,
		 value[n] ? "..." : "", why == -ERANGE ? "out of range" : "not valid", what, def);
}

/* The text of a library line after its "2026-12-06T20:30:05.123Z [error] ljmm[PID]: "
 * prefix, when the line has one at level (NULL: any level); else NULL. */
static char *line_body(char *p, const char *level)
{
	char *at = p + 24, *end;
	if (strlen(p) < 24 || p[4] != '-' || p[10] != 'T' || p[23] != 'Z' || strncmp(at, " [", 2) != 0)
		return NULL;
	end = strstr(at, "] ljmm[");
	if (!end || (level && ((size_t)(end - at - 2) != strlen(level) || strncmp(at + 2, level, strlen(level)) != 0)))
		return NULL;
	end = strstr(end, "]: ");
	return end ? end + 3 : NULL;
}

/* The value for messages: C escapes, long ones shortened. */
static void printable(const char *s, char *dst, size_t cap)
{
	size_t n = 0, len = strlen(s);
	for (size_t i = 0; s[i] && n + 24 < cap; i++) {
		if (i == 40 && len > 48) {
			n += (size_t)snprintf(dst + n, cap - n, "...(%zu bytes)", len);
			break;
		}
		n += (size_t)snprintf(dst + n, cap - n, (s[i] >= 0x20 && s[i] < 0x7f) ? "%c" : "\\x%02x",
				      (unsigned char)s[i]);
	}
	dst[n] = 0;
}

#define BAD(...)                                          \
	do {                                              \
		printf("FAIL %s=%s: ", opt->name, shown); \
		printf(__VA_ARGS__);                      \
		printf("\n");                             \
		failures++;                               \
		return;                                   \
	} while (0)

static void one_case(const ljmm_option_t *opt, const char *value)
{
	static result_t res;
	char shown[256], want[1024], *var, *cfg = NULL;
	const char *vars[2];
	size_t nvars = 0, cfg_lines = 0, stat_lines = 0, other = 0;
	uint64_t v;
	int why = ljmm_optparse_parse(opt, value, &v);
	printable(value, shown, sizeof shown);
	cases++;
	if (why == 0)
		BAD("the test's case is a valid value (%llu)", (unsigned long long)v);
	if (asprintf(&var, "%s=%s", opt->name, value) < 0)
		exit(2);
	vars[nvars++] = var;
	if (opt->kind == LJMM_KIND_PATH)
		vars[nvars++] = "LJMM_STATS=on";
	run(vars, nvars, &res);
	free(var);
	for (char *p = res.err, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			BAD("stderr ends without a newline: '%s'", p);
		char *body = line_body(p, "error");
		if (body && strncmp(body, "LJMM_", 5) == 0) {
			cfg_lines++;
			cfg = body;
		} else if (line_body(p, NULL)) {
			stat_lines++;
		} else {
			other++;
		}
	}
	if (!WIFEXITED(res.status) || WEXITSTATUS(res.status) != 0)
		BAD("probe ended with status %#x; stderr: %s", res.status, res.err);
	if (cfg_lines != 1 || other)
		BAD("%zu configuration lines and %zu other lines on stderr: %s", cfg_lines, other, res.err);
	expected_line(opt, value, why, want, sizeof want);
	if (strncmp(cfg, want, strlen(want)) != 0)
		BAD("stderr line\n  %s  expected\n  %s", cfg, want);
	/* LJMM_LOG_FILE: the three statistics lines, on stderr; LJMM_WARN: its default's two
	 * warnings (90% crossed, the first failure); any other option: nothing. */
	if (stat_lines != (opt->kind == LJMM_KIND_PATH ? 3u : opt->kind == LJMM_KIND_PERCENTS ? 2u : 0u))
		BAD("%zu statistics/debug/warning lines on stderr (expected %d): %s", stat_lines,
		    opt->kind == LJMM_KIND_PATH ? 3 : opt->kind == LJMM_KIND_PERCENTS ? 2 : 0, res.err);
	if (strcmp(res.out, baseline) != 0)
		BAD("observations differ from the defaults:\n  got  %s  want %s", res.out, baseline);
}

static const char *const common[] = {
	"", "-1", "99999999999999999999", "0x1ffffffffffffffff", "abc", "12Q", " 1", "1 ", "0x", "1KK", "1.5",
	"\x01\x02\x1b[31mred\x7f\xff\t\r", "on\n", "\xc3\xa9t\xc3\xa9",
};

static void maybe_case(const ljmm_option_t *opt, const char *value)
{
	uint64_t v;
	if (ljmm_optparse_parse(opt, value, &v) == 0) {
		skipped++;
		return;
	}
	one_case(opt, value);
}

static void option_cases(const ljmm_option_t *opt, const char *huge, const char *len4096)
{
	char buf[128];
	if (opt->kind == LJMM_KIND_PATH) {
		/* Any other text is a path. */
		one_case(opt, "");
		one_case(opt, len4096);
		one_case(opt, huge);
		return;
	}
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
		one_case(opt, common[i]);
	one_case(opt, huge);
	switch (opt->kind) {
	case LJMM_KIND_BOOL:
	case LJMM_KIND_WORD:
		/* Unknown words: near misses of each accepted one, other options' words, numbers. */
		for (unsigned i = 0; opt->words[i]; i++) {
			size_t n = strlen(opt->words[i]);
			snprintf(buf, sizeof buf, "%sx", opt->words[i]);
			one_case(opt, buf);
			snprintf(buf, sizeof buf, "%.*s", (int)(n - 1), opt->words[i]);
			maybe_case(opt, buf);
			snprintf(buf, sizeof buf, "%s,%s", opt->words[i], opt->words[i]);
			one_case(opt, buf);
		}
		maybe_case(opt, "2");
		maybe_case(opt, "lazy");
		maybe_case(opt, "region_first");
		maybe_case(opt, "enabled");
		maybe_case(opt, "1");
		maybe_case(opt, "yes");
		break;
	case LJMM_KIND_SIZE:
		if (opt->min) {
			snprintf(buf, sizeof buf, "%llu", (unsigned long long)(opt->min - 1));
			one_case(opt, buf);
			one_case(opt, "0");
		}
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)(opt->max + 1));
		one_case(opt, buf);
		snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)(opt->max + 4096));
		one_case(opt, buf);
		maybe_case(opt, "3G");
		maybe_case(opt, "2049M");
		one_case(opt, "17179869184G"); /* 2^64: overflows only with the suffix */
		one_case(opt, "1T");
		one_case(opt, "1e3");
		one_case(opt, "+1");
		break;
	case LJMM_KIND_PATH:
		break;
	case LJMM_KIND_PERCENTS:
		one_case(opt, "0%");
		one_case(opt, "101%");
		one_case(opt, "90%%");
		one_case(opt, "90,");
		one_case(opt, ",90");
		one_case(opt, "80%,,95%");
		one_case(opt, "80% 95%");
		one_case(opt, "80%;95%");
		one_case(opt, "1,2,3,4,5,6,7,8,9");
		one_case(opt, "50%,101");
		one_case(opt, "90%,x");
		one_case(opt, "-5%");
		one_case(opt, "95.5%");
		maybe_case(opt, "90");
		maybe_case(opt, "off");
		break;
	}
}

int main(int argc, char **argv)
{
	static result_t res;
	char *huge = malloc(10001), *len4096 = malloc(4097), want[256];
	unsigned long long min_addr = 0;
	uint64_t lo;
	FILE *f;
	if (argc != 3 || !huge || !len4096) {
		fprintf(stderr, "usage: badinput SHIM|- PROBE\n");
		return 2;
	}
	shim = argv[1];
	probe = argv[2];
	memset(huge, 'A', 10000);
	huge[10000] = 0;
	memset(len4096, 'p', 4096);
	len4096[4096] = 0;

	/* The defaults, observed without any variable, against the table. */
	run(NULL, 0, &res);
	if (!WIFEXITED(res.status) || WEXITSTATUS(res.status) != 0 || res.err[0]) {
		printf("FAIL: the probe alone: status %#x, stderr '%s', stdout '%s'\n", res.status, res.err, res.out);
		return 1;
	}
	f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	if (!f || fscanf(f, "%llu", &min_addr) != 1)
		min_addr = 0;
	if (f)
		fclose(f);
	lo = ljmm_options[LJMM_OPT_REGION_LO].def;
	min_addr = (min_addr + 4095) & ~4095ull;
	if (lo < min_addr)
		lo = min_addr;
	snprintf(want, sizeof want,
		 "guard_start=%d guard_reserve=%llu first=%s region_used=%d region_lo=%#llx region_hi=%#llx verify=0 "
		 "reach_1800=1\n",
		 ljmm_options[LJMM_OPT_GUARD].def == LJMM_GUARD_ON ? 2 : -1,
		 (unsigned long long)ljmm_options[LJMM_OPT_GUARD_RESERVE].def,
		 ljmm_options[LJMM_OPT_POLICY].def == LJMM_POLICY_KERNEL_FIRST ? "kernel" : "region",
		 (int)ljmm_options[LJMM_OPT_ENABLE].def, (unsigned long long)lo,
		 (unsigned long long)ljmm_options[LJMM_OPT_REGION_HI].def);
	if (strcmp(res.out, want) != 0) {
		printf("FAIL: defaults observed\n  %s  expected from ljmm_options[]\n  %s", res.out, want);
		return 1;
	}
	memcpy(baseline, res.out, strlen(res.out) + 1); /* it equals want: short */
	printf("defaults: %s", baseline);

	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++) {
		unsigned before = cases, fail_before = failures;
		option_cases(&ljmm_options[i], huge, len4096);
		printf("%-20s %3u cases, %u failed\n", ljmm_options[i].name, cases - before, failures - fail_before);
	}

	/* Each value valid alone, but LO >= HI: one line, both defaults kept. */
	{
		const char *vars[] = {"LJMM_REGION_LO=1G", "LJMM_REGION_HI=1G"};
		cases++;
		run(vars, 2, &res);
		if (!WIFEXITED(res.status) || WEXITSTATUS(res.status) != 0 ||
		    !line_body(res.err, "error") || strchr(res.err, '\n') != res.err + strlen(res.err) - 1 ||
		    strcmp(line_body(res.err, "error"), "LJMM_REGION_LO must be below LJMM_REGION_HI (got 0x40000000 and 0x40000000); "
				     "keeping the defaults for both\n") != 0 ||
		    strcmp(res.out, baseline) != 0) {
			printf("FAIL LJMM_REGION_LO=1G with LJMM_REGION_HI=1G: status %#x stderr '%s' stdout '%s'\n",
			       res.status, res.err, res.out);
			failures++;
		}
	}
	printf("badinput: %u cases over %u options (%u generated values skipped as valid), %u failed\n", cases,
	       (unsigned)LJMM_OPT_COUNT, skipped, failures);
	free(huge);
	free(len4096);
	return failures ? 1 : 0;
}
