/* SPDX-License-Identifier: MIT */
/* Reading a numeric kernel setting from /proc/sys without libc. */
#ifndef LJMM_SYSCTL_H
#define LJMM_SYSCTL_H

#include <stdint.h>

/** Read the decimal number at the start of path (e.g. /proc/sys/vm/mmap_min_addr):
 *  0 with *out set, or -errno (-EINVAL when the file does not start with a digit). */
int ljmm_sysctl_read(const char *path, uint64_t *out);

#endif
