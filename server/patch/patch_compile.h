/*
 * patch_compile.h - patch text -> a runnable plan (rt/plan.h) in a free
 * plan slot, with its DSP heap blocks.
 *
 * Steps: parse (patch_parse.h); resolve types, ports, parameters and
 * values against the module table (note names -> Hz for Hz parameters,
 * enum words -> index, seq patterns -> rt/seq_data.h); order the nodes so
 * every node runs after the nodes it reads (a cycle must pass through a
 * delay, whose outputs are read one sub-block late); give every output
 * port a signal buffer (buffer 0 is an always-zero buffer); reuse the
 * state block of every node of the previous plan with the same id, type
 * and shape parameters, allocate and init the rest; write the slot.
 *
 * The compiler owns nothing between calls: the caller (the server, or the
 * offline renderer) owns the heap bookkeeping and decides when blocks go
 * back: `freeable` once the previous plan is retired, or `fresh` if the
 * new plan is never swapped in.  A failed compile changes nothing (its
 * blocks are already returned) and writes only into the target slot.
 *
 * The target and result types (struct pc_target, pc_ids, pc_result) live
 * in patch_cc.h, which the stages share; this header brings them along.
 */
#ifndef SB_PATCH_COMPILE_H
#define SB_PATCH_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "rt/dsp/plan.h"
#include "server/patch/patch_cc.h"
#include "server/patch/patch_heap.h"
#include "server/patch/patch_lex.h"

/*
 * Compile on the thread that owns the heap bookkeeping while it runs: the
 * server's worker (ctl_defer, off the control thread), the renderer's
 * main thread.  0 or a negative errno with r->err set ("line L, column C:
 * ..." for errors in the text).  Always pc_result_free(r).
 */
/* thread: worker, main */
int pc_compile(const char *text, size_t len, const struct pc_target *t,
	       struct pc_result *r);

/* Release the lists in *r (not heap blocks). */
/* thread: any */
void pc_result_free(struct pc_result *r);

/*
 * Mark every heap block a plan uses (its nodes' state, its signal
 * buffers) as used - after a server restart, ph_reset() and call this for
 * the active and the pending plan.  A block two plans share is marked
 * once.  0, or -EPROTO (not a plan), -EINVAL (blocks overlap or lie
 * outside the heap) with err set.  The heap's owner: the control thread.
 */
/* thread: control */
int pc_heap_mark_plan(struct ph_heap *h, const uint8_t *slot,
		      uint64_t slot_bytes, char *err, size_t errlen);

/* Heap blocks a plan uses; *offs malloc'd (free() it). */
/* thread: any */
int pc_plan_blocks(const uint8_t *slot, uint64_t **offs, uint32_t *n);

#endif
