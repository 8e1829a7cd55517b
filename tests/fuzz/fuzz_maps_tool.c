/* SPDX-License-Identifier: MIT */
/* Fuzz target for ljmm-maps's own parsers of what it reads (tools/maps_*.c; its ELF,
 * note and mountinfo parsers are fuzz_procmem's): maps text, one maps line,
 * /proc/PID/stat and status text, and how far a probe is believed.
 *
 * Input: byte 0 selects (mod 4), the rest is the input:
 *   0  maps text through ljmm_read_maps (a memory stream): it succeeds exactly when a
 *      line-at-a-time reference (each line through ljmm_read_line, in address order,
 *      no NUL byte) says it should; the mappings kept are those below 2 GiB, in order,
 *      page-aligned, start < end; at most LJMM_PROCMEM_CANDIDATES objects chosen, each
 *      a mapping of a file named like the library. With bit 2 of byte 0, the program
 *      (a linked-in shim) is looked for too, its headers 64 bytes into the first
 *      mapping: its mappings are all of one file with an inode, and it is at most one
 *      object, the first.
 *   1  one line through ljmm_read_line: a line it accepts has an aligned range, a path
 *      inside the line and a device the kernel can print.
 *   2  the text as /proc/PID/stat (ljmm_proc_parse_stat: the state is the byte after
 *      the last ") ") and as /proc/PID/status (VmSize and VmRSS untouched or >= 0).
 *   3  a probe (56 bytes, then 2 flag bits that force the layout and an address among
 *      the ranges), up to 4 writable mappings and 4 writable segments of the object,
 *      each as two 16-bit page counts (gap, length) from 0x7f0000000000, through
 *      ljmm_counters_check: it accepts exactly what a reference of the rules accepts,
 *      and then n bytes at a plausible, 8-aligned address inside both. */
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "../../tools/maps.h"
#include "fuzz.h"

#define BASE 0x7f0000000000ull

/* ljmm_read_maps reports a malformed line on stderr: quiet for the fuzzer. */
static void quiet(int on)
{
	static int saved = -1;
	fflush(stderr);
	if (on) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		saved = dup(2);
		if (null >= 0) {
			dup2(null, 2);
			close(null);
		}
	} else if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
		saved = -1;
	}
}

/* The reference: every line (the last may lack its '\n'; none may be empty or hold a
 * NUL) parses and starts at or after the end of the one before. */
static bool maps_ok(const char *t, size_t n, size_t *low)
{
	size_t i = 0;
	uint64_t prev_end = 0;
	bool first = true;
	*low = 0;
	while (i < n) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (t + i)) : n - i;
		char *line = malloc(len + 1);
		mapping_t m;
		bool w;
		const char *path;
		ljmm_procmem_cand_t id;
		bool ok;
		FUZZ_CHECK(line != NULL, "out of memory");
		memcpy(line, t + i, len);
		line[len] = 0;
		ok = !memchr(t + i, 0, len) && !ljmm_read_line(line, &m, &w, &path, &id) && (first || m.start >= prev_end);
		free(line);
		if (!ok)
			return false;
		first = false;
		prev_end = m.end;
		*low += m.start < LJMM_2G;
		i += len + 1;
	}
	return true;
}

static void check_maps(const uint8_t *d, size_t n, bool prog)
{
	static state_t s;
	size_t low, i, nlib = 0, nprog = 0;
	bool ok = maps_ok((const char *)d, n, &low);
	FILE *f;
	int rc;
	memset(&s, 0, sizeof s);
	s.pid = -1;
	s.dirfd = -1;
	s.maps_path = "fuzz";
	if (prog && n) {
		const uint8_t *nl = memchr(d, '\n', n);
		size_t len = nl ? (size_t)(nl - d) : n;
		char *line = malloc(len + 1);
		mapping_t m;
		bool w;
		const char *path;
		ljmm_procmem_cand_t id;
		FUZZ_CHECK(line != NULL, "out of memory");
		memcpy(line, d, len);
		line[len] = 0;
		s.prog_look = true;
		if (!ljmm_read_line(line, &m, &w, &path, &id))
			s.prog_phdr = m.start + 64;
		free(line);
	}
	/* fmemopen of 0 bytes fails in glibc before 2.22: an empty text is read from "". */
	f = fmemopen(n ? (void *)d : (void *)"", n ? n : 1, "r");
	FUZZ_CHECK(f != NULL, "fmemopen failed");
	if (!n)
		fgetc(f);
	quiet(1);
	rc = ljmm_read_maps(&s, f);
	quiet(0);
	fclose(f);
	FUZZ_CHECK(rc == (ok ? 0 : 1), "ljmm_read_maps returned %d, the reference says %s", rc, ok ? "valid" : "malformed");
	if (!rc) {
		FUZZ_CHECK(s.nlow == low, "%zu mappings below 2 GiB kept, the reference counts %zu", s.nlow, low);
		for (i = 0; i < s.nlow; i++) {
			const mapping_t *m = &s.low[i];
			FUZZ_CHECK(m->start < m->end && m->start < LJMM_2G && !(m->start % LJMM_PAGE) && !(m->end % LJMM_PAGE),
				   "mapping %zu [%#llx, %#llx)", i, (unsigned long long)m->start, (unsigned long long)m->end);
			FUZZ_CHECK(!i || m->start >= s.low[i - 1].end, "mapping %zu out of order", i);
		}
		for (i = 0; i < s.nlibmaps; i++) {
			const libmap_t *l = &s.libmaps[i];
			if (!l->prog) {
				nlib++;
				continue;
			}
			nprog++;
			FUZZ_CHECK(s.have_prog_id && l->c.inode && l->c.inode == s.prog_id.inode &&
					   l->c.major == s.prog_id.major && l->c.minor == s.prog_id.minor,
				   "mapping %zu taken for the program's is another file's", i);
		}
		FUZZ_CHECK(prog || !nprog, "the program looked for unasked");
		FUZZ_CHECK(s.ncand <= LJMM_PROCMEM_CANDIDATES && s.ncand <= s.nlibmaps && s.ljmm == (nlib > 0),
			   "%zu objects chosen of %zu library mappings", s.ncand, s.nlibmaps);
		for (i = 0; i < s.ncand; i++)
			FUZZ_CHECK(!s.cand_prog[i] || i == 0, "the program is object %zu, not the first", i);
		for (i = 0; i < s.ncand; i++)
			FUZZ_CHECK(s.candmaps[i].n > 0 && ljmm_procmem_ranges_cover(&s.candmaps[i], s.cand[i].start,
										     s.cand[i].end - s.cand[i].start),
				   "object %zu is not one of its file's mappings", i);
	}
	ljmm_proc_free(&s);
}

static void check_line(const uint8_t *d, size_t n)
{
	char *line = malloc(n + 1);
	mapping_t m;
	bool w = false;
	const char *path = NULL;
	ljmm_procmem_cand_t id;
	FUZZ_CHECK(line != NULL, "out of memory");
	memcpy(line, d, n);
	line[n] = 0;
	if (!ljmm_read_line(line, &m, &w, &path, &id)) {
		FUZZ_CHECK(m.start < m.end && !(m.start % LJMM_PAGE) && !(m.end % LJMM_PAGE), "range");
		FUZZ_CHECK(path >= line && path <= line + strlen(line), "path outside the line");
		FUZZ_CHECK(id.major <= 0xfff && id.minor <= 0xfffff, "device %x:%x", id.major, id.minor);
		FUZZ_CHECK(!m.heap || !strcmp(path, "[heap]"), "[heap]");
	}
	free(line);
}

static void check_proc(const uint8_t *d, size_t n)
{
	char *text = malloc(n + 1);
	procstat_t st;
	long long size = -1, rss = -1;
	FUZZ_CHECK(text != NULL, "out of memory");
	memcpy(text, d, n);
	text[n] = 0;
	if (ljmm_proc_parse_stat(text, &st)) {
		const char *paren = strrchr(text, ')');
		FUZZ_CHECK(paren && paren[1] == ' ' && st.state == paren[2], "state '%c'", st.state);
	}
	ljmm_proc_parse_status(text, &size, &rss);
	FUZZ_CHECK(size >= -1 && rss >= -1, "VmSize %lld, VmRSS %lld", size, rss);
	if (size >= 0)
		FUZZ_CHECK(strstr(text, "VmSize:") != NULL, "VmSize without a VmSize line");
	free(text);
}

/* ranges: count pairs of (gap, length) pages from BASE, in order, none empty. */
static size_t take_ranges(fuzz_in_t *in, range_t *r, size_t max)
{
	uint64_t at = BASE;
	size_t k = fuzz_u8(in) % (max + 1), i;
	for (i = 0; i < k; i++) {
		at += (uint64_t)(fuzz_u8(in) % 4) * LJMM_PAGE;
		r[i].start = at;
		at += (uint64_t)(fuzz_u8(in) % 4 + 1) * LJMM_PAGE;
		r[i].end = at;
	}
	return k;
}

static bool covered(const range_t *r, size_t n, uint64_t a, uint64_t len)
{
	uint64_t pos = a;
	if (a + len < a)
		return false;
	for (size_t i = 0; i < n; i++)
		if (r[i].start <= pos && pos < r[i].end)
			pos = r[i].end;
	return pos >= a + len;
}

static void check_probe(fuzz_in_t *in)
{
	static ljmm_procmem_found_t f;
	range_t w[4];
	ranges_t writable = {w, 0, 4};
	counters_t c;
	unsigned force;
	size_t n, want = 0, i;
	bool one_seg = false;
	const ljmm_probe_t *p = &f.probe;
	memset(&f, 0, sizeof f);
	for (i = 0; i < sizeof f.probe; i++)
		((uint8_t *)&f.probe)[i] = (uint8_t)fuzz_u8(in);
	force = fuzz_u8(in);
	writable.n = take_ranges(in, w, 4);
	f.nwseg = take_ranges(in, f.wseg, LJMM_PROCMEM_WSEG);
	if (force & 1)
		f.probe.layout = LJMM_PROBE_LAYOUT;
	if (force & 2)
		f.probe.stats_addr = BASE + (f.probe.stats_addr & 0x7fff);
	n = ljmm_counters_check(&writable, &f, &c);
	FUZZ_CHECK(strlen(c.version) < sizeof c.version, "version not terminated");
	/* The reference, from the rules as ljmm-maps(1) states them. */
	if (p->layout == LJMM_PROBE_LAYOUT && p->flags && p->stats_addr && p->stats_size && p->stats_size <= 65536 &&
	    !(p->stats_addr % 8)) {
		want = p->stats_size < sizeof c.st ? p->stats_size : sizeof c.st;
		for (i = 0; i < f.nwseg; i++)
			one_seg |= f.wseg[i].start <= p->stats_addr && p->stats_addr + want <= f.wseg[i].end &&
				   p->stats_addr + want > p->stats_addr;
		if (!one_seg || !covered(w, writable.n, p->stats_addr, want))
			want = 0;
	}
	FUZZ_CHECK(n == want, "believed %zu bytes, the reference %zu", n, want);
	if (!n)
		FUZZ_CHECK(c.status == CNT_NOT_STARTED || (c.status == CNT_BAD_PROBE && c.why), "no reason");
	else
		FUZZ_CHECK(n <= sizeof c.st && n <= p->stats_size && !c.why, "believed, with a reason");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_in_t in = {data, size};
	uint8_t sel = fuzz_u8(&in);
	switch (sel % 4) {
	case 0: check_maps(in.p, in.n, sel & 4); break;
	case 1: check_line(in.p, in.n); break;
	case 2: check_proc(in.p, in.n); break;
	default: check_probe(&in); break;
	}
	return 0;
}
