/*
 * meter.c - the peak meters: one subsystem at the head of the table for the
 * inputs, one at its tail for the main outputs (after the safety stage, so
 * it shows what leaves the box).  Owns no commands.
 */
#include "rt/core/meter.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define SB_METER_FLOOR 1e-9f	/* -180 dBFS: shown as silence */

struct meter {
	int outputs;		/* 1: meters out_L/out_R, 0: the inputs */
	uint32_t n_inputs;
	uint32_t rate;
	uint32_t gain_frames;	/* block size the cached gain is for */
	float gain;
	uint32_t over_hold;	/* frames an over flag stays set */
	float peak[SB_MAX_INPUTS];
	uint32_t over_left[SB_MAX_INPUTS];	/* frames until the flag clears */
};

float sb_meter_fall_gain(uint32_t nframes, uint32_t rate)
{
	float seconds = rate ? (float)nframes / (float)rate : 0.0f;

	return powf(10.0f, -SB_METER_FALL_DB_PER_S * seconds / 20.0f);
}

float sb_meter_block_peak(const float *x, uint32_t n, int *over)
{
	float p = 0.0f;
	int bad = 0;

	for (uint32_t i = 0; i < n; i++) {
		float a = fabsf(x[i]);

		/* NaN fails the comparison, inf exceeds it: both read as full
		 * scale, so the peak stays a number that can fall again */
		if (!(a <= FLT_MAX)) {
			a = SB_METER_FULL_SCALE;
			bad = 1;
		}
		p = fmaxf(p, a);
	}
	if (bad || p >= SB_METER_FULL_SCALE)
		*over = 1;
	return p;
}

/* Main thread, before activation. */
static int meter_open(const struct sb_rt_ctx *ctx, void **state, char *err,
		      size_t errlen, int outputs)
{
	struct meter *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->outputs = outputs;
	m->n_inputs = outputs ? 2 : ctx->n_inputs;
	m->rate = ctx->sample_rate;
	m->gain_frames = ctx->max_frames;
	m->gain = sb_meter_fall_gain(ctx->max_frames, ctx->sample_rate);
	m->over_hold = (uint32_t)(SB_METER_OVER_HOLD_S * ctx->sample_rate);
	*state = m;
	return 0;
}

static int meter_init(const struct sb_rt_ctx *ctx, void **state, char *err,
		      size_t errlen)
{
	return meter_open(ctx, state, err, errlen, 0);
}

static int out_meter_init(const struct sb_rt_ctx *ctx, void **state,
			  char *err, size_t errlen)
{
	return meter_open(ctx, state, err, errlen, 1);
}

/* RT.  One channel's block: new peak, fall, over flag hold. */
static void meter_channel(struct meter *m, uint32_t i, const float *x,
			  uint32_t nframes)
{
	int over = 0;
	float p = x ? sb_meter_block_peak(x, nframes, &over) : 0.0f;

	p = fmaxf(p, m->peak[i] * m->gain);
	/* keep the fall out of denormals, which are slow to multiply */
	m->peak[i] = p < SB_METER_FLOOR ? 0.0f : p;
	if (over)
		m->over_left[i] = m->over_hold;
	else
		m->over_left[i] -= m->over_left[i] < nframes ? m->over_left[i]
							     : nframes;
}

/* RT: process thread only. */
static void meter_process(void *state, const struct sb_block *b)
{
	struct meter *m = state;
	const float *src[SB_MAX_INPUTS] = { b->out_l, b->out_r };
	uint32_t n = m->outputs ? 2 : b->n_inputs;

	/* JACK may change the block size; recompute only then. */
	if (b->nframes != m->gain_frames) {
		m->gain_frames = b->nframes;
		m->gain = sb_meter_fall_gain(b->nframes, m->rate);
	}
	if (!m->outputs)
		for (uint32_t i = 0; i < n; i++)
			src[i] = b->in[i];
	for (uint32_t i = 0; i < m->n_inputs && i < n; i++)
		meter_channel(m, i, src[i], b->nframes);
}

/* Bit i set while channel i's over flag is held. */
static uint32_t over_bits(const struct meter *m)
{
	uint32_t bits = 0;

	for (uint32_t i = 0; i < m->n_inputs; i++)
		if (m->over_left[i])
			bits |= 1u << i;
	return bits;
}

/* RT: process thread only. */
static void meter_report(void *state, struct sb_status *st)
{
	const struct meter *m = state;

	if (m->outputs) {
		st->out_peak[0] = m->peak[0];
		st->out_peak[1] = m->peak[1];
		st->out_peak_over = over_bits(m);
		return;
	}
	for (uint32_t i = 0; i < SB_MAX_INPUTS; i++)
		st->peak[i] = i < m->n_inputs ? m->peak[i] : 0.0f;
	st->peak_over = over_bits(m);
}

static void meter_fini(void *state)
{
	free(state);
}

const struct sb_subsys sb_meter_subsys = {
	.name = "meter",
	.init = meter_init,
	.process = meter_process,
	.report = meter_report,
	.fini = meter_fini,
};

const struct sb_subsys sb_out_meter_subsys = {
	.name = "out_meter",
	.init = out_meter_init,
	.process = meter_process,
	.report = meter_report,
	.fini = meter_fini,
};
