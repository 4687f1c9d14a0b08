/*
 * jack_graph.c - the server's view of the JACK graph (jack_graph.h).
 *
 * The client is opened on first use and again after jackd went away (its
 * shutdown callback only raises a flag).  Only the worker thread uses it.
 */
#include "server/audio/jack_graph.h"

#include <errno.h>
#include <jack/jack.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static struct {
	char server[SB_NAME_MAX];
	char name[SB_NAME_MAX + 8];	/* our client name */
	char engine[SB_NAME_MAX + 1];	/* "<engine client>:" */
	jack_client_t *client;		/* worker thread */
	atomic_int gone;		/* set on a JACK thread */
} G;

void jack_graph_init(const struct sb_config *cfg)
{
	snprintf(G.server, sizeof(G.server), "%s", cfg->jack.server);
	snprintf(G.name, sizeof(G.name), "%s-ctl", cfg->engine.client_name);
	snprintf(G.engine, sizeof(G.engine), "%s:", cfg->engine.client_name);
}

static void on_shutdown(void *arg)
{
	(void)arg;
	atomic_store(&G.gone, 1);
}

/* The open client, reopened when jackd went away; NULL when none. */
static jack_client_t *client(char *err, size_t errlen)
{
	jack_status_t st;

	if (G.client && atomic_load(&G.gone)) {
		jack_client_close(G.client);
		G.client = NULL;
	}
	if (G.client)
		return G.client;
	atomic_store(&G.gone, 0);
	G.client = jack_client_open(G.name, JackNoStartServer |
				    JackServerName | JackUseExactName, &st,
				    G.server);
	if (!G.client)
		snprintf(err, errlen, "JACK server '%s' is not running",
			 G.server);
	else
		jack_on_shutdown(G.client, on_shutdown, NULL);
	return G.client;
}

static json_t *port_json(jack_client_t *c, const char *name)
{
	jack_port_t *p = jack_port_by_name(c, name);
	int flags = p ? jack_port_flags(p) : 0;
	const char *type = p ? jack_port_type(p) : "";
	const char **conn = p ? jack_port_get_all_connections(c, p) : NULL;
	json_t *list = json_array();

	for (size_t i = 0; conn && conn[i]; i++)
		json_array_append_new(list, json_string(conn[i]));
	jack_free(conn);
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:o}", "name", name,
			 "type", strstr(type, "midi") ? "midi" : "audio",
			 "direction", flags & JackPortIsOutput ? "out" : "in",
			 "physical", !!(flags & JackPortIsPhysical),
			 "engine", !strncmp(name, G.engine, strlen(G.engine)),
			 "connections", list);
}

json_t *jack_graph_ports(int *rc, char *err, size_t errlen)
{
	jack_client_t *c = client(err, errlen);
	const char **names;
	json_t *ports;

	*rc = c ? 0 : -ENOTCONN;
	if (!c)
		return NULL;
	names = jack_get_ports(c, NULL, NULL, 0);
	ports = json_array();
	for (size_t i = 0; names && names[i]; i++)
		json_array_append_new(ports, port_json(c, names[i]));
	jack_free(names);
	return json_pack("{s:s, s:o}", "server", G.server, "ports", ports);
}

/* src must be an output, dst an input, both of one type: 1 when they are
 * connected, 0 when not, or -errno with a message. */
static int check_pair(jack_client_t *c, const char *src, const char *dst,
		      char *err, size_t errlen)
{
	jack_port_t *s = jack_port_by_name(c, src);
	jack_port_t *d = jack_port_by_name(c, dst);

	if (!s || !d) {
		snprintf(err, errlen, "no JACK port '%.255s'", s ? dst : src);
		return -ENOENT;
	}
	if (!(jack_port_flags(s) & JackPortIsOutput) ||
	    !(jack_port_flags(d) & JackPortIsInput)) {
		snprintf(err, errlen, "'%.255s' must be an output and "
			 "'%.255s' an input", src, dst);
		return -EINVAL;
	}
	if (strcmp(jack_port_type(s), jack_port_type(d))) {
		snprintf(err, errlen, "'%.255s' and '%.255s' carry different "
			 "types (audio, MIDI)", src, dst);
		return -EINVAL;
	}
	return jack_port_connected_to(s, dst) ? 1 : 0;
}

int jack_graph_link(const char *src, const char *dst, int on, char *err,
		    size_t errlen)
{
	jack_client_t *c = client(err, errlen);
	int rc;

	if (!c)
		return -ENOTCONN;
	rc = check_pair(c, src, dst, err, errlen);
	if (rc < 0)
		return rc;
	if (rc == !!on) {
		snprintf(err, errlen, on ? "already connected" :
			 "not connected");
		return -EALREADY;
	}
	rc = on ? jack_connect(c, src, dst) : jack_disconnect(c, src, dst);
	if (rc) {
		snprintf(err, errlen, "JACK refused to %s '%.255s' -> "
			 "'%.255s'", on ? "connect" : "disconnect", src, dst);
		return -EIO;
	}
	return 0;
}

void jack_graph_fini(void)
{
	if (G.client)
		jack_client_close(G.client);
	G.client = NULL;
}
