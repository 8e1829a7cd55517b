/* SPDX-License-Identifier: MIT */
/* Allocation-free text output (see log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include "internal.h"
#include "sys.h"

void ljmm_buf_init(ljmm_buf_t *b, char *storage, size_t cap)
{
	b->p = storage;
	b->len = 0;
	b->cap = cap;
	b->truncated = 0;
}

void ljmm_buf_mem(ljmm_buf_t *b, const char *s, size_t n)
{
	size_t room = b->cap - b->len;
	if (n > room) {
		n = room;
		b->truncated = 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void ljmm_buf_str(ljmm_buf_t *b, const char *s) { ljmm_buf_mem(b, s, strlen(s)); }

void ljmm_buf_u64(ljmm_buf_t *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ljmm_buf_mem(b, tmp + i, sizeof tmp - i);
}

void ljmm_buf_i64(ljmm_buf_t *b, int64_t v)
{
	if (v < 0) {
		ljmm_buf_mem(b, "-", 1);
		ljmm_buf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		ljmm_buf_u64(b, (uint64_t)v);
	}
}

void ljmm_buf_hex(ljmm_buf_t *b, uint64_t v)
{
	char tmp[18];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	ljmm_buf_mem(b, tmp + i, sizeof tmp - i);
}

void ljmm_buf_mib(ljmm_buf_t *b, uint64_t bytes)
{
	/* Tenths of a MiB, rounded to nearest, without overflowing for any count. */
	uint64_t tenths = (bytes >> 20) * 10 + (((bytes & 0xfffff) * 10 + (1u << 19)) >> 20);
	ljmm_buf_u64(b, tenths / 10);
	ljmm_buf_mem(b, ".", 1);
	ljmm_buf_u64(b, tenths % 10);
	ljmm_buf_str(b, " MiB");
}

/* Every errno an mmap-family call, open(2), read(2) or write(2) of ours can return.
 * Our own table: strerrorname_np is glibc 2.32+ and absent from musl, and the
 * library must load on glibc 2.17. */
static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{EPERM, "EPERM"},     {ENOENT, "ENOENT"},   {EINTR, "EINTR"},   {EIO, "EIO"},
	{ENXIO, "ENXIO"},     {EBADF, "EBADF"},     {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},
	{EACCES, "EACCES"},   {EFAULT, "EFAULT"},   {EBUSY, "EBUSY"},   {EEXIST, "EEXIST"},
	{ENODEV, "ENODEV"},   {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"}, {EINVAL, "EINVAL"},
	{ENFILE, "ENFILE"},   {EMFILE, "EMFILE"},   {ETXTBSY, "ETXTBSY"}, {EFBIG, "EFBIG"},
	{ENOSPC, "ENOSPC"},   {ESPIPE, "ESPIPE"},   {EROFS, "EROFS"},   {EPIPE, "EPIPE"},
	{ERANGE, "ERANGE"},   {EDEADLK, "EDEADLK"}, {ENAMETOOLONG, "ENAMETOOLONG"},
	{ENOSYS, "ENOSYS"},   {ELOOP, "ELOOP"},     {EOVERFLOW, "EOVERFLOW"},
	{EDQUOT, "EDQUOT"},
};

void ljmm_buf_errno(ljmm_buf_t *b, int err)
{
	for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++) {
		if (errno_names[i].err == err) {
			ljmm_buf_str(b, errno_names[i].name);
			return;
		}
	}
	ljmm_buf_str(b, "errno ");
	ljmm_buf_i64(b, err);
}

int ljmm_buf_flush(const ljmm_buf_t *b, int fd)
{
	size_t off = 0;
	while (off < b->len) {
		long r = ljmm_sys_write(fd, b->p + off, b->len - off);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return (int)r;
		off += (size_t)r;
	}
	return 0;
}

/* ljmm_buf_flush with SIGXFSZ held off: a write past RLIMIT_FSIZE fails with EFBIG and
 * raises SIGXFSZ, whose default action kills the process; the program's own writes may
 * do that, ours must not. The signal is blocked for the write and, if the write raised
 * it (it was not pending before), taken back before the mask is restored. Three system
 * calls more per line: lines are rare. */
static int flush_guarded(const ljmm_buf_t *b, int fd)
{
	const uint64_t xfsz = 1ull << (SIGXFSZ - 1);
	uint64_t old = 0, pending = 0;
	int blocked = ljmm_sys_sigmask(SIG_BLOCK, &xfsz, &old) == 0, r;
	if (blocked && ljmm_sys_sigpending(&pending) != 0)
		pending = xfsz; /* unknown: take nothing back */
	r = ljmm_buf_flush(b, fd);
	if (blocked) {
		if (r == -EFBIG && !(pending & xfsz))
			(void)ljmm_sys_sigtake(&xfsz);
		(void)ljmm_sys_sigmask(SIG_SETMASK, &old, NULL);
	}
	return r;
}

/* The log file is opened for each line and closed after it, never kept open: a
 * descriptor kept by number would, after a daemon closes every descriptor and opens its
 * own files, be one of those (the lines would land in the daemon's data). O_NONBLOCK:
 * a FIFO without a reader fails with ENXIO instead of blocking, and a full one fails
 * with EAGAIN rather than stall the process. Created 0600: the lines hold addresses.
 *
 * The path is copied, and made absolute, when the options are read: the environment
 * string it came from is overwritten by programs that set their process title there
 * (nginx, postgres), and a relative path would follow the program's chdir. The copy is
 * in .lbss, after all the other state (pool.c says why): its first bytes share the last
 * page of .bss, already resident; the rest is touched only by a long path.
 *
 * The path is written in place, so it is published by a flag: a thread or a handler
 * that logs while it is being written (the options are read at the first MAP_32BIT
 * call, which can come from any thread) sends its line to stderr rather than open a
 * half-written path with O_CREAT. */
__attribute__((section(".lbss"))) static char log_path[LJMM_LOG_PATH_MAX];
static int log_path_err; /* why the path could not be taken (-errno), or 0 */
static int log_ready;    /* atomic: log_path (and log_path_err) are complete; 0: stderr */
int ljmm_log_debug_on;

void ljmm_log_configure(const char *path, int debug)
{
	size_t n = path ? strlen(path) : 0, at = 0;
	ljmm_log_debug_on = debug;
	__atomic_store_n(&log_ready, 0, __ATOMIC_RELEASE);
	log_path[0] = '\0';
	log_path_err = 0;
	if (!n)
		return;
	if (path[0] != '/') {
		long r = ljmm_sys_getcwd(log_path, sizeof log_path);
		/* Linux 2.6.36+: "(unreachable)/..." when the directory is outside the
		 * process's root; such a prefix cannot be opened either. */
		if (r < 0 || log_path[0] != '/') {
			log_path_err = r < 0 ? (int)r : -ENOENT;
			at = 0;
		} else {
			at = strlen(log_path);
			if (at > 1)
				log_path[at++] = '/';
		}
	}
	if (!log_path_err && at + n >= sizeof log_path)
		log_path_err = -ENAMETOOLONG;
	if (log_path_err) {
		/* Kept for the error line, cut if need be; nothing is opened. */
		at = 0;
		if (n >= sizeof log_path)
			n = sizeof log_path - 1;
	}
	LJMM_TEST_POINT("log: path half written");
	memcpy(log_path + at, path, n);
	log_path[at + n] = '\0';
	__atomic_store_n(&log_ready, 1, __ATOMIC_RELEASE);
}

/* Is there a log file to use (else: stderr)? */
static int have_log(void) { return __atomic_load_n(&log_ready, __ATOMIC_ACQUIRE); }

static long open_log(void)
{
	if (log_path_err)
		return log_path_err;
	return ljmm_sys_open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
}

static int failed_once; /* the "cannot open/write" line was printed */

/* Say once, on stderr, that the log file cannot be used (what: "open" or "write"). */
static void report_unusable(const char *what, int err)
{
	char storage[512];
	ljmm_buf_t b;
	size_t n;
	if (__atomic_exchange_n(&failed_once, 1, __ATOMIC_RELAXED))
		return;
	ljmm_buf_init(&b, storage, sizeof storage - 1);
	ljmm_buf_str(&b, "ljmm: cannot ");
	ljmm_buf_str(&b, what);
	ljmm_buf_str(&b, " LJMM_LOG_FILE='");
	/* Long paths are shortened in the middle so that the line keeps its end. */
	n = strlen(log_path);
	if (n > 300) {
		ljmm_buf_mem(&b, log_path, 140);
		ljmm_buf_str(&b, "...");
		ljmm_buf_str(&b, log_path + n - 140);
	} else {
		ljmm_buf_str(&b, log_path);
	}
	ljmm_buf_str(&b, "': ");
	ljmm_buf_errno(&b, err);
	if (err == ENXIO)
		ljmm_buf_str(&b, " (a FIFO with no reader)");
	else if (err == EFBIG)
		ljmm_buf_str(&b, " (RLIMIT_FSIZE)");
	else if (err == EAGAIN)
		ljmm_buf_str(&b, " (a full FIFO)");
	ljmm_buf_str(&b, "; logging to stderr");
	if (b.len == b.cap)
		b.len--;
	ljmm_buf_mem(&b, "\n", 1);
	(void)flush_guarded(&b, 2);
}

int ljmm_log_check(void)
{
	long fd;
	if (!have_log())
		return 0;
	fd = open_log();
	if (fd < 0) {
		report_unusable("open", (int)-fd);
		return (int)fd;
	}
	ljmm_sys_close((int)fd);
	return 0;
}

void ljmm_log_begin(ljmm_buf_t *b, char *storage, size_t cap)
{
	ljmm_buf_init(b, storage, cap);
	ljmm_buf_str(b, "ljmm[");
	ljmm_buf_i64(b, ljmm_sys_getpid());
	ljmm_buf_str(b, "]: ");
}

int ljmm_log_end(ljmm_buf_t *b)
{
	long fd;
	int r;
	/* Keep room for the newline even when the text was cut. */
	if (b->len == b->cap && b->cap)
		b->len--;
	ljmm_buf_mem(b, "\n", 1);
	if (!have_log())
		return flush_guarded(b, 2);
	fd = open_log();
	if (fd < 0) {
		/* A full descriptor table, a FIFO gone: the line still goes somewhere. */
		report_unusable("open", (int)-fd);
		return flush_guarded(b, 2);
	}
	r = flush_guarded(b, (int)fd);
	ljmm_sys_close((int)fd);
	if (r < 0) {
		report_unusable("write", -r);
		r = flush_guarded(b, 2);
	}
	return r;
}

void ljmm_log_debug(const char *msg, uintptr_t addr, const char *label, uint64_t n, int err)
{
	char storage[256];
	ljmm_buf_t b;
	ljmm_log_begin(&b, storage, sizeof storage);
	ljmm_buf_str(&b, msg);
	if (addr) {
		ljmm_buf_str(&b, " addr=");
		ljmm_buf_hex(&b, addr);
	}
	if (label) {
		ljmm_buf_str(&b, " ");
		ljmm_buf_str(&b, label);
		ljmm_buf_str(&b, "=");
		ljmm_buf_u64(&b, n);
	}
	if (err) {
		ljmm_buf_str(&b, " error=");
		ljmm_buf_errno(&b, -err);
	}
	(void)ljmm_log_end(&b);
}
