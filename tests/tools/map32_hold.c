/* SPDX-License-Identifier: MIT */
/* Test helper for ljmm-maps: map MAP_32BIT memory in 1 MiB blocks (up to MAX_MIB, or
 * until the kernel says ENOMEM), print "ready <MiB> MiB", and wait, so that the low
 * 2 GiB can be looked at from outside. SIGTERM or SIGINT ends it normally, through
 * exit(), so that the shim's statistics (LJMM_STATS=on) are written and can be compared
 * with what was read from outside; SIGKILL ends it without them. Dies on its own after
 * 120 s in case the test that started it could not kill it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	size_t max = argc > 1 ? strtoul(argv[1], NULL, 10) : 0, n = 0;
	struct sigaction sa;
	sigset_t block, old;
	/* Something on the brk heap, so a -no-pie build has a [heap] line. */
	char *volatile heap = malloc(4096);
	if (heap)
		heap[0] = 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!max || n < max) {
		void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (p == MAP_FAILED) {
			if (errno == ENOMEM)
				break;
			fprintf(stderr, "map32_hold: mmap: %s\n", strerror(errno));
			return 1;
		}
		n++;
	}
	printf("ready %zu MiB\n", n);
	fflush(stdout);
	alarm(120);
	/* Wait with the signals blocked except inside sigsuspend: none is lost between
	 * the test of the flag and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	while (!stop)
		sigsuspend(&old);
	return 0;
}
