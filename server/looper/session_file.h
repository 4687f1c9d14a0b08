/*
 * session_file.h - the on-disk form of a session (worker thread only).
 *
 * DATA/sessions/<name>/session.json:
 *   {"version":1, "rate":48000, "bpm":120, "beats_per_bar":4,
 *    "quantize":"bar", "monitor":true, "click":{"enabled":false,
 *    "volume":0.5}, "columns":[{"index":0, "beats":8, "tracks":[
 *      {"index":0, "state":"playing", "volume":1, "solo":false,
 *       "file":"track-0-0.wav", "frames":192000, "unsaved":false}]}]}
 * Only non-empty tracks are listed.  The WAVs are float stereo at "rate".
 */
#ifndef SB_SESSION_FILE_H
#define SB_SESSION_FILE_H

#include <jansson.h>
#include <stddef.h>

#include "rt/common/arena.h"
#include "server/looper/track_io.h"

#define SESSION_NAME_MAX 64
#define SESSION_LAST ".last"	/* the autosave; no user name starts with . */
#define SESSION_TRACKS (SB_MAX_COLUMNS * SB_MAX_TRACKS)

/* One track as a session stores it. */
struct sess_track {
	uint64_t stream;	/* layer the track plays; 0 = empty */
	uint64_t frames;	/* its length */
	int32_t state;		/* SB_TRACK_EMPTY, _PLAYING or _MUTED */
	int32_t solo;
	float volume;
	int32_t unsaved;	/* only meaningful in .last */
};

/* Everything a session brings back.  memcmp-able: zero it before use. */
struct sess_state {
	double bpm;
	int32_t beats_per_bar;
	int32_t quantize;	/* enum sb_quantize */
	int32_t monitor;
	int32_t click_enabled;
	float click_volume;
	uint32_t n_columns, n_tracks;
	uint32_t rate;		/* engine rate the takes are in */
	int32_t column_beats[SB_MAX_COLUMNS];
	struct sess_track track[SESSION_TRACKS];
};

/* thread: any */
static inline struct sess_track *sess_at(struct sess_state *s, int c, int t)
{
	return &s->track[c * SB_MAX_TRACKS + t];
}

/*
 * Write s as dir/<name>/: links (or copies) each track's take file,
 * waiting a little for takes still being written, into dir/.tmp-<name>/,
 * syncs every file and the directory, then swaps it into place in one
 * step (renameat2 RENAME_EXCHANGE) and removes the old one.  A crash at
 * any point leaves dir/<name>/ complete, old or new.  0 or -errno +
 * message.
 */
/* thread: worker */
int sfile_save(const char *dir, const char *name, const struct sess_state *s,
	       char *err, size_t errlen);

/*
 * At start-up: remove what a crashed save left (.tmp-<name>), and finish
 * a swap cut between its two renames (a file system without
 * RENAME_EXCHANGE): .old-<name> goes back when <name> is missing.
 */
/* thread: main */
void sfile_tidy(const char *dir);

/* [{"name","saved":unix seconds,"tracks":N}] sorted by name (new ref). */
/* thread: worker */
json_t *sfile_list(const char *dir);

/*
 * Read dir/<name>/ into s and decode every track into layers[0..*n) (their
 * stream ids are kept as given).  -ENOENT when there is no such session,
 * -EINVAL on a bad file; message in err.
 */
/* thread: worker */
int sfile_load(const char *dir, const char *name, uint32_t rate,
	       struct sess_state *s, struct tio_layer *layers, int *n,
	       char *err, size_t errlen);

#endif
