/* SPDX-License-Identifier: MIT */
/* The differential test of issue 17: the same sequence of mmap/munmap/mremap/mprotect/
 * madvise calls, run in fresh child processes without the library and with it (both
 * policies), with the kernel's MAP_32BIT window [1 GiB, 2 GiB) empty and full, must get
 * the same answers:
 *   - success with success, the same errno otherwise. Allowed: ENOMEM without the library,
 *     a block below 2 GiB with it, for a MAP_32BIT request (and, after the library answered
 *     a MAP_32BIT request of under 2 GiB with ENOMEM, a low hint the kernel answered above
 *     2 GiB); an in-place mremap growth across 2 GiB refused with ENOMEM (docs/design.md);
 *   - the mapping: protection, shared/private, backing file and offset, VmFlags and
 *     KernelPageSize of /proc/self/smaps, and where it is (at the hint, in the window,
 *     below 2 GiB, above), until the first allowed difference moves what follows;
 *   - nothing left behind: each call changes the size of the address space and the bytes
 *     charged to overcommit (mappings with VmFlags "ac") by the same amount, and after the
 *     sequence (every mapping it made unmapped) both are back where they started.
 * A call that uses a mapping an allowed difference made (or did not make) is not compared.
 *
 * A sequence is text, one call per ';' (the same text tests/diff/corpus/rows holds, and
 * every difference prints): see parse_op for the words. A seed makes one (seeded
 * xorshift, so the same seed is the same sequence everywhere).
 *
 *   mmdiff [--lib SO] --rows FILE        the named rows (NAME [window=W] [needs=hugetlb] : calls)
 *   mmdiff [--lib SO] --seeds FILE       one sequence per seed listed
 *   mmdiff [--lib SO] --random N [--from S] [--seconds T]   N seeds from S (the long run)
 *   mmdiff [--lib SO] --seed S | --case 'CALLS' [--window empty|full]   replay one
 *   --print-seed S                       print the sequence seed S makes
 * --exe PROG instead of --lib SO: the library's side runs PROG, this program with the link
 * form (ljmm.o) linked in (tests/link/), without LD_PRELOAD; the side without the library
 * runs this program, the same without the object. Every run says whether the shim's
 * ljmm_version is there, and a run on the wrong side of that is an error, not a pass.
 * Exit 0 when no call differed (it prints how many sequences and calls it compared), 1 on
 * a difference, 77 when nothing could run. As root it reserves huge pages for the MFD_HUGETLB
 * rows (vm.nr_hugepages, given back on exit); without them those rows are skipped. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/errname.h"
#include "../lib/testutil.h"

/* The shim's, when it is preloaded or linked in (weak: this program runs without it). */
extern const char *ljmm_version(void) __attribute__((weak));

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_ABOVE4G
#define MAP_ABOVE4G 0x80
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 4U
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

#define TWO_G ((uint64_t)1 << 31)
#define MAX_OPS 64
#define LOW_TAKEN 0x30000000UL /* a 64 KiB mapping every child makes first */
#define LOW_FREE 0x20000000UL  /* + 1 MiB per call: free in every run */
#define HIGH_HINT 0x7e0000000000UL

/* ---- the calls ------------------------------------------------------------------------ */

enum { OP_MMAP, OP_MUNMAP, OP_MREMAP, OP_MPROTECT, OP_MADVISE };
enum { B_ANON, B_MEMFD, B_HUGEMEMFD, B_FILE, B_DEVZERO, B_ROFILE, B_BADFD, B_COUNT };
static const char *const backing_names[B_COUNT] = {"anon", "memfd", "hugememfd", "file", "devzero", "rofile", "badfd"};
enum { H_NONE, H_LOWFREE, H_LOWTAKEN, H_HIGH, H_UNALIGNED, H_WINDOW, H_COUNT };
static const char *const hint_names[H_COUNT] = {"none", "lowfree", "lowtaken", "high", "unaligned", "window"};
enum { P_WHOLE, P_FIRST, P_LAST, P_MID, P_BEYOND, P_ZERO, P_UNALIGNED, P_COUNT };
static const char *const part_names[P_COUNT] = {"whole", "first", "last", "mid", "beyond", "zero", "unaligned"};
enum { R_GROW, R_GROWMOVE, R_SHRINK, R_FIXED, R_DONTUNMAP, R_COUNT };
static const char *const remap_names[R_COUNT] = {"grow", "growmove", "shrink", "fixed", "dontunmap"};

static const struct {
	const char *name;
	int value;
} flag_names[] = {
	{"SHARED_VALIDATE", MAP_SHARED_VALIDATE}, {"SHARED", MAP_SHARED}, {"PRIVATE", MAP_PRIVATE},
	{"TYPE4", 4}, {"DROPPABLE", 8}, {"FIXED_NOREPLACE", MAP_FIXED_NOREPLACE}, {"FIXED", MAP_FIXED},
	{"ANONYMOUS", MAP_ANONYMOUS}, {"32BIT", MAP_32BIT}, {"ABOVE4G", MAP_ABOVE4G}, {"NORESERVE", MAP_NORESERVE},
	{"POPULATE", MAP_POPULATE}, {"LOCKED", MAP_LOCKED}, {"NONBLOCK", MAP_NONBLOCK}, {"STACK", MAP_STACK},
	{"GROWSDOWN", MAP_GROWSDOWN}, {"HUGETLB", MAP_HUGETLB}, {"HUGE_2MB", 21 << MAP_HUGE_SHIFT},
	{"HUGE_1GB", 30 << MAP_HUGE_SHIFT}, {"SYNC", MAP_SYNC}, {"UNINITIALIZED", MAP_UNINITIALIZED},
	{"DENYWRITE", MAP_DENYWRITE}, {"EXECUTABLE", MAP_EXECUTABLE},
};
/* Bits no header defines on x86-64: the kernel ignores them, except under SHARED_VALIDATE. */
static const int unknown_bits[] = {0x200, 0x400, 0x200000, 0x800000, (int)0x80000000u};

typedef struct {
	int op;
	uint64_t len;
	int prot, flags, backing, hint, part, how, advice;
	long off;
	int slot; /* the call whose mapping it works on */
} op_t;

typedef struct {
	op_t ops[MAX_OPS];
	int n;
} seq_t;

static int parse_flags(const char *s, int *out)
{
	int f = 0;
	while (*s) {
		size_t n = strcspn(s, "|"), i;
		char *end;
		long v = strtol(s, &end, 0);
		if (end == s + n && n) {
			f |= (int)v;
		} else {
			for (i = 0; i < sizeof flag_names / sizeof *flag_names; i++)
				if (strlen(flag_names[i].name) == n && !strncmp(s, flag_names[i].name, n))
					break;
			if (i == sizeof flag_names / sizeof *flag_names)
				return -1;
			f |= flag_names[i].value;
		}
		s += n + (s[n] == '|');
	}
	*out = f;
	return 0;
}

static int parse_prot(const char *s, int *out)
{
	char *end;
	*out = 0;
	if (!strcmp(s, "none"))
		return 0;
	if (*s >= '0' && *s <= '9') {
		*out = (int)strtol(s, &end, 0);
		return *end ? -1 : 0;
	}
	for (; *s; s++) {
		if (*s == 'r')
			*out |= PROT_READ;
		else if (*s == 'w')
			*out |= PROT_WRITE;
		else if (*s == 'x')
			*out |= PROT_EXEC;
		else
			return -1;
	}
	return 0;
}

static int word_index(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* One call: "mmap len=L prot=P flags=F backing=B hint=H off=O", "munmap slot=S part=P",
 * "mremap slot=S how=H", "mprotect slot=S part=P prot=P", "madvise slot=S part=P advice=N".
 * Numbers in C syntax; prot as "rwx" letters or "none"; flags as names joined by '|'. */
static int parse_op(char *text, op_t *o)
{
	char *save = NULL, *w = strtok_r(text, " \t", &save);
	memset(o, 0, sizeof *o);
	o->prot = PROT_READ | PROT_WRITE;
	o->flags = MAP_PRIVATE;
	o->slot = -1;
	if (!w)
		return -1;
	if (!strcmp(w, "mmap"))
		o->op = OP_MMAP;
	else if (!strcmp(w, "munmap"))
		o->op = OP_MUNMAP;
	else if (!strcmp(w, "mremap"))
		o->op = OP_MREMAP;
	else if (!strcmp(w, "mprotect"))
		o->op = OP_MPROTECT;
	else if (!strcmp(w, "madvise"))
		o->op = OP_MADVISE;
	else
		return -1;
	while ((w = strtok_r(NULL, " \t", &save))) {
		char *v = strchr(w, '='), *end;
		int bad = 0;
		if (!v)
			return -1;
		*v++ = 0;
		if (!strcmp(w, "len"))
			o->len = strtoull(v, &end, 0), bad = *end != 0;
		else if (!strcmp(w, "off"))
			o->off = strtol(v, &end, 0), bad = *end != 0;
		else if (!strcmp(w, "slot"))
			o->slot = (int)strtol(v, &end, 0), bad = *end != 0;
		else if (!strcmp(w, "advice"))
			o->advice = (int)strtol(v, &end, 0), bad = *end != 0;
		else if (!strcmp(w, "prot"))
			bad = parse_prot(v, &o->prot);
		else if (!strcmp(w, "flags"))
			bad = parse_flags(v, &o->flags);
		else if (!strcmp(w, "backing"))
			bad = (o->backing = word_index(v, backing_names, B_COUNT)) < 0;
		else if (!strcmp(w, "hint"))
			bad = (o->hint = word_index(v, hint_names, H_COUNT)) < 0;
		else if (!strcmp(w, "part"))
			bad = (o->part = word_index(v, part_names, P_COUNT)) < 0;
		else if (!strcmp(w, "how"))
			bad = (o->how = word_index(v, remap_names, R_COUNT)) < 0;
		else
			return -1;
		if (bad)
			return -1;
	}
	return 0;
}

static int parse_seq(const char *text, seq_t *s)
{
	char buf[8192], *save = NULL, *call;
	if (strlen(text) >= sizeof buf)
		return -1;
	strcpy(buf, text);
	s->n = 0;
	for (call = strtok_r(buf, ";", &save); call; call = strtok_r(NULL, ";", &save)) {
		if (strspn(call, " \t\n") == strlen(call))
			continue;
		if (s->n == MAX_OPS || parse_op(call, &s->ops[s->n]) < 0)
			return -1;
		s->n++;
	}
	return s->n ? 0 : -1;
}

static void format_flags(char *out, size_t cap, int flags)
{
	size_t n = 0;
	int type = flags & 0x0f;
	out[0] = 0;
	for (size_t i = 0; i < sizeof flag_names / sizeof *flag_names; i++) {
		int v = flag_names[i].value;
		int has = v <= 0x0f ? type == v : v >= (1 << MAP_HUGE_SHIFT) && v != MAP_UNINITIALIZED
								 ? (flags & (0x3f << MAP_HUGE_SHIFT)) == v
								 : (flags & v) == v;
		if (!has)
			continue;
		n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "|" : "", flag_names[i].name);
		flags &= v <= 0x0f ? ~0x0f : ~v;
		if (v <= 0x0f)
			type = -1;
	}
	if (flags)
		snprintf(out + n, cap - n, "%s%#x", n ? "|" : "", (unsigned)flags);
	else if (!n)
		snprintf(out, cap, "0");
}

static void format_prot(char *out, int prot)
{
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) {
		sprintf(out, "%#x", (unsigned)prot);
		return;
	}
	sprintf(out, "%s%s%s", prot & PROT_READ ? "r" : "", prot & PROT_WRITE ? "w" : "", prot & PROT_EXEC ? "x" : "");
	if (!prot)
		strcpy(out, "none");
}

static void format_op(char *out, size_t cap, const op_t *o)
{
	char f[256], p[16];
	format_prot(p, o->prot);
	switch (o->op) {
	case OP_MMAP:
		format_flags(f, sizeof f, o->flags);
		snprintf(out, cap, "mmap len=%#" PRIx64 " prot=%s flags=%s backing=%s hint=%s off=%ld", o->len, p, f,
			 backing_names[o->backing], hint_names[o->hint], o->off);
		break;
	case OP_MUNMAP: snprintf(out, cap, "munmap slot=%d part=%s", o->slot, part_names[o->part]); break;
	case OP_MREMAP: snprintf(out, cap, "mremap slot=%d how=%s", o->slot, remap_names[o->how]); break;
	case OP_MPROTECT: snprintf(out, cap, "mprotect slot=%d part=%s prot=%s", o->slot, part_names[o->part], p); break;
	default: snprintf(out, cap, "madvise slot=%d part=%s advice=%d", o->slot, part_names[o->part], o->advice); break;
	}
}

/* ---- the generator -------------------------------------------------------------------- */

static uint64_t rng;
static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng * 0x2545f4914f6cdd1dull;
}
static int pick(int n) { return (int)(next() % (uint64_t)n); }
static int chance(int percent) { return pick(100) < percent; }

static void generate(uint64_t seed, seq_t *s)
{
	static const uint64_t lens[] = {0, 1, 4096, 4097, 65536 + 123, 2 << 20, (8 << 20) + 123, 600ull << 20,
					3 * G, 1ull << 47, UINT64_MAX - 4095, UINT64_MAX, 4096, 65536, 1 << 20};
	static const int protos[] = {PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE, PROT_READ | PROT_EXEC,
				     PROT_READ | PROT_WRITE | PROT_EXEC, PROT_WRITE, 0x10, PROT_GROWSDOWN | PROT_READ};
	static const int types[] = {MAP_PRIVATE, MAP_PRIVATE, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, 0, 4, 8, 0x0f};
	static const int advices[] = {MADV_DONTNEED, MADV_FREE, MADV_WIPEONFORK, MADV_DONTFORK, MADV_HUGEPAGE,
				      MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_NORMAL, 12345};
	int mmaps[MAX_OPS], nm = 0;
	rng = seed * 0x9e3779b97f4a7c15ull + 0x1234567;
	if (!rng)
		rng = 1;
	s->n = 12 + pick(12);
	for (int i = 0; i < s->n; i++) {
		op_t *o = &s->ops[i];
		memset(o, 0, sizeof *o);
		o->slot = -1;
		if (!nm || chance(55)) {
			o->op = OP_MMAP;
			o->len = lens[pick(sizeof lens / sizeof *lens)];
			o->prot = chance(85) ? protos[pick(6)] : protos[pick(sizeof protos / sizeof *protos)];
			o->backing = chance(50) ? B_ANON : pick(B_COUNT);
			o->flags = types[pick(sizeof types / sizeof *types)];
			if (o->backing == B_ANON || chance(3))
				o->flags |= MAP_ANONYMOUS;
			if (chance(60))
				o->flags |= MAP_32BIT;
			for (size_t k = 5; k < sizeof flag_names / sizeof *flag_names; k++)
				if (flag_names[k].value != MAP_32BIT && flag_names[k].value != MAP_ANONYMOUS && chance(4))
					o->flags |= flag_names[k].value;
			if (chance(5))
				o->flags |= unknown_bits[pick(sizeof unknown_bits / sizeof *unknown_bits)];
			if (o->flags & MAP_HUGETLB && chance(50))
				o->flags = (o->flags & ~(0x3f << MAP_HUGE_SHIFT)) | (pick(64) << MAP_HUGE_SHIFT);
			o->hint = chance(60) ? H_NONE : pick(H_COUNT);
			o->off = chance(85) ? 0 : (long[]){4096, 1, 16 << 20, -4096}[pick(4)];
			/* Keep the run cheap and the children whole: no populating or locking of
			 * large ranges, and MAP_FIXED only where it replaces the test's own pages. */
			if (o->len > (8 << 20) || o->len < 1)
				o->flags &= ~(MAP_POPULATE | MAP_LOCKED);
			if ((o->flags & MAP_FIXED) && (o->len > (8 << 20) || o->hint == H_NONE))
				o->flags &= ~MAP_FIXED;
			mmaps[nm++] = i;
		} else {
			o->slot = mmaps[pick(nm)];
			o->op = OP_MUNMAP + pick(4);
			/* Not P_BEYOND: past a block lie its neighbours, which the library's own
			 * mappings and its placement make differ (rows may still use it). */
			o->part = chance(60) ? P_WHOLE : (int[]){P_FIRST, P_LAST, P_MID, P_ZERO, P_UNALIGNED}[pick(5)];
			o->how = pick(R_COUNT);
			o->prot = protos[pick(chance(90) ? 6 : 8)];
			o->advice = advices[pick(sizeof advices / sizeof *advices)];
		}
	}
}

/* ---- the child: run a sequence, print what happened -------------------------------------- */

typedef struct {
	uintptr_t s, e, off;
	char perm[8], name[128], vmflags[128];
	unsigned kps;
	int ac;
} vma_t;

static vma_t vmas[8192];
static int nvmas;
static char smaps_buf[4 << 20];

static void read_smaps(void)
{
	int fd = open("/proc/self/smaps", O_RDONLY);
	size_t n = 0;
	ssize_t r;
	char *line, *save = NULL;
	nvmas = 0;
	if (fd < 0)
		return;
	while ((r = read(fd, smaps_buf + n, sizeof smaps_buf - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	smaps_buf[n] = 0;
	for (line = strtok_r(smaps_buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long s, e, off;
		char perm[8];
		int pos = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s%n", &s, &e, perm, &off, &pos) == 4 && nvmas < 8192) {
			vma_t *v = &vmas[nvmas++];
			memset(v, 0, sizeof *v);
			v->s = s, v->e = e, v->off = off;
			strcpy(v->perm, perm);
			while (line[pos] == ' ')
				pos++;
			snprintf(v->name, sizeof v->name, "%s", line + pos);
		} else if (nvmas && !strncmp(line, "KernelPageSize:", 15)) {
			vmas[nvmas - 1].kps = (unsigned)strtoul(line + 15, NULL, 10);
		} else if (nvmas && !strncmp(line, "VmFlags:", 8)) {
			snprintf(vmas[nvmas - 1].vmflags, sizeof vmas[0].vmflags, "%s", line + 9);
			vmas[nvmas - 1].ac = strstr(line, " ac") != NULL;
		}
	}
}

static void totals(uint64_t *size, uint64_t *acct)
{
	*size = *acct = 0;
	for (int i = 0; i < nvmas; i++) {
		*size += vmas[i].e - vmas[i].s;
		if (vmas[i].ac)
			*acct += vmas[i].e - vmas[i].s;
	}
}

/* Where an answer lies: at the hint, in the window, below 2 GiB, or above. */
static char where(uintptr_t r, uintptr_t hint)
{
	return hint && r == hint ? 'H' : r >= G && r < TWO_G ? 'W' : r < TWO_G ? 'L' : 'X';
}

/* The mappings covering [a, a + len) (at most 4), as smaps describes them; file offsets
 * relative to off, the backing by its name. */
static void describe(char *out, size_t cap, uintptr_t a, uint64_t len, long off)
{
	size_t n = 0;
	int k = 0;
	uint64_t end = a + ((len + PAGE - 1) & ~(PAGE - 1));
	out[0] = 0;
	for (int i = 0; i < nvmas && k < 4; i++) {
		const vma_t *v = &vmas[i];
		if (v->e <= a || v->s >= end)
			continue;
		uintptr_t at = v->s > a ? v->s : a;
		/* A private /dev/zero mapping is anonymous memory: its offset is its address. */
		int anon = !v->name[0] || (v->perm[3] == 'p' && !strncmp(v->name, "/dev/zero", 9));
		n += (size_t)snprintf(out + n, cap - n, "%s[%s off=%ld %s kps=%u vmf=%s]", k ? "," : "", v->perm,
				      anon ? 0 : (long)(v->off + (at - v->s)) - off - (long)(at - a),
				      v->name[0] ? v->name : "-", v->kps, v->vmflags);
		k++;
	}
	if (!k)
		snprintf(out, cap, "[unmapped]");
}

typedef struct {
	uintptr_t a;
	uint64_t len;
	long off;
	int live;
} slot_t;

static long raw_mmap(uintptr_t a, uint64_t len, int prot, int flags, int fd, long off)
{
	return syscall(SYS_mmap, a, len, prot, flags, fd, off);
}

/* Fill every free page of [1 GiB, 2 GiB) (no MAP_32BIT request can then be served there) by
 * raw system calls, which the library does not see. */
static void fill_window(void)
{
	uintptr_t p = G;
	read_smaps();
	for (int i = 0; i <= nvmas && p < TWO_G; i++) {
		uintptr_t s = i < nvmas ? vmas[i].s : TWO_G, e = i < nvmas ? vmas[i].e : TWO_G;
		if (e <= p)
			continue;
		if (s > p) {
			uintptr_t stop = s < TWO_G ? s : TWO_G;
			if (raw_mmap(p, stop - p, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
				     -1, 0) == -1) {
				fprintf(stderr, "mmdiff: cannot fill [%#lx, %#lx): %s\n", (unsigned long)p, (unsigned long)stop,
					strerror(errno));
				exit(2);
			}
		}
		p = e;
	}
}

static int backing_fd[B_COUNT];

static void open_backings(const char *file)
{
	backing_fd[B_ANON] = -1;
	backing_fd[B_MEMFD] = memfd_create("mmdiff-memfd", 0);
	backing_fd[B_HUGEMEMFD] = memfd_create("mmdiff-huge", MFD_HUGETLB);
	backing_fd[B_FILE] = open(file, O_RDWR);
	backing_fd[B_DEVZERO] = open("/dev/zero", O_RDWR);
	backing_fd[B_ROFILE] = open(file, O_RDONLY);
	backing_fd[B_BADFD] = 987;
	if (backing_fd[B_MEMFD] < 0 || ftruncate(backing_fd[B_MEMFD], 16 << 20) < 0 || backing_fd[B_FILE] < 0 ||
	    backing_fd[B_DEVZERO] < 0 || backing_fd[B_ROFILE] < 0) {
		fprintf(stderr, "mmdiff: cannot open the backings: %s\n", strerror(errno));
		exit(2);
	}
	if (backing_fd[B_HUGEMEMFD] >= 0 && ftruncate(backing_fd[B_HUGEMEMFD], 4 << 20) < 0) {
		close(backing_fd[B_HUGEMEMFD]);
		backing_fd[B_HUGEMEMFD] = -1;
	}
}

static uintptr_t hint_addr(int hint, int i)
{
	switch (hint) {
	case H_LOWFREE: return LOW_FREE + (uintptr_t)i * (1 << 20);
	case H_LOWTAKEN: return LOW_TAKEN;
	case H_HIGH: return HIGH_HINT + (uintptr_t)i * (1 << 24);
	case H_UNALIGNED: return LOW_FREE + (uintptr_t)i * (1 << 20) + 123;
	case H_WINDOW: return G + (512 << 20);
	default: return 0;
	}
}

static void part_range(const slot_t *sl, int part, uintptr_t *a, uint64_t *len)
{
	uint64_t l = (sl->len + PAGE - 1) & ~(PAGE - 1);
	*a = sl->a, *len = l;
	switch (part) {
	case P_FIRST: *len = PAGE; break;
	case P_LAST: *a = sl->a + l - PAGE, *len = PAGE; break;
	case P_MID: *a = sl->a + (l / 2 & ~(PAGE - 1)), *len = PAGE; break;
	case P_BEYOND: *len = l + (64 << 10); break;
	case P_ZERO: *len = 0; break;
	case P_UNALIGNED: *a = sl->a + 1; break;
	default: break;
	}
}

static int child(const char *text, int full, const char *file)
{
	static char out[1 << 20];
	static slot_t slots[MAX_OPS];
	seq_t s;
	uint64_t size0, acct0, size1, acct1;
	int n0;
	setvbuf(stdout, out, _IOFBF, sizeof out);
	if (parse_seq(text, &s) < 0) {
		fprintf(stderr, "mmdiff: cannot parse '%s'\n", text);
		return 2;
	}
	open_backings(file);
	if (raw_mmap(LOW_TAKEN, 64 << 10, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == -1)
		return 2;
	if (full)
		fill_window();
	printf("hugetlb %d\n", backing_fd[B_HUGEMEMFD] >= 0);
	printf("shim %d\n", ljmm_version != NULL);
	read_smaps();
	totals(&size0, &acct0);
	n0 = nvmas;
	for (int i = 0; i < s.n; i++) {
		const op_t *o = &s.ops[i];
		char desc[1024] = "", x2g = '-';
		uintptr_t a = 0;
		uint64_t len = 0;
		long r = 0;
		int e = 0;
		slot_t *sl = o->slot >= 0 && o->slot < MAX_OPS ? &slots[o->slot] : NULL;
		uint64_t before, acct_before;
		read_smaps();
		totals(&before, &acct_before);
		if (o->op != OP_MMAP && (!sl || !sl->live)) {
			printf("%d noslot\n", i);
			continue;
		}
		errno = 0;
		switch (o->op) {
		case OP_MMAP: {
			void *p = mmap((void *)hint_addr(o->hint, i), (size_t)o->len, o->prot, o->flags, backing_fd[o->backing],
				       o->off);
			e = p == MAP_FAILED ? errno : 0;
			r = (long)p;
			if (!e) {
				slots[i] = (slot_t){(uintptr_t)p, o->len, o->off, 1};
				a = (uintptr_t)p;
				len = o->len;
			}
			break;
		}
		case OP_MUNMAP:
			part_range(sl, o->part, &a, &len);
			e = munmap((void *)a, (size_t)len) ? errno : 0;
			if (!e && o->part == P_WHOLE)
				sl->live = 0;
			len = 0;
			break;
		case OP_MREMAP: {
			uint64_t l = (sl->len + PAGE - 1) & ~(PAGE - 1), nl = l;
			int fl = 0;
			void *na = NULL, *p;
			switch (o->how) {
			case R_GROW: nl = 2 * l; break;
			case R_GROWMOVE: nl = 2 * l, fl = MREMAP_MAYMOVE; break;
			case R_SHRINK: nl = l > PAGE ? (l / 2 + PAGE - 1) & ~(PAGE - 1) : l; break;
			case R_FIXED: fl = MREMAP_MAYMOVE | MREMAP_FIXED, na = (void *)(LOW_FREE + (uintptr_t)i * (1 << 20)); break;
			default: fl = MREMAP_MAYMOVE | MREMAP_DONTUNMAP; break;
			}
			p = mremap((void *)sl->a, (size_t)l, (size_t)nl, fl, na);
			e = p == MAP_FAILED ? errno : 0;
			r = (long)p;
			if (!e) {
				if (o->how == R_DONTUNMAP)
					slots[i] = (slot_t){(uintptr_t)p, nl, sl->off, 1}; /* the old range stays */
				else
					sl->a = (uintptr_t)p, sl->len = nl;
				a = (uintptr_t)p, len = nl;
			} else if (e == ENOMEM && !fl && sl->a < TWO_G && sl->a + nl > TWO_G) {
				x2g = 'y'; /* the documented refusal of growth across 2 GiB */
			}
			break;
		}
		case OP_MPROTECT:
			part_range(sl, o->part, &a, &len);
			e = mprotect((void *)a, (size_t)len, o->prot) ? errno : 0;
			a = sl->a, len = sl->len;
			break;
		default:
			part_range(sl, o->part, &a, &len);
			e = madvise((void *)a, (size_t)len, o->advice) ? errno : 0;
			a = sl->a, len = sl->len;
			break;
		}
		read_smaps();
		totals(&size1, &acct1);
		if (len)
			describe(desc, sizeof desc, a, len, (o->op == OP_MMAP || !sl) ? o->off : sl->off);
		printf("%d res=%s at=%c x2g=%c dv=%" PRId64 " da=%" PRId64 " map=%s\n", i, e ? errname(e) : "ok",
		       (o->op == OP_MMAP || o->op == OP_MREMAP) && !e ? where((uintptr_t)r, hint_addr(o->hint, i)) : '-',
		       x2g, (int64_t)(size1 - before), (int64_t)(acct1 - acct_before), desc);
	}
	for (int i = MAX_OPS - 1; i >= 0; i--)
		if (slots[i].live && munmap((void *)slots[i].a, (size_t)((slots[i].len + PAGE - 1) & ~(PAGE - 1))) != 0)
			munmap((void *)slots[i].a, (size_t)((slots[i].len + (2 << 20) - 1) & ~((2UL << 20) - 1))); /* hugetlb */
	read_smaps();
	totals(&size1, &acct1);
	printf("end dv=%" PRId64 " da=%" PRId64 " dn=%d\n", (int64_t)(size1 - size0), (int64_t)(acct1 - acct0), nvmas - n0);
	fflush(stdout);
	return 0;
}

/* ---- the driver ----------------------------------------------------------------------- */


extern char **environ;
static const char *lib, *linked_exe, *self, *backing_file;
static unsigned sequences, ncalls, ndiffs, nskipped;
static long huge_before = -1;

static void give_back_huge_pages(void)
{
	FILE *f;
	if (huge_before < 0 || !(f = fopen("/proc/sys/vm/nr_hugepages", "w")))
		return;
	fprintf(f, "%ld\n", huge_before);
	fclose(f);
	huge_before = -1;
}

static void on_signal(int sig)
{
	give_back_huge_pages();
	if (backing_file)
		unlink(backing_file);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reserve 4 huge pages more than the system has (root only), given back at exit. */
static void reserve_huge_pages(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");
	long now;
	if (!f)
		return;
	if (fscanf(f, "%ld", &now) == 1) {
		huge_before = now;
		rewind(f);
		if (fprintf(f, "%ld\n", now + 4) < 0 || fflush(f) != 0)
			huge_before = -1;
	}
	fclose(f);
}

/* Run the sequence in a fresh process: without the library (policy NULL) or with it. */
static int run(const char *text, int full, const char *policy, char *out, size_t cap)
{
	int fds[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		char *env[256], pre[4200], pol[64];
		size_t k = 0;
		const char *exe = policy && linked_exe ? linked_exe : self;
		char *argv[] = {(char *)exe, "--child", full ? "1" : "0", (char *)backing_file, (char *)text, NULL};
		for (char **e = environ; *e && k < 250; e++)
			if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "LJMM_", 5))
				env[k++] = *e;
		if (policy) {
			snprintf(pre, sizeof pre, "LD_PRELOAD=%s", lib);
			snprintf(pol, sizeof pol, "LJMM_POLICY=%s", policy);
			if (!linked_exe)
				env[k++] = pre;
			env[k++] = pol;
		}
		env[k++] = "LJMM_WARN=off";
		env[k] = NULL;
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		/* The same layout in every run, so that only the library makes a difference. */
		personality(ADDR_NO_RANDOMIZE);
		execve(exe, argv, env);
		_exit(127);
	}
	close(fds[1]);
	while ((r = read(fds[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "mmdiff: the %s run (%s) ended with status %#x: %s\n", policy ? policy : "kernel",
			full ? "window full" : "window empty", status, text);
		return -1;
	}
	/* A preload the dynamic linker could not load (it only warns), or an --exe without the
	 * object, would otherwise compare the kernel with itself and pass. */
	if (!strstr(out, policy ? "\nshim 1\n" : "\nshim 0\n")) {
		fprintf(stderr, "mmdiff: the %s run has %s: %s\n", policy ? policy : "kernel",
			policy ? "no shim (no ljmm_version)" : "the shim, and should not", text);
		return -1;
	}
	return 0;
}

static const char *line_of(const char *t, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = t; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n))
			return p + n;
	return NULL;
}

static void field(const char *line, const char *name, char *out, size_t cap)
{
	const char *p = line ? strstr(line, name) : NULL;
	size_t n;
	out[0] = 0;
	if (!p)
		return;
	p += strlen(name);
	n = strcspn(p, p[-1] == '=' && !strcmp(name, "map=") ? "\n" : " \n");
	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

static void strip_word(char *s, const char *w)
{
	size_t n = strlen(w);
	for (char *p = s; (p = strstr(p, w));) {
		if ((p == s || p[-1] == ' ' || p[-1] == '=') && (p[n] == ' ' || p[n] == ']' || !p[n]))
			memmove(p, p + n + (p[n] == ' '), strlen(p + n + (p[n] == ' ')) + 1);
		else
			p += n;
	}
}

static int below_2g_address(const op_t *o)
{
	/* MAP_FIXED* without a hint names address 0, and a range from there. */
	return (o->op == OP_MMAP && o->hint != H_HIGH &&
		(o->hint != H_NONE || (o->flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)))) ||
	       (o->op == OP_MREMAP && o->how == R_FIXED);
}

/* Compare the transcripts of one sequence; print each difference. */
static int compare(const seq_t *s, const char *base, const char *test, const char *label, const char *policy, int full)
{
	int diverged[MAX_OPS] = {0}, relocated[MAX_OPS] = {0}, moved = 0, smeared = 0, failed32 = 0, bad = 0;
	for (int i = 0; i <= s->n; i++) {
		const op_t *o = &s->ops[i < s->n ? i : 0];
		char key[16], br[32], tr[32], ba[4], ta[4], bx[4], bdv[32], tdv[32], bda[32], tda[32], bm[1024], tm[1024], text[512];
		const char *bl, *tl;
		int is32 = i < s->n && o->op == OP_MMAP && (o->flags & MAP_32BIT) && !(o->flags & (MAP_FIXED | MAP_FIXED_NOREPLACE));
		snprintf(key, sizeof key, i < s->n ? "%d " : "end ", i);
		bl = line_of(base, key), tl = line_of(test, key);
		if (i < s->n && o->slot >= 0 && diverged[o->slot]) {
			diverged[i] = 1;
			continue;
		}
		if (i < s->n && moved && below_2g_address(o)) {
			diverged[i] = 1;
			continue;
		}
		field(bl, "res=", br, sizeof br), field(tl, "res=", tr, sizeof tr);
		field(bl, "at=", ba, sizeof ba), field(tl, "at=", ta, sizeof ta);
		field(bl, "x2g=", bx, sizeof bx);
		field(bl, "dv=", bdv, sizeof bdv), field(tl, "dv=", tdv, sizeof tdv);
		field(bl, "da=", bda, sizeof bda), field(tl, "da=", tda, sizeof tda);
		field(bl, "map=", bm, sizeof bm), field(tl, "map=", tm, sizeof tm);
		if (i < s->n)
			ncalls++;
		if (is32 && !strcmp(tr, "ENOMEM") && o->len < TWO_G && o->len)
			failed32 = 1;
		/* Linux 6.x drops VM_ACCOUNT when mprotect makes an anonymous mapping without an
		 * anon_vma read-only, and whether it has one depends on the neighbours it merged
		 * with, which the library's own mappings change: mprotect's "ac" and charge are
		 * not compared (an mmap's are). */
		if (i < s->n && o->op == OP_MPROTECT) {
			strip_word(bm, "ac"), strip_word(tm, "ac");
			bda[0] = tda[0] = 0;
			if (bl && tl && !strcmp(br, tr) && !strcmp(bdv, tdv) && !strcmp(bm, tm))
				continue;
		}
		/* Once a block lies elsewhere (or did not grow across 2 GiB), the kernel's window
		 * holds other blocks than without the library: whether a later MAP_32BIT request
		 * meets a full window (ENOMEM) differs too. */
		if (moved && is32 && (!strcmp(br, "ENOMEM") || !strcmp(tr, "ENOMEM"))) {
			diverged[i] = 1;
			continue;
		}
		/* Region-first serves MAP_32BIT from the region, wherever the kernel would have. */
		if (is32 && !strcmp(tr, "ok") && !strcmp(policy, "region-first"))
			relocated[i] = moved = 1;
		if (bl && tl && strcspn(bl, "\n") == strcspn(tl, "\n") && !strncmp(bl, tl, strcspn(bl, "\n")))
			continue;
		if (i < s->n && !strcmp(br, "ENOMEM") && !strcmp(tr, "ok") && is32 && strchr("LWH", ta[0]) &&
		    (ta[0] != 'H' || hint_addr(o->hint, i) < TWO_G)) {
			diverged[i] = moved = 1; /* the library's one promise: low memory the kernel had none of */
			continue;
		}
		if (is32 && !strcmp(br, "ok") && !strcmp(tr, "ok") && strchr("LWH", ba[0]) && strchr("LWH", ta[0]) &&
		    !strcmp(bm, tm) && !strcmp(bdv, tdv) && !strcmp(bda, tda)) {
			/* Below 2 GiB is the promise, not where: region-first serves from the region. */
			relocated[i] = ba[0] != ta[0] || !strcmp(policy, "region-first");
			moved |= relocated[i];
			continue;
		}
		/* Growing in place, or moving with MREMAP_DONTUNMAP (Linux 6.18 refuses a 600 MiB
		 * block below 1 GiB with EINVAL, and takes it at 1 GiB), depends on where the block
		 * is and what lies next to it: a block the library put elsewhere may differ. */
		/* Past the end of a block the library put elsewhere lie other neighbours (the
		 * region packs its blocks): an madvise there may advise them, a munmap unmap them. */
		if (i < s->n && o->slot >= 0 && relocated[o->slot] && o->part == P_BEYOND && o->op != OP_MREMAP) {
			smeared = 1;
			continue;
		}
		/* The range of an older block may since hold others (a hole punched in it and
		 * filled): once the library placed a block elsewhere, only the answer and the
		 * sizes of an mprotect or madvise are compared, not what the range holds. */
		if (i < s->n && o->slot >= 0 && (o->op == OP_MPROTECT || o->op == OP_MADVISE) &&
		    (moved || (relocated[o->slot] && smeared)) && !strcmp(br, tr) && !strcmp(bdv, tdv) && !strcmp(bda, tda))
			continue;
		/* ...and when it does (a hole in it filled by a block placed elsewhere), the answer
		 * for the range differs too (ENOMEM for a hole): that block is not compared again. */
		if (i < s->n && o->slot >= 0 && o->op != OP_MMAP && moved && strcmp(bm, tm)) {
			diverged[o->slot] = diverged[i] = 1;
			continue;
		}
		if (i < s->n && o->op == OP_MREMAP && relocated[o->slot]) {
			diverged[o->slot] = diverged[i] = 1;
			continue;
		}
		if (i < s->n && o->op == OP_MREMAP && !strcmp(br, "ok") && !strcmp(tr, "ENOMEM") && o->how == R_GROW &&
		    line_of(test, key) && strstr(tl, "x2g=y")) {
			diverged[o->slot] = diverged[i] = moved = 1; /* documented: no in-place growth across 2 GiB */
			continue;
		}
		if (i < s->n && o->op == OP_MMAP && failed32 && !is32 && !(o->flags & (MAP_32BIT | MAP_ABOVE4G)) &&
		    hint_addr(o->hint, i) && hint_addr(o->hint, i) < TWO_G && !strcmp(br, "ok") && !strcmp(tr, "ok") &&
		    ba[0] == 'X' && ta[0] == 'L' && !strcmp(bm, tm) && !strcmp(bdv, tdv) && !strcmp(bda, tda)) {
			moved = relocated[i] = 1; /* after a MAP_32BIT failure: the hint the kernel missed, served low */
			continue;
		}
		if (moved && bl && tl && !strcmp(br, tr) && !strcmp(bdv, tdv) && !strcmp(bda, tda) && !strcmp(bm, tm) &&
		    (i == s->n || !strcmp(bx, "-") || 1))
			continue; /* where it lies may differ once an allowed difference moved things */
		if (i == s->n && moved && bl && tl && !strcmp(bdv, tdv) && !strcmp(bda, tda))
			continue;
		if (i < s->n)
			format_op(text, sizeof text, o);
		else
			snprintf(text, sizeof text, "(after the sequence, everything unmapped)");
		printf("DIFF %s window=%s policy=%s call %d: %s\n  without: %.*s\n  with:    %.*s\n", label,
		       full ? "full" : "empty", policy, i, text, bl ? (int)strcspn(bl, "\n") : 6, bl ? bl : "(none)",
		       tl ? (int)strcspn(tl, "\n") : 6, tl ? tl : "(none)");
		bad = 1;
	}
	return bad;
}

static char base_out[1 << 20], test_out[1 << 20];

/* Run one sequence in the windows asked for (1 empty, 2 full, 3 both); 0 when equal. */
static int check(const char *text, const char *label, int windows, int needs_huge)
{
	static const char *const policies[] = {"kernel-first", "region-first"};
	seq_t s;
	int bad = 0;
	if (parse_seq(text, &s) < 0) {
		fprintf(stderr, "mmdiff: %s: cannot parse '%s'\n", label, text);
		return -1;
	}
	for (int full = 0; full < 2; full++) {
		if (!(windows & (1 << full)))
			continue;
		if (run(text, full, NULL, base_out, sizeof base_out) < 0)
			return -1;
		if (needs_huge && !strstr(base_out, "hugetlb 1")) {
			printf("SKIP %s: no huge pages to be had (vm.nr_hugepages, root)\n", label);
			nskipped++;
			return 0;
		}
		for (int p = 0; p < 2; p++) {
			if (run(text, full, policies[p], test_out, sizeof test_out) < 0)
				return -1;
			bad |= compare(&s, base_out, test_out, label, policies[p], full);
		}
	}
	sequences++;
	if (bad) {
		ndiffs++;
		printf("  the sequence: %s\n", text);
		if (getenv("MMDIFF_VERBOSE")) /* the last pair compared */
			printf("  without the library:\n%s  with it:\n%s", base_out, test_out);
	}
	return bad;
}

static void seq_text(const seq_t *s, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (int i = 0; i < s->n && n < cap; i++) {
		char t[512];
		format_op(t, sizeof t, &s->ops[i]);
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "; " : "", t);
	}
}

static int check_seed(uint64_t seed, int windows)
{
	char text[8192], label[64];
	seq_t s;
	generate(seed, &s);
	seq_text(&s, text, sizeof text);
	snprintf(label, sizeof label, "seed=%" PRIu64, seed);
	return check(text, label, windows, 0);
}

static int check_rows(const char *path, int windows)
{
	char line[8192];
	FILE *f = fopen(path, "r");
	int bad = 0;
	if (!f) {
		fprintf(stderr, "mmdiff: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *colon = strstr(line, " : "), name[128], *w, *save = NULL;
		int win = windows, huge = 0, r;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (!colon) {
			fprintf(stderr, "mmdiff: %s: no ' : ' in '%s'\n", path, line);
			fclose(f);
			return -1;
		}
		*colon = 0;
		line[strcspn(line, "\n")] = 0;
		colon[3 + strcspn(colon + 3, "\n")] = 0;
		w = strtok_r(line, " ", &save);
		snprintf(name, sizeof name, "row=%s", w ? w : "?");
		while ((w = strtok_r(NULL, " ", &save))) {
			if (!strcmp(w, "window=empty"))
				win &= 1;
			else if (!strcmp(w, "window=full"))
				win &= 2;
			else if (!strcmp(w, "needs=hugetlb"))
				huge = 1;
		}
		r = check(colon + 3, name, win, huge);
		if (r < 0) {
			fclose(f);
			return -1;
		}
		bad |= r;
	}
	fclose(f);
	return bad;
}

int main(int argc, char **argv)
{
	char file[] = "/tmp/mmdiff-XXXXXX";
	const char *rows = NULL, *seeds = NULL, *one_case = NULL;
	uint64_t from = 1, count = 0, one_seed = 0;
	int have_seed = 0, windows = 3, bad = 0, fd;
	double seconds = 0;
	struct timespec t0, t1;
	if (argc == 5 && !strcmp(argv[1], "--child"))
		return child(argv[4], atoi(argv[2]), argv[3]);
	self = "/proc/self/exe";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--print-seed") && v) {
			char text[8192];
			seq_t s;
			generate(strtoull(v, NULL, 0), &s);
			seq_text(&s, text, sizeof text);
			puts(text);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "mmdiff: %s needs a value (see the opening comment of tests/diff/mmdiff.c)\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--lib"))
			lib = v;
		else if (!strcmp(a, "--exe"))
			linked_exe = v;
		else if (!strcmp(a, "--rows"))
			rows = v;
		else if (!strcmp(a, "--seeds"))
			seeds = v;
		else if (!strcmp(a, "--random"))
			count = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--from"))
			from = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--seconds"))
			seconds = atof(v);
		else if (!strcmp(a, "--seed"))
			one_seed = strtoull(v, NULL, 0), have_seed = 1;
		else if (!strcmp(a, "--case"))
			one_case = v;
		else if (!strcmp(a, "--window"))
			windows = !strcmp(v, "empty") ? 1 : !strcmp(v, "full") ? 2 : 3;
		else {
			fprintf(stderr, "mmdiff: unknown option %s (see the opening comment of tests/diff/mmdiff.c)\n", a);
			return 2;
		}
	}
	if (linked_exe ? access(linked_exe, X_OK) != 0 : !lib || access(lib, R_OK) != 0) {
		fprintf(stderr, "mmdiff: %s\n", linked_exe ? "--exe: the program with the shim linked in is missing"
							 : "--lib: the library to preload is missing");
		return 2;
	}
	fd = mkstemp(file);
	if (fd < 0 || ftruncate(fd, 16 << 20) < 0) {
		fprintf(stderr, "mmdiff: cannot make the backing file: %s\n", strerror(errno));
		return 2;
	}
	close(fd);
	backing_file = file;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	reserve_huge_pages();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (rows)
		bad |= check_rows(rows, windows) != 0;
	if (seeds) {
		char line[256];
		FILE *f = fopen(seeds, "r");
		if (!f) {
			fprintf(stderr, "mmdiff: %s: %s\n", seeds, strerror(errno));
			bad = 1;
		}
		while (f && fgets(line, sizeof line, f))
			if (line[0] >= '0' && line[0] <= '9')
				bad |= check_seed(strtoull(line, NULL, 0), windows) != 0;
		if (f)
			fclose(f);
	}
	if (have_seed)
		bad |= check_seed(one_seed, windows) != 0;
	if (one_case)
		bad |= check(one_case, "case", windows, 0) != 0;
	for (uint64_t k = 0; k < count; k++) {
		bad |= check_seed(from + k, windows) != 0;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (seconds > 0 && (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 > seconds)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	give_back_huge_pages();
	unlink(file);
	printf("mmdiff: compared %u sequences (%u calls, each without the library and %s under both policies), "
	       "%u with differences, %u skipped, in %.1f s\n",
	       sequences, ncalls, linked_exe ? "with it linked in" : "with it preloaded", ndiffs, nskipped, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (!sequences && !bad)
		return 77;
	return bad ? 1 : 0;
}
