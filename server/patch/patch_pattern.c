/*
 * patch_pattern.c - the seq mini-notation: text -> tree -> every distinct
 * cycle as a flat event list (rt/seq_data.h).
 */
#include "server/patch/patch_pattern.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/dsp/seq_data.h"
#include "server/patch/patch_limits.h"

/*
 * Levels of [..], <..> and *n around a step.  period() and eval() recurse
 * once per level, so this bounds their stack; "c3*2*2*2..." is as deep
 * as "[[[c3]]]".
 */
#define PAT_MAX_DEPTH PATCH_PAT_DEPTH_MAX
#define PAT_MAX_REPEAT PATCH_PAT_REPEAT_MAX

static const char too_deep[] = "nesting too deep (at most 32 levels of "
			       "[..], <..> and *n)";

enum pkind { PK_NOTE, PK_REST, PK_SEQ, PK_ALT, PK_REP };

/* Tree node; children are a sibling list. */
struct pnode {
	enum pkind kind;
	int note;		/* PK_NOTE */
	uint32_t n;		/* SEQ/ALT: children; REP: count */
	int32_t kid, next;	/* first child, next sibling; -1 none */
	uint64_t period;	/* cycles until it repeats (capped) */
	uint32_t height;	/* levels below it: 0 for a note or rest */
	size_t off;		/* NOTE, REST: where it is in the text */
};

struct pat {
	const char *s;
	size_t len, at;
	struct pnode *nodes;
	uint32_t n, cap;
	int depth;
	/* evaluation output */
	struct sb_seq_event *ev;
	uint32_t n_ev;
	/* error */
	size_t err_off;
	char *err;
	size_t errlen;
};

/* any thread */
double ppat_midi_hz(double midi)
{
	return 440.0 * pow(2.0, (midi - 69.0) / 12.0);
}

/* Octave: optional '-', digits, to the end. */
static int parse_octave(const char *s, size_t len, int *oct)
{
	char buf[8], *end;
	long v;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!isdigit((unsigned char)buf[buf[0] == '-']))
		return -EINVAL;
	v = strtol(buf, &end, 10);
	if (*end || v < -1 || v > 9)
		return -EINVAL;
	*oct = (int)v;
	return 0;
}

/* any thread */
int ppat_note(const char *s, size_t len, int *midi)
{
	static const int semis[] = { 9, 11, 0, 2, 4, 5, 7 };	/* a..g */
	int c = len ? tolower((unsigned char)s[0]) : 0, acc = 0, oct, m;
	size_t i = 1;

	if (c < 'a' || c > 'g')
		return -EINVAL;
	if (len > 1 && s[1] == '#') {
		acc = 1;
		i = 2;
	} else if (len > 2 && s[1] == 'b' && parse_octave(s + 2, len - 2,
							   &oct) == 0) {
		acc = -1;
		i = 2;
	}
	if (parse_octave(s + i, len - i, &oct))
		return -EINVAL;
	m = 12 * (oct + 1) + semis[c - 'a'] + acc;
	if (m < 0 || m > 127)
		return -EINVAL;
	*midi = m;
	return 0;
}

static int fail(struct pat *p, size_t off, const char *what)
{
	p->err_off = off;
	snprintf(p->err, p->errlen, "%s", what);
	return -EINVAL;
}

static int new_node(struct pat *p, enum pkind kind)
{
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 32;
		struct pnode *a = realloc(p->nodes, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		p->nodes = a;
		p->cap = cap;
	}
	p->nodes[p->n] = (struct pnode){ .kind = kind, .kid = -1,
					 .next = -1, .period = 1 };
	return (int)p->n++;
}

static void skip_space(struct pat *p)
{
	while (p->at < p->len && isspace((unsigned char)p->s[p->at]))
		p->at++;
}

static int word_char(int c)
{
	return isalnum(c) || c == '#' || c == '-';
}

/* A note name or a MIDI number. */
static int parse_note(struct pat *p)
{
	size_t start = p->at, len;
	char buf[16], *end;
	long v;
	int m, idx;

	while (p->at < p->len && word_char((unsigned char)p->s[p->at]))
		p->at++;
	len = p->at - start;
	if (len == 0)
		return fail(p, start, p->s[start] == '*' ?
			    "'*' needs a step before it" : "expected a note");
	if (len < sizeof(buf) && isdigit((unsigned char)p->s[start])) {
		memcpy(buf, p->s + start, len);
		buf[len] = '\0';
		v = strtol(buf, &end, 10);
		if (*end || v < 0 || v > 127)
			return fail(p, start, "bad MIDI note (0..127)");
		m = (int)v;
	} else if (ppat_note(p->s + start, len, &m)) {
		return fail(p, start, "bad note name (e.g. c3, eb4, f#2)");
	}
	if ((idx = new_node(p, PK_NOTE)) >= 0) {
		p->nodes[idx].note = m;
		p->nodes[idx].off = start;
	}
	return idx;
}

static int parse_seq(struct pat *p, char close);

/* '[' seq ']' or '<' seq '>' */
static int parse_group(struct pat *p, char close, enum pkind kind)
{
	size_t open = p->at++;
	int idx;

	if (++p->depth > PAT_MAX_DEPTH)
		return fail(p, open, too_deep);
	idx = parse_seq(p, close);
	if (idx < 0)
		return idx;
	if (p->at >= p->len || p->s[p->at] != close)
		return fail(p, p->at, close == ']' ? "expected ']'" :
			    "expected '>'");
	if (p->nodes[idx].n == 0)
		return fail(p, open, "empty group");
	p->at++;
	p->depth--;
	p->nodes[idx].kind = kind;
	return idx;
}

/* '*' count after a step: wraps it in a repeat node. */
static int parse_repeat(struct pat *p, int child)
{
	size_t start = ++p->at;
	long v = 0;
	int idx;

	while (p->at < p->len && isdigit((unsigned char)p->s[p->at]) &&
	       v <= PAT_MAX_REPEAT)
		v = v * 10 + (p->s[p->at++] - '0');
	if (p->at == start || v < 1 || v > PAT_MAX_REPEAT)
		return fail(p, start, "expected a repeat count 1..64 after "
			    "'*'");
	if ((uint32_t)p->depth + p->nodes[child].height + 1 > PAT_MAX_DEPTH)
		return fail(p, start - 1, too_deep);
	if ((idx = new_node(p, PK_REP)) < 0)
		return idx;
	p->nodes[idx].n = (uint32_t)v;
	p->nodes[idx].kid = child;
	p->nodes[idx].height = p->nodes[child].height + 1;
	return idx;
}

static int parse_step(struct pat *p)
{
	char c = p->s[p->at];
	int idx;

	if (c == '~') {
		if ((idx = new_node(p, PK_REST)) >= 0)
			p->nodes[idx].off = p->at;
		p->at++;
	} else if (c == '[') {
		idx = parse_group(p, ']', PK_SEQ);
	} else if (c == '<') {
		idx = parse_group(p, '>', PK_ALT);
	} else {
		idx = parse_note(p);
	}
	while (idx >= 0 && p->at < p->len && p->s[p->at] == '*')
		idx = parse_repeat(p, idx);
	return idx;
}

/* Steps up to `close` (or the end when close is 0), as a SEQ node. */
static int parse_seq(struct pat *p, char close)
{
	int seq = new_node(p, PK_SEQ), prev = -1, idx;

	skip_space(p);
	while (seq >= 0 && p->at < p->len && p->s[p->at] != close) {
		if (p->s[p->at] && strchr("]>", p->s[p->at]))
			return fail(p, p->at, p->s[p->at] == ']' ?
				    "unmatched ']'" : "unmatched '>'");
		if ((idx = parse_step(p)) < 0)
			return idx;
		if (prev < 0)
			p->nodes[seq].kid = idx;
		else
			p->nodes[prev].next = idx;
		prev = idx;
		p->nodes[seq].n++;
		if (p->nodes[idx].height + 1 > p->nodes[seq].height)
			p->nodes[seq].height = p->nodes[idx].height + 1;
		skip_space(p);
	}
	return seq;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* lcm capped just above the limit, so it never overflows. */
static uint64_t lcm_cap(uint64_t a, uint64_t b)
{
	uint64_t v = a / gcd(a, b) * b;

	return v > SB_SEQ_MAX_CYCLES ? SB_SEQ_MAX_CYCLES + 1 : v;
}

/* Cycles until node i repeats (see the header for the semantics). */
static uint64_t period(struct pat *p, int32_t i)
{
	struct pnode *nd = &p->nodes[i];
	uint64_t per = 1;

	for (int32_t k = nd->kid; k >= 0; k = p->nodes[k].next)
		per = lcm_cap(per, period(p, k));
	if (nd->kind == PK_ALT)
		per = lcm_cap(per * nd->n, nd->n);
	if (nd->kind == PK_REP && per <= SB_SEQ_MAX_CYCLES)
		per /= gcd(per, nd->n);
	return per;
}

/* Note or rest nd's event; the one past the limit is the error's place. */
static int emit(struct pat *p, const struct pnode *nd, double t0, double dur)
{
	if (p->n_ev >= SB_SEQ_MAX_EVENTS)
		return fail(p, nd->off, "too many events (max 4096 over all "
			    "cycles)");
	p->ev[p->n_ev++] = (struct sb_seq_event){
		.start = t0, .length = dur,
		.note = nd->kind == PK_NOTE ? nd->note : SB_SEQ_REST };
	return 0;
}

/* Events of node i in its own cycle c, over [t0, t0 + dur). */
static int eval(struct pat *p, int32_t i, uint64_t c, double t0, double dur)
{
	const struct pnode *nd = &p->nodes[i];
	int32_t k = nd->kid;
	uint32_t j = 0;
	int rc = 0;

	if (nd->kind == PK_NOTE || nd->kind == PK_REST)
		return emit(p, nd, t0, dur);
	if (nd->kind == PK_ALT) {
		for (j = 0; j < c % nd->n; j++)
			k = p->nodes[k].next;
		return eval(p, k, c / nd->n, t0, dur);
	}
	if (nd->kind == PK_REP) {
		for (j = 0; j < nd->n && rc == 0; j++)
			rc = eval(p, k, c * nd->n + j, t0 + dur * j / nd->n,
				  dur / nd->n);
		return rc;
	}
	for (; k >= 0 && rc == 0; k = p->nodes[k].next, j++)
		rc = eval(p, k, c, t0 + dur * j / nd->n, dur / nd->n);
	return rc;
}

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

/* Evaluate n_cycles cycles and lay out the blob. */
static int build(struct pat *p, int32_t root, uint32_t n_cycles, void **data,
		 size_t *bytes)
{
	struct sb_seq_cycle cy[SB_SEQ_MAX_CYCLES];
	struct sb_seq_data h = { .magic = SB_SEQ_MAGIC, .n_cycles = n_cycles };
	uint8_t *blob;
	int rc;

	for (uint32_t c = 0; c < n_cycles; c++) {
		cy[c].first = p->n_ev;
		if ((rc = eval(p, root, c, 0.0, 1.0)) != 0)
			return rc;
		cy[c].count = p->n_ev - cy[c].first;
	}
	h.n_events = p->n_ev;
	h.text_len = (uint32_t)p->len;
	h.cycles_off = align8(sizeof(h));
	h.events_off = align8(h.cycles_off + n_cycles * sizeof(cy[0]));
	h.text_off = h.events_off + p->n_ev * sizeof(p->ev[0]);
	h.bytes = align8(h.text_off + p->len + 1);
	if (!(blob = calloc(1, h.bytes)))
		return -ENOMEM;
	memcpy(blob, &h, sizeof(h));
	memcpy(blob + h.cycles_off, cy, n_cycles * sizeof(cy[0]));
	memcpy(blob + h.events_off, p->ev, p->n_ev * sizeof(p->ev[0]));
	memcpy(blob + h.text_off, p->s, p->len);
	*data = blob;
	*bytes = h.bytes;
	return 0;
}

/* any thread */
int ppat_compile(const char *text, size_t len, void **data, size_t *bytes,
		 size_t *err_off, char *err, size_t errlen)
{
	struct pat p = { .s = text, .len = len, .err = err, .errlen = errlen };
	uint64_t per = 1;
	int root, rc;

	root = parse_seq(&p, 0);
	rc = root < 0 ? root : 0;
	if (rc == 0 && p.nodes[root].n == 0)
		rc = fail(&p, 0, "empty pattern");
	if (rc == 0 && (per = period(&p, root)) > SB_SEQ_MAX_CYCLES)
		rc = fail(&p, 0, "the alternations (<..>) take more than 64 "
			  "cycles to repeat");
	if (rc == 0 && !(p.ev = malloc(SB_SEQ_MAX_EVENTS * sizeof(*p.ev))))
		rc = -ENOMEM;
	if (rc == 0)
		rc = build(&p, root, (uint32_t)per, data, bytes);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	*err_off = p.err_off;
	free(p.ev);
	free(p.nodes);
	return rc;
}
