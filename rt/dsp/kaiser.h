/*
 * kaiser.h - the modified Bessel function I0 behind Kaiser windows:
 * w(r) = I0(beta * sqrt(1 - r * r)) / I0(beta) for -1 <= r <= 1.
 * Used by the band-limited step table (plan.c) and the server's file
 * resampler (server/audio/resample.c).  Pure; no JACK.
 */
#ifndef SB_KAISER_H
#define SB_KAISER_H

/*
 * I0(x) by its power series, summed until a term adds less than 1e-17
 * of the sum (at most 63 terms: ample for the betas a window uses).
 */
/* thread: any */
double sb_bessel_i0(double x);

#endif
