/*
 * modtable.c - the one table of module types.  The patch compiler finds
 * types here by name and stores their index in the plan; the server's
 * module list (GET /api/v1/modules) is this table in this order.
 */
#include <string.h>

#include "rt/dsp/module.h"

extern const struct sb_mod_def sb_mod_sine, sb_mod_saw, sb_mod_square,
	sb_mod_tri, sb_mod_noise, sb_mod_lfo, sb_mod_svf, sb_mod_vca,
	sb_mod_mix, sb_mod_adsr, sb_mod_glide, sb_mod_clock, sb_mod_seq,
	sb_mod_delay, sb_mod_reverb, sb_mod_midi, sb_mod_in, sb_mod_out;

const struct sb_mod_def *const sb_mod_table[] = {
	&sb_mod_sine, &sb_mod_saw, &sb_mod_square, &sb_mod_tri,
	&sb_mod_noise, &sb_mod_lfo, &sb_mod_svf, &sb_mod_vca, &sb_mod_mix,
	&sb_mod_adsr, &sb_mod_glide, &sb_mod_clock, &sb_mod_seq,
	&sb_mod_delay, &sb_mod_reverb, &sb_mod_midi,
	&sb_mod_in,	/* built in: the engine inputs as outputs 1..16 */
	&sb_mod_out,	/* built in: added into the main out */
};

const uint32_t sb_mod_count = sizeof(sb_mod_table) / sizeof(sb_mod_table[0]);

/* Any thread. */
const struct sb_mod_def *sb_mod_find(const char *type, uint32_t *index)
{
	for (uint32_t i = 0; i < sb_mod_count; i++) {
		if (strcmp(sb_mod_table[i]->type, type) != 0)
			continue;
		if (index)
			*index = i;
		return sb_mod_table[i];
	}
	return NULL;
}
