/* SPDX-License-Identifier: MIT */
/* Allocation-free text formatting: a fixed buffer with append helpers, written with one
 * write(2). Safe on every path of the shim, signal handlers included. */
#ifndef LJMM_BUF_H
#define LJMM_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	char *p;
	size_t len, cap;
	int truncated;
} ljmm_buf_t;

/** Start an empty buffer over storage of cap bytes. */
void ljmm_buf_init(ljmm_buf_t *b, char *storage, size_t cap);
/** Append a NUL-terminated string (truncates silently at capacity). */
void ljmm_buf_str(ljmm_buf_t *b, const char *s);
/** Append at most n bytes of s. */
void ljmm_buf_mem(ljmm_buf_t *b, const char *s, size_t n);
/** Append an unsigned decimal number. */
void ljmm_buf_u64(ljmm_buf_t *b, uint64_t v);
/** Append a signed decimal number. */
void ljmm_buf_i64(ljmm_buf_t *b, int64_t v);
/** Append 0x-prefixed lower-case hexadecimal. */
void ljmm_buf_hex(ljmm_buf_t *b, uint64_t v);
/** Append a byte count in MiB with one decimal ("1017.3 MiB"). */
void ljmm_buf_mib(ljmm_buf_t *b, uint64_t bytes);
/** Append the symbolic name of a positive errno value ("ENOMEM"), or "errno N" for one
 *  not in the table (strerrorname_np needs glibc 2.32, and musl has none). */
void ljmm_buf_errno(ljmm_buf_t *b, int err);
/** Append a Unix time as UTC, ISO 8601 with milliseconds: "2026-12-06T20:30:05.123Z"
 *  (question marks for a time outside the years 0 to 9999). */
void ljmm_buf_utc(ljmm_buf_t *b, int64_t sec, long nsec);
/** Write the whole buffer to fd, retrying short writes and EINTR; returns 0 or -errno. */
int ljmm_buf_flush(const ljmm_buf_t *b, int fd);
/** ljmm_buf_flush with SIGXFSZ held off, for writes to files (RLIMIT_FSIZE). */
int ljmm_buf_flush_guarded(const ljmm_buf_t *b, int fd);

#endif
