/* SPDX-License-Identifier: MIT */
/* Counters of what the shim did, the exit report and the public snapshot. */
#ifndef LJMM_STATS_H
#define LJMM_STATS_H

#include <stdint.h>

#include "../include/ljmm.h"

#include "probe.h"

/** The live counters; update with ljmm_stats_add, read with ljmm_stats_copy. */
extern ljmm_stats_t ljmm_stats_live;
/** The probe other processes read the counters through (probe.h). */
extern ljmm_probe_t ljmm_probe;
/** Fill in the probe: the counters' address and LJMM_PROBE_* flags. */
void ljmm_stats_publish(uint64_t flags);

/** Add n to a counter (relaxed atomic: counters need no ordering). */
static inline void ljmm_stats_add(uint64_t *counter, uint64_t n) { __atomic_add_fetch(counter, n, __ATOMIC_RELAXED); }
/** Count one call on the pass-through path: a plain load and store, no locked
 *  instruction (which would cost more than the rest of the shim's work there). Exact in
 *  a single thread; calls racing in several threads can be undercounted. */
static inline void ljmm_stats_bump(uint64_t *counter)
{
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}
/** Store a value (relaxed atomic). */
static inline void ljmm_stats_set(uint64_t *field, uint64_t v) { __atomic_store_n(field, v, __ATOMIC_RELAXED); }

/** Copy the live counters one by one (each read atomically) into *out. */
void ljmm_stats_copy(ljmm_stats_t *out);
/** Write the exit report (three lines) to the log. */
void ljmm_stats_report(void);

#endif
