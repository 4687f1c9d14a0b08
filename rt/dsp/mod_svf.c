/*
 * mod_svf.c - state-variable filter, trapezoidal (zero-delay feedback)
 * form: 12 dB/octave low-, band- and high-pass from one pair of
 * integrators, stable under fast cutoff modulation.  The coefficients
 * are recomputed only on frames where cutoff or q changed, so an
 * unmodulated filter costs a few multiplies per frame.
 */
#include "rt/dsp/dsp.h"

/*
 * The trapezoidal SVF, solved for its two integrator states: one frame
 * is a 2x2 matrix step plus the input, so the loop-carried chain is one
 * multiply and two adds long (the textbook form chains twice that).
 *
 * An unmodulated filter goes four frames per step instead (struct
 * svf4): the state four frames on is M^4 times the state plus the four
 * inputs weighted, and each of the four frames' outputs is a fixed mix
 * of the state at the group start and the group's inputs so far, so the
 * chain per frame is a quarter as long and the outputs are vector
 * arithmetic.  Groups are counted from the filter's own frames, not the
 * call's (a call may end mid-group: `fill`), so a kept filter computes
 * the same samples however a swap splits the blocks.
 */
struct svf4 {
	float la1[4], la2[4], lt[4][4];	/* lp lanes: state, inputs */
	float pa1[4], pa2[4], pt[4][4];	/* bp lanes */
	float q11, q12, q21, q22;	/* M^4 */
	float c1[4], c2[4];		/* input k into the state 4 on */
	float fc, q;			/* what they were made for */
};

struct svf {
	float ic1, ic2;		/* integrator states (group start) */
	float fc, q;		/* what the coefficients were made for */
	float m11, m12, m21, m22, b1, b2;	/* state update */
	float l1, l2, l0, p1, p0, k;		/* lp, bp (and hp) taps */
	uint32_t fill;		/* frames of the current group done */
	float pend[4];		/* their inputs */
	struct svf4 g;
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

/* Row r of M^j, and M^j b, for j = 0..4, in double. */
static void powers(const struct svf *s, double m[5][2][2], double mb[5][2])
{
	const double M[2][2] = { { s->m11, s->m12 }, { s->m21, s->m22 } };

	m[0][0][0] = m[0][1][1] = 1.0;
	m[0][0][1] = m[0][1][0] = 0.0;
	for (int j = 0; j < 5; j++) {
		for (int r = 0; j > 0 && r < 2; r++)
			for (int c = 0; c < 2; c++)
				m[j][r][c] = M[r][0] * m[j - 1][0][c] +
					     M[r][1] * m[j - 1][1][c];
		for (int r = 0; r < 2; r++)
			mb[j][r] = m[j][r][0] * s->b1 + m[j][r][1] * s->b2;
	}
}

/* One output's lanes: tap row t (and direct input weight t0). */
static void lanes(const double t[2], double t0, double m[5][2][2],
		  double mb[5][2], float a1[4], float a2[4], float w[4][4])
{
	for (int j = 0; j < 4; j++) {
		a1[j] = (float)(t[0] * m[j][0][0] + t[1] * m[j][1][0]);
		a2[j] = (float)(t[0] * m[j][0][1] + t[1] * m[j][1][1]);
		for (int k = 0; k < 4; k++) {
			const double *v = mb[j > k ? j - 1 - k : 0];

			w[k][j] = k > j ? 0.0f : k == j ? (float)t0 :
				  (float)(t[0] * v[0] + t[1] * v[1]);
		}
	}
}

/* The four-frame form of the current coefficients. */
static void coef4(struct svf *s)
{
	const double lt[2] = { s->l1, s->l2 }, pt[2] = { s->p1, -s->p0 };
	double m[5][2][2], mb[5][2];
	struct svf4 *g = &s->g;

	powers(s, m, mb);
	lanes(lt, s->l0, m, mb, g->la1, g->la2, g->lt);
	lanes(pt, s->p0, m, mb, g->pa1, g->pa2, g->pt);
	g->q11 = (float)m[4][0][0];
	g->q12 = (float)m[4][0][1];
	g->q21 = (float)m[4][1][0];
	g->q22 = (float)m[4][1][1];
	for (int k = 0; k < 4; k++) {
		g->c1[k] = (float)mb[3 - k][0];
		g->c2[k] = (float)mb[3 - k][1];
	}
	g->fc = s->fc;
	g->q = s->q;
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
 * The four frames of a group from its start state and inputs v[0..3]
 * (lane j reads only v[0..j], so a group's first frames come out the
 * same before its later inputs exist).
 */
static inline void group(const struct svf *s, const float *v, sb_v4 *lp,
			 sb_v4 *bp, sb_v4 *hp)
{
	const struct svf4 *g = &s->g;
	sb_v4 i1 = sb_v4_set(s->ic1), i2 = sb_v4_set(s->ic2);
	sb_v4 l = sb_v4_load(g->la1) * i1 + sb_v4_load(g->la2) * i2;
	sb_v4 b = sb_v4_load(g->pa1) * i1 + sb_v4_load(g->pa2) * i2;

	for (int k = 0; k < 4; k++) {
		sb_v4 vk = sb_v4_set(v[k]);

		l += sb_v4_load(g->lt[k]) * vk;
		b += sb_v4_load(g->pt[k]) * vk;
	}
	*lp = l;
	*bp = b;
	*hp = sb_v4_load(v) - sb_v4_set(s->k) * b - l;
}

/* The state at the next group's start. */
static inline void advance(struct svf *s, const float *v)
{
	const struct svf4 *g = &s->g;
	float i1 = s->ic1, i2 = s->ic2;
	float u1 = (g->c1[0] * v[0] + g->c1[1] * v[1]) +
		   (g->c1[2] * v[2] + g->c1[3] * v[3]);
	float u2 = (g->c2[0] * v[0] + g->c2[1] * v[1]) +
		   (g->c2[2] * v[2] + g->c2[3] * v[3]);

	s->ic1 = (g->q11 * i1 + g->q12 * i2) + u1;
	s->ic2 = (g->q21 * i1 + g->q22 * i2) + u2;
}

/* Frames [from, to) of the current group; x, o[] hold just those. */
static void part(struct svf *s, const float *x, uint32_t from, uint32_t to,
		 float *const *o)
{
	sb_v4 v[3];

	for (uint32_t j = from; j < 4; j++)
		s->pend[j] = j < to ? x[j - from] : 0.0f;
	group(s, s->pend, &v[0], &v[1], &v[2]);
	for (uint32_t j = from; j < to; j++)
		for (int p = 0; p < 3; p++)
			o[p][j - from] = v[p][j & 3];
	s->fill = to;
	if (to == 4) {
		advance(s, s->pend);
		s->fill = 0;
	}
}

/* End a group early (coefficients about to change): the exact state. */
static void settle(struct svf *s)
{
	float bp, hp;

	for (uint32_t j = 0; j < s->fill; j++)
		tick(s, s->pend[j], &bp, &hp);
	s->fill = 0;
}

/* An unmodulated block, four frames at a time (the same as tick's). */
static void run4(struct svf *s, const float *x, float *lp, float *bp,
		 float *hp, uint32_t n)
{
	uint32_t i = 0;
	sb_v4 l, b, h;

	if (s->fill) {
		i = n < 4 - s->fill ? n : 4 - s->fill;
		part(s, x, s->fill, s->fill + i,
		     (float *const[3]){ lp, bp, hp });
	}
	for (; i + 4 <= n; i += 4) {
		group(s, x + i, &l, &b, &h);
		sb_v4_store(lp + i, l);
		sb_v4_store(bp + i, b);
		sb_v4_store(hp + i, h);
		advance(s, x + i);
	}
	if (i < n)
		part(s, x + i, 0, n - i,
		     (float *const[3]){ lp + i, bp + i, hp + i });
}

/*
 * RT: process thread only.  The state is copied into locals for the
 * loop (stores into the outputs could alias it, and the compiler would
 * reload every coefficient each frame).  Unmodulated blocks skip the
 * per-frame coefficient check and go four frames at a time; the
 * per-frame loop is the reference.
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
		if (fc[0] != s.fc || q[0] != s.q) {
			settle(&s);
			coef(&s, fc[0], q[0], c->rate);
		}
		if (s.g.fc != s.fc || s.g.q != s.q)
			coef4(&s);
		run4(&s, x, lp, bp, hp, n);
	} else {
		settle(&s);
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
