/* SPDX-License-Identifier: MIT */
/* A fake kernel behind shim/sys.h (see fake_kernel.h): the policy's unit tests link this
 * instead of shim/sys.c.
 *
 * The model is a sorted array of mappings (VMAs) with the attributes the shim's decisions
 * depend on. Its semantics are the specification the tests hold the shim to, so each is
 * the kernel's, checked on Linux 6.18 (x86-64) with small programs, and test_fake.c runs
 * the same scripted calls against the real kernel and this model and compares them:
 *
 * mmap   - EBADF for a descriptor that is not a mappable file comes first, before EINVAL
 *          for a zero length (do_mmap runs after fget in ksys_mmap_pgoff); an offset not
 *          page-aligned is EINVAL; a length that overflows page rounding is ENOMEM.
 *        - MAP_FIXED / MAP_FIXED_NOREPLACE: EINVAL if the address is not page-aligned,
 *          ENOMEM past TASK_SIZE, EPERM below vm.mmap_min_addr (security_mmap_addr);
 *          then NOREPLACE fails with EEXIST on any overlap.
 *        - A hint is rounded down to a page and raised to mmap_min_addr
 *          (round_hint_to_min), and taken when the range is free. With MAP_32BIT it is
 *          taken only when the range also ends at or below 2 GiB (anywhere below: a hint
 *          of 256 MiB is honoured); otherwise MAP_32BIT searches bottom-up from a start
 *          in [1 GiB, 1 GiB + 32 MiB) - random per call in the kernel, settable here,
 *          1 GiB by default - to 2 GiB, first fit, and answers ENOMEM when nothing above
 *          that start fits, even if room is left below it (arch_get_unmapped_area).
 *        - Only then: EINVAL without MAP_SHARED/MAP_PRIVATE, EACCES for a shared writable
 *          mapping of a read-only file, and ENOMEM past RLIMIT_AS. So with a full window a
 *          MAP_32BIT call with bad flags says ENOMEM, and the same call placed with
 *          MAP_FIXED_NOREPLACE in free room says EINVAL/EACCES (measured): the shim's
 *          placement makes the kernel judge the arguments.
 *        - Before Linux 4.17 (fk_set_noreplace_is_hint) MAP_FIXED_NOREPLACE is ignored:
 *          the address is a hint.
 * munmap - EINVAL for an unaligned address or a zero length; unmapping holes is fine.
 * mremap - EINVAL for unknown flags, an unaligned address, a zero new length, FIXED or
 *          DONTUNMAP without MAYMOVE, DONTUNMAP with two lengths, an unaligned or
 *          overlapping new address; EFAULT when no mapping holds the old address.
 *        - Without FIXED: shrinking unmaps the tail (holes in it are fine) and equal
 *          lengths change nothing (even over holes: the kernel does not look); growing
 *          needs the old range inside one mapping, in place when it ends that mapping and
 *          the pages after it are free, else moved with MAYMOVE, else ENOMEM. DONTUNMAP
 *          takes new_addr as a hint and leaves the old range mapped.
 *        - FIXED: the destination is unmapped first. Linux 6.17 moves a range of equal
 *          lengths that spans several mappings and holes (it must start in a mapping; the
 *          holes stay holes), DONTUNMAP included; with other lengths the part that moves
 *          must lie inside one mapping (EFAULT).
 *        - old_len 0 duplicates a shared mapping (EINVAL for a private one).
 * mincore - EINVAL for an unaligned address; walks the range one mapping at a time,
 *          writing each mapping's vec bytes (0 here: nothing is resident in the model)
 *          before looking at the next, and fails with ENOMEM at the first unmapped page.
 * madvise - mapping by mapping (madvise_walk_vmas): the advice applies to each mapped part
 *          in turn; MADV_WIPEONFORK on a file or shared mapping stops the walk with EINVAL
 *          (the parts before it keep the advice); holes make the answer ENOMEM, after the
 *          mapped parts were advised.
 * /proc  - /proc/self/maps is the model's mappings as text, made when it is opened (the
 *          kernel makes it as it is read; fk_map_hidden models a mapping missed by a read
 *          in progress); /proc/sys/vm/mmap_min_addr reads a settable text.
 *
 * Where it simplifies, on purpose:
 * - Mappings the fake places without a usable hint and without MAP_32BIT: anonymous ones
 *   get real memory from the real kernel (the shim writes into such pages: its lock page),
 *   at whatever high address it gives; file mappings and moved mappings are placed
 *   top-down below FK_TOP (4 GiB), where the kernel would use its mmap_base far above.
 *   Either way they land above the region, which is all the shim can observe. Hints at or
 *   above FK_TOP are ignored. Mappings the model places itself (fixed, hinted, MAP_32BIT,
 *   moved) are bookkeeping only and must lie below FK_TOP; the shim never touches them.
 * - Adjacent mappings merge, as the kernel's do, when both are anonymous and private (or
 *   map a file at contiguous offsets) with the same protection and flags; shared
 *   anonymous mappings and those with real memory never merge.
 * - Huge pages only as files (fk_file_hugetlb: an MFD_HUGETLB memfd): the length rounded up
 *   to 2 MiB, EINVAL for a fixed address not 2 MiB aligned or a munmap that would cut one;
 *   the searches do not align them. MAP_HUGETLB is ENOMEM (a machine with none configured).
 *   MAP_SHARED_VALIDATE: EINVAL when anonymous, EOPNOTSUPP for flags beyond the legacy set.
 * - No
 *   stack guard gap next to MAP_GROWSDOWN mappings, no vm.max_map_count.
 * - CLOCK_MONOTONIC_COARSE is CLOCK_MONOTONIC (the kernel's lags by up to a tick).
 * - A futex wait with a timeout never blocks: it returns at once with the clock moved on
 *   by the timeout (ETIMEDOUT), or 0 if the hook changed the word. Without a timeout it is
 *   a real futex wait on the real word, woken by the real thread that changes it.
 * - sigaltstack is disabled unless a test asks for the real one; tgkill only answers
 *   signal 0, from the thread set the test controls.
 * - Mappings with real memory cannot be moved or resized (the model aborts). */
#include "../lib/testutil.h"
#include "fake_kernel.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_VMAS 16384
#define MAX_FDS 64
#define FD_BASE 3
#define CAPTURE 65536
#define MAX_THREADS 16
#define TWO_G ((uintptr_t)1 << 31)
#define MAP_TYPE_BITS 0x03
#define FK_HUGE ((uintptr_t)2 << 20)
/* include/linux/mman.h, as shim/place.c has it. */
#define FK_LEGACY_MAP_MASK                                                                                 \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_GROWSDOWN | \
	 MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT |          \
	 MAP_ABOVE4G | (21 << MAP_HUGE_SHIFT) | (30 << MAP_HUGE_SHIFT))
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

typedef struct {
	uintptr_t start, end;
	int prot;
	int flags;      /* MAP_SHARED/PRIVATE, MAP_ANONYMOUS, MAP_NORESERVE, MAP_GROWSDOWN */
	int file;       /* fake file id, -1 for anonymous */
	uint64_t off;   /* file offset of start */
	unsigned char backed, wipe, hidden, huge;
	char name[32];
} vma_t;

enum { FD_NONE = 0, FD_MAPS, FD_SYSCTL, FD_LOG, FD_FILE };

typedef struct {
	int kind;
	int writable;
	int file; /* FD_FILE: its id */
	int hugetlb; /* FD_FILE: on hugetlbfs (2 MiB pages) */
	char *text;
	size_t len, pos;
} fd_t;

typedef struct {
	char text[CAPTURE];
	size_t len;
} capture_t;

static struct {
	int ready;
	vma_t v[MAX_VMAS];
	size_t n;
	fd_t fds[MAX_FDS];
	int next_file;
	int noreplace_is_hint, multi_move, altstack;
	uintptr_t map32_start, mmap_min;
	char min_text[64];
	int min_text_set, min_unreadable;
	uintptr_t brk_start, brk_cur;
	uint64_t as_limit;
	const char *libc_version;
	int fail_next[FK_SYS_COUNT], fail_always[FK_SYS_COUNT];
	struct {
		int err; /* 0: none armed */
		uintptr_t addr;
	} fail_at[FK_SYS_COUNT];
	struct {
		int err, kind; /* kind: FD_MAPS or FD_SYSCTL */
		size_t at;
	} fail_read;
	struct {
		int err; /* for descriptor 2 */
		size_t at;
	} fail_write;
	char fail_prefix[128];
	int fail_prefix_on, fail_prefix_err;
	size_t read_chunk, write_chunk;
	fk_mmap_hook_t mmap_hook;
	void *mmap_ctx;
	fk_futex_hook_t futex_hook;
	void *futex_ctx;
	fk_call_hook_t call_hook[FK_SYS_COUNT];
	void *call_ctx[FK_SYS_COUNT];
	int min_err;
	int copy_fd;
	uint64_t now;
	long pid;
	long alive[MAX_THREADS];
	long procs[MAX_THREADS]; /* other live processes (thread group leaders) */
	capture_t err, log;
} fk;

static __thread long self_tid;

fk_counts_t fk_count;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("fake kernel: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static uintptr_t page_up(uintptr_t a)
{
	uintptr_t r = (a + PAGE - 1) & ~(PAGE - 1);
	return r < a ? 0 : r;
}

static int aligned(uintptr_t a) { return (a & (PAGE - 1)) == 0; }

static void ready(void)
{
	if (!fk.ready)
		fk_reset();
}

/* The real kernel, for the memory the shim writes into. */
static long real_mmap(size_t len, int prot, int flags)
{
	long r = syscall(SYS_mmap, NULL, len, prot, flags & (MAP_TYPE_BITS | MAP_ANONYMOUS | MAP_NORESERVE), -1, 0);
	return r == -1 ? -errno : r;
}

static void real_munmap(uintptr_t start, uintptr_t end)
{
	if (syscall(SYS_munmap, start, end - start) != 0)
		die("real munmap [%#lx, %#lx): %s", (unsigned long)start, (unsigned long)end, strerror(errno));
}

/* ---- the mapping array ----------------------------------------------------------- */

/* Index of the first mapping that ends after a (fk.n when none). */
static size_t first_after(uintptr_t a)
{
	size_t lo = 0, hi = fk.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fk.v[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int range_free(uintptr_t start, uintptr_t end)
{
	size_t i = first_after(start);
	return i == fk.n || fk.v[i].start >= end;
}

/* The mapping holding a, or NULL. */
static vma_t *vma_at(uintptr_t a)
{
	size_t i = first_after(a);
	return i < fk.n && fk.v[i].start <= a ? &fk.v[i] : NULL;
}

static uint64_t overlap_bytes(uintptr_t start, uintptr_t end)
{
	uint64_t t = 0;
	for (size_t i = first_after(start); i < fk.n && fk.v[i].start < end; i++) {
		uintptr_t s = fk.v[i].start > start ? fk.v[i].start : start;
		uintptr_t e = fk.v[i].end < end ? fk.v[i].end : end;
		t += e - s;
	}
	return t;
}

static int mergeable(const vma_t *a, const vma_t *b)
{
	if (a->end != b->start || a->backed || b->backed || a->hidden || b->hidden)
		return 0;
	if (a->prot != b->prot || a->flags != b->flags || a->file != b->file || a->wipe != b->wipe ||
	    strcmp(a->name, b->name) != 0)
		return 0;
	if (a->file < 0)
		return (a->flags & MAP_TYPE_BITS) == MAP_PRIVATE; /* each shared anonymous mapping is its own object */
	return a->off + (a->end - a->start) == b->off;
}

static void merge_around(size_t i)
{
	if (i + 1 < fk.n && mergeable(&fk.v[i], &fk.v[i + 1])) {
		fk.v[i].end = fk.v[i + 1].end;
		memmove(&fk.v[i + 1], &fk.v[i + 2], (fk.n - i - 2) * sizeof(vma_t));
		fk.n--;
	}
	if (i > 0 && mergeable(&fk.v[i - 1], &fk.v[i])) {
		fk.v[i - 1].end = fk.v[i].end;
		memmove(&fk.v[i], &fk.v[i + 1], (fk.n - i - 1) * sizeof(vma_t));
		fk.n--;
	}
}

/* Insert m, whose range must be free. */
static void insert(const vma_t *m)
{
	size_t i = first_after(m->start);
	if (m->start >= m->end || !range_free(m->start, m->end))
		die("insert of [%#lx, %#lx) over a mapping", (unsigned long)m->start, (unsigned long)m->end);
	if (!m->backed && m->end > FK_TOP)
		die("a mapping without real memory at [%#lx, %#lx), above the model's 4 GiB", (unsigned long)m->start,
		    (unsigned long)m->end);
	if (fk.n == MAX_VMAS)
		die("more than %d mappings", MAX_VMAS);
	memmove(&fk.v[i + 1], &fk.v[i], (fk.n - i) * sizeof(vma_t));
	fk.v[i] = *m;
	fk.n++;
	merge_around(i);
}

/* Split the mapping that strictly contains a, if any, at a. */
static void split_at(uintptr_t a)
{
	size_t i = first_after(a);
	vma_t *m;
	if (i == fk.n || fk.v[i].start >= a)
		return;
	if (fk.n == MAX_VMAS)
		die("more than %d mappings", MAX_VMAS);
	memmove(&fk.v[i + 1], &fk.v[i], (fk.n - i) * sizeof(vma_t));
	fk.n++;
	m = &fk.v[i + 1];
	m->start = a;
	if (m->file >= 0)
		m->off += a - fk.v[i].start;
	fk.v[i].end = a;
}

/* Unmap [start, end): what munmap and MAP_FIXED do. */
static void remove_range(uintptr_t start, uintptr_t end)
{
	size_t i, j;
	split_at(start);
	split_at(end);
	i = first_after(start);
	for (j = i; j < fk.n && fk.v[j].end <= end; j++)
		if (fk.v[j].backed)
			real_munmap(fk.v[j].start, fk.v[j].end);
	memmove(&fk.v[i], &fk.v[j], (fk.n - j) * sizeof(vma_t));
	fk.n -= j - i;
}

/* Highest free range of len bytes in [floor, top), placed at the top of its gap: 0 if none. */
static uintptr_t top_down(uintptr_t len, uintptr_t floor, uintptr_t top)
{
	size_t i = first_after(top); /* mappings below top: [0, i), and i if it straddles top */
	uintptr_t hi = i < fk.n && fk.v[i].start < top ? fk.v[i].start : top;
	for (;;) {
		uintptr_t lo = i > 0 ? fk.v[i - 1].end : 0;
		if (lo < floor)
			lo = floor;
		if (hi > lo && hi - lo >= len)
			return hi - len;
		if (i == 0)
			return 0;
		i--;
		hi = fk.v[i].start;
		if (hi <= floor)
			return 0;
	}
}

/* First free range of len bytes at or above begin, ending at or below end: 0 if none. */
static uintptr_t bottom_up(uintptr_t len, uintptr_t begin, uintptr_t end)
{
	uintptr_t lo = begin;
	for (size_t i = first_after(begin); lo < end; i++) {
		uintptr_t hi = i < fk.n && fk.v[i].start < end ? fk.v[i].start : end;
		if (hi >= lo && hi - lo >= len)
			return lo;
		if (i >= fk.n)
			return 0;
		lo = fk.v[i].end;
	}
	return 0;
}

static vma_t anon(uintptr_t start, uintptr_t end, int prot, int flags)
{
	vma_t m;
	memset(&m, 0, sizeof m);
	m.start = start;
	m.end = end;
	m.prot = prot;
	m.flags = flags;
	m.file = -1;
	return m;
}

/* ---- set-up ------------------------------------------------------------------------ */

static void fd_close(int i);

void fk_reset(void)
{
	if (fk.ready) {
		for (size_t i = 0; i < fk.n; i++)
			if (fk.v[i].backed)
				real_munmap(fk.v[i].start, fk.v[i].end);
		for (int i = 0; i < MAX_FDS; i++)
			fd_close(i);
	}
	memset(&fk, 0, sizeof fk);
	memset(&fk_count, 0, sizeof fk_count);
	fk.ready = 1;
	fk.multi_move = 1;
	fk.map32_start = G;
	fk.mmap_min = 65536;
	fk.min_err = EPERM;
	fk.copy_fd = -1;
	fk.brk_start = fk.brk_cur = (uintptr_t)0x555556000000ull;
	fk.now = 1000ull * 1000000000ull;
	fk.pid = 1000;
	fk.alive[0] = 1000;
	fk.libc_version = "2.36";
	self_tid = 0;
}

int fk_map_named(uintptr_t start, uintptr_t end, int prot, const char *name)
{
	vma_t m;
	ready();
	if (!aligned(start) || !aligned(end) || start >= end)
		die("fk_map of [%#lx, %#lx)", (unsigned long)start, (unsigned long)end);
	if (!range_free(start, end))
		return -EEXIST;
	m = anon(start, end, prot, MAP_PRIVATE | MAP_ANONYMOUS);
	if (name)
		snprintf(m.name, sizeof m.name, "%s", name);
	insert(&m);
	return 0;
}

int fk_map(uintptr_t start, uintptr_t end, int prot) { return fk_map_named(start, end, prot, NULL); }

int fk_map_hidden(uintptr_t start, uintptr_t end)
{
	vma_t m;
	ready();
	if (!range_free(start, end))
		return -EEXIST;
	m = anon(start, end, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	m.hidden = 1;
	insert(&m);
	return 0;
}

void fk_reveal(void)
{
	for (size_t i = 0; i < fk.n; i++)
		fk.v[i].hidden = 0;
	for (size_t i = fk.n; i-- > 0;)
		if (i < fk.n)
			merge_around(i);
}

void fk_unmap(uintptr_t start, uintptr_t end)
{
	ready();
	remove_range(start, end);
}

int fk_state(uintptr_t start, uintptr_t end)
{
	uint64_t o;
	ready();
	o = overlap_bytes(start, end);
	return o == 0 ? FK_FREE : o == end - start ? FK_MAPPED : FK_PARTLY;
}

int fk_prot_at(uintptr_t addr)
{
	vma_t *m = vma_at(addr);
	return m ? m->prot : -1;
}

size_t fk_vma_count(void) { return fk.n; }

int fk_vma(size_t i, uintptr_t *start, uintptr_t *end)
{
	if (i >= fk.n)
		return -1;
	*start = fk.v[i].start;
	*end = fk.v[i].end;
	return 0;
}

uint64_t fk_mapped_bytes(void)
{
	uint64_t t = 0;
	for (size_t i = 0; i < fk.n; i++)
		t += fk.v[i].end - fk.v[i].start;
	return t;
}

void fk_set_noreplace_is_hint(int on) { ready(); fk.noreplace_is_hint = on; }
void fk_set_multi_move(int on) { ready(); fk.multi_move = on; }
void fk_set_map32_start(uintptr_t begin) { ready(); fk.map32_start = begin; }
void fk_set_mmap_min_addr(uintptr_t enforced) { ready(); fk.mmap_min = enforced; }
void fk_set_mmap_min_err(int err) { ready(); fk.min_err = err; }

void fk_set_mmap_min_addr_text(const char *text)
{
	ready();
	fk.min_unreadable = text == NULL;
	fk.min_text_set = text != NULL;
	if (text)
		snprintf(fk.min_text, sizeof fk.min_text, "%s", text);
}

void fk_set_brk(uintptr_t start, uintptr_t cur)
{
	ready();
	if (fk.brk_cur > fk.brk_start && fk.brk_start < FK_TOP)
		remove_range(fk.brk_start, page_up(fk.brk_cur));
	fk.brk_start = start;
	fk.brk_cur = cur;
	if (cur > start && start < FK_TOP && fk_map_named(start, page_up(cur), PROT_READ | PROT_WRITE, "[heap]") != 0)
		die("fk_set_brk: the heap [%#lx, %#lx) overlaps a mapping", (unsigned long)start, (unsigned long)cur);
}

void fk_set_as_limit(uint64_t bytes) { ready(); fk.as_limit = bytes; }
void fk_set_libc_version(const char *version) { ready(); fk.libc_version = version; }

void fk_fail_next(fk_sys_t sys, int err)
{
	ready();
	fk.fail_next[sys] = err;
}

void fk_fail_at(fk_sys_t sys, uintptr_t addr, int err)
{
	ready();
	if (sys != FK_SYS_MMAP && sys != FK_SYS_MUNMAP && sys != FK_SYS_MREMAP && sys != FK_SYS_MINCORE &&
	    sys != FK_SYS_MADVISE)
		die("fk_fail_at: call %d takes no address", (int)sys);
	fk.fail_at[sys].err = err;
	fk.fail_at[sys].addr = addr;
}

void fk_fail_read(const char *path, size_t at, int err)
{
	ready();
	if (strcmp(path, "/proc/self/maps") == 0)
		fk.fail_read.kind = FD_MAPS;
	else if (strcmp(path, "/proc/sys/vm/mmap_min_addr") == 0)
		fk.fail_read.kind = FD_SYSCTL;
	else
		die("fk_fail_read: the fake reads no file %s", path);
	fk.fail_read.err = err;
	fk.fail_read.at = at;
}

void fk_fail_write(int fd, size_t at, int err)
{
	ready();
	if (fd != 2)
		die("fk_fail_write: only descriptor 2 is modelled, not %d", fd);
	fk.fail_write.err = err;
	fk.fail_write.at = at;
}

int fk_fail_pending(void)
{
	int n;
	ready();
	n = (fk.fail_read.err != 0) + (fk.fail_write.err != 0);
	for (int i = 0; i < FK_SYS_COUNT; i++)
		n += (fk.fail_next[i] != 0) + (fk.fail_at[i].err != 0);
	return n;
}

void fk_fail_always(fk_sys_t sys, int err)
{
	ready();
	fk.fail_always[sys] = err;
}

void fk_fail_open(const char *prefix, int err)
{
	ready();
	fk.fail_prefix_on = prefix != NULL;
	fk.fail_prefix_err = err;
	snprintf(fk.fail_prefix, sizeof fk.fail_prefix, "%s", prefix ? prefix : "");
}

void fk_set_read_chunk(size_t n) { ready(); fk.read_chunk = n; }
void fk_set_write_chunk(size_t n) { ready(); fk.write_chunk = n; }
void fk_hook_mmap(fk_mmap_hook_t fn, void *ctx) { ready(); fk.mmap_hook = fn; fk.mmap_ctx = ctx; }
void fk_hook_futex(fk_futex_hook_t fn, void *ctx) { ready(); fk.futex_hook = fn; fk.futex_ctx = ctx; }

void fk_hook_call(fk_sys_t sys, fk_call_hook_t fn, void *ctx)
{
	ready();
	fk.call_hook[sys] = fn;
	fk.call_ctx[sys] = ctx;
}

/* A failure armed for this call site, fired once (-err, else 0). */
static long fire(int *err)
{
	long r = -*err;
	*err = 0;
	return r;
}

/* At the start of a call: its hook, then an injected failure due now (-err, else 0):
 * armed for the next call of its kind, for its address (at; NO_ADDR for calls that take
 * none), or for every call. */
#define NO_ADDR UINTPTR_MAX
static long injected(fk_sys_t sys, uintptr_t at)
{
	if (fk.call_hook[sys])
		fk.call_hook[sys](fk.call_ctx[sys]);
	if (fk.fail_next[sys])
		return fire(&fk.fail_next[sys]);
	if (fk.fail_at[sys].err && at == fk.fail_at[sys].addr)
		return fire(&fk.fail_at[sys].err);
	return fk.fail_always[sys] ? -fk.fail_always[sys] : 0;
}

uint64_t fk_clock_ns(void) { ready(); return fk.now; }
void fk_clock_set(uint64_t ns) { ready(); fk.now = ns; }
void fk_clock_advance(uint64_t ns) { ready(); fk.now += ns; }
void fk_thread_self(long tid) { ready(); self_tid = tid; }
long fk_pid(void) { ready(); return fk.pid; }

void fk_process_alive(long tgid, int alive)
{
	ready();
	for (int i = 0; i < MAX_THREADS; i++)
		if (alive ? !fk.procs[i] : fk.procs[i] == tgid) {
			fk.procs[i] = alive ? tgid : 0;
			return;
		}
}

void fk_thread_alive(long tid, int alive)
{
	ready();
	for (int i = 0; i < MAX_THREADS; i++)
		if (fk.alive[i] == tid)
			fk.alive[i] = 0;
	if (!alive)
		return;
	for (int i = 0; i < MAX_THREADS; i++) {
		if (!fk.alive[i]) {
			fk.alive[i] = tid;
			return;
		}
	}
	die("more than %d threads", MAX_THREADS);
}

void fk_set_altstack(int mode) { ready(); fk.altstack = mode; }

void fake_fork(void)
{
	ready();
	/* The kernel gives the child a zero-filled copy of a wipe-on-fork range; dropping the
	 * pages (MADV_DONTNEED on private anonymous memory) reads as zeroes whatever the
	 * protection. */
	for (size_t i = 0; i < fk.n; i++)
		if (fk.v[i].wipe && fk.v[i].backed &&
		    syscall(SYS_madvise, fk.v[i].start, fk.v[i].end - fk.v[i].start, MADV_DONTNEED) != 0)
			die("madvise(MADV_DONTNEED): %s", strerror(errno));
	fk.pid += 1000;
	memset(fk.alive, 0, sizeof fk.alive);
	fk.alive[0] = fk.pid;
	self_tid = fk.pid;
}

/* The fake C library's version, which guard.c asks glibc for: this definition, in the
 * test program, comes before libc's. */
const char *gnu_get_libc_version(void);
const char *gnu_get_libc_version(void)
{
	ready();
	return fk.libc_version;
}

/* ---- descriptors and captured output ------------------------------------------------- */

static fd_t *fd_get(int fd)
{
	int i = fd - FD_BASE;
	return i >= 0 && i < MAX_FDS && fk.fds[i].kind != FD_NONE ? &fk.fds[i] : NULL;
}

static void fd_close(int i)
{
	free(fk.fds[i].text);
	memset(&fk.fds[i], 0, sizeof fk.fds[i]);
}

static long fd_new(int kind)
{
	for (int i = 0; i < MAX_FDS; i++) {
		if (fk.fds[i].kind == FD_NONE) {
			fk.fds[i].kind = kind;
			return i + FD_BASE;
		}
	}
	return -EMFILE;
}

int fk_file(int writable)
{
	long fd;
	ready();
	fd = fd_new(FD_FILE);
	if (fd < 0)
		die("no descriptor left for a fake file");
	fd_get((int)fd)->writable = writable;
	fd_get((int)fd)->file = ++fk.next_file;
	return (int)fd;
}

int fk_file_hugetlb(void)
{
	int fd = fk_file(1);
	fd_get(fd)->hugetlb = 1;
	return fd;
}

long ljmm_sys_fs_type(int fd)
{
	fd_t *f;
	ready();
	f = fd_get(fd);
	if (!f)
		return -EBADF;
	return f->kind != FD_FILE ? 0x9fa0 /* PROC_SUPER_MAGIC */ : f->hugetlb ? HUGETLBFS_MAGIC : 0xef53;
}

int fk_open_fds(void)
{
	int n = 0;
	for (int i = 0; i < MAX_FDS; i++)
		n += fk.fds[i].kind != FD_NONE && fk.fds[i].kind != FD_FILE;
	return n;
}

static void capture(capture_t *c, const void *buf, size_t n)
{
	if (n > CAPTURE - 1 - c->len)
		n = CAPTURE - 1 - c->len;
	memcpy(c->text + c->len, buf, n);
	c->len += n;
	c->text[c->len] = 0;
}

const char *fk_stderr_text(void) { return fk.err.text; }
const char *fk_log_text(void) { return fk.log.text; }

void fk_copy_stderr_to(int real_fd)
{
	ready();
	fk.copy_fd = real_fd;
}

void fk_output_clear(void)
{
	fk.err.len = fk.log.len = 0;
	fk.err.text[0] = fk.log.text[0] = 0;
}

/* ---- /proc ---------------------------------------------------------------------------- */

static size_t maps_line(char *out, size_t cap, const vma_t *m)
{
	char name[64] = "";
	if (m->file >= 0)
		snprintf(name, sizeof name, " /fake/file%d", m->file);
	else if (m->name[0])
		snprintf(name, sizeof name, " %s", m->name);
	return (size_t)snprintf(out, cap, "%08lx-%08lx %c%c%c%c %08llx %s %d%s\n", (unsigned long)m->start,
				(unsigned long)m->end, m->prot & PROT_READ ? 'r' : '-', m->prot & PROT_WRITE ? 'w' : '-',
				m->prot & PROT_EXEC ? 'x' : '-', (m->flags & MAP_TYPE_BITS) == MAP_PRIVATE ? 'p' : 's',
				(unsigned long long)m->off, m->file >= 0 ? "fe:01" : "00:00",
				m->file >= 0 ? 4000 + m->file : 0, name);
}

size_t fk_maps_text(char *buf, size_t cap)
{
	size_t len = 0;
	char line[160];
	ready();
	if (cap)
		buf[0] = 0;
	for (size_t i = 0; i < fk.n; i++) {
		size_t l;
		if (fk.v[i].hidden)
			continue;
		l = maps_line(line, sizeof line, &fk.v[i]);
		if (len + l < cap)
			memcpy(buf + len, line, l + 1);
		len += l;
	}
	return len;
}

static int open_fails(const char *path)
{
	return fk.fail_prefix_on && strncmp(path, fk.fail_prefix, strlen(fk.fail_prefix)) == 0;
}

long ljmm_sys_open(const char *path, int flags, int mode)
{
	long fd, r;
	fd_t *f;
	(void)mode;
	ready();
	fk_count.open++;
	if ((r = injected(FK_SYS_OPEN, NO_ADDR)))
		return r;
	if (open_fails(path))
		return -fk.fail_prefix_err;
	if (strcmp(path, "/proc/self/maps") == 0 || strcmp(path, "/proc/sys/vm/mmap_min_addr") == 0) {
		int maps = strcmp(path, "/proc/self/maps") == 0;
		if ((flags & O_ACCMODE) != O_RDONLY)
			return -EACCES;
		if (!maps && fk.min_unreadable)
			return -ENOENT;
		fd = fd_new(maps ? FD_MAPS : FD_SYSCTL);
		if (fd < 0)
			return fd;
		f = fd_get((int)fd);
		if (maps) {
			fk_count.open_maps++;
			f->len = fk_maps_text(NULL, 0);
			f->text = malloc(f->len + 1);
			if (!f->text)
				die("out of memory");
			fk_maps_text(f->text, f->len + 1);
		} else {
			char num[32];
			fk_count.open_sysctl++;
			snprintf(num, sizeof num, "%lu\n", (unsigned long)fk.mmap_min);
			f->text = strdup(fk.min_text_set ? fk.min_text : num);
			if (!f->text)
				die("out of memory");
			f->len = strlen(f->text);
		}
		return fd;
	}
	if (strncmp(path, "/proc/", 6) == 0)
		return -ENOENT;
	if ((flags & O_ACCMODE) == O_RDONLY)
		return -ENOENT; /* the fake has no files to read but its own */
	return fd_new(FD_LOG);
}

long ljmm_sys_read(int fd, void *buf, size_t n)
{
	fd_t *f = fd_get(fd);
	long r;
	ready();
	fk_count.read++;
	if ((r = injected(FK_SYS_READ, NO_ADDR)))
		return r;
	if (!f || f->kind == FD_LOG)
		return -EBADF;
	if (f->kind == FD_FILE)
		return 0;
	if (fk.fail_read.err && fk.fail_read.kind == f->kind && f->pos >= fk.fail_read.at)
		return fire(&fk.fail_read.err);
	if (fk.read_chunk && n > fk.read_chunk)
		n = fk.read_chunk;
	if (n > f->len - f->pos)
		n = f->len - f->pos;
	memcpy(buf, f->text + f->pos, n);
	f->pos += n;
	return (long)n;
}

long ljmm_sys_write(int fd, const void *buf, size_t n)
{
	fd_t *f = fd_get(fd);
	long r;
	ready();
	fk_count.write++;
	if ((r = injected(FK_SYS_WRITE, NO_ADDR)))
		return r;
	if (fd == 2 && fk.fail_write.err && fk.err.len >= fk.fail_write.at)
		return fire(&fk.fail_write.err);
	if (fk.write_chunk && n > fk.write_chunk)
		n = fk.write_chunk;
	if (fd == 2) {
		capture(&fk.err, buf, n);
		if (fk.copy_fd >= 0 && write(fk.copy_fd, buf, n) != (ssize_t)n)
			die("copy of stderr: %s", strerror(errno));
	}
	else if (f && f->kind == FD_LOG)
		capture(&fk.log, buf, n);
	else
		return -EBADF;
	return (long)n;
}

/* Files for the log: descriptor 2 is a terminal; every log descriptor holds the one log
 * file, which every writable path names (no rotation is modelled). */
#define FK_LOG_DEV 0xfaULL
#define FK_LOG_INO 100ULL

long ljmm_sys_fstat(int fd, ljmm_fileid_t *id)
{
	fd_t *f = fd_get(fd);
	ready();
	if (fd == 2) {
		*id = (ljmm_fileid_t){1, 2, S_IFCHR | 0620};
		return 0;
	}
	if (!f)
		return -EBADF;
	*id = (ljmm_fileid_t){FK_LOG_DEV, f->kind == FD_LOG ? FK_LOG_INO : FK_LOG_INO + 1 + (uint64_t)fd,
			      S_IFREG | 0600};
	return 0;
}

long ljmm_sys_stat(const char *path, ljmm_fileid_t *id)
{
	ready();
	if (strncmp(path, "/proc/", 6) == 0 || open_fails(path))
		return -ENOENT;
	*id = (ljmm_fileid_t){FK_LOG_DEV, FK_LOG_INO, S_IFREG | 0600};
	return 0;
}

long ljmm_sys_fcntl(int fd, int cmd, long arg)
{
	fd_t *f = fd_get(fd);
	ready();
	if (fd == 2 && cmd == F_GETFL)
		return O_RDWR;
	if (!f)
		return -EBADF;
	if (cmd == F_GETFL)
		return f->kind == FD_LOG ? (O_WRONLY | O_APPEND) : O_RDONLY;
	if (cmd == F_DUPFD_CLOEXEC && arg <= FD_BASE)
		return fd_new(f->kind);
	die("fcntl %d: not modelled", cmd);
	return -EINVAL;
}

long ljmm_sys_dup3(int oldfd, int newfd, int flags)
{
	fd_t *f = fd_get(oldfd), *g = fd_get(newfd);
	(void)flags;
	ready();
	if (!f || !g || oldfd == newfd)
		return -EBADF;
	g->kind = f->kind;
	return newfd;
}

long ljmm_sys_close(int fd)
{
	fd_t *f = fd_get(fd);
	ready();
	fk_count.close++;
	if (!f)
		return -EBADF;
	fd_close(fd - FD_BASE);
	return 0;
}

/* ---- memory ---------------------------------------------------------------------------- */

long ljmm_sys_mmap(void *addr_, size_t len_, int prot, int flags, int fd, long off)
{
	uintptr_t addr = (uintptr_t)addr_, len, where = 0;
	int type, file = -1, writable = 0, fixed, placed = 0, huge = 0;
	fd_t *f = NULL;
	vma_t m;
	long r;
	ready();
	fk_count.mmap++;
	if ((flags & MAP_32BIT) && !(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
		fk_count.map32++;
	if (flags & MAP_FIXED_NOREPLACE)
		fk_count.noreplace++;
	if (fk.mmap_hook)
		fk.mmap_hook(fk.mmap_ctx, addr, len_, prot, flags);
	if ((r = injected(FK_SYS_MMAP, addr)))
		return r;
	if (off & (long)(PAGE - 1))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(fd);
		if (!f)
			return -EBADF;
		if (f->kind != FD_FILE)
			return f->kind == FD_LOG ? -EACCES : -ENODEV;
		file = f->file;
		writable = f->writable;
		huge = f->hugetlb;
	}
	if (flags & MAP_HUGETLB)
		return -ENOMEM;
	if (!len_)
		return -EINVAL;
	len = huge ? (len_ + FK_HUGE - 1) & ~(FK_HUGE - 1) : page_up(len_);
	if (!len || len > FK_TASK_SIZE)
		return -ENOMEM;
	if (fk.noreplace_is_hint)
		flags &= ~MAP_FIXED_NOREPLACE;
	fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
	if (fixed) {
		if (!aligned(addr) || (huge && (addr & (FK_HUGE - 1))))
			return -EINVAL;
		if (addr > FK_TASK_SIZE - len)
			return -ENOMEM;
		if (addr < fk.mmap_min)
			return -fk.min_err;
		where = addr;
		placed = 1;
	} else {
		uintptr_t hint = addr & ~(PAGE - 1);
		if (hint && hint < fk.mmap_min)
			hint = page_up(fk.mmap_min);
		if (flags & MAP_32BIT) {
			if (len > TWO_G)
				return -ENOMEM;
			if (hint && hint <= TWO_G - len && range_free(hint, hint + len))
				where = hint;
			else if (!(where = bottom_up(len, fk.map32_start, TWO_G)))
				return -ENOMEM;
			placed = 1;
		} else if (hint && hint < FK_TOP && hint <= FK_TOP - len && range_free(hint, hint + len)) {
			where = hint;
			placed = 1;
		}
	}
	if ((flags & MAP_FIXED_NOREPLACE) && !range_free(where, where + len))
		return -EEXIST;
	type = flags & MAP_TYPE_BITS;
	if (!type)
		return -EINVAL;
	/* MAP_SHARED_VALIDATE: EINVAL for an anonymous mapping; for a file, EOPNOTSUPP for any
	 * flag beyond LEGACY_MAP_MASK (MAP_FIXED_NOREPLACE, MAP_SYNC, unknown bits). */
	if (type == MAP_SHARED_VALIDATE && file < 0)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~FK_LEGACY_MAP_MASK))
		return -EOPNOTSUPP;
	if (file >= 0 && type != MAP_PRIVATE && (prot & PROT_WRITE) && !writable)
		return -EACCES;
	if (fk.as_limit &&
	    fk_mapped_bytes() + len - ((flags & MAP_FIXED) ? overlap_bytes(where, where + len) : 0) > fk.as_limit)
		return -ENOMEM;
	memset(&m, 0, sizeof m);
	if (!placed) {
		if (file < 0) {
			long real = real_mmap(len, prot, flags);
			if (ljmm_sys_is_err(real))
				return real;
			where = (uintptr_t)real;
			m.backed = 1;
		} else if (!(where = top_down(len, TWO_G, FK_TOP)) && !(where = top_down(len, fk.mmap_min, TWO_G))) {
			return -ENOMEM;
		}
	}
	if (flags & MAP_FIXED)
		remove_range(where, where + len);
	m.start = where;
	m.end = where + len;
	m.prot = prot;
	m.flags = flags & (MAP_TYPE_BITS | MAP_ANONYMOUS | MAP_NORESERVE | MAP_GROWSDOWN);
	m.file = file;
	m.off = file >= 0 ? (uint64_t)off : 0;
	m.huge = (unsigned char)huge;
	insert(&m);
	return (long)where;
}

long ljmm_sys_munmap(void *addr_, size_t len_)
{
	uintptr_t addr = (uintptr_t)addr_, len;
	long r;
	ready();
	fk_count.munmap++;
	if ((r = injected(FK_SYS_MUNMAP, addr)))
		return r;
	len = page_up(len_);
	if (!aligned(addr) || !len_ || !len || addr > FK_TASK_SIZE || len > FK_TASK_SIZE - addr)
		return -EINVAL;
	/* A hugetlb mapping is cut at huge pages only (hugetlb_vm_op_split). */
	for (size_t i = first_after(addr); i < fk.n && fk.v[i].start < addr + len; i++)
		if (fk.v[i].huge && ((addr & (FK_HUGE - 1)) || (len & (FK_HUGE - 1))))
			return -EINVAL;
	remove_range(addr, addr + len);
	return 0;
}

static void no_real_memory(uintptr_t start, uintptr_t end)
{
	for (size_t i = first_after(start); i < fk.n && fk.v[i].start < end; i++)
		if (fk.v[i].backed)
			die("mremap of a mapping with real memory at %#lx: not modelled", (unsigned long)fk.v[i].start);
}

/* Copy the mappings of [src, src + len) to dst + (their offset); with keep 0 the source
 * is unmapped. The destination must be free. */
static void move_pieces(uintptr_t src, uintptr_t len, uintptr_t dst, int keep)
{
	vma_t pieces[64];
	size_t k = 0;
	split_at(src);
	split_at(src + len);
	for (size_t i = first_after(src); i < fk.n && fk.v[i].start < src + len; i++) {
		if (k == sizeof pieces / sizeof pieces[0])
			die("a move of more than 64 mappings");
		pieces[k++] = fk.v[i];
	}
	if (!keep)
		remove_range(src, src + len);
	else
		for (size_t i = 0; i < k; i++)
			merge_around(first_after(pieces[i].start));
	for (size_t i = 0; i < k; i++) {
		pieces[i].start = pieces[i].start - src + dst;
		pieces[i].end = pieces[i].end - src + dst;
		insert(&pieces[i]);
	}
}

/* A new place for a moved mapping: the hint if free, else top-down above 2 GiB, else below. */
static uintptr_t new_place(uintptr_t hint, uintptr_t len)
{
	uintptr_t w;
	if (hint && aligned(hint) && hint >= fk.mmap_min && hint < FK_TOP && hint <= FK_TOP - len &&
	    range_free(hint, hint + len))
		return hint;
	w = top_down(len, TWO_G, FK_TOP);
	return w ? w : top_down(len, fk.mmap_min, TWO_G);
}

static int as_allows(uint64_t more) { return !fk.as_limit || fk_mapped_bytes() + more <= fk.as_limit; }

long ljmm_sys_mremap(void *old_, size_t old_len_, size_t new_len_, int flags, void *new_addr_)
{
	uintptr_t old = (uintptr_t)old_, new_addr = (uintptr_t)new_addr_, old_len, new_len, dst;
	int fixed = (flags & MREMAP_FIXED) != 0, dontunmap = (flags & MREMAP_DONTUNMAP) != 0;
	vma_t *m;
	long r;
	ready();
	fk_count.mremap++;
	if ((r = injected(FK_SYS_MREMAP, old)))
		return r;
	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (!aligned(old))
		return -EINVAL;
	old_len = page_up(old_len_);
	new_len = page_up(new_len_);
	if (!new_len || new_len > FK_TASK_SIZE)
		return -EINVAL;
	if ((fixed || dontunmap) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (dontunmap && old_len != new_len)
		return -EINVAL;
	if (fixed || dontunmap) {
		if (!aligned(new_addr) || new_addr > FK_TASK_SIZE - new_len)
			return -EINVAL;
		if (fixed && old + old_len > new_addr && new_addr + new_len > old)
			return -EINVAL;
		if (fixed && new_addr < fk.mmap_min)
			return -fk.min_err;
	}
	m = vma_at(old);
	if (!m)
		return -EFAULT;
	if (!old_len) {
		/* A second mapping of the same shared object. */
		vma_t dup = *m;
		if ((m->flags & MAP_TYPE_BITS) == MAP_PRIVATE)
			return -EINVAL;
		if (!(flags & MREMAP_MAYMOVE))
			return -ENOMEM;
		no_real_memory(old, old + 1);
		if (!as_allows(new_len))
			return -ENOMEM;
		if (fixed)
			remove_range(new_addr, new_addr + new_len);
		dst = fixed ? new_addr : new_place(0, new_len);
		if (!dst)
			return -ENOMEM;
		dup.start = dst;
		dup.end = dst + new_len;
		insert(&dup);
		return (long)dst;
	}
	no_real_memory(old, old + (old_len > new_len ? old_len : new_len));
	if (fixed && old_len == new_len && fk.multi_move) {
		/* Linux 6.17: every mapping in the range moves, at its offset; holes stay holes. */
		remove_range(new_addr, new_addr + new_len);
		move_pieces(old, old_len, new_addr, dontunmap);
		return (long)new_addr;
	}
	if (!fixed && !dontunmap && new_len <= old_len) {
		remove_range(old + new_len, old + old_len);
		return (long)old;
	}
	/* What moves or grows must lie inside the one mapping at old. */
	if (old + (old_len < new_len ? old_len : new_len) > m->end)
		return -EFAULT;
	if (fixed) {
		if (new_len > old_len && !as_allows(new_len - old_len))
			return -ENOMEM;
		if (new_len < old_len)
			remove_range(old + new_len, old + old_len);
		remove_range(new_addr, new_addr + new_len);
		{
			vma_t moved = *vma_at(old);
			uintptr_t len = new_len < old_len ? new_len : old_len;
			if (moved.file >= 0)
				moved.off += (old + len) - moved.start;
			move_pieces(old, len, new_addr, 0);
			if (new_len > len) {
				moved.start = new_addr + len;
				moved.end = new_addr + new_len;
				insert(&moved);
			}
		}
		return (long)new_addr;
	}
	if (dontunmap) {
		dst = new_place(new_addr, new_len);
		if (!dst)
			return -ENOMEM;
		if (!as_allows(new_len))
			return -ENOMEM;
		move_pieces(old, old_len, dst, 1);
		return (long)dst;
	}
	/* Grow: in place when the range ends its mapping and the next pages are free. */
	if (old + old_len == m->end && old + new_len <= FK_TASK_SIZE && range_free(old + old_len, old + new_len)) {
		vma_t more = *m;
		if (!as_allows(new_len - old_len))
			return -ENOMEM;
		more.start = old + old_len;
		more.end = old + new_len;
		if (more.file >= 0)
			more.off += more.start - m->start;
		insert(&more);
		return (long)old;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	if (!as_allows(new_len - old_len))
		return -ENOMEM;
	dst = new_place(0, new_len);
	if (!dst)
		return -ENOMEM;
	{
		vma_t more = *m;
		if (more.file >= 0)
			more.off += old + old_len - more.start;
		move_pieces(old, old_len, dst, 0);
		more.start = dst + old_len;
		more.end = dst + new_len;
		insert(&more);
	}
	return (long)dst;
}

long ljmm_sys_mincore(void *addr_, size_t len_, unsigned char *vec)
{
	uintptr_t addr = (uintptr_t)addr_, len, p, end;
	long r;
	ready();
	fk_count.mincore++;
	if ((r = injected(FK_SYS_MINCORE, addr)))
		return r;
	if (!aligned(addr))
		return -EINVAL;
	len = page_up(len_);
	if (len_ && !len)
		return -ENOMEM;
	if (addr > FK_TASK_SIZE || len > FK_TASK_SIZE - addr)
		return -ENOMEM;
	end = addr + len;
	/* Above the model, outside its mappings: the process's real memory (its stack). */
	if (addr >= FK_TOP && range_free(addr, end)) {
		r = syscall(SYS_mincore, addr, len, vec);
		return r == -1 ? -errno : 0;
	}
	for (p = addr; p < end;) {
		vma_t *m = vma_at(p);
		uintptr_t e;
		if (!m)
			return -ENOMEM;
		e = m->end < end ? m->end : end;
		memset(vec + ((p - addr) >> 12), 0, (e - p) >> 12);
		p = e;
	}
	return 0;
}

long ljmm_sys_madvise(void *addr_, size_t len_, int advice)
{
	uintptr_t addr = (uintptr_t)addr_, len = page_up(len_), p, end;
	long r, holes = 0;
	ready();
	fk_count.madvise++;
	if ((r = injected(FK_SYS_MADVISE, addr)))
		return r;
	if (!aligned(addr) || (len_ && !len))
		return -EINVAL;
	end = addr + len;
	/* Mapping by mapping, as madvise_walk_vmas does: the advice applies to each mapped
	 * part in turn (an error stops the walk there), holes make the answer ENOMEM. */
	for (p = addr; p < end;) {
		size_t i = first_after(p);
		vma_t *m;
		if (i == fk.n || fk.v[i].start >= end)
			return -ENOMEM;
		m = &fk.v[i];
		if (m->start > p) {
			holes = 1;
			p = m->start;
		}
		if (advice == MADV_WIPEONFORK) {
			if (m->file >= 0 || (m->flags & MAP_TYPE_BITS) != MAP_PRIVATE)
				return -EINVAL;
			split_at(p);
			if (fk.v[first_after(p)].end > end)
				split_at(end);
			i = first_after(p);
			fk.v[i].wipe = 1;
			p = fk.v[i].end;
			merge_around(i);
			continue;
		}
		p = m->end < end ? m->end : end;
	}
	return holes ? -ENOMEM : 0;
}

long ljmm_sys_brk(void *addr_)
{
	uintptr_t addr = (uintptr_t)addr_, old_end, new_end;
	ready();
	fk_count.brk++;
	if (addr < fk.brk_start)
		return (long)fk.brk_cur;
	old_end = page_up(fk.brk_cur);
	new_end = page_up(addr);
	if (new_end > FK_TOP && fk.brk_start < FK_TOP)
		return (long)fk.brk_cur;
	if (fk.brk_start < FK_TOP) {
		if (new_end > old_end && (!range_free(old_end, new_end) || !as_allows(new_end - old_end)))
			return (long)fk.brk_cur;
		if (new_end < old_end)
			remove_range(new_end, old_end);
		else if (new_end > old_end)
			fk_map_named(old_end, new_end, PROT_READ | PROT_WRITE, "[heap]");
	}
	fk.brk_cur = addr;
	return (long)addr;
}

/* ---- processes, threads, time -------------------------------------------------------- */

long ljmm_sys_getpid(void)
{
	ready();
	return fk.pid;
}

long ljmm_sys_gettid(void)
{
	ready();
	return self_tid ? self_tid : fk.pid;
}

long ljmm_sys_tgkill(long tgid, long tid, int sig)
{
	long r;
	ready();
	fk_count.tgkill++;
	if ((r = injected(FK_SYS_TGKILL, NO_ADDR)))
		return r;
	if (sig != 0)
		die("tgkill with signal %d: not modelled", sig);
	if (tgid == tid)
		for (int i = 0; i < MAX_THREADS; i++)
			if (fk.procs[i] == tid)
				return 0;
	if (tgid != fk.pid || tid <= 0)
		return -ESRCH;
	for (int i = 0; i < MAX_THREADS; i++)
		if (fk.alive[i] == tid)
			return 0;
	return -ESRCH;
}

long ljmm_sys_sigaltstack_get(void *ss)
{
	stack_t *s = ss;
	ready();
	fk_count.sigaltstack++;
	if (fk.altstack == FK_ALTSTACK_REAL)
		return syscall(SYS_sigaltstack, NULL, ss) == 0 ? 0 : -errno;
	if (fk.altstack == FK_ALTSTACK_FAIL)
		return -EFAULT;
	memset(s, 0, sizeof *s);
	s->ss_flags = SS_DISABLE;
	return 0;
}

/* Signal masks and the working directory: the real process's, as the log needs them. */
long ljmm_sys_sigmask(int how, const uint64_t *set, uint64_t *old)
{
	return syscall(SYS_rt_sigprocmask, how, set, old, 8) == 0 ? 0 : -errno;
}

long ljmm_sys_sigpending(uint64_t *set) { return syscall(SYS_rt_sigpending, set, 8) == 0 ? 0 : -errno; }

long ljmm_sys_sigtake(const uint64_t *set)
{
	struct timespec zero = {0, 0};
	long r = syscall(SYS_rt_sigtimedwait, set, NULL, &zero, 8);
	return r >= 0 ? r : -errno;
}

long ljmm_sys_getcwd(char *buf, size_t n)
{
	long r = syscall(SYS_getcwd, buf, n);
	return r >= 0 ? r : -errno;
}

long ljmm_sys_clock_gettime(int clock, struct timespec *ts)
{
	long r;
	ready();
	fk_count.clock++;
	if ((r = injected(FK_SYS_CLOCK, NO_ADDR)))
		return r;
	if (clock == CLOCK_REALTIME) {
		/* A fixed wall clock, so that expected log lines are exact: 2026-12-06T00:00:00Z. */
		ts->tv_sec = 1796515200;
		ts->tv_nsec = 0;
		return 0;
	}
	if (clock != CLOCK_MONOTONIC && clock != CLOCK_MONOTONIC_COARSE)
		die("clock %d: not modelled", clock);
	ts->tv_sec = (time_t)(fk.now / 1000000000ull);
	ts->tv_nsec = (long)(fk.now % 1000000000ull);
	return 0;
}

long ljmm_sys_futex_wait(int *uaddr, int val, const struct timespec *timeout)
{
	ready();
	fk_count.futex_wait++;
	if (!timeout) {
		long r = syscall(SYS_futex, uaddr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
		return r == -1 ? -errno : 0;
	}
	if (fk.futex_hook)
		fk.futex_hook(fk.futex_ctx);
	if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val)
		return fk.futex_hook ? 0 : -EAGAIN;
	fk.now += (uint64_t)timeout->tv_sec * 1000000000ull + (uint64_t)timeout->tv_nsec;
	return -ETIMEDOUT;
}

long ljmm_sys_futex_wake(int *uaddr, int n)
{
	long r;
	ready();
	fk_count.futex_wake++;
	r = syscall(SYS_futex, uaddr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
	return r == -1 ? -errno : r;
}
