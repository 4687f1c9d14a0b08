/*
 * cmd.h - the one command table.
 *
 * Every action the appliance can take is a struct cmd_def: a dotted name,
 * a doc line, an argument schema and a handler.  REST (POST
 * /api/v1/cmd/<name>), WebSocket ({"cmd":...}), OSC and MIDI bindings all
 * end in cmd_submit(), which queues the call to the control thread; the
 * control thread looks the name up, validates the arguments against the
 * schema (filling defaults), checks the engine is attached when the
 * command needs it, and runs the handler.  A handler answers with
 * cmd_reply() / cmd_fail(), at once or later (after the engine replied).
 *
 * Each domain file (cmd_engine.c, cmd_looper.c, ...) exports one array of
 * definitions ending in an entry whose name is NULL, and cmd_table.c lists
 * those arrays.  Nothing else registers commands.
 */
#ifndef SB_CMD_H
#define SB_CMD_H

#include <jansson.h>
#include <stddef.h>

/* How every JSON text the server sends is written: compact, and reals with
 * ten significant digits instead of seventeen-digit binary noise. */
#define SB_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(10))

enum cmd_arg_type {
	ARG_INT,	/* JSON integer, range [min, max] */
	ARG_NUM,	/* JSON number (integer accepted), range [min, max] */
	ARG_BOOL,
	ARG_STR,	/* max_len bytes at most (0 = 4096) */
	ARG_ENUM,	/* string, one of choices */
	ARG_ANY,	/* any JSON value: the handler checks it */
};

struct cmd_arg {
	const char *name;
	enum cmd_arg_type type;
	int required;
	double min, max;		/* ARG_INT/ARG_NUM; ignored if min > max */
	const char *const *choices;	/* ARG_ENUM: NULL-terminated */
	size_t max_len;			/* ARG_STR */
	const char *def;		/* JSON text of the default, or NULL */
	const char *doc;
};

struct cmd_req;

/* Runs on the control thread; must end in cmd_reply/cmd_fail, now or later. */
typedef void (*cmd_handler_fn)(struct cmd_req *req, json_t *args);

#define CMD_NEEDS_ENGINE 0x1u	/* 503 when the engine is not attached */

struct cmd_def {
	const char *name;
	const char *doc;
	const struct cmd_arg *args;	/* ends with name == NULL; may be NULL */
	unsigned flags;
	cmd_handler_fn fn;
};

/*
 * Called once per request on the control thread with an HTTP-style status
 * and the whole answer: {"ok":true,"result":{...}} or
 * {"ok":false,"error":"..."}.  The callee owns body.
 */
typedef void (*cmd_done_fn)(void *ctx, int status, json_t *body);

/* --- schema (cmd_schema.c): pure functions, any thread --- */

/*
 * Check args (a JSON object) against d's schema and add the defaults of
 * missing optional arguments.  Returns 0, or -EINVAL with a message that
 * names the argument ("argument 'column': expected an integer").
 */
int cmd_validate(const struct cmd_def *d, json_t *args, char *err,
		 size_t errlen);

/* {"name","doc","needs_engine","args":{JSON-Schema object}} (new ref). */
json_t *cmd_def_json(const struct cmd_def *d);

/* --- the table (cmd_table.c): any thread, read-only --- */

const struct cmd_def *cmd_find(const char *name);
json_t *cmd_table_json(void);		/* array of cmd_def_json */

/* --- dispatch (ctl.c) --- */

/*
 * Queue a call for the control thread.  Steals args (NULL = {}).  done
 * runs exactly once, on the control thread.  Any thread.  Returns 0 or
 * -ENOMEM / -ESHUTDOWN (then done is not called).
 */
int cmd_submit(const char *name, json_t *args, cmd_done_fn done, void *ctx);

/* Answer a request: result is stolen (NULL = {}).  Control thread only. */
void cmd_reply(struct cmd_req *req, json_t *result);

/* Answer with an error and HTTP status.  Control thread only. */
void cmd_fail(struct cmd_req *req, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Answer with an error whose body carries more than the message, e.g.
 * {"ok":false,"error":"line 4, column 18: ...","line":4,"column":18}:
 * body is stolen, "ok":false is set, "error" must be there.  Same
 * convention as cmd_fail.  Control thread only.
 */
void cmd_fail_json(struct cmd_req *req, int status, json_t *body);

/* Command arrays, one per domain, listed in cmd_table.c. */
extern const struct cmd_def cmd_engine_defs[];
extern const struct cmd_def cmd_looper_defs[];
extern const struct cmd_def cmd_patch_defs[];

#endif
