/*
 * take_gc.c - the take-file collector (see take_gc.h for the rule).
 *
 * The control thread sets the engine generation and pins; any thread
 * holds server-made streams; the quick worker lane decides file by file.
 * A file's fate is decided under the lock at the moment it is looked at,
 * so a stream held (and only then written) by an import on the other
 * lane is never taken for an orphan.
 */
#include "server/audio/take_gc.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/audio/chunks.h"
#include "server/audio/takes.h"
#include "server/core/ctl.h"
#include "server/core/worker.h"

#define SERVER_MADE (1ull << 63)
/*
 * A new arena counts engine generations from 1 again, so a take of the
 * running engine's generation may be from an older arena: it is when its
 * file is older than this arena by more than the margin (a wall-clock
 * comparison, so the margin absorbs clock steps).
 */
#define ARENA_MARGIN_NS (3600ull * 1000000000ull)
#define HOLD_MAX 65536		/* more: stop collecting server-made takes */
#define PIN_MAX 64

static struct {
	pthread_mutex_t lock;
	uint64_t gen;		/* the running engine's generation, 0 none */
	uint64_t arena_ns;	/* its arena's creation, CLOCK_REALTIME */
	int fresh;		/* we saw every layer it got */
	uint64_t *held;		/* server-made streams handed to it */
	size_t n_held, cap_held;
	uint64_t pin[PIN_MAX];
	int n_pin;
	int queued;		/* control thread: a collection is queued */
	uint64_t removed;	/* control thread */
} G = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct gc_job {
	int removed;
};

/* --- what is kept (lock held) --- */

static int held(uint64_t s)
{
	for (size_t i = 0; i < G.n_held; i++)
		if (G.held[i] == s)
			return 1;
	return 0;
}

static int pinned(uint64_t s)
{
	for (int i = 0; i < G.n_pin; i++)
		if (G.pin[i] == s)
			return 1;
	return 0;
}

/* May the file of stream s, last written at mtime_ns, go?  Lock held. */
static int unused(uint64_t s, uint64_t mtime_ns)
{
	if (!G.gen || pinned(s) || takes_busy(s))
		return 0;
	if (s & SERVER_MADE)
		return G.fresh && !held(s);
	if (((s >> 32) & 0x7fffffffull) != (G.gen & 0x7fffffffull))
		return 1;	/* another engine generation made it */
	return mtime_ns + ARENA_MARGIN_NS < G.arena_ns;
}

/* --- the API --- */

void take_gc_engine(uint64_t generation, uint64_t arena_ns, int fresh)
{
	pthread_mutex_lock(&G.lock);
	G.gen = generation;
	G.arena_ns = arena_ns;
	G.fresh = fresh;
	G.n_held = 0;
	pthread_mutex_unlock(&G.lock);
}

void take_gc_hold(uint64_t stream)
{
	uint64_t *h;

	pthread_mutex_lock(&G.lock);
	if (held(stream))
		goto out;
	if (G.n_held == G.cap_held) {
		size_t cap = G.cap_held ? 2 * G.cap_held : 256;

		h = cap <= HOLD_MAX ? realloc(G.held, cap * sizeof(*h)) : NULL;
		if (!h) {
			G.fresh = 0;	/* cannot remember: keep them all */
			goto out;
		}
		G.held = h;
		G.cap_held = cap;
	}
	G.held[G.n_held++] = stream;
out:
	pthread_mutex_unlock(&G.lock);
}

void take_gc_pin(uint64_t stream)
{
	pthread_mutex_lock(&G.lock);
	if (!pinned(stream) && G.n_pin < PIN_MAX)
		G.pin[G.n_pin++] = stream;
	pthread_mutex_unlock(&G.lock);
}

void take_gc_unpin(uint64_t stream)
{
	pthread_mutex_lock(&G.lock);
	for (int i = 0; i < G.n_pin; i++)
		if (G.pin[i] == stream)
			G.pin[i--] = G.pin[--G.n_pin];
	pthread_mutex_unlock(&G.lock);
}

/* --- the collection (quick worker lane) --- */

/* <16 hex>.wav -> 1 and *s; <16 hex>.wav.tmp-<pid>-<n> -> 2, *pid. */
static int parse_name(const char *name, uint64_t *s, long *pid)
{
	char *end;

	if (strlen(name) < 20 || strspn(name, "0123456789abcdef") != 16 ||
	    strncmp(name + 16, ".wav", 4))
		return 0;
	*s = strtoull(name, &end, 16);
	if (end != name + 16)
		return 0;
	if (name[20] == '\0')
		return 1;
	if (strncmp(name + 20, ".tmp-", 5))
		return 0;
	*pid = strtol(name + 25, &end, 10);
	return end != name + 25 && *end == '-' ? 2 : 0;
}

static int should_go(const char *path, const char *name)
{
	uint64_t s = 0, mtime;
	long pid = 0;
	int kind = parse_name(name, &s, &pid), go;
	struct stat st;

	if (kind == 2)
		return pid != (long)getpid();	/* another server's leftover */
	if (kind != 1 || stat(path, &st) < 0)
		return 0;
	mtime = (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
		(uint64_t)st.st_mtim.tv_nsec;
	pthread_mutex_lock(&G.lock);
	go = unused(s, mtime);
	pthread_mutex_unlock(&G.lock);
	return go;
}

static void gc_work(void *arg)
{
	struct gc_job *j = arg;
	char path[TAKES_PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(takes_dir());

	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", takes_dir(), e->d_name);
		if (should_go(path, e->d_name))
			j->removed += unlink(path) == 0;
	}
	if (d)
		closedir(d);
}

static void gc_done(void *arg)
{
	struct gc_job *j = arg;

	G.queued = 0;
	G.removed += (uint64_t)j->removed;
	if (j->removed)
		fprintf(stderr, "stagebox-server: takes: removed %d unused "
			"take file%s\n", j->removed, j->removed == 1 ? "" : "s");
	free(j);
}

int take_gc_start(void)
{
	struct gc_job *j;
	int rc;

	if (G.queued || !ctl_arena() || !chunks_ready())
		return -EAGAIN;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	rc = worker_defer_lane(WORKER_QUICK, gc_work, gc_done, j);
	if (rc) {
		free(j);
		return rc;
	}
	G.queued = 1;
	return 0;
}

uint64_t take_gc_removed(void)
{
	return G.removed;
}
