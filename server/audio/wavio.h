/*
 * wavio.h - audio files in and out of the looper: decode anything
 * libsndfile reads into stereo float at the engine rate, write float32
 * stereo WAVs (from memory or from a chunk list), and fill a fresh chunk
 * list from a file for SB_CMD_LOOPER_LOAD.
 *
 * Channels: mono goes to both sides, stereo as is, more than two keep the
 * first two.  Another rate is converted with resample.h.  Files are
 * written as <path>.tmp-<pid>-<n> and renamed into place, so bad input
 * or a crash never leaves a half-written file.  Everything here does
 * file I/O or big copies: worker threads only, never the control thread
 * or the process thread.  Errors: 0 or -errno and a message in err.
 */
#ifndef SB_WAVIO_H
#define SB_WAVIO_H

#include <stddef.h>
#include <stdint.h>

/* Decoded audio: interleaved stereo floats. */
struct wavio_audio {
	float *lr;		/* 2 * frames floats, malloc'd */
	uint64_t frames;
	uint32_t rate;
	uint32_t src_rate;	/* the file's own rate */
	uint32_t src_channels;	/* the file's own channel count */
};

/* A chunk list made from a file (not yet the engine's). */
struct chunk_list {
	uint32_t head;		/* first chunk; linked by sb_chunk.next */
	uint32_t count;		/* chunks in the list */
	uint64_t frames;	/* valid frames over the whole list */
	uint64_t stream;	/* bit 63 set: made by the server */
	uint64_t epoch;		/* chunks_epoch() when taken */
};

/*
 * Decode a file (wavio_read) or bytes in memory (wavio_read_mem, e.g. an
 * upload body) into out at `rate`.  max_frames (after conversion, 0 = no
 * limit) refuses longer audio before decoding it.  Errors:
 * "not a readable audio file: <libsndfile message>", "audio file has no
 * frames", "audio too long: N frames at R Hz, at most M".  wavio_free
 * releases out.
 */
/* thread: worker */
int wavio_read(const char *path, uint32_t rate, uint64_t max_frames,
	       struct wavio_audio *out, char *err, size_t errlen);
/* thread: worker */
int wavio_read_mem(const void *data, size_t len, uint32_t rate,
		   uint64_t max_frames, struct wavio_audio *out, char *err,
		   size_t errlen);
/* thread: any */
void wavio_free(struct wavio_audio *a);

/* Write frames of interleaved stereo as a float32 WAV (tmp + rename). */
/* thread: worker */
int wavio_write(const char *path, const float *lr, uint64_t frames,
		uint32_t rate, char *err, size_t errlen);

/*
 * Write `frames` frames of the chunk list starting at head as a float32
 * stereo WAV (silence where the list is shorter).  The chunks are copied
 * while the arena is held, then written without holding it.
 */
/* thread: worker */
int wavio_write_chunks(const char *path, uint32_t head, uint64_t frames,
		       uint32_t rate, char *err, size_t errlen);

/*
 * Fill a freshly taken chunk list with au: chunk k holds frames
 * [k * chunk_frames, ...), seq k, FIRST/LAST flags, the given stream
 * (0 = a new one with bit 63 set), column/track -1, owner SB_OWN_SERVER
 * until the caller hands it over (chunks_handoff + SB_CMD_LOOPER_LOAD)
 * or gives it back (chunks_give_back_list).  -ENOMEM "out of chunk
 * memory: needs N chunks, M free", -ENOTCONN "no engine arena".
 */
/* thread: worker */
int wavio_to_chunks(const struct wavio_audio *au, uint64_t stream,
		    struct chunk_list *out, char *err, size_t errlen);

/*
 * wavio_read + (when take_path is not NULL) wavio_write of the converted
 * audio to take_path + wavio_to_chunks: an upload or a session track
 * becomes a chunk list and, optionally, its own take file.
 */
/* thread: worker */
int wavio_load_chunks(const char *path, uint32_t rate, uint64_t stream,
		      const char *take_path, struct chunk_list *out,
		      char *err, size_t errlen);

/* A fresh server-made stream id (bit 63 set), unique across restarts. */
/* thread: any */
uint64_t wavio_new_stream(void);

#endif
