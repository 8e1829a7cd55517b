/* SPDX-License-Identifier: MIT */
/* Allocation-free text formatting into a fixed buffer (numbers, sizes, errno names, UTC
 * times) and its write with one write(2) (see buf.h). */
#include "buf.h"

#include <errno.h>
#include <signal.h>
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


/* SIGXFSZ held off: a write past RLIMIT_FSIZE fails with EFBIG and
 * raises SIGXFSZ, whose default action kills the process; the program's own writes may
 * do that, ours must not. The signal is blocked for the write and, if the write raised
 * it (it was not pending before), taken back before the mask is restored. Three system
 * calls more per line: lines are rare. */
int ljmm_buf_flush_guarded(const ljmm_buf_t *b, int fd)
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

/* n as exactly width decimal digits (the low ones), zero-padded. */
static void buf_digits(ljmm_buf_t *b, uint64_t n, int width)
{
	char tmp[8];
	for (int i = width - 1; i >= 0; i--) {
		tmp[i] = (char)('0' + n % 10);
		n /= 10;
	}
	ljmm_buf_mem(b, tmp, (size_t)width);
}

void ljmm_buf_utc(ljmm_buf_t *b, int64_t sec, long nsec)
{
	/* Our own conversion: gmtime_r is not async-signal-safe on every libc we load
	 * into, and localtime would read /etc/localtime (files, allocation, a lock). UTC
	 * says so with its "Z", so a reader never has to guess the zone. The civil date
	 * from a day count is the proleptic Gregorian algorithm of Howard Hinnant's
	 * "chrono-Compatible Low-Level Date Algorithms". */
	int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
	int64_t secs = sec - days * 86400;
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	if (y < 0 || y > 9999 || nsec < 0 || nsec > 999999999) {
		ljmm_buf_str(b, "\?\?\?\?-\?\?-\?\?T\?\?:\?\?:\?\?.\?\?\?Z");
		return;
	}
	buf_digits(b, (uint64_t)y, 4);
	ljmm_buf_mem(b, "-", 1);
	buf_digits(b, (uint64_t)m, 2);
	ljmm_buf_mem(b, "-", 1);
	buf_digits(b, (uint64_t)d, 2);
	ljmm_buf_mem(b, "T", 1);
	buf_digits(b, (uint64_t)(secs / 3600), 2);
	ljmm_buf_mem(b, ":", 1);
	buf_digits(b, (uint64_t)(secs / 60 % 60), 2);
	ljmm_buf_mem(b, ":", 1);
	buf_digits(b, (uint64_t)(secs % 60), 2);
	ljmm_buf_mem(b, ".", 1);
	buf_digits(b, (uint64_t)(nsec / 1000000), 3);
	ljmm_buf_mem(b, "Z", 1);
}
