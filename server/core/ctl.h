/*
 * ctl.h - the control thread: the one thread that owns the server's state
 * and the server's end of the arena (Redis-style: no locks on state).
 *
 * It runs ctl_run() on the server's main thread: a poll() loop with a 1 ms
 * tick that (1) runs queued command calls (cmd_submit), (2) drains the
 * engine's event ring and completes engine calls, (3) keeps the arena
 * attached: notices an engine that stopped beating (within 100 ms) and
 * one that came back or recreated the arena, (4) pushes status to
 * WebSocket clients at most 30 times a second and at once on a change of
 * engine connection, (5) beats the server heartbeat.  Slow work (files,
 * compiling, recognition) belongs on worker threads that report back
 * through cmd_submit-like queues, never here.
 */
#ifndef SB_CTL_H
#define SB_CTL_H

#include <jansson.h>
#include <stdint.h>

#include "rt/common/arena.h"
#include "rt/common/config.h"
#include "server/cmd/cmd.h"

struct ctl_opts {
	const struct sb_config *cfg;
	const char *version;
};

/* Main thread, once, before the transports start. 0 or -errno. */
int ctl_init(const struct ctl_opts *o, char *err, size_t errlen);

/* Main thread: run until ctl_stop(). */
void ctl_run(void);

/* Any thread, async-signal-safe: make ctl_run return. */
void ctl_stop(void);

/* Main thread, after the transports stopped. */
void ctl_fini(void);

/* --- for command handlers: control thread only --- */

/* The attached arena, or NULL when no engine is attached. */
const struct sb_arena *ctl_arena(void);

/*
 * Continuation of an engine call: reply is the engine's event, or NULL
 * when the engine did not answer within the timeout (1 s) or went away.
 */
typedef void (*ctl_cont_fn)(struct cmd_req *req, const struct sb_msg *reply);

/*
 * Send m to the engine with a fresh request id and run cont when the
 * answer arrives.  0, -ENOTCONN (no engine) or -EAGAIN (ring full); on an
 * error cont is not called and the caller answers the request.
 */
int ctl_engine_call(struct cmd_req *req, struct sb_msg *m, ctl_cont_fn cont);

/* Fire and forget.  0, -ENOTCONN or -EAGAIN. */
int ctl_engine_send(const struct sb_msg *m);

/*
 * The mapped arena even while the engine is not beating (NULL only when
 * none is mapped): for work that must go on without an engine, such as
 * saving the chunks a dead engine left in chunk_filled.  Control thread.
 */
const struct sb_arena *ctl_arena_mapped(void);

/*
 * Run work(arg) on the server's worker thread (slow work: files,
 * compiling), then done(arg) on the control thread.  Jobs run one at a
 * time in submission order.  0 or -ENOMEM / -ESHUTDOWN.  Control thread.
 */
int ctl_defer(void (*work)(void *arg), void (*done)(void *arg), void *arg);

/*
 * A server module: one domain's state, owned by the control thread.  The
 * list lives in server/modules.c; ctl.c walks it.  Every hook may be NULL.
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

extern const struct srv_module *const srv_modules[];	/* NULL-terminated */

/* The status object that GET /api/v1/status and WS pushes carry. */
json_t *ctl_status_json(void);

/* Monotonic ns when the request entered the queue (for latency figures). */
uint64_t cmd_req_t0(const struct cmd_req *req);

#endif
