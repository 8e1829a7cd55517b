/* SPDX-License-Identifier: MIT */
/* Shared by the fuzz targets and the standalone replay driver (driver.c). */
#ifndef LJMM_FUZZ_H
#define LJMM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/** The libFuzzer entry point every fuzz_*.c defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant broke: say which and abort, so libFuzzer (or the driver) records the input. */
#define FUZZ_CHECK(cond, ...)                                                           \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
			abort();                                                         \
		}                                                                        \
	} while (0)

/* A cursor over the input: bytes run out as zeros. */
typedef struct {
	const uint8_t *p;
	size_t n;
} fuzz_in_t;

static inline unsigned fuzz_u8(fuzz_in_t *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline unsigned fuzz_u16(fuzz_in_t *in)
{
	unsigned a = fuzz_u8(in);
	return a | fuzz_u8(in) << 8;
}

#endif
