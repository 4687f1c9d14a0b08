/*
 * mod_sine.c - sine oscillator; starts at phase 0 (rising through 0).
 */
#include "rt/dsp/dsp.h"

struct sine {
	float phase;
};

static const struct sb_port_def inputs[] = SB_OSC_INPUTS;
static const struct sb_port_def outputs[] = {
	{ "out", "sine, +-1" },
};
static const struct sb_param_def params[] = { SB_OSC_FREQ };

SB_FIXED_STATE(size, struct sine)

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct sine *s = state;
	float dt[SB_PLAN_BLOCK], t = s->phase, *o = out[0];

	(void)data;
	sb_osc_dt(dt, p[0], in, c->nframes, c->rate);
	for (uint32_t i = 0; i < c->nframes; i++) {
		o[i] = sb_sin2pi(t);
		t = sb_phase_next(t, dt[i]);
	}
	s->phase = t;
}

const struct sb_mod_def sb_mod_sine = {
	.type = "sine",
	.doc = "sine oscillator",
	.inputs = inputs, .n_inputs = 2,
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = 1,
	.state_size = size, .init = sb_init_zeroed, .process = process,
};
