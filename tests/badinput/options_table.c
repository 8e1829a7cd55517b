/* SPDX-License-Identifier: MIT */
/* Prints the names in ljmm_options[], one per line, in table order (for
 * readme_options.sh, which compares them with README.md's "Environment options"). */
#include <stdio.h>

#include "config.h"

int main(void)
{
	for (unsigned i = 0; i < LJMM_OPT_COUNT; i++)
		printf("%s\n", ljmm_options[i].name);
	return 0;
}
