/* SPDX-License-Identifier: MIT */
/* Start-up work the constructor asks for once the options are loaded (see start.c). */
#ifndef LJMM_START_H
#define LJMM_START_H

/** Set up the lock page (and its fork handler) and the brk guard; with LJMM_ENABLE=off,
 *  none of it, and the guard's state says off. */
void ljmm_start_run(void);

#endif
