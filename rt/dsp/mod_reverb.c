/*
 * mod_reverb.c - stereo reverb: three allpass diffusers smear the input,
 * then an eight-line feedback delay network rings it out.  The lines
 * (29..64 ms, lengths chosen not to share echoes) are mixed through an
 * orthonormal 8x8 Hadamard matrix, so the loop itself loses nothing;
 * each line's gain sets its decay to the RT60 that `size` asks for (0.3 s
 * at 0, 9 s at 1), and a one-pole lowpass per line (`damp`) makes highs
 * die first.  Line lengths depend only on the rate, so every parameter
 * can be modulated and a kept node keeps its tail.
 */
#include "rt/dsp/dsp.h"

#define LINES 8
#define APS 3
#define AP_G 0.65f

enum { P_SIZE, P_DAMP, P_MIX };
enum { O_LEFT, O_RIGHT };

static const float line_ms[LINES] = {
	29.3f, 33.1f, 37.9f, 41.3f, 45.7f, 51.1f, 56.9f, 63.7f,
};
static const float ap_ms[APS] = { 3.1f, 5.3f, 7.9f };

struct reverb {
	uint32_t len[LINES], pos[LINES], off[LINES];
	uint32_t aplen[APS], appos[APS], apoff[APS];
	float lp[LINES], g[LINES];
	float size;		/* what g[] was made for */
	uint32_t total;		/* floats in data[] */
	float data[];
};

static const struct sb_port_def inputs[] = {
	{ "in", "audio (mono)" },
};
static const struct sb_port_def outputs[] = {
	{ "left", "left: dry/wet mix" },
	{ "right", "right: dry/wet mix" },
};
static const struct sb_param_def params[] = {
	{ .name = "size", .kind = SB_PK_NUM, .min = 0.0f, .max = 1.0f,
	  .def = 0.5f, .unit = "", .doc = "decay: RT60 0.3 s (0) to 9 s (1)" },
	{ .name = "damp", .kind = SB_PK_NUM, .min = 0.0f, .max = 1.0f,
	  .def = 0.5f, .unit = "", .doc = "how much faster highs decay" },
	{ .name = "mix", .kind = SB_PK_NUM, .min = 0.0f, .max = 1.0f,
	  .def = 0.3f, .unit = "", .doc = "0 = dry only, 1 = wet only" },
};

static uint32_t frames(float ms, uint32_t rate)
{
	return (uint32_t)(ms * 0.001f * (float)rate) | 1u;
}

/* Lay out the lines in data[]; returns the floats needed. */
static uint32_t layout(struct reverb *s, uint32_t rate)
{
	uint32_t at = 0;

	for (int j = 0; j < LINES; j++) {
		s->len[j] = frames(line_ms[j], rate);
		s->off[j] = at;
		at += s->len[j];
	}
	for (int j = 0; j < APS; j++) {
		s->aplen[j] = frames(ap_ms[j], rate);
		s->apoff[j] = at;
		at += s->aplen[j];
	}
	return at;
}

static size_t size(const float *p, uint32_t rate)
{
	struct reverb tmp;

	(void)p;
	return sizeof(struct reverb) + layout(&tmp, rate) * sizeof(float);
}

static void gains(struct reverb *s, float sz, uint32_t rate)
{
	float rt60 = 0.3f * powf(30.0f, sb_clampf(sz, 0.0f, 1.0f));

	for (int j = 0; j < LINES; j++)
		s->g[j] = powf(10.0f, -3.0f * (float)s->len[j] /
				      (rt60 * (float)rate));
	s->size = sz;
}

static void init(void *state, const float *p, uint32_t rate)
{
	struct reverb *s = state;

	s->total = layout(s, rate);
	gains(s, p[P_SIZE], rate);
}

static float diffuse(struct reverb *s, float x)
{
	for (int j = 0; j < APS; j++) {
		float *b = s->data + s->apoff[j] + s->appos[j];
		float w = sb_flush(x + AP_G * *b);

		x = *b - AP_G * w;
		*b = w;
		if (++s->appos[j] == s->aplen[j])
			s->appos[j] = 0;
	}
	return x;
}

/* In-place orthonormal 8-point Hadamard transform. */
static void hadamard(float *v)
{
	for (int h = 1; h < LINES; h <<= 1)
		for (int i = 0; i < LINES; i += 2 * h)
			for (int j = i; j < i + h; j++) {
				float a = v[j], b = v[j + h];

				v[j] = a + b;
				v[j + h] = a - b;
			}
	for (int j = 0; j < LINES; j++)
		v[j] *= 0.35355339f;
}

/* One frame of the network: the two wet outputs. */
static void frame(struct reverb *s, float x, float damp, float *l, float *r)
{
	float y[LINES];

	for (int j = 0; j < LINES; j++)
		y[j] = s->data[s->off[j] + s->pos[j]];
	*l = 0.5f * (y[0] - y[3] + y[4] - y[7]);
	*r = 0.5f * (y[1] - y[2] + y[5] - y[6]);
	for (int j = 0; j < LINES; j++)
		y[j] = sb_onepole(&s->lp[j], y[j], damp) * s->g[j];
	hadamard(y);
	for (int j = 0; j < LINES; j++) {
		s->data[s->off[j] + s->pos[j]] =
			sb_flush(y[j] + (j & 1 ? -0.35f : 0.35f) * x);
		if (++s->pos[j] == s->len[j])
			s->pos[j] = 0;
	}
}

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct reverb *s = state;
	const float *x = in[0];

	(void)data;
	for (uint32_t i = 0; i < c->nframes; i++) {
		float l, r, mix = sb_clampf(p[P_MIX][i], 0.0f, 1.0f);
		float damp = 0.85f * sb_clampf(p[P_DAMP][i], 0.0f, 1.0f);

		if (p[P_SIZE][i] != s->size)
			gains(s, p[P_SIZE][i], c->rate);
		frame(s, diffuse(s, x[i]), damp, &l, &r);
		out[O_LEFT][i] = x[i] + mix * (l - x[i]);
		out[O_RIGHT][i] = x[i] + mix * (r - x[i]);
	}
}

const struct sb_mod_def sb_mod_reverb = {
	.type = "reverb",
	.doc = "stereo reverb (allpass diffusion into an 8-line feedback delay network)",
	.inputs = inputs, .n_inputs = 1,
	.outputs = outputs, .n_outputs = 2,
	.params = params, .n_params = 3,
	.state_size = size, .init = init, .process = process,
};
