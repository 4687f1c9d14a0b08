/*
 * patch_resolve.c - give the syntax tree its meaning: module types,
 * parameter values, ports, the built-in in/out nodes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/patch/patch_cc.h"
#include "server/patch/patch_pattern.h"

/* "a, b, c" of up to n names taken by get(i), into buf. */
static const char *join(char *buf, size_t len, uint32_t n,
			const char *(*get)(const struct sb_mod_def *, uint32_t),
			const struct sb_mod_def *d)
{
	size_t at = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s",
				       i ? ", " : "", get(d, i));
	if (n == 0)
		snprintf(buf, len, "none");
	return buf;
}

static const char *in_name(const struct sb_mod_def *d, uint32_t i)
{
	return d->inputs[i].name;
}

static const char *out_name(const struct sb_mod_def *d, uint32_t i)
{
	return d->outputs[i].name;
}

static const char *par_name(const struct sb_mod_def *d, uint32_t i)
{
	return d->params[i].name;
}

static const char *choice(const struct sb_param_def *pd, uint32_t i)
{
	return pd->choices[i];
}

static int find_param(const struct sb_mod_def *d, const char *name)
{
	for (uint32_t k = 0; k < d->n_params; k++)
		if (!strcmp(d->params[k].name, name))
			return (int)k;
	return -1;
}

static const char *kind_word(enum pp_val_kind k)
{
	static const char *const w[] = { "a number", "a word", "a string",
					 "a list" };
	return w[k];
}

/* Numbers; note names (Hz params: the note's frequency). */
static int value_num(struct cc *c, const struct sb_param_def *pd,
		     const struct pp_value *v, float *out)
{
	double x = v->num;
	int midi;

	if (v->kind == PP_VAL_WORD && ppat_note(v->text, strlen(v->text),
						&midi) == 0) {
		if (!pd->unit || strcmp(pd->unit, "Hz"))
			return patch_errf(c->e, v->pos, "wrong value type for "
					  "'%s': a note name only works for a "
					  "Hz parameter", pd->name);
		x = ppat_midi_hz(midi);
	} else if (v->kind != PP_VAL_NUM) {
		return patch_errf(c->e, v->pos, "wrong value type for '%s': "
				  "expected a number%s, got %s%s%s%s",
				  pd->name, pd->unit && !strcmp(pd->unit, "Hz")
				  ? " or a note name" : "", kind_word(v->kind),
				  v->text ? " '" : "", v->text ? v->text : "",
				  v->text ? "'" : "");
	}
	if (!isfinite(x) || x < pd->min || x > pd->max)
		return patch_errf(c->e, v->pos, "value out of range: '%s' is "
				  "%g .. %g%s%s, got %g", pd->name,
				  (double)pd->min, (double)pd->max,
				  pd->unit && *pd->unit ? " " : "",
				  pd->unit ? pd->unit : "", x);
	*out = (float)x;
	return 0;
}

static int value_enum(struct cc *c, const struct sb_param_def *pd,
		      const struct pp_value *v, float *out)
{
	uint32_t n = 0;
	char list[256];
	size_t at = 0;

	while (pd->choices && pd->choices[n])
		n++;
	for (uint32_t i = 0; v->text && i < n; i++) {
		if (!strcmp(pd->choices[i], v->text)) {
			*out = (float)i;
			return 0;
		}
	}
	for (uint32_t i = 0; i < n && at < sizeof(list); i++)
		at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s",
				       i ? ", " : "", choice(pd, i));
	if (v->kind == PP_VAL_WORD || v->kind == PP_VAL_STR)
		return patch_errf(c->e, v->pos, "unknown value '%s' for '%s' "
				  "(choices: %s)", v->text, pd->name, list);
	return patch_errf(c->e, v->pos, "wrong value type for '%s': expected "
			  "one of %s, got %s", pd->name, list,
			  kind_word(v->kind));
}

/* A text param: a seq pattern, compiled into the node's data. */
static int value_text(struct cc *c, struct cc_node *n,
		      const struct sb_param_def *pd, const struct pp_value *v)
{
	char msg[160];
	size_t off = 0;
	int rc;

	if (v->kind != PP_VAL_STR)
		return patch_errf(c->e, v->pos, "wrong value type for '%s': "
				  "expected a string, got %s", pd->name,
				  kind_word(v->kind));
	free(n->data);
	n->data = NULL;
	rc = ppat_compile(v->text, strlen(v->text), &n->data, &n->data_bytes,
			  &off, msg, sizeof(msg));
	if (rc == -EINVAL)
		return patch_errf(c->e, (struct patch_pos){
			v->pos.line, v->pos.col + 1 + (int)off },
			"bad pattern: %s", msg);
	return rc ? cc_fail(c, rc, msg) : 0;
}

static int set_param(struct cc *c, struct cc_node *n, const struct pp_param *pa)
{
	char names[256];
	int k = find_param(n->def, pa->name);
	const struct sb_param_def *pd;

	if (k < 0)
		return patch_errf(c->e, pa->pos, "unknown parameter '%s' on "
				  "'%s' (%s has %s)", pa->name, n->id,
				  n->def->type, join(names, sizeof(names),
				  n->def->n_params, par_name, n->def));
	pd = &n->def->params[k];
	if (pd->kind == SB_PK_ENUM)
		return value_enum(c, pd, &pa->val, &n->par[k]);
	if (pd->kind == SB_PK_TEXT)
		return value_text(c, n, pd, &pa->val);
	return value_num(c, pd, &pa->val, &n->par[k]);
}

/* A new cc node of type def, parameters at their defaults. */
static struct cc_node *add_node(struct cc *c, const char *id,
				const struct sb_mod_def *def, uint32_t type,
				struct patch_pos pos)
{
	struct cc_node *n = &c->nodes[c->n_nodes++];

	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->def = def;
	n->type = type;
	n->pos = pos;
	n->prev = -1;
	n->delay = !strcmp(def->type, "delay");
	for (uint32_t k = 0; k < def->n_params; k++)
		n->par[k] = def->params[k].kind == SB_PK_NUM ?
			    def->params[k].def : 0.0f;
	return n;
}

static int resolve_node(struct cc *c, const struct pp_node *an)
{
	uint32_t type;
	const struct sb_mod_def *def = sb_mod_find(an->type, &type);
	struct cc_node *n;
	int rc = 0;

	if (!def)
		return patch_errf(c->e, an->type_pos, "unknown module type "
				  "'%s'", an->type);
	if (!strcmp(an->type, "in") || !strcmp(an->type, "out"))
		return patch_errf(c->e, an->type_pos, "'%s' is built in: "
				  "connect to it as %s", an->type,
				  an->type[0] == 'i' ? "in.1, in.2 ..."
						     : "out.left, out.right");
	if (def->n_params > SB_MOD_MAX_PARAMS ||
	    def->n_inputs > SB_MOD_MAX_PORTS ||
	    def->n_outputs > SB_MOD_MAX_PORTS)
		return patch_errf(c->e, an->type_pos, "module type '%s' is "
				  "malformed", an->type);
	n = add_node(c, an->id, def, type, an->pos);
	for (uint32_t i = 0; i < an->n_params && rc == 0; i++) {
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(an->params[j].name, an->params[i].name))
				return patch_errf(c->e, an->params[i].pos,
						  "duplicate parameter '%s'",
						  an->params[i].name);
		rc = set_param(c, n, &an->params[i]);
	}
	return rc;
}

static int by_id_cmp(const void *a, const void *b, void *arg)
{
	const struct cc_node *n = arg;

	return strcmp(n[*(const uint32_t *)a].id, n[*(const uint32_t *)b].id);
}

/*
 * c->by_id: the defined nodes sorted by id, so that thousands of
 * connections find their ends by bisection, not by a scan each.
 */
static int index_ids(struct cc *c)
{
	c->by_id = malloc((c->n_nodes + 1) * sizeof(*c->by_id));
	if (!c->by_id)
		return cc_fail(c, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < c->n_nodes; i++)
		c->by_id[i] = i;
	qsort_r(c->by_id, c->n_nodes, sizeof(*c->by_id), by_id_cmp, c->nodes);
	return 0;
}

/* The defined node with this id: 0 with *idx, or -1. */
static int find_defined(const struct cc *c, uint32_t n_defined,
			const char *id, uint32_t *idx)
{
	uint32_t lo = 0, hi = n_defined;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int d = strcmp(c->nodes[c->by_id[mid]].id, id);

		if (d == 0) {
			*idx = c->by_id[mid];
			return 0;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The node an endpoint names; in/out appear on first use. */
static int end_node(struct cc *c, const struct pp_end *e, uint32_t *idx)
{
	const struct sb_mod_def *def;
	uint32_t type, n_defined = c->ast.n_nodes;

	if (find_defined(c, n_defined, e->node, idx) == 0)
		return 0;
	for (uint32_t i = n_defined; i < c->n_nodes; i++) {	/* in, out */
		if (!strcmp(c->nodes[i].id, e->node)) {
			*idx = i;
			return 0;
		}
	}
	if (strcmp(e->node, "in") && strcmp(e->node, "out"))
		return patch_errf(c->e, e->pos, "unknown node '%s'", e->node);
	if (!(def = sb_mod_find(e->node, &type)))
		return patch_errf(c->e, e->pos, "this build has no built-in "
				  "'%s'", e->node);
	if (c->n_nodes >= SB_PLAN_MAX_NODES)
		return patch_errf(c->e, e->pos, "too many modules (max %d)",
				  SB_PLAN_MAX_NODES);
	*idx = c->n_nodes;
	add_node(c, e->node, def, type, e->pos);
	return 0;
}

static int find_port(const struct sb_port_def *p, uint32_t n, const char *s)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(p[i].name, s))
			return (int)i;
	return -1;
}

/* The destination port: a signal input, or a numeric parameter. */
static int dest_port(struct cc *c, const struct pp_end *e, struct cc_conn *cn)
{
	const struct sb_mod_def *d = c->nodes[cn->to].def;
	char ins[200], pars[200];
	int k = find_port(d->inputs, d->n_inputs, e->port);

	if (k >= 0) {
		cn->kind = SB_CONN_INPUT;
		cn->index = (uint32_t)k;
		return 0;
	}
	if ((k = find_param(d, e->port)) < 0)
		return patch_errf(c->e, e->port_pos, "unknown port '%s' on '%s' "
				  "(%s has inputs %s; parameters %s)", e->port,
				  e->node, d->type, join(ins, sizeof(ins),
				  d->n_inputs, in_name, d), join(pars,
				  sizeof(pars), d->n_params, par_name, d));
	if (d->params[k].kind != SB_PK_NUM)
		return patch_errf(c->e, e->port_pos, "parameter '%s' of '%s' "
				  "cannot take a connection", e->port, e->node);
	cn->kind = SB_CONN_PARAM;
	cn->index = (uint32_t)k;
	return 0;
}

static int resolve_conn(struct cc *c, const struct pp_conn *pc)
{
	struct cc_conn *cn = &c->conns[c->n_conns];
	const struct sb_mod_def *d;
	char outs[200];
	int k, rc;

	memset(cn, 0, sizeof(*cn));
	cn->scale = (float)pc->scale;
	cn->pos = pc->pos;
	if ((rc = end_node(c, &pc->from, &cn->from)) != 0 ||
	    (rc = end_node(c, &pc->to, &cn->to)) != 0)
		return rc;
	d = c->nodes[cn->from].def;
	if ((k = find_port(d->outputs, d->n_outputs, pc->from.port)) < 0)
		return patch_errf(c->e, pc->from.port_pos, "unknown output "
				  "'%s' on '%s' (%s has outputs %s)",
				  pc->from.port, pc->from.node, d->type,
				  join(outs, sizeof(outs), d->n_outputs,
				       out_name, d));
	cn->out = (uint32_t)k;
	if ((rc = dest_port(c, &pc->to, cn)) != 0)
		return rc;
	c->n_conns++;
	return 0;
}

/*
 * Group the connections by destination (by_to) or source, keeping text
 * order (a counting sort filled backwards), so the sort and the plan
 * writer visit a node's connections instead of all of them per node.
 */
static int group_conns(struct cc *c, struct cc_adj *a, int by_to)
{
	a->first = calloc(c->n_nodes + 1, sizeof(*a->first));
	a->conn = malloc((c->n_conns + 1) * sizeof(*a->conn));
	if (!a->first || !a->conn)
		return cc_fail(c, -ENOMEM, "out of memory");
	for (uint32_t k = 0; k < c->n_conns; k++)
		a->first[by_to ? c->conns[k].to : c->conns[k].from]++;
	for (uint32_t v = 1; v < c->n_nodes; v++)	/* range ends */
		a->first[v] += a->first[v - 1];
	a->first[c->n_nodes] = c->n_conns;
	for (uint32_t k = c->n_conns; k-- > 0;)	/* ends become starts */
		a->conn[--a->first[by_to ? c->conns[k].to
					 : c->conns[k].from]] = k;
	return 0;
}

/* patch_cc.h */
int cc_resolve(struct cc *c)
{
	const struct pp_patch *a = &c->ast;
	int rc = 0;

	c->cap_nodes = a->n_nodes + 2;	/* + in, out */
	c->nodes = calloc(c->cap_nodes, sizeof(*c->nodes));
	c->conns = calloc(a->n_conns + 1, sizeof(*c->conns));
	if (!c->nodes || !c->conns)
		return cc_fail(c, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < a->n_nodes && rc == 0; i++)
		rc = resolve_node(c, &a->nodes[i]);
	if (rc == 0)
		rc = index_ids(c);
	for (uint32_t i = 0; i < a->n_conns && rc == 0; i++)
		rc = resolve_conn(c, &a->conns[i]);
	if (rc == 0)
		rc = group_conns(c, &c->in, 1);
	if (rc == 0)
		rc = group_conns(c, &c->out, 0);
	return rc;
}
