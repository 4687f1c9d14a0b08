/*
 * track_io.h - one track's audio as a WAV file over HTTP: uploads
 * (PUT /api/v1/looper/tracks/{c}/{t}.wav) become a new layer of the
 * track, downloads (GET, same path) serve the take file of the layer the
 * track plays.
 *
 * An upload is streamed by the HTTP thread into DATA/tmp/upload-<token>
 * and handed to the control thread as the internal command
 * looper.put_track {column, track, upload: token}; the worker thread
 * reads it (any format libsndfile reads; wavio.h judges the header
 * before anything is allocated), converts it to the engine rate and to
 * stereo, fills chunks with it, writes it as the layer's take file, and
 * the control thread sends SB_CMD_LOOPER_LOAD.  The temp file is gone
 * when the request is answered, and so is the take file of an upload
 * that failed.
 */
#ifndef SB_TRACK_IO_H
#define SB_TRACK_IO_H

#include <stddef.h>
#include <stdint.h>

#include "rt/common/proto.h"
#include "server/audio/wavio.h"
#include "server/cmd/cmd.h"

#define TRACK_IO_TOKEN_LEN 32	/* hex digits */
#define TRACK_IO_UPLOAD_MAX (256ull << 20)

/*
 * HTTP thread: create the temp file of a new upload, open for writing.
 * token gets TRACK_IO_TOKEN_LEN hex digits + NUL.  0 or -errno.
 */
/* thread: http */
int track_io_upload_open(char *token, size_t len, int *fd);

/*
 * Main thread, at start-up (no upload can be in flight yet): remove the
 * temp files of uploads a previous server left behind.  Returns how many.
 */
/* thread: main */
int track_io_init(void);

/* Any thread: remove an upload's temp file if it is still there. */
/* thread: any */
void track_io_upload_drop(const char *token);

/* Control thread: answer {column, track, state, frames, stream, take}. */
/* thread: control */
void track_io_info(struct cmd_req *req, int column, int track);

/* Control thread: load an upload into the track; answers when done. */
/* thread: control */
void track_io_put(struct cmd_req *req, int column, int track,
		  const char *token);

/*
 * One layer on its way from a file into a track; sessions load through
 * it too.  Steps, in order: tio_decode and tio_fill (worker: audio,
 * chunks, take file), tio_load_msg (control: hand the chunks to the
 * engine and build the LOAD), tio_loaded with the engine's ACK status,
 * then tio_free.
 */
struct tio_layer {
	int column, track;
	int32_t state;		/* SB_TRACK_PLAYING or SB_TRACK_MUTED */
	float volume;
	int32_t solo;
	uint64_t stream;	/* server-made: bit 63 set */
	uint64_t frames;	/* at the engine rate */
	struct wavio_audio au;	/* decoded; freed once in chunks and on disk */
	uint32_t head;		/* first taken chunk, SB_CHUNK_NONE none */
	uint64_t epoch;		/* chunks_epoch() of the take */
	uint64_t eng;		/* chunks_handoff token */
	int handed;		/* 1: handed off; 2: the engine answered */
	int take;		/* its take file is written */
	int loaded;		/* the engine took the layer */
	int unknown;		/* the engine never answered the LOAD */
};

/*
 * Worker: decode any audio file into l->au at `rate` (wavio_read, judged
 * by its header first against the chunk pool and the chunks free now).
 * 0, -EINVAL (bad file: 400), -EFBIG (longer than the pool: 413),
 * -ENOSPC (longer than what is free: 507), -ENOTCONN, -ENOMEM; message
 * in err.
 */
/* thread: worker */
int tio_decode(struct tio_layer *l, const char *path, uint32_t rate,
	       char *err, size_t errlen);

/* Worker: take chunks and fill them (wavio_to_chunks), then write the
 * take file of l->stream.  0, -ENOSPC or -errno + message; on an error
 * no chunk is held and no take file is left. */
/* thread: worker */
int tio_fill(struct tio_layer *l, uint32_t rate, char *err, size_t errlen);

/* Control thread: hand the chunks to the engine and build the LOAD.
 * 0 or -errno (then send nothing). */
/* thread: control */
int tio_load_msg(struct tio_layer *l, struct sb_msg *m);

/*
 * Control thread: the engine's answer to the LOAD (0 = it took them;
 * -ETIMEDOUT = none came: the chunks stay the engine's, for a restart to
 * reclaim, since a stalled engine may still take them).
 */
/* thread: control */
void tio_loaded(struct tio_layer *l, int status);

/*
 * Any thread: give back what the engine did not take, free the audio,
 * and remove the take file of a layer the engine refused or never got.
 */
/* thread: any */
void tio_free(struct tio_layer *l);

#endif
