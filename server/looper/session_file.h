/*
 * session_file.h - the on-disk form of a session (worker thread only).
 *
 * DATA/sessions/<name>/session.json:
 *   {"version":1, "rate":48000, "bpm":120, "beats_per_bar":4,
 *    "quantize":"bar", "monitor":true, "click":{"enabled":false,
 *    "volume":0.5}, "columns":[{"index":0, "beats":8, "tracks":[
 *      {"index":0, "state":"playing", "volume":1, "solo":false,
 *       "file":"track-0-0.wav", "frames":192000, "unsaved":false}]}]}
 * Only non-empty tracks are listed.  The WAVs are float stereo at "rate".
 */
#ifndef SB_SESSION_FILE_H
#define SB_SESSION_FILE_H

#include <jansson.h>
#include <stddef.h>

#include "server/looper/session.h"
#include "server/looper/track_io.h"

/*
 * Write s as dir/<name>/: links (or copies) each track's take file,
 * waiting a little for takes still being written, then swaps the new
 * directory into place.  0 or -errno + message.
 */
int sfile_save(const char *dir, const char *name, const struct sess_state *s,
	       char *err, size_t errlen);

/* [{"name","saved":unix seconds,"tracks":N}] sorted by name (new ref). */
json_t *sfile_list(const char *dir);

/*
 * Read dir/<name>/ into s and decode every track into layers[0..*n) (their
 * stream ids are kept as given).  -ENOENT when there is no such session,
 * -EINVAL on a bad file; message in err.
 */
int sfile_load(const char *dir, const char *name, uint32_t rate,
	       struct sess_state *s, struct tio_layer *layers, int *n,
	       char *err, size_t errlen);

#endif
