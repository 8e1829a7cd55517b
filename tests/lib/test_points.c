/* SPDX-License-Identifier: MIT */
/* The hook behind the shim's named test points (LJMM_TEST_POINT in shim/internal.h): the
 * test libraries ljmm_testcore and ljmm_fakecore are built with LJMM_TEST_POINTS, and a
 * test that sets ljmm_test_point runs its code at those points, where a signal handler
 * or another thread could run (log.c's "log: path half written", section.c's entry
 * points). NULL, as it starts: nothing runs. The library itself has no such points. */
#include "internal.h"

void (*ljmm_test_point)(const char *where);
