/* SPDX-License-Identifier: MIT */
/* Warnings for operators (see warn.h).
 *
 * When a worker's Lua dies with "not enough memory", the program's own log should say
 * why. Each line is printed once per process (a fork child starts with its parent's
 * record of what was printed), to the log destination (stderr, which nginx sends to its
 * error log, or LJMM_LOG_FILE):
 *
 *   ljmm[PID]: warning: 90% of the low 2 GiB in use (1843.2 MiB of 2047.9 MiB)
 *   ljmm[PID]: MAP_32BIT request of 1048576 bytes failed: the low 2 GiB is full
 *              (2046.9 MiB of 2047.9 MiB in use, largest free range 0.5 MiB at 0x...)
 *   ljmm[PID]: MAP_32BIT request of 3221225472 bytes failed: larger than the whole region
 *              (2047.9 MiB)
 *   ljmm[PID]: MAP_32BIT request of 1213486160 bytes (0x48545450) failed: as text in
 *              network byte order its size reads "HTTP": a length taken from the data?
 *
 * Thresholds cost one comparison per change of the region's use (index.c), failures
 * nothing until one happens. The failure line's figures come from the index (alloc.c
 * reads them inside the region's section), which exists whenever the region was asked. */
#include "warn.h"

#include <stdint.h>

#include "config.h"
#include "layout.h"
#include "log.h"

unsigned ljmm_warn_next = 90;
static uint64_t pending; /* thresholds still to cross, packed as config.h's PERCENTS */
static int failure_told, text_told;

void ljmm_warn_init(void)
{
	pending = ljmm_config_get(LJMM_OPT_WARN);
	ljmm_warn_next = (unsigned)(pending & 0xff);
}

void ljmm_warn_crossed(uint64_t in_use, uint64_t total)
{
	char storage[192];
	ljmm_buf_t b;
	unsigned crossed = 0;
	/* Several at once (a large block): one line, for the highest. */
	while (ljmm_warn_next && in_use * 100 >= (uint64_t)ljmm_warn_next * total) {
		crossed = ljmm_warn_next;
		pending >>= 8;
		ljmm_warn_next = (unsigned)(pending & 0xff);
	}
	if (!crossed)
		return;
	ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_WARN);
	ljmm_buf_u64(&b, crossed);
	ljmm_buf_str(&b, "% of the low 2 GiB in use (");
	ljmm_buf_mib(&b, in_use);
	ljmm_buf_str(&b, " of ");
	ljmm_buf_mib(&b, total);
	ljmm_buf_str(&b, ")");
	(void)ljmm_log_end(&b);
}

int ljmm_warn_len_text(uint64_t len, char out[9])
{
	int bytes = (len >> 32) ? 8 : 4;
	if (len <= LJMM_GIB)
		return 0;
	for (int i = 0; i < bytes; i++) {
		unsigned char c = (unsigned char)(len >> (8 * (bytes - 1 - i)));
		if (c < 0x20 || c > 0x7e)
			return 0;
		out[i] = (char)c;
	}
	out[bytes] = 0;
	return 1;
}

int ljmm_warn_failure_due(size_t len)
{
	char text[9];
	if (!ljmm_config_get(LJMM_OPT_WARN))
		return 0;
	return !__atomic_load_n(&failure_told, __ATOMIC_RELAXED) ||
	       (!__atomic_load_n(&text_told, __ATOMIC_RELAXED) && ljmm_warn_len_text(len, text));
}

void ljmm_warn_failure(size_t len, const ljmm_usage_t *u)
{
	char storage[320], text[9];
	ljmm_buf_t b;
	if (!ljmm_config_get(LJMM_OPT_WARN))
		return;
	if (!__atomic_exchange_n(&failure_told, 1, __ATOMIC_RELAXED)) {
		ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_ERROR);
		ljmm_buf_str(&b, "MAP_32BIT request of ");
		ljmm_buf_u64(&b, len);
		ljmm_buf_str(&b, " bytes failed: ");
		if (u ? len > u->total : len >= LJMM_2G) {
			/* Nothing to free would help: say so rather than "full" with room left. */
			ljmm_buf_str(&b, "larger than the whole region");
			if (u) {
				ljmm_buf_str(&b, " (");
				ljmm_buf_mib(&b, u->total);
				ljmm_buf_str(&b, ")");
			}
		} else {
			ljmm_buf_str(&b, "the low 2 GiB is full");
			if (u) {
				ljmm_buf_str(&b, " (");
				ljmm_buf_mib(&b, u->in_use);
				ljmm_buf_str(&b, " of ");
				ljmm_buf_mib(&b, u->total);
				ljmm_buf_str(&b, " in use, largest free range ");
				ljmm_buf_mib(&b, u->largest_len);
				if (u->largest_len) {
					ljmm_buf_str(&b, " at ");
					ljmm_buf_hex(&b, u->largest_start);
				}
				ljmm_buf_str(&b, ")");
			}
		}
		(void)ljmm_log_end(&b);
	}
	if (ljmm_warn_len_text(len, text) && !__atomic_exchange_n(&text_told, 1, __ATOMIC_RELAXED)) {
		ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_WARN);
		ljmm_buf_str(&b, "MAP_32BIT request of ");
		ljmm_buf_u64(&b, len);
		ljmm_buf_str(&b, " bytes (");
		ljmm_buf_hex(&b, len);
		ljmm_buf_str(&b, ") failed: as text in network byte order its size reads \"");
		ljmm_buf_str(&b, text);
		ljmm_buf_str(&b, "\": a length taken from the data?");
		(void)ljmm_log_end(&b);
	}
}
