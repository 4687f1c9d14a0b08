/*
 * patch.h - the server's patch engine (a server module).
 *
 * Owns the arena's plan slots (which one runs, which one waits for its
 * swap, the rest free), the DSP heap allocator, the text that is running,
 * and the last error.  A load is compiled on the worker thread (worker_defer)
 * into a free slot against the running plan (kept nodes keep their
 * state), then handed to the engine with SB_CMD_PATCH_SWAP; the request
 * is answered when SB_EVT_PATCH_SWAPPED says it happened, and the heap
 * blocks only the retired plan used are freed.  Loads and stops run one
 * at a time, in arrival order, so the heap has one user at a time.
 *
 * Survival: a new engine runs no plan, so the running text is loaded
 * again; a new server adopts the plan the engine runs (status patch_slot)
 * by rebuilding the allocator from it, and takes the text from
 * DATA/patch/current.txt, which every successful load writes (a stop
 * removes it, so a stopped patch stays stopped).  Config patch.file: the
 * server watches that file and loads it on every save.
 */
#ifndef SB_SERVER_PATCH_H
#define SB_SERVER_PATCH_H

#include <jansson.h>
#include <stddef.h>

#include "server/core/ctl.h"

extern const struct srv_module patch_module;

/* --- control thread only (command handlers in cmd_patch.c) --- */

/*
 * Queue a load of text[0..len) (copied); quantize is enum sb_quantize.
 * Answers req with {"serial","nodes","kept","added","removed",
 * "compile_us","swap_frame","transport_frame"} once swapped, or 400 with
 * line and column for an error in the text (the old patch keeps playing).
 */
/* thread: control */
void patch_load(struct cmd_req *req, const char *text, size_t len,
		int quantize);

/* Queue a stop: answers {"retired": slot or null} once stopped. */
/* thread: control */
void patch_stop(struct cmd_req *req);

/* GET /api/v1/patch: {"text","status","error","line","column","serial",
 * "slot","graph"} (new reference). */
/* thread: control */
json_t *patch_state_json(void);

#endif
