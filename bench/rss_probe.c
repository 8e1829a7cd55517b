/* SPDX-License-Identifier: MIT */
/* Print this process's resident memory: scripts/bench.sh runs it with and without the
 * shim preloaded to see what the shim adds to a small process.
 * Output: "vmrss_kib=<VmRSS> anon_kib=<RssAnon> file_kib=<RssFile> shim_kib=<Rss of the
 * shim's own mappings: its file segments and the bss right after them>" (from
 * /proc/self/status and /proc/self/smaps; shim_kib is 0 without the shim). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long field(const char *status, const char *name)
{
	const char *p = strstr(status, name);
	return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

/* Rss of the mappings of libljmm*, plus the anonymous mapping that starts where they
 * end (the part of its bss beyond the file), if there is one. */
static long shim_rss_kib(void)
{
	char line[1024];
	long total = 0;
	int cur = 0, prev_shim = 0;
	unsigned long prev_end = 0;
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long a, b;
		char path[512] = "";
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %511s", &a, &b, path) >= 2 && strchr(line, '-') &&
		    line[0] != ' ' && strncmp(line, "Rss:", 4)) {
			int is_shim = strstr(path, "libljmm") != NULL;
			cur = is_shim || (prev_shim && !path[0] && a == prev_end);
			prev_shim = is_shim;
			prev_end = b;
		} else if (!strncmp(line, "Rss:", 4) && cur) {
			total += strtol(line + 4, NULL, 10);
		}
	}
	fclose(f);
	return total;
}

int main(void)
{
	static char status[8192];
	size_t n;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 1;
	n = fread(status, 1, sizeof status - 1, f);
	fclose(f);
	status[n] = 0;
	printf("vmrss_kib=%ld anon_kib=%ld file_kib=%ld shim_kib=%ld\n", field(status, "\nVmRSS:"),
	       field(status, "\nRssAnon:"), field(status, "\nRssFile:"), shim_rss_kib());
	return 0;
}
