/*
 * config.h - the appliance configuration (config/stagebox.json), shared by
 * the engine and the server.  Parsed with jansson at start-up only; never
 * on the process thread.  Flags given on a command line override it.
 *
 * Unknown keys and wrong types are errors, named by their dotted path
 * ("pool.chunks: expected an integer, got string"); JSON syntax errors are
 * named by line and column ("config/stagebox.json:4:17: ...").
 */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "rt/common/arena.h"

#define SB_NAME_MAX 64
#define SB_PATH_MAX 512
#define SB_CONNECT_MAX 1024	/* one connect.* list, names joined by '\n' */

struct sb_config {
	char instance[SB_INSTANCE_MAX + 1];	/* "instance" */
	struct {
		char server[SB_NAME_MAX];	/* jack.server: server name */
		char driver[32];		/* jack.driver: dummy | alsa */
		char device[SB_NAME_MAX];	/* jack.device: ALSA device */
		uint32_t rate;			/* jack.rate */
		uint32_t period;		/* jack.period */
		uint32_t nperiods;		/* jack.nperiods */
	} jack;
	struct {
		char client_name[SB_NAME_MAX];	/* engine.client_name */
	} engine;
	struct {
		char bind[SB_NAME_MAX];		/* server.bind */
		int http_port;			/* server.http_port */
		int ws_port;			/* server.ws_port */
		char data_dir[SB_PATH_MAX];	/* server.data_dir */
		char static_dir[SB_PATH_MAX];	/* server.static_dir */
		char auth[8];			/* server.auth: token | off */
		char hosts[SB_PATH_MAX];	/* server.hosts: names, ' '-joined */
	} server;
	struct {
		uint32_t input_left;		/* looper.input_left: 1-based */
		uint32_t input_right;		/* looper.input_right */
		uint32_t declick_frames;	/* looper.declick_frames */
		char bindings[SB_PATH_MAX];	/* looper.bindings: MIDI map */
	} looper;
	struct {
		char file[SB_PATH_MAX];	/* patch.file: watched, "" = none */
	} patch;
	struct {
		double ceiling_db;	/* output.ceiling_db: limiter ceiling */
		double volume_db;	/* output.volume_db: master at start */
	} output;
	/*
	 * connect.*: JACK ports the engine connects at start (and again after
	 * a restart), one name per line, or "physical" (the sound card:
	 * capture 1..N -> in_1..N, out_L/R -> playback 1/2, every physical
	 * MIDI source -> midi_in).  "" = leave unconnected.
	 */
	struct {
		char inputs[SB_CONNECT_MAX];	/* to in_1, in_2 ... in order */
		char outputs[SB_CONNECT_MAX];	/* from out_L, out_R in order */
		char click[SB_CONNECT_MAX];	/* every one gets the click */
		char midi_in[SB_CONNECT_MAX];	/* every one feeds midi_in */
		char midi_out[SB_CONNECT_MAX];	/* midi_out feeds every one */
	} connect;
	/*
	 * engine.inputs -> geom.n_inputs; looper.columns, looper.tracks ->
	 * geom.n_columns, geom.n_tracks; pool.chunk_frames, pool.chunks,
	 * pool.cmd_slots, pool.evt_slots, pool.tap_frames, pool.plan_slots,
	 * pool.plan_slot_bytes, pool.heap_bytes -> the rest of geom.
	 */
	struct sb_arena_geom geom;
};

struct json_t;

/* The JSON type of v as a word for messages ("string", "integer" ...). */
/* thread: any */
const char *sb_json_type_name(const struct json_t *v);

/* Fill every field with its default. */
/* thread: any */
void sb_config_defaults(struct sb_config *c);

/*
 * Parse JSON text over the values already in c (so defaults stay where
 * the text is silent).  name is used in messages (a file path).
 * Returns 0, or -EINVAL with a message in err; c is untouched on error.
 * Allocates (jansson); called at start-up.
 */
/* thread: main, control */
int sb_config_parse(struct sb_config *c, const char *text, const char *name,
		    char *err, size_t errlen);

/* Read and parse a file.  -errno when it cannot be read. */
/* thread: main, control */
int sb_config_load(struct sb_config *c, const char *path, char *err,
		   size_t errlen);

/*
 * Print the effective config as "key=value" lines (dotted keys), for
 * shell scripts (deploy/run.sh).
 */
/* thread: main */
void sb_config_dump(const struct sb_config *c, FILE *out);

#endif
