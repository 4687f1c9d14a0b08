/*
 * test_kaiser.c - I0 (rt/dsp/kaiser.h) against values from the series
 * summed in 40-digit decimal arithmetic, and the window it makes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "rt/dsp/kaiser.h"

static void near(double got, double want)
{
	if (fabs(got - want) > 4e-16 * want)
		fail_msg("I0: got %.17g, want %.17g", got, want);
}

static void known_values(void **st)
{
	(void)st;
	near(sb_bessel_i0(0.0), 1.0);
	near(sb_bessel_i0(0.5), 1.0634833707413235);
	near(sb_bessel_i0(1.0), 1.2660658777520083);
	near(sb_bessel_i0(7.0), 168.59390851028970);	/* plan.c's beta */
	near(sb_bessel_i0(10.0), 2815.7166284662545);	/* resample.c's */
	near(sb_bessel_i0(20.0), 43558282.559553533);
}

static void even(void **st)
{
	(void)st;
	for (double x = 0.0; x <= 12.0; x += 0.25)
		assert_true(sb_bessel_i0(-x) == sb_bessel_i0(x));
}

/* w(r) = I0(beta sqrt(1 - r^2)) / I0(beta): 1 at the centre, falling. */
static void window_shape(void **st)
{
	const double beta = 7.0;
	double prev = 2.0;

	(void)st;
	for (int i = 0; i <= 100; i++) {
		double r = i / 100.0;
		double w = sb_bessel_i0(beta * sqrt(1.0 - r * r)) /
			   sb_bessel_i0(beta);

		assert_true(w < prev && w > 0.0);
		if (i == 0)
			assert_true(w == 1.0);
		prev = w;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_values),
		cmocka_unit_test(even),
		cmocka_unit_test(window_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
