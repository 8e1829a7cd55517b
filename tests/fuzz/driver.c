/* SPDX-License-Identifier: MIT */
/* Standalone driver for the fuzz targets when libFuzzer is not available (gcc builds):
 * replays every file of the given corpus directories (or single files), in name order,
 * then runs N pseudo-random inputs from a fixed seed, each through
 * LLVMFuzzerTestOneInput. A failed check aborts, so ctest reports the input that broke
 * (the driver names each file before running it).
 *
 *   driver [-n N] [-s SEED] [-m MAXLEN] PATH...
 *
 * Random inputs are of three kinds, so they reach past the input's header: uniform
 * bytes, bytes from a small alphabet (hex digits, '-', ' ', '\n', K/M/G, x), and
 * mutations (byte flips, appended runs) of the corpus files. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

typedef struct {
	uint8_t *data;
	size_t len;
} blob_t;

static blob_t *corpus;
static size_t ncorpus, corpus_cap;
static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int read_file(const char *path, blob_t *out)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, len = 0, n;
	uint8_t *buf;
	if (!f)
		return -1;
	buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	fclose(f);
	if (!buf)
		return -1;
	out->data = buf;
	out->len = len;
	return 0;
}

static void run_file(const char *path)
{
	blob_t b;
	if (read_file(path, &b) != 0) {
		fprintf(stderr, "driver: cannot read %s: %s\n", path, strerror(errno));
		exit(2);
	}
	fprintf(stderr, "driver: running %s (%zu bytes)\n", path, b.len);
	LLVMFuzzerTestOneInput(b.data, b.len);
	if (ncorpus == corpus_cap) {
		corpus_cap = corpus_cap ? corpus_cap * 2 : 16;
		corpus = realloc(corpus, corpus_cap * sizeof *corpus);
		if (!corpus)
			exit(2);
	}
	corpus[ncorpus++] = b;
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static void run_path(const char *path)
{
	struct stat st;
	struct dirent **names;
	int n;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	n = scandir(path, &names, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "driver: cannot list %s: %s\n", path, strerror(errno));
		exit(2);
	}
	for (int i = 0; i < n; i++) {
		char full[4096];
		if (names[i]->d_name[0] != '.') {
			snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
			if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
				run_file(full);
		}
		free(names[i]);
	}
	free(names);
}

static void random_input(uint8_t *buf, size_t *len, size_t maxlen)
{
	static const char alphabet[] = "0123456789abcdefABCDEF-- \n\n\nxXkKmMgG\t\x01\xff";
	unsigned kind = (unsigned)(rnd() % 4);
	size_t n = (size_t)(rnd() % (maxlen + 1));
	if (kind == 3 && ncorpus) {
		/* Mutate a corpus file: copy, then change bytes and append a random run. */
		const blob_t *b = &corpus[rnd() % ncorpus];
		n = b->len < maxlen ? b->len : maxlen;
		memcpy(buf, b->data, n);
		for (unsigned k = 1 + (unsigned)(rnd() % 8); k-- && n;) {
			size_t at = (size_t)(rnd() % n);
			if (rnd() & 1)
				buf[at] ^= (uint8_t)(1u << (rnd() % 8));
			else
				buf[at] = (uint8_t)rnd();
		}
		if (n < maxlen && (rnd() & 1)) {
			size_t extra = (size_t)(rnd() % (maxlen - n + 1));
			for (size_t i = 0; i < extra; i++)
				buf[n + i] = (uint8_t)rnd();
			n += extra;
		}
	} else if (kind >= 2) {
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)alphabet[rnd() % (sizeof alphabet - 1)];
	} else {
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
	}
	*len = n;
}

int main(int argc, char **argv)
{
	unsigned long long nrandom = 0, seed = 1, maxlen = 1024;
	size_t files, len;
	uint8_t *buf;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i += 2) {
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "-n") == 0)
			nrandom = strtoull(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "-s") == 0)
			seed = strtoull(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "-m") == 0)
			maxlen = strtoull(argv[i + 1], NULL, 0);
		else
			goto usage;
	}
	for (; i < argc; i++)
		run_path(argv[i]);
	files = ncorpus;
	rng_state = seed;
	buf = malloc(maxlen ? maxlen : 1);
	if (!buf)
		return 2;
	for (unsigned long long k = 0; k < nrandom; k++) {
		random_input(buf, &len, maxlen);
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("driver: %zu corpus inputs and %llu random inputs (seed %llu, up to %llu bytes) passed\n", files, nrandom,
	       seed, maxlen);
	free(buf);
	return 0;
usage:
	fprintf(stderr, "usage: %s [-n N] [-s SEED] [-m MAXLEN] PATH...\n", argv[0]);
	return 2;
}
