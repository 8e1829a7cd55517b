/* SPDX-License-Identifier: MIT */
/* The process model of nginx, OpenResty and php-fpm, for LJMM_LOG_FILE: a master that
 * starts as root (the library opens the log file in its constructor then) forks a
 * worker that drops privileges to USER, and the worker makes log lines on command.
 *
 * Usage: logworker USER  (as root, with the library preloaded, LJMM_DEBUG=on and
 * LJMM_POLICY=region-first, so that every MAP_32BIT block the region serves is one
 * "region: served" line). The worker reads commands on stdin:
 *   map     map one 64 KiB MAP_32BIT block, then print "mapped ADDR" on stdout
 *   exit    exit normally (the shim writes its statistics), and so does the master
 * Every answer is flushed at once, so a script can wait for it before it rotates. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int worker(const struct passwd *pw)
{
	char line[64];
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "logworker: cannot become %s: %s\n", pw->pw_name, strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof line, stdin)) {
		if (strcmp(line, "map\n") == 0) {
			void *p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
			if (p == MAP_FAILED) {
				fprintf(stderr, "logworker: mmap: %s\n", strerror(errno));
				return 1;
			}
			printf("mapped %p\n", p);
			fflush(stdout);
		} else if (strcmp(line, "exit\n") == 0) {
			return 0;
		} else {
			fprintf(stderr, "logworker: unknown command %s", line);
			return 2;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct passwd *pw;
	pid_t pid;
	int status;
	if (argc != 2 || !(pw = getpwnam(argv[1]))) {
		fprintf(stderr, "usage: logworker USER (an existing user)\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "logworker: must start as root\n");
		return 2;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
		exit(worker(pw));
	if (waitpid(pid, &status, 0) != pid)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}
