/*
 * worker.h - the server's worker threads: slow work (files, compiling,
 * decoding) off the control thread.
 *
 * A job is a pair: work(arg) runs on a worker thread, then done(arg) runs
 * on the control thread when it calls worker_run_done().  There are two
 * lanes, each one thread running its jobs one at a time in submission
 * order:
 *   WORKER_SLOW   long jobs: WAV imports, patch compiles (the DSP heap
 *                 has one user at a time: every patch job stays here)
 *   WORKER_QUICK  session list, save, load, autosave, take clean-up:
 *                 never waits behind an import or a compile
 * Jobs of different lanes run at the same time, so two lanes never
 * share state without their own lock.  The workers never touch control
 * state; everything a job needs travels in arg.
 */
#ifndef SB_WORKER_H
#define SB_WORKER_H

enum worker_lane {
	WORKER_SLOW = 0,
	WORKER_QUICK = 1,
	WORKER_LANES
};

/*
 * Start the threads; wake() is called (on a worker thread) whenever a
 * finished job waits for worker_run_done().  0 or -errno.
 */
/* thread: main */
int worker_start(void (*wake)(void));

/* Queue a job on a lane.  0 or -EINVAL / -ENOMEM / -ESHUTDOWN. */
/* thread: control */
int worker_defer_lane(enum worker_lane lane, void (*work)(void *arg),
		      void (*done)(void *arg), void *arg);

/* worker_defer_lane(WORKER_SLOW, ...). */
/* thread: control */
int worker_defer(void (*work)(void *arg), void (*done)(void *arg), void *arg);

/* Run the done hooks of finished jobs (of both lanes, in finishing order). */
/* thread: control */
void worker_run_done(void);

/* Finish queued work, join the threads, run the last done hooks. */
/* thread: main */
void worker_stop(void);

#endif
