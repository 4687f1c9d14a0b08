/*
 * mod_mix.c - eight-input mixer: out = sum of in_k * gain_k.
 */
#include "rt/dsp/dsp.h"

#define N_CH 8

#define GAIN(k) { .name = "gain" #k, .kind = SB_PK_NUM, .min = -10.0f, \
		  .max = 10.0f, .def = 1.0f, .unit = "", \
		  .doc = "linear gain of in" #k }

static const struct sb_port_def inputs[N_CH] = {
	{ "in1", "signal 1" }, { "in2", "signal 2" }, { "in3", "signal 3" },
	{ "in4", "signal 4" }, { "in5", "signal 5" }, { "in6", "signal 6" },
	{ "in7", "signal 7" }, { "in8", "signal 8" },
};
static const struct sb_port_def outputs[] = {
	{ "out", "weighted sum" },
};
static const struct sb_param_def params[N_CH] = {
	GAIN(1), GAIN(2), GAIN(3), GAIN(4), GAIN(5), GAIN(6), GAIN(7),
	GAIN(8),
};

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	float *o = out[0];
	uint32_t n = c->nframes;

	(void)state;
	(void)data;
	memset(o, 0, n * sizeof(*o));
	for (int k = 0; k < N_CH; k++) {
		const float *x = in[k], *g = p[k];

		if (sb_unconnected(x))
			continue;
		sb_muladd(o, x, g, n);
	}
}

const struct sb_mod_def sb_mod_mix = {
	.type = "mix",
	.doc = "eight-input mixer with a gain per input",
	.inputs = inputs, .n_inputs = N_CH,
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = N_CH,
	.state_size = sb_no_state, .init = sb_init_zeroed, .process = process,
};
