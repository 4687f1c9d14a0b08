/*
 * test_resample.c - the windowed-sinc resampler judged by musical
 * properties: a tone keeps its pitch and level, a high tone leaves no
 * images or aliases above -80 dB, lengths are round(n * ratio).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "server/audio/resample.h"

/* A sine at hz, rate, n frames, `ch` identical channels. */
static float *tone(double hz, double amp, uint32_t rate, uint64_t n,
		   uint32_t ch)
{
	float *x = malloc((size_t)n * ch * sizeof(*x));

	assert_non_null(x);
	for (uint64_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < ch; k++)
			x[i * ch + k] = (float)(amp * sin(2 * M_PI * hz * i /
							  rate));
	return x;
}

static float *convert(const float *in, uint64_t n, uint32_t ch,
		      uint32_t from, uint32_t to, uint64_t *m)
{
	float *out;

	*m = resample_out_len(n, from, to);
	out = malloc((size_t)*m * ch * sizeof(*out));
	assert_non_null(out);
	assert_int_equal(resample(in, n, ch, from, to, out), 0);
	return out;
}

/* |DFT| at hz over x[0..n) (stride ch), Blackman-Harris window if bh. */
static double dft_mag(const float *x, uint64_t n, uint32_t ch, double hz,
		      uint32_t rate, int bh)
{
	double re = 0, im = 0, wsum = 0;

	for (uint64_t i = 0; i < n; i++) {
		double p = 2 * M_PI * i / (n - 1), w = 1.0;

		if (bh)
			w = 0.35875 - 0.48829 * cos(p) + 0.14128 * cos(2 * p) -
			    0.01168 * cos(3 * p);
		re += w * x[i * ch] * cos(2 * M_PI * hz * i / rate);
		im -= w * x[i * ch] * sin(2 * M_PI * hz * i / rate);
		wsum += w;
	}
	return 2 * sqrt(re * re + im * im) / wsum;
}

/* Frequency from linearly interpolated rising zero crossings. */
static double zc_freq(const float *x, uint64_t n, uint32_t ch, uint32_t rate)
{
	double first = -1, last = -1;
	int count = 0;

	for (uint64_t i = 1; i < n; i++) {
		float a = x[(i - 1) * ch], b = x[i * ch];
		if (a < 0 && b >= 0) {
			double t = (i - 1) + a / (a - b);
			if (first < 0)
				first = t;
			last = t;
			count++;
		}
	}
	assert_true(count > 2);
	return (count - 1) * (double)rate / (last - first);
}

static void check_tone(uint32_t from, uint32_t to)
{
	uint64_t n = from * 2, m;
	float *in = tone(1000.0, 0.5, from, n, 2);
	float *out = convert(in, n, 2, from, to, &m);
	const float *mid = out + (size_t)(m / 4) * 2;
	double f = zc_freq(mid, to, 2, to);
	/* one second of output at 1 kHz: a whole number of cycles */
	double amp = dft_mag(mid, to, 2, 1000.0, to, 0);
	double db = 20 * log10(amp / 0.5);

	assert_true(fabs(f - 1000.0) < 0.05);
	assert_true(fabs(db) < 0.1);
	/* both channels alike */
	assert_true(fabsf(mid[1000] - mid[1001]) < 1e-6f);
	free(in);
	free(out);
}

static void tone_44k1_to_48k(void **state)
{
	(void)state;
	check_tone(44100, 48000);
}

static void tone_48k_to_44k1(void **state)
{
	(void)state;
	check_tone(48000, 44100);
}

static void tone_22k05_to_48k(void **state)
{
	(void)state;
	check_tone(22050, 48000);
}

/* Worst spur in the output (BH window) relative to the tone, in dB. */
static double worst_spur_db(const float *x, uint64_t n, uint32_t rate,
			    double hz)
{
	double ref = dft_mag(x, n, 1, hz, rate, 1), worst = 0;

	for (double f = 50; f < rate / 2.0; f += 50) {
		double m;
		if (fabs(f - hz) < 200)
			continue;
		m = dft_mag(x, n, 1, f, rate, 1);
		if (m > worst)
			worst = m;
	}
	return 20 * log10(worst / ref);
}

static void images_below_80db(void **state)
{
	uint64_t n = 44100, m;
	float *in = tone(15000.0, 0.5, 44100, n, 1);
	float *out = convert(in, n, 1, 44100, 48000, &m);
	/* the image of 15 kHz at 44.1 kHz lands on 48 - 29.1 = 18.9 kHz */
	double ref = dft_mag(out + 8000, 16384, 1, 15000, 48000, 1);
	double img = dft_mag(out + 8000, 16384, 1, 18900, 48000, 1);

	(void)state;
	assert_true(20 * log10(img / ref) < -80);
	assert_true(worst_spur_db(out + 8000, 16384, 48000, 15000) < -80);
	free(in);
	free(out);
}

static void alias_below_80db(void **state)
{
	/* 23 kHz cannot exist at 44.1 kHz: it must vanish, not fold to 21.1 */
	uint64_t n = 48000, m;
	float *in = tone(23000.0, 0.5, 48000, n, 1);
	float *out = convert(in, n, 1, 48000, 44100, &m);
	double left = dft_mag(out + 8000, 16384, 1, 21100, 44100, 1);

	(void)state;
	assert_true(20 * log10(left / 0.5) < -80);
	free(in);
	free(out);
}

static void lengths(void **state)
{
	static const uint32_t rates[][2] = {
		{ 44100, 48000 }, { 48000, 44100 }, { 8000, 48000 },
		{ 96000, 48000 }, { 48000, 48000 }, { 44056, 48000 },
	};
	static const uint64_t sizes[] = { 0, 1, 2, 17, 1000, 44101 };

	(void)state;
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double want = round(sizes[s] * (double)rates[r][1] /
					    rates[r][0]);
			uint64_t got = resample_out_len(sizes[s], rates[r][0],
							rates[r][1]);
			assert_true(fabs((double)got - want) <= 1.0);
		}
	}
	assert_int_equal(resample(NULL, 0, 2, 0, 48000, NULL), -EINVAL);
}

static void same_rate_is_a_copy(void **state)
{
	uint64_t m;
	float *in = tone(440.0, 0.9, 48000, 1000, 2);
	float *out = convert(in, 1000, 2, 48000, 48000, &m);

	(void)state;
	assert_int_equal(m, 1000);
	assert_memory_equal(in, out, 1000 * 2 * sizeof(float));
	free(in);
	free(out);
}

/* An impulse keeps its place: linear phase, frame 0 stays frame 0. */
static void impulse_stays_put(void **state)
{
	float in[4410] = { 0 };
	uint64_t m;
	float *out;
	uint64_t peak = 0;

	(void)state;
	in[441] = 1.0f;	/* 10 ms */
	out = convert(in, 4410, 1, 44100, 48000, &m);
	for (uint64_t i = 1; i < m; i++)
		if (fabsf(out[i]) > fabsf(out[peak]))
			peak = i;
	assert_int_equal(peak, 480);
	free(out);
}

/*
 * Converting in pieces through a sliding window (as files are read) gives
 * the very samples of the whole-buffer conversion, up and down.
 */
static void pieces_equal_whole(void **state)
{
	static const uint32_t rates[][2] = { { 44100, 48000 },
					     { 384000, 48000 },
					     { 8000, 48000 } };
	const uint64_t n = 50000, step = 777;

	(void)state;
	for (int r = 0; r < 3; r++) {
		uint32_t from = rates[r][0], to = rates[r][1];
		float *in = tone(1000.0, 0.5, from, n, 2);
		uint64_t m;
		float *whole = convert(in, n, 2, from, to, &m);
		float *part = calloc((size_t)m * 2, sizeof(*part));
		struct resampler *rs;

		assert_non_null(part);
		assert_int_equal(resample_begin(&rs, 2, from, to), 0);
		for (uint64_t j0 = 0; j0 < m; j0 += step) {
			uint64_t j1 = j0 + step < m ? j0 + step : m;
			int64_t lo, hi;

			resample_span(rs, j0, j1, &lo, &hi);
			lo = lo < 0 ? 0 : lo;
			assert_true(hi > lo);
			/* only the span is handed over: frames [lo, ...) */
			resample_run(rs, in + (size_t)lo * 2, lo, n, j0, j1,
				     part + (size_t)j0 * 2);
		}
		resample_end(rs);
		assert_memory_equal(whole, part, (size_t)m * 2 * sizeof(float));
		free(in);
		free(whole);
		free(part);
	}
	assert_int_equal(resample_begin(&(struct resampler *){ NULL }, 2, 0,
					 48000), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tone_44k1_to_48k),
		cmocka_unit_test(tone_48k_to_44k1),
		cmocka_unit_test(tone_22k05_to_48k),
		cmocka_unit_test(images_below_80db),
		cmocka_unit_test(alias_below_80db),
		cmocka_unit_test(lengths),
		cmocka_unit_test(same_rate_is_a_copy),
		cmocka_unit_test(impulse_stays_put),
		cmocka_unit_test(pieces_equal_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
