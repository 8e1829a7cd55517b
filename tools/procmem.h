/* SPDX-License-Identifier: MIT */
/* procmem: ljmm-maps's reads of another process's memory and of /proc beyond its maps
 * text, each bounded (procmem.c says how and why). All of it is untrusted input. */
#ifndef LJMM_PROCMEM_H
#define LJMM_PROCMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../shim/probe.h"

/** Objects (distinct files by device and inode) examined for a probe per process. */
#define LJMM_PROCMEM_CANDIDATES 8
/** Bytes of a library without the note searched for the probe's magic. */
#define LJMM_PROCMEM_SCAN_MAX 65536u
/** Bytes of notes read per object, and the longest single read. */
#define LJMM_PROCMEM_NOTES_MAX 4096u
#define LJMM_PROCMEM_READ_MAX 65536u
/** Writable PT_LOAD segments kept per object. */
#define LJMM_PROCMEM_WSEG 4

typedef struct {
	uint64_t start, end;
} range_t;

typedef struct {
	range_t *v;
	size_t n, cap;
} ranges_t;

/** Append [start, end); false when out of memory. */
bool ljmm_procmem_ranges_add(ranges_t *r, uint64_t start, uint64_t end);
/** [addr, addr + len) lies in ranges of r (in address order) with no gap. */
bool ljmm_procmem_ranges_cover(const ranges_t *r, uint64_t addr, uint64_t len);

/** An object's first mapping (file offset 0), with the file's identity from the maps line. */
typedef struct {
	uint64_t start, end, inode;
	unsigned major, minor;
} ljmm_procmem_cand_t;

enum ljmm_procmem_verdict {
	LJMM_PM_FOUND,      /* a probe with the magic, in the object's writable memory */
	LJMM_PM_NONE,       /* no probe (why): not an ELF object, or no note and no magic */
	LJMM_PM_BAD,        /* a note or probe that is not believed (why) */
	LJMM_PM_SKIPPED,    /* not read at all (why): its file system may block a read */
	LJMM_PM_UNREADABLE, /* /proc/PID/mem refused (err) */
};

typedef struct {
	enum ljmm_procmem_verdict verdict;
	const char *why;
	int err;
	bool by_note;       /* the object has the shim's note (a probe found through it, not by the scan) */
	uint64_t probe_addr;
	ljmm_probe_t probe;
	size_t nwseg;
	range_t wseg[LJMM_PROCMEM_WSEG]; /* the object's writable segments in the process */
	char fstype[32];    /* LJMM_PM_SKIPPED: the file system's type */
} ljmm_procmem_found_t;

/** One process: its /proc directory and what has been read of its memory. */
typedef struct {
	int dirfd;       /* /proc/PID (not owned) */
	int memfd;       /* its mem, opened on the first read; -1 before */
	int mem_err;     /* errno of a failed open */
	uint64_t reads;  /* pread calls on mem, and bytes asked for (LJMM_MAPS_DEBUG) */
	uint64_t bytes;
	int mounts_state; /* 0 not read, 1 read, -1 unreadable */
	char *mounts;     /* the mountinfo text, NUL-terminated */
} ljmm_procmem_t;

void ljmm_procmem_init(ljmm_procmem_t *pm, int dirfd);
void ljmm_procmem_close(ljmm_procmem_t *pm);
/** Read len (at most LJMM_PROCMEM_READ_MAX) bytes at addr of the process: bytes read, or -1 with errno. */
ssize_t ljmm_procmem_read(ljmm_procmem_t *pm, void *buf, size_t len, uint64_t addr);
/** Find the probe of the object whose first mapping is c; file: every mapping of c's file
 * (device and inode), writable: every writable mapping, both in address order; scan: an
 * object without the note may be a library from before it (not so the program). */
void ljmm_procmem_find_probe(ljmm_procmem_t *pm, const ljmm_procmem_cand_t *c, const ranges_t *file,
			     const ranges_t *writable, bool scan, ljmm_procmem_found_t *out);
/** [addr, addr + len) lies in one writable segment of the object the probe was found in. */
bool ljmm_procmem_in_object(const ljmm_procmem_found_t *f, uint64_t addr, uint64_t len);

/* The parsers, pure functions over bytes read (fuzzed by tests/fuzz/fuzz_procmem.c). */

/** An object's layout from its ELF header and program headers. */
typedef struct {
	uint64_t ph_addr;   /* the program headers, in the process */
	size_t ph_len;
	uint64_t bias;      /* load bias: process address = bias + p_vaddr */
	size_t nnotes;
	range_t notes[4];   /* PT_NOTE segments, in the process */
	unsigned note_align[4];
	size_t nwseg;
	range_t wseg[LJMM_PROCMEM_WSEG];
} ljmm_procmem_obj_t;

/** The ELF header h (n bytes, read at map_start, the first mapping being map_len bytes):
 * NULL and o->ph_addr/ph_len, or why it is not an object to look into. */
const char *ljmm_procmem_parse_ehdr(const unsigned char *h, size_t n, uint64_t map_start, uint64_t map_len,
				    ljmm_procmem_obj_t *o);
/** The program headers (o->ph_len bytes): NULL and the rest of *o, or why not believed. */
const char *ljmm_procmem_parse_phdrs(const unsigned char *ph, size_t n, uint64_t map_start, ljmm_procmem_obj_t *o);
/** Notes (n bytes, entries aligned to align): 1 and the offset of ljmm's descriptor in buf
 * and its two words, 0 when there is none, -1 with *why when it is malformed. */
int ljmm_procmem_parse_notes(const unsigned char *buf, size_t n, unsigned align, size_t *desc_off,
			     int32_t *probe_off, uint32_t *probe_size, const char **why);
/** Whether a file system type's reads may wait on a daemon or a network (FUSE, NFS, ...). */
bool ljmm_procmem_fs_may_block(const char *fstype, size_t len);
/** The file system type (*len bytes) of the first mount of device major:minor in a
 * mountinfo text (NUL-terminated), or NULL when it has none. */
const char *ljmm_procmem_mount_fstype(const char *text, unsigned major, unsigned minor, size_t *len);
/** One mountinfo line: true and the device and file system type (not NUL-terminated). */
bool ljmm_procmem_parse_mount(const char *line, unsigned *major, unsigned *minor, const char **fstype,
			      size_t *fstype_len);

#endif
