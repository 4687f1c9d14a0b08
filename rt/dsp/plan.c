/*
 * plan.c - the plan executor: walks a compiled plan sub-block by
 * sub-block (rt/plan.h).  Shared by the engine's patch subsystem and the
 * offline renderer; no JACK, no arena, no allocation.
 *
 * Calling convention for a run (sb_plan_run): on entry ctx->offset is
 * the frame within the transport cycle where this run starts (0, unless
 * a swap splits the cycle between two plans); ext_in/ext_out point at
 * the run's first frame and MIDI offsets count from it.  Each module
 * then sees its own sub-block: ext pointers advanced, MIDI rebased, so
 * "this block's frames" in module.h holds literally.
 *
 * Parameter smoothing: sb_node_state.ready doubles as the glide clock.
 * 0 = never run (parameters start at their targets); 1 = settled;
 * 1 + k = k frames into a glide.  A glide starts when a kept node's
 * target differs from its current value (a swap) and moves every
 * changed parameter linearly so that it lands on the target
 * SB_GLIDE_S after the glide began.  All parameters of a node change at
 * the same swap, so one clock per node is enough; a second swap inside
 * the glide lands at the first one's end.
 */
#include "rt/dsp/plan.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "rt/dsp/dsp.h"
#include "rt/dsp/kaiser.h"

#define EXT_MAX 32	/* engine inputs a plan can see */

/* Read-only data every module shares (dsp.h). */
const float sb_zero_block[SB_PLAN_BLOCK];
float sb_blep_table[SB_BLEP_LEN * SB_BLEP_PHASES + 1];

/*
 * Fill sb_blep_table at program start, before any audio thread exists:
 * the running integral (trapezoids) of a Kaiser-windowed sinc, on a grid of 1 / SB_BLEP_PHASES frames over
 * [-SB_BLEP_HALF, SB_BLEP_HALF].
 */
__attribute__((constructor)) static void blep_table(void)
{
	const int n = SB_BLEP_LEN * SB_BLEP_PHASES;
	const double fc = 0.45, beta = 7.0, half = SB_BLEP_HALF;
	double prev = 0.0, s = 0.0, step[SB_BLEP_LEN * SB_BLEP_PHASES + 1];

	for (int i = 0; i <= n; i++) {
		double u = (double)i / SB_BLEP_PHASES - half, r = u / half;
		double w = sb_bessel_i0(beta * sqrt(fmax(0.0, 1.0 - r * r))) /
			   sb_bessel_i0(beta);
		double h = u == 0.0 ? 2.0 * fc
				    : sin(2.0 * M_PI * fc * u) / (M_PI * u);

		h *= w;
		if (i > 0)
			s += 0.5 * (prev + h) / SB_BLEP_PHASES;
		prev = h;
		step[i] = s;
	}
	for (int i = 0; i <= n; i++)
		sb_blep_table[i] = (float)(step[i] / s);
}

/*
 * Per-node scratch for summed inputs and per-frame parameters.  A
 * parameter buffer has one float past the frames: the constant flag
 * (dsp.h, sb_param_const).  par_n[k] > 0: par[k] already holds the
 * value with bits par_bits[k] in its first par_n[k] frames, so the next
 * node with that constant there need not fill it again.
 */
struct scratch {
	float in[SB_MOD_MAX_PORTS][SB_PLAN_BLOCK];
	float par[SB_MOD_MAX_PARAMS][SB_PARAM_STRIDE];
	uint32_t par_bits[SB_MOD_MAX_PARAMS];
	uint32_t par_n[SB_MOD_MAX_PARAMS];
};

/* What one sub-block of a run shares across its nodes. */
struct run {
	const uint8_t *slot;
	uint8_t *heap;
	const struct sb_plan_hdr *hdr;
	float *bufs;
	struct sb_mod_ctx ctx;
	struct scratch *s;
};

static float *buf_at(const struct run *r, uint32_t b)
{
	return r->bufs + (size_t)b * SB_PLAN_BLOCK;
}

/* Parameter buffer k: n frames of t, unless it holds them already. */
static void fill_par(struct scratch *s, uint32_t k, float t, uint32_t n)
{
	uint32_t bits;

	memcpy(&bits, &t, sizeof(bits));
	if (s->par_n[k] >= n && s->par_bits[k] == bits)
		return;
	sb_fill(s->par[k], t, n);
	s->par_bits[k] = bits;
	s->par_n[k] = n;
}

/* Parameter k's base ramp: from *cur towards t, `left` frames to go. */
static int ramp(struct scratch *s, uint32_t k, float *cur, float t,
		uint32_t left, uint32_t n)
{
	float c = *cur, step, *d = s->par[k];
	uint32_t i;

	if (c == t || left <= 1) {
		*cur = t;
		fill_par(s, k, t, n);
		return 0;
	}
	s->par_n[k] = 0;
	step = (t - c) / (float)left;
	for (i = 0; i < n && i + 1 < left; i++)
		d[i] = c + step * (float)(i + 1);
	for (; i < n; i++)
		d[i] = t;
	*cur = n < left ? c + step * (float)n : t;
	return *cur != t;
}

static void params(const struct run *r, const struct sb_plan_node *nd,
		   const struct sb_mod_def *def, struct sb_node_state *st,
		   uint32_t n)
{
	const float *tgt = (const float *)(r->slot + nd->param_off);
	uint32_t glide = (uint32_t)(SB_GLIDE_S * (float)r->ctx.rate);
	uint32_t done = st->ready > 1 ? st->ready - 1 : 0;
	uint32_t left = glide > done ? glide - done : 0;
	int moving = 0;

	for (uint32_t k = 0; k < def->n_params; k++) {
		if (!st->ready || def->params[k].kind != SB_PK_NUM)
			st->cur[k] = tgt[k];
		/* constant only if it did not move at all in this block */
		r->s->par[k][SB_PLAN_BLOCK] = st->cur[k] == tgt[k] ? 1.0f
								   : 0.0f;
		moving |= ramp(r->s, k, &st->cur[k], tgt[k], left, n);
	}
	st->n_params = def->n_params;
	st->ready = moving ? 1 + done + n : 1;
}

/* Add scale * src into *dst, using scratch only when it has to. */
static void add_into(const float **dst, float *scr, const float *src,
		     float scale, int alias_ok, uint32_t n)
{
	const float *d = *dst;

	if (d == sb_zero_block && scale == 1.0f && alias_ok) {
		*dst = src;
		return;
	}
	if (d == sb_zero_block)
		sb_scale(scr, src, scale, n);
	else
		sb_madd(scr, d, src, scale, n);
	*dst = scr;
}

/*
 * Sum the node's connections into its inputs and parameters.  A source
 * that is one of the node's own outputs (a delay fed back into itself)
 * is copied, since the module overwrites it while reading.
 */
static void gather(const struct run *r, const struct sb_plan_node *nd,
		   const struct sb_mod_def *def, const float **in, uint32_t n)
{
	const struct sb_plan_conn *cn =
		(const struct sb_plan_conn *)(r->slot + nd->conn_off);

	for (uint32_t i = 0; i < def->n_inputs; i++)
		in[i] = sb_zero_block;
	for (uint32_t c = 0; c < nd->n_conns; c++) {
		const float *src = buf_at(r, cn[c].src_buf);
		int own = cn[c].src_buf >= nd->out_buf &&
			  cn[c].src_buf < nd->out_buf + def->n_outputs;
		const float *par;
		uint32_t k = cn[c].index;

		if (cn[c].kind == SB_CONN_INPUT) {
			add_into(&in[k], r->s->in[k], src, cn[c].scale, !own,
				 n);
			continue;
		}
		par = r->s->par[k];
		add_into(&par, r->s->par[k], src, cn[c].scale, 0, n);
		r->s->par[k][SB_PLAN_BLOCK] = 0.0f;
		r->s->par_n[k] = 0;
	}
}

static void run_node(struct run *r, const struct sb_plan_node *nd)
{
	const struct sb_mod_def *def = sb_mod_table[nd->type];
	struct sb_node_state *st = (struct sb_node_state *)(r->heap +
							    nd->state_off);
	const float *in[SB_MOD_MAX_PORTS];
	const float *p[SB_MOD_MAX_PARAMS];
	float *out[SB_MOD_MAX_PORTS];
	uint32_t n = r->ctx.nframes;

	params(r, nd, def, st, n);
	gather(r, nd, def, in, n);
	for (uint32_t k = 0; k < def->n_params; k++)
		p[k] = r->s->par[k];
	for (uint32_t j = 0; j < def->n_outputs; j++)
		out[j] = buf_at(r, nd->out_buf + j);
	def->process((uint8_t *)st + SB_NODE_STATE_BYTES, &r->ctx, in, p,
		     out, nd->data_off ? r->slot + nd->data_off : NULL);
}

/* The MIDI events of frames [from, from + n), offsets rebased. */
static void midi_window(const struct sb_mod_midi *all, uint32_t from,
			uint32_t n, struct sb_mod_midi *w)
{
	w->n = 0;
	for (uint32_t e = 0; all && e < all->n && e < 64; e++) {
		if (all->ev[e].offset < from || all->ev[e].offset >= from + n)
			continue;
		w->ev[w->n] = all->ev[e];
		w->ev[w->n++].offset -= from;
	}
}

static void run_block(struct run *r, const struct sb_mod_ctx *base,
		      uint32_t from, uint32_t n, struct sb_mod_midi *mw)
{
	const struct sb_plan_node *nodes = (const struct sb_plan_node *)
		(r->slot + r->hdr->nodes_off);
	const float *ins[EXT_MAX];
	uint32_t n_in = base->n_ext_in < EXT_MAX ? base->n_ext_in : EXT_MAX;

	for (uint32_t i = 0; i < n_in; i++)
		ins[i] = base->ext_in[i] ? base->ext_in[i] + from : NULL;
	r->ctx = *base;
	r->ctx.nframes = n;
	r->ctx.offset = base->offset + from;
	r->ctx.ext_in = ins;
	r->ctx.n_ext_in = n_in;
	for (int c = 0; c < 2; c++)
		r->ctx.ext_out[c] = base->ext_out[c] ? base->ext_out[c] + from
						     : NULL;
	midi_window(base->midi, from, n, mw);
	r->ctx.midi = mw;
	for (uint32_t k = 0; k < r->hdr->n_nodes; k++)
		run_node(r, &nodes[k]);
}

void sb_plan_run(const uint8_t *slot, uint8_t *heap, struct sb_mod_ctx *ctx,
		 uint32_t nframes)
{
	struct scratch s;
	struct sb_mod_midi mw;
	struct run r = { .slot = slot, .heap = heap, .s = &s };
	struct sb_mod_ctx base = *ctx;
#if defined(__SSE__)
	/* flush-to-zero and denormals-are-zero: a safety net under the
	 * modules' own flushing, restored for the caller */
	unsigned int csr = _mm_getcsr();

	_mm_setcsr(csr | 0x8040);
#endif
	memset(s.par_n, 0, sizeof(s.par_n));
	r.hdr = (const struct sb_plan_hdr *)slot;
	r.bufs = (float *)(heap + r.hdr->bufs_off);
	for (uint32_t from = 0; from < nframes; from += SB_PLAN_BLOCK) {
		uint32_t n = nframes - from;

		run_block(&r, &base, from, n < SB_PLAN_BLOCK ? n
							 : SB_PLAN_BLOCK, &mw);
	}
	ctx->nframes = nframes;
#if defined(__SSE__)
	_mm_setcsr(csr);
#endif
}

/* off + len within total, without overflow. */
static int fits(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

static int check_conns(const struct sb_plan_hdr *h, const uint8_t *slot,
		       const struct sb_plan_node *nd,
		       const struct sb_mod_def *def)
{
	const struct sb_plan_conn *cn;

	if (nd->n_conns > 65536 || nd->conn_off % 4 ||
	    !fits(nd->conn_off, (uint64_t)nd->n_conns * sizeof(*cn),
		  h->bytes))
		return -EPROTO;
	cn = (const struct sb_plan_conn *)(slot + nd->conn_off);
	for (uint32_t c = 0; c < nd->n_conns; c++) {
		uint32_t lim = cn[c].kind == SB_CONN_INPUT ? def->n_inputs
							   : def->n_params;

		if (cn[c].src_buf >= h->n_bufs || cn[c].kind > SB_CONN_PARAM ||
		    cn[c].index >= lim || !(cn[c].scale == cn[c].scale))
			return -EPROTO;
	}
	return 0;
}

static int check_node(const struct sb_plan_hdr *h, const uint8_t *slot,
		      const struct sb_plan_node *nd, uint64_t heap_bytes)
{
	const struct sb_mod_def *def;
	const float *par;
	uint64_t need;

	if (nd->type >= sb_mod_count)
		return -EPROTO;
	def = sb_mod_table[nd->type];
	if (nd->param_off % 4 ||
	    !fits(nd->param_off, def->n_params * sizeof(float), h->bytes) ||
	    nd->data_off >= h->bytes || nd->state_off % 16 ||
	    (uint64_t)nd->out_buf + def->n_outputs > h->n_bufs)
		return -EPROTO;
	par = (const float *)(slot + nd->param_off);
	need = SB_NODE_STATE_BYTES + def->state_size(par, h->rate);
	if (!fits(nd->state_off, need, heap_bytes))
		return -EPROTO;
	return check_conns(h, slot, nd, def);
}

int sb_plan_check(const uint8_t *slot, uint64_t slot_bytes,
		  uint64_t heap_bytes)
{
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)slot;
	const struct sb_plan_node *nodes;

	if (slot_bytes < sizeof(*h) || h->magic != SB_PLAN_MAGIC ||
	    h->version != SB_PLAN_VERSION || h->bytes > slot_bytes ||
	    h->n_nodes > SB_PLAN_MAX_NODES || h->rate == 0 ||
	    h->nodes_off % 8 || h->bufs_off % 16 ||
	    !fits(h->nodes_off, (uint64_t)h->n_nodes * sizeof(*nodes),
		  h->bytes) ||
	    !fits(h->bufs_off, (uint64_t)h->n_bufs * SB_PLAN_BLOCK *
		  sizeof(float), heap_bytes))
		return -EPROTO;
	nodes = (const struct sb_plan_node *)(slot + h->nodes_off);
	for (uint32_t k = 0; k < h->n_nodes; k++)
		if (check_node(h, slot, &nodes[k], heap_bytes))
			return -EPROTO;
	return 0;
}
