/* SPDX-License-Identifier: MIT */
/* The one main() of the Check unit suites (check_main.c): each suite file defines its
 * suite and says whether its tests must each run in a process of their own. */
#ifndef LJMM_CHECK_MAIN_H
#define LJMM_CHECK_MAIN_H

#include <check.h>

/** The suite; forking says whether each test runs in a process of its own (CK_FORK,
 *  Check's default; CK_FORK=no in the environment turns it off, for a debugger). */
Suite *ljmm_unit_suite(int forking);
/** 1 when the suite's tests change process-wide state (descriptors, signal handlers,
 *  the lock page): then they always fork, whatever CK_FORK says. */
extern const int ljmm_unit_needs_fork;

#endif
