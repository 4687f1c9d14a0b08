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
 * Each domain file (cmd_engine.c, cmd_looper.c, ...) exports one struct
 * cmd_domain; server/commands.c lists them and main.c hands the list to
 * cmd_table_init.  Nothing else registers commands.
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
/* Parked while the domain's gate is shut (a session load or restore runs)
 * and run in arrival order when it opens: they act on the loaded state. */
#define CMD_AFTER_RESTORE 0x2u

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
/* thread: any */
int cmd_validate(const struct cmd_def *d, json_t *args, char *err,
		 size_t errlen);

/* {"name","doc","needs_engine","args":{JSON-Schema object}} (new ref). */
/* thread: any */
json_t *cmd_def_json(const struct cmd_def *d);

/* --- the table (cmd_table.c) --- */

struct sb_config;

/*
 * One command domain: its definitions (ending in name == NULL), an init
 * hook that fits its schemas to the configuration (the grid size, ...)
 * before any other thread reads the table, and the gate that parks its
 * CMD_AFTER_RESTORE commands.  The list lives in server/commands.c.
 */
struct cmd_domain {
	const char *name;
	const struct cmd_def *defs;
	/* main thread, before the transports start: 0 or -errno + message */
	int (*init)(const struct sb_config *cfg, char *err, size_t errlen);
	/* control thread: 1 while flagged commands must wait */
	int (*gate)(void);
};

/*
 * Take the domain list (NULL-terminated, static storage) and run every
 * init hook.  0, or the first hook's error with its message.  Main
 * thread, once, before any other thread reads the table.
 */
/* thread: main */
int cmd_table_init(const struct cmd_domain *const *domains,
		   const struct sb_config *cfg, char *err, size_t errlen);

/* Any thread after cmd_table_init (read-only).  NULL when unknown;
 * *dom (if dom) gets the command's domain. */
/* thread: any */
const struct cmd_def *cmd_lookup(const char *name,
				 const struct cmd_domain **dom);
/* thread: any */
const struct cmd_def *cmd_find(const char *name);
/* thread: any */
json_t *cmd_table_json(void);		/* array of cmd_def_json */

/* --- dispatch (ctl.c) --- */

/*
 * Queue a call for the control thread.  Steals args (NULL = {}).  done
 * runs exactly once, on the control thread.  Any thread.  Returns 0 or
 * -ENOMEM / -ESHUTDOWN (then done is not called).
 */
/* thread: any */
int cmd_submit(const char *name, json_t *args, cmd_done_fn done, void *ctx);

/* Answer a request: result is stolen (NULL = {}).  Control thread only. */
/* thread: control */
void cmd_reply(struct cmd_req *req, json_t *result);

/* Answer with an error and HTTP status.  Control thread only. */
/* thread: control */
void cmd_fail(struct cmd_req *req, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Answer with an error whose body carries more than the message, e.g.
 * {"ok":false,"error":"line 4, column 18: ...","line":4,"column":18}:
 * body is stolen, "ok":false is set, "error" must be there.  Same
 * convention as cmd_fail.  Control thread only.
 */
/* thread: control */
void cmd_fail_json(struct cmd_req *req, int status, json_t *body);

#endif
