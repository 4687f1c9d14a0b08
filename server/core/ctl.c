/*
 * ctl.c - the control thread: command queue, engine calls, arena
 * attachment and engine liveness, status pushes, server heartbeat.
 *
 * Other threads only touch the job queue (one mutex) and the eventfd that
 * wakes the loop; everything else in here belongs to the thread running
 * ctl_run() and needs no lock.
 */
#include "server/core/ctl.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "server/core/bus.h"
#include "server/core/worker.h"

#define MS 1000000ull
/*
 * A live engine that stops beating for less than STALE_MIN_NS (a
 * scheduling hiccup, a swapped-out page, a debugger) is stalled, not
 * gone: its commands stay pending and are answered when it runs again.
 * A call only times out well after that, so a call is never answered
 * "no engine" by the timeout while the engine is merely stalled and then
 * applied anyway.  A dead engine process is gone at once.
 */
#define STALE_MIN_NS (500 * MS)
#define CALL_TIMEOUT_NS (2000 * MS)
#define ATTACH_EVERY_NS (50 * MS)
#define PUSH_EVERY_NS (33 * MS)

_Static_assert(CALL_TIMEOUT_NS > 2 * STALE_MIN_NS,
	       "a call must outlive a stall the engine is allowed");
#define EVT_BATCH 256

struct cmd_req {
	STAILQ_ENTRY(cmd_req) qlink;	/* the queue, then the parked list */
	struct cmd_req *next;	/* pending-call list */
	char *name;
	json_t *args;		/* owned until the request is answered */
	cmd_done_fn done;
	void *ctx;
	uint64_t t0;
	uint32_t call_id;	/* pending engine call, 0 = none */
	ctl_cont_fn cont;
	uint64_t deadline;
};

STAILQ_HEAD(req_list, cmd_req);

static struct {
	/* shared with submitting threads */
	pthread_mutex_t qlock;
	struct req_list queue;
	int shutdown;		/* under qlock: refuse new jobs */
	int efd;
	atomic_int stop;	/* lock-free: set from signal handlers */

	/* control thread only */
	const struct sb_config *cfg;
	const char *version;
	uint64_t start_ns;
	struct sb_arena arena;	/* mapped when arena.base != NULL */
	int connected;
	uint64_t generation;	/* engine_generation seen at connect */
	uint64_t stale_ns;	/* the engine is gone after this silence */
	uint64_t seen_gen;	/* header generation last looked at ... */
	uint64_t seen_gen_ns;	/* ... and when it was first seen */
	uint64_t next_attach_ns;
	uint64_t next_push_ns;
	int last_attach_err;
	uint32_t next_id;
	struct cmd_req *pending;
	uint64_t module_gen;	/* engine generation the modules last saw */
	int remapped;		/* arena mapping changed since modules heard */
	const struct srv_module *const *modules;	/* NULL-terminated */
	int modules_ready;	/* how many of modules[] are initialised */
	struct req_list parked;	/* waiting for their domain's gate */
} S = {
	.qlock = PTHREAD_MUTEX_INITIALIZER,
	.efd = -1,
	.queue = STAILQ_HEAD_INITIALIZER(S.queue),
	.parked = STAILQ_HEAD_INITIALIZER(S.parked),
};

static void push_status(uint64_t now);

static int pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static void wake(void)
{
	uint64_t one = 1;
	ssize_t n = write(S.efd, &one, sizeof(one));

	(void)n;	/* a full counter still wakes the loop */
}

/* --- server modules --- */

#define FOR_MODULES(m) \
	for (const struct srv_module *const *m = S.modules; \
	     *m && m < S.modules + S.modules_ready; m++)

static int modules_init(char *err, size_t errlen)
{
	char why[256] = "";

	for (S.modules_ready = 0; S.modules[S.modules_ready];
	     S.modules_ready++) {
		const struct srv_module *m = S.modules[S.modules_ready];
		int rc = m->init ? m->init(S.cfg, why, sizeof(why)) : 0;

		if (rc) {
			snprintf(err, errlen, "%s: %s", m->name, why);
			return rc;
		}
	}
	return 0;
}

static void modules_engine(int connected)
{
	int restarted = 0;

	if (connected) {
		restarted = S.generation != S.module_gen;
		S.module_gen = S.generation;
	}
	FOR_MODULES(m)
		if ((*m)->on_engine)
			(*m)->on_engine(connected, restarted, S.remapped);
	S.remapped = 0;
}

/* --- requests --- */

static void req_free(struct cmd_req *r)
{
	json_decref(r->args);
	free(r->name);
	free(r);
}

/* Any thread. */
int cmd_submit(const char *name, json_t *args, cmd_done_fn done, void *ctx)
{
	struct cmd_req *r = calloc(1, sizeof(*r));
	int shut;

	if (r)
		r->name = strdup(name ? name : "");
	if (!r || !r->name) {
		free(r);
		json_decref(args);
		return -ENOMEM;
	}
	r->args = args ? args : json_object();
	r->done = done;
	r->ctx = ctx;
	r->t0 = sb_now_ns();
	pthread_mutex_lock(&S.qlock);
	shut = S.shutdown;
	if (!shut)
		STAILQ_INSERT_TAIL(&S.queue, r, qlink);
	pthread_mutex_unlock(&S.qlock);
	if (shut) {
		req_free(r);
		return -ESHUTDOWN;
	}
	wake();
	return 0;
}

static void finish(struct cmd_req *r, int status, json_t *body)
{
	r->done(r->ctx, status, body);
	req_free(r);
}

/* Control thread only. */
void cmd_reply(struct cmd_req *req, json_t *result)
{
	json_t *body = json_object();

	json_object_set_new(body, "ok", json_true());
	json_object_set_new(body, "result", result ? result : json_object());
	finish(req, 200, body);
}

/* Control thread only. */
void cmd_fail(struct cmd_req *req, int status, const char *fmt, ...)
{
	char msg[512];
	json_t *body = json_object();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(body, "ok", json_false());
	json_object_set_new(body, "error", json_string(msg));
	finish(req, status, body);
}

/* Control thread only. */
void cmd_fail_json(struct cmd_req *req, int status, json_t *body)
{
	if (!json_is_object(body)) {
		json_decref(body);
		cmd_fail(req, status, "internal error");
		return;
	}
	json_object_set_new(body, "ok", json_false());
	if (!json_is_string(json_object_get(body, "error")))
		json_object_set_new(body, "error", json_string("error"));
	finish(req, status, body);
}

/* Control thread only. */
uint64_t cmd_req_t0(const struct cmd_req *req)
{
	return req->t0;
}

/*
 * Run a validated request, or park it while its domain's gate is shut
 * (a session load or restore: its commands come after it).
 */
static void run_or_park(struct cmd_req *r, const struct cmd_def *d,
			const struct cmd_domain *dom)
{
	if ((d->flags & CMD_AFTER_RESTORE) && dom->gate && dom->gate()) {
		STAILQ_INSERT_TAIL(&S.parked, r, qlink);
		return;
	}
	if ((d->flags & CMD_NEEDS_ENGINE) && !ctl_arena()) {
		cmd_fail(r, 503, "engine not attached");
		return;
	}
	d->fn(r, r->args);
}

static void dispatch(struct cmd_req *r)
{
	const struct cmd_domain *dom;
	const struct cmd_def *d = cmd_lookup(r->name, &dom);
	char err[256] = "";

	if (!d) {
		cmd_fail(r, 404, "unknown command '%s'", r->name);
		return;
	}
	if (!json_is_object(r->args)) {
		cmd_fail(r, 400, "arguments must be a JSON object");
		return;
	}
	if (cmd_validate(d, r->args, err, sizeof(err))) {
		cmd_fail(r, 400, "%s", err);
		return;
	}
	run_or_park(r, d, dom);
}

/* Control thread only. */
void ctl_release_parked(void)
{
	struct req_list list = STAILQ_HEAD_INITIALIZER(list);
	struct cmd_req *r;

	STAILQ_CONCAT(&list, &S.parked);
	while ((r = STAILQ_FIRST(&list))) {
		const struct cmd_domain *dom;
		const struct cmd_def *d = cmd_lookup(r->name, &dom);

		STAILQ_REMOVE_HEAD(&list, qlink);
		run_or_park(r, d, dom);	/* in arrival order */
	}
}

/* Take the queue (and refuse new requests from now on if shutdown). */
static void take_queue(struct req_list *list, int shutdown)
{
	pthread_mutex_lock(&S.qlock);
	STAILQ_CONCAT(list, &S.queue);
	if (shutdown)
		S.shutdown = 1;
	pthread_mutex_unlock(&S.qlock);
}

static void run_queue(void)
{
	struct req_list list = STAILQ_HEAD_INITIALIZER(list);
	struct cmd_req *r;

	take_queue(&list, 0);
	while ((r = STAILQ_FIRST(&list))) {
		STAILQ_REMOVE_HEAD(&list, qlink);
		dispatch(r);
	}
}

/* --- engine calls --- */

/* Control thread only. */
const struct sb_arena *ctl_arena(void)
{
	return S.arena.base && S.connected ? &S.arena : NULL;
}

/* Control thread only. */
const struct sb_arena *ctl_arena_mapped(void)
{
	return S.arena.base ? &S.arena : NULL;
}

int ctl_engine_send(const struct sb_msg *m)
{
	if (!ctl_arena())
		return -ENOTCONN;
	return sb_ring_push(sb_arena_ring(&S.arena, S.arena.hdr->off_cmd), m);
}

/* Control thread only. */
int ctl_engine_call(struct cmd_req *req, struct sb_msg *m, ctl_cont_fn cont)
{
	int rc;

	if (++S.next_id == 0)
		S.next_id = 1;
	m->id = S.next_id;
	rc = ctl_engine_send(m);
	if (rc)
		return rc;
	req->call_id = m->id;
	req->cont = cont;
	req->deadline = sb_now_ns() + CALL_TIMEOUT_NS;
	req->next = S.pending;
	S.pending = req;
	return 0;
}

/* Unlink before calling cont: it may start another call on req. */
static void call_done(struct cmd_req *r, const struct sb_msg *reply)
{
	ctl_cont_fn cont = r->cont;

	r->next = NULL;
	r->call_id = 0;
	r->cont = NULL;
	cont(r, reply);
}

static void complete_call(const struct sb_msg *m)
{
	struct cmd_req **pp;

	for (pp = &S.pending; *pp; pp = &(*pp)->next) {
		struct cmd_req *r = *pp;

		if (r->call_id == m->id) {
			*pp = r->next;
			call_done(r, m);
			return;
		}
	}
}

/* Fail the pending calls that match: all (expire_all) or the overdue. */
static void expire_calls(uint64_t now, int expire_all)
{
	struct cmd_req **pp = &S.pending, *dead = NULL, *r;

	while ((r = *pp)) {
		if (expire_all || now >= r->deadline) {
			*pp = r->next;
			r->next = dead;
			dead = r;
		} else {
			pp = &r->next;
		}
	}
	while ((r = dead)) {
		dead = r->next;
		call_done(r, NULL);
	}
}

/* --- events from the engine --- */


static void on_xrun(const struct sb_msg *m)
{
	bus_event(json_pack("{s:s, s:s, s:I, s:I}", "type", "event",
			    "event", "xrun",
			    "missed", (json_int_t)m->u.xrun.missed,
			    "at_frame", (json_int_t)m->u.xrun.at_frame));
}

static void on_event(const struct sb_msg *m)
{
	switch (m->type) {
	case SB_EVT_PONG:
	case SB_EVT_ACK:
		complete_call(m);
		break;
	case SB_EVT_XRUN:
		on_xrun(m);
		break;
	case SB_EVT_STARTED:
		fprintf(stderr, "stagebox-server: engine started (pid %d, "
			"generation %llu)\n", (int)m->u.started.pid,
			(unsigned long long)m->u.started.generation);
		break;
	default:
		FOR_MODULES(mod)
			if ((*mod)->on_event)
				(*mod)->on_event(m);
		break;
	}
}

static void drain_events(void)
{
	struct sb_ring *evt = sb_arena_ring(&S.arena, S.arena.hdr->off_evt);
	struct sb_msg m[16];
	uint32_t n, total = 0;

	while (total < EVT_BATCH && (n = sb_ring_read(evt, m, 16))) {
		for (uint32_t i = 0; i < n; i++)
			on_event(&m[i]);
		total += n;
	}
}

/* --- attachment and liveness --- */

/*
 * max(STALE_MIN_NS, 3 periods), from the last status read whole; a stale
 * status block (the engine stopped inside its write) keeps the last.
 */
static uint64_t stale_limit_ns(void)
{
	struct sb_status st;
	uint64_t three;

	if (sb_status_read(&S.arena, &st) == 0 && st.sample_rate) {
		three = 3ull * st.period * 1000000000ull / st.sample_rate;
		S.stale_ns = three > STALE_MIN_NS ? three : STALE_MIN_NS;
	}
	return S.stale_ns ? S.stale_ns : STALE_MIN_NS;
}

/*
 * A heartbeat counts for a connection only when it was written after we
 * first saw the header's current generation: an engine restarted within
 * the stall limit must not be taken for live on its dead predecessor's
 * last heartbeat, before its own first cycle published anything.
 */
static int beats_for_this_generation(uint64_t hb, uint64_t now)
{
	uint64_t gen = atomic_load(&S.arena.hdr->engine_generation);

	if (gen != S.seen_gen || !S.seen_gen_ns) {
		S.seen_gen = gen;
		S.seen_gen_ns = now;
	}
	return hb > S.seen_gen_ns;
}

static int engine_alive(uint64_t now)
{
	struct sb_arena_hdr *h = S.arena.hdr;
	uint64_t hb = atomic_load(&h->engine_heartbeat_ns);
	int32_t pid = atomic_load(&h->engine_pid);

	if (!pid || !hb || !pid_alive(pid))
		return 0;	/* a dead process is gone now, not later */
	if (S.connected && atomic_load(&h->engine_generation) != S.generation)
		return 0;	/* restarted between two ticks: reconnect */
	if (!S.connected && !beats_for_this_generation(hb, now))
		return 0;
	return hb >= now || now - hb < stale_limit_ns();
}

static void announce(const char *event)
{
	json_t *ev = json_pack("{s:s, s:s}", "type", "event", "event", event);

	if (S.connected) {
		json_object_set_new(ev, "engine_pid", json_integer(
			atomic_load(&S.arena.hdr->engine_pid)));
		json_object_set_new(ev, "generation", json_integer(
			(json_int_t)S.generation));
	}
	bus_event(ev);
}

static void set_connected(int on, uint64_t now)
{
	S.connected = on;
	if (on) {
		S.generation = atomic_load(&S.arena.hdr->engine_generation);
	} else {
		expire_calls(now, 1);
	}
	fprintf(stderr, "stagebox-server: engine %s\n",
		on ? "connected" : "disconnected");
	modules_engine(on);
	announce(on ? "engine.connected" : "engine.disconnected");
	S.next_push_ns = 0;
	push_status(now);
}

static void beat(uint64_t now)
{
	atomic_store(&S.arena.hdr->server_heartbeat_ns, now);
}

/* Another live server on this arena would break the rings' SPSC rule. */
static int claim_arena(void)
{
	int32_t other = atomic_load(&S.arena.hdr->server_pid);

	if (other != getpid() && pid_alive(other)) {
		if (S.last_attach_err != -EBUSY)
			fprintf(stderr, "stagebox-server: %s is used by another "
				"server (pid %d)\n", S.arena.shm_name, other);
		S.last_attach_err = -EBUSY;
		sb_arena_detach(&S.arena);
		return -EBUSY;
	}
	atomic_store(&S.arena.hdr->server_pid, (int32_t)getpid());
	return 0;
}

static void try_attach(uint64_t now)
{
	char err[256];
	int rc = sb_arena_attach(&S.arena, S.cfg->instance, err, sizeof(err));

	if (rc) {
		if (rc != -ENOENT && rc != S.last_attach_err)
			fprintf(stderr, "stagebox-server: %s\n", err);
		S.last_attach_err = rc;
		return;
	}
	if (claim_arena())
		return;
	S.last_attach_err = 0;
	beat(now);
	/* Events left from before we attached answer nobody. */
	sb_ring_skip_all(sb_arena_ring(&S.arena, S.arena.hdr->off_evt));
	fprintf(stderr, "stagebox-server: attached %s\n", S.arena.shm_name);
}

static void detach(void)
{
	int32_t me = getpid();

	atomic_compare_exchange_strong(&S.arena.hdr->server_pid, &me, 0);
	S.remapped = 1;
	S.seen_gen_ns = 0;	/* another arena: look at its generation anew */
	if (!S.connected)
		modules_engine(0);	/* let go of the old mapping now */
	sb_arena_detach(&S.arena);
}

/* Engine silent: has it recreated the arena, or removed it? */
static void check_replaced(void)
{
	int rc = sb_arena_replaced(&S.arena, S.cfg->instance);

	if (rc == 0)
		return;
	fprintf(stderr, "stagebox-server: arena %s, remapping\n",
		rc == 1 ? "recreated" : "gone");
	detach();
}

static void watch_engine(uint64_t now)
{
	if (S.arena.base && engine_alive(now) != S.connected)
		set_connected(!S.connected, now);
	if (S.connected || now < S.next_attach_ns)
		return;
	S.next_attach_ns = now + ATTACH_EVERY_NS;
	if (S.arena.base)
		check_replaced();
	if (!S.arena.base)
		try_attach(now);
	if (S.arena.base && engine_alive(now))
		set_connected(1, now);
}

/* --- status --- */

static const char *const engine_keys[] = {
	"engine_pid", "generation", "sample_rate", "period", "frames",
	"jack_frame", "xruns", "xruns_last_minute", "missed_frames",
	"dsp_load", "dsp_load_peak", "inputs", "peaks", "out_peaks",
	"evt_dropped", "peaks_over", "out_peaks_over", "output", NULL
};

/*
 * Xruns in the last minute: the engine counts since its start; one sample
 * a second of that count, kept for 64 s, gives the count 60 s ago.  A
 * count that went down is a new engine: its history starts afresh.
 */
#define XR_SLOTS 64

static struct {
	uint64_t sec[XR_SLOTS];
	uint64_t count[XR_SLOTS];
	uint64_t last;
} XR;

static uint64_t xruns_last_minute(uint64_t xruns)
{
	uint64_t now = sb_now_ns() / 1000000000ull, then = now - 60;
	uint64_t base = xruns;

	if (xruns < XR.last)
		memset(&XR, 0, sizeof(XR));
	XR.last = xruns;
	XR.sec[now % XR_SLOTS] = now;
	XR.count[now % XR_SLOTS] = xruns;
	for (uint64_t t = then; t < now; t++) {
		if (XR.sec[t % XR_SLOTS] == t && t) {
			base = XR.count[t % XR_SLOTS];	/* oldest in the window */
			break;
		}
	}
	return xruns - base;
}

/* Gain reduction from which "limiting" reads true (dB). */
#define LIMITING_DB 0.1

static json_t *real_or_zero(float v)
{
	return json_real(isfinite(v) ? (double)v : 0.0);
}

/* n booleans: bit i of bits. */
static json_t *bits_json(uint32_t bits, uint32_t n)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, json_boolean(bits & (1u << i)));
	return a;
}

/* The safety stage (rt/core/safety.c): master volume, ceiling, limiter. */
static json_t *output_json(const struct sb_status *st)
{
	return json_pack("{s:o, s:o, s:b, s:o, s:b, s:b, s:I, s:I}",
		"volume_db", real_or_zero(st->out_volume_db),
		"ceiling_db", real_or_zero(st->out_ceiling_db),
		"muted", (st->out_flags & SB_OUT_MUTED) != 0,
		"gain_reduction_db", real_or_zero(st->out_gr_db),
		"limiting", st->out_gr_db >= LIMITING_DB,
		"over", (st->out_flags & SB_OUT_OVER) != 0,
		"nonfinite", (json_int_t)st->out_nonfinite,
		"limited_blocks", (json_int_t)st->out_limited);
}

static void set_engine_fields(json_t *o)
{
	struct sb_status st;
	json_t *peaks = json_array();
	uint32_t n;

	sb_status_read(&S.arena, &st);
	n = st.n_inputs > SB_MAX_INPUTS ? SB_MAX_INPUTS : st.n_inputs;
	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(peaks, real_or_zero(st.peak[i]));
	json_object_set_new(o, "engine_pid",
		json_integer(atomic_load(&S.arena.hdr->engine_pid)));
	json_object_set_new(o, "generation", json_integer(st.generation));
	json_object_set_new(o, "sample_rate", json_integer(st.sample_rate));
	json_object_set_new(o, "period", json_integer(st.period));
	json_object_set_new(o, "frames", json_integer(st.frames));
	json_object_set_new(o, "jack_frame", json_integer(st.jack_frame));
	json_object_set_new(o, "xruns", json_integer(st.xruns));
	json_object_set_new(o, "xruns_last_minute",
			    json_integer(xruns_last_minute(st.xruns)));
	json_object_set_new(o, "missed_frames",
			    json_integer(st.missed_frames));
	json_object_set_new(o, "dsp_load", real_or_zero(st.dsp_load));
	json_object_set_new(o, "dsp_load_peak", real_or_zero(st.dsp_load_peak));
	json_object_set_new(o, "inputs", json_integer(n));
	json_object_set_new(o, "peaks", peaks);
	json_object_set_new(o, "out_peaks", json_pack("[o,o]",
		real_or_zero(st.out_peak[0]), real_or_zero(st.out_peak[1])));
	json_object_set_new(o, "evt_dropped", json_integer(st.evt_dropped));
	json_object_set_new(o, "peaks_over", bits_json(st.peak_over, n));
	json_object_set_new(o, "out_peaks_over",
			    bits_json(st.out_peak_over, 2));
	json_object_set_new(o, "output", output_json(&st));
}

static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

/* Control thread only. */
json_t *ctl_status_json(void)
{
	json_t *o = json_object();

	json_object_set_new(o, "connected", json_boolean(ctl_arena()));
	if (ctl_arena()) {
		set_engine_fields(o);
	} else {
		for (const char *const *k = engine_keys; *k; k++)
			json_object_set_new(o, *k, json_null());
	}
	json_object_set_new(o, "version", json_string(S.version));
	json_object_set_new(o, "uptime",
			    json_real((sb_now_ns() - S.start_ns) / 1e9));
	json_object_set_new(o, "ws_port", json_integer(S.cfg->server.ws_port));
	json_object_set_new(o, "ws_clients", json_integer(bus_clients()));
	json_object_set_new(o, "t_us", json_integer((json_int_t)realtime_us()));
	return o;
}

static void push_status(uint64_t now)
{
	json_t *o, *st;

	if (now < S.next_push_ns)
		return;
	S.next_push_ns = now + PUSH_EVERY_NS;
	st = ctl_status_json();
	o = json_pack("{s:s}", "type", "status");
	json_object_update(o, st);
	json_decref(st);
	bus_status(o);
}

/* --- the loop --- */

static void tick(void)
{
	uint64_t now = sb_now_ns();

	run_queue();
	if (S.arena.base) {
		beat(now);
		drain_events();
	}
	expire_calls(now, 0);
	watch_engine(now);
	worker_run_done();
	FOR_MODULES(m)
		if ((*m)->tick)
			(*m)->tick(now);
	push_status(now);
}

/* Main thread, once. */
int ctl_init(const struct ctl_opts *o, char *err, size_t errlen)
{
	S.cfg = o->cfg;
	S.version = o->version;
	S.start_ns = sb_now_ns();
	S.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (S.efd < 0) {
		int rc = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return rc;
	}
	S.modules = o->modules;
	if (worker_start(wake)) {
		snprintf(err, errlen, "cannot start the worker thread");
		return -EAGAIN;
	}
	return modules_init(err, errlen);
}

/* Answer everything still waiting so no transport waits forever. */
static void shut_down_requests(void)
{
	struct req_list list = STAILQ_HEAD_INITIALIZER(list);
	struct cmd_req *r;

	take_queue(&list, 1);
	STAILQ_CONCAT(&list, &S.parked);
	while ((r = STAILQ_FIRST(&list))) {
		STAILQ_REMOVE_HEAD(&list, qlink);
		cmd_fail(r, 503, "server shutting down");
	}
	expire_calls(0, 1);
}

/* Main thread. */
void ctl_run(void)
{
	struct pollfd p = { .fd = S.efd, .events = POLLIN };
	uint64_t drain;

	while (!atomic_load(&S.stop)) {
		if (poll(&p, 1, 1) > 0 && (p.revents & POLLIN))
			while (read(S.efd, &drain, sizeof(drain)) > 0)
				;
		tick();
	}
	shut_down_requests();
}

/* Any thread, async-signal-safe. */
void ctl_stop(void)
{
	atomic_store(&S.stop, 1);
	if (S.efd >= 0)
		wake();
}

/* Leave the arena; remove it when nobody needs what it holds. */
static void release_arena(void)
{
	struct sb_arena_hdr *h = S.arena.hdr;
	struct sb_ring *filled = sb_arena_ring(&S.arena, h->off_chunk_filled);
	int unused = !pid_alive(atomic_load(&h->engine_pid)) &&
		     !sb_ring_read_space(filled);

	detach();
	if (unused)
		sb_arena_unlink(S.cfg->instance);
}

/* Main thread, after the transports stopped. */
void ctl_fini(void)
{
	int fd = S.efd;

	worker_stop();
	for (int i = S.modules_ready - 1; i >= 0; i--)
		if (S.modules[i]->fini)
			S.modules[i]->fini();
	S.modules_ready = 0;
	if (S.arena.base)
		release_arena();
	S.efd = -1;
	if (fd >= 0)
		close(fd);
}
