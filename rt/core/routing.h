/*
 * routing.h - the engine's JACK connections from the config (connect.*),
 * made once after activation: at every start, so a restarted engine is
 * wired again.  Connections made by hand later are JACK's business: the
 * engine never undoes one.
 */
#ifndef SB_ROUTING_H
#define SB_ROUTING_H

#include <jack/jack.h>

#include "rt/common/config.h"

/* The engine's own ports, by role. */
struct sb_routing_ports {
	jack_port_t *const *in;
	unsigned n_in;
	jack_port_t *out_l, *out_r, *click, *midi_in, *midi_out;
};

/*
 * Make every connection the config asks for.  A port that does not exist
 * is reported on stderr and skipped: a missing synth never stops the
 * engine.  Returns how many connections failed (0 = all made).
 */
/* thread: main */
int sb_routing_connect(jack_client_t *client, const struct sb_config *c,
		       const struct sb_routing_ports *p);

#endif
