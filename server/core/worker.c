/*
 * worker.c - one worker thread and its two queues (see worker.h): jobs
 * for the worker, and finished jobs whose done hook the control thread
 * runs.  Both are FIFOs under one mutex.
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

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job_list todo;	/* for the worker */
	struct job_list done;	/* for the control thread */
	int stop;
	int running;
	void (*wake)(void);
	pthread_t thread;
} W = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.todo = STAILQ_HEAD_INITIALIZER(W.todo),
	.done = STAILQ_HEAD_INITIALIZER(W.done),
};

static void *worker_main(void *unused)
{
	struct job *j;

	(void)unused;
	pthread_mutex_lock(&W.lock);
	for (;;) {
		while (STAILQ_EMPTY(&W.todo) && !W.stop)
			pthread_cond_wait(&W.cond, &W.lock);
		j = STAILQ_FIRST(&W.todo);
		if (!j)
			break;
		STAILQ_REMOVE_HEAD(&W.todo, link);
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

int worker_start(void (*wake)(void))
{
	int rc;

	W.wake = wake;
	W.stop = 0;
	rc = pthread_create(&W.thread, NULL, worker_main, NULL);
	if (rc)
		return -rc;
	W.running = 1;
	return 0;
}

int worker_defer(void (*work)(void *arg), void (*done)(void *arg), void *arg)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	*j = (struct job){ .work = work, .done = done, .arg = arg };
	pthread_mutex_lock(&W.lock);
	if (W.stop || !W.running) {
		pthread_mutex_unlock(&W.lock);
		free(j);
		return -ESHUTDOWN;
	}
	STAILQ_INSERT_TAIL(&W.todo, j, link);
	pthread_cond_signal(&W.cond);
	pthread_mutex_unlock(&W.lock);
	return 0;
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
	if (!W.running)
		return;
	pthread_mutex_lock(&W.lock);
	W.stop = 1;
	pthread_cond_signal(&W.cond);
	pthread_mutex_unlock(&W.lock);
	pthread_join(W.thread, NULL);
	W.running = 0;
	worker_run_done();
}
