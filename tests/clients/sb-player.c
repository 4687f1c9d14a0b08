/*
 * sb-player - test client: plays a WAV (preloaded whole, so the process
 * callback only copies) or a sine to output ports out_1..out_C.
 *
 * File sample k sounds at absolute JACK frame START + k, where START is
 * --start-frame or, without it, the first cycle after the ports are
 * connected.  Without --loop the player prints "done" once the file has been
 * played out and keeps running (silent) until signalled.
 */
#include "tests/clients/common.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: sb-player [--server NAME] [--name CLIENT] --connect PORT[,PORT..]\n"
	"                 (--file F.wav [--loop] | --tone HZ [--amp A])\n"
	"                 [--start-frame N]\n";

struct player {
	jack_client_t *client;
	jack_port_t *out[SB_MAX_PORTS];
	int channels;
	float *data; /* interleaved, frames * channels; NULL in tone mode */
	uint64_t frames;
	int loop;
	int file_rate;
	double tone_hz, amp, phase, step;
	int have_start;
	uint32_t start_frame;
	/* process thread only */
	struct sb_clock clk;
	int started;
	uint64_t start;
	/* shared */
	atomic_int armed;
	atomic_int finished;
};

struct player_args {
	struct sb_common common;
	const char *file;
	char *connect;
};

/* RT: process thread only - one channel-interleaved frame of the file */
static void render_file(struct player *p, float **buf, jack_nframes_t i,
			uint64_t pos)
{
	const float *src;
	int c;

	if (p->loop)
		pos %= p->frames;
	if (pos >= p->frames) {
		for (c = 0; c < p->channels; c++)
			buf[c][i] = 0.0f;
		return;
	}
	src = p->data + pos * (uint64_t)p->channels;
	for (c = 0; c < p->channels; c++)
		buf[c][i] = src[c];
}

/* RT: process thread only */
static void render_tone(struct player *p, float *buf, jack_nframes_t i)
{
	buf[i] = (float)(p->amp * sin(p->phase));
	p->phase += p->step;
	if (p->phase >= 2.0 * M_PI)
		p->phase -= 2.0 * M_PI;
}

/* RT: process thread only - decide the start frame on the first armed cycle */
static int player_start(struct player *p, uint64_t now)
{
	if (p->started)
		return 1;
	if (p->have_start)
		p->start = sb_clock_extend(&p->clk, p->start_frame);
	else if (atomic_load_explicit(&p->armed, memory_order_acquire))
		p->start = now;
	else
		return 0;
	p->started = 1;
	return 1;
}

/* RT: process thread only */
static int player_process(jack_nframes_t n, void *arg)
{
	struct player *p = arg;
	uint64_t now = sb_clock_update(&p->clk, p->client, n);
	float *buf[SB_MAX_PORTS];
	jack_nframes_t i;
	int c, on = player_start(p, now);

	for (c = 0; c < p->channels; c++) {
		buf[c] = jack_port_get_buffer(p->out[c], n);
		memset(buf[c], 0, n * sizeof(float));
	}
	if (!on || now + n <= p->start)
		return 0;
	for (i = now < p->start ? (jack_nframes_t)(p->start - now) : 0; i < n;
	     i++) {
		if (p->data)
			render_file(p, buf, i, now + i - p->start);
		else
			render_tone(p, buf[0], i);
	}
	if (p->data && !p->loop && now + n - p->start >= p->frames)
		atomic_store_explicit(&p->finished, 1, memory_order_release);
	return 0;
}

/* main thread: read the whole file as interleaved float */
static int load_file(struct player *p, const char *path, char *err,
		     size_t errlen)
{
	SF_INFO info;
	SNDFILE *sf;
	sf_count_t got;

	memset(&info, 0, sizeof(info));
	sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		snprintf(err, errlen, "%s: %s", path, sf_strerror(NULL));
		return -EIO;
	}
	if (info.channels < 1 || info.channels > SB_MAX_PORTS ||
	    info.frames < 1) {
		snprintf(err, errlen, "%s: unsupported (%d channels, %lld frames)",
			 path, info.channels, (long long)info.frames);
		goto close_sf;
	}
	p->data = malloc((size_t)info.frames * (size_t)info.channels *
			 sizeof(float));
	if (!p->data) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto close_sf;
	}
	got = sf_readf_float(sf, p->data, info.frames);
	p->frames = got > 0 ? (uint64_t)got : 0;
	p->channels = info.channels;
	p->file_rate = info.samplerate;
	sf_close(sf);
	if (p->frames == 0) {
		snprintf(err, errlen, "%s: no audio frames", path);
		return -EIO;
	}
	return 0;
close_sf:
	sf_close(sf);
	return -EINVAL;
}

/* main thread: parse one player-specific option */
static void player_opt(struct player *p, struct player_args *a, int opt,
		       const char *arg)
{
	switch (opt) {
	case 'f':
		a->file = arg;
		break;
	case 'c':
		a->connect = (char *)arg;
		break;
	case 'l':
		p->loop = 1;
		break;
	case 't':
		if (sb_parse_double(arg, 1.0, 100000.0, &p->tone_hz))
			sb_usage_fail("--tone: expected a frequency in Hz", usage);
		break;
	case 'a':
		if (sb_parse_double(arg, 0.0, 1.0, &p->amp))
			sb_usage_fail("--amp: expected a number in 0..1", usage);
		break;
	case 's':
		if (sb_parse_frame(arg, &p->start_frame))
			sb_usage_fail("--start-frame: expected a frame number",
				      usage);
		p->have_start = 1;
		break;
	default:
		sb_usage_fail("unknown option", usage);
	}
}

/* main thread */
static void parse_args(struct player *p, struct player_args *a, int argc,
		       char **argv)
{
	static const struct option longopts[] = {
		SB_COMMON_LONGOPTS,
		{ "file", 1, NULL, 'f' },
		{ "connect", 1, NULL, 'c' },
		{ "loop", 0, NULL, 'l' },
		{ "tone", 1, NULL, 't' },
		{ "amp", 1, NULL, 'a' },
		{ "start-frame", 1, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	a->common.name = "sb-player";
	p->amp = 0.5;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (!sb_common_opt(&a->common, opt, optarg, usage))
			player_opt(p, a, opt, optarg);
	}
	if (optind < argc)
		sb_usage_fail("unexpected argument", usage);
	if (!a->connect)
		sb_usage_fail("--connect is required", usage);
	if (!a->file == !(p->tone_hz > 0.0))
		sb_usage_fail("give exactly one of --file and --tone", usage);
}

/* main thread: out_(k % C) -> target (k % T), so mono feeds every target */
static int connect_all(struct player *p, char *list, char *err, size_t errlen)
{
	char *targets[SB_MAX_PORTS];
	int n = sb_split_list(list, targets, SB_MAX_PORTS);
	int k, total;

	if (n < 0) {
		snprintf(err, errlen, "--connect: bad port list");
		return n;
	}
	total = n > p->channels ? n : p->channels;
	for (k = 0; k < total; k++) {
		const char *src = jack_port_name(p->out[k % p->channels]);
		int rc = sb_connect(p->client, src, targets[k % n], err, errlen);

		if (rc)
			return rc;
	}
	return 0;
}

/* main thread: open, register, activate, connect */
static int player_start_jack(struct player *p, struct player_args *a,
			     char *err, size_t errlen)
{
	jack_nframes_t rate;
	int rc;

	p->client = sb_open(&a->common, err, errlen);
	if (!p->client)
		return -EIO;
	sb_install_signals(p->client);
	rate = jack_get_sample_rate(p->client);
	p->step = 2.0 * M_PI * p->tone_hz / (double)rate;
	if (p->data && (jack_nframes_t)p->file_rate != rate)
		fprintf(stderr, "sb-player: warning: file is %d Hz, JACK runs "
			"at %u Hz (no resampling)\n", p->file_rate, rate);
	rc = sb_register_ports(p->client, "out", JACK_DEFAULT_AUDIO_TYPE,
			       JackPortIsOutput, p->out, p->channels, err,
			       errlen);
	if (rc)
		return rc;
	if (jack_set_process_callback(p->client, player_process, p) ||
	    jack_activate(p->client)) {
		snprintf(err, errlen, "cannot activate JACK client");
		return -EIO;
	}
	rc = connect_all(p, a->connect, err, errlen);
	if (rc)
		return rc;
	atomic_store_explicit(&p->armed, 1, memory_order_release);
	return 0;
}

int main(int argc, char **argv)
{
	static struct player p;
	struct player_args a = { 0 };
	char err[512];
	int rc, said_done = 0;

	parse_args(&p, &a, argc, argv);
	p.channels = 1;
	if (a.file && load_file(&p, a.file, err, sizeof(err)))
		goto fail;
	if (player_start_jack(&p, &a, err, sizeof(err)))
		goto fail;
	sb_ready();
	while (!sb_quitting()) {
		if (!said_done && atomic_load(&p.finished)) {
			puts("done");
			fflush(stdout);
			said_done = 1;
		}
		sb_sleep_ms(10);
	}
	rc = sb_quitting() == 2 ? SB_EXIT_RUNTIME : SB_EXIT_OK;
	if (rc == SB_EXIT_OK)
		jack_client_close(p.client);
	free(p.data);
	return rc;
fail:
	fprintf(stderr, "sb-player: %s\n", err);
	if (p.client)
		jack_client_close(p.client);
	free(p.data);
	return SB_EXIT_RUNTIME;
}
