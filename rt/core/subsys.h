/*
 * subsys.h - the engine's subsystems: what one is, and the walks over
 * the list the engine is given.
 *
 * Everything the engine does to audio besides the core bookkeeping lives
 * in a subsystem: meters, click, MIDI I/O, looper, patch; sampler and tap
 * later.  Each is one struct sb_subsys (a name, the command-type range it
 * owns, and its hooks).  The binary's wiring (rt/subsys_table.c) lists
 * them in processing order and hands the list to sb_subsys_init_all; the
 * engine never names a subsystem, it only walks the list it was given.
 *
 * Lifecycle: init (main thread, before jack_activate; the only place a
 * subsystem may allocate) -> process / handle_cmd / report on the process
 * thread, every cycle (the reports also once on the main thread before
 * activation) -> fini (main thread, after jack_deactivate).  The hooks
 * tagged process must not allocate, lock, sleep or do I/O.
 */
#ifndef SB_SUBSYS_H
#define SB_SUBSYS_H

#include <stddef.h>
#include <stdint.h>

#include "rt/common/arena.h"
#include "rt/common/config.h"
#include "rt/common/proto.h"
#include "rt/dsp/transport.h"

#define SB_SUBSYS_MAX 16	/* longest list sb_subsys_init_all takes */

/* Push one event to the server; a full ring drops and counts it. */
/* thread: process */
typedef void (*sb_emit_fn)(void *arg, const struct sb_msg *m);

/* What a subsystem may know about the engine; fixed before activation. */
struct sb_rt_ctx {
	const struct sb_arena *arena;
	uint32_t sample_rate;
	uint32_t max_frames;	/* JACK buffer size at start-up */
	uint32_t n_inputs;
	sb_emit_fn emit;
	void *emit_arg;
	/*
	 * The engine's transport, process thread only.  Commands are drained
	 * before it advances, so sb_transport_cmd from handle_cmd takes
	 * effect in the same cycle; read it, change it only that way.
	 */
	struct sb_transport *transport;
	const struct sb_config *cfg;	/* init only: do not keep the pointer */
};

/*
 * One cycle's audio.  Outputs arrive silent and midi_out cleared, so a
 * subsystem adds into them; the engine frame counts every frame since this
 * engine started, missed (xrun) frames included, so musical time survives
 * an xrun.
 */
struct sb_block {
	uint32_t nframes;
	uint32_t n_inputs;
	uint64_t frame;		/* engine frame of the first sample */
	const float *in[SB_MAX_INPUTS];
	float *out_l;
	float *out_r;
	float *click;
	void *midi_in;		/* JACK MIDI buffers (jack/midiport.h) */
	void *midi_out;
	const struct sb_beats *beats;	/* the transport during this block */
};

struct sb_subsys {
	const char *name;
	/* command types this subsystem answers, inclusive; none if !handle_cmd */
	uint16_t cmd_first, cmd_last;
	/* set *state; 0 or -errno with a message in err */
	/* thread: main */
	int (*init)(const struct sb_rt_ctx *ctx, void **state, char *err,
		    size_t errlen);
	/* one block */
	/* thread: process */
	void (*process)(void *state, const struct sb_block *b);
	/* one command of this range; replies through ctx->emit */
	/* thread: process */
	void (*handle_cmd)(void *state, const struct sb_msg *m);
	/* fill the status fields this subsystem owns (may be NULL) */
	/* thread: main, process */
	void (*report)(void *state, struct sb_status *st);
	/* fill the looper-snapshot fields it owns (may be NULL) */
	/* thread: main, process */
	void (*report_looper)(void *state, struct sb_looper_status *ls);
	/* free what init took (may be NULL) */
	/* thread: main */
	void (*fini)(void *state);
};

/*
 * Take the list of n subsystems (processing order; it must outlive the
 * engine) and initialise each in that order; every walk below uses it.
 * On failure the ones already initialised are finalised again and err
 * names the subsystem; -EINVAL for more than SB_SUBSYS_MAX.  Before
 * jack_activate.
 */
/* thread: main */
int sb_subsys_init_all(const struct sb_subsys *const *list, size_t n,
		       const struct sb_rt_ctx *ctx, char *err, size_t errlen);

/* Run every subsystem over one block. */
/* thread: process */
void sb_subsys_process_all(const struct sb_block *b);

/*
 * Hand m to the subsystem owning its type; -ENOSYS when none does (the
 * caller answers the sender).
 */
/* thread: process */
int sb_subsys_dispatch(const struct sb_msg *m);

/* Let each subsystem fill its status fields (the main thread only before
 * activation). */
/* thread: main, process */
void sb_subsys_report_all(struct sb_status *st);

/* Let each subsystem fill its fields of the looper snapshot (the main
 * thread only before activation). */
/* thread: main, process */
void sb_subsys_report_looper_all(struct sb_looper_status *ls);

/* After jack_deactivate.  Safe to call twice. */
/* thread: main */
void sb_subsys_fini_all(void);

#endif
