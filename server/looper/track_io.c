/*
 * track_io.c - WAV files in and out of tracks (see track_io.h).
 */
#include "server/looper/track_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "server/audio/chunks.h"
#include "server/audio/take_gc.h"
#include "server/audio/takes.h"
#include "server/audio/wavio.h"
#include "server/core/ctl.h"
#include "server/core/paths.h"
#include "server/core/worker.h"

#define TIO_PATH 1200
#define UPLOAD_PREFIX "upload-"

/* --- stream ids and upload files --- */

static void upload_path(const char *token, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" UPLOAD_PREFIX "%s", paths_tmp(), token);
}

/* Main thread. */
int track_io_init(void)
{
	char path[TIO_PATH];
	struct dirent *e;
	DIR *d = opendir(paths_tmp());
	int n = 0;

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, UPLOAD_PREFIX, strlen(UPLOAD_PREFIX)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", paths_tmp(), e->d_name);
		n += unlink(path) == 0;
	}
	if (d)
		closedir(d);
	return n;
}

static int token_ok(const char *token)
{
	size_t n = token ? strlen(token) : 0;

	if (n != TRACK_IO_TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((token[i] >= '0' && token[i] <= '9') ||
		      (token[i] >= 'a' && token[i] <= 'f')))
			return 0;
	return 1;
}

/* HTTP thread. */
int track_io_upload_open(char *token, size_t len, int *fd)
{
	unsigned char rnd[TRACK_IO_TOKEN_LEN / 2];
	char path[TIO_PATH];

	if (len < TRACK_IO_TOKEN_LEN + 1 ||
	    getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	upload_path(token, path, sizeof(path));
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (*fd < 0) {
		token[0] = '\0';
		return -errno;
	}
	return 0;
}

/* Any thread. */
void track_io_upload_drop(const char *token)
{
	char path[TIO_PATH];

	if (!token_ok(token))
		return;
	upload_path(token, path, sizeof(path));
	unlink(path);
}

/* --- a layer from a file --- */

/* Worker thread. */
int tio_decode(struct tio_layer *l, const char *path, uint32_t rate,
	       char *err, size_t errlen)
{
	uint64_t cf = chunks_frames();
	struct wavio_limits lim = {
		.pool_frames = cf * chunks_count(),
		.free_frames = cf * chunks_takeable(),
	};
	int rc;

	if (!cf) {
		snprintf(err, errlen, "engine arena not mapped");
		return -ENOTCONN;
	}
	take_gc_hold(l->stream);	/* before its take file exists */
	rc = wavio_read(path, rate, &lim, &l->au, err, errlen);
	l->frames = rc ? 0 : l->au.frames;
	return rc;
}

/* Worker thread. */
int tio_fill(struct tio_layer *l, uint32_t rate, char *err, size_t errlen)
{
	char path[TAKES_PATH_MAX];
	struct chunk_list cl;
	int rc = wavio_to_chunks(&l->au, l->stream, &cl, err, errlen);

	if (rc)
		return rc;
	l->head = cl.head;
	l->epoch = cl.epoch;
	takes_path(l->stream, path, sizeof(path));
	rc = wavio_write(path, l->au.lr, l->au.frames, rate, err, errlen);
	if (rc) {
		chunks_give_back_list(l->head, l->epoch);
		l->head = SB_CHUNK_NONE;
		return rc == -EIO ? -ENOSPC : rc;
	}
	l->take = 1;
	wavio_free(&l->au);	/* it is in the chunks and on disk now */
	return 0;
}

/* Control thread. */
int tio_load_msg(struct tio_layer *l, struct sb_msg *m)
{
	int rc;

	if (l->head == SB_CHUNK_NONE)
		return -ENOENT;
	rc = chunks_handoff(l->head, l->epoch, &l->eng);
	if (rc)
		return rc;
	l->handed = 1;
	*m = (struct sb_msg){ .type = SB_CMD_LOOPER_LOAD };
	m->u.looper.column = l->column;
	m->u.looper.track = l->track;
	m->u.looper.value = l->state;
	m->u.looper.chunk = l->head;
	m->u.looper.frames = l->frames;
	m->u.looper.stream = l->stream;
	m->u.looper.gain = l->volume;
	m->u.looper.next_state = -1;
	return 0;
}

/* Control thread. */
void tio_loaded(struct tio_layer *l, int status)
{
	if (l->handed != 1)
		return;
	/*
	 * No answer: an engine that only stalled may still take the layer,
	 * so its chunks stay the engine's (a restart reclaims them) and its
	 * take stays; freeing them could hand them out twice.
	 */
	l->unknown = status == -ETIMEDOUT;
	if (status && !l->unknown)
		chunks_load_failed(l->head, l->epoch, l->eng);
	l->handed = 2;
	l->loaded = !status;
	if (status)
		l->head = SB_CHUNK_NONE;
}

/* Any thread. */
void tio_free(struct tio_layer *l)
{
	char path[TAKES_PATH_MAX];

	if (!l->handed && l->head != SB_CHUNK_NONE)
		chunks_give_back_list(l->head, l->epoch);
	l->head = SB_CHUNK_NONE;
	wavio_free(&l->au);
	if (l->take && !l->loaded && !l->unknown) {
		takes_path(l->stream, path, sizeof(path));
		unlink(path);	/* no track got it: nothing refers to it */
	}
	l->take = 0;
}

/* --- the commands --- */

/* -ENOTCONN without an arena, -EAGAIN when the snapshot is stale. */
static int track_status(int c, int t, struct sb_track_status *ts)
{
	static struct sb_looper_status s;	/* control thread only */
	const struct sb_arena *a = ctl_arena_mapped();
	int rc = a ? sb_looper_read(a, &s) : -ENOTCONN;

	if (!rc)
		*ts = s.track[c * SB_MAX_TRACKS + t];
	return rc;
}

/* Control thread. */
void track_io_info(struct cmd_req *req, int c, int t)
{
	struct sb_track_status ts;
	struct take_info ti;
	char take[TAKES_PATH_MAX], hex[20];

	if (track_status(c, t, &ts)) {
		cmd_fail(req, 503, "engine not attached or not answering");
		return;
	}
	if (ts.state == SB_TRACK_EMPTY || !ts.stream) {
		cmd_fail(req, 404, "track %d/%d is empty", c, t);
		return;
	}
	/* A layer the take writer is still streaming would download short. */
	if (takes_info(ts.stream, &ti) ||
	    (!ti.complete && ti.frames < ts.frames)) {
		cmd_fail(req, 404, "track %d/%d: its audio is not on disk yet",
			 c, t);
		return;
	}
	takes_path(ts.stream, take, sizeof(take));
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)ts.stream);
	cmd_reply(req, json_pack("{s:i, s:i, s:I, s:s, s:s}", "column", c,
				 "track", t, "frames", (json_int_t)ts.frames,
				 "stream", hex, "take", take));
}

struct put_job {
	struct put_job *next;
	struct cmd_req *req;
	struct tio_layer l;
	uint32_t rate;
	char path[TIO_PATH];
	int rc;
	char err[320];
};

static struct put_job *puts_waiting;	/* control thread: awaiting ACKs */

static void put_work(void *arg)
{
	struct put_job *j = arg;

	if (access(j->path, F_OK) < 0) {
		j->rc = -EINVAL;
		snprintf(j->err, sizeof(j->err),
			 "argument 'upload': unknown upload");
		return;
	}
	j->rc = tio_decode(&j->l, j->path, j->rate, j->err, sizeof(j->err));
	unlink(j->path);	/* the audio is in memory or unusable */
	if (!j->rc)
		j->rc = tio_fill(&j->l, j->rate, j->err, sizeof(j->err));
}

/* A worker's error as an HTTP status. */
static int put_status(int rc)
{
	switch (rc) {
	case -EINVAL:
		return 400;
	case -EFBIG:
		return 413;	/* never fits this pool */
	case -ENOSPC:
		return 507;	/* does not fit what is free now */
	case -ENOTCONN:
		return 503;
	default:
		return 500;
	}
}

static void put_end(struct put_job *j)
{
	tio_free(&j->l);
	free(j);
}

static void put_acked(struct cmd_req *req, const struct sb_msg *reply)
{
	struct put_job **pp, *j;
	int status = reply ? reply->u.ack.status : -ETIMEDOUT;

	for (pp = &puts_waiting; (j = *pp) && j->req != req; pp = &j->next)
		;
	if (!j)
		return;
	*pp = j->next;
	tio_loaded(&j->l, status);
	if (!reply)
		cmd_fail(req, 504, "engine did not answer");
	else if (status == -ENOSPC || status == -ENOMEM)
		cmd_fail(req, 507, "out of chunk memory");
	else if (status)
		cmd_fail(req, 409, "the engine refused the audio: %s",
			 strerror(-status));
	else
		cmd_reply(req, json_pack("{s:i, s:i, s:I}", "column",
					 j->l.column, "track", j->l.track,
					 "frames", (json_int_t)j->l.frames));
	put_end(j);
}

static void put_done(void *arg)
{
	struct put_job *j = arg;
	struct sb_msg m;
	int rc;

	if (j->rc) {
		cmd_fail(j->req, put_status(j->rc), "%s", j->err);
		put_end(j);
		return;
	}
	rc = tio_load_msg(&j->l, &m);
	if (!rc)
		rc = ctl_engine_call(j->req, &m, put_acked);
	if (rc) {
		tio_loaded(&j->l, rc);
		cmd_fail(j->req, 503, "engine not ready for the audio: %s",
			 strerror(-rc));
		put_end(j);
		return;
	}
	j->next = puts_waiting;
	puts_waiting = j;
}

/* Control thread. */
void track_io_put(struct cmd_req *req, int c, int t, const char *token)
{
	struct sb_track_status ts;
	struct sb_status st;
	struct put_job *j;

	if (!token_ok(token)) {
		cmd_fail(req, 400, "argument 'upload': unknown upload");
		return;
	}
	if (track_status(c, t, &ts) ||
	    sb_status_read(ctl_arena_mapped(), &st) || !st.sample_rate) {
		cmd_fail(req, 503, "engine not attached or not answering");
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		cmd_fail(req, 500, "out of memory");
		return;
	}
	*j = (struct put_job){ .req = req, .rate = st.sample_rate };
	j->l = (struct tio_layer){ .column = c, .track = t,
		.state = ts.state == SB_TRACK_MUTED ? SB_TRACK_MUTED :
			 SB_TRACK_PLAYING,
		.volume = ts.state == SB_TRACK_EMPTY ? 1.0f : ts.volume,
		.stream = wavio_new_stream(), .head = SB_CHUNK_NONE };
	upload_path(token, j->path, sizeof(j->path));
	if (worker_defer(put_work, put_done, j)) {
		free(j);
		cmd_fail(req, 503, "server shutting down");
	}
}
