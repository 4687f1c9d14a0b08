/*
 * mod_midi.c - monophonic MIDI to CV from the engine's midi_in: last-note
 * priority (releasing the newest held note falls back to the one held
 * before it, without a new gate), note-on with velocity 0 is a note-off.
 * Outputs change on the exact frame of each event.
 */
#include "rt/dsp/dsp.h"

#define HELD_MAX 16

enum { O_PITCH, O_GATE, O_VEL, O_TRIG };
enum { P_CHANNEL };

struct midi {
	uint8_t held[HELD_MAX];	/* oldest first */
	uint8_t vel[HELD_MAX];
	uint32_t n;
	float pitch, velocity;
};

static const struct sb_port_def outputs[] = {
	{ "pitch", "V/oct of the sounding note (0 = C4 = MIDI 60); held after release" },
	{ "gate", "high while any note is held" },
	{ "velocity", "velocity of the sounding note, 0..1" },
	{ "trig", "1 on the frame of every note-on" },
};
static const struct sb_param_def params[] = {
	{ .name = "channel", .kind = SB_PK_NUM, .min = 0.0f, .max = 16.0f,
	  .def = 0.0f, .unit = "", .doc = "MIDI channel 1..16, 0 = all" },
};

SB_FIXED_STATE(size, struct midi)

static void release(struct midi *s, uint8_t note)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < s->n; i++)
		if (s->held[i] != note) {
			s->held[j] = s->held[i];
			s->vel[j++] = s->vel[i];
		}
	s->n = j;
}

static void press(struct midi *s, uint8_t note, uint8_t vel)
{
	release(s, note);
	if (s->n == HELD_MAX) {
		memmove(s->held, s->held + 1, HELD_MAX - 1);
		memmove(s->vel, s->vel + 1, HELD_MAX - 1);
		s->n--;
	}
	s->held[s->n] = note;
	s->vel[s->n++] = vel;
}

/* One event; returns 1 for a note-on. */
static int event(struct midi *s, const uint8_t *b, int channel)
{
	uint8_t type = b[0] & 0xf0;
	int on;

	if ((type != 0x80 && type != 0x90) ||
	    (channel && (b[0] & 0x0f) != channel - 1))
		return 0;
	on = type == 0x90 && b[2] > 0;
	if (on)
		press(s, b[1] & 0x7f, b[2] & 0x7f);
	else
		release(s, b[1] & 0x7f);
	if (s->n) {
		s->pitch = (float)(s->held[s->n - 1] - 60) / 12.0f;
		s->velocity = (float)s->vel[s->n - 1] / 127.0f;
	}
	return on;
}

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	struct midi *s = state;
	const struct sb_mod_midi *m = c->midi;
	int channel = (int)(p[P_CHANNEL][0] + 0.5f);
	uint32_t e = 0;

	(void)in;
	(void)data;
	for (uint32_t i = 0; i < c->nframes; i++) {
		float trig = 0.0f;

		for (; m && e < m->n && m->ev[e].offset <= i; e++)
			if (event(s, m->ev[e].bytes, channel))
				trig = 1.0f;
		out[O_PITCH][i] = s->pitch;
		out[O_GATE][i] = s->n ? 1.0f : 0.0f;
		out[O_VEL][i] = s->velocity;
		out[O_TRIG][i] = trig;
	}
}

const struct sb_mod_def sb_mod_midi = {
	.type = "midi",
	.doc = "monophonic MIDI to pitch/gate/velocity (last-note priority)",
	.outputs = outputs, .n_outputs = 4,
	.params = params, .n_params = 1,
	.state_size = size, .init = sb_init_zeroed, .process = process,
};
