/* SPDX-License-Identifier: MIT */
/* Storage for the low-region index: one static array, see pool.c. */
#ifndef LJMM_POOL_H
#define LJMM_POOL_H

#include "region.h"

/* Extents in [lo, hi) are disjoint and never adjacent, so there are at most half as
 * many as pages below 2 GiB: with this capacity the index can never be full. */
#define LJMM_POOL_CAP ((1u << 18) + 2)

/** The index's node storage (7 MiB of .bss; untouched pages cost no memory). */
extern ljmm_region_node_t ljmm_pool_nodes[LJMM_POOL_CAP];

#endif
