/*
 * patch.c - the patch engine subsystem (patch.h).
 *
 * One plan runs at a time (active, an arena slot index or -1).  A swap
 * command is checked at once (sb_plan_check: the slot must hold a plan
 * this build can run, for this sample rate) and parked as `pending`
 * until its frame comes: frame 0 of the next cycle, or the first beat /
 * bar start inside a later cycle.  Only one swap waits at a time; the
 * server sends the next one after it heard SB_EVT_PATCH_SWAPPED.
 */
#include "rt/patch/patch.h"

#include <errno.h>
#include <jack/midiport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/dsp/plan.h"

#define NO_SPLIT UINT32_MAX	/* no switch inside this block */

struct patch {
	const struct sb_arena *arena;
	uint32_t rate;
	uint32_t n_inputs;
	sb_emit_fn emit;
	void *emit_arg;

	int32_t active;		/* running slot, -1 none */
	uint64_t serial;	/* its plan's serial */

	int32_t pending;	/* slot waiting for its frame, -1 none */
	uint32_t pending_q;	/* enum sb_quantize */
	uint32_t pending_id;	/* SWAP request id */
	int stop;		/* stop at the next cycle start */
	uint32_t stop_id;

	struct sb_mod_midi midi;	/* this cycle's MIDI, parsed */
	struct sb_mod_midi run_midi;	/* the part one run sees */
};

/* --- commands (RT) --- */

static void ack(struct patch *p, uint32_t id, int32_t status)
{
	struct sb_msg r = { .type = SB_EVT_ACK, .id = id };

	r.u.ack.status = status;
	p->emit(p->emit_arg, &r);
}

/* 0 if slot holds a plan this engine can run. */
static int slot_ok(const struct patch *p, int32_t slot)
{
	const struct sb_arena_hdr *h = p->arena->hdr;
	const uint8_t *s;

	if (slot < 0 || (uint32_t)slot >= h->geom.plan_slots ||
	    slot == p->active)
		return -EINVAL;
	s = sb_arena_plan_slot(p->arena, (uint32_t)slot);
	if (sb_plan_check(s, h->geom.plan_slot_bytes, h->geom.heap_bytes))
		return -EINVAL;
	if (((const struct sb_plan_hdr *)s)->rate != p->rate)
		return -EINVAL;
	return 0;
}

static void cmd_swap(struct patch *p, const struct sb_msg *m)
{
	const struct sb_patch_swap_args *a = &m->u.swap;
	int rc = slot_ok(p, a->slot);

	if (!rc && (a->quantize < SB_Q_OFF || a->quantize > SB_Q_BAR))
		rc = -EINVAL;
	if (!rc && (p->pending >= 0 || p->stop))
		rc = -EBUSY;
	if (!rc) {
		p->pending = a->slot;
		p->pending_q = (uint32_t)a->quantize;
		p->pending_id = m->id;
	}
	ack(p, m->id, rc);
}

/* RT: process thread only. */
static void patch_cmd(void *state, const struct sb_msg *m)
{
	struct patch *p = state;

	switch (m->type) {
	case SB_CMD_PATCH_SWAP:
		cmd_swap(p, m);
		return;
	case SB_CMD_PATCH_STOP:
		if (p->stop) {
			ack(p, m->id, -EBUSY);
			return;
		}
		p->stop = 1;
		p->stop_id = m->id;
		ack(p, m->id, 0);
		return;
	default:
		ack(p, m->id, -ENOSYS);
	}
}

/* --- switching (RT) --- */

static void emit_swapped(struct patch *p, uint32_t id, int32_t retired,
			 const struct sb_block *b, uint32_t offset,
			 int32_t dropped)
{
	const struct sb_beats *bt = b->beats;
	struct sb_msg e = { .type = SB_EVT_PATCH_SWAPPED, .id = id };
	struct sb_patch_swapped *s = &e.u.swapped;

	s->slot = p->active;
	s->retired = retired;
	s->offset = (int32_t)offset;
	s->dropped = dropped;
	s->serial = p->serial;
	s->frame = b->frame + offset;
	s->transport_frame = bt && bt->running ?
			     (int64_t)(bt->pos + offset) : -1;
	p->emit(p->emit_arg, &e);
}

static void do_stop(struct patch *p, const struct sb_block *b)
{
	int32_t retired = p->active, dropped = p->pending;

	p->active = -1;
	p->serial = 0;
	p->pending = -1;
	p->stop = 0;
	emit_swapped(p, p->stop_id, retired, b, 0, dropped);
}

static void do_swap(struct patch *p, const struct sb_block *b,
		    uint32_t offset)
{
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)
		sb_arena_plan_slot(p->arena, (uint32_t)p->pending);
	int32_t retired = p->active;

	p->active = p->pending;
	p->serial = h->serial;
	p->pending = -1;
	emit_swapped(p, p->pending_id, retired, b, offset, -1);
}

/*
 * Frame in this block where the pending swap happens, or NO_SPLIT.  The
 * transport is stopped (or starts later in the block): no grid to wait
 * for, so the swap is at once.
 */
static uint32_t swap_frame(const struct patch *p, const struct sb_beats *bt)
{
	if (p->pending < 0)
		return NO_SPLIT;
	if (p->pending_q == SB_Q_OFF || !bt || (!bt->running && !bt->n))
		return 0;
	for (uint32_t i = 0; i < bt->n && i < SB_BEATS_MAX; i++)
		if (p->pending_q == SB_Q_BEAT || bt->beat[i].beat_in_bar == 0)
			return bt->beat[i].offset;
	return NO_SPLIT;
}

/* --- running (RT) --- */

/* Channel messages only: what the midi module can use. */
static void parse_midi(struct patch *p, const struct sb_block *b)
{
	uint32_t n = b->midi_in ? jack_midi_get_event_count(b->midi_in) : 0;
	jack_midi_event_t ev;

	p->midi.n = 0;
	for (uint32_t i = 0; i < n && p->midi.n < 64; i++) {
		if (jack_midi_event_get(&ev, b->midi_in, i) || ev.size < 1 ||
		    ev.size > 3 || ev.buffer[0] < 0x80 || ev.buffer[0] >= 0xf0)
			continue;
		p->midi.ev[p->midi.n].offset = ev.time;
		memset(p->midi.ev[p->midi.n].bytes, 0, 3);
		memcpy(p->midi.ev[p->midi.n].bytes, ev.buffer, ev.size);
		p->midi.n++;
	}
}

/* The cycle's events in [from, from + n), offsets from `from`. */
static void midi_part(struct patch *p, uint32_t from, uint32_t n)
{
	p->run_midi.n = 0;
	for (uint32_t e = 0; e < p->midi.n; e++) {
		if (p->midi.ev[e].offset < from ||
		    p->midi.ev[e].offset >= from + n)
			continue;
		p->run_midi.ev[p->run_midi.n] = p->midi.ev[e];
		p->run_midi.ev[p->run_midi.n++].offset -= from;
	}
}

/* Run the active plan over frames [from, from + n) of the block. */
static void run(struct patch *p, const struct sb_block *b, uint32_t from,
		uint32_t n)
{
	const float *in[SB_MAX_INPUTS];
	struct sb_mod_ctx c = {
		.rate = p->rate, .beats = b->beats, .offset = from,
		.ext_in = in, .n_ext_in = b->n_inputs,
		.ext_out = { b->out_l + from, b->out_r + from },
		.midi = &p->run_midi,
	};

	if (p->active < 0 || !n)
		return;
	for (uint32_t i = 0; i < b->n_inputs && i < SB_MAX_INPUTS; i++)
		in[i] = b->in[i] ? b->in[i] + from : NULL;
	midi_part(p, from, n);
	sb_plan_run(sb_arena_plan_slot(p->arena, (uint32_t)p->active),
		    sb_arena_heap(p->arena), &c, n);
}

/* RT: process thread only. */
static void patch_process(void *state, const struct sb_block *b)
{
	struct patch *p = state;
	uint32_t at;

	if (p->stop)
		do_stop(p, b);
	at = swap_frame(p, b->beats);
	if (p->active < 0 && p->pending < 0)
		return;
	parse_midi(p, b);
	if (at >= b->nframes) {
		run(p, b, 0, b->nframes);
		return;
	}
	run(p, b, 0, at);
	do_swap(p, b, at);
	run(p, b, at, b->nframes - at);
}

/* RT: process thread only. */
static void patch_report(void *state, struct sb_status *st)
{
	const struct patch *p = state;

	st->patch_slot = p->active;
	st->patch_serial = p->serial;
}

/* --- lifecycle (main thread) --- */

static int patch_init(const struct sb_rt_ctx *ctx, void **state, char *err,
		      size_t errlen)
{
	struct patch *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->arena = ctx->arena;
	p->rate = ctx->sample_rate;
	p->n_inputs = ctx->n_inputs;
	p->emit = ctx->emit;
	p->emit_arg = ctx->emit_arg;
	p->active = -1;
	p->pending = -1;
	*state = p;
	return 0;
}

static void patch_fini(void *state)
{
	free(state);
}

const struct sb_subsys sb_patch_subsys = {
	.name = "patch",
	.cmd_first = SB_CMD_RANGE_PATCH_FIRST,
	.cmd_last = SB_CMD_RANGE_PATCH_LAST,
	.init = patch_init,
	.process = patch_process,
	.handle_cmd = patch_cmd,
	.report = patch_report,
	.fini = patch_fini,
};
