/*
 * render.c - build/stagebox-render: a patch rendered offline to a WAV,
 * with the same compiler, heap allocator, plan executor and modules as
 * the live engine, no JACK.
 *
 *   stagebox-render PATCH --seconds T --out FILE.wav [--rate R] [--bpm B]
 *                   [--then SECONDS:OTHER_PATCH ...]
 *
 * Its own transport starts at frame 0 at --bpm.  Each --then compiles
 * the other patch against the running plan (kept nodes keep their state)
 * and swaps at exactly that frame, splitting the block there, then frees
 * the heap blocks only the retired plan used - the live swap, scripted.
 * Every patch is compiled once up front, so a patch with an error fails
 * before any audio is written.  Exit 0; 2 for bad flags or a patch
 * error (message on stderr, with line and column); 1 for I/O failures.
 */
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/patch/patch_compile.h"
#include "server/patch/patch_heap.h"
#include "rt/dsp/plan.h"
#include "rt/dsp/transport.h"

#define MAX_THEN 64
#define PERIOD 256
#define SLOT_BYTES (8u << 20)
#define HEAP_BYTES (512ull << 20)
#define TEXT_MAX (1u << 20)

struct then {
	double at;
	const char *file;
};

struct opts {
	const char *patch, *out;
	double seconds, bpm;
	uint32_t rate;
	struct then then[MAX_THEN];
	uint32_t n_then;
};

/* The renderer's stand-in for the arena: two plan slots and a heap. */
struct world {
	uint8_t *slot[2];
	int active;
	uint64_t serial;
	struct ph_heap heap;
	uint32_t rate;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: stagebox-render PATCH --seconds T --out FILE.wav "
		"[--rate R] [--bpm B] [--then SECONDS:OTHER_PATCH ...]\n");
}

static int num(const char *s, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || !(*v >= lo && *v <= hi) ? -1 : 0;
}

static int add_then(struct opts *o, const char *arg, char *err, size_t n)
{
	const char *colon = strchr(arg, ':');
	char at[64];

	if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(at) ||
	    !colon[1] || o->n_then == MAX_THEN) {
		snprintf(err, n, "--then wants SECONDS:PATCH, got '%s'", arg);
		return -EINVAL;
	}
	memcpy(at, arg, (size_t)(colon - arg));
	at[colon - arg] = '\0';
	if (num(at, 0, 1e6, &o->then[o->n_then].at) ||
	    (o->n_then && o->then[o->n_then].at < o->then[o->n_then - 1].at)) {
		snprintf(err, n, "--then time '%s': a number of seconds, "
			 "not before the previous --then", at);
		return -EINVAL;
	}
	o->then[o->n_then++].file = colon + 1;
	return 0;
}

/* One flag with its value; 0, or -EINVAL with err set. */
static int flag(struct opts *o, const char *f, const char *v, char *err,
		size_t n)
{
	double d;

	if (!strcmp(f, "--out")) {
		o->out = v;
		return 0;
	}
	if (!strcmp(f, "--then"))
		return add_then(o, v, err, n);
	if (!strcmp(f, "--seconds") && !num(v, 1e-6, 86400, &d))
		o->seconds = d;
	else if (!strcmp(f, "--bpm") && !num(v, 20, 300, &d))
		o->bpm = d;
	else if (!strcmp(f, "--rate") && !num(v, 8000, 384000, &d) &&
		 d == floor(d))
		o->rate = (uint32_t)d;
	else {
		snprintf(err, n, "bad value '%s' for %s", v, f);
		return -EINVAL;
	}
	return 0;
}

static int known(const char *f)
{
	static const char *const flags[] = {
		"--out", "--then", "--seconds", "--bpm", "--rate",
	};

	for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
		if (!strcmp(f, flags[k]))
			return 1;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o, char *err,
		      size_t n)
{
	*o = (struct opts){ .bpm = 120.0, .rate = 48000 };
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			if (o->patch) {
				snprintf(err, n, "one PATCH only: '%s'",
					 argv[i]);
				return -EINVAL;
			}
			o->patch = argv[i];
			continue;
		}
		if (!known(argv[i]) || i + 1 == argc) {
			snprintf(err, n, "unknown flag or missing value: %s",
				 argv[i]);
			return -EINVAL;
		}
		if (flag(o, argv[i], argv[i + 1], err, n))
			return -EINVAL;
		i++;
	}
	if (!o->patch || !o->out || o->seconds <= 0) {
		snprintf(err, n, "PATCH, --seconds and --out are required");
		return -EINVAL;
	}
	return 0;
}

/*
 * The whole file into a malloc'd, terminated buffer.  An unreadable
 * patch is the caller's mistake like a bad flag: -EINVAL.
 */
static int read_text(const char *path, char **text, size_t *len, char *err,
		     size_t n)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f) {
		snprintf(err, n, "%s: %s", path, strerror(errno));
		return -EINVAL;
	}
	buf = malloc(TEXT_MAX + 1);
	*len = buf ? fread(buf, 1, TEXT_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || *len > TEXT_MAX) {
		free(buf);
		snprintf(err, n, "%s: %s", path, buf ? "over 1 MiB"
						     : "out of memory");
		return buf ? -EINVAL : -ENOMEM;
	}
	buf[*len] = '\0';
	*text = buf;
	return 0;
}

/*
 * Compile `path` into the free slot, reusing state of the active plan
 * (or none).  0, -EINVAL for an error in the patch, other -errno.
 */
static int compile(struct world *w, const char *path, int against,
		   struct pc_result *res, char *err, size_t n)
{
	struct pc_target t = {
		.slot = w->slot[!w->active], .slot_bytes = SLOT_BYTES,
		.heap = &w->heap, .rate = w->rate, .serial = ++w->serial,
		.prev = against ? w->slot[w->active] : NULL,
	};
	char *text;
	size_t len;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = read_text(path, &text, &len, err, n);
	if (rc)
		return rc;
	rc = pc_compile(text, len, &t, res);
	free(text);
	if (rc)
		snprintf(err, n, "%s: %s", path, res->err.msg);
	return rc == -EINVAL ? -EINVAL : rc;
}

/* Compile every --then patch once, to fail before writing anything. */
static int check_all(struct world *w, const struct opts *o, char *err,
		     size_t n)
{
	for (uint32_t k = 0; k < o->n_then; k++) {
		struct pc_result res;
		int rc = compile(w, o->then[k].file, 0, &res, err, n);

		for (uint32_t i = 0; rc == 0 && i < res.n_fresh; i++)
			ph_free(&w->heap, res.fresh[i]);
		pc_result_free(&res);
		if (rc)
			return rc;
	}
	return 0;
}

/* Swap in the next patch: compile against the active plan, retire it. */
static int swap(struct world *w, const char *path, char *err, size_t n)
{
	struct pc_result res;
	int rc = compile(w, path, 1, &res, err, n);

	if (rc == 0) {
		w->active = !w->active;
		for (uint32_t i = 0; i < res.n_freeable; i++)
			ph_free(&w->heap, res.freeable[i]);
	}
	pc_result_free(&res);
	return rc;
}

static void run_part(struct world *w, struct sb_mod_ctx *ctx, float *l,
		     float *r, uint32_t from, uint32_t n)
{
	if (!n)
		return;
	ctx->offset = from;
	ctx->ext_out[0] = l + from;
	ctx->ext_out[1] = r + from;
	sb_plan_run(w->slot[w->active], w->heap.base, ctx, n);
}

static int write_block(SNDFILE *sf, const float *l, const float *r,
		       uint32_t n)
{
	float inter[2 * PERIOD];

	for (uint32_t i = 0; i < n; i++) {
		inter[2 * i] = l[i];
		inter[2 * i + 1] = r[i];
	}
	return sf_writef_float(sf, inter, n) == (sf_count_t)n ? 0 : -EIO;
}

/* One block: the active plan, swapping at --then frames inside it. */
static int block(struct world *w, const struct opts *o, uint32_t *next,
		 struct sb_transport *tr, uint32_t n, float *l, float *r,
		 char *err, size_t errlen)
{
	struct sb_beats beats;
	struct sb_mod_ctx ctx = { .rate = w->rate, .beats = &beats };
	uint32_t done = 0;
	int rc;

	sb_transport_cycle(tr, n, 0, &beats);
	memset(l, 0, n * sizeof(float));
	memset(r, 0, n * sizeof(float));
	while (*next < o->n_then) {
		uint64_t at = (uint64_t)llround(o->then[*next].at * w->rate);

		if (at >= beats.pos + n)
			break;
		at = at > beats.pos ? at - beats.pos : 0;
		run_part(w, &ctx, l, r, done, (uint32_t)at - done);
		done = (uint32_t)at;
		rc = swap(w, o->then[(*next)++].file, err, errlen);
		if (rc)
			return rc;
	}
	run_part(w, &ctx, l, r, done, n - done);
	return 0;
}

static int render(struct world *w, const struct opts *o, SNDFILE *sf,
		  char *err, size_t n)
{
	uint64_t total = (uint64_t)llround(o->seconds * o->rate);
	struct sb_transport tr;
	struct sb_msg m = { .type = SB_CMD_TRANSPORT_TEMPO };
	float l[PERIOD], r[PERIOD];
	uint32_t next = 0;
	int rc;

	sb_transport_init(&tr, o->rate);
	m.u.tempo.bpm = o->bpm;
	sb_transport_cmd(&tr, &m);
	m.type = SB_CMD_TRANSPORT_START;
	sb_transport_cmd(&tr, &m);
	for (uint64_t at = 0; at < total; at += PERIOD) {
		uint32_t k = total - at < PERIOD ? (uint32_t)(total - at)
						 : PERIOD;

		rc = block(w, o, &next, &tr, k, l, r, err, n);
		if (rc == 0 && write_block(sf, l, r, k)) {
			snprintf(err, n, "%s: %s", o->out, sf_strerror(sf));
			rc = -EIO;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int world_init(struct world *w, uint32_t rate)
{
	*w = (struct world){ .rate = rate };
	w->slot[0] = calloc(1, SLOT_BYTES);
	w->slot[1] = calloc(1, SLOT_BYTES);
	/* calloc: the heap starts zeroed, as module init expects; pages
	 * nobody touches are never really allocated */
	if (!w->slot[0] || !w->slot[1] ||
	    ph_init(&w->heap, calloc(1, HEAP_BYTES), HEAP_BYTES) ||
	    !w->heap.base)
		return -ENOMEM;
	return 0;
}

static void world_free(struct world *w)
{
	free(w->heap.base);
	ph_destroy(&w->heap);
	free(w->slot[0]);
	free(w->slot[1]);
}

/* Compile the patches, render, write; the exit status. */
static int run(const struct opts *o, char *err, size_t n)
{
	struct world w;
	struct pc_result res;
	SF_INFO info = { .samplerate = (int)o->rate, .channels = 2,
			 .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *sf;
	int rc;

	if (world_init(&w, o->rate)) {
		snprintf(err, n, "out of memory");
		world_free(&w);
		return 1;
	}
	rc = check_all(&w, o, err, n);
	if (rc == 0)
		rc = compile(&w, o->patch, 0, &res, err, n);
	if (rc == 0) {
		w.active = !w.active;
		pc_result_free(&res);
	}
	if (rc)
		goto free_world;
	sf = sf_open(o->out, SFM_WRITE, &info);
	if (!sf) {
		snprintf(err, n, "%s: %s", o->out, sf_strerror(NULL));
		rc = -EIO;
		goto free_world;
	}
	rc = render(&w, o, sf, err, n);
	sf_close(sf);
free_world:
	world_free(&w);
	return rc == 0 ? 0 : (rc == -EINVAL ? 2 : 1);
}

int main(int argc, char **argv)
{
	struct opts o;
	char err[512];
	int st;

	if (argc == 2 && (!strcmp(argv[1], "--help") ||
			  !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (parse_args(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "stagebox-render: %s\n", err);
		usage(stderr);
		return 2;
	}
	st = run(&o, err, sizeof(err));
	if (st)
		fprintf(stderr, "stagebox-render: %s\n", err);
	return st;
}
