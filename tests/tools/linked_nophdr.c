/* SPDX-License-Identifier: MIT */
/* Test helper for ljmm-maps (tools_maps_linked_nophdr): a -static program with ljmm.o
 * linked in that unmaps the page holding its own program headers (AT_PHDR; with GNU ld
 * the first, read-only segment: ELF header, program headers, notes), prints "ready" and
 * waits to be killed. ljmm-maps then knows from the program's file that the shim is
 * linked in, but no mapping of the program holds AT_PHDR: it must say so, not read some
 * other mapping or call the shim absent. Nothing after start-up reads those pages. */
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	unsigned long phdr = getauxval(AT_PHDR);
	if (!phdr || munmap((void *)(phdr & ~4095UL), 4096)) {
		perror("linked_nophdr: munmap of the program headers' page");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	alarm(120);
	pause();
	return 0;
}
