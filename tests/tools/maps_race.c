/* SPDX-License-Identifier: MIT */
/* ljmm-maps and a process that exits while its maps are read (ctest tools_maps_race).
 *
 * The kernel does not fail a read of /proc/PID/maps whose process exits: the text just
 * ends early, at a line boundary. ljmm-maps must then say "no such process PID" and
 * exit 1, never print the part it got as the whole picture.
 *
 * Each try starts a target with about 56,000 mappings (one page each, alternately
 * read-only and writable so that none merge; it reports how many it has), starts
 * ljmm-maps on it, watches ljmm-maps's file position on the target's maps
 * (/proc/READER/fdinfo) and kills the target with SIGKILL once the reader is past the
 * first 64 KiB and still reading: a kill during the read, every time it is seen. Half
 * the targets are reaped at once (the PID is gone), half only after ljmm-maps ends
 * (a zombie while it checks). Each outcome must be either the full picture ("mappings
 * N" with the target's own N, exit 0: the read won) or exactly "ljmm-maps: no such
 * process PID" with nothing on stdout, exit 1. Anything else, a picture with fewer
 * mappings above all, fails. The loop ends after 8 tries that killed during the read,
 * or 60 tries; fewer than 3 such tries fails too (the race was not exercised).
 *
 * Usage: maps_race LJMM_MAPS */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WANT_HITS 8
#define MAX_TRIES 60
#define MIN_HITS 3

static void die(const char *what)
{
	fprintf(stderr, "maps_race: %s: %s\n", what, strerror(errno));
	exit(2);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static long count_lines(const char *path)
{
	char buf[65536];
	long lines = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

/* The target: many mappings, then "N\n" on fd out, then wait for the kill. */
static void target(int out)
{
	long max = 65530, pages, i;
	char buf[32];
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 65530;
		fclose(f);
	}
	pages = max - 1000 < 56000 ? max - 1000 : 56000;
	char *base = mmap(NULL, (size_t)pages * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		_exit(3);
	for (i = 1; i < pages; i += 2)
		if (mprotect(base + i * 4096, 4096, PROT_READ | PROT_WRITE))
			_exit(4);
	int len = snprintf(buf, sizeof buf, "%ld\n", count_lines("/proc/self/maps"));
	if (write(out, buf, (size_t)len) != len)
		_exit(5);
	close(out);
	for (;;)
		pause();
}

/* The file position of the reader's descriptor on /proc/TARGET/maps, or -1 while it
 * has none open. */
static long maps_pos(pid_t reader, pid_t tgt)
{
	char dir[64], path[320], link[128], want[64];
	struct dirent *e;
	long pos = -1;
	DIR *d;
	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)reader);
	snprintf(want, sizeof want, "/proc/%d/maps", (int)tgt);
	if (!(d = opendir(dir)))
		return -1;
	while ((e = readdir(d))) {
		ssize_t n;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strcmp(link, want))
			continue;
		snprintf(path, sizeof path, "/proc/%d/fdinfo/%s", (int)reader, e->d_name);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "pos: %ld", &pos) != 1)
				pos = -1;
			fclose(f);
		}
		break;
	}
	closedir(d);
	return pos;
}

static size_t slurp(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	return got;
}

int main(int argc, char **argv)
{
	int tries = 0, hits = 0, complete = 0, gone = 0;
	if (argc != 2) {
		fprintf(stderr, "usage: maps_race LJMM_MAPS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	while (tries < MAX_TRIES && hits < WANT_HITS) {
		int ready[2], out[2], err[2], status;
		char buf[64], pidarg[16], stdout_buf[1 << 16], stderr_buf[4096], expect[96];
		long expected, deadline, pos = -1;
		int hit = 0, late_reap = tries % 2;
		pid_t tgt, reader;
		tries++;
		if (pipe(ready))
			die("pipe");
		if ((tgt = fork()) < 0)
			die("fork");
		if (!tgt) {
			close(ready[0]);
			target(ready[1]);
		}
		close(ready[1]);
		ssize_t n = read(ready[0], buf, sizeof buf - 1);
		close(ready[0]);
		if (n <= 0) {
			fprintf(stderr, "maps_race: the target did not start\n");
			kill(tgt, SIGKILL);
			return 2;
		}
		buf[n] = 0;
		expected = atol(buf);
		if (pipe(out) || pipe(err))
			die("pipe");
		snprintf(pidarg, sizeof pidarg, "%d", (int)tgt);
		if ((reader = fork()) < 0)
			die("fork");
		if (!reader) {
			dup2(out[1], 1);
			dup2(err[1], 2);
			close(out[0]), close(out[1]), close(err[0]), close(err[1]);
			execl(argv[1], argv[1], pidarg, (char *)NULL);
			_exit(127);
		}
		close(out[1]), close(err[1]);
		/* Kill once the reader is 64 KiB into the target's maps and still at it. */
		deadline = now_ms() + 5000;
		while (now_ms() < deadline) {
			pos = maps_pos(reader, tgt);
			if (pos >= 65536)
				break;
			if (waitpid(reader, &status, WNOHANG) == reader) {
				reader = 0;
				break;
			}
		}
		kill(tgt, SIGKILL);
		hit = pos >= 65536 && reader;
		if (!late_reap)
			waitpid(tgt, NULL, 0);
		/* The picture is small and the reader writes it only at the end. */
		size_t outlen = slurp(out[0], stdout_buf, sizeof stdout_buf);
		slurp(err[0], stderr_buf, sizeof stderr_buf);
		close(out[0]), close(err[0]);
		if (reader && waitpid(reader, &status, 0) != reader)
			die("waitpid");
		if (late_reap)
			waitpid(tgt, NULL, 0);
		int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		snprintf(expect, sizeof expect, "ljmm-maps: no such process %d\n", (int)tgt);
		const char *m = strstr(stdout_buf, "  mappings ");
		long shown = m ? atol(m + 11) : -1;
		const char *verdict;
		if (rc == 0 && shown == expected && !stderr_buf[0])
			verdict = "complete", complete++;
		else if (rc == 1 && !outlen && !strcmp(stderr_buf, expect))
			verdict = "no such process", gone++;
		else
			verdict = NULL;
		hits += hit;
		printf("try %2d: target %d with %ld mappings, killed %s the read (at byte %ld), %s: %s\n", tries, (int)tgt,
		       expected, hit ? "during" : "outside", pos, late_reap ? "reaped after the reader" : "reaped at once",
		       verdict ? verdict : "WRONG");
		if (!verdict) {
			printf("FAIL: ljmm-maps exited %d with %ld mappings shown (the target had %ld)\n", rc, shown, expected);
			printf("--- stdout:\n%.2000s--- stderr:\n%s", stdout_buf, stderr_buf);
			return 1;
		}
	}
	printf("%d tries, %d killed during the read: %d complete pictures, %d 'no such process'\n", tries, hits, complete,
	       gone);
	if (hits < MIN_HITS) {
		printf("FAIL: only %d tries killed the target during the read (need %d)\n", hits, MIN_HITS);
		return 1;
	}
	return 0;
}
