/*
 * layer.c - chunk-list layers: the pool hand-overs, cursors, recording
 * writer and lazy overdub copies.  See layer.h.
 */
#include "rt/looper/layer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE SB_CHUNK_NONE

/* ---------------------------------------------------------------------- */
/* pool                                                                    */
/* ---------------------------------------------------------------------- */

/* Main thread, before activation. */
int lp_pool_init(struct lp_pool *p, const struct sb_arena *a)
{
	const struct sb_arena_hdr *h = a->hdr;

	memset(p, 0, sizeof(*p));
	p->arena = a;
	p->free_ring = sb_arena_ring(a, h->off_chunk_free);
	p->filled = sb_arena_ring(a, h->off_chunk_filled);
	p->release = sb_arena_ring(a, h->off_chunk_release);
	p->owner = sb_arena_chunk_owner(a);
	p->n_chunks = h->geom.n_chunks;
	p->cf = h->geom.chunk_frames;
	p->generation = atomic_load(&h->engine_generation);
	p->copied = calloc(p->n_chunks, 1);
	return p->copied ? 0 : -ENOMEM;
}

/* Main thread, after deactivation. */
void lp_pool_fini(struct lp_pool *p)
{
	free(p->copied);
	p->copied = NULL;
}

uint64_t lp_pool_stream(struct lp_pool *p)
{
	return (p->generation << 32) | ++p->counter;
}

static void set_owner(struct lp_pool *p, uint32_t idx, enum sb_chunk_owner o)
{
	atomic_store_explicit(&p->owner[idx], (uint8_t)o, memory_order_release);
}

/* One chunk straight from the ring; a corrupt index is skipped. */
static uint32_t ring_take(struct lp_pool *p)
{
	uint32_t idx;

	while (sb_ring_pop(p->free_ring, &idx) == 0) {
		if (idx < p->n_chunks) {
			set_owner(p, idx, SB_OWN_ENGINE);
			return idx;
		}
	}
	return NONE;
}

void lp_pool_refill(struct lp_pool *p, uint32_t want)
{
	if (want > LP_RESERVE_MAX)
		want = LP_RESERVE_MAX;
	while (p->n_res < want) {
		uint32_t idx = ring_take(p);

		if (idx == NONE)
			return;
		p->res[p->n_res++] = idx;
	}
}

uint32_t lp_pool_available(struct lp_pool *p)
{
	return p->n_res + sb_ring_read_space(p->free_ring);
}

uint32_t lp_pool_take(struct lp_pool *p)
{
	uint32_t idx = p->n_res ? p->res[--p->n_res] : ring_take(p);
	struct sb_chunk *c;

	if (idx == NONE)
		return NONE;
	/* A recycled chunk still carries its last life's header. */
	c = lp_chunk(p, idx);
	c->next = NONE;
	c->flags = 0;
	c->frames = 0;
	return idx;
}

void lp_pool_giveback(struct lp_pool *p, uint32_t idx)
{
	if (p->n_res < LP_RESERVE_MAX)
		p->res[p->n_res++] = idx;
	else
		lp_pool_release(p, idx);
}

/* The release ring holds every chunk, so a push cannot fail; count it
 * anyway rather than trust that blindly. */
void lp_pool_release(struct lp_pool *p, uint32_t idx)
{
	set_owner(p, idx, SB_OWN_RELEASED);
	if (sb_ring_push(p->release, &idx))
		p->lost++;
}

void lp_pool_push_filled(struct lp_pool *p, uint32_t idx)
{
	if (sb_ring_push(p->filled, &idx))
		p->lost++;
}

/* ---------------------------------------------------------------------- */
/* layers                                                                  */
/* ---------------------------------------------------------------------- */

void lp_layer_init(struct lp_layer *L)
{
	memset(L, 0, sizeof(*L));
	L->head = L->last = L->src_head = NONE;
}

void lp_layer_release(struct lp_pool *p, struct lp_layer *L)
{
	uint32_t idx = L->head;

	/* n_chunks bounds the walk even if a header was overwritten. */
	for (uint32_t i = 0; i < L->n_chunks && idx != NONE; i++) {
		uint32_t next = lp_chunk(p, idx)->next;

		lp_pool_release(p, idx);
		idx = next < p->n_chunks ? next : NONE;
	}
	lp_layer_init(L);
}

/* Append one taken chunk to L's list. */
static void layer_link(struct lp_pool *p, struct lp_layer *L, uint32_t idx)
{
	if (L->last == NONE)
		L->head = idx;
	else
		lp_chunk(p, L->last)->next = idx;
	L->last = idx;
	L->n_chunks++;
}

int lp_layer_alloc(struct lp_pool *p, struct lp_layer *L, uint32_t n_chunks)
{
	if (lp_pool_available(p) < n_chunks)
		return -ENOMEM;
	for (uint32_t k = 0; k < n_chunks; k++) {
		uint32_t idx = lp_pool_take(p);

		if (idx == NONE)
			return -ENOMEM;	/* caller releases what we linked */
		layer_link(p, L, idx);
		p->copied[idx] = 0;
		lp_chunk(p, idx)->start_frame = L->start_frame +
						(uint64_t)k * p->cf;
	}
	L->uncopied = n_chunks;
	return 0;
}

void lp_chunk_seal(struct lp_pool *p, uint32_t idx, const struct lp_layer *L,
		   uint32_t seq, uint32_t flags, int column, int track)
{
	struct sb_chunk *c = lp_chunk(p, idx);
	uint64_t left = L->frames - (uint64_t)seq * p->cf;

	c->stream = L->stream;
	c->seq = seq;
	c->frames = left < p->cf ? (uint32_t)left : p->cf;
	c->flags = flags | (seq == 0 ? SB_CHUNK_FIRST : 0);
	c->channels = 2;
	c->column = (int16_t)column;
	c->track = (int16_t)track;
}

void lp_layer_push_all(struct lp_pool *p, const struct lp_layer *L,
		       int column, int track)
{
	uint32_t idx = L->head;

	for (uint32_t k = 0; k < L->n_chunks && idx != NONE; k++) {
		uint32_t last = k + 1 == L->n_chunks ? SB_CHUNK_LAST : 0;

		lp_chunk_seal(p, idx, L, k, last, column, track);
		lp_pool_push_filled(p, idx);
		idx = lp_chunk(p, idx)->next;
	}
}

/* ---------------------------------------------------------------------- */
/* cursors and lazy overdub copies                                         */
/* ---------------------------------------------------------------------- */

static uint32_t next_of(const struct lp_pool *p, uint32_t idx)
{
	uint32_t n;

	if (idx == NONE)
		return NONE;
	n = lp_chunk(p, idx)->next;
	return n < p->n_chunks ? n : NONE;
}

/* The source is followed only while there is something left to copy:
 * once complete, its chunks may already belong to someone else. */
static void step(struct lp_pool *p, const struct lp_layer *L,
		 struct lp_cursor *c)
{
	c->chunk = next_of(p, c->chunk);
	c->src = L->uncopied ? next_of(p, c->src) : NONE;
	c->k++;
	c->off = 0;
}

void lp_seek(struct lp_pool *p, struct lp_layer *L, struct lp_cursor *c,
	     uint64_t pos, int copy)
{
	uint64_t k = pos / p->cf;

	c->chunk = L->head;
	c->src = L->uncopied ? L->src_head : NONE;
	c->k = 0;
	c->off = 0;
	for (uint64_t i = 0; i < k && i < L->n_chunks; i++)
		step(p, L, c);
	c->k = (uint32_t)k;
	c->off = (uint32_t)(pos % p->cf);
	if (copy)
		lp_enter(p, L, c);
}

static void copy_chunk(struct lp_pool *p, struct lp_layer *L, uint32_t dst,
		       uint32_t src, uint32_t k)
{
	uint64_t base = (uint64_t)k * p->cf;
	uint32_t valid = 0;
	float *d = lp_data(p, dst);

	if (src != NONE && L->src_frames > base)
		valid = L->src_frames - base < p->cf ?
			(uint32_t)(L->src_frames - base) : p->cf;
	if (valid)
		memcpy(d, lp_data(p, src), (size_t)valid * 2 * sizeof(float));
	memset(d + 2 * (size_t)valid, 0,
	       (size_t)(p->cf - valid) * 2 * sizeof(float));
	p->copied[dst] = 1;
	L->uncopied--;
}

void lp_enter(struct lp_pool *p, struct lp_layer *L, struct lp_cursor *c)
{
	if (L->uncopied && c->chunk != NONE && !p->copied[c->chunk])
		copy_chunk(p, L, c->chunk, c->src, c->k);
}

void lp_copy_some(struct lp_pool *p, struct lp_layer *L,
		  struct lp_cursor *bg, uint32_t budget)
{
	while (budget && L->uncopied && bg->chunk != NONE) {
		if (!p->copied[bg->chunk]) {
			copy_chunk(p, L, bg->chunk, bg->src, bg->k);
			budget--;
		}
		step(p, L, bg);
	}
}

/* ---------------------------------------------------------------------- */
/* playback and overdub                                                    */
/* ---------------------------------------------------------------------- */

static void mix(const float *d, uint32_t m, float *l, float *r,
		const float *g, float gk)
{
	if (g) {
		for (uint32_t j = 0; j < m; j++) {
			l[j] += g[j] * d[2 * j];
			r[j] += g[j] * d[2 * j + 1];
		}
		return;
	}
	for (uint32_t j = 0; j < m; j++) {
		l[j] += gk * d[2 * j];
		r[j] += gk * d[2 * j + 1];
	}
}

static void add_input(float *d, uint32_t m, const float *l, const float *r,
		      const float *g)
{
	if (g) {
		for (uint32_t j = 0; j < m; j++) {
			d[2 * j] += g[j] * l[j];
			d[2 * j + 1] += g[j] * r[j];
		}
		return;
	}
	for (uint32_t j = 0; j < m; j++) {
		d[2 * j] += l[j];
		d[2 * j + 1] += r[j];
	}
}

/* Frames [i, i+m) of the call, all inside the cursor's chunk. */
static void play_piece(struct lp_pool *p, const struct lp_layer *L,
		       const struct lp_cursor *c, uint32_t i, uint32_t m,
		       const struct lp_io *io)
{
	float *d = lp_data(p, c->chunk) + 2 * (size_t)c->off;

	/* Only a fading tail can meet a chunk not copied yet: silence. */
	if (L->uncopied && !p->copied[c->chunk])
		return;
	if (io->out_l)
		mix(d, m, io->out_l + i, io->out_r + i,
		    io->gain ? io->gain + i : NULL, io->gain_k);
	if (io->in_l)
		add_input(d, m, io->in_l + i, io->in_r + i,
			  io->in_gain ? io->in_gain + i : NULL);
}

void lp_play(struct lp_pool *p, struct lp_layer *L, struct lp_cursor *c,
	     uint32_t n, const struct lp_io *io)
{
	uint32_t i = 0;

	while (i < n) {
		uint32_t m = n - i;
		uint64_t pos;

		if (c->off == p->cf) {
			step(p, L, c);
			if (io->copy)
				lp_enter(p, L, c);
		}
		if (m > p->cf - c->off)
			m = p->cf - c->off;
		pos = lp_cursor_pos(p, c);
		if (c->chunk != NONE && pos < L->frames) {
			if (m > L->frames - pos)
				m = (uint32_t)(L->frames - pos);
			play_piece(p, L, c, i, m, io);
		}
		c->off += m;
		i += m;
	}
}

/* ---------------------------------------------------------------------- */
/* recording                                                               */
/* ---------------------------------------------------------------------- */

void lp_write_begin(struct lp_writer *w, uint32_t declick, int column,
		    int track)
{
	memset(w, 0, sizeof(*w));
	w->pend = NONE;
	w->declick = declick;
	w->column = column;
	w->track = track;
}

/* Frames already in L's last chunk (0 with no chunk). */
static uint32_t last_fill(const struct lp_pool *p, const struct lp_layer *L)
{
	if (!L->n_chunks)
		return 0;
	return (uint32_t)(L->frames - (uint64_t)(L->n_chunks - 1) * p->cf);
}

static void push_pend(struct lp_pool *p, const struct lp_layer *L,
		      struct lp_writer *w)
{
	if (w->pend == NONE)
		return;
	lp_chunk_seal(p, w->pend, L, L->n_chunks - 2, 0, w->column, w->track);
	lp_pool_push_filled(p, w->pend);
	w->pend = NONE;
}

static int new_chunk(struct lp_pool *p, struct lp_layer *L,
		     struct lp_writer *w, uint64_t frame)
{
	uint32_t idx = lp_pool_take(p);

	if (idx == NONE)
		return -ENOMEM;
	push_pend(p, L, w);	/* already cf >= declick frames behind */
	w->pend = L->last;
	layer_link(p, L, idx);
	lp_chunk(p, idx)->start_frame = frame;
	return 0;
}

/* Input scaled by the fade-in ramp over its first declick frames. */
static void store(float *d, const float *l, const float *r, uint32_t m,
		  struct lp_writer *w)
{
	uint32_t j = 0;

	if (!l) {
		memset(d, 0, (size_t)m * 2 * sizeof(float));
		return;
	}
	for (; j < m && w->in + j < w->declick; j++) {
		float g = (float)(w->in + j) / (float)w->declick;

		d[2 * j] = g * l[j];
		d[2 * j + 1] = g * r[j];
	}
	for (; j < m; j++) {
		d[2 * j] = l[j];
		d[2 * j + 1] = r[j];
	}
	w->in += m;
}

uint32_t lp_write(struct lp_pool *p, struct lp_layer *L, struct lp_writer *w,
		  const float *l, const float *r, uint32_t n, uint64_t frame)
{
	uint32_t done = 0;

	while (done < n && !w->lost) {
		uint32_t off = last_fill(p, L), m = n - done;

		if (!L->n_chunks || off == p->cf) {
			if (new_chunk(p, L, w, frame + done)) {
				w->lost = 1;
				break;
			}
			off = 0;
		}
		if (m > p->cf - off)
			m = p->cf - off;
		store(lp_data(p, L->last) + 2 * (size_t)off,
		      l ? l + done : NULL, r ? r + done : NULL, m, w);
		L->frames += m;
		done += m;
	}
	if (w->pend != NONE && last_fill(p, L) >= w->declick)
		push_pend(p, L, w);
	return done;
}

/* Fade backwards from frame nfr-1 of d; *c counts frames from the end. */
static void fade_back(float *d, uint32_t nfr, uint32_t *c, uint32_t D)
{
	for (uint32_t j = nfr; j-- > 0 && *c < D; (*c)++) {
		float g = (float)*c / (float)D;

		d[2 * j] *= g;
		d[2 * j + 1] *= g;
	}
}

void lp_write_finish(struct lp_pool *p, struct lp_layer *L,
		     struct lp_writer *w)
{
	uint32_t c = 0;

	if (L->last == NONE)
		return;
	if (w->declick) {
		fade_back(lp_data(p, L->last), last_fill(p, L), &c, w->declick);
		if (w->pend != NONE)
			fade_back(lp_data(p, w->pend), p->cf, &c, w->declick);
	}
	push_pend(p, L, w);
	lp_chunk_seal(p, L->last, L, L->n_chunks - 1, SB_CHUNK_LAST, w->column,
		      w->track);
	lp_pool_push_filled(p, L->last);
}
