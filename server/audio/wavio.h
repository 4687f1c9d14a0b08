/*
 * wavio.h - the one way an audio file becomes looper audio, and back:
 * decode anything libsndfile reads into stereo float at the engine rate
 * (wavio_read), fill a fresh chunk list with it (wavio_to_chunks), and
 * write float32 stereo WAVs (wavio_write).  Uploads, session loads and
 * the recovery of a take an engine crash cut short all go through here.
 *
 * A file is judged by its header before anything is allocated or
 * converted: its rate must lie in WAVIO_RATE_MIN..WAVIO_RATE_MAX, it must
 * hold at least one frame at the engine rate, and that many frames must
 * fit the chunk pool (else -EFBIG) and the chunks free now (else
 * -ENOSPC).  Decoding and rate conversion then go in pieces, so memory is
 * the converted audio plus a window of a few MB, whatever the file's own
 * rate.  Channels: mono goes to both sides, stereo as is, more than two
 * keep the first two.
 *
 * Files are written as <path>.tmp-<pid>-<n> and renamed into place, so
 * bad input or a crash never leaves a half-written file under the real
 * name.  Everything here does file I/O or big copies: worker threads
 * only, never the control thread or the process thread.  Errors: 0 or
 * -errno and a message in err.
 */
#ifndef SB_WAVIO_H
#define SB_WAVIO_H

#include <stddef.h>
#include <stdint.h>

#define WAVIO_RATE_MIN 8000
#define WAVIO_RATE_MAX 384000

/* Decoded audio: interleaved stereo floats. */
struct wavio_audio {
	float *lr;		/* 2 * frames floats, malloc'd */
	uint64_t frames;
	uint32_t rate;
	uint32_t src_rate;	/* the file's own rate */
	uint32_t src_channels;	/* the file's own channel count */
};

/* How long the converted audio may be, in frames (no struct: no limit). */
struct wavio_limits {
	uint64_t pool_frames;	/* the whole chunk pool: longer never fits
				 * (0: no such limit) */
	uint64_t free_frames;	/* the chunks a load can take now */
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
 * Decode the file at path into out at `rate`.  -EINVAL: "not a readable
 * audio file: ...", "sample rate N Hz is outside 8000..384000 Hz",
 * "audio file has no frames", "audio is shorter than one frame at R Hz",
 * "audio file is truncated"; -EFBIG: "audio too long: ..."; -ENOSPC:
 * "not enough free chunk memory: ..."; -ENOMEM.  lim may be NULL (no
 * limit).  On an error out is empty.  wavio_free releases out.
 */
/* thread: worker */
int wavio_read(const char *path, uint32_t rate, const struct wavio_limits *lim,
	       struct wavio_audio *out, char *err, size_t errlen);
/* thread: any */
void wavio_free(struct wavio_audio *a);

/* Write frames of interleaved stereo as a float32 WAV (tmp + rename). */
/* thread: worker */
int wavio_write(const char *path, const float *lr, uint64_t frames,
		uint32_t rate, char *err, size_t errlen);

/*
 * Take and fill a fresh chunk list with au: chunk k holds frames
 * [k * chunk_frames, ...), seq k, FIRST/LAST flags, the given stream
 * (0 = a new one), column/track -1, owner SB_OWN_SERVER until the caller
 * hands it over (chunks_handoff + SB_CMD_LOOPER_LOAD) or gives it back
 * (chunks_give_back_list).  -ENOSPC "not enough free chunk memory: needs
 * N chunks, M free", -ENOTCONN "no engine arena", -EINVAL (no frames).
 */
/* thread: worker */
int wavio_to_chunks(const struct wavio_audio *au, uint64_t stream,
		    struct chunk_list *out, char *err, size_t errlen);

/* A fresh server-made stream id (bit 63 set), unique across restarts. */
/* thread: any */
uint64_t wavio_new_stream(void);

#endif
