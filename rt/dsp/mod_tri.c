/*
 * mod_tri.c - band-limited triangle (PolyBLAMP at both corners): -1 at
 * phase 0, +1 at phase 0.5.
 */
#include "rt/dsp/dsp.h"

struct tri {
	float phase;
};

static const struct sb_port_def inputs[] = SB_OSC_INPUTS;
static const struct sb_port_def outputs[] = {
	{ "out", "triangle, +-1" },
};
static const struct sb_param_def params[] = { SB_OSC_FREQ };

SB_FIXED_STATE(size, struct tri)

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct tri *s = state;
	float dt[SB_PLAN_BLOCK], t = s->phase, *o = out[0];

	(void)data;
	sb_osc_dt(dt, p[0], in, c->nframes, c->rate);
	for (uint32_t i = 0; i < c->nframes; i++) {
		float d = dt[i], naive = t < 0.5f ? 4.0f * t - 1.0f
						  : 3.0f - 4.0f * t;

		/* the slope turns by 8 d per frame at each corner */
		o[i] = naive + 8.0f * d * (sb_blamp(t, d) -
					   sb_blamp(sb_phase_add(t, 0.5f), d));
		t = sb_phase_next(t, d);
	}
	s->phase = t;
}

const struct sb_mod_def sb_mod_tri = {
	.type = "tri",
	.doc = "band-limited triangle oscillator",
	.inputs = inputs, .n_inputs = 2,
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = 1,
	.state_size = size, .init = sb_init_zeroed, .process = process,
};
