/*
 * fuzz_parse.c - libFuzzer target: the parser and the seq mini-notation.
 *
 * The input is parsed as patch text, and every string value is compiled
 * as a seq pattern; the whole input is also compiled as a pattern on its
 * own, so the pattern compiler sees raw bytes too.  Errors must carry a
 * position (and be UTF-8 if the text was); a compiled pattern must satisfy rt/dsp/seq_data.h (what the
 * engine's seq module relies on): 1..64 cycles, each tiling [0, 1) with
 * events sorted by start, notes 0..127 or a rest, all inside the blob.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt/dsp/seq_data.h"
#include "server/patch/patch_parse.h"
#include "server/patch/patch_pattern.h"
#include "tests/fuzz/fuzz_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cycle(const struct sb_seq_data *d, int64_t c)
{
	uint32_t n;
	const struct sb_seq_event *ev = sb_seq_events(d, c, &n);
	double end = 0.0;

	if (n < 1)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		if (fabs(ev[i].start - end) > 1e-9 || !(ev[i].length > 0.0))
			abort();	/* gap, overlap or empty event */
		if (ev[i].note != SB_SEQ_REST &&
		    (ev[i].note < 0 || ev[i].note > 127))
			abort();
		end = ev[i].start + ev[i].length;
	}
	if (fabs(end - 1.0) > 1e-9)
		abort();
}

static void check_seq(const struct sb_seq_data *d, size_t bytes,
		      const char *text, size_t len)
{
	const struct sb_seq_cycle *cy;

	if (d->magic != SB_SEQ_MAGIC || d->bytes != bytes ||
	    d->n_cycles < 1 || d->n_cycles > SB_SEQ_MAX_CYCLES ||
	    d->n_events > SB_SEQ_MAX_EVENTS || d->text_len != len ||
	    d->events_off + (uint64_t)d->n_events * sizeof(struct sb_seq_event)
	    > bytes || d->text_off + len + 1 > bytes)
		abort();
	cy = (const struct sb_seq_cycle *)((const uint8_t *)d + d->cycles_off);
	for (uint32_t c = 0; c < d->n_cycles; c++) {
		if ((uint64_t)cy[c].first + cy[c].count > d->n_events)
			abort();
		check_cycle(d, c);
	}
	if (memcmp((const char *)d + d->text_off, text, len))
		abort();
}

static void pattern(const char *text, size_t len)
{
	void *d = NULL;
	size_t bytes = 0, off = 0;
	char err[160];
	int rc = ppat_compile(text, len, &d, &bytes, &off, err, sizeof(err));

	if (rc == 0)
		check_seq(d, bytes, text, len);
	else if (d || (rc == -EINVAL && (off > len || !err[0])))
		abort();	/* -EINVAL: an offset inside the text */
	free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	struct pp_patch p;
	struct patch_err e;

	if (!text)
		return 0;
	memcpy(text, data, size);	/* exactly size: ASan sees overreads */
	pattern(text, size);
	if (pp_parse(text, size, &p, &e) == 0) {
		for (uint32_t i = 0; i < p.n_nodes; i++)
			for (uint32_t k = 0; k < p.nodes[i].n_params; k++)
				if (p.nodes[i].params[k].val.kind == PP_VAL_STR)
					pattern(p.nodes[i].params[k].val.text,
						strlen(p.nodes[i].params[k]
						       .val.text));
		pp_free(&p);
	} else if (e.msg[0] && e.line < 1 && strcmp(e.msg, "out of memory")) {
		abort();	/* a syntax error without its position */
	} else if (fuzz_utf8_ok(text, size) &&
		   !fuzz_utf8_ok(e.msg, strlen(e.msg))) {
		abort();	/* UTF-8 in, a message JSON cannot carry out */
	}
	free(text);
	return 0;
}
