/*
 * test_worker.c - the worker lanes (server/core/worker.c) with real
 * threads: a quick job runs while a slow one is still busy, each lane
 * keeps its order, done hooks run only on the thread that calls
 * worker_run_done, and stopping finishes what was queued.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "server/core/worker.h"

static sem_t woken;		/* posted by wake() */
static sem_t slow_go;		/* the slow job waits for it */
static sem_t quick_ran;		/* posted by the quick job's work */
static pthread_t control;	/* the test's own thread */
static atomic_int order[16];
static atomic_int n_order;
static int done_seen[16];
static int done_off_thread;

static void wake(void)
{
	sem_post(&woken);
}

static void note(int id)
{
	order[atomic_fetch_add(&n_order, 1)] = id;
}

static void slow_work(void *arg)
{
	sem_wait(&slow_go);
	note((int)(intptr_t)arg);
}

static void quick_work(void *arg)
{
	note((int)(intptr_t)arg);
	sem_post(&quick_ran);
}

static void plain_work(void *arg)
{
	note((int)(intptr_t)arg);
}

static void done(void *arg)
{
	done_seen[(int)(intptr_t)arg]++;
	if (!pthread_equal(pthread_self(), control))
		done_off_thread = 1;
}

static int setup(void **state)
{
	(void)state;
	sem_init(&woken, 0, 0);
	sem_init(&slow_go, 0, 0);
	sem_init(&quick_ran, 0, 0);
	memset(done_seen, 0, sizeof(done_seen));
	atomic_store(&n_order, 0);
	done_off_thread = 0;
	control = pthread_self();
	return worker_start(wake);
}

/* A quick job finishes while a slow job is busy; done hooks come later. */
static void quick_passes_slow(void **state)
{
	(void)state;
	assert_int_equal(worker_defer(slow_work, done, (void *)1), 0);
	assert_int_equal(worker_defer_lane(WORKER_QUICK, quick_work, done,
					   (void *)2), 0);
	sem_wait(&quick_ran);	/* would hang with one lane */
	assert_int_equal(atomic_load(&n_order), 1);
	assert_int_equal(order[0], 2);
	sem_wait(&woken);
	worker_run_done();
	assert_int_equal(done_seen[2], 1);
	assert_int_equal(done_seen[1], 0);	/* still working */
	sem_post(&slow_go);
	worker_stop();		/* finishes the slow job, runs its hook */
	assert_int_equal(done_seen[1], 1);
	assert_false(done_off_thread);
}

/* Each lane runs its jobs in submission order; stop drains the queues. */
static void lanes_keep_order(void **state)
{
	(void)state;
	assert_int_equal(worker_defer(slow_work, done, (void *)3), 0);
	for (intptr_t i = 4; i < 8; i++)
		assert_int_equal(worker_defer(plain_work, done, (void *)i), 0);
	sem_post(&slow_go);
	worker_stop();
	assert_int_equal(atomic_load(&n_order), 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(order[i], 3 + i);
	for (int i = 3; i < 8; i++)
		assert_int_equal(done_seen[i], 1);
	assert_int_equal(worker_defer(plain_work, done, (void *)9), -ESHUTDOWN);
	assert_int_equal(worker_defer_lane(WORKER_LANES, plain_work, done,
					   NULL), -EINVAL);
	assert_false(done_off_thread);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(quick_passes_slow, setup),
		cmocka_unit_test_setup(lanes_keep_order, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
