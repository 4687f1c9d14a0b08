/*
 * door.h - what the front door lets in: the checks every HTTP request and
 * every WebSocket handshake pass before any route or command runs, in one
 * place so that both front ends refuse the same things with the same words.
 *
 * HTTP, in this order:
 *   421  the Host header does not name the box (DNS rebinding);
 *   415  a POST, PUT or DELETE whose Content-Type is not the route's
 *        (application/json unless the route says otherwise): a cross-site
 *        form can only send text/plain and form types;
 *   403  an Origin header that is not the box's own HTTP origin;
 *   401  no valid token (Bearer or session cookie), unless the route is
 *        open (login, logout).
 * WebSocket handshakes: 421 as above; 403 for a foreign Origin, or for no
 * Origin without a Bearer token (a browser always sends one); 401 without
 * a valid token.
 */
#ifndef SB_DOOR_H
#define SB_DOOR_H

#include <stddef.h>

#include "server/front/auth.h"

/* One request as the door sees it: header values, NULL when absent. */
struct door_req {
	const char *method;	/* NULL for a WebSocket handshake */
	const char *host, *origin, *content_type, *authorization, *cookie;
	const char *const *types;	/* body media types; NULL: JSON */
	int open;			/* needs no token */
	int has_route;			/* 0: no 415 (the 404/405 comes later) */
};

/* 0 to let it in, else the status with a message in why; *via says who. */
/* thread: http, ws */
unsigned door_check(const struct door_req *q, enum auth_via *via, char *why,
		    size_t len);

/* The same for a WebSocket handshake. */
/* thread: ws */
unsigned door_check_ws(const struct door_req *q, enum auth_via *via,
		       char *why, size_t len);

/*
 * The Content-Security-Policy of a page served under host (a Host header
 * value the door let in): its own files, and WebSockets to the box's
 * ws_port under the same name.
 */
/* thread: http */
void door_csp(const char *host, int ws_port, char *out, size_t len);

#endif
