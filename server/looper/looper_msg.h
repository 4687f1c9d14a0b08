/*
 * looper_msg.h - the looper's vocabulary on the server side: the words
 * its enums have in JSON (API, pushes, session files) and the engine
 * messages more than one file sends.  Pure: no state, no I/O.
 */
#ifndef SB_LOOPER_MSG_H
#define SB_LOOPER_MSG_H

#include <stdint.h>

#include "rt/common/proto.h"

/* NULL-terminated, indexed by the enum. */
extern const char *const looper_state_words[];		/* sb_track_state */
extern const char *const looper_quantize_words[];	/* sb_quantize */
extern const char *const looper_action_words[];		/* sb_looper_action */

/* The word for v, or NULL when v is out of range. */
/* thread: any */
const char *looper_word(const char *const *words, int v);

/* The index of word w, or -1 (also for NULL). */
/* thread: any */
int looper_word_index(const char *const *words, const char *w);

/* SB_CMD_TRANSPORT_TEMPO for bpm. */
/* thread: any */
struct sb_msg looper_msg_tempo(double bpm);

/* SB_CMD_TRANSPORT_METER. */
/* thread: any */
struct sb_msg looper_msg_meter(int beats_per_bar);

/* SB_CMD_CLICK_SET. */
/* thread: any */
struct sb_msg looper_msg_click(int enabled, float volume);

/* A looper command on a column/track (-1 for none) with its value. */
/* thread: any */
struct sb_msg looper_msg(uint16_t type, int column, int track, int32_t value);

#endif
