/*
 * modules.c - the server's domain modules, in the order ctl.c calls them.
 * Adding a module touches this list and nothing else in ctl.c.
 */
#include "server/audio/chunks.h"
#include "server/core/ctl.h"
#include "server/looper/looper_state.h"
#include "server/front/midimap.h"
#include "server/patch/patch.h"
#include "server/wiring.h"

const struct srv_module *const srv_modules[] = {
	&chunks_module,		/* first: others use its chunks and takes */
	&looper_module,
	&midimap_module,
	&patch_module,
	NULL,
};
