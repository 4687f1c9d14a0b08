/*
 * safety.c - the output safety stage subsystem (see safety.h).
 *
 * Everything is per sample and the state is a handful of floats, so
 * there is nothing to size by the block and nothing to allocate after
 * init; a change of JACK block size needs no care.
 */
#include "rt/core/safety.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* The volume glide snaps to its target from this close: a fade to mute
 * would otherwise crawl into denormals, which are slow. */
#define GLIDE_SNAP 1e-6f

struct safety {
	float ceiling;		/* linear; no output sample exceeds it */
	float ceiling_db;
	float volume_db;	/* as commanded */
	int muted;
	float target;		/* muted ? 0 : volume as a gain */
	float gain;		/* glides to target, per sample */
	float glide;		/* one-pole coefficient per frame */
	/* The limiter's gain is 1 - dip.  Kept as the dip, which decays
	 * towards 0 by a factor per frame: a gain gliding up to 1 would stall
	 * a few ulps short of it and report a reduction for ever. */
	float dip;		/* 0 <= dip < 1 */
	float keep;		/* dip's decay per frame (the release) */
	float lowest;		/* lowest gain of the last block */
	uint32_t over_hold;	/* frames SB_OUT_OVER stays set */
	uint32_t over_left;	/* frames until it clears */
	uint64_t nonfinite;
	uint64_t limited;
	sb_emit_fn emit;
	void *emit_arg;
};

static float db_to_gain(double db)
{
	return (float)pow(10.0, db / 20.0);
}

/* One-pole coefficient for time constant tau seconds at rate. */
static float pole(double tau, uint32_t rate)
{
	return (float)(1.0 - exp(-1.0 / (tau * rate)));
}

static void retarget(struct safety *s)
{
	s->target = s->muted ? 0.0f : db_to_gain(s->volume_db);
}

/* Main thread, before activation: the only place that allocates. */
static int safety_init(const struct sb_rt_ctx *ctx, void **state, char *err,
		       size_t errlen)
{
	double ceil_db = ctx->cfg->output.ceiling_db;
	double vol_db = ctx->cfg->output.volume_db;
	struct safety *s;

	if (!(ceil_db >= SB_OUTPUT_CEILING_MIN_DB &&
	      ceil_db <= SB_OUTPUT_CEILING_MAX_DB) ||
	    !(vol_db >= SB_OUTPUT_VOLUME_MIN_DB &&
	      vol_db <= SB_OUTPUT_VOLUME_MAX_DB)) {
		snprintf(err, errlen, "output.ceiling_db %g or output.volume_db"
			 " %g out of range", ceil_db, vol_db);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->ceiling_db = (float)ceil_db;
	s->ceiling = db_to_gain(ceil_db);
	s->volume_db = (float)vol_db;
	retarget(s);
	s->gain = s->target;	/* start where the config says, no fade in */
	s->glide = pole(SB_SAFETY_GLIDE_S, ctx->sample_rate);
	s->lowest = 1.0f;
	s->keep = 1.0f - pole(SB_SAFETY_RELEASE_S, ctx->sample_rate);
	s->over_hold = (uint32_t)(SB_SAFETY_OVER_HOLD_S * ctx->sample_rate);
	s->emit = ctx->emit;
	s->emit_arg = ctx->emit_arg;
	*state = s;
	return 0;
}

/*
 * RT.  NaN/inf -> 0, counted; finite samples clamped to SB_SAFETY_MAX_IN
 * so that gain, peak and ceiling / peak below never overflow.  Returns
 * how many samples were not finite.
 */
static uint32_t scrub(float *x, uint32_t n)
{
	uint32_t bad = 0;

	for (uint32_t i = 0; i < n; i++) {
		float a = fabsf(x[i]);

		if (!(a <= FLT_MAX)) {	/* NaN fails, inf exceeds */
			x[i] = 0.0f;
			bad++;
		} else if (a > SB_SAFETY_MAX_IN) {
			x[i] = copysignf(SB_SAFETY_MAX_IN, x[i]);
		}
	}
	return bad;
}

static float clip(float x, float c)
{
	return fminf(fmaxf(x, -c), c);
}

/*
 * RT.  Master volume, linked limiter and hard clip over both channels.
 * Returns 1 when a sample would have passed the ceiling (an attack).
 */
static int gain_and_limit(struct safety *s, float *l, float *r, uint32_t n)
{
	float g = s->gain, dip = s->dip, lo = 1.0f, c = s->ceiling;
	int hit = 0;

	for (uint32_t i = 0; i < n; i++) {
		float a, b, peak, env;

		g += (s->target - g) * s->glide;
		a = l[i] * g;
		b = r[i] * g;
		peak = fmaxf(fabsf(a), fabsf(b));
		dip *= s->keep;
		env = 1.0f - dip;
		if (peak * env > c) {
			env = c / peak;	/* instant: this sample lands on c */
			dip = 1.0f - env;
			hit = 1;
		}
		l[i] = clip(a * env, c);
		r[i] = clip(b * env, c);
		lo = fminf(lo, env);
	}
	if (fabsf(s->target - g) < GLIDE_SNAP)
		g = s->target;
	/* below one step of a float near 1 the gain is 1: no denormals */
	if (dip < FLT_EPSILON)
		dip = 0.0f;
	s->gain = g;
	s->dip = dip;
	s->lowest = lo;
	return hit;
}

/* RT: process thread only. */
static void safety_process(void *state, const struct sb_block *b)
{
	struct safety *s = state;
	uint32_t n = b->nframes, bad;
	int hit;

	bad = scrub(b->out_l, n) + scrub(b->out_r, n);
	hit = gain_and_limit(s, b->out_l, b->out_r, n);
	if (b->click) {
		bad += scrub(b->click, n);
		for (uint32_t i = 0; i < n; i++)
			b->click[i] = clip(b->click[i], s->ceiling);
	}
	s->nonfinite += bad;
	s->limited += (uint64_t)hit;
	if (bad || hit)
		s->over_left = s->over_hold;
	else
		s->over_left -= s->over_left < n ? s->over_left : n;
}

/* RT: process thread only. */
static void safety_cmd(void *state, const struct sb_msg *m)
{
	struct safety *s = state;
	struct sb_msg r = { .type = SB_EVT_ACK, .id = m->id };
	double v = m->u.output.volume_db;

	if (m->type == SB_CMD_OUTPUT_VOLUME) {
		/* NaN fails the test as well */
		if (v >= SB_OUTPUT_VOLUME_MIN_DB &&
		    v <= SB_OUTPUT_VOLUME_MAX_DB)
			s->volume_db = (float)v;
		else
			r.u.ack.status = -EINVAL;
	} else if (m->type == SB_CMD_OUTPUT_MUTE) {
		s->muted = m->u.output.muted != 0;
	} else {
		r.u.ack.status = -ENOSYS;
	}
	retarget(s);
	if (m->id)
		s->emit(s->emit_arg, &r);
}

/* RT: process thread only (and the main thread before activation). */
static void safety_report(void *state, struct sb_status *st)
{
	const struct safety *s = state;

	st->out_volume_db = s->volume_db;
	st->out_ceiling_db = s->ceiling_db;
	st->out_gr_db = s->lowest < 1.0f ? -20.0f * log10f(s->lowest) : 0.0f;
	st->out_flags = (s->over_left ? SB_OUT_OVER : 0u) |
			(s->muted ? SB_OUT_MUTED : 0u);
	st->out_nonfinite = s->nonfinite;
	st->out_limited = s->limited;
}

static void safety_fini(void *state)
{
	free(state);
}

const struct sb_subsys sb_safety_subsys = {
	.name = "safety",
	.cmd_first = SB_CMD_RANGE_OUTPUT_FIRST,
	.cmd_last = SB_CMD_RANGE_OUTPUT_LAST,
	.init = safety_init,
	.process = safety_process,
	.handle_cmd = safety_cmd,
	.report = safety_report,
	.fini = safety_fini,
};
