/*
 * example_patch.h - the patch from the issue text, shared by the parser
 * and compiler unit tests.
 */
#ifndef SB_TEST_EXAMPLE_PATCH_H
#define SB_TEST_EXAMPLE_PATCH_H

static const char example[] =
	"# a comment\n"
	"lfo  = sine(freq: 0.5)\n"
	"seq  = seq(pattern: \"c3 e3 g3 ~ [c4 e4] g3*2 <a3 b3>\")\n"
	"osc  = saw(freq: 110)\n"
	"flt  = svf(cutoff: 800, q: 2)\n"
	"env  = adsr(a: 0.01, d: 0.2, s: 0.6, r: 0.3)\n"
	"amp  = vca()\n"
	"seq.pitch -> osc.voct\n"
	"seq.gate  -> env.gate\n"
	"lfo.out * 400 -> flt.cutoff\n"
	"osc.out -> flt.in\n"
	"flt.lp -> amp.in\n"
	"env.out -> amp.cv\n"
	"amp.out * 0.5 -> out.left, out.right\n";

#endif
