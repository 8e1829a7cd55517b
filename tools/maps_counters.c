/* SPDX-License-Identifier: MIT */
/* ljmm-maps: the shim's live counters, read without stopping the process: the probe
 * (shim/probe.h) in the writable data of the library or of the program the shim is
 * linked into, found through its ELF note and
 * /proc/PID/mem (procmem.c: a few bounded reads per object, at most
 * LJMM_PROCMEM_CANDIDATES objects, none on a FUSE or network file system), is believed
 * only when its layout, size and address are plausible, and leads to the ljmm_stats_t. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"

size_t ljmm_counters_check(const ranges_t *writable, const ljmm_procmem_found_t *f, counters_t *c)
{
	const ljmm_probe_t *p = &f->probe;
	size_t n;
	memset(c, 0, sizeof *c);
	memcpy(c->version, p->version, sizeof p->version);
	c->version[sizeof p->version] = 0;
	c->flags = p->flags;
	c->stats_size = p->stats_size;
	c->status = CNT_BAD_PROBE;
	if (p->layout != LJMM_PROBE_LAYOUT) {
		c->why = "unknown layout";
		return 0;
	}
	if (!p->flags || !p->stats_addr) {
		c->status = CNT_NOT_STARTED;
		return 0;
	}
	if (!p->stats_size || p->stats_size > STATS_SIZE_MAX) {
		c->why = "implausible size";
		return 0;
	}
	if (p->stats_addr % 8) {
		c->why = "misaligned address";
		return 0;
	}
	/* Only what both sides know: an older library's struct is shorter (its missing
	 * fields stay unknown), a newer one's fields past ours are ignored. */
	n = p->stats_size < sizeof c->st ? p->stats_size : sizeof c->st;
	/* In the object's own writable segments (by its program headers) and mapped
	 * writable: never another object's pages, a file's read-only pages or a hole. */
	if (!ljmm_procmem_ranges_cover(writable, p->stats_addr, n) || !ljmm_procmem_in_object(f, p->stats_addr, n)) {
		c->why = "address outside writable memory";
		return 0;
	}
	return n;
}

/* Believe a probe only as far as it checks out, then copy the counters it points at. */
static void take_probe(const state_t *s, ljmm_procmem_t *pm, const ljmm_procmem_found_t *f, counters_t *c)
{
	size_t n = ljmm_counters_check(&s->writable, f, c);
	if (!n)
		return;
	if (ljmm_procmem_read(pm, &c->st, n, f->probe.stats_addr) != (ssize_t)n) {
		c->status = CNT_UNREADABLE;
		c->err = errno ? errno : EIO;
		return;
	}
	c->known = n;
	c->status = CNT_READ;
}

/* Lower is better: the copy that serves the process, then any read copy. */
static int counters_rank(const counters_t *c)
{
	if (c->status == CNT_READ)
		return c->flags & LJMM_PROBE_ASIDE ? 1 : 0;
	return c->status == CNT_NOT_STARTED ? 2 : c->status == CNT_BAD_PROBE ? 3 : 4;
}

/* What LJMM_MAPS_DEBUG prints: each object examined and what the reads cost. */
static void debug_candidate(const state_t *s, const ljmm_procmem_cand_t *cd, const ljmm_procmem_found_t *f,
			    const counters_t *c)
{
	static const char *const verdict[] = {"found", "none", "bad", "skipped", "unreadable"};
	fprintf(stderr, "ljmm-maps: debug: pid %ld: %s at 0x%llx dev %x:%x inode %llu: %s%s%s%s%s\n", s->pid,
		cd == &s->cand[0] && s->cand_prog[0] ? "the program" : "object", (unsigned long long)cd->start, cd->major,
		cd->minor, (unsigned long long)cd->inode, verdict[f->verdict],
		f->verdict == LJMM_PM_FOUND ? (f->by_note ? " by the note, " : " by the scan, ") : f->why ? ", " : "",
		f->verdict == LJMM_PM_FOUND ? ljmm_counters_key(c) : f->why ? f->why : "",
		f->verdict == LJMM_PM_FOUND && ljmm_counters_detail(c) ? ": " : "",
		f->verdict == LJMM_PM_FOUND && ljmm_counters_detail(c) ? ljmm_counters_detail(c) : "");
}

void ljmm_counters_read(state_t *s)
{
	counters_t *c = &s->cnt, cand;
	ljmm_procmem_t pm;
	ljmm_procmem_found_t f;
	int err = 0;
	const char *none = NULL, *skipped = NULL;
	bool any = false, debug = getenv("LJMM_MAPS_DEBUG") && *getenv("LJMM_MAPS_DEBUG");
	size_t i;
	memset(c, 0, sizeof *c);
	s->linked = s->prog_note;
	if (!s->ljmm && !s->linked && !(s->ncand && s->cand_prog[0])) {
		c->status = CNT_NONE;
		return;
	}
	ljmm_procmem_init(&pm, s->dirfd);
	/* Two copies of the library (two paths) each have a probe, and so has a program
	 * with the shim linked in (a preloaded copy then stands aside). */
	for (i = 0; i < s->ncand; i++) {
		errno = 0;
		memset(&cand, 0, sizeof cand);
		ljmm_procmem_find_probe(&pm, &s->cand[i], &s->candmaps[i], &s->writable, !s->cand_prog[i], &f);
		if (s->cand_prog[i]) {
			/* Looked into because its file could not be read: only its note in
			 * memory says the shim is linked in; nothing else about it counts. */
			s->linked |= f.by_note;
			if (!s->linked) {
				if (debug)
					debug_candidate(s, &s->cand[i], &f, &cand);
				continue;
			}
		}
		switch (f.verdict) {
		case LJMM_PM_FOUND:
			errno = 0;
			take_probe(s, &pm, &f, &cand);
			break;
		case LJMM_PM_BAD:
			cand.status = CNT_BAD_PROBE;
			cand.why = f.why;
			break;
		case LJMM_PM_UNREADABLE:
			err = f.err;
			break;
		case LJMM_PM_SKIPPED:
			skipped = f.why;
			break;
		case LJMM_PM_NONE:
			none = f.why;
			break;
		}
		if (debug)
			debug_candidate(s, &s->cand[i], &f, &cand);
		if (f.verdict != LJMM_PM_FOUND && f.verdict != LJMM_PM_BAD)
			continue;
		/* Of two copies that both claim to serve (a library that never sets
		 * LJMM_PROBE_ASIDE), the one whose entry points the calls reached. */
		if (!any || counters_rank(&cand) < counters_rank(c) ||
		    (counters_rank(&cand) == counters_rank(c) && cand.status == CNT_READ &&
		     cand.st.mmap_calls > c->st.mmap_calls))
			*c = cand;
		any = true;
	}
	if (debug)
		fprintf(stderr,
			"ljmm-maps: debug: pid %ld: %zu objects examined, %zu more not (the cap is %d); "
			"/proc/PID/mem: %llu reads, %llu bytes\n",
			s->pid, s->ncand, s->cand_over, LJMM_PROCMEM_CANDIDATES, (unsigned long long)pm.reads,
			(unsigned long long)pm.bytes);
	ljmm_procmem_close(&pm);
	if (any)
		return;
	if (!s->ljmm && !s->linked) {
		c->status = CNT_NONE;
		return;
	}
	if (!s->ljmm && !(s->ncand && s->cand_prog[0])) {
		/* Linked in by its file's note, but no mapping of the program to read: no
		 * AT_PHDR (auxv unreadable) or none of the maps holds it. */
		c->status = CNT_UNREADABLE;
		c->why = "the program's mapping was not found (AT_PHDR)";
		return;
	}
	/* Nothing found: say why, the reason that most needs the operator first. */
	if (err) {
		c->status = CNT_UNREADABLE;
		c->err = err;
	} else if (skipped) {
		c->status = CNT_UNREADABLE;
		c->why = skipped;
	} else {
		c->status = CNT_NO_PROBE;
		c->why = none;
	}
}

/* A counter: false when unknown (not read, or past what this library's struct has). */
bool ljmm_counters_get(const counters_t *c, size_t off, uint64_t *v)
{
	if (c->status != CNT_READ || off + sizeof *v > c->known)
		return false;
	memcpy(v, (const char *)&c->st + off, sizeof *v);
	return true;
}

/* The counters' state as one word, and what goes with it (or NULL). */
const char *ljmm_counters_key(const counters_t *c)
{
	switch (c->status) {
	case CNT_NONE: return "n/a";
	case CNT_READ:
		return c->flags & LJMM_PROBE_OFF ? "off" : c->flags & LJMM_PROBE_ASIDE ? "aside" : "active";
	case CNT_UNREADABLE: return "unreadable";
	case CNT_NO_PROBE: return "no-probe";
	case CNT_BAD_PROBE: return "bad-probe";
	case CNT_NOT_STARTED: return "not-started";
	}
	return "?";
}

const char *ljmm_counters_detail(const counters_t *c)
{
	switch (c->status) {
	case CNT_READ:
		return c->flags & LJMM_PROBE_OFF     ? "LJMM_ENABLE=off"
		       : c->flags & LJMM_PROBE_ASIDE ? "another copy serves the process"
						     : NULL;
	case CNT_UNREADABLE: return c->why ? c->why : ljmm_errno_name(c->err);
	case CNT_NO_PROBE: return c->why ? c->why : "a library older than the probe";
	case CNT_BAD_PROBE: return c->why;
	case CNT_NOT_STARTED: return "the library is not initialised yet";
	default: return NULL;
	}
}
