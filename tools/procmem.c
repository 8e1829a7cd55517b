/* SPDX-License-Identifier: MIT */
/* procmem: reading another process's memory (through /proc/PID/mem) and its mountinfo,
 * for the shim's probe, with every read bounded whatever the process did to its maps.
 *
 * The bounds, and why each:
 * - Candidates: ljmm-maps hands in at most LJMM_PROCMEM_CANDIDATES objects, one per
 *   file (device and inode), by their first mapping (file offset 0). A process that maps
 *   a file named libljmm_preload.so 3000 times costs what one mapping costs; the old
 *   reader scanned up to 1 MiB of each of them (0.7-3.5 s, 3 GB of page faults).
 * - Per object: the ELF header (64 bytes), the program headers (at most 4 KiB, inside
 *   the first mapping), the notes (LJMM_PROCMEM_NOTES_MAX bytes in all, in mappings of
 *   the same file: with GNU ld, in the first mapping next to .note.gnu.build-id, or,
 *   without a build ID as musl-gcc links, after .eh_frame), the probe (its size), then ljmm-maps reads the counters (stats_size, at
 *   most 64 KiB). The note (shim/probe.h) holds a link-time offset, so nothing is
 *   searched. A library from before the note gets a scan of LJMM_PROCMEM_SCAN_MAX
 *   bytes of its first writable segment, where 0.1.0 keeps the probe (in .data, a few
 *   hundred bytes in).
 * - No read that can wait on a file system: a read of /proc/PID/mem faults the target's
 *   pages in as the target would (access_remote_vm, get_user_pages), and a file page
 *   not in the page cache is read from its file system, for as long as a FUSE daemon or
 *   an NFS server likes (the reader sleeps in D state holding the target's mmap lock for
 *   reading). The ELF header and notes are such file pages. So an object whose device is
 *   that of a mount with a FUSE or network file system in the target's own mountinfo
 *   (the mount namespace its maps' paths belong to) is not read at all. A device not in
 *   the mountinfo (btrfs subvolumes report their own) is read: a FUSE file's device is
 *   always its superblock's, which mountinfo shows.
 * - Every address a probe names must lie in a writable PT_LOAD segment of the object
 *   that declares it and in writable mappings, so a forged probe cannot send the reader
 *   into another object's pages, a read-only (file) mapping or unmapped memory. */
#include "procmem.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../shim/layout.h"

/* Longest mountinfo read: a host with thousands of mounts has a few hundred KiB. */
#define MOUNTS_MAX ((size_t)4 << 20)

bool ljmm_procmem_ranges_add(ranges_t *r, uint64_t start, uint64_t end)
{
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		range_t *n = realloc(r->v, ncap * sizeof *n);
		if (!n)
			return false;
		r->v = n;
		r->cap = ncap;
	}
	r->v[r->n].start = start;
	r->v[r->n++].end = end;
	return true;
}

bool ljmm_procmem_ranges_cover(const ranges_t *r, uint64_t addr, uint64_t len)
{
	uint64_t pos = addr, end = addr + len;
	size_t i;
	if (end < addr)
		return false;
	for (i = 0; i < r->n && pos < end; i++) {
		if (r->v[i].end <= pos)
			continue;
		if (r->v[i].start > pos)
			return false;
		pos = r->v[i].end;
	}
	return pos >= end;
}

void ljmm_procmem_init(ljmm_procmem_t *pm, int dirfd)
{
	memset(pm, 0, sizeof *pm);
	pm->dirfd = dirfd;
	pm->memfd = -1;
}

void ljmm_procmem_close(ljmm_procmem_t *pm)
{
	if (pm->memfd >= 0)
		close(pm->memfd);
	pm->memfd = -1;
	free(pm->mounts);
	pm->mounts = NULL;
	pm->mounts_state = 0;
}

ssize_t ljmm_procmem_read(ljmm_procmem_t *pm, void *buf, size_t len, uint64_t addr)
{
	size_t got = 0;
	if (len > LJMM_PROCMEM_READ_MAX || addr > (uint64_t)INT64_MAX - len) {
		errno = EINVAL;
		return -1;
	}
	if (pm->memfd < 0) {
		if (pm->mem_err) {
			errno = pm->mem_err;
			return -1;
		}
		pm->memfd = openat(pm->dirfd, "mem", O_RDONLY | O_CLOEXEC);
		if (pm->memfd < 0) {
			pm->mem_err = errno;
			return -1;
		}
	}
	while (got < len) {
		ssize_t n;
		pm->reads++;
		pm->bytes += len - got;
		n = pread(pm->memfd, (char *)buf + got, len - got, (off_t)(addr + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return got ? (ssize_t)got : -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* ---- parsers ---- */

const char *ljmm_procmem_parse_ehdr(const unsigned char *h, size_t n, uint64_t map_start, uint64_t map_len,
				    ljmm_procmem_obj_t *o)
{
	Elf64_Ehdr e;
	memset(o, 0, sizeof *o);
	if (n < sizeof e || memcmp(h, ELFMAG, SELFMAG))
		return "not an ELF object";
	memcpy(&e, h, sizeof e);
	if (e.e_ident[EI_CLASS] != ELFCLASS64 || e.e_ident[EI_DATA] != ELFDATA2LSB || e.e_machine != EM_X86_64)
		return "not an x86-64 ELF object";
	if (e.e_type != ET_DYN && e.e_type != ET_EXEC)
		return "not a loaded ELF object";
	if (e.e_phentsize != sizeof(Elf64_Phdr) || !e.e_phnum || e.e_phnum * sizeof(Elf64_Phdr) > LJMM_PAGE)
		return "implausible program headers";
	/* Inside the first mapping, where the loader found them (every linker puts them
	 * right after the ELF header). */
	if (e.e_phoff > map_len || map_len - e.e_phoff < e.e_phnum * sizeof(Elf64_Phdr))
		return "program headers outside the first mapping";
	o->ph_addr = map_start + e.e_phoff;
	o->ph_len = e.e_phnum * sizeof(Elf64_Phdr);
	return NULL;
}

const char *ljmm_procmem_parse_phdrs(const unsigned char *ph, size_t n, uint64_t map_start, ljmm_procmem_obj_t *o)
{
	size_t i, cnt = n / sizeof(Elf64_Phdr);
	bool have_bias = false;
	o->nnotes = o->nwseg = 0;
	/* The load bias from the segment the first mapping is: the PT_LOAD at file offset
	 * 0 (the lowest; the loader maps them in order). */
	for (i = 0; i < cnt; i++) {
		Elf64_Phdr p;
		memcpy(&p, ph + i * sizeof p, sizeof p);
		if (p.p_type == PT_LOAD && p.p_offset < LJMM_PAGE) {
			uint64_t v = p.p_vaddr & ~(LJMM_PAGE - 1);
			if (v > map_start)
				return "first segment above its mapping";
			o->bias = map_start - v;
			have_bias = true;
			break;
		}
	}
	if (!have_bias)
		return "no segment at file offset 0";
	for (i = 0; i < cnt; i++) {
		Elf64_Phdr p;
		uint64_t a;
		memcpy(&p, ph + i * sizeof p, sizeof p);
		if (p.p_vaddr > UINT64_MAX - o->bias)
			continue;
		a = o->bias + p.p_vaddr;
		if (p.p_type == PT_NOTE && o->nnotes < 4) {
			/* The caller reads only notes in mappings of the object's own file. */
			if (!p.p_filesz || p.p_filesz > UINT64_MAX - a)
				continue;
			o->notes[o->nnotes].start = a;
			o->notes[o->nnotes].end = a + p.p_filesz;
			o->note_align[o->nnotes++] = p.p_align == 8 ? 8 : 4;
		} else if (p.p_type == PT_LOAD && (p.p_flags & PF_W) && o->nwseg < LJMM_PROCMEM_WSEG) {
			if (!p.p_memsz || p.p_memsz > UINT64_MAX - a)
				continue;
			o->wseg[o->nwseg].start = a;
			o->wseg[o->nwseg++].end = a + p.p_memsz;
		}
	}
	return NULL;
}

int ljmm_procmem_parse_notes(const unsigned char *buf, size_t n, unsigned align, size_t *desc_off,
			     int32_t *probe_off, uint32_t *probe_size, const char **why)
{
	size_t pos = 0;
	/* namesz, descsz, type, the name, then the descriptor and the next note each at a
	 * multiple of align from the segment's start (4, or 8 in a PT_NOTE of p_align 8
	 * such as .note.gnu.property: the way glibc's loader reads them). */
	while (n - pos >= 12) {
		uint32_t w[3];
		size_t desc, next;
		memcpy(w, buf + pos, sizeof w);
		if (w[0] > n - pos - 12)
			break;
		desc = (pos + 12 + w[0] + align - 1) & ~(size_t)(align - 1);
		if (desc > n || w[1] > n - desc)
			break;
		next = (desc + w[1] + align - 1) & ~(size_t)(align - 1);
		if (w[0] == sizeof LJMM_NOTE_NAME && !memcmp(buf + pos + 12, LJMM_NOTE_NAME, sizeof LJMM_NOTE_NAME) &&
		    w[2] == LJMM_NOTE_PROBE) {
			if (w[1] < LJMM_NOTE_DESCSZ) {
				*why = "note too short";
				return -1;
			}
			memcpy(probe_off, buf + desc, 4);
			memcpy(probe_size, buf + desc + 4, 4);
			*desc_off = desc;
			return 1;
		}
		if (next <= pos || next > n)
			break;
		pos = next;
	}
	return 0;
}

bool ljmm_procmem_fs_may_block(const char *t, size_t len)
{
	/* FUSE (fuse, fuseblk, fuse.sshfs, ...; virtiofs is FUSE too) and the network and
	 * cluster file systems of Linux 6.x whose reads go to a server. */
	static const char *const net[] = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "9p", "ceph", "afs",
					  "coda", "virtiofs", "glusterfs", "lustre", "orangefs", "pvfs2", "gfs2",
					  "ocfs2", "beegfs", "gpfs", "davfs"};
	size_t i;
	if (len >= 4 && !memcmp(t, "fuse", 4))
		return true;
	for (i = 0; i < sizeof net / sizeof net[0]; i++)
		if (strlen(net[i]) == len && !memcmp(t, net[i], len))
			return true;
	return false;
}

static bool take_dec(const char **p, unsigned *v)
{
	unsigned long x = 0;
	const char *q = *p;
	if (*q < '0' || *q > '9')
		return false;
	while (*q >= '0' && *q <= '9') {
		x = x * 10 + (unsigned)(*q++ - '0');
		if (x > 0xffffffffu)
			return false;
	}
	*v = (unsigned)x;
	*p = q;
	return true;
}

bool ljmm_procmem_parse_mount(const char *line, unsigned *major, unsigned *minor, const char **fstype,
			      size_t *fstype_len)
{
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPEROPTS"
	 * (proc(5)); paths escape spaces as \040, so " - " is only the separator. */
	const char *p = line, *sep, *end;
	int f;
	for (f = 0; f < 2; f++) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	if (!take_dec(&p, major) || *p++ != ':' || !take_dec(&p, minor) || *p != ' ')
		return false;
	sep = strstr(p, " - ");
	if (!sep)
		return false;
	sep += 3;
	end = sep + strcspn(sep, " \n");
	if (end == sep)
		return false;
	*fstype = sep;
	*fstype_len = (size_t)(end - sep);
	return true;
}

/* ---- the search ---- */

static void read_mounts(ljmm_procmem_t *pm)
{
	size_t cap = 65536, len = 0;
	int fd = openat(pm->dirfd, "mountinfo", O_RDONLY | O_CLOEXEC);
	pm->mounts_state = -1;
	if (fd < 0)
		return;
	pm->mounts = malloc(cap);
	while (pm->mounts) {
		ssize_t n;
		if (cap - len < 4096) {
			char *m = cap < MOUNTS_MAX ? realloc(pm->mounts, cap * 2) : NULL;
			if (!m)
				break;
			pm->mounts = m;
			cap *= 2;
		}
		n = read(fd, pm->mounts + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			pm->mounts[len] = 0;
			pm->mounts_state = n == 0 ? 1 : -1;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
}

const char *ljmm_procmem_mount_fstype(const char *text, unsigned major, unsigned minor, size_t *len)
{
	const char *line, *nl;
	for (line = text; *line; line = nl ? nl + 1 : line + strlen(line)) {
		unsigned ma, mi;
		const char *t;
		nl = strchr(line, '\n');
		if (ljmm_procmem_parse_mount(line, &ma, &mi, &t, len) && ma == major && mi == minor &&
		    (!nl || t < nl))
			return t;
	}
	return NULL;
}

/* The file system type of the device in the target's mountinfo, when its reads may
 * block: "fuse.sshfs" and so on; NULL when the device is on a local one or not listed. */
static const char *blocking_fs(ljmm_procmem_t *pm, unsigned major, unsigned minor, char *buf, size_t cap)
{
	const char *t;
	size_t tl;
	if (!pm->mounts_state)
		read_mounts(pm);
	/* Unreadable or cut at MOUNTS_MAX: nothing is known, so nothing is ruled out; a
	 * process's own mountinfo is mode 0444 and, below 4 MiB, complete. */
	if (pm->mounts_state != 1)
		return NULL;
	t = ljmm_procmem_mount_fstype(pm->mounts, major, minor, &tl);
	if (!t || !ljmm_procmem_fs_may_block(t, tl))
		return NULL;
	if (tl >= cap)
		tl = cap - 1;
	memcpy(buf, t, tl);
	buf[tl] = 0;
	return buf;
}

bool ljmm_procmem_in_object(const ljmm_procmem_found_t *f, uint64_t addr, uint64_t len)
{
	size_t i;
	if (addr + len < addr)
		return false;
	for (i = 0; i < f->nwseg; i++)
		if (addr >= f->wseg[i].start && addr + len <= f->wseg[i].end)
			return true;
	return false;
}

static void set(ljmm_procmem_found_t *out, enum ljmm_procmem_verdict v, const char *why)
{
	out->verdict = v;
	out->why = why;
	if (v == LJMM_PM_UNREADABLE)
		out->err = errno ? errno : EIO;
}

/* A library from before the note: the magic at an 8-byte-aligned address in the first
 * LJMM_PROCMEM_SCAN_MAX bytes of the first writable mapping in its first writable
 * segment. */
static void scan(ljmm_procmem_t *pm, const ranges_t *writable, ljmm_procmem_found_t *out)
{
	static unsigned char buf[LJMM_PROCMEM_SCAN_MAX];
	uint64_t start = 0, end = 0, len;
	ssize_t n;
	size_t i, off;
	for (i = 0; i < writable->n && !end; i++) {
		const range_t *w = &writable->v[i];
		if (w->end > out->wseg[0].start && w->start < out->wseg[0].end) {
			start = w->start > out->wseg[0].start ? w->start : out->wseg[0].start;
			end = w->end < out->wseg[0].end ? w->end : out->wseg[0].end;
		}
	}
	if (!end) {
		set(out, LJMM_PM_NONE, "no note, and no writable segment mapped");
		return;
	}
	start = (start + 7) & ~(uint64_t)7;
	len = end - start < sizeof buf ? end - start : sizeof buf;
	errno = 0;
	n = ljmm_procmem_read(pm, buf, len, start);
	if (n < 0) {
		set(out, LJMM_PM_UNREADABLE, NULL);
		return;
	}
	for (off = 0; off + sizeof out->probe <= (size_t)n; off += 8)
		if (!memcmp(buf + off, LJMM_PROBE_MAGIC, LJMM_PROBE_MAGIC_LEN)) {
			memcpy(&out->probe, buf + off, sizeof out->probe);
			out->probe_addr = start + off;
			set(out, LJMM_PM_FOUND, NULL);
			return;
		}
	set(out, LJMM_PM_NONE, "a library older than the probe");
}

void ljmm_procmem_find_probe(ljmm_procmem_t *pm, const ljmm_procmem_cand_t *c, const ranges_t *file,
			     const ranges_t *writable, bool scan_too, ljmm_procmem_found_t *out)
{
	unsigned char h[sizeof(Elf64_Ehdr)], ph[LJMM_PAGE], notes[LJMM_PROCMEM_NOTES_MAX];
	ljmm_procmem_obj_t o;
	const char *why;
	size_t i, used = 0;
	ssize_t n;
	memset(out, 0, sizeof *out);
	if (blocking_fs(pm, c->major, c->minor, out->fstype, sizeof out->fstype)) {
		set(out, LJMM_PM_SKIPPED, "on a FUSE or network file system, whose reads may block");
		return;
	}
	errno = 0;
	n = ljmm_procmem_read(pm, h, sizeof h, c->start);
	if (n < 0) {
		set(out, LJMM_PM_UNREADABLE, NULL);
		return;
	}
	if ((why = ljmm_procmem_parse_ehdr(h, (size_t)n, c->start, c->end - c->start, &o))) {
		set(out, LJMM_PM_NONE, why);
		return;
	}
	errno = 0;
	if (ljmm_procmem_read(pm, ph, o.ph_len, o.ph_addr) != (ssize_t)o.ph_len) {
		set(out, LJMM_PM_UNREADABLE, NULL);
		return;
	}
	if ((why = ljmm_procmem_parse_phdrs(ph, o.ph_len, c->start, &o))) {
		set(out, LJMM_PM_BAD, why);
		return;
	}
	out->nwseg = o.nwseg;
	memcpy(out->wseg, o.wseg, sizeof o.wseg);
	if (!o.nwseg) {
		set(out, LJMM_PM_NONE, "no writable segment");
		return;
	}
	for (i = 0; i < o.nnotes; i++) {
		uint64_t len = o.notes[i].end - o.notes[i].start;
		size_t doff;
		int32_t poff;
		uint32_t psize;
		int r;
		if (len > sizeof notes - used)
			len = sizeof notes - used;
		if (!len)
			break;
		/* Pages of this file only: its file system was checked, and a note that points
		 * into another mapping (another file's, perhaps on FUSE) is not followed. */
		if (!ljmm_procmem_ranges_cover(file, o.notes[i].start, len)) {
			set(out, LJMM_PM_BAD, "note outside the object's file");
			return;
		}
		errno = 0;
		if (ljmm_procmem_read(pm, notes, len, o.notes[i].start) != (ssize_t)len) {
			set(out, LJMM_PM_UNREADABLE, NULL);
			return;
		}
		used += len;
		r = ljmm_procmem_parse_notes(notes, len, o.note_align[i], &doff, &poff, &psize, &why);
		if (!r)
			continue;
		out->by_note = true;
		if (r < 0) {
			set(out, LJMM_PM_BAD, why);
			return;
		}
		out->probe_addr = o.notes[i].start + doff + (uint64_t)(int64_t)poff;
		if (psize < LJMM_PROBE_SIZE || psize > LJMM_PAGE) {
			set(out, LJMM_PM_BAD, "implausible probe size");
			return;
		}
		if (out->probe_addr % 8) {
			set(out, LJMM_PM_BAD, "misaligned probe");
			return;
		}
		if (!ljmm_procmem_in_object(out, out->probe_addr, sizeof out->probe) ||
		    !ljmm_procmem_ranges_cover(writable, out->probe_addr, sizeof out->probe)) {
			set(out, LJMM_PM_BAD, "probe outside the object's writable memory");
			return;
		}
		errno = 0;
		if (ljmm_procmem_read(pm, &out->probe, sizeof out->probe, out->probe_addr) != (ssize_t)sizeof out->probe) {
			set(out, LJMM_PM_UNREADABLE, NULL);
			return;
		}
		if (memcmp(out->probe.magic, LJMM_PROBE_MAGIC, LJMM_PROBE_MAGIC_LEN)) {
			set(out, LJMM_PM_BAD, "no probe where the note says");
			return;
		}
		set(out, LJMM_PM_FOUND, NULL);
		return;
	}
	if (scan_too)
		scan(pm, writable, out);
	else
		set(out, LJMM_PM_NONE, "no note");
}
