/* SPDX-License-Identifier: MIT */
/* The one main() of the Check unit suites (see check_main.h). */
#include <stdlib.h>

#include "check_main.h"

static TCase *make_case(const char *name, const ljmm_unit_test_t *tests, size_t count)
{
	TCase *tc = tcase_create(name);
	if (ljmm_unit.timeout)
		tcase_set_timeout(tc, ljmm_unit.timeout);
	/* tcase_add_test(tc, t) is tcase_add_loop_test(tc, t, 0, 1) in Check. */
	for (size_t i = 0; i < count; i++)
		tcase_add_loop_test(tc, *tests[i].test, 0, tests[i].runs);
	return tc;
}

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	Suite *s = suite_create(ljmm_unit.name);
	int failed;
	if (ljmm_unit.needs_fork)
		srunner_set_fork_status(sr, CK_FORK);
	suite_add_tcase(s, make_case("core", ljmm_unit.tests, ljmm_unit.count));
	if (ljmm_unit.forked_count && srunner_fork_status(sr) != CK_NOFORK)
		suite_add_tcase(s, make_case("environment", ljmm_unit.forked, ljmm_unit.forked_count));
	srunner_add_suite(sr, s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
