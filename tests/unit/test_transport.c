/*
 * test_transport.c - the beat clock (rt/dsp/transport.c): beats land on the
 * exact frames of the anchored grid whatever the block sizes, every beat
 * is reported once, bars follow the meter, tempo and meter changes wait
 * for the next beat, missed time keeps the grid, start/stop/restart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rt/dsp/transport.h"

#define RATE 48000u

/* Every beat a run reported, in order. */
struct log {
	int64_t index[4096];
	uint64_t pos[4096];
	int64_t bar[4096];
	uint32_t in_bar[4096];
	size_t n;
};

static int send(struct sb_transport *t, uint16_t type, double d, int64_t i)
{
	struct sb_msg m = { .type = type };

	if (type == SB_CMD_TRANSPORT_TEMPO)
		m.u.tempo.bpm = d;
	else
		m.u.meter.beats_per_bar = (int32_t)i;
	return sb_transport_cmd(t, &m);
}

/* One block; beats are logged with their transport frame. */
static void block(struct sb_transport *t, uint32_t nframes, uint32_t missed,
		  struct sb_beats *b, struct log *lg)
{
	sb_transport_cycle(t, nframes, missed, b);
	assert_true(b->n <= SB_BEATS_MAX);
	for (uint32_t i = 0; i < b->n; i++) {
		assert_true(b->beat[i].offset < nframes);
		if (i > 0)
			assert_true(b->beat[i].offset > b->beat[i - 1].offset);
		if (!lg || lg->n >= 4096)
			continue;
		lg->index[lg->n] = b->beat[i].index;
		lg->pos[lg->n] = b->pos + b->beat[i].offset;
		lg->bar[lg->n] = b->beat[i].bar;
		lg->in_bar[lg->n] = b->beat[i].beat_in_bar;
		lg->n++;
	}
}

/* Run until transport frame `until` (block end), block sizes cycling. */
static void run_to(struct sb_transport *t, uint64_t until,
		   const uint32_t *sizes, size_t n_sizes, struct log *lg)
{
	struct sb_beats b;
	size_t s = 0;

	while (t->pos < until) {
		uint32_t n = sizes[s++ % n_sizes];

		if (t->pos + n > until)
			n = (uint32_t)(until - t->pos);
		block(t, n, 0, &b, lg);
	}
}

static struct sb_transport *started(double bpm, int64_t bpb)
{
	static struct sb_transport t;

	sb_transport_init(&t, RATE);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_TEMPO, bpm, 0), 0);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_METER, 0, bpb), 0);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_START, 0, 0), 0);
	return &t;
}

static uint64_t grid(double bpm, int64_t k)
{
	return (uint64_t)llround((double)k * 60.0 * RATE / bpm);
}

/* Beats 0..n-1 reported once each, in order, at grid(bpm, k). */
static void check_grid(const struct log *lg, double bpm, size_t n)
{
	assert_true(lg->n >= n);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(lg->index[k], (int64_t)k);
		assert_int_equal(lg->pos[k], grid(bpm, (int64_t)k));
	}
}

static struct log lg;

static void test_120_blocks_256(void **state)
{
	static const uint32_t sz[] = { 256 };
	struct sb_transport *t = started(120.0, 4);

	(void)state;
	memset(&lg, 0, sizeof(lg));
	run_to(t, 24000ull * 4000, sz, 1, &lg);
	assert_int_equal(lg.n, 4000);
	check_grid(&lg, 120.0, 4000);
	assert_int_equal(lg.pos[3999], 24000ull * 3999);
}

static void test_120_odd_blocks(void **state)
{
	static const uint32_t sz[] = { 97, 1, 4096, 255, 1021, 24000, 23999 };
	struct sb_transport *t = started(120.0, 4);

	(void)state;
	memset(&lg, 0, sizeof(lg));
	run_to(t, 24000ull * 4000 + 1, sz, 7, &lg);
	assert_int_equal(lg.n, 4001);
	check_grid(&lg, 120.0, 4001);
}

static void test_fractional_bpm(void **state)
{
	static const uint32_t sz[] = { 97 };
	struct sb_transport *t = started(133.7, 4);
	struct sb_beats b;

	(void)state;
	memset(&lg, 0, sizeof(lg));
	run_to(t, grid(133.7, 4000) + 1, sz, 1, &lg);
	assert_int_equal(lg.n, 4001);
	check_grid(&lg, 133.7, 4001);
	assert_int_equal(sb_transport_beat_pos(t, 4000), grid(133.7, 4000));
	block(t, 64, 0, &b, NULL);
	assert_true(fabs(b.frames_per_beat - 60.0 * RATE / 133.7) < 1e-9);
	assert_int_equal(b.last_beat, 4000);
}

static void check_bars(int64_t bpb)
{
	static const uint32_t sz[] = { 97, 256 };
	struct sb_transport *t = started(120.0, bpb);

	memset(&lg, 0, sizeof(lg));
	run_to(t, 24000ull * 100, sz, 2, &lg);
	assert_int_equal(lg.n, 100);
	for (size_t k = 0; k < lg.n; k++) {
		assert_int_equal(lg.bar[k], (int64_t)k / bpb);
		assert_int_equal(lg.in_bar[k], (uint32_t)((int64_t)k % bpb));
	}
}

static void test_bars_3_4(void **state)
{
	(void)state;
	check_bars(3);
}

static void test_bars_7_8(void **state)
{
	(void)state;
	check_bars(7);
}

/* A change mid-beat 10 takes effect at beat 11, on the old beat-11 frame. */
static void test_tempo_change(void **state)
{
	static const uint32_t sz[] = { 97 };
	struct sb_transport *t = started(120.0, 4);
	uint64_t a = 24000ull * 11;

	(void)state;
	memset(&lg, 0, sizeof(lg));
	run_to(t, 24000ull * 10 + 5000, sz, 1, &lg);
	assert_int_equal(send(t, SB_CMD_TRANSPORT_TEMPO, 133.7, 0), 0);
	assert_true(t->bpm == 120.0);	/* not before the beat */
	run_to(t, a + grid(133.7, 200) + 1, sz, 1, &lg);
	assert_true(t->bpm == 133.7);
	assert_int_equal(lg.n, 212);
	check_grid(&lg, 120.0, 12);
	for (size_t k = 11; k < lg.n; k++) {
		assert_int_equal(lg.index[k], (int64_t)k);
		assert_int_equal(lg.pos[k], a + grid(133.7, (int64_t)k - 11));
	}
}

/* Setting the tempo it already has must not move the grid. */
static void test_same_tempo_keeps_grid(void **state)
{
	static const uint32_t sz[] = { 256 };
	struct sb_transport *t = started(133.7, 4);

	(void)state;
	memset(&lg, 0, sizeof(lg));
	run_to(t, grid(133.7, 3) + 10, sz, 1, &lg);
	assert_int_equal(send(t, SB_CMD_TRANSPORT_TEMPO, 133.7, 0), 0);
	run_to(t, grid(133.7, 500) + 1, sz, 1, &lg);
	check_grid(&lg, 133.7, 501);
}

/* 4/4, change to 3 during beat 5 (bar 1): beat 6 opens bar 2. */
static void test_meter_change(void **state)
{
	static const uint32_t sz[] = { 256 };
	struct sb_transport *t = started(120.0, 4);

	(void)state;
	memset(&lg, 0, sizeof(lg));
	run_to(t, 24000ull * 5 + 100, sz, 1, &lg);
	assert_int_equal(send(t, SB_CMD_TRANSPORT_METER, 0, 3), 0);
	run_to(t, 24000ull * 20, sz, 1, &lg);
	assert_int_equal(lg.n, 20);
	check_grid(&lg, 120.0, 20);
	assert_int_equal(lg.bar[5], 1);
	assert_int_equal(lg.in_bar[5], 1);
	for (size_t k = 6; k < 20; k++) {
		assert_int_equal(lg.bar[k], 2 + ((int64_t)k - 6) / 3);
		assert_int_equal(lg.in_bar[k], ((uint32_t)k - 6) % 3);
	}
	/* on a bar line the bar number just goes on */
	run_to(t, 24000ull * 21 - 5, sz, 1, &lg);	/* in beat 20 */
	assert_int_equal(send(t, SB_CMD_TRANSPORT_METER, 0, 2), 0);
	run_to(t, 24000ull * 24, sz, 1, &lg);
	assert_int_equal(lg.bar[21], 7);	/* beat 21 = bar 7 in 3 */
	assert_int_equal(lg.in_bar[21], 0);
	assert_int_equal(lg.bar[23], 8);
}

/* Missed frames pass the beats in the gap; later ones stay on the grid. */
static void test_missed(void **state)
{
	static const uint32_t sz[] = { 256 };
	struct sb_transport *t = started(133.7, 4);
	struct sb_beats b;
	size_t before;

	(void)state;
	memset(&lg, 0, sizeof(lg));
	run_to(t, 100000, sz, 1, &lg);
	before = lg.n;
	block(t, 256, 123457, &b, &lg);
	assert_int_equal(b.missed, 123457);
	assert_int_equal(b.pos, 100000 + 123457);
	run_to(t, grid(133.7, 100) + 1, sz, 1, &lg);
	check_grid(&lg, 133.7, before);
	for (size_t j = before; j < lg.n; j++) {
		assert_int_equal(lg.pos[j], grid(133.7, lg.index[j]));
		if (j > before)
			assert_int_equal(lg.index[j], lg.index[j - 1] + 1);
	}
	assert_true(lg.pos[before] >= 100000 + 123457);
	assert_true(grid(133.7, lg.index[before] - 1) < 100000 + 123457);
	assert_int_equal(lg.index[lg.n - 1], 100);
}

/* A tempo change pending over an xrun lands on the first beat passed. */
static void test_missed_with_pending_tempo(void **state)
{
	static const uint32_t sz[] = { 256 };
	struct sb_transport *t = started(120.0, 4);
	struct sb_beats b;

	(void)state;
	memset(&lg, 0, sizeof(lg));
	run_to(t, 24000ull * 2 + 10, sz, 1, &lg);
	assert_int_equal(send(t, SB_CMD_TRANSPORT_TEMPO, 90.0, 0), 0);
	block(t, 256, 100000, &b, &lg);	/* beats 3..5 in the gap */
	run_to(t, 24000ull * 3 + 32000ull * 10 + 1, sz, 1, &lg);
	assert_int_equal(lg.index[lg.n - 1], 13);
	for (size_t j = 3; j < lg.n; j++)
		assert_int_equal(lg.pos[j], 72000 + 32000 *
				 (uint64_t)(lg.index[j] - 3));
}

static void test_start_stop(void **state)
{
	struct sb_transport t;
	struct sb_beats b;

	(void)state;
	sb_transport_init(&t, RATE);
	block(&t, 256, 0, &b, NULL);
	assert_int_equal(b.running, 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.last_beat, -1);
	/* stopped: changes apply at once */
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_TEMPO, 90.0, 0), 0);
	assert_true(t.bpm == 90.0);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_START, 0, 0), 0);
	block(&t, 256, 5000, &b, NULL);	/* missed before a start: ignored */
	assert_int_equal(b.running, 1);
	assert_int_equal(b.pos, 0);
	assert_int_equal(b.start_offset, 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.beat[0].offset, 0);
	assert_int_equal(b.beat[0].index, 0);
	assert_int_equal(b.beat[0].beat_in_bar, 0);
	assert_int_equal(b.last_beat, 0);
	for (int i = 0; i < 200; i++)
		block(&t, 256, 0, &b, NULL);
	assert_int_equal(b.pos, 200 * 256);
	assert_int_equal(b.last_beat, 1);
	/* start while running: back to 0 */
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_START, 0, 0), 0);
	block(&t, 256, 0, &b, NULL);
	assert_int_equal(b.pos, 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.beat[0].index, 0);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_STOP, 0, 0), 0);
	block(&t, 256, 0, &b, NULL);
	assert_int_equal(b.running, 0);
	assert_int_equal(b.stopped_at, 1);
	assert_int_equal(b.stop_offset, 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.last_beat, -1);
	block(&t, 256, 0, &b, NULL);
	assert_int_equal(b.stopped_at, 0);
	assert_int_equal(t.pos, 0);
}

static void test_bad_commands(void **state)
{
	struct sb_transport t;
	struct sb_msg m = { .type = 0x1ff };

	(void)state;
	sb_transport_init(&t, RATE);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_TEMPO, 19.99, 0), -EINVAL);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_TEMPO, 300.01, 0), -EINVAL);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_TEMPO, NAN, 0), -EINVAL);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_TEMPO, 20.0, 0), 0);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_TEMPO, 300.0, 0), 0);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_METER, 0, 0), -EINVAL);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_METER, 0, 33), -EINVAL);
	assert_int_equal(send(&t, SB_CMD_TRANSPORT_METER, 0, 32), 0);
	assert_int_equal(sb_transport_cmd(&t, &m), -ENOSYS);
	assert_true(t.bpm == 300.0);
	assert_int_equal(t.beats_per_bar, 32);
}

/* A block longer than SB_BEATS_MAX beats reports only that many. */
static void test_beats_max(void **state)
{
	struct sb_transport *t = started(300.0, 4);	/* 9600 frames/beat */
	struct sb_beats b;

	(void)state;
	block(t, 100000, 0, &b, NULL);	/* beats 0..10 start here */
	assert_int_equal(b.n, SB_BEATS_MAX);
	for (uint32_t i = 0; i < b.n; i++)
		assert_int_equal(b.beat[i].offset, 9600 * i);
	assert_int_equal(b.last_beat, 10);
	block(t, 20000, 0, &b, NULL);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.beat[0].index, 11);
	assert_int_equal(b.pos + b.beat[0].offset, 9600 * 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_120_blocks_256),
		cmocka_unit_test(test_120_odd_blocks),
		cmocka_unit_test(test_fractional_bpm),
		cmocka_unit_test(test_bars_3_4),
		cmocka_unit_test(test_bars_7_8),
		cmocka_unit_test(test_tempo_change),
		cmocka_unit_test(test_same_tempo_keeps_grid),
		cmocka_unit_test(test_meter_change),
		cmocka_unit_test(test_missed),
		cmocka_unit_test(test_missed_with_pending_tempo),
		cmocka_unit_test(test_start_stop),
		cmocka_unit_test(test_bad_commands),
		cmocka_unit_test(test_beats_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
