/*
 * chunks.h - the server's side of the arena's chunk memory, and the take
 * writer.
 *
 * The "chunks" server module owns one writer thread (never the control
 * thread: it does file I/O).  That thread is the single consumer of
 * chunk_filled and chunk_release and the single producer of chunk_free.
 * Every ~5 ms it:
 *   1. snapshots how many releases wait, then drains chunk_filled into the
 *      take files (takes.h) - so a chunk is saved before it is recycled;
 *   2. takes that many releases: SB_OWN_RELEASED -> SB_OWN_SERVER, free;
 *   3. tops chunk_free up from the free list (SB_OWN_FREE_RING first).
 * It keeps draining chunk_filled while no engine beats (a dead engine's
 * take still reaches the disk), and reconciles the owner map when a new
 * engine connects (SPEC-LOOPER.md "Engine restart" / "Server restart").
 *
 * Free chunks live in two places: chunk_free (for the engine to record
 * into) and the server's free list (for filling from files: uploads,
 * session loads).  A chunk pushed into chunk_free cannot come back until
 * the engine takes and releases it, so the ring is stocked only up to
 * half the pool (CHUNKS_RING_SHARE); the rest stays here for loads.  The
 * ring is refilled every pass, so recording can still use every free
 * chunk.
 *
 * Typical load (a worker thread, then the control thread):
 *     const struct sb_arena *a = chunks_hold();      // pins the mapping
 *     chunks_take(n, idx, &epoch); fill + link them; chunks_unhold();
 *     ... control thread:
 *     chunks_handoff(head, epoch, &eng);  // -> SB_OWN_ENGINE
 *     send SB_CMD_LOOPER_LOAD; on a non-zero ACK or no answer:
 *     chunks_load_failed(head, epoch, eng);
 * wavio_to_chunks() does the first half.  Take files and their
 * completion notices: takes.h (takes_info, takes_subscribe).
 */
#ifndef SB_CHUNKS_H
#define SB_CHUNKS_H

#include <stdint.h>

#include "rt/common/arena.h"
#include "server/core/ctl.h"

#define CHUNKS_RING_SHARE 2	/* chunk_free holds up to n_chunks / this */

extern const struct srv_module chunks_module;

/*
 * Pin the arena mapping for reading or writing chunk memory from any
 * thread: returns it (NULL when none is mapped) and keeps it mapped until
 * chunks_unhold().  Always pair the two, even on NULL.  Hold it briefly
 * (a remap waits for it on the control thread): copy, do not do file I/O.
 */
/* thread: any */
const struct sb_arena *chunks_hold(void);
/* thread: any */
void chunks_unhold(void);

/* Chunk idx of a held arena (NULL when idx is out of range). */
/* thread: any */
struct sb_chunk *chunks_at(const struct sb_arena *a, uint32_t idx);

/*
 * Identity of the current mapping; bumped whenever the arena changes.
 * Chunk indices taken under one epoch mean nothing under another.
 */
/* thread: any */
uint64_t chunks_epoch(void);

/*
 * 1 once the writer has reconciled the owner map with the engine that is
 * connected now.  After an engine (re)start, restore the session only
 * when this is 1: before it, free chunks are not all back yet.
 */
/* thread: any */
int chunks_ready(void);

/* Frames per chunk and chunks in the pool (0 when unmapped). */
/* thread: any */
uint32_t chunks_frames(void);
/* thread: any */
uint32_t chunks_count(void);

/* Free chunks: the free list plus those waiting in chunk_free. */
/* thread: any */
uint32_t chunks_free_count(void);

/*
 * Free chunks a load can take now (chunks_take): the free list only;
 * those in chunk_free are the engine's to record into.
 */
/* thread: any */
uint32_t chunks_takeable(void);

/*
 * Take n free chunks from the free list (all or none) into idx[]: they
 * stay SB_OWN_SERVER and out of chunk_free until given back or handed to
 * the engine.  *epoch gets chunks_epoch().  0, -ENOMEM (fewer than n
 * free) or -ENOTCONN (no arena).  The caller writes their headers and
 * samples (hold the arena for that).
 */
/* thread: any */
int chunks_take(uint32_t n, uint32_t *idx, uint64_t *epoch);

/* Return taken chunks (ignored when the epoch is stale). */
/* thread: any */
void chunks_give_back(const uint32_t *idx, uint32_t n, uint64_t epoch);

/* Return a taken list linked through sb_chunk.next. */
/* thread: any */
void chunks_give_back_list(uint32_t head, uint64_t epoch);

/*
 * Mark a taken list SB_OWN_ENGINE just before SB_CMD_LOOPER_LOAD.  *eng
 * gets a token for chunks_load_failed.  0, -ESTALE (the arena changed
 * since the take: give nothing back, the chunks are gone) or -EAGAIN
 * (chunks_ready() is 0: try later).
 */
/* thread: any */
int chunks_handoff(uint32_t head, uint64_t epoch, uint64_t *eng);

/*
 * The engine refused the LOAD or never answered: mark the list
 * SB_OWN_SERVER and free it.  Does nothing when an engine restart was
 * reconciled since the handoff (that already took them back).
 */
/* thread: any */
void chunks_load_failed(uint32_t head, uint64_t epoch, uint64_t eng);

#endif
