/* SPDX-License-Identifier: MIT */
/* Allocation-free text output: a fixed buffer with append helpers, written with one
 * write(2), and the log destination. Safe on every path of the shim, signal handlers
 * included. */
#ifndef LJMM_LOG_H
#define LJMM_LOG_H

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
/** Write the whole buffer to fd, retrying short writes and EINTR; returns 0 or -errno. */
int ljmm_buf_flush(const ljmm_buf_t *b, int fd);

/** The longest log path kept, with its NUL (Linux's PATH_MAX). */
#define LJMM_LOG_PATH_MAX 4096
/** Where lines go: path NULL or "" means stderr; debug turns on LJMM_DEBUG lines. The
 *  path is copied, made absolute against the current directory. */
void ljmm_log_configure(const char *path, int debug);
/** Check the destination once, at start-up: 0, or -errno after one line on stderr
 *  saying that the file cannot be used and that lines go to stderr instead. */
int ljmm_log_check(void);
/** Start a log line "ljmm[pid]: " in b (storage of cap bytes, at least 32). */
void ljmm_log_begin(ljmm_buf_t *b, char *storage, size_t cap);
/** Finish the line with '\n' (also when the text was cut) and write it: to the log
 *  file, opened for this line only, or to stderr. 0 or -errno. */
int ljmm_log_end(ljmm_buf_t *b);

/** LJMM_DEBUG is on (read on the slow paths only). */
extern int ljmm_log_debug_on;
/** One debug line: msg, then " addr=0x..." when addr, " label=n" when label,
 *  " error=ENAME" when err (a negative errno). */
void ljmm_log_debug(const char *msg, uintptr_t addr, const char *label, uint64_t n, int err);
#define LJMM_DEBUG(msg, addr, label, n, err)                                \
	do {                                                                \
		if (__builtin_expect(ljmm_log_debug_on, 0))                 \
			ljmm_log_debug(msg, addr, label, n, err);           \
	} while (0)

#endif
