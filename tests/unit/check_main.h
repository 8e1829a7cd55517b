/* SPDX-License-Identifier: MIT */
/* The one main() of the Check unit suites (check_main.c): each suite file describes its
 * suite in ljmm_unit (its name, its timeout, whether its tests must each run in a process
 * of their own, and a function that adds its tests), and main makes the suite from it. */
#ifndef LJMM_CHECK_MAIN_H
#define LJMM_CHECK_MAIN_H

#include <check.h>

typedef struct {
	/** The suite's name ("alloc"), as Check prints it. */
	const char *name;
	/** Seconds each test of the "core" case may take; 0 keeps Check's default (4 s, or
	 *  CK_DEFAULT_TIMEOUT from the environment). */
	unsigned timeout;
	/** 1 when the suite's tests change process-wide state (descriptors, signal handlers,
	 *  the lock page): then they always fork, whatever CK_FORK says. */
	int needs_fork;
	/** Adds the tests to the "core" case, in the order they run. */
	void (*add)(TCase *core);
	/** NULL, or adds the cases that make sense only when each test runs in a process of
	 *  its own (CK_FORK, Check's default; CK_FORK=no in the environment turns it off, for
	 *  a debugger). */
	void (*add_forked)(Suite *s);
} ljmm_unit_t;

/** Defined by each suite file. */
extern const ljmm_unit_t ljmm_unit;

#endif
