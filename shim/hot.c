/* SPDX-License-Identifier: MIT */
/* The per-call state's one instance (see hot.h), aligned to its own cache line. */
#include "hot.h"

#include "internal.h"

ljmm_hot_t ljmm_hot __attribute__((aligned(64))) = {.bound_hi = LJMM_2G};
