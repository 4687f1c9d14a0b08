/*
 * recover.h - a take an engine crash cut short, made into a track again.
 *
 * When the engine dies while a track records, the take writer still has
 * every chunk the engine filled: the take file holds the recording up to
 * its last complete chunk.  The looper remembers, from its mirror, which
 * stream each recording track was writing; once a new engine runs and
 * the chunks module has drained the dead engine's chunks, the session
 * store (session_recover) turns each such take into a track of the
 * autosave .last, which the usual restore then loads.  This file is the
 * musical part of that: how much of the take becomes the loop.
 *
 * A first recording (the column has no length yet) is cut to whole bars
 * (to whole beats when less than a bar was played) and gives the column
 * its length, as if the player had closed the loop there; shorter than a
 * beat, it is kept whole.  A recording into a column with a length keeps
 * at most one loop.  An overdub becomes the track only when its whole
 * layer reached the disk; otherwise the track keeps the layer it played
 * before.  The recovered audio is written as a new server-made take.
 */
#ifndef SB_RECOVER_H
#define SB_RECOVER_H

#include <stddef.h>
#include <stdint.h>

#include "server/looper/session_file.h"

struct recover_take {
	int column, track;
	int32_t kind;		/* SB_TRACK_RECORDING or SB_TRACK_OVERDUBBING */
	uint64_t stream;	/* the take the dead engine was writing */
	uint64_t frames;	/* an overdub's layer length */
	uint64_t new_stream;	/* the recovered take's id (server-made) */
	float volume;		/* the track's, when it died */
	int32_t solo;
	struct sess_track prev;	/* what the track played before the take */
};

/*
 * Worker: recover r into s (its track and, for a first recording, its
 * column's length; s->rate, bpm and beats_per_bar are the dead engine's).
 * When nothing usable reached the disk the track is r->prev.  0, or
 * -errno + message when the recovered take cannot be written (the track
 * is r->prev then too).
 */
/* thread: worker */
int recover_take(const struct recover_take *r, struct sess_state *s,
		 char *err, size_t errlen);

/*
 * The frames of a take of `frames` frames to keep as the loop: whole bars,
 * else whole beats, of fpb frames per beat and bpb beats per bar, or at
 * most one loop of col_beats beats (col_beats > 0).  *beats gets the
 * loop's length in beats (0: less than a beat, kept whole).
 */
/* thread: any */
uint64_t recover_loop_frames(uint64_t frames, double fpb, int32_t bpb,
			     int32_t col_beats, int32_t *beats);

#endif
