/*
 * takes.c - the take files (see takes.h).
 *
 * A small table remembers the last TAKE_SLOTS streams: open file, frames
 * on disk, complete/failed.  The writer thread is the only one that
 * changes an entry, so it does its file I/O without the lock and takes
 * the lock only to publish the entry's new figures to readers.
 */
#include "server/audio/takes.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/core/paths.h"

#define TAKE_SLOTS 256
#define MAX_SUBS 8

struct take {
	uint64_t stream;	/* 0 = empty slot */
	SNDFILE *sf;		/* open while the take grows */
	uint64_t frames;
	uint64_t used;		/* LRU stamp */
	int complete, failed;
};

struct notice {
	STAILQ_ENTRY(notice) link;
	uint64_t stream, frames;
};

STAILQ_HEAD(notices, notice);

static struct {
	pthread_mutex_t lock;	/* table figures, notices, subscribers */
	char dir[TAKES_PATH_MAX - 32];
	struct take t[TAKE_SLOTS];
	uint64_t clock;
	struct notices notices;	/* finished takes, oldest first */
	struct { takes_done_fn fn; void *arg; } subs[MAX_SUBS];
	int nsubs;
	float *buf;		/* writer only: channel conversion */
	size_t buf_frames;
} T = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.notices = STAILQ_HEAD_INITIALIZER(T.notices) };

int takes_init(const char *data_dir, char *err, size_t errlen)
{
	int rc;

	if (strlen(data_dir) + 8 >= sizeof(T.dir)) {
		snprintf(err, errlen, "data dir path too long");
		return -ENAMETOOLONG;
	}
	snprintf(T.dir, sizeof(T.dir), "%s/takes", data_dir);
	rc = paths_mkdir(T.dir, err, errlen);	/* DATA itself: paths_init */
	return rc;
}

void takes_fini(void)
{
	struct notice *n;

	for (int i = 0; i < TAKE_SLOTS; i++)
		if (T.t[i].sf)
			sf_close(T.t[i].sf);
	memset(T.t, 0, sizeof(T.t));
	while ((n = STAILQ_FIRST(&T.notices))) {
		STAILQ_REMOVE_HEAD(&T.notices, link);
		free(n);
	}
	free(T.buf);
	T.buf = NULL;
	T.buf_frames = 0;
}

void takes_path(uint64_t stream, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%016" PRIx64 ".wav", T.dir, stream);
}

/* --- the table --- */

static struct take *find(uint64_t stream)
{
	for (int i = 0; i < TAKE_SLOTS; i++)
		if (T.t[i].stream == stream)
			return &T.t[i];
	return NULL;
}

/* Least recently used slot, preferring closed ones.  Lock held. */
static struct take *victim(void)
{
	struct take *best = NULL;

	for (int pass = 0; pass < 2 && !best; pass++)
		for (int i = 0; i < TAKE_SLOTS; i++) {
			struct take *t = &T.t[i];
			if (!t->stream)
				return t;
			if ((pass || !t->sf) && (!best || t->used < best->used))
				best = t;
		}
	return best;
}

/* Writer: the slot of stream, claimed if new. */
static struct take *slot_for(uint64_t stream)
{
	struct take *t;

	pthread_mutex_lock(&T.lock);
	t = find(stream);
	if (!t) {
		t = victim();
		if (t->sf)
			sf_close(t->sf);
		memset(t, 0, sizeof(*t));
		t->stream = stream;
	}
	t->used = ++T.clock;
	pthread_mutex_unlock(&T.lock);
	return t;
}

static void publish(struct take *t, SNDFILE *sf, uint64_t frames)
{
	pthread_mutex_lock(&T.lock);
	t->sf = sf;
	t->frames = frames;
	pthread_mutex_unlock(&T.lock);
}

static void set_flags(struct take *t, int complete, int failed)
{
	pthread_mutex_lock(&T.lock);
	t->complete = complete;
	t->failed = failed;
	pthread_mutex_unlock(&T.lock);
}

/* --- files --- */

static SNDFILE *create(const char *path, uint32_t rate, char *err,
		       size_t errlen)
{
	SF_INFO info = { .samplerate = (int)rate, .channels = 2,
			 .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *sf;

	/* a new inode: never truncate a file a session links to */
	unlink(path);
	sf = sf_open(path, SFM_WRITE, &info);
	if (!sf) {
		snprintf(err, errlen, "cannot create %s: %s", path,
			 sf_strerror(NULL));
		return NULL;
	}
	sf_command(sf, SFC_SET_UPDATE_HEADER_AUTO, NULL, SF_TRUE);
	return sf;
}

/* Reopen a take a previous server (or we) started, to go on writing. */
static SNDFILE *reopen(const char *path, uint32_t rate, uint64_t *frames,
		       char *err, size_t errlen)
{
	SF_INFO info = { 0 };
	SNDFILE *sf;

	*frames = 0;
	if (access(path, F_OK) != 0)
		return create(path, rate, err, errlen);
	sf = sf_open(path, SFM_RDWR, &info);
	if (!sf) {
		snprintf(err, errlen, "cannot reopen %s: %s", path,
			 sf_strerror(NULL));
		return NULL;
	}
	if (info.channels != 2) {
		snprintf(err, errlen, "%s has %d channels, not 2", path,
			 info.channels);
		sf_close(sf);
		return NULL;
	}
	sf_command(sf, SFC_SET_UPDATE_HEADER_AUTO, NULL, SF_TRUE);
	*frames = (uint64_t)info.frames;
	return sf;
}

/* Stereo view of n frames: the chunk itself when it is stereo. */
static const float *as_stereo(const float *s, uint32_t ch, uint32_t n)
{
	if (ch == 2 || !s)
		return s;
	if (T.buf_frames < n) {
		float *b = realloc(T.buf, (size_t)n * 2 * sizeof(*b));
		if (!b)
			return NULL;
		T.buf = b;
		T.buf_frames = n;
	}
	for (uint32_t i = 0; i < n; i++) {
		T.buf[2 * i] = s[(size_t)i * ch];
		T.buf[2 * i + 1] = s[(size_t)i * ch + (ch > 1)];
	}
	return T.buf;
}

static int put(SNDFILE *sf, const float *lr, uint64_t n)
{
	static const float zero[2 * 1024];

	while (n) {
		sf_count_t k = n > 1024 ? 1024 : (sf_count_t)n;
		if (sf_writef_float(sf, lr ? lr : zero, k) != k)
			return -EIO;
		if (lr)
			lr += 2 * k;
		n -= (uint64_t)k;
	}
	return 0;
}

/* Seek to frame `at` (padding silence up to it), then write. */
static int write_at(struct take *t, uint64_t at, const float *lr,
		    uint32_t n)
{
	int rc = 0;

	if (sf_seek(t->sf, (sf_count_t)(at < t->frames ? at : t->frames),
		    SEEK_SET) < 0)
		return -EIO;
	if (at > t->frames)
		rc = put(t->sf, NULL, at - t->frames);
	if (!rc)
		rc = put(t->sf, lr, n);
	return rc;
}

static void notify(struct take *t)
{
	struct notice *n = malloc(sizeof(*n));

	pthread_mutex_lock(&T.lock);
	t->complete = 1;
	if (n) {
		n->stream = t->stream;
		n->frames = t->frames;
		STAILQ_INSERT_TAIL(&T.notices, n, link);
	}
	pthread_mutex_unlock(&T.lock);
}

static int open_for(struct take *t, const struct sb_chunk *h, uint32_t rate,
		    const char *path, char *err, size_t errlen)
{
	uint64_t frames = t->frames;
	SNDFILE *sf = t->sf;

	if (h->flags & SB_CHUNK_FIRST) {
		if (sf)
			sf_close(sf);
		publish(t, NULL, 0);
		set_flags(t, 0, 0);
		sf = create(path, rate, err, errlen);
		frames = 0;
	} else if (!sf) {
		sf = reopen(path, rate, &frames, err, errlen);
	}
	if (!sf)
		return -EIO;
	publish(t, sf, frames);
	return 0;
}

int takes_append(const struct sb_chunk *h, const float *samples,
		 uint32_t channels, uint32_t chunk_frames, uint32_t rate,
		 char *err, size_t errlen)
{
	char path[TAKES_PATH_MAX];
	struct take *t = slot_for(h->stream);
	uint64_t at = (uint64_t)h->seq * chunk_frames;
	const float *lr = as_stereo(samples, channels, h->frames);
	int rc;

	takes_path(h->stream, path, sizeof(path));
	rc = lr ? open_for(t, h, rate, path, err, errlen) : -ENOMEM;
	if (!rc) {
		rc = write_at(t, at, lr, h->frames);
		if (rc)
			snprintf(err, errlen, "cannot write %s: %s", path,
				 sf_strerror(t->sf));
	}
	if (rc) {
		set_flags(t, t->complete, 1);
		return rc;
	}
	publish(t, t->sf, at + h->frames > t->frames ? at + h->frames :
		t->frames);
	if (h->flags & SB_CHUNK_LAST) {
		sf_close(t->sf);
		publish(t, NULL, t->frames);
		notify(t);
	}
	return 0;
}

int takes_close_orphans(uint64_t keep_gen)
{
	int n = 0;

	for (int i = 0; i < TAKE_SLOTS; i++) {
		struct take *t = &T.t[i];
		uint64_t s = t->stream;

		if (!t->sf || (s >> 63) || (s >> 32) == keep_gen)
			continue;
		sf_close(t->sf);
		publish(t, NULL, t->frames);
		n++;
	}
	return n;
}

/* --- readers --- */

static int info_from_disk(uint64_t stream, struct take_info *ti)
{
	SF_INFO info = { 0 };
	SNDFILE *sf;

	takes_path(stream, ti->path, sizeof(ti->path));
	sf = sf_open(ti->path, SFM_READ, &info);
	if (!sf)
		return -ENOENT;
	ti->frames = (uint64_t)info.frames;
	ti->complete = 0;
	ti->failed = 0;
	sf_close(sf);
	return 0;
}

int takes_info(uint64_t stream, struct take_info *ti)
{
	struct take *t;
	int found = 0;

	memset(ti, 0, sizeof(*ti));
	pthread_mutex_lock(&T.lock);
	t = stream ? find(stream) : NULL;
	if (t) {
		found = 1;
		ti->frames = t->frames;
		ti->complete = t->complete;
		ti->failed = t->failed;
	}
	pthread_mutex_unlock(&T.lock);
	if (!found)
		return stream ? info_from_disk(stream, ti) : -ENOENT;
	takes_path(stream, ti->path, sizeof(ti->path));
	return 0;
}

int takes_busy(uint64_t stream)
{
	struct take *t;
	int busy;

	pthread_mutex_lock(&T.lock);
	t = stream ? find(stream) : NULL;
	busy = t && t->sf;
	pthread_mutex_unlock(&T.lock);
	return busy;
}

const char *takes_dir(void)
{
	return T.dir;
}

int takes_subscribe(takes_done_fn fn, void *arg)
{
	int rc = -ENOSPC;

	pthread_mutex_lock(&T.lock);
	if (T.nsubs < MAX_SUBS) {
		T.subs[T.nsubs].fn = fn;
		T.subs[T.nsubs].arg = arg;
		T.nsubs++;
		rc = 0;
	}
	pthread_mutex_unlock(&T.lock);
	return rc;
}

void takes_poll(void)
{
	struct notices got = STAILQ_HEAD_INITIALIZER(got);
	struct notice *n;
	int nsubs;

	pthread_mutex_lock(&T.lock);
	STAILQ_CONCAT(&got, &T.notices);
	nsubs = T.nsubs;
	pthread_mutex_unlock(&T.lock);
	while ((n = STAILQ_FIRST(&got))) {
		STAILQ_REMOVE_HEAD(&got, link);
		for (int i = 0; i < nsubs; i++)
			T.subs[i].fn(n->stream, n->frames, T.subs[i].arg);
		free(n);
	}
}
