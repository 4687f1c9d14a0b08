/*
 * cmd_table.c - the list of command arrays, one per domain.  Adding a
 * domain means adding its array here; nothing else registers commands.
 */
#include <string.h>

#include "server/cmd/cmd.h"

static const struct cmd_def *const domains[] = {
	cmd_engine_defs,
	cmd_looper_defs,
	cmd_patch_defs,
	NULL
};

/* Any thread (the table is read-only). NULL when name is unknown. */
const struct cmd_def *cmd_find(const char *name)
{
	for (const struct cmd_def *const *dom = domains; *dom; dom++) {
		for (const struct cmd_def *d = *dom; d->name; d++) {
			if (strcmp(d->name, name) == 0)
				return d;
		}
	}
	return NULL;
}

/* Any thread.  Every command's description, in table order (new ref). */
json_t *cmd_table_json(void)
{
	json_t *all = json_array();

	for (const struct cmd_def *const *dom = domains; *dom; dom++) {
		for (const struct cmd_def *d = *dom; d->name; d++)
			json_array_append_new(all, cmd_def_json(d));
	}
	return all;
}
