/*
 * scrub.h - no absolute file system path leaves the box.
 *
 * Answers, errors and events come from every domain, and some of them name
 * files (a take, a session, a write that failed).  The front ends pass
 * each text through scrub_text() before a client sees it: the data
 * directory (as configured and as resolved) becomes a path relative to it
 * ("takes/12ab.wav"), the directory itself ".", and the static directory
 * likewise.  Paths holding characters JSON escapes ('"', '\') are not
 * recognised; a data directory is not named like that.
 */
#ifndef SB_SCRUB_H
#define SB_SCRUB_H

#include <stddef.h>

/* The directories to hide (either may be NULL). */
/* thread: main */
void scrub_init(const char *data_dir, const char *static_dir);

/*
 * 0 when text (len bytes) names none of them; 1 with a malloc'd copy in
 * *out (*out_len bytes, NUL-terminated) when it did; -ENOMEM.
 */
/* thread: any */
int scrub_text(const char *text, size_t len, char **out, size_t *out_len);

#endif
