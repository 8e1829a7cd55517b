/* SPDX-License-Identifier: MIT */
/* ljmm-maps: every byte below 2 GiB of a process sorted into one class (the kernel's
 * MAP_32BIT window, the shim's region, the brk heap, the guard, file/program, free),
 * per 16 MiB cell of the picture and in total, and the rows of the fleet forms. */
#include <string.h>

#include "maps.h"

const char ljmm_cls_char[C_N] = {'K', 'R', 'H', 'G', 'F', '.'};
const char *const ljmm_cls_name[C_N] = {"kernel window", "region", "brk heap", "guard", "file/program", "free"};
const char *const ljmm_cls_key[C_N] = {"kernel", "region", "heap", "guard", "file", "free"};
const char *const ljmm_shim_form_name[] = {"none", "preload", "linked", "linked+preload"};

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

/* Whether m can be the guard: one PROT_NONE anonymous page. */
static bool guard_like(const mapping_t *m)
{
	return m->anon && m->noacc && m->end - m->start == LJMM_PAGE;
}

/* Where the guard is, by what the shim published: true when the counters of the copy
 * that serves the process were read with its guard's fields (a library older than
 * them, a copy standing aside, or no probe: false), and then *addr is the guard page,
 * or 0 when the shim placed none. */
static bool published_guard(const state_t *s, uint64_t *addr)
{
	uint64_t state;
	if (s->cnt.flags & LJMM_PROBE_ASIDE ||
	    !ljmm_counters_get(&s->cnt, offsetof(ljmm_stats_t, guard_state), &state) ||
	    !ljmm_counters_get(&s->cnt, offsetof(ljmm_stats_t, guard_addr), addr))
		return false;
	if (state != LJMM_GUARD_STATE_PLACED)
		*addr = 0;
	return true;
}

/* The guard: where the probe says it is, when it was read, and the page is there. Else
 * a guess: the lowest one-page PROT_NONE anonymous mapping at or above the heap's end,
 * no further than the largest reserve; it misses a guard the shim put just below a
 * raised LJMM_REGION_LO (more than GUARD_WINDOW above the heap). */
static void find_guard(state_t *s)
{
	uint64_t addr;
	size_t i;
	if (published_guard(s, &addr)) {
		for (i = 0; addr && i < s->nlow && s->low[i].start <= addr; i++)
			if (s->low[i].start == addr && guard_like(&s->low[i])) {
				s->have_guard = true;
				s->guard_addr = addr;
			}
		return;
	}
	if (s->have_heap && s->heap_end < LJMM_2G)
		for (i = 0; i < s->nlow; i++) {
			const mapping_t *m = &s->low[i];
			if (m->start >= s->heap_end && m->start - s->heap_end <= GUARD_WINDOW && guard_like(m)) {
				s->have_guard = true;
				s->guard_addr = m->start;
				break;
			}
		}
}

/* Anonymous memory: below 1 GiB only the shim puts anonymous MAP_32BIT memory (a
 * non-PIE program's .bss, when its program headers were not read, is counted with it);
 * above, the kernel's window. */
static void add_anon(state_t *s, uint64_t start, uint64_t end)
{
	if (start < LJMM_WINDOW_LO)
		add_range(s, start, end < LJMM_WINDOW_LO ? end : LJMM_WINDOW_LO, C_REGION);
	if (end > LJMM_WINDOW_LO)
		add_range(s, start > LJMM_WINDOW_LO ? start : LJMM_WINDOW_LO, end, C_KERNEL);
}

/* An anonymous mapping, less the parts in the program's writable segments (its .bss,
 * and a linked shim's node pool: the program's, see read_prog in maps_proc.c), which
 * are file/program; the kernel may have merged a neighbour into the same mapping. */
static void add_anon_mapping(state_t *s, uint64_t start, uint64_t end)
{
	size_t i;
	for (i = 0; i < s->prog.n && start < end; i++) {
		uint64_t a = s->prog.v[i].start, e = s->prog.v[i].end;
		if (e <= start || a >= end)
			continue;
		if (a > start)
			add_anon(s, start, a);
		else
			a = start;
		add_range(s, a, e < end ? e : end, C_FILE);
		start = e < end ? e : end;
	}
	if (start < end)
		add_anon(s, start, end);
}

void ljmm_classify(state_t *s)
{
	uint64_t prev = 0;
	size_t i;
	int c;
	find_guard(s);
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
		else
			add_anon_mapping(s, m->start, end);
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

char ljmm_classify_cell(const state_t *s, size_t i)
{
	int c, best = 0;
	if (s->cell_guard[i])
		return ljmm_cls_char[C_GUARD];
	/* Majority; a tie goes to the class listed first (mapped before free). */
	for (c = 1; c < C_N; c++)
		if (s->cell[i][c] > s->cell[i][best])
			best = c;
	return ljmm_cls_char[best];
}

void ljmm_classify_row(row_t *r, const state_t *s)
{
	memset(r, 0, sizeof *r);
	r->pid = s->pid;
	memcpy(r->comm, s->comm, sizeof r->comm);
	r->maps_err = s->maps_err;
	r->abi = s->abi;
	r->starttime = s->starttime;
	r->ljmm = s->ljmm;
	r->linked = s->linked;
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

double ljmm_classify_used_ratio(const row_t *r)
{
	return (double)(LJMM_2G - r->free_bytes) / (double)LJMM_2G;
}
