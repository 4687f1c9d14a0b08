/*
 * resample.h - sample-rate conversion for audio files brought into the
 * looper (uploads, sessions recorded at another engine rate).
 *
 * A Kaiser-windowed sinc (beta 10, about 100 dB stopband) with 48 zero
 * crossings on each side, measured at the lower of the two rates; the
 * cutoff sits just below the lower Nyquist frequency so that the
 * stopband begins at it.  Linear phase: output frame j is the input
 * signal at time j * in_rate / out_rate, so frame 0 stays frame 0 and
 * onsets keep their place.  Works for any pair of rates; whole buffers
 * only (files), never on the process thread.
 */
#ifndef SB_RESAMPLE_H
#define SB_RESAMPLE_H

#include <stdint.h>

/* Frames resample() makes from n: round(n * out_rate / in_rate). */
/* thread: any */
uint64_t resample_out_len(uint64_t n, uint32_t in_rate, uint32_t out_rate);

/*
 * Convert n interleaved frames of `channels` channels from in_rate to
 * out_rate into out, which holds resample_out_len(n, ...) frames.
 * Samples outside the input count as silence.  0, -EINVAL (a zero rate
 * or channel count) or -ENOMEM.  Allocates; not for the process thread.
 */
/* thread: any */
int resample(const float *in, uint64_t n, uint32_t channels,
	     uint32_t in_rate, uint32_t out_rate, float *out);

/*
 * The same conversion in pieces, so that a long file never has to be in
 * memory at its own rate: resample_begin, then for consecutive output
 * ranges [j0, j1) resample_span says which input frames [from, to) they
 * read (clip to [0, n): outside is silence), and resample_run computes
 * them from a window `win` that holds input frames from `base` on and
 * covers the clipped span.  The result equals resample() sample for
 * sample.  begin: 0, -EINVAL or -ENOMEM; end accepts NULL.
 */
struct resampler;

/* thread: any */
int resample_begin(struct resampler **r, uint32_t channels,
		   uint32_t in_rate, uint32_t out_rate);
/* thread: any */
void resample_span(const struct resampler *r, uint64_t j0, uint64_t j1,
		   int64_t *from, int64_t *to);
/* thread: any */
void resample_run(struct resampler *r, const float *win, int64_t base,
		  uint64_t n, uint64_t j0, uint64_t j1, float *out);
/* thread: any */
void resample_end(struct resampler *r);

#endif
