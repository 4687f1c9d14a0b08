/*
 * looper_track.c - one looper track: its state machine (record, overdub,
 * play, mute, solo, clear, undo, redo, load), its layer stack and its
 * audio in one stretch of a block.  All of it runs on the process thread
 * (RT: no allocation, locks or I/O); looper.c decides when.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "rt/looper/looper_track.h"

#define NONE SB_CHUNK_NONE

static void emit_nomem(struct looper *lp, const struct lp_track *t)
{
	struct sb_msg m = { .type = SB_EVT_LOOPER_NOMEM };

	m.u.looper.column = t->col;
	m.u.looper.track = t->idx;
	m.u.looper.next_state = -1;
	lp->emit(lp->emit_arg, &m);
}

/* Tell the server; a recording also ends at its next boundary. */
void lp_track_nomem(struct looper *lp, struct lp_track *t)
{
	if (t->nomem_stop)
		return;
	if (t->state == SB_TRACK_RECORDING) {
		t->nomem_stop = 1;
		t->dirty = 1;
	}
	emit_nomem(lp, t);
}

/* Main thread, from the looper's init. */
void lp_track_reset(struct looper *lp, struct lp_track *t)
{
	int col = t->col, idx = t->idx;
	float *hist = t->od_hist;

	(void)lp;
	memset(t, 0, sizeof(*t));
	t->col = col;
	t->idx = idx;
	t->od_hist = hist;
	t->cur = -1;
	t->job = -1;
	t->vol = t->vol_target = 1.0f;
	for (int i = 0; i < LP_MAX_LAYERS; i++)
		lp_layer_init(&t->layer[i]);
	lp_layer_init(&t->tail.layer);
	t->w.pend = NONE;
	t->dirty = 1;
}

int lp_track_audible(const struct looper *lp, const struct lp_track *t)
{
	if (!lp->running || t->cur < 0)
		return 0;
	if (t->state != SB_TRACK_PLAYING && t->state != SB_TRACK_OVERDUBBING)
		return 0;
	return !lp->any_solo || t->solo;
}

void lp_track_set_volume(struct looper *lp, struct lp_track *t, float g)
{
	uint32_t frames = (uint32_t)(LP_VOL_RAMP_S * lp->rate);

	t->vol_target = g;
	t->vol_left = frames ? frames : 1;
	t->vol_step = (g - t->vol) / (float)t->vol_left;
	t->dirty = 1;
}

/* ---------------------------------------------------------------------- */
/* layer stack                                                             */
/* ---------------------------------------------------------------------- */

static void tail_end(struct looper *lp, struct lp_track *t)
{
	if (t->tail.own)
		lp_layer_release(&lp->pool, &t->tail.layer);
	t->tail.own = 0;
	t->tail.left = 0;
}

/* Release layer i; a tail still reading it stops first. */
static void drop_layer(struct looper *lp, struct lp_track *t, int i)
{
	struct lp_layer *L = &t->layer[i];

	if (t->job == i)
		t->job = -1;
	if (t->tail.left && !t->tail.own && L->head != NONE &&
	    t->tail.layer.head == L->head)
		tail_end(lp, t);
	lp_layer_release(&lp->pool, L);
}

/* A new take after an undo forgets what could have been redone. */
static void drop_redo(struct looper *lp, struct lp_track *t)
{
	for (int i = t->cur + 1; i < t->n; i++)
		drop_layer(lp, t, i);
	t->n = t->cur + 1;
}

static void stop_writing(struct lp_track *t)
{
	t->writing = 0;
}

/* Finish the background copy now and publish it (rarely needed). */
static void settle(struct looper *lp, struct lp_track *t)
{
	stop_writing(t);
	lp_track_jobs(lp, t, UINT32_MAX);
}

void lp_track_jobs(struct looper *lp, struct lp_track *t, uint32_t budget)
{
	struct lp_layer *L;

	if (t->job < 0)
		return;
	L = &t->layer[t->job];
	lp_copy_some(&lp->pool, L, &t->bg, budget);
	if (L->uncopied || (t->writing && t->job == t->cur))
		return;
	lp_layer_push_all(&lp->pool, L, t->col, t->idx);
	t->job = -1;
}

/*
 * Drop the oldest layer (never the current one).  A copy still reading
 * it is finished first when force, else nothing is trimmed.  Returns the
 * chunks given back.
 */
static uint32_t trim_oldest(struct looper *lp, struct lp_track *t, int force)
{
	uint32_t n_chunks = t->layer[0].n_chunks;

	if (t->cur < 1)
		return 0;
	if (t->job == 1 && !force)
		return 0;
	if (t->job == 1)
		settle(lp, t);
	drop_layer(lp, t, 0);
	memmove(&t->layer[0], &t->layer[1], (size_t)(t->n - 1) *
		sizeof(t->layer[0]));
	lp_layer_init(&t->layer[t->n - 1]);
	t->n--;
	t->cur--;
	if (t->job > 0)
		t->job--;
	t->dirty = 1;
	return n_chunks;
}

uint32_t lp_track_trim(struct looper *lp, struct lp_track *t)
{
	return trim_oldest(lp, t, 0);
}

/* A fresh slot on top of the stack for a new current layer. */
static struct lp_layer *push_layer(struct looper *lp, struct lp_track *t)
{
	struct lp_layer *L;

	drop_redo(lp, t);
	if (t->n == LP_MAX_LAYERS)
		trim_oldest(lp, t, 1);
	L = &t->layer[t->n];
	lp_layer_init(L);
	return L;
}

/* ---------------------------------------------------------------------- */
/* sound on / off                                                          */
/* ---------------------------------------------------------------------- */

/* Stop sounding: what played fades out on the tail. */
void lp_track_cut(struct looper *lp, struct lp_track *t)
{
	struct lp_layer *L = lp_cur(t);
	struct lp_tail *tl = &t->tail;

	if (!t->sounding)
		return;
	t->sounding = 0;
	if (!L || !lp->declick || t->state == SB_TRACK_RECORDING)
		return;
	tail_end(lp, t);
	tl->layer = *L;
	tl->c = t->c;
	tl->left = lp->declick;
	tl->g = t->snd * t->vol;
	tl->dg = tl->g / (float)lp->declick;
	t->snd = 0.0f;
}

/* Loop position of layer[cur] now, from its anchor and the beat grid. */
static void realign(struct looper *lp, struct lp_track *t)
{
	const struct lp_layer *L = lp_cur(t);
	int64_t len = lp->col_beats[t->col], r;
	double start;

	if (!lp->running || lp->beat < L->anchor) {
		t->pos = 0;
		return;
	}
	if (len <= 0) {
		t->pos = L->frames ? t->pos % L->frames : 0;
		return;
	}
	r = L->anchor + (lp->beat - L->anchor) / len * len;
	start = (double)lp->beat_pos - (double)(lp->beat - r) * lp->fpb;
	t->pos = (double)lp->now > start ?
		 (uint64_t)llround((double)lp->now - start) : 0;
}

void lp_track_restart(struct looper *lp, struct lp_track *t)
{
	t->pos = 0;
	lp_seek(&lp->pool, lp_cur(t), &t->c, 0, 1);
}

/* Transport start: every loop begins again on beat 0. */
void lp_track_start(struct looper *lp, struct lp_track *t)
{
	for (int i = 0; i < t->n; i++)
		t->layer[i].anchor = 0;
	t->pos = 0;
	if (t->cur >= 0)
		lp_track_restart(lp, t);
}

/* ---------------------------------------------------------------------- */
/* record, overdub                                                         */
/* ---------------------------------------------------------------------- */

/*
 * Record into a new layer anchored on the beat in progress.  Started
 * between beats (quantize off) the layer begins with the silence since
 * that beat, so the take stays where it was played on the grid.
 */
static void rec_start(struct looper *lp, struct lp_track *t)
{
	struct lp_layer *L;
	uint64_t pad = lp->now - lp->beat_pos;

	lp_track_cut(lp, t);
	stop_writing(t);
	L = push_layer(lp, t);
	L->stream = lp_pool_stream(&lp->pool);
	L->flags = LP_L_ENGINE;
	L->anchor = lp->beat;
	L->start_frame = lp->eframe;
	t->cur = t->n++;
	t->state = SB_TRACK_RECORDING;
	t->nomem_stop = 0;
	lp_write_begin(&t->w, lp->declick, t->col, t->idx);
	if (pad > 2 * (uint64_t)lp->fpb)
		pad = 0;	/* beat bookkeeping is stale: none */
	if (pad)
		lp_write(&lp->pool, L, &t->w, NULL, NULL, (uint32_t)pad,
			 lp->eframe - pad);
	t->pos = pad;
}

/* Empty take (no chunk ever came): forget it. */
static void rec_discard(struct looper *lp, struct lp_track *t, int state)
{
	t->n--;
	t->cur = t->n - 1;
	t->state = t->cur < 0 ? SB_TRACK_EMPTY : state;
	if (t->cur >= 0)
		realign(lp, t);
	if (t->cur >= 0)
		lp_seek(&lp->pool, lp_cur(t), &t->c, t->pos, 1);
}

/*
 * End the recording at this frame; state is what follows.  A column
 * without a length takes end_beat - anchor (end_beat < 0: leave it).
 */
void lp_track_rec_end(struct looper *lp, struct lp_track *t, int state,
		      int64_t end_beat)
{
	struct lp_layer *L = lp_cur(t);

	lp_write_finish(&lp->pool, L, &t->w);
	t->nomem_stop = 0;
	t->dirty = 1;
	if (!L->frames) {
		rec_discard(lp, t, state);
		return;
	}
	if (lp->col_beats[t->col] == 0 && end_beat > L->anchor) {
		lp->col_beats[t->col] = (int32_t)(end_beat - L->anchor);
		lp->col_dirty |= 1u << t->col;
	}
	t->state = state;
	lp_seek(&lp->pool, L, &t->c, t->pos, 1);
	/* the take's own fades make the switch to playback seamless */
	t->sounding = state == SB_TRACK_PLAYING;
	t->snd = 1.0f;
}

static uint64_t span_frames(const struct looper *lp, const struct lp_track *t)
{
	int32_t len = lp->col_beats[t->col];

	return len > 0 ? (uint64_t)ceil(len * lp->fpb) : 0;
}

/* New layer = current + input, copied lazily; all chunks taken now. */
static void od_start(struct looper *lp, struct lp_track *t)
{
	struct lp_layer *L, *old;
	uint64_t frames;

	settle(lp, t);
	L = push_layer(lp, t);
	old = lp_cur(t);
	frames = old->frames > span_frames(lp, t) ? old->frames :
		 span_frames(lp, t);
	L->start_frame = lp->eframe - t->pos;
	if (lp_layer_alloc(&lp->pool, L, (uint32_t)((frames + lp->pool.cf - 1)
						     / lp->pool.cf))) {
		lp_layer_release(&lp->pool, L);
		lp_track_nomem(lp, t);
		return;
	}
	L->frames = frames;
	L->stream = lp_pool_stream(&lp->pool);
	L->flags = LP_L_ENGINE;
	L->anchor = old->anchor;
	L->src_head = old->head;
	L->src_frames = old->frames;
	t->cur = t->n++;
	lp_seek(&lp->pool, L, &t->c, t->pos, 1);
	t->job = t->cur;
	lp_seek(&lp->pool, L, &t->bg, 0, 0);
	t->state = SB_TRACK_OVERDUBBING;
	t->writing = 1;
	t->od_in = 0;
	t->od_n = 0;
}

/* Fade-out factors -(1 - g) for n frames, the last being frame k = 1. */
static void od_fade_piece(struct looper *lp, struct lp_track *t, uint32_t n,
			  uint32_t k_first)
{
	uint32_t D = lp->declick;

	for (uint32_t j = 0; j < n; j++) {
		uint32_t k = k_first - j;
		uint64_t h = (t->od_n - k) % D;

		lp->gbuf[j] = -(1.0f - (float)(k - 1) / (float)D);
		lp->sl[j] = t->od_hist[h];
		lp->sr[j] = t->od_hist[D + h];
	}
}

/*
 * The overdub's input fades out over its last declick frames, inside the
 * pass (the boundary is only known when it comes, so the input added
 * there is taken back in part), so playback on from the boundary is the
 * new layer exactly.
 */
static void od_fade_out(struct looper *lp, struct lp_track *t)
{
	struct lp_layer *L = lp_cur(t);
	struct lp_io io = { .in_l = lp->sl, .in_r = lp->sr,
			    .in_gain = lp->gbuf };
	struct lp_cursor c;
	uint64_t n = lp->declick;

	if (t->od_n < n)
		n = t->od_n;
	if (t->pos < n)
		n = t->pos;
	lp_seek(&lp->pool, L, &c, t->pos - n, 0);
	while (n) {
		uint32_t m = n < LP_PIECE ? (uint32_t)n : LP_PIECE;

		od_fade_piece(lp, t, m, (uint32_t)n);
		lp_play(&lp->pool, L, &c, m, &io);
		n -= m;
	}
}

static void od_end(struct looper *lp, struct lp_track *t, int state)
{
	if (t->writing && lp->declick)
		od_fade_out(lp, t);
	stop_writing(t);
	t->state = state;
}

/* Whatever is being written ends here; state follows. */
static void end_writing(struct looper *lp, struct lp_track *t, int state,
			int64_t beat)
{
	if (t->state == SB_TRACK_RECORDING)
		lp_track_rec_end(lp, t, state, beat);
	else if (t->state == SB_TRACK_OVERDUBBING)
		od_end(lp, t, state);
}

/* ---------------------------------------------------------------------- */
/* the other actions                                                       */
/* ---------------------------------------------------------------------- */

static void switch_layer(struct looper *lp, struct lp_track *t, int to)
{
	const struct lp_layer *from = lp_cur(t);
	int64_t was = from ? from->anchor : INT64_MIN;

	/* undo/redo switch at the boundary as they are: no crossfade */
	stop_writing(t);
	t->cur = to;
	if (t->state == SB_TRACK_EMPTY)
		t->state = SB_TRACK_PLAYING;
	if (t->layer[to].anchor != was)
		realign(lp, t);
	lp_seek(&lp->pool, &t->layer[to], &t->c, t->pos, 1);
}

void lp_track_clear(struct looper *lp, struct lp_track *t)
{
	struct lp_layer *L;

	if (t->state == SB_TRACK_RECORDING)
		lp_track_rec_end(lp, t, SB_TRACK_PLAYING, -1);
	stop_writing(t);
	L = lp_cur(t);
	if (L && t->sounding && lp->declick) {
		lp_track_cut(lp, t);
		t->tail.own = 1;	/* the tail gives the chunks back */
		lp_layer_init(L);
	}
	t->sounding = 0;
	for (int i = 0; i < t->n; i++)
		drop_layer(lp, t, i);
	t->n = 0;
	t->cur = -1;
	t->job = -1;
	t->state = SB_TRACK_EMPTY;
	t->pos = 0;
	t->nomem_stop = 0;
	t->dirty = 1;
}

/* Transport stop: takes end, sound fades, positions go home. */
void lp_track_stop(struct looper *lp, struct lp_track *t)
{
	end_writing(lp, t, SB_TRACK_PLAYING, lp->beat + 1);
	stop_writing(t);
	lp_track_cut(lp, t);
	t->pend = 0;
	t->nomem_stop = 0;
	t->pos = 0;
	if (t->cur >= 0)
		lp_seek(&lp->pool, lp_cur(t), &t->c, 0, 1);
	t->dirty = 1;
}

static void act_record(struct looper *lp, struct lp_track *t, int64_t beat)
{
	if (t->state == SB_TRACK_RECORDING)
		lp_track_rec_end(lp, t, SB_TRACK_PLAYING, beat);
	else
		rec_start(lp, t);
}

static void act_overdub(struct looper *lp, struct lp_track *t, int64_t beat)
{
	if (t->state == SB_TRACK_OVERDUBBING) {
		od_end(lp, t, SB_TRACK_PLAYING);
		return;
	}
	end_writing(lp, t, SB_TRACK_PLAYING, beat);
	if (t->cur >= 0)
		od_start(lp, t);
}

static void act_play_mute(struct looper *lp, struct lp_track *t, int state,
			  int64_t beat)
{
	if (t->state == SB_TRACK_RECORDING || t->state == SB_TRACK_OVERDUBBING)
		end_writing(lp, t, state, beat);
	else if (t->cur >= 0)
		t->state = state;
}

static void act_undo_redo(struct looper *lp, struct lp_track *t, int dir,
			  int64_t beat)
{
	int to = t->cur + dir;

	end_writing(lp, t, SB_TRACK_PLAYING, beat);
	/* the first layer is as far back as undo goes */
	if (to >= 0 && to < t->n)
		switch_layer(lp, t, to);
}

/* Apply one action at this frame; beat = the boundary's beat index. */
void lp_track_apply(struct looper *lp, struct lp_track *t, int action,
		    int64_t beat)
{
	switch (action) {
	case SB_LA_RECORD:
		act_record(lp, t, beat);
		break;
	case SB_LA_OVERDUB:
		act_overdub(lp, t, beat);
		break;
	case SB_LA_PLAY:
		act_play_mute(lp, t, SB_TRACK_PLAYING, beat);
		break;
	case SB_LA_MUTE:
		act_play_mute(lp, t, SB_TRACK_MUTED, beat);
		break;
	case SB_LA_SOLO:
		t->solo = !t->solo;
		break;
	case SB_LA_CLEAR:
		lp_track_clear(lp, t);
		break;
	case SB_LA_UNDO:
	case SB_LA_REDO:
		act_undo_redo(lp, t, action == SB_LA_UNDO ? -1 : 1, beat);
		break;
	}
	t->pend = 0;
	t->dirty = 1;
}

int lp_track_next_state(const struct lp_track *t)
{
	int has = t->cur >= 0;

	switch (t->pend) {
	case SB_LA_RECORD:
		return t->state == SB_TRACK_RECORDING ? SB_TRACK_PLAYING :
		       SB_TRACK_RECORDING;
	case SB_LA_OVERDUB:
		return t->state == SB_TRACK_OVERDUBBING ? SB_TRACK_PLAYING :
		       has ? SB_TRACK_OVERDUBBING : -1;
	case SB_LA_PLAY:
		return has ? SB_TRACK_PLAYING : -1;
	case SB_LA_MUTE:
		return has ? SB_TRACK_MUTED : -1;
	case SB_LA_CLEAR:
		return SB_TRACK_EMPTY;
	default:
		return t->nomem_stop ? SB_TRACK_PLAYING : -1;
	}
}

/* ---------------------------------------------------------------------- */
/* load                                                                    */
/* ---------------------------------------------------------------------- */

/* The server's list must be exactly the chunks the length needs, each
 * one handed to us; returns the last chunk or NONE. */
static uint32_t load_check(const struct looper *lp,
			   const struct sb_looper_args *a, uint32_t *n)
{
	const struct lp_pool *p = &lp->pool;
	uint64_t want = (a->frames + p->cf - 1) / p->cf;
	uint32_t idx = a->chunk, last = NONE;

	for (*n = 0; idx != NONE && *n <= want; (*n)++) {
		if (idx >= p->n_chunks || atomic_load_explicit(&p->owner[idx],
				memory_order_acquire) != SB_OWN_ENGINE)
			return NONE;
		last = idx;
		idx = lp_chunk(p, idx)->next;
	}
	return *n == want ? last : NONE;
}

/* Install a server-made layer on top; 0 or -EINVAL (chunks untouched). */
int lp_track_load(struct looper *lp, struct lp_track *t,
		  const struct sb_looper_args *a)
{
	const struct lp_layer *prev;
	struct lp_layer *L;
	uint32_t n, last = NONE;
	int64_t anchor = lp->running ? lp->beat - lp->bib : 0;

	if (a->value == SB_TRACK_PLAYING || a->value == SB_TRACK_MUTED)
		last = a->frames ? load_check(lp, a, &n) : NONE;
	if (last == NONE)
		return -EINVAL;
	end_writing(lp, t, SB_TRACK_PLAYING, lp->beat + 1);
	lp_track_cut(lp, t);
	prev = lp_cur(t);
	if (prev)
		anchor = prev->anchor;	/* keep the track's place */
	L = push_layer(lp, t);
	L->head = a->chunk;
	L->last = last;
	L->n_chunks = n;
	L->frames = a->frames;
	L->stream = a->stream;
	L->anchor = anchor;
	t->cur = t->n++;
	t->state = a->value;
	if (!prev)
		realign(lp, t);
	lp_seek(&lp->pool, L, &t->c, t->pos, 1);
	t->dirty = 1;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* audio                                                                   */
/* ---------------------------------------------------------------------- */

/* Per-frame mix gain for n <= LP_PIECE frames; NULL + *k when steady. */
static const float *play_gain(struct looper *lp, struct lp_track *t,
			      uint32_t n, float *k)
{
	float step = lp->declick ? 1.0f / (float)lp->declick : 1.0f;

	*k = t->vol;
	if (!t->vol_left && t->snd >= 1.0f)
		return NULL;
	for (uint32_t j = 0; j < n; j++) {
		lp->gbuf[j] = t->vol * t->snd;
		t->snd = t->snd + step < 1.0f ? t->snd + step : 1.0f;
		if (t->vol_left && --t->vol_left == 0)
			t->vol = t->vol_target;
		else if (t->vol_left)
			t->vol += t->vol_step;
	}
	return lp->gbuf;
}

/* A silent track still glides to its volume. */
static void vol_skip(struct lp_track *t, uint32_t n)
{
	if (!t->vol_left)
		return;
	if (n >= t->vol_left) {
		t->vol_left = 0;
		t->vol = t->vol_target;
		return;
	}
	t->vol_left -= n;
	t->vol += t->vol_step * (float)n;
}

/* Overdub input gain: the fade-in over the first declick frames. */
static const float *od_gain(struct looper *lp, struct lp_track *t,
			    uint32_t n)
{
	float D = (float)lp->declick;

	if (t->od_in >= lp->declick)
		return NULL;
	for (uint32_t j = 0; j < n; j++) {
		/* from 1/D: the first overdubbed frame already differs */
		if (t->od_in < lp->declick)
			lp->ibuf[j] = (float)++t->od_in / D;
		else
			lp->ibuf[j] = 1.0f;
	}
	return lp->ibuf;
}

/* Keep the last declick frames of input added, for the fade-out. */
static void od_remember(struct looper *lp, struct lp_track *t,
			const struct lp_io *io, uint32_t n)
{
	uint32_t D = lp->declick;

	for (uint32_t j = 0; D && j < n; j++) {
		uint64_t h = (t->od_n + j) % D;
		float g = io->in_gain ? io->in_gain[j] : 1.0f;

		t->od_hist[h] = io->in_l ? g * io->in_l[j] : 0.0f;
		t->od_hist[D + h] = io->in_r ? g * io->in_r[j] : 0.0f;
	}
	t->od_n += n;
}

static void tail_render(struct looper *lp, struct lp_track *t,
			const struct lp_span *s)
{
	struct lp_tail *tl = &t->tail;
	uint32_t done = 0, n = s->n < tl->left ? s->n : tl->left;

	while (done < n) {
		uint32_t m = n - done < LP_PIECE ? n - done : LP_PIECE;
		struct lp_io io = { .gain = lp->gbuf };

		for (uint32_t j = 0; j < m; j++)
			lp->gbuf[j] = tl->g - (float)j * tl->dg;
		if (s->out_l) {
			io.out_l = s->out_l + done;
			io.out_r = s->out_r + done;
		}
		lp_play(&lp->pool, &tl->layer, &tl->c, m, &io);
		tl->g -= (float)m * tl->dg;
		done += m;
	}
	tl->left -= n;
	if (!tl->left)
		tail_end(lp, t);
}

static void rec_render(struct looper *lp, struct lp_track *t,
		       const struct lp_span *s)
{
	uint32_t got = lp_write(&lp->pool, lp_cur(t), &t->w, s->in_l, s->in_r,
				s->n, s->frame);

	t->pos += s->n;
	if (got < s->n)
		lp_track_nomem(lp, t);
}

/* Frames of this piece: ramp buffer size, and the layer's end when the
 * column has no length (free wrap). */
static uint32_t piece_len(const struct looper *lp, const struct lp_track *t,
			  uint32_t n)
{
	const struct lp_layer *L = &t->layer[t->cur];

	if (n > LP_PIECE)
		n = LP_PIECE;
	if (!lp->col_beats[t->col] && L->frames > t->pos &&
	    L->frames - t->pos < n)
		n = (uint32_t)(L->frames - t->pos);
	return n;
}

static void play_piece(struct looper *lp, struct lp_track *t,
		       const struct lp_span *s, uint32_t at, uint32_t m)
{
	struct lp_io io = { .copy = 1 };

	if (t->sounding && s->out_l) {
		io.out_l = s->out_l + at;
		io.out_r = s->out_r + at;
		io.gain = play_gain(lp, t, m, &io.gain_k);
	} else {
		vol_skip(t, m);
	}
	if (t->writing) {
		io.in_gain = od_gain(lp, t, m);
		io.in_l = s->in_l ? s->in_l + at : NULL;
		io.in_r = s->in_r ? s->in_r + at : NULL;
	}
	lp_play(&lp->pool, lp_cur(t), &t->c, m, &io);
	if (t->writing)
		od_remember(lp, t, &io, m);
}

static void play_render(struct looper *lp, struct lp_track *t,
			const struct lp_span *s)
{
	const struct lp_layer *L = lp_cur(t);

	for (uint32_t done = 0, m; done < s->n; done += m) {
		m = piece_len(lp, t, s->n - done);
		play_piece(lp, t, s, done, m);
		t->pos += m;
		if (!lp->col_beats[t->col] && t->pos >= L->frames)
			lp_track_restart(lp, t);
	}
}

void lp_track_render(struct looper *lp, struct lp_track *t,
		     const struct lp_span *s)
{
	if (t->tail.left)
		tail_render(lp, t, s);
	if (!lp->running || t->cur < 0)
		return;
	if (t->state == SB_TRACK_RECORDING)
		rec_render(lp, t, s);
	else
		play_render(lp, t, s);
}
