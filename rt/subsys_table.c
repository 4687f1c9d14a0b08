/*
 * subsys_table.c - the engine's subsystems, in processing order.
 *
 * The one place that names them all: main.c hands this list to the
 * engine, which walks it (rt/core/subsys.c) without knowing what is in
 * it.  Adding a subsystem adds a line here and nothing in rt/core.
 */
#include "rt/subsys_table.h"

#include "rt/core/click.h"
#include "rt/core/meter.h"
#include "rt/core/midi_io.h"
#include "rt/core/safety.h"
#include "rt/looper/looper.h"
#include "rt/patch/patch.h"

const struct sb_subsys *const sb_subsys_table[] = {
	&sb_meter_subsys,
	&sb_click_subsys,
	&sb_midi_io_subsys,
	&sb_looper_subsys,
	&sb_patch_subsys,
	&sb_safety_subsys,	/* after everything that adds into the outputs */
	&sb_out_meter_subsys,	/* last: sees what leaves the box */
};

const size_t sb_subsys_table_len =
	sizeof(sb_subsys_table) / sizeof(sb_subsys_table[0]);

_Static_assert(sizeof(sb_subsys_table) / sizeof(sb_subsys_table[0]) <=
	       SB_SUBSYS_MAX, "raise SB_SUBSYS_MAX in rt/core/subsys.h");
