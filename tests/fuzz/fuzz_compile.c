/*
 * fuzz_compile.c - libFuzzer target: the whole compiler (pc_compile) into
 * a scratch plan slot and DSP heap, as tests/unit/test_patch_compile.c
 * sets up a target without an engine.
 *
 * The input is one patch, or two separated by "%%" (a character the
 * language never uses).  The first is compiled into slot A; the second
 * (or the first again) into slot B with A as the previous plan, which
 * drives state reuse, the removed list and the freeable blocks.  A
 * compiled plan must pass sb_plan_check and export as a graph; a failed
 * compile must leave the heap as it found it, an -EINVAL must carry a
 * line and column, and the message must be UTF-8 if the text was.  The heap is reset after every input.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt/dsp/plan.h"
#include "server/patch/patch_compile.h"
#include "server/patch/patch_graph.h"
#include "server/patch/patch_heap.h"
#include "tests/fuzz/fuzz_utf8.h"

#define RATE 48000u
#define SLOT_BYTES (1u << 20)
#define HEAP_BYTES (32u << 20)	/* config/stagebox.json's pool sizes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *slot[2], *heap_mem;
static struct ph_heap heap;

static int setup(void)
{
	if (heap_mem)
		return 0;
	slot[0] = aligned_alloc(64, SLOT_BYTES);
	slot[1] = aligned_alloc(64, SLOT_BYTES);
	heap_mem = aligned_alloc(64, HEAP_BYTES);
	if (!slot[0] || !slot[1] || !heap_mem ||
	    ph_init(&heap, heap_mem, HEAP_BYTES))
		abort();
	return 0;
}

static void check_plan(const uint8_t *s)
{
	struct pg_graph g;
	uint64_t *offs;
	uint32_t n;

	if (sb_plan_check(s, SLOT_BYTES, HEAP_BYTES))
		abort();
	if (pg_export(s, &g))
		abort();
	pg_free(&g);
	if (pc_plan_blocks(s, &offs, &n))
		abort();
	free(offs);
}

/* Compile text into slot k (prev: the other slot or NULL). */
static int compile(const char *text, size_t len, int k, const uint8_t *prev,
		   struct pc_result *r)
{
	struct pc_target t = { .slot = slot[k], .slot_bytes = SLOT_BYTES,
			       .heap = &heap, .prev = prev, .rate = RATE,
			       .serial = (uint64_t)k + 1 };
	uint64_t used = ph_used_bytes(&heap);
	int rc = pc_compile(text, len, &t, r);

	if (rc == 0) {
		check_plan(slot[k]);
	} else {
		if (ph_used_bytes(&heap) != used)
			abort();	/* not rolled back */
		if (rc == -EINVAL && (r->err.line < 1 || r->err.col < 1))
			abort();	/* a text error without its place */
		if (fuzz_utf8_ok(text, len) &&
		    !fuzz_utf8_ok(r->err.msg, strlen(r->err.msg)))
			abort();	/* a message JSON cannot carry */
	}
	return rc;
}

static void run(const char *a, size_t alen, const char *b, size_t blen)
{
	struct pc_result ra, rb;
	int rc = compile(a, alen, 0, NULL, &ra);

	if (rc == 0 && compile(b, blen, 1, slot[0], &rb) == 0) {
		/* B swapped in: what only A used goes back */
		for (uint32_t i = 0; i < rb.n_freeable; i++)
			if (ph_free(&heap, rb.freeable[i]))
				abort();
		ph_reset(&heap);
		if (pc_heap_mark_plan(&heap, slot[1], SLOT_BYTES, rb.err.msg,
				      sizeof(rb.err.msg)))
			abort();	/* a restart must find B's blocks */
	}
	if (rc == 0)
		pc_result_free(&rb);
	pc_result_free(&ra);
	ph_reset(&heap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	const char *sep;

	if (!text || setup())
		abort();
	memcpy(text, data, size);	/* exactly size: ASan sees overreads */
	sep = size >= 2 ? memmem(text, size, "%%", 2) : NULL;
	if (sep)
		run(text, (size_t)(sep - text), sep + 2,
		    size - (size_t)(sep - text) - 2);
	else
		run(text, size, text, size);
	free(text);
	return 0;
}
