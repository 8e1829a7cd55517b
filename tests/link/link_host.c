/* SPDX-License-Identifier: MIT */
/* A LuaJIT 2.0-style host in miniature for the link form (tests/link/link_test.sh):
 * it asks for 1 MiB MAP_32BIT blocks, as non-GC64 LuaJIT does for its heap, until the
 * answer is ENOMEM, and prints how far it got and whether a shim serves it.
 * link_test.sh judges the figure; here exit 1 only for a block above 2 GiB or a
 * failure other than ENOMEM.
 * ljmm_version is a weak reference: defined when the shim is linked in (or, in a
 * dynamic executable, preloaded), NULL otherwise. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

extern const char *ljmm_version(void) __attribute__((weak));

int main(void)
{
	const size_t mib = 1 << 20;
	size_t n = 0;
	int err;
	for (;;) {
		void *p = mmap(NULL, mib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (p == MAP_FAILED) {
			err = errno;
			break;
		}
		/* What LuaJIT 2.0 checks: the block must lie below 2 GiB (its 31-bit GC refs). */
		if ((unsigned long)p + mib > 0x80000000UL) {
			fprintf(stderr, "link_host: block at %p ends above 2 GiB\n", p);
			return 1;
		}
		n++;
	}
	printf("reach: %zu MiB (stopped by %s) shim: %s\n", n, strerror(err), ljmm_version ? ljmm_version() : "none");
	if (err != ENOMEM) {
		fprintf(stderr, "link_host: the last MAP_32BIT request failed with %s, not ENOMEM\n", strerror(err));
		return 1;
	}
	return 0;
}
