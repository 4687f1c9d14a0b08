/*
 * plan.h - a compiled patch: what the server hands the engine.
 *
 * The server compiles patch text into a plan inside one arena plan slot
 * (the offline renderer: inside its own memory).  Everything in a plan is
 * an offset - from the slot base for plan data, from the DSP heap base for
 * state and signal buffers - so the plan runs wherever it is mapped.
 *
 * Execution (sb_plan_run, on the process thread): for each sub-block of
 * at most SB_PLAN_BLOCK frames, walk nodes[] in order (already sorted:
 * every node comes after the nodes it reads, except reads of a delay's
 * output, which see the previous sub-block - that is how feedback through
 * a delay works); for each node gather its inputs (sum of scale * source
 * buffer over its connections, or the zero buffer), build its per-frame
 * parameters (smoothed base value gliding to the plan's target, plus the
 * sum of the connections into that parameter), and call the module's
 * process.
 *
 * State blocks: each node's heap block starts with struct sb_node_state
 * (param smoothing), then the module's own state.  A node the server kept
 * from the previous plan (same id, type and shape) points at the same
 * block, so it keeps phase, filter memory, envelope and delay contents,
 * and its parameters glide from where they were to the new targets.
 */
#ifndef SB_PLAN_H
#define SB_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "rt/dsp/module.h"

#define SB_PLAN_MAGIC 0x4e4c5042u	/* "BPLN" */
#define SB_PLAN_VERSION 1u
#define SB_PLAN_MAX_NODES 4096
#define SB_NODE_ID_MAX 32
#define SB_GLIDE_S 0.02f	/* parameter glide time on a change */

enum sb_conn_kind { SB_CONN_INPUT = 0, SB_CONN_PARAM = 1 };

struct sb_plan_conn {
	uint32_t src_buf;	/* signal buffer index of the source output */
	uint32_t kind;		/* enum sb_conn_kind */
	uint32_t index;		/* input or parameter index on the node */
	float scale;
};

struct sb_plan_node {
	char id[SB_NODE_ID_MAX];	/* for the graph view and debugging */
	uint32_t type;		/* index into sb_mod_table */
	uint32_t n_conns;	/* connections into this node */
	uint64_t conn_off;	/* slot offset of its struct sb_plan_conn[] */
	uint64_t state_off;	/* heap offset of its state block */
	uint64_t param_off;	/* slot offset of float target[n_params] */
	uint64_t data_off;	/* slot offset of compiled text data, 0 none */
	uint32_t out_buf;	/* first output buffer; outputs are consecutive */
	uint32_t pad;
};

struct sb_plan_hdr {
	uint32_t magic;
	uint32_t version;
	uint64_t serial;	/* increases with every compiled plan */
	uint32_t n_nodes;
	uint32_t n_bufs;	/* signal buffers, SB_PLAN_BLOCK floats each */
	uint64_t nodes_off;	/* slot offset of struct sb_plan_node[] */
	uint64_t bufs_off;	/* heap offset of n_bufs * SB_PLAN_BLOCK floats */
	uint64_t bytes;		/* bytes of the slot in use */
	uint32_t rate;		/* sample rate it was compiled for */
	uint32_t pad;
};

/* Head of every node's heap block. */
struct sb_node_state {
	uint32_t ready;		/* 0 until the first run: start at target */
	uint32_t n_params;
	float cur[SB_MOD_MAX_PARAMS];	/* smoothed parameter values */
};

/* Heap offset where the module's own state starts. */
#define SB_NODE_STATE_BYTES \
	((sizeof(struct sb_node_state) + 63u) & ~(size_t)63u)

/*
 * Run a plan over one cycle of nframes (split into sub-blocks).
 * slot: the plan's slot base; heap: the DSP heap base.  ctx carries the
 * transport, engine inputs/outputs and MIDI; its nframes/offset fields are
 * set per sub-block by sb_plan_run.  Pure: no JACK, no arena - the engine
 * and the offline renderer share it (the renderer's main thread plays
 * the process thread's part).
 */
/* thread: process */
void sb_plan_run(const uint8_t *slot, uint8_t *heap, struct sb_mod_ctx *ctx,
		 uint32_t nframes);

/* 0 if the slot holds a plan this build can run, -EPROTO.  RT-safe. */
/* thread: any */
int sb_plan_check(const uint8_t *slot, uint64_t slot_bytes,
		  uint64_t heap_bytes);

#endif
