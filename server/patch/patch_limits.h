/*
 * patch_limits.h - every bound the patch language puts on its input, in
 * one place (the README's patch-language section lists them).
 *
 * Patch text arrives from anyone on the LAN, so every size and every
 * nesting the text controls has a ceiling: the compiler's recursion, its
 * loops and its allocations then stay small whatever it is fed.  The
 * numbers are far above what a musician writes; going over one is a
 * syntax error with a line and column like any other.
 */
#ifndef SB_PATCH_LIMITS_H
#define SB_PATCH_LIMITS_H

#include "rt/dsp/plan.h"
#include "rt/dsp/seq_data.h"

/* Bytes of patch text (the HTTP body and the watched file have the same). */
#define PATCH_TEXT_MAX (1u << 20)

/* Characters of an id, type, port or parameter name. */
#define PATCH_NAME_MAX (SB_NODE_ID_MAX - 1)

/* Bytes between the quotes of one string (a seq pattern). */
#define PATCH_STRING_MAX (64u * 1024u)

/* Numbers in one [..] list. */
#define PATCH_LIST_MAX 1024

/* Parameters written on one node (a module has at most 16). */
#define PATCH_PARAMS_MAX 64

/* Nodes (definitions plus the built-in in/out). */
#define PATCH_NODES_MAX SB_PLAN_MAX_NODES

/* Connections, a fan-out counting one per target. */
#define PATCH_CONNS_MAX 16384

/* |scale| of a connection (a float in the plan; also what stays audible). */
#define PATCH_SCALE_MAX 1e6

/*
 * Seq patterns: nesting of [..], <..> and *n together (each level is one
 * step of the pattern evaluator's recursion), the repeat factor of *n,
 * events over all distinct cycles, and distinct cycles.
 */
#define PATCH_PAT_DEPTH_MAX 32
#define PATCH_PAT_REPEAT_MAX 64
#define PATCH_PAT_EVENTS_MAX SB_SEQ_MAX_EVENTS
#define PATCH_PAT_CYCLES_MAX SB_SEQ_MAX_CYCLES

#endif
