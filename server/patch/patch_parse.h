/*
 * patch_parse.h - the patch language's syntax tree.
 *
 *   # comment
 *   id = type(param: value, ...)
 *   from.port [* scale] -> to.port[, to.port ...]
 *
 * The parser checks syntax, id spelling, reserved and duplicate ids and
 * the sizes of patch_limits.h (nodes, connections, names, lists,
 * parameters, the scale's range); what the names mean (types, ports,
 * params, values) is the compiler's business.  A fan-out statement
 * becomes one struct pp_conn per target, all with the same source and
 * scale.
 */
#ifndef SB_PATCH_PARSE_H
#define SB_PATCH_PARSE_H

#include <stdint.h>

#include "rt/dsp/plan.h"
#include "server/patch/patch_lex.h"

#define PP_NAME_MAX SB_NODE_ID_MAX	/* ids, types, ports, params */

enum pp_val_kind {
	PP_VAL_NUM,	/* 1, -2.5, 1e3 */
	PP_VAL_WORD,	/* a bare name: note name or enum word */
	PP_VAL_STR,	/* "...", escapes resolved */
	PP_VAL_LIST,	/* [1, 2, 3]: numbers only */
};

struct pp_value {
	enum pp_val_kind kind;
	struct patch_pos pos;	/* first character (the quote of a string) */
	double num;
	char *text;		/* WORD, STR: malloc'd, terminated */
	double *list;		/* LIST: malloc'd */
	uint32_t n_list;
};

struct pp_param {
	char name[PP_NAME_MAX];
	struct patch_pos pos;
	struct pp_value val;
};

struct pp_node {
	char id[PP_NAME_MAX];
	char type[PP_NAME_MAX];
	struct patch_pos pos, type_pos;
	struct pp_param *params;
	uint32_t n_params, cap_params;
};

struct pp_end {
	char node[PP_NAME_MAX];
	char port[PP_NAME_MAX];
	struct patch_pos pos, port_pos;
};

struct pp_conn {
	struct pp_end from, to;
	double scale;		/* 1 when not given */
	struct patch_pos pos;	/* the statement's first token */
};

struct pp_patch {
	struct pp_node *nodes;
	uint32_t n_nodes, cap_nodes;
	struct pp_conn *conns;
	uint32_t n_conns, cap_conns;
};

/*
 * Parse text[0..len) into *p (zeroed first).  0, or -EINVAL with *e set
 * (p is then freed), or -ENOMEM.  Always pp_free() a parsed patch.
 */
/* thread: any */
int pp_parse(const char *text, size_t len, struct pp_patch *p,
	     struct patch_err *e);

/* Release what pp_parse allocated; p may be zeroed. */
/* thread: any */
void pp_free(struct pp_patch *p);

/* The node with this id, or NULL. */
/* thread: any */
const struct pp_node *pp_find_node(const struct pp_patch *p, const char *id);

#endif
