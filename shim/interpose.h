/* SPDX-License-Identifier: MIT */
/* What start-up asks of the exported entry points (see interpose.c). */
#ifndef LJMM_INTERPOSE_H
#define LJMM_INTERPOSE_H

/** 1 when this copy of the shim is the one the process binds the ljmm names to;
 *  0 when another copy comes first (two in LD_PRELOAD, or the program's own, linked in
 *  from ljmm.o and exported), or this one was loaded with dlopen after the process
 *  had bound them elsewhere. */
int ljmm_interpose_first_copy(void);

#endif
