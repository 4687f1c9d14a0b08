/*
 * config.c - read config/stagebox.json into struct sb_config.
 *
 * One table lists every key with its dotted path, type, place in the
 * struct and limits; one walker matches JSON objects against it, so a new
 * key is one new line in the table.  Parsing goes into a copy that
 * replaces the caller's struct only when everything checked out, so a bad
 * file never leaves a half-applied config behind.
 */
#include "rt/common/config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG_FILE_MAX (1u << 20)	/* a config is a few hundred bytes */

/* CFG_LIST: a JSON array of strings (or one string), kept joined by '\n';
 * CFG_STRS: an array of blank-free names kept ' '-joined (host names) */
enum cfg_type { CFG_STR, CFG_U32, CFG_INT, CFG_U64, CFG_LIST, CFG_DBL,
	       CFG_STRS };

struct cfg_key {
	const char *path;
	enum cfg_type type;
	size_t off;
	int64_t min, max;		/* value range; CFG_STR: length range */
	const char *const *choices;	/* CFG_STR: allowed values, or NULL */
};

#define FIELD_SIZE(m) sizeof(((struct sb_config *)0)->m)
#define KEY_STR(p, m, ch) \
	{ p, CFG_STR, offsetof(struct sb_config, m), 1, FIELD_SIZE(m) - 1, ch }
#define KEY_LIST(p, m) \
	{ p, CFG_LIST, offsetof(struct sb_config, m), 0, FIELD_SIZE(m) - 1, NULL }
#define KEY_NUM(p, t, m, lo, hi) \
	{ p, t, offsetof(struct sb_config, m), lo, hi, NULL }

static const char *const drivers[] = { "dummy", "alsa", NULL };
static const char *const auth_modes[] = { "token", "off", NULL };

static const struct cfg_key keys[] = {
	KEY_STR("instance", instance, NULL),
	KEY_STR("jack.server", jack.server, NULL),
	KEY_STR("jack.driver", jack.driver, drivers),
	KEY_STR("jack.device", jack.device, NULL),
	KEY_NUM("jack.rate", CFG_U32, jack.rate, 8000, 384000),
	KEY_NUM("jack.period", CFG_U32, jack.period, 16, 8192),
	KEY_NUM("jack.nperiods", CFG_U32, jack.nperiods, 2, 32),
	KEY_STR("engine.client_name", engine.client_name, NULL),
	KEY_NUM("engine.inputs", CFG_U32, geom.n_inputs, 1, SB_MAX_INPUTS),
	KEY_STR("server.bind", server.bind, NULL),
	KEY_NUM("server.http_port", CFG_INT, server.http_port, 1, 65535),
	KEY_NUM("server.ws_port", CFG_INT, server.ws_port, 1, 65535),
	KEY_STR("server.data_dir", server.data_dir, NULL),
	KEY_STR("server.static_dir", server.static_dir, NULL),
	KEY_STR("server.auth", server.auth, auth_modes),
	{ "server.hosts", CFG_STRS, offsetof(struct sb_config, server.hosts),
	  0, FIELD_SIZE(server.hosts) - 1, NULL },
	KEY_NUM("pool.chunk_frames", CFG_U32, geom.chunk_frames, 64, 1 << 20),
	KEY_NUM("pool.chunks", CFG_U32, geom.n_chunks, 1, 1 << 20),
	KEY_NUM("pool.cmd_slots", CFG_U32, geom.cmd_slots, 2, 1 << 20),
	KEY_NUM("pool.evt_slots", CFG_U32, geom.evt_slots, 2, 1 << 20),
	KEY_NUM("pool.tap_frames", CFG_U32, geom.tap_frames, 2, 1 << 26),
	KEY_NUM("pool.plan_slots", CFG_U32, geom.plan_slots, 2, 16),
	KEY_NUM("pool.plan_slot_bytes", CFG_U64, geom.plan_slot_bytes,
		4096, 1 << 30),
	KEY_NUM("pool.heap_bytes", CFG_U64, geom.heap_bytes,
		1 << 16, INT64_C(1) << 34),
	KEY_NUM("looper.columns", CFG_U32, geom.n_columns, 1, SB_MAX_COLUMNS),
	KEY_NUM("looper.tracks", CFG_U32, geom.n_tracks, 1, SB_MAX_TRACKS),
	KEY_NUM("looper.input_left", CFG_U32, looper.input_left, 1,
		SB_MAX_INPUTS),
	KEY_NUM("looper.input_right", CFG_U32, looper.input_right, 1,
		SB_MAX_INPUTS),
	KEY_NUM("looper.declick_frames", CFG_U32, looper.declick_frames, 0,
		4096),
	KEY_STR("looper.bindings", looper.bindings, NULL),
	KEY_LIST("connect.inputs", connect.inputs),
	KEY_LIST("connect.outputs", connect.outputs),
	KEY_LIST("connect.click", connect.click),
	KEY_LIST("connect.midi_in", connect.midi_in),
	KEY_LIST("connect.midi_out", connect.midi_out),
	/* may be empty: no watched patch file */
	{ "patch.file", CFG_STR, offsetof(struct sb_config, patch.file), 0,
	  FIELD_SIZE(patch.file) - 1, NULL },
	KEY_NUM("output.ceiling_db", CFG_DBL, output.ceiling_db,
		SB_OUTPUT_CEILING_MIN_DB, SB_OUTPUT_CEILING_MAX_DB),
	KEY_NUM("output.volume_db", CFG_DBL, output.volume_db,
		SB_OUTPUT_VOLUME_MIN_DB, SB_OUTPUT_VOLUME_MAX_DB),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* Messages are built here, then prefixed with the file name. */
struct cfg_msg {
	char text[512];
	int located;		/* text already starts with "FILE:LINE:COL" */
};

/* Any thread. */
void sb_config_defaults(struct sb_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->instance, sizeof(c->instance), "default");
	snprintf(c->jack.server, sizeof(c->jack.server), "default");
	snprintf(c->jack.driver, sizeof(c->jack.driver), "dummy");
	snprintf(c->jack.device, sizeof(c->jack.device), "hw:0");
	c->jack.rate = 48000;
	c->jack.period = 256;
	c->jack.nperiods = 2;
	snprintf(c->engine.client_name, sizeof(c->engine.client_name),
		 "stagebox");
	snprintf(c->server.bind, sizeof(c->server.bind), "0.0.0.0");
	c->server.http_port = 8080;
	c->server.ws_port = 8081;
	snprintf(c->server.data_dir, sizeof(c->server.data_dir), "data");
	snprintf(c->server.static_dir, sizeof(c->server.static_dir), "static");
	snprintf(c->server.auth, sizeof(c->server.auth), "token");
	sb_arena_geom_default(&c->geom);
	c->looper.input_left = 1;
	c->looper.input_right = 2;
	c->looper.declick_frames = 64;
	snprintf(c->looper.bindings, sizeof(c->looper.bindings),
		 "config/midi-bindings.json");
	snprintf(c->connect.inputs, sizeof(c->connect.inputs), "physical");
	snprintf(c->connect.outputs, sizeof(c->connect.outputs), "physical");
	snprintf(c->connect.midi_in, sizeof(c->connect.midi_in), "physical");
	c->output.ceiling_db = -0.3;
	c->output.volume_db = 0.0;
}

/* Any thread: the JSON type of v as a word for error messages. */
const char *sb_json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

static int type_error(struct cfg_msg *m, const char *path, const char *want,
		      const json_t *v)
{
	snprintf(m->text, sizeof(m->text), "%s: expected %s, got %s", path,
		 want, sb_json_type_name(v));
	return -EINVAL;
}

static const struct cfg_key *key_find(const char *path)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i].path, path))
			return &keys[i];
	return NULL;
}

/* A section is any proper prefix of a key path ("jack" of "jack.rate"). */
static int is_section(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < N_KEYS; i++)
		if (!strncmp(keys[i].path, path, n) && keys[i].path[n] == '.')
			return 1;
	return 0;
}

static int in_choices(const char *const *choices, const char *s)
{
	for (; *choices; choices++)
		if (!strcmp(*choices, s))
			return 1;
	return 0;
}

static void list_choices(char *dst, size_t len, const char *const *choices)
{
	size_t used = 0;

	dst[0] = '\0';
	for (; *choices && used < len; choices++)
		used += snprintf(dst + used, len - used, "%s%s",
				 used ? ", " : "", *choices);
}

static int set_str(char *field, const struct cfg_key *k, const json_t *v,
		   struct cfg_msg *m)
{
	const char *s = json_string_value(v);
	size_t n = strlen(s);	/* jansson refuses \u0000 unless asked */
	char list[128];

	if ((int64_t)n > k->max) {
		snprintf(m->text, sizeof(m->text), "%s: longer than %" PRId64
			 " bytes", k->path, k->max);
		return -EINVAL;
	}
	if ((int64_t)n < k->min) {
		snprintf(m->text, sizeof(m->text), "%s: must not be empty",
			 k->path);
		return -EINVAL;
	}
	if (k->choices && !in_choices(k->choices, s)) {
		list_choices(list, sizeof(list), k->choices);
		snprintf(m->text, sizeof(m->text), "%s: '%.64s' is not one "
			 "of %s", k->path, s, list);
		return -EINVAL;
	}
	memcpy(field, s, n + 1);
	return 0;
}

static int set_num(void *field, const struct cfg_key *k, const json_t *v,
		   struct cfg_msg *m)
{
	json_int_t x = json_integer_value(v);

	if (x < k->min || x > k->max) {
		snprintf(m->text, sizeof(m->text), "%s: %lld is out of range %"
			 PRId64 "..%" PRId64, k->path, (long long)x, k->min,
			 k->max);
		return -EINVAL;
	}
	if (k->type == CFG_U32)
		*(uint32_t *)field = (uint32_t)x;
	else if (k->type == CFG_INT)
		*(int *)field = (int)x;
	else
		*(uint64_t *)field = (uint64_t)x;
	return 0;
}

/* One port name of a list: 1..255 bytes, no newline (the separator). */
static int list_item_ok(const json_t *it)
{
	const char *s = json_string_value(it);
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= 255 && !strchr(s, '\n');
}

/* A list of JACK port names (or "physical"): joined by '\n'. */
static int set_list(char *field, const struct cfg_key *k, const json_t *v,
		    struct cfg_msg *m)
{
	char buf[SB_CONNECT_MAX] = "";
	size_t i, used = 0;
	json_t *it;

	if (json_is_string(v))
		return set_str(field, k, v, m);
	if (!json_is_array(v))
		return type_error(m, k->path, "a list of port names", v);
	json_array_foreach(v, i, it) {
		size_t n = list_item_ok(it) ? strlen(json_string_value(it)) : 0;

		if (!n || used + n + 1 >= sizeof(buf)) {
			snprintf(m->text, sizeof(m->text), "%s[%zu]: %s", k->path,
				 i, n ? "the list is too long" : "expected a "
				 "JACK port name (1..255 bytes)");
			return -EINVAL;
		}
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
					 "%s%s", used ? "\n" : "",
					 json_string_value(it));
	}
	memcpy(field, buf, used + 1);
	return 0;
}

/* A number (integer or real); the range check also refuses NaN. */
static int set_dbl(double *field, const struct cfg_key *k, const json_t *v,
		   struct cfg_msg *m)
{
	double x = json_number_value(v);

	if (!(x >= (double)k->min && x <= (double)k->max)) {
		snprintf(m->text, sizeof(m->text), "%s: %g is out of range %"
			 PRId64 "..%" PRId64, k->path, x, k->min, k->max);
		return -EINVAL;
	}
	*field = x;
	return 0;
}

/* Names without blanks, joined by one space: what a host list needs. */
static int set_strs(char *field, const struct cfg_key *k, const json_t *v,
		    struct cfg_msg *m)
{
	size_t i, used = 0, n;
	json_t *e;
	const char *s;

	field[0] = '\0';
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return type_error(m, k->path, "an array of strings", v);
		s = json_string_value(e);
		n = strlen(s);
		if (!n || strpbrk(s, " \t\r\n")) {
			snprintf(m->text, sizeof(m->text), "%s: '%.64s' is not "
				 "a name (empty or with blanks)", k->path, s);
			return -EINVAL;
		}
		if (used + !!used + n > (size_t)k->max) {
			snprintf(m->text, sizeof(m->text), "%s: longer than %"
				 PRId64 " bytes in all", k->path, k->max);
			return -EINVAL;
		}
		used += (size_t)snprintf(field + used, (size_t)k->max + 1 - used,
					 "%s%s", used ? " " : "", s);
	}
	return 0;
}

static int set_leaf(struct sb_config *c, const struct cfg_key *k,
		    const json_t *v, struct cfg_msg *m)
{
	void *field = (char *)c + k->off;

	if (k->type == CFG_LIST)
		return set_list(field, k, v, m);
	if (k->type == CFG_STR) {
		if (!json_is_string(v))
			return type_error(m, k->path, "a string", v);
		return set_str(field, k, v, m);
	}
	if (k->type == CFG_DBL) {
		if (!json_is_number(v))
			return type_error(m, k->path, "a number", v);
		return set_dbl(field, k, v, m);
	}
	if (k->type == CFG_STRS) {
		if (!json_is_array(v))
			return type_error(m, k->path, "an array of strings", v);
		return set_strs(field, k, v, m);
	}
	if (!json_is_integer(v))
		return type_error(m, k->path, "an integer", v);
	return set_num(field, k, v, m);
}

static int walk_object(struct sb_config *c, const json_t *obj,
		       const char *prefix, struct cfg_msg *m);

/* One member of an object: a comment, a leaf key or a nested section. */
static int walk_member(struct sb_config *c, const char *path,
		       const char *name, const json_t *v, struct cfg_msg *m)
{
	const struct cfg_key *k;

	if (!strcmp(name, "_comment"))
		return json_is_string(v) ? 0 :
		       type_error(m, path, "a string", v);
	k = key_find(path);
	if (k)
		return set_leaf(c, k, v, m);
	if (!is_section(path)) {
		snprintf(m->text, sizeof(m->text), "%s: unknown key", path);
		return -EINVAL;
	}
	if (!json_is_object(v))
		return type_error(m, path, "an object", v);
	return walk_object(c, v, path, m);
}

static int walk_object(struct sb_config *c, const json_t *obj,
		       const char *prefix, struct cfg_msg *m)
{
	const char *name;
	json_t *v;
	char path[128];
	int rc;

	json_object_foreach((json_t *)obj, name, v) {
		/* A truncated path matches no key, so it reads "unknown". */
		snprintf(path, sizeof(path), "%s%s%s", prefix,
			 *prefix ? "." : "", name);
		rc = walk_member(c, path, name, v, m);
		if (rc)
			return rc;
	}
	return 0;
}

/* Checks that span keys or need another module's rules. */
static int check_whole(const struct sb_config *c, struct cfg_msg *m)
{
	struct sb_arena_hdr hdr;
	char why[256];

	if (sb_instance_valid(c->instance)) {
		snprintf(m->text, sizeof(m->text), "instance: '%s' is not a "
			 "valid name (use 1..%d of A-Z a-z 0-9 _ -)",
			 c->instance, SB_INSTANCE_MAX);
		return -EINVAL;
	}
	if (!strcmp(c->jack.server, c->engine.client_name)) {
		snprintf(m->text, sizeof(m->text), "engine.client_name: '%s' "
			 "is the JACK server's name (jack.server) too; JACK "
			 "would let the engine cut every other client off",
			 c->engine.client_name);
		return -EINVAL;
	}
	if (sb_arena_layout(&c->geom, &hdr, why, sizeof(why))) {
		snprintf(m->text, sizeof(m->text), "pool: %s", why);
		return -EINVAL;
	}
	return 0;
}

static int parse_root(struct sb_config *c, const char *text, const char *name,
		      struct cfg_msg *m)
{
	json_error_t je;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	int rc;

	if (!root) {
		snprintf(m->text, sizeof(m->text), "%s:%d:%d: %s", name,
			 je.line, je.column, je.text);
		m->located = 1;
		return -EINVAL;
	}
	if (!json_is_object(root))
		rc = type_error(m, "top level", "an object", root);
	else
		rc = walk_object(c, root, "", m);
	json_decref(root);
	return rc ? rc : check_whole(c, m);
}

/* Not RT: start-up only. */
int sb_config_parse(struct sb_config *c, const char *text, const char *name,
		    char *err, size_t errlen)
{
	struct sb_config tmp = *c;
	struct cfg_msg m = { .located = 0 };
	int rc;

	if (!name)
		name = "config";
	rc = parse_root(&tmp, text, name, &m);
	if (rc) {
		if (m.located)
			snprintf(err, errlen, "%s", m.text);
		else
			snprintf(err, errlen, "%s: %s", name, m.text);
		return rc;
	}
	*c = tmp;
	return 0;
}

/* Whole file into a NUL-terminated heap buffer the caller frees. */
static int read_text(const char *path, char **out, char *err, size_t errlen)
{
	struct stat st;
	ssize_t got = 0;
	char *buf = NULL;
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CFG_FILE_MAX) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EFBIG;
		goto out_close;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out_close;
	}
	while (got < st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)(st.st_size - got));
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto out_free;
		}
		got += n;
	}
	buf[got] = '\0';
	*out = buf;
	close(fd);
	return 0;

out_free:
	free(buf);
out_close:
	if (fd >= 0)
		close(fd);
	snprintf(err, errlen, "cannot read config %s: %s", path,
		 rc == -EFBIG ? "over 1048576 bytes" : strerror(-rc));
	return rc;
}

/* Not RT: start-up only. */
int sb_config_load(struct sb_config *c, const char *path, char *err,
		   size_t errlen)
{
	char *text = NULL;
	int rc = read_text(path, &text, err, errlen);

	if (rc)
		return rc;
	rc = sb_config_parse(c, text, path, err, errlen);
	free(text);
	return rc;
}

/* key=a,b,c on one line (port names hold no newline). */
static void dump_list(FILE *out, const char *path, const char *list)
{
	fprintf(out, "%s=", path);
	for (const char *p = list; *p; p++)
		fputc(*p == '\n' ? ',' : *p, out);
	fputc('\n', out);
}

/* Not RT: start-up only. */
void sb_config_dump(const struct sb_config *c, FILE *out)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cfg_key *k = &keys[i];
		const void *f = (const char *)c + k->off;

		if (k->type == CFG_STR || k->type == CFG_STRS)
			fprintf(out, "%s=%s\n", k->path, (const char *)f);
		else if (k->type == CFG_LIST)
			dump_list(out, k->path, f);
		else if (k->type == CFG_U32)
			fprintf(out, "%s=%" PRIu32 "\n", k->path,
				*(const uint32_t *)f);
		else if (k->type == CFG_INT)
			fprintf(out, "%s=%d\n", k->path, *(const int *)f);
		else if (k->type == CFG_DBL)
			fprintf(out, "%s=%g\n", k->path, *(const double *)f);
		else
			fprintf(out, "%s=%" PRIu64 "\n", k->path,
				*(const uint64_t *)f);
	}
}
