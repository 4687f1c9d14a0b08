/*
 * patch_parse.c - recursive descent over the patch language, one token of
 * lookahead.  Each grammar rule is one small function.
 */
#include "server/patch/patch_parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/patch/patch_limits.h"

struct parser {
	struct plex lx;
	struct plex_token tok;	/* the lookahead */
	struct pp_patch *p;
	struct patch_err *e;
	int skip_nl;		/* inside parentheses: newlines are blanks */
};

static int next(struct parser *ps)
{
	int rc;

	do {
		rc = plex_next(&ps->lx, &ps->tok, ps->e);
	} while (rc == 0 && ps->skip_nl && ps->tok.kind == PLEX_NL);
	return rc;
}

/* "expected X, got Y" at the lookahead. */
static int expected(struct parser *ps, const char *what)
{
	const struct plex_token *t = &ps->tok;

	if (t->kind == PLEX_IDENT || t->kind == PLEX_NUM)
		return patch_errf(ps->e, t->pos, "expected %s, got '%.*s'",
				  what, (int)t->len, t->text);
	return patch_errf(ps->e, t->pos, "expected %s, got %s", what,
			  plex_kind_name(t->kind));
}

static int expect(struct parser *ps, enum plex_kind k, const char *what)
{
	if (ps->tok.kind != k)
		return expected(ps, what);
	return next(ps);
}

/* A name token longer than a name may be. */
static int too_long(struct parser *ps)
{
	const struct plex_token *t = &ps->tok;

	return patch_errf(ps->e, t->pos, "name '%.*s' is longer than %d "
			  "characters", (int)t->len, t->text, PATCH_NAME_MAX);
}

/* Copy a name token into a fixed buffer. */
static int take_name(struct parser *ps, char *dst, const char *what)
{
	const struct plex_token *t = &ps->tok;

	if (t->kind != PLEX_IDENT)
		return expected(ps, what);
	if (t->len > PATCH_NAME_MAX)
		return too_long(ps);
	memcpy(dst, t->text, t->len);
	dst[t->len] = '\0';
	return next(ps);
}

/* Grow an array of elem-sized items so one more fits. */
static int grow(void **arr, uint32_t n, uint32_t *cap, size_t elem)
{
	uint32_t ncap = *cap ? *cap * 2 : 16;
	void *a;

	if (n < *cap)
		return 0;
	a = realloc(*arr, (size_t)ncap * elem);
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = ncap;
	return 0;
}

/* "...": resolve \" and \\ into a fresh string. */
static char *unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len &&
		    (s[i + 1] == '"' || s[i + 1] == '\\'))
			i++;
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* '[' [number {',' number}] ']' */
static int parse_list(struct parser *ps, struct pp_value *v)
{
	uint32_t cap = 0;
	int rc = next(ps);

	v->kind = PP_VAL_LIST;
	while (rc == 0 && ps->tok.kind != PLEX_RBRACK) {
		if (v->n_list > 0 && (rc = expect(ps, PLEX_COMMA,
						  "',' or ']'")) != 0)
			return rc;
		if (ps->tok.kind != PLEX_NUM)
			return expected(ps, "a number");
		if (v->n_list >= PATCH_LIST_MAX)
			return patch_errf(ps->e, ps->tok.pos, "more than %d "
					  "numbers in a list", PATCH_LIST_MAX);
		if (grow((void **)&v->list, v->n_list, &cap, sizeof(double)))
			return -ENOMEM;
		v->list[v->n_list++] = ps->tok.num;
		rc = next(ps);
	}
	return rc ? rc : next(ps);
}

static int parse_value(struct parser *ps, struct pp_value *v)
{
	const struct plex_token *t = &ps->tok;

	v->pos = t->pos;
	switch (t->kind) {
	case PLEX_NUM:
		v->kind = PP_VAL_NUM;
		v->num = t->num;
		return next(ps);
	case PLEX_IDENT:
		if (t->len > PATCH_NAME_MAX)
			return too_long(ps);
		/* fall through */
	case PLEX_STR:
		v->kind = t->kind == PLEX_STR ? PP_VAL_STR : PP_VAL_WORD;
		v->text = t->kind == PLEX_STR ? unescape(t->text, t->len)
					      : strndup(t->text, t->len);
		return v->text ? next(ps) : -ENOMEM;
	case PLEX_LBRACK:
		return parse_list(ps, v);
	default:
		return expected(ps, "a value (number, note, word, string or "
				"list)");
	}
}

/* name ':' value */
static int parse_param(struct parser *ps, struct pp_node *n)
{
	struct pp_param *pa;
	int rc;

	if (n->n_params >= PATCH_PARAMS_MAX)
		return patch_errf(ps->e, ps->tok.pos, "more than %d parameters "
				  "on one node", PATCH_PARAMS_MAX);
	if (grow((void **)&n->params, n->n_params, &n->cap_params,
		 sizeof(*pa)))
		return -ENOMEM;
	pa = &n->params[n->n_params++];
	memset(pa, 0, sizeof(*pa));
	pa->pos = ps->tok.pos;
	if ((rc = take_name(ps, pa->name, "a parameter name")) != 0)
		return rc;
	if ((rc = expect(ps, PLEX_COLON, "':'")) != 0)
		return rc;
	return parse_value(ps, &pa->val);
}

/* '(' [param {',' param} [',']] ')' - newlines allowed inside */
static int parse_params(struct parser *ps, struct pp_node *n)
{
	int rc;

	ps->skip_nl = 1;
	rc = expect(ps, PLEX_LPAREN, "'('");
	while (rc == 0 && ps->tok.kind != PLEX_RPAREN) {
		rc = parse_param(ps, n);
		if (rc == 0 && ps->tok.kind != PLEX_RPAREN)
			rc = expect(ps, PLEX_COMMA, "',' or ')'");
	}
	ps->skip_nl = 0;
	return rc ? rc : next(ps);
}

/* ids: [a-z_][a-z0-9_]*, not reserved, not taken. */
static int check_id(struct parser *ps, const char *id, struct patch_pos at)
{
	for (const char *c = id; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || *c == '_' ||
		      (c > id && *c >= '0' && *c <= '9')))
			return patch_errf(ps->e, at, "bad id '%s' (use a-z, "
					  "0-9 and _, not first a digit)", id);
	}
	if (!strcmp(id, "in") || !strcmp(id, "out"))
		return patch_errf(ps->e, at, "'%s' is a built-in id", id);
	if (pp_find_node(ps->p, id))
		return patch_errf(ps->e, at, "duplicate id '%s'", id);
	if (ps->p->n_nodes >= PATCH_NODES_MAX)
		return patch_errf(ps->e, at, "too many modules (max %d)",
				  PATCH_NODES_MAX);
	return 0;
}

/* id '=' type params; the id token was already taken into *first. */
static int parse_def(struct parser *ps, const struct plex_token *first)
{
	struct pp_patch *p = ps->p;
	struct pp_node n = { .pos = first->pos };
	int rc;

	memcpy(n.id, first->text, first->len);
	if ((rc = check_id(ps, n.id, n.pos)) != 0)
		return rc;
	if ((rc = next(ps)) != 0)	/* the '=' */
		return rc;
	n.type_pos = ps->tok.pos;
	if ((rc = take_name(ps, n.type, "a module type")) == 0)
		rc = parse_params(ps, &n);
	if (rc == 0 && grow((void **)&p->nodes, p->n_nodes, &p->cap_nodes,
			    sizeof(n)))
		rc = -ENOMEM;
	if (rc == 0) {
		p->nodes[p->n_nodes++] = n;
		return 0;
	}
	for (uint32_t i = 0; i < n.n_params; i++) {
		free(n.params[i].val.text);
		free(n.params[i].val.list);
	}
	free(n.params);
	return rc;
}

/* A number token that is all digits: a port index (in.1). */
static int port_number(const struct plex_token *t)
{
	if (t->kind != PLEX_NUM || t->len > PATCH_NAME_MAX)
		return 0;
	for (size_t i = 0; i < t->len; i++)	/* text is not terminated */
		if (t->text[i] < '0' || t->text[i] > '9')
			return 0;
	return 1;
}

/* node '.' port; a port may be a number (in.1). */
static int parse_end(struct parser *ps, struct pp_end *end)
{
	int rc;

	end->pos = ps->tok.pos;
	if ((rc = take_name(ps, end->node, "a node id")) != 0)
		return rc;
	if ((rc = expect(ps, PLEX_DOT, "'.' and a port name")) != 0)
		return rc;
	end->port_pos = ps->tok.pos;
	if (port_number(&ps->tok)) {
		memcpy(end->port, ps->tok.text, ps->tok.len);
		return next(ps);
	}
	return take_name(ps, end->port, "a port name");
}

static int add_conn(struct parser *ps, const struct pp_conn *c)
{
	struct pp_patch *p = ps->p;

	if (p->n_conns >= PATCH_CONNS_MAX)
		return patch_errf(ps->e, c->to.pos, "too many connections "
				  "(max %d)", PATCH_CONNS_MAX);
	if (grow((void **)&p->conns, p->n_conns, &p->cap_conns, sizeof(*c)))
		return -ENOMEM;
	p->conns[p->n_conns++] = *c;
	return 0;
}

/* from.port ['*' number] '->' to.port {',' to.port} */
static int parse_conn(struct parser *ps, struct patch_pos at)
{
	struct pp_conn c = { .pos = at, .scale = 1.0 };
	int rc;

	if ((rc = parse_end(ps, &c.from)) != 0)
		return rc;
	if (ps->tok.kind == PLEX_STAR) {
		if ((rc = next(ps)) != 0)
			return rc;
		if (ps->tok.kind != PLEX_NUM)
			return expected(ps, "a number after '*'");
		/* the plan holds a float: no inf, and nothing absurd */
		if (!(fabs(ps->tok.num) <= PATCH_SCALE_MAX))
			return patch_errf(ps->e, ps->tok.pos, "scale out of "
					  "range: -%g .. %g, got %g",
					  PATCH_SCALE_MAX, PATCH_SCALE_MAX,
					  ps->tok.num);
		c.scale = ps->tok.num;
		if ((rc = next(ps)) != 0)
			return rc;
	}
	if ((rc = expect(ps, PLEX_ARROW, "'->' or '* scale'")) != 0)
		return rc;
	do {
		if (c.to.node[0] && (rc = next(ps)) != 0)	/* the ',' */
			return rc;
		memset(&c.to, 0, sizeof(c.to));
		if ((rc = parse_end(ps, &c.to)) != 0 ||
		    (rc = add_conn(ps, &c)) != 0)
			return rc;
	} while (ps->tok.kind == PLEX_COMMA);
	return 0;
}

/* A statement: a definition or a connection, decided by what follows. */
static int parse_stmt(struct parser *ps)
{
	struct plex_token first = ps->tok;
	struct plex lx = ps->lx;	/* to back up over the id */
	int rc;

	if (first.kind != PLEX_IDENT)
		return expected(ps, "a node id");
	if (first.len > PATCH_NAME_MAX)
		return too_long(ps);
	if ((rc = next(ps)) != 0)
		return rc;
	if (ps->tok.kind == PLEX_EQ)
		return parse_def(ps, &first);
	if (ps->tok.kind != PLEX_DOT)
		return expected(ps, "'=' (a definition) or '.' (a connection)");
	ps->lx = lx;
	ps->tok = first;
	return parse_conn(ps, first.pos);
}

/* any thread */
int pp_parse(const char *text, size_t len, struct pp_patch *p,
	     struct patch_err *e)
{
	struct parser ps = { .p = p, .e = e };
	int rc;

	memset(p, 0, sizeof(*p));
	memset(e, 0, sizeof(*e));
	plex_init(&ps.lx, text, len);
	rc = next(&ps);
	while (rc == 0 && ps.tok.kind != PLEX_EOF) {
		if (ps.tok.kind != PLEX_NL)
			rc = parse_stmt(&ps);
		if (rc == 0 && ps.tok.kind != PLEX_EOF)
			rc = expect(&ps, PLEX_NL, "end of line");
	}
	if (rc == -ENOMEM)
		snprintf(e->msg, sizeof(e->msg), "out of memory");
	if (rc)
		pp_free(p);
	return rc;
}

/* any thread */
void pp_free(struct pp_patch *p)
{
	for (uint32_t i = 0; i < p->n_nodes; i++) {
		struct pp_node *n = &p->nodes[i];

		for (uint32_t k = 0; k < n->n_params; k++) {
			free(n->params[k].val.text);
			free(n->params[k].val.list);
		}
		free(n->params);
	}
	free(p->nodes);
	free(p->conns);
	memset(p, 0, sizeof(*p));
}

/* any thread */
const struct pp_node *pp_find_node(const struct pp_patch *p, const char *id)
{
	for (uint32_t i = 0; i < p->n_nodes; i++)
		if (!strcmp(p->nodes[i].id, id))
			return &p->nodes[i];
	return NULL;
}
