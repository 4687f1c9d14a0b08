/*
 * sb-fakesynth - test client: a 16-voice sine synth with a sample-exact,
 * fixed latency.
 *
 * A MIDI event at absolute frame E is applied at frame E + --latency: note-on
 * starts a voice whose first non-zero sample is exactly that frame (cosine
 * phase and an attack that starts one step above zero, so onset detection
 * can look for the first non-zero sample).  Events wait for their frame in a
 * small FIFO; a fixed latency keeps it in time order.
 */
#include "tests/clients/common.h"

#include <errno.h>
#include <getopt.h>
#include <jack/midiport.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOICES 16
#define QUEUE 256 /* power of two */
#define ATTACK_S 0.005
#define RELEASE_S 0.050
#define VOICE_GAIN 0.3

static const char usage[] =
	"usage: sb-fakesynth [--server NAME] [--name CLIENT] --connect-midi PORT\n"
	"                    --connect-out PORT[,PORT] [--latency FRAMES]\n";

enum stage { OFF, ATTACK, SUSTAIN, RELEASE };

struct voice {
	enum stage stage;
	int note;
	uint64_t age; /* note-on order, for stealing */
	double phase, step;
	float gain, env, slope;
};

struct pending {
	uint64_t due;
	uint8_t status, note, vel;
};

struct synth {
	jack_client_t *client;
	jack_port_t *midi_in, *out;
	long latency;
	float attack_step; /* envelope rise per frame */
	float release_frames;
	double rate;
	/* process thread only */
	struct sb_clock clk;
	struct voice v[VOICES];
	struct pending q[QUEUE];
	unsigned head, tail;
	uint64_t ons;
	/* shared */
	atomic_ulong dropped;
};

struct synth_args {
	struct sb_common common;
	const char *midi;
	char *out;
};

/* RT: process thread only - free voice, else the oldest one */
static struct voice *voice_pick(struct synth *s)
{
	struct voice *best = &s->v[0];
	int i;

	for (i = 0; i < VOICES; i++) {
		if (s->v[i].stage == OFF)
			return &s->v[i];
		if (s->v[i].age < best->age)
			best = &s->v[i];
	}
	return best;
}

/* RT: process thread only */
static void note_on(struct synth *s, int note, int vel)
{
	struct voice *v = voice_pick(s);
	double hz = 440.0 * pow(2.0, (note - 69) / 12.0);

	v->stage = ATTACK;
	v->note = note;
	v->age = ++s->ons;
	v->phase = 0.0;
	v->step = 2.0 * M_PI * hz / s->rate;
	v->gain = (float)(VOICE_GAIN * vel / 127.0);
	v->env = 0.0f;
}

/* RT: process thread only */
static void note_off(struct synth *s, int note)
{
	int i;

	for (i = 0; i < VOICES; i++) {
		struct voice *v = &s->v[i];

		if (v->note != note || v->stage == OFF || v->stage == RELEASE)
			continue;
		v->stage = RELEASE;
		v->slope = v->env / s->release_frames;
	}
}

/* RT: process thread only */
static void apply_event(struct synth *s, const struct pending *e)
{
	int kind = e->status & 0xf0;

	if (kind == 0x90 && e->vel > 0)
		note_on(s, e->note, e->vel);
	else if (kind == 0x80 || kind == 0x90)
		note_off(s, e->note);
}

/* RT: process thread only - advance the envelope, then one sample */
static float voice_sample(struct synth *s, struct voice *v)
{
	float out;

	if (v->stage == ATTACK) {
		v->env += s->attack_step;
		if (v->env >= 1.0f) {
			v->env = 1.0f;
			v->stage = SUSTAIN;
		}
	} else if (v->stage == RELEASE) {
		v->env -= v->slope;
		if (v->env <= 0.0f) {
			v->stage = OFF;
			return 0.0f;
		}
	}
	out = v->gain * v->env * (float)cos(v->phase);
	v->phase += v->step;
	if (v->phase >= 2.0 * M_PI)
		v->phase -= 2.0 * M_PI;
	return out;
}

/* RT: process thread only - queue this cycle's note events by due frame */
static void take_midi(struct synth *s, jack_nframes_t n, uint64_t now)
{
	void *buf = jack_port_get_buffer(s->midi_in, n);
	uint32_t count = jack_midi_get_event_count(buf);
	jack_midi_event_t ev;
	uint32_t i;

	for (i = 0; i < count; i++) {
		struct pending *p;

		if (jack_midi_event_get(&ev, buf, i) || ev.size < 3)
			continue;
		if ((ev.buffer[0] & 0xe0) != 0x80) /* 0x8n or 0x9n */
			continue;
		if (s->tail - s->head == QUEUE) {
			atomic_fetch_add(&s->dropped, 1);
			continue;
		}
		p = &s->q[s->tail++ & (QUEUE - 1)];
		p->due = now + ev.time + (uint64_t)s->latency;
		p->status = ev.buffer[0];
		p->note = ev.buffer[1] & 0x7f;
		p->vel = ev.buffer[2] & 0x7f;
	}
}

/* RT: process thread only */
static int synth_process(jack_nframes_t n, void *arg)
{
	struct synth *s = arg;
	uint64_t now = sb_clock_update(&s->clk, s->client, n);
	float *out = jack_port_get_buffer(s->out, n);
	jack_nframes_t i;
	int k;

	take_midi(s, n, now);
	for (i = 0; i < n; i++) {
		float sum = 0.0f;

		while (s->head != s->tail &&
		       s->q[s->head & (QUEUE - 1)].due <= now + i)
			apply_event(s, &s->q[s->head++ & (QUEUE - 1)]);
		for (k = 0; k < VOICES; k++) {
			if (s->v[k].stage != OFF)
				sum += voice_sample(s, &s->v[k]);
		}
		out[i] = sum;
	}
	return 0;
}

/* main thread */
static void parse_args(struct synth *s, struct synth_args *a, int argc,
		       char **argv)
{
	static const struct option longopts[] = {
		SB_COMMON_LONGOPTS,
		{ "connect-midi", 1, NULL, 'm' },
		{ "connect-out", 1, NULL, 'o' },
		{ "latency", 1, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	a->common.name = "sb-fakesynth";
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (sb_common_opt(&a->common, opt, optarg, usage))
			continue;
		if (opt == 'm')
			a->midi = optarg;
		else if (opt == 'o')
			a->out = optarg;
		else if (opt != 'l')
			sb_usage_fail("unknown option", usage);
		else if (sb_parse_long(optarg, 0, 1L << 24, &s->latency))
			sb_usage_fail("--latency: expected frames >= 0", usage);
	}
	if (optind < argc)
		sb_usage_fail("unexpected argument", usage);
	if (!a->midi || !a->out)
		sb_usage_fail("--connect-midi and --connect-out are required",
			      usage);
}

/* main thread: ports, activation, connections */
static int synth_start_jack(struct synth *s, struct synth_args *a, char *err,
			    size_t errlen)
{
	char *targets[SB_MAX_PORTS];
	int n, k, rc;

	n = sb_split_list(a->out, targets, SB_MAX_PORTS);
	if (n < 0) {
		snprintf(err, errlen, "--connect-out: bad port list");
		return n;
	}
	s->midi_in = jack_port_register(s->client, "midi_in",
					JACK_DEFAULT_MIDI_TYPE,
					JackPortIsInput, 0);
	s->out = jack_port_register(s->client, "out", JACK_DEFAULT_AUDIO_TYPE,
				    JackPortIsOutput, 0);
	if (!s->midi_in || !s->out) {
		snprintf(err, errlen, "cannot register ports");
		return -EIO;
	}
	if (jack_set_process_callback(s->client, synth_process, s) ||
	    jack_activate(s->client)) {
		snprintf(err, errlen, "cannot activate JACK client");
		return -EIO;
	}
	rc = sb_connect(s->client, a->midi, jack_port_name(s->midi_in), err,
			errlen);
	for (k = 0; k < n && rc == 0; k++)
		rc = sb_connect(s->client, jack_port_name(s->out), targets[k],
				err, errlen);
	return rc;
}

int main(int argc, char **argv)
{
	static struct synth s;
	struct synth_args a = { 0 };
	char err[512];
	int rc;

	parse_args(&s, &a, argc, argv);
	s.client = sb_open(&a.common, err, sizeof(err));
	if (!s.client)
		goto fail;
	sb_install_signals(s.client);
	s.rate = (double)jack_get_sample_rate(s.client);
	s.attack_step = (float)(1.0 / (ATTACK_S * s.rate));
	s.release_frames = (float)(RELEASE_S * s.rate);
	if (synth_start_jack(&s, &a, err, sizeof(err)))
		goto fail;
	sb_ready();
	while (!sb_quitting())
		sb_sleep_ms(10);
	rc = sb_quitting() == 2 ? SB_EXIT_RUNTIME : SB_EXIT_OK;
	if (atomic_load(&s.dropped))
		fprintf(stderr, "sb-fakesynth: %lu MIDI events dropped\n",
			atomic_load(&s.dropped));
	jack_client_close(s.client);
	return rc;
fail:
	fprintf(stderr, "sb-fakesynth: %s\n", err);
	if (s.client)
		jack_client_close(s.client);
	return SB_EXIT_RUNTIME;
}
