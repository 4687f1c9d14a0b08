/*
 * sb-midisend - test client: sends MIDI notes and CCs from output port
 * "out" at given absolute JACK frames, and optionally logs what arrives on
 * input port "in" (to check another client's MIDI output frame by frame).
 *
 * Events come as text lines, from --event arguments, from stdin and from a
 * --commands file that is followed like `tail -f` (the test appends lines):
 *     [@FRAME] note NOTE VELOCITY [CHANNEL]    note-on (velocity 0 = off)
 *     [@FRAME] off NOTE [CHANNEL]              note-off
 *     [@FRAME] cc NUMBER VALUE [CHANNEL]       control change
 * CHANNEL is 1..16 (default 1).  Without @FRAME an event goes out in the
 * next cycle; an event whose frame has passed goes out at the start of the
 * next cycle.  Every event sent is reported on stdout as
 * "sent FRAME B0 B1 B2" (absolute frame, hex bytes); every event received
 * on "in" as "recv FRAME B0 [B1 [B2]]".  The process thread only moves
 * fixed-size records through lock-free rings; the main thread parses and
 * prints.
 */
#include "tests/clients/common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PENDING_MAX 256
#define RING_EVENTS 1024
#define LINE_MAX_LEN 256
#define EVENTS_MAX 64

static const char usage[] =
	"usage: sb-midisend [--server NAME] [--name CLIENT] --connect PORT[,PORT..]\n"
	"                   [--listen PORT] [--commands FILE] [--event SPEC]...\n"
	"  SPEC / line: [@FRAME] note N VEL [CH] | off N [CH] | cc NUM VAL [CH]\n";

/* One MIDI event with its absolute frame; also the report record. */
struct midi_rec {
	uint64_t frame;		/* absolute frame; UINT64_MAX = as soon as possible */
	uint32_t len;
	uint8_t bytes[4];
};

struct sender {
	jack_client_t *client;
	jack_port_t *out, *in;
	jack_ringbuffer_t *to_rt, *sent, *recv;
	/* process thread only */
	struct sb_clock clk;
	struct midi_rec pending[PENDING_MAX];
	int n_pending;
};

struct sender_args {
	struct sb_common common;
	char *connect;
	const char *listen;
	const char *commands;
	const char *events[EVENTS_MAX];
	int n_events;
};

/* RT: process thread only - move new requests from the ring into pending */
static void take_requests(struct sender *s)
{
	struct midi_rec r;

	while (s->n_pending < PENDING_MAX &&
	       jack_ringbuffer_read_space(s->to_rt) >= sizeof(r)) {
		jack_ringbuffer_read(s->to_rt, (char *)&r, sizeof(r));
		s->pending[s->n_pending++] = r;
	}
}

/* RT: process thread only - report one record to the main thread */
static void report(jack_ringbuffer_t *rb, const struct midi_rec *r)
{
	if (jack_ringbuffer_write_space(rb) >= sizeof(*r))
		jack_ringbuffer_write(rb, (const char *)r, sizeof(*r));
}

/*
 * RT: process thread only - write every event due in this cycle.  JACK wants
 * events in time order, so the earliest due event goes first each round.
 */
static void send_due(struct sender *s, void *buf, uint64_t now,
		     jack_nframes_t n)
{
	for (;;) {
		int i, best = -1;
		uint64_t off;

		for (i = 0; i < s->n_pending; i++) {
			uint64_t f = s->pending[i].frame;

			if (f != UINT64_MAX && f >= now + n)
				continue;
			if (best < 0 || f < s->pending[best].frame)
				best = i;
		}
		if (best < 0)
			return;
		off = s->pending[best].frame;
		off = (off == UINT64_MAX || off < now) ? 0 : off - now;
		s->pending[best].frame = now + off;
		if (jack_midi_event_write(buf, (jack_nframes_t)off,
					  s->pending[best].bytes,
					  s->pending[best].len) == 0)
			report(s->sent, &s->pending[best]);
		s->pending[best] = s->pending[--s->n_pending];
	}
}

/* RT: process thread only - log what arrives on "in" */
static void listen_in(struct sender *s, uint64_t now, jack_nframes_t n)
{
	void *buf = jack_port_get_buffer(s->in, n);
	uint32_t i, count = jack_midi_get_event_count(buf);

	for (i = 0; i < count; i++) {
		jack_midi_event_t ev;
		struct midi_rec r = { 0 };

		if (jack_midi_event_get(&ev, buf, i))
			continue;
		r.frame = now + ev.time;
		r.len = ev.size < 4 ? (uint32_t)ev.size : 4;
		memcpy(r.bytes, ev.buffer, r.len);
		report(s->recv, &r);
	}
}

/* RT: process thread only */
static int sender_process(jack_nframes_t n, void *arg)
{
	struct sender *s = arg;
	uint64_t now = sb_clock_update(&s->clk, s->client, n);
	void *buf = jack_port_get_buffer(s->out, n);

	jack_midi_clear_buffer(buf);
	take_requests(s);
	send_due(s, buf, now, n);
	if (s->in)
		listen_in(s, now, n);
	return 0;
}

/* main thread: parse "N [N [N]]" numbers after the verb */
static int parse_nums(char **tok, int ntok, long *v, int need, int max)
{
	int i;

	if (ntok < need || ntok > max)
		return -EINVAL;
	for (i = 0; i < ntok; i++)
		if (sb_parse_long(tok[i], 0, 127, &v[i]))
			return -EINVAL;
	return 0;
}

/* main thread: build the bytes of one verb */
static int parse_verb(const char *verb, char **tok, int ntok,
		      struct midi_rec *r)
{
	long v[3] = { 0, 0, 1 };
	uint8_t status;

	if (!strcmp(verb, "note") && !parse_nums(tok, ntok, v, 2, 3))
		status = 0x90;
	else if (!strcmp(verb, "cc") && !parse_nums(tok, ntok, v, 2, 3))
		status = 0xb0;
	else if (!strcmp(verb, "off") && !parse_nums(tok, ntok, v, 1, 2)) {
		status = 0x80;
		v[2] = ntok == 2 ? v[1] : 1;
		v[1] = 0;
	} else {
		return -EINVAL;
	}
	if (v[2] < 1 || v[2] > 16)
		return -EINVAL;
	r->len = 3;
	r->bytes[0] = (uint8_t)(status | (v[2] - 1));
	r->bytes[1] = (uint8_t)v[0];
	r->bytes[2] = (uint8_t)v[1];
	return 0;
}

/* main thread: one text line -> one event record */
static int parse_line(char *line, struct midi_rec *r)
{
	char *tok[8], *save = NULL, *t;
	int n = 0;
	long frame;

	for (t = strtok_r(line, " \t\r\n", &save); t && n < 8;
	     t = strtok_r(NULL, " \t\r\n", &save))
		tok[n++] = t;
	if (n == 0)
		return 1;	/* blank line: nothing to send */
	r->frame = UINT64_MAX;
	if (tok[0][0] == '@') {
		if (sb_parse_long(tok[0] + 1, 0, (1L << 62), &frame) || n < 2)
			return -EINVAL;
		r->frame = (uint64_t)frame;
		return parse_verb(tok[1], tok + 2, n - 2, r);
	}
	return parse_verb(tok[0], tok + 1, n - 1, r);
}

/* main thread: queue one line for the process thread */
static void queue_line(struct sender *s, char *line)
{
	struct midi_rec r = { 0 };
	int rc = parse_line(line, &r);

	if (rc > 0)
		return;
	if (rc < 0) {
		fprintf(stderr, "sb-midisend: bad event line\n");
		return;
	}
	while (jack_ringbuffer_write_space(s->to_rt) < sizeof(r) &&
	       !sb_quitting())
		sb_sleep_ms(1);
	jack_ringbuffer_write(s->to_rt, (const char *)&r, sizeof(r));
}

/* A line source: stdin or the followed commands file. */
struct source {
	int fd;
	char buf[LINE_MAX_LEN];
	size_t len;
	int eof_ends;	/* stdin: stop at EOF; a followed file: keep polling */
};

/* main thread: read what is there and queue complete lines */
static void source_pump(struct sender *s, struct source *src)
{
	ssize_t got;
	char *nl;

	if (src->fd < 0)
		return;
	got = read(src->fd, src->buf + src->len, sizeof(src->buf) - 1 - src->len);
	if (got <= 0) {
		if (got == 0 && src->eof_ends)
			src->fd = -1;
		return;
	}
	src->len += (size_t)got;
	src->buf[src->len] = '\0';
	while ((nl = strchr(src->buf, '\n'))) {
		*nl = '\0';
		queue_line(s, src->buf);
		src->len -= (size_t)(nl + 1 - src->buf);
		memmove(src->buf, nl + 1, src->len + 1);
	}
	if (src->len == sizeof(src->buf) - 1)
		src->len = 0;	/* an overlong line: drop it */
}

/* main thread: print what the process thread reported */
static void print_reports(jack_ringbuffer_t *rb, const char *what)
{
	struct midi_rec r;
	uint32_t i;

	while (jack_ringbuffer_read_space(rb) >= sizeof(r)) {
		jack_ringbuffer_read(rb, (char *)&r, sizeof(r));
		printf("%s %llu", what, (unsigned long long)r.frame);
		for (i = 0; i < r.len; i++)
			printf(" %02x", r.bytes[i]);
		putchar('\n');
	}
	fflush(stdout);
}

/* main thread */
static void parse_args(struct sender_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		SB_COMMON_LONGOPTS,
		{ "connect", 1, NULL, 'c' },
		{ "listen", 1, NULL, 'l' },
		{ "commands", 1, NULL, 'f' },
		{ "event", 1, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	a->common.name = "sb-midisend";
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (sb_common_opt(&a->common, opt, optarg, usage))
			continue;
		if (opt == 'c')
			a->connect = optarg;
		else if (opt == 'l')
			a->listen = optarg;
		else if (opt == 'f')
			a->commands = optarg;
		else if (opt == 'e' && a->n_events < EVENTS_MAX)
			a->events[a->n_events++] = optarg;
		else
			sb_usage_fail("unknown option or too many --event", usage);
	}
	if (optind < argc)
		sb_usage_fail("unexpected argument", usage);
	if (!a->connect && !a->listen)
		sb_usage_fail("--connect or --listen is required", usage);
}

/* main thread: ports, rings, activation, connections */
static int sender_start(struct sender *s, struct sender_args *a, char *err,
			size_t errlen)
{
	char *targets[SB_MAX_PORTS];
	int i, n = 0, rc;

	if (a->connect && (n = sb_split_list(a->connect, targets,
					     SB_MAX_PORTS)) < 0) {
		snprintf(err, errlen, "--connect: bad port list");
		return -EINVAL;
	}
	s->out = jack_port_register(s->client, "out", JACK_DEFAULT_MIDI_TYPE,
				    JackPortIsOutput, 0);
	if (a->listen)
		s->in = jack_port_register(s->client, "in",
					   JACK_DEFAULT_MIDI_TYPE,
					   JackPortIsInput, 0);
	s->to_rt = jack_ringbuffer_create(RING_EVENTS * sizeof(struct midi_rec));
	s->sent = jack_ringbuffer_create(RING_EVENTS * sizeof(struct midi_rec));
	s->recv = jack_ringbuffer_create(8 * RING_EVENTS * sizeof(struct midi_rec));
	if (!s->out || (a->listen && !s->in) || !s->to_rt || !s->sent ||
	    !s->recv) {
		snprintf(err, errlen, "cannot register ports or rings");
		return -EIO;
	}
	if (jack_set_process_callback(s->client, sender_process, s) ||
	    jack_activate(s->client)) {
		snprintf(err, errlen, "cannot activate JACK client");
		return -EIO;
	}
	for (i = 0; i < n; i++) {
		rc = sb_connect(s->client, jack_port_name(s->out), targets[i],
				err, errlen);
		if (rc)
			return rc;
	}
	if (a->listen)
		return sb_connect(s->client, a->listen, jack_port_name(s->in),
				  err, errlen);
	return 0;
}

/* main thread: pump the sources and print reports until told to quit */
static void run(struct sender *s, struct source *src, int nsrc)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	int i;

	while (!sb_quitting()) {
		if (src[0].fd >= 0)
			poll(&pfd, 1, 2);
		else
			sb_sleep_ms(2);
		for (i = 0; i < nsrc; i++)
			if (i > 0 || (pfd.revents & (POLLIN | POLLHUP)))
				source_pump(s, &src[i]);
		print_reports(s->sent, "sent");
		print_reports(s->recv, "recv");
	}
	sb_sleep_ms(20);
	print_reports(s->sent, "sent");
	print_reports(s->recv, "recv");
}

int main(int argc, char **argv)
{
	static struct sender s;
	static struct source src[2];
	struct sender_args a = { 0 };
	char err[512], line[LINE_MAX_LEN];
	int i, rc = SB_EXIT_RUNTIME;

	parse_args(&a, argc, argv);
	src[0].fd = STDIN_FILENO;
	src[0].eof_ends = 1;
	src[1].fd = -1;
	if (a.commands) {
		src[1].fd = open(a.commands, O_RDONLY | O_CREAT, 0644);
		if (src[1].fd < 0)
			sb_usage_fail("--commands: cannot open the file", usage);
	}
	s.client = sb_open(&a.common, err, sizeof(err));
	if (!s.client)
		goto fail;
	sb_install_signals(s.client);
	if (sender_start(&s, &a, err, sizeof(err)))
		goto fail;
	for (i = 0; i < a.n_events; i++) {
		snprintf(line, sizeof(line), "%s", a.events[i]);
		queue_line(&s, line);
	}
	sb_ready();
	run(&s, src, 2);
	rc = sb_quitting() == 2 ? SB_EXIT_RUNTIME : SB_EXIT_OK;
	jack_client_close(s.client);
	return rc;
fail:
	fprintf(stderr, "sb-midisend: %s\n", err);
	if (s.client)
		jack_client_close(s.client);
	return rc;
}
