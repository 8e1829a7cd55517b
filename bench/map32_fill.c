/* SPDX-License-Identifier: MIT */
/* The demo workload: map MAP_32BIT blocks (1 MiB by default, as LuaJIT's allocator
 * asks for memory) until the kernel says no, touch every page, and print the total.
 * Run it without and with LD_PRELOAD=libljmm_preload.so to see the difference. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	size_t block = (argc > 1 ? strtoul(argv[1], NULL, 10) : 1024) * 1024, n = 0;
	uintptr_t lowest = UINTPTR_MAX, highest = 0;
	if (block == 0 || block % 4096) {
		fprintf(stderr, "usage: %s [BLOCK_KIB, a multiple of 4]\n", argv[0]);
		return 2;
	}
	for (;;) {
		char *p = mmap(NULL, block, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (p == MAP_FAILED) {
			if (errno != ENOMEM) {
				fprintf(stderr, "mmap: %s\n", strerror(errno));
				return 1;
			}
			break;
		}
		if ((uintptr_t)p + block > (uintptr_t)1 << 31) {
			fprintf(stderr, "MAP_32BIT block at %p ends above 2 GiB\n", (void *)p);
			return 1;
		}
		for (size_t off = 0; off < block; off += 4096)
			p[off] = 1;
		if ((uintptr_t)p < lowest)
			lowest = (uintptr_t)p;
		if ((uintptr_t)p + block > highest)
			highest = (uintptr_t)p + block;
		n++;
	}
	printf("%zu MiB in %zu blocks of %zu KiB, between %#lx and %#lx\n", n * block >> 20, n, block >> 10,
	       (unsigned long)lowest, (unsigned long)highest);
	return 0;
}
