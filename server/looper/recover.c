/*
 * recover.c - turn a cut-short take into a track (see recover.h).
 */
#include "server/looper/recover.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server/audio/takes.h"
#include "server/audio/wavio.h"

uint64_t recover_loop_frames(uint64_t frames, double fpb, int32_t bpb,
			     int32_t col_beats, int32_t *beats)
{
	uint64_t loop;
	int64_t n;

	*beats = col_beats > 0 ? col_beats : 0;
	if (!(fpb > 0.0))
		return frames;
	if (col_beats > 0) {
		/* the engine's loop length: ceil(beats * frames per beat) */
		loop = (uint64_t)ceil(col_beats * fpb);
		return frames < loop ? frames : loop;
	}
	n = (int64_t)floor((double)frames / fpb);
	if (bpb > 0 && n >= bpb)
		n -= n % bpb;	/* whole bars */
	if (n < 1)
		return frames;	/* under a beat: keep what there is */
	*beats = (int32_t)n;
	return (uint64_t)ceil((double)n * fpb);
}

/* How much of au is the loop; 0 when the take is not usable. */
static uint64_t keep_frames(const struct recover_take *r,
			    const struct wavio_audio *au, struct sess_state *s,
			    int32_t *beats)
{
	int32_t col = s->column_beats[r->column];
	double fpb = s->bpm > 0.0 ? 60.0 * au->rate / s->bpm : 0.0;

	if (r->kind == SB_TRACK_OVERDUBBING) {
		*beats = col;
		return r->frames && au->frames >= r->frames ? r->frames : 0;
	}
	return recover_loop_frames(au->frames, fpb, s->beats_per_bar, col,
				   beats);
}

int recover_take(const struct recover_take *r, struct sess_state *s,
		 char *err, size_t errlen)
{
	struct sess_track *t = sess_at(s, r->column, r->track);
	char path[TAKES_PATH_MAX];
	struct wavio_audio au;
	uint64_t keep;
	int32_t beats = 0;
	int rc;

	*t = r->prev;
	takes_path(r->stream, path, sizeof(path));
	if (wavio_read(path, s->rate ? s->rate : 48000, NULL, &au, err,
		       errlen))
		return 0;	/* nothing reached the disk: the track as before */
	keep = keep_frames(r, &au, s, &beats);
	rc = 0;
	if (keep) {
		takes_path(r->new_stream, path, sizeof(path));
		rc = wavio_write(path, au.lr, keep, au.rate, err, errlen);
	}
	if (keep && !rc) {
		*t = (struct sess_track){ .stream = r->new_stream,
			.frames = keep, .state = SB_TRACK_PLAYING,
			.solo = r->solo, .volume = r->volume, .unsaved = 1 };
		s->column_beats[r->column] = beats;
	}
	wavio_free(&au);
	return rc;
}
