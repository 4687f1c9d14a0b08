/*
 * transport.h - the network front ends.  Each owns its own thread(s) and
 * talks to the control thread only through cmd_submit() (requests in)
 * and the ws_* publish calls (pushes out).
 */
#ifndef SB_SERVER_TRANSPORT_H
#define SB_SERVER_TRANSPORT_H

#include <stddef.h>

/* --- http.c: libmicrohttpd, static files and /api/v1 --- */

struct http_opts {
	const char *bind;	/* address to bind, e.g. "0.0.0.0" */
	int port;
	const char *static_dir;
	int ws_port;		/* reported to the UI in status */
};

/* Main thread. 0 or -errno with a message. */
int http_start(const struct http_opts *o, char *err, size_t errlen);
void http_stop(void);

/* --- ws.c: libwebsockets on its own service thread --- */

struct ws_opts {
	const char *bind;
	int port;
};

/* Main thread. 0 or -errno with a message. */
int ws_start(const struct ws_opts *o, char *err, size_t errlen);
void ws_stop(void);

/*
 * Replace the status every client receives next ({"type":"status",...}).
 * Latest wins: a slow client skips stale pushes.  Any thread; copies.
 */
void ws_push_status(const char *json, size_t len);

/* Queue an event for every client; all are delivered in order. Any thread. */
void ws_broadcast(const char *json, size_t len);

/* Number of open WebSocket connections.  Any thread. */
int ws_client_count(void);

#endif
