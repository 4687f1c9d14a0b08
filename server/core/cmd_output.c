/*
 * cmd_output.c - output.* commands: the master volume and mute of the
 * engine's safety stage (rt/core/safety.c).
 *
 * Handlers run on the control thread (see cmd.h).  Each sends one
 * SB_CMD_OUTPUT_* message and answers when the engine's ACK comes back;
 * the state itself is reported in the status ("output" in
 * ctl_status_json), so there is nothing to mirror here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/cmd/cmd.h"
#include "server/core/ctl.h"

/* What a call answers with once the engine ACKed it, keyed by request. */
struct held {
	struct held *next;
	struct cmd_req *req;
	json_t *result;
};

static struct held *held_list;	/* control thread only */

static json_t *unhold(struct cmd_req *req)
{
	struct held **pp, *h;
	json_t *result = NULL;

	for (pp = &held_list; (h = *pp); pp = &h->next) {
		if (h->req == req) {
			*pp = h->next;
			result = h->result;
			free(h);
			break;
		}
	}
	return result;
}

static void call_done(struct cmd_req *req, const struct sb_msg *reply)
{
	json_t *result = unhold(req);

	if (!reply) {
		json_decref(result);
		cmd_fail(req, 504, "engine did not answer");
	} else if (reply->u.ack.status == -EINVAL) {
		json_decref(result);
		cmd_fail(req, 400, "argument 'db': the engine refused it");
	} else if (reply->u.ack.status) {
		json_decref(result);
		cmd_fail(req, 500, "the engine refused: %s",
			 strerror(-reply->u.ack.status));
	} else {
		cmd_reply(req, result);
	}
}

/* Send m; answer req with result (stolen) when the engine ACKs it. */
static void engine_cmd(struct cmd_req *req, struct sb_msg *m, json_t *result)
{
	struct held *h = malloc(sizeof(*h));
	int rc;

	if (!h) {
		json_decref(result);
		cmd_fail(req, 500, "out of memory");
		return;
	}
	*h = (struct held){ .next = held_list, .req = req, .result = result };
	held_list = h;
	rc = ctl_engine_call(req, m, call_done);
	if (!rc)
		return;
	json_decref(unhold(req));
	if (rc == -EAGAIN)
		cmd_fail(req, 503, "engine command queue full");
	else
		cmd_fail(req, 503, "engine not attached");
}

/* The schema checked the range; the engine checks it again. */
static void set_volume(struct cmd_req *req, json_t *args)
{
	struct sb_msg m = { .type = SB_CMD_OUTPUT_VOLUME };
	double db = json_number_value(json_object_get(args, "db"));

	m.u.output.volume_db = db;
	engine_cmd(req, &m, json_pack("{s:f}", "volume_db", db));
}

static void set_mute(struct cmd_req *req, json_t *args)
{
	struct sb_msg m = { .type = SB_CMD_OUTPUT_MUTE };
	int on = json_is_true(json_object_get(args, "on"));

	m.u.output.muted = on;
	engine_cmd(req, &m, json_pack("{s:b}", "muted", on));
}

static const struct cmd_arg volume_args[] = {
	{ .name = "db", .type = ARG_NUM, .required = 1,
	  .min = SB_OUTPUT_VOLUME_MIN_DB, .max = SB_OUTPUT_VOLUME_MAX_DB,
	  .doc = "master volume of out_L/out_R in dB (0 = unity); it glides "
		 "there with a 10 ms time constant" },
	{ .name = NULL }
};

static const struct cmd_arg mute_args[] = {
	{ .name = "on", .type = ARG_BOOL, .required = 1, .min = 1, .max = 0,
	  .doc = "true mutes out_L/out_R (a glide, not a click); false "
		 "restores the master volume" },
	{ .name = NULL }
};

static const struct cmd_def defs[] = {
	{ .name = "output.set_volume",
	  .doc = "Set the master volume of the main outputs (before the "
		 "limiter and the ceiling).",
	  .args = volume_args, .flags = CMD_NEEDS_ENGINE, .fn = set_volume },
	{ .name = "output.mute",
	  .doc = "Mute or unmute the main outputs (the click port is not "
		 "affected).",
	  .args = mute_args, .flags = CMD_NEEDS_ENGINE, .fn = set_mute },
	{ .name = NULL }
};

const struct cmd_domain cmd_output_domain = {
	.name = "output",
	.defs = defs,
};
