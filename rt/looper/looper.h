/*
 * looper.h - the beat-quantized loop grid (subsystem, SB_CMD_LOOPER_*).
 *
 * n_columns x n_tracks stereo tracks.  Every track of a column loops on
 * the column's length L beats; a track's loop restarts on every beat
 * anchor + n*L of its current layer.  Actions wait for the next
 * boundary of the quantize mode and are applied at that exact frame: the
 * process hook splits each block at the beats the transport reports, so
 * between two split points no track changes state or restarts.
 *
 * Only the subsystem entry is public.  The rest of this header is shared
 * by looper.c (the subsystem: commands, block splitting, xruns, memory
 * look-ahead, status) and looper_track.c (one track's state machine and
 * its audio); nothing outside rt/looper*.c may use it.
 *
 * Status snapshot: track (c, t) is ls->track[c * SB_MAX_TRACKS + t].
 */
#ifndef SB_LOOPER_H
#define SB_LOOPER_H

#include <stdint.h>

#include "rt/looper/layer.h"
#include "rt/core/subsys.h"

/* The looper's entry in the subsystem table. */
extern const struct sb_subsys sb_looper_subsys;

/* ---------------------------------------------------------------------- */
/* internal to rt/looper*.c                                                */
/* ---------------------------------------------------------------------- */

#define LP_MAX_LAYERS 16	/* undo depth 15 unless memory runs low */
#define LP_PIECE 256		/* frames per ramp buffer */
#define LP_VOL_RAMP_S 0.010	/* set_volume glides over 10 ms */

/* The fading end of whatever a track stopped sounding. */
struct lp_tail {
	struct lp_layer layer;	/* a copy; released at the end when own */
	struct lp_cursor c;
	uint32_t left;		/* frames still to fade */
	float g, dg;		/* gain now, fall per frame */
	int own;
};

struct lp_track {
	int col, idx;
	int state;		/* enum sb_track_state */
	int pend;		/* enum sb_looper_action waiting, 0 none */
	int solo;
	int nomem_stop;		/* end the recording at the next boundary */
	struct lp_layer layer[LP_MAX_LAYERS];
	int n, cur;		/* layers kept; current one, -1 none */
	struct lp_cursor c;	/* play / overdub cursor in layer[cur] */
	uint64_t pos;		/* loop position, frames */
	struct lp_writer w;	/* while recording */
	int writing;		/* overdub input goes into layer[cur] */
	uint32_t od_in;		/* overdub frames so far, for the fade-in */
	uint64_t od_n;		/* overdub input frames added so far */
	float *od_hist;		/* last declick frames added: L then R */
	int job;		/* layer still being copied, -1 none */
	struct lp_cursor bg;	/* background copy position in layer[job] */
	int sounding;		/* audible now (or ramping in) */
	float snd;		/* fade-in gain 0..1 */
	float vol, vol_target, vol_step;
	uint32_t vol_left;
	struct lp_tail tail;
	int dirty;		/* emit SB_EVT_LOOPER_TRACK after this block */
};

/* One stretch of a block (or of missed time) where nothing changes. */
struct lp_span {
	uint32_t n;
	uint64_t frame;		/* engine frame of its first frame */
	const float *in_l, *in_r;	/* NULL: silence (missed time) */
	float *out_l, *out_r;	/* NULL: discard (missed time) */
};

struct looper {
	struct lp_pool pool;
	sb_emit_fn emit;
	void *emit_arg;
	uint32_t rate, n_col, n_trk;
	uint32_t in_l, in_r;	/* 0-based input indices */
	uint32_t declick;
	int quantize, monitor;
	int32_t col_beats[SB_MAX_COLUMNS];
	uint32_t col_dirty;	/* bit per column: emit SB_EVT_LOOPER_COLUMN */
	struct lp_track *trk;	/* n_col * n_trk */
	int any_solo;
	/* the transport as the looper saw it */
	int running;
	uint64_t now;		/* transport frame of the current split */
	uint64_t eframe;	/* engine frame of the current split */
	uint64_t next_pos;	/* transport frame expected next block */
	int64_t beat;		/* beat in progress, -1 none */
	uint64_t beat_pos;	/* its transport frame */
	uint32_t bib, bpb;	/* its place in the bar; beats per bar */
	double fpb;		/* frames per beat */
	uint32_t trim_hold;	/* cycles before trimming again */
	uint32_t trim_credit;	/* chunks trimmed, not yet back */
	float gbuf[LP_PIECE], ibuf[LP_PIECE];	/* ramp gains, scratch */
	float sl[LP_PIECE], sr[LP_PIECE];	/* fade-out input, scratch */
	float *hist;		/* every track's od_hist */
};

static inline struct lp_layer *lp_cur(struct lp_track *t)
{
	return t->cur >= 0 ? &t->layer[t->cur] : NULL;
}

static inline const struct lp_layer *lp_cur_c(const struct lp_track *t)
{
	return t->cur >= 0 ? &t->layer[t->cur] : NULL;
}

/* looper_track.c, RT: process thread only */
void lp_track_reset(struct looper *lp, struct lp_track *t);
void lp_track_render(struct looper *lp, struct lp_track *t,
		     const struct lp_span *s);
void lp_track_apply(struct looper *lp, struct lp_track *t, int action,
		    int64_t beat);
void lp_track_rec_end(struct looper *lp, struct lp_track *t, int state,
		      int64_t end_beat);
void lp_track_restart(struct looper *lp, struct lp_track *t);
void lp_track_cut(struct looper *lp, struct lp_track *t);
void lp_track_stop(struct looper *lp, struct lp_track *t);
void lp_track_clear(struct looper *lp, struct lp_track *t);
int lp_track_load(struct looper *lp, struct lp_track *t,
		  const struct sb_looper_args *a);
int lp_track_audible(const struct looper *lp, const struct lp_track *t);
void lp_track_jobs(struct looper *lp, struct lp_track *t, uint32_t budget);
uint32_t lp_track_trim(struct looper *lp, struct lp_track *t);
int lp_track_next_state(const struct lp_track *t);
void lp_track_set_volume(struct looper *lp, struct lp_track *t, float g);
void lp_track_nomem(struct looper *lp, struct lp_track *t);
void lp_track_start(struct looper *lp, struct lp_track *t);

#endif
