/*
 * cmd_auth.c - auth.* commands: the access token (server/front/auth.h).
 * Handlers run on the control thread (see cmd.h).
 */
#include <errno.h>

#include "server/cmd/cmd.h"
#include "server/core/bus.h"
#include "server/front/auth.h"
#include "server/front/hosts.h"

#define MAX_LAN 8

/*
 * A new token.  The reply carries it (the caller is let in, so may see
 * it) with the box's LAN addresses for a join URL; the REST front end
 * adds a fresh session cookie to it.  The event lets every WebSocket
 * front end drop the connections the old token let in.
 */
static void auth_rotate_cmd(struct cmd_req *req, json_t *args)
{
	char tok[AUTH_TOKEN_MAX + 1], err[256], lan[MAX_LAN][64];
	json_t *addrs = json_array();
	int rc, n;

	(void)args;
	rc = auth_rotate(tok, sizeof(tok), err, sizeof(err));
	if (rc) {
		json_decref(addrs);
		cmd_fail(req, rc == -EPERM ? 409 : 500, "%s", err);
		return;
	}
	n = hosts_lan_addresses(lan, MAX_LAN);
	for (int i = 0; i < n; i++)
		json_array_append_new(addrs, json_string(lan[i]));
	bus_event(json_pack("{s:s, s:s}", "type", "event", "event",
			    "auth.rotated"));
	cmd_reply(req, json_pack("{s:s, s:o}", "token", tok, "addresses",
				 addrs));
}

static const struct cmd_def defs[] = {
	{ .name = AUTH_ROTATE_CMD,
	  .doc = "Replace the access token with a new random one: every other "
		 "browser and script is logged out.  The reply carries the new "
		 "token and the box's LAN addresses (REST: and a fresh session "
		 "cookie).",
	  .fn = auth_rotate_cmd },
	{ .name = NULL }
};

const struct cmd_domain cmd_auth_domain = {
	.name = "auth",
	.defs = defs,
};
