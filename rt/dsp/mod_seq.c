/*
 * mod_seq.c - pattern sequencer.  The pattern is compiled by the server
 * (rt/dsp/seq_data.h); one pattern cycle is one bar of the transport.  Which
 * event sounds is a pure function of the transport frame: bar b =
 * floor(frame / bar length) (with the transport's rounding), variant
 * b mod n_cycles, the event whose start frame round((b + start) * bar)
 * is the last one at or before the frame.  So a pattern swapped in
 * mid-bar takes over at the very position: no step skipped or doubled,
 * and a step already under way does not trigger again.
 *
 * gate is high from the event's first frame until GAP_S before its end
 * (at most half the event), so repeated notes retrigger; trig is 1 on
 * the first frame; pitch holds the last note through rests.  A stopped
 * transport (or no pattern) holds gate and trig low.
 */
#include "rt/dsp/dsp.h"
#include "rt/dsp/seq_data.h"

#define GAP_S 0.005f

enum { O_PITCH, O_GATE, O_TRIG };

struct seq {
	float pitch;
};

/* The event under way at a frame, with its frame span. */
struct cur {
	const struct sb_seq_event *ev;
	uint32_t count, i;
	int64_t bar;
	uint64_t start, end;
};

static const struct sb_port_def outputs[] = {
	{ "pitch", "V/oct of the current note (0 = C4); held through rests" },
	{ "gate", "high during a note, minus a short gap before its end" },
	{ "trig", "1 on the first frame of each note" },
};
static const struct sb_param_def params[] = {
	{ .name = "pattern", .kind = SB_PK_TEXT, .unit = "",
	  .doc = "mini-notation: c3 e3 ~ [c4 e4] g3*2 <a3 b3>; one cycle per bar" },
};

SB_FIXED_STATE(size, struct seq)

static uint64_t ev_start(const struct cur *q, uint32_t i, double bar)
{
	double x = i >= q->count ? (double)(q->bar + 1)
				 : (double)q->bar + q->ev[i].start;

	return (uint64_t)llround(x * bar);
}

/* Find the event holding frame f. */
static void locate(const struct sb_seq_data *d, struct cur *q, uint64_t f,
		   double bar)
{
	uint32_t lo = 0, hi;

	q->bar = sb_grid_index(f, bar);
	q->ev = sb_seq_events(d, q->bar, &q->count);
	hi = q->count;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;

		if (ev_start(q, mid, bar) <= f)
			lo = mid;
		else
			hi = mid;
	}
	q->i = lo;
	q->start = ev_start(q, lo, bar);
	q->end = ev_start(q, lo + 1, bar);
}

static int usable(const struct sb_seq_data *d)
{
	return d && d->magic == SB_SEQ_MAGIC && d->n_cycles > 0;
}

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct seq *s = state;
	const struct sb_seq_data *d = data;
	float *pitch = out[O_PITCH], *gate = out[O_GATE], *trig = out[O_TRIG];
	int run;
	uint64_t f0 = sb_transport_frame(c, 0, &run);
	double bar;
	struct cur q;

	(void)in;
	(void)p;
	memset(gate, 0, c->nframes * sizeof(float));
	memset(trig, 0, c->nframes * sizeof(float));
	if (!run || !usable(d)) {
		sb_fill(pitch, s->pitch, c->nframes);
		return;
	}
	bar = c->beats->frames_per_beat * c->beats->beats_per_bar;
	locate(d, &q, f0, bar);
	for (uint32_t i = 0; i < c->nframes; i++) {
		uint64_t f = f0 + i, len, gap;

		if (f >= q.end)
			locate(d, &q, f, bar);
		if (q.ev[q.i].note != SB_SEQ_REST) {
			len = q.end - q.start;
			gap = (uint64_t)(GAP_S * (float)c->rate);
			gap = gap < len / 2 ? gap : len / 2;
			s->pitch = (float)(q.ev[q.i].note - 60) / 12.0f;
			gate[i] = f + gap < q.end ? 1.0f : 0.0f;
			trig[i] = f == q.start ? 1.0f : 0.0f;
		}
		pitch[i] = s->pitch;
	}
}

const struct sb_mod_def sb_mod_seq = {
	.type = "seq",
	.doc = "pattern sequencer locked to the transport (one cycle per bar)",
	.outputs = outputs, .n_outputs = 3,
	.params = params, .n_params = 1,
	.state_size = size, .init = sb_init_zeroed, .process = process,
};
