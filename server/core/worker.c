/*
 * worker.c - one thread per lane and the queues (see worker.h): a job FIFO
 * per lane, and one FIFO of finished jobs whose done hook the control
 * thread runs.  All under one mutex: it is held only to link and unlink.
 */
#include "server/core/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/queue.h>

struct job {
	STAILQ_ENTRY(job) link;
	void (*work)(void *arg);
	void (*done)(void *arg);
	void *arg;
};

STAILQ_HEAD(job_list, job);

struct lane {
	pthread_cond_t cond;
	struct job_list todo;	/* for this lane's thread */
	pthread_t thread;
	int running;
};

static struct {
	pthread_mutex_t lock;
	struct lane lane[WORKER_LANES];
	struct job_list done;	/* for the control thread */
	int stop;
	void (*wake)(void);
} W = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.done = STAILQ_HEAD_INITIALIZER(W.done),
};

static void *lane_main(void *arg)
{
	struct lane *l = arg;
	struct job *j;

	pthread_mutex_lock(&W.lock);
	for (;;) {
		while (STAILQ_EMPTY(&l->todo) && !W.stop)
			pthread_cond_wait(&l->cond, &W.lock);
		j = STAILQ_FIRST(&l->todo);
		if (!j)
			break;	/* stopping, and nothing is left */
		STAILQ_REMOVE_HEAD(&l->todo, link);
		pthread_mutex_unlock(&W.lock);
		if (j->work)
			j->work(j->arg);
		pthread_mutex_lock(&W.lock);
		STAILQ_INSERT_TAIL(&W.done, j, link);
		W.wake();
	}
	pthread_mutex_unlock(&W.lock);
	return NULL;
}

static void stop_lanes(void)
{
	pthread_mutex_lock(&W.lock);
	W.stop = 1;
	for (int i = 0; i < WORKER_LANES; i++)
		pthread_cond_signal(&W.lane[i].cond);
	pthread_mutex_unlock(&W.lock);
	for (int i = 0; i < WORKER_LANES; i++) {
		if (W.lane[i].running)
			pthread_join(W.lane[i].thread, NULL);
		W.lane[i].running = 0;
	}
}

int worker_start(void (*wake)(void))
{
	int rc = 0;

	W.wake = wake;
	W.stop = 0;
	for (int i = 0; i < WORKER_LANES && !rc; i++) {
		struct lane *l = &W.lane[i];

		STAILQ_INIT(&l->todo);
		pthread_cond_init(&l->cond, NULL);
		rc = pthread_create(&l->thread, NULL, lane_main, l);
		l->running = !rc;
	}
	if (rc)
		stop_lanes();
	return -rc;
}

int worker_defer_lane(enum worker_lane lane, void (*work)(void *arg),
		      void (*done)(void *arg), void *arg)
{
	struct job *j;
	struct lane *l;

	if ((unsigned)lane >= WORKER_LANES)
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	*j = (struct job){ .work = work, .done = done, .arg = arg };
	l = &W.lane[lane];
	pthread_mutex_lock(&W.lock);
	if (W.stop || !l->running) {
		pthread_mutex_unlock(&W.lock);
		free(j);
		return -ESHUTDOWN;
	}
	STAILQ_INSERT_TAIL(&l->todo, j, link);
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&W.lock);
	return 0;
}

int worker_defer(void (*work)(void *arg), void (*done)(void *arg), void *arg)
{
	return worker_defer_lane(WORKER_SLOW, work, done, arg);
}

void worker_run_done(void)
{
	struct job_list list = STAILQ_HEAD_INITIALIZER(list);
	struct job *j;

	pthread_mutex_lock(&W.lock);
	STAILQ_CONCAT(&list, &W.done);
	pthread_mutex_unlock(&W.lock);
	while ((j = STAILQ_FIRST(&list))) {
		STAILQ_REMOVE_HEAD(&list, link);
		if (j->done)
			j->done(j->arg);
		free(j);
	}
}

void worker_stop(void)
{
	int any = 0;

	for (int i = 0; i < WORKER_LANES; i++)
		any |= W.lane[i].running;
	if (!any)
		return;
	stop_lanes();
	worker_run_done();
}
