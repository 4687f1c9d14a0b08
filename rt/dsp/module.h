/*
 * module.h - the DSP module contract.
 *
 * A module type is one rt/dsp/mod_<type>.c file defining one struct
 * sb_mod_def, listed in the one table in rt/dsp/modtable.c.  Its lifecycle:
 *
 *   state_size(params, rate)   thread: any.  Bytes of state for these
 *                              shape parameters (delay max time ...)
 *   init(state, params, rate)  thread: worker (the server compiling a
 *                              patch; the offline renderer's main
 *                              thread): fresh state in memory the
 *                              caller allocated
 *   process(...)               thread: process.  One block of at most
 *                              SB_PLAN_BLOCK frames; no allocation,
 *                              locks, I/O
 *
 * State lives in the arena's DSP heap (or the renderer's memory), never
 * inside the module code, so a module whose id, type and shape survive a
 * patch edit keeps its state: the new plan points at the same block.
 *
 * Signals are floats.  Conventions: audio +-1; pitch as V/oct, 0 = C4
 * (261.6256 Hz), +1 = one octave up; gates 0 / 1 (high when > 0.5);
 * frequencies in Hz; times in seconds.
 */
#ifndef SB_MODULE_H
#define SB_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "rt/dsp/transport.h"

#define SB_PLAN_BLOCK 256	/* frames per module call, at most */
#define SB_MOD_MAX_PORTS 16
#define SB_MOD_MAX_PARAMS 16
#define SB_C4_HZ 261.6255653f

enum sb_param_kind {
	SB_PK_NUM,	/* number in [min, max]; note names allowed */
	SB_PK_ENUM,	/* one of choices; stored as its index */
	SB_PK_TEXT,	/* text compiled by the server into module data
			 * (the seq pattern); not modulatable */
};

struct sb_param_def {
	const char *name;
	enum sb_param_kind kind;
	float min, max, def;
	const char *unit;		/* "Hz", "s", "", ... */
	const char *doc;
	const char *const *choices;	/* SB_PK_ENUM: NULL-terminated */
	int shape;	/* 1: a change needs fresh state (buffer sizes) */
};

struct sb_port_def {
	const char *name;
	const char *doc;
};

/* MIDI seen this block, already parsed (for the midi module). */
struct sb_mod_midi {
	uint32_t n;
	struct {
		uint32_t offset;	/* frame within the block */
		uint8_t bytes[3];
	} ev[64];
};

/* What a module sees of the world during one block; read-only. */
struct sb_mod_ctx {
	uint32_t nframes;		/* <= SB_PLAN_BLOCK */
	uint32_t rate;
	const struct sb_beats *beats;	/* transport of the enclosing cycle */
	uint32_t offset;		/* this block's frame within the cycle */
	const float *const *ext_in;	/* engine inputs, this block's frames */
	uint32_t n_ext_in;
	float *ext_out[2];		/* main out L/R, added into (out module) */
	const struct sb_mod_midi *midi;	/* events with offsets in this block */
};

struct sb_mod_def {
	const char *type;		/* name in the patch language */
	const char *doc;
	const struct sb_port_def *inputs;	/* signal inputs */
	uint32_t n_inputs;
	const struct sb_port_def *outputs;
	uint32_t n_outputs;
	const struct sb_param_def *params;
	uint32_t n_params;
	/* bytes of state; params are the node's values */
	/* thread: any */
	size_t (*state_size)(const float *params, uint32_t rate);
	/* make fresh state (memory is zeroed) */
	/* thread: worker */
	void (*init)(void *state, const float *params, uint32_t rate);
	/*
	 * in[i]: input i (a zero buffer when unconnected).  p[k]:
	 * parameter k per frame (smoothed value plus modulation; enum and
	 * text params hold their index / 0).  out[j]: output j, to be
	 * written (not added).  data: the node's compiled text data, or NULL.
	 */
	/* thread: process */
	void (*process)(void *state, const struct sb_mod_ctx *c,
			const float *const *in, const float *const *p,
			float *const *out, const void *data);
};

/* rt/dsp/modtable.c: the one table. */
extern const struct sb_mod_def *const sb_mod_table[];
extern const uint32_t sb_mod_count;
/* The module named type and its table index, or NULL. */
/* thread: any */
const struct sb_mod_def *sb_mod_find(const char *type, uint32_t *index);

#endif
