/*
 * layer.h - the looper's audio memory: chunk-list layers over the arena.
 *
 * A layer is a linked list of arena chunks (sb_chunk.next) plus a length
 * in frames; chunk k holds frames [k*cf, (k+1)*cf), stereo interleaved.
 * The engine gets chunks from the server's chunk_free ring (through a
 * small engine-local reserve, so a cycle never waits), hands each chunk it
 * finishes to chunk_filled (the server saves it) and gives dropped layers
 * back through chunk_release.  The arena's owner map records every hand-
 * over, so either process can die at any time.
 *
 * An overdub layer is made from the layer below it lazily: its chunks are
 * taken at once, but each is copied from the source only when a cursor
 * enters it or a background copy reaches it (copying a long loop in one
 * cycle would cost the deadline).  uncopied counts what is still missing.
 *
 * The pool and its layers belong to the looper, so nearly everything
 * here runs on the process thread (see each tag); only lp_pool_init and
 * lp_pool_fini allocate, nothing locks or blocks.
 */
#ifndef SB_LAYER_H
#define SB_LAYER_H

#include <stdint.h>

#include "rt/common/arena.h"

#define LP_RESERVE_MAX 64	/* chunks held ahead of need */

/* The engine's side of the chunk pool. */
struct lp_pool {
	const struct sb_arena *arena;
	struct sb_ring *free_ring, *filled, *release;
	_Atomic uint8_t *owner;
	uint32_t n_chunks;
	uint32_t cf;		/* frames per chunk */
	uint32_t res[LP_RESERVE_MAX];
	uint32_t n_res;
	uint8_t *copied;	/* per chunk: 1 once its overdub copy is made */
	uint64_t generation;	/* high half of engine-made stream ids */
	uint32_t counter;	/* low half: streams made so far */
	uint32_t lost;		/* pushes a full ring refused (never expected) */
};

#define LP_L_ENGINE 0x1u	/* engine-made stream: its chunks get saved */

struct lp_layer {
	uint32_t head, last;	/* first / last chunk, SB_CHUNK_NONE if none */
	uint32_t n_chunks;
	uint32_t flags;		/* LP_L_* */
	uint64_t frames;	/* valid frames */
	uint64_t stream;
	int64_t anchor;		/* beat where this layer's loop starts */
	uint64_t start_frame;	/* engine frame where it was made */
	uint32_t src_head;	/* overdub source while uncopied > 0 */
	uint32_t uncopied;	/* chunks still to copy from the source */
	uint64_t src_frames;
};

/* A read position inside a layer: chunk k of the list, offset off. */
struct lp_cursor {
	uint32_t chunk;		/* SB_CHUNK_NONE past the list's end */
	uint32_t src;		/* same chunk of the overdub source */
	uint32_t k, off;
};

/* What one lp_play call mixes out of and adds into a layer. */
struct lp_io {
	float *out_l, *out_r;	/* mix target, NULL: only advance */
	const float *gain;	/* per-frame mix gain, NULL: gain_k */
	float gain_k;
	const float *in_l, *in_r;	/* overdub input, NULL: none */
	const float *in_gain;	/* per-frame input gain, NULL: unity */
	int copy;		/* copy chunks from the source on entering */
};

/* Bind to the arena, allocate the copy map.  0 or -errno. */
/* thread: main */
int lp_pool_init(struct lp_pool *p, const struct sb_arena *a);
/* Free the copy map. */
/* thread: main */
void lp_pool_fini(struct lp_pool *p);

/* Chunk i's header. */
/* thread: process */
static inline struct sb_chunk *lp_chunk(const struct lp_pool *p, uint32_t i)
{
	return sb_arena_chunk(p->arena, i);
}

/* Chunk i's interleaved samples. */
/* thread: process */
static inline float *lp_data(const struct lp_pool *p, uint32_t i)
{
	return sb_chunk_samples(sb_arena_chunk(p->arena, i));
}

/* A new engine-made stream id: generation << 32 | counter. */
/* thread: process */
uint64_t lp_pool_stream(struct lp_pool *p);
/* Pop from chunk_free into the reserve until it holds want chunks. */
/* thread: process */
void lp_pool_refill(struct lp_pool *p, uint32_t want);
/* Chunks obtainable now: reserve + free ring. */
/* thread: process */
uint32_t lp_pool_available(struct lp_pool *p);
/* One chunk (reserve first, then the ring), or SB_CHUNK_NONE. */
/* thread: process */
uint32_t lp_pool_take(struct lp_pool *p);
/* An unused chunk goes back into the reserve (or is released). */
/* thread: process */
void lp_pool_giveback(struct lp_pool *p, uint32_t idx);
/* Hand a chunk back to the server for good. */
/* thread: process */
void lp_pool_release(struct lp_pool *p, uint32_t idx);
/* Tell the server a chunk is complete (its header already written). */
/* thread: process */
void lp_pool_push_filled(struct lp_pool *p, uint32_t idx);

/* An empty layer (no chunks). */
/* thread: main, process */
void lp_layer_init(struct lp_layer *L);
/* Release every chunk of L and empty it. */
/* thread: process */
void lp_layer_release(struct lp_pool *p, struct lp_layer *L);
/* Give L n_chunks fresh chunks, linked, uncopied; 0 or -ENOMEM. */
/* thread: process */
int lp_layer_alloc(struct lp_pool *p, struct lp_layer *L, uint32_t n_chunks);
/* Write a chunk's header (flags SB_CHUNK_*) before it is pushed. */
/* thread: process */
void lp_chunk_seal(struct lp_pool *p, uint32_t idx, const struct lp_layer *L,
		   uint32_t seq, uint32_t flags, int column, int track);
/* Seal and push every chunk of L in order (FIRST ... LAST). */
/* thread: process */
void lp_layer_push_all(struct lp_pool *p, const struct lp_layer *L,
		       int column, int track);

/*
 * Appending a recording.  A full chunk is pushed only once declick
 * frames follow it, so the fade-out at the end of a recording never
 * touches a chunk the server may already have saved.
 */
struct lp_writer {
	uint32_t pend;		/* full chunk waiting for its push */
	uint32_t declick;	/* fade length at both ends (<= cf) */
	uint64_t in;		/* frames of real input so far (fade-in) */
	int column, track;
	int lost;		/* no chunk came: the rest is dropped */
};

/* Start recording into the empty layer L. */
/* thread: process */
void lp_write_begin(struct lp_writer *w, uint32_t declick, int column,
		    int track);
/*
 * Append n frames (l == NULL: silence) that start at engine frame
 * `frame`.  Returns the frames stored; fewer when no chunk was left.
 */
/* thread: process */
uint32_t lp_write(struct lp_pool *p, struct lp_layer *L, struct lp_writer *w,
		  const float *l, const float *r, uint32_t n, uint64_t frame);
/* Fade the end out, push what is left, the last chunk flagged LAST. */
/* thread: process */
void lp_write_finish(struct lp_pool *p, struct lp_layer *L,
		     struct lp_writer *w);

/* Place c at frame pos of L (walks the list from the head). */
/* thread: process */
void lp_seek(struct lp_pool *p, struct lp_layer *L, struct lp_cursor *c,
	     uint64_t pos, int copy);
/* The frame of the layer c is at. */
/* thread: process */
static inline uint64_t lp_cursor_pos(const struct lp_pool *p,
				     const struct lp_cursor *c)
{
	return (uint64_t)c->k * p->cf + c->off;
}

/* Make chunk c->chunk of L from its source if it is not yet copied. */
/* thread: process */
void lp_enter(struct lp_pool *p, struct lp_layer *L, struct lp_cursor *c);
/* Copy up to budget not-yet-copied chunks of L, walking bg forward. */
/* thread: process */
void lp_copy_some(struct lp_pool *p, struct lp_layer *L,
		  struct lp_cursor *bg, uint32_t budget);

/* Mix n frames of L at c into io, add io's input into L; advances c. */
/* thread: process */
void lp_play(struct lp_pool *p, struct lp_layer *L, struct lp_cursor *c,
	     uint32_t n, const struct lp_io *io);

#endif
