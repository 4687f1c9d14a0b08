/*
 * test_looper.c - the looper subsystem (rt/looper/) driven
 * without JACK: an arena laid out in ordinary memory, the real transport
 * (rt/dsp/transport.c), a fake server that keeps chunk_free stocked, saves
 * what arrives in chunk_filled and recycles chunk_release, and blocks of
 * a known input signal.  Checked: record length and onset on the beat,
 * bit-exact playback apart from the declick fades, overdub sums, undo and
 * redo restore layers bit-exactly, clear gives every chunk back, chunk
 * headers and the owner map, column length from an open recording,
 * missed time, and running out of chunk memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt/common/config.h"
#include "rt/looper/looper.h"
#include "rt/dsp/transport.h"

#define RATE 48000u
#define BLOCK 64u
#define BEAT 24000u		/* 120 BPM */
#define LOOP (4 * BEAT)
#define DECLICK 64u
#define MAX_FRAMES (30 * RATE)
#define MAX_EVTS 4096

static struct {
	struct sb_arena a;
	struct sb_config cfg;
	struct sb_rt_ctx ctx;
	struct sb_transport tr;
	struct sb_beats beats;
	void *st;
	uint64_t frame;			/* engine frame of the next block */
	float *out_l, *out_r;		/* everything the looper played */
	float amp_l, amp_r;		/* input signal levels */
	struct sb_msg evt[MAX_EVTS];
	int n_evt;
	uint32_t filled, released;	/* fake server counters */
	uint32_t stocked;		/* chunks the server may hand out */
	int last_seen[1 << 12];		/* per chunk: LAST flag seen */
} F;

/* The input: deterministic, never repeating within a test. */
static float sig_l(uint64_t f)
{
	return F.amp_l * sinf((float)(f % 100003) * 0.0131f);
}

static float sig_r(uint64_t f)
{
	return F.amp_r * cosf((float)(f % 100019) * 0.0077f);
}

static void emit(void *arg, const struct sb_msg *m)
{
	(void)arg;
	if (F.n_evt < MAX_EVTS)
		F.evt[F.n_evt++] = *m;
}

/* The fake server: save what is filled, recycle what is released. */
static void server_pass(void)
{
	const struct sb_arena_hdr *h = F.a.hdr;
	struct sb_ring *filled = sb_arena_ring(&F.a, h->off_chunk_filled);
	struct sb_ring *rel = sb_arena_ring(&F.a, h->off_chunk_release);
	struct sb_ring *fr = sb_arena_ring(&F.a, h->off_chunk_free);
	_Atomic uint8_t *own = sb_arena_chunk_owner(&F.a);
	uint32_t idx;

	while (sb_ring_pop(filled, &idx) == 0) {
		assert_int_equal(own[idx], SB_OWN_ENGINE);
		F.last_seen[idx] = !!(sb_arena_chunk(&F.a, idx)->flags &
				      SB_CHUNK_LAST);
		F.filled++;
	}
	while (sb_ring_pop(rel, &idx) == 0) {
		assert_int_equal(own[idx], SB_OWN_RELEASED);
		own[idx] = SB_OWN_FREE_RING;
		assert_int_equal(sb_ring_push(fr, &idx), 0);
		F.released++;
	}
}

static int setup(void **state)
{
	struct sb_arena_hdr lay;
	char err[256];

	(void)state;
	memset(&F, 0, sizeof(F));
	sb_config_defaults(&F.cfg);
	F.cfg.geom.n_chunks = 400;
	F.cfg.geom.chunk_frames = 4096;
	assert_int_equal(sb_arena_layout(&F.cfg.geom, &lay, err,
					 sizeof(err)), 0);
	F.a.size = lay.total_size;
	F.a.base = calloc(1, F.a.size);
	assert_non_null(F.a.base);
	F.a.hdr = (struct sb_arena_hdr *)F.a.base;
	*F.a.hdr = lay;
	F.a.hdr->engine_generation = 7;
	F.out_l = calloc(MAX_FRAMES, sizeof(float));
	F.out_r = calloc(MAX_FRAMES, sizeof(float));
	F.amp_l = 0.5f;
	F.amp_r = 0.25f;
	return 0;
}

static void stock(uint32_t n)
{
	const struct sb_arena_hdr *h = F.a.hdr;
	const uint64_t rs = sizeof(struct sb_ring);
	struct sb_ring *fr;

	sb_ring_init(sb_arena_ring(&F.a, h->off_chunk_free),
		     h->chunk_ring_slots, 4, rs);
	sb_ring_init(sb_arena_ring(&F.a, h->off_chunk_filled),
		     h->chunk_ring_slots, 4, rs);
	sb_ring_init(sb_arena_ring(&F.a, h->off_chunk_release),
		     h->chunk_ring_slots, 4, rs);
	fr = sb_arena_ring(&F.a, h->off_chunk_free);
	for (uint32_t i = 0; i < h->geom.n_chunks; i++) {
		sb_arena_chunk(&F.a, i)->index = i;
		sb_arena_chunk(&F.a, i)->next = SB_CHUNK_NONE;
		if (i >= n)
			continue;
		sb_arena_chunk_owner(&F.a)[i] = SB_OWN_FREE_RING;
		assert_int_equal(sb_ring_push(fr, &i), 0);
	}
	F.stocked = n;
}

static void start_looper(uint32_t chunks)
{
	char err[256] = "";

	stock(chunks);
	F.ctx.arena = &F.a;
	F.ctx.sample_rate = RATE;
	F.ctx.max_frames = BLOCK;
	F.ctx.n_inputs = 2;
	F.ctx.emit = emit;
	F.ctx.transport = &F.tr;
	F.ctx.cfg = &F.cfg;
	sb_transport_init(&F.tr, RATE);
	assert_int_equal(sb_looper_subsys.init(&F.ctx, &F.st, err,
					       sizeof(err)), 0);
}

static int teardown(void **state)
{
	(void)state;
	if (F.st)
		sb_looper_subsys.fini(F.st);
	free(F.a.base);
	free(F.out_l);
	free(F.out_r);
	return 0;
}

/* A command as the core routes it: transport to the clock, the rest
 * to the looper; the looper's ACK must say 0 (or want). */
static void cmd(uint16_t type, int32_t col, int32_t trk, int32_t value,
		int want)
{
	struct sb_msg m = { .type = type, .id = 99 };

	if (type >= SB_CMD_TRANSPORT_TEMPO && type <= SB_CMD_TRANSPORT_STOP) {
		assert_int_equal(sb_transport_cmd(&F.tr, &m), want);
		return;
	}
	m.u.looper.column = col;
	m.u.looper.track = trk;
	m.u.looper.value = value;
	F.n_evt = 0;
	sb_looper_subsys.handle_cmd(F.st, &m);
	assert_int_equal(F.evt[0].type, SB_EVT_ACK);
	assert_int_equal(F.evt[0].u.ack.status, want);
}

static void action(int32_t col, int32_t trk, int a)
{
	cmd(SB_CMD_LOOPER_ACTION, col, trk, a, 0);
}

/* One block; missed frames before it as in an xrun. */
static void block(uint32_t missed)
{
	static float il[BLOCK], ir[BLOCK], ol[BLOCK], or[BLOCK];
	struct sb_block b = { .nframes = BLOCK, .n_inputs = 2 };

	F.frame += missed;
	for (uint32_t i = 0; i < BLOCK; i++) {
		il[i] = sig_l(F.frame + i);
		ir[i] = sig_r(F.frame + i);
		ol[i] = or[i] = 0.0f;
	}
	sb_transport_cycle(&F.tr, BLOCK, missed, &F.beats);
	b.frame = F.frame;
	b.in[0] = il;
	b.in[1] = ir;
	b.out_l = ol;
	b.out_r = or;
	b.beats = &F.beats;
	sb_looper_subsys.process(F.st, &b);
	assert_true(F.frame + BLOCK <= MAX_FRAMES);
	memcpy(F.out_l + F.frame, ol, sizeof(ol));
	memcpy(F.out_r + F.frame, or, sizeof(or));
	F.frame += BLOCK;
	server_pass();
}

static void run(uint64_t frames)
{
	for (uint64_t f = 0; f < frames; f += BLOCK)
		block(0);
}

/* Run until engine frame `until` (a multiple of BLOCK). */
static void run_to(uint64_t until)
{
	while (F.frame < until)
		block(0);
}

static struct sb_track_status status(int col, int trk)
{
	struct sb_looper_status ls;

	memset(&ls, 0, sizeof(ls));
	sb_looper_subsys.report_looper(F.st, &ls);
	return ls.track[col * SB_MAX_TRACKS + trk];
}

static int32_t column_beats(int col)
{
	struct sb_looper_status ls;

	memset(&ls, 0, sizeof(ls));
	sb_looper_subsys.report_looper(F.st, &ls);
	return ls.column_beats[col];
}

/*
 * out[from .. from+n) must equal in[src .. src+n) exactly (gain g),
 * apart from `skip` frames at both ends (the declick fades).
 */
static void expect_copy(uint64_t from, uint64_t src, uint64_t n,
			uint64_t skip)
{
	for (uint64_t i = skip; i < n - skip; i++) {
		if (F.out_l[from + i] != sig_l(src + i) ||
		    F.out_r[from + i] != sig_r(src + i))
			fail_msg("frame %llu (+%llu): %.9g/%.9g, want %.9g/%.9g",
				 (unsigned long long)(from + i),
				 (unsigned long long)i, F.out_l[from + i],
				 F.out_r[from + i], sig_l(src + i),
				 sig_r(src + i));
	}
}

/* The common start: monitor off, column 0 four beats, transport
 * started at engine frame `at`, track (0,0) recording from beat 0. */
static uint64_t record_one_loop(void)
{
	uint64_t t0;

	start_looper(400);
	cmd(SB_CMD_LOOPER_MONITOR, 0, 0, 0, 0);
	cmd(SB_CMD_LOOPER_COLUMN, 0, 0, 4, 0);
	run(10 * BLOCK);
	t0 = F.frame;
	cmd(SB_CMD_TRANSPORT_START, 0, 0, 0, 0);
	action(0, 0, SB_LA_RECORD);
	block(0);
	assert_int_equal(status(0, 0).state, SB_TRACK_RECORDING);
	run_to(t0 + LOOP);
	block(0);	/* the block holding beat 4, where the take ends */
	return t0;
}

static void test_record_exact(void **state)
{
	uint64_t t0;
	struct sb_track_status s;

	(void)state;
	t0 = record_one_loop();
	s = status(0, 0);
	assert_int_equal(s.state, SB_TRACK_PLAYING);
	assert_int_equal(s.frames, LOOP);
	assert_int_equal(s.stream, (7ull << 32) | 1);
	/* nothing came out while recording */
	for (uint64_t i = t0; i < t0 + LOOP; i++)
		assert_true(F.out_l[i] == 0.0f);
	run(2 * LOOP);
	expect_copy(t0 + LOOP, t0, LOOP, DECLICK);
	expect_copy(t0 + 2 * LOOP, t0, LOOP, DECLICK);
	/* the fades: first frame silent, then rising */
	assert_true(F.out_l[t0 + LOOP] == 0.0f);
	assert_true(fabsf(F.out_l[t0 + LOOP + 32]) <=
		    fabsf(sig_l(t0 + 32)) * 0.51f);
	/* the whole take reached chunk_filled, the last one flagged */
	assert_int_equal(F.filled, (LOOP + 4095) / 4096);
}

static void test_chunk_headers(void **state)
{
	uint32_t n = 0, last = 0;
	uint64_t t0;

	(void)state;
	t0 = record_one_loop();
	for (uint32_t i = 0; i < 400; i++) {
		struct sb_chunk *c = sb_arena_chunk(&F.a, i);

		if (sb_arena_chunk_owner(&F.a)[i] != SB_OWN_ENGINE ||
		    c->stream != ((7ull << 32) | 1))
			continue;
		n++;
		assert_int_equal(c->column, 0);
		assert_int_equal(c->track, 0);
		assert_int_equal(c->start_frame, t0 + (uint64_t)c->seq * 4096);
		assert_int_equal(!!(c->flags & SB_CHUNK_FIRST), c->seq == 0);
		if (c->flags & SB_CHUNK_LAST) {
			last++;
			assert_int_equal(c->frames, LOOP - c->seq * 4096);
			assert_int_equal(c->next, SB_CHUNK_NONE);
		} else {
			assert_int_equal(c->frames, 4096);
		}
	}
	assert_int_equal(n, (LOOP + 4095) / 4096);
	assert_int_equal(last, 1);
}

static void test_overdub_sum_and_undo(void **state)
{
	uint64_t t0, t1, t2;

	(void)state;
	t0 = record_one_loop();
	run(LOOP / 2);
	action(0, 0, SB_LA_OVERDUB);
	run_to(t0 + 2 * LOOP);
	t1 = F.frame;
	block(0);
	assert_int_equal(status(0, 0).state, SB_TRACK_OVERDUBBING);
	assert_int_equal(status(0, 0).layers, 2);
	action(0, 0, SB_LA_PLAY);
	run_to(t1 + LOOP);
	block(0);
	assert_int_equal(status(0, 0).state, SB_TRACK_PLAYING);
	/* next pass: old take + what was played during the overdub */
	run(LOOP);
	for (uint64_t i = DECLICK; i < LOOP - DECLICK; i++) {
		float want = sig_l(t0 + i) + sig_l(t1 + i);

		if (F.out_l[t1 + LOOP + i] != want)
			fail_msg("overdub frame %llu: %.9g want %.9g",
				 (unsigned long long)i,
				 F.out_l[t1 + LOOP + i], want);
	}
	/* undo: the first take again, bit for bit, from the boundary on
	 * (no crossfade: both passes are the layer as stored) */
	action(0, 0, SB_LA_UNDO);
	run_to(t1 + 3 * LOOP);
	t2 = F.frame;
	block(0);
	assert_int_equal(status(0, 0).layer, 0);
	run(LOOP);
	expect_copy(t2, t0, LOOP, DECLICK);
	assert_memory_equal(F.out_l + t2, F.out_l + t0 + LOOP,
			    LOOP * sizeof(float));
	/* redo: the overdub again, as it played right after the overdub */
	action(0, 0, SB_LA_REDO);
	run_to(t2 + 2 * LOOP);
	block(0);
	assert_int_equal(status(0, 0).layer, 1);
	run(LOOP);
	assert_memory_equal(F.out_l + t2 + 2 * LOOP, F.out_l + t1 + LOOP,
			    LOOP * sizeof(float));
	assert_memory_equal(F.out_r + t2 + 2 * LOOP, F.out_r + t1 + LOOP,
			    LOOP * sizeof(float));
	/* the overdub layer was saved as a whole stream too */
	assert_int_equal(F.filled, 2 * ((LOOP + 4095) / 4096));
}

static void test_clear_releases(void **state)
{
	uint32_t owned = 0;

	(void)state;
	record_one_loop();
	run(BLOCK * 4);
	action(0, 0, SB_LA_CLEAR);
	run(LOOP);
	assert_int_equal(status(0, 0).state, SB_TRACK_EMPTY);
	assert_int_equal(F.released, (LOOP + 4095) / 4096);
	for (uint32_t i = 0; i < 400; i++)
		owned += sb_arena_chunk_owner(&F.a)[i] == SB_OWN_ENGINE;
	assert_true(owned <= 4);	/* the small reserve at most */
}

static void test_open_length(void **state)
{
	uint64_t t0;

	(void)state;
	start_looper(400);
	cmd(SB_CMD_LOOPER_MONITOR, 0, 0, 0, 0);
	cmd(SB_CMD_LOOPER_QUANTIZE, 0, 0, SB_Q_BEAT, 0);
	t0 = F.frame;
	cmd(SB_CMD_TRANSPORT_START, 0, 0, 0, 0);
	action(1, 2, SB_LA_RECORD);
	run(2 * BEAT + 1000);
	action(1, 2, SB_LA_PLAY);	/* ends at beat 3 */
	run_to(t0 + 3 * BEAT + BLOCK * 2);
	assert_int_equal(column_beats(1), 3);
	assert_int_equal(status(1, 2).frames, 3 * BEAT);
	assert_int_equal(status(1, 2).state, SB_TRACK_PLAYING);
	run_to(t0 + 6 * BEAT);
	expect_copy(t0 + 3 * BEAT, t0, 3 * BEAT, DECLICK);
}

static void test_xrun_keeps_grid(void **state)
{
	uint64_t t0;

	(void)state;
	t0 = record_one_loop();
	run(BEAT);
	block(1000);		/* 1000 frames missed */
	run_to(t0 + 3 * LOOP);
	/* the loop still starts on its beats, content untouched */
	expect_copy(t0 + 2 * LOOP, t0, LOOP, DECLICK);
}

static void test_xrun_while_recording(void **state)
{
	uint64_t t0, gap;

	(void)state;
	start_looper(400);
	cmd(SB_CMD_LOOPER_MONITOR, 0, 0, 0, 0);
	cmd(SB_CMD_LOOPER_COLUMN, 0, 0, 4, 0);
	t0 = F.frame;
	cmd(SB_CMD_TRANSPORT_START, 0, 0, 0, 0);
	action(0, 0, SB_LA_RECORD);
	run(BEAT + BEAT / 2);
	gap = F.frame - t0;
	block(3 * BLOCK);	/* missed: recorded as silence */
	run_to(t0 + 2 * LOOP);
	assert_int_equal(status(0, 0).frames, LOOP);
	/* silence where time was missed, the take in place around it */
	for (uint64_t i = 0; i < 3 * BLOCK; i++)
		assert_true(F.out_l[t0 + LOOP + gap + i] == 0.0f);
	expect_copy(t0 + LOOP + gap + 4 * BLOCK, t0 + gap + 4 * BLOCK, BLOCK,
		    0);
	expect_copy(t0 + LOOP + 2 * BEAT, t0 + 2 * BEAT, 2 * BEAT, DECLICK);
}

static void test_nomem(void **state)
{
	int nomem = 0;

	(void)state;
	start_looper(10);	/* 40960 frames: less than a 4-beat loop */
	cmd(SB_CMD_LOOPER_COLUMN, 0, 0, 4, 0);
	cmd(SB_CMD_LOOPER_QUANTIZE, 0, 0, SB_Q_BEAT, 0);
	cmd(SB_CMD_TRANSPORT_START, 0, 0, 0, 0);
	action(0, 0, SB_LA_RECORD);
	for (int i = 0; i < (int)(LOOP / BLOCK); i++) {
		block(0);
		for (int e = 0; e < F.n_evt; e++)
			nomem |= F.evt[e].type == SB_EVT_LOOPER_NOMEM;
		F.n_evt = 0;
	}
	assert_true(nomem);
	assert_int_equal(status(0, 0).state, SB_TRACK_PLAYING);
	assert_true(status(0, 0).frames <= 10 * 4096);
	assert_true(status(0, 0).frames >= BEAT);
}

static void test_bad_commands(void **state)
{
	(void)state;
	start_looper(16);
	cmd(SB_CMD_LOOPER_ACTION, 9, 0, SB_LA_RECORD, -EINVAL);
	cmd(SB_CMD_LOOPER_ACTION, 0, 0, 42, -EINVAL);
	cmd(SB_CMD_LOOPER_QUANTIZE, 0, 0, 7, -EINVAL);
	cmd(SB_CMD_LOOPER_COLUMN, -1, 0, 4, -EINVAL);
	cmd(SB_CMD_LOOPER_LOAD, 0, 0, SB_TRACK_PLAYING, -EINVAL);
	cmd(SB_CMD_RANGE_LOOPER_LAST, 0, 0, 0, -ENOSYS);
}

/* out == k * in(src) exactly over [from+skip, from+n-skip) */
static void expect_scaled(uint64_t from, uint64_t src, uint64_t n,
			  uint64_t skip, float k)
{
	for (uint64_t i = skip; i < n - skip; i++)
		if (F.out_l[from + i] != k * sig_l(src + i) ||
		    F.out_r[from + i] != k * sig_r(src + i))
			fail_msg("frame +%llu: %.9g, want %g x %.9g",
				 (unsigned long long)i, F.out_l[from + i], k,
				 sig_l(src + i));
}

static void expect_silence(uint64_t from, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (F.out_l[from + i] != 0.0f || F.out_r[from + i] != 0.0f)
			fail_msg("not silent at +%llu", (unsigned long long)i);
}

/* Run to just past the boundary at engine frame `at`. */
static void cross(uint64_t at)
{
	run_to(at);
	block(0);
}

static void test_mute_solo(void **state)
{
	uint64_t t0, b1, b2, b3, b4;

	(void)state;
	start_looper(400);
	cmd(SB_CMD_LOOPER_MONITOR, 0, 0, 0, 0);
	cmd(SB_CMD_LOOPER_COLUMN, 0, 0, 4, 0);
	t0 = F.frame;
	cmd(SB_CMD_TRANSPORT_START, 0, 0, 0, 0);
	action(0, 0, SB_LA_RECORD);
	action(0, 1, SB_LA_RECORD);
	b1 = t0 + LOOP;		/* bars where the actions land */
	b2 = b1 + LOOP;
	b3 = b2 + LOOP;
	b4 = b3 + LOOP;
	cross(b1);
	action(0, 0, SB_LA_MUTE);
	run_to(b3);
	assert_int_equal(status(0, 0).state, SB_TRACK_MUTED);
	expect_scaled(b1, t0, LOOP, DECLICK, 2.0f);
	/* the mute fades over DECLICK frames, then one track is left */
	expect_scaled(b2, t0, LOOP, DECLICK, 1.0f);
	action(0, 0, SB_LA_PLAY);
	action(0, 1, SB_LA_SOLO);
	run_to(b4);
	assert_int_equal(status(0, 1).solo, 1);
	assert_int_equal(status(0, 0).state, SB_TRACK_PLAYING);
	expect_scaled(b3, t0, LOOP, DECLICK, 1.0f);
	action(0, 1, SB_LA_SOLO);
	run_to(b4 + LOOP);
	expect_scaled(b4, t0, LOOP, DECLICK, 2.0f);
}

static void test_stop_start_volume(void **state)
{
	uint64_t t0, s, t1;

	(void)state;
	t0 = record_one_loop();
	run(BEAT);
	s = F.frame;
	cmd(SB_CMD_TRANSPORT_STOP, 0, 0, 0, 0);
	run(BEAT);
	/* faded out over DECLICK frames, then silence */
	expect_silence(s + DECLICK, BEAT - DECLICK);
	assert_int_equal(status(0, 0).state, SB_TRACK_PLAYING);
	assert_int_equal(status(0, 0).position, 0);
	t1 = F.frame;
	cmd(SB_CMD_TRANSPORT_START, 0, 0, 0, 0);
	run(LOOP);
	expect_copy(t1, t0, LOOP, DECLICK);
	F.n_evt = 0;
	{
		struct sb_msg m = { .type = SB_CMD_LOOPER_VOLUME, .id = 5 };

		m.u.looper.gain = 0.5f;
		sb_looper_subsys.handle_cmd(F.st, &m);
		assert_int_equal(F.evt[0].u.ack.status, 0);
		m.u.looper.gain = 5.0f;
		sb_looper_subsys.handle_cmd(F.st, &m);
		assert_int_equal(F.evt[1].u.ack.status, -EINVAL);
	}
	t1 = F.frame;
	run(LOOP);
	/* 10 ms glide, then exactly half */
	assert_true(status(0, 0).volume == 0.5f);
	expect_scaled(t1 + RATE / 100 + BLOCK, t0 + RATE / 100 + BLOCK,
		      LOOP - RATE / 50 - 2 * BLOCK, 0, 0.5f);
}

/* A server-made layer: chunks 390.. filled with a ramp, linked. */
static uint32_t make_load(uint64_t frames, uint32_t first)
{
	uint32_t n = (uint32_t)((frames + 4095) / 4096);

	for (uint32_t k = 0; k < n; k++) {
		struct sb_chunk *c = sb_arena_chunk(&F.a, first + k);
		float *d = sb_chunk_samples(c);

		for (uint32_t i = 0; i < 4096; i++) {
			d[2 * i] = (float)(k * 4096 + i) / 65536.0f;
			d[2 * i + 1] = -d[2 * i];
		}
		c->next = k + 1 < n ? first + k + 1 : SB_CHUNK_NONE;
		sb_arena_chunk_owner(&F.a)[first + k] = SB_OWN_ENGINE;
	}
	return first;
}

static void test_load(void **state)
{
	const uint64_t frames = 3 * 4096 + 100;
	struct sb_msg m = { .type = SB_CMD_LOOPER_LOAD, .id = 3 };
	uint64_t t1;

	(void)state;
	start_looper(380);
	cmd(SB_CMD_LOOPER_MONITOR, 0, 0, 0, 0);
	m.u.looper.column = 2;
	m.u.looper.track = 1;
	m.u.looper.chunk = make_load(frames, 390);
	m.u.looper.frames = frames;
	m.u.looper.stream = (1ull << 63) | 5;
	m.u.looper.value = SB_TRACK_PLAYING;
	F.n_evt = 0;
	m.u.looper.frames = frames + 5000;	/* wrong length: refused */
	sb_looper_subsys.handle_cmd(F.st, &m);
	assert_int_equal(F.evt[0].u.ack.status, -EINVAL);
	m.u.looper.frames = frames;
	sb_looper_subsys.handle_cmd(F.st, &m);
	assert_int_equal(F.evt[1].u.ack.status, 0);
	assert_int_equal(status(2, 1).state, SB_TRACK_PLAYING);
	assert_int_equal(status(2, 1).stream, (1ull << 63) | 5);
	t1 = F.frame;
	cmd(SB_CMD_TRANSPORT_START, 0, 0, 0, 0);
	run(3 * frames);
	/* no column length: the layer loops on its own length */
	for (uint64_t p = 0; p < 3; p++)
		for (uint64_t i = DECLICK; i < frames; i++)
			assert_true(F.out_l[t1 + p * frames + i] ==
				    (float)i / 65536.0f);
	/* clear gives the server's chunks back like any other */
	action(2, 1, SB_LA_CLEAR);
	run(LOOP);
	assert_int_equal(F.released, 4);
}

static void test_quantize_off(void **state)
{
	uint64_t t0, at;

	(void)state;
	start_looper(400);
	cmd(SB_CMD_LOOPER_MONITOR, 0, 0, 0, 0);
	cmd(SB_CMD_LOOPER_COLUMN, 0, 0, 4, 0);
	cmd(SB_CMD_LOOPER_QUANTIZE, 0, 0, SB_Q_OFF, 0);
	t0 = F.frame;
	cmd(SB_CMD_TRANSPORT_START, 0, 0, 0, 0);
	run(16 * BLOCK);
	at = F.frame - t0;
	action(0, 0, SB_LA_RECORD);	/* at once, 1024 frames into beat 0 */
	cross(t0 + LOOP);
	assert_int_equal(status(0, 0).frames, LOOP);
	run(LOOP);
	/* the take sits where it was played on the grid */
	expect_silence(t0 + LOOP, at);
	expect_copy(t0 + LOOP + at, t0 + at, LOOP - at, DECLICK);
}

/* The looper starts a stopped transport for a record: beat 0 is the
 * record's first frame even with quantize off. */
static void test_record_starts_transport(void **state)
{
	uint64_t t0;

	(void)state;
	start_looper(400);
	cmd(SB_CMD_LOOPER_MONITOR, 0, 0, 0, 0);
	cmd(SB_CMD_LOOPER_COLUMN, 3, 0, 4, 0);
	cmd(SB_CMD_LOOPER_QUANTIZE, 0, 0, SB_Q_OFF, 0);
	run(7 * BLOCK);
	t0 = F.frame;
	action(3, 3, SB_LA_RECORD);
	assert_true(sb_transport_will_run(&F.tr));
	cross(t0 + LOOP);
	assert_int_equal(status(3, 3).frames, LOOP);
	run(LOOP);
	expect_copy(t0 + LOOP, t0, LOOP, DECLICK);
}

static void test_reset(void **state)
{
	(void)state;
	record_one_loop();
	cmd(SB_CMD_LOOPER_RESET, 0, 0, 0, 0);
	run(4 * BLOCK);
	assert_int_equal(status(0, 0).state, SB_TRACK_EMPTY);
	assert_int_equal(column_beats(0), 0);
	assert_int_equal(F.released, (LOOP + 4095) / 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_chunk_headers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overdub_sum_and_undo,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear_releases, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_length, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_xrun_keeps_grid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_xrun_while_recording,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_commands, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mute_solo, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_start_volume, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quantize_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_record_starts_transport,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
