/*
 * takes.h - take files: every recorded stream streams into
 * DATA/takes/<stream as 16 hex digits>.wav (float32, stereo, engine
 * rate) as its chunks arrive, so a take is on disk within about one chunk
 * of being played and survives a crash of either process.
 *
 * The header is rewritten after every write (SFC_SET_UPDATE_HEADER_AUTO);
 * chunk seq k lands at frame k * chunk_frames, so a restarted server that
 * finds the rest of a take in chunk_filled appends it with no gap.  Only
 * the chunks module's writer thread writes ("thread: writer" below, see
 * chunks.h); any thread may ask about a take; the control thread hears
 * about finished ones.
 */
#ifndef SB_TAKES_H
#define SB_TAKES_H

#include <stddef.h>
#include <stdint.h>

#include "rt/common/arena.h"

#define TAKES_PATH_MAX 600

/* Once, at module init: remember DATA and create DATA/takes.  0 or -errno. */
/* thread: main */
int takes_init(const char *data_dir, char *err, size_t errlen);

/* After the writer stopped: close every open take file. */
/* thread: main */
void takes_fini(void);

/* DATA/takes/<16 hex>.wav, once takes_init ran. */
/* thread: any */
void takes_path(uint64_t stream, char *buf, size_t len);

struct take_info {
	char path[TAKES_PATH_MAX];
	uint64_t frames;	/* frames on disk */
	int complete;		/* its LAST chunk is written, file closed */
	int failed;		/* a write failed: the file misses audio */
};

/*
 * What is known about stream's take file: from memory when this server
 * wrote it, else from the file on disk (complete = 0 then: we cannot
 * tell).  0, or -ENOENT when there is no such take.
 */
/* thread: any */
int takes_info(uint64_t stream, struct take_info *ti);

/* 1 while the writer has stream's take file open (it is growing). */
/* thread: any */
int takes_busy(uint64_t stream);

/* DATA/takes, once takes_init ran. */
/* thread: any */
const char *takes_dir(void);

/*
 * Append one filled chunk (header h, interleaved samples of `channels`
 * channels) to its take file at frame h->seq * chunk_frames.  FIRST
 * starts the file afresh (a new inode, so a session hard-linked to an
 * older file of that name keeps its audio); LAST closes it and queues a
 * completion notice.  0 or -errno + message.  The writer thread only.
 */
/* thread: writer */
int takes_append(const struct sb_chunk *h, const float *samples,
		 uint32_t channels, uint32_t chunk_frames, uint32_t rate,
		 char *err, size_t errlen);

/*
 * An engine is gone for good; close the take files of engine-made
 * streams from other generations than `keep_gen` - they will never get
 * their LAST chunk.  Returns how many were closed.  The writer thread
 * only.
 */
/* thread: writer */
int takes_close_orphans(uint64_t keep_gen);

/* Called on the control thread when a take got its LAST chunk. */
typedef void (*takes_done_fn)(uint64_t stream, uint64_t frames, void *arg);

/* At module init: add a listener; up to 8.  0 or -ENOSPC. */
/* thread: main */
int takes_subscribe(takes_done_fn fn, void *arg);

/* Deliver queued notices: the chunks module's tick, and its fini. */
/* thread: control, main */
void takes_poll(void);

#endif
