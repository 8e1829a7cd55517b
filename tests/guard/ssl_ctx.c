/* SPDX-License-Identifier: MIT */
/* OpenSSL SSL_CTX workload for the brk-guard RSS measurement (lua-nginx-module
 * issue 1005: with brk blocked, RSS grew ~1 MiB per SSL_CTX loading a CA bundle).
 *
 * Usage: ssl_ctx churn N [CAFILE]   create, load CAFILE, free; N times
 *        ssl_ctx keep N [CAFILE]    create and load N contexts, keep them all alive
 *
 * Built -no-pie so that the brk heap is below 2 GiB and the shim places its guard.
 * Prints one line of key=value pairs (sizes in KiB) on stdout:
 *   mode n hwm_kb rss_kb brk_start brk_end brk_moved_kb brk_low pie
 *   arena_kb mmap_kb secs
 *
 * Negative control (tests/guard/CMakeLists.txt): SSL_CTX_TEST_LEAK_KB=K makes every
 * context also allocate, touch and never free K KiB, the growth lua-nginx-module issue
 * 1005 reported; the RSS comparison must then fail. */
#include <malloc.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CAFILE "/etc/ssl/certs/ca-certificates.crt"
#define BELOW_2G ((uintptr_t)1 << 31)

static long status_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static long leak_kb;
static void *leak_head; /* the leaked blocks stay reachable, so nothing elides them */

static SSL_CTX *new_loaded_ctx(const char *cafile)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	if (!ctx) {
		ERR_print_errors_fp(stderr);
		fprintf(stderr, "ssl_ctx: SSL_CTX_new failed\n");
		exit(2);
	}
	if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) {
		ERR_print_errors_fp(stderr);
		fprintf(stderr, "ssl_ctx: cannot load %s\n", cafile);
		exit(2);
	}
	if (leak_kb > 0) {
		void **p = malloc((size_t)leak_kb * 1024);
		if (!p) {
			perror("malloc");
			exit(2);
		}
		memset(p, 0x5a, (size_t)leak_kb * 1024);
		*p = leak_head;
		leak_head = p;
	}
	return ctx;
}

/* Figures at the moment of the call: peak and current RSS, brk movement since main. */
static void report(const char *mode, long n, uintptr_t brk_start, const struct timespec *t0)
{
	struct timespec t1;
	struct mallinfo2 mi = mallinfo2();
	uintptr_t brk_end = (uintptr_t)sbrk(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("mode=%s n=%ld hwm_kb=%ld rss_kb=%ld brk_start=%#lx brk_end=%#lx brk_moved_kb=%ld brk_low=%s pie=%s"
	       " arena_kb=%zu mmap_kb=%zu secs=%.2f\n",
	       mode, n, status_kb("VmHWM"), status_kb("VmRSS"), (unsigned long)brk_start, (unsigned long)brk_end,
	       (long)(brk_end - brk_start) / 1024, brk_end < BELOW_2G ? "yes" : "no",
	       (uintptr_t)&status_kb >= BELOW_2G ? "yes" : "no", mi.arena / 1024, mi.hblkhd / 1024,
	       (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	uintptr_t brk_start = (uintptr_t)sbrk(0);
	const char *mode, *cafile = DEFAULT_CAFILE, *leak = getenv("SSL_CTX_TEST_LEAK_KB");
	struct timespec t0;
	long n;

	if (argc < 3 || (strcmp(argv[1], "churn") && strcmp(argv[1], "keep"))) {
		fprintf(stderr, "usage: %s churn|keep N [CAFILE]\n", argv[0]);
		return 2;
	}
	mode = argv[1];
	n = strtol(argv[2], NULL, 10);
	if (n <= 0) {
		fprintf(stderr, "ssl_ctx: N must be a positive number\n");
		return 2;
	}
	if (argc > 3)
		cafile = argv[3];
	if (leak)
		leak_kb = strtol(leak, NULL, 10);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(mode, "churn") == 0) {
		for (long i = 0; i < n; i++)
			SSL_CTX_free(new_loaded_ctx(cafile));
		report(mode, n, brk_start, &t0);
	} else {
		SSL_CTX **all = calloc((size_t)n, sizeof *all);
		if (!all) {
			perror("calloc");
			return 2;
		}
		for (long i = 0; i < n; i++)
			all[i] = new_loaded_ctx(cafile);
		report(mode, n, brk_start, &t0); /* while every context is alive */
		for (long i = 0; i < n; i++)
			SSL_CTX_free(all[i]);
		free(all);
	}
	return 0;
}
