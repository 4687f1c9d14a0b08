/*
 * test_patch_compile.c - patch text -> plan: the SPEC-PATCH example
 * compiles to a plan the executor accepts and runs; every semantic error
 * at its exact line and column; cycles; state reuse across recompiles
 * (kept / added / removed, freeable blocks, heap accounting, rebuild
 * after a restart); the DSP heap allocator itself; the graph export.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/dsp/plan.h"
#include "rt/dsp/seq_data.h"
#include "server/patch/patch_compile.h"
#include "server/patch/patch_graph.h"
#include "server/patch/patch_heap.h"
#include "server/patch/patch_json.h"

#define RATE 48000u
#define SLOT_BYTES (512u * 1024u)
#define HEAP_BYTES (16u * 1024u * 1024u)

#include "tests/unit/example_patch.h"

struct fx {
	uint8_t *slot[3];
	uint8_t *heap_mem;
	struct ph_heap heap;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	for (int i = 0; i < 3; i++)
		f->slot[i] = aligned_alloc(64, SLOT_BYTES);
	f->heap_mem = aligned_alloc(64, HEAP_BYTES);
	memset(f->heap_mem, 0xa5, HEAP_BYTES);	/* compile must zero */
	assert_int_equal(ph_init(&f->heap, f->heap_mem, HEAP_BYTES), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ph_destroy(&f->heap);
	for (int i = 0; i < 3; i++)
		free(f->slot[i]);
	free(f->heap_mem);
	free(f);
	return 0;
}

/* Compile text into slot i (prev: slot p or -1); must succeed. */
static void compile_ok(struct fx *f, const char *text, int i, int p,
		       struct pc_result *r)
{
	struct pc_target t = { .slot = f->slot[i], .slot_bytes = SLOT_BYTES,
			       .heap = &f->heap, .rate = RATE, .serial = 1,
			       .prev = p >= 0 ? f->slot[p] : NULL };
	int rc = pc_compile(text, strlen(text), &t, r);

	if (rc)
		fail_msg("compile failed (%d): %s", rc, r->err.msg);
	assert_int_equal(sb_plan_check(f->slot[i], SLOT_BYTES, HEAP_BYTES),
			 0);
}

/* Compile must fail with exactly this position and message start. */
static void compile_err(struct fx *f, const char *text, int line, int col,
			const char *what)
{
	struct pc_target t = { .slot = f->slot[2], .slot_bytes = SLOT_BYTES,
			       .heap = &f->heap, .rate = RATE };
	struct pc_result r;
	uint64_t used = ph_used_bytes(&f->heap);
	char want[400];

	assert_int_equal(pc_compile(text, strlen(text), &t, &r), -EINVAL);
	snprintf(want, sizeof(want), "line %d, column %d: %s", line, col,
		 what);
	if (strncmp(r.err.msg, want, strlen(want)))
		fail_msg("got \"%s\", want \"%s...\"", r.err.msg, want);
	assert_int_equal(r.err.line, line);
	assert_int_equal(r.err.col, col);
	assert_int_equal(ph_used_bytes(&f->heap), used);	/* rolled back */
	pc_result_free(&r);
}

static const struct sb_plan_node *nodes_of(const uint8_t *slot)
{
	return (const struct sb_plan_node *)
		(slot + ((const struct sb_plan_hdr *)slot)->nodes_off);
}

static const struct sb_plan_node *node(const uint8_t *slot, const char *id,
				       int *pos)
{
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)slot;

	for (uint32_t k = 0; k < h->n_nodes; k++) {
		if (strcmp(nodes_of(slot)[k].id, id))
			continue;
		if (pos)
			*pos = (int)k;
		return &nodes_of(slot)[k];
	}
	fail_msg("no node '%s'", id);
	return NULL;
}

static float param(const uint8_t *slot, const char *id, uint32_t k)
{
	return ((const float *)(slot + node(slot, id, NULL)->param_off))[k];
}

static int has_id(const struct pc_ids *ids, const char *id)
{
	for (uint32_t i = 0; i < ids->n; i++)
		if (!strcmp(ids->id[i], id))
			return 1;
	return 0;
}

static int has_off(const uint64_t *offs, uint32_t n, uint64_t off)
{
	for (uint32_t i = 0; i < n; i++)
		if (offs[i] == off)
			return 1;
	return 0;
}

/* Every connection's source runs before its node (delays excepted). */
static void check_order(const uint8_t *slot)
{
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)slot;
	const struct sb_plan_node *nd = nodes_of(slot);

	for (uint32_t k = 0; k < h->n_nodes; k++) {
		const struct sb_plan_conn *cn = (const struct sb_plan_conn *)
			(slot + nd[k].conn_off);

		for (uint32_t c = 0; c < nd[k].n_conns; c++) {
			uint32_t j = 0;

			while (!(cn[c].src_buf >= nd[j].out_buf &&
				 cn[c].src_buf < nd[j].out_buf +
				 sb_mod_table[nd[j].type]->n_outputs))
				j++;
			if (strcmp(sb_mod_table[nd[j].type]->type, "delay"))
				assert_true(j < k);
		}
	}
}

static void test_example_compiles(void **state)
{
	struct fx *f = *state;
	struct pc_result r;
	const struct sb_plan_hdr *h = (const struct sb_plan_hdr *)f->slot[0];
	const struct sb_plan_node *seq;
	const struct sb_seq_data *d;

	compile_ok(f, example, 0, -1, &r);
	assert_int_equal(r.n_nodes, 7);	/* six + the built-in out */
	assert_int_equal(h->n_nodes, 7);
	assert_int_equal(h->rate, RATE);
	assert_int_equal(r.added.n, 7);
	assert_int_equal(r.kept.n + r.removed.n + r.n_freeable, 0);
	assert_int_equal(r.n_fresh, 8);	/* 7 states + the buffers */
	assert_true(fabsf(param(f->slot[0], "osc", 0) - 110.0f) < 1e-4f);
	assert_true(fabsf(param(f->slot[0], "env", 2) - 0.6f) < 1e-6f);
	assert_true(fabsf(param(f->slot[0], "amp", 0) - 1.0f) < 1e-6f);
	check_order(f->slot[0]);
	assert_string_equal(nodes_of(f->slot[0])[6].id, "out");
	assert_int_equal(node(f->slot[0], "flt", NULL)->n_conns, 2);
	assert_int_equal(node(f->slot[0], "out", NULL)->n_conns, 2);
	seq = node(f->slot[0], "seq", NULL);
	assert_true(seq->data_off > 0);
	d = (const struct sb_seq_data *)(f->slot[0] + seq->data_off);
	assert_int_equal(d->magic, SB_SEQ_MAGIC);
	assert_int_equal(d->n_cycles, 2);
	/* fresh state is zeroed, not left as it was */
	assert_int_equal(f->heap_mem[node(f->slot[0], "osc", NULL)->state_off
				     + SB_NODE_STATE_BYTES], 0);
	assert_int_equal(f->heap_mem[h->bufs_off], 0);
	pc_result_free(&r);
}

/* The plan runs: the example makes finite, non-silent audio. */
static void test_example_runs(void **state)
{
	struct fx *f = *state;
	struct pc_result r;
	struct sb_beats beats = { .running = 1, .bpm = 120,
				  .beats_per_bar = 4,
				  .frames_per_beat = 24000.0 };
	float left[1024] = { 0 }, right[1024] = { 0 }, peak = 0;
	struct sb_mod_ctx ctx = { .rate = RATE, .beats = &beats,
				  .ext_out = { left, right } };

	compile_ok(f, example, 0, -1, &r);
	for (int cyc = 0; cyc < 20; cyc++) {
		memset(left, 0, sizeof(left));
		memset(right, 0, sizeof(right));
		beats.pos = (uint64_t)cyc * 1024;
		sb_plan_run(f->slot[0], f->heap_mem, &ctx, 1024);
		for (int i = 0; i < 1024; i++) {
			assert_true(isfinite(left[i]));
			assert_true(left[i] == right[i]);
			peak = fabsf(left[i]) > peak ? fabsf(left[i]) : peak;
		}
	}
	assert_true(peak > 0.01f);
	assert_true(peak < 1.0f);
	pc_result_free(&r);
}

static void test_values(void **state)
{
	struct fx *f = *state;
	struct pc_result r;

	compile_ok(f, "a = saw(freq: a4)\nb = lfo(shape: square, polarity: "
		   "unipolar, freq: 1e1)\nc = sine(freq: c4)\n"
		   "d = noise(color: \"pink\")\n"
		   "i = delay(time: 0.25)\nin.2 * -1 -> i.in\n"
		   "i.out -> out.left\n", 0, -1, &r);
	assert_true(fabsf(param(f->slot[0], "a", 0) - 440.0f) < 1e-3f);
	assert_true(fabsf(param(f->slot[0], "c", 0) - SB_C4_HZ) < 1e-3f);
	assert_true(param(f->slot[0], "b", 0) == 10.0f);
	assert_true(param(f->slot[0], "b", 1) == 3.0f);	/* square */
	assert_true(param(f->slot[0], "b", 2) == 1.0f);	/* unipolar */
	assert_true(param(f->slot[0], "d", 0) == 1.0f);
	assert_true(param(f->slot[0], "i", 3) == 2.0f);	/* default max */
	assert_int_equal(r.n_nodes, 7);	/* + in, out */
	pc_result_free(&r);
}

static void test_semantic_errors(void **state)
{
	struct fx *f = *state;

	compile_err(f, "lfo = sine()\n\nosc = sawx(freq: 1)\n", 3, 7,
		    "unknown module type 'sawx'");
	compile_err(f, "osc = saw()\nf = svf()\nosc.out -> f.x\n", 3, 14,
		    "unknown port 'x' on 'f' (svf has inputs in; parameters "
		    "cutoff, q)");
	compile_err(f, "osc = saw()\nosc.voct -> out.left\n", 2, 5,
		    "unknown output 'voct' on 'osc' (saw has outputs out)");
	compile_err(f, "osc = saw()\nosc.out -> nope.in\n", 2, 12,
		    "unknown node 'nope'");
	compile_err(f, "osc = saw(frq: 2)\n", 1, 11,
		    "unknown parameter 'frq' on 'osc' (saw has freq)");
	compile_err(f, "osc = saw(freq: \"x\")\n", 1, 17,
		    "wrong value type for 'freq': expected a number or a note "
		    "name, got a string");
	compile_err(f, "f = svf(q: c3)\n", 1, 12,
		    "wrong value type for 'q': a note name only works for a "
		    "Hz parameter");
	compile_err(f, "l = lfo(shape: 2)\n", 1, 16,
		    "wrong value type for 'shape': expected one of sine, tri");
	compile_err(f, "l = lfo(shape: wobble)\n", 1, 16,
		    "unknown value 'wobble' for 'shape' (choices: sine, tri, "
		    "saw, square, sh)");
	compile_err(f, "s = seq(pattern: 3)\n", 1, 18,
		    "wrong value type for 'pattern': expected a string");
	compile_err(f, "f = svf(cutoff: 50000)\n", 1, 17,
		    "value out of range: 'cutoff' is 1 .. 20000 Hz, got 50000");
	compile_err(f, "a = saw(freq: 1, freq: 2)\n", 1, 18,
		    "duplicate parameter 'freq'");
	compile_err(f, "a = saw()\nb = sine()\na = vca()\n", 3, 1,
		    "duplicate id 'a'");
	compile_err(f, "a = saw()\na.out => out.left\n", 2, 7,
		    "expected '->' or '* scale', got '='");
	compile_err(f, "s = seq(pattern: \"c3 e3\n", 1, 18,
		    "unterminated string");
	compile_err(f, "x = 1\n", 1, 5, "expected a module type");
	compile_err(f, "s = seq(pattern: \"c3 e3 [g3 c4\")\n", 1, 31,
		    "bad pattern: expected ']'");
	compile_err(f, "\n  s = seq(pattern: \"c3 q3\")\n", 2, 24,
		    "bad pattern: bad note name");
	compile_err(f, "s = seq()\ns.pitch -> s.pattern\n", 2, 14,
		    "parameter 'pattern' of 's' cannot take a connection");
	compile_err(f, "o = out()\n", 1, 5, "'out' is built in");
	compile_err(f, "a = saw()\na.out -> in.1\n", 2, 13,
		    "unknown port '1' on 'in'");
}

static void test_cycles(void **state)
{
	struct fx *f = *state;
	struct pc_result r;

	compile_err(f, "a = vca()\nb = vca()\na.out -> b.in\nb.out -> a.in\n",
		    4, 1, "a cycle with no delay in it: a -> b -> a");
	compile_err(f, "a = vca()\na.out -> a.cv\n", 2, 1,
		    "a cycle with no delay in it: a -> a");
	compile_err(f, "x = saw()\na = vca()\nb = svf()\nc = vca()\n"
		    "x.out -> a.in\na.out -> b.in\nb.lp -> c.in\n"
		    "c.out * 0.5 -> a.cv, out.left\n", 8, 1,
		    "a cycle with no delay in it: a -> b -> c -> a");
	/* the same loop through a delay is fine */
	compile_ok(f, "x = saw()\na = vca()\nd = delay(time: 0.1)\nc = vca()\n"
		   "x.out -> a.in\na.out -> d.in\nd.out -> c.in\n"
		   "c.out * 0.5 -> a.cv, out.left\nd.out * 0.3 -> d.in\n",
		   0, -1, &r);
	check_order(f->slot[0]);
	pc_result_free(&r);
}

static void test_too_many_modules(void **state)
{
	struct fx *f = *state;
	size_t cap = 64 * (SB_PLAN_MAX_NODES + 4), at = 0;
	char *text = malloc(cap);

	for (int i = 0; i < SB_PLAN_MAX_NODES; i++)
		at += (size_t)snprintf(text + at, cap - at, "n%d = vca()\n", i);
	snprintf(text + at, cap - at, "n0.out -> out.left\n");
	compile_err(f, text, SB_PLAN_MAX_NODES + 1, 11,
		    "too many modules (max 4096)");
	free(text);
}

#define P1 "osc = saw(freq: 110)\nd = delay(time: 0.2, max: 1)\n" \
	   "l = lfo(freq: 2)\nosc.out -> d.in\nd.out -> out.left\n"

/* Recompile P1 edited into P2 against the running P1; retire P1. */
static void recompile(struct fx *f, const char *p2, struct pc_result *r2)
{
	struct pc_result r1;

	ph_reset(&f->heap);
	compile_ok(f, P1, 0, -1, &r1);
	pc_result_free(&r1);
	compile_ok(f, p2, 1, 0, r2);
}

static void test_reuse_param_change(void **state)
{
	struct fx *f = *state;
	struct pc_result r;
	const struct sb_plan_hdr *h0 = (const struct sb_plan_hdr *)f->slot[0];

	recompile(f, "osc = saw(freq: 220)\nd = delay(time: 0.5, max: 1)\n"
		  "l = lfo(freq: 2)\nosc.out -> d.in\nd.out -> out.left\n", &r);
	assert_int_equal(node(f->slot[1], "osc", NULL)->state_off,
			 node(f->slot[0], "osc", NULL)->state_off);
	assert_int_equal(node(f->slot[1], "d", NULL)->state_off,
			 node(f->slot[0], "d", NULL)->state_off);
	assert_int_equal(r.kept.n, 4);
	assert_int_equal(r.added.n + r.removed.n, 0);
	assert_int_equal(r.n_freeable, 1);	/* the old signal buffers */
	assert_int_equal(r.freeable[0], h0->bufs_off);
	assert_int_equal(r.n_fresh, 1);
	assert_true(param(f->slot[1], "osc", 0) == 220.0f);
	pc_result_free(&r);
}

static void test_reuse_type_rename_shape(void **state)
{
	struct fx *f = *state;
	struct pc_result r;
	uint64_t old_osc, old_d, old_l;

	recompile(f, "osc = square(freq: 110)\nd = delay(time: 0.2, max: 2)\n"
		  "l2 = lfo(freq: 2)\nosc.out -> d.in\nd.out -> out.left\n", &r);
	old_osc = node(f->slot[0], "osc", NULL)->state_off;
	old_d = node(f->slot[0], "d", NULL)->state_off;
	old_l = node(f->slot[0], "l", NULL)->state_off;
	assert_true(node(f->slot[1], "osc", NULL)->state_off != old_osc);
	assert_true(node(f->slot[1], "d", NULL)->state_off != old_d);
	assert_true(node(f->slot[1], "l2", NULL)->state_off != old_l);
	assert_int_equal(r.kept.n, 1);
	assert_true(has_id(&r.kept, "out"));
	assert_true(has_id(&r.added, "osc") && has_id(&r.removed, "osc"));
	assert_true(has_id(&r.added, "d") && has_id(&r.removed, "d"));
	assert_true(has_id(&r.added, "l2") && has_id(&r.removed, "l"));
	assert_int_equal(r.n_freeable, 4);
	assert_true(has_off(r.freeable, r.n_freeable, old_osc));
	assert_true(has_off(r.freeable, r.n_freeable, old_d));
	assert_true(has_off(r.freeable, r.n_freeable, old_l));
	pc_result_free(&r);
}

static void test_reuse_removed_and_accounting(void **state)
{
	struct fx *f = *state;
	struct pc_result r;
	uint64_t old_l, used, swapped;
	char err[160];

	recompile(f, "osc = saw(freq: 110)\nd = delay(time: 0.2, max: 1)\n"
		  "osc.out -> d.in\nd.out -> out.left, out.right\n", &r);
	old_l = node(f->slot[0], "l", NULL)->state_off;
	assert_true(has_id(&r.removed, "l"));
	assert_int_equal(r.removed.n, 1);
	assert_true(has_off(r.freeable, r.n_freeable, old_l));
	/* the engine swapped: P1 retired, its freeable blocks go back */
	for (uint32_t i = 0; i < r.n_freeable; i++)
		assert_int_equal(ph_free(&f->heap, r.freeable[i]), 0);
	used = ph_used_bytes(&f->heap);
	/* a server restart rebuilds exactly that from the running plan */
	ph_reset(&f->heap);
	assert_int_equal(ph_used_bytes(&f->heap), 0);
	assert_int_equal(pc_heap_mark_plan(&f->heap, f->slot[1], SLOT_BYTES,
					   err, sizeof(err)), 0);
	swapped = ph_used_bytes(&f->heap);
	assert_int_equal(swapped, used);
	/* marking a second plan sharing blocks is fine */
	assert_int_equal(pc_heap_mark_plan(&f->heap, f->slot[1], SLOT_BYTES,
					   err, sizeof(err)), 0);
	assert_int_equal(ph_used_bytes(&f->heap), used);
	pc_result_free(&r);
}

static void test_rate_change_drops_state(void **state)
{
	struct fx *f = *state;
	struct pc_result r1, r2;
	struct pc_target t = { .slot = f->slot[1], .slot_bytes = SLOT_BYTES,
			       .heap = &f->heap, .rate = 44100,
			       .prev = f->slot[0] };

	ph_reset(&f->heap);
	compile_ok(f, P1, 0, -1, &r1);
	assert_int_equal(pc_compile(P1, strlen(P1), &t, &r2), 0);
	assert_int_equal(r2.kept.n, 0);
	assert_int_equal(r2.removed.n, 4);
	assert_int_equal(r2.n_freeable, 5);
	pc_result_free(&r1);
	pc_result_free(&r2);
}

static void test_slot_too_small(void **state)
{
	struct fx *f = *state;
	struct pc_result r;
	struct pc_target t = { .slot = f->slot[1], .slot_bytes = 256,
			       .heap = &f->heap, .rate = RATE };
	uint64_t used = ph_used_bytes(&f->heap);

	assert_int_equal(pc_compile(example, strlen(example), &t, &r),
			 -ENOSPC);
	assert_non_null(strstr(r.err.msg, "plan slot"));
	assert_int_equal(ph_used_bytes(&f->heap), used);
	pc_result_free(&r);
}

static void test_heap_full(void **state)
{
	struct fx *f = *state;
	struct pc_result r;
	struct ph_heap small;
	struct pc_target t = { .slot = f->slot[1], .slot_bytes = SLOT_BYTES,
			       .heap = &small, .rate = RATE };
	const char *text = "d = delay(max: 60)\nd.out -> out.left\n";

	assert_int_equal(ph_init(&small, f->heap_mem, 1u << 20), 0);
	assert_int_equal(pc_compile(text, strlen(text), &t, &r), -ENOMEM);
	assert_non_null(strstr(r.err.msg, "DSP heap full"));
	assert_int_equal(ph_used_bytes(&small), 0);
	pc_result_free(&r);
	ph_destroy(&small);
}

static void test_heap_allocator(void **state)
{
	struct ph_heap h;
	uint64_t a, b, c, d;
	char err[160];

	(void)state;
	assert_int_equal(ph_init(&h, NULL, 1024), 0);
	assert_int_equal(ph_alloc(&h, 1, &a, err, sizeof(err)), 0);
	assert_int_equal(ph_alloc(&h, 65, &b, err, sizeof(err)), 0);
	assert_int_equal(ph_alloc(&h, 64, &c, err, sizeof(err)), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 64);	/* 64-byte blocks */
	assert_int_equal(c, 192);
	assert_int_equal(ph_used_bytes(&h), 256);
	assert_int_equal(ph_free(&h, b), 0);
	assert_int_equal(ph_free(&h, b), -EINVAL);	/* twice */
	assert_int_equal(ph_free(&h, 100), -EINVAL);	/* not a block */
	assert_int_equal(ph_alloc(&h, 64, &d, err, sizeof(err)), 0);
	assert_int_equal(d, 64);	/* first fit takes the hole */
	assert_int_equal(ph_free(&h, a), 0);
	assert_int_equal(ph_free(&h, d), 0);
	assert_int_equal(ph_free(&h, c), 0);
	assert_int_equal(h.n, 1);	/* all coalesced */
	assert_int_equal(ph_largest_free(&h), 1024);
	assert_int_equal(ph_alloc(&h, 1024, &a, err, sizeof(err)), 0);
	assert_int_equal(ph_alloc(&h, 1, &b, err, sizeof(err)), -ENOMEM);
	assert_non_null(strstr(err, "DSP heap full"));
	assert_int_equal(ph_alloc(&h, 0, &b, err, sizeof(err)), -EINVAL);
	ph_reset(&h);
	assert_int_equal(ph_mark_used(&h, 128, 100), 0);	/* 128..256 */
	assert_int_equal(ph_mark_used(&h, 128, 100), -EEXIST);
	assert_int_equal(ph_mark_used(&h, 192, 64), -EINVAL);
	assert_int_equal(ph_mark_used(&h, 1000, 100), -EINVAL);
	assert_int_equal(ph_alloc(&h, 128, &a, err, sizeof(err)), 0);
	assert_int_equal(a, 0);
	assert_int_equal(ph_alloc(&h, 64, &b, err, sizeof(err)), 0);
	assert_int_equal(b, 256);
	assert_int_equal(ph_free(&h, 128), 0);
	assert_int_equal(ph_used_bytes(&h), 192);
	ph_destroy(&h);
}

static void test_graph_export(void **state)
{
	struct fx *f = *state;
	struct pc_result r;
	struct pg_graph g;
	const struct pg_node *n = NULL;
	int found = 0;
	json_t *js;
	char *text;

	compile_ok(f, example, 0, -1, &r);
	assert_int_equal(pg_export(f->slot[0], &g), 0);
	assert_int_equal(g.n_nodes, 7);
	assert_int_equal(g.n_edges, 8);
	for (uint32_t i = 0; i < g.n_nodes; i++)
		if (!strcmp(g.nodes[i].id, "seq"))
			n = &g.nodes[i];
	assert_non_null(n);
	assert_string_equal(n->type, "seq");
	assert_string_equal(n->params[0].text,
			    "c3 e3 g3 ~ [c4 e4] g3*2 <a3 b3>");
	for (uint32_t i = 0; i < g.n_edges; i++) {
		if (strcmp(g.edges[i].to, "flt.cutoff"))
			continue;
		assert_string_equal(g.edges[i].from, "lfo.out");
		assert_true(g.edges[i].scale == 400.0f);
		found = 1;
	}
	assert_true(found);
	js = pj_graph(&g);
	text = json_dumps(js, JSON_COMPACT);
	assert_non_null(strstr(text, "{\"from\":\"lfo.out\",\"to\":"
			       "\"flt.cutoff\",\"scale\":400"));
	assert_non_null(strstr(text, "\"pattern\":\"c3 e3"));
	free(text);
	json_decref(js);
	pg_free(&g);
	pc_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_compiles),
		cmocka_unit_test(test_example_runs),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_semantic_errors),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_too_many_modules),
		cmocka_unit_test(test_reuse_param_change),
		cmocka_unit_test(test_reuse_type_rename_shape),
		cmocka_unit_test(test_reuse_removed_and_accounting),
		cmocka_unit_test(test_rate_change_drops_state),
		cmocka_unit_test(test_slot_too_small),
		cmocka_unit_test(test_heap_full),
		cmocka_unit_test(test_heap_allocator),
		cmocka_unit_test(test_graph_export),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
