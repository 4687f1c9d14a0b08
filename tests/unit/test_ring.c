/*
 * test_ring.c - the SPSC ring (rt/ring.h) on its own, across the 2^32
 * index wrap, between two processes over real POSIX shared memory, and
 * inside a real arena; plus the status seqlock under a racing writer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt/common/arena.h"

#define STRESS_MSGS 10000000ull
#define STRESS_SLOTS 1024u
#define STRESS_TIMEOUT_S 120

/* A ring in ordinary memory, laid out the way the arena lays it out. */
static struct sb_ring *ring_new(uint32_t cap, uint32_t es)
{
	size_t bytes = sizeof(struct sb_ring) + sb_ring_data_bytes(cap, es);
	struct sb_ring *r;

	/* C11 wants the size to be a multiple of the alignment. */
	bytes = (bytes + SB_CACHELINE - 1) & ~(size_t)(SB_CACHELINE - 1);
	r = aligned_alloc(SB_CACHELINE, bytes);

	assert_non_null(r);
	assert_int_equal(sb_ring_init(r, cap, es, sizeof(struct sb_ring)), 0);
	return r;
}

/* Move both indices as if idx elements had already passed through. */
static void ring_set_index(struct sb_ring *r, uint32_t idx)
{
	atomic_store(&r->head, idx);
	atomic_store(&r->tail, idx);
}

static void test_init_rejects(void **state)
{
	struct sb_ring r;

	(void)state;
	assert_int_equal(sb_ring_init(&r, 0, 4, 0), -EINVAL);
	assert_int_equal(sb_ring_init(&r, 1000, 4, 0), -EINVAL);
	assert_int_equal(sb_ring_init(&r, 1024, 0, 0), -EINVAL);
	assert_int_equal(sb_ring_init(&r, 1u << 31, 4, 0), -EINVAL);
}

static void test_empty(void **state)
{
	struct sb_ring *r = ring_new(8, 4);
	uint32_t v = 0xdead, buf[4];

	(void)state;
	assert_int_equal(sb_ring_read_space(r), 0);
	assert_int_equal(sb_ring_write_space(r), 8);
	assert_int_equal(sb_ring_pop(r, &v), -EAGAIN);
	assert_int_equal(sb_ring_peek(r, &v), -EAGAIN);
	assert_int_equal(sb_ring_read(r, buf, 4), 0);
	assert_int_equal(v, 0xdead);	/* nothing written on failure */
	free(r);
}

static void test_full(void **state)
{
	struct sb_ring *r = ring_new(8, 4);
	uint32_t v;

	(void)state;
	for (v = 0; v < 8; v++)
		assert_int_equal(sb_ring_push(r, &v), 0);
	assert_int_equal(sb_ring_write_space(r), 0);
	assert_int_equal(sb_ring_read_space(r), 8);
	assert_int_equal(sb_ring_push(r, &v), -EAGAIN);
	assert_int_equal(sb_ring_write(r, &v, 1), 0);
	assert_int_equal(sb_ring_pop(r, &v), 0);
	assert_int_equal(v, 0);
	v = 100;
	assert_int_equal(sb_ring_push(r, &v), 0);
	assert_int_equal(sb_ring_push(r, &v), -EAGAIN);
	free(r);
}

static void test_order(void **state)
{
	struct sb_ring *r = ring_new(16, 8);
	uint64_t next_in = 0, next_out = 0, v;

	(void)state;
	/* Uneven push/pop batches walk the indices round the ring often. */
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 1 + round % 16; i++, next_in++)
			if (sb_ring_push(r, &next_in))
				break;
		while (!sb_ring_pop(r, &v))
			assert_true(v == next_out++);
	}
	assert_true(next_out == next_in);
	free(r);
}

static void test_wrap_32bit(void **state)
{
	struct sb_ring *r = ring_new(64, 4);
	uint32_t v;

	(void)state;
	ring_set_index(r, 0xFFFFFFF0u);
	assert_int_equal(sb_ring_read_space(r), 0);
	assert_int_equal(sb_ring_write_space(r), 64);
	/* Fill it completely: head passes 2^32 while tail has not. */
	for (v = 0; v < 64; v++)
		assert_int_equal(sb_ring_push(r, &v), 0);
	assert_int_equal(atomic_load(&r->head), 0x30);
	assert_int_equal(sb_ring_read_space(r), 64);
	assert_int_equal(sb_ring_write_space(r), 0);
	assert_int_equal(sb_ring_push(r, &v), -EAGAIN);
	for (uint32_t want = 0; want < 64; want++) {
		assert_int_equal(sb_ring_pop(r, &v), 0);
		assert_int_equal(v, want);
	}
	assert_int_equal(sb_ring_pop(r, &v), -EAGAIN);
	assert_int_equal(atomic_load(&r->tail), 0x30);
	free(r);
}

static void test_bulk_across_wrap(void **state)
{
	struct sb_ring *r = ring_new(16, 4);
	uint32_t in[20], out[20], next = 0;

	(void)state;
	/* Index 0xFFFFFFF0 + 10: the next write splits at the array end. */
	ring_set_index(r, 0xFFFFFFF0u + 10);
	for (int round = 0; round < 50; round++) {
		uint32_t n = 3 + round % 14, got, i;

		for (i = 0; i < n; i++)
			in[i] = next + i;
		assert_int_equal(sb_ring_write(r, in, n), n);
		got = sb_ring_read(r, out, n / 2);
		got += sb_ring_read(r, out + got, 20);
		assert_int_equal(got, n);
		for (i = 0; i < n; i++)
			assert_int_equal(out[i], next + i);
		next += n;
	}
	/* Asking for more than fits writes what fits. */
	for (int i = 0; i < 20; i++)
		in[i] = 1000 + i;
	assert_int_equal(sb_ring_write(r, in, 20), 16);
	assert_int_equal(sb_ring_read(r, out, 20), 16);
	assert_memory_equal(in, out, 16 * sizeof(uint32_t));
	free(r);
}

static void test_peek(void **state)
{
	struct sb_ring *r = ring_new(4, 4);
	uint32_t a = 11, b = 22, v = 0;

	(void)state;
	ring_set_index(r, 0xFFFFFFFFu);	/* a and b straddle the wrap */
	sb_ring_push(r, &a);
	sb_ring_push(r, &b);
	assert_int_equal(sb_ring_peek(r, &v), 0);
	assert_int_equal(v, 11);
	assert_int_equal(sb_ring_peek(r, &v), 0);
	assert_int_equal(v, 11);
	assert_int_equal(sb_ring_read_space(r), 2);
	assert_int_equal(sb_ring_pop(r, &v), 0);
	assert_int_equal(v, 11);
	assert_int_equal(sb_ring_peek(r, &v), 0);
	assert_int_equal(v, 22);
	free(r);
}

static void test_skip_all(void **state)
{
	struct sb_ring *r = ring_new(8, 4);
	uint32_t v;

	(void)state;
	assert_int_equal(sb_ring_skip_all(r), 0);
	ring_set_index(r, 0xFFFFFFFDu);
	for (v = 0; v < 5; v++)
		sb_ring_push(r, &v);
	assert_int_equal(sb_ring_skip_all(r), 5);
	assert_int_equal(sb_ring_read_space(r), 0);
	assert_int_equal(sb_ring_write_space(r), 8);
	assert_int_equal(sb_ring_pop(r, &v), -EAGAIN);
	v = 77;
	sb_ring_push(r, &v);
	v = 0;
	assert_int_equal(sb_ring_pop(r, &v), 0);
	assert_int_equal(v, 77);
	free(r);
}

/* --- two processes over POSIX shared memory --- */

struct stress_msg {
	uint64_t seq;
	uint64_t check;		/* a function of seq: catches torn copies */
};

static uint64_t stress_check(uint64_t seq)
{
	return (seq * 0x9E3779B97F4A7C15ull) ^ 0xA5A5A5A5A5A5A5A5ull;
}

static size_t stress_bytes(void)
{
	return sizeof(struct sb_ring) +
	       sb_ring_data_bytes(STRESS_SLOTS, sizeof(struct stress_msg));
}

/* Producer: batches of 1..31, so single pushes and split writes mix. */
static void stress_produce(struct sb_ring *r)
{
	struct stress_msg buf[32];
	uint64_t seq = 0;

	while (seq < STRESS_MSGS) {
		uint32_t n = 1 + (uint32_t)(seq % 31), got;

		if (n > STRESS_MSGS - seq)
			n = (uint32_t)(STRESS_MSGS - seq);
		for (uint32_t i = 0; i < n; i++) {
			buf[i].seq = seq + i;
			buf[i].check = stress_check(seq + i);
		}
		got = sb_ring_write(r, buf, n);
		if (!got)
			sched_yield();
		seq += got;
	}
}

/* The child maps the object on its own, at an address of its choosing. */
static void stress_child(const char *name)
{
	int fd = shm_open(name, O_RDWR, 0);
	void *p;

	alarm(STRESS_TIMEOUT_S);
	if (fd < 0)
		_exit(2);
	p = mmap(NULL, stress_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	close(fd);
	if (p == MAP_FAILED)
		_exit(3);
	stress_produce(p);
	_exit(0);
}

static int child_gone(pid_t pid)
{
	int st;

	return waitpid(pid, &st, WNOHANG) == pid;
}

/* Consumer: returns how many arrived in order before the first fault. */
static uint64_t stress_consume(struct sb_ring *r, pid_t child)
{
	struct stress_msg buf[17];
	uint64_t next = 0;
	unsigned idle = 0;

	while (next < STRESS_MSGS) {
		uint32_t got = sb_ring_read(r, buf, 1 + (uint32_t)(next % 17));

		if (!got) {
			sched_yield();
			if (++idle % 65536 == 0 && child_gone(child))
				return next;
			continue;
		}
		for (uint32_t i = 0; i < got; i++, next++)
			if (buf[i].seq != next ||
			    buf[i].check != stress_check(next))
				return next;
	}
	return next;
}

static void test_two_process_stress(void **state)
{
	char name[64];
	struct sb_ring *r;
	uint64_t done;
	uint32_t left;
	int fd, st = 0;
	pid_t pid;

	(void)state;
	snprintf(name, sizeof(name), "/sb-test-ring-%d", (int)getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)stress_bytes()), 0);
	r = mmap(NULL, stress_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	close(fd);
	assert_true(r != MAP_FAILED);
	assert_int_equal(sb_ring_init(r, STRESS_SLOTS,
				      sizeof(struct stress_msg),
				      sizeof(struct sb_ring)), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		stress_child(name);
	alarm(STRESS_TIMEOUT_S);
	done = stress_consume(r, pid);
	if (done != STRESS_MSGS)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	alarm(0);
	left = sb_ring_read_space(r);
	munmap(r, stress_bytes());
	shm_unlink(name);
	if (done != STRESS_MSGS)
		print_error("message %llu lost, torn or out of order\n",
			    (unsigned long long)done);
	assert_true(done == STRESS_MSGS);
	assert_int_equal(left, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* --- through a real arena --- */

static void small_geom(struct sb_arena_geom *g)
{
	sb_arena_geom_default(g);
	g->cmd_slots = 64;
	g->evt_slots = 128;
	g->chunk_frames = 64;
	g->n_chunks = 4;
	g->tap_frames = 64;
	g->plan_slots = 2;
	g->plan_slot_bytes = 4096;
	g->heap_bytes = 4096;
}

struct arena_pair {
	char instance[SB_INSTANCE_MAX + 1];
	struct sb_arena eng;	/* the engine's mapping */
	struct sb_arena srv;	/* the server's, at another address */
};

static int arena_setup(void **state)
{
	struct arena_pair *p = calloc(1, sizeof(*p));
	struct sb_arena_geom g;
	char err[256];
	int reused;

	if (!p)
		return -1;
	snprintf(p->instance, sizeof(p->instance), "ut-ring-%d",
		 (int)getpid());
	small_geom(&g);
	if (sb_arena_open_engine(&p->eng, p->instance, &g, &reused, err,
				 sizeof(err)) ||
	    sb_arena_attach(&p->srv, p->instance, err, sizeof(err))) {
		fprintf(stderr, "arena: %s\n", err);
		sb_arena_detach(&p->eng);
		sb_arena_unlink(p->instance);
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

static int arena_teardown(void **state)
{
	struct arena_pair *p = *state;

	sb_arena_detach(&p->srv);
	sb_arena_detach(&p->eng);
	sb_arena_unlink(p->instance);
	free(p);
	return 0;
}

static void msg_fill(struct sb_msg *m, uint32_t k)
{
	m->type = (uint16_t)(k % 5);
	m->flags = (uint16_t)~k;
	m->id = k * 2654435761u;
	for (int i = 0; i < 56; i++)
		m->u.raw[i] = (uint8_t)(k * 31 + i * 7);
}

static void test_arena_cmd_ring(void **state)
{
	struct arena_pair *p = *state;
	struct sb_ring *tx = sb_arena_ring(&p->srv, p->srv.hdr->off_cmd);
	struct sb_ring *rx = sb_arena_ring(&p->eng, p->eng.hdr->off_cmd);
	struct sb_msg in, out;
	uint32_t k;

	assert_true(p->srv.base != p->eng.base);
	assert_int_equal(tx->capacity, 64);
	assert_int_equal(tx->elem_size, sizeof(struct sb_msg));
	for (int round = 0; round < 3; round++) {
		for (k = 0; k < 64; k++) {
			msg_fill(&in, round * 64 + k);
			assert_int_equal(sb_ring_push(tx, &in), 0);
		}
		assert_int_equal(sb_ring_push(tx, &in), -EAGAIN);
		for (k = 0; k < 64; k++) {
			msg_fill(&in, round * 64 + k);
			assert_int_equal(sb_ring_pop(rx, &out), 0);
			assert_memory_equal(&in, &out, sizeof(in));
		}
		assert_int_equal(sb_ring_pop(rx, &out), -EAGAIN);
	}
}

static void test_arena_evt_ring(void **state)
{
	struct arena_pair *p = *state;
	struct sb_ring *tx = sb_arena_ring(&p->eng, p->eng.hdr->off_evt);
	struct sb_ring *rx = sb_arena_ring(&p->srv, p->srv.hdr->off_evt);
	struct sb_msg in = { .type = SB_EVT_PONG, .id = 42 }, out;

	in.u.ping.t_sent_ns = 123456789012345ull;
	in.u.ping.engine_frame = 987654321ull;
	assert_int_equal(tx->capacity, 128);
	assert_int_equal(sb_ring_push(tx, &in), 0);
	assert_int_equal(sb_ring_pop(rx, &out), 0);
	assert_int_equal(out.type, SB_EVT_PONG);
	assert_int_equal(out.id, 42);
	assert_true(out.u.ping.t_sent_ns == 123456789012345ull);
	assert_true(out.u.ping.engine_frame == 987654321ull);
}

/* --- status seqlock --- */

#define SEQLOCK_RUN_NS 500000000ull

struct seq_ctx {
	const struct sb_arena *a;
	atomic_int stop;
};

/* Every field is a function of k, so a mixed copy cannot pass. */
static void status_for(struct sb_status *s, uint64_t k)
{
	memset(s, 0, sizeof(*s));
	s->frames = k;
	s->jack_frame = k * 7 + 1;
	s->cycles = k ^ 0x5555;
	s->missed_frames = ~k;
	s->generation = k << 3;
	s->sample_rate = (uint32_t)k;
	s->period = (uint32_t)(k * 3);
	s->n_inputs = (uint32_t)(k >> 1);
	s->xruns = (uint32_t)(k + 9);
	s->evt_dropped = (uint32_t)(k * 5);
	s->cmd_count = (uint32_t)~k;
	s->dsp_load = (float)(k & 0xffff);
	s->dsp_load_peak = (float)((k + 1) & 0xffff);
	for (int i = 0; i < SB_MAX_INPUTS; i++)
		s->peak[i] = (float)((k + i) & 0xffff);
}

static void *seq_writer(void *arg)
{
	struct seq_ctx *c = arg;
	struct sb_status s;

	for (uint64_t k = 1; !atomic_load(&c->stop); k++) {
		status_for(&s, k);
		sb_status_publish(c->a, &s);
	}
	return NULL;
}

static void test_status_seqlock(void **state)
{
	struct arena_pair *p = *state;
	struct seq_ctx c = { .a = &p->eng };
	struct sb_status got, want;
	uint64_t t_end, last = 0, reads = 0, changes = 0, torn = 0;
	pthread_t th;

	status_for(&want, 0);
	sb_status_publish(&p->eng, &want);
	assert_int_equal(pthread_create(&th, NULL, seq_writer, &c), 0);
	t_end = sb_now_ns() + SEQLOCK_RUN_NS;
	while (sb_now_ns() < t_end) {
		if (sb_status_read(&p->srv, &got))
			continue;	/* stale: the writer was inside too long */
		status_for(&want, got.frames);
		torn += memcmp(&got, &want, sizeof(got)) != 0;
		assert_true(got.frames >= last);
		changes += got.frames != last;
		last = got.frames;
		reads++;
	}
	atomic_store(&c.stop, 1);
	pthread_join(th, NULL);
	assert_true(torn == 0);
	assert_true(reads > 1000);
	/*
	 * The race really happened.  On a busy two-core box the threads may
	 * mostly take turns on one core, so only ask for a few overlaps.
	 */
	assert_true(changes >= 10);
}

/*
 * An engine killed inside sb_status_publish leaves the counter odd: a
 * reader gives up (-EAGAIN) instead of spinning, in bounded time, and
 * reads normally again once a writer publishes.
 */
static void test_status_writer_dead(void **state)
{
	struct arena_pair *p = *state;
	struct sb_status_block *b = sb_arena_at(&p->eng, p->eng.hdr->off_status);
	struct sb_looper_block *lb = sb_arena_at(&p->eng,
						 p->eng.hdr->off_looper);
	static struct sb_looper_status ls;
	struct sb_status got, want;
	uint32_t seq;

	status_for(&want, 77);
	sb_status_publish(&p->eng, &want);
	assert_int_equal(sb_status_read(&p->srv, &got), 0);
	assert_memory_equal(&got, &want, sizeof(got));
	seq = atomic_load(&b->seq);
	atomic_store(&b->seq, seq + 1);		/* died mid-write */
	assert_int_equal(sb_status_read(&p->srv, &got), -EAGAIN);
	atomic_store(&lb->seq, atomic_load(&lb->seq) | 1u);
	assert_int_equal(sb_looper_read(&p->srv, &ls), -EAGAIN);
	atomic_store(&b->seq, seq);		/* a new writer repairs it */
	status_for(&want, 78);
	sb_status_publish(&p->eng, &want);
	assert_int_equal(sb_status_read(&p->srv, &got), 0);
	assert_memory_equal(&got, &want, sizeof(got));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_wrap_32bit),
		cmocka_unit_test(test_bulk_across_wrap),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_skip_all),
		cmocka_unit_test(test_two_process_stress),
		cmocka_unit_test_setup_teardown(test_arena_cmd_ring,
						arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown(test_arena_evt_ring,
						arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown(test_status_seqlock,
						arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown(test_status_writer_dead,
						arena_setup, arena_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
