/*
 * patch_json.c - patch graph, id lists and errors as JSON.
 */
#include "server/patch/patch_json.h"

static json_t *param_value(const struct pg_param *p)
{
	if (p->text)
		return json_string(p->text);
	if (p->word)
		return json_string(p->word);
	return json_real(p->value);
}

static json_t *node_json(const struct pg_node *n)
{
	json_t *params = json_object();

	for (uint32_t k = 0; params && k < n->n_params; k++)
		json_object_set_new(params, n->params[k].name,
				    param_value(&n->params[k]));
	return json_pack("{s:s, s:s, s:o*}", "id", n->id, "type", n->type,
			 "params", params);
}

/* any thread */
json_t *pj_graph(const struct pg_graph *g)
{
	json_t *nodes = json_array(), *edges = json_array();

	for (uint32_t i = 0; nodes && i < g->n_nodes; i++)
		json_array_append_new(nodes, node_json(&g->nodes[i]));
	for (uint32_t i = 0; edges && i < g->n_edges; i++)
		json_array_append_new(edges, json_pack(
			"{s:s, s:s, s:f}", "from", g->edges[i].from, "to",
			g->edges[i].to, "scale", (double)g->edges[i].scale));
	return json_pack("{s:o*, s:o*}", "nodes", nodes, "edges", edges);
}

/* any thread */
json_t *pj_ids(const struct pc_ids *ids)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a && i < ids->n; i++)
		json_array_append_new(a, json_string(ids->id[i]));
	return a;
}

/* any thread */
json_t *pj_error(const struct patch_err *e)
{
	json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", e->msg);

	if (o && e->line > 0) {
		json_object_set_new(o, "line", json_integer(e->line));
		json_object_set_new(o, "column", json_integer(e->col));
	}
	return o;
}
