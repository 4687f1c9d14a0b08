/*
 * sb-recorder - test client: records the --connect ports into input ports
 * in_1..in_C and writes a float32 WAV.
 *
 * The process callback only copies interleaved frames into a lock-free ring
 * (jack_ringbuffer); the main thread drains it into libsndfile.  Recorded
 * frame k is absolute JACK frame START + k, where START is --start-frame or,
 * without it, the first cycle that began after the ports were connected (a
 * cycle already under way then may still run the old graph: silence).  If
 * the start frame had already passed when the client could first see it,
 * recording begins late and the recorder exits 1.  Cycles the server
 * skipped (xruns advance JACK's frame time) are filled with silence so that
 * the frame mapping holds for the whole take.
 */
#include "tests/clients/common.h"

#include <errno.h>
#include <getopt.h>
#include <jack/ringbuffer.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ring capacity when the length is open-ended: plenty for a slow disk. */
#define RING_SECONDS 10
#define RING_MAX_FRAMES (1u << 22)
#define MAX_GAPS 4096	/* gap positions reported at the end */

static const char usage[] =
	"usage: sb-recorder [--server NAME] [--name CLIENT] --connect PORT[,PORT..]\n"
	"                   --out F.wav [--frames N] [--start-frame F]\n";

struct recorder {
	jack_client_t *client;
	jack_port_t *in[SB_MAX_PORTS];
	int channels;
	jack_ringbuffer_t *rb;
	uint64_t limit; /* frames to record; 0 = until signalled */
	int have_start;
	uint32_t start_frame;
	/* process thread only */
	struct sb_clock clk;
	int started;
	uint64_t start, taken;
	/* shared */
	atomic_int armed, stop, done;
	uint32_t armed_at;	/* JACK frame when the connections were made */
	atomic_ullong dropped, late, skipped;
	/* where the gaps are (recording frame, length); read after the end */
	uint64_t gap_at[MAX_GAPS], gap_len[MAX_GAPS];
	atomic_int n_gaps;
};

struct recorder_args {
	struct sb_common common;
	const char *out;
	char *connect;
};

/* RT: process thread only - the first cycle that may record fixes START */
static int recorder_start(struct recorder *r, uint64_t now)
{
	if (r->started)
		return 1;
	if (r->have_start) {
		r->start = sb_clock_extend(&r->clk, r->start_frame);
		if (r->start < now) {
			atomic_store(&r->late, now - r->start);
			r->start = now;
		}
	} else if (atomic_load_explicit(&r->armed, memory_order_acquire) &&
		   (int32_t)(r->clk.last - r->armed_at) > 0) {
		r->start = now;
	} else {
		return 0;
	}
	r->started = 1;
	return 1;
}

/* RT: process thread only - push frames [from, to) of this cycle */
static void push_frames(struct recorder *r, jack_nframes_t n,
			jack_nframes_t from, jack_nframes_t to)
{
	size_t frame_bytes = (size_t)r->channels * sizeof(float);
	const float *src[SB_MAX_PORTS];
	float frame[SB_MAX_PORTS];
	jack_nframes_t i;
	int c;

	if (jack_ringbuffer_write_space(r->rb) < (to - from) * frame_bytes) {
		atomic_fetch_add(&r->dropped, to - from);
		return;
	}
	for (c = 0; c < r->channels; c++)
		src[c] = jack_port_get_buffer(r->in[c], n);
	for (i = from; i < to; i++) {
		for (c = 0; c < r->channels; c++)
			frame[c] = src[c][i];
		jack_ringbuffer_write(r->rb, (const char *)frame, frame_bytes);
	}
}

/* RT: process thread only - silence for frames the server never ran */
static void fill_gap(struct recorder *r, uint64_t gap)
{
	size_t frame_bytes = (size_t)r->channels * sizeof(float);
	static const float zero[SB_MAX_PORTS];
	uint64_t i;

	if (r->limit && gap > r->limit - r->taken)
		gap = r->limit - r->taken;
	if (jack_ringbuffer_write_space(r->rb) < gap * frame_bytes)
		atomic_fetch_add(&r->dropped, gap);
	else
		for (i = 0; i < gap; i++)
			jack_ringbuffer_write(r->rb, (const char *)zero,
					      frame_bytes);
	atomic_fetch_add(&r->skipped, gap);
	i = (size_t)atomic_load_explicit(&r->n_gaps, memory_order_relaxed);
	if (i < MAX_GAPS) {
		r->gap_at[i] = r->taken;
		r->gap_len[i] = gap;
		atomic_store_explicit(&r->n_gaps, (int)i + 1,
				      memory_order_release);
	}
	r->taken += gap;
}

/* RT: process thread only */
static int recorder_process(jack_nframes_t n, void *arg)
{
	struct recorder *r = arg;
	uint64_t now = sb_clock_update(&r->clk, r->client, n);
	uint64_t from, to;

	if (atomic_load_explicit(&r->stop, memory_order_acquire) ||
	    atomic_load_explicit(&r->done, memory_order_relaxed) ||
	    !recorder_start(r, now) || now + n <= r->start)
		return 0;
	from = now < r->start ? r->start - now : 0;
	if (now + from > r->start + r->taken)
		fill_gap(r, now + from - (r->start + r->taken));
	if (r->limit && r->taken >= r->limit)
		goto finished;
	to = n;
	if (r->limit && to - from > r->limit - r->taken)
		to = from + (r->limit - r->taken);
	push_frames(r, n, (jack_nframes_t)from, (jack_nframes_t)to);
	r->taken += to - from;
	if (!r->limit || r->taken < r->limit)
		return 0;
finished:
	atomic_store_explicit(&r->done, 1, memory_order_release);
	return 0;
}

/* main thread: move whatever the ring holds into the file */
static int drain(struct recorder *r, SNDFILE *sf)
{
	size_t frame_bytes = (size_t)r->channels * sizeof(float);
	float buf[4096];
	size_t chunk = sizeof(buf) / frame_bytes * frame_bytes;
	size_t avail;

	while ((avail = jack_ringbuffer_read_space(r->rb)) >= frame_bytes) {
		size_t want = avail < chunk ? avail / frame_bytes * frame_bytes
					    : chunk;
		size_t got = jack_ringbuffer_read(r->rb, (char *)buf, want);
		sf_count_t frames = (sf_count_t)(got / frame_bytes);

		if (sf_writef_float(sf, buf, frames) != frames)
			return -EIO;
	}
	return 0;
}

/* main thread: parse one recorder-specific option */
static void recorder_opt(struct recorder *r, struct recorder_args *a, int opt,
			 const char *arg)
{
	long v;

	switch (opt) {
	case 'c':
		a->connect = (char *)arg;
		break;
	case 'o':
		a->out = arg;
		break;
	case 'n':
		if (sb_parse_long(arg, 1, 1L << 40, &v))
			sb_usage_fail("--frames: expected a positive count",
				      usage);
		r->limit = (uint64_t)v;
		break;
	case 's':
		if (sb_parse_frame(arg, &r->start_frame))
			sb_usage_fail("--start-frame: expected a frame number",
				      usage);
		r->have_start = 1;
		break;
	default:
		sb_usage_fail("unknown option", usage);
	}
}

/* main thread */
static void parse_args(struct recorder *r, struct recorder_args *a, int argc,
		       char **argv)
{
	static const struct option longopts[] = {
		SB_COMMON_LONGOPTS,
		{ "connect", 1, NULL, 'c' },
		{ "out", 1, NULL, 'o' },
		{ "frames", 1, NULL, 'n' },
		{ "start-frame", 1, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	a->common.name = "sb-recorder";
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (!sb_common_opt(&a->common, opt, optarg, usage))
			recorder_opt(r, a, opt, optarg);
	}
	if (optind < argc)
		sb_usage_fail("unexpected argument", usage);
	if (!a->connect || !a->out)
		sb_usage_fail("--connect and --out are required", usage);
}

/* main thread: ports, ring sized for the take, activation, connections */
static int recorder_start_jack(struct recorder *r, char **targets, char *err,
			       size_t errlen)
{
	uint64_t ring_frames;
	int c, rc;

	rc = sb_register_ports(r->client, "in", JACK_DEFAULT_AUDIO_TYPE,
			       JackPortIsInput, r->in, r->channels, err, errlen);
	if (rc)
		return rc;
	ring_frames = (uint64_t)jack_get_sample_rate(r->client) * RING_SECONDS;
	if (r->limit && r->limit + 8192 < ring_frames)
		ring_frames = r->limit + 8192;
	if (ring_frames > RING_MAX_FRAMES)
		ring_frames = RING_MAX_FRAMES;
	r->rb = jack_ringbuffer_create(ring_frames * (size_t)r->channels *
				       sizeof(float));
	if (!r->rb) {
		snprintf(err, errlen, "out of memory for the ring");
		return -ENOMEM;
	}
	if (jack_set_process_callback(r->client, recorder_process, r) ||
	    jack_activate(r->client)) {
		snprintf(err, errlen, "cannot activate JACK client");
		return -EIO;
	}
	for (c = 0; c < r->channels; c++) {
		rc = sb_connect(r->client, targets[c], jack_port_name(r->in[c]),
				err, errlen);
		if (rc)
			return rc;
	}
	r->armed_at = jack_frame_time(r->client);
	atomic_store_explicit(&r->armed, 1, memory_order_release);
	return 0;
}

/* main thread: a float32 WAV at the server's rate */
static SNDFILE *open_out(struct recorder *r, const char *path, char *err,
			 size_t errlen)
{
	SF_INFO info;
	SNDFILE *sf;

	memset(&info, 0, sizeof(info));
	info.samplerate = (int)jack_get_sample_rate(r->client);
	info.channels = r->channels;
	info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
	sf = sf_open(path, SFM_WRITE, &info);
	if (!sf)
		snprintf(err, errlen, "%s: %s", path, sf_strerror(NULL));
	return sf;
}

/* main thread: drain until signalled or the take is complete */
static int record_loop(struct recorder *r, SNDFILE *sf, char *err,
		       size_t errlen)
{
	for (;;) {
		int finished = atomic_load(&r->done) || sb_quitting();

		if (finished) {
			atomic_store(&r->stop, 1);
			jack_deactivate(r->client);
		}
		if (drain(r, sf)) {
			snprintf(err, errlen, "write failed: %s", sf_strerror(sf));
			return -EIO;
		}
		if (finished)
			return 0;
		sb_sleep_ms(5);
	}
}

/* main thread: say what went wrong with the take, if anything */
static int report_take(struct recorder *r)
{
	unsigned long long late = atomic_load(&r->late);
	unsigned long long dropped = atomic_load(&r->dropped);
	unsigned long long skipped = atomic_load(&r->skipped);
	int rc = sb_quitting() == 2 ? SB_EXIT_RUNTIME : SB_EXIT_OK;

	if (late) {
		fprintf(stderr, "sb-recorder: start frame %u had passed; "
			"recording began %llu frames late\n",
			r->start_frame, late);
		rc = SB_EXIT_RUNTIME;
	}
	if (skipped)
		fprintf(stderr, "sb-recorder: warning: %llu frames skipped by "
			"the server (xruns), recorded as silence\n", skipped);
	if (r->started)
		fprintf(stderr, "sb-recorder: start frame %llu\n",
			(unsigned long long)r->start);
	for (int i = 0; i < atomic_load(&r->n_gaps); i++)
		fprintf(stderr, "sb-recorder: gap at frame %llu: %llu frames\n",
			(unsigned long long)r->gap_at[i],
			(unsigned long long)r->gap_len[i]);
	if (dropped) {
		fprintf(stderr, "sb-recorder: ring overflow, %llu frames "
			"dropped\n", dropped);
		rc = SB_EXIT_RUNTIME;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static struct recorder r;
	struct recorder_args a = { 0 };
	char *targets[SB_MAX_PORTS];
	char err[512];
	SNDFILE *sf = NULL;
	int rc = SB_EXIT_RUNTIME;

	parse_args(&r, &a, argc, argv);
	r.channels = sb_split_list(a.connect, targets, SB_MAX_PORTS);
	if (r.channels < 0)
		sb_usage_fail("--connect: bad port list", usage);
	r.client = sb_open(&a.common, err, sizeof(err));
	if (!r.client)
		goto fail;
	sb_install_signals(r.client);
	sf = open_out(&r, a.out, err, sizeof(err));
	if (!sf || recorder_start_jack(&r, targets, err, sizeof(err)))
		goto fail;
	sb_ready();
	if (record_loop(&r, sf, err, sizeof(err)))
		goto fail;
	rc = report_take(&r);
	sf_close(sf);
	jack_client_close(r.client);
	jack_ringbuffer_free(r.rb);
	return rc;
fail:
	fprintf(stderr, "sb-recorder: %s\n", err);
	if (sf)
		sf_close(sf);
	if (r.client)
		jack_client_close(r.client);
	if (r.rb)
		jack_ringbuffer_free(r.rb);
	return rc;
}
