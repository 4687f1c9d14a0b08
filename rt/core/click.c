/*
 * click.c - the metronome subsystem (see click.h).
 *
 * The one burst that is sounding is kept with its play position, so a
 * burst that starts near the end of a block goes on in the next one.  A
 * new beat cuts the old burst off; at 300 BPM a beat is 200 ms, ten times
 * a burst, so that never happens in practice.
 */
#include "rt/core/click.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define ATTACK_S 0.0005
#define DECAY_TAU_S 0.004	/* -43 dB after 20 ms */
#define TAIL_S 0.002		/* final linear fade to zero */
#define GLIDE_TAU_S 0.005	/* volume smoothing */

struct click {
	uint32_t len;		/* frames per burst */
	float *burst[2];	/* [0] plain beat, [1] accent */
	const float *cur;	/* sounding burst, NULL: silence */
	uint32_t cur_pos;
	int enabled;
	float volume;		/* as commanded */
	float gain;		/* follows enabled ? volume : 0 */
	float glide;		/* one-pole coefficient per frame */
	sb_emit_fn emit;
	void *emit_arg;
};

void sb_click_burst(float *dst, uint32_t len, double hz, uint32_t rate)
{
	double attack = fmax(1.0, round(ATTACK_S * rate));
	double tail = fmax(1.0, round(TAIL_S * rate));
	double w = 2.0 * M_PI * hz / rate;

	for (uint32_t i = 0; i < len; i++) {
		double env = i < attack ? (i + 1) / attack
					: exp(-(i - attack) / (DECAY_TAU_S * rate));

		if (len - i < tail)
			env *= (len - i) / tail;
		dst[i] = (float)(env * cos(w * i));
	}
}

static void click_fini(void *state)
{
	struct click *c = state;

	if (!c)
		return;
	free(c->burst[0]);
	free(c->burst[1]);
	free(c);
}

/* Main thread, before activation: the only place that allocates. */
static int click_init(const struct sb_rt_ctx *ctx, void **state, char *err,
		      size_t errlen)
{
	struct click *c = calloc(1, sizeof(*c));

	if (!c)
		goto nomem;
	c->len = (uint32_t)lround(SB_CLICK_SECONDS * ctx->sample_rate);
	if (c->len < 1)
		c->len = 1;
	c->burst[0] = malloc(c->len * sizeof(float));
	c->burst[1] = malloc(c->len * sizeof(float));
	if (!c->burst[0] || !c->burst[1])
		goto nomem;
	sb_click_burst(c->burst[0], c->len, SB_CLICK_HZ, ctx->sample_rate);
	sb_click_burst(c->burst[1], c->len, SB_CLICK_ACCENT_HZ,
		       ctx->sample_rate);
	c->volume = SB_CLICK_VOLUME;
	c->glide = (float)(1.0 - exp(-1.0 / (GLIDE_TAU_S *
					     ctx->sample_rate)));
	c->emit = ctx->emit;
	c->emit_arg = ctx->emit_arg;
	*state = c;
	return 0;
nomem:
	click_fini(c);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

/* RT.  Add the sounding burst into out[from, to). */
static void render(struct click *c, float *out, uint32_t from, uint32_t to)
{
	float target = c->enabled ? c->volume : 0.0f;

	/* In silence a gain jump cannot be heard: no glide needed. */
	if (!c->cur)
		c->gain = target;
	for (uint32_t i = from; c->cur && i < to; i++) {
		c->gain += (target - c->gain) * c->glide;
		out[i] += c->cur[c->cur_pos] * c->gain;
		if (++c->cur_pos == c->len)
			c->cur = NULL;
	}
}

/* RT: process thread only. */
static void click_process(void *state, const struct sb_block *b)
{
	struct click *c = state;
	const struct sb_beats *bt = b->beats;
	uint32_t at = 0;

	for (uint32_t i = 0; bt && i < bt->n; i++) {
		const struct sb_beat *beat = &bt->beat[i];

		render(c, b->click, at, beat->offset);
		at = beat->offset;
		if (!c->enabled)
			continue;
		c->cur = c->burst[beat->beat_in_bar == 0];
		c->cur_pos = 0;
	}
	render(c, b->click, at, b->nframes);
}

/* RT: process thread only. */
static void click_cmd(void *state, const struct sb_msg *m)
{
	struct click *c = state;
	struct sb_msg r = { .type = SB_EVT_ACK, .id = m->id };
	const struct sb_click_args *a = &m->u.click;
	double v = a->volume;

	/* the table routes only SB_CMD_CLICK_SET here; NaN fails the test */
	if (v >= 0.0 && v <= 1.0) {
		c->enabled = a->enabled != 0;
		c->volume = (float)v;
	} else {
		r.u.ack.status = -EINVAL;
	}
	c->emit(c->emit_arg, &r);
}

/* RT: process thread only. */
static void click_report_looper(void *state, struct sb_looper_status *ls)
{
	const struct click *c = state;

	ls->click_enabled = c->enabled;
	ls->click_volume = c->volume;
}

const struct sb_subsys sb_click_subsys = {
	.name = "click",
	.cmd_first = SB_CMD_CLICK_SET,
	.cmd_last = SB_CMD_CLICK_SET,
	.init = click_init,
	.process = click_process,
	.handle_cmd = click_cmd,
	.report_looper = click_report_looper,
	.fini = click_fini,
};
