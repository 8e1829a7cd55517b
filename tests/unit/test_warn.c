/* SPDX-License-Identifier: MIT */
/* Warnings for operators (shim/warn.c), scripted against the fake kernel, with the exact
 * lines the shim prints: each usage threshold once, when first crossed (the highest of
 * several crossed at once); the first failure once, with the region's figures; a size
 * that reads as text ("HTTP") once more; where the lines go (LJMM_LOG_FILE); none with
 * LJMM_WARN=off. The region is [4 MiB, 104 MiB): 100 MiB, so sizes read as percentages. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/testutil.h"
#include "check_main.h"
#include "scenario.h"
#include "warn.h"

#define REGION "LJMM_REGION_LO=4M", "LJMM_REGION_HI=104M", "LJMM_POLICY=region-first", "LJMM_GUARD=off"

/* The window is full (so the kernel, asked last, says ENOMEM). */
static void start(const char *warn)
{
	SC_START(REGION, warn);
	ck_assert_int_eq(fk_map(G, 2 * G, RW), 0);
}

/* ---- thresholds ------------------------------------------------------------------------------ */

/* Each step maps (positive) or unmaps (negative, the last block mapped) MiB, and the
 * lines printed by then, in order. */
static const struct {
	const char *what;
	const char *warn;
	int steps[8];
	const char *lines;
} threshold_cases[] = {
	{"one threshold, crossed once", "LJMM_WARN=90", {80, 9, 1, -1, 1, 5, 0},
	 FK_LINE("warn") "ljmm[1000]: 90% of the low 2 GiB in use (90.0 MiB of 100.0 MiB)\n"},
	{"three, crossed one by one", "LJMM_WARN=50,75,90", {49, 1, 25, 15, 0},
	 FK_LINE("warn") "ljmm[1000]: 50% of the low 2 GiB in use (50.0 MiB of 100.0 MiB)\n"
	 FK_LINE("warn") "ljmm[1000]: 75% of the low 2 GiB in use (75.0 MiB of 100.0 MiB)\n"
	 FK_LINE("warn") "ljmm[1000]: 90% of the low 2 GiB in use (90.0 MiB of 100.0 MiB)\n"},
	{"several at once: one line, for the highest", "LJMM_WARN=50,75,90", {10, 85, 0},
	 FK_LINE("warn") "ljmm[1000]: 90% of the low 2 GiB in use (95.0 MiB of 100.0 MiB)\n"},
	{"not crossed again after a fall", "LJMM_WARN=50", {60, -60, 60, 0},
	 FK_LINE("warn") "ljmm[1000]: 50% of the low 2 GiB in use (60.0 MiB of 100.0 MiB)\n"},
	{"100%", "LJMM_WARN=100", {99, 1, 0}, FK_LINE("warn") "ljmm[1000]: 100% of the low 2 GiB in use (100.0 MiB of 100.0 MiB)\n"},
	{"off", "LJMM_WARN=off", {100, 0}, ""},
};

START_TEST(test_warn_thresholds_crossed_once)
{
	long last = 0;
	start(threshold_cases[_i].warn);
	for (const int *s = threshold_cases[_i].steps; *s; s++) {
		if (*s > 0) {
			last = sc_map32((size_t)*s * M);
			ck_assert_int_gt(last, 0);
		} else {
			ck_assert_int_eq(sc_munmap((uintptr_t)last, (size_t)-*s * M), 0);
		}
	}
	ck_assert_str_eq(fk_stderr_text(), threshold_cases[_i].lines);
	sc_verified(threshold_cases[_i].what);
}
END_TEST

START_TEST(test_warn_threshold_at_the_first_build)
{
	/* The region is 95% used before the shim ever looks: the build says so, once. */
	start("LJMM_WARN=50,90");
	ck_assert_int_eq(fk_map(4 * M, 99 * M, RW), 0);
	ck_assert_int_eq(sc_map32(M), (long)(103 * M));
	ck_assert_str_eq(fk_stderr_text(), FK_LINE("warn") "ljmm[1000]: 90% of the low 2 GiB in use (95.0 MiB of 100.0 MiB)\n");
}
END_TEST

/* ---- failures ----------------------------------------------------------------------------------- */

START_TEST(test_warn_first_failure_once)
{
	start("LJMM_WARN=100");
	ck_assert_int_eq(fk_map(4 * M, 50 * M, RW), 0);
	ck_assert_int_eq(fk_map(51 * M, 100 * M, RW), 0);
	ck_assert_int_eq(sc_map32(2 * M), (long)(102 * M));
	ck_assert_int_eq(sc_map32(3 * M), -ENOMEM);
	ck_assert_int_eq(sc_map32(3 * M), -ENOMEM);
	ck_assert_int_eq(sc_map32(M), (long)(50 * M));
	ck_assert_int_eq(sc_map32(4 * M), -ENOMEM);
	ck_assert_str_eq(fk_stderr_text(), FK_LINE("error") "ljmm[1000]: MAP_32BIT request of 3145728 bytes failed: the low 2 GiB is full "
					   "(97.0 MiB of 100.0 MiB in use, largest free range 2.0 MiB at 0x6400000)\n");
	ck_assert_uint_eq(sc_stats().failures, 3);
}
END_TEST

START_TEST(test_warn_failure_when_nothing_is_free)
{
	start("LJMM_WARN=90");
	ck_assert_int_eq(fk_map(4 * M, 104 * M, RW), 0);
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_str_eq(fk_stderr_text(), FK_LINE("warn") "ljmm[1000]: 90% of the low 2 GiB in use (100.0 MiB of 100.0 MiB)\n"
					   FK_LINE("error") "ljmm[1000]: MAP_32BIT request of 1048576 bytes failed: the low 2 GiB is full "
					   "(100.0 MiB of 100.0 MiB in use, largest free range 0.0 MiB)\n");
}
END_TEST

static const struct {
	const char *what;
	uint64_t len;
	const char *lines;
} text_cases[] = {
	{"a size that reads \"HTTP\"", 0x48545450,
	 FK_LINE("error") "ljmm[1000]: MAP_32BIT request of 1213486160 bytes failed: larger than the whole region (100.0 MiB)\n"
	 FK_LINE("warn") "ljmm[1000]: MAP_32BIT request of 1213486160 bytes (0x48545450) failed: as text in network byte order its size "
	 "reads \"HTTP\": a length taken from the data?\n"},
	{"eight bytes that read \"GET / HT\"", 0x474554202f204854ull,
	 FK_LINE("error") "ljmm[1000]: MAP_32BIT request of 5135603447292250196 bytes failed: larger than the whole region (100.0 MiB)\n"
	 FK_LINE("warn") "ljmm[1000]: MAP_32BIT request of 5135603447292250196 bytes (0x474554202f204854) failed: as text in network byte "
	 "order its size reads \"GET / HT\": a length taken from the data?\n"},
};

START_TEST(test_warn_size_that_reads_as_text)
{
	start("LJMM_WARN=90");
	ck_assert_int_eq(sc_map32((size_t)text_cases[_i].len), -ENOMEM);
	ck_assert_int_eq(sc_map32((size_t)text_cases[_i].len), -ENOMEM); /* said once */
	ck_assert_str_eq(fk_stderr_text(), text_cases[_i].lines);
}
END_TEST

/* Issue 17: a 3 GiB request was reported as "the low 2 GiB is full (0.0 MiB of ... in use". */
START_TEST(test_warn_request_larger_than_the_region)
{
	start("LJMM_WARN=90");
	ck_assert_int_eq(sc_map32((size_t)3 << 30), -ENOMEM);
	ck_assert_str_eq(fk_stderr_text(),
			 FK_LINE("error") "ljmm[1000]: MAP_32BIT request of 3221225472 bytes failed: larger than the whole region (100.0 MiB)\n");
}
END_TEST

START_TEST(test_warn_text_after_an_ordinary_failure)
{
	/* The first failure was an ordinary size: the "HTTP" one still gets its line, once. */
	start("LJMM_WARN=90");
	ck_assert_int_eq(sc_map32(200 * M), -ENOMEM);
	fk_output_clear();
	ck_assert_int_eq(sc_map32(0x48545450), -ENOMEM);
	ck_assert_int_eq(sc_map32(0x48545450), -ENOMEM);
	ck_assert_int_eq(sc_map32(0x50555420), -ENOMEM); /* "PUT ": the text line was said */
	ck_assert_str_eq(fk_stderr_text(), FK_LINE("warn") "ljmm[1000]: MAP_32BIT request of 1213486160 bytes (0x48545450) failed: as text "
					   "in network byte order its size reads \"HTTP\": a length taken from the data?\n");
}
END_TEST

START_TEST(test_warn_off_says_nothing)
{
	start("LJMM_WARN=off");
	ck_assert_int_eq(sc_map32(0x48545450), -ENOMEM);
	ck_assert_int_eq(sc_map32(100 * M), (long)(4 * M));
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_str_eq(fk_stderr_text(), "");
}
END_TEST

static const struct {
	uint64_t len;
	const char *text; /* NULL: not text */
} len_text_cases[] = {
	{0x48545450, "HTTP"},
	{0x20202020, NULL},               /* below 1 GiB: a plausible size */
	{(uint64_t)1 << 30, NULL},        /* exactly 1 GiB */
	{0x7e7e7e7e, "~~~~"},
	{0x48545400, NULL},               /* a NUL byte */
	{0x48545480, NULL},               /* not ASCII */
	{0x4854541f, NULL},               /* a control character */
	{0x474554202f204854ull, "GET / HT"},
	{0x0000000148545450ull, NULL},    /* 8 bytes, the first ones 0 */
	{0x7f45544820202020ull, NULL},    /* DEL */
};

START_TEST(test_warn_len_text)
{
	for (size_t i = 0; i < NELEM(len_text_cases); i++) {
		char out[9] = "";
		int r = ljmm_warn_len_text(len_text_cases[i].len, out);
		ck_assert_msg(r == (len_text_cases[i].text != NULL), "%#llx: %d", (unsigned long long)len_text_cases[i].len, r);
		if (r)
			ck_assert_str_eq(out, len_text_cases[i].text);
	}
}
END_TEST

/* ---- where the lines go ------------------------------------------------------------------------ */

START_TEST(test_warn_lines_go_to_the_log_file)
{
	SC_START(REGION, "LJMM_WARN=50", "LJMM_LOG_FILE=/var/log/ljmm.log");
	ck_assert_int_eq(fk_map(G, 2 * G, RW), 0);
	ck_assert_int_gt(sc_map32(60 * M), 0);
	ck_assert_int_eq(sc_map32(60 * M), -ENOMEM);
	ck_assert_str_eq(fk_stderr_text(), "");
	ck_assert_str_eq(fk_log_text(), FK_LINE("warn") "ljmm[1000]: 50% of the low 2 GiB in use (60.0 MiB of 100.0 MiB)\n"
					FK_LINE("error") "ljmm[1000]: MAP_32BIT request of 62914560 bytes failed: the low 2 GiB is full "
					"(60.0 MiB of 100.0 MiB in use, largest free range 40.0 MiB at 0x400000)\n");
	ck_assert_int_eq(fk_open_fds(), 1); /* opened once and kept, for every line */
}
END_TEST

START_TEST(test_warn_log_file_unusable_falls_back_to_stderr)
{
	SC_START(REGION, "LJMM_WARN=50", "LJMM_LOG_FILE=/run/ljmm.fifo");
	ck_assert_int_eq(fk_map(G, 2 * G, RW), 0);
	fk_fail_open("/run/", ENXIO);
	ck_assert_int_gt(sc_map32(60 * M), 0);
	ck_assert_int_gt(sc_map32(10 * M), 0);
	ck_assert_str_eq(fk_stderr_text(),
			 FK_LINE("error") "ljmm[1000]: cannot open LJMM_LOG_FILE='/run/ljmm.fifo': ENXIO (a FIFO with no reader); logging to stderr\n"
			 FK_LINE("warn") "ljmm[1000]: 50% of the low 2 GiB in use (60.0 MiB of 100.0 MiB)\n");
	ck_assert_str_eq(fk_log_text(), "");
}
END_TEST

START_TEST(test_warn_lines_survive_short_and_interrupted_writes)
{
	start("LJMM_WARN=50");
	fk_set_write_chunk(7);
	fk_fail_write(2, 14, EINTR); /* the third piece of 7 bytes */
	ck_assert_int_gt(sc_map32(60 * M), 0);
	ck_assert_str_eq(fk_stderr_text(), FK_LINE("warn") "ljmm[1000]: 50% of the low 2 GiB in use (60.0 MiB of 100.0 MiB)\n");
}
END_TEST

START_TEST(test_warn_in_a_forked_child_names_the_child)
{
	start("LJMM_WARN=50,60");
	ck_assert_int_gt(sc_map32(55 * M), 0);
	fake_fork();
	ck_assert_int_gt(sc_map32(10 * M), 0);
	/* The child inherits the record of what was said: 50% is not repeated. */
	ck_assert_str_eq(fk_stderr_text(), FK_LINE("warn") "ljmm[1000]: 50% of the low 2 GiB in use (55.0 MiB of 100.0 MiB)\n"
					   FK_LINE("warn") "ljmm[2000]: 60% of the low 2 GiB in use (65.0 MiB of 100.0 MiB)\n");
}
END_TEST

/* An empty region (vm.mmap_min_addr at or above 2 GiB, or LJMM_REGION_LO=60K and
 * LJMM_REGION_HI=64K under the usual 64 KiB floor): no threshold line (0 of 0 bytes is no
 * percentage; it once printed "90% ... (0.0 MiB of 0.0 MiB)"), and a failure line with
 * the figures. */
START_TEST(test_warn_empty_region)
{
	SC_START("LJMM_WARN=50,90");
	ck_assert_int_eq(fk_map(G, 2 * G, RW), 0);
	fk_set_mmap_min_addr_text("3000000000\n");
	ck_assert_int_eq(sc_map32(M), -ENOMEM);
	ck_assert_msg(strstr(fk_stderr_text(), "warning:") == NULL, "got:\n%s", fk_stderr_text());
	ck_assert_msg(strstr(fk_stderr_text(), "ljmm[1000]: MAP_32BIT request of 1048576 bytes failed: the low 2 GiB is full")
			      != NULL, "got:\n%s", fk_stderr_text());
}
END_TEST

/* The functions on their own: a call that crosses nothing says nothing; with LJMM_WARN=off
 * nothing at all; the text line is said once even if asked again. */
START_TEST(test_warn_direct_calls)
{
	SC_START("LJMM_WARN=50");
	ljmm_warn_crossed(10, 100);
	ck_assert_uint_eq(ljmm_warn_next, 50);
	ljmm_warn_failure(0x48545450, NULL);
	ljmm_warn_failure(0x48545450, NULL);
	ck_assert_int_eq(sc_count(fk_stderr_text(), "reads \"HTTP\""), 1);
	ck_assert_int_eq(sc_count(fk_stderr_text(), "bytes failed: the low 2 GiB is full\n"), 1);
	ck_assert_int_eq(ljmm_warn_failure_due(0x48545450), 0);
	fk_output_clear();
	SC_START("LJMM_WARN=off");
	ljmm_warn_failure(M, NULL);
	ck_assert_int_eq(ljmm_warn_failure_due(M), 0);
	ck_assert_str_eq(fk_stderr_text(), "");
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_warn_thresholds_crossed_once, NELEM(threshold_cases)},
	{&test_warn_threshold_at_the_first_build, 1},
	{&test_warn_first_failure_once, 1},
	{&test_warn_failure_when_nothing_is_free, 1},
	{&test_warn_size_that_reads_as_text, NELEM(text_cases)},
	{&test_warn_request_larger_than_the_region, 1},
	{&test_warn_text_after_an_ordinary_failure, 1},
	{&test_warn_off_says_nothing, 1},
	{&test_warn_len_text, 1},
	{&test_warn_lines_go_to_the_log_file, 1},
	{&test_warn_log_file_unusable_falls_back_to_stderr, 1},
	{&test_warn_lines_survive_short_and_interrupted_writes, 1},
	{&test_warn_in_a_forked_child_names_the_child, 1},
	{&test_warn_empty_region, 1},
	{&test_warn_direct_calls, 1},
};

const ljmm_unit_t ljmm_unit = {.name = "warn", .timeout = 30, .needs_fork = 1, .tests = tests, .count = NELEM(tests)};
