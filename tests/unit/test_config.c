/*
 * test_config.c - sb_config: defaults, a full file, every error kind with
 * its exact words, untouched-on-error, and the key=value dump.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt/common/config.h"

#define SHIPPED "config/stagebox.json"

static char err[512];

/* Parse text over defaults; returns rc, leaves the message in err. */
static int parse(struct sb_config *c, const char *text)
{
	sb_config_defaults(c);
	err[0] = '\0';
	return sb_config_parse(c, text, "t.json", err, sizeof(err));
}

static void expect_error(const char *text, const char *msg)
{
	struct sb_config c;

	assert_int_equal(parse(&c, text), -EINVAL);
	assert_string_equal(err, msg);
}

static void test_defaults(void **state)
{
	struct sb_config c;

	(void)state;
	sb_config_defaults(&c);
	assert_string_equal(c.instance, "default");
	assert_string_equal(c.jack.server, "default");
	assert_string_not_equal(c.jack.server, c.engine.client_name);
	assert_string_equal(c.jack.driver, "dummy");
	assert_string_equal(c.jack.device, "hw:0");
	assert_int_equal(c.jack.rate, 48000);
	assert_int_equal(c.jack.period, 256);
	assert_int_equal(c.jack.nperiods, 2);
	assert_string_equal(c.engine.client_name, "stagebox");
	assert_int_equal(c.geom.n_inputs, 2);
	assert_string_equal(c.server.bind, "0.0.0.0");
	assert_int_equal(c.server.http_port, 8080);
	assert_int_equal(c.server.ws_port, 8081);
	assert_string_equal(c.server.data_dir, "data");
	assert_string_equal(c.server.static_dir, "static");
}

static void test_defaults_geom(void **state)
{
	struct sb_arena_geom g;
	struct sb_config c;

	(void)state;
	sb_config_defaults(&c);
	sb_arena_geom_default(&g);
	assert_memory_equal(&c.geom, &g, sizeof(g));
}

static void test_empty_object_keeps_defaults(void **state)
{
	struct sb_config c, d;

	(void)state;
	sb_config_defaults(&d);
	assert_int_equal(parse(&c, "{}"), 0);
	assert_memory_equal(&c, &d, sizeof(c));
}

static const char full[] =
	"{ \"_comment\": \"top\", \"instance\": \"stage-2\",\n"
	"  \"jack\": { \"_comment\": \"j\", \"server\": \"js\", \"driver\": "
	"\"alsa\", \"device\": \"hw:USB\", \"rate\": 44100, \"period\": 128,"
	" \"nperiods\": 3 },\n"
	"  \"engine\": { \"client_name\": \"sb2\", \"inputs\": 16 },\n"
	"  \"server\": { \"bind\": \"127.0.0.1\", \"http_port\": 9000, "
	"\"ws_port\": 9001, \"data_dir\": \"/var/sb\", \"static_dir\": "
	"\"/usr/share/sb\" },\n"
	"  \"pool\": { \"chunk_frames\": 1024, \"chunks\": 100, \"cmd_slots\":"
	" 256, \"evt_slots\": 512, \"tap_frames\": 65536, \"plan_slots\": 4,"
	" \"plan_slot_bytes\": 65536, \"heap_bytes\": 8589934592 } }\n";

static void test_full_file(void **state)
{
	struct sb_config c;

	(void)state;
	assert_int_equal(parse(&c, full), 0);
	assert_string_equal(c.instance, "stage-2");
	assert_string_equal(c.jack.server, "js");
	assert_string_equal(c.jack.driver, "alsa");
	assert_string_equal(c.jack.device, "hw:USB");
	assert_int_equal(c.jack.rate, 44100);
	assert_int_equal(c.jack.period, 128);
	assert_int_equal(c.jack.nperiods, 3);
	assert_string_equal(c.engine.client_name, "sb2");
	assert_int_equal(c.geom.n_inputs, 16);
	assert_string_equal(c.server.bind, "127.0.0.1");
	assert_int_equal(c.server.http_port, 9000);
	assert_int_equal(c.server.ws_port, 9001);
	assert_string_equal(c.server.data_dir, "/var/sb");
	assert_string_equal(c.server.static_dir, "/usr/share/sb");
	assert_int_equal(c.geom.chunk_frames, 1024);
	assert_int_equal(c.geom.n_chunks, 100);
	assert_int_equal(c.geom.cmd_slots, 256);
	assert_int_equal(c.geom.evt_slots, 512);
	assert_int_equal(c.geom.tap_frames, 65536);
	assert_int_equal(c.geom.plan_slots, 4);
	assert_int_equal(c.geom.plan_slot_bytes, 65536);
	assert_true(c.geom.heap_bytes == 8589934592ull);
	assert_int_equal(c.geom.chunk_channels, 2);	/* not a key */
}

static void test_partial_file_keeps_other_defaults(void **state)
{
	struct sb_config c;

	(void)state;
	assert_int_equal(parse(&c, "{\"jack\": {\"rate\": 96000}}"), 0);
	assert_int_equal(c.jack.rate, 96000);
	assert_int_equal(c.jack.period, 256);
	assert_string_equal(c.jack.server, "default");
}

static void test_shipped_file_is_defaults(void **state)
{
	struct sb_config c, d;

	(void)state;
	sb_config_defaults(&c);
	sb_config_defaults(&d);
	assert_int_equal(sb_config_load(&c, SHIPPED, err, sizeof(err)), 0);
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_syntax_error(void **state)
{
	(void)state;
	expect_error("{\n  \"jack\": {\n    \"rate\": 48000,\n  }\n}",
		     "t.json:4:3: string or '}' expected near '}'");
	expect_error("{\"a\": 1", "t.json:1:7: '}' expected near end of file");
	expect_error("", "t.json:1:0: '[' or '{' expected near end of file");
}

static void test_duplicate_key(void **state)
{
	struct sb_config c;

	(void)state;
	assert_int_equal(parse(&c, "{\"instance\":\"a\",\"instance\":\"b\"}"),
			 -EINVAL);
	assert_non_null(strstr(err, "t.json:1:"));
	assert_non_null(strstr(err, "duplicate object key"));
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_error("{\"jack\": {\"drivr\": \"alsa\"}}",
		     "t.json: jack.drivr: unknown key");
	expect_error("{\"jackd\": {}}", "t.json: jackd: unknown key");
	expect_error("{\"pool\": {\"chunks\": {\"x\": 1}}}",
		     "t.json: pool.chunks: expected an integer, got object");
	expect_error("{\"engine\": {\"inputs\": 2, \"extra\": true}}",
		     "t.json: engine.extra: unknown key");
}

static void test_wrong_type(void **state)
{
	(void)state;
	expect_error("{\"pool\": {\"chunks\": \"2048\"}}",
		     "t.json: pool.chunks: expected an integer, got string");
	expect_error("{\"jack\": {\"rate\": 48000.5}}",
		     "t.json: jack.rate: expected an integer, got number");
	expect_error("{\"jack\": {\"rate\": true}}",
		     "t.json: jack.rate: expected an integer, got boolean");
	expect_error("{\"jack\": {\"server\": 5}}",
		     "t.json: jack.server: expected a string, got integer");
	expect_error("{\"jack\": [1]}",
		     "t.json: jack: expected an object, got array");
	expect_error("{\"server\": {\"_comment\": null}}",
		     "t.json: server._comment: expected a string, got null");
	expect_error("[1, 2]",
		     "t.json: top level: expected an object, got array");
}

static void test_out_of_range(void **state)
{
	(void)state;
	expect_error("{\"engine\": {\"inputs\": 17}}",
		     "t.json: engine.inputs: 17 is out of range 1..16");
	expect_error("{\"engine\": {\"inputs\": 0}}",
		     "t.json: engine.inputs: 0 is out of range 1..16");
	expect_error("{\"server\": {\"http_port\": -1}}",
		     "t.json: server.http_port: -1 is out of range 1..65535");
	expect_error("{\"jack\": {\"rate\": 99999999999}}",
		     "t.json: jack.rate: 99999999999 is out of range "
		     "8000..384000");
	expect_error("{\"jack\": {\"driver\": \"oss\"}}",
		     "t.json: jack.driver: 'oss' is not one of dummy, alsa");
	expect_error("{\"instance\": \"a b\"}",
		     "t.json: instance: 'a b' is not a valid name "
		     "(use 1..32 of A-Z a-z 0-9 _ -)");
}

static void test_string_length(void **state)
{
	char text[256], name[80];

	(void)state;
	memset(name, 'x', 64);
	name[64] = '\0';
	snprintf(text, sizeof(text), "{\"jack\": {\"server\": \"%s\"}}", name);
	expect_error(text, "t.json: jack.server: longer than 63 bytes");
	name[63] = '\0';
	snprintf(text, sizeof(text), "{\"jack\": {\"server\": \"%s\"}}", name);
	{
		struct sb_config c;
		assert_int_equal(parse(&c, text), 0);
		assert_string_equal(c.jack.server, name);
	}
	memset(name, 'i', 33);
	name[33] = '\0';
	snprintf(text, sizeof(text), "{\"instance\": \"%s\"}", name);
	expect_error(text, "t.json: instance: longer than 32 bytes");
	expect_error("{\"server\": {\"bind\": \"\"}}",
		     "t.json: server.bind: must not be empty");
	/* An embedded NUL would cut the name short: refused by the parser. */
	expect_error("{\"jack\": {\"server\": \"a\\u0000b\"}}",
		     "t.json:1:30: \\u0000 is not allowed without "
		     "JSON_ALLOW_NUL near '\"a\\u0000b\"'");
}

static void test_bad_geometry(void **state)
{
	(void)state;
	expect_error("{\"pool\": {\"cmd_slots\": 1000}}",
		     "t.json: pool: arena geometry: command and event ring "
		     "slots must be powers of two");
	expect_error("{\"pool\": {\"tap_frames\": 1000}}",
		     "t.json: pool: arena geometry: tap_frames must be a power "
		     "of two");
}

static void test_untouched_on_error(void **state)
{
	struct sb_config c, before;

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(sb_config_parse(&c, full, "t.json", err,
					 sizeof(err)), 0);
	before = c;
	/* Good keys come before the bad one, so a partial apply would show. */
	assert_int_equal(sb_config_parse(&c, "{\"instance\": \"zz\", \"jack\": "
					 "{\"rate\": 96000, \"period\": \"x\"}}",
					 "t.json", err, sizeof(err)), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(sb_config_parse(&c, "{\"instance\": \"zz\", \"pool\":"
					 " {\"cmd_slots\": 3}}", "t.json", err,
					 sizeof(err)), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_load_missing_file(void **state)
{
	struct sb_config c;

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(sb_config_load(&c, "/nonexistent/sb.json", err,
					sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot read config /nonexistent/sb.json: "
			    "No such file or directory");
	assert_int_equal(sb_config_load(&c, "/tmp", err, sizeof(err)),
			 -EISDIR);
}

static void test_load_names_file(void **state)
{
	char path[] = "/tmp/sb-test-config-XXXXXX";
	struct sb_config c;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\n \"pool\": {\"chunks\": \"x\"}}", 27),
			 27);
	close(fd);
	sb_config_defaults(&c);
	assert_int_equal(sb_config_load(&c, path, err, sizeof(err)), -EINVAL);
	unlink(path);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ": pool.chunks: expected an integer, "
			       "got string"));
}

/* Every key appears once, in key=value form, with the struct's values. */
static void test_dump(void **state)
{
	struct sb_config c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int lines = 0;

	(void)state;
	assert_int_equal(parse(&c, full), 0);
	sb_config_dump(&c, f);
	fclose(f);
	assert_non_null(strstr(buf, "instance=stage-2\n"));
	assert_non_null(strstr(buf, "jack.server=js\n"));
	assert_non_null(strstr(buf, "jack.driver=alsa\n"));
	assert_non_null(strstr(buf, "jack.rate=44100\n"));
	assert_non_null(strstr(buf, "engine.inputs=16\n"));
	assert_non_null(strstr(buf, "server.http_port=9000\n"));
	assert_non_null(strstr(buf, "server.static_dir=/usr/share/sb\n"));
	assert_non_null(strstr(buf, "pool.heap_bytes=8589934592\n"));
	assert_non_null(strstr(buf, "looper.declick_frames=64\n"));
	assert_non_null(strstr(buf, "pool.plan_slot_bytes=65536\n"));
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 38);	/* one per key of the table */
	free(buf);
}

static void test_connect_lists(void **state)
{
	struct sb_config c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(parse(&c, "{\"connect\": {\"inputs\": "
			       "[\"system:capture_3\", \"synth:out\"], "
			       "\"click\": [], \"outputs\": \"physical\"}}"), 0);
	assert_string_equal(c.connect.inputs, "system:capture_3\nsynth:out");
	assert_string_equal(c.connect.click, "");
	assert_string_equal(c.connect.outputs, "physical");
	assert_string_equal(c.connect.midi_in, "physical");
	f = open_memstream(&buf, &len);
	sb_config_dump(&c, f);
	fclose(f);
	assert_non_null(strstr(buf, "connect.inputs=system:capture_3,synth:out\n"));
	free(buf);
	expect_error("{\"connect\": {\"inputs\": [\"a\", 3]}}",
		     "t.json: connect.inputs[1]: expected a JACK port name "
		     "(1..255 bytes)");
	expect_error("{\"connect\": {\"midi_out\": 7}}",
		     "t.json: connect.midi_out: expected a list of port names, "
		     "got integer");
	expect_error("{\"jack\": {\"server\": \"x\"}, \"engine\": "
		     "{\"client_name\": \"x\"}}",
		     "t.json: engine.client_name: 'x' is the JACK server's "
		     "name (jack.server) too; JACK would let the engine cut "
		     "every other client off");
}

/* server.auth is token or off; server.hosts a list of blank-free names. */
static void test_auth_and_hosts(void **state)
{
	struct sb_config c;

	(void)state;
	sb_config_defaults(&c);
	assert_string_equal(c.server.auth, "token");
	assert_string_equal(c.server.hosts, "");
	assert_int_equal(parse(&c, "{\"server\": {\"auth\": \"off\", "
			       "\"hosts\": [\"stage.lan\", \"10.0.0.9\"]}}"), 0);
	assert_string_equal(c.server.auth, "off");
	assert_string_equal(c.server.hosts, "stage.lan 10.0.0.9");
	expect_error("{\"server\": {\"auth\": \"none\"}}",
		     "t.json: server.auth: 'none' is not one of token, off");
	expect_error("{\"server\": {\"hosts\": \"a\"}}",
		     "t.json: server.hosts: expected an array of strings, got "
		     "string");
	expect_error("{\"server\": {\"hosts\": [\"a\", 1]}}",
		     "t.json: server.hosts: expected an array of strings, got "
		     "array");
	expect_error("{\"server\": {\"hosts\": [\"a b\"]}}",
		     "t.json: server.hosts: 'a b' is not a name (empty or with "
		     "blanks)");
	expect_error("{\"server\": {\"hosts\": [\"\"]}}",
		     "t.json: server.hosts: '' is not a name (empty or with "
		     "blanks)");
}

static void test_dump_defaults(void **state)
{
	struct sb_config c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	sb_config_defaults(&c);
	sb_config_dump(&c, f);
	fclose(f);
	assert_non_null(strstr(buf, "jack.server=default\n"));
	assert_non_null(strstr(buf, "engine.inputs=2\n"));
	assert_non_null(strstr(buf, "pool.chunks=2048\n"));
	assert_non_null(strstr(buf, "instance=default\n"));
	assert_non_null(strstr(buf, "output.ceiling_db=-0.3\n"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_geom),
		cmocka_unit_test(test_empty_object_keeps_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_partial_file_keeps_other_defaults),
		cmocka_unit_test(test_shipped_file_is_defaults),
		cmocka_unit_test(test_connect_lists),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_string_length),
		cmocka_unit_test(test_bad_geometry),
		cmocka_unit_test(test_untouched_on_error),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_load_names_file),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_dump_defaults),
		cmocka_unit_test(test_auth_and_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
