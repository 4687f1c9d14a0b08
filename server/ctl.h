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

#include "../rt/arena.h"
#include "../rt/config.h"
#include "cmd.h"

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

/* The status object that GET /api/v1/status and WS pushes carry. */
json_t *ctl_status_json(void);

/* Monotonic ns when the request entered the queue (for latency figures). */
uint64_t cmd_req_t0(const struct cmd_req *req);

#endif
