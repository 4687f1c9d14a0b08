/*
 * alsa-seq-stub.c - LD_PRELOAD stub of the ALSA sequencer for the looper
 * benchmark.  SooperLooper opens the ALSA sequencer for its MIDI bridge and
 * asserts when /dev/snd/seq is missing (containers, CI).  This stub gives it
 * a sequencer that never delivers an event, so its audio engine can run and
 * be measured.  Built by tests/bench/looper-bench.js; never used by Stagebox.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <unistd.h>

/* Opaque in ALSA; the stub never looks inside. */
typedef struct stub_seq snd_seq_t;
typedef struct stub_event snd_seq_event_t;

static int idle_pipe[2] = { -1, -1 };
static char handle_storage;

/* any thread */
int snd_seq_open(snd_seq_t **handle, const char *name, int streams, int mode)
{
	(void)name;
	(void)streams;
	(void)mode;
	if (idle_pipe[0] < 0 && pipe(idle_pipe) != 0)
		return -errno;
	*handle = (snd_seq_t *)&handle_storage;
	return 0;
}

/* any thread */
int snd_seq_close(snd_seq_t *handle)
{
	(void)handle;
	return 0;
}

/* any thread */
int snd_seq_set_client_name(snd_seq_t *seq, const char *name)
{
	(void)seq;
	(void)name;
	return 0;
}

/* any thread */
int snd_seq_create_simple_port(snd_seq_t *seq, const char *name,
			       unsigned int caps, unsigned int type)
{
	(void)seq;
	(void)name;
	(void)caps;
	(void)type;
	return 0;
}

/* any thread: one descriptor that never becomes readable */
int snd_seq_poll_descriptors_count(snd_seq_t *handle, short events)
{
	(void)handle;
	(void)events;
	return 1;
}

/* any thread */
int snd_seq_poll_descriptors(snd_seq_t *handle, struct pollfd *pfds,
			     unsigned int space, short events)
{
	(void)handle;
	if (space < 1)
		return 0;
	pfds[0].fd = idle_pipe[0];
	pfds[0].events = events ? events : POLLIN;
	pfds[0].revents = 0;
	return 1;
}

/* any thread */
int snd_seq_event_input(snd_seq_t *handle, snd_seq_event_t **ev)
{
	(void)handle;
	*ev = NULL;
	return -EAGAIN;
}

/* any thread */
int snd_seq_event_output(snd_seq_t *handle, snd_seq_event_t *ev)
{
	(void)handle;
	(void)ev;
	return 0;
}

/* any thread */
int snd_seq_drain_output(snd_seq_t *handle)
{
	(void)handle;
	return 0;
}
