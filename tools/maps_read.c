/* SPDX-License-Identifier: MIT */
/* ljmm-maps: reading a process's maps text, every line of it untrusted (a maps file
 * given with --maps-file can hold anything), checked field by field; a malformed line
 * is reported, never guessed at. Also the mappings of files named like the library,
 * and of the program when a shim may be linked into it, from which the objects
 * examined for a probe are chosen. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "maps.h"


/* One line on stderr, exit status 1. */
int ljmm_fail(const char *fmt, ...)
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
const char *ljmm_errno_name(int e)
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
bool ljmm_read_u64(const char **pp, uint64_t *out)
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
const char *ljmm_read_line(const char *line, mapping_t *m, bool *writable, const char **pathp,
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
	if (!ljmm_read_u64(&p, &id->inode))
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
	if (x->prog != y->prog)
		return x->prog ? -1 : 1;
	if (x->exec != y->exec)
		return x->exec ? -1 : 1;
	return x->c.start < y->c.start ? -1 : x->c.start > y->c.start;
}

/* The objects to look into for a probe: one per file (device and inode: the loader
 * maps a file once) that has a mapping at file offset 0, its lowest such, at most
 * LJMM_PROCMEM_CANDIDATES. A process that maps such a file thousands of times costs no
 * more reads than one that maps it once. The program comes first (when it is looked
 * into at all: prog_look); past the cap, files the process executes come first (a
 * loaded library has its text mapped r-xp; a data file named like it rarely does), then
 * in address order. */
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
		bool exec = false, off0 = false, prog = false;
		for (j = i; j < s->nlibmaps && same_file(&s->libmaps[i].c, &s->libmaps[j].c); j++) {
			exec |= s->libmaps[j].exec;
			prog |= s->libmaps[j].prog;
			if (s->libmaps[j].off0 && !off0) {
				first[n] = s->libmaps[j];
				off0 = true;
			}
		}
		if (off0) {
			first[n].prog = prog;
			first[n++].exec = exec;
		}
	}
	qsort(first, n, sizeof *first, cand_cmp);
	s->ncand = n < LJMM_PROCMEM_CANDIDATES ? n : LJMM_PROCMEM_CANDIDATES;
	s->cand_over = n - s->ncand;
	for (k = 0; k < s->ncand; k++) {
		s->cand[k] = first[k].c;
		s->cand_prog[k] = first[k].prog;
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
int ljmm_read_maps(state_t *s, FILE *f)
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
		bool writable = false, prog;
		ljmm_procmem_cand_t id;
		void *v;
		char ex[64];
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = 0;
		if (strlen(line) != (size_t)len)
			why = "NUL byte in the line";
		else if (!(why = ljmm_read_line(line, &m, &writable, &path, &id)) && s->nmaps && m.start < prev_end)
			why = "mapping out of order or overlapping the one before";
		if (why) {
			excerpt(line, (size_t)len, ex, sizeof ex);
			rc = ljmm_fail("%s:%zu: malformed maps line (%s): '%s'", s->maps_path, lineno, why, ex);
			break;
		}
		s->nmaps++;
		prev_end = m.end;
		s->top_end = m.end;
		/* The program's own file: the mapping its program headers are in (AT_PHDR),
		 * and the later mappings of that file (the loader and the kernel map an ELF
		 * object's segments upwards from its first). */
		if (s->prog_look && !s->have_prog_id && !m.anon && id.inode && m.start <= s->prog_phdr &&
		    s->prog_phdr < m.end) {
			s->prog_id = id;
			s->have_prog_id = true;
		}
		prog = s->have_prog_id && !m.anon && id.inode && same_file(&id, &s->prog_id);
		if (prog || is_ljmm_path(path)) {
			s->ljmm |= !prog;
			if (!(v = grow(s->libmaps, &s->caplibmaps, s->nlibmaps, sizeof *s->libmaps, 16))) {
				rc = ljmm_fail("out of memory");
				break;
			}
			s->libmaps = v;
			s->libmaps[s->nlibmaps].c = id;
			s->libmaps[s->nlibmaps].c.start = m.start;
			s->libmaps[s->nlibmaps].c.end = m.end;
			s->libmaps[s->nlibmaps].off0 = !id.start;
			s->libmaps[s->nlibmaps].prog = prog;
			s->libmaps[s->nlibmaps++].exec = m.exec;
		}
		if (writable && !ljmm_procmem_ranges_add(&s->writable, m.start, m.end)) {
			rc = ljmm_fail("out of memory");
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
			rc = ljmm_fail("out of memory");
			break;
		}
		s->low = v;
		s->low[s->nlow++] = m;
		errno = 0;
	}
	if (!rc && !select_candidates(s))
		rc = ljmm_fail("out of memory");
	if (!rc && ferror(f))
		rc = s->pid >= 0 && errno == ESRCH ? -1 : ljmm_fail("cannot read %s: %s", s->maps_path, strerror(errno));
	free(line);
	return rc;
}

int ljmm_read_maps_file(state_t *s)
{
	FILE *f = fopen(s->maps_path, "r");
	int rc;
	if (!f)
		return ljmm_fail("cannot open %s: %s", s->maps_path, strerror(errno));
	rc = ljmm_read_maps(s, f);
	fclose(f);
	if (!rc && !s->nmaps)
		rc = ljmm_fail("%s: no mappings in the file", s->maps_path);
	return rc;
}
