/*
 * patch_cc.h - the compiler's shared types, below the driver and its
 * stages: patch_compile.c calls patch_resolve.c, patch_sort.c and
 * patch_state.c, and all of them build on this file (patch_cc.c), so the
 * calls run one way.
 *
 * The target and the result (struct pc_target, pc_ids, pc_result) are
 * part of the compiler's interface and reach its users through
 * patch_compile.h.  struct cc and the cc_* stage functions are the
 * compiler's working state: not a public interface.
 */
#ifndef SB_PATCH_CC_H
#define SB_PATCH_CC_H

#include <stddef.h>
#include <stdint.h>

#include "rt/dsp/module.h"
#include "rt/dsp/plan.h"
#include "server/patch/patch_heap.h"
#include "server/patch/patch_lex.h"
#include "server/patch/patch_parse.h"

/* Where a compile writes, and what it may reuse. */
struct pc_target {
	uint8_t *slot;		/* a free slot: not the active or pending one */
	uint64_t slot_bytes;
	struct ph_heap *heap;	/* base must be mapped: init writes state */
	const uint8_t *prev;	/* the plan that will run just before this
				 * one (state reuse), or NULL */
	uint32_t rate;
	uint64_t serial;
};

/* Node ids, malloc'd (pc_result_free). */
struct pc_ids {
	char (*id)[SB_NODE_ID_MAX];
	uint32_t n;
};

/* What a compile did; pc_result_free() releases the lists. */
struct pc_result {
	uint32_t n_nodes;	/* including the built-in in/out */
	uint32_t n_bufs;
	uint64_t plan_bytes;
	struct pc_ids kept;	/* same id, type, shape: state carried over */
	struct pc_ids added;	/* fresh state (a changed type or shape is
				 * both removed and added) */
	struct pc_ids removed;
	uint64_t *freeable;	/* heap offsets used only by prev: ph_free
				 * them once prev is retired */
	uint32_t n_freeable;
	uint64_t *fresh;	/* heap offsets this compile allocated: ph_free
				 * them if the plan is never swapped in */
	uint32_t n_fresh;
	struct patch_err err;	/* on -EINVAL (or -ENOMEM / heap full) */
};

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
	int delay;			/* a delay: outputs read a sub-block
					 * late, so they may close a cycle */
};

struct cc_conn {
	uint32_t from, to;		/* node indices */
	uint32_t out;			/* output port on `from` */
	uint32_t kind, index;		/* enum sb_conn_kind, on `to` */
	float scale;
	struct patch_pos pos;
};

/* Connection indices grouped by node, in text order: conn[first[v] ..
 * first[v + 1]) are node v's. */
struct cc_adj {
	uint32_t *first;		/* n_nodes + 1 */
	uint32_t *conn;			/* n_conns */
};

struct cc {
	const struct pc_target *t;
	struct pc_result *r;
	struct patch_err *e;
	struct pp_patch ast;
	struct cc_node *nodes;
	uint32_t n_nodes, cap_nodes;
	uint32_t *by_id;		/* defined nodes' indices, sorted by id */
	struct cc_conn *conns;
	uint32_t n_conns;
	struct cc_adj in, out;		/* by destination, by source */
	uint32_t *order;		/* run order: node indices */
	uint32_t n_bufs;
	uint64_t bufs_off;
};

/* patch_resolve.c: AST nodes and connections -> cc nodes, conns, adj. */
/* thread: any */
int cc_resolve(struct cc *c);

/* patch_sort.c: c->order, or a "cycle with no delay" error. */
/* thread: any */
int cc_sort(struct cc *c);

/*
 * patch_state.c: reuse or allocate state and buffers in c->t->heap (the
 * heap owner: the server's worker, or the renderer); rollback gives this
 * compile's blocks back; report fills the result's ids and freeable list.
 */
/* thread: worker, main */
int cc_state(struct cc *c);
/* thread: worker, main */
void cc_state_rollback(struct cc *c);
/* thread: any */
int cc_report(struct cc *c);

/*
 * patch_cc.c: record an allocation failure or out-of-memory as a
 * position-less error in c->e; returns rc.
 */
/* thread: any */
int cc_fail(struct cc *c, int rc, const char *msg);

#endif
