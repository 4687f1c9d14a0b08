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
/* thread: any */
int looper_columns(void);
/* thread: any */
int looper_tracks(void);

/* --- control thread only --- */

/* The GET /api/v1/looper result (new reference). */
/* thread: control */
json_t *looper_state_json(void);

/* thread: control */
void looper_selected(int *column, int *track);
/* thread: control */
void looper_select(int column, int track);

/* The live state as a session stores it. */
/* thread: control */
void looper_session_state(struct sess_state *s);

/*
 * The gate of the looper's commands (cmd_domain.gate): 1 while an empty
 * engine waits for its restore or a session loads.
 */
/* thread: control */
int looper_gate(void);

#endif
