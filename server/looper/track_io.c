/*
 * track_io.c - WAV files in and out of tracks (see track_io.h).
 */
#include "server/looper/track_io.h"
#include "server/audio/wavio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "server/audio/chunks.h"
#include "server/core/ctl.h"
#include "server/audio/resample.h"
#include "server/core/paths.h"
#include "server/core/worker.h"
#include "server/audio/takes.h"

#define TIO_PATH 1200
#define MAX_SECONDS 3600	/* longer than any chunk pool */

/* --- stream ids and upload files --- */

static void upload_path(const char *token, char *buf, size_t len)
{
	snprintf(buf, len, "%s/upload-%s", paths_tmp(), token);
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

/* --- decoding --- */

/* Interleaved frames of any channel count -> stereo (mono to both). */
static float *to_stereo(const float *in, uint64_t frames, int ch)
{
	float *out = malloc(frames * 2 * sizeof(float) + 1);

	for (uint64_t f = 0; out && f < frames; f++) {
		out[2 * f] = in[f * (uint64_t)ch];
		out[2 * f + 1] = in[f * (uint64_t)ch + (ch > 1)];
	}
	return out;
}

static int read_all(SNDFILE *sf, const SF_INFO *info, float **out,
		    uint64_t *frames)
{
	float *raw = malloc((size_t)info->frames * info->channels *
			    sizeof(float) + 1);
	sf_count_t got;

	if (!raw)
		return -ENOMEM;
	got = sf_readf_float(sf, raw, info->frames);
	*frames = got > 0 ? (uint64_t)got : 0;
	*out = to_stereo(raw, *frames, info->channels);
	free(raw);
	return *out ? 0 : -ENOMEM;
}

static int convert_rate(struct tio_layer *l, uint32_t from, uint32_t to)
{
	uint64_t n = resample_out_len(l->frames, from, to);
	float *out = malloc(n * 2 * sizeof(float) + 1);
	int rc;

	if (!out)
		return -ENOMEM;
	rc = resample(l->audio, l->frames, 2, from, to, out);
	if (rc) {
		free(out);
		return rc;
	}
	free(l->audio);
	l->audio = out;
	l->frames = n;
	return 0;
}

/* Worker thread. */
int tio_decode(struct tio_layer *l, const char *path, uint32_t rate,
	       char *err, size_t errlen)
{
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	int rc;

	if (!sf) {
		snprintf(err, errlen, "not a readable audio file: %s",
			 sf_strerror(NULL));
		return -EINVAL;
	}
	if (info.frames <= 0 || info.channels < 1 || info.samplerate < 1 ||
	    (double)info.frames / info.samplerate > MAX_SECONDS) {
		sf_close(sf);
		snprintf(err, errlen, "not a readable audio file: %s",
			 info.frames <= 0 ? "no audio in it" : "too long");
		return -EINVAL;
	}
	rc = read_all(sf, &info, &l->audio, &l->frames);
	sf_close(sf);
	if (!rc && (uint32_t)info.samplerate != rate)
		rc = convert_rate(l, (uint32_t)info.samplerate, rate);
	if (rc) {
		free(l->audio);
		l->audio = NULL;
		snprintf(err, errlen, "decoding: %s", strerror(-rc));
	}
	return rc;
}

/* --- chunks and the take file --- */

static void fill_chunks(const struct sb_arena *a, struct tio_layer *l,
			const uint32_t *idx, uint32_t n, uint32_t cf)
{
	for (uint32_t k = 0; k < n; k++) {
		struct sb_chunk *c = chunks_at(a, idx[k]);
		uint64_t from = (uint64_t)k * cf;
		uint32_t len = (uint32_t)(l->frames - from < cf ?
					  l->frames - from : cf);
		float *dst = sb_chunk_samples(c);

		*c = (struct sb_chunk){ .index = idx[k],
			.next = k + 1 < n ? idx[k + 1] : SB_CHUNK_NONE,
			.stream = l->stream, .seq = k, .frames = len,
			.flags = (k == 0 ? SB_CHUNK_FIRST : 0) |
				 (k + 1 == n ? SB_CHUNK_LAST : 0),
			.channels = 2, .column = (int16_t)l->column,
			.track = (int16_t)l->track };
		memcpy(dst, l->audio + 2 * from, (size_t)len * 2 *
		       sizeof(float));
		memset(dst + 2 * len, 0, (size_t)(cf - len) * 2 *
		       sizeof(float));
	}
}

static int take_chunks(struct tio_layer *l, char *err, size_t errlen)
{
	uint32_t cf = chunks_frames(), n, *idx;
	const struct sb_arena *a;
	int rc;

	if (!cf) {
		snprintf(err, errlen, "engine arena not mapped");
		return -ENOTCONN;
	}
	n = (uint32_t)((l->frames + cf - 1) / cf);
	idx = malloc(n * sizeof(*idx) + 1);
	if (!idx)
		return -ENOMEM;
	rc = chunks_take(n, idx, &l->epoch);
	if (rc) {
		snprintf(err, errlen, "not enough free chunk memory (%u "
			 "chunks needed, %u free)", n, chunks_free_count());
		free(idx);
		return rc == -ENOMEM ? -ENOSPC : rc;
	}
	a = chunks_hold();
	if (a)
		fill_chunks(a, l, idx, n, cf);
	chunks_unhold();
	l->head = idx[0];
	free(idx);
	return 0;
}

static int write_take(const struct tio_layer *l, uint32_t rate, char *err,
		      size_t errlen)
{
	char path[TIO_PATH], tmp[TIO_PATH + 8];
	SF_INFO info = { .samplerate = (int)rate, .channels = 2,
			 .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *sf;
	sf_count_t put;

	takes_path(l->stream, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.part", path);
	sf = sf_open(tmp, SFM_WRITE, &info);
	if (!sf) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 sf_strerror(NULL));
		return -EIO;
	}
	put = sf_writef_float(sf, l->audio, (sf_count_t)l->frames);
	sf_close(sf);
	if (put != (sf_count_t)l->frames || rename(tmp, path)) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s (disk full?)", path);
		return -ENOSPC;
	}
	return 0;
}

/* Worker thread. */
int tio_fill(struct tio_layer *l, uint32_t rate, char *err, size_t errlen)
{
	int rc = write_take(l, rate, err, errlen);

	if (!rc)
		rc = take_chunks(l, err, errlen);
	return rc;
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
	if (status)
		chunks_load_failed(l->head, l->epoch, l->eng);
	l->handed = 2;
	if (status)
		l->head = SB_CHUNK_NONE;
}

/* Any thread. */
void tio_free(struct tio_layer *l)
{
	if (!l->handed && l->head != SB_CHUNK_NONE)
		chunks_give_back_list(l->head, l->epoch);
	l->head = SB_CHUNK_NONE;
	free(l->audio);
	l->audio = NULL;
}

/* --- the commands --- */

static int track_status(int c, int t, struct sb_track_status *ts)
{
	static struct sb_looper_status s;	/* control thread only */
	const struct sb_arena *a = ctl_arena_mapped();

	if (!a)
		return -ENOTCONN;
	sb_looper_read(a, &s);
	*ts = s.track[c * SB_MAX_TRACKS + t];
	return 0;
}

/* Control thread. */
void track_io_info(struct cmd_req *req, int c, int t)
{
	struct sb_track_status ts;
	struct take_info ti;
	char take[TAKES_PATH_MAX], hex[20];

	if (track_status(c, t, &ts)) {
		cmd_fail(req, 503, "engine not attached");
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
		cmd_fail(j->req, j->rc == -EINVAL ? 400 : j->rc == -ENOSPC ?
			 507 : 500, "%s", j->err);
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

	if (!token_ok(token) || track_status(c, t, &ts)) {
		cmd_fail(req, 400, "argument 'upload': unknown upload");
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		cmd_fail(req, 500, "out of memory");
		return;
	}
	sb_status_read(ctl_arena_mapped(), &st);
	*j = (struct put_job){ .req = req, .rate = st.sample_rate ?
			       st.sample_rate : 48000 };
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
