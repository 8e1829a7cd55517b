/* SPDX-License-Identifier: MIT */
/* The exit report (shim/stats.c): its three lines after a scripted process, exactly, and
 * the guard line and the region line's optional fields for every state. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/testutil.h"
#include "check_main.h"
#include "scenario.h"
#include "stats.h"

START_TEST(test_stats_report_after_a_process)
{
	SC_START("LJMM_STATS=on", "LJMM_GUARD_RESERVE=1M");
	ck_assert_int_eq(fk_map_named(4 * M, 4 * M + 64 * K, PROT_READ | PROT_EXEC, "/usr/bin/prog"), 0);
	fk_set_brk(16 * M, 16 * M + 100 * K);
	ck_assert_int_eq(fk_map(64 * K, 4 * M, RW), 0);
	ck_assert_int_eq(fk_map(64 * M, 2 * G - 2 * M, RW), 0);
	sc_constructor();
	ck_assert_int_eq(sc_map32(M), (long)(2 * G - 2 * M));                 /* the kernel */
	ck_assert_int_eq(sc_map32(2 * M), (long)(14 * M));                     /* the region's best fit */
	ck_assert_int_eq(sc_map32(M), (long)(2 * G - M));                      /* the region's exact fit */
	ck_assert_int_eq(sc_map32(64 * M), -ENOMEM);                           /* nothing */
	ck_assert_int_eq(sc_munmap(14 * M, 2 * M), 0);
	fk_output_clear();
	ljmm_stats_report();
	ck_assert_str_eq(fk_stderr_text(),
			 /* The region: 2 GiB - 64 KiB - the 1 MiB reserve; free at the end [4M+64K, 16M) and
			  * [guard + 4K, 64M); at the build also the window's last MiB, taken later. */
			 FK_LINE("notice") "ljmm[1000]: calls: mmap=4 munmap=1 mremap=0 map32=4 kernel-served=1 region-served=2 (3.0 MiB) "
			 "failed=1 signal-reentries=0 kernel-skipped=1 hint-served=0\n"
			 FK_LINE("notice") "ljmm[1000]: region [0x10000, 0x80000000): in use 1988.1 MiB, peak 1990.1 MiB resyncs=2 "
			 "conflicts=0 free-extents=2 peak-extents=3 dropped-bytes=0 fork-resets=0\n"
			 FK_LINE("notice") "ljmm[1000]: guard: placed at 0x1119000, reserve 1.0 MiB\n");
}
END_TEST

START_TEST(test_stats_report_when_the_region_was_never_needed)
{
	SC_START("LJMM_LOG_FILE=/var/log/ljmm.log");
	sc_constructor(); /* PIE: brk far above */
	ck_assert_int_eq(sc_map32(M), (long)G);
	ljmm_stats_report();
	ck_assert_str_eq(fk_log_text(), FK_LINE("notice") "ljmm[1000]: calls: mmap=1 munmap=0 mremap=0 map32=1 kernel-served=1 "
					"region-served=0 (0.0 MiB) failed=0 signal-reentries=0 kernel-skipped=0 hint-served=0\n"
					FK_LINE("notice") "ljmm[1000]: region: never needed (the kernel served every MAP_32BIT request)\n"
					FK_LINE("notice") "ljmm[1000]: guard: not needed (brk heap above 2 GiB)\n");
	ck_assert_str_eq(fk_stderr_text(), "");
}
END_TEST

static const struct {
	uint64_t state, addr, reserve, defaulted_lazy;
	const char *line;
} guard_lines[] = {
	{LJMM_GUARD_STATE_OFF, 0, 0, 0, "guard: off"},
	{LJMM_GUARD_STATE_PENDING, 0, 0, 0, "guard: lazy, not placed (region never used)"},
	{LJMM_GUARD_STATE_PENDING, 0, 0, 1,
	 "guard: lazy, not placed (region never used); lazy by default: this glibc is older than any the guard was "
	 "measured on"},
	{LJMM_GUARD_STATE_PLACED, 0x1019000, 0, 0, "guard: placed at 0x1019000"},
	{LJMM_GUARD_STATE_PLACED, 0x1119000, 1 << 20, 1,
	 "guard: placed at 0x1119000, reserve 1.0 MiB (lazy by default: this glibc is older than any the guard was "
	 "measured on)"},
	{LJMM_GUARD_STATE_NOT_NEEDED, 0, 0, 0, "guard: not needed (brk heap above 2 GiB)"},
	{LJMM_GUARD_STATE_OCCUPIED, 0x1019000, 0, 0, "guard: not placed: a mapping already stands at 0x1019000"},
	{LJMM_GUARD_STATE_FAILED, 0x1019000, 0, 0, "guard: failed at 0x1019000"},
	{LJMM_GUARD_STATE_UNDECIDED, 0, 0, 0,
	 "guard: not decided (start-up could not take the region's lock, and the region was never used)"},
};

START_TEST(test_stats_report_guard_line)
{
	char want[512];
	sc_start(NULL);
	ljmm_stats_set(&ljmm_stats_live.guard_state, guard_lines[_i].state);
	ljmm_stats_set(&ljmm_stats_live.guard_addr, guard_lines[_i].addr);
	ljmm_stats_set(&ljmm_stats_live.guard_reserve, guard_lines[_i].reserve);
	ljmm_stats_set(&ljmm_stats_live.guard_defaulted_lazy, guard_lines[_i].defaulted_lazy);
	ljmm_stats_report();
	snprintf(want, sizeof want, "ljmm[1000]: %s\n", guard_lines[_i].line);
	ck_assert_int_eq(sc_count(fk_stderr_text(), want), 1);
}
END_TEST

START_TEST(test_stats_report_rare_fields)
{
	/* scans, recoveries and lock-timeouts appear only when they happened. */
	sc_start(NULL);
	ljmm_stats_set(&ljmm_stats_live.region_hi, 1ull << 31);
	ljmm_stats_set(&ljmm_stats_live.scans, 2);
	ljmm_stats_set(&ljmm_stats_live.section_recoveries, 3);
	ljmm_stats_set(&ljmm_stats_live.lock_timeouts, 4);
	ljmm_stats_report();
	ck_assert_int_eq(sc_count(fk_stderr_text(), " fork-resets=0 scans=2 recoveries=3 lock-timeouts=4\n"), 1);
}
END_TEST

START_TEST(test_stats_snapshot_copies_every_field)
{
	ljmm_stats_t s;
	uint64_t *f = (uint64_t *)&ljmm_stats_live;
	sc_start(NULL);
	for (size_t i = 0; i < sizeof s / sizeof(uint64_t); i++)
		f[i] = 1000 + i;
	ljmm_stats_copy(&s);
	ck_assert_int_eq(memcmp(&s, &ljmm_stats_live, sizeof s), 0);
	ljmm_stats_publish(LJMM_PROBE_ACTIVE);
	ck_assert_uint_eq(ljmm_probe.stats_addr, (uint64_t)(uintptr_t)&ljmm_stats_live);
	ck_assert_uint_eq(ljmm_probe.flags, LJMM_PROBE_ACTIVE);
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_stats_report_after_a_process, 1},
	{&test_stats_report_when_the_region_was_never_needed, 1},
	{&test_stats_report_guard_line, NELEM(guard_lines)},
	{&test_stats_report_rare_fields, 1},
	{&test_stats_snapshot_copies_every_field, 1},
};

const ljmm_unit_t ljmm_unit = {.name = "stats", .timeout = 0, .needs_fork = 1, .tests = tests, .count = NELEM(tests)};
