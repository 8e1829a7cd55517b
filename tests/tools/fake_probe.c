/* SPDX-License-Identifier: MIT */
/* Test helper for ljmm-maps's counter reader: a process that looks, from outside, as if
 * it had copies of libljmm_preload.so mapped, with probes made to order, so that every
 * way a probe can be wrong is tried against the reader (ctest tools_fleet_probe,
 * tools_fleet_flood).
 *
 * For each MODE it writes a file DIR/libljmm_preload.so.fakeN laid out as the library
 * is: three pages, an ELF object whose first page (mapped read-only at file offset 0)
 * holds the ELF header, the program headers and the ljmm note (shim/probe.h), whose
 * second and third pages are its writable segment (mapped private and writable: the
 * "rw-p" line the real library's data has), the probe at offset 64 of the second page
 * unless the mode says otherwise and the counters in the third, field k holding
 * 1000 * N + k. It prints "ready" and waits for a signal (at most 120 s).
 *
 * Modes: active, aside, off (the flags); nomagic (no note and no probe: an older
 * library); nonote (a probe but no note: 0.1.0, found by the scan); notelf (no ELF
 * header); badnote (the note points where there is no magic); noteout (the note points
 * into the read-only first page); noteaway (the PT_NOTE header names an address past the
 * file's mappings); misaligned (the probe at offset 68, the note pointing
 * there); layout (layout 99); notstarted (flags 0, no address); huge (stats_size 1 MiB);
 * short (stats_size 48: six fields, the rest unknown); long (stats_size 64 bytes past
 * ours, which the reader ignores); outside (the counters' address in a read-only
 * mapping); other (the counters in this program's own writable .bss: another object);
 * misaddr (the counters' address not 8-aligned).
 * Usage: fake_probe [-n COPIES] DIR MODE...: with -n, each file is mapped COPIES times
 * (the same file: one device and inode), each copy set up as above. */
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/testutil.h"
#include "../../include/ljmm.h"
#include "../../shim/probe.h"

#define FILE_SIZE (3 * PAGE)
#define MAX_MODES 16
#define NOTE_OFF (sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr))
#define NOTE_DESC (NOTE_OFF + 12 + 8) /* after namesz, descsz, type and "ljmm\0" padded */

/* Room for an ljmm_stats_t and 64 bytes more, for "long"; in .bss, for "other". */
static uint64_t counters[sizeof(ljmm_stats_t) / 8 + 8] __attribute__((aligned(64)));

static int is(const char *mode, const char *name)
{
	return !strcmp(mode, name);
}

/* The file's first page: the ELF header, the program headers and (unless the mode says
 * not) the note pointing at the probe at offset off of the second page. */
static void elf_page(char *page, const char *mode, size_t off)
{
	Elf64_Ehdr e;
	Elf64_Phdr ph[3];
	uint32_t note[5] = {5, 8, 0x6c6a0001u, 0, 0};
	int32_t rel = (int32_t)(PAGE + off) - (int32_t)NOTE_DESC;
	memset(&e, 0, sizeof e);
	memcpy(e.e_ident, ELFMAG, SELFMAG);
	e.e_ident[EI_CLASS] = ELFCLASS64;
	e.e_ident[EI_DATA] = ELFDATA2LSB;
	e.e_ident[EI_VERSION] = EV_CURRENT;
	e.e_type = ET_DYN;
	e.e_machine = EM_X86_64;
	e.e_version = EV_CURRENT;
	e.e_phoff = sizeof e;
	e.e_ehsize = sizeof e;
	e.e_phentsize = sizeof(Elf64_Phdr);
	e.e_phnum = 3;
	memset(ph, 0, sizeof ph);
	ph[0].p_type = PT_LOAD, ph[0].p_flags = PF_R, ph[0].p_filesz = ph[0].p_memsz = PAGE, ph[0].p_align = PAGE;
	ph[1].p_type = PT_LOAD, ph[1].p_flags = PF_R | PF_W, ph[1].p_offset = ph[1].p_vaddr = PAGE;
	ph[1].p_filesz = ph[1].p_memsz = 2 * PAGE, ph[1].p_align = PAGE;
	ph[2].p_type = PT_NOTE, ph[2].p_flags = PF_R, ph[2].p_offset = ph[2].p_vaddr = NOTE_OFF;
	ph[2].p_filesz = ph[2].p_memsz = sizeof note + 8, ph[2].p_align = 4;
	if (is(mode, "noteaway"))
		ph[2].p_vaddr = 5 * PAGE;
	memcpy(page, &e, sizeof e);
	memcpy(page + sizeof e, ph, sizeof ph);
	if (is(mode, "nomagic") || is(mode, "nonote"))
		return;
	if (is(mode, "noteout"))
		rel = -(int32_t)NOTE_DESC + 512; /* the first page: read-only */
	memcpy(note + 3, "ljmm", 4);
	memcpy(page + NOTE_OFF, note, sizeof note);
	memcpy(page + NOTE_DESC, &rel, sizeof rel);
	memcpy(page + NOTE_DESC + 4, &(uint32_t){LJMM_PROBE_SIZE}, 4);
}

/* One copy of file n mapped and its probe and counters written in the process. */
static int map_copy(int fd, int n, const char *mode, size_t off)
{
	ljmm_probe_t p;
	uint64_t *cnt;
	size_t k;
	char *map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED || mprotect(map, PAGE, PROT_READ))
		return -1;
	cnt = (uint64_t *)(map + 2 * PAGE);
	if (is(mode, "other"))
		cnt = counters;
	for (k = 0; k < sizeof counters / 8; k++)
		cnt[k] = 1000u * (unsigned)n + k;
	memset(&p, 0, sizeof p);
	memcpy(p.magic, LJMM_PROBE_MAGIC, LJMM_PROBE_MAGIC_LEN);
	p.layout = LJMM_PROBE_LAYOUT;
	p.stats_size = sizeof(ljmm_stats_t);
	p.flags = LJMM_PROBE_ACTIVE;
	snprintf(p.version, sizeof p.version, "fake%d", n);
	p.stats_addr = (uint64_t)(uintptr_t)cnt;
	if (is(mode, "aside"))
		p.flags |= LJMM_PROBE_ASIDE;
	else if (is(mode, "off"))
		p.flags |= LJMM_PROBE_OFF;
	else if (is(mode, "layout"))
		p.layout = 99;
	else if (is(mode, "notstarted"))
		p.flags = 0, p.stats_addr = 0;
	else if (is(mode, "huge"))
		p.stats_size = 1u << 20;
	else if (is(mode, "short"))
		p.stats_size = 48;
	else if (is(mode, "long"))
		p.stats_size = sizeof(ljmm_stats_t) + 64;
	else if (is(mode, "misaddr"))
		p.stats_addr += 4;
	else if (is(mode, "outside")) {
		void *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ro == MAP_FAILED)
			return -1;
		p.stats_addr = (uint64_t)(uintptr_t)ro;
	}
	if (!is(mode, "nomagic") && !is(mode, "badnote"))
		memcpy(map + PAGE + off, &p, sizeof p);
	return 0;
}

static int fake(const char *dir, int n, const char *mode, long copies)
{
	static const char *const modes[] = {"active", "aside", "off", "nomagic", "nonote", "notelf", "badnote",
					    "noteout", "noteaway", "misaligned", "layout", "notstarted", "huge", "short", "long",
					    "outside", "other", "misaddr"};
	char path[4096], page[PAGE];
	size_t off = is(mode, "misaligned") ? 68 : 64, i;
	long c;
	int fd;
	for (i = 0; i < sizeof modes / sizeof modes[0] && !is(mode, modes[i]); i++)
		;
	if (i == sizeof modes / sizeof modes[0]) {
		fprintf(stderr, "fake_probe: unknown mode '%s'\n", mode);
		return -1;
	}
	memset(page, 0, sizeof page);
	if (!is(mode, "notelf"))
		elf_page(page, mode, off);
	snprintf(path, sizeof path, "%s/libljmm_preload.so.fake%d", dir, n);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, page, sizeof page) != (ssize_t)sizeof page || ftruncate(fd, FILE_SIZE)) {
		perror(path);
		return -1;
	}
	for (c = 0; c < copies; c++)
		if (map_copy(fd, n, mode, off)) {
			perror("mmap");
			close(fd);
			return -1;
		}
	close(fd);
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	long copies = 1;
	int i, first = 1;
	if (argc > 2 && !strcmp(argv[1], "-n")) {
		copies = strtol(argv[2], NULL, 10);
		first = 3;
	}
	if (copies < 1 || copies > 100000 || argc - first < 2 || argc - first - 1 > MAX_MODES) {
		fprintf(stderr, "usage: fake_probe [-n COPIES] DIR MODE... (at most %d modes)\n", MAX_MODES);
		return 2;
	}
	for (i = first + 1; i < argc; i++)
		if (fake(argv[first], i - first - 1, argv[i], copies))
			return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	alarm(120);
	for (;;)
		pause();
}
