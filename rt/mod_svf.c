/*
 * mod_svf.c - state-variable filter, trapezoidal (zero-delay feedback)
 * form: 12 dB/octave low-, band- and high-pass from one pair of
 * integrators, stable under fast cutoff modulation.  The coefficients
 * are recomputed only on frames where cutoff or q changed, so an
 * unmodulated filter costs a few multiplies per frame.
 */
#include "dsp.h"

/*
 * The trapezoidal SVF, solved for its two integrator states: one frame
 * is a 2x2 matrix step plus the input, so the loop-carried chain is one
 * multiply and two adds long (the textbook form chains twice that).
 */
struct svf {
	float ic1, ic2;		/* integrator states */
	float fc, q;		/* what the coefficients were made for */
	float m11, m12, m21, m22, b1, b2;	/* state update */
	float l1, l2, l0, p1, p0, k;		/* lp, bp (and hp) taps */
};

enum { P_CUTOFF, P_Q };

static const struct sb_port_def inputs[] = {
	{ "in", "audio" },
};
static const struct sb_port_def outputs[] = {
	{ "lp", "low-pass" },
	{ "bp", "band-pass (unity gain at the cutoff)" },
	{ "hp", "high-pass" },
};
static const struct sb_param_def params[] = {
	{ .name = "cutoff", .kind = SB_PK_NUM, .min = 1.0f, .max = 20000.0f,
	  .def = 1000.0f, .unit = "Hz",
	  .doc = "cutoff frequency (modulation kept below 0.49 x rate)" },
	{ .name = "q", .kind = SB_PK_NUM, .min = 0.1f, .max = 50.0f,
	  .def = 0.7071f, .unit = "", .doc = "resonance; 0.707 = flat" },
};

SB_FIXED_STATE(size, struct svf)

static void coef(struct svf *s, float fc, float q, uint32_t rate)
{
	float g = sb_tan_pi(sb_clampf(fc / (float)rate, 1e-5f, 0.49f));

	s->fc = fc;
	s->q = q;
	float k = 1.0f / sb_clampf(q, 0.1f, 50.0f);
	float a1 = 1.0f / (1.0f + g * (g + k)), a2 = g * a1, a3 = g * a2;

	s->k = k;
	s->m11 = 2.0f * a1 - 1.0f;
	s->m12 = -2.0f * a2;
	s->b1 = 2.0f * a2;
	s->m21 = 2.0f * a2;
	s->m22 = 1.0f - 2.0f * a3;
	s->b2 = 2.0f * a3;
	s->l1 = a2;		/* lp = v2 = a2 ic1 + (1 - a3) ic2 + a3 v0 */
	s->l2 = 1.0f - a3;
	s->l0 = a3;
	s->p1 = a1;		/* bp = v1 = a1 ic1 - a2 ic2 + a2 v0 */
	s->p0 = a2;
}

static void init(void *state, const float *p, uint32_t rate)
{
	coef(state, p[P_CUTOFF], p[P_Q], rate);
}

/* One frame of the filter; returns lp, writes bp and hp. */
static inline float tick(struct svf *s, float v0, float *bp, float *hp)
{
	float i1 = s->ic1, i2 = s->ic2;
	float lp = s->l1 * i1 + s->l2 * i2 + s->l0 * v0;
	float v1 = s->p1 * i1 - s->p0 * i2 + s->p0 * v0;

	s->ic1 = (s->m11 * i1 + s->m12 * i2) + s->b1 * v0;
	s->ic2 = (s->m21 * i1 + s->m22 * i2) + s->b2 * v0;
	*bp = v1;
	*hp = v0 - s->k * v1 - lp;
	return lp;
}

/*
 * RT: process thread only.  The state is copied into locals for the
 * loop (stores into the outputs could alias it, and the compiler would
 * reload every coefficient each frame).  Unmodulated blocks skip the
 * per-frame coefficient check.
 */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct svf *sp = state, s = *sp;
	const float *x = in[0], *fc = p[P_CUTOFF], *q = p[P_Q];
	float *lp = out[0], *bp = out[1], *hp = out[2];
	uint32_t i, n = c->nframes;

	(void)data;
	if (sb_param_const(fc) && sb_param_const(q)) {
		if (fc[0] != s.fc || q[0] != s.q)
			coef(&s, fc[0], q[0], c->rate);
		for (i = 0; i < n; i++)
			lp[i] = tick(&s, x[i], &bp[i], &hp[i]);
	} else {
		for (i = 0; i < n; i++) {
			if (fc[i] != s.fc || q[i] != s.q)
				coef(&s, fc[i], q[i], c->rate);
			lp[i] = tick(&s, x[i], &bp[i], &hp[i]);
		}
	}
	s.ic1 = sb_flush(s.ic1);
	s.ic2 = sb_flush(s.ic2);
	*sp = s;
}

const struct sb_mod_def sb_mod_svf = {
	.type = "svf",
	.doc = "state-variable filter: low-, band- and high-pass outputs",
	.inputs = inputs, .n_inputs = 1,
	.outputs = outputs, .n_outputs = 3,
	.params = params, .n_params = 2,
	.state_size = size, .init = init, .process = process,
};
