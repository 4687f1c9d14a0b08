/*
 * patch_state.c - heap blocks of a plan: carry a node's state over from
 * the previous plan when its id, type and shape parameters match (the
 * engine keeps running the old plan on those very blocks until the swap,
 * so a kept block is never written here), allocate and init the rest,
 * and work out what becomes free once the previous plan is retired.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/patch/patch_cc.h"

/* The previous plan, if there is one this build can read. */
static const struct sb_plan_hdr *prev_plan(const struct cc *c)
{
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)c->t->prev;

	if (!h || h->magic != SB_PLAN_MAGIC || h->version != SB_PLAN_VERSION)
		return NULL;
	return h;
}

/* ... and whose state can carry over (not at another rate). */
static const struct sb_plan_hdr *prev_hdr(const struct cc *c)
{
	const struct sb_plan_hdr *h = prev_plan(c);

	return h && h->rate == c->t->rate ? h : NULL;
}

static const struct sb_plan_node *plan_nodes(const uint8_t *slot)
{
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)slot;

	return (const struct sb_plan_node *)(slot + h->nodes_off);
}

/* Same type and the same value for every shape parameter. */
static int same_shape(const struct cc_node *n, const uint8_t *slot,
		      const struct sb_plan_node *pn)
{
	const float *par = (const float *)(slot + pn->param_off);

	if (pn->type != n->type)
		return 0;
	for (uint32_t k = 0; k < n->def->n_params; k++)
		if (n->def->params[k].shape && par[k] != n->par[k])
			return 0;
	return 1;
}

static void match_prev(struct cc *c)
{
	const struct sb_plan_hdr *h = prev_hdr(c);
	const struct sb_plan_node *pn;

	if (!h)
		return;
	pn = plan_nodes(c->t->prev);
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		struct cc_node *n = &c->nodes[i];

		for (uint32_t k = 0; k < h->n_nodes; k++) {
			if (strncmp(pn[k].id, n->id, SB_NODE_ID_MAX))
				continue;
			if (same_shape(n, c->t->prev, &pn[k])) {
				n->prev = (int)k;
				n->state_off = pn[k].state_off;
			}
			break;
		}
	}
}

/* One fresh zeroed block, remembered for rollback. */
static int alloc_block(struct cc *c, uint64_t bytes, uint64_t *off)
{
	struct pc_result *r = c->r;
	char msg[200];
	int rc = ph_alloc(c->t->heap, bytes, off, msg, sizeof(msg));

	if (rc)
		return cc_fail(c, rc, msg);
	r->fresh[r->n_fresh++] = *off;
	memset(c->t->heap->base + *off, 0, ph_round(bytes));
	return 0;
}

static int fresh_state(struct cc *c, struct cc_node *n)
{
	size_t bytes = SB_NODE_STATE_BYTES +
		       n->def->state_size(n->par, c->t->rate);
	struct sb_node_state *st;
	int rc = alloc_block(c, bytes, &n->state_off);

	if (rc)
		return rc;
	st = (struct sb_node_state *)(c->t->heap->base + n->state_off);
	st->n_params = n->def->n_params;
	if (n->def->init)
		n->def->init((uint8_t *)st + SB_NODE_STATE_BYTES, n->par,
			     c->t->rate);
	return 0;
}

/*
 * Run position of the last node that reads any output of each node (its
 * own position if none does); UINT32_MAX for a delay, whose outputs are
 * read one sub-block late, so they must outlive the sub-block.
 */
static int last_reads(const struct cc *c, uint32_t *last)
{
	uint32_t *pos = malloc(c->n_nodes * sizeof(*pos));

	if (!pos)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		pos[c->order[i]] = i;
		last[c->order[i]] = i;
	}
	for (uint32_t k = 0; k < c->n_conns; k++) {
		const struct cc_conn *cn = &c->conns[k];

		if (pos[cn->to] > last[cn->from])
			last[cn->from] = pos[cn->to];
	}
	for (uint32_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].delay)
			last[i] = UINT32_MAX;
	free(pos);
	return 0;
}

/* The lowest n consecutive buffers (from 1) free at run position i. */
static uint32_t free_run(const uint32_t *busy, uint32_t cap, uint32_t n,
			 uint32_t i)
{
	uint32_t b = 1, len = 0;

	while (len < n && b + len < cap) {
		if (busy[b + len] <= i) {
			len++;
			continue;
		}
		b += len + 1;
		len = 0;
	}
	return b;
}

/* Node n's outputs into the lowest free run at position i; till last. */
static void place(struct cc_node *n, uint32_t *busy, uint32_t cap,
		  uint32_t i, uint32_t last, uint32_t *n_bufs)
{
	uint32_t b = free_run(busy, cap, n->def->n_outputs, i);

	for (uint32_t j = 0; j < n->def->n_outputs; j++)
		busy[b + j] = last == UINT32_MAX ? UINT32_MAX : last + 1;
	n->out_buf = b;
	if (b + n->def->n_outputs > *n_bufs)
		*n_bufs = b + n->def->n_outputs;
}

/*
 * Signal buffers: buffer 0 is the zero buffer; a node's outputs take the
 * lowest free consecutive buffers, held until the last node reading them
 * has run, so the buffers in use stay few and in cache.  A delay's are
 * read a sub-block late, possibly by nodes before it: they are placed
 * first and never shared.  busy[b]: the run position from which b is
 * free again (UINT32_MAX never).
 */
static int assign_bufs(struct cc *c)
{
	uint32_t cap = 1, *last, *busy;
	int rc = -ENOMEM;

	for (uint32_t i = 0; i < c->n_nodes; i++)
		cap += c->nodes[i].def->n_outputs;
	last = malloc((c->n_nodes + 1) * sizeof(*last));
	busy = calloc(cap + 1, sizeof(*busy));
	if (!last || !busy || last_reads(c, last))
		goto free_tmp;
	c->n_bufs = 1;
	for (int pinned = 1; pinned >= 0; pinned--)
		for (uint32_t i = 0; i < c->n_nodes; i++) {
			uint32_t v = c->order[i];

			if ((last[v] == UINT32_MAX) == pinned)
				place(&c->nodes[v], busy, cap, pinned ? 0 : i,
				      last[v], &c->n_bufs);
		}
	rc = 0;
free_tmp:
	free(last);
	free(busy);
	return rc;
}

/* patch_cc.h */
int cc_state(struct cc *c)
{
	struct pc_result *r = c->r;
	int rc = 0;

	if (!c->t->heap || !c->t->heap->base)
		return cc_fail(c, -EINVAL, "no DSP heap mapped");
	r->fresh = calloc(c->n_nodes + 1, sizeof(*r->fresh));
	if (!r->fresh || assign_bufs(c))
		return cc_fail(c, -ENOMEM, "out of memory");
	match_prev(c);
	for (uint32_t i = 0; i < c->n_nodes && rc == 0; i++)
		if (c->nodes[i].prev < 0)
			rc = fresh_state(c, &c->nodes[i]);
	if (rc == 0)
		rc = alloc_block(c, (uint64_t)c->n_bufs * SB_PLAN_BLOCK *
				 sizeof(float), &c->bufs_off);
	return rc;
}

/* patch_cc.h: give back what this compile allocated. */
void cc_state_rollback(struct cc *c)
{
	struct pc_result *r = c->r;

	for (uint32_t i = 0; i < r->n_fresh; i++)
		ph_free(c->t->heap, r->fresh[i]);
	r->n_fresh = 0;
}

static int add_id(struct pc_ids *ids, const char *id, uint32_t cap)
{
	if (!ids->id && !(ids->id = calloc(cap ? cap : 1, sizeof(*ids->id))))
		return -ENOMEM;
	snprintf(ids->id[ids->n++], SB_NODE_ID_MAX, "%s", id);
	return 0;
}

/* Removed ids and their blocks, plus the previous signal buffers. */
static int report_prev(struct cc *c, uint8_t *used)
{
	const struct sb_plan_hdr *h = prev_plan(c);
	const struct sb_plan_node *pn;
	struct pc_result *r = c->r;

	if (!h)
		return 0;
	pn = plan_nodes(c->t->prev);
	r->freeable = calloc(h->n_nodes + 1, sizeof(*r->freeable));
	if (!r->freeable)
		return -ENOMEM;
	for (uint32_t k = 0; k < h->n_nodes; k++) {
		if (used[k])
			continue;
		if (add_id(&r->removed, pn[k].id, h->n_nodes))
			return -ENOMEM;
		r->freeable[r->n_freeable++] = pn[k].state_off;
	}
	r->freeable[r->n_freeable++] = h->bufs_off;
	return 0;
}

/* patch_cc.h: kept / added / removed ids, freeable blocks. */
int cc_report(struct cc *c)
{
	const struct sb_plan_hdr *h = prev_plan(c);
	uint8_t *used = calloc(h ? h->n_nodes + 1 : 1, 1);
	int rc = used ? 0 : -ENOMEM;

	for (uint32_t i = 0; i < c->n_nodes && rc == 0; i++) {
		const struct cc_node *n = &c->nodes[i];

		if (n->prev >= 0)
			used[n->prev] = 1;
		rc = add_id(n->prev >= 0 ? &c->r->kept : &c->r->added, n->id,
			    c->n_nodes);
	}
	if (rc == 0)
		rc = report_prev(c, used);
	free(used);
	return rc ? cc_fail(c, rc, "out of memory") : 0;
}
