/*
 * looper.h - the beat-quantized loop grid (subsystem, SB_CMD_LOOPER_*).
 *
 * n_columns x n_tracks stereo tracks.  Every track of a column loops on
 * the column's length L beats; a track's loop restarts on every beat
 * anchor + n*L of its current layer.  Actions wait for the next
 * boundary of the quantize mode and are applied at that exact frame: the
 * process hook splits each block at the beats the transport reports, so
 * between two split points no track changes state or restarts.  A record
 * with the transport stopped starts the transport: beat 0 is then the
 * recording's first frame.
 *
 * Only the subsystem entry is public; the looper's own types live in
 * looper_track.h.
 *
 * Status snapshot: track (c, t) is ls->track[c * SB_MAX_TRACKS + t].
 */
#ifndef SB_LOOPER_H
#define SB_LOOPER_H

#include "rt/core/subsys.h"

/* The looper's entry in the subsystem table. */
extern const struct sb_subsys sb_looper_subsys;

#endif
