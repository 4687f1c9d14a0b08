/*
 * proto.h - the messages that cross the arena's command and event rings.
 *
 * Every message is one fixed 64-byte record, so a ring slot is one cache
 * line and a message is published with one release store.  Commands flow
 * server -> engine, events engine -> server.  A command that expects an
 * answer carries a non-zero id; the engine echoes it in the event.
 * Each subsystem owns one range of command numbers (SB_CMD_RANGE_*,
 * its sb_subsys cmd_first..cmd_last) and adds its types there; each type
 * names its payload, a member of the union in struct sb_msg.
 */
#ifndef SB_PROTO_H
#define SB_PROTO_H

#include <stdint.h>

/* Command number ranges, inclusive: who owns which commands. */
#define SB_CMD_RANGE_CORE_FIRST 0x001		/* engine core: ping, timing */
#define SB_CMD_RANGE_CORE_LAST 0x0ff
#define SB_CMD_RANGE_TRANSPORT_FIRST 0x100	/* engine core: transport */
#define SB_CMD_RANGE_TRANSPORT_LAST 0x107
#define SB_CMD_RANGE_CLICK_FIRST 0x108		/* rt/core/click.c */
#define SB_CMD_RANGE_CLICK_LAST 0x10f
#define SB_CMD_RANGE_LOOPER_FIRST 0x110		/* rt/looper/ */
#define SB_CMD_RANGE_LOOPER_LAST 0x12f
#define SB_CMD_RANGE_PATCH_FIRST 0x200		/* rt/patch/ */
#define SB_CMD_RANGE_PATCH_LAST 0x2ff
#define SB_CMD_RANGE_SAMPLER_FIRST 0x300	/* the sampler, to come */
#define SB_CMD_RANGE_SAMPLER_LAST 0x3ff
#define SB_CMD_RANGE_TAP_FIRST 0x400		/* the tap, to come */
#define SB_CMD_RANGE_TAP_LAST 0x4ff
#define SB_CMD_RANGE_OUTPUT_FIRST 0x500		/* rt/core/safety.c */
#define SB_CMD_RANGE_OUTPUT_LAST 0x50f

/* What the master volume and the output ceiling may be set to (dB); the
 * config, the command schema and the engine check the same bounds. */
#define SB_OUTPUT_VOLUME_MIN_DB (-60)
#define SB_OUTPUT_VOLUME_MAX_DB 6
#define SB_OUTPUT_CEILING_MIN_DB (-20)
#define SB_OUTPUT_CEILING_MAX_DB 0

enum sb_cmd_type {
	SB_CMD_NONE = 0,
	/* u.ping.t_sent_ns: server CLOCK_MONOTONIC at send; echoed back */
	SB_CMD_PING = 1,
	/* zero the callback timing histogram */
	SB_CMD_TIMING_RESET = 2,
	/* Unless said otherwise a command with an id is answered by
	 * SB_EVT_ACK (u.ack.status 0 or -errno). */

	/* transport (engine core), SB_CMD_RANGE_TRANSPORT: u.tempo */
	SB_CMD_TRANSPORT_TEMPO = 0x100,
	/* u.meter */
	SB_CMD_TRANSPORT_METER = 0x101,
	SB_CMD_TRANSPORT_START = 0x102,
	SB_CMD_TRANSPORT_STOP = 0x103,

	/* click (rt/core/click.c), SB_CMD_RANGE_CLICK: u.click */
	SB_CMD_CLICK_SET = 0x108,

	/* looper (rt/looper/), SB_CMD_RANGE_LOOPER: u.looper */
	SB_CMD_LOOPER_COLUMN = 0x110,	/* column, value = beats (0 clears) */
	SB_CMD_LOOPER_QUANTIZE = 0x111,	/* value = enum sb_quantize */
	SB_CMD_LOOPER_MONITOR = 0x112,	/* value = 0/1 */
	SB_CMD_LOOPER_ACTION = 0x113,	/* column, track, value = enum sb_looper_action */
	SB_CMD_LOOPER_VOLUME = 0x114,	/* column, track, gain */
	/* column, track, chunk = head of a linked chunk list (sb_chunk.next),
	 * frames, stream, value = state after load (SB_TRACK_PLAYING or
	 * SB_TRACK_MUTED).  On success the engine owns the chunks; on a
	 * non-zero ACK they stay the server's. */
	SB_CMD_LOOPER_LOAD = 0x115,
	/* empty every track and column, release every chunk */
	SB_CMD_LOOPER_RESET = 0x116,

	/* patch (rt/patch/), SB_CMD_RANGE_PATCH.  SWAP: u.swap, the plan slot
	 * and when (with the transport stopped there is no grid: next cycle).
	 * ACK 0 when the swap is scheduled, then SB_EVT_PATCH_SWAPPED with the
	 * same id when it happened; -EINVAL (bad slot or plan: the old plan
	 * keeps running), -EBUSY (another swap is still waiting for its
	 * boundary). */
	SB_CMD_PATCH_SWAP = 0x200,
	/* stop at the next cycle: ACK 0, then SB_EVT_PATCH_SWAPPED (u.swapped,
	 * slot -1); a swap still waiting for its boundary is dropped
	 * (u.swapped.dropped) */
	SB_CMD_PATCH_STOP = 0x201,

	/* output safety stage (rt/core/safety.c), SB_CMD_RANGE_OUTPUT:
	 * u.output.  VOLUME: master volume_db in SB_OUTPUT_VOLUME_MIN_DB..
	 * _MAX_DB, else -EINVAL; MUTE: muted 0/1.  Both glide (no zipper). */
	SB_CMD_OUTPUT_VOLUME = 0x500,
	SB_CMD_OUTPUT_MUTE = 0x501,
};

enum sb_evt_type {
	SB_EVT_NONE = 0,
	/* reply to SB_CMD_PING: u.ping as sent, plus engine frame */
	SB_EVT_PONG = 1,
	/* generic reply: u.ack.status is 0 or a negative errno */
	SB_EVT_ACK = 2,
	/* missed time seen at a cycle start: u.xrun.missed frames */
	SB_EVT_XRUN = 3,
	/* engine (re)started on this arena: u.started.generation, pid */
	SB_EVT_STARTED = 4,
	/* Event numbers are a space of their own, numbered like the commands
	 * of the same subsystem; nothing routes events by range. */

	/* a track changed (state, next_state, layer, solo, volume):
	 * struct sb_looper_args with stream/frames of the current layer */
	SB_EVT_LOOPER_TRACK = 0x110,
	/* a column's length changed: column, value = beats */
	SB_EVT_LOOPER_COLUMN = 0x111,
	/* chunk memory ran out: column, track; recording stopped at a boundary */
	SB_EVT_LOOPER_NOMEM = 0x112,
	/* MIDI from midi_in: u.midi.bytes[0..len), u.midi.frame */
	SB_EVT_MIDI_IN = 0x120,

	/* the patch engine switched plans (id of the SWAP/STOP command):
	 * u.swapped */
	SB_EVT_PATCH_SWAPPED = 0x200,
};

enum sb_quantize { SB_Q_OFF = 0, SB_Q_BEAT = 1, SB_Q_BAR = 2 };

enum sb_track_state {
	SB_TRACK_EMPTY = 0,
	SB_TRACK_RECORDING = 1,
	SB_TRACK_PLAYING = 2,
	SB_TRACK_OVERDUBBING = 3,
	SB_TRACK_MUTED = 4,
};

enum sb_looper_action {
	SB_LA_NONE = 0, SB_LA_RECORD, SB_LA_OVERDUB, SB_LA_PLAY, SB_LA_MUTE,
	SB_LA_SOLO, SB_LA_CLEAR, SB_LA_UNDO, SB_LA_REDO,
};

/* Payload of the looper commands and events (fits the 56-byte union). */
struct sb_looper_args {
	int32_t column;
	int32_t track;
	int32_t value;		/* beats, mode, action, state ... */
	int32_t next_state;	/* events: pending state (-1 none) */
	float gain;		/* volume */
	uint32_t chunk;		/* head chunk index */
	uint64_t frames;	/* layer length in frames */
	uint64_t stream;	/* layer's stream id (names its take file) */
	int32_t solo;
	int32_t layer;		/* current layer index, events */
	int32_t layers;		/* layers kept (undo depth + 1), events */
	int32_t redo;		/* layers above the current one */
};

/* SB_CMD_TRANSPORT_TEMPO */
struct sb_tempo_args {
	double bpm;		/* 20..300 */
};

/* SB_CMD_TRANSPORT_METER */
struct sb_meter_args {
	int32_t beats_per_bar;	/* 1..32 */
};

/* SB_CMD_CLICK_SET */
struct sb_click_args {
	int32_t enabled;	/* 0/1 */
	double volume;		/* 0..1, checked as sent */
};

/* SB_CMD_PATCH_SWAP */
struct sb_patch_swap_args {
	int32_t slot;		/* plan slot to switch to */
	int32_t quantize;	/* enum sb_quantize: next cycle, beat or bar */
};

/* SB_EVT_PATCH_SWAPPED (after a SWAP or a STOP) */
struct sb_patch_swapped {
	int32_t slot;		/* new slot, -1 after a stop */
	int32_t retired;	/* retired slot, -1 none */
	int32_t offset;		/* frame offset of the switch in its cycle */
	int32_t dropped;	/* a pending swap's slot a stop dropped, -1 none */
	uint64_t serial;	/* serial of the new plan, 0 none */
	uint64_t frame;		/* engine frame of the switch */
	int64_t transport_frame;	/* -1 while the transport is stopped */
};

/* SB_CMD_OUTPUT_VOLUME (volume_db), SB_CMD_OUTPUT_MUTE (muted) */
struct sb_output_args {
	double volume_db;	/* checked as sent; NaN fails */
	int32_t muted;		/* 0/1 */
};

struct sb_msg {
	uint16_t type;
	uint16_t flags;
	uint32_t id;		/* request id, echoed in the reply; 0 = none */
	union {
		uint8_t raw[56];
		struct {
			uint64_t t_sent_ns;
			uint64_t engine_frame;
		} ping;
		struct {
			int32_t status;
		} ack;
		struct {
			uint64_t missed;
			uint64_t at_frame;
		} xrun;
		struct {
			uint64_t generation;
			int32_t pid;
		} started;
		struct sb_looper_args looper;
		struct sb_tempo_args tempo;
		struct sb_meter_args meter;
		struct sb_click_args click;
		struct sb_patch_swap_args swap;
		struct sb_patch_swapped swapped;
		struct sb_output_args output;
		struct {
			uint64_t frame;	/* engine frame of the event */
			uint32_t len;
			uint8_t bytes[4];
		} midi;
	} u;
};

_Static_assert(sizeof(struct sb_msg) == 64, "sb_msg must be one cache line");

#endif
