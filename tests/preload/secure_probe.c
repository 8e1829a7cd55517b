/* SPDX-License-Identifier: MIT */
/* Linked directly against the shim (LD_PRELOAD is ignored for setuid programs) and run
 * setuid by secure.sh: prints whether the process is in secure-execution mode and maps
 * one MAP_32BIT page, so that any option the shim read would show. */
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "ljmm.h"

int main(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	printf("secure=%lu mapped=%d version=%s\n", getauxval(AT_SECURE), p != MAP_FAILED, ljmm_version());
	return p == MAP_FAILED;
}
