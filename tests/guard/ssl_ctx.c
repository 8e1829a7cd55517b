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

#include "guard_rss.h"

#define DEFAULT_CAFILE "/etc/ssl/certs/ca-certificates.crt"

#ifdef __GLIBC__
#if __GLIBC_PREREQ(2, 33)
#define SSL_CTX_HAVE_MALLINFO2 1
#endif
#endif
#ifndef SSL_CTX_HAVE_MALLINFO2
#define SSL_CTX_HAVE_MALLINFO2 0
#endif

static long leak_kb;

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
	guard_leak(leak_kb);
	return ctx;
}

/* Figures at the moment of the call, with glibc's arena and mmapped totals. */
static void report(const char *mode, long n, uintptr_t brk_start, const struct timespec *t0)
{
#if SSL_CTX_HAVE_MALLINFO2
	struct mallinfo2 mi = mallinfo2();
#else
	/* mallinfo2 came in glibc 2.33 (Debian 11 has 2.31); mallinfo's int fields hold
	 * this program's arena (a few MiB in churn, < 2 GiB kept) */
	struct mallinfo mi0 = mallinfo();
	struct {
		size_t arena, hblkhd;
	} mi = {(size_t)(unsigned)mi0.arena, (size_t)(unsigned)mi0.hblkhd};
#endif
	guard_report_begin(mode, n, brk_start);
	printf(" arena_kb=%zu mmap_kb=%zu", mi.arena / 1024, mi.hblkhd / 1024);
	guard_report_end(t0);
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
