/* SPDX-License-Identifier: MIT */
/* ljmm-maps: how processes use their low 2 GiB, the space MAP_32BIT memory lives in.
 *
 * Reads /proc/PID/maps (and, when readable, /proc/PID/comm, status and stat) and sorts
 * every byte below 2 GiB into one class: the kernel's MAP_32BIT window (anonymous, in
 * [1 GiB, 2 GiB)), the shim's region (anonymous, below 1 GiB), the brk heap, the shim's
 * guard page, file/program mappings, and free space. For one process it prints one row
 * of 64 characters per GiB (16 MiB a character) and the totals (--json: the totals as
 * JSON); for several (PIDs, --all NAME, --table) one row per process, as a table, a
 * JSON array or the Prometheus text format (--prometheus).
 *
 * Where the process may be read (ptrace access: its user without Yama restrictions, or
 * root), the shim's live counters are read too, without stopping it: the probe
 * (shim/probe.h) in the library's writable data is found through its ELF note and
 * /proc/PID/mem (tools/procmem.c: a few bounded reads per object, at most
 * LJMM_PROCMEM_CANDIDATES objects, none on a FUSE or network file system) and leads to
 * the ljmm_stats_t.
 *
 * Everything read is untrusted: a maps file (--maps-file reads any file) is checked
 * field by field and a malformed line is reported, never guessed at; a probe is only
 * believed when its layout, size and address are plausible; command names are
 * arbitrary bytes and are escaped for each output format. All files of one process are
 * opened through a descriptor of its /proc directory, and its start time is compared
 * before and after the reads, so a process that exits (or a PID that is reused) while
 * it is read is reported as gone, never as a picture cut short. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "../include/ljmm.h"
#include "../shim/layout.h"
#include "../shim/probe.h"
#include "procmem.h"

/* LJMM_2G (what MAP_32BIT memory must stay below), LJMM_WINDOW_LO (the kernel serves
 * MAP_32BIT from there up) and LJMM_PAGE are the shim's own (shim/layout.h). */
#define CELL ((uint64_t)16 << 20)          /* bytes per character of the picture */
#define NCELLS (LJMM_2G / CELL)             /* 128: two rows of 64 */
#define COLS 64
/* The shim puts its guard at page_up(brk) + LJMM_GUARD_RESERVE, and the reserve is at
 * most 1 GiB: search that far above the heap's end. */
#define GUARD_WINDOW ((uint64_t)1 << 30)
/* A probe claiming a larger ljmm_stats_t is not believed. */
#define STATS_SIZE_MAX 65536u
/* task->flags bit of kernel threads (include/linux/sched.h, since Linux 2.6.27). */
#define PF_KTHREAD 0x00200000u
/* The unit of /proc/PID/stat's times: USER_HZ, 100 on x86 whatever the kernel's HZ
 * (arch/x86/include/asm/param.h), which is what sysconf(_SC_CLK_TCK) reads from the
 * auxiliary vector. Not sysconf itself: Debian's libc6 symbols file dates it 2.34,
 * which would lift the package's Depends above the glibc 2.17 floor. */
#define USER_HZ 100
/* A 32-bit process (i386 compat or x32) has all its mappings below this. */
#define ADDR32_END ((uint64_t)1 << 32)

/* What kind of program a process runs: only x86-64 processes have a low-2-GiB limit
 * (MAP_32BIT is an x86-64 flag, and a 32-bit process's whole address space is below
 * 4 GiB) and can load the shim. */
enum abi {
	ABI_UNKNOWN, /* a maps file, or neither the program nor the maps said */
	ABI_X86_64,
	ABI_I386,    /* ELFCLASS32, EM_386 */
	ABI_X32,     /* ELFCLASS32, EM_X86_64 */
	ABI_32,      /* 32-bit by its mappings (none above 4 GiB); the program could not be read */
	ABI_OTHER,   /* an ELF program for another machine (qemu-user, say): treated as x86-64 */
};
static const char *const abi_name[] = {"unknown", "x86_64", "i386", "x32", "32-bit", "other"};
#define ABI_IS_32(a) ((a) == ABI_I386 || (a) == ABI_X32 || (a) == ABI_32)
/* For the text forms: which 32-bit ABI, or how it is known. */
#define ABI_WHAT(a) ((a) == ABI_32 ? "by its mappings" : abi_name[a])

enum cls { C_KERNEL, C_REGION, C_HEAP, C_GUARD, C_FILE, C_FREE, C_N };
static const char cls_char[C_N] = {'K', 'R', 'H', 'G', 'F', '.'};
static const char *const cls_name[C_N] = {"kernel window", "region", "brk heap", "guard", "file/program", "free"};
static const char *const cls_key[C_N] = {"kernel", "region", "heap", "guard", "file", "free"};

typedef struct {
	uint64_t start, end;
	bool anon;    /* no pathname, or a named anonymous mapping ([anon:...]) */
	bool noacc;   /* ---p */
	bool exec;    /* --x- */
	bool heap;    /* [heap] */
} mapping_t;

/* The fields of /proc/PID/stat this needs (proc(5) numbers them from 1). */
typedef struct {
	char state;              /* 3 */
	uint64_t flags;          /* 9 */
	uint64_t starttime;      /* 22, clock ticks after boot */
	uint64_t vsize;          /* 23, 0 once the process has dropped its memory */
	uint64_t start_brk;      /* 47, 0 when we may not see it (Linux >= 3.3) */
} procstat_t;

/* What became of the shim's counters. */
enum cnt_status {
	CNT_NONE,        /* no shim mapped (or a maps file) */
	CNT_READ,        /* read: st holds `known` bytes */
	CNT_UNREADABLE,  /* /proc/PID/mem refused (err) */
	CNT_NO_PROBE,    /* the library is mapped but has no probe (an older version) */
	CNT_BAD_PROBE,   /* a probe that is not believed (why) */
	CNT_NOT_STARTED, /* a probe whose constructor has not run yet */
};

typedef struct {
	enum cnt_status status;
	int err;
	const char *why;
	uint64_t flags;
	uint32_t stats_size;
	char version[sizeof(((ljmm_probe_t *)0)->version) + 1];
	size_t known; /* bytes of st that were read: a field past them is unknown */
	ljmm_stats_t st;
} counters_t;

/* A mapping of a file named like the library. */
typedef struct {
	ljmm_procmem_cand_t c; /* start and end of the mapping, the file's device and inode */
	bool off0, exec;       /* at file offset 0; executable */
} libmap_t;

typedef struct {
	/* input */
	const char *maps_path;
	long pid;             /* -1 with --maps-file */
	int dirfd;            /* /proc/PID, -1 with --maps-file */
	/* what was read */
	mapping_t *low;       /* mappings that start below 2 GiB, in address order */
	size_t nlow, caplow;
	size_t nmaps;         /* all mappings */
	bool ljmm;            /* libljmm_preload is mapped */
	libmap_t *libmaps;    /* its mappings */
	size_t nlibmaps, caplibmaps;
	ljmm_procmem_cand_t cand[LJMM_PROCMEM_CANDIDATES]; /* the files examined for a probe */
	ranges_t candmaps[LJMM_PROCMEM_CANDIDATES];        /* every mapping of each of them */
	size_t ncand;
	size_t cand_over;     /* further files, not examined */
	ranges_t writable;    /* every writable mapping, where its counters may live */
	bool have_heap;
	uint64_t heap_start, heap_end;
	uint64_t top_end;     /* the end of the highest mapping */
	enum abi abi;
	uint64_t starttime;   /* clock ticks after boot (/proc/PID/stat field 22) */
	char comm[64];
	long long vmsize_kb, vmrss_kb; /* -1: unknown */
	int maps_err;         /* errno when the maps could not be opened (EACCES) */
	counters_t cnt;
	/* results */
	uint64_t cell[NCELLS][C_N];
	bool cell_guard[NCELLS];
	uint64_t total[C_N];
	bool have_guard;
	uint64_t guard_addr;
	uint64_t hole_start, hole_size;
} state_t;

/* One process in the fleet forms (table, JSON array, Prometheus). */
typedef struct {
	long pid;
	char comm[64];
	int maps_err;         /* 0: the maps were read */
	enum abi abi;
	uint64_t starttime;
	bool ljmm;
	uint64_t kernel, region, free_bytes, hole;
	counters_t cnt;
} row_t;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ljmm-maps [--json] PID\n"
		"       ljmm-maps [--json] --maps-file FILE\n"
		"       ljmm-maps [--table | --json | --prometheus] [PID...] [--all NAME]...\n"
		"Show the low 2 GiB of process PID (where MAP_32BIT memory lives) as a picture, one\n"
		"character per 16 MiB, with totals per class:\n"
		"  K kernel MAP_32BIT window (anonymous, [1 GiB, 2 GiB))   R shim region (anonymous, below 1 GiB)\n"
		"  H brk heap   G the shim's guard page after the heap (always shown)\n"
		"  F file/program and other mappings   . free\n"
		"A character shows the class holding most of its 16 MiB. The shim's live counters are\n"
		"read from the process where ptrace rules allow (root, or its user).\n"
		"With several PIDs, --all, --table or --prometheus: one row per process (pid, command,\n"
		"shim, MiB in the kernel window and the region, free MiB, largest hole, %% of the low\n"
		"2 GiB in use, and the counters region-served, failed, kernel-skipped).\n"
		"  --json            the totals (bytes) as one JSON object; with rows, a JSON array\n"
		"  --table           rows, also for a single PID\n"
		"  --prometheus      rows in the Prometheus text exposition format\n"
		"  --all NAME        every process whose command name (/proc/PID/comm) or argv[0]\n"
		"                    (before any \": \", after the last '/') is exactly NAME\n"
		"  --maps-file FILE  read a maps file instead of /proc/PID/maps (for tests; an empty\n"
		"                    brk heap, and so a guard at its start, is known only from /proc)\n"
		"Exit status: 0; 1 when a process named by PID does not exist, or its maps cannot be\n"
		"read or are malformed (with rows: a process that may not be read gets a row saying\n"
		"so), or the output cannot be written; 2 on a usage error.\n");
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

/* The symbolic name of the errors a /proc read can give (strerror is for sentences). */
static const char *errno_name(int e)
{
	static char other[24];
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	default:
		snprintf(other, sizeof other, "errno %d", e);
		return other;
	}
}

/* ---- numbers (no strtol/sscanf: glibc 2.38 renames them to __isoc23_* symbols,
 * which would lift the tool's glibc floor) ---- */

/* A hex number of 1 to 16 digits at *pp: no overflow is possible in 16 digits. */
static bool take_hex(const char **pp, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	int n = 0;
	while (ljmm_hexval((unsigned char)*p) >= 0) {
		if (n == 16)
			return false;
		v = v << 4 | (uint64_t)ljmm_hexval((unsigned char)*p);
		p++, n++;
	}
	if (!n)
		return false;
	*pp = p;
	*out = v;
	return true;
}

/* A decimal number at *pp that fits 64 bits (out may be NULL). */
static bool take_u64(const char **pp, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*pp = p;
	if (out)
		*out = v;
	return true;
}

static bool take_char(const char **pp, char c)
{
	if (**pp != c)
		return false;
	(*pp)++;
	return true;
}

/* ---- parsing a maps line ---- */

/* One of the two letters allowed at a permission's place. Checked before the next
 * place is read, so a line cut short is never read past its end. */
static bool perm_ok(char c, const char *allowed)
{
	return c && (c == allowed[0] || c == allowed[1]);
}

/* Any copy of the shim, whatever its directory or version suffix (and " (deleted)"
 * after an upgrade). */
static bool is_ljmm_path(const char *path)
{
	const char *base;
	if (*path != '/')
		return false;
	base = strrchr(path, '/') + 1;
	return !strncmp(base, "libljmm_preload.so", 18);
}

/* "start-end perms offset major:minor inode [path]"; NULL on success, else why not.
 * *writable, *path and *id (the offset in id->start, the file's device and inode)
 * describe the mapping for the probe search. */
static const char *parse_line(const char *line, mapping_t *m, bool *writable, const char **pathp,
			      ljmm_procmem_cand_t *id)
{
	const char *p = line, *path;
	uint64_t off, major, minor;
	if (!take_hex(&p, &m->start) || !take_char(&p, '-') || !take_hex(&p, &m->end) || !take_char(&p, ' '))
		return "bad address range";
	if (m->start >= m->end)
		return "range ends before it starts";
	if (m->start % LJMM_PAGE || m->end % LJMM_PAGE)
		return "range not page-aligned";
	if (!perm_ok(p[0], "r-") || !perm_ok(p[1], "w-") || !perm_ok(p[2], "x-") || !perm_ok(p[3], "ps") ||
	    p[4] != ' ')
		return "bad permissions";
	m->noacc = !strncmp(p, "---p", 4);
	m->exec = p[2] == 'x';
	*writable = p[1] == 'w';
	p += 5;
	if (!take_hex(&p, &off) || !take_char(&p, ' '))
		return "bad offset";
	if (!take_hex(&p, &major) || !take_char(&p, ':') || !take_hex(&p, &minor) || !take_char(&p, ' '))
		return "bad device";
	if (!take_u64(&p, &id->inode))
		return "bad inode";
	/* The kernel prints MAJOR(dev) and MINOR(dev): 12 and 20 bits. */
	id->start = off;
	id->major = major > 0xfff ? 0xfff : (unsigned)major;
	id->minor = minor > 0xfffff ? 0xfffff : (unsigned)minor;
	if (*p && *p != ' ')
		return "junk after the inode";
	for (path = p; *path == ' '; path++)
		;
	m->anon = !*path || !strncmp(path, "[anon:", 6) || !strncmp(path, "[anon_shmem:", 12);
	m->heap = !strcmp(path, "[heap]");
	*pathp = path;
	return NULL;
}

/* Up to 60 characters of a bad line, control bytes shown as '?'. */
static void excerpt(const char *line, size_t len, char *out, size_t cap)
{
	size_t i, n = len < cap - 4 ? len : cap - 4;
	for (i = 0; i < n; i++)
		out[i] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	if (n < len)
		memcpy(out + i, "...", 3), i += 3;
	out[i] = 0;
}

static bool same_file(const ljmm_procmem_cand_t *a, const ljmm_procmem_cand_t *b)
{
	return a->major == b->major && a->minor == b->minor && a->inode == b->inode;
}

static int libmap_cmp(const void *a, const void *b)
{
	const libmap_t *x = a, *y = b;
	if (x->c.major != y->c.major)
		return x->c.major < y->c.major ? -1 : 1;
	if (x->c.minor != y->c.minor)
		return x->c.minor < y->c.minor ? -1 : 1;
	if (x->c.inode != y->c.inode)
		return x->c.inode < y->c.inode ? -1 : 1;
	return x->c.start < y->c.start ? -1 : x->c.start > y->c.start;
}

/* Of a file's mappings (a group of s->libmaps), the one an object starts at. */
static int cand_cmp(const void *a, const void *b)
{
	const libmap_t *x = a, *y = b;
	if (x->exec != y->exec)
		return x->exec ? -1 : 1;
	return x->c.start < y->c.start ? -1 : x->c.start > y->c.start;
}

/* The objects to look into for a probe: one per file (device and inode: the loader
 * maps a file once) that has a mapping at file offset 0, its lowest such, at most
 * LJMM_PROCMEM_CANDIDATES. A process that maps such a file thousands of times costs no
 * more reads than one that maps it once. Past the cap, files the process executes come
 * first (a loaded library has its text mapped r-xp; a data file named like it rarely
 * does), then in address order. */
static bool select_candidates(state_t *s)
{
	size_t i, j, k, n = 0;
	libmap_t *first;
	if (!s->nlibmaps)
		return true;
	qsort(s->libmaps, s->nlibmaps, sizeof *s->libmaps, libmap_cmp);
	if (!(first = malloc(s->nlibmaps * sizeof *first)))
		return false;
	/* One entry per file: its first offset-0 mapping, executable if any is. */
	for (i = 0; i < s->nlibmaps; i = j) {
		bool exec = false, off0 = false;
		for (j = i; j < s->nlibmaps && same_file(&s->libmaps[i].c, &s->libmaps[j].c); j++) {
			exec |= s->libmaps[j].exec;
			if (s->libmaps[j].off0 && !off0) {
				first[n] = s->libmaps[j];
				off0 = true;
			}
		}
		if (off0)
			first[n++].exec = exec;
	}
	qsort(first, n, sizeof *first, cand_cmp);
	s->ncand = n < LJMM_PROCMEM_CANDIDATES ? n : LJMM_PROCMEM_CANDIDATES;
	s->cand_over = n - s->ncand;
	for (k = 0; k < s->ncand; k++) {
		s->cand[k] = first[k].c;
		for (i = 0; i < s->nlibmaps; i++)
			if (same_file(&s->libmaps[i].c, &first[k].c) &&
			    !ljmm_procmem_ranges_add(&s->candmaps[k], s->libmaps[i].c.start, s->libmaps[i].c.end)) {
				free(first);
				return false;
			}
	}
	free(first);
	return true;
}

/* v (n elements of elem bytes, room for *cap) with room for one more: v, or a larger
 * copy (*cap updated), or NULL when out of memory (v unchanged). */
static void *grow(void *v, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t ncap = *cap ? *cap * 2 : first;
	void *nv;
	if (n < *cap)
		return v;
	if (!(nv = realloc(v, ncap * elem)))
		return NULL;
	*cap = ncap;
	return nv;
}

/* Reads maps text from f. 0, or 1 after a message; ESRCH while reading a live
 * process's maps (it exited under us) is -1, for the caller to report. */
static int read_maps(state_t *s, FILE *f)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	uint64_t prev_end = 0;
	int rc = 0;
	errno = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		mapping_t m;
		const char *why, *path = "";
		bool writable = false;
		ljmm_procmem_cand_t id;
		void *v;
		char ex[64];
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = 0;
		if (strlen(line) != (size_t)len)
			why = "NUL byte in the line";
		else if (!(why = parse_line(line, &m, &writable, &path, &id)) && s->nmaps && m.start < prev_end)
			why = "mapping out of order or overlapping the one before";
		if (why) {
			excerpt(line, (size_t)len, ex, sizeof ex);
			rc = fail("%s:%zu: malformed maps line (%s): '%s'", s->maps_path, lineno, why, ex);
			break;
		}
		s->nmaps++;
		prev_end = m.end;
		s->top_end = m.end;
		if (is_ljmm_path(path)) {
			s->ljmm = true;
			if (!(v = grow(s->libmaps, &s->caplibmaps, s->nlibmaps, sizeof *s->libmaps, 16))) {
				rc = fail("out of memory");
				break;
			}
			s->libmaps = v;
			s->libmaps[s->nlibmaps].c = id;
			s->libmaps[s->nlibmaps].c.start = m.start;
			s->libmaps[s->nlibmaps].c.end = m.end;
			s->libmaps[s->nlibmaps].off0 = !id.start;
			s->libmaps[s->nlibmaps++].exec = m.exec;
		}
		if (writable && !ljmm_procmem_ranges_add(&s->writable, m.start, m.end)) {
			rc = fail("out of memory");
			break;
		}
		if (m.heap) {
			s->have_heap = true;
			s->heap_start = m.start;
			s->heap_end = m.end;
		}
		if (m.start >= LJMM_2G) {
			errno = 0;
			continue;
		}
		if (!(v = grow(s->low, &s->caplow, s->nlow, sizeof *s->low, 256))) {
			rc = fail("out of memory");
			break;
		}
		s->low = v;
		s->low[s->nlow++] = m;
		errno = 0;
	}
	if (!rc && !select_candidates(s))
		rc = fail("out of memory");
	if (!rc && ferror(f))
		rc = s->pid >= 0 && errno == ESRCH ? -1 : fail("cannot read %s: %s", s->maps_path, strerror(errno));
	free(line);
	return rc;
}

static int read_maps_file(state_t *s)
{
	FILE *f = fopen(s->maps_path, "r");
	int rc;
	if (!f)
		return fail("cannot open %s: %s", s->maps_path, strerror(errno));
	rc = read_maps(s, f);
	fclose(f);
	if (!rc && !s->nmaps)
		rc = fail("%s: no mappings in the file", s->maps_path);
	return rc;
}

/* ---- the other files of a live process ---- */

/* Up to cap - 1 bytes of the file name in /proc/PID, NUL-terminated; -1 with errno. */
static ssize_t read_small(int dirfd, const char *name, char *buf, size_t cap)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n = 0;
	if (fd < 0)
		return -1;
	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	return (ssize_t)got;
}

/* The command name: /proc/PID/comm holds it raw (up to 15 bytes, any but NUL, even a
 * newline) and one newline after it. */
static void read_comm(int dirfd, char *comm, size_t cap)
{
	ssize_t n = read_small(dirfd, "comm", comm, cap);
	if (n <= 0) {
		comm[0] = 0;
		return;
	}
	if (comm[n - 1] == '\n')
		comm[n - 1] = 0;
}

static bool read_procstat(int dirfd, procstat_t *st)
{
	char buf[4096];
	uint64_t v;
	const char *p;
	int field;
	if (read_small(dirfd, "stat", buf, sizeof buf) <= 0)
		return false;
	/* The command name in parentheses may hold spaces and ')': count from the last. */
	if (!(p = strrchr(buf, ')')) || p[1] != ' ' || !p[2])
		return false;
	memset(st, 0, sizeof *st);
	st->state = p[2];
	for (p += 3, field = 4; *p == ' ' && field <= 47; field++) {
		p++;
		/* Some fields are signed (priority, nice, ...): those are not used. */
		if (*p == '-')
			p++;
		if (!take_u64(&p, &v))
			return false;
		if (field == 9)
			st->flags = v;
		else if (field == 22)
			st->starttime = v;
		else if (field == 23)
			st->vsize = v;
		else if (field == 47)
			st->start_brk = v;
	}
	return field > 23;
}

static void read_status(state_t *s)
{
	char buf[8192];
	const char *p;
	if (read_small(s->dirfd, "status", buf, sizeof buf) <= 0)
		return;
	for (p = buf; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		long long *dst = !strncmp(p, "VmSize:", 7) ? &s->vmsize_kb : !strncmp(p, "VmRSS:", 6) ? &s->vmrss_kb : NULL;
		const char *q;
		uint64_t kb;
		if (!dst)
			continue;
		q = strchr(p, ':') + 1;
		q += strspn(q, " \t");
		if (take_u64(&q, &kb) && !strncmp(q, " kB", 3) && kb < (uint64_t)LLONG_MAX)
			*dst = (long long)kb;
	}
}

/* The program's ELF class and machine, from the first bytes of /proc/PID/exe (the file
 * the process runs, even after it was deleted or replaced); else its mappings: a 32-bit
 * process (i386 or x32) has none that ends above 4 GiB, a 64-bit one at least its stack
 * near the top of the 47-bit space. Opening exe takes the same ptrace access as the
 * maps, and read permission on the file: a program installed mode 0711 is not
 * readable by its user. */
static enum abi read_abi(const state_t *s)
{
	unsigned char h[20];
	int fd = openat(s->dirfd, "exe", O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;
	if (fd >= 0) {
		n = pread(fd, h, sizeof h, 0);
		close(fd);
	}
	if (n == (ssize_t)sizeof h && !memcmp(h, "\177ELF", 4) && h[5] == 1 /* ELFDATA2LSB */) {
		unsigned machine = h[18] | (unsigned)h[19] << 8;
		if (h[4] == 1 /* ELFCLASS32 */)
			return machine == 3 /* EM_386 */ ? ABI_I386 : machine == 62 /* EM_X86_64 */ ? ABI_X32 : ABI_OTHER;
		if (h[4] == 2 /* ELFCLASS64 */)
			return machine == 62 ? ABI_X86_64 : ABI_OTHER;
	}
	if (!s->nmaps)
		return ABI_UNKNOWN;
	return s->top_end <= ADDR32_END ? ABI_32 : ABI_X86_64;
}

/* ---- the shim's counters, through /proc/PID/mem ---- */

/* Believe a probe only as far as it checks out, then copy the counters it points at. */
static void take_probe(const state_t *s, ljmm_procmem_t *pm, const ljmm_procmem_found_t *f, counters_t *c)
{
	const ljmm_probe_t *p = &f->probe;
	size_t n;
	memset(c, 0, sizeof *c);
	memcpy(c->version, p->version, sizeof p->version);
	c->version[sizeof p->version] = 0;
	c->flags = p->flags;
	c->stats_size = p->stats_size;
	c->status = CNT_BAD_PROBE;
	if (p->layout != LJMM_PROBE_LAYOUT) {
		c->why = "unknown layout";
		return;
	}
	if (!p->flags || !p->stats_addr) {
		c->status = CNT_NOT_STARTED;
		return;
	}
	if (!p->stats_size || p->stats_size > STATS_SIZE_MAX) {
		c->why = "implausible size";
		return;
	}
	if (p->stats_addr % 8) {
		c->why = "misaligned address";
		return;
	}
	/* Only what both sides know: an older library's struct is shorter (its missing
	 * fields stay unknown), a newer one's fields past ours are ignored. */
	n = p->stats_size < sizeof c->st ? p->stats_size : sizeof c->st;
	/* In the object's own writable segments (by its program headers) and mapped
	 * writable: never another object's pages, a file's read-only pages or a hole. */
	if (!ljmm_procmem_ranges_cover(&s->writable, p->stats_addr, n) || !ljmm_procmem_in_object(f, p->stats_addr, n)) {
		c->why = "address outside writable memory";
		return;
	}
	if (ljmm_procmem_read(pm, &c->st, n, p->stats_addr) != (ssize_t)n) {
		c->status = CNT_UNREADABLE;
		c->err = errno ? errno : EIO;
		return;
	}
	c->known = n;
	c->status = CNT_READ;
}

/* Lower is better: the copy that serves the process, then any read copy. */
static int counters_rank(const counters_t *c)
{
	if (c->status == CNT_READ)
		return c->flags & LJMM_PROBE_ASIDE ? 1 : 0;
	return c->status == CNT_NOT_STARTED ? 2 : c->status == CNT_BAD_PROBE ? 3 : 4;
}

static const char *counters_key(const counters_t *c);
static const char *counters_detail(const counters_t *c);

/* What LJMM_MAPS_DEBUG prints: each object examined and what the reads cost. */
static void debug_candidate(const state_t *s, const ljmm_procmem_cand_t *cd, const ljmm_procmem_found_t *f,
			    const counters_t *c)
{
	static const char *const verdict[] = {"found", "none", "bad", "skipped", "unreadable"};
	fprintf(stderr, "ljmm-maps: debug: pid %ld: object at 0x%llx dev %x:%x inode %llu: %s%s%s%s%s\n", s->pid,
		(unsigned long long)cd->start, cd->major, cd->minor, (unsigned long long)cd->inode, verdict[f->verdict],
		f->verdict == LJMM_PM_FOUND ? (f->by_note ? " by the note, " : " by the scan, ") : f->why ? ", " : "",
		f->verdict == LJMM_PM_FOUND ? counters_key(c) : f->why ? f->why : "",
		f->verdict == LJMM_PM_FOUND && counters_detail(c) ? ": " : "",
		f->verdict == LJMM_PM_FOUND && counters_detail(c) ? counters_detail(c) : "");
}

static void read_counters(state_t *s)
{
	counters_t *c = &s->cnt, cand;
	ljmm_procmem_t pm;
	ljmm_procmem_found_t f;
	int err = 0;
	const char *none = NULL, *skipped = NULL;
	bool any = false, debug = getenv("LJMM_MAPS_DEBUG") && *getenv("LJMM_MAPS_DEBUG");
	size_t i;
	memset(c, 0, sizeof *c);
	if (!s->ljmm) {
		c->status = CNT_NONE;
		return;
	}
	ljmm_procmem_init(&pm, s->dirfd);
	/* Two copies of the library (two paths) each have a probe. */
	for (i = 0; i < s->ncand; i++) {
		errno = 0;
		ljmm_procmem_find_probe(&pm, &s->cand[i], &s->candmaps[i], &s->writable, &f);
		memset(&cand, 0, sizeof cand);
		switch (f.verdict) {
		case LJMM_PM_FOUND:
			errno = 0;
			take_probe(s, &pm, &f, &cand);
			break;
		case LJMM_PM_BAD:
			cand.status = CNT_BAD_PROBE;
			cand.why = f.why;
			break;
		case LJMM_PM_UNREADABLE:
			err = f.err;
			break;
		case LJMM_PM_SKIPPED:
			skipped = f.why;
			break;
		case LJMM_PM_NONE:
			none = f.why;
			break;
		}
		if (debug)
			debug_candidate(s, &s->cand[i], &f, &cand);
		if (f.verdict != LJMM_PM_FOUND && f.verdict != LJMM_PM_BAD)
			continue;
		/* Of two copies that both claim to serve (a library that never sets
		 * LJMM_PROBE_ASIDE), the one whose entry points the calls reached. */
		if (!any || counters_rank(&cand) < counters_rank(c) ||
		    (counters_rank(&cand) == counters_rank(c) && cand.status == CNT_READ &&
		     cand.st.mmap_calls > c->st.mmap_calls))
			*c = cand;
		any = true;
	}
	if (debug)
		fprintf(stderr,
			"ljmm-maps: debug: pid %ld: %zu objects examined, %zu more not (the cap is %d); "
			"/proc/PID/mem: %llu reads, %llu bytes\n",
			s->pid, s->ncand, s->cand_over, LJMM_PROCMEM_CANDIDATES, (unsigned long long)pm.reads,
			(unsigned long long)pm.bytes);
	ljmm_procmem_close(&pm);
	if (any)
		return;
	/* Nothing found: say why, the reason that most needs the operator first. */
	if (err) {
		c->status = CNT_UNREADABLE;
		c->err = err;
	} else if (skipped) {
		c->status = CNT_UNREADABLE;
		c->why = skipped;
	} else {
		c->status = CNT_NO_PROBE;
		c->why = none;
	}
}

/* A counter: false when unknown (not read, or past what this library's struct has). */
static bool counter(const counters_t *c, size_t off, uint64_t *v)
{
	if (c->status != CNT_READ || off + sizeof *v > c->known)
		return false;
	memcpy(v, (const char *)&c->st + off, sizeof *v);
	return true;
}

#define STAT_FIELD(name) {#name, offsetof(ljmm_stats_t, name)}
static const struct {
	const char *name;
	size_t off;
} stat_fields[] = {
	STAT_FIELD(mmap_calls), STAT_FIELD(munmap_calls), STAT_FIELD(mremap_calls), STAT_FIELD(map32_calls),
	STAT_FIELD(kernel_served), STAT_FIELD(region_served), STAT_FIELD(region_bytes_served),
	STAT_FIELD(failures), STAT_FIELD(resyncs), STAT_FIELD(conflicts), STAT_FIELD(signal_reentries),
	STAT_FIELD(region_lo), STAT_FIELD(region_hi), STAT_FIELD(region_in_use), STAT_FIELD(region_peak),
	STAT_FIELD(free_extents), STAT_FIELD(free_extents_peak), STAT_FIELD(dropped_bytes),
	STAT_FIELD(guard_state), STAT_FIELD(guard_addr), STAT_FIELD(guard_reserve), STAT_FIELD(kernel_skipped),
	STAT_FIELD(fork_resets), STAT_FIELD(scans), STAT_FIELD(section_recoveries), STAT_FIELD(lock_timeouts),
	STAT_FIELD(guard_defaulted_lazy), STAT_FIELD(hints_served),
};
#define NFIELDS (sizeof stat_fields / sizeof stat_fields[0])
/* The JSON holds every field (ljmm-maps(1) says so): a field appended to ljmm_stats_t must be added above. */
_Static_assert(NFIELDS * sizeof(uint64_t) == sizeof(ljmm_stats_t), "stat_fields lists every field of ljmm_stats_t");

/* The counters' state as one word, and what goes with it (or NULL). */
static const char *counters_key(const counters_t *c)
{
	switch (c->status) {
	case CNT_NONE: return "n/a";
	case CNT_READ:
		return c->flags & LJMM_PROBE_OFF ? "off" : c->flags & LJMM_PROBE_ASIDE ? "aside" : "active";
	case CNT_UNREADABLE: return "unreadable";
	case CNT_NO_PROBE: return "no-probe";
	case CNT_BAD_PROBE: return "bad-probe";
	case CNT_NOT_STARTED: return "not-started";
	}
	return "?";
}

static const char *counters_detail(const counters_t *c)
{
	switch (c->status) {
	case CNT_READ:
		return c->flags & LJMM_PROBE_OFF     ? "LJMM_ENABLE=off"
		       : c->flags & LJMM_PROBE_ASIDE ? "another copy serves the process"
						     : NULL;
	case CNT_UNREADABLE: return c->why ? c->why : errno_name(c->err);
	case CNT_NO_PROBE: return c->why ? c->why : "a library older than the probe";
	case CNT_BAD_PROBE: return c->why;
	case CNT_NOT_STARTED: return "the library is not initialised yet";
	default: return NULL;
	}
}

/* ---- reading one live process ---- */

enum rd {
	RD_OK,
	RD_GONE,     /* it does not exist, or exited (or its PID was reused) while being read */
	RD_DENIED,   /* its maps may not be read (s->maps_err) */
	RD_KTHREAD,  /* a kernel thread: no user memory */
	RD_FAILED,   /* a message was printed */
};

static enum rd read_process(state_t *s, long pid)
{
	char path[64];
	procstat_t before, after;
	FILE *f;
	int fd, rc;
	s->pid = pid;
	s->vmsize_kb = s->vmrss_kb = -1;
	snprintf(path, sizeof path, "/proc/%ld", pid);
	/* Every file below through this descriptor: all belong to the one process it
	 * names, never to a later process that gets the same PID. */
	s->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		if (errno == ENOENT || errno == ESRCH)
			return RD_GONE;
		fail("cannot open %s: %s", path, strerror(errno));
		return RD_FAILED;
	}
	read_comm(s->dirfd, s->comm, sizeof s->comm);
	if (!read_procstat(s->dirfd, &before))
		return RD_GONE;
	if (before.flags & PF_KTHREAD)
		return RD_KTHREAD;
	s->starttime = before.starttime;
	snprintf(path, sizeof path, "/proc/%ld/maps", pid);
	s->maps_path = path;
	fd = openat(s->dirfd, "maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		s->maps_err = errno;
		s->maps_path = NULL;
		if (errno == ENOENT || errno == ESRCH)
			return RD_GONE;
		if (errno == EACCES || errno == EPERM)
			return RD_DENIED;
		fail("cannot open /proc/%ld/maps: %s", pid, strerror(s->maps_err));
		return RD_FAILED;
	}
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		fail("out of memory");
		return RD_FAILED;
	}
	rc = read_maps(s, f);
	fclose(f);
	s->maps_path = NULL;
	if (rc > 0)
		return RD_FAILED;
	read_status(s);
	read_counters(s);
	s->abi = read_abi(s);
	/* A process that exits while its maps are read does not make the read fail: the
	 * kernel ends the text early, at a line boundary, once the memory is gone. Read its
	 * state again: same start time (the same process), not a zombie, and with memory
	 * (vsize is 0 from the moment an exiting process drops it), else what was read may
	 * be cut short. */
	if (rc < 0 || !read_procstat(s->dirfd, &after) || after.starttime != before.starttime || after.state == 'Z' ||
	    after.state == 'X' || !after.vsize)
		return RD_GONE;
	if (!s->nmaps)
		return RD_KTHREAD;
	/* The brk heap has no [heap] line while it is empty, which is what the shim's guard,
	 * placed at start-up right at the break, makes of most -no-pie programs' heaps. Then
	 * the break is start_brk, and the guard is still recognised. */
	if (!s->have_heap && after.start_brk) {
		s->have_heap = true;
		s->heap_start = s->heap_end = (after.start_brk + LJMM_PAGE - 1) & ~(LJMM_PAGE - 1);
	}
	return RD_OK;
}

static void state_free(state_t *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->low);
	free(s->libmaps);
	for (size_t k = 0; k < LJMM_PROCMEM_CANDIDATES; k++)
		free(s->candmaps[k].v);
	free(s->writable.v);
	memset(s, 0, sizeof *s);
	s->dirfd = -1;
}

/* ---- classification ---- */

static void add_range(state_t *s, uint64_t start, uint64_t end, enum cls c)
{
	if (end > LJMM_2G)
		end = LJMM_2G;
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
	if (s->have_heap && s->heap_end < LJMM_2G)
		for (i = 0; i < s->nlow; i++) {
			const mapping_t *m = &s->low[i];
			if (m->start >= s->heap_end && m->start - s->heap_end <= GUARD_WINDOW && m->anon && m->noacc &&
			    m->end - m->start == LJMM_PAGE) {
				s->have_guard = true;
				s->guard_addr = m->start;
				break;
			}
		}
	for (i = 0; i < s->nlow; i++) {
		const mapping_t *m = &s->low[i];
		uint64_t end = m->end < LJMM_2G ? m->end : LJMM_2G;
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
			if (m->start < LJMM_WINDOW_LO)
				add_range(s, m->start, end < LJMM_WINDOW_LO ? end : LJMM_WINDOW_LO, C_REGION);
			if (end > LJMM_WINDOW_LO)
				add_range(s, m->start > LJMM_WINDOW_LO ? m->start : LJMM_WINDOW_LO, end, C_KERNEL);
		}
	}
	if (LJMM_2G > prev && LJMM_2G - prev > s->hole_size)
		s->hole_start = prev, s->hole_size = LJMM_2G - prev;
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

/* ---- text encodings of untrusted names ---- */

/* The UTF-8 character at s (n > 0 bytes left): its length with *cp set, or 0 when the
 * bytes are not valid UTF-8, with *bad the length of the maximal invalid prefix (at
 * least 1), which becomes one U+FFFD (Unicode's "maximal subpart" practice). Overlong
 * forms, surrogates and values above U+10FFFF are invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp, size_t *bad)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, v = c & 0x0f, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, v = c & 0x07, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else {
		*bad = 1;
		return 0;
	}
	for (i = 1; i < len; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		v = v << 6 | (s[i] & 0x3f);
		lo = 0x80, hi = 0xbf;
	}
	*cp = v;
	return len;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

enum text_form {
	/* JSON string contents: valid UTF-8 passes through, '"', '\\' and control
	 * characters are escaped, each invalid sequence becomes U+FFFD: valid UTF-8 JSON
	 * (RFC 8259). */
	TEXT_JSON,
	/* A Prometheus label value: the text format escapes backslash, double quote and
	 * line feed, and is UTF-8, so invalid sequences become U+FFFD as in JSON. */
	TEXT_PROM,
	/* For a terminal: valid printable UTF-8 passes, every other character (controls,
	 * invalid bytes) is '?'; TEXT_WORD makes spaces '?' too, so that a table's
	 * columns stay split on blanks. */
	TEXT_TERM,
	TEXT_WORD,
};

/* Writes an untrusted string (a command name, a path) in one form; returns the
 * characters written (one for each escape or replacement). */
static size_t put_text(const char *str, enum text_form form)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t n = strlen(str), shown = 0;
	while (n) {
		uint32_t cp = 0;
		size_t bad = 0, len = utf8_next(p, n, &cp, &bad);
		shown++;
		if (form >= TEXT_TERM) {
			if (!len || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (form == TEXT_WORD && cp == ' '))
				putchar('?');
			else
				fwrite(p, 1, len, stdout);
		} else if (!len)
			fputs(REPLACEMENT, stdout);
		else if (cp == '"' || cp == '\\')
			printf("\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", stdout);
		else if (form == TEXT_JSON && cp == '\t')
			fputs("\\t", stdout);
		else if (form == TEXT_JSON && (cp < 0x20 || cp == 0x7f))
			printf("\\u%04x", (unsigned)cp);
		else
			fwrite(p, 1, len, stdout);
		len = len ? len : bad;
		p += len, n -= len;
	}
	return shown;
}

static void json_string(const char *str)
{
	putchar('"');
	put_text(str, TEXT_JSON);
	putchar('"');
}

/* ,"abi":"x86_64" (null when not known: a maps file). */
static void json_abi(enum abi a)
{
	printf(",\"abi\":");
	if (a == ABI_UNKNOWN)
		printf("null");
	else
		printf("\"%s\"", abi_name[a]);
}

/* ---- output ---- */

static double mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

static void print_counters_text(const counters_t *c)
{
	static const struct {
		const char *label;
		size_t off;
	} shown[] = {
		{"mmap", offsetof(ljmm_stats_t, mmap_calls)},
		{"map32", offsetof(ljmm_stats_t, map32_calls)},
		{"kernel-served", offsetof(ljmm_stats_t, kernel_served)},
		{"region-served", offsetof(ljmm_stats_t, region_served)},
		{"kernel-skipped", offsetof(ljmm_stats_t, kernel_skipped)},
		{"failed", offsetof(ljmm_stats_t, failures)},
		{"hint-served", offsetof(ljmm_stats_t, hints_served)},
	};
	const char *detail = counters_detail(c);
	uint64_t v;
	size_t i;
	printf("shim counters: %s", counters_key(c));
	if (detail)
		printf(" (%s)", detail);
	if (c->status == CNT_READ) {
		printf(", version ");
		put_text(c->version, TEXT_TERM);
		putchar(':');
		for (i = 0; i < sizeof shown / sizeof shown[0]; i++) {
			if (counter(c, shown[i].off, &v))
				printf(" %s=%" PRIu64, shown[i].label, v);
			else
				printf(" %s=?", shown[i].label);
			if (shown[i].off == offsetof(ljmm_stats_t, region_served) &&
			    counter(c, offsetof(ljmm_stats_t, region_bytes_served), &v))
				printf(" (%.1f MiB)", mib(v));
		}
	}
	putchar('\n');
}

/* A 32-bit process instead of a picture: one line. */
static void print_32bit(const state_t *s)
{
	printf("pid %ld (", s->pid);
	put_text(s->comm[0] ? s->comm : "?", TEXT_TERM);
	printf("): a 32-bit process (%s): its whole address space lies below 4 GiB, so it has no low-2-GiB limit "
	       "(MAP_32BIT and the shim are for x86-64 processes)\n",
	       ABI_WHAT(s->abi));
}

static void print_text(const state_t *s)
{
	size_t i;
	int c;
	if (s->pid >= 0) {
		printf("pid %ld (", s->pid);
		put_text(s->comm[0] ? s->comm : "?", TEXT_TERM);
		printf(")  libljmm_preload: %s", s->ljmm ? "yes" : "no");
		if (s->vmsize_kb >= 0)
			printf("  VmSize %.1f MiB", (double)s->vmsize_kb / 1024.0);
		if (s->vmrss_kb >= 0)
			printf("  VmRSS %.1f MiB", (double)s->vmrss_kb / 1024.0);
		printf("  mappings %zu\n", s->nmaps);
	} else {
		printf("maps file ");
		put_text(s->maps_path, TEXT_TERM);
		printf("  libljmm_preload: %s  mappings %zu\n", s->ljmm ? "yes" : "no", s->nmaps);
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
	if (s->pid >= 0)
		print_counters_text(&s->cnt);
}

/* {"status":..., "detail":..., "version":..., every field of ljmm_stats_t (null when
 * unknown)}, or only status and detail when nothing was read. */
static void print_counters_json(const counters_t *c)
{
	const char *detail = counters_detail(c);
	uint64_t v;
	size_t i;
	printf("{\"status\":\"%s\",\"detail\":", counters_key(c));
	if (detail)
		json_string(detail);
	else
		printf("null");
	if (c->status == CNT_READ) {
		printf(",\"version\":");
		json_string(c->version);
		printf(",\"stats_size\":%" PRIu32, c->stats_size);
		for (i = 0; i < NFIELDS; i++) {
			printf(",\"%s\":", stat_fields[i].name);
			if (counter(c, stat_fields[i].off, &v))
				printf("%" PRIu64, v);
			else
				printf("null");
		}
	}
	putchar('}');
}

static void print_json(const state_t *s)
{
	size_t i;
	int c;
	if (s->pid >= 0)
		printf("{\"pid\":%ld,\"comm\":", s->pid), json_string(s->comm);
	else
		printf("{\"pid\":null,\"maps_file\":"), json_string(s->maps_path);
	json_abi(s->abi);
	printf(",\"ljmm_mapped\":%s,\"mappings\":%zu,\"bytes\":", s->ljmm ? "true" : "false", s->nmaps);
	if (ABI_IS_32(s->abi)) {
		/* Nothing of the low 2 GiB means anything here (print_32bit). */
		printf("null,\"heap\":null,\"guard\":null,\"largest_free\":null,\"picture\":null,\"counters\":");
		print_counters_json(&s->cnt);
		printf("}\n");
		return;
	}
	putchar('{');
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
	printf("],\"counters\":");
	if (s->pid >= 0)
		print_counters_json(&s->cnt);
	else
		printf("null");
	printf("}\n");
}

static void row_from(row_t *r, const state_t *s)
{
	memset(r, 0, sizeof *r);
	r->pid = s->pid;
	memcpy(r->comm, s->comm, sizeof r->comm);
	r->maps_err = s->maps_err;
	r->abi = s->abi;
	r->starttime = s->starttime;
	r->ljmm = s->ljmm;
	r->kernel = s->total[C_KERNEL];
	r->region = s->total[C_REGION];
	r->free_bytes = s->total[C_FREE];
	r->hole = s->hole_size;
	r->cnt = s->cnt;
	if (r->maps_err) {
		/* The counters live behind the same permission as the maps. */
		r->cnt.status = CNT_UNREADABLE;
		r->cnt.err = r->maps_err;
	}
}

static double used_ratio(const row_t *r)
{
	return (double)(LJMM_2G - r->free_bytes) / (double)LJMM_2G;
}

static const size_t table_counters[] = {
	offsetof(ljmm_stats_t, region_served),
	offsetof(ljmm_stats_t, failures),
	offsetof(ljmm_stats_t, kernel_skipped),
};

static void print_table(const row_t *rows, size_t n)
{
	static const int width[] = {13, 6, 14};
	size_t i, j, shown;
	printf("%-8s %-15s %-4s %10s %10s %9s %9s %8s %13s %6s %14s %s\n", "PID", "COMMAND", "SHIM", "KERNEL_MIB",
	       "REGION_MIB", "FREE_MIB", "HOLE_MIB", "USED_PCT", "REGION_SERVED", "FAILED", "KERNEL_SKIPPED",
	       "COUNTERS");
	for (i = 0; i < n; i++) {
		const row_t *r = &rows[i];
		const char *detail = counters_detail(&r->cnt);
		printf("%-8ld ", r->pid);
		shown = put_text(r->comm[0] ? r->comm : "?", TEXT_WORD);
		printf("%*s ", shown < 15 ? (int)(15 - shown) : 0, "");
		if (r->maps_err)
			printf("%-4s %10s %10s %9s %9s %8s", "?", "-", "-", "-", "-", "-");
		else if (ABI_IS_32(r->abi))
			printf("%-4s %10s %10s %9s %9s %8s", r->ljmm ? "yes" : "no", "-", "-", "-", "-", "-");
		else
			printf("%-4s %10.1f %10.1f %9.1f %9.1f %8.1f", r->ljmm ? "yes" : "no", mib(r->kernel),
			       mib(r->region), mib(r->free_bytes), mib(r->hole), 100.0 * used_ratio(r));
		for (j = 0; j < 3; j++) {
			uint64_t v;
			if (counter(&r->cnt, table_counters[j], &v))
				printf(" %*" PRIu64, width[j], v);
			else
				printf(" %*s", width[j], "-");
		}
		if (ABI_IS_32(r->abi))
			printf(" 32-bit (%s: no low-2-GiB limit)\n", ABI_WHAT(r->abi));
		else {
			printf(" %s", counters_key(&r->cnt));
			if (detail)
				printf(" (%s)", detail);
			putchar('\n');
		}
	}
}

static void print_json_rows(const row_t *rows, size_t n)
{
	size_t i;
	putchar('[');
	for (i = 0; i < n; i++) {
		const row_t *r = &rows[i];
		printf("%s\n{\"pid\":%ld,\"comm\":", i ? "," : "", r->pid);
		json_string(r->comm);
		json_abi(r->abi);
		if (r->maps_err) {
			printf(",\"maps\":\"unreadable\",\"maps_error\":\"%s\",\"ljmm_mapped\":null,\"bytes\":null,"
			       "\"largest_free_bytes\":null,\"used_ratio\":null",
			       errno_name(r->maps_err));
		} else if (ABI_IS_32(r->abi)) {
			printf(",\"maps\":\"read\",\"maps_error\":null,\"ljmm_mapped\":%s,\"bytes\":null,"
			       "\"largest_free_bytes\":null,\"used_ratio\":null",
			       r->ljmm ? "true" : "false");
		} else {
			printf(",\"maps\":\"read\",\"maps_error\":null,\"ljmm_mapped\":%s,\"bytes\":{\"kernel\":%" PRIu64
			       ",\"region\":%" PRIu64 ",\"free\":%" PRIu64 "},\"largest_free_bytes\":%" PRIu64
			       ",\"used_ratio\":%.6f",
			       r->ljmm ? "true" : "false", r->kernel, r->region, r->free_bytes, r->hole, used_ratio(r));
		}
		printf(",\"counters\":");
		print_counters_json(&r->cnt);
		putchar('}');
	}
	printf("%s]\n", n ? "\n" : "");
}

/* ---- Prometheus text exposition format (version 0.0.4) ---- */

enum prom_value {
	PV_MAPS_READABLE, PV_START, PV_32BIT, PV_SHIM, PV_ENABLED, PV_INFO, PV_KERNEL, PV_REGION, PV_FREE, PV_HOLE,
	PV_USED, PV_COUNTERS_READABLE, PV_PEAK, PV_COUNTER
};

/* The HELP texts are what docs/deploy.md's metric table shows (ctest docs_prometheus_metrics
 * compares them). */
static const struct {
	const char *name, *type, *help;
	enum prom_value what;
	size_t off; /* PV_COUNTER: the field of ljmm_stats_t */
} prom_families[] = {
	{"ljmm_maps_readable", "gauge", "Whether /proc/PID/maps could be read (1) or not (0, permission).",
	 PV_MAPS_READABLE, 0},
	{"ljmm_process_start_time_seconds", "gauge",
	 "Start time of the process since the Unix epoch in seconds (tells a replaced worker with the same PID apart).",
	 PV_START, 0},
	{"ljmm_process_32bit", "gauge",
	 "Whether the process is a 32-bit program (i386 or x32), which has no low-2-GiB limit and cannot load the shim.",
	 PV_32BIT, 0},
	{"ljmm_shim_loaded", "gauge", "Whether libljmm_preload.so is mapped into the process.", PV_SHIM, 0},
	{"ljmm_shim_enabled", "gauge",
	 "Whether the shim serves the process (1), or is absent or loaded with LJMM_ENABLE=off (0); no sample when its "
	 "counters could not be read.",
	 PV_ENABLED, 0},
	{"ljmm_shim_info", "gauge", "The version of the library loaded in the process (label version), read from its probe.",
	 PV_INFO, 0},
	{"ljmm_kernel_window_bytes", "gauge", "Anonymous memory in the kernel's MAP_32BIT window [1 GiB, 2 GiB).",
	 PV_KERNEL, 0},
	{"ljmm_region_bytes", "gauge", "Anonymous memory below 1 GiB, where the shim's region serves MAP_32BIT requests.",
	 PV_REGION, 0},
	{"ljmm_free_bytes", "gauge", "Unmapped bytes below 2 GiB.", PV_FREE, 0},
	{"ljmm_largest_hole_bytes", "gauge", "The largest unmapped range below 2 GiB, in bytes.", PV_HOLE, 0},
	{"ljmm_low_used_ratio", "gauge", "Share of the low 2 GiB that is mapped, from 0 to 1.", PV_USED, 0},
	{"ljmm_counters_readable", "gauge",
	 "Whether the shim's counters were read from the process (1) or not (0: no shim, permission, no probe).",
	 PV_COUNTERS_READABLE, 0},
	{"ljmm_region_peak_bytes", "gauge",
	 "Most bytes of the shim's region (the low 2 GiB above vm.mmap_min_addr, less the brk reserve) mapped at once, "
	 "by anyone, since the shim first needed the region (no sample before).",
	 PV_PEAK, offsetof(ljmm_stats_t, region_peak)},
	{"ljmm_map32_requests_total", "counter", "MAP_32BIT requests without MAP_FIXED the shim saw (map32=).",
	 PV_COUNTER, offsetof(ljmm_stats_t, map32_calls)},
	{"ljmm_kernel_served_total", "counter", "MAP_32BIT requests the kernel's window answered (kernel-served=).",
	 PV_COUNTER, offsetof(ljmm_stats_t, kernel_served)},
	{"ljmm_region_served_total", "counter", "MAP_32BIT requests the shim's region answered (region-served=).",
	 PV_COUNTER, offsetof(ljmm_stats_t, region_served)},
	{"ljmm_region_served_bytes_total", "counter", "Bytes the shim's region handed out.", PV_COUNTER,
	 offsetof(ljmm_stats_t, region_bytes_served)},
	{"ljmm_kernel_skipped_total", "counter",
	 "Region-served requests that did not ask the kernel first (kernel-skipped=).", PV_COUNTER,
	 offsetof(ljmm_stats_t, kernel_skipped)},
	{"ljmm_failed_total", "counter",
	 "MAP_32BIT requests answered ENOMEM, each a \"not enough memory\" for LuaJIT (failed=).", PV_COUNTER,
	 offsetof(ljmm_stats_t, failures)},
};

/* The boot time (btime of /proc/stat, seconds since the epoch), or -1. The file has a
 * line per CPU and an "intr" line of thousands of numbers before it: read line by line. */
static long long boot_time(void)
{
	FILE *f = fopen("/proc/stat", "r");
	char *line = NULL;
	size_t cap = 0;
	long long bt = -1;
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		const char *p = line + 6;
		uint64_t v;
		if (!strncmp(line, "btime ", 6) && take_u64(&p, &v) && v < (uint64_t)LLONG_MAX) {
			bt = (long long)v;
			break;
		}
	}
	free(line);
	fclose(f);
	return bt;
}

/* Whether the shim serves the process: 1 active, 0 absent or LJMM_ENABLE=off, -1 not
 * known (counters unreadable, a copy standing aside read alone, not started yet). */
static int shim_enabled(const row_t *r)
{
	if (r->maps_err)
		return -1;
	if (!r->ljmm)
		return 0;
	if (r->cnt.status != CNT_READ || (r->cnt.flags & LJMM_PROBE_ASIDE))
		return -1;
	return !(r->cnt.flags & LJMM_PROBE_OFF);
}

static void print_prometheus(const row_t *rows, size_t n)
{
	long long btime = boot_time();
	size_t f, i;
	printf("# HELP ljmm_build_info The version of ljmm-maps that wrote these figures (label version).\n"
	       "# TYPE ljmm_build_info gauge\nljmm_build_info{version=\"" LJMM_VERSION "\"} 1\n");
	printf("# HELP ljmm_processes Processes ljmm-maps reported on.\n# TYPE ljmm_processes gauge\n");
	printf("ljmm_processes %zu\n", n);
	for (f = 0; f < sizeof prom_families / sizeof prom_families[0]; f++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", prom_families[f].name, prom_families[f].help, prom_families[f].name,
		       prom_families[f].type);
		for (i = 0; i < n; i++) {
			const row_t *r = &rows[i];
			uint64_t v = 0;
			double d = 0;
			int prec = -1; /* digits after the point, or -1: an integer v */
			/* The low 2 GiB's figures: from the maps, for x86-64 processes. */
			bool have = !r->maps_err && !ABI_IS_32(r->abi);
			switch (prom_families[f].what) {
			case PV_MAPS_READABLE: v = !r->maps_err, have = true; break;
			case PV_START:
				d = (double)btime + (double)r->starttime / USER_HZ, prec = 2;
				have = btime >= 0;
				break;
			case PV_32BIT: v = ABI_IS_32(r->abi), have = r->abi != ABI_UNKNOWN; break;
			case PV_SHIM: v = r->ljmm, have = !r->maps_err; break;
			case PV_ENABLED: have = shim_enabled(r) >= 0, v = shim_enabled(r) > 0; break;
			case PV_INFO:
				v = 1, have = r->cnt.status == CNT_READ || r->cnt.status == CNT_NOT_STARTED;
				break;
			case PV_KERNEL: v = r->kernel; break;
			case PV_REGION: v = r->region; break;
			case PV_FREE: v = r->free_bytes; break;
			case PV_HOLE: v = r->hole; break;
			case PV_USED: d = used_ratio(r), prec = 6; break;
			case PV_COUNTERS_READABLE: v = r->cnt.status == CNT_READ, have = true; break;
			case PV_PEAK: {
				/* region_hi is 0 until the shim first needed its region. */
				uint64_t hi = 0;
				have = counter(&r->cnt, prom_families[f].off, &v) &&
				       counter(&r->cnt, offsetof(ljmm_stats_t, region_hi), &hi) && hi;
				break;
			}
			case PV_COUNTER: have = counter(&r->cnt, prom_families[f].off, &v); break;
			}
			if (!have)
				continue;
			printf("%s{pid=\"%ld\",command=\"", prom_families[f].name, r->pid);
			put_text(r->comm, TEXT_PROM);
			if (prom_families[f].what == PV_INFO) {
				printf("\",version=\"");
				put_text(r->cnt.version, TEXT_PROM);
			}
			if (prec >= 0)
				printf("\"} %.*f\n", prec, d);
			else
				printf("\"} %" PRIu64 "\n", v);
		}
	}
}

/* ---- choosing processes ---- */

typedef struct {
	long *v;
	bool *named; /* given by PID (an absence is an error), not found by --all */
	size_t n, cap;
} pids_t;

static bool pids_add(pids_t *p, long pid, bool named)
{
	size_t i;
	for (i = 0; i < p->n; i++)
		if (p->v[i] == pid) {
			p->named[i] |= named;
			return true;
		}
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		long *v = realloc(p->v, ncap * sizeof *v);
		bool *nm;
		if (!v)
			return false;
		p->v = v;
		if (!(nm = realloc(p->named, ncap * sizeof *nm)))
			return false;
		p->named = nm;
		p->cap = ncap;
	}
	p->v[p->n] = pid;
	p->named[p->n++] = named;
	return true;
}

/* A pid: decimal, 1 to INT_MAX, or "self". */
static bool parse_pid(const char *arg, long *pid)
{
	const char *p = arg;
	uint64_t v;
	if (!strcmp(arg, "self")) {
		*pid = (long)getpid();
		return true;
	}
	if (!take_u64(&p, &v) || *p || v < 1 || v > INT_MAX)
		return false;
	*pid = (long)v;
	return true;
}

/* Whether the process in /proc/<dirfd> is called name: its comm, or the last '/'-part
 * of argv[0] (up to the first NUL of cmdline) cut at the first ": ", which is how
 * programs that rewrite their title (nginx: "nginx: worker process") begin it. */
static bool name_matches(int dirfd, const char *name)
{
	char comm[64], cmd[4096], *cut;
	const char *base;
	read_comm(dirfd, comm, sizeof comm);
	if (comm[0] && !strcmp(comm, name))
		return true;
	if (read_small(dirfd, "cmdline", cmd, sizeof cmd) <= 0)
		return false;
	if ((cut = strstr(cmd, ": ")))
		*cut = 0;
	base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
	return *base && !strcmp(base, name);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* Every process (not ourselves) called one of names, in PID order. */
static int scan_all(const char *const *names, size_t nnames, pids_t *out)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long self = (long)getpid(), *found = NULL;
	size_t nfound = 0, cap = 0, i;
	int rc = 0;
	if (!d)
		return fail("cannot read /proc: %s", strerror(errno));
	while ((e = readdir(d))) {
		long pid;
		int fd;
		size_t k;
		if (!parse_pid(e->d_name, &pid) || !strcmp(e->d_name, "self") || pid == self)
			continue;
		if ((fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue; /* gone already */
		for (k = 0; k < nnames; k++)
			if (name_matches(fd, names[k]))
				break;
		close(fd);
		if (k == nnames)
			continue;
		if (nfound == cap) {
			long *n = realloc(found, (cap = cap ? cap * 2 : 64) * sizeof *n);
			if (!n) {
				rc = fail("out of memory");
				break;
			}
			found = n;
		}
		found[nfound++] = pid;
	}
	closedir(d);
	if (!rc) {
		qsort(found, nfound, sizeof *found, cmp_long);
		for (i = 0; i < nfound && !rc; i++)
			if (!pids_add(out, found[i], false))
				rc = fail("out of memory");
	}
	free(found);
	return rc;
}

/* ---- main ---- */

enum out_form { OUT_PICTURE, OUT_TABLE, OUT_JSON_ROWS, OUT_PROMETHEUS };

/* A failed write of the output (a full disk, a closed pipe) is an error, exit 1. */
static int finish_output(int rc)
{
	if (fflush(stdout) || ferror(stdout))
		return fail("cannot write the output: %s", strerror(errno ? errno : EIO));
	return rc;
}

static int run_rows(pids_t *pids, enum out_form form)
{
	static state_t s;
	row_t *rows = calloc(pids->n ? pids->n : 1, sizeof *rows);
	size_t i, nrows = 0;
	int rc = 0;
	if (!rows)
		return fail("out of memory");
	s.dirfd = -1;
	for (i = 0; i < pids->n; i++) {
		enum rd r;
		state_free(&s);
		r = read_process(&s, pids->v[i]);
		if (r == RD_OK)
			classify(&s);
		if (r == RD_OK || r == RD_DENIED)
			row_from(&rows[nrows++], &s);
		else if (r == RD_FAILED)
			rc = 1;
		else if (pids->named[i])
			/* --all finds processes that may be gone (or be kernel threads) by the
			 * time they are read: left out silently. A PID given is an error. */
			rc = r == RD_GONE ? fail("no such process %ld", pids->v[i])
					  : fail("process %ld has no user mappings (a kernel thread)", pids->v[i]);
	}
	state_free(&s);
	if (form == OUT_TABLE)
		print_table(rows, nrows);
	else if (form == OUT_JSON_ROWS)
		print_json_rows(rows, nrows);
	else
		print_prometheus(rows, nrows);
	free(rows);
	return finish_output(rc);
}

static int run_picture(const char *file, long pid, bool json)
{
	static state_t s;
	int rc;
	s.dirfd = -1;
	if (file) {
		s.pid = -1;
		s.maps_path = file;
		s.vmsize_kb = s.vmrss_kb = -1;
		if ((rc = read_maps_file(&s)))
			return rc;
	} else {
		switch (read_process(&s, pid)) {
		case RD_OK: break;
		case RD_GONE: return fail("no such process %ld", pid);
		case RD_DENIED: return fail("cannot open /proc/%ld/maps: %s", pid, strerror(s.maps_err));
		case RD_KTHREAD: return fail("process %ld has no user mappings (a kernel thread)", pid);
		case RD_FAILED: return 1;
		}
	}
	classify(&s);
	if (json)
		print_json(&s);
	else if (ABI_IS_32(s.abi))
		print_32bit(&s);
	else
		print_text(&s);
	state_free(&s);
	return finish_output(0);
}

int main(int argc, char **argv)
{
	static pids_t pids;
	const char *file = NULL, **names = calloc((size_t)argc, sizeof *names);
	size_t nnames = 0, npids = 0;
	bool json = false, table = false, prom = false, only_args = false;
	enum out_form form;
	int i, rc;
	if (!names)
		return fail("out of memory");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		long pid;
		if (only_args || a[0] != '-' || !a[1]) {
			if (!parse_pid(a, &pid)) {
				fprintf(stderr, "ljmm-maps: not a process id: '%s'\n", a);
				return 2;
			}
			if (!pids_add(&pids, pid, true))
				return fail("out of memory");
			npids++;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--table")) {
			table = true;
		} else if (!strcmp(a, "--prometheus")) {
			prom = true;
		} else if (!strcmp(a, "--maps-file") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(a, "--all") && i + 1 < argc && argv[i + 1][0]) {
			names[nnames++] = argv[++i];
		} else if (!strncmp(a, "--all=", 6) && a[6]) {
			names[nnames++] = a + 6;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return finish_output(0);
		} else if (!strcmp(a, "--version")) {
			printf("ljmm-maps (ljmm) " LJMM_VERSION "\n");
			return finish_output(0);
		} else if (!strcmp(a, "--")) {
			only_args = true;
		} else {
			fprintf(stderr, "ljmm-maps: unknown option or missing argument '%s' (see ljmm-maps --help)\n", a);
			return 2;
		}
	}
	if (json && prom) {
		fprintf(stderr, "ljmm-maps: --json and --prometheus cannot be combined (see ljmm-maps --help)\n");
		return 2;
	}
	if (file && (pids.n || nnames || table || prom)) {
		fprintf(stderr, "ljmm-maps: --maps-file takes no PID, --all, --table or --prometheus (see ljmm-maps --help)\n");
		return 2;
	}
	if (!file && !pids.n && !nnames) {
		fprintf(stderr, "ljmm-maps: give a PID, --all NAME or --maps-file FILE (see ljmm-maps --help)\n");
		return 2;
	}
	/* Rows for several PIDs given, even the same one twice (it gets one row). */
	if (file || (npids == 1 && !nnames && !table && !prom))
		rc = run_picture(file, file ? -1 : pids.v[0], json);
	else {
		form = prom ? OUT_PROMETHEUS : json ? OUT_JSON_ROWS : OUT_TABLE;
		rc = nnames ? scan_all(names, nnames, &pids) : 0;
		if (!rc)
			rc = run_rows(&pids, form);
	}
	free(pids.v);
	free(pids.named);
	free(names);
	return rc;
}
