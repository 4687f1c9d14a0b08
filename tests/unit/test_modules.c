/*
 * test_modules.c - the DSP modules and the plan executor, judged by
 * musical properties with tolerances (pitch, band-limiting, filter
 * response, envelope times, frames of clock ticks and sequencer steps,
 * delay time, reverb decay), never by hashing audio.  Plans are built by
 * hand here (a tiny plan writer below), so these tests depend only on
 * rt/plan.h and rt/module.h, not on the patch compiler.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/dsp/dsp.h"
#include "rt/dsp/plan.h"
#include "rt/dsp/seq_data.h"
#include "rt/dsp/transport.h"

#define RATE 48000u
#define MAXN 16
#define MAXC 32
#define SLOT_BYTES (1u << 20)
#define HEAP_BYTES (64u << 20)

/* ---- a hand-made plan: nodes in run order, connections, one run ---- */

struct tnode {
	const struct sb_mod_def *def;
	uint32_t type;
	float par[SB_MOD_MAX_PARAMS];
	uint64_t state_off;
	uint32_t out_buf;
	const void *data;
	size_t data_bytes;
};

struct tconn {
	uint32_t to, kind, index, src_buf;
	float scale;
};

struct bench {
	uint8_t *slot, *heap;
	uint64_t heap_at;
	struct tnode node[MAXN];
	uint32_t n;
	struct tconn conn[MAXC];
	uint32_t n_conns;
	uint32_t n_bufs;
	struct sb_transport tr;
	float *out[2];		/* the main out, whole run */
	size_t frames;
};

static struct bench *bench_new(void)
{
	struct bench *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	b->slot = calloc(1, SLOT_BYTES);
	b->heap = aligned_alloc(64, HEAP_BYTES);
	assert_non_null(b->slot);
	assert_non_null(b->heap);
	memset(b->heap, 0, HEAP_BYTES);
	b->n_bufs = 1;
	b->heap_at = 64;
	sb_transport_init(&b->tr, RATE);
	return b;
}

static void bench_free(struct bench *b)
{
	free(b->slot);
	free(b->heap);
	free(b->out[0]);
	free(b->out[1]);
	free(b);
}

static uint64_t heap_take(struct bench *b, uint64_t bytes)
{
	uint64_t off = b->heap_at;

	b->heap_at = (off + bytes + 63) & ~(uint64_t)63;
	assert_true(b->heap_at <= HEAP_BYTES);
	return off;
}

static int param_index(const struct sb_mod_def *d, const char *name)
{
	for (uint32_t k = 0; k < d->n_params; k++)
		if (!strcmp(d->params[k].name, name))
			return (int)k;
	fail_msg("no parameter %s on %s", name, d->type);
	return -1;
}

static int port_index(const struct sb_port_def *p, uint32_t n,
		      const char *name)
{
	for (uint32_t k = 0; k < n; k++)
		if (!strcmp(p[k].name, name))
			return (int)k;
	fail_msg("no port %s", name);
	return -1;
}

/* Add a node: "type", then name/value pairs ending with NULL. */
static uint32_t node(struct bench *b, const char *type, ...)
{
	struct tnode *t = &b->node[b->n];
	const char *name;
	va_list ap;

	t->def = sb_mod_find(type, &t->type);
	assert_non_null(t->def);
	for (uint32_t k = 0; k < t->def->n_params; k++)
		t->par[k] = t->def->params[k].def;
	va_start(ap, type);
	while ((name = va_arg(ap, const char *)))
		t->par[param_index(t->def, name)] = (float)va_arg(ap, double);
	va_end(ap);
	t->state_off = heap_take(b, SB_NODE_STATE_BYTES +
				 t->def->state_size(t->par, RATE));
	t->def->init(b->heap + t->state_off + SB_NODE_STATE_BYTES, t->par,
		     RATE);
	t->out_buf = b->n_bufs;
	b->n_bufs += t->def->n_outputs;
	return b->n++;
}

/* from.port * scale -> to.port (an input, else a parameter). */
static void conn(struct bench *b, uint32_t from, const char *port,
		 float scale, uint32_t to, const char *dst)
{
	const struct sb_mod_def *f = b->node[from].def, *d = b->node[to].def;
	struct tconn *c = &b->conn[b->n_conns++];
	int in = -1;

	for (uint32_t k = 0; k < d->n_inputs; k++)
		if (!strcmp(d->inputs[k].name, dst))
			in = (int)k;
	c->to = to;
	c->kind = in >= 0 ? SB_CONN_INPUT : SB_CONN_PARAM;
	c->index = in >= 0 ? (uint32_t)in : (uint32_t)param_index(d, dst);
	c->src_buf = b->node[from].out_buf +
		     (uint32_t)port_index(f->outputs, f->n_outputs, port);
	c->scale = scale;
}

static uint64_t slot_take(uint64_t *at, uint64_t bytes)
{
	uint64_t off = (*at + 7) & ~(uint64_t)7;

	*at = off + bytes;
	assert_true(*at <= SLOT_BYTES);
	return off;
}

static void write_node(struct bench *b, uint32_t i, struct sb_plan_node *pn,
		       uint64_t *at)
{
	struct tnode *t = &b->node[i];

	memset(pn, 0, sizeof(*pn));
	snprintf(pn->id, sizeof(pn->id), "n%u", i);
	pn->type = t->type;
	pn->state_off = t->state_off;
	pn->out_buf = t->out_buf;
	pn->param_off = slot_take(at, t->def->n_params * sizeof(float));
	memcpy(b->slot + pn->param_off, t->par,
	       t->def->n_params * sizeof(float));
	pn->conn_off = slot_take(at, 0);
	for (uint32_t k = 0; k < b->n_conns; k++) {
		struct sb_plan_conn pc = { b->conn[k].src_buf, b->conn[k].kind,
					   b->conn[k].index, b->conn[k].scale };

		if (b->conn[k].to != i)
			continue;
		memcpy(b->slot + slot_take(at, sizeof(pc)), &pc, sizeof(pc));
		pn->n_conns++;
	}
	if (t->data) {
		pn->data_off = slot_take(at, t->data_bytes);
		memcpy(b->slot + pn->data_off, t->data, t->data_bytes);
	}
}

/* Write the slot (again, after parameter or data edits = a swap). */
static void finish(struct bench *b)
{
	struct sb_plan_hdr *h = (struct sb_plan_hdr *)b->slot;
	uint64_t at = 128;
	struct sb_plan_node *nodes;

	memset(b->slot, 0, SLOT_BYTES);
	h->magic = SB_PLAN_MAGIC;
	h->version = SB_PLAN_VERSION;
	h->n_nodes = b->n;
	h->n_bufs = b->n_bufs;
	h->rate = RATE;
	h->nodes_off = slot_take(&at, b->n * sizeof(*nodes));
	nodes = (struct sb_plan_node *)(b->slot + h->nodes_off);
	for (uint32_t i = 0; i < b->n; i++)
		write_node(b, i, &nodes[i], &at);
	h->bytes = at;
	if (!h->bufs_off)
		h->bufs_off = heap_take(b, (uint64_t)b->n_bufs *
					SB_PLAN_BLOCK * sizeof(float));
	assert_int_equal(sb_plan_check(b->slot, SLOT_BYTES, HEAP_BYTES), 0);
}

static void start_transport(struct bench *b)
{
	struct sb_msg m = { .type = SB_CMD_TRANSPORT_START };

	assert_int_equal(sb_transport_cmd(&b->tr, &m), 0);
}

/*
 * Run `frames` in cycles of `period` frames, capturing the outputs of
 * node `tap` (port index) into cap[] when cap is given; MIDI (offsets in
 * run frames) is handed to the cycle it falls into.
 */
static void run(struct bench *b, size_t frames, uint32_t period,
		uint32_t tap, uint32_t port, float *cap,
		const struct sb_mod_midi *midi)
{
	float l[1024], r[1024];
	struct sb_beats beats;
	struct sb_mod_midi m;

	assert_true(period <= 1024);
	for (size_t at = 0; at < frames; at += period) {
		uint32_t n = frames - at < period ? frames - at : period;
		struct sb_mod_ctx ctx = { .rate = RATE, .beats = &beats,
					  .ext_out = { l, r }, .midi = &m };
		const struct sb_plan_hdr *h = (void *)b->slot;
		const struct sb_plan_node *nd = (const void *)(b->slot +
							      h->nodes_off);

		m.n = 0;
		for (uint32_t e = 0; midi && e < midi->n; e++)
			if (midi->ev[e].offset >= at &&
			    midi->ev[e].offset < at + n) {
				m.ev[m.n] = midi->ev[e];
				m.ev[m.n++].offset -= (uint32_t)at;
			}
		memset(l, 0, sizeof(l));
		memset(r, 0, sizeof(r));
		sb_transport_cycle(&b->tr, n, 0, &beats);
		/* sub-blocks: tap the buffer after each SB_PLAN_BLOCK */
		for (uint32_t s = 0; s < n; s += SB_PLAN_BLOCK) {
			uint32_t k = n - s < SB_PLAN_BLOCK ? n - s
							   : SB_PLAN_BLOCK;
			struct sb_mod_ctx sub = ctx;
			struct sb_mod_midi sm = { 0 };
			const float *src;

			for (uint32_t e = 0; e < m.n; e++)
				if (m.ev[e].offset >= s &&
				    m.ev[e].offset < s + k) {
					sm.ev[sm.n] = m.ev[e];
					sm.ev[sm.n++].offset -= s;
				}
			sub.offset = s;
			sub.ext_out[0] = l + s;
			sub.ext_out[1] = r + s;
			sub.midi = &sm;
			sb_plan_run(b->slot, b->heap, &sub, k);
			src = (const float *)(b->heap + h->bufs_off) +
			      (size_t)(nd[tap].out_buf + port) * SB_PLAN_BLOCK;
			if (cap)
				memcpy(cap + at + s, src, k * sizeof(float));
		}
	}
}

/* Capture `frames` of node `tap`'s output `port` from transport start. */
static float *capture(struct bench *b, size_t frames, uint32_t tap,
		      const char *port)
{
	const struct sb_mod_def *d = b->node[tap].def;
	float *cap = calloc(frames, sizeof(float));

	assert_non_null(cap);
	finish(b);
	start_transport(b);
	run(b, frames, 256, tap,
	    (uint32_t)port_index(d->outputs, d->n_outputs, port), cap, NULL);
	return cap;
}

/* ---- analysis ---- */

/* Frequency from rising zero crossings (linear interpolation). */
static double zc_freq(const float *x, size_t n)
{
	double first = -1, last = -1;
	size_t count = 0;

	for (size_t i = 1; i < n; i++) {
		double t;

		if (!(x[i - 1] < 0 && x[i] >= 0))
			continue;
		t = (double)(i - 1) + x[i - 1] / (x[i - 1] - x[i]);
		if (first < 0)
			first = t;
		last = t;
		count++;
	}
	assert_true(count > 2);
	return (double)(count - 1) * RATE / (last - first);
}

/* Amplitude of the component at hz (DFT bin, rectangular window). */
static double amp_at(const float *x, size_t n, double hz)
{
	double re = 0, im = 0, w = 2 * M_PI * hz / RATE;

	for (size_t i = 0; i < n; i++) {
		re += x[i] * cos(w * (double)i);
		im -= x[i] * sin(w * (double)i);
	}
	return 2 * sqrt(re * re + im * im) / (double)n;
}

static double peak(const float *x, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		m = fabs(x[i]) > m ? fabs(x[i]) : m;
	return m;
}

static double energy(const float *x, size_t a, size_t b)
{
	double e = 0;

	for (size_t i = a; i < b; i++)
		e += (double)x[i] * x[i];
	return e;
}

static void assert_clean(const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = fpclassify(x[i]);

		if (c != FP_ZERO && c != FP_NORMAL)
			fail_msg("sample %zu is %g (class %d)", i, x[i], c);
	}
}

static const char *const oscs[] = { "sine", "saw", "square", "tri" };

/* ---- oscillators ---- */

static void test_osc_pitch(void **st)
{
	(void)st;
	for (int o = 0; o < 4; o++) {
		struct bench *b = bench_new();
		uint32_t n = node(b, oscs[o], NULL);
		float *x = capture(b, RATE, n, "out");

		assert_float_equal(zc_freq(x, RATE), 261.6256, 0.05);
		/* a band-limited edge rings (Gibbs): about 9 % of the jump */
		print_message("%s peak %f\n", oscs[o], peak(x, RATE));
		assert_true(peak(x, RATE) < 1.25);
		free(x);
		bench_free(b);
	}
}

/* voct +1 doubles, -1 halves; fm adds Hz. */
static void test_osc_voct_fm(void **st)
{
	static const float scale[] = { 1.0f, -1.0f, 2.0f };
	static const double want[] = { 523.2511, 130.8128, 1046.502 };

	(void)st;
	for (int k = 0; k < 3; k++) {
		struct bench *b = bench_new();
		uint32_t one = node(b, "lfo", "freq", 0.0, "shape", 3.0,
				    "polarity", 1.0, NULL);
		uint32_t n = node(b, "saw", NULL);
		float *x;

		conn(b, one, "out", scale[k], n, "voct");
		x = capture(b, RATE, n, "out");
		assert_float_equal(zc_freq(x, RATE), want[k], want[k] * 2e-4);
		free(x);
		bench_free(b);
	}
	{
		struct bench *b = bench_new();
		uint32_t one = node(b, "lfo", "freq", 0.0, "shape", 3.0,
				    "polarity", 1.0, NULL);
		uint32_t n = node(b, "sine", "freq", 400.0, NULL);
		float *x;

		conn(b, one, "out", 40.0f, n, "fm");
		x = capture(b, RATE, n, "out");
		assert_float_equal(zc_freq(x, RATE), 440.0, 0.05);
		free(x);
		bench_free(b);
	}
}

/*
 * At 5 kHz (exactly 500 periods in 4800 frames) everything off the
 * harmonic bins is aliasing: it stays 40 dB under the signal.
 */
static void alias_check(const char *type)
{
	struct bench *b = bench_new();
	uint32_t n = node(b, type, "freq", 5000.0, NULL);
	float *x = capture(b, 4800 + 480, n, "out");
	double sig = 0, alias = 0, hi = 0;

	for (int bin = 1; bin < 2400; bin++) {
		double a = amp_at(x + 480, 4800, bin * 10.0);

		if (bin % 500 == 0)
			sig += a * a;
		else if (bin < 2000)
			alias += a * a;
		else
			hi += a * a;
	}
	/* above 20 kHz is inaudible; below it, aliasing is the enemy */
	print_message("%s at 5 kHz: aliasing %.1f dB below 20 kHz, %.1f dB above\n", type,
		      10 * log10(alias / sig), 10 * log10(hi / sig));
	assert_true(10 * log10(alias / sig) < -40.0);
	assert_true(10 * log10(hi / sig) < -30.0);
	free(x);
	bench_free(b);
}

static void test_band_limited(void **st)
{
	(void)st;
	alias_check("saw");
	alias_check("square");
	alias_check("tri");
}

static void test_pulse_width(void **st)
{
	static const double pw[] = { 0.25, 0.5, 0.8 };

	(void)st;
	for (int k = 0; k < 3; k++) {
		struct bench *b = bench_new();
		uint32_t n = node(b, "square", "freq", 100.0, "pw", pw[k],
				  NULL);
		float *x = capture(b, RATE, n, "out");
		double mean = 0;
		size_t high = 0;

		for (size_t i = 0; i < RATE; i++) {
			mean += x[i];
			high += x[i] > 0;
		}
		assert_float_equal(mean / RATE, 2 * pw[k] - 1, 0.01);
		assert_float_equal((double)high / RATE, pw[k], 0.005);
		free(x);
		bench_free(b);
	}
}

/* ---- lfo, noise ---- */

static float *lfo_run(int shape, int unipolar)
{
	struct bench *b = bench_new();
	uint32_t n = node(b, "lfo", "freq", 1.0, "shape", (double)shape,
			  "polarity", (double)unipolar, NULL);
	float *x = capture(b, 2 * RATE, n, "out");

	bench_free(b);
	return x;
}

static void test_lfo_shapes(void **st)
{
	const size_t q = RATE / 4;
	float *x;

	(void)st;
	x = lfo_run(0, 0);	/* sine: 0 rising, +1 at a quarter */
	assert_float_equal(x[0], 0, 1e-6);
	assert_float_equal(x[q], 1, 1e-4);
	assert_float_equal(x[3 * q], -1, 1e-4);
	free(x);
	x = lfo_run(1, 0);	/* tri */
	assert_float_equal(x[q], 1, 1e-3);
	assert_float_equal(x[3 * q], -1, 1e-3);
	free(x);
	x = lfo_run(2, 0);	/* saw: 0 rising, drops +1 -> -1 mid-period */
	assert_true(x[q] < x[q + 1000]);
	assert_float_equal(x[2 * q - 1], 1, 1e-3);
	assert_float_equal(x[2 * q + 1], -1, 1e-3);
	free(x);
	x = lfo_run(3, 1);	/* square, unipolar */
	assert_float_equal(x[10], 1, 0);
	assert_float_equal(x[3 * q], 0, 0);
	free(x);
	x = lfo_run(4, 0);	/* sample and hold: steps only per period */
	for (size_t i = 1; i < 2 * RATE; i++)
		if (i % RATE)
			assert_float_equal(x[i], x[i - 1], 0);
	assert_true(x[0] != x[RATE]);
	assert_true(peak(x, 2 * RATE) <= 1.0);
	free(x);
	x = lfo_run(0, 1);	/* unipolar sine in 0..1 */
	assert_float_equal(x[0], 0.5, 1e-6);
	assert_float_equal(x[q], 1, 1e-4);
	assert_float_equal(x[3 * q], 0, 1e-4);
	free(x);
}

/* Mean power per bin in [lo, hi) Hz, averaged over 4096-frame segments. */
static double band_psd(const float *x, size_t segs, double lo, double hi)
{
	const size_t n = 4096;
	double sum = 0;
	size_t bins = 0;

	for (size_t s = 0; s < segs; s++)
		for (size_t k = (size_t)(lo * n / RATE);
		     k < (size_t)(hi * n / RATE); k++, bins++) {
			double a = amp_at(x + s * n, n, (double)k * RATE / n);

			sum += a * a;
		}
	return sum / (double)bins;
}

static void test_noise(void **st)
{
	const size_t n = 40 * 4096;

	(void)st;
	for (int color = 0; color < 2; color++) {
		struct bench *b = bench_new();
		uint32_t nz = node(b, "noise", "color", (double)color, NULL);
		float *x = capture(b, n, nz, "out");
		double mean = 0, var = 0, slope;

		for (size_t i = 0; i < n; i++)
			mean += x[i];
		mean /= (double)n;
		for (size_t i = 0; i < n; i++)
			var += (x[i] - mean) * (x[i] - mean);
		var /= (double)n;
		/* pink wanders: its slowest row holds for 0.7 s */
		assert_true(fabs(mean) < (color ? 0.15 : 0.01));
		slope = 10 * log10(band_psd(x, 16, 100, 200) /
				   band_psd(x, 16, 1600, 3200)) / 4;
		print_message("%s noise: mean %.4f var %.4f, %.2f dB/octave\n",
			      color ? "pink" : "white", mean, var, -slope);
		if (color == 0) {
			assert_float_equal(var, 1.0 / 3, 0.01);
			assert_float_equal(slope, 0, 0.5);
		} else {
			assert_true(var > 0.05 && var < 0.5);
			assert_float_equal(slope, 3, 0.75);
			assert_true(peak(x, n) < 3.5);
		}
		free(x);
		bench_free(b);
	}
}

/* ---- filter, amplifiers ---- */

static double svf_gain(const char *out, double hz)
{
	struct bench *b = bench_new();
	uint32_t s = node(b, "sine", "freq", hz, NULL);
	uint32_t f = node(b, "svf", "cutoff", 1000.0, "q", 0.7071, NULL);
	float *x;
	double g;

	conn(b, s, "out", 1.0f, f, "in");
	x = capture(b, RATE, f, out);
	g = 20 * log10(amp_at(x + RATE / 2, RATE / 2, hz));
	free(x);
	bench_free(b);
	return g;
}

static void test_svf(void **st)
{
	(void)st;
	assert_float_equal(svf_gain("lp", 100), 0, 1.0);
	assert_true(svf_gain("lp", 10000) < -20);
	assert_float_equal(svf_gain("lp", 1000), -3.01, 0.3);
	assert_float_equal(svf_gain("hp", 10000), 0, 1.0);
	assert_true(svf_gain("hp", 100) < -20);
	assert_float_equal(svf_gain("bp", 1000), -3.01, 0.3);
	assert_true(svf_gain("bp", 100) < -15);
	assert_true(svf_gain("bp", 10000) < -15);
}

static void test_vca_mix(void **st)
{
	struct bench *b = bench_new();
	uint32_t a = node(b, "sine", "freq", 300.0, NULL);
	uint32_t c = node(b, "saw", "freq", 70.0, NULL);
	uint32_t one = node(b, "lfo", "freq", 0.0, "shape", 3.0, "polarity",
			    1.0, NULL);
	uint32_t v = node(b, "vca", "gain", 0.5, NULL);
	uint32_t m = node(b, "mix", "gain1", 0.25, "gain2", -2.0, NULL);
	float *x;

	(void)st;
	conn(b, a, "out", 1.0f, v, "in");
	conn(b, one, "out", 0.8f, v, "cv");
	conn(b, a, "out", 1.0f, m, "in1");
	conn(b, c, "out", 0.5f, m, "in2");
	conn(b, c, "out", 0.5f, m, "in2");	/* summed: 1.0 */
	x = capture(b, 4800, v, "out");
	assert_float_equal(peak(x, 4800), 0.4, 1e-3);
	free(x);
	{
		float *sa, *sc, *mx;

		finish(b);
		memset(&b->tr, 0, sizeof(b->tr));
		sb_transport_init(&b->tr, RATE);
		mx = calloc(256, sizeof(float));
		sa = calloc(256, sizeof(float));
		sc = calloc(256, sizeof(float));
		run(b, 256, 256, m, 0, mx, NULL);
		/* the same frames from the sources' buffers */
		memcpy(sa, (float *)(b->heap + ((struct sb_plan_hdr *)b->slot)
				     ->bufs_off) + b->node[a].out_buf * 256,
		       256 * sizeof(float));
		memcpy(sc, (float *)(b->heap + ((struct sb_plan_hdr *)b->slot)
				     ->bufs_off) + b->node[c].out_buf * 256,
		       256 * sizeof(float));
		for (int i = 0; i < 256; i++)
			assert_float_equal(mx[i], 0.25f * sa[i] - 2.0f * sc[i],
					   1e-5);
		free(sa);
		free(sc);
		free(mx);
	}
	bench_free(b);
}

/* ---- envelopes, glide ---- */

/* A gate from frame `on` to `off` via MIDI note 60. */
static struct sb_mod_midi gate_events(uint32_t on, uint32_t off)
{
	struct sb_mod_midi m = { .n = 2 };

	m.ev[0].offset = on;
	memcpy(m.ev[0].bytes, (uint8_t[]){ 0x90, 60, 100 }, 3);
	m.ev[1].offset = off;
	memcpy(m.ev[1].bytes, (uint8_t[]){ 0x80, 60, 0 }, 3);
	return m;
}

static float *gated(struct bench *b, uint32_t dst, size_t frames,
		    uint32_t on, uint32_t off, const char *port)
{
	struct sb_mod_midi m = gate_events(on, off);
	const struct sb_mod_def *d = b->node[dst].def;
	float *x = calloc(frames, sizeof(float));

	finish(b);
	start_transport(b);
	run(b, frames, 256, dst,
	    (uint32_t)port_index(d->outputs, d->n_outputs, port), x, &m);
	return x;
}

static void test_adsr(void **st)
{
	struct bench *b = bench_new();
	uint32_t g = node(b, "midi", NULL);
	uint32_t e = node(b, "adsr", "a", 0.01, "d", 0.1, "s", 0.5, "r",
			  0.2, NULL);
	float *x;
	size_t top = 0;

	(void)st;
	conn(b, g, "gate", 1.0f, e, "gate");
	x = gated(b, e, RATE, 0, 24000, "out");
	while (x[top] < 1.0f)
		top++;
	assert_true(labs((long)top - 480) <= 48);	/* within 1 ms of a */
	assert_float_equal(x[240], 0.5, 0.01);
	assert_float_equal(x[480 + 4800], 0.5, 0.5 * 0.0011);
	assert_float_equal(x[20000], 0.5, 1e-6);
	assert_float_equal(x[24000 + 9600], 0, 0.5 * 0.0011);
	assert_true(x[24000 + 4800] > 0.01);
	assert_float_equal(x[RATE - 1], 0, 0);
	free(x);
	bench_free(b);
}

static void test_glide(void **st)
{
	struct bench *b = bench_new();
	uint32_t g = node(b, "midi", NULL);
	uint32_t gl = node(b, "glide", "time", 0.1, NULL);
	float *x;

	(void)st;
	conn(b, g, "gate", 1.0f, gl, "in");
	x = gated(b, gl, RATE, 4800, 24000, "out");
	assert_float_equal(x[4799], 0, 0);
	assert_float_equal(x[4800 + 2400], 0.5, 0.01);
	assert_float_equal(x[4800 + 4800], 1, 1e-6);
	assert_float_equal(x[24000 + 2400], 0.5, 0.01);
	assert_float_equal(x[24000 + 4801], 0, 1e-6);
	free(x);
	bench_free(b);
}

/* ---- transport-locked modules ---- */

static void test_clock(void **st)
{
	static const double div[] = { 1, 0.25, 4, 1.0 / 3 };

	(void)st;
	for (int k = 0; k < 4; k++) {
		struct bench *b = bench_new();
		uint32_t c = node(b, "clock", "division", div[k], NULL);
		size_t frames = 4 * RATE, ticks = 0, high = 0;
		float *t = capture(b, frames, c, "trig");
		double len = div[k] * 24000.0;

		for (size_t i = 0; i < frames; i++) {
			if (t[i] == 0.0f)
				continue;
			assert_float_equal(t[i], 1, 0);
			assert_int_equal(i, (size_t)llround(ticks * len));
			ticks++;
		}
		assert_int_equal(ticks, (size_t)ceil(frames / len));
		free(t);
		bench_free(b);
		b = bench_new();
		c = node(b, "clock", "division", div[k], NULL);
		t = capture(b, frames, c, "gate");
		for (size_t i = 0; i < (size_t)len; i++)
			high += t[i] > 0.5f;
		assert_true(fabs((double)high - len / 2) <= 1);
		free(t);
		bench_free(b);
	}
}

/* A compiled pattern of n_cycles variants of `steps` equal steps. */
static void *seq_blob(const int *notes, uint32_t steps, uint32_t cycles,
		      size_t *bytes)
{
	size_t n_ev = (size_t)steps * cycles;
	size_t off_c = 64, off_e = off_c + cycles * sizeof(struct sb_seq_cycle);
	size_t total = off_e + n_ev * sizeof(struct sb_seq_event) + 8;
	uint8_t *p = calloc(1, total);
	struct sb_seq_data *d = (void *)p;

	d->magic = SB_SEQ_MAGIC;
	d->n_cycles = cycles;
	d->n_events = (uint32_t)n_ev;
	d->cycles_off = off_c;
	d->events_off = off_e;
	d->text_off = total - 8;
	d->bytes = total;
	for (uint32_t c = 0; c < cycles; c++) {
		struct sb_seq_cycle *cy = (void *)(p + off_c) ;

		cy[c].first = c * steps;
		cy[c].count = steps;
		for (uint32_t s = 0; s < steps; s++) {
			struct sb_seq_event *e = (void *)(p + off_e);

			e[c * steps + s].start = (double)s / steps;
			e[c * steps + s].length = 1.0 / steps;
			e[c * steps + s].note = notes[c * steps + s];
		}
	}
	*bytes = total;
	return p;
}

static void test_seq_steps(void **st)
{
	static const int notes[] = { 60, 64, 67, SB_SEQ_REST,
				     72, 64, 67, 62 };
	struct bench *b = bench_new();
	size_t bytes;
	void *blob = seq_blob(notes, 4, 2, &bytes);
	uint32_t s = node(b, "seq", NULL);
	float *g, *t, *p;
	size_t frames = 2 * 96000;

	(void)st;
	b->node[s].data = blob;
	b->node[s].data_bytes = bytes;
	p = capture(b, frames, s, "pitch");
	bench_free(b);
	b = bench_new();
	s = node(b, "seq", NULL);
	b->node[s].data = blob;
	b->node[s].data_bytes = bytes;
	g = capture(b, frames, s, "gate");
	bench_free(b);
	b = bench_new();
	s = node(b, "seq", NULL);
	b->node[s].data = blob;
	b->node[s].data_bytes = bytes;
	t = capture(b, frames, s, "trig");
	/* triggers exactly at the steps with a note, bar 1 alternates */
	for (size_t i = 0; i < frames; i++) {
		int step = (int)(i / 24000);
		int note = notes[step], want = i % 24000 == 0 &&
					       note != SB_SEQ_REST;

		assert_int_equal((int)t[i], want);
		if (note != SB_SEQ_REST)
			assert_float_equal(p[i], (note - 60) / 12.0, 1e-6);
		assert_int_equal(g[i] > 0.5f, note != SB_SEQ_REST &&
				 i % 24000 < 24000 - 240);
	}
	free(p);
	free(g);
	free(t);
	free(blob);
	bench_free(b);
}

/*
 * A new pattern swapped in mid-step (same node state, new data) takes
 * over at the very position: no trigger until its next step boundary,
 * none skipped, none doubled, pitch at once.
 */
static void test_seq_swap(void **st)
{
	static const int a[] = { 60, 62, 64, 65 }, bb[] = { 67, 69, 71, 72 };
	struct bench *b = bench_new();
	size_t bytes_a, bytes_b;
	void *da = seq_blob(a, 4, 1, &bytes_a), *db = seq_blob(bb, 4, 1,
							      &bytes_b);
	uint32_t s = node(b, "seq", NULL);
	float *t = calloc(96000, sizeof(float)), *p = calloc(96000,
							     sizeof(float));

	(void)st;
	b->node[s].data = da;
	b->node[s].data_bytes = bytes_a;
	finish(b);
	start_transport(b);
	run(b, 30000, 100, s, 2, t, NULL);
	b->node[s].data = db;
	b->node[s].data_bytes = bytes_b;
	finish(b);
	run(b, 96000 - 30000, 100, s, 2, t + 30000, NULL);
	for (size_t i = 0; i < 96000; i++)
		assert_int_equal((int)t[i], i % 24000 == 0);
	free(t);
	/* pitch: the old pattern's second step until 30000, then new */
	bench_free(b);
	b = bench_new();
	s = node(b, "seq", NULL);
	b->node[s].data = da;
	b->node[s].data_bytes = bytes_a;
	finish(b);
	start_transport(b);
	run(b, 30000, 100, s, 0, p, NULL);
	b->node[s].data = db;
	b->node[s].data_bytes = bytes_b;
	finish(b);
	run(b, 96000 - 30000, 100, s, 0, p + 30000, NULL);
	assert_float_equal(p[29999], 2 / 12.0, 1e-6);
	assert_float_equal(p[30000], 9 / 12.0, 1e-6);
	assert_float_equal(p[48000], 11 / 12.0, 1e-6);
	free(p);
	free(da);
	free(db);
	bench_free(b);
}

static void test_seq_stopped(void **st)
{
	static const int a[] = { 60, 62 };
	struct bench *b = bench_new();
	size_t bytes;
	void *d = seq_blob(a, 2, 1, &bytes);
	uint32_t s = node(b, "seq", NULL);
	float g[4096];

	(void)st;
	b->node[s].data = d;
	b->node[s].data_bytes = bytes;
	finish(b);
	run(b, 4096, 256, s, 1, g, NULL);	/* transport never started */
	assert_true(peak(g, 4096) == 0);
	free(d);
	bench_free(b);
}

/* ---- delay, reverb ---- */

static void test_delay(void **st)
{
	struct bench *b = bench_new();
	uint32_t c = node(b, "clock", "division", 16.0, NULL);
	uint32_t d = node(b, "delay", "time", 0.1, "feedback", 0.5, "mix",
			  1.0, "max", 1.0, NULL);
	float *x;

	(void)st;
	conn(b, c, "trig", 1.0f, d, "in");
	x = capture(b, RATE, d, "out");
	for (size_t i = 0; i < RATE; i++) {
		double want = i && i % 4800 == 0 ? pow(0.5, i / 4800 - 1) : 0;

		assert_float_equal(x[i], want, 1e-6);
	}
	free(x);
	bench_free(b);
}

static void test_reverb(void **st)
{
	struct bench *b = bench_new();
	uint32_t c = node(b, "clock", "division", 64.0, NULL);
	uint32_t r = node(b, "reverb", "size", 0.3, "damp", 0.5, "mix", 1.0,
			  NULL);
	size_t n = 12 * RATE;
	float *x;
	double e1, e2, e3;

	(void)st;
	conn(b, c, "trig", 1.0f, r, "in");
	x = capture(b, n, r, "left");
	assert_clean(x, n);
	e1 = energy(x, RATE / 10, RATE / 5);
	e2 = energy(x, RATE, RATE + RATE / 10);
	e3 = energy(x, 2 * RATE, 2 * RATE + RATE / 10);
	assert_true(e1 > 0);
	assert_true(e2 < e1 && e3 < e2);
	/* RT60 at size 0.3 is about 0.8 s: silent long before 10 s */
	assert_true(peak(x + 10 * RATE, 2 * RATE) < 1e-6);
	assert_true(peak(x, n) < 2);
	free(x);
	bench_free(b);
}

/* ---- midi ---- */

static void test_midi(void **st)
{
	struct sb_mod_midi m = { .n = 5 };
	static const uint8_t ev[5][3] = {
		{ 0x90, 69, 127 }, { 0x90, 72, 64 }, { 0x80, 72, 0 },
		{ 0x90, 69, 0 }, { 0x91, 40, 100 },
	};
	static const uint32_t at[5] = { 10, 300, 600, 900, 1000 };
	struct bench *b = bench_new();
	uint32_t md = node(b, "midi", NULL);
	float p[1200], g[1200], v[1200], t[1200];

	(void)st;
	for (int k = 0; k < 5; k++) {
		m.ev[k].offset = at[k];
		memcpy(m.ev[k].bytes, ev[k], 3);
	}
	finish(b);
	start_transport(b);
	run(b, 1200, 128, md, 0, p, &m);
	memset(b->heap + b->node[md].state_off, 0, 128 + 64);
	run(b, 1200, 128, md, 1, g, &m);
	memset(b->heap + b->node[md].state_off, 0, 128 + 64);
	run(b, 1200, 128, md, 2, v, &m);
	memset(b->heap + b->node[md].state_off, 0, 128 + 64);
	run(b, 1200, 128, md, 3, t, &m);
	assert_float_equal(g[9], 0, 0);
	assert_float_equal(g[10], 1, 0);
	assert_float_equal(t[10], 1, 0);
	assert_float_equal(t[11], 0, 0);
	assert_float_equal(p[10], 9 / 12.0, 1e-6);
	assert_float_equal(v[10], 1, 1e-6);
	assert_float_equal(p[300], 1, 1e-6);	/* last note wins */
	assert_float_equal(v[300], 64 / 127.0, 1e-6);
	assert_float_equal(p[600], 9 / 12.0, 1e-6);	/* back to 69 */
	assert_float_equal(g[600], 1, 0);
	assert_float_equal(t[600], 0, 0);
	assert_float_equal(g[900], 0, 0);	/* vel-0 note-on = off */
	assert_float_equal(p[950], 9 / 12.0, 1e-6);	/* pitch held */
	assert_float_equal(g[1000], 1, 0);	/* omni: channel 2 too */
	bench_free(b);
}

/* ---- executor ---- */

/* A kept node's parameters glide linearly over SB_GLIDE_S. */
static void test_param_glide(void **st)
{
	struct bench *b = bench_new();
	uint32_t s = node(b, "sine", "freq", 100.0, NULL);
	struct sb_node_state *ns;
	const uint32_t g = (uint32_t)(SB_GLIDE_S * RATE);

	(void)st;
	finish(b);
	ns = (struct sb_node_state *)(b->heap + b->node[s].state_off);
	run(b, 1000, 200, s, 0, NULL, NULL);
	assert_float_equal(ns->cur[0], 100, 0);
	b->node[s].par[0] = 200;
	finish(b);
	run(b, g / 2, 160, s, 0, NULL, NULL);
	assert_float_equal(ns->cur[0], 150, 0.01);
	run(b, g / 2 - 1, 160, s, 0, NULL, NULL);
	assert_true(ns->cur[0] < 200);
	run(b, 1, 160, s, 0, NULL, NULL);
	assert_float_equal(ns->cur[0], 200, 0);
	run(b, 500, 160, s, 0, NULL, NULL);
	assert_float_equal(ns->cur[0], 200, 0);
	bench_free(b);
}

/* Parameter connections add to the smoothed value, per frame. */
static void test_param_conn(void **st)
{
	struct bench *b = bench_new();
	uint32_t one = node(b, "lfo", "freq", 0.0, "shape", 3.0, "polarity",
			    1.0, NULL);
	uint32_t s = node(b, "sine", "freq", 200.0, NULL);
	float *x;

	(void)st;
	conn(b, one, "out", 100.0f, s, "freq");
	conn(b, one, "out", 140.0f, s, "freq");
	x = capture(b, RATE, s, "out");
	assert_float_equal(zc_freq(x, RATE), 440, 0.05);
	free(x);
	bench_free(b);
}

/* A feedback loop through a delay: read one sub-block late, stable. */
static void test_delay_loop(void **st)
{
	struct bench *b = bench_new();
	uint32_t c = node(b, "clock", "division", 64.0, NULL);
	uint32_t m = node(b, "mix", "gain2", 0.5, NULL);
	uint32_t d = node(b, "delay", "time", 0.01, "feedback", 0.0, "mix",
			  1.0, NULL);
	float *x;
	size_t first = 0;

	(void)st;
	conn(b, c, "trig", 1.0f, m, "in1");
	conn(b, d, "out", 1.0f, m, "in2");	/* back edge */
	conn(b, m, "out", 1.0f, d, "in");
	x = capture(b, RATE, m, "out");
	assert_float_equal(x[0], 1, 0);
	for (first = 1; first < RATE && x[first] == 0; first++)
		;
	/* 480 frames of delay, plus the sub-block the back edge waits */
	assert_int_equal(first, 480 + 256);
	assert_float_equal(x[first], 0.5, 1e-6);
	assert_true(peak(x + 1, RATE - 1) <= 0.5);
	free(x);
	bench_free(b);
}

static void test_plan_check(void **st)
{
	struct bench *b = bench_new();
	uint32_t s = node(b, "saw", NULL);
	uint32_t f = node(b, "svf", NULL);
	struct sb_plan_hdr *h = (struct sb_plan_hdr *)b->slot;
	struct sb_plan_node *nd;
	struct sb_plan_conn *cn;

	(void)st;
	conn(b, s, "out", 1.0f, f, "in");
	finish(b);
	nd = (struct sb_plan_node *)(b->slot + h->nodes_off);
	cn = (struct sb_plan_conn *)(b->slot + nd[1].conn_off);
	cn->index = 5;
	assert_int_equal(sb_plan_check(b->slot, SLOT_BYTES, HEAP_BYTES),
			 -EPROTO);
	cn->index = 0;
	nd[1].type = 9999;
	assert_int_equal(sb_plan_check(b->slot, SLOT_BYTES, HEAP_BYTES),
			 -EPROTO);
	nd[1].type = b->node[f].type;
	assert_int_equal(sb_plan_check(b->slot, SLOT_BYTES, 4096), -EPROTO);
	h->magic = 0;
	assert_int_equal(sb_plan_check(b->slot, SLOT_BYTES, HEAP_BYTES),
			 -EPROTO);
	bench_free(b);
}

/*
 * A loud burst, then 10 s of silence through every stateful filter:
 * every output sample is exactly 0 or a normal number (no denormals,
 * no NaN), and the tails end in exact zeros.
 */
static void test_no_denormals(void **st)
{
	struct bench *b = bench_new();
	uint32_t g = node(b, "midi", NULL);
	uint32_t nz = node(b, "noise", NULL);
	uint32_t v = node(b, "vca", "gain", 8.0, NULL);
	uint32_t f = node(b, "svf", "cutoff", 300.0, "q", 20.0, NULL);
	uint32_t e = node(b, "adsr", "r", 0.05, NULL);
	uint32_t d = node(b, "delay", "time", 0.05, "feedback", 0.9, NULL);
	uint32_t r = node(b, "reverb", "size", 0.0, NULL);
	uint32_t m = node(b, "mix", NULL);
	size_t n = 11 * RATE;
	float *x = calloc(n, sizeof(float));
	struct sb_mod_midi ev = gate_events(0, RATE / 2);

	(void)st;
	conn(b, g, "gate", 1.0f, v, "cv");
	conn(b, nz, "out", 1.0f, v, "in");
	conn(b, v, "out", 1.0f, f, "in");
	conn(b, g, "gate", 1.0f, e, "gate");
	conn(b, f, "lp", 1.0f, d, "in");
	conn(b, d, "out", 1.0f, r, "in");
	conn(b, r, "left", 1.0f, m, "in1");
	conn(b, e, "out", 1.0f, m, "in2");
	finish(b);
	start_transport(b);
	run(b, n, 256, m, 0, x, &ev);
	assert_clean(x, n);
	assert_true(peak(x, RATE) > 0.1);
	assert_true(peak(x + 10 * RATE, RATE) < 1e-6);
	free(x);
	bench_free(b);
}

static void test_table(void **st)
{
	uint32_t idx;

	(void)st;
	assert_int_equal(sb_mod_count, 18);
	for (uint32_t i = 0; i < sb_mod_count; i++) {
		const struct sb_mod_def *d = sb_mod_table[i];

		assert_ptr_equal(sb_mod_find(d->type, &idx), d);
		assert_int_equal(idx, i);
		assert_true(d->n_inputs <= SB_MOD_MAX_PORTS);
		assert_true(d->n_outputs <= SB_MOD_MAX_PORTS);
		assert_true(d->n_params <= SB_MOD_MAX_PARAMS);
		for (uint32_t k = 0; k < d->n_params; k++) {
			const struct sb_param_def *p = &d->params[k];

			assert_true(p->kind == SB_PK_TEXT ||
				    (p->def >= p->min && p->def <= p->max));
			assert_true(p->kind != SB_PK_ENUM || p->choices);
		}
	}
	assert_null(sb_mod_find("sawx", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_osc_pitch),
		cmocka_unit_test(test_osc_voct_fm),
		cmocka_unit_test(test_band_limited),
		cmocka_unit_test(test_pulse_width),
		cmocka_unit_test(test_lfo_shapes),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_svf),
		cmocka_unit_test(test_vca_mix),
		cmocka_unit_test(test_adsr),
		cmocka_unit_test(test_glide),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_seq_steps),
		cmocka_unit_test(test_seq_swap),
		cmocka_unit_test(test_seq_stopped),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_reverb),
		cmocka_unit_test(test_midi),
		cmocka_unit_test(test_param_glide),
		cmocka_unit_test(test_param_conn),
		cmocka_unit_test(test_delay_loop),
		cmocka_unit_test(test_plan_check),
		cmocka_unit_test(test_no_denormals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
