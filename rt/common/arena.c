/*
 * arena.c - create, reuse, attach and lay out the shared-memory arena.
 * Nothing here runs on the process thread except sb_status_publish and
 * sb_now_ns.
 */
#include "rt/common/arena.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ALIGN64(x) (((x) + 63u) & ~(uint64_t)63u)
#define SEQ_TRIES_MIN 64	/* seqlock reads: tries before the clock counts */
#define SEQ_WAIT_NS 200000ull	/* then give up after 200 us */

uint64_t sb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sb_arena_geom_default(struct sb_arena_geom *g)
{
	memset(g, 0, sizeof(*g));
	g->n_inputs = 2;
	g->cmd_slots = 1024;
	g->evt_slots = 4096;
	g->chunk_frames = 4096;
	g->chunk_channels = 2;
	g->n_chunks = 2048;
	g->tap_frames = 1u << 18;
	g->plan_slots = 3;
	g->plan_slot_bytes = 1u << 20;
	g->heap_bytes = 32u << 20;
	g->n_columns = 4;
	g->n_tracks = 4;
}

int sb_instance_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return -EINVAL;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return -EINVAL;
	}
	return n >= 1 && n <= SB_INSTANCE_MAX ? 0 : -EINVAL;
}

static uint32_t next_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

static int geom_check(const struct sb_arena_geom *g, char *err, size_t len)
{
	const char *bad = NULL;

	if (!g->n_inputs || g->n_inputs > SB_MAX_INPUTS)
		bad = "inputs must be 1..16";
	else if (!sb_is_pow2(g->cmd_slots) || !sb_is_pow2(g->evt_slots))
		bad = "command and event ring slots must be powers of two";
	else if (!sb_is_pow2(g->tap_frames))
		bad = "tap_frames must be a power of two";
	else if (g->chunk_frames < 64 || g->chunk_frames > (1u << 20))
		bad = "chunk_frames must be 64..1048576";
	else if (!g->chunk_channels || g->chunk_channels > 8)
		bad = "chunk_channels must be 1..8";
	else if (!g->n_chunks || g->n_chunks > (1u << 20))
		bad = "chunks must be 1..1048576";
	else if (g->plan_slots < 2 || g->plan_slots > 16)
		bad = "plan_slots must be 2..16";
	else if (!g->n_columns || g->n_columns > SB_MAX_COLUMNS)
		bad = "looper columns must be 1..8";
	else if (!g->n_tracks || g->n_tracks > SB_MAX_TRACKS)
		bad = "looper tracks must be 1..8";
	if (!bad)
		return 0;
	snprintf(err, len, "arena geometry: %s", bad);
	return -EINVAL;
}

static uint64_t place_ring(uint64_t *cursor, uint32_t slots, uint32_t esize)
{
	uint64_t off = *cursor;

	*cursor = ALIGN64(off + sizeof(struct sb_ring) +
			  sb_ring_data_bytes(slots, esize));
	return off;
}

int sb_arena_layout(const struct sb_arena_geom *g, struct sb_arena_hdr *h,
		    char *err, size_t errlen)
{
	uint64_t cur;
	int rc = geom_check(g, err, errlen);

	if (rc)
		return rc;
	memset(h, 0, sizeof(*h));
	h->magic = SB_ARENA_MAGIC;
	h->abi_version = SB_ABI_VERSION;
	h->geom = *g;
	h->chunk_bytes = ALIGN64(sizeof(struct sb_chunk) +
				 (uint64_t)g->chunk_frames *
				 g->chunk_channels * sizeof(float));
	h->chunk_ring_slots = next_pow2(g->n_chunks);
	cur = ALIGN64(sizeof(*h));
	h->off_status = cur;
	cur = ALIGN64(cur + sizeof(struct sb_status_block));
	h->off_timing = cur;
	cur = ALIGN64(cur + sizeof(struct sb_timing));
	h->off_looper = cur;
	cur = ALIGN64(cur + sizeof(struct sb_looper_block));
	h->off_chunk_owner = cur;
	cur = ALIGN64(cur + g->n_chunks);
	h->off_cmd = place_ring(&cur, g->cmd_slots, sizeof(struct sb_msg));
	h->off_evt = place_ring(&cur, g->evt_slots, sizeof(struct sb_msg));
	h->off_chunk_free = place_ring(&cur, h->chunk_ring_slots, 4);
	h->off_chunk_filled = place_ring(&cur, h->chunk_ring_slots, 4);
	h->off_chunk_release = place_ring(&cur, h->chunk_ring_slots, 4);
	h->off_tap = place_ring(&cur, g->tap_frames, sizeof(float));
	h->off_chunks = cur;
	cur = ALIGN64(cur + h->chunk_bytes * g->n_chunks);
	h->off_plans = cur;
	cur = ALIGN64(cur + g->plan_slots * ALIGN64(g->plan_slot_bytes));
	h->off_heap = cur;
	cur = ALIGN64(cur + g->heap_bytes);
	h->total_size = cur;
	return 0;
}

static void shm_name_of(char *dst, size_t len, const char *instance)
{
	snprintf(dst, len, "/stagebox-%s", instance);
}

static int map_fd(struct sb_arena *a, int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	a->base = p;
	a->size = size;
	a->hdr = p;
	return 0;
}

static void init_rings(struct sb_arena *a)
{
	const struct sb_arena_hdr *h = a->hdr;
	const uint64_t rs = sizeof(struct sb_ring);

	sb_ring_init(sb_arena_ring(a, h->off_cmd), h->geom.cmd_slots,
		     sizeof(struct sb_msg), rs);
	sb_ring_init(sb_arena_ring(a, h->off_evt), h->geom.evt_slots,
		     sizeof(struct sb_msg), rs);
	sb_ring_init(sb_arena_ring(a, h->off_chunk_free), h->chunk_ring_slots,
		     4, rs);
	sb_ring_init(sb_arena_ring(a, h->off_chunk_filled),
		     h->chunk_ring_slots, 4, rs);
	sb_ring_init(sb_arena_ring(a, h->off_chunk_release),
		     h->chunk_ring_slots, 4, rs);
	sb_ring_init(sb_arena_ring(a, h->off_tap), h->geom.tap_frames,
		     sizeof(float), rs);
	for (uint32_t i = 0; i < h->geom.n_chunks; i++) {
		struct sb_chunk *c = sb_arena_chunk(a, i);
		c->index = i;
		c->next = SB_CHUNK_NONE;
		c->channels = h->geom.chunk_channels;
		c->column = c->track = -1;
	}
}

static int create_fresh(struct sb_arena *a, const struct sb_arena_hdr *lay,
			char *err, size_t errlen)
{
	struct timespec ts;
	int rc, fd;

	shm_unlink(a->shm_name);
	fd = shm_open(a->shm_name, O_RDWR | O_CREAT | O_EXCL, 0660);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create /dev/shm%s: %s",
			 a->shm_name, strerror(errno));
		return rc;
	}
	if (ftruncate(fd, (off_t)lay->total_size) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot size /dev/shm%s to %llu bytes: %s",
			 a->shm_name, (unsigned long long)lay->total_size,
			 strerror(errno));
		goto out_unlink;
	}
	rc = map_fd(a, fd, lay->total_size);
	if (rc) {
		snprintf(err, errlen, "cannot map arena: %s", strerror(-rc));
		goto out_unlink;
	}
	memcpy(a->hdr, lay, sizeof(*lay));
	clock_gettime(CLOCK_REALTIME, &ts);
	a->hdr->created_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	init_rings(a);
	close(fd);
	return 0;

out_unlink:
	close(fd);
	shm_unlink(a->shm_name);
	return rc;
}

/* Map the existing object read-write, checking size and header. */
static int map_existing(struct sb_arena *a, char *err, size_t errlen)
{
	struct stat st;
	int rc, fd = shm_open(a->shm_name, O_RDWR, 0);

	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "no arena /dev/shm%s: %s", a->shm_name,
			 strerror(errno));
		return rc;
	}
	rc = fstat(fd, &st) < 0 ? -errno : 0;
	if (!rc && (size_t)st.st_size < sizeof(struct sb_arena_hdr))
		rc = -EPROTO;
	if (!rc)
		rc = map_fd(a, fd, (size_t)st.st_size);
	close(fd);
	if (rc == -EPROTO)
		snprintf(err, errlen, "/dev/shm%s is too small to be an arena",
			 a->shm_name);
	else if (rc)
		snprintf(err, errlen, "cannot map /dev/shm%s: %s", a->shm_name,
			 strerror(-rc));
	return rc;
}

static int header_check(const struct sb_arena *a, char *err, size_t errlen)
{
	const struct sb_arena_hdr *h = a->hdr;

	if (h->magic != SB_ARENA_MAGIC) {
		snprintf(err, errlen, "/dev/shm%s is not a Stagebox arena "
			 "(bad magic)", a->shm_name);
		return -EPROTO;
	}
	if (h->abi_version != SB_ABI_VERSION) {
		snprintf(err, errlen, "/dev/shm%s speaks arena ABI %u but this "
			 "build speaks ABI %u; stop the other version or remove "
			 "the file", a->shm_name, h->abi_version, SB_ABI_VERSION);
		return -EPROTO;
	}
	if (h->total_size != a->size) {
		snprintf(err, errlen, "/dev/shm%s: header says %llu bytes, "
			 "object has %zu", a->shm_name,
			 (unsigned long long)h->total_size, a->size);
		return -EPROTO;
	}
	return 0;
}

static int pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static int reuse_or_refuse(struct sb_arena *a, const struct sb_arena_hdr *lay,
			   int *reused, char *err, size_t errlen)
{
	struct sb_arena_hdr *h = a->hdr;
	int32_t owner = atomic_load(&h->engine_pid);
	int rc = header_check(a, err, errlen);

	if (rc)
		return rc;
	if (pid_alive(owner) && owner != getpid()) {
		snprintf(err, errlen, "instance already has a running engine "
			 "(pid %d) on /dev/shm%s", owner, a->shm_name);
		return -EEXIST;
	}
	if (memcmp(&h->geom, &lay->geom, sizeof(h->geom)) == 0) {
		*reused = 1;
		return 0;
	}
	if (sb_ring_read_space(sb_arena_ring(a, h->off_chunk_filled))) {
		snprintf(err, errlen, "/dev/shm%s was made with other sizes and "
			 "still holds unsaved audio; start the server to save "
			 "it, or start the engine with the old config",
			 a->shm_name);
		return -EBUSY;
	}
	sb_arena_detach(a);
	return 1;	/* caller recreates */
}

/*
 * An engine killed inside sb_status_publish leaves the seqlock odd and
 * readers would spin on it for ever; the new owner makes it even.
 */
static void repair_seq(_Atomic uint32_t *seq)
{
	if (atomic_load(seq) & 1u)
		atomic_fetch_add(seq, 1u);
}

static void repair_status_seq(struct sb_arena *a)
{
	struct sb_status_block *b = sb_arena_at(a, a->hdr->off_status);
	struct sb_looper_block *l = sb_arena_at(a, a->hdr->off_looper);

	repair_seq(&b->seq);
	repair_seq(&l->seq);
}

int sb_arena_open_engine(struct sb_arena *a, const char *instance,
			 const struct sb_arena_geom *g, int *reused,
			 char *err, size_t errlen)
{
	struct sb_arena_hdr lay;
	int rc;

	*reused = 0;
	memset(a, 0, sizeof(*a));
	if (sb_instance_valid(instance)) {
		snprintf(err, errlen, "bad instance name '%s' (use 1..32 of "
			 "A-Z a-z 0-9 _ -)", instance ? instance : "");
		return -EINVAL;
	}
	rc = sb_arena_layout(g, &lay, err, errlen);
	if (rc)
		return rc;
	shm_name_of(a->shm_name, sizeof(a->shm_name), instance);
	rc = map_existing(a, err, errlen);
	if (rc == 0) {
		rc = reuse_or_refuse(a, &lay, reused, err, errlen);
		if (rc < 0) {
			sb_arena_detach(a);
			return rc;
		}
	}
	if (!*reused) {
		rc = create_fresh(a, &lay, err, errlen);
		if (rc)
			return rc;
	}
	repair_status_seq(a);
	atomic_store(&a->hdr->engine_pid, (int32_t)getpid());
	atomic_fetch_add(&a->hdr->engine_generation, 1);
	return 0;
}

int sb_arena_attach(struct sb_arena *a, const char *instance, char *err,
		    size_t errlen)
{
	int rc;

	memset(a, 0, sizeof(*a));
	if (sb_instance_valid(instance)) {
		snprintf(err, errlen, "bad instance name '%s'",
			 instance ? instance : "");
		return -EINVAL;
	}
	shm_name_of(a->shm_name, sizeof(a->shm_name), instance);
	rc = map_existing(a, err, errlen);
	if (rc)
		return rc;
	rc = header_check(a, err, errlen);
	if (rc)
		sb_arena_detach(a);
	return rc;
}

void sb_arena_detach(struct sb_arena *a)
{
	if (a->base)
		munmap(a->base, a->size);
	a->base = NULL;
	a->hdr = NULL;
	a->size = 0;
}

int sb_arena_unlink(const char *instance)
{
	char name[SB_INSTANCE_MAX + 16];

	if (sb_instance_valid(instance))
		return -EINVAL;
	shm_name_of(name, sizeof(name), instance);
	return shm_unlink(name) < 0 ? -errno : 0;
}

int sb_arena_replaced(const struct sb_arena *a, const char *instance)
{
	struct sb_arena b;
	char err[256];
	int rc = sb_arena_attach(&b, instance, err, sizeof(err));

	if (rc)
		return rc;
	rc = b.hdr->created_ns != a->hdr->created_ns ||
	     b.size != a->size;
	sb_arena_detach(&b);
	return rc;
}

void sb_seq_publish(_Atomic uint32_t *seq, _Atomic uint64_t *words,
		    const void *src, size_t bytes)
{
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);
	size_t n = (bytes + 7) / 8;
	uint64_t w;

	atomic_store_explicit(seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (size_t i = 0; i < n; i++) {
		size_t len = bytes - i * 8 < 8 ? bytes - i * 8 : 8;
		w = 0;
		memcpy(&w, (const uint8_t *)src + i * 8, len);
		atomic_store_explicit(&words[i], w, memory_order_relaxed);
	}
	atomic_store_explicit(seq, s + 2, memory_order_release);
}

/*
 * Copy once; 0 when the copy is whole.  An odd counter means the writer
 * is inside: do not even copy.
 */
static int seq_try(_Atomic uint32_t *seq, _Atomic uint64_t *words,
		   void *dst, size_t bytes)
{
	size_t n = (bytes + 7) / 8;
	uint32_t s1, s2;
	uint64_t w;

	s1 = atomic_load_explicit(seq, memory_order_acquire);
	if (s1 & 1u)
		return -EAGAIN;
	for (size_t i = 0; i < n; i++) {
		size_t len = bytes - i * 8 < 8 ? bytes - i * 8 : 8;
		w = atomic_load_explicit(&words[i], memory_order_relaxed);
		memcpy((uint8_t *)dst + i * 8, &w, len);
	}
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(seq, memory_order_relaxed);
	return s1 == s2 ? 0 : -EAGAIN;
}

/*
 * A writer publishes in a microsecond or two.  One that stays inside
 * longer is stopped or dead (killed mid-write): retrying would spin for
 * ever, so the reader gives up after SEQ_TRIES_MIN tries and SEQ_WAIT_NS.
 */
int sb_seq_read(_Atomic uint32_t *seq, _Atomic uint64_t *words, void *dst,
		size_t bytes)
{
	uint64_t until = 0;

	for (uint32_t k = 0;; k++) {
		if (seq_try(seq, words, dst, bytes) == 0)
			return 0;
		if (k + 1 < SEQ_TRIES_MIN || (k & 15u))
			continue;
		if (!until)
			until = sb_now_ns() + SEQ_WAIT_NS;
		else if (sb_now_ns() >= until)
			return -EAGAIN;
	}
}

void sb_status_publish(const struct sb_arena *a, const struct sb_status *s)
{
	struct sb_status_block *b = sb_arena_at(a, a->hdr->off_status);

	sb_seq_publish(&b->seq, b->words, s, sizeof(*s));
}

int sb_status_read(const struct sb_arena *a, struct sb_status *s)
{
	struct sb_status_block *b = sb_arena_at(a, a->hdr->off_status);

	return sb_seq_read(&b->seq, b->words, s, sizeof(*s));
}

void sb_looper_publish(const struct sb_arena *a,
		       const struct sb_looper_status *s)
{
	struct sb_looper_block *b = sb_arena_at(a, a->hdr->off_looper);

	sb_seq_publish(&b->seq, b->words, s, sizeof(*s));
}

int sb_looper_read(const struct sb_arena *a, struct sb_looper_status *s)
{
	struct sb_looper_block *b = sb_arena_at(a, a->hdr->off_looper);

	return sb_seq_read(&b->seq, b->words, s, sizeof(*s));
}
