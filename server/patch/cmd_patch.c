/*
 * cmd_patch.c - patch.* and modules.* commands.  Handlers run on the
 * control thread (see cmd.h); the work is in patch.c.
 */
#include <string.h>

#include "rt/dsp/module.h"
#include "rt/common/proto.h"
#include "server/cmd/cmd.h"
#include "server/patch/patch.h"

static const char *const quantize_words[] = { "now", "beat", "bar", NULL };

static void patch_load_cmd(struct cmd_req *req, json_t *args)
{
	json_t *text = json_object_get(args, "text");
	const char *q = json_string_value(json_object_get(args, "quantize"));
	int quantize = SB_Q_OFF;

	for (int i = 0; q && quantize_words[i]; i++)
		if (strcmp(q, quantize_words[i]) == 0)
			quantize = i;
	patch_load(req, json_string_value(text), json_string_length(text),
		   quantize);
}

static void patch_stop_cmd(struct cmd_req *req, json_t *args)
{
	(void)args;
	patch_stop(req);
}

static void patch_get_cmd(struct cmd_req *req, json_t *args)
{
	(void)args;
	cmd_reply(req, patch_state_json());
}

static json_t *ports_json(const struct sb_port_def *p, uint32_t n)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "name",
			p[i].name, "doc", p[i].doc ? p[i].doc : ""));
	return a;
}

static const char *kind_word(enum sb_param_kind k)
{
	switch (k) {
	case SB_PK_ENUM:
		return "enum";
	case SB_PK_TEXT:
		return "text";
	default:
		return "number";
	}
}

static json_t *param_json(const struct sb_param_def *p)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", p->name,
			      "kind", kind_word(p->kind),
			      "unit", p->unit ? p->unit : "",
			      "doc", p->doc ? p->doc : "", "shape", p->shape);
	json_t *choices = json_array();

	if (p->kind == SB_PK_NUM) {
		json_object_set_new(o, "min", json_real(p->min));
		json_object_set_new(o, "max", json_real(p->max));
		json_object_set_new(o, "default", json_real(p->def));
	} else if (p->kind == SB_PK_ENUM && p->choices) {
		for (const char *const *c = p->choices; *c; c++)
			json_array_append_new(choices, json_string(*c));
		json_object_set_new(o, "default",
				    json_string(p->choices[(int)p->def]));
	}
	json_object_set_new(o, "choices", p->kind == SB_PK_ENUM ? choices
							 : json_null());
	if (p->kind != SB_PK_ENUM)
		json_decref(choices);
	return o;
}

/* Every module type of the table (rt/modtable.c).  Any thread. */
static json_t *modules_json(void)
{
	json_t *all = json_array();

	for (uint32_t i = 0; i < sb_mod_count; i++) {
		const struct sb_mod_def *d = sb_mod_table[i];
		json_t *params = json_array();

		for (uint32_t k = 0; k < d->n_params; k++)
			json_array_append_new(params, param_json(&d->params[k]));
		json_array_append_new(all, json_pack(
			"{s:s, s:s, s:o, s:o, s:o}", "type", d->type,
			"doc", d->doc ? d->doc : "",
			"inputs", ports_json(d->inputs, d->n_inputs),
			"outputs", ports_json(d->outputs, d->n_outputs),
			"params", params));
	}
	return all;
}

static void modules_list_cmd(struct cmd_req *req, json_t *args)
{
	(void)args;
	cmd_reply(req, modules_json());
}

static const struct cmd_arg load_args[] = {
	{ .name = "text", .type = ARG_STR, .required = 1,
	  .max_len = 1048576, .doc = "the patch text" },
	{ .name = "quantize", .type = ARG_ENUM, .choices = quantize_words,
	  .def = "\"now\"", .doc = "swap at the next cycle, beat or bar" },
	{ .name = NULL },
};

static const struct cmd_def defs[] = {
	{ "patch.load", "compile a patch and swap it in (the old one keeps "
	  "playing on an error)", load_args, CMD_NEEDS_ENGINE,
	  patch_load_cmd },
	{ "patch.stop", "stop the running patch", NULL, CMD_NEEDS_ENGINE,
	  patch_stop_cmd },
	{ "patch.get", "the running patch: text, status, last error, graph",
	  NULL, 0, patch_get_cmd },
	{ "modules.list", "every module type: doc, inputs, outputs, params",
	  NULL, 0, modules_list_cmd },
	{ NULL, NULL, NULL, 0, NULL },
};

const struct cmd_domain cmd_patch_domain = {
	.name = "patch",
	.defs = defs,
};
