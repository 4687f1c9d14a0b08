/*
 * midi_io.c - MIDI clock out, MIDI in to the server (see midi_io.h).
 *
 * The clock keeps its own copy of the transport's anchor.  A tempo change
 * only ever takes effect on the first beat the transport passes after the
 * previous block (commands are handled before the cycle, and the pending
 * change is consumed by that beat, even inside missed time), so when a
 * block shows a new bpm the anchor is that beat, found on the old grid.
 */
#include "rt/core/midi_io.h"

#include <errno.h>
#include <jack/midiport.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIDI_CLOCK 0xF8
#define MIDI_START 0xFA
#define MIDI_STOP 0xFC
#define MIDI_SONG_POS 0xF2

struct midi_io {
	uint32_t rate;
	int running;		/* we have sent start and not stop */
	uint64_t a_pos;		/* anchor: transport frame of beat a_beat */
	int64_t a_beat;
	double bpm;		/* tempo from the anchor on */
	int64_t next_tick;	/* clock tick index since start */
	int64_t next_beat;	/* first beat not yet passed */
	sb_emit_fn emit;
	void *emit_arg;
};

/* Main thread, before activation. */
static int midi_init(const struct sb_rt_ctx *ctx, void **state, char *err,
		     size_t errlen)
{
	struct midi_io *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->rate = ctx->sample_rate;
	m->bpm = 120.0;
	m->emit = ctx->emit;
	m->emit_arg = ctx->emit_arg;
	*state = m;
	return 0;
}

static void midi_fini(void *state)
{
	free(state);
}

/*
 * Same order of operations as sb_transport_beat_pos: for q = 24k the
 * numerator is exactly k * 60 * rate, so tick 24k lands on beat k.
 */
static uint64_t tick_pos(const struct midi_io *m, int64_t q)
{
	double span = (double)(q - SB_MIDI_CLOCKS_PER_BEAT * m->a_beat) *
		      60.0 * (double)m->rate / SB_MIDI_CLOCKS_PER_BEAT / m->bpm;

	return m->a_pos + (uint64_t)llround(span);
}

/* RT.  A full buffer drops the message: nothing better to do mid-cycle. */
static void put(const struct sb_block *b, uint32_t offset,
		const uint8_t *bytes, size_t len)
{
	jack_midi_event_write(b->midi_out, offset, bytes, len);
}

static void put1(const struct sb_block *b, uint32_t offset, uint8_t byte)
{
	put(b, offset, &byte, 1);
}

/* Send the ticks of [next_tick, qlimit) that fall in this block. */
static void send_ticks(struct midi_io *m, const struct sb_block *b,
		       int64_t qlimit)
{
	uint64_t start = b->beats->pos, end = start + b->nframes;

	while (m->next_tick < qlimit) {
		uint64_t p = tick_pos(m, m->next_tick);

		if (p >= end)
			return;
		if (p >= start)	/* else lost in missed time */
			put1(b, (uint32_t)(p - start), MIDI_CLOCK);
		m->next_tick++;
	}
}

/* Jump over ticks inside missed time without walking them one by one. */
static void skip_gap(struct midi_io *m, uint64_t start)
{
	double per_tick = 60.0 * (double)m->rate / SB_MIDI_CLOCKS_PER_BEAT /
			  m->bpm;
	int64_t q;

	if (tick_pos(m, m->next_tick) >= start)
		return;
	q = SB_MIDI_CLOCKS_PER_BEAT * m->a_beat +
	    (int64_t)ceil((double)(start - m->a_pos) / per_tick);
	while (q > m->next_tick && tick_pos(m, q - 1) >= start)
		q--;
	while (tick_pos(m, q) < start)
		q++;
	m->next_tick = q;
}

static void retempo(struct midi_io *m, const struct sb_block *b)
{
	int64_t qc = SB_MIDI_CLOCKS_PER_BEAT * m->next_beat;

	send_ticks(m, b, qc);	/* the old tempo up to the changing beat */
	m->a_pos = tick_pos(m, qc);
	m->a_beat = m->next_beat;
	m->bpm = b->beats->bpm;
	if (m->next_tick < qc)
		m->next_tick = qc;
}

static void start_clock(struct midi_io *m, const struct sb_block *b)
{
	static const uint8_t spp0[3] = { MIDI_SONG_POS, 0, 0 };
	uint32_t at = b->beats->start_offset;

	put(b, at, spp0, sizeof(spp0));
	put1(b, at, MIDI_START);
	m->running = 1;
	m->a_pos = 0;
	m->a_beat = 0;
	m->bpm = b->beats->bpm;
	m->next_tick = 0;
	m->next_beat = 0;
}

static void clock_out(struct midi_io *m, const struct sb_block *b)
{
	const struct sb_beats *bt = b->beats;

	if (bt->stopped_at && m->running)
		put1(b, bt->stop_offset, MIDI_STOP);
	if (!bt->running)
		m->running = 0;
	if (!bt->running || !b->nframes)
		return;
	if (bt->pos == 0)	/* started (or restarted) in this block */
		start_clock(m, b);
	if (!m->running)
		return;
	if (bt->bpm != m->bpm)
		retempo(m, b);
	skip_gap(m, bt->pos);
	send_ticks(m, b, INT64_MAX);
	m->next_beat = bt->last_beat + 1;
}

/* RT.  Note-off 0x8n, note-on 0x9n, control change 0xBn. */
static int wanted(const jack_midi_event_t *ev)
{
	uint8_t kind = ev->buffer[0] & 0xF0;

	return ev->size == 3 && (kind == 0x80 || kind == 0x90 || kind == 0xB0);
}

static void forward_input(struct midi_io *m, const struct sb_block *b)
{
	uint32_t n = jack_midi_get_event_count(b->midi_in);
	jack_midi_event_t ev;

	for (uint32_t i = 0; i < n; i++) {
		struct sb_msg e = { .type = SB_EVT_MIDI_IN };

		if (jack_midi_event_get(&ev, b->midi_in, i) || !wanted(&ev))
			continue;
		e.u.midi.frame = b->frame + ev.time;
		e.u.midi.len = 3;
		memcpy(e.u.midi.bytes, ev.buffer, 3);
		m->emit(m->emit_arg, &e);
	}
}

/* RT: process thread only. */
static void midi_process(void *state, const struct sb_block *b)
{
	struct midi_io *m = state;

	if (b->midi_in)
		forward_input(m, b);
	if (b->midi_out && b->beats)
		clock_out(m, b);
}

const struct sb_subsys sb_midi_io_subsys = {
	.name = "midi_io",
	.init = midi_init,
	.process = midi_process,
	.fini = midi_fini,
};
