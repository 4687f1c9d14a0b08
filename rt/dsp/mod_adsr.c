/*
 * mod_adsr.c - envelope generator.  Attack rises linearly at 1/a per
 * second (from 0 it reaches 1 exactly a seconds after the gate opens);
 * decay and release fall exponentially, reaching -60 dB of the way to
 * their target after d / r seconds, then snap to it.  A rising gate, or
 * a rising retrig while the gate is high, restarts the attack from the
 * current level (no click).
 */
#include "rt/dsp/dsp.h"

#define LN_1000 6.907755f	/* -60 dB */
#define SNAP 1e-5f

enum stage { IDLE, ATTACK, DECAY, SUSTAIN, RELEASE };
enum { I_GATE, I_RETRIG };
enum { P_A, P_D, P_S, P_R };

struct adsr {
	uint32_t stage;
	float level;
	float gap;		/* decay: level - sustain, shrinking */
	float gate, retrig;	/* last frame's inputs */
	float a, d, r;		/* what the coefficients were made for */
	float ainc, dmul, rmul;
};

static const struct sb_port_def inputs[] = {
	{ "gate", "high (> 0.5) holds the note" },
	{ "retrig", "a rising edge restarts the attack while the gate is high" },
};
static const struct sb_port_def outputs[] = {
	{ "out", "envelope 0..1" },
};
static const struct sb_param_def params[] = {
	{ .name = "a", .kind = SB_PK_NUM, .min = 0.0f, .max = 60.0f,
	  .def = 0.005f, .unit = "s", .doc = "attack time, 0 to 1" },
	{ .name = "d", .kind = SB_PK_NUM, .min = 0.0f, .max = 60.0f,
	  .def = 0.2f, .unit = "s", .doc = "decay time to the sustain level" },
	{ .name = "s", .kind = SB_PK_NUM, .min = 0.0f, .max = 1.0f,
	  .def = 0.7f, .unit = "", .doc = "sustain level" },
	{ .name = "r", .kind = SB_PK_NUM, .min = 0.0f, .max = 60.0f,
	  .def = 0.3f, .unit = "s", .doc = "release time to silence" },
};

SB_FIXED_STATE(size, struct adsr)

/* Per-frame multiplier that covers -60 dB in sec. */
static float fall(float sec, uint32_t rate)
{
	float frames = sec * (float)rate;

	return frames < 1.0f ? 0.0f : expf(-LN_1000 / frames);
}

static void coef(struct adsr *e, float a, float d, float r, uint32_t rate)
{
	float fa = a * (float)rate;

	if (a != e->a)
		e->ainc = fa < 1.0f ? 1.0f : 1.0f / fa;
	if (d != e->d)
		e->dmul = fall(d, rate);
	if (r != e->r)
		e->rmul = fall(r, rate);
	e->a = a;
	e->d = d;
	e->r = r;
}

static void init(void *state, const float *p, uint32_t rate)
{
	struct adsr *e = state;

	e->a = e->d = e->r = -1.0f;
	coef(e, p[P_A], p[P_D], p[P_R], rate);
}

static void edges(struct adsr *e, float g, float rt)
{
	int hi = g > 0.5f, was = e->gate > 0.5f;

	if (hi && (!was || (rt > 0.5f && e->retrig <= 0.5f)))
		e->stage = ATTACK;
	else if (!hi && was)
		e->stage = RELEASE;
	e->gate = g;
	e->retrig = rt;
}

static float step(struct adsr *e, float s)
{
	float l = e->level;

	switch (e->stage) {
	case ATTACK:
		l += e->ainc;
		if (l >= 1.0f) {
			l = 1.0f;
			e->gap = 1.0f - s;
			e->stage = DECAY;
		}
		break;
	case DECAY:
		/* the gap shrinks, not the level: near the sustain level a
		 * float step would be lost in rounding */
		e->gap *= e->dmul;
		l = s + e->gap;
		if (fabsf(e->gap) < SNAP)
			e->stage = SUSTAIN;
		break;
	case SUSTAIN:
		l = s;
		break;
	case RELEASE:
		l *= e->rmul;
		if (l < SNAP) {
			l = 0.0f;
			e->stage = IDLE;
		}
		break;
	default:
		l = 0.0f;
	}
	e->level = l;
	return l;
}

/*
 * A block whose gate holds its level (no edge, no retrig): held sustain
 * and silence are fills, the other stages step without edge checks.
 */
static int quiet(const struct adsr *e, const float *g, const float *rt,
		 uint32_t n)
{
	return sb_is_const(g, n) &&
	       (sb_unconnected(rt) || sb_is_const(rt, n)) &&
	       (g[0] > 0.5f) == (e->gate > 0.5f);
}

/*
 * Frames [i, n) of one stage at a constant sustain level s, each the
 * same arithmetic as step() (the reference); returns where the stage
 * ended (n: it did not).
 */
static uint32_t run_stage(struct adsr *e, float s, float *o, uint32_t i,
			  uint32_t n)
{
	float l = e->level, g = e->gap;
	const float inc = e->ainc, dm = e->dmul, rm = e->rmul;

	switch (e->stage) {
	case ATTACK:
		while (i < n && l + inc < 1.0f) {
			l += inc;
			o[i++] = l;
		}
		break;
	case DECAY:
		while (i < n && fabsf(g * dm) >= SNAP) {
			g *= dm;
			l = s + g;
			o[i++] = l;
		}
		break;
	case RELEASE:
		while (i < n && l * rm >= SNAP) {
			l *= rm;
			o[i++] = l;
		}
		break;
	default:
		return i;
	}
	e->level = l;
	e->gap = g;
	return i;
}

static void quiet_block(struct adsr *e, const float *ps, float *o,
			uint32_t n)
{
	uint32_t i = 0;

	if (e->stage == IDLE) {
		sb_fill(o, 0.0f, n);
		return;
	}
	if (!sb_param_const(ps)) {
		for (; i < n; i++)
			o[i] = step(e, sb_clampf(ps[i], 0.0f, 1.0f));
		return;
	}
	while (i < n && e->stage != IDLE && e->stage != SUSTAIN) {
		i = run_stage(e, sb_clampf(ps[0], 0.0f, 1.0f), o, i, n);
		if (i < n) {	/* the frame that ends the stage */
			o[i] = step(e, sb_clampf(ps[i], 0.0f, 1.0f));
			i++;
		}
	}
	if (i < n)
		e->level = e->stage == SUSTAIN ? sb_clampf(ps[0], 0.0f, 1.0f)
					       : 0.0f;
	sb_fill(o + i, e->level, n - i);
}

/*
 * RT: process thread only.  Works on a local copy of the state (output
 * stores could alias it).
 */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct adsr *sp = state, e = *sp;
	const float *g = in[I_GATE], *rt = in[I_RETRIG];
	const float *pa = p[P_A], *pd = p[P_D], *ps = p[P_S], *pr = p[P_R];
	uint32_t n = c->nframes;
	float *o = out[0];

	(void)data;
	if (sb_param_const(pa) && sb_param_const(pd) && sb_param_const(pr)) {
		if (pa[0] != e.a || pd[0] != e.d || pr[0] != e.r)
			coef(&e, pa[0], pd[0], pr[0], c->rate);
		if (quiet(&e, g, rt, n)) {
			quiet_block(&e, ps, o, n);
			*sp = e;
			return;
		}
		pa = pd = pr = NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (pa && (pa[i] != e.a || pd[i] != e.d || pr[i] != e.r))
			coef(&e, pa[i], pd[i], pr[i], c->rate);
		edges(&e, g[i], rt[i]);
		o[i] = step(&e, sb_clampf(ps[i], 0.0f, 1.0f));
	}
	*sp = e;
}

const struct sb_mod_def sb_mod_adsr = {
	.type = "adsr",
	.doc = "attack-decay-sustain-release envelope",
	.inputs = inputs, .n_inputs = 2,
	.outputs = outputs, .n_outputs = 1,
	.params = params, .n_params = 4,
	.state_size = size, .init = init, .process = process,
};
