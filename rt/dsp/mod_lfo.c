/*
 * mod_lfo.c - low-frequency oscillator: sine, triangle, rising saw,
 * square or sample-and-hold (a new random level at every period start),
 * bipolar (+-1) or unipolar (0..1).  Not band-limited: it is a control
 * signal.  Phase 0 is the start of a period: sine and saw at 0 rising,
 * tri at 0 rising, square high.
 */
#include "rt/dsp/dsp.h"

struct lfo {
	double phase;		/* double: slow rates would drift in float */
	float held;
	uint32_t seed;
	uint32_t primed;
};

enum { P_FREQ, P_SHAPE, P_POLARITY };
enum { SH_SINE, SH_TRI, SH_SAW, SH_SQUARE, SH_SH };

static const char *const shapes[] = {
	"sine", "tri", "saw", "square", "sh", NULL
};
static const char *const polarities[] = { "bipolar", "unipolar", NULL };

static const struct sb_port_def outputs[] = {
	{ "out", "control signal, +-1 or 0..1" },
};
static const struct sb_param_def params[] = {
	{ .name = "freq", .kind = SB_PK_NUM, .min = 0.0f, .max = 1000.0f,
	  .def = 1.0f, .unit = "Hz", .doc = "rate" },
	{ .name = "shape", .kind = SB_PK_ENUM, .min = 0, .max = 4, .def = 0,
	  .unit = "", .doc = "wave shape; sh = sample and hold",
	  .choices = shapes },
	{ .name = "polarity", .kind = SB_PK_ENUM, .min = 0, .max = 1,
	  .def = 0, .unit = "", .doc = "bipolar +-1 or unipolar 0..1",
	  .choices = polarities },
};

SB_FIXED_STATE(size, struct lfo)

static void init(void *state, const float *p, uint32_t rate)
{
	struct lfo *s = state;

	(void)p;
	(void)rate;
	s->seed = 0x2545f491u;
}

static float shape(struct lfo *s, int sh, float t)
{
	switch (sh) {
	case SH_TRI:
		return t < 0.25f ? 4.0f * t :
		       (t < 0.75f ? 2.0f - 4.0f * t : 4.0f * t - 4.0f);
	case SH_SAW:
		return t < 0.5f ? 2.0f * t : 2.0f * t - 2.0f;
	case SH_SQUARE:
		return t < 0.5f ? 1.0f : -1.0f;
	case SH_SH:
		return s->held;
	default:
		return sb_sin2pi(t);
	}
}

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct lfo *s = state;
	int sh = (int)(p[P_SHAPE][0] + 0.5f);
	int uni = p[P_POLARITY][0] >= 0.5f;
	double inv = 1.0 / c->rate, t = s->phase;
	float *o = out[0];

	(void)in;
	(void)data;
	if (!s->primed || s->seed == 0) {
		s->seed |= 1u;
		s->held = sb_randf(&s->seed);
		s->primed = 1;
	}
	for (uint32_t i = 0; i < c->nframes; i++) {
		float v = shape(s, sh, (float)t);

		o[i] = uni ? 0.5f * v + 0.5f : v;
		t += fmin(fmax(p[P_FREQ][i] * inv, 0.0), 0.5);
		if (t >= 1.0) {
			t -= 1.0;
			s->held = sb_randf(&s->seed);
		}
	}
	s->phase = t;
}

const struct sb_mod_def sb_mod_lfo = {
	.type = "lfo",
	.doc = "low-frequency oscillator (sine, tri, saw, square, sample and hold)",
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = 3,
	.state_size = size, .init = init, .process = process,
};
