/*
 * mod_square.c - band-limited pulse: +1 for the first pw of each period,
 * -1 for the rest.  Both edges are band-limited steps (dsp.h), so the
 * output is SB_BLEP_HALF frames late.  The level only changes at a
 * detected edge: a pw jump past the phase skips that edge rather than
 * making an unfiltered jump.
 */
#include "rt/dsp/dsp.h"

struct square {
	float phase;
	float level;		/* +1 / -1; 0 before the first frame */
	struct sb_blep blep;
};

enum { P_FREQ, P_PW };

static const struct sb_port_def inputs[] = SB_OSC_INPUTS;
static const struct sb_port_def outputs[] = {
	{ "out", "pulse, +-1" },
};
static const struct sb_param_def params[] = {
	SB_OSC_FREQ,
	{ .name = "pw", .kind = SB_PK_NUM, .min = 0.01f, .max = 0.99f,
	  .def = 0.5f, .unit = "", .doc = "pulse width: high part of the period" },
};

SB_FIXED_STATE(size, struct square)

static void edge(struct square *s, float to, float f)
{
	if (s->level != to)
		sb_blep_step(&s->blep, f, to - s->level);
	s->level = to;
}

/* Advance one frame; the edges crossed on the way, in time order. */
static void advance(struct square *s, float dt, float w)
{
	float prev = s->phase, t = prev + dt;

	if (t < 1.0f) {
		if (prev < w && t >= w)
			edge(s, -1.0f, (t - w) / dt);
		s->phase = t;
		return;
	}
	t -= 1.0f;
	if (prev < w)
		edge(s, -1.0f, (t + 1.0f - w) / dt);
	edge(s, 1.0f, t / dt);
	if (t >= w)
		edge(s, -1.0f, (t - w) / dt);
	s->phase = t;
}

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct square *s = state;
	float dt[SB_PLAN_BLOCK], *o = out[0];
	const float *pw = p[P_PW];

	(void)data;
	sb_osc_dt(dt, p[P_FREQ], in, c->nframes, c->rate);
	if (s->level == 0.0f)
		s->level = s->phase < pw[0] ? 1.0f : -1.0f;
	for (uint32_t i = 0; i < c->nframes; i++) {
		if (dt[i] > 0.0f)
			advance(s, dt[i], sb_clampf(pw[i], 0.01f, 0.99f));
		o[i] = sb_blep_out(&s->blep, s->level);
	}
}

const struct sb_mod_def sb_mod_square = {
	.type = "square",
	.doc = "band-limited pulse oscillator with pulse width",
	.inputs = inputs, .n_inputs = 2,
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = 2,
	.state_size = size, .init = sb_init_zeroed, .process = process,
};
