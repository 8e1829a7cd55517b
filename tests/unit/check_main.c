/* SPDX-License-Identifier: MIT */
/* The one main() of the Check unit suites (see check_main.h). */
#include <stdlib.h>

#include "check_main.h"

static Suite *make_suite(int forking)
{
	Suite *s = suite_create(ljmm_unit.name);
	TCase *core = tcase_create("core");
	if (ljmm_unit.timeout)
		tcase_set_timeout(core, ljmm_unit.timeout);
	ljmm_unit.add(core);
	suite_add_tcase(s, core);
	if (forking && ljmm_unit.add_forked)
		ljmm_unit.add_forked(s);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;
	if (ljmm_unit.needs_fork)
		srunner_set_fork_status(sr, CK_FORK);
	srunner_add_suite(sr, make_suite(srunner_fork_status(sr) != CK_NOFORK));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
