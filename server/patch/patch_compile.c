/*
 * patch_compile.c - the compiler's driver and the plan slot writer.
 *
 * Slot layout: struct sb_plan_hdr, then struct sb_plan_node[n_nodes] in
 * run order, then per node its parameter targets, its connections and
 * its compiled text data, each 8-byte aligned.
 */
#include "server/patch/patch_compile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/patch/patch_cc.h"

/* Bump writer; with base NULL it only measures. */
struct sw {
	uint8_t *base;
	uint64_t at;
};

static uint64_t take(struct sw *w, uint64_t bytes)
{
	uint64_t off = (w->at + 7) & ~(uint64_t)7;

	w->at = off + bytes;
	return off;
}

static void put(struct sw *w, uint64_t off, const void *src, size_t n)
{
	if (w->base && n)
		memcpy(w->base + off, src, n);
}

static void write_conns(const struct cc *c, struct sw *w, uint32_t idx,
			struct sb_plan_node *pn)
{
	struct sb_plan_conn pc;

	pn->conn_off = take(w, 0);
	for (uint32_t j = c->in.first[idx]; j < c->in.first[idx + 1]; j++) {
		const struct cc_conn *cn = &c->conns[c->in.conn[j]];

		pc = (struct sb_plan_conn){
			.src_buf = c->nodes[cn->from].out_buf + cn->out,
			.kind = cn->kind, .index = cn->index,
			.scale = cn->scale };
		put(w, take(w, sizeof(pc)), &pc, sizeof(pc));
		pn->n_conns++;
	}
}

static void write_node(const struct cc *c, struct sw *w, uint32_t idx,
		       uint64_t node_off)
{
	const struct cc_node *n = &c->nodes[idx];
	struct sb_plan_node pn = { .type = n->type, .state_off = n->state_off,
				   .out_buf = n->out_buf };

	memcpy(pn.id, n->id, sizeof(pn.id));
	pn.param_off = take(w, n->def->n_params * sizeof(float));
	put(w, pn.param_off, n->par, n->def->n_params * sizeof(float));
	write_conns(c, w, idx, &pn);
	if (n->data) {
		pn.data_off = take(w, n->data_bytes);
		put(w, pn.data_off, n->data, n->data_bytes);
	}
	put(w, node_off, &pn, sizeof(pn));
}

static uint64_t write_plan(const struct cc *c, uint8_t *base)
{
	struct sw w = { .base = base };
	struct sb_plan_hdr h = {
		.magic = SB_PLAN_MAGIC, .version = SB_PLAN_VERSION,
		.serial = c->t->serial, .n_nodes = c->n_nodes,
		.n_bufs = c->n_bufs, .bufs_off = c->bufs_off,
		.rate = c->t->rate,
	};

	take(&w, sizeof(h));
	w.at = (w.at + 63) & ~(uint64_t)63;
	h.nodes_off = take(&w, (uint64_t)c->n_nodes *
			   sizeof(struct sb_plan_node));
	for (uint32_t i = 0; i < c->n_nodes; i++)
		write_node(c, &w, c->order[i], h.nodes_off +
			   i * sizeof(struct sb_plan_node));
	h.bytes = (w.at + 63) & ~(uint64_t)63;
	put(&w, 0, &h, sizeof(h));
	return h.bytes;
}

static int write_slot(struct cc *c)
{
	uint64_t need = write_plan(c, NULL);
	char msg[160];

	if (need > c->t->slot_bytes) {
		snprintf(msg, sizeof(msg), "the plan needs %llu bytes; a plan "
			 "slot has %llu (pool.plan_slot_bytes)",
			 (unsigned long long)need,
			 (unsigned long long)c->t->slot_bytes);
		return cc_fail(c, -ENOSPC, msg);
	}
	memset(c->t->slot, 0, need);
	c->r->plan_bytes = write_plan(c, c->t->slot);
	c->r->n_nodes = c->n_nodes;
	c->r->n_bufs = c->n_bufs;
	return 0;
}

static void cc_free(struct cc *c)
{
	for (uint32_t i = 0; c->nodes && i < c->n_nodes; i++)
		free(c->nodes[i].data);
	free(c->nodes);
	free(c->by_id);
	free(c->conns);
	free(c->in.first);
	free(c->in.conn);
	free(c->out.first);
	free(c->out.conn);
	free(c->order);
	pp_free(&c->ast);
}

/* heap owner thread */
int pc_compile(const char *text, size_t len, const struct pc_target *t,
	       struct pc_result *r)
{
	struct cc c = { .t = t, .r = r, .e = &r->err };
	int rc;

	memset(r, 0, sizeof(*r));
	rc = pp_parse(text, len, &c.ast, &r->err);
	if (rc == 0)
		rc = cc_resolve(&c);
	if (rc == 0)
		rc = cc_sort(&c);
	if (rc == 0)
		rc = cc_state(&c);
	if (rc == 0)
		rc = write_slot(&c);
	if (rc == 0)
		rc = cc_report(&c);
	if (rc)
		cc_state_rollback(&c);
	cc_free(&c);
	return rc;
}

/* heap owner thread */
void pc_result_free(struct pc_result *r)
{
	free(r->kept.id);
	free(r->added.id);
	free(r->removed.id);
	free(r->freeable);
	free(r->fresh);
	r->kept = r->added = r->removed = (struct pc_ids){ 0 };
	r->freeable = r->fresh = NULL;
	r->n_freeable = r->n_fresh = 0;
}

/* Heap block size of node k of a plan. */
static uint64_t state_bytes(const uint8_t *slot, const struct sb_plan_node *pn)
{
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)slot;
	const struct sb_mod_def *def = sb_mod_table[pn->type];

	return SB_NODE_STATE_BYTES +
	       def->state_size((const float *)(slot + pn->param_off), h->rate);
}

/* heap owner thread */
int pc_heap_mark_plan(struct ph_heap *h, const uint8_t *slot,
		      uint64_t slot_bytes, char *err, size_t errlen)
{
	const struct sb_plan_hdr *ph = (const struct sb_plan_hdr *)slot;
	const struct sb_plan_node *pn;
	int rc;

	if (sb_plan_check(slot, slot_bytes, h->size)) {
		snprintf(err, errlen, "not a valid plan");
		return -EPROTO;
	}
	pn = (const struct sb_plan_node *)(slot + ph->nodes_off);
	rc = ph_mark_used(h, ph->bufs_off, (uint64_t)ph->n_bufs *
			  SB_PLAN_BLOCK * sizeof(float));
	for (uint32_t k = 0; k < ph->n_nodes && (rc == 0 || rc == -EEXIST);
	     k++)
		rc = ph_mark_used(h, pn[k].state_off, state_bytes(slot, &pn[k]));
	if (rc == -EEXIST)
		rc = 0;
	if (rc)
		snprintf(err, errlen, "plan %llu: heap blocks overlap or lie "
			 "outside the heap", (unsigned long long)ph->serial);
	return rc;
}

/* any thread */
int pc_plan_blocks(const uint8_t *slot, uint64_t **offs, uint32_t *n)
{
	const struct sb_plan_hdr *ph = (const struct sb_plan_hdr *)slot;
	const struct sb_plan_node *pn;

	*n = 0;
	if (ph->magic != SB_PLAN_MAGIC || ph->version != SB_PLAN_VERSION)
		return -EPROTO;
	*offs = malloc((ph->n_nodes + 1) * sizeof(**offs));
	if (!*offs)
		return -ENOMEM;
	pn = (const struct sb_plan_node *)(slot + ph->nodes_off);
	for (uint32_t k = 0; k < ph->n_nodes; k++)
		(*offs)[(*n)++] = pn[k].state_off;
	(*offs)[(*n)++] = ph->bufs_off;
	return 0;
}
