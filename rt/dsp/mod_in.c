/*
 * mod_in.c - built-in `in`: the engine's audio inputs as outputs 1..16
 * (silence for inputs the engine does not have).
 */
#include "rt/dsp/dsp.h"

#define N_IN 16

static const struct sb_port_def outputs[N_IN] = {
	{ "1", "engine input 1" }, { "2", "engine input 2" },
	{ "3", "engine input 3" }, { "4", "engine input 4" },
	{ "5", "engine input 5" }, { "6", "engine input 6" },
	{ "7", "engine input 7" }, { "8", "engine input 8" },
	{ "9", "engine input 9" }, { "10", "engine input 10" },
	{ "11", "engine input 11" }, { "12", "engine input 12" },
	{ "13", "engine input 13" }, { "14", "engine input 14" },
	{ "15", "engine input 15" }, { "16", "engine input 16" },
};

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	size_t bytes = c->nframes * sizeof(float);

	(void)state;
	(void)in;
	(void)p;
	(void)data;
	for (uint32_t j = 0; j < N_IN; j++) {
		if (j < c->n_ext_in && c->ext_in && c->ext_in[j])
			memcpy(out[j], c->ext_in[j], bytes);
		else
			memset(out[j], 0, bytes);
	}
}

const struct sb_mod_def sb_mod_in = {
	.type = "in",
	.doc = "built in: the engine's audio inputs",
	.outputs = outputs, .n_outputs = N_IN,
	.state_size = sb_no_state, .init = sb_init_zeroed, .process = process,
};
