/*
 * patch.h - the patch engine subsystem: runs the compiled plan
 * (rt/dsp/plan.h) the server put into an arena plan slot, and switches to
 * another one on SB_CMD_PATCH_SWAP at the start of the next cycle or at
 * the exact frame of the next beat or bar (the cycle is split there: the
 * old plan runs before that frame, the new one from it).
 * SB_CMD_PATCH_STOP retires the plan at the next cycle.  Every switch is
 * reported with SB_EVT_PATCH_SWAPPED so the server can free what only the
 * retired plan used; the status carries the running slot and its serial.
 *
 * The engine never allocates, locks or waits for a swap: the plan and its
 * state are already in shared memory, the switch is an index change.  A
 * new engine runs no plan (the server loads the patch again).
 */
#ifndef SB_PATCH_H
#define SB_PATCH_H

#include "rt/core/subsys.h"

/* The patch engine's entry in the subsystem table. */
extern const struct sb_subsys sb_patch_subsys;

#endif
