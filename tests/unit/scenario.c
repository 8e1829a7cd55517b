/* SPDX-License-Identifier: MIT */
/* Scripted processes for the policy suites (see scenario.h). */
#include "scenario.h"

#include <check.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "config.h"
#include "start.h"
#include "stats.h"
#include "warn.h"

static const char *const *env_now;

static const char *lookup(const char *name)
{
	size_t n = strlen(name);
	for (const char *const *e = env_now; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

void sc_start(const char *const *env)
{
	fk_reset();
	env_now = env;
	ljmm_config_load_with(lookup, 2);
	ljmm_warn_init();
}

void sc_constructor(void) { ljmm_start_run(); }

long sc_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, long off)
{
	void *out = NULL;
	int r = ljmm_alloc_mmap((void *)addr, len, prot, flags, fd, off, &out);
	return r ? r : (long)(uintptr_t)out;
}

long sc_map32(size_t len)
{
	return sc_mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
}

long sc_munmap(uintptr_t addr, size_t len) { return ljmm_alloc_munmap((void *)addr, len); }

long sc_mremap(uintptr_t old, size_t old_len, size_t new_len, int flags, uintptr_t new_addr)
{
	void *out = NULL;
	int r = ljmm_alloc_mremap((void *)old, old_len, new_len, flags, (void *)new_addr, &out);
	return r ? r : (long)(uintptr_t)out;
}

ljmm_stats_t sc_stats(void)
{
	ljmm_stats_t s;
	ljmm_stats_copy(&s);
	return s;
}

void sc_verified_at(const char *what, const char *file, int line)
{
	int r = ljmm_alloc_verify();
	ck_assert_msg(r == 0, "%s:%d: %s: ljmm_alloc_verify() = %d, the index differs from the address space", file,
		      line, what, r);
	ck_assert_msg(fk_open_fds() == 0, "%s:%d: %s: %d descriptors left open", file, line, what, fk_open_fds());
}

int sc_count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}
