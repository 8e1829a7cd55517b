/* SPDX-License-Identifier: MIT */
/* ljmm-maps: a live process, read through one descriptor of its /proc directory (its
 * command name, stat, status, program (its file and AT_PHDR) and maps; the counters
 * through maps_counters.c),
 * with its start time compared before and after, so that a process that exits while
 * it is read is reported as gone; and the processes --all NAME chooses. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"

const char *const ljmm_abi_name[] = {"unknown", "x86_64", "i386", "x32", "32-bit", "other"};

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

bool ljmm_proc_parse_stat(const char *buf, procstat_t *st)
{
	uint64_t v;
	const char *p;
	int field;
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
		if (!ljmm_read_u64(&p, &v))
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

static bool read_procstat(int dirfd, procstat_t *st)
{
	char buf[4096];
	if (read_small(dirfd, "stat", buf, sizeof buf) <= 0)
		return false;
	return ljmm_proc_parse_stat(buf, st);
}

void ljmm_proc_parse_status(const char *buf, long long *vmsize_kb, long long *vmrss_kb)
{
	const char *p;
	for (p = buf; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		long long *dst = !strncmp(p, "VmSize:", 7) ? vmsize_kb : !strncmp(p, "VmRSS:", 6) ? vmrss_kb : NULL;
		const char *q;
		uint64_t kb;
		if (!dst)
			continue;
		q = strchr(p, ':') + 1;
		q += strspn(q, " \t");
		if (ljmm_read_u64(&q, &kb) && !strncmp(q, " kB", 3) && kb < (uint64_t)LLONG_MAX)
			*dst = (long long)kb;
	}
}

static void read_status(state_t *s)
{
	char buf[8192];
	if (read_small(s->dirfd, "status", buf, sizeof buf) > 0)
		ljmm_proc_parse_status(buf, &s->vmsize_kb, &s->vmrss_kb);
}

/* The program's headers in memory: AT_PHDR of /proc/PID/auxv (the kernel's copy from
 * the exec, which the loader does not change; same ptrace access as the maps), or 0. */
static uint64_t read_auxv_phdr(int dirfd)
{
	uint64_t v[128]; /* Linux 6.x passes about 25 pairs */
	ssize_t n = read_small(dirfd, "auxv", (char *)v, sizeof v);
	size_t i;
	for (i = 0; n > 0 && i + 1 < (size_t)n / 8 && v[i]; i += 2)
		if (v[i] == 3 /* AT_PHDR */)
			return v[i + 1];
	return 0;
}

/* The program's notes (at most LJMM_PROCMEM_NOTES_MAX bytes of its PT_NOTE segments, by
 * file offset): whether one is the shim's (a malformed one too: the memory read then
 * says what is wrong with it). */
static bool prog_has_note(int fd, const unsigned char *ph, size_t nph)
{
	unsigned char notes[LJMM_PROCMEM_NOTES_MAX];
	size_t i, used = 0, doff;
	int32_t poff;
	uint32_t psize;
	const char *why;
	for (i = 0; i < nph; i++) {
		Elf64_Phdr p;
		ssize_t n;
		memcpy(&p, ph + i * sizeof p, sizeof p);
		if (p.p_type != PT_NOTE || !p.p_filesz || p.p_offset > (uint64_t)INT64_MAX)
			continue;
		n = pread(fd, notes, p.p_filesz < sizeof notes - used ? p.p_filesz : sizeof notes - used, (off_t)p.p_offset);
		if (n <= 0)
			break;
		used += (size_t)n;
		if (ljmm_procmem_parse_notes(notes, (size_t)n, p.p_align == 8 ? 8 : 4, &doff, &poff, &psize, &why))
			return true;
	}
	return false;
}

/* The program, from its file (/proc/PID/exe: the file the process runs, even after it
 * was deleted or replaced) and AT_PHDR:
 * - its ELF class and machine (s->abi), else, after the maps, by its mappings: a 32-bit
 *   process (i386 or x32) has none that ends above 4 GiB, a 64-bit one at least its
 *   stack near the top of the 47-bit space;
 * - whether the shim is linked in: the shim's note in its PT_NOTE (ljmm.o's
 *   .note.ljmm, shim/probe.h). Then it is looked into like a library (prog_look); so
 *   too when the file may not be read (a program installed mode 0711 is not readable by
 *   its user) but its memory may;
 * - its writable segments in the process (s->prog): a non-PIE program's .data and .bss
 *   lie below 1 GiB, anonymous past the file, and with the shim linked in they end in
 *   its 7 MiB node pool (.lbss, shim/pool.c), which is the program's memory, not the
 *   shim's region (in the preload library the pool lies high, with the library).
 * Opening exe takes the same ptrace access as the maps, and read permission on the
 * file. Reading it can wait on its file system as a read of the maps' first bytes can. */
static void read_prog(state_t *s)
{
	unsigned char h[sizeof(Elf64_Ehdr)], ph[LJMM_PAGE];
	ljmm_procmem_obj_t o;
	uint64_t phdr_vaddr = 0, bias = 0;
	int fd = openat(s->dirfd, "exe", O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;
	size_t i, nph;
	bool have_vaddr = false;
	s->prog_phdr = read_auxv_phdr(s->dirfd);
	if (fd < 0) {
		s->prog_look = s->prog_phdr != 0;
		return;
	}
	n = pread(fd, h, sizeof h, 0);
	if (n >= 20 && !memcmp(h, "\177ELF", 4) && h[5] == 1 /* ELFDATA2LSB */) {
		unsigned machine = h[18] | (unsigned)h[19] << 8;
		if (h[4] == 1 /* ELFCLASS32 */)
			s->abi = machine == 3 /* EM_386 */ ? ABI_I386 : machine == 62 /* EM_X86_64 */ ? ABI_X32 : ABI_OTHER;
		else if (h[4] == 2 /* ELFCLASS64 */)
			s->abi = machine == 62 ? ABI_X86_64 : ABI_OTHER;
	}
	if (s->abi != ABI_X86_64 || ljmm_procmem_parse_ehdr(h, (size_t)n, 0, UINT64_MAX, &o) ||
	    pread(fd, ph, o.ph_len, (off_t)o.ph_addr) != (ssize_t)o.ph_len) {
		close(fd);
		return;
	}
	nph = o.ph_len / sizeof(Elf64_Phdr);
	s->prog_note = prog_has_note(fd, ph, nph);
	close(fd);
	s->prog_look = s->prog_note && s->prog_phdr;
	/* The load bias: 0 for ET_EXEC, else where the headers are less where they were linked. */
	for (i = 0; i < nph && !have_vaddr; i++) {
		Elf64_Phdr p;
		memcpy(&p, ph + i * sizeof p, sizeof p);
		if (p.p_type == PT_PHDR || (p.p_type == PT_LOAD && p.p_offset <= o.ph_addr &&
					     o.ph_addr - p.p_offset < p.p_filesz)) {
			phdr_vaddr = p.p_type == PT_PHDR ? p.p_vaddr : p.p_vaddr + (o.ph_addr - p.p_offset);
			have_vaddr = true;
		}
	}
	if ((h[16] | h[17] << 8) == ET_DYN) {
		if (!have_vaddr || !s->prog_phdr || s->prog_phdr < phdr_vaddr)
			return;
		bias = s->prog_phdr - phdr_vaddr;
	}
	for (i = 0; i < nph; i++) {
		Elf64_Phdr p;
		uint64_t a, e;
		memcpy(&p, ph + i * sizeof p, sizeof p);
		if (p.p_type != PT_LOAD || !(p.p_flags & PF_W) || !p.p_memsz || p.p_vaddr > UINT64_MAX - bias)
			continue;
		a = (bias + p.p_vaddr) & ~(LJMM_PAGE - 1);
		/* p_memsz is the file's word: it may be near 2^64 itself. */
		if (p.p_memsz > UINT64_MAX - LJMM_PAGE || bias + p.p_vaddr > UINT64_MAX - LJMM_PAGE - p.p_memsz)
			continue;
		e = (bias + p.p_vaddr + p.p_memsz + LJMM_PAGE - 1) & ~(LJMM_PAGE - 1);
		/* In address order (the ELF specification sorts PT_LOAD by p_vaddr). */
		if ((s->prog.n && a < s->prog.v[s->prog.n - 1].end) || !ljmm_procmem_ranges_add(&s->prog, a, e))
			return;
	}
}

enum rd ljmm_proc_read(state_t *s, long pid)
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
		ljmm_fail("cannot open %s: %s", path, strerror(errno));
		return RD_FAILED;
	}
	read_comm(s->dirfd, s->comm, sizeof s->comm);
	if (!read_procstat(s->dirfd, &before))
		return RD_GONE;
	if (before.flags & PF_KTHREAD)
		return RD_KTHREAD;
	s->starttime = before.starttime;
	read_prog(s);
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
		ljmm_fail("cannot open /proc/%ld/maps: %s", pid, strerror(s->maps_err));
		return RD_FAILED;
	}
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		ljmm_fail("out of memory");
		return RD_FAILED;
	}
	rc = ljmm_read_maps(s, f);
	fclose(f);
	s->maps_path = NULL;
	if (rc > 0)
		return RD_FAILED;
	read_status(s);
	ljmm_counters_read(s);
	if (s->abi == ABI_UNKNOWN && s->nmaps)
		s->abi = s->top_end <= ADDR32_END ? ABI_32 : ABI_X86_64;
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

void ljmm_proc_free(state_t *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->low);
	free(s->libmaps);
	for (size_t k = 0; k < LJMM_PROCMEM_CANDIDATES; k++)
		free(s->candmaps[k].v);
	free(s->writable.v);
	free(s->prog.v);
	memset(s, 0, sizeof *s);
	s->dirfd = -1;
}

/* The boot time (btime of /proc/stat, seconds since the epoch), or -1. The file has a
 * line per CPU and an "intr" line of thousands of numbers before it: read line by line. */
long long ljmm_proc_boot_time(void)
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
		if (!strncmp(line, "btime ", 6) && ljmm_read_u64(&p, &v) && v < (uint64_t)LLONG_MAX) {
			bt = (long long)v;
			break;
		}
	}
	free(line);
	fclose(f);
	return bt;
}

/* ---- choosing processes ---- */

bool ljmm_proc_pids_add(pids_t *p, long pid, bool named)
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
bool ljmm_proc_parse_pid(const char *arg, long *pid)
{
	const char *p = arg;
	uint64_t v;
	if (!strcmp(arg, "self")) {
		*pid = (long)getpid();
		return true;
	}
	if (!ljmm_read_u64(&p, &v) || *p || v < 1 || v > INT_MAX)
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
int ljmm_proc_find_all(const char *const *names, size_t nnames, pids_t *out)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long self = (long)getpid(), *found = NULL;
	size_t nfound = 0, cap = 0, i;
	int rc = 0;
	if (!d)
		return ljmm_fail("cannot read /proc: %s", strerror(errno));
	while ((e = readdir(d))) {
		long pid;
		int fd;
		size_t k;
		if (!ljmm_proc_parse_pid(e->d_name, &pid) || !strcmp(e->d_name, "self") || pid == self)
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
				rc = ljmm_fail("out of memory");
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
			if (!ljmm_proc_pids_add(out, found[i], false))
				rc = ljmm_fail("out of memory");
	}
	free(found);
	return rc;
}
