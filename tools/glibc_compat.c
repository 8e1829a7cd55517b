/* SPDX-License-Identifier: MIT */
/* Start-up of the tools on glibc 2.17 and later, whatever glibc built them.
 *
 * glibc 2.34 moved the work of __libc_csu_init into libc and gave __libc_start_main a
 * new symbol version, GLIBC_2.34, which the Scrt1.o of every later glibc references:
 * a program linked there refuses to start on an older glibc ("version `GLIBC_2.34' not
 * found"). The tools are linked with --wrap=__libc_start_main (tools/CMakeLists.txt
 * does so only when the building glibc is 2.34 or newer), so Scrt1.o's call lands here,
 * and this calls the GLIBC_2.2.5 version, which every glibc since 2.2.5 provides.
 *
 * That older interface expects the program to bring its own initialiser (glibc before
 * 2.34 linked __libc_csu_init from libc_nonshared.a for it): run_init below does what
 * that did for a dynamically linked program, _init and then .init_array (the dynamic
 * linker runs .preinit_array itself). glibc 2.34 and later call the initialiser too
 * when one is passed ("a legacy program") instead of walking the arrays themselves, so
 * each constructor runs exactly once on every glibc. No fini is passed: since glibc
 * 2.2.x the dynamic linker's _dl_fini runs the program's destructors. */
#include <stddef.h>

typedef int (*ljmm_main_fn)(int, char **, char **);
typedef void (*ljmm_init_fn)(int, char **, char **);

int ljmm_libc_start_main_2_2_5(ljmm_main_fn main_fn, int argc, char **argv, void (*init)(int, char **, char **),
			       void (*fini)(void), void (*rtld_fini)(void), void *stack_end);
__asm__(".symver ljmm_libc_start_main_2_2_5, __libc_start_main@GLIBC_2.2.5");

int __wrap___libc_start_main(ljmm_main_fn main_fn, int argc, char **argv, void (*init)(void), void (*fini)(void),
			     void (*rtld_fini)(void), void *stack_end);

/* Defined by the linker (hidden, as for glibc's own csu/elf-init.c) and by crti.o. */
extern ljmm_init_fn __init_array_start[] __attribute__((visibility("hidden")));
extern ljmm_init_fn __init_array_end[] __attribute__((visibility("hidden")));
extern void _init(void);

static void run_init(int argc, char **argv, char **envp)
{
	size_t n = (size_t)(__init_array_end - __init_array_start);
	_init();
	for (size_t i = 0; i < n; i++)
		__init_array_start[i](argc, argv, envp);
}

int __wrap___libc_start_main(ljmm_main_fn main_fn, int argc, char **argv, void (*init)(void), void (*fini)(void),
			     void (*rtld_fini)(void), void *stack_end)
{
	/* Scrt1.o of glibc >= 2.34 passes NULL for both. */
	(void)init;
	(void)fini;
	return ljmm_libc_start_main_2_2_5(main_fn, argc, argv, run_init, NULL, rtld_fini, stack_end);
}
