/*
 * mod_vca.c - amplifier: out = in * cv * gain.  An unconnected cv counts
 * as 1, so vca(gain: 0.5) alone is a plain attenuator.
 */
#include "rt/dsp/dsp.h"

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

/* out = (in * gain) * cv for a constant gain: one pass, same rounding. */
static void vca_const(float *o, const float *x, float g, const float *cv,
		      uint32_t n)
{
	sb_v4 gv = sb_v4_set(g);
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4)
		sb_v4_store(o + i, sb_v4_load(x + i) * gv *
				   sb_v4_load(cv + i));
	for (; i < n; i++)
		o[i] = x[i] * g * cv[i];
}

/* RT: process thread only.  The two passes are the reference. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	const float *x = in[I_IN], *cv = in[I_CV], *g = p[0];
	float *o = out[0];
	(void)state;
	(void)data;
	if (sb_param_const(g) && !sb_unconnected(cv)) {
		vca_const(o, x, g[0], cv, c->nframes);
		return;
	}
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
