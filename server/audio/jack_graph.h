/*
 * jack_graph.h - the JACK graph as the server sees it: every port, its
 * connections, and connecting or disconnecting two ports.  The server is
 * a JACK client of its own for this ("<client_name>-ctl", no ports, never
 * activated), so routing works while the engine is down and never touches
 * the engine's process thread.  Calls are IPC to jackd (milliseconds, and
 * longer when jackd is busy), so they run on the worker thread.
 */
#ifndef SB_JACK_GRAPH_H
#define SB_JACK_GRAPH_H

#include <jansson.h>
#include <stddef.h>

#include "rt/common/config.h"

/* Remember the server and client names; opens nothing yet. */
/* thread: main */
void jack_graph_init(const struct sb_config *cfg);

/*
 * {"server", "ports":[{"name","type":"audio"|"midi","direction":"out"|"in",
 * "physical","engine","connections":[...]}]} (new reference), or NULL
 * with -ENOTCONN / -errno and a message when JACK cannot be reached.
 */
/* thread: worker */
json_t *jack_graph_ports(int *rc, char *err, size_t errlen);

/*
 * Connect (on) or disconnect (!on) src -> dst.  0, -ENOENT (no such
 * port), -EINVAL (not an output and an input of one type), -EALREADY
 * (already connected / not connected), -ENOTCONN (no JACK) or -EIO;
 * message in err.
 */
/* thread: worker */
int jack_graph_link(const char *src, const char *dst, int on, char *err,
		    size_t errlen);

/* Close the client. */
/* thread: main */
void jack_graph_fini(void);

#endif
