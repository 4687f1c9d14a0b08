/*
 * session.c - save, load and list looper sessions (see session.h).
 *
 * Each command builds a job on the control thread, runs its file work on
 * the quick worker lane (WORKER_QUICK: never behind a WAV import or a
 * patch compile) and finishes on the control thread.  A
 * load is three hops: decode every track (worker), reserve chunks
 * (control), fill them and write the take files (worker), then RESET,
 * column lengths, one LOAD per track and the settings go to the engine
 * one call after the other.
 */
#include "server/looper/session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/audio/take_gc.h"
#include "server/audio/takes.h"
#include "server/audio/wavio.h"
#include "server/core/ctl.h"
#include "server/core/paths.h"
#include "server/core/worker.h"
#include "server/looper/looper_msg.h"
#include "server/looper/recover.h"
#include "server/looper/session_file.h"
#include "server/looper/track_io.h"

#define MS 1000000ull

static struct {
	char sessions[SB_PATH_MAX + 16];
	const struct session_hooks *hooks;
	int columns, tracks;	/* the grid, from the config */
	int loading;		/* control thread */
	int saving;		/* control thread: save/autosave/recovery jobs */
} G;

/* --- set-up and names --- */

/* Main thread. */
int session_init(const struct session_hooks *hooks, int columns, int tracks,
		 char *err, size_t errlen)
{
	G.hooks = hooks;
	G.columns = columns;
	G.tracks = tracks;
	int rc;

	snprintf(G.sessions, sizeof(G.sessions), "%s/sessions", paths_data());
	rc = paths_mkdir(G.sessions, err, errlen);
	if (!rc)
		sfile_tidy(G.sessions);
	return rc;
}

static int name_char_ok(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == ' ' || ch == '_' ||
	       ch == '.' || ch == '-';
}

/* Any thread. */
int session_name_check(const char *name, int allow_last, char *err,
		       size_t errlen)
{
	size_t n = name ? strlen(name) : 0;

	if (allow_last && name && strcmp(name, SESSION_LAST) == 0)
		return 0;
	if (n < 1 || n > SESSION_NAME_MAX) {
		snprintf(err, errlen, "a session name has 1..%d characters",
			 SESSION_NAME_MAX);
		return -EINVAL;
	}
	if (name[0] == '.') {
		snprintf(err, errlen, "a session name may not start with a "
			 "dot");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (name_char_ok(name[i]))
			continue;
		/* never echo a byte that may not be valid UTF-8 */
		if (ch > 0x20 && ch < 0x7f)
			snprintf(err, errlen, "'%c' is not allowed (use "
				 "letters, digits, space, _ . -)", ch);
		else
			snprintf(err, errlen, "byte 0x%02x is not allowed "
				 "(use letters, digits, space, _ . -)", ch);
		return -EINVAL;
	}
	return 0;
}

int session_loading(void)
{
	return G.loading;
}

/* --- save --- */

struct save_job {
	struct cmd_req *req;	/* NULL: autosave */
	char name[SESSION_NAME_MAX + 1];
	struct sess_state s;
	int rc;
	char err[256];
};

static void save_work(void *arg)
{
	struct save_job *j = arg;

	j->rc = sfile_save(G.sessions, j->name, &j->s, j->err,
			   sizeof(j->err));
}

static void save_done(void *arg)
{
	struct save_job *j = arg;

	G.saving--;
	if (!j->req) {
		if (j->rc)
			fprintf(stderr, "stagebox-server: autosave: %s\n",
				j->err);
		if (G.hooks->autosaved)
			G.hooks->autosaved(j->rc);
	} else if (j->rc) {
		cmd_fail(j->req, j->rc == -ENOSPC ? 507 : 500, "saving '%s': "
			 "%s", j->name, j->err);
	} else {
		if (G.hooks->saved)
			G.hooks->saved(&j->s, 0);
		cmd_reply(j->req, json_pack("{s:s}", "name", j->name));
		take_gc_start();	/* takes nothing needs any more go */
	}
	free(j);
}

static int start_save(struct cmd_req *req, const char *name,
		      const struct sess_state *s)
{
	struct save_job *j = calloc(1, sizeof(*j));
	int rc;

	if (!j)
		return -ENOMEM;
	j->req = req;
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->s = *s;
	rc = worker_defer_lane(WORKER_QUICK, save_work, save_done, j);
	if (rc)
		free(j);
	else
		G.saving++;
	return rc;
}

void session_save(struct cmd_req *req, const char *name,
		  const struct sess_state *s)
{
	if (start_save(req, name, s))
		cmd_fail(req, 503, "server shutting down");
}

int session_autosave(const struct sess_state *s)
{
	if (G.saving || G.loading)
		return -EBUSY;
	return start_save(NULL, SESSION_LAST, s);
}

/* --- recovery of cut-short takes --- */

struct recover_job {
	struct sess_state s;
	struct recover_take r[SESSION_TRACKS];
	int n;
	int rc;
	char err[320];
};

static void recover_work(void *arg)
{
	struct recover_job *j = arg;
	char why[320];

	for (int i = 0; i < j->n; i++)
		if (recover_take(&j->r[i], &j->s, why, sizeof(why)))
			fprintf(stderr, "stagebox-server: recovering the take "
				"of track %d/%d: %s\n", j->r[i].column,
				j->r[i].track, why);
	j->rc = sfile_save(G.sessions, SESSION_LAST, &j->s, j->err,
			   sizeof(j->err));
}

static void recover_done(void *arg)
{
	struct recover_job *j = arg;

	G.saving--;
	if (j->rc)
		fprintf(stderr, "stagebox-server: writing the recovered "
			"takes into %s: %s\n", SESSION_LAST, j->err);
	if (G.hooks->recovered)
		G.hooks->recovered(j->rc);
	free(j);
}

int session_recover(const struct sess_state *s, const struct recover_take *r,
		    int n)
{
	struct recover_job *j;
	int rc;

	if (n < 0 || n > SESSION_TRACKS)
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->s = *s;
	memcpy(j->r, r, (size_t)n * sizeof(*r));
	j->n = n;
	rc = worker_defer_lane(WORKER_QUICK, recover_work, recover_done, j);
	if (rc)
		free(j);
	else
		G.saving++;
	return rc;
}

/* --- list --- */

struct list_job {
	struct cmd_req *req;
	json_t *list;
};

static void list_work(void *arg)
{
	struct list_job *j = arg;

	j->list = sfile_list(G.sessions);
}

static void list_done(void *arg)
{
	struct list_job *j = arg;

	cmd_reply(j->req, json_pack("{s:o}", "sessions", j->list));
	free(j);
}

void session_list(struct cmd_req *req)
{
	struct list_job *j = calloc(1, sizeof(*j));

	if (!j) {
		cmd_fail(req, 500, "out of memory");
		return;
	}
	j->req = req;
	if (worker_defer_lane(WORKER_QUICK, list_work, list_done, j)) {
		free(j);
		cmd_fail(req, 503, "server shutting down");
	}
}

/* --- load --- */

struct load_job {
	struct cmd_req *req;
	char name[SESSION_NAME_MAX + 1];
	uint32_t rate;
	struct sess_state s;
	struct tio_layer layer[SESSION_TRACKS];
	int n_layers;
	int missing;		/* .last not there: nothing to restore */
	int rc;
	char err[320];
	/* engine call sequence */
	struct sb_msg msgs[SESSION_TRACKS * 3 + SB_MAX_COLUMNS + 8];
	int msg_layer[SESSION_TRACKS * 3 + SB_MAX_COLUMNS + 8];
	int n_msgs, next_msg;
	int load_failures;
	int first_error;	/* first refused message: -errno */
	uint16_t first_error_type;
};

static struct load_job *cur_load;	/* control thread: at most one */

static void load_finish(struct load_job *j, int status, const char *msg);

static void decode_work(void *arg)
{
	struct load_job *j = arg;

	j->rc = sfile_load(G.sessions, j->name, j->rate, &j->s, j->layer,
			   &j->n_layers, j->err, sizeof(j->err));
	if (j->rc == -ENOENT && strcmp(j->name, SESSION_LAST) == 0)
		j->missing = 1;
}

static void fill_work(void *arg)
{
	struct load_job *j = arg;

	for (int i = 0; i < j->n_layers && !j->rc; i++)
		j->rc = tio_fill(&j->layer[i], j->rate, j->err,
				 sizeof(j->err));
}

static void push_msg(struct load_job *j, const struct sb_msg *m, int layer)
{
	j->msg_layer[j->n_msgs] = layer;
	j->msgs[j->n_msgs++] = *m;
}

static void push_looper(struct load_job *j, uint16_t type, int c, int t,
			int32_t value)
{
	struct sb_msg m = looper_msg(type, c, t, value);

	push_msg(j, &m, -1);
}

/* The whole conversation with the engine, in the order it must happen. */
static void plan_msgs(struct load_job *j)
{
	struct sb_msg m = { .type = SB_CMD_LOOPER_RESET };
	const struct sess_state *s = &j->s;

	push_msg(j, &m, -1);
	m = looper_msg_tempo(s->bpm);
	push_msg(j, &m, -1);
	m = looper_msg_meter(s->beats_per_bar);
	push_msg(j, &m, -1);
	for (uint32_t c = 0; c < s->n_columns; c++)
		push_looper(j, SB_CMD_LOOPER_COLUMN, (int)c, -1,
			   s->column_beats[c]);
	for (int i = 0; i < j->n_layers; i++) {
		struct tio_layer *l = &j->layer[i];

		m = (struct sb_msg){ .type = SB_CMD_LOOPER_LOAD };
		push_msg(j, &m, i);	/* built when sent: chunks change hands */
		m = (struct sb_msg){ .type = SB_CMD_LOOPER_VOLUME };
		m.u.looper.column = l->column;
		m.u.looper.track = l->track;
		m.u.looper.gain = l->volume;
		push_msg(j, &m, -1);
		if (l->solo)
			push_looper(j, SB_CMD_LOOPER_ACTION, l->column,
				   l->track, SB_LA_SOLO);
	}
	push_looper(j, SB_CMD_LOOPER_QUANTIZE, -1, -1, s->quantize);
	push_looper(j, SB_CMD_LOOPER_MONITOR, -1, -1, s->monitor);
	m = looper_msg_click(s->click_enabled, s->click_volume);
	push_msg(j, &m, -1);
}

static void send_next(struct load_job *j);

static void msg_done(struct cmd_req *req, const struct sb_msg *reply)
{
	struct load_job *j = cur_load;
	int li = j->msg_layer[j->next_msg - 1];

	(void)req;
	if (!reply) {
		if (li >= 0)
			tio_loaded(&j->layer[li], -ETIMEDOUT);
		load_finish(j, 504, "engine did not answer");
		return;
	}
	if (li >= 0) {
		tio_loaded(&j->layer[li], reply->u.ack.status);
		if (reply->u.ack.status)
			j->load_failures++;
	} else if (reply->u.ack.status && !j->first_error) {
		j->first_error = reply->u.ack.status;
		j->first_error_type = j->msgs[j->next_msg - 1].type;
	}
	if (j->first_error && j->next_msg == 1) {
		load_finish(j, 500, "the engine refused the reset");
		return;
	}
	send_next(j);
}

static void send_next(struct load_job *j)
{
	struct sb_msg m;
	int li, rc;

	if (j->next_msg == j->n_msgs) {
		load_finish(j, 200, NULL);
		return;
	}
	li = j->msg_layer[j->next_msg];
	m = j->msgs[j->next_msg++];
	if (li >= 0 && tio_load_msg(&j->layer[li], &m)) {
		j->load_failures++;
		send_next(j);
		return;
	}
	rc = ctl_engine_call(j->req, &m, msg_done);
	if (rc) {
		if (li >= 0)
			tio_loaded(&j->layer[li], rc);
		load_finish(j, 503, rc == -EAGAIN ? "engine command queue "
			    "full" : "engine not attached");
	}
}

/* A worker's error as an HTTP status (as for an upload). */
static int load_status(int rc)
{
	switch (rc) {
	case -ENOENT:
		return 404;
	case -EINVAL:
		return 400;
	case -EFBIG:
		return 413;
	case -ENOSPC:
		return 507;
	case -ENOTCONN:
		return 503;
	default:
		return 500;
	}
}

static void fill_done(void *arg)
{
	struct load_job *j = arg;

	if (j->rc) {
		load_finish(j, load_status(j->rc), j->err);
		return;
	}
	plan_msgs(j);
	send_next(j);
}

static void decode_done(void *arg)
{
	struct load_job *j = arg;

	if (j->missing) {
		load_finish(j, 200, NULL);
		return;
	}
	if (j->rc) {
		load_finish(j, load_status(j->rc), j->err);
		return;
	}
	if (worker_defer_lane(WORKER_QUICK, fill_work, fill_done, j))
		load_finish(j, 503, "server shutting down");
}

static json_t *load_result(const struct load_job *j)
{
	return json_pack("{s:s, s:i, s:b}", "name", j->name,
			 "tracks", j->n_layers, "restored", !j->missing);
}

static void load_finish(struct load_job *j, int status, const char *msg)
{
	int last = strcmp(j->name, SESSION_LAST) == 0;
	char why[160];

	if (status == 200 && j->load_failures) {
		status = 507;
		msg = "the engine refused some tracks (out of chunk memory?)";
	} else if (status == 200 && j->first_error) {
		snprintf(why, sizeof(why), "the engine refused message 0x%x: "
			 "%s", j->first_error_type, strerror(-j->first_error));
		status = 500;
		msg = why;
	}
	if (status == 200 && !j->missing && G.hooks->saved)
		G.hooks->saved(&j->s, last);
	for (int i = 0; i < j->n_layers; i++)
		tio_free(&j->layer[i]);
	if (status == 200)
		cmd_reply(j->req, load_result(j));
	else
		cmd_fail(j->req, status, "loading '%s': %s", j->name, msg);
	cur_load = NULL;
	G.loading = 0;
	free(j);
	if (G.hooks->load_over)
		G.hooks->load_over(last);
}

void session_load(struct cmd_req *req, const char *name)
{
	struct load_job *j;
	const struct sb_arena *a = ctl_arena();
	struct sb_status st = { 0 };

	if (G.loading || !a) {
		cmd_fail(req, G.loading ? 409 : 503, G.loading ?
			 "another session is loading" : "engine not attached");
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		cmd_fail(req, 500, "out of memory");
		return;
	}
	if (sb_status_read(a, &st))
		st.sample_rate = 0;	/* stale: the default rate */
	j->req = req;
	j->rate = st.sample_rate ? st.sample_rate : 48000;
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->s.n_columns = (uint32_t)G.columns;
	j->s.n_tracks = (uint32_t)G.tracks;
	for (int i = 0; i < SESSION_TRACKS; i++) {
		j->layer[i].stream = wavio_new_stream();
		j->layer[i].head = SB_CHUNK_NONE;
	}
	if (worker_defer_lane(WORKER_QUICK, decode_work, decode_done, j)) {
		free(j);
		cmd_fail(req, 503, "server shutting down");
		return;
	}
	cur_load = j;
	G.loading = 1;
}
