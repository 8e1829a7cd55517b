/* SPDX-License-Identifier: MIT */
/* Allocation-free text output (see log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

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

/* The log file is opened for each line and closed after it, never kept open: a
 * descriptor kept by number would, after a daemon closes every descriptor and opens its
 * own files, be one of those (the lines would land in the daemon's data). O_NONBLOCK:
 * a FIFO without a reader fails with ENXIO instead of blocking, and a full one drops
 * the line rather than stall the process. Created 0600: the lines hold addresses. */
static const char *log_path; /* NULL: stderr */
int ljmm_log_debug_on;

void ljmm_log_configure(const char *path, int debug)
{
	log_path = path && *path ? path : NULL;
	ljmm_log_debug_on = debug;
}

static long open_log(void)
{
	return ljmm_sys_open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
}

static int failed_once; /* the "cannot open" line was printed */

/* Say once, on stderr, that the log file cannot be used. */
static void report_unusable(int err)
{
	char storage[512];
	ljmm_buf_t b;
	size_t n;
	if (__atomic_exchange_n(&failed_once, 1, __ATOMIC_RELAXED))
		return;
	ljmm_buf_init(&b, storage, sizeof storage - 1);
	ljmm_buf_str(&b, "ljmm: cannot open LJMM_LOG_FILE='");
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
	ljmm_buf_str(&b, "; logging to stderr");
	if (b.len == b.cap)
		b.len--;
	ljmm_buf_mem(&b, "\n", 1);
	(void)ljmm_buf_flush(&b, 2);
}

int ljmm_log_check(void)
{
	long fd;
	if (!log_path)
		return 0;
	fd = open_log();
	if (fd < 0) {
		report_unusable((int)-fd);
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
	long fd = 2;
	int r;
	/* Keep room for the newline even when the text was cut. */
	if (b->len == b->cap && b->cap)
		b->len--;
	ljmm_buf_mem(b, "\n", 1);
	if (log_path) {
		fd = open_log();
		if (fd < 0) {
			report_unusable((int)-fd);
			fd = 2; /* a full descriptor table, a FIFO gone: the line still goes somewhere */
		}
	}
	r = ljmm_buf_flush(b, (int)fd);
	if (fd != 2)
		ljmm_sys_close((int)fd);
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
