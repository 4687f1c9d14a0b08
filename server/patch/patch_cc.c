/*
 * patch_cc.c - what the compiler's stages share (patch_cc.h): the one
 * way a stage reports a failure that has no place in the text.
 */
#include "server/patch/patch_cc.h"

#include <stdio.h>

/* patch_cc.h */
int cc_fail(struct cc *c, int rc, const char *msg)
{
	c->e->line = 0;
	c->e->col = 0;
	snprintf(c->e->msg, sizeof(c->e->msg), "%s", msg);
	return rc;
}
