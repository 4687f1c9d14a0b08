/*
 * test_cmd.c - cmd_validate (every error text, defaults, enums, ranges,
 * ARG_ANY) and the JSON Schema that cmd_def_json publishes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "server/cmd/cmd.h"

static const char *const modes[] = { "a", "b", "c", NULL };

static const struct cmd_arg demo_args[] = {
	{ .name = "column", .type = ARG_INT, .required = 1, .min = 0,
	  .max = 8, .doc = "which column" },
	{ .name = "gain", .type = ARG_NUM, .min = -1.5, .max = 2.5,
	  .def = "1.0", .doc = "linear gain" },
	{ .name = "mute", .type = ARG_BOOL, .def = "false" },
	{ .name = "label", .type = ARG_STR, .max_len = 5, .def = "\"x\"" },
	{ .name = "note", .type = ARG_STR },
	{ .name = "mode", .type = ARG_ENUM, .choices = modes, .def = "\"b\"" },
	{ .name = "count", .type = ARG_INT, .min = 1, .max = 0 },
	{ .name = "extra", .type = ARG_ANY },
	{ .name = NULL },
};

static void handler(struct cmd_req *req, json_t *args)
{
	(void)req;
	(void)args;
}

static const struct cmd_def demo = {
	.name = "demo.set", .doc = "a test command", .args = demo_args,
	.flags = CMD_NEEDS_ENGINE, .fn = handler,
};

static const struct cmd_def bare = {
	.name = "demo.bare", .doc = NULL, .args = NULL, .fn = handler,
};

static char err[256];

/* Validate the JSON text against d; the checked object is returned. */
static json_t *run(const struct cmd_def *d, const char *text, int want_rc)
{
	json_t *args = json_loads(text, JSON_DECODE_ANY, NULL);

	assert_non_null(args);
	err[0] = '\0';
	assert_int_equal(cmd_validate(d, args, err, sizeof(err)), want_rc);
	return args;
}

static void expect_error(const char *text, const char *msg)
{
	json_decref(run(&demo, text, -EINVAL));
	assert_string_equal(err, msg);
}

static void test_not_an_object(void **state)
{
	(void)state;
	expect_error("[1]", "arguments must be a JSON object");
	expect_error("\"x\"", "arguments must be a JSON object");
	expect_error("null", "arguments must be a JSON object");
}

static void test_missing(void **state)
{
	(void)state;
	expect_error("{}", "missing argument 'column'");
	expect_error("{\"gain\": 1}", "missing argument 'column'");
}

static void test_unknown(void **state)
{
	(void)state;
	expect_error("{\"column\": 1, \"colour\": 2}",
		     "unknown argument 'colour'");
	/* A typo is reported as itself, not as the argument it misses. */
	expect_error("{\"colum\": 1}", "unknown argument 'colum'");
	json_decref(run(&bare, "{\"x\": 1}", -EINVAL));
	assert_string_equal(err, "unknown argument 'x'");
}

static void test_types(void **state)
{
	(void)state;
	expect_error("{\"column\": \"1\"}",
		     "argument 'column': expected integer, got string");
	expect_error("{\"column\": 1.5}",
		     "argument 'column': expected integer, got number");
	expect_error("{\"column\": true}",
		     "argument 'column': expected integer, got boolean");
	expect_error("{\"column\": null}",
		     "argument 'column': expected integer, got null");
	expect_error("{\"column\": 1, \"gain\": false}",
		     "argument 'gain': expected number, got boolean");
	expect_error("{\"column\": 1, \"mute\": 0}",
		     "argument 'mute': expected boolean, got integer");
	expect_error("{\"column\": 1, \"label\": []}",
		     "argument 'label': expected string, got array");
	expect_error("{\"column\": 1, \"mode\": {}}",
		     "argument 'mode': expected string, got object");
}

static void test_ranges(void **state)
{
	(void)state;
	expect_error("{\"column\": 9}",
		     "argument 'column': 9 is above the maximum 8");
	expect_error("{\"column\": -1}",
		     "argument 'column': -1 is below the minimum 0");
	expect_error("{\"column\": 0, \"gain\": 2.75}",
		     "argument 'gain': 2.75 is above the maximum 2.5");
	expect_error("{\"column\": 0, \"gain\": -2}",
		     "argument 'gain': -2 is below the minimum -1.5");
	json_decref(run(&demo, "{\"column\": 0}", 0));
	json_decref(run(&demo, "{\"column\": 8, \"gain\": 2.5}", 0));
	json_decref(run(&demo, "{\"column\": 8, \"gain\": -1.5}", 0));
	/* min > max means unbounded. */
	json_decref(run(&demo, "{\"column\": 8, \"count\": -99999}", 0));
}

static void test_number_accepts_integer(void **state)
{
	json_t *a;

	(void)state;
	a = run(&demo, "{\"column\": 3, \"gain\": 2}", 0);
	assert_true(json_is_integer(json_object_get(a, "gain")));
	json_decref(a);
}

static void test_strings(void **state)
{
	char text[5000 + 64], big[4200];

	(void)state;
	json_decref(run(&demo, "{\"column\": 1, \"label\": \"12345\"}", 0));
	expect_error("{\"column\": 1, \"label\": \"123456\"}",
		     "argument 'label': longer than 5 bytes");
	/* max_len 0 means 4096 bytes. */
	memset(big, 'n', 4097);
	big[4097] = '\0';
	snprintf(text, sizeof(text), "{\"column\": 1, \"note\": \"%s\"}", big);
	expect_error(text, "argument 'note': longer than 4096 bytes");
	big[4096] = '\0';
	snprintf(text, sizeof(text), "{\"column\": 1, \"note\": \"%s\"}", big);
	json_decref(run(&demo, text, 0));
}

static void test_enum(void **state)
{
	(void)state;
	json_decref(run(&demo, "{\"column\": 1, \"mode\": \"c\"}", 0));
	expect_error("{\"column\": 1, \"mode\": \"foo\"}",
		     "argument 'mode': 'foo' is not one of a, b, c");
	expect_error("{\"column\": 1, \"mode\": \"A\"}",
		     "argument 'mode': 'A' is not one of a, b, c");
}

static void test_any(void **state)
{
	const char *vals[] = { "1", "\"s\"", "[1,2]", "{\"k\":null}", "null",
			       "true", "0.5" };
	char text[64];

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		snprintf(text, sizeof(text), "{\"column\": 1, \"extra\": %s}",
			 vals[i]);
		json_decref(run(&demo, text, 0));
	}
}

static void test_defaults_filled(void **state)
{
	json_t *a;

	(void)state;
	a = run(&demo, "{\"column\": 2, \"mute\": true}", 0);
	assert_int_equal(json_integer_value(json_object_get(a, "column")), 2);
	assert_true(json_is_real(json_object_get(a, "gain")));
	assert_true(json_real_value(json_object_get(a, "gain")) == 1.0);
	assert_true(json_is_true(json_object_get(a, "mute")));	/* kept */
	assert_string_equal(json_string_value(json_object_get(a, "label")),
			    "x");
	assert_string_equal(json_string_value(json_object_get(a, "mode")),
			    "b");
	/* No default given: stays absent for the handler to notice. */
	assert_null(json_object_get(a, "note"));
	assert_null(json_object_get(a, "count"));
	assert_null(json_object_get(a, "extra"));
	assert_int_equal(json_object_size(a), 5);
	json_decref(a);
}

static void test_untouched_on_error(void **state)
{
	json_t *a;

	(void)state;
	a = run(&demo, "{\"column\": 99}", -EINVAL);
	assert_int_equal(json_object_size(a), 1);
	json_decref(a);
}

static void test_no_args(void **state)
{
	json_t *a;

	(void)state;
	a = run(&bare, "{}", 0);
	assert_int_equal(json_object_size(a), 0);
	json_decref(a);
}

static json_t *prop(json_t *def, const char *name)
{
	json_t *p = json_object_get(json_object_get(json_object_get(def,
		"args"), "properties"), name);

	assert_non_null(p);
	return p;
}

static void test_def_json_shape(void **state)
{
	json_t *j = cmd_def_json(&demo), *args, *req;

	(void)state;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")),
			    "demo.set");
	assert_string_equal(json_string_value(json_object_get(j, "doc")),
			    "a test command");
	assert_true(json_is_true(json_object_get(j, "needs_engine")));
	args = json_object_get(j, "args");
	assert_string_equal(json_string_value(json_object_get(args, "type")),
			    "object");
	assert_true(json_is_false(json_object_get(args,
						  "additionalProperties")));
	req = json_object_get(args, "required");
	assert_int_equal(json_array_size(req), 1);
	assert_string_equal(json_string_value(json_array_get(req, 0)),
			    "column");
	assert_int_equal(json_object_size(json_object_get(args, "properties")),
			 8);
	json_decref(j);
}

static void test_def_json_props(void **state)
{
	json_t *j = cmd_def_json(&demo), *p, *e;

	(void)state;
	p = prop(j, "column");
	assert_string_equal(json_string_value(json_object_get(p, "type")),
			    "integer");
	assert_true(json_is_integer(json_object_get(p, "maximum")));
	assert_int_equal(json_integer_value(json_object_get(p, "maximum")), 8);
	assert_int_equal(json_integer_value(json_object_get(p, "minimum")), 0);
	assert_string_equal(json_string_value(json_object_get(p,
				"description")), "which column");
	assert_null(json_object_get(p, "default"));
	p = prop(j, "gain");
	assert_string_equal(json_string_value(json_object_get(p, "type")),
			    "number");
	assert_true(json_number_value(json_object_get(p, "minimum")) == -1.5);
	assert_true(json_number_value(json_object_get(p, "default")) == 1.0);
	p = prop(j, "mute");
	assert_string_equal(json_string_value(json_object_get(p, "type")),
			    "boolean");
	assert_true(json_is_false(json_object_get(p, "default")));
	p = prop(j, "label");
	assert_int_equal(json_integer_value(json_object_get(p, "maxLength")),
			 5);
	assert_int_equal(json_integer_value(json_object_get(prop(j, "note"),
						"maxLength")), 4096);
	p = prop(j, "mode");
	assert_string_equal(json_string_value(json_object_get(p, "type")),
			    "string");
	e = json_object_get(p, "enum");
	assert_int_equal(json_array_size(e), 3);
	assert_string_equal(json_string_value(json_array_get(e, 2)), "c");
	assert_string_equal(json_string_value(json_object_get(p, "default")),
			    "b");
	/* Unbounded: no limits published. */
	assert_null(json_object_get(prop(j, "count"), "maximum"));
	/* ARG_ANY: no "type" at all, which JSON Schema reads as any value. */
	assert_int_equal(json_object_size(prop(j, "extra")), 0);
	json_decref(j);
}

static void test_def_json_bare(void **state)
{
	json_t *j = cmd_def_json(&bare), *args;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(j, "doc")), "");
	assert_true(json_is_false(json_object_get(j, "needs_engine")));
	args = json_object_get(j, "args");
	assert_int_equal(json_object_size(json_object_get(args, "properties")),
			 0);
	assert_int_equal(json_array_size(json_object_get(args, "required")),
			 0);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_number_accepts_integer),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_defaults_filled),
		cmocka_unit_test(test_untouched_on_error),
		cmocka_unit_test(test_no_args),
		cmocka_unit_test(test_def_json_shape),
		cmocka_unit_test(test_def_json_props),
		cmocka_unit_test(test_def_json_bare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
