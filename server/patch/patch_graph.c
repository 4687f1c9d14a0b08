/*
 * patch_graph.c - read a plan back into nodes and edges.
 */
#include "server/patch/patch_graph.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/dsp/seq_data.h"

static void fill_params(const uint8_t *slot, const struct sb_plan_node *pn,
			struct pg_node *n)
{
	const struct sb_mod_def *def = sb_mod_table[pn->type];
	const float *tgt = (const float *)(slot + pn->param_off);
	const struct sb_seq_data *d = pn->data_off ?
		(const struct sb_seq_data *)(slot + pn->data_off) : NULL;

	n->n_params = def->n_params;
	for (uint32_t k = 0; k < def->n_params; k++) {
		const struct sb_param_def *pd = &def->params[k];
		struct pg_param *p = &n->params[k];

		p->name = pd->name;
		p->value = tgt[k];
		if (pd->kind == SB_PK_ENUM && pd->choices)
			p->word = pd->choices[(uint32_t)tgt[k]];
		if (pd->kind == SB_PK_TEXT && d && d->magic == SB_SEQ_MAGIC)
			p->text = (const char *)d + d->text_off;
	}
}

/* Whether node k writes signal buffer b. */
static int owns(const struct sb_plan_node *nd, uint32_t k, uint32_t b)
{
	return b >= nd[k].out_buf &&
	       b < nd[k].out_buf + sb_mod_table[nd[k].type]->n_outputs;
}

/*
 * The node and port whose output node `reader` reads in signal buffer
 * b.  Buffers are reused along the run order, so that is the last writer
 * of b before the reader; a delay's (read a sub-block late, so possibly
 * from later in the order) is never shared.
 */
static void buf_owner(const uint8_t *slot, uint32_t reader, uint32_t b,
		      char *end, size_t len)
{
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)slot;
	const struct sb_plan_node *nd =
		(const struct sb_plan_node *)(slot + h->nodes_off);
	uint32_t k = reader;

	while (k > 0 && !owns(nd, k - 1, b))
		k--;
	if (k > 0) {
		k--;
	} else {	/* none before: a delay at or after the reader */
		k = reader;
		while (k < h->n_nodes && !owns(nd, k, b))
			k++;
	}
	if (k >= h->n_nodes) {
		snprintf(end, len, "?");
		return;
	}
	snprintf(end, len, "%.*s.%s", SB_NODE_ID_MAX, nd[k].id,
		 sb_mod_table[nd[k].type]->outputs[b - nd[k].out_buf].name);
}

static void add_edges(const uint8_t *slot, uint32_t k, struct pg_graph *g)
{
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)slot;
	const struct sb_plan_node *pn =
		(const struct sb_plan_node *)(slot + h->nodes_off) + k;
	const struct sb_mod_def *def = sb_mod_table[pn->type];
	const struct sb_plan_conn *cn =
		(const struct sb_plan_conn *)(slot + pn->conn_off);

	for (uint32_t c = 0; c < pn->n_conns; c++) {
		struct pg_edge *e = &g->edges[g->n_edges++];
		const char *port = cn[c].kind == SB_CONN_INPUT ?
				   def->inputs[cn[c].index].name :
				   def->params[cn[c].index].name;

		buf_owner(slot, k, cn[c].src_buf, e->from, sizeof(e->from));
		snprintf(e->to, sizeof(e->to), "%.*s.%s", SB_NODE_ID_MAX,
			 pn->id, port);
		e->scale = cn[c].scale;
	}
}

/* any thread */
int pg_export(const uint8_t *slot, struct pg_graph *g)
{
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)slot;
	const struct sb_plan_node *nd;
	uint32_t n_conns = 0;

	memset(g, 0, sizeof(*g));
	if (h->magic != SB_PLAN_MAGIC || h->version != SB_PLAN_VERSION)
		return -EPROTO;
	nd = (const struct sb_plan_node *)(slot + h->nodes_off);
	for (uint32_t k = 0; k < h->n_nodes; k++)
		n_conns += nd[k].n_conns;
	g->nodes = calloc(h->n_nodes + 1, sizeof(*g->nodes));
	g->edges = calloc(n_conns + 1, sizeof(*g->edges));
	if (!g->nodes || !g->edges) {
		pg_free(g);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < h->n_nodes; k++) {
		struct pg_node *n = &g->nodes[g->n_nodes++];

		memcpy(n->id, nd[k].id, SB_NODE_ID_MAX);
		n->id[SB_NODE_ID_MAX - 1] = '\0';
		n->type = sb_mod_table[nd[k].type]->type;
		fill_params(slot, &nd[k], n);
		add_edges(slot, k, g);
	}
	return 0;
}

/* any thread */
void pg_free(struct pg_graph *g)
{
	free(g->nodes);
	free(g->edges);
	memset(g, 0, sizeof(*g));
}
