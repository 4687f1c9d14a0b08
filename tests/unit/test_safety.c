/*
 * test_safety.c - the output safety stage (rt/core/safety.c) and the peak
 * meters (rt/core/meter.c) driven through their subsystem hooks, without
 * JACK: blocks of known signals, NaN and inf included, go through
 * process(); what comes out and what report() says are checked.
 *
 * Checked: non-finite samples become silence and are counted; no output
 * sample is above the ceiling or non-finite, however loud the input; the
 * limiter is linked and recovers; the over flag holds about a second and
 * clears; the master volume scales by its dB, glides without a step and
 * refuses what is out of range; mute; the click is clipped but not
 * turned down; meters read NaN/inf as full scale plus an over flag and
 * fall back afterwards; the output.* config keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rt/common/config.h"
#include "rt/core/meter.h"
#include "rt/core/safety.h"

#define RATE 48000u
#define BLOCK 256u
#define HZ 440.0
#define MAX_EVTS 64

static struct {
	struct sb_config cfg;
	struct sb_rt_ctx ctx;
	void *st;
	const struct sb_subsys *sub;
	float l[BLOCK], r[BLOCK], click[BLOCK];
	uint64_t frame;
	struct sb_msg evt[MAX_EVTS];
	int n_evt;
} F;

static void emit(void *arg, const struct sb_msg *m)
{
	(void)arg;
	if (F.n_evt < MAX_EVTS)
		F.evt[F.n_evt++] = *m;
}

static int open_sub(const struct sb_subsys *sub)
{
	char err[256] = "";
	int rc;

	F.ctx = (struct sb_rt_ctx){ .sample_rate = RATE, .max_frames = BLOCK,
				    .n_inputs = 2, .emit = emit,
				    .cfg = &F.cfg };
	F.sub = sub;
	rc = sub->init(&F.ctx, &F.st, err, sizeof(err));
	if (rc)
		print_error("init: %s\n", err);
	return rc;
}

static int setup(void **unused)
{
	(void)unused;
	memset(&F, 0, sizeof(F));
	sb_config_defaults(&F.cfg);
	return open_sub(&sb_safety_subsys);
}

static int teardown(void **unused)
{
	(void)unused;
	if (F.st)
		F.sub->fini(F.st);
	F.st = NULL;
	return 0;
}

static float ceiling(void)
{
	/* computed as the stage does, so equality is exact */
	return (float)pow(10.0, F.cfg.output.ceiling_db / 20.0);
}

static float tone(uint64_t f, float amp)
{
	return amp * (float)sin(2.0 * M_PI * HZ * (double)f / RATE);
}

/* One block of a tone of amplitude amp_l / amp_r through the subsystem. */
static void run_tone(float amp_l, float amp_r)
{
	struct sb_block b = { .nframes = BLOCK, .n_inputs = 2,
			      .frame = F.frame, .out_l = F.l, .out_r = F.r,
			      .click = F.click };

	for (uint32_t i = 0; i < BLOCK; i++) {
		F.l[i] = tone(F.frame + i, amp_l);
		F.r[i] = tone(F.frame + i, amp_r);
		F.click[i] = 0.0f;
	}
	F.sub->process(F.st, &b);
	F.frame += BLOCK;
}

/* Blocks of ms milliseconds (at least one). */
static void run_ms(float amp_l, float amp_r, uint32_t ms)
{
	uint32_t n = ms * RATE / 1000 / BLOCK;

	for (uint32_t i = 0; i < (n ? n : 1); i++)
		run_tone(amp_l, amp_r);
}

static void run_block(void)
{
	struct sb_block b = { .nframes = BLOCK, .n_inputs = 2,
			      .frame = F.frame, .out_l = F.l, .out_r = F.r,
			      .click = F.click };

	F.sub->process(F.st, &b);
	F.frame += BLOCK;
}

static struct sb_status report(void)
{
	struct sb_status st;

	memset(&st, 0, sizeof(st));
	F.sub->report(F.st, &st);
	return st;
}

static float block_peak(const float *x)
{
	float p = 0.0f;

	for (uint32_t i = 0; i < BLOCK; i++)
		p = fmaxf(p, fabsf(x[i]));
	return p;
}

/* Every sample of the last block finite and within the ceiling. */
static void assert_safe(void)
{
	float c = ceiling();

	for (uint32_t i = 0; i < BLOCK; i++) {
		assert_true(isfinite(F.l[i]) && fabsf(F.l[i]) <= c);
		assert_true(isfinite(F.r[i]) && fabsf(F.r[i]) <= c);
		assert_true(isfinite(F.click[i]) && fabsf(F.click[i]) <= c);
	}
}

/* Send a command; return its ACK status. */
static int32_t command(uint16_t type, double db, int muted)
{
	struct sb_msg m = { .type = type, .id = 77 };

	m.u.output.volume_db = db;
	m.u.output.muted = muted;
	F.n_evt = 0;
	F.sub->handle_cmd(F.st, &m);
	assert_int_equal(F.n_evt, 1);
	assert_int_equal(F.evt[0].type, SB_EVT_ACK);
	assert_int_equal(F.evt[0].id, 77);
	return F.evt[0].u.ack.status;
}

static void test_nonfinite_become_silence(void **unused)
{
	struct sb_status st;

	(void)unused;
	for (uint32_t i = 0; i < BLOCK; i++) {
		F.l[i] = 0.25f;
		F.r[i] = -0.25f;
		F.click[i] = 0.0f;
	}
	F.l[3] = NAN;
	F.r[5] = INFINITY;
	F.l[7] = -INFINITY;
	F.click[9] = NAN;
	run_block();
	assert_safe();
	assert_true(F.l[3] == 0.0f && F.r[5] == 0.0f && F.l[7] == 0.0f);
	assert_true(F.click[9] == 0.0f);
	/* the rest passes at unity: below the ceiling nothing is touched */
	assert_true(F.l[4] == 0.25f && F.r[4] == -0.25f);
	st = report();
	assert_int_equal(st.out_nonfinite, 4);
	assert_true(st.out_flags & SB_OUT_OVER);
	assert_int_equal(st.out_limited, 0);
	assert_true(st.out_gr_db == 0.0f);
}

static void test_huge_input_stays_under_ceiling(void **unused)
{
	const float big[] = { 1e6f, 1e30f, 3e38f, FLT_MAX, -FLT_MAX };

	(void)unused;
	command(SB_CMD_OUTPUT_VOLUME, SB_OUTPUT_VOLUME_MAX_DB, 0);
	for (size_t k = 0; k < sizeof(big) / sizeof(big[0]); k++) {
		run_tone(big[k], big[k] * 0.5f);
		assert_safe();
		for (uint32_t i = 0; i < BLOCK; i++)
			F.click[i] = big[k] * ((i & 1) ? 1.0f : -1.0f);
		run_block();	/* the click buffer as it is now */
		assert_safe();
		assert_true(block_peak(F.click) == ceiling());
	}
	assert_true(report().out_limited >= 5);
}

static void test_limiter_linked_and_recovers(void **unused)
{
	struct sb_status st;
	float c = ceiling(), pl, pr;

	(void)unused;
	run_ms(4.0f, 1.0f, 200);	/* 12 dB over on the left only */
	assert_safe();
	pl = block_peak(F.l);
	pr = block_peak(F.r);
	/* brick wall: at the ceiling, not far below it */
	assert_true(pl > 0.98f * c);
	/* linked: the right channel is turned down as much as the left */
	assert_true(fabsf(pr / pl - 0.25f) < 0.01f);
	st = report();
	assert_true(st.out_flags & SB_OUT_OVER);
	assert_true(st.out_gr_db > 11.0f && st.out_gr_db < 13.5f);
	assert_true(st.out_limited > 0);
	/* quiet again: the gain recovers within a few release times ... */
	run_ms(0.5f, 0.5f, 400);
	pl = block_peak(F.l);
	assert_true(fabsf(pl - 0.5f) < 0.005f);
	assert_true(report().out_gr_db < 0.05f);
	/* ... and over clears about a second after the last over */
	assert_true(report().out_flags & SB_OUT_OVER);
	run_ms(0.5f, 0.5f, 700);
	st = report();
	assert_false(st.out_flags & SB_OUT_OVER);
	assert_true(st.out_gr_db == 0.0f);
}

/* Largest |x[i] - x[i-1]| over a block, the first against prev. */
static float max_step(const float *x, float prev)
{
	float m = 0.0f;

	for (uint32_t i = 0; i < BLOCK; i++) {
		m = fmaxf(m, fabsf(x[i] - prev));
		prev = x[i];
	}
	return m;
}

static void test_volume_glides_to_its_gain(void **unused)
{
	/* the steepest a 0.5 sine at 440 Hz moves between two samples */
	float natural = 0.5f * 2.0f * (float)M_PI * HZ / RATE, prev, step = 0;
	struct sb_status st;

	(void)unused;
	run_ms(0.5f, 0.5f, 50);
	assert_true(fabsf(block_peak(F.l) - 0.5f) < 0.002f);
	assert_int_equal(command(SB_CMD_OUTPUT_VOLUME, -6.0, 0), 0);
	for (int k = 0; k < 40; k++) {
		prev = F.l[BLOCK - 1];
		run_tone(0.5f, 0.5f);
		step = fmaxf(step, max_step(F.l, prev));
	}
	/* no zipper: never steeper than the tone itself plus a little */
	assert_true(step < natural * 1.05f);
	assert_true(fabsf(block_peak(F.l) - 0.5f * powf(10.0f, -0.3f)) <
		    0.002f);
	st = report();
	assert_true(st.out_volume_db == -6.0f);
	assert_false(st.out_flags & SB_OUT_OVER);
	/* out of range (or NaN): refused, the volume stays */
	assert_int_equal(command(SB_CMD_OUTPUT_VOLUME, 6.5, 0), -EINVAL);
	assert_int_equal(command(SB_CMD_OUTPUT_VOLUME, -61, 0), -EINVAL);
	assert_int_equal(command(SB_CMD_OUTPUT_VOLUME, NAN, 0), -EINVAL);
	assert_true(report().out_volume_db == -6.0f);
	assert_int_equal(command(SB_CMD_OUTPUT_VOLUME + 7, 0, 0), -ENOSYS);
}

static void test_mute_glides_to_silence(void **unused)
{
	float natural = 0.5f * 2.0f * (float)M_PI * HZ / RATE, prev, step = 0;

	(void)unused;
	run_ms(0.5f, 0.5f, 20);
	assert_int_equal(command(SB_CMD_OUTPUT_MUTE, 0, 1), 0);
	assert_true(report().out_flags & SB_OUT_MUTED);
	for (int k = 0; k < 40; k++) {
		prev = F.l[BLOCK - 1];
		run_tone(0.5f, 0.5f);
		step = fmaxf(step, max_step(F.l, prev));
	}
	assert_true(step < natural * 1.05f);
	/* exactly silent, not a denormal crawl */
	assert_true(block_peak(F.l) == 0.0f && block_peak(F.r) == 0.0f);
	assert_int_equal(command(SB_CMD_OUTPUT_MUTE, 0, 0), 0);
	assert_false(report().out_flags & SB_OUT_MUTED);
	run_ms(0.5f, 0.5f, 200);
	assert_true(fabsf(block_peak(F.l) - 0.5f) < 0.002f);
}

static void test_click_not_turned_down(void **unused)
{
	(void)unused;
	command(SB_CMD_OUTPUT_VOLUME, -40.0, 0);
	run_ms(0.0f, 0.0f, 100);
	for (uint32_t i = 0; i < BLOCK; i++)
		F.click[i] = 0.5f;
	run_block();
	assert_true(F.click[BLOCK - 1] == 0.5f);
}

static void test_config_range(void **unused)
{
	struct sb_config c;
	char err[256];
	void *st = NULL;

	(void)unused;
	sb_config_defaults(&c);
	assert_true(c.output.ceiling_db == -0.3 && c.output.volume_db == 0.0);
	assert_int_equal(sb_config_parse(&c, "{\"output\": {\"ceiling_db\": "
					 "-1, \"volume_db\": -6.5}}", "t",
					 err, sizeof(err)), 0);
	assert_true(c.output.ceiling_db == -1.0 &&
		    c.output.volume_db == -6.5);
	assert_int_equal(sb_config_parse(&c, "{\"output\": {\"ceiling_db\": "
					 "0.5}}", "t", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "output.ceiling_db"));
	assert_int_equal(sb_config_parse(&c, "{\"output\": {\"volume_db\": "
					 "\"loud\"}}", "t", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "expected a number"));
	/* the subsystem refuses what the config would have refused */
	F.cfg.output.volume_db = 7.0;
	assert_int_equal(sb_safety_subsys.init(&F.ctx, &st, err, sizeof(err)),
			 -EINVAL);
	assert_null(st);
}

/* --- meters --- */

static int setup_meter(void **unused)
{
	(void)unused;
	memset(&F, 0, sizeof(F));
	sb_config_defaults(&F.cfg);
	return open_sub(&sb_out_meter_subsys);
}

static void test_block_peak_never_latches(void **unused)
{
	const float x[] = { 0.1f, NAN, -0.2f }, y[] = { -INFINITY, 0.3f },
		    z[] = { 0.5f, -0.25f }, w[] = { 0.5f, -1.0f };
	int over = 0;

	(void)unused;
	assert_true(sb_meter_block_peak(x, 3, &over) == SB_METER_FULL_SCALE);
	assert_int_equal(over, 1);
	over = 0;
	assert_true(sb_meter_block_peak(y, 2, &over) == SB_METER_FULL_SCALE);
	assert_int_equal(over, 1);
	over = 0;
	assert_true(sb_meter_block_peak(z, 2, &over) == 0.5f);
	assert_int_equal(over, 0);
	assert_true(sb_meter_block_peak(w, 2, &over) == 1.0f);
	assert_int_equal(over, 1);	/* full scale is an over too */
}

static void test_meter_over_then_falls(void **unused)
{
	struct sb_status st;

	(void)unused;
	run_ms(0.5f, 0.5f, 20);
	for (uint32_t i = 0; i < BLOCK; i++)
		F.l[i] = F.r[i] = (i == 10) ? INFINITY : (i == 11 ? NAN : 0);
	run_block();
	st = report();
	assert_true(st.out_peak[0] == SB_METER_FULL_SCALE);
	assert_true(isfinite(st.out_peak[1]));
	assert_int_equal(st.out_peak_over, 3);
	/* silence: 20 dB/s, so after 1.5 s below -30 dBFS, and the flag
	 * has cleared */
	memset(F.l, 0, sizeof(F.l));
	memset(F.r, 0, sizeof(F.r));
	for (uint32_t k = 0; k < 3 * RATE / 2 / BLOCK; k++)
		run_block();
	st = report();
	assert_true(st.out_peak[0] < 0.032f && st.out_peak[1] < 0.032f);
	assert_int_equal(st.out_peak_over, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nonfinite_become_silence,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_huge_input_stays_under_ceiling, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_limiter_linked_and_recovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volume_glides_to_its_gain,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mute_glides_to_silence,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_click_not_turned_down,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_range, setup,
						teardown),
		cmocka_unit_test(test_block_peak_never_latches),
		cmocka_unit_test_setup_teardown(test_meter_over_then_falls,
						setup_meter, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
