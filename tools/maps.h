/* SPDX-License-Identifier: MIT */
/* ljmm-maps's parts (tools/README.md lists them by job): the state of one process as
 * it is read and classified, and what each part offers the others. Internal to the
 * tool; the fuzz target tests/fuzz/fuzz_maps_tool.c links every part but main. */
#ifndef LJMM_TOOLS_MAPS_H
#define LJMM_TOOLS_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../include/ljmm.h"
#include "../shim/layout.h"
#include "../shim/probe.h"
#include "procmem.h"

/* LJMM_2G (what MAP_32BIT memory must stay below), LJMM_WINDOW_LO (the kernel serves
 * MAP_32BIT from there up) and LJMM_PAGE are the shim's own (shim/layout.h). */
#define CELL ((uint64_t)16 << 20)          /* bytes per character of the picture */
#define NCELLS (LJMM_2G / CELL)             /* 128: two rows of 64 */
#define COLS 64
/* Without the probe's word: the shim puts its guard at page_up(brk) +
 * LJMM_GUARD_RESERVE, and the reserve is at most 1 GiB: search that far above the
 * heap's end. */
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
extern const char *const ljmm_abi_name[];
#define ABI_IS_32(a) ((a) == ABI_I386 || (a) == ABI_X32 || (a) == ABI_32)
/* For the text forms: which 32-bit ABI, or how it is known. */
#define ABI_WHAT(a) ((a) == ABI_32 ? "by its mappings" : ljmm_abi_name[a])

enum cls { C_KERNEL, C_REGION, C_HEAP, C_GUARD, C_FILE, C_FREE, C_N };
extern const char ljmm_cls_char[C_N];
extern const char *const ljmm_cls_name[C_N];
extern const char *const ljmm_cls_key[C_N];

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

/* A mapping of a file named like the library, or of the program with the shim linked in. */
typedef struct {
	ljmm_procmem_cand_t c; /* start and end of the mapping, the file's device and inode */
	bool off0, exec;       /* at file offset 0; executable */
	bool prog;             /* a mapping of the program (the main executable) */
} libmap_t;

/* How the shim is in a process: LD_PRELOAD's libljmm_preload.so mapped, ljmm.o linked
 * into the program (its file or its memory has the shim's note), or both (then one copy
 * serves and the other stands aside, the preloaded one when the program exports the
 * shim's symbols: docs/design.md, "Link mode"). */
enum shim_form { SHIM_NONE, SHIM_PRELOAD, SHIM_LINKED, SHIM_BOTH };
#define SHIM_FORM(mapped, linked) \
	((linked) ? ((mapped) ? SHIM_BOTH : SHIM_LINKED) : (mapped) ? SHIM_PRELOAD : SHIM_NONE)
/* "none", "preload", "linked", "linked+preload": the JSON's "shim" and the picture's. */
extern const char *const ljmm_shim_form_name[];

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
	libmap_t *libmaps;    /* its mappings, and the program's when prog_look */
	size_t nlibmaps, caplibmaps;
	/* The program: a shim linked in has its note (shim/probe.h) in the program's own
	 * PT_NOTE, and the node pool in the program's .lbss (maps_proc.c). */
	uint64_t prog_phdr;   /* AT_PHDR of /proc/PID/auxv: its program headers in memory (0: unknown) */
	bool prog_look;       /* examine the program for a probe: its file has the note, or was unreadable */
	bool prog_note;       /* the program's file has the shim's note */
	bool have_prog_id;    /* prog_id is the file of the mapping that holds prog_phdr */
	ljmm_procmem_cand_t prog_id;
	bool linked;          /* the shim is linked into the program (its file's note, or its memory's) */
	ranges_t prog;        /* the program's writable segments in the process, in address order */
	ljmm_procmem_cand_t cand[LJMM_PROCMEM_CANDIDATES]; /* the files examined for a probe */
	bool cand_prog[LJMM_PROCMEM_CANDIDATES];           /* ... which of them is the program */
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
	bool ljmm, linked;
	uint64_t kernel, region, free_bytes, hole;
	counters_t cnt;
} row_t;

/* ---- reading one live process ---- */

enum rd {
	RD_OK,
	RD_GONE,     /* it does not exist, or exited (or its PID was reused) while being read */
	RD_DENIED,   /* its maps may not be read (s->maps_err) */
	RD_KTHREAD,  /* a kernel thread: no user memory */
	RD_FAILED,   /* a message was printed */
};

/* ---- choosing processes ---- */

typedef struct {
	long *v;
	bool *named; /* given by PID (an absence is an error), not found by --all */
	size_t n, cap;
} pids_t;

/* ---- maps_read.c: the maps text ---- */

/** One line on stderr ("ljmm-maps: ..."); returns 1, the exit status. */
int ljmm_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** The symbolic name of an errno a /proc read can give. */
const char *ljmm_errno_name(int e);
/** A decimal number at *pp that fits 64 bits (out may be NULL); *pp moves past it. */
bool ljmm_read_u64(const char **pp, uint64_t *out);
/** One maps line: NULL, or why it is malformed (see maps_read.c). */
const char *ljmm_read_line(const char *line, mapping_t *m, bool *writable, const char **pathp,
			   ljmm_procmem_cand_t *id);
/** The maps text of f into s: 0, 1 after a message, -1 when a live process exited (ESRCH). */
int ljmm_read_maps(state_t *s, FILE *f);
/** The maps file s->maps_path (--maps-file): 0, or 1 after a message. */
int ljmm_read_maps_file(state_t *s);

/* ---- maps_proc.c: a live process's other files, and choosing processes ---- */

/** /proc/PID/stat's text (NUL-terminated): false when it does not parse. */
bool ljmm_proc_parse_stat(const char *buf, procstat_t *st);
/** /proc/PID/status's text (NUL-terminated): VmSize and VmRSS in kB, left as they are
 *  when absent or malformed. */
void ljmm_proc_parse_status(const char *buf, long long *vmsize_kb, long long *vmrss_kb);
/** Read process pid into s (s->dirfd -1 and the rest zero before). */
enum rd ljmm_proc_read(state_t *s, long pid);
/** Free what s holds and make it ready for the next process. */
void ljmm_proc_free(state_t *s);
/** btime of /proc/stat (seconds since the epoch), or -1. */
long long ljmm_proc_boot_time(void);
/** A pid: decimal, 1 to INT_MAX, or "self". */
bool ljmm_proc_parse_pid(const char *arg, long *pid);
/** Add pid to p (once); false when out of memory. */
bool ljmm_proc_pids_add(pids_t *p, long pid, bool named);
/** Every process (not ourselves) called one of names, in PID order, into out: 0, or 1 after a message. */
int ljmm_proc_find_all(const char *const *names, size_t nnames, pids_t *out);

/* ---- maps_counters.c: the shim's counters, through its probe ---- */

/** Whether to believe the probe f found: the bytes of ljmm_stats_t to read at
 *  f->probe.stats_addr, or 0 with c->status (and c->why) saying why not. Fills c from
 *  the probe; writable: every writable mapping of the process. */
size_t ljmm_counters_check(const ranges_t *writable, const ljmm_procmem_found_t *f, counters_t *c);
/** The counters of s's process into s->cnt. */
void ljmm_counters_read(state_t *s);
/** The counter at offset off of ljmm_stats_t: false when unknown. */
bool ljmm_counters_get(const counters_t *c, size_t off, uint64_t *v);
/** The counters' state as one word, and what goes with it (or NULL). */
const char *ljmm_counters_key(const counters_t *c);
const char *ljmm_counters_detail(const counters_t *c);

/* ---- maps_classify.c ---- */

/** Sort every byte of s's low 2 GiB into a class (s->cell, s->total, the guard, the hole). */
void ljmm_classify(state_t *s);
/** The character of picture cell i. */
char ljmm_classify_cell(const state_t *s, size_t i);
/** One row of the fleet forms from a classified s. */
void ljmm_classify_row(row_t *r, const state_t *s);
/** The share of the low 2 GiB in use. */
double ljmm_classify_used_ratio(const row_t *r);

/* ---- maps_out_text.c: the picture, its JSON, the rows as a table or a JSON array ---- */

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

/** Writes an untrusted string in one form; the characters written. */
size_t ljmm_out_text(const char *str, enum text_form form);
void ljmm_out_json_string(const char *str);
double ljmm_out_mib(uint64_t bytes);
void ljmm_out_32bit(const state_t *s);
void ljmm_out_picture(const state_t *s);
void ljmm_out_json(const state_t *s);
void ljmm_out_table(const row_t *rows, size_t n);
void ljmm_out_json_rows(const row_t *rows, size_t n);

/* ---- maps_out_prom.c ---- */

void ljmm_out_prometheus(const row_t *rows, size_t n);

/* ---- maps_out_counters.c: the shim's counters in every output ---- */

/** The "shim counters:" line of the picture. */
void ljmm_out_counters_text(const counters_t *c);
/** The "counters" object of the JSON forms. */
void ljmm_out_counters_json(const counters_t *c);
/** The table's counter columns: their header, and one row's values. */
void ljmm_out_counters_table_head(void);
void ljmm_out_counters_table_row(const counters_t *c);
/** A Prometheus family of a field of ljmm_stats_t (the registry's prom_name). */
typedef struct {
	const char *name, *help;
	size_t off;
	bool gauge; /* else a counter */
} ljmm_prom_counter_t;
/** The k-th such family, gauges first: false past the last. */
bool ljmm_out_prom_family(size_t k, ljmm_prom_counter_t *fam);

#endif
