/*
 * resample.c - Kaiser-windowed sinc resampler (see resample.h).
 *
 * The kernel is tabulated once per call at OVERSAMPLE points per
 * lower-rate sample and read with linear interpolation; its error is
 * below -110 dB, far under the window's own stopband.  Each output frame
 * computes its tap weights once and applies them to every channel.
 */
#include "server/audio/resample.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt/dsp/kaiser.h"

#define ZEROS 48		/* zero crossings per side, lower rate */
#define OVERSAMPLE 2048		/* table points per lower-rate sample */
#define BETA 10.0		/* Kaiser beta: ~100 dB stopband */
/*
 * Cutoff in cycles per lower-rate sample: half the Kaiser transition
 * width (A - 7.95) / (14.36 * 2 * ZEROS) = 0.0668 below 0.5, so the
 * stopband starts at the lower Nyquist frequency.
 */
#define CUTOFF 0.4666

uint64_t resample_out_len(uint64_t n, uint32_t in_rate, uint32_t out_rate)
{
	if (!in_rate)
		return 0;
	return (uint64_t)(((unsigned __int128)n * out_rate + in_rate / 2) /
			  in_rate);
}

/* The kernel at u lower-rate samples from its centre, 0 <= u < ZEROS. */
static double kernel(double u)
{
	double a = 2.0 * CUTOFF * u, r = u / ZEROS;
	double sinc = u == 0.0 ? 1.0 : sin(M_PI * a) / (M_PI * a);

	return 2.0 * CUTOFF * sinc * sb_bessel_i0(BETA * sqrt(1.0 - r * r)) /
	       sb_bessel_i0(BETA);
}

/* tab[m] = kernel(m / OVERSAMPLE), zero from ZEROS on (two guard points). */
static float *kernel_table(size_t *len)
{
	size_t n = (size_t)ZEROS * OVERSAMPLE + 2;
	float *tab = malloc(n * sizeof(*tab));

	if (!tab)
		return NULL;
	for (size_t m = 0; m < n; m++)
		tab[m] = m < (size_t)ZEROS * OVERSAMPLE ?
			 (float)kernel((double)m / OVERSAMPLE) : 0.0f;
	*len = n;
	return tab;
}

static float tab_at(const float *tab, size_t len, double u)
{
	double x = fabs(u) * OVERSAMPLE;
	size_t m = (size_t)x;
	double f = x - (double)m;

	if (m + 1 >= len)
		return 0.0f;
	return (float)(tab[m] + f * (tab[m + 1] - tab[m]));
}

struct conv {
	const float *in;
	uint64_t n;
	uint32_t ch;
	double scale;		/* min(1, out/in): kernel stretch */
	int64_t half;		/* taps per side, in input samples */
	const float *tab;
	size_t tab_len;
	float *w;		/* 2 * half + 2 weights */
};

/* One output frame at input time ipos + frac. */
static void conv_frame(const struct conv *c, int64_t ipos, double frac,
		       float *out)
{
	int64_t first = ipos - c->half + 1, last = ipos + c->half;
	int64_t lo = first < 0 ? 0 : first;
	int64_t hi = last >= (int64_t)c->n ? (int64_t)c->n - 1 : last;

	for (int64_t i = lo; i <= hi; i++) {
		double t = (double)(ipos - i) + frac;
		c->w[i - lo] = (float)c->scale *
			       tab_at(c->tab, c->tab_len, t * c->scale);
	}
	for (uint32_t k = 0; k < c->ch; k++) {
		const float *x = c->in + (size_t)lo * c->ch + k;
		double acc = 0.0;

		for (int64_t i = 0; i <= hi - lo; i++)
			acc += (double)c->w[i] * x[(size_t)i * c->ch];
		out[k] = (float)acc;
	}
}

static void conv_run(struct conv *c, uint32_t in_rate, uint32_t out_rate,
		     float *out)
{
	uint64_t m = resample_out_len(c->n, in_rate, out_rate);

	for (uint64_t j = 0; j < m; j++) {
		/* exact position: j * in / out as integer part + fraction */
		unsigned __int128 num = (unsigned __int128)j * in_rate;
		int64_t ipos = (int64_t)(num / out_rate);
		double frac = (double)(uint64_t)(num % out_rate) / out_rate;

		conv_frame(c, ipos, frac, out + (size_t)j * c->ch);
	}
}

int resample(const float *in, uint64_t n, uint32_t channels,
	     uint32_t in_rate, uint32_t out_rate, float *out)
{
	struct conv c = { .in = in, .n = n, .ch = channels };
	float *tab;
	int rc = 0;

	if (!in_rate || !out_rate || !channels)
		return -EINVAL;
	if (in_rate == out_rate) {
		if (n)
			memcpy(out, in, (size_t)n * channels * sizeof(*in));
		return 0;
	}
	c.scale = out_rate < in_rate ? (double)out_rate / in_rate : 1.0;
	c.half = (int64_t)ceil(ZEROS / c.scale) + 1;
	tab = kernel_table(&c.tab_len);
	c.w = malloc(((size_t)c.half * 2 + 2) * sizeof(*c.w));
	if (!tab || !c.w) {
		rc = -ENOMEM;
		goto out_free;
	}
	c.tab = tab;
	conv_run(&c, in_rate, out_rate, out);
out_free:
	free(c.w);
	free(tab);
	return rc;
}
