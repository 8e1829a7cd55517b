/* SPDX-License-Identifier: MIT */
/* The one main() of the Check unit suites (see check_main.h). */
#include <stdlib.h>

#include "check_main.h"

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;
	if (ljmm_unit_needs_fork)
		srunner_set_fork_status(sr, CK_FORK);
	srunner_add_suite(sr, ljmm_unit_suite(srunner_fork_status(sr) != CK_NOFORK));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
