/*
 * midimap.h - MIDI bindings (a server module): notes and controllers on
 * the engine's midi_in port become commands.
 *
 * The bindings file (config looper.bindings; a missing file means no
 * bindings, a malformed one stops the server at start-up) looks like
 *   {"bindings":[{"note":60,"channel":null,"cmd":"looper.record","args":{}},
 *                {"cc":64,"min":64,"cmd":"looper.record"}]}
 * A note binding fires on note-on with velocity > 0; a cc binding fires
 * when the controller's value reaches min (default 64) after being below
 * it.  channel is 1..16, or null / absent for any channel.  Every binding
 * ends in cmd_submit with its fixed args, so a track command without
 * {column, track} acts on the selected track.
 */
#ifndef SB_MIDIMAP_H
#define SB_MIDIMAP_H

#include "server/core/ctl.h"

extern const struct srv_module midimap_module;

#endif
