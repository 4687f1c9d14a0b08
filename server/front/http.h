/*
 * http.h - the HTTP front end (libmicrohttpd): static files and /api/v1.
 * It owns its own threads and talks to the control thread only through
 * cmd_submit() and the control thread's status reads.
 */
#ifndef SB_HTTP_H
#define SB_HTTP_H

#include <stddef.h>

struct http_opts {
	const char *bind;	/* address to bind, e.g. "0.0.0.0" */
	int port;
	const char *static_dir;
	int ws_port;		/* reported to the UI in status */
};

/* 0 or -errno with a message. */
/* thread: main */
int http_start(const struct http_opts *o, char *err, size_t errlen);

/* thread: main */
void http_stop(void);

#endif
