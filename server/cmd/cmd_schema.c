/*
 * cmd_schema.c - check command arguments against the table's schema and
 * describe that schema as JSON Schema for /api/v1/commands.
 *
 * Validation is the only place that knows the argument rules, so every
 * transport (REST, WebSocket, OSC, MIDI) answers a bad call with the same
 * words.  It checks everything before it changes anything: defaults are
 * added only once the whole object passed, so a rejected call leaves args
 * as the caller sent them.
 */
#include "server/cmd/cmd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/common/config.h"

#define ARG_STR_DEFAULT_MAX 4096

/* The JSON Schema "type" of an argument; NULL for ARG_ANY. */
static const char *arg_type_name(enum cmd_arg_type t)
{
	switch (t) {
	case ARG_INT:
		return "integer";
	case ARG_NUM:
		return "number";
	case ARG_BOOL:
		return "boolean";
	case ARG_STR:
	case ARG_ENUM:
		return "string";
	default:
		return NULL;
	}
}

static size_t arg_max_len(const struct cmd_arg *a)
{
	return a->max_len ? a->max_len : ARG_STR_DEFAULT_MAX;
}

/* Shortest text that reads back as x: "8", "0.5", "1e+300". */
static void fmt_num(char *dst, size_t len, double x)
{
	if (x == floor(x) && fabs(x) < 1e15) {
		snprintf(dst, len, "%.0f", x);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(dst, len, "%.*g", prec, x);
		if (strtod(dst, NULL) == x)
			return;
	}
}

static int check_range(const struct cmd_arg *a, const json_t *v, char *err,
		       size_t errlen)
{
	double x = json_number_value(v);
	char val[32], lim[32];

	if (a->min > a->max || (x >= a->min && x <= a->max))
		return 0;
	if (json_is_integer(v))
		snprintf(val, sizeof(val), "%lld",
			 (long long)json_integer_value(v));
	else
		fmt_num(val, sizeof(val), x);
	fmt_num(lim, sizeof(lim), x < a->min ? a->min : a->max);
	snprintf(err, errlen, "argument '%s': %s is %s %s", a->name, val,
		 x < a->min ? "below the minimum" : "above the maximum", lim);
	return -EINVAL;
}

static int check_enum(const struct cmd_arg *a, const json_t *v, char *err,
		      size_t errlen)
{
	const char *s = json_string_value(v);
	char list[256];
	size_t used = 0;

	for (const char *const *c = a->choices; c && *c; c++)
		if (!strcmp(*c, s))
			return 0;
	list[0] = '\0';
	for (const char *const *c = a->choices; c && *c && used < sizeof(list);
	     c++)
		used += snprintf(list + used, sizeof(list) - used, "%s%s",
				 used ? ", " : "", *c);
	snprintf(err, errlen, "argument '%s': '%.64s' is not one of %s",
		 a->name, s, list);
	return -EINVAL;
}

static int type_matches(enum cmd_arg_type t, const json_t *v)
{
	switch (t) {
	case ARG_INT:
		return json_is_integer(v);
	case ARG_NUM:
		return json_is_number(v);
	case ARG_BOOL:
		return json_is_boolean(v);
	case ARG_STR:
	case ARG_ENUM:
		return json_is_string(v);
	default:
		return 1;
	}
}

/* One argument that is present: type, then its limits. */
static int check_value(const struct cmd_arg *a, const json_t *v, char *err,
		       size_t errlen)
{
	if (!type_matches(a->type, v)) {
		snprintf(err, errlen, "argument '%s': expected %s, got %s",
			 a->name, arg_type_name(a->type), sb_json_type_name(v));
		return -EINVAL;
	}
	if (a->type == ARG_INT || a->type == ARG_NUM)
		return check_range(a, v, err, errlen);
	if (a->type == ARG_ENUM)
		return check_enum(a, v, err, errlen);
	if (a->type == ARG_STR && json_string_length(v) > arg_max_len(a)) {
		snprintf(err, errlen, "argument '%s': longer than %zu bytes",
			 a->name, arg_max_len(a));
		return -EINVAL;
	}
	return 0;
}

static const struct cmd_arg *arg_find(const struct cmd_def *d,
				      const char *name)
{
	for (const struct cmd_arg *a = d->args; a && a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

/* Unknown names first: a typo should not read as a missing argument. */
static int check_known(const struct cmd_def *d, json_t *args, char *err,
		       size_t errlen)
{
	const char *name;
	json_t *v;

	json_object_foreach(args, name, v) {
		if (!arg_find(d, name)) {
			snprintf(err, errlen, "unknown argument '%s'", name);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_each(const struct cmd_def *d, json_t *args, char *err,
		      size_t errlen)
{
	for (const struct cmd_arg *a = d->args; a && a->name; a++) {
		json_t *v = json_object_get(args, a->name);
		int rc;

		if (!v && a->required) {
			snprintf(err, errlen, "missing argument '%s'", a->name);
			return -EINVAL;
		}
		rc = v ? check_value(a, v, err, errlen) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

static int fill_defaults(const struct cmd_def *d, json_t *args, char *err,
			 size_t errlen)
{
	for (const struct cmd_arg *a = d->args; a && a->name; a++) {
		json_t *def;

		if (a->required || !a->def || json_object_get(args, a->name))
			continue;
		def = json_loads(a->def, JSON_DECODE_ANY, NULL);
		if (!def || json_object_set_new(args, a->name, def)) {
			snprintf(err, errlen, "argument '%s': bad default "
				 "'%s' in the command table", a->name, a->def);
			return -EINVAL;
		}
	}
	return 0;
}

/* Any thread. */
int cmd_validate(const struct cmd_def *d, json_t *args, char *err,
		 size_t errlen)
{
	int rc;

	if (!json_is_object(args)) {
		snprintf(err, errlen, "arguments must be a JSON object");
		return -EINVAL;
	}
	rc = check_known(d, args, err, errlen);
	if (!rc)
		rc = check_each(d, args, err, errlen);
	if (!rc)
		rc = fill_defaults(d, args, err, errlen);
	return rc;
}

/* An integral bound stays an integer in the schema ("maximum": 8). */
static json_t *num_json(enum cmd_arg_type t, double x)
{
	if (t == ARG_INT && x == floor(x) && fabs(x) < 9e15)
		return json_integer((json_int_t)x);
	return json_real(x);
}

static json_t *choices_json(const char *const *choices)
{
	json_t *arr = json_array();

	for (; choices && *choices; choices++)
		json_array_append_new(arr, json_string(*choices));
	return arr;
}

static json_t *arg_json(const struct cmd_arg *a)
{
	json_t *p = json_object();
	const char *type = arg_type_name(a->type);

	if (type)
		json_object_set_new(p, "type", json_string(type));
	if (a->type == ARG_ENUM)
		json_object_set_new(p, "enum", choices_json(a->choices));
	if ((a->type == ARG_INT || a->type == ARG_NUM) && a->min <= a->max) {
		json_object_set_new(p, "minimum", num_json(a->type, a->min));
		json_object_set_new(p, "maximum", num_json(a->type, a->max));
	}
	if (a->type == ARG_STR)
		json_object_set_new(p, "maxLength",
				    json_integer((json_int_t)arg_max_len(a)));
	if (a->def)
		json_object_set_new(p, "default",
				    json_loads(a->def, JSON_DECODE_ANY, NULL));
	if (a->doc)
		json_object_set_new(p, "description", json_string(a->doc));
	return p;
}

static json_t *args_json(const struct cmd_def *d)
{
	json_t *props = json_object(), *req = json_array();

	for (const struct cmd_arg *a = d->args; a && a->name; a++) {
		json_object_set_new(props, a->name, arg_json(a));
		if (a->required)
			json_array_append_new(req, json_string(a->name));
	}
	return json_pack("{s:s, s:o, s:o, s:b}", "type", "object",
			 "properties", props, "required", req,
			 "additionalProperties", 0);
}

/* Any thread. */
json_t *cmd_def_json(const struct cmd_def *d)
{
	return json_pack("{s:s, s:s, s:b, s:o}", "name", d->name,
			 "doc", d->doc ? d->doc : "",
			 "needs_engine", (d->flags & CMD_NEEDS_ENGINE) != 0,
			 "args", args_json(d));
}
