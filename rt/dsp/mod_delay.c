/*
 * mod_delay.c - delay line with feedback.  The line holds `max` seconds
 * (a shape parameter: changing it makes a new node with an empty line);
 * time is read with 4-point Hermite interpolation, so it can be
 * modulated smoothly, and a whole number of frames is exact.
 *   wet = line(now - time);  line(now) = in + feedback * wet
 *   out = (1 - mix) * in + mix * wet
 */
#include "rt/dsp/dsp.h"

enum { P_TIME, P_FEEDBACK, P_MIX, P_MAX };

struct delay {
	uint32_t len;		/* frames in the line, a power of two */
	uint32_t w;		/* next write position */
	float line[];
};

static const struct sb_port_def inputs[] = {
	{ "in", "audio" },
};
static const struct sb_port_def outputs[] = {
	{ "out", "dry/wet mix" },
};
static const struct sb_param_def params[] = {
	{ .name = "time", .kind = SB_PK_NUM, .min = 0.0f, .max = 60.0f,
	  .def = 0.25f, .unit = "s", .doc = "delay time (kept within max)" },
	{ .name = "feedback", .kind = SB_PK_NUM, .min = 0.0f, .max = 0.99f,
	  .def = 0.4f, .unit = "", .doc = "part of the output fed back" },
	{ .name = "mix", .kind = SB_PK_NUM, .min = 0.0f, .max = 1.0f,
	  .def = 0.5f, .unit = "", .doc = "0 = dry only, 1 = wet only" },
	{ .name = "max", .kind = SB_PK_NUM, .min = 0.001f, .max = 60.0f,
	  .def = 2.0f, .unit = "s", .shape = 1,
	  .doc = "longest delay time; fixed when the node is created" },
};

static uint32_t line_len(const float *p, uint32_t rate)
{
	double want = sb_clampf(p[P_MAX], 0.001f, 60.0f) * (double)rate + 4;
	uint32_t n = 4;

	while (n < want)
		n <<= 1;
	return n;
}

static size_t size(const float *p, uint32_t rate)
{
	return sizeof(struct delay) + (size_t)line_len(p, rate) * sizeof(float);
}

static void init(void *state, const float *p, uint32_t rate)
{
	struct delay *s = state;

	s->len = line_len(p, rate);
}

/*
 * The line `d` frames (>= 1) back.  Reading comes before this frame's
 * write, so the newest neighbour of a delay under 2 frames is the input.
 */
static float tap(const struct delay *s, float d, float now)
{
	uint32_t m = s->len - 1, k = (uint32_t)d;
	float t = d - (float)k;
	float y0 = k < 2 ? now : s->line[(s->w - k + 1) & m];
	float y1 = s->line[(s->w - k) & m];
	float y2 = s->line[(s->w - k - 1) & m];
	float y3 = s->line[(s->w - k - 2) & m];
	float c1 = 0.5f * (y2 - y0);
	float c2 = y0 - 2.5f * y1 + 2.0f * y2 - 0.5f * y3;
	float c3 = 0.5f * (y3 - y0) + 1.5f * (y1 - y2);

	return ((c3 * t + c2) * t + c1) * t + y1;
}

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct delay *s = state;
	const float *x = in[0];
	float *o = out[0], hi = (float)(s->len - 4), fr = (float)c->rate;

	(void)data;
	if (s->len < 8) {
		sb_fill(o, 0.0f, c->nframes);
		return;
	}
	for (uint32_t i = 0; i < c->nframes; i++) {
		float d = sb_clampf(p[P_TIME][i] * fr, 1.0f, hi);
		float fb = sb_clampf(p[P_FEEDBACK][i], 0.0f, 0.99f);
		float mix = p[P_MIX][i], xi = x[i], wet = tap(s, d, xi);

		s->line[s->w] = sb_flush(xi + fb * wet);
		s->w = (s->w + 1) & (s->len - 1);
		o[i] = xi + mix * (wet - xi);
	}
}

const struct sb_mod_def sb_mod_delay = {
	.type = "delay",
	.doc = "feedback delay with a modulatable time",
	.inputs = inputs, .n_inputs = 1,
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = 4,
	.state_size = size, .init = init, .process = process,
};
