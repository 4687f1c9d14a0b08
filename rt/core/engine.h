/*
 * engine.h - the JACK client: ports, the arena, the process callback.
 *
 * The engine owns one JACK client and one arena.  Everything the process
 * callback touches is set up by sb_engine_open (main thread, before
 * activation); from then on the callback never allocates, locks, sleeps
 * or does I/O.  Per cycle it: notices missed time, drains the command
 * ring (transport commands are its own), advances the transport, runs the
 * subsystem table, publishes the status and looper snapshots, stores the
 * heartbeat and records its own cost in the timing histogram.
 *
 * The caller allocates struct sb_engine (zeroed) and keeps it alive until
 * sb_engine_close returns; its fields are private to engine.c.
 */
#ifndef SB_ENGINE_H
#define SB_ENGINE_H

#include <jack/jack.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/common/arena.h"
#include "rt/common/config.h"
#include "rt/core/subsys.h"
#include "rt/dsp/transport.h"

#define SB_ENGINE_CMDS_PER_CYCLE 64

struct sb_engine {
	jack_client_t *client;
	jack_port_t *in[SB_MAX_INPUTS];
	jack_port_t *out_l, *out_r, *click, *midi_in, *midi_out;
	struct sb_arena arena;
	struct sb_rt_ctx ctx;
	char instance[SB_INSTANCE_MAX + 1];
	int arena_reused;
	int subsys_ready;

	/* process thread only, once active */
	struct sb_status st;
	struct sb_ring *cmd, *evt;
	struct sb_timing *timing;
	uint64_t jack_frame;	/* JACK frame time, widened past 2^32 */
	uint64_t origin;	/* jack_frame of engine frame 0 */
	uint32_t prev_lft;	/* jack_last_frame_time of the last cycle */
	int64_t pending_gap;	/* a lead over JACK seen once, not yet trusted */
	int have_prev;
	uint32_t load_gain_frames;
	float load_gain;	/* per-cycle fall of dsp_load_peak */
	struct sb_transport tr;
	struct sb_beats beats;	/* this cycle's, handed to the subsystems */
	struct sb_looper_status ls;

	/* set from JACK's shutdown callback when jackd goes away */
	atomic_int jack_gone;
};

/*
 * Connect to JACK (JackNoStartServer | JackUseExactName, plus
 * JackServerName when c->jack.server is set), claim the instance's arena,
 * mlockall (a refusal is only a warning), register the ports, initialise
 * the n_subsys subsystems of the list (processing order; it must outlive
 * the engine), publish a first status and push SB_EVT_STARTED.
 * Returns 0, -ECONNREFUSED when JACK cannot be reached, the arena's error
 * (-EEXIST, -EPROTO, -EBUSY, -EINVAL ...) or another -errno, with a
 * one-line message in err; on error nothing stays open.
 */
/* thread: main */
int sb_engine_open(struct sb_engine *e, const struct sb_config *c,
		   const struct sb_subsys *const *subsys, size_t n_subsys,
		   char *err, size_t errlen);

/*
 * jack_activate, then the connections of c->connect (a port that is not
 * there is reported and skipped).  0 or -EIO with a message.
 */
/* thread: main */
int sb_engine_start(struct sb_engine *e, const struct sb_config *c,
		    char *err, size_t errlen);

/* 1 once JACK told us the server is gone. */
/* thread: any */
int sb_engine_jack_gone(struct sb_engine *e);

/*
 * Deactivate and close the client, give the arena up (engine_pid = 0) and
 * remove it when no live server is attached and no recorded audio waits
 * in the chunk_filled ring.  Safe after a failed open.
 */
/* thread: main */
void sb_engine_close(struct sb_engine *e);

#endif
