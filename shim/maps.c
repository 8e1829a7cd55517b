/* SPDX-License-Identifier: MIT */
/* Reader of /proc/self/maps (see maps.h). */
#include "maps.h"

#include <errno.h>
#include <fcntl.h>

#include "layout.h"
#include "sys.h"

enum { S_START, S_END, S_REST };

void ljmm_maps_init(ljmm_maps_parser_t *p, ljmm_maps_fn fn, void *ctx)
{
	p->fn = fn;
	p->ctx = ctx;
	p->state = S_START;
	p->digits = 0;
	p->start = p->end = 0;
	p->line = 1;
}

int ljmm_maps_feed(ljmm_maps_parser_t *p, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		int d;
		switch (p->state) {
		case S_START:
		case S_END: {
			uintptr_t *v = p->state == S_START ? &p->start : &p->end;
			d = ljmm_hexval(c);
			if (d >= 0) {
				/* At most 16 hex digits: anything longer cannot be an address. */
				if (++p->digits > 16)
					return -EINVAL;
				*v = (*v << 4) | (uintptr_t)d;
				break;
			}
			if (p->state == S_START && c == '-' && p->digits) {
				p->state = S_END;
				p->digits = 0;
				break;
			}
			if (p->state == S_END && c == ' ' && p->digits) {
				if (p->end <= p->start)
					return -EINVAL;
				int r = p->fn(p->ctx, p->start, p->end);
				if (r)
					return r;
				p->state = S_REST;
				break;
			}
			return -EINVAL;
		}
		default: /* S_REST: skip to the end of the line, however long it is. */
			if (c == '\n') {
				p->state = S_START;
				p->digits = 0;
				p->start = p->end = 0;
				p->line++;
			}
			break;
		}
	}
	return 0;
}

int ljmm_maps_finish(ljmm_maps_parser_t *p)
{
	/* A clean end is after a newline, or inside the skipped tail of a last line that
	 * lacks one; anything else is a truncated range. */
	if (p->state == S_REST || (p->state == S_START && p->digits == 0))
		return 0;
	return -EINVAL;
}

int ljmm_maps_read_fd(int fd, ljmm_maps_fn fn, void *ctx)
{
	/* 4 KiB on the stack: this runs under the region lock on whatever thread asked,
	 * and must not depend on a static buffer another path could be using. */
	char buf[4096];
	ljmm_maps_parser_t p;
	ljmm_maps_init(&p, fn, ctx);
	for (;;) {
		long r = ljmm_sys_read(fd, buf, sizeof buf);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return (int)r;
		if (r == 0)
			return ljmm_maps_finish(&p);
		int ret = ljmm_maps_feed(&p, buf, (size_t)r);
		if (ret)
			return ret;
	}
}

int ljmm_maps_read_self(ljmm_maps_fn fn, void *ctx)
{
	long fd = ljmm_sys_open("/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	int ret = ljmm_maps_read_fd((int)fd, fn, ctx);
	ljmm_sys_close((int)fd);
	return ret;
}
