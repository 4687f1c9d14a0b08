/*
 * patch_graph.h - a plan as plain structs for GET /api/v1/patch: nodes
 * with their parameter values, edges "node.port" -> "node.port" with
 * their scale.  Read from the plan itself, so it is right after a server
 * restart too.  patch_json.c turns it into JSON; this file knows nothing
 * of jansson.
 */
#ifndef SB_PATCH_GRAPH_H
#define SB_PATCH_GRAPH_H

#include <stdint.h>

#include "rt/dsp/plan.h"

#define PG_END_MAX (2 * SB_NODE_ID_MAX + 2)	/* "node.port" */

struct pg_param {
	const char *name;	/* module table */
	float value;		/* NUM: the target; ENUM: the index */
	const char *word;	/* ENUM: the choice, else NULL */
	const char *text;	/* TEXT: the source text (in the slot), or NULL */
};

struct pg_node {
	char id[SB_NODE_ID_MAX];
	const char *type;	/* module table */
	uint32_t n_params;
	struct pg_param params[SB_MOD_MAX_PARAMS];
};

struct pg_edge {
	char from[PG_END_MAX];	/* "lfo.out" */
	char to[PG_END_MAX];	/* "flt.cutoff" */
	float scale;
};

struct pg_graph {
	struct pg_node *nodes;	/* in run order */
	uint32_t n_nodes;
	struct pg_edge *edges;
	uint32_t n_edges;
};

/*
 * The graph of a valid plan (sb_plan_check passed).  Strings point into
 * the module table and the slot: use *g while the slot is unchanged.  0,
 * -EPROTO (not a plan), -ENOMEM.  pg_free() it.
 */
/* thread: any */
int pg_export(const uint8_t *slot, struct pg_graph *g);
/* thread: any */
void pg_free(struct pg_graph *g);

#endif
