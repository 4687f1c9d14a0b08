/*
 * subsys_table.h - the list of subsystems stagebox-rt runs (see
 * subsys_table.c); only main.c uses it, to hand it to the engine.
 */
#ifndef SB_SUBSYS_TABLE_H
#define SB_SUBSYS_TABLE_H

#include <stddef.h>

#include "rt/core/subsys.h"

/* Processing order; never changes at run time. */
extern const struct sb_subsys *const sb_subsys_table[];
extern const size_t sb_subsys_table_len;

#endif
