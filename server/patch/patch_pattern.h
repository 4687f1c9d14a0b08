/*
 * patch_pattern.h - note names and the seq mini-notation.
 *
 *   c3 e3 g3      steps share the cycle (one bar) equally
 *   ~             a rest
 *   [a b]         a step subdivided
 *   a*3           three steps in a's place (each plays a's next cycle,
 *                 so <a b>*2 is "a b")
 *   <a b>         one element per cycle: a in cycle 0, b in cycle 1 ...;
 *                 a nested <..> advances only when chosen (<a <b c>> is
 *                 a b a c)
 *   60, 64        MIDI note numbers work wherever note names do
 *
 * ppat_compile turns the text into struct sb_seq_data (rt/seq_data.h):
 * every distinct cycle precomputed, at most SB_SEQ_MAX_CYCLES of them.
 * Limits (patch_limits.h): 32 levels of [..], <..> and *n together,
 * repeats 1..64, 4096 events over all cycles, 64 distinct cycles.
 */
#ifndef SB_PATCH_PATTERN_H
#define SB_PATCH_PATTERN_H

#include <stddef.h>

/*
 * A note name (c3, eb4, f#2, bb-1; letter, optional # or b, octave) ->
 * MIDI note (c4 = 60, a4 = 69).  0, or -EINVAL (not a note name, or
 * outside 0..127).
 */
/* thread: any */
int ppat_note(const char *s, size_t len, int *midi);

/* MIDI note -> Hz (A4 = 440). */
/* thread: any */
double ppat_midi_hz(double midi);

/*
 * Compile pattern text[0..len) into a malloc'd struct sb_seq_data blob
 * (*data, *bytes; free() it).  0; -EINVAL with the message in err and
 * the byte offset of the problem in *err_off; -ENOMEM.
 */
/* thread: any */
int ppat_compile(const char *text, size_t len, void **data, size_t *bytes,
		 size_t *err_off, char *err, size_t errlen);

#endif
