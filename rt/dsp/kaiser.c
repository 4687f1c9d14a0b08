/*
 * kaiser.c - I0 for Kaiser windows (see kaiser.h).
 */
#include "rt/dsp/kaiser.h"

/* sum over k of (x^2 / 4)^k / (k!)^2, each term from the one before. */
double sb_bessel_i0(double x)
{
	double sum = 1.0, term = 1.0, q = x * x / 4.0;

	for (int k = 1; k < 64 && term > sum * 1e-17; k++) {
		term *= q / ((double)k * k);
		sum += term;
	}
	return sum;
}
