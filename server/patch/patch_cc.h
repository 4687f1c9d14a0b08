/*
 * patch_cc.h - the compiler's working state, shared by its stages
 * (patch_compile.c drives; patch_resolve.c, patch_sort.c, patch_state.c).
 * Not a public interface.
 */
#ifndef SB_PATCH_CC_H
#define SB_PATCH_CC_H

#include "rt/dsp/module.h"
#include "rt/dsp/plan.h"
#include "server/patch/patch_compile.h"
#include "server/patch/patch_parse.h"

struct cc_node {
	char id[SB_NODE_ID_MAX];
	const struct sb_mod_def *def;
	uint32_t type;			/* index into sb_mod_table */
	struct patch_pos pos;
	float par[SB_MOD_MAX_PARAMS];	/* targets */
	void *data;			/* compiled text param, malloc'd */
	size_t data_bytes;
	uint32_t out_buf;
	uint64_t state_off;
	int prev;			/* index in the previous plan, -1 */
};

struct cc_conn {
	uint32_t from, to;		/* node indices */
	uint32_t out;			/* output port on `from` */
	uint32_t kind, index;		/* enum sb_conn_kind, on `to` */
	float scale;
	struct patch_pos pos;
};

struct cc {
	const struct pc_target *t;
	struct pc_result *r;
	struct patch_err *e;
	struct pp_patch ast;
	struct cc_node *nodes;
	uint32_t n_nodes, cap_nodes;
	struct cc_conn *conns;
	uint32_t n_conns;
	uint32_t *order;		/* run order: node indices */
	uint32_t n_bufs;
	uint64_t bufs_off;
};

/* patch_resolve.c: AST nodes and connections -> cc nodes and conns. */
int cc_resolve(struct cc *c);

/* patch_sort.c: c->order, or a "cycle with no delay" error. */
int cc_sort(struct cc *c);

/* patch_state.c: reuse or allocate state and buffers; rollback. */
int cc_state(struct cc *c);
void cc_state_rollback(struct cc *c);
int cc_report(struct cc *c);

/* Record an allocation failure or out-of-memory as a position-less error. */
int cc_fail(struct cc *c, int rc, const char *msg);

#endif
