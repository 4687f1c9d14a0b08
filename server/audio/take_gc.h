/*
 * take_gc.h - removing take files nothing can need any more, so that
 * weeks of recording do not fill the SD card.
 *
 * The rule.  DATA/takes/<id>.wav is deleted only when all of these hold:
 *   1. the take writer does not have it open (it is not growing), and it
 *      is not pinned (a take an engine crash cut short, until it is
 *      recovered into the autosave);
 *   2. the engine running now cannot hold it, as a track's layer or in
 *      its undo history:
 *      - an engine-made stream (bit 63 clear) carries its engine's
 *        generation in bits 32..62; one of another generation than the
 *        running engine's was made by an engine that is gone.  A new
 *        arena counts generations from 1 again, so one of the same
 *        generation goes when its file is older than the running
 *        engine's arena by more than an hour (the margin absorbs clock
 *        steps; a younger one waits for a later engine generation);
 *      - a server-made stream (uploads, session loads, recoveries: bit
 *        63 set) is deleted only when this server watched the running
 *        engine from its first layer on (it started empty) and never
 *        handed it that stream.  A server started next to an engine
 *        that already holds layers cannot know their streams: it keeps
 *        every server-made take until the next engine start.
 * Saved sessions (and the autosave .last) hold hard links or copies of
 * their takes (session.h), never the name in DATA/takes, so they keep
 * their audio whatever happens here.  Leftover temp files of another
 * server process (<id>.wav.tmp-<pid>-<n>) go too.
 *
 * A collection runs on the quick worker lane (after the session jobs
 * queued before it), only while an engine is connected and the chunks
 * module reconciled it.  The looper starts one at server start-up and
 * the session store after every save.
 */
#ifndef SB_TAKE_GC_H
#define SB_TAKE_GC_H

#include <stdint.h>

/*
 * A new engine generation is connected, in an arena created at arena_ns
 * (CLOCK_REALTIME, the header's created_ns); fresh: it holds no layer
 * yet, so every server-made stream it will hold passes take_gc_hold
 * first.
 */
/* thread: control */
void take_gc_engine(uint64_t generation, uint64_t arena_ns, int fresh);

/*
 * A server-made stream about to be written for the running engine:
 * never collected while that engine runs.  Call it before the take file
 * is written.
 */
/* thread: any */
void take_gc_hold(uint64_t stream);

/* Keep a stream whatever the rule says, until take_gc_unpin. */
/* thread: control */
void take_gc_pin(uint64_t stream);
/* thread: control */
void take_gc_unpin(uint64_t stream);

/*
 * Queue a collection: 0, -EAGAIN (no engine connected and reconciled,
 * or one is already queued: nothing to do now) or -errno.  The count
 * removed is logged.
 */
/* thread: control */
int take_gc_start(void);

/* For tests and logs: take files removed since start-up. */
/* thread: control */
uint64_t take_gc_removed(void);

#endif
