/*
 * proto.h - the messages that cross the arena's command and event rings.
 *
 * Every message is one fixed 64-byte record, so a ring slot is one cache
 * line and a message is published with one release store.  Commands flow
 * server -> engine, events engine -> server.  A command that expects an
 * answer carries a non-zero id; the engine echoes it in the event.
 * Later subsystems (looper, patch, sampler) add their own types in their
 * number ranges below; the payload layout of each type is documented
 * next to it.
 */
#ifndef SB_PROTO_H
#define SB_PROTO_H

#include <stdint.h>

enum sb_cmd_type {
	SB_CMD_NONE = 0,
	/* u.ping.t_sent_ns: server CLOCK_MONOTONIC at send; echoed back */
	SB_CMD_PING = 1,
	/* zero the callback timing histogram */
	SB_CMD_TIMING_RESET = 2,
	/* 0x100.. looper, 0x200.. patch, 0x300.. sampler, 0x400.. tap */
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
};

struct sb_msg {
	uint16_t type;
	uint16_t flags;
	uint32_t id;		/* request id, echoed in the reply; 0 = none */
	union {
		uint8_t raw[56];
		int64_t i[7];
		double d[7];
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
	} u;
};

_Static_assert(sizeof(struct sb_msg) == 64, "sb_msg must be one cache line");

#endif
