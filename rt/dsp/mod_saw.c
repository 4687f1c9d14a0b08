/*
 * mod_saw.c - band-limited sawtooth: rises from -1 to +1 over each
 * period and drops at phase 0; the drop is a band-limited step (dsp.h),
 * so the output is SB_BLEP_HALF frames late.
 */
#include "rt/dsp/dsp.h"

struct saw {
	float phase;
	struct sb_blep blep;
};

static const struct sb_port_def inputs[] = SB_OSC_INPUTS;
static const struct sb_port_def outputs[] = {
	{ "out", "sawtooth, +-1" },
};
static const struct sb_param_def params[] = { SB_OSC_FREQ };

SB_FIXED_STATE(size, struct saw)

/*
 * RT: process thread only.  The reference, frame by frame:
 *
 *	t += dt[i];
 *	if (t >= 1.0f) {
 *		t -= 1.0f;
 *		sb_blep_step(&s->blep, t / dt[i], -2.0f);
 *	}
 *	o[i] = sb_blep_out(&s->blep, 2.0f * t - 1.0f);
 *
 * and below the same with the ring unrolled over the block (dsp.h), so a
 * frame without a drop is a phase add and one add into acc.
 */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct saw *s = state;
	float dt[SB_PLAN_BLOCK], acc[SB_PLAN_BLOCK + SB_BLEP_LEN];
	float t = s->phase;
	uint32_t n = c->nframes;

	(void)data;
	sb_osc_dt(dt, p[0], in, n, c->rate);
	sb_blep_begin(&s->blep, acc, n);
	for (uint32_t i = 0; i < n; i++) {
		t += dt[i];
		if (t >= 1.0f) {
			t -= 1.0f;
			sb_blep_jump(acc, i, t / dt[i], -2.0f);
		}
		acc[i + SB_BLEP_HALF] += 2.0f * t - 1.0f;
	}
	sb_blep_end(&s->blep, acc, out[0], n);
	s->phase = t;
}

const struct sb_mod_def sb_mod_saw = {
	.type = "saw",
	.doc = "band-limited sawtooth oscillator",
	.inputs = inputs, .n_inputs = 2,
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = 1,
	.state_size = size, .init = sb_init_zeroed, .process = process,
};
