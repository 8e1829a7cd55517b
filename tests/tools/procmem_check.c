/* SPDX-License-Identifier: MIT */
/* The decision ljmm-maps takes before it reads an object's pages (tools/procmem.c):
 * whether its device is on a file system whose reads may block (FUSE, network), taken
 * from a mountinfo text, here a fixture, since a FUSE or NFS mount cannot be made
 * in every test environment (ctest tools_procmem_mounts).
 *
 * Usage: procmem_check MOUNTINFO MAJ:MIN=EXPECTED...: EXPECTED is "block" (the type
 * may block: ljmm-maps does not read the object), "read" (a local type) or "unlisted"
 * (the device is not in the file: read). Prints one line per device; exit 1 on the
 * first answer that differs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/procmem.h"

int main(int argc, char **argv)
{
	static char text[1 << 20];
	FILE *f;
	size_t n;
	int i, bad = 0;
	if (argc < 3) {
		fprintf(stderr, "usage: procmem_check MOUNTINFO MAJ:MIN=EXPECTED...\n");
		return 2;
	}
	if (!(f = fopen(argv[1], "r"))) {
		perror(argv[1]);
		return 2;
	}
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = 0;
	for (i = 2; i < argc; i++) {
		unsigned ma, mi;
		char want[16];
		const char *t, *got;
		size_t tl = 0;
		if (sscanf(argv[i], "%u:%u=%15s", &ma, &mi, want) != 3) {
			fprintf(stderr, "procmem_check: bad argument '%s'\n", argv[i]);
			return 2;
		}
		t = ljmm_procmem_mount_fstype(text, ma, mi, &tl);
		got = !t ? "unlisted" : ljmm_procmem_fs_may_block(t, tl) ? "block" : "read";
		printf("%u:%u %.*s: %s\n", ma, mi, (int)tl, t ? t : "", got);
		if (strcmp(got, want)) {
			fprintf(stderr, "procmem_check: %u:%u: %s, expected %s\n", ma, mi, got, want);
			bad = 1;
		}
	}
	return bad;
}
