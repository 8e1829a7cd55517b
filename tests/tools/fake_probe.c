/* SPDX-License-Identifier: MIT */
/* Test helper for ljmm-maps's counter reader: a process that looks, from outside, as if
 * it had copies of libljmm_preload.so mapped, with probes made to order, so that every
 * way a probe can be wrong is tried against the reader (ctest tools_maps_probe).
 *
 * For each MODE it writes a file DIR/libljmm_preload.so.fakeN (two pages, the probe at
 * offset 64 unless the mode says otherwise), maps it private and writable (a "rw-p"
 * line naming the file, as the real library's data is), points the probe at counters
 * in its own .bss whose field k holds 1000 * N + k, prints "ready", and waits for a
 * signal (at most 120 s).
 *
 * Modes: active, aside, off (the flags); nomagic (no probe at all); misaligned (the
 * magic at offset 68, where the reader must not look); layout (layout 99);
 * notstarted (flags 0, no address); huge (stats_size 1 MiB); short (stats_size 48:
 * six fields, the rest unknown); long (stats_size 64 bytes past ours, which the
 * reader ignores); outside (the counters' address in a read-only mapping); misaddr
 * (the counters' address not 8-aligned).
 * Usage: fake_probe DIR MODE... */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../include/ljmm.h"
#include "../../shim/probe.h"

#define FILE_SIZE 8192
#define MAX_MODES 8

/* Room for an ljmm_stats_t and 64 bytes more, for "long". */
static uint64_t counters[MAX_MODES][sizeof(ljmm_stats_t) / 8 + 8] __attribute__((aligned(64)));

static int fake(const char *dir, int n, const char *mode)
{
	char path[4096], page[FILE_SIZE];
	ljmm_probe_t p;
	size_t off = 64, k;
	int fd;
	char *map;
	memset(page, 0, sizeof page);
	memset(&p, 0, sizeof p);
	memcpy(p.magic, LJMM_PROBE_MAGIC, LJMM_PROBE_MAGIC_LEN);
	p.layout = LJMM_PROBE_LAYOUT;
	p.stats_size = sizeof(ljmm_stats_t);
	p.flags = LJMM_PROBE_ACTIVE;
	snprintf(p.version, sizeof p.version, "fake%d", n);
	for (k = 0; k < sizeof counters[n] / 8; k++)
		counters[n][k] = 1000u * (unsigned)n + k;
	p.stats_addr = (uint64_t)(uintptr_t)counters[n];
	if (!strcmp(mode, "aside"))
		p.flags |= LJMM_PROBE_ASIDE;
	else if (!strcmp(mode, "off"))
		p.flags |= LJMM_PROBE_OFF;
	else if (!strcmp(mode, "misaligned"))
		off = 68;
	else if (!strcmp(mode, "layout"))
		p.layout = 99;
	else if (!strcmp(mode, "notstarted"))
		p.flags = 0, p.stats_addr = 0;
	else if (!strcmp(mode, "huge"))
		p.stats_size = 1u << 20;
	else if (!strcmp(mode, "short"))
		p.stats_size = 48;
	else if (!strcmp(mode, "long"))
		p.stats_size = sizeof(ljmm_stats_t) + 64;
	else if (!strcmp(mode, "misaddr"))
		p.stats_addr += 4;
	else if (!strcmp(mode, "outside")) {
		void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ro == MAP_FAILED)
			return -1;
		p.stats_addr = (uint64_t)(uintptr_t)ro;
	} else if (strcmp(mode, "active") && strcmp(mode, "nomagic")) {
		fprintf(stderr, "fake_probe: unknown mode '%s'\n", mode);
		return -1;
	}
	if (strcmp(mode, "nomagic"))
		memcpy(page + off, &p, sizeof p);
	snprintf(path, sizeof path, "%s/libljmm_preload.so.fake%d", dir, n);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, page, sizeof page) != (ssize_t)sizeof page) {
		perror(path);
		return -1;
	}
	map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	return map == MAP_FAILED ? -1 : 0;
}

static void on_signal(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	int i;
	if (argc < 3 || argc - 2 > MAX_MODES) {
		fprintf(stderr, "usage: fake_probe DIR MODE... (at most %d modes)\n", MAX_MODES);
		return 2;
	}
	for (i = 2; i < argc; i++)
		if (fake(argv[1], i - 2, argv[i]))
			return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	alarm(120);
	for (;;)
		pause();
}
