/* SPDX-License-Identifier: MIT */
/* Fuzz target for the /proc/self/maps parser (shim/maps.c).
 *
 * Input: byte 0 = k (mod 16) split sizes in bytes 1..k, byte k+1 = after how many
 * ranges the callback stops the parse (0: never), the rest is the text. The text is
 * parsed three ways: fed whole, fed in chunks cycling through the split sizes (0
 * included: an empty feed), and fed one byte at a time. All three must report the same
 * ranges, return the same code, stop on the same line and finish the same way; every
 * reported range has start < end, and the result agrees with a line-at-a-time
 * reference parser written here from the format's definition. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "layout.h"
#include "maps.h"

#define MAX_RANGES 4096
#define STOP_CODE 7

typedef struct {
	uintptr_t s[MAX_RANGES], e[MAX_RANGES];
	size_t n;     /* ranges reported (only the first MAX_RANGES kept) */
	size_t stop;  /* return STOP_CODE at the stop-th range; 0 never */
} result_t;

typedef struct {
	result_t r;
	int ret, fin;
	unsigned line;
} run_t;

static run_t whole, chunked, bytewise, ref;

static int collect(void *ctx, uintptr_t start, uintptr_t end)
{
	result_t *r = ctx;
	FUZZ_CHECK(start < end, "range [%#lx, %#lx) reported", (unsigned long)start, (unsigned long)end);
	if (r->n < MAX_RANGES) {
		r->s[r->n] = start;
		r->e[r->n] = end;
	}
	r->n++;
	return r->stop && r->n == r->stop ? STOP_CODE : 0;
}

static void start_run(run_t *run, size_t stop)
{
	run->r.n = 0;
	run->r.stop = stop;
	run->ret = run->fin = 0;
	run->line = 0;
}

/* Feed text in pieces of split[i % k] bytes (k == 0: all at once). */
static void parse(run_t *run, const char *text, size_t len, const uint8_t *split, size_t k, size_t stop)
{
	ljmm_maps_parser_t p;
	size_t off = 0, i = 0, total = 0;
	start_run(run, stop);
	/* Empty feeds are part of the test, but some piece must be non-empty to progress. */
	for (size_t j = 0; j < k; j++)
		total += split[j];
	if (k && !total)
		split = (const uint8_t *)"\1", k = 1;
	ljmm_maps_init(&p, collect, &run->r);
	do {
		size_t n = k ? split[i++ % k] : len;
		if (n > len - off)
			n = len - off;
		run->ret = ljmm_maps_feed(&p, text + off, n);
		off += n;
	} while (!run->ret && off < len);
	/* finish() is only meaningful after a clean feed, but must be harmless anyway. */
	run->fin = ljmm_maps_finish(&p);
	if (run->ret)
		run->fin = 0;
	run->line = p.line;
}

/* Parse up to 16 hex digits at *i; the count, or -1 when there are more. */
static int hex_field(const char *t, size_t len, size_t *i, uintptr_t *v)
{
	int n = 0;
	*v = 0;
	while (*i < len && ljmm_hexval(t[*i]) >= 0) {
		if (++n > 16)
			return -1;
		*v = *v << 4 | (uintptr_t)ljmm_hexval(t[*i]);
		(*i)++;
	}
	return n;
}

/* The reference: each line is "START-END " (1 to 16 hex digits each, END > START)
 * and anything up to '\n'; an empty line, a missing separator or an over-long number
 * is malformed; the text may end without '\n' only inside a line's tail. */
static void reference(run_t *run, const char *t, size_t len, size_t stop)
{
	size_t i = 0;
	start_run(run, stop);
	run->line = 1;
	while (i < len) {
		uintptr_t s, e;
		int ns = hex_field(t, len, &i, &s), ne;
		if (ns < 0 || (i < len && (t[i] != '-' || ns == 0))) {
			run->ret = -EINVAL;
			return;
		}
		if (i == len) {
			/* Ended inside the start address; right after a '\n' (no digit) is clean. */
			run->fin = ns == 0 ? 0 : -EINVAL;
			return;
		}
		i++; /* '-' */
		ne = hex_field(t, len, &i, &e);
		if (ne < 0 || (i < len && (t[i] != ' ' || ne == 0))) {
			run->ret = -EINVAL;
			return;
		}
		if (i == len) {
			run->fin = -EINVAL;
			return;
		}
		if (e <= s) {
			run->ret = -EINVAL;
			return;
		}
		run->ret = collect(&run->r, s, e);
		if (run->ret)
			return;
		while (i < len && t[i] != '\n')
			i++;
		if (i == len)
			return; /* the tail of a last line without '\n': clean */
		i++;
		run->line++;
	}
}

static void same(const run_t *a, const run_t *b, const char *what)
{
	FUZZ_CHECK(a->ret == b->ret, "%s: feed returned %d, whole-buffer parse %d", what, b->ret, a->ret);
	FUZZ_CHECK(a->fin == b->fin, "%s: finish returned %d, whole-buffer parse %d", what, b->fin, a->fin);
	FUZZ_CHECK(a->r.n == b->r.n, "%s: %zu ranges, whole-buffer parse %zu", what, b->r.n, a->r.n);
	FUZZ_CHECK(a->line == b->line, "%s: stopped on line %u, whole-buffer parse on %u", what, b->line, a->line);
	for (size_t i = 0; i < a->r.n && i < MAX_RANGES; i++)
		FUZZ_CHECK(a->r.s[i] == b->r.s[i] && a->r.e[i] == b->r.e[i], "%s: range %zu differs", what, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t one = 1;
	fuzz_in_t in = {data, size};
	size_t k = fuzz_u8(&in) % 16, stop;
	const uint8_t *split = in.p;
	if (k > in.n)
		k = in.n;
	in.p += k;
	in.n -= k;
	stop = fuzz_u8(&in) % 8; /* mostly 0: run to the end */
	stop = stop < 6 ? 0 : fuzz_u8(&in) + 1;
	parse(&whole, (const char *)in.p, in.n, NULL, 0, stop);
	parse(&chunked, (const char *)in.p, in.n, split, k, stop);
	parse(&bytewise, (const char *)in.p, in.n, &one, 1, stop);
	reference(&ref, (const char *)in.p, in.n, stop);
	same(&whole, &chunked, "chunked");
	same(&whole, &bytewise, "byte by byte");
	same(&whole, &ref, "reference");
	return 0;
}
