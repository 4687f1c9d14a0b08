/*
 * engine.c - JACK client set-up and tear-down, and the process callback.
 *
 * The top half of this file runs on the main thread and may allocate; the
 * part between "process thread" markers runs inside the JACK callback and
 * uses only what the top half prepared.
 */
#include "rt/core/engine.h"
#include "rt/core/routing.h"

#include <errno.h>
#include <jack/midiport.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* dsp_load_peak halves every second: a spike stays readable for a while. */
#define LOAD_PEAK_HALF_LIFE_S 1.0f
/* How long a dying predecessor may keep the arena or the JACK client
 * name: 40 x 50 ms. */
#define CLAIM_RETRIES 40
#define CLAIM_RETRY_NS 50000000L

/* ---------------------------------------------------------------------- */
/* process thread                                                          */
/* ---------------------------------------------------------------------- */

/* RT: process thread only (and the main thread before activation). */
static void emit(void *arg, const struct sb_msg *m)
{
	struct sb_engine *e = arg;

	if (sb_ring_push(e->evt, m))
		e->st.evt_dropped++;
}

static void emit_ack(struct sb_engine *e, uint32_t id, int32_t status)
{
	struct sb_msg r = { .type = SB_EVT_ACK, .id = id };

	r.u.ack.status = status;
	emit(e, &r);
}

/*
 * The engine's clock is JACK's: engine frame = JACK frame - origin, never
 * an accumulated count, so no xrun can move the beat grid.  A cycle whose
 * JACK frame is ahead of where the engine stands is missed time, but a
 * late callback can read the NEXT cycle's frame time once and the right
 * one the cycle after: a lead is trusted only when the next cycle shows
 * it again, and then the engine jumps over it (the missed span is silence
 * and the transport skips it).  A late read so costs one xrun and no time.
 * Returns the frames jumped.
 */
static uint32_t follow_jack_time(struct sb_engine *e)
{
	uint32_t lft = jack_last_frame_time(e->client);
	struct sb_msg x = { .type = SB_EVT_XRUN };
	int64_t lead, jump;

	if (!e->have_prev) {
		e->have_prev = 1;
		e->jack_frame = e->origin = lft;
		e->prev_lft = lft;
		return 0;	/* the first cycle is the origin, not an xrun */
	}
	e->jack_frame += (uint64_t)(int64_t)(int32_t)(lft - e->prev_lft);
	e->prev_lft = lft;
	lead = (int64_t)(e->jack_frame - e->origin - e->st.frames);
	if (lead <= 0) {
		/* back in step (a late read resolved) or, rarely, behind */
		if (e->pending_gap)
			goto xrun;
		return 0;
	}
	if (!e->pending_gap) {
		e->pending_gap = lead;	/* seen once: wait for the next cycle */
		return 0;
	}
	jump = lead < e->pending_gap ? lead : e->pending_gap;
	e->st.missed_frames += (uint64_t)jump;
	e->st.frames += (uint64_t)jump;
	x.u.xrun.missed = (uint64_t)jump;
	e->pending_gap = lead - jump;
	e->st.xruns++;
	x.u.xrun.at_frame = e->st.frames;
	emit(e, &x);
	return (uint32_t)jump;
xrun:
	e->pending_gap = 0;
	e->st.xruns++;
	x.u.xrun.at_frame = e->st.frames;
	emit(e, &x);
	return 0;
}

/* Single writer: plain load + store, no read-modify-write needed. */
static void timing_add(_Atomic uint64_t *v, uint64_t d)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed)
			      + d, memory_order_relaxed);
}

static void timing_reset(struct sb_timing *t)
{
	atomic_store_explicit(&t->count, 0, memory_order_relaxed);
	atomic_store_explicit(&t->max_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&t->sum_ns, 0, memory_order_relaxed);
	for (uint32_t i = 0; i < SB_TIMING_BUCKETS; i++)
		atomic_store_explicit(&t->bucket[i], 0, memory_order_relaxed);
}

static void timing_record(struct sb_timing *t, uint64_t ns)
{
	uint64_t b = ns / 1000u;
	_Atomic uint32_t *slot;

	if (b >= SB_TIMING_BUCKETS)
		b = SB_TIMING_BUCKETS - 1;	/* overflow bucket */
	slot = &t->bucket[b];
	atomic_store_explicit(slot, atomic_load_explicit(slot,
				memory_order_relaxed) + 1, memory_order_relaxed);
	timing_add(&t->sum_ns, ns);
	if (ns > atomic_load_explicit(&t->max_ns, memory_order_relaxed))
		atomic_store_explicit(&t->max_ns, ns, memory_order_relaxed);
	timing_add(&t->count, 1);
}

static void handle_cmd(struct sb_engine *e, const struct sb_msg *m)
{
	struct sb_msg r = { .type = SB_EVT_PONG, .id = m->id };

	switch (m->type) {
	case SB_CMD_PING:
		r.u.ping.t_sent_ns = m->u.ping.t_sent_ns;
		r.u.ping.engine_frame = e->st.frames;
		emit(e, &r);
		return;
	case SB_CMD_TIMING_RESET:
		timing_reset(e->timing);
		emit_ack(e, m->id, 0);
		return;
	case SB_CMD_TRANSPORT_TEMPO:
	case SB_CMD_TRANSPORT_METER:
	case SB_CMD_TRANSPORT_START:
	case SB_CMD_TRANSPORT_STOP:
		emit_ack(e, m->id, sb_transport_cmd(&e->tr, m));
		return;
	default:
		if (sb_subsys_dispatch(m))
			emit_ack(e, m->id, -ENOSYS);
	}
}

/* A bounded drain keeps a command flood from costing us the deadline. */
static void drain_commands(struct sb_engine *e)
{
	struct sb_msg m;

	for (int n = 0; n < SB_ENGINE_CMDS_PER_CYCLE; n++) {
		if (sb_ring_pop(e->cmd, &m))
			return;
		e->st.cmd_count++;
		handle_cmd(e, &m);
	}
}

static float *audio_buf(jack_port_t *p, jack_nframes_t nframes)
{
	return jack_port_get_buffer(p, nframes);
}

/* Silence first, so subsystems add into the outputs. */
static void run_block(struct sb_engine *e, jack_nframes_t nframes)
{
	struct sb_block b = {
		.nframes = nframes,
		.n_inputs = e->ctx.n_inputs,
		.frame = e->st.frames,
		.out_l = audio_buf(e->out_l, nframes),
		.out_r = audio_buf(e->out_r, nframes),
		.click = audio_buf(e->click, nframes),
		.midi_in = jack_port_get_buffer(e->midi_in, nframes),
		.midi_out = jack_port_get_buffer(e->midi_out, nframes),
		.beats = &e->beats,
	};

	for (uint32_t i = 0; i < b.n_inputs; i++)
		b.in[i] = audio_buf(e->in[i], nframes);
	memset(b.out_l, 0, nframes * sizeof(float));
	memset(b.out_r, 0, nframes * sizeof(float));
	memset(b.click, 0, nframes * sizeof(float));
	jack_midi_clear_buffer(b.midi_out);
	sb_subsys_process_all(&b);
}

static void publish_status(struct sb_engine *e, jack_nframes_t nframes,
			   uint64_t cost_ns)
{
	struct sb_status *st = &e->st;
	double period_ns = (double)nframes * 1e9 / (double)st->sample_rate;

	if (nframes != e->load_gain_frames) {
		e->load_gain_frames = nframes;
		e->load_gain = exp2f(-(float)nframes / (float)st->sample_rate /
				     LOAD_PEAK_HALF_LIFE_S);
	}
	st->frames += nframes;
	st->jack_frame = e->jack_frame;
	st->cycles++;
	st->period = nframes;
	st->dsp_load = (float)((double)cost_ns / period_ns);
	st->dsp_load_peak = fmaxf(st->dsp_load,
				  st->dsp_load_peak * e->load_gain);
	sb_subsys_report_all(st);
	sb_status_publish(&e->arena, st);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/*
 * The transport part of the looper snapshot comes from here, the rest
 * from the subsystems (click, looper).  pos is the transport frame at the
 * end of the block, as st.frames is the engine frame there.
 */
static void publish_looper(struct sb_engine *e)
{
	const struct sb_transport *t = &e->tr;
	struct sb_looper_status *ls = &e->ls;
	int64_t beat = t->running ? t->next_beat - 1 : -1;

	ls->running = t->running;
	ls->bpm = t->bpm;
	ls->beats_per_bar = (int32_t)t->beats_per_bar;
	ls->beat = beat;
	ls->bar = beat < 0 ? -1 : floor_div(beat - t->bar_anchor,
					    t->beats_per_bar);
	ls->pos = t->pos;
	ls->n_columns = e->arena.hdr->geom.n_columns;
	ls->n_tracks = e->arena.hdr->geom.n_tracks;
	sb_subsys_report_looper_all(ls);
	sb_looper_publish(&e->arena, ls);
}

/* RT: the JACK process callback. */
static int process(jack_nframes_t nframes, void *arg)
{
	struct sb_engine *e = arg;
	uint64_t t0 = sb_now_ns(), t1;
	uint32_t missed = follow_jack_time(e);

	drain_commands(e);
	sb_transport_cycle(&e->tr, nframes, missed, &e->beats);
	run_block(e, nframes);
	publish_looper(e);
	publish_status(e, nframes, sb_now_ns() - t0);
	t1 = sb_now_ns();
	atomic_store_explicit(&e->arena.hdr->engine_heartbeat_ns, t1,
			      memory_order_release);
	timing_record(e->timing, t1 - t0);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* main thread                                                             */
/* ---------------------------------------------------------------------- */

/* Runs on a JACK thread when jackd goes away; only raise the flag. */
static void on_jack_shutdown(void *arg)
{
	struct sb_engine *e = arg;

	atomic_store(&e->jack_gone, 1);
}

static int open_client(struct sb_engine *e, const struct sb_config *c,
		       char *err, size_t errlen)
{
	jack_options_t opt = JackNoStartServer | JackUseExactName;
	const char *server = c->jack.server[0] ? c->jack.server : NULL;
	const struct timespec pause = { 0, CLAIM_RETRY_NS };
	jack_status_t status = 0;

	if (server)
		opt |= JackServerName;
	for (int i = 0;; i++) {
		e->client = jack_client_open(c->engine.client_name, opt,
					     &status, server);
		if (e->client)
			return 0;
		/* A reachable server that refuses may still hold our killed
		 * predecessor's name; an unreachable one will not come back. */
		if (!(status & JackServerError) || i >= CLAIM_RETRIES)
			break;
		nanosleep(&pause, NULL);
	}
	if (status & (JackNameNotUnique | JackServerError))
		snprintf(err, errlen, "JACK server '%s' refused client name "
			 "'%s' (already taken?)", server ? server : "default",
			 c->engine.client_name);
	else
		snprintf(err, errlen, "cannot connect to JACK server '%s' "
			 "(status 0x%x); is jackd running?",
			 server ? server : "default", (unsigned)status);
	return -ECONNREFUSED;
}

/*
 * An engine killed a moment ago still counts as alive until its parent
 * reaps it, so a supervisor that restarts at once would be refused; give
 * the old owner a little time to disappear before taking -EEXIST as final.
 */
static int open_arena(struct sb_engine *e, const struct sb_config *c,
		      char *err, size_t errlen)
{
	const struct timespec pause = { 0, CLAIM_RETRY_NS };
	int rc;

	for (int i = 0;; i++) {
		rc = sb_arena_open_engine(&e->arena, e->instance, &c->geom,
					  &e->arena_reused, err, errlen);
		if (rc != -EEXIST || i >= CLAIM_RETRIES)
			return rc;
		nanosleep(&pause, NULL);
	}
}

static int claim_arena(struct sb_engine *e, const struct sb_config *c,
		       char *err, size_t errlen)
{
	const struct sb_arena_hdr *h;
	int rc = open_arena(e, c, err, errlen);

	if (rc)
		return rc;
	h = e->arena.hdr;
	e->cmd = sb_arena_ring(&e->arena, h->off_cmd);
	/* Commands left for a dead engine were already given up on. */
	sb_ring_skip_all(e->cmd);
	e->evt = sb_arena_ring(&e->arena, h->off_evt);
	e->timing = sb_arena_at(&e->arena, h->off_timing);
	e->st.generation = atomic_load(&h->engine_generation);
	e->st.n_inputs = h->geom.n_inputs;
	return 0;
}

/* Locks the arena and every later allocation; page faults are xruns. */
static void lock_memory(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
		return;
	fprintf(stderr, "stagebox-rt: warning: mlockall refused (%s); "
		"page faults may cause xruns\n", strerror(errno));
}

static jack_port_t *add_port(struct sb_engine *e, const char *name,
			     const char *type, unsigned long flags)
{
	return jack_port_register(e->client, name, type, flags, 0);
}

static int register_ports(struct sb_engine *e, char *err, size_t errlen)
{
	const char *audio = JACK_DEFAULT_AUDIO_TYPE;
	const char *midi = JACK_DEFAULT_MIDI_TYPE;
	char name[32];

	for (uint32_t i = 0; i < e->st.n_inputs; i++) {
		snprintf(name, sizeof(name), "in_%u", i + 1);
		e->in[i] = add_port(e, name, audio, JackPortIsInput);
		if (!e->in[i])
			goto fail;
	}
	e->out_l = add_port(e, "out_L", audio, JackPortIsOutput);
	e->out_r = add_port(e, "out_R", audio, JackPortIsOutput);
	e->click = add_port(e, "click", audio, JackPortIsOutput);
	e->midi_in = add_port(e, "midi_in", midi, JackPortIsInput);
	e->midi_out = add_port(e, "midi_out", midi, JackPortIsOutput);
	if (e->out_l && e->out_r && e->click && e->midi_in && e->midi_out)
		return 0;
fail:
	snprintf(err, errlen, "cannot register JACK ports");
	return -EIO;
}

static int init_subsystems(struct sb_engine *e, const struct sb_config *c,
			   const struct sb_subsys *const *list, size_t n,
			   char *err, size_t errlen)
{
	int rc;

	e->ctx.arena = &e->arena;
	e->ctx.sample_rate = jack_get_sample_rate(e->client);
	e->ctx.max_frames = jack_get_buffer_size(e->client);
	e->ctx.n_inputs = e->st.n_inputs;
	e->ctx.emit = emit;
	e->ctx.emit_arg = e;
	e->ctx.transport = &e->tr;
	e->ctx.cfg = c;
	sb_transport_init(&e->tr, e->ctx.sample_rate);
	rc = sb_subsys_init_all(list, n, &e->ctx, err, errlen);
	e->ctx.cfg = NULL;	/* the config is the caller's; init-time only */
	e->subsys_ready = rc == 0;
	return rc;
}

static int set_callbacks(struct sb_engine *e, char *err, size_t errlen)
{
	if (jack_set_process_callback(e->client, process, e)) {
		snprintf(err, errlen, "jack_set_process_callback failed");
		return -EIO;
	}
	jack_on_shutdown(e->client, on_jack_shutdown, e);
	return 0;
}

/* Nothing pending anywhere until a subsystem says otherwise. */
static void looper_status_defaults(struct sb_looper_status *ls)
{
	for (size_t i = 0; i < SB_MAX_COLUMNS * SB_MAX_TRACKS; i++) {
		ls->track[i].next_state = -1;
		ls->track[i].next_solo = -1;
	}
}

/*
 * Before activation the main thread is the only status and event writer.
 * No heartbeat here: only a running process callback beats, so the server
 * never sees an engine that is not yet activated as connected.
 */
static void announce(struct sb_engine *e)
{
	struct sb_msg m = { .type = SB_EVT_STARTED };

	e->st.sample_rate = e->ctx.sample_rate;
	e->st.period = e->ctx.max_frames;
	sb_subsys_report_all(&e->st);
	sb_status_publish(&e->arena, &e->st);
	looper_status_defaults(&e->ls);
	publish_looper(e);
	m.u.started.generation = e->st.generation;
	m.u.started.pid = (int32_t)getpid();
	emit(e, &m);
}

int sb_engine_open(struct sb_engine *e, const struct sb_config *c,
		   const struct sb_subsys *const *subsys, size_t n_subsys,
		   char *err, size_t errlen)
{
	int rc;

	memset(e, 0, sizeof(*e));
	snprintf(e->instance, sizeof(e->instance), "%s", c->instance);
	rc = open_client(e, c, err, errlen);
	if (!rc)
		rc = claim_arena(e, c, err, errlen);
	if (rc)
		goto fail;
	lock_memory();
	rc = register_ports(e, err, errlen);
	if (!rc)
		rc = init_subsystems(e, c, subsys, n_subsys, err, errlen);
	if (!rc)
		rc = set_callbacks(e, err, errlen);
	if (rc)
		goto fail;
	announce(e);
	return 0;
fail:
	sb_engine_close(e);
	return rc;
}

int sb_engine_start(struct sb_engine *e, const struct sb_config *c,
		    char *err, size_t errlen)
{
	struct sb_routing_ports p = {
		.in = e->in, .n_in = e->st.n_inputs, .out_l = e->out_l,
		.out_r = e->out_r, .click = e->click, .midi_in = e->midi_in,
		.midi_out = e->midi_out,
	};

	if (jack_activate(e->client)) {
		snprintf(err, errlen, "cannot activate the JACK client");
		return -EIO;
	}
	sb_routing_connect(e->client, c, &p);
	return 0;
}

int sb_engine_jack_gone(struct sb_engine *e)
{
	return atomic_load(&e->jack_gone);
}

static int pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/*
 * Leave the arena for a server that is still reading it, or for a later
 * engine when recorded audio has not been saved yet; otherwise remove it.
 */
static void release_arena(struct sb_engine *e)
{
	struct sb_arena_hdr *h = e->arena.hdr;
	int32_t me = (int32_t)getpid();
	int unlink_it;

	if (!h)
		return;
	atomic_compare_exchange_strong(&h->engine_pid, &me, 0);
	unlink_it = !pid_alive(atomic_load(&h->server_pid)) &&
		    !sb_ring_read_space(sb_arena_ring(&e->arena,
						      h->off_chunk_filled));
	sb_arena_detach(&e->arena);
	if (unlink_it)
		sb_arena_unlink(e->instance);
}

void sb_engine_close(struct sb_engine *e)
{
	if (e->client) {
		jack_deactivate(e->client);
		jack_client_close(e->client);
		e->client = NULL;
	}
	if (e->subsys_ready)
		sb_subsys_fini_all();
	e->subsys_ready = 0;
	release_arena(e);
}
