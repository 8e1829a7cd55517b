/* SPDX-License-Identifier: MIT */
/* The library's log lines, "2026-12-06T20:30:05.123Z [warn] ljmm[4242]: text", and
 * where they go: LJMM_LOG_FILE, opened at start-up and kept, or standard error. Safe on
 * every path of the shim, signal handlers included. */
#ifndef LJMM_LOG_H
#define LJMM_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/** A line's level, nginx's words for them. */
typedef enum { LJMM_LOG_ERROR, LJMM_LOG_WARN, LJMM_LOG_NOTICE, LJMM_LOG_DEBUG } ljmm_log_level_t;

/** The longest log path kept, with its NUL (Linux's PATH_MAX); also the longest
 *  LJMM_LOG_FILE accepted (its bound in config.c's table). */
#define LJMM_LOG_PATH_MAX 4096
/** Where lines go: path NULL or "" means stderr; debug turns on LJMM_DEBUG lines. The
 *  path is copied, made absolute against the current directory; "%p" in it stands for
 *  the process's PID and "%%" for "%". Standard error's identity is recorded here: a
 *  descriptor 2 that later holds another file gets lines only if it is a log-like one
 *  (see ljmm_log_end). */
void ljmm_log_configure(const char *path, int debug);
/** At start-up: open the log file and keep it (so that a process that starts as root
 *  and drops privileges, and the children it forks, go on writing to it). 0, or -errno
 *  after one line on stderr saying that the file cannot be used. */
int ljmm_log_check(void);
/** Append "TIME [level] ljmm[PID]: " to b. */
void ljmm_log_prefix(ljmm_buf_t *b, ljmm_log_level_t level);
/** Start a log line in b (storage of cap bytes, at least 64) with its prefix. */
void ljmm_log_begin(ljmm_buf_t *b, char *storage, size_t cap, ljmm_log_level_t level);
/** Finish the line with '\n' (also when the text was cut) and write it: to the log
 *  file, or to stderr. 0 or -errno. */
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
