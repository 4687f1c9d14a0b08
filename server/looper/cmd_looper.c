/*
 * cmd_looper.c - transport.*, click.* and looper.* commands.
 *
 * Handlers run on the control thread (see cmd.h).  Most turn their
 * arguments into one engine message and answer when the engine's ACK
 * comes back; the ACK's errno picks the HTTP status.  Commands on a track
 * take {column, track}, or neither for the selected track.  Commands
 * flagged CMD_AFTER_RESTORE wait while a session loads or an empty
 * engine waits for its restore (the domain's gate, checked in dispatch),
 * so a restore always comes before them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cmd/cmd.h"
#include "server/core/ctl.h"
#include "server/looper/looper_msg.h"
#include "server/looper/looper_state.h"
#include "server/looper/session.h"
#include "server/looper/track_io.h"

/* --- engine calls that answer on the ACK --- */

/* What a pending call answers with, keyed by its request. */
struct held {
	struct held *next;
	struct cmd_req *req;
	const char *what;	/* command, for messages */
	const char *einval;	/* what an -EINVAL from the engine means */
	json_t *result;
};

static struct held *held_list;	/* control thread only */

static struct held *unhold(struct cmd_req *req)
{
	struct held **pp, *h;

	for (pp = &held_list; (h = *pp); pp = &h->next) {
		if (h->req == req) {
			*pp = h->next;
			return h;
		}
	}
	return NULL;
}

/* Control thread.  Answer req for an engine ACK status (not 0). */
static void fail_status(struct cmd_req *req, int status, const char *what,
			const char *einval)
{
	switch (status) {
	case -EINVAL:
		cmd_fail(req, 400, "%s: %s", what, einval);
		break;
	case -ENOSPC:
	case -ENOMEM:
		cmd_fail(req, 507, "%s: out of chunk memory (free some "
			 "tracks or undo history)", what);
		break;
	case -ENOSYS:
		cmd_fail(req, 501, "%s: this engine does not implement it",
			 what);
		break;
	case -EBUSY:
	case -EALREADY:
		cmd_fail(req, 409, "%s: the track is busy with another "
			 "action", what);
		break;
	default:
		cmd_fail(req, 500, "%s: the engine refused: %s", what,
			 strerror(-status));
		break;
	}
}

static void call_done(struct cmd_req *req, const struct sb_msg *reply)
{
	struct held *h = unhold(req);
	const char *what = h ? h->what : "command";
	json_t *result = h ? h->result : NULL;

	if (!reply) {
		json_decref(result);
		cmd_fail(req, 504, "engine did not answer");
	} else if (reply->u.ack.status) {
		json_decref(result);
		fail_status(req, reply->u.ack.status, what,
			    h ? h->einval : "invalid argument");
	} else {
		cmd_reply(req, result);
	}
	free(h);
}

/* Send m; answer req with result (stolen) when the engine ACKs it. */
static void engine_cmd(struct cmd_req *req, struct sb_msg *m,
		       const char *what, const char *einval, json_t *result)
{
	struct held *h = calloc(1, sizeof(*h));
	int rc;

	if (!h) {
		json_decref(result);
		cmd_fail(req, 500, "out of memory");
		return;
	}
	*h = (struct held){ .next = held_list, .req = req, .what = what,
			    .einval = einval, .result = result };
	held_list = h;
	rc = ctl_engine_call(req, m, call_done);
	if (!rc)
		return;
	free(unhold(req));
	json_decref(result);
	if (rc == -EAGAIN)
		cmd_fail(req, 503, "engine command queue full");
	else
		cmd_fail(req, 503, "engine not attached");
}

/* --- argument helpers --- */

static int int_arg(json_t *args, const char *name, int *out)
{
	json_t *v = json_object_get(args, name);

	if (!json_is_integer(v))
		return 0;
	*out = (int)json_integer_value(v);
	return 1;
}

/* 0 when v fits [0, n), else answer 400 naming the argument. */
static int check_index(struct cmd_req *req, const char *name, int v, int n)
{
	if (v >= 0 && v < n)
		return 0;
	cmd_fail(req, 400, "argument '%s': %d is above the maximum %d (the "
		 "grid is %dx%d)", name, v, n - 1, looper_columns(),
		 looper_tracks());
	return -1;
}

/*
 * The {column, track} of a track command: both given, or both omitted for
 * the selected track.  0, or -1 after answering 400.
 */
static int track_args(struct cmd_req *req, json_t *args, int *c, int *t)
{
	int hc = int_arg(args, "column", c), ht = int_arg(args, "track", t);

	if (!hc && !ht) {
		looper_selected(c, t);
		return 0;
	}
	if (hc != ht) {
		cmd_fail(req, 400, "missing argument '%s' (give both column "
			 "and track, or neither for the selected track)",
			 hc ? "track" : "column");
		return -1;
	}
	if (check_index(req, "column", *c, looper_columns()))
		return -1;
	return check_index(req, "track", *t, looper_tracks());
}

static json_t *track_result(int c, int t)
{
	return json_pack("{s:i, s:i}", "column", c, "track", t);
}

/* --- transport and click --- */

static void set_tempo(struct cmd_req *req, json_t *args)
{
	double bpm = json_number_value(json_object_get(args, "bpm"));
	struct sb_msg m = looper_msg_tempo(bpm);

	engine_cmd(req, &m, "transport.set_tempo",
		   "argument 'bpm': the engine refused this tempo",
		   json_pack("{s:f}", "bpm", bpm));
}

static void set_meter(struct cmd_req *req, json_t *args)
{
	struct sb_msg m;
	int bpb = 4;

	int_arg(args, "beats_per_bar", &bpb);
	m = looper_msg_meter(bpb);
	engine_cmd(req, &m, "transport.set_meter",
		   "argument 'beats_per_bar': the engine refused this meter",
		   json_pack("{s:i}", "beats_per_bar", bpb));
}

static void transport_start(struct cmd_req *req, json_t *args)
{
	struct sb_msg m = { .type = SB_CMD_TRANSPORT_START };

	(void)args;
	engine_cmd(req, &m, "transport.start", "cannot start now", NULL);
}

static void transport_stop(struct cmd_req *req, json_t *args)
{
	struct sb_msg m = { .type = SB_CMD_TRANSPORT_STOP };

	(void)args;
	engine_cmd(req, &m, "transport.stop", "cannot stop now", NULL);
}

/* Omitted fields keep their current value. */
static void click_set(struct cmd_req *req, json_t *args)
{
	struct sb_msg m;
	json_t *cur = looper_state_json();
	json_t *click = json_object_get(cur, "click");
	json_t *en = json_object_get(args, "enabled");
	json_t *vol = json_object_get(args, "volume");
	int enabled;
	double volume;

	enabled = json_is_true(en ? en : json_object_get(click, "enabled"));
	volume = json_number_value(vol ? vol : json_object_get(click,
							       "volume"));
	json_decref(cur);
	m = looper_msg_click(enabled, (float)volume);
	engine_cmd(req, &m, "click.set",
		   "argument 'volume': the engine refused this volume",
		   json_pack("{s:b, s:f}", "enabled", enabled,
			     "volume", volume));
}

/* --- looper: grid-wide settings --- */

static void set_column(struct cmd_req *req, json_t *args)
{
	struct sb_msg m;
	int c = 0, beats = 0;

	int_arg(args, "column", &c);
	int_arg(args, "beats", &beats);
	if (check_index(req, "column", c, looper_columns()))
		return;
	m = looper_msg(SB_CMD_LOOPER_COLUMN, c, -1, beats);
	engine_cmd(req, &m, "looper.set_column",
		   "argument 'beats': the column is recording or the length "
		   "is not allowed",
		   json_pack("{s:i, s:i}", "column", c, "beats", beats));
}

static void set_quantize(struct cmd_req *req, json_t *args)
{
	const char *mode = json_string_value(json_object_get(args, "mode"));
	int q = looper_word_index(looper_quantize_words, mode);
	struct sb_msg m;

	if (q < 0)
		q = SB_Q_BAR;
	m = looper_msg(SB_CMD_LOOPER_QUANTIZE, -1, -1, q);
	engine_cmd(req, &m, "looper.set_quantize",
		   "argument 'mode': the engine refused this mode",
		   json_pack("{s:s}", "mode", looper_quantize_words[q]));
}

static void set_monitor(struct cmd_req *req, json_t *args)
{
	int on = json_is_true(json_object_get(args, "enabled"));
	struct sb_msg m = looper_msg(SB_CMD_LOOPER_MONITOR, -1, -1, on);

	engine_cmd(req, &m, "looper.set_monitor",
		   "argument 'enabled': the engine refused it",
		   json_pack("{s:b}", "enabled", on));
}

/* --- looper: track actions --- */

struct action {
	const char *name;
	enum sb_looper_action action;
	const char *einval;	/* why the engine may refuse it */
};

static const struct action actions[] = {
	{ "looper.record", SB_LA_RECORD, "cannot record on this track now" },
	{ "looper.overdub", SB_LA_OVERDUB,
	  "nothing to overdub: the track is empty" },
	{ "looper.play", SB_LA_PLAY, "nothing to play: the track is empty" },
	{ "looper.mute", SB_LA_MUTE, "nothing to mute: the track is empty" },
	{ "looper.solo", SB_LA_SOLO, "cannot solo this track now" },
	{ "looper.clear", SB_LA_CLEAR, "cannot clear this track now" },
	{ "looper.undo", SB_LA_UNDO, "nothing to undo on this track" },
	{ "looper.redo", SB_LA_REDO, "nothing to redo on this track" },
};

static void track_action(struct cmd_req *req, json_t *args,
			 const struct action *a)
{
	struct sb_msg m;
	int c, t;

	if (track_args(req, args, &c, &t))
		return;
	m = looper_msg(SB_CMD_LOOPER_ACTION, c, t, (int32_t)a->action);
	engine_cmd(req, &m, a->name, a->einval, track_result(c, t));
}

/* One small handler per action: the table's fn has no room for data. */
#define ACTION_FN(fn, i) \
	static void fn(struct cmd_req *req, json_t *args) \
	{ \
		track_action(req, args, &actions[i]); \
	}

ACTION_FN(do_record, 0)
ACTION_FN(do_overdub, 1)
ACTION_FN(do_play, 2)
ACTION_FN(do_mute, 3)
ACTION_FN(do_solo, 4)
ACTION_FN(do_clear, 5)
ACTION_FN(do_undo, 6)
ACTION_FN(do_redo, 7)

static void set_volume(struct cmd_req *req, json_t *args)
{
	struct sb_msg m = { .type = SB_CMD_LOOPER_VOLUME };
	double vol = json_number_value(json_object_get(args, "volume"));
	json_t *res;
	int c, t;

	if (track_args(req, args, &c, &t))
		return;
	m.u.looper.column = c;
	m.u.looper.track = t;
	m.u.looper.gain = (float)vol;
	res = track_result(c, t);
	json_object_set_new(res, "volume", json_real(vol));
	engine_cmd(req, &m, "looper.set_volume",
		   "argument 'volume': the engine refused it", res);
}

/* --- server-side: selection, state, sessions --- */

static void do_select(struct cmd_req *req, json_t *args)
{
	int c, t;

	if (track_args(req, args, &c, &t))
		return;
	looper_select(c, t);
	cmd_reply(req, track_result(c, t));
}

static void do_state(struct cmd_req *req, json_t *args)
{
	(void)args;
	cmd_reply(req, looper_state_json());
}

static void do_save(struct cmd_req *req, json_t *args)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	struct sess_state s;
	char err[160];

	if (session_name_check(name, 0, err, sizeof(err))) {
		cmd_fail(req, 400, "argument 'name': %s", err);
		return;
	}
	looper_session_state(&s);
	session_save(req, name, &s);
}

static void do_load(struct cmd_req *req, json_t *args)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	char err[160];

	if (session_name_check(name, 1, err, sizeof(err))) {
		cmd_fail(req, 400, "argument 'name': %s", err);
		return;
	}
	session_load(req, name);
}

static void do_list(struct cmd_req *req, json_t *args)
{
	(void)args;
	session_list(req);
}

static void do_track_info(struct cmd_req *req, json_t *args)
{
	int c, t;

	if (track_args(req, args, &c, &t))
		return;
	track_io_info(req, c, t);
}

static void do_put_track(struct cmd_req *req, json_t *args)
{
	const char *token = json_string_value(json_object_get(args,
							      "upload"));
	int c, t;

	if (track_args(req, args, &c, &t))
		return;
	track_io_put(req, c, t, token);
}

/* --- the table --- */

#define COLUMN_ARG(req, what) \
	{ .name = "column", .type = ARG_INT, .required = (req), .min = 0, \
	  .max = SB_MAX_COLUMNS - 1, .doc = what }
#define TRACK_ARG(req, what) \
	{ .name = "track", .type = ARG_INT, .required = (req), .min = 0, \
	  .max = SB_MAX_TRACKS - 1, .doc = what }

static struct cmd_arg track_cmd_args[] = {
	COLUMN_ARG(0, "column (0-based); omit both column and track for "
		      "the selected track"),
	TRACK_ARG(0, "track within the column (0-based)"),
	{ .name = NULL }
};

static struct cmd_arg select_args[] = {
	COLUMN_ARG(1, "column (0-based)"),
	TRACK_ARG(1, "track within the column (0-based)"),
	{ .name = NULL }
};

static struct cmd_arg volume_args[] = {
	COLUMN_ARG(0, "column; omit column and track for the selected "
		      "track"),
	TRACK_ARG(0, "track within the column"),
	{ .name = "volume", .type = ARG_NUM, .required = 1, .min = 0,
	  .max = 4, .doc = "linear gain, 1 = unity (applied at once, "
			   "smoothed)" },
	{ .name = NULL }
};

static const struct cmd_arg tempo_args[] = {
	{ .name = "bpm", .type = ARG_NUM, .required = 1, .min = 20,
	  .max = 300, .doc = "beats per minute (fractional allowed); "
			     "applies from the next beat" },
	{ .name = NULL }
};

static const struct cmd_arg meter_args[] = {
	{ .name = "beats_per_bar", .type = ARG_INT, .required = 1, .min = 1,
	  .max = 32, .doc = "beats per bar; applies from the next beat" },
	{ .name = NULL }
};

static const struct cmd_arg click_args[] = {
	{ .name = "enabled", .type = ARG_BOOL, .min = 1, .max = 0,
	  .doc = "click on/off (omitted: unchanged)" },
	{ .name = "volume", .type = ARG_NUM, .min = 0, .max = 1,
	  .doc = "click level 0..1 (omitted: unchanged)" },
	{ .name = NULL }
};

static struct cmd_arg column_args[] = {
	COLUMN_ARG(1, "column (0-based)"),
	{ .name = "beats", .type = ARG_INT, .required = 1, .min = 0,
	  .max = 4096, .doc = "loop length in beats; 0 = set by the first "
			      "recording" },
	{ .name = NULL }
};

static const struct cmd_arg quantize_args[] = {
	{ .name = "mode", .type = ARG_ENUM, .required = 1,
	  .choices = looper_quantize_words,
	  .doc = "when actions happen: next bar, next beat, or at once" },
	{ .name = NULL }
};

static const struct cmd_arg monitor_args[] = {
	{ .name = "enabled", .type = ARG_BOOL, .required = 1, .min = 1,
	  .max = 0, .doc = "pass the looper inputs to out_L/out_R" },
	{ .name = NULL }
};

static const struct cmd_arg session_args[] = {
	{ .name = "name", .type = ARG_STR, .required = 1,
	  .max_len = SESSION_NAME_MAX,
	  .doc = "session name: letters, digits, space, _ . -; no leading "
		 "dot" },
	{ .name = NULL }
};

static struct cmd_arg put_args[] = {
	COLUMN_ARG(0, "column"),
	TRACK_ARG(0, "track"),
	{ .name = "upload", .type = ARG_STR, .required = 1, .max_len = 64,
	  .doc = "upload token handed out by PUT "
		 "/api/v1/looper/tracks/{column}/{track}.wav" },
	{ .name = NULL }
};

/* The schemas above are written with the largest grid; the configured
 * one narrows them once at start-up, before any thread reads the table. */
static int narrow_to_grid(const struct sb_config *cfg, char *err,
			  size_t errlen)
{
	int columns = (int)cfg->geom.n_columns, tracks = (int)cfg->geom.n_tracks;
	struct cmd_arg *const lists[] = { track_cmd_args, select_args,
					  volume_args, column_args, put_args };

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		for (struct cmd_arg *a = lists[i]; a->name; a++) {
			if (strcmp(a->name, "column") == 0)
				a->max = columns - 1;
			else if (strcmp(a->name, "track") == 0)
				a->max = tracks - 1;
		}
	}
	(void)err;
	(void)errlen;
	return 0;
}

/* Acts on the live looper: needs the engine, waits for a load/restore. */
#define ON_LOOPER (CMD_NEEDS_ENGINE | CMD_AFTER_RESTORE)

#define TRACK_CMD(nm, fn_, text) \
	{ .name = nm, .doc = text, .args = track_cmd_args, \
	  .flags = ON_LOOPER, .fn = fn_ }

static const struct cmd_def defs[] = {
	{ .name = "transport.set_tempo", .doc = "Set the tempo.",
	  .args = tempo_args, .flags = ON_LOOPER, .fn = set_tempo },
	{ .name = "transport.set_meter", .doc = "Set the beats per bar.",
	  .args = meter_args, .flags = ON_LOOPER, .fn = set_meter },
	{ .name = "transport.start", .doc = "Start the transport at beat 0.",
	  .flags = ON_LOOPER, .fn = transport_start },
	{ .name = "transport.stop",
	  .doc = "Stop the transport; every track falls silent.",
	  .flags = ON_LOOPER, .fn = transport_stop },
	{ .name = "click.set", .doc = "Metronome click on the click port.",
	  .args = click_args, .flags = ON_LOOPER, .fn = click_set },
	{ .name = "looper.set_column",
	  .doc = "Set a column's loop length in beats.",
	  .args = column_args, .flags = ON_LOOPER, .fn = set_column },
	{ .name = "looper.set_quantize",
	  .doc = "Quantize track actions to bar, beat or off.",
	  .args = quantize_args, .flags = ON_LOOPER,
	  .fn = set_quantize },
	{ .name = "looper.set_monitor", .doc = "Input monitoring on/off.",
	  .args = monitor_args, .flags = ON_LOOPER,
	  .fn = set_monitor },
	TRACK_CMD("looper.record", do_record,
		  "Record a new loop at the next boundary (again: stop)."),
	TRACK_CMD("looper.overdub", do_overdub,
		  "Layer the input over the loop (again: stop)."),
	TRACK_CMD("looper.play", do_play, "Play (ends record/overdub, "
		  "unmutes)."),
	TRACK_CMD("looper.mute", do_mute, "Mute, keeping the position."),
	TRACK_CMD("looper.solo", do_solo, "Toggle solo."),
	TRACK_CMD("looper.clear", do_clear, "Empty the track."),
	TRACK_CMD("looper.undo", do_undo, "Go back one layer."),
	TRACK_CMD("looper.redo", do_redo, "Go forward one layer."),
	{ .name = "looper.set_volume", .doc = "Set a track's volume.",
	  .args = volume_args, .flags = ON_LOOPER, .fn = set_volume },
	{ .name = "looper.select",
	  .doc = "Select the track MIDI bindings without a track act on.",
	  .args = select_args, .fn = do_select },
	{ .name = "looper.state",
	  .doc = "The looper grid, transport and selection.",
	  .fn = do_state },
	{ .name = "looper.track_info",
	  .doc = "A track's current layer: stream id, frames, take file.",
	  .args = track_cmd_args, .fn = do_track_info },
	{ .name = "looper.put_track",
	  .doc = "Internal: load an uploaded WAV (see PUT "
		 "/api/v1/looper/tracks/{column}/{track}.wav).",
	  .args = put_args, .flags = ON_LOOPER, .fn = do_put_track },
	{ .name = "looper.save_session",
	  .doc = "Save every track, tempo and settings under a name.",
	  .args = session_args, .flags = CMD_AFTER_RESTORE, .fn = do_save },
	{ .name = "looper.load_session",
	  .doc = "Replace the looper's state with a saved session.",
	  .args = session_args, .flags = ON_LOOPER, .fn = do_load },
	{ .name = "looper.list_sessions", .doc = "Saved sessions.",
	  .fn = do_list },
	{ .name = NULL }
};

const struct cmd_domain cmd_looper_domain = {
	.name = "looper",
	.defs = defs,
	.init = narrow_to_grid,
	.gate = looper_gate,
};
