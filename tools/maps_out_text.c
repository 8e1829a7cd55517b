/* SPDX-License-Identifier: MIT */
/* ljmm-maps's outputs for people and scripts: the picture of one process's low 2 GiB
 * with its totals, the same as JSON, and the rows of several processes as a table or
 * a JSON array; and the encodings that make untrusted names (command names, paths)
 * safe in each. The counters' part of each is in maps_out_counters.c. */
#include <inttypes.h>
#include <string.h>

#include "maps.h"

/* ---- text encodings of untrusted names ---- */

/* The UTF-8 character at s (n > 0 bytes left): its length with *cp set, or 0 when the
 * bytes are not valid UTF-8, with *bad the length of the maximal invalid prefix (at
 * least 1), which becomes one U+FFFD (Unicode's "maximal subpart" practice). Overlong
 * forms, surrogates and values above U+10FFFF are invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp, size_t *bad)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, v = c & 0x0f, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, v = c & 0x07, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else {
		*bad = 1;
		return 0;
	}
	for (i = 1; i < len; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		v = v << 6 | (s[i] & 0x3f);
		lo = 0x80, hi = 0xbf;
	}
	*cp = v;
	return len;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

/* Writes an untrusted string (a command name, a path) in one form; returns the
 * characters written (one for each escape or replacement). */
size_t ljmm_out_text(const char *str, enum text_form form)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t n = strlen(str), shown = 0;
	while (n) {
		uint32_t cp = 0;
		size_t bad = 0, len = utf8_next(p, n, &cp, &bad);
		shown++;
		if (form >= TEXT_TERM) {
			if (!len || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (form == TEXT_WORD && cp == ' '))
				putchar('?');
			else
				fwrite(p, 1, len, stdout);
		} else if (!len)
			fputs(REPLACEMENT, stdout);
		else if (cp == '"' || cp == '\\')
			printf("\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", stdout);
		else if (form == TEXT_JSON && cp == '\t')
			fputs("\\t", stdout);
		else if (form == TEXT_JSON && (cp < 0x20 || cp == 0x7f))
			printf("\\u%04x", (unsigned)cp);
		else
			fwrite(p, 1, len, stdout);
		len = len ? len : bad;
		p += len, n -= len;
	}
	return shown;
}

void ljmm_out_json_string(const char *str)
{
	putchar('"');
	ljmm_out_text(str, TEXT_JSON);
	putchar('"');
}

/* ,"abi":"x86_64" (null when not known: a maps file). */
static void json_abi(enum abi a)
{
	printf(",\"abi\":");
	if (a == ABI_UNKNOWN)
		printf("null");
	else
		printf("\"%s\"", ljmm_abi_name[a]);
}

/* ---- output ---- */

double ljmm_out_mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

/* A 32-bit process instead of a picture: one line. */
void ljmm_out_32bit(const state_t *s)
{
	printf("pid %ld (", s->pid);
	ljmm_out_text(s->comm[0] ? s->comm : "?", TEXT_TERM);
	printf("): a 32-bit process (%s): its whole address space lies below 4 GiB, so it has no low-2-GiB limit "
	       "(MAP_32BIT and the shim are for x86-64 processes)\n",
	       ABI_WHAT(s->abi));
}

void ljmm_out_picture(const state_t *s)
{
	size_t i;
	int c;
	if (s->pid >= 0) {
		printf("pid %ld (", s->pid);
		ljmm_out_text(s->comm[0] ? s->comm : "?", TEXT_TERM);
		printf(")  libljmm_preload: %s  shim: %s", s->ljmm ? "yes" : "no",
		       ljmm_shim_form_name[SHIM_FORM(s->ljmm, s->linked)]);
		if (s->vmsize_kb >= 0)
			printf("  VmSize %.1f MiB", (double)s->vmsize_kb / 1024.0);
		if (s->vmrss_kb >= 0)
			printf("  VmRSS %.1f MiB", (double)s->vmrss_kb / 1024.0);
		printf("  mappings %zu\n", s->nmaps);
	} else {
		printf("maps file ");
		ljmm_out_text(s->maps_path, TEXT_TERM);
		printf("  libljmm_preload: %s  shim: %s  mappings %zu\n", s->ljmm ? "yes" : "no",
		       ljmm_shim_form_name[SHIM_FORM(s->ljmm, s->linked)], s->nmaps);
	}
	printf("low 2 GiB, one character = 16 MiB:\n");
	for (i = 0; i < NCELLS; i++) {
		if (i % COLS == 0)
			printf("  0x%08" PRIx64 " ", (uint64_t)i * CELL);
		putchar(ljmm_classify_cell(s, i));
		if (i % COLS == COLS - 1)
			putchar('\n');
	}
	printf("  K kernel MAP_32BIT window  R shim region  H brk heap  G guard  F file/program  . free\n");
	printf("totals below 2 GiB:\n");
	for (c = 0; c < C_N; c++) {
		printf("  %c %-14s %8.1f MiB", ljmm_cls_char[c], ljmm_cls_name[c], ljmm_out_mib(s->total[c]));
		if (c == C_HEAP && s->have_heap && s->heap_start == s->heap_end)
			printf("  empty, the break at 0x%" PRIx64, s->heap_end);
		else if (c == C_HEAP && s->have_heap)
			printf("  [0x%" PRIx64 ", 0x%" PRIx64 ")", s->heap_start, s->heap_end);
		if (c == C_GUARD) {
			/* Placed by the probe's word, a guard may be below the heap or have none
			 * known to measure from. */
			if (s->have_guard && s->have_heap && s->guard_addr >= s->heap_end)
				printf("  one page at 0x%" PRIx64 ", %" PRIu64 " KiB above the heap", s->guard_addr,
				       (s->guard_addr - s->heap_end) >> 10);
			else if (s->have_guard)
				printf("  one page at 0x%" PRIx64, s->guard_addr);
			else
				printf("  none");
		}
		if (c == C_FREE)
			printf("  largest hole %.1f MiB at [0x%" PRIx64 ", 0x%" PRIx64 ")", ljmm_out_mib(s->hole_size), s->hole_start,
			       s->hole_start + s->hole_size);
		putchar('\n');
	}
	if (s->pid >= 0)
		ljmm_out_counters_text(&s->cnt);
}


void ljmm_out_json(const state_t *s)
{
	/* Added after the fields of 0.1.0, so that their order stays. */
	const char *shim = ljmm_shim_form_name[SHIM_FORM(s->ljmm, s->linked)];
	size_t i;
	int c;
	if (s->pid >= 0)
		printf("{\"pid\":%ld,\"comm\":", s->pid), ljmm_out_json_string(s->comm);
	else
		printf("{\"pid\":null,\"maps_file\":"), ljmm_out_json_string(s->maps_path);
	json_abi(s->abi);
	printf(",\"ljmm_mapped\":%s,\"mappings\":%zu,\"bytes\":", s->ljmm ? "true" : "false", s->nmaps);
	if (ABI_IS_32(s->abi)) {
		/* Nothing of the low 2 GiB means anything here (ljmm_out_32bit). */
		printf("null,\"heap\":null,\"guard\":null,\"largest_free\":null,\"picture\":null,\"shim\":\"%s\",\"counters\":",
		       shim);
		ljmm_out_counters_json(&s->cnt);
		printf("}\n");
		return;
	}
	putchar('{');
	for (c = 0; c < C_N; c++)
		printf("%s\"%s\":%" PRIu64, c ? "," : "", ljmm_cls_key[c], s->total[c]);
	printf("},\"heap\":");
	if (s->have_heap)
		printf("{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\"}", s->heap_start, s->heap_end);
	else
		printf("null");
	printf(",\"guard\":");
	if (s->have_guard)
		printf("\"0x%" PRIx64 "\"", s->guard_addr);
	else
		printf("null");
	printf(",\"largest_free\":{\"start\":\"0x%" PRIx64 "\",\"bytes\":%" PRIu64 "},\"picture\":[\"", s->hole_start,
	       s->hole_size);
	for (i = 0; i < NCELLS; i++) {
		putchar(ljmm_classify_cell(s, i));
		if (i % COLS == COLS - 1)
			printf(i + 1 < NCELLS ? "\",\"" : "\"");
	}
	printf("],\"shim\":\"%s\",\"counters\":", shim);
	if (s->pid >= 0)
		ljmm_out_counters_json(&s->cnt);
	else
		printf("null");
	printf("}\n");
}

void ljmm_out_table(const row_t *rows, size_t n)
{
	size_t i, shown;
	printf("%-8s %-15s %-4s %10s %10s %9s %9s %8s", "PID", "COMMAND", "SHIM", "KERNEL_MIB", "REGION_MIB", "FREE_MIB",
	       "HOLE_MIB", "USED_PCT");
	ljmm_out_counters_table_head();
	printf(" %s\n", "COUNTERS");
	for (i = 0; i < n; i++) {
		const row_t *r = &rows[i];
		const char *detail = ljmm_counters_detail(&r->cnt);
		/* One word, as the column has always been "yes" for the preload library. */
		static const char *const shims[] = {"no", "yes", "link", "both"};
		const char *shim = shims[SHIM_FORM(r->ljmm, r->linked)];
		printf("%-8ld ", r->pid);
		shown = ljmm_out_text(r->comm[0] ? r->comm : "?", TEXT_WORD);
		printf("%*s ", shown < 15 ? (int)(15 - shown) : 0, "");
		if (r->maps_err)
			printf("%-4s %10s %10s %9s %9s %8s", "?", "-", "-", "-", "-", "-");
		else if (ABI_IS_32(r->abi))
			printf("%-4s %10s %10s %9s %9s %8s", shim, "-", "-", "-", "-", "-");
		else
			printf("%-4s %10.1f %10.1f %9.1f %9.1f %8.1f", shim, ljmm_out_mib(r->kernel),
			       ljmm_out_mib(r->region), ljmm_out_mib(r->free_bytes), ljmm_out_mib(r->hole),
			       100.0 * ljmm_classify_used_ratio(r));
		ljmm_out_counters_table_row(&r->cnt);
		if (ABI_IS_32(r->abi))
			printf(" 32-bit (%s: no low-2-GiB limit)\n", ABI_WHAT(r->abi));
		else {
			printf(" %s", ljmm_counters_key(&r->cnt));
			if (detail)
				printf(" (%s)", detail);
			putchar('\n');
		}
	}
}

void ljmm_out_json_rows(const row_t *rows, size_t n)
{
	size_t i;
	putchar('[');
	for (i = 0; i < n; i++) {
		const row_t *r = &rows[i];
		printf("%s\n{\"pid\":%ld,\"comm\":", i ? "," : "", r->pid);
		ljmm_out_json_string(r->comm);
		json_abi(r->abi);
		if (r->maps_err) {
			printf(",\"maps\":\"unreadable\",\"maps_error\":\"%s\",\"ljmm_mapped\":null,\"bytes\":null,"
			       "\"largest_free_bytes\":null,\"used_ratio\":null",
			       ljmm_errno_name(r->maps_err));
		} else if (ABI_IS_32(r->abi)) {
			printf(",\"maps\":\"read\",\"maps_error\":null,\"ljmm_mapped\":%s,\"bytes\":null,"
			       "\"largest_free_bytes\":null,\"used_ratio\":null",
			       r->ljmm ? "true" : "false");
		} else {
			printf(",\"maps\":\"read\",\"maps_error\":null,\"ljmm_mapped\":%s,\"bytes\":{\"kernel\":%" PRIu64
			       ",\"region\":%" PRIu64 ",\"free\":%" PRIu64 "},\"largest_free_bytes\":%" PRIu64
			       ",\"used_ratio\":%.6f",
			       r->ljmm ? "true" : "false", r->kernel, r->region, r->free_bytes, r->hole, ljmm_classify_used_ratio(r));
		}
		/* After the fields of 0.1.0; null where the maps could not be read. */
		if (r->maps_err)
			printf(",\"shim\":null");
		else
			printf(",\"shim\":\"%s\"", ljmm_shim_form_name[SHIM_FORM(r->ljmm, r->linked)]);
		printf(",\"counters\":");
		ljmm_out_counters_json(&r->cnt);
		putchar('}');
	}
	printf("%s]\n", n ? "\n" : "");
}
