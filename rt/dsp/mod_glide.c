/*
 * mod_glide.c - portamento.  A step of the input is followed by a
 * straight line that reaches the new value `time` seconds later; an
 * input that moves every frame is followed with a lag of about `time`.
 * The first frame a node runs it takes its input as is.
 */
#include "rt/dsp/dsp.h"

struct glide {
	float out, target, step;
	uint32_t primed;
};

static const struct sb_port_def inputs[] = {
	{ "in", "signal to follow (typically a V/oct pitch)" },
};
static const struct sb_port_def outputs[] = {
	{ "out", "the input, glided" },
};
static const struct sb_param_def params[] = {
	{ .name = "time", .kind = SB_PK_NUM, .min = 0.0f, .max = 10.0f,
	  .def = 0.05f, .unit = "s", .doc = "time to reach a new value" },
};

SB_FIXED_STATE(size, struct glide)

static void retarget(struct glide *s, float x, float time, uint32_t rate)
{
	float frames = time * (float)rate;

	s->target = x;
	s->step = frames > 1.0f ? (x - s->out) / frames : x - s->out;
}

static float advance(struct glide *s)
{
	float o = s->out + s->step;

	if ((s->step >= 0.0f && o >= s->target) ||
	    (s->step <= 0.0f && o <= s->target)) {
		o = s->target;
		s->step = 0.0f;
	}
	s->out = o;
	return o;
}

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct glide *s = state;
	const float *x = in[0];
	float *o = out[0];

	(void)data;
	if (!s->primed) {
		s->out = s->target = x[0];
		s->primed = 1;
	}
	for (uint32_t i = 0; i < c->nframes; i++) {
		if (x[i] != s->target)
			retarget(s, x[i], p[0][i], c->rate);
		o[i] = s->out == s->target ? s->out : advance(s);
	}
}

const struct sb_mod_def sb_mod_glide = {
	.type = "glide",
	.doc = "portamento: follows its input with a constant-time glide",
	.inputs = inputs, .n_inputs = 1,
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = 1,
	.state_size = size, .init = sb_init_zeroed, .process = process,
};
