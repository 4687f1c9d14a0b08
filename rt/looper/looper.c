/*
 * looper.c - the looper subsystem: commands, the block split at beats,
 * transport start/stop and missed time, the chunk-memory look-ahead,
 * events and the status snapshot.  One track's behaviour lives in
 * looper_track.c, chunk lists in layer.c.
 *
 * A block is cut at every beat the transport reports; each piece is
 * rendered by every track with nothing changing inside it, then the beat
 * is handled: recordings that reach their length end, pending actions
 * whose boundary this is are applied, loops restart on anchor + n*L, and
 * tracks that start or stop sounding get their declick.  Missed time is
 * replayed the same way with silent input and discarded output, so
 * positions, takes and the grid stay aligned after an xrun.
 */
#include "rt/looper/looper.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/looper/looper_track.h"

#define LP_MAX_COLUMN_BEATS 4096
#define LP_TRIM_HOLD_S 0.1	/* wait this long for trimmed chunks */

/* What the looper sees when the core hands it no transport. */
static const struct sb_beats no_transport = {
	.bpm = 120.0, .beats_per_bar = 4, .frames_per_beat = 24000.0,
	.last_beat = -1,
};

static struct lp_track *track_at(struct looper *lp, int32_t c, int32_t t)
{
	if (c < 0 || (uint32_t)c >= lp->n_col || t < 0 ||
	    (uint32_t)t >= lp->n_trk)
		return NULL;
	return &lp->trk[(uint32_t)c * lp->n_trk + (uint32_t)t];
}

#define FOR_TRACKS(lp, t) \
	for (struct lp_track *t = (lp)->trk; \
	     t < (lp)->trk + (lp)->n_col * (lp)->n_trk; t++)

/* ---------------------------------------------------------------------- */
/* events                                                                  */
/* ---------------------------------------------------------------------- */

static void emit_track(struct looper *lp, struct lp_track *t)
{
	struct sb_msg m = { .type = SB_EVT_LOOPER_TRACK };
	struct sb_looper_args *a = &m.u.looper;
	const struct lp_layer *L = lp_cur(t);

	a->column = t->col;
	a->track = t->idx;
	a->value = t->state;
	a->next_state = lp_track_next_state(t);
	a->gain = t->vol_target;
	a->chunk = L ? L->head : SB_CHUNK_NONE;
	a->frames = L ? L->frames : 0;
	a->stream = L ? L->stream : 0;
	a->solo = t->solo;
	a->layer = t->cur;
	a->layers = t->n;
	a->redo = t->n - 1 - t->cur;
	lp->emit(lp->emit_arg, &m);
	t->dirty = 0;
}

static void emit_changes(struct looper *lp)
{
	for (uint32_t c = 0; c < lp->n_col; c++) {
		struct sb_msg m = { .type = SB_EVT_LOOPER_COLUMN };

		if (!(lp->col_dirty & (1u << c)))
			continue;
		m.u.looper.column = (int32_t)c;
		m.u.looper.value = lp->col_beats[c];
		m.u.looper.next_state = -1;
		lp->emit(lp->emit_arg, &m);
	}
	lp->col_dirty = 0;
	FOR_TRACKS(lp, t)
		if (t->dirty)
			emit_track(lp, t);
}

/* ---------------------------------------------------------------------- */
/* boundaries                                                              */
/* ---------------------------------------------------------------------- */

/* Tracks that start sounding fade in, those that stop fade out. */
static void sound_step(struct looper *lp)
{
	int any = 0;

	FOR_TRACKS(lp, t)
		any |= t->solo;
	lp->any_solo = any;
	FOR_TRACKS(lp, t) {
		int aud = lp_track_audible(lp, t);

		if (!aud && t->sounding) {
			lp_track_cut(lp, t);
		} else if (aud && !t->sounding) {
			t->sounding = 1;
			t->snd = lp->declick ? 0.0f : 1.0f;
		}
	}
}

/* A recording ends by itself at anchor + L, or when memory ran out. */
static int rec_auto_end(struct looper *lp, struct lp_track *t, int64_t beat,
			int boundary)
{
	int32_t len = lp->col_beats[t->col];
	int64_t a;

	if (t->state != SB_TRACK_RECORDING)
		return 0;
	a = lp_cur(t)->anchor;
	if (!(len > 0 && beat - a >= len) && !(boundary && t->nomem_stop))
		return 0;
	lp_track_rec_end(lp, t, SB_TRACK_PLAYING, beat);
	if (t->pend == SB_LA_RECORD)
		t->pend = 0;	/* it asked for this very end */
	return 1;
}

static void loop_restart(struct looper *lp, struct lp_track *t, int64_t beat)
{
	int32_t len = lp->col_beats[t->col];
	const struct lp_layer *L = lp_cur(t);

	if (!L || t->state == SB_TRACK_RECORDING || len <= 0)
		return;
	if (beat >= L->anchor && (beat - L->anchor) % len == 0)
		lp_track_restart(lp, t);
}

static void on_beat(struct looper *lp, int64_t beat, uint32_t bib)
{
	int boundary = lp->quantize != SB_Q_BAR || bib == 0;

	lp->beat = beat;
	lp->beat_pos = lp->now;
	lp->bib = bib;
	FOR_TRACKS(lp, t) {
		rec_auto_end(lp, t, beat, boundary);
		if (boundary && t->pend)
			lp_track_apply(lp, t, t->pend, beat);
		loop_restart(lp, t, beat);
	}
	sound_step(lp);
}

/*
 * Frame 0 of a block: quantize off applies what came in now; a stopped
 * transport applies everything but record/overdub, which wait for the
 * start (a record starts it, see start_for_record).  A recording with no
 * column length may only end on a beat, so its length is whole beats.  In
 * the block where the transport starts, beat 0 at frame 0 takes them all.
 */
static void block_start(struct looper *lp)
{
	FOR_TRACKS(lp, t) {
		int p = t->pend;

		if (!p)
			continue;
		if (!lp->running && p != SB_LA_RECORD && p != SB_LA_OVERDUB)
			lp_track_apply(lp, t, p, lp->beat + 1);
		else if (lp->running && lp->beat >= 0 &&
			 lp->quantize == SB_Q_OFF &&
			 !(t->state == SB_TRACK_RECORDING &&
			   !lp->col_beats[t->col]))
			lp_track_apply(lp, t, p, lp->beat + 1);
	}
	sound_step(lp);
}

/* ---------------------------------------------------------------------- */
/* rendering                                                               */
/* ---------------------------------------------------------------------- */

static void render(struct looper *lp, const struct sb_block *b,
		   uint32_t from, uint32_t to)
{
	const float *il = b->in[lp->in_l], *ir = b->in[lp->in_r];
	struct lp_span s = {
		.n = to - from, .frame = b->frame + from,
		.in_l = il ? il + from : NULL, .in_r = ir ? ir + from : NULL,
		.out_l = b->out_l + from, .out_r = b->out_r + from,
	};

	if (to <= from)
		return;
	FOR_TRACKS(lp, t)
		lp_track_render(lp, t, &s);
}

/* Missed time: silence in, nothing out. */
static void render_gap(struct looper *lp, uint64_t frame, uint32_t n)
{
	struct lp_span s = { .n = n, .frame = frame };

	if (!n)
		return;
	FOR_TRACKS(lp, t)
		lp_track_render(lp, t, &s);
}

/*
 * Replay missed time: the transport passed its beats unreported, so
 * place them from the last beat we saw and the tempo (exact at a steady
 * tempo; the next reported beat is exact again in any case).
 */
static void run_gap(struct looper *lp, const struct sb_block *b,
		    const struct sb_beats *bt)
{
	uint64_t g0 = bt->pos - bt->missed, done = 0;
	uint64_t f0 = b->frame - bt->missed;
	int64_t last = bt->n ? bt->beat[0].index - 1 : bt->last_beat;
	int64_t base = lp->beat;
	uint64_t base_pos = lp->beat_pos;
	uint32_t base_bib = lp->bib;

	for (int64_t k = base + 1; base >= 0 && k <= last; k++) {
		uint64_t f = base_pos + (uint64_t)llround((double)(k - base) *
							  lp->fpb);

		if (f < g0 + done)
			f = g0 + done;
		if (f >= bt->pos)
			f = bt->pos - 1;
		render_gap(lp, f0 + done, (uint32_t)(f - g0 - done));
		done = f - g0;
		lp->now = f;
		lp->eframe = f0 + done;
		on_beat(lp, k, (uint32_t)((base_bib + (uint64_t)(k - base)) %
					  (lp->bpb ? lp->bpb : 1)));
	}
	render_gap(lp, f0 + done, (uint32_t)(bt->missed - done));
}

static void transport_stop(struct looper *lp)
{
	FOR_TRACKS(lp, t)
		lp_track_stop(lp, t);
	lp->running = 0;
	lp->beat = -1;
	sound_step(lp);
}

static void transport_start(struct looper *lp)
{
	if (lp->running)
		transport_stop(lp);	/* a restart ends takes first */
	lp->running = 1;
	lp->beat = -1;
	lp->beat_pos = 0;
	lp->bib = 0;
	FOR_TRACKS(lp, t)
		lp_track_start(lp, t);
}

/* Start (always at frame 0), stop (at frame 0) or missed time. */
static void transport_edges(struct looper *lp, const struct sb_block *b,
			    const struct sb_beats *bt)
{
	lp->now = bt->pos;
	lp->eframe = b->frame;
	if (lp->running && !bt->running)
		transport_stop(lp);
	else if (bt->running && bt->pos == 0)
		transport_start(lp);
	else if (lp->running && bt->running && bt->missed)
		run_gap(lp, b, bt);
	lp->now = bt->pos;
	lp->eframe = b->frame;
}

static void monitor(const struct looper *lp, const struct sb_block *b)
{
	const float *il = b->in[lp->in_l], *ir = b->in[lp->in_r];

	if (!lp->monitor)
		return;
	for (uint32_t i = 0; il && i < b->nframes; i++)
		b->out_l[i] += il[i];
	for (uint32_t i = 0; ir && i < b->nframes; i++)
		b->out_r[i] += ir[i];
}

/* ---------------------------------------------------------------------- */
/* chunk memory                                                            */
/* ---------------------------------------------------------------------- */

static int writing_soon(const struct lp_track *t)
{
	return t->state == SB_TRACK_RECORDING || t->pend == SB_LA_RECORD ||
	       t->pend == SB_LA_OVERDUB;
}

/* >= 2 spare chunks per track that records or is about to. */
static uint32_t reserve_want(const struct looper *lp)
{
	uint32_t n = 0;

	FOR_TRACKS(lp, t)
		n += writing_soon(t) ? 2 : 0;
	return n;
}

/* Beats a recording may still run before it can be stopped safely:
 * up to the boundary after the next one, or its own end. */
static double rec_horizon(const struct looper *lp, const struct lp_track *t)
{
	double beats = lp->quantize == SB_Q_BAR ?
		       (double)(lp->bpb - lp->bib + lp->bpb) : 2.0;
	int32_t len = lp->col_beats[t->col];
	int64_t left = len > 0 ? lp_cur_c(t)->anchor + len - lp->beat : 0;

	if (len > 0 && (double)left < beats)
		beats = left > 0 ? (double)left : 0.0;
	return beats;
}

/* Chunks a recording will want before its next chance to stop. */
static uint32_t rec_need(const struct looper *lp, const struct lp_track *t)
{
	if (t->state != SB_TRACK_RECORDING || t->nomem_stop || t->w.lost)
		return 0;
	return (uint32_t)(rec_horizon(lp, t) * lp->fpb / lp->pool.cf) + 2;
}

/* Chunks an action waiting for its boundary will take there. */
static uint32_t pend_need(const struct looper *lp, const struct lp_track *t)
{
	const struct lp_layer *L = lp_cur_c(t);
	uint32_t cf = lp->pool.cf;

	if (t->pend == SB_LA_OVERDUB && L && t->state != SB_TRACK_OVERDUBBING)
		return (uint32_t)((L->frames + cf - 1) / cf) + 1;
	return t->pend == SB_LA_RECORD ? 2 : 0;
}

/* Trim the deepest undo histories first; returns chunks given back. */
static uint32_t trim_some(struct looper *lp, uint32_t want)
{
	uint32_t freed = 0;

	while (freed < want) {
		struct lp_track *best = NULL;
		uint32_t got;

		FOR_TRACKS(lp, t)
			if (t->cur >= 1 && (!best || t->cur > best->cur))
				best = t;
		got = best ? lp_track_trim(lp, best) : 0;
		if (!got)
			break;
		freed += got;
	}
	return freed;
}

/*
 * Look ahead: when the free chunks cannot carry every recording to a
 * point where it can stop, give old undo layers back (they return
 * through the server a little later), and if that is not enough stop
 * the recordings at their next boundary.
 */
static void memory_watch(struct looper *lp, uint32_t nframes)
{
	uint32_t rec = 0, need = 0, avail, freed = 0;

	FOR_TRACKS(lp, t) {
		rec += rec_need(lp, t);
		need += pend_need(lp, t);
	}
	need += rec;
	if (lp->trim_hold)
		lp->trim_hold--;
	else
		lp->trim_credit = 0;
	avail = lp_pool_available(&lp->pool) + lp->trim_credit;
	if (avail >= need || lp->trim_hold)
		return;
	freed = trim_some(lp, need - avail);
	lp->trim_credit += freed;
	if (freed)
		lp->trim_hold = (uint32_t)(LP_TRIM_HOLD_S * lp->rate /
					   (nframes ? nframes : 1)) + 1;
	if (avail + freed >= rec)
		return;
	FOR_TRACKS(lp, t)
		if (rec_need(lp, t))
			lp_track_nomem(lp, t);
}

/* ---------------------------------------------------------------------- */
/* process                                                                 */
/* ---------------------------------------------------------------------- */

/* RT: process thread only. */
static void looper_process(void *state, const struct sb_block *b)
{
	struct looper *lp = state;
	const struct sb_beats *bt = b->beats ? b->beats : &no_transport;
	uint32_t at = 0, budget = 1 + b->nframes / 256;

	lp->fpb = bt->frames_per_beat > 0.0 ? bt->frames_per_beat : 1.0;
	lp->bpb = bt->beats_per_bar ? bt->beats_per_bar : 1;
	lp_pool_refill(&lp->pool, reserve_want(lp));
	transport_edges(lp, b, bt);
	block_start(lp);
	for (uint32_t i = 0; i < bt->n && bt->running; i++) {
		const struct sb_beat *be = &bt->beat[i];

		render(lp, b, at, be->offset);
		at = be->offset;
		lp->now = bt->pos + at;
		lp->eframe = b->frame + at;
		on_beat(lp, be->index, be->beat_in_bar);
	}
	render(lp, b, at, b->nframes);
	monitor(lp, b);
	FOR_TRACKS(lp, t)
		lp_track_jobs(lp, t, budget);
	memory_watch(lp, b->nframes);
	lp->now = bt->pos + b->nframes;	/* for commands before the next */
	lp->eframe = b->frame + b->nframes;
	emit_changes(lp);
}

/* ---------------------------------------------------------------------- */
/* commands                                                                */
/* ---------------------------------------------------------------------- */

static int cmd_column(struct looper *lp, const struct sb_looper_args *a)
{
	if (a->column < 0 || (uint32_t)a->column >= lp->n_col ||
	    a->value < 0 || a->value > LP_MAX_COLUMN_BEATS)
		return -EINVAL;
	lp->col_beats[a->column] = a->value;
	lp->col_dirty |= 1u << a->column;
	return 0;
}

/*
 * A record with the transport stopped starts it: beat 0 is frame 0 of
 * this cycle (commands are drained before the transport advances), and
 * the recording starts right there.  A stop handled earlier in the same
 * drain counts as stopped.
 */
static void start_for_record(struct looper *lp)
{
	const struct sb_msg start = { .type = SB_CMD_TRANSPORT_START };

	if (lp->transport && !sb_transport_will_run(lp->transport))
		sb_transport_cmd(lp->transport, &start);
}

static int cmd_action(struct looper *lp, const struct sb_looper_args *a)
{
	struct lp_track *t = track_at(lp, a->column, a->track);

	if (!t || a->value <= SB_LA_NONE || a->value > SB_LA_REDO)
		return -EINVAL;
	t->pend = a->value;	/* the last command wins */
	t->dirty = 1;
	if (a->value == SB_LA_RECORD)
		start_for_record(lp);
	return 0;
}

static int cmd_volume(struct looper *lp, const struct sb_looper_args *a)
{
	struct lp_track *t = track_at(lp, a->column, a->track);

	/* written so that NaN fails too */
	if (!t || !(a->gain >= 0.0f && a->gain <= 4.0f))
		return -EINVAL;
	lp_track_set_volume(lp, t, a->gain);
	return 0;
}

static int cmd_load(struct looper *lp, const struct sb_looper_args *a)
{
	struct lp_track *t = track_at(lp, a->column, a->track);

	return t ? lp_track_load(lp, t, a) : -EINVAL;
}

/* Every track emptied, every column unset, every chunk given back. */
static int cmd_reset(struct looper *lp)
{
	FOR_TRACKS(lp, t) {
		lp_track_clear(lp, t);
		t->pend = 0;
		t->solo = 0;
		t->vol = t->vol_target = 1.0f;
		t->vol_left = 0;
	}
	for (uint32_t c = 0; c < lp->n_col; c++)
		lp->col_beats[c] = 0;
	lp->col_dirty = (1u << lp->n_col) - 1;
	lp->any_solo = 0;
	return 0;
}

static int dispatch(struct looper *lp, const struct sb_msg *m)
{
	const struct sb_looper_args *a = &m->u.looper;

	switch (m->type) {
	case SB_CMD_LOOPER_COLUMN:
		return cmd_column(lp, a);
	case SB_CMD_LOOPER_QUANTIZE:
		if (a->value < SB_Q_OFF || a->value > SB_Q_BAR)
			return -EINVAL;
		lp->quantize = a->value;
		return 0;
	case SB_CMD_LOOPER_MONITOR:
		lp->monitor = a->value != 0;
		return 0;
	case SB_CMD_LOOPER_ACTION:
		return cmd_action(lp, a);
	case SB_CMD_LOOPER_VOLUME:
		return cmd_volume(lp, a);
	case SB_CMD_LOOPER_LOAD:
		return cmd_load(lp, a);
	case SB_CMD_LOOPER_RESET:
		return cmd_reset(lp);
	default:
		return -ENOSYS;
	}
}

/* RT: process thread only (before the cycle's process). */
static void looper_cmd(void *state, const struct sb_msg *m)
{
	struct looper *lp = state;
	int rc = dispatch(lp, m);
	struct sb_msg r = { .type = SB_EVT_ACK, .id = m->id };

	if (!m->id)
		return;
	r.u.ack.status = rc;
	lp->emit(lp->emit_arg, &r);
}

/* ---------------------------------------------------------------------- */
/* status, lifecycle                                                       */
/* ---------------------------------------------------------------------- */

static void report_track(const struct lp_track *t, struct sb_track_status *s)
{
	const struct lp_layer *L = t->cur >= 0 ? &t->layer[t->cur] : NULL;

	s->state = t->state;
	s->next_state = lp_track_next_state(t);
	s->solo = t->solo;
	s->next_solo = t->pend == SB_LA_SOLO ? !t->solo : -1;
	s->volume = t->vol_target;
	s->layer = t->cur;
	s->layers = t->n;
	s->pending_action = t->pend;
	s->frames = L ? L->frames : 0;
	s->position = t->pos;
	s->stream = L ? L->stream : 0;
}

/* RT: process thread (and the main thread before activation). */
static void looper_report(void *state, struct sb_looper_status *ls)
{
	struct looper *lp = state;

	ls->quantize = lp->quantize;
	ls->monitor = lp->monitor;
	ls->free_chunks = sb_ring_read_space(lp->pool.free_ring);
	for (uint32_t c = 0; c < SB_MAX_COLUMNS; c++)
		ls->column_beats[c] = c < lp->n_col ? lp->col_beats[c] : 0;
	FOR_TRACKS(lp, t)
		report_track(t, &ls->track[t->col * SB_MAX_TRACKS + t->idx]);
}

static int check_config(const struct sb_rt_ctx *ctx, char *err, size_t len)
{
	const struct sb_config *c = ctx->cfg;
	const struct sb_arena_geom *g = &ctx->arena->hdr->geom;

	if (!c->looper.input_left || c->looper.input_left > ctx->n_inputs ||
	    !c->looper.input_right || c->looper.input_right > ctx->n_inputs) {
		snprintf(err, len, "looper.input_left/input_right (%u, %u) must "
			 "be inputs 1..%u", c->looper.input_left,
			 c->looper.input_right, ctx->n_inputs);
		return -EINVAL;
	}
	if (g->chunk_channels != 2 || !g->n_columns || !g->n_tracks ||
	    g->n_columns > SB_MAX_COLUMNS || g->n_tracks > SB_MAX_TRACKS) {
		snprintf(err, len, "the looper needs stereo chunks and 1..%d x "
			 "1..%d tracks", SB_MAX_COLUMNS, SB_MAX_TRACKS);
		return -EINVAL;
	}
	return 0;
}

static void looper_fini(void *state)
{
	struct looper *lp = state;

	if (!lp)
		return;
	lp_pool_fini(&lp->pool);
	free(lp->hist);
	free(lp->trk);
	free(lp);
}

static void setup(struct looper *lp, const struct sb_rt_ctx *ctx)
{
	const struct sb_config *c = ctx->cfg;

	lp->emit = ctx->emit;
	lp->emit_arg = ctx->emit_arg;
	lp->transport = ctx->transport;
	lp->rate = ctx->sample_rate;
	lp->n_col = ctx->arena->hdr->geom.n_columns;
	lp->n_trk = ctx->arena->hdr->geom.n_tracks;
	lp->in_l = c->looper.input_left - 1;
	lp->in_r = c->looper.input_right - 1;
	/* one chunk at most, so a fade-out never reaches a saved chunk */
	lp->declick = c->looper.declick_frames < lp->pool.cf ?
		      c->looper.declick_frames : lp->pool.cf;
	lp->quantize = SB_Q_BAR;
	lp->monitor = 1;
	lp->beat = -1;
	lp->fpb = 1.0;
	lp->bpb = 4;
	for (uint32_t i = 0; i < lp->n_col * lp->n_trk; i++) {
		lp->trk[i].col = (int)(i / lp->n_trk);
		lp->trk[i].idx = (int)(i % lp->n_trk);
		lp->trk[i].od_hist = lp->hist + (size_t)i * 2 * lp->declick;
		lp_track_reset(lp, &lp->trk[i]);
	}
}

/* The state, the tracks and every track's overdub fade-out history. */
static struct looper *alloc_state(const struct sb_rt_ctx *ctx)
{
	const struct sb_arena_geom *g = &ctx->arena->hdr->geom;
	size_t n = (size_t)g->n_columns * g->n_tracks;
	struct looper *lp = calloc(1, sizeof(*lp));

	if (!lp)
		return NULL;
	lp->trk = calloc(n, sizeof(*lp->trk));
	lp->hist = calloc(n * 2 * ctx->cfg->looper.declick_frames + 1,
			  sizeof(float));
	if (lp->trk && lp->hist && !lp_pool_init(&lp->pool, ctx->arena))
		return lp;
	looper_fini(lp);
	return NULL;
}

/* Main thread, before activation: everything the RT hooks use. */
static int looper_init(const struct sb_rt_ctx *ctx, void **state, char *err,
		       size_t errlen)
{
	struct looper *lp;
	int rc = check_config(ctx, err, errlen);

	if (rc)
		return rc;
	lp = alloc_state(ctx);
	if (!lp) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	setup(lp, ctx);
	*state = lp;
	return 0;
}

const struct sb_subsys sb_looper_subsys = {
	.name = "looper",
	.cmd_first = SB_CMD_RANGE_LOOPER_FIRST,
	.cmd_last = SB_CMD_RANGE_LOOPER_LAST,
	.init = looper_init,
	.process = looper_process,
	.handle_cmd = looper_cmd,
	.report_looper = looper_report,
	.fini = looper_fini,
};
