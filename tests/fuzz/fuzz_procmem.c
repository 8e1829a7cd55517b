/* SPDX-License-Identifier: MIT */
/* Fuzz target for ljmm-maps's parsers of another process's bytes (tools/procmem.c):
 * the ELF header and program headers of an object's first mapping, its notes, and
 * mountinfo text.
 *
 * Input: byte 0 selects the parser (mod 3), byte 1 the note alignment (4 or 8), bytes
 * 2-3 the first mapping's length in pages (1..65536), the rest is the bytes. ELF: the
 * rest is read as the first mapping's start, the program headers taken from where the
 * header says (the input, clipped as a short read would be); every address the parsers
 * give lies in the first mapping (program headers) or after the bias (notes, writable
 * segments), none wraps. Notes: a found descriptor and its two words lie in the bytes,
 * a malformed note has a reason. Mountinfo: the type found lies in the text, on one
 * line, and the parse of each line agrees with the lookup for its device. */
#include <string.h>

#include "../../tools/procmem.h"
#include "fuzz.h"

#define MAP_START 0x7f0000000000ull

static void check_elf(const uint8_t *d, size_t n, uint64_t map_len)
{
	ljmm_procmem_obj_t o;
	size_t i;
	if (ljmm_procmem_parse_ehdr(d, n, MAP_START, map_len, &o))
		return;
	FUZZ_CHECK(o.ph_addr >= MAP_START && o.ph_len <= 4096 && o.ph_addr - MAP_START + o.ph_len <= map_len,
		   "program headers [%#llx, +%zu) outside the mapping", (unsigned long long)o.ph_addr, o.ph_len);
	{
		size_t off = (size_t)(o.ph_addr - MAP_START), len;
		if (off >= n)
			return;
		len = n - off < o.ph_len ? n - off : o.ph_len;
		if (ljmm_procmem_parse_phdrs(d + off, len - len % 56, MAP_START, &o))
			return;
	}
	FUZZ_CHECK(o.nnotes <= 4 && o.nwseg <= LJMM_PROCMEM_WSEG, "too many notes or segments");
	for (i = 0; i < o.nnotes; i++)
		FUZZ_CHECK(o.notes[i].start >= o.bias && o.notes[i].start < o.notes[i].end &&
				   (o.note_align[i] == 4 || o.note_align[i] == 8),
			   "note %zu wraps", i);
	for (i = 0; i < o.nwseg; i++)
		FUZZ_CHECK(o.wseg[i].start < o.wseg[i].end && o.wseg[i].start >= o.bias, "segment %zu wraps", i);
}

static void check_notes(const uint8_t *d, size_t n, unsigned align)
{
	size_t off = 0;
	int32_t poff;
	uint32_t psize;
	const char *why = NULL;
	int r = ljmm_procmem_parse_notes(d, n, align, &off, &poff, &psize, &why);
	FUZZ_CHECK(r >= -1 && r <= 1, "returned %d", r);
	if (r == 1)
		FUZZ_CHECK(off >= 20 && off <= n && n - off >= 8 && off % align == 0, "descriptor at %zu of %zu", off, n);
	if (r == -1)
		FUZZ_CHECK(why != NULL, "no reason");
}

static void check_mounts(const uint8_t *d, size_t n)
{
	char *text = malloc(n + 1);
	const char *line, *nl;
	FUZZ_CHECK(text != NULL, "out of memory");
	memcpy(text, d, n);
	text[n] = 0;
	for (line = text; *line; line = nl ? nl + 1 : line + strlen(line)) {
		unsigned ma, mi;
		const char *t, *u;
		size_t tl, ul;
		nl = strchr(line, '\n');
		if (!ljmm_procmem_parse_mount(line, &ma, &mi, &t, &tl) || (nl && t >= nl))
			continue;
		FUZZ_CHECK(tl > 0 && t >= line && t + tl <= text + strlen(text), "type outside the text");
		u = ljmm_procmem_mount_fstype(text, ma, mi, &ul);
		FUZZ_CHECK(u != NULL && u <= t, "device %u:%u of a line not found, or found after it", ma, mi);
		(void)ljmm_procmem_fs_may_block(t, tl);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_in_t in = {data, size};
	unsigned which = fuzz_u8(&in) % 3, align = fuzz_u8(&in) & 1 ? 8 : 4;
	uint64_t map_len = ((uint64_t)fuzz_u16(&in) + 1) * 4096;
	switch (which) {
	case 0: check_elf(in.p, in.n, map_len); break;
	case 1: check_notes(in.p, in.n, align); break;
	default: check_mounts(in.p, in.n); break;
	}
	return 0;
}
