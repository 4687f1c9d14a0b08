/*
 * mod_noise.c - white or pink noise.  Pink is Voss-McCartney: 16 random
 * rows, row k redrawn every 2^k frames, summed with a white term, which
 * falls at about 3 dB per octave from 1 Hz up.  Integer rows keep the
 * running sum exact forever.
 */
#include <stdatomic.h>

#include "rt/dsp/dsp.h"

#define ROWS 16

struct noise {
	uint32_t seed;
	uint32_t count;
	int32_t row[ROWS];
	int32_t sum;
};

enum { P_COLOR };

static const char *const colors[] = { "white", "pink", NULL };

static const struct sb_port_def outputs[] = {
	{ "out", "noise, mean 0, within +-1 (white) / about +-1.5 (pink)" },
};
static const struct sb_param_def params[] = {
	{ .name = "color", .kind = SB_PK_ENUM, .min = 0, .max = 1, .def = 0,
	  .unit = "", .doc = "white: flat spectrum; pink: -3 dB per octave",
	  .choices = colors },
};

SB_FIXED_STATE(size, struct noise)

/* Off the audio thread: every node gets its own deterministic seed. */
static void init(void *state, const float *p, uint32_t rate)
{
	static atomic_uint next = 0x9e3779b9u;
	struct noise *s = state;

	(void)p;
	(void)rate;
	s->seed = atomic_fetch_add(&next, 0x6d2b79f5u) | 1u;
}

static float pink(struct noise *s)
{
	uint32_t c = ++s->count & ((1u << ROWS) - 1);
	int32_t white;

	if (c) {
		int k = __builtin_ctz(c);

		s->sum -= s->row[k];
		s->row[k] = (int32_t)sb_rand(&s->seed) >> 5;
		s->sum += s->row[k];
	}
	white = (int32_t)sb_rand(&s->seed) >> 5;
	/* 17 terms of +-2^26: about 0.5 standard deviation */
	return (float)(s->sum + white) * (0.2f / 67108864.0f);
}

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct noise *s = state;
	float *o = out[0];

	(void)in;
	(void)data;
	if (s->seed == 0)
		s->seed = 1;
	if (p[P_COLOR][0] >= 0.5f) {
		for (uint32_t i = 0; i < c->nframes; i++)
			o[i] = pink(s);
		return;
	}
	for (uint32_t i = 0; i < c->nframes; i++)
		o[i] = sb_randf(&s->seed);
}

const struct sb_mod_def sb_mod_noise = {
	.type = "noise",
	.doc = "white or pink noise",
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = 1,
	.state_size = size, .init = init, .process = process,
};
