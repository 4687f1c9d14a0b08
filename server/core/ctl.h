/*
 * ctl.h - the control thread: the one thread that owns the server's state
 * and the server's end of the arena (Redis-style: no locks on state).
 *
 * It runs ctl_run() on the server's main thread: a poll() loop with a 1 ms
 * tick that (1) runs queued command calls (cmd_submit), (2) drains the
 * engine's event ring and completes engine calls, (3) keeps the arena
 * attached: notices an engine whose process died (within a tick), one
 * that stopped beating for 500 ms (a shorter stall is not a disconnect)
 * and one that came back or recreated the arena, (4) pushes status to
 * WebSocket clients at most 30 times a second and at once on a change of
 * engine connection, (5) beats the server heartbeat.  Slow work (files,
 * compiling, recognition) belongs on the worker thread (worker.h) or a
 * subsystem's own thread, never here.
 */
#ifndef SB_CTL_H
#define SB_CTL_H

#include <jansson.h>
#include <stdint.h>

#include "rt/common/arena.h"
#include "rt/common/config.h"
#include "server/cmd/cmd.h"

struct srv_module;

struct ctl_opts {
	const struct sb_config *cfg;
	const char *version;
	/* the server's modules in order, NULL-terminated (server/modules.c) */
	const struct srv_module *const *modules;
};

/* Main thread, once, before the transports start. 0 or -errno. */
/* thread: main */
int ctl_init(const struct ctl_opts *o, char *err, size_t errlen);

/* Main thread: run until ctl_stop(). */
/* thread: main */
void ctl_run(void);

/* Any thread, async-signal-safe: make ctl_run return. */
/* thread: any */
void ctl_stop(void);

/* Main thread, after the transports stopped. */
/* thread: main */
void ctl_fini(void);

/* --- for command handlers: control thread only --- */

/* The attached arena, or NULL when no engine is attached. */
/* thread: control */
const struct sb_arena *ctl_arena(void);

/*
 * Continuation of an engine call: reply is the engine's event, or NULL
 * when the engine did not answer within the timeout (2 s, longer than a
 * stall the engine is allowed) or went away.  It runs exactly once per
 * call; an answer that comes after that is dropped.
 */
typedef void (*ctl_cont_fn)(struct cmd_req *req, const struct sb_msg *reply);

/*
 * Send m to the engine with a fresh request id and run cont when the
 * answer arrives.  0, -ENOTCONN (no engine) or -EAGAIN (ring full); on an
 * error cont is not called and the caller answers the request.
 */
/* thread: control */
int ctl_engine_call(struct cmd_req *req, struct sb_msg *m, ctl_cont_fn cont);

/* Fire and forget.  0, -ENOTCONN or -EAGAIN. */
/* thread: control */
int ctl_engine_send(const struct sb_msg *m);

/*
 * The mapped arena even while the engine is not beating (NULL only when
 * none is mapped): for work that must go on without an engine, such as
 * saving the chunks a dead engine left in chunk_filled.  Control thread.
 */
/* thread: control */
const struct sb_arena *ctl_arena_mapped(void);

/*
 * A domain's gate opened (cmd_domain.gate returns 0 again): run the
 * commands parked behind it, in arrival order.  Control thread.
 */
/* thread: control */
void ctl_release_parked(void);

/*
 * A server module: one domain's state, owned by the control thread.  The
 * list lives in server/modules.c and reaches ctl.c through ctl_opts; ctl.c
 * walks it.  Every hook may be NULL.
 */
struct srv_module {
	const char *name;
	/* main thread, before the transports start: 0 or -errno + message */
	int (*init)(const struct sb_config *cfg, char *err, size_t errlen);
	/* control thread, every tick (about 1 ms) */
	void (*tick)(uint64_t now_ns);
	/* control thread: an engine event ctl.c does not handle itself */
	void (*on_event)(const struct sb_msg *m);
	/*
	 * control thread: the engine connected (connected=1; `restarted` is 1
	 * when it is a different engine start than the last one this module
	 * saw, i.e. its in-memory state is gone), or disconnected (0).
	 * `remapped` is 1 when the arena mapping changed: drop every pointer
	 * into the old one.
	 */
	void (*on_engine)(int connected, int restarted, int remapped);
	/* main thread, after the transports stopped */
	void (*fini)(void);
};

/* The status object that GET /api/v1/status and WS pushes carry. */
/* thread: control */
json_t *ctl_status_json(void);

/* Monotonic ns when the request entered the queue (for latency figures). */
/* thread: control */
uint64_t cmd_req_t0(const struct cmd_req *req);

#endif
