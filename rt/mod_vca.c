/*
 * mod_vca.c - amplifier: out = in * cv * gain.  An unconnected cv counts
 * as 1, so vca(gain: 0.5) alone is a plain attenuator.
 */
#include "dsp.h"

enum { I_IN, I_CV };

static const struct sb_port_def inputs[] = {
	{ "in", "signal" },
	{ "cv", "gain control, linear (unconnected: 1)" },
};
static const struct sb_port_def outputs[] = {
	{ "out", "in * cv * gain" },
};
static const struct sb_param_def params[] = {
	{ .name = "gain", .kind = SB_PK_NUM, .min = -10.0f, .max = 10.0f,
	  .def = 1.0f, .unit = "", .doc = "linear gain" },
};

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	const float *x = in[I_IN], *cv = in[I_CV], *g = p[0];
	float *o = out[0];
	(void)state;
	(void)data;
	sb_mul(o, x, g, c->nframes);
	if (!sb_unconnected(cv))
		sb_mul(o, o, cv, c->nframes);
}

const struct sb_mod_def sb_mod_vca = {
	.type = "vca",
	.doc = "voltage-controlled amplifier: out = in * cv * gain",
	.inputs = inputs, .n_inputs = 2,
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = 1,
	.state_size = sb_no_state, .init = sb_init_zeroed, .process = process,
};
