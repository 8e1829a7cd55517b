/* SPDX-License-Identifier: MIT */
/* Reader of /proc/self/maps: raw read(2) into a fixed buffer, parsed by an incremental
 * state machine, so short reads, lines split across reads and lines of any length
 * (long paths) are handled without stdio or allocation. Only the address range of each
 * line is reported; the rest of the line is skipped. */
#ifndef LJMM_MAPS_H
#define LJMM_MAPS_H

#include <stddef.h>
#include <stdint.h>

/** Called for each mapping [start, end); a non-zero return stops the parse and is returned. */
typedef int (*ljmm_maps_fn)(void *ctx, uintptr_t start, uintptr_t end);

typedef struct {
	ljmm_maps_fn fn;
	void *ctx;
	int state;
	int digits;
	uintptr_t start, end;
	unsigned line; /* 1-based number of the line being parsed */
} ljmm_maps_parser_t;

/** Prepare a parser that reports to fn(ctx, …). */
void ljmm_maps_init(ljmm_maps_parser_t *p, ljmm_maps_fn fn, void *ctx);
/** Feed n bytes; 0, -EINVAL at a malformed line (p->line says which), or fn's value. */
int ljmm_maps_feed(ljmm_maps_parser_t *p, const char *buf, size_t n);
/** End of input: 0, or -EINVAL if it stopped inside a line's address range. */
int ljmm_maps_finish(ljmm_maps_parser_t *p);
/** Read fd to its end through the parser (reads retried on EINTR); 0 or negative errno. */
int ljmm_maps_read_fd(int fd, ljmm_maps_fn fn, void *ctx);
/** Open and parse /proc/self/maps; 0 or negative errno. */
int ljmm_maps_read_self(ljmm_maps_fn fn, void *ctx);

#endif
