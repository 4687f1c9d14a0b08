/*
 * cmd_table.c - the command table: the domain list main.c hands over,
 * looked up by name.  Written once on the main thread before any other
 * thread starts, read-only afterwards.
 */
#include <stdio.h>
#include <string.h>

#include "server/cmd/cmd.h"

static const struct cmd_domain *const *domains;

int cmd_table_init(const struct cmd_domain *const *list,
		   const struct sb_config *cfg, char *err, size_t errlen)
{
	char why[256] = "";

	domains = list;
	for (const struct cmd_domain *const *d = list; *d; d++) {
		int rc = (*d)->init ? (*d)->init(cfg, why, sizeof(why)) : 0;

		if (rc) {
			snprintf(err, errlen, "commands %s: %s", (*d)->name,
				 why);
			return rc;
		}
	}
	return 0;
}

const struct cmd_def *cmd_lookup(const char *name,
				 const struct cmd_domain **dom)
{
	for (const struct cmd_domain *const *dm = domains; dm && *dm; dm++) {
		for (const struct cmd_def *d = (*dm)->defs; d->name; d++) {
			if (strcmp(d->name, name) == 0) {
				if (dom)
					*dom = *dm;
				return d;
			}
		}
	}
	return NULL;
}

const struct cmd_def *cmd_find(const char *name)
{
	return cmd_lookup(name, NULL);
}

json_t *cmd_table_json(void)
{
	json_t *all = json_array();

	for (const struct cmd_domain *const *dm = domains; dm && *dm; dm++) {
		for (const struct cmd_def *d = (*dm)->defs; d->name; d++)
			json_array_append_new(all, cmd_def_json(d));
	}
	return all;
}
