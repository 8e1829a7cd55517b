/* SPDX-License-Identifier: MIT */
/* Start-up cost: run a command many times, alternately without and with
 * LD_PRELOAD=LIB (the order flips every iteration), and time each run from
 * posix_spawn to waitpid with CLOCK_MONOTONIC. The command's output goes to /dev/null.
 *
 * usage: spawn_bench ITERATIONS LIB COMMAND [ARG...]
 * Prints: without_us=<median> with_us=<median> extra_us=<median of the paired
 *         differences (with - without)> iterations=<n>
 * Exit 1 if any run fails (exits non-zero or dies). */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

extern char **environ;

#define WARMUP 3

static double run_once(char **argv, char **envp, const posix_spawn_file_actions_t *fa)
{
	pid_t pid;
	int status;
	uint64_t t0 = bench_now_ns();
	if (posix_spawnp(&pid, argv[0], fa, NULL, argv, envp) != 0)
		return -1;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return (double)(bench_now_ns() - t0) / 1000.0;
}

int main(int argc, char **argv)
{
	long iters = argc > 3 ? strtol(argv[1], NULL, 10) : 0;
	size_t nenv = 0, k = 0;
	char **env_without, **env_with, *preload;
	double *without, *with, *diff;
	posix_spawn_file_actions_t fa;
	if (iters < 1) {
		fprintf(stderr, "usage: %s ITERATIONS LIB COMMAND [ARG...]\n", argv[0]);
		return 2;
	}
	while (environ[nenv])
		nenv++;
	env_without = calloc(nenv + 1, sizeof *env_without);
	env_with = calloc(nenv + 2, sizeof *env_with);
	preload = malloc(strlen(argv[2]) + sizeof "LD_PRELOAD=");
	without = calloc((size_t)iters, sizeof *without);
	with = calloc((size_t)iters, sizeof *with);
	diff = calloc((size_t)iters, sizeof *diff);
	if (!env_without || !env_with || !preload || !without || !with || !diff)
		return 1;
	for (size_t i = 0; i < nenv; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11)) {
			env_without[k] = env_with[k] = environ[i];
			k++;
		}
	strcpy(preload, "LD_PRELOAD=");
	strcat(preload, argv[2]);
	env_with[k] = preload;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1 /* O_WRONLY */, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	for (long i = -WARMUP; i < iters; i++) {
		double a, b;
		if (i % 2) {
			a = run_once(argv + 3, env_without, &fa);
			b = run_once(argv + 3, env_with, &fa);
		} else {
			b = run_once(argv + 3, env_with, &fa);
			a = run_once(argv + 3, env_without, &fa);
		}
		if (a < 0 || b < 0) {
			fprintf(stderr, "%s: '%s' failed %s the shim\n", argv[0], argv[3], a < 0 ? "without" : "with");
			return 1;
		}
		if (i >= 0) {
			without[i] = a;
			with[i] = b;
			diff[i] = b - a;
		}
	}
	printf("without_us=%.1f with_us=%.1f extra_us=%.1f iterations=%ld\n", bench_median(without, (size_t)iters),
	       bench_median(with, (size_t)iters), bench_median(diff, (size_t)iters), iters);
	return 0;
}
