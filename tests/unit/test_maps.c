/* SPDX-License-Identifier: MIT */
/* Unit tests for the /proc/self/maps parser (shim/maps.c): fixtures, chunking, pipes, malformed lines. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/testutil.h"
#include "maps.h"
#include "check_main.h"

typedef struct {
	uintptr_t start, end;
} range_t;

typedef struct {
	range_t *v;
	size_t n, cap;
	size_t stop_at; /* return stop_ret from the stop_at-th call (1-based); 0 never */
	int stop_ret;
} list_t;

static int collect(void *ctx, uintptr_t start, uintptr_t end)
{
	list_t *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		ck_assert_ptr_nonnull(l->v);
	}
	l->v[l->n].start = start;
	l->v[l->n].end = end;
	l->n++;
	return l->n == l->stop_at ? l->stop_ret : 0;
}

static void list_free(list_t *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void list_eq(const list_t *a, const list_t *b, const char *what)
{
	ck_assert_msg(a->n == b->n, "%s: %zu ranges, want %zu", what, a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		ck_assert_msg(a->v[i].start == b->v[i].start && a->v[i].end == b->v[i].end,
			      "%s: range %zu is %#lx-%#lx, want %#lx-%#lx", what, i, (unsigned long)a->v[i].start,
			      (unsigned long)a->v[i].end, (unsigned long)b->v[i].start, (unsigned long)b->v[i].end);
}

static char *load(const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;
	snprintf(path, sizeof path, "%s/%s", LJMM_FIXTURES, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* An independent reading of the same text with strtoull, line by line. */
static void reference_parse(const char *text, size_t len, list_t *out)
{
	const char *p = text, *endp = text + len;
	while (p < endp) {
		char *q;
		const char *nl = memchr(p, '\n', (size_t)(endp - p));
		unsigned long long s = strtoull(p, &q, 16), e;
		ck_assert_msg(*q == '-', "reference: bad fixture line at offset %ld", (long)(p - text));
		e = strtoull(q + 1, &q, 16);
		ck_assert_msg(*q == ' ', "reference: bad fixture line at offset %ld", (long)(p - text));
		collect(out, (uintptr_t)s, (uintptr_t)e);
		p = nl ? nl + 1 : endp;
	}
}

/* Feed text in chunks of chunk bytes (0: sizes from the seed), then finish. */
static int parse_chunked(const char *text, size_t len, size_t chunk, uint64_t seed, list_t *out, unsigned *line)
{
	ljmm_maps_parser_t p;
	size_t off = 0;
	int ret = 0;
	ljmm_maps_init(&p, collect, out);
	while (off < len) {
		size_t n = chunk;
		if (!n) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			n = (size_t)(seed % 97); /* 0 included: an empty feed is harmless */
		}
		if (n > len - off)
			n = len - off;
		ret = ljmm_maps_feed(&p, text + off, n);
		off += n;
		if (ret)
			break;
	}
	if (!ret)
		ret = ljmm_maps_finish(&p);
	if (line)
		*line = p.line;
	return ret;
}

/* ---- fixtures --------------------------------------------------------------------------- */

static const struct {
	const char *file;
	size_t count;
	range_t first, last;
	size_t probe; /* one more line to check by index */
	range_t probe_range;
	unsigned end_line; /* p->line after the whole file */
} fixtures[] = {
	{"maps_pie.txt", 24, {0x55e5583ef000, 0x55e5583f0000}, {0xffffffffff600000, 0xffffffffff601000}, 5,
	 {0x55e58d404000, 0x55e58d425000}, 25},
	{"maps_nopie.txt", 24, {0x400000, 0x401000}, {0xffffffffff600000, 0xffffffffff601000}, 5,
	 {0x3f10a000, 0x3f12b000}, 25},
	{"maps_longline.txt", 25, {0x55e5583ef000, 0x55e5583f0000}, {0xffffffffff600000, 0xffffffffff601000}, 12,
	 {0x7fb6086c0000, 0x7fb6086c8000}, 26},
	{"maps_nonewline.txt", 8, {0x400000, 0x401000}, {0x7fb4ef0bb000, 0x7fb4ef0e1000}, 5,
	 {0x3f10a000, 0x3f12b000}, 8},
};

START_TEST(test_maps_parses_fixtures)
{
	for (size_t i = 0; i < NELEM(fixtures); i++) {
		size_t len;
		char *text = load(fixtures[i].file, &len);
		list_t got = {0}, ref = {0};
		unsigned line = 0;
		ck_assert_msg(parse_chunked(text, len, len, 0, &got, &line) == 0, "%s: parse failed", fixtures[i].file);
		ck_assert_msg(got.n == fixtures[i].count, "%s: %zu ranges", fixtures[i].file, got.n);
		ck_assert_uint_eq(got.v[0].start, fixtures[i].first.start);
		ck_assert_uint_eq(got.v[0].end, fixtures[i].first.end);
		ck_assert_uint_eq(got.v[got.n - 1].start, fixtures[i].last.start);
		ck_assert_uint_eq(got.v[got.n - 1].end, fixtures[i].last.end);
		ck_assert_uint_eq(got.v[fixtures[i].probe].start, fixtures[i].probe_range.start);
		ck_assert_uint_eq(got.v[fixtures[i].probe].end, fixtures[i].probe_range.end);
		ck_assert_msg(line == fixtures[i].end_line, "%s: ended at line %u", fixtures[i].file, line);
		reference_parse(text, len, &ref);
		list_eq(&got, &ref, fixtures[i].file);
		list_free(&got);
		list_free(&ref);
		free(text);
	}
}
END_TEST

START_TEST(test_maps_longline_fixture_is_long)
{
	/* Guard the fixture itself: the long line must cross several 4 KiB reads. */
	size_t len;
	char *text = load("maps_longline.txt", &len);
	const char *del = strstr(text, " (deleted)\n");
	ck_assert_ptr_nonnull(del);
	const char *bol = del;
	while (bol > text && bol[-1] != '\n')
		bol--;
	ck_assert_int_ge(del - bol, 10000);
	ck_assert_uint_gt(len, 3 * 4096);
	free(text);
	text = load("maps_nonewline.txt", &len);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_ne(text[len - 1], '\n');
	free(text);
}
END_TEST

START_TEST(test_maps_every_chunk_size_same_result)
{
	for (size_t i = 0; i < NELEM(fixtures); i++) {
		size_t len;
		char *text = load(fixtures[i].file, &len);
		list_t ref = {0};
		reference_parse(text, len, &ref);
		for (size_t chunk = 1; chunk <= 64; chunk++) {
			list_t got = {0};
			unsigned line = 0;
			ck_assert_msg(parse_chunked(text, len, chunk, 0, &got, &line) == 0, "%s: chunk %zu failed",
				      fixtures[i].file, chunk);
			list_eq(&got, &ref, fixtures[i].file);
			ck_assert_uint_eq(line, fixtures[i].end_line);
			list_free(&got);
		}
		for (uint64_t seed = 1; seed <= 200; seed++) {
			list_t got = {0};
			ck_assert_int_eq(parse_chunked(text, len, 0, seed * 0x9e3779b97f4a7c15ull, &got, NULL), 0);
			list_eq(&got, &ref, fixtures[i].file);
			list_free(&got);
		}
		list_free(&ref);
		free(text);
	}
}
END_TEST

/* ---- reading from descriptors ---------------------------------------------------------- */

/* A child writes text into the pipe in pieces of 1 to 7 bytes, pausing now and then. */
static pid_t slow_writer(const char *text, size_t len, int *rfd)
{
	int fds[2];
	pid_t pid;
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		size_t off = 0;
		unsigned k = 0;
		close(fds[0]);
		while (off < len) {
			size_t n = 1 + (k * 5 + off) % 7;
			if (n > len - off)
				n = len - off;
			ssize_t w = write(fds[1], text + off, n);
			if (w < 0)
				_exit(1);
			off += (size_t)w;
			if (++k % 64 == 0)
				usleep(200);
		}
		_exit(0);
	}
	close(fds[1]);
	*rfd = fds[0];
	return pid;
}

static void reap(pid_t pid)
{
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(test_maps_read_fd_pipe_tiny_writes)
{
	static const char *const files[] = {"maps_longline.txt", "maps_pie.txt", "maps_nonewline.txt"};
	for (size_t i = 0; i < NELEM(files); i++) {
		size_t len;
		char *text = load(files[i], &len);
		list_t got = {0}, ref = {0};
		int rfd;
		pid_t pid = slow_writer(text, len, &rfd);
		ck_assert_int_eq(ljmm_maps_read_fd(rfd, collect, &got), 0);
		close(rfd);
		reap(pid);
		reference_parse(text, len, &ref);
		list_eq(&got, &ref, files[i]);
		list_free(&got);
		list_free(&ref);
		free(text);
	}
}
END_TEST

START_TEST(test_maps_read_fd_file_and_errors)
{
	char path[4096];
	list_t got = {0};
	int fd;
	snprintf(path, sizeof path, "%s/%s", LJMM_FIXTURES, "maps_longline.txt");
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ljmm_maps_read_fd(fd, collect, &got), 0);
	ck_assert_uint_eq(got.n, 25);
	close(fd);
	list_free(&got);

	ck_assert_int_eq(ljmm_maps_read_fd(-1, collect, &got), -EBADF);
	fd = open(LJMM_FIXTURES, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ljmm_maps_read_fd(fd, collect, &got), -EISDIR);
	close(fd);
	ck_assert_uint_eq(got.n, 0);

	/* A truncated stream is an error through read_fd too. */
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "1000-2000 r\n3000-40", 19), 19);
	close(fds[1]);
	ck_assert_int_eq(ljmm_maps_read_fd(fds[0], collect, &got), -EINVAL);
	close(fds[0]);
	ck_assert_uint_eq(got.n, 1);
	list_free(&got);
}
END_TEST

/* ---- valid and malformed input tables ------------------------------------------------ */

static const struct {
	const char *name, *text;
	size_t count;
	range_t r[3];
} good_inputs[] = {
	{"empty input", "", 0, {{0, 0}}},
	{"minimal line", "0-1 \n", 1, {{0, 1}}},
	{"no newline at the end", "0-1 x", 1, {{0, 1}}},
	{"ends after the space", "1000-2000 ", 1, {{0x1000, 0x2000}}},
	{"16 hex digits", "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]\n", 1,
	 {{0xffffffffff600000, 0xffffffffff601000}}},
	{"largest range", "0-ffffffffffffffff x\n", 1, {{0, UINTPTR_MAX}}},
	{"three lines", "1000-2000 a\n2000-3000 b c d\n7f0000000000-7f0000001000 e\n", 3,
	 {{0x1000, 0x2000}, {0x2000, 0x3000}, {0x7f0000000000, 0x7f0000001000}}},
	{"anything after the range", "1000-2000 \x01\xff-zz\t\r 12-\n3000-4000 x\n", 2, {{0x1000, 0x2000}, {0x3000, 0x4000}}},
};

START_TEST(test_maps_valid_inputs)
{
	for (size_t i = 0; i < NELEM(good_inputs); i++) {
		size_t len = strlen(good_inputs[i].text);
		for (size_t chunk = 1; chunk <= 8; chunk++) {
			list_t got = {0};
			int ret = parse_chunked(good_inputs[i].text, len, chunk, 0, &got, NULL);
			ck_assert_msg(ret == 0, "%s (chunk %zu): %d", good_inputs[i].name, chunk, ret);
			ck_assert_msg(got.n == good_inputs[i].count, "%s: %zu ranges", good_inputs[i].name, got.n);
			for (size_t k = 0; k < got.n; k++)
				ck_assert_msg(got.v[k].start == good_inputs[i].r[k].start &&
						      got.v[k].end == good_inputs[i].r[k].end,
					      "%s: range %zu", good_inputs[i].name, k);
			list_free(&got);
		}
	}
}
END_TEST

static const struct {
	const char *name, *text;
	unsigned line;   /* p->line at the error */
	size_t callbacks; /* ranges reported before it */
} bad_inputs[] = {
	{"missing '-'", "00400000-00401000 r-xp 0 0:0 0 /a\n00402000 00403000 rw-p 0 0:0 0\n", 2, 1},
	{"non-hex digit in start", "0040g000-00401000 r-xp 0 0:0 0\n", 1, 0},
	{"non-hex digit in end", "1000-2000 a\n2000-3000 b\n00400000-0040z000 r-xp\n", 3, 2},
	{"17 hex digits in start", "00000000000400000-00401000 r-xp\n", 1, 0},
	{"17 hex digits in end", "1000-2000 a\n00400000-00000000000401000 r-xp\n", 2, 1},
	{"end below start", "1000-2000 a\n3000-4000 b\n00401000-00400000 r-xp\n", 3, 2},
	{"end equal to start", "00400000-00400000 r-xp\n", 1, 0},
	{"empty line", "1000-2000 r\n\n3000-4000 r\n", 2, 1},
	{"empty first line", "\n1000-2000 r\n", 1, 0},
	{"line starting with a space", "1000-2000 r\n 3000-4000 r\n", 2, 1},
	{"tab after the range", "00400000-00401000\tr-xp\n", 1, 0},
	{"newline right after the range", "00400000-00401000\n", 1, 0},
	{"no start digits", "-00401000 r-xp\n", 1, 0},
	{"no end digits", "00400000- r-xp\n", 1, 0},
	{"double dash", "00400000--00401000 r-xp\n", 1, 0},
	{"truncated in start at EOF", "1000-2000 a\n30", 2, 1},
	{"truncated after '-' at EOF", "1000-2000 a\n3000-", 2, 1},
	{"truncated in end at EOF", "1000-2000 a\n3000-40", 2, 1},
	{"truncated after end at EOF", "1000-2000 a\n2000-3000 b\n3000-4000", 3, 2},
};

START_TEST(test_maps_malformed_lines)
{
	for (size_t i = 0; i < NELEM(bad_inputs); i++) {
		size_t len = strlen(bad_inputs[i].text);
		for (size_t chunk = 1; chunk <= len; chunk++) {
			list_t got = {0};
			unsigned line = 0;
			int ret = parse_chunked(bad_inputs[i].text, len, chunk, 0, &got, &line);
			ck_assert_msg(ret == -EINVAL, "%s (chunk %zu): ret %d", bad_inputs[i].name, chunk, ret);
			ck_assert_msg(line == bad_inputs[i].line, "%s (chunk %zu): line %u, want %u", bad_inputs[i].name,
				      chunk, line, bad_inputs[i].line);
			ck_assert_msg(got.n == bad_inputs[i].callbacks, "%s (chunk %zu): %zu callbacks, want %zu",
				      bad_inputs[i].name, chunk, got.n, bad_inputs[i].callbacks);
			list_free(&got);
		}
	}
}
END_TEST

START_TEST(test_maps_finish_on_fresh_parser)
{
	ljmm_maps_parser_t p;
	list_t got = {0};
	ljmm_maps_init(&p, collect, &got);
	ck_assert_int_eq(ljmm_maps_feed(&p, "", 0), 0);
	ck_assert_int_eq(ljmm_maps_finish(&p), 0);
	ck_assert_uint_eq(p.line, 1);
	ck_assert_uint_eq(got.n, 0);
}
END_TEST

/* ---- the callback's value ---------------------------------------------------------------- */

static const struct {
	size_t stop_at;
	int value;
} stops[] = {{1, 42}, {3, 42}, {24, 1}, {10, -EIO}, {5, -1}};

START_TEST(test_maps_callback_stops_parse)
{
	size_t len;
	char *text = load("maps_pie.txt", &len);
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", LJMM_FIXTURES, "maps_pie.txt");
	for (size_t i = 0; i < NELEM(stops); i++) {
		for (size_t chunk = 1; chunk <= 64; chunk += 21) {
			list_t got = {0};
			got.stop_at = stops[i].stop_at;
			got.stop_ret = stops[i].value;
			ck_assert_int_eq(parse_chunked(text, len, chunk, 0, &got, NULL), stops[i].value);
			ck_assert_uint_eq(got.n, stops[i].stop_at);
			list_free(&got);
		}
		list_t got = {0};
		got.stop_at = stops[i].stop_at;
		got.stop_ret = stops[i].value;
		int fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ljmm_maps_read_fd(fd, collect, &got), stops[i].value);
		ck_assert_uint_eq(got.n, stops[i].stop_at);
		close(fd);
		list_free(&got);
	}
	free(text);
}
END_TEST

/* ---- /proc/self/maps ---------------------------------------------------------------------- */

static int marker_function(int x)
{
	return x * 3 + 1;
}

static int (*volatile marker_ptr)(int) = marker_function;

static int contains(const list_t *l, uintptr_t a)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].start <= a && a < l->v[i].end)
			return 1;
	return 0;
}

START_TEST(test_maps_read_self)
{
	volatile int on_stack = marker_ptr(1);
	list_t got = {0};
	ck_assert_int_eq(ljmm_maps_read_self(collect, &got), 0);
	ck_assert_uint_gt(got.n, 5);
	for (size_t i = 0; i < got.n; i++) {
		ck_assert(got.v[i].start < got.v[i].end);
		ck_assert(got.v[i].start % 4096 == 0 && got.v[i].end % 4096 == 0);
		if (i)
			ck_assert(got.v[i - 1].end <= got.v[i].start);
	}
	ck_assert_msg(contains(&got, (uintptr_t)&on_stack), "stack variable not in any mapping");
	ck_assert_msg(contains(&got, (uintptr_t)marker_ptr), "function not in any mapping");
	ck_assert_msg(!contains(&got, 0), "page 0 is mapped?");
	ck_assert_int_eq(on_stack, 4);

	list_free(&got);

	/* A fresh mapping shows up; a page unmapped in its middle is a hole. */
	char *m = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(m != MAP_FAILED);
	ck_assert_int_eq(munmap(m + 4096, 4096), 0);
	ck_assert_int_eq(ljmm_maps_read_self(collect, &got), 0);
	ck_assert(contains(&got, (uintptr_t)m));
	ck_assert(!contains(&got, (uintptr_t)m + 4096));
	ck_assert(contains(&got, (uintptr_t)m + 2 * 4096));
	munmap(m, 3 * 4096);
	list_free(&got);
}
END_TEST

static const ljmm_unit_test_t tests[] = {
	{&test_maps_parses_fixtures, 1},
	{&test_maps_longline_fixture_is_long, 1},
	{&test_maps_every_chunk_size_same_result, 1},
	{&test_maps_read_fd_pipe_tiny_writes, 1},
	{&test_maps_read_fd_file_and_errors, 1},
	{&test_maps_valid_inputs, 1},
	{&test_maps_malformed_lines, 1},
	{&test_maps_finish_on_fresh_parser, 1},
	{&test_maps_callback_stops_parse, 1},
	{&test_maps_read_self, 1},
};

const ljmm_unit_t ljmm_unit = {.name = "maps", .timeout = 120, .needs_fork = 0, .tests = tests, .count = NELEM(tests)};
