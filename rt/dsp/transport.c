/*
 * transport.c - the beat clock.  Pure arithmetic on frame counts: no JACK,
 * no allocation, no clock reads, so the unit tests link it as it is.
 *
 * Every beat position is computed from the anchor, never by adding up
 * frames_per_beat, so rounding never accumulates: at 133.7 BPM beat 10000
 * is still exactly round(10000 * 60 * rate / 133.7) frames after start.
 *
 * How a subsystem reads one cycle's struct sb_beats:
 *  - started in this block  <=>  running && pos == 0 (start is always at
 *    block frame 0, so start_offset is 0); beat 0 is then beat[0] at 0.
 *  - stopped_at is set in the block that handled a stop command (even if
 *    the transport was already stopped), at stop_offset 0.
 *  - beats inside missed time (xrun) or beyond SB_BEATS_MAX in one block
 *    are passed without being reported; the grid stays where it was.
 */
#include "rt/dsp/transport.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define BPM_MIN 20.0
#define BPM_MAX 300.0
#define BPB_MAX 32

/* Floor division: bars before a re-anchor may sit at negative offsets. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void sb_transport_init(struct sb_transport *t, uint32_t rate)
{
	memset(t, 0, sizeof(*t));
	t->rate = rate;
	t->bpm = 120.0;
	t->beats_per_bar = 4;
}

/*
 * (k - anchor) * 60 * rate is an exact integer in a double for any
 * musical length, so the one division by bpm is the only rounding; the
 * MIDI clock (rt/core/midi_io.c) relies on the same order of operations.
 */
uint64_t sb_transport_beat_pos(const struct sb_transport *t, int64_t k)
{
	double span = (double)(k - t->anchor_beat) * 60.0 * (double)t->rate /
		      t->bpm;
	int64_t p = (int64_t)t->anchor_pos + llround(span);

	return p > 0 ? (uint64_t)p : 0;
}

static int64_t bar_of(const struct sb_transport *t, int64_t k)
{
	return floor_div(k - t->bar_anchor, t->beats_per_bar);
}

/*
 * Beat k becomes the first beat of a bar in the new meter: the bar
 * number goes on from the bar in progress (a bar cut short still counts).
 */
static void rebar(struct sb_transport *t, int64_t k, uint32_t bpb)
{
	int64_t bar = bar_of(t, k);

	if (bpb == t->beats_per_bar)
		return;
	if ((k - t->bar_anchor) % t->beats_per_bar != 0)
		bar++;
	t->bar_anchor = k - bar * (int64_t)bpb;
	t->beats_per_bar = bpb;
}

/* Tempo and meter changes wait for a beat; beat k is that beat. */
static void apply_pending_at(struct sb_transport *t, int64_t k)
{
	if (t->pending_bpm > 0.0 && t->pending_bpm != t->bpm) {
		t->anchor_pos = sb_transport_beat_pos(t, k);
		t->anchor_beat = k;
		t->bpm = t->pending_bpm;
	}
	t->pending_bpm = 0.0;
	if (t->pending_bpb)
		rebar(t, k, t->pending_bpb);
	t->pending_bpb = 0;
}

/* Stopped: nothing to wait for, so a change takes effect at once. */
static void apply_pending_now(struct sb_transport *t)
{
	if (t->pending_bpm > 0.0)
		t->bpm = t->pending_bpm;
	if (t->pending_bpb)
		t->beats_per_bar = t->pending_bpb;
	t->pending_bpm = 0.0;
	t->pending_bpb = 0;
}

int sb_transport_cmd(struct sb_transport *t, const struct sb_msg *m)
{
	switch (m->type) {
	case SB_CMD_TRANSPORT_TEMPO:
		/* written so that NaN fails too */
		if (!(m->u.tempo.bpm >= BPM_MIN && m->u.tempo.bpm <= BPM_MAX))
			return -EINVAL;
		t->pending_bpm = m->u.tempo.bpm;
		break;
	case SB_CMD_TRANSPORT_METER:
		if (m->u.meter.beats_per_bar < 1 ||
		    m->u.meter.beats_per_bar > BPB_MAX)
			return -EINVAL;
		t->pending_bpb = (uint32_t)m->u.meter.beats_per_bar;
		break;
	case SB_CMD_TRANSPORT_START:
		t->pending_start = 1;
		t->pending_stop = 0;
		return 0;
	case SB_CMD_TRANSPORT_STOP:
		t->pending_stop = 1;
		t->pending_start = 0;
		return 0;
	default:
		return -ENOSYS;
	}
	if (!t->running)
		apply_pending_now(t);
	return 0;
}

int sb_transport_will_run(const struct sb_transport *t)
{
	return (t->running && !t->pending_stop) || t->pending_start;
}

/* Smallest beat index whose start is at or after transport frame p. */
static int64_t first_beat_from(const struct sb_transport *t, uint64_t p)
{
	double fpb = 60.0 * (double)t->rate / t->bpm;
	int64_t k = t->anchor_beat +
		    (int64_t)ceil((double)(p - t->anchor_pos) / fpb);

	while (k > t->anchor_beat && sb_transport_beat_pos(t, k - 1) >= p)
		k--;
	while (sb_transport_beat_pos(t, k) < p)
		k++;
	return k;
}

/*
 * Missed time moves the transport on as if it had run: beats in the gap
 * are passed (the first of them takes a pending tempo or meter change)
 * and the next beat is found on the unchanged grid.
 */
static void skip_missed(struct sb_transport *t, uint32_t missed)
{
	t->pos += missed;
	if (sb_transport_beat_pos(t, t->next_beat) >= t->pos)
		return;
	apply_pending_at(t, t->next_beat);
	t->next_beat = first_beat_from(t, t->pos);
}

static void start(struct sb_transport *t)
{
	apply_pending_now(t);
	t->running = 1;
	t->pos = 0;
	t->anchor_pos = 0;
	t->anchor_beat = 0;
	t->bar_anchor = 0;
	t->next_beat = 0;
	t->pending_start = 0;
}

static void stop(struct sb_transport *t, struct sb_beats *out)
{
	apply_pending_now(t);
	t->running = 0;
	t->pos = 0;
	t->next_beat = 0;
	t->pending_stop = 0;
	out->stopped_at = 1;
	out->stop_offset = 0;
}

/* Pass every beat that starts in [pos, pos + nframes). */
static void collect_beats(struct sb_transport *t, uint32_t nframes,
			  struct sb_beats *out)
{
	uint64_t end = t->pos + nframes;

	for (;;) {
		uint64_t p = sb_transport_beat_pos(t, t->next_beat);
		int64_t k = t->next_beat;

		if (p >= end)
			return;
		apply_pending_at(t, k);
		if (out->n < SB_BEATS_MAX) {
			struct sb_beat *b = &out->beat[out->n++];
			int64_t bar = bar_of(t, k);

			b->offset = (uint32_t)(p - t->pos);
			b->index = k;
			b->bar = bar;
			b->beat_in_bar = (uint32_t)(k - t->bar_anchor -
						    bar * t->beats_per_bar);
		}
		t->next_beat++;
	}
}

void sb_transport_cycle(struct sb_transport *t, uint32_t nframes,
			uint32_t missed, struct sb_beats *out)
{
	out->n = 0;
	out->stopped_at = 0;
	out->stop_offset = 0;
	out->start_offset = 0;
	out->missed = missed;
	if (t->pending_stop)
		stop(t, out);
	if (t->pending_start)
		start(t);
	else if (t->running)
		skip_missed(t, missed);
	if (t->running)
		collect_beats(t, nframes, out);
	out->running = t->running;
	out->pos = t->pos;
	out->bpm = t->bpm;
	out->beats_per_bar = t->beats_per_bar;
	out->frames_per_beat = 60.0 * (double)t->rate / t->bpm;
	out->last_beat = t->running ? t->next_beat - 1 : -1;
	if (t->running)
		t->pos += nframes;
}
