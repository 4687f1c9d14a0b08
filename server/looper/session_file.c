/*
 * session_file.c - session directories on disk (see session_file.h).
 * Worker thread only: everything here does file I/O.
 */
#include "server/looper/session_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/audio/takes.h"
#include "server/looper/looper_msg.h"

#define SF_PATH 1200
#define SFILE_TMP ".tmp-"	/* a session being written */
#define SFILE_OLD ".old-"	/* an old one on its way out */
#define TAKE_WAIT_MS 3000	/* a take still being written gets this */

/* --- directory helpers --- */

/* snprintf for paths: a path that does not fit is cut (and then not found). */
static void path_fmt(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Remove a flat directory (sessions hold files only). */
static void rm_flat_dir(const char *path)
{
	char p[SF_PATH];
	struct dirent *e;
	DIR *d = opendir(path);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			path_fmt(p, sizeof(p), "%s/%s", path, e->d_name);
			unlink(p);
		}
	}
	closedir(d);
	rmdir(path);
}

static int copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out, rc = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
	if (n < 0)
		rc = -errno;
	close(in);
	if (close(out) && !rc)
		rc = -EIO;
	return rc;
}

/*
 * fsync a file or directory by name: a session swapped into place must
 * be on the medium before the swap, or a power cut could leave the new
 * name pointing at files that never reached the SD card.
 */
static int sync_path(const char *path, int dir)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)	/* EINVAL: cannot sync */
		rc = -errno;
	close(fd);
	return rc;
}

/* A take still streaming in gets a moment to reach `frames`. */
static int wait_take(uint64_t stream, uint64_t frames, struct take_info *ti)
{
	struct timespec ts = { 0, 20 * 1000000L };

	for (int waited = 0;; waited += 20) {
		int rc = takes_info(stream, ti);

		if (rc == 0 && (ti->complete || ti->frames >= frames))
			return ti->failed ? -EIO : 0;
		if (waited >= TAKE_WAIT_MS)
			return rc ? rc : -EAGAIN;
		nanosleep(&ts, NULL);
	}
}

static int place_take(const struct sess_track *t, const char *dst,
		      char *err, size_t errlen)
{
	struct take_info ti;
	int rc = wait_take(t->stream, t->frames, &ti);

	if (rc) {
		snprintf(err, errlen, "take %016llx is not on disk%s",
			 (unsigned long long)t->stream,
			 rc == -EAGAIN ? " completely yet" : "");
		return rc;
	}
	rc = link(ti.path, dst) == 0 ? 0 : copy_file(ti.path, dst);
	if (!rc)
		rc = sync_path(dst, 0);
	if (rc)
		snprintf(err, errlen, "copying %s: %s", ti.path,
			 strerror(-rc));
	return rc;
}

/* --- writing --- */

static json_t *track_json(const struct sess_track *t, int c, int i)
{
	int st = t->state == SB_TRACK_MUTED ? SB_TRACK_MUTED
					    : SB_TRACK_PLAYING;
	char file[32];

	snprintf(file, sizeof(file), "track-%d-%d.wav", c, i);
	return json_pack("{s:i, s:s, s:f, s:b, s:s, s:I, s:b}", "index", i,
			 "state", looper_state_words[st],
			 "volume", (double)t->volume, "solo", t->solo,
			 "file", file, "frames", (json_int_t)t->frames,
			 "unsaved", t->unsaved);
}

static json_t *state_json(const struct sess_state *s)
{
	json_t *cols = json_array();
	int q = s->quantize >= 0 && s->quantize <= 2 ? s->quantize : 2;

	for (uint32_t c = 0; c < s->n_columns; c++) {
		json_t *tracks = json_array();

		for (uint32_t i = 0; i < s->n_tracks; i++) {
			const struct sess_track *t =
				&s->track[c * SB_MAX_TRACKS + i];
			if (t->stream)
				json_array_append_new(tracks,
					track_json(t, (int)c, (int)i));
		}
		json_array_append_new(cols, json_pack("{s:i, s:i, s:o}",
			"index", (int)c, "beats", (int)s->column_beats[c],
			"tracks", tracks));
	}
	return json_pack("{s:i, s:i, s:f, s:i, s:s, s:b, s:{s:b, s:f}, s:o}",
			 "version", 1, "rate", (int)s->rate, "bpm", s->bpm,
			 "beats_per_bar", (int)s->beats_per_bar,
			 "quantize", looper_quantize_words[q],
			 "monitor", s->monitor,
			 "click", "enabled", s->click_enabled,
			 "volume", (double)s->click_volume, "columns", cols);
}

static int write_json(const char *path, const json_t *o)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (json_dumpfd(o, fd, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) ||
	    write(fd, "\n", 1) != 1)
		rc = -EIO;
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -EIO;
	return rc;
}

static int write_dir(const char *tmp, const struct sess_state *s, char *err,
		     size_t errlen)
{
	char p[SF_PATH];
	json_t *o;
	int rc;

	for (int i = 0; i < SESSION_TRACKS; i++) {
		const struct sess_track *t = &s->track[i];

		if (!t->stream)
			continue;
		path_fmt(p, sizeof(p), "%s/track-%d-%d.wav", tmp,
			 i / SB_MAX_TRACKS, i % SB_MAX_TRACKS);
		rc = place_take(t, p, err, errlen);
		if (rc)
			return rc;
	}
	path_fmt(p, sizeof(p), "%s/session.json", tmp);
	o = state_json(s);
	rc = write_json(p, o);
	json_decref(o);
	if (!rc)
		rc = sync_path(tmp, 1);
	if (rc)
		snprintf(err, errlen, "cannot write %s: %s", p, strerror(-rc));
	return rc;
}

/*
 * Put the complete directory tmp in place of final.  With an old session
 * there, the two names are exchanged in one step (renameat2), so final
 * is always a whole session, the old one or the new one.  A file system
 * without RENAME_EXCHANGE gets two renames through old; a crash between
 * them leaves old and no final, which sfile_tidy() turns back.
 */
static int swap_in(const char *tmp, const char *final, const char *old)
{
	struct stat st;

	if (stat(final, &st) < 0)
		return rename(tmp, final) ? -errno : 0;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_EXCHANGE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	rm_flat_dir(old);
	if (rename(final, old))
		return -errno;
	if (rename(tmp, final)) {
		int rc = -errno;

		rename(old, final);	/* put the old one back */
		return rc;
	}
	rename(old, tmp);	/* removed below, with the rest of tmp */
	return 0;
}

/* Worker thread. */
int sfile_save(const char *dir, const char *name, const struct sess_state *s,
	       char *err, size_t errlen)
{
	char tmp[SF_PATH], final[SF_PATH], old[SF_PATH];
	int rc;

	path_fmt(tmp, sizeof(tmp), "%s/" SFILE_TMP "%s", dir, name);
	path_fmt(old, sizeof(old), "%s/" SFILE_OLD "%s", dir, name);
	path_fmt(final, sizeof(final), "%s/%s", dir, name);
	rm_flat_dir(tmp);
	if (mkdir(tmp, 0755) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp,
			 strerror(errno));
		return rc;
	}
	rc = write_dir(tmp, s, err, errlen);
	if (!rc) {
		rc = swap_in(tmp, final, old);
		if (rc)
			snprintf(err, errlen, "cannot move %s into place: %s",
				 tmp, strerror(-rc));
	}
	if (!rc)
		sync_path(dir, 1);	/* the new name is durable too */
	rm_flat_dir(tmp);	/* the old session after a swap */
	return rc;
}

/* Main thread. */
void sfile_tidy(const char *dir)
{
	char p[SF_PATH], q[SF_PATH];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);
	size_t nt = strlen(SFILE_TMP), no = strlen(SFILE_OLD);

	while (d && (e = readdir(d))) {
		path_fmt(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (strncmp(e->d_name, SFILE_TMP, nt) == 0) {
			rm_flat_dir(p);	/* half-written, or already replaced */
			continue;
		}
		if (strncmp(e->d_name, SFILE_OLD, no))
			continue;
		path_fmt(q, sizeof(q), "%s/%s", dir, e->d_name + no);
		if (stat(q, &st) == 0)
			rm_flat_dir(p);	/* the new one made it */
		else
			rename(p, q);	/* it did not: the old one is back */
	}
	if (d)
		closedir(d);
}

/* --- listing --- */

static int by_name(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(
		*(json_t *const *)a, "name"));
	const char *y = json_string_value(json_object_get(
		*(json_t *const *)b, "name"));

	return strcmp(x, y);
}

static json_t *list_entry(const char *dir, const char *name)
{
	char p[SF_PATH];
	struct stat st;
	json_t *o, *cols, *c;
	size_t i, tracks = 0;

	path_fmt(p, sizeof(p), "%s/%s/session.json", dir, name);
	if (stat(p, &st) < 0)
		return NULL;
	o = json_load_file(p, 0, NULL);
	cols = json_object_get(o, "columns");
	json_array_foreach(cols, i, c)
		tracks += json_array_size(json_object_get(c, "tracks"));
	json_decref(o);
	return json_pack("{s:s, s:I, s:i}", "name", name,
			 "saved", (json_int_t)st.st_mtime, "tracks",
			 (int)tracks);
}

/* Worker thread. */
json_t *sfile_list(const char *dir)
{
	json_t *all[1024], *arr = json_array();
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)) && n < 1024) {
		if (e->d_name[0] != '.' && (all[n] = list_entry(dir,
								e->d_name)))
			n++;
	}
	if (d)
		closedir(d);
	qsort(all, n, sizeof(all[0]), by_name);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, all[i]);
	return arr;
}

/* --- reading --- */

static void read_globals(json_t *o, struct sess_state *s)
{
	json_t *click = json_object_get(o, "click");
	double bpm = json_number_value(json_object_get(o, "bpm"));
	json_int_t bpb = json_integer_value(json_object_get(o,
							    "beats_per_bar"));
	int q = looper_word_index(looper_quantize_words,
		json_string_value(json_object_get(o, "quantize")));

	s->bpm = bpm >= 20 && bpm <= 300 ? bpm : 120.0;
	s->beats_per_bar = bpb >= 1 && bpb <= 32 ? (int32_t)bpb : 4;
	s->quantize = q >= 0 ? q : SB_Q_BAR;
	s->monitor = !json_is_false(json_object_get(o, "monitor"));
	s->click_enabled = json_is_true(json_object_get(click, "enabled"));
	s->click_volume = (float)json_number_value(json_object_get(click,
								   "volume"));
	if (!(s->click_volume >= 0.0f && s->click_volume <= 1.0f))
		s->click_volume = 0.5f;
}

/* One track entry of column c: decode its file into the next layer. */
static int read_track(const char *sdir, json_t *t, int c, uint32_t rate,
		      struct sess_state *s, struct tio_layer *l, char *err,
		      size_t errlen)
{
	json_int_t i = json_integer_value(json_object_get(t, "index"));
	const char *file = json_string_value(json_object_get(t, "file"));
	int st = looper_word_index(looper_state_words,
			json_string_value(json_object_get(t, "state")));
	char p[SF_PATH];
	struct sess_track *tr;
	int rc;

	if (i < 0 || i >= (json_int_t)s->n_tracks || !file ||
	    strchr(file, '/') || file[0] == '.')
		return 1;	/* not on this grid or not ours: skip */
	path_fmt(p, sizeof(p), "%s/%s", sdir, file);
	l->column = c;
	l->track = (int)i;
	l->state = st == SB_TRACK_MUTED ? SB_TRACK_MUTED : SB_TRACK_PLAYING;
	l->volume = (float)json_number_value(json_object_get(t, "volume"));
	if (!(l->volume >= 0.0f && l->volume <= 4.0f))
		l->volume = 1.0f;
	l->solo = json_is_true(json_object_get(t, "solo"));
	rc = tio_decode(l, p, rate, err, errlen);
	if (rc)
		return rc;
	tr = sess_at(s, c, (int)i);
	*tr = (struct sess_track){ .stream = l->stream, .frames = l->frames,
		.state = l->state, .solo = l->solo, .volume = l->volume,
		.unsaved = json_is_true(json_object_get(t, "unsaved")) };
	return 0;
}

static int read_columns(const char *sdir, json_t *cols, uint32_t rate,
			struct sess_state *s, struct tio_layer *layers,
			int *n, char *err, size_t errlen)
{
	json_t *col, *t;
	size_t ci, ti;

	json_array_foreach(cols, ci, col) {
		json_int_t c = json_integer_value(json_object_get(col,
								  "index"));
		json_int_t beats = json_integer_value(json_object_get(col,
								      "beats"));

		if (c < 0 || c >= (json_int_t)s->n_columns)
			continue;
		s->column_beats[c] = beats >= 0 && beats <= 4096 ?
				     (int32_t)beats : 0;
		json_array_foreach(json_object_get(col, "tracks"), ti, t) {
			int rc = read_track(sdir, t, (int)c, rate, s,
					    &layers[*n], err, errlen);
			if (rc < 0)
				return rc;
			if (rc == 0 && ++*n == SESSION_TRACKS)
				return 0;
		}
	}
	return 0;
}

/* Worker thread.  s->n_columns/n_tracks must hold the live grid. */
int sfile_load(const char *dir, const char *name, uint32_t rate,
	       struct sess_state *s, struct tio_layer *layers, int *n,
	       char *err, size_t errlen)
{
	char sdir[SF_PATH], p[SF_PATH + 16];
	json_error_t e;
	json_t *o;
	int rc;

	path_fmt(sdir, sizeof(sdir), "%s/%s", dir, name);
	path_fmt(p, sizeof(p), "%s/session.json", sdir);
	*n = 0;
	if (access(p, F_OK) < 0) {
		snprintf(err, errlen, "no session '%s'", name);
		return -ENOENT;
	}
	o = json_load_file(p, 0, &e);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "session.json:%d:%d: %s", e.line,
			 e.column, o ? "expected an object" : e.text);
		json_decref(o);
		return -EINVAL;
	}
	read_globals(o, s);
	s->rate = rate;
	rc = read_columns(sdir, json_object_get(o, "columns"), rate, s,
			  layers, n, err, errlen);
	json_decref(o);
	return rc;
}
