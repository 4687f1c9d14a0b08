/*
 * commands.c - the command domains, in lookup order.  Adding a domain
 * touches this list and nothing else; main.c hands it to cmd_table_init.
 */
#include "server/cmd/cmd.h"
#include "server/wiring.h"

const struct cmd_domain *const cmd_domains[] = {
	&cmd_engine_domain,
	&cmd_looper_domain,
	&cmd_patch_domain,
	&cmd_jack_domain,
	&cmd_output_domain,
	&cmd_auth_domain,
	NULL,
};
