/*
 * midimap.c - the MIDI bindings module (see midimap.h).
 *
 * The file is read once, on the main thread at start-up; after that the
 * table is read-only and only the control thread touches the controller
 * history used for the "crossed min" test.
 */
#include "server/front/midimap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_BINDINGS 256

enum bind_kind { BIND_NOTE, BIND_CC };

struct binding {
	enum bind_kind kind;
	int number;		/* note or controller 0..127 */
	int channel;		/* 0..15, -1 any */
	int min;		/* cc: fires when reaching it from below */
	const struct cmd_def *cmd;
	json_t *args;		/* fixed arguments (owned) */
};

static struct {
	struct binding b[MAX_BINDINGS];
	int n;
	uint8_t cc_value[16][128];	/* control thread: last value seen */
} M;

/* --- loading --- */

/* An optional integer key in [lo, hi]; absent or null keeps *out. */
static int get_int(json_t *o, const char *key, int lo, int hi, int *out,
		   const char *where, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		snprintf(err, errlen, "%s.%s: expected an integer %d..%d",
			 where, key, lo, hi);
		return -EINVAL;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

static int check_keys(json_t *o, const char *where, char *err, size_t errlen)
{
	static const char *const known[] = {
		"note", "cc", "channel", "min", "cmd", "args", "_comment", NULL
	};
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		int ok = 0;

		for (int i = 0; known[i]; i++)
			ok |= strcmp(key, known[i]) == 0;
		if (!ok) {
			snprintf(err, errlen, "%s: unknown key '%s'", where,
				 key);
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_trigger(json_t *o, struct binding *b, const char *where,
			 char *err, size_t errlen)
{
	int has_note = json_object_get(o, "note") != NULL;
	int has_cc = json_object_get(o, "cc") != NULL;
	int ch = 0, rc;

	if (has_note == has_cc) {
		snprintf(err, errlen, "%s: give exactly one of 'note' and "
			 "'cc'", where);
		return -EINVAL;
	}
	b->kind = has_note ? BIND_NOTE : BIND_CC;
	b->number = -1;
	b->channel = -1;
	b->min = 64;
	rc = get_int(o, has_note ? "note" : "cc", 0, 127, &b->number, where,
		     err, errlen);
	if (!rc && b->number < 0) {
		snprintf(err, errlen, "%s.%s: expected an integer 0..127",
			 where, has_note ? "note" : "cc");
		rc = -EINVAL;
	}
	if (!rc)
		rc = get_int(o, "min", 1, 127, &b->min, where, err, errlen);
	if (!rc)
		rc = get_int(o, "channel", 1, 16, &ch, where, err, errlen);
	if (!rc && ch)
		b->channel = ch - 1;
	return rc;
}

static int parse_command(json_t *o, struct binding *b, const char *where,
			 char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(o, "cmd"));
	json_t *args = json_object_get(o, "args"), *probe;
	char why[256];
	int rc;

	if (!name || !(b->cmd = cmd_find(name))) {
		snprintf(err, errlen, "%s.cmd: %s%s%s", where,
			 name ? "unknown command '" : "expected a command name",
			 name ? name : "", name ? "'" : "");
		return -EINVAL;
	}
	if (args && !json_is_object(args)) {
		snprintf(err, errlen, "%s.args: expected an object", where);
		return -EINVAL;
	}
	b->args = args ? json_deep_copy(args) : json_object();
	probe = json_deep_copy(b->args);
	rc = cmd_validate(b->cmd, probe, why, sizeof(why));
	json_decref(probe);
	if (rc)
		snprintf(err, errlen, "%s.args: %s", where, why);
	return rc;
}

static int parse_binding(json_t *o, int i, char *err, size_t errlen)
{
	struct binding *b = &M.b[M.n];
	char where[32];
	int rc;

	snprintf(where, sizeof(where), "bindings[%d]", i);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: expected an object", where);
		return -EINVAL;
	}
	rc = check_keys(o, where, err, errlen);
	if (!rc)
		rc = parse_trigger(o, b, where, err, errlen);
	if (!rc)
		rc = parse_command(o, b, where, err, errlen);
	if (!rc)
		M.n++;
	return rc;
}

static int parse_root(json_t *root, char *err, size_t errlen)
{
	json_t *list = json_object_get(root, "bindings"), *o;
	size_t i;
	int rc;

	if (!json_is_object(root) || !json_is_array(list)) {
		snprintf(err, errlen, "expected {\"bindings\": [...]}");
		return -EINVAL;
	}
	if (json_array_size(list) > MAX_BINDINGS) {
		snprintf(err, errlen, "bindings: more than %d", MAX_BINDINGS);
		return -EINVAL;
	}
	json_array_foreach(list, i, o) {
		rc = parse_binding(o, (int)i, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static void free_bindings(void)
{
	for (int i = 0; i < M.n; i++)
		json_decref(M.b[i].args);
	M.n = 0;
}

static int midimap_init(const struct sb_config *cfg, char *err, size_t errlen)
{
	const char *path = cfg->looper.bindings;
	char why[384];
	json_error_t e;
	struct stat st;
	json_t *root;
	int rc;

	if (!path[0] || (stat(path, &st) < 0 && errno == ENOENT))
		return 0;	/* no file: no bindings */
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, e.line, e.column,
			 e.text);
		return -EINVAL;
	}
	rc = parse_root(root, why, sizeof(why));
	json_decref(root);
	if (rc) {
		free_bindings();
		snprintf(err, errlen, "%s: %s", path, why);
		return rc;
	}
	fprintf(stderr, "stagebox-server: %d MIDI binding%s from %s\n", M.n,
		M.n == 1 ? "" : "s", path);
	return 0;
}

/* --- dispatch --- */

static void binding_done(void *ctx, int status, json_t *body)
{
	const struct binding *b = ctx;

	if (status != 200) {
		const char *msg = json_string_value(json_object_get(body,
								    "error"));
		fprintf(stderr, "stagebox-server: MIDI %s %d -> %s: %s\n",
			b->kind == BIND_NOTE ? "note" : "cc", b->number,
			b->cmd->name, msg ? msg : "failed");
	}
	json_decref(body);
}

static int fires(const struct binding *b, int kind, int ch, int num,
		 int val, int prev)
{
	if ((int)b->kind != kind || b->number != num)
		return 0;
	if (b->channel >= 0 && b->channel != ch)
		return 0;
	if (kind == BIND_NOTE)
		return val > 0;
	return val >= b->min && prev < b->min;
}

static void midimap_event(const struct sb_msg *m)
{
	const uint8_t *x = m->u.midi.bytes;
	int kind, ch = x[0] & 0x0f, prev = 0;

	if (m->type != SB_EVT_MIDI_IN || m->u.midi.len < 3 || !M.n)
		return;
	if ((x[0] & 0xf0) == 0x90)
		kind = BIND_NOTE;
	else if ((x[0] & 0xf0) == 0xb0)
		kind = BIND_CC;
	else
		return;
	if (kind == BIND_CC) {
		prev = M.cc_value[ch][x[1] & 0x7f];
		M.cc_value[ch][x[1] & 0x7f] = x[2] & 0x7f;
	}
	for (int i = 0; i < M.n; i++) {
		struct binding *b = &M.b[i];

		if (fires(b, kind, ch, x[1] & 0x7f, x[2] & 0x7f, prev))
			cmd_submit(b->cmd->name, json_deep_copy(b->args),
				   binding_done, b);
	}
}

const struct srv_module midimap_module = {
	.name = "midimap",
	.init = midimap_init,
	.on_event = midimap_event,
	.fini = free_bindings,
};
