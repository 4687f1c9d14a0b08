/*
 * test_patch_limits.c - every bound of server/patch/patch_limits.h is an
 * error at its exact line and column, a text just inside it still
 * compiles, and the inputs that used to crash the server (the seq
 * repeat bomb, a 1e308 scale) fail fast.  Also the reproducers the
 * fuzzers found (tests/fuzz/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/dsp/seq_data.h"
#include "server/patch/patch_compile.h"
#include "server/patch/patch_heap.h"
#include "server/patch/patch_limits.h"
#include "server/patch/patch_parse.h"
#include "server/patch/patch_pattern.h"

#define RATE 48000u
#define SLOT_BYTES (1u << 20)
#define HEAP_BYTES (32u << 20)

struct fx {
	uint8_t *slot;
	uint8_t *heap_mem;
	struct ph_heap heap;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->slot = aligned_alloc(64, SLOT_BYTES);
	f->heap_mem = aligned_alloc(64, HEAP_BYTES);
	assert_int_equal(ph_init(&f->heap, f->heap_mem, HEAP_BYTES), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ph_destroy(&f->heap);
	free(f->slot);
	free(f->heap_mem);
	free(f);
	return 0;
}

/* A growable text buffer for the big inputs. */
struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (b->s && (size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)n + 64;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	b->len += (size_t)n;
}

/* pc_compile must fail with -EINVAL at line:col, message starting what. */
static void compile_err(struct fx *f, const char *text, size_t len, int line,
			int col, const char *what)
{
	struct pc_target t = { .slot = f->slot, .slot_bytes = SLOT_BYTES,
			       .heap = &f->heap, .rate = RATE };
	struct pc_result r;
	char want[400];

	assert_int_equal(pc_compile(text, len, &t, &r), -EINVAL);
	snprintf(want, sizeof(want), "line %d, column %d: %s", line, col,
		 what);
	if (strncmp(r.err.msg, want, strlen(want)))
		fail_msg("got \"%s\", want \"%s...\"", r.err.msg, want);
	assert_int_equal(r.err.line, line);
	assert_int_equal(r.err.col, col);
	assert_int_equal(ph_used_bytes(&f->heap), 0);	/* rolled back */
	pc_result_free(&r);
}

static void compile_ok(struct fx *f, const char *text, size_t len)
{
	struct pc_target t = { .slot = f->slot, .slot_bytes = SLOT_BYTES,
			       .heap = &f->heap, .rate = RATE };
	struct pc_result r;
	int rc = pc_compile(text, len, &t, &r);

	if (rc)
		fail_msg("compile failed (%d): %s", rc, r.err.msg);
	pc_result_free(&r);
	ph_reset(&f->heap);
}

/* pp_parse must fail at line:col with a message starting what. */
static void parse_err(const char *text, size_t len, int line, int col,
		      const char *what)
{
	struct pp_patch p;
	struct patch_err e;
	char want[400];

	assert_int_equal(pp_parse(text, len, &p, &e), -EINVAL);
	snprintf(want, sizeof(want), "line %d, column %d: %s", line, col,
		 what);
	if (strncmp(e.msg, want, strlen(want)))
		fail_msg("got \"%s\", want \"%s...\"", e.msg, want);
	assert_int_equal(p.n_nodes, 0);
}

static void parse_ok(const char *text, size_t len)
{
	struct pp_patch p;
	struct patch_err e;

	if (pp_parse(text, len, &p, &e))
		fail_msg("parse failed: %s", e.msg);
	pp_free(&p);
}

/*
 * The bomb: "c3" then "*2" 200000 times in a seq pattern.  As
 * patch text it is over the string limit; the pattern compiler on its
 * own, and a bomb that fits in a string, stop at the 33rd '*'.
 */
static void test_seq_repeat_bomb(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 }, pat = { 0 };
	void *d = NULL;
	size_t bytes, off = 0;
	char err[160];

	put(&pat, "c3");
	for (int i = 0; i < 200000; i++)
		put(&pat, "*2");
	assert_int_equal(ppat_compile(pat.s, pat.len, &d, &bytes, &off, err,
				      sizeof(err)), -EINVAL);
	assert_null(d);
	assert_int_equal(off, 2 + 32 * 2);	/* the 33rd '*' */
	assert_string_equal(err, "nesting too deep (at most 32 levels of "
			    "[..], <..> and *n)");
	put(&b, "s = seq(pattern: \"%s\")\ns.pitch -> out.left\n", pat.s);
	compile_err(f, b.s, b.len, 1, 18, "string longer than 65536 bytes");
	b.len = 0;
	put(&b, "s = seq(pattern: \"%.*s\")\n", 30000, pat.s);
	/* the pattern starts at column 19 */
	compile_err(f, b.s, b.len, 1, 19 + 66, "bad pattern: nesting too deep");
	free(b.s);
	free(pat.s);
}

/* 32 levels of [..], <..> and *n together compile; 33 do not. */
static void test_pattern_depth(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 };

	put(&b, "s = seq(pattern: \"c3");
	for (int i = 0; i < 32; i++)
		put(&b, "*1");
	put(&b, "\")\n");
	compile_ok(f, b.s, b.len);
	b.len = 0;
	put(&b, "s = seq(pattern: \"");
	for (int i = 0; i < 33; i++)
		put(&b, i % 2 ? "<" : "[");
	put(&b, "c3");
	for (int i = 32; i >= 0; i--)
		put(&b, i % 2 ? ">" : "]");
	put(&b, "\")\n");
	compile_err(f, b.s, b.len, 1, 19 + 32, "bad pattern: nesting too deep");
	b.len = 0;
	/* one group around 31 repeats is 32 levels; a 32nd repeat is not */
	put(&b, "s = seq(pattern: \"[c3");
	for (int i = 0; i < 31; i++)
		put(&b, "*1");
	put(&b, "] e3\")\n");
	compile_ok(f, b.s, b.len);
	b.len = 0;
	put(&b, "s = seq(pattern: \"[c3");
	for (int i = 0; i < 32; i++)
		put(&b, "*1");
	put(&b, "]\")\n");
	compile_err(f, b.s, b.len, 1, 20 + 2 + 31 * 2,
		    "bad pattern: nesting too deep");
	b.len = 0;
	/* a repeat around a deep group counts the group's levels */
	put(&b, "s = seq(pattern: \"");
	for (int i = 0; i < 32; i++)
		put(&b, "[");
	put(&b, "c3");
	for (int i = 0; i < 32; i++)
		put(&b, "]");
	put(&b, "*2\")\n");
	compile_err(f, b.s, b.len, 1, 19 + 66, "bad pattern: nesting too deep");
	free(b.s);
}

/* Repeat factors 1..64, events 4096, cycles 64: each at its place. */
static void test_pattern_sizes(void **state)
{
	struct fx *f = *state;
	const char *t;

	t = "s = seq(pattern: \"c3*99999999999999999999999\")\n";
	compile_err(f, t, strlen(t), 1, 22, "bad pattern: expected a repeat "
		    "count 1..64");
	t = "s = seq(pattern: \"c3*65\")\n";
	compile_err(f, t, strlen(t), 1, 22, "bad pattern: expected a repeat "
		    "count 1..64");
	t = "s = seq(pattern: \"[c3*64]*64\")\n";	/* 4096 events */
	compile_ok(f, t, strlen(t));
	t = "s = seq(pattern: \"[c3*64]*64 d3\")\n";
	compile_err(f, t, strlen(t), 1, 30, "bad pattern: too many events "
		    "(max 4096");
	t = "s = seq(pattern: \"[c3*64]*64 <d3 e3>\")\n";	/* cycle 0 fits */
	compile_err(f, t, strlen(t), 1, 31, "bad pattern: too many events");
	t = "s = seq(pattern: \"<a1 b1 c1 d1 e1 f1 g1> <a2 b2 c2 d2 e2 f2 g2 "
	    "a3 b3 c3>\")\n";
	compile_err(f, t, strlen(t), 1, 19, "bad pattern: the alternations");
}

/* A connection scale: |x| <= 1e6; 1e308 would be inf as a float. */
static void test_scale_range(void **state)
{
	struct fx *f = *state;
	const char *t;

	t = "a = saw()\na.out * 1e308 -> out.left\n";
	compile_err(f, t, strlen(t), 2, 9, "scale out of range: -1e+06 .. "
		    "1e+06, got 1e+308");
	t = "a = saw()\na.out * -1000001 -> out.left\n";
	compile_err(f, t, strlen(t), 2, 9, "scale out of range");
	t = "a = saw()\na.out * 1e999 -> out.left\n";
	compile_err(f, t, strlen(t), 2, 9, "bad number '1e999'");
	t = "a = saw()\na.out * 1e6 -> out.left\na.out * -1e6 -> out.right\n";
	compile_ok(f, t, strlen(t));
}

/* Numbers that are not finite never reach a parameter. */
static void test_nonfinite_params(void **state)
{
	struct fx *f = *state;
	const char *t;

	t = "a = saw(freq: 1e400)\n";
	compile_err(f, t, strlen(t), 1, 15, "bad number '1e400'");
	t = "a = saw(freq: -1e400)\n";
	compile_err(f, t, strlen(t), 1, 15, "bad number '-1e400'");
	t = "a = saw(freq: nan)\n";
	compile_err(f, t, strlen(t), 1, 15, "wrong value type for 'freq'");
	t = "a = saw(freq: inf)\n";
	compile_err(f, t, strlen(t), 1, 15, "wrong value type for 'freq'");
}

/* 1 MiB of text; the first token past it is the error. */
static void test_text_size(void **state)
{
	struct buf b = { 0 };
	char line[64];

	(void)state;
	memset(line, 'x', sizeof(line));
	line[0] = '#';
	for (unsigned i = 0; i < PATCH_TEXT_MAX / 64; i++)	/* 64-byte lines */
		put(&b, "%.*s\n", 63, line);
	assert_int_equal(b.len, PATCH_TEXT_MAX);
	put(&b, "a = saw()\n");
	parse_err(b.s, b.len, PATCH_TEXT_MAX / 64 + 1, 1,
		  "the patch is longer than 1048576 bytes");
	b.len = PATCH_TEXT_MAX - 64;	/* just inside */
	put(&b, "a = saw()\n");
	parse_ok(b.s, b.len);
	free(b.s);
}

/* Strings up to 64 KiB; names up to 31 characters, values too. */
static void test_string_and_name_length(void **state)
{
	struct buf b = { 0 };

	(void)state;
	put(&b, "s = seq(pattern: \"");
	for (unsigned i = 0; i < PATCH_STRING_MAX; i++)
		put(&b, "~");
	put(&b, "\")\n");
	parse_ok(b.s, b.len);
	b.len = 0;
	put(&b, "\ns = seq(pattern: \"");
	for (unsigned i = 0; i <= PATCH_STRING_MAX; i++)
		put(&b, "~");
	put(&b, "\")\n");
	parse_err(b.s, b.len, 2, 18, "string longer than 65536 bytes");
	b.len = 0;
	put(&b, "a = lfo(shape: abcdefghijabcdefghijabcdefghijabc)\n");
	parse_err(b.s, b.len, 1, 16, "name 'abcdefghijabcdefghijabcdefghijabc'"
		  " is longer than 31 characters");
	b.len = 0;
	put(&b, "a = saw()\na.abcdefghijabcdefghijabcdefghijabc -> out.left\n");
	parse_err(b.s, b.len, 2, 3, "name 'abcdefghijabcdefghijabcdefghijabc'"
		  " is longer than 31 characters");
	free(b.s);
}

/* 1024 numbers in a list; 64 parameters on a node. */
static void test_list_and_params(void **state)
{
	struct buf b = { 0 };

	(void)state;
	put(&b, "a = saw(l: [0");
	for (int i = 1; i < PATCH_LIST_MAX; i++)
		put(&b, ",%d", i % 10);
	put(&b, "])\n");
	parse_ok(b.s, b.len);
	b.len -= 3;
	put(&b, ",7])\n");	/* the 1025th number, at 13 + 2 * 1024 */
	parse_err(b.s, b.len, 1, 13 + 2 * PATCH_LIST_MAX,
		  "more than 1024 numbers in a list");
	b.len = 0;
	put(&b, "a = saw(");
	for (int i = 0; i < PATCH_PARAMS_MAX; i++)
		put(&b, "p: 1, ");
	put(&b, ")\n");
	parse_ok(b.s, b.len);
	b.len -= 2;
	put(&b, "q: 1)\n");	/* the 65th, at 9 + 6 * 64 */
	parse_err(b.s, b.len, 1, 9 + 6 * PATCH_PARAMS_MAX,
		  "more than 64 parameters on one node");
	free(b.s);
}

/* 16384 connections, a fan-out counting one per target. */
static void test_connections(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 };

	put(&b, "a = saw()\nv = vca()\na.out -> v.in");
	for (int i = 1; i < PATCH_CONNS_MAX; i++)
		put(&b, ", v.cv");
	put(&b, "\n");
	compile_ok(f, b.s, b.len);
	b.len -= 1;
	put(&b, ", v.cv\n");	/* the 16385th: ", v.cv" is 6 columns */
	compile_err(f, b.s, b.len, 3, 10 + 6 * PATCH_CONNS_MAX,
		    "too many connections (max 16384)");
	free(b.s);
}

/* Well-formed UTF-8 (no overlong or surrogate checks: cut sequences). */
static int utf8_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		int n = *u < 0x80 ? 0 : *u >= 0xf0 ? 3 : *u >= 0xe0 ? 2 :
			*u >= 0xc0 ? 1 : -1;

		if (n < 0)
			return 0;
		for (u++; n > 0; n--, u++)
			if ((*u & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* An error cut at the message's end keeps whole characters (JSON). */
static void test_error_utf8(void **state)
{
	struct fx *f = *state;
	struct pc_target t = { .slot = f->slot, .slot_bytes = SLOT_BYTES,
			       .heap = &f->heap, .rate = RATE };
	struct pc_result r;
	struct buf b = { 0 };

	for (int pad = 0; pad < 4; pad++) {	/* every cut position */
		b.len = 0;
		put(&b, "l = lfo(shape: \"%.*s", pad, "xxx");
		for (int i = 0; i < 200; i++)
			put(&b, i % 2 ? "\xc3\xa9" : "\xe2\x82\xac");
		put(&b, "\")\n");
		assert_int_equal(pc_compile(b.s, b.len, &t, &r), -EINVAL);
		assert_int_equal(r.err.col, 16);
		if (!utf8_ok(r.err.msg))
			fail_msg("pad %d: not UTF-8: %s", pad, r.err.msg);
		pc_result_free(&r);
	}
	free(b.s);
}

/* Reproducers from the fuzzers (the corpus under tests/fuzz/ has them). */
static void test_fuzz_reproducers(void **state)
{
	struct fx *f = *state;
	char *t;
	size_t n;

	/* a numeric port at the very end of an unterminated buffer */
	n = strlen("a = vca()\na.out -> a.1");
	t = malloc(n);
	memcpy(t, "a = vca()\na.out -> a.1", n);
	compile_err(f, t, n, 2, 12, "unknown port '1' on 'a'");
	free(t);
	/* a backslash-newline inside a string kept the line count */
	t = "s = seq(pattern: \"c3\\\n\")\nx\n";
	compile_err(f, t, strlen(t), 1, 18, "unterminated string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_repeat_bomb),
		cmocka_unit_test(test_pattern_depth),
		cmocka_unit_test(test_pattern_sizes),
		cmocka_unit_test(test_scale_range),
		cmocka_unit_test(test_nonfinite_params),
		cmocka_unit_test(test_text_size),
		cmocka_unit_test(test_string_and_name_length),
		cmocka_unit_test(test_list_and_params),
		cmocka_unit_test(test_connections),
		cmocka_unit_test(test_error_utf8),
		cmocka_unit_test(test_fuzz_reproducers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
