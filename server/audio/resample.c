/*
 * resample.c - Kaiser-windowed sinc resampler (see resample.h).
 *
 * The kernel is tabulated once per call at OVERSAMPLE points per
 * lower-rate sample and read with linear interpolation; its error is
 * below -110 dB, far under the window's own stopband.  Each output frame
 * computes its tap weights once and applies them to every channel.  The
 * maths of a frame depends only on its index, so converting in pieces
 * (resample_run over a sliding window) gives the very same samples as
 * converting the whole buffer at once.
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

struct resampler {
	uint32_t ch, in_rate, out_rate;
	double scale;		/* min(1, out/in): kernel stretch */
	int64_t half;		/* taps per side, in input samples */
	float *tab;
	size_t tab_len;
	float *w;		/* 2 * half + 2 weights */
};

/* Output frame j sits at input time ipos + frac (exact: integer maths). */
static int64_t in_pos(const struct resampler *r, uint64_t j, double *frac)
{
	unsigned __int128 num = (unsigned __int128)j * r->in_rate;

	if (frac)
		*frac = (double)(uint64_t)(num % r->out_rate) / r->out_rate;
	return (int64_t)(num / r->out_rate);
}

/*
 * One output frame at input time ipos + frac.  win holds input frames
 * from `base` on; frames outside [0, n) are silence.
 */
static void conv_frame(struct resampler *r, const float *win, int64_t base,
		       uint64_t n, int64_t ipos, double frac, float *out)
{
	int64_t first = ipos - r->half + 1, last = ipos + r->half;
	int64_t lo = first < 0 ? 0 : first;
	int64_t hi = last >= (int64_t)n ? (int64_t)n - 1 : last;

	for (int64_t i = lo; i <= hi; i++) {
		double t = (double)(ipos - i) + frac;
		r->w[i - lo] = (float)r->scale *
			       tab_at(r->tab, r->tab_len, t * r->scale);
	}
	for (uint32_t k = 0; k < r->ch; k++) {
		const float *x = win + (size_t)(lo - base) * r->ch + k;
		double acc = 0.0;

		for (int64_t i = 0; i <= hi - lo; i++)
			acc += (double)r->w[i] * x[(size_t)i * r->ch];
		out[k] = (float)acc;
	}
}

int resample_begin(struct resampler **out, uint32_t channels,
		   uint32_t in_rate, uint32_t out_rate)
{
	struct resampler *r;

	*out = NULL;
	if (!in_rate || !out_rate || !channels)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (struct resampler){ .ch = channels, .in_rate = in_rate,
				 .out_rate = out_rate };
	r->scale = out_rate < in_rate ? (double)out_rate / in_rate : 1.0;
	r->half = (int64_t)ceil(ZEROS / r->scale) + 1;
	r->tab = kernel_table(&r->tab_len);
	r->w = malloc(((size_t)r->half * 2 + 2) * sizeof(*r->w));
	if (!r->tab || !r->w) {
		resample_end(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

void resample_span(const struct resampler *r, uint64_t j0, uint64_t j1,
		   int64_t *from, int64_t *to)
{
	*from = in_pos(r, j0, NULL) - r->half + 1;
	*to = in_pos(r, j1 ? j1 - 1 : 0, NULL) + r->half + 1;
}

void resample_run(struct resampler *r, const float *win, int64_t base,
		  uint64_t n, uint64_t j0, uint64_t j1, float *out)
{
	for (uint64_t j = j0; j < j1; j++) {
		double frac;
		int64_t ipos = in_pos(r, j, &frac);

		conv_frame(r, win, base, n, ipos, frac,
			   out + (size_t)(j - j0) * r->ch);
	}
}

void resample_end(struct resampler *r)
{
	if (!r)
		return;
	free(r->w);
	free(r->tab);
	free(r);
}

int resample(const float *in, uint64_t n, uint32_t channels,
	     uint32_t in_rate, uint32_t out_rate, float *out)
{
	struct resampler *r;
	int rc;

	if (!in_rate || !out_rate || !channels)
		return -EINVAL;
	if (in_rate == out_rate) {
		if (n)
			memcpy(out, in, (size_t)n * channels * sizeof(*in));
		return 0;
	}
	rc = resample_begin(&r, channels, in_rate, out_rate);
	if (rc)
		return rc;
	resample_run(r, in, 0, n, 0, resample_out_len(n, in_rate, out_rate),
		     out);
	resample_end(r);
	return 0;
}
