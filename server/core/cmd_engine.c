/*
 * cmd_engine.c - engine.* commands: status, ping, callback timing.
 * Handlers run on the control thread (see cmd.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/cmd/cmd.h"
#include "server/core/ctl.h"

/* The engine did not take the call: say why (ring full or no engine). */
static void call_refused(struct cmd_req *req, int rc)
{
	if (rc == -EAGAIN)
		cmd_fail(req, 503, "engine command queue full");
	else
		cmd_fail(req, 503, "engine not attached");
}

static void engine_status(struct cmd_req *req, json_t *args)
{
	(void)args;
	cmd_reply(req, ctl_status_json());
}

/* rtt counts from the queueing of the request, so it includes our queue. */
static void ping_done(struct cmd_req *req, const struct sb_msg *reply)
{
	double rtt_us;

	if (!reply) {
		cmd_fail(req, 504, "engine did not answer");
		return;
	}
	rtt_us = (double)(sb_now_ns() - cmd_req_t0(req)) / 1e3;
	cmd_reply(req, json_pack("{s:f, s:I}", "rtt_us", rtt_us,
				 "engine_frame",
				 (json_int_t)reply->u.ping.engine_frame));
}

static void engine_ping(struct cmd_req *req, json_t *args)
{
	struct sb_msg m = { .type = SB_CMD_PING };
	int rc;

	(void)args;
	m.u.ping.t_sent_ns = sb_now_ns();
	rc = ctl_engine_call(req, &m, ping_done);
	if (rc)
		call_refused(req, rc);
}

/* --- timing --- */

/* Upper edge (us) of the bucket holding the q-quantile, capped at max. */
static double quantile_us(const uint32_t *b, uint64_t total, double q,
			  double max_us)
{
	uint64_t want = (uint64_t)(q * (double)total + 0.999999), seen = 0;

	for (uint32_t i = 0; i < SB_TIMING_BUCKETS && total; i++) {
		seen += b[i];
		if (seen >= want)
			return (double)(i + 1) < max_us ? (double)(i + 1) : max_us;
	}
	return max_us;
}

static double period_us(const struct sb_arena *a)
{
	struct sb_status st;

	sb_status_read(a, &st);
	return st.sample_rate ? st.period * 1e6 / st.sample_rate : 0.0;
}

static json_t *timing_json(const struct sb_arena *a)
{
	struct sb_timing *t = sb_arena_at(a, a->hdr->off_timing);
	static uint32_t b[SB_TIMING_BUCKETS];	/* control thread only */
	uint64_t total = 0, count = atomic_load(&t->count);
	double max_us = atomic_load(&t->max_ns) / 1e3;
	double mean_us = count ? atomic_load(&t->sum_ns) / 1e3 / count : 0.0;

	for (uint32_t i = 0; i < SB_TIMING_BUCKETS; i++) {
		b[i] = atomic_load_explicit(&t->bucket[i], memory_order_relaxed);
		total += b[i];
	}
	return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f}",
			 "count", (json_int_t)count,
			 "p50_us", quantile_us(b, total, 0.50, max_us),
			 "p99_us", quantile_us(b, total, 0.99, max_us),
			 "max_us", max_us, "mean_us", mean_us,
			 "period_us", period_us(a));
}

/*
 * A reset answers with the figures from before it, read when the request
 * arrived; they wait here, keyed by request, until the engine's ACK.
 */
struct held {
	struct held *next;
	struct cmd_req *req;
	json_t *figures;
};

static struct held *held_list;	/* control thread only */

static json_t *unhold(struct cmd_req *req)
{
	struct held **pp, *h;
	json_t *figures = NULL;

	for (pp = &held_list; (h = *pp); pp = &h->next) {
		if (h->req == req) {
			*pp = h->next;
			figures = h->figures;
			free(h);
			break;
		}
	}
	return figures;
}

static void reset_done(struct cmd_req *req, const struct sb_msg *reply)
{
	json_t *figures = unhold(req);

	if (!reply) {
		json_decref(figures);
		cmd_fail(req, 504, "engine did not answer");
	} else if (reply->u.ack.status) {
		json_decref(figures);
		cmd_fail(req, 500, "engine refused the reset: %s",
			 strerror(-reply->u.ack.status));
	} else {
		cmd_reply(req, figures);
	}
}

static void timing_reset(struct cmd_req *req, json_t *figures)
{
	struct sb_msg m = { .type = SB_CMD_TIMING_RESET };
	struct held *h = malloc(sizeof(*h));
	int rc;

	if (!h) {
		json_decref(figures);
		cmd_fail(req, 500, "out of memory");
		return;
	}
	*h = (struct held){ .next = held_list, .req = req, .figures = figures };
	held_list = h;
	rc = ctl_engine_call(req, &m, reset_done);
	if (rc) {
		json_decref(unhold(req));
		call_refused(req, rc);
	}
}

static void engine_timing(struct cmd_req *req, json_t *args)
{
	json_t *figures = timing_json(ctl_arena());

	if (json_is_true(json_object_get(args, "reset")))
		timing_reset(req, figures);
	else
		cmd_reply(req, figures);
}

static const struct cmd_arg timing_args[] = {
	{ .name = "reset", .type = ARG_BOOL, .min = 1, .max = 0,
	  .def = "false",
	  .doc = "zero the histogram after reading it (answers after the "
		 "engine confirmed)" },
	{ .name = NULL }
};

static const struct cmd_def defs[] = {
	{ .name = "engine.status",
	  .doc = "Engine and server status (works without an engine).",
	  .fn = engine_status },
	{ .name = "engine.ping",
	  .doc = "Round trip through the engine's command and event rings.",
	  .flags = CMD_NEEDS_ENGINE, .fn = engine_ping },
	{ .name = "engine.timing",
	  .doc = "Process-callback cost percentiles from the engine's "
		 "histogram.",
	  .args = timing_args, .flags = CMD_NEEDS_ENGINE,
	  .fn = engine_timing },
	{ .name = NULL }
};

const struct cmd_domain cmd_engine_domain = {
	.name = "engine",
	.defs = defs,
};
