/*
 * patch_json.h - JSON shapes of the patch engine for the REST/WS layer
 * (GET /api/v1/patch, patch.load replies and errors).  The only patch_*
 * file that knows jansson.
 */
#ifndef SB_PATCH_JSON_H
#define SB_PATCH_JSON_H

#include <jansson.h>

#include "server/patch/patch_compile.h"
#include "server/patch/patch_graph.h"
#include "server/patch/patch_lex.h"

/*
 * {"nodes":[{"id","type","params":{name: number | enum word | pattern
 * text}}], "edges":[{"from":"lfo.out","to":"flt.cutoff","scale":400}]}.
 * NULL on out of memory.
 */
/* thread: any */
json_t *pj_graph(const struct pg_graph *g);

/* ["id", ...] (kept / added / removed). */
/* thread: any */
json_t *pj_ids(const struct pc_ids *ids);

/*
 * {"ok":false,"error":"line 4, column 18: ...","line":4,"column":18};
 * line and column only for errors in the text.
 */
/* thread: any */
json_t *pj_error(const struct patch_err *e);

#endif
