/*
 * session.h - looper sessions on disk: save, load, list, and the live
 * autosave in DATA/sessions/.last/.
 *
 * A session is a directory DATA/sessions/<name>/ holding session.json and
 * one float WAV per non-empty track (track-C-T.wav, hard-linked from the
 * track's take file, copied when a link is impossible).  Every file
 * operation runs on the server's worker thread (ctl_defer); the control
 * thread only builds the job and answers when it is done.  A directory
 * is written as <name>.tmp-N first and then swapped into place, so a
 * crash leaves either the old session or the new one, never a mix.
 */
#ifndef SB_SESSION_H
#define SB_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "rt/common/arena.h"
#include "server/cmd/cmd.h"

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

static inline struct sess_track *sess_at(struct sess_state *s, int c, int t)
{
	return &s->track[c * SB_MAX_TRACKS + t];
}

/* Main thread, once (looper module init): where DATA lives. 0 or -errno. */
int session_init(const char *data_dir, char *err, size_t errlen);

/* Any thread after session_init: the data dir and its tmp/ sub-dir. */
const char *session_data_dir(void);
const char *session_tmp_dir(void);

/*
 * 0 when name is a usable session name ([A-Za-z0-9 _.-]{1,64}, no
 * leading dot), else -EINVAL with the reason.  allow_last also accepts
 * SESSION_LAST (loading the autosave).  Any thread.
 */
int session_name_check(const char *name, int allow_last, char *err,
		       size_t errlen);

/* --- commands: control thread only; each answers req when done --- */

void session_save(struct cmd_req *req, const char *name,
		  const struct sess_state *s);
void session_load(struct cmd_req *req, const char *name);
void session_list(struct cmd_req *req);

/*
 * Autosave s to .last (no request; errors are logged).  Skipped and
 * returns -EBUSY while another session job runs.  Control thread.
 */
int session_autosave(const struct sess_state *s);

/* 1 while a load runs: looper commands wait for it (they also wait
 * while looper_restore_pending()).  Control thread. */
int session_loading(void);

/*
 * While a load runs, park a looper command (req with its args and its
 * handler) and return 1; it runs when the load is done.  0 when no load
 * runs: go on.  Control thread.
 */
int session_wait(struct cmd_req *req, json_t *args, cmd_handler_fn fn);

/* Run the parked commands now (a restore that could not start). */
void session_run_waiters(void);

#endif
