/*
 * cmd_jack.c - jack.* commands: the JACK graph (ports and connections)
 * and changing it.  The JACK calls run on the worker thread
 * (jack_graph.h); handlers only build the job and answer when it is done.
 * Connections made here, by hand in JACK or by the engine at its start
 * are all the same to JACK: nothing here ever undoes one on its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "server/audio/jack_graph.h"
#include "server/cmd/cmd.h"
#include "server/core/worker.h"

struct job {
	struct cmd_req *req;
	int link;		/* 0: list the ports; 1 connect; -1 disconnect */
	char src[256], dst[256];
	json_t *ports;
	int rc;
	char err[600];
};

static void job_work(void *arg)
{
	struct job *j = arg;

	if (j->link)
		j->rc = jack_graph_link(j->src, j->dst, j->link > 0, j->err,
					sizeof(j->err));
	else
		j->ports = jack_graph_ports(&j->rc, j->err, sizeof(j->err));
}

static int http_status(int rc)
{
	switch (rc) {
	case -ENOENT:
		return 404;
	case -EINVAL:
		return 400;
	case -EALREADY:
		return 409;
	case -ENOTCONN:
		return 503;
	default:
		return 500;
	}
}

static void job_done(void *arg)
{
	struct job *j = arg;

	if (j->rc)
		cmd_fail(j->req, http_status(j->rc), "%s", j->err);
	else if (!j->link)
		cmd_reply(j->req, j->ports);
	else
		cmd_reply(j->req, json_pack("{s:s, s:s, s:b}", "source", j->src,
					    "destination", j->dst,
					    "connected", j->link > 0));
	free(j);
}

static void start(struct cmd_req *req, json_t *args, int link)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		cmd_fail(req, 500, "out of memory");
		return;
	}
	j->req = req;
	j->link = link;
	if (link) {
		snprintf(j->src, sizeof(j->src), "%s", json_string_value(
			 json_object_get(args, "source")));
		snprintf(j->dst, sizeof(j->dst), "%s", json_string_value(
			 json_object_get(args, "destination")));
	}
	if (worker_defer(job_work, job_done, j)) {
		free(j);
		cmd_fail(req, 503, "server shutting down");
	}
}

static void do_ports(struct cmd_req *req, json_t *args)
{
	start(req, args, 0);
}

static void do_connect(struct cmd_req *req, json_t *args)
{
	start(req, args, 1);
}

static void do_disconnect(struct cmd_req *req, json_t *args)
{
	start(req, args, -1);
}

static const struct cmd_arg link_args[] = {
	{ .name = "source", .type = ARG_STR, .required = 1, .max_len = 255,
	  .doc = "output port, e.g. \"stagebox:out_L\" or "
		 "\"system:capture_1\"" },
	{ .name = "destination", .type = ARG_STR, .required = 1,
	  .max_len = 255, .doc = "input port of the same type, e.g. "
				 "\"system:playback_1\"" },
	{ .name = NULL }
};

static int init(const struct sb_config *cfg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	jack_graph_init(cfg);
	return 0;
}

static const struct cmd_def defs[] = {
	{ .name = "jack.ports", .doc = "Every JACK port with its connections "
	  "(also GET /api/v1/jack/ports).", .fn = do_ports },
	{ .name = "jack.connect", .doc = "Connect an output port to an "
	  "input port.", .args = link_args, .fn = do_connect },
	{ .name = "jack.disconnect", .doc = "Undo a connection.",
	  .args = link_args, .fn = do_disconnect },
	{ .name = NULL }
};

const struct cmd_domain cmd_jack_domain = {
	.name = "jack",
	.defs = defs,
	.init = init,
};
