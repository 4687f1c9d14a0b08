/*
 * worker.h - the server's worker thread: slow work (files, compiling,
 * decoding) off the control thread.
 *
 * A job is a pair: work(arg) runs on the worker thread, then done(arg)
 * runs on the control thread when it calls worker_run_done().  Jobs run
 * one at a time in submission order.  The worker never touches control
 * state; everything it needs travels in arg.
 */
#ifndef SB_WORKER_H
#define SB_WORKER_H

/*
 * Start the thread; wake() is called (on the worker thread) whenever a
 * finished job waits for worker_run_done().  0 or -errno.
 */
/* thread: main */
int worker_start(void (*wake)(void));

/* Queue a job.  0 or -ENOMEM / -ESHUTDOWN. */
/* thread: control */
int worker_defer(void (*work)(void *arg), void (*done)(void *arg), void *arg);

/* Run the done hooks of finished jobs. */
/* thread: control */
void worker_run_done(void);

/* Finish queued work, join the thread, run the last done hooks. */
/* thread: main */
void worker_stop(void);

#endif
