/* SPDX-License-Identifier: MIT */
/* The probe: how a process outside (ljmm-maps) finds a running shim's counters.
 *
 * One ljmm_probe_t lives in the shim's initialised data, so it sits in the writable
 * file mapping of the object the shim is part of: the library's (the "rw-p
 * .../libljmm_preload.so.0.1.0" line of /proc/PID/maps), or, with the link form ljmm.o,
 * the program's own; on a page the constructor writes (a private copy, never a file page
 * once the process runs): no extra mapping, no file descriptor, any kernel.
 *
 * Where it is, the object says in an ELF note (LJMM_NOTE_NAME, type LJMM_NOTE_PROBE) in
 * its PT_NOTE segment (ld -r keeps .note.ljmm in ljmm.o, and the program's link puts it
 * in the program's PT_NOTE), read-only and at the start of its first mapping: the
 * descriptor holds the link-time offset from the descriptor to ljmm_probe (a
 * PC-relative constant: no dynamic relocation in a read-only section) and the probe's
 * size. A reader with ptrace access to the process (same user without Yama
 * restrictions, or root) reads the ELF header, the program headers and the notes
 * through /proc/PID/mem (a page each at most), then the probe, checks magic, layout,
 * size and that the probe and the counters lie in the object's writable segments, and
 * then reads stats_size bytes of the live ljmm_stats_t at stats_addr (tools/procmem.c).
 * Libraries from before the note (0.1.0 without it) are found by a bounded scan for the
 * magic. Fields are only ever appended; layout changes only if one changes meaning. */
#ifndef LJMM_PROBE_H
#define LJMM_PROBE_H

#include <stdint.h>

/** The probe's first 16 bytes. */
#define LJMM_PROBE_MAGIC "\177ljmm-probe-v1\0"
#define LJMM_PROBE_MAGIC_LEN 16
/** The layout described here. */
#define LJMM_PROBE_LAYOUT 1
/** sizeof(ljmm_probe_t), as the note's assembler text needs it (checked in stats.c). */
#define LJMM_PROBE_SIZE 56

/** The note that locates the probe: name, type, descriptor size (two 32-bit words:
 * int32 offset from the descriptor's first byte to the probe, uint32 LJMM_PROBE_SIZE). */
#define LJMM_NOTE_NAME "ljmm"
#define LJMM_NOTE_PROBE 0x6c6a0001
#define LJMM_NOTE_DESCSZ 8

/** Flags of ljmm_probe_t.flags. */
enum {
	LJMM_PROBE_ACTIVE = 1, /* this copy's constructor ran and it serves the process */
	LJMM_PROBE_ASIDE = 2,  /* another copy of the shim serves the process; this one stands aside */
	LJMM_PROBE_OFF = 4,    /* LJMM_ENABLE=off: a pure pass-through */
};

typedef struct {
	char magic[LJMM_PROBE_MAGIC_LEN]; /* LJMM_PROBE_MAGIC */
	uint32_t layout;                  /* LJMM_PROBE_LAYOUT */
	uint32_t stats_size;              /* sizeof(ljmm_stats_t) of this build */
	uint64_t stats_addr;              /* address of the live ljmm_stats_t in the process (0 until set) */
	uint64_t flags;                   /* LJMM_PROBE_* */
	char version[16];                 /* LJMM_VERSION, NUL-terminated */
} ljmm_probe_t;

#endif
