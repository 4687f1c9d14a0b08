/*
 * transport.h - the frame-exact beat clock every subsystem shares.
 *
 * Tempo (fractional BPM), beats per bar, running or stopped.  The beat grid
 * is anchored: beat k starts at frame
 *     anchor_pos + round((k - anchor_beat) * 60 * rate / bpm)
 * of transport time (frames since transport.start, missed frames
 * included).  transport.start sets the anchor to (0, 0), so at 48 kHz and
 * 120 BPM beat k starts at exactly 24000 * k.  A tempo change re-anchors
 * at the next beat, so beats already passed stay where they were.  A bar
 * starts on every beat b with (b - bar_anchor) % beats_per_bar == 0; a
 * meter change re-anchors bars at the next beat.
 *
 * The engine core owns one struct sb_transport, advances it once per cycle
 * before the subsystems run, and hands each subsystem the cycle's struct
 * sb_beats (read-only) inside struct sb_block.  Transport commands
 * (SB_CMD_TRANSPORT_*) are handled by the engine core through
 * sb_transport_cmd; a subsystem whose own command starts the transport
 * (the looper's record) uses the same call on sb_rt_ctx.transport.  The
 * offline renderer runs its own transport, its main thread playing the
 * process thread's part.
 */
#ifndef SB_TRANSPORT_H
#define SB_TRANSPORT_H

#include <stdint.h>

#include "rt/common/proto.h"

#define SB_BEATS_MAX 4	/* beats that can start in one block */

/* One beat that starts inside this block. */
struct sb_beat {
	uint32_t offset;	/* frame within the block */
	int64_t index;		/* beat number since transport start */
	int64_t bar;		/* bar number */
	uint32_t beat_in_bar;	/* 0 = the bar's first beat (accent) */
};

/* What one cycle of the transport looks like; valid for that cycle. */
struct sb_beats {
	int running;		/* transport running during this block */
	uint32_t start_offset;	/* frame where it started in this block */
	int stopped_at;		/* 1: stopped at stop_offset in this block */
	uint32_t stop_offset;
	uint64_t pos;		/* transport frame at block frame 0 */
	uint32_t missed;	/* frames missed (xrun) before this block */
	double bpm;
	uint32_t beats_per_bar;
	double frames_per_beat;	/* 60 * rate / bpm */
	uint32_t n;		/* beats starting in this block */
	struct sb_beat beat[SB_BEATS_MAX];
	int64_t last_beat;	/* the beat we are in at block end (-1: none) */
};

struct sb_transport {
	uint32_t rate;
	double bpm;
	uint32_t beats_per_bar;
	int running;
	uint64_t pos;		/* frames since start, while running */
	uint64_t anchor_pos;
	int64_t anchor_beat;
	int64_t bar_anchor;
	int64_t next_beat;	/* index of the next beat to start */
	double pending_bpm;	/* applied at the next beat; 0 = none */
	uint32_t pending_bpb;	/* applied at the next beat; 0 = none */
	int pending_start;	/* start at frame 0 of the next cycle */
	int pending_stop;
};

/* Defaults 120 BPM, 4/4, stopped. */
/* thread: main */
void sb_transport_init(struct sb_transport *t, uint32_t rate);

/*
 * Advance over one block of nframes after `missed` frames of missed
 * time, and describe the block in *out.
 */
/* thread: process */
void sb_transport_cycle(struct sb_transport *t, uint32_t nframes,
			uint32_t missed, struct sb_beats *out);

/*
 * Handle one SB_CMD_TRANSPORT_* message; returns 0 or a negative errno
 * for the ACK.
 */
/* thread: process */
int sb_transport_cmd(struct sb_transport *t, const struct sb_msg *m);

/*
 * 1 when the transport runs in the next cycle: it runs and no stop
 * waits, or a start waits.
 */
/* thread: process */
int sb_transport_will_run(const struct sb_transport *t);

/* Frame (transport time) where beat k starts.  Pure. */
/* thread: any */
uint64_t sb_transport_beat_pos(const struct sb_transport *t, int64_t k);

#endif
