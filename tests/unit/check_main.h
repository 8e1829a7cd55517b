/* SPDX-License-Identifier: MIT */
/* The one main() of the Check unit suites (check_main.c): each suite file describes its
 * suite in ljmm_unit (its name, its timeout, whether its tests must each run in a process
 * of their own, and a table of its tests), and main makes the suite from it. */
#ifndef LJMM_CHECK_MAIN_H
#define LJMM_CHECK_MAIN_H

#include <stddef.h>

#include <check.h>

/** A test and how many times it runs, with _i from 0: 1, or the NELEM of its table of
 *  cases. test is the address of the name START_TEST defines (a const TTest *), which,
 *  unlike its value, a static table can hold. */
typedef struct {
	const TTest *const *test;
	int runs;
} ljmm_unit_test_t;

typedef struct {
	/** The suite's name ("alloc"), as Check prints it. */
	const char *name;
	/** Seconds each test may take; 0 keeps Check's default (4 s, or CK_DEFAULT_TIMEOUT
	 *  from the environment). */
	unsigned timeout;
	/** 1 when the suite's tests change process-wide state (descriptors, signal handlers,
	 *  the lock page): then they always fork, whatever CK_FORK says. */
	int needs_fork;
	/** The "core" case's tests, in the order they run. */
	const ljmm_unit_test_t *tests;
	size_t count;
	/** The "environment" case's: tests that make sense only when each test runs in a
	 *  process of its own (CK_FORK, Check's default; CK_FORK=no in the environment turns
	 *  it off, for a debugger), and are left out otherwise. */
	const ljmm_unit_test_t *forked;
	size_t forked_count;
} ljmm_unit_t;

/** Defined by each suite file. */
extern const ljmm_unit_t ljmm_unit;

#endif
