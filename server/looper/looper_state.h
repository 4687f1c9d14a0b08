/*
 * looper_state.h - the server's view of the looper (a server module).
 *
 * Reads the engine's looper snapshot (sb_looper_read) and keeps what the
 * engine cannot: the selected track (MIDI bindings act on it), which
 * tracks changed since the last save or load ("unsaved"), and the session
 * mirror - which stream (take file) every track plays, from
 * SB_EVT_LOOPER_TRACK.  It builds the GET /api/v1/looper object, pushes
 * {"type":"looper",...} to WebSocket clients at most 15 times a second
 * when it changed, broadcasts looper.nomem events, autosaves the live
 * state to DATA/sessions/.last (debounced) and restores it when an engine
 * starts empty.
 */
#ifndef SB_LOOPER_STATE_H
#define SB_LOOPER_STATE_H

#include <jansson.h>

#include "server/core/ctl.h"
#include "server/looper/session.h"

extern const struct srv_module looper_module;

/* Grid size from the config.  Any thread after init (never changes). */
int looper_columns(void);
int looper_tracks(void);

/*
 * cmd_looper.c: put the grid's size into the {column, track} schemas, so
 * the command table shows (and validation enforces) the real maximum.
 * Main thread, before the transports start.
 */
void cmd_looper_set_grid(int columns, int tracks);

/* --- control thread only --- */

/* The GET /api/v1/looper result (new reference). */
json_t *looper_state_json(void);

void looper_selected(int *column, int *track);
void looper_select(int column, int track);

/* The live state as a session stores it. */
void looper_session_state(struct sess_state *s);

/*
 * A save or load finished: s is now what is on disk under that name, so
 * every track it matches reads as saved.  s->track[].unsaved marks tracks
 * that stay unsaved (restoring .last).
 */
void looper_mark_saved(const struct sess_state *s, int keep_unsaved);

/* An autosave job ended (0 or -errno); a failed one is tried again. */
void looper_autosave_done(int rc);

/* A restore of .last ended: commands and autosaves may go on. */
void looper_restore_done(void);

/* 1 from an empty engine's start until its restore began. */
int looper_restore_pending(void);

#endif
