/* SPDX-License-Identifier: MIT */
/* Counters, the probe that lets other processes read them, and the exit report (see
 * stats.h). */
#include "stats.h"

#include <stddef.h>
#include <string.h>

#include "internal.h"
#include "log.h"

/* Aligned so that the five per-call counters at its start share one cache line. In .data
 * (256 bytes more in the file, no page more): the guard's state reads "not decided" until
 * the constructor or the first region use decides it. */
ljmm_stats_t ljmm_stats_live __attribute__((aligned(64))) = {.guard_state = LJMM_GUARD_STATE_UNDECIDED};

/* Initialised, so in .data: the library's writable file mapping, where ljmm-maps looks
 * for it (probe.h). Not const: the constructor fills in the address and the flags. */
ljmm_probe_t ljmm_probe __attribute__((aligned(8))) = {
	LJMM_PROBE_MAGIC, LJMM_PROBE_LAYOUT, (uint32_t)sizeof(ljmm_stats_t), 0, 0, LJMM_VERSION,
};

_Static_assert(sizeof(ljmm_probe_t) == LJMM_PROBE_SIZE, "LJMM_PROBE_SIZE is sizeof(ljmm_probe_t)");

#define LJMM_STR_(x) #x
#define LJMM_STR(x) LJMM_STR_(x)
/* The note that tells ljmm-maps where the probe is (probe.h), in a section of its own
 * that the linker puts with the other SHT_NOTE sections into the PT_NOTE segment, in
 * the first, read-only mapping (GNU ld and lld place orphan note sections there).
 * The offset `ljmm_probe - .Lljmm_note_desc` is resolved by the linker (ljmm_probe is
 * hidden): the section needs no relocation at run time, and the library exports no new
 * symbol (library_symbols). */
__asm__(".pushsection .note.ljmm,\"a\",@note\n"
	"\t.balign 4\n"
	"\t.long 5\n"                      /* namesz: "ljmm" and its NUL */
	"\t.long " LJMM_STR(LJMM_NOTE_DESCSZ) "\n"
	"\t.long " LJMM_STR(LJMM_NOTE_PROBE) "\n"
	"\t.asciz \"" LJMM_NOTE_NAME "\"\n"
	"\t.balign 4\n"
	".Lljmm_note_desc:\t.long ljmm_probe - .Lljmm_note_desc\n"
	"\t.long " LJMM_STR(LJMM_PROBE_SIZE) "\n"
	"\t.popsection\n");

void ljmm_stats_publish(uint64_t flags)
{
	__atomic_store_n(&ljmm_probe.stats_addr, (uint64_t)(uintptr_t)&ljmm_stats_live, __ATOMIC_RELAXED);
	__atomic_store_n(&ljmm_probe.flags, flags, __ATOMIC_RELEASE);
}

void ljmm_stats_copy(ljmm_stats_t *out)
{
	const uint64_t *src = (const uint64_t *)&ljmm_stats_live;
	uint64_t *dst = (uint64_t *)out;
	for (size_t i = 0; i < sizeof *out / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* The report's LABEL=N fields, made from the registry (ljmm.h's LJMM_STATS). */
static const struct {
	const char *label;
	unsigned flags;
	size_t off;
} report_rows[] = {
#define ROW(field, label, flags, prom_name, prom_help, meaning) {label, flags, offsetof(ljmm_stats_t, field)},
	LJMM_STATS(ROW)
#undef ROW
};

/* Append the fields of one line (LJMM_STAT_CALLS or LJMM_STAT_REGION) in the registry's
 * order; those the report writes in its own words (LJMM_STAT_HAND) are left out. */
static void fields(ljmm_buf_t *b, const ljmm_stats_t *s, unsigned line)
{
	for (size_t i = 0; i < sizeof report_rows / sizeof report_rows[0]; i++) {
		unsigned flags = report_rows[i].flags;
		uint64_t v;
		if (!(flags & line) || (flags & LJMM_STAT_HAND))
			continue;
		memcpy(&v, (const char *)s + report_rows[i].off, sizeof v);
		if ((flags & LJMM_STAT_NONZERO) && !v)
			continue;
		if (flags & LJMM_STAT_MIB) {
			ljmm_buf_str(b, " (");
			ljmm_buf_mib(b, v);
			ljmm_buf_str(b, ")");
			continue;
		}
		ljmm_buf_str(b, " ");
		ljmm_buf_str(b, report_rows[i].label);
		ljmm_buf_str(b, "=");
		ljmm_buf_u64(b, v);
	}
}

void ljmm_stats_report(void)
{
	ljmm_stats_t s;
	char storage[512];
	ljmm_buf_t b;
	ljmm_stats_copy(&s);

	ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_NOTICE);
	ljmm_buf_str(&b, "calls:");
	fields(&b, &s, LJMM_STAT_CALLS);
	(void)ljmm_log_end(&b);

	ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_NOTICE);
	if (s.region_hi) {
		ljmm_buf_str(&b, "region [");
		ljmm_buf_hex(&b, s.region_lo);
		ljmm_buf_str(&b, ", ");
		ljmm_buf_hex(&b, s.region_hi);
		ljmm_buf_str(&b, "): in use ");
		ljmm_buf_mib(&b, s.region_in_use);
		ljmm_buf_str(&b, ", peak ");
		ljmm_buf_mib(&b, s.region_peak);
		fields(&b, &s, LJMM_STAT_REGION);
	} else {
		ljmm_buf_str(&b, "region: never needed (the kernel served every MAP_32BIT request)");
	}
	(void)ljmm_log_end(&b);

	ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_NOTICE);
	ljmm_buf_str(&b, "guard: ");
	switch (s.guard_state) {
	case LJMM_GUARD_STATE_OFF: ljmm_buf_str(&b, "off"); break;
	case LJMM_GUARD_STATE_PENDING:
		ljmm_buf_str(&b, "lazy, not placed (region never used)");
		if (s.guard_defaulted_lazy)
			ljmm_buf_str(&b, "; lazy by default: this glibc is older than any the guard was measured on");
		break;
	case LJMM_GUARD_STATE_PLACED: ljmm_buf_str(&b, "placed at "); ljmm_buf_hex(&b, s.guard_addr); break;
	case LJMM_GUARD_STATE_NOT_NEEDED: ljmm_buf_str(&b, "not needed (brk heap above 2 GiB)"); break;
	case LJMM_GUARD_STATE_OCCUPIED: ljmm_buf_str(&b, "not placed: a mapping already stands at "); ljmm_buf_hex(&b, s.guard_addr); break;
	case LJMM_GUARD_STATE_UNDECIDED:
		ljmm_buf_str(&b, "not decided (start-up could not take the region's lock, and the region was never used)");
		break;
	default: ljmm_buf_str(&b, "failed at "); ljmm_buf_hex(&b, s.guard_addr); break;
	}
	if (s.guard_reserve) {
		ljmm_buf_str(&b, ", reserve ");
		ljmm_buf_mib(&b, s.guard_reserve);
	}
	if (s.guard_defaulted_lazy && s.guard_state != LJMM_GUARD_STATE_PENDING)
		ljmm_buf_str(&b, " (lazy by default: this glibc is older than any the guard was measured on)");
	(void)ljmm_log_end(&b);
}
