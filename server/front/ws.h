/*
 * ws.h - the WebSocket front end (libwebsockets) on its own service
 * thread.  Requests go in through cmd_submit(); pushes come out through
 * the bus (server/core/bus.h), which ws_start registers with.
 */
#ifndef SB_WS_H
#define SB_WS_H

#include <stddef.h>

struct ws_opts {
	const char *bind;
	int port;
};

/* 0 or -errno with a message; registers the WebSocket sink on the bus. */
/* thread: main */
int ws_start(const struct ws_opts *o, char *err, size_t errlen);

/* thread: main */
void ws_stop(void);

#endif
