/*
 * modules.c - the server's domain modules, in the order ctl.c calls them.
 * Adding a module touches this list and nothing else in ctl.c.
 */
#include "chunks.h"
#include "ctl.h"
#include "looper_state.h"
#include "midimap.h"
#include "patch.h"

const struct srv_module *const srv_modules[] = {
	&chunks_module,		/* first: others use its chunks and takes */
	&looper_module,
	&midimap_module,
	&patch_module,
	NULL,
};
