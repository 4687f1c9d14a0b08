/*
 * modules.c - the server's domain modules, in the order ctl.c calls them.
 * Adding a module touches this list and nothing else in ctl.c.
 */
#include "ctl.h"

const struct srv_module *const srv_modules[] = {
	NULL,
};
