/*
 * session.h - the session store: save, load, list, and the live autosave
 * in DATA/sessions/.last/.  It knows files and the engine conversation of
 * a load; it answers the looper, which owns the live state, through the
 * hooks the looper hands it (session_init), so it never calls back up.
 *
 * A session is a directory DATA/sessions/<name>/ holding session.json and
 * one float WAV per non-empty track (track-C-T.wav, hard-linked from the
 * track's take file, copied when a link is impossible: so a session
 * keeps its audio when the take file goes).  Every file operation runs
 * on the server's quick worker lane (WORKER_QUICK); the control thread
 * only builds the job and answers when it is done.  A directory is
 * written as .tmp-<name> first, synced, and swapped into place in one
 * step (session_file.h), so a crash leaves either the old session or
 * the new one, never a mix.
 */
#ifndef SB_SESSION_H
#define SB_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "server/cmd/cmd.h"
#include "server/looper/recover.h"
#include "server/looper/session_file.h"

/*
 * How the store answers its owner (the looper): every hook runs on the
 * control thread and may be NULL.
 */
struct session_hooks {
	/* a save of s, or a load that brought s back, is complete: what is
	 * on disk under that name is s (keep_unsaved: it was .last) */
	void (*saved)(const struct sess_state *s, int keep_unsaved);
	/* an autosave ended: 0 or -errno */
	void (*autosaved)(int rc);
	/* a load ended, answered or not; last: it was .last */
	void (*load_over)(int last);
	/* session_recover ended: .last holds the recovered takes (0) or
	 * is as it was (-errno) */
	void (*recovered)(int rc);
};

/*
 * Once, before any command: make DATA/sessions, keep the hooks (static
 * storage) and the grid size.  0 or -errno + message.
 */
/* thread: main */
int session_init(const struct session_hooks *hooks, int columns, int tracks,
		 char *err, size_t errlen);

/*
 * 0 when name is a usable session name ([A-Za-z0-9 _.-]{1,64}, no
 * leading dot), else -EINVAL with the reason.  allow_last also accepts
 * SESSION_LAST (loading the autosave).
 */
/* thread: any */
int session_name_check(const char *name, int allow_last, char *err,
		       size_t errlen);

/* --- commands: each answers req when done --- */

/* thread: control */
void session_save(struct cmd_req *req, const char *name,
		  const struct sess_state *s);

/* thread: control */
void session_load(struct cmd_req *req, const char *name);

/* thread: control */
void session_list(struct cmd_req *req);

/*
 * Autosave s to .last (no request; errors are logged).  Skipped and
 * returns -EBUSY while another session job runs.
 */
/* thread: control */
int session_autosave(const struct sess_state *s);

/*
 * After an engine died while tracks recorded: write s, with each take
 * of r[0..n) recovered into its track (recover.h), as the autosave .last,
 * so that the restore brings the cut-short takes back.  The recovered
 * takes are r[i].new_stream (held for the collector by the caller).
 * Runs after every session job queued before it; the `recovered` hook
 * says when it is done.  0 or -errno (then no hook comes).
 */
/* thread: control */
int session_recover(const struct sess_state *s, const struct recover_take *r,
		    int n);

/* 1 while a load runs: the looper's gate (CMD_AFTER_RESTORE). */
/* thread: control */
int session_loading(void);

#endif
