/* SPDX-License-Identifier: MIT */
/* Unit tests for the allocation-free text output (shim/log.c): formatting, truncation,
 * flush, errno names, debug lines and the log destination. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/testutil.h"
#include "internal.h"
#include "log.h"
#include "check_main.h"

#define GUARD 0xa5

typedef enum { F_U64, F_I64, F_HEX, F_MIB, F_STR } fmt_t;

typedef struct {
	fmt_t fmt;
	uint64_t v;     /* the number (i64 values stored as their two's complement) */
	const char *s;  /* for F_STR */
	const char *want;
} fmt_case_t;

static void append(ljmm_buf_t *b, fmt_t fmt, uint64_t v, const char *s)
{
	switch (fmt) {
	case F_U64: ljmm_buf_u64(b, v); break;
	case F_I64: ljmm_buf_i64(b, (int64_t)v); break;
	case F_HEX: ljmm_buf_hex(b, v); break;
	case F_MIB: ljmm_buf_mib(b, v); break;
	case F_STR: ljmm_buf_str(b, s); break;
	}
}

static const fmt_case_t fmt_cases[] = {
	{F_U64, 0, NULL, "0"},
	{F_U64, 1, NULL, "1"},
	{F_U64, 9, NULL, "9"},
	{F_U64, 10, NULL, "10"},
	{F_U64, 4096, NULL, "4096"},
	{F_U64, 10000000000000000000ull, NULL, "10000000000000000000"},
	{F_U64, UINT64_MAX, NULL, "18446744073709551615"},
	{F_I64, 0, NULL, "0"},
	{F_I64, 42, NULL, "42"},
	{F_I64, (uint64_t)-1, NULL, "-1"},
	{F_I64, (uint64_t)-10, NULL, "-10"},
	{F_I64, (uint64_t)INT64_MAX, NULL, "9223372036854775807"},
	{F_I64, (uint64_t)INT64_MIN, NULL, "-9223372036854775808"},
	{F_I64, (uint64_t)(INT64_MIN + 1), NULL, "-9223372036854775807"},
	{F_HEX, 0, NULL, "0x0"},
	{F_HEX, 15, NULL, "0xf"},
	{F_HEX, 16, NULL, "0x10"},
	{F_HEX, 0xdeadbeef, NULL, "0xdeadbeef"},
	{F_HEX, 0x7ffff000, NULL, "0x7ffff000"},
	{F_HEX, UINT64_MAX, NULL, "0xffffffffffffffff"},
	{F_HEX, 0x8000000000000000ull, NULL, "0x8000000000000000"},
	{F_MIB, 0, NULL, "0.0 MiB"},
	{F_MIB, 1048576, NULL, "1.0 MiB"},
	{F_MIB, 1572864, NULL, "1.5 MiB"},
	{F_MIB, 1048575, NULL, "1.0 MiB"},
	{F_MIB, 52428, NULL, "0.0 MiB"},  /* just under 0.05 MiB */
	{F_MIB, 52429, NULL, "0.1 MiB"},  /* just over */
	{F_MIB, 996147, NULL, "0.9 MiB"},
	{F_MIB, 996148, NULL, "1.0 MiB"},  /* rounds up into the next unit */
	{F_MIB, 1101004, NULL, "1.0 MiB"},
	{F_MIB, 1101005, NULL, "1.1 MiB"},
	{F_MIB, 1066716365, NULL, "1017.3 MiB"},
	{F_MIB, (uint64_t)1 << 31, NULL, "2048.0 MiB"},
	{F_MIB, (uint64_t)1 << 50, NULL, "1073741824.0 MiB"},
	{F_MIB, 1844674407370955162ull, NULL, "1759218604441.6 MiB"}, /* bytes * 10 would overflow */
	{F_MIB, UINT64_MAX, NULL, "17592186044416.0 MiB"},
	{F_STR, 0, "", ""},
	{F_STR, 0, "hello", "hello"},
};

START_TEST(test_log_buf_formats)
{
	for (size_t i = 0; i < NELEM(fmt_cases); i++) {
		char storage[64 + 1];
		ljmm_buf_t b;
		memset(storage, GUARD, sizeof storage);
		ljmm_buf_init(&b, storage, 64);
		append(&b, fmt_cases[i].fmt, fmt_cases[i].v, fmt_cases[i].s);
		ck_assert_msg(b.len == strlen(fmt_cases[i].want) && memcmp(storage, fmt_cases[i].want, b.len) == 0,
			      "case %zu: '%.*s', want '%s'", i, (int)b.len, storage, fmt_cases[i].want);
		ck_assert_int_eq(b.truncated, 0);
		/* Nothing is written past the text (no hidden terminator). */
		for (size_t k = b.len; k < sizeof storage; k++)
			ck_assert_msg((unsigned char)storage[k] == GUARD, "case %zu: byte %zu written", i, k);
	}
}
END_TEST

START_TEST(test_log_buf_appends_in_sequence)
{
	char storage[128];
	ljmm_buf_t b;
	ljmm_buf_init(&b, storage, sizeof storage);
	ck_assert_uint_eq(b.len, 0);
	ljmm_buf_str(&b, "served ");
	ljmm_buf_mib(&b, 1572864);
	ljmm_buf_str(&b, " at ");
	ljmm_buf_hex(&b, 0x40000000);
	ljmm_buf_mem(&b, ", n=12345", 4);
	ljmm_buf_u64(&b, 7);
	ljmm_buf_mem(&b, "a\0b", 3);
	ljmm_buf_i64(&b, -3);
	static const char want[] = "served 1.5 MiB at 0x40000000, n=7a\0b-3";
	ck_assert_uint_eq(b.len, sizeof want - 1);
	ck_assert_mem_eq(storage, want, sizeof want - 1);
	ck_assert_int_eq(b.truncated, 0);
}
END_TEST

/* Every capacity from 0 to past the end: a prefix of the full text, flagged when cut. */
START_TEST(test_log_buf_truncates_at_every_capacity)
{
	static const char full[] = "hello12345678900xabc1.5 MiB-5";
	const size_t flen = sizeof full - 1;
	for (size_t cap = 0; cap <= flen + 3; cap++) {
		char storage[64];
		ljmm_buf_t b;
		memset(storage, GUARD, sizeof storage);
		ljmm_buf_init(&b, storage, cap);
		ljmm_buf_str(&b, "hello");
		ljmm_buf_u64(&b, 1234567890);
		ljmm_buf_hex(&b, 0xabc);
		ljmm_buf_mib(&b, 1572864);
		ljmm_buf_i64(&b, -5);
		size_t want = cap < flen ? cap : flen;
		ck_assert_msg(b.len == want, "cap %zu: len %zu", cap, b.len);
		ck_assert_msg(memcmp(storage, full, want) == 0, "cap %zu: '%.*s'", cap, (int)b.len, storage);
		ck_assert_msg(b.truncated == (cap < flen), "cap %zu: truncated %d", cap, b.truncated);
		for (size_t k = cap; k < sizeof storage; k++)
			ck_assert_msg((unsigned char)storage[k] == GUARD, "cap %zu: byte %zu overwritten", cap, k);
		/* Once cut, more text changes nothing. */
		ljmm_buf_str(&b, "more");
		if (cap < flen + 4)
			ck_assert_int_eq(b.truncated, 1);
		ck_assert_uint_le(b.len, cap);
		ck_assert((unsigned char)storage[cap] == GUARD);
	}
}
END_TEST

static const struct {
	fmt_t fmt;
	uint64_t v;
	const char *s;
	size_t cap;
	const char *want;
	int truncated;
} tight_cases[] = {
	{F_U64, UINT64_MAX, NULL, 5, "18446", 1},
	{F_U64, UINT64_MAX, NULL, 20, "18446744073709551615", 0},
	{F_U64, UINT64_MAX, NULL, 19, "1844674407370955161", 1},
	{F_U64, 0, NULL, 0, "", 1},
	{F_U64, 0, NULL, 1, "0", 0},
	{F_I64, (uint64_t)INT64_MIN, NULL, 1, "-", 1},
	{F_I64, (uint64_t)INT64_MIN, NULL, 20, "-9223372036854775808", 0},
	{F_I64, (uint64_t)-7, NULL, 2, "-7", 0},
	{F_HEX, 0, NULL, 3, "0x0", 0},
	{F_HEX, 0, NULL, 2, "0x", 1},
	{F_HEX, UINT64_MAX, NULL, 18, "0xffffffffffffffff", 0},
	{F_HEX, UINT64_MAX, NULL, 17, "0xfffffffffffffff", 1},
	{F_MIB, 1572864, NULL, 4, "1.5 ", 1},
	{F_MIB, 1572864, NULL, 7, "1.5 MiB", 0},
	{F_STR, 0, "hello", 5, "hello", 0},
	{F_STR, 0, "hello", 4, "hell", 1},
	{F_STR, 0, "", 0, "", 0},
};

START_TEST(test_log_buf_truncation_table)
{
	for (size_t i = 0; i < NELEM(tight_cases); i++) {
		char storage[32];
		ljmm_buf_t b;
		memset(storage, GUARD, sizeof storage);
		ljmm_buf_init(&b, storage, tight_cases[i].cap);
		append(&b, tight_cases[i].fmt, tight_cases[i].v, tight_cases[i].s);
		ck_assert_msg(b.len == strlen(tight_cases[i].want) && memcmp(storage, tight_cases[i].want, b.len) == 0,
			      "case %zu: '%.*s', want '%s'", i, (int)b.len, storage, tight_cases[i].want);
		ck_assert_msg(b.truncated == tight_cases[i].truncated, "case %zu: truncated %d", i, b.truncated);
		ck_assert_msg((unsigned char)storage[tight_cases[i].cap] == GUARD, "case %zu: guard overwritten", i);
	}
}
END_TEST

/* ---- flush ------------------------------------------------------------------------------- */

static size_t read_all(int fd, char *dst, size_t cap)
{
	size_t total = 0;
	ssize_t r;
	while (total < cap && (r = read(fd, dst + total, cap - total)) > 0)
		total += (size_t)r;
	return total;
}

START_TEST(test_log_flush_to_pipe)
{
	char storage[64], got[128];
	ljmm_buf_t b;
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	ljmm_buf_init(&b, storage, sizeof storage);
	ck_assert_int_eq(ljmm_buf_flush(&b, fds[1]), 0); /* empty: writes nothing */
	ljmm_buf_str(&b, "line one ");
	ljmm_buf_u64(&b, 1);
	ljmm_buf_mem(&b, "\n", 1);
	ck_assert_int_eq(ljmm_buf_flush(&b, fds[1]), 0);
	ck_assert_int_eq(ljmm_buf_flush(&b, fds[1]), 0);
	close(fds[1]);
	ck_assert_uint_eq(read_all(fds[0], got, sizeof got), 22);
	ck_assert_mem_eq(got, "line one 1\nline one 1\n", 22);
	close(fds[0]);

	ck_assert_int_eq(ljmm_buf_flush(&b, -1), -EBADF);
	/* A pipe nobody reads: -EPIPE (with SIGPIPE ignored), not a retry loop. */
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(ljmm_buf_flush(&b, fds[1]), -EPIPE);
	close(fds[1]);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static char pattern_byte(size_t i)
{
	return (char)('a' + (i * 7 + i / 4096) % 26);
}

/* A big flush through a slowly drained pipe while a timer interrupts write(2): the
 * flush must resume after short writes and EINTR and deliver every byte in order. */
START_TEST(test_log_flush_large_interrupted)
{
	enum { BIG = 4 << 20 };
	char *data = malloc(BIG);
	ljmm_buf_t b;
	int fds[2];
	pid_t pid;
	struct sigaction sa;
	struct itimerval tv;
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < BIG; i++)
		data[i] = pattern_byte(i);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char chunk[4096];
		size_t off = 0;
		ssize_t r;
		close(fds[1]);
		while ((r = read(fds[0], chunk, sizeof chunk)) > 0) {
			for (ssize_t k = 0; k < r; k++)
				if (chunk[k] != pattern_byte(off + (size_t)k))
					_exit(2);
			off += (size_t)r;
			/* Long pauses: the writer blocks on a full pipe across several ticks,
			 * so some write(2) calls end with EINTR and others short. */
			if ((off / 4096) % 16 == 0)
				usleep(3000);
		}
		_exit(off == BIG ? 0 : 3);
	}
	close(fds[0]);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm; /* no SA_RESTART: write(2) returns early */
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	memset(&tv, 0, sizeof tv);
	tv.it_interval.tv_usec = 500;
	tv.it_value.tv_usec = 500;
	ck_assert_int_eq(setitimer(ITIMER_REAL, &tv, NULL), 0);
	ljmm_buf_init(&b, data, BIG);
	b.len = BIG;
	int ret = ljmm_buf_flush(&b, fds[1]);
	memset(&tv, 0, sizeof tv);
	setitimer(ITIMER_REAL, &tv, NULL);
	close(fds[1]);
	ck_assert_int_eq(ret, 0);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader saw a wrong stream (status %#x)", status);
	ck_assert_msg(alarms > 0, "the timer never fired: nothing was interrupted");
	free(data);
}
END_TEST

/* ---- the log destination ------------------------------------------------------------------ */

static void temp_path(char *path, size_t cap)
{
	snprintf(path, cap, "%s/ljmm-test-log-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

/* The length of a line's "2026-12-06T20:30:05.123Z [level] " prefix at p, or 0. */
static size_t prefix_len(const char *p)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ [";
	static const char *const levels[] = {"error] ", "warn] ", "notice] ", "debug] "};
	for (size_t i = 0; i < sizeof shape - 1; i++)
		if (shape[i] == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != shape[i])
			return 0;
	for (size_t i = 0; i < NELEM(levels); i++)
		if (strncmp(p + sizeof shape - 1, levels[i], strlen(levels[i])) == 0)
			return sizeof shape - 1 + strlen(levels[i]);
	return 0;
}

/* A file's text with the time and level taken off each line that has them (the tests of
 * the prefix itself read files whole with slurp_raw). */
static size_t slurp_raw(const char *path, char *dst, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	size_t n = read_all(fd, dst, cap - 1);
	dst[n] = 0;
	close(fd);
	return n;
}

static size_t slurp(const char *path, char *dst, size_t cap)
{
	size_t n = slurp_raw(path, dst, cap), out = 0;
	for (size_t at = 0; at < n;) {
		size_t skip = (at == 0 || dst[at - 1] == '\n') ? prefix_len(dst + at) : 0;
		at += skip;
		if (at < n)
			dst[out++] = dst[at++];
	}
	dst[out] = 0;
	return out;
}

/* Open path with flags on descriptor number target, as a program does with dup2 (left
 * as it is when open gave that number already). */
static void open_onto(const char *path, int flags, int target)
{
	int fd = open(path, flags);
	ck_assert_int_ge(fd, 0);
	if (fd != target) {
		ck_assert_int_eq(dup2(fd, target), target);
		close(fd);
	}
}

/* Send stderr to a fresh temporary file for the rest of the test (each test runs in a
 * process of its own: CK_FORK). */
static void capture_stderr(char *path, size_t cap)
{
	temp_path(path, cap);
	open_onto(path, O_WRONLY | O_TRUNC, 2);
}

/* Lines of text that contain needle. */
static int count_of(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void log_line(const char *text)
{
	char storage[128];
	ljmm_buf_t b;
	ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_NOTICE);
	ljmm_buf_str(&b, text);
	ck_assert_int_eq(ljmm_log_end(&b), 0);
}

static int open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

/* The library's kept log descriptor: the one above 2 that holds the file at path, open for
 * appending. The file itself, not the first descriptor open for appending: a runner may
 * hand down one of its own below ours (CK_FORK=yes ./tests/test_log 3>>file). */
static int kept_descriptor(const char *path)
{
	struct stat want, st;
	ck_assert_int_eq(stat(path, &want), 0);
	for (int fd = 3; fd < 1024; fd++)
		if (fstat(fd, &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino &&
		    fcntl(fd, F_GETFL) & O_APPEND)
			return fd;
	ck_abort_msg("no kept log descriptor for %s", path);
	return -1;
}

/* A fresh temporary directory of that mode, in dir. */
static void temp_dir(char *dir, size_t cap, mode_t mode)
{
	snprintf(dir, cap, "%s/ljmm-test-dir-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, mode), 0);
}

/* Run fn in a forked child that dropped privileges to uid and gid 65534, as a worker
 * does (root only); its exit status must be 0. The child's PID. */
static pid_t as_worker(int (*fn)(void))
{
	int status;
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(10);
		_exit(fn());
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "worker status %#x", status);
	return pid;
}

/* The file at path holds (after the time and level are taken off) exactly want. */
static void expect_text(const char *path, const char *want)
{
	char got[4096];
	slurp(path, got, sizeof got);
	ck_assert_str_eq(got, want);
}

/* The same, with want formatted from fmt ("ljmm[%ld]: ...", a PID). */
static void expect_textf(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void expect_textf(const char *path, const char *fmt, ...)
{
	char want[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof want, fmt, ap);
	va_end(ap);
	expect_text(path, want);
}

START_TEST(test_log_goes_to_stderr_by_default)
{
	char err[4096];
	capture_stderr(err, sizeof err);
	ljmm_log_configure(NULL, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	log_line("one");
	ljmm_log_configure("", 0);
	log_line("two");
	expect_textf(err, "ljmm[%ld]: one\nljmm[%ld]: two\n", (long)getpid(), (long)getpid());
	unlink(err);
}
END_TEST

/* The file is opened at start-up and kept: one descriptor, above 2, closed on exec. */
START_TEST(test_log_file_kept_above_stderr_close_on_exec)
{
	char path[4096];
	int fd, before, kept = -1;
	temp_path(path, sizeof path);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "existing\n", 9), 9);
	close(fd);
	before = open_fds();
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	log_line("first");
	log_line("second");
	ck_assert_int_eq(open_fds(), before + 1);
	kept = kept_descriptor(path);
	ck_assert_int_eq(fcntl(kept, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	expect_textf(path, "existing\nljmm[%ld]: first\nljmm[%ld]: second\n", (long)getpid(), (long)getpid());
	unlink(path);
}
END_TEST

/* A daemon closes every descriptor and opens its own data file (for appending, as a log of
 * its own would be), which gets the kept log descriptor's number: the lines must reach the
 * log, not the data. The daemon is a child that asserts nothing after closing: Check's own
 * message descriptor is among the ones closed, and its next checkpoint would land in
 * whatever file took that number. Descriptors below the kept one are taken first so the
 * data file gets exactly its number (run by hand the kept one is 4, beside Check's 3: a
 * plain open after closing got 3 and tested nothing). The daemon then writes through it:
 * the shim must have left it open. */
START_TEST(test_log_never_writes_to_a_reused_descriptor)
{
	char path[4096], data[4096], got[1024];
	int status, kept;
	pid_t child;
	temp_path(path, sizeof path);
	temp_path(data, sizeof data);
	ljmm_log_configure(path, 0);
	log_line("before");
	kept = kept_descriptor(path);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char storage[128];
		ljmm_buf_t b;
		int fd = 3;
		for (int i = 3; i < 1024; i++)
			close(i);
		while (fd < kept) {
			int filler = open("/dev/null", O_RDONLY);
			if (filler < 0)
				_exit(4);
			fd = filler + 1;
		}
		if (open(data, O_WRONLY | O_TRUNC | O_APPEND) != kept)
			_exit(2);
		ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_NOTICE);
		ljmm_buf_str(&b, "after");
		if (ljmm_log_end(&b) != 0)
			_exit(3);
		/* Neither written nor closed: the daemon's descriptor still holds its file. */
		_exit(write(kept, "data\n", 5) == 5 ? 0 : 5);
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon child: status %#x", status);
	ck_assert_uint_eq(slurp_raw(data, got, sizeof got), 5);
	ck_assert_str_eq(got, "data\n");
	expect_textf(path, "ljmm[%ld]: before\nljmm[%ld]: after\n", (long)getpid(), (long)child);
	unlink(path);
	unlink(data);
}
END_TEST

START_TEST(test_log_file_is_created_0600)
{
	char path[4096];
	struct stat st;
	temp_path(path, sizeof path);
	unlink(path);
	umask(0);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, 0);
	unlink(path);
}
END_TEST

/* Unusable paths: one line on stderr naming the path and the error, then every line
 * goes to stderr. */
START_TEST(test_log_unusable_path_falls_back_to_stderr)
{
	static char long_path[5000];
	char notdir[4096], err[4096], got[8192];
	memset(long_path, 'z', sizeof long_path - 1);
	long_path[0] = '/';
	snprintf(notdir, sizeof notdir, "%s/maps_pie.txt/log", LJMM_FIXTURES);
	const struct {
		const char *path;
		int err;
		const char *name;
	} cases[] = {
		{"/nonexistent-ljmm-dir/x.log", -ENOENT, "ENOENT"},
		{"/", -EISDIR, "EISDIR"},
		{notdir, -ENOTDIR, "ENOTDIR"},
		{long_path, -ENAMETOOLONG, "ENAMETOOLONG"},
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		pid_t pid = fork();
		int status;
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			char want[256];
			capture_stderr(err, sizeof err);
			ljmm_log_configure(cases[i].path, 0);
			if (ljmm_log_check() != cases[i].err)
				_exit(10);
			log_line("still here");
			log_line("and again");
			slurp(err, got, sizeof got);
			unlink(err);
			/* exactly: the error line (ending in a newline however long the
			 * path), then both lines */
			snprintf(want, sizeof want, "ljmm[%ld]: cannot open LJMM_LOG_FILE='", (long)getpid());
			if (strncmp(got, want, strlen(want)) != 0 || !strstr(got, cases[i].name))
				_exit(11);
			snprintf(want, sizeof want, "; logging to stderr\nljmm[%ld]: still here\nljmm[%ld]: and again\n",
				 (long)getpid(), (long)getpid());
			if (!strstr(got, want) || strlen(strstr(got, want)) != strlen(want))
				_exit(12);
			if (strchr(got, '\n') - got > 511)
				_exit(13);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "case %zu: child status %#x", i, status);
	}
}
END_TEST

/* A 700-byte path is shortened in the middle: the error line stays whole and ends in a
 * newline. */
START_TEST(test_log_long_path_error_line_is_whole)
{
	char path[800], err[4096], got[4096];
	size_t n;
	strcpy(path, "/nonexistent-ljmm-dir/");
	for (n = strlen(path); n < 700; n++)
		path[n] = 'a' + (char)(n % 26);
	strcpy(path + n, "/end.log");
	capture_stderr(err, sizeof err);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), -ENOENT);
	n = slurp(err, got, sizeof got);
	unlink(err);
	ck_assert_uint_gt(n, 0);
	ck_assert_msg(got[n - 1] == '\n' && strchr(got, '\n') == got + n - 1, "not one whole line: '%s'", got);
	ck_assert_ptr_nonnull(strstr(got, "/end.log': ENOENT; logging to stderr"));
	ck_assert_ptr_nonnull(strstr(got, "..."));
}
END_TEST

static void on_alarm_exit(int sig)
{
	(void)sig;
	_exit(99);
}

/* After lines the log file did not take: stderr (captured in err) holds one
 * "cannot WHAT LJMM_LOG_FILE=" line naming why, then the lines (l2 may be NULL).
 * Removes both files. */
static void expect_fallback(const char *path, const char *err, const char *what, const char *why, const char *l1,
			    const char *l2)
{
	char got[2048], want[256];
	slurp(err, got, sizeof got);
	snprintf(want, sizeof want, "cannot %s LJMM_LOG_FILE=", what);
	ck_assert_int_eq(count_of(got, want), 1);
	snprintf(want, sizeof want, "': %s; logging to stderr\n", why);
	ck_assert_ptr_nonnull(strstr(got, want));
	snprintf(want, sizeof want, "]: %s\n", l1);
	ck_assert_ptr_nonnull(strstr(got, want));
	if (l2) {
		snprintf(want, sizeof want, "]: %s\n", l2);
		ck_assert_ptr_nonnull(strstr(got, want));
	}
	unlink(path);
	unlink(err);
}

/* A FIFO with no reader: open(2) would block for ever without O_NONBLOCK. */
START_TEST(test_log_fifo_without_reader_does_not_block)
{
	char path[4096], err[4096];
	temp_path(path, sizeof path);
	unlink(path);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	capture_stderr(err, sizeof err);
	signal(SIGALRM, on_alarm_exit);
	alarm(5);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), -ENXIO);
	log_line("to stderr");
	alarm(0);
	expect_fallback(path, err, "open", "ENXIO (a FIFO with no reader)", "to stderr", NULL);
}
END_TEST

/* A full descriptor table at start-up: the line still goes out, to stderr. */
START_TEST(test_log_full_descriptor_table_falls_back)
{
	char path[4096], err[4096];
	struct rlimit rl = {16, 16};
	temp_path(path, sizeof path);
	capture_stderr(err, sizeof err);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (open("/dev/null", O_RDONLY) >= 0)
		;
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), -EMFILE);
	log_line("no descriptor left");
	close(15); /* one for reading the result */
	expect_fallback(path, err, "open", "EMFILE", "no descriptor left", NULL);
}
END_TEST

/* A table that fills after start-up no longer matters: the file was opened then. */
START_TEST(test_log_full_descriptor_table_later_still_logs)
{
	char path[4096];
	struct rlimit rl = {16, 16};
	temp_path(path, sizeof path);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (open("/dev/null", O_RDONLY) >= 0)
		;
	log_line("no descriptor left");
	close(15);
	expect_textf(path, "ljmm[%ld]: no descriptor left\n", (long)getpid());
	unlink(path);
}
END_TEST

/* The path is fixed when the options are read: a relative one against the directory of
 * that moment (a program that changes directory keeps its log), and copied (nginx and
 * postgres write their process title over the environment string it came from). */
START_TEST(test_log_path_is_fixed_at_start)
{
	char a[4096], b[4096], env[64] = "rel.log", file[4200];
	struct stat st;
	snprintf(a, sizeof a, "%s/ljmm-test-logdir-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	snprintf(b, sizeof b, "%s", a);
	ck_assert_ptr_nonnull(mkdtemp(a));
	ck_assert_ptr_nonnull(mkdtemp(b));
	ck_assert_int_eq(chdir(a), 0);
	ljmm_log_configure(env, 0);
	memset(env, 'X', sizeof env - 1); /* the title written over the environment */
	ck_assert_int_eq(chdir(b), 0);
	log_line("from elsewhere");
	snprintf(file, sizeof file, "%s/rel.log", a);
	expect_textf(file, "ljmm[%ld]: from elsewhere\n", (long)getpid());
	snprintf(file, sizeof file, "%s/rel.log", b);
	ck_assert_int_eq(stat(file, &st), -1);
	snprintf(file, sizeof file, "%s/rel.log", a);
	unlink(file);
	rmdir(a);
	rmdir(b);
}
END_TEST

/* A line written while the log path is being copied (another thread's, or a handler's,
 * at the first MAP_32BIT call, which reads the options) goes to stderr: it must not open
 * the half-written path, with O_CREAT, as a file of its own. Half written, the path is
 * the new directory followed by the rest of the old path's bytes: with two directories
 * of the same length, the old file's name in the new directory. */
static int fds_opened_in_the_middle = -1;

static void log_in_the_middle(const char *where)
{
	if (strcmp(where, "log: path half written") != 0)
		return;
	fds_opened_in_the_middle = open_fds();
	ljmm_log_debug("in the middle", 0, NULL, 0, 0);
	fds_opened_in_the_middle = open_fds() - fds_opened_in_the_middle;
}

START_TEST(test_log_line_while_the_path_is_written_goes_to_stderr)
{
	char one[4096], two[4096], err[4096], path[4200];
	static const char old_name[] = "the-first-log-file-with-a-longer-name.log";
	temp_dir(one, sizeof one, 0700);
	temp_dir(two, sizeof two, 0700);
	ck_assert_uint_eq(strlen(one), strlen(two));
	capture_stderr(err, sizeof err);
	ck_assert_int_eq(chdir(one), 0);
	ljmm_log_configure(old_name, 1);
	ck_assert_int_eq(ljmm_log_check(), 0);
	ck_assert_int_eq(chdir(two), 0);
	ljmm_test_point = log_in_the_middle;
	ljmm_log_configure("new.log", 1);
	ljmm_test_point = NULL;
	ck_assert_int_eq(fds_opened_in_the_middle, 0);
	expect_textf(err, "ljmm[%ld]: in the middle\n", (long)getpid());
	snprintf(path, sizeof path, "%s/%s", two, old_name);
	ck_assert_msg(access(path, F_OK) != 0, "%s was created in the middle", path);
	/* Afterwards, the new file. */
	log_line("after");
	snprintf(path, sizeof path, "%s/new.log", two);
	expect_textf(path, "ljmm[%ld]: after\n", (long)getpid());
	unlink(path);
	snprintf(path, sizeof path, "%s/%s", one, old_name);
	unlink(path);
	unlink(err);
	rmdir(one);
	rmdir(two);
}
END_TEST

/* A log file already past RLIMIT_FSIZE: the write fails with EFBIG and raises SIGXFSZ,
 * which kills the process by default. Ours must not: the line goes to stderr with one
 * line saying why, and no SIGXFSZ is left pending, whether the program had it blocked
 * or not. */
START_TEST(test_log_file_size_limit_does_not_kill)
{
	char path[4096], err[4096], big[4096];
	struct rlimit rl, old_rl;
	sigset_t blocked, pending;
	int fd;
	temp_path(path, sizeof path);
	fd = open(path, O_WRONLY | O_TRUNC);
	memset(big, '.', sizeof big);
	ck_assert_int_eq(write(fd, big, sizeof big), (ssize_t)sizeof big);
	close(fd);
	capture_stderr(err, sizeof err);
	/* The soft limit only, put back at the end: the coverage build's gcov writes its
	 * counts when the test process exits, and would meet the limit too. */
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old_rl), 0);
	rl = old_rl;
	rl.rlim_cur = 1024;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	log_line("first");
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGXFSZ);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &blocked, NULL), 0);
	log_line("second, SIGXFSZ blocked by the program");
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert(!sigismember(&pending, SIGXFSZ));
	ck_assert_int_eq(sigprocmask(SIG_UNBLOCK, &blocked, NULL), 0);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old_rl), 0);
	expect_fallback(path, err, "write", "EFBIG (RLIMIT_FSIZE)", "first", "second, SIGXFSZ blocked by the program");
}
END_TEST

/* A file that opens but takes nothing (a full disk; here /dev/full through a symlink):
 * the lines go to stderr, after one line saying why. */
START_TEST(test_log_write_failure_falls_back)
{
	char path[4096], err[4096];
	temp_path(path, sizeof path);
	unlink(path);
	ck_assert_int_eq(symlink("/dev/full", path), 0);
	capture_stderr(err, sizeof err);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	log_line("one");
	log_line("two");
	expect_fallback(path, err, "write", "ENOSPC", "one", "two");
}
END_TEST

START_TEST(test_log_end_keeps_room_for_newline)
{
	char path[4096], got[256], want[256], storage[72];
	ljmm_buf_t b;
	int n;
	temp_path(path, sizeof path);
	ljmm_log_configure(path, 0);
	ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_WARN);
	ljmm_buf_str(&b, "a line far too long for seventy-two bytes with its prefix");
	ck_assert_int_eq(b.truncated, 1);
	ljmm_log_end(&b);
	ck_assert_uint_eq(slurp_raw(path, got, sizeof got), sizeof storage);
	n = snprintf(want, sizeof want, "%.*s", (int)prefix_len(got), got);
	ck_assert_int_eq(n, (int)strlen("2026-12-06T20:30:05.123Z [warn] "));
	snprintf(want + n, sizeof want - (size_t)n, "ljmm[%ld]: a line far too long for seventy-two bytes", (long)getpid());
	want[sizeof storage - 1] = '\n';
	want[sizeof storage] = 0;
	ck_assert_str_eq(got, want);
	unlink(path);
}
END_TEST

/* The shim stamps lines with clock_gettime(CLOCK_REALTIME). time() is not that clock: the
 * kernel's vDSO time() returns the seconds of the last tick, so for up to a tick after each
 * second begins (5 ms measured on Linux 6.18) it still says the second before, and a line
 * stamped then is "later" than time() afterwards (seen in CI: 1796633754 against 1796633753).
 * Bound the lines with the clock that stamps them. */
static time_t realtime_s(void)
{
	struct timespec ts;
	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return ts.tv_sec;
}

/* Every line: "2026-12-06T20:30:05.123Z [level] ljmm[PID]: ", the time UTC and now. */
START_TEST(test_log_line_carries_time_level_and_pid)
{
	static const struct {
		ljmm_log_level_t level;
		const char *word;
	} levels[] = {{LJMM_LOG_ERROR, "error"}, {LJMM_LOG_WARN, "warn"}, {LJMM_LOG_NOTICE, "notice"},
		      {LJMM_LOG_DEBUG, "debug"}};
	char err[4096], got[1024], stamp[64], want[128];
	time_t before = realtime_s(), after;
	struct tm tm;
	capture_stderr(err, sizeof err);
	ljmm_log_configure(NULL, 0);
	for (size_t i = 0; i < NELEM(levels); i++) {
		char storage[128];
		ljmm_buf_t b;
		ljmm_log_begin(&b, storage, sizeof storage, levels[i].level);
		ljmm_buf_str(&b, levels[i].word);
		ck_assert_int_eq(ljmm_log_end(&b), 0);
	}
	after = realtime_s();
	slurp_raw(err, got, sizeof got);
	const char *line = got;
	for (size_t i = 0; i < NELEM(levels); i++) {
		size_t n = prefix_len(line);
		ck_assert_msg(n > 0, "no time and level: '%s'", line);
		memset(&tm, 0, sizeof tm);
		ck_assert_ptr_nonnull(strptime(line, "%Y-%m-%dT%H:%M:%S", &tm));
		time_t t = timegm(&tm);
		ck_assert_msg(t >= before && t <= after, "time %ld not within [%ld, %ld]", (long)t, (long)before, (long)after);
		snprintf(stamp, sizeof stamp, " [%s] ", levels[i].word);
		ck_assert_ptr_eq(strstr(line, stamp), line + 24);
		snprintf(want, sizeof want, "ljmm[%ld]: %s\n", (long)getpid(), levels[i].word);
		ck_assert_int_eq(strncmp(line + n, want, strlen(want)), 0);
		line = strchr(line, '\n') + 1;
	}
	ck_assert_str_eq(line, "");
	unlink(err);
}
END_TEST

/* The UTC conversion against the C library's, over the dates that matter. */
START_TEST(test_log_utc_matches_gmtime)
{
	static const int64_t times[] = {0, 59, 86399, 86400, 951782400 /* 2000-02-29 */, 951868800, 1709164800,
					1796515200, 4102444799 /* 2099-12-31T23:59:59 */, 253402300799};
	for (size_t i = 0; i < NELEM(times); i++) {
		char storage[64], want[64];
		time_t t = (time_t)times[i];
		struct tm tm;
		ljmm_buf_t b;
		ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
		strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S.042Z", &tm);
		ljmm_buf_init(&b, storage, sizeof storage);
		ljmm_buf_utc(&b, times[i], 42999999);
		ck_assert_msg(b.len == strlen(want) && memcmp(storage, want, b.len) == 0, "%lld: '%.*s', want '%s'",
			      (long long)times[i], (int)b.len, storage, want);
	}
}
END_TEST

/* Root's master opens the file, its worker drops privileges and still writes to it. */
static const char *worker_path; /* what a worker must not be able to open itself */

static int worker_logs(void)
{
	if (worker_path && open(worker_path, O_WRONLY | O_APPEND) >= 0)
		return 11;
	log_line("worker");
	return 0;
}

START_TEST(test_log_worker_after_privilege_drop_writes_through_kept_file)
{
	char dir[4096], path[4200];
	pid_t pid;
	if (geteuid() != 0)
		return; /* dropping privileges needs root */
	temp_dir(dir, sizeof dir, 0700);
	snprintf(path, sizeof path, "%s/ljmm.log", dir);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	log_line("master");
	worker_path = path;
	pid = as_worker(worker_logs);
	expect_textf(path, "ljmm[%ld]: master\nljmm[%ld]: worker\n", (long)getpid(), (long)pid);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* logrotate's "create": the file renamed, a new one made; the next line reaches the new
 * one, nothing is lost; "copytruncate": the file emptied in place. */
START_TEST(test_log_follows_rotation)
{
	char path[4096], rotated[4200];
	int fd;
	temp_path(path, sizeof path);
	snprintf(rotated, sizeof rotated, "%s.1", path);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	log_line("before");
	ck_assert_int_eq(rename(path, rotated), 0);
	log_line("between"); /* no file at the path yet: into the renamed one */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	ck_assert_int_ge(fd, 0);
	close(fd);
	log_line("after");
	expect_textf(rotated, "ljmm[%ld]: before\nljmm[%ld]: between\n", (long)getpid(), (long)getpid());
	expect_textf(path, "ljmm[%ld]: after\n", (long)getpid());
	ck_assert_int_eq(truncate(path, 0), 0); /* copytruncate */
	log_line("truncated");
	expect_textf(path, "ljmm[%ld]: truncated\n", (long)getpid());
	unlink(path);
	unlink(rotated);
}
END_TEST

/* A new file the process may not open (made root's 0600 after the worker dropped
 * privileges): the lines go on into the rotated file, after one line saying so. */
static int worker_logs_two(void)
{
	log_line("one");
	log_line("two");
	return 0;
}

START_TEST(test_log_rotation_to_a_file_not_ours_keeps_the_old_one)
{
	char dir[4096], path[4200], rotated[4200], got[64], want[8192];
	pid_t pid;
	int fd;
	if (geteuid() != 0)
		return;
	temp_dir(dir, sizeof dir, 0755);
	snprintf(path, sizeof path, "%s/ljmm.log", dir);
	snprintf(rotated, sizeof rotated, "%s/ljmm.log.1", dir);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	ck_assert_int_eq(rename(path, rotated), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	pid = as_worker(worker_logs_two);
	snprintf(want, sizeof want,
		 "ljmm[%ld]: cannot reopen LJMM_LOG_FILE='%s': EACCES after a rotation; writing on to the rotated file\n"
		 "ljmm[%ld]: one\nljmm[%ld]: two\n",
		 (long)pid, path, (long)pid, (long)pid);
	expect_text(rotated, want);
	ck_assert_uint_eq(slurp(path, got, sizeof got), 0);
	unlink(path);
	unlink(rotated);
	rmdir(dir);
}
END_TEST

/* "%p": a file per process; a forked child opens its own; "%%" is a "%". */
START_TEST(test_log_pid_pattern_gives_each_process_its_file)
{
	char dir[4096], pattern[4200], mine[4200], childs[4200];
	pid_t pid;
	int status;
	temp_dir(dir, sizeof dir, 0700);
	snprintf(pattern, sizeof pattern, "%s/ljmm.%%p.100%%%%.log", dir);
	snprintf(mine, sizeof mine, "%s/ljmm.%ld.100%%.log", dir, (long)getpid());
	ljmm_log_configure(pattern, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	log_line("parent");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		log_line("child");
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	snprintf(childs, sizeof childs, "%s/ljmm.%ld.100%%.log", dir, (long)pid);
	expect_textf(mine, "ljmm[%ld]: parent\n", (long)getpid());
	expect_textf(childs, "ljmm[%ld]: child\n", (long)pid);
	unlink(mine);
	unlink(childs);
	rmdir(dir);
}
END_TEST

/* A child that may not create its own "%p" file writes into its parent's. */
START_TEST(test_log_pid_pattern_child_without_rights_uses_the_parents_file)
{
	char dir[4096], pattern[4200], mine[4200];
	pid_t pid;
	if (geteuid() != 0)
		return;
	temp_dir(dir, sizeof dir, 0755);
	snprintf(pattern, sizeof pattern, "%s/ljmm.%%p.log", dir);
	snprintf(mine, sizeof mine, "%s/ljmm.%ld.log", dir, (long)getpid());
	ljmm_log_configure(pattern, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	worker_path = NULL;
	pid = as_worker(worker_logs);
	expect_textf(mine, "ljmm[%ld]: worker\n", (long)pid);
	unlink(mine);
	rmdir(dir);
}
END_TEST

/* Standard error closed, then a data file opened on descriptor 2: no line in it. A log
 * put there on purpose (opened for appending, as nginx's error.log) gets the line. */
START_TEST(test_log_stderr_reused_by_a_data_file_is_not_written)
{
	char data[4096], applog[4096], got[256];
	int fd;
	temp_path(data, sizeof data);
	temp_path(applog, sizeof applog);
	ljmm_log_configure(NULL, 0);
	close(2);
	fd = open(data, O_RDWR | O_TRUNC);
	ck_assert_int_eq(fd, 2);
	ck_assert_int_eq(write(fd, "data", 4), 4);
	{
		char storage[128];
		ljmm_buf_t b;
		ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_WARN);
		ljmm_buf_str(&b, "not into the data");
		ck_assert_int_eq(ljmm_log_end(&b), -EBADF); /* dropped */
	}
	ck_assert_uint_eq(slurp(data, got, sizeof got), 4);
	ck_assert_str_eq(got, "data");
	close(2);
	fd = open(applog, O_WRONLY | O_APPEND);
	ck_assert_int_eq(fd, 2);
	log_line("into the program's log");
	expect_textf(applog, "ljmm[%ld]: into the program's log\n", (long)getpid());
	unlink(data);
	unlink(applog);
}
END_TEST

/* The program puts a file of its own on the kept descriptor's number (dup2): that file
 * gets nothing, the log gets the line. */
START_TEST(test_log_dup2_over_kept_descriptor_is_not_written)
{
	char path[4096], data[4096], got[256];
	temp_path(path, sizeof path);
	temp_path(data, sizeof data);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	open_onto(data, O_WRONLY | O_APPEND, kept_descriptor(path));
	log_line("line");
	ck_assert_uint_eq(slurp(data, got, sizeof got), 0);
	expect_textf(path, "ljmm[%ld]: line\n", (long)getpid());
	unlink(path);
	unlink(data);
}
END_TEST

/* The log file itself back on the kept number, but not open for appending (a program
 * that opened it to read, or to write at its own offset, and dup2'd it there): the shim
 * must not write through it (at offset 0 it would overwrite the first line; read-only the
 * line would be lost), nor close it; the line is appended through a descriptor of its own. */
START_TEST(test_log_own_file_not_appending_on_kept_number_is_left_alone)
{
	static const struct {
		int flags;
		const char *what;
	} opens[] = {{O_WRONLY, "write-only"}, {O_RDWR, "read-write"}, {O_RDONLY, "read-only"}};
	for (size_t i = 0; i < NELEM(opens); i++) {
		char path[4096];
		int kept;
		temp_path(path, sizeof path);
		ljmm_log_configure(path, 0);
		log_line("before");
		kept = kept_descriptor(path);
		open_onto(path, opens[i].flags, kept);
		log_line("after");
		ck_assert_msg(fcntl(kept, F_GETFD) != -1, "%s: the program's descriptor was closed", opens[i].what);
		ck_assert_int_eq(fcntl(kept, F_GETFL) & O_ACCMODE, opens[i].flags);
		expect_textf(path, "ljmm[%ld]: before\nljmm[%ld]: after\n", (long)getpid(), (long)getpid());
		close(kept);
		unlink(path);
	}
}
END_TEST

/* Threads logging at once share the kept file: every line arrives, whole and once, and
 * nobody is told the file cannot be opened (a thread that finds another in the section
 * waits for it instead of opening the path alone). */
#define LOG_THREADS 4
#define LOG_LINES 300

static void *log_lines(void *arg)
{
	for (int i = 0; i < LOG_LINES; i++) {
		char storage[128], text[64];
		ljmm_buf_t b;
		snprintf(text, sizeof text, "thread %ld line %d", (long)(intptr_t)arg, i);
		ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_DEBUG);
		ljmm_buf_str(&b, text);
		if (ljmm_log_end(&b) != 0)
			return (void *)1;
	}
	return NULL;
}

static int worker_runs_threads(void)
{
	pthread_t t[LOG_THREADS];
	void *rc;
	for (long i = 0; i < LOG_THREADS; i++)
		if (pthread_create(&t[i], NULL, log_lines, (void *)(intptr_t)i) != 0)
			return 11;
	for (int i = 0; i < LOG_THREADS; i++)
		if (pthread_join(t[i], &rc) != 0 || rc)
			return 12;
	return 0;
}

START_TEST(test_log_threads_share_the_kept_file)
{
	static char got[LOG_THREADS * LOG_LINES * 80];
	char dir[4096], path[4200], err[4096], want[64];
	if (geteuid() != 0)
		return; /* the threads run as a user that could not open the path alone */
	temp_dir(dir, sizeof dir, 0700);
	snprintf(path, sizeof path, "%s/ljmm.log", dir);
	capture_stderr(err, sizeof err);
	ljmm_log_configure(path, 0);
	ck_assert_int_eq(ljmm_log_check(), 0);
	as_worker(worker_runs_threads);
	slurp(path, got, sizeof got);
	for (int i = 0; i < LOG_THREADS; i++)
		for (int j = 0; j < LOG_LINES; j += 37) {
			snprintf(want, sizeof want, "]: thread %d line %d\n", i, j);
			ck_assert_int_eq(count_of(got, want), 1);
		}
	ck_assert_int_eq(count_of(got, "\n"), LOG_THREADS * LOG_LINES);
	ck_assert_uint_eq(slurp(err, got, sizeof got), 0);
	unlink(err);
	unlink(path);
	rmdir(dir);
}
END_TEST

static const struct {
	int err;
	const char *want;
} errno_cases[] = {
	{ENOMEM, "ENOMEM"}, {EEXIST, "EEXIST"}, {EINVAL, "EINVAL"}, {EACCES, "EACCES"}, {EPERM, "EPERM"},
	{EBADF, "EBADF"},   {EAGAIN, "EAGAIN"}, {EMFILE, "EMFILE"}, {ENXIO, "ENXIO"},   {ENOSPC, "ENOSPC"},
	{ENAMETOOLONG, "ENAMETOOLONG"}, {EOVERFLOW, "EOVERFLOW"}, {0, "errno 0"}, {4095, "errno 4095"},
	{-3, "errno -3"},
};

START_TEST(test_log_errno_names)
{
	for (size_t i = 0; i < NELEM(errno_cases); i++) {
		char storage[64];
		ljmm_buf_t b;
		ljmm_buf_init(&b, storage, sizeof storage);
		ljmm_buf_errno(&b, errno_cases[i].err);
		ck_assert_msg(b.len == strlen(errno_cases[i].want) && memcmp(storage, errno_cases[i].want, b.len) == 0,
			      "errno %d: '%.*s', want '%s'", errno_cases[i].err, (int)b.len, storage, errno_cases[i].want);
	}
}
END_TEST

START_TEST(test_log_debug_line)
{
	char err[4096];
	capture_stderr(err, sizeof err);
	ljmm_log_configure(NULL, 0);
	LJMM_DEBUG("off: never printed", 0x1000, "len", 4096, -ENOMEM);
	ljmm_log_configure(NULL, 1);
	LJMM_DEBUG("region: served", 0x7ff00000, "len", 1048576, 0);
	LJMM_DEBUG("plain", 0, NULL, 0, 0);
	LJMM_DEBUG("refused", 0x10000, "len", 4096, -EEXIST);
	expect_textf(err, "ljmm[%ld]: region: served addr=0x7ff00000 len=1048576\nljmm[%ld]: plain\n"
		 "ljmm[%ld]: refused addr=0x10000 len=4096 error=EEXIST\n",
		 (long)getpid(), (long)getpid(), (long)getpid());
	unlink(err);
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_log_buf_formats, 1},
	{&test_log_buf_appends_in_sequence, 1},
	{&test_log_buf_truncates_at_every_capacity, 1},
	{&test_log_buf_truncation_table, 1},
	{&test_log_flush_to_pipe, 1},
	{&test_log_flush_large_interrupted, 1},
	{&test_log_goes_to_stderr_by_default, 1},
	{&test_log_file_kept_above_stderr_close_on_exec, 1},
	{&test_log_never_writes_to_a_reused_descriptor, 1},
	{&test_log_file_is_created_0600, 1},
	{&test_log_unusable_path_falls_back_to_stderr, 1},
	{&test_log_long_path_error_line_is_whole, 1},
	{&test_log_fifo_without_reader_does_not_block, 1},
	{&test_log_full_descriptor_table_falls_back, 1},
	{&test_log_full_descriptor_table_later_still_logs, 1},
	{&test_log_line_carries_time_level_and_pid, 1},
	{&test_log_utc_matches_gmtime, 1},
	{&test_log_worker_after_privilege_drop_writes_through_kept_file, 1},
	{&test_log_follows_rotation, 1},
	{&test_log_rotation_to_a_file_not_ours_keeps_the_old_one, 1},
	{&test_log_pid_pattern_gives_each_process_its_file, 1},
	{&test_log_pid_pattern_child_without_rights_uses_the_parents_file, 1},
	{&test_log_stderr_reused_by_a_data_file_is_not_written, 1},
	{&test_log_dup2_over_kept_descriptor_is_not_written, 1},
	{&test_log_own_file_not_appending_on_kept_number_is_left_alone, 1},
	{&test_log_threads_share_the_kept_file, 1},
	{&test_log_path_is_fixed_at_start, 1},
	{&test_log_line_while_the_path_is_written_goes_to_stderr, 1},
	{&test_log_file_size_limit_does_not_kill, 1},
	{&test_log_write_failure_falls_back, 1},
	{&test_log_end_keeps_room_for_newline, 1},
	{&test_log_errno_names, 1},
	{&test_log_debug_line, 1},
};

const ljmm_unit_t ljmm_unit = {.name = "log", .timeout = 60, .needs_fork = 1, .tests = tests, .count = NELEM(tests)};
