/*
 * midi_io.h - MIDI in and out of the engine.
 *
 * Out (midi_out), while the transport runs: MIDI clock (0xF8) 24 per
 * quarter note, tick q at transport frame round(q * 60 * rate / (bpm * 24))
 * on the same anchored grid as the beats (a tempo change re-anchors at
 * the beat it takes effect on, so tick 24k is always beat k's frame).  At
 * transport start: song position pointer 0 (0xF2 0 0), start (0xFA) and
 * the first clock, all on the start frame.  At stop: 0xFC.  Ticks in
 * missed time (xruns) are skipped, not sent late.
 *
 * In (midi_in): every note-on, note-off and control change is forwarded
 * to the server as SB_EVT_MIDI_IN (the three bytes and the engine frame);
 * everything else is ignored.  Owns no commands.
 */
#ifndef SB_MIDI_IO_H
#define SB_MIDI_IO_H

#include "rt/core/subsys.h"

#define SB_MIDI_CLOCKS_PER_BEAT 24

/* The MIDI subsystem's entry in the subsystem table. */
extern const struct sb_subsys sb_midi_io_subsys;

#endif
