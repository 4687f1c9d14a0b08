/*
 * patch.c - the server's patch engine module (patch.h).
 *
 * Work is a FIFO of operations (load, stop); the head one runs through
 * its phases - COMPILING (worker thread owns the heap and the slot),
 * CALLING (SWAP/STOP sent, waiting for the ACK), WAITING (scheduled,
 * waiting for SB_EVT_PATCH_SWAPPED) - and only then the next one starts.
 * So the heap allocator has exactly one user at any time: the worker
 * while compiling, the control thread otherwise.
 *
 * The module maps the arena a second time for itself: a compile on the
 * worker writes into the slot and heap while the control thread may
 * drop its own mapping (engine gone, arena recreated); this mapping is
 * only replaced when no compile is running.
 */
#include "server/patch/patch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt/dsp/plan.h"
#include "server/patch/patch_compile.h"
#include "server/patch/patch_graph.h"
#include "server/patch/patch_heap.h"
#include "server/patch/patch_json.h"
#include "server/patch/patch_limits.h"
#include "server/core/bus.h"
#include "server/core/worker.h"
#include "server/patch/watch.h"

#define MS 1000000ull
#define WATCH_QUIET_NS (50 * MS)
#define TEXT_MAX PATCH_TEXT_MAX

enum op_kind { OP_LOAD, OP_STOP };
enum op_phase { PH_QUEUED, PH_COMPILING, PH_CALLING, PH_WAITING };

struct op {
	STAILQ_ENTRY(op) link;
	enum op_kind kind;
	enum op_phase phase;
	struct cmd_req *req;
	char *text;
	size_t len;
	int quantize;
	/* the compile: set by the control thread, filled by the worker */
	int slot;
	struct pc_target target;
	struct pc_result res;
	int rc;
	uint64_t compile_us;
	uint64_t generation;	/* engine the op was started for */
	uint32_t call_id;
};

static struct {
	const struct sb_config *cfg;
	char dir[SB_PATH_MAX + 16];	/* DATA/patch */
	struct sb_arena map;		/* own mapping; base NULL when none */
	struct ph_heap heap;
	int heap_ready;
	int connected;
	uint64_t generation;	/* engine generation last synced with */
	int need_sync;		/* sync once the running compile is done */

	int active;		/* running slot, -1 none */
	uint64_t serial;	/* its serial */
	uint64_t next_serial;
	char *text;		/* the text that runs (or ran before a stop) */
	size_t len;
	int stopped;		/* stopped on purpose: do not reload */
	int failed;		/* the last load failed */
	struct patch_err err;

	STAILQ_HEAD(, op) ops;	/* the head one runs */
	struct file_watch watch;
} P = { .active = -1, .ops = STAILQ_HEAD_INITIALIZER(P.ops) };

#define HEAD_OP() STAILQ_FIRST(&P.ops)

static void start_next(void);

/* --- small helpers --- */


static const uint8_t *slot_at(int k)
{
	return sb_arena_plan_slot(&P.map, (uint32_t)k);
}

static int plan_valid(int k)
{
	const struct sb_arena_geom *g = &P.map.hdr->geom;

	return k >= 0 && (uint32_t)k < g->plan_slots &&
	       sb_plan_check(slot_at(k), g->plan_slot_bytes,
			     g->heap_bytes) == 0;
}

static char *dup_text(const char *text, size_t len)
{
	char *t = malloc(len + 1);

	if (t) {
		memcpy(t, text, len);
		t[len] = '\0';
	}
	return t;
}

/* --- current.txt (written and removed on the worker thread) --- */

struct save_job {
	char path[SB_PATH_MAX + 32];
	char *text;	/* NULL: remove the file */
	size_t len;
};

/* Worker thread: write tmp, then rename, so a crash leaves the old one. */
static void save_work(void *arg)
{
	struct save_job *j = arg;
	char tmp[sizeof(j->path) + 8];
	FILE *f;
	int ok;

	if (!j->text) {
		unlink(j->path);
		return;
	}
	mkdir(P.dir, 0755);
	snprintf(tmp, sizeof(tmp), "%s.tmp", j->path);
	f = fopen(tmp, "wb");
	if (!f)
		return;
	ok = fwrite(j->text, 1, j->len, f) == j->len;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, j->path))
		fprintf(stderr, "stagebox-server: cannot save %s\n", j->path);
}

static void save_done(void *arg)
{
	struct save_job *j = arg;

	free(j->text);
	free(j);
}

/* Control thread: remember text as the running patch (NULL: stopped). */
static void save_current(const char *text, size_t len)
{
	struct save_job *j = calloc(1, sizeof(*j));

	if (!j)
		return;
	snprintf(j->path, sizeof(j->path), "%s/current.txt", P.dir);
	if (text && !(j->text = dup_text(text, len))) {
		free(j);
		return;
	}
	j->len = len;
	if (worker_defer(save_work, save_done, j))
		save_done(j);
}

/* Main thread, at start-up: the text a previous server left running. */
static void read_current(void)
{
	char path[SB_PATH_MAX + 32];
	FILE *f;
	char *buf;
	size_t n;

	snprintf(path, sizeof(path), "%s/current.txt", P.dir);
	f = fopen(path, "rb");
	if (!f)
		return;
	buf = malloc(TEXT_MAX + 1);
	n = buf ? fread(buf, 1, TEXT_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > TEXT_MAX) {
		free(buf);
		return;
	}
	buf[n] = '\0';
	P.text = buf;
	P.len = n;
}

/* --- the heap and the mapping (control thread, no compile running) --- */

/* Rebuild the allocator from the running plan: everything else is free. */
static void heap_rebuild(void)
{
	char err[256];

	ph_reset(&P.heap);
	if (P.active < 0)
		return;
	if (pc_heap_mark_plan(&P.heap, slot_at(P.active),
			      P.map.hdr->geom.plan_slot_bytes, err,
			      sizeof(err)))
		fprintf(stderr, "stagebox-server: patch: running plan: %s\n",
			err);
}

/* Map the arena the control thread has, if ours is another one. */
static int remap(void)
{
	const struct sb_arena *a = ctl_arena();
	char err[256];

	if (!a)
		return -ENOTCONN;
	if (P.map.base && P.map.hdr->created_ns == a->hdr->created_ns)
		return 0;
	if (P.heap_ready)
		ph_destroy(&P.heap);
	P.heap_ready = 0;
	sb_arena_detach(&P.map);
	if (sb_arena_attach(&P.map, P.cfg->instance, err, sizeof(err)) ||
	    P.map.hdr->created_ns != a->hdr->created_ns) {
		sb_arena_detach(&P.map);
		return -EAGAIN;
	}
	if (ph_init(&P.heap, sb_arena_heap(&P.map),
		    P.map.hdr->geom.heap_bytes))
		return -ENOMEM;
	P.heap_ready = 1;
	return 0;
}

/*
 * Reload the running text into a fresh engine.  Through the command
 * queue like any load, so it waits its turn; its errors are broadcast.
 */
static void reload_done(void *ctx, int status, json_t *body)
{
	(void)ctx;
	if (status != 200)
		fprintf(stderr, "stagebox-server: patch reload failed: %s\n",
			json_string_value(json_object_get(body, "error")));
	json_decref(body);
}

static void reload(void)
{
	json_t *args;

	if (!P.text || P.stopped)
		return;
	args = json_pack("{s:s%, s:s}", "text", P.text, P.len, "quantize",
			 "now");
	if (args)
		cmd_submit("patch.load", args, reload_done, NULL);
}

/*
 * Adopt what the engine runs now (status patch_slot): after an engine
 * start nothing (reload the text), after a server start the old plan.
 */
static void sync_engine(void)
{
	struct sb_status st;

	P.need_sync = 0;
	if (remap())
		return;
	sb_status_read(&P.map, &st);
	P.generation = st.generation;
	P.active = plan_valid(st.patch_slot) ? st.patch_slot : -1;
	P.serial = P.active >= 0 ? st.patch_serial : 0;
	if (P.serial >= P.next_serial)
		P.next_serial = P.serial;
	heap_rebuild();
	if (P.active < 0)
		reload();
}

/* --- operations --- */

static void op_free(struct op *o)
{
	pc_result_free(&o->res);
	free(o->text);
	free(o);
}

/* Take the head op off the queue and start the next one. */
static void op_end(void)
{
	struct op *o = HEAD_OP();

	STAILQ_REMOVE_HEAD(&P.ops, link);
	op_free(o);
	if (P.need_sync && P.connected)
		sync_engine();
	start_next();
}

static void set_error(const struct patch_err *e)
{
	json_t *ev;

	P.failed = 1;
	P.err = *e;
	ev = pj_error(e);
	json_object_del(ev, "ok");
	json_object_set_new(ev, "type", json_string("event"));
	json_object_set_new(ev, "event", json_string("patch.error"));
	bus_event(ev);
}

/* Fail the head op with a plain message (also a patch.error event). */
static void op_fail(int status, const char *msg)
{
	struct patch_err e = { .line = 0, .col = 0 };

	snprintf(e.msg, sizeof(e.msg), "%s", msg);
	if (HEAD_OP()->kind == OP_LOAD)
		set_error(&e);
	cmd_fail(HEAD_OP()->req, status, "%s", msg);
	op_end();
}

/* The compile's own blocks go back: the plan never ran. */
static void drop_fresh(struct op *o)
{
	for (uint32_t i = 0; i < o->res.n_fresh; i++)
		ph_free(&P.heap, o->res.fresh[i]);
	o->res.n_fresh = 0;
}

static json_t *load_result(const struct op *o, const struct sb_msg *m)
{
	json_t *r = json_pack("{s:I, s:i, s:o, s:o, s:o, s:I, s:I}",
		"serial", (json_int_t)o->target.serial,
		"nodes", (int)o->res.n_nodes,
		"kept", pj_ids(&o->res.kept),
		"added", pj_ids(&o->res.added),
		"removed", pj_ids(&o->res.removed),
		"compile_us", (json_int_t)o->compile_us,
		"swap_frame", (json_int_t)m->u.swapped.frame);

	json_object_set_new(r, "transport_frame",
			    m->u.swapped.transport_frame < 0 ? json_null() :
			    json_integer(m->u.swapped.transport_frame));
	json_object_set_new(r, "slot", json_integer(o->slot));
	return r;
}

static void announce_swap(const struct sb_msg *m)
{
	const struct sb_patch_swapped *s = &m->u.swapped;
	json_t *ev = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}",
		"type", "event", "event", "patch.swapped",
		"slot", (json_int_t)s->slot, "retired", (json_int_t)s->retired,
		"serial", (json_int_t)s->serial, "frame", (json_int_t)s->frame);

	json_object_set_new(ev, "transport_frame", s->transport_frame < 0
			    ? json_null() : json_integer(s->transport_frame));
	bus_event(ev);
}

/* The head load's swap happened: retire the old plan, answer. */
static void load_swapped(struct op *o, const struct sb_msg *m)
{
	for (uint32_t i = 0; i < o->res.n_freeable; i++)
		ph_free(&P.heap, o->res.freeable[i]);
	P.active = o->slot;
	P.serial = o->target.serial;
	free(P.text);
	P.text = o->text;
	P.len = o->len;
	o->text = NULL;
	P.stopped = 0;
	P.failed = 0;
	save_current(P.text, P.len);
	cmd_reply(o->req, load_result(o, m));
}

static void stop_swapped(struct op *o, const struct sb_msg *m)
{
	P.active = -1;
	P.serial = 0;
	ph_reset(&P.heap);
	P.stopped = 1;
	save_current(NULL, 0);
	cmd_reply(o->req, json_pack("{s:o}", "retired",
				    m->u.swapped.retired < 0 ? json_null() :
				    json_integer(m->u.swapped.retired)));
}

/* A swap we did not wait for (a server restart lost its request). */
static void foreign_swap(const struct sb_msg *m)
{
	int compiling = HEAD_OP() && HEAD_OP()->phase == PH_COMPILING;

	P.active = m->u.swapped.slot;
	P.serial = m->u.swapped.slot >= 0 ? m->u.swapped.serial : 0;
	if (compiling)
		P.need_sync = 1;
	else if (P.map.base)
		heap_rebuild();
}

static void on_swapped(const struct sb_msg *m)
{
	struct op *o = HEAD_OP();

	announce_swap(m);
	if (!o || o->phase != PH_WAITING || o->call_id != m->id) {
		foreign_swap(m);
		return;
	}
	if (o->kind == OP_LOAD)
		load_swapped(o, m);
	else
		stop_swapped(o, m);
	op_end();
}

/* ACK of SWAP / STOP: scheduled (wait for SWAPPED), or refused. */
static void on_ack(struct cmd_req *req, const struct sb_msg *reply)
{
	struct op *o = HEAD_OP();
	char msg[128];

	if (!o || o->req != req)
		return;		/* cannot happen: one op at a time */
	if (reply && reply->u.ack.status == 0) {
		o->phase = PH_WAITING;
		o->call_id = reply->id;
		return;
	}
	if (!reply) {
		/* maybe it swaps later: then SWAPPED resyncs the heap */
		o->res.n_fresh = 0;
		op_fail(504, "engine did not answer");
		return;
	}
	drop_fresh(o);
	snprintf(msg, sizeof(msg), "engine refused the %s: %s",
		 o->kind == OP_LOAD ? "plan" : "stop",
		 strerror(-reply->u.ack.status));
	op_fail(reply->u.ack.status == -EBUSY ? 409 : 500, msg);
}

static void send_to_engine(struct op *o, uint16_t type)
{
	struct sb_msg m = { .type = type };
	int rc;

	m.u.swap.slot = o->slot;
	m.u.swap.quantize = o->quantize;
	o->phase = PH_CALLING;
	rc = ctl_engine_call(o->req, &m, on_ack);
	if (!rc)
		return;
	drop_fresh(o);
	op_fail(503, rc == -EAGAIN ? "engine command queue full"
				   : "engine not attached");
}

/* --- compiling (worker thread) --- */

static void compile_work(void *arg)
{
	struct op *o = arg;
	uint64_t t0 = sb_now_ns();

	o->rc = pc_compile(o->text, o->len, &o->target, &o->res);
	o->compile_us = (sb_now_ns() - t0) / 1000u;
}

/* Control thread: the worker is done with the heap. */
static void compile_done(void *arg)
{
	struct op *o = arg;

	if (P.need_sync || !P.connected || o->generation != P.generation) {
		if (P.need_sync && P.connected)
			sync_engine();	/* the heap was rebuilt: no drop */
		else
			drop_fresh(o);
		op_fail(503, "engine restarted while compiling; try again");
		return;
	}
	if (o->rc == -EINVAL) {
		set_error(&o->res.err);
		cmd_fail_json(o->req, 400, pj_error(&o->res.err));
		op_end();
		return;
	}
	if (o->rc) {
		/* heap full, or a plan bigger than a slot: out of room */
		op_fail(o->rc == -ENOMEM || o->rc == -ENOSPC ? 507 : 500,
			o->res.err.msg[0] ? o->res.err.msg : strerror(-o->rc));
		return;
	}
	send_to_engine(o, SB_CMD_PATCH_SWAP);
}

/* A slot neither running nor about to: the lowest other than active. */
static int free_slot(void)
{
	uint32_t n = P.map.hdr->geom.plan_slots;

	for (uint32_t k = 0; k < n; k++)
		if ((int)k != P.active)
			return (int)k;
	return -1;
}

static void start_load(struct op *o)
{
	struct sb_status st;

	sb_status_read(&P.map, &st);
	o->slot = free_slot();
	o->target = (struct pc_target){
		.slot = sb_arena_plan_slot(&P.map, (uint32_t)o->slot),
		.slot_bytes = P.map.hdr->geom.plan_slot_bytes,
		.heap = &P.heap,
		.prev = P.active >= 0 ? slot_at(P.active) : NULL,
		.rate = st.sample_rate,
		.serial = ++P.next_serial,
	};
	o->generation = P.generation;
	o->phase = PH_COMPILING;
	if (worker_defer(compile_work, compile_done, o))
		op_fail(503, "server shutting down");
}

static void start_next(void)
{
	struct op *o = HEAD_OP();

	if (!o || o->phase != PH_QUEUED)
		return;
	if (!P.connected || !P.heap_ready) {
		op_fail(503, "engine not attached");
		return;
	}
	if (o->kind == OP_LOAD)
		start_load(o);
	else
		send_to_engine(o, SB_CMD_PATCH_STOP);
}

static void enqueue(struct op *o)
{
	STAILQ_INSERT_TAIL(&P.ops, o, link);
	start_next();
}

/* control thread */
void patch_load(struct cmd_req *req, const char *text, size_t len,
		int quantize)
{
	struct op *o = calloc(1, sizeof(*o));

	if (o)
		o->text = dup_text(text, len);
	if (!o || !o->text) {
		free(o);
		cmd_fail(req, 503, "out of memory");
		return;
	}
	o->kind = OP_LOAD;
	o->req = req;
	o->len = len;
	o->quantize = quantize;
	enqueue(o);
}

/* control thread */
void patch_stop(struct cmd_req *req)
{
	struct op *o = calloc(1, sizeof(*o));

	if (!o) {
		cmd_fail(req, 503, "out of memory");
		return;
	}
	o->kind = OP_STOP;
	o->req = req;
	o->slot = -1;
	enqueue(o);
}

/* --- GET /api/v1/patch --- */

static json_t *graph_json(void)
{
	struct pg_graph g;
	json_t *j;

	if (P.active < 0 || !P.map.base || !plan_valid(P.active) ||
	    pg_export(slot_at(P.active), &g))
		return json_null();
	j = pj_graph(&g);
	pg_free(&g);
	return j ? j : json_null();
}

static const char *status_word(void)
{
	if (P.failed)
		return "error";
	return P.active >= 0 ? "running" : "stopped";
}

/* control thread */
json_t *patch_state_json(void)
{
	json_t *o = json_pack("{s:s%, s:s, s:o}", "text", P.text ? P.text : "",
			      P.text ? P.len : 0, "status", status_word(),
			      "graph", graph_json());

	json_object_set_new(o, "error", P.failed ? json_string(P.err.msg)
						 : json_null());
	json_object_set_new(o, "line", P.failed && P.err.line > 0
				? json_integer(P.err.line) : json_null());
	json_object_set_new(o, "column", P.failed && P.err.line > 0
				? json_integer(P.err.col) : json_null());
	json_object_set_new(o, "serial", P.active >= 0
				? json_integer((json_int_t)P.serial)
				: json_null());
	json_object_set_new(o, "slot", P.active >= 0
				? json_integer(P.active) : json_null());
	return o;
}

/* --- the watched file --- */

struct watch_job {
	char *text;
	size_t len;
	int ok;
};

/* Worker thread: read the watched file. */
static void watch_read(void *arg)
{
	struct watch_job *j = arg;
	FILE *f = fopen(P.cfg->patch.file, "rb");

	if (!f)
		return;
	j->text = malloc(TEXT_MAX + 1);
	j->len = j->text ? fread(j->text, 1, TEXT_MAX + 1, f) : 0;
	fclose(f);
	j->ok = j->text && j->len <= TEXT_MAX;
}

static void watch_load_done(void *ctx, int status, json_t *body)
{
	(void)ctx;
	if (status != 200)
		fprintf(stderr, "stagebox-server: %s: %s\n",
			P.cfg->patch.file,
			json_string_value(json_object_get(body, "error")));
	json_decref(body);
}

/* Control thread: hand the text to patch.load like any client would. */
static void watch_loaded(void *arg)
{
	struct watch_job *j = arg;
	json_t *args = j->ok ? json_pack("{s:s%, s:s}", "text", j->text,
					 j->len, "quantize", "now") : NULL;

	if (args)
		cmd_submit("patch.load", args, watch_load_done, NULL);
	else
		fprintf(stderr, "stagebox-server: cannot read %s (or not "
			"UTF-8 text up to 1 MiB)\n", P.cfg->patch.file);
	free(j->text);
	free(j);
}

static void watch_fire(void)
{
	struct watch_job *j = calloc(1, sizeof(*j));

	if (j && worker_defer(watch_read, watch_loaded, j))
		free(j);
}

/* --- module hooks --- */

static int patch_init(const struct sb_config *cfg, char *err, size_t errlen)
{
	char why[256];

	P.cfg = cfg;
	P.active = -1;
	snprintf(P.dir, sizeof(P.dir), "%s/patch", cfg->server.data_dir);
	mkdir(P.dir, 0755);
	read_current();
	file_watch_init(&P.watch);
	if (cfg->patch.file[0] &&
	    file_watch_open(&P.watch, cfg->patch.file, why, sizeof(why)))
		fprintf(stderr, "stagebox-server: warning: %s\n", why);
	if (cfg->patch.file[0] && access(cfg->patch.file, R_OK) == 0)
		P.watch.due_ns = 1;	/* load it once the engine is there */
	(void)err;
	(void)errlen;
	return 0;
}

static void patch_tick(uint64_t now)
{
	if (P.connected && file_watch_poll(&P.watch, now, WATCH_QUIET_NS))
		watch_fire();
}

static void patch_event(const struct sb_msg *m)
{
	if (m->type == SB_EVT_PATCH_SWAPPED)
		on_swapped(m);
}

/* Queued ops cannot start without an engine: answer them now. */
static void fail_queue(void)
{
	while (HEAD_OP() && HEAD_OP()->phase != PH_COMPILING &&
	       HEAD_OP()->phase != PH_CALLING)
		op_fail(503, "engine went away");
}

static void patch_engine(int connected, int restarted, int remapped)
{
	(void)remapped;	/* our own mapping: remap() compares identities */
	P.connected = connected;
	if (!connected) {
		fail_queue();
		return;
	}
	if (!restarted && P.map.base)
		return;
	if (HEAD_OP() && HEAD_OP()->phase == PH_COMPILING)
		P.need_sync = 1;
	else
		sync_engine();
}

static void patch_fini(void)
{
	struct op *o;

	file_watch_close(&P.watch);
	while ((o = HEAD_OP())) {
		STAILQ_REMOVE_HEAD(&P.ops, link);
		op_free(o);
	}
	if (P.heap_ready)
		ph_destroy(&P.heap);
	P.heap_ready = 0;
	sb_arena_detach(&P.map);
	free(P.text);
	P.text = NULL;
}

const struct srv_module patch_module = {
	.name = "patch",
	.init = patch_init,
	.tick = patch_tick,
	.on_event = patch_event,
	.on_engine = patch_engine,
	.fini = patch_fini,
};
