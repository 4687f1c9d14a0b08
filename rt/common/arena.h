/*
 * arena.h - the one place that knows the shared-memory layout.
 *
 * One POSIX shared-memory object per instance ("/stagebox-<instance>",
 * i.e. /dev/shm/stagebox-<instance>) holds everything the engine and the
 * server share.  Every reference inside it is a byte offset from the
 * arena base, never a pointer, so each process may map it anywhere.
 *
 *   +-------------------------+ 0
 *   | struct sb_arena_hdr     |  magic, ABI, geometry, offsets, pids,
 *   |                         |  heartbeats, generation
 *   +-------------------------+ off_status
 *   | struct sb_status_block  |  seqlock; engine writes every cycle
 *   +-------------------------+ off_timing
 *   | struct sb_timing        |  callback cost histogram (1 us buckets)
 *   +-------------------------+ off_looper
 *   | struct sb_looper_block  |  seqlock; looper snapshot every cycle
 *   +-------------------------+ off_chunk_owner
 *   | n_chunks bytes          |  enum sb_chunk_owner per chunk
 *   +-------------------------+ off_cmd / off_evt
 *   | ring + data             |  struct sb_msg, server->engine / back
 *   +-------------------------+ off_chunk_free / _filled / _release
 *   | ring + data (uint32_t)  |  chunk indices: free list stocked by the
 *   |                         |  server; filled chunks for the server to
 *   |                         |  save; chunks the engine no longer needs
 *   +-------------------------+ off_tap
 *   | ring + data (float)     |  mono audio tap (transcription)
 *   +-------------------------+ off_chunks
 *   | n_chunks x chunk        |  struct sb_chunk + frames*channels floats
 *   +-------------------------+ off_plans
 *   | plan_slots x slot bytes |  compiled patch plans (server writes one
 *   |                         |  slot, engine switches to it)
 *   +-------------------------+ off_heap
 *   | heap_bytes              |  DSP state heap (server allocates blocks,
 *   |                         |  engine uses them; offsets only)
 *   +-------------------------+ total_size
 *
 * Every region starts on a 64-byte boundary.
 */
#ifndef SB_ARENA_H
#define SB_ARENA_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/common/proto.h"
#include "rt/common/ring.h"

#define SB_ARENA_MAGIC 0x58425342u	/* "SBSX" little-endian */
#define SB_ABI_VERSION 6u
#define SB_MAX_INPUTS 16
#define SB_INSTANCE_MAX 32
#define SB_TIMING_BUCKETS 4096		/* 1 us each; last = overflow */
#define SB_MAX_COLUMNS 8
#define SB_MAX_TRACKS 8			/* per column */
#define SB_CHUNK_NONE 0xffffffffu	/* end of a chunk list */

/* Sizes chosen from the config; identical on both sides of an arena. */
struct sb_arena_geom {
	uint32_t n_inputs;
	uint32_t cmd_slots;		/* power of two */
	uint32_t evt_slots;		/* power of two */
	uint32_t chunk_frames;		/* frames per audio chunk */
	uint32_t chunk_channels;	/* interleaved channels per chunk */
	uint32_t n_chunks;		/* chunk rings get the next pow2 */
	uint32_t tap_frames;		/* power of two */
	uint32_t plan_slots;
	uint64_t plan_slot_bytes;
	uint64_t heap_bytes;
	uint32_t n_columns;		/* looper columns, 1..SB_MAX_COLUMNS */
	uint32_t n_tracks;		/* tracks per column, 1..SB_MAX_TRACKS */
};

/*
 * Published every cycle by the engine.  Read through sb_status_read(),
 * which retries until it sees a consistent copy, for a bounded time.
 */
struct sb_status {
	uint64_t frames;	/* frames processed since this engine started */
	uint64_t jack_frame;	/* JACK frame time at the last cycle start */
	uint64_t cycles;
	uint64_t missed_frames;	/* total missed (xrun) frames */
	uint64_t generation;	/* engine start count on this arena */
	uint32_t sample_rate;
	uint32_t period;	/* frames per cycle (last cycle) */
	uint32_t n_inputs;
	uint32_t xruns;		/* cycles that began after missed time */
	uint32_t evt_dropped;	/* events lost because the event ring was full */
	uint32_t cmd_count;	/* commands consumed */
	float dsp_load;		/* last callback cost / period duration */
	float dsp_load_peak;	/* decaying peak of dsp_load */
	float peak[SB_MAX_INPUTS];	/* decaying peak |x| of each input */
	float out_peak[2];	/* decaying peak of out_L, out_R (the mix) */
	int32_t patch_slot;	/* plan slot running, -1 none */
	uint32_t pad;
	uint64_t patch_serial;	/* serial of that plan, 0 none */
	/* meters: bit i while peak[i] / out_peak[i] saw a non-finite sample
	 * or full scale within the last SB_METER_OVER_HOLD_S */
	uint32_t peak_over;
	uint32_t out_peak_over;
	/* the output safety stage (rt/core/safety.c) */
	uint64_t out_nonfinite;	/* NaN/inf samples replaced by silence */
	uint64_t out_limited;	/* blocks where the limiter had to act */
	float out_volume_db;	/* master volume as commanded */
	float out_ceiling_db;	/* no output sample exceeds this */
	float out_gr_db;	/* limiter gain reduction, last block, >= 0 */
	uint32_t out_flags;	/* SB_OUT_OVER | SB_OUT_MUTED */
};

/* sb_status.out_flags */
#define SB_OUT_OVER 0x1u	/* NaN/inf or an over within about 1 s */
#define SB_OUT_MUTED 0x2u

#define SB_STATUS_WORDS ((sizeof(struct sb_status) + 7) / 8)

struct sb_status_block {
	_Atomic uint32_t seq;	/* odd while the engine is writing */
	uint32_t pad;
	_Atomic uint64_t words[SB_STATUS_WORDS];
};

/* Looper snapshot: published by the looper every cycle (seqlock). */
struct sb_track_status {
	int32_t state;		/* enum sb_track_state */
	int32_t next_state;	/* pending at the next boundary, -1 none */
	int32_t solo;
	int32_t next_solo;	/* pending solo flag, -1 none */
	float volume;
	int32_t layer;		/* current layer index (0 = oldest kept) */
	int32_t layers;		/* layers kept */
	int32_t pending_action;	/* enum sb_looper_action waiting, 0 none */
	uint64_t frames;	/* length of the current layer */
	uint64_t position;	/* play/record position in frames */
	uint64_t stream;	/* current layer's stream id, 0 none */
};

struct sb_looper_status {
	int32_t running;
	int32_t beats_per_bar;
	double bpm;
	int64_t beat;		/* current beat index, -1 before start */
	int64_t bar;
	uint64_t pos;		/* transport frame */
	int32_t quantize;	/* enum sb_quantize */
	int32_t monitor;
	int32_t click_enabled;
	float click_volume;
	uint32_t n_columns, n_tracks;
	uint32_t free_chunks;	/* chunks waiting in the free ring */
	uint32_t pad;
	int32_t column_beats[SB_MAX_COLUMNS];
	struct sb_track_status track[SB_MAX_COLUMNS * SB_MAX_TRACKS];
};

#define SB_LOOPER_WORDS ((sizeof(struct sb_looper_status) + 7) / 8)

struct sb_looper_block {
	_Atomic uint32_t seq;
	uint32_t pad;
	_Atomic uint64_t words[SB_LOOPER_WORDS];
};

/* Callback cost histogram; single writer (the process thread). */
struct sb_timing {
	_Atomic uint64_t count;
	_Atomic uint64_t max_ns;
	_Atomic uint64_t sum_ns;
	_Atomic uint32_t bucket[SB_TIMING_BUCKETS];
};

/*
 * Header of one audio chunk; float samples follow, interleaved.  Only the
 * chunk's current owner (see chunk_owner) writes it.
 */
struct sb_chunk {
	uint32_t index;		/* own index, for sanity checks */
	uint32_t next;		/* next chunk of the same layer, SB_CHUNK_NONE */
	uint64_t stream;	/* recording it belongs to; names the take file */
	uint32_t seq;		/* position of this chunk within its stream */
	uint32_t frames;	/* valid frames (<= chunk_frames) */
	uint64_t start_frame;	/* engine frame of the first sample */
	uint32_t flags;		/* SB_CHUNK_FIRST | SB_CHUNK_LAST */
	uint32_t channels;
	int16_t column, track;	/* looper track that recorded it, -1 none */
	uint8_t pad[20];
};

#define SB_CHUNK_FIRST 0x1u	/* first chunk of its stream */
#define SB_CHUNK_LAST 0x2u	/* last chunk: the stream is complete */

/*
 * Who owns each chunk; one byte per chunk at off_chunk_owner.  Written
 * only by the current owner when it hands the chunk on, so it survives
 * the death of either process and tells the survivor what to reclaim.
 */
enum sb_chunk_owner {
	SB_OWN_SERVER = 0,	/* server: free, or being filled from a file */
	SB_OWN_FREE_RING = 1,	/* pushed into chunk_free, not yet taken */
	SB_OWN_ENGINE = 2,	/* taken by the engine (recording / playing) */
	SB_OWN_RELEASED = 3,	/* pushed into chunk_release by the engine */
};

_Static_assert(sizeof(struct sb_chunk) == 64, "chunk header is one line");

struct sb_arena_hdr {
	uint32_t magic;
	uint32_t abi_version;
	uint64_t total_size;
	uint64_t created_ns;	/* CLOCK_REALTIME at creation: identity */
	struct sb_arena_geom geom;
	uint64_t chunk_bytes;	/* stride of one chunk incl. header */
	uint32_t chunk_ring_slots;
	uint32_t pad0;
	uint64_t off_status, off_timing, off_cmd, off_evt;
	uint64_t off_chunk_free, off_chunk_filled, off_chunk_release;
	uint64_t off_tap, off_chunks, off_plans, off_heap;
	uint64_t off_looper, off_chunk_owner;
	_Atomic int32_t engine_pid;	/* 0 when no engine owns it */
	_Atomic int32_t server_pid;	/* 0 when no server is attached */
	_Atomic uint64_t engine_heartbeat_ns;	/* CLOCK_MONOTONIC, each cycle */
	_Atomic uint64_t server_heartbeat_ns;	/* CLOCK_MONOTONIC, server tick */
	_Atomic uint64_t engine_generation;	/* bumped per engine start */
};

struct sb_arena {
	uint8_t *base;
	size_t size;
	struct sb_arena_hdr *hdr;
	char shm_name[SB_INSTANCE_MAX + 16];
};

/* Defaults used when the config says nothing. */
/* thread: any */
void sb_arena_geom_default(struct sb_arena_geom *g);

/* 0 if the instance name is usable in a shm name ([A-Za-z0-9_-]{1,32}). */
/* thread: any */
int sb_instance_valid(const char *instance);

/*
 * Fill hdr's geometry, offsets and total size for g.  Returns 0 or
 * -EINVAL with a message naming the bad size.
 */
/* thread: any */
int sb_arena_layout(const struct sb_arena_geom *g, struct sb_arena_hdr *hdr,
		    char *err, size_t errlen);

/*
 * Engine start-up, before jack_activate.  Reuses an existing arena of
 * this instance when its ABI and geometry match and its engine is dead,
 * so recorded chunks survive an engine crash; creates a fresh one
 * otherwise.  Refuses (-EEXIST) when a live engine owns it and (-EPROTO)
 * when the arena speaks another ABI version.  *reused says which happened.
 * Claims the arena: engine_pid = getpid(), engine_generation++.
 */
/* thread: main */
int sb_arena_open_engine(struct sb_arena *a, const char *instance,
			 const struct sb_arena_geom *g, int *reused,
			 char *err, size_t errlen);

/*
 * Server: map an existing arena.  -ENOENT when there is none yet,
 * -EPROTO on a foreign ABI or a bad header.
 */
/* thread: control */
int sb_arena_attach(struct sb_arena *a, const char *instance,
		    char *err, size_t errlen);

/* Unmap.  Safe on a zeroed or already-detached arena. */
/* thread: main, control */
void sb_arena_detach(struct sb_arena *a);

/* Remove /dev/shm/stagebox-<instance>.  0 or -errno. */
/* thread: main, control */
int sb_arena_unlink(const char *instance);

/*
 * 1 when the object now behind the instance's name is a different arena
 * than the one mapped (the engine recreated it), 0 when the same, a
 * negative errno when it cannot be opened.
 */
/* thread: control */
int sb_arena_replaced(const struct sb_arena *a, const char *instance);

/* Resolve a header offset to an address. */
/* thread: any */
static inline void *sb_arena_at(const struct sb_arena *a, uint64_t off)
{
	return a->base + off;
}

/* The ring whose header is at offset off. */
/* thread: any */
static inline struct sb_ring *sb_arena_ring(const struct sb_arena *a,
					    uint64_t off)
{
	return (struct sb_ring *)(a->base + off);
}

/* Plan slot k (k < geom.plan_slots). */
/* thread: any */
static inline uint8_t *sb_arena_plan_slot(const struct sb_arena *a,
					  uint32_t k)
{
	return a->base + a->hdr->off_plans +
	       (uint64_t)k * ((a->hdr->geom.plan_slot_bytes + 63u) & ~63ull);
}

/* The DSP heap. */
/* thread: any */
static inline uint8_t *sb_arena_heap(const struct sb_arena *a)
{
	return a->base + a->hdr->off_heap;
}

/* Chunk idx's header; its samples follow it. */
/* thread: any */
static inline struct sb_chunk *sb_arena_chunk(const struct sb_arena *a,
					      uint32_t idx)
{
	return (struct sb_chunk *)(a->base + a->hdr->off_chunks +
				   (uint64_t)idx * a->hdr->chunk_bytes);
}

/* The interleaved samples after a chunk's header. */
/* thread: any */
static inline float *sb_chunk_samples(struct sb_chunk *c)
{
	return (float *)(c + 1);
}

/*
 * Seqlock over an array of atomic words: one writer (RT-safe, never
 * blocks), any number of readers that retry until the copy is whole.
 * seq is the block's counter, words its payload of `bytes` bytes.  The
 * writer is the engine (the snapshots below).
 */
/* thread: main, process */
void sb_seq_publish(_Atomic uint32_t *seq, _Atomic uint64_t *words,
		    const void *src, size_t bytes);
/*
 * Never blocks and never spins for long: 0 with a whole copy, or -EAGAIN
 * when the writer stayed inside for a few hundred microseconds (stopped,
 * or killed mid-write).  Then dst holds the last try, each word from one
 * of the writer's last two publications: a caller that needs one
 * consistent snapshot keeps its previous one and treats the block as
 * stale.
 */
/* thread: any */
int sb_seq_read(_Atomic uint32_t *seq, _Atomic uint64_t *words, void *dst,
		size_t bytes);

/* The single status writer: the engine (its main thread only before
 * activation). */
/* thread: main, process */
void sb_status_publish(const struct sb_arena *a, const struct sb_status *s);

/* 0 or -EAGAIN (stale: see sb_seq_read); never blocks. */
/* thread: any */
int sb_status_read(const struct sb_arena *a, struct sb_status *s);

/* The single looper-snapshot writer: the engine, like the status. */
/* thread: main, process */
void sb_looper_publish(const struct sb_arena *a,
		       const struct sb_looper_status *s);

/* 0 or -EAGAIN (stale: see sb_seq_read); never blocks. */
/* thread: any */
int sb_looper_read(const struct sb_arena *a, struct sb_looper_status *s);

/* The chunk owner map; only a chunk's owner stores. */
/* thread: any */
static inline _Atomic uint8_t *sb_arena_chunk_owner(const struct sb_arena *a)
{
	return (_Atomic uint8_t *)(a->base + a->hdr->off_chunk_owner);
}

/* CLOCK_MONOTONIC in ns (vDSO, no I/O, no lock). */
/* thread: any */
uint64_t sb_now_ns(void);

#endif
