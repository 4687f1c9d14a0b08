/*
 * dsp.h - small inline helpers the modules share (rt/dsp/mod_*.c), so no
 * module carries its own copy: band-limiting corrections, fast pitch and
 * trig approximations, denormal flushing, one-pole coefficients, the
 * transport grid.  Everything here is pure arithmetic on what the caller
 * hands it: RT-safe, and callable from any thread (the engine's process
 * thread, the offline renderer, the server).
 */
#ifndef SB_DSP_H
#define SB_DSP_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rt/dsp/module.h"

#define SB_PI 3.14159265358979f
#define SB_TWO_PI 6.28318530717959f

/*
 * rt/dsp/plan.c: the buffer every unconnected input points at.  Modules may
 * compare an input pointer with it to skip work (an unmodulated pitch
 * needs no exp2 per frame).
 */
extern const float sb_zero_block[SB_PLAN_BLOCK];

/* 1 if the input is not connected (points at sb_zero_block). */
/* thread: any */
static inline int sb_unconnected(const float *in)
{
	return in == sb_zero_block;
}

/*
 * rt/dsp/plan.c's parameter buffers hold SB_PLAN_BLOCK frames and then one
 * flag: nonzero when the parameter is neither gliding nor connected, so
 * every frame of the block holds the same value.  Modules use it to skip
 * per-frame coefficient updates.  (A convention of this executor: p[k]
 * only ever comes from it.)
 */
#define SB_PARAM_STRIDE (SB_PLAN_BLOCK + 4)

/* 1 if parameter buffer p holds one value over the whole block. */
/* thread: any */
static inline int sb_param_const(const float *p)
{
	return p[SB_PLAN_BLOCK] != 0.0f;
}

/* Values this small are flushed to 0 so feedback never goes subnormal. */
/* thread: any */
static inline float sb_flush(float x)
{
	return fabsf(x) < 1e-20f ? 0.0f : x;
}

/*
 * Four-float vectors (GCC/Clang vector extensions: SSE on x86-64, NEON
 * on ARM, plain code elsewhere) for the per-block loops the compiler
 * leaves scalar at -O2.  Loads and stores go through memcpy, so buffers
 * need no alignment.
 */
typedef float sb_v4 __attribute__((vector_size(16)));
typedef int32_t sb_v4i __attribute__((vector_size(16)));

/* Four floats from p, any alignment. */
/* thread: any */
static inline sb_v4 sb_v4_load(const float *p)
{
	sb_v4 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Four floats to p, any alignment. */
/* thread: any */
static inline void sb_v4_store(float *p, sb_v4 v)
{
	memcpy(p, &v, sizeof(v));
}

/* x in every lane. */
/* thread: any */
static inline sb_v4 sb_v4_set(float x)
{
	return (sb_v4){ x, x, x, x };
}

/* Per lane: a < b ? a : b. */
/* thread: any */
static inline sb_v4 sb_v4_min(sb_v4 a, sb_v4 b)
{
	sb_v4i m = a < b;

	return (sb_v4)((m & (sb_v4i)a) | (~m & (sb_v4i)b));
}

/* Per lane: a > b ? a : b. */
/* thread: any */
static inline sb_v4 sb_v4_max(sb_v4 a, sb_v4 b)
{
	sb_v4i m = a > b;

	return (sb_v4)((m & (sb_v4i)a) | (~m & (sb_v4i)b));
}

/* d[0..n) = v. */
/* thread: any */
static inline void sb_fill(float *d, float v, uint32_t n)
{
	sb_v4 x = sb_v4_set(v);
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4)
		sb_v4_store(d + i, x);
	for (; i < n; i++)
		d[i] = v;
}

/* d = a + k * s (a may be d). */
/* thread: any */
static inline void sb_madd(float *d, const float *a, const float *s, float k,
			   uint32_t n)
{
	sb_v4 kv = sb_v4_set(k);
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4)
		sb_v4_store(d + i, sb_v4_load(a + i) +
				   kv * sb_v4_load(s + i));
	for (; i < n; i++)
		d[i] = a[i] + k * s[i];
}

/* 1 if all n (>= 1) values equal the first (exactly). */
/* thread: any */
static inline int sb_is_const(const float *x, uint32_t n)
{
	sb_v4 x0 = sb_v4_set(x[0]);
	sb_v4i diff = { 0, 0, 0, 0 };
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4)
		diff |= sb_v4_load(x + i) != x0;
	for (; i < n; i++)
		if (x[i] != x[0])
			return 0;
	return !(diff[0] | diff[1] | diff[2] | diff[3]);
}

/* d += a * b. */
/* thread: any */
static inline void sb_muladd(float *d, const float *a, const float *b,
			     uint32_t n)
{
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4)
		sb_v4_store(d + i, sb_v4_load(d + i) +
				   sb_v4_load(a + i) * sb_v4_load(b + i));
	for (; i < n; i++)
		d[i] += a[i] * b[i];
}

/* d = k * s. */
/* thread: any */
static inline void sb_scale(float *d, const float *s, float k, uint32_t n)
{
	sb_v4 kv = sb_v4_set(k);
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4)
		sb_v4_store(d + i, kv * sb_v4_load(s + i));
	for (; i < n; i++)
		d[i] = k * s[i];
}

/* d = a * b. */
/* thread: any */
static inline void sb_mul(float *d, const float *a, const float *b,
			  uint32_t n)
{
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4)
		sb_v4_store(d + i, sb_v4_load(a + i) * sb_v4_load(b + i));
	for (; i < n; i++)
		d[i] = a[i] * b[i];
}

/* x limited to [lo, hi]. */
/* thread: any */
static inline float sb_clampf(float x, float lo, float hi)
{
	return x < lo ? lo : (x > hi ? hi : x);
}

/*
 * 2^x for pitch (|x| < 60).  2^x = 2^i * 2^f with f - 0.5 in [-0.5, 0.5)
 * and a degree-6 Taylor series of e^(f ln 2) around 0.5: relative error
 * below 2e-7 (far below a thousandth of a cent), no libm call.
 */
/* thread: any */
static inline float sb_exp2(float x)
{
	float fi, f, u, p;
	union { float f; uint32_t i; } s;

	x = sb_clampf(x, -60.0f, 60.0f);
	fi = floorf(x);
	f = (x - fi - 0.5f) * 0.693147180559945f;
	p = 1.0f + f * (1.0f + f * (0.5f + f * (1.0f / 6 + f * (1.0f / 24 +
	    f * (1.0f / 120 + f * (1.0f / 720))))));
	u = p * 1.41421356237310f;
	s.i = (uint32_t)((int32_t)fi + 127) << 23;
	return u * s.f;
}

/*
 * sin(2 pi t) for any t in [0, 1).  Folded to x in [-pi/2, pi/2] and an
 * odd Taylor series to x^11: error below 1e-7.
 */
/* thread: any */
static inline float sb_sin2pi(float t)
{
	float u = t - 0.5f, x, x2;

	if (u > 0.25f)
		u = 0.5f - u;
	else if (u < -0.25f)
		u = -0.5f - u;
	x = -SB_TWO_PI * u;
	x2 = x * x;
	return x * (1.0f + x2 * (-1.0f / 6 + x2 * (1.0f / 120 +
	       x2 * (-1.0f / 5040 + x2 * (1.0f / 362880 +
	       x2 * (-1.0f / 39916800))))));
}

/*
 * tan(pi x) for x in (0, 0.5): the filter prewarp.  A [5/4] Pade
 * approximant on [0, pi/4], and tan(pi x) = 1 / tan(pi (0.5 - x)) above.
 */
/* thread: any */
static inline float sb_tan_pi(float x)
{
	int flip = x > 0.25f;
	float z = SB_PI * (flip ? 0.5f - x : x), z2 = z * z, t;

	t = z * (945.0f - 105.0f * z2 + z2 * z2) /
	    (945.0f - 420.0f * z2 + 15.0f * z2 * z2);
	return flip ? 1.0f / t : t;
}

/*
 * PolyBLAMP: the correction of a slope change of 1 per frame at phase 0
 * of a phase t in [0, 1) advancing dt per frame (the integral of the
 * two-frame polynomial step residual), for the corners of a triangle.
 */
/* thread: any */
static inline float sb_blamp(float t, float dt)
{
	float x;

	if (t < dt) {
		x = 1.0f - t / dt;
		return x * x * x * (1.0f / 6.0f);
	}
	if (t > 1.0f - dt) {
		x = 1.0f + (t - 1.0f) / dt;
		return x * x * x * (1.0f / 6.0f);
	}
	return 0.0f;
}

/* Coefficient of a one-pole that covers 1 - 1/e of a step in `sec`. */
/* thread: any */
static inline float sb_onepole_coef(float sec, uint32_t rate)
{
	if (sec <= 0.0f)
		return 0.0f;
	return expf(-1.0f / (sec * (float)rate));
}

/* y += (1 - c) * (x - y): one step of a one-pole lowpass. */
/* thread: any */
static inline float sb_onepole(float *y, float x, float c)
{
	*y = sb_flush(x + c * (*y - x));
	return *y;
}

/* Next state of a 32-bit xorshift generator; never 0 once seeded. */
/* thread: any */
static inline uint32_t sb_rand(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Uniform in [-1, 1). */
/* thread: any */
static inline float sb_randf(uint32_t *s)
{
	return (float)(int32_t)sb_rand(s) * (1.0f / 2147483648.0f);
}

/*
 * The transport grid.  Interval k of length len frames (a tick, a bar)
 * starts at frame round(k * len) of transport time, the same rounding as
 * the transport's own beats, so a grid of whole beats lands exactly on
 * them.
 */
/* thread: any */
static inline uint64_t sb_grid_start(int64_t k, double len)
{
	int64_t f = llround((double)k * len);

	return f > 0 ? (uint64_t)f : 0;
}

/* The k whose interval holds frame p. */
/* thread: any */
static inline int64_t sb_grid_index(uint64_t p, double len)
{
	int64_t k = (int64_t)floor((double)p / len);

	while (k > 0 && sb_grid_start(k, len) > p)
		k--;
	while (sb_grid_start(k + 1, len) <= p)
		k++;
	return k;
}

/* Transport frame of block frame i, or 0 with *ok = 0 when stopped. */
/* thread: any */
static inline uint64_t sb_transport_frame(const struct sb_mod_ctx *c,
					  uint32_t i, int *ok)
{
	*ok = c->beats && c->beats->running && c->beats->frames_per_beat > 0;
	return *ok ? c->beats->pos + c->offset + i : 0;
}

/* A module whose state is one fixed struct. */
#define SB_FIXED_STATE(fn, type)					\
	static size_t fn(const float *p_, uint32_t rate_)		\
	{								\
		(void)p_;						\
		(void)rate_;						\
		return sizeof(type);					\
	}

/* state_size of a module with no state of its own. */
/* thread: any */
static inline size_t sb_no_state(const float *p, uint32_t rate)
{
	(void)p;
	(void)rate;
	return 0;
}

/* init for a module whose fresh state is all zeros (memory is zeroed). */
/* thread: any */
static inline void sb_init_zeroed(void *state, const float *p,
				  uint32_t rate)
{
	(void)state;
	(void)p;
	(void)rate;
}

/* The ports and frequency parameter every oscillator shares. */
enum { SB_OSC_VOCT, SB_OSC_FM, SB_OSC_N_INPUTS };
#define SB_OSC_INPUTS {							\
	{ "voct", "pitch in V/oct, added: f = freq * 2^voct" },	\
	{ "fm", "linear frequency modulation in Hz, added" },		\
}
#define SB_OSC_FREQ {							\
	.name = "freq", .kind = SB_PK_NUM, .min = 0.0f,		\
	.max = 20000.0f, .def = SB_C4_HZ, .unit = "Hz",		\
	.doc = "frequency at voct 0 (a note name means its frequency)" \
}

/*
 * Phase increments per frame: freq * 2^voct + fm, kept in [0, 0.45] of
 * the rate.  Unconnected inputs cost nothing; with both unconnected and
 * freq constant, dt is one value (the same one the loops would make).
 */
/* thread: any */
static inline void sb_osc_dt(float *dt, const float *freq,
			     const float *const *in, uint32_t n,
			     uint32_t rate)
{
	const float *voct = in[SB_OSC_VOCT], *fm = in[SB_OSC_FM];
	float inv = 1.0f / (float)rate;
	sb_v4 lo = sb_v4_set(0.0f), hi = sb_v4_set(0.45f);
	uint32_t i;

	if (sb_unconnected(voct) && sb_unconnected(fm) &&
	    sb_param_const(freq)) {
		sb_fill(dt, sb_clampf(freq[0] * inv, 0.0f, 0.45f), n);
		return;
	}
	if (sb_unconnected(voct)) {
		memcpy(dt, freq, n * sizeof(float));
	} else {
		for (i = 0; i < n; i++)
			dt[i] = freq[i] * sb_exp2(voct[i]);
	}
	if (!sb_unconnected(fm))
		sb_madd(dt, dt, fm, 1.0f, n);
	for (i = 0; i + 4 <= n; i += 4)
		sb_v4_store(dt + i, sb_v4_min(sb_v4_max(sb_v4_load(dt + i) *
						       inv, lo), hi));
	for (; i < n; i++)
		dt[i] = sb_clampf(dt[i] * inv, 0.0f, 0.45f);
}

/* Phase + dt, wrapped into [0, 1). */
/* thread: any */
static inline float sb_phase_next(float t, float dt)
{
	t += dt;
	return t >= 1.0f ? t - 1.0f : t;
}

/* Phase t + d wrapped into [0, 1), for d in [0, 1). */
/* thread: any */
static inline float sb_phase_add(float t, float d)
{
	t += d;
	return t >= 1.0f ? t - 1.0f : t;
}

/*
 * Band-limited steps (saw, square): a naive wave plus, at each jump, the
 * difference between a band-limited step (integral of a Kaiser-windowed
 * sinc, cutoff 0.45 x rate) and the ideal one, centred on the jump's
 * exact sub-frame time.  Being centred it needs SB_BLEP_HALF frames of
 * look-ahead, so these oscillators sound SB_BLEP_HALF frames late; in
 * exchange aliasing stays ~60 dB down, and a frame without a jump costs
 * one add.  rt/dsp/plan.c fills the table once at program start.
 */
#define SB_BLEP_HALF 16
#define SB_BLEP_LEN (2 * SB_BLEP_HALF)	/* ring slots, a power of two */
#define SB_BLEP_PHASES 64
/* The band-limited unit step, every 1/PHASES frame over [-HALF, HALF]. */
extern float sb_blep_table[SB_BLEP_LEN * SB_BLEP_PHASES + 1];

struct sb_blep {
	float ring[SB_BLEP_LEN];	/* pending output, by frame */
	uint32_t w;			/* slot of the current frame */
};

/* A jump of amp happened f frames (0 <= f < 1) before the current frame. */
/* thread: any */
static inline void sb_blep_step(struct sb_blep *b, float f, float amp)
{
	const uint32_t m = SB_BLEP_LEN - 1;
	float x = sb_clampf(f, 0.0f, 0.9999f) * SB_BLEP_PHASES;
	int p = (int)x;
	float fr = x - (float)p;
	const float *r = sb_blep_table + SB_BLEP_PHASES + p;

	/* tap j is frame j - HALF + 1 after the current one: at or after
	 * the jump from j = HALF - 1 on, where the naive wave has it */
	for (uint32_t j = 0; j < SB_BLEP_LEN - 1; j++) {
		const float *q = r + j * SB_BLEP_PHASES;
		float ideal = j >= SB_BLEP_HALF - 1 ? 1.0f : 0.0f;

		b->ring[(b->w - SB_BLEP_HALF + 1 + j) & m] +=
			amp * (q[0] + fr * (q[1] - q[0]) - ideal);
	}
}

/* The current frame's naive value in; the frame SB_BLEP_HALF ago out. */
/* thread: any */
static inline float sb_blep_out(struct sb_blep *b, float naive)
{
	const uint32_t m = SB_BLEP_LEN - 1;
	uint32_t o = (b->w + SB_BLEP_HALF) & m;
	float y;

	b->ring[b->w] += naive;
	y = b->ring[o];
	b->ring[o] = 0.0f;
	b->w = (b->w + 1) & m;
	return y;
}

/*
 * The same ring unrolled over one block, for oscillators whose frames
 * mostly have no jump: acc[f] is the output of block frame f (frame
 * f - SB_BLEP_HALF's naive value plus its corrections), so such a frame
 * is one add, acc[f + SB_BLEP_HALF] += naive.  The additions land in the
 * same order as with sb_blep_step / sb_blep_out (the reference), so the
 * samples are the same.  acc holds n + SB_BLEP_LEN floats.
 */
/* thread: any */
static inline void sb_blep_begin(const struct sb_blep *b, float *acc,
				 uint32_t n)
{
	const uint32_t m = SB_BLEP_LEN - 1;

	for (uint32_t j = 0; j < SB_BLEP_LEN; j++)
		acc[j] = b->ring[(b->w + SB_BLEP_HALF + j) & m];
	memset(acc + SB_BLEP_LEN, 0, n * sizeof(float));
}

/* A jump of amp f frames (0 <= f < 1) before block frame i. */
/* thread: any */
static inline void sb_blep_jump(float *acc, uint32_t i, float f, float amp)
{
	float x = sb_clampf(f, 0.0f, 0.9999f) * SB_BLEP_PHASES;
	int p = (int)x;
	float fr = x - (float)p;
	const float *r = sb_blep_table + SB_BLEP_PHASES + p;

	for (uint32_t j = 0; j < SB_BLEP_LEN - 1; j++) {
		const float *q = r + j * SB_BLEP_PHASES;
		float ideal = j >= SB_BLEP_HALF - 1 ? 1.0f : 0.0f;

		acc[i + 1 + j] += amp * (q[0] + fr * (q[1] - q[0]) - ideal);
	}
}

/* The block's n output frames out; the pending tail back into b. */
/* thread: any */
static inline void sb_blep_end(struct sb_blep *b, const float *acc,
			       float *out, uint32_t n)
{
	const uint32_t m = SB_BLEP_LEN - 1;

	memcpy(out, acc, n * sizeof(float));
	b->w = (b->w + n) & m;
	for (uint32_t j = 0; j < SB_BLEP_LEN; j++)
		b->ring[(b->w + SB_BLEP_HALF + j) & m] = acc[n + j];
}

#endif
