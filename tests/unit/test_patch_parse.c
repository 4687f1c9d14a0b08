/*
 * test_patch_parse.c - the patch language front end: tokens, the syntax
 * tree of the SPEC-PATCH example, every syntax error at its exact line
 * and column, note names, and the seq mini-notation compiled to
 * rt/seq_data.h (rests, subdivision, repeats, alternation per cycle,
 * nesting, MIDI numbers, bad patterns at their offset).
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

#include "rt/dsp/seq_data.h"
#include "server/patch/patch_lex.h"
#include "server/patch/patch_parse.h"
#include "server/patch/patch_pattern.h"

#include "tests/unit/example_patch.h"

/* Parse text expecting failure; check the position and message. */
static void parse_err(const char *text, int line, int col, const char *what)
{
	struct pp_patch p;
	struct patch_err e;
	char want[400];

	assert_int_equal(pp_parse(text, strlen(text), &p, &e), -EINVAL);
	snprintf(want, sizeof(want), "line %d, column %d: %s", line, col,
		 what);
	if (strncmp(e.msg, want, strlen(want)))
		fail_msg("got \"%s\", want \"%s...\"", e.msg, want);
	assert_int_equal(e.line, line);
	assert_int_equal(e.col, col);
	assert_int_equal(p.n_nodes, 0);	/* freed on error */
}

static void test_tokens(void **state)
{
	const char *src = "x = f#2 -1e3 \"a\\\"b\" -> .:*# c\n[";
	static const enum plex_kind want[] = {
		PLEX_IDENT, PLEX_EQ, PLEX_IDENT, PLEX_NUM, PLEX_STR,
		PLEX_ARROW, PLEX_DOT, PLEX_COLON, PLEX_STAR, PLEX_NL,
		PLEX_LBRACK, PLEX_EOF,
	};
	struct plex lx;
	struct plex_token t;
	struct patch_err e;

	(void)state;
	plex_init(&lx, src, strlen(src));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(plex_next(&lx, &t, &e), 0);
		assert_int_equal(t.kind, want[i]);
		if (i == 2)
			assert_int_equal(t.len, 3);	/* f#2 is one token */
		if (i == 3)
			assert_true(t.num == -1000.0);
		if (i == 4)
			assert_int_equal(t.len, 4);	/* a\"b */
		if (i == 10) {
			assert_int_equal(t.pos.line, 2);
			assert_int_equal(t.pos.col, 1);
		}
	}
}

static void test_example_tree(void **state)
{
	struct pp_patch p;
	struct patch_err e;
	const struct pp_node *n;

	(void)state;
	assert_int_equal(pp_parse(example, strlen(example), &p, &e), 0);
	assert_int_equal(p.n_nodes, 6);
	assert_int_equal(p.n_conns, 8);	/* the fan-out makes two */
	n = pp_find_node(&p, "env");
	assert_non_null(n);
	assert_string_equal(n->type, "adsr");
	assert_int_equal(n->n_params, 4);
	assert_string_equal(n->params[2].name, "s");
	assert_true(n->params[2].val.num == 0.6);
	assert_int_equal(n->pos.line, 6);
	assert_int_equal(n->type_pos.col, 8);
	assert_int_equal(n->params[1].pos.col, 22);
	n = pp_find_node(&p, "seq");
	assert_int_equal(n->params[0].val.kind, PP_VAL_STR);
	assert_string_equal(n->params[0].val.text,
			    "c3 e3 g3 ~ [c4 e4] g3*2 <a3 b3>");
	assert_int_equal(n->params[0].val.pos.col, 21);
	assert_string_equal(p.conns[2].from.node, "lfo");
	assert_true(p.conns[2].scale == 400.0);
	assert_string_equal(p.conns[2].to.port, "cutoff");
	assert_int_equal(p.conns[2].pos.line, 10);
	assert_string_equal(p.conns[6].to.port, "left");
	assert_string_equal(p.conns[7].to.port, "right");
	assert_true(p.conns[7].scale == 0.5);
	assert_int_equal(p.conns[7].to.pos.col, 28);
	assert_true(p.conns[0].scale == 1.0);
	pp_free(&p);
}

static void test_values_and_layout(void **state)
{
	const char *src = "\n  a = lfo(\n    shape: square,\n    freq: -2.5,\n"
			  "    l: [1, 2, 3],   # comment\n  )\n"
			  "in.1 * -1 -> a.freq\n";
	struct pp_patch p;
	struct patch_err e;

	(void)state;
	assert_int_equal(pp_parse(src, strlen(src), &p, &e), 0);
	assert_int_equal(p.n_nodes, 1);
	assert_int_equal(p.nodes[0].n_params, 3);
	assert_int_equal(p.nodes[0].params[0].val.kind, PP_VAL_WORD);
	assert_string_equal(p.nodes[0].params[0].val.text, "square");
	assert_true(p.nodes[0].params[1].val.num == -2.5);
	assert_int_equal(p.nodes[0].params[2].val.kind, PP_VAL_LIST);
	assert_int_equal(p.nodes[0].params[2].val.n_list, 3);
	assert_true(p.nodes[0].params[2].val.list[2] == 3.0);
	assert_string_equal(p.conns[0].from.node, "in");
	assert_string_equal(p.conns[0].from.port, "1");
	assert_true(p.conns[0].scale == -1.0);
	pp_free(&p);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	parse_err("a = saw()\n\na = sine()\n", 3, 1, "duplicate id 'a'");
	parse_err("osc = saw()\nosc.out flt.in\n", 2, 9,
		  "expected '->' or '* scale', got 'flt'");
	parse_err("osc.out -> flt\n", 1, 15, "expected '.' and a port name");
	parse_err("osc -> flt.in\n", 1, 5, "expected '=' (a definition) or "
		  "'.' (a connection)");
	parse_err("osc.out -> a.in, \n", 1, 18, "expected a node id");
	parse_err("a.out * x -> b.in\n", 1, 9, "expected a number after '*'");
	parse_err("s = seq(pattern: \"c3 e3)\n", 1, 18,
		  "unterminated string");
	parse_err("a = saw(freq 1)\n", 1, 14, "expected ':'");
	parse_err("a = saw(freq: 1\nb = sine()\n", 2, 1,
		  "expected ',' or ')', got 'b'");
	parse_err("a = saw() b\n", 1, 11, "expected end of line");
	parse_err("Osc = saw()\n", 1, 1, "bad id 'Osc'");
	parse_err("out = saw()\n", 1, 1, "'out' is a built-in id");
	parse_err("a = saw(freq: 1x)\n", 1, 15, "bad number '1x'");
	parse_err("a = saw(freq: )\n", 1, 15, "expected a value");
	parse_err("a = saw(freq: 1) > b\n", 1, 18, "unexpected character '>'");
	parse_err("abcdefghijabcdefghijabcdefghijabc = saw()\n", 1, 1,
		  "name 'abcdefghijabcdefghijabcdefghijabc' is longer than 31");
}

static void test_too_many_modules(void **state)
{
	size_t cap = (SB_PLAN_MAX_NODES + 1) * 24, at = 0;
	char *text = malloc(cap);
	char want[64];

	(void)state;
	for (int i = 0; i <= SB_PLAN_MAX_NODES; i++)
		at += (size_t)snprintf(text + at, cap - at, "n%d = vca()\n", i);
	snprintf(want, sizeof(want), "too many modules (max %d)",
		 SB_PLAN_MAX_NODES);
	parse_err(text, SB_PLAN_MAX_NODES + 1, 1, want);
	free(text);
}

static void test_note_names(void **state)
{
	static const struct { const char *s; int midi; } ok[] = {
		{ "c4", 60 }, { "a4", 69 }, { "c3", 48 }, { "eb4", 63 },
		{ "f#2", 42 }, { "bb3", 58 }, { "b3", 59 }, { "C-1", 0 },
		{ "g9", 127 }, { "A4", 69 },
	};
	static const char *const bad[] = { "h3", "c", "c#", "cb", "g#9",
					   "x", "c3x", "square", "eb" };
	int m;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(ppat_note(ok[i].s, strlen(ok[i].s), &m), 0);
		assert_int_equal(m, ok[i].midi);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ppat_note(bad[i], strlen(bad[i]), &m),
				 -EINVAL);
	assert_true(fabs(ppat_midi_hz(69) - 440.0) < 1e-9);
	assert_true(fabs(ppat_midi_hz(60) - 261.6255653) < 1e-6);
}

/* Compile a pattern that must be valid. */
static struct sb_seq_data *pat(const char *text)
{
	void *d = NULL;
	size_t bytes = 0, off = 0;
	char err[160];
	int rc = ppat_compile(text, strlen(text), &d, &bytes, &off, err,
			      sizeof(err));

	if (rc)
		fail_msg("pattern \"%s\": %s at %zu", text, err, off);
	assert_int_equal(((struct sb_seq_data *)d)->bytes, bytes);
	return d;
}

/* Cycle `bar` of d must be exactly the notes/starts given. */
static void expect_cycle(const struct sb_seq_data *d, int64_t bar, int n,
			 const int *notes, const double *starts)
{
	uint32_t count;
	const struct sb_seq_event *ev = sb_seq_events(d, bar, &count);
	double end = 0.0;

	assert_int_equal(count, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(ev[i].note, notes[i]);
		assert_true(fabs(ev[i].start - starts[i]) < 1e-12);
		assert_true(fabs(ev[i].start - end) < 1e-12);	/* tiles */
		end = ev[i].start + ev[i].length;
	}
	assert_true(fabs(end - 1.0) < 1e-12);
}

#define R SB_SEQ_REST
#define CYCLE(d, bar, ...) do {						\
		const int n_[] = { __VA_ARGS__ };				\
		expect_cycle(d, bar, sizeof(n_) / sizeof(n_[0]), n_, st_);	\
	} while (0)

static void test_pattern_steps(void **state)
{
	struct sb_seq_data *d;
	const double *st_;

	(void)state;
	d = pat("c3 e3 g3 ~");
	assert_int_equal(d->n_cycles, 1);
	st_ = (const double[]){ 0, 0.25, 0.5, 0.75 };
	CYCLE(d, 0, 48, 52, 55, R);
	CYCLE(d, 7, 48, 52, 55, R);
	free(d);
	d = pat("[c4 e4] g3");
	st_ = (const double[]){ 0, 0.25, 0.5 };
	CYCLE(d, 0, 60, 64, 55);
	free(d);
	d = pat("  g3*3 c4 ");
	st_ = (const double[]){ 0, 1.0 / 6, 2.0 / 6, 0.5 };
	CYCLE(d, 0, 55, 55, 55, 60);
	free(d);
	d = pat("60 64 [67 ~]*2");
	st_ = (const double[]){ 0, 1.0 / 3, 2.0 / 3, 2.0 / 3 + 1.0 / 12,
				2.0 / 3 + 2.0 / 12, 2.0 / 3 + 3.0 / 12 };
	CYCLE(d, 0, 60, 64, 67, R, 67, R);
	free(d);
	d = pat("[[c4 d4] e4] f4");
	st_ = (const double[]){ 0, 0.125, 0.25, 0.5 };
	CYCLE(d, 0, 60, 62, 64, 65);
	assert_string_equal((const char *)d + d->text_off, "[[c4 d4] e4] f4");
	free(d);
}

static void test_pattern_alternation(void **state)
{
	struct sb_seq_data *d;
	const double *st_;

	(void)state;
	d = pat("c3 <a3 b3>");
	assert_int_equal(d->n_cycles, 2);
	st_ = (const double[]){ 0, 0.5 };
	CYCLE(d, 0, 48, 57);
	CYCLE(d, 1, 48, 59);
	CYCLE(d, 2, 48, 57);
	CYCLE(d, 5, 48, 59);
	CYCLE(d, -1, 48, 59);
	free(d);
	d = pat("<c4 <d4 e4>>");	/* the inner one advances when chosen */
	assert_int_equal(d->n_cycles, 4);
	st_ = (const double[]){ 0 };
	CYCLE(d, 0, 60);
	CYCLE(d, 1, 62);
	CYCLE(d, 2, 60);
	CYCLE(d, 3, 64);
	free(d);
	d = pat("<c4 d4>*2");	/* repeats play the next cycles */
	assert_int_equal(d->n_cycles, 1);
	st_ = (const double[]){ 0, 0.5 };
	CYCLE(d, 0, 60, 62);
	free(d);
	d = pat("<c4 d4 e4> <f4 g4>");
	assert_int_equal(d->n_cycles, 6);
	CYCLE(d, 4, 62, 65);
	CYCLE(d, 5, 64, 67);
	free(d);
	d = pat("[c4 <~ [e4 g4]>]");
	st_ = (const double[]){ 0, 0.5 };
	CYCLE(d, 0, 60, R);
	st_ = (const double[]){ 0, 0.5, 0.75 };
	CYCLE(d, 1, 60, 64, 67);
	free(d);
}

static void pat_err(const char *text, size_t off, const char *what)
{
	void *d = NULL;
	size_t bytes, at = 999;
	char err[160];

	assert_int_equal(ppat_compile(text, strlen(text), &d, &bytes, &at,
				      err, sizeof(err)), -EINVAL);
	assert_null(d);
	if (strncmp(err, what, strlen(what)) || at != off)
		fail_msg("\"%s\": got \"%s\" at %zu, want \"%s\" at %zu",
			 text, err, at, what, off);
}

static void test_pattern_errors(void **state)
{
	(void)state;
	pat_err("c3 [e3 g3", 9, "expected ']'");
	pat_err("c3 <e3 g3]", 9, "unmatched ']'");
	pat_err("c3 x3", 3, "bad note name");
	pat_err("c3 e3*0", 6, "expected a repeat count");
	pat_err("c3 e3*", 6, "expected a repeat count");
	pat_err("c3 ]", 3, "unmatched ']'");
	pat_err("c3 128", 3, "bad MIDI note");
	pat_err("c3 []", 3, "empty group");
	pat_err("", 0, "empty pattern");
	pat_err("   ", 0, "empty pattern");
	pat_err("*2", 0, "'*' needs a step");
	pat_err("<a1 b1 c1 d1 e1 f1 g1> <a2 b2 c2 d2 e2 f2 g2 a3 b3 c3>", 0,
		"the alternations");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_example_tree),
		cmocka_unit_test(test_values_and_layout),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_too_many_modules),
		cmocka_unit_test(test_note_names),
		cmocka_unit_test(test_pattern_steps),
		cmocka_unit_test(test_pattern_alternation),
		cmocka_unit_test(test_pattern_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
