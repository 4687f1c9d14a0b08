/*
 * patch_sort.c - run order: Kahn's algorithm over the connections, in
 * definition order where the graph leaves a choice (so a patch always
 * compiles to the same plan).  A delay's outputs are read one sub-block
 * late, so its outgoing connections do not constrain the order - that
 * is the only way a cycle is allowed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/patch/patch_cc.h"

static int is_back_edge(const struct cc *c, const struct cc_conn *cn)
{
	return c->nodes[cn->from].delay;
}

/* Ready nodes are taken lowest index first: a tiny binary heap. */
struct minheap {
	uint32_t *v;
	uint32_t n;
};

static void mh_push(struct minheap *h, uint32_t x)
{
	uint32_t i = h->n++;

	while (i > 0 && h->v[(i - 1) / 2] > x) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
}

static uint32_t mh_pop(struct minheap *h)
{
	uint32_t top = h->v[0], x = h->v[--h->n], i = 0, k;

	while ((k = 2 * i + 1) < h->n) {
		if (k + 1 < h->n && h->v[k + 1] < h->v[k])
			k++;
		if (h->v[k] >= x)
			break;
		h->v[i] = h->v[k];
		i = k;
	}
	h->v[i] = x;
	return top;
}

static void append(char *msg, size_t len, size_t *at, const char *s)
{
	if (*at < len)
		*at += (size_t)snprintf(msg + *at, len - *at, "%s", s);
}

/* "a -> b -> a" from the cycle path[start..len-1], walked backwards. */
static void cycle_text(const struct cc *c, const uint32_t *path,
		       uint32_t start, uint32_t len, char *msg, size_t mlen)
{
	size_t at = 0;

	append(msg, mlen, &at, c->nodes[path[start]].id);
	for (uint32_t i = len; i > start; i--) {
		append(msg, mlen, &at, " -> ");
		append(msg, mlen, &at, c->nodes[path[i == start + 1 ? start
							  : i - 1]].id);
	}
}

/* The first live edge into v that does not come from a delay. */
static const struct cc_conn *live_pred(const struct cc *c,
				       const uint32_t *indeg, uint32_t v)
{
	for (uint32_t j = c->in.first[v]; j < c->in.first[v + 1]; j++) {
		const struct cc_conn *cn = &c->conns[c->in.conn[j]];

		if (indeg[cn->from] && !is_back_edge(c, cn))
			return cn;
	}
	return NULL;
}

/*
 * Nodes left over after Kahn all have a live edge in from another
 * leftover node, so walking back from one must close a cycle.  The error
 * points at the connection that closes it back into its first node.
 */
static int report_cycle(struct cc *c, const uint32_t *indeg)
{
	uint32_t *path = calloc(c->n_nodes, sizeof(*path));
	uint32_t *seen = calloc(c->n_nodes, sizeof(*seen));
	const struct cc_conn **via = malloc(c->n_nodes * sizeof(*via));
	uint32_t v = 0, len = 0, start;
	struct patch_pos at;
	char msg[240];

	if (!path || !seen || !via) {
		free(path);
		free(seen);
		free(via);
		return cc_fail(c, -ENOMEM, "out of memory");
	}
	while (indeg[v] == 0)
		v++;
	while (!seen[v]) {	/* seen[v] = 1 + its place on the path */
		seen[v] = ++len;
		path[len - 1] = v;
		via[len - 1] = live_pred(c, indeg, v);
		v = via[len - 1]->from;
	}
	start = seen[v] - 1;
	cycle_text(c, path, start, len, msg, sizeof(msg));
	at = via[start]->pos;
	free(path);
	free(seen);
	free(via);
	return patch_errf(c->e, at, "a cycle with no delay in it: %s", msg);
}

/* patch_cc.h */
int cc_sort(struct cc *c)
{
	uint32_t *indeg = calloc(c->n_nodes, sizeof(*indeg));
	struct minheap h = { .v = malloc(c->n_nodes * sizeof(uint32_t)) };
	uint32_t done = 0;
	int rc = 0;

	c->order = malloc(c->n_nodes * sizeof(*c->order));
	if (!indeg || !h.v || !c->order) {
		rc = cc_fail(c, -ENOMEM, "out of memory");
		goto free_tmp;
	}
	for (uint32_t k = 0; k < c->n_conns; k++)
		if (!is_back_edge(c, &c->conns[k]))
			indeg[c->conns[k].to]++;
	for (uint32_t i = 0; i < c->n_nodes; i++)
		if (indeg[i] == 0)
			mh_push(&h, i);
	while (h.n > 0) {
		uint32_t v = mh_pop(&h);

		c->order[done++] = v;
		for (uint32_t j = c->out.first[v]; j < c->out.first[v + 1];
		     j++) {
			const struct cc_conn *cn = &c->conns[c->out.conn[j]];

			if (!is_back_edge(c, cn) && --indeg[cn->to] == 0)
				mh_push(&h, cn->to);
		}
	}
	if (done < c->n_nodes)
		rc = report_cycle(c, indeg);
free_tmp:
	free(indeg);
	free(h.v);
	return rc;
}
