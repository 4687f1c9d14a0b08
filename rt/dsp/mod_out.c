/*
 * mod_out.c - built-in `out`: left and right are added into the engine's
 * main outputs (so other subsystems' sound is kept).
 */
#include "rt/dsp/dsp.h"

static const struct sb_port_def inputs[] = {
	{ "left", "added to the main out, left" },
	{ "right", "added to the main out, right" },
};

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	(void)state;
	(void)p;
	(void)out;
	(void)data;
	for (int ch = 0; ch < 2; ch++) {
		float *o = c->ext_out[ch];
		const float *x = in[ch];

		if (!o || sb_unconnected(x))
			continue;
		for (uint32_t i = 0; i < c->nframes; i++)
			o[i] += x[i];
	}
}

const struct sb_mod_def sb_mod_out = {
	.type = "out",
	.doc = "built in: the stereo main out",
	.inputs = inputs, .n_inputs = 2,
	.state_size = sb_no_state, .init = sb_init_zeroed, .process = process,
};
