/* SPDX-License-Identifier: MIT */
/* Multi-threaded stress of the shim, run under LD_PRELOAD (built as PIE and -no-pie).
 *
 *   stress [SECONDS]     (LJMM_STRESS_SECONDS and LJMM_STRESS_SEED override)
 *
 * The low 2 GiB is filled with 1 MiB MAP_32BIT blocks until ENOMEM (the kernel's window,
 * then the region), a random ~30 % is freed, and the rest is handed, in address order,
 * to 4 workers. Each worker owns its blocks and runs random MAP_32BIT mmap, munmap
 * (whole, head, tail, middle, across adjacent own blocks) and mremap (grow in place,
 * shrink, MAYMOVE, MAYMOVE|FIXED onto one of its own blocks), re-checking its per-page
 * pattern before it unmaps or remaps anything. A fifth thread maps with address hints
 * in the low 2 GiB (no MAP_32BIT) and MAP_FIXED over ranges it owns. A sixth maps and
 * unmaps with raw system calls (MAP_FIXED_NOREPLACE at random low addresses), truly
 * behind the shim's back: the shim must never place a block over those pages. Every
 * ~2 s all threads park at a barrier and the main thread checks: no overlap, MAP_32BIT
 * blocks below 2 GiB, patterns intact (the raw blocks' too), every block mapped per
 * /proc/self/maps; then it unmaps the raw blocks, which the shim cannot see, lets a
 * request that fits nowhere rebuild the index, and checks ljmm_verify() == 0. Prints the
 * operation counts; "FAIL: ..." and exit 1 on any violation. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "common.h"

#define NWORKERS 4
#define HINT_ID NWORKERS       /* the hint thread */
#define RAW_ID (NWORKERS + 1)  /* the raw-syscall thread */
#define NOWNERS (NWORKERS + 2)
#define MAX_OWN 4096       /* blocks per thread */
#define MAX_FILL 4096      /* 1 MiB blocks in 2 GiB, and then some */
#define MAX_BLOCK (8 * M) /* growth stops here */
#define CHECK_EVERY 2.0    /* seconds between quiescent checks */

typedef struct {
	uintptr_t addr, home; /* where it is now; where its page 0 was first stamped */
	size_t len;
	uint64_t key;   /* pattern key, kept across splits and moves */
	int must_low;   /* obtained with MAP_32BIT and never moved by the kernel since */
} blk_t;

enum {
	OP_MAP, OP_MAP_ENOMEM, OP_UNMAP, OP_UNMAP_HEAD, OP_UNMAP_TAIL, OP_UNMAP_MIDDLE, OP_UNMAP_SPAN,
	OP_GROW, OP_GROW_REFUSED, OP_SHRINK, OP_MAYMOVE_INPLACE, OP_MAYMOVE_MOVED, OP_REMAP_FIXED,
	OP_HINT_HONOURED, OP_HINT_LOW_ELSEWHERE, OP_HINT_HIGH, OP_MAP_FIXED, OP_NOREPLACE_EEXIST, OP_HINT_UNMAP,
	OP_RAW_MAP, OP_RAW_EEXIST, OP_RAW_UNMAP, OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
	"map32", "map32-enomem", "unmap-whole", "unmap-head", "unmap-tail", "unmap-middle", "unmap-span",
	"grow-inplace", "grow-refused", "shrink", "maymove-inplace", "maymove-moved", "remap-fixed-own",
	"hint-honoured", "hint-low-elsewhere", "hint-high", "map-fixed-own", "noreplace-eexist", "hint-unmap",
	"raw-map", "raw-eexist", "raw-unmap"};

typedef struct {
	int id;
	uint64_t rng;
	blk_t b[MAX_OWN];
	size_t n, bytes, budget;
	uint64_t ops[OP_COUNT];
	uintptr_t freed[16]; /* hint thread: recently freed own addresses, likely free again */
	pthread_t th;
} owner_t;

static owner_t owners[NOWNERS]; /* workers, then the hint thread, then the raw thread */
static pthread_barrier_t park;
static int pause_req, stop_req;     /* atomics */
static int (*verify_fn)(void);

/* --- block bookkeeping ------------------------------------------------------------ */

static blk_t *add_blk(owner_t *o, uintptr_t addr, uintptr_t home, size_t len, uint64_t key, int must_low)
{
	blk_t *b;
	if (o->n == MAX_OWN)
		FAIL("thread %d: too many blocks", o->id);
	if (must_low && addr + len > LOW_END)
		FAIL("thread %d: MAP_32BIT block %#lx+%#zx ends above 2 GiB", o->id, (unsigned long)addr, len);
	b = &o->b[o->n++];
	b->addr = addr;
	b->home = home;
	b->len = len;
	b->key = key;
	b->must_low = must_low;
	o->bytes += len;
	return b;
}

static void del_blk(owner_t *o, size_t i)
{
	o->bytes -= o->b[i].len;
	o->b[i] = o->b[--o->n];
}

static void check_blk(const owner_t *o, const blk_t *b, const char *before)
{
	uintptr_t bad;
	if (st_check(b->addr, b->home, b->len, b->key, &bad) != 0)
		FAIL("thread %d: page %#lx of block %#lx+%#zx clobbered (before %s)", o->id, (unsigned long)bad,
		     (unsigned long)b->addr, b->len, before);
}

/* 1 to 1024 pages, spread over the orders of magnitude (small blocks are common). */
static size_t rand_len(owner_t *o)
{
	size_t top = (size_t)1 << st_below(&o->rng, 11);
	return PAGE * (1 + st_below(&o->rng, top < 1024 ? top : 1024));
}

static size_t pages(const blk_t *b) { return b->len / PAGE; }

/* --- worker operations ------------------------------------------------------------- */

static void op_map(owner_t *o)
{
	size_t len = rand_len(o);
	void *p = st_map32(len);
	if (p == MAP_FAILED) {
		if (errno != ENOMEM)
			FAIL("thread %d: MAP_32BIT mmap of %zu: %s, not ENOMEM", o->id, len, errname(errno));
		o->ops[OP_MAP_ENOMEM]++;
		return;
	}
	uint64_t key = st_rand(&o->rng);
	add_blk(o, (uintptr_t)p, (uintptr_t)p, len, key, 1);
	st_stamp((uintptr_t)p, (uintptr_t)p, len, key);
	o->ops[OP_MAP]++;
}

static void do_munmap(owner_t *o, uintptr_t a, size_t len)
{
	if (munmap((void *)a, len) != 0)
		FAIL("thread %d: munmap %#lx+%#zx: %s", o->id, (unsigned long)a, len, errname(errno));
}

static void op_unmap(owner_t *o, size_t i)
{
	check_blk(o, &o->b[i], "munmap");
	do_munmap(o, o->b[i].addr, o->b[i].len);
	del_blk(o, i);
	o->ops[OP_UNMAP]++;
}

/* Head, tail or middle of one block. */
static void op_unmap_part(owner_t *o, size_t i)
{
	blk_t *b = &o->b[i];
	size_t np = pages(b), k;
	int kind = (int)st_below(&o->rng, 3);
	if (np < 3 || (kind == 2 && o->n + 1 >= MAX_OWN)) {
		op_unmap(o, i);
		return;
	}
	check_blk(o, b, "partial munmap");
	if (kind == 0) {
		k = 1 + st_below(&o->rng, np - 1);
		do_munmap(o, b->addr, k * PAGE);
		b->addr += k * PAGE;
		b->home += k * PAGE;
		b->len -= k * PAGE;
		o->bytes -= k * PAGE;
		o->ops[OP_UNMAP_HEAD]++;
	} else if (kind == 1) {
		k = 1 + st_below(&o->rng, np - 1);
		do_munmap(o, b->addr + b->len - k * PAGE, k * PAGE);
		b->len -= k * PAGE;
		o->bytes -= k * PAGE;
		o->ops[OP_UNMAP_TAIL]++;
	} else {
		size_t off = 1 + st_below(&o->rng, np - 2), hole = 1 + st_below(&o->rng, np - 1 - off);
		blk_t right = *b;
		do_munmap(o, b->addr + off * PAGE, hole * PAGE);
		right.addr += (off + hole) * PAGE;
		right.home += (off + hole) * PAGE;
		right.len -= (off + hole) * PAGE;
		o->bytes -= b->len - off * PAGE;
		b->len = off * PAGE;
		add_blk(o, right.addr, right.home, right.len, right.key, right.must_low);
		o->ops[OP_UNMAP_MIDDLE]++;
	}
}

static long find_at(const owner_t *o, uintptr_t addr)
{
	for (size_t j = 0; j < o->n; j++)
		if (o->b[j].addr == addr)
			return (long)j;
	return -1;
}

/* One munmap from inside block i to inside the last of up to 4 adjacent own blocks. */
static void op_unmap_span(owner_t *o, size_t i)
{
	size_t chain[4], nc = 1;
	long j;
	chain[0] = i;
	while (nc < 4 && (j = find_at(o, o->b[chain[nc - 1]].addr + o->b[chain[nc - 1]].len)) >= 0)
		chain[nc++] = (size_t)j;
	if (nc < 2) {
		op_unmap_part(o, i);
		return;
	}
	blk_t *first = &o->b[chain[0]], *last = &o->b[chain[nc - 1]];
	size_t keep_head = st_below(&o->rng, pages(first)), keep_tail = st_below(&o->rng, pages(last));
	uintptr_t start = first->addr + keep_head * PAGE, end = last->addr + last->len - keep_tail * PAGE;
	for (size_t k = 0; k < nc; k++)
		check_blk(o, &o->b[chain[k]], "spanning munmap");
	do_munmap(o, start, end - start);
	/* The first keeps its head, the last its tail, the middle ones go. */
	for (size_t k = 1; k + 1 < nc; k++) {
		o->bytes -= o->b[chain[k]].len;
		o->b[chain[k]].len = 0;
	}
	o->bytes -= first->len - keep_head * PAGE;
	first->len = keep_head * PAGE;
	o->bytes -= last->len - keep_tail * PAGE;
	last->home += last->len - keep_tail * PAGE;
	last->addr = end;
	last->len = keep_tail * PAGE;
	for (size_t k = o->n; k-- > 0;)
		if (!o->b[k].len)
			o->b[k] = o->b[--o->n];
	o->ops[OP_UNMAP_SPAN]++;
}

static void op_grow(owner_t *o, size_t i)
{
	blk_t *b = &o->b[i];
	size_t add = PAGE * (1 + st_below(&o->rng, 256)), nlen = b->len + add;
	if (nlen > MAX_BLOCK || b->addr + nlen > LOW_END) {
		op_unmap_part(o, i);
		return;
	}
	check_blk(o, b, "mremap grow");
	void *p = mremap((void *)b->addr, b->len, nlen, 0);
	if (p == MAP_FAILED) {
		if (errno != ENOMEM)
			FAIL("thread %d: grow in place: %s, not ENOMEM", o->id, errname(errno));
		o->ops[OP_GROW_REFUSED]++;
		return;
	}
	if ((uintptr_t)p != b->addr)
		FAIL("thread %d: mremap without MAYMOVE moved %#lx to %p", o->id, (unsigned long)b->addr, p);
	st_stamp(b->addr + b->len, b->home + b->len, add, b->key);
	b->len = nlen;
	o->bytes += add;
	o->ops[OP_GROW]++;
}

static void op_shrink(owner_t *o, size_t i)
{
	blk_t *b = &o->b[i];
	if (pages(b) < 2) {
		op_grow(o, i);
		return;
	}
	size_t nlen = PAGE * (1 + st_below(&o->rng, pages(b) - 1));
	check_blk(o, b, "mremap shrink");
	void *p = mremap((void *)b->addr, b->len, nlen, 0);
	if ((uintptr_t)p != b->addr)
		FAIL("thread %d: shrink in place: %p (%s)", o->id, p, errname(errno));
	o->bytes -= b->len - nlen;
	b->len = nlen;
	check_blk(o, b, "nothing (after shrink)");
	o->ops[OP_SHRINK]++;
}

static void op_maymove(owner_t *o, size_t i)
{
	blk_t *b = &o->b[i];
	size_t cap = b->len * 2 < MAX_BLOCK ? b->len * 2 : MAX_BLOCK, nlen = PAGE * (1 + st_below(&o->rng, cap / PAGE));
	check_blk(o, b, "mremap MAYMOVE");
	void *p = mremap((void *)b->addr, b->len, nlen, MREMAP_MAYMOVE);
	if (p == MAP_FAILED) {
		if (errno != ENOMEM)
			FAIL("thread %d: MAYMOVE: %s", o->id, errname(errno));
		o->ops[OP_GROW_REFUSED]++;
		return;
	}
	size_t kept = nlen < b->len ? nlen : b->len;
	if ((uintptr_t)p != b->addr || b->addr + nlen > LOW_END) {
		/* The kernel places moved blocks as it likes, and may grow one in place
		 * across 2 GiB: neither is the shim's answer. */
		b->must_low = 0;
		o->ops[(uintptr_t)p != b->addr ? OP_MAYMOVE_MOVED : OP_MAYMOVE_INPLACE]++;
	} else {
		o->ops[OP_MAYMOVE_INPLACE]++;
	}
	b->addr = (uintptr_t)p;
	{
		uintptr_t bad;
		if (st_check(b->addr, b->home, kept, b->key, &bad) != 0)
			FAIL("thread %d: page %#lx wrong after MAYMOVE", o->id, (unsigned long)bad);
	}
	if (nlen > b->len)
		st_stamp(b->addr + b->len, b->home + b->len, nlen - b->len, b->key);
	o->bytes += nlen - b->len;
	b->len = nlen;
}

/* MAYMOVE|FIXED of block i onto the head of another own block t, which it replaces;
 * only the thread's own memory is ever the target. */
static void op_remap_fixed(owner_t *o, size_t i)
{
	size_t t = st_below(&o->rng, o->n);
	if (t == i || !o->b[t].must_low) {
		op_maymove(o, i);
		return;
	}
	blk_t *src = &o->b[i], *dst = &o->b[t];
	size_t nlen = PAGE * (1 + st_below(&o->rng, pages(dst))), kept = nlen < src->len ? nlen : src->len;
	uintptr_t target = dst->addr, bad;
	check_blk(o, src, "MREMAP_FIXED (source)");
	check_blk(o, dst, "MREMAP_FIXED (target)");
	void *p = mremap((void *)src->addr, src->len, nlen, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)target);
	if ((uintptr_t)p != target)
		FAIL("thread %d: MREMAP_FIXED to %#lx: %p (%s)", o->id, (unsigned long)target, p, errname(errno));
	if (st_check(target, src->home, kept, src->key, &bad) != 0)
		FAIL("thread %d: page %#lx wrong after MREMAP_FIXED", o->id, (unsigned long)bad);
	if (nlen > src->len)
		st_stamp(target + src->len, src->home + src->len, nlen - src->len, src->key);
	/* The target keeps what lies beyond nlen; the source now lives at target. */
	o->bytes -= src->len; /* nlen moved from the target to the source */
	dst->addr += nlen;
	dst->home += nlen;
	dst->len -= nlen;
	src->addr = target;
	src->len = nlen;
	src->must_low = 1;
	if (!dst->len)
		del_blk(o, t);
	o->ops[OP_REMAP_FIXED]++;
}

static void worker_op(owner_t *o)
{
	unsigned r = (unsigned)st_below(&o->rng, 100);
	if (!o->n || (r < 30 && o->bytes < o->budget && o->n + 4 < MAX_OWN)) {
		op_map(o);
		return;
	}
	size_t i = st_below(&o->rng, o->n);
	if (r < 45)
		op_unmap(o, i);
	else if (r < 57)
		op_unmap_part(o, i);
	else if (r < 65)
		op_unmap_span(o, i);
	else if (r < 75)
		op_grow(o, i);
	else if (r < 83)
		op_shrink(o, i);
	else if (r < 90)
		op_maymove(o, i);
	else
		op_remap_fixed(o, i);
}

/* --- the hint thread: no MAP_32BIT, an address hint in the low 2 GiB, and MAP_FIXED
 * only over ranges it owns --------------------------------------------------------- */

static void hint_op(owner_t *o)
{
	unsigned r = (unsigned)st_below(&o->rng, 100);
	if (!o->n || (r < 40 && o->bytes < 64 * M && o->n + 4 < MAX_OWN)) {
		size_t len = PAGE * (1 + st_below(&o->rng, 256));
		uintptr_t hint = o->freed[st_below(&o->rng, 16)];
		if (!hint || st_below(&o->rng, 2))
			hint = 0x10000 + PAGE * st_below(&o->rng, (LOW_END - 0x10000 - len) / PAGE);
		void *p = mmap((void *)hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			FAIL("hint thread: mmap hint %#lx: %s", (unsigned long)hint, errname(errno));
		if ((uintptr_t)p + len > LOW_END) {
			do_munmap(o, (uintptr_t)p, len); /* only low blocks are of interest */
			o->ops[OP_HINT_HIGH]++;
			return;
		}
		o->ops[(uintptr_t)p == hint ? OP_HINT_HONOURED : OP_HINT_LOW_ELSEWHERE]++;
		uint64_t key = st_rand(&o->rng);
		add_blk(o, (uintptr_t)p, (uintptr_t)p, len, key, 0);
		st_stamp((uintptr_t)p, (uintptr_t)p, len, key);
		return;
	}
	size_t i = st_below(&o->rng, o->n);
	blk_t *b = &o->b[i];
	if (r < 65) {
		/* Replace part of an own block with a fresh mapping: it must read zero. */
		size_t off = st_below(&o->rng, pages(b)), n = 1 + st_below(&o->rng, pages(b) - off);
		uintptr_t a = b->addr + off * PAGE;
		check_blk(o, b, "MAP_FIXED");
		void *p = mmap((void *)a, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if ((uintptr_t)p != a)
			FAIL("hint thread: MAP_FIXED at %#lx: %p (%s)", (unsigned long)a, p, errname(errno));
		for (size_t k = 0; k < n; k++)
			if (*(volatile uint64_t *)(a + k * PAGE))
				FAIL("hint thread: MAP_FIXED page %#lx not fresh", (unsigned long)(a + k * PAGE));
		st_stamp(a, b->home + off * PAGE, n * PAGE, b->key);
		o->ops[OP_MAP_FIXED]++;
	} else if (r < 72) {
		void *p = mmap((void *)b->addr, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != MAP_FAILED || errno != EEXIST)
			FAIL("hint thread: MAP_FIXED_NOREPLACE over an own block: %p (%s)", p, errname(errno));
		o->ops[OP_NOREPLACE_EEXIST]++;
	} else {
		o->freed[st_below(&o->rng, 16)] = b->addr;
		check_blk(o, b, "munmap");
		do_munmap(o, b->addr, b->len);
		del_blk(o, i);
		o->ops[OP_HINT_UNMAP]++;
	}
}

/* --- the raw thread: mmap and munmap by system call, never seen by the shim --------- */

static void raw_unmap(owner_t *o, size_t i)
{
	blk_t *b = &o->b[i];
	check_blk(o, b, "raw munmap");
	if (syscall(SYS_munmap, b->addr, b->len) != 0)
		FAIL("raw thread: munmap %#lx+%#zx: %s", (unsigned long)b->addr, b->len, errname(errno));
	del_blk(o, i);
	o->ops[OP_RAW_UNMAP]++;
}

static void raw_op(owner_t *o)
{
	if (!o->n || (st_below(&o->rng, 100) < 50 && o->bytes < 32 * M && o->n + 4 < MAX_OWN)) {
		size_t len = PAGE * (1 + st_below(&o->rng, 64));
		uintptr_t hint = 0x10000 + PAGE * st_below(&o->rng, (LOW_END - 0x10000 - len) / PAGE);
		long r = syscall(SYS_mmap, hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				 -1, 0);
		if (r == -1 && errno == EEXIST) {
			o->ops[OP_RAW_EEXIST]++;
			return;
		}
		if (r == -1)
			FAIL("raw thread: mmap at %#lx: %s", (unsigned long)hint, errname(errno));
		if ((uintptr_t)r != hint) { /* a kernel before 4.17 took the flag as a hint */
			syscall(SYS_munmap, r, len);
			o->ops[OP_RAW_EEXIST]++;
			return;
		}
		uint64_t key = st_rand(&o->rng);
		add_blk(o, hint, hint, len, key, 0);
		st_stamp(hint, hint, len, key);
		o->ops[OP_RAW_MAP]++;
		return;
	}
	raw_unmap(o, st_below(&o->rng, o->n));
}

static void *thread_main(void *arg)
{
	owner_t *o = arg;
	for (;;) {
		if (__atomic_load_n(&pause_req, __ATOMIC_ACQUIRE)) {
			pthread_barrier_wait(&park); /* parked: main checks */
			pthread_barrier_wait(&park); /* released */
			if (__atomic_load_n(&stop_req, __ATOMIC_ACQUIRE))
				break;
			continue;
		}
		if (o->id == HINT_ID)
			hint_op(o);
		else if (o->id == RAW_ID)
			raw_op(o);
		else
			worker_op(o);
	}
	return NULL;
}

/* --- quiescent check --------------------------------------------------------------- */

static int by_addr(const void *a, const void *b)
{
	const blk_t *x = *(const blk_t *const *)a, *y = *(const blk_t *const *)b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void quiescent_check(int n, const char *when)
{
	size_t total = 0, k = 0, bytes = 0;
	blk_t **all;
	st_maps_t maps = {0};
	for (int t = 0; t < NOWNERS; t++)
		total += owners[t].n;
	all = malloc((total + 1) * sizeof *all);
	if (!all)
		FAIL("out of memory");
	for (int t = 0; t < NOWNERS; t++)
		for (size_t i = 0; i < owners[t].n; i++)
			all[k++] = &owners[t].b[i];
	qsort(all, total, sizeof *all, by_addr);
	if (st_maps_load(&maps) != 0)
		FAIL("check %d (%s): cannot read /proc/self/maps", n, when);
	for (size_t i = 0; i < total; i++) {
		const blk_t *b = all[i];
		uintptr_t bad;
		if (!b->len || b->len % PAGE || b->addr % PAGE)
			FAIL("check %d (%s): bad block record %#lx+%#zx", n, when, (unsigned long)b->addr, b->len);
		if (i && all[i - 1]->addr + all[i - 1]->len > b->addr)
			FAIL("check %d (%s): blocks %#lx+%#zx and %#lx+%#zx overlap", n, when, (unsigned long)all[i - 1]->addr,
			     all[i - 1]->len, (unsigned long)b->addr, b->len);
		if (b->must_low && b->addr + b->len > LOW_END)
			FAIL("check %d (%s): MAP_32BIT block %#lx+%#zx ends above 2 GiB", n, when, (unsigned long)b->addr, b->len);
		if (st_check(b->addr, b->home, b->len, b->key, &bad) != 0)
			FAIL("check %d (%s): page %#lx of block %#lx+%#zx clobbered", n, when, (unsigned long)bad, (unsigned long)b->addr,
			     b->len);
		if (!st_maps_covers(&maps, b->addr, b->len))
			FAIL("check %d (%s): block %#lx+%#zx not mapped per /proc/self/maps", n, when, (unsigned long)b->addr, b->len);
		bytes += b->len;
	}
	st_maps_free(&maps);
	free(all);
	/* The raw blocks go, unseen by the shim, whose index then counts as used those it
	 * had noticed (by a collision), as it does the raw blocks unmapped since the last
	 * check. Its rebuild when a request fits nowhere (at most every 100 ms) makes it
	 * exact again. */
	static uint64_t raw_maps_seen;
	if (owners[RAW_ID].ops[OP_RAW_MAP] != raw_maps_seen) {
		raw_maps_seen = owners[RAW_ID].ops[OP_RAW_MAP];
		struct timespec ts = {0, 110 * 1000 * 1000};
		while (owners[RAW_ID].n)
			raw_unmap(&owners[RAW_ID], owners[RAW_ID].n - 1);
		nanosleep(&ts, NULL);
		errno = 0;
		if (st_map32((size_t)1 << 31) != MAP_FAILED || errno != ENOMEM)
			FAIL("check %d (%s): a 2 GiB MAP_32BIT request did not fail with ENOMEM (%s)", n, when,
			     errname(errno));
	}
	if (verify_fn && verify_fn() != 0)
		FAIL("check %d (%s): ljmm_verify: the shim's index and /proc/self/maps differ (%s)", n, when, errname(errno));
	printf("check %d (%s): %zu blocks, %zu MiB live, ok\n", n, when, total, bytes / M);
}

/* --- main -------------------------------------------------------------------------- */

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "FAIL: watchdog: the stress test did not finish in time (deadlock?)\n";
	(void)!write(2, msg, sizeof msg - 1);
	_exit(1);
}

int main(int argc, char **argv)
{
	double secs = st_seconds(argc > 1 ? argv[1] : NULL, 30), t0, end, next;
	uint64_t seed = st_seed(20240611), rng = seed, totals[OP_COUNT] = {0};
	static blk_t fill[MAX_FILL];
	size_t nfill = 0, kept = 0, freed = 0;
	int checks = 0;
	ljmm_stats_t s;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm((unsigned)secs + 180);
	verify_fn = st_verify_fn();
	printf("stress: seed=%#lx seconds=%.0f workers=%d + 1 hint thread + 1 raw-syscall thread; shim %s\n", (unsigned long)seed, secs, NWORKERS,
	       verify_fn ? ST_SHIM_PRESENT : "absent (ljmm_verify checks skipped)");

	/* Exhaust the kernel's window (and, with the shim, the region) with 1 MiB blocks. */
	for (;;) {
		void *p = st_map32(M);
		if (p == MAP_FAILED) {
			if (errno != ENOMEM)
				FAIL("fill: %s, not ENOMEM", errname(errno));
			break;
		}
		if ((uintptr_t)p + M > LOW_END)
			FAIL("fill: MAP_32BIT block %p ends above 2 GiB", p);
		if (nfill == MAX_FILL)
			FAIL("fill: more than %d blocks", MAX_FILL);
		fill[nfill++].addr = (uintptr_t)p;
	}
	/* Free a random ~30 %; the rest goes to the workers in address order, so that they
	 * own runs of adjacent blocks. */
	for (size_t i = 0; i < nfill; i++) {
		if (st_below(&rng, 100) < 30) {
			if (munmap((void *)fill[i].addr, M) != 0)
				FAIL("fill: munmap: %s", errname(errno));
			freed++;
		} else {
			fill[kept++] = fill[i];
		}
	}
	{
		blk_t *tmp[MAX_FILL];
		static blk_t sorted[MAX_FILL];
		for (size_t i = 0; i < kept; i++)
			tmp[i] = &fill[i];
		qsort(tmp, kept, sizeof *tmp, by_addr);
		for (size_t i = 0; i < kept; i++)
			sorted[i] = *tmp[i];
		memcpy(fill, sorted, kept * sizeof *fill);
	}
	for (int t = 0; t < NOWNERS; t++) {
		owners[t].id = t;
		owners[t].rng = seed ^ (0x1000003ull * (uint64_t)(t + 1));
	}
	for (size_t i = 0; i < kept; i++) {
		owner_t *o = &owners[i * NWORKERS / (kept ? kept : 1)];
		uint64_t key = st_rand(&o->rng);
		add_blk(o, fill[i].addr, fill[i].addr, M, key, 1);
		st_stamp(fill[i].addr, fill[i].addr, M, key);
	}
	for (int t = 0; t < NWORKERS; t++)
		owners[t].budget = owners[t].bytes + 64 * M;
	printf("fill: %zu MiB in 1 MiB MAP_32BIT blocks until ENOMEM, freed %zu at random, %zu handed to the workers\n", nfill,
	       freed, kept);
	quiescent_check(checks++, "after fill");

	if (pthread_barrier_init(&park, NULL, NOWNERS + 1) != 0)
		FAIL("pthread_barrier_init");
	for (int t = 0; t < NOWNERS; t++)
		if (pthread_create(&owners[t].th, NULL, thread_main, &owners[t]) != 0)
			FAIL("pthread_create");
	t0 = st_now();
	end = t0 + secs;
	next = t0 + CHECK_EVERY;
	for (;;) {
		double now = st_now(), until = next < end ? next : end;
		if (now < until) {
			struct timespec ts = {(time_t)(until - now), (long)((until - now - (double)(time_t)(until - now)) * 1e9)};
			nanosleep(&ts, NULL);
			continue;
		}
		int last = now >= end;
		__atomic_store_n(&pause_req, 1, __ATOMIC_RELEASE);
		pthread_barrier_wait(&park);
		quiescent_check(checks++, last ? "final" : "running");
		__atomic_store_n(&pause_req, 0, __ATOMIC_RELEASE);
		if (last)
			__atomic_store_n(&stop_req, 1, __ATOMIC_RELEASE);
		pthread_barrier_wait(&park);
		if (last)
			break;
		next = st_now() + CHECK_EVERY;
	}
	for (int t = 0; t < NOWNERS; t++)
		pthread_join(owners[t].th, NULL);

	/* Give everything back: the index must end up as the kernel sees it (the final
	 * check left no raw blocks). */
	for (int t = 0; t < NOWNERS; t++)
		while (owners[t].n)
			op_unmap(&owners[t], owners[t].n - 1);
	quiescent_check(checks++, "all freed");

	uint64_t all_ops = 0;
	for (int t = 0; t < NOWNERS; t++)
		for (int k = 0; k < OP_COUNT; k++)
			totals[k] += owners[t].ops[k];
	for (int k = 0; k < OP_COUNT; k++)
		all_ops += totals[k];
	printf("operations: %lu in %.1f s\n", (unsigned long)all_ops, st_now() - t0);
	for (int k = 0; k < OP_COUNT; k++)
		printf("  %-20s %lu\n", op_names[k], (unsigned long)totals[k]);
	if (st_stats(&s) == 0)
		printf("shim: map32=%lu kernel-served=%lu region-served=%lu enomem=%lu resyncs=%lu conflicts=%lu peak-extents=%lu\n",
		       (unsigned long)s.map32_calls, (unsigned long)s.kernel_served, (unsigned long)s.region_served,
		       (unsigned long)s.failures, (unsigned long)s.resyncs, (unsigned long)s.conflicts, (unsigned long)s.free_extents_peak);
	if (verify_fn && s.region_served == 0)
		FAIL("the region never served a request: the test did not exercise the shim");
	printf("PASS: %d quiescent checks passed\n", checks);
	return 0;
}
