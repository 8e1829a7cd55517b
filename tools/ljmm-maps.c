/* SPDX-License-Identifier: MIT */
/* ljmm-maps: a picture of a process's low 2 GiB, the space MAP_32BIT memory lives in.
 *
 * Reads /proc/PID/maps (and, when readable, /proc/PID/comm, status and stat) and sorts
 * every byte below 2 GiB into one class: the kernel's MAP_32BIT window (anonymous, in
 * [1 GiB, 2 GiB)), the shim's region (anonymous, below 1 GiB), the brk heap, the shim's
 * guard page, file/program mappings, and free space. It prints one row of 64 characters
 * per GiB (16 MiB a character) and the totals; --json prints the totals as JSON.
 *
 * The input is untrusted text (a test hook, --maps-file, reads any file): every line is
 * checked field by field and a malformed one is reported, never guessed at. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOW_END ((uint64_t)1 << 31)        /* what MAP_32BIT memory must stay below */
#define KWIN_START ((uint64_t)1 << 30)     /* the kernel serves MAP_32BIT from here up */
#define PAGE ((uint64_t)4096)              /* x86-64 only, like the shim */
#define CELL ((uint64_t)16 << 20)          /* bytes per character of the picture */
#define NCELLS (LOW_END / CELL)            /* 128: two rows of 64 */
#define COLS 64
/* The shim puts its guard at page_up(brk) + LJMM_GUARD_RESERVE, and the reserve is at
 * most 1 GiB: search that far above the heap's end. */
#define GUARD_WINDOW ((uint64_t)1 << 30)

enum cls { C_KERNEL, C_REGION, C_HEAP, C_GUARD, C_FILE, C_FREE, C_N };
static const char cls_char[C_N] = {'K', 'R', 'H', 'G', 'F', '.'};
static const char *const cls_name[C_N] = {"kernel window", "region", "brk heap", "guard", "file/program", "free"};
static const char *const cls_key[C_N] = {"kernel", "region", "heap", "guard", "file", "free"};

typedef struct {
	uint64_t start, end;
	bool anon;    /* no pathname, or a named anonymous mapping ([anon:...]) */
	bool noacc;   /* ---p */
	bool heap;    /* [heap] */
} mapping_t;

typedef struct {
	/* input */
	const char *maps_path;
	long pid;             /* -1 with --maps-file */
	/* what was read */
	mapping_t *low;       /* mappings that start below 2 GiB, in address order */
	size_t nlow, caplow;
	size_t nmaps;         /* all mappings */
	bool ljmm;            /* libljmm_preload is mapped */
	bool have_heap;
	uint64_t heap_start, heap_end;
	char comm[64];
	long long vmsize_kb, vmrss_kb; /* -1: unknown */
	/* results */
	uint64_t cell[NCELLS][C_N];
	bool cell_guard[NCELLS];
	uint64_t total[C_N];
	bool have_guard;
	uint64_t guard_addr;
	uint64_t hole_start, hole_size;
} state_t;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ljmm-maps [--json] PID\n"
		"       ljmm-maps [--json] --maps-file FILE\n"
		"Show the low 2 GiB of process PID (where MAP_32BIT memory lives) as a picture, one\n"
		"character per 16 MiB, with totals per class:\n"
		"  K kernel MAP_32BIT window (anonymous, [1 GiB, 2 GiB))   R shim region (anonymous, below 1 GiB)\n"
		"  H brk heap   G the shim's guard page after the heap (always shown)\n"
		"  F file/program and other mappings   . free\n"
		"A character shows the class holding most of its 16 MiB.\n"
		"  --json            print the totals (bytes) as one JSON object instead\n"
		"  --maps-file FILE  read a maps file instead of /proc/PID/maps (for tests; an empty\n"
		"                    brk heap, and so a guard at its start, is known only from /proc)\n"
		"Exit status: 0, 1 when the process or its maps cannot be read or are malformed,\n"
		"2 on a usage error.\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, exit status 1. */
static int fail(const char *fmt, ...)
{
	va_list ap;
	fputs("ljmm-maps: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* ---- parsing a maps line ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A hex number of 1 to 16 digits at *pp: no overflow is possible in 16 digits. */
static bool take_hex(const char **pp, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	int n = 0;
	while (hexval((unsigned char)*p) >= 0) {
		if (n == 16)
			return false;
		v = v << 4 | (uint64_t)hexval((unsigned char)*p);
		p++, n++;
	}
	if (!n)
		return false;
	*pp = p;
	*out = v;
	return true;
}

static bool take_dec(const char **pp)
{
	const char *p = *pp;
	int n = 0;
	while (*p >= '0' && *p <= '9') {
		if (++n > 20)
			return false;
		p++;
	}
	*pp = p;
	return n > 0;
}

static bool take_char(const char **pp, char c)
{
	if (**pp != c)
		return false;
	(*pp)++;
	return true;
}

/* One of the two letters allowed at a permission's place. Checked before the next
 * place is read, so a line cut short is never read past its end. */
static bool perm_ok(char c, const char *allowed)
{
	return c && (c == allowed[0] || c == allowed[1]);
}

/* "start-end perms offset major:minor inode [path]"; NULL on success, else why not. */
static const char *parse_line(const char *line, mapping_t *m, bool *ljmm)
{
	const char *p = line, *path;
	uint64_t off, dev;
	if (!take_hex(&p, &m->start) || !take_char(&p, '-') || !take_hex(&p, &m->end) || !take_char(&p, ' '))
		return "bad address range";
	if (m->start >= m->end)
		return "range ends before it starts";
	if (m->start % PAGE || m->end % PAGE)
		return "range not page-aligned";
	if (!perm_ok(p[0], "r-") || !perm_ok(p[1], "w-") || !perm_ok(p[2], "x-") || !perm_ok(p[3], "ps") ||
	    p[4] != ' ')
		return "bad permissions";
	m->noacc = !strncmp(p, "---p", 4);
	p += 5;
	if (!take_hex(&p, &off) || !take_char(&p, ' '))
		return "bad offset";
	if (!take_hex(&p, &dev) || !take_char(&p, ':') || !take_hex(&p, &dev) || !take_char(&p, ' '))
		return "bad device";
	if (!take_dec(&p))
		return "bad inode";
	if (*p && *p != ' ')
		return "junk after the inode";
	for (path = p; *path == ' '; path++)
		;
	m->anon = !*path || !strncmp(path, "[anon:", 6) || !strncmp(path, "[anon_shmem:", 12);
	m->heap = !strcmp(path, "[heap]");
	/* Any copy of the shim, whatever its directory or version suffix. */
	if (*path == '/') {
		const char *base = strrchr(path, '/') + 1;
		if (!strncmp(base, "libljmm_preload.so", 18))
			*ljmm = true;
	}
	return NULL;
}

/* Up to 60 characters of a bad line, control bytes shown as '?'. */
static void excerpt(const char *line, size_t len, char *out, size_t cap)
{
	size_t i, n = len < cap - 4 ? len : cap - 4;
	for (i = 0; i < n; i++)
		out[i] = isprint((unsigned char)line[i]) ? line[i] : '?';
	if (n < len)
		memcpy(out + i, "...", 3), i += 3;
	out[i] = 0;
}

static int read_maps(state_t *s)
{
	FILE *f = fopen(s->maps_path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	uint64_t prev_end = 0;
	int rc = 0;
	if (!f) {
		if (s->pid >= 0 && (errno == ENOENT || errno == ESRCH))
			return fail("no such process %ld", s->pid);
		return fail("cannot open %s: %s", s->maps_path, strerror(errno));
	}
	errno = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		mapping_t m;
		const char *why;
		char ex[64];
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = 0;
		if (strlen(line) != (size_t)len)
			why = "NUL byte in the line";
		else if (!(why = parse_line(line, &m, &s->ljmm)) && s->nmaps && m.start < prev_end)
			why = "mapping out of order or overlapping the one before";
		if (why) {
			excerpt(line, (size_t)len, ex, sizeof ex);
			rc = fail("%s:%zu: malformed maps line (%s): '%s'", s->maps_path, lineno, why, ex);
			break;
		}
		s->nmaps++;
		prev_end = m.end;
		if (m.heap) {
			s->have_heap = true;
			s->heap_start = m.start;
			s->heap_end = m.end;
		}
		if (m.start >= LOW_END)
			continue;
		if (s->nlow == s->caplow) {
			size_t ncap = s->caplow ? s->caplow * 2 : 256;
			mapping_t *n = realloc(s->low, ncap * sizeof *n);
			if (!n) {
				rc = fail("out of memory");
				break;
			}
			s->low = n;
			s->caplow = ncap;
		}
		s->low[s->nlow++] = m;
		errno = 0;
	}
	if (!rc && ferror(f))
		rc = s->pid >= 0 && errno == ESRCH ? fail("no such process %ld", s->pid)
						   : fail("cannot read %s: %s", s->maps_path, strerror(errno));
	if (!rc && !s->nmaps)
		rc = s->pid >= 0 ? fail("process %ld has no user mappings (a kernel thread or a zombie)", s->pid)
				 : fail("%s: no mappings in the file", s->maps_path);
	free(line);
	fclose(f);
	return rc;
}

/* ---- the optional /proc files: best effort, a bad line is ignored ---- */

static void read_comm(state_t *s)
{
	char path[64];
	FILE *f;
	snprintf(path, sizeof path, "/proc/%ld/comm", s->pid);
	if (!(f = fopen(path, "r")))
		return;
	if (fgets(s->comm, sizeof s->comm, f))
		s->comm[strcspn(s->comm, "\n")] = 0;
	fclose(f);
}

static void read_status(state_t *s)
{
	char path[64], buf[512];
	long long kb;
	FILE *f;
	snprintf(path, sizeof path, "/proc/%ld/status", s->pid);
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(buf, sizeof buf, f)) {
		if (!s->comm[0] && !strncmp(buf, "Name:", 5)) {
			const char *v = buf + 5 + strspn(buf + 5, " \t");
			snprintf(s->comm, sizeof s->comm, "%.*s", (int)strcspn(v, "\n"), v);
		} else if (sscanf(buf, "VmSize: %lld kB", &kb) == 1 && kb >= 0) {
			s->vmsize_kb = kb;
		} else if (sscanf(buf, "VmRSS: %lld kB", &kb) == 1 && kb >= 0) {
			s->vmrss_kb = kb;
		}
	}
	fclose(f);
}

/* The brk heap has no [heap] line while it is empty, which is what the shim's guard,
 * placed at start-up right at the break, makes of most -no-pie programs' heaps. Then
 * the break is start_brk, field 47 of /proc/PID/stat (0 when we may not see it), and
 * the guard is still recognised. */
static void read_stat_brk(state_t *s)
{
	char path[64], buf[4096];
	unsigned long long start_brk = 0;
	const char *p;
	char *end;
	size_t n;
	int field;
	FILE *f;
	if (s->have_heap)
		return;
	snprintf(path, sizeof path, "/proc/%ld/stat", s->pid);
	if (!(f = fopen(path, "r")))
		return;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The command name in parentheses may hold spaces and ')': count from the last. */
	if (!(p = strrchr(buf, ')')))
		return;
	for (p++, field = 3; field < 47; field++) {
		p += strspn(p, " ");
		p += strcspn(p, " ");
	}
	p += strspn(p, " ");
	if (*p < '0' || *p > '9')
		return;
	errno = 0;
	start_brk = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end) || !start_brk)
		return;
	s->have_heap = true;
	s->heap_start = s->heap_end = (start_brk + PAGE - 1) & ~(PAGE - 1);
}

/* ---- classification ---- */

static void add_range(state_t *s, uint64_t start, uint64_t end, enum cls c)
{
	if (end > LOW_END)
		end = LOW_END;
	while (start < end) {
		uint64_t i = start / CELL, stop = (i + 1) * CELL < end ? (i + 1) * CELL : end;
		s->cell[i][c] += stop - start;
		s->total[c] += stop - start;
		if (c == C_GUARD)
			s->cell_guard[i] = true;
		start = stop;
	}
}

static void classify(state_t *s)
{
	uint64_t prev = 0;
	size_t i;
	int c;
	/* The guard: the lowest one-page PROT_NONE anonymous mapping at or above the
	 * heap's end, no further than the largest reserve. */
	if (s->have_heap && s->heap_end < LOW_END)
		for (i = 0; i < s->nlow; i++) {
			const mapping_t *m = &s->low[i];
			if (m->start >= s->heap_end && m->start - s->heap_end <= GUARD_WINDOW && m->anon && m->noacc &&
			    m->end - m->start == PAGE) {
				s->have_guard = true;
				s->guard_addr = m->start;
				break;
			}
		}
	for (i = 0; i < s->nlow; i++) {
		const mapping_t *m = &s->low[i];
		uint64_t end = m->end < LOW_END ? m->end : LOW_END;
		if (m->start > prev && m->start - prev > s->hole_size)
			s->hole_start = prev, s->hole_size = m->start - prev;
		prev = end;
		if (m->heap)
			add_range(s, m->start, end, C_HEAP);
		else if (s->have_guard && m->start == s->guard_addr)
			add_range(s, m->start, end, C_GUARD);
		else if (!m->anon)
			add_range(s, m->start, end, C_FILE);
		else {
			/* Below 1 GiB only the shim puts anonymous MAP_32BIT memory; a
			 * non-PIE program's .bss (a few KiB) is counted with it. */
			if (m->start < KWIN_START)
				add_range(s, m->start, end < KWIN_START ? end : KWIN_START, C_REGION);
			if (end > KWIN_START)
				add_range(s, m->start > KWIN_START ? m->start : KWIN_START, end, C_KERNEL);
		}
	}
	if (LOW_END > prev && LOW_END - prev > s->hole_size)
		s->hole_start = prev, s->hole_size = LOW_END - prev;
	for (i = 0; i < NCELLS; i++) {
		uint64_t used = 0;
		for (c = 0; c < C_FREE; c++)
			used += s->cell[i][c];
		s->cell[i][C_FREE] = CELL - used;
		s->total[C_FREE] += CELL - used;
	}
}

static char cell_char(const state_t *s, size_t i)
{
	int c, best = 0;
	if (s->cell_guard[i])
		return cls_char[C_GUARD];
	/* Majority; a tie goes to the class listed first (mapped before free). */
	for (c = 1; c < C_N; c++)
		if (s->cell[i][c] > s->cell[i][best])
			best = c;
	return cls_char[best];
}

/* ---- output ---- */

static double mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

static void print_text(const state_t *s)
{
	size_t i;
	int c;
	if (s->pid >= 0) {
		printf("pid %ld (%s)  libljmm_preload: %s", s->pid, s->comm[0] ? s->comm : "?", s->ljmm ? "yes" : "no");
		if (s->vmsize_kb >= 0)
			printf("  VmSize %.1f MiB", (double)s->vmsize_kb / 1024.0);
		if (s->vmrss_kb >= 0)
			printf("  VmRSS %.1f MiB", (double)s->vmrss_kb / 1024.0);
		printf("  mappings %zu\n", s->nmaps);
	} else {
		printf("maps file %s  libljmm_preload: %s  mappings %zu\n", s->maps_path, s->ljmm ? "yes" : "no", s->nmaps);
	}
	printf("low 2 GiB, one character = 16 MiB:\n");
	for (i = 0; i < NCELLS; i++) {
		if (i % COLS == 0)
			printf("  0x%08" PRIx64 " ", (uint64_t)i * CELL);
		putchar(cell_char(s, i));
		if (i % COLS == COLS - 1)
			putchar('\n');
	}
	printf("  K kernel MAP_32BIT window  R shim region  H brk heap  G guard  F file/program  . free\n");
	printf("totals below 2 GiB:\n");
	for (c = 0; c < C_N; c++) {
		printf("  %c %-14s %8.1f MiB", cls_char[c], cls_name[c], mib(s->total[c]));
		if (c == C_HEAP && s->have_heap && s->heap_start == s->heap_end)
			printf("  empty, the break at 0x%" PRIx64, s->heap_end);
		else if (c == C_HEAP && s->have_heap)
			printf("  [0x%" PRIx64 ", 0x%" PRIx64 ")", s->heap_start, s->heap_end);
		if (c == C_GUARD) {
			if (s->have_guard)
				printf("  one page at 0x%" PRIx64 ", %" PRIu64 " KiB above the heap", s->guard_addr,
				       (s->guard_addr - s->heap_end) >> 10);
			else
				printf("  none");
		}
		if (c == C_FREE)
			printf("  largest hole %.1f MiB at [0x%" PRIx64 ", 0x%" PRIx64 ")", mib(s->hole_size), s->hole_start,
			       s->hole_start + s->hole_size);
		putchar('\n');
	}
}

static void json_string(const char *str)
{
	putchar('"');
	for (; *str; str++) {
		unsigned char ch = (unsigned char)*str;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_json(const state_t *s)
{
	size_t i;
	int c;
	if (s->pid >= 0)
		printf("{\"pid\":%ld,\"comm\":", s->pid), json_string(s->comm);
	else
		printf("{\"pid\":null,\"maps_file\":"), json_string(s->maps_path);
	printf(",\"ljmm_mapped\":%s,\"mappings\":%zu,\"bytes\":{", s->ljmm ? "true" : "false", s->nmaps);
	for (c = 0; c < C_N; c++)
		printf("%s\"%s\":%" PRIu64, c ? "," : "", cls_key[c], s->total[c]);
	printf("},\"heap\":");
	if (s->have_heap)
		printf("{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\"}", s->heap_start, s->heap_end);
	else
		printf("null");
	printf(",\"guard\":");
	if (s->have_guard)
		printf("\"0x%" PRIx64 "\"", s->guard_addr);
	else
		printf("null");
	printf(",\"largest_free\":{\"start\":\"0x%" PRIx64 "\",\"bytes\":%" PRIu64 "},\"picture\":[\"", s->hole_start,
	       s->hole_size);
	for (i = 0; i < NCELLS; i++) {
		putchar(cell_char(s, i));
		if (i % COLS == COLS - 1)
			printf(i + 1 < NCELLS ? "\",\"" : "\"");
	}
	printf("]}\n");
}

/* A pid: decimal, 1 to INT_MAX, or "self". */
static bool parse_pid(const char *arg, long *pid)
{
	char *end;
	long v;
	if (!strcmp(arg, "self")) {
		*pid = 0;
		return true;
	}
	if (!isdigit((unsigned char)arg[0]))
		return false;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v < 1 || v > INT_MAX)
		return false;
	*pid = v;
	return true;
}

int main(int argc, char **argv)
{
	static state_t s; /* 16 KiB of cells: not on the stack */
	static char maps_path[64];
	const char *file = NULL, *pid_arg = NULL;
	bool json = false, only_args = false;
	int i, rc;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!only_args && !strcmp(a, "--json")) {
			json = true;
		} else if (!only_args && !strcmp(a, "--maps-file") && i + 1 < argc) {
			file = argv[++i];
		} else if (!only_args && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			usage(stdout);
			return 0;
		} else if (!only_args && !strcmp(a, "--version")) {
			printf("ljmm-maps (ljmm) " LJMM_VERSION "\n");
			return 0;
		} else if (!only_args && !strcmp(a, "--")) {
			only_args = true;
		} else if (!only_args && a[0] == '-') {
			fprintf(stderr, "ljmm-maps: unknown option or missing argument '%s' (see ljmm-maps --help)\n", a);
			return 2;
		} else if (!pid_arg) {
			pid_arg = a;
		} else {
			fprintf(stderr, "ljmm-maps: too many arguments (see ljmm-maps --help)\n");
			return 2;
		}
	}
	if (!!file == !!pid_arg) {
		fprintf(stderr, "ljmm-maps: give a PID or --maps-file FILE (see ljmm-maps --help)\n");
		return 2;
	}
	s.vmsize_kb = s.vmrss_kb = -1;
	if (file) {
		s.pid = -1;
		s.maps_path = file;
	} else {
		if (!parse_pid(pid_arg, &s.pid)) {
			fprintf(stderr, "ljmm-maps: not a process id: '%s'\n", pid_arg);
			return 2;
		}
		if (!s.pid)
			s.pid = (long)getpid();
		snprintf(maps_path, sizeof maps_path, "/proc/%ld/maps", s.pid);
		s.maps_path = maps_path;
	}
	if ((rc = read_maps(&s)))
		return rc;
	if (s.pid >= 0) {
		read_comm(&s);
		read_status(&s);
		read_stat_brk(&s);
	}
	classify(&s);
	if (json)
		print_json(&s);
	else
		print_text(&s);
	free(s.low);
	if (fflush(stdout) || ferror(stdout))
		return fail("cannot write the output: %s", strerror(errno));
	return 0;
}
