/* SPDX-License-Identifier: MIT */
/* The probe: how a process outside (ljmm-maps) finds a running shim's counters.
 *
 * One ljmm_probe_t lives in the library's initialised data, so it sits in the
 * library's own writable file mapping (the "rw-p .../libljmm_preload.so.0.1.0" line of
 * /proc/PID/maps), on a page every process already has resident: no extra mapping,
 * no file descriptor, any kernel. A reader with ptrace access to the process (same
 * user without Yama restrictions, or root) reads that mapping through /proc/PID/mem,
 * finds the 16-byte magic at an 8-byte-aligned offset, checks layout and size, and
 * then reads stats_size bytes of the live ljmm_stats_t at stats_addr. Fields are only
 * ever appended; layout changes only if one changes meaning. */
#ifndef LJMM_PROBE_H
#define LJMM_PROBE_H

#include <stdint.h>

/** The probe's first 16 bytes. */
#define LJMM_PROBE_MAGIC "\177ljmm-probe-v1\0"
#define LJMM_PROBE_MAGIC_LEN 16
/** The layout described here. */
#define LJMM_PROBE_LAYOUT 1

/** Flags of ljmm_probe_t.flags. */
enum {
	LJMM_PROBE_ACTIVE = 1, /* this copy's constructor ran and it serves the process */
	LJMM_PROBE_ASIDE = 2,  /* another copy of the library serves the process; this one stands aside */
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
