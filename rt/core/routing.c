/*
 * routing.c - connect the engine's ports as connect.* says (routing.h).
 *
 * A list is one JACK port name per line, or the word "physical": the
 * sound card's ports, found with jack_get_ports(JackPortIsPhysical).
 * Main thread only, after jack_activate (JACK refuses connections of an
 * inactive client).
 */
#include "rt/core/routing.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LIST_MAX 64	/* names in one connect.* list */

/* Split a '\n'-joined list (copied into buf) into names. */
static unsigned split(const char *list, char *buf, size_t len,
		      const char **names)
{
	unsigned n = 0;

	snprintf(buf, len, "%s", list);
	for (char *s = strtok(buf, "\n"); s && n < LIST_MAX;
	     s = strtok(NULL, "\n"))
		names[n++] = s;
	return n;
}

/* Connect src -> dst; an existing connection counts as made. */
static int link_ports(jack_client_t *cl, const char *src, const char *dst)
{
	int rc = jack_connect(cl, src, dst);

	if (rc == 0 || rc == EEXIST)
		return 0;
	fprintf(stderr, "stagebox-rt: cannot connect %s -> %s (is the port "
		"there?)\n", src, dst);
	return 1;
}

/*
 * The names of a list for ours (an input when we_read): the listed ones,
 * or the card's physical ports of the matching type and direction.
 * *phys is set to the array to free with jack_free (or NULL).
 */
static unsigned resolve(jack_client_t *cl, const char *list, int we_read,
			const char *type, char *buf, size_t len,
			const char **names, const char ***phys)
{
	unsigned long dir = we_read ? JackPortIsOutput : JackPortIsInput;
	unsigned n = 0;

	*phys = NULL;
	if (strcmp(list, "physical"))
		return split(list, buf, len, names);
	*phys = jack_get_ports(cl, NULL, type, JackPortIsPhysical | dir);
	for (; *phys && (*phys)[n] && n < LIST_MAX; n++)
		names[n] = (*phys)[n];
	return n;
}

/*
 * ours[i] <-> names[i] for i < n_ours (pairwise), or, when n_ours is 1
 * and all is set, ours[0] <-> every name.
 */
static int wire(jack_client_t *cl, const char *list, const char *type,
		jack_port_t *const *ours, unsigned n_ours, int all)
{
	char buf[SB_CONNECT_MAX];
	const char *names[LIST_MAX], **phys;
	int we_read = jack_port_flags(ours[0]) & JackPortIsInput;
	unsigned n = resolve(cl, list, we_read, type, buf, sizeof(buf), names,
			     &phys);
	int failed = 0;

	for (unsigned i = 0; i < n && (all || i < n_ours); i++) {
		const char *me = jack_port_name(ours[all ? 0 : i]);

		failed += we_read ? link_ports(cl, names[i], me)
				  : link_ports(cl, me, names[i]);
	}
	jack_free(phys);
	return failed;
}

int sb_routing_connect(jack_client_t *client, const struct sb_config *c,
		       const struct sb_routing_ports *p)
{
	const char *audio = JACK_DEFAULT_AUDIO_TYPE;
	const char *midi = JACK_DEFAULT_MIDI_TYPE;
	jack_port_t *const outs[] = { p->out_l, p->out_r };
	int failed = 0;

	if (p->n_in)
		failed += wire(client, c->connect.inputs, audio, p->in,
			       p->n_in, 0);
	failed += wire(client, c->connect.outputs, audio, outs, 2, 0);
	failed += wire(client, c->connect.click, audio, &p->click, 1, 1);
	failed += wire(client, c->connect.midi_in, midi, &p->midi_in, 1, 1);
	failed += wire(client, c->connect.midi_out, midi, &p->midi_out, 1, 1);
	return failed;
}
