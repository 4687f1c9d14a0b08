/*
 * chunks.c - the chunks module: free list, take writer thread, owner-map
 * reconciliation (see chunks.h).
 *
 * Locks: `map` (rwlock, writer-preferring) pins the mapping: the writer's
 * passes and chunks_hold() read-lock it, the control thread write-locks
 * it to swap the mapping, which is how it waits for the writer to let go
 * of an old one.  `lock` (mutex) guards the free list, the server's
 * owner-map stores and the engine state the control thread reports.
 * Order: map before lock.  Fields marked "writer" belong to the writer
 * thread, or to the control thread while it holds map for writing.
 */
#include "server/audio/chunks.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/audio/takes.h"

#define PASS_EVERY_NS 5000000L	/* 5 ms between writer passes */
#define PASS_MAX 256		/* filled chunks a pass: bounds a remap wait */
#define ALL UINT32_MAX

static struct {
	pthread_rwlock_t map;
	pthread_mutex_t lock;
	struct sb_arena arena;		/* ctl's mapping; NULL base = none */
	_Atomic uint64_t epoch;		/* bumped per mapping change */

	/* under lock */
	int connected;
	uint64_t gen;			/* engine generation at connect */
	uint64_t eng_epoch;		/* bumped per reconciliation */
	uint32_t n;			/* chunks in the pool */
	uint32_t *list;			/* free list (a stack) */
	uint32_t nfree;
	uint8_t *infree;		/* 1 while idx is on the list */

	/* writer */
	int sighted;			/* first look at this mapping done */
	int dead_pending;		/* first seen without engine: reclaim */
	uint64_t known_gen;		/* engine whose chunks we account */
	uint8_t *window;		/* scratch: indices inside chunk_free */
	uint32_t rate;			/* last engine rate (for a dead one) */
	uint64_t last_err_ns;

	atomic_int ready;
	atomic_int stop;
	int running;
	pthread_t thread;
	const uint8_t *ctl_base;	/* control thread: the mapping last */
	uint64_t ctl_created;		/* seen (base + created_ns: identity) */
} C = { .lock = PTHREAD_MUTEX_INITIALIZER };

static __thread int hold_depth;	/* read-lock nesting of this thread */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char msg[TAKES_PATH_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "stagebox-server: chunks: %s\n", msg);
}

/* --- holding the mapping --- */

const struct sb_arena *chunks_hold(void)
{
	if (hold_depth++ == 0)
		pthread_rwlock_rdlock(&C.map);
	return C.arena.base ? &C.arena : NULL;
}

void chunks_unhold(void)
{
	if (--hold_depth == 0)
		pthread_rwlock_unlock(&C.map);
}

struct sb_chunk *chunks_at(const struct sb_arena *a, uint32_t idx)
{
	if (!a || idx >= a->hdr->geom.n_chunks)
		return NULL;
	return sb_arena_chunk(a, idx);
}

static uint8_t owner_get(const struct sb_arena *a, uint32_t idx)
{
	return atomic_load_explicit(&sb_arena_chunk_owner(a)[idx],
				    memory_order_acquire);
}

static void owner_set(const struct sb_arena *a, uint32_t idx, uint8_t o)
{
	atomic_store_explicit(&sb_arena_chunk_owner(a)[idx], o,
			      memory_order_release);
}

/* Lock held. */
static void free_push(uint32_t idx)
{
	if (idx >= C.n || C.infree[idx])
		return;
	C.infree[idx] = 1;
	C.list[C.nfree++] = idx;
}

/* Lock held, nfree > 0. */
static uint32_t free_pop(void)
{
	uint32_t idx = C.list[--C.nfree];

	C.infree[idx] = 0;
	return idx;
}

/* Next chunk of a list, SB_CHUNK_NONE at its end or on a bad link. */
static uint32_t list_next(const struct sb_arena *a, uint32_t idx)
{
	struct sb_chunk *c = chunks_at(a, idx);

	return c ? c->next : SB_CHUNK_NONE;
}

/* --- the writer's pass --- */

static void save_chunk(const struct sb_arena *a, uint32_t idx, uint32_t rate)
{
	const struct sb_arena_geom *g = &a->hdr->geom;
	struct sb_chunk *c = chunks_at(a, idx);
	struct sb_chunk h;
	char err[TAKES_PATH_MAX + 64] = "";
	uint64_t now;

	if (!c) {
		say("filled %u is no chunk index", idx);
		return;
	}
	h = *c;
	if (!h.stream || h.frames > g->chunk_frames) {
		say("filled chunk %u has a bad header (%u frames)", idx,
		    h.frames);
		return;
	}
	if (!takes_append(&h, sb_chunk_samples(c), g->chunk_channels,
			  g->chunk_frames, rate, err, sizeof(err)))
		return;
	now = sb_now_ns();
	if (now - C.last_err_ns > 1000000000ull) {	/* once a second */
		C.last_err_ns = now;
		say("%s", err);
	}
}

/* Save up to max filled chunks, oldest first; the count saved. */
static uint32_t drain_filled(const struct sb_arena *a, uint32_t max,
			     uint32_t rate)
{
	struct sb_ring *r = sb_arena_ring(a, a->hdr->off_chunk_filled);
	uint32_t idx, n = 0;

	/* peek, save, then pop: a crash mid-write redoes this chunk */
	while (n < max && sb_ring_peek(r, &idx) == 0) {
		save_chunk(a, idx, rate);
		sb_ring_pop(r, &idx);
		n++;
	}
	return n;
}

static void release_one(const struct sb_arena *a, uint32_t idx)
{
	uint8_t o;

	pthread_mutex_lock(&C.lock);
	o = idx < C.n ? owner_get(a, idx) : SB_OWN_SERVER;
	if (o == SB_OWN_RELEASED || o == SB_OWN_ENGINE) {
		owner_set(a, idx, SB_OWN_SERVER);
		free_push(idx);
	}
	pthread_mutex_unlock(&C.lock);
}

static void take_releases(const struct sb_arena *a, uint32_t max)
{
	struct sb_ring *r = sb_arena_ring(a, a->hdr->off_chunk_release);
	uint32_t idx;

	for (uint32_t n = 0; n < max && sb_ring_pop(r, &idx) == 0; n++)
		release_one(a, idx);
}

/* Top chunk_free up to the ring share of the pool. */
static void stock(const struct sb_arena *a)
{
	struct sb_ring *r = sb_arena_ring(a, a->hdr->off_chunk_free);
	uint32_t target = C.n / CHUNKS_RING_SHARE ? C.n / CHUNKS_RING_SHARE : 1;
	uint32_t fill = r->capacity - sb_ring_write_space(r);

	pthread_mutex_lock(&C.lock);
	while (fill < target && C.nfree) {
		uint32_t idx = free_pop();

		owner_set(a, idx, SB_OWN_FREE_RING);
		if (sb_ring_push(r, &idx)) {	/* cannot happen: cap >= n */
			owner_set(a, idx, SB_OWN_SERVER);
			free_push(idx);
			break;
		}
		fill++;
	}
	pthread_mutex_unlock(&C.lock);
}

/* Mark in C.window every index readable in chunk_free now. */
static void mark_window(const struct sb_arena *a)
{
	struct sb_ring *r = sb_arena_ring(a, a->hdr->off_chunk_free);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	const uint32_t *data = (const uint32_t *)sb_ring_data(r);

	memset(C.window, 0, C.n);
	for (uint32_t k = tail; k != head; k++) {
		uint32_t idx = data[k & (r->capacity - 1)];
		if (idx < C.n)
			C.window[idx] = 1;
	}
}

/*
 * Might the engine named in the header hold chunks?  Yes while it lives
 * and has run a cycle of its generation (a stalled engine); no when it
 * is dead or still starting (a new engine owns nothing yet).
 */
static int engine_may_own(const struct sb_arena *a)
{
	struct sb_status_block *b = sb_arena_at(a, a->hdr->off_status);
	int32_t pid = atomic_load(&a->hdr->engine_pid);
	struct sb_status st;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return 0;
	/* publishing right now, or stopped inside: it may run on */
	if ((atomic_load(&b->seq) & 1u) || sb_status_read(a, &st))
		return 1;
	return st.generation == atomic_load(&a->hdr->engine_generation);
}

/*
 * Server start: what we own is free; everything else stays put.  When
 * no engine that may own chunks is there, reclaim at the next connect.
 */
static void first_sight(const struct sb_arena *a, int connected)
{
	C.known_gen = atomic_load(&a->hdr->engine_generation);
	C.dead_pending = !connected && !engine_may_own(a);
	pthread_mutex_lock(&C.lock);
	for (uint32_t i = 0; i < C.n; i++)
		if (owner_get(a, i) == SB_OWN_SERVER)
			free_push(i);
	pthread_mutex_unlock(&C.lock);
	C.sighted = 1;
	say("%s: %u of %u chunks free", a->shm_name, C.nfree, C.n);
}

/*
 * A new engine runs: whatever the old one held is ours again, once its
 * filled chunks are on disk.  Chunks waiting in chunk_free stay there.
 */
static void reconcile(const struct sb_arena *a, uint64_t gen, uint32_t rate)
{
	uint32_t k = 0;

	drain_filled(a, ALL, rate);
	takes_close_orphans(gen);
	take_releases(a, ALL);
	mark_window(a);
	pthread_mutex_lock(&C.lock);
	for (uint32_t i = 0; i < C.n; i++) {
		uint8_t o = owner_get(a, i);
		if (o == SB_OWN_ENGINE || o == SB_OWN_RELEASED ||
		    (o == SB_OWN_FREE_RING && !C.window[i])) {
			owner_set(a, i, SB_OWN_SERVER);
			free_push(i);
			k++;
		}
	}
	C.eng_epoch++;
	pthread_mutex_unlock(&C.lock);
	C.known_gen = gen;
	C.dead_pending = 0;
	say("engine generation %llu: reclaimed %u chunks",
	    (unsigned long long)gen, k);
}

static uint32_t pass_rate(const struct sb_arena *a, int connected)
{
	struct sb_status st;

	/* a dead engine may have left the seqlock odd: read only live ones */
	if (connected && sb_status_read(a, &st) == 0) {
		if (st.sample_rate)
			C.rate = st.sample_rate;
	}
	return C.rate;
}

static void writer_pass(const struct sb_arena *a)
{
	struct sb_ring *rel = sb_arena_ring(a, a->hdr->off_chunk_release);
	uint64_t gen;
	uint32_t nrel, rate;
	int connected, ready;

	pthread_mutex_lock(&C.lock);
	connected = C.connected;
	gen = C.gen;
	pthread_mutex_unlock(&C.lock);
	rate = pass_rate(a, connected);
	if (!C.sighted)
		first_sight(a, connected);
	if (connected && (C.dead_pending || gen != C.known_gen))
		reconcile(a, gen, rate);
	pthread_mutex_lock(&C.lock);
	ready = C.connected && C.gen == C.known_gen && !C.dead_pending;
	atomic_store(&C.ready, ready);
	pthread_mutex_unlock(&C.lock);
	/* filled before release: a chunk is saved before it is recycled */
	nrel = sb_ring_read_space(rel);
	drain_filled(a, PASS_MAX, rate);
	take_releases(a, nrel);
	if (ready)
		stock(a);
}

static void nap(void)
{
	struct timespec ts = { 0, PASS_EVERY_NS };

	nanosleep(&ts, NULL);
}

static void *writer_main(void *unused)
{
	(void)unused;
	while (!atomic_load(&C.stop)) {
		if (chunks_hold())
			writer_pass(&C.arena);
		chunks_unhold();
		nap();
	}
	/* leaving: whatever is filled still goes to disk */
	if (chunks_hold())
		drain_filled(&C.arena, ALL, C.rate);
	chunks_unhold();
	return NULL;
}

/* --- mapping handover (control thread, map write-locked) --- */

static void drop_locked(void)
{
	pthread_mutex_lock(&C.lock);
	memset(&C.arena, 0, sizeof(C.arena));
	atomic_fetch_add(&C.epoch, 1);
	atomic_store(&C.ready, 0);
	free(C.list);
	free(C.infree);
	free(C.window);
	C.list = NULL;
	C.infree = C.window = NULL;
	C.n = C.nfree = 0;
	C.sighted = 0;
	pthread_mutex_unlock(&C.lock);
}

static int set_locked(const struct sb_arena *m)
{
	uint32_t n = m->hdr->geom.n_chunks;
	uint32_t *list = calloc(n, sizeof(*list));
	uint8_t *infree = calloc(n, 1), *window = calloc(n, 1);

	if (!list || !infree || !window) {
		free(list);
		free(infree);
		free(window);
		return -ENOMEM;
	}
	pthread_mutex_lock(&C.lock);
	C.arena = *m;
	atomic_fetch_add(&C.epoch, 1);
	C.list = list;
	C.infree = infree;
	C.window = window;
	C.n = n;
	C.nfree = 0;
	C.sighted = 0;
	pthread_mutex_unlock(&C.lock);
	return 0;
}

/* Hand the writer the control thread's mapping when it changed. */
static void sync_arena(void)
{
	const struct sb_arena *m = ctl_arena_mapped();
	const uint8_t *base = m ? m->base : NULL;
	uint64_t created = m ? m->hdr->created_ns : 0;

	/* a new arena may be mapped where the old one was: compare both */
	if (base == C.ctl_base && created == C.ctl_created)
		return;
	pthread_rwlock_wrlock(&C.map);
	if (C.arena.base)
		drop_locked();
	if (m && set_locked(m))
		say("%s: no memory for a free list of %u chunks",
		    m->shm_name, m->hdr->geom.n_chunks);
	pthread_rwlock_unlock(&C.map);
	C.ctl_base = base;
	C.ctl_created = created;
}

/* --- the module --- */

static void chunks_on_engine(int connected, int restarted, int remapped)
{
	(void)restarted;	/* we judge restarts by generation ourselves */
	if (remapped) {
		/*
		 * Waits for the writer's pass: it lets go of the old mapping
		 * before ctl.c unmaps it.  ctl_base keeps the old identity, so
		 * sync_arena does not take the dying mapping up again.
		 */
		pthread_rwlock_wrlock(&C.map);
		if (C.arena.base)
			drop_locked();
		pthread_rwlock_unlock(&C.map);
	}
	sync_arena();
	pthread_mutex_lock(&C.lock);
	C.connected = connected && C.arena.base;
	if (C.connected)
		C.gen = atomic_load(&C.arena.hdr->engine_generation);
	atomic_store(&C.ready, 0);	/* the writer's next pass decides */
	pthread_mutex_unlock(&C.lock);
}

static void chunks_tick(uint64_t now_ns)
{
	(void)now_ns;
	sync_arena();
	takes_poll();
}

static int chunks_init(const struct sb_config *cfg, char *err, size_t errlen)
{
	pthread_rwlockattr_t at;
	int rc = takes_init(cfg->server.data_dir, err, errlen);

	if (rc)
		return rc;
	pthread_rwlockattr_init(&at);
	/* a remap must not starve behind a stream of readers */
	pthread_rwlockattr_setkind_np(&at,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&C.map, &at);
	pthread_rwlockattr_destroy(&at);
	C.rate = cfg->jack.rate ? cfg->jack.rate : 48000;
	atomic_store(&C.stop, 0);
	if (pthread_create(&C.thread, NULL, writer_main, NULL)) {
		snprintf(err, errlen, "cannot start the take writer thread");
		return -EAGAIN;
	}
	C.running = 1;
	return 0;
}

static void chunks_fini(void)
{
	if (C.running) {
		atomic_store(&C.stop, 1);
		pthread_join(C.thread, NULL);
		C.running = 0;
	}
	takes_poll();
	takes_fini();
	pthread_rwlock_wrlock(&C.map);
	drop_locked();
	pthread_rwlock_unlock(&C.map);
	C.ctl_base = NULL;
	C.ctl_created = 0;
}

const struct srv_module chunks_module = {
	.name = "chunks",
	.init = chunks_init,
	.tick = chunks_tick,
	.on_engine = chunks_on_engine,
	.fini = chunks_fini,
};

/* --- the API for other server code --- */

uint64_t chunks_epoch(void)
{
	return atomic_load(&C.epoch);
}

int chunks_ready(void)
{
	return atomic_load(&C.ready);
}

uint32_t chunks_frames(void)
{
	const struct sb_arena *a = chunks_hold();
	uint32_t v = a ? a->hdr->geom.chunk_frames : 0;

	chunks_unhold();
	return v;
}

uint32_t chunks_count(void)
{
	const struct sb_arena *a = chunks_hold();
	uint32_t v = a ? a->hdr->geom.n_chunks : 0;

	chunks_unhold();
	return v;
}

uint32_t chunks_free_count(void)
{
	const struct sb_arena *a = chunks_hold();
	uint32_t v = 0;

	if (a) {
		struct sb_ring *r = sb_arena_ring(a, a->hdr->off_chunk_free);
		pthread_mutex_lock(&C.lock);
		v = C.nfree + (atomic_load(&r->head) - atomic_load(&r->tail));
		pthread_mutex_unlock(&C.lock);
	}
	chunks_unhold();
	return v;
}

uint32_t chunks_takeable(void)
{
	uint32_t v;

	pthread_mutex_lock(&C.lock);
	v = C.nfree;
	pthread_mutex_unlock(&C.lock);
	return v;
}

int chunks_take(uint32_t n, uint32_t *idx, uint64_t *epoch)
{
	const struct sb_arena *a = chunks_hold();
	int rc = a ? 0 : -ENOTCONN;

	pthread_mutex_lock(&C.lock);
	if (!rc && C.nfree < n)
		rc = -ENOMEM;
	for (uint32_t i = 0; !rc && i < n; i++) {
		struct sb_chunk *c;

		idx[i] = free_pop();
		c = sb_arena_chunk(a, idx[i]);
		c->next = SB_CHUNK_NONE;
		c->stream = 0;
		c->flags = 0;
		c->frames = 0;
	}
	*epoch = atomic_load(&C.epoch);
	pthread_mutex_unlock(&C.lock);
	chunks_unhold();
	return rc;
}

void chunks_give_back(const uint32_t *idx, uint32_t n, uint64_t epoch)
{
	const struct sb_arena *a = chunks_hold();

	pthread_mutex_lock(&C.lock);
	for (uint32_t i = 0; a && epoch == C.epoch && i < n; i++)
		if (idx[i] < C.n && owner_get(a, idx[i]) == SB_OWN_SERVER)
			free_push(idx[i]);
	pthread_mutex_unlock(&C.lock);
	chunks_unhold();
}

/* Lock held: every chunk of the list from `from` to `to` owner. */
static void relabel(const struct sb_arena *a, uint32_t head, uint8_t from,
		    uint8_t to, int free_them)
{
	uint32_t k = 0;

	for (uint32_t i = head; i != SB_CHUNK_NONE && k < C.n; k++) {
		uint32_t next = list_next(a, i);

		if (i < C.n && owner_get(a, i) == from) {
			owner_set(a, i, to);
			if (free_them)
				free_push(i);
		}
		i = next;
	}
}

void chunks_give_back_list(uint32_t head, uint64_t epoch)
{
	const struct sb_arena *a = chunks_hold();

	pthread_mutex_lock(&C.lock);
	if (a && epoch == C.epoch)
		relabel(a, head, SB_OWN_SERVER, SB_OWN_SERVER, 1);
	pthread_mutex_unlock(&C.lock);
	chunks_unhold();
}

int chunks_handoff(uint32_t head, uint64_t epoch, uint64_t *eng)
{
	const struct sb_arena *a = chunks_hold();
	int rc = 0;

	pthread_mutex_lock(&C.lock);
	if (!a || epoch != C.epoch)
		rc = -ESTALE;
	else if (!atomic_load(&C.ready))
		rc = -EAGAIN;
	if (!rc) {
		relabel(a, head, SB_OWN_SERVER, SB_OWN_ENGINE, 0);
		*eng = C.eng_epoch;
	}
	pthread_mutex_unlock(&C.lock);
	chunks_unhold();
	return rc;
}

void chunks_load_failed(uint32_t head, uint64_t epoch, uint64_t eng)
{
	const struct sb_arena *a = chunks_hold();

	pthread_mutex_lock(&C.lock);
	if (a && epoch == C.epoch && eng == C.eng_epoch)
		relabel(a, head, SB_OWN_ENGINE, SB_OWN_SERVER, 1);
	pthread_mutex_unlock(&C.lock);
	chunks_unhold();
}
