/*
 * seq_data.h - a compiled seq pattern: the binary the server writes into a
 * plan (struct sb_plan_node.data_off) and the seq module reads.
 *
 * One pattern cycle = one bar.  Alternation (<a b>) makes cycles differ,
 * so the server precomputes every distinct cycle: n_cycles variants, and
 * bar number k plays variant k mod n_cycles.  Each variant is a list of
 * events sorted by start that tiles the whole cycle: rests are events too
 * (note SB_SEQ_REST), so at any position exactly one event is current -
 * the one with start <= pos < start + length.  That makes "a new pattern
 * takes over at the current position" a lookup, not a replay.
 *
 * Layout (all offsets from the struct sb_seq_data, 8-byte aligned):
 *   struct sb_seq_data
 *   struct sb_seq_cycle cycle[n_cycles]     at cycles_off
 *   struct sb_seq_event ev[n_events]        at events_off
 *   char text[text_len + 1]                 at text_off (the source text,
 *                                           for the graph view)
 * Pure data, no pointers: valid wherever the plan slot is mapped.
 */
#ifndef SB_SEQ_DATA_H
#define SB_SEQ_DATA_H

#include <stdint.h>

#define SB_SEQ_MAGIC 0x51455342u	/* "BSEQ" */
#define SB_SEQ_MAX_CYCLES 64	/* variants; the server rejects more */
#define SB_SEQ_MAX_EVENTS 4096	/* all variants together */
#define SB_SEQ_REST (-1)

struct sb_seq_event {
	double start;		/* fraction of the cycle, [0, 1) */
	double length;		/* fraction of the cycle, > 0 */
	int32_t note;		/* MIDI note 0..127 (60 = C4 = 0 V), or REST */
	uint32_t pad;
};

struct sb_seq_cycle {
	uint32_t first;		/* index of its first event */
	uint32_t count;		/* >= 1 */
};

struct sb_seq_data {
	uint32_t magic;
	uint32_t n_cycles;	/* 1..SB_SEQ_MAX_CYCLES */
	uint32_t n_events;
	uint32_t text_len;
	uint64_t cycles_off;
	uint64_t events_off;
	uint64_t text_off;
	uint64_t bytes;		/* whole blob */
};

/* The events of bar `bar` (may be negative).  RT-safe. */
/* thread: any */
static inline const struct sb_seq_event *sb_seq_events(
	const struct sb_seq_data *d, int64_t bar, uint32_t *count)
{
	const uint8_t *base = (const uint8_t *)d;
	const struct sb_seq_cycle *cy =
		(const struct sb_seq_cycle *)(base + d->cycles_off);
	int64_t k = bar % (int64_t)d->n_cycles;

	if (k < 0)
		k += d->n_cycles;
	*count = cy[k].count;
	return (const struct sb_seq_event *)(base + d->events_off) +
	       cy[k].first;
}

#endif
