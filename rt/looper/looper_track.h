/*
 * looper_track.h - the looper's own types, private to rt/looper/.
 *
 * looper.c (the subsystem: commands, block splitting, transport edges,
 * xruns, memory look-ahead, events, status) owns a struct looper and
 * decides when things happen; looper_track.c (one track's state machine
 * and its audio) does them.  The calls go one way: looper.c calls the
 * lp_track_* functions below, looper_track.c reads and writes the shared
 * struct looper but calls nothing in looper.c.
 */
#ifndef SB_LOOPER_TRACK_H
#define SB_LOOPER_TRACK_H

#include <stdint.h>

#include "rt/core/subsys.h"
#include "rt/dsp/transport.h"
#include "rt/looper/layer.h"

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
	struct sb_transport *transport;	/* the engine's; a record starts it */
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

/* thread: process */
static inline struct lp_layer *lp_cur(struct lp_track *t)
{
	return t->cur >= 0 ? &t->layer[t->cur] : NULL;
}

/* thread: process */
static inline const struct lp_layer *lp_cur_c(const struct lp_track *t)
{
	return t->cur >= 0 ? &t->layer[t->cur] : NULL;
}

/*
 * One track (looper_track.c).  Nothing here allocates, locks or blocks;
 * lp points at the looper the track belongs to.
 */

/* An empty track (keeps its place in the grid and its od_hist). */
/* thread: main */
void lp_track_reset(struct looper *lp, struct lp_track *t);
/* Play, record or overdub over one span where nothing changes. */
/* thread: process */
void lp_track_render(struct looper *lp, struct lp_track *t,
		     const struct lp_span *s);
/* Apply one action at this frame; beat = the boundary's beat index. */
/* thread: process */
void lp_track_apply(struct looper *lp, struct lp_track *t, int action,
		    int64_t beat);
/* End the recording here; state follows (end_beat < 0: keep the length). */
/* thread: process */
void lp_track_rec_end(struct looper *lp, struct lp_track *t, int state,
		      int64_t end_beat);
/* The loop starts again from its first frame. */
/* thread: process */
void lp_track_restart(struct looper *lp, struct lp_track *t);
/* Stop sounding: what played fades out on the tail. */
/* thread: process */
void lp_track_cut(struct looper *lp, struct lp_track *t);
/* Transport stop: takes end, sound fades, positions go home. */
/* thread: process */
void lp_track_stop(struct looper *lp, struct lp_track *t);
/* Empty the track and give every chunk back. */
/* thread: process */
void lp_track_clear(struct looper *lp, struct lp_track *t);
/* Install a server-made layer on top; 0 or -EINVAL (chunks untouched). */
/* thread: process */
int lp_track_load(struct looper *lp, struct lp_track *t,
		  const struct sb_looper_args *a);
/* 1 when the track should be heard now. */
/* thread: process */
int lp_track_audible(const struct looper *lp, const struct lp_track *t);
/* Copy up to budget chunks of a lazy overdub copy; publish it when done. */
/* thread: process */
void lp_track_jobs(struct looper *lp, struct lp_track *t, uint32_t budget);
/* Drop the oldest undo layer if nothing reads it; chunks given back. */
/* thread: process */
uint32_t lp_track_trim(struct looper *lp, struct lp_track *t);
/* The state the pending action leads to, -1 none. */
/* thread: main, process */
int lp_track_next_state(const struct lp_track *t);
/* Glide to gain g over LP_VOL_RAMP_S. */
/* thread: process */
void lp_track_set_volume(struct looper *lp, struct lp_track *t, float g);
/* Out of chunk memory: tell the server, end a recording at a boundary. */
/* thread: process */
void lp_track_nomem(struct looper *lp, struct lp_track *t);
/* Transport start: every loop begins again on beat 0. */
/* thread: process */
void lp_track_start(struct looper *lp, struct lp_track *t);

#endif
