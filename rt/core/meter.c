/*
 * meter.c - the peak meters: one subsystem at the head of the table for the
 * inputs, one at its tail for the main outputs (the finished mix).  Owns no
 * commands.
 */
#include "rt/core/meter.h"

#include <errno.h>
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
	float peak[SB_MAX_INPUTS];
};

float sb_meter_fall_gain(uint32_t nframes, uint32_t rate)
{
	float seconds = rate ? (float)nframes / (float)rate : 0.0f;

	return powf(10.0f, -SB_METER_FALL_DB_PER_S * seconds / 20.0f);
}

float sb_meter_block_peak(const float *x, uint32_t n)
{
	float p = 0.0f;

	for (uint32_t i = 0; i < n; i++)
		p = fmaxf(p, fabsf(x[i]));
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
	for (uint32_t i = 0; i < m->n_inputs && i < n; i++) {
		float p = src[i] ? sb_meter_block_peak(src[i], b->nframes)
				 : 0.0f;

		p = fmaxf(p, m->peak[i] * m->gain);
		/* keep the fall out of denormals, which are slow to multiply */
		m->peak[i] = p < SB_METER_FLOOR ? 0.0f : p;
	}
}

/* RT: process thread only. */
static void meter_report(void *state, struct sb_status *st)
{
	const struct meter *m = state;

	if (m->outputs) {
		st->out_peak[0] = m->peak[0];
		st->out_peak[1] = m->peak[1];
		return;
	}
	for (uint32_t i = 0; i < SB_MAX_INPUTS; i++)
		st->peak[i] = i < m->n_inputs ? m->peak[i] : 0.0f;
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
